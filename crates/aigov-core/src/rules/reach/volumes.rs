//! Volume-level rules: broad reach (001), RWX datasets (004), released volumes kept with
//! Retain (005) and StorageClasses without encryption (006).

use super::paths::{DataKind, ReachPath, VolumeReach};
use super::storage::{Encryption, encryption};
use super::{BROAD_REACH, RELEASED_RETAINED, RWX_DATASET, UNENCRYPTED};
use crate::model::Kind;
use crate::model::rbac::{Subject, SubjectKind};
use crate::model::workloads::VolumeSource;
use crate::rules::finding::{Finding, ObjectRef, Severity};
use crate::rules::settings::RulesConfig;
use crate::rules::view::View;

/// Subjects listed in evidence before "and N more".
const EVIDENCE_SUBJECTS: usize = 10;

pub fn evaluate(view: &View, volumes: &[VolumeReach], out: &mut Vec<Finding>) {
    unknown_claims(view, out);
    for volume in volumes {
        broad_reach(view.settings, volume, out);
        rwx_dataset(volume, out);
        unencrypted(view, volume, out);
    }
    released(view, out);
}

fn claim_ref(volume: &VolumeReach) -> ObjectRef {
    ObjectRef::new("PersistentVolumeClaim", volume.namespace, volume.pvc)
}

fn named(volume: &VolumeReach) -> String {
    format!(
        "PVC {}/{} ({})",
        volume.namespace,
        volume.pvc,
        volume.data.name()
    )
}

/// Kubernetes' own subjects: they need their power and are not counted as exposure.
pub fn is_system_subject(settings: &RulesConfig, subject: &Subject) -> bool {
    match subject.kind {
        SubjectKind::User => subject.name.starts_with("system:"),
        SubjectKind::Group => {
            subject.name.starts_with("system:") && !settings.is_broad_group(&subject.name)
        }
        SubjectKind::ServiceAccount => subject.namespace == "kube-system",
    }
}

/// One line of evidence: the subject, the way, and the binding and role that allow it.
pub fn path_line(path: &ReachPath) -> String {
    let mut line = format!("{}: {}", path.subject, path.how.describe());
    if let Some(g) = &path.grant {
        let binding = if g.binding_namespace.is_empty() {
            g.binding_name.clone()
        } else {
            format!("{}/{}", g.binding_namespace, g.binding_name)
        };
        line.push_str(&format!(
            " (via {} {binding} -> {:?} {})",
            g.binding_kind, g.role_kind, g.role_name
        ));
    }
    line
}

fn broad_reach(settings: &RulesConfig, volume: &VolumeReach, out: &mut Vec<Finding>) {
    let data_paths = || volume.paths.iter().filter(|p| p.how.reaches_data());
    let broad: Vec<&ReachPath> = data_paths()
        .filter(|p| {
            p.subject.kind == SubjectKind::Group && settings.is_broad_group(&p.subject.name)
        })
        .collect();
    let subjects: Vec<&Subject> = volume
        .subjects()
        .into_iter()
        .filter(|s| !is_system_subject(settings, s))
        .collect();
    let max = settings.max_subjects_reaching_data;
    if !broad.is_empty() {
        let mut groups: Vec<&str> = broad.iter().map(|p| p.subject.name.as_str()).collect();
        groups.dedup();
        let mut f = BROAD_REACH.finding(
            claim_ref(volume),
            format!(
                "{} is reachable by broad group {}",
                named(volume),
                groups.join(", ")
            ),
        );
        f.evidence = broad.iter().map(|p| path_line(p)).collect();
        f.evidence
            .push(format!("{} subjects reach the data in all", subjects.len()));
        out.push(f);
    } else if subjects.len() > max {
        let mut f = BROAD_REACH.finding(
            claim_ref(volume),
            format!(
                "{} is reachable by {} subjects (more than {max})",
                named(volume),
                subjects.len()
            ),
        );
        for subject in subjects.iter().take(EVIDENCE_SUBJECTS) {
            if let Some(p) = data_paths().find(|p| &&p.subject == subject) {
                f.evidence.push(path_line(p));
            }
        }
        if subjects.len() > EVIDENCE_SUBJECTS {
            f.evidence.push(format!(
                "and {} more subjects",
                subjects.len() - EVIDENCE_SUBJECTS
            ));
        }
        out.push(f);
    } else {
        let missing: Vec<&str> = volume
            .unknown
            .iter()
            .map(String::as_str)
            .filter(|u| *u != "persistentvolumes")
            .collect();
        if !missing.is_empty() {
            out.push(BROAD_REACH.incomplete(claim_ref(volume), &missing.join(", ")));
        }
    }
}

