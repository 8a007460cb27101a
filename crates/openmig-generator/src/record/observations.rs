//! Reviews and the measurements taken at them: blood pressure, HbA1c, renal function,
//! cholesterol, thyroid function, weight and BMI, smoking and alcohol.
//!
//! People with long-term conditions are reviewed once or twice a year; others have an
//! occasional health check. Values are drawn around plausible means with per-patient
//! baselines and trends (renal function declines with CKD and in frail old age).

use chrono::{Datelike, Days, NaiveDate};
use openmig_domain::record::{
    Observation, ObservationCategory, ObservationComponent, ObservationValue, ReferenceRange,
};
use openmig_domain::{ClinicianId, ClinicianRole, EntryId, PartialDate};

use super::{Builder, coded};
use crate::catalogue::clinical::{Code, obs};
use crate::catalogue::conditions::Condition;
use crate::catalogue::formulary::{RAMIPRIL_2_5, RAMIPRIL_5, RAMIPRIL_10};

/// Conditions that bring a regular review.
const REVIEWED: &[Condition] = &[
    Condition::Hypertension,
    Condition::Type2Diabetes,
    Condition::Type1Diabetes,
    Condition::ChronicKidneyDisease,
    Condition::HeartFailure,
    Condition::AtrialFibrillation,
    Condition::IschaemicHeartDisease,
    Condition::Stroke,
    Condition::Hypothyroidism,
    Condition::Copd,
    Condition::Asthma,
    Condition::Epilepsy,
];

/// Per-patient baselines, drawn once so results trend instead of jumping.
struct Baseline {
    systolic: f64,
    diastolic: f64,
    hba1c: f64,
    egfr: f64,
    egfr_decline_per_year: f64,
    cholesterol: f64,
    height_m: f64,
    bmi: f64,
}

/// Schedules reviews over the history and records what is measured at each.
pub fn reviews(b: &mut Builder) {
    let age = b.age();
    if age < 16 {
        return;
    }
    let from = b.active_history_start();
    let years = (b.end - from).num_days() as f64 / 365.25;
    let chronic = REVIEWED.iter().any(|c| b.has_active(*c));
    let twice =
        [Condition::Type2Diabetes, Condition::Type1Diabetes, Condition::ChronicKidneyDisease, Condition::HeartFailure]
            .iter()
            .any(|c| b.has_active(*c));
    let per_year = if twice {
        2.0
    } else if chronic {
        1.0
    } else if age >= 40 {
        0.2
    } else {
        0.1
    };
    let count = b.dice.poisson(per_year * years);
    let baseline = baseline(b);
    let mut days: Vec<NaiveDate> = (0..count).map(|_| b.day_from(from)).collect();
    days.sort();
    days.dedup();
    for day in days {
        review(b, &baseline, day);
    }
    smoking_status(b);
}

fn baseline(b: &mut Builder) -> Baseline {
    let age = f64::from(b.age());
    let hypertensive = b.has(Condition::Hypertension);
    let diabetic = b.has(Condition::Type2Diabetes) || b.has(Condition::Type1Diabetes);
    let ckd = b.has(Condition::ChronicKidneyDisease);
    let female = b.is_female();
    let egfr = if ckd {
        b.dice.uniform(32.0, 58.0)
    } else {
        (118.0 - 0.75 * age + b.dice.normal(0.0, 9.0)).clamp(45.0, 120.0)
    };
    // One in five of the very old have a falling renal trend, as the overnight-admission
    // story needs ("eGFR falling").
    let decline = if ckd {
        b.dice.uniform(1.0, 4.0)
    } else if age >= 80.0 && b.dice.chance(0.2) {
        b.dice.uniform(4.0, 8.0)
    } else {
        b.dice.uniform(0.0, 1.2)
    };
    let obese = b.has(Condition::Obesity);
    Baseline {
        systolic: 118.0
            + 0.35 * (age - 30.0).max(0.0)
            + if hypertensive { 10.0 } else { 0.0 }
            + b.dice.normal(0.0, 8.0),
        diastolic: 74.0 + if hypertensive { 5.0 } else { 0.0 } + b.dice.normal(0.0, 6.0),
        hba1c: if diabetic {
            b.dice.normal(60.0, 11.0).clamp(42.0, 110.0)
        } else {
            b.dice.normal(37.0, 3.0).clamp(25.0, 41.0)
        },
        egfr,
        egfr_decline_per_year: decline,
        cholesterol: b.dice.normal(if diabetic || hypertensive { 4.7 } else { 5.3 }, 0.9).clamp(2.5, 9.5),
        height_m: if female { b.dice.normal(1.63, 0.065) } else { b.dice.normal(1.76, 0.07) },
        bmi: if obese { b.dice.uniform(30.0, 43.0) } else { b.dice.normal(25.5, 3.2).clamp(17.0, 29.9) },
    }
}

