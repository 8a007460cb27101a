//! The problems area: `Condition` (`CareConnect-GPC-ProblemHeader-Condition-1`) in the
//! "Problems" List, and the items linked to each problem.
//!
//! Filters (gpconnect.md §1): each `includeProblems` repetition is one
//! `(filterStatus, filterSignificance)` pair, either part optional. A problem is
//! returned when it matches any pair (a missing part matches everything); no pair at all
//! returns every problem.
//!
//! Linked items (gpconnect.md §3: "problems -> `Condition` (ProblemHeader) + all linked
//! items (via `relatedClinicalContent`…)"). For each entry in `Problem.related` that
//! openmig maps to a resource — a medication (referred to by its MedicationStatement),
//! an uncategorised Observation, an Immunization or a ReferralRequest — the Condition
//! carries a `relatedClinicalContent` extension referring to it, and the Bundle carries
//! the item even when its own area was not requested or its own area's filter left it out:
//! a medicine brings its Medication, MedicationStatement and plan, plus its issues unless
//! medication was requested with `includePrescriptionIssues` false. Pulled-in items are
//! not added to their own area's primary List (they are not part of that query); the
//! secondary "…related to problems" Lists that would list them are not built yet.
//! Linked entries of kinds not mapped yet (laboratory results, consultations, allergies,
//! other problems, alerts) get no extension, so no reference dangles.
//!
//! Withholding: a withheld problem is left out and the Problems List warns. A withheld
//! linked item is neither referenced nor pulled in, and the Problems List warns in place
//! of the secondary List it would have been in. Items linked only from a withheld
//! problem are not pulled in through it.

use std::collections::HashSet;

use openmig_domain::record::{Problem, ProblemStatus, Significance};
use openmig_domain::{EntryId, GpRecord};
use serde_json::{Value, json};

use super::context::Context;
use super::lists::ListBuilder;
use super::withholding::is_withheld;
use super::{
    ProblemOptions, StructuredOptions, day, ids, immunisations, medications, partial, profile_meta, referrals,
    snomed_concept, uncategorised, urls,
};

/// The area's List, its Conditions, then the linked items not already in the Bundle.
///
/// `present` holds the `Type/id` of every resource the other areas already put in the
/// Bundle; `all` is the whole request (whether medication issues were asked for).
pub(crate) fn area(
    cx: &mut Context<'_>,
    record: &GpRecord,
    options: &ProblemOptions,
    all: &StructuredOptions,
    present: &HashSet<String>,
) -> Vec<Value> {
    let mut list = ListBuilder::new(urls::PROBLEMS_LIST);
    let mut conditions = Vec::new();
    let mut linked = Vec::new();
    let mut pulled: HashSet<String> = HashSet::new();
    for problem in record.problems.iter().filter(|p| matches(options, p)) {
        if withheld(problem) {
            list.withheld();
            continue;
        }
        let mut related = Vec::new();
        for id in &problem.related {
            match link(cx, record, all, *id) {
                Link::None => {}
                Link::Withheld => list.withheld(),
                Link::Item { reference, resources } => {
                    if !present.contains(&reference) && pulled.insert(reference.clone()) {
                        linked.extend(resources);
                    }
                    related.push(reference);
                }
            }
        }
        list.item(reference(cx, problem));
        conditions.push(condition(cx, problem, &related));
    }
    let mut out = vec![list.build(cx)];
    out.extend(conditions);
    out.extend(linked);
    out
}

/// True when the problem must not leave the practice.
pub(crate) fn withheld(problem: &Problem) -> bool {
    is_withheld(&problem.meta, [problem.code.code])
}

/// `Condition/…`.
pub(crate) fn reference(cx: &Context<'_>, problem: &Problem) -> String {
    format!("Condition/{}", ids::entry("condition", cx.nhs, problem.meta.id))
}

/// True when the problem matches any requested `(status, significance)` pair.
fn matches(options: &ProblemOptions, problem: &Problem) -> bool {
    options.filters.is_empty()
        || options.filters.iter().any(|(status, significance)| {
            status.is_none_or(|s| s == problem.status) && significance.is_none_or(|s| s == problem.significance)
        })
}

