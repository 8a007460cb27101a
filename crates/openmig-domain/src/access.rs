//! The vocabulary of access decisions: who is asking (role), what they may see
//! (dataset) and on what basis (consent).
//!
//! These are shared by the token issuer (a role and consent basis are claims), the
//! gateway's policy and the audit log, so they live here, free of IO, with one spelling
//! each on the wire.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The job a user does, as carried in the `openmig_role` token claim.
///
/// Roles are coarse on purpose: the gateway's role × dataset matrix is configured per
/// deployment, and these are the rows it configures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// A doctor in any setting (A&E, out-of-hours, hospital, mental health).
    Doctor,
    /// A registered nurse.
    Nurse,
    /// A pharmacist (medicines reconciliation).
    Pharmacist,
    /// An ambulance paramedic.
    Paramedic,
    /// Reception, booking and other administrative staff: demographics only by default.
    Administrative,
    /// Information governance auditor: the audit log, never clinical content.
    Auditor,
}

impl Role {
    /// Every role, for help texts and tests.
    pub const ALL: [Role; 6] =
        [Role::Doctor, Role::Nurse, Role::Pharmacist, Role::Paramedic, Role::Administrative, Role::Auditor];

    /// The claim value, e.g. `doctor`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Doctor => "doctor",
            Role::Nurse => "nurse",
            Role::Pharmacist => "pharmacist",
            Role::Paramedic => "paramedic",
            Role::Administrative => "administrative",
            Role::Auditor => "auditor",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role, consent basis or dataset name that is not one openmig knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}; expected one of: {expected}")]
pub struct UnknownName {
    kind: &'static str,
    value: String,
    expected: String,
}

fn parse_named<T: Copy>(
    kind: &'static str,
    value: &str,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<T, UnknownName> {
    all.iter().copied().find(|item| name(*item) == value).ok_or_else(|| UnknownName {
        kind,
        value: value.chars().take(40).collect(),
        expected: all.iter().map(|item| name(*item)).collect::<Vec<_>>().join(", "),
    })
}

impl FromStr for Role {
    type Err = UnknownName;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        parse_named("role", value, &Role::ALL, Role::as_str)
    }
}

/// A part of the record a role may be allowed to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dataset {
    /// Name, date of birth, address, registered practice.
    Demographics,
    /// The clinical record: medicines, allergies, problems, results, encounters,
    /// immunisations, referrals.
    Clinical,
    /// The access audit log.
    Audit,
}

impl Dataset {
    /// Every dataset.
    pub const ALL: [Dataset; 3] = [Dataset::Demographics, Dataset::Clinical, Dataset::Audit];

    /// The configuration spelling, e.g. `clinical`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dataset::Demographics => "demographics",
            Dataset::Clinical => "clinical",
            Dataset::Audit => "audit",
        }
    }
}

impl fmt::Display for Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Dataset {
    type Err = UnknownName;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        parse_named("dataset", value, &Dataset::ALL, Dataset::as_str)
    }
}

/// Why this view is lawful, as carried in the `openmig_consent` token claim and recorded
/// in every audit entry (security.md, "Consent models").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConsentBasis {
    /// MIG model: the patient gave explicit consent at the point of care, for this
    /// episode only.
    Given,
    /// Duty of care without consent (patient unable to consent, emergency,
    /// safeguarding): needs a free-text reason, is flagged for review by the practice.
    Emergency,
    /// GP Connect model: implied consent for direct care, when the deployment allows it.
    Implied,
}

impl ConsentBasis {
    /// Every basis.
    pub const ALL: [ConsentBasis; 3] = [ConsentBasis::Given, ConsentBasis::Emergency, ConsentBasis::Implied];

    /// The claim value, e.g. `emergency`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentBasis::Given => "given",
            ConsentBasis::Emergency => "emergency",
            ConsentBasis::Implied => "implied",
        }
    }
}

impl fmt::Display for ConsentBasis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ConsentBasis {
    type Err = UnknownName;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        parse_named("consent basis", value, &ConsentBasis::ALL, ConsentBasis::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_list_the_choices() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        for basis in ConsentBasis::ALL {
            assert_eq!(basis.as_str().parse::<ConsentBasis>(), Ok(basis));
        }
        for dataset in Dataset::ALL {
            assert_eq!(dataset.as_str().parse::<Dataset>(), Ok(dataset));
        }
        let error = "surgeon".parse::<Role>().unwrap_err().to_string();
        assert_eq!(
            error,
            "unknown role \"surgeon\"; expected one of: doctor, nurse, pharmacist, paramedic, administrative, auditor"
        );
    }

    #[test]
    fn serde_spelling_matches_the_claim_spelling() {
        assert_eq!(serde_json::to_string(&Role::Administrative).unwrap(), "\"administrative\"");
        assert_eq!(serde_json::to_string(&ConsentBasis::Emergency).unwrap(), "\"emergency\"");
    }
}
