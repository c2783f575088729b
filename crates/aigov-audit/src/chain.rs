//! The hash chain: canonical JSON, the hash of a record, and the head of a chain.
//!
//! `hash = SHA-256(prev || canonical JSON of the record without its "hash" field)`, where
//! `prev` is the previous record's hash as 64 lower-case hex characters (64 zeros for the
//! first record) and canonical JSON is compact serde_json text with object keys sorted by
//! their UTF-8 bytes at every level. The sorting is done here rather than relying on
//! serde_json's map type, which keeps insertion order when any crate in the build enables its
//! `preserve_order` feature.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `prev` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The last record of a chain: keep it to detect a truncated tail later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// 0 for an empty log.
    pub seq: u64,
    /// [`GENESIS`] for an empty log.
    pub hash: String,
}

impl Head {
    pub fn genesis() -> Self {
        Head {
            seq: 0,
            hash: GENESIS.to_string(),
        }
    }
}

impl std::fmt::Display for Head {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "head {} (seq {})", self.hash, self.seq)
    }
}

/// Compact JSON with object keys sorted, whatever map type serde_json was built with.
pub fn canonical(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        // Strings, numbers, booleans and null have one compact form.
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The hash of a record given as JSON: `hash` is left out whether present or not.
pub fn record_hash(prev: &str, record: &Value) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev.as_bytes());
    match record {
        Value::Object(map) if map.contains_key("hash") => {
            let mut without = map.clone();
            without.remove("hash");
            hasher.update(canonical(&Value::Object(without)).as_bytes());
        }
        other => hasher.update(canonical(other).as_bytes()),
    }
    super::entry::hex(&hasher.finalize())
}

/// Whether `text` has the shape of a hash: 64 lower-case hex characters.
pub fn is_hash(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_at_every_level_and_is_compact() {
        let mut inner = serde_json::Map::new();
        inner.insert("z".into(), json!(1));
        inner.insert("a".into(), json!([{"y": true, "b": null}]));
        let mut outer = serde_json::Map::new();
        outer.insert("m".into(), Value::Object(inner));
        outer.insert("B".into(), json!("x\n\u{1b}é"));
        assert_eq!(
            canonical(&Value::Object(outer)),
            r#"{"B":"x\n\u001bé","m":{"a":[{"b":null,"y":true}],"z":1}}"#
        );
    }

    #[test]
    fn canonical_json_round_trips_through_the_parser() {
        let value = json!({"f": 0.1, "n": -3, "u": 18446744073709551615u64, "s": "\"\\/"});
        let text = canonical(&value);
        let again: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(canonical(&again), text);
    }

    #[test]
    fn the_hash_covers_prev_and_every_field_but_hash() {
        let record = json!({"seq": 1, "prev": GENESIS, "kind": "note"});
        let h = record_hash(GENESIS, &record);
        assert!(is_hash(&h));
        let mut with_hash = record.clone();
        with_hash["hash"] = json!(h.clone());
        assert_eq!(record_hash(GENESIS, &with_hash), h, "hash field ignored");
        assert_ne!(record_hash(&"1".repeat(64), &record), h, "prev is covered");
        let mut changed = record.clone();
        changed["kind"] = json!("intent");
        assert_ne!(record_hash(GENESIS, &changed), h, "content is covered");
        // Known answer, so the algorithm cannot change silently:
        // sha256(GENESIS + '{"kind":"note","prev":"000..0","seq":1}').
        let mut hasher = Sha256::new();
        hasher.update(GENESIS.as_bytes());
        hasher.update(format!(r#"{{"kind":"note","prev":"{GENESIS}","seq":1}}"#).as_bytes());
        assert_eq!(h, crate::entry::hex(&hasher.finalize()));
    }

    #[test]
    fn hash_shape() {
        assert!(is_hash(GENESIS));
        assert!(!is_hash(&"A".repeat(64)));
        assert!(!is_hash("00"));
    }
}
