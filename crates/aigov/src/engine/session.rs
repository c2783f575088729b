//! Where a command's or the console's connection comes from (the kubeconfig, or the
//! in-process demo simulator reached through a generated kubeconfig on the same code path),
//! and what the audit log records about it.

use super::Error;
use crate::settings::Settings;
use aigov_audit::SessionInfo;
use aigov_kube::{ConnectOptions, Connection, connect};
use aigov_sim::{SimHandle, SimOptions};

/// A connection plus whatever must live as long as it (the demo simulator and its
/// kubeconfig file).
pub struct Session {
    pub connection: Connection,
    /// What it connected with (the demo's generated kubeconfig included), for the watches'
    /// own client.
    pub options: ConnectOptions,
    _demo: Option<(SimHandle, tempfile::TempDir)>,
}

/// Start the demo simulator and write its kubeconfig to a private temporary directory.
pub async fn start_demo() -> Result<(SimHandle, tempfile::TempDir, std::path::PathBuf), Error> {
    let sim = aigov_sim::start(SimOptions::default()).await?;
    let dir = tempfile::Builder::new()
        .prefix("aigov-demo-")
        .tempdir()
        .map_err(|e| {
            Error::Io(format!(
                "cannot create a temporary directory for the demo kubeconfig: {e}"
            ))
        })?;
    let path = dir.path().join("kubeconfig");
    sim.write_kubeconfig(&path)
        .map_err(|e| Error::Io(format!("cannot write {}: {e}", path.display())))?;
    Ok((sim, dir, path))
}

/// The console demo's drift story: a baseline of the demo as first loaded, "approved the day
/// before", after which [`SimHandle::apply_demo_drift`] changes the cluster. The Config drift
/// view then has something to show without the user saving a baseline first. Read through
/// the demo's admin context, on the same code path as `aigov baseline save`.
pub async fn demo_baseline(
    sim: &SimHandle,
    kubeconfig: &std::path::Path,
    timeout: std::time::Duration,
    settings: &aigov_core::rules::RulesConfig,
) -> Result<aigov_core::rules::config::Baseline, Error> {
    let options = ConnectOptions {
        kubeconfig: Some(kubeconfig.to_path_buf()),
        context: None,
        timeout,
        read_only: true,
        ..ConnectOptions::default()
    };
    let connection = connect(&options).await?;
    let snapshot = aigov_kube::load(
        &connection,
        &aigov_kube::LoadOptions::default(),
        std::sync::Arc::new(|_| {}),
    )
    .await;
    let view = aigov_core::rules::View::new(&snapshot, settings);
    let approved = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24);
    let baseline = aigov_core::rules::config::Baseline::capture(&view, &approved.to_string());
    sim.apply_demo_drift();
    Ok(baseline)
}

impl Session {
    /// With the demo, its simulator's registry, which serves the demo's images offline.
    pub fn demo_registry(&self) -> Option<aigov_registry::Mirror> {
        self._demo.as_ref().map(|(sim, _)| aigov_registry::Mirror {
            base_url: sim.url(),
            ca_pem: Some(sim.ca_pem.clone()),
        })
    }
}

/// Connect as `settings` ask: through the kubeconfig, or to a demo simulator started here.
pub async fn open(settings: &Settings) -> Result<Session, Error> {
    let mut options = settings.connect_options();
    if settings.demo {
        let (sim, dir, path) = start_demo().await?;
        options.kubeconfig = Some(path);
        let connection = connect(&options).await?;
        return Ok(Session {
            connection,
            options,
            _demo: Some((sim, dir)),
        });
    }
    let connection = connect(&options).await?;
    if connection.insecure_skip_tls_verify {
        eprintln!("{}", insecure_tls_warning(&connection));
    }
    Ok(Session {
        connection,
        options,
        _demo: None,
    })
}

/// The one-line warning a headless command prints for a context that skips TLS verification.
pub fn insecure_tls_warning(connection: &Connection) -> String {
    format!(
        "warning: context {:?} skips TLS verification (insecure-skip-tls-verify): the server's identity is not checked; {}",
        aigov_core::sanitize::sanitize(&connection.context),
        if connection.allow_insecure_apply {
            "writes are allowed by --allow-insecure-apply and recorded"
        } else {
            "aigov will not write to it without --allow-insecure-apply"
        }
    )
}

/// Records each entry in an audit session of its own (see [`record_first`]).
pub struct RecordFirst<'a> {
    pub connection: &'a Connection,
    /// The command the session names (`read pull secrets`, ...).
    pub command: &'a str,
}

impl super::registry::Record for RecordFirst<'_> {
    async fn record(&self, entry: aigov_audit::Entry) -> Result<(), String> {
        record_first(self.connection, self.command, vec![entry]).map_err(|e| e.to_string())
    }
}

/// Record `entries` in the default audit log, in an audit session of their own for `command`
/// on `connection`, before the caller acts on them: if the log refuses, the caller does not act.
pub fn record_first(
    connection: &Connection,
    command: &str,
    entries: Vec<aigov_audit::Entry>,
) -> Result<(), aigov_audit::Error> {
    let mut audit = aigov_audit::Session::new(
        aigov_audit::AuditLog::open_default()?,
        audit_session(connection, command),
    );
    for entry in entries {
        audit.append(entry)?;
    }
    audit.finish().map(|_| ())
}

/// A new audit session on this connection, for `command` (`console`, `plan apply`, ...).
pub fn audit_session(connection: &Connection, command: &str) -> SessionInfo {
    SessionInfo {
        id: aigov_audit::new_session_id(),
        context: connection.context.clone(),
        server: connection.server.clone(),
        ca_fingerprint: connection.ca_fingerprint.clone(),
        insecure_skip_tls_verify: connection.insecure_skip_tls_verify,
        allow_insecure_apply: connection.allow_insecure_apply,
        user: connection.identity.username.clone(),
        groups: connection.identity.groups.clone(),
        command: command.into(),
    }
}
