//! GP Connect Access Record: Structured (FHIR STU3) — the response `Bundle` of
//! `$gpc.getstructuredrecord`, built from a domain record.
//!
//! [`structured_bundle`] maps a [`GpRecord`] to a `collection` Bundle conforming (as far
//! as the fields openmig fills) to `GPConnect-StructuredRecord-Bundle-1`.
//!
//! Mapped areas, one module each, every one with its primary List:
//! - allergies (`AllergyIntolerance`, ended ones contained in "Ended allergies");
//! - medication (`Medication`, `MedicationStatement`, `MedicationRequest` plan/order),
//!   with the `medicationSearchFromDate` filter;
//! - problems (`Condition` ProblemHeader with significance, `relatedClinicalContent` and
//!   the consultation it was recorded in as `context`, links to other problems as
//!   `relatedProblemHeader` (parent, child, sibling), status/significance filters,
//!   linked items pulled into the Bundle and listed in the secondary "Problems - …
//!   related to problems" Lists); whatever was asked for, the problems linked to the
//!   items returned, in "Problems - linked problems not relating to the primary query";
//! - immunisations (`Immunization`, not-given ones only on request);
//! - referrals (`ReferralRequest`, `referralSearchPeriod` on `authoredOn`);
//! - uncategorised data (`Observation` for vital signs and social history, with the
//!   search period);
//! - investigations (`DiagnosticReport` per date of laboratory results, each result an
//!   `Observation`, with the search period on `issued`);
//! - consultations (`Encounter`, the consultation / topic / heading structure Lists, the
//!   notes as a narrative `Observation`, linked items pulled into the Bundle), with the
//!   search period and "most recent N".
//!
//! Not mapped yet: investigation `ProcedureRequest`s, `Specimen`s and test groups, diary
//! entries (the record holds none), immunisation consent status Observations
//! (`includeStatus`), the consultations' secondary List of investigations (a
//! consultation sends a result without its DiagnosticReport) and the
//! `data-in-transit`/`data-awaiting-filing` warnings. Request validation (forbidden
//! combinations, dates not in the future) is the caller's.
//!
//! Source of every URL and code: `shared/design/gpconnect.md` (§1 and §3); where that
//! document is silent or unsure, the constant in [`urls`] says so.
//!
//! Resource ids are derived from the NHS number, the resource kind and the entry id (see
//! [`ids`]), so the same record always yields the same Bundle and every `reference` is a
//! relative `Type/id` that resolves to a resource in the Bundle (or `#id` to a contained
//! one). Entries carry no `fullUrl`: this function does not know the server base URL.

mod allergies;
mod consultations;
mod context;
mod demographics;
pub mod ids;
mod immunisations;
mod investigations;
mod lists;
mod medications;
mod problems;
pub mod reader;
mod referrals;
mod section;

pub use section::Section;
mod uncategorised;
pub mod urls;
pub(crate) mod withholding;

use std::collections::{BTreeSet, HashSet};

use chrono::{NaiveDate, NaiveDateTime};
use openmig_domain::record::{ProblemStatus, Significance};
use openmig_domain::{Clinician, GpRecord, Practice};
use serde_json::{Value, json};

use context::Context;

/// What the consumer asked for: the structured-record request parameters this crate
/// knows, already parsed and validated by the caller.
///
/// `None` for an area means the area was not requested (its `include*` parameter was
/// absent); the area's List is then absent too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StructuredOptions {
    /// `includeAllergies`.
    pub allergies: Option<AllergyOptions>,
    /// `includeMedication`.
    pub medication: Option<MedicationOptions>,
    /// `includeProblems` (all its repetitions).
    pub problems: Option<ProblemOptions>,
    /// `includeImmunisations`.
    pub immunisations: Option<ImmunisationOptions>,
    /// `includeReferrals`.
    pub referrals: Option<ReferralOptions>,
    /// `includeUncategorisedData`.
    pub uncategorised: Option<UncategorisedOptions>,
    /// `includeInvestigations`.
    pub investigations: Option<InvestigationOptions>,
    /// `includeConsultations`.
    pub consultations: Option<ConsultationOptions>,
}

