//! Reading a GP Connect Access Record Structured Bundle back into the domain record:
//! the inverse of [`structured_bundle`](super::structured_bundle), for Bundles a
//! practice's provider returns to `$gpc.getstructuredrecord`.
//!
//! [`read_structured_bundle`] checks that the Bundle is about the patient asked for, then
//! reads every area the writer emits, one module each: demographics (Patient,
//! Organization, Practitioner, PractitionerRole), allergies (active ones, ended ones
//! contained in the "Ended allergies" List, "no known allergies"), medication
//! (Medication, MedicationStatement, the plan and its orders), problems (with their
//! linked items), consultations (Encounter, the consultation structure Lists, the
//! narrative), immunisations, referrals and observations (uncategorised ones and
//! laboratory results with their DiagnosticReports).
//!
//! # What it trusts and what it refuses
//!
//! Nothing in the Bundle is trusted: it may come from any GP system, or be damaged or
//! tampered with on the way. The reader never panics, reads at most
//! [`MAX_RESOURCES`] resources, and refuses with a [`ReadError`] rather than guess when:
//! - the Bundle's Patient is not the patient asked for, there are several Patients, or a
//!   clinical resource is about another patient ([`ReadError::WrongPatient`], hazard H1
//!   in `security.md`: showing someone else's record is the worst failure);
//! - a reference does not resolve ([`ReadError::UnresolvedReference`]);
//! - a resource lacks what GP Connect makes mandatory and the domain needs (a code, a
//!   date, a status), or holds a value of the wrong type ([`ReadError::Invalid`]).
//!
//! Content the domain does not model (other resource types, consultations of an
//! unknown kind) is skipped and said so in [`ReadRecord::warnings`]; so are the Lists'
//! warning codes (`confidential-items` sets [`ReadRecord::withheld_items`]) and the
//! provider's OperationOutcome.
//!
//! # Entry ids
//!
//! The writer derives resource ids from entry ids ([`ids`](super::ids)), so the reader
//! recovers them (`condition-9434765919-7` is entry 7) and the links between entries
//! (a problem's related items, what a consultation recorded) survive the round trip.
//! Resources whose ids do not follow that scheme (another GP system's GUIDs) get fresh
//! entry ids, unique in the record; links follow references, never ids, so they survive
//! either way. A link to something the record does not hold as an entry (a
//! DiagnosticReport, a skipped resource) is dropped.
//!
//! # What a Bundle cannot carry
//!
//! The writer withholds confidential and sensitive entries and the STU3 format has no
//! place for some fields, so the record read back is the record's *shareable
//! projection*, [`shareable_projection`] (which documents each difference), not the
//! record itself. Entries of each kind come back in entry-id order (encounters by start,
//! then id), since a Bundle does not keep the record's order. Where the domain needs a
//! value the Bundle cannot give, the reader fills a documented stand-in:
//! - a clinician the Bundle does not name (no recorder, or an unknown one) is
//!   `ClinicianId("")`;
//! - `Practice::clinical_system`, `sharing_enabled` and `asid` are not in a Bundle: the
//!   reader reports EMIS Web, `true` (the provider answered) and an empty ASID, and the
//!   caller, which found the practice in its directory, should use its own values;
//! - a Practitioner's role is in the Bundle only for the usual GP (PractitionerRole);
//!   others read as general practitioners, with no professional registration;
//! - without the `registrationDetails` extension, the registration date reads as the
//!   birth date (the earliest it can be) and the registration as current; a
//!   deregistration (the period's end) reads with an empty reason, which no Bundle holds;
//! - `restricted` is always false: a GP Connect provider answers `PATIENT_NOT_FOUND` for
//!   a restricted patient, so restriction must come from PDS, never from the Bundle.

mod allergies;
mod bundle;
mod consultations;
mod demographics;
mod entries;
mod immunisations;
mod lists;
mod medications;
mod observations;
mod problems;
mod projection;
mod referrals;
mod values;

use std::collections::{BTreeMap, HashMap, HashSet};

use openmig_domain::{Clinician, ClinicianId, EntryId, GpRecord, NhsNumber, Practice};
use serde_json::Value;

use bundle::{Index, ResId};
use entries::EntryIds;

pub use projection::shareable_projection;

/// The most resources (Bundle entries and contained resources together) a Bundle may
/// hold. A real record has a few thousand; anything near this is refused as
/// [`ReadError::TooLarge`] before any of it is read.
pub const MAX_RESOURCES: usize = 50_000;

/// A structured record read back from a Bundle.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadRecord {
    /// The record: what the provider shared (see the module docs for the stand-ins).
    pub record: GpRecord,
    /// The registered practice, from the Patient's managing Organization.
    pub practice: Practice,
    /// Every Practitioner in the Bundle, in Bundle order.
    pub clinicians: Vec<Clinician>,
    /// What a clinician reading the record should be told: the Lists' warnings (e.g.
    /// items withheld as confidential), the provider's OperationOutcome, content skipped.
    pub warnings: Vec<String>,
    /// True when a List says the provider withheld items (`confidential-items`).
    pub withheld_items: bool,
}

