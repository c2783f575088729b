//! Changes to pod specs: `readOnly: true` on a model or dataset volume's mounts (REACH-003),
//! and the look-ups the other planners share (the finding's unit, where its pod spec sits in
//! the object, containers by name).

use super::change::{PatchType, PlannedChange, Target};
use super::{Proposal, Remediation};
use aigov_core::model::Kind;
use aigov_core::model::workloads::{Container, PodSpec};
use aigov_core::rules::view::{Unit, View};
use aigov_core::rules::{Finding, Place};
use serde_json::{Value, json};

/// The unit a finding names (kind, namespace, name).
pub(super) fn unit_of<'v, 'a>(finding: &Finding, view: &'v View<'a>) -> Option<&'v Unit<'a>> {
    let o = &finding.object;
    view.units
        .iter()
        .find(|u| u.kind == o.kind && u.namespace == o.namespace && u.name == o.name)
}

/// The JSON pointer of the unit's pod spec inside its object.
pub(super) fn spec_pointer(unit: &Unit) -> &'static str {
    match unit.kind {
        "Pod" => "/spec",
        "CronJob" => "/spec/jobTemplate/spec/template/spec",
        _ => "/spec/template/spec",
    }
}

/// Where the unit's object is served.
pub(super) fn target_of(unit: &Unit) -> Option<Target> {
    let kind = Kind::from_name(unit.kind)?;
    Some(Target::of(kind, unit.namespace, unit.name))
}

/// The unit's object metadata (resourceVersion and uid for the preconditions).
pub(super) fn meta_of<'a>(unit: &Unit<'a>, view: &View<'a>) -> Option<&'a aigov_core::model::Meta> {
    match unit.workload {
        Some(i) => view.snapshot.workloads.get(i).map(|w| &w.meta),
        None => unit.pods.first().map(|p| &p.meta),
    }
}

/// A container by name: its list (`containers` or `initContainers`), index and spec.
pub(super) fn container<'s>(
    spec: &'s PodSpec,
    name: &str,
) -> Option<(&'static str, usize, &'s Container)> {
    let find = |list: &'s [Container]| list.iter().position(|c| c.name == name);
    if let Some(i) = find(&spec.containers) {
        return Some(("containers", i, &spec.containers[i]));
    }
    find(&spec.init_containers).map(|i| ("initContainers", i, &spec.init_containers[i]))
}

/// `{"spec": {"template": {"spec": leaf}}}` for the pointer `/spec/template/spec`.
pub(super) fn nest(pointer: &str, leaf: Value) -> Value {
    pointer
        .split('/')
        .filter(|s| !s.is_empty())
        .rev()
        .fold(leaf, |inner, key| json!({ key: inner }))
}

/// REACH-003: `readOnly: true` on every mount of the volume that lacks it, as a JSON patch
/// whose `test`s pin each container and mount by name, so a reordered spec fails the patch
/// instead of changing another mount.
pub(super) fn read_only_mounts(finding: &Finding, view: &View<'_>) -> Proposal {
    let Some(unit) = unit_of(finding, view) else {
        return Proposal::NotApplicable(format!("{} is gone", finding.object));
    };
    let Place::Volume { volume } = &finding.object.place else {
        return Proposal::Guidance(finding.rule.fix.to_string());
    };
    if !unit.spec_patchable() {
        return Proposal::Guidance(format!(
            "a {}'s volume mounts cannot be changed in place: set readOnly: true on the mounts of volume {volume} where the {} is created, and re-create it",
            unit.kind, unit.kind
        ));
    }
    let (Some(target), Some(meta)) = (target_of(unit), meta_of(unit, view)) else {
        return Proposal::NotApplicable(format!("{} is gone", finding.object));
    };
    let base = spec_pointer(unit);
    let (mut forward, mut backward) = (Vec::new(), Vec::new());
    let mut containers = Vec::new();
    for (list, items) in [
        ("initContainers", &unit.spec.init_containers),
        ("containers", &unit.spec.containers),
    ] {
        for (ci, c) in items.iter().enumerate() {
            for (mi, mount) in c.volume_mounts.iter().enumerate() {
                if mount.name != *volume || mount.read_only {
                    continue;
                }
                let at = format!("{base}/{list}/{ci}");
                let tests = [
                    json!({"op": "test", "path": format!("{at}/name"), "value": c.name}),
                    json!({"op": "test", "path": format!("{at}/volumeMounts/{mi}/name"), "value": volume}),
                ];
                let flag = format!("{at}/volumeMounts/{mi}/readOnly");
                forward.extend(tests.clone());
                forward.push(json!({"op": "add", "path": flag, "value": true}));
                backward.extend(tests);
                backward.push(json!({"op": "add", "path": flag, "value": false}));
                if !containers.contains(&c.name) {
                    containers.push(c.name.clone());
                }
            }
        }
    }
    if containers.is_empty() {
        return Proposal::NotApplicable(format!(
            "every mount of volume {volume} is already read-only"
        ));
    }
    let description = format!(
        "patch {target}: set readOnly: true on the mounts of volume {volume} in {}",
        containers.join(", ")
    );
    let change = PlannedChange::patch(
        target,
        meta,
        PatchType::Json,
        Value::Array(forward),
        Value::Array(backward),
        description.clone(),
    );
    Proposal::Change {
        remediation: Remediation::ReadOnlyMounts {
            volume: volume.to_string(),
            containers,
        },
        summary: description,
        changes: vec![change],
    }
}