fn rwx_dataset(volume: &VolumeReach, out: &mut Vec<Finding>) {
    if volume.data != DataKind::Dataset || !volume.is_rwx() {
        return;
    }
    let mut f = RWX_DATASET.finding(
        claim_ref(volume),
        format!("{} is ReadWriteMany", named(volume)),
    );
    f.evidence
        .push(format!("accessModes: {}", volume.access_modes.join(", ")));
    for m in volume.mounted_by.iter().filter(|m| !m.read_only) {
        f.evidence.push(format!(
            "mounted read-write by {} container {}",
            m.unit, m.container
        ));
    }
    out.push(f);
}

fn unencrypted(view: &View, volume: &VolumeReach, out: &mut Vec<Finding>) {
    let Some(class_name) = volume.storage_class else {
        let mut f = UNENCRYPTED.finding(
            claim_ref(volume),
            format!(
                "{} has no StorageClass: its encryption cannot be told",
                named(volume)
            ),
        );
        f.severity = Severity::Low;
        if let Some(pv) = volume.pv.and_then(|n| view.pv(n)) {
            f.evidence.push(format!(
                "PersistentVolume {} source {}",
                pv.meta.name, pv.source
            ));
        }
        out.push(f);
        return;
    };
    if !view.known(Kind::StorageClass, "") {
        out.push(UNENCRYPTED.incomplete(claim_ref(volume), "StorageClasses"));
        return;
    }
    let Some(class) = view.storage_class(class_name) else {
        let mut f = UNENCRYPTED.finding(
            claim_ref(volume),
            format!(
                "{}: StorageClass {class_name} does not exist, so its encryption cannot be told",
                named(volume)
            ),
        );
        f.severity = Severity::Low;
        out.push(f);
        return;
    };
    let provisioner = format!(
        "StorageClass {class_name}: provisioner {}",
        class.provisioner
    );
    match encryption(class) {
        Encryption::Encrypted(_) => {}
        Encryption::NotEncrypted(hint) => {
            let mut f = UNENCRYPTED.finding(
                claim_ref(volume),
                format!(
                    "{} is on StorageClass {class_name}, which sets no encryption",
                    named(volume)
                ),
            );
            f.evidence = vec![provisioner, format!("missing parameter: {hint}")];
            out.push(f);
        }
        Encryption::Unknown => {
            let mut f = UNENCRYPTED.finding(
                claim_ref(volume),
                format!(
                    "{} is on StorageClass {class_name}, whose encryption aigov cannot tell",
                    named(volume)
                ),
            );
            f.severity = Severity::Low;
            f.evidence = vec![
                provisioner,
                "no known encryption parameter for this provisioner".into(),
            ];
            out.push(f);
        }
    }
}

fn released(view: &View, out: &mut Vec<Finding>) {
    if !view.known(Kind::PersistentVolume, "") {
        out.push(RELEASED_RETAINED.incomplete(
            ObjectRef::new("Cluster", "", "persistentvolumes"),
            "PersistentVolumes",
        ));
        return;
    }
    for pv in &view.snapshot.pvs {
        if pv.phase != "Released" || pv.reclaim_policy.as_deref() != Some("Retain") {
            continue;
        }
        let name = &pv.meta.name;
        let mut f = RELEASED_RETAINED.finding(
            ObjectRef::new("PersistentVolume", "", name),
            format!("PersistentVolume {name} was released but keeps its data (Retain)"),
        );
        if let Some((ns, claim)) = &pv.claim {
            f.evidence.push(format!("former claim {ns}/{claim}"));
        }
        if let Some(kind) = pv.meta.labels.get(super::paths::DATA_LABEL) {
            f.evidence
                .push(format!("{}: {kind}", super::paths::DATA_LABEL));
        }
        let class = pv.storage_class.as_deref().unwrap_or("(none)");
        let capacity = pv.capacity.as_deref().unwrap_or("?");
        f.evidence.push(format!(
            "source {}, StorageClass {class}, capacity {capacity}",
            pv.source
        ));
        out.push(f);
    }
}

/// Namespaces whose PVCs could not be read, where AI workloads may keep data: the volume
/// rules cannot say they are clean there.
fn unknown_claims(view: &View, out: &mut Vec<Finding>) {
    for namespace in view.namespaces.keys() {
        if view.known(Kind::PersistentVolumeClaim, namespace) {
            continue;
        }
        let mounts_claims = view.units_in(namespace).any(|u| {
            u.is_ai()
                && u.spec
                    .volumes
                    .iter()
                    .any(|v| matches!(v.source, VolumeSource::Pvc { .. }))
        });
        if view.is_ai_namespace(namespace) || mounts_claims {
            let object = ObjectRef::new("Namespace", "", namespace);
            for rule in [&BROAD_REACH, &RWX_DATASET, &UNENCRYPTED] {
                out.push(rule.incomplete(object.clone(), "PersistentVolumeClaims"));
            }
        }
    }
}
