//! Reading a write-back document: a FHIR R4 document `Bundle` or a `DocumentReference`.
//!
//! [`parse`] is pure. It checks what the practice needs to file the document safely and
//! extracts it into a [`WritebackDocument`]: the patient's NHS number, the document's
//! business identifier, title, date, author organisation, coded diagnoses (SNOMED CT),
//! medication changes (dm+d) and the narrative as plain text. Each missing or invalid
//! element is its own [`ParseError`] naming the element (a FHIRPath-like location), so
//! a sending system's integrator knows what to fix. Messages never repeat a value from
//! the document.
//!
//! What is required, beyond FHIR's own cardinalities:
//!
//! - Bundle: `type = document`; `identifier` with `system` and `value` (the business
//!   identifier, FHIR invariant bdl-9); a `Composition` as the first entry with `status`
//!   (not `entered-in-error`), `subject` naming the patient by NHS number (an identifier
//!   on the reference, or a reference to a `Patient` entry that carries one), `title`,
//!   `date`, an `Organization` author and at least one section with narrative. Every
//!   `Patient` entry, and the subject of every `Condition` and `MedicationStatement`,
//!   must be the same patient: a document naming two patients is refused.
//! - DocumentReference: `status = current`; `masterIdentifier` (or an `identifier`) with
//!   `system` and `value`; `subject` with the NHS number identifier; `type`; `date`; an
//!   organisation as `author` (or `custodian`); a `text/plain` or `text/html`
//!   attachment with inline base64 `data` (a `url` is not fetched).
//!
//! The stored copy is the resource as received, in a canonical JSON form (object keys
//! sorted, insignificant whitespace removed), so a resubmission compares equal whatever
//! the sender's formatting.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, NaiveDate};
use openmig_domain::{NhsNumber, OdsCode, SnomedCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::html;

/// The NHS number identifier system.
pub const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";
/// The ODS organisation code identifier system.
pub const ODS_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
/// SNOMED CT.
pub const SNOMED_SYSTEM: &str = "http://snomed.info/sct";
/// The NHS Dictionary of Medicines and Devices (its ids are SNOMED CT concept ids).
pub const DMD_SYSTEM: &str = "https://dmd.nhs.uk";

/// The largest document accepted, in bytes of JSON.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// The largest attachment accepted, in bytes once decoded.
pub const MAX_ATTACHMENT_BYTES: usize = 512 * 1024;
/// The longest plain text kept for the list, in characters.
pub const MAX_TEXT_CHARS: usize = 200_000;
/// The most entries a Bundle may hold.
pub const MAX_ENTRIES: usize = 500;
/// The most diagnoses, and the most medication changes, one document may carry.
pub const MAX_CODED_ITEMS: usize = 200;
/// The longest title, display term, identifier or other short text, in characters.
pub const MAX_SHORT_TEXT: usize = 1_000;
/// How deeply sections may nest.
const MAX_SECTION_DEPTH: usize = 5;

/// The two resources a write-back may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DocumentKind {
    /// A FHIR document `Bundle` (type `document`).
    Bundle,
    /// A `DocumentReference` with the document as an attachment.
    DocumentReference,
}

impl DocumentKind {
    /// The FHIR resource type, e.g. `Bundle`.
    pub fn resource_type(self) -> &'static str {
        match self {
            DocumentKind::Bundle => "Bundle",
            DocumentKind::DocumentReference => "DocumentReference",
        }
    }

    /// The kind from its resource type, as stored.
    pub fn from_resource_type(text: &str) -> Option<DocumentKind> {
        match text {
            "Bundle" => Some(DocumentKind::Bundle),
            "DocumentReference" => Some(DocumentKind::DocumentReference),
            _ => None,
        }
    }
}

impl fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.resource_type())
    }
}

/// A document's business identifier: one document, however often it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DocumentIdentifier {
    /// The namespace, e.g. the sending system's URI.
    pub system: String,
    /// The identifier within it.
    pub value: String,
}

impl fmt::Display for DocumentIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}|{}", self.system, self.value)
    }
}

/// The organisation that wrote the document (at least one of the two is known).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorOrganisation {
    /// Its name.
    pub name: Option<String>,
    /// Its ODS code.
    pub ods: Option<OdsCode>,
}

impl fmt::Display for AuthorOrganisation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.name, &self.ods) {
            (Some(name), Some(ods)) => write!(f, "{name} ({ods})"),
            (Some(name), None) => f.write_str(name),
            (None, Some(ods)) => write!(f, "{ods}"),
            (None, None) => f.write_str("unknown organisation"),
        }
    }
}

