//! Repeat medicines with years of issues, and acute courses.
//!
//! Issue behaviour per repeat (documented in `docs/population.md`): most are collected
//! regularly; some late, some with gaps, some stop being collected while still
//! authorised, a few are ordered early. "When required" medicines are issued on demand.

use chrono::{Days, NaiveDate};
use openmig_domain::record::{
    Issue, Medication, MedicationStatus, PrescribingSetting, PrescriptionSource, PrescriptionType, Product, Quantity,
};
use openmig_domain::{ClinicianId, OdsCode, PartialDate, SnomedCode};

use super::{Builder, current_authorisation_start, plus_days};
use crate::catalogue::conditions::{Condition, spec};
use crate::catalogue::formulary::{ACUTE_COURSES, AcuteCourse, Regimen, Supply};

/// How a patient collects a repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    /// On time, give or take a few days.
    Regular,
    /// Often one to three weeks late.
    Late,
    /// Mostly regular with occasional gaps of one to four months.
    Gaps,
    /// Stopped collecting some months ago though still authorised.
    Stopped,
    /// Ordered before the last supply could have run out.
    Early,
}

/// Shares of the collection behaviours.
pub const COLLECTION_MIX: [(u32, Collection); 5] = [
    (62, Collection::Regular),
    (16, Collection::Late),
    (10, Collection::Gaps),
    (7, Collection::Stopped),
    (5, Collection::Early),
];

/// Reasons GP systems record when a medicine is stopped (free text, as GP Connect carries it).
const STOP_REASONS: &[&str] =
    &["Side effects - nausea", "No longer required", "Patient request", "Clinical contra-indication", "Ineffective"];

/// Hospital clinics that prescribe specialist medicines recorded by the practices
/// (real NHS trusts of the region, by their public ODS codes).
const SPECIALIST_CLINICS: &[(&str, &str)] = &[
    ("Freeman Hospital rheumatology clinic, Newcastle upon Tyne Hospitals", "RTD"),
    ("Sunderland Royal Hospital diabetes clinic", "R0B"),
    ("James Cook University Hospital, South Tees Hospitals", "RTR"),
    ("University Hospital of North Durham", "RXP"),
];

/// Creates the courses for every therapy the patient's conditions bring.
pub fn repeats(b: &mut Builder) {
    let diagnoses = b.diagnoses.clone();
    let mut taken: Vec<u64> = Vec::new();
    for diagnosis in diagnoses {
        for therapy in spec(diagnosis.condition).therapies {
            if !b.dice.chance(therapy.probability) {
                continue;
            }
            let regimen = *b.dice.weighted(therapy.options);
            // One course per product: a second condition needing the same drug shares it.
            if taken.contains(&regimen.code) {
                continue;
            }
            taken.push(regimen.code);
            let delay = b.dice.int(0, 60);
            let start =
                plus_days(diagnosis.onset, delay).max(b.active_history_start() + Days::new(b.dice.int(0, 200) as u64));
            if start >= b.end {
                continue;
            }
            let stop = diagnosis.ended.filter(|e| *e > start);
            let elsewhere = elsewhere_prescriber(b, diagnosis.condition, &regimen);
            course(b, &regimen, start, stop, elsewhere, therapy.options, diagnosis.problem);
        }
    }
}

fn elsewhere_prescriber(b: &mut Builder, condition: Condition, regimen: &Regimen) -> Option<PrescriptionSource> {
    let share = match (condition, regimen.code) {
        (Condition::RheumatoidArthritis, _) => 0.6,
        (Condition::Type1Diabetes, _) => 0.15,
        _ => 0.0,
    };
    b.dice.chance(share).then(|| {
        let (name, ods) = *b.dice.pick(SPECIALIST_CLINICS);
        PrescriptionSource::Elsewhere {
            organisation: name.to_string(),
            ods_code: OdsCode::parse(ods).ok(),
            setting: PrescribingSetting::SpecialistClinic,
        }
    })
}

