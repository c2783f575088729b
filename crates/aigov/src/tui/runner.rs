//! The effect runner: it owns the connection and the background work (connect, load,
//! evaluate, watch) and reports back to the UI loop with actions. It never touches `App`.
//!
//! One task per generation does it all: connect, load, evaluate, then keep the snapshot live
//! (`live.rs`). A newer `Connect` or `Reload` aborts that task, and waits until it is gone,
//! before it starts the next, so every action of the old generation is sent before the first
//! one of the new: two clusters' data never mix.

use super::action::{Action, Effect};
use super::app::ConnectionInfo;
use super::data::{BuildInputs, derive};
use super::progress::Reporter;
use super::recorder::Recorder;
use super::views::audit_log::Loaded;
use crate::engine::progress::load_callback;
use aigov_core::model::Snapshot;
use aigov_core::rules::config::Baseline;
use aigov_kube::write::{WriteError, Writer};
use aigov_kube::{ConnectOptions, Connection, LoadOptions, connect, load};
use aigov_remediation::plan::Plan;
use aigov_remediation::review::{Reviewed, review};
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// What the runner needs to connect.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    pub connect: ConnectOptions,
    /// The rule settings, and the baseline to use when `baselines` finds none.
    pub inputs: BuildInputs,
    /// Where each connection's drift baseline comes from.
    pub baselines: Baselines,
    /// How to ask the image registries about the workloads' tags; `None` with --offline.
    pub registry: Option<super::registries::Registries>,
}

/// The source of the drift baseline, resolved again for every connection, so a context switch
/// never compares one cluster with another's baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Baselines {
    /// The one saved for the connection's context in the data directory (`aigov baseline
    /// save`); without one, `inputs.baseline` if it was taken of the same server.
    DataDir,
    /// Only `inputs.baseline`, whatever the context (tests).
    Given,
}

/// The handle the UI loop sends effects through.
pub struct Runner {
    effects: mpsc::UnboundedSender<Effect>,
    recorder: Recorder,
}

impl Runner {
    pub fn send(&self, effect: Effect) {
        // The runner lives as long as the UI loop; a closed channel means we are shutting down.
        let _ = self.effects.send(effect);
    }

    /// Close the console's audit session (`session_end`); the log's head if one was open.
    pub async fn close_audit(&self) -> Result<Option<aigov_audit::Head>, String> {
        self.recorder.close().await
    }
}

/// Start the runner; actions come back on the returned receiver. Dropping the `Runner` stops
/// the background work.
pub fn start(config: RunnerConfig) -> (Runner, mpsc::UnboundedReceiver<Action>) {
    let (effect_tx, mut effect_rx) = mpsc::unbounded_channel::<Effect>();
    let (action_tx, action_rx) = mpsc::unbounded_channel::<Action>();
    let recorder = Recorder::default();
    let runner = Runner {
        effects: effect_tx,
        recorder: recorder.clone(),
    };
    tokio::spawn(async move {
        let mut state = State {
            config,
            connection: Arc::default(),
            recorder,
            rechecks: None,
            work: None,
            generation: 0,
        };
        while let Some(effect) = effect_rx.recv().await {
            state.run(effect, &action_tx).await;
        }
        state.stop().await;
    });
    (runner, action_rx)
}

struct State {
    config: RunnerConfig,
    /// The current generation's connection once made, for reviews and applies.
    connection: Arc<std::sync::Mutex<Option<Connection>>>,
    /// The console's audit trail: every entry it writes goes through it.
    recorder: Recorder,
    /// Where `R` sends images to re-check, for the current generation (`None` offline).
    rechecks: Option<mpsc::UnboundedSender<String>>,
    /// The task of the current generation: connect, load, evaluate, watch.
    work: Option<JoinHandle<()>>,
    generation: u64,
}

/// How a generation starts: a new connection (maybe to another context), or a reload.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Start {
    Connect,
    Reload,
}

impl State {
    /// Abort the current generation's work and wait until it has stopped, so it sends nothing
    /// more.
    async fn stop(&mut self) {
        if let Some(work) = self.work.take() {
            work.abort();
            // A cancelled task resolves to an error; it may have finished on its own already.
            let _ = work.await;
        }
    }

