//! The access decision: may this person, from this organisation, in this role, on this
//! consent basis, see this dataset of this patient's record? Deny by default.
//!
//! Pure: it reads the configuration and facts the caller gathered (the verified token,
//! the directory's practice, the patient's status) and returns a [`Decision`]. It does
//! no IO, so every rule is tested exhaustively, including by proptest.
//!
//! The checks run in a fixed order so that a refusal always names the first thing that
//! is wrong, and never reveals more about the patient than the caller is entitled to:
//! organisation and role are judged before anything about the patient is looked at.

use openmig_domain::{ConsentBasis, Dataset, OdsCode, Practice, Role};

use crate::config::{ConsentModel, GatewayConfig};

/// Who is asking, as the verified token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requester {
    /// The user's role.
    pub role: Role,
    /// The user's organisation.
    pub organisation: OdsCode,
    /// The consent basis the user declared for this episode, if any.
    pub consent: Option<ConsentBasis>,
    /// The emergency override reason, when `consent` is `Emergency`.
    pub override_reason: Option<String>,
}

/// What the directory says about the patient.
///
/// Dissent is not here: it is recorded in the practice's own system, not the directory,
/// and the practice refuses the record itself (`NO_PATIENT_CONSENT`), which the gateway
/// passes on as [`Refusal::PatientDissented`] (`access.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatientStatus {
    /// Restricted (S-flag) demographics: never disclosed, not even that they exist.
    pub restricted: bool,
    /// Recorded as deceased.
    pub deceased: bool,
    /// Currently registered at the practice.
    pub registered: bool,
}

/// Permission to see `dataset`, with the basis to record in the audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permit {
    /// The dataset permitted.
    pub dataset: Dataset,
    /// The consent basis applied; `None` for datasets that need no consent (the
    /// demographic trace, the audit log).
    pub consent: Option<ConsentBasis>,
    /// An emergency override: flagged for review by the practice.
    pub flagged_for_review: bool,
}

/// Why access is refused. Each has its own code and a sentence a clinician understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The token's organisation is not a known consumer.
    UnknownOrganisation,
    /// The role may not see this dataset anywhere.
    RoleNotPermitted,
    /// The practice has switched record sharing off.
    PracticeSharingDisabled,
    /// No agreement covers this organisation, practice and dataset.
    NoAgreement,
    /// Restricted demographics, or not a patient we can disclose.
    PatientNotFound,
    /// The patient is recorded as deceased.
    PatientDeceased,
    /// The patient is no longer registered with a practice.
    PatientNotRegistered,
    /// The patient dissented from sharing their record (the practice's answer, or the
    /// dissent codes in a last-good copy).
    PatientDissented,
    /// MIG model: no consent for this episode and no emergency override.
    ConsentRequired,
}

impl Refusal {
    /// The stable code, in the OperationOutcome and the audit.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::UnknownOrganisation => "UNKNOWN_ORGANISATION",
            Refusal::RoleNotPermitted => "ROLE_NOT_PERMITTED",
            Refusal::PracticeSharingDisabled => "PRACTICE_SHARING_DISABLED",
            Refusal::NoAgreement => "NO_SHARING_AGREEMENT",
            Refusal::PatientNotFound => "PATIENT_NOT_FOUND",
            Refusal::PatientDeceased => "PATIENT_DECEASED",
            Refusal::PatientNotRegistered => "PATIENT_NOT_REGISTERED",
            Refusal::PatientDissented => "NO_PATIENT_CONSENT",
            Refusal::ConsentRequired => "CONSENT_REQUIRED",
        }
    }

    /// The HTTP status: 404 where the patient is not available, 403 otherwise.
    pub fn status(self) -> u16 {
        match self {
            Refusal::PatientNotFound | Refusal::PatientDeceased | Refusal::PatientNotRegistered => 404,
            _ => 403,
        }
    }

    /// What to tell the clinician.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::UnknownOrganisation => {
                "Your organisation is not registered with this gateway; ask your information governance lead."
            }
            Refusal::RoleNotPermitted => "Your role does not allow you to view this part of the record.",
            Refusal::PracticeSharingDisabled => "This GP practice has not enabled record sharing.",
            Refusal::NoAgreement => {
                "There is no data-sharing agreement between your organisation and this patient's GP practice."
            }
            Refusal::PatientNotFound => "No patient with this NHS number is available.",
            Refusal::PatientDeceased => {
                "The patient is recorded as deceased; their GP record is not available through the gateway."
            }
            Refusal::PatientNotRegistered => {
                "The patient is not currently registered with a GP practice; no GP record is available."
            }
            Refusal::PatientDissented => "The patient has asked their GP practice not to share their record.",
            Refusal::ConsentRequired => {
                "Record the patient's consent for this episode, or use emergency access with a reason."
            }
        }
    }
}

/// The decision.
pub type Decision = Result<Permit, Refusal>;