fn review(b: &mut Builder, base: &Baseline, day: NaiveDate) {
    let years_from_end = (b.end - day).num_days() as f64 / 365.25;
    let by = if b.dice.chance(0.5) { b.staff(ClinicianRole::PracticeNurse) } else { b.gp() };
    let mut made = Vec::new();
    let systolic = (base.systolic + b.dice.normal(0.0, 9.0)).round().clamp(85.0, 220.0);
    let diastolic = (base.diastolic + b.dice.normal(0.0, 6.0)).round().clamp(45.0, 130.0).min(systolic - 20.0);
    let meta = b.meta(day, by.clone());
    let bp = meta.id;
    made.push(bp);
    b.record.observations.push(Observation {
        meta,
        code: coded(obs::BP_PANEL),
        effective: PartialDate::Day(day),
        category: ObservationCategory::VitalSigns,
        value: ObservationValue::Components(vec![
            ObservationComponent { code: coded(obs::SYSTOLIC), value: systolic, unit: "mm[Hg]".into() },
            ObservationComponent { code: coded(obs::DIASTOLIC), value: diastolic, unit: "mm[Hg]".into() },
        ]),
        reference_range: None,
        comment: None,
    });
    // The reading belongs to the hypertension it monitors.
    b.link_to_problem(&[Condition::Hypertension], bp);
    let diabetic = b.has(Condition::Type2Diabetes) || b.has(Condition::Type1Diabetes);
    if diabetic || b.dice.chance(0.15) {
        let v = (base.hba1c + b.dice.normal(0.0, 4.0)).round().clamp(20.0, 130.0);
        made.push(lab(b, day, &by, obs::HBA1C, v, "mmol/mol", Some(20.0), Some(41.0)));
    }
    let renal = b.has(Condition::ChronicKidneyDisease)
        || diabetic
        || b.has(Condition::Hypertension)
        || b.has(Condition::HeartFailure)
        || b.age_on(day) >= 70
        || on_ace_inhibitor(b);
    if renal {
        let egfr = (base.egfr + base.egfr_decline_per_year * years_from_end + b.dice.normal(0.0, 3.0))
            .clamp(6.0, 90.0)
            .round();
        made.push(lab(b, day, &by, obs::EGFR, egfr, "mL/min/{1.73_m2}", Some(60.0), None));
        let scale = if b.is_female() { 62.0 } else { 80.0 };
        let creatinine = (scale * (90.0 / egfr).powf(0.87)).round();
        made.push(lab(b, day, &by, obs::CREATININE, creatinine, "umol/L", Some(59.0), Some(104.0)));
        let k = (b.dice.normal(4.4, 0.35) + if egfr < 30.0 { 0.5 } else { 0.0 }).clamp(3.0, 6.5);
        made.push(lab(b, day, &by, obs::POTASSIUM, (k * 10.0).round() / 10.0, "mmol/L", Some(3.5), Some(5.3)));
    }
    if b.dice.chance(0.5) {
        let v = ((base.cholesterol + b.dice.normal(0.0, 0.3)) * 10.0).round() / 10.0;
        made.push(lab(b, day, &by, obs::CHOLESTEROL, v.max(1.5), "mmol/L", None, Some(5.0)));
    }
    if b.has(Condition::Hypothyroidism) {
        let v = (b.dice.normal(2.2, 1.4).clamp(0.05, 15.0) * 100.0).round() / 100.0;
        made.push(lab(b, day, &by, obs::TSH, v, "mU/L", Some(0.27), Some(4.2)));
    }
    if b.dice.chance(0.6) {
        let bmi = (base.bmi + b.dice.normal(0.0, 0.6)).clamp(14.0, 60.0);
        let weight = (bmi * base.height_m * base.height_m * 10.0).round() / 10.0;
        made.push(vital(b, day, &by, obs::WEIGHT, weight, "kg"));
        made.push(vital(b, day, &by, obs::HEIGHT, (base.height_m * 100.0).round() / 100.0, "m"));
        made.push(vital(b, day, &by, obs::BMI, (bmi * 10.0).round() / 10.0, "kg/m2"));
    }
    if b.has(Condition::AtrialFibrillation) || b.has(Condition::HeartFailure) {
        let pulse = b.dice.normal(78.0, 12.0).round().clamp(40.0, 150.0);
        made.push(vital(b, day, &by, obs::PULSE, pulse, "/min"));
    }
    if b.dice.chance(0.2) {
        let units = b.dice.normal(9.0, 8.0).max(0.0).round();
        let limit = Some(ReferenceRange { low: None, high: Some(14.0), text: None });
        let category = ObservationCategory::SocialHistory;
        made.push(measurement(b, day, day, &by, category, (obs::ALCOHOL, units, "[arb'U]/wk"), limit));
    }
    let topic = review_topic(b);
    for id in made {
        b.happenings.push((day, id, topic.clone()));
    }
}

