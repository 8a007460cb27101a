//! FHIR R4 UK Core: the GP record as the resources of a RESTful R4 API — the
//! `UKCore-Patient`, the practice and clinicians it names, and the patient's
//! MedicationRequests, MedicationStatements, AllergyIntolerances, Conditions,
//! Observations, Immunizations and Encounters — plus the searchset Bundle, the
//! CapabilityStatement and the OperationOutcome that API answers with.
//!
//! Pure functions of the record, like [`crate::stu3`]: no IO, no clock (`today` is
//! passed in where the medicines rules need it), no access decisions. The one rule
//! applied here is item-level withholding, the same rule as STU3
//! (`stu3::withholding::is_withheld`): confidential entries and entries carrying a code
//! in the sensitive exclusion set are dropped before any resource is built, so they
//! appear in no resource, reference, count or narrative (module `withholding`).
//!
//! Every reference is relative (`Type/id`) and made only to a resource that
//! [`everything`] returns for the same inputs: the Patient (`Patient/{NHS number}`), the
//! practice (`Organization/{ODS code}`), a supplied clinician
//! (`Practitioner/{clinician id}`) or another shared entry of the record. Ids are
//! derived from the NHS number and record entry ids ([`ids`]), so the same inputs give
//! byte-identical output.
//!
//! One module per resource type, each documenting its mapping choices; URLs and codes,
//! with where each was checked, are in [`urls`].

mod allergy_intolerance;
mod bundle;
mod capability;
mod condition;
mod context;
mod demographics;
mod encounter;
pub mod ids;
mod immunization;
mod medication;
mod medication_request;
mod medication_statement;
mod observation;
mod outcome;
pub mod urls;
mod withholding;

use std::collections::BTreeSet;
use std::fmt;

use chrono::NaiveDate;
use openmig_domain::{Clinician, GpRecord, NhsNumber, PartialDate, Patient, Practice, SnomedCode};
use serde_json::{Value, json};

use context::Context;

/// The FHIR R4 resource types searchable by `patient` (api.md): MedicationRequest,
/// MedicationStatement, AllergyIntolerance, Condition, Observation, Immunization,
/// Encounter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceType {
    /// Authorisations (`intent = plan`) and issues (`intent = order`).
    MedicationRequest,
    /// One per medicine, with the dose and the last issue date.
    MedicationStatement,
    /// Allergies, intolerances and "no known allergies".
    AllergyIntolerance,
    /// The problem list.
    Condition,
    /// Vital signs, laboratory results and social history.
    Observation,
    /// Vaccinations given and not given.
    Immunization,
    /// Consultations and other contacts.
    Encounter,
}

impl ResourceType {
    /// Every searchable type, in the order [`everything`] returns them.
    pub const SEARCHABLE: [ResourceType; 7] = [
        ResourceType::MedicationRequest,
        ResourceType::MedicationStatement,
        ResourceType::AllergyIntolerance,
        ResourceType::Condition,
        ResourceType::Observation,
        ResourceType::Immunization,
        ResourceType::Encounter,
    ];

    /// The FHIR resource type name, e.g. `MedicationStatement`.
    pub fn name(self) -> &'static str {
        match self {
            ResourceType::MedicationRequest => "MedicationRequest",
            ResourceType::MedicationStatement => "MedicationStatement",
            ResourceType::AllergyIntolerance => "AllergyIntolerance",
            ResourceType::Condition => "Condition",
            ResourceType::Observation => "Observation",
            ResourceType::Immunization => "Immunization",
            ResourceType::Encounter => "Encounter",
        }
    }

    /// The type with this exact (case-sensitive, as FHIR type names are) name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::SEARCHABLE.into_iter().find(|kind| kind.name() == name)
    }

    /// The UK Core profile its resources claim in `meta.profile`.
    pub fn profile(self) -> &'static str {
        match self {
            ResourceType::MedicationRequest => urls::profiles::MEDICATION_REQUEST,
            ResourceType::MedicationStatement => urls::profiles::MEDICATION_STATEMENT,
            ResourceType::AllergyIntolerance => urls::profiles::ALLERGY_INTOLERANCE,
            ResourceType::Condition => urls::profiles::CONDITION,
            ResourceType::Observation => urls::profiles::OBSERVATION,
            ResourceType::Immunization => urls::profiles::IMMUNIZATION,
            ResourceType::Encounter => urls::profiles::ENCOUNTER,
        }
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The R4 logical id of a patient: the NHS number itself, as NHS England's PDS FHIR API
/// does (`Patient/9000000009`).
pub fn patient_id(nhs: NhsNumber) -> String {
    ids::patient(nhs)
}