/// One course of a repeat medicine from `start`, stopped at `stop` (or randomly
/// discontinued, sometimes switched to an alternative), with its issues.
fn course(
    b: &mut Builder,
    regimen: &Regimen,
    start: NaiveDate,
    stop: Option<NaiveDate>,
    elsewhere: Option<PrescriptionSource>,
    alternatives: &'static [(u32, Regimen)],
    problem: openmig_domain::EntryId,
) {
    let prescriber = b.gp();
    // About one course in eight is stopped early by a clinician.
    let discontinued = stop.or_else(|| {
        let earliest = start + Days::new(60);
        (earliest < b.end && b.dice.chance(0.12)).then(|| b.dice.day_between(earliest, b.end))
    });
    let reason = if stop.is_some() { "Condition resolved".to_string() } else { b.dice.pick(STOP_REASONS).to_string() };
    let switch_to =
        discontinued.filter(|_| stop.is_none() && alternatives.len() > 1 && b.dice.chance(0.5)).and_then(|day| {
            let other = *b.dice.weighted(alternatives);
            (other.code != regimen.code || other.dose != regimen.dose).then_some((day, other))
        });
    let reason = match switch_to {
        Some((_, other)) if other.code == regimen.code => "Dose changed".to_string(),
        Some(_) => "Switched to alternative".to_string(),
        None => reason,
    };
    let cycle: u16 = match regimen.supply {
        Supply::Daily { .. } => {
            if b.dice.chance(0.3) {
                56
            } else {
                28
            }
        }
        Supply::Pack { days, .. } => days,
    };
    let (quantity, days_supply) = match regimen.supply {
        Supply::Daily { per_day } => ((per_day * f64::from(cycle)).round(), cycle),
        Supply::Pack { quantity, days } => (quantity, days),
    };
    let last_day = discontinued.unwrap_or(b.end).min(b.end);
    let issues = if elsewhere.is_some() {
        Vec::new()
    } else {
        issue_history(b, regimen, start, last_day, quantity, days_supply, &prescriber)
    };
    let authorised_issues = if cycle >= 56 { 6 } else { 12 };
    let authorisation_days = i64::from(authorised_issues) * i64::from(cycle);
    let authorised_from = current_authorisation_start(start, last_day, authorisation_days);
    let repeat_dispensing = elsewhere.is_none() && !regimen.as_required && b.dice.chance(0.08);
    let meta = b.meta(start, prescriber.clone());
    let id = meta.id;
    let is_elsewhere = elsewhere.is_some();
    b.record.medications.push(Medication {
        meta,
        product: product(regimen),
        dose: regimen.dose.to_string(),
        patient_instructions: regimen.instructions.map(str::to_string),
        quantity: Quantity::measured(quantity, regimen.unit.to_string()),
        prescription_type: if repeat_dispensing {
            PrescriptionType::RepeatDispensing
        } else {
            PrescriptionType::Repeat
        },
        started: PartialDate::Day(start),
        status: match discontinued {
            Some(on) if on <= b.end => MedicationStatus::Discontinued { on, reason },
            _ => MedicationStatus::Active,
        },
        authorised_issues: (!is_elsewhere).then_some(authorised_issues),
        authorised_from: (!is_elsewhere).then_some(authorised_from),
        review_due: (!is_elsewhere).then(|| authorised_from + Days::new(365)),
        source: elsewhere.unwrap_or(PrescriptionSource::Practice { authoriser: prescriber }),
        issues,
    });
    if let Some(p) = b.record.problems.iter_mut().find(|p| p.meta.id == problem) {
        p.related.push(id);
    }
    b.happenings.push((start, id, format!("Started {} - {}.", regimen.name, regimen.dose.to_lowercase())));
    if let Some((day, other)) = switch_to
        && day < b.end
    {
        course(b, &other, day, None, None, &[], problem);
    }
}

/// Issues from `start` to `last_day` following one collection behaviour.
fn issue_history(
    b: &mut Builder,
    regimen: &Regimen,
    start: NaiveDate,
    last_day: NaiveDate,
    quantity: f64,
    days_supply: u16,
    prescriber: &ClinicianId,
) -> Vec<Issue> {
    let behaviour = if regimen.as_required { None } else { Some(*b.dice.weighted(&COLLECTION_MIX)) };
    let stop_collecting = match behaviour {
        Some(Collection::Stopped) => Some(plus_days(last_day, -b.dice.int(90, 400))),
        _ => None,
    };
    let cycle = i64::from(days_supply);
    let mut issues = Vec::new();
    let mut day = start;
    while day <= last_day && stop_collecting.is_none_or(|s| day <= s) {
        issues.push(Issue { date: day, quantity, days_supply, issued_by: prescriber.clone() });
        let step = match behaviour {
            None => (cycle as f64 * b.dice.uniform(0.8, 3.0)) as i64,
            Some(Collection::Regular) | Some(Collection::Stopped) => cycle + b.dice.int(-4, 3),
            Some(Collection::Late) => cycle + b.dice.int(0, 21),
            Some(Collection::Gaps) => cycle + if b.dice.chance(0.1) { b.dice.int(30, 120) } else { b.dice.int(-3, 5) },
            Some(Collection::Early) => cycle - b.dice.int(3, 9),
        };
        day = plus_days(day, step.max(7));
    }
    issues
}

/// Acute courses over the history, avoiding penicillins for penicillin-allergic patients.
pub fn acute_courses(b: &mut Builder) {
    let age = b.age();
    let per_year = match age {
        0..=15 => 0.45,
        16..=64 => 0.35,
        65..=79 => 0.6,
        _ => 0.8,
    };
    let from = b.active_history_start();
    let years = (b.end - from).num_days() as f64 / 365.25;
    let count = b.dice.poisson(per_year * years);
    let allergic = b.record.allergies.iter().any(|a| a.is_active() && other_is_penicillin(a.code.code));
    for _ in 0..count {
        let mut chosen: AcuteCourse = *b.dice.weighted(ACUTE_COURSES);
        while chosen.penicillin && allergic {
            chosen = *b.dice.weighted(ACUTE_COURSES);
        }
        let day = b.day_from(from);
        let gp = b.gp();
        let meta = b.meta(day, gp.clone());
        let id = meta.id;
        b.record.medications.push(Medication {
            meta,
            product: product(&chosen.regimen),
            dose: chosen.regimen.dose.to_string(),
            patient_instructions: chosen.regimen.instructions.map(str::to_string),
            quantity: Quantity::measured(chosen.quantity, chosen.regimen.unit.to_string()),
            prescription_type: PrescriptionType::Acute,
            started: PartialDate::Day(day),
            status: MedicationStatus::Completed { on: PartialDate::Day(day + Days::new(u64::from(chosen.days))) },
            authorised_issues: None,
            authorised_from: None,
            review_due: None,
            source: PrescriptionSource::Practice { authoriser: gp.clone() },
            issues: vec![Issue { date: day, quantity: chosen.quantity, days_supply: chosen.days, issued_by: gp }],
        });
        b.happenings.push((day, id, format!("{}. {} prescribed.", chosen.indication, chosen.regimen.name)));
    }
}

fn other_is_penicillin(code: SnomedCode) -> bool {
    crate::catalogue::clinical::ALLERGIES.iter().any(|a| a.penicillin && a.code.0 == code.value())
}

fn product(regimen: &Regimen) -> Product {
    Product { code: SnomedCode::known(regimen.code), name: regimen.name.to_string() }
}
