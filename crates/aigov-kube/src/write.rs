//! Writes: the one place a request that changes the cluster is built and sent. A [`Writer`]
//! can only be made from a connection that is not read-only (whose client also lacks the
//! read-only transport layer), so read-only mode has no write path at all.
//!
//! Every write carries the caller's `resourceVersion` as a precondition when it has one, can be
//! a server dry run (`dryRun=All`), and comes back with what the caller must record: the HTTP
//! status, the object the server stored (or would store), its admission `Warning`s and its
//! `Audit-Id`. A failure says whether the server answered (`Answered`: nothing was changed) or
//! the outcome is unknown (no answer, or a 5xx to a real write: the request may have been
//! applied, re-read before anything else).

use super::connect::Connection;
use super::error::error_chain;
use aigov_core::model::Kind;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams, Preconditions};
use kube::client::Body;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The object a write is sent to: enough to build the request URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// Empty for the core group.
    pub group: String,
    pub version: String,
    /// The resource plural in the URL (`deployments`).
    pub resource: String,
    pub kind: String,
    /// Empty for cluster-scoped objects.
    pub namespace: String,
    pub name: String,
}

impl Target {
    /// The target for an object of a kind aigov reads.
    pub fn of(kind: Kind, namespace: &str, name: &str) -> Self {
        let api = kind.api();
        Target {
            group: api.group.to_string(),
            version: api.version.to_string(),
            resource: api.plural.to_string(),
            kind: api.kind.to_string(),
            namespace: if api.namespaced {
                namespace.to_string()
            } else {
                String::new()
            },
            name: name.to_string(),
        }
    }

