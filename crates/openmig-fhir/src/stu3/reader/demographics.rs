//! The Patient (checked against the NHS number asked for), the practice Organization,
//! and the Practitioners with their PractitionerRoles.

use std::collections::HashMap;

use chrono::NaiveDate;
use openmig_domain::patient::{Address, PersonName, Registration, RegistrationStatus};
use openmig_domain::{
    ClinicalSystem, Clinician, ClinicianId, ClinicianRole, NhsNumber, OdsCode, PartialDate, Patient, Practice, Sex,
};
use serde_json::Value;

use super::super::urls;
use super::bundle::{Index, ResId};
use super::values::{array, concept_text, day, extension, first, partial_date, text};
use super::{ReadError, Reader};

/// The one Patient, when its NHS number is `expected`.
///
/// More than one Patient, an NHS number that is not `expected` (or is not a valid NHS
/// number at all) or two that disagree are [`ReadError::WrongPatient`]: whichever of
/// them the record is about, it cannot be shown as the patient asked for.
pub(super) fn find_patient(index: &Index<'_>, expected: NhsNumber) -> Result<ResId, ReadError> {
    let patients = index.of_kind("Patient");
    let patient = match patients.as_slice() {
        [] => return Err(ReadError::MissingPatient),
        [one] => *one,
        _ => return Err(ReadError::WrongPatient),
    };
    let res = index.get(patient);
    if res.container.is_some() {
        return Err(ReadError::WrongPatient);
    }
    let numbers: Vec<Option<&str>> = array(res.value, "identifier")
        .iter()
        .filter(|i| text(i, "system") == Some(urls::NHS_NUMBER_SYSTEM))
        .map(|i| text(i, "value"))
        .collect();
    if numbers.is_empty() {
        return Err(ReadError::UnidentifiedPatient);
    }
    for number in numbers {
        if number.and_then(|n| NhsNumber::parse(n).ok()) != Some(expected) {
            return Err(ReadError::WrongPatient);
        }
    }
    Ok(patient)
}

/// The Patient's demographics and registration. Call after [`clinicians`]. What the
/// Bundle leaves out and `located` (the caller's directory) knows is taken from there:
/// the date of birth, and a death the Bundle does not date.
pub(super) fn patient(
    reader: &mut Reader<'_>,
    practice: &Practice,
    located: Option<&Patient>,
) -> Result<Patient, ReadError> {
    let id = reader.patient;
    let resource = reader.resource(id);
    let name = array(resource, "name")
        .iter()
        .find(|n| text(n, "use") == Some("official"))
        .or_else(|| first(resource, "name"))
        .map(person_name)
        .unwrap_or(PersonName { prefix: String::new(), given: Vec::new(), family: String::new() });
    // Administrative gender's four codes; anything else says nothing the domain can keep.
    let sex = match text(resource, "gender") {
        Some("male") => Sex::Male,
        Some("female") => Sex::Female,
        Some("other") => Sex::Other,
        _ => Sex::Unknown,
    };
    let birth_date = match text(resource, "birthDate").and_then(day).or(located.map(|p| p.birth_date)) {
        Some(date) => date,
        None => return Err(ReadError::MissingBirthDate),
    };
    let address = array(resource, "address")
        .iter()
        .find(|a| text(a, "use") == Some("home"))
        .or_else(|| first(resource, "address"))
        .map(address)
        .unwrap_or(Address { lines: Vec::new(), town: String::new(), postcode: String::new() });
    let phones: Vec<&Value> =
        array(resource, "telecom").iter().filter(|t| text(t, "system") == Some("phone")).collect();
    let telephone = phones
        .iter()
        .find(|t| text(t, "use") == Some("home"))
        .or_else(|| phones.first())
        .and_then(|t| text(t, "value"))
        .map(str::to_owned);
    let said_deceased = resource.get("deceasedDateTime").is_some()
        || resource.get("deceasedBoolean").and_then(Value::as_bool) == Some(true);
    let deceased = resource
        .get("deceasedDateTime")
        .and_then(Value::as_str)
        .and_then(partial_date)
        .map(PartialDate::earliest)
        .or(located.and_then(|p| p.deceased));
    if said_deceased && deceased.is_none() {
        reader.warnings.push("The practice records the patient as deceased, without a date of death.".into());
    }
    let usual_gp = match first(resource, "generalPractitioner") {
        Some(gp) => reader.clinician(gp, id),
        None => ClinicianId(String::new()),
    };
    let (registered_on, status) = registration(resource, birth_date);
    Ok(Patient {
        nhs_number: reader.nhs,
        name,
        birth_date,
        sex,
        address,
        telephone,
        registration: Registration { practice: practice.ods_code.clone(), registered_on, usual_gp, status },
        deceased,
        restricted: false,
    })
}

/// The registration date and status from `registrationDetails.registrationPeriod`, when
/// sent: registered from its start, deregistered on its end if it has one (with no
/// reason: the Bundle has none). Without it, the birth date and "registered" (see the
/// module docs of the reader). The registration type is not read: the domain has only
/// the regular registration a provider serves.
fn registration(patient: &Value, birth_date: NaiveDate) -> (NaiveDate, RegistrationStatus) {
    let period = extension(patient, urls::REGISTRATION_DETAILS_EXTENSION)
        .and_then(|details| extension(details, "registrationPeriod"))
        .and_then(|part| part.get("valuePeriod"));
    let Some(period) = period else { return (birth_date, RegistrationStatus::Registered) };
    let start = text(period, "start").and_then(day).unwrap_or(birth_date);
    let status = match text(period, "end").and_then(day) {
        Some(on) => RegistrationStatus::Deregistered { on, reason: String::new() },
        None => RegistrationStatus::Registered,
    };
    (start, status)
}

