//! The medicines review: every answer of this module for one record, computed by one
//! pure function, ready to be serialised as JSON by the HTTP layer or printed by the CLI.

use chrono::NaiveDate;
use serde::Serialize;

use super::DEFAULT_OVERDUE_GRACE_DAYS;
use super::adherence::{ESTIMATE_NOTICE, SupplyRules};
use super::changes::{MedicineChanges, changes_since};
use super::flags::{HighRiskFlag, RiskContext, sort_flags};
use super::history::{MedicineHistory, histories};
use super::view::{MedicineView, medicine_views};
use crate::record::GpRecord;

/// The thresholds of the review, each with its documented default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewConfig {
    /// Days after the last supply runs out before a repeat is overdue.
    /// Default [`DEFAULT_OVERDUE_GRACE_DAYS`] (14): two weeks absorbs ordering delays and
    /// tablets in hand, and is the grace the trait finder uses.
    pub overdue_grace_days: i64,
    /// Supply periods without an issue before "possibly stopped collecting". Default 3.
    pub stopped_collecting_periods: u32,
    /// How far (per cent) supply may exceed the time between issues before "issued
    /// faster than used". Default 20.
    pub over_ordering_margin_percent: u32,
    /// The look-back for "issued faster than used", in calendar months. Default 6.
    pub over_ordering_months: u32,
    /// A gap between issues longer than this many days is marked in the history.
    /// Default [`DEFAULT_OVERDUE_GRACE_DAYS`] (14), matching the overdue grace.
    pub long_gap_days: i64,
    /// How close (days) a new course of a substance must start to the stop of the old
    /// one to count as a dose change or product switch. Default 7.
    pub dose_change_link_days: i64,
    /// Report changes from this day to today; `None` for no changes section.
    pub changes_since: Option<NaiveDate>,
}

impl Default for ReviewConfig {
    fn default() -> Self {
        ReviewConfig {
            overdue_grace_days: DEFAULT_OVERDUE_GRACE_DAYS,
            stopped_collecting_periods: 3,
            over_ordering_margin_percent: 20,
            over_ordering_months: 6,
            long_gap_days: DEFAULT_OVERDUE_GRACE_DAYS,
            dose_change_link_days: 7,
            changes_since: None,
        }
    }
}

impl ReviewConfig {
    /// The supply-alert thresholds.
    #[must_use]
    pub fn supply_rules(&self) -> SupplyRules {
        SupplyRules {
            overdue_grace_days: self.overdue_grace_days,
            stopped_collecting_periods: self.stopped_collecting_periods,
            over_ordering_margin_percent: self.over_ordering_margin_percent,
            over_ordering_months: self.over_ordering_months,
        }
    }
}

/// Everything a clinician reviewing the medicines needs, as of one day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MedicinesReview {
    /// The day the review is as of.
    pub today: NaiveDate,
    /// [`ESTIMATE_NOTICE`]: adherence and supply alerts are issue-based estimates.
    pub notice: &'static str,
    /// The current medicines, by name.
    pub current: Vec<MedicineView>,
    /// Every high-risk flag on the current medicines, by flag then medicine.
    pub flags: Vec<HighRiskFlag>,
    /// Prescribing history per substance, every issue with its gap.
    pub history: Vec<MedicineHistory>,
    /// Changes since [`ReviewConfig::changes_since`], when asked.
    pub changes: Option<MedicineChanges>,
}

/// The medicines review of `record` on `today`.
#[must_use]
pub fn review(record: &GpRecord, today: NaiveDate, config: &ReviewConfig) -> MedicinesReview {
    let context = RiskContext::of(record, today);
    let current = medicine_views(record, today, &config.supply_rules(), &context);
    let mut flags: Vec<HighRiskFlag> = current.iter().flat_map(|v| v.flags.iter().cloned()).collect();
    sort_flags(&mut flags);
    MedicinesReview {
        today,
        notice: ESTIMATE_NOTICE,
        current,
        flags,
        history: histories(record, config.long_gap_days),
        changes: config.changes_since.map(|since| changes_since(record, since, today, config.dose_change_link_days)),
    }
}
