//! Hand-built synthetic records for tests, shared by every crate that needs a realistic
//! record without running the generator.
//!
//! Everything here is invented: the practice, the clinicians and the patients do not
//! exist, the NHS numbers are merely check-digit valid, and the telephone numbers are in
//! Ofcom's range reserved for drama. Only the clinical codes are real, each one taken
//! from the verified tables in `shared/design/codes.md`, and every one is built through
//! [`SnomedCode::new`] so a typo fails loudly rather than silently travelling into
//! storage and FHIR tests.
//!
//! [`example_record`] is deliberately awkward: it holds every entry kind, partial dates
//! of each precision, a repeat re-authorised after earlier issues, a medicine prescribed
//! elsewhere, a resolved allergy next to an active one with the same code, a
//! confidential consultation and encounters linking to other entries. Storage and codec
//! tests round-trip it; FHIR and gateway tests render it. All dates lie before
//! [`AS_OF`], the "today" the tests evaluate clinical rules on.
//!
//! Compiled only for tests and behind the `fixtures` feature, so no release binary
//! carries synthetic patients.

use chrono::{NaiveDate, NaiveDateTime};

use crate::dates::PartialDate;
use crate::identifiers::{EntryId, NhsNumber, OdsCode, SnomedCode};
use crate::patient::{Address, Patient, PersonName, Registration, RegistrationStatus, Sex};
use crate::practice::{ClinicalSystem, Clinician, ClinicianId, ClinicianRole, Practice};
use crate::record::{
    Alert, Allergy, AllergyCategory, AllergyStatus, Coded, Criticality, Encounter, EncounterKind, EntryMeta, GpRecord,
    Immunisation, ImmunisationStatus, Issue, LinkedProblem, Medication, MedicationStatus, NoKnownAllergies,
    Observation, ObservationCategory, ObservationComponent, ObservationValue, PrescribingSetting, PrescriptionSource,
    PrescriptionType, Problem, ProblemRelation, ProblemStatus, Product, Quantity, Reaction, ReferenceRange, Referral,
    ReferralPriority, Severity, SharingPreference, Significance,
};

/// The day the fixtures are "as of": every date in them lies before it, and the clinical
/// rules (current medicines, traits) give the documented answers on it.
pub const AS_OF: NaiveDate = match NaiveDate::from_ymd_opt(2026, 11, 25) {
    Some(day) => day,
    None => panic!("2026-11-25 is a calendar date"),
};

/// The example practice's ODS code.
pub const PRACTICE_ODS: &str = "Z90001";
/// The example practice's GP, who records most entries.
pub const GP_ID: &str = "G9000001";
/// The example practice's nurse.
pub const NURSE_ID: &str = "N9000002";

/// Entry ids in [`example_record`] that tests refer to by name.
pub mod ids {
    use crate::identifiers::EntryId;

    /// The current apixaban repeat.
    pub const APIXABAN: EntryId = EntryId(1);
    /// The completed amoxicillin course.
    pub const AMOXICILLIN: EntryId = EntryId(2);
    /// The naproxen repeat stopped when apixaban started.
    pub const NAPROXEN: EntryId = EntryId(3);
    /// Methotrexate prescribed by a specialist clinic.
    pub const METHOTREXATE: EntryId = EntryId(4);
    /// The active penicillin allergy.
    pub const PENICILLIN_ALLERGY: EntryId = EntryId(5);
    /// The old penicillin label, resolved after a challenge.
    pub const RESOLVED_PENICILLIN_ALLERGY: EntryId = EntryId(6);
    /// Atrial fibrillation (active, major).
    pub const ATRIAL_FIBRILLATION: EntryId = EntryId(7);
    /// Asthma (inactive, minor).
    pub const ASTHMA: EntryId = EntryId(8);
    /// The surgery consultation where AF was diagnosed.
    pub const AF_CONSULTATION: EntryId = EntryId(9);
    /// The telephone anticoagulation review.
    pub const TELEPHONE_REVIEW: EntryId = EntryId(10);
    /// The consultation marked confidential.
    pub const CONFIDENTIAL_CONSULTATION: EntryId = EntryId(11);
    /// The latest eGFR.
    pub const EGFR: EntryId = EntryId(12);
    /// The blood pressure panel taken at diagnosis.
    pub const BLOOD_PRESSURE: EntryId = EntryId(13);
    /// Smoking status.
    pub const EX_SMOKER: EntryId = EntryId(14);
    /// This season's flu vaccination.
    pub const FLU_VACCINATION: EntryId = EntryId(15);
    /// The declined pneumococcal vaccination.
    pub const PNEUMOCOCCAL_DECLINED: EntryId = EntryId(16);
    /// The diabetes clinic referral.
    pub const DIABETES_REFERRAL: EntryId = EntryId(17);
    /// The DNACPR alert.
    pub const DNACPR: EntryId = EntryId(18);
    /// Consent to record sharing.
    pub const SHARING_CONSENT: EntryId = EntryId(19);
    /// The upper respiratory infection of [`super::with_linked_problems`].
    pub const UPPER_RESPIRATORY_INFECTION: EntryId = EntryId(200);
    /// The post-viral cough that followed it.
    pub const POSTVIRAL_COUGH: EntryId = EntryId(201);
}

