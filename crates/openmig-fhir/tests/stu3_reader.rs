//! The STU3 reader inverts the writer: for every record R (the fixtures, awkward
//! variants of them, and generated patients), reading back the Bundle of every area
//! gives R's shareable projection, the practice and the clinicians the Bundle names.

use std::collections::HashSet;

use chrono::NaiveDate;
use openmig_domain::fixtures::{
    dissenting_record, example_clinicians, example_practice, example_record, example_record_with_no_known_allergies,
    ids,
};
use openmig_domain::patient::RegistrationStatus;
use openmig_domain::record::{
    AllergyCategory, Coded, ImmunisationStatus, MedicationStatus, PrescriptionSource, PrescriptionType, Problem,
    ProblemStatus, Significance,
};
use openmig_domain::{
    ClinicalSystem, Clinician, ClinicianId, ClinicianRole, EntryId, GpRecord, PartialDate, Practice, SnomedCode,
};
use openmig_fhir::{
    ProblemOptions, ReadRecord, StructuredOptions, read_structured_bundle, shareable_projection, structured_bundle,
};
use openmig_generator::{GeneratorConfig, Region};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a calendar date")
}

/// Writes the Bundle of every area and reads it back.
fn round_trip(record: &GpRecord, practice: &Practice, clinicians: &[Clinician]) -> ReadRecord {
    let bundle = structured_bundle(record, practice, clinicians, &StructuredOptions::everything());
    read_structured_bundle(&bundle, record.patient.nhs_number).expect("the writer's Bundle reads back")
}

/// Panics with the first difference between two records, entry kind by entry kind (the
/// records' own `Debug` is redacted, so `assert_eq!` on them would say nothing useful).
fn assert_same_record(read: &GpRecord, expected: &GpRecord, what: &str) {
    let (p, q) = (&read.patient, &expected.patient);
    assert_eq!(p.nhs_number, q.nhs_number, "{what}: NHS number");
    assert_eq!(p.name, q.name, "{what}: name");
    assert_eq!(p.birth_date, q.birth_date, "{what}: birth date");
    assert_eq!(p.sex, q.sex, "{what}: sex");
    assert_eq!(p.address, q.address, "{what}: address");
    assert_eq!(p.telephone, q.telephone, "{what}: telephone");
    assert_eq!(p.registration, q.registration, "{what}: registration");
    assert_eq!(p.deceased, q.deceased, "{what}: deceased");
    assert_eq!(p.restricted, q.restricted, "{what}: restricted");
    assert_eq!(read.medications, expected.medications, "{what}: medications");
    assert_eq!(read.allergies, expected.allergies, "{what}: allergies");
    assert_eq!(read.no_known_allergies, expected.no_known_allergies, "{what}: no known allergies");
    assert_eq!(read.problems, expected.problems, "{what}: problems");
    assert_eq!(read.encounters, expected.encounters, "{what}: encounters");
    assert_eq!(read.observations, expected.observations, "{what}: observations");
    assert_eq!(read.immunisations, expected.immunisations, "{what}: immunisations");
    assert_eq!(read.referrals, expected.referrals, "{what}: referrals");
    assert_eq!(read.alerts, expected.alerts, "{what}: alerts");
    assert_eq!(read.sharing_preferences, expected.sharing_preferences, "{what}: sharing preferences");
    assert!(read == expected, "{what}: the records differ");
}

/// The practice as a Bundle carries it: what the directory knows is not in it.
fn practice_projection(practice: &Practice) -> Practice {
    Practice {
        clinical_system: ClinicalSystem::EmisWeb,
        sharing_enabled: true,
        asid: String::new(),
        ..practice.clone()
    }
}

/// The property, with the practice and clinicians checked too.
fn assert_round_trip(record: &GpRecord, practice: &Practice, clinicians: &[Clinician], what: &str) -> ReadRecord {
    let read = round_trip(record, practice, clinicians);
    assert_same_record(&read.record, &shareable_projection(record, clinicians), what);
    assert_eq!(read.practice, practice_projection(practice), "{what}: practice");
    let usual_gp = &record.patient.registration.usual_gp;
    for clinician in &read.clinicians {
        let given = clinicians.iter().find(|c| c.id == clinician.id).expect("a Practitioner is a given clinician");
        let role = if &given.id == usual_gp { given.role } else { ClinicianRole::GeneralPractitioner };
        let expected = Clinician { role, registration: None, practice: practice.ods_code.clone(), ..given.clone() };
        assert_eq!(clinician, &expected, "{what}: clinician");
    }
    let ids: HashSet<&ClinicianId> = read.clinicians.iter().map(|c| &c.id).collect();
    assert_eq!(ids.len(), read.clinicians.len(), "{what}: each clinician once");
    read
}

