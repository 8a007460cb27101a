//! `UKCore-Immunization`: vaccinations given and not given.
//!
//! - `status` is `completed`, or `not-done` with the recorded reason as `statusReason`
//!   text (the record keeps it as free text).
//! - `vaccineCode` is the dm+d product when recorded (coded in SNOMED CT and dm+d, as for
//!   medicines), and then UK Core `VaccinationProcedure` carries the SNOMED CT
//!   vaccination procedure; with no product, `vaccineCode` is the procedure code.
//! - `occurrenceDateTime` keeps its recorded precision; `recorded` is the day the
//!   practice recorded it; `primarySource` is true (the practice recorded it first hand);
//!   `lotNumber` is the batch; the dose number in a course is
//!   `protocolApplied.doseNumberPositiveInt`.
//! - No `performer`: the record does not say who gave the vaccine.

use openmig_domain::record::{Immunisation, ImmunisationStatus};
use serde_json::{Value, json};

use super::context::Context;
use super::{day, ids, medication, meta, non_empty, partial, snomed_concept, urls, withholding};

/// Every Immunization of the patient, shared immunisations in record order.
pub(crate) fn resources(cx: &Context<'_>) -> Vec<Value> {
    cx.record.immunisations.iter().filter(|i| !withholding::immunisation(i)).map(|i| immunization(cx, i)).collect()
}

fn immunization(cx: &Context<'_>, immunisation: &Immunisation) -> Value {
    let procedure = snomed_concept(immunisation.vaccination.code, &immunisation.vaccination.display);
    let mut resource = json!({
        "resourceType": "Immunization",
        "id": ids::entry("immunization", cx.nhs, immunisation.meta.id),
        "meta": meta(urls::profiles::IMMUNIZATION),
    });
    let vaccine_code = match &immunisation.product {
        Some(product) => {
            resource["extension"] =
                json!([{ "url": urls::VACCINATION_PROCEDURE_EXTENSION, "valueCodeableConcept": procedure }]);
            medication::dmd_concept(product.code, &product.display)
        }
        None => procedure,
    };
    match &immunisation.status {
        ImmunisationStatus::Given { .. } => resource["status"] = json!("completed"),
        ImmunisationStatus::NotGiven { reason } => {
            resource["status"] = json!("not-done");
            if let Some(reason) = non_empty(reason) {
                resource["statusReason"] = json!({ "text": reason });
            }
        }
    }
    resource["vaccineCode"] = vaccine_code;
    resource["patient"] = cx.patient_ref();
    if let Some(encounter) = cx.encounter_of(immunisation.meta.id) {
        resource["encounter"] = encounter;
    }
    resource["occurrenceDateTime"] = json!(partial(immunisation.date));
    resource["recorded"] = json!(day(immunisation.meta.recorded_on));
    resource["primarySource"] = json!(true);
    if let ImmunisationStatus::Given { batch, dose_number } = &immunisation.status {
        if let Some(batch) = batch.as_deref().and_then(non_empty) {
            resource["lotNumber"] = json!(batch);
        }
        if let Some(dose) = dose_number.filter(|n| *n > 0) {
            resource["protocolApplied"] = json!([{ "doseNumberPositiveInt": dose }]);
        }
    }
    let reasons = cx.reasons(immunisation.meta.id);
    if !reasons.is_empty() {
        resource["reasonReference"] = json!(reasons);
    }
    resource
}
