//! Pods, pod specs and workload controllers.

use super::{meta, selector};
use crate::model::secret_text::ConfigValue;
use crate::model::workloads::*;
use k8s_openapi::api::{apps::v1 as apps, batch::v1 as batch, core::v1 as core};
use std::collections::BTreeMap;

pub fn pod(p: &core::Pod) -> Pod {
    let status = p.status.as_ref();
    Pod {
        meta: meta(&p.metadata),
        spec: p.spec.as_ref().map(pod_spec).unwrap_or_default(),
        phase: status.and_then(|s| s.phase.clone()).unwrap_or_default(),
        container_statuses: status
            .into_iter()
            .flat_map(|s| {
                s.init_container_statuses
                    .iter()
                    .flatten()
                    .chain(s.container_statuses.iter().flatten())
            })
            .map(|c| ContainerStatus {
                name: c.name.clone(),
                image: c.image.clone(),
                image_id: c.image_id.clone(),
                ready: c.ready,
            })
            .collect(),
    }
}

pub fn pod_spec(s: &core::PodSpec) -> PodSpec {
    PodSpec {
        service_account: s
            .service_account_name
            .clone()
            .or_else(|| s.service_account.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "default".to_string()),
        automount_token: s.automount_service_account_token,
        node_name: s.node_name.clone(),
        host_network: s.host_network.unwrap_or(false),
        host_pid: s.host_pid.unwrap_or(false),
        containers: s.containers.iter().map(container).collect(),
        init_containers: s.init_containers.iter().flatten().map(container).collect(),
        volumes: s.volumes.iter().flatten().map(volume).collect(),
        image_pull_secrets: s
            .image_pull_secrets
            .iter()
            .flatten()
            .map(|r| r.name.clone())
            .collect(),
    }
}

fn container(c: &core::Container) -> Container {
    let security = c.security_context.as_ref();
    let mut resources = BTreeMap::new();
    if let Some(r) = &c.resources {
        for (name, q) in r.requests.iter().flatten().chain(r.limits.iter().flatten()) {
            resources.insert(name.clone(), q.0.clone());
        }
    }
    Container {
        name: c.name.clone(),
        image: c.image.clone().unwrap_or_default(),
        image_pull_policy: c.image_pull_policy.clone(),
        env: c.env.iter().flatten().map(env_var).collect(),
        env_from: c
            .env_from
            .iter()
            .flatten()
            .filter_map(|e| {
                e.config_map_ref
                    .as_ref()
                    .map(|r| EnvFromSource::ConfigMap(r.name.clone()))
                    .or_else(|| {
                        e.secret_ref
                            .as_ref()
                            .map(|r| EnvFromSource::Secret(r.name.clone()))
                    })
            })
            .collect(),
        volume_mounts: c
            .volume_mounts
            .iter()
            .flatten()
            .map(|m| VolumeMount {
                name: m.name.clone(),
                mount_path: m.mount_path.clone(),
                read_only: m.read_only.unwrap_or(false),
                sub_path: m.sub_path.clone().filter(|p| !p.is_empty()),
            })
            .collect(),
        resources,
        privileged: security.and_then(|s| s.privileged).unwrap_or(false),
        allow_privilege_escalation: security.and_then(|s| s.allow_privilege_escalation),
        run_as_non_root: security.and_then(|s| s.run_as_non_root),
    }
}

fn env_var(e: &core::EnvVar) -> EnvVar {
    let source = match (&e.value, &e.value_from) {
        (_, Some(from)) => {
            if let Some(r) = &from.secret_key_ref {
                EnvSource::SecretKey {
                    name: r.name.clone(),
                    key: r.key.clone(),
                }
            } else if let Some(r) = &from.config_map_key_ref {
                EnvSource::ConfigMapKey {
                    name: r.name.clone(),
                    key: r.key.clone(),
                }
            } else if let Some(r) = &from.field_ref {
                EnvSource::Field(r.field_path.clone())
            } else {
                EnvSource::Other
            }
        }
        (Some(v), None) => EnvSource::Literal(ConfigValue::new(v.clone())),
        (None, None) => EnvSource::Literal(ConfigValue::new("")),
    };
    EnvVar {
        name: e.name.clone(),
        source,
    }
}

