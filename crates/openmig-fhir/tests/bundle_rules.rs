//! The rules a structured-record Bundle must keep, checked on the fixture records and on
//! variants of them.

mod common;

use std::collections::HashSet;

use chrono::NaiveDate;
use common::{
    ALLERGIES, CONFIDENTIAL_NOTE, ENDED_ALLERGIES, IMMUNISATIONS, MEDICATIONS, PROBLEMS, REFERRALS, UNCATEGORISED,
    bundle, key, list, list_items, of_type, options, references, related, resources, warnings,
};
use openmig_domain::fixtures::{example_record, example_record_with_no_known_allergies, ids};
use openmig_domain::record::{
    AllergyStatus, ObservationCategory, ObservationValue, ProblemStatus, Product, ReferenceRange, ReferralPriority,
    Significance,
};
use openmig_domain::{EntryId, GpRecord, PartialDate, SnomedCode};
use openmig_fhir::{
    ImmunisationOptions, MedicationOptions, ProblemOptions, ReferralOptions, StructuredOptions, UncategorisedOptions,
};
use serde_json::Value;

/// `GPConnect-SecondaryListValues-1`.
const SECONDARY_LISTS: &str = "https://fhir.hl7.org.uk/STU3/CodeSystem/GPConnect-SecondaryListValues-1";

/// The secondary List with this code, if present.
fn secondary_list<'a>(bundle: &'a Value, code: &str) -> Option<&'a Value> {
    of_type(bundle, "List")
        .into_iter()
        .find(|l| l["code"]["coding"][0]["system"] == SECONDARY_LISTS && l["code"]["coding"][0]["code"] == code)
}

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

/// The example record with one withheld entry in each of the problems, immunisations,
/// referrals and uncategorised areas: asthma and the flu vaccination confidential, the
/// ex-smoker observation and the referral coded in the sensitive exclusion set.
fn record_with_withheld_entries_in_every_area() -> GpRecord {
    let mut record = example_record();
    let sensitive = SnomedCode::new(278977008).unwrap();
    record.problems.iter_mut().filter(|p| p.meta.id == ids::ASTHMA).for_each(|p| p.meta.confidential = true);
    for immunisation in &mut record.immunisations {
        if immunisation.meta.id == ids::FLU_VACCINATION {
            immunisation.meta.confidential = true;
        }
    }
    record.observations.iter_mut().filter(|o| o.meta.id == ids::EX_SMOKER).for_each(|o| o.code.code = sensitive);
    record.referrals[0].code.code = sensitive;
    record
}

