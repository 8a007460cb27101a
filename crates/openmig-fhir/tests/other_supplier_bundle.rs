//! A structured record Bundle shaped as another GP system sends it, not as openmig's
//! writer does: every id a GUID, references `Type/<GUID>` with no `fullUrl` (GP Connect
//! says providers should not send one and consumers must not use it), date-times with
//! offsets where a supplier records the time, issues in no particular order, and the
//! optional elements a supplier leaves out left out.
//!
//! The Bundle is the recording the stand-in GP system serves
//! (`crates/openmig-gateway/tests/standin_gp/`, whose README says where every code and
//! element comes from). Read with openmig's STU3 reader, every clinical item must come
//! back as recorded.

use std::path::Path;

use chrono::NaiveDate;
use openmig_domain::record::{
    AllergyCategory, AllergyStatus, Medication, MedicationStatus, PrescriptionSource, PrescriptionType, Severity,
};
use openmig_domain::{ClinicianId, ClinicianRole, NhsNumber, PartialDate, RegistrationStatus, Sex};
use openmig_fhir::stu3::reader::{ReadRecord, read_structured_bundle};
use serde_json::Value;

/// The recording: NHS number 9000000009 at practice Y12345.
fn recorded_bundle() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openmig-gateway/tests/standin_gp/bundles/9000000009.json");
    let text = std::fs::read_to_string(&path).expect("the stand-in GP's recorded Bundle is readable");
    serde_json::from_str(&text).expect("the recorded Bundle is JSON")
}

fn read() -> ReadRecord {
    read_structured_bundle(&recorded_bundle(), NhsNumber::parse("9000000009").unwrap())
        .expect("openmig's reader accepts the other supplier's Bundle")
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a calendar date")
}

/// The usual GP, named by their SDS user id.
fn dr_okafor() -> ClinicianId {
    ClinicianId("900000000127".into())
}

fn medicine(read: &ReadRecord, dmd: u64) -> &Medication {
    read.record.medications.iter().find(|m| m.product.code.value() == dmd).expect("the medicine is in the record")
}

#[test]
fn the_bundle_reads_with_nothing_skipped_or_withheld() {
    let read = read();
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
    assert!(!read.withheld_items);
    let record = &read.record;
    assert_eq!(record.medications.len(), 2);
    assert_eq!(record.allergies.len(), 1);
    assert!(record.no_known_allergies.is_none(), "an empty \"Ended allergies\" List is not \"no known allergies\"");
    assert!(record.problems.is_empty());
    assert!(record.encounters.is_empty());
    assert!(record.observations.is_empty());
    assert!(record.immunisations.is_empty());
    assert!(record.referrals.is_empty());
}

#[test]
fn the_practice_and_the_clinician_come_from_the_bundle() {
    let read = read();
    assert_eq!(read.practice.ods_code.as_str(), "Y12345");
    assert_eq!(read.practice.name, "Riverside Stand-in Surgery");
    assert_eq!(read.practice.telephone, "0191 498 0123");

    assert_eq!(read.clinicians.len(), 1);
    let gp = &read.clinicians[0];
    assert_eq!(gp.id, dr_okafor());
    assert_eq!((gp.prefix.as_str(), gp.given.as_str(), gp.family.as_str()), ("Dr", "Ngozi", "Okafor"));
    assert_eq!(gp.role, ClinicianRole::GeneralPractitioner, "PractitionerRole R0260 General Medical Practitioner");
    assert_eq!(gp.practice.as_str(), "Y12345");
}

#[test]
fn the_patient_is_the_one_asked_for() {
    let patient = read().record.patient;
    assert_eq!(patient.nhs_number, NhsNumber::parse("9000000009").unwrap());
    assert_eq!(patient.name.family, "Fairweather");
    assert_eq!(patient.name.given, vec!["Edith".to_string()]);
    assert_eq!(patient.name.prefix, "");
    assert_eq!(patient.birth_date, day(1948, 3, 14));
    assert_eq!(patient.sex, Sex::Female);
    assert_eq!(patient.registration.practice.as_str(), "Y12345");
    assert_eq!(patient.registration.registered_on, day(1989, 6, 1));
    assert_eq!(patient.registration.status, RegistrationStatus::Registered);
    assert_eq!(patient.registration.usual_gp, dr_okafor());
    assert_eq!(patient.deceased, None);
    assert_eq!(patient.telephone, None, "the Bundle carries no telephone");
}

