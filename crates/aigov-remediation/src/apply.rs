//! Apply: send a reviewed change exactly as reviewed, recorded in the audit trail. In order:
//! refuse a blocked review or a justification under 10 characters; write and fsync an
//! `intent` entry (if that fails, nothing is sent); send the change with the reviewed
//! resourceVersion as its precondition; write a `result` entry with the server's answer. A
//! 409 is a conflict (review again; never retried, never forced). No answer is an *unknown
//! outcome*: the object is re-read and what the server now holds is recorded.

use super::change::{Operation, PatchType};
use super::review::{FIELD_MANAGER, Reviewed, request};
use aigov_audit::{AuditLog, AuditSink, Entry, EntryKind, ObjectRef};
use aigov_kube::write::{WriteError, WriteOutcome, Writer};
use serde_json::{Value, json};

/// The least a justification must say.
pub const MIN_JUSTIFICATION: usize = 10;

/// Who is applying, for the audit entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub session: String,
    pub context: String,
    pub user: String,
}

impl Actor {
    pub fn of(session: &aigov_audit::SessionInfo) -> Self {
        Actor {
            session: session.id.clone(),
            context: session.context.clone(),
            user: session.user.clone(),
        }
    }
}

/// How an apply ended.
#[derive(Debug, Clone)]
pub enum Applied {
    /// The server accepted the change.
    Done { outcome: WriteOutcome },
    /// The object changed since the review (409): nothing was written. Review again.
    Conflict { message: String },
    /// The server refused (403, 422, an admission denial; a 4xx): nothing was written.
    Refused { status: u16, message: String },
    /// No answer, or a 5xx, after which the write may still have been made. `reread` is the
    /// object as the server holds it now (`None` if it could not be read or does not exist),
    /// and `landed` what comparing it with the review shows.
    Unknown {
        reason: String,
        reread: Option<Value>,
        landed: Landed,
    },
}

/// After no answer: whether the re-read object shows the change made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Landed {
    /// The object is what the dry run said it would be (or gone, after a delete).
    Yes,
    /// The object is as it was reviewed (or still absent, before a create).
    No,
    /// It could not be re-read, or it matches neither: look before doing anything else.
    Undetermined,
}

impl Landed {
    pub fn as_str(self) -> &'static str {
        match self {
            Landed::Yes => "landed",
            Landed::No => "not_landed",
            Landed::Undetermined => "undetermined",
        }
    }
}

/// What an apply did and what the audit trail holds of it.
#[derive(Debug, Clone)]
pub struct Report {
    pub applied: Applied,
    /// The sequence number of the intent entry.
    pub intent_seq: u64,
    /// Why the result entry could not be written, if it could not. The change was sent
    /// regardless; the trail then shows an intent without a result.
    pub result_not_recorded: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("not applied: the review is blocked ({0})")]
    Blocked(String),
    #[error("not applied: a justification of at least {MIN_JUSTIFICATION} characters is required")]
    Justification,
    #[error("not applied: the audit intent could not be written ({0}); nothing was sent")]
    Audit(aigov_audit::Error),
}

fn verb(operation: &Operation) -> &'static str {
    match operation {
        Operation::Patch { .. } => "patch",
        Operation::Create { .. } => "create",
        Operation::Delete => "delete",
    }
}

