//! `aigov plan apply` killed with SIGKILL at random points, 50 runs against the simulator
//! (with a little latency, to widen the windows between steps). After each kill:
//! `aigov log verify` passes or reports exactly one torn final line; the next command that
//! opens the log (`aigov plan review`) repairs a torn line and records a `note` entry; and
//! every change that reached the simulator has an `intent` entry in the log, written before
//! the request. The delays come from a seeded generator (`AIGOV_KILL_SEED` overrides the seed);
//! the seed and a summary line are printed:
//! `cargo test --test audit_kill -- --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use aigov_audit::{EntryKind, Record};
use aigov_core::rules::{Inputs, evaluate};
use aigov_kube::{LoadOptions, load};
use aigov_remediation::plan::{self, Plan};
use aigov_remediation::{PlannedChange, Proposal, propose};
use aigov_sim::{FaultSettings, LoggedRequest};
use common::serve::aigov_command;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::process::Command;

const RUNS: usize = 50;
const CHANGES: usize = 4;
const CONTEXT: &str = "aigov-demo-admin";
const DEFAULT_SEED: u64 = 20_261_127;
/// Added to every simulator request: enough to spread an apply over a few hundred ms.
const LATENCY: Duration = Duration::from_millis(15);

/// A fresh demo simulator with `LATENCY` on every request.
async fn slow_sim(seed: u64) -> common::TestSim {
    common::sim_with(aigov_sim::SimOptions {
        faults: FaultSettings {
            latency: LATENCY,
            ..Default::default()
        },
        seed,
        ..Default::default()
    })
    .await
}

/// The first `CHANGES` remediations the demo proposes, as `aigov plan stage` would stage them.
async fn changes(t: &common::TestSim) -> Vec<PlannedChange> {
    let connection = t.connect_as(CONTEXT).await;
    let snapshot = load(&connection, &LoadOptions::default(), Arc::new(|_| {})).await;
    let evaluation = evaluate(&snapshot, &Inputs::default());
    let mut out: Vec<PlannedChange> = Vec::new();
    for finding in evaluation.findings.iter().filter(|f| f.remediable) {
        if let Proposal::Change { changes, .. } = propose(finding, &evaluation.view_of(&snapshot)) {
            for change in changes {
                if !out.iter().any(|c| c.target == change.target) {
                    out.push(change);
                }
            }
        }
        if out.len() >= CHANGES {
            break;
        }
    }
    out.truncate(CHANGES);
    assert_eq!(out.len(), CHANGES, "the demo has {CHANGES} remediations");
    out
}

/// A fresh data directory whose plan for the simulator holds `changes`, all pending.
fn data_dir_with_plan(t: &common::TestSim, changes: &[PlannedChange]) -> tempfile::TempDir {
    let data = tempfile::tempdir().unwrap();
    let mut plan = Plan::new(CONTEXT, &t.sim.url());
    for change in changes {
        plan.stage(change.clone(), "2026-11-27T00:00:00Z");
    }
    plan::save_in(&data.path().join("plans"), &plan).unwrap();
    data
}

fn aigov(t: &common::TestSim, data: &Path) -> Command {
    let mut cmd = Command::from(aigov_command(data));
    cmd.arg("--kubeconfig")
        .arg(&t.kubeconfig)
        .args(["--context", CONTEXT, "--offline", "--timeout", "5s"])
        .kill_on_drop(true);
    cmd
}

fn apply_args() -> [&'static str; 5] {
    [
        "plan",
        "apply",
        "--reason",
        "robustness: killed at a random point",
        "--yes",
    ]
}

fn audit_path(data: &Path) -> PathBuf {
    data.join("audit").join("audit.jsonl")
}

/// Real (not dry-run) mutating requests the simulator received, whatever their answer.
fn real_writes(requests: &[LoggedRequest]) -> Vec<LoggedRequest> {
    requests.iter().filter(|r| r.real_write).cloned().collect()
}

/// The simulator's request log once it has stopped growing for `SETTLE`. A write sent just
/// before the kill is committed and logged only after `LATENCY`, so reading the log as soon
/// as the child is reaped could miss it and never check it for an intent.
async fn settled_requests(t: &common::TestSim) -> Vec<LoggedRequest> {
    const SETTLE: Duration = Duration::from_millis(100);
    let give_up = Instant::now() + Duration::from_secs(10);
    let mut seen = t.sim.requests().len();
    let mut stable_since = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let now = t.sim.requests().len();
        if now != seen {
            seen = now;
            stable_since = Instant::now();
        } else if stable_since.elapsed() >= SETTLE {
            return t.sim.requests();
        }
        assert!(
            Instant::now() < give_up,
            "the request log still grows 10 s after the kill"
        );
    }
}

/// What `aigov log verify` said: `Ok`, or the torn line's text (any other failure panics).
enum Verified {
    Ok,
    Torn(String),
}

