//! Remediation tests: each planner on small YAML fixtures, with its changes applied to the
//! objects' JSON (JSON patch and merge patch semantics) and the rules re-run on the result.

mod demo;
mod isolation;
mod other;
mod permissions;
mod workloads;

use super::{Operation, PatchType, PlannedChange, Proposal};
use aigov_core::model::{Coverage, Kind, Snapshot, convert};
use aigov_core::rules::{Finding, Inputs, RulesConfig, View, evaluate};
use serde_json::Value;

/// The proposal for `finding` over `snapshot` with the default rule settings, as the
/// evaluation in [`findings`] saw it.
pub fn propose(finding: &Finding, snapshot: &Snapshot) -> Proposal {
    super::propose(finding, &View::new(snapshot, &RulesConfig::default()))
}

/// A fake cluster: the objects as JSON, to which planned changes are applied.
#[derive(Debug, Clone)]
pub struct Objects(pub Vec<Value>);

fn kind_of(doc: &Value) -> Kind {
    let api = doc["apiVersion"].as_str().unwrap_or_default();
    let kind = doc["kind"].as_str().unwrap_or_default();
    Kind::from_api(api, kind).unwrap_or_else(|| panic!("unknown kind {kind}"))
}

impl Objects {
    pub fn from_yaml(yaml: &str) -> Self {
        let docs: Vec<Value> = serde_saphyr::from_multiple(yaml).unwrap();
        Objects(docs.into_iter().filter(|d| !d.is_null()).collect())
    }

    pub fn snapshot(&self) -> Snapshot {
        let mut snapshot = Snapshot::default();
        for doc in &self.0 {
            snapshot.insert(convert::from_json(kind_of(doc), doc.clone()).unwrap());
        }
        for kind in Kind::ALL {
            let coverage = if matches!(kind, Kind::TFJob | Kind::RayJob) {
                Coverage::NotServed
            } else {
                Coverage::Complete
            };
            snapshot.coverage.insert(kind, coverage);
        }
        snapshot
    }

    fn position(&self, change: &PlannedChange) -> Option<usize> {
        let t = &change.target;
        self.0.iter().position(|d| {
            kind_of(d).name() == t.kind
                && d["metadata"]["name"] == t.name.as_str()
                && d["metadata"]["namespace"].as_str().unwrap_or_default() == t.namespace
        })
    }

    pub fn get(&self, change: &PlannedChange) -> &Value {
        &self.0[self.position(change).expect("target exists")]
    }

    /// Apply one change as the API server would (without preconditions).
    pub fn apply(&mut self, change: &PlannedChange) -> Result<(), String> {
        match &change.operation {
            Operation::Create { body } => {
                if self.position(change).is_some() {
                    return Err(format!("{} exists already", change.target));
                }
                self.0.push(body.clone());
            }
            Operation::Delete => {
                let i = self.position(change).ok_or("not found")?;
                self.0.remove(i);
            }
            Operation::Patch { patch_type, body } => {
                let i = self.position(change).ok_or("not found")?;
                let doc = &mut self.0[i];
                match patch_type {
                    PatchType::Json => {
                        let ops: json_patch::Patch =
                            serde_json::from_value(body.clone()).map_err(|e| e.to_string())?;
                        json_patch::patch(doc, &ops).map_err(|e| e.to_string())?;
                    }
                    PatchType::Merge => json_patch::merge(doc, body),
                    PatchType::Strategic => return Err("strategic merge is not simulated".into()),
                }
            }
        }
        Ok(())
    }

    pub fn apply_all(&mut self, proposal: &Proposal) {
        for change in proposal.changes() {
            self.apply(change)
                .unwrap_or_else(|e| panic!("{}: {e}", change.description));
        }
    }

    /// Undo a proposal: the inverses in reverse order.
    pub fn undo_all(&mut self, proposal: &Proposal) {
        for change in proposal.changes().iter().rev() {
            let inverse = change.inverse();
            self.apply(&inverse)
                .unwrap_or_else(|e| panic!("{}: {e}", inverse.description));
        }
    }
}

pub fn findings(snapshot: &Snapshot) -> Vec<Finding> {
    evaluate(snapshot, &Inputs::default()).findings
}

/// The finding with this key; panics with the keys found when it is missing.
pub fn finding(snapshot: &Snapshot, key: &str) -> Finding {
    let all = findings(snapshot);
    all.iter()
        .find(|f| f.key() == key)
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "{key} not found in {:#?}",
                all.iter().map(Finding::key).collect::<Vec<_>>()
            )
        })
}

pub fn keys(snapshot: &Snapshot) -> Vec<String> {
    findings(snapshot).iter().map(Finding::key).collect()
}

/// The full proof for one finding: it is remediable, `propose` gives a change, applying it
/// makes the key disappear, and applying the inverses brings back the objects exactly
/// (when `exact_undo`). Returns the proposal and the objects after the change.
pub fn fixes(objects: &Objects, key: &str) -> (Proposal, Objects) {
    let before = objects.snapshot();
    let f = finding(&before, key);
    assert!(f.remediable, "{key} should be remediable");
    let proposal = propose(&f, &before);
    assert!(proposal.is_change(), "{key}: {proposal:#?}");
    for change in proposal.changes() {
        assert_eq!(change.finding_key, key);
    }
    let mut after = objects.clone();
    after.apply_all(&proposal);
    let remaining = keys(&after.snapshot());
    assert!(
        !remaining.contains(&key.to_string()),
        "{key} still found after {proposal:#?}"
    );
    (proposal, after)
}

/// Applying the inverses restores the objects: as JSON when `exact`, else as the compact
/// model sees them (what a re-create or a `readOnly: false` can restore).
pub fn undo_restores(objects: &Objects, proposal: &Proposal, after: &Objects, exact: bool) {
    let mut undone = after.clone();
    undone.undo_all(proposal);
    let order = |v: &Value| {
        format!(
            "{}/{}/{}",
            v["kind"], v["metadata"]["namespace"], v["metadata"]["name"]
        )
    };
    let mut want = objects.clone();
    want.0.sort_by_key(order);
    undone.0.sort_by_key(order);
    if exact {
        assert_eq!(undone.0, want.0, "the inverse does not restore the objects");
    }
    // A re-created object gets a new uid and resourceVersion from the server.
    let model = |o: &Objects| {
        let mut o = o.clone();
        for doc in &mut o.0 {
            if let Some(meta) = doc["metadata"].as_object_mut() {
                meta.remove("uid");
                meta.remove("resourceVersion");
            }
        }
        serde_json::to_value(o.snapshot()).unwrap()
    };
    assert_eq!(
        model(&undone),
        model(&want),
        "the inverse does not restore the model"
    );
}
