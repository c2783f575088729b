//! The console's live updates: the engine's live feed keeps the generation's snapshot
//! current. Each batch of changes is applied and the rules re-run on a blocking thread (one
//! run at a time; changes that arrive meanwhile keep gathering in the feed), and the result
//! goes to the UI as `Action::Derived`. The feed's outages and recoveries become
//! `Action::Disconnected` (data kept on screen, marked stale) and `Action::Reconnected`.

use super::action::Action;
use super::data::{BuildInputs, Derived, derive};
use crate::engine::live::{Feed, Update};
use aigov_core::model::Snapshot;
use aigov_core::model::snapshot::Change;
use aigov_kube::{ConnectOptions, Connection};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// How long changes gather before the rules run again. With a demo-sized cluster a change
/// shows in well under a second; at 100k pods one evaluation takes longer than this, and
/// changes that arrive meanwhile are applied together after it.
pub const DEBOUNCE: Duration = Duration::from_millis(100);

/// What the live task starts from: the generation's connection and loaded snapshot.
pub struct Live {
    pub connection: Connection,
    pub options: ConnectOptions,
    pub snapshot: Arc<Snapshot>,
    pub generation: u64,
    pub inputs: BuildInputs,
    pub tx: mpsc::UnboundedSender<Action>,
    /// `R` in the Images view: images to ask the registry about again (`None` offline).
    pub rechecks: Option<super::recheck::Rechecks>,
}

/// Keep the snapshot live until the task is aborted (by a newer generation).
pub async fn run(live: Live) {
    let mut feed =
        match Feed::start(&live.options, &live.connection, &live.snapshot, DEBOUNCE).await {
            Ok(feed) => feed,
            Err(e) => {
                let _ = live.tx.send(Action::Disconnected {
                    generation: live.generation,
                    error: format!("live updates are off: {e}"),
                    until_reload: true,
                });
                return;
            }
        };
    let mut state = State::new(live.generation, live.inputs, live.tx, live.snapshot);
    let mut rechecks = live.rechecks;
    let mut checking: Option<super::recheck::Checking> = None;
    let mut deriving: Option<JoinHandle<Derived>> = None;
    let mut watching = true;
    loop {
        tokio::select! {
            update = feed.next(&state.snapshot, deriving.is_some()), if watching => {
                match update {
                    Some(update) => state.on_update(update),
                    None => watching = false,
                }
            }
            result = finish(&mut deriving), if deriving.is_some() => {
                deriving = None;
                state.derived(result);
            }
            Some((client, image)) = super::recheck::next(&mut rechecks), if checking.is_none() => {
                checking = Some(Box::pin(super::recheck::recheck(client, image)));
            }
            answer = super::recheck::finish(&mut checking), if checking.is_some() => {
                checking = None;
                state.rechecked(answer);
            }
            else => return,
        }
        if deriving.is_none() {
            deriving = state.flush();
        }
    }
}

async fn finish(task: &mut Option<JoinHandle<Derived>>) -> Result<Derived, tokio::task::JoinError> {
    match task {
        Some(t) => t.await,
        None => std::future::pending().await,
    }
}

/// The live task's state, apart from the feed and the tasks it waits on.
struct State {
    generation: u64,
    inputs: BuildInputs,
    tx: mpsc::UnboundedSender<Action>,
    /// This generation's snapshot as of the last flush; shared with the derivation and the UI
    /// until the next change copies it.
    snapshot: Arc<Snapshot>,
    /// Changes handed out by the feed, not yet applied.
    pending: Vec<Change>,
    /// Evaluate at the next flush even without changes (new registry facts).
    force: bool,
}

impl State {
    fn new(
        generation: u64,
        inputs: BuildInputs,
        tx: mpsc::UnboundedSender<Action>,
        snapshot: Arc<Snapshot>,
    ) -> Self {
        State {
            generation,
            inputs,
            tx,
            snapshot,
            pending: Vec::new(),
            force: false,
        }
    }

    fn on_update(&mut self, update: Update) {
        let generation = self.generation;
        match update {
            Update::Changes(batch) => self.pending.extend(batch.changes),
            Update::Disconnected {
                error,
                until_reload,
            } => {
                let _ = self.tx.send(Action::Disconnected {
                    generation,
                    error,
                    until_reload,
                });
            }
            Update::Synced => {}
            Update::Reconnected => {
                let _ = self.tx.send(Action::Reconnected { generation });
            }
        }
    }