async fn log_verify(t: &common::TestSim, data: &Path) -> Verified {
    let output: Output = aigov(t, data)
        .args(["log", "verify"])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    match output.status.code() {
        Some(0) => {
            assert!(stdout.starts_with("OK: "), "{stdout}");
            Verified::Ok
        }
        Some(2) => {
            assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
            assert!(
                stderr.contains("is torn: the last line is incomplete"),
                "the only failure a kill may leave is a torn last line: {stderr}"
            );
            Verified::Torn(stderr.into_owned())
        }
        other => panic!("log verify exited {other:?}: {stdout} {stderr}"),
    }
}

/// Result entries in the log so far (0 while it does not exist or cannot be read).
fn results_written(data: &Path) -> usize {
    aigov_audit::show::read(&audit_path(data))
        .map(|(records, _)| {
            records
                .iter()
                .filter(|r| r.entry.kind == EntryKind::Result)
                .count()
        })
        .unwrap_or(0)
}

fn records(data: &Path) -> Vec<Record> {
    aigov_audit::show::read(&audit_path(data)).unwrap().0
}

/// `aigov plan review`, the next command to open a log with a torn last line, repairs it:
/// it exits 0 or 1, the log then verifies, and the repair is recorded as a note, returned.
async fn review_repairs(t: &common::TestSim, data: &Path, what: &str) -> Record {
    let review = aigov(t, data)
        .args(["plan", "review"])
        .output()
        .await
        .unwrap();
    assert!(
        matches!(review.status.code(), Some(0 | 1)),
        "{what}: {}",
        String::from_utf8_lossy(&review.stderr)
    );
    assert!(
        matches!(log_verify(t, data).await, Verified::Ok),
        "{what}: repaired"
    );
    records(data)
        .into_iter()
        .find(|r| {
            r.entry.kind == EntryKind::Note
                && r.entry
                    .details
                    .as_ref()
                    .is_some_and(|d| d["event"] == "repaired_torn_line")
        })
        .unwrap_or_else(|| panic!("{what}: the repair is recorded as a note"))
}

/// Where a kill landed, read from the log: before any intent, between the first intent and
/// the last change's result, or after every change had its result.
#[derive(Debug, Default)]
struct Summary {
    before: usize,
    during: usize,
    after: usize,
    finished_first: usize,
    torn: usize,
    writes_seen: usize,
}

fn classify(records: &[Record], summary: &mut Summary) {
    let intents: Vec<&Record> = records
        .iter()
        .filter(|r| r.entry.kind == EntryKind::Intent)
        .collect();
    let results = records
        .iter()
        .filter(|r| r.entry.kind == EntryKind::Result)
        .count();
    if intents.is_empty() {
        summary.before += 1;
    } else if intents.len() == CHANGES && results == CHANGES {
        summary.after += 1;
    } else {
        summary.during += 1;
    }
}

