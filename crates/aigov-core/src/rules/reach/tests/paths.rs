//! `reach_of` and `sensitive_volumes`: every way to the data is found, and only real ones.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

#[test]
fn reach_of_finds_every_path_and_only_real_ones() {
    let snapshot = base_with(GRANTS);
    let settings = RulesConfig::default();
    let view = View::new(&snapshot, &settings);
    let reach = reach_of(&view, "ml", "weights").unwrap();
    assert_eq!(reach.data, DataKind::Model);
    assert!(reach.sensitive);
    assert_eq!(reach.pv, Some("pv-weights"));
    assert_eq!(reach.storage_class, Some("enc"));
    assert!(reach.unknown.is_empty(), "{:?}", reach.unknown);
    assert_eq!(reach.mounted_by.len(), 1);
    let m = &reach.mounted_by[0];
    assert_eq!(
        (m.unit.to_string().as_str(), m.container, m.read_only),
        ("Pod/trainer", "main", true)
    );
    assert_eq!(
        (m.service_account, m.pods.as_slice()),
        ("trainer", &["trainer"][..])
    );

    let user = |n: &str| Subject::user(n);
    assert_eq!(paths_of(&reach, &user("alice")), [&How::CreatePod]);
    let alice = reach
        .paths
        .iter()
        .find(|p| p.subject == user("alice"))
        .unwrap();
    let grant = alice.grant.as_ref().unwrap();
    assert_eq!(
        (
            grant.binding_kind,
            grant.binding_name.as_str(),
            grant.role_name.as_str()
        ),
        ("RoleBinding", "alice-creates", "pod-creator")
    );
    let exec = How::ExecIntoPod {
        units: vec![UnitRef {
            kind: "Pod",
            name: "trainer",
        }],
    };
    let attach = How::AttachToPod {
        units: vec![UnitRef {
            kind: "Pod",
            name: "trainer",
        }],
    };
    assert_eq!(paths_of(&reach, &Subject::group("debuggers")), [&exec]);
    // resourceNames: dave may exec into the pod named trainer; erin only into `web`.
    assert_eq!(paths_of(&reach, &user("dave")), [&exec, &attach]);
    assert!(paths_of(&reach, &user("erin")).is_empty());
    let token = How::ActAsServiceAccount {
        service_account: "trainer",
        via: Via::TokenRequest,
    };
    assert_eq!(paths_of(&reach, &user("bob")), [&token]);
    assert!(
        paths_of(&reach, &user("carol")).is_empty(),
        "carol may only impersonate builder"
    );
    let impersonate = How::ActAsServiceAccount {
        service_account: "trainer",
        via: Via::Impersonate,
    };
    assert_eq!(paths_of(&reach, &user("ivan")), [&impersonate]);
    let sa = Subject::service_account("ml", "trainer");
    assert_eq!(
        paths_of(&reach, &sa),
        [&How::IsServiceAccount {
            units: vec![UnitRef {
                kind: "Pod",
                name: "trainer"
            }]
        }]
    );
    assert!(
        reach
            .paths
            .iter()
            .any(|p| p.subject == sa && p.grant.is_none())
    );
    assert_eq!(
        paths_of(&reach, &user("frank")),
        [&How::ReadWriteVolume {
            verbs: vec!["update"]
        }]
    );
    assert_eq!(
        paths_of(&reach, &user("gina")),
        [&How::ReadWriteClaim { verbs: vec!["get"] }]
    );
    let ci = Subject::service_account("ml", "ci");
    assert_eq!(
        paths_of(&reach, &ci),
        [
            &How::CreateWorkload {
                kinds: vec!["Deployment", "StatefulSet"]
            },
            &How::CreateWorkload { kinds: vec!["Job"] }
        ]
    );
    assert!(
        paths_of(&reach, &user("hank")).is_empty(),
        "a grant in another namespace"
    );

    // Reading the claim object is a path, but not to the data.
    let subjects = reach.subjects();
    assert!(!subjects.contains(&user("gina")));
    for s in ["alice", "dave", "bob", "ivan", "frank"] {
        assert!(subjects.contains(&user(s)), "{s}");
    }
    assert!(subjects.contains(&Subject::group("debuggers")) && subjects.contains(&sa));
    assert_eq!(subjects.len(), 8);
}

#[test]
fn only_labelled_or_ai_mounted_claims_are_sensitive() {
    let snapshot = base_with(
        r#"
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: cache, namespace: ml}
spec: {accessModes: [ReadWriteOnce], storageClassName: enc}
status: {phase: Bound}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: web-data, namespace: ml}
spec: {accessModes: [ReadWriteOnce], storageClassName: enc}
status: {phase: Bound}
---
apiVersion: v1
kind: Pod
metadata: {name: notebook, namespace: ml}
spec:
  containers: [{name: nb, image: jupyter/scipy-notebook:2024-05-01, volumeMounts: [{name: c, mountPath: /home}]}]
  volumes: [{name: c, persistentVolumeClaim: {claimName: cache}}]
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: ml}
spec:
  containers: [{name: nginx, image: nginx:1.27, volumeMounts: [{name: d, mountPath: /usr/share/nginx}]}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: web-data}}]
"#,
    );
    let settings = RulesConfig::default();
    let view = View::new(&snapshot, &settings);
    let volumes = sensitive_volumes(&view);
    let names: Vec<(&str, DataKind)> = volumes.iter().map(|v| (v.pvc, v.data)).collect();
    assert_eq!(
        names,
        [
            ("cache", DataKind::Unlabelled),
            ("weights", DataKind::Model)
        ]
    );
    let web = reach_of(&view, "ml", "web-data").unwrap();
    assert!(!web.sensitive && web.mounted_by.len() == 1 && !web.mounted_by[0].ai);
    assert!(reach_of(&view, "ml", "missing").is_none());
}

#[test]
fn a_statefulset_pod_claim_is_mounted_by_its_statefulset() {
    let snapshot = base_with(
        r#"
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ray-head, namespace: ml}
spec:
  selector: {matchLabels: {app: ray}}
  serviceName: ray
  template:
    metadata: {labels: {app: ray}}
    spec:
      containers: [{name: ray, image: rayproject/ray:2.9.0-gpu, volumeMounts: [{name: data, mountPath: /data}]}]
---
apiVersion: v1
kind: Pod
metadata:
  name: ray-head-0
  namespace: ml
  labels: {app: ray}
  ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: ray-head, uid: "", controller: true}]
spec:
  containers: [{name: ray, image: rayproject/ray:2.9.0-gpu, volumeMounts: [{name: data, mountPath: /data}]}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: scratch}}]
"#,
    );
    let settings = RulesConfig::default();
    let view = View::new(&snapshot, &settings);
    let reach = reach_of(&view, "ml", "scratch").unwrap();
    assert!(reach.sensitive, "an AI StatefulSet mounts it");
    let m = &reach.mounted_by[0];
    assert_eq!(
        (m.unit.to_string().as_str(), m.pods.as_slice()),
        ("StatefulSet/ray-head", &["ray-head-0"][..])
    );
    assert!(!m.read_only);
}