fn review_topic(b: &Builder) -> String {
    for (condition, text) in [
        (Condition::Type2Diabetes, "Diabetes annual review"),
        (Condition::Type1Diabetes, "Diabetes review"),
        (Condition::ChronicKidneyDisease, "CKD monitoring"),
        (Condition::HeartFailure, "Heart failure review"),
        (Condition::AtrialFibrillation, "Atrial fibrillation and anticoagulation review"),
        (Condition::Hypertension, "Hypertension review"),
        (Condition::Hypothyroidism, "Thyroid function review"),
        (Condition::Copd, "COPD review"),
        (Condition::Asthma, "Asthma review"),
        (Condition::Epilepsy, "Epilepsy review"),
    ] {
        if b.has_active(condition) {
            return format!("{text}.");
        }
    }
    "NHS Health Check.".into()
}

fn on_ace_inhibitor(b: &Builder) -> bool {
    let codes = [RAMIPRIL_2_5.code, RAMIPRIL_5.code, RAMIPRIL_10.code];
    b.record.medications.iter().any(|m| codes.contains(&m.product.code.value()))
}

/// Records a lab result, filed a day or two after the sample, with its reference range.
#[allow(clippy::too_many_arguments)]
pub(super) fn lab(
    b: &mut Builder,
    day: NaiveDate,
    by: &ClinicianId,
    code: Code,
    value: f64,
    unit: &str,
    low: Option<f64>,
    high: Option<f64>,
) -> EntryId {
    let filed = (day + Days::new(b.dice.int(1, 3) as u64)).min(b.end);
    let range = (low.is_some() || high.is_some()).then_some(ReferenceRange { low, high, text: None });
    measurement(b, filed, day, by, ObservationCategory::Laboratory, (code, value, unit), range)
}

/// Records a vital sign measured (and recorded) on `day`.
fn vital(b: &mut Builder, day: NaiveDate, by: &ClinicianId, code: Code, value: f64, unit: &str) -> EntryId {
    measurement(b, day, day, by, ObservationCategory::VitalSigns, (code, value, unit), None)
}

fn measurement(
    b: &mut Builder,
    recorded_on: NaiveDate,
    day: NaiveDate,
    by: &ClinicianId,
    category: ObservationCategory,
    (code, value, unit): (Code, f64, &str),
    reference_range: Option<ReferenceRange>,
) -> EntryId {
    let meta = b.meta(recorded_on, by.clone());
    let id = meta.id;
    b.record.observations.push(Observation {
        meta,
        code: coded(code),
        effective: PartialDate::Day(day),
        category,
        value: ObservationValue::Quantity { value, unit: unit.into() },
        reference_range,
        comment: None,
    });
    id
}

/// One smoking-status finding for adults, often recorded only to the year long ago.
fn smoking_status(b: &mut Builder) {
    let roll = b.dice.uniform(0.0, 1.0);
    let code = if roll < 0.14 {
        obs::SMOKER
    } else if roll < 0.42 {
        obs::EX_SMOKER
    } else {
        obs::NEVER_SMOKED
    };
    let registered = b.record.patient.registration.registered_on;
    let day = b.dice.day_between(registered, b.end);
    let effective = if day.year() < 2005 { PartialDate::Year(day.year()) } else { PartialDate::Day(day) };
    let by = b.staff(ClinicianRole::HealthcareAssistant);
    let meta = b.meta(day, by);
    b.record.observations.push(Observation {
        meta,
        code: coded(code),
        effective,
        category: ObservationCategory::SocialHistory,
        value: ObservationValue::Finding,
        reference_range: None,
        comment: None,
    });
}
