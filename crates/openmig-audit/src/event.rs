//! What is recorded: one [`AuditEvent`] per request, refusals and failures included.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use openmig_domain::{ConsentBasis, Dataset, NhsNumber, OdsCode, Role};
use serde::{Deserialize, Serialize};

use crate::chain::ChainHash;

/// One access to (or attempt at) a patient's record, as the gateway records it before
/// answering.
///
/// Deliberately holds no clinical content: the only patient datum is the NHS number,
/// which the access record cannot do without. `Debug` redacts the NHS number (through
/// [`NhsNumber`]'s own `Debug`) and the free-text override reason, which a clinician may
/// have filled with clinical detail.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// When the request was decided. Stored to the microsecond (the rest is dropped);
    /// ordering comes from the sequence number, never from this clock.
    pub time: DateTime<Utc>,
    /// What was asked, e.g. `gpconnect.getstructuredrecord`, `fhir-r4.search`,
    /// `medicines.review`, `audit.report`.
    pub interaction: String,
    /// The user's identifier from the token (`unauthenticated` when there was none).
    pub user_id: String,
    /// The user's name from the token.
    pub user_name: String,
    /// The user's role, when the token carried a valid one.
    pub role: Option<Role>,
    /// The consumer organisation's ODS code as claimed (kept as text: a refusal may be
    /// for an invalid one).
    pub organisation: String,
    /// The consumer system or device.
    pub device: String,
    /// The patient whose record was asked for, when the request named a valid one.
    pub patient: Option<NhsNumber>,
    /// The patient's registered practice, when it was located.
    pub practice: Option<OdsCode>,
    /// The reason for the request, e.g. `directcare`.
    pub purpose: String,
    /// The consent basis claimed for this episode.
    pub consent: Option<ConsentBasis>,
    /// The free-text reason given for an emergency override.
    pub override_reason: Option<String>,
    /// The datasets released (empty on a refusal).
    pub datasets: Vec<Dataset>,
    /// How many record items were returned.
    pub items_returned: u32,
    /// Whether data was released.
    pub outcome: Outcome,
    /// The refusal or failure code, e.g. `NO_AGREEMENT`.
    pub error_code: Option<String>,
    /// The request's trace id, linking the entry to operational logs (which never carry
    /// the NHS number).
    pub trace_id: String,
}

impl fmt::Debug for AuditEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditEvent")
            .field("time", &self.time)
            .field("interaction", &self.interaction)
            .field("user_id", &self.user_id)
            .field("user_name", &self.user_name)
            .field("role", &self.role)
            .field("organisation", &self.organisation)
            .field("device", &self.device)
            .field("patient", &self.patient)
            .field("practice", &self.practice)
            .field("purpose", &self.purpose)
            .field("consent", &self.consent)
            .field("override_reason", &self.override_reason.as_ref().map(|r| Redacted(r.chars().count())))
            .field("datasets", &self.datasets)
            .field("items_returned", &self.items_returned)
            .field("outcome", &self.outcome)
            .field("error_code", &self.error_code)
            .field("trace_id", &self.trace_id)
            .finish()
    }
}

struct Redacted(usize);

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<redacted, {} characters>", self.0)
    }
}

/// What happened to the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Data was released.
    Permitted,
    /// Policy refused the request; no data was released.
    Refused,
    /// Something failed (provider unavailable, bad response); no data was released.
    Failed,
}

impl Outcome {
    /// Every outcome.
    pub const ALL: [Outcome; 3] = [Outcome::Permitted, Outcome::Refused, Outcome::Failed];

    /// The stored spelling, e.g. `refused`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Permitted => "permitted",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Outcome {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == value).ok_or_else(|| "unknown outcome".to_string())
    }
}

/// A recorded event with its place in the log: what [`report`](crate::report) returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// The gapless sequence number, from 1.
    pub sequence: u64,
    /// The event as stored.
    #[serde(flatten)]
    pub event: AuditEvent,
    /// The chain head after this entry, `h_sequence`.
    pub hash: ChainHash,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_the_nhs_number_and_the_override_reason() {
        let event = AuditEvent {
            time: DateTime::UNIX_EPOCH,
            interaction: "gpconnect.getstructuredrecord".into(),
            user_id: "u1".into(),
            user_name: "Dr A".into(),
            role: Some(Role::Doctor),
            organisation: "RX1".into(),
            device: "ed-system".into(),
            patient: Some(NhsNumber::parse("9434765919").unwrap()),
            practice: None,
            purpose: "directcare".into(),
            consent: Some(ConsentBasis::Emergency),
            override_reason: Some("unconscious after overdose".into()),
            datasets: vec![Dataset::Clinical],
            items_returned: 3,
            outcome: Outcome::Permitted,
            error_code: None,
            trace_id: "t".into(),
        };
        let debug = format!("{event:?}");
        assert!(!debug.contains("9434765919"), "{debug}");
        assert!(!debug.contains("overdose"), "{debug}");
        assert!(debug.contains("<redacted, 26 characters>"), "{debug}");
    }

    #[test]
    fn outcomes_round_trip_through_their_names() {
        for outcome in Outcome::ALL {
            assert_eq!(outcome.as_str().parse::<Outcome>(), Ok(outcome));
            assert_eq!(serde_json::to_string(&outcome).unwrap(), format!("\"{}\"", outcome.as_str()));
        }
        assert!("allowed".parse::<Outcome>().is_err());
    }
}
