//! Registry credentials: given explicitly, or read from the Docker client's `config.json`
//! (`auths` entries, `credHelpers` and `credsStore`). A credential helper is a program, so it
//! only runs with the caller's consent ([`HelperConsent`]), like kubeconfig exec plugins.

use super::secret::Password;
use base64::Engine;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How to authenticate to one registry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Credentials {
    #[default]
    Anonymous,
    /// Basic credentials; also sent to a bearer token endpoint when the registry asks for one.
    Basic {
        username: String,
        password: Password,
    },
    /// A ready bearer token.
    Bearer(Password),
}

/// Asked with (helper, registry): may this helper run for this registry?
pub type ConsentCallback = Arc<dyn Fn(&str, &str) -> bool + Send + Sync>;

/// Whether a `docker-credential-<helper>` program may be run to get a registry's credentials.
#[derive(Clone, Default)]
pub enum HelperConsent {
    /// Never run helpers: look-ups that need one are *unknown* ("needs consent").
    #[default]
    Refuse,
    /// Run any helper the Docker config names.
    Allow,
    /// Ask: called with (helper, registry) the first time each pair is needed.
    Ask(ConsentCallback),
}

impl std::fmt::Debug for HelperConsent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HelperConsent::Refuse => f.write_str("Refuse"),
            HelperConsent::Allow => f.write_str("Allow"),
            HelperConsent::Ask(_) => f.write_str("Ask(..)"),
        }
    }
}

impl HelperConsent {
    pub fn allows(&self, helper: &str, registry: &str) -> bool {
        match self {
            HelperConsent::Refuse => false,
            HelperConsent::Allow => true,
            HelperConsent::Ask(ask) => ask(helper, registry),
        }
    }
}

/// Where a registry's credentials come from, per the Docker config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// Nothing configured: anonymous.
    None,
    /// Stored in the config itself.
    Stored(Credentials),
    /// A credential helper must be run: `docker-credential-<helper> get` with `server` on stdin.
    Helper { helper: String, server: String },
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("cannot read the Docker config {path}: {detail}; fix or move it")]
    Read { path: PathBuf, detail: String },
    #[error("the Docker config {path} is not valid JSON ({detail}); fix it or move it away")]
    Parse { path: PathBuf, detail: String },
}

/// The parts of `~/.docker/config.json` aigov reads.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(Clone, Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

impl std::fmt::Debug for AuthEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthEntry")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
pub fn default_docker_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    directories::BaseDirs::new().map(|b| b.home_dir().join(".docker").join("config.json"))
}

/// The host part of an `auths`/`credHelpers` key: `https://index.docker.io/v1/` -> `index.docker.io`.
fn host_of_key(key: &str) -> &str {
    let rest = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    rest.split('/').next().unwrap_or(rest)
}

/// The names a registry may be filed under (Docker Hub has several).
fn aliases(registry: &str) -> Vec<&str> {
    if registry == aigov_core::model::image::DOCKER_HUB {
        vec!["docker.io", "index.docker.io", "registry-1.docker.io"]
    } else {
        vec![registry]
    }
}

/// The server URL a helper is asked about (Docker Hub's is the legacy v1 URL).
fn helper_server(registry: &str) -> String {
    if registry == aigov_core::model::image::DOCKER_HUB {
        "https://index.docker.io/v1/".to_string()
    } else {
        registry.to_string()
    }
}

impl DockerConfig {
    /// Read a Docker config; a missing file is an empty config.
    pub fn load(path: &Path) -> Result<Self, CredentialsError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => {
                return Err(CredentialsError::Read {
                    path: path.to_path_buf(),
                    detail: e.to_string(),
                });
            }
        };
        Self::parse(&text).map_err(|detail| CredentialsError::Parse {
            path: path.to_path_buf(),
            detail,
        })
    }

    /// Parse the JSON text of a Docker config. The error never quotes the file's content.
    pub fn parse(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("line {} column {}", e.line(), e.column()))
    }

    /// Where `registry`'s credentials come from: its `credHelpers` entry, else an `auths`
    /// entry holding credentials, else `credsStore`, else none.
    pub fn source_for(&self, registry: &str) -> Result<CredentialSource, String> {
        let names = aliases(registry);
        let matches = |key: &String| names.contains(&host_of_key(key));
        if let Some((_, helper)) = self.cred_helpers.iter().find(|(k, _)| matches(k)) {
            return Ok(CredentialSource::Helper {
                helper: helper.clone(),
                server: helper_server(registry),
            });
        }
        for (key, entry) in self.auths.iter().filter(|(k, _)| matches(k)) {
            if let Some(credentials) = entry
                .credentials()
                .map_err(|e| format!("{e} in auths[{key:?}]"))?
            {
                return Ok(CredentialSource::Stored(credentials));
            }
        }
        if let Some(helper) = self.creds_store.as_ref().filter(|h| !h.is_empty()) {
            return Ok(CredentialSource::Helper {
                helper: helper.clone(),
                server: helper_server(registry),
            });
        }
        Ok(CredentialSource::None)
    }
}

