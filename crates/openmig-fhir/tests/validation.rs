//! Third-party validation: every resource openmig emits must parse in the maintained
//! `fhir.resources` STU3 models (unknown elements, wrong types and bad dates fail).
//!
//! Needs python3 with `fhir.resources==8.3.0`; `./scripts/test` installs it. The test
//! fails, never skips, when it is missing.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{bundle, options, resources};
use openmig_domain::GpRecord;
use openmig_domain::fixtures::{example_record, example_record_with_no_known_allergies};
use openmig_fhir::StructuredOptions;
use serde_json::Value;

fn write(dir: &Path, name: &str, value: &Value) -> PathBuf {
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
    path
}

#[test]
fn every_resource_validates_against_the_fhir_resources_stu3_models() {
    let mut withheld = example_record();
    withheld.medications[0].meta.confidential = true;
    let nothing = GpRecord::new(example_record().patient);
    let cases = [
        ("example-everything", bundle(&example_record(), &StructuredOptions::everything())),
        ("example-no-issues", bundle(&example_record(), &options(false, false))),
        ("nka", bundle(&example_record_with_no_known_allergies(), &StructuredOptions::everything())),
        ("withheld", bundle(&withheld, &StructuredOptions::everything())),
        ("nothing-recorded", bundle(&nothing, &StructuredOptions::everything())),
    ];

    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (case, bundle) in &cases {
        files.push(write(dir.path(), &format!("{case}-bundle"), bundle));
        for (n, resource) in resources(bundle).into_iter().enumerate() {
            files.push(write(dir.path(), &format!("{case}-{n:03}"), resource));
        }
    }

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/validate_stu3.py");
    let output = Command::new("python3").arg(&script).args(&files).output().unwrap_or_else(|error| {
        panic!("cannot run python3 ({error}); install Python 3 and run ./scripts/test, which installs fhir.resources")
    });
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    match output.status.code() {
        Some(0) => println!("{stdout}"),
        Some(2) => panic!("fhir.resources is missing: run ./scripts/test, which installs it\n{stderr}"),
        _ => panic!("STU3 validation failed:\n{stderr}\n{stdout}"),
    }
}
