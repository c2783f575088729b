//! How the engine reports what it is doing: one trait, a line on stderr for the commands and
//! actions for the console's loop.

use aigov_kube::LoadOptions;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Progress of the engine's steps, as they happen.
pub trait Progress: Send + Sync {
    /// A kind's load advanced (a page was read, or the kind is done).
    fn loading(&self, progress: aigov_kube::Progress);
    /// What a step is doing or found (`checking 12 image tags…`); the commands stay quiet.
    fn notice(&self, _text: String) {}
    /// Something the user should know that does not stop the step.
    fn warning(&self, text: String);
}

/// `loading 12/29 kinds…` on stderr, rewritten in place; nothing when stderr is not a terminal.
pub struct Stderr {
    show: bool,
    total: usize,
    finished: AtomicUsize,
}

impl Stderr {
    pub fn new(stderr_is_terminal: bool) -> Self {
        Stderr {
            show: stderr_is_terminal,
            total: LoadOptions::default().kinds.len(),
            finished: AtomicUsize::new(0),
        }
    }
}

impl Progress for Stderr {
    fn loading(&self, progress: aigov_kube::Progress) {
        if progress.done && self.show {
            let n = self.finished.fetch_add(1, Ordering::Relaxed) + 1;
            eprint!("\rloading {n}/{} kinds…", self.total);
            if n == self.total {
                eprint!("\r\x1b[2K");
            }
        }
    }

    fn warning(&self, text: String) {
        print_warning(&text);
    }
}

/// `aigov: warning: TEXT` on stderr, the text sanitised.
pub fn print_warning(text: &str) {
    eprintln!("aigov: warning: {}", aigov_core::sanitize::sanitize(text));
}

/// The loader's callback for `progress`.
pub fn load_callback(progress: Arc<dyn Progress>) -> aigov_kube::load::ProgressFn {
    Arc::new(move |p| progress.loading(p))
}