fn fixture_round_trip(record: &GpRecord, what: &str) -> ReadRecord {
    assert_round_trip(record, &example_practice(), &example_clinicians(), what)
}

#[test]
fn the_fixture_records_read_back_as_their_shareable_projection() {
    let read = fixture_round_trip(&example_record(), "example record");
    // The confidential consultation is withheld, and the Bundle says so.
    assert!(read.withheld_items);
    assert!(read.warnings.iter().any(|w| w.contains("confidentiality")), "{:?}", read.warnings);
    assert!(!read.record.encounters.iter().any(|e| e.meta.id == ids::CONFIDENTIAL_CONSULTATION));

    let read = fixture_round_trip(&example_record_with_no_known_allergies(), "no known allergies");
    assert!(read.record.no_known_allergies.is_some());
    assert!(!read.withheld_items);
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);

    fixture_round_trip(&dissenting_record(), "dissenting record");
    let read = fixture_round_trip(
        &openmig_domain::fixtures::with_linked_problems(example_record()),
        "problems linked as parent and child",
    );
    assert!(read.record.problems.iter().all(|p| p.linked_problems.len() <= 1));
    assert_eq!(read.record.problems.iter().filter(|p| !p.linked_problems.is_empty()).count(), 2);
}

#[test]
fn links_between_entries_survive_with_their_entry_ids() {
    let read = fixture_round_trip(&example_record(), "example record").record;
    let af = read.problems.iter().find(|p| p.meta.id == ids::ATRIAL_FIBRILLATION).expect("the AF problem");
    assert_eq!(af.related, vec![ids::APIXABAN, ids::BLOOD_PRESSURE]);
    let consultation = read.encounters.iter().find(|e| e.meta.id == ids::AF_CONSULTATION).expect("the AF consultation");
    // Grouped by heading: problems, observations, then medication.
    assert_eq!(consultation.linked, vec![ids::ATRIAL_FIBRILLATION, ids::BLOOD_PRESSURE, ids::APIXABAN, ids::NAPROXEN]);
    let apixaban = read.medications.iter().find(|m| m.meta.id == ids::APIXABAN).expect("apixaban");
    let original = example_record().medications.into_iter().find(|m| m.meta.id == ids::APIXABAN).expect("apixaban");
    assert_eq!(apixaban.issues, original.issues, "every issue, oldest first");
}

#[test]
fn partial_dates_stay_partial() {
    let read = fixture_round_trip(&example_record(), "example record").record;
    let asthma = read.problems.iter().find(|p| p.meta.id == ids::ASTHMA).expect("asthma");
    assert_eq!((asthma.onset, asthma.ended), (Some(PartialDate::Year(1962)), Some(PartialDate::Year(1990))));
    let methotrexate = read.medications.iter().find(|m| m.meta.id == ids::METHOTREXATE).expect("methotrexate");
    assert_eq!(methotrexate.started, PartialDate::Year(2019));
    let ex_smoker = read.observations.iter().find(|o| o.meta.id == ids::EX_SMOKER).expect("ex-smoker");
    assert_eq!(ex_smoker.effective, PartialDate::Year(1995));
}

fn code(id: u64) -> SnomedCode {
    SnomedCode::new(id).expect("a valid code")
}

