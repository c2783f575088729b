//! The live feed, shared by the console's live updates and `aigov audit --watch`: after a
//! load, one watch per readable scope keeps a snapshot current. A kind listed cluster-wide in
//! one list is watched from that list's resourceVersion (`watch_from`, as a reflector does), so
//! nothing is listed twice; the others list first. Watch events become snapshot
//! changes, handed out in batches ([`Update::Changes`]) once no more are waiting and the
//! feed's debounce has passed; the consumer applies them and evaluates.
//!
//! A watch error makes the data stale ([`Update::Disconnected`], once per outage) but never
//! clears it. kube's watcher retries with backoff; when every failing scope answers again (a
//! watch event, or a one-object list probe, since a resumed watch on a quiet cluster says
//! nothing), the feed says [`Update::Reconnected`] and restarts every watch at once. A 410 Gone
//! is not an outage: the watcher lists the kind again, and a list that differs from the
//! snapshot replaces the kind wholesale; one that equals it changes nothing.

use aigov_core::model::snapshot::Change;
use aigov_core::model::{Coverage, Kind, Object, Snapshot};
use aigov_kube::watch::{WatchClient, WatchEvent, is_gone, watch_client};
use aigov_kube::{ConnectOptions, Connection, Error};
use futures::future::{AbortHandle, Abortable, BoxFuture};
use futures::stream::{BoxStream, SelectAll};
use futures::{FutureExt, StreamExt};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::Duration;
use tokio::time::{Instant, Interval};

/// How often scopes whose watch failed are asked whether they answer again.
pub const PROBE_EVERY: Duration = Duration::from_secs(2);

/// At most this many events that are already waiting join one batch.
const DRAIN_AT_MOST: usize = 4096;

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

/// What the feed hands its consumer.
#[derive(Debug)]
pub enum Update {
    /// Changes to apply to the snapshot, in the order they arrived.
    Changes(Batch),
    /// A watch failed: the data is stale until [`Update::Reconnected`]; a refused watch
    /// (`until_reload`) stays stale until the consumer loads again.
    Disconnected { error: String, until_reload: bool },
    /// Every failing scope answers again.
    Reconnected,
    /// Every scope's watch is under way (its first list is in, or it failed): from now on a
    /// change in the cluster arrives as an event. Said once, at the start.
    Synced,
}

/// Changes that arrived together.
#[derive(Debug)]
pub struct Batch {
    pub changes: Vec<Change>,
    /// The resourceVersion of the newest watch event in the batch, when it carried one.
    pub resource_version: Option<String>,
    /// When the batch's first event reached aigov.
    pub first_seen: Instant,
    pub seen_at: jiff::Timestamp,
}

type Events = BoxStream<'static, (Scope, Result<WatchEvent, Error>)>;

/// The watches of one connection and what they reported.
pub struct Feed {
    client: WatchClient,
    streams: SelectAll<Events>,
    stoppers: HashMap<Scope, AbortHandle>,
    probing: Option<BoxFuture<'static, Vec<(Scope, bool)>>>,
    probe_timer: Interval,
    state: State,
}

impl Feed {
    /// Watch every scope of `snapshot` on `connection`. `debounce` is how long changes gather
    /// before a batch is handed out (the console's screen needs no more than a few redraws a
    /// second; `audit --watch` hands out what is waiting at once).
    pub async fn start(
        options: &ConnectOptions,
        connection: &Connection,
        snapshot: &Snapshot,
        debounce: Duration,
    ) -> Result<Feed, Error> {
        let client = watch_client(options, connection).await?;
        let scopes = scopes(snapshot);
        let versions = &snapshot.list_versions;
        let mut state = State::new(debounce);
        // A watch from a list's version is under way at once; the others are once they listed.
        state.unsettled = (scopes.iter())
            .filter(|s| from_version(s, versions).is_none())
            .cloned()
            .collect();
        if state.unsettled.is_empty() {
            state.out.push_back(Update::Synced);
        }
        let (streams, stoppers) = start_watches(&client, scopes, versions);
        let mut probe_timer = tokio::time::interval(PROBE_EVERY);
        probe_timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Ok(Feed {
            client,
            streams,
            stoppers,
            probing: None,
            probe_timer,
            state,
        })
    }

