//! Helpers shared by the integration tests: the fixture Bundles and ways to walk them.

#![allow(dead_code)] // each test binary uses a different subset

use openmig_domain::GpRecord;
use openmig_domain::fixtures::{example_clinicians, example_practice};
use openmig_fhir::stu3::{AllergyOptions, MedicationOptions};
use openmig_fhir::{StructuredOptions, structured_bundle};
use serde_json::Value;

/// The Bundle for `record` at the example practice.
pub fn bundle(record: &GpRecord, options: &StructuredOptions) -> Value {
    structured_bundle(record, &example_practice(), &example_clinicians(), options)
}

/// Options with both areas and the given parts.
pub fn options(include_resolved_allergies: bool, include_prescription_issues: bool) -> StructuredOptions {
    StructuredOptions {
        allergies: Some(AllergyOptions { include_resolved_allergies }),
        medication: Some(MedicationOptions { include_prescription_issues, search_from: None }),
        ..Default::default()
    }
}

/// The top-level resources of the Bundle.
pub fn resources(bundle: &Value) -> Vec<&Value> {
    bundle["entry"].as_array().expect("entries").iter().map(|e| &e["resource"]).collect()
}

/// Top-level resources of one type.
pub fn of_type<'a>(bundle: &'a Value, kind: &str) -> Vec<&'a Value> {
    resources(bundle).into_iter().filter(|r| r["resourceType"] == kind).collect()
}

/// The primary List with this SNOMED code, if present.
pub fn list<'a>(bundle: &'a Value, code: &str) -> Option<&'a Value> {
    of_type(bundle, "List").into_iter().find(|l| l["code"]["coding"][0]["code"] == code)
}

/// Every `reference` string anywhere inside `value`.
pub fn references(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    collect_references(value, &mut out);
    out
}

fn collect_references(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("reference", Value::String(reference)) => out.push(reference.clone()),
                    _ => collect_references(inner, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_references(item, out)),
        _ => {}
    }
}

/// `Type/id` of a resource.
pub fn key(resource: &Value) -> String {
    format!("{}/{}", resource["resourceType"].as_str().unwrap(), resource["id"].as_str().unwrap())
}

pub const ALLERGIES: &str = "886921000000105";
pub const ENDED_ALLERGIES: &str = "1103671000000101";
pub const MEDICATIONS: &str = "933361000000108";
pub const PROBLEMS: &str = "717711000000103";
pub const IMMUNISATIONS: &str = "1102181000000102";
pub const REFERRALS: &str = "792931000000107";
pub const UNCATEGORISED: &str = "826501000000100";
pub const RELATED_URL: &str =
    "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-RelatedClinicalContent-1";

/// The references of a List's entries.
pub fn list_items(list: &Value) -> Vec<String> {
    list["entry"]
        .as_array()
        .map(|entries| entries.iter().map(|e| e["item"]["reference"].as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

/// The `relatedClinicalContent` references of a Condition.
pub fn related(condition: &Value) -> Vec<String> {
    condition["extension"]
        .as_array()
        .map(|exts| {
            exts.iter()
                .filter(|e| e["url"] == RELATED_URL)
                .map(|e| e["valueReference"]["reference"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}
pub const WARNING_URL: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-ListWarningCode-1";
pub const CONFIDENTIAL_NOTE: &str = "Items excluded due to confidentiality and/or patient preferences.";

/// The List's warning codes.
pub fn warnings(list: &Value) -> Vec<String> {
    list["extension"]
        .as_array()
        .map(|exts| {
            exts.iter()
                .filter(|e| e["url"] == WARNING_URL)
                .map(|e| e["valueCode"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}
