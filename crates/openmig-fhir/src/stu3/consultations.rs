//! The consultations area: the "List of consultations" and, per consultation, an
//! `Encounter` (`CareConnect-GPC-Encounter-1`), the consultation structure Lists and the
//! items recorded in it.
//!
//! Sources: gpconnect.md §1 and §3, and the GP Connect pages it summarises
//! ("Consultation" guidance, "List - consultation structure", "Encounter",
//! "Observation - narrative", "Linkages"), checked where gpconnect.md is silent.
//!
//! # What a consultation is here
//!
//! A record [`Encounter`] with what was recorded in it. The record links encounters to
//! entries explicitly (`Encounter.linked`: the generator links every entry made on a day
//! to that day's encounter, and the fixtures link by hand), so no linkage is derived
//! from dates or clinicians. Each linked entry becomes a clinical item:
//!
//! - a problem → its `Condition` (and the topic's problem link, below);
//! - a medicine → its plan `MedicationRequest` when the consultation authorised or
//!   changed it, and the order of every issue made that day (GP Connect's consultation
//!   guidance refers to a plan or an issue, not to the MedicationStatement). The rule,
//!   deterministic because the record keeps which medicine but not which of its events
//!   the encounter was about: the issues are those dated on the day the encounter
//!   started; the plan is referred to when the medicine was recorded, started (to the
//!   day), authorised, completed (to the day) or stopped that day, or when no issue is
//!   dated that day (so the link is never lost);
//! - an active allergy or the "no known allergies" statement → its
//!   `AllergyIntolerance` (the statement only while no active allergy is recorded, as
//!   in the allergies area); an uncategorised observation → its `Observation`; a
//!   laboratory result → its result `Observation` (as the investigations area builds it,
//!   without the report); an immunisation → `Immunization`; a referral →
//!   `ReferralRequest`;
//! - kinds GP Connect or openmig does not export (ended allergies, which GP Connect only
//!   carries contained in the "Ended allergies" List and so cannot be referred to from
//!   outside it; risks and warnings; sharing preferences) → an entry with no reference
//!   and the display "… items are not supported by the provider system.", as the GP
//!   Connect consultation guidance asks for linked items a provider cannot export.
//!   Links to other encounters and to unknown ids are ignored.
//!
//! The free-text notes become a narrative `Observation` (37331000000100 "Comment note",
//! `context` the Encounter), the consultation's first item.
//!
//! # Structure
//!
//! GP Connect: consultation List (325851000000107) → topic List(s) (25851000000105) →
//! heading List(s) (24781000000107) → items. The record keeps no topics or headings, and
//! GP Connect forbids fabricating clinical structure, so the structure is derived
//! mechanically and says nothing clinical: one untitled topic per consultation, carrying
//! a `problemReference` (`Extension-CareConnect-RelatedProblemHeader-1` with a `target`)
//! to each problem linked in it; under it one heading per kind of item, titled by the
//! kind, in the fixed order Notes, Problems, Allergies, Observations, Test results,
//! Immunisations, Medication, Referrals, Other, each listing its items in link order.
//! Empty headings are not sent. Every structure List has an `id` (they refer to each
//! other), the `encounter`, `date` (the day the encounter was entered), `orderedBy`
//! `system`, and no `note`, `source`, warning or clinical-setting extension (the
//! consultation List page allows nothing else).
//!
//! The "List of consultations" is a primary List like the other areas' (no id, clinical
//! setting, warning, empty reason). Its entries refer to the Encounters, most recent
//! first. (The GP Connect consultation guidance page says the entries refer to the
//! consultation Lists; GP Connect's provider assurance tests and NHS England's GP2GP
//! adaptor, which reads real providers' Bundles, both expect Encounters. openmig follows
//! the latter; each consultation List names its Encounter, so either can be found.)
//!
//! # Filters
//!
//! `consultationSearchPeriod`: inclusive at both ends on the day the consultation
//! started. `includeNumberOfMostRecent`: the N that started last (ties broken by entry
//! id, newest first). Both count only the consultations that can be returned: a withheld
//! or empty one is never counted, so the number of consultations returned says nothing
//! about withheld ones.
//!
//! # Withholding and empty consultations
//!
//! - A consultation marked confidential (or of a sensitive kind) is left out.
//! - A linked item that is withheld is neither referred to nor pulled in; the
//!   consultation is still returned, but without its free-text notes, because notes
//!   typed in the same consultation may well describe the withheld item and openmig
//!   cannot tell which part does.
//! - A consultation that links withheld items and nothing else that can be shared (a
//!   sexual-health attendance, say) is left out entirely: an Encounter, its date or its
//!   clinician would otherwise betray it.
//! - A consultation with no item and no notes is empty and is not returned (GP Connect
//!   suppresses empty consultations); it never causes a warning.
//!
//! The "List of consultations" carries `confidential-items` when a returned consultation
//! lost an item, when a left-out consultation lies inside the period (and, with "most
//! recent N", is at least as recent as the oldest returned one, or fewer than N could be
//! returned), or when a problem pulled in lost a linked item. The structure Lists never
//! warn, so nothing says which consultation lost what. With nothing to return the List
//! is empty with `no-content-recorded`.
//!
//! # Linked items in the Bundle
//!
//! Every item a consultation refers to is in the Bundle: when its own area did not
//! return it (not asked for, or filtered out) it follows the consultations, once. A
//! medicine brings its Medication, MedicationStatement and plan, plus only the orders the
//! consultation refers to (GP Connect "Linkages": "Only include MedicationRequest
//! (intent = order) for directly linked issues"); a problem brings its Condition with
//! the items linked to it, as the problems area does. Pulled-in items are not added to
//! their own area's primary List but to the consultations' secondary List of their kind
//! ("Consultations - medications contained in consultations" and the rest, each item
//! once; a medicine by its MedicationStatement, as NHS England's provider tests expect;
//! test results in none, as GP Connect lists investigations by a DiagnosticReport the
//! consultation does not send). A withheld item of a returned consultation makes its
//! kind's List warn, with no entry if need be ("a warning code SHALL be present even if
//! no other data is contained in the list"). The problems a consultation links, and
//! those linked to what it recorded (GP Connect's Linkages page: "Include the
//! ProblemHeader (Condition) profile of any Problems linked to the returned
//! Medications…", allergies, immunisations and the rest), are in the one "Problems -
//! linked problems not relating to the primary query" List.
//!
//! # Encounter
//!
//! `status` `finished`; `type` the encounter kind (SNOMED CT code and its term as
//! `text`); `participant` the clinician seen as `PPRF` (left out when the clinician is
//! unknown); `period` from the recorded local start to start plus duration, with the UK
//! offset of the season; `length` in minutes; `serviceProvider` the practice. No
//! `identifier` (the record holds no persistent GUID) and no `location` (the record
//! holds no Location).

