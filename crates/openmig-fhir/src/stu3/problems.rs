//! The problems area: `Condition` (`CareConnect-GPC-ProblemHeader-Condition-1`) in the
//! "Problems" List, and the items linked to each problem.
//!
//! Filters (gpconnect.md §1): each `includeProblems` repetition is one
//! `(filterStatus, filterSignificance)` pair, either part optional. A problem is
//! returned when it matches any pair (a missing part matches everything); no pair at all
//! returns every problem.
//!
//! Linked items (GP Connect pages "Linkages" and "Problems guidance"). For each entry in
//! `Problem.related` that openmig maps to a resource (a medicine, an active allergy, an
//! uncategorised Observation, an Immunization or a ReferralRequest), and for each
//! consultation that links the problem (`Encounter.linked`), the Condition carries a
//! `relatedClinicalContent` extension referring to it: a medicine by its plan
//! `MedicationRequest`, as the Problems guidance says ("for a Medication or Medical
//! Device prescription plan - reference the MedicationRequest (intent = plan)"). The
//! consultation in which the problem was recorded (an encounter that links it and
//! started on the day it was recorded) is also its `context`. The Bundle carries every
//! linked item even when its own area was not requested or left it out: a medicine
//! brings its Medication, MedicationStatement and plan, plus its issues unless
//! medication was requested with `includePrescriptionIssues` false; a consultation
//! brings its Encounter only, not its structure Lists. Pulled-in items are not added to
//! their own area's primary List (they are not part of that query) but to this area's
//! secondary List of their kind ("Problems - medications related to problems" and the
//! rest; a medicine there by its MedicationStatement, as NHS England's provider tests
//! expect). Ended allergies (which GP Connect carries only contained in the "Ended
//! allergies" List), laboratory results and alerts get no extension, so no reference
//! dangles.
//!
//! Links between problems (`Problem.linked_problems`) are `relatedProblemHeader`
//! extensions, `type` what this problem is to the other ("parent", "child",
//! "sibling"), `target` the other Condition. A linked problem the query left out (by
//! its filters) is still sent, in the linked-problems List below; one no area sent is
//! not referred to ([`drop_dangling_problem_links`]), and a withheld one never.
//!
//! Problems linked to the other areas' items ([`linked_problems`]): whatever was asked
//! for, a problem linked to an item of another area's primary List, to a consultation
//! returned or an item it recorded, or to or from a problem of the Problems List is in
//! the Bundle, in the one
//! List "Problems - linked problems not relating to the primary query" unless the
//! Problems List already holds it (the Linkages page: each area's answer includes
//! "the ProblemHeader (Condition) profiles of any directly linked Problems").
//!
//! Withholding: a withheld problem is left out and the Problems List warns. A withheld
//! linked item is neither referenced nor pulled in, and the secondary List of its kind
//! warns ("the warning code will be present in both lists"). Items linked only from a
//! withheld problem are not pulled in through it.

use std::collections::HashSet;

use openmig_domain::record::{
    Allergy, Encounter, Immunisation, Medication, Observation, Problem, ProblemRelation, ProblemStatus, Referral,
    Significance,
};
use openmig_domain::{EntryId, GpRecord};
use serde_json::{Value, json};

use super::context::Context;
use super::lists::{ListBuilder, SecondaryList, SecondaryLists};
use super::withholding::is_withheld;
use super::{
    ProblemOptions, StructuredOptions, allergies, consultations, day, ids, immunisations, medications, partial,
    profile_meta, referrals, snomed_concept, uncategorised, urls,
};

