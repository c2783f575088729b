//! The real binary in a real terminal (tmux): start `aigov demo`, switch views, filter, open
//! help and the detail pane, quit; check the screen, the exit status, that the terminal is
//! restored, and that the raw bytes written never carry the demo's hostile control sequences;
//! with `--read-pull-secrets`, that the read is recorded and no pull secret is shown.
//! Skipped, by name, when tmux is not on PATH (`.ci/run` installs it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::serve::run_aigov;
use common::tmux::Session;
use std::path::Path;

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn the_console_on_the_demo_switches_views_filters_shows_help_and_quits() {
    let Some(s) = Session::start("console", "demo") else {
        return;
    };
    let first = s.wait_for("refreshed");
    assert!(
        first.contains("AI namespaces") && first.contains("ml-training"),
        "{first}"
    );
    s.keys(&["7"]);
    s.wait_for("Findings [");
    s.keys(&["/"]);
    s.literal("hf_token");
    let filtered = s.wait_for("/hf_token");
    assert!(filtered.contains("HF_TOKEN"), "{filtered}");
    assert!(
        !filtered.contains("AIGOV-RBAC-004"),
        "the filter hides other findings:\n{filtered}"
    );
    s.keys(&["Enter", "Enter"]);
    s.wait_for("How to fix");
    s.keys(&["Escape", "Escape", "?"]);
    let help = s.wait_for("Everywhere");
    assert!(
        help.contains("command palette") && help.contains("Findings view"),
        "{help}"
    );
    s.keys(&["x", "2"]);
    s.wait_for("Namespaces [");
    // Open ml-training's detail, which shows the demo's hostile event, sanitised.
    s.keys(&["/"]);
    s.literal("ml-training");
    s.keys(&["Enter", "Enter"]);
    let detail = s.wait_for("Recent events");
    assert!(
        detail.contains("^[[2J"),
        "the escape sequence is drawn visible:\n{detail}"
    );
    // And the training pod's hostile annotation, in the Images view's detail pane.
    s.keys(&["Escape", "Escape", "5"]);
    s.wait_for("Images [");
    s.keys(&["/"]);
    s.literal("resnet50");
    s.keys(&["Enter", "Enter"]);
    let images = s.wait_for("Pod annotations");
    assert!(images.contains("^[[2J^[]52;c;"), "{images}");
    s.keys(&[":"]);
    s.literal("q");
    s.keys(&["Enter"]);
    assert_eq!(s.status(), Some(0), "the console exits 0");
    s.wait_for("TERMINAL-RESTORED");
    let raw = s.raw();
    assert!(!raw.is_empty(), "the raw output was recorded");
    assert!(
        !contains(&raw, b"\x1b]52;"),
        "no OSC 52 from the data reached the terminal"
    );
    assert!(
        !contains(&raw, "\u{202e}".as_bytes()),
        "no bidi override reached the terminal"
    );
    assert!(
        !contains(&raw, "\u{9b}".as_bytes()),
        "no C1 CSI reached the terminal"
    );
}

#[test]
fn ctrl_c_quits_and_restores_the_terminal() {
    let Some(s) = Session::start("ctrlc", "demo --read-only") else {
        return;
    };
    let screen = s.wait_for("refreshed");
    assert!(
        screen.contains("READ-ONLY"),
        "the read-only badge shows:\n{screen}"
    );
    s.keys(&["C-c"]);
    assert_eq!(s.status(), Some(0));
    s.wait_for("TERMINAL-RESTORED");
}

#[test]
fn a_bad_kubeconfig_in_a_terminal_leaves_with_one_line_and_exit_2() {
    let Some(s) = Session::start("badconfig", "--kubeconfig /nonexistent/kubeconfig") else {
        return;
    };
    assert_eq!(s.status(), Some(2));
    let screen = s.wait_for("TERMINAL-RESTORED");
    let errors: Vec<&str> = screen.lines().filter(|l| l.starts_with("aigov:")).collect();
    assert_eq!(errors.len(), 1, "one error line:\n{screen}");
    assert!(errors[0].contains("/nonexistent/kubeconfig"), "{screen}");
    assert!(!screen.contains("panicked"), "{screen}");
}

