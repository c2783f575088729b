//! SHA-256 as lowercase hex: the one digest format of baselines, consent keys, the audit chain
//! and CA fingerprints.

use sha2::{Digest, Sha256};

/// Lowercase hex SHA-256 of `bytes` (text hashes its UTF-8 bytes).
pub fn sha256_hex(bytes: impl AsRef<[u8]>) -> String {
    hex(&Sha256::digest(bytes.as_ref()))
}

/// Lowercase hex of any bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_and_bytes_hash_alike() {
        assert_eq!(
            super::sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(super::sha256_hex(b"abc"), super::sha256_hex("abc"));
    }
}