/// The area's List and secondary Lists, its Conditions, then the linked items not
/// already in the Bundle.
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
    let mut secondary = SecondaryLists::default();
    let mut conditions = Vec::new();
    let mut linked = Vec::new();
    let mut pulled: HashSet<String> = HashSet::new();
    for problem in record.problems.iter().filter(|p| matches(options, p)) {
        if withheld(problem) {
            list.withheld();
            continue;
        }
        let mut related = Vec::new();
        for link in links(record, problem) {
            match link {
                Link::None => {}
                Link::Withheld(kind) => secondary.withheld(kind),
                Link::Item(target) => {
                    let reference = target.reference(cx);
                    if pulled.insert(reference.clone()) && !present.contains(&reference) {
                        linked.extend(target.resources(cx, all));
                    }
                    secondary.item(target.kind(), target.listed(cx));
                    related.push(reference);
                }
            }
        }
        list.item(reference(cx, problem));
        let context = recorded_in(cx, record, problem).filter(|encounter| related.contains(encounter));
        conditions.push(condition(cx, record, problem, &related, context.as_deref()));
    }
    let mut out = vec![list.build(cx)];
    out.extend(secondary.build(cx));
    out.extend(conditions);
    out.extend(linked);
    out
}

/// The "Problems - linked problems not relating to the primary query" List: every
/// problem the Problems List does not hold (`listed`) that is linked to an item of
/// another area's primary List (`primary`, the `Type/id` of those items and of the
/// consultations returned with what they recorded), then the Conditions of those the Bundle does not hold yet
/// (`present`); nothing when there are none (see the module docs). Each Condition refers
/// only to the linked items the Bundle holds, so none of its references dangles.
pub(crate) fn linked_problems(
    cx: &mut Context<'_>,
    record: &GpRecord,
    primary: &HashSet<String>,
    present: &HashSet<String>,
    listed: &HashSet<String>,
) -> Vec<Value> {
    let mut list = ListBuilder::secondary(SecondaryList::LinkedProblems);
    let mut conditions = Vec::new();
    let listed_ids: HashSet<EntryId> =
        record.problems.iter().filter(|p| listed.contains(&reference(cx, p))).map(|p| p.meta.id).collect();
    let linked_from_listed: HashSet<EntryId> = record
        .problems
        .iter()
        .filter(|p| listed_ids.contains(&p.meta.id))
        .flat_map(|p| p.linked_problems.iter().map(|link| link.problem))
        .collect();
    for problem in &record.problems {
        let condition_reference = reference(cx, problem);
        if listed.contains(&condition_reference) {
            continue;
        }
        let targets: Vec<String> = links(record, problem)
            .into_iter()
            .filter_map(|link| match link {
                Link::Item(target) => Some(target.reference(cx)),
                _ => None,
            })
            .collect();
        let linked_to_listed = problem.linked_problems.iter().any(|link| listed_ids.contains(&link.problem))
            || linked_from_listed.contains(&problem.meta.id);
        if !linked_to_listed && !targets.iter().any(|target| primary.contains(target)) {
            continue;
        }
        if withheld(problem) {
            list.withheld();
            continue;
        }
        list.item(condition_reference.clone());
        if !present.contains(&condition_reference) {
            let related: Vec<String> = targets.into_iter().filter(|target| present.contains(target)).collect();
            let context = recorded_in(cx, record, problem).filter(|encounter| related.contains(encounter));
            conditions.push(condition(cx, record, problem, &related, context.as_deref()));
        }
    }
    let Some(list) = list.build_if_needed(cx) else { return Vec::new() };
    let mut out = vec![list];
    out.extend(conditions);
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

/// What one of a problem's links becomes.
pub(crate) enum Link<'r> {
    /// Not a kind openmig maps (or no such entry): no extension.
    None,
    /// Withheld: no extension, and the secondary List of its kind warns.
    Withheld(SecondaryList),
    /// Sent.
    Item(Target<'r>),
}

/// The links of `problem`: its related entries, then the consultations that link it.
pub(crate) fn links<'r>(record: &'r GpRecord, problem: &Problem) -> Vec<Link<'r>> {
    let mut out: Vec<Link<'r>> = problem.related.iter().map(|id| link(record, *id)).collect();
    out.extend(
        record
            .encounters
            .iter()
            .filter(|encounter| encounter.linked.contains(&problem.meta.id))
            .map(|encounter| consultations::problem_link(record, encounter)),
    );
    out
}

