//! RBAC-001 (Secrets), RBAC-002 (exec), RBAC-003 (pod creation), RBAC-010 (ConfigMaps).

use super::*;
use crate::rules::finding::Severity;

const SECRETS_GET: &str = r#"{apiGroups: [""], resources: [secrets], verbs: [get, list, watch]}"#;

#[test]
fn secrets_readers_in_an_ai_namespace_are_reported_per_subject() {
    let subjects = r#"[{kind: Group, name: interns}, {kind: User, name: sam}, {kind: ServiceAccount, name: trainer}]"#;
    let findings = run(&role_binding("ml", "secret-reader", SECRETS_GET, subjects));
    assert_eq!(
        of(&findings, "RBAC-001"),
        [
            "RoleBinding/ml/secret-reader#subject/Group/interns high",
            "RoleBinding/ml/secret-reader#subject/ServiceAccount/ml/trainer high",
            "RoleBinding/ml/secret-reader#subject/User/sam high",
        ]
    );
    let f = find(&findings, "RBAC-001", "subject/Group/interns");
    assert_eq!(f.title, "Group interns can read Secrets in ml");
    assert_eq!(
        f.evidence,
        [
            r#"RoleBinding ml/secret-reader → Role secret-reader: verbs [get, list, watch] on [secrets] in apiGroups [""]"#
        ]
    );
    assert!(f.remediable);
}

#[test]
fn secrets_readers_outside_ai_namespaces_or_without_read_verbs_are_not_reported() {
    let elsewhere = role_binding("web", "secret-reader", SECRETS_GET, INTERNS);
    let create_only = role_binding(
        "ml",
        "secret-writer",
        r#"{apiGroups: [""], resources: [secrets], verbs: [create, delete]}"#,
        INTERNS,
    );
    let other_group = role_binding(
        "ml",
        "apps-secrets",
        r#"{apiGroups: [apps], resources: [secrets], verbs: [get]}"#,
        INTERNS,
    );
    let missing_role = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dangling, namespace: ml}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: does-not-exist}
subjects: [{kind: Group, name: interns}]
"#;
    let yaml = [
        elsewhere,
        create_only,
        other_group,
        missing_role.to_string(),
    ]
    .join("\n---\n");
    assert_eq!(of(&run(&yaml), "RBAC-001"), Vec::<String>::new());
}

#[test]
fn broad_groups_are_critical_and_system_subjects_info() {
    let subjects = r#"[{kind: Group, name: "system:serviceaccounts:ml"}, {kind: Group, name: "system:authenticated"}, {kind: Group, name: "system:nodes"}, {kind: ServiceAccount, name: x, namespace: kube-system}]"#;
    let findings = run(&cluster_binding("read-secrets", SECRETS_GET, subjects));
    assert_eq!(
        of(&findings, "RBAC-001"),
        [
            "ClusterRoleBinding//read-secrets#subject/Group/system:authenticated critical",
            "ClusterRoleBinding//read-secrets#subject/Group/system:nodes info",
            "ClusterRoleBinding//read-secrets#subject/Group/system:serviceaccounts:ml critical",
            "ClusterRoleBinding//read-secrets#subject/ServiceAccount/kube-system/x info",
        ]
    );
    let system = find(&findings, "RBAC-001", "subject/Group/system:nodes");
    assert!(
        !system.remediable,
        "a system subject is not proposed for removal"
    );
    let broad = find(&findings, "RBAC-001", "subject/Group/system:authenticated");
    assert!(broad.remediable);
    assert!(
        broad
            .evidence
            .iter()
            .any(|e| e.contains("including the AI namespaces ml")),
        "{:?}",
        broad.evidence
    );
    assert_eq!(
        broad.title,
        "Group system:authenticated can read Secrets in every namespace (AI namespace: ml)"
    );
}

#[test]
fn aggregated_cluster_roles_and_resource_names_count_and_cluster_admin_does_not() {
    let yaml = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secrets-part, labels: {example.com/aggregate-to-reader: "true"}}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {example.com/aggregate-to-reader: "true"}}]
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader, namespace: ml}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
subjects: [{kind: User, name: ann}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: hf-token-reader}
rules:
- {apiGroups: [""], resources: [secrets], resourceNames: [hf-token], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: hf-token-reader, namespace: ml}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: hf-token-reader}
subjects: [{kind: User, name: ben}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cluster-admin}
rules:
- {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: admin, namespace: ml}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: User, name: cat}]
"#;
    let findings = run(yaml);
    assert_eq!(
        of(&findings, "RBAC-001"),
        [
            "RoleBinding/ml/hf-token-reader#subject/User/ben high",
            "RoleBinding/ml/reader#subject/User/ann high",
        ]
    );
    let named = find(&findings, "RBAC-001", "subject/User/ben");
    assert!(
        named.evidence[0].ends_with("named [hf-token]"),
        "{:?}",
        named.evidence
    );
    // cat is reported as a wildcard grant instead.
    assert_eq!(
        of(&findings, "RBAC-004"),
        ["RoleBinding/ml/admin#subject/User/cat high"]
    );
}

