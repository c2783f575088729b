//! Loading a snapshot: concurrent paged lists of every kind, converted to the compact model
//! page by page. A list that cannot be read is recorded as unknown, never as empty. Each
//! cluster-wide list's resourceVersion is kept, so watches can start where the load ended.

use super::connect::Connection;
use super::error::Error;
use super::fetch::{Page, fetch_page};
use aigov_core::model::{Coverage, Kind, Object, Snapshot};
use futures::StreamExt;
use kube::api::ListParams;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub page_size: u32,
    /// Kinds listed at the same time.
    pub concurrency: usize,
    /// Attempts per page before a kind is given up as unknown.
    pub attempts: u32,
    pub kinds: Vec<Kind>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            page_size: 500,
            concurrency: 8,
            attempts: 4,
            kinds: Kind::ALL.to_vec(),
        }
    }
}

/// Progress of one kind: how many objects so far, and whether it is finished.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub kind: Kind,
    pub loaded: usize,
    /// The server's estimate of the total, when it gives one.
    pub total: Option<usize>,
    pub done: bool,
}

pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// The outcome of listing one kind.
struct KindResult {
    kind: Kind,
    objects: Vec<Object>,
    coverage: Coverage,
    /// The resourceVersion of the one cluster-wide list that read the kind, if it was.
    version: Option<String>,
}

/// Every object of one list, and the list's resourceVersion.
struct Listed {
    objects: Vec<Object>,
    version: Option<String>,
}

/// Fetch one page, retrying what is worth retrying: 429 (after Retry-After), 5xx and
/// deadlines. Everything else fails at once.
async fn page_with_retry(
    connection: &Connection,
    kind: Kind,
    namespace: Option<&str>,
    params: &ListParams,
    attempts: u32,
) -> Result<Page, Error> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = connection
            .request(fetch_page(
                connection.client.clone(),
                kind,
                namespace.map(str::to_string),
                params.clone(),
            ))
            .await;
        let wait = match &result {
            Ok(_) => return result,
            Err(Error::Api { code: 429, .. }) => {
                retry_after(&result).unwrap_or(Duration::from_secs(1))
            }
            Err(Error::Api { code, .. }) if *code >= 500 => backoff(attempt),
            Err(Error::Unreachable { .. }) | Err(Error::Transport { .. }) => backoff(attempt),
            Err(_) => return result,
        };
        if attempt >= attempts {
            return result;
        }
        tracing::debug!(?kind, attempt, ?wait, "retrying a list page");
        tokio::time::sleep(wait).await;
    }
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(200u64 << attempt.min(5))
}

/// 429 answers carry `details.retryAfterSeconds`; the classified error keeps only the
/// message, so a second wait of one second is the fallback when it is missing.
fn retry_after<T>(result: &Result<T, Error>) -> Option<Duration> {
    match result {
        Err(Error::Api {
            retry_after_seconds: Some(s),
            ..
        }) => Some(Duration::from_secs((*s).min(30))),
        _ => None,
    }
}

