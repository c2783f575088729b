//! The only module that talks to a Kubernetes API: kubeconfig resolution, connection,
//! identity, snapshot loading and watching. Everything else works on `model::Snapshot`.

pub mod connect;
pub mod error;
pub mod exec_plugin;
mod fetch;
pub mod kubeconfig;
pub mod load;
pub mod read_only;
mod reflector;
pub mod secrets;
pub mod watch;
pub mod whoami;
pub mod write;

pub use connect::{ConnectOptions, Connection, connect};
pub use error::Error;
pub use load::{LoadOptions, Progress, load};
pub use watch::{WatchClient, WatchEvent, watch_client};