/// A GP practice on EMIS Web with sharing enabled, which all the fixture patients are
/// registered with.
pub fn example_practice() -> Practice {
    Practice {
        ods_code: practice_ods(),
        name: "Riverside Medical Practice".into(),
        address: Address {
            lines: vec!["Riverside Health Centre".into(), "1 Quayside Lane".into()],
            town: "Newcastle upon Tyne".into(),
            postcode: "NE1 9ZZ".into(),
        },
        telephone: "0191 498 0000".into(),
        clinical_system: ClinicalSystem::EmisWeb,
        sharing_enabled: true,
        asid: "900000000001".into(),
    }
}

/// The example practice's GP and practice nurse.
pub fn example_clinicians() -> Vec<Clinician> {
    vec![
        Clinician {
            id: gp(),
            practice: practice_ods(),
            prefix: "Dr".into(),
            given: "Helen".into(),
            family: "Armstrong".into(),
            role: ClinicianRole::GeneralPractitioner,
            registration: Some("GMC 9000001".into()),
        },
        Clinician {
            id: nurse(),
            practice: practice_ods(),
            prefix: String::new(),
            given: "Claire".into(),
            family: "Robson".into(),
            role: ClinicianRole::PracticeNurse,
            registration: Some("NMC 90Z0002E".into()),
        },
    ]
}

/// An 84-year-old with atrial fibrillation on apixaban, holding every entry kind and the
/// awkward cases listed in the module docs. NHS number 943 476 5919.
pub fn example_record() -> GpRecord {
    GpRecord {
        patient: patient(nhs("9434765919"), "Margaret", "Hebburn", day(1942, 3, 14), Sex::Female),
        medications: vec![apixaban(), amoxicillin(), naproxen(), methotrexate()],
        allergies: vec![penicillin_allergy(), resolved_penicillin_allergy()],
        no_known_allergies: None,
        problems: vec![atrial_fibrillation(), asthma()],
        encounters: vec![af_consultation(), telephone_review(), confidential_consultation()],
        observations: vec![egfr(), blood_pressure(), ex_smoker()],
        immunisations: vec![flu_vaccination(), pneumococcal_declined()],
        referrals: vec![diabetes_referral()],
        alerts: vec![dnacpr()],
        sharing_preferences: vec![SharingPreference {
            meta: meta(ids::SHARING_CONSENT, day(2015, 4, 1), nurse()),
            code: coded(425691002, "Consent given for electronic record sharing"),
            date: day(2015, 4, 1),
        }],
    }
}

/// A second patient at the example practice with a coded "No known allergy" and no
/// allergy entries: the case that must read differently from "nothing recorded".
pub fn example_record_with_no_known_allergies() -> GpRecord {
    let nhs_number = NhsNumber::from_prefix(943_476_592).expect("943476592 takes check digit 7");
    GpRecord {
        no_known_allergies: Some(NoKnownAllergies {
            meta: meta(EntryId(1), day(2024, 5, 1), nurse()),
            code: coded(716186003, "No known allergy"),
            asserted: day(2024, 5, 1),
        }),
        ..empty_record(patient(nhs_number, "David", "Jarrow", day(1979, 8, 2), Sex::Male))
    }
}

/// The first valid NHS number at or after the 9-digit prefix `seed` (test range), for a
/// variant of the example record under a number of its own.
pub fn free_nhs(seed: u32) -> NhsNumber {
    (seed..).find_map(NhsNumber::from_prefix).expect("a valid NHS number follows every seed in range")
}

/// The example record under `nhs_number`, changed by `change`.
pub fn example_variant(nhs_number: NhsNumber, change: impl FnOnce(&mut GpRecord)) -> GpRecord {
    let mut record = example_record();
    record.patient.nhs_number = nhs_number;
    change(&mut record);
    record
}

