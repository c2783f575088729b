//! Every headless command that talks to a cluster, against a server that accepts TCP
//! connections and never sends a byte: with `--timeout 2s` each must end within the timeout
//! plus one second, with exit code 2 and one clear line on stderr (no panic, no backtrace).
//! The console (`aigov` with no subcommand) is checked too: off a terminal it refuses before
//! connecting; in a terminal (tmux, skipped when missing) it draws `connecting…` at once,
//! connects in the background and leaves within the same bound with the same one line.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::serve::aigov_binary;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The `--timeout` every command gets, and the most it may take beyond it.
const TIMEOUT: Duration = Duration::from_secs(2);
const GRACE: Duration = Duration::from_secs(1);

/// A listener that accepts every connection and holds it open without reading or writing.
/// Returns its port; the thread lives as long as the test process.
fn silent_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    port
}

fn kubeconfig(dir: &Path, port: u16) -> std::path::PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: silent\n  cluster:\n    server: https://127.0.0.1:{port}\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: silent\n  context: {{cluster: silent, user: u}}\ncurrent-context: silent\n"
        ),
    )
    .unwrap();
    path
}

/// Run aigov with `args` against the silent server; the output and how long it took.
fn run(kubeconfig: &Path, data_dir: &Path, args: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let output = Command::new(aigov_binary())
        .env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent-home")
        .env("AIGOV_DATA_DIR", data_dir)
        .env_remove("RUST_BACKTRACE")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["--timeout", "2s"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (output, started.elapsed())
}

/// Exit code 2 and exactly one `aigov: ` line on stderr, with no panic or backtrace.
fn assert_one_line_error(args: &[&str], output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(2),
        "aigov {args:?}: exit code 2; stderr: {stderr}"
    );
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "aigov {args:?}: one line: {stderr:?}"
    );
    assert!(stderr.starts_with("aigov: "), "aigov {args:?}: {stderr}");
    for bad in ["panicked", "backtrace", "internal error"] {
        assert!(!stderr.contains(bad), "aigov {args:?}: {stderr}");
    }
    stderr
}

