//! A positive and a negative fixture for every data reach rule, and its incomplete finding
//! when a kind it needs could not be read.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

const BROAD: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: everyone-creates-pods}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-creator}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:authenticated}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pod-creator}
rules:
  - {apiGroups: [""], resources: [pods], verbs: [create]}
"#;

fn many_users(prefix: &str, n: usize) -> String {
    let subjects: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "  - {{apiGroup: rbac.authorization.k8s.io, kind: User, name: \"{prefix}{i}\"}}"
            )
        })
        .collect();
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: many, namespace: ml}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: exec}}\nsubjects:\n{}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: exec, namespace: ml}}\nrules:\n  - {{apiGroups: [\"\"], resources: [pods/exec], verbs: [create]}}\n",
        subjects.join("\n")
    )
}

#[test]
fn rule_001_broad_group_or_too_many_subjects() {
    let f = findings(&base_with(BROAD));
    assert_eq!(
        found(&f, "AIGOV-REACH-001"),
        ["PersistentVolumeClaim/ml/weights#"]
    );
    let broad = f.iter().find(|f| f.rule == "AIGOV-REACH-001").unwrap();
    assert!(
        broad.title.contains("system:authenticated"),
        "{}",
        broad.title
    );
    assert!(
        broad.evidence[0].contains("ClusterRoleBinding everyone-creates-pods"),
        "{:?}",
        broad.evidence
    );

    // The base grants reach it through 8 subjects: not too many.
    assert!(found(&findings(&base_with(GRANTS)), "AIGOV-REACH-001").is_empty());
    // 11 users with exec plus the pod's own service account: 12 > 10.
    let many = base_with(&many_users("user", 11));
    let f = findings(&many);
    assert_eq!(
        found(&f, "AIGOV-REACH-001"),
        ["PersistentVolumeClaim/ml/weights#"]
    );
    assert!(
        f.iter()
            .any(|f| f.rule == "AIGOV-REACH-001" && f.title.contains("12 subjects"))
    );
    let relaxed = RulesConfig {
        max_subjects_reaching_data: 12,
        ..Default::default()
    };
    assert!(found(&findings_with(&many, &relaxed), "AIGOV-REACH-001").is_empty());
    // Kubernetes' own subjects are not counted.
    let system = base_with(&many_users("system:kube-", 11));
    assert!(found(&findings(&system), "AIGOV-REACH-001").is_empty());
}

#[test]
fn rule_001_is_incomplete_without_rbac() {
    let mut snapshot = base_with(GRANTS);
    snapshot.coverage.insert(
        Kind::RoleBinding,
        Coverage::Unknown {
            reason: "forbidden".into(),
        },
    );
    let f = findings(&snapshot);
    assert_eq!(
        incomplete(&f, "AIGOV-REACH-001"),
        ["PersistentVolumeClaim/ml/weights"]
    );
    let mut snapshot = base_with("");
    snapshot.coverage.insert(
        Kind::PersistentVolumeClaim,
        Coverage::Unknown {
            reason: "forbidden".into(),
        },
    );
    let f = findings(&snapshot);
    assert_eq!(incomplete(&f, "AIGOV-REACH-001"), ["Namespace//ml"]);
    assert_eq!(incomplete(&f, "AIGOV-REACH-006"), ["Namespace//ml"]);
    assert!(found(&f, "AIGOV-REACH-001").is_empty());
}

const HOST_PATH_PODS: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: gpu-debug, namespace: ml}
spec:
  containers:
    - name: shell
      image: nvcr.io/nvidia/pytorch:24.05-py3
      resources: {limits: {nvidia.com/gpu: "1"}}
      volumeMounts: [{name: nvme, mountPath: /cache}]
  volumes: [{name: nvme, hostPath: {path: /mnt/local-nvme, type: Directory}}]
---
apiVersion: v1
kind: Pod
metadata: {name: log-agent, namespace: ml}
spec:
  containers: [{name: agent, image: fluent/fluent-bit:3.0, volumeMounts: [{name: logs, mountPath: /var/log, readOnly: true}]}]
  volumes: [{name: logs, hostPath: {path: /var/log}}]
"#;

#[test]
fn rule_002_host_path_in_ai_workloads_only() {
    let f = findings(&base_with(HOST_PATH_PODS));
    assert_eq!(
        found(&f, "AIGOV-REACH-002"),
        ["Pod/ml/gpu-debug#volume/nvme"]
    );
    let finding = f.iter().find(|f| f.rule == "AIGOV-REACH-002").unwrap();
    assert!(
        finding
            .evidence
            .iter()
            .any(|e| e.contains("/mnt/local-nvme"))
    );
    assert!(finding.evidence.iter().any(|e| e.contains("read-write")));
    assert!(!finding.remediable);
    assert!(found(&findings(&base_with("")), "AIGOV-REACH-002").is_empty());
}

