//! Each remediation kind end to end against the demo simulator (issue 5: "each remediation
//! yields the intended object"): a demo finding's proposal is reviewed and applied, the object
//! is read back as the simulator stores it, the finding is gone on re-evaluation, and the
//! inverses (reviewed and applied too) bring the object and the finding back.
//!
//! This file: images, pod templates, namespaces, admission and config drift. The RBAC kinds
//! are in `remediation_kinds_rbac.rs`; NS-003 on `notebooks` is also in
//! `remediation_apply.rs` (with the audit trail and the failure paths).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use aigov_core::rules::config::{Baseline, StoredContent};
use aigov_core::rules::{Inputs, RulesConfig, View, evaluate};
use aigov_remediation::{Remediation, restore_config_map};
use common::remediate::{added, assert_line, demo, removed, text_at};
use serde_json::{Value, json};

const TGI: (&str, &str) = ("llm-inference", "tgi-mistral-7b");
const TGI_POD: &str = "tgi-mistral-7b-z8n6682tjp-hhvv8";

fn template_container<'v>(deployment: &'v Value, name: &str) -> &'v Value {
    deployment["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no container {name}"))
}

#[tokio::test]
async fn pin_image_patches_the_deployment_template_with_the_running_digest() {
    let key = "AIGOV-IMG-001:Deployment/llm-inference/tgi-mistral-7b#container/tgi";
    let mut fx = demo().await;
    let before = fx.stored("apps/v1", "Deployment", TGI.0, TGI.1);
    let old = text_at(template_container(&before, "tgi"), "/image")
        .unwrap()
        .to_string();
    assert!(!old.contains('@'), "the demo runs {old} unpinned");
    let pod = fx.stored("v1", "Pod", TGI.0, TGI_POD);
    let image_id = pod["status"]["containerStatuses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "tgi")
        .and_then(|s| s["imageID"].as_str())
        .unwrap()
        .to_string();
    let digest = image_id.rsplit_once('@').unwrap().1;
    assert!(digest.starts_with("sha256:"), "{image_id}");

    let (remediation, changes, reviews) = fx.fix(key).await;
    let expected = format!("{old}@{digest}");
    assert_eq!(
        remediation,
        Remediation::PinImage {
            container: "tgi".into(),
            from: old.clone(),
            to: expected.clone(),
            source: "running pods".into(),
        }
    );
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].target.kind, "Deployment");
    assert_line(&reviews[0], &removed(&reviews[0]), &format!("image: {old}"));
    // Long images are folded (`image: >-` then the image on its own line).
    assert!(
        added(&reviews[0]).iter().any(|l| l.ends_with(&expected)),
        "{:?}",
        reviews[0].diff
    );

    let after = fx.stored("apps/v1", "Deployment", TGI.0, TGI.1);
    assert_eq!(
        text_at(template_container(&after, "tgi"), "/image"),
        Some(expected.as_str()),
        "the template is pinned"
    );
    let pod_after = fx.stored("v1", "Pod", TGI.0, TGI_POD);
    assert_eq!(pod_after["spec"], pod["spec"], "the pod is not patched");
    assert_eq!(
        pod_after["metadata"]["resourceVersion"],
        pod["metadata"]["resourceVersion"]
    );

    fx.roll_back(&changes, key).await;
    let back = fx.stored("apps/v1", "Deployment", TGI.0, TGI.1);
    assert_eq!(back["spec"], before["spec"], "the template is restored");
}

/// A pod no controller manages is patched itself (its images are mutable), with the digest
/// it already runs.
#[tokio::test]
async fn pin_image_patches_a_bare_pod() {
    let key = "AIGOV-IMG-001:Pod/default/pytorch-debug#container/pytorch-debug";
    let mut fx = demo().await;
    let before = fx.stored("v1", "Pod", "default", "pytorch-debug");
    let old = text_at(&before, "/spec/containers/0/image")
        .unwrap()
        .to_string();
    let image_id = text_at(&before, "/status/containerStatuses/0/imageID").unwrap();
    let digest = image_id.rsplit_once('@').unwrap().1.to_string();

    let (_, changes, reviews) = fx.fix(key).await;
    let expected = format!("{old}@{digest}");
    assert_eq!(changes[0].target.kind, "Pod");
    assert!(
        added(&reviews[0]).iter().any(|l| l.ends_with(&expected)),
        "{:?}",
        reviews[0].diff
    );
    let after = fx.stored("v1", "Pod", "default", "pytorch-debug");
    assert_eq!(
        text_at(&after, "/spec/containers/0/image"),
        Some(expected.as_str())
    );
    assert_eq!(after["metadata"]["uid"], before["metadata"]["uid"]);

    fx.roll_back(&changes, key).await;
    let back = fx.stored("v1", "Pod", "default", "pytorch-debug");
    assert_eq!(back["spec"], before["spec"]);
}

