//! RBAC: subject removal, binding deletion, ClusterRoleBinding replacement, role narrowing,
//! and the default service account (bindings and automounted token).

use super::*;
use crate::Remediation;
use aigov_core::model::rbac::Subject;
use serde_json::json;

const FIXTURE: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: ml, labels: {aigov.dev/ai: "true"}}
---
apiVersion: v1
kind: Namespace
metadata: {name: tools}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: ml, uid: sa-1, resourceVersion: "11"}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: gateway, namespace: tools}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: tools}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: trainer, namespace: ml, resourceVersion: "12"}
spec:
  selector: {matchLabels: {app: trainer}}
  template:
    metadata: {labels: {app: trainer}}
    spec:
      containers: [{name: t, image: "registry.example.com/train:1@sha256:1111111111111111111111111111111111111111111111111111111111111111", resources: {limits: {nvidia.com/gpu: "1"}}}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: lab, namespace: ml, resourceVersion: "13"}
spec:
  selector: {matchLabels: {app: lab}}
  serviceName: lab
  template:
    metadata: {labels: {app: lab}}
    spec:
      automountServiceAccountToken: true
      containers: [{name: nb, image: "jupyter/pytorch-notebook@sha256:2222222222222222222222222222222222222222222222222222222222222222"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-debugger, namespace: ml}
rules:
- {apiGroups: [""], resources: [pods/exec], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: interns-pod-debugger, namespace: ml, uid: rb-1, resourceVersion: "21"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-debugger}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: interns}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: secret-reader, namespace: ml, resourceVersion: "31"}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get]}
- {apiGroups: [""], resources: [secrets, configmaps], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bob-secret-reader, namespace: ml}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: secret-reader}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: bob}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cluster-admin}
rules:
- {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-viewer}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: gateway-admin, uid: crb-1, resourceVersion: "41", labels: {team: platform}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: gateway, namespace: tools}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ghosts, resourceVersion: "51"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-viewer}
subjects:
- {kind: ServiceAccount, name: ghost, namespace: ml}
- {kind: ServiceAccount, name: controller, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: default-viewer, namespace: ml, uid: rb-9, resourceVersion: "61"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-viewer}
subjects: [{kind: ServiceAccount, name: default}]
"#;

fn objects() -> Objects {
    Objects::from_yaml(FIXTURE)
}

#[test]
fn a_subject_is_removed_with_tests_that_pin_it_and_others_keep_their_access() {
    let objects = objects();
    let key = "AIGOV-RBAC-002:RoleBinding/ml/interns-pod-debugger#subject/Group/interns";
    let (proposal, after) = fixes(&objects, key);
    let c = &proposal.changes()[0];
    assert_eq!(
        (c.target.group.as_str(), c.target.resource.as_str()),
        ("rbac.authorization.k8s.io", "rolebindings")
    );
    assert_eq!(c.resource_version.as_deref(), Some("21"));
    assert_eq!(
        c.operation,
        Operation::Patch {
            patch_type: PatchType::Json,
            body: json!([
                {"op": "test", "path": "/subjects/1/kind", "value": "Group"},
                {"op": "test", "path": "/subjects/1/name", "value": "interns"},
                {"op": "remove", "path": "/subjects/1"},
            ])
        }
    );
    assert_eq!(
        c.undo,
        Operation::Patch {
            patch_type: PatchType::Json,
            body: json!([{"op": "add", "path": "/subjects/1", "value":
                {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "interns"}}])
        }
    );
    assert!(
        keys(&after.snapshot()).contains(
            &"AIGOV-RBAC-002:RoleBinding/ml/interns-pod-debugger#subject/User/alice".to_string()
        ),
        "only the named subject goes"
    );
    undo_restores(&objects, &proposal, &after, true);
    // A concurrent reorder makes the patch fail instead of removing alice.
    let mut swapped = objects.clone();
    let binding = swapped
        .0
        .iter_mut()
        .find(|d| d["metadata"]["name"] == "interns-pod-debugger")
        .unwrap();
    binding["subjects"].as_array_mut().unwrap().reverse();
    assert!(swapped.apply(c).is_err());
}