#[test]
fn a_panic_in_the_console_restores_the_terminal_and_prints_one_line() {
    // The test binary is a debug build, which honours AIGOV_TEST_PANIC_IN_CONSOLE.
    let Some(s) = Session::start_with_env("panic", "AIGOV_TEST_PANIC_IN_CONSOLE=1", "demo") else {
        return;
    };
    assert_eq!(s.status(), Some(2));
    let screen = s.wait_for("TERMINAL-RESTORED");
    assert!(!screen.contains("stack backtrace"), "{screen}");
    let lines: Vec<&str> = screen.lines().filter(|l| l.starts_with("aigov:")).collect();
    assert_eq!(lines.len(), 1, "{screen}");
}

#[test]
fn the_audit_log_view_shows_a_verified_log_and_refuses_a_tampered_one() {
    use aigov_audit::{AuditLog, Entry, EntryKind};
    let write_log = |dir: &Path| {
        let mut log = AuditLog::open(dir.join("audit").join("audit.jsonl")).unwrap();
        for verb in ["stage", "patch"] {
            log.append(
                Entry::new(EntryKind::Intent)
                    .user("ops@example.com")
                    .verb(verb),
            )
            .unwrap();
        }
    };
    let Some(s) = Session::start_prepared("auditlog", "", "demo", write_log) else {
        return;
    };
    s.wait_for("refreshed");
    s.keys(&["8"]);
    let screen = s.wait_for("chain OK, 2 entries");
    assert!(
        screen.contains("ops@example.com") && screen.contains("patch"),
        "{screen}"
    );
    s.keys(&["Enter"]);
    s.wait_for("\"prev\"");
    // Tamper with the first line, then read again with r.
    let path = s.dir.path().join("audit").join("audit.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replacen("ops@example.com", "eve@example.com", 1),
    )
    .unwrap();
    s.keys(&["Escape", "r"]);
    let screen = s.wait_for("cannot be trusted");
    assert!(screen.contains("line 1"), "{screen}");
    s.keys(&["q"]);
    assert_eq!(s.status(), Some(0));
}

#[test]
fn a_fix_is_staged_reviewed_justified_confirmed_applied_and_audited() {
    let Some(s) = Session::start("plan", "demo") else {
        return;
    };
    s.wait_for("refreshed");
    s.keys(&["7", "/"]);
    s.literal("NS-003 notebooks");
    s.keys(&["Enter"]);
    s.wait_for("/NS-003 notebooks");
    s.keys(&["s"]);
    s.wait_for("staged c1");
    s.keys(&["p"]);
    s.wait_for("Staged changes [1]");
    s.keys(&["v"]);
    let review = s.wait_for("+++ dry-run");
    assert!(
        review.contains("+    pod-security.kubernetes.io/enforce: baseline"),
        "{review}"
    );
    s.keys(&["a"]);
    s.wait_for("Justification");
    s.literal("CIS 5.2: enforce PSA on notebooks");
    s.keys(&["C-s"]);
    let confirm = s.wait_for("Apply c1 to the cluster?");
    assert!(
        confirm.contains("object:  Namespace notebooks"),
        "{confirm}"
    );
    s.keys(&["a"]);
    s.wait_for("applied, verified");
    s.keys(&["Escape", ":"]);
    let export = s.dir.path().join("plan.yaml");
    s.literal(&format!("export {}", export.display()));
    s.keys(&["Enter"]);
    s.wait_for("wrote the plan (1 changes)");
    s.keys(&["q"]);
    assert_eq!(s.status(), Some(0));
    let plan = aigov_remediation::plan::Plan::parse(
        &std::fs::read_to_string(&export).unwrap(),
        "plan.yaml",
    )
    .unwrap();
    assert_eq!(plan.changes.len(), 1);
    // The audit trail of that session verifies: session start, stage, dry run, intent,
    // result, export and session end.
    let (code, stdout, stderr) = run_aigov(s.dir.path(), &["log", "verify"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    // Framed by the console session's start and end.
    assert!(stdout.starts_with("OK: 7 entries"), "{stdout}");
}

#[test]
fn the_demo_registry_answers_in_the_background_and_moved_tags_show_in_images() {
    let Some(s) = Session::start("registry", "demo") else {
        return;
    };
    s.wait_for("refreshed");
    s.keys(&["5"]);
    s.wait_for("Images [");
    // The look-ups run after the first load; the columns appear with their answers.
    let screen = s.wait_for("MOVED");
    assert!(
        screen.contains("REGISTRY") && screen.contains("CHECKED"),
        "{screen}"
    );
    let moved = screen
        .lines()
        .find(|l| l.contains("vllm") && l.contains("MOVED"))
        .unwrap_or_else(|| panic!("the vLLM tag moved under its pods:\n{screen}"));
    assert!(moved.contains("llm-inference"), "{moved}");
    s.keys(&["q"]);
    assert_eq!(s.status(), Some(0));
    assert!(
        pull_secret_notes(s.dir.path()).is_empty(),
        "pull secrets were read without --read-pull-secrets"
    );
}

/// The `pull_secrets_read` notes in the session's audit log.
fn pull_secret_notes(dir: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("audit").join("audit.jsonl")).unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["kind"] == "note" && e["details"]["event"] == "pull_secrets_read")
        .collect()
}

