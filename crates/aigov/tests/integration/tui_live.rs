//! Live updates in the console's effect runner, against the simulator: changes show within
//! 2 s without a reload, dropped watches and compactions still converge to the simulator's
//! state, outages mark the data stale without blanking it, and a context switch never mixes
//! two generations.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use aigov::tui::action::{Action, Effect};
use aigov::tui::data::{BuildInputs, Derived};
use aigov::tui::runner::{Baselines, Runner, RunnerConfig, start};
use aigov_core::model::{Coverage, Kind, Snapshot};
use aigov_kube::{ConnectOptions, LoadOptions, load};
use aigov_sim::FaultSettings;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

const ADMIN: &str = "aigov-demo-admin";
const READONLY: &str = "aigov-demo-readonly";
/// What the issue promises for a change to show.
const LIVE: Duration = Duration::from_secs(2);

/// The runner, driven as the UI loop drives it.
struct Driver {
    _runner: Runner,
    rx: UnboundedReceiver<Action>,
    /// Every action seen, as its debug line.
    seen: Vec<String>,
}

impl Driver {
    fn start(t: &common::TestSim, context: &str, timeout: Duration) -> Driver {
        let (runner, rx) = start(RunnerConfig {
            connect: ConnectOptions {
                kubeconfig: Some(t.kubeconfig.clone()),
                context: Some(context.to_string()),
                timeout,
                read_only: false,
                ..Default::default()
            },
            inputs: BuildInputs::default(),
            baselines: Baselines::Given,
            registry: None,
        });
        runner.send(Effect::Connect {
            generation: 0,
            context: None,
        });
        Driver {
            _runner: runner,
            rx,
            seen: Vec::new(),
        }
    }

    async fn next(&mut self, deadline: Instant) -> Option<Action> {
        let action = tokio::time::timeout_at(deadline, self.rx.recv())
            .await
            .ok()??;
        self.seen.push(format!("{action:?}"));
        Some(action)
    }

    /// The first `Derived` of `generation` within `within` that satisfies `wanted`.
    async fn derived(
        &mut self,
        generation: u64,
        within: Duration,
        wanted: impl Fn(&Derived) -> bool,
    ) -> Box<Derived> {
        let deadline = Instant::now() + within;
        while let Some(action) = self.next(deadline).await {
            if let Action::Derived {
                generation: g,
                data,
            } = action
                && g == generation
                && wanted(&data)
            {
                return data;
            }
        }
        panic!(
            "no matching Derived({generation}) within {within:?}; seen: {:#?}",
            self.seen
        );
    }

    /// Collect actions for a while.
    async fn idle(&mut self, time: Duration) -> Vec<Action> {
        let deadline = Instant::now() + time;
        let mut all = Vec::new();
        while let Some(action) = self.next(deadline).await {
            all.push(action);
        }
        all
    }

    fn saw(&self, prefix: &str) -> bool {
        self.seen.iter().any(|s| s.starts_with(prefix))
    }
}

/// Wait until the simulator has seen `user` watch pods, so the runner's watchers are up.
async fn watchers_up(t: &common::TestSim, user: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let up =
            t.sim.requests().iter().any(|r| {
                r.user == user && r.path == "/api/v1/pods" && r.query.contains("watch=true")
            });
        if up {
            // The watch request is logged when it is answered; give it a moment to stream.
            tokio::time::sleep(Duration::from_millis(100)).await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the runner never started watching pods");
}

fn training_pod(name: &str, image: &str) -> Pod {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "ml-training"},
        "spec": {"containers": [{
            "name": "trainer",
            "image": image,
            "resources": {"limits": {"nvidia.com/gpu": "1"}}
        }]}
    }))
    .unwrap()
}

fn has_finding(d: &Derived, rule: &str, name: &str) -> bool {
    d.evaluation
        .findings
        .iter()
        .any(|f| f.rule == rule && f.object.name == name)
}

fn has_pod(d: &Derived, name: &str) -> bool {
    d.snapshot
        .pods
        .iter()
        .any(|p| p.meta.namespace == "ml-training" && p.meta.name == name)
}

/// The generation in an action's debug line: `Derived(1)`, `Connected(1, ctx)`.
fn generation_of(line: &str) -> Option<u64> {
    let (_, rest) = line.split_once('(')?;
    rest.split([',', ')']).next()?.trim().parse().ok()
}

