//! Adherence estimated from issues: proportion of days covered (PDC) and the supply alerts
//! (overdue, stopped collecting, never issued, issued faster than used).
//!
//! Everything here is computed from the practice's issue records (dates and days' supply)
//! and says what was *issued*, not what was collected or taken; [`ESTIMATE_NOTICE`] is the
//! wording every screen and report must show next to these figures.
//!
//! **PDC** follows the Pharmacy Quality Alliance definition ("Proportion of Days Covered",
//! PQA adherence measures, as used by the US CMS Star Ratings): the share of days in a
//! measurement window on which the patient had supply, counting each day at most once,
//! with the *carry-over rule*: when a refill is issued before the previous supply has run
//! out, the new supply starts the day after the previous one ends. Here:
//!
//! * the window ends on `today` (inclusive) and starts on the later of `today − N`
//!   calendar months and the day the medicine was started (the earliest day a partial
//!   `started` date can mean); N is 3, 6 and 12;
//! * issue *i* supplies `days_supply` days from `max(issue date, end of the previous
//!   (shifted) supply)`; supply issued before the window counts for the days it carries
//!   into the window; issues dated after `today` and issues with no days' supply count
//!   for nothing;
//! * PDC = covered days in the window / days in the window, so always within [0, 1].
//!
//! Deliberate difference from PQA: PQA starts the window at the first fill (the "index
//! date"). openmig starts it at the medicine's recorded start, which does not depend on
//! the issues, so that an additional issue can only add covered days (a property test
//! holds the code to this), and so that a repeat authorised but not collected at first
//! reads as uncovered days rather than being silently excluded.
//!
//! PDC is given only for current repeats issued by the practice. Medicines prescribed
//! elsewhere have no GP issues and acute courses are not meant to continue, so both get
//! [`Adherence::NotApplicable`] with the reason: never 0 % and never a made-up number.

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;

use super::substance::normalise_dose;
use super::{is_overdue, supply_runs_out};
use crate::codesets::DrugClass;
use crate::record::{GpRecord, Issue, Medication};

/// The label every display of these figures carries.
pub const ESTIMATE_NOTICE: &str = "Estimated from GP issue records (dates and days' supply): \
    this shows what was issued, not whether the medicine was collected or taken.";

/// The PDC windows reported, in calendar months.
pub const PDC_WINDOW_MONTHS: [u32; 3] = [3, 6, 12];

/// The proportion of days covered over one window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pdc {
    /// The window asked for, in calendar months.
    pub months: u32,
    /// First day of the window actually used (later than `today − months` when the
    /// medicine started inside it).
    pub from: NaiveDate,
    /// Last day of the window (`today`).
    pub to: NaiveDate,
    /// Days in the window, both ends included.
    pub days_in_window: u32,
    /// Days in the window with supply, after carry-over.
    pub days_covered: u32,
    /// `days_covered / days_in_window`, within [0, 1].
    pub proportion: f64,
}

/// The adherence estimate for one medicine, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind")]
pub enum Adherence {
    /// PDC over 3, 6 and 12 months.
    Estimated {
        /// Over 3 months.
        three_months: Pdc,
        /// Over 6 months.
        six_months: Pdc,
        /// Over 12 months.
        twelve_months: Pdc,
        /// [`ESTIMATE_NOTICE`].
        notice: &'static str,
    },
    /// No figure is given, deliberately.
    NotApplicable {
        /// Why.
        reason: NotApplicableReason,
        /// The reason in words, for screens.
        explanation: &'static str,
    },
}

/// Why a medicine has no adherence figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum NotApplicableReason {
    /// Prescribed and issued outside the practice: the GP record holds no issues.
    PrescribedElsewhere,
    /// A one-off course, not meant to continue.
    AcuteCourse,
    /// A repeat with no issue yet.
    NeverIssued,
    /// Issues carry no days' supply (e.g. "as directed" items).
    NoDaysSupply,
    /// Stopped or not started on the day asked about.
    NotCurrent,
}