/// The example record bent into every case a normalisation or a withholding rule covers.
fn awkward_record() -> GpRecord {
    let mut record = example_record();
    let patient = &mut record.patient;
    patient.restricted = true;
    patient.deceased = Some(day(2026, 11, 20));
    patient.registration.status = RegistrationStatus::Deregistered { on: day(2026, 11, 21), reason: "Died".into() };
    patient.name.prefix = String::new();

    for medication in &mut record.medications {
        match medication.meta.id {
            // A repeat with no authorisation date, no dose and a review date.
            id if id == ids::APIXABAN => {
                medication.authorised_from = None;
                medication.authorised_issues = Some(0);
                medication.dose = "  ".into();
                medication.review_due = Some(day(2027, 8, 10));
            }
            // An acute with an authorisation date equal to its start.
            id if id == ids::AMOXICILLIN => {
                if let PartialDate::Day(start) = medication.started {
                    medication.authorised_from = Some(start);
                }
                medication.authorised_issues = Some(3);
                medication.prescription_type = PrescriptionType::Acute;
            }
            id if id == ids::METHOTREXATE => {
                if let PrescriptionSource::Elsewhere { ods_code, .. } = &mut medication.source {
                    *ods_code = Some(openmig_domain::OdsCode::parse("RTD01").expect("valid"));
                }
            }
            // Confidential: withheld.
            id if id == ids::NAPROXEN => medication.meta.confidential = true,
            _ => {}
        }
    }
    // A food allergy with a substance but no reaction, recorded by someone unknown.
    let allergy = &mut record.allergies[0];
    allergy.category = AllergyCategory::Food;
    allergy.reaction = None;
    allergy.meta.recorded_by = ClinicianId("unknown-clinician".into());
    // A sensitive problem (withheld by code) linked to the telephone review, and a
    // problem with blank notes linked to a lab result, an allergy and an alert.
    record.problems.push(Problem {
        meta: openmig_domain::record::EntryMeta {
            id: EntryId(40),
            recorded_on: day(2024, 1, 5),
            recorded_by: ClinicianId("G9000001".into()),
            confidential: false,
        },
        code: Coded::new(code(86406008), "Human immunodeficiency virus infection"),
        status: ProblemStatus::Active,
        significance: Significance::Major,
        onset: Some(PartialDate::YearMonth(2023, 12)),
        ended: None,
        notes: None,
        related: Vec::new(),
        linked_problems: Vec::new(),
    });
    record.problems.push(Problem {
        meta: openmig_domain::record::EntryMeta {
            id: EntryId(41),
            recorded_on: day(2024, 1, 6),
            recorded_by: ClinicianId("N9000002".into()),
            confidential: false,
        },
        code: Coded::new(code(38341003), "Hypertensive disorder"),
        status: ProblemStatus::Inactive,
        significance: Significance::Minor,
        onset: None,
        ended: Some(PartialDate::Day(day(2024, 2, 1))),
        notes: Some("   ".into()),
        related: vec![
            ids::EGFR,
            ids::PENICILLIN_ALLERGY,
            ids::DNACPR,
            ids::FLU_VACCINATION,
            ids::DIABETES_REFERRAL,
            ids::NAPROXEN,
        ],
        linked_problems: Vec::new(),
    });
    for encounter in &mut record.encounters {
        if encounter.meta.id == ids::TELEPHONE_REVIEW {
            encounter.linked.push(EntryId(40));
            encounter.linked.push(ids::DNACPR);
        }
        if encounter.meta.id == ids::AF_CONSULTATION {
            encounter.linked.extend([
                ids::RESOLVED_PENICILLIN_ALLERGY,
                ids::PENICILLIN_ALLERGY,
                ids::ASTHMA,
                ids::APIXABAN,
            ]);
            encounter.notes = format!("  {}  ", encounter.notes);
        }
    }
    for immunisation in &mut record.immunisations {
        if let ImmunisationStatus::Given { dose_number, .. } = &mut immunisation.status {
            *dose_number = Some(2);
        }
    }
    record.referrals[0].reason = " ".into();
    record
}

#[test]
fn every_normalisation_and_withholding_rule_holds_for_an_awkward_record() {
    let record = awkward_record();
    let read = fixture_round_trip(&record, "awkward record");
    let r = &read.record;
    assert!(read.withheld_items);
    assert!(!r.medications.iter().any(|m| m.meta.id == ids::NAPROXEN), "confidential medicine withheld");
    assert!(!r.problems.iter().any(|p| p.meta.id == EntryId(40)), "sensitive problem withheld");
    let review = r.encounters.iter().find(|e| e.meta.id == ids::TELEPHONE_REVIEW).expect("still shared");
    assert!(review.notes.is_empty(), "notes dropped with a withheld item");
    assert!(r.patient.telephone.is_none() && r.patient.address.lines.is_empty());
    assert_eq!(r.patient.deceased, Some(day(2026, 11, 20)));
    let apixaban = r.medications.iter().find(|m| m.meta.id == ids::APIXABAN).expect("apixaban");
    assert!(apixaban.dose.is_empty());
    assert!(matches!(apixaban.status, MedicationStatus::Active));
}

