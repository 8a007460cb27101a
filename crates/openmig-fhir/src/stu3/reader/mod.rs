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
//! # What it trusts, what it refuses, what it shows anyway
//!
//! Nothing in the Bundle is trusted: it may come from any GP system, or be damaged or
//! tampered with on the way. The reader never panics and reads at most
//! [`MAX_RESOURCES`] resources. It refuses the **whole record** ([`ReadError`]) only for
//! what would make showing it unsafe or meaningless:
//! - the Bundle's Patient is not the patient asked for, there are several Patients, a
//!   clinical resource is about another patient (or about someone the Bundle does not
//!   show to be this patient), or the Patient carries no NHS number to check (hazard H1
//!   in `security.md`: showing someone else's record is the worst failure);
//! - there is no Patient, or the answer is not a structured-record Bundle at all.
//!
//! Everything else is GP Connect as another supplier writes it, and the reader follows
//! the specification (GP Connect 1.6's CareConnect-GPC profiles and its pages), not
//! openmig's writer: every value type a profile allows is read, 0..1 elements may be
//! absent, dates may be partial where the profile allows it, and text wins where the
//! specification puts the meaning in text (a transfer-degraded code's `text`, a
//! consultation type given only as text). A resource that still cannot be read (a
//! medicine with no dm+d or SNOMED CT code, a date the domain needs and the resource
//! does not have) is never dropped silently: it becomes an [`UnshownItem`] in its
//! [`Section`] (what the clinician is shown in its place, with its own text) and a
//! warning. A reference that does not resolve costs only the item holding it (or, in a
//! List, only that List entry), never the record.
//!
//! Content the domain does not model (other resource types, and diary entries, which
//! are `ProcedureRequest`s like an investigation's supporting request) is skipped and
//! said so in [`ReadRecord::warnings`]; so are the Lists' warning codes (`confidential-items` sets
//! [`ReadRecord::withheld_items`]) and the provider's OperationOutcome.
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
//! - with [`read_structured_bundle_for`], what the Bundle leaves out of the Patient and
//!   the directory knows (the registered practice's ODS code, the date of birth, a death
//!   the Bundle does not date) is the directory's; [`read_structured_bundle`] refuses a
//!   Bundle that names no practice or gives no date of birth.

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

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use openmig_domain::{Clinician, ClinicianId, EntryId, GpRecord, NhsNumber, Patient, Practice};
use serde_json::Value;

use bundle::{Index, ResId};
use entries::EntryIds;

pub use super::section::Section;
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
    /// The registered practice, from the Patient's managing Organization (or its
    /// general practitioner Organization; else the practice asked, see
    /// [`read_structured_bundle_for`]).
    pub practice: Practice,
    /// Every Practitioner in the Bundle, in Bundle order.
    pub clinicians: Vec<Clinician>,
    /// What a clinician reading the record should be told: the Lists' warnings (e.g.
    /// items withheld as confidential), the provider's OperationOutcome, content skipped,
    /// and one line per [`UnshownItem`].
    pub warnings: Vec<String>,
    /// True when a List says the provider withheld items (`confidential-items`).
    pub withheld_items: bool,
    /// The sections those Lists belong to (a List of a kind openmig does not know sets
    /// [`ReadRecord::withheld_items`] only), so that whoever passes the record on can say
    /// so in the same place.
    pub withheld_sections: BTreeSet<Section>,
    /// The items the practice sent that could not be read, each to be shown in its
    /// section in place of the item (in Bundle order).
    pub unshown: Vec<UnshownItem>,
}

/// An item from the practice that could not be read into the record. It stands in its
/// section where the item would have been, so the clinician knows something is there
/// and what the practice called it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnshownItem {
    /// Where it belongs.
    pub section: Section,
    /// The item's own words, as the practice sent them (its code's text or display,
    /// else its notes), at most [`MAX_ITEM_TEXT_CHARS`] characters; empty when it has
    /// none.
    pub text: String,
    /// Why it could not be read, e.g. `MedicationStatement: no effectivePeriod.start`
    /// (element names only, never the Bundle's values).
    pub reason: String,
}

