//! Live updates: after a load, one watcher per readable kind keeps the generation's snapshot
//! current. A kind listed cluster-wide in one list is watched from that list's
//! resourceVersion (`watch_from`), so nothing is listed twice; the others list first. Watch
//! events become snapshot deltas; at most every `DEBOUNCE` the batch is applied and the rules
//! re-run on a blocking thread (one run at a time; what arrives meanwhile waits for the
//! next), and the result goes to the UI as `Action::Derived`.
//!
//! A watch error marks the data stale (`Action::Disconnected`, once) but never clears it. The
//! watch retries with backoff; when every failing kind answers again (a watch event, or a
//! one-object list probe, since a resumed watch on a quiet cluster says nothing), the runner
//! sends `Action::Reconnected`. A 410 Gone is not an outage: the watch lists the kind again
//! and the list replaces the kind wholesale.

use super::action::Action;
use super::data::{BuildInputs, Derived, derive};
use aigov_core::model::snapshot::Change;
use aigov_core::model::{Coverage, Kind, Object, Snapshot};
use aigov_kube::watch::{WatchClient, WatchEvent, is_gone, watch_client};
use aigov_kube::{ConnectOptions, Connection, Error};
use futures::StreamExt;
use futures::future::{AbortHandle, Abortable, BoxFuture};
use futures::stream::{BoxStream, SelectAll};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// How long changes gather before the rules run again. With a demo-sized cluster a change
/// shows in well under a second; at 100k pods one evaluation takes longer than this, and
/// changes that arrive meanwhile are applied together after it.
pub const DEBOUNCE: Duration = Duration::from_millis(100);

/// How often kinds whose watch failed are asked whether they answer again.
pub const PROBE_EVERY: Duration = Duration::from_secs(2);

/// What the live task starts from: the generation's connection and loaded snapshot.
pub struct Live {
    pub connection: Connection,
    pub options: ConnectOptions,
    pub snapshot: Arc<Snapshot>,
    pub generation: u64,
    pub inputs: BuildInputs,
    pub tx: mpsc::UnboundedSender<Action>,
    /// `R` in the Images view: images to ask the registry about again (`None` offline).
    pub rechecks: Option<super::recheck::Rechecks>,
}

/// What one watcher watches: a kind, everywhere or in one namespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope {
    pub kind: Kind,
    pub namespace: Option<String>,
}

/// The watchers a snapshot needs: every kind that was read completely, and, for a kind read
/// namespace by namespace (not listable cluster-wide), each namespace that could be read.
/// Kinds that are not served, or could not be read at all, are not watched.
pub fn scopes(snapshot: &Snapshot) -> Vec<Scope> {
    let mut scopes = Vec::new();
    for (kind, coverage) in &snapshot.coverage {
        match coverage {
            Coverage::Complete => scopes.push(Scope {
                kind: *kind,
                namespace: None,
            }),
            Coverage::Partial { unknown_namespaces } => {
                scopes.extend(
                    snapshot
                        .namespaces
                        .iter()
                        .map(|ns| &ns.meta.name)
                        .filter(|ns| !unknown_namespaces.contains_key(*ns))
                        .map(|ns| Scope {
                            kind: *kind,
                            namespace: Some(ns.clone()),
                        }),
                );
            }
            Coverage::NotServed | Coverage::Unknown { .. } => {}
        }
    }
    scopes
}

type Events = BoxStream<'static, (Scope, Result<WatchEvent, Error>)>;

