//! Watches that start from the load's list version (`WatchClient::watch_from`), against the
//! simulator: no second list, resumption after a dropped watch without a lost or repeated
//! event, exactly one relist when the version was compacted away, and Secrets only ever
//! asked for as metadata.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use aigov_core::model::{Coverage, Kind, Snapshot};
use aigov_kube::watch::{WatchClient, WatchEvent, is_gone, watch_client};
use aigov_kube::{ConnectOptions, Error, LoadOptions, load};
use aigov_sim::{FaultSettings, LoggedRequest};
use futures::StreamExt;
use futures::stream::BoxStream;
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

const ADMIN: &str = "aigov-demo-admin";
type Events = BoxStream<'static, Result<WatchEvent, Error>>;

/// The demo loaded as the admin, and a watch client for the same connection.
async fn loaded(t: &common::TestSim) -> (Snapshot, WatchClient) {
    let connection = t.connect_as(ADMIN).await;
    let snapshot = load(&connection, &LoadOptions::default(), Arc::new(|_| {})).await;
    let options = ConnectOptions {
        kubeconfig: Some(t.kubeconfig.clone()),
        context: Some(ADMIN.to_string()),
        timeout: Duration::from_secs(10),
        ..Default::default()
    };
    let client = watch_client(&options, &connection).await.unwrap();
    (snapshot, client)
}

/// The next item within `within`; panics with what came before if none does.
async fn next(events: &mut Events, within: Duration, seen: &[String]) -> Result<WatchEvent, Error> {
    tokio::time::timeout(within, events.next())
        .await
        .unwrap_or_else(|_| panic!("nothing within {within:?}; seen: {seen:#?}"))
        .expect("a watch stream never ends")
}

/// `applied ml-training/name@rv`, `listed ...`: one line per item, for assertions.
fn describe(item: &Result<WatchEvent, Error>) -> String {
    let line = |what: &str, o: &aigov_core::model::Object| {
        let m = o.meta();
        format!("{what} {}/{}@{}", m.namespace, m.name, m.resource_version)
    };
    match item {
        Ok(WatchEvent::ListStarted) => "list started".into(),
        Ok(WatchEvent::Listed(o)) => line("listed", o),
        Ok(WatchEvent::ListDone) => "list done".into(),
        Ok(WatchEvent::Applied(o)) => line("applied", o),
        Ok(WatchEvent::Deleted(o)) => line("deleted", o),
        Err(e) if is_gone(e) => "gone".into(),
        Err(e) => format!("error: {e}"),
    }
}

/// Read until `done` holds for the last line, within `within` in all.
async fn read_until(
    events: &mut Events,
    within: Duration,
    seen: &mut Vec<String>,
    done: impl Fn(&str) -> bool,
) {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let item = next(events, left, seen).await;
        seen.push(describe(&item));
        if done(seen.last().map(String::as_str).unwrap_or_default()) {
            return;
        }
    }
}

fn requests_to(t: &common::TestSim, path: &str) -> Vec<LoggedRequest> {
    t.sim
        .requests()
        .into_iter()
        .filter(|r| r.user == ADMIN && r.path == path)
        .collect()
}

fn is_watch(r: &LoggedRequest) -> bool {
    r.query.split('&').any(|p| p == "watch=true")
}

fn param<'a>(r: &'a LoggedRequest, name: &str) -> Option<&'a str> {
    r.query
        .split('&')
        .find_map(|p| p.strip_prefix(name)?.strip_prefix('='))
}

