//! What a clinician must be able to rely on in the UK Core R4 output, checked on the
//! fixture records, variants of them and generated patients, through the public API.

#[path = "r4_support.rs"]
mod support;

use chrono::NaiveDate;
use openmig_domain::fixtures::{
    AS_OF, example_clinicians, example_practice, example_record, example_record_with_no_known_allergies, ids,
};
use openmig_domain::record::{
    AllergyStatus, Coded, EncounterKind, MedicationStatus, ObservationComponent, ObservationValue, PrescriptionSource,
};
use openmig_domain::{Clinician, ClinicianId, ClinicianRole, EntryId, GpRecord, SnomedCode};
use openmig_fhir::r4::{self, ResourceType};
use serde_json::Value;
use support::{
    assert_self_contained, extension, find, fixture_everything, fixture_resources, generated_everything, key, of_type,
    references, region, region_day,
};

const NHS: &str = "9434765919";
const LAST_ISSUE: &str =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-MedicationStatementLastIssueDate";
const PRESCRIBING_TYPE: &str =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-MedicationPrescribingOrganizationType";

fn code(id: u64) -> SnomedCode {
    SnomedCode::new(id).unwrap()
}

fn statement(everything: &[Value], entry: EntryId) -> Value {
    find(everything, &format!("MedicationStatement/medication-statement-{NHS}-{entry}")).clone()
}

fn plan(everything: &[Value], entry: EntryId) -> Value {
    find(everything, &format!("MedicationRequest/medication-request-{NHS}-{entry}")).clone()
}

#[test]
fn an_anticoagulant_statement_carries_the_dose_as_written_and_the_last_issue_date() {
    let everything = fixture_everything(&example_record());
    let apixaban = statement(&everything, ids::APIXABAN);
    assert_eq!(apixaban["status"], "active");
    assert_eq!(apixaban["medicationCodeableConcept"]["coding"][0]["system"], "http://snomed.info/sct");
    assert_eq!(apixaban["medicationCodeableConcept"]["coding"][0]["code"], "703908001");
    assert_eq!(apixaban["dosage"][0]["text"], "One tablet twice a day");
    assert_eq!(apixaban["dosage"][0]["patientInstruction"], "Carry your anticoagulant alert card");
    assert_eq!(extension(&apixaban, LAST_ISSUE).unwrap()["valueDateTime"], "2026-11-02");
    assert_eq!(apixaban["basedOn"][0]["reference"], format!("MedicationRequest/medication-request-{NHS}-1"));
    // The authorisation: repeat, six issues authorised, four used since re-authorisation.
    let plan = plan(&everything, ids::APIXABAN);
    assert_eq!(plan["intent"], "plan");
    assert_eq!(plan["courseOfTherapyType"]["coding"][0]["code"], "continuous");
    assert_eq!(plan["dispenseRequest"]["numberOfRepeatsAllowed"], 6);
    assert_eq!(plan["dosageInstruction"][0]["text"], "One tablet twice a day");
    assert_eq!(plan["extension"][0]["extension"][0]["valueUnsignedInt"], 4);
    // Each issue is an order based on the plan; the last one is the one the statement names.
    let orders: Vec<&Value> = of_type(&everything, "MedicationRequest")
        .into_iter()
        .filter(|r| {
            r["intent"] == "order"
                && r["basedOn"][0]["reference"] == format!("MedicationRequest/{}", plan["id"].as_str().unwrap())
        })
        .collect();
    assert_eq!(orders.len(), 5);
    assert_eq!(orders[4]["authoredOn"], "2026-11-02");
    assert_eq!(orders[4]["dispenseRequest"]["expectedSupplyDuration"]["value"], 28);
}

