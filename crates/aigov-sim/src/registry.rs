//! A small OCI distribution endpoint inside the simulator, serving deterministic manifests
//! for the demo's images so tag-to-digest look-ups work offline. Repositories are served
//! under their full name: `/v2/docker.io/vllm/vllm-openai/manifests/v0.6.3`.

use aigov_core::model::image::ImageRef;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

#[derive(Debug, Clone)]
struct Blob {
    media_type: &'static str,
    body: bytes::Bytes,
}

#[derive(Debug, Default)]
struct Repositories {
    /// name -> tag -> manifest digest
    tags: BTreeMap<String, BTreeMap<String, String>>,
    /// digest -> manifest or config blob
    blobs: HashMap<String, Blob>,
}

#[derive(Debug, Default)]
pub struct DemoRegistry {
    repos: RwLock<Repositories>,
}

pub fn sha256_digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

impl DemoRegistry {
    /// Publish a deterministic image for `name:tag` (a new `generation` makes different bits,
    /// as a re-pushed tag would). Returns the manifest digest.
    pub fn publish(&self, name: &str, tag: &str, generation: u32) -> String {
        let config = json!({
            "architecture": "amd64",
            "os": "linux",
            "config": {"Labels": {"dev.aigov.demo": format!("{name}:{tag}#{generation}")}},
            "rootfs": {"type": "layers", "diff_ids": []},
        })
        .to_string();
        let config_digest = sha256_digest(config.as_bytes());
        let layer_digest = sha256_digest(format!("layer:{name}:{tag}:{generation}").as_bytes());
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": 1024}],
        })
        .to_string();
        let digest = sha256_digest(manifest.as_bytes());
        let mut repos = self.repos.write().unwrap_or_else(|e| e.into_inner());
        repos.blobs.insert(
            config_digest,
            Blob {
                media_type: "application/vnd.oci.image.config.v1+json",
                body: config.into(),
            },
        );
        repos.blobs.insert(
            digest.clone(),
            Blob {
                media_type: OCI_MANIFEST,
                body: manifest.into(),
            },
        );
        repos
            .tags
            .entry(name.to_string())
            .or_default()
            .insert(tag.to_string(), digest.clone());
        digest
    }

    /// The digest the registry currently serves for an image's tag.
    pub fn digest_for(&self, image: &ImageRef) -> Option<String> {
        let tag = image.effective_tag()?;
        let repos = self.repos.read().unwrap_or_else(|e| e.into_inner());
        repos.tags.get(&image.name())?.get(tag).cloned()
    }

    fn manifest(&self, name: &str, reference: &str) -> Option<(String, Blob)> {
        let repos = self.repos.read().unwrap_or_else(|e| e.into_inner());
        let digest = if reference.starts_with("sha256:") {
            reference.to_string()
        } else {
            repos.tags.get(name)?.get(reference)?.clone()
        };
        let blob = repos.blobs.get(&digest)?.clone();
        (blob.media_type == OCI_MANIFEST).then_some((digest, blob))
    }
}

fn registry_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"errors": [{"code": code, "message": message}]}).to_string();
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn blob_response(method: &Method, digest: &str, blob: &Blob) -> Response {
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        Body::from(blob.body.clone())
    };
    let mut r = Response::new(body);
    let headers = r.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(blob.media_type),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(blob.body.len()));
    if let Ok(v) = HeaderValue::from_str(digest) {
        headers.insert("Docker-Content-Digest", v);
    }
    r
}

/// `GET|HEAD /v2/...`
pub async fn handle(
    State(state): State<Arc<super::server::SimState>>,
    method: Method,
    uri: Uri,
) -> Response {
    let registry = &state.registry;
    let path = uri.path().trim_start_matches("/v2").trim_matches('/');
    if path.is_empty() {
        let mut r = Json(json!({})).into_response();
        r.headers_mut().insert(
            "Docker-Distribution-API-Version",
            HeaderValue::from_static("registry/2.0"),
        );
        return r;
    }
    if let Some((name, reference)) = path.rsplit_once("/manifests/") {
        return match registry.manifest(name, reference) {
            Some((digest, blob)) => blob_response(&method, &digest, &blob),
            None => registry_error(
                StatusCode::NOT_FOUND,
                "MANIFEST_UNKNOWN",
                "manifest unknown",
            ),
        };
    }
    if let Some((_, digest)) = path.rsplit_once("/blobs/") {
        let repos = registry.repos.read().unwrap_or_else(|e| e.into_inner());
        return match repos.blobs.get(digest) {
            Some(blob) => blob_response(&method, digest, blob),
            None => registry_error(
                StatusCode::NOT_FOUND,
                "BLOB_UNKNOWN",
                "blob unknown to registry",
            ),
        };
    }
    if let Some(name) = path.strip_suffix("/tags/list") {
        let repos = registry.repos.read().unwrap_or_else(|e| e.into_inner());
        return match repos.tags.get(name) {
            Some(tags) => {
                Json(json!({"name": name, "tags": tags.keys().collect::<Vec<_>>()})).into_response()
            }
            None => registry_error(
                StatusCode::NOT_FOUND,
                "NAME_UNKNOWN",
                "repository name not known to registry",
            ),
        };
    }
    registry_error(
        StatusCode::NOT_FOUND,
        "UNSUPPORTED",
        "the demo registry serves manifests, blobs and tag lists",
    )
}

use axum::Json;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publishing_is_deterministic_and_generations_move_the_tag() {
        let a = DemoRegistry::default();
        let b = DemoRegistry::default();
        let d1 = a.publish("docker.io/vllm/vllm-openai", "v0.6.3", 0);
        assert_eq!(d1, b.publish("docker.io/vllm/vllm-openai", "v0.6.3", 0));
        let image = ImageRef::parse("vllm/vllm-openai:v0.6.3").unwrap();
        assert_eq!(a.digest_for(&image), Some(d1.clone()));
        let d2 = a.publish("docker.io/vllm/vllm-openai", "v0.6.3", 1);
        assert_ne!(d1, d2);
        assert_eq!(a.digest_for(&image), Some(d2.clone()));
        let (digest, blob) = a.manifest("docker.io/vllm/vllm-openai", &d2).unwrap();
        assert_eq!(sha256_digest(&blob.body), digest);
    }
}
