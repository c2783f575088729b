//! The simulator's object store: JSON objects per resource type, a global resourceVersion,
//! and a bounded change history that watches replay from.

use super::resources::ResourceId;
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use tokio::sync::broadcast;

/// `(namespace, name)`; the namespace is empty for cluster-scoped objects.
pub type ObjectKey = (String, String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Modified,
    Deleted,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "ADDED",
            ChangeKind::Modified => "MODIFIED",
            ChangeKind::Deleted => "DELETED",
        }
    }
}

/// One committed write, as watches see it.
#[derive(Debug)]
pub struct Change {
    pub resource_version: u64,
    pub resource: ResourceId,
    pub kind: ChangeKind,
    pub object: Arc<Value>,
}

/// What a write closure decides to do with the object it was shown.
pub enum Write {
    Put(Value),
    Delete,
}

/// The watch history no longer reaches back to the requested resourceVersion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expired {
    pub oldest_available: u64,
}

struct State {
    resource_version: u64,
    objects: Vec<BTreeMap<ObjectKey, Arc<Value>>>,
    history: VecDeque<Arc<Change>>,
    /// Changes at or below this version are gone from the history.
    compacted: u64,
}

pub struct Store {
    state: RwLock<State>,
    changes: broadcast::Sender<Arc<Change>>,
    history_limit: usize,
    rbac_resources: Vec<ResourceId>,
    rbac_generation: AtomicU64,
    committed_writes: AtomicU64,
}

/// A subscription to future changes, with the changes to replay first.
pub struct Subscription {
    pub replay: Vec<Arc<Change>>,
    pub receiver: broadcast::Receiver<Arc<Change>>,
    pub resource_version: u64,
}

fn key_of(value: &Value) -> ObjectKey {
    let field = |f: &str| {
        value
            .get("metadata")
            .and_then(|m| m.get(f))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    (field("namespace"), field("name"))
}

fn set_resource_version(value: &mut Value, rv: u64) {
    if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("resourceVersion".into(), Value::String(rv.to_string()));
    }
}