impl AuthEntry {
    fn credentials(&self) -> Result<Option<Credentials>, String> {
        if let Some(token) = self.identitytoken.as_ref().filter(|t| !t.is_empty()) {
            // An identity token is a refresh token for the registry's OAuth endpoint; it is
            // offered as a bearer token, which registries that issue them accept.
            return Ok(Some(Credentials::Bearer(Password::new(token.clone()))));
        }
        if let Some(auth) = self.auth.as_ref().filter(|a| !a.is_empty()) {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .map_err(|_| "an \"auth\" value that is not base64".to_string())?;
            let text = String::from_utf8(bytes)
                .map_err(|_| "an \"auth\" value that is not UTF-8".to_string())?;
            let (username, password) = text
                .split_once(':')
                .ok_or_else(|| "an \"auth\" value without user:password".to_string())?;
            return Ok(Some(Credentials::Basic {
                username: username.to_string(),
                password: Password::new(password),
            }));
        }
        match (&self.username, &self.password) {
            (Some(u), Some(p)) if !u.is_empty() => Ok(Some(Credentials::Basic {
                username: u.clone(),
                password: Password::new(p.clone()),
            })),
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user: &str, pass: &str) -> CredentialSource {
        CredentialSource::Stored(Credentials::Basic {
            username: user.into(),
            password: Password::new(pass),
        })
    }

    #[test]
    fn auths_with_base64_or_fields_helpers_and_store() {
        let auth = base64::engine::general_purpose::STANDARD.encode("alice:s3cret");
        let config = DockerConfig::parse(&format!(
            r#"{{
              "auths": {{
                "https://index.docker.io/v1/": {{"auth": "{auth}"}},
                "reg.example:5000": {{"username": "bob", "password": "pw"}},
                "marker.example": {{}}
              }},
              "credHelpers": {{"gcr.io": "gcloud"}},
              "credsStore": "desktop"
            }}"#
        ))
        .unwrap();
        assert_eq!(
            config.source_for("docker.io").unwrap(),
            basic("alice", "s3cret")
        );
        assert_eq!(
            config.source_for("reg.example:5000").unwrap(),
            basic("bob", "pw")
        );
        assert_eq!(
            config.source_for("gcr.io").unwrap(),
            CredentialSource::Helper {
                helper: "gcloud".into(),
                server: "gcr.io".into()
            }
        );
        assert_eq!(
            config.source_for("marker.example").unwrap(),
            CredentialSource::Helper {
                helper: "desktop".into(),
                server: "marker.example".into()
            }
        );
        let empty = DockerConfig::parse("{}").unwrap();
        assert_eq!(
            empty.source_for("x.example").unwrap(),
            CredentialSource::None
        );
    }

    #[test]
    fn debug_and_errors_never_show_the_password() {
        let config = DockerConfig::parse(
            r#"{"auths": {"r.example": {"username": "u", "password": "topsecret"}}}"#,
        )
        .unwrap();
        assert!(!format!("{config:?}").contains("topsecret"));
        assert!(!format!("{:?}", config.source_for("r.example")).contains("topsecret"));
        let err = DockerConfig::parse(r#"{"auths": {"r": {"password": topsecret}}}"#).unwrap_err();
        assert!(!err.contains("topsecret"), "{err}");
    }

    #[test]
    fn consent_is_refused_by_default() {
        assert!(!HelperConsent::default().allows("desktop", "r.example"));
        assert!(HelperConsent::Allow.allows("desktop", "r.example"));
        let ask = HelperConsent::Ask(Arc::new(|helper, _| helper == "ok"));
        assert!(ask.allows("ok", "r") && !ask.allows("no", "r"));
    }
}
