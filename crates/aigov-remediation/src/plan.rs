//! The staged plan: the changes an operator has staged, kept in the data directory (one 0600
//! file per context, `<data dir>/plans/<context hash>.json`) so it survives a restart. A plan
//! records the context and API server it was staged for and is refused for any other: a plan
//! is never applied to another cluster.

use super::apply::{Applied, Landed, Report};
use super::change::PlannedChange;
use aigov_core::rules::Finding;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const PLAN_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub schema_version: u32,
    pub context: String,
    pub server: String,
    /// The next change id's number (`c1`, `c2`, ...): ids are never reused.
    pub next_id: u64,
    pub changes: Vec<Staged>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Staged {
    pub id: String,
    /// RFC 3339.
    pub staged_at: String,
    pub change: PlannedChange,
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Status {
    Staged,
    /// Applied; `verified` once re-evaluation no longer reports the finding, and otherwise
    /// `remains` says why it is still reported.
    Applied {
        at: String,
        resource_version: Option<String>,
        intent_seq: u64,
        verified: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        remains: Option<String>,
    },
    /// The last attempt did not apply it (conflict, refusal, blocked review, unknown outcome).
    Failed {
        reason: String,
    },
}

impl Plan {
    pub fn new(context: &str, server: &str) -> Plan {
        Plan {
            schema_version: PLAN_SCHEMA_VERSION,
            context: context.to_string(),
            server: server.to_string(),
            next_id: 1,
            changes: Vec::new(),
        }
    }

    /// Stage `change`; returns its id. A change for the same finding and target that is still
    /// staged is not added twice.
    pub fn stage(&mut self, change: PlannedChange, now: &str) -> String {
        if let Some(existing) = self.changes.iter().find(|s| {
            s.status == Status::Staged
                && s.change.finding_key == change.finding_key
                && s.change.target == change.target
                && s.change.operation == change.operation
        }) {
            return existing.id.clone();
        }
        let id = format!("c{}", self.next_id);
        self.next_id += 1;
        self.changes.push(Staged {
            id: id.clone(),
            staged_at: now.to_string(),
            change,
            status: Status::Staged,
        });
        id
    }

    pub fn get(&self, id: &str) -> Option<&Staged> {
        self.changes.iter().find(|s| s.id == id)
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Staged> {
        self.changes.iter_mut().find(|s| s.id == id)
    }

    /// After a re-evaluation: an applied change is verified when its finding is no longer
    /// reported; otherwise `remains` says why. Returns whether any status changed.
    pub fn verify(&mut self, findings: &[Finding]) -> bool {
        let mut changed = false;
        for staged in &mut self.changes {
            let Status::Applied {
                verified, remains, ..
            } = &mut staged.status
            else {
                continue;
            };
            let reported = findings
                .iter()
                .find(|f| f.key() == staged.change.finding_key);
            let why = reported.map(|f| why_it_remains(&staged.change, f));
            if *verified != Some(why.is_none()) || *remains != why {
                *verified = Some(why.is_none());
                *remains = why;
                changed = true;
            }
        }
        changed
    }

    /// The changes still to apply (staged, or failed last time), in staging order.
    pub fn pending(&self) -> Vec<String> {
        self.changes
            .iter()
            .filter(|s| !matches!(s.status, Status::Applied { .. }))
            .map(|s| s.id.clone())
            .collect()
    }

    /// Refuse a plan staged for another cluster.
    pub fn check_target(&self, context: &str, server: &str) -> Result<(), String> {
        if self.context != context || self.server != server {
            return Err(format!(
                "this plan was staged for context {:?} at {}, not {context:?} at {server}; aigov never applies a plan to another cluster",
                self.context, self.server
            ));
        }
        Ok(())
    }

    /// The plan as YAML, for review in Git or by another person.
    pub fn to_yaml(&self) -> Result<String, String> {
        serde_saphyr::to_string(self).map_err(|e| format!("cannot encode the plan: {e}"))
    }

    /// Read a plan exported with [`Plan::to_yaml`] (or the JSON file itself).
    pub fn parse(text: &str, origin: &str) -> Result<Plan, String> {
        let plan: Plan = serde_saphyr::from_str(text)
            .map_err(|e| format!("{origin} is not an aigov plan: {e}"))?;
        if plan.schema_version > PLAN_SCHEMA_VERSION {
            return Err(format!(
                "{origin} has plan schema version {}, newer than this aigov understands ({PLAN_SCHEMA_VERSION})",
                plan.schema_version
            ));
        }
        Ok(plan)
    }
}

/// A change's status after an apply: applied when the server accepted it or a re-read after
/// no answer shows it landed; otherwise why it was not applied.
pub fn status_after(report: &Report, now: &str) -> Status {
    let applied = |outcome_rv: Option<String>| Status::Applied {
        at: now.to_string(),
        resource_version: outcome_rv,
        intent_seq: report.intent_seq,
        verified: None,
        remains: None,
    };
    match &report.applied {
        Applied::Done { outcome } => applied(outcome.resource_version().map(str::to_string)),
        Applied::Conflict { message } => Status::Failed {
            reason: format!(
                "conflict: the object changed since it was reviewed ({message}); nothing was written"
            ),
        },
        Applied::Refused { status, message } => Status::Failed {
            reason: format!("the server refused it ({status}: {message})"),
        },
        Applied::Unknown {
            landed: Landed::Yes,
            reread,
            ..
        } => applied(
            reread
                .as_ref()
                .and_then(|o| o.pointer("/metadata/resourceVersion"))
                .and_then(serde_json::Value::as_str)
                .map(str::to_string),
        ),
        Applied::Unknown {
            reason,
            landed: Landed::No,
            ..
        } => Status::Failed {
            reason: format!(
                "no answer ({reason}), and the object as re-read is unchanged: it was not applied"
            ),
        },
        Applied::Unknown { reason, .. } => Status::Failed {
            reason: format!("outcome unknown ({reason}); check the object before retrying"),
        },
    }
}

/// Why `finding` is still reported after `change` was applied.
fn why_it_remains(change: &PlannedChange, finding: &Finding) -> String {
    if change.reverts {
        return "expected: this change undoes an earlier fix, so the finding is back".into();
    }
    let mut why = format!("the rule still reports it: {}", finding.title);
    if let Some(evidence) = finding.evidence.first() {
        why.push_str(&format!(" ({evidence})"));
    }
    if finding.incomplete {
        why.push_str("; some objects could not be read, so the rule cannot tell");
    }
    why
}

/// `<data dir>/plans`.
pub fn dir() -> Option<PathBuf> {
    aigov_state::dirs::data_dir().map(|d| d.join("plans"))
}

/// The plan file of a context in `dir`.
pub fn path_in(dir: &Path, context: &str) -> PathBuf {
    dir.join(aigov_state::baseline::file_name(context))
}

/// The saved plan of `context` (on `server`), or a new empty one. A saved plan for the same
/// context name but another server is refused.
pub fn load_in(dir: &Path, context: &str, server: &str) -> Result<Plan, String> {
    let path = path_in(dir, context);
    match aigov_state::state_file::read_private(&path)? {
        None => Ok(Plan::new(context, server)),
        Some(text) => {
            let plan = Plan::parse(&text, &path.display().to_string())?;
            plan.check_target(context, server)?;
            Ok(plan)
        }
    }
}

/// Save `plan` for its context in `dir`.
pub fn save_in(dir: &Path, plan: &Plan) -> Result<PathBuf, String> {
    let json =
        serde_json::to_vec_pretty(plan).map_err(|e| format!("cannot encode the plan: {e}"))?;
    aigov_state::state_file::write_atomic(
        dir,
        &aigov_state::baseline::file_name(&plan.context),
        &json,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use aigov_core::model::Kind;
    use aigov_kube::write::{Operation, PatchType, Target};
    use serde_json::json;

    fn change(key: &str) -> PlannedChange {
        PlannedChange {
            target: Target::of(Kind::Namespace, "", "ml"),
            operation: Operation::Patch {
                patch_type: PatchType::Merge,
                body: json!({"metadata": {"labels": {"a": "b"}}}),
            },
            resource_version: Some("7".into()),
            uid: None,
            description: "label".into(),
            finding_key: key.into(),
            undo: Operation::Patch {
                patch_type: PatchType::Merge,
                body: json!({"metadata": {"labels": {"a": null}}}),
            },
            undo_exact: true,
            reverts: false,
        }
    }

    #[test]
    fn a_plan_survives_a_restart_and_refuses_another_cluster() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("plans");
        let mut plan = load_in(&dir, "prod", "https://10.0.0.1:6443").unwrap();
        assert!(plan.changes.is_empty());
        assert_eq!(plan.stage(change("k1"), "t"), "c1");
        assert_eq!(plan.stage(change("k1"), "t"), "c1", "staged once");
        assert_eq!(plan.stage(change("k2"), "t"), "c2");
        save_in(&dir, &plan).unwrap();
        let again = load_in(&dir, "prod", "https://10.0.0.1:6443").unwrap();
        assert_eq!(again, plan);
        assert_eq!(again.pending(), vec!["c1", "c2"]);
        let refused = load_in(&dir, "prod", "https://10.9.9.9:6443").unwrap_err();
        assert!(
            refused.contains("never applies a plan to another cluster"),
            "{refused}"
        );
        let exported = plan.to_yaml().unwrap();
        assert_eq!(Plan::parse(&exported, "plan.yaml").unwrap(), plan);
        assert!(
            Plan::parse("nonsense: [", "x.yaml")
                .unwrap_err()
                .starts_with("x.yaml is not")
        );
    }
}
