//! A Kubernetes API simulator on loopback, with a built-in demo AI platform.
//!
//! It is a real HTTP server: aigov and the real kubectl reach it through an ordinary
//! kubeconfig. `start` binds it and returns a handle for tests and `aigov demo`.

mod auth;
pub mod demo;
mod discovery;
pub mod faults;
mod fields;
pub mod kubeconfig;
mod load;
mod objects;
mod ownership;
mod patch;
mod pod_security;
pub mod protobuf;
mod read;
pub mod registry;
mod render;
mod resources;
pub mod scale;
mod selectors;
mod server;
mod status;
mod store;
mod tls;
mod write;

pub use faults::{DropPoint, FaultSettings};
pub use load::{Dataset, LoadError};
pub use server::LoggedRequest;

use aigov_core::rules::rbac::UserInfo;
use rand::Rng;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

pub const ADMIN_USER: &str = "aigov-demo-admin";
pub const READONLY_USER: &str = "aigov-demo-readonly";

#[derive(Debug, Clone)]
pub struct SimOptions {
    pub datasets: Vec<Dataset>,
    pub addr: SocketAddr,
    pub faults: FaultSettings,
    pub seed: u64,
    /// More bearer tokens for tests that act as other users.
    pub extra_tokens: Vec<(String, UserInfo)>,
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            datasets: vec![Dataset::Demo],
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            faults: FaultSettings::default(),
            seed: 0,
            extra_tokens: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
}

/// A running simulator. Dropping it stops the server.
pub struct SimHandle {
    pub addr: SocketAddr,
    pub admin_token: String,
    pub readonly_token: String,
    /// PEM of the CA the server certificate chains to.
    pub ca_pem: String,
    state: Arc<server::SimState>,
    server: axum_server::Handle<SocketAddr>,
}

