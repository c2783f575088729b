//! A small but varied cluster for the incremental evaluator's tests, and watch-like events
//! over it decoded from a few numbers (so proptest can generate and shrink them): AI and other
//! workloads with owner references, bare pods, claims, ConfigMaps with secret-like values,
//! RBAC (built in `rbac`) to groups, users and service accounts, cluster-admin included, and
//! namespace labels that flip the AI classification.

use super::rbac::{binding, cluster_role, role};
use crate::model::meta::OwnerRef;
use crate::model::objects::*;
use crate::model::snapshot::{Change, ObjectKey};
use crate::model::workloads::*;
use crate::model::{ConfigValue, Coverage, Kind, LabelSelector, Labels, Meta, Object, Snapshot};

pub const NAMESPACES: [&str; 5] = ["ml", "lab", "web", "default", "ops"];

const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

pub(super) fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub(super) fn meta(kind: &str, namespace: &str, name: &str) -> Meta {
    Meta {
        name: name.into(),
        namespace: namespace.into(),
        uid: format!("uid-{kind}-{namespace}-{name}"),
        ..Meta::default()
    }
}

fn owner(kind: &str, namespace: &str, name: &str) -> OwnerRef {
    OwnerRef {
        kind: kind.into(),
        name: name.into(),
        uid: format!("uid-{kind}-{namespace}-{name}"),
        controller: true,
    }
}

/// Another namespace than `namespace`, picked by `n`.
pub(super) fn other(namespace: &str, n: u8) -> &'static str {
    let i = NAMESPACES.iter().position(|x| *x == namespace).unwrap_or(0);
    NAMESPACES[(i + 1 + usize::from(n) % (NAMESPACES.len() - 1)) % NAMESPACES.len()]
}

/// A pod spec from the bits of `d` and `e`.
pub fn spec(d: u8, e: u8) -> PodSpec {
    let image = match d % 6 {
        0 => "vllm/vllm-openai:latest".to_string(),
        1 => "nginx:1.27".to_string(),
        2 => format!("pytorch/pytorch@{D1}"),
        3 => "busybox".to_string(),
        4 => "jupyter/scipy-notebook:2024-01-01".to_string(),
        _ => "registry.example.com/Bad Image".to_string(),
    };
    let mut container = Container {
        name: "main".into(),
        image,
        image_pull_policy: (e & 32 != 0).then(|| "Always".to_string()),
        ..Container::default()
    };
    if d & 8 != 0 {
        container
            .resources
            .insert("nvidia.com/gpu".into(), "1".into());
    }
    if d & 32 != 0 {
        container
            .env_from
            .push(EnvFromSource::ConfigMap("model-config".into()));
    }
    if e & 8 != 0 {
        container.env.push(EnvVar {
            name: "HF_TOKEN".into(),
            source: EnvSource::Literal(ConfigValue::new("hf_Zx8Qm2Lp9Vr4Tn6Yb1Kc7Hd3Jf5Gs0Wa")),
        });
    }
    if e & 4 != 0 {
        container.env.push(EnvVar {
            name: "MODEL".into(),
            source: EnvSource::ConfigMapKey {
                name: "other".into(),
                key: "MODEL".into(),
            },
        });
    }
    let mut volumes = Vec::new();
    if d & 16 != 0 {
        let claim = format!("data-{}", d % 2);
        volumes.push(Volume {
            name: "data".into(),
            source: VolumeSource::Pvc {
                claim_name: claim,
                read_only: e & 1 != 0,
            },
        });
        container.volume_mounts.push(VolumeMount {
            name: "data".into(),
            mount_path: "/data".into(),
            read_only: e & 2 != 0,
            sub_path: None,
        });
    }
    if e & 16 != 0 {
        volumes.push(Volume {
            name: "host".into(),
            source: VolumeSource::HostPath {
                path: "/var/lib/models".into(),
            },
        });
    }
    PodSpec {
        service_account: if d & 64 != 0 { "runner" } else { "default" }.into(),
        automount_token: (d & 128 != 0).then_some(false),
        containers: vec![container],
        volumes,
        ..PodSpec::default()
    }
}

