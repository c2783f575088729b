//! Image rules on fixtures of real objects: positive and negative cases per rule.

use super::*;
use crate::model::{Coverage, Snapshot};
use crate::rules::RulesConfig;
use crate::rules::testing::snapshot;

const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

fn run_with(snapshot: &Snapshot, registry: &RegistryFacts) -> Vec<Finding> {
    let settings = RulesConfig::default();
    let view = View::new(snapshot, &settings);
    let mut out = Vec::new();
    evaluate(&view, registry, &mut out);
    out
}

fn run(yaml: &str) -> Vec<Finding> {
    run_with(&snapshot(yaml), &RegistryFacts::default())
}

fn of<'a>(findings: &'a [Finding], rule: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.rule == rule).collect()
}

/// A Deployment with one ReplicaSet and one pod per entry of `pods` (the pod's image and the
/// digest it reports).
fn deployment(ns: &str, name: &str, image: &str, policy: &str, pods: &[(&str, &str)]) -> String {
    let policy = if policy.is_empty() {
        String::new()
    } else {
        format!("\n        imagePullPolicy: {policy}")
    };
    let mut yaml = format!(
        "
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {ns}, uid: dep-{name}}}
spec:
  replicas: {n}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
      - name: server
        image: {image}{policy}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: {name}-rs
  namespace: {ns}
  uid: rs-{name}
  ownerReferences: [{{apiVersion: apps/v1, kind: Deployment, name: {name}, uid: dep-{name}, controller: true}}]
spec:
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers: [{{name: server, image: {image}}}]
",
        n = pods.len()
    );
    for (i, (pod_image, digest)) in pods.iter().enumerate() {
        yaml.push_str(&format!(
            "---
apiVersion: v1
kind: Pod
metadata:
  name: {name}-rs-{i}
  namespace: {ns}
  labels: {{app: {name}}}
  ownerReferences: [{{apiVersion: apps/v1, kind: ReplicaSet, name: {name}-rs, uid: rs-{name}, controller: true}}]
spec:
  containers: [{{name: server, image: '{pod_image}'}}]
status:
  phase: Running
  containerStatuses:
  - {{name: server, image: '{pod_image}', imageID: 'docker.io/x/y@{digest}', ready: true, restartCount: 0}}
"
        ));
    }
    yaml
}

#[test]
fn tagged_ai_image_is_medium_and_pinnable_to_the_running_digest() {
    let image = "vllm/vllm-openai:v0.6.3";
    let found = run(&deployment(
        "llm",
        "vllm",
        image,
        "",
        &[(image, D1), (image, D1)],
    ));
    let img1 = of(&found, "AIGOV-IMG-001");
    assert_eq!(
        img1.len(),
        1,
        "one finding per unit and container: {found:#?}"
    );
    let f = img1[0];
    assert_eq!(
        f.key(),
        "AIGOV-IMG-001:Deployment/llm/vllm#container/server"
    );
    assert_eq!(f.severity, Severity::Medium);
    assert!(f.remediable);
    assert!(f.title.contains("v0.6.3"), "{}", f.title);
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains(D1) && e.contains("2 pods")),
        "{:?}",
        f.evidence
    );
    assert!(of(&found, "AIGOV-IMG-003").is_empty());
    assert!(of(&found, "AIGOV-IMG-002").is_empty());
}

#[test]
fn latest_and_untagged_ai_images_are_high() {
    for image in ["jupyter/scipy-notebook:latest", "jupyter/scipy-notebook"] {
        let found = run(&deployment("nb", "lab", image, "", &[(image, D1)]));
        let img1 = of(&found, "AIGOV-IMG-001");
        assert_eq!(img1.len(), 1, "{image}");
        assert_eq!(img1[0].severity, Severity::High, "{image}");
    }
}

