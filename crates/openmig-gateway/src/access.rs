//! The path every patient request takes through the gateway, in order:
//! authenticate (signed token) → locate (NHS number → registered practice) → decide
//! (policy) → fetch → **audit** → answer.
//!
//! The audit is written before any data leaves, and refusals are audited with the same
//! detail plus their code. If the audit cannot be written the request fails with
//! `AUDIT_UNAVAILABLE` and nothing is sent (security.md, "Audit").

use std::sync::Arc;

use axum::http::HeaderMap;
use openmig_audit::{AuditEvent, Outcome};
use openmig_auth::Identity;
use openmig_directory::DirectoryPractice;
use openmig_domain::{Dataset, NhsNumber, OdsCode, Patient};

use crate::Gateway;
use crate::error::GatewayError;
use crate::federation::{FetchFailure, Fetched, Freshness};
use crate::policy::{self, PatientStatus, Permit, Refusal, Requester};

/// A request the gateway is handling: who, what for, with which trace id.
pub struct Access {
    /// The interaction name recorded in the audit, e.g. `medicines.review`.
    pub interaction: &'static str,
    /// The Spine trace id, or one the gateway made.
    pub trace_id: String,
    identity: Option<Identity>,
}

/// A permitted patient request: who the patient is (the directory's entry), their
/// practice, and what the policy allowed.
pub struct Granted {
    /// The patient's demographics and registration, from the directory.
    pub patient: Patient,
    /// Their practice as the directory lists it (with its endpoints).
    pub practice: DirectoryPractice,
    /// What was permitted, on which basis.
    pub permit: Permit,
}

impl Access {
    /// Starts handling a request: reads the trace id and verifies the bearer token.
    /// A token failure is audited and returned.
    pub async fn begin(
        gateway: &Gateway,
        headers: &HeaderMap,
        interaction: &'static str,
    ) -> Result<Self, GatewayError> {
        let trace_id = trace_id(headers);
        let bearer = headers.get(axum::http::header::AUTHORIZATION).and_then(|value| value.to_str().ok());
        let mut access = Access { interaction, trace_id, identity: None };
        match gateway.issuers.verify(bearer, &gateway.audience, (gateway.clock)()) {
            Ok(identity) => {
                access.identity = Some(identity);
                Ok(access)
            }
            Err(error) => Err(access.refuse(gateway, None, None, Dataset::Demographics, error.into()).await),
        }
    }

    /// Locates the patient in the directory and decides whether `dataset` of their
    /// record may be seen. Nothing is fetched: demographics are the directory's, and a
    /// write-back needs only the decision. Refusals are audited before they are returned.
    pub async fn patient(
        &self,
        gateway: &Gateway,
        nhs_number: NhsNumber,
        dataset: Dataset,
    ) -> Result<Granted, GatewayError> {
        let (patient, practice) = match locate(gateway, nhs_number).await {
            Ok(found) => found,
            Err(error) => return Err(self.refuse(gateway, Some(nhs_number), None, dataset, error).await),
        };
        let status = patient_status(&patient, &practice);
        match policy::decide(&gateway.config, &self.requester(), &practice.practice, Some(status), dataset) {
            Ok(permit) => Ok(Granted { patient, practice, permit }),
            Err(refusal) => {
                let ods = practice.practice.ods_code.clone();
                Err(self.refuse(gateway, Some(nhs_number), Some(ods), dataset, refusal.into()).await)
            }
        }
    }

    /// [`Access::patient`] for the clinical record, then the record itself, fetched from
    /// the practice's system at the endpoint the directory names (or its dated last-good
    /// copy). The record carries the directory's demographics: registration details and
    /// the restricted flag are the directory's to say (the PDS role).
    ///
    /// Dissent is the practice's to tell: its system refuses with `NO_PATIENT_CONSENT`.
    /// A last-good copy (or a system that does not refuse) whose record shows dissent is
    /// refused here all the same.
    pub async fn record(&self, gateway: &Gateway, nhs_number: NhsNumber) -> Result<(Granted, Fetched), GatewayError> {
        let granted = self.patient(gateway, nhs_number, Dataset::Clinical).await?;
        let ods = granted.practice.practice.ods_code.clone();
        let started = std::time::Instant::now();
        let fetched =
            gateway.federation.fetch(&granted.practice, &granted.patient, self.identity(), &self.trace_id).await;
        let outcome = match &fetched {
            Ok(fetched) if fetched.freshness == Freshness::Live => "live",
            Ok(_) => "last_good",
            Err(FetchFailure::Unavailable { .. }) => "unavailable",
            Err(_) => "refused",
        };
        gateway.metrics.fetched(ods.as_str(), outcome, started.elapsed());
        let error = match fetched {
            Ok(fetched) if fetched.record.has_dissented() => Refusal::PatientDissented.into(),
            Ok(mut fetched) => {
                fetched.record.patient = granted.patient.clone();
                return Ok((granted, fetched));
            }
            Err(failure) => fetch_failure(failure, &granted.practice),
        };
        Err(self.refuse(gateway, Some(nhs_number), Some(ods), Dataset::Clinical, error).await)
    }

