//! One manifest request by hand (HEAD, or GET as the fallback) and what its answer says: the
//! status, `Docker-Content-Digest`, the media type and `Retry-After`.
//!
//! This is the one part not left to oci-client: its `fetch_manifest_digest` returns the digest
//! alone, dropping the `Content-Type` (the media type the issue asks to record) and the
//! `Retry-After` of a 429, and it turns a 429 on HEAD into an immediate GET. The request goes
//! through the same reqwest version oci-client uses, with the `Authorization` header that
//! oci-client's challenge flow produced (see `auth.rs`).

use super::secret::Password;
use bytes::Bytes;
use sha2::{Digest, Sha256};
use std::time::Duration;

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// Every manifest kind aigov accepts, most specific first: an index or list is resolved as
/// itself (its digest is what a pull by tag records), never narrowed to one platform.
pub const ACCEPTED: [&str; 4] = [OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST];

/// The largest manifest body read (Distribution's own default limit is 4 MiB); a registry that
/// sends more is answering something else, and is not allowed to fill memory.
pub const MAX_MANIFEST_BYTES: usize = 4 << 20;

/// What one HEAD or GET of a manifest answered.
#[derive(Debug)]
pub struct ManifestAnswer {
    pub status: u16,
    pub digest_header: Option<String>,
    pub content_type: Option<String>,
    pub retry_after: Option<Duration>,
    /// The body (GET only).
    pub body: Option<Bytes>,
    /// The GET's body was larger than [`MAX_MANIFEST_BYTES`]; `body` is then `None`.
    pub oversized: bool,
}

/// `<scheme>://<host>/v2/<repository>/manifests/<tag>`
pub fn manifest_url(scheme: &str, host: &str, repository: &str, tag: &str) -> String {
    format!("{scheme}://{host}/v2/{repository}/manifests/{tag}")
}

pub async fn fetch(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    authorization: Option<&Password>,
) -> Result<ManifestAnswer, reqwest::Error> {
    let is_get = method == reqwest::Method::GET;
    let mut request = http
        .request(method, url)
        .header(reqwest::header::ACCEPT, ACCEPTED.join(", "));
    if let Some(value) = authorization {
        request = request.header(reqwest::header::AUTHORIZATION, value.expose());
    }
    let response = request.send().await?;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let status = response.status().as_u16();
    let digest_header = header("docker-content-digest");
    let content_type = header("content-type").map(|c| media_type_of_content_type(&c));
    let retry_after =
        header("retry-after").and_then(|v| parse_retry_after(&v, jiff::Timestamp::now()));
    let (body, oversized) = if is_get && status == 200 {
        match read_capped(response, MAX_MANIFEST_BYTES).await? {
            Some(bytes) => (Some(bytes), false),
            None => (None, true),
        }
    } else {
        (None, false)
    };
    Ok(ManifestAnswer {
        status,
        digest_header,
        content_type,
        retry_after,
        body,
        oversized,
    })
}

/// The body, read chunk by chunk up to `limit` bytes; `None` once it goes past it.
async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Option<Bytes>, reqwest::Error> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Ok(None);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(Bytes::from(body)))
}

/// `application/vnd.oci.image.index.v1+json; charset=utf-8` -> the type alone.
fn media_type_of_content_type(value: &str) -> String {
    value.split(';').next().unwrap_or(value).trim().to_string()
}

/// `Retry-After` as seconds or as an HTTP date.
pub fn parse_retry_after(value: &str, now: jiff::Timestamp) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let wait = now.duration_until(when);
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

/// `sha256:<hex>` of the manifest bytes.
pub fn sha256_digest(body: &[u8]) -> String {
    let hash = Sha256::digest(body);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The `mediaType` a manifest declares in its body.
pub fn media_type_of_body(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Versioned {
        #[serde(rename = "mediaType")]
        media_type: Option<String>,
    }
    serde_json::from_slice::<Versioned>(body).ok()?.media_type
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A GET answered by a local server with `size` bytes of manifest.
    async fn get_of(size: usize, declare_length: bool) -> ManifestAnswer {
        use axum::response::IntoResponse;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v2/r/manifests/t", listener.local_addr().unwrap());
        let app = axum::Router::new().fallback(move || async move {
            let chunk = vec![b' '; 64 * 1024];
            let chunks = size.div_ceil(chunk.len());
            let stream = futures::stream::iter(
                (0..chunks).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
            );
            let mut response = axum::body::Body::from_stream(stream).into_response();
            if declare_length {
                response.headers_mut().insert(
                    "content-length",
                    (chunks * 64 * 1024).to_string().parse().unwrap(),
                );
            }
            response
        });
        tokio::spawn(async move { axum::serve(listener, app).await });
        // reqwest is built without a crypto provider of its own, as in aigov.
        let _ = rustls::crypto::ring::default_provider().install_default();
        fetch(&reqwest::Client::new(), reqwest::Method::GET, &url, None)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_manifest_body_past_the_limit_is_not_read_into_memory() {
        let small = get_of(64 * 1024, false).await;
        assert!(!small.oversized && small.body.as_ref().unwrap().len() == 64 * 1024);
        for declare_length in [false, true] {
            let huge = get_of(MAX_MANIFEST_BYTES + 1, declare_length).await;
            assert!(huge.oversized && huge.body.is_none(), "{declare_length}");
        }
    }

    #[test]
    fn retry_after_as_seconds_or_date() {
        let now: jiff::Timestamp = "2025-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Wed, 01 Jan 2025 00:00:05 GMT", now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            parse_retry_after("Tue, 31 Dec 2024 00:00:05 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn digests_and_media_types() {
        assert_eq!(
            sha256_digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            media_type_of_body(br#"{"schemaVersion":2,"mediaType":"x/y"}"#).as_deref(),
            Some("x/y")
        );
        assert_eq!(media_type_of_content_type("a/b; charset=utf-8"), "a/b");
    }
}
