//! `cluster::Error`: every way reaching a cluster can fail, each with a message that names
//! the thing and the next step.

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no kubeconfig found: {tried} (pass --kubeconfig or set KUBECONFIG)")]
    NoKubeconfig { tried: String },
    #[error("cannot read kubeconfig {path}: {reason}")]
    KubeconfigUnreadable { path: PathBuf, reason: String },
    #[error("context {name:?} not found in {source_desc} (contexts: {known})")]
    UnknownContext {
        name: String,
        source_desc: String,
        known: String,
    },
    #[error("{source_desc} has no current-context; pass --context (contexts: {known})")]
    NoCurrentContext { source_desc: String, known: String },
    #[error("kubeconfig context {context:?} is unusable: {reason}")]
    BadContext { context: String, reason: String },
    #[error(
        "context {context:?} authenticates by running `{command}` (named in {source_desc}); aigov runs it only with your consent: run aigov in a terminal and answer yes, or pass --allow-exec"
    )]
    ExecNotAgreed {
        context: String,
        command: String,
        source_desc: String,
    },
    #[error("context {context:?}: you declined to run `{command}`, so there is no credential")]
    ExecDeclined { context: String, command: String },
    #[error("context {context:?}: {reason}")]
    CredentialPlugin { context: String, reason: String },
    #[error("cannot reach {server} within {}s: {reason} (check the server address and your network, or raise --timeout)", timeout.as_secs_f64())]
    Unreachable {
        server: String,
        timeout: Duration,
        reason: String,
    },
    #[error(
        "TLS handshake with {server} failed: {reason} (check the cluster's certificate-authority in the kubeconfig)"
    )]
    Tls { server: String, reason: String },
    #[error(
        "{server} rejected the credentials of context {context:?} (401 Unauthorized): refresh them, e.g. log in again"
    )]
    Unauthorized { server: String, context: String },
    #[error("{server} refused access (403 Forbidden): {message}")]
    Forbidden { server: String, message: String },
    #[error("{server} answered {code}: {message}")]
    Api {
        server: String,
        code: u16,
        message: String,
        retry_after_seconds: Option<u64>,
    },
    #[error("request to {server} failed: {reason}")]
    Transport { server: String, reason: String },
}

/// Why a request failed, in the words a user can act on. Classifies kube's errors.
pub fn classify(server: &str, context: &str, timeout: Duration, error: &kube::Error) -> Error {
    let server = server.to_string();
    match error {
        kube::Error::Api(status) => match status.code {
            401 => Error::Unauthorized {
                server,
                context: context.to_string(),
            },
            403 => Error::Forbidden {
                server,
                message: aigov_core::sanitize::sanitize(&status.message).into_owned(),
            },
            code => Error::Api {
                server,
                code,
                message: aigov_core::sanitize::sanitize(&status.message).into_owned(),
                retry_after_seconds: status
                    .details
                    .as_ref()
                    .map(|d| u64::from(d.retry_after_seconds))
                    .filter(|s| *s > 0),
            },
        },
        other => {
            // Classify on the whole chain, but show the root cause: it is the part a user can act on.
            let lower = error_chain(other).to_ascii_lowercase();
            let reason = root_cause(other);
            if lower.contains("certificate")
                || lower.contains("tls")
                || lower.contains("handshake")
                || lower.contains("ssl")
            {
                Error::Tls { server, reason }
            } else if lower.contains("timed out")
                || lower.contains("timeout")
                || lower.contains("connect")
                || lower.contains("refused")
            {
                Error::Unreachable {
                    server,
                    timeout,
                    reason,
                }
            } else {
                Error::Transport { server, reason }
            }
        }
    }
}

/// The innermost cause of an error, sanitised.
pub fn root_cause(error: &dyn std::error::Error) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    aigov_core::sanitize::sanitize(&current.to_string()).into_owned()
}

/// The error and its causes on one line, deduplicated.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = vec![error.to_string()];
    let mut source = error.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    aigov_core::sanitize::sanitize(&parts.join(": ")).into_owned()
}