    /// Locates the patient for a directory trace ([`policy::decide_trace`]).
    pub async fn trace(&self, gateway: &Gateway, nhs_number: NhsNumber) -> Result<Granted, GatewayError> {
        let (patient, practice) = match locate(gateway, nhs_number).await {
            Ok(found) => found,
            Err(error) => return Err(self.refuse(gateway, Some(nhs_number), None, Dataset::Demographics, error).await),
        };
        let status = patient_status(&patient, &practice);
        match policy::decide_trace(&gateway.config, &self.requester(), status) {
            Ok(permit) => Ok(Granted { patient, practice, permit }),
            Err(refusal) => {
                Err(self.refuse(gateway, Some(nhs_number), None, Dataset::Demographics, refusal.into()).await)
            }
        }
    }

    /// Audits a refusal or failure, then returns the error to send. When the audit
    /// itself fails, the answer becomes `AUDIT_UNAVAILABLE`.
    pub async fn refuse(
        &self,
        gateway: &Gateway,
        patient: Option<NhsNumber>,
        practice: Option<OdsCode>,
        dataset: Dataset,
        error: GatewayError,
    ) -> GatewayError {
        let outcome = if error.status().is_server_error() { Outcome::Failed } else { Outcome::Refused };
        let mut event = self.event(gateway, patient, practice, outcome);
        event.datasets = vec![dataset];
        event.error_code = Some(error.code().to_string());
        match append(gateway, event).await {
            Ok(_) => error,
            Err(audit_error) => audit_error,
        }
    }

    /// Records a permitted view of `items` items. Call it after the answer is built
    /// and before it is sent; on failure send the error instead.
    pub async fn release(&self, gateway: &Gateway, granted: &Granted, items: usize) -> Result<(), GatewayError> {
        let patient = Some(granted.patient.nhs_number);
        let practice = granted.practice.practice.ods_code.clone();
        self.record_permitted(gateway, patient, practice, &granted.permit, items).await
    }

    /// Records a permitted access about `practice` (and `patient`, when about one).
    pub(crate) async fn record_permitted(
        &self,
        gateway: &Gateway,
        patient: Option<NhsNumber>,
        practice: OdsCode,
        permit: &Permit,
        items: usize,
    ) -> Result<(), GatewayError> {
        let mut event = self.event(gateway, patient, Some(practice), Outcome::Permitted);
        event.consent = permit.consent;
        event.datasets = vec![permit.dataset];
        event.items_returned = u32::try_from(items).unwrap_or(u32::MAX);
        append(gateway, event).await.map(|_| ())
    }

    /// The requester the policy judges; only called after `begin` succeeded.
    pub(crate) fn requester(&self) -> Requester {
        let identity = self.identity.as_ref().expect("Access exists only with a verified identity");
        Requester {
            role: identity.role,
            organisation: identity.organisation.clone(),
            consent: identity.consent,
            override_reason: identity.override_reason.clone(),
        }
    }

    /// The verified identity.
    pub fn identity(&self) -> &Identity {
        self.identity.as_ref().expect("Access exists only with a verified identity")
    }

    fn event(
        &self,
        gateway: &Gateway,
        patient: Option<NhsNumber>,
        practice: Option<OdsCode>,
        outcome: Outcome,
    ) -> AuditEvent {
        let identity = self.identity.as_ref();
        AuditEvent {
            time: (gateway.clock)(),
            interaction: self.interaction.to_string(),
            user_id: identity.map_or_else(|| "unauthenticated".to_string(), |i| i.user_id.clone()),
            user_name: identity.map(|i| i.user_name.clone()).unwrap_or_default(),
            role: identity.map(|i| i.role),
            organisation: identity.map(|i| i.organisation.to_string()).unwrap_or_default(),
            device: identity.map(|i| i.device.clone()).unwrap_or_default(),
            patient,
            practice,
            purpose: identity.map(|i| i.purpose.clone()).unwrap_or_default(),
            consent: identity.and_then(|i| i.consent),
            override_reason: identity.and_then(|i| i.override_reason.clone()),
            datasets: Vec::new(),
            items_returned: 0,
            outcome,
            error_code: None,
            trace_id: self.trace_id.clone(),
        }
    }
}