/// Why a Bundle could not be read. No variant carries patient data: references and
/// values from the Bundle are never quoted, only resource types and element names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// Not a FHIR `Bundle` of type `collection` (e.g. an OperationOutcome, or not JSON
    /// object at all).
    #[error("the answer is not a GP Connect structured record Bundle")]
    NotABundle,
    /// More than [`MAX_RESOURCES`] resources.
    #[error("the Bundle holds more than {MAX_RESOURCES} resources")]
    TooLarge,
    /// The Bundle's Patient is not the patient asked for, there is more than one Patient,
    /// or a clinical resource is about another patient.
    #[error("the Bundle is not about the patient asked for")]
    WrongPatient,
    /// The Bundle holds no Patient.
    #[error("the Bundle holds no Patient")]
    MissingPatient,
    /// The Patient names no managing Organization (the registered practice).
    #[error("the Bundle does not name the patient's registered practice")]
    MissingPractice,
    /// A reference does not resolve to a resource in the Bundle. The text names the
    /// element holding it, e.g. `Condition.extension(relatedClinicalContent)`.
    #[error("a reference in {0} does not resolve to a resource in the Bundle")]
    UnresolvedReference(String),
    /// A resource lacks something mandatory or holds a value of the wrong type.
    #[error("{resource} is not valid: {why}")]
    Invalid {
        /// The resource type, e.g. `MedicationStatement`.
        resource: String,
        /// What is wrong, e.g. `no effectivePeriod.start`.
        why: String,
    },
}

/// Reads the `$gpc.getstructuredrecord` response `bundle` for the patient with
/// `expected_nhs` (see the module docs).
pub fn read_structured_bundle(bundle: &Value, expected_nhs: NhsNumber) -> Result<ReadRecord, ReadError> {
    let index = Index::build(bundle)?;
    let patient = demographics::find_patient(&index, expected_nhs)?;
    let mut reader = Reader::new(index, patient, expected_nhs);
    reader.check_subjects()?;
    lists::check_list_entries(&reader)?;

    let practice = demographics::practice(&reader)?;
    let clinicians = demographics::clinicians(&mut reader, &practice)?;
    let narratives = consultations::narratives(&reader)?;
    reader.entries = EntryIds::allocate(&reader.index, expected_nhs, &narratives);

    let medications = medications::read(&mut reader)?;
    let (allergies, no_known_allergies) = allergies::read(&mut reader)?;
    let observations = observations::read(&mut reader, &narratives)?;
    let immunisations = immunisations::read(&mut reader)?;
    let referrals = referrals::read(&mut reader)?;
    let problems = problems::read(&mut reader)?;
    let encounters = consultations::read(&mut reader, &narratives)?;
    let patient = demographics::patient(&reader, &practice)?;

    let mut record = GpRecord {
        patient,
        medications,
        allergies,
        no_known_allergies,
        problems,
        encounters,
        observations,
        immunisations,
        referrals,
        alerts: Vec::new(),
        sharing_preferences: Vec::new(),
    };
    drop_dangling_links(&mut record);
    sort_entries(&mut record);

    let (mut warnings, withheld_items) = lists::warnings(&reader);
    warnings.extend(reader.skipped_warnings());
    warnings.append(&mut reader.warnings);
    Ok(ReadRecord { record, practice, clinicians, warnings, withheld_items })
}

/// Shared state while one Bundle is read.
struct Reader<'a> {
    index: Index<'a>,
    /// The Patient resource.
    patient: ResId,
    nhs: NhsNumber,
    /// Entry ids of the resources that are record entries (and of the plans and orders
    /// of medicines, which stand for their MedicationStatement's entry).
    entries: EntryIds,
    /// The clinician each Practitioner (and PractitionerRole) stands for.
    clinicians: HashMap<ResId, ClinicianId>,
    /// Warnings gathered while reading.
    warnings: Vec<String>,
}

impl<'a> Reader<'a> {
    fn new(index: Index<'a>, patient: ResId, nhs: NhsNumber) -> Self {
        Reader { index, patient, nhs, entries: EntryIds::default(), clinicians: HashMap::new(), warnings: Vec::new() }
    }

