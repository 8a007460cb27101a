//! `UKCore-Condition`: the problem list.
//!
//! - `clinicalStatus` is `active` or `inactive` (R4 `condition-clinical`): GP systems
//!   record a problem as active or past, and "past" is not a claim that it resolved.
//! - `category` is `problem-list-item`.
//! - `onsetDateTime` and `abatementDateTime` keep their recorded precision (`1962`).
//!   An end date is sent only for an inactive problem: R4 forbids an abatement on an
//!   active condition (con-4), and the record's status is the clinician's word.
//! - `recordedDate` is the day the practice recorded it, `recorder` who did, `note` the
//!   practice's annotation, `encounter` the earliest consultation linked to it.
//! - Significance (major/minor) is not sent: UK Core retired its
//!   `Extension-UKCore-ProblemSignificance` (1.1.0, "England and GP Connect specific")
//!   and base R4 has no element for it; `severity` means something else.
//! - Links to other problems (parent, child, sibling) are not sent: UK Core and base R4
//!   Condition have no element for them (GP Connect STU3's `relatedProblemHeader` has
//!   no R4 counterpart); each linked problem is still its own Condition.

use openmig_domain::record::{Problem, ProblemStatus};
use serde_json::{Value, json};

use super::context::Context;
use super::{coding, ids, meta, non_empty, partial, snomed_concept, urls, withholding};

/// Every Condition of the patient, shared problems in record order.
pub(crate) fn resources(cx: &Context<'_>) -> Vec<Value> {
    cx.record.problems.iter().filter(|p| !withholding::problem(p)).map(|p| condition(cx, p)).collect()
}

fn condition(cx: &Context<'_>, problem: &Problem) -> Value {
    let (status, display) = match problem.status {
        ProblemStatus::Active => ("active", "Active"),
        ProblemStatus::Inactive => ("inactive", "Inactive"),
    };
    let mut resource = json!({
        "resourceType": "Condition",
        "id": ids::entry("condition", cx.nhs, problem.meta.id),
        "meta": meta(urls::profiles::CONDITION),
        "clinicalStatus": { "coding": [coding(urls::CONDITION_CLINICAL_SYSTEM, status, Some(display))] },
        "category": [{
            "coding": [coding(urls::CONDITION_CATEGORY_SYSTEM, "problem-list-item", Some("Problem List Item"))],
        }],
        "code": snomed_concept(problem.code.code, &problem.code.display),
        "subject": cx.patient_ref(),
    });
    if let Some(encounter) = cx.encounter_of(problem.meta.id) {
        resource["encounter"] = encounter;
    }
    if let Some(onset) = problem.onset {
        resource["onsetDateTime"] = json!(partial(onset));
    }
    if let (ProblemStatus::Inactive, Some(ended)) = (problem.status, problem.ended) {
        resource["abatementDateTime"] = json!(partial(ended));
    }
    resource["recordedDate"] = json!(super::day(problem.meta.recorded_on));
    if let Some(recorder) = cx.practitioner_ref(&problem.meta.recorded_by) {
        resource["recorder"] = recorder;
    }
    if let Some(notes) = problem.notes.as_deref().and_then(non_empty) {
        resource["note"] = json!([{ "text": notes }]);
    }
    resource
}