#[tokio::test]
async fn read_only_mounts_on_the_model_volume_of_the_template() {
    let key = "AIGOV-REACH-003:Deployment/llm-inference/tgi-mistral-7b#volume/model-weights";
    let mut fx = demo().await;
    let before = fx.stored("apps/v1", "Deployment", TGI.0, TGI.1);
    let mounts = |d: &Value| template_container(d, "tgi")["volumeMounts"].clone();
    let mount = |d: &Value, name: &str| -> Value {
        mounts(d)
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no mount {name}"))
    };
    assert_eq!(mount(&before, "model-weights").get("readOnly"), None);

    let (remediation, changes, reviews) = fx.fix(key).await;
    assert_eq!(
        remediation,
        Remediation::ReadOnlyMounts {
            volume: "model-weights".into(),
            containers: vec!["tgi".into()],
        }
    );
    let changed: Vec<String> = added(&reviews[0])
        .into_iter()
        .filter(|l| !l.starts_with("generation: "))
        .collect();
    assert_eq!(changed, ["readOnly: true"], "{:?}", reviews[0].diff);

    let after = fx.stored("apps/v1", "Deployment", TGI.0, TGI.1);
    assert_eq!(mount(&after, "model-weights")["readOnly"], json!(true));
    assert_eq!(mount(&after, "model-weights")["mountPath"], "/models");
    assert_eq!(
        mount(&after, "dshm"),
        mount(&before, "dshm"),
        "other mounts untouched"
    );

    // The undo writes `readOnly: false` (the model cannot tell it from absent).
    fx.roll_back(&changes, key).await;
    let back = fx.stored("apps/v1", "Deployment", TGI.0, TGI.1);
    assert_eq!(mount(&back, "model-weights")["readOnly"], json!(false));
    assert_eq!(mount(&back, "dshm"), mount(&before, "dshm"));
}

#[tokio::test]
async fn enforce_pod_security_labels_the_namespace_and_surfaces_warnings() {
    let key = "AIGOV-NS-003:Namespace//default#";
    let label = "/metadata/labels/pod-security.kubernetes.io~1enforce";
    let mut fx = demo().await;
    let before = fx.stored("v1", "Namespace", "", "default");
    assert_eq!(before.pointer(label), None);

    let (remediation, changes, reviews) = fx.fix(key).await;
    assert!(
        matches!(&remediation, Remediation::EnforcePodSecurity { namespace, previous: None, .. } if namespace == "default"),
        "{remediation:?}"
    );
    assert_line(
        &reviews[0],
        &added(&reviews[0]),
        "pod-security.kubernetes.io/enforce: baseline",
    );
    // The demo's pytorch-debug pod mounts a hostPath: the dry run says so.
    let warnings = reviews[0].warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("violate the new PodSecurity enforce level \"baseline")),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().any(|w| w.starts_with("pytorch-debug: ")),
        "{warnings:?}"
    );
    let after = fx.stored("v1", "Namespace", "", "default");
    assert_eq!(after.pointer(label), Some(&json!("baseline")));
    assert_eq!(
        after["metadata"]["labels"]["kubernetes.io/metadata.name"],
        "default"
    );

    fx.roll_back(&changes, key).await;
    let back = fx.stored("v1", "Namespace", "", "default");
    assert_eq!(back.pointer(label), None);
    assert_eq!(back["metadata"]["labels"], before["metadata"]["labels"]);
}

