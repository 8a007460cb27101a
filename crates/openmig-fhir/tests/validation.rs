//! Third-party validation: every resource openmig emits must parse in the maintained
//! `fhir.resources` STU3 models (unknown elements, wrong types and bad dates fail).
//!
//! Needs python3 with `fhir.resources==8.3.0`; `./scripts/test` installs it. The test
//! fails, never skips, when it is missing.

mod common;

use common::{bundle, options, resources};
use openmig_domain::fixtures::{example_record, example_record_with_no_known_allergies};
use openmig_domain::patient::RegistrationStatus;
use openmig_domain::record::{ObservationValue, ProblemStatus, ReferenceRange};
use openmig_domain::{EntryId, GpRecord, PartialDate};
use openmig_fhir::validator::{validate_stu3, write_json as write};
use openmig_fhir::{ProblemOptions, StructuredOptions};

#[test]
fn every_resource_validates_against_the_fhir_resources_stu3_models() {
    let mut withheld = example_record();
    withheld.medications[0].meta.confidential = true;
    let nothing = GpRecord::new(example_record().patient);
    // A withheld entry in every new area, a quantity with a reference range, partial
    // dates on a problem end and an immunisation, and a registration that has ended.
    let mut varied = example_record();
    varied.patient.registration.status = RegistrationStatus::Deregistered {
        on: chrono::NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(),
        reason: "Moved out of area".into(),
    };
    varied.problems[1].meta.confidential = true;
    varied.immunisations[1].meta.confidential = true;
    varied.referrals[0].meta.confidential = true;
    varied.immunisations[0].date = PartialDate::Year(2026);
    let mut weight = varied.observations[1].clone();
    weight.meta.id = EntryId(200);
    weight.value = ObservationValue::Quantity { value: 72.5, unit: "kg".into() };
    weight.reference_range = Some(ReferenceRange { low: Some(50.0), high: None, text: None });
    varied.observations.push(weight);
    // Laboratory results: two on one day (one above its range), one with a partial date,
    // one withheld.
    let egfr = example_record().observations[0].clone();
    for (id, effective, value, confidential) in [
        (201, PartialDate::YearMonth(2025, 3), 4.0, false),
        (202, PartialDate::Day(chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()), 9.1, false),
        (203, PartialDate::Day(chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()), 4.4, false),
        (204, PartialDate::Year(2024), 4.4, true),
    ] {
        let mut result = egfr.clone();
        result.meta.id = EntryId(id);
        result.meta.confidential = confidential;
        result.effective = effective;
        result.value = ObservationValue::Quantity { value, unit: "mmol/L".into() };
        result.reference_range = Some(ReferenceRange { low: Some(3.5), high: Some(5.3), text: None });
        varied.observations.push(result);
    }
    let problems_only = StructuredOptions {
        problems: Some(ProblemOptions { filters: vec![(Some(ProblemStatus::Active), None)] }),
        ..Default::default()
    };
    let cases = [
        ("example-everything", bundle(&example_record(), &StructuredOptions::everything())),
        ("example-no-issues", bundle(&example_record(), &options(false, false))),
        ("nka", bundle(&example_record_with_no_known_allergies(), &StructuredOptions::everything())),
        ("withheld", bundle(&withheld, &StructuredOptions::everything())),
        ("nothing-recorded", bundle(&nothing, &StructuredOptions::everything())),
        ("varied", bundle(&varied, &StructuredOptions::everything())),
        ("problems-only", bundle(&example_record(), &problems_only)),
    ];

    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (case, bundle) in &cases {
        files.push(write(dir.path(), &format!("{case}-bundle"), bundle));
        for (n, resource) in resources(bundle).into_iter().enumerate() {
            files.push(write(dir.path(), &format!("{case}-{n:03}"), resource));
        }
    }

    // Every resource type openmig emits must have been validated at least once.
    let expected = "Bundle,Patient,Organization,Practitioner,PractitionerRole,List,AllergyIntolerance,Medication,\
                    MedicationStatement,MedicationRequest,Condition,Immunization,ReferralRequest,Observation,\
                    DiagnosticReport,Encounter";
    validate_stu3(&files, expected);
}
