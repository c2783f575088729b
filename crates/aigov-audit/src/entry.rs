//! What one audit entry says: its kind, who did what to which object, and the free-form
//! details. [`Entry`] is what a caller builds; [`Record`] is the line on disk, the entry plus
//! the fields the log adds (schema version, sequence number, time, chain links).

use super::redact;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The version of the record layout written by this aigov. A reader refuses to append to a
/// log whose last record is newer; `verify` checks any version, since the chain covers every
/// field whatever it is called.
pub const SCHEMA_VERSION: u32 = 1;

/// What happened. Serialised in snake_case (`session_start`, `dry_run`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A console or command session began: context, server, CA fingerprint, identity.
    SessionStart,
    /// A session ended; its details carry the head the operator should keep.
    SessionEnd,
    /// A mutating request is about to be sent. Durable before the request leaves.
    Intent,
    /// What the server answered to an intent: status, reason, new resourceVersion, Audit-Id.
    Result,
    /// A remediation was staged.
    Stage,
    /// A staged change was reviewed (with the justification).
    Review,
    /// The outcome of a server-side dry run.
    DryRun,
    /// The drift baseline was saved or replaced.
    BaselineChange,
    /// A step of the guided read-only audit.
    GuidedAuditMark,
    /// Findings or a report left the process.
    Export,
    /// Anything else worth recording, including the log's own repairs.
    Note,
}

impl EntryKind {
    /// The name written to the log.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::SessionStart => "session_start",
            EntryKind::SessionEnd => "session_end",
            EntryKind::Intent => "intent",
            EntryKind::Result => "result",
            EntryKind::Stage => "stage",
            EntryKind::Review => "review",
            EntryKind::DryRun => "dry_run",
            EntryKind::BaselineChange => "baseline_change",
            EntryKind::GuidedAuditMark => "guided_audit_mark",
            EntryKind::Export => "export",
            EntryKind::Note => "note",
        }
    }
}

/// The Kubernetes object a request is about (as in the API server's own audit events).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectRef {
    /// API group; empty for the core group.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub group: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// The plural resource name: `deployments`, `secrets`, `rolebindings`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub resource: String,
    /// Empty for cluster-scoped objects.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub uid: String,
}

impl ObjectRef {
    /// `resource[.group] namespace/name`, or `resource[.group] name` when cluster-scoped.
    pub fn display(&self) -> String {
        let mut out = self.resource.clone();
        if !self.group.is_empty() {
            out.push('.');
            out.push_str(&self.group);
        }
        let name = if self.namespace.is_empty() {
            self.name.clone()
        } else {
            format!("{}/{}", self.namespace, self.name)
        };
        if !name.is_empty() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&name);
        }
        out
    }

    /// Whether this names a core Secret, whose data must never be written.
    pub fn is_secret(&self) -> bool {
        self.group.is_empty() && self.resource == "secrets"
    }
}

/// One audit entry as a caller builds it. Every field but `kind` is optional, and absent
/// fields are not written. Build with [`Entry::new`] and the setters, then hand it to
/// [`AuditLog::append`](super::AuditLog::append), which redacts it again before writing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub kind: EntryKind,
    /// The session this entry belongs to (see [`new_session_id`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// The kubeconfig context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The API server URL (session entries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// SHA-256 of the cluster CA certificate(s) trusted for the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_fingerprint: Option<String>,
    /// The identity: the user name the server knows the connection as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The identity's groups, when known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// The API verb: `patch`, `update`, `create`, `delete`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verb: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<ObjectRef>,
    /// The resourceVersion the change was based on (optimistic concurrency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_version_before: Option<String>,
    /// The resourceVersion the server returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_version_after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_manager: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    /// `json`, `merge`, `strategic` or `apply`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch_type: Option<String>,
    /// SHA-256 (hex) of the exact body bytes sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch_sha256: Option<String>,
    /// The body, redacted: Secret data and secret-like values replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch: Option<Value>,
    /// The operator's written reason (secret-like tokens in it are redacted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// The HTTP status of the answer (result and dry-run entries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// The `reason` of a Kubernetes `Status` answer (`Conflict`, `Forbidden`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The server's `Audit-Id` response header, to find the request in the cluster's audit log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_id: Option<String>,
    /// The seq of the entry this one answers (a result names its intent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refers_to: Option<u64>,
    /// Anything else, as JSON (redacted like the patch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

impl Entry {
    pub fn new(kind: EntryKind) -> Self {
        Entry {
            kind,
            session: None,
            context: None,
            server: None,
            ca_fingerprint: None,
            user: None,
            groups: Vec::new(),
            verb: None,
            object: None,
            resource_version_before: None,
            resource_version_after: None,
            field_manager: None,
            dry_run: None,
            patch_type: None,
            patch_sha256: None,
            patch: None,
            justification: None,
            http_status: None,
            reason: None,
            audit_id: None,
            refers_to: None,
            details: None,
        }
    }

    pub fn session(mut self, id: impl Into<String>) -> Self {
        self.session = Some(id.into());
        self
    }