#[test]
fn the_overnight_admission_story_shows_every_current_medicine_with_its_dose_and_last_issue() {
    let region = region(20_261_125, 300);
    let (_, nhs) = region.stories().into_iter().find(|(s, _)| s.key == "overnight-admission").unwrap();
    let (record, everything) = generated_everything(&region, 1);
    assert_eq!(record.patient.nhs_number, nhs);
    let current = openmig_domain::medicines::current_medicines(&record, region_day());
    assert!(current.iter().any(|m| m.product.name.starts_with("Apixaban")), "the story is on apixaban");
    for medicine in current {
        let id = format!("MedicationStatement/medication-statement-{nhs}-{}", medicine.meta.id);
        let statement = find(&everything, &id);
        assert_eq!(statement["status"], "active", "{}", medicine.product.name);
        assert_eq!(statement["dosage"][0]["text"], medicine.dose.trim(), "{}", medicine.product.name);
        if let Some(last) = medicine.last_issue() {
            let expected = last.date.format("%Y-%m-%d").to_string();
            assert_eq!(extension(statement, LAST_ISSUE).unwrap()["valueDateTime"], expected.as_str());
        }
    }
}

#[test]
fn a_medicine_prescribed_elsewhere_is_marked_as_not_issued_by_the_practice() {
    let everything = fixture_everything(&example_record());
    let methotrexate = statement(&everything, ids::METHOTREXATE);
    let agency = &extension(&methotrexate, PRESCRIBING_TYPE).unwrap()["valueCodeableConcept"]["coding"][0];
    assert_eq!(agency["code"], "prescribed-by-another-organisation");
    assert_eq!(methotrexate["informationSource"]["display"], "Royal Victoria Infirmary rheumatology");
    assert_eq!(
        methotrexate["note"][0]["text"],
        "Not issued by the GP practice: prescribed by Royal Victoria Infirmary rheumatology"
    );
    assert!(extension(&methotrexate, LAST_ISSUE).is_none(), "never issued by the practice");
    let plan = plan(&everything, ids::METHOTREXATE);
    assert_eq!(plan["reportedBoolean"], true);
    assert!(plan.get("requester").is_none(), "the practice did not prescribe it");
    let orders = of_type(&everything, "MedicationRequest")
        .into_iter()
        .filter(|r| r["id"].as_str().unwrap().starts_with(&format!("medication-request-{NHS}-4-")))
        .count();
    assert_eq!(orders, 0);
    // A medicine the practice prescribes says so.
    let apixaban = statement(&everything, ids::APIXABAN);
    assert_eq!(
        extension(&apixaban, PRESCRIBING_TYPE).unwrap()["valueCodeableConcept"]["coding"][0]["code"],
        "prescribed-at-gp-practice"
    );
}

#[test]
fn a_stopped_medicine_is_stopped_with_its_reason_and_end_date() {
    let everything = fixture_everything(&example_record());
    let naproxen = statement(&everything, ids::NAPROXEN);
    assert_eq!(naproxen["status"], "stopped");
    assert_eq!(naproxen["statusReason"][0]["text"], "Bleeding risk with apixaban; paracetamol instead");
    assert_eq!(naproxen["effectivePeriod"]["end"], "2023-02-10");
    let plan = plan(&everything, ids::NAPROXEN);
    assert_eq!(plan["status"], "stopped");
    assert_eq!(plan["statusReason"]["text"], "Bleeding risk with apixaban; paracetamol instead");
    // A completed acute course is completed.
    assert_eq!(statement(&everything, ids::AMOXICILLIN)["status"], "completed");
}

#[test]
fn an_acute_course_never_closed_counts_as_active_only_while_it_is_current() {
    let mut record = example_record();
    let amoxicillin = record.medications.iter_mut().find(|m| m.meta.id == ids::AMOXICILLIN).unwrap();
    amoxicillin.status = MedicationStatus::Active;
    let issued = amoxicillin.issues[0].date;
    let status_on = |today: NaiveDate| {
        let statements = r4::resources(
            &record,
            &example_practice(),
            &example_clinicians(),
            ResourceType::MedicationStatement,
            today,
        );
        statements.iter().find(|s| s["id"] == format!("medication-statement-{NHS}-2")).unwrap()["status"].clone()
    };
    assert_eq!(status_on(issued + chrono::Days::new(30)), "active");
    assert_eq!(status_on(AS_OF), "completed");
}

/// A third clinician who only records the withheld entries below.
fn locum() -> Clinician {
    Clinician {
        id: ClinicianId("L9000003".into()),
        practice: example_practice().ods_code,
        prefix: "Dr".into(),
        given: "Sam".into(),
        family: "Locum".into(),
        role: ClinicianRole::GeneralPractitioner,
        registration: None,
    }
}

