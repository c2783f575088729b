//! Building a client from the kubeconfig, with deadlines, and proving the connection works
//! by asking who we are.

use super::error::{Error, classify};
use super::exec_plugin;
use super::kubeconfig;
use super::read_only::ReadOnlyLayer;
use aigov_core::model::Identity;
use kube::client::ClientBuilder;
use kube::config::{KubeConfigOptions, Kubeconfig};
use std::path::PathBuf;
use std::time::Duration;

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    /// Deadline for connecting and for each request.
    pub timeout: Duration,
    /// Build only a client whose transport refuses writes.
    pub read_only: bool,
    /// What to do about a credential plugin the operator has not agreed to run yet.
    pub exec: aigov_state::consent::Approval,
    /// `--allow-insecure-apply`: let writes go to a context that skips TLS verification.
    pub allow_insecure_apply: bool,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            kubeconfig: None,
            context: None,
            timeout: DEFAULT_TIMEOUT,
            read_only: false,
            exec: aigov_state::consent::Approval::default(),
            allow_insecure_apply: false,
        }
    }
}

/// A working connection to one cluster through one kubeconfig context.
#[derive(Clone)]
pub struct Connection {
    pub client: kube::Client,
    pub context: String,
    pub server: String,
    pub identity: Identity,
    pub read_only: bool,
    pub timeout: Duration,
    /// Every context in the kubeconfig, for switching.
    pub contexts: Vec<String>,
    /// SHA-256 (hex) of the cluster CA certificates the connection trusts, from the kubeconfig
    /// (`None` when it names none and the system roots are used). Recorded in audit sessions.
    pub ca_fingerprint: Option<String>,
    /// The context sets `insecure-skip-tls-verify`: the server's certificate is not checked.
    pub insecure_skip_tls_verify: bool,
    /// `--allow-insecure-apply` was given: writes may go to that unverified server.
    pub allow_insecure_apply: bool,
    /// The consent key of the credential plugin this connection runs, if any, so that a
    /// second client for the same context (the watches) runs only the same program.
    pub agreed_plugin: Option<String>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("context", &self.context)
            .field("server", &self.server)
            .field("identity", &self.identity)
            .field("read_only", &self.read_only)
            .finish()
    }
}

impl Connection {
    /// Run a request under the connection's deadline, turning failures into `cluster::Error`.
    pub async fn request<T>(
        &self,
        future: impl std::future::Future<Output = Result<T, kube::Error>>,
    ) -> Result<T, Error> {
        match tokio::time::timeout(self.timeout, future).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(classify(&self.server, &self.context, self.timeout, &e)),
            Err(_) => Err(Error::Unreachable {
                server: self.server.clone(),
                timeout: self.timeout,
                reason: "no answer before the deadline".into(),
            }),
        }
    }
}

/// The user name the kubeconfig context names, for when SelfSubjectReview is not served.
fn kubeconfig_user(config: &Kubeconfig, context: &str) -> String {
    config
        .contexts
        .iter()
        .find(|c| c.name == context)
        .and_then(|c| c.context.as_ref())
        .map(|c| c.user.clone().unwrap_or_default())
        .unwrap_or_default()
}

/// SHA-256 over the DER bytes of every trusted CA certificate, in kubeconfig order.
fn ca_fingerprint(certificates: Option<&[Vec<u8>]>) -> Option<String> {
    let certificates = certificates.filter(|c| !c.is_empty())?;
    Some(aigov_core::digest::sha256_hex(certificates.concat()))
}

