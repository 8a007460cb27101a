//! What every resource builder needs: the patient and practice references, and the
//! Practitioners referenced so far (only those end up in the Bundle).

use std::collections::BTreeSet;

use openmig_domain::{Clinician, ClinicianId, GpRecord, NhsNumber, Practice};
use serde_json::{Value, json};

use super::ids;
use super::section::Section;

/// Shared state while one Bundle is built.
pub(crate) struct Context<'a> {
    pub nhs: NhsNumber,
    pub practice: &'a Practice,
    clinicians: &'a [Clinician],
    referenced: BTreeSet<ClinicianId>,
    /// Sections the record's own source withheld items from (a gateway relaying a
    /// practice's answer): their Lists say so as this writer's own withholding would.
    withheld_upstream: &'a BTreeSet<Section>,
}

impl<'a> Context<'a> {
    pub fn new(
        record: &GpRecord,
        practice: &'a Practice,
        clinicians: &'a [Clinician],
        withheld_upstream: &'a BTreeSet<Section>,
    ) -> Self {
        Context { nhs: record.patient.nhs_number, practice, clinicians, referenced: BTreeSet::new(), withheld_upstream }
    }

    /// True when the record's source withheld items of `section`.
    pub fn withheld_upstream(&self, section: Option<Section>) -> bool {
        section.is_some_and(|section| self.withheld_upstream.contains(&section))
    }

    /// `{"reference": "Patient/…"}`.
    pub fn patient_ref(&self) -> Value {
        json!({ "reference": format!("Patient/{}", ids::patient(self.nhs)) })
    }

    /// `{"reference": "Organization/…"}` for the practice.
    pub fn organization_ref(&self) -> Value {
        json!({ "reference": format!("Organization/{}", ids::organization(&self.practice.ods_code)) })
    }

    /// A reference to the clinician's Practitioner, remembering that the Bundle must
    /// carry it. `None` when the clinician is unknown: a reference must never dangle.
    pub fn practitioner_ref(&mut self, id: &ClinicianId) -> Option<Value> {
        self.clinician(id)?;
        self.referenced.insert(id.clone());
        Some(json!({ "reference": format!("Practitioner/{}", ids::practitioner(id)) }))
    }

    /// The clinician with this id, if given.
    pub fn clinician(&self, id: &ClinicianId) -> Option<&'a Clinician> {
        self.clinicians.iter().find(|c| &c.id == id)
    }

    /// Every clinician referenced so far, in id order.
    pub fn referenced_clinicians(&self) -> Vec<&'a Clinician> {
        self.referenced.iter().filter_map(|id| self.clinician(id)).collect()
    }
}
