//! The STU3 reader refuses the whole record only for what makes it unsafe: another
//! patient's record (H1), no patient, oversized Bundles and anything that is not a
//! Bundle. Damage short of that (dangling references, wrong types, missing elements)
//! costs only the item it is in, which becomes a placeholder in its section. Whatever
//! the input, it answers with a record or an error and never panics (proptest over
//! random JSON and over random mutations of real Bundles).

mod common;

use common::bundle;
use openmig_domain::NhsNumber;
use openmig_domain::fixtures::{example_record, example_record_with_no_known_allergies};
use openmig_domain::record::EncounterKind;
use openmig_fhir::stu3::reader::{ReadRecord, Section, read_structured_bundle_for};
use openmig_fhir::{MAX_RESOURCES, ReadError, StructuredOptions, read_structured_bundle};
use proptest::prelude::*;
use serde_json::{Value, json};

fn nhs() -> NhsNumber {
    example_record().patient.nhs_number
}

fn everything() -> Value {
    bundle(&example_record(), &StructuredOptions::everything())
}

fn read(bundle: &Value) -> Result<openmig_fhir::ReadRecord, ReadError> {
    read_structured_bundle(bundle, nhs())
}

/// The Bundle's entries.
fn entries(bundle: &mut Value) -> &mut Vec<Value> {
    bundle["entry"].as_array_mut().expect("entries")
}

/// The first top-level resource of `kind`.
fn first_of<'a>(bundle: &'a mut Value, kind: &str) -> &'a mut Value {
    entries(bundle)
        .iter_mut()
        .map(|e| &mut e["resource"])
        .find(|r| r["resourceType"] == kind)
        .unwrap_or_else(|| panic!("a {kind}"))
}

/// The "Ended allergies" List, which contains the resolved allergies.
fn ended_allergies(bundle: &mut Value) -> &mut Value {
    entries(bundle)
        .iter_mut()
        .map(|e| &mut e["resource"])
        .find(|r| r["resourceType"] == "List" && r["title"] == "Ended allergies")
        .expect("the Ended allergies List")
}

/// Removes every top-level resource of `kind`.
fn remove_all(bundle: &mut Value, kind: &str) {
    entries(bundle).retain(|e| e["resource"]["resourceType"] != kind);
}

#[test]
fn the_untampered_bundle_reads() {
    assert!(read(&everything()).is_ok());
}

#[test]
fn another_patients_nhs_number_is_a_wrong_patient() {
    let other = example_record_with_no_known_allergies().patient.nhs_number;
    assert_eq!(read_structured_bundle(&everything(), other).err(), Some(ReadError::WrongPatient));
}

#[test]
fn a_patient_whose_identifier_was_changed_is_a_wrong_patient() {
    for value in [json!("9434765928"), json!("not a number"), json!(9434765919_u64), json!(null)] {
        let mut bundle = everything();
        first_of(&mut bundle, "Patient")["identifier"][0]["value"] = value.clone();
        assert_eq!(read(&bundle).err(), Some(ReadError::WrongPatient), "{value}");
    }
    let mut bundle = everything();
    let identifier = first_of(&mut bundle, "Patient")["identifier"][0].clone();
    let mut second = identifier;
    second["value"] = json!("9434765928");
    first_of(&mut bundle, "Patient")["identifier"].as_array_mut().expect("identifiers").push(second);
    assert_eq!(read(&bundle).err(), Some(ReadError::WrongPatient), "two NHS numbers that disagree");
}

#[test]
fn two_patients_are_a_wrong_patient() {
    let mut bundle = everything();
    let mut other = first_of(&mut bundle, "Patient").clone();
    other["id"] = json!("patient-9434765928");
    other["identifier"][0]["value"] = json!("9434765928");
    entries(&mut bundle).push(json!({ "resource": other }));
    assert_eq!(read(&bundle).err(), Some(ReadError::WrongPatient));
}