/// `record` with an upper respiratory infection and the post-viral cough that followed
/// it, linked on both sides as parent and child, the cough resolved (codes as GP
/// Connect's published consultation example `consultations_response1.json` records
/// them: 54150009, 445241004; ids [`ids::UPPER_RESPIRATORY_INFECTION`] and
/// [`ids::POSTVIRAL_COUGH`]).
pub fn with_linked_problems(mut record: GpRecord) -> GpRecord {
    let recorded = meta(ids::UPPER_RESPIRATORY_INFECTION, day(2025, 1, 6), gp());
    let infection = Problem {
        meta: recorded.clone(),
        code: Coded::new(SnomedCode::known(54150009), "Upper respiratory infection"),
        status: ProblemStatus::Active,
        significance: Significance::Minor,
        onset: Some(PartialDate::Day(day(2025, 1, 6))),
        ended: None,
        notes: None,
        related: Vec::new(),
        linked_problems: vec![LinkedProblem { problem: ids::POSTVIRAL_COUGH, relation: ProblemRelation::Parent }],
    };
    let cough = Problem {
        meta: EntryMeta { id: ids::POSTVIRAL_COUGH, ..recorded },
        code: Coded::new(SnomedCode::known(445241004), "Postviral cough"),
        status: ProblemStatus::Inactive,
        ended: Some(PartialDate::Day(day(2025, 3, 3))),
        linked_problems: vec![LinkedProblem {
            problem: ids::UPPER_RESPIRATORY_INFECTION,
            relation: ProblemRelation::Child,
        }],
        ..infection.clone()
    };
    record.problems.extend([infection, cough]);
    record
}

/// The example record of a patient who died on 2 January 2026 (still registered):
/// NHS number [`free_nhs`]`(900_000_100)`.
pub fn deceased_record() -> GpRecord {
    example_variant(free_nhs(900_000_100), |r| r.patient.deceased = Some(day(2026, 1, 2)))
}

/// The example record of a patient deregistered ("Moved") on 1 June 2025: NHS number
/// [`free_nhs`]`(900_000_200)`.
pub fn deregistered_record() -> GpRecord {
    example_variant(free_nhs(900_000_200), |r| {
        r.patient.registration.status = RegistrationStatus::Deregistered { on: day(2025, 6, 1), reason: "Moved".into() }
    })
}

/// The example record of a restricted (S-flagged) patient: NHS number
/// [`free_nhs`]`(900_000_300)`.
pub fn restricted_record() -> GpRecord {
    example_variant(free_nhs(900_000_300), |r| r.patient.restricted = true)
}

/// A third patient at the example practice who consented to sharing and later refused:
/// the latest preference (dissent) is the one that counts.
pub fn dissenting_record() -> GpRecord {
    let nhs_number = NhsNumber::from_prefix(943_476_593).expect("943476593 takes check digit 5");
    GpRecord {
        sharing_preferences: vec![
            SharingPreference {
                meta: meta(EntryId(1), day(2016, 2, 9), nurse()),
                code: coded(425691002, "Consent given for electronic record sharing"),
                date: day(2016, 2, 9),
            },
            SharingPreference {
                meta: meta(EntryId(2), day(2024, 7, 15), gp()),
                code: coded(416409005, "Refused consent for upload to local shared electronic record"),
                date: day(2024, 7, 15),
            },
        ],
        ..empty_record(patient(nhs_number, "Susan", "Whitley", day(1965, 11, 30), Sex::Female))
    }
}

fn empty_record(patient: Patient) -> GpRecord {
    GpRecord::new(patient)
}

fn patient(nhs_number: NhsNumber, given: &str, family: &str, birth_date: NaiveDate, sex: Sex) -> Patient {
    Patient {
        nhs_number,
        name: PersonName {
            prefix: match sex {
                Sex::Female => "Mrs".into(),
                Sex::Male => "Mr".into(),
                Sex::Other | Sex::Unknown => String::new(),
            },
            given: vec![given.into()],
            family: family.into(),
        },
        birth_date,
        sex,
        address: Address {
            lines: vec!["12 Ferry Road".into()],
            town: "Newcastle upon Tyne".into(),
            postcode: "NE6 9ZZ".into(),
        },
        telephone: Some("0191 498 0123".into()),
        registration: Registration {
            practice: practice_ods(),
            registered_on: day(1998, 9, 1),
            usual_gp: gp(),
            status: RegistrationStatus::Registered,
        },
        deceased: None,
        restricted: false,
    }
}

