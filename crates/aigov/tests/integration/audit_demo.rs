//! End to end: every deliberate governance problem of the demo platform is found, through
//! the real connection and loader, with the expected rule id.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use aigov_core::rules::{Finding, Inputs, evaluate};
use aigov_kube::{LoadOptions, load};
use std::sync::Arc;

/// (rule, object as Kind/namespace/name, path prefix or "") that the demo must produce.
const EXPECTED: &[(&str, &str, &str)] = &[
    // Namespaces and isolation
    ("AIGOV-NS-001", "Namespace//ml-training", ""),
    ("AIGOV-NS-002", "Pod/default/jupyter-test", ""),
    ("AIGOV-NS-002", "Pod/default/pytorch-debug", ""),
    ("AIGOV-NS-003", "Namespace//notebooks", ""),
    ("AIGOV-NS-004", "Namespace//notebooks", ""),
    // RBAC
    (
        "AIGOV-RBAC-007",
        "ClusterRoleBinding//notebooks-default-editor-cluster-admin",
        "subject/ServiceAccount/notebooks/default-editor",
    ),
    (
        "AIGOV-RBAC-007",
        "ClusterRoleBinding//jupyter-priya-debug",
        "subject/ServiceAccount/notebooks/jupyter-priya",
    ),
    (
        "AIGOV-RBAC-007",
        "ClusterRoleBinding//ml-engineers-cluster-admin",
        "subject/Group/ml-engineers",
    ),
    (
        "AIGOV-RBAC-002",
        "RoleBinding/ml-training/interns-pod-debugger",
        "subject/Group/interns",
    ),
    (
        "AIGOV-RBAC-001",
        "RoleBinding/ml-training/default-secret-reader",
        "subject/ServiceAccount/ml-training/default",
    ),
    (
        "AIGOV-RBAC-004",
        "ClusterRoleBinding//data-scientists-superuser",
        "subject/Group/data-scientists",
    ),
    (
        "AIGOV-RBAC-005",
        "ClusterRoleBinding//ml-platform-leads-rbac-delegator",
        "",
    ),
    (
        "AIGOV-RBAC-005",
        "ClusterRoleBinding//llm-gateway-impersonator",
        "",
    ),
    (
        "AIGOV-RBAC-006",
        "ClusterRoleBinding//pipeline-runner-token-minter",
        "",
    ),
    (
        "AIGOV-RBAC-008",
        "RoleBinding/ml-training/legacy-trainer-edit",
        "subject/ServiceAccount/ml-training/legacy-trainer",
    ),
    (
        "AIGOV-RBAC-008",
        "ClusterRoleBinding//mlflow-server-view",
        "",
    ),
    ("AIGOV-RBAC-009", "ServiceAccount/ml-training/default", ""),
    // Data reach
    (
        "AIGOV-REACH-002",
        "Job/ml-training/resnet50-train-imagenet",
        "volume/",
    ),
    ("AIGOV-REACH-002", "Pod/default/pytorch-debug", "volume/"),
    (
        "AIGOV-REACH-003",
        "Deployment/llm-inference/tgi-mistral-7b",
        "volume/",
    ),
    (
        "AIGOV-REACH-004",
        "PersistentVolumeClaim/ml-training/imagenet-2012",
        "",
    ),
    (
        "AIGOV-REACH-004",
        "PersistentVolumeClaim/notebooks/shared-datasets",
        "",
    ),
    (
        "AIGOV-REACH-005",
        "PersistentVolume//pvc-6f3b0e8d-2a9c-4d71-b5e4-8c1f7a0d3e96",
        "",
    ),
    (
        "AIGOV-REACH-005",
        "PersistentVolume//nfs-imagenet-subset-legacy",
        "",
    ),
    (
        "AIGOV-REACH-006",
        "PersistentVolumeClaim/ml-training/instruct-mix-v3",
        "",
    ),
    ("AIGOV-REACH-007", "Service/llm-inference/llm-gateway", ""),
    ("AIGOV-REACH-007", "Service/notebooks/alice-nodeport", ""),
    // Images
    ("AIGOV-IMG-001", "Pod/default/jupyter-test", "container/"),
    (
        "AIGOV-IMG-001",
        "Job/ml-training/llama3-8b-lora-finetune",
        "container/",
    ),
    (
        "AIGOV-IMG-001",
        "Deployment/llm-inference/vllm-llama3-8b",
        "container/vllm",
    ),
    (
        "AIGOV-IMG-002",
        "Job/ml-training/llama3-8b-lora-finetune",
        "container/",
    ),
    (
        "AIGOV-IMG-003",
        "Deployment/llm-inference/vllm-llama3-8b",
        "container/vllm",
    ),
    // Config
    (
        "AIGOV-CFG-001",
        "ConfigMap/llm-inference/hf-hub-settings",
        "data/HF_TOKEN",
    ),
    (
        "AIGOV-CFG-001",
        "ConfigMap/notebooks/notebook-env",
        "data/HF_TOKEN",
    ),
    (
        "AIGOV-CFG-001",
        "ConfigMap/notebooks/notebook-env",
        "data/OPENAI_API_KEY",
    ),
    (
        "AIGOV-CFG-002",
        "Job/ml-training/llama3-8b-lora-finetune",
        "container/finetune/env/HF_TOKEN",
    ),
    (
        "AIGOV-CFG-002",
        "Pod/default/jupyter-test",
        "container/jupyter-test/env/HF_TOKEN",
    ),
    (
        "AIGOV-CFG-002",
        "StatefulSet/notebooks/priya",
        "container/priya/env/HF_TOKEN",
    ),
    // Admission
    ("AIGOV-ADM-001", "Namespace//ml-training", ""),
    ("AIGOV-ADM-001", "Namespace//notebooks", ""),
];

