//! "Prescribed as asked?": did the GP start (or stop) what a clinic letter asked for?
//!
//! Input: the request date and, per item, start or stop, the medicine (a dm+d code or
//! free text such as "atorvastatin 80mg") and an optional dose text.
//!
//! Matching (see [`super::substance`]): a medication answers an item when it has the
//! requested dm+d code, or the same [`Substance`] as the request. The substance of a
//! text request is read from its text; of a code request, from the name given with the
//! code, else from a medication in the record with that code; when neither is known only
//! the exact code matches (openmig holds no dm+d dictionary).
//!
//! Start requests:
//! * a matching course that started on or after the request date (a partial start date
//!   counts only when every day it could mean is on or after it) is a start *in response*.
//!   If one of those is current, the answer is [`StartOutcome::Started`] (dose as asked)
//!   or [`StartOutcome::StartedDifferentStrengthOrDose`], judged on the current course
//!   (the latest started), with `on` the first start in response; otherwise
//!   [`StartOutcome::StartedThenStopped`] with the latest course's stop and reason;
//! * else a matching course that started before the request and was still running on the
//!   request date is [`StartOutcome::AlreadyOn`]: it was not started in response;
//! * else [`StartOutcome::NotStarted`].
//!
//! Dose as asked: the requested strength (from the medicine text, else a strength with a
//! unit in the dose text) must match the product's strength, and a dose text without a
//! strength ("one tablet at night") must equal the recorded instruction after
//! [`normalise_dose`]. Unstated parts are not compared.
//!
//! Stop requests: if a matching medicine is current today the answer is
//! [`StopOutcome::StillIssued`] when it was issued on or after the request date,
//! else [`StopOutcome::StillCurrent`]; otherwise the most recently stopped course gives
//! [`StopOutcome::Stopped`]; no match at all is [`StopOutcome::NotOnRecord`].

use chrono::{Days, NaiveDate};
use serde::Serialize;

use super::changes::MedicineRef;
use super::substance::{Strength, Substance, normalise_dose, strength_of};
use super::{ACUTE_WINDOW_DAYS, is_current};
use crate::dates::PartialDate;
use crate::identifiers::SnomedCode;
use crate::record::{GpRecord, Medication, MedicationStatus};

/// A clinic's request: the letter's date and what it asked for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClinicRequest {
    /// The day of the request (the clinic letter).
    pub date: NaiveDate,
    /// What was asked.
    pub items: Vec<RequestedChange>,
}

/// One thing asked for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestedChange {
    /// Start or stop.
    pub action: RequestAction,
    /// Which medicine.
    pub medicine: MedicineQuery,
    /// The dose asked for, as written ("80mg at night", "one tablet twice a day").
    pub dose: Option<String>,
}

/// Start or stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum RequestAction {
    /// Start the medicine.
    Start,
    /// Stop the medicine.
    Stop,
}

/// How the request names the medicine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum MedicineQuery {
    /// A dm+d code, with the name the requester saw when known.
    Code {
        /// The dm+d code.
        code: SnomedCode,
        /// Its name, e.g. "Atorvastatin 80mg tablets".
        name: Option<String>,
    },
    /// Free text: "atorvastatin 80mg", "naproxen", "Epilim Chrono 500".
    Text(String),
}

/// The answer for one item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestCheck {
    /// The item asked.
    pub item: RequestedChange,
    /// What the record shows.
    pub outcome: RequestOutcome,
}

/// The answer, by kind of request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum RequestOutcome {
    /// For a start request.
    Start(StartOutcome),
    /// For a stop request.
    Stop(StopOutcome),
}

/// The answer to "did the GP start it?".
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome")]
pub enum StartOutcome {
    /// Started after the request at the strength and dose asked (where stated).
    Started {
        /// First start in response.
        on: PartialDate,
        /// The current course.
        medication: MedicineRef,
    },
    /// Started after the request, but not at the strength or dose asked.
    StartedDifferentStrengthOrDose {
        /// First start in response.
        on: PartialDate,
        /// The current course.
        medication: MedicineRef,
        /// The strength asked for.
        requested_strength: Option<Strength>,
        /// The strength started.
        started_strength: Option<Strength>,
        /// The dose text asked for.
        requested_dose: Option<String>,
        /// The dose instruction recorded.
        started_dose: String,
    },
    /// Started after the request and since stopped.
    StartedThenStopped {
        /// When the latest course in response started.
        started: PartialDate,
        /// When it stopped (none recorded for an acute course that simply was not re-issued).
        stopped: Option<PartialDate>,
        /// The reason recorded.
        reason: Option<String>,
        /// That course.
        medication: MedicineRef,
    },
    /// Already running before the request: not started in response.
    AlreadyOn {
        /// When that course started.
        since: PartialDate,
        /// That course.
        medication: MedicineRef,
        /// Whether its strength and dose match the request.
        dose_matches: bool,
        /// Whether it is still current today.
        still_current: bool,
    },
    /// Nothing matching started.
    NotStarted,
}

