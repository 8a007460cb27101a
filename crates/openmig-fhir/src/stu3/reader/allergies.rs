//! Allergies: active ones (Bundle entries), ended ones (contained in the "Ended
//! allergies" List, or anywhere with `clinicalStatus` resolved) and the coded "no known
//! allergies" statement, which the writer sends as an AllergyIntolerance coded 716186003
//! or 409137002.
//!
//! The recorded date is not in an AllergyIntolerance apart from `assertedDate`, so an
//! allergy's `recorded_on` is the first day its asserted date can mean.

use openmig_domain::PartialDate;
use openmig_domain::record::{
    Allergy, AllergyCategory, AllergyStatus, EntryMeta, NoKnownAllergies, Reaction, Severity,
};
use serde_json::Value;

use super::super::urls;
use super::values::{extension, first, optional_date, required_date, snomed, text};
use super::{ReadError, Reader, invalid};

const KIND: &str = "AllergyIntolerance";

/// SNOMED CT 716186003 "No known allergy" and 409137002 "No known drug allergy".
const NO_KNOWN_ALLERGY_CODES: [u64; 2] = [716186003, 409137002];

/// `endReason`: gpconnect.md's name for the reason part of `allergyEnd`, read as well as
/// the writer's [`urls::ALLERGY_END_REASON`] (other providers may follow either).
const ALLERGY_END_REASON_ALTERNATIVE: &str = "endReason";

/// Every allergy, and the "no known allergies" statement when there is one.
pub(super) fn read(reader: &mut Reader<'_>) -> Result<(Vec<Allergy>, Option<NoKnownAllergies>), ReadError> {
    let mut allergies = Vec::new();
    let mut no_known_allergies: Option<NoKnownAllergies> = None;
    for id in reader.of_kind(KIND) {
        let resource = reader.resource(id);
        if text(resource, "verificationStatus") == Some("entered-in-error") {
            continue;
        }
        let Some(entry) = reader.entries.get(id) else { continue };
        let code = snomed(&resource["code"]).ok_or_else(|| invalid(KIND, "code is not SNOMED CT"))?;
        let recorded_by = reader.clinician(&resource["recorder"], id, "AllergyIntolerance.recorder")?;
        let asserted = required_date(&resource["assertedDate"], KIND, "assertedDate")?;
        let meta = EntryMeta { id: entry, recorded_on: asserted.earliest(), recorded_by, confidential: false };
        if NO_KNOWN_ALLERGY_CODES.contains(&code.code.value()) {
            if no_known_allergies.is_some() {
                reader.warnings.push("More than one \"no known allergies\" statement: only the first is shown.".into());
                continue;
            }
            no_known_allergies = Some(NoKnownAllergies { meta, code, asserted: asserted.earliest() });
            continue;
        }
        let contained = reader.index.get(id).container.is_some();
        let status = status(resource, contained)?;
        let onset = optional_date(&resource["onsetDateTime"], KIND, "onsetDateTime")?;
        let substance = first(resource, "reaction").and_then(|r| r.get("substance")).and_then(snomed);
        let reaction = match first(resource, "reaction") {
            None => None,
            Some(reaction) => {
                let read = self::reaction(reaction);
                if read.is_none() {
                    reader.warnings.push(
                        "An allergy's reaction without a SNOMED CT manifestation or a severity is not shown.".into(),
                    );
                }
                read
            }
        };
        allergies.push(Allergy {
            meta,
            code,
            substance,
            category: category(resource)?,
            reaction,
            onset,
            asserted,
            status,
        });
    }
    Ok((allergies, no_known_allergies))
}

/// Active, or resolved with its `allergyEnd`. An allergy contained in a List with no
/// status is one of the "Ended allergies".
fn status(resource: &Value, contained: bool) -> Result<AllergyStatus, ReadError> {
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
/// `food` and `biologic`. No category reads as environment, GP Connect's "all other".
fn category(resource: &Value) -> Result<AllergyCategory, ReadError> {
    match first(resource, "category").map(Value::as_str) {
        None => Ok(AllergyCategory::Environment),
        Some(Some("medication")) => Ok(AllergyCategory::Medication),
        Some(Some("food")) => Ok(AllergyCategory::Food),
        Some(Some("environment" | "biologic")) => Ok(AllergyCategory::Environment),
        Some(_) => Err(invalid(KIND, "category is not an allergy category")),
    }
}

/// The reaction, when it has a coded manifestation and a severity.
fn reaction(reaction: &Value) -> Option<Reaction> {
    let manifestation = first(reaction, "manifestation").and_then(snomed)?;
    let severity = match text(reaction, "severity")? {
        "mild" => Severity::Mild,
        "moderate" => Severity::Moderate,
        "severe" => Severity::Severe,
        _ => return None,
    };
    Some(Reaction { manifestation, severity })
}
