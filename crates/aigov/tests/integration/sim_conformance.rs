//! Simulator conformance through the kube client: paging, continue expiry, selectors,
//! watches, conflicts, dry runs, Status errors and metadata-only lists.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret};
use kube::api::{
    Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams,
};
use serde_json::json;
use std::collections::BTreeMap;

fn config_map(name: &str, data: &[(&str, &str)]) -> ConfigMap {
    ConfigMap {
        metadata: kube::api::ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        },
        data: Some(
            data.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        ),
        ..Default::default()
    }
}

#[tokio::test]
async fn list_pages_with_limit_and_continue_cover_every_object_once() {
    let t = common::demo_sim().await;
    let pods: Api<Pod> = Api::all(t.admin().await);
    let everything = pods.list(&ListParams::default()).await.unwrap();
    assert!(everything.items.len() > 20, "the demo has many pods");
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut params = ListParams::default().limit(7);
        if let Some(t) = &token {
            params = params.continue_token(t);
        }
        let page = pods.list(&params).await.unwrap();
        assert!(page.items.len() <= 7);
        pages += 1;
        names.extend(page.items.iter().map(|p| {
            format!(
                "{}/{}",
                p.metadata.namespace.clone().unwrap(),
                p.metadata.name.clone().unwrap()
            )
        }));
        token = page.metadata.continue_.filter(|c| !c.is_empty());
        if token.is_none() {
            break;
        }
    }
    assert!(pages > 1);
    let mut expected: Vec<String> = everything
        .items
        .iter()
        .map(|p| {
            format!(
                "{}/{}",
                p.metadata.namespace.clone().unwrap(),
                p.metadata.name.clone().unwrap()
            )
        })
        .collect();
    expected.sort();
    let mut got = names.clone();
    got.sort();
    got.dedup();
    assert_eq!(got.len(), names.len(), "no object twice");
    assert_eq!(got, expected);
}

#[tokio::test]
async fn an_expired_continue_token_gets_410_gone() {
    let t = common::demo_sim().await;
    let pods: Api<Pod> = Api::all(t.admin().await);
    let first = pods.list(&ListParams::default().limit(5)).await.unwrap();
    let token = first.metadata.continue_.clone().unwrap();
    // A write, then compaction: the token's resourceVersion is gone, as after etcd compaction.
    let cms: Api<ConfigMap> = Api::namespaced(t.admin().await, "web-shop");
    cms.create(&PostParams::default(), &config_map("bump", &[("a", "1")]))
        .await
        .unwrap();
    t.sim.compact();
    let err = pods
        .list(&ListParams::default().limit(5).continue_token(&token))
        .await
        .unwrap_err();
    match err {
        kube::Error::Api(status) => {
            assert_eq!(status.code, 410);
            assert_eq!(status.reason, "Expired");
        }
        other => panic!("expected 410, got {other:?}"),
    }
}

#[tokio::test]
async fn label_and_field_selectors_filter_lists() {
    let t = common::demo_sim().await;
    let cms: Api<ConfigMap> = Api::namespaced(t.admin().await, "web-shop");
    let mut labelled = config_map("selected", &[("k", "v")]);
    labelled.metadata.labels = Some([("tier".to_string(), "gpu".to_string())].into());
    cms.create(&PostParams::default(), &labelled).await.unwrap();
    cms.create(
        &PostParams::default(),
        &config_map("unselected", &[("k", "v")]),
    )
    .await
    .unwrap();
    let names = |list: kube::core::ObjectList<ConfigMap>| -> Vec<String> {
        list.items
            .into_iter()
            .map(|c| c.metadata.name.unwrap())
            .collect()
    };
    let by_label = cms
        .list(&ListParams::default().labels("tier in (gpu,tpu)"))
        .await
        .unwrap();
    assert_eq!(names(by_label), vec!["selected"]);
    let by_absence = cms
        .list(&ListParams::default().labels("!tier"))
        .await
        .unwrap();
    assert!(!names(by_absence).contains(&"selected".to_string()));
    let by_field = cms
        .list(&ListParams::default().fields("metadata.name=unselected"))
        .await
        .unwrap();
    assert_eq!(names(by_field), vec!["unselected"]);
    let bad = cms
        .list(&ListParams::default().labels("tier in gpu"))
        .await
        .unwrap_err();
    assert!(matches!(bad, kube::Error::Api(s) if s.code == 400));
}