use std::collections::{BTreeMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use openmig_domain::record::{
    Allergy, Encounter, Immunisation, Medication, MedicationStatus, NoKnownAllergies, Observation, Problem, Referral,
};
use openmig_domain::{EntryId, GpRecord, PartialDate, SnomedCode};
use serde_json::{Value, json};

use super::context::Context;
use super::lists::{ListBuilder, SecondaryList, SecondaryLists};
use super::problems::{Link, Target};
use super::withholding::is_withheld;
use super::{
    ConsultationOptions, StructuredOptions, allergies, day, ids, immunisations, investigations, key, local_date_time,
    medications, midnight_utc, problems, profile_meta, referrals, snomed_concept, uncategorised, urls,
};

/// The display of an ended allergy linked to a consultation (see the module docs).
const ENDED_ALLERGY_NOT_SUPPORTED: &str = "Ended allergy items are not supported by the provider system.";
/// The display of a risk or warning linked to a consultation.
const ALERT_NOT_SUPPORTED: &str = "Risk and warning items are not supported by the provider system.";
/// The display of a sharing preference linked to a consultation.
const SHARING_NOT_SUPPORTED: &str = "Record sharing preference items are not supported by the provider system.";

/// The area's List, each returned consultation's Encounter and structure (consultation
/// List, topic, headings, narrative), then the linked items not already in the Bundle.
///
/// `present` holds the `Type/id` of every resource the other areas already put in the
/// Bundle; `all` is the whole request (whether medication issues were asked for, for the
/// items linked to a pulled-in problem).
pub(crate) fn area(
    cx: &mut Context<'_>,
    record: &GpRecord,
    options: &ConsultationOptions,
    all: &StructuredOptions,
    present: &HashSet<String>,
) -> Vec<Value> {
    let mut list = ListBuilder::new(urls::CONSULTATIONS_LIST);
    let mut shared = Vec::new();
    let mut withheld_starts = Vec::new();
    for encounter in record.encounters.iter().filter(|e| in_period(e, options.period)) {
        match classify(record, encounter) {
            Shape::Empty => {}
            Shape::Withheld => withheld_starts.push(encounter.start),
            Shape::Shared(consultation) => shared.push(consultation),
        }
    }
    shared.sort_by_key(|c| std::cmp::Reverse((c.encounter.start, c.encounter.meta.id)));
    // With "most recent N", a withheld consultation older than every returned one was
    // not asked about; `cutoff` is the oldest start still asked about.
    let cutoff = match options.most_recent.map(|n| usize::try_from(n).unwrap_or(usize::MAX)) {
        Some(n) if shared.len() > n => {
            shared.truncate(n);
            Some(shared.last().map_or(NaiveDateTime::MAX, |c| c.encounter.start))
        }
        _ => None,
    };
    if withheld_starts.iter().any(|start| cutoff.is_none_or(|cutoff| *start >= cutoff)) {
        list.withheld();
    }

    let mut pulled = Pulled::new(present);
    let mut secondary = SecondaryLists::default();
    let mut structure = Vec::new();
    for consultation in &shared {
        if consultation.lost_items {
            list.withheld();
        }
        consultation.lost.iter().for_each(|lost| secondary.withheld(*lost));
        list.item(encounter_reference(cx, consultation.encounter));
        structure.extend(render(cx, record, all, consultation, &mut pulled, &mut list));
        for item in &consultation.items {
            if let (Some(contained), Some(reference)) = (item.contained_list(), listed_reference(cx, item)) {
                secondary.item(contained, reference);
            }
        }
    }
    let mut out = vec![list.build(cx)];
    out.extend(secondary.build(cx));
    out.extend(structure);
    out.extend(pulled.resources);
    out
}

/// Inclusive at both ends on the day the encounter started; no period means all.
fn in_period(encounter: &Encounter, period: Option<(NaiveDate, NaiveDate)>) -> bool {
    let started = encounter.start.date();
    period.is_none_or(|(start, end)| start <= started && started <= end)
}

/// What an encounter becomes.
enum Shape<'r> {
    /// Nothing recorded in it: not returned, not counted, no warning.
    Empty,
    /// Confidential, sensitive, or there only for withheld items: left out, and the List
    /// warns when it was asked about.
    Withheld,
    /// Returned.
    Shared(Consultation<'r>),
}

/// A consultation that can be returned, with what of it can be shared.
struct Consultation<'r> {
    encounter: &'r Encounter,
    /// The shareable linked items, in link order.
    items: Vec<Item<'r>>,
    /// The free-text notes, unless empty or the consultation lost an item.
    notes: Option<&'r str>,
    /// True when a linked item was withheld.
    lost_items: bool,
    /// The secondary Lists the withheld items would have been in.
    lost: Vec<SecondaryList>,
}