fn object_ref(reviewed: &Reviewed) -> ObjectRef {
    let target = &reviewed.change.target;
    ObjectRef {
        group: target.group.clone(),
        version: target.version.clone(),
        resource: target.resource.clone(),
        namespace: target.namespace.clone(),
        name: target.name.clone(),
        uid: reviewed
            .live
            .as_ref()
            .and_then(|l| l.pointer("/metadata/uid"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    }
}

fn entry(kind: EntryKind, actor: &Actor, reviewed: &Reviewed) -> Entry {
    Entry::new(kind)
        .session(actor.session.clone())
        .context(actor.context.clone())
        .user(actor.user.clone())
        .verb(verb(&reviewed.change.operation))
        .object(object_ref(reviewed))
}

/// The audit entry of a review: the dry run's status, warnings, or why it was blocked.
pub fn dry_run_entry(actor: &Actor, reviewed: &Reviewed) -> Entry {
    let mut e = entry(EntryKind::DryRun, actor, reviewed);
    e.dry_run = Some(true);
    e.resource_version_before = reviewed.reviewed_resource_version();
    e.field_manager = Some(FIELD_MANAGER.into());
    match &reviewed.dry_run {
        Ok(outcome) => {
            e.http_status = Some(outcome.status);
            e.audit_id = outcome.audit_id.clone();
        }
        Err(error) => {
            e.http_status = error.status();
            e.reason = Some(error.to_string());
        }
    }
    e.details = Some(json!({
        "finding": reviewed.change.finding_key,
        "description": reviewed.change.description,
        "warnings": reviewed.warnings(),
        "blocked": reviewed.blocked().is_some(),
    }));
    e
}

/// Apply `reviewed` through `writer`, recording intent and result in `log`.
pub async fn apply<S: AuditSink>(
    writer: &Writer,
    log: &mut AuditLog<S>,
    actor: &Actor,
    reviewed: &Reviewed,
    justification: &str,
) -> Result<Report, ApplyError> {
    if let Some(why) = reviewed.blocked() {
        return Err(ApplyError::Blocked(why));
    }
    if justification.trim().chars().count() < MIN_JUSTIFICATION {
        return Err(ApplyError::Justification);
    }
    let change = &reviewed.change;
    let precondition = reviewed.reviewed_resource_version();
    let mut intent = entry(EntryKind::Intent, actor, reviewed).justification(justification.trim());
    intent.resource_version_before = precondition.clone();
    intent.field_manager = Some(FIELD_MANAGER.into());
    intent.dry_run = Some(false);
    intent.details = Some(json!({
        "finding": change.finding_key,
        "description": change.description,
    }));
    match &change.operation {
        Operation::Patch { patch_type, body } => {
            intent.patch_type = Some(patch_type_name(*patch_type).into());
            intent = intent.patch_body(&serde_json::to_vec(body).unwrap_or_default());
        }
        Operation::Create { body } => {
            intent = intent.patch_body(&serde_json::to_vec(body).unwrap_or_default());
        }
        Operation::Delete => {}
    }
    let intent = log.append(intent).map_err(ApplyError::Audit)?;

    let sent = writer.send(&request(change, precondition, false)).await;
    let applied = match sent {
        Ok(outcome) => Applied::Done { outcome },
        Err(WriteError::Answered {
            status: 409,
            message,
            ..
        }) => Applied::Conflict { message },
        Err(WriteError::Answered {
            status, message, ..
        }) => Applied::Refused { status, message },
        Err(error) => {
            let reread = writer.get(&change.target).await;
            let landed = landed(reviewed, &reread);
            Applied::Unknown {
                reason: error.to_string(),
                reread: reread.ok(),
                landed,
            }
        }
    };

    let mut result = entry(EntryKind::Result, actor, reviewed);
    result.refers_to = Some(intent.seq);
    match &applied {
        Applied::Done { outcome } => {
            result.http_status = Some(outcome.status);
            result.resource_version_after = outcome.resource_version().map(str::to_string);
            result.audit_id = outcome.audit_id.clone();
            result.details = Some(json!({"outcome": "applied", "warnings": outcome.warnings}));
        }
        Applied::Conflict { message } => {
            result.http_status = Some(409);
            result.reason = Some("Conflict".into());
            result.details = Some(json!({"outcome": "conflict", "message": message}));
        }
        Applied::Refused { status, message } => {
            result.http_status = Some(*status);
            result.details = Some(json!({"outcome": "refused", "message": message}));
        }
        Applied::Unknown {
            reason,
            reread,
            landed,
        } => {
            result.resource_version_after = reread
                .as_ref()
                .and_then(|o| o.pointer("/metadata/resourceVersion"))
                .and_then(Value::as_str)
                .map(str::to_string);
            result.details =
                Some(json!({"outcome": "unknown", "reason": reason, "reread": landed.as_str()}));
        }
    }
    let result_not_recorded = log.append(result).err().map(|e| e.to_string());
    Ok(Report {
        applied,
        intent_seq: intent.seq,
        result_not_recorded,
    })
}

/// Compare the object re-read after no answer with the review: the dry run's result means
/// the change landed, the reviewed object means it did not.
fn landed(reviewed: &Reviewed, reread: &Result<Value, WriteError>) -> Landed {
    let now = match reread {
        Ok(object) => Some(object),
        Err(WriteError::Answered { status: 404, .. }) => None,
        Err(_) => return Landed::Undetermined,
    };
    let expected = match (&reviewed.change.operation, &reviewed.dry_run) {
        (Operation::Delete, _) => None,
        (_, Ok(outcome)) => outcome.object.as_ref(),
        (_, Err(_)) => return Landed::Undetermined,
    };
    let same = |a: Option<&Value>, b: Option<&Value>| match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => comparable(a) == comparable(b),
        _ => false,
    };
    if same(now, expected) {
        Landed::Yes
    } else if same(now, reviewed.live.as_ref()) {
        Landed::No
    } else {
        Landed::Undetermined
    }
}

/// An object without what the server sets on every write (and what the dry run invents).
fn comparable(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(map) = object.as_object_mut() {
        map.remove("status");
        if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
            for field in [
                "resourceVersion",
                "managedFields",
                "generation",
                "creationTimestamp",
                "uid",
            ] {
                meta.remove(field);
            }
        }
    }
    object
}

