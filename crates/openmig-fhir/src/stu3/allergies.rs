//! The allergies area: `AllergyIntolerance` (`CareConnect-GPC-AllergyIntolerance-1`) in
//! the "Allergies and adverse reactions" List, and resolved ones contained in the
//! "Ended allergies" List.
//!
//! "No known allergies": gpconnect.md does not say how to carry it. openmig sends the
//! coded statement as an AllergyIntolerance entry of the allergies List, coded 716186003
//! (or 409137002), so the List is not empty and cannot be confused with "nothing
//! recorded" (an empty List with `no-content-recorded`). (Older GP Connect guidance
//! instead described an empty List with emptyReason `nilknown`; the item form keeps the
//! coded statement, its date and who asserted it.) The statement is sent only when the
//! record holds no active allergy at all — not even a withheld one — so that a
//! confidential allergy can never sit behind a "no known allergies" answer.

use openmig_domain::GpRecord;
use openmig_domain::record::{Allergy, AllergyCategory, AllergyStatus, NoKnownAllergies, Severity};
use serde_json::{Value, json};

use super::context::Context;
use super::lists::ListBuilder;
use super::withholding::is_withheld;
use super::{AllergyOptions, day, ids, partial, profile_meta, snomed_concept, urls};

const KIND: &str = "allergy-intolerance";

/// The area's Lists followed by its bundle-level resources.
pub(crate) fn area(cx: &mut Context<'_>, record: &GpRecord, options: &AllergyOptions) -> Vec<Value> {
    let mut active_list = ListBuilder::new(urls::ALLERGIES_LIST);
    let mut ended_list = ListBuilder::new(urls::ENDED_ALLERGIES_LIST);
    let mut resources = Vec::new();

    for allergy in &record.allergies {
        let withheld = withheld(allergy);
        match (&allergy.status, withheld) {
            (AllergyStatus::Active, true) => active_list.withheld(),
            (AllergyStatus::Active, false) => {
                let resource = allergy_intolerance(cx, allergy);
                active_list.item(format!("AllergyIntolerance/{}", resource["id"].as_str().expect("id")));
                resources.push(resource);
            }
            (AllergyStatus::Resolved { .. }, _) if !options.include_resolved_allergies => {}
            (AllergyStatus::Resolved { .. }, true) => ended_list.withheld(),
            (AllergyStatus::Resolved { .. }, false) => ended_list.contained(allergy_intolerance(cx, allergy)),
        }
    }

    let any_active = record.allergies.iter().any(Allergy::is_active);
    if let Some(nka) = record.no_known_allergies.as_ref().filter(|_| !any_active) {
        if no_known_allergies_withheld(nka) {
            active_list.withheld();
        } else {
            let resource = no_known_allergies(cx, nka);
            active_list.item(format!("AllergyIntolerance/{}", resource["id"].as_str().expect("id")));
            resources.push(resource);
        }
    }

    let mut out = vec![active_list.build(cx)];
    if options.include_resolved_allergies {
        out.push(ended_list.build(cx));
    }
    out.extend(resources);
    out
}

/// True when the allergy must not leave the practice.
pub(crate) fn withheld(allergy: &Allergy) -> bool {
    is_withheld(&allergy.meta, codes(allergy))
}

/// True when the "no known allergies" statement must not leave the practice.
pub(crate) fn no_known_allergies_withheld(nka: &NoKnownAllergies) -> bool {
    is_withheld(&nka.meta, [nka.code.code])
}

/// `AllergyIntolerance/…` of an allergy or of the "no known allergies" statement (entry
/// ids are unique across both).
pub(crate) fn reference(cx: &Context<'_>, entry: openmig_domain::EntryId) -> String {
    format!("AllergyIntolerance/{}", ids::entry(KIND, cx.nhs, entry))
}

