//! The in-memory cache of resolved tags, keyed by registry, repository and tag, with a TTL, so
//! repeated look-ups (a re-check, the second of two views) do not reach the network.

use super::outcome::Resolution;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// `(registry, repository, tag)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TagKey {
    pub registry: String,
    pub repository: String,
    pub tag: String,
}

impl std::fmt::Display for TagKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}:{}", self.registry, self.repository, self.tag)
    }
}

#[derive(Debug)]
pub struct ResolutionCache {
    ttl: Duration,
    entries: Mutex<HashMap<TagKey, (Resolution, Instant)>>,
}

impl ResolutionCache {
    pub fn new(ttl: Duration) -> Self {
        ResolutionCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// A fresh entry, marked `from_cache`. Only successes are cached: a failure is asked again.
    pub fn get(&self, key: &TagKey) -> Option<Resolution> {
        let entries = self.entries.lock().ok()?;
        let (resolution, stored) = entries.get(key)?;
        (stored.elapsed() < self.ttl).then(|| Resolution {
            from_cache: true,
            ..resolution.clone()
        })
    }

    pub fn put(&self, key: TagKey, resolution: &Resolution) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(key, (resolution.clone(), Instant::now()));
        }
    }

    /// Forget one tag (the console's re-check of one image).
    pub fn forget(&self, key: &TagKey) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> TagKey {
        TagKey {
            registry: "r".into(),
            repository: "a".into(),
            tag: "1".into(),
        }
    }

    fn resolution() -> Resolution {
        Resolution {
            digest: "sha256:x".into(),
            media_type: "m".into(),
            checked_at: jiff::Timestamp::UNIX_EPOCH,
            from_cache: false,
        }
    }

    #[test]
    fn entries_expire_after_the_ttl_and_can_be_forgotten() {
        let cache = ResolutionCache::new(Duration::from_secs(60));
        assert_eq!(cache.get(&key()), None);
        cache.put(key(), &resolution());
        assert!(cache.get(&key()).unwrap().from_cache);
        cache.forget(&key());
        assert_eq!(cache.get(&key()), None);
        let expired = ResolutionCache::new(Duration::ZERO);
        expired.put(key(), &resolution());
        assert_eq!(expired.get(&key()), None);
    }
}
