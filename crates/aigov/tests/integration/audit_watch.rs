//! `aigov audit --watch --format jsonl`, the real binary against the demo simulator: a pod
//! created with `:latest` in ml-training is a `new` IMG-001 line naming it, and its deletion a
//! `resolved` line; dropped watches replay nothing as new; SIGTERM ends the stream with a
//! `stopped` line and exit 0.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use aigov_sim::FaultSettings;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, PostParams};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The watching process and every line it printed so far.
struct Watching {
    child: Child,
    lines: mpsc::Receiver<Value>,
    seen: Vec<Value>,
    _data: tempfile::TempDir,
}

impl Watching {
    fn start(t: &common::TestSim) -> Watching {
        let data = tempfile::tempdir().unwrap();
        let mut child = common::serve::aigov_command(data.path())
            .arg("--kubeconfig")
            .arg(&t.kubeconfig)
            .args(["audit", "--watch", "--format", "jsonl", "--offline"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not one JSON object per line ({e}): {line}"));
                if tx.send(value).is_err() {
                    break;
                }
            }
        });
        Watching {
            child,
            lines,
            seen: Vec::new(),
            _data: data,
        }
    }

    /// The first line (from now on) that `wanted` accepts, within `within`.
    fn wait_for(&mut self, within: Duration, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if wanted(&line) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no wanted line within {within:?}; the stream said: {:#?}",
                    self.seen
                        .iter()
                        .map(|l| format!("{} {}", l["event"], l["finding"]["key"]))
                        .collect::<Vec<_>>()
                ),
            }
        }
    }

    /// The keys of the findings that existed at the start.
    fn synced(&mut self) -> BTreeSet<String> {
        let synced = self.wait_for(Duration::from_secs(60), |l| l["event"] == "synced");
        assert_eq!(synced["complete"], true, "{synced}");
        let existing: BTreeSet<String> = self
            .seen
            .iter()
            .filter(|l| l["event"] == "existing")
            .map(|l| l["finding"]["key"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(synced["findings"], existing.len(), "{synced}");
        assert!(!existing.is_empty(), "the demo has findings");
        existing
    }

    /// SIGTERM: the stream ends with `stopped`, and the process with exit 0.
    fn terminate(mut self) {
        let pid = self.child.id().to_string();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(status.success());
        let stopped = self.wait_for(Duration::from_secs(10), |l| l["event"] == "stopped");
        assert_eq!(stopped["reason"], "terminate");
        let deadline = Instant::now() + Duration::from_secs(10);
        let code = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status.code();
            }
            assert!(Instant::now() < deadline, "still running after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(code, Some(0));
    }

    /// Every `event` line naming `key` so far.
    fn events_of(&self, event: &str, key: &str) -> usize {
        self.seen
            .iter()
            .filter(|l| l["event"] == event && l["finding"]["key"] == key)
            .count()
    }
}

fn latest_pod(name: &str) -> Pod {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "ml-training"},
        "spec": {"containers": [{"name": "trainer", "image": "pytorch/pytorch:latest"}]}
    }))
    .unwrap()
}

fn img_001(pod: &str) -> String {
    format!("AIGOV-IMG-001:Pod/ml-training/{pod}#container/trainer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_latest_pod_is_a_new_finding_its_deletion_resolves_it_and_sigterm_stops() {
    let t = common::demo_sim().await;
    let mut watching = Watching::start(&t);
    let existing = watching.synced();
    let key = img_001("watched-latest");
    assert!(!existing.contains(&key));

    let pods: Api<Pod> = Api::namespaced(t.admin().await, "ml-training");
    pods.create(&PostParams::default(), &latest_pod("watched-latest"))
        .await
        .unwrap();
    let new = watching.wait_for(Duration::from_secs(20), |l| {
        l["event"] == "new" && l["finding"]["key"] == key.as_str()
    });
    assert_eq!(new["finding"]["rule"], "AIGOV-IMG-001");
    assert_eq!(new["finding"]["object"]["name"], "watched-latest");
    let version: u64 = new["resource_version"].as_str().unwrap().parse().unwrap();
    assert!(version > 0, "{new}");
    new["seen_at"]
        .as_str()
        .unwrap()
        .parse::<jiff::Timestamp>()
        .unwrap();

    pods.delete("watched-latest", &DeleteParams::default())
        .await
        .unwrap();
    let resolved = watching.wait_for(Duration::from_secs(20), |l| {
        l["event"] == "resolved" && l["finding"]["key"] == key.as_str()
    });
    let after: u64 = resolved["resource_version"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(after > version, "{resolved}");
    // Nothing that existed at the start was reported again as new.
    assert!(
        existing.iter().all(|k| watching.events_of("new", k) == 0),
        "{:#?}",
        watching.seen
    );
    watching.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_watches_replay_no_finding_as_new() {
    let t = common::demo_sim().await;
    let mut watching = Watching::start(&t);
    let existing = watching.synced();
    // From now on every watch connection ends after two events and is opened again.
    t.sim.set_faults(FaultSettings {
        watch_drop_after: Some(2),
        ..Default::default()
    });
    let pods: Api<Pod> = Api::namespaced(t.admin().await, "ml-training");
    let names = ["drop-a", "drop-b", "drop-c", "drop-d", "drop-e"];
    for name in names {
        pods.create(&PostParams::default(), &latest_pod(name))
            .await
            .unwrap();
    }
    for name in names {
        let key = img_001(name);
        watching.wait_for(Duration::from_secs(30), |l| {
            l["event"] == "new" && l["finding"]["key"] == key.as_str()
        });
    }
    pods.delete("drop-a", &DeleteParams::default())
        .await
        .unwrap();
    let gone = img_001("drop-a");
    watching.wait_for(Duration::from_secs(30), |l| {
        l["event"] == "resolved" && l["finding"]["key"] == gone.as_str()
    });
    let requests = t.sim.requests();
    let pod_watches: Vec<_> = requests
        .iter()
        .filter(|r| r.path.ends_with("/pods") && r.query.contains("watch"))
        .collect();
    assert!(
        pod_watches.len() > 1,
        "the pod watch was dropped and opened again: {pod_watches:#?}"
    );
    for name in names {
        assert_eq!(watching.events_of("new", &img_001(name)), 1, "{name}");
    }
    assert!(
        existing.iter().all(|k| watching.events_of("new", k) == 0),
        "{:#?}",
        watching.seen
    );
    watching.terminate();
}

#[test]
fn watch_refuses_a_document_format_in_one_line() {
    let data = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = common::serve::run_aigov(
        data.path(),
        &["--demo", "audit", "--watch", "--format", "sarif"],
    );
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert_eq!(
        stderr.trim(),
        "aigov: --watch prints a table or --format jsonl; sarif is a document, not a stream"
    );
}