impl Store {
    pub fn new(resource_count: usize, rbac_resources: Vec<ResourceId>) -> Self {
        let (changes, _) = broadcast::channel(8192);
        Store {
            state: RwLock::new(State {
                resource_version: 1,
                objects: vec![BTreeMap::new(); resource_count],
                history: VecDeque::new(),
                compacted: 1,
            }),
            changes,
            history_limit: 20_000,
            rbac_resources,
            rbac_generation: AtomicU64::new(0),
            committed_writes: AtomicU64::new(0),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        // A poisoned lock means a handler panicked mid-write; the map itself is still
        // consistent because every write replaces whole entries, so keep serving.
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_lock(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    pub fn resource_version(&self) -> u64 {
        self.read().resource_version
    }

    /// Incremented on every change to a Role, ClusterRole or binding.
    pub fn rbac_generation(&self) -> u64 {
        self.rbac_generation.load(Ordering::Acquire)
    }

    /// Writes that were committed (dry runs and bulk loads excluded).
    pub fn committed_writes(&self) -> u64 {
        self.committed_writes.load(Ordering::Acquire)
    }

    /// Load objects without recording history, before the server takes requests.
    pub fn load(&self, resource: ResourceId, mut value: Value) {
        let mut state = self.write_lock();
        state.resource_version += 1;
        let rv = state.resource_version;
        set_resource_version(&mut value, rv);
        let key = key_of(&value);
        state.objects[resource].insert(key, Arc::new(value));
        state.compacted = rv;
        if self.rbac_resources.contains(&resource) {
            self.rbac_generation.fetch_add(1, Ordering::AcqRel);
        }
    }

    pub fn get(&self, resource: ResourceId, namespace: &str, name: &str) -> Option<Arc<Value>> {
        self.read().objects[resource]
            .get(&(namespace.to_string(), name.to_string()))
            .cloned()
    }

    /// All objects of a type (in one namespace when given), in key order, starting after
    /// `after`, that pass `filter`; at most `limit` of them. Returns the next start key
    /// when more remain, and the store's resourceVersion.
    pub fn list(
        &self,
        resource: ResourceId,
        namespace: Option<&str>,
        after: Option<&ObjectKey>,
        limit: Option<usize>,
        filter: &dyn Fn(&Value) -> bool,
    ) -> (Vec<Arc<Value>>, Option<ObjectKey>, u64) {
        let state = self.read();
        let map = &state.objects[resource];
        let lower = match (after, namespace) {
            (Some(k), _) => std::ops::Bound::Excluded(k.clone()),
            (None, Some(ns)) => std::ops::Bound::Included((ns.to_string(), String::new())),
            (None, None) => std::ops::Bound::Unbounded,
        };
        let mut items = Vec::new();
        let mut next = None;
        for (key, value) in map.range((lower, std::ops::Bound::Unbounded)) {
            if namespace.is_some_and(|ns| key.0 != ns) {
                break;
            }
            if !filter(value) {
                continue;
            }
            if limit.is_some_and(|l| items.len() >= l) {
                next = items.last().map(|v: &Arc<Value>| key_of(v));
                break;
            }
            items.push(value.clone());
        }
        (items, next, state.resource_version)
    }

    /// Every object of every type whose `filter` passes, with its type. For cascades.
    pub fn find_all(&self, filter: &dyn Fn(&Value) -> bool) -> Vec<(ResourceId, Arc<Value>)> {
        let state = self.read();
        state
            .objects
            .iter()
            .enumerate()
            .flat_map(|(id, map)| {
                map.values()
                    .filter(|v| filter(v))
                    .map(move |v| (id, v.clone()))
            })
            .collect()
    }

    /// The one write primitive. Under the lock, `decide` sees the current object (if any)
    /// and returns what to store. On `dry_run` nothing is committed and the would-be object
    /// is returned without a new resourceVersion.
    pub fn write<E>(
        &self,
        resource: ResourceId,
        namespace: &str,
        name: &str,
        dry_run: bool,
        decide: impl FnOnce(Option<&Value>) -> Result<Write, E>,
    ) -> Result<(ChangeKind, Arc<Value>), E> {
        let key = (namespace.to_string(), name.to_string());
        let mut state = self.write_lock();
        let current = state.objects[resource].get(&key).cloned();
        let decision = decide(current.as_deref())?;
        let (kind, object) = match decision {
            Write::Put(mut value) => {
                let kind = if current.is_some() {
                    ChangeKind::Modified
                } else {
                    ChangeKind::Added
                };
                if dry_run {
                    return Ok((kind, Arc::new(value)));
                }
                state.resource_version += 1;
                set_resource_version(&mut value, state.resource_version);
                let value = Arc::new(value);
                state.objects[resource].insert(key, value.clone());
                (kind, value)
            }
            Write::Delete => {
                let Some(existing) = current else {
                    // The closure chose to delete a missing object; nothing to do.
                    return Ok((ChangeKind::Deleted, Arc::new(Value::Null)));
                };
                if dry_run {
                    return Ok((ChangeKind::Deleted, existing));
                }
                state.resource_version += 1;
                state.objects[resource].remove(&key);
                let mut gone = (*existing).clone();
                set_resource_version(&mut gone, state.resource_version);
                (ChangeKind::Deleted, Arc::new(gone))
            }
        };
        let change = Arc::new(Change {
            resource_version: state.resource_version,
            resource,
            kind,
            object: object.clone(),
        });
        state.history.push_back(change.clone());
        while state.history.len() > self.history_limit {
            if let Some(old) = state.history.pop_front() {
                state.compacted = old.resource_version;
            }
        }
        if self.rbac_resources.contains(&resource) {
            self.rbac_generation.fetch_add(1, Ordering::AcqRel);
        }
        self.committed_writes.fetch_add(1, Ordering::AcqRel);
        // No receivers is normal: nobody is watching.
        let _ = self.changes.send(change);
        Ok((kind, object))
    }

    /// Subscribe to changes of `resource` after `since`. Replay and subscription are taken
    /// under one lock, so no change is missed or seen twice.
    pub fn subscribe(&self, resource: ResourceId, since: u64) -> Result<Subscription, Expired> {
        let state = self.read();
        if since < state.compacted {
            return Err(Expired {
                oldest_available: state.compacted,
            });
        }
        let replay = state
            .history
            .iter()
            .filter(|c| c.resource == resource && c.resource_version > since)
            .cloned()
            .collect();
        Ok(Subscription {
            replay,
            receiver: self.changes.subscribe(),
            resource_version: state.resource_version,
        })
    }

    /// The current objects plus a subscription from now: a watch without a resourceVersion.
    pub fn snapshot_and_subscribe(
        &self,
        resource: ResourceId,
        namespace: Option<&str>,
    ) -> (Vec<Arc<Value>>, Subscription) {
        let state = self.read();
        let objects = state.objects[resource]
            .iter()
            .filter(|(k, _)| namespace.is_none_or(|ns| k.0 == ns))
            .map(|(_, v)| v.clone())
            .collect();
        let subscription = Subscription {
            replay: Vec::new(),
            receiver: self.changes.subscribe(),
            resource_version: state.resource_version,
        };
        (objects, subscription)
    }

    /// Forget all history, as etcd compaction does: older continue tokens and watch
    /// resourceVersions now get 410 Gone.
    pub fn compact(&self) {
        let mut state = self.write_lock();
        state.history.clear();
        state.compacted = state.resource_version;
    }

    pub fn compacted_resource_version(&self) -> u64 {
        self.read().compacted
    }

    /// Every RBAC object, for rebuilding the authoriser's index.
    pub fn objects_of(&self, resource: ResourceId) -> Vec<Arc<Value>> {
        self.read().objects[resource].values().cloned().collect()
    }

    pub fn count(&self, resource: ResourceId) -> usize {
        self.read().objects[resource].len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(ns: &str, name: &str) -> Value {
        json!({"metadata": {"namespace": ns, "name": name}})
    }

    fn put(store: &Store, ns: &str, name: &str) -> Arc<Value> {
        store
            .write::<()>(0, ns, name, false, |_| Ok(Write::Put(obj(ns, name))))
            .unwrap()
            .1
    }

    #[test]
    fn writes_bump_the_resource_version_and_dry_runs_do_not() {
        let store = Store::new(1, vec![]);
        let before = store.resource_version();
        let stored = put(&store, "a", "x");
        assert_eq!(
            stored["metadata"]["resourceVersion"],
            json!((before + 1).to_string())
        );
        let (_, dry) = store
            .write::<()>(0, "a", "y", true, |_| Ok(Write::Put(obj("a", "y"))))
            .unwrap();
        assert!(dry["metadata"].get("resourceVersion").is_none());
        assert!(store.get(0, "a", "y").is_none());
        assert_eq!(store.committed_writes(), 1);
    }

    #[test]
    fn list_pages_in_key_order_within_a_namespace() {
        let store = Store::new(1, vec![]);
        for (ns, n) in [("b", "2"), ("a", "1"), ("b", "1"), ("c", "1"), ("b", "3")] {
            put(&store, ns, n);
        }
        let (page, next, _) = store.list(0, Some("b"), None, Some(2), &|_| true);
        let names: Vec<_> = page.iter().map(|v| v["metadata"]["name"].clone()).collect();
        assert_eq!(names, vec![json!("1"), json!("2")]);
        let (page, next, _) = store.list(0, Some("b"), next.as_ref(), Some(2), &|_| true);
        assert_eq!(page.len(), 1);
        assert_eq!(next, None);
        let (all, _, _) = store.list(0, None, None, None, &|_| true);
        assert_eq!(all.len(), 5);
    }

    #[test]
    fn subscribe_replays_after_the_version_and_expires_after_compaction() {
        let store = Store::new(1, vec![]);
        put(&store, "a", "1");
        let mark = store.resource_version();
        put(&store, "a", "2");
        let sub = store.subscribe(0, mark).unwrap();
        assert_eq!(sub.replay.len(), 1);
        assert_eq!(sub.replay[0].kind, ChangeKind::Added);
        store.compact();
        assert!(store.subscribe(0, mark).is_err());
    }

    #[test]
    fn delete_records_a_change_with_a_new_version() {
        let store = Store::new(1, vec![0]);
        put(&store, "a", "1");
        let generation = store.rbac_generation();
        let (kind, gone) = store
            .write::<()>(0, "a", "1", false, |_| Ok(Write::Delete))
            .unwrap();
        assert_eq!(kind, ChangeKind::Deleted);
        assert_eq!(
            gone["metadata"]["resourceVersion"],
            json!(store.resource_version().to_string())
        );
        assert!(store.get(0, "a", "1").is_none());
        assert!(store.rbac_generation() > generation);
    }
}
