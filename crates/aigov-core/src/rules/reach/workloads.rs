//! Workload-level rules: hostPath in AI workloads (002), read-write model or dataset mounts in
//! inference workloads (003), and pods with sensitive data behind public Services (007).

use super::paths::{DataKind, VolumeReach, data_kind};
use super::{EXPOSED, HOST_PATH, INFERENCE_READ_WRITE};
use crate::model::objects::Service;
use crate::model::workloads::{PodSpec, Volume, VolumeSource};
use crate::model::{Kind, Labels};
use crate::rules::finding::{Finding, ObjectRef, Place};
use crate::rules::view::{Unit, View};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The kinds units are built from: without them, workloads may be missing.
const UNIT_KINDS: [Kind; 7] = [
    Kind::Pod,
    Kind::Deployment,
    Kind::StatefulSet,
    Kind::DaemonSet,
    Kind::ReplicaSet,
    Kind::Job,
    Kind::CronJob,
];

pub fn evaluate(view: &View, volumes: &[VolumeReach], out: &mut Vec<Finding>) {
    for namespace in view.ai_namespaces() {
        if let Some(kind) = view.first_unknown(&UNIT_KINDS, namespace) {
            let object = ObjectRef::new("Namespace", "", namespace);
            let missing = format!("{}s", kind.name());
            for rule in [&HOST_PATH, &INFERENCE_READ_WRITE, &EXPOSED] {
                out.push(rule.incomplete(object.clone(), &missing));
            }
        }
    }
    for unit in view.units.iter().filter(|u| u.is_ai()) {
        host_paths(unit, out);
        if unit.is_inference() {
            read_write_data(view, unit, out);
        }
    }
    exposed(view, volumes, out);
}

/// `container name (mountPath, read-only|read-write)` for each mount of a volume.
fn mounts_of(spec: &PodSpec, volume: &str) -> Vec<(String, String, bool)> {
    spec.all_containers()
        .flat_map(|c| {
            c.volume_mounts
                .iter()
                .filter(move |m| m.name == volume)
                .map(move |m| (c.name.clone(), m.mount_path.clone(), m.read_only))
        })
        .collect()
}

fn host_paths(unit: &Unit<'_>, out: &mut Vec<Finding>) {
    for volume in &unit.spec.volumes {
        let VolumeSource::HostPath { path } = &volume.source else {
            continue;
        };
        let mut f = HOST_PATH.finding(
            unit.object().at(Place::volume(&volume.name)),
            format!("{} {} mounts host path {path}", unit.kind, unit.name),
        );
        f.evidence
            .push(format!("volume {}: hostPath {path}", volume.name));
        for (container, mount_path, read_only) in mounts_of(unit.spec, &volume.name) {
            let mode = if read_only { "read-only" } else { "read-write" };
            f.evidence.push(format!(
                "container {container} mounts it at {mount_path} ({mode})"
            ));
        }
        out.push(f);
    }
}

fn read_write_data(view: &View, unit: &Unit<'_>, out: &mut Vec<Finding>) {
    for volume in &unit.spec.volumes {
        let VolumeSource::Pvc {
            claim_name,
            read_only: false,
        } = &volume.source
        else {
            continue;
        };
        let writers: Vec<_> = mounts_of(unit.spec, &volume.name)
            .into_iter()
            .filter(|(_, _, ro)| !ro)
            .collect();
        if writers.is_empty() {
            continue;
        }
        let object = unit.object().at(Place::volume(&volume.name));
        if !view.known(Kind::PersistentVolumeClaim, unit.namespace) {
            out.push(INFERENCE_READ_WRITE.incomplete(object, "PersistentVolumeClaims"));
            continue;
        }
        let Some(claim) = view.pvc(unit.namespace, claim_name) else {
            continue;
        };
        let data = match data_kind(view, claim) {
            Some(d @ (DataKind::Model | DataKind::Dataset)) => d,
            _ => continue,
        };
        let mut f = INFERENCE_READ_WRITE.finding(
            object,
            format!(
                "{} {} mounts {} volume {claim_name} read-write",
                unit.kind,
                unit.name,
                data.name()
            ),
        );
        f.evidence.push(format!(
            "volume {}: persistentVolumeClaim {claim_name} without readOnly",
            volume.name
        ));
        for (container, mount_path, _) in writers {
            f.evidence.push(format!(
                "container {container} mounts it at {mount_path} without readOnly"
            ));
        }
        if !unit.spec_patchable() {
            // A pod's mounts and a Job's template cannot change in place.
            f.remediable = false;
            f.evidence.push(format!(
                "the {} cannot be patched in place: set readOnly where it is created",
                unit.kind
            ));
        }
        out.push(f);
    }
}

