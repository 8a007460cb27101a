//! Reading write-back documents: what is extracted, and the error for each missing or
//! invalid element.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::*;
use openmig_domain::NhsNumber;
use openmig_inbox::document::{MAX_ATTACHMENT_BYTES, MAX_DOCUMENT_BYTES};
use openmig_inbox::{DocumentKind, ParseError, parse};
use proptest::prelude::*;
use serde_json::{Value, json};

/// A change to a valid document that should make it invalid.
type Change = Box<dyn FnOnce(&mut Value)>;

fn bundle_error(change: impl FnOnce(&mut Value)) -> ParseError {
    let mut document = bundle(NHS, "ed-1");
    change(&mut document);
    parse(DocumentKind::Bundle, document.to_string().as_bytes()).expect_err("refused")
}

fn reference_error(change: impl FnOnce(&mut Value)) -> ParseError {
    let mut document = document_reference(NHS, "ooh-1", "Seen overnight.");
    change(&mut document);
    parse(DocumentKind::DocumentReference, document.to_string().as_bytes()).expect_err("refused")
}

fn element(error: &ParseError) -> &str {
    error.element().unwrap_or_else(|| panic!("no element named: {error}"))
}

#[test]
fn a_discharge_summary_bundle_yields_patient_identifier_author_codes_and_text() {
    let parsed = common::parse(DocumentKind::Bundle, &bundle(NHS, "ed-1"));
    let summary = parsed.summary();
    assert_eq!(summary.kind, DocumentKind::Bundle);
    assert_eq!(summary.nhs_number, NhsNumber::parse(NHS).unwrap());
    assert_eq!((summary.identifier.system.as_str(), summary.identifier.value.as_str()), (SYSTEM, "ed-1"));
    assert_eq!(summary.title, "Emergency department discharge summary");
    assert_eq!(summary.date, "2026-11-25T11:30:00+00:00");
    assert_eq!(summary.author.to_string(), "Synthetic General Hospital Emergency Department (ZC010)");
    assert_eq!(summary.diagnoses.len(), 1);
    assert_eq!(summary.diagnoses[0].code.value(), 49436004);
    assert_eq!(summary.diagnoses[0].display, "Atrial fibrillation");
    assert_eq!(summary.diagnoses[0].clinical_status.as_deref(), Some("active"));
    let changes: Vec<(u64, &str, &str)> = summary
        .medication_changes
        .iter()
        .map(|change| (change.code.value(), change.display.as_str(), change.status.as_str()))
        .collect();
    assert_eq!(
        changes,
        [(703908001, "Apixaban 5mg tablets", "active"), (329807003, "Naproxen 500mg tablets", "stopped")]
    );
    assert_eq!(summary.medication_changes[0].dosage.as_deref(), Some("One tablet twice a day"));
    assert_eq!(summary.medication_changes[1].reason.as_deref(), Some("Bleeding risk with apixaban"));
    assert_eq!(
        summary.text,
        "Presenting complaint\nPalpitations for two hours.\nDiagnoses\nAtrial fibrillation, new\nMedication changes\n\
         Started\nApixaban 5mg twice a day\nStopped\nNaproxen (bleeding risk with apixaban)"
    );
    // Codes travel as strings in JSON: dm+d ids can exceed what JavaScript numbers hold.
    let json = serde_json::to_value(summary).unwrap();
    assert_eq!(json["diagnoses"][0]["code"], "49436004");
    assert_eq!(json["nhsNumber"], NHS);
}

