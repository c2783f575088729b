//! One canary test over every output channel: secret-like values are planted where secrets
//! live (Secret data and annotations, a kubeconfig user's token and client key, a registry
//! password, an HF_TOKEN in a ConfigMap; see tests/common/canary.rs), then every headless
//! command runs against the simulator holding them (stdout and stderr, with and without
//! `AIGOV_LOG=trace`), the plan is staged, reviewed, applied and exported, the console draws
//! every screen, a panic in the console is provoked (before it loads any data: this checks
//! the panic path's one sanitised line, not a panic holding secrets), and every file aigov
//! wrote is read back.
//! No canary may appear in full, nor in the encoded form it was stored in.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use aigov_core::rules::rbac::UserInfo;
use aigov_sim::{Dataset, SimOptions};
use assert_cmd::Command;
use common::canary::{self, NAMESPACE, leak_in, leaks_in};
use common::serve::aigov_binary;
use std::path::{Path, PathBuf};
use std::time::Duration;

struct Env {
    _tmp: tempfile::TempDir,
    kubeconfig: PathBuf,
    data: PathBuf,
    config: PathBuf,
    home: PathBuf,
    docker: PathBuf,
}

/// Every channel's bytes, by label, and the counts for the summary.
#[derive(Default)]
struct Channels {
    seen: Vec<(String, Vec<u8>)>,
    commands: usize,
}

impl Channels {
    fn add(&mut self, label: impl Into<String>, bytes: impl Into<Vec<u8>>) {
        self.seen.push((label.into(), bytes.into()));
    }

