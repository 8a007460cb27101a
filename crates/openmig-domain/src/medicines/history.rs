//! Prescribing history per medicine (per substance), every issue with the gap before it.
//!
//! A clinician asking "has she been getting her sertraline?" wants one history for the
//! drug across strengths, brands, re-authorisations and acute re-issues. So the history is
//! grouped by [`Substance`]: its courses (medication entries) and all their issues in date
//! order.
//!
//! Rule (gap): for each issue after the first, `gap_days = issue date − (previous issue
//! date + previous days' supply)`: positive when the patient went without for that many
//! days, negative when the issue came early. The gap is not computed (`None`) when the
//! previous issue had no days' supply, or when the previous issue's course had been
//! discontinued by a clinician on or before this issue (a stop, a dose change or a brand
//! switch is a deliberate break, shown as a course boundary, not a missed issue). A gap
//! longer than the configured threshold (default [`super::DEFAULT_OVERDUE_GRACE_DAYS`],
//! the same grace the overdue rule gives) is marked `long_gap` when both issues belong to
//! repeat courses; acute courses are issued when needed, so their gaps are shown unmarked.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::substance::{Strength, Substance, strength_of};
use super::view::NOT_ISSUED_BY_PRACTICE;
use crate::dates::PartialDate;
use crate::identifiers::{EntryId, SnomedCode};
use crate::record::{GpRecord, Medication, MedicationStatus, PrescriptionType};

/// The history of one substance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MedicineHistory {
    /// The substance key.
    pub substance: Substance,
    /// Its courses, by start date then entry id.
    pub courses: Vec<Course>,
    /// Every issue of every course, oldest first, with gaps.
    pub issues: Vec<IssueRow>,
}

/// One medication entry (an authorisation or acute course) in a history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Course {
    /// The medication entry.
    pub entry: EntryId,
    /// dm+d name.
    pub name: String,
    /// dm+d code.
    pub code: SnomedCode,
    /// Strength read from the name.
    pub strength: Option<Strength>,
    /// Dose instruction as written.
    pub dose: String,
    /// Acute, repeat or repeat dispensing.
    pub prescription_type: PrescriptionType,
    /// When it started.
    pub started: PartialDate,
    /// Active, completed or discontinued (with the reason).
    pub status: MedicationStatus,
    /// [`NOT_ISSUED_BY_PRACTICE`] for medicines prescribed elsewhere.
    pub source_note: Option<&'static str>,
}

/// One issue in a history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IssueRow {
    /// The course it belongs to.
    pub entry: EntryId,
    /// Day of issue.
    pub date: NaiveDate,
    /// Quantity issued.
    pub quantity: f64,
    /// Days' supply.
    pub days_supply: u16,
    /// Days from the previous issue's supply running out to this issue (negative =
    /// early); `None` for the first issue and after a deliberate stop.
    pub gap_days: Option<i64>,
    /// The gap exceeds the threshold (repeats only).
    pub long_gap: bool,
}

/// Every substance's history, sorted by substance.
#[must_use]
pub fn histories(record: &GpRecord, long_gap_days: i64) -> Vec<MedicineHistory> {
    let mut groups: BTreeMap<Substance, Vec<&Medication>> = BTreeMap::new();
    for medication in &record.medications {
        groups.entry(Substance::of_product(&medication.product)).or_default().push(medication);
    }
    groups.into_iter().map(|(substance, courses)| history(substance, courses, long_gap_days)).collect()
}

/// The history of one substance's courses.
fn history(substance: Substance, mut courses: Vec<&Medication>, long_gap_days: i64) -> MedicineHistory {
    courses.sort_by_key(|m| (m.started, m.meta.id));
    let mut rows: Vec<(&Medication, IssueRow)> = courses
        .iter()
        .flat_map(|m| {
            m.issues.iter().map(move |i| {
                let row = IssueRow {
                    entry: m.meta.id,
                    date: i.date,
                    quantity: i.quantity,
                    days_supply: i.days_supply,
                    gap_days: None,
                    long_gap: false,
                };
                (*m, row)
            })
        })
        .collect();
    rows.sort_by(|(_, a), (_, b)| {
        a.date.cmp(&b.date).then(a.entry.cmp(&b.entry)).then(a.days_supply.cmp(&b.days_supply))
    });
    for k in 1..rows.len() {
        let (previous_course, previous) = (rows[k - 1].0, rows[k - 1].1.clone());
        let (course, row) = (rows[k].0, &mut rows[k].1);
        let stopped_before = match &previous_course.status {
            MedicationStatus::Discontinued { on, .. } => previous_course.meta.id != course.meta.id && *on <= row.date,
            _ => false,
        };
        if previous.days_supply == 0 || stopped_before {
            continue;
        }
        let gap = (row.date - previous.date).num_days() - i64::from(previous.days_supply);
        row.gap_days = Some(gap);
        row.long_gap = gap > long_gap_days
            && previous_course.prescription_type.is_repeat()
            && course.prescription_type.is_repeat();
    }
    MedicineHistory {
        substance,
        courses: courses
            .iter()
            .map(|m| Course {
                entry: m.meta.id,
                name: m.product.name.clone(),
                code: m.product.code,
                strength: strength_of(&m.product),
                dose: m.dose.clone(),
                prescription_type: m.prescription_type,
                started: m.started,
                status: m.status.clone(),
                source_note: m.is_prescribed_elsewhere().then_some(NOT_ISSUED_BY_PRACTICE),
            })
            .collect(),
        issues: rows.into_iter().map(|(_, row)| row).collect(),
    }
}