/// A coded diagnosis from the document (a `Condition`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnosis {
    /// The SNOMED CT concept.
    #[serde(with = "code_text")]
    pub code: SnomedCode,
    /// The term as the sender displayed it.
    pub display: String,
    /// `Condition.clinicalStatus` (e.g. `active`, `resolved`), when given.
    pub clinical_status: Option<String>,
}

/// A medication change from the document (a `MedicationStatement`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MedicationChange {
    /// The dm+d product.
    #[serde(with = "code_text")]
    pub code: SnomedCode,
    /// The product name as the sender displayed it.
    pub display: String,
    /// `MedicationStatement.status`: `active` (started or continued), `stopped`,
    /// `on-hold`, `intended`, `completed`, ...
    pub status: String,
    /// Why (`statusReason`), when given.
    pub reason: Option<String>,
    /// The dose instruction (`dosage[0].text`), when given.
    pub dosage: Option<String>,
}

/// What the practice needs from a write-back document.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WritebackDocument {
    /// Which resource it came as.
    pub kind: DocumentKind,
    /// Its business identifier.
    pub identifier: DocumentIdentifier,
    /// The patient.
    pub nhs_number: NhsNumber,
    /// Its title, e.g. "Emergency department discharge summary".
    pub title: String,
    /// Its date, as FHIR wrote it (a date or a date-time with zone).
    pub date: String,
    /// Who wrote it.
    pub author: AuthorOrganisation,
    /// Coded diagnoses.
    pub diagnoses: Vec<Diagnosis>,
    /// Medication changes.
    pub medication_changes: Vec<MedicationChange>,
    /// The narrative as plain text.
    pub text: String,
}

/// Redacted: no NHS number, no clinical content.
impl fmt::Debug for WritebackDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WritebackDocument")
            .field("kind", &self.kind)
            .field("identifier", &self.identifier)
            .field("diagnoses", &self.diagnoses.len())
            .field("medication_changes", &self.medication_changes.len())
            .field("text_chars", &self.text.chars().count())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Diagnosis").finish_non_exhaustive()
    }
}

impl fmt::Debug for MedicationChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MedicationChange").field("status", &self.status).finish_non_exhaustive()
    }
}

/// A document that passed [`parse`]: its summary and its canonical JSON. Only `parse`
/// makes one, so the summary always describes the stored resource.
#[derive(Clone, Debug)]
pub struct ParsedDocument {
    summary: WritebackDocument,
    canonical: String,
}

impl ParsedDocument {
    /// What the practice needs from it.
    pub fn summary(&self) -> &WritebackDocument {
        &self.summary
    }

    /// The resource as received, in canonical JSON (keys sorted, no whitespace).
    pub fn canonical_json(&self) -> &str {
        &self.canonical
    }

    pub(crate) fn into_parts(self) -> (WritebackDocument, String) {
        (self.summary, self.canonical)
    }
}

/// Why a document was not accepted. Each names the element at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The body is larger than [`MAX_DOCUMENT_BYTES`].
    #[error("the document is larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// The body is not JSON.
    #[error("the body is not valid JSON (line {line}, column {column})")]
    NotJson {
        /// Where the JSON breaks.
        line: usize,
        /// Where the JSON breaks.
        column: usize,
    },
    /// The JSON is not the resource this endpoint takes.
    #[error("expected a FHIR {expected} resource, found {found}")]
    WrongResourceType {
        /// What the endpoint takes.
        expected: &'static str,
        /// What was sent (at most 40 characters of it).
        found: String,
    },
    /// A required element is absent or empty.
    #[error("{element} is missing: {what}")]
    Missing {
        /// The element, e.g. `Composition.subject`.
        element: String,
        /// What is needed there.
        what: &'static str,
    },
    /// An element is present but unusable.
    #[error("{element} is not valid: {why}")]
    Invalid {
        /// The element.
        element: String,
        /// What is wrong (never the value itself).
        why: String,
    },
}

impl ParseError {
    /// The element at fault, when the error is about one.
    pub fn element(&self) -> Option<&str> {
        match self {
            ParseError::Missing { element, .. } | ParseError::Invalid { element, .. } => Some(element),
            _ => None,
        }
    }

    fn missing(element: impl Into<String>, what: &'static str) -> ParseError {
        ParseError::Missing { element: element.into(), what }
    }

    fn invalid(element: impl Into<String>, why: impl Into<String>) -> ParseError {
        ParseError::Invalid { element: element.into(), why: why.into() }
    }
}