fn object(f: &Finding) -> String {
    format!("{}/{}/{}", f.object.kind, f.object.namespace, f.object.name)
}

async fn demo_findings() -> (Vec<Finding>, Vec<aigov_core::rules::NamespaceClass>) {
    let t = common::demo_sim().await;
    let connection = t.connect_as("aigov-demo-admin").await;
    let snapshot = load(&connection, &LoadOptions::default(), Arc::new(|_| {})).await;
    let evaluation = evaluate(&snapshot, &Inputs::default());
    (evaluation.findings, evaluation.namespaces)
}

#[tokio::test]
async fn every_deliberate_problem_of_the_demo_is_found_with_its_rule() {
    let (findings, _) = demo_findings().await;
    let mut missing = Vec::new();
    for (rule, obj, path) in EXPECTED {
        let hit = findings.iter().any(|f| {
            f.rule == *rule && object(f) == *obj && f.object.place.to_string().starts_with(path)
        });
        if !hit {
            missing.push(format!("{rule} on {obj} {path}"));
        }
    }
    assert!(missing.is_empty(), "not found:\n{}", missing.join("\n"));
    assert!(
        findings.iter().all(|f| !f.incomplete),
        "the admin reads everything: nothing is incomplete"
    );
}

#[tokio::test]
async fn correct_configurations_of_the_demo_are_not_reported() {
    let (findings, _) = demo_findings().await;
    let reported =
        |rule: &str, obj: &str| findings.iter().any(|f| f.rule == rule && object(f) == obj);
    // vLLM mounts its weights read-only: only TGI is the read-write case.
    assert!(!reported(
        "AIGOV-REACH-003",
        "Deployment/llm-inference/vllm-llama3-8b"
    ));
    // feature-store is covered by a Deny binding of the digest policy.
    assert!(!reported("AIGOV-ADM-001", "Namespace//feature-store"));
    // Namespaces with Pod Security and network policy are not reported for them.
    assert!(!reported("AIGOV-NS-003", "Namespace//ml-training"));
    assert!(!reported("AIGOV-NS-004", "Namespace//ml-training"));
    // The non-AI web shop gets no AI-namespace findings.
    assert!(
        !findings
            .iter()
            .any(|f| f.object.kind == "Namespace" && f.object.name == "web-shop")
    );
    // Digest-pinned images are not reported by IMG-001.
    assert!(
        !findings
            .iter()
            .any(|f| f.rule == "AIGOV-IMG-001" && f.object.namespace == "feature-store")
    );
}

#[tokio::test]
async fn the_demo_namespaces_are_classified_as_designed() {
    let (_, namespaces) = demo_findings().await;
    let ai: Vec<&str> = namespaces
        .iter()
        .filter(|n| n.ai)
        .map(|n| n.name.as_str())
        .collect();
    for expected in ["ml-training", "llm-inference", "notebooks", "feature-store"] {
        assert!(ai.contains(&expected), "{expected} should be AI: {ai:?}");
    }
    for not_ai in ["web-shop", "kube-system"] {
        assert!(!ai.contains(&not_ai), "{not_ai} should not be AI");
    }
    let ml = namespaces.iter().find(|n| n.name == "ml-training").unwrap();
    assert!(
        ml.reasons.iter().any(|r| r.contains("nvidia.com/gpu")),
        "{:?}",
        ml.reasons
    );
}

#[tokio::test]
async fn unreadable_rbac_makes_rbac_rules_incomplete_never_clean() {
    let t = common::demo_sim().await;
    let connection = t.connect_as("aigov-demo-admin").await;
    let mut snapshot = load(&connection, &LoadOptions::default(), Arc::new(|_| {})).await;
    // As if RoleBindings could not be listed: the rules must not report the AI namespaces as clean.
    snapshot.coverage.insert(
        aigov_core::model::Kind::RoleBinding,
        aigov_core::model::Coverage::Unknown {
            reason: "rolebindings is forbidden".into(),
        },
    );
    snapshot.bindings.retain(|b| b.is_cluster_binding());
    let findings = evaluate(&snapshot, &Inputs::default()).findings;
    let incomplete: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.incomplete && f.area() == aigov_core::rules::Area::Rbac)
        .collect();
    assert!(
        !incomplete.is_empty(),
        "RBAC rules must say they could not be evaluated"
    );
    assert!(
        incomplete
            .iter()
            .all(|f| f.evidence.iter().any(|e| e.contains("unreadable")))
    );
}
