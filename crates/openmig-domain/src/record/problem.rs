//! Problems: the coded diagnoses and significant events that organise a GP record.

use serde::{Deserialize, Serialize};

use super::{Coded, EntryMeta};
use crate::dates::PartialDate;
use crate::identifiers::EntryId;

/// A problem on the patient's problem list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Common entry data.
    pub meta: EntryMeta,
    /// The coded condition, e.g. 49436004 "Atrial fibrillation".
    pub code: Coded,
    /// Active or inactive (past).
    pub status: ProblemStatus,
    /// Major or minor.
    pub significance: Significance,
    /// Onset, as precisely as known (often only a year in old records).
    pub onset: Option<PartialDate>,
    /// When an inactive problem ended.
    pub ended: Option<PartialDate>,
    /// Free-text annotation.
    pub notes: Option<String>,
    /// Entries linked to this problem (medications, results…).
    pub related: Vec<EntryId>,
}

/// Whether the problem is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProblemStatus {
    /// Current.
    Active,
    /// Past.
    Inactive,
}

/// How significant the practice judged the problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Significance {
    /// Major.
    Major,
    /// Minor.
    Minor,
}