impl NotApplicableReason {
    /// The reason in words.
    #[must_use]
    pub fn explanation(self) -> &'static str {
        match self {
            NotApplicableReason::PrescribedElsewhere => {
                "Not issued by the GP practice: no GP issue records, so no adherence estimate"
            }
            NotApplicableReason::AcuteCourse => "Acute course: not expected to continue, so no adherence estimate",
            NotApplicableReason::NeverIssued => "No issue recorded yet for this repeat",
            NotApplicableReason::NoDaysSupply => "Issues record no days' supply, so days covered cannot be estimated",
            NotApplicableReason::NotCurrent => "Not a current medicine",
        }
    }

    fn into_adherence(self) -> Adherence {
        Adherence::NotApplicable { reason: self, explanation: self.explanation() }
    }
}

/// A supply pattern worth a clinician's attention, with the facts behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind")]
pub enum SupplyAlert {
    /// The next issue is later than the last supply plus the grace.
    Overdue {
        /// The day the last issue's supply ran out (the expected next issue).
        supply_ran_out: NaiveDate,
        /// Days since then.
        days_late: i64,
        /// One line for clinicians.
        message: String,
    },
    /// No issue for more than the configured number of supply periods.
    StoppedCollecting {
        /// The last issue.
        last_issue: NaiveDate,
        /// Days since it.
        days_since_last_issue: i64,
        /// The days' supply of that issue.
        days_supply: u16,
        /// One line for clinicians.
        message: String,
    },
    /// A current repeat never issued, authorised more than the grace ago.
    NeverIssued {
        /// When it was started (the latest day the record's date can mean).
        since: NaiveDate,
        /// Days since then.
        days: i64,
        /// One line for clinicians.
        message: String,
    },
    /// More supply issued than the time between issues could use.
    IssuedFasterThanUsed {
        /// First issue considered.
        first_issue: NaiveDate,
        /// Latest issue considered.
        last_issue: NaiveDate,
        /// Days' supply issued before the latest issue.
        days_supplied: i64,
        /// Days from the first to the latest issue.
        days_elapsed: i64,
        /// True for opioids, which get the stronger message.
        opioid: bool,
        /// One line for clinicians.
        message: String,
    },
}

/// The thresholds behind the supply alerts (part of [`super::ReviewConfig`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupplyRules {
    /// Days after the last supply runs out before a repeat is overdue.
    pub overdue_grace_days: i64,
    /// Supply periods without an issue before "stopped collecting".
    pub stopped_collecting_periods: u32,
    /// How far (per cent) supply may exceed the time between issues before it is
    /// "issued faster than used".
    pub over_ordering_margin_percent: u32,
    /// The look-back for "issued faster than used", in calendar months.
    pub over_ordering_months: u32,
}

/// PDC of one medicine over `months` ending `today` (see the module rule). `None` when
/// the medicine starts after `today`.
#[must_use]
pub fn proportion_of_days_covered(medication: &Medication, today: NaiveDate, months: u32) -> Option<Pdc> {
    pdc_from(&supply_intervals(&medication.issues, today), medication, today, months)
}

fn pdc_from(supplies: &[(i64, i64)], medication: &Medication, today: NaiveDate, months: u32) -> Option<Pdc> {
    let start = medication.started.earliest();
    let back = today.checked_sub_months(Months::new(months)).unwrap_or(NaiveDate::MIN);
    let from = back.max(start);
    if from > today {
        return None;
    }
    let covered = covered_days(supplies, from, today);
    let days_in_window = day_number(today) - day_number(from) + 1;
    let (covered, days) = (u32::try_from(covered).unwrap_or(0), u32::try_from(days_in_window).unwrap_or(u32::MAX));
    Some(Pdc {
        months,
        from,
        to: today,
        days_in_window: days,
        days_covered: covered.min(days),
        proportion: (f64::from(covered) / f64::from(days)).clamp(0.0, 1.0),
    })
}

