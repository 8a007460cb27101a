//! Property tests over Bundles in other suppliers' style: openmig's own Bundle for the
//! example record, rewritten as another GP system might send it (every id a GUID,
//! references `Type/<GUID>` or `urn:uuid:` with matching `fullUrl`s, any optional
//! element left out, codes replaced by their text), then read.
//!
//! - The record is never refused: nothing done here makes it unsafe.
//! - No item's text is lost: every clinical item's name in the Bundle is in the record
//!   read back, as an item or as a placeholder in its section.
//! - No other patient's data ever appears: a resource about another patient, however it
//!   names them, refuses the whole record.

mod common;

use std::collections::HashMap;

use common::bundle;
use openmig_domain::fixtures::{example_record, example_record_with_no_known_allergies};
use openmig_domain::{GpRecord, Patient};
use openmig_fhir::stu3::reader::{ReadRecord, read_structured_bundle_for};
use openmig_fhir::{ReadError, StructuredOptions};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Elements GP Connect makes 0..1 (or 0..*) on the resources openmig reads, which a
/// supplier may leave out. Subjects, ids and codes are not among them.
const OPTIONAL: &[&str] = &[
    "effectivePeriod",
    "effectiveDateTime",
    "dateAsserted",
    "assertedDate",
    "authoredOn",
    "onsetDateTime",
    "abatementDateTime",
    "recorder",
    "asserter",
    "performer",
    "participant",
    "period",
    "length",
    "issued",
    "note",
    "comment",
    "dosage",
    "dosageInstruction",
    "dispenseRequest",
    "reaction",
    "category",
    "criticality",
    "referenceRange",
    "clinicalStatus",
    "priority",
    "recipient",
    "lotNumber",
    "vaccinationProtocol",
    "date",
    "extension",
    "basedOn",
    "managingOrganization",
    "generalPractitioner",
    "birthDate",
    "gender",
    "address",
    "telecom",
    "name",
    "contained",
    "entry",
];

/// CodeableConcept elements whose codes a supplier may send as text only.
const CONCEPTS: &[&str] = &["code", "vaccineCode", "type", "reasonCode", "medicationCodeableConcept"];

/// The resource types that hold the record's items.
const ITEM_TYPES: &[&str] = &[
    "MedicationStatement",
    "AllergyIntolerance",
    "Condition",
    "Encounter",
    "Observation",
    "Immunization",
    "ReferralRequest",
];

/// How one Bundle is rewritten.
#[derive(Debug, Clone)]
struct Style {
    /// Seeds the GUIDs.
    seed: u64,
    /// `urn:uuid:` references and `fullUrl`s, else `Type/<GUID>` with no `fullUrl` (as
    /// GP Connect recommends).
    urn_uuid: bool,
    /// (resource, element) pairs to leave out, each taken modulo what there is.
    removals: Vec<(usize, usize)>,
    /// (resource, element) pairs whose CodeableConcept becomes its text.
    to_text: Vec<(usize, usize)>,
}

fn style() -> impl Strategy<Value = Style> {
    (
        any::<u64>(),
        any::<bool>(),
        prop::collection::vec((any::<usize>(), any::<usize>()), 0..16),
        prop::collection::vec((any::<usize>(), any::<usize>()), 0..8),
    )
        .prop_map(|(seed, urn_uuid, removals, to_text)| Style { seed, urn_uuid, removals, to_text })
}

/// A GUID-shaped id (the digits of a hash: only its shape matters to a reader).
fn guid(seed: u64, n: usize) -> String {
    let a = seed.wrapping_mul(6364136223846793005).wrapping_add((n as u64).wrapping_mul(1442695040888963407));
    let b = a.rotate_left(29) ^ 0x9e37_79b9_7f4a_7c15;
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        b & 0xfff,
        b >> 16 & 0xffff_ffff_ffff
    )
}

