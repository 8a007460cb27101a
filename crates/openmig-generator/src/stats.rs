//! Population statistics over generated records: what the realism tests assert and
//! `docs/population.md` documents.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use openmig_domain::codesets::DrugClass;
use openmig_domain::medicines::{DEFAULT_OVERDUE_GRACE_DAYS, class_of, current_medicines, is_overdue};
use openmig_domain::record::ProblemStatus;
use openmig_domain::{GpRecord, Sex};

use crate::catalogue::conditions::{CONDITIONS, Condition};
use crate::demographics::age_on;

/// Counts accumulated over a population.
#[derive(Debug, Clone, Default)]
pub struct PopulationStats {
    /// Patients seen.
    pub patients: u64,
    /// Male patients.
    pub males: u64,
    /// Patients aged 65 and over.
    pub aged_65_plus: u64,
    /// Patients under 18.
    pub under_18: u64,
    /// Patients with each condition on their problem list (any status).
    pub with_condition: BTreeMap<Condition, u64>,
    /// Patients with one or more current repeat medicines.
    pub on_any_repeat: u64,
    /// Patients with five or more current repeats (including prescribed elsewhere).
    pub on_five_or_more: u64,
    /// Patients with at least one overdue current repeat.
    pub with_overdue_repeat: u64,
    /// Patients on a high-risk class (anticoagulant, insulin, sulfonylurea, anti-epileptic, opioid, NSAID, methotrexate).
    pub with_high_risk_medicine: u64,
    /// Patients with active AF.
    pub active_af: u64,
    /// ...of whom on a current anticoagulant.
    pub active_af_anticoagulated: u64,
    /// Patients with active type 2 diabetes.
    pub active_t2dm: u64,
    /// ...of whom on current metformin.
    pub active_t2dm_on_metformin: u64,
    /// Patients with active epilepsy.
    pub active_epilepsy: u64,
    /// ...of whom on a current anti-epileptic.
    pub active_epilepsy_treated: u64,
    /// Patients with an active penicillin allergy label.
    pub penicillin_allergy: u64,
    /// Patients with a coded "no known allergies".
    pub no_known_allergies: u64,
    /// Patients who dissented from sharing.
    pub dissent: u64,
    /// Deceased.
    pub deceased: u64,
    /// Repeat issues in total, and how many of them were on 56-day cycles.
    pub repeat_issues: u64,
    /// Issues with a 56-day supply.
    pub issues_56_day: u64,
    /// Entries in total.
    pub entries: u64,
}

impl PopulationStats {
    /// Adds one record, judging currency on `as_of`.
    pub fn add(&mut self, record: &GpRecord, as_of: NaiveDate) {
        self.patients += 1;
        let p = &record.patient;
        if p.sex == Sex::Male {
            self.males += 1;
        }
        let age = age_on(p.birth_date, as_of);
        self.aged_65_plus += u64::from(age >= 65);
        self.under_18 += u64::from(age < 18);
        for spec in CONDITIONS {
            if record.problems.iter().any(|pr| pr.code.code.value() == spec.code) {
                *self.with_condition.entry(spec.condition).or_default() += 1;
            }
        }
        let current = current_medicines(record, as_of);
        let repeats = current.iter().filter(|m| m.prescription_type.is_repeat()).count();
        self.on_any_repeat += u64::from(repeats > 0);
        self.on_five_or_more += u64::from(repeats >= 5);
        self.with_overdue_repeat += u64::from(current.iter().any(|m| is_overdue(m, as_of, DEFAULT_OVERDUE_GRACE_DAYS)));
        let classes: Vec<DrugClass> = current.iter().filter_map(|m| class_of(m)).collect();
        let high_risk = [
            DrugClass::Anticoagulant,
            DrugClass::Insulin,
            DrugClass::Sulfonylurea,
            DrugClass::Antiepileptic,
            DrugClass::Opioid,
            DrugClass::Nsaid,
            DrugClass::Methotrexate,
        ];
        self.with_high_risk_medicine += u64::from(classes.iter().any(|c| high_risk.contains(c)));
        let active = |code: u64| {
            record.problems.iter().any(|pr| pr.code.code.value() == code && pr.status == ProblemStatus::Active)
        };
        let code_of = |c: Condition| CONDITIONS.iter().find(|s| s.condition == c).map(|s| s.code).unwrap_or(0);
        if active(code_of(Condition::AtrialFibrillation)) {
            self.active_af += 1;
            self.active_af_anticoagulated += u64::from(classes.contains(&DrugClass::Anticoagulant));
        }
        if active(code_of(Condition::Type2Diabetes)) {
            self.active_t2dm += 1;
            self.active_t2dm_on_metformin += u64::from(current.iter().any(|m| m.product.name.starts_with("Metformin")));
        }
        if active(code_of(Condition::Epilepsy)) {
            self.active_epilepsy += 1;
            self.active_epilepsy_treated += u64::from(classes.contains(&DrugClass::Antiepileptic));
        }
        self.penicillin_allergy += u64::from(
            record.allergies.iter().any(|a| a.is_active() && matches!(a.code.code.value(), 91936005 | 294505008)),
        );
        self.no_known_allergies += u64::from(record.no_known_allergies.is_some());
        self.dissent += u64::from(record.has_dissented());
        self.deceased += u64::from(p.deceased.is_some());
        for m in record.medications.iter().filter(|m| m.prescription_type.is_repeat()) {
            self.repeat_issues += m.issues.len() as u64;
            self.issues_56_day += m.issues.iter().filter(|i| i.days_supply == 56).count() as u64;
        }
        self.entries += record.entry_count() as u64;
    }

    /// A share of all patients.
    pub fn share(&self, count: u64) -> f64 {
        count as f64 / self.patients.max(1) as f64
    }

    /// A ratio of two counts.
    pub fn ratio(numerator: u64, denominator: u64) -> f64 {
        numerator as f64 / denominator.max(1) as f64
    }
}
