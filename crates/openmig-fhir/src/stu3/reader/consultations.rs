//! Consultations: one record encounter per `Encounter`, with what was recorded in it.
//!
//! - Linked entries: the items under the encounter's consultation List (code
//!   325851000000107, `encounter` the Encounter), through its topic and heading Lists,
//!   in that order, each entry once (a medicine's plan and its orders are one entry).
//! - Who: the clinician seen is the `PPRF` participant (else a participant that is not
//!   the recorder); who recorded it is the `REC` participant (GP Connect's Encounter
//!   page), else the narrative's performer, else the clinician seen.
//!   Display-only items (kinds the provider could not export) are not entries.
//! - Notes: the narrative Observations (37331000000100 "Comment note") whose `context`
//!   is the Encounter; their performer is who recorded the consultation (else the
//!   clinician seen).
//! - Kind: the `type` coding that is one of openmig's encounter kinds. A consultation of
//!   another type (free text, as GP Connect's own examples send "Surgery Consultation",
//!   or another SNOMED CT code) is [`EncounterKind::Other`] with the practice's words
//!   and code: calling it a surgery consultation would invent a fact, and leaving it out
//!   would lose its notes.
//! - Start: `period.start` in UK time (else, `period` being 0..1, the start of the day
//!   its consultation List was recorded); duration: `length` in minutes (else the
//!   period); recorded: the consultation List's `date` (else the day it started).
//!
//! Each structure List is read once, for the first consultation that reaches it, so a
//! Bundle cannot make the reader walk the same List many times.

use std::collections::{HashMap, HashSet};

use openmig_domain::record::{Encounter, EncounterKind, EntryMeta, OtherEncounterType};
use openmig_domain::{EntryId, SnomedCode};
use serde_json::Value;

use super::super::urls;
use super::bundle::ResId;
use super::values::{array, code_in, concept_text, first, optional_first_day, snomed, text, uk_local_time, whole};
use super::{NotRead, Reader, Section, invalid};

const KIND: &str = "Encounter";

/// How deep consultation → topic → heading → item Lists may nest (GP Connect uses three
/// levels; one more is tolerated).
const MAX_DEPTH: usize = 4;

/// The narrative Observations, each with its Encounter.
pub(super) fn narratives(reader: &Reader<'_>) -> HashMap<ResId, ResId> {
    let mut out = HashMap::new();
    for id in reader.of_kind("Observation") {
        let resource = reader.resource(id);
        if code_in(&resource["code"], urls::SNOMED) != Some(urls::COMMENT_NOTE.0) {
            continue;
        }
        if let Ok(Some(encounter)) = reader.index.target_of(&resource["context"], id, "Observation.context", KIND) {
            out.insert(id, encounter);
        }
    }
    out
}

/// Every consultation of a kind openmig knows.
pub(super) fn read(reader: &mut Reader<'_>, narratives: &HashMap<ResId, ResId>) -> Vec<Encounter> {
    let mut structure: HashMap<ResId, ResId> = HashMap::new();
    for list in reader.of_kind("List") {
        let resource = reader.resource(list);
        if code_in(&resource["code"], urls::SNOMED) != Some(urls::CONSULTATION_LIST.0) {
            continue;
        }
        if let Ok(Some(encounter)) = reader.index.target_of(&resource["encounter"], list, "List.encounter", KIND) {
            structure.entry(encounter).or_insert(list);
        }
    }
    let mut notes_of: HashMap<ResId, Vec<ResId>> = HashMap::new();
    for (narrative, encounter) in narratives {
        notes_of.entry(*encounter).or_default().push(*narrative);
    }
    for notes in notes_of.values_mut() {
        notes.sort_unstable();
    }
    let context = Context { narratives, structure: &structure, notes_of: &notes_of };
    let mut walked = HashSet::new();
    let mut out = Vec::new();
    for id in reader.of_kind(KIND) {
        if let Some(encounter) =
            reader.item(id, Section::Consultations, |reader| encounter(reader, id, &context, &mut walked))
        {
            out.push(encounter);
        }
    }
    out
}

/// What every consultation is read against.
struct Context<'c> {
    narratives: &'c HashMap<ResId, ResId>,
    /// Each Encounter's consultation List.
    structure: &'c HashMap<ResId, ResId>,
    /// Each Encounter's narrative Observations, in Bundle order.
    notes_of: &'c HashMap<ResId, Vec<ResId>>,
}