#[test]
fn a_withheld_no_known_allergies_statement_is_left_out_and_flagged() {
    let mut record = example_record_with_no_known_allergies();
    if let Some(nka) = &mut record.no_known_allergies {
        nka.meta.confidential = true;
    }
    let read = fixture_round_trip(&record, "withheld no known allergies");
    assert!(read.record.no_known_allergies.is_none());
    assert!(read.withheld_items);
}

/// A region whose patients are spread over practices of about 100.
fn region(seed: u64, patients: u64) -> Region {
    let practices = u32::try_from(patients.div_ceil(100)).expect("few practices");
    Region::plan(GeneratorConfig { patients, practices, seed, as_of: day(2026, 11, 25) })
        .expect("a valid configuration")
}

#[test]
fn generated_patients_read_back_as_their_shareable_projection() {
    for (seed, patients) in [(7, 1_000), (20_260_101, 300)] {
        let region = region(seed, patients);
        for index in 0..patients {
            let record = region.record(index);
            let plan = region.practice_of(index);
            assert_round_trip(&record, &plan.practice, &plan.clinicians, &format!("seed {seed} patient {index}"));
        }
    }
}

#[test]
fn generated_patients_with_confidential_entries_still_read_back() {
    // Mark every third entry of each kind confidential: withholding and the consultation
    // rules (lost items, notes dropped, consultations left out) on real-looking records.
    let region = region(11, 200);
    for index in 0..200 {
        let mut record = region.record(index);
        let mark = |meta: &mut openmig_domain::record::EntryMeta| meta.confidential |= meta.id.0.is_multiple_of(3);
        record.medications.iter_mut().for_each(|e| mark(&mut e.meta));
        record.allergies.iter_mut().for_each(|e| mark(&mut e.meta));
        record.problems.iter_mut().for_each(|e| mark(&mut e.meta));
        record.observations.iter_mut().for_each(|e| mark(&mut e.meta));
        record.immunisations.iter_mut().for_each(|e| mark(&mut e.meta));
        record.referrals.iter_mut().for_each(|e| mark(&mut e.meta));
        record.encounters.iter_mut().for_each(|e| mark(&mut e.meta));
        record.alerts.iter_mut().for_each(|e| mark(&mut e.meta));
        let plan = region.practice_of(index);
        assert_round_trip(&record, &plan.practice, &plan.clinicians, &format!("confidential patient {index}"));
    }
}

#[test]
fn a_record_read_back_is_its_own_shareable_projection() {
    // The projection is idempotent on what the reader gives, so a cache of read records
    // can be compared with a record's projection directly.
    let clinicians = example_clinicians();
    let read = round_trip(&awkward_record(), &example_practice(), &clinicians).record;
    assert_same_record(&shareable_projection(&read, &clinicians), &read, "projection of a read record");
}

