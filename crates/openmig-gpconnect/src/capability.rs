//! The STU3 CapabilityStatement served at `GET [base]/metadata`, built on the example of
//! GP Connect 1.6.2's page "Get the FHIR capability statement" (Access Record
//! Structured): its `version` is the specification version implemented, the profiles
//! are listed with the versions that page gives, and the operation definition is
//! `…/GPConnect-GetStructuredRecord-Operation-1/_history/1.16`, as the page and NHS
//! England's provider tests (`FHIR.feature`) have it. It describes only what this
//! provider really does, so it departs from the example where openmig does less: JSON
//! only (no `application/fhir+xml`), no `gpc.migratestructuredrecord`, no CORS, and only
//! the profiles of the resources it emits.

use openmig_domain::Practice;
use openmig_fhir::stu3::urls;
use serde_json::{Value, json};

use crate::error::OPERATION_OUTCOME_PROFILE;

/// The GP Connect specification version implemented.
pub const SPECIFICATION_VERSION: &str = "1.6.2";

/// The OperationDefinition of `$gpc.getstructuredrecord`, at the version the 1.6.2
/// CapabilityStatement example gives.
pub const OPERATION_DEFINITION: &str =
    "https://fhir.nhs.uk/STU3/OperationDefinition/GPConnect-GetStructuredRecord-Operation-1/_history/1.16";

/// Each profile a resource of this provider's answers carries, with the version the 1.6.2
/// CapabilityStatement example lists it at.
const PROFILES: &[(&str, &str)] = &[
    (urls::BUNDLE_PROFILE, "1.3"),
    (urls::PATIENT_PROFILE, "1.8"),
    (urls::ORGANIZATION_PROFILE, "1.4"),
    (urls::PRACTITIONER_PROFILE, "1.3"),
    (urls::PRACTITIONER_ROLE_PROFILE, "1.2"),
    (urls::ALLERGY_PROFILE, "1.7"),
    (urls::MEDICATION_PROFILE, "1.2"),
    (urls::MEDICATION_STATEMENT_PROFILE, "1.7"),
    (urls::MEDICATION_REQUEST_PROFILE, "1.6"),
    (urls::CONDITION_PROFILE, "1.7"),
    (urls::IMMUNIZATION_PROFILE, "1.5"),
    (urls::REFERRAL_REQUEST_PROFILE, "1.2"),
    (urls::OBSERVATION_PROFILE, "1.7"),
    (urls::DIAGNOSTIC_REPORT_PROFILE, "1.3"),
    (urls::ENCOUNTER_PROFILE, "1.5"),
    (urls::LIST_PROFILE, "1.7"),
    (OPERATION_OUTCOME_PROFILE, "1.2"),
];

/// The CapabilityStatement for `practice`'s endpoint.
pub fn capability_statement(practice: &Practice) -> Value {
    capability_statement_published_by(&practice.name)
}

/// The same CapabilityStatement published by `publisher`: the gateway serves the same
/// operation with the same parameters at its own base.
pub fn capability_statement_published_by(publisher: &str) -> Value {
    let profiles: Vec<Value> =
        PROFILES.iter().map(|(url, version)| json!({ "reference": format!("{url}/_history/{version}") })).collect();
    json!({
        "resourceType": "CapabilityStatement",
        "version": SPECIFICATION_VERSION,
        "name": "GP Connect API - Access Record Structured",
        "status": "active",
        "date": "2026-12-08",
        "publisher": publisher,
        "description": format!("This server implements the GP Connect API - Access Record Structured version {SPECIFICATION_VERSION} (openmig). Supported: patientNHSNumber, includeAllergies (includeResolvedAllergies), includeMedication (includePrescriptionIssues, medicationSearchFromDate), includeConsultations (consultationSearchPeriod, includeNumberOfMostRecent), includeProblems (filterStatus, filterSignificance), includeImmunisations (includeNotGiven), includeReferrals (referralSearchPeriod), includeUncategorisedData (uncategorisedDataSearchPeriod), includeInvestigations (investigationSearchPeriod, on DiagnosticReport.issued). includeDiaryEntries answers 501 NOT_IMPLEMENTED: the GP record holds no diary entries (recalls). JSON only; gpc.migratestructuredrecord is not supported."),
        "kind": "capability",
        "software": { "name": "openmig", "version": env!("CARGO_PKG_VERSION") },
        "fhirVersion": "3.0.1",
        "acceptUnknown": "both",
        "format": ["application/fhir+json"],
        "profile": profiles,
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
