//! Config drift (CFG-003/004/005): approving the change is a person's decision, so `propose`
//! gives guidance, and the console offers the two remediations on request:
//! [`accept_baseline`] (a local action, no cluster change) and [`restore_config_map`] (only
//! when the baseline holds the ConfigMap's content, which it does not record yet).

use super::change::{PatchType, PlannedChange, Target};
use super::{Proposal, Remediation};
use crate::model::{Kind, Snapshot};
use crate::rules::Finding;
use crate::rules::config::Baseline;
use serde_json::{Map, Value};

const DRIFT: [&str; 3] = ["AIGOV-CFG-003", "AIGOV-CFG-004", "AIGOV-CFG-005"];

pub(super) fn drift_guidance(finding: &Finding) -> Proposal {
    Proposal::Guidance(format!(
        "review the change to {}: if it is approved, accept it into the baseline (`aigov baseline save`); otherwise restore the object from version control",
        finding.object
    ))
}

/// Accepting a drift finding into the baseline: no cluster change, so no planned change.
/// `None` for findings that are not drift.
pub fn accept_baseline(finding: &Finding) -> Option<Proposal> {
    if !DRIFT.contains(&finding.rule.as_str()) || finding.incomplete {
        return None;
    }
    let object = format!(
        "{}/{}/{}",
        finding.object.kind, finding.object.namespace, finding.object.name
    );
    Some(Proposal::Change {
        summary: format!(
            "accept the current state of {object} into the baseline (local; nothing changes in the cluster)"
        ),
        remediation: Remediation::AcceptBaseline { object },
        changes: Vec::new(),
    })
}

/// Restoring a drifted ConfigMap's data to the baseline: a merge patch of `data` that sets
/// the baseline's values and removes keys added since (`null`); its inverse puts the current
/// values back. Guidance when the baseline has no content for it (never recorded yet).
pub fn restore_config_map(finding: &Finding, snapshot: &Snapshot, baseline: &Baseline) -> Proposal {
    if finding.rule != "AIGOV-CFG-003" || finding.object.kind != "ConfigMap" {
        return Proposal::Guidance(
            "only a drifted ConfigMap can be restored from the baseline".into(),
        );
    }
    let (namespace, name) = (&finding.object.namespace, &finding.object.name);
    let Some(content) = baseline
        .config_maps
        .get(&format!("{namespace}/{name}"))
        .and_then(|r| r.content.as_ref())
    else {
        return Proposal::Guidance(format!(
            "the baseline keeps only hashes of ConfigMap {namespace}/{name}, not its content: restore it from version control"
        ));
    };
    let Some(live) = snapshot
        .config_maps
        .iter()
        .find(|c| &c.meta.namespace == namespace && &c.meta.name == name)
    else {
        return Proposal::NotApplicable(format!("ConfigMap {namespace}/{name} is gone"));
    };
    let (mut forward, mut backward) = (Map::new(), Map::new());
    for (key, value) in &content.0 {
        let current = live.data.get(key).map(|v| v.expose());
        if current != Some(value.as_str()) {
            forward.insert(key.clone(), Value::String(value.clone()));
            backward.insert(
                key.clone(),
                current.map_or(Value::Null, |v| Value::String(v.into())),
            );
        }
    }
    for (key, value) in &live.data {
        if !content.0.contains_key(key) {
            forward.insert(key.clone(), Value::Null);
            backward.insert(key.clone(), Value::String(value.expose().to_string()));
        }
    }
    if forward.is_empty() {
        return Proposal::NotApplicable(format!(
            "ConfigMap {namespace}/{name} already matches the baseline"
        ));
    }
    let keys: Vec<String> = forward.keys().cloned().collect();
    let target = Target::of(Kind::ConfigMap, namespace, name);
    let description = format!(
        "patch {target}: restore keys {} from the baseline",
        keys.join(", ")
    );
    let change = PlannedChange::patch(
        target,
        &live.meta,
        PatchType::Merge,
        serde_json::json!({"data": forward}),
        serde_json::json!({"data": backward}),
        description.clone(),
    );
    let mut change = change;
    change.finding_key = finding.key();
    Proposal::Change {
        remediation: Remediation::RestoreConfigMap {
            config_map: format!("{namespace}/{name}"),
            keys,
        },
        summary: description,
        changes: vec![change],
    }
}
