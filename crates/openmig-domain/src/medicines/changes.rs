//! What changed in the medicines since a date ("since admission", "since clinic").
//!
//! Rules, for each medication entry:
//! * **Started**: its start date possibly falls in `[since, today]` (a partial date counts
//!   when any day it could mean does, the GP Connect filtering rule used across openmig).
//! * **Stopped**: discontinued by a clinician on a day in `[since, today]`, with the
//!   recorded reason; a repeat *completed* in the range is reported as stopped without a
//!   reason. Acute courses complete by design, so their completion is not a change (their
//!   start is).
//! * **Dose changed**: a new course of the same [`Substance`] whose start is within
//!   `link_days` (default 7) of the day an earlier course of that substance was stopped,
//!   and whose strength or dose instruction differs (strengths compared with
//!   [`Strength::matches`], so "Epilim Chrono 500" is the same strength as "500mg"). GP systems record a dose change as
//!   "stop the old, add the new", usually on the same day; the pair is reported once, as
//!   the change, instead of a stop and a start.
//! * **Product switched**: the same pairing where strength and dose are the same but the
//!   dm+d product differs (brand ↔ generic, e.g. Epilim Chrono 500 → sodium valproate
//!   500mg): the substance continues, the product changed, which matters for
//!   anti-epileptics.
//!
//! A new course identical to the stopped one (same product, strength and dose) is not
//! paired: it is listed as stopped and started, because a restart is worth seeing.
//! Changes are sorted by date, then kind, then entry id.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::substance::{Strength, Substance, normalise_dose, strength_of};
use crate::dates::PartialDate;
use crate::identifiers::{EntryId, SnomedCode};
use crate::record::{GpRecord, Medication, MedicationStatus, PrescriptionType};

/// A medicine as changes and request checks name it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MedicineRef {
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
    /// True when prescribed outside the practice.
    pub prescribed_elsewhere: bool,
}

impl MedicineRef {
    /// Names a medication.
    #[must_use]
    pub fn of(medication: &Medication) -> MedicineRef {
        MedicineRef {
            entry: medication.meta.id,
            name: medication.product.name.clone(),
            code: medication.product.code,
            strength: strength_of(&medication.product),
            dose: medication.dose.clone(),
            prescription_type: medication.prescription_type,
            prescribed_elsewhere: medication.is_prescribed_elsewhere(),
        }
    }
}

/// One change.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind")]
pub enum MedicineChange {
    /// A new medicine.
    Started {
        /// When.
        on: PartialDate,
        /// What.
        medicine: MedicineRef,
    },
    /// A medicine stopped.
    Stopped {
        /// When.
        on: PartialDate,
        /// The reason recorded (none for a completed repeat).
        reason: Option<String>,
        /// What.
        medicine: MedicineRef,
    },
    /// The same substance at a different strength or dose.
    DoseChanged {
        /// When the new course started.
        on: PartialDate,
        /// The course stopped.
        from: MedicineRef,
        /// The course started.
        to: MedicineRef,
        /// The reason recorded on the stopped course.
        reason: Option<String>,
    },
    /// The same substance, strength and dose as a different product (brand ↔ generic).
    ProductSwitched {
        /// When the new course started.
        on: PartialDate,
        /// The course stopped.
        from: MedicineRef,
        /// The course started.
        to: MedicineRef,
        /// The reason recorded on the stopped course.
        reason: Option<String>,
    },
}

impl MedicineChange {
    /// The day the change happened (the earliest day a partial date can mean).
    #[must_use]
    pub fn on(&self) -> NaiveDate {
        match self {
            MedicineChange::Started { on, .. }
            | MedicineChange::Stopped { on, .. }
            | MedicineChange::DoseChanged { on, .. }
            | MedicineChange::ProductSwitched { on, .. } => on.earliest(),
        }
    }