/// A pod; `owned`: 0 bare, 1 owned by the ReplicaSet `rs-{b}` (by uid), 2 by the ReplicaSet of
/// the same name in another namespace (a cross-namespace uid, which the API never makes).
pub fn pod(namespace: &str, name: &str, owned: u8, rs: u8, d: u8, e: u8) -> Object {
    let mut meta = meta("Pod", namespace, name);
    let rs_name = format!("rs-{}", rs % 2);
    match owned {
        1 => meta.owners.push(owner("ReplicaSet", namespace, &rs_name)),
        2 => meta
            .owners
            .push(owner("ReplicaSet", other(namespace, rs), &rs_name)),
        _ => {}
    }
    meta.labels = labels(&[("app", &format!("dep-{}", rs % 2))]);
    let spec = spec(d, e);
    let digest = if e & 64 != 0 && name.ends_with('1') {
        D2
    } else {
        D1
    };
    let statuses = spec
        .containers
        .iter()
        .map(|c| ContainerStatus {
            name: c.name.clone(),
            image: c.image.clone(),
            image_id: format!("docker.io/library/x@{digest}"),
            ready: true,
        })
        .collect();
    Object::Pod(Box::new(Pod {
        meta,
        spec,
        phase: "Running".into(),
        container_statuses: statuses,
    }))
}

/// A Deployment `dep-{n}` and its ReplicaSet `rs-{n}`, owned by uid.
pub fn deployment(namespace: &str, n: u8, d: u8, e: u8) -> Vec<Object> {
    let name = format!("dep-{}", n % 2);
    let template_labels = labels(&[("app", &name)]);
    let workload = |kind: WorkloadKind, meta: Meta| Workload {
        kind,
        meta,
        replicas: Some(2),
        selector: Some(LabelSelector {
            match_labels: template_labels.clone(),
            ..LabelSelector::default()
        }),
        template_labels: template_labels.clone(),
        template: spec(d, e),
    };
    let deployment = workload(
        WorkloadKind::Deployment,
        meta("Deployment", namespace, &name),
    );
    let mut rs_meta = meta("ReplicaSet", namespace, &format!("rs-{}", n % 2));
    rs_meta.owners.push(owner("Deployment", namespace, &name));
    vec![
        Object::Workload(Box::new(deployment)),
        Object::Workload(Box::new(workload(WorkloadKind::ReplicaSet, rs_meta))),
    ]
}

pub fn namespace(name: &str, ai: u8, enforce: u8) -> Object {
    let mut meta = meta("Namespace", "", name);
    match ai % 3 {
        1 => {
            meta.labels.insert("aigov.dev/ai".into(), "true".into());
        }
        2 => {
            meta.labels.insert("aigov.dev/ai".into(), "false".into());
        }
        _ => {}
    }
    if let Some(level) = [None, Some("baseline"), Some("privileged")][usize::from(enforce % 3)] {
        meta.labels
            .insert("pod-security.kubernetes.io/enforce".into(), level.into());
    }
    meta.labels.insert("team".into(), name.into());
    Object::Namespace(Namespace {
        meta,
        phase: "Active".into(),
    })
}

pub fn config_map(namespace: &str, name: &str, secret: bool) -> Object {
    let mut data = std::collections::BTreeMap::new();
    data.insert("MODEL".to_string(), ConfigValue::new("llama-3-8b"));
    if secret {
        data.insert(
            "HF_TOKEN".to_string(),
            ConfigValue::new("hf_Qw3Er5Ty7Ui9Op1As2Df4Gh6Jk8Lz0Xc"),
        );
    }
    Object::ConfigMap(ConfigMap {
        meta: meta("ConfigMap", namespace, name),
        data,
        binary_keys: Vec::new(),
    })
}