/// Reads a write-back document of `kind` from a request body.
pub fn parse(kind: DocumentKind, body: &[u8]) -> Result<ParsedDocument, ParseError> {
    if body.len() > MAX_DOCUMENT_BYTES {
        return Err(ParseError::TooLarge { limit: MAX_DOCUMENT_BYTES });
    }
    let root: Value = serde_json::from_slice(body)
        .map_err(|error| ParseError::NotJson { line: error.line(), column: error.column() })?;
    let found = root.get("resourceType").and_then(Value::as_str);
    if found != Some(kind.resource_type()) {
        let found = match found {
            Some(text) => text.chars().take(40).collect(),
            None if root.is_object() => "an object without resourceType".to_string(),
            None => "something that is not a JSON object".to_string(),
        };
        return Err(ParseError::WrongResourceType { expected: kind.resource_type(), found });
    }
    let summary = match kind {
        DocumentKind::Bundle => bundle(&root)?,
        DocumentKind::DocumentReference => document_reference(&root)?,
    };
    let canonical = canonical(&root).to_string();
    Ok(ParsedDocument { summary, canonical })
}

/// One resource of a Bundle, with how it may be referred to.
struct Entry<'a> {
    index: usize,
    full_url: Option<&'a str>,
    resource: &'a Value,
    resource_type: &'a str,
}

impl Entry<'_> {
    fn element(&self) -> String {
        format!("Bundle.entry[{}].resource ({})", self.index, self.resource_type)
    }
}

fn bundle(root: &Value) -> Result<WritebackDocument, ParseError> {
    match text(root, "type") {
        Some("document") => {}
        Some(_) => return Err(ParseError::invalid("Bundle.type", "a write-back Bundle must be of type document")),
        None => return Err(ParseError::missing("Bundle.type", "the Bundle type (document)")),
    }
    let identifier = identifier(root.get("identifier"), "Bundle.identifier")?
        .ok_or_else(|| ParseError::missing("Bundle.identifier", "the document's identifier (system and value)"))?;
    let entries = entries(root)?;
    let composition = entries.first().filter(|entry| entry.resource_type == "Composition").ok_or_else(|| {
        ParseError::invalid("Bundle.entry[0].resource", "the first entry of a document must be its Composition")
    })?;
    let resource = composition.resource;
    match text(resource, "status") {
        Some("preliminary" | "final" | "amended") => {}
        Some("entered-in-error") => {
            return Err(ParseError::invalid("Composition.status", "a document entered in error is not filed"));
        }
        Some(_) => return Err(ParseError::invalid("Composition.status", "not a Composition status")),
        None => return Err(ParseError::missing("Composition.status", "the document status (final, amended...)")),
    }
    let subject = resource
        .get("subject")
        .ok_or_else(|| ParseError::missing("Composition.subject", "the patient, identified by NHS number"))?;
    let nhs_number = reference_nhs(subject, &entries, "Composition.subject")?.ok_or_else(|| {
        ParseError::missing(
            "Composition.subject",
            "the patient's NHS number (identifier system https://fhir.nhs.uk/Id/nhs-number)",
        )
    })?;
    same_patient_everywhere(&entries, nhs_number)?;
    let title = short_text(resource, "title", "Composition.title")?
        .ok_or_else(|| ParseError::missing("Composition.title", "the document title"))?;
    let date = date(resource, "date", "Composition.date")?;
    let authors = resource.get("author").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    if authors.is_empty() {
        return Err(ParseError::missing("Composition.author", "who wrote the document"));
    }
    let author = author_organisation(authors, &entries, "Composition.author")?.ok_or_else(|| {
        ParseError::missing(
            "Composition.author",
            "an Organization author (a reference to an Organization entry, or an ODS code identifier)",
        )
    })?;
    let text = sections(resource)?;
    let mut diagnoses = Vec::new();
    let mut medication_changes = Vec::new();
    for entry in &entries[1..] {
        match entry.resource_type {
            "Condition" => {
                subject_is(entry, &entries, nhs_number)?;
                diagnoses.push(diagnosis(entry)?);
            }
            "MedicationStatement" => {
                subject_is(entry, &entries, nhs_number)?;
                medication_changes.push(medication_change(entry, &entries)?);
            }
            _ => {}
        }
    }
    if diagnoses.len() > MAX_CODED_ITEMS {
        return Err(ParseError::invalid("Bundle.entry", format!("at most {MAX_CODED_ITEMS} Conditions are accepted")));
    }
    if medication_changes.len() > MAX_CODED_ITEMS {
        return Err(ParseError::invalid(
            "Bundle.entry",
            format!("at most {MAX_CODED_ITEMS} MedicationStatements are accepted"),
        ));
    }
    Ok(WritebackDocument {
        kind: DocumentKind::Bundle,
        identifier,
        nhs_number,
        title,
        date,
        author,
        diagnoses,
        medication_changes,
        text,
    })
}

