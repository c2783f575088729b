//! The feed's state on its own: which scopes are watched, relists, outages and refusals.

use super::*;
use aigov_core::rules::testing::snapshot;

const DEMO: &str = "
apiVersion: v1
kind: Namespace
metadata: {name: ml-training}
---
apiVersion: v1
kind: Namespace
metadata: {name: web-shop}
---
apiVersion: v1
kind: Pod
metadata: {namespace: ml-training, name: trainer, resourceVersion: '7'}
spec: {containers: [{name: main, image: 'pytorch/pytorch:2.3.0'}]}
";

fn scope(kind: Kind) -> Scope {
    Scope {
        kind,
        namespace: None,
    }
}

fn pods(s: &Snapshot) -> Vec<Object> {
    s.pods
        .iter()
        .map(|p| Object::Pod(Box::new(p.clone())))
        .collect()
}

fn unreachable() -> Error {
    Error::Unreachable {
        server: "https://sim".into(),
        timeout: Duration::from_secs(1),
        reason: "connection refused".into(),
    }
}

fn updates(state: &mut State) -> Vec<String> {
    state.out.drain(..).map(|u| format!("{u:?}")).collect()
}

#[test]
fn watchers_cover_what_was_read_and_only_that() {
    let mut s = snapshot(DEMO);
    s.coverage.insert(Kind::Notebook, Coverage::NotServed);
    s.coverage.insert(
        Kind::Secret,
        Coverage::Unknown {
            reason: "forbidden".into(),
        },
    );
    s.coverage.insert(
        Kind::ConfigMap,
        Coverage::Partial {
            unknown_namespaces: [("web-shop".to_string(), "forbidden".to_string())].into(),
        },
    );
    let scopes = scopes(&s);
    assert!(scopes.contains(&scope(Kind::Pod)));
    assert!(
        !scopes
            .iter()
            .any(|s| s.kind == Kind::Notebook || s.kind == Kind::Secret)
    );
    let config_maps: Vec<_> = scopes
        .iter()
        .filter(|s| s.kind == Kind::ConfigMap)
        .collect();
    assert_eq!(
        config_maps,
        [&Scope {
            kind: Kind::ConfigMap,
            namespace: Some("ml-training".into())
        }]
    );
}

#[test]
fn an_unchanged_relist_changes_nothing_and_a_changed_one_replaces_the_kind() {
    let snap = snapshot(DEMO);
    let mut state = State::new(Duration::from_millis(100));
    let listed = pods(&snap);
    state.on_event(scope(Kind::Pod), Ok(WatchEvent::ListStarted), &snap);
    for object in listed {
        state.on_event(scope(Kind::Pod), Ok(WatchEvent::Listed(object)), &snap);
    }
    state.on_event(scope(Kind::Pod), Ok(WatchEvent::ListDone), &snap);
    assert!(state.pending.is_empty() && state.flush_at.is_none());
    assert!(state.flush().is_none());

    // The pod was deleted while the watch was down: the next list no longer has it.
    state.on_event(scope(Kind::Pod), Ok(WatchEvent::ListStarted), &snap);
    state.on_event(scope(Kind::Pod), Ok(WatchEvent::ListDone), &snap);
    assert!(state.flush_at.is_some());
    let batch = state.flush().expect("a changed list is a batch");
    assert!(matches!(
        batch.changes.as_slice(),
        [Change::ReplaceKind { kind: Kind::Pod, objects, .. }] if objects.is_empty()
    ));
    assert_eq!(batch.resource_version, None, "a list is no single event");
}

#[test]
fn a_batch_carries_its_newest_resource_version_and_when_it_arrived() {
    let snap = snapshot(DEMO);
    let mut state = State::new(Duration::ZERO);
    let mut pod = pods(&snap).remove(0);
    state.on_event(
        scope(Kind::Pod),
        Ok(WatchEvent::Applied(pod.clone())),
        &snap,
    );
    if let Object::Pod(p) = &mut pod {
        p.meta.resource_version = "9".into();
    }
    state.on_event(scope(Kind::Pod), Ok(WatchEvent::Deleted(pod)), &snap);
    let batch = state.flush().expect("two changes");
    assert_eq!(batch.changes.len(), 2);
    assert_eq!(batch.resource_version.as_deref(), Some("9"));
    assert!(batch.first_seen <= Instant::now());
    assert!(state.flush().is_none(), "handed out once");
}

#[test]
fn outages_are_reported_once_and_recovery_when_every_kind_answers() {
    let snap = snapshot(DEMO);
    let mut state = State::new(Duration::ZERO);
    assert_eq!(
        state.on_event(scope(Kind::Pod), Err(unreachable()), &snap),
        None
    );
    assert_eq!(
        state.on_event(scope(Kind::Role), Err(unreachable()), &snap),
        None
    );
    let seen = updates(&mut state);
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(
        seen[0].contains("live updates of Pod stopped") && seen[0].contains("until_reload: false"),
        "{seen:?}"
    );
    // A 410 is the watcher's business: it lists again.
    let gone = Error::Api {
        server: "s".into(),
        code: 410,
        message: "too old".into(),
        retry_after_seconds: None,
    };
    state.on_event(scope(Kind::Event), Err(gone), &snap);
    state.answered(&scope(Kind::Pod));
    assert!(updates(&mut state).is_empty(), "roles still fail");
    state.on_event(scope(Kind::Role), Ok(WatchEvent::ListStarted), &snap);
    assert_eq!(updates(&mut state), ["Reconnected"]);
}

#[test]
fn a_refused_watch_stops_and_keeps_the_data_stale() {
    let snap = snapshot(DEMO);
    let mut state = State::new(Duration::ZERO);
    let refused = Error::Forbidden {
        server: "s".into(),
        message: "cannot watch pods".into(),
    };
    assert_eq!(
        state.on_event(scope(Kind::Pod), Err(refused), &snap),
        Some(scope(Kind::Pod))
    );
    state.on_event(scope(Kind::Role), Err(unreachable()), &snap);
    state.on_event(scope(Kind::Role), Ok(WatchEvent::ListStarted), &snap);
    let seen = updates(&mut state);
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(
        seen[0].contains("watching Pod is refused") && seen[0].contains("until_reload: true"),
        "{seen:?}"
    );
}

#[test]
fn the_feed_is_synced_once_every_scope_listed_or_failed() {
    let snap = snapshot(DEMO);
    let mut state = State::new(Duration::ZERO);
    state.unsettled = [scope(Kind::Pod), scope(Kind::Role)].into();
    state.on_event(scope(Kind::Pod), Ok(WatchEvent::ListStarted), &snap);
    for object in pods(&snap) {
        state.on_event(scope(Kind::Pod), Ok(WatchEvent::Listed(object)), &snap);
    }
    state.on_event(scope(Kind::Pod), Ok(WatchEvent::ListDone), &snap);
    assert!(updates(&mut state).is_empty(), "roles have not listed yet");
    state.on_event(scope(Kind::Role), Err(unreachable()), &snap);
    let seen = updates(&mut state);
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen[0].starts_with("Disconnected"), "{seen:?}");
    assert_eq!(seen[1], "Synced");
    // A later list says nothing more.
    state.on_event(scope(Kind::Role), Ok(WatchEvent::ListStarted), &snap);
    state.on_event(scope(Kind::Role), Ok(WatchEvent::ListDone), &snap);
    assert_eq!(updates(&mut state), ["Reconnected"]);
}