#[test]
fn warfarin_is_a_repeat_with_its_three_issues_oldest_first() {
    let read = read();
    let warfarin = medicine(&read, 319733000);
    assert_eq!(warfarin.product.name, "Warfarin 1mg tablets");
    assert_eq!(warfarin.dose, "Take as directed by the anticoagulant clinic");
    assert_eq!(warfarin.patient_instructions, None);
    assert_eq!(warfarin.prescription_type, PrescriptionType::Repeat);
    assert_eq!(warfarin.status, MedicationStatus::Active);
    assert_eq!(warfarin.started, PartialDate::Day(day(2026, 9, 14)));
    assert_eq!(warfarin.authorised_from, Some(day(2026, 9, 14)));
    assert_eq!(warfarin.authorised_issues, None, "no fixed number of issues was authorised");
    assert_eq!(warfarin.review_due, None);
    assert_eq!((warfarin.quantity.value, warfarin.quantity.unit.as_str()), (56.0, "tablet"));
    assert_eq!(warfarin.source, PrescriptionSource::Practice { authoriser: dr_okafor() });
    assert_eq!(warfarin.meta.recorded_on, day(2026, 9, 14), "dateAsserted, a date-time, read as its day");
    assert_eq!(warfarin.meta.recorded_by, dr_okafor());

    // The Bundle lists the issues November, September, October; the record keeps them by date.
    let dates: Vec<NaiveDate> = warfarin.issues.iter().map(|i| i.date).collect();
    assert_eq!(dates, vec![day(2026, 9, 14), day(2026, 10, 12), day(2026, 11, 9)]);
    for issue in &warfarin.issues {
        assert_eq!((issue.quantity, issue.days_supply), (56.0, 28));
        assert_eq!(issue.issued_by, dr_okafor());
    }
}

#[test]
fn lansoprazole_is_a_current_acute_with_its_one_issue() {
    let read = read();
    let lansoprazole = medicine(&read, 317309001);
    assert_eq!(lansoprazole.product.name, "Lansoprazole 30mg gastro-resistant capsules");
    assert_eq!(lansoprazole.dose, "One capsule daily");
    assert_eq!(lansoprazole.prescription_type, PrescriptionType::Acute);
    assert_eq!(lansoprazole.status, MedicationStatus::Active);
    assert_eq!(lansoprazole.started, PartialDate::Day(day(2026, 11, 20)));
    assert_eq!(lansoprazole.authorised_from, None, "an acute's authorisation date is its start");
    assert_eq!((lansoprazole.quantity.value, lansoprazole.quantity.unit.as_str()), (28.0, "capsule"));
    assert_eq!(lansoprazole.source, PrescriptionSource::Practice { authoriser: dr_okafor() });
    assert_eq!(lansoprazole.issues.len(), 1);
    let issue = &lansoprazole.issues[0];
    assert_eq!((issue.date, issue.quantity, issue.days_supply), (day(2026, 11, 20), 28.0, 28));
    assert_eq!(issue.issued_by, dr_okafor());
}

#[test]
fn the_penicillin_allergy_keeps_its_reaction() {
    let read = read();
    let allergy = &read.record.allergies[0];
    assert_eq!(allergy.code.code.value(), 91936005);
    assert_eq!(allergy.code.display, "Allergy to penicillin");
    assert_eq!(allergy.category, AllergyCategory::Medication);
    assert_eq!(allergy.status, AllergyStatus::Active);
    assert_eq!(allergy.asserted, PartialDate::Day(day(2009, 4, 21)));
    assert_eq!(allergy.onset, None, "no onset was recorded");
    assert_eq!(allergy.substance, None, "GP Connect forbids reaction.substance");
    assert_eq!(allergy.meta.recorded_by, dr_okafor());
    let reaction = allergy.reaction.as_ref().expect("the reaction is read");
    assert_eq!(reaction.manifestation.code.value(), 304386008);
    assert_eq!(reaction.manifestation.display, "O/E - itchy rash");
    assert_eq!(reaction.severity, Severity::Moderate);
}

