//! The STU3 reader on arbitrary bytes: whatever a practice's system sends, the reader
//! answers with a record or a refusal, never a panic, a hang or unbounded memory; and a
//! record it does answer with is always the patient asked for.
//!
//! Seeded with GP Connect's published examples and openmig's own Bundles (see
//! `fuzz/README.md`), so that mutations start from real structured records.

#![no_main]

use libfuzzer_sys::fuzz_target;
use openmig_domain::NhsNumber;
use openmig_fhir::stu3::reader::{read_structured_bundle, read_structured_bundle_for};

fuzz_target!(|data: &[u8]| {
    let Ok(bundle) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    // The seeds' patients: GP Connect's examples (9000000009) and openmig's example record.
    let mut located = openmig_domain::fixtures::example_record().patient;
    for nhs in ["9000000009", "9434765919"] {
        located.nhs_number = NhsNumber::parse(nhs).expect("a valid NHS number");
        if let Ok(read) = read_structured_bundle(&bundle, located.nhs_number) {
            assert_eq!(read.record.patient.nhs_number, located.nhs_number, "another patient's record was read");
        }
        if let Ok(read) = read_structured_bundle_for(&bundle, &located) {
            assert_eq!(read.record.patient.nhs_number, located.nhs_number, "another patient's record was read");
            assert!(read.unshown.iter().all(|item| item.text.chars().count() <= 200));
        }
    }
});
