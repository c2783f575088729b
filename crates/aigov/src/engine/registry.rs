//! The registry step shared by the commands and the console: the look-up options the settings
//! ask for, the workloads' pull secrets (recorded in the audit log before any is read), then
//! every tag the workloads use, with the answers filed in the tag history.

use super::progress::Progress;
use aigov_audit::Entry;
use aigov_core::model::image::ImageRef;
use aigov_core::rules::View;
use aigov_kube::Connection;
use aigov_registry::pull_secrets::{self, PullSecretRef};
use aigov_registry::{Credentials, Gathered, Mirror, RegistryClient, RegistryOptions};
use aigov_state::consent::Approval;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

/// Where the engine records an entry before it acts on it; an error means it must not act.
pub trait Record: Sync {
    fn record(&self, entry: Entry) -> impl Future<Output = Result<(), String>> + Send;
}

/// What the registry step needs to know about the workloads, from one view.
#[derive(Debug, Clone, Default)]
pub struct Wanted {
    /// Every image by tag the workloads use.
    pub images: Vec<ImageRef>,
    /// With `--read-pull-secrets`: the pull secrets they name, with their registries.
    pub pull_secrets: BTreeMap<PullSecretRef, BTreeSet<String>>,
}

impl Wanted {
    pub fn of(view: &View<'_>, read_pull_secrets: bool) -> Self {
        let images = aigov_registry::tagged_images(view);
        let pull_secrets = if read_pull_secrets {
            pull_secrets::referenced(view, &images)
        } else {
            BTreeMap::new()
        };
        Wanted {
            images,
            pull_secrets,
        }
    }
}

/// The look-up options for `approval` of credential helpers, with the demo's mirror when
/// there is one.
pub fn options(approval: Approval, mirror: Option<Mirror>, timeout: Duration) -> RegistryOptions {
    RegistryOptions {
        mirror,
        request_timeout: timeout,
        ..aigov_registry::with_operator_docker_config(approval)
    }
}

/// The audit log refused the record of the pull-secret read, so nothing was read.
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "no pull secret was read: the audit log refused the record of it ({})",
            self.0
        )
    }
}

/// The credentials in `refs`, read only after `recorder` has recorded which Secrets and for
/// which registries. A secret that cannot be used is a warning through `progress`.
pub async fn read_pull_secrets(
    connection: &Connection,
    refs: &BTreeMap<PullSecretRef, BTreeSet<String>>,
    recorder: &impl Record,
    progress: &dyn Progress,
) -> Result<BTreeMap<String, Credentials>, Refused> {
    if refs.is_empty() {
        return Ok(BTreeMap::new());
    }
    recorder
        .record(super::pull_secrets::opt_in_note(refs))
        .await
        .map_err(Refused)?;
    let (credentials, problems) = super::pull_secrets::read(connection, refs).await;
    for problem in problems {
        progress.warning(problem);
    }
    Ok(credentials)
}

/// Ask the registries about `images`, recording the answers in the tag history. Failures
/// are per image (unknown), never clean; a history that cannot be written is a warning.
pub async fn look_up(
    options: RegistryOptions,
    images: Vec<ImageRef>,
    progress: &dyn Progress,
) -> Result<(Gathered, Arc<RegistryClient>), String> {
    let client = Arc::new(RegistryClient::new(options).map_err(|e| e.to_string())?);
    let tags = images.len();
    progress.notice(format!("checking {tags} image tags with their registries…"));
    let history = aigov_registry::history_dir();
    let gathered = aigov_registry::gather(&client, images, history.as_deref()).await;
    if let Some(problem) = &gathered.history_problem {
        progress.warning(format!("the tag history was not updated: {problem}"));
    }
    Ok((gathered, client))
}