    fn order(&self) -> (NaiveDate, u8, EntryId) {
        match self {
            MedicineChange::Stopped { medicine, .. } => (self.on(), 0, medicine.entry),
            MedicineChange::DoseChanged { to, .. } => (self.on(), 1, to.entry),
            MedicineChange::ProductSwitched { to, .. } => (self.on(), 2, to.entry),
            MedicineChange::Started { medicine, .. } => (self.on(), 3, medicine.entry),
        }
    }
}

/// The changes since a day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MedicineChanges {
    /// First day considered.
    pub since: NaiveDate,
    /// Last day considered.
    pub to: NaiveDate,
    /// The changes, by date.
    pub changes: Vec<MedicineChange>,
}

/// The changes in `[since, today]` (see the module rules).
#[must_use]
pub fn changes_since(record: &GpRecord, since: NaiveDate, today: NaiveDate, link_days: i64) -> MedicineChanges {
    let in_range = |d: PartialDate| d.possibly_on_or_after(since) && d.earliest() <= today;
    let mut started: Vec<&Medication> = record.medications.iter().filter(|m| in_range(m.started)).collect();
    started.sort_by_key(|m| (m.started, m.meta.id));
    let mut paired_old: Vec<EntryId> = Vec::new();
    let mut changes = Vec::new();
    for new in started {
        match predecessor(record, new, link_days, &paired_old) {
            Some((old, reason)) => {
                paired_old.push(old.meta.id);
                let (from, to) = (MedicineRef::of(old), MedicineRef::of(new));
                let same_strength = match (&from.strength, &to.strength) {
                    (Some(a), Some(b)) => a.matches(b),
                    (a, b) => a == b,
                };
                let same_dose = same_strength && normalise_dose(&from.dose) == normalise_dose(&to.dose);
                changes.push(if same_dose {
                    MedicineChange::ProductSwitched { on: new.started, from, to, reason }
                } else {
                    MedicineChange::DoseChanged { on: new.started, from, to, reason }
                });
            }
            None => changes.push(MedicineChange::Started { on: new.started, medicine: MedicineRef::of(new) }),
        }
    }
    for medication in &record.medications {
        if paired_old.contains(&medication.meta.id) {
            continue;
        }
        if let Some((on, reason)) = stop_of(medication).filter(|(on, _)| in_range(*on)) {
            changes.push(MedicineChange::Stopped { on, reason, medicine: MedicineRef::of(medication) });
        }
    }
    changes.sort_by_key(MedicineChange::order);
    MedicineChanges { since, to: today, changes }
}

/// When and why a course was stopped by a clinician (or a repeat ran its course).
fn stop_of(medication: &Medication) -> Option<(PartialDate, Option<String>)> {
    match &medication.status {
        MedicationStatus::Discontinued { on, reason } => Some((PartialDate::Day(*on), Some(reason.clone()))),
        MedicationStatus::Completed { on } if medication.prescription_type.is_repeat() => Some((*on, None)),
        _ => None,
    }
}

/// The stopped course `new` replaces, if any: same substance, stopped within `link_days`
/// of `new`'s start, started before it, not already paired, and not identical to it.
/// The closest stop wins, then the lowest entry id, so the answer is order-independent.
fn predecessor<'a>(
    record: &'a GpRecord,
    new: &Medication,
    link_days: i64,
    paired: &[EntryId],
) -> Option<(&'a Medication, Option<String>)> {
    let substance = Substance::of_product(&new.product);
    let start = new.started.earliest();
    record
        .medications
        .iter()
        .filter(|old| old.meta.id != new.meta.id && !paired.contains(&old.meta.id) && old.started < new.started)
        .filter(|old| Substance::of_product(&old.product) == substance)
        .filter(|old| old.product.code != new.product.code || normalise_dose(&old.dose) != normalise_dose(&new.dose))
        .filter_map(|old| {
            let (on, reason) = stop_of(old)?;
            let distance = (start.num_days_from_ce() - on.earliest().num_days_from_ce()).abs();
            (i64::from(distance) <= link_days).then_some((distance, old.meta.id, old, reason))
        })
        .min_by_key(|(distance, id, _, _)| (*distance, *id))
        .map(|(_, _, old, reason)| (old, reason))
}