#[test]
fn with_read_pull_secrets_the_console_records_the_read_and_shows_no_secret() {
    let Some(s) = Session::start("pullsecrets", "demo --read-pull-secrets") else {
        return;
    };
    s.wait_for("refreshed");
    s.keys(&["5"]);
    s.wait_for("MOVED");
    s.keys(&["q"]);
    assert_eq!(s.status(), Some(0));
    let notes = pull_secret_notes(s.dir.path());
    assert_eq!(notes.len(), 1, "{notes:?}");
    let secrets = &notes[0]["details"]["secrets"];
    assert!(
        secrets
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s == "llm-inference/registry-pull-secret")),
        "{secrets}"
    );
    // The demo's pull secrets (src/sim/demo/*.yaml): each `.dockerconfigjson` whole, and
    // each registry's password and base64 `auth`, read from the demo data itself.
    let raw = s.raw();
    let log = std::fs::read(s.dir.path().join("audit").join("audit.jsonl")).unwrap();
    let secrets = demo_pull_secret_values();
    for password in ["Qm7rT2vX9bN4kP6w", "Vt4nW8cQ2hJ6yK1s", "8fK2pQ7xLm3vR9tZ"] {
        assert!(
            secrets.iter().any(|(_, v)| v == password),
            "the demo's pull secrets hold {password}: {secrets:?}"
        );
    }
    assert!(
        secrets.iter().filter(|(what, _)| what == "auth").count() >= 3,
        "an auth per demo pull secret: {secrets:?}"
    );
    for (what, value) in &secrets {
        assert!(
            !contains(&raw, value.as_bytes()),
            "{what} {value} on screen"
        );
        assert!(
            !contains(&log, value.as_bytes()),
            "{what} {value} in the log"
        );
    }
    let (code, out, err) = run_aigov(s.dir.path(), &["log", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
}

/// Every pull secret in the demo's manifests (`src/sim/demo/*.yaml`), as (what, value): the
/// `.dockerconfigjson` data as stored (base64), and each registry's `password` and `auth`
/// once it is decoded.
fn demo_pull_secret_values() -> Vec<(String, String)> {
    use base64::Engine;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../aigov-sim/src/demo");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let mut values = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for line in text.lines() {
            let Some(data) = line.trim().strip_prefix(".dockerconfigjson:") else {
                continue;
            };
            let data = data.trim().trim_matches(['"', '\'']);
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(data)
                .unwrap_or_else(|e| panic!("{}: .dockerconfigjson: {e}", file.display()));
            let config: serde_json::Value = serde_json::from_slice(&decoded).unwrap();
            values.push((".dockerconfigjson".to_string(), data.to_string()));
            let auths = config["auths"].as_object().expect("an auths object");
            for entry in auths.values() {
                for field in ["password", "auth"] {
                    if let Some(value) = entry[field].as_str() {
                        values.push((field.to_string(), value.to_string()));
                    }
                }
            }
        }
    }
    values
}
