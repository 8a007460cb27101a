//! The brief's stories, planted as the first patients of the first practice (which always
//! shares), so every region can demonstrate them and later features can be tested against
//! known answers. Names, addresses and NHS numbers still come from the patient's stream;
//! the clinical content is written out here.

use chrono::{Days, Months, NaiveDate};
use openmig_domain::record::{
    Allergy, AllergyCategory, AllergyStatus, Criticality, Encounter, EncounterKind, Issue, Medication,
    MedicationStatus, NoKnownAllergies, PrescriptionSource, PrescriptionType, Problem, ProblemStatus, Product,
    Quantity, Reaction, Severity, SharingPreference, Significance,
};
use openmig_domain::{EntryId, PartialDate, RegistrationStatus, Sex, SnomedCode};

use super::{Builder, coded, current_authorisation_start, observations, plus_days};
use crate::catalogue::clinical::{NO_KNOWN_ALLERGY, consent, obs};
use crate::catalogue::formulary::*;

/// A planted story patient.
#[derive(Debug, Clone, Copy)]
pub struct Story {
    /// Patient index in the region (and so position in the first practice).
    pub index: u64,
    /// Short name.
    pub key: &'static str,
    /// What it demonstrates.
    pub summary: &'static str,
}

/// The stories, by patient index.
pub const STORIES: &[Story] = &[
    Story {
        index: 0,
        key: "epilepsy-bank-holiday",
        summary: "Epilim Chrono 500, one tablet twice a day, last issued 19 days ago (56 tablets)",
    },
    Story {
        index: 1,
        key: "overnight-admission",
        summary: "84, apixaban, gliclazide, ramipril, furosemide; penicillin allergy; eGFR falling",
    },
    Story {
        index: 2,
        key: "prescribed-as-asked",
        summary: "clinic asked 6 weeks ago for atorvastatin 80mg and to stop naproxen: started 40mg, naproxen still issued",
    },
    Story {
        index: 3,
        key: "sertraline-adherence",
        summary: "sertraline last issued 95 days ago; about 40% of days covered over 6 months",
    },
    Story { index: 4, key: "dissent", summary: "patient has dissented from record sharing" },
];

/// Writes story `index` over the randomly generated demographics in `b`.
pub fn plant(b: &mut Builder, index: u64) {
    match index {
        0 => epilepsy(b),
        1 => overnight_admission(b),
        2 => prescribed_as_asked(b),
        3 => sertraline(b),
        _ => dissent(b),
    }
}

fn make_adult(b: &mut Builder, age: u32, sex: Sex, given: &str) {
    let birth = b.as_of.checked_sub_months(Months::new(age * 12 + 5)).expect("bounded date");
    let p = &mut b.record.patient;
    p.birth_date = birth;
    p.sex = sex;
    p.name.given = vec![given.to_string()];
    p.name.prefix = if sex == Sex::Male { "Mr".into() } else { "Mrs".into() };
    p.deceased = None;
    p.restricted = false;
    p.registration.status = RegistrationStatus::Registered;
    p.registration.registered_on = birth.max(b.as_of - Days::new(365 * 20));
    b.end = b.as_of;
}