/// The Bundle in `style`.
fn rewrite(original: &Value, style: &Style) -> Value {
    let mut bundle = original.clone();
    let entries = bundle["entry"].as_array_mut().expect("entries");
    // New ids, then every reference rewritten to them.
    let mut renamed: HashMap<String, String> = HashMap::new();
    for (n, entry) in entries.iter_mut().enumerate() {
        let resource = &mut entry["resource"];
        let (Some(kind), Some(id)) = (resource["resourceType"].as_str(), resource["id"].as_str()) else { continue };
        let (kind, id) = (kind.to_owned(), id.to_owned());
        let new_id = guid(style.seed, n);
        let reference = if style.urn_uuid { format!("urn:uuid:{new_id}") } else { format!("{kind}/{new_id}") };
        renamed.insert(format!("{kind}/{id}"), reference.clone());
        resource["id"] = json!(new_id);
        // Another supplier's identifiers are its own.
        if resource.get("identifier").is_some() && !["Patient", "Organization", "Practitioner"].contains(&kind.as_str())
        {
            let value = guid(style.seed ^ 3, n);
            resource["identifier"] = json!([{ "system": "https://supplier.example/Id/record-entry", "value": value }]);
        }
        if style.urn_uuid {
            entry["fullUrl"] = json!(reference);
        } else if let Some(object) = entry.as_object_mut() {
            object.remove("fullUrl");
        }
    }
    rename_references(&mut bundle, &renamed);
    let entries = bundle["entry"].as_array_mut().expect("entries");
    for (n, entry) in entries.iter_mut().enumerate() {
        rename_contained(&mut entry["resource"], style.seed ^ n as u64);
    }
    let count = entries.len();
    for (at, element) in &style.removals {
        let resource = &mut entries[at % count]["resource"];
        if resource["resourceType"] == "Patient" && matches!(OPTIONAL[element % OPTIONAL.len()], "identifier") {
            continue;
        }
        if let Some(object) = resource.as_object_mut() {
            object.remove(OPTIONAL[element % OPTIONAL.len()]);
        }
    }
    for (at, element) in &style.to_text {
        let resource = &mut entries[at % count]["resource"];
        let field = CONCEPTS[element % CONCEPTS.len()];
        let concept = &mut resource[field];
        let concept = match concept {
            Value::Array(items) => match items.first_mut() {
                Some(first) => first,
                None => continue,
            },
            other => other,
        };
        if let Some(text) = concept_text(concept) {
            *concept = json!({ "text": text });
        }
    }
    bundle
}

/// Gives `resource`'s contained resources GUID ids, and its `#id` references to them.
fn rename_contained(resource: &mut Value, seed: u64) {
    let mut local: HashMap<String, String> = HashMap::new();
    for (n, contained) in resource["contained"].as_array_mut().into_iter().flatten().enumerate() {
        if let Some(id) = contained["id"].as_str() {
            let new_id = guid(seed.rotate_left(7), n);
            local.insert(format!("#{id}"), format!("#{new_id}"));
            contained["id"] = json!(new_id);
            if contained.get("identifier").is_some() {
                let value = guid(seed.rotate_left(11), n);
                contained["identifier"] =
                    json!([{ "system": "https://supplier.example/Id/record-entry", "value": value }]);
            }
        }
    }
    rename_references(resource, &local);
}

fn rename_references(value: &mut Value, renamed: &HashMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                if key == "reference"
                    && let Value::String(reference) = inner
                    && let Some(new) = renamed.get(reference.as_str())
                {
                    *reference = new.clone();
                } else {
                    rename_references(inner, renamed);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| rename_references(item, renamed)),
        _ => {}
    }
}

/// A CodeableConcept's text, or its first coding's display.
fn concept_text(concept: &Value) -> Option<String> {
    concept["text"]
        .as_str()
        .or_else(|| concept["coding"].as_array()?.iter().find_map(|c| c["display"].as_str()))
        .map(str::to_owned)
}

/// The name of every clinical item in the Bundle (a medicine by its Medication), as a
/// clinician would look for it.
fn item_names(bundle: &Value) -> Vec<String> {
    let mut by_reference: HashMap<String, &Value> = HashMap::new();
    for entry in bundle["entry"].as_array().expect("entries") {
        let resource = &entry["resource"];
        if let (Some(kind), Some(id)) = (resource["resourceType"].as_str(), resource["id"].as_str()) {
            by_reference.insert(format!("{kind}/{id}"), resource);
        }
        if let Some(url) = entry["fullUrl"].as_str() {
            by_reference.insert(url.to_owned(), resource);
        }
    }
    let mut names = Vec::new();
    for entry in bundle["entry"].as_array().expect("entries") {
        let resource = &entry["resource"];
        let kind = resource["resourceType"].as_str().unwrap_or_default();
        if !ITEM_TYPES.contains(&kind) {
            continue;
        }
        // A consultation's narrative is its Encounter's notes, not an item of its own.
        if kind == "Observation" && resource["code"]["coding"][0]["code"] == "37331000000100" {
            if let Some(comment) = resource["comment"].as_str() {
                names.push(comment.to_owned());
            }
            continue;
        }
        let name = match kind {
            "MedicationStatement" => resource["medicationReference"]["reference"]
                .as_str()
                .and_then(|r| by_reference.get(r))
                .and_then(|medication| concept_text(&medication["code"])),
            // The vaccination is its procedure; the vaccineCode may be "unknown" (UNK).
            "Immunization" => resource["extension"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|e| e["url"].as_str().is_some_and(|u| u.ends_with("VaccinationProcedure-1")))
                .and_then(|e| concept_text(&e["valueCodeableConcept"]))
                .or_else(|| concept_text(&resource["vaccineCode"])),
            "Encounter" => None, // named by its kind; its notes are checked above
            _ => concept_text(&resource["code"]),
        };
        names.extend(name.filter(|n| !n.trim().is_empty()));
    }
    names
}

