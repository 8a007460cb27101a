//! The rules a structured-record Bundle must keep, checked on the fixture records and on
//! variants of them.

mod common;

use std::collections::HashSet;

use common::{
    ALLERGIES, CONFIDENTIAL_NOTE, ENDED_ALLERGIES, MEDICATIONS, bundle, key, list, of_type, options, references,
    resources, warnings,
};
use openmig_domain::fixtures::{example_record, example_record_with_no_known_allergies, ids};
use openmig_domain::record::{AllergyStatus, Product};
use openmig_domain::{EntryId, GpRecord, SnomedCode};
use openmig_fhir::StructuredOptions;
use serde_json::Value;

/// The example record with apixaban and the resolved penicillin label marked
/// confidential, and a medicine coded in the sensitive exclusion set (HIV, 278977008).
fn record_with_withheld_entries() -> GpRecord {
    let mut record = example_record();
    for medication in &mut record.medications {
        if medication.meta.id == ids::APIXABAN {
            medication.meta.confidential = true;
        }
    }
    for allergy in &mut record.allergies {
        if allergy.meta.id == ids::RESOLVED_PENICILLIN_ALLERGY {
            allergy.meta.confidential = true;
        }
    }
    let mut sensitive = record.medications[1].clone();
    sensitive.meta.id = EntryId(100);
    sensitive.product = Product { code: SnomedCode::new(278977008).unwrap(), name: "Sensitive product".into() };
    record.medications.push(sensitive);
    record
}

fn every_bundle() -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    for (name, record) in [
        ("example", example_record()),
        ("nka", example_record_with_no_known_allergies()),
        ("withheld", record_with_withheld_entries()),
    ] {
        for (resolved, issues) in [(true, true), (false, false), (true, false), (false, true)] {
            out.push((name, bundle(&record, &options(resolved, issues))));
        }
    }
    out
}

#[test]
fn every_reference_resolves_inside_the_bundle() {
    for (name, bundle) in every_bundle() {
        let keys: HashSet<String> = resources(&bundle).into_iter().filter(|r| r["id"].is_string()).map(key).collect();
        for resource in resources(&bundle) {
            let contained: HashSet<String> = resource["contained"]
                .as_array()
                .map(|c| c.iter().map(|r| format!("#{}", r["id"].as_str().unwrap())).collect())
                .unwrap_or_default();
            for reference in references(resource) {
                assert!(
                    keys.contains(&reference) || contained.contains(&reference),
                    "{name}: {reference} does not resolve"
                );
            }
        }
    }
}

#[test]
fn no_resource_appears_twice() {
    for (name, bundle) in every_bundle() {
        let mut seen = HashSet::new();
        for resource in resources(&bundle).into_iter().filter(|r| r["id"].is_string()) {
            assert!(seen.insert(key(resource)), "{name}: {} twice", key(resource));
        }
    }
}

#[test]
fn the_same_record_always_gives_the_same_bundle() {
    let options = StructuredOptions::everything();
    assert_eq!(bundle(&example_record(), &options), bundle(&example_record(), &options));
}

#[test]
fn patient_organization_and_practitioners_carry_a_version_and_a_profile_and_lists_carry_neither() {
    let bundle = bundle(&example_record(), &StructuredOptions::everything());
    for kind in ["Patient", "Organization", "Practitioner"] {
        let found = of_type(&bundle, kind);
        assert!(!found.is_empty(), "no {kind}");
        for resource in found {
            assert!(resource["meta"]["versionId"].is_string(), "{kind} without versionId");
            assert!(resource["meta"]["profile"][0].as_str().unwrap().contains("CareConnect-GPC-"));
        }
    }
    for list in of_type(&bundle, "List") {
        assert!(list.get("id").is_none() && list.get("meta").is_none(), "{list}");
        assert_eq!((list["status"].as_str(), list["mode"].as_str()), (Some("current"), Some("snapshot")));
    }
    assert_eq!(of_type(&bundle, "PractitionerRole").len(), 1);
}