fn patch_type_name(patch_type: PatchType) -> &'static str {
    match patch_type {
        PatchType::Merge => "merge",
        PatchType::Json => "json",
        PatchType::Strategic => "strategic",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PlannedChange;
    use aigov_core::model::Kind;
    use aigov_kube::write::{Target, WriteOutcome};

    fn reviewed(operation: Operation, live: Option<Value>, after: Option<Value>) -> Reviewed {
        Reviewed {
            change: PlannedChange {
                target: Target::of(Kind::Namespace, "", "ml"),
                operation: operation.clone(),
                resource_version: None,
                uid: None,
                description: "d".into(),
                finding_key: "k".into(),
                undo: operation,
                undo_exact: true,
                reverts: false,
            },
            live,
            dry_run: Ok(WriteOutcome {
                status: 200,
                object: after,
                warnings: Vec::new(),
                audit_id: None,
            }),
            diff: Vec::new(),
        }
    }

    fn ns(rv: &str, label: Option<&str>) -> Value {
        let mut object = json!({"metadata": {"name": "ml", "resourceVersion": rv, "uid": "u1"}});
        if let Some(l) = label {
            object["metadata"]["labels"] = json!({"enforce": l});
        }
        object
    }

    #[allow(clippy::result_large_err)] // once per write: the size does not matter
    fn not_found() -> Result<Value, WriteError> {
        Err(WriteError::Answered {
            target: "ns".into(),
            status: 404,
            reason: "NotFound".into(),
            message: "not found".into(),
            warnings: Vec::new(),
            audit_id: None,
        })
    }

    #[test]
    fn a_re_read_tells_whether_a_patch_landed() {
        let patch = Operation::Patch {
            patch_type: PatchType::Merge,
            body: json!({"metadata": {"labels": {"enforce": "baseline"}}}),
        };
        let r = reviewed(patch, Some(ns("7", None)), Some(ns("7", Some("baseline"))));
        assert_eq!(landed(&r, &Ok(ns("8", Some("baseline")))), Landed::Yes);
        assert_eq!(landed(&r, &Ok(ns("7", None))), Landed::No);
        assert_eq!(
            landed(&r, &Ok(ns("9", Some("restricted")))),
            Landed::Undetermined,
            "someone else changed it"
        );
        let timeout = Err(WriteError::Unknown {
            target: "ns".into(),
            reason: "timeout".into(),
        });
        assert_eq!(landed(&r, &timeout), Landed::Undetermined);
    }

    #[test]
    fn a_re_read_tells_whether_a_create_or_delete_landed() {
        let create = reviewed(
            Operation::Create { body: ns("", None) },
            None,
            Some(ns("", None)),
        );
        assert_eq!(landed(&create, &Ok(ns("3", None))), Landed::Yes);
        assert_eq!(landed(&create, &not_found()), Landed::No);
        let delete = reviewed(Operation::Delete, Some(ns("7", None)), None);
        assert_eq!(landed(&delete, &not_found()), Landed::Yes);
        assert_eq!(landed(&delete, &Ok(ns("7", None))), Landed::No);
    }
}