/// What to tell the clinician when the practice could not give the record.
fn fetch_failure(failure: FetchFailure, practice: &DirectoryPractice) -> GatewayError {
    match failure {
        FetchFailure::PatientNotFound => Refusal::PatientNotFound.into(),
        FetchFailure::Dissented => Refusal::PatientDissented.into(),
        FetchFailure::SharingDisabled => Refusal::PracticeSharingDisabled.into(),
        FetchFailure::Unavailable { reason, attempted_at } => GatewayError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "transient",
            "GP_RECORD_UNAVAILABLE",
            format!(
                "GP record temporarily unavailable from {} (system {}); last attempt at {} UTC: {reason}. No earlier copy is available.",
                practice.practice.name,
                practice.practice.clinical_system,
                attempted_at.format("%Y-%m-%d %H:%M:%S"),
            ),
        ),
    }
}

/// What the policy needs to know about the patient: the directory's facts.
fn patient_status(patient: &Patient, practice: &DirectoryPractice) -> PatientStatus {
    PatientStatus {
        restricted: patient.restricted,
        deceased: patient.deceased.is_some(),
        registered: patient.is_active() && patient.registration.practice == practice.practice.ods_code,
    }
}

/// Appends to the audit log off the async runtime (the append waits for its group
/// commit to reach disk).
async fn append(gateway: &Gateway, event: AuditEvent) -> Result<u64, GatewayError> {
    let audit = Arc::clone(&gateway.audit);
    let started = std::time::Instant::now();
    match tokio::task::spawn_blocking(move || audit.append(event)).await {
        Ok(Ok(sequence)) => {
            gateway.metrics.audit_appended(started.elapsed());
            Ok(sequence)
        }
        _ => Err(GatewayError::audit_unavailable()),
    }
}

/// NHS number → the patient's directory entry and the practice they are registered at.
/// The directory is all the gateway can read here: it holds no clinical store.
async fn locate(gateway: &Gateway, nhs_number: NhsNumber) -> Result<(Patient, DirectoryPractice), GatewayError> {
    let directory = Arc::clone(&gateway.directory);
    let found = tokio::task::spawn_blocking(move || {
        let Some(patient) = directory.patient(nhs_number)? else { return Ok(None) };
        let practice = directory.practice(&patient.registration.practice)?;
        Ok::<_, openmig_directory::DirectoryError>(practice.map(|practice| (patient, practice)))
    })
    .await;
    match found {
        Ok(Ok(Some(found))) => Ok(found),
        Ok(Ok(None)) => Err(Refusal::PatientNotFound.into()),
        _ => Err(GatewayError::directory_unavailable()),
    }
}

/// The request's trace id: the consumer's `Ssp-TraceID` when it is a plausible id
/// (hex digits and hyphens, at most 64), otherwise a fresh random UUID.
fn trace_id(headers: &HeaderMap) -> String {
    match consumer_trace_id(headers) {
        Some(value) => value.to_ascii_lowercase(),
        None => random_uuid(),
    }
}

/// The consumer's `Ssp-TraceID` when it is a plausible id (hex digits and hyphens, at
/// most 64): never free text, so it is safe to log and to audit.
pub(crate) fn consumer_trace_id(headers: &HeaderMap) -> Option<&str> {
    headers.get("ssp-traceid").and_then(|value| value.to_str().ok()).filter(|value| {
        !value.is_empty() && value.len() <= 64 && value.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
    })
}

/// A version 4 UUID from the system's secure random source.
pub(crate) fn random_uuid() -> String {
    let mut bytes = [0u8; 16];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        // The secure random source failing is not a reason to refuse care; the trace id
        // only correlates logs. Fall back to the clock's nanoseconds.
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        bytes = nanos.to_le_bytes();
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_ids_are_kept_when_plausible_and_made_otherwise() {
        let mut headers = HeaderMap::new();
        headers.insert("ssp-traceid", "5A2B1F6E-0000-4000-8000-00000000000A".parse().unwrap());
        assert_eq!(trace_id(&headers), "5a2b1f6e-0000-4000-8000-00000000000a");
        headers.insert("ssp-traceid", "<script>".parse().unwrap());
        let made = trace_id(&headers);
        assert_eq!(made.len(), 36);
        assert_eq!(&made[14..15], "4");
        assert_ne!(made, trace_id(&headers));
    }
}