/// The adherence estimate for a medicine on `today`.
#[must_use]
pub fn adherence(medication: &Medication, today: NaiveDate) -> Adherence {
    if medication.is_prescribed_elsewhere() {
        return NotApplicableReason::PrescribedElsewhere.into_adherence();
    }
    if !medication.prescription_type.is_repeat() {
        return NotApplicableReason::AcuteCourse.into_adherence();
    }
    if !super::is_current(medication, today) {
        return NotApplicableReason::NotCurrent.into_adherence();
    }
    if medication.issues.is_empty() {
        return NotApplicableReason::NeverIssued.into_adherence();
    }
    if medication.issues.iter().all(|i| i.days_supply == 0) {
        return NotApplicableReason::NoDaysSupply.into_adherence();
    }
    let supplies = supply_intervals(&medication.issues, today);
    let [three, six, twelve] = PDC_WINDOW_MONTHS.map(|m| pdc_from(&supplies, medication, today, m));
    match (three, six, twelve) {
        (Some(three_months), Some(six_months), Some(twelve_months)) => {
            Adherence::Estimated { three_months, six_months, twelve_months, notice: ESTIMATE_NOTICE }
        }
        _ => NotApplicableReason::NotCurrent.into_adherence(),
    }
}

/// The supply alerts for one current medicine. `record` supplies the other entries of the
/// same product and dose, so that acute courses re-issued as separate entries are judged
/// together for "issued faster than used".
#[must_use]
pub fn supply_alerts(
    record: &GpRecord,
    medication: &Medication,
    today: NaiveDate,
    rules: &SupplyRules,
) -> Vec<SupplyAlert> {
    let mut alerts = Vec::new();
    if medication.is_prescribed_elsewhere() || !super::is_current(medication, today) {
        return alerts;
    }
    if medication.prescription_type.is_repeat() {
        alerts.extend(overdue(medication, today, rules));
        alerts.extend(stopped_collecting(medication, today, rules));
        alerts.extend(never_issued(medication, today, rules));
    }
    alerts.extend(issued_faster_than_used(record, medication, today, rules));
    alerts
}

fn overdue(medication: &Medication, today: NaiveDate, rules: &SupplyRules) -> Option<SupplyAlert> {
    let ran_out = supply_runs_out(medication)?;
    if !is_overdue(medication, today, rules.overdue_grace_days) {
        return None;
    }
    let days_late = (today - ran_out).num_days();
    Some(SupplyAlert::Overdue {
        supply_ran_out: ran_out,
        days_late,
        message: format!(
            "Overdue: the last issue's supply ran out on {ran_out} ({days_late} days ago) and no issue since"
        ),
    })
}

/// Rule: an active repeat whose last issue is more than `periods × its days' supply` days
/// old. Three periods by default: one missed issue is common (holidays, stock at home),
/// three in a row rarely is.
fn stopped_collecting(medication: &Medication, today: NaiveDate, rules: &SupplyRules) -> Option<SupplyAlert> {
    let last = medication.last_issue()?;
    let period = i64::from(last.days_supply);
    let since = (today - last.date).num_days();
    if period == 0 || since <= period * i64::from(rules.stopped_collecting_periods) {
        return None;
    }
    Some(SupplyAlert::StoppedCollecting {
        last_issue: last.date,
        days_since_last_issue: since,
        days_supply: last.days_supply,
        message: format!(
            "Possibly stopped collecting: no issue for {since} days, more than {} supply periods of {period} days",
            rules.stopped_collecting_periods
        ),
    })
}

fn never_issued(medication: &Medication, today: NaiveDate, rules: &SupplyRules) -> Option<SupplyAlert> {
    if !medication.issues.is_empty() {
        return None;
    }
    let since = medication.started.latest();
    let days = (today - since).num_days();
    (days > rules.overdue_grace_days).then(|| SupplyAlert::NeverIssued {
        since,
        days,
        message: format!("Never issued: current repeat started {days} days ago with no issue recorded"),
    })
}

