//! What every resource builder needs: the record, `today`, and references that are
//! only ever made to resources the patient's `$everything` really contains.
//!
//! A reference to a Practitioner is made only for a clinician the caller supplied; a
//! reference to a Condition or an Encounter only when that entry is shared (not
//! withheld). So nothing dangles, and no reference reveals that a withheld entry exists.

use chrono::NaiveDate;
use openmig_domain::record::Encounter;
use openmig_domain::{Clinician, ClinicianId, EntryId, GpRecord, NhsNumber, Practice};
use serde_json::{Value, json};

use super::{ids, withholding};

/// Shared state while the resources of one patient are built.
pub(crate) struct Context<'a> {
    pub record: &'a GpRecord,
    pub nhs: NhsNumber,
    pub practice: &'a Practice,
    pub today: NaiveDate,
    clinicians: &'a [Clinician],
    /// Shared encounters, earliest first (ties in record order).
    encounters: Vec<&'a Encounter>,
}

impl<'a> Context<'a> {
    pub fn new(record: &'a GpRecord, practice: &'a Practice, clinicians: &'a [Clinician], today: NaiveDate) -> Self {
        let mut encounters: Vec<&Encounter> = record.encounters.iter().filter(|e| !withholding::encounter(e)).collect();
        encounters.sort_by_key(|e| e.start);
        Context { record, nhs: record.patient.nhs_number, practice, today, clinicians, encounters }
    }

    /// `{"reference": "Patient/{nhs}"}`.
    pub fn patient_ref(&self) -> Value {
        json!({ "reference": format!("Patient/{}", ids::patient(self.nhs)) })
    }

    /// `{"reference": "Organization/{ods}"}` for the practice.
    pub fn organization_ref(&self) -> Value {
        json!({ "reference": format!("Organization/{}", ids::organization(&self.practice.ods_code)) })
    }

    /// A reference to the clinician's Practitioner; `None` when the caller did not
    /// supply that clinician (the Practitioner would be missing from `$everything`).
    pub fn practitioner_ref(&self, id: &ClinicianId) -> Option<Value> {
        self.clinicians
            .iter()
            .any(|c| &c.id == id)
            .then(|| json!({ "reference": format!("Practitioner/{}", ids::practitioner(id)) }))
    }

    /// The earliest shared encounter linked to an entry (where it was recorded, or later
    /// reviewed or stopped: the record does not say which), if any.
    pub fn encounter_of(&self, entry: EntryId) -> Option<Value> {
        self.encounters.iter().find(|e| e.linked.contains(&entry)).map(|e| encounter_ref(self.nhs, e))
    }

    /// The shared encounter on `day` that an entry is linked to (e.g. the consultation
    /// in which a medicine was issued), if any.
    pub fn encounter_on(&self, entry: EntryId, day: NaiveDate) -> Option<Value> {
        self.encounters
            .iter()
            .find(|e| e.start.date() == day && e.linked.contains(&entry))
            .map(|e| encounter_ref(self.nhs, e))
    }

    /// References to the shared problems an entry is linked to, in record order: why a
    /// medicine was prescribed or a vaccine given.
    pub fn reasons(&self, entry: EntryId) -> Vec<Value> {
        self.record
            .problems
            .iter()
            .filter(|p| p.related.contains(&entry) && !withholding::problem(p))
            .map(|p| condition_ref(self.nhs, p.meta.id))
            .collect()
    }

    /// A reference to a problem's Condition, when the problem is shared.
    pub fn shared_condition_ref(&self, entry: EntryId) -> Option<Value> {
        self.record
            .problems
            .iter()
            .find(|p| p.meta.id == entry && !withholding::problem(p))
            .map(|p| condition_ref(self.nhs, p.meta.id))
    }
}

/// `Condition/…` of a problem entry.
pub(crate) fn condition_ref(nhs: NhsNumber, entry: EntryId) -> Value {
    json!({ "reference": format!("Condition/{}", ids::entry("condition", nhs, entry)) })
}

fn encounter_ref(nhs: NhsNumber, encounter: &Encounter) -> Value {
    json!({ "reference": format!("Encounter/{}", ids::entry("encounter", nhs, encounter.meta.id)) })
}