/// The consultation `problem` was recorded in: the first that links it and started on
/// the day it was recorded.
fn recorded_in(cx: &Context<'_>, record: &GpRecord, problem: &Problem) -> Option<String> {
    record
        .encounters
        .iter()
        .find(|e| e.linked.contains(&problem.meta.id) && e.start.date() == problem.meta.recorded_on)
        .map(|encounter| consultations::encounter_reference(cx, encounter))
}

/// What the problem's linked entry `id` becomes (see the module docs).
pub(crate) fn link(record: &GpRecord, id: EntryId) -> Link<'_> {
    match Target::of(record, id) {
        None => Link::None,
        Some(target) if target.withheld() => Link::Withheld(target.kind()),
        Some(target) => Link::Item(target),
    }
}

/// What a problem's link refers to.
pub(crate) enum Target<'r> {
    Medication(&'r Medication),
    Allergy(&'r Allergy),
    Observation(&'r Observation),
    Immunisation(&'r Immunisation),
    Referral(&'r Referral),
    /// A consultation, sent as its Encounter alone.
    Consultation(&'r Encounter),
}

impl<'r> Target<'r> {
    /// The entry `id`, when it is of a kind a problem's related item can be (a
    /// consultation links the problem from its side instead).
    fn of(record: &'r GpRecord, id: EntryId) -> Option<Target<'r>> {
        let medication = || record.medications.iter().find(|m| m.meta.id == id).map(Target::Medication);
        let allergy = || record.allergies.iter().find(|a| a.meta.id == id && a.is_active()).map(Target::Allergy);
        let observation = || {
            record
                .observations
                .iter()
                .find(|o| o.meta.id == id && uncategorised::is_uncategorised(o))
                .map(Target::Observation)
        };
        let immunisation = || record.immunisations.iter().find(|i| i.meta.id == id).map(Target::Immunisation);
        let referral = || record.referrals.iter().find(|r| r.meta.id == id).map(Target::Referral);
        medication().or_else(allergy).or_else(observation).or_else(immunisation).or_else(referral)
    }

    fn withheld(&self) -> bool {
        match self {
            Target::Medication(m) => medications::withheld(m),
            Target::Allergy(a) => allergies::withheld(a),
            Target::Observation(o) => uncategorised::withheld(o),
            Target::Immunisation(i) => immunisations::withheld(i),
            Target::Referral(r) => referrals::withheld(r),
            Target::Consultation(_) => false,
        }
    }

    /// The secondary List it is in.
    pub fn kind(&self) -> SecondaryList {
        match self {
            Target::Medication(_) => SecondaryList::RelatedMedications,
            Target::Allergy(_) => SecondaryList::RelatedAllergies,
            Target::Observation(_) => SecondaryList::RelatedUncategorised,
            Target::Immunisation(_) => SecondaryList::RelatedImmunisations,
            Target::Referral(_) => SecondaryList::RelatedReferrals,
            Target::Consultation(_) => SecondaryList::RelatedConsultations,
        }
    }

    /// What the Condition's `relatedClinicalContent` refers to: a medicine's plan, as
    /// the Problems guidance says.
    pub fn reference(&self, cx: &Context<'_>) -> String {
        match self {
            Target::Medication(m) => medications::plan_reference(cx, m),
            _ => self.listed(cx),
        }
    }

    /// What the secondary List refers to: a medicine's MedicationStatement, as NHS
    /// England's provider tests expect, else the item itself.
    pub fn listed(&self, cx: &Context<'_>) -> String {
        match self {
            Target::Medication(m) => medications::reference(cx, m),
            Target::Allergy(a) => allergies::reference(cx, a.meta.id),
            Target::Observation(o) => uncategorised::reference(cx, o),
            Target::Immunisation(i) => immunisations::reference(cx, i),
            Target::Referral(r) => referrals::reference(cx, r),
            Target::Consultation(e) => consultations::encounter_reference(cx, e),
        }
    }

    /// Its resources, the one [`Target::reference`] names among them. A medicine brings
    /// its issues unless `all` asked for medication without them.
    pub fn resources(&self, cx: &mut Context<'_>, all: &StructuredOptions) -> Vec<Value> {
        match self {
            Target::Medication(m) => {
                let issues = all.medication.is_none_or(|m| m.include_prescription_issues);
                medications::resources_for(cx, m, issues)
            }
            Target::Allergy(a) => vec![allergies::allergy_intolerance(cx, a)],
            Target::Observation(o) => vec![uncategorised::observation_resource(cx, o)],
            Target::Immunisation(i) => vec![immunisations::immunization(cx, i)],
            Target::Referral(r) => vec![referrals::referral_request(cx, r)],
            Target::Consultation(e) => vec![consultations::encounter_resource(cx, e)],
        }
    }
}

/// True when `id` is an entry a problem's link is sent for (shareable and of a kind
/// [`link`] maps): what a problem's related items keep through a Bundle.
pub(crate) fn is_sent_link(record: &GpRecord, id: EntryId) -> bool {
    Target::of(record, id).is_some_and(|target| !target.withheld())
}

/// `CareConnect-GPC-ProblemHeader-Condition-1`. Partial onset and end dates stay
/// partial. `category` is the STU3 `problem-list-item`. The caller has checked
/// [`withheld`]; `related` are the references of the linked items in the Bundle and
/// `context` the consultation it was recorded in, when the Bundle holds it. Each
/// shareable linked problem is a `relatedProblemHeader` (its `type` what this problem
/// is to it, its `target` the other Condition); one the Bundle turns out not to hold is
/// taken out again by [`drop_dangling_problem_links`].
pub(crate) fn condition(
    cx: &mut Context<'_>,
    record: &GpRecord,
    problem: &Problem,
    related: &[String],
    context: Option<&str>,
) -> Value {
    let mut extension = vec![json!({
        "url": urls::PROBLEM_SIGNIFICANCE_EXTENSION,
        "valueCode": match problem.significance {
            Significance::Major => "major",
            Significance::Minor => "minor",
        },
    })];
    for link in &problem.linked_problems {
        let Some(other) = record.problems.iter().find(|p| p.meta.id == link.problem && !withheld(p)) else {
            continue;
        };
        extension.push(json!({
            "url": urls::RELATED_PROBLEM_HEADER_EXTENSION,
            "extension": [
                { "url": "type", "valueCode": relation_code(link.relation) },
                { "url": "target", "valueReference": { "reference": reference(cx, other) } },
            ],
        }));
    }
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
    });
    if let Some(context) = context {
        resource["context"] = json!({ "reference": context });
    }
    resource["assertedDate"] = json!(day(problem.meta.recorded_on));
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

/// `relatedProblemHeader.type` (GP Connect's Problems page: "parent, child or sibling").
fn relation_code(relation: ProblemRelation) -> &'static str {
    match relation {
        ProblemRelation::Parent => "parent",
        ProblemRelation::Child => "child",
        ProblemRelation::Sibling => "sibling",
    }
}

/// Takes out of every Condition a `relatedProblemHeader` whose target the Bundle does not
/// hold (a linked problem no area returned), so that no reference dangles.
pub(crate) fn drop_dangling_problem_links(resources: &mut [Value], present: &HashSet<String>) {
    for condition in resources.iter_mut().filter(|r| r["resourceType"] == "Condition") {
        if let Some(extensions) = condition.get_mut("extension").and_then(Value::as_array_mut) {
            extensions.retain(|e| {
                e["url"] != urls::RELATED_PROBLEM_HEADER_EXTENSION
                    || e["extension"][1]["valueReference"]["reference"].as_str().is_some_and(|r| present.contains(r))
            });
        }
    }
}