// ---- TEMPORARY PROBES (removed before hand-back) ----
fn probe(name: &str, mutate: impl Fn(&mut Value)) {
    let mut b = recorded_bundle();
    mutate(&mut b);
    match read_structured_bundle(&b, NhsNumber::parse("9000000009").unwrap()) {
        Ok(r) => {
            let w = medicine(&r, 319733000);
            let l = r.record.medications.iter().find(|m| m.product.code.value() == 317309001);
            println!("PROBE {name}: OK warnings={:?} warf_qty={:?} warf_dose={:?} warf_type={:?} warf_recorded={} allergy_reaction={:?} lanso_dose={:?} gp_ids={:?} practice={} issues_by={:?}",
                r.warnings, (w.quantity.value, &w.quantity.unit), w.dose, w.prescription_type, w.meta.recorded_on,
                r.record.allergies.first().map(|a| a.reaction.clone()), l.map(|l| l.dose.clone()),
                r.clinicians.iter().map(|c| c.id.0.clone()).collect::<Vec<_>>(), r.practice.ods_code.as_str(),
                w.issues.iter().map(|i| i.issued_by.0.clone()).collect::<Vec<_>>());
        }
        Err(e) => println!("PROBE {name}: REFUSED {e:?}"),
    }
}
fn res<'a>(b: &'a mut Value, id: &str) -> &'a mut Value {
    b["entry"].as_array_mut().unwrap().iter_mut().map(|e| &mut e["resource"]).find(|r| r["id"] == id).unwrap()
}
const PLAN_WARF: &str = "60d938ac-1bfb-4602-a431-dbce075be78d";
const PATIENT_ID: &str = "ce3f9512-5e89-4b5c-bda0-f924ad96669e";
const ORG_ID: &str = "b0c8fa7c-637c-4f4e-a294-da14da1ac219";
const MED_WARF: &str = "61e59801-8f1e-4543-a39e-d96e40416b2b";
const ALLERGY: &str = "788a6757-9167-498e-a4b6-91d4e20274a2";
const PRACT: &str = "5bff6ef8-fd7b-47cb-9fbf-536917d2cc8d";
const ROLE: &str = "6d5a1e56-09a2-4f5e-a342-2a1b2a6a6bbb";
const MS_WARF: &str = "6cb60bfd-5513-4d6c-b8b3-7d0e24d67973";
const ORD1: &str = "d4d6ff33-6b1b-4e8c-b9e3-0fa23a643b32";