/// Keep the snapshot live until the task is aborted (by a newer generation).
pub async fn run(live: Live) {
    let client = match watch_client(&live.options, &live.connection).await {
        Ok(c) => c,
        Err(e) => {
            let _ = live.tx.send(Action::Disconnected {
                generation: live.generation,
                error: format!("live updates are off: {e}"),
                until_reload: true,
            });
            return;
        }
    };
    let mut state = State::new(live.generation, live.inputs, live.tx, live.snapshot);
    let mut rechecks = live.rechecks;
    let mut checking: Option<super::recheck::Checking> = None;
    let versions = state.snapshot.list_versions.clone();
    let (mut streams, mut stoppers) = start_watches(&client, scopes(&state.snapshot), &versions);
    if streams.is_empty() {
        return;
    }
    let mut deriving: Option<JoinHandle<Derived>> = None;
    let mut probing: Option<BoxFuture<'static, Vec<(Scope, bool)>>> = None;
    let mut probe_timer = tokio::time::interval(PROBE_EVERY);
    probe_timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let flush_at = state.flush_at;
        tokio::select! {
            Some((scope, item)) = streams.next() => {
                if let Some(stop) = state.on_event(scope, item)
                    && let Some(stopper) = stoppers.remove(&stop)
                {
                    stopper.abort();
                }
            }
            _ = sleep_until(flush_at), if flush_at.is_some() && deriving.is_none() => {
                deriving = state.flush();
            }
            result = finish(&mut deriving), if deriving.is_some() => {
                deriving = None;
                state.derived(result);
            }
            Some((client, image)) = super::recheck::next(&mut rechecks), if checking.is_none() => {
                checking = Some(Box::pin(super::recheck::recheck(client, image)));
            }
            answer = super::recheck::finish(&mut checking), if checking.is_some() => {
                checking = None;
                state.rechecked(answer);
            }
            _ = probe_timer.tick(), if !state.failing.is_empty() && probing.is_none() => {
                probing = Some(state.probe(&client));
            }
            results = finish_probe(&mut probing), if probing.is_some() => {
                probing = None;
                let mut back = false;
                for (scope, ok) in results {
                    if ok {
                        back |= state.answered(&scope);
                    }
                }
                // After an outage every watch starts again at once, with a fresh list, rather
                // than each waiting out its own backoff: the data converges as soon as the
                // server answers (an unchanged list costs no re-evaluation). Not from the
                // load's versions: the snapshot has moved past them since.
                if back {
                    let watched: Vec<Scope> = stoppers.keys().cloned().collect();
                    for stopper in stoppers.values() {
                        stopper.abort();
                    }
                    (streams, stoppers) = start_watches(&client, watched, &BTreeMap::new());
                }
            }
            else => return,
        }
    }
}