#[tokio::test]
async fn watch_sees_added_modified_and_deleted_in_order() {
    let t = common::demo_sim().await;
    let client = t.admin().await;
    let cms: Api<ConfigMap> = Api::namespaced(client, "web-shop");
    let rv = cms
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let mut stream = cms
        .watch(&WatchParams::default().timeout(10), &rv)
        .await
        .unwrap()
        .boxed();
    cms.create(
        &PostParams::default(),
        &config_map("watched", &[("a", "1")]),
    )
    .await
    .unwrap();
    cms.patch(
        "watched",
        &PatchParams::default(),
        &Patch::Merge(json!({"data": {"a": "2"}})),
    )
    .await
    .unwrap();
    cms.delete("watched", &DeleteParams::default())
        .await
        .unwrap();
    let mut seen = Vec::new();
    while seen.len() < 3 {
        match stream.try_next().await.unwrap() {
            Some(WatchEvent::Added(c)) => seen.push(("ADDED", c.data.unwrap()["a"].clone())),
            Some(WatchEvent::Modified(c)) => seen.push(("MODIFIED", c.data.unwrap()["a"].clone())),
            Some(WatchEvent::Deleted(c)) => seen.push(("DELETED", c.data.unwrap()["a"].clone())),
            Some(_) => {}
            None => break,
        }
    }
    assert_eq!(
        seen,
        vec![
            ("ADDED", "1".into()),
            ("MODIFIED", "2".into()),
            ("DELETED", "2".into())
        ]
    );
}

#[tokio::test]
async fn a_watch_from_a_compacted_version_gets_an_error_event_with_410() {
    let t = common::demo_sim().await;
    let cms: Api<ConfigMap> = Api::namespaced(t.admin().await, "web-shop");
    let rv = cms
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    cms.create(&PostParams::default(), &config_map("later", &[]))
        .await
        .unwrap();
    t.sim.compact();
    let mut stream = cms
        .watch(&WatchParams::default(), &rv)
        .await
        .unwrap()
        .boxed();
    match stream.try_next().await.unwrap() {
        Some(WatchEvent::Error(status)) => {
            assert_eq!(status.code, 410);
            assert_eq!(status.reason, "Expired");
        }
        other => panic!("expected an ERROR event, got {other:?}"),
    }
}

#[tokio::test]
async fn an_update_with_a_stale_resource_version_conflicts() {
    let t = common::demo_sim().await;
    let cms: Api<ConfigMap> = Api::namespaced(t.admin().await, "web-shop");
    let created = cms
        .create(&PostParams::default(), &config_map("cfg", &[("a", "1")]))
        .await
        .unwrap();
    let mut first = created.clone();
    first.data = Some([("a".to_string(), "2".to_string())].into());
    cms.replace("cfg", &PostParams::default(), &first)
        .await
        .unwrap();
    let mut stale = created;
    stale.data = Some([("a".to_string(), "3".to_string())].into());
    let err = cms
        .replace("cfg", &PostParams::default(), &stale)
        .await
        .unwrap_err();
    match err {
        kube::Error::Api(status) => {
            assert_eq!(status.code, 409);
            assert_eq!(status.reason, "Conflict");
            assert!(
                status.message.contains("the object has been modified"),
                "{}",
                status.message
            );
        }
        other => panic!("expected 409, got {other:?}"),
    }
    assert_eq!(cms.get("cfg").await.unwrap().data.unwrap()["a"], "2");
}

