//! The `Authorization` header for one repository: which credentials apply (explicit, the
//! Docker config, or a credential helper with consent), then oci-client's challenge flow
//! (anonymous, basic, or a bearer token fetched from the `WWW-Authenticate` realm).

use super::credentials::{CredentialSource, Credentials, DockerConfig};
use super::helper::run_helper;
use super::options::RegistryOptions;
use super::outcome::UnknownReason;
use super::secret::Password;
use base64::Engine;
use oci_client::errors::OciDistributionError;
use oci_client::{Reference, RegistryOperation, secrets::RegistryAuth};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

/// Bearer tokens are reused this long; registries grant at least 60 s.
const TOKEN_REUSE: Duration = Duration::from_secs(50);

type CredentialCell = Arc<OnceCell<Result<Credentials, UnknownReason>>>;
/// A header value to send (None: send none) and until when it may be reused (None: always).
type CachedHeader = (Option<Password>, Option<Instant>);

pub struct Authorizer {
    oci: oci_client::Client,
    options: Arc<RegistryOptions>,
    docker: OnceCell<Result<DockerConfig, String>>,
    credentials: Mutex<HashMap<String, CredentialCell>>,
    /// `(registry, repository)` -> the header to send.
    headers: Mutex<HashMap<(String, String), CachedHeader>>,
}

impl Authorizer {
    /// Fails when oci-client cannot build its HTTP client (rather than letting it fall back
    /// to a default configuration, which would drop the plain-HTTP hosts and the deadlines).
    pub fn new(options: Arc<RegistryOptions>) -> Result<Self, String> {
        let mut insecure: Vec<String> = options.insecure_http_hosts.clone();
        insecure.extend(
            options
                .insecure_http_hosts
                .iter()
                .filter(|h| h.as_str() == aigov_core::model::image::DOCKER_HUB)
                .map(|_| "index.docker.io".to_string()),
        );
        let config = oci_client::client::ClientConfig {
            protocol: oci_client::client::ClientProtocol::HttpsExcept(insecure),
            read_timeout: Some(options.request_timeout),
            connect_timeout: Some(options.request_timeout),
            ..Default::default()
        };
        let oci = oci_client::Client::try_from(config).map_err(|e| e.to_string())?;
        Ok(Authorizer {
            oci,
            options,
            docker: OnceCell::new(),
            credentials: Mutex::new(HashMap::new()),
            headers: Mutex::new(HashMap::new()),
        })
    }

    /// The header to send for `registry/repository`, reusing an earlier answer while valid.
    pub async fn header(
        &self,
        registry: &str,
        repository: &str,
    ) -> Result<Option<Password>, UnknownReason> {
        let key = (registry.to_string(), repository.to_string());
        if let Ok(headers) = self.headers.lock()
            && let Some((value, until)) = headers.get(&key)
            && until.is_none_or(|t| Instant::now() < t)
        {
            return Ok(value.clone());
        }
        let credentials = self.credentials_for(registry).await?;
        let (value, until) = self.challenge(registry, repository, &credentials).await?;
        if let Ok(mut headers) = self.headers.lock() {
            headers.insert(key, (value.clone(), until));
        }
        Ok(value)
    }

    /// Drop a header the registry refused (an expired token), so the next call asks again.
    pub fn forget(&self, registry: &str, repository: &str) {
        if let Ok(mut headers) = self.headers.lock() {
            headers.remove(&(registry.to_string(), repository.to_string()));
        }
    }

    async fn challenge(
        &self,
        registry: &str,
        repository: &str,
        credentials: &Credentials,
    ) -> Result<CachedHeader, UnknownReason> {
        let auth = match credentials {
            Credentials::Anonymous => RegistryAuth::Anonymous,
            Credentials::Basic { username, password } => {
                RegistryAuth::Basic(username.clone(), password.expose().to_string())
            }
            Credentials::Bearer(token) => {
                return Ok((
                    Some(Password::new(format!("Bearer {}", token.expose()))),
                    None,
                ));
            }
        };
        let reference = Reference::with_tag(
            registry.to_string(),
            repository.to_string(),
            "latest".to_string(),
        );
        let timeout = self.options.request_timeout;
        let answer = tokio::time::timeout(
            timeout,
            self.oci.auth(&reference, &auth, RegistryOperation::Pull),
        )
        .await
        .map_err(|_| UnknownReason::Timeout {
            registry: registry.to_string(),
            seconds: timeout.as_secs(),
        })?;
        match answer {
            Ok(Some(token)) => Ok((
                Some(Password::new(format!("Bearer {token}"))),
                Some(Instant::now() + TOKEN_REUSE),
            )),
            // No bearer challenge: the registry is open, or wants HTTP Basic.
            Ok(None) => Ok((basic_header(credentials), None)),
            Err(e) => Err(classify_oci_error(registry, &e, timeout)),
        }
    }

