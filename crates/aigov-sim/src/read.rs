//! Reads: get, list (selectors, paging, continue expiry) and watch streams.

use super::render::{Shape, partial_metadata, table};
use super::selectors::{FieldQuery, LabelQuery, labels_of};
use super::server::{Ctx, json_response};
use super::status::ApiError;
use super::store::Expired;
use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

pub fn get(ctx: &Ctx, name: &str) -> Result<Response, ApiError> {
    let t = ctx.resource_type();
    let object = ctx
        .state
        .store
        .get(ctx.path.resource, &ctx.object_namespace(), name)
        .ok_or_else(|| ApiError::not_found(t.group, t.plural, name))?;
    Ok(match ctx.shape() {
        Shape::Full => json_response(&object),
        Shape::Metadata => json_response(&partial_metadata(&object)),
        Shape::Table => json_response(&table(t, &[object], json!({}), ctx.param("includeObject"))),
    })
}

#[derive(serde::Serialize, serde::Deserialize)]
struct ContinueToken {
    rv: u64,
    ns: String,
    name: String,
}

fn encode_continue(rv: u64, key: &(String, String)) -> String {
    let token = ContinueToken {
        rv,
        ns: key.0.clone(),
        name: key.1.clone(),
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&token).unwrap_or_default())
}

fn decode_continue(text: &str) -> Result<ContinueToken, ApiError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| ApiError::bad_request("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"))
}

/// The selector filter of a list or watch request.
fn filter(ctx: &Ctx) -> Result<impl Fn(&Value) -> bool + use<>, ApiError> {
    let labels = LabelQuery::parse(ctx.param("labelSelector"))
        .map_err(|e| ApiError::bad_request(format!("unable to parse requirement: {e}")))?;
    let fields = FieldQuery::parse(ctx.param("fieldSelector")).map_err(ApiError::bad_request)?;
    Ok(move |v: &Value| (labels.is_empty() || labels.matches(&labels_of(v))) && fields.matches(v))
}

pub fn list(ctx: &Ctx) -> Result<Response, ApiError> {
    let t = ctx.resource_type();
    let filter = filter(ctx)?;
    let limit = match ctx.param("limit") {
        "" | "0" => None,
        n => Some(
            n.parse::<usize>()
                .map_err(|_| ApiError::bad_request(format!("invalid limit {n:?}")))?,
        ),
    };
    let token = match ctx.param("continue") {
        "" => None,
        text => {
            let token = decode_continue(text)?;
            if ctx.state.faults.settings().expire_continue
                || token.rv < ctx.state.store.compacted_resource_version()
            {
                return Err(ApiError::gone(
                    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
                ));
            }
            Some(token)
        }
    };
    let namespace = (!ctx.path.namespace.is_empty()).then_some(ctx.path.namespace.as_str());
    let after = token.as_ref().map(|t| (t.ns.clone(), t.name.clone()));
    let (items, next, rv) =
        ctx.state
            .store
            .list(ctx.path.resource, namespace, after.as_ref(), limit, &filter);
    // A paged list reports the resourceVersion of its first page, as etcd snapshots do.
    let list_rv = token.as_ref().map_or(rv, |t| t.rv);
    let mut metadata = json!({"resourceVersion": list_rv.to_string()});
    if let Some(next) = &next {
        metadata["continue"] = json!(encode_continue(list_rv, next));
    }
    match ctx.shape() {
        Shape::Table => Ok(json_response(&table(
            t,
            &items,
            metadata,
            ctx.param("includeObject"),
        ))),
        Shape::Metadata => {
            let items: Vec<Value> = items.iter().map(|o| partial_metadata(o)).collect();
            Ok(json_response(&json!({
                "kind": "PartialObjectMetadataList",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": metadata,
                "items": items,
            })))
        }
        Shape::Full => Ok(list_body(&t.list_kind, &t.api_version(), &metadata, &items)),
    }
}