#[test]
fn exec_attach_and_port_forward_are_reported_and_get_only_is_medium() {
    let exec = role_binding(
        "ml",
        "debugger",
        r#"{apiGroups: [""], resources: [pods/exec, pods/attach], verbs: [create]}"#,
        INTERNS,
    );
    let get_only = role_binding(
        "ml",
        "ws-exec",
        r#"{apiGroups: [""], resources: [pods/portforward], verbs: [get]}"#,
        r#"[{kind: User, name: ws}]"#,
    );
    let any_sub = cluster_binding(
        "any-exec",
        r#"{apiGroups: [""], resources: ["*/exec"], verbs: [create]}"#,
        r#"[{kind: Group, name: "system:authenticated"}]"#,
    );
    let findings = run(&[exec, get_only, any_sub].join("\n---\n"));
    assert_eq!(
        of(&findings, "RBAC-002"),
        [
            "ClusterRoleBinding//any-exec#subject/Group/system:authenticated critical",
            "RoleBinding/ml/debugger#subject/Group/interns high",
            "RoleBinding/ml/ws-exec#subject/User/ws medium",
        ]
    );
}

#[test]
fn exec_is_not_reported_for_other_subresources_or_a_literal_pods_star() {
    // `pods/*` matches only a subresource literally named `*`, as in Kubernetes.
    let literal = role_binding(
        "ml",
        "pods-star",
        r#"{apiGroups: [""], resources: ["pods/*"], verbs: [create]}"#,
        INTERNS,
    );
    let logs = role_binding(
        "ml",
        "logs",
        r#"{apiGroups: [""], resources: [pods, pods/log], verbs: [get, list]}"#,
        INTERNS,
    );
    let elsewhere = role_binding(
        "web",
        "debugger",
        r#"{apiGroups: [""], resources: [pods/exec], verbs: [create]}"#,
        INTERNS,
    );
    let findings = run(&[literal, logs, elsewhere].join("\n---\n"));
    assert_eq!(of(&findings, "RBAC-002"), Vec::<String>::new());
}

const TRAINER_WITH_DATA: &str = r#"
apiVersion: batch/v1
kind: Job
metadata: {name: train, namespace: ml}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: train
        image: nvcr.io/nvidia/pytorch:24.05-py3
        volumeMounts: [{name: data, mountPath: /data}]
      volumes:
      - name: data
        persistentVolumeClaim: {claimName: imagenet}
"#;

#[test]
fn pod_creation_directly_or_through_workloads_is_reported() {
    let pods = role_binding(
        "ml",
        "pod-maker",
        r#"{apiGroups: [""], resources: [pods], verbs: [create]}"#,
        INTERNS,
    );
    let deployments = role_binding(
        "ml",
        "deployer",
        r#"{apiGroups: [apps], resources: [deployments], verbs: [patch]}"#,
        r#"[{kind: User, name: ci}]"#,
    );
    let notebooks = role_binding(
        "ml",
        "notebook-maker",
        r#"{apiGroups: [kubeflow.org], resources: [notebooks], verbs: [create]}"#,
        r#"[{kind: User, name: nb}]"#,
    );
    let broad = role_binding(
        "ml",
        "everyone-jobs",
        r#"{apiGroups: [batch], resources: [jobs], verbs: [create]}"#,
        r#"[{kind: Group, name: "system:serviceaccounts"}]"#,
    );
    let yaml = [pods, deployments, notebooks, broad].join("\n---\n");
    assert_eq!(
        of(&run(&yaml), "RBAC-003"),
        [
            "RoleBinding/ml/deployer#subject/User/ci medium",
            "RoleBinding/ml/everyone-jobs#subject/Group/system:serviceaccounts high",
            "RoleBinding/ml/notebook-maker#subject/User/nb medium",
            "RoleBinding/ml/pod-maker#subject/Group/interns medium",
        ]
    );
    // With AI workloads mounting claims there, a new pod reaches the data: high.
    let findings = run(&format!("{yaml}\n---\n{TRAINER_WITH_DATA}"));
    let f = find(&findings, "RBAC-003", "subject/Group/interns");
    assert_eq!(f.severity, Severity::High);
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("mount PersistentVolumeClaims in ml"))
    );
    let broad = find(
        &findings,
        "RBAC-003",
        "subject/Group/system:serviceaccounts",
    );
    assert_eq!(broad.severity, Severity::Critical);
}

#[test]
fn pod_creation_is_not_reported_for_named_creates_reads_or_other_resources() {
    // create requests carry no name, so resourceNames make a create rule grant nothing.
    let named = role_binding(
        "ml",
        "named-pods",
        r#"{apiGroups: [""], resources: [pods], resourceNames: [p], verbs: [create]}"#,
        INTERNS,
    );
    let reads = role_binding(
        "ml",
        "reader",
        r#"{apiGroups: [apps, batch], resources: [deployments, jobs], verbs: [get, list]}"#,
        INTERNS,
    );
    let services = role_binding(
        "ml",
        "svc",
        r#"{apiGroups: [""], resources: [services, pods/eviction], verbs: [create]}"#,
        INTERNS,
    );
    let yaml = [named, reads, services].join("\n---\n");
    assert_eq!(of(&run(&yaml), "RBAC-003"), Vec::<String>::new());
}