/// The parts of `includeConsultations`.
///
/// GP Connect forbids sending both parts in one request (the caller refuses that); given
/// both here, the period applies first and the most recent of what it keeps are returned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConsultationOptions {
    /// `consultationSearchPeriod` as `(start, end)`, both inclusive, on the day the
    /// consultation started (`Encounter.period.start`); an open end is `NaiveDate::MIN`
    /// or `NaiveDate::MAX`.
    pub period: Option<(NaiveDate, NaiveDate)>,
    /// `includeNumberOfMostRecent`: only the N consultations that started last.
    pub most_recent: Option<u32>,
}

/// The parts of every `includeProblems` repetition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProblemOptions {
    /// One `(filterStatus, filterSignificance)` pair per repetition, either part
    /// optional. A problem is returned when it matches any pair; empty means every
    /// problem.
    pub filters: Vec<(Option<ProblemStatus>, Option<Significance>)>,
}

/// The parts of `includeImmunisations`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImmunisationOptions {
    /// `includeNotGiven`: also return immunisations not given (`notGiven = true`).
    /// Absent in the request means false.
    pub include_not_given: bool,
}

/// The parts of `includeReferrals`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReferralOptions {
    /// `referralSearchPeriod` as `(start, end)`, both inclusive, on `authoredOn`.
    pub period: Option<(NaiveDate, NaiveDate)>,
}

/// The parts of `includeUncategorisedData`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UncategorisedOptions {
    /// `uncategorisedDataSearchPeriod` as `(start, end)`, both inclusive; a partial date
    /// matches when any day it could mean is inside.
    pub period: Option<(NaiveDate, NaiveDate)>,
}

/// The parts of `includeInvestigations`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InvestigationOptions {
    /// `investigationSearchPeriod` as `(start, end)`, both inclusive, on
    /// `DiagnosticReport.issued`.
    pub period: Option<(NaiveDate, NaiveDate)>,
}

/// The parts of `includeAllergies`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AllergyOptions {
    /// `includeResolvedAllergies`: also return ended allergies, contained in the
    /// "Ended allergies" List.
    pub include_resolved_allergies: bool,
}

/// The parts of `includeMedication`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MedicationOptions {
    /// `includePrescriptionIssues`: also return each issue as a `MedicationRequest` with
    /// `intent = order`. Absent in the request means true.
    pub include_prescription_issues: bool,
    /// `medicationSearchFromDate`: return only medicines active on or after this day
    /// (rule in the medication module); `None` returns every medicine.
    pub search_from: Option<NaiveDate>,
}

impl Default for MedicationOptions {
    fn default() -> Self {
        MedicationOptions { include_prescription_issues: true, search_from: None }
    }
}

impl StructuredOptions {
    /// Every area this crate maps, with every part switched on and no filter.
    pub fn everything() -> Self {
        StructuredOptions {
            allergies: Some(AllergyOptions { include_resolved_allergies: true }),
            medication: Some(MedicationOptions::default()),
            problems: Some(ProblemOptions::default()),
            immunisations: Some(ImmunisationOptions { include_not_given: true }),
            referrals: Some(ReferralOptions::default()),
            uncategorised: Some(UncategorisedOptions::default()),
            investigations: Some(InvestigationOptions::default()),
            consultations: Some(ConsultationOptions::default()),
        }
    }
}

/// Builds the `$gpc.getstructuredrecord` response Bundle for `record`.
///
/// `practice` is the registered practice (the record's holder) and `clinicians` the
/// people the record may refer to; a clinician the record names but `clinicians` lacks
/// is left out of the references rather than pointing at a missing resource.
///
/// The Bundle always holds the Patient, the practice Organization and, when known, the
/// usual GP's Practitioner and PractitionerRole, then one primary List per requested area
/// followed by that area's resources, in the order allergies, medication, immunisations,
/// referrals, uncategorised, investigations, problems (with their secondary Lists,
/// followed by the linked items no other area returned), consultations (followed by the
/// items they refer to that no other area returned), and last the problems linked to the
/// other areas' items that the Problems List does not hold, with their List. No resource
/// is sent twice.
pub fn structured_bundle(
    record: &GpRecord,
    practice: &Practice,
    clinicians: &[Clinician],
    options: &StructuredOptions,
) -> Value {
    relayed_structured_bundle(record, practice, clinicians, options, &BTreeSet::new())
}

