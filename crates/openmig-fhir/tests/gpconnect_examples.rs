//! GP Connect's own published example responses (`nhsconnect/gpconnect`, branch
//! `feature/1.6.2`, `_includes/accessrecord_structured/*_response*.json`), read with
//! openmig's STU3 reader and checked item by item: material nobody here wrote, in the
//! shape the specification itself gives. `tests/fixtures/gpconnect-1.6.2/README.md`
//! says where each file comes from and which authoring errors of the examples were
//! fixed (only those; everything else is as published).
//!
//! The examples leave out the Patient's managing Organization in places (the pathology
//! examples name only the laboratory), so every one is read as the gateway reads a
//! practice's answer: for the patient the directory located
//! ([`read_structured_bundle_for`]).

use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime};
use openmig_domain::record::{
    AllergyCategory, AllergyStatus, Criticality, EncounterKind, ImmunisationStatus, MedicationStatus, Observation,
    ObservationCategory, ObservationValue, PrescriptionType, Severity,
};
use openmig_domain::{NhsNumber, OdsCode, PartialDate, Patient};
use openmig_fhir::stu3::reader::{ReadRecord, read_structured_bundle, read_structured_bundle_for};
use serde_json::Value;

/// The examples' patient, whose NHS number the fixtures carry (see the README).
fn located() -> Patient {
    let mut patient = openmig_domain::fixtures::example_record().patient;
    patient.nhs_number = NhsNumber::parse("9000000009").expect("a valid NHS number");
    patient.registration.practice = OdsCode::parse("A20047").expect("an ODS code");
    patient
}

fn bundle(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gpconnect-1.6.2").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is JSON: {e}"))
}

fn read(name: &str) -> ReadRecord {
    read_structured_bundle_for(&bundle(name), &located()).unwrap_or_else(|e| panic!("{name} is refused: {e}"))
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a calendar date")
}

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    day(y, m, d).and_hms_opt(h, min, 0).expect("a time")
}

fn observation<'a>(read: &'a ReadRecord, name: &str) -> &'a Observation {
    read.record
        .observations
        .iter()
        .find(|o| o.code.display == name)
        .unwrap_or_else(|| panic!("{name} is among {:?}", read.record.observations.iter().map(|o| &o.code.display)))
}

const ALL: [&str; 13] = [
    "allergies_response1.json",
    "allergies_response2.json",
    "allergies_response3.json",
    "consultations_forwards_response1.json",
    "consultations_response1.json",
    "immunizations_response1.json",
    "immunizations_response2.json",
    "immunizations_response3.json",
    "meds_response.json",
    "pathology_response1.json",
    "pathology_response2.json",
    "referrals_response1.json",
    "uncategorised_response1.json",
];

#[test]
fn every_published_example_reads_with_nothing_left_unshown() {
    for name in ALL {
        let read = read(name);
        assert!(read.unshown.is_empty(), "{name}: {:?}", read.unshown);
        assert!(!read.withheld_items, "{name}");
        assert_eq!(read.record.patient.nhs_number, located().nhs_number, "{name}");
    }
}

#[test]
fn an_example_naming_its_practice_needs_nobody_to_say_which_it_is() {
    let read = read_structured_bundle(&bundle("meds_response.json"), located().nhs_number).expect("reads on its own");
    assert_eq!(read.practice.ods_code.as_str(), "O001");
    assert_eq!(read.record.medications.len(), 3);
    // The pathology examples name only the laboratory: without the directory's practice
    // the record cannot be placed, and is refused rather than attributed to the lab.
    let lab_only = read_structured_bundle(&bundle("pathology_response1.json"), located().nhs_number);
    assert!(lab_only.is_err());
}

