//! The application layer shared by the headless commands and the console: the steps that
//! join the cluster, the registries and the audit trail, which no lower crate may join.

pub mod access;
pub mod analysis;
pub mod live;
pub mod progress;
pub mod pull_secrets;
pub mod registry;
pub mod session;

/// An error a user must fix; the process exits with code 2 and one line on stderr.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Cluster(#[from] aigov_kube::Error),
    #[error(transparent)]
    Sim(#[from] aigov_sim::SimError),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Io(String),
}
