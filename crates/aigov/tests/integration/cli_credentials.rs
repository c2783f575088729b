//! Credentials the kubeconfig makes aigov handle, through the real binary against
//! the simulator: an `exec` credential plugin runs only with consent (asked on a terminal,
//! given by `--allow-exec`, remembered 0600 per command, arguments and kubeconfig), never
//! through a shell, with its stderr kept off the screen; a failing or hanging plugin is one
//! line and exit 2. A context with `insecure-skip-tls-verify` is warned about, and writes to
//! it are refused unless `--allow-insecure-apply`, which the audit log records.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::TestSim;
use common::tmux::Session;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The simulator's server, CA (base64) and admin token.
fn sim_parts(t: &TestSim) -> (String, String, String) {
    use base64::Engine;
    (
        t.sim.url(),
        base64::engine::general_purpose::STANDARD.encode(&t.sim.ca_pem),
        t.sim.admin_token.clone(),
    )
}

/// A credential plugin: records its arguments in `ran`, writes a hostile line to stderr, then
/// prints an ExecCredential with `token` (or fails, or hangs, as `behaviour` says).
fn write_plugin(dir: &Path, token: &str, behaviour: &str) -> PathBuf {
    let path = dir.join("plugin.sh");
    let ran = dir.join("ran");
    let body = match behaviour {
        "fail" => "echo '{\"status\":{\"token\":\"stdout-must-not-show\"}}'; exit 3".to_string(),
        "hang" => "sleep 30".to_string(),
        _ => format!(
            "echo '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"{token}\"}}}}'"
        ),
    };
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\" >> {ran}; done\nprintf 'plugin says \\033]52;c;aGk=\\007 hello\\n' >&2\n{body}\n",
            ran = ran.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    path
}

/// A kubeconfig whose only context reaches the simulator through `user` (YAML, indented).
fn write_kubeconfig(dir: &Path, server: &str, cluster_extra: &str, user: &str) -> PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {server}\n{cluster_extra}users:\n- name: u\n  user:\n{user}contexts:\n- name: prod\n  context: {{cluster: c, user: u}}\ncurrent-context: prod\n"
        ),
    )
    .unwrap();
    path
}

fn exec_user(plugin: &Path, args: &[&str]) -> String {
    let args = args
        .iter()
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n      args: [{args}]\n      interactiveMode: IfAvailable\n",
        plugin.display()
    )
}

