//! Registry immutability settings against a fake Harbor (axum on 127.0.0.1): the ping that
//! tells a Harbor, the immutable-tag rules API (project by name, basic credentials from the
//! Docker config), the manifests; and the real Distribution registry as a registry that is not
//! Harbor.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use aigov_core::model::image::ImageRef;
use aigov_core::rules::images::{ImmutabilitySetting, Mutability};
use aigov_registry::{RegistryClient, RegistryOptions, TagHistory, gather, tag_key};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use common::registry::{TestRegistry, options_for, registry_available};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const USER: &str = "robot$ml";
const PASSWORD: &str = "harbor-secret-Pa55";
const MANIFEST: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;

/// `USER:password` in base64: a Docker config's `auth` and the payload of a Basic header.
fn user_password(password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{password}"))
}

/// The rules of project `ml`: v* tags of every repository but `scratch/**` are immutable; a
/// disabled rule would make everything immutable; `dev-*` tags are excluded by the third.
fn ml_rules() -> serde_json::Value {
    serde_json::json!([
        {"id": 1, "project_id": 2, "disabled": false, "priority": 0, "action": "immutable",
         "template": "immutable_template", "params": {},
         "tag_selectors": [{"kind": "doublestar", "decoration": "matches", "pattern": "v*"}],
         "scope_selectors": {"repository": [{"kind": "doublestar", "decoration": "repoExcludes", "pattern": "scratch/**"}]}},
        {"id": 2, "project_id": 2, "disabled": true, "priority": 0, "action": "immutable",
         "template": "immutable_template",
         "tag_selectors": [{"kind": "doublestar", "decoration": "matches", "pattern": "**"}],
         "scope_selectors": {"repository": [{"kind": "doublestar", "decoration": "repoMatches", "pattern": "**"}]}},
        {"id": 3, "project_id": 2, "disabled": false, "priority": 0, "action": "immutable",
         "template": "immutable_template",
         "tag_selectors": [{"kind": "doublestar", "decoration": "excludes", "pattern": "{dev-*,latest}"}],
         "scope_selectors": {"repository": [{"kind": "doublestar", "decoration": "repoMatches", "pattern": "serving/**"}]}}
    ])
}

struct Fake {
    harbor: bool,
    rules_requests: AtomicUsize,
    /// The Authorization headers the rules API saw.
    authorizations: std::sync::Mutex<Vec<String>>,
}