    /// Run aigov with `extra_env`; its stdout and stderr become two channels.
    fn run(
        &mut self,
        env: &Env,
        extra_env: &[(&str, &str)],
        args: &[&str],
        codes: &[i32],
    ) -> String {
        let mut cmd = Command::new(aigov_binary());
        cmd.env_remove("KUBECONFIG")
            .env_remove("AIGOV_LOG")
            .env("HOME", &env.home)
            .env("DOCKER_CONFIG", &env.docker)
            .env("AIGOV_DATA_DIR", &env.data)
            .env("AIGOV_CONFIG_DIR", &env.config)
            .arg("--kubeconfig")
            .arg(&env.kubeconfig)
            .args(args)
            .timeout(Duration::from_secs(120));
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let code = out.status.code().expect("exited, not killed");
        let label = format!("aigov {}", args.join(" "));
        assert!(
            codes.contains(&code),
            "{label}: exit {code}\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        self.commands += 1;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        self.add(format!("{label} [stdout]"), out.stdout);
        self.add(format!("{label} [stderr]"), out.stderr);
        stdout
    }
}

fn environment(sim: &aigov_sim::SimHandle) -> Env {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let kubeconfig = root.join("kubeconfig");
    std::fs::write(&kubeconfig, canary::kubeconfig(sim)).unwrap();
    let docker = root.join("docker");
    canary::write_docker_config(&docker);
    let home = root.join("home");
    std::fs::create_dir_all(&home).unwrap();
    Env {
        kubeconfig,
        data: root.join("data"),
        config: root.join("config"),
        home,
        docker,
        _tmp: tmp,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_canary_reaches_any_output_channel() {
    let fixture = tempfile::tempdir().unwrap();
    std::fs::write(fixture.path().join("canary.yaml"), canary::objects_yaml()).unwrap();
    let t = common::sim_with(SimOptions {
        datasets: vec![Dataset::Fixture(fixture.path().to_path_buf())],
        extra_tokens: vec![(
            canary::KUBE_TOKEN.to_string(),
            UserInfo {
                username: canary::CANARY_USER.into(),
                groups: vec!["system:masters".into(), "system:authenticated".into()],
            },
        )],
        ..SimOptions::default()
    })
    .await;
    let env = environment(&t.sim);
    let mut channels = Channels::default();
    planted_where_they_belong(&t, &env);

    // The approved state, saved by the CLI and captured here for the console's drift view.
    channels.run(&env, &[], &["baseline", "save"], &[0]);
    let before = common::console::snapshot_of(&t).await;
    let settings = aigov_core::rules::RulesConfig::default();
    let baseline = aigov_core::rules::config::Baseline::capture(
        &aigov_core::rules::View::new(&before, &settings),
        "2026-01-01T00:00:00Z",
    );
    drift_the_secret_and_the_config_map(&t).await;

    headless_commands(&env, &mut channels);
    manifests(&env, &mut channels, fixture.path());
    let plan_file = plans_and_the_audit_log(&env, &mut channels).await;
    // Library and dependency logs at their most talkative, on stderr. Each run's stderr must
    // really hold trace output (tracing's `TRACE target: message` lines), or this channel
    // would be scanned empty.
    for args in [
        &["audit", "--format", "json"][..],
        &["images", "--format", "json"],
        &["--context", "canary-token", "inventory"],
        &["--context", "canary-key", "inventory"],
    ] {
        channels.run(&env, &[("AIGOV_LOG", "trace")], args, &[0, 1, 2]);
        let stderr = String::from_utf8_lossy(&channels.seen.last().unwrap().1).into_owned();
        let traced = stderr
            .lines()
            .filter(|l| l.trim_start().starts_with("TRACE "))
            .count();
        println!(
            "AIGOV_LOG=trace aigov {}: {traced} TRACE lines, {} bytes on stderr",
            args.join(" "),
            stderr.len()
        );
        assert!(
            traced > 0,
            "AIGOV_LOG=trace aigov {}: no trace output on stderr:\n{stderr}",
            args.join(" ")
        );
    }
    // The panic channel proves the panic path's shape (one sanitised line, the terminal
    // restored) with the canary kubeconfig and Docker config in the environment. The test
    // panic fires right after the first frame, before any cluster data is loaded, so no secret
    // is in the console's state at that point: a clean scan here cannot show that a panic
    // while secrets are loaded would not print them.
    let panic_output = panic_in_the_console(&env);
    if let Some(output) = panic_output {
        channels.add("console panic (pty)", output);
    }

    // The console: every view, tab, detail pane and the help screen, on the drifted state,
    // with the audit log the plan wrote.
    let snapshot = common::console::snapshot_of(&t).await;
    let log = env.data.join("audit").join("audit.jsonl");
    let mut app = common::console::app_on(snapshot, Some(baseline), Some(&log));
    let mut console_texts = 0;
    let covered = common::console::every_screen(
        &mut app,
        &["get secrets -n ml-canary", "list configmaps -n ml-canary"],
        |label, text| {
            console_texts += 1;
            if let Some(name) = leak_in(text.as_bytes()) {
                panic!("{name} drawn by the console: {label}\n{text}");
            }
        },
    );
    assert!(covered.details > 0, "no detail pane was checked");

    // Every file aigov wrote, and the exported plan.
    let mut files = canary::files_under(&env.data);
    files.extend(canary::files_under(&env.config));
    files.extend(canary::files_under(&env.home));
    files.push(plan_file);
    let mut file_bytes = 0;
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        file_bytes += bytes.len();
        channels.add(format!("file {}", file.display()), bytes);
    }
    assert!(files.contains(&log), "the audit log was written");
    assert!(
        files
            .iter()
            .any(|f| f.starts_with(env.data.join("baselines"))),
        "the baseline file was written: {files:?}"
    );

    // aigov did read the planted values (and masked them): these prove the channels carry
    // the objects, not an empty cluster.
    let all = |label: &str| -> String {
        channels
            .seen
            .iter()
            .filter(|(l, _)| l.starts_with(label))
            .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
            .collect()
    };
    let audits = all("aigov audit");
    assert!(
        audits.contains("hf_c****"),
        "the HF_TOKEN literal is reported, masked"
    );
    assert!(
        audits.contains("model-credentials"),
        "the Secret is in the report"
    );
    registry_was_asked(&channels);
    let token_user = all("aigov --context canary-token inventory");
    assert!(
        token_user.contains(canary::CANARY_USER),
        "the canary token authenticated"
    );

    let mut bytes = 0;
    for (label, seen) in &channels.seen {
        bytes += seen.len();
        if let Some(name) = leak_in(seen) {
            panic!(
                "{name} leaked through {label}:\n{}",
                String::from_utf8_lossy(seen)
            );
        }
    }
    println!(
        "canaries: {} needles; {} commands run; {} channels scanned ({} bytes), of which {} files ({} bytes); console: {} frames, {} detail panes, {} texts checked",
        canary::needles().len(),
        channels.commands,
        channels.seen.len(),
        bytes,
        files.len(),
        file_bytes,
        covered.frames,
        covered.details,
        console_texts
    );
}

/// The scanner finds a canary cut short, as a narrow column draws it (`…` after a dozen
/// characters), not only whole or as the tail past aigov's four-character mask.
#[test]
fn the_scanner_finds_a_canary_cut_short() {
    for value in [
        canary::SECRET_DATA,
        canary::HF_TOKEN,
        canary::REGISTRY_PASSWORD,
    ] {
        let cut: String = value.chars().take(14).chain(['…']).collect();
        let drawn = format!("│ {cut} │");
        assert!(
            leak_in(drawn.as_bytes()).is_some(),
            "{value} drawn cut short as {drawn:?} is not found"
        );
    }
    // The masked form aigov does draw is no hit.
    assert_eq!(leak_in("hf_c**** cnry****".as_bytes()), None);
}

/// `aigov images --format json` (run plain and with `AIGOV_LOG=trace`) tried the canary
/// registry: its image's row says why the look-up failed, not that none was made (`offline`,
/// `not looked up`). The IMAGE column names the registry whether or not it was asked, so the
/// reference alone proves nothing. The registry ([`canary::REGISTRY`]) refuses the
/// connection before any authentication, so this does not show that the Docker config's
/// password was read or sent, only that it is on disk for the look-up and absent from every
/// channel. (The CLI has no plain-HTTP registry setting, so a local test registry with Basic
/// auth cannot stand in here; `tests/registry_client.rs` signs in with a password and checks
/// it stays out of errors.)
fn registry_was_asked(channels: &Channels) {
    let runs: Vec<&[u8]> = channels
        .seen
        .iter()
        .filter(|(l, _)| l == "aigov images --format json [stdout]")
        .map(|(_, b)| b.as_slice())
        .collect();
    assert!(!runs.is_empty(), "images --format json was run");
    let prefix = format!("{}/", canary::REGISTRY);
    for stdout in runs {
        let rows: Vec<serde_json::Value> = serde_json::from_slice(stdout).unwrap();
        let row = rows
            .iter()
            .find(|r| r["image"].as_str().is_some_and(|i| i.starts_with(&prefix)))
            .unwrap_or_else(|| panic!("no row for the canary registry: {rows:?}"));
        let reason = row["registry_unknown"].as_str();
        assert!(
            reason.is_some_and(|r| r != "offline" && r != "not looked up"),
            "the canary registry was not asked: {row}"
        );
    }
}

/// The canaries are where they were planted, and the scanner finds them there: without this
/// the test could pass on a cluster that never held them.
fn planted_where_they_belong(t: &common::TestSim, env: &Env) {
    let secret = t
        .sim
        .object("v1", "Secret", NAMESPACE, "model-credentials")
        .unwrap();
    let found = |bytes: &[u8], expected: &[&str], what: &str| {
        let leaks = leaks_in(bytes);
        for name in expected {
            assert!(
                leaks.iter().any(|l| l == name),
                "{what}: {name} not found in {leaks:?}"
            );
        }
    };
    found(
        secret.to_string().as_bytes(),
        &["Secret data, base64"],
        "the Secret",
    );
    found(
        secret["metadata"]["annotations"].to_string().as_bytes(),
        &["last-applied annotation", "Secret annotation"],
        "the Secret's annotations",
    );
    let config_map = t
        .sim
        .object("v1", "ConfigMap", NAMESPACE, "hub-settings")
        .unwrap();
    found(
        config_map.to_string().as_bytes(),
        &["HF_TOKEN"],
        "the ConfigMap",
    );
    let kubeconfig = std::fs::read(&env.kubeconfig).unwrap();
    found(
        &kubeconfig,
        &["kubeconfig token", "client key PEM, base64"],
        "the kubeconfig",
    );
    let docker = std::fs::read(env.docker.join("config.json")).unwrap();
    found(&docker, &["registry auth, base64"], "the Docker config");
}

/// The Secret gets a new value and the ConfigMap a new HF_TOKEN, after the baseline.
async fn drift_the_secret_and_the_config_map(t: &common::TestSim) {
    use k8s_openapi::api::core::v1::{ConfigMap, Secret};
    use kube::api::{Patch, PatchParams};
    let client = t.admin().await;
    let secrets: kube::Api<Secret> = kube::Api::namespaced(client.clone(), NAMESPACE);
    secrets
        .patch(
            "model-credentials",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"data": {
                "password": canary::b64(canary::SECRET_DATA_NEW)}})),
        )
        .await
        .unwrap();
    let config_maps: kube::Api<ConfigMap> = kube::Api::namespaced(client, NAMESPACE);
    config_maps
        .patch(
            "hub-settings",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"data": {"HF_TOKEN": canary::HF_TOKEN_NEW}})),
        )
        .await
        .unwrap();
}