fn entries(root: &Value) -> Result<Vec<Entry<'_>>, ParseError> {
    let list = match root.get("entry") {
        None => return Err(ParseError::missing("Bundle.entry", "the Composition and the resources it refers to")),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(ParseError::invalid("Bundle.entry", "must be an array")),
    };
    if list.is_empty() {
        return Err(ParseError::missing("Bundle.entry", "the Composition and the resources it refers to"));
    }
    if list.len() > MAX_ENTRIES {
        return Err(ParseError::invalid("Bundle.entry", format!("at most {MAX_ENTRIES} entries are accepted")));
    }
    list.iter()
        .enumerate()
        .map(|(index, entry)| {
            let resource = entry
                .get("resource")
                .filter(|resource| resource.is_object())
                .ok_or_else(|| ParseError::missing(format!("Bundle.entry[{index}].resource"), "the resource"))?;
            let resource_type = text(resource, "resourceType").ok_or_else(|| {
                ParseError::missing(format!("Bundle.entry[{index}].resource.resourceType"), "the resource type")
            })?;
            Ok(Entry { index, full_url: text(entry, "fullUrl"), resource, resource_type })
        })
        .collect()
}

/// The entry a reference points at: by `fullUrl`, or by `Type/id`.
fn resolve<'a, 'e>(reference: &str, entries: &'e [Entry<'a>]) -> Option<&'e Entry<'a>> {
    if let Some(entry) = entries.iter().find(|entry| entry.full_url == Some(reference)) {
        return Some(entry);
    }
    let (kind, id) = reference.rsplit_once('/').map(|(head, id)| (head.rsplit('/').next().unwrap_or(head), id))?;
    entries.iter().find(|entry| entry.resource_type == kind && text(entry.resource, "id") == Some(id))
}

