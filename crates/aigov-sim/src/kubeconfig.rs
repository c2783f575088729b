//! The kubeconfig the simulator hands out: one cluster, an admin and a read-only user.

use std::io::Write;
use std::path::Path;

pub const ADMIN_CONTEXT: &str = "aigov-demo-admin";
pub const READONLY_CONTEXT: &str = "aigov-demo-readonly";
pub const CLUSTER_NAME: &str = "aigov-demo";

/// A kubeconfig with two contexts; the admin one is current.
pub fn render(server_url: &str, ca_pem: &str, admin_token: &str, readonly_token: &str) -> String {
    use base64::Engine;
    let ca_data = base64::engine::general_purpose::STANDARD.encode(ca_pem);
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: {CLUSTER_NAME}
  cluster:
    server: {server_url}
    certificate-authority-data: {ca_data}
users:
- name: {ADMIN_CONTEXT}
  user:
    token: {admin_token}
- name: {READONLY_CONTEXT}
  user:
    token: {readonly_token}
contexts:
- name: {ADMIN_CONTEXT}
  context:
    cluster: {CLUSTER_NAME}
    user: {ADMIN_CONTEXT}
- name: {READONLY_CONTEXT}
  context:
    cluster: {CLUSTER_NAME}
    user: {READONLY_CONTEXT}
current-context: {ADMIN_CONTEXT}
preferences: {{}}
"
    )
}

/// Write a file readable by its owner only, creating it with mode 0600 from the start so the
/// token is never briefly world-readable.
pub fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendered_kubeconfig_parses_with_two_contexts() {
        let text = render(
            "https://127.0.0.1:1234",
            "-----BEGIN CERTIFICATE-----",
            "tok-admin",
            "tok-ro",
        );
        let config = kube::config::Kubeconfig::from_yaml(&text).unwrap();
        assert_eq!(config.current_context.as_deref(), Some(ADMIN_CONTEXT));
        let names: Vec<_> = config.contexts.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec![ADMIN_CONTEXT, READONLY_CONTEXT]);
    }

    #[cfg(unix)]
    #[test]
    fn private_files_are_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kubeconfig");
        write_private(&path, "x").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
