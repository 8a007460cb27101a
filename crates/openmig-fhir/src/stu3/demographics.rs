//! Patient, Organization, Practitioner and PractitionerRole: the resources every
//! structured response carries.

use openmig_domain::patient::{Address, Registration, RegistrationStatus};
use openmig_domain::{Clinician, GpRecord, Sex};
use serde_json::{Value, json};

use super::context::Context;
use super::{day, ids, urls, versioned_meta};

/// The Patient, the practice Organization, every referenced Practitioner and the usual
/// GP's PractitionerRole, in that order. Call after the clinical areas are built, so
/// the Practitioners they referenced are known.
pub(crate) fn resources(cx: &mut Context<'_>, record: &GpRecord) -> Vec<Value> {
    let usual_gp = &record.patient.registration.usual_gp;
    let usual_gp_ref = cx.practitioner_ref(usual_gp);
    let mut out = vec![patient(cx, record, usual_gp_ref), organization(cx)];
    out.extend(cx.referenced_clinicians().into_iter().map(practitioner));
    if let Some(gp) = cx.clinician(usual_gp) {
        out.push(practitioner_role(cx, gp));
    }
    out
}

/// `CareConnect-GPC-Patient-1`, with the registration in `registrationDetails`
/// ([`registration_details`]).
///
/// The NHS number verification status extension is left out: gpconnect.md names
/// `Extension-CareConnect-GPC-NHSNumberVerificationStatus-1` but not its URL or codes.
/// A restricted patient (PDS "S" flag) never gets here through the gateway; should one,
/// their address and telephone are still left out, as the domain type requires.
fn patient(cx: &Context<'_>, record: &GpRecord, usual_gp_ref: Option<Value>) -> Value {
    let p = &record.patient;
    let mut name = json!({ "use": "official", "family": p.name.family, "given": p.name.given });
    if !p.name.prefix.is_empty() {
        name["prefix"] = json!([p.name.prefix]);
    }
    let mut resource = json!({
        "resourceType": "Patient",
        "id": ids::patient(p.nhs_number),
        "meta": versioned_meta(urls::PATIENT_PROFILE),
        "extension": [registration_details(&p.registration)],
        "identifier": [{ "system": urls::NHS_NUMBER_SYSTEM, "value": p.nhs_number.to_string() }],
        "name": [name],
        "gender": gender(p.sex),
        "birthDate": day(p.birth_date),
        "managingOrganization": cx.organization_ref(),
    });
    if !p.restricted {
        if let Some(phone) = &p.telephone {
            resource["telecom"] = json!([{ "system": "phone", "value": phone, "use": "home" }]);
        }
        resource["address"] = json!([address(&p.address, "home")]);
    }
    if let Some(died) = p.deceased {
        resource["deceasedDateTime"] = json!(day(died));
    }
    if let Some(gp) = usual_gp_ref {
        resource["generalPractitioner"] = json!([gp]);
    }
    resource
}

/// `Extension-CareConnect-GPC-RegistrationDetails-1`: the registration's period (from the
/// day the patient registered to the day they were deregistered, if they were) and its
/// type, always Regular (see [`urls::REGULAR_REGISTRATION`]).
///
/// The reason for a deregistration has no element: the extension's `registrationStatus`
/// part is forbidden in the GP Connect profile, and the period says only when it ended.
/// Providers do not serve deregistered patients at all (gpconnect.md §5), so the end is
/// only ever sent when this writer is used outside a provider.
fn registration_details(registration: &Registration) -> Value {
    let mut period = json!({ "start": day(registration.registered_on) });
    if let RegistrationStatus::Deregistered { on, .. } = &registration.status {
        period["end"] = json!(day(*on));
    }
    let (code, display) = urls::REGULAR_REGISTRATION;
    json!({
        "url": urls::REGISTRATION_DETAILS_EXTENSION,
        "extension": [
            { "url": "registrationPeriod", "valuePeriod": period },
            {
                "url": "registrationType",
                "valueCodeableConcept": {
                    "coding": [{ "system": urls::REGISTRATION_TYPE_SYSTEM, "code": code, "display": display }],
                },
            },
        ],
    })
}

/// `CareConnect-GPC-Organization-1` for the practice.
fn organization(cx: &Context<'_>) -> Value {
    let practice = cx.practice;
    json!({
        "resourceType": "Organization",
        "id": ids::organization(&practice.ods_code),
        "meta": versioned_meta(urls::ORGANIZATION_PROFILE),
        "identifier": [{ "system": urls::ODS_ORGANIZATION_SYSTEM, "value": practice.ods_code.as_str() }],
        "name": practice.name,
        "telecom": [{ "system": "phone", "value": practice.telephone, "use": "work" }],
        "address": [address(&practice.address, "work")],
    })
}

/// `CareConnect-GPC-Practitioner-1`. Professional registrations (GMC, NMC) are not
/// mapped yet: their identifier systems are not in gpconnect.md.
fn practitioner(clinician: &Clinician) -> Value {
    let mut name = json!({ "use": "usual", "family": clinician.family, "given": [clinician.given] });
    if !clinician.prefix.is_empty() {
        name["prefix"] = json!([clinician.prefix]);
    }
    json!({
        "resourceType": "Practitioner",
        "id": ids::practitioner(&clinician.id),
        "meta": versioned_meta(urls::PRACTITIONER_PROFILE),
        "identifier": [{ "system": urls::SDS_USER_SYSTEM, "value": clinician.id.to_string() }],
        "name": [name],
    })
}

/// `CareConnect-GPC-PractitionerRole-1` linking the usual GP to the practice. The role
/// is given as text only: the SDS job role code system is not in gpconnect.md.
fn practitioner_role(cx: &Context<'_>, clinician: &Clinician) -> Value {
    json!({
        "resourceType": "PractitionerRole",
        "id": ids::practitioner_role(&clinician.id),
        "meta": { "profile": [urls::PRACTITIONER_ROLE_PROFILE] },
        "practitioner": { "reference": format!("Practitioner/{}", ids::practitioner(&clinician.id)) },
        "organization": cx.organization_ref(),
        "code": [{ "text": clinician.role.label() }],
    })
}

fn address(address: &Address, use_: &str) -> Value {
    json!({ "use": use_, "line": address.lines, "city": address.town, "postalCode": address.postcode })
}

fn gender(sex: Sex) -> &'static str {
    match sex {
        Sex::Male => "male",
        Sex::Female => "female",
        Sex::Other => "other",
        Sex::Unknown => "unknown",
    }
}