/// One consultation; `None` when entered in error or cancelled.
fn encounter(
    reader: &mut Reader<'_>,
    id: ResId,
    context: &Context<'_>,
    walked: &mut HashSet<ResId>,
) -> Result<Option<Encounter>, NotRead> {
    let resource = reader.resource(id);
    if matches!(text(resource, "status"), Some("entered-in-error" | "cancelled")) {
        return Ok(None);
    }
    let Some(entry) = reader.entries.get(id) else { return Ok(None) };
    let (kind, other_type) = kind(resource);
    let list = context.structure.get(&id).copied();
    let recorded_on = match list {
        Some(list) => optional_first_day(&reader.resource(list)["date"], "List", "date")?,
        None => None,
    };
    let period = &resource["period"];
    // `period` is 0..1: a consultation the practice did not time starts on the day its
    // consultation List was recorded.
    let start = match text(period, "start") {
        Some(start) => uk_local_time(start).ok_or_else(|| invalid(KIND, "period.start is not a date and time"))?,
        None => recorded_on
            .map(|day| day.and_time(chrono::NaiveTime::MIN))
            .ok_or_else(|| invalid(KIND, "no period.start and no consultation date"))?,
    };
    let duration_minutes = resource["length"].get("value").and_then(whole::<u16>).unwrap_or_else(|| {
        text(period, "end")
            .and_then(uk_local_time)
            .and_then(|end| u16::try_from((end - start).num_minutes()).ok())
            .unwrap_or(0)
    });
    let participants = array(resource, "participant");
    let is = |p: &Value, code: &str| array(p, "type").iter().any(|t| participant_type(t) == Some(code));
    let recorder = participants.iter().find(|p| is(p, urls::RECORDER_PARTICIPANT.0));
    let seen = participants
        .iter()
        .find(|p| is(p, urls::PRIMARY_PERFORMER.0))
        .or_else(|| participants.iter().find(|p| !is(p, urls::RECORDER_PARTICIPANT.0)));
    let clinician = reader.clinician(seen.map_or(&Value::Null, |p| &p["individual"]), id);
    let recorder = recorder.map(|p| reader.clinician(&p["individual"], id));

    let narratives_here = context.notes_of.get(&id).map(Vec::as_slice).unwrap_or_default();
    let mut linked = Linked::default();
    if let Some(list) = list {
        walk(reader, list, context.narratives, walked, &mut linked, 0);
    }
    let notes: Vec<&str> = narratives_here
        .iter()
        .filter_map(|n| text(reader.resource(*n), "comment").or_else(|| text(reader.resource(*n), "valueString")))
        .collect();
    let recorded_by = match (recorder, narratives_here.first()) {
        (Some(recorder), _) => recorder,
        (None, Some(narrative)) => {
            let performer = first(reader.resource(*narrative), "performer").unwrap_or(&Value::Null);
            reader.clinician(performer, *narrative)
        }
        (None, None) => clinician.clone(),
    };
    Ok(Some(Encounter {
        meta: EntryMeta {
            id: entry,
            recorded_on: recorded_on.unwrap_or(start.date()),
            recorded_by,
            confidential: false,
        },
        start,
        duration_minutes,
        kind,
        clinician,
        notes: notes.join("\n"),
        linked: linked.ids,
        other_type,
    }))
}

/// A participant type coding's code: `REC` from GP Connect's code system, `PPRF` (and the
/// rest) from HL7 v3 ParticipationType in either its R4 or its STU3 spelling.
fn participant_type(concept: &Value) -> Option<&str> {
    [urls::GPC_PARTICIPANT_TYPE_SYSTEM, urls::PARTICIPATION_TYPE_SYSTEM, "http://hl7.org/fhir/v3/ParticipationType"]
        .into_iter()
        .find_map(|system| code_in(concept, system))
}

/// The encounter kind one of the `type` codings names; else another type, as the
/// practice recorded it (its first SNOMED CT code, and the first type's words).
fn kind(resource: &Value) -> (EncounterKind, Option<OtherEncounterType>) {
    let types = array(resource, "type");
    if let Some(kind) = types.iter().filter_map(snomed).find_map(|coded| kind_of(coded.code)) {
        return (kind, None);
    }
    let coded = types.iter().find_map(snomed);
    let text = types.iter().find_map(concept_text).map(str::to_owned);
    let text = text.or_else(|| coded.as_ref().map(|c| c.display.clone())).unwrap_or_default();
    (EncounterKind::Other, Some(OtherEncounterType { code: coded.map(|c| c.code), text }))
}

fn kind_of(code: SnomedCode) -> Option<EncounterKind> {
    EncounterKind::CODED.into_iter().find(|kind| kind.code() == Some(code))
}

/// Entries in the order first met, each once.
#[derive(Default)]
struct Linked {
    ids: Vec<EntryId>,
    seen: HashSet<EntryId>,
}

/// Collects the entries under a structure List, depth first, skipping narratives and
/// Lists already walked.
fn walk(
    reader: &Reader<'_>,
    list: ResId,
    narratives: &HashMap<ResId, ResId>,
    walked: &mut HashSet<ResId>,
    linked: &mut Linked,
    depth: usize,
) {
    if depth > MAX_DEPTH || !walked.insert(list) {
        return;
    }
    for entry in array(reader.resource(list), "entry") {
        let Ok(Some(target)) = reader.index.target(&entry["item"], list, "List.entry.item") else { continue };
        if reader.index.get(target).kind == "List" {
            walk(reader, target, narratives, walked, linked, depth + 1);
        } else if !narratives.contains_key(&target)
            && let Some(id) = reader.entries.get(target)
            && linked.seen.insert(id)
        {
            linked.ids.push(id);
        }
    }
}
