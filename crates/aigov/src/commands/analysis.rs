//! Load a snapshot and evaluate the rules: the common start of `audit`, `who-can`, `can-i`
//! and `reach`; `audit` and `images` also ask the image registries (unless `--offline`).

use super::CommandError;
use super::session::{self, Session};
use crate::settings::Settings;
use aigov_core::model::Snapshot;
use aigov_core::model::image::ImageRef;
use aigov_core::rules::images::RegistryFacts;
use aigov_core::rules::{Evaluation, Inputs, View, evaluate_view};
use aigov_kube::{LoadOptions, Progress, load};
use aigov_registry::{Gathered, RegistryClient, RegistryOptions, tagged_images};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A progress line on stderr when it is a terminal; nothing otherwise.
pub fn stderr_progress() -> aigov_kube::load::ProgressFn {
    let show = std::io::stderr().is_terminal();
    let total = LoadOptions::default().kinds.len();
    let finished = Arc::new(AtomicUsize::new(0));
    Arc::new(move |p: Progress| {
        if p.done && show {
            let n = finished.fetch_add(1, Ordering::Relaxed) + 1;
            eprint!("\rloading {n}/{total} kinds…");
            if n == total {
                eprint!("\r\x1b[2K");
            }
        }
    })
}

/// Connect and load a snapshot.
pub async fn load_snapshot(settings: &Settings) -> Result<(Session, Snapshot), CommandError> {
    let session = session::open(settings, false).await?;
    let snapshot = load(
        &session.connection,
        &LoadOptions::default(),
        stderr_progress(),
    )
    .await;
    Ok((session, snapshot))
}

/// Connect, load and evaluate with the user's settings and the saved baseline.
pub async fn analyse(settings: &Settings) -> Result<(Session, Snapshot, Evaluation), CommandError> {
    let (session, snapshot) = load_snapshot(settings).await?;
    let evaluation = evaluate_in(
        &View::new(&snapshot, &settings.rules),
        RegistryFacts::default(),
    )?;
    Ok((session, snapshot, evaluation))
}

/// [`analyse`], with the image registries asked about every tag the workloads use (unless
/// `--offline`), so the registry rules can speak. One view serves the look-ups and the rules.
pub async fn analyse_with_registry(
    settings: &Settings,
) -> Result<(Session, Snapshot, Evaluation, Option<Gathered>), CommandError> {
    let (session, snapshot) = load_snapshot(settings).await?;
    let view = View::new(&snapshot, &settings.rules);
    let gathered = registry_facts(settings, &session, &view).await?;
    let facts = gathered
        .as_ref()
        .map(|g| g.facts.clone())
        .unwrap_or_default();
    let evaluation = evaluate_in(&view, facts)?;
    drop(view);
    Ok((session, snapshot, evaluation, gathered))
}

fn evaluate_in(view: &View<'_>, registry: RegistryFacts) -> Result<Evaluation, CommandError> {
    let context = &view.snapshot.origin.context;
    let baseline = aigov_state::baseline::load_for(context).map_err(CommandError::Io)?;
    let inputs = Inputs {
        settings: view.settings.clone(),
        baseline: baseline.as_ref(),
        registry,
    };
    Ok(evaluate_view(view, &inputs))
}

/// Ask the registries about `images` (from [`tagged_images`]) (the demo's simulator serves the demo's
/// images); `None` with `--offline`. Credentials come from the Docker config; a credential
/// helper it names runs only with consent, as kubeconfig exec plugins do.
pub async fn registry_facts(
    settings: &Settings,
    session: &Session,
    view: &View<'_>,
) -> Result<Option<Gathered>, CommandError> {
    if settings.offline {
        return Ok(None);
    }
    let images = tagged_images(view);
    let pulled_with = if settings.read_pull_secrets {
        read_pull_secrets(session, view, &images).await?
    } else {
        Default::default()
    };
    let options = RegistryOptions {
        credentials: pulled_with,
        mirror: session.demo_registry(),
        request_timeout: settings.timeout,
        ..aigov_registry::with_operator_docker_config(settings.exec)
    };
    let client = RegistryClient::new(options).map_err(|e| CommandError::Io(e.to_string()))?;
    let history = aigov_registry::history_dir();
    let gathered = aigov_registry::gather(&client, images, history.as_deref()).await;
    if let Some(problem) = &gathered.history_problem {
        eprintln!(
            "aigov: warning: the tag history was not updated: {}",
            aigov_core::sanitize::sanitize(problem)
        );
    }
    Ok(Some(gathered))
}

/// `--read-pull-secrets`: the pull secrets the workloads use for `images`, read only after the
/// audit log has recorded which ones and why; if it cannot record that, nothing is read.
async fn read_pull_secrets(
    session: &Session,
    view: &View<'_>,
    images: &[ImageRef],
) -> Result<std::collections::BTreeMap<String, aigov_registry::Credentials>, CommandError> {
    use aigov_registry::pull_secrets;
    let refs = pull_secrets::referenced(view, images);
    if refs.is_empty() {
        return Ok(Default::default());
    }
    let entry = crate::engine::pull_secrets::opt_in_note(&refs);
    super::session::record_first(&session.connection, "read pull secrets", vec![entry]).map_err(
        |e| {
            CommandError::Usage(format!(
                "no pull secret was read: the audit log refused the record of it ({e})"
            ))
        },
    )?;
    let (credentials, problems) =
        crate::engine::pull_secrets::read(&session.connection, &refs).await;
    for problem in problems {
        eprintln!(
            "aigov: warning: {}",
            aigov_core::sanitize::sanitize(&problem)
        );
    }
    Ok(credentials)
}
