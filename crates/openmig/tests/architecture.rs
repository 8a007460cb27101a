//! Dependencies between openmig's crates flow one way (ARCHITECTURE.md): a new edge is a
//! deliberate decision and must be made here too.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// Every workspace crate with its normal (non-test) dependencies on other openmig crates.
fn internal_edges() -> BTreeMap<String, BTreeSet<String>> {
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
    edges
}

#[test]
fn crate_dependencies_flow_one_way() {
    let edges = internal_edges();
    let allowed: &[(&str, &[&str])] = &[
        ("openmig-domain", &[]),
        ("openmig-codec", &["openmig-domain"]),
        ("openmig-generator", &["openmig-domain"]),
        ("openmig-fhir", &["openmig-domain"]),
        ("openmig-gpconnect", &["openmig-domain", "openmig-fhir"]),
        ("openmig-store", &["openmig-codec", "openmig-domain"]),
        ("openmig-sqlite-file", &[]),
        ("openmig-directory", &["openmig-codec", "openmig-domain", "openmig-sqlite-file"]),
        ("openmig-store-sqlite", &["openmig-domain", "openmig-sqlite-file", "openmig-store"]),
        (
            "openmig-provider",
            &["openmig-domain", "openmig-fhir", "openmig-gpconnect", "openmig-inbox", "openmig-store"],
        ),
        ("openmig-auth", &["openmig-domain"]),
        ("openmig-audit", &["openmig-domain", "openmig-sqlite-file"]),
        ("openmig-inbox", &["openmig-domain", "openmig-sqlite-file"]),
        ("openmig-tls", &[]),
        (
            "openmig-gateway",
            &[
                "openmig-audit",
                "openmig-auth",
                "openmig-codec",
                "openmig-directory",
                "openmig-domain",
                "openmig-fhir",
                "openmig-gpconnect",
                "openmig-inbox",
                "openmig-tls",
            ],
        ),
        (
            "openmig",
            &[
                "openmig-audit",
                "openmig-auth",
                "openmig-directory",
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

/// Architecture invariant: the gateway holds no clinical record. Nothing it is built
/// from, directly or through another crate, can open a practice's clinical store: no
/// store trait, no store backend, no provider.
#[test]
fn the_gateway_cannot_reach_a_clinical_store() {
    let edges = internal_edges();
    let mut reached = BTreeSet::new();
    let mut to_visit = vec!["openmig-gateway".to_string()];
    while let Some(name) = to_visit.pop() {
        for dependency in edges.get(&name).into_iter().flatten() {
            if reached.insert(dependency.clone()) {
                to_visit.push(dependency.clone());
            }
        }
    }
    for forbidden in ["openmig-store", "openmig-store-sqlite", "openmig-provider", "openmig-generator"] {
        assert!(!reached.contains(forbidden), "openmig-gateway reaches {forbidden} through {reached:?}");
    }
    assert!(reached.contains("openmig-directory"), "the gateway reads the directory");
}
