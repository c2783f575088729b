//! Tag history: every resolved `(registry, repository, tag) -> digest`, with when it was first
//! and last seen, in `<data dir>/registry/tag-history.json` (0600, written atomically through
//! `state_file`). A tag seen at a new digest is a [`TagMoved`] observation: the registry let the
//! tag be overwritten, so it is mutable.

use super::cache::TagKey;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const HISTORY_SCHEMA_VERSION: u32 = 1;
const FILE_NAME: &str = "tag-history.json";
/// Distinct digests kept per tag; older ones are dropped first.
const KEPT_PER_TAG: usize = 20;

/// One digest a tag pointed at, with RFC 3339 times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sighting {
    pub digest: String,
    pub first_seen: String,
    pub last_seen: String,
}

/// The registry let a tag point at another digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagMoved {
    /// `registry/repository:tag`
    pub tag: String,
    pub previous_digest: String,
    /// When the previous digest was last seen.
    pub previous_seen: String,
    pub new_digest: String,
    pub new_seen: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagHistory {
    pub schema_version: u32,
    /// `registry/repository:tag` -> sightings, oldest first.
    pub tags: BTreeMap<String, Vec<Sighting>>,
}

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("cannot determine a data directory for the tag history; set AIGOV_DATA_DIR")]
    NoDataDir,
    #[error("the tag history is not used: {0}")]
    Io(String),
    #[error("the tag history {path} is corrupt ({detail}); remove it to start a new one")]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "the tag history {path} has schema version {found}, newer than this aigov understands; upgrade aigov"
    )]
    TooNew { path: PathBuf, found: u32 },
}

/// `<data dir>/registry`.
pub fn default_dir() -> Option<PathBuf> {
    aigov_state::dirs::data_dir().map(|d| d.join("registry"))
}

impl TagHistory {
    /// The history in `dir`, or an empty one when there is none yet. A file others can
    /// write is refused: it could hide a moved tag.
    pub fn load(dir: &Path) -> Result<Self, HistoryError> {
        let path = dir.join(FILE_NAME);
        let Some(text) = aigov_state::state_file::read_private(&path).map_err(HistoryError::Io)?
        else {
            return Ok(TagHistory {
                schema_version: HISTORY_SCHEMA_VERSION,
                ..Default::default()
            });
        };
        let history: TagHistory =
            serde_json::from_str(&text).map_err(|e| HistoryError::Corrupt {
                path: path.clone(),
                detail: e.to_string(),
            })?;
        if history.schema_version > HISTORY_SCHEMA_VERSION {
            return Err(HistoryError::TooNew {
                path,
                found: history.schema_version,
            });
        }
        Ok(history)
    }

    /// Write the history to `dir` (0700), atomically, 0600; returns the file.
    pub fn save(&self, dir: &Path) -> Result<PathBuf, HistoryError> {
        let mut json =
            serde_json::to_string_pretty(self).map_err(|e| HistoryError::Io(e.to_string()))?;
        json.push('\n');
        aigov_state::state_file::write_atomic(dir, FILE_NAME, json.as_bytes())
            .map_err(HistoryError::Io)
    }

    /// Record that `key` resolved to `digest` at `at`. Returns the move when the tag was last
    /// seen at another digest.
    pub fn record(&mut self, key: &TagKey, digest: &str, at: jiff::Timestamp) -> Option<TagMoved> {
        self.schema_version = HISTORY_SCHEMA_VERSION;
        let name = key.to_string();
        let now = at.to_string();
        let sightings = self.tags.entry(name.clone()).or_default();
        let previous = sightings.last().cloned();
        match &previous {
            Some(last) if last.digest == digest => {
                if let Some(last) = sightings.last_mut() {
                    last.last_seen = now;
                }
                return None;
            }
            _ => sightings.push(Sighting {
                digest: digest.to_string(),
                first_seen: now.clone(),
                last_seen: now.clone(),
            }),
        }
        if sightings.len() > KEPT_PER_TAG {
            let excess = sightings.len() - KEPT_PER_TAG;
            sightings.drain(..excess);
        }
        previous.map(|last| TagMoved {
            tag: name,
            previous_digest: last.digest,
            previous_seen: last.last_seen,
            new_digest: digest.to_string(),
            new_seen: now,
        })
    }

    /// Record every resolved look-up (in the order of `images`; cached answers keep their
    /// time), returning the moves they reveal. Unknown look-ups are not recorded.
    pub fn record_lookups(
        &mut self,
        images: &[aigov_core::model::image::ImageRef],
        lookups: &[super::outcome::Lookup],
    ) -> Vec<TagMoved> {
        images
            .iter()
            .zip(lookups)
            .filter_map(|(image, lookup)| {
                let resolution = lookup.resolved()?;
                let key = super::client::tag_key(image)?;
                self.record(&key, &resolution.digest, resolution.checked_at)
            })
            .collect()
    }

    /// Every move recorded for a tag, oldest first (empty when it never moved).
    pub fn moves(&self, key: &TagKey) -> Vec<TagMoved> {
        let name = key.to_string();
        let Some(sightings) = self.tags.get(&name) else {
            return Vec::new();
        };
        sightings
            .windows(2)
            .map(|pair| TagMoved {
                tag: name.clone(),
                previous_digest: pair[0].digest.clone(),
                previous_seen: pair[0].last_seen.clone(),
                new_digest: pair[1].digest.clone(),
                new_seen: pair[1].first_seen.clone(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> TagKey {
        TagKey {
            registry: "reg.example".into(),
            repository: "team/model".into(),
            tag: "v1".into(),
        }
    }

    #[test]
    fn a_new_digest_for_a_tag_is_a_move_with_both_digests_and_times() {
        let mut h = TagHistory::default();
        let t1: jiff::Timestamp = "2025-01-01T00:00:00Z".parse().unwrap();
        let t2: jiff::Timestamp = "2025-01-02T00:00:00Z".parse().unwrap();
        let t3: jiff::Timestamp = "2025-01-03T00:00:00Z".parse().unwrap();
        assert_eq!(h.record(&key(), "sha256:a", t1), None);
        assert_eq!(h.record(&key(), "sha256:a", t2), None);
        let moved = h.record(&key(), "sha256:b", t3).unwrap();
        assert_eq!(moved.tag, "reg.example/team/model:v1");
        assert_eq!(moved.previous_digest, "sha256:a");
        assert_eq!(moved.previous_seen, t2.to_string());
        assert_eq!(moved.new_digest, "sha256:b");
        assert_eq!(moved.new_seen, t3.to_string());
        assert_eq!(h.moves(&key()), vec![moved]);
    }

    #[test]
    fn saved_0600_and_loaded_back_and_refused_when_others_can_write() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("registry");
        assert_eq!(TagHistory::load(&dir).unwrap().tags.len(), 0);
        let mut h = TagHistory::default();
        h.record(&key(), "sha256:a", jiff::Timestamp::UNIX_EPOCH);
        let path = h.save(&dir).unwrap();
        assert_eq!(TagHistory::load(&dir).unwrap(), h);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
            assert!(
                TagHistory::load(&dir)
                    .unwrap_err()
                    .to_string()
                    .contains("writable")
            );
        }
    }
}
