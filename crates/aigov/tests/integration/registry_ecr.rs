//! Amazon ECR's `imageTagMutability` (feature `ecr`) against a mock ECR on 127.0.0.1: an axum
//! server answering the awsJson1.1 `DescribeRepositories` call, reached through the SDK's
//! standard endpoint override (`AWS_ENDPOINT_URL_ECR`) with dummy credentials.
#![cfg(feature = "ecr")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aigov_core::model::image::ImageRef;
use aigov_core::rules::images::Mutability;
use aigov_registry::{Lookup, RegistryClient, RegistryOptions, Resolution};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const HOST: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const TARGET: &str = "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories";

fn repository(name: &str) -> Option<serde_json::Value> {
    let (mutability, filters) = match name {
        "ml/locked" => ("IMMUTABLE", vec![]),
        "ml/open" => ("MUTABLE", vec![]),
        "ml/mostly-locked" => ("IMMUTABLE_WITH_EXCLUSION", vec!["dev-*", "latest"]),
        _ => return None,
    };
    let filters: Vec<serde_json::Value> = filters
        .into_iter()
        .map(|f| serde_json::json!({"filterType": "WILDCARD", "filter": f}))
        .collect();
    Some(serde_json::json!({
        "repositoryArn": format!("arn:aws:ecr:eu-west-1:123456789012:repository/{name}"),
        "registryId": "123456789012",
        "repositoryName": name,
        "repositoryUri": format!("{HOST}/{name}"),
        "createdAt": 1.7e9,
        "imageTagMutability": mutability,
        "imageTagMutabilityExclusionFilters": filters,
    }))
}

async fn describe(
    axum::extract::State(calls): axum::extract::State<Arc<AtomicUsize>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    calls.fetch_add(1, Ordering::SeqCst);
    let json = [("content-type", "application/x-amz-json-1.1")];
    if headers.get("x-amz-target").and_then(|v| v.to_str().ok()) != Some(TARGET) {
        return (
            StatusCode::BAD_REQUEST,
            json,
            r#"{"__type":"UnknownOperationException"}"#,
        )
            .into_response();
    }
    if !headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"))
    {
        return (
            StatusCode::FORBIDDEN,
            json,
            r#"{"__type":"UnrecognizedClientException"}"#,
        )
            .into_response();
    }
    let request: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(request["registryId"], "123456789012");
    let name = request["repositoryNames"][0].as_str().unwrap_or_default();
    match repository(name) {
        Some(repo) => (
            StatusCode::OK,
            json,
            serde_json::json!({"repositories": [repo]}).to_string(),
        )
            .into_response(),
        None => (
            StatusCode::BAD_REQUEST,
            json,
            serde_json::json!({
                "__type": "RepositoryNotFoundException",
                "message": format!("The repository with name '{name}' does not exist")
            })
            .to_string(),
        )
            .into_response(),
    }
}

fn resolved() -> Lookup {
    Lookup::Resolved(Resolution {
        digest: format!("sha256:{}", "a".repeat(64)),
        media_type: "application/vnd.oci.image.manifest.v1+json".into(),
        checked_at: jiff::Timestamp::UNIX_EPOCH,
        from_cache: false,
    })
}

fn images(refs: &[&str]) -> Vec<ImageRef> {
    refs.iter()
        .map(|r| ImageRef::parse(&format!("{HOST}/{r}")).unwrap())
        .collect()
}

fn options() -> RegistryOptions {
    RegistryOptions {
        request_timeout: Duration::from_secs(5),
        ..Default::default()
    }
}

/// One test: the SDK reads its endpoint and credentials from the process environment, which
/// is set once here, before the runtime's threads start, and changed only between clients.
#[test]
fn ecr_repositories_tell_the_tags_mutability() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    // SAFETY: set before any other thread of this test binary reads the environment (one test,
    // a current-thread runtime).
    unsafe {
        std::env::set_var("AWS_ENDPOINT_URL_ECR", &endpoint);
        std::env::set_var("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
        std::env::set_var(
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        );
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        std::env::set_var("AWS_CONFIG_FILE", dir.path().join("none"));
        std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("none"));
        std::env::remove_var("AWS_PROFILE");
        std::env::remove_var("AWS_SESSION_TOKEN");
        std::env::remove_var("AWS_WEB_IDENTITY_TOKEN_FILE");
        std::env::remove_var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
        std::env::remove_var("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    }
    let calls = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new()
        .route("/", axum::routing::post(describe))
        .with_state(calls.clone());
    runtime.spawn(async move { axum::serve(listener, app).await });

    runtime.block_on(async {
        let client = RegistryClient::new(options()).unwrap();
        let refs = images(&[
            "ml/locked:v1",
            "ml/open:v1",
            "ml/mostly-locked:v1",
            "ml/mostly-locked:dev-7",
            "ml/missing:v1",
        ]);
        let lookups = vec![resolved(); refs.len()];
        let got = client.immutability_all(&refs, &lookups).await;
        let states: Vec<Mutability> = got.iter().map(|s| s.state).collect();
        assert_eq!(
            states,
            [
                Mutability::Immutable,
                Mutability::Mutable,
                Mutability::Immutable,
                Mutability::Mutable,
                Mutability::Unknown,
            ],
            "{got:#?}"
        );
        assert_eq!(got[0].source, "ecr IMMUTABLE");
        assert!(
            got[3].source.contains("exclusion filter dev-*"),
            "{}",
            got[3].source
        );
        assert!(
            got[4].source.contains("RepositoryNotFoundException"),
            "{}",
            got[4].source
        );
        assert!(!format!("{got:?}").contains("EXAMPLEKEY"));
        // One call per repository; a second read within the TTL is served from the cache.
        let asked = calls.load(Ordering::SeqCst);
        assert_eq!(asked, 4);
        client.immutability_all(&refs[..1], &lookups[..1]).await;
        assert_eq!(calls.load(Ordering::SeqCst), asked);
    });

    // Without AWS credentials: unknown, with the reason, and ECR is not asked.
    // SAFETY: the runtime is idle between the two clients; only this thread reads the env.
    unsafe {
        std::env::remove_var("AWS_ACCESS_KEY_ID");
        std::env::remove_var("AWS_SECRET_ACCESS_KEY");
    }
    runtime.block_on(async {
        let before = calls.load(Ordering::SeqCst);
        let client = RegistryClient::new(options()).unwrap();
        let refs = images(&["ml/locked:v1"]);
        let got = client.immutability_all(&refs, &[resolved()]).await;
        assert_eq!(got[0].state, Mutability::Unknown, "{got:?}");
        assert!(
            got[0].source.contains("no AWS credentials"),
            "{}",
            got[0].source
        );
        assert_eq!(calls.load(Ordering::SeqCst), before);
    });
}
