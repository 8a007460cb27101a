//! Conditions by age-specific prevalence, recorded as problems.

use chrono::{Datelike, Days, NaiveDate};
use openmig_domain::record::{LinkedProblem, Problem, ProblemRelation, ProblemStatus, Significance};
use openmig_domain::{PartialDate, Sex};

use super::{Builder, Diagnosis, coded};
use crate::catalogue::conditions::{CONDITIONS, Condition, ConditionSpec, DIABETIC_NEUROPATHY, band_of};

/// The chance a person of this age band and sex has the condition.
pub fn chance(spec: &ConditionSpec, age: u32, sex: Sex) -> f64 {
    if age < spec.min_age {
        return 0.0;
    }
    let base = spec.prevalence[band_of(age)];
    // Split the band rate between the sexes so the band total stays `base`.
    let f = spec.female_factor;
    match sex {
        Sex::Female => base * 2.0 * f / (1.0 + f),
        _ => base * 2.0 / (1.0 + f),
    }
}

/// Spread of the per-patient morbidity factor (log scale). Long-term conditions cluster
/// in the same people (multimorbidity, with its polypharmacy); a shared log-normal factor
/// with mean one reproduces that without changing each condition's prevalence.
const MORBIDITY_SIGMA: f64 = 0.7;

/// Draws the patient's conditions and records them as problems.
pub fn diagnose(b: &mut Builder) {
    let age = b.age();
    let sex = b.record.patient.sex;
    let morbidity = (b.dice.normal(0.0, MORBIDITY_SIGMA) - MORBIDITY_SIGMA * MORBIDITY_SIGMA / 2.0).exp();
    for spec in CONDITIONS {
        if b.dice.chance((chance(spec, age, sex) * morbidity).min(0.95)) {
            add(b, spec);
        }
    }
    if (b.has(Condition::Type2Diabetes) || b.has(Condition::Type1Diabetes))
        && b.dice.chance(DIABETIC_NEUROPATHY.prevalence[0])
    {
        add(b, &DIABETIC_NEUROPATHY);
        link_complication(b, DIABETIC_NEUROPATHY.condition, &[Condition::Type2Diabetes, Condition::Type1Diabetes]);
    }
}

/// Links a complication's problem to the problem it follows from, as a GP links them:
/// the cause is the parent, the complication its child (both sides record the link).
fn link_complication(b: &mut Builder, complication: Condition, causes: &[Condition]) {
    let problem_of =
        |b: &Builder, condition: Condition| b.diagnoses.iter().find(|d| d.condition == condition).map(|d| d.problem);
    let Some(child) = problem_of(b, complication) else { return };
    let Some(parent) = causes.iter().find_map(|cause| problem_of(b, *cause)) else { return };
    for (from, to, relation) in [(parent, child, ProblemRelation::Parent), (child, parent, ProblemRelation::Child)] {
        if let Some(problem) = b.record.problems.iter_mut().find(|p| p.meta.id == from) {
            problem.linked_problems.push(LinkedProblem { problem: to, relation });
        }
    }
}

fn add(b: &mut Builder, spec: &ConditionSpec) {
    let birth = b.record.patient.birth_date;
    let earliest = birth + Days::new(u64::from(spec.min_age) * 366);
    let age = b.age();
    let max_years = f64::from(age.saturating_sub(spec.min_age).min(30));
    let years_ago = b.dice.uniform(0.0, max_years);
    let onset = (b.end - Days::new((years_ago * 365.25) as u64)).max(earliest).min(b.end);
    // Depression and anxiety come in episodes; some childhood asthma resolves.
    let resolves = match spec.condition {
        Condition::Depression | Condition::Anxiety => 0.4,
        Condition::Asthma if age < 40 => 0.2,
        _ => 0.0,
    };
    let ended = b.dice.chance(resolves).then(|| {
        let from = onset + Days::new(120);
        b.dice.day_between(from.min(b.end), b.end)
    });
    let onset_recorded = partial_onset(b, onset);
    // Old diagnoses were summarised into the record when the patient registered.
    let recorded_on = onset.max(b.record.patient.registration.registered_on).min(b.end);
    let gp = b.gp();
    let meta = b.meta(recorded_on, gp);
    let id = meta.id;
    b.record.problems.push(Problem {
        meta,
        code: coded((spec.code, spec.display)),
        status: if ended.is_some() { ProblemStatus::Inactive } else { ProblemStatus::Active },
        significance: if spec.major { Significance::Major } else { Significance::Minor },
        onset: Some(onset_recorded),
        ended: ended.map(PartialDate::Day),
        notes: None,
        related: Vec::new(),
        linked_problems: Vec::new(),
    });
    b.diagnoses.push(Diagnosis { condition: spec.condition, onset, active: ended.is_none(), ended, problem: id });
    if onset >= b.history_start {
        b.happenings.push((onset, id, format!("New diagnosis: {}.", spec.display)));
    }
}

/// Old paper-era diagnoses often carry only a year or a month.
fn partial_onset(b: &mut Builder, onset: NaiveDate) -> PartialDate {
    let (year_only, month_only) = match onset.year() {
        ..2000 => (0.45, 0.30),
        2000..2010 => (0.10, 0.15),
        _ => (0.0, 0.02),
    };
    let roll = b.dice.uniform(0.0, 1.0);
    if roll < year_only {
        PartialDate::Year(onset.year())
    } else if roll < year_only + month_only {
        PartialDate::YearMonth(onset.year(), onset.month())
    } else {
        PartialDate::Day(onset)
    }
}