impl UnshownItem {
    /// The line a clinician is shown in its place.
    pub fn placeholder(&self) -> String {
        if self.text.is_empty() {
            "An item from the practice could not be shown.".to_owned()
        } else {
            format!("An item from the practice could not be shown: {}", self.text)
        }
    }
}

/// The longest text an [`UnshownItem`] carries.
pub const MAX_ITEM_TEXT_CHARS: usize = 200;

/// Why a Bundle could not be read at all. No variant carries patient data. Anything
/// short of these costs only the item it is in (see [`UnshownItem`]).
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
    /// or a clinical resource is about another patient or about someone the Bundle does
    /// not show to be this one.
    #[error("the Bundle is not about the patient asked for")]
    WrongPatient,
    /// The Bundle's Patient carries no NHS number, so it cannot be checked against the
    /// patient asked for (GP Connect makes it mandatory).
    #[error("the Bundle's Patient has no NHS number to check against the patient asked for")]
    UnidentifiedPatient,
    /// The Bundle holds no Patient.
    #[error("the Bundle holds no Patient")]
    MissingPatient,
    /// Neither the Bundle nor the caller names the patient's registered practice
    /// ([`read_structured_bundle`] only: [`read_structured_bundle_for`] knows it).
    #[error("the Bundle does not name the patient's registered practice")]
    MissingPractice,
    /// Neither the Bundle nor the caller gives the patient's date of birth
    /// ([`read_structured_bundle`] only).
    #[error("the Bundle does not give the patient's date of birth")]
    MissingBirthDate,
}

/// Why one resource could not be read: the resource type and element, never a value
/// from the Bundle. It makes the resource an [`UnshownItem`], never a refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
struct NotRead(String);

/// Reads the `$gpc.getstructuredrecord` response `bundle` for the patient with
/// `expected_nhs` (see the module docs). The Bundle must name the registered practice
/// and the patient's date of birth; a caller that located the patient itself should use
/// [`read_structured_bundle_for`].
pub fn read_structured_bundle(bundle: &Value, expected_nhs: NhsNumber) -> Result<ReadRecord, ReadError> {
    read(bundle, expected_nhs, None)
}

/// Reads `bundle` as the record of `located`, the patient as the caller's directory
/// (PDS) knows them: the NHS number must match, and where the Bundle leaves out what the
/// directory knows (the registered practice's ODS code, the date of birth) the
/// directory's is used.
pub fn read_structured_bundle_for(bundle: &Value, located: &Patient) -> Result<ReadRecord, ReadError> {
    read(bundle, located.nhs_number, Some(located))
}

