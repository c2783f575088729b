//! `aigov inventory` through the real binary: the happy path, and every error path ending in
//! one clear line and exit code 2.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use assert_cmd::Command;
use common::serve::{ServedSim, aigov_binary, serve};
use std::io::Read;
use std::time::{Duration, Instant};

fn aigov() -> Command {
    let mut cmd = Command::new(aigov_binary());
    cmd.env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent-home");
    cmd
}

fn one_line_error(output: &std::process::Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(2),
        "exit code 2; stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8(output.stderr.clone()).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr:?}");
    assert!(stderr.starts_with("aigov: "), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
    stderr
}

fn kubeconfig_text(server: &str, ca_data: Option<&str>, token: &str) -> String {
    let ca = ca_data
        .map(|d| format!("    certificate-authority-data: {d}\n"))
        .unwrap_or_default();
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {server}\n{ca}users:\n- name: u\n  user:\n    token: {token}\ncontexts:\n- name: ctx\n  context: {{cluster: c, user: u}}\ncurrent-context: ctx\n"
    )
}

fn ca_data_of(served: &ServedSim) -> String {
    let text = std::fs::read_to_string(&served.kubeconfig).unwrap();
    text.lines()
        .find_map(|l| l.trim().strip_prefix("certificate-authority-data: "))
        .unwrap()
        .to_string()
}

fn token_of(served: &ServedSim, user: &str) -> String {
    let text = std::fs::read_to_string(&served.kubeconfig).unwrap();
    let mut lines = text
        .lines()
        .skip_while(|l| !l.contains(&format!("name: {user}")));
    lines
        .find_map(|l| l.trim().strip_prefix("token: "))
        .unwrap()
        .to_string()
}

#[test]
fn inventory_of_a_served_simulator_counts_the_demo() {
    let served = serve(&[]);
    let output = aigov()
        .arg("--kubeconfig")
        .arg(&served.kubeconfig)
        .args(["inventory", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["context"], "aigov-demo-admin");
    assert_eq!(json["identity"]["username"], "aigov-demo-admin");
    assert_eq!(json["identity"]["source"], "self-subject-review");
    assert!(json["totals"]["Pod"].as_u64().unwrap() >= 20);
    assert!(json["totals"]["Secret"].as_u64().unwrap() >= 5);
    assert_eq!(json["unreadable"], serde_json::json!([]));
    assert!(
        json["totals"].get("TFJob").is_none(),
        "an uninstalled CRD is not listed"
    );
}

#[test]
fn a_read_only_user_sees_a_forbidden_kind_as_unknown_not_empty() {
    let output = aigov()
        .args([
            "--demo",
            "--context",
            "aigov-demo-readonly",
            "inventory",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let unreadable = json["unreadable"].as_array().unwrap();
    assert_eq!(unreadable.len(), 1, "{unreadable:?}");
    assert_eq!(unreadable[0]["kind"], "Secret");
    assert_eq!(unreadable[0]["state"], "unknown");
    assert!(
        unreadable[0]["reason"]
            .as_str()
            .unwrap()
            .contains("forbidden")
    );
    let table = aigov()
        .args(["--demo", "--context", "aigov-demo-readonly", "inventory"])
        .output()
        .unwrap();
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.contains("COULD NOT READ"), "{text}");
}

#[test]
fn a_missing_kubeconfig_is_one_line_and_exit_2() {
    let output = aigov()
        .args(["--kubeconfig", "/nonexistent/config", "inventory"])
        .output()
        .unwrap();
    let err = one_line_error(&output);
    assert!(
        err.contains("/nonexistent/config") && err.contains("no such file"),
        "{err}"
    );
    let output = aigov().arg("inventory").output().unwrap();
    let err = one_line_error(&output);
    assert!(
        err.contains("no kubeconfig found") && err.contains("KUBECONFIG"),
        "{err}"
    );
}

#[test]
fn an_unparsable_kubeconfig_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(&path, "clusters: [\n  - {unterminated").unwrap();
    let output = aigov()
        .arg("--kubeconfig")
        .arg(&path)
        .arg("inventory")
        .output()
        .unwrap();
    let err = one_line_error(&output);
    assert!(err.contains("cannot read kubeconfig"), "{err}");
}

#[test]
fn an_unknown_context_lists_the_known_ones() {
    let served = serve(&[]);
    let output = aigov()
        .arg("--kubeconfig")
        .arg(&served.kubeconfig)
        .args(["--context", "prod", "inventory"])
        .output()
        .unwrap();
    let err = one_line_error(&output);
    assert!(err.contains("context \"prod\" not found"), "{err}");
    assert!(
        err.contains("aigov-demo-admin, aigov-demo-readonly"),
        "{err}"
    );
}

#[test]
fn a_server_that_accepts_and_never_answers_fails_within_the_timeout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accept connections and hold them open without a byte in reply.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(
        &path,
        kubeconfig_text(&format!("https://127.0.0.1:{port}"), None, "t"),
    )
    .unwrap();
    let started = Instant::now();
    let output = aigov()
        .arg("--kubeconfig")
        .arg(&path)
        .args(["--timeout", "2s", "inventory"])
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let err = one_line_error(&output);
    assert!(err.contains("cannot reach") && err.contains("2s"), "{err}");
    assert!(
        elapsed < Duration::from_secs(3),
        "took {elapsed:?}, more than the timeout plus 1 s"
    );
}