fn tgi(mount_read_only: bool, source_read_only: bool, claim: &str) -> String {
    format!(
        r#"
apiVersion: apps/v1
kind: Deployment
metadata: {{name: tgi, namespace: ml}}
spec:
  selector: {{matchLabels: {{app: tgi}}}}
  template:
    metadata: {{labels: {{app: tgi}}}}
    spec:
      containers:
        - name: server
          image: ghcr.io/huggingface/text-generation-inference:2.4.1
          volumeMounts: [{{name: model, mountPath: /data, readOnly: {mount_read_only}}}]
      volumes:
        - name: model
          persistentVolumeClaim: {{claimName: {claim}, readOnly: {source_read_only}}}
"#
    )
}

#[test]
fn rule_003_inference_mounting_model_read_write() {
    let f = findings(&base_with(&tgi(false, false, "weights")));
    assert_eq!(
        found(&f, "AIGOV-REACH-003"),
        ["Deployment/ml/tgi#volume/model"]
    );
    let finding = f.iter().find(|f| f.rule == "AIGOV-REACH-003").unwrap();
    assert!(finding.remediable);
    assert!(
        finding
            .evidence
            .iter()
            .any(|e| e.contains("container server"))
    );
    for (mount_ro, source_ro) in [(true, false), (false, true)] {
        let f = findings(&base_with(&tgi(mount_ro, source_ro, "weights")));
        assert!(
            found(&f, "AIGOV-REACH-003").is_empty(),
            "{mount_ro} {source_ro}"
        );
    }
    // An unlabelled claim is not model or dataset data.
    assert!(
        found(
            &findings(&base_with(&tgi(false, false, "scratch"))),
            "AIGOV-REACH-003"
        )
        .is_empty()
    );
    // A training workload may write.
    let trainer = tgi(false, false, "weights").replace(
        "ghcr.io/huggingface/text-generation-inference:2.4.1",
        "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime",
    );
    assert!(found(&findings(&base_with(&trainer)), "AIGOV-REACH-003").is_empty());
    let mut unknown = base_with(&tgi(false, false, "weights"));
    unknown.coverage.insert(
        Kind::PersistentVolumeClaim,
        Coverage::Unknown {
            reason: "timeout".into(),
        },
    );
    assert_eq!(
        incomplete(&findings(&unknown), "AIGOV-REACH-003"),
        ["Deployment/ml/tgi"]
    );
}

fn claim(name: &str, data: &str, modes: &str) -> String {
    format!(
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{name: {name}, namespace: ml, labels: {{aigov.dev/data: {data}}}}}\nspec: {{accessModes: [{modes}], storageClassName: enc}}\nstatus: {{phase: Bound}}\n"
    )
}

#[test]
fn rule_004_rwx_datasets() {
    let yaml = [
        claim("shared", "dataset", "ReadWriteMany"),
        claim("single", "dataset", "ReadWriteOnce"),
        claim("models", "model", "ReadWriteMany"),
    ]
    .join("---\n");
    let f = findings(&base_with(&yaml));
    assert_eq!(
        found(&f, "AIGOV-REACH-004"),
        ["PersistentVolumeClaim/ml/shared#"]
    );
}

#[test]
fn rule_005_released_volumes_kept_with_retain() {
    let pv = |name: &str, policy: &str, phase: &str| {
        format!(
            "apiVersion: v1\nkind: PersistentVolume\nmetadata: {{name: {name}, labels: {{aigov.dev/data: checkpoint}}}}\nspec: {{capacity: {{storage: 1Ti}}, accessModes: [ReadWriteOnce], persistentVolumeReclaimPolicy: {policy}, nfs: {{server: nfs.example.com, path: /x}}, claimRef: {{namespace: ml, name: old-{name}}}}}\nstatus: {{phase: {phase}}}\n"
        )
    };
    let yaml = [
        pv("orphan", "Retain", "Released"),
        pv("deleted", "Delete", "Released"),
        pv("kept", "Retain", "Bound"),
    ]
    .join("---\n");
    let f = findings(&base_with(&yaml));
    assert_eq!(found(&f, "AIGOV-REACH-005"), ["PersistentVolume//orphan#"]);
    let finding = f.iter().find(|f| f.rule == "AIGOV-REACH-005").unwrap();
    assert!(
        finding
            .evidence
            .iter()
            .any(|e| e == "former claim ml/old-orphan")
    );
    let mut unknown = base_with(&yaml);
    unknown.coverage.insert(
        Kind::PersistentVolume,
        Coverage::Unknown {
            reason: "forbidden".into(),
        },
    );
    let f = findings(&unknown);
    assert!(found(&f, "AIGOV-REACH-005").is_empty());
    assert_eq!(
        incomplete(&f, "AIGOV-REACH-005"),
        ["Cluster//persistentvolumes"]
    );
}