fn config_map(name: &str, value: &str) -> ConfigMap {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "ml-training"},
        "data": {"learning_rate": value}
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loader_keeps_the_version_of_every_cluster_wide_list() {
    let t = common::demo_sim().await;
    let (snapshot, _) = loaded(&t).await;
    for (kind, coverage) in &snapshot.coverage {
        let version = snapshot.list_versions.get(kind);
        match coverage {
            Coverage::Complete => {
                let version = version.unwrap_or_else(|| panic!("{kind} has no list version"));
                assert!(version.parse::<u64>().is_ok(), "{kind}: {version:?}");
            }
            _ => assert_eq!(version, None, "{kind} ({coverage:?}) was not listed"),
        }
    }
    // Nothing was written since: a list now answers at the same version.
    let pods: Api<Pod> = Api::all(t.admin().await);
    let now = pods.list(&ListParams::default().limit(1)).await.unwrap();
    assert_eq!(
        now.metadata.resource_version.as_ref(),
        snapshot.list_versions.get(&Kind::Pod)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_from_the_lists_version_sends_new_pods_and_never_the_listed_ones() {
    let t = common::demo_sim().await;
    let (snapshot, client) = loaded(&t).await;
    assert!(!snapshot.pods.is_empty());
    let version = snapshot.list_versions[&Kind::Pod].clone();
    let lists_before = requests_to(&t, "/api/v1/pods").len();

    // Made after the load and before the watch starts: the watch still sends it.
    let pods: Api<Pod> = Api::namespaced(t.admin().await, "ml-training");
    let pod = |name: &str| -> Pod {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "ml-training"},
            "spec": {"containers": [{"name": "main", "image": "x/y:1"}]}
        }))
        .unwrap()
    };
    pods.create(&PostParams::default(), &pod("between"))
        .await
        .unwrap();
    let mut events = client.watch_from(Kind::Pod, None, version.clone());
    let mut seen = Vec::new();
    read_until(&mut events, Duration::from_secs(10), &mut seen, |l| {
        l.starts_with("applied ml-training/between@")
    })
    .await;
    pods.create(&PostParams::default(), &pod("after"))
        .await
        .unwrap();
    read_until(&mut events, Duration::from_secs(10), &mut seen, |l| {
        l.starts_with("applied ml-training/after@")
    })
    .await;
    assert_eq!(seen.len(), 2, "only the two new pods: {seen:#?}");

    let since: Vec<LoggedRequest> = requests_to(&t, "/api/v1/pods")
        .into_iter()
        .skip(lists_before)
        .collect();
    assert!(
        since.iter().all(is_watch),
        "no list after the load: {since:#?}"
    );
    assert_eq!(param(&since[0], "resourceVersion"), Some(version.as_str()));
    assert_eq!(param(&since[0], "allowWatchBookmarks"), Some("true"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_watch_resumes_from_the_last_version_without_a_relist_a_loss_or_a_repeat() {
    let t = common::demo_sim().await;
    let (snapshot, client) = loaded(&t).await;
    let version = snapshot.list_versions[&Kind::ConfigMap].clone();
    t.sim.set_faults(FaultSettings {
        watch_drop_after: Some(2),
        ..Default::default()
    });
    let mut events = client.watch_from(Kind::ConfigMap, None, version);
    let cms: Api<ConfigMap> = Api::namespaced(t.admin().await, "ml-training");
    let mut expected = Vec::new();
    for i in 0..5 {
        let made = cms
            .create(
                &PostParams::default(),
                &config_map(&format!("drop-{i}"), "0.1"),
            )
            .await
            .unwrap();
        expected.push(format!(
            "applied ml-training/drop-{i}@{}",
            made.metadata.resource_version.unwrap()
        ));
    }
    let patch = serde_json::json!({"data": {"learning_rate": "0.2"}});
    let changed = cms
        .patch("drop-1", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    expected.push(format!(
        "applied ml-training/drop-1@{}",
        changed.metadata.resource_version.unwrap()
    ));
    cms.delete("drop-3", &DeleteParams::default())
        .await
        .unwrap();
    expected.push("deleted ml-training/drop-3".to_string());
    // The sentinel: once it arrives, everything before it has.
    let last = cms
        .create(&PostParams::default(), &config_map("drop-last", "0.3"))
        .await
        .unwrap();
    let last = format!(
        "applied ml-training/drop-last@{}",
        last.metadata.resource_version.unwrap()
    );

    let mut seen = Vec::new();
    read_until(&mut events, Duration::from_secs(20), &mut seen, |l| {
        l == last
    })
    .await;
    t.sim.set_faults(FaultSettings::default());
    // A deletion carries a version of its own, which the test does not know in advance.
    let got: Vec<&str> = seen
        .iter()
        .map(|l| match l.split_once('@') {
            Some((what, _)) if what.starts_with("deleted ") => what,
            _ => l.as_str(),
        })
        .collect();
    expected.push(last);
    assert_eq!(got, expected, "each change once, in order: {seen:#?}");

    let watches = requests_to(&t, "/api/v1/configmaps");
    let resumed: Vec<&LoggedRequest> = watches.iter().filter(|r| is_watch(r)).collect();
    assert!(resumed.len() >= 4, "8 events at 2 per watch: {resumed:#?}");
    assert_eq!(
        watches.iter().filter(|r| !is_watch(r)).count(),
        1,
        "only the load listed config maps: {watches:#?}"
    );
    // Each watch opened where the one before it stopped: versions only move forward.
    let versions: Vec<u64> = resumed
        .iter()
        .map(|r| param(r, "resourceVersion").unwrap().parse().unwrap())
        .collect();
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compacted_version_leads_to_exactly_one_relist_and_then_normal_events() {
    let t = common::demo_sim().await;
    let (snapshot, client) = loaded(&t).await;
    let version = snapshot.list_versions[&Kind::ConfigMap].clone();
    let cms: Api<ConfigMap> = Api::namespaced(t.admin().await, "ml-training");
    cms.create(
        &PostParams::default(),
        &config_map("before-compaction", "0.1"),
    )
    .await
    .unwrap();
    // The load's version is now older than anything the server remembers.
    t.sim.compact();
    let lists_before = requests_to(&t, "/api/v1/configmaps").len();

    let mut events = client.watch_from(Kind::ConfigMap, None, version);
    let mut seen = Vec::new();
    read_until(&mut events, Duration::from_secs(10), &mut seen, |l| {
        l == "list done"
    })
    .await;
    assert_eq!(seen[..2], ["gone", "list started"], "{seen:#?}");
    let listed: Vec<&String> = seen.iter().filter(|l| l.starts_with("listed ")).collect();
    assert_eq!(listed.len(), t.sim.count("v1", "ConfigMap"), "{seen:#?}");
    assert!(
        listed
            .iter()
            .any(|l| l.starts_with("listed ml-training/before-compaction@")),
        "{seen:#?}"
    );

    let made = cms
        .create(&PostParams::default(), &config_map("after-relist", "0.2"))
        .await
        .unwrap();
    let expected = format!(
        "applied ml-training/after-relist@{}",
        made.metadata.resource_version.unwrap()
    );
    let relisted = seen.len();
    read_until(&mut events, Duration::from_secs(10), &mut seen, |l| {
        l == expected
    })
    .await;
    assert_eq!(seen.len(), relisted + 1, "{seen:#?}");
    assert_eq!(
        seen.iter().filter(|l| *l == "list started").count(),
        1,
        "{seen:#?}"
    );

    let since: Vec<LoggedRequest> = requests_to(&t, "/api/v1/configmaps")
        .into_iter()
        .skip(lists_before)
        .collect();
    assert_eq!(
        since.iter().filter(|r| !is_watch(r)).count(),
        1,
        "one list of one page: {since:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_are_watched_and_relisted_as_metadata_only() {
    let t = common::demo_sim().await;
    let (snapshot, client) = loaded(&t).await;
    let version = snapshot.list_versions[&Kind::Secret].clone();
    let secrets: Api<Secret> = Api::namespaced(t.admin().await, "ml-training");
    let secret: Secret = serde_json::from_value(serde_json::json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "watched-token", "namespace": "ml-training",
                     "annotations": {"note": "AIGOV-WATCH-CANARY"}},
        "stringData": {"token": "AIGOV-WATCH-CANARY"}
    }))
    .unwrap();
    secrets
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();

    let mut events = client.watch_from(Kind::Secret, None, version.clone());
    let mut seen = Vec::new();
    read_until(&mut events, Duration::from_secs(10), &mut seen, |l| {
        l.starts_with("applied ml-training/watched-token@")
    })
    .await;
    // From the same, now compacted, version: one relist.
    t.sim.compact();
    let mut relisted = client.watch_from(Kind::Secret, None, version);
    read_until(&mut relisted, Duration::from_secs(10), &mut seen, |l| {
        l == "list done"
    })
    .await;
    assert!(
        seen.iter()
            .any(|l| l.starts_with("listed ml-training/watched-token@")),
        "{seen:#?}"
    );

    let requests = requests_to(&t, "/api/v1/secrets");
    assert!(requests.iter().any(is_watch) && requests.iter().any(|r| !is_watch(r)));
    for r in &requests {
        assert!(
            r.accept.contains("as=PartialObjectMetadata"),
            "secrets are only ever asked for as metadata: {r:#?}"
        );
    }
}
