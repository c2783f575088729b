//! aigov: a terminal console for governing Kubernetes clusters that run AI workloads.

pub mod audit;
pub mod baseline;
pub mod cli;
pub mod cluster;
pub mod commands;
pub mod config;
pub mod consent;
pub mod digest;
pub mod engine;
pub mod manifest;
pub mod model;
pub mod registry;
pub mod remediation;
pub mod report;
pub mod rules;
pub mod sanitize;
pub mod sim;
pub mod state_file;
pub mod tui;