#[test]
fn a_refused_connection_is_unreachable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(
        &path,
        kubeconfig_text(&format!("https://127.0.0.1:{port}"), None, "t"),
    )
    .unwrap();
    let err = one_line_error(
        &aigov()
            .arg("--kubeconfig")
            .arg(&path)
            .arg("inventory")
            .output()
            .unwrap(),
    );
    assert!(err.contains("cannot reach"), "{err}");
}

#[test]
fn a_certificate_from_another_ca_is_a_tls_error() {
    let served = serve(&[]);
    let other = serve(&[]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    let text = kubeconfig_text(
        &served.url,
        Some(&ca_data_of(&other)),
        &token_of(&served, "aigov-demo-admin"),
    );
    std::fs::write(&path, text).unwrap();
    let err = one_line_error(
        &aigov()
            .arg("--kubeconfig")
            .arg(&path)
            .arg("inventory")
            .output()
            .unwrap(),
    );
    assert!(err.contains("TLS"), "{err}");
}

#[test]
fn a_wrong_token_is_401_with_a_next_step() {
    let served = serve(&[]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(
        &path,
        kubeconfig_text(&served.url, Some(&ca_data_of(&served)), "not-a-valid-token"),
    )
    .unwrap();
    let err = one_line_error(
        &aigov()
            .arg("--kubeconfig")
            .arg(&path)
            .arg("inventory")
            .output()
            .unwrap(),
    );
    assert!(
        err.contains("401") && err.contains("rejected the credentials"),
        "{err}"
    );
}

#[test]
fn a_user_refused_everything_gets_one_line_and_exit_2() {
    let served = serve(&[]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    // The admin token impersonating a user no binding names: every list is refused with 403.
    let text = kubeconfig_text(
        &served.url,
        Some(&ca_data_of(&served)),
        &token_of(&served, "aigov-demo-admin"),
    )
    .replace("    token: ", "    as: nobody@example.com\n    token: ");
    std::fs::write(&path, text).unwrap();
    let err = one_line_error(
        &aigov()
            .arg("--kubeconfig")
            .arg(&path)
            .arg("inventory")
            .output()
            .unwrap(),
    );
    assert!(
        err.contains("nothing could be read") && err.contains("403 Forbidden"),
        "{err}"
    );
    assert!(err.contains("nobody@example.com"), "{err}");
}

#[test]
fn secret_values_and_kubeconfig_tokens_never_appear_in_output_or_logs() {
    let served = serve(&[]);
    let token = token_of(&served, "aigov-demo-admin");
    let canaries = [
        "AIGOV-CANARY-SECRET-7f3a9c",
        "QUlHT1YtQ0FOQVJZLVNFQ1JFVC03ZjNhOWM",
        token.as_str(),
    ];
    for format in ["table", "json"] {
        let output = aigov()
            .env("AIGOV_LOG", "trace")
            .arg("--kubeconfig")
            .arg(&served.kubeconfig)
            .args(["inventory", "--format", format])
            .output()
            .unwrap();
        assert!(output.status.success());
        let mut all = String::from_utf8_lossy(&output.stdout).into_owned();
        all.push_str(&String::from_utf8_lossy(&output.stderr));
        assert!(
            !output.stderr.is_empty(),
            "trace logging produced output to check"
        );
        for canary in canaries {
            assert!(
                !all.contains(canary),
                "{canary:?} leaked in {format} output"
            );
        }
    }
}

#[test]
fn sim_serve_prints_its_address_and_writes_a_private_kubeconfig() {
    let served = serve(&["--scale", "100"]);
    assert!(served.url.starts_with("https://127.0.0.1:"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&served.kubeconfig)
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
    let mut text = String::new();
    std::fs::File::open(&served.kubeconfig)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    assert!(text.contains("current-context: aigov-demo-admin"));
    assert!(text.contains("name: aigov-demo-readonly"));
}
