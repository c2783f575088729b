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
use aigov_core::rules::config::Baseline;
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

/// What an evaluation starts from: the connection, the snapshot, the registries' answers
/// (when asked) and the context's saved drift baseline.
pub struct Loaded {
    pub session: Session,
    pub snapshot: Snapshot,
    pub gathered: Option<Gathered>,
    pub baseline: Option<Baseline>,
}

/// The rules' inputs: the user's settings, the baseline and the registry facts.
pub fn inputs<'b>(
    settings: &Settings,
    baseline: Option<&'b Baseline>,
    gathered: Option<&Gathered>,
) -> Inputs<'b> {
    Inputs {
        settings: settings.rules.clone(),
        baseline,
        registry: gathered.map(|g| g.facts.clone()).unwrap_or_default(),
    }
}

/// Connect, load, read the saved baseline and, with `registries` (and not `--offline`), ask
/// the image registries about every tag the workloads use.
pub async fn load_inputs(settings: &Settings, registries: bool) -> Result<Loaded, Error> {
    let (session, snapshot) = load_snapshot(settings).await?;
    // Building a view is heavy at scale: only for look-ups that will happen.
    let gathered = match registries && !settings.offline {
        true => registry_facts(settings, &session, &View::new(&snapshot, &settings.rules)).await?,
        false => None,
    };
    let baseline = saved_baseline(&session)?;
    Ok(Loaded {
        session,
        snapshot,
        gathered,
        baseline,
    })
}

fn saved_baseline(session: &Session) -> Result<Option<Baseline>, Error> {
    aigov_state::baseline::load_for(&session.connection.context).map_err(Error::Io)
}

/// Connect, load and evaluate with the user's settings and the saved baseline.
pub async fn analyse(settings: &Settings) -> Result<(Session, Snapshot, Evaluation), Error> {
    let (session, snapshot, evaluation, _) = evaluated(settings, false).await?;
    Ok((session, snapshot, evaluation))
}

/// [`analyse`], with the image registries asked about every tag the workloads use (unless
/// `--offline`), so the registry rules can speak.
pub async fn analyse_with_registry(
    settings: &Settings,
) -> Result<(Session, Snapshot, Evaluation, Option<Gathered>), Error> {
    evaluated(settings, true).await
}

/// Load and evaluate; one view serves the registry look-ups and the rules.
async fn evaluated(
    settings: &Settings,
    registries: bool,
) -> Result<(Session, Snapshot, Evaluation, Option<Gathered>), Error> {
    let (session, snapshot) = load_snapshot(settings).await?;
    let view = View::new(&snapshot, &settings.rules);
    let gathered = match registries {
        true => registry_facts(settings, &session, &view).await?,
        false => None,
    };
    let baseline = saved_baseline(&session)?;
    let evaluation = evaluate_view(
        &view,
        &inputs(settings, baseline.as_ref(), gathered.as_ref()),
    );
    drop(view);
    Ok((session, snapshot, evaluation, gathered))
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
