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
    /// Other problems the practice linked this one to, each with what this problem is to
    /// it (GP Connect carries only the logical link, "whether the linked problem is a
    /// parent, child or sibling", whatever a GP system calls it). Each side of a link
    /// records its own view: the parent lists its child as [`ProblemRelation::Parent`],
    /// the child its parent as [`ProblemRelation::Child`].
    pub linked_problems: Vec<LinkedProblem>,
}

/// A link from one problem to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LinkedProblem {
    /// The other problem.
    pub problem: EntryId,
    /// What the problem holding the link is to the other one.
    pub relation: ProblemRelation,
}

/// What a problem is to a problem it is linked to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProblemRelation {
    /// The other problem is part of, or follows from, this one (an upper respiratory
    /// infection is the parent of the post-viral cough).
    Parent,
    /// This problem is part of, or follows from, the other one.
    Child,
    /// Linked as related, neither under the other.
    Sibling,
}

impl ProblemRelation {
    /// The relation the other problem has to this one.
    pub fn reversed(self) -> ProblemRelation {
        match self {
            ProblemRelation::Parent => ProblemRelation::Child,
            ProblemRelation::Child => ProblemRelation::Parent,
            ProblemRelation::Sibling => ProblemRelation::Sibling,
        }
    }
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
