//! Where the log's bytes go: the [`AuditSink`] interface, and [`MemorySink`], an in-memory
//! sink that can be told to fail like a full disk (for tests of code that must stop when the
//! audit write fails). The file sink is in `file.rs`.

use std::io;

/// Append-only storage with a durable append. The log calls these in order:
/// `lock`, `size`, `read_from` (when others appended), `append` (one whole line),
/// `truncate` (only to undo a failed append or cut a torn line), `unlock`.
pub trait AuditSink {
    /// What to call it in messages (a path).
    fn name(&self) -> String;
    /// Bytes stored.
    fn size(&mut self) -> io::Result<u64>;
    /// Everything from `offset` to the end.
    fn read_from(&mut self, offset: u64) -> io::Result<Vec<u8>>;
    /// Write all of `bytes` at the end and make them durable (fsync) before returning `Ok`.
    /// On `Err`, part of the bytes may have been written; the log truncates them.
    fn append(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Cut the storage to `len` bytes, durably.
    fn truncate(&mut self, len: u64) -> io::Result<()>;
    /// Take the exclusive lock other writers honour (a file lock); held for one append.
    fn lock(&mut self) -> io::Result<()> {
        Ok(())
    }
    fn unlock(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// An in-memory sink. `fail_after(n)` makes it accept `n` more bytes and then fail every
/// append with "no space left on device", after writing what fitted, as a full disk does.
#[derive(Debug, Clone, Default)]
pub struct MemorySink {
    bytes: Vec<u8>,
    /// Bytes still accepted before appends fail; `None` for no limit.
    budget: Option<usize>,
    /// Make `truncate` fail too (the log must then refuse further appends).
    fail_truncate: bool,
}

impl MemorySink {
    pub fn new() -> Self {
        Self::default()
    }

    /// Start from existing log bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        MemorySink {
            bytes,
            ..Self::default()
        }
    }

    /// Accept `n` more bytes, then fail like a full disk.
    pub fn fail_after(mut self, n: usize) -> Self {
        self.budget = Some(n);
        self
    }

    /// Make truncation fail as well.
    pub fn fail_truncate(mut self) -> Self {
        self.fail_truncate = true;
        self
    }

    /// Lift the limit, as if space was freed.
    pub fn free_space(&mut self) {
        self.budget = None;
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

fn full() -> io::Error {
    io::Error::new(io::ErrorKind::StorageFull, "no space left on device")
}

impl AuditSink for MemorySink {
    fn name(&self) -> String {
        "<memory>".into()
    }

    fn size(&mut self) -> io::Result<u64> {
        Ok(self.bytes.len() as u64)
    }

    fn read_from(&mut self, offset: u64) -> io::Result<Vec<u8>> {
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        Ok(self.bytes.get(start..).unwrap_or_default().to_vec())
    }

    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self.budget {
            Some(left) if left < bytes.len() => {
                self.bytes.extend_from_slice(&bytes[..left]);
                self.budget = Some(0);
                Err(full())
            }
            Some(left) => {
                self.bytes.extend_from_slice(bytes);
                self.budget = Some(left - bytes.len());
                Ok(())
            }
            None => {
                self.bytes.extend_from_slice(bytes);
                Ok(())
            }
        }
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        if self.fail_truncate {
            return Err(io::Error::other("truncate failed"));
        }
        self.bytes
            .truncate(usize::try_from(len).unwrap_or(usize::MAX));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_memory_sink_writes_what_fits_then_fails() {
        let mut sink = MemorySink::new().fail_after(5);
        sink.append(b"abc").unwrap();
        let err = sink.append(b"defg").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::StorageFull);
        assert_eq!(sink.bytes(), b"abcde");
        sink.truncate(3).unwrap();
        assert_eq!(sink.read_from(1).unwrap(), b"bc");
        sink.free_space();
        sink.append(b"xyz").unwrap();
        assert_eq!(sink.bytes(), b"abcxyz");
        assert_eq!(sink.read_from(99).unwrap(), b"");
    }
}