    async fn run(&mut self, effect: Effect, tx: &mpsc::UnboundedSender<Action>) {
        match effect {
            Effect::Connect {
                generation,
                context,
            } => {
                if generation < self.generation {
                    return;
                }
                self.stop().await;
                if context.is_some() {
                    self.config.connect.context = context;
                }
                self.begin(generation, Start::Connect, tx);
            }
            Effect::Reload { generation } => {
                if generation < self.generation {
                    return;
                }
                self.stop().await;
                self.begin(generation, Start::Reload, tx);
            }
            Effect::SavePlan(plan) => {
                let tx = tx.clone();
                let generation = self.generation;
                // Awaited before the next effect: an apply's save must be on disk before the
                // reload that follows it reads the plan, or the reload shows it as staged.
                let _ = tokio::task::spawn_blocking(move || {
                    let saved = aigov_remediation::plan::dir()
                        .ok_or_else(|| "no data directory; set AIGOV_DATA_DIR".to_string())
                        .and_then(|dir| aigov_remediation::plan::save_in(&dir, &plan));
                    if let Err(e) = saved {
                        let _ = tx.send(Action::Warning {
                            generation,
                            message: format!("the staged plan was not saved: {e}"),
                        });
                    }
                })
                .await;
            }
            Effect::ExportPlan { plan, path } => {
                let tx = tx.clone();
                let generation = self.generation;
                let recorder = self.recorder.clone();
                tokio::spawn(async move {
                    let shown =
                        aigov_core::sanitize::sanitize(&path.display().to_string()).into_owned();
                    let yaml = plan.to_yaml();
                    let target = path.clone();
                    let written = tokio::task::spawn_blocking(move || {
                        yaml.and_then(|yaml| {
                            aigov_state::state_file::write_file_atomic(&target, yaml.as_bytes())
                        })
                    })
                    .await
                    .unwrap_or_else(|e| Err(e.to_string()));
                    match written {
                        Ok(()) => {
                            let entry = aigov_audit::Entry::new(aigov_audit::EntryKind::Export)
                                .details(serde_json::json!({
                                    "file": path.display().to_string(),
                                    "changes": plan.changes.len(),
                                }));
                            record(&recorder, &tx, generation, entry).await;
                            let _ = tx.send(Action::Notice(format!(
                                "wrote the plan ({} changes) to {shown}",
                                plan.changes.len()
                            )));
                        }
                        Err(e) => {
                            let _ = tx.send(Action::Warning {
                                generation,
                                message: format!("the plan was not exported: {e}"),
                            });
                        }
                    }
                });
            }
            Effect::Record(entry) => {
                let tx = tx.clone();
                let generation = self.generation;
                let recorder = self.recorder.clone();
                tokio::spawn(async move { record(&recorder, &tx, generation, *entry).await });
            }
            Effect::ReviewChange { id, change } => {
                let tx = tx.clone();
                let connection = self.current_connection();
                let generation = self.generation;
                let recorder = self.recorder.clone();
                tokio::spawn(async move {
                    let reviewed = match writer_of(connection) {
                        Ok(writer) => review(&writer, &change).await,
                        Err(error) => Reviewed {
                            change: *change,
                            live: None,
                            dry_run: Err(error),
                            diff: Vec::new(),
                        },
                    };
                    let actor = recorder.actor().await;
                    let entry = aigov_remediation::apply::dry_run_entry(&actor, &reviewed);
                    record(&recorder, &tx, generation, entry).await;
                    let _ = tx.send(Action::PlanReviewed {
                        id,
                        reviewed: Box::new(reviewed),
                    });
                });
            }
            Effect::RecheckImage(image) => {
                let sent = self
                    .rechecks
                    .as_ref()
                    .is_some_and(|r| r.send(image).is_ok());
                if !sent {
                    let _ = tx.send(Action::Warning {
                        generation: self.generation,
                        message: "registry look-ups are off (--offline), or not ready yet".into(),
                    });
                }
            }
            Effect::SaveBaseline { baseline, entry } => {
                let tx = tx.clone();
                let recorder = self.recorder.clone();
                tokio::spawn(async move {
                    // No record, no save.
                    let result = match recorder.record(*entry).await {
                        Ok(()) => tokio::task::spawn_blocking(move || {
                            aigov_state::baseline::save(&baseline).map(|p| p.display().to_string())
                        })
                        .await
                        .unwrap_or_else(|e| Err(e.to_string())),
                        Err(e) => Err(format!("the audit log refused it ({e})")),
                    };
                    let _ = tx.send(Action::BaselineSaved(result));
                });
            }
            Effect::ApplyChange {
                id,
                reviewed,
                justification,
            } => {
                let tx = tx.clone();
                let connection = self.current_connection();
                let recorder = self.recorder.clone();
                tokio::spawn(async move {
                    let result = match writer_of(connection) {
                        Ok(writer) => recorder
                            .apply(&writer, &reviewed, &justification)
                            .await
                            .map(Box::new),
                        Err(e) => Err(e.to_string()),
                    };
                    let _ = tx.send(Action::PlanApplied { id, result });
                });
            }
            Effect::LoadAuditLog => {
                let tx = tx.clone();
                tokio::task::spawn_blocking(move || {
                    let _ = tx.send(Action::AuditLogLoaded(read_audit_log()));
                });
            }
            Effect::WriteGuidedReport(report) => {
                let tx = tx.clone();
                let generation = self.generation;
                let recorder = self.recorder.clone();
                tokio::spawn(async move {
                    let for_writing = report.clone();
                    let written = tokio::task::spawn_blocking(move || {
                        super::guided::write_report(&for_writing)
                    })
                    .await
                    .unwrap_or_else(|e| Err(e.to_string()));
                    if let Ok(files) = &written {
                        // The auditor's marks, as counts, with where the report went.
                        let c = &report.counts;
                        let entry =
                            aigov_audit::Entry::new(aigov_audit::EntryKind::GuidedAuditMark)
                                .details(serde_json::json!({
                                    "findings": c.findings,
                                    "accepted_risk": c.accepted_risk,
                                    "needs_fix": c.needs_fix,
                                    "not_applicable": c.not_applicable,
                                    "not_reviewed": c.not_reviewed,
                                    "reports": files,
                                }));
                        record(&recorder, &tx, generation, entry).await;
                    }
                    let _ = tx.send(Action::GuidedReportWritten(written));
                });
            }
        }
    }