#[test]
fn a_document_reference_yields_its_attachment_as_text() {
    let parsed = common::parse(
        DocumentKind::DocumentReference,
        &document_reference(NHS, "ooh-1", "Seen overnight.\r\nSafety-netted.\n"),
    );
    let summary = parsed.summary();
    assert_eq!(summary.kind, DocumentKind::DocumentReference);
    assert_eq!(summary.identifier.value, "ooh-1");
    assert_eq!(summary.title, "Out-of-hours consultation");
    assert_eq!(summary.date, "2026-11-24T16:05:00Z");
    assert_eq!(summary.author.to_string(), "Synthetic Out-of-Hours GP Service (ZC030)");
    assert_eq!(summary.text, "Seen overnight.\nSafety-netted.");
    assert!(summary.diagnoses.is_empty() && summary.medication_changes.is_empty());

    let mut html = document_reference(NHS, "ooh-2", "");
    html["content"][0]["attachment"] = json!({ "contentType": "text/html",
        "data": STANDARD.encode("<html><body><h1>Summary</h1><p>Chest pain &amp; breathlessness</p></body></html>") });
    html["identifier"] = json!([{ "system": SYSTEM, "value": "other" }]);
    let parsed = common::parse(DocumentKind::DocumentReference, &html);
    assert_eq!(parsed.summary().text, "Summary\nChest pain & breathlessness");
    assert_eq!(parsed.summary().identifier.value, "ooh-2", "masterIdentifier comes first");
}

#[test]
fn the_identifier_may_be_an_identifier_when_there_is_no_master_identifier() {
    let mut document = document_reference(NHS, "ooh-1", "text");
    document.as_object_mut().unwrap().remove("masterIdentifier");
    document["identifier"] = json!([{ "system": SYSTEM, "value": "ooh-9" }]);
    let parsed = common::parse(DocumentKind::DocumentReference, &document);
    assert_eq!(parsed.summary().identifier.value, "ooh-9");
}

#[test]
fn formatting_does_not_change_the_canonical_content() {
    let compact = bundle(NHS, "ed-1").to_string();
    let pretty = serde_json::to_string_pretty(&bundle(NHS, "ed-1")).unwrap();
    let a = parse(DocumentKind::Bundle, compact.as_bytes()).unwrap();
    let b = parse(DocumentKind::Bundle, pretty.as_bytes()).unwrap();
    assert_eq!(a.canonical_json(), b.canonical_json());
    assert!(a.canonical_json().starts_with("{\"entry\":"), "keys sorted");
}

#[test]
fn the_body_must_be_json_of_the_endpoint_resource_type_and_within_the_size_cap() {
    assert!(matches!(parse(DocumentKind::Bundle, b"{not json"), Err(ParseError::NotJson { line: 1, .. })));
    let reference = document_reference(NHS, "x", "y").to_string();
    assert_eq!(
        parse(DocumentKind::Bundle, reference.as_bytes()).unwrap_err().to_string(),
        "expected a FHIR Bundle resource, found DocumentReference"
    );
    assert!(matches!(parse(DocumentKind::DocumentReference, b"[1, 2]"), Err(ParseError::WrongResourceType { .. })));
    let huge = vec![b' '; MAX_DOCUMENT_BYTES + 1];
    assert_eq!(parse(DocumentKind::Bundle, &huge).unwrap_err(), ParseError::TooLarge { limit: MAX_DOCUMENT_BYTES });
}

