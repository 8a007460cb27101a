//! Whole-Bundle snapshots of the fixture records. Review a changed snapshot as you would
//! a change to the wire format, because it is one.

mod common;

use openmig_domain::fixtures::{example_record, example_record_with_no_known_allergies};
use openmig_fhir::StructuredOptions;
use openmig_fhir::stu3::ConsultationOptions;

fn snapshot(name: &str, value: &serde_json::Value) {
    // Sorted keys whatever serde_json's map order is in this build.
    insta::with_settings!({ sort_maps => true }, {
        insta::assert_json_snapshot!(name, value);
    });
}

#[test]
fn the_example_record_with_everything_included() {
    snapshot("example_record_everything", &common::bundle(&example_record(), &StructuredOptions::everything()));
}

#[test]
fn the_no_known_allergies_record_with_everything_included() {
    snapshot(
        "no_known_allergies_everything",
        &common::bundle(&example_record_with_no_known_allergies(), &StructuredOptions::everything()),
    );
}

#[test]
fn the_example_record_with_consultations_only() {
    // The consultations with the items they pull in; the confidential one only warns.
    let options = StructuredOptions { consultations: Some(ConsultationOptions::default()), ..Default::default() };
    snapshot("example_record_consultations", &common::bundle(&example_record(), &options));
}
