//! Consultations: one encounter for each day something was recorded (linking the entries
//! made in it), plus ad-hoc consultations over the last two years.

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate, NaiveTime};
use openmig_domain::record::{Encounter, EncounterKind};
use openmig_domain::{ClinicianRole, EntryId};

use super::{Builder, CONSULTATION_YEARS};

/// Everyday reasons to consult, with what the clinician wrote.
const AD_HOC: &[(&str, &str)] = &[
    ("Cough and cold symptoms for 5 days.", "Chest clear, afebrile. Self-care advice and safety-netting given."),
    ("Low back pain after lifting, 1 week.", "No red flag symptoms. Advised to keep active, simple analgesia."),
    ("Rash on forearm, itchy.", "Likely contact dermatitis. Emollient advised, review if spreading."),
    ("Fit note requested.", "Fit note issued for 2 weeks."),
    ("Medication query about side effects.", "Reassured; no change to medication."),
    ("Follow-up of recent blood results.", "Results discussed, no action needed."),
    ("Feeling low and stressed at work.", "Discussed coping strategies; self-referral to talking therapies."),
    ("Sore throat 3 days.", "FeverPAIN score 1. No antibiotics needed, advice given."),
    ("Knee pain on stairs.", "Crepitus, no effusion. Physiotherapy self-referral information given."),
    ("Headaches for two weeks.", "Neurological examination normal. Headache diary, review in 4 weeks."),
    ("Dizziness on standing.", "Lying and standing blood pressure checked. Advised to rise slowly."),
    ("Request for repeat medication review.", "Medication reviewed with patient, no changes."),
];

/// Builds the encounters.
pub fn consultations(b: &mut Builder) {
    let mut by_day: BTreeMap<NaiveDate, Vec<(EntryId, String)>> = BTreeMap::new();
    for (day, id, what) in std::mem::take(&mut b.happenings) {
        by_day.entry(day).or_default().push((id, what));
    }
    for (day, items) in by_day {
        let mut notes: Vec<String> = Vec::new();
        for (_, what) in &items {
            if !notes.contains(what) {
                notes.push(what.clone());
            }
        }
        let linked = items.into_iter().map(|(id, _)| id).collect();
        encounter(b, day, notes.join(" "), linked);
    }
    let recent = b.end.checked_sub_months(Months::new(12 * CONSULTATION_YEARS)).expect("dates are bounded");
    let from = recent.max(b.record.patient.registration.registered_on);
    let per_year = match b.age() {
        0..=17 => 1.2,
        18..=39 => 1.5,
        40..=59 => 2.0,
        60..=79 => 2.5,
        _ => 3.5,
    };
    let years = (b.end - from).num_days().max(0) as f64 / 365.25;
    let count = b.dice.poisson(per_year * years);
    for _ in 0..count {
        let day = b.day_from(from);
        let (complaint, plan) = *b.dice.pick(AD_HOC);
        encounter(b, day, format!("{complaint} {plan}"), Vec::new());
    }
    b.record.encounters.sort_by_key(|e| (e.start, e.meta.id));
}

fn encounter(b: &mut Builder, day: NaiveDate, notes: String, linked: Vec<EntryId>) {
    let age = b.age_on(day);
    let out_of_hours = b.dice.chance(0.03);
    let kind = if out_of_hours {
        EncounterKind::OutOfHours
    } else {
        let home = if age >= 85 {
            20
        } else if age >= 75 {
            6
        } else {
            1
        };
        *b.dice.weighted(&[
            (55, EncounterKind::Surgery),
            (32, EncounterKind::Telephone),
            (3, EncounterKind::Video),
            (home, EncounterKind::HomeVisit),
        ])
    };
    let hour = if out_of_hours { *b.dice.pick(&[18, 19, 20, 21, 22, 7]) } else { b.dice.int(8, 17) as u32 };
    let minute = *b.dice.pick(&[0, 10, 20, 30, 40, 50]);
    let start = day.and_time(NaiveTime::from_hms_opt(hour, minute, 0).expect("valid time"));
    let clinician = if b.dice.chance(0.2) { b.staff(ClinicianRole::PracticeNurse) } else { b.gp() };
    let duration = match kind {
        EncounterKind::Telephone => 8,
        EncounterKind::HomeVisit => 30,
        _ => *b.dice.pick(&[10, 10, 15]),
    };
    let meta = b.meta(day, clinician.clone());
    b.record.encounters.push(Encounter {
        meta,
        start,
        duration_minutes: duration,
        kind,
        clinician,
        notes,
        linked,
        other_type: None,
    });
}
