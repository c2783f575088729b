//! Unit tests of the snapshot deltas on small demo-like fixtures.

use super::*;
use crate::model::convert;
use crate::rules::testing::snapshot;

fn object(yaml: &str) -> Object {
    let doc: serde_json::Value = serde_saphyr::from_str(yaml).expect("fixture parses");
    let kind = Kind::from_api(
        doc["apiVersion"].as_str().unwrap_or_default(),
        doc["kind"].as_str().unwrap_or_default(),
    )
    .expect("known kind");
    convert::from_json(kind, doc).expect("fixture converts")
}

fn pod(ns: &str, name: &str, image: &str) -> Object {
    object(&format!(
        "{{apiVersion: v1, kind: Pod, metadata: {{namespace: '{ns}', name: '{name}', uid: 'u-{name}'}},
          spec: {{containers: [{{name: main, image: '{image}'}}]}}}}"
    ))
}

fn pod_images(s: &Snapshot) -> Vec<(String, String)> {
    s.pods
        .iter()
        .map(|p| (p.meta.name.clone(), p.spec.containers[0].image.clone()))
        .collect()
}

const BASE: &str = "
apiVersion: v1
kind: Namespace
metadata: {name: ml-training}
---
apiVersion: v1
kind: Pod
metadata: {namespace: ml-training, name: a}
spec: {containers: [{name: main, image: 'x:1'}]}
---
apiVersion: v1
kind: Pod
metadata: {namespace: ml-training, name: b}
spec: {containers: [{name: main, image: 'x:1'}]}
---
apiVersion: v1
kind: Pod
metadata: {namespace: web-shop, name: a}
spec: {containers: [{name: main, image: 'x:1'}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {namespace: ml-training, name: a}
spec: {template: {spec: {containers: [{name: main, image: 'x:1'}]}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {namespace: ml-training, name: a}
spec: {template: {spec: {containers: [{name: main, image: 'x:1'}]}}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: view}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {namespace: ml-training, name: view}
";

#[test]
fn upsert_replaces_in_place_by_kind_namespace_and_name_and_appends_new_ones() {
    let mut s = snapshot(BASE);
    assert!(s.upsert(pod("ml-training", "b", "x:2")));
    assert!(s.upsert(pod("ml-training", "c", "x:latest")));
    assert_eq!(
        pod_images(&s),
        [("a", "x:1"), ("b", "x:2"), ("a", "x:1"), ("c", "x:latest")]
            .map(|(n, i)| (n.to_string(), i.to_string()))
    );
    // The same name in another namespace is another object.
    assert_eq!(s.pods[2].meta.namespace, "web-shop");
    // An identical object changes nothing.
    assert!(!s.upsert(pod("ml-training", "c", "x:latest")));
    assert_eq!(s.pods.len(), 4);
}

#[test]
fn kinds_sharing_a_list_are_told_apart() {
    let mut s = snapshot(BASE);
    let sts = object(
        "{apiVersion: apps/v1, kind: StatefulSet, metadata: {namespace: ml-training, name: a},
          spec: {template: {spec: {containers: [{name: main, image: 'x:2'}]}}}}",
    );
    assert!(s.upsert(sts));
    assert_eq!(s.workloads.len(), 2);
    let deploy = s.workloads.iter().find(|w| w.kind.name() == "Deployment");
    let sts = s.workloads.iter().find(|w| w.kind.name() == "StatefulSet");
    assert_eq!(
        deploy.map(|w| w.template.containers[0].image.as_str()),
        Some("x:1")
    );
    assert_eq!(
        sts.map(|w| w.template.containers[0].image.as_str()),
        Some("x:2")
    );

    // A ClusterRole and a Role of the same name: removing one keeps the other.
    assert!(s.remove(&ObjectKey::new(Kind::ClusterRole, "", "view")));
    assert_eq!(s.roles.len(), 1);
    assert_eq!(s.roles[0].meta.namespace, "ml-training");
    assert!(!s.remove(&ObjectKey::new(Kind::ClusterRole, "", "view")));
}

#[test]
fn remove_takes_out_only_the_named_object() {
    let mut s = snapshot(BASE);
    assert!(s.remove(&ObjectKey::new(Kind::Pod, "ml-training", "a")));
    assert_eq!(
        s.pods
            .iter()
            .map(|p| format!("{}/{}", p.meta.namespace, p.meta.name))
            .collect::<Vec<_>>(),
        ["ml-training/b", "web-shop/a"]
    );
    assert!(!s.remove(&ObjectKey::new(Kind::Pod, "ml-training", "a")));
    assert!(!s.remove(&ObjectKey::new(Kind::Deployment, "ml-training", "nope")));
}

#[test]
fn replace_kind_drops_what_is_not_listed_within_its_scope_only() {
    let mut s = snapshot(BASE);
    // A re-list of pods in ml-training: b is gone, a changed, d is new; web-shop untouched.
    let changed = s.replace_kind(
        Kind::Pod,
        Some("ml-training"),
        vec![
            pod("ml-training", "a", "x:2"),
            pod("ml-training", "d", "x:1"),
        ],
    );
    assert!(changed);
    assert_eq!(
        pod_images(&s),
        [("a", "x:2"), ("a", "x:1"), ("d", "x:1")].map(|(n, i)| (n.to_string(), i.to_string()))
    );
    // Everywhere: only what is listed remains.
    assert!(s.replace_kind(Kind::Pod, None, vec![pod("web-shop", "z", "x:1")]));
    assert_eq!(pod_images(&s), [("z".to_string(), "x:1".to_string())]);
    // Replacing Deployments leaves the StatefulSet sharing their list alone.
    assert!(s.replace_kind(Kind::Deployment, None, Vec::new()));
    assert_eq!(s.workloads.len(), 1);
    assert_eq!(s.workloads[0].kind.name(), "StatefulSet");
}

#[test]
fn a_batch_applies_in_order_with_the_last_change_per_object_winning() {
    let mut s = snapshot(BASE);
    let changed = s.apply(vec![
        Change::Upsert(Box::new(pod("ml-training", "c", "x:1"))),
        Change::Remove(ObjectKey::new(Kind::Pod, "ml-training", "c")),
        Change::Remove(ObjectKey::new(Kind::Pod, "ml-training", "a")),
        Change::Upsert(Box::new(pod("ml-training", "a", "x:3"))),
        Change::Upsert(Box::new(pod("ml-training", "e", "x:1"))),
        // A re-list of web-shop after which one more pod arrives.
        Change::ReplaceKind {
            kind: Kind::Pod,
            namespace: Some("web-shop".into()),
            objects: Vec::new(),
        },
        Change::Upsert(Box::new(pod("web-shop", "n", "x:1"))),
        Change::Remove(ObjectKey::new(Kind::Namespace, "", "ml-training")),
    ]);
    assert!(changed);
    assert_eq!(
        pod_images(&s),
        [("a", "x:3"), ("b", "x:1"), ("e", "x:1"), ("n", "x:1")]
            .map(|(n, i)| (n.to_string(), i.to_string()))
    );
    assert!(s.namespaces.is_empty());
    // A replace supersedes what came before it in its scope.
    let mut s = snapshot(BASE);
    s.apply(vec![
        Change::Upsert(Box::new(pod("ml-training", "c", "x:1"))),
        Change::ReplaceKind {
            kind: Kind::Pod,
            namespace: Some("ml-training".into()),
            objects: vec![pod("ml-training", "b", "x:1")],
        },
    ]);
    assert_eq!(
        pod_images(&s),
        [("b", "x:1"), ("a", "x:1")].map(|(n, i)| (n.to_string(), i.to_string()))
    );
}

#[test]
fn scope_equals_sees_an_unchanged_relist() {
    let s = snapshot(BASE);
    let same: Vec<Object> = s
        .pods
        .iter()
        .map(|p| Object::Pod(Box::new(p.clone())))
        .collect();
    assert!(s.scope_equals(Kind::Pod, None, &same));
    assert!(s.scope_equals(Kind::Pod, Some("web-shop"), &same[2..]));
    assert!(!s.scope_equals(Kind::Pod, Some("web-shop"), &same));
    assert!(!s.scope_equals(Kind::Pod, None, &same[1..]));
    let mut moved = same.clone();
    moved[0] = pod("ml-training", "a", "x:2");
    assert!(!s.scope_equals(Kind::Pod, None, &moved));
    let mut copy = s.clone();
    assert!(!copy.replace_kind(Kind::Pod, None, same));
}

#[test]
fn metas_cover_every_object_once() {
    let s = snapshot(BASE);
    let metas = s.metas();
    assert_eq!(metas.len(), 8);
    let counted: usize = s.counts().values().sum();
    assert_eq!(metas.len(), counted);
    assert!(
        metas
            .iter()
            .any(|(k, m)| *k == Kind::ClusterRole && m.name == "view")
    );
}

#[test]
fn a_hundred_thousand_pods_take_one_pass_per_batch() {
    let mut s = Snapshot::default();
    let template = match pod("ns", "p", "x:1") {
        Object::Pod(p) => *p,
        _ => unreachable!(),
    };
    for i in 0..100_000 {
        let mut p = template.clone();
        p.meta.namespace = format!("ns-{}", i % 100);
        p.meta.name = format!("p-{i}");
        s.pods.push(p);
    }
    let changes: Vec<Change> = (0..1_000)
        .map(|i| {
            Change::Upsert(Box::new(pod(
                &format!("ns-{}", i % 100),
                &format!("p-{i}"),
                "x:2",
            )))
        })
        .chain((0..1_000).map(|i| Change::Upsert(Box::new(pod("new", &format!("n-{i}"), "x:1")))))
        .chain((1_000..2_000).map(|i| {
            Change::Remove(ObjectKey::new(
                Kind::Pod,
                format!("ns-{}", i % 100),
                format!("p-{i}"),
            ))
        }))
        .collect();
    let started = std::time::Instant::now();
    assert!(s.apply(changes));
    let took = started.elapsed();
    assert_eq!(s.pods.len(), 100_000);
    assert_eq!(s.pods[0].spec.containers[0].image, "x:2");
    assert_eq!(s.pods[1_000].meta.name, "p-2000");
    // Generous even for a debug build on a busy machine; one change at a time would be
    // 3,000 passes over 100k pods.
    assert!(took < std::time::Duration::from_secs(2), "{took:?}");
}