pub fn pvc(namespace: &str, n: u8, data: u8, class: u8, rwx: bool) -> Object {
    let name = format!("data-{}", n % 2);
    let mut meta = meta("PersistentVolumeClaim", namespace, &name);
    if let Some(kind) = [None, Some("dataset"), Some("model")][usize::from(data % 3)] {
        meta.labels.insert("aigov.dev/data".into(), kind.into());
    }
    Object::Pvc(PersistentVolumeClaim {
        meta,
        storage_class: [None, Some("encrypted"), Some("plain")][usize::from(class % 3)]
            .map(String::from),
        access_modes: vec![
            if rwx {
                "ReadWriteMany"
            } else {
                "ReadWriteOnce"
            }
            .into(),
        ],
        volume_name: Some(format!("pv-{namespace}-{}", n % 2)),
        requested: Some("10Gi".into()),
        phase: "Bound".into(),
    })
}

pub fn pv(namespace: &str, n: u8, released: bool, class: u8, data: bool) -> Object {
    let mut meta = meta("PersistentVolume", "", &format!("pv-{namespace}-{}", n % 2));
    if data {
        meta.labels.insert("aigov.dev/data".into(), "model".into());
    }
    Object::Pv(PersistentVolume {
        meta,
        storage_class: [None, Some("encrypted"), Some("plain")][usize::from(class % 3)]
            .map(String::from),
        access_modes: vec!["ReadWriteOnce".into()],
        reclaim_policy: Some(if released { "Retain" } else { "Delete" }.into()),
        phase: if released { "Released" } else { "Bound" }.into(),
        claim: Some((namespace.into(), format!("data-{}", n % 2))),
        source: "csi:ebs.csi.aws.com".into(),
        capacity: Some("10Gi".into()),
    })
}

pub fn storage_class(name: &str, encrypted: bool) -> Object {
    let mut parameters = std::collections::BTreeMap::new();
    parameters.insert("encrypted".to_string(), encrypted.to_string());
    Object::StorageClass(StorageClass {
        meta: meta("StorageClass", "", name),
        provisioner: "ebs.csi.aws.com".into(),
        parameters,
        reclaim_policy: None,
    })
}

pub fn service_account(namespace: &str, name: &str, automount: u8) -> Object {
    Object::ServiceAccount(ServiceAccount {
        meta: meta("ServiceAccount", namespace, name),
        automount_token: [None, Some(false), Some(true)][usize::from(automount % 3)],
        image_pull_secrets: Vec::new(),
    })
}

pub fn network_policy(namespace: &str, select_all: bool, ingress: bool) -> Object {
    Object::NetworkPolicy(NetworkPolicy {
        meta: meta("NetworkPolicy", namespace, "isolate"),
        pod_selector: if select_all {
            LabelSelector::default()
        } else {
            LabelSelector {
                match_labels: labels(&[("app", "dep-0")]),
                ..LabelSelector::default()
            }
        },
        policy_types: vec![if ingress { "Ingress" } else { "Egress" }.into()],
        ingress_rules: 0,
        egress_rules: 0,
    })
}

pub fn service(namespace: &str, n: u8, public: bool) -> Object {
    Object::Service(Service {
        meta: meta("Service", namespace, "front"),
        service_type: if public { "LoadBalancer" } else { "ClusterIP" }.into(),
        selector: [("app".to_string(), format!("dep-{}", n % 2))].into(),
        ports: vec![ServicePort {
            port: 80,
            node_port: None,
            protocol: "TCP".into(),
        }],
    })
}

pub fn notebook(namespace: &str) -> Object {
    Object::Custom(CustomObject {
        kind: Kind::Notebook,
        meta: meta("Notebook", namespace, "alice"),
        images: vec!["jupyter/scipy-notebook:2024-01-01".into()],
        resource_names: Vec::new(),
    })
}