fn problem(b: &mut Builder, code: (u64, &'static str), onset: PartialDate, major: bool) -> EntryId {
    let gp = b.gp();
    let recorded = onset.latest().max(b.record.patient.registration.registered_on).min(b.end);
    let meta = b.meta(recorded, gp);
    let id = meta.id;
    b.record.problems.push(Problem {
        meta,
        code: coded(code),
        status: ProblemStatus::Active,
        significance: if major { Significance::Major } else { Significance::Minor },
        onset: Some(onset),
        ended: None,
        notes: None,
        related: Vec::new(),
        linked_problems: Vec::new(),
    });
    id
}

/// A practice-issued repeat with issues on the given days (as days before `as_of`).
fn repeat(
    b: &mut Builder,
    regimen: &Regimen,
    started_days_ago: i64,
    issued_days_ago: &[i64],
    days_supply: u16,
    status: MedicationStatus,
) -> EntryId {
    let gp = b.gp();
    let start = plus_days(b.as_of, -started_days_ago);
    let quantity = match regimen.supply {
        Supply::Daily { per_day } => (per_day * f64::from(days_supply)).round(),
        Supply::Pack { quantity, .. } => quantity,
    };
    // Re-authorised every twelve issues, as a practice reviews a stable repeat yearly.
    let authorisation_days = 12 * i64::from(days_supply);
    let authorised_from = current_authorisation_start(start, b.as_of, authorisation_days);
    let meta = b.meta(start, gp.clone());
    let id = meta.id;
    let issues = issued_days_ago
        .iter()
        .map(|d| Issue { date: plus_days(b.as_of, -d), quantity, days_supply, issued_by: gp.clone() })
        .collect();
    b.record.medications.push(Medication {
        meta,
        product: Product { code: SnomedCode::known(regimen.code), name: regimen.name.into() },
        dose: regimen.dose.into(),
        patient_instructions: regimen.instructions.map(str::to_string),
        quantity: Quantity::measured(quantity, regimen.unit),
        prescription_type: PrescriptionType::Repeat,
        started: PartialDate::Day(start),
        status,
        authorised_issues: Some(12),
        authorised_from: Some(authorised_from),
        review_due: Some(authorised_from + Days::new(365)),
        source: PrescriptionSource::Practice { authoriser: gp },
        issues,
    });
    id
}

/// Issue days every `cycle` days from `first` days ago up to `last` days ago.
fn every(cycle: i64, first: i64, last: i64) -> Vec<i64> {
    let mut days = Vec::new();
    let mut d = first;
    while d >= last {
        days.push(d);
        d -= cycle;
    }
    days
}

fn consultation(b: &mut Builder, days_ago: i64, kind: EncounterKind, notes: &str, linked: Vec<EntryId>) {
    let gp = b.gp();
    let day = plus_days(b.as_of, -days_ago);
    let meta = b.meta(day, gp.clone());
    let start = day.and_hms_opt(10, 20, 0).expect("valid time");
    b.record.encounters.push(Encounter {
        meta,
        start,
        duration_minutes: 10,
        kind,
        clinician: gp,
        notes: notes.into(),
        linked,
        other_type: None,
    });
}

fn no_known_allergies(b: &mut Builder, days_ago: i64) {
    let day = plus_days(b.as_of, -days_ago);
    let gp = b.gp();
    let meta = b.meta(day, gp);
    b.record.no_known_allergies = Some(NoKnownAllergies { meta, code: coded(NO_KNOWN_ALLERGY), asserted: day });
}

fn epilepsy(b: &mut Builder) {
    make_adult(b, 34, Sex::Male, "Daniel");
    let onset = plus_days(b.as_of, -365 * 15);
    let p = problem(b, (84757009, "Epilepsy"), PartialDate::YearMonth(onset_year(onset), 3), true);
    let issues = every(28, 28 * 40 + 19, 19);
    let med = repeat(b, &EPILIM_CHRONO_500, 28 * 40 + 19, &issues, 28, MedicationStatus::Active);
    link(b, p, med);
    no_known_allergies(b, 2_000);
    consultation(
        b,
        200,
        EncounterKind::Telephone,
        "Epilepsy review. Seizure free for 2 years on Epilim Chrono 500 one tablet twice a day. Continue. Driving advice reiterated.",
        vec![p, med],
    );
}

fn overnight_admission(b: &mut Builder) {
    make_adult(b, 84, Sex::Female, "Margaret");
    let af = problem(b, (49436004, "Atrial fibrillation"), PartialDate::Year(2017), true);
    let dm = problem(b, (44054006, "Diabetes mellitus type 2"), PartialDate::YearMonth(2009, 6), true);
    let htn = problem(b, (38341003, "Hypertensive disorder, systemic arterial"), PartialDate::Year(1998), true);
    let hf = problem(b, (84114007, "Heart failure"), PartialDate::Day(plus_days(b.as_of, -900)), true);
    let ckd =
        problem(b, (433144002, "Chronic kidney disease stage 3"), PartialDate::Day(plus_days(b.as_of, -400)), true);
    let meds = [(&APIXABAN_5, af), (&GLICLAZIDE_80, dm), (&RAMIPRIL_5, htn), (&FUROSEMIDE_40, hf)];
    for (regimen, problem_id) in meds {
        let m = repeat(b, regimen, 28 * 30 + 9, &every(28, 28 * 30 + 9, 9), 28, MedicationStatus::Active);
        link(b, problem_id, m);
    }
    // Penicillin allergy, anaphylaxis in 1971: the first thing the FY1 must see.
    let gp = b.gp();
    let registered = b.record.patient.registration.registered_on;
    let meta = b.meta(registered, gp);
    b.record.allergies.push(Allergy {
        meta,
        code: coded((91936005, "Allergy to penicillin")),
        substance: Some(coded((764146007, "Penicillin"))),
        category: AllergyCategory::Medication,
        reaction: Some(Reaction { manifestation: coded((39579001, "Anaphylaxis")), severity: Some(Severity::Severe) }),
        onset: Some(PartialDate::Year(1971)),
        asserted: PartialDate::Day(registered),
        status: AllergyStatus::Active,
        // Anaphylaxis: the next exposure may be life-threatening.
        criticality: Some(Criticality::High),
        notes: None,
    });
    // Renal function falling over two years.
    let nurse = b.gp();
    let mut results = Vec::new();
    for (days_ago, egfr) in [(730, 58.0), (540, 53.0), (365, 47.0), (180, 41.0), (30, 35.0)] {
        let day = plus_days(b.as_of, -days_ago);
        results.push(observations::lab(b, day, &nurse, obs::EGFR, egfr, "mL/min/{1.73_m2}", Some(60.0), None));
    }
    consultation(
        b,
        30,
        EncounterKind::HomeVisit,
        "Home visit: more breathless, ankles swollen. eGFR now 35, falling. Apixaban dose reviewed. Furosemide continued. Family aware.",
        vec![ckd, hf],
    );
}

fn prescribed_as_asked(b: &mut Builder) {
    make_adult(b, 63, Sex::Male, "Kenneth");
    let ihd = problem(b, (414545008, "Ischemic heart disease"), PartialDate::Day(plus_days(b.as_of, -70)), true);
    let oa = problem(b, (396275006, "Osteoarthritis"), PartialDate::Year(2015), false);
    // The clinic letter (42 days ago) asked for atorvastatin 80mg and to stop naproxen.
    let statin = repeat(b, &ATORVASTATIN_40, 30, &[30, 2], 28, MedicationStatus::Active);
    let nsaid = repeat(b, &NAPROXEN_500, 598, &every(28, 598, 10), 28, MedicationStatus::Active);
    link(b, ihd, statin);
    link(b, oa, nsaid);
    no_known_allergies(b, 1_500);
    consultation(
        b,
        42,
        EncounterKind::Surgery,
        "Letter from cardiology clinic: stable angina. Recommend atorvastatin 80mg at night and stop naproxen. Filed for GP action.",
        vec![ihd],
    );
    consultation(
        b,
        30,
        EncounterKind::Telephone,
        "Started atorvastatin 40mg at night (check LFTs in 3 months).",
        vec![statin],
    );
}

fn sertraline(b: &mut Builder) {
    make_adult(b, 41, Sex::Female, "Joanne");
    let dep = problem(b, (35489007, "Depressive disorder"), PartialDate::Day(plus_days(b.as_of, -700)), false);
    // Regular until about 7 months ago, then only twice: about 40% of the last 180 days
    // covered, last 28-day supply 95 days ago.
    let mut issues = every(28, 600, 224);
    issues.extend([196, 135, 95]);
    let med = repeat(b, &SERTRALINE_50, 600, &issues, 28, MedicationStatus::Active);
    link(b, dep, med);
    no_known_allergies(b, 700);
    consultation(
        b,
        95,
        EncounterKind::Telephone,
        "Mood review. Says she takes sertraline every day. Feels a little better. Continue.",
        vec![dep, med],
    );
}

fn dissent(b: &mut Builder) {
    make_adult(b, 52, Sex::Female, "Susan");
    let htn = problem(b, (38341003, "Hypertensive disorder, systemic arterial"), PartialDate::Year(2012), true);
    let med = repeat(b, &AMLODIPINE_5, 700, &every(28, 700, 6), 28, MedicationStatus::Active);
    link(b, htn, med);
    let day = plus_days(b.as_of, -400);
    let by = b.gp();
    let meta = b.meta(day, by);
    b.record.sharing_preferences.push(SharingPreference { meta, code: coded(consent::DISSENT), date: day });
}

fn link(b: &mut Builder, problem: EntryId, entry: EntryId) {
    if let Some(p) = b.record.problems.iter_mut().find(|p| p.meta.id == problem) {
        p.related.push(entry);
    }
}

fn onset_year(day: NaiveDate) -> i32 {
    chrono::Datelike::year(&day)
}

/// True when `record` is a planted story (used by statistics that should see only the
/// random population).
pub fn is_story(index: u64) -> bool {
    index < STORIES.len() as u64
}