    /// Apply the pending changes and start evaluating, if they changed anything.
    fn flush(&mut self) -> Option<JoinHandle<Derived>> {
        let force = std::mem::take(&mut self.force);
        if self.pending.is_empty() && !force {
            return None;
        }
        let changes = std::mem::take(&mut self.pending);
        // Copies the snapshot when the UI still holds it: one copy per evaluation.
        let changed = !changes.is_empty() && Arc::make_mut(&mut self.snapshot).apply(changes);
        if !changed && !force {
            return None;
        }
        let snapshot = self.snapshot.clone();
        let inputs = self.inputs.clone();
        Some(tokio::task::spawn_blocking(move || {
            derive(snapshot, &inputs)
        }))
    }

    /// A registry answer for one image (`R`): into the facts, and evaluate again.
    fn rechecked(&mut self, answer: Result<super::recheck::Answer, String>) {
        match answer {
            Ok(answer) => {
                super::recheck::fold(&mut self.inputs.registry, &answer);
                let _ = self
                    .tx
                    .send(Action::Notice(super::recheck::notice(&answer)));
                self.force = true;
            }
            Err(e) => {
                let _ = self.tx.send(Action::Warning {
                    generation: self.generation,
                    message: format!("not re-checked: {e}"),
                });
            }
        }
    }

    fn derived(&mut self, result: Result<Derived, tokio::task::JoinError>) {
        let action = match result {
            Ok(data) => Action::Derived {
                generation: self.generation,
                data: Box::new(data),
            },
            Err(e) => Action::LoadFailed {
                generation: self.generation,
                error: format!("re-evaluation after a live change failed: {e}"),
            },
        };
        let _ = self.tx.send(action);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aigov_core::model::Object;
    use aigov_core::rules::testing::snapshot;

    const DEMO: &str = "
apiVersion: v1
kind: Namespace
metadata: {name: ml-training}
---
apiVersion: v1
kind: Pod
metadata: {namespace: ml-training, name: trainer}
spec: {containers: [{name: main, image: 'pytorch/pytorch:2.3.0'}]}
";

    fn state() -> (State, mpsc::UnboundedReceiver<Action>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let snapshot = Arc::new(snapshot(DEMO));
        (State::new(3, BuildInputs::default(), tx, snapshot), rx)
    }

    fn drained(rx: &mut mpsc::UnboundedReceiver<Action>) -> Vec<String> {
        let mut seen = Vec::new();
        while let Ok(action) = rx.try_recv() {
            seen.push(format!("{action:?}"));
        }
        seen
    }

    fn batch(changes: Vec<Change>) -> Update {
        Update::Changes(crate::engine::live::Batch {
            changes,
            resource_version: None,
            first_seen: tokio::time::Instant::now(),
            seen_at: jiff::Timestamp::now(),
        })
    }

    #[tokio::test]
    async fn a_batch_is_applied_and_evaluated_and_an_unchanging_one_is_not() {
        let (mut state, mut rx) = state();
        let key = state.snapshot.pods[0].meta.clone();
        state.on_update(batch(vec![Change::Remove(
            Object::Pod(Box::new(state.snapshot.pods[0].clone())).key(),
        )]));
        let derivation = state.flush().expect("a change starts an evaluation");
        state.derived(derivation.await);
        assert!(state.snapshot.pods.is_empty(), "{key:?} was removed");
        assert_eq!(drained(&mut rx), ["Derived(3)"]);

        // An upsert of an object identical to the snapshot's starts no evaluation.
        let namespace = Object::Namespace(state.snapshot.namespaces[0].clone());
        state.on_update(batch(vec![Change::Upsert(Box::new(namespace))]));
        assert!(state.flush().is_none());
    }

    #[test]
    fn outages_and_recovery_reach_the_ui_with_the_generation() {
        let (mut state, mut rx) = state();
        state.on_update(Update::Disconnected {
            error: "live updates of Pod stopped".into(),
            until_reload: false,
        });
        state.on_update(Update::Reconnected);
        let seen = drained(&mut rx);
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert!(
            seen[0].starts_with("Disconnected(3, live updates of Pod stopped"),
            "{seen:?}"
        );
        assert_eq!(seen[1], "Reconnected(3)");
    }
}
