//! Test support: snapshots built from YAML fixtures of real objects, and the demo cluster.
#![allow(clippy::expect_used, clippy::unwrap_used)] // test support: a bad fixture is the test's own bug

use crate::model::{Coverage, Kind, Snapshot, convert};

/// Every object in a multi-document YAML string, converted; all kinds marked complete.
pub fn snapshot(yaml: &str) -> Snapshot {
    let mut snapshot = Snapshot::default();
    let documents: Vec<serde_json::Value> =
        serde_saphyr::from_multiple(yaml).expect("fixture YAML parses"); // invariant: fixtures are the tests' own
    for doc in documents.into_iter().filter(|d| !d.is_null()) {
        let api_version = doc["apiVersion"].as_str().unwrap_or_default().to_string();
        let kind_name = doc["kind"].as_str().unwrap_or_default().to_string();
        let kind = Kind::from_api(&api_version, &kind_name)
            .unwrap_or_else(|| panic!("unknown kind {kind_name}"));
        let object = convert::from_json(kind, doc).expect("fixture object converts"); // invariant: as above
        snapshot.insert(object);
    }
    for kind in Kind::ALL {
        snapshot.coverage.insert(kind, Coverage::Complete);
    }
    snapshot
}

/// The rule ids and object names of the findings of one rule.
pub fn found(findings: &[crate::rules::Finding], rule: &str) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f.rule == rule)
        .map(|f| format!("{}/{}/{}", f.object.kind, f.object.namespace, f.object.name))
        .collect()
}