#[test]
fn confidential_and_sensitive_entries_are_absent_and_their_lists_warn() {
    let record = record_with_withheld_entries();
    let bundle = bundle(&record, &options(true, true));
    let text = bundle.to_string();
    for hidden in ["Apixaban", "703908001", "278977008", "Sensitive product", "Tolerated amoxicillin challenge"] {
        assert!(!text.contains(hidden), "{hidden} leaked");
    }
    let medications = list(&bundle, MEDICATIONS).unwrap();
    assert_eq!(warnings(medications), ["confidential-items"]);
    assert_eq!(medications["note"][0]["text"], CONFIDENTIAL_NOTE);
    assert_eq!(medications["entry"].as_array().unwrap().len(), 3, "amoxicillin, naproxen, methotrexate");
    assert_eq!(of_type(&bundle, "MedicationStatement").len(), 3);

    let ended = list(&bundle, ENDED_ALLERGIES).unwrap();
    assert_eq!(warnings(ended), ["confidential-items"]);
    assert_eq!(ended["emptyReason"]["coding"][0]["code"], "no-content-recorded");
    assert_eq!(ended["note"][0]["text"], format!("Information not available\n{CONFIDENTIAL_NOTE}"));
    assert!(ended.get("contained").is_none());
    // Nothing was withheld from the active allergies.
    assert!(warnings(list(&bundle, ALLERGIES).unwrap()).is_empty());
}

#[test]
fn a_withheld_resolved_allergy_warns_only_when_resolved_allergies_were_asked_for() {
    let bundle = bundle(&record_with_withheld_entries(), &options(false, true));
    assert!(list(&bundle, ENDED_ALLERGIES).is_none());
    assert!(warnings(list(&bundle, ALLERGIES).unwrap()).is_empty());
}

#[test]
fn issues_are_left_out_when_not_asked_for_while_every_plan_remains() {
    let without = bundle(&example_record(), &options(true, false));
    let requests = of_type(&without, "MedicationRequest");
    assert!(requests.iter().all(|r| r["intent"] == "plan"));
    assert_eq!(requests.len(), 4);

    let with = bundle(&example_record(), &options(true, true));
    let orders: Vec<_> = of_type(&with, "MedicationRequest").into_iter().filter(|r| r["intent"] == "order").collect();
    assert_eq!(orders.len(), 5 + 1 + 2, "apixaban, amoxicillin, naproxen issues");
    let amoxicillin_plan = "MedicationRequest/medication-request-plan-9434765919-2";
    assert_eq!(orders.iter().filter(|o| o["basedOn"][0]["reference"] == amoxicillin_plan).count(), 1, "an acute");
    let first = orders.iter().find(|o| o["authoredOn"] == "2024-03-04").unwrap();
    assert_eq!(first["dispenseRequest"]["expectedSupplyDuration"]["value"], 7);
    assert_eq!(first["dispenseRequest"]["quantity"]["value"], 21.0);
}

#[test]
fn resolved_allergies_appear_only_when_asked_for_and_only_contained_in_the_ended_list() {
    let without = bundle(&example_record(), &options(false, true));
    assert!(list(&without, ENDED_ALLERGIES).is_none());
    assert!(!without.to_string().contains("\"resolved\""));

    let with = bundle(&example_record(), &options(true, true));
    assert!(of_type(&with, "AllergyIntolerance").iter().all(|a| a["clinicalStatus"] == "active"));
    let ended = list(&with, ENDED_ALLERGIES).unwrap();
    let contained = ended["contained"].as_array().unwrap();
    assert_eq!(contained.len(), 1);
    assert_eq!(contained[0]["clinicalStatus"], "resolved");
    assert_eq!(ended["entry"][0]["item"]["reference"], format!("#{}", contained[0]["id"].as_str().unwrap()));
    let end = &contained[0]["extension"][0];
    assert!(end["url"].as_str().unwrap().ends_with("Extension-CareConnect-GPC-AllergyIntoleranceEnd-1"));
    assert_eq!(end["extension"][0]["valueDateTime"], "2005-05");
}

#[test]
fn a_medicine_prescribed_elsewhere_is_returned_with_the_agency_extension_and_no_orders() {
    let bundle = bundle(&example_record(), &options(true, true));
    let statement = of_type(&bundle, "MedicationStatement")
        .into_iter()
        .find(|s| s["id"] == "medication-statement-9434765919-4")
        .expect("methotrexate");
    let agency = statement["extension"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["url"].as_str().unwrap().ends_with("Extension-CareConnect-GPC-PrescribingAgency-1"))
        .unwrap();
    assert_eq!(agency["valueCodeableConcept"]["coding"][0]["code"], "prescribed-by-another-organisation");
    let plan = statement["basedOn"][0]["reference"].as_str().unwrap();
    assert!(of_type(&bundle, "MedicationRequest").iter().all(|r| r["basedOn"][0]["reference"] != plan));
    let practice_statement = of_type(&bundle, "MedicationStatement")[0];
    assert!(practice_statement.to_string().contains("prescribed-at-gp-practice"));
}