#[test]
fn a_clinical_resource_about_another_patient_is_a_wrong_patient() {
    for kind in ["MedicationStatement", "Condition", "Encounter", "Observation", "AllergyIntolerance", "List"] {
        let mut bundle = everything();
        let resource = first_of(&mut bundle, kind);
        let element = if kind == "AllergyIntolerance" { "patient" } else { "subject" };
        resource[element] = json!({ "reference": "Patient/patient-9434765928" });
        assert_eq!(read(&bundle).err(), Some(ReadError::WrongPatient), "{kind}");
    }
    let mut bundle = everything();
    first_of(&mut bundle, "Condition")["subject"] =
        json!({ "identifier": { "system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9434765928" } });
    assert_eq!(read(&bundle).err(), Some(ReadError::WrongPatient), "by identifier");
    // A subject the Bundle does not show to be this patient: nothing of it may be shown,
    // not even its words as a placeholder.
    for subject in [
        json!({ "reference": "urn:uuid:6a3f4c8e-2d1b-4e5f-9a7c-0b1d2e3f4a5b" }),
        json!({ "reference": "Group/ward-7" }),
        json!({ "reference": 42 }),
    ] {
        let mut bundle = everything();
        first_of(&mut bundle, "Condition")["subject"] = subject.clone();
        assert_eq!(read(&bundle).err(), Some(ReadError::WrongPatient), "{subject}");
    }
}

#[test]
fn no_patient_is_missing_patient_and_no_practice_is_missing_practice_unless_the_caller_knows_it() {
    let mut bundle = everything();
    remove_all(&mut bundle, "Patient");
    assert_eq!(read(&bundle).err(), Some(ReadError::MissingPatient));

    let located = example_record().patient;
    let mut bundle = everything();
    first_of(&mut bundle, "Patient").as_object_mut().expect("object").remove("managingOrganization");
    assert_eq!(read(&bundle).err(), Some(ReadError::MissingPractice));
    let read_for = read_structured_bundle_for(&bundle, &located).expect("the caller knows the practice");
    assert_eq!(read_for.practice.ods_code, located.registration.practice);
    assert_eq!(read_for.record.medications.len(), example_record().medications.len());

    for (kind, element, value) in [("Organization", "identifier", json!([])), ("Patient", "birthDate", json!(null))] {
        let mut bundle = everything();
        first_of(&mut bundle, kind)[element] = value;
        assert!(read(&bundle).is_err(), "{kind}.{element}");
        let read_for = read_structured_bundle_for(&bundle, &located).expect("the caller knows it");
        assert_eq!(read_for.record.patient.birth_date, located.birth_date);
        assert_eq!(read_for.record.patient.registration.practice, located.registration.practice);
    }
    let mut bundle = everything();
    first_of(&mut bundle, "Patient")["birthDate"] = json!(null);
    assert_eq!(read(&bundle).err(), Some(ReadError::MissingBirthDate));

    let mut bundle = everything();
    first_of(&mut bundle, "Patient")["identifier"] = json!([]);
    assert_eq!(read(&bundle).err(), Some(ReadError::UnidentifiedPatient));
}

/// The sections of a record read back that `unshown` says nothing about are as read from
/// the untampered Bundle.
fn sizes(read: &ReadRecord) -> [usize; 7] {
    let record = &read.record;
    [
        record.medications.len(),
        record.allergies.len(),
        record.problems.len(),
        record.encounters.len(),
        record.observations.len(),
        record.immunisations.len(),
        record.referrals.len(),
    ]
}

const SECTIONS: [Section; 7] = [
    Section::Medications,
    Section::Allergies,
    Section::Problems,
    Section::Consultations,
    Section::Observations,
    Section::Immunisations,
    Section::Referrals,
];

