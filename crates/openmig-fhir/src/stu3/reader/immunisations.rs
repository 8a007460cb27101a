//! Immunisations: every `Immunization`, given or not given.
//!
//! The writer sends the dm+d product as `vaccineCode` when the record has one, keeping
//! only the vaccination procedure's term as a note; other providers send the procedure
//! in CareConnect's `vaccinationProcedure` extension. So:
//! - with `vaccinationProcedure`: it is the vaccination, `vaccineCode` the product;
//! - with a note but no procedure code (the writer's form): `vaccineCode` is the product
//!   and stands for the vaccination too, since its code is all the Bundle says;
//! - otherwise `vaccineCode` is the vaccination and there is no product.
//!
//! An Immunization names no recorder, so `recorded_by` is the unknown clinician;
//! `recorded_on` is CareConnect's `dateRecorded` when sent, else the first day the
//! vaccination date can mean. The dose number is `vaccinationProtocol[0].doseSequence`.

use openmig_domain::ClinicianId;
use openmig_domain::record::{EntryMeta, Immunisation, ImmunisationStatus};
use serde_json::Value;

use super::values::{concept_text, extension, first, optional_day, required_date, snomed, text, whole};
use super::{ReadError, Reader, invalid};

const KIND: &str = "Immunization";

/// CareConnect `Extension-CareConnect-VaccinationProcedure-1` (as in GP Connect's
/// published Immunization examples).
const VACCINATION_PROCEDURE_EXTENSION: &str =
    "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-VaccinationProcedure-1";
/// CareConnect `Extension-CareConnect-DateRecorded-1` (as in the same examples).
const DATE_RECORDED_EXTENSION: &str =
    "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-DateRecorded-1";

/// Every immunisation.
pub(super) fn read(reader: &mut Reader<'_>) -> Result<Vec<Immunisation>, ReadError> {
    let mut out = Vec::new();
    for id in reader.of_kind(KIND) {
        let resource = reader.resource(id);
        if text(resource, "status") == Some("entered-in-error") {
            continue;
        }
        let Some(entry) = reader.entries.get(id) else { continue };
        let vaccine = snomed(&resource["vaccineCode"]).ok_or_else(|| invalid(KIND, "vaccineCode is not SNOMED CT"))?;
        let procedure = extension(resource, VACCINATION_PROCEDURE_EXTENSION)
            .and_then(|e| e.get("valueCodeableConcept"))
            .and_then(snomed);
        let has_note = first(resource, "note").and_then(|n| text(n, "text")).is_some();
        let (vaccination, product) = match procedure {
            Some(procedure) => (procedure, Some(vaccine)),
            None if has_note => (vaccine.clone(), Some(vaccine)),
            None => (vaccine, None),
        };
        let date = required_date(&resource["date"], KIND, "date")?;
        let status = match resource.get("notGiven") {
            Some(Value::Bool(true)) => {
                let reason =
                    first(&resource["explanation"], "reasonNotGiven").and_then(concept_text).unwrap_or_default();
                ImmunisationStatus::NotGiven { reason: reason.to_owned() }
            }
            None | Some(Value::Bool(false)) => ImmunisationStatus::Given {
                batch: text(resource, "lotNumber").map(str::to_owned),
                dose_number: first(resource, "vaccinationProtocol")
                    .and_then(|p| p.get("doseSequence"))
                    .and_then(whole::<u8>),
            },
            Some(_) => return Err(invalid(KIND, "notGiven is not a boolean")),
        };
        let recorded_on = match extension(resource, DATE_RECORDED_EXTENSION) {
            Some(recorded) => optional_day(&recorded["valueDateTime"], KIND, "dateRecorded")?,
            None => None,
        };
        out.push(Immunisation {
            meta: EntryMeta {
                id: entry,
                recorded_on: recorded_on.unwrap_or(date.earliest()),
                recorded_by: ClinicianId(String::new()),
                confidential: false,
            },
            vaccination,
            product,
            date,
            status,
        });
    }
    Ok(out)
}
