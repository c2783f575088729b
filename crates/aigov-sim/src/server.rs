//! The HTTP front of the simulator: routing, authentication, authorisation, fault
//! injection and the request log, dispatching to the read and write handlers.

use super::auth::{self, Authorizer, Tokens};
use super::discovery;
use super::faults::{DropPoint, Faults, Injected};
use super::patch::PatchType;
use super::render::{Shape, shape_from_accept};
use super::resources::{PathError, ResourcePath, ResourceType, Resources, parse_path};
use super::status::ApiError;
use super::store::{Store, Write};
use super::{read, write};
use aigov_core::rules::rbac::{Request, UserInfo};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One request as the simulator saw it, for tests that assert what reached the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub user: String,
    pub status: u16,
    /// A mutating request that is not a dry run (`dryRun=All` in the query, or in a DELETE's
    /// body): a write that changes the store when it succeeds.
    pub real_write: bool,
    /// The Accept header: it says whether objects were asked for whole or as metadata only.
    pub accept: String,
}

pub struct SimState {
    pub resources: Resources,
    pub store: Arc<Store>,
    pub authorizer: Authorizer,
    pub tokens: Tokens,
    /// Shared with the watch streams, which read the settings at every event.
    pub faults: Arc<Faults>,
    pub namespace_resource: usize,
    pub registry: super::registry::DemoRegistry,
    pub log: Mutex<Vec<LoggedRequest>>,
    pub address: Mutex<String>,
}

impl SimState {
    fn record(&self, entry: LoggedRequest) {
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        if log.len() >= 100_000 {
            log.drain(..50_000);
        }
        log.push(entry);
    }

    /// Remove every namespaced object in a deleted namespace.
    pub fn delete_namespace_contents(&self, namespace: &str) {
        let doomed = self
            .store
            .find_all(&|v| super::objects::namespace_of(v) == namespace);
        for (resource, object) in doomed {
            if self.resources.get(resource).namespaced {
                let _ = self.store.write::<()>(
                    resource,
                    namespace,
                    super::objects::name_of(&object),
                    false,
                    |_| Ok(Write::Delete),
                );
            }
        }
    }

    /// Garbage-collect objects whose owner is gone, recursively.
    pub fn delete_dependents(&self, owner_uid: &str) {
        if owner_uid.is_empty() {
            return;
        }
        let dependents = self.store.find_all(&|v| {
            v.pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
                .is_some_and(|owners| owners.iter().any(|o| o["uid"] == owner_uid))
        });
        for (resource, object) in dependents {
            let ns = super::objects::namespace_of(&object).to_string();
            let name = super::objects::name_of(&object).to_string();
            if let Ok((_, gone)) = self
                .store
                .write::<()>(resource, &ns, &name, false, |_| Ok(Write::Delete))
            {
                let uid = gone
                    .pointer("/metadata/uid")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                self.delete_dependents(&uid);
            }
        }
    }
}

/// Everything a resource handler needs about one request.
pub struct Ctx<'a> {
    pub state: &'a SimState,
    pub user: UserInfo,
    pub path: ResourcePath,
    pub query: HashMap<String, String>,
    pub headers: &'a HeaderMap,
}

impl Ctx<'_> {
    pub fn param(&self, name: &str) -> &str {
        self.query.get(name).map(String::as_str).unwrap_or_default()
    }

    pub fn resource_type(&self) -> &ResourceType {
        self.state.resources.get(self.path.resource)
    }

    pub fn dry_run(&self) -> bool {
        self.query.get("dryRun").is_some_and(|v| v == "All")
    }

    pub fn shape(&self) -> Shape {
        shape_from_accept(
            self.headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default(),
        )
    }

    /// The namespace key the named object is stored under.
    pub fn object_namespace(&self) -> String {
        if self.resource_type().namespaced {
            self.path.namespace.clone()
        } else {
            String::new()
        }
    }
}

pub fn json_response(value: &Value) -> Response {
    let mut response = Response::new(Body::from(serde_json::to_vec(value).unwrap_or_default()));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn parse_query(uri: &Uri) -> HashMap<String, String> {
    uri.query()
        .map(|q| url_pairs(q).into_iter().collect())
        .unwrap_or_default()
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Decode a request body by its Content-Type: JSON, YAML or Kubernetes protobuf.
fn decode_body(headers: &HeaderMap, body: &[u8]) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Ok(Value::Null);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    if content_type.starts_with(super::protobuf::PROTOBUF_CONTENT_TYPE) {
        return super::protobuf::decode_to_json(body)
            .map_err(|e| ApiError::bad_request(e.to_string()));
    }
    if content_type.contains("yaml") {
        let text = std::str::from_utf8(body)
            .map_err(|_| ApiError::bad_request("the body is not UTF-8"))?;
        return serde_saphyr::from_str::<Value>(text)
            .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("error decoding JSON: {e}")))
}

