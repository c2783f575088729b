//! The configuration drift baseline on disk: one JSON file per kubeconfig context, at
//! `<data dir>/baselines/<context hash>.json`, in a 0700 directory with file mode 0600. A
//! save goes to a temporary file in the same directory, is fsynced and renamed over the old
//! one (then the directory is fsynced), so a baseline is never half-written.
//!
//! The data type and what goes into it are pure and live in `rules::config` ([`Baseline`]).

use aigov_core::rules::config::{BASELINE_SCHEMA_VERSION, Baseline};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// `<data dir>/baselines`, or `None` when no data directory can be determined.
pub fn dir() -> Option<PathBuf> {
    crate::dirs::data_dir().map(|d| d.join("baselines"))
}

/// The file name for a context: a hash, because context names may hold any character.
pub fn file_name(context: &str) -> String {
    let hash: String = Sha256::digest(context.as_bytes())
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{hash}.json")
}

/// The baseline saved for a context, if any. A file that cannot be read or parsed is an
/// error naming the file; a missing one is `Ok(None)`.
pub fn load_for(context: &str) -> Result<Option<Baseline>, String> {
    match dir() {
        Some(dir) => load_in(&dir, context),
        None => Ok(None),
    }
}

/// [`load_for`] in an explicit baselines directory.
pub fn load_in(dir: &Path, context: &str) -> Result<Option<Baseline>, String> {
    let path = dir.join(file_name(context));
    let Some(baseline) = load_file(&path)? else {
        return Ok(None);
    };
    if baseline.context != context {
        return Err(format!(
            "baseline {} was saved for context {:?}, not {context:?}; remove it or save a new baseline with `aigov baseline save`",
            path.display(),
            baseline.context
        ));
    }
    Ok(Some(baseline))
}

/// Read one baseline file; `Ok(None)` when it does not exist. A baseline others can rewrite
/// could hide drift: it is refused rather than trusted.
pub fn load_file(path: &Path) -> Result<Option<Baseline>, String> {
    let Some(text) = crate::state_file::read_private(path)
        .map_err(|e| format!("the baseline is not used: {e}; or save a new one"))?
    else {
        return Ok(None);
    };
    let baseline: Baseline = serde_json::from_str(&text).map_err(|e| {
        format!(
            "the baseline {} is corrupt ({e}); remove it or save a new one with `aigov baseline save`",
            path.display()
        )
    })?;
    if baseline.schema_version > BASELINE_SCHEMA_VERSION {
        return Err(format!(
            "the baseline {} has schema version {}, newer than this aigov understands ({BASELINE_SCHEMA_VERSION}); upgrade aigov or save a new baseline",
            path.display(),
            baseline.schema_version
        ));
    }
    Ok(Some(baseline))
}

/// Save a baseline for its context in the data directory; returns the file written.
pub fn save(baseline: &Baseline) -> Result<PathBuf, String> {
    let dir = dir().ok_or_else(|| {
        "cannot determine a data directory to save the baseline in; set AIGOV_DATA_DIR".to_string()
    })?;
    save_in(&dir, baseline)
}

/// [`save`] in an explicit baselines directory (created 0700 if missing), atomically, 0600.
pub fn save_in(dir: &Path, baseline: &Baseline) -> Result<PathBuf, String> {
    let mut json = serde_json::to_string_pretty(baseline)
        .map_err(|e| format!("cannot encode the baseline: {e}"))?;
    json.push('\n');
    crate::state_file::write_atomic(dir, &file_name(&baseline.context), json.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_private(path: &Path) {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }
    use aigov_core::rules::config::{ConfigMapRecord, SecretRecord};

    fn sample(context: &str) -> Baseline {
        let mut b = Baseline {
            context: context.into(),
            server: "https://127.0.0.1:6443".into(),
            saved_at: "2025-06-01T10:00:00Z".into(),
            ..Default::default()
        };
        b.config_maps.insert(
            "llm/vllm-config".into(),
            ConfigMapRecord {
                namespace: "llm".into(),
                name: "vllm-config".into(),
                uid: "u1".into(),
                resource_version: "42".into(),
                keys: [("MAX_LEN".to_string(), "ab".repeat(32))].into(),
                binary_keys: ["tokenizer.bin".to_string()].into(),
                content: None,
            },
        );
        b.secrets.insert(
            "llm/hf-token".into(),
            SecretRecord {
                namespace: "llm".into(),
                name: "hf-token".into(),
                uid: "u2".into(),
                resource_version: "7".into(),
            },
        );
        b
    }

    #[test]
    fn save_and_load_round_trip_per_context() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data").join("baselines");
        let b = sample("prod/admin");
        let path = save_in(&dir, &b).unwrap();
        assert_eq!(path, dir.join(file_name("prod/admin")));
        assert_eq!(load_in(&dir, "prod/admin").unwrap(), Some(b.clone()));
        assert_eq!(load_in(&dir, "staging").unwrap(), None);
        // Saving again replaces the file and leaves no temporary files behind.
        let mut newer = b.clone();
        newer.saved_at = "2025-06-02T10:00:00Z".into();
        save_in(&dir, &newer).unwrap();
        assert_eq!(load_in(&dir, "prod/admin").unwrap(), Some(newer));
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, [file_name("prod/admin")]);
    }

    #[cfg(unix)]
    #[test]
    fn the_directory_is_0700_and_the_file_0600() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("baselines");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = save_in(&dir, &sample("c")).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700, "an existing directory is made private");
        assert_eq!(mode(&path), 0o600);
        // A baseline others could rewrite is refused.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        let err = load_in(&dir, "c").unwrap_err();
        assert!(
            err.contains(&path.display().to_string()) && err.contains("writable"),
            "{err}"
        );
    }

    #[test]
    fn a_corrupt_or_foreign_baseline_is_an_error_naming_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let path = dir.join(file_name("c"));
        std::fs::write(&path, "{\"schema_version\": 1, \"context\": ").unwrap();
        set_private(&path);
        let err = load_in(dir, "c").unwrap_err();
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains("corrupt"), "{err}");

        let mut other = sample("someone-else");
        other.context = "someone-else".into();
        std::fs::write(&path, serde_json::to_string(&other).unwrap()).unwrap();
        let err = load_in(dir, "c").unwrap_err();
        assert!(err.contains("someone-else"), "{err}");

        let mut future = sample("c");
        future.schema_version = BASELINE_SCHEMA_VERSION + 1;
        std::fs::write(&path, serde_json::to_string(&future).unwrap()).unwrap();
        let err = load_in(dir, "c").unwrap_err();
        assert!(err.contains("schema version"), "{err}");
    }

    #[test]
    fn context_names_become_safe_file_names() {
        let name = file_name("../../etc/passwd");
        assert!(name.ends_with(".json") && !name.contains('/'));
        assert_ne!(file_name("a"), file_name("b"));
        assert_eq!(file_name("a"), file_name("a"));
    }
}
