//! aigov's local state on disk: where it lives, private files written atomically, consent to
//! run local programs, and the drift baselines. No network, no Kubernetes client.

pub mod baseline;
pub mod consent;
pub mod dirs;
pub mod state_file;