/// Apixaban repeat, re-authorised in August 2026: the July issue belongs to the previous
/// authorisation, four issues count against the current six. The last issue's 28 days
/// run to 2026-11-30, so on [`AS_OF`] it is current and not overdue.
fn apixaban() -> Medication {
    let issues = [day(2026, 7, 13), day(2026, 8, 10), day(2026, 9, 7), day(2026, 10, 5), day(2026, 11, 2)];
    Medication {
        meta: meta(ids::APIXABAN, day(2023, 2, 10), gp()),
        product: product(703908001, "Apixaban 5mg tablets"),
        dose: "One tablet twice a day".into(),
        patient_instructions: Some("Carry your anticoagulant alert card".into()),
        quantity: Quantity::measured(56.0, "tablet"),
        prescription_type: PrescriptionType::Repeat,
        started: PartialDate::Day(day(2023, 2, 10)),
        status: MedicationStatus::Active,
        authorised_issues: Some(6),
        authorised_from: Some(day(2026, 8, 10)),
        review_due: Some(day(2026, 11, 20)),
        source: PrescriptionSource::Practice { authoriser: gp() },
        issues: issues
            .iter()
            .map(|date| Issue { date: *date, quantity: 56.0, days_supply: 28, issued_by: gp() })
            .collect(),
    }
}

/// The amoxicillin course after which the urticarial rash (and the active penicillin
/// allergy) was recorded.
fn amoxicillin() -> Medication {
    Medication {
        meta: meta(ids::AMOXICILLIN, day(2024, 3, 4), gp()),
        product: product(39732411000001106, "Amoxicillin 500mg capsules"),
        dose: "One capsule three times a day".into(),
        patient_instructions: None,
        quantity: Quantity::measured(21.0, "capsule"),
        prescription_type: PrescriptionType::Acute,
        started: PartialDate::Day(day(2024, 3, 4)),
        status: MedicationStatus::Completed { on: PartialDate::Day(day(2024, 3, 10)) },
        authorised_issues: None,
        authorised_from: None,
        review_due: None,
        source: PrescriptionSource::Practice { authoriser: gp() },
        issues: vec![Issue { date: day(2024, 3, 4), quantity: 21.0, days_supply: 7, issued_by: gp() }],
    }
}

/// Naproxen stopped at the AF diagnosis, with the reason given.
fn naproxen() -> Medication {
    Medication {
        meta: meta(ids::NAPROXEN, day(2021, 6, 1), gp()),
        product: product(329807003, "Naproxen 500mg tablets"),
        dose: "One tablet twice a day with food".into(),
        patient_instructions: Some("Take with or after food".into()),
        quantity: Quantity::measured(56.0, "tablet"),
        prescription_type: PrescriptionType::Repeat,
        started: PartialDate::Day(day(2021, 6, 1)),
        status: MedicationStatus::Discontinued {
            on: day(2023, 2, 10),
            reason: "Bleeding risk with apixaban; paracetamol instead".into(),
        },
        authorised_issues: Some(6),
        authorised_from: Some(day(2022, 11, 1)),
        review_due: Some(day(2023, 5, 1)),
        source: PrescriptionSource::Practice { authoriser: gp() },
        issues: vec![
            Issue { date: day(2022, 11, 1), quantity: 56.0, days_supply: 28, issued_by: gp() },
            Issue { date: day(2022, 12, 20), quantity: 56.0, days_supply: 28, issued_by: gp() },
        ],
    }
}

/// Methotrexate from the rheumatology clinic: recorded for safety, never issued by the
/// practice, and migrated from an older system with only the year it started.
fn methotrexate() -> Medication {
    Medication {
        meta: meta(ids::METHOTREXATE, day(2019, 6, 3), nurse()),
        product: product(326874007, "Methotrexate 2.5mg tablets"),
        dose: "Four tablets once a week on Mondays".into(),
        patient_instructions: Some("Once weekly only. Take folic acid on a different day".into()),
        quantity: Quantity::measured(16.0, "tablet"),
        prescription_type: PrescriptionType::Repeat,
        started: PartialDate::Year(2019),
        status: MedicationStatus::Active,
        authorised_issues: None,
        authorised_from: None,
        review_due: None,
        source: PrescriptionSource::Elsewhere {
            organisation: "Royal Victoria Infirmary rheumatology".into(),
            ods_code: None,
            setting: PrescribingSetting::SpecialistClinic,
        },
        issues: Vec::new(),
    }
}

fn penicillin_allergy() -> Allergy {
    Allergy {
        meta: meta(ids::PENICILLIN_ALLERGY, day(2024, 3, 12), gp()),
        code: coded(91936005, "Allergy to penicillin"),
        substance: Some(coded(764146007, "Penicillin")),
        category: AllergyCategory::Medication,
        reaction: Some(Reaction {
            manifestation: coded(247472004, "Urticarial rash"),
            severity: Some(Severity::Moderate),
        }),
        onset: Some(PartialDate::YearMonth(2024, 3)),
        asserted: PartialDate::Day(day(2024, 3, 12)),
        status: AllergyStatus::Active,
        criticality: Some(Criticality::High),
        notes: None,
    }
}