/// rustls needs one process-wide crypto provider; aigov uses ring.
fn install_crypto_provider() {
    // Already installed (by an earlier connection or a test) is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The client configuration for `context`: the credential plugin, if the context's user has
/// one, runs only with consent (`agreed` is the key already agreed for this connection) and
/// with its output captured.
pub(crate) async fn client_config(
    loaded: &kubeconfig::LoadedKubeconfig,
    context: &str,
    approval: aigov_state::consent::Approval,
    agreed: Option<&str>,
) -> Result<(kube::Config, Option<String>), Error> {
    let mut config = Kubeconfig::clone(&loaded.config);
    config.current_context = Some(context.to_string());
    let program = exec_plugin::program_of(&config, context, &loaded.describe());
    if let Some(program) = &program
        && agreed != Some(program.key().as_str())
    {
        approve(program, context, approval).await?;
    }
    exec_plugin::capture_output(&mut config, context);
    let kube_options = KubeConfigOptions {
        context: Some(context.to_string()),
        ..Default::default()
    };
    let client_config = kube::Config::from_custom_kubeconfig(config, &kube_options)
        .await
        .map_err(|e| Error::BadContext {
            context: context.to_string(),
            reason: super::error::error_chain(&e),
        })?;
    Ok((client_config, program.map(|p| p.key())))
}

async fn approve(
    program: &aigov_state::consent::Program,
    context: &str,
    approval: aigov_state::consent::Approval,
) -> Result<(), Error> {
    use aigov_state::consent::{ConsentStore, Refusal, ask_on_terminal, decide};
    let context = context.to_string();
    let (asked, shown) = (program.clone(), context.clone());
    let answer = tokio::task::spawn_blocking(move || {
        let store = ConsentStore::default_location();
        decide(&store, &asked, approval, |p| ask_on_terminal(p, &shown))
    })
    .await
    .unwrap_or_else(|_| Err(Refusal::Store("the consent prompt failed".into())));
    match answer {
        Ok(()) => Ok(()),
        Err(Refusal::NotAgreed) => Err(Error::ExecNotAgreed {
            context,
            command: program.display(),
            source_desc: aigov_core::sanitize::sanitize(&program.source).into_owned(),
        }),
        Err(Refusal::Declined) => Err(Error::ExecDeclined {
            context,
            command: program.display(),
        }),
        Err(Refusal::Store(reason)) => Err(Error::CredentialPlugin { context, reason }),
    }
}

/// Build the client. kube runs a credential plugin here, synchronously, so it runs on a
/// blocking thread under the deadline: a plugin that hangs fails the connection in time.
pub(crate) async fn build_client(
    client_config: kube::Config,
    read_only: bool,
    context: &str,
    timeout: Duration,
) -> Result<kube::Client, Error> {
    let failed = |e: kube::Error| match exec_plugin::describe_failure(&e) {
        Some(reason) => Error::CredentialPlugin {
            context: context.to_string(),
            reason,
        },
        None => Error::BadContext {
            context: context.to_string(),
            reason: super::error::error_chain(&e),
        },
    };
    let build = tokio::task::spawn_blocking(move || {
        ClientBuilder::try_from(client_config).map(|builder| {
            if read_only {
                builder.with_layer(&ReadOnlyLayer).build()
            } else {
                builder.build()
            }
        })
    });
    match tokio::time::timeout(timeout, build).await {
        Ok(Ok(Ok(client))) => Ok(client),
        Ok(Ok(Err(e))) => Err(failed(e)),
        Ok(Err(_)) => Err(Error::CredentialPlugin {
            context: context.to_string(),
            reason: "building the client failed".into(),
        }),
        Err(_) => Err(Error::CredentialPlugin {
            context: context.to_string(),
            reason: format!(
                "the credential plugin gave no answer within {}s",
                timeout.as_secs_f64()
            ),
        }),
    }
}

/// Ask about the chosen context's credential plugin now, if it has one nobody agreed to:
/// for the console, which cannot ask once it has the terminal.
pub async fn approve_plugin(options: &ConnectOptions) -> Result<(), Error> {
    let loaded = kubeconfig::load(options.kubeconfig.as_deref())?;
    let context = loaded.choose_context(options.context.as_deref())?;
    match exec_plugin::program_of(&loaded.config, &context, &loaded.describe()) {
        Some(program) => approve(&program, &context, options.exec).await,
        None => Ok(()),
    }
}

pub async fn connect(options: &ConnectOptions) -> Result<Connection, Error> {
    install_crypto_provider();
    let loaded = kubeconfig::load(options.kubeconfig.as_deref())?;
    let context = loaded.choose_context(options.context.as_deref())?;
    let server = loaded.server_of(&context).unwrap_or_default();
    let (mut client_config, agreed_plugin) =
        client_config(&loaded, &context, options.exec, None).await?;
    let ca_fingerprint = ca_fingerprint(client_config.root_cert.as_deref());
    let insecure_skip_tls_verify = client_config.accept_invalid_certs;
    client_config.connect_timeout = Some(options.timeout);
    client_config.read_timeout = Some(options.timeout);
    client_config.write_timeout = Some(options.timeout);
    // Retries are the loader's, so that they respect deadlines and Retry-After.
    client_config.default_retry = false;
    let client = build_client(client_config, options.read_only, &context, options.timeout).await?;
    let mut connection = Connection {
        client,
        context: context.clone(),
        server,
        identity: Identity::default(),
        read_only: options.read_only,
        timeout: options.timeout,
        contexts: loaded.context_names(),
        ca_fingerprint,
        insecure_skip_tls_verify,
        allow_insecure_apply: options.allow_insecure_apply,
        agreed_plugin,
    };
    connection.identity =
        super::whoami::who_am_i(&connection, &kubeconfig_user(&loaded.config, &context)).await?;
    Ok(connection)
}
