//! The primary `List` of a clinical area and the secondary Lists of the items linked to
//! problems (`CareConnect-GPC-List-1`).
//!
//! gpconnect.md §3: status `current`, mode `snapshot`, fixed SNOMED code and title,
//! subject the Patient, the `clinicalSetting` extension, no `id` or `meta`; an empty List
//! carries `emptyReason` `no-content-recorded` and the note "Information not available";
//! a List an item was withheld from (here, or by the practice whose answer is being
//! relayed) carries the `confidential-items` warning and its note text. Several note
//! texts are concatenated into one note, one per line.
//!
//! A secondary List (GP Connect page "Using lists to return data") is built the same way
//! but coded in `GPConnect-SecondaryListValues-1`, and is sent only when it has an entry
//! or a warning: "secondary lists will never return an empty list with no warning
//! codes".

use std::collections::{BTreeMap, HashSet};

use serde_json::{Value, json};

use super::context::Context;
use super::section::Section;
use super::{snomed_concept, urls};

/// The secondary Lists openmig sends (GPConnect-SecondaryListValues-1): one per kind of
/// item a problem links to, one per kind of item recorded in consultations, and the one
/// List of problems linked to the query's items that the Problems List does not hold.
/// Sent in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum SecondaryList {
    RelatedAllergies,
    RelatedConsultations,
    RelatedImmunisations,
    RelatedMedications,
    RelatedReferrals,
    RelatedUncategorised,
    ContainedAllergies,
    ContainedImmunisations,
    ContainedMedications,
    ContainedReferrals,
    ContainedProblems,
    ContainedUncategorised,
    LinkedProblems,
}

impl SecondaryList {
    /// The code; its display is also the List's title.
    pub fn code(self) -> (&'static str, &'static str) {
        match self {
            SecondaryList::RelatedAllergies => {
                ("problems-allergies-related-to-problems", "Problems - allergies related to problems")
            }
            SecondaryList::RelatedConsultations => {
                ("problems-consultations-related-to-problems", "Problems - consultations related to problems")
            }
            SecondaryList::RelatedImmunisations => {
                ("problems-immunisations-related-to-problems", "Problems - immunisations related to problems")
            }
            SecondaryList::RelatedMedications => {
                ("problems-medications-related-to-problems", "Problems - medications related to problems")
            }
            SecondaryList::RelatedReferrals => {
                ("problems-outbound-referrals-related-to-problems", "Problems - outbound referrals related to problems")
            }
            SecondaryList::RelatedUncategorised => {
                ("problems-uncategorised-data-related-to-problems", "Problems - uncategorised data related to problems")
            }
            SecondaryList::ContainedAllergies => (
                "consultations-allergies-contained-in-consultations",
                "Consultations - allergies contained in consultations",
            ),
            SecondaryList::ContainedImmunisations => (
                "consultations-immunisations-contained-in-consultations",
                "Consultations - immunisations contained in consultations",
            ),
            SecondaryList::ContainedMedications => (
                "consultations-medications-contained-in-consultations",
                "Consultations - medications contained in consultations",
            ),
            SecondaryList::ContainedReferrals => (
                "consultations-outbound-referrals-in-consultations",
                "Consultations - outbound referrals in consultations",
            ),
            SecondaryList::ContainedProblems => (
                "consultations-problems-contained-in-consultations",
                "Consultations - problems contained in consultations",
            ),
            SecondaryList::ContainedUncategorised => (
                "consultations-uncategorised-data-contained-in-consultations",
                "Consultations - uncategorised data contained in consultations",
            ),
            SecondaryList::LinkedProblems => (
                "problems-linked-problems-not-relating-to-the-primary-query",
                "Problems - linked problems not relating to the primary query",
            ),
        }
    }
}

/// An area's secondary Lists being assembled: each item listed once.
#[derive(Default)]
pub(crate) struct SecondaryLists {
    lists: BTreeMap<SecondaryList, ListBuilder>,
    listed: HashSet<(SecondaryList, String)>,
}

impl SecondaryLists {
    fn list(&mut self, list: SecondaryList) -> &mut ListBuilder {
        self.lists.entry(list).or_insert_with(|| ListBuilder::secondary(list))
    }

    /// Lists `reference` in `list`, unless it is listed already.
    pub fn item(&mut self, list: SecondaryList, reference: String) {
        if self.listed.insert((list, reference.clone())) {
            self.list(list).item(reference);
        }
    }