/// Every object as (kind, namespace, name, resourceVersion).
fn identities(s: &Snapshot) -> BTreeSet<(Kind, String, String, String)> {
    s.metas()
        .into_iter()
        .map(|(k, m)| {
            (
                k,
                m.namespace.clone(),
                m.name.clone(),
                m.resource_version.clone(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_in_the_cluster_shows_within_two_seconds_without_a_reload() {
    let t = common::demo_sim().await;
    let admin = t.admin().await;
    let mut d = Driver::start(&t, ADMIN, Duration::from_secs(10));
    let first = d.derived(0, Duration::from_secs(30), |_| true).await;
    assert!(!has_pod(&first, "live-latest"));
    watchers_up(&t, ADMIN).await;
    let loads = d.seen.iter().filter(|s| s.starts_with("Connected")).count();
    // The watchers start from the load's list versions: only the load listed the pods.
    let pod_lists = t
        .sim
        .requests()
        .iter()
        .filter(|r| r.user == ADMIN && r.path == "/api/v1/pods" && !r.query.contains("watch=true"))
        .count();
    assert_eq!(pod_lists, t.sim.count("v1", "Pod").div_ceil(500));

    let pods: Api<Pod> = Api::namespaced(admin.clone(), "ml-training");
    pods.create(
        &PostParams::default(),
        &training_pod("live-latest", "pytorch/pytorch:latest"),
    )
    .await
    .unwrap();
    let started = Instant::now();
    let data = d
        .derived(0, LIVE, |d| has_finding(d, "AIGOV-IMG-001", "live-latest"))
        .await;
    assert!(has_pod(&data, "live-latest"));
    eprintln!("created pod shown after {:?}", started.elapsed());

    // A modification: the namespace's Pod Security label.
    let namespaces: Api<Namespace> = Api::all(admin.clone());
    let label = serde_json::json!({"metadata": {"labels": {"aigov-test/live": "yes"}}});
    namespaces
        .patch(
            "ml-training",
            &PatchParams::default(),
            &Patch::Merge(&label),
        )
        .await
        .unwrap();
    d.derived(0, LIVE, |d| {
        d.snapshot
            .namespaces
            .iter()
            .any(|n| n.meta.name == "ml-training" && n.meta.labels.contains_key("aigov-test/live"))
    })
    .await;

    pods.delete("live-latest", &DeleteParams::default())
        .await
        .unwrap();
    let started = Instant::now();
    let data = d.derived(0, LIVE, |d| !has_pod(d, "live-latest")).await;
    assert!(!has_finding(&data, "AIGOV-IMG-001", "live-latest"));
    eprintln!("deleted pod gone after {:?}", started.elapsed());

    // Live, not reloaded: no new connection or load was made.
    assert_eq!(
        d.seen.iter().filter(|s| s.starts_with("Connected")).count(),
        loads
    );
    assert!(!d.saw("Disconnected"), "{:#?}", d.seen);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_watches_and_a_compaction_still_converge_object_for_object() {
    let t = common::demo_sim().await;
    let admin = t.admin().await;
    let mut d = Driver::start(&t, ADMIN, Duration::from_secs(10));
    d.derived(0, Duration::from_secs(30), |_| true).await;
    watchers_up(&t, ADMIN).await;

    let config_map_watches = || {
        t.sim
            .requests()
            .iter()
            .filter(|r| {
                r.user == ADMIN && r.path == "/api/v1/configmaps" && r.query.contains("watch=true")
            })
            .count()
    };
    let watches_before = config_map_watches();
    t.sim.set_faults(FaultSettings {
        watch_drop_after: Some(3),
        ..Default::default()
    });
    let cms: Api<ConfigMap> = Api::namespaced(admin.clone(), "ml-training");
    let pods: Api<Pod> = Api::namespaced(admin.clone(), "ml-training");
    let config_map = |name: &str, value: &str| -> ConfigMap {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": "ml-training"},
            "data": {"learning_rate": value}
        }))
        .unwrap()
    };
    for i in 0..8 {
        cms.create(
            &PostParams::default(),
            &config_map(&format!("live-{i}"), "0.1"),
        )
        .await
        .unwrap();
    }
    pods.create(&PostParams::default(), &training_pod("churn-a", "x/y:1"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // History is forgotten: the next re-watch from an old resourceVersion gets 410 Gone.
    t.sim.compact();
    for i in 0..4 {
        cms.delete(&format!("live-{i}"), &DeleteParams::default())
            .await
            .unwrap();
    }
    for i in 4..8 {
        cms.replace(
            &format!("live-{i}"),
            &PostParams::default(),
            &ConfigMap {
                metadata: cms.get(&format!("live-{i}")).await.unwrap().metadata,
                ..config_map(&format!("live-{i}"), "0.2")
            },
        )
        .await
        .unwrap();
    }
    pods.delete("churn-a", &DeleteParams::default())
        .await
        .unwrap();
    pods.create(&PostParams::default(), &training_pod("churn-b", "x/y:2"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    t.sim.compact();
    cms.create(&PostParams::default(), &config_map("live-last", "0.3"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    t.sim.set_faults(FaultSettings::default());
    // The faults bit: 13 ConfigMap changes at 3 events per watch mean re-watches.
    let rewatches = config_map_watches() - watches_before;
    eprintln!("the ConfigMap watch was re-opened {rewatches} times under the faults");
    assert!(
        rewatches >= 2,
        "the ConfigMap watch was re-opened {rewatches} times"
    );

    // The simulator's state, read afresh.
    let truth = load(
        &t.connect_as(ADMIN).await,
        &LoadOptions::default(),
        Arc::new(|_| {}),
    )
    .await;
    let expected = identities(&truth);
    let data = d
        .derived(0, Duration::from_secs(30), |d| {
            identities(&d.snapshot) == expected
        })
        .await;
    for kind in Kind::ALL {
        let api = kind.api();
        let ours = data
            .snapshot
            .counts()
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|(_, n)| n)
            .sum::<usize>();
        if data.snapshot.coverage.get(&kind) == Some(&Coverage::Complete) {
            assert_eq!(ours, t.sim.count(&api.api_version(), api.kind), "{kind:?}");
        }
    }
    let values: Vec<String> = data
        .snapshot
        .config_maps
        .iter()
        .filter(|c| c.meta.name.starts_with("live-"))
        .map(|c| c.meta.name.clone())
        .collect();
    assert_eq!(
        values,
        ["live-4", "live-5", "live-6", "live-7", "live-last"],
        "{values:?}"
    );
    // Dropped watches and 410s are routine: the data was never marked stale.
    assert!(!d.saw("Disconnected"), "{:#?}", d.seen);
}

/// A TCP proxy in front of the simulator that can cut every connection and refuse new ones:
/// a network outage, as the client sees it.
struct Proxy {
    url: String,
    down: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Proxy {
    async fn start(target: &str) -> Proxy {
        let target = target.trim_start_matches("https://").to_string();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("https://{}", listener.local_addr().unwrap());
        let down = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let (is_down, open) = (down.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                // Checked and registered under the lock `cut` takes, so no connection
                // accepted just before a cut outlives it.
                let mut connections = open.lock().unwrap();
                if is_down.load(Ordering::SeqCst) {
                    continue;
                }
                let target = target.clone();
                let task = tokio::spawn(async move {
                    let mut outbound = tokio::net::TcpStream::connect(target).await?;
                    tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await
                });
                connections.push(task.abort_handle());
            }
        });
        Proxy {
            url,
            down,
            connections,
        }
    }

    fn cut(&self) {
        let mut connections = self.connections.lock().unwrap();
        self.down.store(true, Ordering::SeqCst);
        for connection in connections.drain(..) {
            connection.abort();
        }
    }

    fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_marks_the_data_stale_without_blanking_it_and_recovers() {
    let mut t = common::demo_sim().await;
    let proxy = Proxy::start(&t.sim.url()).await;
    let through_proxy = t.dir.path().join("through-proxy");
    std::fs::write(
        &through_proxy,
        t.sim.kubeconfig_yaml().replace(&t.sim.url(), &proxy.url),
    )
    .unwrap();
    let direct = std::mem::replace(&mut t.kubeconfig, through_proxy);
    let mut d = Driver::start(&t, ADMIN, Duration::from_secs(2));
    t.kubeconfig = direct;
    let first = d.derived(0, Duration::from_secs(30), |_| true).await;
    let pods_before = first.snapshot.pods.len();
    watchers_up(&t, ADMIN).await;

    proxy.cut();
    let during = d.idle(Duration::from_secs(4)).await;
    let disconnects = during
        .iter()
        .filter(|a| matches!(a, Action::Disconnected { generation: 0, .. }))
        .count();
    assert_eq!(disconnects, 1, "one notice per outage: {:#?}", d.seen);
    for action in &during {
        if let Action::Derived { data, .. } = action {
            assert_eq!(data.snapshot.pods.len(), pods_before, "never blanked");
        }
    }
    // What changes during the outage arrives after it.
    let pods: Api<Pod> = Api::namespaced(t.admin().await, "ml-training");
    pods.create(
        &PostParams::default(),
        &training_pod("during-outage", "x/y:1"),
    )
    .await
    .unwrap();

    proxy.restore();
    // Both must come: the notice that the data is live again, and the pod. Their order is
    // not fixed: a watcher whose own backoff ends first resumes and delivers the pod before
    // the probes of the other kinds end the outage.
    let restored = Instant::now();
    let deadline = restored + Duration::from_secs(35);
    let (mut reconnected, mut caught_up) = (None, None);
    while reconnected.is_none() || caught_up.is_none() {
        let Some(action) = d.next(deadline).await else {
            break;
        };
        match action {
            Action::Reconnected { generation: 0 } => {
                reconnected.get_or_insert(restored.elapsed());
            }
            Action::Derived {
                generation: 0,
                data,
            } if has_pod(&data, "during-outage") => {
                caught_up.get_or_insert(restored.elapsed());
            }
            _ => {}
        }
    }
    let reconnected =
        reconnected.unwrap_or_else(|| panic!("no Reconnected after the outage: {:#?}", d.seen));
    assert!(
        reconnected <= Duration::from_secs(10),
        "Reconnected only {reconnected:?} after the restore: {:#?}",
        d.seen
    );
    let caught_up = caught_up.unwrap_or_else(|| {
        panic!(
            "the pod created during the outage never arrived: {:#?}",
            d.seen
        )
    });
    eprintln!("reconnected {reconnected:?} and caught up {caught_up:?} after the restore");
    pods.create(
        &PostParams::default(),
        &training_pod("after-outage", "x/y:1"),
    )
    .await
    .unwrap();
    d.derived(0, Duration::from_secs(35), |d| has_pod(d, "after-outage"))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_deadline_does_not_cut_quiet_watches() {
    let t = common::demo_sim().await;
    // A 2 s deadline: the simulator's bookmarks come every 5 s, so a watch held to the
    // deadline would fail between them.
    let mut d = Driver::start(&t, ADMIN, Duration::from_secs(2));
    d.derived(0, Duration::from_secs(30), |_| true).await;
    watchers_up(&t, ADMIN).await;
    d.idle(Duration::from_secs(7)).await;
    assert!(!d.saw("Disconnected"), "{:#?}", d.seen);
    let pods: Api<Pod> = Api::namespaced(t.admin().await, "ml-training");
    pods.create(
        &PostParams::default(),
        &training_pod("after-quiet", "x/y:1"),
    )
    .await
    .unwrap();
    d.derived(0, LIVE, |d| has_pod(d, "after-quiet")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_context_switch_yields_only_the_new_generation_with_its_identity() {
    let t = common::demo_sim().await;
    let mut d = Driver::start(&t, ADMIN, Duration::from_secs(10));
    let admin_data = d.derived(0, Duration::from_secs(30), |_| true).await;
    assert!(
        !admin_data.snapshot.secrets.is_empty(),
        "the admin reads secrets' metadata"
    );
    watchers_up(&t, ADMIN).await;

    d._runner.send(Effect::Connect {
        generation: 1,
        context: Some(READONLY.to_string()),
    });
    let data = d.derived(1, Duration::from_secs(30), |_| true).await;
    assert_eq!(data.snapshot.origin.context, READONLY);
    assert_eq!(data.snapshot.origin.identity.username, READONLY);
    assert!(
        matches!(
            data.snapshot.coverage.get(&Kind::Secret),
            Some(Coverage::Unknown { .. })
        ),
        "the read-only user cannot list secrets"
    );
    assert!(
        data.snapshot.secrets.is_empty(),
        "no admin data carried over"
    );
    assert!(
        d.seen
            .iter()
            .any(|s| s.starts_with("Connected(1, aigov-demo-readonly")),
        "{:#?}",
        d.seen
    );

    // Live updates now come through the read-only identity's watchers, tagged 1.
    watchers_up(&t, READONLY).await;
    let pods: Api<Pod> = Api::namespaced(t.admin().await, "ml-training");
    pods.create(
        &PostParams::default(),
        &training_pod("seen-by-readonly", "x/y:1"),
    )
    .await
    .unwrap();
    let live = d.derived(1, LIVE, |d| has_pod(d, "seen-by-readonly")).await;
    assert!(live.snapshot.secrets.is_empty());
    assert_eq!(live.snapshot.origin.identity.username, READONLY);

    // Once generation 1 has spoken, generation 0 never does again.
    let first_new = d
        .seen
        .iter()
        .position(|s| generation_of(s) == Some(1))
        .expect("generation 1 actions");
    let late_old: Vec<&String> = d.seen[first_new..]
        .iter()
        .filter(|s| generation_of(s) == Some(0))
        .collect();
    assert!(late_old.is_empty(), "{late_old:#?}");
}
