//! `UKCore-Patient`, `UKCore-Organization` and `UKCore-Practitioner`: who the record is
//! about, who holds it and who wrote in it.

use openmig_domain::patient::Address;
use openmig_domain::{Clinician, Patient, Practice, Sex};
use serde_json::{Value, json};

use super::{day, ids, meta, non_empty, urls};

/// `UKCore-Patient`.
///
/// `generalPractitioner` and `managingOrganization` both name the registered practice,
/// as NHS England's PDS FHIR API does: the practice is always in `$everything`, the
/// usual GP may not be among the clinicians a caller supplies. A restricted patient (PDS
/// "S" flag) never reaches the gateway's R4 API; should one, their address and
/// telephone are still left out. The NHS number verification status extension is not
/// sent: the record does not hold that status.
pub(crate) fn patient(p: &Patient, practice: &Practice) -> Value {
    let mut name = json!({ "use": "official" });
    if let Some(family) = non_empty(&p.name.family) {
        name["family"] = json!(family);
    }
    let given: Vec<&str> = p.name.given.iter().filter_map(|g| non_empty(g)).collect();
    if !given.is_empty() {
        name["given"] = json!(given);
    }
    if let Some(prefix) = non_empty(&p.name.prefix) {
        name["prefix"] = json!([prefix]);
    }
    let practice_ref = json!({ "reference": format!("Organization/{}", ids::organization(&practice.ods_code)) });
    let mut resource = json!({
        "resourceType": "Patient",
        "id": ids::patient(p.nhs_number),
        "meta": meta(urls::profiles::PATIENT),
        "identifier": [{ "system": urls::NHS_NUMBER_SYSTEM, "value": p.nhs_number.to_string() }],
        "name": [name],
        "gender": gender(p.sex),
        "birthDate": day(p.birth_date),
    });
    if let Some(died) = p.deceased {
        resource["deceasedDateTime"] = json!(day(died));
    }
    if !p.restricted {
        if let Some(phone) = p.telephone.as_deref().and_then(non_empty) {
            resource["telecom"] = json!([{ "system": "phone", "value": phone, "use": "home" }]);
        }
        resource["address"] = json!([address(&p.address, "home")]);
    }
    resource["generalPractitioner"] = json!([practice_ref.clone()]);
    resource["managingOrganization"] = practice_ref;
    resource
}

/// `UKCore-Organization` for the registered practice, identified by its ODS code.
pub(crate) fn organization(practice: &Practice) -> Value {
    let mut resource = json!({
        "resourceType": "Organization",
        "id": ids::organization(&practice.ods_code),
        "meta": meta(urls::profiles::ORGANIZATION),
        "identifier": [{ "system": urls::ODS_ORGANIZATION_SYSTEM, "value": practice.ods_code.as_str() }],
    });
    if let Some(name) = non_empty(&practice.name) {
        resource["name"] = json!(name);
    }
    if let Some(phone) = non_empty(&practice.telephone) {
        resource["telecom"] = json!([{ "system": "phone", "value": phone, "use": "work" }]);
    }
    resource["address"] = json!([address(&practice.address, "work")]);
    resource
}

/// `UKCore-Practitioner`, identified by the SDS user id. Professional registrations
/// (GMC, NMC, GPhC) are not sent: the record keeps them as free text ("GMC 9000001"), and
/// UK Core's `gmc-number` system holds the consultant code (`C` + digits), not the GMC
/// reference number, so a mapping would have to guess.
pub(crate) fn practitioner(clinician: &Clinician) -> Value {
    let mut name = json!({ "use": "usual" });
    if let Some(family) = non_empty(&clinician.family) {
        name["family"] = json!(family);
    }
    if let Some(given) = non_empty(&clinician.given) {
        name["given"] = json!([given]);
    }
    if let Some(prefix) = non_empty(&clinician.prefix) {
        name["prefix"] = json!([prefix]);
    }
    json!({
        "resourceType": "Practitioner",
        "id": ids::practitioner(&clinician.id),
        "meta": meta(urls::profiles::PRACTITIONER),
        "identifier": [{ "system": urls::SDS_USER_SYSTEM, "value": clinician.id.to_string() }],
        "name": [name],
    })
}

fn address(address: &Address, use_: &str) -> Value {
    let mut out = json!({ "use": use_ });
    let lines: Vec<&str> = address.lines.iter().filter_map(|l| non_empty(l)).collect();
    if !lines.is_empty() {
        out["line"] = json!(lines);
    }
    if let Some(town) = non_empty(&address.town) {
        out["city"] = json!(town);
    }
    if let Some(postcode) = non_empty(&address.postcode) {
        out["postalCode"] = json!(postcode);
    }
    out
}

fn gender(sex: Sex) -> &'static str {
    match sex {
        Sex::Male => "male",
        Sex::Female => "female",
        Sex::Other => "other",
        Sex::Unknown => "unknown",
    }
}