    /// The credentials that apply to `registry` (explicit, Docker config, or a helper with
    /// consent); also what Harbor's API is asked with.
    pub(super) async fn credentials_for(
        &self,
        registry: &str,
    ) -> Result<Credentials, UnknownReason> {
        if let Some(c) = self.options.credentials.get(registry) {
            return Ok(c.clone());
        }
        let Some(path) = &self.options.docker_config else {
            return Ok(Credentials::Anonymous);
        };
        let cell = {
            let mut cells = self
                .credentials
                .lock()
                .map_err(|_| UnknownReason::Credentials {
                    registry: registry.to_string(),
                    detail: "internal lock poisoned".into(),
                })?;
            cells.entry(registry.to_string()).or_default().clone()
        };
        cell.get_or_init(|| async {
            let config = self
                .docker
                .get_or_init(|| async { DockerConfig::load(path).map_err(|e| e.to_string()) })
                .await;
            let fail = |detail: String| UnknownReason::Credentials {
                registry: registry.to_string(),
                detail,
            };
            let config = config.as_ref().map_err(|e| fail(e.clone()))?;
            match config.source_for(registry).map_err(fail)? {
                CredentialSource::None => Ok(Credentials::Anonymous),
                CredentialSource::Stored(c) => Ok(c),
                CredentialSource::Helper { helper, server } => {
                    if !self.options.helper_consent.allows(&helper, registry) {
                        return Err(UnknownReason::NeedsConsent {
                            registry: registry.to_string(),
                            helper,
                        });
                    }
                    run_helper(&helper, &server, self.options.request_timeout)
                        .await
                        .map_err(fail)
                }
            }
        })
        .await
        .clone()
    }
}

pub(super) fn basic_header(credentials: &Credentials) -> Option<Password> {
    match credentials {
        Credentials::Basic { username, password } => {
            let pair = format!("{username}:{}", password.expose());
            let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
            Some(Password::new(format!("Basic {encoded}")))
        }
        Credentials::Bearer(token) => Some(Password::new(format!("Bearer {}", token.expose()))),
        Credentials::Anonymous => None,
    }
}

/// oci-client's errors as an operator's reason. Its messages may quote a token server's body,
/// so only the kind of failure is kept, never the text.
fn classify_oci_error(
    registry: &str,
    error: &OciDistributionError,
    timeout: Duration,
) -> UnknownReason {
    match error {
        OciDistributionError::AuthenticationFailure(_)
        | OciDistributionError::UnauthorizedError { .. } => UnknownReason::Refused {
            registry: registry.to_string(),
            status: 401,
        },
        OciDistributionError::RequestError(e) => classify_transport(registry, e, timeout),
        OciDistributionError::RegistryTokenDecodeError(_) => UnknownReason::Protocol {
            registry: registry.to_string(),
            detail: "the token endpoint's answer is not a token".into(),
        },
        _ => UnknownReason::Protocol {
            registry: registry.to_string(),
            detail: "the authentication challenge failed".into(),
        },
    }
}

/// A transport failure as *timeout* or *unreachable*.
pub fn classify_transport(
    registry: &str,
    error: &reqwest::Error,
    timeout: Duration,
) -> UnknownReason {
    if error.is_timeout() {
        return UnknownReason::Timeout {
            registry: registry.to_string(),
            seconds: timeout.as_secs(),
        };
    }
    let detail = if error.is_connect() {
        "connection failed (is it running, and is the host and port right?)".to_string()
    } else {
        // reqwest's text names the URL (which never holds credentials) and the cause.
        aigov_core::sanitize::truncate_display(
            &aigov_core::sanitize::sanitize(&error.to_string()),
            200,
        )
        .into_owned()
    };
    UnknownReason::Unreachable {
        registry: registry.to_string(),
        detail,
    }
}