impl StartOutcome {
    /// Whether the dose matches the request: `Some(true)` for [`StartOutcome::Started`],
    /// `Some(false)` for a different strength or dose, the flag for
    /// [`StartOutcome::AlreadyOn`], `None` otherwise.
    #[must_use]
    pub fn dose_matches(&self) -> Option<bool> {
        match self {
            StartOutcome::Started { .. } => Some(true),
            StartOutcome::StartedDifferentStrengthOrDose { .. } => Some(false),
            StartOutcome::AlreadyOn { dose_matches, .. } => Some(*dose_matches),
            _ => None,
        }
    }
}

/// The answer to "did the GP stop it?".
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome")]
pub enum StopOutcome {
    /// No matching medicine is current; the latest course stopped.
    Stopped {
        /// When (none for an acute course that was simply not re-issued).
        on: Option<PartialDate>,
        /// The reason recorded.
        reason: Option<String>,
        /// That course.
        medication: MedicineRef,
    },
    /// Still current and issued on or after the request date.
    StillIssued {
        /// The latest issue.
        last_issue: NaiveDate,
        /// The current course.
        medication: MedicineRef,
    },
    /// Still current, but not issued since the request (or prescribed elsewhere).
    StillCurrent {
        /// The latest issue, if any.
        last_issue: Option<NaiveDate>,
        /// The current course.
        medication: MedicineRef,
    },
    /// No matching medicine in the record.
    NotOnRecord,
}

/// Checks every item of a request against the record on `today`.
#[must_use]
pub fn check_request(record: &GpRecord, request: &ClinicRequest, today: NaiveDate) -> Vec<RequestCheck> {
    request
        .items
        .iter()
        .map(|item| RequestCheck { item: item.clone(), outcome: check_item(record, request.date, item, today) })
        .collect()
}

/// Checks one item asked on `asked_on`.
#[must_use]
pub fn check_item(record: &GpRecord, asked_on: NaiveDate, item: &RequestedChange, today: NaiveDate) -> RequestOutcome {
    let query = Resolved::new(record, item);
    let mut matching: Vec<&Medication> = record.medications.iter().filter(|m| query.matches(m)).collect();
    matching.sort_by_key(|m| (m.started, m.meta.id));
    match item.action {
        RequestAction::Start => RequestOutcome::Start(start_outcome(&query, &matching, asked_on, today)),
        RequestAction::Stop => RequestOutcome::Stop(stop_outcome(&matching, asked_on, today)),
    }
}

/// A request item resolved to what can be compared.
struct Resolved {
    code: Option<SnomedCode>,
    substance: Option<Substance>,
    strength: Option<Strength>,
    dose_text: Option<String>,
}

impl Resolved {
    fn new(record: &GpRecord, item: &RequestedChange) -> Resolved {
        let (code, text) = match &item.medicine {
            MedicineQuery::Code { code, name } => {
                let known = record.medications.iter().find(|m| m.product.code == *code).map(|m| m.product.name.clone());
                (Some(*code), name.clone().or(known))
            }
            MedicineQuery::Text(text) => (None, Some(text.clone())),
        };
        let dose_strength = item.dose.as_deref().and_then(Strength::with_unit_in);
        let strength = text.as_deref().and_then(Strength::from_text).or_else(|| dose_strength.clone());
        let dose_text = item.dose.clone().filter(|_| dose_strength.is_none());
        Resolved { code, substance: text.as_deref().and_then(Substance::from_text), strength, dose_text }
    }

    fn matches(&self, medication: &Medication) -> bool {
        self.code == Some(medication.product.code)
            || self.substance.as_ref().is_some_and(|s| *s == Substance::of_product(&medication.product))
    }

