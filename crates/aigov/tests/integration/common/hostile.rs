//! Hostile manifests too big to commit, generated into a directory: a 1 MiB annotation, a pod
//! with 10,000 containers, names at their length limits and just over, object names made of
//! escape sequences, and documents nested 10,000 levels deep.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use aigov_sim::{Dataset, SimOptions};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The committed fixture with every escape-sequence family in every drawn string field.
pub fn escapes_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile/escapes.yaml")
}

pub const ANNOTATION_BYTES: usize = 1024 * 1024;
pub const CONTAINERS: usize = 10_000;
pub const DEPTH: usize = 10_000;
/// Block YAML nests by indentation, so depth costs its square in bytes: 2,000 levels is 2 MB.
pub const BLOCK_DEPTH: usize = 2_000;

/// Every escape-sequence family in one string, for generated fields.
pub const PAYLOAD: &str = "\x1b[2J\x1b]52;c;aGk=\x07\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\\x1bPq\x1b\\\x1b_apc\x1b\\\x1b^pm\x1b\\\x1bXsos\x1b\\\u{9b}31m\u{9d}0;t\u{9c}\u{85}\x07\x08\r\x1b\u{202e}\u{2066}\u{2069}\u{200b}\u{feff}";

/// A DNS subdomain name of exactly `len` characters: 63-character labels joined by dots.
pub fn dns_subdomain(len: usize) -> String {
    let mut name = String::new();
    while name.len() < len {
        if !name.is_empty() && name.len() % 64 == 63 {
            name.push('.');
        } else {
            name.push('a');
        }
    }
    // A label may not end in '.', so the last one is never a dot.
    if name.ends_with('.') {
        name.pop();
        name.push('b');
    }
    name
}

pub fn dns_label(len: usize) -> String {
    "n".repeat(len)
}

/// Namespace `long-names` (itself 63 characters is `dns_label(63)`): a ConfigMap with a
/// 253-character name, a namespace of 63, a label key with a 253-character prefix and a
/// 63-character name, and a 63-character value.
pub fn names_at_limit() -> String {
    let namespace = dns_label(63);
    let name = dns_subdomain(253);
    let key = format!("{}/{}", dns_subdomain(253), "k".repeat(63));
    let value = "v".repeat(63);
    format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {namespace}\n  labels: {{aigov.dev/ai: \"true\"}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {namespace}\n  labels: {{\"{key}\": \"{value}\"}}\ndata: {{MODEL: llama}}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: {name}, namespace: {namespace}}}\n"
    )
}

/// One character over: a 254-character ConfigMap name and a 64-character namespace.
pub fn names_just_over() -> Vec<(&'static str, String)> {
    vec![
        (
            "ConfigMap name of 254",
            format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {}, namespace: default}}\ndata: {{a: b}}\n",
                dns_subdomain(254)
            ),
        ),
        (
            "Namespace name of 64",
            format!(
                "apiVersion: v1\nkind: Namespace\nmetadata: {{name: {}}}\n",
                dns_label(64)
            ),
        ),
    ]
}

/// A Deployment in `hostile-ns` carrying a 1 MiB annotation of escape sequences and text, and
/// a Pod there with 10,000 containers (ten distinct images), as JSON.
pub fn big_objects() -> String {
    let mut annotation = String::with_capacity(ANNOTATION_BYTES + PAYLOAD.len());
    while annotation.len() < ANNOTATION_BYTES {
        annotation.push_str(PAYLOAD);
        annotation.push_str(&"weights-shard-".repeat(20));
    }
    let containers: Vec<serde_json::Value> = (0..CONTAINERS)
        .map(|i| {
            serde_json::json!({
                "name": format!("worker-{i}"),
                "image": format!("registry.example.com/big/model-{}:v1", i % 10),
            })
        })
        .collect();
    let statuses: Vec<serde_json::Value> = containers
        .iter()
        .map(|c| {
            let mut status = c.clone();
            status["ready"] = true.into();
            status["restartCount"] = 0.into();
            status
        })
        .collect();
    let list = serde_json::json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {
                    "name": "huge-annotation",
                    "namespace": "hostile-ns",
                    "annotations": {"hostile.example.com/huge": annotation},
                },
                "spec": {
                    "selector": {"matchLabels": {"app": "huge"}},
                    "template": {
                        "metadata": {"labels": {"app": "huge"}, "annotations": {"hostile.example.com/huge": annotation}},
                        "spec": {"containers": [{"name": "c", "image": "registry.example.com/huge:v1"}]},
                    },
                },
            },
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "ten-thousand-containers", "namespace": "hostile-ns"},
                "spec": {"containers": containers},
                "status": {"phase": "Running", "containerStatuses": statuses},
            },
        ],
    });
    serde_json::to_string(&list).unwrap()
}