#[test]
fn medicines_keep_dose_instructions_quantity_text_and_every_issue() {
    let read = read("meds_response.json");
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
    let meds = &read.record.medications;
    assert_eq!(meds.len(), 3);

    let acute = &meds[0];
    assert_eq!((acute.product.code.value(), acute.product.name.as_str()), (323509004, "Amoxicillin 250mg capsules"));
    assert_eq!(acute.dose, "TAKE ONE DAILY");
    assert_eq!(acute.patient_instructions.as_deref(), Some("INSTRUCTIONS FOR PATIENT"));
    assert_eq!(acute.prescription_type, PrescriptionType::Acute);
    // GP Connect's MedicationQuantityText: "both value and units", as words.
    assert_eq!(acute.quantity.text.as_deref(), Some("28 capsule(s)"));
    // effectiveDateTime (STU3 allows it beside effectivePeriod): completed when started.
    assert_eq!(acute.started, PartialDate::Day(day(2016, 5, 10)));
    assert_eq!(acute.status, MedicationStatus::Completed { on: PartialDate::Day(day(2016, 5, 10)) });
    assert_eq!(acute.issues.len(), 1);
    assert_eq!((acute.issues[0].date, acute.issues[0].days_supply), (day(2016, 5, 10), 28));

    let measured = &meds[1];
    assert_eq!((measured.quantity.value, measured.quantity.unit.as_str()), (28.0, "capsules"));
    assert_eq!(measured.quantity.text, None);

    let repeat = &meds[2];
    // The term the clinician picked (the coding's descriptionDisplay), not the preferred term.
    assert_eq!(repeat.product.name, "Aspirin 75mg dispersible tablet");
    assert_eq!(repeat.prescription_type, PrescriptionType::Repeat);
    assert_eq!(repeat.status, MedicationStatus::Active);
    assert_eq!(repeat.authorised_issues, Some(5));
    assert_eq!(repeat.quantity.text.as_deref(), Some("quantity varies dependent on schedule"));
    let dates: Vec<NaiveDate> = repeat.issues.iter().map(|i| i.date).collect();
    assert_eq!(dates, [day(2016, 8, 11), day(2016, 9, 11)]);
}

#[test]
fn allergies_keep_reaction_severity_criticality_notes_and_the_degraded_name() {
    let read = read("allergies_response1.json");
    let allergies = &read.record.allergies;
    assert_eq!(allergies.len(), 4);

    let amoxicillin = &allergies[0];
    assert_eq!(amoxicillin.code.display, "Amoxicillin 250mg capsules");
    assert_eq!(amoxicillin.category, AllergyCategory::Medication);
    let reaction = amoxicillin.reaction.as_ref().expect("a reaction");
    assert_eq!(
        (reaction.manifestation.display.as_str(), reaction.severity),
        ("O/E - itchy rash", Some(Severity::Mild))
    );
    assert_eq!(amoxicillin.criticality, Some(Criticality::Low));
    assert_eq!(amoxicillin.notes.as_deref(), Some("Certainty: Likely, Severity: Minimal, NOTES: Some freetext notes"));

    let nut = &allergies[1];
    assert_eq!(nut.code.display, "Nut allergy");
    assert_eq!(nut.criticality, Some(Criticality::High));
    assert_eq!(nut.reaction.as_ref().map(|r| r.severity), Some(Some(Severity::Severe)));

    // Transfer-degraded drug allergy: the code says "degraded", the text says what.
    let degraded = &allergies[2];
    assert_eq!(degraded.code.code.value(), 196461000000101);
    assert_eq!(degraded.code.display, "Allergy to paracetemol");

    let ended = &allergies[3];
    assert_eq!(
        ended.status,
        AllergyStatus::Resolved {
            on: PartialDate::Day(day(2018, 3, 1)),
            reason: "Patient reports no subsequent recurrence on same medication".into(),
        }
    );
    // The example's "Active Allergies" List names an AllergyIntolerance it does not carry
    // (left as published): the clinician is told, and the rest of the record stands.
    assert_eq!(
        read.warnings,
        ["Active Allergies: the practice's list names 1 item(s) that are not in its answer and cannot be shown."]
    );
}