/// Every object of a kind in one namespace (or all, with `None`), page by page. A continue
/// token that expires mid-list restarts the list from the beginning (at most twice); the
/// version reported is then the restarted list's.
async fn list_kind(
    connection: &Connection,
    kind: Kind,
    namespace: Option<&str>,
    options: &LoadOptions,
    progress: &ProgressFn,
    loaded_before: usize,
) -> Result<Listed, Error> {
    let mut restarts = 0;
    'restart: loop {
        let mut objects = Vec::new();
        let mut token: Option<String> = None;
        // The first page's version: a consistent list reports the same on every page, and
        // if a server's pages were not one snapshot, the earliest version is the one a
        // watch can start from without missing a change.
        let mut version: Option<String> = None;
        loop {
            let mut params = ListParams::default().limit(options.page_size);
            if let Some(t) = &token {
                params = params.continue_token(t);
            }
            match page_with_retry(connection, kind, namespace, &params, options.attempts).await {
                Ok(page) => {
                    if token.is_none() {
                        version = page.resource_version;
                    }
                    objects.extend(page.objects);
                    progress(Progress {
                        kind,
                        loaded: loaded_before + objects.len(),
                        total: page.remaining.map(|r| loaded_before + objects.len() + r),
                        done: false,
                    });
                    match page.continue_token {
                        Some(next) => token = Some(next),
                        None => return Ok(Listed { objects, version }),
                    }
                }
                Err(Error::Api { code: 410, .. }) if token.is_some() && restarts < 2 => {
                    restarts += 1;
                    tracing::debug!(
                        ?kind,
                        "continue token expired; listing again from the start"
                    );
                    continue 'restart;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

async fn load_kind(
    connection: &Connection,
    kind: Kind,
    namespaces: &[String],
    options: &LoadOptions,
    progress: &ProgressFn,
) -> KindResult {
    let finish = |objects: Vec<Object>, coverage: Coverage, version: Option<String>| {
        progress(Progress {
            kind,
            loaded: objects.len(),
            total: Some(objects.len()),
            done: true,
        });
        KindResult {
            kind,
            objects,
            coverage,
            version,
        }
    };
    match list_kind(connection, kind, None, options, progress, 0).await {
        Ok(listed) => finish(listed.objects, Coverage::Complete, listed.version),
        Err(Error::Api { code: 404, .. }) if kind.is_custom() => {
            finish(Vec::new(), Coverage::NotServed, None)
        }
        Err(Error::Forbidden { message, .. })
            if kind.api().namespaced && !namespaces.is_empty() =>
        {
            // Not allowed cluster-wide: read the namespaces we may read, one by one. The lists
            // were read at different versions, so no one version covers the kind.
            let mut objects = Vec::new();
            let mut unknown = BTreeMap::new();
            for ns in namespaces {
                match list_kind(connection, kind, Some(ns), options, progress, objects.len()).await
                {
                    Ok(found) => objects.extend(found.objects),
                    Err(e) => {
                        unknown.insert(ns.clone(), e.to_string());
                    }
                }
            }
            let coverage = if unknown.len() == namespaces.len() {
                Coverage::Unknown { reason: message }
            } else if unknown.is_empty() {
                Coverage::Complete
            } else {
                Coverage::Partial {
                    unknown_namespaces: unknown,
                }
            };
            finish(objects, coverage, None)
        }
        Err(e) => finish(
            Vec::new(),
            Coverage::Unknown {
                reason: e.to_string(),
            },
            None,
        ),
    }
}

/// Load a snapshot of every kind in `options.kinds`. Namespaces come first, because a kind
/// that cannot be listed cluster-wide is then tried per namespace.
pub async fn load(
    connection: &Connection,
    options: &LoadOptions,
    progress: ProgressFn,
) -> Snapshot {
    let mut snapshot = Snapshot::default();
    snapshot.origin.context = connection.context.clone();
    snapshot.origin.server = connection.server.clone();
    snapshot.origin.identity = connection.identity.clone();
    let mut namespaces = Vec::new();
    if options.kinds.contains(&Kind::Namespace) {
        let result = load_kind(connection, Kind::Namespace, &[], options, &progress).await;
        for object in &result.objects {
            if let Object::Namespace(ns) = object {
                namespaces.push(ns.meta.name.clone());
            }
        }
        absorb(&mut snapshot, result);
    }
    let others: Vec<Kind> = options
        .kinds
        .iter()
        .copied()
        .filter(|k| *k != Kind::Namespace)
        .collect();
    let mut results = futures::stream::iter(others)
        .map(|kind| {
            let namespaces = &namespaces;
            let progress = &progress;
            async move { load_kind(connection, kind, namespaces, options, progress).await }
        })
        .buffer_unordered(options.concurrency.max(1));
    // Kinds finish in any order; absorbing them in kind order keeps the snapshot, and so
    // every report built from it, the same from one run to the next.
    let mut finished = Vec::new();
    while let Some(result) = results.next().await {
        finished.push(result);
    }
    finished.sort_by_key(|r| r.kind);
    for result in finished {
        absorb(&mut snapshot, result);
    }
    snapshot.origin.loaded_at = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    snapshot
}

fn absorb(snapshot: &mut Snapshot, result: KindResult) {
    snapshot.coverage.insert(result.kind, result.coverage);
    if let Some(version) = result.version {
        snapshot.list_versions.insert(result.kind, version);
    }
    for object in result.objects {
        snapshot.insert(object);
    }
}
