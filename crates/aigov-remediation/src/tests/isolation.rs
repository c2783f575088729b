//! Namespace isolation: Pod Security labels, default-deny NetworkPolicies, and the admission
//! policy requiring digests.

use super::*;
use crate::{PodSecurityLevel, Remediation};
use serde_json::json;

const FIXTURE: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: notebooks, uid: ns-1, resourceVersion: "7", labels: {aigov.dev/ai: "true"}}
---
apiVersion: v1
kind: Namespace
metadata:
  name: research
  resourceVersion: "8"
  labels: {aigov.dev/ai: "true", pod-security.kubernetes.io/enforce: privileged, pod-security.kubernetes.io/warn: restricted}
---
apiVersion: v1
kind: Namespace
metadata: {name: web}
---
apiVersion: v1
kind: Pod
metadata: {name: lab, namespace: notebooks, labels: {app: lab}}
spec:
  containers: [{name: nb, image: "jupyter/scipy-notebook@sha256:3333333333333333333333333333333333333333333333333333333333333333"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ray-head, namespace: research}
spec:
  selector: {matchLabels: {app: ray}}
  template:
    metadata: {labels: {app: ray}}
    spec:
      containers: [{name: ray, image: "rayproject/ray-ml@sha256:4444444444444444444444444444444444444444444444444444444444444444", resources: {limits: {nvidia.com/gpu: "1"}}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-only, namespace: research}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
"#;

fn objects() -> Objects {
    Objects::from_yaml(FIXTURE)
}

#[test]
fn an_unlabelled_ai_namespace_gets_baseline_enforced_and_the_undo_removes_the_label() {
    let objects = objects();
    let (proposal, after) = fixes(&objects, "AIGOV-NS-003:Namespace//notebooks#");
    let Proposal::Change {
        remediation,
        changes,
        ..
    } = &proposal
    else {
        unreachable!()
    };
    assert_eq!(
        remediation,
        &Remediation::EnforcePodSecurity {
            namespace: "notebooks".into(),
            level: PodSecurityLevel::Baseline,
            previous: None,
        }
    );
    let c = &changes[0];
    assert_eq!(
        (
            c.target.group.as_str(),
            c.target.version.as_str(),
            c.target.resource.as_str()
        ),
        ("", "v1", "namespaces")
    );
    assert_eq!(c.target.namespace, "");
    assert_eq!(c.resource_version.as_deref(), Some("7"));
    assert_eq!(
        c.operation,
        Operation::Patch {
            patch_type: PatchType::Merge,
            body: json!({"metadata": {"labels": {"pod-security.kubernetes.io/enforce": "baseline"}}})
        }
    );
    assert_eq!(
        c.undo,
        Operation::Patch {
            patch_type: PatchType::Merge,
            body: json!({"metadata": {"labels": {"pod-security.kubernetes.io/enforce": null}}})
        }
    );
    undo_restores(&objects, &proposal, &after, true);
}

#[test]
fn a_namespace_that_warns_at_restricted_gets_restricted_and_the_undo_restores_privileged() {
    let objects = objects();
    let (proposal, after) = fixes(&objects, "AIGOV-NS-003:Namespace//research#");
    let c = &proposal.changes()[0];
    assert_eq!(
        after.get(c)["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        "restricted"
    );
    assert_eq!(
        c.undo,
        Operation::Patch {
            patch_type: PatchType::Merge,
            body: json!({"metadata": {"labels": {"pod-security.kubernetes.io/enforce": "privileged"}}})
        }
    );
    undo_restores(&objects, &proposal, &after, true);
}

#[test]
fn a_default_deny_policy_isolates_a_namespace_without_policies() {
    let objects = objects();
    let (proposal, after) = fixes(&objects, "AIGOV-NS-004:Namespace//notebooks#");
    let c = &proposal.changes()[0];
    assert_eq!(
        (
            c.target.group.as_str(),
            c.target.resource.as_str(),
            c.target.namespace.as_str()
        ),
        ("networking.k8s.io", "networkpolicies", "notebooks")
    );
    assert_eq!(c.resource_version, None, "a create has no precondition");
    assert_eq!(
        c.operation,
        Operation::Create {
            body: json!({
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {
                    "name": "aigov-default-deny",
                    "namespace": "notebooks",
                    "labels": {"app.kubernetes.io/managed-by": "aigov"},
                },
                "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
            })
        }
    );
    assert_eq!(c.undo, Operation::Delete);
    undo_restores(&objects, &proposal, &after, true);
}

#[test]
fn an_unselected_ai_workload_is_covered_by_the_default_deny_policy() {
    let objects = objects();
    let (proposal, _) = fixes(&objects, "AIGOV-NS-004:Deployment/research/ray-head#");
    assert_eq!(proposal.changes()[0].target.namespace, "research");
    // Once it exists, a second proposal would not create it again.
    let mut after = objects.clone();
    after.apply_all(&proposal);
    let stale = finding(
        &objects.snapshot(),
        "AIGOV-NS-004:Deployment/research/ray-head#",
    );
    assert!(!propose(&stale, &after.snapshot()).is_change());
}

#[test]
fn a_digest_policy_and_a_deny_binding_cover_every_ai_namespace() {
    let objects = objects();
    let (proposal, after) = fixes(&objects, "AIGOV-ADM-001:Namespace//notebooks#");
    let changes = proposal.changes();
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[0].target.kind, "ValidatingAdmissionPolicy");
    assert_eq!(
        changes[0].target.group.as_str(),
        "admissionregistration.k8s.io"
    );
    let Operation::Create { body } = &changes[1].operation else {
        panic!()
    };
    assert_eq!(body["spec"]["validationActions"], json!(["Deny"]));
    assert_eq!(
        body["spec"]["matchResources"]["namespaceSelector"]["matchExpressions"][0]["values"],
        json!(["notebooks", "research"])
    );
    let Operation::Create { body: policy } = &changes[0].operation else {
        panic!()
    };
    assert_eq!(
        policy["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "aigov"
    );
    assert!(
        policy["spec"]["validations"][0]["expression"]
            .as_str()
            .unwrap()
            .contains("@sha256:")
    );
    // One proposal fixes the finding of every AI namespace.
    assert!(
        !keys(&after.snapshot())
            .iter()
            .any(|k| k.starts_with("AIGOV-ADM-001"))
    );
    undo_restores(&objects, &proposal, &after, true);
}

#[test]
fn a_binding_that_only_warns_is_patched_to_deny() {
    let mut objects = objects();
    objects.0.push(super::super::admission::policy_json());
    let mut binding = super::super::admission::binding_json(&["notebooks".into()]);
    binding["spec"]["validationActions"] = json!(["Warn"]);
    binding["metadata"]["resourceVersion"] = json!("77");
    objects.0.push(binding);
    let (proposal, after) = fixes(&objects, "AIGOV-ADM-001:Namespace//notebooks#");
    let changes = proposal.changes();
    assert_eq!(
        changes.len(),
        1,
        "the policy exists: only the binding changes"
    );
    assert_eq!(changes[0].resource_version.as_deref(), Some("77"));
    assert!(matches!(
        &changes[0].operation,
        Operation::Patch { patch_type: PatchType::Merge, body } if body["spec"]["validationActions"] == json!(["Deny"])
    ));
    undo_restores(&objects, &proposal, &after, false);
}

#[test]
fn a_binding_selecting_by_label_is_repointed_at_the_ai_namespaces_and_restored_exactly() {
    let mut objects = objects();
    objects.0.push(super::super::admission::policy_json());
    let mut binding = super::super::admission::binding_json(&[]);
    binding["spec"]["validationActions"] = json!(["Warn"]);
    binding["spec"]["matchResources"]["namespaceSelector"] =
        json!({"matchLabels": {"digests": "required"}});
    objects.0.push(binding);
    // The merge patch must drop the old matchLabels: ANDed with the names, they would keep
    // every AI namespace uncovered (`fixes` checks the finding is gone).
    let (proposal, after) = fixes(&objects, "AIGOV-ADM-001:Namespace//notebooks#");
    let patched = after.get(&proposal.changes()[0]);
    assert_eq!(
        patched["spec"]["matchResources"]["namespaceSelector"],
        json!({"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["notebooks", "research"]}]})
    );
    // The undo puts back matchLabels and removes matchExpressions: the binding as it was.
    undo_restores(&objects, &proposal, &after, true);
}

#[test]
fn aigovs_binding_bound_to_another_policy_is_pointed_at_aigovs() {
    let mut objects = objects();
    let mut binding = super::super::admission::binding_json(&["notebooks".into()]);
    binding["spec"]["policyName"] = json!("legacy-image-policy");
    objects.0.push(binding);
    let (proposal, after) = fixes(&objects, "AIGOV-ADM-001:Namespace//notebooks#");
    let changes = proposal.changes();
    assert_eq!(changes.len(), 2, "create the policy, patch the binding");
    let patched = after.get(&changes[1]);
    assert_eq!(
        patched["spec"]["policyName"],
        super::super::admission::POLICY_NAME
    );
    undo_restores(&objects, &proposal, &after, true);
}
