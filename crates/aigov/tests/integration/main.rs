//! aigov's integration tests, one crate with a module per area, so the suite links once.
//! Shared set-up lives in `common`; fixtures in `../fixtures`.

mod audit_demo;
mod audit_kill;
mod audit_log;
mod audit_log_files;
mod audit_watch;
mod canary_secrets;
mod cli_access;
mod cli_audit;
mod cli_baseline;
mod cli_can_i_scope;
mod cli_check;
mod cli_credentials;
mod cli_images;
mod cli_inventory;
mod cli_plan;
mod cli_reach;
mod cli_unresponsive;
mod cluster_load;
mod cluster_watch;
mod cluster_write;
mod common;
mod faults_load;
mod fuzz_regressions;
mod hostile_console;
mod hostile_input;
mod image_ref_props;
mod kubectl_compat;
mod read_only;
mod registry_client;
#[cfg(feature = "ecr")]
mod registry_ecr;
mod registry_harbor;
mod registry_pull_secrets;
mod registry_rules;
mod remediation_apply;
mod remediation_faults;
mod remediation_kinds;
mod remediation_kinds_rbac;
mod rules_demo;
mod sim_conformance;
mod sim_faults_and_extras;
mod tui_live;
mod tui_render;
mod tui_tmux;