/// What a linked entry id becomes.
pub(crate) enum Link {
    /// Not a kind openmig maps (or no such entry): no extension.
    None,
    /// Withheld: no extension, and the List warns.
    Withheld,
    /// The reference the extension carries and the item's resources (its reference first).
    Item { reference: String, resources: Vec<Value> },
}

/// What the problem's linked entry `id` becomes (see the module docs).
pub(crate) fn link(cx: &mut Context<'_>, record: &GpRecord, all: &StructuredOptions, id: EntryId) -> Link {
    if let Some(medication) = record.medications.iter().find(|m| m.meta.id == id) {
        if medications::withheld(medication) {
            return Link::Withheld;
        }
        let issues = all.medication.is_none_or(|m| m.include_prescription_issues);
        return Link::Item {
            reference: medications::reference(cx, medication),
            resources: medications::resources_for(cx, medication, issues),
        };
    }
    if let Some(observation) =
        record.observations.iter().find(|o| o.meta.id == id && uncategorised::is_uncategorised(o))
    {
        if uncategorised::withheld(observation) {
            return Link::Withheld;
        }
        return Link::Item {
            reference: uncategorised::reference(cx, observation),
            resources: vec![uncategorised::observation_resource(cx, observation)],
        };
    }
    if let Some(immunisation) = record.immunisations.iter().find(|i| i.meta.id == id) {
        if immunisations::withheld(immunisation) {
            return Link::Withheld;
        }
        return Link::Item {
            reference: immunisations::reference(cx, immunisation),
            resources: vec![immunisations::immunization(cx, immunisation)],
        };
    }
    if let Some(referral) = record.referrals.iter().find(|r| r.meta.id == id) {
        if referrals::withheld(referral) {
            return Link::Withheld;
        }
        return Link::Item {
            reference: referrals::reference(cx, referral),
            resources: vec![referrals::referral_request(cx, referral)],
        };
    }
    Link::None
}

/// `CareConnect-GPC-ProblemHeader-Condition-1`. Partial onset and end dates stay
/// partial. `category` is the STU3 `problem-list-item`. The caller has checked
/// [`withheld`]; `related` are the references of the linked items in the Bundle.
pub(crate) fn condition(cx: &mut Context<'_>, problem: &Problem, related: &[String]) -> Value {
    let mut extension = vec![json!({
        "url": urls::PROBLEM_SIGNIFICANCE_EXTENSION,
        "valueCode": match problem.significance {
            Significance::Major => "major",
            Significance::Minor => "minor",
        },
    })];
    extension.extend(
        related
            .iter()
            .map(|r| json!({ "url": urls::RELATED_CLINICAL_CONTENT_EXTENSION, "valueReference": { "reference": r } })),
    );
    let mut resource = json!({
        "resourceType": "Condition",
        "id": ids::entry("condition", cx.nhs, problem.meta.id),
        "meta": profile_meta(urls::CONDITION_PROFILE),
        "extension": extension,
        "clinicalStatus": match problem.status {
            ProblemStatus::Active => "active",
            ProblemStatus::Inactive => "inactive",
        },
        "category": [{
            "coding": [{ "system": urls::CONDITION_CATEGORY_SYSTEM, "code": "problem-list-item", "display": "Problem List Item" }],
        }],
        "code": snomed_concept(problem.code.code, &problem.code.display),
        "subject": cx.patient_ref(),
        "assertedDate": day(problem.meta.recorded_on),
    });
    if let Some(onset) = problem.onset {
        resource["onsetDateTime"] = json!(partial(onset));
    }
    if let Some(ended) = problem.ended {
        resource["abatementDateTime"] = json!(partial(ended));
    }
    if let Some(asserter) = cx.practitioner_ref(&problem.meta.recorded_by) {
        resource["asserter"] = asserter;
    }
    if let Some(notes) = problem.notes.as_ref().filter(|n| !n.trim().is_empty()) {
        resource["note"] = json!([{ "text": notes }]);
    }
    resource
}
