//! Building one patient's whole record from their random stream.
//!
//! The steps run in a fixed order (each reads what earlier ones made: antibiotics avoid
//! a recorded penicillin allergy, reviews measure what the conditions call for,
//! encounters link the entries made in them), so the same stream always yields the same
//! record.

mod encounters;
mod medicines;
mod observations;
mod other;
mod problems;
pub mod stories;

use chrono::{Days, Months, NaiveDate};
use openmig_domain::record::{Coded, EntryMeta};
use openmig_domain::{ClinicianId, ClinicianRole, EntryId, GpRecord, SnomedCode};

use crate::catalogue::clinical::Code;
use crate::catalogue::conditions::Condition;
use crate::demographics::{self, age_on, record_end};
use crate::dice::{Dice, Purpose};
use crate::nhs_numbers::nhs_number;
use crate::practices::PracticePlan;

/// How far back the synthetic prescribing and results history reaches.
pub const HISTORY_YEARS: u32 = 6;
/// How far back ad-hoc consultations reach.
pub const CONSULTATION_YEARS: u32 = 2;

/// A condition the patient has, with its problem entry.
#[derive(Debug, Clone, Copy)]
pub struct Diagnosis {
    /// Which condition.
    pub condition: Condition,
    /// When it began.
    pub onset: NaiveDate,
    /// Whether it is still active.
    pub active: bool,
    /// When it ended, if inactive.
    pub ended: Option<NaiveDate>,
    /// The problem entry.
    pub problem: EntryId,
}

/// Working state while one record is built.
pub struct Builder<'a> {
    /// The patient's stream.
    pub dice: Dice,
    /// Their practice.
    pub plan: &'a PracticePlan,
    /// The region's present.
    pub as_of: NaiveDate,
    /// Nothing happens after this day (death, leaving, or as_of).
    pub end: NaiveDate,
    /// Start of the prescribing/results history.
    pub history_start: NaiveDate,
    /// The record so far.
    pub record: GpRecord,
    /// Diagnoses made so far.
    pub diagnoses: Vec<Diagnosis>,
    /// Entries to be linked to an encounter on their day: (day, entry, what happened).
    pub happenings: Vec<(NaiveDate, EntryId, String)>,
    next_id: u32,
}

impl Builder<'_> {
    /// Metadata for a new entry.
    pub fn meta(&mut self, recorded_on: NaiveDate, by: ClinicianId) -> EntryMeta {
        self.next_id += 1;
        EntryMeta { id: EntryId(self.next_id), recorded_on, recorded_by: by, confidential: false }
    }

    /// A random GP of the practice.
    pub fn gp(&mut self) -> ClinicianId {
        let gps: Vec<&ClinicianId> = self.plan.gps().map(|c| &c.id).collect();
        self.dice.pick(&gps).to_owned().clone()
    }

    /// The practice's clinician in `role` (a GP when there is none).
    pub fn staff(&self, role: ClinicianRole) -> ClinicianId {
        self.plan.someone(role).id.clone()
    }

    /// The patient's age on `day`.
    pub fn age_on(&self, day: NaiveDate) -> u32 {
        age_on(self.record.patient.birth_date, day)
    }

    /// The patient's age at the end of the record.
    pub fn age(&self) -> u32 {
        self.age_on(self.end)
    }

    /// True when the patient has the condition (active or not).
    pub fn has(&self, condition: Condition) -> bool {
        self.diagnoses.iter().any(|d| d.condition == condition)
    }

    /// Links `entry` to the problem of the first of `conditions` the patient has, as a
    /// GP links a reading, a vaccination or a referral to the condition it was for (GP
    /// Connect sends the link as the problem's `relatedClinicalContent`).
    pub fn link_to_problem(&mut self, conditions: &[Condition], entry: EntryId) {
        let problem = conditions
            .iter()
            .find_map(|condition| self.diagnoses.iter().find(|d| d.condition == *condition))
            .map(|d| d.problem);
        if let Some(problem) = problem.and_then(|id| self.record.problems.iter_mut().find(|p| p.meta.id == id)) {
            problem.related.push(entry);
        }
    }

    /// True when the patient has the condition and it is active.
    pub fn has_active(&self, condition: Condition) -> bool {
        self.diagnoses.iter().any(|d| d.condition == condition && d.active)
    }

    /// True when the patient is female.
    pub fn is_female(&self) -> bool {
        self.record.patient.sex == openmig_domain::Sex::Female
    }

    /// A day in `[from, end]`.
    pub fn day_from(&mut self, from: NaiveDate) -> NaiveDate {
        let end = self.end;
        self.dice.day_between(from, end)
    }

    /// The later of the record's history start and the patient's registration.
    pub fn active_history_start(&self) -> NaiveDate {
        self.history_start.max(self.record.patient.registration.registered_on)
    }
}

/// A coded value from a catalogue pair.
pub fn coded((code, display): Code) -> Coded {
    Coded::new(SnomedCode::known(code), display)
}

/// The start of the authorisation in force on `on`, for a repeat started on `start` and
/// re-authorised every `authorisation_days` (as practices review a stable repeat).
pub fn current_authorisation_start(start: NaiveDate, on: NaiveDate, authorisation_days: i64) -> NaiveDate {
    plus_days(start, (on - start).num_days() / authorisation_days * authorisation_days)
}

/// `day` plus `n` days.
pub fn plus_days(day: NaiveDate, n: i64) -> NaiveDate {
    if n >= 0 { day + Days::new(n as u64) } else { day - Days::new((-n) as u64) }
}

/// Generates the record of patient `index` (registered at `plan`) for a region with
/// `seed`, as of `as_of`; the first patients are the brief's stories when
/// `plant_stories` is set. A pure function of its arguments.
pub fn generate(seed: u64, index: u64, plan: &PracticePlan, as_of: NaiveDate, plant_stories: bool) -> GpRecord {
    let mut dice = Dice::new(seed, Purpose::Patient, index);
    let patient = demographics::patient(&mut dice, nhs_number(seed, index), plan, as_of);
    let end = record_end(&patient, as_of);
    let history_start = end.checked_sub_months(Months::new(12 * HISTORY_YEARS)).expect("dates are bounded");
    let record = GpRecord::new(patient);
    let mut b = Builder {
        dice,
        plan,
        as_of,
        end,
        history_start,
        record,
        diagnoses: Vec::new(),
        happenings: Vec::new(),
        next_id: 0,
    };
    if plant_stories && stories::is_story(index) {
        stories::plant(&mut b, index);
        b.record.encounters.sort_by_key(|e| (e.start, e.meta.id));
        return b.record;
    }
    other::allergies(&mut b);
    problems::diagnose(&mut b);
    medicines::repeats(&mut b);
    medicines::acute_courses(&mut b);
    observations::reviews(&mut b);
    other::immunisations(&mut b);
    other::alerts_and_referrals(&mut b);
    other::sharing_preferences(&mut b);
    other::sensitive_entries(&mut b);
    encounters::consultations(&mut b);
    other::confidential_entries(&mut b);
    b.record
}
