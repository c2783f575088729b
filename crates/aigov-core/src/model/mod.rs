//! The snapshot and the compact typed objects the rules read. No I/O happens here.

pub mod convert;
pub mod image;
pub mod kinds;
pub mod meta;
pub mod objects;
pub mod rbac;
pub mod secret_text;
pub mod snapshot;
pub mod workloads;

pub use kinds::Kind;
pub use meta::{LabelSelector, Labels, Meta};
pub use secret_text::ConfigValue;
pub use snapshot::{Coverage, Identity, Object, Origin, Snapshot};
