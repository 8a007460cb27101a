//! Dependencies between openmig's crates flow one way (ARCHITECTURE.md): a new edge is a
//! deliberate decision and must be made here too.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

#[test]
fn crate_dependencies_flow_one_way() {
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for package in metadata["packages"].as_array().unwrap() {
        let name = package["name"].as_str().unwrap().to_string();
        let internal: BTreeSet<String> = package["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["kind"].is_null()) // normal dependencies; tests may reach further
            .map(|d| d["name"].as_str().unwrap().to_string())
            .filter(|d| d.starts_with("openmig"))
            .collect();
        edges.insert(name, internal);
    }
    let allowed: &[(&str, &[&str])] = &[
        ("openmig-domain", &[]),
        ("openmig-generator", &["openmig-domain"]),
        ("openmig-fhir", &["openmig-domain"]),
        ("openmig-store", &["openmig-domain"]),
        ("openmig-sqlite-file", &[]),
        ("openmig-store-sqlite", &["openmig-domain", "openmig-sqlite-file", "openmig-store"]),
        ("openmig-provider", &["openmig-domain", "openmig-fhir", "openmig-inbox", "openmig-store"]),
        ("openmig-auth", &["openmig-domain"]),
        ("openmig-audit", &["openmig-domain", "openmig-sqlite-file"]),
        ("openmig-inbox", &["openmig-domain", "openmig-sqlite-file"]),
        ("openmig-tls", &[]),
        (
            "openmig-gateway",
            &[
                "openmig-audit",
                "openmig-auth",
                "openmig-domain",
                "openmig-fhir",
                "openmig-inbox",
                "openmig-provider",
                "openmig-store",
                "openmig-tls",
            ],
        ),
        (
            "openmig",
            &[
                "openmig-audit",
                "openmig-auth",
                "openmig-domain",
                "openmig-gateway",
                "openmig-fhir",
                "openmig-generator",
                "openmig-inbox",
                "openmig-provider",
                "openmig-store",
                "openmig-store-sqlite",
                "openmig-tls",
            ],
        ),
    ];
    for (name, deps) in &edges {
        let allowed_deps: BTreeSet<String> = allowed
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("crate {name} is not in the architecture table; add it deliberately"))
            .1
            .iter()
            .map(|s| s.to_string())
            .collect();
        let extra: Vec<_> = deps.difference(&allowed_deps).collect();
        assert!(extra.is_empty(), "{name} must not depend on {extra:?}");
    }
}