/// The example record with a withheld entry of every kind, some linked from shared
/// entries: an HIV problem (86406008) linked to apixaban and to a shared consultation, a
/// chlamydia test observation component (105629000), a medicine coded in the exclusion
/// set (278977008) prescribed and recorded by a locum nobody else names, a confidential
/// active allergy next to a "no known allergies" statement, a confidential immunisation
/// and a gonorrhoea (15628003) reaction on an allergy.
fn record_with_withheld_entries() -> GpRecord {
    let mut record = example_record();
    let mut hiv = record.problems[0].clone();
    hiv.meta.id = EntryId(101);
    hiv.code = Coded::new(code(86406008), "Human immunodeficiency virus infection");
    hiv.related = vec![ids::APIXABAN, ids::FLU_VACCINATION];
    record.problems.push(hiv);
    record
        .encounters
        .iter_mut()
        .filter(|e| e.meta.id == ids::TELEPHONE_REVIEW)
        .for_each(|e| e.linked.push(EntryId(101)));

    let mut panel = record.observations[1].clone();
    panel.meta.id = EntryId(102);
    if let ObservationValue::Components(parts) = &mut panel.value {
        parts.push(ObservationComponent {
            code: Coded::new(code(105629000), "Chlamydia"),
            value: 1.0,
            unit: "1".into(),
        });
    }
    record.observations.push(panel);

    let locum = locum().id;
    let mut sensitive = record.medications[0].clone();
    sensitive.meta.id = EntryId(103);
    sensitive.meta.recorded_by = locum.clone();
    sensitive.product.code = code(278977008);
    sensitive.source = PrescriptionSource::Practice { authoriser: locum.clone() };
    sensitive.issues.iter_mut().for_each(|i| i.issued_by = locum.clone());
    record.medications.push(sensitive);

    let mut confidential_allergy = record.allergies[0].clone();
    confidential_allergy.meta.id = EntryId(104);
    confidential_allergy.meta.confidential = true;
    confidential_allergy.code = Coded::new(code(300916003), "Latex allergy");
    record.allergies.push(confidential_allergy);
    record.allergies.retain(|a| a.meta.id == EntryId(104) || !a.is_active());
    record.no_known_allergies = example_record_with_no_known_allergies().no_known_allergies;
    if let Some(nka) = &mut record.no_known_allergies {
        nka.meta.id = EntryId(105);
    }

    let mut reaction = record.allergies.iter().find(|a| !a.is_active()).unwrap().clone();
    reaction.meta.id = EntryId(106);
    reaction.status = AllergyStatus::Active;
    reaction.reaction = Some(openmig_domain::record::Reaction {
        manifestation: Coded::new(code(15628003), "Gonorrhoea"),
        severity: Some(openmig_domain::record::Severity::Mild),
    });
    record.allergies.push(reaction);

    record
        .immunisations
        .iter_mut()
        .filter(|i| i.meta.id == ids::FLU_VACCINATION)
        .for_each(|i| i.meta.confidential = true);
    record
}