/// The practice: the Patient's managing Organization, else an Organization among its
/// general practitioners (both name the registered practice in GP Connect), else the
/// practice `located` is registered at. An Organization without a valid ODS code names
/// no practice.
pub(super) fn practice(reader: &mut Reader<'_>, located: Option<&Patient>) -> Result<Practice, ReadError> {
    let patient = reader.resource(reader.patient);
    let organization = std::iter::once(&patient["managingOrganization"])
        .chain(array(patient, "generalPractitioner"))
        .filter_map(|field| reader.index.target_of(field, reader.patient, "", "Organization").ok().flatten())
        .find_map(|id| Some((id, ods_code(reader.resource(id))?)));
    let Some((organization, ods_code)) = organization else {
        let Some(located) = located else { return Err(ReadError::MissingPractice) };
        return Ok(Practice {
            ods_code: located.registration.practice.clone(),
            name: String::new(),
            address: Address { lines: Vec::new(), town: String::new(), postcode: String::new() },
            telephone: String::new(),
            clinical_system: ClinicalSystem::EmisWeb,
            sharing_enabled: true,
            asid: String::new(),
        });
    };
    let resource = reader.resource(organization);
    let telephone = array(resource, "telecom")
        .iter()
        .find(|t| text(t, "system") == Some("phone"))
        .and_then(|t| text(t, "value"))
        .unwrap_or_default();
    Ok(Practice {
        ods_code,
        name: text(resource, "name").unwrap_or_default().to_owned(),
        address: first(resource, "address").map(address).unwrap_or(Address {
            lines: Vec::new(),
            town: String::new(),
            postcode: String::new(),
        }),
        telephone: telephone.to_owned(),
        clinical_system: ClinicalSystem::EmisWeb,
        sharing_enabled: true,
        asid: String::new(),
    })
}

/// An Organization's ODS code, when it has a valid one.
fn ods_code(organization: &Value) -> Option<OdsCode> {
    array(organization, "identifier")
        .iter()
        .filter(|i| text(i, "system") == Some(urls::ODS_ORGANIZATION_SYSTEM))
        .find_map(|i| OdsCode::parse(text(i, "value")?).ok())
}

/// Every Practitioner as a clinician, remembering which clinician each Practitioner and
/// PractitionerRole stands for.
pub(super) fn clinicians(reader: &mut Reader<'_>, practice: &Practice) -> Vec<Clinician> {
    let mut roles_of: HashMap<ResId, Vec<ResId>> = HashMap::new();
    for role in reader.of_kind("PractitionerRole") {
        let field = &reader.resource(role)["practitioner"];
        if let Ok(Some(practitioner)) = reader.index.target(field, role, "PractitionerRole.practitioner") {
            roles_of.entry(practitioner).or_default().push(role);
        }
    }
    let mut out = Vec::new();
    for id in reader.of_kind("Practitioner") {
        let resource = reader.resource(id);
        let clinician_id = array(resource, "identifier")
            .iter()
            .find(|i| text(i, "system") == Some(urls::SDS_USER_SYSTEM))
            .and_then(|i| text(i, "value"))
            .or_else(|| text(resource, "id"))
            .unwrap_or_default();
        let name = array(resource, "name")
            .iter()
            .find(|n| text(n, "use") == Some("usual"))
            .or_else(|| first(resource, "name"))
            .map(person_name)
            .unwrap_or(PersonName { prefix: String::new(), given: Vec::new(), family: String::new() });
        let mut clinician = Clinician {
            id: ClinicianId(clinician_id.to_owned()),
            practice: practice.ods_code.clone(),
            prefix: name.prefix,
            given: name.given.into_iter().next().unwrap_or_default(),
            family: name.family,
            role: ClinicianRole::GeneralPractitioner,
            registration: None,
        };
        for role_id in roles_of.get(&id).map(Vec::as_slice).unwrap_or_default() {
            reader.clinicians.insert(*role_id, clinician.id.clone());
            let label = first(reader.resource(*role_id), "code").and_then(concept_text);
            if let Some(role) = label.and_then(role_of) {
                clinician.role = role;
            }
        }
        reader.clinicians.insert(id, clinician.id.clone());
        out.push(clinician);
    }
    out
}

/// The role whose label the writer sends as the PractitionerRole's text.
fn role_of(label: &str) -> Option<ClinicianRole> {
    [
        ClinicianRole::GeneralPractitioner,
        ClinicianRole::PracticeNurse,
        ClinicianRole::Pharmacist,
        ClinicianRole::HealthcareAssistant,
    ]
    .into_iter()
    .find(|role| role.label() == label)
}

fn person_name(name: &Value) -> PersonName {
    PersonName {
        prefix: array(name, "prefix").iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" "),
        given: array(name, "given").iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        family: text(name, "family").unwrap_or_default().to_owned(),
    }
}

fn address(address: &Value) -> Address {
    Address {
        lines: array(address, "line").iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        town: text(address, "city").unwrap_or_default().to_owned(),
        postcode: text(address, "postalCode").unwrap_or_default().to_owned(),
    }
}
