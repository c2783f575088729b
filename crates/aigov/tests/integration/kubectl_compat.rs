//! The real kubectl against `aigov sim serve`: every command the simulator promises to serve.
//! Skipped, by name, when kubectl is not on PATH (`.ci/run` makes sure it is).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::serve::{ServedSim, serve};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn kubectl_available() -> bool {
    Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

struct Kubectl {
    served: ServedSim,
    home: tempfile::TempDir,
}

impl Kubectl {
    fn start(test: &str) -> Option<Self> {
        if !kubectl_available() {
            eprintln!("SKIPPED {test}: kubectl is not on PATH");
            return None;
        }
        Some(Kubectl {
            served: serve(&[]),
            home: tempfile::tempdir().unwrap(),
        })
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("kubectl");
        cmd.env("KUBECONFIG", &self.served.kubeconfig)
            .env("HOME", self.home.path())
            .args(args);
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn manifest(&self, name: &str, text: &str) -> String {
        let path = self.home.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }
}

#[test]
fn kubectl_get_lists_tables_and_output_formats() {
    let Some(k) = Kubectl::start("kubectl_get_lists_tables_and_output_formats") else {
        return;
    };
    let namespaces = k.ok(&["get", "namespaces"]);
    assert!(namespaces.starts_with("NAME"), "{namespaces}");
    for ns in [
        "ml-training",
        "llm-inference",
        "notebooks",
        "feature-store",
        "web-shop",
        "default",
        "kube-system",
    ] {
        assert!(namespaces.contains(ns), "{ns} missing: {namespaces}");
    }
    let all_pods = k.ok(&["get", "pods", "-A"]);
    assert!(all_pods.lines().next().unwrap().starts_with("NAMESPACE"));
    assert!(all_pods.lines().count() > 20);
    let json: serde_json::Value =
        serde_json::from_str(&k.ok(&["get", "pods", "-n", "ml-training", "-o", "json"])).unwrap();
    assert_eq!(json["kind"], "List");
    assert!(
        json["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["metadata"]["namespace"] == "ml-training")
    );
    let yaml = k.ok(&["get", "namespace", "web-shop", "-o", "yaml"]);
    assert!(
        yaml.contains("kind: Namespace") && yaml.contains("name: web-shop"),
        "{yaml}"
    );
    let names = k.ok(&["get", "deployments", "-A", "-o", "name"]);
    assert!(
        names.lines().all(|l| l.starts_with("deployment.apps/")),
        "{names}"
    );
    let labelled = k.ok(&[
        "get",
        "pods",
        "-A",
        "-l",
        "app.kubernetes.io/name",
        "-o",
        "name",
    ]);
    let everything = k.ok(&["get", "pods", "-A", "-o", "name"]);
    assert!(!labelled.is_empty() && labelled.lines().count() <= everything.lines().count());
    let missing = k.run(&["get", "pod", "no-such-pod", "-n", "web-shop"]);
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr)
            .contains("Error from server (NotFound): pods \"no-such-pod\" not found")
    );
    let crds = k.ok(&["get", "notebooks", "-A", "-o", "name"]);
    assert!(crds.contains("notebook.kubeflow.org/"), "{crds}");
}

#[test]
fn kubectl_create_apply_patch_and_delete() {
    let Some(k) = Kubectl::start("kubectl_create_apply_patch_and_delete") else {
        return;
    };
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tokenizer\n  namespace: web-shop\ndata:\n  max_len: \"512\"\n";
    let path = k.manifest("cm.yaml", cm);
    assert!(
        k.ok(&["create", "-f", &path])
            .contains("configmap/tokenizer created")
    );
    let again = k.run(&["create", "-f", &path]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("AlreadyExists"));
    assert!(
        k.ok(&["apply", "--server-side", "-f", &path])
            .contains("serverside-applied")
    );
    let changed = k.manifest("cm2.yaml", &cm.replace("\"512\"", "\"1024\""));
    let conflict = k.run(&["apply", "--server-side", "-f", &changed]);
    assert!(!conflict.status.success());
    assert!(String::from_utf8_lossy(&conflict.stderr).contains("conflict with \"kubectl-create\""));
    k.ok(&[
        "apply",
        "--server-side",
        "--force-conflicts",
        "-f",
        &changed,
    ]);
    k.ok(&[
        "patch",
        "configmap",
        "tokenizer",
        "-n",
        "web-shop",
        "--type=merge",
        "-p",
        r#"{"data":{"pad":"left"}}"#,
    ]);
    k.ok(&[
        "patch",
        "configmap",
        "tokenizer",
        "-n",
        "web-shop",
        "--type=json",
        "-p",
        r#"[{"op":"replace","path":"/data/max_len","value":"2048"}]"#,
    ]);
    let data = k.ok(&[
        "get",
        "configmap",
        "tokenizer",
        "-n",
        "web-shop",
        "-o",
        "jsonpath={.data}",
    ]);
    let data: serde_json::Value = serde_json::from_str(&data).unwrap();
    assert_eq!(data, serde_json::json!({"max_len": "2048", "pad": "left"}));
    let managers = k.ok(&[
        "get",
        "configmap",
        "tokenizer",
        "-n",
        "web-shop",
        "--show-managed-fields",
        "-o",
        "jsonpath={.metadata.managedFields[*].manager}",
    ]);
    assert!(managers.contains("kubectl"), "{managers}");
    assert!(
        k.ok(&["delete", "configmap", "tokenizer", "-n", "web-shop"])
            .contains("deleted")
    );
    assert!(
        !k.run(&["get", "configmap", "tokenizer", "-n", "web-shop"])
            .status
            .success()
    );
    let dry = k.ok(&[
        "create",
        "configmap",
        "ghost",
        "-n",
        "web-shop",
        "--from-literal=a=b",
        "--dry-run=server",
    ]);
    assert!(dry.contains("created (server dry run)"), "{dry}");
    assert!(
        !k.run(&["get", "configmap", "ghost", "-n", "web-shop"])
            .status
            .success()
    );
}

