//! Data reach on YAML fixtures of real objects: the shared fixtures and helpers; the paths of
//! `reach_of` in `paths`, a positive and a negative fixture for every rule in `rules`, and the
//! demo platform in `demo`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod demo;
mod paths;
mod rules;

use super::*;
use crate::model::rbac::Subject;
use crate::model::{Coverage, Kind};
use crate::model::{Snapshot, convert};
use crate::rules::settings::RulesConfig;

/// Every object of a multi-document YAML string, with every kind read completely.
pub(super) fn snapshot_of(yaml: &str) -> Snapshot {
    let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(yaml).unwrap();
    objects_to_snapshot(docs)
}

pub(super) fn objects_to_snapshot(docs: Vec<serde_json::Value>) -> Snapshot {
    let mut snapshot = Snapshot::default();
    for doc in docs.into_iter().filter(|d| !d.is_null()) {
        let group = doc["apiVersion"]
            .as_str()
            .unwrap()
            .rsplit_once('/')
            .map_or("", |(g, _)| g)
            .to_string();
        let name = doc["kind"].as_str().unwrap().to_string();
        let kind = Kind::ALL
            .into_iter()
            .find(|k| k.api().kind == name && k.api().group == group)
            .unwrap_or_else(|| panic!("no kind {group}/{name}"));
        snapshot.insert(convert::from_json(kind, doc).unwrap());
    }
    for kind in Kind::ALL {
        snapshot.coverage.insert(kind, Coverage::Complete);
    }
    snapshot
}

pub(super) fn findings_with(snapshot: &Snapshot, settings: &RulesConfig) -> Vec<Finding> {
    let view = View::new(snapshot, settings);
    let mut out = Vec::new();
    evaluate(&view, &mut out);
    out
}

pub(super) fn findings(snapshot: &Snapshot) -> Vec<Finding> {
    findings_with(snapshot, &RulesConfig::default())
}

/// `Kind/namespace/name#path` of the complete findings of one rule.
pub(super) fn found(findings: &[Finding], rule: &str) -> Vec<String> {
    let mut out: Vec<String> = findings
        .iter()
        .filter(|f| f.rule == rule && !f.incomplete)
        .map(|f| {
            let o = &f.object;
            format!("{}/{}/{}#{}", o.kind, o.namespace, o.name, o.place)
        })
        .collect();
    out.sort();
    out
}

pub(super) fn incomplete(findings: &[Finding], rule: &str) -> Vec<String> {
    let mut out: Vec<String> = findings
        .iter()
        .filter(|f| f.rule == rule && f.incomplete)
        .map(|f| format!("{}/{}/{}", f.object.kind, f.object.namespace, f.object.name))
        .collect();
    out.sort();
    out
}

/// A training namespace: a labelled model PVC on an encrypted EBS class, a bare PyTorch pod
/// mounting it read-only with its own service account, and a claim nobody labels or mounts.
pub(super) const BASE: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: ml, labels: {aigov.dev/ai: "true"}}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: enc}
provisioner: ebs.csi.aws.com
parameters: {type: gp3, encrypted: "true"}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-weights}
spec:
  capacity: {storage: 50Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Delete
  storageClassName: enc
  csi: {driver: ebs.csi.aws.com, volumeHandle: vol-1}
  claimRef: {namespace: ml, name: weights}
status: {phase: Bound}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: weights, namespace: ml, labels: {aigov.dev/data: model}}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: enc
  volumeName: pv-weights
  resources: {requests: {storage: 50Gi}}
status: {phase: Bound}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: scratch, namespace: ml}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: enc
  resources: {requests: {storage: 1Gi}}
status: {phase: Bound}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: trainer, namespace: ml}
---
apiVersion: v1
kind: Pod
metadata: {name: trainer, namespace: ml, labels: {app: trainer}}
spec:
  serviceAccountName: trainer
  containers:
    - name: main
      image: pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime
      volumeMounts: [{name: w, mountPath: /weights, readOnly: true}]
  volumes:
    - name: w
      persistentVolumeClaim: {claimName: weights}
status: {phase: Running}
"#;

/// Grants around the base namespace: each user reaches the data one way, or must not.
pub(super) const GRANTS: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pod-creator}
rules:
  - {apiGroups: [""], resources: [pods], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-creates, namespace: ml}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-creator}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: hank-creates-elsewhere, namespace: other}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-creator}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: hank}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: exec, namespace: ml}
rules:
  - {apiGroups: [""], resources: [pods/exec], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: debuggers-exec, namespace: ml}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: exec}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: debuggers}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: exec-trainer-only, namespace: ml}
rules:
  - {apiGroups: [""], resources: [pods/exec, pods/attach], verbs: [create], resourceNames: [trainer]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dave-exec-trainer, namespace: ml}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: exec-trainer-only}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: dave}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: exec-web-only, namespace: ml}
rules:
  - {apiGroups: [""], resources: [pods/exec], verbs: [create], resourceNames: [web]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: erin-exec-web, namespace: ml}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: exec-web-only}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: erin}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: trainer-token, namespace: ml}
rules:
  - {apiGroups: [""], resources: [serviceaccounts/token], verbs: [create], resourceNames: [trainer]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bob-token, namespace: ml}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: trainer-token}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: bob}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: impersonate-builder, namespace: ml}
rules:
  - {apiGroups: [""], resources: [serviceaccounts], verbs: [impersonate], resourceNames: [builder]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: carol-impersonates-builder, namespace: ml}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: impersonate-builder}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: carol}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: impersonate-all-sa}
rules:
  - {apiGroups: [""], resources: [serviceaccounts], verbs: [impersonate]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ivan-impersonates}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: impersonate-all-sa}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: ivan}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pv-editor}
rules:
  - {apiGroups: [""], resources: [persistentvolumes], verbs: [update], resourceNames: [pv-weights]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: frank-edits-pv}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pv-editor}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: frank}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pvc-reader}
rules:
  - {apiGroups: [""], resources: [persistentvolumeclaims], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: gina-reads-pvcs}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pvc-reader}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: gina}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: deployer, namespace: ml}
rules:
  - {apiGroups: [apps], resources: [deployments, statefulsets], verbs: [create, update]}
  - {apiGroups: [batch], resources: [jobs], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ci-deploys, namespace: ml}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects: [{kind: ServiceAccount, name: ci}]
"#;

pub(super) fn base_with(extra: &str) -> Snapshot {
    snapshot_of(&format!("{BASE}\n---\n{extra}"))
}

pub(super) fn paths_of<'r, 'a>(reach: &'r VolumeReach<'a>, subject: &Subject) -> Vec<&'r How<'a>> {
    reach
        .paths
        .iter()
        .filter(|p| &p.subject == subject)
        .map(|p| &p.how)
        .collect()
}