    /// The resource.
    fn resource(&self, id: ResId) -> &'a Value {
        self.index.get(id).value
    }

    /// Every resource of `kind`, top-level and contained, in Bundle order.
    fn of_kind(&self, kind: &str) -> Vec<ResId> {
        self.index.of_kind(kind)
    }

    /// The clinician a reference element (`recorder`, `asserter`, `performer[0]`, …)
    /// names: `ClinicianId("")` when it names none (absent, or an Organization); an
    /// error when it does not resolve.
    fn clinician(&self, field: &Value, from: ResId, element: &str) -> Result<ClinicianId, ReadError> {
        let target = self.index.target(field, from, element)?;
        Ok(target.and_then(|id| self.clinicians.get(&id).cloned()).unwrap_or_else(|| ClinicianId(String::new())))
    }

    /// The entry a reference element names, when it names a record entry.
    fn entry(&self, field: &Value, from: ResId, element: &str) -> Result<Option<EntryId>, ReadError> {
        Ok(self.index.target(field, from, element)?.and_then(|id| self.entries.get(id)))
    }

    /// Every clinical resource and List must be about the Bundle's Patient: a subject
    /// that is another Patient is a wrong-patient hazard, whatever else is right.
    fn check_subjects(&self) -> Result<(), ReadError> {
        for id in 0..self.index.len() {
            let res = self.index.get(id);
            let Some(element) = subject_element(res.kind) else { continue };
            let field = &res.value[element];
            if field.is_null() {
                return Err(invalid(res.kind, &format!("no {element}")));
            }
            if let Some(identifier) = field.get("identifier")
                && values::text(identifier, "system") == Some(super::urls::NHS_NUMBER_SYSTEM)
                && values::text(identifier, "value").and_then(|v| NhsNumber::parse(v).ok()) != Some(self.nhs)
            {
                return Err(ReadError::WrongPatient);
            }
            let Some(reference) = values::text(field, "reference") else { continue };
            match self.index.resolve(reference, id) {
                Some(target) if target == self.patient => {}
                Some(_) => return Err(invalid(res.kind, &format!("{element} is not the Patient"))),
                None if reference.contains("Patient/") => return Err(ReadError::WrongPatient),
                None => {
                    return Err(ReadError::UnresolvedReference(format!("{}.{element}", bundle::type_name(res.kind))));
                }
            }
        }
        Ok(())
    }

    /// One warning per resource type present in the Bundle but not read.
    fn skipped_warnings(&self) -> Vec<String> {
        let mut skipped: BTreeMap<&str, usize> = BTreeMap::new();
        for id in 0..self.index.len() {
            let res = self.index.get(id);
            if !KNOWN_TYPES.contains(&res.kind) {
                *skipped.entry(bundle::type_name(res.kind)).or_default() += 1;
            }
        }
        skipped
            .into_iter()
            .map(|(kind, count)| {
                format!("{count} {kind} resource(s) in the record could not be shown (not supported).")
            })
            .collect()
    }
}

/// The resource types the reader reads; any other type is reported as skipped.
const KNOWN_TYPES: &[&str] = &[
    "Patient",
    "Organization",
    "Practitioner",
    "PractitionerRole",
    "List",
    "AllergyIntolerance",
    "Medication",
    "MedicationStatement",
    "MedicationRequest",
    "Condition",
    "Encounter",
    "Observation",
    "DiagnosticReport",
    "Immunization",
    "ReferralRequest",
    "OperationOutcome",
];

/// The element naming the patient, for the types that must have one.
fn subject_element(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "AllergyIntolerance" | "Immunization" => "patient",
        "MedicationStatement"
        | "MedicationRequest"
        | "Condition"
        | "Encounter"
        | "Observation"
        | "DiagnosticReport"
        | "ReferralRequest"
        | "List" => "subject",
        _ => return None,
    })
}

/// [`ReadError::Invalid`] for a resource of `kind` (named only when it is a known type).
fn invalid(kind: &str, why: &str) -> ReadError {
    ReadError::Invalid { resource: bundle::type_name(kind).to_owned(), why: why.to_owned() }
}

/// Drops links (problem related items, consultation items) to ids the record does not
/// hold as entries: resources skipped as entered in error, or never entries at all.
fn drop_dangling_links(record: &mut GpRecord) {
    let ids: HashSet<EntryId> = record.entry_ids().collect();
    for problem in &mut record.problems {
        problem.related.retain(|id| ids.contains(id));
    }
    for encounter in &mut record.encounters {
        encounter.linked.retain(|id| ids.contains(id));
    }
}

/// Entries in entry-id order, encounters by start then id (see the module docs).
fn sort_entries(record: &mut GpRecord) {
    record.medications.sort_by_key(|e| e.meta.id.0);
    record.allergies.sort_by_key(|e| e.meta.id.0);
    record.problems.sort_by_key(|e| e.meta.id.0);
    record.encounters.sort_by_key(|e| (e.start, e.meta.id.0));
    record.observations.sort_by_key(|e| e.meta.id.0);
    record.immunisations.sort_by_key(|e| e.meta.id.0);
    record.referrals.sort_by_key(|e| e.meta.id.0);
}
