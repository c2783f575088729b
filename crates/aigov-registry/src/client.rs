//! `RegistryClient`: resolve image tags to manifest digests, many at once (bounded
//! concurrency, order kept, duplicates asked once), through the cache, with 429 retries.

use super::auth::{Authorizer, classify_transport};
use super::cache::{ResolutionCache, TagKey};
use super::immutability::{Context, SettingsReader};
use super::manifest::{self, ManifestAnswer};
use super::options::{RegistryOptions, api_host};
use super::outcome::{Lookup, Resolution, UnknownReason};
use aigov_core::model::image::ImageRef;
use aigov_core::rules::images::ImmutabilitySetting;
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("cannot set up the HTTP client for registry look-ups: {0}")]
    Http(String),
}

pub struct RegistryClient {
    options: Arc<RegistryOptions>,
    http: reqwest::Client,
    auth: Authorizer,
    cache: ResolutionCache,
    settings: SettingsReader,
    manifest_requests: AtomicU64,
}

impl RegistryClient {
    pub fn new(options: RegistryOptions) -> Result<Self, RegistryError> {
        // reqwest is built without a crypto provider of its own; aigov uses ring everywhere.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .timeout(options.request_timeout)
            .connect_timeout(options.request_timeout)
            .user_agent(concat!("aigov/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = options.mirror.as_ref().and_then(|m| m.ca_pem.as_ref()) {
            let ca = reqwest::Certificate::from_pem(pem.as_bytes())
                .map_err(|e| RegistryError::Http(format!("the mirror's CA: {e}")))?;
            builder = builder.add_root_certificate(ca);
        }
        let http = builder
            .build()
            .map_err(|e| RegistryError::Http(e.to_string()))?;
        let options = Arc::new(options);
        Ok(RegistryClient {
            auth: Authorizer::new(options.clone()).map_err(RegistryError::Http)?,
            cache: ResolutionCache::new(options.cache_ttl),
            settings: SettingsReader::new(options.cache_ttl),
            options,
            http,
            manifest_requests: AtomicU64::new(0),
        })
    }

    pub fn options(&self) -> &RegistryOptions {
        &self.options
    }

    /// Manifest requests (HEAD and GET) sent so far; the tests and the benchmark read it to
    /// tell cache hits from network look-ups.
    pub fn manifest_requests(&self) -> u64 {
        self.manifest_requests.load(Ordering::Relaxed)
    }

    /// Forget the cached answer for an image's tag, so the next look-up asks the registry.
    pub fn forget(&self, image: &ImageRef) {
        if let Some(key) = tag_key(image) {
            self.cache.forget(&key);
        }
        self.settings.forget(image);
    }

    /// The registries' immutability settings for `images` (in order), given what their
    /// manifest look-ups answered ([`Self::resolve_all`], same order): Harbor's immutable-tag
    /// rules, ECR's `imageTagMutability` (feature `ecr`), or unknown with the reason.
    pub async fn immutability_all(
        &self,
        images: &[ImageRef],
        lookups: &[Lookup],
    ) -> Vec<ImmutabilitySetting> {
        let ctx = Context {
            http: &self.http,
            auth: &self.auth,
            options: &self.options,
        };
        self.settings.read_all(&ctx, images, lookups).await
    }

    /// Resolve many references, `concurrency` at a time; the answers are in the order of
    /// `images`, and a reference listed twice is asked once.
    pub async fn resolve_all(&self, images: &[ImageRef]) -> Vec<Lookup> {
        let mut unique: Vec<&ImageRef> = Vec::new();
        let mut slot_of: HashMap<Option<TagKey>, usize> = HashMap::new();
        let slots: Vec<usize> = images
            .iter()
            .map(|image| {
                *slot_of.entry(tag_key(image)).or_insert_with(|| {
                    unique.push(image);
                    unique.len() - 1
                })
            })
            .collect();
        // The futures are made first, so the stream holds no closure: that keeps the future
        // `Send` for any lifetime, as `tokio::spawn` needs.
        let pending: Vec<_> = unique
            .into_iter()
            .map(|image| self.resolve(image))
            .collect();
        let answers: Vec<Lookup> = futures::stream::iter(pending)
            .buffered(self.options.concurrency.max(1))
            .collect()
            .await;
        slots
            .into_iter()
            .map(|slot| answers[slot].clone())
            .collect()
    }

    /// Resolve one reference's tag (or `latest` when it has neither tag nor digest).
    pub async fn resolve(&self, image: &ImageRef) -> Lookup {
        let Some(key) = tag_key(image) else {
            return UnknownReason::NoTag.into();
        };
        if let Some(hit) = self.cache.get(&key) {
            return Lookup::Resolved(hit);
        }
        match self.resolve_uncached(&key).await {
            Ok(resolution) => {
                self.cache.put(key, &resolution);
                Lookup::Resolved(resolution)
            }
            Err(reason) => reason.into(),
        }
    }

    async fn resolve_uncached(&self, key: &TagKey) -> Result<Resolution, UnknownReason> {
        let registry = key.registry.as_str();
        let url = match &self.options.mirror {
            Some(mirror) => format!(
                "{}/v2/{registry}/{}/manifests/{}",
                mirror.base_url.trim_end_matches('/'),
                key.repository,
                key.tag
            ),
            None => manifest::manifest_url(
                self.options.scheme_for(registry),
                api_host(registry),
                &key.repository,
                &key.tag,
            ),
        };
        let mut attempts = 0u32;
        let mut refreshed_token = false;
        loop {
            attempts += 1;
            let authorization = match self.options.mirror {
                Some(_) => None,
                None => self.auth.header(registry, &key.repository).await?,
            };
            let head = self
                .send(
                    reqwest::Method::HEAD,
                    &url,
                    authorization.as_ref(),
                    registry,
                )
                .await?;
            let answer = match head.status {
                200 if head.digest_header.is_some()
                    && head
                        .content_type
                        .as_deref()
                        .is_some_and(|c| manifest::ACCEPTED.contains(&c)) =>
                {
                    head
                }
                // HEAD without a digest, or not allowed: GET the manifest and hash it.
                200 | 405 | 501 => {
                    self.send(reqwest::Method::GET, &url, authorization.as_ref(), registry)
                        .await?
                }
                _ => head,
            };
            match answer.status {
                200 => return resolution_of(registry, answer),
                401 if !refreshed_token && authorization.is_some() => {
                    // A reused bearer token may have expired: ask for a new one once.
                    refreshed_token = true;
                    self.auth.forget(registry, &key.repository);
                }
                429 if attempts <= self.options.max_retries => {
                    let wait = answer
                        .retry_after
                        .unwrap_or(Duration::from_secs(1))
                        .min(self.options.max_retry_wait);
                    tracing::debug!(%key, ?wait, "registry answered 429, waiting");
                    tokio::time::sleep(wait).await;
                }
                429 => {
                    return Err(UnknownReason::RateLimited {
                        registry: registry.to_string(),
                        attempts,
                    });
                }
                401 | 403 => {
                    return Err(UnknownReason::Refused {
                        registry: registry.to_string(),
                        status: answer.status,
                    });
                }
                404 => {
                    return Err(UnknownReason::NotFound {
                        registry: key.registry.clone(),
                        repository: key.repository.clone(),
                        tag: key.tag.clone(),
                    });
                }
                status => {
                    return Err(UnknownReason::Protocol {
                        registry: registry.to_string(),
                        detail: format!("HTTP {status} for the manifest"),
                    });
                }
            }
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        authorization: Option<&super::secret::Password>,
        registry: &str,
    ) -> Result<ManifestAnswer, UnknownReason> {
        self.manifest_requests.fetch_add(1, Ordering::Relaxed);
        manifest::fetch(&self.http, method, url, authorization)
            .await
            .map_err(|e| classify_transport(registry, &e, self.options.request_timeout))
    }
}

/// The digest and media type from a 200 answer. A GET's body is hashed; a digest header that
/// disagrees with the bytes is refused rather than believed.
fn resolution_of(registry: &str, answer: ManifestAnswer) -> Result<Resolution, UnknownReason> {
    let protocol = |detail: &str| UnknownReason::Protocol {
        registry: registry.to_string(),
        detail: detail.to_string(),
    };
    if answer.oversized {
        return Err(protocol("the manifest is larger than 4 MiB"));
    }
    let (digest, body_media_type) = match &answer.body {
        Some(body) => {
            let computed = manifest::sha256_digest(body);
            if let Some(header) = &answer.digest_header
                && header.starts_with("sha256:")
                && *header != computed
            {
                return Err(protocol(
                    "the Docker-Content-Digest header does not match the manifest bytes",
                ));
            }
            (computed, manifest::media_type_of_body(body))
        }
        None => {
            let header = answer
                .digest_header
                .clone()
                .ok_or_else(|| protocol("no Docker-Content-Digest header"))?;
            // It is shown, and written into a pin: only a well-formed digest is believed.
            if !aigov_core::model::image::is_sha256_digest(&header) {
                return Err(protocol(
                    "the Docker-Content-Digest header is not a sha256 digest",
                ));
            }
            (header, None)
        }
    };
    let media_type = answer
        .content_type
        .filter(|c| manifest::ACCEPTED.contains(&c.as_str()))
        .or(body_media_type)
        .ok_or_else(|| protocol("no manifest media type"))?;
    Ok(Resolution {
        digest,
        media_type,
        checked_at: jiff::Timestamp::now(),
        from_cache: false,
    })
}

/// The cache key of a reference: its registry, repository and effective tag.
pub fn tag_key(image: &ImageRef) -> Option<TagKey> {
    Some(TagKey {
        registry: image.registry.clone(),
        repository: image.repository.clone(),
        tag: image.effective_tag()?.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(digest_header: Option<&str>, body: Option<&[u8]>, oversized: bool) -> ManifestAnswer {
        ManifestAnswer {
            status: 200,
            digest_header: digest_header.map(str::to_string),
            content_type: Some(manifest::OCI_MANIFEST.into()),
            retry_after: None,
            body: body.map(bytes::Bytes::copy_from_slice),
            oversized,
        }
    }

    fn refusal(answer: ManifestAnswer) -> String {
        match resolution_of("r.example", answer) {
            Err(UnknownReason::Protocol { detail, .. }) => detail,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_registry_is_believed_only_about_well_formed_digests_of_bounded_manifests() {
        let good = format!("sha256:{}", "ab".repeat(32));
        assert_eq!(
            resolution_of("r.example", answer(Some(&good), None, false))
                .unwrap()
                .digest,
            good
        );
        assert!(
            refusal(answer(Some("sha256:abc\x1b]52;c;eA==\x07"), None, false))
                .contains("not a sha256 digest")
        );
        assert!(refusal(answer(Some(&good), Some(b"{}"), false)).contains("does not match"));
        assert!(refusal(answer(None, None, true)).contains("larger than 4 MiB"));
        let body = br#"{"schemaVersion":2}"#;
        let computed = manifest::sha256_digest(body);
        assert_eq!(
            resolution_of("r.example", answer(Some(&computed), Some(body), false))
                .unwrap()
                .digest,
            computed
        );
    }
}
