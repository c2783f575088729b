//! The registry client against the real Distribution registry (`docker-registry`) on
//! 127.0.0.1, and against small axum servers for 429 `Retry-After` and the bearer token flow.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use aigov_core::model::image::ImageRef;
use aigov_registry::{
    Comparison, Credentials, HelperConsent, Lookup, Password, RegistryClient, TagHistory,
    UnknownReason, compare_running, tag_key,
};
use common::registry::{
    DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST, TestRegistry, free_port, options_for,
    registry_available,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

fn image(host: &str, rest: &str) -> ImageRef {
    ImageRef::parse(&format!("{host}/{rest}")).unwrap()
}

fn resolved(lookup: &Lookup) -> &aigov_registry::Resolution {
    lookup
        .resolved()
        .unwrap_or_else(|| panic!("expected resolved, got {lookup:?}"))
}

#[tokio::test]
async fn a_pushed_tag_resolves_to_the_sha256_of_its_manifest_bytes_with_its_media_type() {
    if !registry_available(
        "a_pushed_tag_resolves_to_the_sha256_of_its_manifest_bytes_with_its_media_type",
    ) {
        return;
    }
    let registry = TestRegistry::start().await;
    let host = registry.host.clone();
    let oci = registry.push_image_blobs("ml/trainer", false).await;
    let (digest, bytes) = registry.push_image("ml/trainer", "v1", &oci, "one").await;
    assert_eq!(digest, common::registry::sha256(&bytes));
    let index = registry
        .push_index(
            "ml/trainer",
            "multi",
            false,
            &[(digest.clone(), bytes.len())],
        )
        .await;
    let docker = registry.push_image_blobs("ml/server", true).await;
    let (docker_digest, docker_bytes) = registry.push_image("ml/server", "v1", &docker, "").await;
    let list = registry
        .push_index(
            "ml/server",
            "multi",
            true,
            &[(docker_digest.clone(), docker_bytes.len())],
        )
        .await;

    let client = RegistryClient::new(options_for(&host)).unwrap();
    let images = [
        image(&host, "ml/trainer:v1"),
        image(&host, "ml/trainer:multi"),
        image(&host, "ml/server:v1"),
        image(&host, "ml/server:multi"),
        image(&host, "ml/trainer:absent"),
    ];
    let lookups = client.resolve_all(&images).await;
    let expected = [
        (&digest, OCI_MANIFEST),
        (&index, OCI_INDEX),
        (&docker_digest, DOCKER_MANIFEST),
        (&list, DOCKER_LIST),
    ];
    for (lookup, (digest, media_type)) in lookups.iter().zip(expected) {
        let r = resolved(lookup);
        assert_eq!(&r.digest, digest);
        assert_eq!(r.media_type, media_type);
        assert!(!r.from_cache);
    }
    match lookups[4].unknown_reason() {
        Some(reason @ UnknownReason::NotFound { .. }) => {
            assert!(reason.to_string().contains("absent"), "{reason}")
        }
        other => panic!("a missing tag is unknown (not found), got {other:?}"),
    }
}

#[tokio::test]
async fn a_tag_pushed_again_is_reported_moved_and_running_digest_a_is_moved() {
    if !registry_available("a_tag_pushed_again_is_reported_moved_and_running_digest_a_is_moved") {
        return;
    }
    let registry = TestRegistry::start().await;
    let host = registry.host.clone();
    let blobs = registry.push_image_blobs("llm/server", false).await;
    let (digest_a, _) = registry.push_image("llm/server", "v1", &blobs, "a").await;
    let data = tempfile::tempdir().unwrap();
    let history_dir = data.path().join("registry");
    let reference = image(&host, "llm/server:v1");
    let key = tag_key(&reference).unwrap();

    let client = RegistryClient::new(options_for(&host)).unwrap();
    let lookups = client.resolve_all(std::slice::from_ref(&reference)).await;
    let first = resolved(&lookups[0]).clone();
    assert_eq!(first.digest, digest_a);
    let mut history = TagHistory::load(&history_dir).unwrap();
    assert!(
        history
            .record_lookups(std::slice::from_ref(&reference), &lookups)
            .is_empty()
    );
    history.save(&history_dir).unwrap();

    let (digest_b, _) = registry.push_image("llm/server", "v1", &blobs, "b").await;
    assert_ne!(digest_a, digest_b);
    client.forget(&reference);
    let second = resolved(&client.resolve(&reference).await).clone();
    assert_eq!(second.digest, digest_b);
    let mut history = TagHistory::load(&history_dir).unwrap();
    let moved = history
        .record(&key, &second.digest, second.checked_at)
        .expect("the tag moved");
    assert_eq!(moved.previous_digest, digest_a);
    assert_eq!(moved.previous_seen, first.checked_at.to_string());
    assert_eq!(moved.new_digest, digest_b);
    assert_eq!(moved.new_seen, second.checked_at.to_string());
    history.save(&history_dir).unwrap();

    let running = format!("docker-pullable://{host}/llm/server@{digest_a}");
    assert_eq!(
        compare_running(&second.digest, [running.as_str()]),
        Comparison::Moved {
            registry: digest_b.clone(),
            running: vec![digest_a.clone()]
        }
    );
    assert_eq!(
        compare_running(&first.digest, [running.as_str()]),
        Comparison::Matches
    );
}

#[tokio::test]
async fn basic_auth_the_right_password_resolves_a_wrong_one_is_refused_401_without_the_password() {
    if !registry_available(
        "basic_auth_the_right_password_resolves_a_wrong_one_is_refused_401_without_the_password",
    ) {
        return;
    }
    let registry = TestRegistry::start_with_basic_auth("alice", "correct-horse").await;
    let host = registry.host.clone();
    let blobs = registry.push_image_blobs("private/model", false).await;
    let (digest, _) = registry
        .push_image("private/model", "v1", &blobs, "x")
        .await;
    let reference = image(&host, "private/model:v1");

    let with = |password: &str| {
        let mut options = options_for(&host);
        options.credentials.insert(
            host.clone(),
            Credentials::Basic {
                username: "alice".into(),
                password: Password::new(password),
            },
        );
        RegistryClient::new(options).unwrap()
    };
    assert_eq!(
        resolved(&with("correct-horse").resolve(&reference).await).digest,
        digest
    );

    let wrong = with("wrong-password-xyz").resolve(&reference).await;
    let reason = wrong.unknown_reason().expect("a wrong password is unknown");
    assert_eq!(
        reason,
        &UnknownReason::Refused {
            registry: host.clone(),
            status: 401
        }
    );
    let shown = format!("{reason} {reason:?} {wrong:?}");
    assert!(shown.contains("401"), "{shown}");
    assert!(!shown.contains("wrong-password-xyz"), "{shown}");

    let anonymous = RegistryClient::new(options_for(&host)).unwrap();
    assert!(matches!(
        anonymous.resolve(&reference).await.unknown_reason(),
        Some(UnknownReason::Refused { status: 401, .. })
    ));
}

#[tokio::test]
async fn a_registry_that_is_down_is_unknown_with_the_reason_within_the_timeout() {
    // Needs no registry binary: nobody listens on the port.
    let host = format!("127.0.0.1:{}", free_port());
    let mut options = options_for(&host);
    options.request_timeout = Duration::from_secs(2);
    let client = RegistryClient::new(options).unwrap();
    let started = Instant::now();
    let lookup = client.resolve(&image(&host, "ml/trainer:v1")).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    match lookup.unknown_reason() {
        Some(reason @ UnknownReason::Unreachable { .. }) => {
            assert!(reason.to_string().contains(&host), "{reason}")
        }
        other => panic!("a down registry is unknown (unreachable), got {other:?}"),
    }
}

#[tokio::test]
async fn a_cache_hit_does_not_reach_the_registry() {
    if !registry_available("a_cache_hit_does_not_reach_the_registry") {
        return;
    }
    let mut registry = TestRegistry::start().await;
    let host = registry.host.clone();
    let blobs = registry.push_image_blobs("ml/notebook", false).await;
    let (digest, _) = registry.push_image("ml/notebook", "v1", &blobs, "n").await;
    let client = RegistryClient::new(options_for(&host)).unwrap();
    let reference = image(&host, "ml/notebook:v1");
    let first = client
        .resolve_all(&[reference.clone(), reference.clone()])
        .await;
    assert_eq!(resolved(&first[0]).digest, digest);
    assert_eq!(
        first[0], first[1],
        "a duplicate is asked once and answered alike"
    );
    let requests = client.manifest_requests();
    assert_eq!(requests, 1, "one HEAD for two identical references");

    registry.stop();
    let again = client.resolve(&reference).await;
    let hit = resolved(&again);
    assert_eq!(hit.digest, digest);
    assert!(hit.from_cache);
    assert_eq!(client.manifest_requests(), requests, "no request was sent");

    // Past the cache, the stopped registry is unknown: never the cached answer passed off as fresh.
    client.forget(&reference);
    assert!(client.resolve(&reference).await.unknown_reason().is_some());
}

/// A tiny registry that answers `/v2/` openly and the manifest with 429 (`Retry-After: 1`)
/// `failures` times, then 200 with a digest.
async fn throttling_registry(failures: usize) -> (String, Arc<AtomicUsize>) {
    use axum::http::{HeaderMap, StatusCode};
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = axum::Router::new()
        .route("/v2/", axum::routing::get(|| async { "{}" }))
        .route(
            "/v2/ml/model/manifests/v1",
            axum::routing::any(move || {
                let counter = counter.clone();
                async move {
                    let n = counter.fetch_add(1, Ordering::SeqCst);
                    let mut headers = HeaderMap::new();
                    if n < failures {
                        headers.insert("retry-after", "1".parse().unwrap());
                        return (StatusCode::TOO_MANY_REQUESTS, headers);
                    }
                    headers.insert("content-type", OCI_MANIFEST.parse().unwrap());
                    headers.insert(
                        "docker-content-digest",
                        format!("sha256:{}", "c".repeat(64)).parse().unwrap(),
                    );
                    (StatusCode::OK, headers)
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (host, hits)
}

#[tokio::test]
async fn a_429_with_retry_after_is_waited_out_and_retried() {
    let (host, hits) = throttling_registry(1).await;
    let client = RegistryClient::new(options_for(&host)).unwrap();
    let started = Instant::now();
    let lookup = client.resolve(&image(&host, "ml/model:v1")).await;
    assert_eq!(
        resolved(&lookup).digest,
        format!("sha256:{}", "c".repeat(64))
    );
    assert_eq!(hits.load(Ordering::SeqCst), 2, "one 429, then the retry");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After was honoured"
    );

    // Retries are bounded: a registry that always throttles is unknown (rate limited).
    let (host, hits) = throttling_registry(usize::MAX).await;
    let mut options = options_for(&host);
    options.max_retries = 1;
    let client = RegistryClient::new(options).unwrap();
    let lookup = client.resolve(&image(&host, "ml/model:v1")).await;
    assert!(matches!(
        lookup.unknown_reason(),
        Some(UnknownReason::RateLimited { attempts: 2, .. })
    ));
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn the_bearer_challenge_fetches_a_token_with_the_credentials_and_sends_it() {
    use axum::http::{HeaderMap, StatusCode};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let realm = format!("http://{host}/token");
    let challenge = format!("Bearer realm=\"{realm}\",service=\"test\"");
    let unauthorized = move || {
        let mut headers = HeaderMap::new();
        headers.insert("www-authenticate", challenge.parse().unwrap());
        (StatusCode::UNAUTHORIZED, headers)
    };
    let probe = unauthorized.clone();
    let app = axum::Router::new()
        .route("/v2/", axum::routing::get(move || async move { probe() }))
        .route(
            "/token",
            axum::routing::get(|headers: HeaderMap| async move {
                // "bob:builder" in base64
                let ok = headers.get("authorization").and_then(|v| v.to_str().ok())
                    == Some("Basic Ym9iOmJ1aWxkZXI=");
                if ok {
                    (StatusCode::OK, r#"{"token":"t0k3n"}"#)
                } else {
                    (StatusCode::UNAUTHORIZED, "no")
                }
            }),
        )
        .route(
            "/v2/ml/model/manifests/v1",
            axum::routing::any(move |headers: HeaderMap| async move {
                let ok = headers.get("authorization").and_then(|v| v.to_str().ok())
                    == Some("Bearer t0k3n");
                if !ok {
                    return unauthorized();
                }
                let mut out = HeaderMap::new();
                out.insert("content-type", OCI_INDEX.parse().unwrap());
                out.insert(
                    "docker-content-digest",
                    format!("sha256:{}", "d".repeat(64)).parse().unwrap(),
                );
                (StatusCode::OK, out)
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });

    let mut options = options_for(&host);
    options.credentials.insert(
        host.clone(),
        Credentials::Basic {
            username: "bob".into(),
            password: Password::new("builder"),
        },
    );
    let client = RegistryClient::new(options).unwrap();
    let lookup = client.resolve(&image(&host, "ml/model:v1")).await;
    assert_eq!(resolved(&lookup).media_type, OCI_INDEX);

    let mut options = options_for(&host);
    options.credentials.insert(
        host.clone(),
        Credentials::Basic {
            username: "bob".into(),
            password: Password::new("not-the-builder"),
        },
    );
    let client = RegistryClient::new(options).unwrap();
    let lookup = client.resolve(&image(&host, "ml/model:v1")).await;
    assert!(matches!(
        lookup.unknown_reason(),
        Some(UnknownReason::Refused { status: 401, .. })
    ));
    assert!(!format!("{lookup:?}").contains("not-the-builder"));
}

#[tokio::test]
async fn a_credential_helper_without_consent_is_unknown_needs_consent() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.json");
    let host = format!("127.0.0.1:{}", free_port());
    std::fs::write(
        &config,
        format!(r#"{{"credHelpers": {{"{host}": "aigov-test-helper"}}}}"#),
    )
    .unwrap();
    let mut options = options_for(&host);
    options.docker_config = Some(config);
    let asked = Arc::new(AtomicUsize::new(0));
    let seen = asked.clone();
    options.helper_consent = HelperConsent::Ask(Arc::new(move |helper, registry| {
        assert_eq!(helper, "aigov-test-helper");
        assert!(registry.starts_with("127.0.0.1:"));
        seen.fetch_add(1, Ordering::SeqCst);
        false
    }));
    let client = RegistryClient::new(options).unwrap();
    let images = [image(&host, "a/b:1"), image(&host, "a/c:1")];
    let lookups = client.resolve_all(&images).await;
    for lookup in &lookups {
        let reason = lookup.unknown_reason().unwrap();
        assert!(
            matches!(reason, UnknownReason::NeedsConsent { .. }),
            "{reason:?}"
        );
        assert!(reason.to_string().starts_with("needs consent"), "{reason}");
    }
    assert_eq!(asked.load(Ordering::SeqCst), 1, "asked once per registry");
}