/// Reads `bundle` and checks that exactly `unshown` items of `section` (and none of any
/// other) were left out of the record, each as a placeholder and a warning.
fn read_with_unshown(bundle: &Value, section: Section, unshown: usize, why: &str) -> ReadRecord {
    let untampered = read(&everything()).expect("reads");
    let read = read(bundle).unwrap_or_else(|e| panic!("{why}: the record is refused: {e}"));
    assert_eq!(read.unshown.len(), unshown, "{why}: {:?}", read.unshown);
    for item in &read.unshown {
        assert_eq!(item.section, section, "{why}");
        let line = format!("{}: {}", section.label(), item.placeholder());
        assert!(read.warnings.contains(&line), "{why}: {line} in {:?}", read.warnings);
        assert!(!item.reason.contains("9434765919"), "{why}: the reason quotes the Bundle: {}", item.reason);
    }
    for (at, (got, had)) in sizes(&read).into_iter().zip(sizes(&untampered)).enumerate() {
        let expected = if SECTIONS[at] == section { had - unshown } else { had };
        assert_eq!(got, expected, "{why}: {:?}", SECTIONS[at]);
    }
    read
}

#[test]
fn a_reference_to_a_missing_resource_costs_only_the_items_holding_it() {
    let medicines = example_record().medications.len();
    let mut bundle = everything();
    remove_all(&mut bundle, "Medication");
    let placeholders = read_with_unshown(&bundle, Section::Medications, medicines, "no Medication").unshown;
    assert!(placeholders.iter().all(|item| item.reason.contains("medicationReference")), "{placeholders:?}");
    assert!(placeholders.iter().all(|item| !item.text.is_empty()), "each placeholder keeps the dose");

    // Who recorded an item, what a List or report names, what a consultation or problem
    // links: none of these costs an item.
    for kind in ["Practitioner", "Encounter", "ReferralRequest", "Observation", "MedicationStatement"] {
        let mut bundle = everything();
        remove_all(&mut bundle, kind);
        let got = read(&bundle).unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert!(got.unshown.is_empty(), "{kind}: {:?}", got.unshown);
        if kind != "Practitioner" {
            assert!(got.warnings.iter().any(|w| w.contains("not in its answer")), "{kind}: {:?}", got.warnings);
        }
    }
    let mut bundle = everything();
    ended_allergies(&mut bundle)["contained"] = json!([]);
    let got = read(&bundle).expect("reads");
    assert!(got.warnings.iter().any(|w| w.starts_with("Ended allergies: ")), "{:?}", got.warnings);
}

#[test]
fn errors_and_placeholders_never_quote_the_bundle_s_identifiers() {
    let mut bundle = everything();
    first_of(&mut bundle, "Patient")["identifier"][0]["value"] = json!("9434765928");
    let message = read(&bundle).expect_err("wrong patient").to_string();
    assert!(!message.contains("943476592"), "{message}");
    let mut bundle = everything();
    remove_all(&mut bundle, "Medication");
    for item in read(&bundle).expect("reads").unshown {
        assert!(item.reason.starts_with("MedicationStatement"), "{}", item.reason);
        assert!(!item.reason.contains("medication-statement-"), "{}", item.reason);
    }
}

