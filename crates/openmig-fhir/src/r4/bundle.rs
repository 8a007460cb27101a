//! The R4 `searchset` Bundle every search (and `$everything`) answers with.

use std::collections::BTreeSet;

use serde_json::{Value, json};

/// Builds the searchset (see [`super::searchset`]).
pub(crate) fn searchset(self_url: &str, base_url: &str, matches: Vec<Value>, includes: Vec<Value>) -> Value {
    let base = base_url.trim_end_matches('/');
    let total = matches.len();
    let mut seen = BTreeSet::new();
    let mut entries = Vec::with_capacity(matches.len() + includes.len());
    for resource in matches {
        let full_url = full_url(base, &resource);
        if let Some(url) = &full_url {
            seen.insert(url.clone());
        }
        entries.push(entry(full_url, resource, "match"));
    }
    for resource in includes {
        let full_url = full_url(base, &resource);
        // An included resource that is already in the Bundle is not repeated (R4 bdl-7:
        // a fullUrl appears once).
        if let Some(url) = &full_url
            && !seen.insert(url.clone())
        {
            continue;
        }
        entries.push(entry(full_url, resource, "include"));
    }
    let mut bundle = json!({ "resourceType": "Bundle", "type": "searchset", "total": total });
    if !self_url.is_empty() {
        bundle["link"] = json!([{ "relation": "self", "url": self_url }]);
    }
    if !entries.is_empty() {
        bundle["entry"] = json!(entries);
    }
    bundle
}

/// `{base}/{type}/{id}`; `None` for a resource without a type or id (openmig builds
/// none, but a caller's own resource must not make a wrong URL).
fn full_url(base: &str, resource: &Value) -> Option<String> {
    let kind = resource["resourceType"].as_str()?;
    let id = resource["id"].as_str()?;
    Some(format!("{base}/{kind}/{id}"))
}

fn entry(full_url: Option<String>, resource: Value, mode: &str) -> Value {
    let mut entry = json!({});
    if let Some(url) = full_url {
        entry["fullUrl"] = json!(url);
    }
    entry["resource"] = resource;
    entry["search"] = json!({ "mode": mode });
    entry
}