fn headless_commands(env: &Env, channels: &mut Channels) {
    for format in ["table", "json", "markdown", "sarif"] {
        // With the registry asked (the connection is refused before any authentication)
        // and without.
        channels.run(env, &[], &["audit", "--format", format], &[0, 1]);
        channels.run(
            env,
            &[],
            &["--offline", "audit", "--format", format],
            &[0, 1],
        );
    }
    for format in ["table", "json"] {
        channels.run(env, &[], &["inventory", "--format", format], &[0]);
        channels.run(env, &[], &["images", "--format", format], &[0, 1]);
        let who_can = [
            "who-can", "get", "secrets", "-n", NAMESPACE, "--format", format,
        ];
        channels.run(env, &[], &who_can, &[0]);
        let reach = ["reach", "pvc/weights", "-n", NAMESPACE, "--format", format];
        channels.run(env, &[], &reach, &[0, 1]);
    }
    let can_i = [
        "can-i",
        "get",
        "secrets",
        "-n",
        NAMESPACE,
        "--as",
        canary::CANARY_USER,
        "-v",
    ];
    channels.run(env, &[], &can_i, &[0]);
    // The canary user's own token, used for real; the client key, refused.
    for args in [
        &["--context", "canary-token", "inventory", "--format", "json"][..],
        &[
            "--context",
            "canary-token",
            "--offline",
            "audit",
            "--format",
            "json",
        ],
        &[
            "--context",
            "canary-token",
            "can-i",
            "list",
            "secrets",
            "-n",
            NAMESPACE,
            "--as",
            "someone",
        ],
    ] {
        channels.run(env, &[], args, &[0, 1]);
    }
    let refused = channels.run(env, &[], &["--context", "canary-key", "inventory"], &[2]);
    let refusal = String::from_utf8_lossy(&channels.seen.last().unwrap().1).into_owned();
    assert!(
        refused.is_empty() && refusal.lines().count() == 1 && refusal.starts_with("aigov: "),
        "one error line: {refusal}"
    );
    channels.run(
        env,
        &[],
        &["--context", "no-such-context", "inventory"],
        &[2],
    );
}