    /// The next update, judged against `snapshot` (the consumer's, with every batch handed
    /// out so far applied); `None` when nothing is watched any more. While the consumer is
    /// `busy` (still evaluating the last batch), changes keep gathering and no batch is handed
    /// out, so a later re-list is still judged against what the consumer has; outages are
    /// reported either way. Cancel-safe: everything it waits on lives in the feed, so a caller
    /// may select on it.
    pub async fn next(&mut self, snapshot: &Snapshot, busy: bool) -> Option<Update> {
        loop {
            // What the first lists found differs from the snapshot: that comes before `Synced`.
            if matches!(self.state.out.front(), Some(Update::Synced))
                && !busy
                && let Some(batch) = self.state.flush()
            {
                return Some(Update::Changes(batch));
            }
            if let Some(update) = self.state.out.pop_front() {
                return Some(update);
            }
            if self.streams.is_empty() && self.state.pending.is_empty() {
                return None;
            }
            let flush_at = self.state.flush_at;
            let failing = !self.state.failing.is_empty();
            tokio::select! {
                biased;
                _ = sleep_until(flush_at), if flush_at.is_some() && !busy => {
                    if let Some(batch) = self.state.flush() {
                        return Some(Update::Changes(batch));
                    }
                }
                item = self.streams.next(), if !self.streams.is_empty() => {
                    // The last watch ended (refused): the loop's start says whether anything
                    // is left to hand out.
                    let Some((scope, item)) = item else { continue };
                    self.on_event(scope, item, snapshot);
                    // Whatever else is already waiting joins the same batch.
                    for _ in 0..DRAIN_AT_MOST {
                        match self.streams.next().now_or_never() {
                            Some(Some((scope, item))) => self.on_event(scope, item, snapshot),
                            _ => break,
                        }
                    }
                }
                _ = self.probe_timer.tick(), if failing && self.probing.is_none() => {
                    self.probing = Some(self.state.probe(&self.client));
                }
                results = finish_probe(&mut self.probing), if self.probing.is_some() => {
                    self.probing = None;
                    self.probed(results);
                }
                // Only held changes are left: they wait for the consumer.
                else => std::future::pending::<()>().await,
            }
        }
    }

    fn on_event(&mut self, scope: Scope, item: Result<WatchEvent, Error>, snapshot: &Snapshot) {
        if let Some(stop) = self.state.on_event(scope, item, snapshot)
            && let Some(stopper) = self.stoppers.remove(&stop)
        {
            stopper.abort();
        }
    }

    /// After an outage every watch starts again at once, with a fresh list, rather than each
    /// waiting out its own backoff: the data converges as soon as the server answers (an
    /// unchanged list changes nothing). Not from the load's versions: the snapshot has moved
    /// past them since.
    fn probed(&mut self, results: Vec<(Scope, bool)>) {
        let mut back = false;
        for (scope, ok) in results {
            if ok {
                back |= self.state.answered(&scope);
            }
        }
        if back {
            let watched: Vec<Scope> = self.stoppers.keys().cloned().collect();
            for stopper in self.stoppers.values() {
                stopper.abort();
            }
            (self.streams, self.stoppers) = start_watches(&self.client, watched, &BTreeMap::new());
        }
    }
}

/// The list version a scope's watch starts from: its kind's, when the kind was listed
/// cluster-wide in one list (`versions`, from the load) and the scope is cluster-wide.
fn from_version<'v>(scope: &Scope, versions: &'v BTreeMap<Kind, String>) -> Option<&'v String> {
    match scope.namespace {
        None => versions.get(&scope.kind),
        Some(_) => None,
    }
}

