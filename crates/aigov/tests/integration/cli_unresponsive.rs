//! Every headless command that talks to a cluster, against a server that accepts TCP
//! connections and never sends a byte: with `--timeout 2s` each must end within the timeout
//! plus one second, with exit code 2 and one clear line on stderr (no panic, no backtrace).
//! The console (`aigov` with no subcommand) is checked too: off a terminal it refuses before
//! connecting, before even reading the kubeconfig; in a terminal (tmux, skipped when missing)
//! it draws `connecting…` at once, connects in the background and leaves within the same
//! bound with the same one line.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::serve::aigov_command;
use common::tmux::Session;
use std::net::TcpListener;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Output;
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

/// How long a command may run before it is killed: well past `TIMEOUT + GRACE`, so only a
/// command with no deadline at all (the bug this file exists for) ever reaches it.
const KILL_AFTER: Duration = Duration::from_secs(TIMEOUT.as_secs() + GRACE.as_secs() + 10);
/// The signal assert_cmd's timeout kills with.
const SIGKILL: i32 = 9;

/// Run aigov with `args` against the silent server; the output and how long it took. A
/// command still running after `KILL_AFTER` is killed and the test fails, rather than hang.
fn run(kubeconfig: &Path, data_dir: &Path, args: &[&str]) -> (Output, Duration) {
    let mut command = aigov_command(data_dir);
    command
        .env_remove("RUST_BACKTRACE")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["--timeout", "2s"])
        .args(args);
    let started = Instant::now();
    // assert_cmd always pipes stdin; an empty input closes it at once, as /dev/null reads.
    let output = assert_cmd::Command::from_std(command)
        .write_stdin(Vec::<u8>::new())
        .timeout(KILL_AFTER)
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    assert!(
        !(output.status.signal() == Some(SIGKILL) && elapsed >= KILL_AFTER),
        "aigov {args:?} was still running after {elapsed:?} and had to be killed: it has no deadline (--timeout 2s); stderr so far: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (output, elapsed)
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
fn cluster_commands(export_to: &str) -> Vec<Vec<&str>> {
    vec![
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
    ]
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
    for args in cluster_commands(&export_to) {
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
    let silent = kubeconfig(dir.path(), port);
    // And before reading the kubeconfig: a missing one makes no other error.
    let missing = dir.path().join("no-such-kubeconfig");
    for config in [&silent, &missing] {
        for args in [&[][..], &["--guided"][..]] {
            let (output, elapsed) = run(config, dir.path(), args);
            let stderr = assert_one_line_error(args, &output);
            eprintln!(
                "unresponsive server: aigov --kubeconfig {} --timeout 2s {} (no terminal) exit {:?} after {} ms: {}",
                config.display(),
                args.join(" "),
                output.status.code(),
                elapsed.as_millis(),
                stderr.trim_end()
            );
            assert!(stderr.contains("needs a terminal"), "{stderr}");
            assert!(elapsed < GRACE, "refused at once, took {elapsed:?}");
        }
    }
}

#[test]
fn the_console_in_a_terminal_draws_first_then_leaves_within_the_timeout_with_one_line() {
    let port = silent_server();
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig(dir.path(), port);
    let Some(s) = Session::start(
        "unresponsive",
        &format!("--kubeconfig {} --timeout 2s", config.display()),
    ) else {
        return;
    };
    let started = Instant::now();
    // Drawn while it connects (and gone once it has left the alternate screen).
    s.wait_for("connecting");
    let drew_at = started.elapsed();
    let code = s.status();
    let ran = s
        .elapsed()
        .expect("the shell recorded how long the console ran");
    let screen = s.wait_for("TERMINAL-RESTORED");
    let errors: Vec<&str> = screen.lines().filter(|l| l.starts_with("aigov:")).collect();
    eprintln!(
        "unresponsive server: aigov --timeout 2s (console in tmux) drew `connecting…` after {} ms, exit {code:?} after {} ms: {}",
        drew_at.as_millis(),
        ran.as_millis(),
        errors.join(" ")
    );
    assert_eq!(code, Some(2), "{screen}");
    assert!(
        ran < TIMEOUT + GRACE,
        "the console took {ran:?}, more than the timeout plus {GRACE:?}"
    );
    assert_eq!(errors.len(), 1, "one error line:\n{screen}");
    assert!(errors[0].contains("cannot reach"), "{screen}");
    assert!(!screen.contains("panicked"), "{screen}");
}