fn is_public(service: &Service) -> bool {
    matches!(service.service_type.as_str(), "LoadBalancer" | "NodePort")
}

fn selects(selector: &BTreeMap<String, String>, labels: &Labels) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// The sensitive claims each unit of `namespaces` mounts, by unit index.
fn units_with_data<'v>(
    view: &'v View,
    volumes: &[VolumeReach],
    namespaces: &BTreeSet<&str>,
) -> HashMap<&'v str, Vec<(usize, Vec<String>)>> {
    let sensitive: HashMap<(&str, &str), &VolumeReach> =
        volumes.iter().map(|v| ((v.namespace, v.pvc), v)).collect();
    let mut out: HashMap<&str, Vec<(usize, Vec<String>)>> = HashMap::new();
    let units = view.units.iter().enumerate();
    for (i, unit) in units.filter(|(_, u)| namespaces.contains(u.namespace)) {
        let specs = std::iter::once(unit.spec).chain(unit.pods.iter().map(|p| &p.spec));
        let mut claims: Vec<String> = Vec::new();
        for volume in specs.flat_map(|s| s.volumes.iter()) {
            if let Some(v) = claim_of(volume).and_then(|c| sensitive.get(&(unit.namespace, c))) {
                let text = format!("{} ({})", v.pvc, v.data.name());
                if !claims.contains(&text) {
                    claims.push(text);
                }
            }
        }
        if !claims.is_empty() {
            out.entry(unit.namespace).or_default().push((i, claims));
        }
    }
    out
}

fn claim_of(volume: &Volume) -> Option<&str> {
    match &volume.source {
        VolumeSource::Pvc { claim_name, .. } => Some(claim_name),
        _ => None,
    }
}

fn exposed(view: &View, volumes: &[VolumeReach], out: &mut Vec<Finding>) {
    let mounted: BTreeSet<&str> = (volumes.iter())
        .filter(|v| !v.mounted_by.is_empty())
        .map(|v| v.namespace)
        .collect();
    for namespace in &mounted {
        if !view.known(Kind::Service, namespace) {
            out.push(EXPOSED.incomplete(ObjectRef::new("Namespace", "", namespace), "Services"));
        }
    }
    let public: Vec<&Service> = (view.snapshot.services.iter())
        .filter(|s| is_public(s) && mounted.contains(s.meta.namespace.as_str()))
        .collect();
    if public.is_empty() {
        return;
    }
    let namespaces = public.iter().map(|s| s.meta.namespace.as_str()).collect();
    let with_data = units_with_data(view, volumes, &namespaces);
    for service in public {
        let namespace = service.meta.namespace.as_str();
        let Some(units) = with_data.get(namespace) else {
            continue;
        };
        let picked: Vec<&(usize, Vec<String>)> = units
            .iter()
            .filter(|(i, _)| {
                let unit = &view.units[*i];
                selects(&service.selector, unit.labels)
                    || unit
                        .pods
                        .iter()
                        .any(|p| selects(&service.selector, &p.meta.labels))
            })
            .collect();
        if picked.is_empty() {
            continue;
        }
        let name = &service.meta.name;
        let mut f = EXPOSED.finding(
            ObjectRef::new("Service", namespace, name),
            format!(
                "{} Service {name} exposes pods that mount sensitive data",
                service.service_type
            ),
        );
        let ports: Vec<String> = service
            .ports
            .iter()
            .map(|p| match p.node_port {
                Some(node) => format!("{}/{} (nodePort {node})", p.port, p.protocol),
                None => format!("{}/{}", p.port, p.protocol),
            })
            .collect();
        f.evidence.push(format!(
            "type {}, ports {}",
            service.service_type,
            ports.join(", ")
        ));
        for (i, claims) in picked {
            let unit = &view.units[*i];
            f.evidence.push(format!(
                "selects {} {}, which mounts {}",
                unit.kind,
                unit.name,
                claims.join(", ")
            ));
        }
        out.push(f);
    }
}
