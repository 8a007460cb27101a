//! Allergies: active ones (Bundle entries), ended ones (contained in the "Ended
//! allergies" List, or anywhere with `clinicalStatus` resolved) and the coded "no known
//! allergies" statement, which the writer sends as an AllergyIntolerance coded 716186003
//! or 409137002.
//!
//! The recorded date is not in an AllergyIntolerance apart from `assertedDate`, so an
//! allergy's `recorded_on` is the first day its asserted date can mean.

use openmig_domain::PartialDate;
use openmig_domain::record::{
    Allergy, AllergyCategory, AllergyStatus, Criticality, EntryMeta, NoKnownAllergies, Reaction, Severity,
};
use serde_json::Value;

use super::super::urls;
use super::bundle::ResId;
use super::values::{concept_text, extension, first, nonblank, notes, optional_date, required_date, snomed, text};
use super::{NotRead, Reader, Section, invalid};

const KIND: &str = "AllergyIntolerance";

/// SNOMED CT 716186003 "No known allergy" and 409137002 "No known drug allergy".
const NO_KNOWN_ALLERGY_CODES: [u64; 2] = [716186003, 409137002];

/// `endReason`: gpconnect.md's name for the reason part of `allergyEnd`, read as well as
/// the writer's [`urls::ALLERGY_END_REASON`] (other providers may follow either).
const ALLERGY_END_REASON_ALTERNATIVE: &str = "endReason";

/// Every allergy, and the "no known allergies" statement when there is one.
pub(super) fn read(reader: &mut Reader<'_>) -> (Vec<Allergy>, Option<NoKnownAllergies>) {
    let mut allergies = Vec::new();
    let mut no_known_allergies: Option<NoKnownAllergies> = None;
    for id in reader.of_kind(KIND) {
        match reader.item(id, Section::Allergies, |reader| allergy(reader, id)) {
            Some(Read::Allergy(allergy)) => allergies.push(allergy),
            Some(Read::NoKnownAllergies(statement)) if no_known_allergies.is_none() => {
                no_known_allergies = Some(statement);
            }
            Some(Read::NoKnownAllergies(_)) => {
                reader.warnings.push("More than one \"no known allergies\" statement: only the first is shown.".into());
            }
            None => {}
        }
    }
    (allergies, no_known_allergies)
}

/// What one AllergyIntolerance is.
enum Read {
    Allergy(Allergy),
    NoKnownAllergies(NoKnownAllergies),
}

/// One AllergyIntolerance; `None` when entered in error.
fn allergy(reader: &mut Reader<'_>, id: ResId) -> Result<Option<Read>, NotRead> {
    let resource = reader.resource(id);
    if text(resource, "verificationStatus") == Some("entered-in-error") {
        return Ok(None);
    }
    let Some(entry) = reader.entries.get(id) else { return Ok(None) };
    let code = snomed(&resource["code"]).ok_or_else(|| invalid(KIND, "code is not SNOMED CT"))?;
    let recorded_by = reader.clinician(&resource["recorder"], id);
    let onset = optional_date(&resource["onsetDateTime"], KIND, "onsetDateTime")?;
    // `assertedDate` is when it was recorded; a supplier that leaves it out still dates
    // the allergy by its onset.
    let asserted = optional_date(&resource["assertedDate"], KIND, "assertedDate")?
        .or(onset)
        .ok_or_else(|| invalid(KIND, "no assertedDate or onset"))?;
    let meta = EntryMeta { id: entry, recorded_on: asserted.earliest(), recorded_by, confidential: false };
    if NO_KNOWN_ALLERGY_CODES.contains(&code.code.value()) {
        return Ok(Some(Read::NoKnownAllergies(NoKnownAllergies { meta, code, asserted: asserted.earliest() })));
    }
    let contained = reader.index.get(id).container.is_some();
    let status = status(resource, contained)?;
    let substance = first(resource, "reaction").and_then(|r| r.get("substance")).and_then(snomed);
    let mut notes: Vec<String> = notes(resource).into_iter().collect();
    let reaction = first(resource, "reaction").and_then(|reaction| {
        let read = self::reaction(reaction);
        if read.is_none() {
            notes.push(reaction_as_text(reaction));
        }
        read
    });
    Ok(Some(Read::Allergy(Allergy {
        meta,
        code,
        substance,
        category: category(resource),
        reaction,
        onset,
        asserted,
        status,
        criticality: text(resource, "criticality").and_then(Criticality::from_code),
        notes: (!notes.is_empty()).then(|| notes.join("\n")),
    })))
}

/// Active, or resolved with its `allergyEnd`. An allergy contained in a List with no
/// status is one of the "Ended allergies".
fn status(resource: &Value, contained: bool) -> Result<AllergyStatus, NotRead> {
    match (text(resource, "clinicalStatus"), contained) {
        (Some("active"), _) | (None, false) => Ok(AllergyStatus::Active),
        (Some("inactive" | "resolved"), _) | (None, true) => {
            let end = extension(resource, urls::ALLERGY_END_EXTENSION)
                .ok_or_else(|| invalid(KIND, "an ended allergy has no allergyEnd"))?;
            let on: PartialDate = match extension(end, urls::ALLERGY_END_DATE) {
                Some(date) => required_date(&date["valueDateTime"], KIND, "allergyEnd.endDate")?,
                None => return Err(invalid(KIND, "an ended allergy has no end date")),
            };
            let reason = extension(end, urls::ALLERGY_END_REASON)
                .or_else(|| extension(end, ALLERGY_END_REASON_ALTERNATIVE))
                .and_then(|r| text(r, "valueString"))
                .unwrap_or_default()
                .to_owned();
            Ok(AllergyStatus::Resolved { on, reason })
        }
        (Some(_), _) => Err(invalid(KIND, "clinicalStatus is not active or resolved")),
    }
}

/// GP Connect sends `medication` or `environment` (food included); STU3 also allows
/// `food` and `biologic`. No category (or one STU3 does not define) reads as
/// environment, GP Connect's "all other".
fn category(resource: &Value) -> AllergyCategory {
    match first(resource, "category").and_then(Value::as_str) {
        Some("medication") => AllergyCategory::Medication,
        Some("food") => AllergyCategory::Food,
        _ => AllergyCategory::Environment,
    }
}

/// The reaction, when its manifestation is coded in SNOMED CT; its severity is 0..1.
fn reaction(reaction: &Value) -> Option<Reaction> {
    let manifestation = first(reaction, "manifestation").and_then(snomed)?;
    Some(Reaction { manifestation, severity: severity(reaction) })
}

fn severity(reaction: &Value) -> Option<Severity> {
    match text(reaction, "severity")? {
        "mild" => Some(Severity::Mild),
        "moderate" => Some(Severity::Moderate),
        "severe" => Some(Severity::Severe),
        _ => None,
    }
}

/// A reaction the domain cannot hold as one (its manifestation only as text, or as
/// another code system, or only a description), kept as a line of the allergy's notes so
/// the clinician still reads it: "Reaction: rash (moderate)".
fn reaction_as_text(reaction: &Value) -> String {
    let said = first(reaction, "manifestation")
        .and_then(concept_text)
        .or_else(|| nonblank(reaction, "description"))
        .unwrap_or("not described");
    match severity(reaction) {
        Some(severity) => format!("Reaction: {said} ({})", severity.label()),
        None => format!("Reaction: {said}"),
    }
}
