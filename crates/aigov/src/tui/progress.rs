//! The engine's progress, as the console's actions: load progress, notices and warnings of
//! one generation, sent to the UI loop.

use super::action::Action;
use crate::engine::progress::Progress;
use tokio::sync::mpsc;

/// Sends a generation's progress to the UI loop; a closed loop drops it.
#[derive(Clone)]
pub struct Reporter {
    pub tx: mpsc::UnboundedSender<Action>,
    pub generation: u64,
}

impl Progress for Reporter {
    fn loading(&self, progress: aigov_kube::Progress) {
        let _ = self.tx.send(Action::Progress {
            generation: self.generation,
            progress,
        });
    }

    fn notice(&self, text: String) {
        let _ = self.tx.send(Action::Notice(text));
    }

    fn warning(&self, message: String) {
        let _ = self.tx.send(Action::Warning {
            generation: self.generation,
            message,
        });
    }
}