/// Objects whose names, namespaces, labels and images are escape sequences: only `check -f`
/// reads these (the simulator refuses such names, as an API server does).
pub fn hostile_names() -> String {
    let name = serde_json::to_string(&format!("evil{PAYLOAD}name")).unwrap();
    format!(
        "{{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [
  {{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {{\"name\": {name}, \"labels\": {{\"aigov.dev/ai\": \"true\", {name}: {name}}}}}}},
  {{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\", \"metadata\": {{\"name\": {name}, \"namespace\": {name}}},
    \"spec\": {{\"selector\": {{\"matchLabels\": {{\"app\": \"x\"}}}}, \"template\": {{\"metadata\": {{\"labels\": {{\"app\": \"x\"}}}},
      \"spec\": {{\"serviceAccountName\": {name}, \"containers\": [{{\"name\": {name}, \"image\": {name},
        \"env\": [{{\"name\": \"HF_TOKEN\", \"value\": {name}}}]}}]}}}}}}}},
  {{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {{\"name\": {name}, \"namespace\": {name}}}, \"data\": {{{name}: \"v\"}}}},
  {{\"apiVersion\": \"rbac.authorization.k8s.io/v1\", \"kind\": \"ClusterRoleBinding\", \"metadata\": {{\"name\": {name}}},
    \"roleRef\": {{\"apiGroup\": \"rbac.authorization.k8s.io\", \"kind\": \"ClusterRole\", \"name\": \"cluster-admin\"}},
    \"subjects\": [{{\"kind\": \"ServiceAccount\", \"name\": {name}, \"namespace\": {name}}}]}}
]}}"
    )
}

/// `{"a": [[[ … ]]]}` 10,000 levels deep, as JSON.
pub fn deep_json() -> String {
    format!(
        "{{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {{\"name\": \"deep\", \"namespace\": \"d\"}}, \"extra\": {}{}}}",
        "[".repeat(DEPTH),
        "]".repeat(DEPTH)
    )
}

/// 10,000 levels of YAML flow mappings.
pub fn deep_yaml_flow() -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: deep, namespace: d}}\nextra: {}1{}\n",
        "{a: ".repeat(DEPTH),
        "}".repeat(DEPTH)
    )
}

/// 2,000 levels of YAML block mappings (one more space of indentation each).
pub fn deep_yaml_block() -> String {
    let mut text = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep, namespace: d}\nextra:\n",
    );
    for level in 1..=BLOCK_DEPTH {
        text.push_str(&" ".repeat(level));
        text.push_str("k:\n");
    }
    text.push_str(&" ".repeat(BLOCK_DEPTH + 1));
    text.push_str("v\n");
    text
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A hang or a blow-up fails: `elapsed` must stay within `bound`.
pub fn assert_within(label: &str, elapsed: Duration, bound: Duration) {
    assert!(
        elapsed <= bound,
        "{label} took {elapsed:?}, over its {bound:?} bound: aigov did not stay responsive"
    );
}

/// The hostile fixture directory the simulator loads: the committed escapes, the big objects
/// and the names at their limits (names just over are refused).
pub fn simulator_fixture(dir: &Path) {
    std::fs::copy(escapes_fixture(), dir.join("escapes.yaml")).unwrap();
    write(dir, "names.yaml", &names_at_limit());
    write(dir, "big.json", &big_objects());
}

/// The simulator with `datasets` (the hostile fixture directory among them).
pub async fn sim_on(datasets: Vec<Dataset>) -> super::TestSim {
    super::sim_with(SimOptions {
        datasets,
        ..SimOptions::default()
    })
    .await
}

/// An audit log whose entries carry hostile text, for the audit log view.
pub fn hostile_audit_log(dir: &Path) -> std::path::PathBuf {
    use aigov_audit::{AuditLog, Entry, EntryKind};
    let path = dir.join("audit.jsonl");
    let mut log = AuditLog::open(&path).unwrap();
    log.append(
        Entry::new(EntryKind::Intent)
            .user(format!("mallory{}", PAYLOAD))
            .verb("patch")
            .justification(format!("because{}", PAYLOAD)),
    )
    .unwrap();
    path
}
