//! aigov: a terminal console for governing Kubernetes clusters that run AI workloads. This
//! crate is the binary's library: settings, the engine shared by the commands and the console,
//! the headless commands, the report writers and the console. The layers below it are crates
//! of their own (`aigov-core`, `aigov-kube`, `aigov-registry`, `aigov-audit`, ...).

pub mod cli;
pub mod commands;
pub mod config;
pub mod engine;
pub mod report;
pub mod settings;
pub mod tui;