/// The `UKCore-Patient` of the record, registered at `practice`.
pub fn patient(patient: &Patient, practice: &Practice) -> Value {
    demographics::patient(patient, practice)
}

/// Every resource of type `kind` for the patient, withheld entries left out, in record
/// order (a medicine's issues follow its authorisation).
///
/// `practice` is the registered practice; `clinicians` the people the record may name
/// (a clinician the record names but `clinicians` lacks is left out of references rather
/// than referred to without a resource); `today` decides which medicines are current.
pub fn resources(
    record: &GpRecord,
    practice: &Practice,
    clinicians: &[Clinician],
    kind: ResourceType,
    today: NaiveDate,
) -> Vec<Value> {
    let cx = Context::new(record, practice, clinicians, today);
    match kind {
        ResourceType::MedicationRequest => medication_request::resources(&cx),
        ResourceType::MedicationStatement => medication_statement::resources(&cx),
        ResourceType::AllergyIntolerance => allergy_intolerance::resources(&cx),
        ResourceType::Condition => condition::resources(&cx),
        ResourceType::Observation => observation::resources(&cx),
        ResourceType::Immunization => immunization::resources(&cx),
        ResourceType::Encounter => encounter::resources(&cx),
    }
}

/// `Patient/{id}/$everything`: the Patient first, then the practice Organization, the
/// Practitioners the resources refer to (by id), then every clinical resource, type by
/// type in [`ResourceType::SEARCHABLE`] order. Every reference in it resolves within it.
pub fn everything(record: &GpRecord, practice: &Practice, clinicians: &[Clinician], today: NaiveDate) -> Vec<Value> {
    let clinical: Vec<Value> = ResourceType::SEARCHABLE
        .into_iter()
        .flat_map(|kind| resources(record, practice, clinicians, kind, today))
        .collect();
    let mut out = vec![patient(&record.patient, practice), demographics::organization(practice)];
    out.extend(referenced_practitioners(clinicians, &clinical));
    out.extend(clinical);
    out
}

/// The practice Organization and the Practitioners that `resources` refer to, for a
/// searchset's `include` entries (so a search answer can be read on its own). Nothing
/// is returned for references these inputs cannot resolve.
pub fn supporting_resources(practice: &Practice, clinicians: &[Clinician], resources: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    let organization = format!("Organization/{}", ids::organization(&practice.ods_code));
    if resources.iter().any(|r| references(r).contains(&organization)) {
        out.push(demographics::organization(practice));
    }
    out.extend(referenced_practitioners(clinicians, resources));
    out
}

/// A `searchset` Bundle: `total` is the number of matches, `link` the `self` URL, each
/// entry's `fullUrl` is `{base_url}/{type}/{id}` and its `search.mode` `match` (for
/// `matches`) or `include` (for `includes`, skipping any already present).
pub fn searchset(self_url: &str, base_url: &str, matches: Vec<Value>, includes: Vec<Value>) -> Value {
    bundle::searchset(self_url, base_url, matches, includes)
}

