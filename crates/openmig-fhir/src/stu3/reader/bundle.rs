//! The Bundle as a flat, checked index of its resources, and reference resolution.
//!
//! Every resource (Bundle entries, then the resources contained in them) gets a
//! [`ResId`], its position in the index. A reference resolves, in order, against the
//! entries' `fullUrl`s, then as a relative or absolute `Type/id` (a `_history` suffix is
//! ignored), and `#id` against the resources contained in the referring resource (or in
//! its container).
//!
//! A Bundle from another system may be untidy without being unsafe, so nothing here
//! refuses the record except a Bundle that is not one, or one over the size limit: an
//! entry with no resource (or no `resourceType`) is skipped, and a `Type/id`,
//! `fullUrl` or contained id used twice resolves to neither (a reference to it would be
//! ambiguous, and a guess could attach one patient's medicine to another's plan), each
//! with a warning. The resources themselves are still read.

use std::collections::HashMap;

use serde_json::Value;

use super::{MAX_RESOURCES, NotRead, ReadError};

/// A resource's position in the [`Index`].
pub(super) type ResId = usize;

/// One resource.
pub(super) struct Res<'a> {
    /// The resource object.
    pub value: &'a Value,
    /// Its `resourceType`.
    pub kind: &'a str,
    /// The resource holding it, for a contained resource.
    pub container: Option<ResId>,
}

/// Every resource of the Bundle.
pub(super) struct Index<'a> {
    all: Vec<Res<'a>>,
    by_key: HashMap<(&'a str, &'a str), Option<ResId>>,
    by_url: HashMap<&'a str, Option<ResId>>,
    contained: HashMap<(ResId, &'a str), Option<ResId>>,
    by_kind: HashMap<&'a str, Vec<ResId>>,
    /// Resources skipped because they were not resources.
    skipped: usize,
    /// Ids, `fullUrl`s and contained ids used more than once.
    ambiguous: usize,
}

/// A key that resolves to the one resource holding it, or to none when two hold it.
fn claim<K: std::hash::Hash + Eq>(map: &mut HashMap<K, Option<ResId>>, key: K, id: ResId) -> bool {
    match map.entry(key) {
        std::collections::hash_map::Entry::Vacant(slot) => {
            slot.insert(Some(id));
            true
        }
        std::collections::hash_map::Entry::Occupied(mut slot) => {
            slot.insert(None);
            false
        }
    }
}

