//! Watching: per kind, either a `kube::runtime::watcher` that lists first (`watch`) or a
//! reflector that starts from the resourceVersion of the load's list (`watch_from`, see
//! `reflector.rs`). Both read Secrets as metadata only and AI custom kinds as dynamic
//! objects, back off with kube's default backoff, and convert to the model with the same
//! functions the loader uses.
//!
//! Watches are long requests. The loader's client has a read timeout (`--timeout`), which
//! would cut a quiet watch whenever no byte arrives for that long: a real API server sends
//! a bookmark only about once a minute. Watches therefore use their own client, with the
//! same credentials and connect and write deadlines but no read timeout; a dead connection
//! is noticed by kube's idle timeout instead (the watch's `timeoutSeconds` plus 5 s).

use super::connect::{ConnectOptions, Connection};
use super::error::{Error, classify};
use super::fetch::{
    KindOp, Typed, custom_object, custom_resource, fetch_page, for_kind, secret_object,
};
use super::kubeconfig;
use aigov_core::model::{Kind, Object};
use futures::StreamExt;
use futures::stream::BoxStream;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::{ClusterResourceScope, NamespaceResourceScope};
use kube::api::{Api, DynamicObject, ListParams};
use kube::core::PartialObjectMeta;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource};
use serde::de::DeserializeOwned;
use std::time::Duration;

/// How long the server keeps one watch request open before the watcher resumes it from the
/// last resourceVersion. It also bounds how long a silently dead connection goes unnoticed
/// (this plus kube's 5 s margin).
pub const WATCH_SECONDS: u32 = 60;

/// One step of a watch, in the watcher's terms.
#[derive(Debug, Clone)]
pub enum WatchEvent {
    /// The watch (re)started with a full list: the `Listed` objects that follow, up to
    /// `ListDone`, are the complete set of the kind in the watched scope.
    ListStarted,
    Listed(Object),
    ListDone,
    /// An object was added or modified.
    Applied(Object),
    Deleted(Object),
}

/// A client for watches on the cluster of `connection`.
#[derive(Clone)]
pub struct WatchClient {
    client: Client,
    server: String,
    context: String,
    timeout: Duration,
}

impl std::fmt::Debug for WatchClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchClient")
            .field("context", &self.context)
            .field("server", &self.server)
            .finish()
    }
}

/// Build the watch client for `connection` from the same kubeconfig and context, with the
/// read-only transport layer when the connection has it. Refuses if the context no longer
/// points at the connection's server, so a watch never mixes in another cluster.
pub async fn watch_client(
    options: &ConnectOptions,
    connection: &Connection,
) -> Result<WatchClient, Error> {
    let loaded = kubeconfig::load(options.kubeconfig.as_deref())?;
    let context = connection.context.clone();
    let server = loaded.server_of(&context).unwrap_or_default();
    if server != connection.server {
        return Err(Error::BadContext {
            context,
            reason: format!(
                "its server changed from {} to {server} since the connection was made; reload",
                connection.server
            ),
        });
    }
    // The connection already has the operator's consent for its plugin; a changed one is
    // only run if the store holds consent for it.
    let (mut client_config, _) = super::connect::client_config(
        &loaded,
        &context,
        aigov_state::consent::Approval::StoredOnly,
        connection.agreed_plugin.as_deref(),
    )
    .await?;
    client_config.connect_timeout = Some(connection.timeout);
    client_config.write_timeout = Some(connection.timeout);
    // No read timeout: see the module comment.
    client_config.read_timeout = None;
    client_config.default_retry = false;
    let client = super::connect::build_client(
        client_config,
        connection.read_only,
        &context,
        connection.timeout,
    )
    .await?;
    Ok(WatchClient {
        client,
        server: connection.server.clone(),
        context: connection.context.clone(),
        timeout: connection.timeout,
    })
}