/// Serialise a list without building one big `Value`: large lists are the hot path.
fn list_body(kind: &str, api_version: &str, metadata: &Value, items: &[Arc<Value>]) -> Response {
    let mut out = Vec::with_capacity(items.len() * 2048 + 256);
    out.extend_from_slice(b"{\"kind\":");
    let _ = serde_json::to_writer(&mut out, kind);
    out.extend_from_slice(b",\"apiVersion\":");
    let _ = serde_json::to_writer(&mut out, api_version);
    out.extend_from_slice(b",\"metadata\":");
    let _ = serde_json::to_writer(&mut out, metadata);
    out.extend_from_slice(b",\"items\":[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let _ = serde_json::to_writer(&mut out, item.as_ref());
    }
    out.extend_from_slice(b"]}");
    let mut response = Response::new(Body::from(out));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn event_line(kind: &str, object: &Value) -> Bytes {
    let mut line = serde_json::to_vec(&json!({"type": kind, "object": object})).unwrap_or_default();
    line.push(b'\n');
    Bytes::from(line)
}

/// A watch: replayed or initial events, then live ones, as newline-delimited JSON.
pub fn watch(ctx: &Ctx) -> Result<Response, ApiError> {
    let t = ctx.resource_type().clone();
    let filter = filter(ctx)?;
    let store = ctx.state.store.clone();
    // Read at every event, so a fault switched on while a watch is open applies to it.
    let faults = ctx.state.faults.clone();
    let namespace = ctx.path.namespace.clone();
    let shape = ctx.shape();
    let include = ctx.param("includeObject").to_string();
    let bookmarks = matches!(ctx.param("allowWatchBookmarks"), "true" | "1");
    let timeout = ctx.param("timeoutSeconds").parse::<u64>().unwrap_or(1800);
    let initial_events = matches!(ctx.param("sendInitialEvents"), "true" | "1");
    let rv_param = ctx.param("resourceVersion").to_string();
    let resource = ctx.path.resource;

    let (initial, mut subscription) = if rv_param.is_empty() || rv_param == "0" || initial_events {
        let ns = (!namespace.is_empty()).then_some(namespace.as_str());
        let (objects, sub) = store.snapshot_and_subscribe(resource, ns);
        (objects, Ok(sub))
    } else {
        let since = rv_param
            .parse::<u64>()
            .map_err(|_| ApiError::bad_request(format!("invalid resourceVersion {rv_param:?}")))?;
        (Vec::new(), store.subscribe(resource, since))
    };
    let (sender, receiver) = tokio::sync::mpsc::channel::<Bytes>(256);
    let render = move |object: &Value| -> Value {
        match shape {
            Shape::Full => object.clone(),
            Shape::Metadata => partial_metadata(object),
            Shape::Table => table(&t, &[Arc::new(object.clone())], json!({}), &include),
        }
    };
    let kind_name = ctx.resource_type().kind;
    let api_version = ctx.resource_type().api_version();
    tokio::spawn(async move {
        let subscription = match subscription.as_mut() {
            Ok(s) => s,
            Err(Expired { oldest_available }) => {
                let status = ApiError::gone(format!(
                    "too old resource version: {rv_param} ({oldest_available})"
                ))
                .to_status();
                let _ = sender.send(event_line("ERROR", &status)).await;
                return;
            }
        };
        let mut sent = 0usize;
        // `watch_drop_after`: the connection ends after that many events.
        let dropped = |sent: usize| {
            faults
                .settings()
                .watch_drop_after
                .is_some_and(|n| sent >= n)
        };
        let visible = |o: &Value| {
            (namespace.is_empty() || super::objects::namespace_of(o) == namespace) && filter(o)
        };
        let mut last_rv = subscription.resource_version;
        let mut events: Vec<Bytes> = initial
            .iter()
            .filter(|o| visible(o))
            .map(|o| event_line("ADDED", &render(o)))
            .collect();
        if initial_events {
            events.push(event_line(
                "BOOKMARK",
                &json!({"kind": kind_name, "apiVersion": api_version, "metadata": {
                    "resourceVersion": last_rv.to_string(),
                    "annotations": {"k8s.io/initial-events-end": "true"}}}),
            ));
        }
        for change in subscription.replay.drain(..) {
            last_rv = change.resource_version;
            if visible(&change.object) {
                events.push(event_line(change.kind.as_str(), &render(&change.object)));
            }
        }
        for line in events {
            if dropped(sent) || sender.send(line).await.is_err() {
                return;
            }
            sent += 1;
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
        let mut bookmark_timer = tokio::time::interval(Duration::from_secs(5));
        bookmark_timer.tick().await;
        loop {
            if dropped(sent) {
                return;
            }
            let line = tokio::select! {
                _ = tokio::time::sleep_until(deadline) => return,
                _ = sender.closed() => return,
                _ = bookmark_timer.tick(), if bookmarks => {
                    event_line("BOOKMARK", &json!({"kind": kind_name, "apiVersion": api_version,
                        "metadata": {"resourceVersion": last_rv.to_string()}}))
                }
                received = subscription.receiver.recv() => match received {
                    Ok(change) => {
                        if change.resource != resource || change.resource_version <= last_rv {
                            continue;
                        }
                        last_rv = change.resource_version;
                        if !visible(&change.object) {
                            continue;
                        }
                        event_line(change.kind.as_str(), &render(&change.object))
                    }
                    // Lagged or closed: end the stream; the client re-lists or re-watches.
                    Err(_) => return,
                },
            };
            if sender.send(line).await.is_err() {
                return;
            }
            sent += 1;
        }
    });
    let stream = futures::stream::unfold(receiver, |mut rx| async move {
        rx.recv()
            .await
            .map(|line| (Ok::<_, std::convert::Infallible>(line), rx))
    });
    let mut response = Response::new(Body::from_stream(stream));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}
