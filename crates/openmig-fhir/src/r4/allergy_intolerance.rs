//! `UKCore-AllergyIntolerance`: allergies and intolerances, active and resolved, and the
//! coded "no known allergies" statement.
//!
//! - `clinicalStatus` is `active` or `resolved` (R4 `allergyintolerance-clinical`); a
//!   resolved allergy also carries UK Core `AllergyIntoleranceEnd` with the day and the
//!   reason it ended.
//! - `verificationStatus` is `confirmed` (R4 `allergyintolerance-verification`), as in UK
//!   Core's own examples: the practice recorded the allergy as a clinical fact. GP
//!   systems record no separate verification, and labelling a recorded penicillin
//!   allergy "unconfirmed" to an A&E clinician would invite them to disregard it.
//! - `category` maps one to one (medication, food, environment); a reaction carries its
//!   manifestation, severity and (when coded) substance.
//! - Partial onset and recorded dates stay partial (`2024-03`, `1998`).
//!
//! "No known allergies" is sent as an AllergyIntolerance coded with the record's own
//! SNOMED CT concept (716186003 or 409137002), `active` and `confirmed`, so it can never
//! be confused with nothing recorded (no AllergyIntolerance at all). It is sent only when
//! the record holds no active allergy at all — not even a withheld one — so that a
//! confidential allergy can never sit behind a "no known allergies" answer.

use openmig_domain::record::{Allergy, AllergyCategory, AllergyStatus, NoKnownAllergies, Severity};
use serde_json::{Value, json};

use super::context::Context;
use super::{coding, day, ids, meta, partial, snomed_concept, urls, withholding};

const KIND: &str = "allergy-intolerance";

/// Every AllergyIntolerance of the patient: shared allergies in record order, then the
/// "no known allergies" statement when it applies.
pub(crate) fn resources(cx: &Context<'_>) -> Vec<Value> {
    let mut out: Vec<Value> =
        cx.record.allergies.iter().filter(|a| !withholding::allergy(a)).map(|a| allergy(cx, a)).collect();
    let any_active = cx.record.allergies.iter().any(Allergy::is_active);
    if let Some(nka) = cx.record.no_known_allergies.as_ref()
        && !any_active
        && !withholding::no_known_allergies(nka)
    {
        out.push(no_known_allergies(cx, nka));
    }
    out
}

fn allergy(cx: &Context<'_>, allergy: &Allergy) -> Value {
    let mut resource = json!({
        "resourceType": "AllergyIntolerance",
        "id": ids::entry(KIND, cx.nhs, allergy.meta.id),
        "meta": meta(urls::profiles::ALLERGY_INTOLERANCE),
    });
    if let AllergyStatus::Resolved { on, reason } = &allergy.status {
        let mut parts = vec![json!({ "url": "endDate", "valueDateTime": partial(*on) })];
        if !reason.trim().is_empty() {
            parts.push(json!({ "url": "reasonEnded", "valueString": reason }));
        }
        resource["extension"] = json!([{ "url": urls::ALLERGY_END_EXTENSION, "extension": parts }]);
    }
    resource["clinicalStatus"] = clinical_status(if allergy.is_active() { "active" } else { "resolved" });
    resource["verificationStatus"] = confirmed();
    resource["category"] = json!([category(allergy.category)]);
    if let Some(criticality) = allergy.criticality {
        resource["criticality"] = json!(criticality.code());
    }
    resource["code"] = snomed_concept(allergy.code.code, &allergy.code.display);
    resource["patient"] = cx.patient_ref();
    if let Some(encounter) = cx.encounter_of(allergy.meta.id) {
        resource["encounter"] = encounter;
    }
    if let Some(onset) = allergy.onset {
        resource["onsetDateTime"] = json!(partial(onset));
    }
    resource["recordedDate"] = json!(partial(allergy.asserted));
    if let Some(recorder) = cx.practitioner_ref(&allergy.meta.recorded_by) {
        resource["recorder"] = recorder;
    }
    if let Some(reaction) = &allergy.reaction {
        let mut fhir_reaction = json!({});
        if let Some(substance) = &allergy.substance {
            fhir_reaction["substance"] = snomed_concept(substance.code, &substance.display);
        }
        fhir_reaction["manifestation"] =
            json!([snomed_concept(reaction.manifestation.code, &reaction.manifestation.display)]);
        if let Some(level) = reaction.severity {
            fhir_reaction["severity"] = json!(severity(level));
        }
        resource["reaction"] = json!([fhir_reaction]);
    }
    if let Some(notes) = &allergy.notes {
        resource["note"] = json!([{ "text": notes }]);
    }
    resource
}

/// The coded "no known allergies" statement (module docs).
fn no_known_allergies(cx: &Context<'_>, nka: &NoKnownAllergies) -> Value {
    let mut resource = json!({
        "resourceType": "AllergyIntolerance",
        "id": ids::entry(KIND, cx.nhs, nka.meta.id),
        "meta": meta(urls::profiles::ALLERGY_INTOLERANCE),
        "clinicalStatus": clinical_status("active"),
        "verificationStatus": confirmed(),
        "code": snomed_concept(nka.code.code, &nka.code.display),
        "patient": cx.patient_ref(),
        "recordedDate": day(nka.asserted),
    });
    if let Some(recorder) = cx.practitioner_ref(&nka.meta.recorded_by) {
        resource["recorder"] = recorder;
    }
    resource
}

fn clinical_status(code: &str) -> Value {
    let display = if code == "active" { "Active" } else { "Resolved" };
    json!({ "coding": [coding(urls::ALLERGY_CLINICAL_SYSTEM, code, Some(display))] })
}

fn confirmed() -> Value {
    json!({ "coding": [coding(urls::ALLERGY_VERIFICATION_SYSTEM, "confirmed", Some("Confirmed"))] })
}

fn category(category: AllergyCategory) -> &'static str {
    match category {
        AllergyCategory::Medication => "medication",
        AllergyCategory::Food => "food",
        AllergyCategory::Environment => "environment",
    }
}

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Mild => "mild",
        Severity::Moderate => "moderate",
        Severity::Severe => "severe",
    }
}
