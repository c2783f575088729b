//! `who-can` and `can-i` with `-A`: asked cluster-wide, as kubectl's `--all-namespaces`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use assert_cmd::Command;
use common::serve::aigov_binary;

fn aigov() -> Command {
    let mut cmd = Command::new(aigov_binary());
    cmd.env_remove("KUBECONFIG");
    cmd
}

#[test]
fn all_namespaces_asks_cluster_wide_as_kubectl_does() {
    let ask = |extra: &[&str]| {
        let out = aigov()
            .args(["--demo", "can-i", "create", "pods/exec"])
            .args(extra)
            .args(["--as", "new.intern@example.com", "--as-group", "interns"])
            .output()
            .unwrap();
        (
            String::from_utf8_lossy(&out.stdout).trim().to_string(),
            out.status.code(),
        )
    };
    // Interns may exec only in ml-training (a RoleBinding), not cluster-wide.
    assert_eq!(ask(&["-n", "ml-training"]), ("yes".to_string(), Some(0)));
    assert_eq!(ask(&["-A"]), ("no".to_string(), Some(1)));
    // ml-engineers are cluster-admin, so the cluster-wide answer is yes.
    let out = aigov()
        .args([
            "--demo",
            "can-i",
            "delete",
            "secrets",
            "-A",
            "--as",
            "x@example.com",
            "--as-group",
            "ml-engineers",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "yes");
    let both = aigov()
        .args(["--demo", "who-can", "get", "secrets", "-A", "-n", "x"])
        .output()
        .unwrap();
    assert_eq!(both.status.code(), Some(2), "-A and -n conflict");
}