fn codes(allergy: &Allergy) -> impl Iterator<Item = openmig_domain::SnomedCode> + '_ {
    std::iter::once(allergy.code.code)
        .chain(allergy.substance.iter().map(|s| s.code))
        .chain(allergy.reaction.iter().map(|r| r.manifestation.code))
}

/// One allergy, active or resolved. Partial onset and asserted dates stay partial
/// (STU3 `dateTime` allows `YYYY` and `YYYY-MM`). The caller has checked [`withheld`].
pub(crate) fn allergy_intolerance(cx: &mut Context<'_>, allergy: &Allergy) -> Value {
    let mut resource = json!({
        "resourceType": "AllergyIntolerance",
        "id": ids::entry(KIND, cx.nhs, allergy.meta.id),
        "meta": profile_meta(urls::ALLERGY_PROFILE),
        "clinicalStatus": if allergy.is_active() { "active" } else { "resolved" },
        "verificationStatus": "unconfirmed",
        "category": [category(allergy.category)],
        "code": snomed_concept(allergy.code.code, &allergy.code.display),
        "patient": cx.patient_ref(),
        "assertedDate": partial(allergy.asserted),
    });
    if let AllergyStatus::Resolved { on, reason } = &allergy.status {
        resource["extension"] = json!([{
            "url": urls::ALLERGY_END_EXTENSION,
            "extension": [
                { "url": urls::ALLERGY_END_DATE, "valueDateTime": partial(*on) },
                { "url": urls::ALLERGY_END_REASON, "valueString": reason },
            ],
        }]);
    }
    if let Some(onset) = allergy.onset {
        resource["onsetDateTime"] = json!(partial(onset));
    }
    if let Some(recorder) = cx.practitioner_ref(&allergy.meta.recorded_by) {
        resource["recorder"] = recorder;
    }
    if let Some(criticality) = allergy.criticality {
        resource["criticality"] = json!(criticality.code());
    }
    if let Some(notes) = &allergy.notes {
        resource["note"] = json!([{ "text": notes }]);
    }
    if let Some(reaction) = &allergy.reaction {
        let mut fhir_reaction = json!({
            "manifestation": [snomed_concept(reaction.manifestation.code, &reaction.manifestation.display)],
        });
        if let Some(level) = reaction.severity {
            fhir_reaction["severity"] = json!(severity(level));
        }
        // `reaction.substance` is not in use in GP Connect (its AllergyIntolerance page:
        // the causative agent is the allergy's own code).
        resource["reaction"] = json!([fhir_reaction]);
    }
    resource
}

/// The coded "no known allergies" statement (see the module docs). The caller has
/// checked [`no_known_allergies_withheld`].
pub(crate) fn no_known_allergies(cx: &mut Context<'_>, nka: &NoKnownAllergies) -> Value {
    let mut resource = json!({
        "resourceType": "AllergyIntolerance",
        "id": ids::entry(KIND, cx.nhs, nka.meta.id),
        "meta": profile_meta(urls::ALLERGY_PROFILE),
        "clinicalStatus": "active",
        "verificationStatus": "unconfirmed",
        // `category` is mandatory; GP Connect's own "no known allergies" example response
        // (allergies_response2) says `medication`, the category prescribing looks at.
        "category": ["medication"],
        "code": snomed_concept(nka.code.code, &nka.code.display),
        "patient": cx.patient_ref(),
        "assertedDate": day(nka.asserted),
    });
    if let Some(recorder) = cx.practitioner_ref(&nka.meta.recorded_by) {
        resource["recorder"] = recorder;
    }
    resource
}

/// GP Connect's allergy guidance allows only `medication` and `environment`: "all other
/// types" (food included) are `environment`.
fn category(category: AllergyCategory) -> &'static str {
    match category {
        AllergyCategory::Medication => "medication",
        AllergyCategory::Food | AllergyCategory::Environment => "environment",
    }
}

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Mild => "mild",
        Severity::Moderate => "moderate",
        Severity::Severe => "severe",
    }
}
