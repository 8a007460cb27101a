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
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../openmig-gateway/tests/standin_gp/bundles/9000000009.json");
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
    assert_eq!(reaction.severity, Some(Severity::Moderate));
}