fn verb_for(method: &Method, path: &ResourcePath, query: &HashMap<String, String>) -> &'static str {
    let watching = query.get("watch").is_some_and(|w| w == "true" || w == "1");
    match (method.as_str(), path.name.is_some()) {
        ("GET", _) if watching => "watch",
        ("GET", true) => "get",
        ("GET", false) => "list",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        _ => "unknown",
    }
}

/// The fallback handler: every path that is not discovery or the registry.
pub async fn handle(
    State(state): State<Arc<SimState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (latency, injected) = state.faults.decide();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let faults = state.faults.settings();
    let real_write = is_real_write(&method, &uri, &body);
    let logged = |user: String, status: u16| LoggedRequest {
        method: method.to_string(),
        path: uri.path().to_string(),
        query: uri.query().unwrap_or_default().to_string(),
        user,
        status,
        real_write,
        accept: headers
            .get(axum::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string(),
    };
    let (user, response) = match injected {
        Injected::Hang => std::future::pending::<(String, Response)>().await,
        Injected::ServerError => (
            String::new(),
            ApiError::internal("injected fault: internal error").into_response(),
        ),
        Injected::Throttle(secs) => (
            String::new(),
            ApiError::too_many_requests(secs).into_response(),
        ),
        Injected::None
            if faults.drop_write_connections == Some(DropPoint::BeforeCommit) && real_write =>
        {
            // Received, not acted on, never answered: logged with status 0.
            state.record(logged(String::new(), 0));
            return dropped_connection();
        }
        Injected::None => match respond(&state, &method, &uri, &headers, &body) {
            Ok((user, r)) => (user, r),
            Err((user, e)) => (user, e.into_response()),
        },
    };
    // Every answer carries an Audit-Id, as the API server's do, so a client can point at the
    // server's audit event for a request.
    let mut response = response;
    let audit_id = audit_id();
    if let Ok(value) = HeaderValue::from_str(&audit_id) {
        response.headers_mut().insert("audit-id", value);
    }
    state.record(logged(user, response.status().as_u16()));
    let committed = real_write && response.status().is_success();
    if faults.lose_write_answers && committed {
        return std::future::pending::<Response>().await;
    }
    if faults.drop_write_connections == Some(DropPoint::AfterCommit) && committed {
        return dropped_connection();
    }
    if faults.gateway_timeout_after_commit && committed {
        return ApiError::new(
            504,
            "Timeout",
            "injected fault: the gateway gave up waiting for the API server",
        )
        .into_response();
    }
    response
}

/// A response whose body fails at once: the server closes the connection and the client
/// gets no usable answer, as when a connection drops mid-request.
fn dropped_connection() -> Response {
    let failing = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "injected fault: connection dropped",
        ))
    });
    Response::new(Body::from_stream(failing))
}

/// A mutating request that is not a dry run. A DELETE may ask for its dry run in the body
/// (`DeleteOptions.dryRun`), as kube's client does.
fn is_real_write(method: &Method, uri: &Uri, body: &[u8]) -> bool {
    let mutating = matches!(method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE");
    let dry_run = uri.query().unwrap_or_default().contains("dryRun=")
        || (method == Method::DELETE && delete_body_dry_run(body));
    mutating && !dry_run && !uri.path().ends_with("reviews")
}

fn delete_body_dry_run(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|options| options.get("dryRun").and_then(Value::as_array).cloned())
        .is_some_and(|d| d.iter().any(|v| v == "All"))
}