/// Every subcommand that connects to the cluster, with arguments that pass validation.
fn cluster_commands(export_to: &str) -> Vec<Vec<String>> {
    let commands: Vec<Vec<&str>> = vec![
        vec!["inventory"],
        vec!["audit"],
        vec!["audit", "--offline"],
        vec!["images"],
        vec!["who-can", "get", "pods", "-n", "default"],
        vec!["can-i", "get", "pods", "--as", "alice"],
        vec!["reach", "pvc/data", "-n", "default"],
        vec!["plan", "stage", "AIGOV-NS-003:Namespace//notebooks#"],
        vec!["plan", "show"],
        vec!["plan", "review"],
        vec![
            "plan",
            "apply",
            "--reason",
            "testing an unresponsive server",
            "--yes",
        ],
        vec!["plan", "revert", "c1"],
        vec!["plan", "export", export_to],
        vec!["baseline", "save"],
        vec!["baseline", "accept", "AIGOV-CFG-003:ConfigMap/ns/name#"],
    ];
    commands
        .into_iter()
        .map(|c| c.into_iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn every_cluster_command_gives_up_within_the_timeout_with_one_line() {
    let port = silent_server();
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig(dir.path(), port);
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let export_to = dir.path().join("plan.yaml").display().to_string();
    let mut slowest = Duration::ZERO;
    for command in cluster_commands(&export_to) {
        let args: Vec<&str> = command.iter().map(String::as_str).collect();
        let (output, elapsed) = run(&config, &data, &args);
        let stderr = assert_one_line_error(&args, &output);
        eprintln!(
            "unresponsive server: aigov --timeout 2s {:<50} exit {:?} after {:>5} ms: {}",
            args.join(" "),
            output.status.code(),
            elapsed.as_millis(),
            stderr.trim_end()
        );
        assert!(
            stderr.contains("cannot reach") && stderr.contains("2s"),
            "aigov {args:?} names the unreachable server and the deadline: {stderr}"
        );
        assert!(
            elapsed < TIMEOUT + GRACE,
            "aigov {args:?} took {elapsed:?}, more than the timeout plus {GRACE:?}"
        );
        slowest = slowest.max(elapsed);
    }
    eprintln!(
        "unresponsive server: slowest command {} ms (bound {} ms)",
        slowest.as_millis(),
        (TIMEOUT + GRACE).as_millis()
    );
    assert!(
        !data.join("audit").join("audit.jsonl").exists()
            || std::fs::read_to_string(data.join("audit").join("audit.jsonl"))
                .unwrap()
                .is_empty(),
        "nothing reached the audit log: no session was opened without a connection"
    );
}

#[test]
fn the_console_off_a_terminal_refuses_before_connecting() {
    let port = silent_server();
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig(dir.path(), port);
    for args in [&[][..], &["--guided"][..]] {
        let (output, elapsed) = run(&config, dir.path(), args);
        let stderr = assert_one_line_error(args, &output);
        eprintln!(
            "unresponsive server: aigov --timeout 2s {} (no terminal) exit {:?} after {} ms: {}",
            args.join(" "),
            output.status.code(),
            elapsed.as_millis(),
            stderr.trim_end()
        );
        assert!(stderr.contains("needs a terminal"), "{stderr}");
        assert!(elapsed < GRACE, "refused at once, took {elapsed:?}");
    }
}

/// tmux on its own socket, so the test neither sees nor disturbs other sessions.
fn tmux(args: &[&str]) -> Option<String> {
    let out = Command::new("tmux")
        .args(["-L", "aigov-unresponsive"])
        .args(args)
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn the_console_in_a_terminal_draws_first_then_leaves_within_the_timeout_with_one_line() {
    if tmux(&["-V"]).is_none_or(|v| v.is_empty()) {
        eprintln!("SKIPPED the console in a terminal: tmux is not on PATH");
        return;
    }
    let port = silent_server();
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig(dir.path(), port);
    let status = dir.path().join("status");
    let session = format!("unresponsive-{}", std::process::id());
    // The shell records when aigov starts and ends (ms since the epoch) and its exit code.
    let script = format!(
        "s=$(date +%s%3N); AIGOV_CONFIG_DIR={d} AIGOV_DATA_DIR={d} {bin} --kubeconfig {kc} --timeout 2s; c=$?; e=$(date +%s%3N); echo \"$c $((e - s))\" > {status}; sleep 30",
        d = dir.path().display(),
        bin = aigov_binary().display(),
        kc = config.display(),
        status = status.display(),
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "200",
        "-y",
        "40",
        &script,
    ]);
    let started = Instant::now();
    let mut drew_at = None;
    let result = loop {
        let screen = tmux(&["capture-pane", "-p", "-t", &session]).unwrap_or_default();
        if drew_at.is_none() && screen.contains("connecting") {
            drew_at = Some(started.elapsed());
        }
        if let Ok(text) = std::fs::read_to_string(&status)
            && let Some((code, ms)) = text.trim().split_once(' ')
        {
            break (
                code.parse::<i32>().unwrap(),
                ms.parse::<u64>().unwrap(),
                screen,
            );
        }
        if started.elapsed() > Duration::from_secs(20) {
            tmux(&["kill-session", "-t", &session]);
            panic!("the console did not leave within 20 s:\n{screen}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    tmux(&["kill-session", "-t", &session]);
    let (code, ms, screen) = result;
    let errors: Vec<&str> = screen.lines().filter(|l| l.starts_with("aigov:")).collect();
    eprintln!(
        "unresponsive server: aigov --timeout 2s (console in tmux) drew `connecting…` after {} ms, exit {code} after {ms} ms: {}",
        drew_at.map_or(-1, |d| d.as_millis() as i64),
        errors.join(" ")
    );
    assert!(
        drew_at.is_some(),
        "the console drew before connecting:\n{screen}"
    );
    assert_eq!(code, 2, "{screen}");
    assert!(
        Duration::from_millis(ms) < TIMEOUT + GRACE,
        "the console took {ms} ms"
    );
    assert_eq!(errors.len(), 1, "one error line:\n{screen}");
    assert!(errors[0].contains("cannot reach"), "{screen}");
    assert!(!screen.contains("panicked"), "{screen}");
}