/// `check -f` on the manifest holding the Secret, ConfigMap and last-applied annotation.
fn manifests(env: &Env, channels: &mut Channels, dir: &Path) {
    let dir = dir.to_str().unwrap();
    for format in ["table", "json", "markdown", "sarif"] {
        channels.run(env, &[], &["check", "-f", dir, "--format", format], &[1]);
    }
}

/// Stage every remediable finding, show, review (server dry-run diffs), apply, export, and
/// read the audit log back. Returns the exported plan's path.
async fn plans_and_the_audit_log(env: &Env, channels: &mut Channels) -> PathBuf {
    let report = channels.run(env, &[], &["--offline", "audit", "--format", "json"], &[1]);
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    let keys: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["remediable"] == true)
        .map(|f| f["key"].as_str().unwrap().to_string())
        .collect();
    assert!(
        keys.iter().any(|k| k.starts_with("AIGOV-NS-003")),
        "a remediable finding to stage: {keys:?}"
    );
    let mut staged = 0;
    for key in &keys {
        // Some remediations cannot be staged offline; each is one command either way.
        let out = channels.run(env, &[], &["plan", "stage", key], &[0, 1, 2]);
        staged += usize::from(out.starts_with("staged "));
    }
    assert!(staged > 0, "nothing staged from {keys:?}");
    channels.run(env, &[], &["plan", "show"], &[0]);
    channels.run(env, &[], &["plan", "review"], &[0, 1]);
    let plan_file = env.data.parent().unwrap().join("exported-plan.yaml");
    channels.run(
        env,
        &[],
        &["plan", "export", plan_file.to_str().unwrap()],
        &[0],
    );
    channels.run(
        env,
        &[],
        &[
            "plan",
            "apply",
            "--reason",
            "canary test: apply every staged change",
            "--yes",
        ],
        &[0, 1],
    );
    channels.run(env, &[], &["plan", "show"], &[0]);
    channels.run(env, &[], &["log", "verify"], &[0]);
    for format in ["table", "json"] {
        channels.run(env, &[], &["log", "show", "--format", format], &[0]);
    }
    println!(
        "plan: {} remediable findings, {staged} staged and applied",
        keys.len()
    );
    plan_file
}

/// The console under a pseudo-terminal (`script`), panicking after its first frame through
/// the debug-only hook: what the panic prints, with the canary kubeconfig in use. The hook
/// fires before the console connects or loads anything, so what this proves is the panic
/// path's shape (one sanitised `aigov: internal error` line, no backtrace, the terminal
/// restored), not that a panic with secrets in memory keeps them out: none are loaded yet.
/// `None` (with SKIPPED on stderr) when `script` is not installed.
fn panic_in_the_console(env: &Env) -> Option<Vec<u8>> {
    if !Path::new("/usr/bin/script").exists() {
        eprintln!("SKIPPED console panic channel: script(1) not installed");
        return None;
    }
    let command = format!(
        "{} --kubeconfig {} --context canary-token",
        aigov_binary().display(),
        env.kubeconfig.display()
    );
    let out = std::process::Command::new("/usr/bin/script")
        .args(["-qec", &command, "/dev/null"])
        .env("AIGOV_TEST_PANIC_IN_CONSOLE", "1")
        .env("HOME", &env.home)
        .env("DOCKER_CONFIG", &env.docker)
        .env("AIGOV_DATA_DIR", &env.data)
        .env("AIGOV_CONFIG_DIR", &env.config)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let mut bytes = out.stdout;
    bytes.extend(out.stderr);
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("aigov: internal error") && !text.contains("stack backtrace"),
        "the panic prints its one line: {text}"
    );
    Some(bytes)
}
