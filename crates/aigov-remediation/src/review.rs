//! Review: what a planned change would do, as the server says. The live object is read, the
//! change is sent as a server dry run (`dryRun=All`), and the two are diffed as `kubectl diff`
//! would show them, with the server's warnings. A dry run that fails blocks the change: the
//! apply step refuses a change whose review is blocked. The review is always of the object as
//! it is when read (its resourceVersion is the dry run's precondition and the apply's), so a
//! review after a conflict shows the change against the new object.

use super::change::{Operation, PlannedChange};
use super::diff::{DiffLine, unified};
use aigov_kube::write::{WriteError, WriteOutcome, WriteRequest, Writer};
use serde_json::Value;

/// The field manager aigov's writes carry.
pub const FIELD_MANAGER: &str = "aigov";

/// A change with what the server said about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reviewed {
    pub change: PlannedChange,
    /// The live object when reviewed (`None` before a create).
    pub live: Option<Value>,
    /// The dry run's answer, or why it failed.
    pub dry_run: Result<WriteOutcome, WriteError>,
    /// Live against the dry-run result.
    pub diff: Vec<DiffLine>,
}

impl Reviewed {
    /// Why the change cannot be applied, if it cannot: its dry run failed.
    pub fn blocked(&self) -> Option<String> {
        self.dry_run.as_ref().err().map(ToString::to_string)
    }

    /// The server's warnings from the dry run (Pod Security, deprecations, ...).
    pub fn warnings(&self) -> &[String] {
        match &self.dry_run {
            Ok(outcome) => &outcome.warnings,
            Err(WriteError::Answered { warnings, .. }) => warnings,
            Err(_) => &[],
        }
    }

    /// The object changed since the change was planned: its resourceVersion then and now.
    pub fn changed_since_staged(&self) -> Option<(String, String)> {
        let staged = self.change.resource_version.clone()?;
        let now = self.reviewed_resource_version()?;
        (staged != now).then_some((staged, now))
    }

    /// The live object's resourceVersion when reviewed: the apply step's precondition.
    pub fn reviewed_resource_version(&self) -> Option<String> {
        self.live
            .as_ref()?
            .pointer("/metadata/resourceVersion")?
            .as_str()
            .map(str::to_string)
    }
}

/// The request for `change`, with `resource_version` as its precondition.
pub fn request(
    change: &PlannedChange,
    resource_version: Option<String>,
    dry_run: bool,
) -> WriteRequest {
    WriteRequest {
        target: change.target.clone(),
        operation: change.operation.clone(),
        resource_version,
        field_manager: FIELD_MANAGER.into(),
        dry_run,
    }
}

/// Read the live object, dry-run the change against it and diff the two.
pub async fn review(writer: &Writer, change: &PlannedChange) -> Reviewed {
    let live = match writer.get(&change.target).await {
        Ok(object) => Some(object),
        Err(WriteError::Answered { status: 404, .. }) => None,
        Err(error) => {
            return Reviewed {
                change: change.clone(),
                live: None,
                dry_run: Err(error),
                diff: Vec::new(),
            };
        }
    };
    // The precondition is the object just read, the one the diff is against: the review is
    // of the object as it is now, even when it changed since the change was staged (then the
    // diff shows the change against the new object, and apply asks for a fresh review).
    let precondition = live_resource_version(live.as_ref(), &change.operation);
    let dry_run = writer.send(&request(change, precondition, true)).await;
    let after = match (&dry_run, &change.operation) {
        (Ok(_), Operation::Delete) => None,
        (Ok(outcome), _) => outcome.object.clone(),
        (Err(_), _) => live.clone(),
    };
    let diff = unified(live.as_ref(), after.as_ref());
    Reviewed {
        change: change.clone(),
        live,
        dry_run,
        diff,
    }
}

/// The resourceVersion to send as the precondition: the live one, except for a create.
fn live_resource_version(live: Option<&Value>, operation: &Operation) -> Option<String> {
    if matches!(operation, Operation::Create { .. }) {
        return None;
    }
    live?
        .pointer("/metadata/resourceVersion")?
        .as_str()
        .map(str::to_string)
}