#[test]
fn no_known_allergies_and_nothing_recorded_are_told_apart() {
    let stated = read("allergies_response2.json").record;
    let statement = stated.no_known_allergies.expect("the coded statement");
    assert_eq!((statement.code.code.value(), statement.asserted), (716186003, day(2012, 5, 7)));
    assert!(stated.allergies.is_empty());
    let nothing = read("allergies_response3.json").record;
    assert!(nothing.no_known_allergies.is_none() && nothing.allergies.is_empty());
}

#[test]
fn immunisations_with_an_unknown_product_keep_the_procedure_batch_dose_and_refusal() {
    let given = read("immunizations_response1.json").record.immunisations;
    assert_eq!(given.len(), 1);
    assert_eq!(given[0].vaccination.display, "First hepatitis A vaccination");
    assert_eq!(given[0].product, None, "vaccineCode is NullFlavor UNK");
    assert_eq!(given[0].date, PartialDate::Day(day(2019, 6, 28)));
    assert_eq!(given[0].status, ImmunisationStatus::Given { batch: Some("AAJN11K".into()), dose_number: Some(1) });

    let both = read("immunizations_response2.json").record.immunisations;
    assert_eq!(both.len(), 2);
    assert_eq!(both[1].vaccination.display, "Hepatitis A vaccination not done");
    assert!(matches!(both[1].status, ImmunisationStatus::NotGiven { .. }));
    assert_eq!(both[1].date, PartialDate::Day(day(2019, 9, 28)));

    // Dissent from immunisation is an uncategorised Observation, not a vital sign.
    let dissent = read("immunizations_response3.json");
    let observation = observation(&dissent, "No consent for any immunization");
    assert_eq!(observation.category, ObservationCategory::Uncategorised);
    assert_eq!(observation.comment.as_deref(), Some("Patient has expressed dissent for all immunisations"));
}

#[test]
fn referrals_coded_in_reason_code_keep_recipient_and_description() {
    let referrals = read("referrals_response1.json").record.referrals;
    assert_eq!(referrals.len(), 2);
    let physio = referrals.iter().find(|r| r.code.code.value() == 308447003).expect("physiotherapy");
    assert_eq!(physio.code.display, "Referral to physiotherapist");
    assert_eq!(physio.reason, "Referral due to swollen legs");
    assert_eq!(physio.recipient, "Dr Dave");
    assert_eq!(physio.date, day(2019, 3, 28));
    assert!(referrals.iter().any(|r| r.code.display == "Referral to counselor"));
}

#[test]
fn uncategorised_data_is_read_as_uncategorised_with_its_values() {
    let read = read("uncategorised_response1.json");
    let values: Vec<(&str, f64, &str, ObservationCategory)> = read
        .record
        .observations
        .iter()
        .map(|o| match &o.value {
            ObservationValue::Quantity { value, unit } => (o.code.display.as_str(), *value, unit.as_str(), o.category),
            other => panic!("{}: {other:?}", o.code.display),
        })
        .collect();
    assert_eq!(
        values,
        [
            ("Temperature", 36.7, "C", ObservationCategory::Uncategorised),
            // The clinician's term (sctdescid, written with `http://`), not the display.
            ("Arterial oxygen saturation on room air at rest", 96.0, "%", ObservationCategory::Uncategorised),
            ("Respiratory rate", 16.0, "breaths per minute", ObservationCategory::Uncategorised),
        ]
    );
}