/// The NHS number a patient reference names: through its identifier, through the
/// Patient entry it points at, or both (which must then agree). `None` when it names
/// no NHS number at all.
fn reference_nhs(reference: &Value, entries: &[Entry<'_>], element: &str) -> Result<Option<NhsNumber>, ParseError> {
    let by_identifier = match reference.get("identifier") {
        Some(identifier) if text(identifier, "system") == Some(NHS_NUMBER_SYSTEM) => {
            Some(nhs_value(identifier, &format!("{element}.identifier"))?)
        }
        _ => None,
    };
    let by_reference = match text(reference, "reference") {
        None => None,
        Some(target) => {
            let entry = resolve(target, entries).ok_or_else(|| {
                ParseError::invalid(format!("{element}.reference"), "does not resolve to a Patient entry in the Bundle")
            })?;
            if entry.resource_type != "Patient" {
                return Err(ParseError::invalid(format!("{element}.reference"), "does not refer to a Patient"));
            }
            Some(patient_nhs(entry)?)
        }
    };
    match (by_identifier, by_reference) {
        (Some(a), Some(b)) if a != b => Err(ParseError::invalid(
            element,
            "its identifier and its reference name different patients (a wrong-patient hazard)",
        )),
        (a, b) => Ok(a.or(b)),
    }
}

fn patient_nhs(entry: &Entry<'_>) -> Result<NhsNumber, ParseError> {
    let element = format!("{}.identifier", entry.element());
    let identifiers = entry.resource.get("identifier").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let nhs = identifiers
        .iter()
        .find(|identifier| text(identifier, "system") == Some(NHS_NUMBER_SYSTEM))
        .ok_or_else(|| ParseError::missing(element.clone(), "the patient's NHS number identifier"))?;
    nhs_value(nhs, &element)
}

fn nhs_value(identifier: &Value, element: &str) -> Result<NhsNumber, ParseError> {
    let value = text(identifier, "value").ok_or_else(|| ParseError::missing(element, "the NHS number value"))?;
    NhsNumber::parse(value)
        .map_err(|_| ParseError::invalid(element, "the NHS number is not valid (10 digits with a Modulus 11 check)"))
}

/// Every Patient in the Bundle is the document's patient.
fn same_patient_everywhere(entries: &[Entry<'_>], nhs_number: NhsNumber) -> Result<(), ParseError> {
    for entry in entries.iter().filter(|entry| entry.resource_type == "Patient") {
        if patient_nhs(entry)? != nhs_number {
            return Err(ParseError::invalid(
                entry.element(),
                "is a different patient from the Composition's subject (a wrong-patient hazard)",
            ));
        }
    }
    Ok(())
}

/// A clinical entry is about the document's patient.
fn subject_is(entry: &Entry<'_>, entries: &[Entry<'_>], nhs_number: NhsNumber) -> Result<(), ParseError> {
    let element = format!("{}.subject", entry.element());
    let subject = entry.resource.get("subject").ok_or_else(|| ParseError::missing(element.clone(), "the patient"))?;
    match reference_nhs(subject, entries, &element)? {
        Some(found) if found == nhs_number => Ok(()),
        Some(_) => Err(ParseError::invalid(
            element,
            "is a different patient from the Composition's subject (a wrong-patient hazard)",
        )),
        None => Err(ParseError::missing(element, "a reference to the patient or their NHS number identifier")),
    }
}

fn diagnosis(entry: &Entry<'_>) -> Result<Diagnosis, ParseError> {
    let element = format!("{}.code", entry.element());
    let code = entry.resource.get("code").ok_or_else(|| ParseError::missing(element.clone(), "the diagnosis"))?;
    let (code, display) = coded(code, &[SNOMED_SYSTEM], &element, "a SNOMED CT coding of the diagnosis")?;
    let clinical_status = entry
        .resource
        .get("clinicalStatus")
        .and_then(|status| status.get("coding"))
        .and_then(Value::as_array)
        .and_then(|codings| codings.iter().find_map(|coding| text(coding, "code")))
        .map(|status| clip(status, 40));
    Ok(Diagnosis { code, display, clinical_status })
}

fn medication_change(entry: &Entry<'_>, entries: &[Entry<'_>]) -> Result<MedicationChange, ParseError> {
    let resource = entry.resource;
    let status = match text(resource, "status") {
        Some(
            status @ ("active" | "completed" | "intended" | "stopped" | "on-hold" | "unknown" | "not-taken"
            | "entered-in-error"),
        ) => status.to_string(),
        Some(_) => {
            return Err(ParseError::invalid(format!("{}.status", entry.element()), "not a MedicationStatement status"));
        }
        None => {
            return Err(ParseError::missing(
                format!("{}.status", entry.element()),
                "whether the medicine was started, stopped or changed",
            ));
        }
    };
    let (code, display) = if let Some(concept) = resource.get("medicationCodeableConcept") {
        let element = format!("{}.medicationCodeableConcept", entry.element());
        coded(concept, &[DMD_SYSTEM, SNOMED_SYSTEM], &element, "a dm+d coding of the medicine")?
    } else if let Some(reference) = resource.get("medicationReference") {
        let element = format!("{}.medicationReference", entry.element());
        let target =
            text(reference, "reference").ok_or_else(|| ParseError::missing(element.clone(), "the reference"))?;
        let medication =
            resolve(target, entries).filter(|found| found.resource_type == "Medication").ok_or_else(|| {
                ParseError::invalid(element.clone(), "does not resolve to a Medication entry in the Bundle")
            })?;
        let code_element = format!("{}.code", medication.element());
        let concept =
            medication.resource.get("code").ok_or_else(|| ParseError::missing(code_element.clone(), "the medicine"))?;
        coded(concept, &[DMD_SYSTEM, SNOMED_SYSTEM], &code_element, "a dm+d coding of the medicine")?
    } else {
        return Err(ParseError::missing(
            format!("{}.medication[x]", entry.element()),
            "the medicine (medicationCodeableConcept or medicationReference)",
        ));
    };
    let reason = resource
        .get("statusReason")
        .and_then(Value::as_array)
        .and_then(|reasons| reasons.first())
        .and_then(concept_text)
        .map(|reason| clip(reason, MAX_SHORT_TEXT));
    let dosage = resource
        .get("dosage")
        .and_then(Value::as_array)
        .and_then(|dosages| dosages.first())
        .and_then(|dosage| text(dosage, "text"))
        .map(|dosage| clip(dosage, MAX_SHORT_TEXT));
    Ok(MedicationChange { code, display, status, reason, dosage })
}

