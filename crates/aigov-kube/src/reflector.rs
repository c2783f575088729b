//! Reflector-style watches: start from a known resourceVersion (the load's list) instead of
//! listing first, resume from the last version seen, and list again only on 410 Gone.
//!
//! This is built on `kube::Api::watch` (raw watch events), not on `kube::runtime::watcher`.
//! kube 5's watcher always begins with a list (or a streaming list from "0"), and it takes
//! no resourceVersion to start from: its state machine is private. That initial list is
//! what this module exists to avoid, because at 150,000 pods it doubles the console's
//! memory right after the load. Owning the loop also lets it resume from bookmarks, list
//! with the loader's own converters on 410 (Secrets as metadata only), and bound the
//! request that opens a watch by the connection's deadline.
//!
//! The loop, per scope:
//! - open a watch from `version` (bookmarks requested, the server ends it after
//!   `WATCH_SECONDS`);
//! - every event and bookmark moves `version` to its resourceVersion; when the server ends
//!   the watch, or nothing arrives for `WATCH_SECONDS` plus a margin (a dead connection),
//!   open again from `version`: no change is missed or delivered twice;
//! - an error is reported in the stream (the console marks the data stale) and retried after
//!   kube's default backoff, which restarts from the first delay once events flow again; a
//!   watch that ends at once with nothing in it also waits, so a server that keeps closing
//!   watches is not hammered;
//! - 410 Gone (the version was compacted away) is reported, then the kind is listed once,
//!   page by page (`ListStarted`, `Listed`..., `ListDone`, as `WatchClient::watch` emits, so
//!   consumers replace the kind wholesale), and the watch continues from that list's
//!   version. A list that fails part-way starts over with a new `ListStarted`.

use super::error::{Error, classify};
use super::fetch::{
    KindOp, Page, Typed, custom_object, custom_resource, fetch_page, for_kind, secret_object,
};
use super::watch::{WATCH_SECONDS, WatchEvent, is_gone};
use aigov_core::model::{Kind, Object};
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt};
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::{ClusterResourceScope, NamespaceResourceScope};
use kube::api::{Api, DynamicObject, ListParams, WatchParams};
use kube::core::PartialObjectMeta;
use kube::runtime::utils::Backoff;
use kube::{Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use std::time::Duration;
use tokio::time::Instant;

/// Objects per page when a 410 makes the reflector list a kind again (as the loader does).
pub const RELIST_PAGE: u32 = 500;

/// A watch that ends sooner than this with nothing in it is a server (or proxy) closing
/// watches at once: wait out the backoff before the next one.
const SHORT_WATCH: Duration = Duration::from_secs(1);

/// The longest pause between two attempts, should the backoff ever run dry.
const MAX_PAUSE: Duration = Duration::from_secs(30);

/// One event of a raw watch, converted to the model, with the resourceVersion it carries.
#[derive(Debug)]
pub(crate) enum Raw {
    Applied(Object, String),
    Deleted(Object, String),
    Bookmark(String),
}

pub(crate) type RawEvents = BoxStream<'static, Result<Raw, Error>>;

/// Where a reflector's watches and lists come from: the cluster, or a test's script.
pub(crate) trait Source: Send + 'static {
    /// Open a watch of the scope from `version`.
    fn watch(&self, version: &str) -> BoxFuture<'static, Result<RawEvents, Error>>;
    /// One page of a list of the scope (the first without a continue token).
    fn list(&self, continue_token: Option<String>) -> BoxFuture<'static, Result<Page, Error>>;
    /// The error for a list that carries no resourceVersion to watch from.
    fn no_version(&self) -> Error;
}

/// How long a watch may stay silent before its connection is presumed dead: the server's
/// own timeout plus a margin, as kube's watcher does.
pub fn idle_timeout() -> Duration {
    Duration::from_secs(u64::from(WATCH_SECONDS) + 5)
}

/// The reflector's stream: it never ends; drop it to stop. An empty `version` lists first.
pub(crate) fn reflect<S: Source>(
    source: S,
    version: String,
    backoff: Box<dyn Backoff>,
    idle: Duration,
) -> BoxStream<'static, Result<WatchEvent, Error>> {
    let phase = if version.is_empty() {
        Phase::list()
    } else {
        Phase::Open
    };
    let start = Reflector {
        source,
        version,
        phase,
        pause: None,
        backoff,
        idle,
    };
    futures::stream::unfold(start, |mut reflector| async move {
        let batch = reflector.step().await;
        Some((futures::stream::iter(batch), reflector))
    })
    .flatten()
    .boxed()
}

enum Phase {
    /// Open a watch from the current version.
    Open,
    Watching {
        events: RawEvents,
        opened: Instant,
        /// Whether anything (an event or a bookmark) came on this watch.
        seen: bool,
    },
    /// Listing the kind after a 410: the next page, and the list's version from its first.
    Listing {
        token: Option<String>,
        version: Option<String>,
        restarts: u32,
    },
}

impl Phase {
    fn list() -> Phase {
        Phase::Listing {
            token: None,
            version: None,
            restarts: 0,
        }
    }
}