pub fn secret(namespace: &str, version: u8) -> Object {
    let mut meta = meta("Secret", namespace, "registry-pull");
    meta.resource_version = version.to_string();
    Object::Secret(SecretMeta { meta })
}

pub fn admission(deny: bool) -> Vec<Object> {
    vec![
        Object::AdmissionPolicy(AdmissionPolicy {
            meta: meta("ValidatingAdmissionPolicy", "", "require-digest"),
            failure_policy: Some("Fail".into()),
            expressions: vec!["object.spec.containers.all(c, c.image.contains('@sha256:'))".into()],
            match_resources: vec!["/pods".into()],
        }),
        Object::AdmissionBinding(AdmissionPolicyBinding {
            meta: meta("ValidatingAdmissionPolicyBinding", "", "require-digest"),
            policy_name: "require-digest".into(),
            validation_actions: vec![if deny { "Deny" } else { "Warn" }.into()],
            namespace_selector: Some(LabelSelector {
                match_labels: labels(&[("team", "ml")]),
                ..LabelSelector::default()
            }),
        }),
    ]
}

fn upserts(objects: Vec<Object>) -> Vec<Change> {
    objects
        .into_iter()
        .map(|o| Change::Upsert(Box::new(o)))
        .collect()
}

/// The starting cluster: every kind complete.
pub fn base() -> Snapshot {
    let mut snapshot = Snapshot::default();
    for kind in Kind::ALL {
        snapshot.coverage.insert(kind, Coverage::Complete);
    }
    let mut objects = vec![
        namespace("ml", 1, 1),
        namespace("lab", 0, 0),
        namespace("web", 0, 1),
        namespace("default", 0, 0),
        storage_class("encrypted", true),
        storage_class("plain", false),
        cluster_role(0, 3, false),
        cluster_role(1, 1, true),
        cluster_role(3, 0, false),
        binding("", 0, 4, 1 | 16),
        binding("", 1, 3, 8),
        // alice may write model-config everywhere (cr-0): RBAC-010 in every AI namespace.
        binding("", 2, 0, 4),
    ];
    for (i, ns) in ["ml", "lab", "web"].into_iter().enumerate() {
        let ai = if ns == "web" { 1 } else { 8 | 16 | 32 };
        objects.extend(deployment(ns, 0, ai, 0));
        objects.push(pod(ns, "pod-0", 1, 0, ai, 0));
        objects.push(pod(ns, "pod-1", 1, 0, ai, 64));
        objects.push(pod(ns, "pod-2", 0, 0, 3, 8));
        objects.push(config_map(ns, "model-config", i == 0));
        objects.push(pvc(ns, 0, 1, 1, i == 1));
        objects.push(pv(ns, 0, false, 1, false));
        objects.push(service_account(ns, "default", 0));
        objects.push(service_account(ns, "runner", 0));
        // ml's developers may write its model-config (RBAC-010), lab's create pods (RBAC-003
        // reads its claims), web's exec.
        objects.push(role(ns, [3, 2, 1][i]));
        objects.push(binding(ns, 0, 0, 1 | 8));
        objects.push(secret(ns, 1));
    }
    objects.push(pod("default", "pod-0", 0, 0, 0, 0));
    objects.push(network_policy("ml", false, true));
    objects.push(service("ml", 0, true));
    objects.push(pv("gone", 1, true, 0, true));
    snapshot.apply(upserts(objects));
    snapshot
}

/// One watch-like event, decoded from numbers: the changes it makes, or a coverage change.
pub enum Event {
    Changes(Vec<Change>),
    Coverage(Kind, Coverage),
}