    fn current_connection(&self) -> Option<Connection> {
        self.connection
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn begin(&mut self, generation: u64, start: Start, tx: &mpsc::UnboundedSender<Action>) {
        *self.connection.lock().unwrap_or_else(|e| e.into_inner()) = None;
        let shared = self.connection.clone();
        self.generation = generation;
        let options = self.config.connect.clone();
        let mut inputs = self.config.inputs.clone();
        let baselines = self.config.baselines;
        let registry = self.config.registry.clone();
        let (recheck_tx, recheck_rx) = mpsc::unbounded_channel();
        self.rechecks = registry.is_some().then_some(recheck_tx);
        let tx = tx.clone();
        let recorder = self.recorder.clone();
        self.work = Some(tokio::spawn(async move {
            let connection = match connect(&options).await {
                Ok(c) => c,
                Err(e) => {
                    let error = e.to_string();
                    let _ = tx.send(match start {
                        Start::Connect => Action::ConnectFailed { generation, error },
                        Start::Reload => Action::LoadFailed { generation, error },
                    });
                    return;
                }
            };
            let _ = tx.send(Action::Connected {
                generation,
                info: info_of(&connection),
            });
            *shared.lock().unwrap_or_else(|e| e.into_inner()) = Some(connection.clone());
            if let Err(e) = recorder
                .connected(crate::engine::session::audit_session(
                    &connection,
                    "console",
                ))
                .await
            {
                let _ = tx.send(Action::Warning {
                    generation,
                    message: format!("the audit session was not closed: {e}"),
                });
            }
            let _ = tx.send(Action::PlanLoaded {
                generation,
                plan: load_plan(&connection),
            });
            if baselines == Baselines::DataDir {
                let (baseline, warning) = baseline_for(&connection, inputs.baseline.take());
                inputs.baseline = baseline;
                if let Some(message) = warning {
                    let _ = tx.send(Action::Warning {
                        generation,
                        message,
                    });
                }
            }
            let Some(snapshot) = load_and_derive(&connection, generation, &inputs, &tx).await
            else {
                return;
            };
            let mut rechecks = None;
            if let Some(registries) = registry {
                // The views are up; the registry columns and rules follow when the answers do.
                let (facts, client) = super::registries::check(
                    registries,
                    snapshot.clone(),
                    inputs.settings.clone(),
                    super::registries::Generation {
                        connection: &connection,
                        recorder: &recorder,
                        reporter: &Reporter {
                            tx: tx.clone(),
                            generation,
                        },
                    },
                )
                .await;
                inputs.registry = facts;
                if !inputs.registry.is_empty() {
                    derive_and_send(snapshot.clone(), &inputs, generation, &tx).await;
                }
                rechecks = client.map(|client| super::recheck::Rechecks {
                    client,
                    requests: recheck_rx,
                });
            }
            super::live::run(super::live::Live {
                connection,
                options,
                snapshot,
                generation,
                inputs,
                tx,
                rechecks,
            })
            .await;
        }));
    }
}

/// The baseline for `connection`: the saved one of its context, else `fallback` when it was
/// taken of the same server. A saved baseline that cannot be read is a warning, not a failure:
/// the console still shows everything else.
fn baseline_for(
    connection: &Connection,
    fallback: Option<Baseline>,
) -> (Option<Baseline>, Option<String>) {
    let fallback = fallback.filter(|b| b.server == connection.server);
    match aigov_state::baseline::load_for(&connection.context) {
        Ok(Some(saved)) => (Some(saved), None),
        Ok(None) => (fallback, None),
        Err(e) => (None, Some(format!("drift is not shown: {e}"))),
    }
}

/// The staged plan of `connection`'s context (a new one when none is saved).
fn load_plan(connection: &Connection) -> Result<Box<Plan>, String> {
    let dir = aigov_remediation::plan::dir()
        .ok_or_else(|| "no data directory; set AIGOV_DATA_DIR".to_string())?;
    aigov_remediation::plan::load_in(&dir, &connection.context, &connection.server).map(Box::new)
}

#[allow(clippy::result_large_err)] // once per write: the size does not matter
fn writer_of(connection: Option<Connection>) -> Result<Writer, WriteError> {
    match connection {
        Some(connection) => Writer::new(&connection),
        None => Err(WriteError::Unknown {
            target: "the cluster".into(),
            reason: "not connected".into(),
        }),
    }
}

/// Append `entry` to the console's audit session; a failure is a warning on screen.
async fn record(
    recorder: &Recorder,
    tx: &mpsc::UnboundedSender<Action>,
    generation: u64,
    entry: aigov_audit::Entry,
) {
    if let Err(e) = recorder.record(entry).await {
        let _ = tx.send(Action::Warning {
            generation,
            message: format!("not recorded in the audit log: {e}"),
        });
    }
}

/// The audit log of the data directory, verified; a missing log is not an error.
fn read_audit_log() -> Loaded {
    let path = match aigov_audit::default_path() {
        Ok(path) => path,
        Err(e) => return Loaded::Failed(e.to_string()),
    };
    let shown = aigov_core::sanitize::sanitize(&path.display().to_string()).into_owned();
    if std::fs::symlink_metadata(&path).is_err() {
        return Loaded::Missing { path: shown };
    }
    match aigov_audit::show::read(&path) {
        Ok((records, torn)) => Loaded::Read {
            path: shown,
            records,
            torn: torn.is_some(),
        },
        Err(e) => Loaded::Failed(aigov_core::sanitize::sanitize(&e.to_string()).into_owned()),
    }
}

fn info_of(connection: &Connection) -> ConnectionInfo {
    ConnectionInfo {
        context: connection.context.clone(),
        server: connection.server.clone(),
        identity: connection.identity.clone(),
        read_only: connection.read_only,
        contexts: connection.contexts.clone(),
        insecure_skip_tls_verify: connection.insecure_skip_tls_verify,
        allow_insecure_apply: connection.allow_insecure_apply,
    }
}

/// Load a snapshot, evaluate it and send the result; the snapshot is returned for the
/// watchers to keep up to date.
async fn load_and_derive(
    connection: &Connection,
    generation: u64,
    inputs: &BuildInputs,
    tx: &mpsc::UnboundedSender<Action>,
) -> Option<Arc<Snapshot>> {
    let reporter = Arc::new(Reporter {
        tx: tx.clone(),
        generation,
    });
    let snapshot =
        Arc::new(load(connection, &LoadOptions::default(), load_callback(reporter)).await);
    derive_and_send(snapshot.clone(), inputs, generation, tx)
        .await
        .then_some(snapshot)
}

/// Evaluate `snapshot` on a blocking thread and send the result; false when that failed.
async fn derive_and_send(
    snapshot: Arc<Snapshot>,
    inputs: &BuildInputs,
    generation: u64,
    tx: &mpsc::UnboundedSender<Action>,
) -> bool {
    let inputs = inputs.clone();
    match tokio::task::spawn_blocking(move || derive(snapshot, &inputs)).await {
        Ok(data) => {
            let _ = tx.send(Action::Derived {
                generation,
                data: Box::new(data),
            });
            true
        }
        Err(e) => {
            let _ = tx.send(Action::LoadFailed {
                generation,
                error: format!("evaluation failed: {e}"),
            });
            false
        }
    }
}