type Batch = Vec<Result<WatchEvent, Error>>;

struct Reflector<S> {
    source: S,
    /// The resourceVersion to (re)open the watch from: the last one seen.
    version: String,
    phase: Phase,
    /// Wait this long before the next step (after an error).
    pause: Option<Duration>,
    backoff: Box<dyn Backoff>,
    idle: Duration,
}

impl<S: Source> Reflector<S> {
    async fn step(&mut self) -> Batch {
        if let Some(wait) = self.pause.take() {
            tokio::time::sleep(wait).await;
        }
        match std::mem::replace(&mut self.phase, Phase::Open) {
            Phase::Open => self.open().await,
            Phase::Watching {
                events,
                opened,
                seen,
            } => self.read(events, opened, seen).await,
            Phase::Listing {
                token,
                version,
                restarts,
            } => self.list(token, version, restarts).await,
        }
    }

    async fn open(&mut self) -> Batch {
        match self.source.watch(&self.version).await {
            Ok(events) => {
                self.phase = Phase::Watching {
                    events,
                    opened: Instant::now(),
                    seen: false,
                };
                Vec::new()
            }
            Err(e) => self.failed(e, Phase::Open),
        }
    }

    async fn read(&mut self, mut events: RawEvents, opened: Instant, seen: bool) -> Batch {
        let item = match tokio::time::timeout(self.idle, events.next()).await {
            Ok(item) => item,
            Err(_) => {
                tracing::debug!(version = %self.version, "watch silent past its timeout; resuming");
                return Vec::new();
            }
        };
        let raw = match item {
            Some(Ok(raw)) => raw,
            Some(Err(e)) => {
                return self.failed(
                    e,
                    Phase::Watching {
                        events,
                        opened,
                        seen,
                    },
                );
            }
            None => {
                if !seen && opened.elapsed() < SHORT_WATCH {
                    self.pause = Some(self.next_pause());
                }
                tracing::debug!(version = %self.version, "watch ended; resuming");
                return Vec::new();
            }
        };
        self.backoff.reset();
        self.phase = Phase::Watching {
            events,
            opened,
            seen: true,
        };
        let event = match raw {
            Raw::Applied(object, version) => {
                self.advance(version);
                WatchEvent::Applied(object)
            }
            Raw::Deleted(object, version) => {
                self.advance(version);
                WatchEvent::Deleted(object)
            }
            Raw::Bookmark(version) => {
                self.advance(version);
                return Vec::new();
            }
        };
        vec![Ok(event)]
    }

    async fn list(
        &mut self,
        token: Option<String>,
        version: Option<String>,
        restarts: u32,
    ) -> Batch {
        let first = token.is_none();
        let page = match self.source.list(token).await {
            Ok(page) => page,
            Err(e) if is_gone(&e) && !first && restarts < 2 => {
                tracing::debug!("continue token expired during a relist; listing from the start");
                self.phase = Phase::Listing {
                    token: None,
                    version: None,
                    restarts: restarts + 1,
                };
                return Vec::new();
            }
            Err(e) => {
                // Consumers drop a relist that an error interrupts: start over.
                self.pause = Some(self.next_pause());
                self.phase = Phase::list();
                return vec![Err(e)];
            }
        };
        self.backoff.reset();
        let version = if first {
            page.resource_version
        } else {
            version
        };
        let mut batch = Vec::with_capacity(page.objects.len() + 2);
        if first {
            batch.push(Ok(WatchEvent::ListStarted));
        }
        batch.extend(page.objects.into_iter().map(|o| Ok(WatchEvent::Listed(o))));
        if let Some(next) = page.continue_token {
            self.phase = Phase::Listing {
                token: Some(next),
                version,
                restarts,
            };
            return batch;
        }
        batch.push(Ok(WatchEvent::ListDone));
        match version {
            Some(version) => {
                self.version = version;
                self.phase = Phase::Open;
            }
            None => {
                batch.push(Err(self.source.no_version()));
                self.pause = Some(self.next_pause());
                self.phase = Phase::list();
            }
        }
        batch
    }

    /// Report `error`. A 410 Gone means the version is too old: list again at once.
    /// Anything else is retried after the backoff, going on with `then`.
    fn failed(&mut self, error: Error, then: Phase) -> Batch {
        if is_gone(&error) {
            tracing::debug!(version = %self.version, "watch version too old (410); listing again");
            self.phase = Phase::list();
        } else {
            self.pause = Some(self.next_pause());
            self.phase = then;
        }
        vec![Err(error)]
    }

    fn advance(&mut self, version: String) {
        if !version.is_empty() {
            self.version = version;
        }
    }

    fn next_pause(&mut self) -> Duration {
        self.backoff.next().unwrap_or(MAX_PAUSE)
    }
}

/// A scope of the cluster, read through the watch client.
pub(crate) struct Cluster {
    pub client: Client,
    pub kind: Kind,
    pub namespace: Option<String>,
    pub server: String,
    pub context: String,
    /// The connection's deadline, for the requests that open a watch or read a page.
    pub timeout: Duration,
}