/// One watch per scope, tagged with its scope, each abortable by its handle. A scope
/// watched cluster-wide starts from its kind's list version in `versions` when there is
/// one; the others (and every scope after an outage) list first.
fn start_watches(
    client: &WatchClient,
    scopes: Vec<Scope>,
    versions: &BTreeMap<Kind, String>,
) -> (SelectAll<Events>, HashMap<Scope, AbortHandle>) {
    let mut streams: SelectAll<Events> = SelectAll::new();
    let mut stoppers = HashMap::new();
    for scope in scopes {
        let (stopper, registration) = AbortHandle::new_pair();
        let tag = scope.clone();
        let events = match (&scope.namespace, versions.get(&scope.kind)) {
            (None, Some(version)) => client.watch_from(scope.kind, None, version.clone()),
            _ => client.watch(scope.kind, scope.namespace.clone()),
        }
        .map(move |item| (tag.clone(), item));
        streams.push(Abortable::new(events, registration).boxed());
        stoppers.insert(scope, stopper);
    }
    (streams, stoppers)
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

async fn finish(task: &mut Option<JoinHandle<Derived>>) -> Result<Derived, tokio::task::JoinError> {
    match task {
        Some(t) => t.await,
        None => std::future::pending().await,
    }
}

async fn finish_probe(
    probe: &mut Option<BoxFuture<'static, Vec<(Scope, bool)>>>,
) -> Vec<(Scope, bool)> {
    match probe {
        Some(p) => p.await,
        None => std::future::pending().await,
    }
}

/// The live task's state, apart from the streams and tasks it waits on.
struct State {
    generation: u64,
    inputs: BuildInputs,
    tx: mpsc::UnboundedSender<Action>,
    /// This generation's snapshot as of the last flush; shared with the derivation and the UI
    /// until the next change copies it.
    snapshot: Arc<Snapshot>,
    /// Changes not yet applied, in the order they arrived.
    pending: Vec<Change>,
    flush_at: Option<Instant>,
    /// Objects of a re-list in progress, per scope.
    relists: HashMap<Scope, Vec<Object>>,
    /// Scopes whose watch fails, with the error.
    failing: BTreeMap<Scope, String>,
    /// Scopes whose watch is refused for good (403): stale until a reload.
    refused: BTreeSet<Scope>,
    /// Whether the UI was told the data is stale.
    down: bool,
    /// Evaluate at the next flush even without changes (new registry facts).
    force: bool,
}

impl State {
    fn new(
        generation: u64,
        inputs: BuildInputs,
        tx: mpsc::UnboundedSender<Action>,
        snapshot: Arc<Snapshot>,
    ) -> Self {
        State {
            generation,
            inputs,
            tx,
            snapshot,
            pending: Vec::new(),
            flush_at: None,
            relists: HashMap::new(),
            failing: BTreeMap::new(),
            refused: BTreeSet::new(),
            down: false,
            force: false,
        }
    }

    /// Handle one watch item; returns a scope whose watcher should stop.
    fn on_event(&mut self, scope: Scope, item: Result<WatchEvent, Error>) -> Option<Scope> {
        let event = match item {
            Ok(event) => event,
            Err(e) if is_gone(&e) => {
                tracing::debug!(?scope, "watch expired (410); the watcher lists again");
                return None;
            }
            Err(e) => return self.failed(scope, e),
        };
        self.answered(&scope);
        match event {
            WatchEvent::ListStarted => {
                self.relists.insert(scope, Vec::new());
            }
            WatchEvent::Listed(object) => self.relists.entry(scope).or_default().push(object),
            WatchEvent::ListDone => {
                let objects = self.relists.remove(&scope).unwrap_or_default();
                self.relisted(scope, objects);
            }
            WatchEvent::Applied(object) => self.change(Change::Upsert(Box::new(object))),
            WatchEvent::Deleted(object) => self.change(Change::Remove(object.key())),
        }
        None
    }

    /// A complete list of a scope replaces what came before it. A list that found the
    /// snapshot as it is (the first one after a load, usually) costs no re-evaluation.
    fn relisted(&mut self, scope: Scope, objects: Vec<Object>) {
        let Scope { kind, namespace } = scope;
        self.pending
            .retain(|c| !c.in_scope(kind, namespace.as_deref()));
        if self
            .snapshot
            .scope_equals(kind, namespace.as_deref(), &objects)
        {
            if self.pending.is_empty() {
                self.flush_at = None;
            }
            return;
        }
        self.change(Change::ReplaceKind {
            kind,
            namespace,
            objects,
        });
    }

    fn change(&mut self, change: Change) {
        self.pending.push(change);
        if self.flush_at.is_none() {
            self.flush_at = Some(Instant::now() + DEBOUNCE);
        }
    }

    /// Apply the pending changes and start evaluating, if they changed anything.
    fn flush(&mut self) -> Option<JoinHandle<Derived>> {
        self.flush_at = None;
        let force = std::mem::take(&mut self.force);
        if self.pending.is_empty() && !force {
            return None;
        }
        let changes = std::mem::take(&mut self.pending);
        // Copies the snapshot when the UI still holds it: one copy per evaluation.
        let changed = !changes.is_empty() && Arc::make_mut(&mut self.snapshot).apply(changes);
        if !changed && !force {
            return None;
        }
        let snapshot = self.snapshot.clone();
        let inputs = self.inputs.clone();
        Some(tokio::task::spawn_blocking(move || {
            derive(snapshot, &inputs)
        }))
    }

    /// A registry answer for one image (`R`): into the facts, and evaluate again.
    fn rechecked(&mut self, answer: Result<super::recheck::Answer, String>) {
        match answer {
            Ok(answer) => {
                super::recheck::fold(&mut self.inputs.registry, &answer);
                let _ = self
                    .tx
                    .send(Action::Notice(super::recheck::notice(&answer)));
                self.force = true;
                self.flush_at = Some(Instant::now());
            }
            Err(e) => {
                let _ = self.tx.send(Action::Warning {
                    generation: self.generation,
                    message: format!("not re-checked: {e}"),
                });
            }
        }
    }

    fn derived(&mut self, result: Result<Derived, tokio::task::JoinError>) {
        let action = match result {
            Ok(data) => Action::Derived {
                generation: self.generation,
                data: Box::new(data),
            },
            Err(e) => Action::LoadFailed {
                generation: self.generation,
                error: format!("re-evaluation after a live change failed: {e}"),
            },
        };
        let _ = self.tx.send(action);
    }

    fn failed(&mut self, scope: Scope, error: Error) -> Option<Scope> {
        let refused = matches!(error, Error::Forbidden { .. });
        let what = match &scope.namespace {
            Some(ns) => format!("{:?} in {ns}", scope.kind),
            None => format!("{:?}", scope.kind),
        };
        let message = if refused {
            format!("watching {what} is refused, so it stays as loaded: {error}")
        } else {
            format!("live updates of {what} stopped, retrying: {error}")
        };
        tracing::debug!(%message, "watch failed");
        self.relists.remove(&scope);
        if refused {
            self.failing.remove(&scope);
            self.refused.insert(scope.clone());
        } else {
            self.failing.insert(scope.clone(), message.clone());
        }
        if !self.down || refused {
            self.down = true;
            let _ = self.tx.send(Action::Disconnected {
                generation: self.generation,
                error: message,
                until_reload: refused,
            });
        }
        refused.then_some(scope)
    }

    /// The scope's watch works (or its probe answered): the data is live again once no
    /// scope fails. Returns whether this ended an outage.
    fn answered(&mut self, scope: &Scope) -> bool {
        if self.failing.remove(scope).is_none() {
            return false;
        }
        if self.down && self.failing.is_empty() && self.refused.is_empty() {
            self.down = false;
            let _ = self.tx.send(Action::Reconnected {
                generation: self.generation,
            });
            return true;
        }
        false
    }

    /// Ask every failing scope for one object.
    fn probe(&self, client: &WatchClient) -> BoxFuture<'static, Vec<(Scope, bool)>> {
        let probes: Vec<_> = self
            .failing
            .keys()
            .cloned()
            .map(|scope| {
                let client = client.clone();
                async move {
                    let ok = client
                        .probe(scope.kind, scope.namespace.clone())
                        .await
                        .is_ok();
                    (scope, ok)
                }
            })
            .collect();
        Box::pin(futures::future::join_all(probes))
    }
}

