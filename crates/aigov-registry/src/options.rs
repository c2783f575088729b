//! `RegistryOptions`: the limits (concurrency, deadlines, retries, cache TTL), which hosts may
//! be spoken to over plain HTTP, and where credentials come from.

use super::credentials::{Credentials, HelperConsent};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct RegistryOptions {
    /// Look-ups in flight at once in [`super::RegistryClient::resolve_all`] (default 8).
    pub concurrency: usize,
    /// Deadline for each HTTP request, connection included (default 10 s).
    pub request_timeout: Duration,
    /// How long a resolved tag is served from memory without asking again (default 5 min).
    pub cache_ttl: Duration,
    /// Retries after a 429 (default 3); each waits `Retry-After`, capped by `max_retry_wait`.
    pub max_retries: u32,
    /// The longest a `Retry-After` is honoured (default 10 s); also the wait when it is absent
    /// is 1 s.
    pub max_retry_wait: Duration,
    /// Registries (`host` or `host:port`) spoken to over plain HTTP. Everything else is HTTPS.
    pub insecure_http_hosts: Vec<String>,
    /// Credentials per registry host; they win over the Docker config.
    pub credentials: BTreeMap<String, Credentials>,
    /// The Docker config to read credentials from (`None`: do not read one).
    pub docker_config: Option<PathBuf>,
    /// Whether credential helpers named by the Docker config may run.
    pub helper_consent: HelperConsent,
    /// Ask this one endpoint for every registry instead (the simulator's demo registry).
    pub mirror: Option<Mirror>,
}

/// An endpoint that serves every registry's repositories under `/v2/<registry>/<repository>`,
/// anonymously: the simulator's demo registry, so `aigov demo` looks tags up offline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    /// `https://127.0.0.1:PORT`
    pub base_url: String,
    /// The CA certificate it is served with, PEM (trusted for it alone).
    pub ca_pem: Option<String>,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            concurrency: 8,
            request_timeout: Duration::from_secs(10),
            cache_ttl: Duration::from_secs(300),
            max_retries: 3,
            max_retry_wait: Duration::from_secs(10),
            insecure_http_hosts: Vec::new(),
            credentials: BTreeMap::new(),
            docker_config: None,
            helper_consent: HelperConsent::Refuse,
            mirror: None,
        }
    }
}

impl RegistryOptions {
    /// `http` for the hosts listed in `insecure_http_hosts`, else `https`.
    pub fn scheme_for(&self, registry: &str) -> &'static str {
        if self.insecure_http_hosts.iter().any(|h| h == registry) {
            "http"
        } else {
            "https"
        }
    }
}

/// The host the API is served from: Docker Hub's API lives on `registry-1.docker.io`.
pub fn api_host(registry: &str) -> &str {
    if registry == aigov_core::model::image::DOCKER_HUB {
        "registry-1.docker.io"
    } else {
        registry
    }
}