pub fn event(variant: u8, a: u8, b: u8, c: u8, d: u8) -> Event {
    // The AI namespaces twice as often: most of what the scoping decides happens there.
    let ns = ["ml", "lab", "ml", "lab", "web", "default", "ops"][usize::from(a) % 7];
    let remove = |kind: Kind, namespace: &str, name: &str| {
        Event::Changes(vec![Change::Remove(ObjectKey::new(kind, namespace, name))])
    };
    let up = |objects: Vec<Object>| Event::Changes(upserts(objects));
    match variant % 30 {
        0 | 1 => up(vec![pod(ns, &format!("pod-{}", b % 4), c % 2, b, d, c)]),
        // Rarely, since it stops the scoping while it lasts: owned across namespaces.
        2 => up(vec![pod(
            ns,
            &format!("pod-{}", b % 4),
            if c.is_multiple_of(4) { 2 } else { 1 },
            b,
            d,
            c,
        )]),
        3 => remove(Kind::Pod, ns, &format!("pod-{}", b % 4)),
        4 => up(deployment(ns, b, d, c)),
        5 => remove(Kind::Deployment, ns, &format!("dep-{}", b % 2)),
        6 => remove(Kind::ReplicaSet, ns, &format!("rs-{}", b % 2)),
        7 => up(vec![config_map(
            ns,
            ["model-config", "other"][usize::from(b % 2)],
            c.is_multiple_of(2),
        )]),
        8 => remove(
            Kind::ConfigMap,
            ns,
            ["model-config", "other"][usize::from(b % 2)],
        ),
        9 => up(vec![pvc(ns, b, c, d, d & 4 != 0)]),
        10 => remove(Kind::PersistentVolumeClaim, ns, &format!("data-{}", b % 2)),
        11 => up(vec![namespace(ns, b, c)]),
        12 => remove(Kind::Namespace, "", ns),
        13 => up(vec![service_account(
            ns,
            ["default", "runner"][usize::from(b % 2)],
            c,
        )]),
        14 => remove(
            Kind::ServiceAccount,
            ns,
            ["default", "runner"][usize::from(b % 2)],
        ),
        15 => up(vec![binding(ns, b, c, d)]),
        16 => remove(Kind::RoleBinding, ns, &format!("rb-{}", b % 3)),
        17 => up(vec![role(ns, c)]),
        18 => up(vec![binding("", b, c, d)]),
        19 => remove(Kind::ClusterRoleBinding, "", &format!("crb-{}", b % 3)),
        20 => up(vec![cluster_role(b, c, d.is_multiple_of(2))]),
        21 => remove(Kind::ClusterRole, "", &format!("cr-{}", b % 4)),
        22 => up(vec![
            network_policy(ns, b.is_multiple_of(2), c.is_multiple_of(2)),
            service(ns, b, !c.is_multiple_of(3)),
        ]),
        23 => up(vec![pv(ns, b, c.is_multiple_of(2), d, d.is_multiple_of(3))]),
        24 => up(vec![storage_class(
            ["encrypted", "plain"][usize::from(b % 2)],
            c.is_multiple_of(2),
        )]),
        25 => up(vec![notebook(ns), secret(ns, c % 3)]),
        26 => Event::Changes(vec![Change::ReplaceKind {
            kind: Kind::Pod,
            namespace: Some(ns.to_string()),
            objects: (0..b % 3)
                .map(|i| pod(ns, &format!("pod-{i}"), c % 2, i, d, c))
                .collect(),
        }]),
        27 => Event::Changes(vec![Change::ReplaceKind {
            kind: Kind::ConfigMap,
            namespace: None,
            objects: vec![config_map(ns, "model-config", c.is_multiple_of(2))],
        }]),
        28 => up(admission(c.is_multiple_of(2))),
        _ => Event::Coverage(
            [
                Kind::NetworkPolicy,
                Kind::ServiceAccount,
                Kind::PersistentVolumeClaim,
            ][usize::from(b % 3)],
            if c.is_multiple_of(2) {
                Coverage::Complete
            } else {
                Coverage::Partial {
                    unknown_namespaces: [(ns.to_string(), "forbidden".to_string())].into(),
                }
            },
        ),
    }
}