/// The first coding in one of `systems`, validated, with its display term (or the
/// concept's text).
fn coded(
    concept: &Value,
    systems: &[&str],
    element: &str,
    what: &'static str,
) -> Result<(SnomedCode, String), ParseError> {
    let codings = concept.get("coding").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let (index, coding) = codings
        .iter()
        .enumerate()
        .find(|(_, coding)| text(coding, "system").is_some_and(|system| systems.contains(&system)))
        .ok_or_else(|| ParseError::missing(format!("{element}.coding"), what))?;
    let at = format!("{element}.coding[{index}]");
    let code = text(coding, "code").ok_or_else(|| ParseError::missing(format!("{at}.code"), "the code"))?;
    let code = SnomedCode::parse(code).map_err(|_| {
        ParseError::invalid(format!("{at}.code"), "not a valid SNOMED CT identifier (partition and check digit)")
    })?;
    let display = text(coding, "display")
        .or_else(|| text(concept, "text"))
        .ok_or_else(|| ParseError::missing(format!("{at}.display"), "the term, so the practice can read it"))?;
    Ok((code, clip(display, MAX_SHORT_TEXT)))
}

/// The narrative of every section (nested ones too), each under its title.
fn sections(composition: &Value) -> Result<String, ParseError> {
    let list = composition.get("section").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    if list.is_empty() {
        return Err(ParseError::missing("Composition.section", "at least one section with narrative text"));
    }
    let mut lines = Vec::new();
    let mut narrative = false;
    for (index, section) in list.iter().enumerate() {
        section_text(section, &format!("Composition.section[{index}]"), 1, &mut lines, &mut narrative)?;
    }
    if !narrative {
        return Err(ParseError::missing("Composition.section.text", "at least one section with narrative text"));
    }
    let text = lines.join("\n");
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(ParseError::invalid(
            "Composition.section",
            format!("the narrative is longer than {MAX_TEXT_CHARS} characters"),
        ));
    }
    Ok(text)
}

fn section_text(
    section: &Value,
    element: &str,
    depth: usize,
    lines: &mut Vec<String>,
    narrative: &mut bool,
) -> Result<(), ParseError> {
    if depth > MAX_SECTION_DEPTH {
        return Err(ParseError::invalid(element, format!("sections nest at most {MAX_SECTION_DEPTH} deep")));
    }
    if let Some(title) = text(section, "title") {
        lines.push(clip(title, MAX_SHORT_TEXT));
    }
    if let Some(text_element) = section.get("text") {
        let div = text(text_element, "div")
            .ok_or_else(|| ParseError::missing(format!("{element}.text.div"), "the narrative (XHTML div)"))?;
        let plain = html::to_text(div);
        if !plain.is_empty() {
            lines.push(plain);
            *narrative = true;
        }
    }
    let children = section.get("section").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    for (index, child) in children.iter().enumerate() {
        section_text(child, &format!("{element}.section[{index}]"), depth + 1, lines, narrative)?;
    }
    Ok(())
}

