//! What each subcommand does, on top of `cluster`, `model` and `report`.

pub mod inventory;
pub mod session;
pub mod sim;

/// An error a user must fix; the process exits with code 2 and one line on stderr.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Cluster(#[from] crate::cluster::Error),
    #[error(transparent)]
    Sim(#[from] crate::sim::SimError),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Io(String),
}
