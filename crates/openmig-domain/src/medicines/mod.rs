//! Medicines intelligence: the current list, issue history, adherence, high-risk flags,
//! "prescribed as asked?" and changes since a date, all pure functions of a
//! [`GpRecord`] and `today`.
//!
//! Each rule is documented where it is implemented, with the source of its definition:
//!
//! | question | module | rule and source |
//! |---|---|---|
//! | what is current? | this one | below |
//! | what exactly, at what dose, issued when? | `view` | [`MedicineView`]; acute re-issues merged |
//! | every issue, with gaps | `history` | [`MedicineHistory`]; gap = issue − previous supply end |
//! | is it being issued? | `adherence` | PDC (Pharmacy Quality Alliance, carry-over); [`SupplyAlert`]s |
//! | which are dangerous? | `flags` | [`HighRiskFlag`] by cited code sets; lithium/antipsychotics by name |
//! | did the GP do what was asked? | `asked` | [`check_request`] |
//! | what changed since a date? | `changes` | [`changes_since`] |
//! | all of it at once | `review` | [`review`] with [`ReviewConfig`] |
//! | what is a substance? | `substance` | leading words of the dm+d name, brand table |
//!
//! Adherence figures and supply alerts are estimates from issue records: they say what was
//! issued, not what was taken, and every display carries [`ESTIMATE_NOTICE`].
//!
//! Rule for "current" (shown to clinicians and used by the trait finder):
//! * a repeat or repeat-dispensing medicine is current while its authorisation is active;
//! * a medicine prescribed elsewhere is current while active (it has no GP issues; it is
//!   shown marked [`NOT_ISSUED_BY_PRACTICE`] and never given an adherence figure);
//! * an acute medicine is current when it was issued (or, if never issued, started)
//!   within the last [`ACUTE_WINDOW_DAYS`] days and was not discontinued before today.
//!
//! Sources: the repeat rule is GP Connect Access Record HTML's "Current repeat
//! medication" (NHS England, simplifier.net guide: repeats not discontinued or ended are
//! current, including those authorised but not yet issued). GP Connect and the Summary
//! Care Record list acute medication of the last 12 months as a *separate* section; the
//! 90-day window for counting an acute course as current is openmig's narrower choice for
//! the "what is the patient taking now" list (clinicians reconciling recent acutes use
//! three months), and the history keeps every acute course.
//!
//! Overdue: a current repeat issued by the practice whose last issue's supply ran out
//! more than `grace_days` before today ("expected next issue passed by a grace"). The
//! simple last-issue rule is deliberate: it is the one a clinician can check by eye from
//! the last issue date and quantity.

mod adherence;
mod asked;
mod changes;
mod flags;
mod history;
mod review;
mod substance;
mod view;

#[cfg(test)]
mod properties;
#[cfg(test)]
mod scenarios;
#[cfg(test)]
mod stories;
#[cfg(test)]
pub(crate) mod testkit;

pub use adherence::{
    Adherence, ESTIMATE_NOTICE, NotApplicableReason, PDC_WINDOW_MONTHS, Pdc, SupplyAlert, SupplyRules, adherence,
    proportion_of_days_covered, supply_alerts,
};
pub use asked::{
    ClinicRequest, MedicineQuery, RequestAction, RequestCheck, RequestOutcome, RequestedChange, StartOutcome,
    StopOutcome, check_item, check_request,
};
pub use changes::{MedicineChange, MedicineChanges, MedicineRef, changes_since};
pub use flags::{
    ANTIPSYCHOTIC_NAMES, CKD_PROBLEM_CODES, EGFR_CODES, EGFR_NSAID_THRESHOLD, FlagBasis, FlagCode, HighRiskFlag,
    KidneyEvidence, LITHIUM_NAMES, RiskContext, flags_for, high_risk_flags, kidney_evidence, risk_group,
};
pub use history::{Course, IssueRow, MedicineHistory, histories};
pub use review::{MedicinesReview, ReviewConfig, review};
pub use substance::{BRAND_SUBSTANCES, Strength, Substance, normalise_dose, strength_of};
pub use view::{IssueSummary, MedicineView, NOT_ISSUED_BY_PRACTICE, medicine_views};

use chrono::NaiveDate;

use crate::codesets::{DrugClass, drug_class};
use crate::record::{GpRecord, Medication, MedicationStatus};

/// How recent an acute course must be to count as current: three months, the window
/// clinicians use when reconciling "recent acute" medicines.
pub const ACUTE_WINDOW_DAYS: i64 = 90;

/// The default grace before a repeat counts as overdue.
pub const DEFAULT_OVERDUE_GRACE_DAYS: i64 = 14;