/// A childhood penicillin label removed after a challenge, years before the real reaction:
/// same code as the active allergy, no substance, no reaction, dates known only roughly.
fn resolved_penicillin_allergy() -> Allergy {
    Allergy {
        meta: meta(ids::RESOLVED_PENICILLIN_ALLERGY, day(1998, 9, 1), nurse()),
        code: coded(91936005, "Allergy to penicillin"),
        substance: None,
        category: AllergyCategory::Medication,
        reaction: None,
        onset: Some(PartialDate::Year(1950)),
        asserted: PartialDate::Year(1998),
        status: AllergyStatus::Resolved {
            on: PartialDate::YearMonth(2005, 5),
            reason: "Tolerated amoxicillin challenge".into(),
        },
        criticality: None,
        notes: Some("Label from childhood, history unclear.".into()),
    }
}

fn atrial_fibrillation() -> Problem {
    Problem {
        meta: meta(ids::ATRIAL_FIBRILLATION, day(2023, 2, 10), gp()),
        code: coded(49436004, "Atrial fibrillation"),
        status: ProblemStatus::Active,
        significance: Significance::Major,
        onset: Some(PartialDate::YearMonth(2023, 2)),
        ended: None,
        notes: Some("CHA2DS2-VASc 4; anticoagulated".into()),
        related: vec![ids::APIXABAN, ids::BLOOD_PRESSURE],
        linked_problems: Vec::new(),
    }
}

fn asthma() -> Problem {
    Problem {
        meta: meta(ids::ASTHMA, day(1998, 9, 1), nurse()),
        code: coded(195967001, "Asthma"),
        status: ProblemStatus::Inactive,
        significance: Significance::Minor,
        onset: Some(PartialDate::Year(1962)),
        ended: Some(PartialDate::Year(1990)),
        notes: None,
        related: Vec::new(),
        linked_problems: Vec::new(),
    }
}

fn af_consultation() -> Encounter {
    Encounter {
        meta: meta(ids::AF_CONSULTATION, day(2023, 2, 10), gp()),
        start: at(day(2023, 2, 10), 9, 20),
        duration_minutes: 15,
        kind: EncounterKind::Surgery,
        clinician: gp(),
        notes: "Irregular pulse at routine check; ECG confirms atrial fibrillation. CHA2DS2-VASc 4. \
                Discussed anticoagulation: starting apixaban. Naproxen stopped (bleeding risk)."
            .into(),
        linked: vec![ids::ATRIAL_FIBRILLATION, ids::APIXABAN, ids::NAPROXEN, ids::BLOOD_PRESSURE],
        other_type: None,
    }
}

fn telephone_review() -> Encounter {
    Encounter {
        meta: meta(ids::TELEPHONE_REVIEW, day(2026, 11, 2), nurse()),
        start: at(day(2026, 11, 2), 14, 5),
        duration_minutes: 10,
        kind: EncounterKind::Telephone,
        clinician: nurse(),
        notes: "Anticoagulation review by telephone. No bleeding or bruising. eGFR stable. \
                Apixaban issued."
            .into(),
        linked: vec![ids::EGFR, ids::APIXABAN],
        other_type: None,
    }
}

/// Marked confidential by the practice; links to nothing.
fn confidential_consultation() -> Encounter {
    Encounter {
        meta: EntryMeta { confidential: true, ..meta(ids::CONFIDENTIAL_CONSULTATION, day(2025, 6, 17), gp()) },
        start: at(day(2025, 6, 17), 11, 40),
        duration_minutes: 20,
        kind: EncounterKind::Surgery,
        clinician: gp(),
        notes: "Discussed family circumstances at the patient's request; not to be shared outside the practice.".into(),
        linked: Vec::new(),
        other_type: None,
    }
}

/// Below the lower limit of the reference range, so "outside range" logic has a case.
fn egfr() -> Observation {
    Observation {
        meta: meta(ids::EGFR, day(2026, 10, 29), gp()),
        code: coded(
            1011481000000105,
            "eGFR (estimated glomerular filtration rate) using creatinine Chronic Kidney Disease \
             Epidemiology Collaboration equation per 1.73 square metres",
        ),
        effective: PartialDate::Day(day(2026, 10, 28)),
        category: ObservationCategory::Laboratory,
        value: ObservationValue::Quantity { value: 58.0, unit: "mL/min/{1.73_m2}".into() },
        reference_range: Some(ReferenceRange { low: Some(60.0), high: None, text: None }),
        comment: Some("Stable compared with previous result".into()),
    }
}

