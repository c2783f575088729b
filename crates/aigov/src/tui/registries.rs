//! The console's registry look-ups after a load, through the engine's registry step: with
//! `--read-pull-secrets`, the workloads' pull secrets first (recorded in the console's audit
//! session before any is read), then every tag the workloads use, with progress and the
//! outcome as notices.

use super::progress::Reporter;
use super::recorder::Recorder;
use crate::engine::progress::Progress;
use crate::engine::registry::{Record, Wanted, look_up, read_pull_secrets};
use aigov_audit::Entry;
use aigov_core::model::Snapshot;
use aigov_core::rules::images::RegistryFacts;
use aigov_kube::Connection;
use aigov_registry::{RegistryClient, RegistryOptions};
use std::sync::Arc;

/// How the console asks the image registries; `None` in the runner's config with --offline.
#[derive(Debug, Clone)]
pub struct Registries {
    pub options: RegistryOptions,
    /// `--read-pull-secrets`: sign in with the pull secrets the workloads name, too.
    pub read_pull_secrets: bool,
}

/// What a look-up needs of the generation: its connection (to read pull secrets), its audit
/// trail (to record that they are read), and where its progress goes.
pub struct Generation<'a> {
    pub connection: &'a Connection,
    pub recorder: &'a Recorder,
    pub reporter: &'a Reporter,
}

impl Record for Recorder {
    async fn record(&self, entry: Entry) -> Result<(), String> {
        Recorder::record(self, entry).await
    }
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
        read_pull_secrets: read_secrets,
    } = registries;
    let reporter = generation.reporter;
    // Building a view is heavy at scale: off the runtime's threads.
    let wanted = tokio::task::spawn_blocking(move || {
        Wanted::of(
            &aigov_core::rules::View::new(&snapshot, &settings),
            read_secrets,
        )
    })
    .await
    .unwrap_or_default();
    // A refused record means nothing was read; the look-ups go on without those credentials.
    match read_pull_secrets(
        generation.connection,
        &wanted.pull_secrets,
        generation.recorder,
        reporter,
    )
    .await
    {
        Ok(credentials) => options.credentials = credentials,
        Err(refused) => reporter.warning(refused.to_string()),
    }
    let pulled_with = match options.credentials.len() {
        0 => String::new(),
        1 => ", pull secrets read for 1 registry".to_string(),
        n => format!(", pull secrets read for {n} registries"),
    };
    let tags = wanted.images.len();
    let (gathered, client) = match look_up(options, wanted.images, reporter).await {
        Ok(found) => found,
        Err(e) => {
            reporter.warning(format!("registry look-ups are off: {e}"));
            return (Default::default(), None);
        }
    };
    let unknown = gathered.facts.unknown.len();
    reporter.notice(format!(
        "registries: {} of {tags} tags resolved, {unknown} unknown{pulled_with} (Images view)",
        gathered.facts.digests.len()
    ));
    (gathered.facts, Some(client))
}