    fn dose_matches(&self, medication: &Medication) -> bool {
        let strength_ok = match (&self.strength, strength_of(&medication.product)) {
            (None, _) => true,
            (Some(asked), Some(given)) => asked.matches(&given),
            (Some(_), None) => self.code == Some(medication.product.code),
        };
        let dose_ok = self.dose_text.as_ref().is_none_or(|d| normalise_dose(d) == normalise_dose(&medication.dose));
        strength_ok && dose_ok
    }
}

fn start_outcome(query: &Resolved, matching: &[&Medication], asked_on: NaiveDate, today: NaiveDate) -> StartOutcome {
    let in_response: Vec<&Medication> = matching.iter().copied().filter(|m| m.started.earliest() >= asked_on).collect();
    if let Some(first) = in_response.first() {
        let on = first.started;
        if let Some(current) = in_response.iter().rev().find(|m| is_current(m, today)) {
            let medication = MedicineRef::of(current);
            if query.dose_matches(current) {
                return StartOutcome::Started { on, medication };
            }
            return StartOutcome::StartedDifferentStrengthOrDose {
                on,
                started_strength: strength_of(&current.product),
                started_dose: current.dose.clone(),
                requested_strength: query.strength.clone(),
                requested_dose: query.dose_text.clone(),
                medication,
            };
        }
        let latest = in_response.last().copied().unwrap_or(first);
        let (stopped, reason) = ending(latest);
        return StartOutcome::StartedThenStopped {
            started: latest.started,
            stopped,
            reason,
            medication: MedicineRef::of(latest),
        };
    }
    let running = matching.iter().rev().find(|m| m.started.earliest() < asked_on && was_running_on(m, asked_on));
    match running {
        Some(m) => StartOutcome::AlreadyOn {
            since: m.started,
            medication: MedicineRef::of(m),
            dose_matches: query.dose_matches(m),
            still_current: is_current(m, today),
        },
        None => StartOutcome::NotStarted,
    }
}

fn stop_outcome(matching: &[&Medication], asked_on: NaiveDate, today: NaiveDate) -> StopOutcome {
    let current = matching
        .iter()
        .filter(|m| is_current(m, today))
        .max_by_key(|m| (!m.is_prescribed_elsewhere(), m.last_issue().map(|i| i.date), m.meta.id));
    if let Some(m) = current {
        let last_issue = m.last_issue().map(|i| i.date);
        return match last_issue {
            Some(last) if last >= asked_on => {
                StopOutcome::StillIssued { last_issue: last, medication: MedicineRef::of(m) }
            }
            _ => StopOutcome::StillCurrent { last_issue, medication: MedicineRef::of(m) },
        };
    }
    let latest = matching
        .iter()
        .max_by_key(|m| (ending(m).0.map(PartialDate::latest), m.last_issue().map(|i| i.date), m.meta.id));
    match latest {
        Some(m) => {
            let (on, reason) = ending(m);
            StopOutcome::Stopped { on, reason, medication: MedicineRef::of(m) }
        }
        None => StopOutcome::NotOnRecord,
    }
}

/// When and why a course ended, as recorded.
fn ending(medication: &Medication) -> (Option<PartialDate>, Option<String>) {
    match &medication.status {
        MedicationStatus::Discontinued { on, reason } => (Some(PartialDate::Day(*on)), Some(reason.clone())),
        MedicationStatus::Completed { on } => (Some(*on), None),
        MedicationStatus::Active => (None, None),
    }
}

/// True when the course was running on `day`: started by then, not ended before it,
/// and, for an acute course, issued within [`ACUTE_WINDOW_DAYS`] before it.
fn was_running_on(medication: &Medication, day: NaiveDate) -> bool {
    if medication.started.earliest() > day {
        return false;
    }
    let ended_before = match &medication.status {
        MedicationStatus::Discontinued { on, .. } => *on <= day,
        MedicationStatus::Completed { on } => medication.prescription_type.is_repeat() && on.latest() < day,
        MedicationStatus::Active => false,
    };
    if ended_before {
        return false;
    }
    if medication.prescription_type.is_repeat() || medication.is_prescribed_elsewhere() {
        return true;
    }
    let window_start = day.checked_sub_days(Days::new(ACUTE_WINDOW_DAYS.unsigned_abs())).unwrap_or(NaiveDate::MIN);
    medication.issues.iter().any(|i| i.date <= day && i.date >= window_start)
}
