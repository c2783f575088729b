//! The log file on disk: [`FileSink`], and the checks every reader and writer makes first.
//! The file is 0600 in a 0700 directory; a symbolic link, a non-regular file, or a file or
//! directory that group or others may write is refused, because whoever can write it can
//! rewrite the whole chain. A file swapped between the check and the open is refused too
//! (device and inode must match). Appends hold an exclusive `flock` so that two aigov
//! processes never fork the chain.

use super::Error;
use super::sink::AuditSink;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The append-only log file.
#[derive(Debug)]
pub struct FileSink {
    file: File,
    path: PathBuf,
}

fn io_error(path: &Path, action: &'static str) -> impl FnOnce(io::Error) -> Error {
    let path = path.display().to_string();
    move |source| Error::Io {
        path,
        action,
        source,
    }
}

fn insecure(path: &Path, why: impl Into<String>) -> Error {
    Error::Insecure {
        path: path.display().to_string(),
        why: why.into(),
    }
}

/// The directory a log path lives in (`.` for a bare file name).
fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

impl FileSink {
    /// Open the log for appending, creating it (0600) and its directory (0700) when missing.
    pub fn open(path: &Path) -> Result<FileSink, Error> {
        let dir = parent_of(path);
        if !dir.exists() {
            create_private_dir(dir)?;
        }
        check_dir(dir, path)?;
        let file = match check_file(path)? {
            Some(expected) => {
                let file = OpenOptions::new()
                    .read(true)
                    .append(true)
                    .open(path)
                    .map_err(io_error(path, "open"))?;
                same_file(&file, &expected, path)?;
                make_private(&file, path)?;
                file
            }
            None => create(path)?,
        };
        Ok(FileSink {
            file,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn create(path: &Path) -> Result<File, Error> {
    let mut options = OpenOptions::new();
    // create_new fails on anything already there, a symbolic link included.
    options.read(true).append(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path).map_err(io_error(path, "create"))?;
    // The umask can only have made it stricter; make it exactly owner read-write.
    set_mode(&file, 0o600).map_err(io_error(path, "set permissions on"))?;
    // Make the new directory entry durable.
    if let Ok(d) = File::open(parent_of(path)) {
        let _ = d.sync_all();
    }
    Ok(file)
}

impl AuditSink for FileSink {
    fn name(&self) -> String {
        self.path.display().to_string()
    }

    fn size(&mut self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    fn read_from(&mut self, offset: u64) -> io::Result<Vec<u8>> {
        use std::io::{Read, Seek, SeekFrom};
        // Reads use the file position; appends ignore it (O_APPEND).
        self.file.seek(SeekFrom::Start(offset))?;
        let mut out = Vec::new();
        self.file.read_to_end(&mut out)?;
        Ok(out)
    }

    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)?;
        // fdatasync covers the data and the new length, which is what a reader needs.
        self.file.sync_data()
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.file.set_len(len)?;
        self.file.sync_all()
    }

    fn lock(&mut self) -> io::Result<()> {
        self.file.lock()
    }

    fn unlock(&mut self) -> io::Result<()> {
        self.file.unlock()
    }
}

/// Read a whole log for `verify` and `show`, after the same checks the writer makes.
pub fn read_checked(path: &Path) -> Result<Vec<u8>, Error> {
    use std::io::Read;
    let dir = parent_of(path);
    let Some(expected) = check_file(path)? else {
        return Err(Error::NotFound {
            path: path.display().to_string(),
        });
    };
    check_dir(dir, path)?;
    let mut file = File::open(path).map_err(io_error(path, "open"))?;
    same_file(&file, &expected, path)?;
    // A shared lock waits for a writer to finish its line, so it is not taken for torn.
    file.lock_shared().map_err(io_error(path, "lock"))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(io_error(path, "read"))?;
    Ok(bytes)
}

/// The file's metadata when it exists and may be trusted; `None` when it does not exist.
fn check_file(path: &Path) -> Result<Option<std::fs::Metadata>, Error> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(path, "inspect")(e)),
    };
    if meta.file_type().is_symlink() {
        return Err(insecure(
            path,
            "it is a symbolic link; aigov reads and writes the log only as a regular file (replace the link with the file itself)",
        ));
    }
    if !meta.is_file() {
        return Err(insecure(path, "it is not a regular file"));
    }
    if let Some(mode) = writable_by_others(&meta) {
        return Err(insecure(
            path,
            format!(
                "it is writable by group or others (mode {mode:o}), so anyone could have rewritten it; check it, then `chmod 600` it"
            ),
        ));
    }
    Ok(Some(meta))
}

fn check_dir(dir: &Path, path: &Path) -> Result<(), Error> {
    let meta = std::fs::metadata(dir).map_err(io_error(dir, "inspect the directory of"))?;
    if !meta.is_dir() {
        return Err(insecure(
            path,
            format!("{} is not a directory", dir.display()),
        ));
    }
    if let Some(mode) = writable_by_others(&meta) {
        return Err(insecure(
            path,
            format!(
                "its directory {} is writable by group or others (mode {mode:o}), so the log could be replaced; keep the log in a private directory (`chmod 700`)",
                dir.display()
            ),
        ));
    }
    Ok(())
}