/// True when the medicine counts as current on `today` (see the module rule).
#[must_use]
pub fn is_current(medication: &Medication, today: NaiveDate) -> bool {
    if medication.prescription_type.is_repeat() || medication.is_prescribed_elsewhere() {
        return medication.is_active();
    }
    if let MedicationStatus::Discontinued { on, .. } = &medication.status
        && *on <= today
    {
        return false;
    }
    let last = medication.last_issue().map(|i| i.date).unwrap_or_else(|| medication.started.latest());
    let age = (today - last).num_days();
    (0..=ACUTE_WINDOW_DAYS).contains(&age)
}

/// The current medicines, sorted by product name for a stable display.
#[must_use]
pub fn current_medicines(record: &GpRecord, today: NaiveDate) -> Vec<&Medication> {
    let mut current: Vec<&Medication> = record.medications.iter().filter(|m| is_current(m, today)).collect();
    current.sort_by(|a, b| a.product.name.cmp(&b.product.name).then(a.meta.id.cmp(&b.meta.id)));
    current
}

/// The day the supply from the last issue runs out, for a medicine the practice issues.
#[must_use]
pub fn supply_runs_out(medication: &Medication) -> Option<NaiveDate> {
    let last = medication.last_issue()?;
    last.date.checked_add_days(chrono::Days::new(u64::from(last.days_supply)))
}

/// True when a current repeat's next issue is more than `grace_days` late.
#[must_use]
pub fn is_overdue(medication: &Medication, today: NaiveDate, grace_days: i64) -> bool {
    if !medication.prescription_type.is_repeat() || !is_current(medication, today) {
        return false;
    }
    match supply_runs_out(medication) {
        Some(out) => (today - out).num_days() > grace_days,
        None => false,
    }
}

/// The therapeutic group of a medicine, from its dm+d code.
#[must_use]
pub fn class_of(medication: &Medication) -> Option<DrugClass> {
    drug_class(medication.product.code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dates::PartialDate;
    use crate::identifiers::{EntryId, SnomedCode};
    use crate::practice::ClinicianId;
    use crate::record::{EntryMeta, Issue, PrescriptionSource, PrescriptionType, Product, Quantity};

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn medication(kind: PrescriptionType, issues: &[&str], status: MedicationStatus) -> Medication {
        let gp = ClinicianId("G0000001".into());
        Medication {
            meta: EntryMeta {
                id: EntryId(1),
                recorded_on: day("2024-01-01"),
                recorded_by: gp.clone(),
                confidential: false,
            },
            product: Product { code: SnomedCode::known(703908001), name: "Apixaban 5mg tablets".into() },
            dose: "One tablet twice a day".into(),
            patient_instructions: None,
            quantity: Quantity::measured(56.0, "tablet"),
            prescription_type: kind,
            started: PartialDate::Day(day("2024-01-01")),
            status,
            authorised_issues: Some(6),
            authorised_from: Some(day("2024-01-01")),
            review_due: None,
            source: PrescriptionSource::Practice { authoriser: gp.clone() },
            issues: issues
                .iter()
                .map(|d| Issue { date: day(d), quantity: 56.0, days_supply: 28, issued_by: gp.clone() })
                .collect(),
        }
    }

    #[test]
    fn an_active_repeat_is_current_and_overdue_only_after_supply_and_grace() {
        let m = medication(PrescriptionType::Repeat, &["2024-01-01", "2024-01-29"], MedicationStatus::Active);
        // Supply runs out on 2024-02-26; 14 days' grace ends 2024-03-11.
        assert_eq!(supply_runs_out(&m), Some(day("2024-02-26")));
        assert!(is_current(&m, day("2024-06-01")));
        assert!(!is_overdue(&m, day("2024-03-11"), 14));
        assert!(is_overdue(&m, day("2024-03-12"), 14));
    }

    #[test]
    fn an_acute_course_is_current_for_ninety_days_after_issue() {
        let m = medication(
            PrescriptionType::Acute,
            &["2024-01-01"],
            MedicationStatus::Completed { on: PartialDate::Day(day("2024-01-08")) },
        );
        assert!(is_current(&m, day("2024-03-31")));
        assert!(!is_current(&m, day("2024-04-01")));
        assert!(!is_overdue(&m, day("2024-03-01"), 14), "acute courses are never overdue");
    }

    #[test]
    fn a_discontinued_repeat_is_not_current() {
        let m = medication(
            PrescriptionType::Repeat,
            &["2024-01-01"],
            MedicationStatus::Discontinued { on: day("2024-02-01"), reason: "Bleeding risk".into() },
        );
        assert!(!is_current(&m, day("2024-02-02")));
    }
}