#[test]
fn a_role_bound_once_to_one_subject_is_narrowed_and_says_what_goes() {
    let objects = objects();
    let key = "AIGOV-RBAC-001:RoleBinding/ml/bob-secret-reader#subject/User/bob";
    let (proposal, after) = fixes(&objects, key);
    let Proposal::Change {
        remediation: Remediation::NarrowRole { role, removed },
        changes,
        ..
    } = &proposal
    else {
        panic!("{proposal:#?}")
    };
    assert_eq!(role, "ml/secret-reader");
    assert_eq!(
        removed,
        &vec![
            "rule 1 (verbs [get, list] on [secrets, configmaps] in apiGroups [\"\"]): removed resources [secrets]"
                .to_string()
        ]
    );
    let c = &changes[0];
    assert_eq!(c.target.resource, "roles");
    assert_eq!(c.resource_version.as_deref(), Some("31"));
    assert_eq!(
        c.operation,
        Operation::Patch {
            patch_type: PatchType::Json,
            body: json!([
                {"op": "test", "path": "/rules/1", "value":
                    {"apiGroups": [""], "resources": ["secrets", "configmaps"], "verbs": ["get", "list"]}},
                {"op": "replace", "path": "/rules/1", "value":
                    {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}},
            ])
        }
    );
    assert_eq!(after.get(c)["rules"][0]["resources"], json!(["configmaps"]));
    undo_restores(&objects, &proposal, &after, true);
}

#[test]
fn a_cluster_role_binding_of_a_service_account_moves_to_its_namespace() {
    let objects = objects();
    let key =
        "AIGOV-RBAC-007:ClusterRoleBinding//gateway-admin#subject/ServiceAccount/tools/gateway";
    let (proposal, after) = fixes(&objects, key);
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
        &Remediation::ReplaceClusterRoleBinding {
            binding: "gateway-admin".into(),
            subject: Subject::service_account("tools", "gateway"),
            namespaces: vec!["tools".into()],
        }
    );
    // The RoleBinding is created before the ClusterRoleBinding goes.
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[0].target.resource, "rolebindings");
    assert_eq!(changes[0].target.namespace, "tools");
    let Operation::Create { body } = &changes[0].operation else {
        panic!()
    };
    assert_eq!(body["roleRef"]["kind"], "ClusterRole");
    assert_eq!(body["roleRef"]["name"], "cluster-admin");
    assert_eq!(
        body["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "aigov"
    );
    assert_eq!(changes[1].target.resource, "clusterrolebindings");
    assert_eq!(changes[1].operation, Operation::Delete);
    assert_eq!(changes[1].resource_version.as_deref(), Some("41"));
    assert_eq!(changes[1].uid.as_deref(), Some("crb-1"));
    assert!(changes[1].undo_exact);
    assert!(
        !keys(&after.snapshot())
            .iter()
            .any(|k| k.contains("ClusterRoleBinding//gateway-admin")),
        "no finding names the ClusterRoleBinding any more"
    );
    // Undo: the RoleBinding is deleted and the ClusterRoleBinding re-created with its labels.
    undo_restores(&objects, &proposal, &after, false);
}

#[test]
fn a_missing_service_account_is_removed_and_system_subjects_get_guidance() {
    let objects = objects();
    let key = "AIGOV-RBAC-008:ClusterRoleBinding//ghosts#subject/ServiceAccount/ml/ghost";
    let (proposal, after) = fixes(&objects, key);
    let c = &proposal.changes()[0];
    // A ClusterRoleBinding's ServiceAccount keeps its namespace, so that is tested too.
    assert_eq!(
        c.operation,
        Operation::Patch {
            patch_type: PatchType::Json,
            body: json!([
                {"op": "test", "path": "/subjects/0/kind", "value": "ServiceAccount"},
                {"op": "test", "path": "/subjects/0/name", "value": "ghost"},
                {"op": "test", "path": "/subjects/0/namespace", "value": "ml"},
                {"op": "remove", "path": "/subjects/0"},
            ])
        }
    );
    undo_restores(&objects, &proposal, &after, true);
    let snapshot = objects.snapshot();
    let system = finding(
        &snapshot,
        "AIGOV-RBAC-001:ClusterRoleBinding//ghosts#subject/ServiceAccount/kube-system/controller",
    );
    assert!(!system.remediable);
    assert!(matches!(propose(&system, &snapshot), Proposal::Guidance(_)));
}