/// Everything the read record shows a clinician, as one JSON text to search (the
/// record's `Debug` is redacted, by design).
fn shown(read: &ReadRecord) -> String {
    let placeholders: Vec<&str> = read.unshown.iter().map(|item| item.text.as_str()).collect();
    let record = serde_json::to_string(&read.record).expect("the record serialises");
    let rest = serde_json::to_string(&(placeholders, &read.warnings)).expect("text serialises");
    format!("{record}\n{rest}")
}

/// A name as it appears inside a JSON string.
fn json_text(text: &str) -> String {
    let quoted = serde_json::to_string(text).expect("text serialises");
    quoted[1..quoted.len() - 1].to_owned()
}

fn records() -> Vec<GpRecord> {
    vec![example_record(), example_record_with_no_known_allergies()]
}

fn originals() -> Vec<(Patient, Value)> {
    records().into_iter().map(|r| (r.patient.clone(), bundle(&r, &StructuredOptions::everything()))).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn other_suppliers_bundles_are_never_refused_and_lose_no_item_s_text(style in style(), which in 0usize..2) {
        let (patient, original) = &originals()[which];
        let rewritten = rewrite(original, &style);
        let read = read_structured_bundle_for(&rewritten, patient);
        prop_assert!(read.is_ok(), "refused: {:?} for {style:?}", read.err());
        let read = read.expect("checked");
        let shown = shown(&read);
        for name in item_names(&rewritten) {
            prop_assert!(shown.contains(&json_text(&name)), "{name:?} is lost for {style:?}");
        }
        prop_assert_eq!(read.record.patient.nhs_number, patient.nhs_number);
    }

    #[test]
    fn a_resource_about_another_patient_refuses_the_record(
        style in style(),
        at in any::<usize>(),
        by_identifier in any::<bool>(),
    ) {
        let (patient, original) = &originals()[0];
        let other = example_record_with_no_known_allergies().patient.nhs_number;
        let mut rewritten = rewrite(original, &style);
        let entries = rewritten["entry"].as_array_mut().expect("entries");
        let items: Vec<usize> = (0..entries.len())
            .filter(|n| ITEM_TYPES.contains(&entries[*n]["resource"]["resourceType"].as_str().unwrap_or_default()))
            .collect();
        let resource = &mut entries[items[at % items.len()]]["resource"];
        let element = if resource["resourceType"] == "AllergyIntolerance" || resource["resourceType"] == "Immunization" {
            "patient"
        } else {
            "subject"
        };
        resource[element] = if by_identifier {
            json!({ "identifier": { "system": "https://fhir.nhs.uk/Id/nhs-number", "value": other.to_string() } })
        } else {
            json!({ "reference": format!("Patient/{}", guid(style.seed ^ 1, 0)) })
        };
        prop_assert_eq!(read_structured_bundle_for(&rewritten, patient).err(), Some(ReadError::WrongPatient));
    }
}

#[test]
fn the_rewrite_really_is_another_supplier_s_style() {
    let (patient, original) = &originals()[0];
    let style = Style { seed: 7, urn_uuid: true, removals: Vec::new(), to_text: Vec::new() };
    let rewritten = rewrite(original, &style);
    let text = rewritten.to_string();
    assert!(!text.contains(&format!("-{}-", patient.nhs_number)), "no writer ids are left");
    assert!(text.contains("urn:uuid:"));
    let read = read_structured_bundle_for(&rewritten, patient).expect("reads");
    assert!(read.unshown.is_empty(), "{:?}", read.unshown);
    assert_eq!(read.record.medications.len(), example_record().medications.len());
    // And a code replaced by text is still shown, by its text.
    let mut degraded = original.clone();
    let entries = degraded["entry"].as_array_mut().expect("entries");
    let condition =
        entries.iter_mut().map(|e| &mut e["resource"]).find(|r| r["resourceType"] == "Condition").expect("a problem");
    condition["code"] = json!({ "text": "Atrial fibrillation (as typed)" });
    let read = read_structured_bundle_for(&degraded, patient).expect("reads");
    assert!(read.unshown.iter().any(|item| item.text == "Atrial fibrillation (as typed)"), "{:?}", read.unshown);
}
