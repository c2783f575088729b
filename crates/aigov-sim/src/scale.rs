//! Synthetic clusters for benchmarks: about N pods with proportional namespaces, workloads,
//! service accounts, RBAC, config and volumes, half of them looking like AI platforms.

use serde_json::{Value, json};

const PODS_PER_NAMESPACE: usize = 500;
const REPLICAS: usize = 5;

fn digest(seed: usize) -> String {
    format!(
        "sha256:{:064x}",
        seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) as u128 * 0x1_0000_0001
    )
}

/// About `pods` pods, in `ceil(pods / 500)` namespaces (at least two).
pub fn generate(pods: usize) -> Vec<Value> {
    let namespaces = pods.div_ceil(PODS_PER_NAMESPACE).max(2);
    let per_namespace = pods.div_ceil(namespaces);
    let mut out = Vec::with_capacity(pods * 2 + namespaces * 30);
    out.push(
        json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": "scale-standard"}, "provisioner": "ebs.csi.aws.com",
        "parameters": {"type": "gp3"}, "reclaimPolicy": "Delete"}),
    );
    for i in 0..(pods / 2000).max(1) {
        out.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": format!("scale-reader-{i}")},
            "rules": [{"apiGroups": [""], "resources": ["pods", "configmaps"], "verbs": ["get", "list", "watch"]}]}));
        out.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": format!("scale-reader-{i}")},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": format!("scale-reader-{i}")},
            "subjects": [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": format!("team-{i}")}]}));
    }
    for n in 0..namespaces {
        namespace(n, per_namespace, &mut out);
    }
    out
}

fn namespace(n: usize, pods: usize, out: &mut Vec<Value>) {
    let ai = n.is_multiple_of(2);
    let ns = if ai {
        format!("ml-team-{n:04}")
    } else {
        format!("svc-team-{n:04}")
    };
    let mut labels = json!({"team": format!("team-{n}")});
    if ai {
        labels["aigov.dev/ai"] = json!("true");
    }
    if !n.is_multiple_of(3) {
        labels["pod-security.kubernetes.io/enforce"] = json!("baseline");
    }
    out.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}}));
    for sa in ["default", "runner", "reader"] {
        out.push(json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": sa, "namespace": ns}}));
    }
    out.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "developer", "namespace": ns},
        "rules": [{"apiGroups": ["", "apps"], "resources": ["pods", "deployments", "pods/log"], "verbs": ["get", "list", "watch", "create", "delete"]},
                  {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]}));
    out.push(
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "secret-reader", "namespace": ns},
        "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]}),
    );
    let binding = |name: &str, role_kind: &str, role: &str, subject: Value| {
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": name, "namespace": ns},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
            "subjects": [subject]})
    };
    out.push(binding("developers", "Role", "developer",
        json!({"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": format!("team-{n}-devs")})));
    out.push(binding(
        "runner-secrets",
        "Role",
        "secret-reader",
        json!({"kind": "ServiceAccount", "name": "runner", "namespace": ns}),
    ));
    out.push(binding("viewers", "ClusterRole", "view",
        json!({"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": format!("auditor-{n}@example.com")})));
    out.push(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "model-config", "namespace": ns},
        "data": {"MODEL_NAME": "llama-3-8b", "MAX_BATCH": "32", "LOG_LEVEL": "info"}}));
    out.push(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "registry-pull", "namespace": ns},
        "type": "Opaque", "data": {"token": "c2NhbGUtZmFrZS10b2tlbg=="}}));
    for v in 0..4 {
        let pvc = format!("data-{v}");
        let pv = format!("pv-{ns}-{v}");
        out.push(json!({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": pv},
            "spec": {"capacity": {"storage": "100Gi"}, "accessModes": ["ReadWriteOnce"],
                     "persistentVolumeReclaimPolicy": "Delete", "storageClassName": "scale-standard",
                     "csi": {"driver": "ebs.csi.aws.com", "volumeHandle": format!("vol-{n}-{v}")},
                     "claimRef": {"namespace": ns, "name": pvc}},
            "status": {"phase": "Bound"}}));
        let mut pvc_labels = json!({});
        if ai {
            pvc_labels["aigov.dev/data"] = json!(if v % 2 == 0 { "dataset" } else { "checkpoint" });
        }
        out.push(json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": pvc, "namespace": ns, "labels": pvc_labels},
            "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "scale-standard", "volumeName": pv,
                     "resources": {"requests": {"storage": "100Gi"}}},
            "status": {"phase": "Bound"}}));
    }
    if n % 4 != 1 {
        out.push(
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "default-deny", "namespace": ns},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}),
        );
    }
    let deployments = pods.div_ceil(REPLICAS);
    let mut made = 0;
    for d in 0..deployments {
        let app = format!("app-{d:03}");
        let image = if ai {
            match d % 3 {
                0 => "vllm/vllm-openai:v0.6.3".to_string(),
                1 => "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime".to_string(),
                _ => format!("registry.example.com/ml/trainer@{}", digest(d)),
            }
        } else {
            format!("nginx:1.27.{}", d % 5)
        };
        let resources = if ai {
            json!({"requests": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"}, "limits": {"nvidia.com/gpu": "1"}})
        } else {
            json!({"requests": {"cpu": "100m", "memory": "128Mi"}})
        };
        let pod_spec = json!({
            "serviceAccountName": "runner",
            "containers": [{"name": "main", "image": image, "resources": resources,
                "envFrom": [{"configMapRef": {"name": "model-config"}}],
                "volumeMounts": [{"name": "data", "mountPath": "/data", "readOnly": d % 2 == 0}]}],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": format!("data-{}", d % 4)}}]
        });
        let deployment_uid = format!("00000000-0000-4000-8000-{:012x}", n * 100_000 + d);
        let rs_uid = format!("00000000-0000-4000-9000-{:012x}", n * 100_000 + d);
        let rs_name = format!("{app}-5d8f7c9b4");
        out.push(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": app, "namespace": ns, "uid": deployment_uid, "labels": {"app": app}},
            "spec": {"replicas": REPLICAS, "selector": {"matchLabels": {"app": app}},
                     "template": {"metadata": {"labels": {"app": app}}, "spec": pod_spec}},
            "status": {"replicas": REPLICAS, "readyReplicas": REPLICAS, "updatedReplicas": REPLICAS, "availableReplicas": REPLICAS}}));
        out.push(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": rs_name, "namespace": ns, "uid": rs_uid, "labels": {"app": app},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": app, "uid": deployment_uid, "controller": true}]},
            "spec": {"replicas": REPLICAS, "selector": {"matchLabels": {"app": app}},
                     "template": {"metadata": {"labels": {"app": app}}, "spec": pod_spec}}}));
        for r in 0..REPLICAS {
            if made >= pods {
                break;
            }
            made += 1;
            let image_id = if image.contains('@') {
                image.clone()
            } else {
                String::new()
            };
            out.push(json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("{rs_name}-{r:05}"), "namespace": ns, "labels": {"app": app},
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs_name, "uid": rs_uid, "controller": true}]},
                "spec": pod_spec,
                "status": {"phase": "Running", "containerStatuses": [
                    {"name": "main", "image": image, "imageID": image_id, "ready": true, "restartCount": 0}]}}));
        }
    }
}