#[test]
fn the_default_account_leaves_its_bindings_and_a_lone_subject_deletes_the_binding() {
    let objects = objects();
    let key = "AIGOV-RBAC-009:ServiceAccount/ml/default#bindings";
    let (proposal, after) = fixes(&objects, key);
    let c = &proposal.changes()[0];
    assert_eq!(c.operation, Operation::Delete);
    assert_eq!(c.target.name, "default-viewer");
    assert_eq!(c.resource_version.as_deref(), Some("61"));
    let Operation::Create { body } = &c.undo else {
        panic!()
    };
    assert_eq!(
        body["subjects"],
        json!([{"kind": "ServiceAccount", "name": "default", "namespace": "ml"}])
    );
    undo_restores(&objects, &proposal, &after, false);
}

#[test]
fn the_default_token_is_turned_off_on_the_account_and_on_templates_that_turn_it_on() {
    let objects = objects();
    let key = "AIGOV-RBAC-009:ServiceAccount/ml/default#automount";
    let (proposal, after) = fixes(&objects, key);
    let changes = proposal.changes();
    assert_eq!(changes.len(), 2, "{changes:#?}");
    assert_eq!(changes[0].target.resource, "serviceaccounts");
    assert_eq!(changes[0].resource_version.as_deref(), Some("11"));
    assert_eq!(
        changes[0].operation,
        Operation::Patch {
            patch_type: PatchType::Merge,
            body: json!({"automountServiceAccountToken": false})
        }
    );
    assert_eq!(
        changes[0].undo,
        Operation::Patch {
            patch_type: PatchType::Merge,
            body: json!({"automountServiceAccountToken": null})
        }
    );
    assert_eq!(changes[1].target.resource, "statefulsets");
    assert_eq!(
        changes[1].operation,
        Operation::Patch {
            patch_type: PatchType::Merge,
            body: json!({"spec": {"template": {"spec": {"automountServiceAccountToken": false}}}})
        }
    );
    undo_restores(&objects, &proposal, &after, true);
}

#[test]
fn shared_roles_and_wildcard_grants_are_not_narrowed_the_subject_goes_instead() {
    let extra = r#"
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: shared-reader, namespace: ml}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: carol-reader, namespace: ml}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: shared-reader}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: carol}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dave-reader, namespace: ml}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: shared-reader}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: dave}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: everything-core, namespace: ml}
rules:
- {apiGroups: [""], resources: ["*"], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: erin-core, namespace: ml}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: everything-core}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: erin}]
"#;
    let objects = Objects::from_yaml(&format!("{FIXTURE}{extra}"));
    for (key, binding) in [
        (
            "AIGOV-RBAC-001:RoleBinding/ml/carol-reader#subject/User/carol",
            "carol-reader",
        ),
        (
            "AIGOV-RBAC-001:RoleBinding/ml/erin-core#subject/User/erin",
            "erin-core",
        ),
    ] {
        let (proposal, after) = fixes(&objects, key);
        let Proposal::Change {
            remediation: Remediation::RemoveSubject { deleted, .. },
            changes,
            ..
        } = &proposal
        else {
            panic!("{proposal:#?}")
        };
        assert_eq!(deleted, &vec![format!("RoleBinding ml/{binding}")]);
        assert_eq!(changes[0].operation, Operation::Delete);
        // The role is untouched: dave still reads Secrets through it.
        let roles_before: Vec<_> = objects.snapshot().roles;
        assert_eq!(after.snapshot().roles, roles_before);
    }
}

#[test]
fn a_bare_pod_that_turns_the_token_on_itself_leaves_only_guidance() {
    let pod = r#"
---
apiVersion: v1
kind: Pod
metadata: {name: scratch, namespace: ml}
spec:
  automountServiceAccountToken: true
  containers: [{name: x, image: "pytorch/pytorch@sha256:3333333333333333333333333333333333333333333333333333333333333333"}]
"#;
    let snapshot = Objects::from_yaml(&format!("{FIXTURE}{pod}")).snapshot();
    let f = finding(
        &snapshot,
        "AIGOV-RBAC-009:ServiceAccount/ml/default#automount",
    );
    assert!(!f.remediable, "{:?}", f.evidence);
    assert!(
        matches!(propose(&f, &snapshot), Proposal::Guidance(g) if g.contains("Pod ml/scratch"))
    );
}