#[test]
fn a_bundle_of_consultations_only_reads_with_the_items_they_pulled_in() {
    // Items a consultation refers to are in no primary List; the reader still reads them,
    // and a medicine pulled in brings only the issues the consultation refers to.
    let options = StructuredOptions {
        consultations: Some(openmig_fhir::ConsultationOptions::default()),
        ..StructuredOptions::default()
    };
    let region = region(3, 100);
    let mut cases: Vec<(GpRecord, Practice, Vec<Clinician>)> =
        vec![(example_record(), example_practice(), example_clinicians())];
    cases.extend((0..100).map(|index| {
        let plan = region.practice_of(index);
        (region.record(index), plan.practice.clone(), plan.clinicians.clone())
    }));
    for (record, practice, clinicians) in cases {
        let full = round_trip(&record, &practice, &clinicians).record;
        let bundle = structured_bundle(&record, &practice, &clinicians, &options);
        let read = read_structured_bundle(&bundle, record.patient.nhs_number).expect("reads").record;
        assert_eq!(read.encounters, full.encounters);
        // A problem a consultation links comes with its linked items; one linked only to
        // what a consultation recorded comes in the linked-problems List referring only
        // to what the Bundle holds: either way as in the full record, but for links to
        // items this answer does not carry.
        for problem in &read.problems {
            let whole = full.problems.iter().find(|p| p.meta.id == problem.meta.id).expect("a full problem");
            assert!(problem.related.iter().all(|id| whole.related.contains(id)), "related items");
            assert!(problem.linked_problems.iter().all(|l| whole.linked_problems.contains(l)), "linked problems");
            let bare = |p: &Problem| Problem { related: Vec::new(), linked_problems: Vec::new(), ..p.clone() };
            assert_eq!(bare(problem), bare(whole), "pulled-in problem as in the full record");
        }
        for medication in &read.medications {
            let whole = full.medications.iter().find(|m| m.meta.id == medication.meta.id).expect("a full medicine");
            assert!(medication.issues.iter().all(|issue| whole.issues.contains(issue)));
            assert_eq!(medication.product, whole.product);
        }
    }
}

#[test]
fn a_bundle_of_problems_only_reads_with_their_linked_items_and_the_consultations_they_were_recorded_in() {
    // The problems area sends each problem's linked items and consultations (the
    // Encounter only) in secondary Lists: read back, the consultation still links the
    // problem, though the Bundle holds none of the consultation's own Lists.
    let options = StructuredOptions { problems: Some(ProblemOptions::default()), ..StructuredOptions::default() };
    let record = example_record();
    let bundle = structured_bundle(&record, &example_practice(), &example_clinicians(), &options);
    let read = read_structured_bundle(&bundle, record.patient.nhs_number).expect("reads");
    let full = round_trip(&record, &example_practice(), &example_clinicians()).record;
    assert_eq!(read.record.problems, full.problems);
    let consultation = read.record.encounters.iter().find(|e| e.meta.id == ids::AF_CONSULTATION).expect("pulled in");
    assert_eq!(consultation.linked, [ids::ATRIAL_FIBRILLATION], "the link its problem's context gives");
    assert!(consultation.notes.is_empty(), "the consultation's notes are not part of a problems answer");
    assert!(read.record.medications.iter().any(|m| m.meta.id == ids::APIXABAN), "the linked medicine");
    assert!(read.warnings.is_empty(), "secondary Lists are read without a warning: {:?}", read.warnings);
}

#[test]
fn a_warning_on_a_secondary_list_says_the_problems_answer_lost_an_item() {
    // Another supplier's secondary List (GPConnect-SecondaryListValues-1) warns that a
    // medicine linked to a problem was withheld: whoever relays the record says so on
    // the Problems List, the area whose answer lost it.
    let mut bundle = fixture_bundle(&example_record());
    let before = read_structured_bundle(&bundle, example_record().patient.nhs_number).expect("reads");
    assert!(!before.withheld_sections.contains(&openmig_fhir::Section::Problems));
    let entries = bundle["entry"].as_array_mut().expect("entries");
    entries.push(serde_json::json!({ "resource": {
        "resourceType": "List",
        "meta": { "profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-List-1"] },
        "extension": [{
            "url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-ListWarningCode-1",
            "valueCode": "confidential-items",
        }],
        "status": "current",
        "mode": "snapshot",
        "title": "Problems - medications related to problems",
        "code": { "coding": [{
            "system": "https://fhir.hl7.org.uk/STU3/CodeSystem/GPConnect-SecondaryListValues-1",
            "code": "problems-medications-related-to-problems",
            "display": "Problems - medications related to problems",
        }]},
        "subject": { "reference": "Patient/patient-9434765919" },
        "note": [{ "text": "Items excluded due to confidentiality and/or patient preferences." }],
    }}));
    let read = read_structured_bundle(&bundle, example_record().patient.nhs_number).expect("reads");
    assert!(read.withheld_sections.contains(&openmig_fhir::Section::Problems));
    assert!(read.warnings.iter().any(|w| w.starts_with("Problems - medications related to problems: Items excluded")));
}