/// Decides whether `requester` may see `dataset` of a patient registered at `practice`.
///
/// `patient` is `None` for decisions that are not about one patient's record (an
/// organisation's audit report).
pub fn decide(
    config: &GatewayConfig,
    requester: &Requester,
    practice: &Practice,
    patient: Option<PatientStatus>,
    dataset: Dataset,
) -> Decision {
    let consumer = config.consumer(&requester.organisation).ok_or(Refusal::UnknownOrganisation)?;
    if !config.role_may_see(requester.role, dataset) {
        return Err(Refusal::RoleNotPermitted);
    }
    // Restricted (S-flag) patients are judged before anything practice-specific, so no
    // later refusal can reveal where they are registered.
    if patient.is_some_and(|patient| patient.restricted) {
        return Err(Refusal::PatientNotFound);
    }
    if !config.agreements.iter().any(|agreement| agreement.covers(consumer, &practice.ods_code, dataset)) {
        return Err(Refusal::NoAgreement);
    }
    // The audit log stays readable when a practice switches sharing off: the practice
    // must still be able to see who looked.
    if dataset != Dataset::Audit && !practice.sharing_enabled {
        return Err(Refusal::PracticeSharingDisabled);
    }
    if let Some(patient) = patient {
        if patient.deceased {
            return Err(Refusal::PatientDeceased);
        }
        if !patient.registered {
            return Err(Refusal::PatientNotRegistered);
        }
    }
    if dataset != Dataset::Clinical {
        return Ok(Permit { dataset, consent: None, flagged_for_review: false });
    }
    let consent = match (config.consent_model, requester.consent) {
        (_, Some(ConsentBasis::Emergency)) => ConsentBasis::Emergency,
        (_, Some(ConsentBasis::Given)) => ConsentBasis::Given,
        (ConsentModel::Implied, Some(ConsentBasis::Implied) | None) => ConsentBasis::Implied,
        (ConsentModel::Mig, Some(ConsentBasis::Implied) | None) => return Err(Refusal::ConsentRequired),
    };
    // An emergency override without a reason never reaches here: the token verifier
    // refuses it. Checked again so that the policy stands on its own.
    if consent == ConsentBasis::Emergency && requester.override_reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(Refusal::ConsentRequired);
    }
    Ok(Permit { dataset, consent: Some(consent), flagged_for_review: consent == ConsentBasis::Emergency })
}

/// Decides whether `requester` may trace where a patient is registered (the directory
/// lookup). Like a PDS trace it needs no consent and is answered whatever the practice's
/// sharing setting or the patient's dissent (knowing that a practice does not share is
/// exactly what the clinician needs); restricted patients stay invisible.
pub fn decide_trace(config: &GatewayConfig, requester: &Requester, patient: PatientStatus) -> Decision {
    config.consumer(&requester.organisation).ok_or(Refusal::UnknownOrganisation)?;
    if !config.role_may_see(requester.role, Dataset::Demographics) {
        return Err(Refusal::RoleNotPermitted);
    }
    if patient.restricted {
        return Err(Refusal::PatientNotFound);
    }
    Ok(Permit { dataset: Dataset::Demographics, consent: None, flagged_for_review: false })
}

#[cfg(test)]
mod tests {
    use openmig_domain::fixtures;
    use proptest::prelude::*;

    use super::*;

    fn practice(sharing: bool) -> Practice {
        let mut practice = fixtures::example_practice();
        practice.sharing_enabled = sharing;
        practice
    }

    fn doctor(consent: Option<ConsentBasis>) -> Requester {
        Requester {
            role: Role::Doctor,
            organisation: OdsCode::parse("ZC010").unwrap(),
            consent,
            override_reason: (consent == Some(ConsentBasis::Emergency)).then(|| "unconscious, no family".into()),
        }
    }

    const WELL: PatientStatus = PatientStatus { restricted: false, deceased: false, registered: true };

    #[test]
    fn a_doctor_with_consent_sees_the_clinical_record() {
        let permit = decide(
            &GatewayConfig::demo(),
            &doctor(Some(ConsentBasis::Given)),
            &practice(true),
            Some(WELL),
            Dataset::Clinical,
        );
        assert_eq!(
            permit,
            Ok(Permit { dataset: Dataset::Clinical, consent: Some(ConsentBasis::Given), flagged_for_review: false })
        );
    }

    #[test]
    fn emergency_override_is_permitted_and_flagged_for_review() {
        let permit = decide(
            &GatewayConfig::demo(),
            &doctor(Some(ConsentBasis::Emergency)),
            &practice(true),
            Some(WELL),
            Dataset::Clinical,
        )
        .unwrap();
        assert!(permit.flagged_for_review);
        let mut no_reason = doctor(Some(ConsentBasis::Emergency));
        no_reason.override_reason = Some("  ".into());
        assert_eq!(
            decide(&GatewayConfig::demo(), &no_reason, &practice(true), Some(WELL), Dataset::Clinical),
            Err(Refusal::ConsentRequired)
        );
    }

