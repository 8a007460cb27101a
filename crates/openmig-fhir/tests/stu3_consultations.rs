//! The consultations area of the GP Connect structured Bundle: the "List of
//! consultations", each Encounter with its consultation / topic / heading Lists, the
//! linked items in the Bundle, the period and "most recent N" filters, and withholding
//! that leaves no trace.
//!
//! The example record has three encounters: the AF diagnosis (surgery, 2023-02-10 09:20,
//! the GP; linked AF, apixaban started, naproxen stopped, blood pressure), the
//! anticoagulation review (telephone, 2026-11-02 14:05, the nurse; linked eGFR and the
//! apixaban issued that day) and a consultation the practice marked confidential
//! (2025-06-17).

mod common;

use std::collections::HashSet;

use chrono::NaiveDate;
use common::{bundle, key, list, list_items, of_type, references, resources, warnings};
use openmig_domain::fixtures::{example_record, example_record_with_no_known_allergies, ids};
use openmig_domain::record::{Coded, Encounter, EncounterKind, EntryMeta, Problem, ProblemStatus, Significance};
use openmig_domain::{ClinicianId, EntryId, GpRecord, PartialDate, SnomedCode};
use openmig_fhir::stu3::ConsultationOptions;
use openmig_fhir::validator::{validate_stu3, write_json};
use openmig_fhir::{MedicationOptions, StructuredOptions};
use serde_json::Value;

const CONSULTATIONS: &str = "1149501000000101";
const CONSULTATION: &str = "325851000000107";
const TOPIC: &str = "25851000000105";
const HEADING: &str = "24781000000107";
const AF_ENCOUNTER: &str = "Encounter/encounter-9434765919-9";
const REVIEW_ENCOUNTER: &str = "Encounter/encounter-9434765919-10";
/// A sexual-health code in the sensitive exclusion set (genital herpes, 33839006).
const SENSITIVE: u64 = 33839006;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn consultations(period: Option<(NaiveDate, NaiveDate)>, most_recent: Option<u32>) -> StructuredOptions {
    StructuredOptions { consultations: Some(ConsultationOptions { period, most_recent }), ..Default::default() }
}

fn only_consultations() -> StructuredOptions {
    consultations(None, None)
}

/// The Encounters the "List of consultations" refers to, in order.
fn listed(bundle: &Value) -> Vec<String> {
    list_items(list(bundle, CONSULTATIONS).expect("the List of consultations"))
}

/// A resource of the Bundle by `Type/id`.
fn resolve<'a>(bundle: &'a Value, reference: &str) -> &'a Value {
    resources(bundle).into_iter().find(|r| r["id"].is_string() && key(r) == reference).unwrap_or_else(|| {
        panic!("{reference} is not in the Bundle");
    })
}

/// The consultation List of an encounter.
fn consultation_list<'a>(bundle: &'a Value, encounter: &str) -> &'a Value {
    of_type(bundle, "List")
        .into_iter()
        .find(|l| l["code"]["coding"][0]["code"] == CONSULTATION && l["encounter"]["reference"] == encounter)
        .unwrap_or_else(|| panic!("no consultation List for {encounter}"))
}

/// (heading title, item references or displays) of an encounter's consultation.
fn headings(bundle: &Value, encounter: &str) -> Vec<(String, Vec<String>)> {
    let consultation = consultation_list(bundle, encounter);
    let topics = list_items(consultation);
    assert_eq!(topics.len(), 1, "one topic per consultation");
    let topic = resolve(bundle, &topics[0]);
    assert_eq!(topic["code"]["coding"][0]["code"], TOPIC);
    list_items(topic)
        .iter()
        .map(|reference| {
            let heading = resolve(bundle, reference);
            assert_eq!(heading["code"]["coding"][0]["code"], HEADING);
            assert_eq!(heading["encounter"]["reference"], encounter);
            let items = heading["entry"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["item"]["reference"].as_str().or(e["item"]["display"].as_str()).unwrap().to_owned())
                .collect();
            (heading["title"].as_str().unwrap().to_owned(), items)
        })
        .collect()
}