/// One watch per scope, tagged with its scope, each abortable by its handle. A scope with a
/// list version in `versions` starts from it; the others (and every scope after an outage)
/// list first.
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
        let events = match from_version(&scope, versions) {
            Some(version) => client.watch_from(scope.kind, None, version.clone()),
            None => client.watch(scope.kind, scope.namespace.clone()),
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

async fn finish_probe(
    probe: &mut Option<BoxFuture<'static, Vec<(Scope, bool)>>>,
) -> Vec<(Scope, bool)> {
    match probe {
        Some(p) => p.await,
        None => std::future::pending().await,
    }
}

/// The feed's state, apart from the streams and futures it waits on.
struct State {
    debounce: Duration,
    /// Changes not yet handed out, in the order they arrived.
    pending: Vec<Change>,
    flush_at: Option<Instant>,
    /// When the first pending change arrived, and the newest resourceVersion among them.
    first_seen: Option<(Instant, jiff::Timestamp)>,
    resource_version: Option<String>,
    /// Objects of a re-list in progress, per scope.
    relists: HashMap<Scope, Vec<Object>>,
    /// Scopes whose watch fails, with the error.
    failing: BTreeMap<Scope, String>,
    /// Scopes whose watch is refused for good (403): stale until a reload.
    refused: BTreeSet<Scope>,
    /// Whether the consumer was told the data is stale.
    down: bool,
    /// Updates to hand out before anything else.
    out: VecDeque<Update>,
    /// Scopes whose watch has not yet listed (or failed) since the start.
    unsettled: BTreeSet<Scope>,
}

impl State {
    fn new(debounce: Duration) -> Self {
        State {
            debounce,
            pending: Vec::new(),
            flush_at: None,
            first_seen: None,
            resource_version: None,
            relists: HashMap::new(),
            failing: BTreeMap::new(),
            refused: BTreeSet::new(),
            down: false,
            out: VecDeque::new(),
            unsettled: BTreeSet::new(),
        }
    }

    /// `scope` listed or failed: once every scope has, the feed is synced.
    fn settled(&mut self, scope: &Scope) {
        if self.unsettled.remove(scope) && self.unsettled.is_empty() {
            self.out.push_back(Update::Synced);
        }
    }

    /// Handle one watch item; returns a scope whose watcher should stop.
    fn on_event(
        &mut self,
        scope: Scope,
        item: Result<WatchEvent, Error>,
        snapshot: &Snapshot,
    ) -> Option<Scope> {
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
                self.relisted(scope.clone(), objects, snapshot);
                self.settled(&scope);
            }
            WatchEvent::Applied(object) => {
                self.saw(&object);
                self.change(Change::Upsert(Box::new(object)));
            }
            WatchEvent::Deleted(object) => {
                self.saw(&object);
                self.change(Change::Remove(object.key()));
            }
        }
        None
    }

    fn saw(&mut self, object: &Object) {
        let version = &object.meta().resource_version;
        if !version.is_empty() {
            self.resource_version = Some(version.clone());
        }
    }

    /// A complete list of a scope replaces what came before it. A list that found the
    /// snapshot as it is (the first one after a load, usually) changes nothing.
    fn relisted(&mut self, scope: Scope, objects: Vec<Object>, snapshot: &Snapshot) {
        let Scope { kind, namespace } = scope;
        self.pending
            .retain(|c| !c.in_scope(kind, namespace.as_deref()));
        if snapshot.scope_equals(kind, namespace.as_deref(), &objects) {
            if self.pending.is_empty() {
                self.flush_at = None;
                self.first_seen = None;
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
            let now = Instant::now();
            self.flush_at = Some(now + self.debounce);
            self.first_seen = Some((now, jiff::Timestamp::now()));
        }
    }

    /// The pending changes as a batch, if there are any.
    fn flush(&mut self) -> Option<Batch> {
        self.flush_at = None;
        let (first_seen, seen_at) = self.first_seen.take()?;
        if self.pending.is_empty() {
            return None;
        }
        Some(Batch {
            changes: std::mem::take(&mut self.pending),
            resource_version: self.resource_version.take(),
            first_seen,
            seen_at,
        })
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
            self.out.push_back(Update::Disconnected {
                error: message,
                until_reload: refused,
            });
        }
        self.settled(&scope);
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
            self.out.push_back(Update::Reconnected);
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
mod tests;