#[test]
fn partial_dates_stay_partial() {
    let bundle = bundle(&example_record(), &options(true, true));
    let methotrexate = of_type(&bundle, "MedicationStatement")
        .into_iter()
        .find(|s| s["id"] == "medication-statement-9434765919-4")
        .unwrap();
    assert_eq!(methotrexate["effectivePeriod"]["start"], "2019");
    let active = of_type(&bundle, "AllergyIntolerance")[0];
    assert_eq!(active["onsetDateTime"], "2024-03");
    assert_eq!(active["assertedDate"], "2024-03-12");
    let resolved = &list(&bundle, ENDED_ALLERGIES).unwrap()["contained"][0];
    assert_eq!((resolved["onsetDateTime"].as_str(), resolved["assertedDate"].as_str()), (Some("1950"), Some("1998")));
}

#[test]
fn no_known_allergies_reads_differently_from_nothing_recorded() {
    let nka = bundle(&example_record_with_no_known_allergies(), &StructuredOptions::everything());
    let nka_list = list(&nka, ALLERGIES).unwrap();
    assert!(nka_list.get("emptyReason").is_none());
    let statement = &of_type(&nka, "AllergyIntolerance")[0];
    assert_eq!(statement["code"]["coding"][0]["code"], "716186003");
    assert_eq!(
        nka_list["entry"][0]["item"]["reference"],
        format!("AllergyIntolerance/{}", statement["id"].as_str().unwrap())
    );

    let mut nothing = example_record_with_no_known_allergies();
    nothing.no_known_allergies = None;
    let nothing = bundle(&nothing, &StructuredOptions::everything());
    let nothing_list = list(&nothing, ALLERGIES).unwrap();
    assert_eq!(nothing_list["emptyReason"]["coding"][0]["code"], "no-content-recorded");
    assert_eq!(nothing_list["note"][0]["text"], "Information not available");
    assert!(nothing_list.get("entry").is_none());
    assert!(warnings(nothing_list).is_empty());
    assert!(of_type(&nothing, "AllergyIntolerance").is_empty());
    // Medication is empty too, the same way.
    assert_eq!(list(&nothing, MEDICATIONS).unwrap()["emptyReason"]["coding"][0]["code"], "no-content-recorded");
}

#[test]
fn no_known_allergies_is_not_sent_over_a_withheld_active_allergy() {
    let mut record = example_record();
    record.allergies.retain(|a| matches!(a.status, AllergyStatus::Active));
    record.allergies[0].meta.confidential = true;
    record.no_known_allergies = example_record_with_no_known_allergies().no_known_allergies;
    let bundle = bundle(&record, &StructuredOptions::everything());
    let allergies = list(&bundle, ALLERGIES).unwrap();
    assert!(of_type(&bundle, "AllergyIntolerance").is_empty());
    assert_eq!(allergies["emptyReason"]["coding"][0]["code"], "no-content-recorded");
    assert_eq!(warnings(allergies), ["confidential-items"]);
}

#[test]
fn an_area_not_asked_for_has_no_list_and_no_resources() {
    let only_allergies = StructuredOptions { medication: None, ..StructuredOptions::everything() };
    let bundle = bundle(&example_record(), &only_allergies);
    assert!(list(&bundle, MEDICATIONS).is_none());
    assert!(of_type(&bundle, "MedicationStatement").is_empty() && of_type(&bundle, "Medication").is_empty());
    // The nurse recorded only the resolved allergy and methotrexate: with medication off
    // she is still referenced by the contained resolved allergy.
    assert_eq!(of_type(&bundle, "Practitioner").len(), 2);
}

#[test]
fn the_patient_refers_to_the_usual_gp_and_the_practice() {
    let bundle = bundle(&example_record(), &StructuredOptions::default());
    let patient = of_type(&bundle, "Patient")[0];
    assert_eq!(patient["identifier"][0]["system"], "https://fhir.nhs.uk/Id/nhs-number");
    assert_eq!(patient["identifier"][0]["value"], "9434765919");
    assert_eq!(patient["birthDate"], "1942-03-14");
    assert_eq!(patient["generalPractitioner"][0]["reference"], "Practitioner/practitioner-G9000001");
    assert_eq!(patient["managingOrganization"]["reference"], "Organization/organization-Z90001");
    assert!(patient.get("deceasedDateTime").is_none());
    // With no area asked for, only the usual GP is a Practitioner.
    assert_eq!(of_type(&bundle, "Practitioner").len(), 1);
    assert!(of_type(&bundle, "List").is_empty());
}

#[test]
fn a_deceased_patient_carries_the_date_of_death() {
    let mut record = example_record();
    record.patient.deceased = chrono::NaiveDate::from_ymd_opt(2026, 11, 1);
    let bundle = bundle(&record, &StructuredOptions::default());
    assert_eq!(of_type(&bundle, "Patient")[0]["deceasedDateTime"], "2026-11-01");
}
