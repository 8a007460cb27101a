//! The immunisations area: `Immunization` (`CareConnect-GPC-Immunization-1`) in the
//! "Immunisations" List.
//!
//! gpconnect.md §1/§3: immunisations not given (`notGiven = true`) are returned only when
//! `includeNotGiven` is true. The consent/dissent status Observations of `includeStatus`
//! are not mapped (the record holds no immunisation consent entries).
//!
//! STU3 mapping (GP Connect 1.6's Immunization page): the vaccination is the mandatory
//! `vaccinationProcedure` extension, `vaccineCode` the dm+d product when recorded and
//! NullFlavor `UNK` when not; `recordedDate` is the day it was entered; `date` keeps its
//! recorded precision; the batch
//! is `lotNumber`; a not-given reason is `explanation.reasonNotGiven` text. The dose
//! number is not sent: STU3 `vaccinationProtocol` would also need the target disease and
//! dose status, which the record does not hold. `primarySource` is true (the practice
//! recorded it). The recording clinician is not sent as `practitioner`, because the
//! record does not say who administered the vaccine.

use openmig_domain::GpRecord;
use openmig_domain::record::{Immunisation, ImmunisationStatus};
use serde_json::{Value, json};

use super::context::Context;
use super::lists::ListBuilder;
use super::withholding::is_withheld;
use super::{ImmunisationOptions, day, ids, partial, profile_meta, snomed_concept, urls};

/// The area's List followed by its resources.
pub(crate) fn area(cx: &mut Context<'_>, record: &GpRecord, options: &ImmunisationOptions) -> Vec<Value> {
    let mut list = ListBuilder::new(urls::IMMUNISATIONS_LIST);
    let mut resources = Vec::new();
    for immunisation in &record.immunisations {
        if is_not_given(immunisation) && !options.include_not_given {
            continue;
        }
        if withheld(immunisation) {
            list.withheld();
            continue;
        }
        list.item(reference(cx, immunisation));
        resources.push(immunization(cx, immunisation));
    }
    let mut out = vec![list.build(cx)];
    out.extend(resources);
    out
}

fn is_not_given(immunisation: &Immunisation) -> bool {
    matches!(immunisation.status, ImmunisationStatus::NotGiven { .. })
}

/// True when the immunisation must not leave the practice.
pub(crate) fn withheld(immunisation: &Immunisation) -> bool {
    let codes = std::iter::once(immunisation.vaccination.code).chain(immunisation.product.iter().map(|p| p.code));
    is_withheld(&immunisation.meta, codes)
}

/// `Immunization/…`.
pub(crate) fn reference(cx: &Context<'_>, immunisation: &Immunisation) -> String {
    format!("Immunization/{}", ids::entry("immunization", cx.nhs, immunisation.meta.id))
}

/// `CareConnect-GPC-Immunization-1`. The caller has checked [`withheld`].
pub(crate) fn immunization(cx: &mut Context<'_>, immunisation: &Immunisation) -> Value {
    // GP Connect's Immunization page: the vaccination is the (mandatory)
    // vaccinationProcedure; vaccineCode is the product, or NullFlavor UNK "where the
    // vaccine product is unknown".
    let vaccine_code = match &immunisation.product {
        Some(product) => snomed_concept(product.code, &product.display),
        None => json!({ "coding": [{ "system": urls::NULL_FLAVOR_SYSTEM, "code": "UNK", "display": "unknown" }] }),
    };
    let procedure = &immunisation.vaccination;
    let mut resource = json!({
        "resourceType": "Immunization",
        "id": ids::entry("immunization", cx.nhs, immunisation.meta.id),
        "meta": profile_meta(urls::IMMUNIZATION_PROFILE),
        "extension": [
            { "url": urls::DATE_RECORDED_EXTENSION, "valueDateTime": day(immunisation.meta.recorded_on) },
            {
                "url": urls::VACCINATION_PROCEDURE_EXTENSION,
                "valueCodeableConcept": snomed_concept(procedure.code, &procedure.display),
            },
        ],
        "status": "completed",
        "notGiven": is_not_given(immunisation),
        "vaccineCode": vaccine_code,
        "patient": cx.patient_ref(),
        "date": partial(immunisation.date),
        "primarySource": true,
    });
    match &immunisation.status {
        ImmunisationStatus::Given { batch, .. } => {
            if let Some(batch) = batch {
                resource["lotNumber"] = json!(batch);
            }
        }
        ImmunisationStatus::NotGiven { reason } => {
            resource["explanation"] = json!({ "reasonNotGiven": [{ "text": reason }] });
        }
    }
    resource
}