#[test]
fn each_missing_bundle_element_is_named() {
    let cases: Vec<(&str, Change)> = vec![
        ("Bundle.type", Box::new(|d| d["type"] = json!("collection"))),
        ("Bundle.identifier", Box::new(|d| drop(d.as_object_mut().unwrap().remove("identifier")))),
        ("Bundle.identifier.system", Box::new(|d| d["identifier"] = json!({ "value": "ed-1" }))),
        ("Bundle.entry", Box::new(|d| d["entry"] = json!([]))),
        ("Bundle.entry[0].resource", Box::new(|d| d["entry"].as_array_mut().unwrap().swap(0, 1))),
        ("Composition.status", Box::new(|d| d["entry"][0]["resource"]["status"] = json!("entered-in-error"))),
        (
            "Composition.subject",
            Box::new(|d| drop(d["entry"][0]["resource"].as_object_mut().unwrap().remove("subject"))),
        ),
        ("Composition.title", Box::new(|d| d["entry"][0]["resource"]["title"] = json!("  "))),
        ("Composition.date", Box::new(|d| d["entry"][0]["resource"]["date"] = json!("25/11/2026"))),
        ("Composition.date", Box::new(|d| d["entry"][0]["resource"]["date"] = json!("2026-11-25T11:30:00"))),
        ("Composition.author", Box::new(|d| d["entry"][0]["resource"]["author"] = json!([]))),
        (
            "Composition.author",
            Box::new(|d| d["entry"][0]["resource"]["author"] = json!([{ "type": "Practitioner", "display": "Dr A" }])),
        ),
        (
            "Composition.section",
            Box::new(|d| drop(d["entry"][0]["resource"].as_object_mut().unwrap().remove("section"))),
        ),
        (
            "Composition.section.text",
            Box::new(|d| d["entry"][0]["resource"]["section"] = json!([{ "title": "Empty" }])),
        ),
        (
            "Composition.section[0].text.div",
            Box::new(|d| d["entry"][0]["resource"]["section"][0]["text"] = json!({ "status": "generated" })),
        ),
        (
            "Bundle.entry[3].resource (Condition).code.coding",
            Box::new(|d| d["entry"][3]["resource"]["code"] = json!({ "text": "AF" })),
        ),
        (
            "Bundle.entry[3].resource (Condition).code.coding[0].code",
            Box::new(|d| d["entry"][3]["resource"]["code"]["coding"][0]["code"] = json!("49436005")),
        ),
        (
            "Bundle.entry[3].resource (Condition).subject",
            Box::new(|d| drop(d["entry"][3]["resource"].as_object_mut().unwrap().remove("subject"))),
        ),
        (
            "Bundle.entry[4].resource (MedicationStatement).status",
            Box::new(|d| drop(d["entry"][4]["resource"].as_object_mut().unwrap().remove("status"))),
        ),
        (
            "Bundle.entry[4].resource (MedicationStatement).medication[x]",
            Box::new(|d| drop(d["entry"][4]["resource"].as_object_mut().unwrap().remove("medicationCodeableConcept"))),
        ),
        (
            "Bundle.entry[4].resource (MedicationStatement).medicationCodeableConcept.coding",
            Box::new(|d| {
                d["entry"][4]["resource"]["medicationCodeableConcept"]["coding"][0]["system"] =
                    json!("http://example.org/local")
            }),
        ),
        (
            "Composition.subject.reference",
            Box::new(|d| d["entry"][0]["resource"]["subject"]["reference"] = json!("urn:uuid:nowhere")),
        ),
    ];
    for (expected, change) in cases {
        let error = bundle_error(change);
        assert_eq!(element(&error), expected, "{error}");
    }
}

#[test]
fn a_document_that_names_two_patients_is_refused() {
    let other = (900_000_011u32..).find_map(NhsNumber::from_prefix).unwrap().to_string();
    let subject = bundle_error(|d| {
        d["entry"][0]["resource"]["subject"]["identifier"]["value"] = json!(other.clone());
    });
    assert_eq!(element(&subject), "Composition.subject");
    assert!(subject.to_string().contains("wrong-patient"), "{subject}");
    let condition = bundle_error(|d| {
        d["entry"][3]["resource"]["subject"] =
            json!({ "identifier": { "system": "https://fhir.nhs.uk/Id/nhs-number", "value": other.clone() } });
    });
    assert!(condition.to_string().contains("different patient"), "{condition}");
    let second_patient = bundle_error(|d| {
        d["entry"].as_array_mut().unwrap().push(json!({ "resource": { "resourceType": "Patient",
            "identifier": [{ "system": "https://fhir.nhs.uk/Id/nhs-number", "value": other.clone() }] } }));
    });
    assert!(second_patient.to_string().contains("different patient"), "{second_patient}");
    // And no message repeats an NHS number.
    for error in [subject, condition, second_patient] {
        assert!(!error.to_string().contains(NHS) && !error.to_string().contains(&other), "{error}");
    }
}

#[test]
fn an_invalid_nhs_number_is_refused_without_echoing_it() {
    let error = bundle_error(|d| {
        d["entry"][0]["resource"]["subject"]["identifier"]["value"] = json!("9434765918");
        d["entry"][1]["resource"]["identifier"][0]["value"] = json!("9434765918");
    });
    assert_eq!(element(&error), "Composition.subject.identifier");
    assert!(error.to_string().contains("Modulus 11") && !error.to_string().contains("9434765918"), "{error}");
}