/// The organisation among `authors`: a reference to an Organization entry, or a
/// reference typed `Organization` or carrying an ODS code identifier. `None` when no
/// author is an organisation.
fn author_organisation(
    authors: &[Value],
    entries: &[Entry<'_>],
    element: &str,
) -> Result<Option<AuthorOrganisation>, ParseError> {
    for (index, author) in authors.iter().enumerate() {
        let at = format!("{element}[{index}]");
        if let Some(target) = text(author, "reference")
            && let Some(entry) = resolve(target, entries)
        {
            if entry.resource_type != "Organization" {
                continue;
            }
            let name = text(entry.resource, "name").map(|name| clip(name, MAX_SHORT_TEXT));
            let identifiers =
                entry.resource.get("identifier").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
            let ods = identifiers
                .iter()
                .find(|identifier| text(identifier, "system") == Some(ODS_SYSTEM))
                .map(|identifier| ods_value(identifier, &format!("{}.identifier", entry.element())))
                .transpose()?;
            if name.is_some() || ods.is_some() {
                return Ok(Some(AuthorOrganisation { name, ods }));
            }
            return Err(ParseError::missing(entry.element(), "the organisation's name or ODS code"));
        }
        let identifier = author.get("identifier").filter(|identifier| text(identifier, "system") == Some(ODS_SYSTEM));
        let typed = text(author, "type") == Some("Organization");
        if identifier.is_none() && !typed {
            continue;
        }
        let ods = identifier.map(|identifier| ods_value(identifier, &format!("{at}.identifier"))).transpose()?;
        let name = text(author, "display").map(|name| clip(name, MAX_SHORT_TEXT));
        if name.is_some() || ods.is_some() {
            return Ok(Some(AuthorOrganisation { name, ods }));
        }
        return Err(ParseError::missing(at, "the organisation's name (display) or ODS code"));
    }
    Ok(None)
}

fn ods_value(identifier: &Value, element: &str) -> Result<OdsCode, ParseError> {
    let value = text(identifier, "value").ok_or_else(|| ParseError::missing(element, "the ODS code"))?;
    OdsCode::parse(value).map_err(|_| ParseError::invalid(element, "not a valid ODS code"))
}

fn document_reference(root: &Value) -> Result<WritebackDocument, ParseError> {
    match text(root, "status") {
        Some("current") => {}
        Some(_) => {
            return Err(ParseError::invalid(
                "DocumentReference.status",
                "only a current document is filed (not superseded or entered in error)",
            ));
        }
        None => return Err(ParseError::missing("DocumentReference.status", "the status (current)")),
    }
    let identifier = match identifier(root.get("masterIdentifier"), "DocumentReference.masterIdentifier")? {
        Some(identifier) => identifier,
        None => {
            let first = root.get("identifier").and_then(Value::as_array).and_then(|list| list.first());
            identifier(first, "DocumentReference.identifier[0]")?.ok_or_else(|| {
                ParseError::missing(
                    "DocumentReference.masterIdentifier",
                    "the document's identifier (masterIdentifier or identifier, with system and value)",
                )
            })?
        }
    };
    let subject = root
        .get("subject")
        .ok_or_else(|| ParseError::missing("DocumentReference.subject", "the patient, identified by NHS number"))?;
    let nhs_number = reference_nhs(subject, &[], "DocumentReference.subject")?.ok_or_else(|| {
        ParseError::missing(
            "DocumentReference.subject.identifier",
            "the patient's NHS number (identifier system https://fhir.nhs.uk/Id/nhs-number)",
        )
    })?;
    let kind = root
        .get("type")
        .and_then(concept_text)
        .ok_or_else(|| ParseError::missing("DocumentReference.type", "the kind of document (text or a coding)"))?;
    let date = date(root, "date", "DocumentReference.date")?;
    let authors = root.get("author").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let author = match author_organisation(authors, &[], "DocumentReference.author")? {
        Some(author) => author,
        None => {
            let custodian = root.get("custodian").map(std::slice::from_ref).unwrap_or_default();
            author_organisation(custodian, &[], "DocumentReference.custodian")?.ok_or_else(|| {
                ParseError::missing(
                    "DocumentReference.author",
                    "the organisation that wrote the document (type Organization or an ODS code identifier)",
                )
            })?
        }
    };
    let (attachment_title, text) = attachment(root)?;
    let title = text_of(root, "description").or(attachment_title).unwrap_or_else(|| kind.to_string());
    Ok(WritebackDocument {
        kind: DocumentKind::DocumentReference,
        identifier,
        nhs_number,
        title: clip(&title, MAX_SHORT_TEXT),
        date,
        author,
        diagnoses: Vec::new(),
        medication_changes: Vec::new(),
        text,
    })
}

/// The first text attachment: its title and its text.
fn attachment(root: &Value) -> Result<(Option<String>, String), ParseError> {
    let content = root.get("content").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    if content.is_empty() {
        return Err(ParseError::missing("DocumentReference.content", "the document as an attachment"));
    }
    for (index, item) in content.iter().enumerate() {
        let element = format!("DocumentReference.content[{index}].attachment");
        let attachment =
            item.get("attachment").ok_or_else(|| ParseError::missing(element.clone(), "the attachment"))?;
        let media = text(attachment, "contentType")
            .ok_or_else(|| ParseError::missing(format!("{element}.contentType"), "the media type"))?;
        let media = media.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        let html = match media.as_str() {
            "text/plain" => false,
            "text/html" | "application/xhtml+xml" => true,
            _ => continue,
        };
        let Some(data) = text(attachment, "data") else {
            let why = if attachment.get("url").is_some() {
                "only inline base64 data is accepted; the gateway does not fetch a url"
            } else {
                "the attachment has no data"
            };
            return Err(ParseError::invalid(format!("{element}.data"), why));
        };
        let compact: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        if compact.len() / 4 * 3 > MAX_ATTACHMENT_BYTES + 3 {
            return Err(ParseError::invalid(
                format!("{element}.data"),
                format!("the attachment is larger than {MAX_ATTACHMENT_BYTES} bytes"),
            ));
        }
        let bytes = STANDARD
            .decode(compact.as_bytes())
            .map_err(|_| ParseError::invalid(format!("{element}.data"), "not valid base64"))?;
        if bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(ParseError::invalid(
                format!("{element}.data"),
                format!("the attachment is larger than {MAX_ATTACHMENT_BYTES} bytes"),
            ));
        }
        let decoded = String::from_utf8(bytes)
            .map_err(|_| ParseError::invalid(format!("{element}.data"), "the text is not UTF-8"))?;
        let plain = if html {
            html::to_text(&decoded)
        } else {
            decoded.lines().map(str::trim_end).collect::<Vec<_>>().join("\n").trim().to_string()
        };
        if plain.is_empty() {
            return Err(ParseError::invalid(format!("{element}.data"), "the attachment holds no text"));
        }
        if plain.chars().count() > MAX_TEXT_CHARS {
            return Err(ParseError::invalid(
                format!("{element}.data"),
                format!("the text is longer than {MAX_TEXT_CHARS} characters"),
            ));
        }
        let title = text(attachment, "title").map(|title| clip(title, MAX_SHORT_TEXT));
        return Ok((title, plain));
    }
    Err(ParseError::invalid(
        "DocumentReference.content",
        "no attachment is text/plain or text/html (the only media types the practice inbox files)",
    ))
}

