//! Third-party validation of the UK Core R4 output: every resource `everything` returns,
//! every per-type searchset, the CapabilityStatement and OperationOutcomes must parse in
//! the maintained `fhir.resources` R4B models (unknown elements, wrong types, bad dates
//! and empty strings fail), for the fixture records, the brief's story patients and a
//! few hundred generated patients.
//!
//! Needs python3 with `fhir.resources==8.3.0`; `./scripts/test` installs it. The test
//! fails, never skips, when it is missing.

#[path = "r4_support.rs"]
mod support;

use std::path::PathBuf;

use openmig_domain::fixtures::{AS_OF, dissenting_record, example_record, example_record_with_no_known_allergies};
use openmig_domain::record::{ImmunisationStatus, MedicationStatus, PrescriptionType};
use openmig_domain::{GpRecord, PartialDate};
use openmig_fhir::r4::{self, ResourceType};
use openmig_fhir::validator::{validate_r4b, write_json};
use serde_json::Value;
use support::{fixture_everything, fixture_resources, generated_everything, region, region_day};

const BASE: &str = "https://gateway.example/fhir/R4";

/// Every type openmig's R4 API emits, at the top level or in a Bundle.
const EXPECTED: &str = "Patient,Organization,Practitioner,MedicationRequest,MedicationStatement,AllergyIntolerance,\
                        Condition,Observation,Immunization,Encounter,Bundle,CapabilityStatement,OperationOutcome";

/// The example record with the awkward cases the fixture lacks: a repeat-dispensing
/// medicine, an old acute never closed, a batch and dose number, a partial-date
/// immunisation, a withheld entry in every area and a medicine with no dose written.
fn varied_record() -> GpRecord {
    let mut record = example_record();
    record.medications[0].prescription_type = PrescriptionType::RepeatDispensing;
    record.medications[1].status = MedicationStatus::Active;
    record.medications[2].dose = String::new();
    record.medications[2].patient_instructions = None;
    record.immunisations[0].status = ImmunisationStatus::Given { batch: Some("AB1234".into()), dose_number: Some(2) };
    record.immunisations[0].date = PartialDate::YearMonth(2025, 10);
    record.problems[1].meta.confidential = true;
    record.observations[2].meta.confidential = true;
    record.allergies[0].meta.confidential = true;
    record
}

fn searchset(kind: ResourceType, matches: Vec<Value>) -> Value {
    r4::searchset(&format!("{BASE}/{kind}?patient=9434765919"), BASE, matches, Vec::new())
}

#[test]
fn every_r4_resource_and_bundle_validates_against_the_fhir_resources_r4b_models() {
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<PathBuf> = Vec::new();
    let mut write = |name: &str, value: &Value| files.push(write_json(dir.path(), name, value));

    // Fixture records: every resource on its own, and every per-type searchset.
    let fixtures = [
        ("example", example_record()),
        ("nka", example_record_with_no_known_allergies()),
        ("dissent", dissenting_record()),
        ("nothing", GpRecord::new(example_record().patient)),
        ("varied", varied_record()),
    ];
    for (case, record) in &fixtures {
        for (n, resource) in fixture_everything(record).iter().enumerate() {
            write(&format!("{case}-{n:03}"), resource);
        }
        for kind in ResourceType::SEARCHABLE {
            write(&format!("{case}-{kind}"), &searchset(kind, fixture_resources(record, kind)));
        }
    }

    // The story patients on their own; then a few hundred generated patients, each as
    // the searchset of `$everything` and of every type.
    let region = region(20_261_125, 300);
    assert!(!region.stories().is_empty(), "the region plants the story patients");
    for (story, _) in region.stories() {
        let (_, everything) = generated_everything(&region, story.index);
        for (n, resource) in everything.iter().enumerate() {
            write(&format!("story-{}-{n:03}", story.key), resource);
        }
    }
    for index in 0..region.config().patients {
        let record = region.record(index);
        let plan = region.practice_of(index);
        let (_, everything) = generated_everything(&region, index);
        let self_url = format!("{BASE}/Patient/{}/$everything", r4::patient_id(record.patient.nhs_number));
        write(&format!("patient-{index}-everything"), &r4::searchset(&self_url, BASE, everything, Vec::new()));
        for kind in ResourceType::SEARCHABLE {
            let matches = r4::resources(&record, &plan.practice, &plan.clinicians, kind, region_day());
            let includes = r4::supporting_resources(&plan.practice, &plan.clinicians, &matches);
            let self_url = format!("{BASE}/{kind}?patient={}", r4::patient_id(record.patient.nhs_number));
            write(&format!("patient-{index}-{kind}"), &r4::searchset(&self_url, BASE, matches, includes));
        }
    }

    // What the API answers besides records.
    write("capability", &r4::capability_statement(BASE, &AS_OF.format("%Y-%m-%d").to_string()));
    write("outcome-spine", &r4::operation_outcome("not-found", Some("PATIENT_NOT_FOUND"), "No such patient."));
    write("outcome-local", &r4::operation_outcome("forbidden", Some("NO_SHARING_AGREEMENT"), "Not agreed."));
    write("outcome-bare", &r4::operation_outcome("exception", None, ""));

    validate_r4b(&files, EXPECTED);
}
