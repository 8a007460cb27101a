//! GP practices and the clinicians who record in them.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::identifiers::OdsCode;
use crate::patient::Address;

/// A GP practice: the organisation that holds the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Practice {
    /// ODS code, e.g. `A81001`.
    pub ods_code: OdsCode,
    /// The practice's name as patients know it.
    pub name: String,
    /// Postal address.
    pub address: Address,
    /// Switchboard telephone number.
    pub telephone: String,
    /// Which clinical system holds the record; consumers show it ("record from EMIS Web").
    pub clinical_system: ClinicalSystem,
    /// Whether the practice has enabled record sharing. When false the gateway refuses
    /// every request for its patients with a clear reason.
    pub sharing_enabled: bool,
    /// The Spine accredited system id (ASID) of the practice's GP Connect endpoint.
    pub asid: String,
}

/// The GP clinical system a practice runs. The label is shown to clinicians; the variant
/// decides nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ClinicalSystem {
    /// EMIS Web (Optum).
    EmisWeb,
    /// SystmOne (TPP).
    SystmOne,
    /// Vision (Cegedim).
    Vision,
}

impl ClinicalSystem {
    /// Every system, for tables and tests.
    pub const ALL: [ClinicalSystem; 3] = [ClinicalSystem::EmisWeb, ClinicalSystem::SystmOne, ClinicalSystem::Vision];

    /// The name clinicians know the system by.
    pub fn label(self) -> &'static str {
        match self {
            ClinicalSystem::EmisWeb => "EMIS Web",
            ClinicalSystem::SystmOne => "SystmOne",
            ClinicalSystem::Vision => "Vision",
        }
    }
}

impl fmt::Display for ClinicalSystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A practice staff member's identifier, unique within the region (an SDS user id in
/// the real NHS; synthetic here).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ClinicianId(pub String);

impl fmt::Display for ClinicianId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Someone who records in the GP record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clinician {
    /// Region-unique identifier.
    pub id: ClinicianId,
    /// The practice they work for.
    pub practice: OdsCode,
    /// Title, e.g. "Dr".
    pub prefix: String,
    /// Given name.
    pub given: String,
    /// Family name.
    pub family: String,
    /// Professional role.
    pub role: ClinicianRole,
    /// Professional registration (GMC number for doctors, NMC PIN for nurses, GPhC for
    /// pharmacists), when the role has one.
    pub registration: Option<String>,
}

impl Clinician {
    /// "Dr Asha Patel".
    pub fn display_name(&self) -> String {
        if self.prefix.is_empty() {
            format!("{} {}", self.given, self.family)
        } else {
            format!("{} {} {}", self.prefix, self.given, self.family)
        }
    }
}

/// The professional role of a practice clinician.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ClinicianRole {
    /// General medical practitioner.
    GeneralPractitioner,
    /// Practice nurse.
    PracticeNurse,
    /// Clinical pharmacist working in the practice.
    Pharmacist,
    /// Healthcare assistant.
    HealthcareAssistant,
}

impl ClinicianRole {
    /// The role as clinicians name it.
    pub fn label(self) -> &'static str {
        match self {
            ClinicianRole::GeneralPractitioner => "General Medical Practitioner",
            ClinicianRole::PracticeNurse => "Practice Nurse",
            ClinicianRole::Pharmacist => "Clinical Pharmacist",
            ClinicianRole::HealthcareAssistant => "Healthcare Assistant",
        }
    }
}
