//! The first medicines rules: which medicines are current, when the next issue is due,
//! and which therapeutic groups a medicine belongs to.
//!
//! Rule for "current" (shown to clinicians and used by the trait finder):
//! * a repeat or repeat-dispensing medicine is current while its authorisation is active;
//! * a medicine prescribed elsewhere is current while active (it has no GP issues);
//! * an acute medicine is current when it was issued (or, if never issued, started)
//!   within the last [`ACUTE_WINDOW_DAYS`] days and was not discontinued before today.
//!
//! Overdue: a current repeat issued by the practice whose last issue's supply ran out
//! more than `grace_days` before today ("expected next issue passed by a grace").

use chrono::NaiveDate;

use crate::codesets::{DrugClass, drug_class};
use crate::record::{GpRecord, Medication, MedicationStatus};

/// How recent an acute course must be to count as current: three months, the window
/// clinicians use when reconciling "recent acute" medicines.
pub const ACUTE_WINDOW_DAYS: i64 = 90;

/// The default grace before a repeat counts as overdue.
pub const DEFAULT_OVERDUE_GRACE_DAYS: i64 = 14;

/// True when the medicine counts as current on `today` (see the module rule).
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
pub fn current_medicines(record: &GpRecord, today: NaiveDate) -> Vec<&Medication> {
    let mut current: Vec<&Medication> = record.medications.iter().filter(|m| is_current(m, today)).collect();
    current.sort_by(|a, b| a.product.name.cmp(&b.product.name).then(a.meta.id.cmp(&b.meta.id)));
    current
}

/// The day the supply from the last issue runs out, for a medicine the practice issues.
pub fn supply_runs_out(medication: &Medication) -> Option<NaiveDate> {
    let last = medication.last_issue()?;
    last.date.checked_add_days(chrono::Days::new(u64::from(last.days_supply)))
}

/// True when a current repeat's next issue is more than `grace_days` late.
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
            quantity: Quantity { value: 56.0, unit: "tablet".into() },
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