    /// Records that an item that belonged in `list` was withheld.
    pub fn withheld(&mut self, list: SecondaryList) {
        self.list(list).withheld();
    }

    /// The Lists with an entry or a warning, in [`SecondaryList`] order.
    pub fn build(self, cx: &Context<'_>) -> Vec<Value> {
        self.lists.into_values().filter_map(|list| list.build_if_needed(cx)).collect()
    }
}

/// One List being assembled.
pub(crate) struct ListBuilder {
    code: (&'static str, &'static str),
    secondary: Option<SecondaryList>,
    items: Vec<Value>,
    contained: Vec<Value>,
    withheld: bool,
}

impl ListBuilder {
    /// An empty List with this SNOMED `(code, title)`.
    pub fn new(code: (&'static str, &'static str)) -> Self {
        ListBuilder { code, secondary: None, items: Vec::new(), contained: Vec::new(), withheld: false }
    }

    /// An empty secondary List.
    pub fn secondary(list: SecondaryList) -> Self {
        ListBuilder { code: list.code(), secondary: Some(list), ..Self::new(("", "")) }
    }

    /// Adds an entry referring to a resource elsewhere in the Bundle.
    pub fn item(&mut self, reference: String) {
        self.items.push(json!({ "item": { "reference": reference } }));
    }

    /// Adds a resource contained in the List itself, with an entry referring to it.
    pub fn contained(&mut self, resource: Value) {
        let id = resource["id"].as_str().expect("contained resources have an id").to_owned();
        self.items.push(json!({ "item": { "reference": format!("#{id}") } }));
        self.contained.push(resource);
    }

    /// Records that an item that belonged in this List was withheld.
    pub fn withheld(&mut self) {
        self.withheld = true;
    }

    /// A secondary List, when it has an entry or withheld one (see the module docs).
    pub fn build_if_needed(self, cx: &Context<'_>) -> Option<Value> {
        (!self.items.is_empty() || self.withheld).then(|| self.build(cx))
    }

    /// The `List` resource.
    pub fn build(self, cx: &Context<'_>) -> Value {
        let (code, title) = self.code;
        // What the record's own source withheld is said on its section's primary List
        // (a source's secondary List warning reads as the Problems section's, see
        // [`Section::of_secondary_list`]), never on a secondary List: which problem the
        // item was linked to is not known here.
        let section = if self.secondary.is_some() { None } else { Section::of_list(code) };
        let mut extension = vec![json!({
            "url": urls::CLINICAL_SETTING_EXTENSION,
            "valueCodeableConcept": snomed_concept(urls::GENERAL_PRACTICE_SERVICE.0, urls::GENERAL_PRACTICE_SERVICE.1),
        })];
        let mut notes = Vec::new();
        if self.withheld || cx.withheld_upstream(section) {
            extension.push(json!({ "url": urls::LIST_WARNING_EXTENSION, "valueCode": urls::CONFIDENTIAL_ITEMS }));
            notes.push(urls::CONFIDENTIAL_ITEMS_NOTE);
        }
        // GP Connect forbids `id`, `meta.versionId` and `meta.lastUpdated` on Lists, but
        // every resource carries its profile.
        let mut list = json!({ "resourceType": "List", "meta": { "profile": [urls::LIST_PROFILE] } });
        if !self.contained.is_empty() {
            list["contained"] = json!(self.contained);
        }
        list["extension"] = json!(extension);
        list["status"] = json!("current");
        list["mode"] = json!("snapshot");
        list["title"] = json!(if code == urls::UNCATEGORISED_LIST.0 { urls::UNCATEGORISED_LIST_TITLE } else { title });
        let system = if self.secondary.is_some() { urls::SECONDARY_LIST_SYSTEM } else { urls::SNOMED };
        list["code"] = json!({ "coding": [{ "system": system, "code": code, "display": title }] });
        list["subject"] = cx.patient_ref();
        if self.items.is_empty() {
            list["emptyReason"] = json!({
                "coding": [{
                    "system": urls::LIST_EMPTY_REASON_SYSTEM,
                    "code": urls::NO_CONTENT_RECORDED,
                    "display": "No Content Recorded",
                }],
            });
            notes.insert(0, urls::INFORMATION_NOT_AVAILABLE);
        } else {
            list["entry"] = json!(self.items);
        }
        if !notes.is_empty() {
            list["note"] = json!([{ "text": notes.join("\n") }]);
        }
        list
    }
}