/// A shareable item linked to a consultation.
enum Item<'r> {
    Problem(&'r Problem),
    Medication(&'r Medication),
    Allergy(&'r Allergy),
    NoKnownAllergies(&'r NoKnownAllergies),
    Observation(&'r Observation),
    TestResult(&'r Observation),
    Immunisation(&'r Immunisation),
    Referral(&'r Referral),
    /// A kind that is not exported: an entry with a display and no reference.
    Unsupported {
        heading: Heading,
        display: &'static str,
    },
}

impl Item<'_> {
    /// The consultations' secondary List the item is in. Test results are in none: GP
    /// Connect lists investigations by their DiagnosticReport, which a consultation does
    /// not send.
    fn contained_list(&self) -> Option<SecondaryList> {
        Some(match self {
            Item::Problem(_) => SecondaryList::ContainedProblems,
            Item::Medication(_) => SecondaryList::ContainedMedications,
            Item::Allergy(_) | Item::NoKnownAllergies(_) => SecondaryList::ContainedAllergies,
            Item::Observation(_) => SecondaryList::ContainedUncategorised,
            Item::Immunisation(_) => SecondaryList::ContainedImmunisations,
            Item::Referral(_) => SecondaryList::ContainedReferrals,
            Item::TestResult(_) | Item::Unsupported { .. } => return None,
        })
    }
}

/// What a linked entry id is.
enum Linked<'r> {
    Item(Item<'r>),
    /// Withheld, with the secondary List it would have been in.
    Withheld(Option<SecondaryList>),
    /// Nothing to send: an unknown id, another encounter, a superseded "no known
    /// allergies".
    Nothing,
}

fn classify<'r>(record: &'r GpRecord, encounter: &'r Encounter) -> Shape<'r> {
    if is_withheld(&encounter.meta, encounter.type_code()) {
        return Shape::Withheld;
    }
    let mut seen = HashSet::new();
    let mut items = Vec::new();
    let mut lost_items = false;
    let mut lost = Vec::new();
    for id in encounter.linked.iter().filter(|id| seen.insert(**id)) {
        match linked(record, *id) {
            Linked::Item(item) => items.push(item),
            Linked::Withheld(list) => {
                lost_items = true;
                lost.extend(list);
            }
            Linked::Nothing => {}
        }
    }
    let clinical = items.iter().any(|item| !matches!(item, Item::Unsupported { .. }));
    if lost_items && !clinical {
        return Shape::Withheld;
    }
    let notes = Some(encounter.notes.trim()).filter(|notes| !notes.is_empty() && !lost_items);
    if items.is_empty() && notes.is_none() {
        return Shape::Empty;
    }
    Shape::Shared(Consultation { encounter, items, notes, lost_items, lost })
}

fn linked(record: &GpRecord, id: EntryId) -> Linked<'_> {
    fn shared(withheld: bool, item: Item<'_>) -> Linked<'_> {
        if withheld { Linked::Withheld(item.contained_list()) } else { Linked::Item(item) }
    }
    if let Some(problem) = record.problems.iter().find(|p| p.meta.id == id) {
        return shared(problems::withheld(problem), Item::Problem(problem));
    }
    if let Some(medication) = record.medications.iter().find(|m| m.meta.id == id) {
        return shared(medications::withheld(medication), Item::Medication(medication));
    }
    if let Some(allergy) = record.allergies.iter().find(|a| a.meta.id == id) {
        let item = if allergy.is_active() {
            Item::Allergy(allergy)
        } else {
            Item::Unsupported { heading: Heading::Allergies, display: ENDED_ALLERGY_NOT_SUPPORTED }
        };
        return shared(allergies::withheld(allergy), item);
    }
    if let Some(nka) = record.no_known_allergies.as_ref().filter(|n| n.meta.id == id) {
        if allergies::no_known_allergies_withheld(nka) {
            return Linked::Withheld(Some(SecondaryList::ContainedAllergies));
        }
        // Superseded by an active allergy (shared or not): never "no known allergies"
        // next to an allergy, as in the allergies area.
        if record.allergies.iter().any(Allergy::is_active) {
            return Linked::Nothing;
        }
        return Linked::Item(Item::NoKnownAllergies(nka));
    }
    if let Some(observation) = record.observations.iter().find(|o| o.meta.id == id) {
        let item = if uncategorised::is_uncategorised(observation) {
            Item::Observation(observation)
        } else {
            Item::TestResult(observation)
        };
        return shared(uncategorised::withheld(observation), item);
    }
    if let Some(immunisation) = record.immunisations.iter().find(|i| i.meta.id == id) {
        return shared(immunisations::withheld(immunisation), Item::Immunisation(immunisation));
    }
    if let Some(referral) = record.referrals.iter().find(|r| r.meta.id == id) {
        return shared(referrals::withheld(referral), Item::Referral(referral));
    }
    if let Some(alert) = record.alerts.iter().find(|a| a.meta.id == id) {
        let item = Item::Unsupported { heading: Heading::Other, display: ALERT_NOT_SUPPORTED };
        return shared(is_withheld(&alert.meta, [alert.code.code]), item);
    }
    if let Some(preference) = record.sharing_preferences.iter().find(|p| p.meta.id == id) {
        let item = Item::Unsupported { heading: Heading::Other, display: SHARING_NOT_SUPPORTED };
        return shared(is_withheld(&preference.meta, [preference.code.code]), item);
    }
    Linked::Nothing
}

/// The headings a consultation's items are grouped under, in their order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Heading {
    Notes,
    Problems,
    Allergies,
    Observations,
    TestResults,
    Immunisations,
    Medication,
    Referrals,
    Other,
}

impl Heading {
    fn title(self) -> &'static str {
        match self {
            Heading::Notes => "Notes",
            Heading::Problems => "Problems",
            Heading::Allergies => "Allergies",
            Heading::Observations => "Observations",
            Heading::TestResults => "Test results",
            Heading::Immunisations => "Immunisations",
            Heading::Medication => "Medication",
            Heading::Referrals => "Referrals",
            Heading::Other => "Other",
        }
    }

    /// The end of the heading List's id.
    fn slug(self) -> &'static str {
        match self {
            Heading::Notes => "notes",
            Heading::Problems => "problems",
            Heading::Allergies => "allergies",
            Heading::Observations => "observations",
            Heading::TestResults => "test-results",
            Heading::Immunisations => "immunisations",
            Heading::Medication => "medication",
            Heading::Referrals => "referrals",
            Heading::Other => "other",
        }
    }
}

/// The resources pulled in for linked items, each once and none already in the Bundle.
struct Pulled {
    seen: HashSet<String>,
    resources: Vec<Value>,
}

impl Pulled {
    fn new(present: &HashSet<String>) -> Self {
        Pulled { seen: present.clone(), resources: Vec::new() }
    }

    fn add(&mut self, resource: Value) {
        if key(&resource).is_none_or(|key| self.seen.insert(key)) {
            self.resources.push(resource);
        }
    }

    fn add_all(&mut self, resources: Vec<Value>) {
        resources.into_iter().for_each(|resource| self.add(resource));
    }
}

/// One consultation: its Encounter, consultation List, topic List, heading Lists and
/// narrative Observation. Linked items go to `pulled`.
fn render(
    cx: &mut Context<'_>,
    record: &GpRecord,
    all: &StructuredOptions,
    consultation: &Consultation<'_>,
    pulled: &mut Pulled,
    list: &mut ListBuilder,
) -> Vec<Value> {
    let encounter = consultation.encounter;
    let mut headings: BTreeMap<Heading, Vec<Value>> = BTreeMap::new();
    let mut add = |heading: Heading, entry: Value| headings.entry(heading).or_default().push(entry);
    let mut problem_links = Vec::new();

    let narrative = consultation.notes.map(|notes| narrative(cx, encounter, notes));
    if narrative.is_some() {
        add(Heading::Notes, item(format!("Observation/{}", narrative_id(cx, encounter))));
    }
    for linked in &consultation.items {
        match linked {
            Item::Problem(problem) => {
                let reference = problems::reference(cx, problem);
                pull_problem(cx, record, all, problem, pulled, list);
                add(Heading::Problems, item(reference.clone()));
                problem_links.push(reference);
            }
            Item::Medication(medication) => {
                let (plan, orders) = medication_links(medication, encounter.start.date());
                if plan {
                    add(Heading::Medication, item(medications::plan_reference(cx, medication)));
                }
                for n in &orders {
                    add(Heading::Medication, item(medications::order_reference(cx, medication, *n)));
                }
                pulled.add_all(medications::resources_with_issues(cx, medication, |n| orders.contains(&n)));
            }
            Item::Allergy(allergy) => {
                add(Heading::Allergies, item(allergies::reference(cx, allergy.meta.id)));
                pulled.add(allergies::allergy_intolerance(cx, allergy));
            }
            Item::NoKnownAllergies(nka) => {
                add(Heading::Allergies, item(allergies::reference(cx, nka.meta.id)));
                pulled.add(allergies::no_known_allergies(cx, nka));
            }
            Item::Observation(observation) => {
                add(Heading::Observations, item(uncategorised::reference(cx, observation)));
                pulled.add(uncategorised::observation_resource(cx, observation));
            }
            Item::TestResult(observation) => {
                add(Heading::TestResults, item(uncategorised::reference(cx, observation)));
                pulled.add(investigations::result(cx, observation));
            }
            Item::Immunisation(immunisation) => {
                add(Heading::Immunisations, item(immunisations::reference(cx, immunisation)));
                pulled.add(immunisations::immunization(cx, immunisation));
            }
            Item::Referral(referral) => {
                add(Heading::Referrals, item(referrals::reference(cx, referral)));
                pulled.add(referrals::referral_request(cx, referral));
            }
            Item::Unsupported { heading, display } => add(*heading, json!({ "item": { "display": display } })),
        }
    }

    let encounter_ref = encounter_reference(cx, encounter);
    let date = day(encounter.meta.recorded_on);
    let list_of = |list: StructureList<'_>| structure_list(cx, &encounter_ref, &date, list);
    let mut heading_lists = Vec::new();
    let mut topic_entries = Vec::new();
    for (heading, entries) in headings {
        let id = ids::consultation_heading(cx.nhs, encounter.meta.id, heading.slug());
        topic_entries.push(item(format!("List/{id}")));
        heading_lists.push(list_of(StructureList {
            id: &id,
            code: urls::HEADING_LIST,
            title: Some(heading.title()),
            entries,
            extension: Vec::new(),
        }));
    }
    let problem_extensions = problem_links
        .iter()
        .map(|reference| {
            json!({
                "url": urls::RELATED_PROBLEM_HEADER_EXTENSION,
                "extension": [{ "url": "target", "valueReference": { "reference": reference } }],
            })
        })
        .collect();
    let topic_id = ids::entry("consultation-topic", cx.nhs, encounter.meta.id);
    let topic = list_of(StructureList {
        id: &topic_id,
        code: urls::TOPIC_LIST,
        title: None,
        entries: topic_entries,
        extension: problem_extensions,
    });
    let consultation_id = ids::entry("consultation", cx.nhs, encounter.meta.id);
    let consultation_list = list_of(StructureList {
        id: &consultation_id,
        code: urls::CONSULTATION_LIST,
        title: Some(encounter.type_label()),
        entries: vec![item(format!("List/{topic_id}"))],
        extension: Vec::new(),
    });

    let mut out = vec![encounter_resource(cx, encounter), consultation_list, topic];
    out.extend(heading_lists);
    out.extend(narrative);
    out
}

/// A problem linked to a consultation, with the items linked to the problem, as the
/// problems area sends them.
fn pull_problem(
    cx: &mut Context<'_>,
    record: &GpRecord,
    all: &StructuredOptions,
    problem: &Problem,
    pulled: &mut Pulled,
    list: &mut ListBuilder,
) {
    let mut related = Vec::new();
    for id in &problem.related {
        match problems::link(record, *id) {
            Link::None => {}
            Link::Withheld(_) => list.withheld(),
            Link::Item(target) => {
                pulled.add_all(target.resources(cx, all));
                related.push(target.reference(cx));
            }
        }
    }
    pulled.add(problems::condition(cx, record, problem, &related, None));
}

/// A consultation that links a problem, as the problems area refers to it: its
/// Encounter alone, when the consultation can be returned at all.
pub(crate) fn problem_link<'r>(record: &'r GpRecord, encounter: &'r Encounter) -> Link<'r> {
    match classify(record, encounter) {
        Shape::Empty => Link::None,
        Shape::Withheld => Link::Withheld(SecondaryList::RelatedConsultations),
        Shape::Shared(_) => Link::Item(Target::Consultation(encounter)),
    }
}

/// Which of a linked medicine's resources a consultation on `day` refers to: whether
/// the plan, and the numbers (from 1, oldest first) of the issues (rule in the module
/// docs).
fn medication_links(medication: &Medication, day: NaiveDate) -> (bool, Vec<usize>) {
    let orders: Vec<usize> = medication
        .issues
        .iter()
        .enumerate()
        .filter(|(_, issue)| issue.date == day)
        .map(|(index, _)| index + 1)
        .collect();
    let status_changed = match &medication.status {
        MedicationStatus::Active => None,
        MedicationStatus::Completed { on: PartialDate::Day(on) } => Some(*on),
        MedicationStatus::Completed { .. } => None,
        MedicationStatus::Discontinued { on, .. } => Some(*on),
    };
    let authorised_that_day = medication.meta.recorded_on == day
        || medication.authorised_from == Some(day)
        || medication.started == PartialDate::Day(day)
        || status_changed == Some(day);
    (authorised_that_day || orders.is_empty(), orders)
}

/// What a consultations' secondary List refers to for `item`: a medicine by its
/// MedicationStatement (as NHS England's provider tests expect), else the item; nothing
/// for the kinds in no secondary List ([`Item::contained_list`]).
fn listed_reference(cx: &Context<'_>, item: &Item<'_>) -> Option<String> {
    Some(match item {
        Item::Problem(problem) => problems::reference(cx, problem),
        Item::Medication(medication) => medications::reference(cx, medication),
        Item::Allergy(allergy) => allergies::reference(cx, allergy.meta.id),
        Item::NoKnownAllergies(nka) => allergies::reference(cx, nka.meta.id),
        Item::Observation(observation) => uncategorised::reference(cx, observation),
        Item::Immunisation(immunisation) => immunisations::reference(cx, immunisation),
        Item::Referral(referral) => referrals::reference(cx, referral),
        Item::TestResult(_) | Item::Unsupported { .. } => return None,
    })
}

/// A List entry referring to `reference`.
fn item(reference: String) -> Value {
    json!({ "item": { "reference": reference } })
}

/// `Encounter/…`.
pub(crate) fn encounter_reference(cx: &Context<'_>, encounter: &Encounter) -> String {
    format!("Encounter/{}", ids::entry("encounter", cx.nhs, encounter.meta.id))
}

fn narrative_id(cx: &Context<'_>, encounter: &Encounter) -> String {
    ids::entry("observation-narrative", cx.nhs, encounter.meta.id)
}

/// What differs between a consultation's structure Lists.
struct StructureList<'a> {
    id: &'a str,
    /// SNOMED CT `(code, display)`: consultation, topic or heading.
    code: (&'static str, &'static str),
    title: Option<&'a str>,
    entries: Vec<Value>,
    extension: Vec<Value>,
}

/// A consultation, topic or heading List of the consultation with this `encounter`
/// reference, entered on `date` (see the module docs for what it carries).
fn structure_list(cx: &Context<'_>, encounter: &str, date: &str, fields: StructureList<'_>) -> Value {
    let StructureList { id, code: (code, display), title, entries, extension } = fields;
    let mut list = json!({ "resourceType": "List", "id": id, "meta": profile_meta(urls::LIST_PROFILE) });
    if !extension.is_empty() {
        list["extension"] = json!(extension);
    }
    list["status"] = json!("current");
    list["mode"] = json!("snapshot");
    if let Some(title) = title {
        list["title"] = json!(title);
    }
    list["code"] = snomed_concept(code, display);
    list["subject"] = cx.patient_ref();
    list["encounter"] = json!({ "reference": encounter });
    list["date"] = json!(date);
    list["orderedBy"] = json!({
        "coding": [{
            "system": urls::LIST_ORDER_SYSTEM,
            "code": urls::SORTED_BY_SYSTEM.0,
            "display": urls::SORTED_BY_SYSTEM.1,
        }],
    });
    list["entry"] = json!(entries);
    list
}

/// The Encounter's `type`: the SNOMED CT code with its term, or only the words for a
/// type the practice recorded as text.
fn encounter_type(code: Option<SnomedCode>, label: &str) -> Value {
    match code {
        Some(code) => json!({
            "coding": [{ "system": urls::SNOMED, "code": code.to_string(), "display": label }],
            "text": label,
        }),
        None => json!({ "text": label }),
    }
}

/// `CareConnect-GPC-Encounter-1` (see the module docs).
pub(crate) fn encounter_resource(cx: &mut Context<'_>, encounter: &Encounter) -> Value {
    let label = encounter.type_label();
    let mut period = json!({ "start": local_date_time(encounter.start) });
    if let Some(end) = encounter.start.checked_add_signed(TimeDelta::minutes(i64::from(encounter.duration_minutes))) {
        period["end"] = json!(local_date_time(end));
    }
    let mut resource = json!({
        "resourceType": "Encounter",
        "id": ids::entry("encounter", cx.nhs, encounter.meta.id),
        "meta": profile_meta(urls::ENCOUNTER_PROFILE),
        "status": "finished",
        "type": [encounter_type(encounter.type_code(), label)],
        "subject": cx.patient_ref(),
    });
    let mut participants = Vec::new();
    if let Some(individual) = cx.practitioner_ref(&encounter.meta.recorded_by) {
        participants.push(participant(urls::GPC_PARTICIPANT_TYPE_SYSTEM, urls::RECORDER_PARTICIPANT, individual));
    }
    if let Some(individual) = cx.practitioner_ref(&encounter.clinician) {
        participants.push(participant(urls::PARTICIPATION_TYPE_SYSTEM, urls::PRIMARY_PERFORMER, individual));
    }
    if !participants.is_empty() {
        resource["participant"] = json!(participants);
    }
    resource["period"] = period;
    resource["length"] = json!({
        "value": encounter.duration_minutes,
        "unit": "min",
        "system": urls::UCUM,
        "code": "min",
    });
    resource["serviceProvider"] = cx.organization_ref();
    resource
}

/// An Encounter participant of `kind` (the GP Connect Encounter page: `REC` who recorded
/// it, `PPRF` who was seen).
fn participant(system: &str, (code, display): (&str, &str), individual: Value) -> Value {
    json!({
        "type": [{ "coding": [{ "system": system, "code": code, "display": display }] }],
        "individual": individual,
    })
}

/// The free-text notes as a narrative `CareConnect-GPC-Observation-1`.
fn narrative(cx: &mut Context<'_>, encounter: &Encounter, notes: &str) -> Value {
    let mut resource = json!({
        "resourceType": "Observation",
        "id": narrative_id(cx, encounter),
        "meta": profile_meta(urls::OBSERVATION_PROFILE),
        "status": "final",
        "code": snomed_concept(urls::COMMENT_NOTE.0, urls::COMMENT_NOTE.1),
        "subject": cx.patient_ref(),
        "context": { "reference": encounter_reference(cx, encounter) },
        "effectiveDateTime": local_date_time(encounter.start),
        "issued": midnight_utc(encounter.meta.recorded_on),
    });
    if let Some(performer) = cx.practitioner_ref(&encounter.meta.recorded_by) {
        resource["performer"] = json!([performer]);
    }
    resource["comment"] = json!(notes);
    resource
}

#[cfg(test)]
mod tests {
    use openmig_domain::fixtures::{example_record, ids as entries};

    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a calendar date")
    }

    fn medicine(id: EntryId) -> Medication {
        example_record().medications.into_iter().find(|m| m.meta.id == id).expect("fixture medicine")
    }

    #[test]
    fn a_consultation_refers_to_the_issue_made_that_day_and_not_to_the_plan() {
        // Apixaban: started 2023-02-10, re-authorised 2026-08-10, issued 2026-11-02 (5th).
        assert_eq!(medication_links(&medicine(entries::APIXABAN), date(2026, 11, 2)), (false, vec![5]));
    }

    #[test]
    fn a_consultation_refers_to_the_plan_it_started_or_stopped() {
        assert_eq!(medication_links(&medicine(entries::APIXABAN), date(2023, 2, 10)), (true, vec![]));
        // Re-authorised and issued the same day: both.
        assert_eq!(medication_links(&medicine(entries::APIXABAN), date(2026, 8, 10)), (true, vec![2]));
        // Naproxen was stopped on 2023-02-10.
        assert_eq!(medication_links(&medicine(entries::NAPROXEN), date(2023, 2, 10)), (true, vec![]));
    }

    #[test]
    fn a_consultation_with_no_event_of_the_medicine_that_day_still_refers_to_its_plan() {
        assert_eq!(medication_links(&medicine(entries::APIXABAN), date(2025, 1, 1)), (true, vec![]));
    }
}