fn titles(headings: &[(String, Vec<String>)]) -> Vec<&str> {
    headings.iter().map(|(title, _)| title.as_str()).collect()
}

fn items_under<'a>(headings: &'a [(String, Vec<String>)], title: &str) -> &'a [String] {
    headings.iter().find(|(t, _)| t == title).map(|(_, items)| items.as_slice()).unwrap_or(&[])
}

/// Every reference resolves to a top-level resource (or a List's contained one), and
/// no resource appears twice.
fn assert_closed(name: &str, bundle: &Value) {
    let mut keys = HashSet::new();
    for resource in resources(bundle).into_iter().filter(|r| r["id"].is_string()) {
        assert!(keys.insert(key(resource)), "{name}: {} twice", key(resource));
    }
    for resource in resources(bundle) {
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

fn meta(id: u32, recorded_on: NaiveDate) -> EntryMeta {
    EntryMeta { id: EntryId(id), recorded_on, recorded_by: ClinicianId("G9000001".into()), confidential: false }
}

fn sensitive_problem(id: u32, on: NaiveDate) -> Problem {
    Problem {
        meta: meta(id, on),
        code: Coded::new(SnomedCode::new(SENSITIVE).unwrap(), "Genital herpes simplex"),
        status: ProblemStatus::Inactive,
        significance: Significance::Major,
        onset: Some(PartialDate::Day(on)),
        ended: None,
        notes: None,
        related: Vec::new(),
        linked_problems: Vec::new(),
    }
}

fn encounter(id: u32, on: NaiveDate, hour: u32, notes: &str, linked: Vec<EntryId>) -> Encounter {
    Encounter {
        meta: meta(id, on),
        start: on.and_hms_opt(hour, 0, 0).unwrap(),
        duration_minutes: 10,
        kind: EncounterKind::Surgery,
        clinician: ClinicianId("G9000001".into()),
        notes: notes.into(),
        linked,
        other_type: None,
    }
}

/// The example record with a sensitive diagnosis (id 300, 2023-02-10) recorded in the AF
/// consultation, and a sexual-health attendance (encounter 301, 2026-05-05) that links
/// only a second sensitive diagnosis (id 302).
fn record_with_sensitive_consultation_items() -> GpRecord {
    let mut record = example_record();
    record.problems.push(sensitive_problem(300, day(2023, 2, 10)));
    record.problems.push(sensitive_problem(302, day(2026, 5, 5)));
    for e in &mut record.encounters {
        if e.meta.id == ids::AF_CONSULTATION {
            e.linked.push(EntryId(300));
        }
    }
    record.encounters.push(encounter(
        301,
        day(2026, 5, 5),
        15,
        "Attended for sexual health follow-up; swab taken.",
        vec![EntryId(302)],
    ));
    record
}

#[test]
fn consultations_alone_list_the_encounters_most_recent_first_and_warn_of_the_confidential_one() {
    let b = bundle(&example_record(), &only_consultations());
    assert_eq!(listed(&b), [REVIEW_ENCOUNTER, AF_ENCOUNTER]);
    let found = list(&b, CONSULTATIONS).unwrap();
    assert_eq!(found["title"], "List of consultations");
    assert_eq!(warnings(found), ["confidential-items"]);
    assert!(found.get("id").is_none(), "a primary List has no id");
    assert_eq!(of_type(&b, "Encounter").len(), 2);
    // Only the consultations' Lists: no other area's primary List is added, only the
    // secondary Lists of what the consultations recorded, and of the problems linked.
    let primary: Vec<&str> =
        of_type(&b, "List").into_iter().filter(|l| l.get("id").is_none()).filter_map(|l| l["title"].as_str()).collect();
    assert_eq!(
        primary,
        [
            "List of consultations",
            "Consultations - medications contained in consultations",
            "Consultations - problems contained in consultations",
            "Consultations - uncategorised data contained in consultations",
            "Problems - linked problems not relating to the primary query",
        ]
    );
    let medicines = of_type(&b, "List")
        .into_iter()
        .find(|l| l["title"] == "Consultations - medications contained in consultations")
        .unwrap();
    let listed: Vec<&str> =
        medicines["entry"].as_array().unwrap().iter().filter_map(|e| e["item"]["reference"].as_str()).collect();
    assert_eq!(
        listed,
        [
            "MedicationStatement/medication-statement-9434765919-1",
            "MedicationStatement/medication-statement-9434765919-3"
        ],
        "apixaban and naproxen, each once though two consultations recorded apixaban"
    );
    let text = b.to_string();
    for hidden in ["encounter-9434765919-11", "consultation-9434765919-11", "family circumstances", "2025-06-17"] {
        assert!(!text.contains(hidden), "{hidden} leaked");
    }
    assert_closed("consultations alone", &b);
}

#[test]
fn an_encounter_carries_type_clinician_period_length_and_the_practice() {
    let b = bundle(&example_record(), &only_consultations());
    let af = resolve(&b, AF_ENCOUNTER);
    assert_eq!(af["meta"]["profile"][0], "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Encounter-1");
    assert_eq!(af["status"], "finished");
    assert_eq!(af["type"][0]["coding"][0]["code"], "185202000");
    assert_eq!(af["type"][0]["text"], "Seen in GP's surgery");
    // GP Connect's Encounter page: the recorder is REC (GP Connect's participant types),
    // the clinician seen PPRF.
    let recorder = &af["participant"][0];
    assert_eq!(
        recorder["type"][0]["coding"][0]["system"],
        "https://fhir.nhs.uk/STU3/CodeSystem/GPConnect-ParticipantType-1"
    );
    assert_eq!(recorder["type"][0]["coding"][0]["code"], "REC");
    assert!(recorder["individual"]["reference"].as_str().unwrap().starts_with("Practitioner/"));
    assert_eq!(af["participant"][1]["type"][0]["coding"][0]["code"], "PPRF");
    assert_eq!(af["participant"][1]["individual"]["reference"], "Practitioner/practitioner-G9000001");
    assert_eq!(af["period"]["start"], "2023-02-10T09:20:00+00:00");
    assert_eq!(af["period"]["end"], "2023-02-10T09:35:00+00:00");
    assert_eq!(af["length"]["value"], 15);
    assert_eq!(af["length"]["code"], "min");
    assert_eq!(af["serviceProvider"]["reference"], "Organization/organization-Z90001");
    // GP Connect: `identifier` is mandatory; these are not in use.
    assert_eq!(af["identifier"][0]["value"], "Z90001/encounter-9434765919-9");
    for unused in ["class", "reason", "diagnosis", "location", "episodeOfCare", "hospitalization"] {
        assert!(af.get(unused).is_none(), "{unused}");
    }

    // A summer consultation carries the BST offset.
    let mut record = example_record();
    record.encounters[0].start = day(2024, 7, 1).and_hms_opt(9, 20, 0).unwrap();
    let summer = bundle(&record, &only_consultations());
    assert_eq!(resolve(&summer, AF_ENCOUNTER)["period"]["start"], "2024-07-01T09:20:00+01:00");
}

#[test]
fn the_structure_runs_consultation_topic_headings_items_and_the_notes_come_first() {
    let b = bundle(&example_record(), &only_consultations());
    let consultation = consultation_list(&b, AF_ENCOUNTER);
    assert_eq!(consultation["id"], "consultation-9434765919-9");
    assert_eq!(consultation["title"], "Seen in GP's surgery");
    assert_eq!(consultation["date"], "2023-02-10");
    assert_eq!(consultation["orderedBy"]["coding"][0]["code"], "system");
    for structure in of_type(&b, "List").into_iter().filter(|l| l.get("id").is_some()) {
        for forbidden in ["note", "source", "identifier", "emptyReason"] {
            assert!(structure.get(forbidden).is_none(), "{forbidden} on {}", structure["id"]);
        }
        assert!(!structure.to_string().contains("ListWarningCode"), "structure Lists never warn");
        assert!(structure["subject"]["reference"].is_string() && structure["encounter"]["reference"].is_string());
    }

    let af = headings(&b, AF_ENCOUNTER);
    assert_eq!(titles(&af), ["Notes", "Problems", "Observations", "Medication"]);
    assert_eq!(items_under(&af, "Notes"), ["Observation/observation-narrative-9434765919-9"]);
    assert_eq!(items_under(&af, "Problems"), ["Condition/condition-9434765919-7"]);
    assert_eq!(items_under(&af, "Observations"), ["Observation/observation-9434765919-13"]);
    // Apixaban started and naproxen stopped that day: their plans.
    assert_eq!(
        items_under(&af, "Medication"),
        [
            "MedicationRequest/medication-request-plan-9434765919-1",
            "MedicationRequest/medication-request-plan-9434765919-3"
        ]
    );
    let topic = resolve(&b, "List/consultation-topic-9434765919-9");
    assert_eq!(topic["extension"][0]["extension"][0]["url"], "target");
    assert_eq!(
        topic["extension"][0]["extension"][0]["valueReference"]["reference"],
        "Condition/condition-9434765919-7"
    );
    assert!(topic.get("title").is_none());

    let narrative = resolve(&b, "Observation/observation-narrative-9434765919-9");
    assert_eq!(narrative["code"]["coding"][0]["code"], "37331000000100");
    assert_eq!(narrative["context"]["reference"], AF_ENCOUNTER);
    assert!(narrative["comment"].as_str().unwrap().starts_with("Irregular pulse at routine check"));

    // The telephone review: the eGFR and the apixaban issue of that day, not the plan.
    let review = headings(&b, REVIEW_ENCOUNTER);
    assert_eq!(titles(&review), ["Notes", "Test results", "Medication"]);
    assert_eq!(items_under(&review, "Test results"), ["Observation/observation-9434765919-12"]);
    assert_eq!(items_under(&review, "Medication"), ["MedicationRequest/medication-request-order-9434765919-1-5"]);
    let topic = resolve(&b, "List/consultation-topic-9434765919-10");
    assert!(topic.get("extension").is_none(), "no problem was linked");
}

#[test]
fn linked_items_are_pulled_in_once_when_their_areas_were_not_asked_for_and_listed_nowhere_else() {
    let b = bundle(&example_record(), &only_consultations());
    for reference in [
        "Condition/condition-9434765919-7",
        "Observation/observation-9434765919-13",
        "Observation/observation-9434765919-12",
        "MedicationStatement/medication-statement-9434765919-1",
        "MedicationStatement/medication-statement-9434765919-3",
        "Medication/medication-9434765919-3",
        "MedicationRequest/medication-request-plan-9434765919-3",
    ] {
        resolve(&b, reference);
    }
    // The eGFR keeps its interpretation, as the investigations area builds it, without a report.
    assert_eq!(resolve(&b, "Observation/observation-9434765919-12")["interpretation"]["coding"][0]["code"], "L");
    assert!(of_type(&b, "DiagnosticReport").is_empty());
    // Naproxen had no issue in the consultation: no order. (Apixaban's orders come with
    // the AF problem, whose linked items are those of the problems area.)
    assert!(!b.to_string().contains("medication-request-order-9434765919-3-"));
    // Nothing that no consultation refers to.
    for absent in ["amoxicillin", "Methotrexate", "Immunization", "ReferralRequest", "AllergyIntolerance"] {
        assert!(!b.to_string().contains(absent), "{absent}");
    }
    assert_closed("pulled in", &b);
}

#[test]
fn with_medication_issues_off_a_consultation_still_brings_the_issue_it_refers_to() {
    let options = StructuredOptions {
        medication: Some(MedicationOptions { include_prescription_issues: false, search_from: None }),
        ..only_consultations()
    };
    let b = bundle(&example_record(), &options);
    let orders: Vec<String> = of_type(&b, "MedicationRequest")
        .into_iter()
        .filter(|r| r["intent"] == "order")
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(orders, ["medication-request-order-9434765919-1-5"]);
    // The medication area's List is unchanged by the consultations.
    assert_eq!(list_items(list(&b, common::MEDICATIONS).unwrap()).len(), 4);
    assert_closed("issues off", &b);
}

#[test]
fn combined_with_every_area_consultations_only_append_and_add_no_duplicates() {
    let without =
        bundle(&example_record(), &StructuredOptions { consultations: None, ..StructuredOptions::everything() });
    let with = bundle(&example_record(), &StructuredOptions::everything());
    let before = resources(&without);
    let after = resources(&with);
    assert_eq!(&after[..before.len()], &before[..], "every other area's resources are untouched");
    let added: Vec<&str> = after[before.len()..].iter().map(|r| r["resourceType"].as_str().unwrap()).collect();
    assert!(added.iter().all(|kind| ["List", "Encounter", "Observation"].contains(kind)), "{added:?}");
    assert_eq!(listed(&with), [REVIEW_ENCOUNTER, AF_ENCOUNTER]);
    assert_closed("everything", &with);

    let nka = bundle(&example_record_with_no_known_allergies(), &StructuredOptions::everything());
    let empty = list(&nka, CONSULTATIONS).unwrap();
    assert_eq!(empty["emptyReason"]["coding"][0]["code"], "no-content-recorded");
    assert_eq!(empty["note"][0]["text"], "Information not available");
    assert!(warnings(empty).is_empty());
}

#[test]
fn the_period_is_inclusive_on_the_day_a_consultation_started() {
    let listed_for = |start, end| listed(&bundle(&example_record(), &consultations(Some((start, end)), None)));
    assert_eq!(listed_for(day(2023, 2, 10), day(2023, 2, 10)), [AF_ENCOUNTER]);
    assert_eq!(listed_for(day(2023, 2, 9), day(2023, 2, 10)), [AF_ENCOUNTER]);
    assert_eq!(listed_for(day(2023, 2, 10), day(2023, 2, 11)), [AF_ENCOUNTER]);
    assert!(listed_for(day(2023, 2, 11), day(2025, 6, 16)).is_empty());
    assert!(listed_for(NaiveDate::MIN, day(2023, 2, 9)).is_empty());
    assert_eq!(listed_for(day(2026, 11, 2), NaiveDate::MAX), [REVIEW_ENCOUNTER]);
    assert!(listed_for(day(2026, 11, 3), NaiveDate::MAX).is_empty());
    assert_eq!(listed_for(NaiveDate::MIN, NaiveDate::MAX), [REVIEW_ENCOUNTER, AF_ENCOUNTER]);
}

#[test]
fn a_confidential_consultation_warns_only_when_the_period_covers_it() {
    let list_for = |start, end| bundle(&example_record(), &consultations(Some((start, end)), None));
    // 2025-06-17 is the confidential consultation.
    let covered = list_for(day(2025, 6, 17), day(2025, 6, 17));
    let found = list(&covered, CONSULTATIONS).unwrap();
    assert_eq!(warnings(found), ["confidential-items"]);
    assert_eq!(found["emptyReason"]["coding"][0]["code"], "no-content-recorded");
    assert!(of_type(&covered, "Encounter").is_empty());
    for period in [(day(2023, 2, 11), day(2025, 6, 16)), (day(2025, 6, 18), day(2026, 11, 25))] {
        let b = list_for(period.0, period.1);
        assert!(warnings(list(&b, CONSULTATIONS).unwrap()).is_empty(), "{period:?}");
    }
}

#[test]
fn most_recent_n_returns_the_latest_and_never_counts_a_withheld_one() {
    let recent = |n| bundle(&example_record(), &consultations(None, Some(n)));
    let one = recent(1);
    assert_eq!(listed(&one), [REVIEW_ENCOUNTER]);
    assert_eq!(of_type(&one, "Encounter").len(), 1);
    assert!(warnings(list(&one, CONSULTATIONS).unwrap()).is_empty(), "the confidential one is older");
    assert!(!one.to_string().contains("encounter-9434765919-9"));
    assert_closed("most recent 1", &one);
    // The confidential consultation lies between the two: it is not counted, and warned of.
    let two = recent(2);
    assert_eq!(listed(&two), [REVIEW_ENCOUNTER, AF_ENCOUNTER]);
    assert_eq!(warnings(list(&two, CONSULTATIONS).unwrap()), ["confidential-items"]);
    assert_eq!(listed(&recent(3)), [REVIEW_ENCOUNTER, AF_ENCOUNTER]);
    assert_eq!(listed(&recent(u32::MAX)), [REVIEW_ENCOUNTER, AF_ENCOUNTER]);
    // Two on the same start: the later entry counts as more recent.
    let mut record = example_record();
    record.encounters[0].start = record.encounters[1].start;
    let tied = bundle(&record, &consultations(None, Some(1)));
    assert_eq!(listed(&tied), [REVIEW_ENCOUNTER]);
}

#[test]
fn a_withheld_item_inside_a_consultation_leaves_no_trace() {
    let record = record_with_sensitive_consultation_items();
    for options in [only_consultations(), StructuredOptions::everything(), consultations(None, Some(5))] {
        let b = bundle(&record, &options);
        let text = b.to_string();
        for hidden in [
            "33839006",
            "Genital herpes",
            "condition-9434765919-300",
            "condition-9434765919-302",
            "encounter-9434765919-301",
            "consultation-9434765919-301",
            "sexual health",
            "2026-05-05",
            // The AF consultation lost an item: its notes could describe it.
            "Irregular pulse",
            "observation-narrative-9434765919-9",
        ] {
            assert!(!text.contains(hidden), "{hidden} leaked");
        }
        // The AF consultation is still returned with what can be shared.
        assert_eq!(listed(&b), [REVIEW_ENCOUNTER, AF_ENCOUNTER]);
        let af = headings(&b, AF_ENCOUNTER);
        assert_eq!(titles(&af), ["Problems", "Observations", "Medication"]);
        assert_eq!(items_under(&af, "Problems"), ["Condition/condition-9434765919-7"]);
        assert_eq!(warnings(list(&b, CONSULTATIONS).unwrap()), ["confidential-items"]);
        // The secondary List the withheld problem would have been in says so too
        // ("the warning code will be present in both lists").
        let contained = of_type(&b, "List")
            .into_iter()
            .find(|l| l["title"] == "Consultations - problems contained in consultations")
            .expect("the consultations' problems List");
        assert_eq!(warnings(contained), ["confidential-items"]);
        // No count betrays it: the Encounters are exactly those listed.
        assert_eq!(of_type(&b, "Encounter").len(), 2);
        assert_closed("sensitive items", &b);
    }
    // The sexual-health attendance is the most recent withheld one but is never counted.
    let two = bundle(&record, &consultations(None, Some(2)));
    assert_eq!(listed(&two), [REVIEW_ENCOUNTER, AF_ENCOUNTER]);
}

#[test]
fn a_consultation_that_exists_only_for_withheld_items_or_only_for_them_and_unsupported_ones_is_left_out() {
    let mut record = example_record();
    record.problems.push(sensitive_problem(300, day(2024, 4, 4)));
    // Linked to a withheld diagnosis and a (shareable) risk: still nothing clinical to share.
    record.encounters.push(encounter(301, day(2024, 4, 4), 10, "Consultation.", vec![EntryId(300), ids::DNACPR]));
    let b = bundle(&record, &consultations(Some((day(2024, 4, 4), day(2024, 4, 4))), None));
    assert!(listed(&b).is_empty());
    assert!(of_type(&b, "Encounter").is_empty());
    assert_eq!(warnings(list(&b, CONSULTATIONS).unwrap()), ["confidential-items"]);
    assert!(!b.to_string().contains("2024-04-04"));
}

#[test]
fn an_empty_consultation_is_suppressed_without_a_warning() {
    let mut record = example_record();
    record.encounters.push(encounter(301, day(2024, 4, 4), 10, "   ", Vec::new()));
    let b = bundle(&record, &consultations(Some((day(2024, 4, 4), day(2024, 4, 4))), None));
    let found = list(&b, CONSULTATIONS).unwrap();
    assert!(list_items(found).is_empty());
    assert!(warnings(found).is_empty());
    assert_eq!(found["emptyReason"]["coding"][0]["code"], "no-content-recorded");
    // With notes only, it is returned with its narrative.
    let mut record = example_record();
    record.encounters.push(encounter(301, day(2024, 4, 4), 10, "Fit note issued.", Vec::new()));
    let b = bundle(&record, &consultations(Some((day(2024, 4, 4), day(2024, 4, 4))), None));
    let encounter = "Encounter/encounter-9434765919-301";
    assert_eq!(listed(&b), [encounter]);
    assert_eq!(
        headings(&b, encounter),
        [("Notes".to_owned(), vec!["Observation/observation-narrative-9434765919-301".to_owned()])]
    );
}

/// The example record with one more consultation (2026-03-03) linking an active allergy,
/// a given immunisation, the referral, the ended allergy and the DNACPR alert.
fn record_with_every_kind_linked() -> GpRecord {
    let mut record = example_record();
    record.encounters.push(encounter(
        301,
        day(2026, 3, 3),
        11,
        "Reviewed allergies, vaccination and referral.",
        vec![
            ids::PENICILLIN_ALLERGY,
            ids::FLU_VACCINATION,
            ids::DIABETES_REFERRAL,
            ids::RESOLVED_PENICILLIN_ALLERGY,
            ids::DNACPR,
            ids::TELEPHONE_REVIEW,
            EntryId(9999),
        ],
    ));
    record
}

#[test]
fn every_kind_of_item_has_its_heading_and_unsupported_kinds_say_so_without_a_reference() {
    let b = bundle(&record_with_every_kind_linked(), &consultations(Some((day(2026, 3, 3), day(2026, 3, 3))), None));
    let encounter = "Encounter/encounter-9434765919-301";
    let h = headings(&b, encounter);
    assert_eq!(titles(&h), ["Notes", "Allergies", "Immunisations", "Referrals", "Other"]);
    assert_eq!(
        items_under(&h, "Allergies"),
        [
            "AllergyIntolerance/allergy-intolerance-9434765919-5",
            "Ended allergy items are not supported by the provider system."
        ]
    );
    assert_eq!(items_under(&h, "Immunisations"), ["Immunization/immunization-9434765919-15"]);
    assert_eq!(items_under(&h, "Referrals"), ["ReferralRequest/referral-request-9434765919-17"]);
    assert_eq!(items_under(&h, "Other"), ["Risk and warning items are not supported by the provider system."]);
    let text = b.to_string();
    assert!(!text.contains("Tolerated amoxicillin challenge") && !text.contains("DNACPR decision"));
    assert_eq!(resolve(&b, "AllergyIntolerance/allergy-intolerance-9434765919-5")["clinicalStatus"], "active");
    assert_closed("every kind", &b);
}

/// Every withheld entry in turn: whichever the practice marks confidential, its resource
/// ids appear nowhere and every reference still resolves.
#[test]
fn marking_any_linked_entry_or_encounter_confidential_leaves_no_id_of_it_behind() {
    let base = record_with_every_kind_linked();
    let mut entries: Vec<EntryId> = base.encounters.iter().flat_map(|e| e.linked.clone()).collect();
    entries.extend(base.encounters.iter().map(|e| e.meta.id));
    entries.sort();
    entries.dedup();
    for entry in entries.into_iter().filter(|e| e.0 != 9999) {
        let mut record = base.clone();
        let mut metas: Vec<&mut EntryMeta> = Vec::new();
        metas.extend(record.encounters.iter_mut().map(|e| &mut e.meta));
        metas.extend(record.problems.iter_mut().map(|e| &mut e.meta));
        metas.extend(record.medications.iter_mut().map(|e| &mut e.meta));
        metas.extend(record.allergies.iter_mut().map(|e| &mut e.meta));
        metas.extend(record.observations.iter_mut().map(|e| &mut e.meta));
        metas.extend(record.immunisations.iter_mut().map(|e| &mut e.meta));
        metas.extend(record.referrals.iter_mut().map(|e| &mut e.meta));
        metas.extend(record.alerts.iter_mut().map(|e| &mut e.meta));
        metas.into_iter().filter(|m| m.id == entry).for_each(|m| m.confidential = true);
        for options in [only_consultations(), StructuredOptions::everything()] {
            let b = bundle(&record, &options);
            let name = format!("entry {entry} confidential");
            let ids: Vec<String> = resources(&b)
                .into_iter()
                .filter_map(|r| r["id"].as_str().map(str::to_owned))
                .chain(references(&b))
                .collect();
            let suffix = format!("-9434765919-{entry}");
            for id in ids {
                assert!(!id.ends_with(&suffix) && !id.contains(&format!("{suffix}-")), "{name}: {id}");
            }
            assert_eq!(warnings(list(&b, CONSULTATIONS).unwrap()), ["confidential-items"], "{name}");
            assert_closed(&name, &b);
        }
    }
}

#[test]
fn every_consultation_bearing_bundle_validates_against_the_fhir_resources_stu3_models() {
    let sensitive = record_with_sensitive_consultation_items();
    let every_kind = record_with_every_kind_linked();
    let issues_off = StructuredOptions {
        medication: Some(MedicationOptions { include_prescription_issues: false, search_from: None }),
        ..only_consultations()
    };
    let cases = [
        ("alone", bundle(&example_record(), &only_consultations())),
        ("everything", bundle(&example_record(), &StructuredOptions::everything())),
        ("issues-off", bundle(&example_record(), &issues_off)),
        ("most-recent-1", bundle(&example_record(), &consultations(None, Some(1)))),
        ("empty-period", bundle(&example_record(), &consultations(Some((day(2025, 6, 17), day(2025, 6, 17))), None))),
        ("sensitive", bundle(&sensitive, &StructuredOptions::everything())),
        ("every-kind", bundle(&every_kind, &only_consultations())),
        ("nka", bundle(&example_record_with_no_known_allergies(), &only_consultations())),
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (case, b) in &cases {
        assert_closed(case, b);
        files.push(write_json(dir.path(), &format!("{case}-bundle"), b));
        for (n, resource) in resources(b).into_iter().enumerate() {
            files.push(write_json(dir.path(), &format!("{case}-{n:03}"), resource));
        }
    }
    validate_stu3(
        &files,
        "Bundle,Patient,Organization,Practitioner,PractitionerRole,List,Encounter,Observation,Condition,Medication,\
         MedicationStatement,MedicationRequest,AllergyIntolerance,Immunization,ReferralRequest",
    );
}

#[test]
fn a_problem_linked_to_what_a_consultation_recorded_comes_in_the_linked_problems_list() {
    // Asthma is linked to the blood pressure taken in the AF consultation, though no
    // consultation links asthma itself: GP Connect's Linkages page asks for it too.
    let mut record = example_record();
    record.problems.iter_mut().filter(|p| p.meta.id == ids::ASTHMA).for_each(|p| p.related = vec![ids::BLOOD_PRESSURE]);
    let b = bundle(&record, &only_consultations());
    let linked = of_type(&b, "List")
        .into_iter()
        .find(|l| l["title"] == "Problems - linked problems not relating to the primary query")
        .expect("the linked-problems List");
    let entries: Vec<&str> =
        linked["entry"].as_array().unwrap().iter().filter_map(|e| e["item"]["reference"].as_str()).collect();
    assert!(entries.contains(&"Condition/condition-9434765919-8"), "{entries:?}");
    assert!(entries.contains(&"Condition/condition-9434765919-7"), "AF, which the consultation links");
    assert_closed("a problem linked to a recorded item", &b);
}
