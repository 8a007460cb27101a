//! The Lists: the warning codes and the provider's OperationOutcome become the record's
//! warnings, and so does a List entry that names nothing in the Bundle (the list is
//! telling the clinician about an item they cannot see).
//!
//! The record is read from the resources themselves, not from the Lists' entries, so
//! that items a problem or consultation pulled in (which are in no primary List) are
//! read too; the Lists only have to be consistent with the Bundle.

use std::collections::{BTreeSet, HashSet};

use super::super::urls;
use super::values::{array, code_in, concept_text, extensions, text};
use super::{Reader, Section};

/// `data-in-transit` (gpconnect.md §3 "List warning codes").
const DATA_IN_TRANSIT: &str = "data-in-transit";
/// `data-awaiting-filing` (gpconnect.md §3 "List warning codes").
const DATA_AWAITING_FILING: &str = "data-awaiting-filing";
/// The longest warning taken from the Bundle's own text.
const MAX_WARNING_CHARS: usize = 300;

/// One warning per List with entries whose `item` does not resolve (`#id` to a
/// resource the List contains, anything else to a Bundle entry).
pub(super) fn check_list_entries(reader: &mut Reader<'_>) {
    for list in reader.of_kind("List") {
        let resource = reader.resource(list);
        let missing = array(resource, "entry")
            .iter()
            .filter(|entry| reader.index.target(&entry["item"], list, "List.entry.item").is_err())
            .count();
        if missing > 0 {
            let title = title(resource);
            reader.warnings.push(bounded(&format!(
                "{title}: the practice's list names {missing} item(s) that are not in its answer and cannot be shown."
            )));
        }
    }
}

/// The section of a primary List, or of the items of a secondary one.
fn section(list: &serde_json::Value) -> Option<Section> {
    code_in(&list["code"], urls::SNOMED)
        .and_then(Section::of_list)
        .or_else(|| code_in(&list["code"], urls::SECONDARY_LIST_SYSTEM).and_then(Section::of_secondary_list))
}

/// The diary entries List ("Patient recall administration", GP Connect's primary List
/// of `ProcedureRequest`s for recalls and reminders).
const DIARY_LIST: &str = "714311000000108";

/// One warning for the diary entries the practice sent: the domain keeps no recalls, and
/// a `ProcedureRequest` is otherwise read as an investigation's supporting request, so
/// without this they would be dropped without a word.
pub(super) fn check_diary_entries(reader: &mut Reader<'_>) {
    let entries: usize = reader
        .of_kind("List")
        .into_iter()
        .map(|list| reader.resource(list))
        .filter(|list| code_in(&list["code"], urls::SNOMED) == Some(DIARY_LIST))
        .map(|list| array(list, "entry").len())
        .sum();
    if entries > 0 {
        reader.warnings.push(format!(
            "Diary entries: the practice sent {entries} recall or reminder item(s) that cannot be shown (not supported)."
        ));
    }
}

/// A List's title (else its code's text).
fn title(list: &serde_json::Value) -> &str {
    text(list, "title").or_else(|| list.get("code").and_then(concept_text)).unwrap_or("Record")
}

/// The warnings of every List and OperationOutcome, whether any List says items were
/// withheld (`confidential-items`), and the sections of the Lists that say so.
pub(super) fn warnings(reader: &Reader<'_>) -> (Vec<String>, bool, BTreeSet<Section>) {
    let mut out = Warnings::default();
    let mut withheld = false;
    let mut sections = BTreeSet::new();
    for list in reader.of_kind("List") {
        let resource = reader.resource(list);
        let title = title(resource);
        for warning in extensions(resource, urls::LIST_WARNING_EXTENSION) {
            let code = text(warning, "valueCode").or_else(|| warning.get("valueCoding").and_then(|c| text(c, "code")));
            let said = match code {
                Some(urls::CONFIDENTIAL_ITEMS) => {
                    withheld = true;
                    sections.extend(section(resource));
                    urls::CONFIDENTIAL_ITEMS_NOTE.to_owned()
                }
                Some(DATA_IN_TRANSIT) => {
                    "The record's transfer from the previous practice is not complete: some information may be missing."
                        .to_owned()
                }
                Some(DATA_AWAITING_FILING) => {
                    "Some information is awaiting filing at the practice and may be missing.".to_owned()
                }
                _ => array(resource, "note")
                    .iter()
                    .filter_map(|n| text(n, "text"))
                    .next()
                    .unwrap_or("The provider flagged this list.")
                    .to_owned(),
            };
            out.push(bounded(&format!("{title}: {said}")));
        }
    }
    for outcome in reader.of_kind("OperationOutcome") {
        for issue in array(reader.resource(outcome), "issue") {
            let said = issue
                .get("details")
                .and_then(|d| concept_text(d).or_else(|| code_in(d, urls::SNOMED)))
                .or_else(|| text(issue, "diagnostics"))
                .or_else(|| text(issue, "code"));
            if let Some(said) = said {
                out.push(bounded(&format!("Provider: {said}")));
            }
        }
    }
    (out.list, withheld, sections)
}

/// Warnings in order, each once.
#[derive(Default)]
struct Warnings {
    list: Vec<String>,
    seen: HashSet<String>,
}

impl Warnings {
    fn push(&mut self, warning: String) {
        if self.seen.insert(warning.clone()) {
            self.list.push(warning);
        }
    }
}

/// At most [`MAX_WARNING_CHARS`] characters.
fn bounded(text: &str) -> String {
    text.chars().take(MAX_WARNING_CHARS).collect()
}