async fn ping(State(fake): State<Arc<Fake>>) -> Response {
    if fake.harbor {
        (StatusCode::OK, "Pong").into_response()
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}

async fn rules(
    State(fake): State<Arc<Fake>>,
    Path(project): Path<String>,
    headers: HeaderMap,
) -> Response {
    fake.rules_requests.fetch_add(1, Ordering::SeqCst);
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    fake.authorizations
        .lock()
        .unwrap()
        .push(authorization.clone());
    if headers
        .get("x-is-resource-name")
        .and_then(|v| v.to_str().ok())
        != Some("true")
    {
        return (StatusCode::BAD_REQUEST, "project by id?").into_response();
    }
    let basic = format!("Basic {}", user_password(PASSWORD));
    match project.as_str() {
        "ml" | "secure" if authorization != basic => (
            StatusCode::UNAUTHORIZED,
            r#"{"errors":[{"code":"UNAUTHORIZED","message":"unauthorized"}]}"#,
        )
            .into_response(),
        "ml" => axum::Json(ml_rules()).into_response(),
        "secure" => axum::Json(serde_json::json!([])).into_response(),
        "broken" => (StatusCode::INTERNAL_SERVER_ERROR, "database down").into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn manifest() -> Response {
    let digest = common::registry::sha256(MANIFEST.as_bytes());
    (
        [
            ("content-type", "application/vnd.oci.image.manifest.v1+json"),
            ("docker-content-digest", digest.as_str()),
        ],
        MANIFEST,
    )
        .into_response()
}

/// A fake Harbor (or, with `harbor: false`, a registry whose ping is 404) on 127.0.0.1.
async fn start(harbor: bool) -> (String, Arc<Fake>) {
    let fake = Arc::new(Fake {
        harbor,
        rules_requests: AtomicUsize::new(0),
        authorizations: std::sync::Mutex::new(Vec::new()),
    });
    let app = axum::Router::new()
        .route("/v2/", get(|| async { StatusCode::OK }))
        .route("/v2/{*rest}", get(manifest).head(manifest))
        .route("/api/v2.0/ping", get(ping))
        .route("/api/v2.0/projects/{project}/immutabletagrules", get(rules))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (host, fake)
}

/// Options for `host` over HTTP with basic credentials (`USER`, `password`) in a Docker
/// config's `auths`.
fn options_with_docker_config(
    host: &str,
    dir: &tempfile::TempDir,
    password: &str,
) -> RegistryOptions {
    let config = dir.path().join("config.json");
    std::fs::write(
        &config,
        serde_json::json!({"auths": {host: {"auth": user_password(password)}}}).to_string(),
    )
    .unwrap();
    RegistryOptions {
        docker_config: Some(config),
        ..options_for(host)
    }
}

fn images(host: &str, refs: &[&str]) -> Vec<ImageRef> {
    refs.iter()
        .map(|r| ImageRef::parse(&format!("{host}/{r}")).unwrap())
        .collect()
}

async fn settings(client: &RegistryClient, images: &[ImageRef]) -> Vec<ImmutabilitySetting> {
    let lookups = client.resolve_all(images).await;
    for lookup in &lookups {
        assert!(lookup.resolved().is_some(), "{lookup:?}");
    }
    client.immutability_all(images, &lookups).await
}

#[tokio::test]
async fn harbor_rules_decide_per_tag_with_the_docker_config_credentials() {
    let (host, fake) = start(true).await;
    let dir = tempfile::tempdir().unwrap();
    let client = RegistryClient::new(options_with_docker_config(&host, &dir, PASSWORD)).unwrap();
    let refs = images(
        &host,
        &[
            "ml/vllm:v0.6.3",         // rule 1
            "ml/vllm:nightly",        // no enabled rule (rule 2 is disabled)
            "ml/scratch/try:v1",      // rule 1 excludes the repository
            "ml/serving/api:2026.11", // rule 3: every tag but dev-* and latest
            "ml/serving/api:dev-42",  // excluded by rule 3
            "ml/serving/api:latest",  // excluded by rule 3
        ],
    );
    let got = settings(&client, &refs).await;
    let states: Vec<Mutability> = got.iter().map(|s| s.state).collect();
    assert_eq!(
        states,
        [
            Mutability::Immutable,
            Mutability::Mutable,
            Mutability::Mutable,
            Mutability::Immutable,
            Mutability::Mutable,
            Mutability::Mutable,
        ],
        "{got:#?}"
    );
    assert_eq!(
        got[0].source,
        "harbor rule 1 of project ml (repositories repoExcludes scratch/**, tags matches v*)"
    );
    assert!(
        got[3].source.starts_with("harbor rule 3 "),
        "{}",
        got[3].source
    );
    assert!(
        got[1]
            .source
            .contains("no enabled immutable-tag rule of project ml")
    );
    // One project, one request; the basic credentials of the Docker config were sent.
    assert_eq!(fake.rules_requests.load(Ordering::SeqCst), 1);
    let sent = fake.authorizations.lock().unwrap().clone();
    // The literal is base64("robot$ml:harbor-secret-Pa55"), independent of `user_password`.
    assert_eq!(sent, ["Basic cm9ib3QkbWw6aGFyYm9yLXNlY3JldC1QYTU1"]);

    // The answer is cached for the registry cache TTL; a re-check (forget) asks again.
    settings(&client, &refs[..1]).await;
    assert_eq!(fake.rules_requests.load(Ordering::SeqCst), 1);
    client.forget(&refs[0]);
    settings(&client, &refs[..1]).await;
    assert_eq!(fake.rules_requests.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn refused_or_failing_rules_are_unknown_with_the_reason_never_a_guess() {
    let (host, fake) = start(true).await;
    // No Docker config: anonymous, which the fake refuses for project ml.
    let anonymous = RegistryClient::new(options_for(&host)).unwrap();
    let got = settings(
        &anonymous,
        &images(&host, &["ml/vllm:v1", "broken/x:v1", "gone/x:v1"]),
    )
    .await;
    assert!(
        got.iter().all(|s| s.state == Mutability::Unknown),
        "{got:#?}"
    );
    assert!(
        got[0].source.contains("refused") && got[0].source.contains("(401)"),
        "{}",
        got[0].source
    );
    assert!(got[1].source.contains("HTTP 500"), "{}", got[1].source);
    assert!(
        got[2].source.contains("not found (404)"),
        "{}",
        got[2].source
    );
    // Failures are not cached: the next look-up asks each project again.
    let asked = fake.rules_requests.load(Ordering::SeqCst);
    assert_eq!(asked, 3);
    settings(
        &anonymous,
        &images(&host, &["ml/vllm:v1", "broken/x:v1", "gone/x:v1"]),
    )
    .await;
    assert_eq!(fake.rules_requests.load(Ordering::SeqCst), asked + 3);

    // Wrong credentials: unknown, and the password never shows.
    let dir = tempfile::tempdir().unwrap();
    let wrong_password = format!("wrong-{PASSWORD}");
    let wrong =
        RegistryClient::new(options_with_docker_config(&host, &dir, &wrong_password)).unwrap();
    let got = settings(&wrong, &images(&host, &["secure/x:v1"])).await;
    assert_eq!(got[0].state, Mutability::Unknown);
    assert!(!format!("{got:?}").contains(PASSWORD));
}

#[tokio::test]
async fn a_registry_that_is_not_harbor_is_unknown() {
    let (host, fake) = start(false).await;
    let dir = tempfile::tempdir().unwrap();
    let client = RegistryClient::new(options_with_docker_config(&host, &dir, PASSWORD)).unwrap();
    let got = settings(&client, &images(&host, &["ml/vllm:v1", "single:v1"])).await;
    assert_eq!(got.len(), 2, "one setting per image: {got:#?}");
    for setting in &got {
        assert_eq!(setting.state, Mutability::Unknown);
        assert!(
            setting.source.contains("not Harbor or ECR"),
            "{}",
            setting.source
        );
    }
    assert_eq!(fake.rules_requests.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_one_segment_repository_on_a_harbor_is_not_asked_about() {
    let (host, fake) = start(true).await;
    let dir = tempfile::tempdir().unwrap();
    let client = RegistryClient::new(options_with_docker_config(&host, &dir, PASSWORD)).unwrap();
    let got = settings(&client, &images(&host, &["single:v1"])).await;
    assert_eq!(got[0].state, Mutability::Unknown);
    assert!(
        got[0].source.contains("not Harbor or ECR"),
        "{}",
        got[0].source
    );
    assert_eq!(fake.rules_requests.load(Ordering::SeqCst), 0);
}

/// An OIDC user's Docker login stores a token (`identitytoken`), which Harbor's API does not
/// take: it is never sent there, and the reason says what would work.
#[tokio::test]
async fn a_token_from_the_docker_config_is_never_sent_to_harbors_api() {
    let (host, fake) = start(true).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.json");
    std::fs::write(
        &config,
        serde_json::json!({"auths": {host.clone(): {"identitytoken": "oidc-refresh-token"}}})
            .to_string(),
    )
    .unwrap();
    let client = RegistryClient::new(RegistryOptions {
        docker_config: Some(config),
        ..options_for(&host)
    })
    .unwrap();
    let got = settings(&client, &images(&host, &["ml/vllm:v1"])).await;
    assert_eq!(got[0].state, Mutability::Unknown);
    assert!(
        got[0].source.contains("takes basic credentials") && got[0].source.contains("only a token"),
        "{}",
        got[0].source
    );
    let sent = fake.authorizations.lock().unwrap().clone();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent.iter().all(|a| !a.contains("oidc-refresh-token")),
        "{sent:?}"
    );
}

#[tokio::test]
async fn the_real_distribution_registry_is_not_harbor() {
    if !registry_available("the_real_distribution_registry_is_not_harbor") {
        return;
    }
    let registry = TestRegistry::start().await;
    let blobs = registry.push_image_blobs("ml/trainer", false).await;
    registry.push_image("ml/trainer", "v1", &blobs, "one").await;
    let client = RegistryClient::new(options_for(&registry.host)).unwrap();
    let got = settings(&client, &images(&registry.host, &["ml/trainer:v1"])).await;
    assert_eq!(got[0].state, Mutability::Unknown);
    assert!(got[0].source.contains("not Harbor"), "{}", got[0].source);
}

#[tokio::test]
async fn gather_files_the_settings_and_history_wins_over_a_later_rule() {
    let (host, _fake) = start(true).await;
    let dir = tempfile::tempdir().unwrap();
    let client = RegistryClient::new(options_with_docker_config(&host, &dir, PASSWORD)).unwrap();
    let refs = images(&host, &["ml/vllm:v0.6.3", "ml/vllm:nightly"]);
    let gathered = gather(&client, refs.clone(), None).await;
    assert_eq!(
        gathered.facts.immutability(&refs[0]).state,
        Mutability::Immutable
    );
    assert_eq!(
        gathered.facts.immutability(&refs[1]).state,
        Mutability::Mutable
    );

    // aigov's tag history saw v0.6.3 point elsewhere before the rule existed: this look-up
    // finds it moved, so it is mutable, as observed, whatever the rule says now.
    let history_dir = tempfile::tempdir().unwrap();
    let mut history = TagHistory::load(history_dir.path()).unwrap();
    let earlier: jiff::Timestamp = "2026-11-01T00:00:00Z".parse().unwrap();
    history.record(&tag_key(&refs[0]).unwrap(), "sha256:old", earlier);
    history.save(history_dir.path()).unwrap();
    let gathered = gather(&client, refs.clone(), Some(history_dir.path())).await;
    assert_eq!(gathered.history_problem, None);
    let verdict = gathered.facts.immutability(&refs[0]);
    assert_eq!(verdict.state, Mutability::Mutable);
    assert!(
        verdict
            .source
            .contains("the rule was added after the overwrite"),
        "{}",
        verdict.source
    );
}