    #[test]
    fn each_refusal_names_the_first_thing_wrong() {
        let config = GatewayConfig::demo();
        let given = doctor(Some(ConsentBasis::Given));
        let check = |requester: &Requester, practice: &Practice, status: PatientStatus| {
            decide(&config, requester, practice, Some(status), Dataset::Clinical)
        };
        let mut stranger = given.clone();
        stranger.organisation = OdsCode::parse("ZZZ99").unwrap();
        assert_eq!(check(&stranger, &practice(true), WELL), Err(Refusal::UnknownOrganisation));
        let mut clerk = given.clone();
        clerk.role = Role::Administrative;
        assert_eq!(check(&clerk, &practice(true), WELL), Err(Refusal::RoleNotPermitted));
        let mut community = given.clone();
        community.organisation = OdsCode::parse("ZC060").unwrap();
        assert_eq!(check(&community, &practice(true), WELL), Err(Refusal::NoAgreement));
        assert_eq!(check(&given, &practice(false), WELL), Err(Refusal::PracticeSharingDisabled));
        assert_eq!(
            check(&given, &practice(true), PatientStatus { restricted: true, ..WELL }),
            Err(Refusal::PatientNotFound)
        );
        assert_eq!(
            check(&given, &practice(true), PatientStatus { deceased: true, ..WELL }),
            Err(Refusal::PatientDeceased)
        );
        assert_eq!(
            check(&given, &practice(true), PatientStatus { registered: false, ..WELL }),
            Err(Refusal::PatientNotRegistered)
        );
        assert_eq!(check(&doctor(None), &practice(true), WELL), Err(Refusal::ConsentRequired));
        assert_eq!(check(&doctor(Some(ConsentBasis::Implied)), &practice(true), WELL), Err(Refusal::ConsentRequired));
    }

    #[test]
    fn demographics_need_no_consent() {
        let config = GatewayConfig::demo();
        let mut clerk = doctor(None);
        clerk.role = Role::Administrative;
        let permit = decide(&config, &clerk, &practice(true), Some(WELL), Dataset::Demographics).unwrap();
        assert_eq!(permit.consent, None);
    }

    #[test]
    fn implied_model_accepts_direct_care_without_explicit_consent() {
        let mut config = GatewayConfig::demo();
        config.consent_model = ConsentModel::Implied;
        let permit = decide(&config, &doctor(None), &practice(true), Some(WELL), Dataset::Clinical).unwrap();
        assert_eq!(permit.consent, Some(ConsentBasis::Implied));
    }

    fn any_role() -> impl Strategy<Value = Role> {
        proptest::sample::select(Role::ALL.to_vec())
    }

    fn any_consent() -> impl Strategy<Value = Option<ConsentBasis>> {
        proptest::option::of(proptest::sample::select(ConsentBasis::ALL.to_vec()))
    }

    #[test]
    fn a_trace_shows_the_practice_whatever_its_sharing_but_never_a_restricted_patient() {
        let config = GatewayConfig::demo();
        let mut clerk = doctor(None);
        clerk.role = Role::Administrative;
        assert!(decide_trace(&config, &clerk, WELL).is_ok());
        let restricted = PatientStatus { restricted: true, ..WELL };
        assert_eq!(decide_trace(&config, &clerk, restricted), Err(Refusal::PatientNotFound));
        let mut auditor = clerk.clone();
        auditor.role = Role::Auditor;
        assert_eq!(decide_trace(&config, &auditor, WELL), Err(Refusal::RoleNotPermitted));
    }

    proptest! {
        /// Whatever the inputs, the clinical record is only ever released to a
        /// clinical role of a known organisation under an agreement, for a registered,
        /// living, unrestricted patient at a sharing practice, with a
        /// consent basis the model accepts.
        #[test]
        fn clinical_access_implies_every_condition(
            role in any_role(),
            consent in any_consent(),
            organisation in proptest::sample::select(vec!["ZC010", "ZC020", "ZC060", "ZZZ99"]),
            sharing: bool, restricted: bool, deceased: bool, registered: bool,
            implied_model: bool, reason: bool,
        ) {
            let mut config = GatewayConfig::demo();
            if implied_model { config.consent_model = ConsentModel::Implied; }
            let requester = Requester {
                role,
                organisation: OdsCode::parse(organisation).unwrap(),
                consent,
                override_reason: reason.then(|| "patient unconscious".to_string()),
            };
            let status = PatientStatus { restricted, deceased, registered };
            if let Ok(permit) = decide(&config, &requester, &practice(sharing), Some(status), Dataset::Clinical) {
                prop_assert!(config.consumer(&requester.organisation).is_some());
                prop_assert!(config.role_may_see(role, Dataset::Clinical));
                prop_assert!(sharing && !restricted && !deceased && registered);
                prop_assert!(organisation != "ZC060");
                match permit.consent {
                    Some(ConsentBasis::Emergency) => prop_assert!(reason && permit.flagged_for_review),
                    Some(ConsentBasis::Implied) => prop_assert!(implied_model),
                    Some(ConsentBasis::Given) => prop_assert_eq!(consent, Some(ConsentBasis::Given)),
                    None => prop_assert!(false, "clinical access always records a consent basis"),
                }
            }
        }
    }
}