#[test]
fn pinned_images_and_non_ai_workloads_are_not_img_001() {
    let pinned = format!("vllm/vllm-openai:v0.6.3@{D1}");
    let found = run(&deployment(
        "llm",
        "vllm",
        &pinned,
        "Always",
        &[(&pinned, D1)],
    ));
    assert!(
        found.is_empty(),
        "a digest pins even with Always: {found:#?}"
    );
    let found = run(&deployment(
        "web",
        "shop",
        "nginx:1.27",
        "",
        &[("nginx:1.27", D1)],
    ));
    assert!(of(&found, "AIGOV-IMG-001").is_empty(), "{found:#?}");
}

#[test]
fn pull_always_on_a_mutable_tag_is_low_and_medium_in_ai_workloads() {
    let found = run(&deployment("web", "shop", "nginx:1.27", "Always", &[]));
    let img2 = of(&found, "AIGOV-IMG-002");
    assert_eq!(img2.len(), 1);
    assert_eq!(img2[0].severity, Severity::Low);
    assert_eq!(img2[0].object.place, Place::container("server"));

    // A mutable tag outside AI workloads is still IMG-002 (but not IMG-001), at low.
    let image = "registry.example.com/ml/llama-finetune:latest";
    let found = run(&deployment("ml", "tune", image, "Always", &[]));
    let img2 = of(&found, "AIGOV-IMG-002");
    assert_eq!(img2.len(), 1, "{found:#?}");
    assert_eq!(img2[0].severity, Severity::Low);
    assert!(img2[0].title.contains("latest"));
    assert!(of(&found, "AIGOV-IMG-001").is_empty());

    let image = "pytorch/pytorch:2.3.1";
    let found = run(&deployment("ml", "train", image, "Always", &[]));
    let img2 = of(&found, "AIGOV-IMG-002");
    assert_eq!(img2.len(), 1);
    assert_eq!(img2[0].severity, Severity::Medium);
    let found = run(&deployment("ml", "train", image, "IfNotPresent", &[]));
    assert!(of(&found, "AIGOV-IMG-002").is_empty());
}

#[test]
fn replicas_on_different_digests_of_one_reference_are_img_003() {
    let image = "vllm/vllm-openai:v0.6.3";
    let found = run(&deployment(
        "llm",
        "vllm",
        image,
        "",
        &[(image, D1), (image, D2)],
    ));
    let img3 = of(&found, "AIGOV-IMG-003");
    assert_eq!(img3.len(), 1, "{found:#?}");
    let f = img3[0];
    assert_eq!(f.severity, Severity::High);
    assert_eq!(
        f.key(),
        "AIGOV-IMG-003:Deployment/llm/vllm#container/server"
    );
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains(D1) && e.contains("vllm-rs-0"))
    );
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains(D2) && e.contains("vllm-rs-1"))
    );
    // With two digests running, IMG-001 has no single digest to pin.
    let img1 = of(&found, "AIGOV-IMG-001");
    assert!(!img1[0].remediable, "{:?}", img1[0].evidence);
}

#[test]
fn a_rollout_to_another_tag_is_not_img_003() {
    let (old, new) = ("vllm/vllm-openai:v0.6.2", "vllm/vllm-openai:v0.6.3");
    let found = run(&deployment("llm", "vllm", new, "", &[(old, D1), (new, D2)]));
    assert!(of(&found, "AIGOV-IMG-003").is_empty(), "{found:#?}");
}

#[test]
fn unparsable_references_are_reported_with_the_parser_error() {
    let found = run(&deployment("ml", "train", "PyTorch/PyTorch:2", "", &[]));
    let img1 = of(&found, "AIGOV-IMG-001");
    assert_eq!(img1.len(), 1, "{found:#?}");
    assert!(img1[0].title.contains("cannot be parsed"));
    assert!(!img1[0].remediable);
    assert!(
        img1[0]
            .evidence
            .iter()
            .any(|e| e.starts_with("parser: ") && e.contains("lowercase"))
    );
    // Not an AI unit by its (unparsable) image: still reported, at info.
    let found = run(&deployment("web", "shop", "Nginx:1", "", &[]));
    let img1 = of(&found, "AIGOV-IMG-001");
    assert_eq!(img1.len(), 1);
    assert_eq!(img1[0].severity, Severity::Info);
}

