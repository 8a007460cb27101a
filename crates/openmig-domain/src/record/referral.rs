//! Referrals from the practice to other services.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Coded, EntryMeta};

/// A referral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referral {
    /// Common entry data.
    pub meta: EntryMeta,
    /// The referral procedure, e.g. 809391000000101 "Referral to diabetes clinic".
    pub code: Coded,
    /// When it was made.
    #[serde(with = "crate::dates::serde_day")]
    pub date: NaiveDate,
    /// The receiving service.
    pub recipient: String,
    /// Routine, urgent or two-week-wait.
    pub priority: ReferralPriority,
    /// Why, in the referrer's words.
    pub reason: String,
}

/// Referral priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReferralPriority {
    /// Routine.
    Routine,
    /// Urgent.
    Urgent,
    /// Suspected cancer, seen within two weeks.
    TwoWeekWait,
}