#[test]
fn a_resource_that_cannot_be_read_is_a_placeholder_in_its_section() {
    let cases: Vec<(&str, &str, Value, Section)> = vec![
        (
            "Condition",
            "code",
            json!({ "coding": [{ "system": "http://read.info/readv2", "code": "G573." }], "text": "Atrial fibrillation" }),
            Section::Problems,
        ),
        ("Condition", "assertedDate", json!("last Tuesday"), Section::Problems),
        ("MedicationStatement", "status", json!("maybe"), Section::Medications),
        ("ReferralRequest", "priority", json!("whenever"), Section::Referrals),
        ("Observation", "effectiveDateTime", json!("2024-13-01"), Section::Observations),
        ("AllergyIntolerance", "code", json!({ "text": "Penicillin" }), Section::Allergies),
    ];
    for (kind, element, value, section) in cases {
        let mut bundle = everything();
        first_of(&mut bundle, kind)[element] = value;
        let read = read_with_unshown(&bundle, section, 1, &format!("{kind}.{element}"));
        assert!(read.unshown[0].reason.starts_with(kind), "{kind}.{element}: {}", read.unshown[0].reason);
    }
    // An Immunization whose vaccination is coded nowhere (no vaccinationProcedure, a
    // vaccineCode of text only).
    let mut bundle = everything();
    let immunization = first_of(&mut bundle, "Immunization");
    immunization["extension"] = json!([]);
    immunization["vaccineCode"] = json!({ "text": "Flu vaccine" });
    let placeholders = read_with_unshown(&bundle, Section::Immunisations, 1, "Immunization").unshown;
    assert_eq!(placeholders[0].text, "Flu vaccine");

    let mut bundle = everything();
    first_of(&mut bundle, "Condition")["code"] =
        json!({ "coding": [{ "system": "http://read.info/readv2", "code": "G573." }], "text": "Atrial fibrillation" });
    let read = read(&bundle).expect("reads");
    assert_eq!(read.unshown[0].text, "Atrial fibrillation", "the placeholder keeps the practice's words");
}

#[test]
fn what_says_nothing_the_domain_keeps_is_read_with_the_specification_s_default() {
    let cases: Vec<(&str, &str, Value)> = vec![
        // No clinicalStatus: an ended problem is inactive, any other active.
        ("Condition", "clinicalStatus", json!(null)),
        // The effective period is 0..1: the medicine starts when its plan was authored.
        ("MedicationStatement", "effectivePeriod", json!({})),
        ("Immunization", "notGiven", json!("no")),
        // A length that is not whole minutes: the period says how long.
        ("Encounter", "length", json!({ "value": -5 })),
        ("Patient", "gender", json!("m")),
    ];
    for (kind, element, value) in cases {
        let mut bundle = everything();
        first_of(&mut bundle, kind)[element] = value;
        let read = read(&bundle).unwrap_or_else(|e| panic!("{kind}.{element}: {e}"));
        assert!(read.unshown.is_empty(), "{kind}.{element}: {:?}", read.unshown);
        assert_eq!(sizes(&read), sizes(&super_read()), "{kind}.{element}");
    }
}

/// The untampered Bundle, read.
fn super_read() -> ReadRecord {
    read(&everything()).expect("reads")
}

#[test]
fn a_consultation_of_another_type_keeps_the_practice_s_words_and_its_notes() {
    let mut bundle = everything();
    first_of(&mut bundle, "Encounter")["type"] = json!([{ "text": "Surgery Consultation" }]);
    let read = read(&bundle).expect("reads");
    assert!(read.unshown.is_empty(), "{:?}", read.unshown);
    let expected = super_read();
    let other: Vec<_> = read.record.encounters.iter().filter(|e| e.kind == EncounterKind::Other).collect();
    assert_eq!(other.len(), 1);
    assert_eq!(other[0].type_label(), "Surgery Consultation");
    assert_eq!(other[0].type_code(), None);
    let same =
        expected.record.encounters.iter().find(|e| e.meta.id == other[0].meta.id).expect("the same consultation");
    assert!(!same.notes.is_empty());
    assert_eq!(other[0].notes, same.notes, "its notes are kept");
    assert_eq!(other[0].linked, same.linked, "and what was recorded in it");
}

#[test]
fn a_resource_twice_is_read_once_each_and_links_to_it_are_not_guessed() {
    let mut bundle = everything();
    let condition = first_of(&mut bundle, "Condition").clone();
    entries(&mut bundle).push(json!({ "resource": condition }));
    let read = read(&bundle).expect("reads");
    assert!(read.warnings.iter().any(|w| w.contains("used twice")), "{:?}", read.warnings);
    assert_eq!(read.record.problems.len(), super_read().record.problems.len() + 1);
}