#[test]
fn zz_probes() {
    use serde_json::json;
    probe("baseline", |_| {});
    probe("numberOfRepeatPrescriptionsAllowed valueUnsignedInt", |b| {
        res(b, PLAN_WARF)["extension"][0]["extension"].as_array_mut().unwrap()
            .insert(0, json!({"url": "numberOfRepeatPrescriptionsAllowed", "valueUnsignedInt": 6}));
    });
    probe("practice only in generalPractitioner", |b| {
        let p = res(b, PATIENT_ID);
        p.as_object_mut().unwrap().remove("managingOrganization");
        p["generalPractitioner"] = json!([{"reference": format!("Organization/{ORG_ID}")}]);
    });
    probe("plan without prescriptionType (legacy)", |b| {
        let plan = res(b, PLAN_WARF);
        plan["extension"].as_array_mut().unwrap().retain(|e| !e["url"].as_str().unwrap().contains("PrescriptionType"));
        for id in [ORD1] { let o = res(b, id); o["extension"] = json!([]); }
    });
    probe("medication coded only in EMIS drug codes", |b| {
        res(b, MED_WARF)["code"] = json!({"coding": [{"system": "https://fhir.hl7.org.uk/Id/emis-drug-codes", "code": "SACF26553EMIS", "display": "x"}]});
    });
    probe("allergy coded only in Read v2", |b| {
        res(b, ALLERGY)["code"] = json!({"coding": [{"system": "http://read.info/readv2", "code": "14L1.00", "display": "H/O: penicillin allergy"}]});
    });
    probe("reaction manifestation nullFlavor NI with severity", |b| {
        res(b, ALLERGY)["reaction"][0]["manifestation"] = json!([{"coding": [{"system": "http://hl7.org/fhir/v3/NullFlavor", "code": "NI", "display": "NoInformation"}]}]);
    });
    probe("reaction with manifestation, no severity", |b| {
        res(b, ALLERGY)["reaction"][0].as_object_mut().unwrap().remove("severity");
    });
    probe("quantityText only on plan", |b| {
        res(b, PLAN_WARF)["dispenseRequest"]["quantity"] = json!({"extension": [{"url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-MedicationQuantityText-1", "valueString": "56 tablets"}]});
    });
    probe("dosage Not recorded", |b| {
        res(b, MS_WARF)["dosage"][0]["text"] = json!("Not recorded");
        res(b, PLAN_WARF)["dosageInstruction"][0]["text"] = json!("Not recorded");
    });
    probe("practitioner without SDS id", |b| {
        res(b, PRACT).as_object_mut().unwrap().remove("identifier");
    });
    probe("order recorder is PractitionerRole", |b| {
        res(b, ORD1)["recorder"] = json!({"reference": format!("PractitionerRole/{ROLE}")});
    });
    probe("patient without birthDate", |b| { res(b, PATIENT_ID).as_object_mut().unwrap().remove("birthDate"); });
    probe("organization without ODS code", |b| { res(b, ORG_ID).as_object_mut().unwrap().remove("identifier"); });
    probe("allergy recorder is the Patient", |b| { res(b, ALLERGY)["recorder"] = json!({"reference": format!("Patient/{PATIENT_ID}")}); });
    probe("dateAsserted late on a summer evening in UTC", |b| { res(b, MS_WARF)["dateAsserted"] = json!("2026-09-14T23:30:00Z"); });
    probe("a Location in the Bundle (preferred branch)", |b| {
        b["entry"].as_array_mut().unwrap().push(json!({"resource": {"resourceType": "Location", "id": "0d5c3c6e-7c55-4d0e-9a55-3b1a3a9f8c11", "name": "Branch"}}));
    });
    probe("Bundle.id set (as served)", |b| { b["id"] = json!("0f2b6c3e-4d2a-4b8e-9c1d-7a6e5f4d3c2b"); });
    probe("ended allergy contained, endReason (guidance name)", |b| {
        let list = b["entry"].as_array_mut().unwrap().iter_mut().map(|e| &mut e["resource"]).find(|r| r["title"] == "Ended allergies").unwrap();
        let o = list.as_object_mut().unwrap(); o.remove("emptyReason"); o.remove("note");
        list["contained"] = json!([{"resourceType": "AllergyIntolerance", "id": "e1", "meta": {"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-AllergyIntolerance-1"]},
            "extension": [{"url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-AllergyIntoleranceEnd-1", "extension": [{"url": "endDate", "valueDateTime": "2015-01-01"}, {"url": "endReason", "valueString": "No information available"}]}],
            "identifier": [{"system": "https://standin-gp.example/Y12345", "value": "e1"}], "clinicalStatus": "resolved", "verificationStatus": "unconfirmed", "category": ["medication"],
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "91936005", "display": "Allergy to penicillin"}]}, "patient": {"reference": format!("Patient/{PATIENT_ID}")},
            "assertedDate": "2010-01-01", "recorder": {"reference": format!("Practitioner/{PRACT}")}}]);
        list["entry"] = json!([{"item": {"reference": "#e1"}}]);
    });
    probe("urn:uuid fullUrls and references", |b| {
        let text = serde_json::to_string(b).unwrap();
        let re_ids: Vec<(String, String)> = b["entry"].as_array().unwrap().iter().filter_map(|e| {
            let r = &e["resource"]; Some((format!("{}/{}", r["resourceType"].as_str()?, r["id"].as_str()?), r["id"].as_str()?.to_string()))
        }).collect();
        let mut text = text;
        for (key, id) in &re_ids { text = text.replace(&format!("\"reference\":\"{key}\""), &format!("\"reference\":\"urn:uuid:{id}\"")); }
        *b = serde_json::from_str(&text).unwrap();
        for e in b["entry"].as_array_mut().unwrap() { if let Some(id) = e["resource"]["id"].as_str().map(str::to_owned) { e["fullUrl"] = json!(format!("urn:uuid:{id}")); } }
        assert!(!serde_json::to_string(b).unwrap().contains("\"reference\":\"Patient/"));
    });
}