#[test]
fn confidential_and_sensitive_entries_appear_nowhere() {
    let record = record_with_withheld_entries();
    let mut clinicians = example_clinicians();
    clinicians.push(locum());
    let everything = r4::everything(&record, &example_practice(), &clinicians, AS_OF);
    let mut outputs = vec![("everything".to_owned(), serde_json::to_string(&everything).unwrap())];
    for kind in ResourceType::SEARCHABLE {
        let matches = r4::resources(&record, &example_practice(), &clinicians, kind, AS_OF);
        let includes = r4::supporting_resources(&example_practice(), &clinicians, &matches);
        let bundle = r4::searchset("https://x.example/fhir/R4/search", "https://x.example/fhir/R4", matches, includes);
        outputs.push((kind.to_string(), serde_json::to_string(&bundle).unwrap()));
    }
    let withheld_codes = ["86406008", "105629000", "278977008", "300916003", "15628003", "11278411000001109"];
    let withheld_entries = [101, 102, 103, 104, 105, 106, ids::FLU_VACCINATION.0, ids::CONFIDENTIAL_CONSULTATION.0];
    for (what, json) in &outputs {
        for code in withheld_codes {
            assert!(!json.contains(&format!("\"{code}\"")), "{what} carries withheld code {code}");
        }
        for entry in withheld_entries {
            assert!(!json.contains(&format!("-{NHS}-{entry}\"")), "{what} carries withheld entry {entry}");
            assert!(!json.contains(&format!("-{NHS}-{entry}-")), "{what} carries withheld entry {entry}");
        }
        assert!(!json.contains("L9000003"), "{what} names the clinician only withheld entries name");
        assert!(!json.contains("Latex") && !json.contains("Chlamydia"), "{what} carries a withheld term");
    }
    // No count or reference gives them away: shared entries only, every reference resolves.
    assert_self_contained(&everything, "withheld");
    assert!(
        of_type(&everything, "AllergyIntolerance").iter().all(|a| a["code"]["coding"][0]["code"] != "716186003"),
        "no 'no known allergies' in front of a withheld active allergy"
    );
    assert_eq!(of_type(&everything, "Condition").len(), record.problems.len() - 1);
    assert_eq!(of_type(&everything, "MedicationStatement").len(), record.medications.len() - 1);
    assert_eq!(of_type(&everything, "Immunization").len(), record.immunisations.len() - 1);
    let apixaban = plan(&everything, ids::APIXABAN);
    assert_eq!(references(&apixaban["reasonReference"]).len(), 1, "only the shared AF problem");
}

#[test]
fn every_reference_resolves_within_everything() {
    for (name, record) in [
        ("example", example_record()),
        ("nka", example_record_with_no_known_allergies()),
        ("nothing", GpRecord::new(example_record().patient)),
    ] {
        assert_self_contained(&fixture_everything(&record), name);
    }
    let region = region(7, 300);
    for index in 0..region.config().patients {
        let (record, everything) = generated_everything(&region, index);
        assert_self_contained(&everything, &format!("patient {index}"));
        assert_eq!(everything[0]["resourceType"], "Patient");
        assert_eq!(everything[0]["id"], record.patient.nhs_number.to_string());
        assert_eq!(everything[1]["resourceType"], "Organization");
        // Every clinical resource is about this patient.
        for resource in &everything[2..] {
            if resource["resourceType"] != "Practitioner" {
                let subject = resource.get("subject").or_else(|| resource.get("patient")).unwrap();
                assert_eq!(subject["reference"], format!("Patient/{}", record.patient.nhs_number), "{}", key(resource));
            }
        }
    }
}

#[test]
fn a_searchset_with_its_supporting_resources_resolves_its_practitioners_and_practice() {
    let record = example_record();
    for kind in ResourceType::SEARCHABLE {
        let matches = fixture_resources(&record, kind);
        let includes = r4::supporting_resources(&example_practice(), &example_clinicians(), &matches);
        let present: Vec<String> = matches.iter().chain(&includes).map(key).collect();
        for resource in &matches {
            for reference in references(resource) {
                if reference.starts_with("Practitioner/") || reference.starts_with("Organization/") {
                    assert!(present.contains(&reference), "{kind}: {reference} is not included");
                }
            }
        }
    }
}

#[test]
fn partial_dates_keep_the_precision_recorded() {
    let everything = fixture_everything(&example_record());
    assert_eq!(statement(&everything, ids::METHOTREXATE)["effectivePeriod"]["start"], "2019");
    assert_eq!(plan(&everything, ids::METHOTREXATE)["authoredOn"], "2019");
    let allergy = find(&everything, &format!("AllergyIntolerance/allergy-intolerance-{NHS}-5"));
    assert_eq!(allergy["onsetDateTime"], "2024-03");
    let resolved = find(&everything, &format!("AllergyIntolerance/allergy-intolerance-{NHS}-6"));
    assert_eq!(resolved["onsetDateTime"], "1950");
    assert_eq!(resolved["recordedDate"], "1998");
    assert_eq!(resolved["clinicalStatus"]["coding"][0]["code"], "resolved");
    assert_eq!(resolved["extension"][0]["extension"][0]["valueDateTime"], "2005-05");
    let asthma = find(&everything, &format!("Condition/condition-{NHS}-8"));
    assert_eq!(asthma["onsetDateTime"], "1962");
    assert_eq!(asthma["abatementDateTime"], "1990");
    assert_eq!(asthma["clinicalStatus"]["coding"][0]["code"], "inactive");
    let smoker = find(&everything, &format!("Observation/observation-{NHS}-14"));
    assert_eq!(smoker["effectiveDateTime"], "1995");
}