#[test]
fn test_results_under_a_test_group_are_laboratory_results_with_their_ranges() {
    let read = read("pathology_response1.json");
    assert_eq!(read.record.observations.len(), 19, "the FBC test group and its 18 results");
    assert!(read.record.observations.iter().all(|o| o.category == ObservationCategory::Laboratory));
    let group = observation(&read, "FBC - Full blood count");
    assert_eq!(group.value, ObservationValue::Finding);

    let haemoglobin = observation(&read, "Haemoglobin estimation");
    assert_eq!(haemoglobin.value, ObservationValue::Quantity { value: 142.0, unit: "g/dL".into() });
    let range = haemoglobin.reference_range.as_ref().expect("a range");
    assert_eq!((range.low, range.high), (Some(115.0), Some(150.0)));
    // No effective[x]: taken when the specimen was collected; recorded when reported.
    assert_eq!(haemoglobin.effective, PartialDate::Day(day(2019, 4, 1)));
    assert_eq!(haemoglobin.meta.recorded_on, day(2019, 4, 3));

    let red_cells = observation(&read, "Red blood cell count");
    let range = red_cells.reference_range.as_ref().expect("a range");
    assert_eq!((range.low, range.high, range.text.as_deref()), (None, None, Some("less than 3.8 to 5")));

    let second = self::read("pathology_response2.json");
    let psa = observation(&second, "Prostate specific antigen level");
    assert_eq!(psa.value, ObservationValue::Quantity { value: 5.9, unit: "ug/L".into() });
    assert!(psa.is_outside_range(), "5.9 is above the 0 to 4 range");
}

#[test]
fn consultations_typed_as_free_text_keep_their_notes_and_what_was_recorded() {
    let read = read("consultations_response1.json");
    let record = &read.record;
    assert_eq!(record.encounters.len(), 3);
    let first = &record.encounters[0];
    assert_eq!(first.kind, EncounterKind::Other);
    assert_eq!(first.type_label(), "Surgery Consultation");
    assert_eq!(first.start, at(2019, 3, 28, 10, 30));
    assert_eq!(first.duration_minutes, 8);
    assert!(first.notes.starts_with("Come for review. Overall doing better."), "{}", first.notes);
    assert!(first.notes.contains("Mild pitting oedema"), "{}", first.notes);
    assert!(!first.linked.is_empty());

    let problems: Vec<&str> = record.problems.iter().map(|p| p.code.display.as_str()).collect();
    // The example writes the sctdescid extension's URL with `http://`: the term the
    // clinician chose (its DescriptionDisplay) still wins over the concept's display.
    assert_eq!(
        problems,
        ["Anxiety with depression", "Swollen legs", "Upper respiratory tract infection", "Postviral cough"]
    );
    // The infection is the parent of the post-viral cough (written `Parent` / `Child`).
    let problem = |term: &str| record.problems.iter().find(|p| p.code.display == term).expect(term);
    let (infection, cough) = (problem("Upper respiratory tract infection"), problem("Postviral cough"));
    assert_eq!(
        infection.linked_problems,
        [openmig_domain::record::LinkedProblem {
            problem: cough.meta.id,
            relation: openmig_domain::record::ProblemRelation::Parent
        }]
    );
    assert_eq!(cough.linked_problems.len(), 1);
    assert_eq!(cough.linked_problems[0].relation, openmig_domain::record::ProblemRelation::Child);
    let citalopram = record.medications.iter().filter(|m| m.product.name == "Citalopram 20mg tablets").count();
    assert_eq!(citalopram, 3, "one acute course per consultation");
    let pressure = observation(&read, "O/E - blood pressure reading");
    let ObservationValue::Components(parts) = &pressure.value else { panic!("{:?}", pressure.value) };
    let readings: Vec<(f64, &str)> = parts.iter().map(|p| (p.value, p.unit.as_str())).collect();
    assert_eq!(readings, [(130.0, "mmHg"), (72.0, "mmHg")]);
}

#[test]
fn the_forwards_consultation_example_passes_the_provider_s_outcome_on() {
    let read = read("consultations_forwards_response1.json");
    assert_eq!(read.record.medications.len(), 2);
    assert_eq!(read.record.allergies.len(), 4);
    for said in [
        "Provider: includeConsultations is an unrecognised parameter",
        "Provider: includeProblems is an unrecognised parameter",
    ] {
        assert!(read.warnings.iter().any(|w| w == said), "{said} in {:?}", read.warnings);
    }
}