fn random_token() -> String {
    let bytes: [u8; 24] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Load the datasets, bind the address and start serving in the background.
pub async fn start(options: SimOptions) -> Result<SimHandle, SimError> {
    let resources = resources::Resources::new();
    let authorizer = auth::Authorizer::new(&resources);
    let store = Arc::new(store::Store::new(
        resources.types.len(),
        authorizer.rbac_resources(),
    ));
    let registry = registry::DemoRegistry::default();
    load::load_all(&options.datasets, &resources, &store, &registry)?;
    let admin_token = random_token();
    let readonly_token = random_token();
    let mut tokens = auth::Tokens::default();
    tokens.insert(
        &admin_token,
        UserInfo {
            username: ADMIN_USER.into(),
            groups: vec!["system:masters".into(), "system:authenticated".into()],
        },
    );
    tokens.insert(
        &readonly_token,
        UserInfo {
            username: READONLY_USER.into(),
            groups: vec!["system:authenticated".into()],
        },
    );
    for (token, user) in &options.extra_tokens {
        tokens.insert(token, user.clone());
    }
    let namespace_resource = resources
        .id_of(aigov_core::model::Kind::Namespace)
        .unwrap_or_default();
    let state = Arc::new(server::SimState {
        resources,
        store,
        authorizer,
        tokens,
        faults: Arc::new(faults::Faults::new(options.faults.clone(), options.seed)),
        namespace_resource,
        registry,
        log: Mutex::new(Vec::new()),
        address: Mutex::new(String::new()),
    });
    let identity = tls::generate()?;
    let bind_error = |source| SimError::Bind {
        addr: options.addr,
        source,
    };
    let listener = std::net::TcpListener::bind(options.addr).map_err(bind_error)?;
    listener.set_nonblocking(true).map_err(bind_error)?;
    let addr = listener.local_addr().map_err(bind_error)?;
    *state.address.lock().unwrap_or_else(|e| e.into_inner()) = addr.to_string();
    let app = axum::Router::new()
        .route("/v2", axum::routing::get(registry::handle))
        .route("/v2/", axum::routing::get(registry::handle))
        .route("/v2/{*rest}", axum::routing::get(registry::handle))
        .fallback(server::handle)
        .with_state(state.clone());
    let config = axum_server::tls_rustls::RustlsConfig::from_config(identity.server_config.clone());
    let handle = axum_server::Handle::new();
    let server = axum_server::tls_rustls::from_tcp_rustls(listener, config)
        .map_err(bind_error)?
        .handle(handle.clone());
    tokio::spawn(async move {
        if let Err(e) = server.serve(app.into_make_service()).await {
            tracing::warn!("simulator stopped: {e}");
        }
    });
    Ok(SimHandle {
        addr,
        admin_token,
        readonly_token,
        ca_pem: identity.ca_pem,
        state,
        server: handle,
    })
}

impl SimHandle {
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    pub fn kubeconfig_yaml(&self) -> String {
        kubeconfig::render(
            &self.url(),
            &self.ca_pem,
            &self.admin_token,
            &self.readonly_token,
        )
    }

    pub fn write_kubeconfig(&self, path: &Path) -> std::io::Result<()> {
        kubeconfig::write_private(path, &self.kubeconfig_yaml())
    }

    pub fn set_faults(&self, settings: FaultSettings) {
        self.state.faults.set(settings);
    }

    /// How many requests the fault layer left hanging (they are not in [`Self::requests`]).
    pub fn hung_requests(&self) -> u64 {
        self.state.faults.hung()
    }

    /// Every request the server answered, oldest first.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.state
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Committed writes (dry runs excluded).
    pub fn committed_writes(&self) -> u64 {
        self.state.store.committed_writes()
    }

    /// Forget the watch history, as etcd compaction does.
    pub fn compact(&self) {
        self.state.store.compact();
    }

    /// The stored object, as JSON.
    pub fn object(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Option<serde_json::Value> {
        let id = self.state.resources.by_kind(api_version, kind)?;
        self.state
            .store
            .get(id, namespace, name)
            .map(|v| (*v).clone())
    }

    /// Every stored object of a kind, as JSON, for tests that compare what a client read with
    /// what the server holds, object for object.
    pub fn objects(&self, api_version: &str, kind: &str) -> Vec<serde_json::Value> {
        self.state
            .resources
            .by_kind(api_version, kind)
            .map(|id| {
                self.state
                    .store
                    .objects_of(id)
                    .iter()
                    .map(|v| (**v).clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Number of stored objects of a kind.
    pub fn count(&self, api_version: &str, kind: &str) -> usize {
        self.state
            .resources
            .by_kind(api_version, kind)
            .map_or(0, |id| self.state.store.count(id))
    }

    /// The demo's configuration drift: what changed "after the baseline was approved".
    /// The vLLM server's context length was raised and eager mode switched on, the
    /// generation settings were made hotter, and the Hugging Face token Secret was rotated
    /// (its data is untouched: only a new resourceVersion, which is all aigov compares).
    /// Each is an ordinary write, so watchers see it. Returns how many objects changed.
    pub fn apply_demo_drift(&self) -> usize {
        let edit =
            |kind: &str, namespace: &str, name: &str, change: &dyn Fn(&mut serde_json::Value)| {
                let Some(id) = self.state.resources.by_kind("v1", kind) else {
                    return false;
                };
                self.state
                    .store
                    .write(id, namespace, name, false, |current| {
                        let Some(current) = current else {
                            return Err(());
                        };
                        let mut next = current.clone();
                        change(&mut next);
                        Ok(store::Write::Put(next))
                    })
                    .is_ok()
            };
        let changes = [
            edit("ConfigMap", "llm-inference", "vllm-serving-config", &|o| {
                o["data"]["VLLM_MAX_MODEL_LEN"] = "32768".into();
                o["data"]["VLLM_ENFORCE_EAGER"] = "true".into();
            }),
            edit("ConfigMap", "llm-inference", "tokenizer-settings", &|o| {
                o["data"]["generation_config.json"] = "{\"temperature\": 1.2, \"top_p\": 0.98, \"max_new_tokens\": 4096, \"repetition_penalty\": 1.0}\n".into();
            }),
            edit("Secret", "llm-inference", "hf-token", &|o| {
                o["metadata"]["annotations"]["secrets.example.com/rotated-at"] =
                    "2026-11-26T22:14:03Z".into();
            }),
        ];
        changes.into_iter().filter(|changed| *changed).count()
    }

    /// Re-publish an image tag in the demo registry with different bits (a moved tag).
    pub fn move_demo_tag(&self, name: &str, tag: &str, generation: u32) -> String {
        self.state.registry.publish(name, tag, generation)
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.server.shutdown();
    }
}