/// [`structured_bundle`] for a record read from another system's answer, whose Lists
/// said items of `withheld` sections were withheld
/// ([`ReadRecord::withheld_sections`](reader::ReadRecord::withheld_sections)): those
/// items are not in the record, so the Lists say it on the source's behalf, and a
/// consumer of the relayed answer is told what the practice's own consumer would be.
pub fn relayed_structured_bundle(
    record: &GpRecord,
    practice: &Practice,
    clinicians: &[Clinician],
    options: &StructuredOptions,
    withheld: &BTreeSet<Section>,
) -> Value {
    let mut cx = Context::new(record, practice, clinicians, withheld);

    // Clinical areas first, so that the Practitioners they reference are known; the
    // Bundle still lists the demographic resources first.
    let mut clinical = Vec::new();
    if let Some(allergy_options) = &options.allergies {
        clinical.extend(allergies::area(&mut cx, record, allergy_options));
    }
    if let Some(medication_options) = &options.medication {
        clinical.extend(medications::area(&mut cx, record, medication_options));
    }
    if let Some(immunisation_options) = &options.immunisations {
        clinical.extend(immunisations::area(&mut cx, record, immunisation_options));
    }
    if let Some(referral_options) = &options.referrals {
        clinical.extend(referrals::area(&mut cx, record, referral_options));
    }
    if let Some(uncategorised_options) = &options.uncategorised {
        clinical.extend(uncategorised::area(&mut cx, record, uncategorised_options));
    }
    if let Some(investigation_options) = &options.investigations {
        clinical.extend(investigations::area(&mut cx, record, investigation_options));
    }
    // Problems, then consultations, last: they pull in linked items the other areas did
    // not return. Then the problems linked to the other areas' items.
    let mut primary = keys(&clinical);
    let mut listed_problems = HashSet::new();
    if let Some(problem_options) = &options.problems {
        let area = problems::area(&mut cx, record, problem_options, options, &primary);
        listed_problems = keys(&area).into_iter().filter(|key| key.starts_with("Condition/")).collect();
        clinical.extend(area);
    }
    if let Some(consultation_options) = &options.consultations {
        let present = keys(&clinical);
        let area = consultations::area(&mut cx, record, consultation_options, options, &present);
        // The consultations and what they recorded: GP Connect's Linkages page asks for
        // the problems linked to a returned consultation's medicines, allergies,
        // immunisations and the rest too.
        primary.extend(keys(&area));
        clinical.extend(area);
    }
    let present = keys(&clinical);
    clinical.extend(problems::linked_problems(&mut cx, record, &primary, &present, &listed_problems));
    let present = dedupe(&mut clinical);
    problems::drop_dangling_problem_links(&mut clinical, &present);

    let mut resources = demographics::resources(&mut cx, record);
    resources.extend(clinical);
    for resource in &mut resources {
        add_identifiers(resource, practice);
    }

    json!({
        "resourceType": "Bundle",
        "meta": { "profile": [urls::BUNDLE_PROFILE] },
        "type": "collection",
        "entry": resources.into_iter().map(|resource| json!({ "resource": resource })).collect::<Vec<_>>(),
    })
}

/// The `Type/id` of every resource with an id (contained resources are not looked at).
fn keys(resources: &[Value]) -> HashSet<String> {
    resources.iter().filter_map(key).collect()
}

/// Keeps the first of resources with the same `Type/id` (a consultation the problems
/// area pulled in is the consultations area's own too, built the same way), and returns
/// the `Type/id` of those kept.
fn dedupe(resources: &mut Vec<Value>) -> HashSet<String> {
    let mut seen = HashSet::new();
    resources.retain(|resource| key(resource).is_none_or(|key| seen.insert(key)));
    seen
}

/// `Type/id` of a resource, when it has both.
fn key(resource: &Value) -> Option<String> {
    Some(format!("{}/{}", resource["resourceType"].as_str()?, resource["id"].as_str()?))
}

/// The resource types GP Connect gives a mandatory `identifier` (1..*), "globally unique
/// and persistent… scoped by a provider specific namespace".
const IDENTIFIED_TYPES: &[&str] = &[
    "AllergyIntolerance",
    "MedicationStatement",
    "MedicationRequest",
    "Condition",
    "Encounter",
    "Observation",
    "Immunization",
    "ReferralRequest",
    "DiagnosticReport",
    "Specimen",
    "ProcedureRequest",
];

