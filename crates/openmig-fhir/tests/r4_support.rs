//! Helpers shared by the R4 tests (`r4_validation`, `r4_content`, `r4_snapshots`), which
//! include this file as a module. Built on its own it is an empty test target.

#![allow(dead_code)] // each test binary uses a different subset

use std::collections::BTreeSet;

use chrono::NaiveDate;
use openmig_domain::GpRecord;
use openmig_domain::fixtures::{AS_OF, example_clinicians, example_practice};
use openmig_fhir::r4;
use openmig_generator::{GeneratorConfig, Region};
use serde_json::Value;

/// `$everything` of a fixture record at the example practice, on the fixtures' day.
pub fn fixture_everything(record: &GpRecord) -> Vec<Value> {
    r4::everything(record, &example_practice(), &example_clinicians(), AS_OF)
}

/// One type's resources of a fixture record at the example practice.
pub fn fixture_resources(record: &GpRecord, kind: r4::ResourceType) -> Vec<Value> {
    r4::resources(record, &example_practice(), &example_clinicians(), kind, AS_OF)
}

/// The day generated regions are "as of" in these tests.
pub fn region_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).expect("a calendar date")
}

/// A planned region: one practice per 100 patients; the story patients are the first
/// five of the first practice.
pub fn region(seed: u64, patients: u64) -> Region {
    let practices = u32::try_from(patients.div_ceil(100)).expect("few practices");
    Region::plan(GeneratorConfig { patients, practices, seed, as_of: region_day() }).expect("a valid configuration")
}

/// Patient `index` of the region: the record and its `$everything`.
pub fn generated_everything(region: &Region, index: u64) -> (GpRecord, Vec<Value>) {
    let record = region.record(index);
    let plan = region.practice_of(index);
    let everything = r4::everything(&record, &plan.practice, &plan.clinicians, region_day());
    (record, everything)
}

/// Every `reference` string anywhere inside `value`.
pub fn references(value: &Value) -> BTreeSet<String> {
    fn collect(value: &Value, out: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    match (key.as_str(), inner) {
                        ("reference", Value::String(reference)) => {
                            out.insert(reference.clone());
                        }
                        _ => collect(inner, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| collect(item, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    collect(value, &mut out);
    out
}

/// `Type/id` of a resource.
pub fn key(resource: &Value) -> String {
    format!("{}/{}", resource["resourceType"].as_str().unwrap(), resource["id"].as_str().unwrap())
}

/// Panics unless every reference in `resources` names a resource among them, and no
/// `Type/id` appears twice.
pub fn assert_self_contained(resources: &[Value], what: &str) {
    let keys: Vec<String> = resources.iter().map(key).collect();
    let present: BTreeSet<&String> = keys.iter().collect();
    assert_eq!(present.len(), keys.len(), "{what}: a resource appears twice");
    for resource in resources {
        for reference in references(resource) {
            assert!(present.contains(&reference), "{what}: {} refers to missing {reference}", key(resource));
        }
    }
}

/// Resources of one type.
pub fn of_type<'a>(resources: &'a [Value], kind: &str) -> Vec<&'a Value> {
    resources.iter().filter(|r| r["resourceType"] == kind).collect()
}

/// The resource with this `Type/id`.
pub fn find<'a>(resources: &'a [Value], wanted: &str) -> &'a Value {
    resources.iter().find(|r| key(r) == wanted).unwrap_or_else(|| panic!("{wanted} is missing"))
}

/// The value of the extension with this URL on `resource`, if any.
pub fn extension<'a>(resource: &'a Value, url: &str) -> Option<&'a Value> {
    resource["extension"].as_array()?.iter().find(|e| e["url"] == url)
}