/// Every real write the simulator received has an intent for the same object in the log.
fn assert_intents_cover(writes: &[LoggedRequest], records: &[Record], run: usize) {
    for write in writes {
        let covered = records.iter().any(|r| {
            r.entry.kind == EntryKind::Intent
                && r.entry.object.as_ref().is_some_and(|o| {
                    let base = if o.group.is_empty() {
                        format!("/api/{}", o.version)
                    } else {
                        format!("/apis/{}/{}", o.group, o.version)
                    };
                    let collection = if o.namespace.is_empty() {
                        format!("{base}/{}", o.resource)
                    } else {
                        format!("{base}/namespaces/{}/{}", o.namespace, o.resource)
                    };
                    // A create goes to the collection, everything else to the object.
                    write.path == format!("{collection}/{}", o.name)
                        || (write.method == "POST" && write.path == collection)
                })
        });
        assert!(
            covered,
            "run {run}: {} {} reached the simulator without an intent in the log",
            write.method, write.path
        );
    }
    let intents = records
        .iter()
        .filter(|r| r.entry.kind == EntryKind::Intent)
        .count();
    assert!(
        writes.len() <= intents,
        "run {run}: {} writes, {intents} intents",
        writes.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_apply_killed_at_random_points_leaves_a_verifiable_or_repairable_log() {
    let seed = std::env::var("AIGOV_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    eprintln!("audit_kill: seed {seed} (set AIGOV_KILL_SEED to replay)");
    let mut rng = StdRng::seed_from_u64(seed);
    let started = Instant::now();

    // Calibrate: one apply left to finish, to know how long a whole one takes.
    let t = slow_sim(0).await;
    let planned = changes(&t).await;
    let data = data_dir_with_plan(&t, &planned);
    let clock = Instant::now();
    let mut child = aigov(&t, data.path())
        .args(apply_args())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Watch the log: when the last change's result is written, the apply part is over and
    // what follows is the re-evaluation (a whole reload) and the session's end.
    let mut applied_after = None;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if applied_after.is_none() && results_written(data.path()) == CHANGES {
            applied_after = Some(clock.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let whole = clock.elapsed();
    assert!(matches!(status.code(), Some(0 | 1)), "{status:?}");
    let applied_after = applied_after.unwrap_or(whole);
    assert!(matches!(log_verify(&t, data.path()).await, Verified::Ok));
    let intents = records(data.path())
        .iter()
        .filter(|r| r.entry.kind == EntryKind::Intent)
        .count();
    assert_eq!(
        intents, CHANGES,
        "the uninterrupted apply applies every change"
    );
    assert_eq!(real_writes(&t.sim.requests()).len(), CHANGES);
    // Kill anywhere from the start to a little after the last result: the windows that
    // matter are the intents, the writes and the results.
    let window = applied_after + applied_after / 5;
    eprintln!(
        "audit_kill: an uninterrupted plan apply of {CHANGES} changes takes {} ms, its last result is written after {} ms; kills fall in 0..{} ms",
        whole.as_millis(),
        applied_after.as_millis(),
        window.as_millis()
    );
    drop(t);

    let mut summary = Summary::default();
    // Each run gets a fresh simulator; the next one starts while the current run goes on.
    let mut next = tokio::spawn(slow_sim(0));
    for run in 0..RUNS {
        let t = next.await.unwrap();
        next = tokio::spawn(slow_sim(run as u64 + 1));
        let data = data_dir_with_plan(&t, &planned);
        let delay = Duration::from_millis(rng.random_range(0..=window.as_millis() as u64));
        let mut child = aigov(&t, data.path())
            .args(apply_args())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(delay).await;
        let finished_first = child.try_wait().unwrap().is_some();
        child.start_kill().ok(); // SIGKILL; fails only if it already exited
        child.wait().await.unwrap();
        if finished_first {
            summary.finished_first += 1;
        }
        let writes = real_writes(&settled_requests(&t).await);
        summary.writes_seen += writes.len();
        if !audit_path(data.path()).exists() {
            // Killed before the log was first opened: then nothing can have been sent.
            assert!(writes.is_empty(), "run {run}: writes without a log");
            summary.before += 1;
            continue;
        }
        let torn = match log_verify(&t, data.path()).await {
            Verified::Ok => None,
            Verified::Torn(text) => Some(text),
        };
        if let Some(text) = &torn {
            summary.torn += 1;
            eprintln!(
                "audit_kill: run {run} (killed after {delay:?}): {}",
                text.trim_end()
            );
            // The next command that opens the log repairs it.
            review_repairs(&t, data.path(), &format!("run {run}")).await;
        }
        let records = records(data.path());
        classify(&records, &mut summary);
        assert_intents_cover(&writes, &records, run);
    }
    let elapsed = started.elapsed();
    eprintln!(
        "audit_kill: {RUNS} runs (seed {seed}), kills before apply {}, during apply {}, after apply {} ({} had already exited), torn lines seen (each repaired) {}, {} writes reached the simulator, each with its intent; {:.1} s",
        summary.before,
        summary.during,
        summary.after,
        summary.finished_first,
        summary.torn,
        summary.writes_seen,
        elapsed.as_secs_f64()
    );
    assert!(
        summary.writes_seen > 0,
        "some writes reached the simulator: every-write-has-its-intent was checked on something"
    );
    assert!(
        summary.during > 0,
        "some kills landed inside the apply: the test exercised what it claims"
    );
}

/// The kills above almost never tear a line (a line is one small `write`), so the repair is
/// also driven on purpose: the log is cut in the middle of its last line, as a kill during
/// that `write` would leave it, and the next `plan` command must repair it with a note.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_cut_in_its_last_line_is_reported_torn_and_repaired_by_the_next_plan_command() {
    let t = common::demo_sim().await;
    let planned = changes(&t).await;
    let data = data_dir_with_plan(&t, &planned);
    let status = aigov(&t, data.path())
        .args(apply_args())
        .stdout(std::process::Stdio::null())
        .status()
        .await
        .unwrap();
    assert!(matches!(status.code(), Some(0 | 1)), "{status:?}");
    let path = audit_path(data.path());
    let bytes = std::fs::read(&path).unwrap();
    let last_start = bytes[..bytes.len() - 1]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let cut = last_start + (bytes.len() - last_start) / 2;
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(cut as u64).unwrap();
    drop(file);
    let entries_before = records(data.path()).len();

    let Verified::Torn(text) = log_verify(&t, data.path()).await else {
        panic!("a log cut mid-line verifies as torn");
    };
    let note = review_repairs(&t, data.path(), "the cut log").await;
    let after = records(data.path());
    let details = note.entry.details.clone().unwrap();
    assert_eq!(
        details["torn_bytes"].as_u64(),
        Some((cut - last_start) as u64),
        "{details}"
    );
    assert_eq!(
        after[..entries_before]
            .iter()
            .map(|r| r.seq)
            .collect::<Vec<_>>(),
        (1..=entries_before as u64).collect::<Vec<_>>(),
        "the entries before the torn line are kept"
    );
    eprintln!(
        "audit_kill: log cut mid-line: {}; after `aigov plan review`: verify OK, note seq {} ({} torn bytes removed)",
        text.trim_end(),
        note.seq,
        cut - last_start
    );
}