fn blood_pressure() -> Observation {
    Observation {
        meta: meta(ids::BLOOD_PRESSURE, day(2023, 2, 10), gp()),
        code: coded(75367002, "Blood pressure"),
        effective: PartialDate::Day(day(2023, 2, 10)),
        category: ObservationCategory::VitalSigns,
        value: ObservationValue::Components(vec![
            ObservationComponent {
                code: coded(72313002, "Systolic arterial pressure"),
                value: 142.0,
                unit: "mm[Hg]".into(),
            },
            ObservationComponent {
                code: coded(1091811000000102, "Diastolic arterial pressure"),
                value: 84.0,
                unit: "mm[Hg]".into(),
            },
        ]),
        reference_range: None,
        comment: None,
    }
}

fn ex_smoker() -> Observation {
    Observation {
        meta: meta(ids::EX_SMOKER, day(1998, 9, 1), nurse()),
        code: coded(8517006, "Ex-smoker"),
        effective: PartialDate::Year(1995),
        category: ObservationCategory::SocialHistory,
        value: ObservationValue::Finding,
        reference_range: None,
        comment: Some("Stopped 1995".into()),
    }
}

fn flu_vaccination() -> Immunisation {
    Immunisation {
        meta: meta(ids::FLU_VACCINATION, day(2026, 10, 6), nurse()),
        vaccination: coded(822851000000102, "Seasonal influenza vaccination"),
        product: Some(coded(
            11278411000001109,
            "Influenza vaccine (split virion, inactivated) suspension for injection 0.5ml pre-filled syringes \
             (Pfizer Ltd)",
        )),
        date: PartialDate::Day(day(2026, 10, 6)),
        status: ImmunisationStatus::Given { batch: Some("FLU26-0415".into()), dose_number: None },
    }
}

fn pneumococcal_declined() -> Immunisation {
    Immunisation {
        meta: meta(ids::PNEUMOCOCCAL_DECLINED, day(2025, 9, 15), nurse()),
        vaccination: coded(12866006, "Pneumococcal vaccination"),
        product: None,
        date: PartialDate::Day(day(2025, 9, 15)),
        status: ImmunisationStatus::NotGiven { reason: "Patient declined".into() },
    }
}

fn diabetes_referral() -> Referral {
    Referral {
        meta: meta(ids::DIABETES_REFERRAL, day(2026, 6, 10), gp()),
        code: coded(809391000000101, "Referral to diabetes clinic"),
        date: day(2026, 6, 10),
        recipient: "Diabetes clinic, Royal Victoria Infirmary".into(),
        priority: ReferralPriority::Routine,
        reason: "Raised HbA1c on two occasions; for assessment and structured education".into(),
    }
}

fn dnacpr() -> Alert {
    Alert {
        meta: meta(ids::DNACPR, day(2025, 11, 3), gp()),
        code: coded(450476008, "Not for attempted cardiopulmonary resuscitation"),
        date: PartialDate::Day(day(2025, 11, 3)),
        text: "DNACPR decision discussed with patient and daughter; original form kept at home.".into(),
        active: true,
    }
}

fn meta(id: EntryId, recorded_on: NaiveDate, recorded_by: ClinicianId) -> EntryMeta {
    EntryMeta { id, recorded_on, recorded_by, confidential: false }
}

/// Every fixture code goes through the validating constructor.
fn code(id: u64) -> SnomedCode {
    SnomedCode::new(id).unwrap_or_else(|e| panic!("fixture code {id} is invalid: {e}"))
}

fn coded(id: u64, display: &str) -> Coded {
    Coded::new(code(id), display)
}

fn product(id: u64, name: &str) -> Product {
    Product { code: code(id), name: name.into() }
}

fn practice_ods() -> OdsCode {
    OdsCode::parse(PRACTICE_ODS).expect("fixture ODS code is valid")
}

fn gp() -> ClinicianId {
    ClinicianId(GP_ID.into())
}

fn nurse() -> ClinicianId {
    ClinicianId(NURSE_ID.into())
}

fn nhs(text: &str) -> NhsNumber {
    NhsNumber::parse(text).expect("fixture NHS number is valid")
}

fn day(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("fixture date is a calendar date")
}