#[test]
fn no_known_allergies_reads_differently_from_nothing_recorded() {
    let nka = fixture_resources(&example_record_with_no_known_allergies(), ResourceType::AllergyIntolerance);
    assert_eq!(nka.len(), 1);
    assert_eq!(nka[0]["code"]["coding"][0]["code"], "716186003");
    assert_eq!(nka[0]["clinicalStatus"]["coding"][0]["code"], "active");
    assert_eq!(nka[0]["verificationStatus"]["coding"][0]["code"], "confirmed");
    let nothing = fixture_resources(&GpRecord::new(example_record().patient), ResourceType::AllergyIntolerance);
    assert!(nothing.is_empty());
    // An active allergy recorded after the statement replaces it.
    let mut both = example_record();
    both.no_known_allergies = example_record_with_no_known_allergies().no_known_allergies;
    if let Some(nka) = &mut both.no_known_allergies {
        nka.meta.id = EntryId(100);
    }
    let allergies = fixture_resources(&both, ResourceType::AllergyIntolerance);
    assert!(allergies.iter().all(|a| a["code"]["coding"][0]["code"] != "716186003"));
}

#[test]
fn encounters_carry_their_kind_time_and_clinician() {
    let everything = fixture_everything(&example_record());
    let surgery = find(&everything, &format!("Encounter/encounter-{NHS}-9"));
    assert_eq!(surgery["class"]["code"], "AMB");
    assert_eq!(surgery["type"][0]["coding"][0]["code"], EncounterKind::Surgery.code().expect("coded").to_string());
    assert_eq!(surgery["period"]["start"], "2023-02-10T09:20:00+00:00");
    assert_eq!(surgery["period"]["end"], "2023-02-10T09:35:00+00:00");
    assert_eq!(surgery["participant"][0]["individual"]["reference"], "Practitioner/G9000001");
    assert_eq!(surgery["diagnosis"][0]["condition"]["reference"], format!("Condition/condition-{NHS}-7"));
    let telephone = find(&everything, &format!("Encounter/encounter-{NHS}-10"));
    assert_eq!(telephone["class"]["code"], "VR");
    // The issue made in the telephone review points at it.
    let last_issue = find(&everything, &format!("MedicationRequest/medication-request-{NHS}-1-issue-5"));
    assert_eq!(last_issue["encounter"]["reference"], format!("Encounter/encounter-{NHS}-10"));
    assert_eq!(of_type(&everything, "Encounter").len(), 2, "the confidential consultation is withheld");
}

#[test]
fn everything_is_the_patient_then_the_practice_and_clinicians_then_each_type_in_order() {
    let record = example_record();
    let everything = fixture_everything(&record);
    let mut expected = vec![r4::patient(&record.patient, &example_practice())];
    expected.push(everything[1].clone());
    expected.extend(of_type(&everything, "Practitioner").into_iter().cloned());
    for kind in ResourceType::SEARCHABLE {
        expected.extend(fixture_resources(&record, kind));
    }
    assert_eq!(everything, expected);
    assert_eq!(everything[0]["id"], r4::patient_id(record.patient.nhs_number));
    assert_eq!(everything[0]["identifier"][0]["system"], "https://fhir.nhs.uk/Id/nhs-number");
    assert_eq!(everything[1]["id"], "Z90001");
    // Deterministic: the same inputs give byte-identical output.
    let again = serde_json::to_vec(&fixture_everything(&record)).unwrap();
    assert_eq!(serde_json::to_vec(&everything).unwrap(), again);
}