fn aigov(kubeconfig: &Path, data: &Path, args: &[&str]) -> (i32, String, String) {
    let kubeconfig = kubeconfig.display().to_string();
    common::serve::run_aigov(
        data,
        &[&["--kubeconfig", kubeconfig.as_str()], args].concat(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exec_plugin_runs_only_with_consent_and_without_a_shell() {
    let t = common::demo_sim().await;
    let (server, ca, token) = sim_parts(&t);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let plugin = write_plugin(dir.path(), &token, "ok");
    let ca_line = format!("    certificate-authority-data: {ca}\n");
    // `$(...)` and `;` would do something through a shell; given directly they are just text.
    let args = ["get-token", "--name", "$(touch pwned); x"];
    let kubeconfig = write_kubeconfig(dir.path(), &server, &ca_line, &exec_user(&plugin, &args));
    let ran = dir.path().join("ran");

    // No terminal and no consent: refused before the plugin runs.
    let (code, out, err) = aigov(&kubeconfig, &data, &["inventory"]);
    assert_eq!(code, 2, "{out}{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("--allow-exec") && err.contains(&plugin.display().to_string()),
        "{err}"
    );
    assert!(!ran.exists(), "the plugin ran without consent");

    // --allow-exec: it runs, directly, and the consent is remembered 0600.
    let (code, out, err) = aigov(&kubeconfig, &data, &["--allow-exec", "inventory"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("aigov-demo-admin"), "{out}");
    // kube asks the plugin once per credential it builds (TLS identity, then the token).
    let argv = std::fs::read_to_string(&ran).unwrap();
    let argv: Vec<&str> = argv.lines().collect();
    assert!(!argv.is_empty());
    for run in argv.chunks(args.len()) {
        assert_eq!(run, args, "arguments reach the plugin verbatim");
    }
    assert!(!dir.path().join("pwned").exists() && !Path::new("pwned").exists());
    assert!(
        !err.contains("plugin says") && !out.contains("plugin says"),
        "{err}"
    );
    let consent = data.join("consent.json");
    let stored = std::fs::read_to_string(&consent).unwrap();
    assert!(stored.contains("\"given_by\": \"flag\""), "{stored}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&consent).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Remembered: no flag needed now.
    let (code, out, err) = aigov(&kubeconfig, &data, &["inventory"]);
    assert_eq!(code, 0, "{out}{err}");

    // A changed argument is another program: asked about again.
    let changed = write_kubeconfig(
        dir.path(),
        &server,
        &ca_line,
        &exec_user(&plugin, &["get-token", "--name", "other"]),
    );
    let (code, _, err) = aigov(&changed, &data, &["inventory"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--allow-exec"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_or_hanging_plugin_is_one_sanitised_line_and_exit_2() {
    let t = common::demo_sim().await;
    let (server, ca, token) = sim_parts(&t);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ca_line = format!("    certificate-authority-data: {ca}\n");

    let failing = write_plugin(dir.path(), &token, "fail");
    let kubeconfig = write_kubeconfig(dir.path(), &server, &ca_line, &exec_user(&failing, &[]));
    let (code, out, err) = aigov(&kubeconfig, &data, &["--allow-exec", "inventory"]);
    assert_eq!(code, 2, "{out}{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("the credential plugin failed"), "{err}");
    assert!(
        err.contains("plugin says"),
        "the plugin's stderr is the reason: {err}"
    );
    assert!(!err.contains('\x1b') && !err.contains('\x07'), "{err:?}");
    assert!(!err.contains("stdout-must-not-show"), "{err}");

    let hanging = write_plugin(dir.path(), &token, "hang");
    let kubeconfig = write_kubeconfig(dir.path(), &server, &ca_line, &exec_user(&hanging, &["h"]));
    let started = Instant::now();
    let (code, _, err) = aigov(
        &kubeconfig,
        &data,
        &["--allow-exec", "--timeout", "2s", "inventory"],
    );
    let elapsed = started.elapsed();
    println!("a hanging credential plugin failed the command in {elapsed:?} (--timeout 2s)");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no answer within 2s"), "{err}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_asks_on_the_terminal_before_it_starts() {
    let t = common::demo_sim().await;
    let (server, ca, token) = sim_parts(&t);
    let dir = tempfile::tempdir().unwrap();
    let plugin = write_plugin(dir.path(), &token, "ok");
    let ca_line = format!("    certificate-authority-data: {ca}\n");
    let kubeconfig = write_kubeconfig(dir.path(), &server, &ca_line, &exec_user(&plugin, &["t"]));
    let Some(s) = Session::start(
        "exec-consent",
        &format!("--kubeconfig {}", kubeconfig.display()),
    ) else {
        return;
    };
    let prompt = s.wait_for("[y/N]");
    assert!(prompt.contains(&plugin.display().to_string()), "{prompt}");
    assert!(!dir.path().join("ran").exists(), "it ran before the answer");
    s.keys(&["y", "Enter"]);
    let screen = s.wait_for("refreshed");
    assert!(screen.contains("ctx prod"), "{screen}");
    assert!(
        !screen.contains("plugin says"),
        "the plugin's stderr was painted: {screen}"
    );
    s.keys(&["q"]);
    assert_eq!(s.status(), Some(0));
    let stored = std::fs::read_to_string(s.dir.path().join("consent.json")).unwrap();
    assert!(stored.contains("\"given_by\": \"prompt\""), "{stored}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unverified_server_is_warned_about_and_not_written_to_without_the_flag() {
    let t = common::demo_sim().await;
    let (server, _, token) = sim_parts(&t);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let kubeconfig = write_kubeconfig(
        dir.path(),
        &server,
        "    insecure-skip-tls-verify: true\n",
        &format!("    token: {token}\n"),
    );
    let run = |args: &[&str]| aigov(&kubeconfig, &data, args);
    let finding = "AIGOV-NS-003:Namespace//notebooks#";

    let (code, _, err) = run(&["inventory"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("skips TLS verification") && err.contains("--allow-insecure-apply"),
        "{err}"
    );
    let (code, out, err) = run(&["plan", "stage", finding]);
    assert_eq!(code, 0, "{out}{err}");
    let writes_before = t.sim.committed_writes();
    let (code, out, err) = run(&[
        "plan",
        "apply",
        "--reason",
        "enforce PSA on notebooks",
        "--yes",
    ]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("--allow-insecure-apply"), "{err}");
    assert_eq!(
        t.sim.committed_writes(),
        writes_before,
        "a write reached the server"
    );

    let (code, out, err) = run(&[
        "--allow-insecure-apply",
        "plan",
        "apply",
        "--reason",
        "enforce PSA on notebooks",
        "--yes",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("applied"), "{out}");
    let log = std::fs::read_to_string(data.join("audit").join("audit.jsonl")).unwrap();
    let starts: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|e: &serde_json::Value| e["kind"] == "session_start")
        .collect();
    let last = starts.last().unwrap();
    assert_eq!(last["details"]["allow_insecure_apply"], true, "{last}");
    assert!(
        last["details"]["tls"]
            .as_str()
            .unwrap()
            .contains("insecure-skip-tls-verify"),
        "{last}"
    );
}
