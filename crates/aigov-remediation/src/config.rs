//! Config drift (CFG-003/004/005): approving the change is a person's decision, so `propose`
//! gives guidance, and the console offers the two remediations on request:
//! [`accept_baseline`] (a local action, no cluster change) and [`restore_config_map`] (from
//! the content the baseline keeps; secret-like values are kept only as hashes, never written
//! back, and left to a person).

use super::change::{PatchType, PlannedChange, Target};
use super::{Proposal, Remediation};
use aigov_core::model::{Kind, Snapshot};
use aigov_core::rules::View;
use aigov_core::rules::config::CFG_003;
use aigov_core::rules::config::{Accepted, Baseline};
use aigov_core::rules::{Finding, Remedy};
use serde_json::{Map, Value};

pub(super) fn drift_guidance(finding: &Finding) -> Proposal {
    Proposal::Guidance(format!(
        "review the change to {}: if it is approved, accept it into the baseline (`aigov baseline accept KEY`, or b in the console); otherwise restore it (a ConfigMap: `aigov plan stage KEY`, or s in the console, restores it from the baseline)",
        finding.object
    ))
}

/// Accepting a drift finding into the baseline: no cluster change, so no planned change.
/// `None` for findings that are not drift.
pub fn accept_baseline(finding: &Finding) -> Option<Proposal> {
    if finding.rule.remedy != Remedy::Drift || finding.incomplete {
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

/// Accept a drift finding's object into `baseline`: the new baseline, and the audit entry to
/// record before it is saved (no record, no save). An error for any other finding.
pub fn accept_into(
    baseline: &Baseline,
    finding: &Finding,
    view: &View<'_>,
) -> Result<(Baseline, aigov_audit::Entry), String> {
    if accept_baseline(finding).is_none() {
        return Err(format!(
            "{} is not a drift finding: only drift (CFG-003/004/005) can be accepted into the baseline",
            finding.key()
        ));
    }
    let object = &finding.object;
    let mut accepted = baseline.clone();
    let what = match accepted.accept(&object.kind, &object.namespace, &object.name, view) {
        Some(Accepted::Recorded) => "recorded its current state",
        Some(Accepted::Dropped) => "dropped it (it no longer exists)",
        None => "nothing to change",
    };
    let entry = aigov_audit::Entry::new(aigov_audit::EntryKind::BaselineChange).details(
        serde_json::json!({
            "accepted": finding.key(),
            "object": format!("{}/{}/{}", object.kind, object.namespace, object.name),
            "change": what,
            "server": baseline.server,
        }),
    );
    Ok((accepted, entry))
}

/// Whether `finding` is a ConfigMap that drifted from the baseline and still exists (CFG-003):
/// the one drift that can be put back from the baseline's content.
pub(super) fn restorable(finding: &Finding) -> bool {
    *finding.rule == CFG_003 && finding.object.kind == "ConfigMap" && !finding.incomplete
}

/// Restoring a drifted ConfigMap's data to the baseline: a merge patch of `data` that sets
/// the baseline's values and removes keys added since (`null`); its inverse puts the current
/// values back. Guidance when the baseline has no content for it (never recorded yet).
pub fn restore_config_map(finding: &Finding, snapshot: &Snapshot, baseline: &Baseline) -> Proposal {
    if !restorable(finding) {
        return Proposal::Guidance(
            "only a drifted ConfigMap can be restored from the baseline".into(),
        );
    }
    let (namespace, name) = (&finding.object.namespace, &finding.object.name);
    let Some(record) = baseline.config_maps.get(&format!("{namespace}/{name}")) else {
        return Proposal::Guidance(format!(
            "ConfigMap {namespace}/{name} is not in the baseline, so there is nothing to restore: accept it (`aigov baseline accept`, or b in the console) or remove it"
        ));
    };
    let Some(content) = record.content.as_ref() else {
        return Proposal::Guidance(format!(
            "the baseline keeps only hashes of ConfigMap {namespace}/{name}, not its content (it was saved by an older aigov): restore it from version control, or save the baseline again"
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
    // Keys the baseline holds only as a hash (secret-like values) are never written.
    let mut by_hand = Vec::new();
    for (key, value) in &live.data {
        if content.0.contains_key(key) {
            continue;
        }
        match record.keys.get(key) {
            None => {
                forward.insert(key.clone(), Value::Null);
                backward.insert(key.clone(), Value::String(value.expose().to_string()));
            }
            Some(hash) if *hash != aigov_core::rules::config::sha256_hex(value.expose()) => {
                by_hand.push(key.clone());
            }
            Some(_) => {}
        }
    }
    for key in record.keys.keys() {
        if !content.0.contains_key(key) && !live.data.contains_key(key) {
            by_hand.push(key.clone());
        }
    }
    if forward.is_empty() {
        return if by_hand.is_empty() {
            Proposal::NotApplicable(format!(
                "ConfigMap {namespace}/{name} already matches the baseline"
            ))
        } else {
            Proposal::Guidance(format!(
                "the drifted keys of ConfigMap {namespace}/{name} ({}) hold secret-like values, which the baseline keeps only as hashes: restore them by hand, and move them to a Secret",
                by_hand.join(", ")
            ))
        };
    }
    let keys: Vec<String> = forward.keys().cloned().collect();
    let target = Target::of(Kind::ConfigMap, namespace, name);
    let mut description = format!(
        "patch {target}: restore keys {} from the baseline",
        keys.join(", ")
    );
    if !by_hand.is_empty() {
        description.push_str(&format!(
            " (not {}: secret-like, kept only as hashes; restore by hand)",
            by_hand.join(", ")
        ));
    }
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