fn volume(v: &core::Volume) -> Volume {
    let source = if let Some(c) = &v.persistent_volume_claim {
        VolumeSource::Pvc {
            claim_name: c.claim_name.clone(),
            read_only: c.read_only.unwrap_or(false),
        }
    } else if let Some(h) = &v.host_path {
        VolumeSource::HostPath {
            path: h.path.clone(),
        }
    } else if let Some(c) = &v.config_map {
        VolumeSource::ConfigMap {
            name: c.name.clone(),
        }
    } else if let Some(s) = &v.secret {
        VolumeSource::Secret {
            name: s.secret_name.clone().unwrap_or_default(),
        }
    } else if let Some(p) = &v.projected {
        let sources = p.sources.iter().flatten();
        VolumeSource::Projected {
            config_maps: sources
                .clone()
                .filter_map(|s| s.config_map.as_ref())
                .map(|c| c.name.clone())
                .collect(),
            secrets: sources
                .clone()
                .filter_map(|s| s.secret.as_ref())
                .map(|c| c.name.clone())
                .collect(),
            service_account_token: sources.clone().any(|s| s.service_account_token.is_some()),
        }
    } else if v.empty_dir.is_some() {
        VolumeSource::EmptyDir
    } else if v.nfs.is_some() {
        VolumeSource::Other("nfs".into())
    } else if let Some(c) = &v.csi {
        VolumeSource::Other(format!("csi:{}", c.driver))
    } else if v.ephemeral.is_some() {
        VolumeSource::Other("ephemeral".into())
    } else if v.downward_api.is_some() {
        VolumeSource::Other("downwardAPI".into())
    } else {
        VolumeSource::Other("other".into())
    };
    Volume {
        name: v.name.clone(),
        source,
    }
}

fn template_parts(t: Option<&core::PodTemplateSpec>) -> (BTreeMap<String, String>, PodSpec) {
    match t {
        Some(t) => (
            t.metadata
                .as_ref()
                .and_then(|m| m.labels.clone())
                .unwrap_or_default(),
            t.spec.as_ref().map(pod_spec).unwrap_or_default(),
        ),
        None => (BTreeMap::new(), PodSpec::default()),
    }
}

fn workload(
    kind: WorkloadKind,
    m: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    replicas: Option<i32>,
    sel: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector>,
    template: Option<&core::PodTemplateSpec>,
) -> Workload {
    let (template_labels, template) = template_parts(template);
    Workload {
        kind,
        meta: meta(m),
        replicas,
        selector: sel.map(selector),
        template_labels,
        template,
    }
}

pub fn deployment(d: &apps::Deployment) -> Workload {
    let spec = d.spec.as_ref();
    workload(
        WorkloadKind::Deployment,
        &d.metadata,
        spec.and_then(|s| s.replicas),
        spec.map(|s| &s.selector),
        spec.map(|s| &s.template),
    )
}

pub fn statefulset(d: &apps::StatefulSet) -> Workload {
    let spec = d.spec.as_ref();
    workload(
        WorkloadKind::StatefulSet,
        &d.metadata,
        spec.and_then(|s| s.replicas),
        spec.map(|s| &s.selector),
        spec.map(|s| &s.template),
    )
}

pub fn daemonset(d: &apps::DaemonSet) -> Workload {
    let spec = d.spec.as_ref();
    workload(
        WorkloadKind::DaemonSet,
        &d.metadata,
        None,
        spec.map(|s| &s.selector),
        spec.map(|s| &s.template),
    )
}

pub fn replicaset(d: &apps::ReplicaSet) -> Workload {
    let spec = d.spec.as_ref();
    workload(
        WorkloadKind::ReplicaSet,
        &d.metadata,
        spec.and_then(|s| s.replicas),
        spec.map(|s| &s.selector),
        spec.and_then(|s| s.template.as_ref()),
    )
}

pub fn job(d: &batch::Job) -> Workload {
    let spec = d.spec.as_ref();
    workload(
        WorkloadKind::Job,
        &d.metadata,
        spec.and_then(|s| s.parallelism),
        spec.and_then(|s| s.selector.as_ref()),
        spec.map(|s| &s.template),
    )
}

pub fn cronjob(d: &batch::CronJob) -> Workload {
    let job_spec = d.spec.as_ref().and_then(|s| s.job_template.spec.as_ref());
    workload(
        WorkloadKind::CronJob,
        &d.metadata,
        job_spec.and_then(|s| s.parallelism),
        job_spec.and_then(|s| s.selector.as_ref()),
        job_spec.map(|s| &s.template),
    )
}