fn read(bundle: &Value, expected_nhs: NhsNumber, located: Option<&Patient>) -> Result<ReadRecord, ReadError> {
    let index = Index::build(bundle)?;
    let patient = demographics::find_patient(&index, expected_nhs)?;
    let mut reader = Reader::new(index, patient, expected_nhs);
    reader.check_subjects()?;
    let practice = demographics::practice(&mut reader, located)?;
    lists::check_list_entries(&mut reader);
    lists::check_diary_entries(&mut reader);

    let clinicians = demographics::clinicians(&mut reader, &practice);
    let narratives = consultations::narratives(&reader);
    reader.entries = EntryIds::allocate(&reader.index, expected_nhs, &narratives);

    let medications = medications::read(&mut reader);
    let (allergies, no_known_allergies) = allergies::read(&mut reader);
    let observations = observations::read(&mut reader, &narratives);
    let immunisations = immunisations::read(&mut reader);
    let referrals = referrals::read(&mut reader);
    let problems = problems::read(&mut reader);
    let mut encounters = consultations::read(&mut reader, &narratives);
    for (consultation, problem) in std::mem::take(&mut reader.consultation_links) {
        if let Some(encounter) = encounters.iter_mut().find(|e| e.meta.id == consultation)
            && !encounter.linked.contains(&problem)
        {
            encounter.linked.push(problem);
        }
    }
    let patient = demographics::patient(&mut reader, &practice, located)?;

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

    let (mut warnings, withheld_items, withheld_sections) = lists::warnings(&reader);
    warnings.append(&mut reader.index.warnings());
    warnings.extend(reader.skipped_warnings());
    warnings.append(&mut reader.warnings);
    warnings.extend(reader.unshown.iter().map(|item| format!("{}: {}", item.section.label(), item.placeholder())));
    Ok(ReadRecord {
        record,
        practice,
        clinicians,
        warnings,
        withheld_items,
        withheld_sections,
        unshown: reader.unshown,
    })
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
    /// Items that could not be read, in the order met.
    unshown: Vec<UnshownItem>,
    /// `(consultation, problem)` for every consultation a problem names (its `context`
    /// or a `relatedClinicalContent`): the consultation links the problem, whether or
    /// not the consultation's own Lists say so.
    consultation_links: Vec<(EntryId, EntryId)>,
}