#[test]
fn kubectl_auth_whoami_and_can_i_follow_rbac() {
    let Some(k) = Kubectl::start("kubectl_auth_whoami_and_can_i_follow_rbac") else {
        return;
    };
    let me = k.ok(&["auth", "whoami"]);
    assert!(
        me.contains("aigov-demo-admin") && me.contains("system:masters"),
        "{me}"
    );
    let ro = k.ok(&["--context", "aigov-demo-readonly", "auth", "whoami"]);
    assert!(ro.contains("aigov-demo-readonly"), "{ro}");
    assert_eq!(
        k.ok(&["auth", "can-i", "delete", "secrets", "-A"]).trim(),
        "yes"
    );
    let no = k.run(&[
        "--context",
        "aigov-demo-readonly",
        "auth",
        "can-i",
        "list",
        "secrets",
        "-A",
    ]);
    assert_eq!(String::from_utf8_lossy(&no.stdout).trim(), "no");
    assert_eq!(no.status.code(), Some(1));
    assert_eq!(
        k.ok(&[
            "--context",
            "aigov-demo-readonly",
            "auth",
            "can-i",
            "list",
            "pods",
            "-n",
            "ml-training"
        ])
        .trim(),
        "yes"
    );
    let forbidden = k.run(&["--context", "aigov-demo-readonly", "get", "secrets", "-A"]);
    assert!(String::from_utf8_lossy(&forbidden.stderr).contains("Error from server (Forbidden)"));
    let rules = k.ok(&[
        "--context",
        "aigov-demo-readonly",
        "auth",
        "can-i",
        "--list",
        "-n",
        "ml-training",
    ]);
    assert!(rules.contains("pods"), "{rules}");
    let create = k.ok(&["create", "namespace", "kubectl-made"]);
    assert!(
        create.contains("namespace/kubectl-made created"),
        "{create}"
    );
}

#[test]
fn kubectl_get_watch_streams_changes() {
    let Some(k) = Kubectl::start("kubectl_get_watch_streams_changes") else {
        return;
    };
    let watcher = k
        .command(&[
            "get",
            "configmaps",
            "-n",
            "web-shop",
            "-w",
            "-o",
            "name",
            "--request-timeout=6s",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    k.ok(&[
        "create",
        "configmap",
        "watched-one",
        "-n",
        "web-shop",
        "--from-literal=x=1",
    ]);
    std::thread::sleep(Duration::from_millis(300));
    k.ok(&["delete", "configmap", "watched-one", "-n", "web-shop"]);
    std::thread::sleep(Duration::from_millis(500));
    let out = watcher.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.matches("configmap/watched-one").count() >= 2,
        "created and deleted are both seen: {text}"
    );
}

#[test]
fn kubectl_shows_pod_security_warnings_and_audit_ids() {
    let Some(k) = Kubectl::start("kubectl_shows_pod_security_warnings_and_audit_ids") else {
        return;
    };
    let out = k.run(&[
        "label",
        "--dry-run=server",
        "--overwrite",
        "namespace",
        "ml-training",
        "pod-security.kubernetes.io/enforce=restricted",
    ]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "Warning: existing pods in namespace \"ml-training\" violate the new PodSecurity enforce level \"restricted:latest\""
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("resnet50-train-imagenet-bxh2b: hostPath volumes"),
        "{stderr}"
    );
    // A dry run changed nothing: the label is still the demo's baseline.
    let level = k.ok(&[
        "get",
        "namespace",
        "ml-training",
        "-o",
        "jsonpath={.metadata.labels.pod-security\\.kubernetes\\.io/enforce}",
    ]);
    assert_eq!(level, "baseline");
    // Every answer carries an Audit-Id, as the API server's do.
    let verbose = k.run(&["get", "namespace", "ml-training", "-v=8"]);
    let log = String::from_utf8_lossy(&verbose.stderr);
    assert!(
        log.lines()
            .any(|l| l.trim_start().starts_with("Audit-Id: ") && l.len() > 40),
        "{log}"
    );
}