impl WatchClient {
    /// Watch `kind` in `namespace` (every namespace with `None`; ignored for cluster-scoped
    /// kinds). The stream never ends: after an error it retries with kube's default backoff.
    /// A 410 Gone is reported as an error too, and is followed by a new full list.
    pub fn watch(
        &self,
        kind: Kind,
        namespace: Option<String>,
    ) -> BoxStream<'static, Result<WatchEvent, Error>> {
        let (server, context, timeout) = (self.server.clone(), self.context.clone(), self.timeout);
        for_kind(
            kind,
            Watch {
                client: self.client.clone(),
                namespace,
            },
        )
        .map(move |item| item.map_err(|e| watch_error(&server, &context, timeout, e)))
        .boxed()
    }

    /// Watch `kind` in `namespace` from `resource_version`, the version of the list the data
    /// came from (`Snapshot::list_versions`), as a Kubernetes reflector does: no list first,
    /// so the objects already loaded are not sent again. The stream never ends. It resumes
    /// from the last version seen (events and bookmarks) whenever the server ends the watch,
    /// reports errors and retries them with kube's default backoff, and on 410 Gone (the
    /// version was compacted away) reports the 410, lists the kind once (`ListStarted`,
    /// `Listed`..., `ListDone`, as [`Self::watch`] does) and goes on from that list's version.
    /// An empty `resource_version` lists first.
    pub fn watch_from(
        &self,
        kind: Kind,
        namespace: Option<String>,
        resource_version: String,
    ) -> BoxStream<'static, Result<WatchEvent, Error>> {
        let source = super::reflector::Cluster {
            client: self.client.clone(),
            kind,
            namespace,
            server: self.server.clone(),
            context: self.context.clone(),
            timeout: self.timeout,
        };
        super::reflector::reflect(
            source,
            resource_version,
            Box::new(watcher::DefaultBackoff::default()),
            super::reflector::idle_timeout(),
        )
    }

    /// Whether `kind` can be read right now: one list request of one object, under the
    /// connect deadline. Used to tell when the connection is back while a watcher waits.
    pub async fn probe(&self, kind: Kind, namespace: Option<String>) -> Result<(), Error> {
        let request = fetch_page(
            self.client.clone(),
            kind,
            namespace,
            ListParams::default().limit(1),
        );
        match tokio::time::timeout(self.timeout, request).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(classify(&self.server, &self.context, self.timeout, &e)),
            Err(_) => Err(Error::Unreachable {
                server: self.server.clone(),
                timeout: self.timeout,
                reason: "no answer before the deadline".into(),
            }),
        }
    }
}

/// Whether a watch error only means "list again" (410 Gone after a compaction), which both
/// `watch` and `watch_from` do by themselves.
pub fn is_gone(error: &Error) -> bool {
    matches!(error, Error::Api { code: 410, .. })
}

fn watch_error(server: &str, context: &str, timeout: Duration, error: watcher::Error) -> Error {
    match error {
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => classify(server, context, timeout, &e),
        watcher::Error::WatchError(status) => {
            classify(server, context, timeout, &kube::Error::Api(status))
        }
        watcher::Error::NoResourceVersion => Error::Transport {
            server: server.to_string(),
            reason: "a watch event had no resourceVersion".into(),
        },
    }
}

fn config() -> watcher::Config {
    watcher::Config::default().timeout(WATCH_SECONDS)
}

fn convert_event<K>(event: watcher::Event<K>, convert: impl Fn(&K) -> Object) -> WatchEvent {
    match event {
        watcher::Event::Init => WatchEvent::ListStarted,
        watcher::Event::InitApply(o) => WatchEvent::Listed(convert(&o)),
        watcher::Event::InitDone => WatchEvent::ListDone,
        watcher::Event::Apply(o) => WatchEvent::Applied(convert(&o)),
        watcher::Event::Delete(o) => WatchEvent::Deleted(convert(&o)),
    }
}

type Events = BoxStream<'static, Result<WatchEvent, watcher::Error>>;

/// Starting the watcher of one kind.
struct Watch {
    client: Client,
    namespace: Option<String>,
}

fn typed<K>(api: Api<K>, convert: fn(&K) -> Object) -> Events
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
{
    watcher(api, config())
        .default_backoff()
        .map(move |item| item.map(|event| convert_event(event, convert)))
        .boxed()
}

impl KindOp for Watch {
    type Output = Events;

    fn namespaced<K>(self, convert: fn(&K) -> Object) -> Events
    where
        K: Typed<Scope = NamespaceResourceScope>,
    {
        let api = match &self.namespace {
            Some(ns) => Api::<K>::namespaced(self.client, ns),
            None => Api::<K>::all(self.client),
        };
        typed(api, convert)
    }

    fn cluster<K>(self, convert: fn(&K) -> Object) -> Events
    where
        K: Typed<Scope = ClusterResourceScope>,
    {
        typed(Api::<K>::all(self.client), convert)
    }

    fn secrets(self) -> Events {
        // `Api<PartialObjectMeta<_>>` asks for metadata only: Secret data never leaves the server.
        type Meta = PartialObjectMeta<core::Secret>;
        let api = match &self.namespace {
            Some(ns) => Api::<Meta>::namespaced(self.client, ns),
            None => Api::<Meta>::all(self.client),
        };
        typed(api, |s: &Meta| secret_object(&s.metadata))
    }

    fn custom(self, kind: Kind) -> Events {
        let resource = custom_resource(kind);
        let api = match &self.namespace {
            Some(ns) => Api::<DynamicObject>::namespaced_with(self.client, ns, &resource),
            None => Api::<DynamicObject>::all_with(self.client, &resource),
        };
        watcher(api, config())
            .default_backoff()
            .map(move |item| item.map(|event| convert_event(event, |o| custom_object(kind, o))))
            .boxed()
    }
}