#[test]
fn diary_entries_the_record_cannot_hold_are_said_not_dropped() {
    // A recall, as GP Connect's diary entries page shapes it: a ProcedureRequest in the
    // "Patient recall administration" List (714311000000108). openmig's record keeps no
    // recalls, and ProcedureRequests otherwise support investigations, so the clinician
    // is told rather than shown nothing.
    let mut bundle = fixture_bundle(&example_record());
    let entries = bundle["entry"].as_array_mut().expect("entries");
    entries.push(serde_json::json!({ "resource": {
        "resourceType": "ProcedureRequest",
        "id": "recall-1",
        "status": "active",
        "intent": "plan",
        "code": { "text": "Asthma review due" },
        "subject": { "reference": "Patient/patient-9434765919" },
        "occurrenceDateTime": "2027-01-10",
    }}));
    entries.push(serde_json::json!({ "resource": {
        "resourceType": "List",
        "status": "current",
        "mode": "snapshot",
        "title": "Patient recall administration",
        "code": { "coding": [{ "system": "http://snomed.info/sct", "code": "714311000000108", "display": "Patient recall administration" }] },
        "subject": { "reference": "Patient/patient-9434765919" },
        "entry": [{ "item": { "reference": "ProcedureRequest/recall-1" } }],
    }}));
    let read = read_structured_bundle(&bundle, example_record().patient.nhs_number).expect("reads");
    assert!(
        read.warnings.iter().any(|w| w.starts_with("Diary entries: the practice sent 1 recall or reminder item(s)")),
        "{:?}",
        read.warnings
    );
    assert_eq!(read.record, fixture_round_trip(&example_record(), "example").record, "nothing else changes");
}

/// The Bundle of every area for `record` with the fixture practice and clinicians.
fn fixture_bundle(record: &GpRecord) -> serde_json::Value {
    structured_bundle(record, &example_practice(), &example_clinicians(), &StructuredOptions::everything())
}

/// The resource with this `resourceType` and `id`.
fn resource_mut<'a>(bundle: &'a mut serde_json::Value, kind: &str, id: &str) -> &'a mut serde_json::Value {
    bundle["entry"]
        .as_array_mut()
        .expect("entries")
        .iter_mut()
        .map(|e| &mut e["resource"])
        .find(|r| r["resourceType"] == kind && r["id"] == id)
        .unwrap_or_else(|| panic!("{kind}/{id}"))
}

/// The one extension of `resource` with this `url`.
fn extension_of<'a>(resource: &'a serde_json::Value, url: &str) -> &'a serde_json::Value {
    let matching: Vec<_> = resource["extension"].as_array().into_iter().flatten().filter(|e| e["url"] == url).collect();
    assert_eq!(matching.len(), 1, "one {url} extension");
    matching[0]
}

const REGISTRATION_DETAILS: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-RegistrationDetails-1";
const REPEAT_INFORMATION: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-MedicationRepeatInformation-1";

#[test]
fn the_registration_is_sent_as_registration_details_and_read_back() {
    let mut record = example_record();
    let patient_id = format!("patient-{}", record.patient.nhs_number);
    let mut bundle = fixture_bundle(&record);
    let details = extension_of(resource_mut(&mut bundle, "Patient", &patient_id), REGISTRATION_DETAILS).clone();
    assert_eq!(
        details["extension"],
        serde_json::json!([
            { "url": "registrationPeriod", "valuePeriod": { "start": "1998-09-01" } },
            {
                "url": "registrationType",
                "valueCodeableConcept": { "coding": [{
                    "system": "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-RegistrationType-1",
                    "code": "R",
                    "display": "Regular",
                }] },
            },
        ])
    );
    let read = read_structured_bundle(&bundle, record.patient.nhs_number).expect("reads").record;
    assert_eq!(read.patient.registration.registered_on, day(1998, 9, 1));
    assert_eq!(read.patient.registration.status, RegistrationStatus::Registered);

    // Deregistered: the period ends that day; the reason has no element.
    record.patient.registration.status =
        RegistrationStatus::Deregistered { on: day(2026, 10, 31), reason: "Moved out of area".into() };
    let mut bundle = fixture_bundle(&record);
    let details = extension_of(resource_mut(&mut bundle, "Patient", &patient_id), REGISTRATION_DETAILS).clone();
    assert_eq!(
        details["extension"][0]["valuePeriod"],
        serde_json::json!({ "start": "1998-09-01", "end": "2026-10-31" })
    );
    let read = read_structured_bundle(&bundle, record.patient.nhs_number).expect("reads").record;
    assert_eq!(read.patient.registration.registered_on, day(1998, 9, 1));
    assert_eq!(
        read.patient.registration.status,
        RegistrationStatus::Deregistered { on: day(2026, 10, 31), reason: String::new() }
    );
    fixture_round_trip(&record, "deregistered patient");
}

