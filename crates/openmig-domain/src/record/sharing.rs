//! The patient's consent or dissent to sharing their record.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Coded, EntryMeta};
use crate::codesets;

/// A coded consent or dissent statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharingPreference {
    /// Common entry data.
    pub meta: EntryMeta,
    /// The consent/dissent code (see [`codesets::sharing_decision`]).
    pub code: Coded,
    /// When the patient expressed it.
    #[serde(with = "crate::dates::serde_day")]
    pub date: NaiveDate,
}

/// What a sharing code means for direct-care record sharing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SharingDecision {
    /// The patient consented to sharing.
    Consent,
    /// The patient refused sharing: the gateway must not share the record.
    Dissent,
    /// The code concerns something else (e.g. secondary-use opt-out, which does not
    /// block direct care).
    NotAboutSharing,
}

impl SharingPreference {
    /// What this entry means for direct-care sharing.
    pub fn decision(&self) -> SharingDecision {
        codesets::sharing_decision(self.code.code)
    }
}
