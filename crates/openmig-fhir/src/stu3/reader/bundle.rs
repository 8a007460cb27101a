//! The Bundle as a flat, checked index of its resources, and reference resolution.
//!
//! Every resource (Bundle entries, then the resources contained in them) gets a
//! [`ResId`], its position in the index. A reference resolves, in order, against the
//! entries' `fullUrl`s, then as a relative or absolute `Type/id` (a `_history` suffix is
//! ignored), and `#id` against the resources contained in the referring resource (or in
//! its container). Duplicate `Type/id`s, `fullUrl`s or contained ids are refused: a
//! reference to them would be ambiguous.

use std::collections::HashMap;

use serde_json::Value;

use super::{MAX_RESOURCES, ReadError, invalid};

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
    by_key: HashMap<(&'a str, &'a str), ResId>,
    by_url: HashMap<&'a str, ResId>,
    contained: HashMap<(ResId, &'a str), ResId>,
    by_kind: HashMap<&'a str, Vec<ResId>>,
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
            Some(_) => return Err(invalid("Bundle", "entry is not a list")),
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
        };
        for entry in entries {
            let resource = entry.get("resource").filter(|r| r.is_object());
            let Some(resource) = resource else { return Err(invalid("Bundle", "an entry holds no resource")) };
            let kind = kind_of(resource)?;
            let id = index.push(Res { value: resource, kind, container: None });
            if let Some(resource_id) = id_of(resource, kind)?
                && index.by_key.insert((kind, resource_id), id).is_some()
            {
                return Err(invalid(kind, "the same resource appears twice"));
            }
            let duplicate_url = match entry.get("fullUrl") {
                None => false,
                Some(Value::String(url)) => index.by_url.insert(url, id).is_some(),
                Some(_) => return Err(invalid("Bundle", "an entry's fullUrl is not a string")),
            };
            if duplicate_url {
                return Err(invalid("Bundle", "two entries have the same fullUrl"));
            }
        }
        let top_level = index.all.len();
        for container in 0..top_level {
            let contained: &[Value] = match index.all[container].value.get("contained") {
                None => &[],
                Some(Value::Array(contained)) => contained,
                Some(_) => return Err(invalid(index.all[container].kind, "contained is not a list")),
            };
            for resource in contained {
                if index.all.len() >= MAX_RESOURCES {
                    return Err(ReadError::TooLarge);
                }
                if !resource.is_object() {
                    return Err(invalid(index.all[container].kind, "a contained resource is not an object"));
                }
                let kind = kind_of(resource)?;
                let Some(resource_id) = id_of(resource, kind)? else {
                    return Err(invalid(kind, "a contained resource has no id"));
                };
                let id = index.push(Res { value: resource, kind, container: Some(container) });
                if index.contained.insert((container, resource_id), id).is_some() {
                    return Err(invalid(kind, "two contained resources have the same id"));
                }
            }
        }
        Ok(index)
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
            return self.contained.get(&(container, local)).copied();
        }
        if let Some(id) = self.by_url.get(reference) {
            return Some(*id);
        }
        let mut segments: Vec<&str> = reference.split('/').collect();
        if let Some(history) = segments.iter().position(|s| *s == "_history") {
            segments.truncate(history);
        }
        let [.., kind, id] = segments.as_slice() else { return None };
        self.by_key.get(&(*kind, *id)).copied()
    }

    /// The resource a Reference element (`{"reference": …}`) names: `None` when the
    /// element is absent or carries no `reference` (e.g. only a `display`), an error
    /// naming `element` when the reference does not resolve.
    pub fn target(&self, field: &Value, from: ResId, element: &str) -> Result<Option<ResId>, ReadError> {
        match field.get("reference") {
            None => Ok(None),
            Some(Value::String(reference)) => match self.resolve(reference, from) {
                Some(id) => Ok(Some(id)),
                None => Err(ReadError::UnresolvedReference(element.to_owned())),
            },
            Some(_) => {
                Err(ReadError::Invalid { resource: element.to_owned(), why: "reference is not a string".into() })
            }
        }
    }

    /// Like [`Index::target`], but the target must be of `kind`.
    pub fn target_of(&self, field: &Value, from: ResId, element: &str, kind: &str) -> Result<Option<ResId>, ReadError> {
        match self.target(field, from, element)? {
            Some(id) if self.all[id].kind == kind => Ok(Some(id)),
            Some(_) => {
                Err(ReadError::Invalid { resource: element.to_owned(), why: format!("does not refer to a {kind}") })
            }
            None => Ok(None),
        }
    }
}

/// A resource's `resourceType`.
fn kind_of(resource: &Value) -> Result<&str, ReadError> {
    resource
        .get("resourceType")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("Bundle", "a resource has no resourceType"))
}

/// A resource's `id`, when it has one.
fn id_of<'a>(resource: &'a Value, kind: &str) -> Result<Option<&'a str>, ReadError> {
    match resource.get("id") {
        None => Ok(None),
        Some(Value::String(id)) => Ok(Some(id)),
        Some(_) => Err(invalid(kind, "id is not a string")),
    }
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
