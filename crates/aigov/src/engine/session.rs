//! Audit sessions for a connection: what the audit log records about where a command ran.

use aigov_audit::SessionInfo;
use aigov_kube::Connection;

/// A new audit session on this connection, for `command` (`console`, `plan apply`, ...).
pub fn audit_session(connection: &Connection, command: &str) -> SessionInfo {
    SessionInfo {
        id: aigov_audit::new_session_id(),
        context: connection.context.clone(),
        server: connection.server.clone(),
        ca_fingerprint: connection.ca_fingerprint.clone(),
        insecure_skip_tls_verify: connection.insecure_skip_tls_verify,
        allow_insecure_apply: connection.allow_insecure_apply,
        user: connection.identity.username.clone(),
        groups: connection.identity.groups.clone(),
        command: command.into(),
    }
}
