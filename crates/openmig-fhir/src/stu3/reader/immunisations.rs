//! Immunisations: every `Immunization`, given or not given.
//!
//! GP Connect 1.6 sends the vaccination in the mandatory `vaccinationProcedure`
//! extension and the product as `vaccineCode`; older providers (and openmig's writer
//! before it followed the page) sent only `vaccineCode`. So:
//! - with `vaccinationProcedure`: it is the vaccination, `vaccineCode` the product;
//! - with a note but no procedure code (openmig's old form): `vaccineCode` is the
//!   product and stands for the vaccination too, since its code is all the Bundle says;
//! - otherwise `vaccineCode` is the vaccination and there is no product.
//!
//! A `vaccineCode` of NullFlavor `UNK` (GP Connect's Immunization page: "where the
//! vaccine product is unknown") means there is no product, and the vaccination is the
//! procedure's. The date is 0..1: without it, the vaccination is dated by when it was
//! recorded.
//!
//! An Immunization names no recorder, so `recorded_by` is the unknown clinician;
//! `recorded_on` is CareConnect's `dateRecorded` when sent, else the first day the
//! vaccination date can mean. The dose number is `vaccinationProtocol[0].doseSequence`.

use openmig_domain::record::{EntryMeta, Immunisation, ImmunisationStatus};
use openmig_domain::{ClinicianId, PartialDate};
use serde_json::Value;

use super::super::urls;
use super::bundle::ResId;
use super::values::{code_in, concept_text, extension, first, optional_date, snomed, text, whole};
use super::{NotRead, Reader, Section, invalid};

const KIND: &str = "Immunization";

/// The recorded date: GP Connect's `Extension-CareConnect-GPC-DateRecorded-1` (its 1.6
/// Immunization page and examples), or CareConnect's own.
const DATE_RECORDED_EXTENSIONS: [&str; 2] = [
    urls::DATE_RECORDED_EXTENSION,
    "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-DateRecorded-1",
];

/// Every immunisation.
pub(super) fn read(reader: &mut Reader<'_>) -> Vec<Immunisation> {
    reader.items(KIND, Section::Immunisations, immunisation)
}

/// One immunisation; `None` when entered in error.
fn immunisation(reader: &mut Reader<'_>, id: ResId) -> Result<Option<Immunisation>, NotRead> {
    let resource = reader.resource(id);
    if text(resource, "status") == Some("entered-in-error") {
        return Ok(None);
    }
    let Some(entry) = reader.entries.get(id) else { return Ok(None) };
    let vaccine_code = &resource["vaccineCode"];
    let vaccine = snomed(vaccine_code);
    let unknown_product = code_in(vaccine_code, urls::NULL_FLAVOR_SYSTEM) == Some("UNK");
    let procedure = extension(resource, urls::VACCINATION_PROCEDURE_EXTENSION)
        .and_then(|e| e.get("valueCodeableConcept"))
        .and_then(snomed);
    let has_note = first(resource, "note").and_then(|n| text(n, "text")).is_some();
    let (vaccination, product) = match (procedure, vaccine) {
        (Some(procedure), vaccine) => (procedure, vaccine),
        (None, Some(vaccine)) if has_note => (vaccine.clone(), Some(vaccine)),
        (None, Some(vaccine)) => (vaccine, None),
        (None, None) if unknown_product => {
            return Err(invalid(KIND, "the product is unknown and no vaccination procedure is coded"));
        }
        (None, None) => return Err(invalid(KIND, "vaccineCode is not SNOMED CT")),
    };
    let recorded = match DATE_RECORDED_EXTENSIONS.iter().find_map(|url| extension(resource, url)) {
        Some(recorded) => optional_date(&recorded["valueDateTime"], KIND, "dateRecorded")?,
        None => None,
    };
    let date = optional_date(&resource["date"], KIND, "date")?
        .or(recorded)
        .ok_or_else(|| invalid(KIND, "no date and no recorded date"))?;
    let status = match resource.get("notGiven") {
        Some(Value::Bool(true)) => {
            let reason = first(&resource["explanation"], "reasonNotGiven").and_then(concept_text).unwrap_or_default();
            ImmunisationStatus::NotGiven { reason: reason.to_owned() }
        }
        _ => ImmunisationStatus::Given {
            batch: text(resource, "lotNumber").map(str::to_owned),
            dose_number: first(resource, "vaccinationProtocol")
                .and_then(|p| p.get("doseSequence"))
                .and_then(whole::<u8>),
        },
    };
    Ok(Some(Immunisation {
        meta: EntryMeta {
            id: entry,
            recorded_on: recorded.and_then(PartialDate::day).unwrap_or(date.earliest()),
            recorded_by: ClinicianId(String::new()),
            confidential: false,
        },
        vaccination,
        product,
        date,
        status,
    }))
}
