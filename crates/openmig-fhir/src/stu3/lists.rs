//! The primary `List` of a clinical area (`CareConnect-GPC-List-1`).
//!
//! gpconnect.md §3: status `current`, mode `snapshot`, fixed SNOMED code and title,
//! subject the Patient, the `clinicalSetting` extension, no `id` or `meta`; an empty List
//! carries `emptyReason` `no-content-recorded` and the note "Information not available";
//! a List an item was withheld from (here, or by the practice whose answer is being
//! relayed) carries the `confidential-items` warning and its note text. Several note texts are concatenated into one note, one per line.

use serde_json::{Value, json};

use super::context::Context;
use super::section::Section;
use super::{snomed_concept, urls};

/// One primary List being assembled.
pub(crate) struct ListBuilder {
    code: (&'static str, &'static str),
    items: Vec<Value>,
    contained: Vec<Value>,
    withheld: bool,
}

impl ListBuilder {
    /// An empty List with this SNOMED `(code, title)`.
    pub fn new(code: (&'static str, &'static str)) -> Self {
        ListBuilder { code, items: Vec::new(), contained: Vec::new(), withheld: false }
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

    /// The `List` resource.
    pub fn build(self, cx: &Context<'_>) -> Value {
        let (code, title) = self.code;
        let mut extension = vec![json!({
            "url": urls::CLINICAL_SETTING_EXTENSION,
            "valueCodeableConcept": snomed_concept(urls::GENERAL_PRACTICE_SERVICE.0, urls::GENERAL_PRACTICE_SERVICE.1),
        })];
        let mut notes = Vec::new();
        if self.withheld || cx.withheld_upstream(Section::of_list(code)) {
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
        list["code"] = snomed_concept(code, title);
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
