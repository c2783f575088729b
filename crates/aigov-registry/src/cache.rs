//! In-memory caches with a TTL, so repeated look-ups (a re-check, the second of two views) do
//! not reach the network: resolved tags, keyed by registry, repository and tag, and (through
//! the same [`TtlCache`]) the registries' immutability settings.

use super::outcome::Resolution;
use std::collections::HashMap;
use std::hash::Hash;
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

/// Successful answers kept for a TTL: resolved tags here, and the registries' immutability
/// settings (`immutability`). Failures are never put, so they are asked again.
#[derive(Debug)]
pub struct TtlCache<K, V> {
    ttl: Duration,
    entries: Mutex<HashMap<K, (V, Instant)>>,
}

impl<K: Hash + Eq, V: Clone> TtlCache<K, V> {
    pub fn new(ttl: Duration) -> Self {
        TtlCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The entry, if it is younger than the TTL.
    pub fn get(&self, key: &K) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        let (value, stored) = entries.get(key)?;
        (stored.elapsed() < self.ttl).then(|| value.clone())
    }

    pub fn put(&self, key: K, value: V) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(key, (value, Instant::now()));
        }
    }

    /// Forget one entry (the console's re-check of one image).
    pub fn forget(&self, key: &K) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(key);
        }
    }
}

/// Resolved tags; what comes out is marked `from_cache`.
#[derive(Debug)]
pub struct ResolutionCache(TtlCache<TagKey, Resolution>);

impl ResolutionCache {
    pub fn new(ttl: Duration) -> Self {
        ResolutionCache(TtlCache::new(ttl))
    }

    /// A fresh entry, marked `from_cache`.
    pub fn get(&self, key: &TagKey) -> Option<Resolution> {
        self.0.get(key).map(|resolution| Resolution {
            from_cache: true,
            ..resolution
        })
    }

    pub fn put(&self, key: TagKey, resolution: &Resolution) {
        self.0.put(key, resolution.clone());
    }

    pub fn forget(&self, key: &TagKey) {
        self.0.forget(key);
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