impl<'a> Reader<'a> {
    fn new(index: Index<'a>, patient: ResId, nhs: NhsNumber) -> Self {
        Reader {
            index,
            patient,
            nhs,
            entries: EntryIds::default(),
            clinicians: HashMap::new(),
            warnings: Vec::new(),
            unshown: Vec::new(),
            consultation_links: Vec::new(),
        }
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
    /// names: `ClinicianId("")` when it names none (absent, an Organization, or a
    /// reference that does not resolve: who recorded an item never costs the item).
    fn clinician(&self, field: &Value, from: ResId) -> ClinicianId {
        let target = self.index.target(field, from, "").ok().flatten();
        target.and_then(|id| self.clinicians.get(&id).cloned()).unwrap_or_else(|| ClinicianId(String::new()))
    }

    /// The entry a reference element names and its resource type, when it names a
    /// record entry.
    fn entry(&self, field: &Value, from: ResId) -> Option<(EntryId, &'a str)> {
        let target = self.index.target(field, from, "").ok().flatten()?;
        Some((self.entries.get(target)?, self.index.get(target).kind))
    }

    /// Reads the resource `id` with `read`; one that cannot be read becomes an
    /// [`UnshownItem`] in `section`.
    fn item<T>(
        &mut self,
        id: ResId,
        section: Section,
        read: impl FnOnce(&mut Self) -> Result<Option<T>, NotRead>,
    ) -> Option<T> {
        match read(self) {
            Ok(item) => item,
            Err(NotRead(reason)) => {
                let text = self.item_text(id);
                self.unshown.push(UnshownItem { section, text, reason });
                None
            }
        }
    }

    /// Every resource of `kind` read with `read` as an item of `section` (see
    /// [`Reader::item`]), in Bundle order.
    fn items<T>(
        &mut self,
        kind: &str,
        section: Section,
        mut read: impl FnMut(&mut Self, ResId) -> Result<Option<T>, NotRead>,
    ) -> Vec<T> {
        self.of_kind(kind).into_iter().filter_map(|id| self.item(id, section, |reader| read(reader, id))).collect()
    }

    /// What the practice called the item `id`, for its [`UnshownItem`]: a medicine by
    /// its product's name (from the Medication it refers to) and its dose.
    fn item_text(&self, id: ResId) -> String {
        let resource = self.resource(id);
        let medication = resource
            .get("medicationReference")
            .and_then(|r| self.index.target(r, id, "").ok().flatten())
            .map(|medication| own_text(self.resource(medication)));
        let name = medication.filter(|name| !name.is_empty()).unwrap_or_else(|| own_text(resource));
        let dose = values::first(resource, "dosage").and_then(|d| values::nonblank(d, "text"));
        let text = match (name.is_empty(), dose) {
            (false, Some(dose)) => format!("{name}, {dose}"),
            (true, Some(dose)) => dose.to_owned(),
            (_, None) => name,
        };
        text.chars().take(MAX_ITEM_TEXT_CHARS).collect()
    }

    /// Every clinical resource and List must be about the Bundle's Patient: a subject
    /// that is another Patient, or that cannot be shown to be this one (a reference that
    /// does not resolve, or resolves to a Group or anything else), is a wrong-patient
    /// hazard, whatever else is right: showing even that item's words as a placeholder
    /// could show someone else's record. No subject at all is taken as the Bundle's one
    /// Patient (the Bundle is about no one else).
    fn check_subjects(&self) -> Result<(), ReadError> {
        for id in 0..self.index.len() {
            let res = self.index.get(id);
            let Some(element) = subject_element(res.kind) else { continue };
            let field = &res.value[element];
            if let Some(identifier) = field.get("identifier")
                && values::text(identifier, "system") == Some(super::urls::NHS_NUMBER_SYSTEM)
                && values::text(identifier, "value").and_then(|v| NhsNumber::parse(v).ok()) != Some(self.nhs)
            {
                return Err(ReadError::WrongPatient);
            }
            let reference = match field.get("reference") {
                None => continue,
                Some(Value::String(reference)) => reference.as_str(),
                Some(_) => return Err(ReadError::WrongPatient),
            };
            if self.index.resolve(reference, id) != Some(self.patient) {
                return Err(ReadError::WrongPatient);
            }
        }
        Ok(())
    }

    /// One warning per resource type present in the Bundle but not read (supporting
    /// resources, which say where or how rather than what, are not worth one).
    fn skipped_warnings(&self) -> Vec<String> {
        let mut skipped: BTreeMap<&str, usize> = BTreeMap::new();
        for id in 0..self.index.len() {
            let res = self.index.get(id);
            if !KNOWN_TYPES.contains(&res.kind) && !SUPPORTING_TYPES.contains(&res.kind) {
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

/// Resource types GP Connect sends to support the record's items, not as items of their
/// own: where a vaccination was given (Location), the sample a test was run on
/// (Specimen), the request a report answers (ProcedureRequest), the system that
/// recorded something (Device).
const SUPPORTING_TYPES: &[&str] = &["Location", "Specimen", "ProcedureRequest", "Device"];

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

/// [`NotRead`] for a resource of `kind` (named only when it is a known type).
fn invalid(kind: &str, why: &str) -> NotRead {
    NotRead(format!("{}: {why}", bundle::type_name(kind)))
}

/// What a resource calls itself: its code's text or display (a medicine's product, an
/// immunisation's vaccine, a referral's reason), else its notes, bounded.
fn own_text(resource: &Value) -> String {
    let concept = ["code", "medicationCodeableConcept", "vaccineCode", "type", "reasonCode"]
        .iter()
        .find_map(|field| {
            let value = &resource[*field];
            let concept = value.as_array().and_then(|a| a.first()).unwrap_or(value);
            values::concept_text(concept)
        })
        .or_else(|| values::array(resource, "note").iter().find_map(|n| values::text(n, "text")))
        .or_else(|| values::text(resource, "comment"))
        .unwrap_or_default();
    concept.trim().chars().take(MAX_ITEM_TEXT_CHARS).collect()
}

/// Drops links (problem related items, consultation items) to ids the record does not
/// hold as entries: resources skipped as entered in error, or never entries at all.
fn drop_dangling_links(record: &mut GpRecord) {
    let ids: HashSet<EntryId> = record.entry_ids().collect();
    let problems: HashSet<EntryId> = record.problems.iter().map(|p| p.meta.id).collect();
    for problem in &mut record.problems {
        problem.related.retain(|id| ids.contains(id));
        problem.linked_problems.retain(|link| problems.contains(&link.problem));
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