const SERVER_WITH_CONFIG: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: vllm, namespace: ml}
spec:
  selector: {matchLabels: {app: vllm}}
  template:
    metadata: {labels: {app: vllm}}
    spec:
      containers:
      - name: server
        image: vllm/vllm-openai:v0.6.3
        envFrom: [{configMapRef: {name: serving-env}}]
        env:
        - name: MODEL
          valueFrom: {configMapKeyRef: {name: model-id, key: model}}
        volumeMounts: [{name: cfg, mountPath: /cfg}]
      volumes:
      - name: cfg
        configMap: {name: model-config}
      - name: bundle
        projected: {sources: [{configMap: {name: prompts}}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: model-config, namespace: ml}
data: {temperature: "0.2"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: serving-env, namespace: ml}
data: {PORT: "8000"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: model-id, namespace: ml}
data: {model: llama}
"#;

#[test]
fn writers_of_configmaps_ai_workloads_use_are_reported_with_the_configmaps() {
    let writer = role_binding(
        "ml",
        "cm-writer",
        r#"{apiGroups: [""], resources: [configmaps], verbs: [update, patch]}"#,
        INTERNS,
    );
    let named = role_binding(
        "ml",
        "prompt-editor",
        r#"{apiGroups: [""], resources: [configmaps], resourceNames: [model-config], verbs: [delete]}"#,
        r#"[{kind: User, name: pe}]"#,
    );
    // `prompts` does not exist: whoever may create ConfigMaps decides its content.
    let creator = role_binding(
        "ml",
        "cm-creator",
        r#"{apiGroups: [""], resources: [configmaps], verbs: [create]}"#,
        r#"[{kind: User, name: cc}]"#,
    );
    let yaml = [SERVER_WITH_CONFIG.to_string(), writer, named, creator].join("\n---\n");
    let findings = run(&yaml);
    assert_eq!(
        of(&findings, "RBAC-010"),
        [
            "RoleBinding/ml/cm-creator#subject/User/cc medium",
            "RoleBinding/ml/cm-writer#subject/Group/interns medium",
            "RoleBinding/ml/prompt-editor#subject/User/pe medium",
        ]
    );
    let writer = find(&findings, "RBAC-010", "subject/Group/interns");
    let listed: Vec<&String> = writer
        .evidence
        .iter()
        .filter(|e| e.starts_with("ConfigMap "))
        .collect();
    assert_eq!(
        listed,
        [
            "ConfigMap ml/model-config, used by Deployment/vllm: update, patch",
            "ConfigMap ml/model-id, used by Deployment/vllm: update, patch",
            "ConfigMap ml/prompts (missing: whoever creates it sets it), used by Deployment/vllm: update, patch",
            "ConfigMap ml/serving-env, used by Deployment/vllm: update, patch",
        ]
    );
    let named = find(&findings, "RBAC-010", "subject/User/pe");
    assert!(
        named
            .evidence
            .iter()
            .any(|e| e == "ConfigMap ml/model-config, used by Deployment/vllm: delete")
    );
    assert!(
        !named
            .evidence
            .iter()
            .any(|e| e.starts_with("ConfigMap ml/model-id"))
    );
    let creator = find(&findings, "RBAC-010", "subject/User/cc");
    let listed: Vec<&String> = creator
        .evidence
        .iter()
        .filter(|e| e.starts_with("ConfigMap "))
        .collect();
    assert_eq!(listed.len(), 1, "only the missing ConfigMap: {listed:?}");
    assert!(listed[0].starts_with("ConfigMap ml/prompts"));
}

#[test]
fn configmap_writers_are_not_reported_for_other_names_reads_or_unused_configmaps() {
    let other_name = role_binding(
        "ml",
        "other-cm",
        r#"{apiGroups: [""], resources: [configmaps], resourceNames: [unrelated], verbs: [update, patch, delete]}"#,
        INTERNS,
    );
    let reader = role_binding(
        "ml",
        "cm-reader",
        r#"{apiGroups: [""], resources: [configmaps], verbs: [get, list, watch]}"#,
        INTERNS,
    );
    let yaml = [SERVER_WITH_CONFIG.to_string(), other_name, reader].join("\n---\n");
    assert_eq!(of(&run(&yaml), "RBAC-010"), Vec::<String>::new());
    // Without AI workloads using ConfigMaps, writing ConfigMaps is not this rule's concern.
    let writer = role_binding(
        "ml",
        "cm-writer",
        r#"{apiGroups: [""], resources: [configmaps], verbs: [update]}"#,
        INTERNS,
    );
    assert_eq!(of(&run(&writer), "RBAC-010"), Vec::<String>::new());
}