/// Gives `resource` (and the resources it contains) of the [`IDENTIFIED_TYPES`] its
/// identifier: the practice's ODS code and the resource id, in openmig's namespace. The
/// id is derived from the persistent entry id (see [`ids`]), so the identifier is the
/// same in every answer, and the ODS code makes it unique across practices.
fn add_identifiers(resource: &mut Value, practice: &Practice) {
    if let Some(contained) = resource.get_mut("contained").and_then(Value::as_array_mut) {
        contained.iter_mut().for_each(|inner| add_identifiers(inner, practice));
    }
    let kind = resource["resourceType"].as_str().unwrap_or_default();
    if !IDENTIFIED_TYPES.contains(&kind) || resource.get("identifier").is_some() {
        return;
    }
    if let Some(id) = resource["id"].as_str() {
        let value = format!("{}/{id}", practice.ods_code);
        resource["identifier"] = json!([{ "system": urls::RECORD_ENTRY_IDENTIFIER_SYSTEM, "value": value }]);
    }
}

/// A SNOMED CT `CodeableConcept` with one coding.
fn snomed_concept(code: impl std::fmt::Display, display: &str) -> Value {
    json!({ "coding": [{ "system": urls::SNOMED, "code": code.to_string(), "display": display }] })
}

/// `meta` for the resources GP Connect requires a version on (Patient, Organization,
/// Practitioner). openmig keeps no resource versions, so every resource is version 1.
fn versioned_meta(profile: &str) -> Value {
    json!({ "versionId": "1", "profile": [profile] })
}

/// `meta` carrying only the profile.
fn profile_meta(profile: &str) -> Value {
    json!({ "profile": [profile] })
}

/// A FHIR `date`/`dateTime` text for a whole day.
fn day(date: chrono::NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// A FHIR `date`/`dateTime` text at the precision recorded: `YYYY`, `YYYY-MM` or
/// `YYYY-MM-DD`. A partial date is never widened to an invented day.
fn partial(date: openmig_domain::PartialDate) -> String {
    date.to_string()
}

/// A FHIR `dateTime` for a local UK wall-clock time, as GP systems record consultations:
/// the offset is `+01:00` during British Summer Time and `+00:00` otherwise.
///
/// The hour repeated when the clocks go back is read as BST, and a time in the hour
/// skipped when they go forward as GMT ([`openmig_domain::uk_time::is_summer_time_local`]).
fn local_date_time(local: NaiveDateTime) -> String {
    let offset = if openmig_domain::uk_time::is_summer_time_local(local) { "+01:00" } else { "+00:00" };
    format!("{}{offset}", local.format("%Y-%m-%dT%H:%M:%S"))
}

/// A FHIR `instant` for a day the record keeps without a time: midnight UTC, the same
/// calendar day in UK time (as `DiagnosticReport.issued`).
fn midnight_utc(date: NaiveDate) -> String {
    format!("{}T00:00:00+00:00", day(date))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d).and_then(|day| day.and_hms_opt(h, min, 0)).expect("a valid time")
    }

    #[test]
    fn local_times_carry_the_uk_offset_of_their_season() {
        assert_eq!(local_date_time(at(2026, 1, 15, 9, 20)), "2026-01-15T09:20:00+00:00");
        assert_eq!(local_date_time(at(2026, 7, 15, 9, 20)), "2026-07-15T09:20:00+01:00");
        // 2026: BST from Sunday 29 March to Sunday 25 October.
        assert_eq!(local_date_time(at(2026, 3, 29, 0, 59)), "2026-03-29T00:59:00+00:00");
        assert_eq!(local_date_time(at(2026, 3, 29, 2, 0)), "2026-03-29T02:00:00+01:00");
        assert_eq!(local_date_time(at(2026, 10, 25, 1, 30)), "2026-10-25T01:30:00+01:00", "first occurrence");
        assert_eq!(local_date_time(at(2026, 10, 25, 2, 0)), "2026-10-25T02:00:00+00:00");
        assert_eq!(local_date_time(at(2026, 10, 24, 23, 0)), "2026-10-24T23:00:00+01:00");
    }

    #[test]
    fn the_new_consultation_codes_are_valid_snomed_concepts() {
        for (code, _) in [
            urls::CONSULTATIONS_LIST,
            urls::CONSULTATION_LIST,
            urls::TOPIC_LIST,
            urls::HEADING_LIST,
            urls::COMMENT_NOTE,
        ] {
            let id: u64 = code.parse().expect("numeric");
            assert!(openmig_domain::SnomedCode::new(id).is_ok(), "{code}");
        }
    }
}