#[tokio::test]
async fn dry_runs_answer_like_writes_and_leave_the_store_unchanged() {
    let t = common::demo_sim().await;
    let cms: Api<ConfigMap> = Api::namespaced(t.admin().await, "web-shop");
    let before = t.sim.committed_writes();
    let dry = PostParams {
        dry_run: true,
        ..Default::default()
    };
    let answer = cms
        .create(&dry, &config_map("ghost", &[("a", "1")]))
        .await
        .unwrap();
    assert_eq!(answer.metadata.name.as_deref(), Some("ghost"));
    assert!(answer.metadata.uid.is_some());
    assert!(cms.get_opt("ghost").await.unwrap().is_none());
    let existing = cms.list(&ListParams::default()).await.unwrap().items[0]
        .metadata
        .name
        .clone()
        .unwrap();
    let patched = cms
        .patch(
            &existing,
            &PatchParams {
                dry_run: true,
                ..Default::default()
            },
            &Patch::Merge(json!({"data": {"dry": "yes"}})),
        )
        .await
        .unwrap();
    assert_eq!(patched.data.unwrap()["dry"], "yes");
    assert!(
        !cms.get(&existing)
            .await
            .unwrap()
            .data
            .unwrap_or_default()
            .contains_key("dry")
    );
    cms.delete(
        &existing,
        &DeleteParams {
            dry_run: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(cms.get_opt(&existing).await.unwrap().is_some());
    assert_eq!(t.sim.committed_writes(), before, "nothing was committed");
}

#[tokio::test]
async fn a_forbidden_request_gets_a_403_status_naming_the_user() {
    let t = common::demo_sim().await;
    let secrets: Api<Secret> = Api::all(t.readonly().await);
    match secrets.list(&ListParams::default()).await.unwrap_err() {
        kube::Error::Api(status) => {
            assert_eq!(status.code, 403);
            assert_eq!(status.reason, "Forbidden");
            assert!(
                status
                    .message
                    .contains("User \"aigov-demo-readonly\" cannot list resource \"secrets\""),
                "{}",
                status.message
            );
        }
        other => panic!("expected 403, got {other:?}"),
    }
    let cms: Api<ConfigMap> = Api::namespaced(t.readonly().await, "web-shop");
    let err = cms
        .create(&PostParams::default(), &config_map("nope", &[]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, kube::Error::Api(s) if s.code == 403 && s.message.contains("in the namespace \"web-shop\""))
    );
}

#[tokio::test]
async fn metadata_only_lists_carry_no_data() {
    let t = common::demo_sim().await;
    let secrets: Api<Secret> = Api::all(t.admin().await);
    let list = secrets.list_metadata(&ListParams::default()).await.unwrap();
    assert!(!list.items.is_empty());
    assert!(
        list.items
            .iter()
            .all(|s| s.metadata.name.is_some() && s.metadata.uid.is_some())
    );
    let raw = serde_json::to_string(&list).unwrap();
    assert!(
        !raw.contains("\"data\""),
        "metadata lists must not carry data"
    );
    // Like a real API server, the simulator keeps annotations in metadata, including kubectl's
    // last-applied-configuration, which holds the data. aigov must drop them when converting.
    let converted: Vec<_> = list
        .items
        .iter()
        .map(|s| aigov_core::model::convert::secret_meta(&s.metadata))
        .collect();
    let converted = serde_json::to_string(&converted).unwrap();
    assert!(
        raw.contains("AIGOV-CANARY"),
        "the demo's annotation canary is present in the raw metadata"
    );
    assert!(!converted.contains("AIGOV-CANARY") && !converted.contains("QUlHT1YtQ0FOQVJZ"));
}

#[tokio::test]
async fn every_object_carries_uid_resource_version_and_creation_time() {
    let t = common::demo_sim().await;
    let pods: Api<Pod> = Api::all(t.admin().await);
    for pod in pods.list(&ListParams::default()).await.unwrap().items {
        assert!(pod.metadata.uid.is_some());
        assert!(pod.metadata.resource_version.is_some());
        assert!(pod.metadata.creation_timestamp.is_some());
    }
}
