//! The console's registry look-ups after a load: with `--read-pull-secrets`, the workloads'
//! pull secrets first (recorded in the audit log before any is read), then every tag the
//! workloads use, with progress and the outcome as notices.

use super::action::Action;
use super::recorder::Recorder;
use aigov_core::model::Snapshot;
use aigov_core::rules::images::RegistryFacts;
use aigov_kube::Connection;
use aigov_registry::pull_secrets::{self, PullSecretRef};
use aigov_registry::{Credentials, RegistryClient, RegistryOptions};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use tokio::sync::mpsc;

/// How the console asks the image registries; `None` in the runner's config with --offline.
#[derive(Debug, Clone)]
pub struct Registries {
    pub options: RegistryOptions,
    /// `--read-pull-secrets`: sign in with the pull secrets the workloads name, too.
    pub read_pull_secrets: bool,
}

/// What a look-up needs of the generation: its connection (to read pull secrets) and its audit
/// trail (to record that they are read), and where notices go.
pub struct Generation<'a> {
    pub connection: &'a Connection,
    pub recorder: &'a Recorder,
    pub number: u64,
    pub tx: &'a mpsc::UnboundedSender<Action>,
}

/// Ask the registries about every tag the snapshot's workloads use, recording the answers in
/// the tag history. Failures are per image (unknown), never "clean".
pub async fn check(
    registries: Registries,
    snapshot: Arc<Snapshot>,
    settings: aigov_core::rules::RulesConfig,
    generation: Generation<'_>,
) -> (RegistryFacts, Option<Arc<RegistryClient>>) {
    let Registries {
        mut options,
        read_pull_secrets,
    } = registries;
    // Building a view is heavy at scale: off the runtime's threads.
    let (images, refs) = tokio::task::spawn_blocking(move || {
        let view = aigov_core::rules::View::new(&snapshot, &settings);
        let images = aigov_registry::tagged_images(&view);
        let refs = if read_pull_secrets {
            pull_secrets::referenced(&view, &images)
        } else {
            BTreeMap::new()
        };
        (images, refs)
    })
    .await
    .unwrap_or_default();
    if !refs.is_empty() {
        options.credentials = read(&refs, &generation).await;
    }
    let pulled_with = match options.credentials.len() {
        0 => String::new(),
        1 => ", pull secrets read for 1 registry".to_string(),
        n => format!(", pull secrets read for {n} registries"),
    };
    let client = match RegistryClient::new(options) {
        Ok(client) => Arc::new(client),
        Err(e) => {
            warn(&generation, format!("registry look-ups are off: {e}"));
            return (Default::default(), None);
        }
    };
    let tags = images.len();
    let _ = generation.tx.send(Action::Notice(format!(
        "checking {tags} image tags with their registries…"
    )));
    let history = aigov_registry::history_dir();
    let gathered = aigov_registry::gather(&client, images, history.as_deref()).await;
    if let Some(problem) = gathered.history_problem {
        warn(
            &generation,
            format!("the tag history was not updated: {problem}"),
        );
    }
    let unknown = gathered.facts.unknown.len();
    let _ = generation.tx.send(Action::Notice(format!(
        "registries: {} of {tags} tags resolved, {unknown} unknown{pulled_with} (Images view)",
        gathered.facts.digests.len()
    )));
    (gathered.facts, Some(client))
}

/// The credentials in `refs`, read only after the audit log has recorded which Secrets and
/// for which registries; if it cannot record that, nothing is read.
async fn read(
    refs: &BTreeMap<PullSecretRef, BTreeSet<String>>,
    generation: &Generation<'_>,
) -> BTreeMap<String, Credentials> {
    if let Err(e) = generation
        .recorder
        .record(crate::engine::pull_secrets::opt_in_note(refs))
        .await
    {
        warn(
            generation,
            format!("no pull secret was read: the audit log refused the record of it ({e})"),
        );
        return BTreeMap::new();
    }
    let (credentials, problems) =
        crate::engine::pull_secrets::read(generation.connection, refs).await;
    for problem in problems {
        warn(generation, problem);
    }
    credentials
}

fn warn(generation: &Generation<'_>, message: String) {
    let _ = generation.tx.send(Action::Warning {
        generation: generation.number,
        message,
    });
}
