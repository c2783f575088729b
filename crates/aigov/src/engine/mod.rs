//! The application layer shared by the headless commands and the console: the steps that
//! join the cluster, the registries and the audit trail, which no lower crate may join.

pub mod pull_secrets;
pub mod session;
