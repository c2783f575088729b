//! Local state files (the staged plan; the same rules as baselines and reports): a 0700
//! directory, 0600 files written to a temporary file in the same directory, fsynced and
//! renamed over the old one, so a file is never half-written; a file others can write is
//! refused rather than trusted.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Create `dir` (and its parents) 0700, or make an existing one 0700.
pub fn create_private_dir(dir: &Path) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("cannot create the directory {}: {e}", dir.display());
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(fail)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("cannot make {} private (0700): {e}", dir.display()))?;
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir).map_err(fail)?;
    Ok(())
}

/// Write `bytes` to `dir/name` atomically, 0600, in a 0700 `dir`.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, String> {
    create_private_dir(dir)?;
    let path = dir.join(name);
    write_file_atomic(&path, bytes)?;
    Ok(path)
}

/// Write `bytes` to `path` atomically (a 0600 temporary file in the same directory, renamed
/// over it), leaving the directory as it is: for files the user names, such as an export.
pub fn write_file_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let fail =
        |what: &str, e: &dyn std::fmt::Display| format!("cannot {what} {}: {e}", path.display());
    // NamedTempFile is created 0600 in the same directory, so the rename is atomic.
    let mut file = tempfile::Builder::new()
        .prefix(".aigov-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| fail("create a temporary file for", &e))?;
    file.write_all(bytes).map_err(|e| fail("write", &e))?;
    file.as_file().sync_all().map_err(|e| fail("sync", &e))?;
    file.persist(path).map_err(|e| fail("replace", &e.error))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The text of `path`, or `None` when it does not exist. A file other users can write is an
/// error: its content cannot be trusted.
pub fn read_private(path: &Path) -> Result<Option<String>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?
            .permissions()
            .mode();
        if mode & 0o022 != 0 {
            return Err(format!(
                "{} is writable by other users (mode {:o}); check it, then `chmod 600` it",
                path.display(),
                mode & 0o777
            ));
        }
    }
    Ok(Some(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_private_replaced_whole_and_refused_when_others_can_write() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("state");
        let path = write_atomic(&dir, "plan.json", b"one").unwrap();
        write_atomic(&dir, "plan.json", b"two").unwrap();
        assert_eq!(read_private(&path).unwrap().as_deref(), Some("two"));
        assert_eq!(read_private(&dir.join("none.json")).unwrap(), None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(&dir), 0o700);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
            assert!(
                read_private(&path)
                    .unwrap_err()
                    .contains("writable by other users")
            );
        }
        let leftovers = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file left behind");
    }
}