impl Cluster {
    fn classify(&self) -> impl Fn(kube::Error) -> Error + Send + Sync + Clone + 'static {
        let (server, context, timeout) = (self.server.clone(), self.context.clone(), self.timeout);
        move |e| classify(&server, &context, timeout, &e)
    }

    fn late(&self, what: &str) -> Error {
        Error::Unreachable {
            server: self.server.clone(),
            timeout: self.timeout,
            reason: format!("no answer to {what} before the deadline"),
        }
    }
}

impl Source for Cluster {
    fn watch(&self, version: &str) -> BoxFuture<'static, Result<RawEvents, Error>> {
        let open = for_kind(
            self.kind,
            OpenWatch {
                client: self.client.clone(),
                namespace: self.namespace.clone(),
                version: version.to_string(),
            },
        );
        let classify = self.classify();
        let late = self.late("the watch request");
        let timeout = self.timeout;
        async move {
            let events = match tokio::time::timeout(timeout, open).await {
                Ok(opened) => opened.map_err(classify.clone())?,
                Err(_) => return Err(late),
            };
            Ok(events.map(move |item| item.map_err(&classify)).boxed())
        }
        .boxed()
    }

    fn list(&self, continue_token: Option<String>) -> BoxFuture<'static, Result<Page, Error>> {
        let mut params = ListParams::default().limit(RELIST_PAGE);
        if let Some(token) = &continue_token {
            params = params.continue_token(token);
        }
        let request = fetch_page(
            self.client.clone(),
            self.kind,
            self.namespace.clone(),
            params,
        );
        let classify = self.classify();
        let late = self.late("a list page");
        let timeout = self.timeout;
        async move {
            match tokio::time::timeout(timeout, request).await {
                Ok(page) => page.map_err(classify),
                Err(_) => Err(late),
            }
        }
        .boxed()
    }

    fn no_version(&self) -> Error {
        Error::Transport {
            server: self.server.clone(),
            reason: format!(
                "the list of {} carried no resourceVersion to watch from; listing again",
                self.kind
            ),
        }
    }
}

type Opened = BoxFuture<'static, Result<BoxStream<'static, Result<Raw, kube::Error>>, kube::Error>>;

/// Opening a raw watch of one kind from a version.
struct OpenWatch {
    client: Client,
    namespace: Option<String>,
    version: String,
}

fn watch_params() -> WatchParams {
    let mut params = WatchParams::default().timeout(WATCH_SECONDS);
    params.bookmarks = true;
    params
}

fn open<K, F>(api: Api<K>, version: String, convert: F) -> Opened
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
    F: Fn(&K) -> Object + Send + Sync + 'static,
{
    async move {
        let events = api.watch(&watch_params(), &version).await?;
        Ok(events
            .map(move |item| item.and_then(|event| raw(event, &convert)))
            .boxed())
    }
    .boxed()
}

fn raw<K: Resource>(
    event: kube::api::WatchEvent<K>,
    convert: &impl Fn(&K) -> Object,
) -> Result<Raw, kube::Error> {
    use kube::api::WatchEvent as W;
    match event {
        W::Added(o) | W::Modified(o) => Ok(Raw::Applied(convert(&o), version_of(&o))),
        W::Deleted(o) => Ok(Raw::Deleted(convert(&o), version_of(&o))),
        W::Bookmark(b) => Ok(Raw::Bookmark(b.metadata.resource_version)),
        // A watch reports failures, 410 Gone among them, as ERROR events in an answered
        // request: the same classification as a failed request.
        W::Error(status) => Err(kube::Error::Api(status)),
    }
}

fn version_of<K: Resource>(object: &K) -> String {
    object.resource_version().unwrap_or_default()
}

impl KindOp for OpenWatch {
    type Output = Opened;

    fn namespaced<K>(self, convert: fn(&K) -> Object) -> Opened
    where
        K: Typed<Scope = NamespaceResourceScope>,
    {
        let api = match &self.namespace {
            Some(ns) => Api::<K>::namespaced(self.client, ns),
            None => Api::<K>::all(self.client),
        };
        open(api, self.version, convert)
    }

    fn cluster<K>(self, convert: fn(&K) -> Object) -> Opened
    where
        K: Typed<Scope = ClusterResourceScope>,
    {
        open(Api::<K>::all(self.client), self.version, convert)
    }

    fn secrets(self) -> Opened {
        // `Api<PartialObjectMeta<_>>` watches metadata only: Secret data never leaves the server.
        type Meta = PartialObjectMeta<core::Secret>;
        let api = match &self.namespace {
            Some(ns) => Api::<Meta>::namespaced(self.client, ns),
            None => Api::<Meta>::all(self.client),
        };
        open(api, self.version, |s: &Meta| secret_object(&s.metadata))
    }

    fn custom(self, kind: Kind) -> Opened {
        let resource = custom_resource(kind);
        let api = match &self.namespace {
            Some(ns) => Api::<DynamicObject>::namespaced_with(self.client, ns, &resource),
            None => Api::<DynamicObject>::all_with(self.client, &resource),
        };
        open(api, self.version, move |o: &DynamicObject| {
            custom_object(kind, o)
        })
    }
}

#[cfg(test)]
mod tests;