#[test]
fn each_missing_document_reference_element_is_named() {
    let cases: Vec<(&str, Change)> = vec![
        ("DocumentReference.status", Box::new(|d| d["status"] = json!("superseded"))),
        (
            "DocumentReference.masterIdentifier",
            Box::new(|d| drop(d.as_object_mut().unwrap().remove("masterIdentifier"))),
        ),
        ("DocumentReference.masterIdentifier.value", Box::new(|d| d["masterIdentifier"] = json!({ "system": SYSTEM }))),
        ("DocumentReference.subject", Box::new(|d| drop(d.as_object_mut().unwrap().remove("subject")))),
        ("DocumentReference.subject.identifier", Box::new(|d| d["subject"] = json!({ "display": "A patient" }))),
        ("DocumentReference.type", Box::new(|d| drop(d.as_object_mut().unwrap().remove("type")))),
        ("DocumentReference.date", Box::new(|d| drop(d.as_object_mut().unwrap().remove("date")))),
        ("DocumentReference.author", Box::new(|d| d["author"] = json!([{ "display": "Dr A" }]))),
        ("DocumentReference.content", Box::new(|d| d["content"] = json!([]))),
        (
            "DocumentReference.content",
            Box::new(|d| d["content"][0]["attachment"]["contentType"] = json!("application/pdf")),
        ),
        (
            "DocumentReference.content[0].attachment.data",
            Box::new(|d| {
                d["content"][0]["attachment"] =
                    json!({ "contentType": "text/plain", "url": "https://x.example/letter" })
            }),
        ),
        (
            "DocumentReference.content[0].attachment.data",
            Box::new(|d| d["content"][0]["attachment"]["data"] = json!("***")),
        ),
        (
            "DocumentReference.content[0].attachment.data",
            Box::new(|d| d["content"][0]["attachment"]["data"] = json!(STANDARD.encode([0xff, 0xfe, 0x00]))),
        ),
        (
            "DocumentReference.content[0].attachment.data",
            Box::new(|d| d["content"][0]["attachment"]["data"] = json!(STANDARD.encode("   \n  "))),
        ),
        (
            "DocumentReference.content[0].attachment.contentType",
            Box::new(|d| drop(d["content"][0]["attachment"].as_object_mut().unwrap().remove("contentType"))),
        ),
    ];
    for (expected, change) in cases {
        let error = reference_error(change);
        assert_eq!(element(&error), expected, "{error}");
    }
}

#[test]
fn an_attachment_over_the_cap_is_refused() {
    let error = reference_error(|d| {
        d["content"][0]["attachment"]["data"] = json!(STANDARD.encode(vec![b'a'; MAX_ATTACHMENT_BYTES + 10]));
    });
    assert!(error.to_string().contains("larger than"), "{error}");
}

#[test]
fn the_custodian_stands_in_for_a_missing_author_organisation() {
    let mut document = document_reference(NHS, "ooh-1", "text");
    document.as_object_mut().unwrap().remove("author");
    document["custodian"] =
        json!({ "identifier": { "system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "ZC030" } });
    let parsed = common::parse(DocumentKind::DocumentReference, &document);
    assert_eq!(parsed.summary().author.to_string(), "ZC030");
}

proptest! {
    /// Whatever bytes arrive, parsing answers (never panics), and a refusal never
    /// carries more than a short message.
    #[test]
    fn parsing_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Err(error) = parse(DocumentKind::Bundle, &bytes) {
            prop_assert!(error.to_string().len() < 400);
        }
    }

    /// Removing any one key of any Composition or clinical entry either still parses or
    /// is refused with a named element: never a panic, never a silent wrong patient.
    #[test]
    fn dropping_any_key_is_handled(entry in 0usize..6, key_index in 0usize..12) {
        let mut document = bundle(NHS, "ed-1");
        let resource = document["entry"][entry]["resource"].as_object_mut().unwrap();
        let keys: Vec<String> = resource.keys().cloned().collect();
        let key = &keys[key_index % keys.len()];
        resource.remove(key);
        match parse(DocumentKind::Bundle, document.to_string().as_bytes()) {
            Ok(parsed) => prop_assert_eq!(parsed.summary().nhs_number, NhsNumber::parse(NHS).unwrap()),
            Err(error) => prop_assert!(error.element().is_some() || matches!(error, ParseError::WrongResourceType { .. }), "{}", error),
        }
    }
}
