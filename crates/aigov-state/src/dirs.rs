//! Where aigov keeps its files: the config directory (config.toml, user themes) and the data
//! directory (baselines, plans, consent, the audit log), each overridable by environment.

use std::path::PathBuf;

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("dev", "aigov", "aigov")
}

/// Where `config.toml` and user themes live (`AIGOV_CONFIG_DIR` overrides).
pub fn config_dir() -> Option<PathBuf> {
    std::env::var_os("AIGOV_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| project_dirs().map(|d| d.config_dir().to_path_buf()))
}

/// Where aigov keeps state: baselines, plans, the audit log (`AIGOV_DATA_DIR` overrides).
pub fn data_dir() -> Option<PathBuf> {
    std::env::var_os("AIGOV_DATA_DIR")
        .map(PathBuf::from)
        .or_else(|| project_dirs().map(|d| d.data_dir().to_path_buf()))
}