fn at(day: NaiveDate, hour: u32, minute: u32) -> NaiveDateTime {
    day.and_hms_opt(hour, minute, 0).expect("fixture time is valid")
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::record::{AllergySummary, SharingDecision};
    use crate::traits::{PatientTrait, traits_of};

    fn all_records() -> Vec<GpRecord> {
        vec![example_record(), example_record_with_no_known_allergies(), dissenting_record()]
    }

    /// Every entry id in the record, in entry-kind order (issues carry no id).
    fn entry_ids(record: &GpRecord) -> Vec<EntryId> {
        record.entry_ids().collect()
    }

    /// Every SNOMED code anywhere in the record, including the ones `coded_entries` does
    /// not report (substances, reactions, components, vaccine products).
    fn all_codes(record: &GpRecord) -> Vec<SnomedCode> {
        let mut out: Vec<SnomedCode> = record.coded_entries().into_iter().map(|(_, code)| code).collect();
        for allergy in &record.allergies {
            out.extend(allergy.substance.iter().map(|s| s.code));
            out.extend(allergy.reaction.iter().map(|r| r.manifestation.code));
        }
        out.extend(record.no_known_allergies.iter().map(|n| n.code.code));
        for observation in &record.observations {
            if let ObservationValue::Components(components) = &observation.value {
                out.extend(components.iter().map(|c| c.code.code));
            }
        }
        out.extend(record.immunisations.iter().filter_map(|i| i.product.as_ref()).map(|p| p.code));
        out.extend(record.sharing_preferences.iter().map(|p| p.code.code));
        out
    }

    fn all_dates(record: &GpRecord) -> Vec<NaiveDate> {
        let mut out = vec![record.patient.birth_date, record.patient.registration.registered_on];
        for m in &record.medications {
            out.extend([m.meta.recorded_on, m.started.latest()]);
            out.extend(m.authorised_from);
            out.extend(m.review_due);
            out.extend(m.issues.iter().map(|i| i.date));
            match &m.status {
                MedicationStatus::Active => {}
                MedicationStatus::Completed { on } => out.push(on.latest()),
                MedicationStatus::Discontinued { on, .. } => out.push(*on),
            }
        }
        for a in &record.allergies {
            out.extend([a.meta.recorded_on, a.asserted.latest()]);
            out.extend(a.onset.map(PartialDate::latest));
            if let AllergyStatus::Resolved { on, .. } = &a.status {
                out.push(on.latest());
            }
        }
        out.extend(record.no_known_allergies.iter().flat_map(|n| [n.meta.recorded_on, n.asserted]));
        for p in &record.problems {
            out.push(p.meta.recorded_on);
            out.extend(p.onset.iter().chain(&p.ended).map(|d| d.latest()));
        }
        out.extend(record.encounters.iter().flat_map(|e| [e.meta.recorded_on, e.start.date()]));
        out.extend(record.observations.iter().flat_map(|o| [o.meta.recorded_on, o.effective.latest()]));
        out.extend(record.immunisations.iter().flat_map(|i| [i.meta.recorded_on, i.date.latest()]));
        out.extend(record.referrals.iter().flat_map(|r| [r.meta.recorded_on, r.date]));
        out.extend(record.alerts.iter().flat_map(|a| [a.meta.recorded_on, a.date.latest()]));
        out.extend(record.sharing_preferences.iter().flat_map(|p| [p.meta.recorded_on, p.date]));
        out
    }

    #[test]
    fn the_example_record_holds_every_entry_kind() {
        let r = example_record();
        assert!(!r.medications.is_empty(), "medications");
        assert!(!r.allergies.is_empty(), "allergies");
        assert!(!r.problems.is_empty(), "problems");
        assert!(!r.encounters.is_empty(), "encounters");
        assert!(!r.observations.is_empty(), "observations");
        assert!(!r.immunisations.is_empty(), "immunisations");
        assert!(!r.referrals.is_empty(), "referrals");
        assert!(!r.alerts.is_empty(), "alerts");
        assert!(!r.sharing_preferences.is_empty(), "sharing preferences");
        // The coded "no known allergies" cannot sit beside active allergies; its own
        // fixture covers that kind.
        assert!(example_record_with_no_known_allergies().no_known_allergies.is_some());
    }

    #[test]
    fn the_example_record_holds_the_awkward_cases() {
        let r = example_record();
        let kinds: HashSet<PrescriptionType> = r.medications.iter().map(|m| m.prescription_type).collect();
        assert!(kinds.contains(&PrescriptionType::Repeat) && kinds.contains(&PrescriptionType::Acute));
        assert!(r.medications.iter().any(|m| matches!(m.status, MedicationStatus::Completed { .. })));
        assert!(r.medications.iter().any(|m| matches!(m.status, MedicationStatus::Discontinued { .. })));
        assert!(r.medications.iter().any(|m| m.is_prescribed_elsewhere() && m.issues.is_empty()));
        assert!(r.medications.iter().any(|m| matches!(m.started, PartialDate::Year(_))));
        assert!(r.allergies.iter().any(|a| a.is_active()));
        assert!(r.allergies.iter().any(|a| matches!(a.status, AllergyStatus::Resolved { .. })));
        let values = |f: fn(&ObservationValue) -> bool| r.observations.iter().any(|o| f(&o.value));
        assert!(values(|v| matches!(v, ObservationValue::Quantity { .. })));
        assert!(values(|v| matches!(v, ObservationValue::Components(_))));
        assert!(values(|v| matches!(v, ObservationValue::Finding)));
        assert!(r.immunisations.iter().any(|i| matches!(i.status, ImmunisationStatus::Given { .. })));
        assert!(r.immunisations.iter().any(|i| matches!(i.status, ImmunisationStatus::NotGiven { .. })));
        let encounter_kinds: HashSet<EncounterKind> = r.encounters.iter().map(|e| e.kind).collect();
        assert!(encounter_kinds.len() >= 2);
        assert_eq!(r.coded_entries().iter().filter(|(meta, _)| meta.confidential).count(), 1);
        assert_eq!(r.patient.age_on(AS_OF), 84);
        let apixaban = r.medications.iter().find(|m| m.meta.id == ids::APIXABAN).unwrap();
        assert_eq!(apixaban.issues_remaining(), Some(2), "the July issue belongs to the previous authorisation");
    }

    #[test]
    fn entry_ids_are_unique_within_each_record() {
        for record in all_records() {
            let ids = entry_ids(&record);
            let unique: HashSet<EntryId> = ids.iter().copied().collect();
            assert_eq!(unique.len(), ids.len(), "duplicate entry id in {:?}", record.patient);
        }
    }

    #[test]
    fn linked_and_related_ids_point_at_entries_in_the_same_record() {
        for record in all_records() {
            let known: HashSet<EntryId> = entry_ids(&record).into_iter().collect();
            let links = record
                .encounters
                .iter()
                .flat_map(|e| e.linked.iter().map(move |id| (e.meta.id, *id)))
                .chain(record.problems.iter().flat_map(|p| p.related.iter().map(move |id| (p.meta.id, *id))));
            for (from, to) in links {
                assert!(known.contains(&to), "entry {from} links to missing entry {to}");
                assert_ne!(from, to, "entry {from} links to itself");
            }
        }
        assert!(example_record().encounters.iter().any(|e| !e.linked.is_empty()));
    }

    #[test]
    fn every_code_in_the_fixtures_is_a_valid_snomed_concept() {
        for record in all_records() {
            for code in all_codes(&record) {
                assert!(SnomedCode::new(code.value()).is_ok(), "{code:?}");
            }
        }
        assert!(all_codes(&example_record()).len() >= 20);
    }

    #[test]
    fn every_date_lies_before_the_as_of_day() {
        for record in all_records() {
            for date in all_dates(&record) {
                assert!(date < AS_OF, "{date} is not before {AS_OF}");
            }
        }
    }

    #[test]
    fn the_fixtures_have_the_traits_the_storage_tests_rely_on() {
        let example = traits_of(&example_record(), true, AS_OF);
        for t in [PatientTrait::Any, PatientTrait::Anticoagulant, PatientTrait::Allergy, PatientTrait::Confidential] {
            assert!(example.contains(t), "example record lacks {t}");
        }
        assert!(example.contains(PatientTrait::PrescribedElsewhere));
        assert!(!example.contains(PatientTrait::OverdueRepeat), "the apixaban supply lasts past the as-of day");
        assert!(!example.contains(PatientTrait::Dissent));
        assert!(!example.contains(PatientTrait::Nsaid), "naproxen was discontinued");

        let nka = example_record_with_no_known_allergies();
        assert_eq!(nka.allergy_summary(), AllergySummary::NoKnownAllergies);
        let nka_traits = traits_of(&nka, true, AS_OF);
        assert!(nka_traits.contains(PatientTrait::NoKnownAllergies));
        assert!(!nka_traits.contains(PatientTrait::Anticoagulant));

        let dissent = dissenting_record();
        assert_eq!(dissent.sharing_decision(), Some(SharingDecision::Dissent));
        assert!(traits_of(&dissent, true, AS_OF).contains(PatientTrait::Dissent));
        assert_eq!(example_record().sharing_decision(), Some(SharingDecision::Consent));
    }

    #[test]
    fn the_fixture_patients_are_distinct_and_registered_at_the_example_practice() {
        let numbers: HashSet<NhsNumber> = all_records().iter().map(|r| r.patient.nhs_number).collect();
        assert_eq!(numbers.len(), 3);
        let practice = example_practice();
        for record in all_records() {
            assert_eq!(record.patient.registration.practice, practice.ods_code);
        }
        for clinician in example_clinicians() {
            assert_eq!(clinician.practice, practice.ods_code);
        }
        assert!(practice.sharing_enabled);
    }
}