/// Rule: take the issues of this product at this dose (from every practice entry of the
/// record, so acute courses re-issued as separate entries count together) dated within the
/// look-back; with at least two, flag when the supply issued before the latest issue
/// exceeds the days from the first to the latest issue by more than the margin. A patient
/// taking the dose as written re-orders when the supply runs out, so the two are equal;
/// 20 % by default absorbs ordering a few days early for weekends and holidays. A dose
/// change is a new product or dose, so it never counts as over-ordering.
fn issued_faster_than_used(
    record: &GpRecord,
    medication: &Medication,
    today: NaiveDate,
    rules: &SupplyRules,
) -> Option<SupplyAlert> {
    let back = today.checked_sub_months(Months::new(rules.over_ordering_months)).unwrap_or(NaiveDate::MIN);
    let dose = normalise_dose(&medication.dose);
    let mut issues: Vec<&Issue> = record
        .medications
        .iter()
        .filter(|m| {
            !m.is_prescribed_elsewhere() && m.product.code == medication.product.code && normalise_dose(&m.dose) == dose
        })
        .flat_map(|m| m.issues.iter())
        .filter(|i| i.date >= back && i.date <= today)
        .collect();
    issues.sort_by_key(|i| (i.date, i.days_supply));
    let (first, last) = (issues.first()?, issues.last()?);
    if issues.len() < 2 {
        return None;
    }
    let supplied: i64 = issues[..issues.len() - 1].iter().map(|i| i64::from(i.days_supply)).sum();
    let elapsed = (last.date - first.date).num_days();
    if supplied * 100 <= elapsed * (100 + i64::from(rules.over_ordering_margin_percent)) {
        return None;
    }
    let opioid = super::class_of(medication) == Some(DrugClass::Opioid);
    let message = if opioid {
        format!(
            "Opioid issued faster than prescribed: {supplied} days' supply in {elapsed} days; \
             review for over-use, dependence or diversion"
        )
    } else {
        format!("Issued faster than the dose would use: {supplied} days' supply in {elapsed} days")
    };
    Some(SupplyAlert::IssuedFasterThanUsed {
        first_issue: first.date,
        last_issue: last.date,
        days_supplied: supplied,
        days_elapsed: elapsed,
        opioid,
        message,
    })
}

/// The supply periods `[start, end)` (day numbers) of the issues dated up to `today`,
/// after carry-over: each starts on its issue day or when the previous one ends.
fn supply_intervals(issues: &[Issue], today: NaiveDate) -> Vec<(i64, i64)> {
    let to_exclusive = day_number(today) + 1;
    let mut issued: Vec<(i64, i64)> = issues
        .iter()
        .filter(|i| i.days_supply > 0 && day_number(i.date) < to_exclusive)
        .map(|i| (day_number(i.date), i64::from(i.days_supply)))
        .collect();
    issued.sort_unstable();
    let mut supply_end = i64::MIN;
    issued
        .into_iter()
        .map(|(day, days)| {
            let start = day.max(supply_end);
            supply_end = start + days;
            (start, supply_end)
        })
        .collect()
}

/// Days in `[from, to]` inside the (disjoint) supply periods.
fn covered_days(supplies: &[(i64, i64)], from: NaiveDate, to: NaiveDate) -> i64 {
    let (from, to_exclusive) = (day_number(from), day_number(to) + 1);
    supplies.iter().map(|(start, end)| ((*end).min(to_exclusive) - (*start).max(from)).max(0)).sum()
}

fn day_number(day: NaiveDate) -> i64 {
    i64::from(day.num_days_from_ce())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::medicines::testkit::*;

    #[test]
    fn an_early_refill_starts_when_the_previous_supply_ends() {
        // 28 days from 1 March, refilled 7 days early on 22 March: 56 days from 1 March.
        let supplies = supply_intervals(&[issue("2026-03-01", 28), issue("2026-03-22", 28)], day("2026-06-01"));
        assert_eq!(covered_days(&supplies, day("2026-03-01"), day("2026-06-01")), 56);
        assert_eq!(covered_days(&supplies, day("2026-04-20"), day("2026-06-01")), 6, "carried over to 25 April");
    }

    #[test]
    fn supply_before_the_window_counts_only_inside_it_and_stops_at_today() {
        let covered = |issues: &[Issue]| {
            covered_days(&supply_intervals(issues, day("2026-03-10")), day("2026-03-01"), day("2026-03-10"))
        };
        // Covers 20 Feb to 19 March; the window 1 to 10 March sees ten days.
        assert_eq!(covered(&[issue("2026-02-20", 28)]), 10);
        assert_eq!(covered(&[issue("2026-03-11", 28)]), 0, "issued after today");
    }

    #[test]
    fn issues_without_days_supply_cover_nothing() {
        let supplies = supply_intervals(&[issue("2026-03-01", 0)], day("2026-03-31"));
        assert_eq!(covered_days(&supplies, day("2026-03-01"), day("2026-03-31")), 0);
    }
}