#[test]
fn what_is_not_a_collection_bundle_is_not_a_bundle() {
    for value in [
        json!(null),
        json!(42),
        json!("Bundle"),
        json!([]),
        json!({}),
        json!({ "resourceType": "OperationOutcome", "issue": [] }),
        json!({ "resourceType": "Bundle", "type": "searchset", "entry": [] }),
        json!({ "resourceType": "Bundle", "type": "collection", "entry": {} }),
    ] {
        assert_eq!(read(&value).err(), Some(ReadError::NotABundle), "{value}");
    }
    let bundle = json!({ "resourceType": "Bundle", "type": "collection", "entry": [] });
    assert_eq!(read(&bundle).err(), Some(ReadError::MissingPatient));
    // Entries that are not resources are skipped, with a warning.
    let mut bundle = everything();
    entries(&mut bundle).push(json!({ "fullUrl": "urn:uuid:1" }));
    entries(&mut bundle).push(json!({ "resource": { "id": "no-type" } }));
    let read = read(&bundle).expect("reads");
    assert!(read.warnings.iter().any(|w| w.starts_with("2 entr(ies)")), "{:?}", read.warnings);
}

#[test]
fn a_bundle_over_the_resource_limit_is_too_large() {
    let entries = vec![json!({ "resource": { "resourceType": "Basic" } }); MAX_RESOURCES + 1];
    let bundle = json!({ "resourceType": "Bundle", "type": "collection", "entry": entries });
    assert_eq!(read(&bundle).err(), Some(ReadError::TooLarge));

    // Contained resources count too.
    let mut bundle = everything();
    let contained: Vec<Value> =
        (0..MAX_RESOURCES).map(|n| json!({ "resourceType": "Basic", "id": format!("c{n}") })).collect();
    first_of(&mut bundle, "List")["contained"] = json!(contained);
    assert_eq!(read(&bundle).err(), Some(ReadError::TooLarge));
}

#[test]
fn unsupported_resources_are_skipped_with_a_warning() {
    let mut bundle = everything();
    entries(&mut bundle).push(json!({ "resource": { "resourceType": "Procedure", "id": "p1" } }));
    // Supporting resources (where, how) are not items, and not worth a warning.
    entries(&mut bundle).push(json!({ "resource": { "resourceType": "Location", "id": "l1" } }));
    let read = read(&bundle).expect("reads");
    assert!(read.warnings.iter().any(|w| w.contains("1 Procedure resource(s)")), "{:?}", read.warnings);
    assert!(!read.warnings.iter().any(|w| w.contains("Location")), "{:?}", read.warnings);
}

#[test]
fn foreign_ids_get_fresh_entry_ids_and_links_still_follow_references() {
    // Rename every resource id as another GP system would (GUID-like), rewriting the
    // references: the record is the same apart from its entry ids.
    let original = everything();
    let text = serde_json::to_string(&original).expect("json");
    let renamed = text.replace("-9434765919-", "-x-");
    let bundle: Value = serde_json::from_str(&renamed).expect("json");
    let expected = read(&original).expect("reads").record;
    let read = read(&bundle).expect("reads").record;
    assert_eq!(read.medications.len(), expected.medications.len());
    assert_eq!(read.problems.len(), expected.problems.len());
    assert_eq!(read.encounters.len(), expected.encounters.len());
    let ids: std::collections::HashSet<_> = read
        .medications
        .iter()
        .map(|m| m.meta.id)
        .chain(read.problems.iter().map(|p| p.meta.id))
        .chain(read.encounters.iter().map(|e| e.meta.id))
        .chain(read.observations.iter().map(|o| o.meta.id))
        .collect();
    for problem in &read.problems {
        assert!(problem.related.iter().all(|id| ids.contains(id)));
    }
    // The AF problem still names apixaban and the blood pressure, by their new ids.
    let af = read.problems.iter().find(|p| p.code.code.value() == 49436004).expect("AF");
    let apixaban = read.medications.iter().find(|m| m.product.name.starts_with("Apixaban")).expect("apixaban");
    assert!(af.related.contains(&apixaban.meta.id));
    let consultation =
        read.encounters.iter().find(|e| e.notes.starts_with("Irregular pulse")).expect("AF consultation");
    assert!(consultation.linked.contains(&apixaban.meta.id));
    assert_eq!(consultation.linked.len(), 4);
}