#[test]
fn a_searchset_counts_its_matches_and_marks_its_includes() {
    let record = example_record();
    let matches = fixture_resources(&record, ResourceType::Condition);
    let mut includes = r4::supporting_resources(&example_practice(), &example_clinicians(), &matches);
    includes.push(matches[0].clone()); // already a match: not repeated
    let bundle = r4::searchset(
        "https://gw.example/fhir/R4/Condition?patient=9434765919",
        "https://gw.example/fhir/R4/",
        matches.clone(),
        includes,
    );
    assert_eq!(bundle["type"], "searchset");
    assert_eq!(bundle["total"], matches.len());
    assert_eq!(bundle["link"][0]["relation"], "self");
    assert_eq!(bundle["link"][0]["url"], "https://gw.example/fhir/R4/Condition?patient=9434765919");
    let entries = bundle["entry"].as_array().unwrap();
    assert_eq!(entries[0]["fullUrl"], format!("https://gw.example/fhir/R4/Condition/condition-{NHS}-7"));
    assert_eq!(entries[0]["search"]["mode"], "match");
    let modes: Vec<&str> = entries.iter().map(|e| e["search"]["mode"].as_str().unwrap()).collect();
    assert_eq!(modes, ["match", "match", "include", "include"], "the two recording clinicians, once each");
    let empty =
        r4::searchset("https://gw.example/fhir/R4/Condition?patient=1", "https://gw.example/fhir/R4", vec![], vec![]);
    assert_eq!(empty["total"], 0);
    assert!(empty.get("entry").is_none());
}

#[test]
fn the_capability_statement_lists_only_what_is_served() {
    let statement = r4::capability_statement("https://gw.example/fhir/R4", "2026-11-25");
    assert_eq!(statement["fhirVersion"], "4.0.1");
    assert_eq!(statement["format"], serde_json::json!(["json"]));
    assert_eq!(statement["date"], "2026-11-25");
    let resources = statement["rest"][0]["resource"].as_array().unwrap();
    assert_eq!(resources.len(), 8);
    let patient = &resources[0];
    assert_eq!(patient["type"], "Patient");
    assert_eq!(patient["supportedProfile"][0], "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient");
    assert_eq!(patient["searchParam"][0]["name"], "identifier");
    assert_eq!(patient["operation"][0]["name"], "everything");
    for (resource, kind) in resources[1..].iter().zip(ResourceType::SEARCHABLE) {
        assert_eq!(resource["type"], kind.name());
        assert_eq!(resource["supportedProfile"][0], kind.profile());
        assert_eq!(resource["interaction"], serde_json::json!([{ "code": "search-type" }]));
        assert_eq!(resource["searchParam"][0]["name"], "patient");
    }
}

#[test]
fn an_operation_outcome_uses_the_spine_system_only_for_spine_codes() {
    let spine = r4::operation_outcome("not-found", Some("PATIENT_NOT_FOUND"), "No such patient.");
    let issue = &spine["issue"][0];
    assert_eq!(issue["severity"], "error");
    assert_eq!(issue["code"], "not-found");
    assert_eq!(issue["details"]["coding"][0]["system"], "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode");
    assert_eq!(issue["details"]["coding"][0]["code"], "PATIENT_NOT_FOUND");
    assert_eq!(issue["diagnostics"], "No such patient.");
    let local = r4::operation_outcome("forbidden", Some("NO_SHARING_AGREEMENT"), "Not agreed.");
    assert_eq!(
        local["issue"][0]["details"]["coding"][0]["system"],
        "https://openmig.nhs.example/CodeSystem/gateway-error"
    );
    let bare = r4::operation_outcome("exception", None, "");
    assert!(bare["issue"][0].get("details").is_none() && bare["issue"][0].get("diagnostics").is_none());
}

#[test]
fn the_epilepsy_story_shows_the_last_issue_nineteen_days_before_the_region_day() {
    // The epilepsy story: Epilim Chrono 500, one tablet twice a day, last issued 19 days ago.
    let region = region(20_261_125, 300);
    let (record, everything) = generated_everything(&region, 0);
    let epilim = record.medications.iter().find(|m| m.product.name.starts_with("Epilim Chrono 500")).unwrap();
    let statement = find(
        &everything,
        &format!("MedicationStatement/medication-statement-{}-{}", record.patient.nhs_number, epilim.meta.id),
    );
    let expected = (region_day() - chrono::Days::new(19)).format("%Y-%m-%d").to_string();
    assert_eq!(extension(statement, LAST_ISSUE).unwrap()["valueDateTime"], expected.as_str());
    assert_eq!(statement["dosage"][0]["text"], epilim.dose.as_str());
}