/// The R4 CapabilityStatement of the UK Core API at `base_url`, dated `now_date` (a FHIR
/// `dateTime`, e.g. `2026-11-25`): FHIR 4.0.1, JSON, and only what is really served —
/// Patient read and search by NHS number `identifier`, `Patient/$everything`, and search
/// by `patient` on the seven clinical types, each with its UK Core profile.
pub fn capability_statement(base_url: &str, now_date: &str) -> Value {
    capability::capability_statement(base_url, now_date)
}

/// An R4 OperationOutcome with one `error` issue: `http_issue_code` is the FHIR issue
/// type (`not-found`, `forbidden`, `invalid`, …), `spine_or_local_code` the stable error
/// code (sent in the Spine code system when Spine defines it, in openmig's otherwise),
/// `diagnostics` the sentence for the user. Never put patient data in `diagnostics`.
pub fn operation_outcome(http_issue_code: &str, spine_or_local_code: Option<&str>, diagnostics: &str) -> Value {
    outcome::operation_outcome(http_issue_code, spine_or_local_code, diagnostics)
}

/// The Practitioners of supplied clinicians referred to from `resources`, each once, in
/// id order.
fn referenced_practitioners(clinicians: &[Clinician], resources: &[Value]) -> Vec<Value> {
    let mut referenced = BTreeSet::new();
    for resource in resources {
        referenced.extend(
            references(resource).into_iter().filter_map(|r| r.strip_prefix("Practitioner/").map(str::to_owned)),
        );
    }
    let mut seen = BTreeSet::new();
    let mut chosen: Vec<&Clinician> = clinicians
        .iter()
        .filter(|c| {
            let id = ids::practitioner(&c.id);
            referenced.contains(&id) && seen.insert(id)
        })
        .collect();
    chosen.sort_by_key(|c| ids::practitioner(&c.id));
    chosen.into_iter().map(demographics::practitioner).collect()
}

/// Every `reference` string anywhere inside `value`.
fn references(value: &Value) -> BTreeSet<String> {
    fn collect(value: &Value, out: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    match (key.as_str(), inner) {
                        ("reference", Value::String(reference)) => {
                            out.insert(reference.clone());
                        }
                        _ => collect(inner, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| collect(item, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    collect(value, &mut out);
    out
}

/// `meta` with the UK Core profile. openmig keeps no resource versions, so no
/// `versionId` or `lastUpdated` is claimed.
fn meta(profile: &str) -> Value {
    json!({ "profile": [profile] })
}

/// One `Coding`; the display only when there is one (FHIR strings are never empty).
fn coding(system: &str, code: &str, display: Option<&str>) -> Value {
    let mut coding = json!({ "system": system, "code": code });
    if let Some(display) = display.and_then(non_empty) {
        coding["display"] = json!(display);
    }
    coding
}

/// A SNOMED CT `CodeableConcept` with one coding and the term the practice saw.
fn snomed_concept(code: SnomedCode, display: &str) -> Value {
    json!({ "coding": [coding(urls::SNOMED, &code.to_string(), Some(display))] })
}

/// A FHIR `date`/`dateTime` text for a whole day.
fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// A FHIR `date`/`dateTime` at the precision recorded (`YYYY`, `YYYY-MM`,
/// `YYYY-MM-DD`): a partial date is never widened to an invented day.
fn partial(date: PartialDate) -> String {
    date.to_string()
}

/// The text, trimmed, when it says anything.
fn non_empty(text: &str) -> Option<&str> {
    let text = text.trim();
    (!text.is_empty()).then_some(text)
}

/// A FHIR decimal; `None` for a number JSON cannot carry (NaN, infinity).
fn decimal(value: f64) -> Option<Value> {
    value.is_finite().then(|| json!(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_searchable_type_parses_from_its_name_and_nothing_else_does() {
        for kind in ResourceType::SEARCHABLE {
            assert_eq!(ResourceType::parse(kind.name()), Some(kind));
            assert_eq!(kind.to_string(), kind.name());
        }
        assert_eq!(ResourceType::parse("Patient"), None);
        assert_eq!(ResourceType::parse("condition"), None);
        assert_eq!(ResourceType::parse(""), None);
    }
}
