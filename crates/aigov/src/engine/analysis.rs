//! Load a snapshot and evaluate the rules: the common start of `audit`, `who-can`, `can-i`,
//! `reach`, `plan` and `baseline`; `audit`, `images` and `plan stage` also ask the image
//! registries (unless `--offline`).

use super::Error;
use super::progress::{Stderr, load_callback};
use super::registry::{self, Wanted, look_up, read_pull_secrets};
use super::session::RecordFirst;
use super::session::{self, Session};
use crate::settings::Settings;
use aigov_core::model::Snapshot;
use aigov_core::rules::images::RegistryFacts;
use aigov_core::rules::{Evaluation, Inputs, View, evaluate_view};
use aigov_kube::{LoadOptions, load};
use aigov_registry::{Gathered, RegistryOptions};
use std::sync::Arc;

/// Connect and load a snapshot.
pub async fn load_snapshot(settings: &Settings) -> Result<(Session, Snapshot), Error> {
    let session = session::open(settings).await?;
    let progress = Arc::new(Stderr::new(settings.terminal.stderr));
    let snapshot = load(
        &session.connection,
        &LoadOptions::default(),
        load_callback(progress),
    )
    .await;
    Ok((session, snapshot))
}

/// Connect, load and evaluate with the user's settings and the saved baseline.
pub async fn analyse(settings: &Settings) -> Result<(Session, Snapshot, Evaluation), Error> {
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
) -> Result<(Session, Snapshot, Evaluation, Option<Gathered>), Error> {
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

fn evaluate_in(view: &View<'_>, registry: RegistryFacts) -> Result<Evaluation, Error> {
    let context = &view.snapshot.origin.context;
    let baseline = aigov_state::baseline::load_for(context).map_err(Error::Io)?;
    let inputs = Inputs {
        settings: view.settings.clone(),
        baseline: baseline.as_ref(),
        registry,
    };
    Ok(evaluate_view(view, &inputs))
}

/// Ask the registries about every tag the view's workloads use (the demo's simulator serves
/// the demo's images); `None` with `--offline`. Credentials come from the Docker config (a
/// credential helper it names runs only with consent, as kubeconfig exec plugins do) and,
/// with `--read-pull-secrets`, from the workloads' pull secrets, recorded first.
pub async fn registry_facts(
    settings: &Settings,
    session: &Session,
    view: &View<'_>,
) -> Result<Option<Gathered>, Error> {
    if settings.offline {
        return Ok(None);
    }
    let wanted = Wanted::of(view, settings.read_pull_secrets);
    let progress = Stderr::new(settings.terminal.stderr);
    let recorder = RecordFirst {
        connection: &session.connection,
        command: "read pull secrets",
    };
    let credentials = read_pull_secrets(
        &session.connection,
        &wanted.pull_secrets,
        &recorder,
        &progress,
    )
    .await
    .map_err(|e| Error::Usage(e.to_string()))?;
    let options = RegistryOptions {
        credentials,
        ..registry::options(settings.exec, session.demo_registry(), settings.timeout)
    };
    let (gathered, _) = look_up(options, wanted.images, &progress)
        .await
        .map_err(Error::Io)?;
    Ok(Some(gathered))
}

/// A connection that could read no kind at all (every list refused or failing) is an error to
/// fix, not an inventory of unknowns.
pub fn refuse_if_nothing_was_read(snapshot: &aigov_core::model::Snapshot) -> Result<(), Error> {
    use aigov_core::model::Coverage;
    let mut reasons = snapshot.coverage.values().filter_map(|c| match c {
        Coverage::Unknown { reason } => Some(reason.as_str()),
        _ => None,
    });
    let readable = snapshot
        .coverage
        .values()
        .any(|c| !matches!(c, Coverage::Unknown { .. } | Coverage::NotServed));
    match reasons.next() {
        Some(first) if !readable => Err(Error::Usage(format!(
            "nothing could be read through context {:?}: {first}",
            snapshot.origin.context
        ))),
        _ => Ok(()),
    }
}