#[test]
fn the_review_date_is_the_plans_authorisation_expiry_and_reads_back() {
    let record = example_record();
    let nhs = record.patient.nhs_number;
    let plan_id = format!("medication-request-plan-{nhs}-{}", ids::APIXABAN);
    let mut bundle = fixture_bundle(&record);
    let plan = resource_mut(&mut bundle, "MedicationRequest", &plan_id).clone();
    let repeat = extension_of(&plan, REPEAT_INFORMATION);
    let expiry: Vec<_> = repeat["extension"]
        .as_array()
        .expect("parts")
        .iter()
        .filter(|p| p["url"] == "authorisationExpiryDate")
        .collect();
    assert_eq!(expiry, [&serde_json::json!({ "url": "authorisationExpiryDate", "valueDateTime": "2026-11-20" })]);
    let read = read_structured_bundle(&bundle, nhs).expect("reads").record;
    let apixaban = read.medications.iter().find(|m| m.meta.id == ids::APIXABAN).expect("apixaban");
    assert_eq!(apixaban.review_due, Some(day(2026, 11, 20)));

    // Another system's month-only expiry: due from the month's first day, and the rest
    // of the record is still read.
    let mut monthly = bundle.clone();
    let plan = resource_mut(&mut monthly, "MedicationRequest", &plan_id);
    for extension in plan["extension"].as_array_mut().expect("extensions") {
        if extension["url"] == REPEAT_INFORMATION {
            for part in extension["extension"].as_array_mut().expect("parts") {
                if part["url"] == "authorisationExpiryDate" {
                    part["valueDateTime"] = serde_json::json!("2027-03");
                }
            }
        }
    }
    let read = read_structured_bundle(&monthly, nhs).expect("reads").record;
    let apixaban = read.medications.iter().find(|m| m.meta.id == ids::APIXABAN).expect("apixaban");
    assert_eq!(apixaban.review_due, Some(day(2027, 3, 1)));

    // Only the plan's expiry counts: moved onto an order, it is not a review date.
    let order_id = format!("medication-request-order-{nhs}-{}-1", ids::APIXABAN);
    let plan = resource_mut(&mut bundle, "MedicationRequest", &plan_id);
    plan["extension"].as_array_mut().expect("extensions").retain(|e| e["url"] != REPEAT_INFORMATION);
    let order = resource_mut(&mut bundle, "MedicationRequest", &order_id);
    order["extension"] = serde_json::json!([{
        "url": REPEAT_INFORMATION,
        "extension": [
            { "url": "numberOfRepeatPrescriptionsIssued", "valueUnsignedInt": 1 },
            { "url": "authorisationExpiryDate", "valueDateTime": "2026-11-20" },
        ],
    }]);
    let read = read_structured_bundle(&bundle, nhs).expect("reads").record;
    let apixaban = read.medications.iter().find(|m| m.meta.id == ids::APIXABAN).expect("apixaban");
    assert_eq!(apixaban.review_due, None);
}

#[test]
fn a_review_date_is_sent_only_for_a_repeat_prescribed_at_the_practice() {
    let mut record = example_record();
    for medication in &mut record.medications {
        medication.review_due = Some(day(2027, 1, 15));
    }
    let read = fixture_round_trip(&record, "a review date on every medicine").record;
    for medication in &read.medications {
        let repeat_here = medication.prescription_type.is_repeat() && !medication.is_prescribed_elsewhere();
        let expected = repeat_here.then(|| day(2027, 1, 15));
        assert_eq!(medication.review_due, expected, "{:?}", medication.meta.id);
    }
    assert!(read.medications.iter().any(|m| m.review_due.is_none()), "an acute or elsewhere medicine");
    assert!(read.medications.iter().any(|m| m.review_due.is_some()), "a repeat at the practice");
}
