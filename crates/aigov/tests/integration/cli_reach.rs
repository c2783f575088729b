//! `aigov reach` through the real binary against the demo: the table, the JSON, what a
//! read-only identity cannot see, and the one-line errors for an unknown PVC or a bad target.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use assert_cmd::Command;
use common::serve::aigov_binary;

fn aigov(args: &[&str]) -> std::process::Output {
    Command::new(aigov_binary())
        .env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent-home")
        .args(args)
        .output()
        .unwrap()
}

fn stdout_of(output: &std::process::Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn one_line_error(output: &std::process::Output) -> String {
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr.clone()).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr:?}");
    assert!(
        stderr.starts_with("aigov: ") && !stderr.contains("panicked"),
        "{stderr}"
    );
    stderr
}

#[test]
fn table_shows_mounts_and_every_path_with_its_binding() {
    let out = stdout_of(&aigov(&[
        "--demo",
        "reach",
        "pvc/imagenet-2012",
        "-n",
        "ml-training",
    ]));
    assert!(
        out.starts_with("PVC ml-training/imagenet-2012  (dataset, sensitive)"),
        "{out}"
    );
    assert!(out.contains("ReadWriteMany"), "{out}");
    assert!(out.contains("StorageClass shared-nfs"), "{out}");
    let mounts = out.split("MOUNTED BY").nth(1).unwrap();
    let job = mounts
        .lines()
        .find(|l| l.contains("Job/resnet50-train-imagenet"))
        .unwrap();
    assert!(
        job.contains("/data/imagenet") && job.contains("read-only"),
        "{job}"
    );
    // The interns group reaches it by exec, through the pod-debugger Role.
    let interns: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.contains("Group/interns"))
        .take_while(|l| l.contains("Group/interns") || l.starts_with("    "))
        .collect();
    assert!(
        interns.iter().any(|l| l.contains("exec into")
            && l.contains("Job/resnet50-train-imagenet")
            && l.contains("RoleBinding ml-training/interns-pod-debugger -> Role pod-debugger")),
        "{interns:#?}"
    );
    assert!(!out.contains("incomplete"), "the admin reads everything");
}

#[test]
fn json_lists_the_read_write_mount_and_the_subjects() {
    let out = stdout_of(&aigov(&[
        "--demo",
        "reach",
        "pvc/mistral-7b-weights",
        "-n",
        "llm-inference",
        "--format",
        "json",
    ]));
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["volume"]["data"], "model");
    assert_eq!(json["volume"]["storage_class"], "fast-ssd");
    assert!(
        json["volume"]["encryption"]
            .as_str()
            .unwrap()
            .starts_with("encrypted")
    );
    let mounts = json["mounted_by"].as_array().unwrap();
    let tgi = mounts
        .iter()
        .find(|m| m["unit_name"] == "tgi-mistral-7b")
        .unwrap();
    assert_eq!(
        (tgi["read_only"].as_bool(), tgi["inference"].as_bool()),
        (Some(false), Some(true))
    );
    let subjects = json["subjects"].as_array().unwrap();
    assert!(json["subjects_reaching_data"].as_u64().unwrap() > 0);
    let sa = subjects
        .iter()
        .find(|s| s["kind"] == "ServiceAccount" && s["name"] == tgi["service_account"])
        .expect("the server's own service account");
    assert_eq!(sa["paths"][0]["how"], "is_service_account");
    // Every other path names the binding, role and rule that grant it.
    for s in subjects {
        for p in s["paths"].as_array().unwrap() {
            if p["how"] != "is_service_account" {
                let b = &p["binding"];
                assert!(b["name"].is_string() && b["role_name"].is_string(), "{p}");
                assert!(!b["rule"]["verbs"].as_array().unwrap().is_empty(), "{p}");
            }
        }
    }
}

#[test]
fn a_read_only_identity_that_cannot_read_secrets_gets_the_same_answer() {
    let args = [
        "reach",
        "pvc/imagenet-2012",
        "-n",
        "ml-training",
        "--format",
        "json",
    ];
    let admin = stdout_of(&aigov(&[&["--demo"][..], &args].concat()));
    let readonly = ["--demo", "--context", "aigov-demo-readonly"];
    let viewer = stdout_of(&aigov(&[&readonly[..], &args].concat()));
    let mut admin: serde_json::Value = serde_json::from_str(&admin).unwrap();
    let mut viewer: serde_json::Value = serde_json::from_str(&viewer).unwrap();
    assert_eq!(
        viewer["unknown"],
        serde_json::json!([]),
        "reach needs no Secrets"
    );
    admin["context"] = serde_json::Value::Null;
    viewer["context"] = serde_json::Value::Null;
    assert_eq!(admin, viewer);
}

#[test]
fn an_unknown_pvc_is_one_line_naming_the_namespace_and_its_claims() {
    let err = one_line_error(&aigov(&[
        "--demo",
        "reach",
        "pvc/imagenet-2013",
        "-n",
        "ml-training",
    ]));
    assert!(
        err.contains("\"imagenet-2013\"") && err.contains("\"ml-training\""),
        "{err}"
    );
    assert!(
        err.contains("imagenet-2012"),
        "lists the claims there: {err}"
    );
    let err = one_line_error(&aigov(&["--demo", "reach", "pvc/x", "-n", "no-such-ns"]));
    assert!(
        err.contains("namespace \"no-such-ns\" does not exist") && err.contains("ml-training"),
        "{err}"
    );
    let err = one_line_error(&aigov(&["--demo", "reach", "pod/x", "-n", "ml-training"]));
    assert!(err.contains("expected pvc/NAME"), "{err}");
}