#[test]
fn rule_006_storage_classes_without_encryption() {
    let classes = r#"
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: plain}
provisioner: ebs.csi.aws.com
parameters: {type: gp2}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: nfs}
provisioner: nfs.csi.k8s.io
parameters: {server: nfs.example.com}
"#;
    let on = |class: &str, name: &str| {
        format!(
            "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{name: {name}, namespace: ml, labels: {{aigov.dev/data: dataset}}}}\nspec: {{accessModes: [ReadWriteOnce], storageClassName: {class}}}\nstatus: {{phase: Bound}}\n"
        )
    };
    let yaml = [
        classes.to_string(),
        on("plain", "on-plain"),
        on("nfs", "on-nfs"),
        on("gone", "on-gone"),
    ]
    .join("---\n");
    let f = findings(&base_with(&yaml));
    let severity = |name: &str| {
        f.iter()
            .find(|f| f.rule == "AIGOV-REACH-006" && f.object.name == name)
            .map(|f| f.severity)
    };
    assert_eq!(severity("on-plain"), Some(Severity::Medium));
    assert_eq!(severity("on-nfs"), Some(Severity::Low));
    assert_eq!(severity("on-gone"), Some(Severity::Low));
    assert_eq!(
        severity("weights"),
        None,
        "the enc class sets encrypted: true"
    );
    let plain = f
        .iter()
        .find(|f| f.rule == "AIGOV-REACH-006" && f.object.name == "on-plain")
        .unwrap();
    assert!(
        plain.evidence.iter().any(|e| e.contains("encrypted")),
        "{:?}",
        plain.evidence
    );
    let mut unknown = base_with(&yaml);
    unknown.coverage.insert(
        Kind::StorageClass,
        Coverage::Unknown {
            reason: "forbidden".into(),
        },
    );
    let f = findings(&unknown);
    assert!(found(&f, "AIGOV-REACH-006").is_empty());
    assert!(
        incomplete(&f, "AIGOV-REACH-006")
            .contains(&"PersistentVolumeClaim/ml/on-plain".to_string())
    );
}

fn service(name: &str, namespace: &str, kind: &str, app: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: {namespace}}}\nspec: {{type: {kind}, selector: {{app: {app}}}, ports: [{{port: 80, protocol: TCP}}]}}\n"
    )
}

#[test]
fn rule_007_public_services_in_front_of_data() {
    let yaml = [
        service("public", "ml", "LoadBalancer", "trainer"),
        service("node", "ml", "NodePort", "trainer"),
        service("internal", "ml", "ClusterIP", "trainer"),
        service("other-app", "ml", "LoadBalancer", "web"),
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: edge}\n".to_string(),
        service("elsewhere", "edge", "LoadBalancer", "trainer"),
    ]
    .join("---\n");
    let f = findings(&base_with(&yaml));
    assert_eq!(
        found(&f, "AIGOV-REACH-007"),
        ["Service/ml/node#", "Service/ml/public#"]
    );
    let public = f.iter().find(|f| f.object.name == "public").unwrap();
    assert!(
        public
            .evidence
            .iter()
            .any(|e| e.contains("Pod trainer") && e.contains("weights (model)"))
    );
    let mut unknown = base_with(&yaml);
    unknown.coverage.insert(
        Kind::Service,
        Coverage::Unknown {
            reason: "forbidden".into(),
        },
    );
    assert_eq!(
        incomplete(&findings(&unknown), "AIGOV-REACH-007"),
        ["Namespace//ml"]
    );
}

#[test]
fn unknown_pods_in_an_ai_namespace_make_workload_rules_incomplete() {
    let mut snapshot = base_with(HOST_PATH_PODS);
    snapshot.coverage.insert(
        Kind::Pod,
        Coverage::Partial {
            unknown_namespaces: [("ml".to_string(), "forbidden".to_string())].into(),
        },
    );
    let f = findings(&snapshot);
    for rule in ["AIGOV-REACH-002", "AIGOV-REACH-003", "AIGOV-REACH-007"] {
        assert_eq!(incomplete(&f, rule), ["Namespace//ml"], "{rule}");
    }
}

#[test]
fn system_subjects_are_recognised() {
    let settings = RulesConfig::default();
    let system = |s: &Subject| is_system_subject(&settings, s);
    assert!(system(&Subject::user("system:kube-controller-manager")));
    assert!(system(&Subject::group("system:masters")));
    assert!(system(&Subject::service_account(
        "kube-system",
        "replicaset-controller"
    )));
    assert!(
        !system(&Subject::group("system:authenticated")),
        "broad, so it counts"
    );
    assert!(!system(&Subject::user("alice")));
    assert!(!system(&Subject::service_account("ml", "trainer")));
}
