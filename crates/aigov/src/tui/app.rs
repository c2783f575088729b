//! `App`: all of the console's state, owned by the UI loop alone. Background work reports back
//! through actions; nothing else holds or locks it.

use super::data::Derived;
use super::input::LineInput;
use super::keymap::Keymap;
use super::theme::Theme;
use super::view::ViewId;
use super::views::ViewStates;
use aigov_core::model::{Identity, Kind};
use std::collections::BTreeMap;

/// How the console was started.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Options {
    pub read_only: bool,
    /// Start in the guided read-only audit.
    pub guided: bool,
    pub demo: bool,
}

/// What is on top of the view, taking the keys first.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Normal,
    Filter(LineInput),
    Palette(LineInput),
    Help {
        scroll: u16,
    },
    Errors {
        scroll: u16,
    },
    Contexts {
        selected: usize,
    },
    /// A view's own prompt (the RBAC who-can query); the view handles its text.
    Prompt(LineInput),
    /// The guided audit, which draws over everything.
    Guided,
    /// The staged plan screen (`p`), which draws over everything.
    Plan,
}

/// Loading progress per kind, for the gauges.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Loading {
    pub active: bool,
    pub kinds: BTreeMap<Kind, KindProgress>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct KindProgress {
    pub loaded: usize,
    pub total: Option<usize>,
    pub done: bool,
}

/// Who and where the console is connected.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConnectionInfo {
    pub context: String,
    pub server: String,
    pub identity: Identity,
    pub read_only: bool,
    /// Every context of the kubeconfig, for `:ctx`.
    pub contexts: Vec<String>,
    /// The context skips TLS verification: a warning stays in the header.
    pub insecure_skip_tls_verify: bool,
    /// ... and `--allow-insecure-apply` lets writes through anyway.
    pub allow_insecure_apply: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorEntry {
    pub at: String,
    pub message: String,
}

pub struct App {
    pub options: Options,
    pub keymap: Keymap,
    pub theme: Theme,
    pub view: ViewId,
    pub mode: Mode,
    pub detail: bool,
    pub connection: Option<ConnectionInfo>,
    pub loading: Loading,
    /// The analysed data, replaced whole on every (re-)evaluation.
    pub data: Option<Box<Derived>>,
    pub views: ViewStates,
    /// A transient message for the status line and the tick it expires at.
    pub message: Option<(String, u64)>,
    pub errors: Vec<ErrorEntry>,
    /// When data last arrived (HH:MM:SS), and since when the connection has been down.
    pub refreshed_at: Option<String>,
    pub stale_since: Option<String>,
    /// Bumped on every context switch and reload; results of older generations are dropped.
    pub generation: u64,
    /// The clock, as ticks arrive (HH:MM:SS), so rendering never reads the system time.
    pub now: String,
    pub ticks: u64,
    pub size: (u16, u16),
    pub quit: bool,
    /// Why the console ended on its own: the first connection failed (a bad kubeconfig, an
    /// unknown context, an unreachable server), so there is nothing to show. The caller
    /// restores the terminal and reports it as a one-line error with exit code 2.
    pub fatal: Option<String>,
    /// The staged plan of the connected context (loaded by the runner after connecting).
    pub plan: Option<aigov_remediation::plan::Plan>,
    /// The plan screen's state while it is open.
    pub plan_screen: Option<super::plan::Screen>,
    /// The guided audit in progress (`g`), kept while it is open.
    pub guided: Option<super::guided::State>,
}

impl App {
    pub fn new(options: Options, keymap: Keymap, theme: Theme) -> App {
        let view = ViewId::Overview;
        App {
            mode: if options.guided {
                Mode::Guided
            } else {
                Mode::Normal
            },
            options,
            keymap,
            theme,
            view,
            detail: false,
            connection: None,
            loading: Loading::default(),
            data: None,
            views: ViewStates::default(),
            message: None,
            errors: Vec::new(),
            refreshed_at: None,
            stale_since: None,
            generation: 0,
            now: String::new(),
            ticks: 0,
            size: (80, 24),
            quit: false,
            fatal: None,
            plan: None,
            plan_screen: None,
            guided: None,
        }
    }

    /// Show a message for about three seconds.
    pub fn flash(&mut self, message: impl Into<String>) {
        self.message = Some((message.into(), self.ticks + 12));
    }

    /// Record an error: a transient message, and the `:errors` history.
    pub fn error(&mut self, message: impl Into<String>) {
        let message = aigov_core::sanitize::sanitize(&message.into()).into_owned();
        self.flash(format!("error: {message}"));
        self.errors.push(ErrorEntry {
            at: self.now.clone(),
            message,
        });
        if self.errors.len() > 200 {
            self.errors.remove(0);
        }
    }

    pub fn read_only(&self) -> bool {
        self.options.read_only || self.connection.as_ref().is_some_and(|c| c.read_only)
    }
}