#[tokio::test]
async fn default_deny_network_policy_is_created_in_the_namespace() {
    let key = "AIGOV-NS-004:Namespace//notebooks#";
    let mut fx = demo().await;
    let policy = |fx: &common::remediate::Fixture| {
        fx.object(
            "networking.k8s.io/v1",
            "NetworkPolicy",
            "notebooks",
            "aigov-default-deny",
        )
    };
    assert_eq!(policy(&fx), None);

    let (_, changes, reviews) = fx.fix(key).await;
    assert_line(&reviews[0], &added(&reviews[0]), "name: aigov-default-deny");
    assert!(removed(&reviews[0]).is_empty(), "a create removes nothing");
    let stored = policy(&fx).expect("the policy is stored");
    assert_eq!(stored["metadata"]["namespace"], "notebooks");
    assert_eq!(stored["spec"]["podSelector"], json!({}));
    assert_eq!(stored["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
    assert_eq!(stored["spec"].get("ingress"), None, "no ingress allowed");
    assert_eq!(stored["spec"].get("egress"), None, "no egress allowed");
    assert_eq!(
        stored["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "aigov"
    );

    fx.roll_back(&changes, key).await;
    assert_eq!(policy(&fx), None, "the inverse deletes it");
}

#[tokio::test]
async fn require_image_digests_creates_aigovs_policy_and_binding() {
    let key = "AIGOV-ADM-001:Namespace//notebooks#";
    let name = "aigov-require-image-digest";
    let api = "admissionregistration.k8s.io/v1";
    let mut fx = demo().await;
    let (_, evaluation) = fx.evaluation().await;
    let ai: Vec<String> = evaluation
        .namespaces
        .iter()
        .filter(|n| n.ai)
        .map(|n| n.name.clone())
        .collect();
    let adm_keys = |keys: &[String]| -> Vec<String> {
        keys.iter()
            .filter(|k| k.starts_with("AIGOV-ADM-001:"))
            .cloned()
            .collect()
    };
    assert!(adm_keys(&fx.keys().await).len() > 1);

    let (remediation, changes, reviews) = fx.fix(key).await;
    assert_eq!(
        remediation,
        Remediation::RequireImageDigests {
            namespaces: ai.clone()
        }
    );
    assert_eq!(changes.len(), 2, "the policy, then its binding");
    assert_line(
        &reviews[0],
        &added(&reviews[0]),
        "kind: ValidatingAdmissionPolicy",
    );
    assert_line(&reviews[1], &added(&reviews[1]), "- Deny");
    let labelled = |o: &Value| {
        assert_eq!(
            o["metadata"]["labels"]["app.kubernetes.io/managed-by"],
            "aigov"
        );
        assert_eq!(
            o["metadata"]["labels"]["aigov.dev/policy"],
            "require-image-digest"
        );
    };
    let policy = fx.stored(api, "ValidatingAdmissionPolicy", "", name);
    labelled(&policy);
    let validation = policy["spec"]["validations"][0]["expression"]
        .as_str()
        .unwrap();
    assert!(validation.contains("@sha256:"), "{validation}");
    let binding = fx.stored(api, "ValidatingAdmissionPolicyBinding", "", name);
    labelled(&binding);
    assert_eq!(binding["spec"]["policyName"], name);
    assert_eq!(binding["spec"]["validationActions"], json!(["Deny"]));
    assert_eq!(
        binding["spec"]["matchResources"]["namespaceSelector"]["matchExpressions"],
        json!([{"key": "kubernetes.io/metadata.name", "operator": "In", "values": ai}])
    );
    assert_eq!(
        adm_keys(&fx.keys().await),
        Vec::<String>::new(),
        "one policy fixes every AI namespace"
    );

    fx.roll_back(&changes, key).await;
    assert_eq!(
        fx.object(api, "ValidatingAdmissionPolicyBinding", "", name),
        None
    );
    assert_eq!(fx.object(api, "ValidatingAdmissionPolicy", "", name), None);
}

/// aigov's binding exists already, but only warns and selects by a label no AI namespace
/// has: the proposal creates the missing policy and patches the binding to deny in every AI
/// namespace; the rollback restores the binding as it was.
#[tokio::test]
async fn require_image_digests_patches_an_existing_aigov_binding() {
    let key = "AIGOV-ADM-001:Namespace//ml-training#";
    let name = "aigov-require-image-digest";
    let api = "admissionregistration.k8s.io/v1";
    let mut fx = demo().await;
    let labels = json!({"app.kubernetes.io/managed-by": "aigov", "aigov.dev/policy": "require-image-digest"});
    fx.create(
        aigov_core::model::Kind::ValidatingAdmissionPolicyBinding,
        json!({"apiVersion": api, "kind": "ValidatingAdmissionPolicyBinding",
               "metadata": {"name": name, "labels": labels},
               "spec": {"policyName": name, "validationActions": ["Warn"],
                        "matchResources": {"namespaceSelector": {"matchLabels": {"digests": "required"}}}}}),
    )
    .await;
    let before = fx.stored(api, "ValidatingAdmissionPolicyBinding", "", name);

    let (_, changes, _) = fx.fix(key).await;
    assert_eq!(changes.len(), 2, "create the policy, patch the binding");
    let (_, evaluation) = fx.evaluation().await;
    let ai: Vec<String> = evaluation
        .namespaces
        .iter()
        .filter(|n| n.ai)
        .map(|n| n.name.clone())
        .collect();
    let binding = fx.stored(api, "ValidatingAdmissionPolicyBinding", "", name);
    assert_eq!(binding["spec"]["validationActions"], json!(["Deny"]));
    assert_eq!(
        binding["spec"]["matchResources"]["namespaceSelector"],
        json!({"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "In", "values": ai}]}),
        "the old label requirement is gone"
    );
    assert!(
        !fx.keys()
            .await
            .iter()
            .any(|k| k.starts_with("AIGOV-ADM-001:")),
        "every AI namespace is covered"
    );

    fx.roll_back(&changes, key).await;
    let back = fx.stored(api, "ValidatingAdmissionPolicyBinding", "", name);
    assert_eq!(back["spec"], before["spec"], "the binding is as it was");
    assert_eq!(fx.object(api, "ValidatingAdmissionPolicy", "", name), None);
}

/// Not proposed by `propose` (drift is a person's decision), and the saved baseline does not
/// record content yet: the test gives the baseline the content, as the console will.
#[tokio::test]
async fn restore_config_map_puts_the_baseline_data_back() {
    let (namespace, name) = ("llm-inference", "vllm-serving-config");
    let key = format!("AIGOV-CFG-003:ConfigMap/{namespace}/{name}#");
    let mut fx = demo().await;
    let settings = RulesConfig::default();
    let snapshot = fx.snapshot().await;
    let mut baseline = Baseline::capture(&View::new(&snapshot, &settings), "2026-11-27T00:00:00Z");
    let original = fx.stored("v1", "ConfigMap", namespace, name)["data"].clone();
    let content: std::collections::BTreeMap<String, String> =
        serde_json::from_value(original.clone()).unwrap();
    baseline
        .config_maps
        .get_mut(&format!("{namespace}/{name}"))
        .expect("the ConfigMap is in the baseline")
        .content = Some(StoredContent(content));
    assert!(fx.t.sim.apply_demo_drift() > 0);
    let drifted = fx.stored("v1", "ConfigMap", namespace, name)["data"].clone();
    assert_ne!(drifted, original);

    let inputs = Inputs {
        baseline: Some(&baseline),
        ..Inputs::default()
    };
    let snapshot = fx.snapshot().await;
    let evaluation = evaluate(&snapshot, &inputs);
    let finding = evaluation
        .findings
        .iter()
        .find(|f| f.key() == key)
        .unwrap_or_else(|| panic!("no {key}"));
    let proposal = restore_config_map(finding, &snapshot, &baseline);
    let Some(Remediation::RestoreConfigMap { keys, .. }) = (match &proposal {
        aigov_remediation::Proposal::Change { remediation, .. } => Some(remediation.clone()),
        _ => None,
    }) else {
        panic!("{proposal:?}");
    };
    assert!(keys.contains(&"VLLM_MAX_MODEL_LEN".to_string()), "{keys:?}");
    let changes = proposal.changes().to_vec();
    let reviews = fx.apply_in_order(&changes).await;
    let (minus, plus) = (removed(&reviews[0]), added(&reviews[0]));
    assert_line(&reviews[0], &minus, "VLLM_MAX_MODEL_LEN: \"32768\"");
    assert_line(&reviews[0], &minus, "VLLM_ENFORCE_EAGER: \"true\"");
    let baseline_len = original["VLLM_MAX_MODEL_LEN"].as_str().unwrap();
    assert_line(
        &reviews[0],
        &plus,
        &format!("VLLM_MAX_MODEL_LEN: \"{baseline_len}\""),
    );
    assert_eq!(
        fx.stored("v1", "ConfigMap", namespace, name)["data"],
        original,
        "the data is the baseline's again"
    );
    let keys_with = |snapshot| -> Vec<String> {
        evaluate(&snapshot, &inputs)
            .findings
            .iter()
            .map(|f| f.key())
            .collect()
    };
    assert!(!keys_with(fx.snapshot().await).contains(&key));

    let inverses: Vec<_> = changes.iter().rev().map(|c| c.inverse()).collect();
    fx.apply_in_order(&inverses).await;
    assert_eq!(
        fx.stored("v1", "ConfigMap", namespace, name)["data"],
        drifted
    );
    assert!(keys_with(fx.snapshot().await).contains(&key));
}