#[cfg(unix)]
fn writable_by_others(meta: &std::fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o7777;
    (mode & 0o022 != 0).then_some(mode)
}

#[cfg(not(unix))]
fn writable_by_others(_meta: &std::fs::Metadata) -> Option<u32> {
    None
}

/// The file opened must be the one checked, not something swapped in between.
#[cfg(unix)]
fn same_file(file: &File, expected: &std::fs::Metadata, path: &Path) -> Result<(), Error> {
    use std::os::unix::fs::MetadataExt;
    let actual = file.metadata().map_err(io_error(path, "inspect"))?;
    if actual.dev() != expected.dev() || actual.ino() != expected.ino() {
        return Err(insecure(path, "it was replaced while being opened"));
    }
    Ok(())
}

#[cfg(not(unix))]
fn same_file(_file: &File, _expected: &std::fs::Metadata, _path: &Path) -> Result<(), Error> {
    Ok(())
}

/// A log others may read leaks what was changed where; make it owner-only.
fn make_private(file: &File, path: &Path) -> Result<(), Error> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file
            .metadata()
            .map_err(io_error(path, "inspect"))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            set_mode(file, 0o600).map_err(io_error(path, "set permissions (0600) on"))?;
        }
    }
    #[cfg(not(unix))]
    let _ = (file, path);
    Ok(())
}

#[cfg(unix)]
fn set_mode(file: &File, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_file: &File, _mode: u32) -> io::Result<()> {
    Ok(())
}

/// Create `dir` (and missing parents) 0700.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), Error> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(io_error(dir, "create the directory for"))
}

/// aigov's own audit directory: created 0700, or tightened to 0700 when it is looser but
/// not writable by others (which is refused: the log in it cannot be trusted).
pub(crate) fn prepare_default_dir(dir: &Path, path: &Path) -> Result<(), Error> {
    if !dir.exists() {
        create_private_dir(dir)?;
    }
    check_dir(dir, path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)
            .map_err(io_error(dir, "inspect the directory of"))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(io_error(dir, "make private (0700) the directory of"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_log_is_0600_in_a_new_0700_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a").join("b").join("audit.jsonl");
        let mut sink = FileSink::open(&path).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        assert_eq!(mode(&tmp.path().join("a")), 0o700);
        sink.lock().unwrap();
        sink.append(b"one\n").unwrap();
        sink.append(b"two\n").unwrap();
        sink.unlock().unwrap();
        assert_eq!(sink.size().unwrap(), 8);
        assert_eq!(sink.read_from(4).unwrap(), b"two\n");
        sink.truncate(4).unwrap();
        sink.append(b"2\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"one\n2\n");
    }

    #[test]
    fn symlinks_and_files_others_can_write_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real.jsonl");
        std::fs::write(&real, b"").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
        let link = tmp.path().join("link.jsonl");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let err = FileSink::open(&link).unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
        assert!(
            read_checked(&link)
                .unwrap_err()
                .to_string()
                .contains("symbolic link")
        );
        // A dangling link is refused too, not followed to create its target.
        let dangling = tmp.path().join("dangling.jsonl");
        std::os::unix::fs::symlink(tmp.path().join("nowhere"), &dangling).unwrap();
        assert!(FileSink::open(&dangling).is_err());
        assert!(!tmp.path().join("nowhere").exists());

        for bad in [0o666, 0o620, 0o602] {
            std::fs::set_permissions(&real, std::fs::Permissions::from_mode(bad)).unwrap();
            let err = FileSink::open(&real).unwrap_err().to_string();
            assert!(
                err.contains("writable by group or others"),
                "{bad:o}: {err}"
            );
            assert!(read_checked(&real).is_err());
        }
        // Readable by others is tightened, not refused.
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o644)).unwrap();
        FileSink::open(&real).unwrap();
        assert_eq!(mode(&real), 0o600);
    }

    #[test]
    fn a_directory_others_can_write_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("shared");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = FileSink::open(&dir.join("audit.jsonl"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("its directory") && err.contains("777"),
            "{err}"
        );
        assert!(!dir.join("audit.jsonl").exists());
        let err = prepare_default_dir(&dir, &dir.join("audit.jsonl")).unwrap_err();
        assert!(err.to_string().contains("writable by group or others"));
        // A looser but not writable default directory is tightened.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        prepare_default_dir(&dir, &dir.join("audit.jsonl")).unwrap();
        assert_eq!(mode(&dir), 0o700);
    }

    #[test]
    fn reading_a_missing_log_says_so() {
        let tmp = tempfile::tempdir().unwrap();
        let err = read_checked(&tmp.path().join("none.jsonl")).unwrap_err();
        assert!(matches!(err, Error::NotFound { .. }), "{err}");
    }
}