/// The synthetic cluster of [`generate`] as a loaded [`aigov_core::model::Snapshot`] (every kind
/// complete), without a server: for benchmarks of what comes after loading.
pub fn snapshot(pods: usize) -> aigov_core::model::Snapshot {
    use aigov_core::model::{Coverage, Kind, convert};
    let mut snapshot = aigov_core::model::Snapshot::default();
    for object in generate(pods) {
        let api_version = object["apiVersion"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let kind_name = object["kind"].as_str().unwrap_or_default().to_string();
        if let Some(kind) = Kind::from_api(&api_version, &kind_name)
            && let Ok(converted) = convert::from_json(kind, object)
        {
            snapshot.insert(converted);
        }
    }
    for kind in Kind::ALL {
        snapshot.coverage.insert(kind, Coverage::Complete);
    }
    snapshot
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(objects: &[Value], kind: &str) -> usize {
        objects.iter().filter(|o| o["kind"] == kind).count()
    }

    #[test]
    fn generates_about_the_requested_pods_with_proportional_objects() {
        let objects = generate(5_000);
        let pods = count(&objects, "Pod");
        assert!((5_000..5_100).contains(&pods), "{pods} pods");
        assert_eq!(count(&objects, "Namespace"), 10);
        assert_eq!(count(&objects, "PersistentVolumeClaim"), 40);
        assert_eq!(count(&objects, "Deployment"), count(&objects, "ReplicaSet"));
        assert_eq!(count(&objects, "RoleBinding"), 30);
    }

    #[test]
    fn names_are_unique_per_kind_and_namespace() {
        let objects = generate(2_000);
        let mut keys: Vec<String> = objects
            .iter()
            .map(|o| {
                format!(
                    "{}/{}/{}",
                    o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]
                )
            })
            .collect();
        let total = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), total);
    }
}