    /// `apps/v1` or `v1`, as in an object's `apiVersion`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The collection URL path: `/api/v1/namespaces/ns/pods` or `/apis/g/v/plural`.
    pub fn collection_path(&self) -> String {
        let base = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        if self.namespace.is_empty() {
            format!("{base}/{}", self.resource)
        } else {
            format!("{base}/namespaces/{}/{}", self.namespace, self.resource)
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{} {}", self.kind, self.name)
        } else {
            write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// The `Content-Type` of a PATCH.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PatchType {
    /// `application/merge-patch+json` (RFC 7386).
    Merge,
    /// `application/json-patch+json` (RFC 6902).
    Json,
    /// `application/strategic-merge-patch+json`.
    Strategic,
}

impl PatchType {
    pub fn content_type(self) -> &'static str {
        match self {
            PatchType::Merge => "application/merge-patch+json",
            PatchType::Json => "application/json-patch+json",
            PatchType::Strategic => "application/strategic-merge-patch+json",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Operation {
    Patch { patch_type: PatchType, body: Value },
    Create { body: Value },
    Delete,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WriteRequest {
    pub target: Target,
    pub operation: Operation,
    /// The resourceVersion the change was reviewed against: the server refuses the write
    /// (409 Conflict) when the object changed since.
    pub resource_version: Option<String>,
    pub field_manager: String,
    pub dry_run: bool,
}

/// What the server answered to a write it accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteOutcome {
    pub status: u16,
    /// The object as stored (or, in a dry run, as it would be stored); `None` for a delete
    /// that returned only a Status.
    pub object: Option<Value>,
    pub warnings: Vec<String>,
    pub audit_id: Option<String>,
}

impl WriteOutcome {
    /// The stored object's resourceVersion.
    pub fn resource_version(&self) -> Option<&str> {
        self.object
            .as_ref()?
            .pointer("/metadata/resourceVersion")?
            .as_str()
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WriteError {
    /// The connection is read-only: no write can be built.
    #[error("context {context:?} is read-only (--read-only): aigov does not write to it")]
    ReadOnly { context: String },
    /// The context skips TLS verification and `--allow-insecure-apply` was not given.
    #[error(
        "context {context:?} skips TLS verification (insecure-skip-tls-verify), so the server may not be who it claims: aigov does not write to it unless you pass --allow-insecure-apply (recorded in the audit log)"
    )]
    InsecureTls { context: String },
    /// The request could not be built (a bug in the caller's target or body).
    #[error("cannot build the request for {target}: {reason}")]
    Invalid { target: String, reason: String },
    /// The server refused the write: nothing was changed.
    #[error("{target}: the server answered {status} {reason}: {message}")]
    Answered {
        target: String,
        status: u16,
        reason: String,
        message: String,
        warnings: Vec<String>,
        audit_id: Option<String>,
    },
    /// No answer (deadline, dropped connection): the write may or may not have been applied.
    #[error("{target}: outcome unknown ({reason}); re-read the object before doing anything else")]
    Unknown { target: String, reason: String },
}

impl WriteError {
    /// The HTTP status when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            WriteError::Answered { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A real write answered with a 5xx may still have been made: an etcd timeout after the
/// proposal, or a proxy in front of the API server that gave up waiting (502, 504). Its outcome
/// is unknown, so the caller re-reads the object instead of recording "nothing was written".
/// A dry run changes nothing, so its 5xx stays an answer.
fn in_doubt_after_5xx(error: WriteError, dry_run: bool) -> WriteError {
    match error {
        WriteError::Answered {
            target,
            status,
            reason,
            message,
            ..
        } if status >= 500 && !dry_run => WriteError::Unknown {
            target,
            reason: format!(
                "the server answered {status} {reason}: {message}; after a 5xx the write may still have been made"
            ),
        },
        other => other,
    }
}

/// The write path of one connection.
#[derive(Clone)]
pub struct Writer {
    connection: Connection,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("context", &self.connection.context)
            .finish()
    }
}

impl Writer {
    /// The write path of `connection`; refused for a read-only one.
    pub fn new(connection: &Connection) -> Result<Writer, WriteError> {
        if connection.read_only {
            return Err(WriteError::ReadOnly {
                context: connection.context.clone(),
            });
        }
        if connection.insecure_skip_tls_verify && !connection.allow_insecure_apply {
            return Err(WriteError::InsecureTls {
                context: connection.context.clone(),
            });
        }
        Ok(Writer {
            connection: connection.clone(),
        })
    }

    /// The live object, as JSON (a GET: what a review diffs against and what verification
    /// re-reads).
    pub async fn get(&self, target: &Target) -> Result<Value, WriteError> {
        let request = kube::core::Request::new(target.collection_path())
            .get(&target.name, &Default::default())
            .map_err(|e| invalid(target, &e))?;
        let outcome = self.send_raw(target, request).await?;
        outcome.object.ok_or_else(|| WriteError::Unknown {
            target: target.to_string(),
            reason: "the server returned no object".into(),
        })
    }

    /// Send `request`, with its precondition, and report the server's answer.
    pub async fn send(&self, request: &WriteRequest) -> Result<WriteOutcome, WriteError> {
        let target = &request.target;
        let api = kube::core::Request::new(target.collection_path());
        let http = match &request.operation {
            Operation::Patch { patch_type, body } => {
                let params = PatchParams {
                    dry_run: request.dry_run,
                    field_manager: Some(request.field_manager.clone()),
                    ..Default::default()
                };
                let body =
                    with_precondition(*patch_type, body, request.resource_version.as_deref());
                let patch = match patch_type {
                    PatchType::Merge => Patch::Merge(body),
                    PatchType::Strategic => Patch::Strategic(body),
                    PatchType::Json => Patch::Json::<Value>(
                        serde_json::from_value(body).map_err(|e| invalid(target, &e))?,
                    ),
                };
                api.patch(&target.name, &params, &patch)
            }
            Operation::Create { body } => {
                let params = PostParams {
                    dry_run: request.dry_run,
                    field_manager: Some(request.field_manager.clone()),
                };
                let bytes = serde_json::to_vec(body).map_err(|e| invalid(target, &e))?;
                api.create(&params, bytes)
            }
            Operation::Delete => {
                let params = DeleteParams {
                    dry_run: request.dry_run,
                    preconditions: request.resource_version.as_ref().map(|rv| Preconditions {
                        resource_version: Some(rv.clone()),
                        uid: None,
                    }),
                    ..Default::default()
                };
                api.delete(&target.name, &params)
            }
        }
        .map_err(|e| invalid(target, &e))?;
        self.send_raw(target, http)
            .await
            .map_err(|e| in_doubt_after_5xx(e, request.dry_run))
    }

    async fn send_raw(
        &self,
        target: &Target,
        request: http::Request<Vec<u8>>,
    ) -> Result<WriteOutcome, WriteError> {
        let unknown = |reason: String| WriteError::Unknown {
            target: target.to_string(),
            reason,
        };
        let timeout = self.connection.timeout;
        let exchange = async {
            let response = self
                .connection
                .client
                .send(request.map(Body::from))
                .await
                .map_err(|e| unknown(error_chain(&e)))?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let bytes = response
                .into_body()
                .collect_bytes()
                .await
                .map_err(|e| unknown(error_chain(&e)))?;
            Ok::<_, WriteError>((status, headers, bytes))
        };
        let (status, headers, bytes) = tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| unknown(format!("no answer within {}s", timeout.as_secs_f64())))??;
        let warnings = headers
            .get_all(http::header::WARNING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(warning_text)
            .collect();
        let audit_id = headers
            .get("audit-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body: Option<Value> = serde_json::from_slice(&bytes).ok();
        if (200..300).contains(&status) {
            let object = body.filter(|b| b.get("kind").and_then(Value::as_str) != Some("Status"));
            return Ok(WriteOutcome {
                status,
                object,
                warnings,
                audit_id,
            });
        }
        let field = |name: &str| {
            body.as_ref()
                .and_then(|b| b.get(name))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        Err(WriteError::Answered {
            target: target.to_string(),
            status,
            reason: field("reason"),
            message: field("message"),
            warnings,
            audit_id,
        })
    }
}

fn invalid(target: &Target, error: &dyn std::fmt::Display) -> WriteError {
    WriteError::Invalid {
        target: target.to_string(),
        reason: error.to_string(),
    }
}

/// The patch with the reviewed resourceVersion as a precondition: in the body's metadata for
/// merge and strategic patches (the server compares it), as a leading `test` operation for a
/// JSON patch.
pub fn with_precondition(
    patch_type: PatchType,
    body: &Value,
    resource_version: Option<&str>,
) -> Value {
    let Some(rv) = resource_version else {
        return body.clone();
    };
    match patch_type {
        PatchType::Json => {
            let mut ops =
                vec![json!({"op": "test", "path": "/metadata/resourceVersion", "value": rv})];
            ops.extend(body.as_array().cloned().unwrap_or_default());
            Value::Array(ops)
        }
        PatchType::Merge | PatchType::Strategic => {
            let mut body = body.clone();
            if let Some(object) = body.as_object_mut() {
                let meta = object.entry("metadata").or_insert_with(|| json!({}));
                if let Some(meta) = meta.as_object_mut() {
                    meta.insert("resourceVersion".into(), json!(rv));
                }
            }
            body
        }
    }
}

/// The text of a `Warning: 299 - "text"` header value.
fn warning_text(value: &str) -> String {
    let text = value
        .splitn(3, ' ')
        .nth(2)
        .map(|t| t.trim())
        .unwrap_or(value);
    let unquoted = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    unquoted.replace("\\\"", "\"").replace("\\\\", "\\")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status: u16) -> WriteError {
        WriteError::Answered {
            target: "Namespace ml".into(),
            status,
            reason: "Timeout".into(),
            message: "gave up".into(),
            warnings: Vec::new(),
            audit_id: None,
        }
    }

    #[test]
    fn a_5xx_to_a_real_write_is_an_unknown_outcome_and_other_answers_stay_answers() {
        for status in [500, 502, 503, 504] {
            match in_doubt_after_5xx(answered(status), false) {
                WriteError::Unknown { reason, .. } => {
                    assert!(reason.contains(&status.to_string()), "{reason}")
                }
                other => panic!("{status}: {other:?}"),
            }
            assert_eq!(
                in_doubt_after_5xx(answered(status), true).status(),
                Some(status),
                "a dry run changes nothing"
            );
        }
        for status in [403, 409, 422, 429] {
            assert_eq!(
                in_doubt_after_5xx(answered(status), false).status(),
                Some(status)
            );
        }
    }

    #[test]
    fn preconditions_go_where_each_patch_type_needs_them() {
        let merge = with_precondition(PatchType::Merge, &json!({"spec": {"x": 1}}), Some("42"));
        assert_eq!(
            merge,
            json!({"spec": {"x": 1}, "metadata": {"resourceVersion": "42"}})
        );
        let ops = json!([{"op": "remove", "path": "/subjects/1"}]);
        let json_patch = with_precondition(PatchType::Json, &ops, Some("42"));
        assert_eq!(
            json_patch,
            json!([
                {"op": "test", "path": "/metadata/resourceVersion", "value": "42"},
                {"op": "remove", "path": "/subjects/1"}
            ])
        );
        assert_eq!(with_precondition(PatchType::Json, &ops, None), ops);
    }

    #[test]
    fn targets_build_kubernetes_paths() {
        let deployment = Target::of(Kind::Deployment, "ml", "vllm");
        assert_eq!(
            deployment.collection_path(),
            "/apis/apps/v1/namespaces/ml/deployments"
        );
        assert_eq!(deployment.to_string(), "Deployment ml/vllm");
        assert_eq!(deployment.api_version(), "apps/v1");
        let namespace = Target::of(Kind::Namespace, "ignored", "ml");
        assert_eq!(namespace.collection_path(), "/api/v1/namespaces");
        assert_eq!(namespace.to_string(), "Namespace ml");
    }

    #[test]
    fn warning_headers_become_their_text() {
        assert_eq!(
            warning_text(
                r#"299 - "existing pods in namespace \"ml\" violate the new PodSecurity enforce level \"baseline:latest\"""#
            ),
            r#"existing pods in namespace "ml" violate the new PodSecurity enforce level "baseline:latest""#
        );
    }
}
