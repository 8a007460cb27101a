//! Risks and warnings: the entries a clinician must not miss (DNACPR, falls risk,
//! safeguarding, carer status, palliative care register…).

use serde::{Deserialize, Serialize};

use super::{Coded, EntryMeta};
use crate::dates::PartialDate;

/// A risk or warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// Common entry data.
    pub meta: EntryMeta,
    /// The coded alert, e.g. 450476008 "Not for attempted cardiopulmonary resuscitation".
    pub code: Coded,
    /// When it was recorded clinically.
    pub date: PartialDate,
    /// Text for the clinician.
    pub text: String,
    /// Whether it still applies.
    pub active: bool,
}