#[cfg(test)]
mod tests {
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
metadata: {namespace: ml-training, name: trainer}
spec: {containers: [{name: main, image: 'pytorch/pytorch:2.3.0'}]}
";

    fn state() -> (State, mpsc::UnboundedReceiver<Action>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let snapshot = Arc::new(snapshot(DEMO));
        (State::new(3, BuildInputs::default(), tx, snapshot), rx)
    }

    fn scope(kind: Kind) -> Scope {
        Scope {
            kind,
            namespace: None,
        }
    }

    fn drained(rx: &mut mpsc::UnboundedReceiver<Action>) -> Vec<String> {
        let mut seen = Vec::new();
        while let Ok(action) = rx.try_recv() {
            seen.push(format!("{action:?}"));
        }
        seen
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

    #[tokio::test]
    async fn an_unchanged_relist_costs_nothing_and_a_changed_one_replaces_the_kind() {
        let (mut state, mut rx) = state();
        let listed = pods(&state.snapshot);
        state.on_event(scope(Kind::Pod), Ok(WatchEvent::ListStarted));
        for object in listed.clone() {
            state.on_event(scope(Kind::Pod), Ok(WatchEvent::Listed(object)));
        }
        state.on_event(scope(Kind::Pod), Ok(WatchEvent::ListDone));
        assert!(state.pending.is_empty() && state.flush_at.is_none());

        // The pod was deleted while the watch was down: the next list no longer has it.
        state.on_event(scope(Kind::Pod), Ok(WatchEvent::ListStarted));
        state.on_event(scope(Kind::Pod), Ok(WatchEvent::ListDone));
        assert!(state.flush_at.is_some());
        let derivation = state.flush().expect("a change starts an evaluation");
        state.derived(derivation.await);
        assert!(state.snapshot.pods.is_empty());
        assert_eq!(drained(&mut rx), ["Derived(3)"]);

        // An upsert of an object identical to the snapshot's starts no evaluation.
        state.on_event(
            scope(Kind::Namespace),
            Ok(WatchEvent::Applied(Object::Namespace(
                state.snapshot.namespaces[0].clone(),
            ))),
        );
        assert!(state.flush().is_none());
    }

    #[test]
    fn outages_are_reported_once_and_recovery_when_every_kind_answers() {
        let (mut state, mut rx) = state();
        assert_eq!(state.on_event(scope(Kind::Pod), Err(unreachable())), None);
        assert_eq!(state.on_event(scope(Kind::Role), Err(unreachable())), None);
        let seen = drained(&mut rx);
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert!(
            seen[0].starts_with("Disconnected(3, live updates of Pod stopped"),
            "{seen:?}"
        );
        // A 410 is the watcher's business: it lists again.
        let gone = Error::Api {
            server: "s".into(),
            code: 410,
            message: "too old".into(),
            retry_after_seconds: None,
        };
        state.on_event(scope(Kind::Event), Err(gone));
        state.answered(&scope(Kind::Pod));
        assert!(drained(&mut rx).is_empty(), "roles still fail");
        state.on_event(scope(Kind::Role), Ok(WatchEvent::ListStarted));
        assert_eq!(drained(&mut rx), ["Reconnected(3)"]);
    }

    #[test]
    fn a_refused_watch_stops_and_keeps_the_data_stale() {
        let (mut state, mut rx) = state();
        let refused = Error::Forbidden {
            server: "s".into(),
            message: "cannot watch pods".into(),
        };
        assert_eq!(
            state.on_event(scope(Kind::Pod), Err(refused)),
            Some(scope(Kind::Pod))
        );
        state.on_event(scope(Kind::Role), Err(unreachable()));
        state.on_event(scope(Kind::Role), Ok(WatchEvent::ListStarted));
        let seen = drained(&mut rx);
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert!(seen[0].contains("watching Pod is refused"), "{seen:?}");
        assert_eq!(state.snapshot.pods.len(), 1, "the data stays");
    }
}
