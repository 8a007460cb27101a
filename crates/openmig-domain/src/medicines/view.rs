//! One line of the current medicines list, with everything a clinician asks of it: what
//! exactly, at what dose, when last issued and how much, who prescribes it, how well it
//! is being issued, and why it is dangerous.
//!
//! Rule (acute courses repeated often): GP systems record each acute issue as its own
//! entry, so a patient given co-codamol five times in three months has five current
//! acute entries. The view merges current acute entries of the same product and the
//! same dose instruction into one line (the latest entry, listing the others in
//! `merged_entries`, counting every issue), so the list shows one co-codamol line that
//! says "issued 5 times". Repeats are never merged: each authorisation is its own line.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use serde::Serialize;

use super::adherence::{Adherence, SupplyAlert, SupplyRules, adherence, supply_alerts};
use super::flags::{HighRiskFlag, RiskContext, flags_for};
use super::substance::{Strength, Substance, normalise_dose, strength_of};
use super::{class_of, current_medicines};
use crate::codesets::DrugClass;
use crate::dates::PartialDate;
use crate::identifiers::{EntryId, SnomedCode};
use crate::record::{GpRecord, Issue, Medication, PrescriptionSource, PrescriptionType};

/// The note shown on medicines prescribed outside the practice.
pub const NOT_ISSUED_BY_PRACTICE: &str = "Not issued by the GP practice";

/// The facts of one issue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IssueSummary {
    /// The medication entry the issue belongs to.
    pub entry: EntryId,
    /// Day of issue.
    pub date: NaiveDate,
    /// Quantity issued, in the medication's unit.
    pub quantity: f64,
    /// Days the quantity lasts at the prescribed dose.
    pub days_supply: u16,
    /// The first day after the supply, when a next issue is expected.
    pub supply_ends: Option<NaiveDate>,
}

impl IssueSummary {
    /// Summarises an issue of `entry`.
    #[must_use]
    pub fn of(entry: EntryId, issue: &Issue) -> IssueSummary {
        IssueSummary {
            entry,
            date: issue.date,
            quantity: issue.quantity,
            days_supply: issue.days_supply,
            supply_ends: issue.date.checked_add_days(Days::new(u64::from(issue.days_supply))),
        }
    }
}

/// One current medicine as a clinician sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MedicineView {
    /// The medication entry (for merged acute courses, the latest).
    pub entry: EntryId,
    /// Earlier acute entries of the same product and dose merged into this line.
    pub merged_entries: Vec<EntryId>,
    /// dm+d name, e.g. "Epilim Chrono 500 tablets".
    pub name: String,
    /// dm+d code.
    pub code: SnomedCode,
    /// The substance key (see [`Substance`]).
    pub substance: Substance,
    /// The strength read from the name, when it has one.
    pub strength: Option<Strength>,
    /// The therapeutic group, when the code is in the code set.
    pub class: Option<DrugClass>,
    /// Dose instruction as written.
    pub dose: String,
    /// Additional patient instructions.
    pub patient_instructions: Option<String>,
    /// Quantity per issue.
    pub quantity: f64,
    /// Unit of the quantity, e.g. "tablet".
    pub unit: String,
    /// The quantity as the practice wrote it, when it is words rather than a number and
    /// a unit (see [`Quantity::text`](crate::record::Quantity::text)).
    pub quantity_text: Option<String>,
    /// Acute, repeat or repeat dispensing.
    pub prescription_type: PrescriptionType,
    /// When it was started.
    pub started: PartialDate,
    /// The most recent issue.
    pub last_issue: Option<IssueSummary>,
    /// Issues recorded (over merged entries too).
    pub issue_count: usize,
    /// Issues left in the current authorisation, for repeats.
    pub issues_remaining: Option<u32>,
    /// When the authorisation is due for review.
    pub review_due: Option<NaiveDate>,
    /// The practice's authoriser, or the organisation prescribing it.
    pub prescriber: PrescriptionSource,
    /// False for medicines prescribed elsewhere.
    pub issued_by_practice: bool,
    /// [`NOT_ISSUED_BY_PRACTICE`] for medicines prescribed elsewhere.
    pub source_note: Option<&'static str>,
    /// PDC over 3/6/12 months, or why there is none.
    pub adherence: Adherence,
    /// Overdue, stopped collecting, never issued, issued faster than used.
    pub supply_alerts: Vec<SupplyAlert>,
    /// High-risk flags, sorted.
    pub flags: Vec<HighRiskFlag>,
}

/// The current medicines as views, sorted by name then entry id (acute repeats merged).
#[must_use]
pub fn medicine_views(
    record: &GpRecord,
    today: NaiveDate,
    rules: &SupplyRules,
    context: &RiskContext,
) -> Vec<MedicineView> {
    let mut lines: Vec<Vec<&Medication>> = Vec::new();
    let mut acute_groups: BTreeMap<(SnomedCode, String), Vec<&Medication>> = BTreeMap::new();
    for medication in current_medicines(record, today) {
        if medication.prescription_type == PrescriptionType::Acute && !medication.is_prescribed_elsewhere() {
            acute_groups
                .entry((medication.product.code, normalise_dose(&medication.dose)))
                .or_default()
                .push(medication);
        } else {
            lines.push(vec![medication]);
        }
    }
    lines.extend(acute_groups.into_values());
    let mut views: Vec<MedicineView> =
        lines.into_iter().filter_map(|group| view_of(record, &group, today, rules, context)).collect();
    views.sort_by(|a, b| a.name.cmp(&b.name).then(a.entry.cmp(&b.entry)));
    views
}

/// The view of one medicine (or one group of merged acute entries).
fn view_of(
    record: &GpRecord,
    group: &[&Medication],
    today: NaiveDate,
    rules: &SupplyRules,
    context: &RiskContext,
) -> Option<MedicineView> {
    let latest_issue = |m: &Medication| m.last_issue().map(|i| i.date);
    let main = *group.iter().max_by_key(|m| (latest_issue(m), m.started, m.meta.id))?;
    let mut merged_entries: Vec<EntryId> = group.iter().map(|m| m.meta.id).filter(|id| *id != main.meta.id).collect();
    merged_entries.sort_unstable();
    let last_issue = group
        .iter()
        .flat_map(|m| m.issues.iter().map(|i| (i, m.meta.id)))
        .max_by_key(|(i, id)| (i.date, *id))
        .map(|(i, id)| IssueSummary::of(id, i));
    let elsewhere = main.is_prescribed_elsewhere();
    Some(MedicineView {
        entry: main.meta.id,
        merged_entries,
        name: main.product.name.clone(),
        code: main.product.code,
        substance: Substance::of_product(&main.product),
        strength: strength_of(&main.product),
        class: class_of(main),
        dose: main.dose.clone(),
        patient_instructions: main.patient_instructions.clone(),
        quantity: main.quantity.value,
        unit: main.quantity.unit.clone(),
        quantity_text: main.quantity.text.clone(),
        prescription_type: main.prescription_type,
        started: main.started,
        last_issue,
        issue_count: group.iter().map(|m| m.issues.len()).sum(),
        issues_remaining: main.issues_remaining(),
        review_due: main.review_due,
        prescriber: main.source.clone(),
        issued_by_practice: !elsewhere,
        source_note: elsewhere.then_some(NOT_ISSUED_BY_PRACTICE),
        adherence: adherence(main, today),
        supply_alerts: supply_alerts(record, main, today, rules),
        flags: flags_for(main, context),
    })
}