/// A business identifier with system and value; `None` when the element is absent.
fn identifier(value: Option<&Value>, element: &str) -> Result<Option<DocumentIdentifier>, ParseError> {
    let Some(value) = value else { return Ok(None) };
    if !value.is_object() {
        return Err(ParseError::invalid(element, "must be an Identifier"));
    }
    let system = text(value, "system")
        .ok_or_else(|| ParseError::missing(format!("{element}.system"), "the identifier's namespace (a URI)"))?;
    let id = text(value, "value").ok_or_else(|| ParseError::missing(format!("{element}.value"), "the identifier"))?;
    if system.chars().count() > MAX_SHORT_TEXT || id.chars().count() > MAX_SHORT_TEXT {
        return Err(ParseError::invalid(element, format!("longer than {MAX_SHORT_TEXT} characters")));
    }
    Ok(Some(DocumentIdentifier { system: system.to_string(), value: id.to_string() }))
}

/// A FHIR `date` or `dateTime` (a time needs its zone).
fn date(resource: &Value, key: &str, element: &str) -> Result<String, ParseError> {
    let value = text(resource, key).ok_or_else(|| ParseError::missing(element, "the document's date"))?;
    let valid = match value.len() {
        4 => value.chars().all(|c| c.is_ascii_digit()),
        7 => NaiveDate::parse_from_str(&format!("{value}-01"), "%Y-%m-%d").is_ok(),
        10 => NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok(),
        _ => value.contains('T') && DateTime::parse_from_rfc3339(value).is_ok(),
    };
    if !valid {
        return Err(ParseError::invalid(
            element,
            "not a FHIR date or dateTime (YYYY-MM-DD, or YYYY-MM-DDThh:mm:ss with a zone)",
        ));
    }
    Ok(value.to_string())
}

/// A short text element, clipped; an over-long one is refused.
fn short_text(resource: &Value, key: &str, element: &str) -> Result<Option<String>, ParseError> {
    match text(resource, key) {
        Some(value) if value.chars().count() > MAX_SHORT_TEXT => {
            Err(ParseError::invalid(element, format!("longer than {MAX_SHORT_TEXT} characters")))
        }
        Some(value) => Ok(Some(value.to_string())),
        None => Ok(None),
    }
}

/// A CodeableConcept as text: its `text`, else its first coding's display, else code.
fn concept_text(concept: &Value) -> Option<&str> {
    text(concept, "text").or_else(|| {
        let codings = concept.get("coding")?.as_array()?;
        codings
            .iter()
            .find_map(|coding| text(coding, "display"))
            .or_else(|| codings.iter().find_map(|c| text(c, "code")))
    })
}

fn text_of(value: &Value, key: &str) -> Option<String> {
    text(value, key).map(str::to_string)
}

/// A non-empty string element, trimmed.
fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key)?.as_str().map(str::trim).filter(|text| !text.is_empty())
}

fn clip(text: &str, limit: usize) -> String {
    text.chars().take(limit).collect()
}

/// The value with every object's keys in sorted order (whatever serde_json's map is).
fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut sorted = Map::new();
            for key in keys {
                sorted.insert(key.clone(), canonical(&map[key]));
            }
            Value::Object(sorted)
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// SNOMED CT ids as JSON strings: dm+d ids exceed 2^53, which JavaScript cannot hold.
mod code_text {
    use openmig_domain::SnomedCode;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(code: &SnomedCode, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(code)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<SnomedCode, D::Error> {
        let text = String::deserialize(deserializer)?;
        SnomedCode::parse(&text).map_err(serde::de::Error::custom)
    }
}