#[test]
fn registry_facts_make_an_idle_workload_pinnable() {
    let image = "pytorch/pytorch:2.3.1";
    let snap = snapshot(&deployment("ml", "train", image, "", &[]));
    let found = run_with(&snap, &RegistryFacts::default());
    let f = of(&found, "AIGOV-IMG-001")[0].clone();
    assert!(!f.remediable, "no running pods and no registry facts");
    assert!(f.evidence.iter().any(|e| e == "no running pods"));

    let mut facts = RegistryFacts::default();
    facts.insert(
        &ImageRef::parse(image).unwrap(),
        TagFact {
            digest: D2.into(),
            media_type: "application/vnd.oci.image.index.v1+json".into(),
            checked_at: "2025-06-01T10:00:00Z".into(),
        },
    );
    let found = run_with(&snap, &facts);
    let f = of(&found, "AIGOV-IMG-001")[0];
    assert!(f.remediable);
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains(D2) && e.contains("registry"))
    );

    let mut facts = RegistryFacts::default();
    facts.insert_unknown(&ImageRef::parse(image).unwrap(), "connection refused");
    let found = run_with(&snap, &facts);
    let f = of(&found, "AIGOV-IMG-001")[0];
    assert!(!f.remediable);
    assert!(f.evidence.iter().any(|e| e.contains("connection refused")));
}

#[test]
fn unknown_pods_make_the_rules_incomplete_not_clean() {
    let image = "vllm/vllm-openai:v0.6.3";
    let mut snap = snapshot(&deployment("llm", "vllm", image, "", &[]));
    snap.coverage.insert(
        Kind::Pod,
        Coverage::Partial {
            unknown_namespaces: [("llm".to_string(), "forbidden".to_string())].into(),
        },
    );
    let found = run_with(&snap, &RegistryFacts::default());
    let incomplete: Vec<String> = found
        .iter()
        .filter(|f| f.incomplete)
        .map(Finding::key)
        .collect();
    assert_eq!(
        incomplete,
        [
            "AIGOV-IMG-001:Namespace//llm#",
            "AIGOV-IMG-002:Namespace//llm#",
            "AIGOV-IMG-003:Namespace//llm#"
        ]
    );
    snap.coverage.insert(
        Kind::Pod,
        Coverage::Unknown {
            reason: "timeout".into(),
        },
    );
    let found = run_with(&snap, &RegistryFacts::default());
    assert!(
        found
            .iter()
            .any(|f| f.incomplete && f.key() == "AIGOV-IMG-003:Namespace//*#")
    );
    // Fully read: no incomplete findings.
    let found = run(&deployment("llm", "vllm", image, "", &[]));
    assert!(!found.is_empty(), "the tagged AI image is still reported");
    assert!(found.iter().all(|f| !f.incomplete), "{found:#?}");
}

#[test]
fn hostile_names_are_sanitised_in_titles_and_evidence() {
    let image = "vllm/vllm-openai:v0.6.3";
    let mut snap = snapshot(&deployment(
        "llm",
        "vllm",
        image,
        "",
        &[(image, D1), (image, D2)],
    ));
    snap.workloads[0].template.containers[0].name = "srv\u{1b}[2J".into();
    for pod in &mut snap.pods {
        pod.spec.containers[0].name = "srv\u{1b}[2J".into();
        pod.container_statuses[0].name = "srv\u{1b}[2J".into();
    }
    let found = run_with(&snap, &RegistryFacts::default());
    assert!(!found.is_empty());
    // The name reaches the titles (IMG-003 names the container), so the check below sees it.
    assert!(found.iter().any(|f| f.title.contains("srv")), "{found:#?}");
    for f in &found {
        assert!(!f.title.contains('\u{1b}'), "{}", f.title);
        assert!(f.evidence.iter().all(|e| !e.contains('\u{1b}')));
    }
}

mod with_registry;