impl<'a> Index<'a> {
    /// Checks the Bundle's shape and indexes its resources.
    pub fn build(bundle: &'a Value) -> Result<Self, ReadError> {
        if bundle.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
            return Err(ReadError::NotABundle);
        }
        if bundle.get("type").and_then(Value::as_str) != Some("collection") {
            return Err(ReadError::NotABundle);
        }
        let entries: &[Value] = match bundle.get("entry") {
            None => &[],
            Some(Value::Array(entries)) => entries,
            Some(_) => return Err(ReadError::NotABundle),
        };
        if entries.len() > MAX_RESOURCES {
            return Err(ReadError::TooLarge);
        }
        let mut index = Index {
            all: Vec::with_capacity(entries.len()),
            by_key: HashMap::new(),
            by_url: HashMap::new(),
            contained: HashMap::new(),
            by_kind: HashMap::new(),
            skipped: 0,
            ambiguous: 0,
        };
        for entry in entries {
            let resource = entry.get("resource").filter(|r| r.is_object());
            let Some((resource, kind)) = resource.and_then(|r| Some((r, kind_of(r)?))) else {
                index.skipped += 1;
                continue;
            };
            let id = index.push(Res { value: resource, kind, container: None });
            if let Some(resource_id) = id_of(resource)
                && !claim(&mut index.by_key, (kind, resource_id), id)
            {
                index.ambiguous += 1;
            }
            if let Some(url) = entry.get("fullUrl").and_then(Value::as_str)
                && !claim(&mut index.by_url, url, id)
            {
                index.ambiguous += 1;
            }
        }
        let top_level = index.all.len();
        for container in 0..top_level {
            let contained = index.all[container].value.get("contained").and_then(Value::as_array);
            for resource in contained.map_or(&[][..], Vec::as_slice) {
                if index.all.len() >= MAX_RESOURCES {
                    return Err(ReadError::TooLarge);
                }
                let (Some(kind), Some(resource_id)) = (kind_of(resource), id_of(resource)) else {
                    index.skipped += 1;
                    continue;
                };
                let id = index.push(Res { value: resource, kind, container: Some(container) });
                if !claim(&mut index.contained, (container, resource_id), id) {
                    index.ambiguous += 1;
                }
            }
        }
        Ok(index)
    }

    /// What building the index skipped or could not resolve, for the record's warnings.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.skipped > 0 {
            out.push(format!(
                "{} entr(ies) in the practice's answer were not resources and are not shown.",
                self.skipped
            ));
        }
        if self.ambiguous > 0 {
            out.push(format!(
                "{} resource id(s) in the practice's answer were used twice: links to them are not shown.",
                self.ambiguous
            ));
        }
        out
    }

    fn push(&mut self, res: Res<'a>) -> ResId {
        let id = self.all.len();
        self.by_kind.entry(res.kind).or_default().push(id);
        self.all.push(res);
        id
    }

    /// How many resources there are.
    pub fn len(&self) -> usize {
        self.all.len()
    }

    /// The resource at `id` (always a position this index handed out).
    pub fn get(&self, id: ResId) -> &Res<'a> {
        &self.all[id]
    }

    /// Every resource of `kind`, top-level first, in Bundle order.
    pub fn of_kind(&self, kind: &str) -> Vec<ResId> {
        self.by_kind.get(kind).cloned().unwrap_or_default()
    }

    /// The resource `reference` names, seen from the resource `from`.
    pub fn resolve(&self, reference: &str, from: ResId) -> Option<ResId> {
        if let Some(local) = reference.strip_prefix('#') {
            let container = self.all.get(from)?.container.unwrap_or(from);
            return self.contained.get(&(container, local)).copied().flatten();
        }
        if let Some(id) = self.by_url.get(reference) {
            return *id;
        }
        let mut segments: Vec<&str> = reference.split('/').collect();
        if let Some(history) = segments.iter().position(|s| *s == "_history") {
            segments.truncate(history);
        }
        let [.., kind, id] = segments.as_slice() else { return None };
        self.by_key.get(&(*kind, *id)).copied().flatten()
    }

    /// The resource a Reference element (`{"reference": …}`) names: `None` when the
    /// element is absent or carries no `reference` (e.g. only a `display`), an error
    /// naming `element` when the reference does not resolve.
    pub fn target(&self, field: &Value, from: ResId, element: &str) -> Result<Option<ResId>, NotRead> {
        match field.get("reference") {
            None => Ok(None),
            Some(Value::String(reference)) => match self.resolve(reference, from) {
                Some(id) => Ok(Some(id)),
                None => Err(NotRead(format!("{element}: the reference does not resolve"))),
            },
            Some(_) => Err(NotRead(format!("{element}: not a reference"))),
        }
    }

    /// Like [`Index::target`], but the target must be of `kind`.
    pub fn target_of(&self, field: &Value, from: ResId, element: &str, kind: &str) -> Result<Option<ResId>, NotRead> {
        match self.target(field, from, element)? {
            Some(id) if self.all[id].kind == kind => Ok(Some(id)),
            Some(_) => Err(NotRead(format!("{element}: does not refer to a {kind}"))),
            None => Ok(None),
        }
    }
}

/// A resource's `resourceType`.
fn kind_of(resource: &Value) -> Option<&str> {
    resource.get("resourceType").and_then(Value::as_str)
}

/// A resource's `id`, when it has one (a non-string id is as good as none).
fn id_of(resource: &Value) -> Option<&str> {
    resource.get("id").and_then(Value::as_str)
}

/// The resource type as error messages may name it: known FHIR types by name (those the
/// reader reads, [`super::KNOWN_TYPES`], and others a Bundle may carry), anything else
/// (which could be any text from the Bundle) as "Resource".
pub(super) fn type_name(kind: &str) -> &'static str {
    const NOT_READ: &[&str] = &[
        "Bundle",
        "Location",
        "Device",
        "ProcedureRequest",
        "Specimen",
        "DocumentReference",
        "Appointment",
        "Flag",
        "Procedure",
        "Composition",
        "Binary",
    ];
    super::KNOWN_TYPES.iter().chain(NOT_READ).find(|name| **name == kind).copied().unwrap_or("Resource")
}
