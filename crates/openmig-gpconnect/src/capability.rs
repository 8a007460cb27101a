//! The STU3 CapabilityStatement served at `GET [base]/metadata` (gpconnect.md §6,
//! "CapabilityStatement"), describing only what this provider really does: JSON only,
//! the one operation, and the profiles of the resources it emits today.

use openmig_domain::Practice;
use openmig_fhir::stu3::urls;
use serde_json::{Value, json};

use crate::error::OPERATION_OUTCOME_PROFILE;

/// The OperationDefinition of `$gpc.getstructuredrecord` (gpconnect.md §1).
pub const OPERATION_DEFINITION: &str =
    "https://fhir.nhs.uk/STU3/OperationDefinition/GPConnect-GetStructuredRecord-Operation-1";

/// The CapabilityStatement for `practice`'s endpoint.
pub fn capability_statement(practice: &Practice) -> Value {
    capability_statement_published_by(&practice.name)
}

/// The same CapabilityStatement published by `publisher`: the gateway serves the same
/// operation with the same parameters at its own base.
pub fn capability_statement_published_by(publisher: &str) -> Value {
    json!({
        "resourceType": "CapabilityStatement",
        "version": "1.5.1",
        "name": "GP Connect API - Access Record Structured",
        "status": "active",
        "date": "2026-11-25",
        "publisher": publisher,
        "description": "openmig GP Connect Access Record Structured provider. Supported: patientNHSNumber, includeAllergies (includeResolvedAllergies), includeMedication (includePrescriptionIssues, medicationSearchFromDate), includeConsultations (consultationSearchPeriod, includeNumberOfMostRecent), includeProblems (filterStatus, filterSignificance), includeImmunisations (includeNotGiven), includeReferrals (referralSearchPeriod), includeUncategorisedData (uncategorisedDataSearchPeriod), includeInvestigations (investigationSearchPeriod, on DiagnosticReport.issued). includeDiaryEntries answers 501 NOT_IMPLEMENTED: the GP record holds no diary entries (recalls).",
        "kind": "instance",
        "software": { "name": "openmig", "version": env!("CARGO_PKG_VERSION") },
        "fhirVersion": "3.0.1",
        "acceptUnknown": "both",
        "format": ["application/fhir+json"],
        "profile": [
            { "reference": urls::BUNDLE_PROFILE },
            { "reference": urls::PATIENT_PROFILE },
            { "reference": urls::ORGANIZATION_PROFILE },
            { "reference": urls::PRACTITIONER_PROFILE },
            { "reference": urls::PRACTITIONER_ROLE_PROFILE },
            { "reference": urls::ALLERGY_PROFILE },
            { "reference": urls::MEDICATION_PROFILE },
            { "reference": urls::MEDICATION_STATEMENT_PROFILE },
            { "reference": urls::MEDICATION_REQUEST_PROFILE },
            { "reference": urls::CONDITION_PROFILE },
            { "reference": urls::IMMUNIZATION_PROFILE },
            { "reference": urls::REFERRAL_REQUEST_PROFILE },
            { "reference": urls::OBSERVATION_PROFILE },
            { "reference": urls::DIAGNOSTIC_REPORT_PROFILE },
            { "reference": urls::ENCOUNTER_PROFILE },
            { "reference": urls::LIST_PROFILE },
            { "reference": OPERATION_OUTCOME_PROFILE },
        ],
        "rest": [{
            "mode": "server",
            "security": { "cors": false },
            "operation": [{
                "name": "gpc.getstructuredrecord",
                "definition": { "reference": OPERATION_DEFINITION },
            }],
        }],
    })
}