fn only_problems(filters: Vec<(Option<ProblemStatus>, Option<Significance>)>) -> StructuredOptions {
    StructuredOptions { problems: Some(ProblemOptions { filters }), ..Default::default() }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn every_bundle() -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    for (name, record) in [
        ("example", example_record()),
        ("nka", example_record_with_no_known_allergies()),
        ("withheld", record_with_withheld_entries()),
        ("withheld-every-area", record_with_withheld_entries_in_every_area()),
    ] {
        for (resolved, issues) in [(true, true), (false, false), (true, false), (false, true)] {
            out.push((name, bundle(&record, &options(resolved, issues))));
        }
        out.push((name, bundle(&record, &StructuredOptions::everything())));
        out.push((name, bundle(&record, &only_problems(Vec::new()))));
        let without_issues = StructuredOptions {
            medication: Some(MedicationOptions { include_prescription_issues: false, search_from: None }),
            ..StructuredOptions::everything()
        };
        out.push((name, bundle(&record, &without_issues)));
        let filtered = StructuredOptions {
            immunisations: Some(ImmunisationOptions { include_not_given: false }),
            referrals: Some(ReferralOptions { period: Some((day(2020, 1, 1), day(2020, 12, 31))) }),
            uncategorised: Some(UncategorisedOptions { period: Some((day(1990, 1, 1), day(2000, 1, 1))) }),
            ..only_problems(vec![(Some(ProblemStatus::Active), None)])
        };
        out.push((name, bundle(&record, &filtered)));
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
fn patient_organization_and_practitioners_carry_a_version_and_a_profile_and_lists_only_a_profile() {
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
        // The consultation structure Lists refer to each other, so they alone have ids.
        let structure = ["325851000000107", "25851000000105", "24781000000107"]
            .contains(&list["code"]["coding"][0]["code"].as_str().unwrap());
        assert_eq!(list.get("id").is_some(), structure, "{list}");
        assert_eq!(list["meta"], serde_json::json!({ "profile": [openmig_fhir::stu3::urls::LIST_PROFILE] }), "{list}");
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
    // Problems would pull the medicine linked to AF back in; see the linked-item tests.
    let only_allergies = StructuredOptions { medication: None, ..options(true, true) };
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

#[test]
fn problems_carry_significance_status_and_partial_dates_and_refer_to_their_linked_items() {
    let bundle = bundle(&example_record(), &StructuredOptions::everything());
    let conditions = of_type(&bundle, "Condition");
    assert_eq!(conditions.len(), 2);
    let af = conditions.iter().find(|c| c["id"] == "condition-9434765919-7").unwrap();
    assert_eq!(
        af["meta"]["profile"][0],
        "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-ProblemHeader-Condition-1"
    );
    assert_eq!(af["clinicalStatus"], "active");
    assert_eq!(af["extension"][0]["valueCode"], "major");
    assert_eq!(af["onsetDateTime"], "2023-02");
    // The Problems guidance: a medicine by its plan; the consultation it was recorded in
    // is its context.
    assert_eq!(
        related(af),
        [
            "MedicationRequest/medication-request-plan-9434765919-1",
            "Observation/observation-9434765919-13",
            "Encounter/encounter-9434765919-9",
        ]
    );
    assert_eq!(af["context"]["reference"], "Encounter/encounter-9434765919-9");
    let asthma = conditions.iter().find(|c| c["id"] == "condition-9434765919-8").unwrap();
    assert_eq!(asthma["clinicalStatus"], "inactive");
    assert_eq!(asthma["extension"][0]["valueCode"], "minor");
    assert_eq!((asthma["onsetDateTime"].as_str(), asthma["abatementDateTime"].as_str()), (Some("1962"), Some("1990")));
    assert!(related(asthma).is_empty());
    assert_eq!(
        list_items(list(&bundle, PROBLEMS).unwrap()),
        ["Condition/condition-9434765919-7", "Condition/condition-9434765919-8"]
    );
}

#[test]
fn linked_items_are_pulled_in_when_their_area_was_not_asked_for_and_kept_out_of_other_lists() {
    let bundle = bundle(&example_record(), &only_problems(Vec::new()));
    let titles: Vec<&str> = of_type(&bundle, "List").iter().filter_map(|l| l["title"].as_str()).collect();
    assert_eq!(
        titles,
        [
            "Problems",
            "Problems - consultations related to problems",
            "Problems - medications related to problems",
            "Problems - uncategorised data related to problems",
        ],
        "the Problems List and the secondary Lists of what is linked, no other area's"
    );
    for secondary in &of_type(&bundle, "List")[1..] {
        assert_eq!(secondary["code"]["coding"][0]["system"], SECONDARY_LISTS);
        assert_eq!(secondary["code"]["coding"][0]["display"], secondary["title"]);
        assert!(secondary.get("emptyReason").is_none() && secondary.get("id").is_none());
    }
    assert_eq!(
        list_items(secondary_list(&bundle, "problems-medications-related-to-problems").unwrap()),
        ["MedicationStatement/medication-statement-9434765919-1"],
        "a medicine listed by its MedicationStatement, as NHS England's provider tests expect"
    );
    assert_eq!(
        list_items(secondary_list(&bundle, "problems-consultations-related-to-problems").unwrap()),
        ["Encounter/encounter-9434765919-9"]
    );
    let encounters = of_type(&bundle, "Encounter");
    assert_eq!(encounters.len(), 1, "the consultation's Encounter, without its structure Lists or notes");
    assert!(!bundle.to_string().contains("Irregular pulse"));
    let statements = of_type(&bundle, "MedicationStatement");
    assert_eq!(statements.len(), 1);
    assert_eq!(statements[0]["id"], "medication-statement-9434765919-1");
    assert_eq!(of_type(&bundle, "Medication").len(), 1);
    let requests = of_type(&bundle, "MedicationRequest");
    assert_eq!(requests.iter().filter(|r| r["intent"] == "plan").count(), 1);
    assert_eq!(requests.iter().filter(|r| r["intent"] == "order").count(), 5, "issues: absent means true");
    let observations = of_type(&bundle, "Observation");
    assert_eq!(observations.len(), 1);
    assert_eq!(observations[0]["id"], "observation-9434765919-13");
    assert!(of_type(&bundle, "Immunization").is_empty() && of_type(&bundle, "ReferralRequest").is_empty());

    // Asked for with issues off, apixaban comes from the medication area, without issues.
    let with_medication = StructuredOptions {
        medication: Some(MedicationOptions { include_prescription_issues: false, search_from: None }),
        ..only_problems(Vec::new())
    };
    let second = common::bundle(&example_record(), &with_medication);
    assert!(of_type(&second, "MedicationRequest").iter().all(|r| r["intent"] == "plan"));
    assert_eq!(of_type(&second, "MedicationStatement").len(), 4);
}

#[test]
fn an_item_filtered_out_of_its_own_area_is_still_pulled_in_by_its_problem_but_not_listed() {
    let options = StructuredOptions {
        uncategorised: Some(UncategorisedOptions { period: Some((day(2024, 1, 1), day(2024, 12, 31))) }),
        ..only_problems(Vec::new())
    };
    let bundle = bundle(&example_record(), &options);
    assert!(list_items(list(&bundle, UNCATEGORISED).unwrap()).is_empty());
    assert_eq!(of_type(&bundle, "Observation").len(), 1, "the blood pressure linked to AF");
}

#[test]
fn a_withheld_linked_item_is_neither_referenced_nor_pulled_in_and_the_problems_list_warns() {
    let bundle = bundle(&record_with_withheld_entries(), &only_problems(Vec::new()));
    assert!(!bundle.to_string().contains("Apixaban"));
    assert!(of_type(&bundle, "MedicationStatement").is_empty() && of_type(&bundle, "MedicationRequest").is_empty());
    let af = of_type(&bundle, "Condition").into_iter().find(|c| c["id"] == "condition-9434765919-7").unwrap();
    assert_eq!(related(af), ["Observation/observation-9434765919-13", "Encounter/encounter-9434765919-9"]);
    // "The warning code will be present in both lists": the medicine would have been in
    // the secondary List, not in the Problems List, which lost nothing.
    let problems = list(&bundle, PROBLEMS).unwrap();
    assert!(warnings(problems).is_empty());
    assert_eq!(list_items(problems).len(), 2);
    let medicines = secondary_list(&bundle, "problems-medications-related-to-problems").unwrap();
    assert_eq!(warnings(medicines), ["confidential-items"]);
    assert!(list_items(medicines).is_empty());
    assert_eq!(medicines["emptyReason"]["coding"][0]["code"], "no-content-recorded");
}

#[test]
fn withheld_entries_of_the_new_areas_are_absent_and_their_lists_warn() {
    let bundle = bundle(&record_with_withheld_entries_in_every_area(), &StructuredOptions::everything());
    let text = bundle.to_string();
    for hidden in ["Asthma", "195967001", "FLU26-0415", "Ex-smoker", "Diabetes clinic", "278977008"] {
        assert!(!text.contains(hidden), "{hidden} leaked");
    }
    for code in [PROBLEMS, IMMUNISATIONS, REFERRALS, UNCATEGORISED] {
        let found = list(&bundle, code).unwrap();
        assert_eq!(warnings(found), ["confidential-items"], "{code}");
        assert!(found["note"][0]["text"].as_str().unwrap().contains(CONFIDENTIAL_NOTE));
    }
    let referrals = list(&bundle, REFERRALS).unwrap();
    assert_eq!(referrals["emptyReason"]["coding"][0]["code"], "no-content-recorded");
    assert_eq!(list_items(list(&bundle, PROBLEMS).unwrap()), ["Condition/condition-9434765919-7"]);
    assert_eq!(list_items(list(&bundle, IMMUNISATIONS).unwrap()), ["Immunization/immunization-9434765919-16"]);
    assert_eq!(list_items(list(&bundle, UNCATEGORISED).unwrap()), ["Observation/observation-9434765919-13"]);
}

#[test]
fn problem_filters_match_any_status_and_significance_pair_and_withheld_problems_filtered_out_do_not_warn() {
    let ids_of = |filters| {
        let bundle = bundle(&example_record(), &only_problems(filters));
        list_items(list(&bundle, PROBLEMS).unwrap())
    };
    let af = "Condition/condition-9434765919-7";
    let asthma = "Condition/condition-9434765919-8";
    assert_eq!(ids_of(vec![]), [af, asthma]);
    assert_eq!(ids_of(vec![(Some(ProblemStatus::Active), None)]), [af]);
    assert_eq!(ids_of(vec![(None, Some(Significance::Minor))]), [asthma]);
    assert_eq!(ids_of(vec![(Some(ProblemStatus::Active), Some(Significance::Minor))]), Vec::<String>::new());
    assert_eq!(
        ids_of(vec![(Some(ProblemStatus::Active), Some(Significance::Major)), (Some(ProblemStatus::Inactive), None)]),
        [af, asthma]
    );

    let record = record_with_withheld_entries_in_every_area();
    let active = bundle(&record, &only_problems(vec![(Some(ProblemStatus::Active), None)]));
    assert!(warnings(list(&active, PROBLEMS).unwrap()).is_empty(), "the withheld asthma was not asked for");
    let inactive = bundle(&record, &only_problems(vec![(Some(ProblemStatus::Inactive), None)]));
    let problems = list(&inactive, PROBLEMS).unwrap();
    assert_eq!(warnings(problems), ["confidential-items"]);
    assert!(problems.get("entry").is_none());
    // The filtered-out AF problem pulls in nothing.
    assert!(of_type(&inactive, "MedicationStatement").is_empty() && of_type(&inactive, "Observation").is_empty());
}

#[test]
fn immunisations_not_given_appear_only_when_asked_for() {
    let only = |include_not_given| StructuredOptions {
        immunisations: Some(ImmunisationOptions { include_not_given }),
        ..Default::default()
    };
    let given_only = bundle(&example_record(), &only(false));
    let immunizations = of_type(&given_only, "Immunization");
    assert_eq!(immunizations.len(), 1);
    assert!(immunizations.iter().all(|i| i["notGiven"] == false));
    assert!(!given_only.to_string().contains("Patient declined"));
    assert_eq!(list_items(list(&given_only, IMMUNISATIONS).unwrap()), ["Immunization/immunization-9434765919-15"]);

    let with = bundle(&example_record(), &only(true));
    let declined = of_type(&with, "Immunization").into_iter().find(|i| i["notGiven"] == true).unwrap();
    assert_eq!(declined["explanation"]["reasonNotGiven"][0]["text"], "Patient declined");
    // GP Connect's Immunization page: the vaccination is the vaccinationProcedure, and an
    // unknown product is NullFlavor UNK.
    let procedure = declined["extension"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["url"] == "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-VaccinationProcedure-1"
        })
        .expect("the vaccination procedure");
    assert_eq!(procedure["valueCodeableConcept"]["coding"][0]["code"], "12866006");
    assert_eq!(declined["vaccineCode"]["coding"][0]["system"], "http://hl7.org/fhir/v3/NullFlavor");
    assert_eq!(declined["vaccineCode"]["coding"][0]["code"], "UNK", "no product");
    assert_eq!(list_items(list(&with, IMMUNISATIONS).unwrap()).len(), 2);

    // A withheld not-given immunisation warns only when not-given ones were asked for.
    let mut record = example_record();
    record.immunisations.iter_mut().filter(|i| i.meta.id == ids::PNEUMOCOCCAL_DECLINED).for_each(|i| {
        i.meta.confidential = true;
    });
    assert!(warnings(list(&bundle(&record, &only(false)), IMMUNISATIONS).unwrap()).is_empty());
    assert_eq!(warnings(list(&bundle(&record, &only(true)), IMMUNISATIONS).unwrap()), ["confidential-items"]);
}

#[test]
fn an_immunisation_codes_the_product_when_recorded_and_keeps_a_partial_date() {
    let mut record = example_record();
    record.immunisations[0].date = PartialDate::YearMonth(2026, 10);
    let bundle = bundle(&record, &StructuredOptions::everything());
    let flu = of_type(&bundle, "Immunization").into_iter().find(|i| i["id"] == "immunization-9434765919-15").unwrap();
    assert_eq!(flu["vaccineCode"]["coding"][0]["code"], "11278411000001109");
    assert_eq!(flu["date"], "2026-10");
    assert_eq!(flu["lotNumber"], "FLU26-0415");
    assert_eq!(flu["notGiven"], false);
}

#[test]
fn the_referral_period_is_inclusive_on_authored_on() {
    let count = |period: Option<(NaiveDate, NaiveDate)>| {
        let options = StructuredOptions { referrals: Some(ReferralOptions { period }), ..Default::default() };
        let bundle = bundle(&example_record(), &options);
        assert_eq!(of_type(&bundle, "ReferralRequest").len(), list_items(list(&bundle, REFERRALS).unwrap()).len());
        of_type(&bundle, "ReferralRequest").len()
    };
    // The diabetes referral was made on 2026-06-10.
    assert_eq!(count(None), 1);
    assert_eq!(count(Some((day(2026, 6, 10), day(2026, 6, 10)))), 1);
    assert_eq!(count(Some((day(2026, 1, 1), day(2026, 6, 10)))), 1);
    assert_eq!(count(Some((day(2026, 6, 10), day(2026, 11, 25)))), 1);
    assert_eq!(count(Some((day(2026, 1, 1), day(2026, 6, 9)))), 0);
    assert_eq!(count(Some((day(2026, 6, 11), day(2026, 11, 25)))), 0);
}

#[test]
fn a_referral_maps_priority_code_reason_and_recipient() {
    let mut record = example_record();
    record.referrals[0].priority = ReferralPriority::TwoWeekWait;
    let bundle = bundle(&record, &StructuredOptions::everything());
    let referral = of_type(&bundle, "ReferralRequest")[0];
    assert_eq!(referral["priority"], "asap");
    assert_eq!(referral["intent"], "order");
    assert_eq!(referral["authoredOn"], "2026-06-10");
    // GP Connect's ReferralRequest page: `type` is not in use; the code is a reasonCode.
    assert!(referral.get("type").is_none());
    assert_eq!(referral["reasonCode"][0]["coding"][0]["code"], "809391000000101");
    assert_eq!(referral["recipient"][0]["display"], "Diabetes clinic, Royal Victoria Infirmary");
    assert!(referral["recipient"][0].get("reference").is_none());
    assert!(referral["reasonCode"][1]["text"].as_str().unwrap().starts_with("Raised HbA1c"));
}

#[test]
fn uncategorised_data_leaves_out_laboratory_results_and_carries_components_and_partial_dates() {
    // Without investigations, which return the eGFR (see tests/investigations.rs), and
    // consultations, which pull it in with the consultation it was discussed in.
    let options = StructuredOptions { investigations: None, consultations: None, ..StructuredOptions::everything() };
    let bundle = bundle(&example_record(), &options);
    let observations = of_type(&bundle, "Observation");
    assert_eq!(observations.len(), 2, "blood pressure and ex-smoker; not the eGFR");
    assert!(!bundle.to_string().contains("1011481000000105"));
    let bp = observations.iter().find(|o| o["id"] == "observation-9434765919-13").unwrap();
    assert_eq!(bp["component"].as_array().unwrap().len(), 2);
    assert_eq!(bp["component"][0]["valueQuantity"]["system"], "http://unitsofmeasure.org");
    assert_eq!(bp["component"][0]["valueQuantity"]["code"], "mm[Hg]");
    // GP Connect's uncategorised data carries no category (not in use), but an `issued`.
    assert!(bp.get("category").is_none());
    assert_eq!(bp["issued"], "2023-02-10T00:00:00+00:00", "the day it was recorded");
    let smoker = observations.iter().find(|o| o["id"] == "observation-9434765919-14").unwrap();
    assert_eq!(smoker["effectiveDateTime"], "1995");
    assert!(smoker.get("valueQuantity").is_none() && smoker.get("component").is_none());
}

#[test]
fn a_vital_sign_quantity_carries_ucum_and_its_reference_range() {
    let mut record = example_record();
    let mut weight = record.observations[1].clone();
    weight.meta.id = EntryId(200);
    weight.category = ObservationCategory::VitalSigns;
    weight.value = ObservationValue::Quantity { value: 72.5, unit: "kg".into() };
    weight.reference_range = Some(ReferenceRange { low: Some(50.0), high: Some(90.0), text: None });
    record.observations.push(weight);
    let bundle = bundle(&record, &StructuredOptions::everything());
    let weight = of_type(&bundle, "Observation").into_iter().find(|o| o["id"] == "observation-9434765919-200").unwrap();
    assert_eq!(weight["valueQuantity"]["value"], 72.5);
    assert_eq!(weight["valueQuantity"]["system"], "http://unitsofmeasure.org");
    assert_eq!(weight["referenceRange"][0]["low"]["value"], 50.0);
    assert_eq!(weight["referenceRange"][0]["high"]["code"], "kg");
}

#[test]
fn the_uncategorised_period_is_inclusive_and_treats_partial_dates_as_their_interval() {
    let listed = |start, end| {
        let options = StructuredOptions {
            uncategorised: Some(UncategorisedOptions { period: Some((start, end)) }),
            ..Default::default()
        };
        let bundle = bundle(&example_record(), &options);
        list_items(list(&bundle, UNCATEGORISED).unwrap())
    };
    let bp = "Observation/observation-9434765919-13";
    let smoker = "Observation/observation-9434765919-14";
    // Blood pressure on 2023-02-10: both boundary days count.
    assert_eq!(listed(day(2023, 2, 10), day(2023, 2, 10)), [bp]);
    assert_eq!(listed(day(2023, 2, 11), day(2026, 11, 25)), Vec::<String>::new());
    assert_eq!(listed(day(2020, 1, 1), day(2023, 2, 9)), Vec::<String>::new());
    // Ex-smoker recorded as "1995": any period touching 1995 returns it.
    assert_eq!(listed(day(1995, 12, 31), day(2000, 1, 1)), [smoker]);
    assert_eq!(listed(day(1990, 1, 1), day(1995, 1, 1)), [smoker]);
    assert_eq!(listed(day(1996, 1, 1), day(2000, 1, 1)), Vec::<String>::new());
    assert_eq!(listed(day(1990, 1, 1), day(2026, 11, 25)), [bp, smoker]);
}

fn record_with_linked_problems() -> GpRecord {
    openmig_domain::fixtures::with_linked_problems(example_record())
}

/// `(type, target)` of each `relatedProblemHeader`.
fn problem_links(condition: &Value) -> Vec<(String, String)> {
    condition["extension"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| {
            e["url"] == "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-RelatedProblemHeader-1"
        })
        .map(|e| {
            (
                e["extension"][0]["valueCode"].as_str().unwrap().to_owned(),
                e["extension"][1]["valueReference"]["reference"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn linked_problems_carry_their_relation_and_a_problem_filtered_out_comes_in_the_linked_problems_list() {
    let record = record_with_linked_problems();
    let all = bundle(&record, &only_problems(Vec::new()));
    let condition = |b: &Value, id: &str| {
        of_type(b, "Condition").into_iter().find(|c| c["id"] == id).cloned().unwrap_or_else(|| panic!("{id}"))
    };
    assert_eq!(
        problem_links(&condition(&all, "condition-9434765919-200")),
        [("parent".to_owned(), "Condition/condition-9434765919-201".to_owned())]
    );
    assert_eq!(
        problem_links(&condition(&all, "condition-9434765919-201")),
        [("child".to_owned(), "Condition/condition-9434765919-200".to_owned())]
    );
    assert!(secondary_list(&all, "problems-linked-problems-not-relating-to-the-primary-query").is_none());

    // Active problems only: the resolved cough is not in the Problems List, but as the
    // infection's child it is in the Bundle, in the linked-problems List.
    let active = bundle(&record, &only_problems(vec![(Some(ProblemStatus::Active), None)]));
    assert!(!list_items(list(&active, PROBLEMS).unwrap()).contains(&"Condition/condition-9434765919-201".to_owned()));
    let linked = secondary_list(&active, "problems-linked-problems-not-relating-to-the-primary-query").unwrap();
    assert_eq!(list_items(linked), ["Condition/condition-9434765919-201"]);
    assert_eq!(problem_links(&condition(&active, "condition-9434765919-201")).len(), 1);

    // Withheld, the cough is neither linked to nor sent, and the List that would have
    // held it warns.
    let mut withheld = record.clone();
    withheld.problems.iter_mut().filter(|p| p.meta.id == EntryId(201)).for_each(|p| p.meta.confidential = true);
    let active = bundle(&withheld, &only_problems(vec![(Some(ProblemStatus::Active), None)]));
    assert!(!active.to_string().contains("condition-9434765919-201") && !active.to_string().contains("Postviral"));
    assert!(problem_links(&condition(&active, "condition-9434765919-200")).is_empty());
    let linked = secondary_list(&active, "problems-linked-problems-not-relating-to-the-primary-query").unwrap();
    assert_eq!(warnings(linked), ["confidential-items"]);
}

#[test]
fn links_between_problems_read_back_and_never_dangle() {
    let record = record_with_linked_problems();
    let every = bundle(&record, &StructuredOptions::everything());
    let read = openmig_fhir::read_structured_bundle(&every, record.patient.nhs_number).unwrap().record;
    let cough = read.problems.iter().find(|p| p.meta.id == EntryId(201)).unwrap();
    assert_eq!(
        cough.linked_problems,
        record.problems.iter().find(|p| p.meta.id == EntryId(201)).unwrap().linked_problems
    );
    // AF linked to the infection too: a medicines-only answer sends AF (linked to
    // apixaban) but not the infection, so AF's link to it is left out, not left dangling.
    let mut record = record;
    for (from, to) in [(ids::ATRIAL_FIBRILLATION, EntryId(200)), (EntryId(200), ids::ATRIAL_FIBRILLATION)] {
        let problem = record.problems.iter_mut().find(|p| p.meta.id == from).unwrap();
        problem.linked_problems.push(openmig_domain::record::LinkedProblem {
            problem: to,
            relation: openmig_domain::record::ProblemRelation::Sibling,
        });
    }
    let medicines =
        bundle(&record, &StructuredOptions { medication: Some(MedicationOptions::default()), ..Default::default() });
    let conditions = of_type(&medicines, "Condition");
    assert_eq!(conditions.len(), 1);
    assert_eq!(conditions[0]["id"], "condition-9434765919-7");
    assert!(problem_links(conditions[0]).is_empty());
    let every = bundle(&record, &StructuredOptions::everything());
    let af = of_type(&every, "Condition").into_iter().find(|c| c["id"] == "condition-9434765919-7").unwrap();
    assert_eq!(problem_links(af), [("sibling".to_owned(), "Condition/condition-9434765919-200".to_owned())]);
}