/// A random UUID (version 4), as the API server's Audit-Id.
fn audit_id() -> String {
    use rand::Rng;
    let mut bytes: [u8; 16] = rand::rng().random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn respond(
    state: &SimState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(String, Response), (String, ApiError)> {
    let path = uri.path();
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let user = auth::authenticate(&state.tokens, headers, &state.authorizer, &state.store)
        .map_err(|e| (String::new(), e))?;
    let who = user.username.clone();
    let fail = |e: ApiError| (who.clone(), e);
    if method == Method::GET
        && let Some(doc) = discovery_document(state, path, accept)
    {
        return Ok((who.clone(), doc));
    }
    let query = parse_query(uri);
    let resource_path = parse_path(&state.resources, path).map_err(|e| match e {
        PathError::NotFound | PathError::UnknownResource { .. } => fail(ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )),
    })?;
    let t = state.resources.get(resource_path.resource);
    let verb = verb_for(method, &resource_path, &query);
    // Requests on a namespace object itself are authorised in that namespace.
    let auth_namespace = if t.kind == "Namespace" {
        resource_path.name.clone().unwrap_or_default()
    } else {
        resource_path.namespace.clone()
    };
    let request = Request::Resource {
        verb: verb.to_string(),
        group: t.group.to_string(),
        resource: t.plural.to_string(),
        subresource: resource_path.subresource.clone().unwrap_or_default(),
        namespace: auth_namespace,
        name: resource_path.name.clone().unwrap_or_default(),
    };
    let index = state.authorizer.index(&state.store);
    if !index.authorize(&user, &request).allowed {
        return Err(fail(auth::forbidden(&user, &request)));
    }
    let ctx = Ctx {
        state,
        user,
        path: resource_path,
        query,
        headers,
    };
    let body = decode_body(headers, body).map_err(fail)?;
    let response = if t.review {
        if verb != "create" {
            return Err(fail(ApiError::method_not_allowed(format!(
                "{} only supports create",
                t.plural
            ))));
        }
        auth::review(t.kind, &t.api_version(), &body, &ctx.user, &index)
            .map(|v| (StatusCode::CREATED, json_response(&v)).into_response())
    } else {
        dispatch(&ctx, method, verb, body)
    };
    response.map(|r| (who.clone(), r)).map_err(fail)
}

fn dispatch(ctx: &Ctx, method: &Method, verb: &str, body: Value) -> Result<Response, ApiError> {
    let name = ctx.path.name.clone();
    let sub = ctx.path.subresource.as_deref();
    if let Some(sub) = sub
        && sub != "status"
    {
        return Err(ApiError::method_not_allowed(format!(
            "the simulator does not serve the {sub} subresource"
        )));
    }
    match (verb, name) {
        ("get", Some(name)) => read::get(ctx, &name),
        ("list", None) => read::list(ctx),
        ("watch", _) => read::watch(ctx),
        ("create", None) => write::create(ctx, body),
        ("update", Some(name)) => write::update(ctx, &name, body),
        ("patch", Some(name)) => {
            let content_type = ctx
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let patch_type = PatchType::from_content_type(content_type)
                .ok_or_else(|| ApiError::unsupported_media_type(content_type))?;
            write::patch_object(ctx, &name, patch_type, body)
        }
        ("delete", Some(name)) => write::delete(ctx, &name, &body),
        ("deletecollection", None) => write::delete_collection(ctx),
        _ => Err(ApiError::method_not_allowed(format!(
            "{method} is not supported here"
        ))),
    }
}

fn discovery_document(state: &SimState, path: &str, accept: &str) -> Option<Response> {
    let resources = &state.resources;
    let trimmed = path.trim_end_matches('/');
    let aggregated = discovery::wants_aggregated(accept);
    let aggregated_response = |doc: Value| {
        let mut r = json_response(&doc);
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(discovery::AGGREGATED_CONTENT_TYPE),
        );
        r
    };
    let segments: Vec<&str> = trimmed.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["version"] => Some(json_response(&discovery::version())),
        ["api"] if aggregated => Some(aggregated_response(discovery::aggregated(resources, true))),
        ["api"] => {
            let address = state
                .address
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            Some(json_response(&discovery::core_versions(&address)))
        }
        ["apis"] if aggregated => {
            Some(aggregated_response(discovery::aggregated(resources, false)))
        }
        ["apis"] => Some(json_response(&discovery::group_list(resources))),
        ["api", version] => {
            discovery::resource_list(resources, "", version).map(|d| json_response(&d))
        }
        ["apis", group] => discovery::group(resources, group).map(|d| json_response(&d)),
        ["apis", group, version] => {
            discovery::resource_list(resources, group, version).map(|d| json_response(&d))
        }
        ["openapi", "v3"] => Some(json_response(&discovery::openapi_index(resources))),
        ["openapi", "v3", rest @ ..] => {
            discovery::openapi_document(resources, &rest.join("/")).map(|d| json_response(&d))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_are_percent_decoded() {
        let pairs = url_pairs("labelSelector=app%3Dvllm%2Ctier+in+(a)&limit=500&watch");
        assert_eq!(
            pairs[0],
            ("labelSelector".into(), "app=vllm,tier in (a)".into())
        );
        assert_eq!(pairs[1], ("limit".into(), "500".into()));
        assert_eq!(pairs[2], ("watch".into(), String::new()));
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }

    #[test]
    fn a_delete_with_dry_run_in_its_body_is_not_a_real_write() {
        let uri: Uri = "/api/v1/namespaces/ml/pods/p".parse().unwrap();
        let dry = br#"{"dryRun":["All"],"preconditions":{"resourceVersion":"7"}}"#;
        assert!(!is_real_write(&Method::DELETE, &uri, dry));
        assert!(is_real_write(&Method::DELETE, &uri, b""));
        assert!(is_real_write(
            &Method::DELETE,
            &uri,
            br#"{"propagationPolicy":"Background"}"#
        ));
        let query: Uri = "/api/v1/namespaces/ml?dryRun=All".parse().unwrap();
        assert!(!is_real_write(&Method::PATCH, &query, b"{}"));
        assert!(is_real_write(&Method::PATCH, &uri, b"{}"));
        assert!(!is_real_write(&Method::GET, &uri, b""));
    }
}
