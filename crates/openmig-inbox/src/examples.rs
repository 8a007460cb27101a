//! Write-back documents as a sending system builds them, for tests and demos of every
//! crate that handles write-back (feature `examples`): an emergency department discharge
//! summary as a FHIR document Bundle and an out-of-hours consultation summary as a
//! DocumentReference. Synthetic; codes from `shared/design/codes.md` (atrial
//! fibrillation 49436004, apixaban 5mg tablets 703908001, naproxen 500mg tablets
//! 329807003).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

/// The identifier system of the example documents: the sending system's own.
pub const EXAMPLE_SYSTEM: &str = "https://ed.synthetic-general.example/documents";

/// An emergency department discharge summary for `nhs` as a FHIR document Bundle with
/// business identifier `id`: narrative sections, a coded diagnosis (atrial fibrillation)
/// and two medication changes (apixaban started, naproxen stopped with its reason); the
/// author is the emergency department `ZC010`.
pub fn discharge_summary(nhs: &str, id: &str) -> Value {
    json!({
        "resourceType": "Bundle",
        "type": "document",
        "identifier": { "system": EXAMPLE_SYSTEM, "value": id },
        "timestamp": "2026-11-25T11:30:00Z",
        "entry": [
            { "fullUrl": "urn:uuid:0f0e6b43-2d8a-4b5e-9d5c-000000000001", "resource": {
                "resourceType": "Composition",
                "status": "final",
                "type": { "text": "Emergency department discharge summary" },
                "subject": {
                    "reference": "urn:uuid:0f0e6b43-2d8a-4b5e-9d5c-000000000002",
                    "identifier": { "system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs }
                },
                "date": "2026-11-25T11:30:00+00:00",
                "author": [
                    { "reference": "urn:uuid:0f0e6b43-2d8a-4b5e-9d5c-000000000003" },
                    { "type": "Practitioner", "display": "Dr A Registrar" }
                ],
                "title": "Emergency department discharge summary",
                "section": [
                    { "title": "Presenting complaint", "text": { "status": "generated",
                        "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Palpitations for two hours.</p></div>" } },
                    { "title": "Diagnoses", "text": { "status": "generated",
                        "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\"><ul><li>Atrial fibrillation, new</li></ul></div>" },
                      "entry": [{ "reference": "urn:uuid:0f0e6b43-2d8a-4b5e-9d5c-000000000004" }] },
                    { "title": "Medication changes", "section": [
                        { "title": "Started", "text": { "status": "generated",
                            "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">Apixaban 5mg twice a day</div>" } },
                        { "title": "Stopped", "text": { "status": "generated",
                            "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">Naproxen (bleeding risk with apixaban)</div>" } }
                    ] }
                ]
            }},
            { "fullUrl": "urn:uuid:0f0e6b43-2d8a-4b5e-9d5c-000000000002", "resource": {
                "resourceType": "Patient",
                "identifier": [{ "system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs }]
            }},
            { "fullUrl": "urn:uuid:0f0e6b43-2d8a-4b5e-9d5c-000000000003", "resource": {
                "resourceType": "Organization",
                "identifier": [{ "system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "ZC010" }],
                "name": "Synthetic General Hospital Emergency Department"
            }},
            { "fullUrl": "urn:uuid:0f0e6b43-2d8a-4b5e-9d5c-000000000004", "resource": {
                "resourceType": "Condition",
                "clinicalStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active" }] },
                "code": { "coding": [{ "system": "http://snomed.info/sct", "code": "49436004", "display": "Atrial fibrillation" }] },
                "subject": { "reference": "urn:uuid:0f0e6b43-2d8a-4b5e-9d5c-000000000002" }
            }},
            { "fullUrl": "urn:uuid:0f0e6b43-2d8a-4b5e-9d5c-000000000005", "resource": {
                "resourceType": "MedicationStatement",
                "status": "active",
                "medicationCodeableConcept": { "coding": [{ "system": "https://dmd.nhs.uk", "code": "703908001", "display": "Apixaban 5mg tablets" }] },
                "subject": { "reference": "urn:uuid:0f0e6b43-2d8a-4b5e-9d5c-000000000002" },
                "dosage": [{ "text": "One tablet twice a day" }]
            }},
            { "fullUrl": "urn:uuid:0f0e6b43-2d8a-4b5e-9d5c-000000000006", "resource": {
                "resourceType": "MedicationStatement",
                "status": "stopped",
                "statusReason": [{ "text": "Bleeding risk with apixaban" }],
                "medicationCodeableConcept": { "coding": [{ "system": "https://dmd.nhs.uk", "code": "329807003", "display": "Naproxen 500mg tablets" }] },
                "subject": { "identifier": { "system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs } }
            }}
        ]
    })
}

/// An out-of-hours consultation summary for `nhs` as a DocumentReference with business
/// identifier `id`, its `letter` a text/plain attachment; titled by its description
/// "Out-of-hours consultation"; the author is the out-of-hours service `ZC030`.
pub fn consultation_summary(nhs: &str, id: &str, letter: &str) -> Value {
    json!({
        "resourceType": "DocumentReference",
        "status": "current",
        "masterIdentifier": { "system": EXAMPLE_SYSTEM, "value": id },
        "type": { "text": "Out-of-hours consultation summary" },
        "subject": { "identifier": { "system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs } },
        "date": "2026-11-24T16:05:00Z",
        "author": [{ "type": "Organization", "identifier": { "system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "ZC030" }, "display": "Synthetic Out-of-Hours GP Service" }],
        "description": "Out-of-hours consultation",
        "content": [{ "attachment": { "contentType": "text/plain; charset=utf-8", "data": STANDARD.encode(letter) } }]
    })
}
