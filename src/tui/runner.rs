//! The effect runner: it owns the connection and the background work (connect, load,
//! evaluate, watch) and reports back to the UI loop with actions. It never touches `App`.

use super::action::{Action, Effect};
use super::app::ConnectionInfo;
use super::data::{BuildInputs, derive};
use crate::cluster::{ConnectOptions, Connection, LoadOptions, connect, load};
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// What the runner needs to connect.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    pub connect: ConnectOptions,
    pub inputs: BuildInputs,
}

/// The handle the UI loop sends effects through.
pub struct Runner {
    effects: mpsc::UnboundedSender<Effect>,
}

impl Runner {
    pub fn send(&self, effect: Effect) {
        // The runner lives as long as the UI loop; a closed channel means we are shutting down.
        let _ = self.effects.send(effect);
    }
}

/// Start the runner; actions come back on the returned receiver.
pub fn start(config: RunnerConfig) -> (Runner, mpsc::UnboundedReceiver<Action>) {
    let (effect_tx, mut effect_rx) = mpsc::unbounded_channel::<Effect>();
    let (action_tx, action_rx) = mpsc::unbounded_channel::<Action>();
    tokio::spawn(async move {
        let mut state = State {
            config,
            connection: None,
            work: None,
            live: None,
        };
        while let Some(effect) = effect_rx.recv().await {
            state.run(effect, &action_tx);
        }
        state.stop();
    });
    (Runner { effects: effect_tx }, action_rx)
}

struct State {
    config: RunnerConfig,
    connection: Option<Connection>,
    /// The connect-and-load task in flight; a newer generation aborts it.
    work: Option<JoinHandle<Option<Connection>>>,
    /// The live-update task of the current generation.
    live: Option<JoinHandle<()>>,
}

impl State {
    fn stop(&mut self) {
        if let Some(w) = self.work.take() {
            w.abort();
        }
        if let Some(l) = self.live.take() {
            l.abort();
        }
    }

    fn run(&mut self, effect: Effect, tx: &mpsc::UnboundedSender<Action>) {
        match effect {
            Effect::Connect {
                generation,
                context,
            } => {
                self.stop();
                let mut options = self.config.connect.clone();
                if context.is_some() {
                    options.context = context;
                }
                self.config.connect = options.clone();
                let inputs = self.config.inputs.clone();
                let tx = tx.clone();
                self.work = Some(tokio::spawn(async move {
                    let connection = match connect(&options).await {
                        Ok(c) => c,
                        Err(e) => {
                            let _ = tx.send(Action::ConnectFailed {
                                generation,
                                error: e.to_string(),
                            });
                            return None;
                        }
                    };
                    let _ = tx.send(Action::Connected {
                        generation,
                        info: info_of(&connection),
                    });
                    load_and_derive(&connection, generation, &inputs, &tx).await;
                    Some(connection)
                }));
            }
            Effect::Reload { generation } => {
                self.stop();
                let inputs = self.config.inputs.clone();
                let options = self.config.connect.clone();
                let tx = tx.clone();
                self.work = Some(tokio::spawn(async move {
                    let connection = match connect(&options).await {
                        Ok(c) => c,
                        Err(e) => {
                            let _ = tx.send(Action::LoadFailed {
                                generation,
                                error: e.to_string(),
                            });
                            return None;
                        }
                    };
                    let _ = tx.send(Action::Connected {
                        generation,
                        info: info_of(&connection),
                    });
                    load_and_derive(&connection, generation, &inputs, &tx).await;
                    Some(connection)
                }));
            }
            Effect::WriteGuidedReport(report) => {
                let tx = tx.clone();
                tokio::task::spawn_blocking(move || {
                    let _ = tx.send(Action::GuidedReportWritten(super::guided::write_report(
                        &report,
                    )));
                });
            }
        }
        let _ = &self.connection;
    }
}

fn info_of(connection: &Connection) -> ConnectionInfo {
    ConnectionInfo {
        context: connection.context.clone(),
        server: connection.server.clone(),
        identity: connection.identity.clone(),
        read_only: connection.read_only,
        contexts: connection.contexts.clone(),
    }
}

async fn load_and_derive(
    connection: &Connection,
    generation: u64,
    inputs: &BuildInputs,
    tx: &mpsc::UnboundedSender<Action>,
) {
    let progress_tx = tx.clone();
    let progress = Arc::new(move |p: crate::cluster::Progress| {
        let _ = progress_tx.send(Action::Progress {
            generation,
            progress: p,
        });
    });
    let snapshot = Arc::new(load(connection, &LoadOptions::default(), progress).await);
    let inputs = inputs.clone();
    match tokio::task::spawn_blocking(move || derive(snapshot, &inputs)).await {
        Ok(data) => {
            let _ = tx.send(Action::Derived {
                generation,
                data: Box::new(data),
            });
        }
        Err(e) => {
            let _ = tx.send(Action::LoadFailed {
                generation,
                error: format!("evaluation failed: {e}"),
            });
        }
    }
}
