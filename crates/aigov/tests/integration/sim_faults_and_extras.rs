//! The simulator's fault switches, fixtures, impersonation and demo registry.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use aigov_kube::{ConnectOptions, Error, connect};
use aigov_sim::{Dataset, FaultSettings, SimOptions};
use futures::TryStreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::api::{Api, ListParams, WatchEvent, WatchParams};
use std::time::{Duration, Instant};

#[tokio::test]
async fn added_latency_delays_every_answer() {
    let t = common::demo_sim().await;
    let cms: Api<ConfigMap> = Api::namespaced(t.admin().await, "web-shop");
    t.sim.set_faults(FaultSettings {
        latency: Duration::from_millis(300),
        ..Default::default()
    });
    let started = Instant::now();
    cms.list(&ListParams::default()).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn a_hanging_server_fails_the_connection_within_the_deadline() {
    let t = common::demo_sim().await;
    t.sim.set_faults(FaultSettings {
        hang_rate: 1.0,
        ..Default::default()
    });
    let started = Instant::now();
    let err = connect(&ConnectOptions {
        kubeconfig: Some(t.kubeconfig.clone()),
        context: None,
        timeout: Duration::from_secs(1),
        read_only: false,
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Unreachable { .. }), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn watches_are_dropped_after_n_events() {
    let t = common::demo_sim().await;
    let pods: Api<Pod> = Api::all(t.admin().await);
    t.sim.set_faults(FaultSettings {
        watch_drop_after: Some(3),
        ..Default::default()
    });
    // A watch from "0" starts with one ADDED per existing pod; the fault ends it after three.
    let stream = pods
        .watch(&WatchParams::default().timeout(10), "0")
        .await
        .unwrap();
    let events: Vec<WatchEvent<Pod>> = stream.try_collect().await.unwrap();
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|e| matches!(e, WatchEvent::Added(_))));
}

#[tokio::test]
async fn throttled_requests_carry_retry_after() {
    let t = common::demo_sim().await;
    let cms: Api<ConfigMap> = Api::namespaced(t.admin().await, "web-shop");
    t.sim.set_faults(FaultSettings {
        throttle_rate: 1.0,
        retry_after_seconds: 7,
        ..Default::default()
    });
    match cms.list(&ListParams::default()).await.unwrap_err() {
        kube::Error::Api(status) => {
            assert_eq!(status.code, 429);
            assert_eq!(status.details.unwrap().retry_after_seconds, 7);
        }
        other => panic!("expected 429, got {other:?}"),
    }
}

#[tokio::test]
async fn fixtures_load_every_manifest_including_lists_and_multi_document_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: lab}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: one, namespace: lab}\ndata: {k: v}\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("nested")).unwrap();
    std::fs::write(
        dir.path().join("nested/b.json"),
        r#"{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "two", "namespace": "lab"}}]}"#,
    )
    .unwrap();
    let t = common::sim_with(SimOptions {
        datasets: vec![Dataset::Fixture(dir.path().to_path_buf())],
        ..Default::default()
    })
    .await;
    let cms: Api<ConfigMap> = Api::namespaced(t.admin().await, "lab");
    let mut names: Vec<String> = cms
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|c| c.metadata.name.unwrap())
        .collect();
    names.sort();
    assert_eq!(names, vec!["one", "two"]);
    assert_eq!(t.sim.count("v1", "Pod"), 0, "a fixture replaces the demo");
}

#[tokio::test]
async fn a_bad_fixture_names_the_file_and_object() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yaml"),
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n",
    )
    .unwrap();
    let err = aigov_sim::start(SimOptions {
        datasets: vec![Dataset::Fixture(dir.path().to_path_buf())],
        ..Default::default()
    })
    .await
    .err()
    .expect("an unknown kind is refused");
    let text = err.to_string();
    assert!(
        text.contains("bad.yaml") && text.contains("Widget") && text.contains("does not serve"),
        "{text}"
    );
}

#[tokio::test]
async fn impersonation_needs_the_impersonate_verb() {
    let t = common::demo_sim().await;
    let as_readonly = |client: kube::Client| {
        let mut req =
            http::Request::get("/api/v1/secrets").header("Impersonate-User", "aigov-demo-readonly");
        req = req.header("Accept", "application/json");
        (client, req.body(Vec::new()).unwrap())
    };
    let (admin, req) = as_readonly(t.admin().await);
    match admin.request_text(req).await {
        Err(kube::Error::Api(status)) => {
            assert_eq!(
                status.code, 403,
                "the admin may impersonate; the impersonated user may not list secrets"
            );
            assert!(status.message.contains("aigov-demo-readonly"));
        }
        other => panic!("expected 403 as the impersonated user, got {other:?}"),
    }
    let (readonly, req) = as_readonly(t.readonly().await);
    match readonly.request_text(req).await {
        Err(kube::Error::Api(status)) => {
            assert_eq!(status.code, 403);
            assert!(
                status.message.contains("cannot impersonate"),
                "{}",
                status.message
            );
        }
        other => panic!("expected a refused impersonation, got {other:?}"),
    }
}

#[tokio::test]
async fn the_demo_registry_serves_the_digest_running_pods_report() {
    let t = common::demo_sim().await;
    let client = t.admin().await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "web-shop");
    let pod = pods
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|p| {
            p.spec.as_ref().unwrap().containers[0]
                .image
                .as_deref()
                .is_some_and(|i| i.contains(':') && !i.contains('@'))
        })
        .expect("a web-shop pod on a tag");
    let status = &pod.status.unwrap().container_statuses.unwrap()[0];
    let (name, digest) = status.image_id.rsplit_once('@').unwrap();
    let image = aigov_core::model::image::ImageRef::parse(&status.image).unwrap();
    let path = format!("/v2/{name}/manifests/{}", image.effective_tag().unwrap());
    let req = http::Request::head(&path).body(Vec::new()).unwrap();
    let response = client.send(req.map(Into::into)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["Docker-Content-Digest"]
            .to_str()
            .unwrap(),
        digest
    );
    assert_eq!(
        response.headers()["Content-Type"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    let missing = http::Request::get(format!("/v2/{name}/manifests/no-such-tag"))
        .body(Vec::new())
        .unwrap();
    assert_eq!(
        client.send(missing.map(Into::into)).await.unwrap().status(),
        404
    );
}