    pub fn context(mut self, context: impl Into<String>) -> Self {
        self.context = Some(context.into());
        self
    }

    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }

    pub fn verb(mut self, verb: impl Into<String>) -> Self {
        self.verb = Some(verb.into());
        self
    }

    pub fn object(mut self, object: ObjectRef) -> Self {
        self.object = Some(object);
        self
    }

    pub fn justification(mut self, text: impl Into<String>) -> Self {
        self.justification = Some(text.into());
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// Record a request body: its SHA-256 over the exact bytes, and a redacted copy when it
    /// parses as JSON or YAML (otherwise only the hash is kept). Set the object first, so a
    /// body for a Secret is recognised even when it does not say `kind: Secret` (a JSON
    /// patch); the log redacts once more when appending, with the final object.
    pub fn patch_body(mut self, body: &[u8]) -> Self {
        self.patch_sha256 = Some(sha256_hex(body));
        let secret = self.object.as_ref().is_some_and(ObjectRef::is_secret);
        self.patch = parse_body(body).map(|mut value| {
            redact::redact_patch(&mut value, secret);
            value
        });
        self
    }

    /// Redact everything that could hold a credential, in place. Idempotent.
    pub fn redact(&mut self) {
        let secret = self.object.as_ref().is_some_and(ObjectRef::is_secret);
        if let Some(patch) = self.patch.as_mut() {
            redact::redact_patch(patch, secret);
        }
        if let Some(details) = self.details.as_mut() {
            redact::redact_value(details);
        }
        if let Some(text) = self.justification.as_mut()
            && let std::borrow::Cow::Owned(clean) = redact::redact_text(text)
        {
            *text = clean;
        }
    }
}

fn parse_body(body: &[u8]) -> Option<Value> {
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        return Some(value);
    }
    // Server-side apply bodies may be YAML.
    let text = std::str::from_utf8(body).ok()?;
    serde_saphyr::from_str::<Value>(text)
        .ok()
        .filter(|v| v.is_object() || v.is_array())
}

pub use aigov_core::digest::{hex, sha256_hex};

/// A fresh random session id (128 bits, hex).
pub fn new_session_id() -> String {
    let bytes: [u8; 16] = rand::random();
    hex(&bytes)
}

/// One line of the log: the entry plus what the log adds. Field order here is irrelevant:
/// lines are written as canonical JSON (keys sorted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub schema_version: u32,
    /// 1, 2, 3, ... with no gaps.
    pub seq: u64,
    /// UTC, RFC 3339.
    pub ts: String,
    #[serde(flatten)]
    pub entry: Entry,
    /// The previous record's hash; 64 zeros for the first.
    pub prev: String,
    /// SHA-256 over `prev` and this record without `hash` (see `chain`).
    pub hash: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_fields_are_not_written_and_kinds_are_snake_case() {
        let e = Entry::new(EntryKind::GuidedAuditMark).user("alice");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "guided_audit_mark", "user": "alice"})
        );
        for kind in [
            EntryKind::SessionStart,
            EntryKind::SessionEnd,
            EntryKind::Intent,
            EntryKind::Result,
            EntryKind::Stage,
            EntryKind::Review,
            EntryKind::DryRun,
            EntryKind::BaselineChange,
            EntryKind::GuidedAuditMark,
            EntryKind::Export,
            EntryKind::Note,
        ] {
            let text = serde_json::to_string(&kind).unwrap();
            assert_eq!(text, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<EntryKind>(&text).unwrap(), kind);
        }
    }

    #[test]
    fn a_record_round_trips_through_json() {
        let record = Record {
            schema_version: SCHEMA_VERSION,
            seq: 3,
            ts: "2025-06-01T10:00:00Z".into(),
            entry: Entry::new(EntryKind::Result)
                .verb("patch")
                .object(ObjectRef {
                    group: "apps".into(),
                    version: "v1".into(),
                    resource: "deployments".into(),
                    namespace: "llm".into(),
                    name: "vllm".into(),
                    uid: "u-1".into(),
                }),
            prev: "0".repeat(64),
            hash: "ab".repeat(32),
        };
        let mut record = record;
        record.entry.http_status = Some(409);
        record.entry.reason = Some("Conflict".into());
        record.entry.refers_to = Some(2);
        let text = serde_json::to_string(&record).unwrap();
        assert_eq!(serde_json::from_str::<Record>(&text).unwrap(), record);
    }

    #[test]
    fn patch_body_hashes_the_exact_bytes_and_keeps_a_parsed_copy() {
        let body = br#"{"spec":{"replicas":2}}"#;
        let e = Entry::new(EntryKind::Intent).patch_body(body);
        assert_eq!(e.patch_sha256.as_deref(), Some(sha256_hex(body).as_str()));
        assert_eq!(e.patch, Some(serde_json::json!({"spec": {"replicas": 2}})));
        let yaml = Entry::new(EntryKind::Intent).patch_body(b"spec:\n  replicas: 3\n");
        assert_eq!(
            yaml.patch,
            Some(serde_json::json!({"spec": {"replicas": 3}}))
        );
        let opaque = Entry::new(EntryKind::Intent).patch_body(&[0xff, 0xfe, 0x00]);
        assert!(opaque.patch.is_none() && opaque.patch_sha256.is_some());
    }

    #[test]
    fn object_display_names_group_namespace_and_name() {
        let o = ObjectRef {
            group: "apps".into(),
            resource: "deployments".into(),
            namespace: "llm".into(),
            name: "vllm".into(),
            ..Default::default()
        };
        assert_eq!(o.display(), "deployments.apps llm/vllm");
        let c = ObjectRef {
            group: "rbac.authorization.k8s.io".into(),
            resource: "clusterroles".into(),
            name: "admin".into(),
            ..Default::default()
        };
        assert_eq!(c.display(), "clusterroles.rbac.authorization.k8s.io admin");
        assert!(!c.is_secret());
        assert!(
            ObjectRef {
                resource: "secrets".into(),
                ..Default::default()
            }
            .is_secret()
        );
    }

    #[test]
    fn session_ids_are_random_hex() {
        let a = new_session_id();
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, new_session_id());
    }
}