/// Any JSON value, a few levels deep, with the field names a Bundle uses so that random
/// values reach into the reader.
fn any_json() -> impl Strategy<Value = Value> {
    let names = prop::sample::select(vec![
        "resourceType",
        "type",
        "entry",
        "resource",
        "id",
        "reference",
        "subject",
        "patient",
        "code",
        "coding",
        "system",
        "value",
        "identifier",
        "extension",
        "url",
        "contained",
        "item",
        "basedOn",
        "status",
        "period",
        "start",
        "Bundle",
        "collection",
        "Patient",
        "List",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[a-zA-Z0-9/#:\\-]{0,12}".prop_map(Value::from),
        names.clone().prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((names.clone(), inner), 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}

/// Every path (object keys and array positions) inside `value`.
fn paths(value: &Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(prefix.clone());
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                prefix.push(Step::Key(key.clone()));
                paths(inner, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (index, inner) in items.iter().enumerate() {
                prefix.push(Step::Index(index));
                paths(inner, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// Replaces (or, with `None`, removes) what is at `path`.
fn mutate(value: &mut Value, path: &[Step], replacement: Option<Value>) {
    let Some((last, parents)) = path.split_last() else {
        *value = replacement.unwrap_or(Value::Null);
        return;
    };
    let mut here = value;
    for step in parents {
        here = match step {
            Step::Key(key) => &mut here[key.as_str()],
            Step::Index(index) => &mut here[*index],
        };
    }
    match (last, replacement, here) {
        (Step::Key(key), Some(new), here) => here[key.as_str()] = new,
        (Step::Key(key), None, Value::Object(map)) => {
            map.remove(key);
        }
        (Step::Index(index), Some(new), here) => here[*index] = new,
        (Step::Index(index), None, Value::Array(items)) => {
            items.remove(*index);
        }
        _ => {}
    }
}

fn all_paths(bundle: &Value) -> Vec<Vec<Step>> {
    let mut out = Vec::new();
    paths(bundle, &mut Vec::new(), &mut out);
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_json_never_panics(value in any_json()) {
        let _ = read(&value);
        let wrapped = json!({ "resourceType": "Bundle", "type": "collection", "entry": [{ "resource": value }] });
        let _ = read(&wrapped);
    }

    #[test]
    fn random_resources_in_a_real_bundle_never_panic(resource in any_json(), kind in prop::sample::select(vec![
        "Patient", "Organization", "Practitioner", "PractitionerRole", "List", "AllergyIntolerance", "Medication",
        "MedicationStatement", "MedicationRequest", "Condition", "Encounter", "Observation", "DiagnosticReport",
        "Immunization", "ReferralRequest", "OperationOutcome",
    ])) {
        let mut bundle = everything();
        let mut resource = resource;
        if let Value::Object(map) = &mut resource {
            map.insert("resourceType".into(), json!(kind));
        }
        entries(&mut bundle).push(json!({ "resource": resource }));
        let _ = read(&bundle);
    }

    #[test]
    fn mutated_bundles_never_panic(
        mutations in prop::collection::vec((any::<prop::sample::Index>(), prop::option::of(any_json())), 1..4),
    ) {
        let mut bundle = everything();
        for (at, replacement) in mutations {
            let paths = all_paths(&bundle);
            let path = at.get(&paths).clone();
            mutate(&mut bundle, &path, replacement);
        }
        if let Ok(read) = read(&bundle) {
            // Whatever survived is about the patient asked for.
            prop_assert_eq!(read.record.patient.nhs_number, nhs());
        }
    }
}
