//! Snapshot deltas: the changes a watch reports (an object added or modified, one deleted, a
//! kind listed again), applied in place so a live snapshot never has to be reloaded whole.
//!
//! Cost: the snapshot keeps plain lists, so one change costs a pass over the list it touches
//! (O(n) for n objects in that list, with one hash look-up per object and no allocation per
//! object). A batch of d changes costs one pass per touched list plus O(d): at 100k pods, a
//! batch of a thousand pod changes is one 100k pass, not a thousand. Callers with a stream of
//! changes should batch them (the console does, once per debounce window). Order is kept:
//! replaced objects stay where they were and new ones are appended.

use super::{Object, Snapshot, workload_kind};
use crate::model::kinds::Kind;
use crate::model::meta::Meta;
use crate::model::objects::*;
use crate::model::rbac::{Binding, Role};
use crate::model::workloads::{Pod, Workload};
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// What identifies an object within a snapshot: its kind, namespace (empty for cluster-scoped
/// objects) and name. A uid changes when an object is deleted and created again under the
/// same name; the snapshot holds one object per key either way.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    pub fn new(kind: Kind, namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            kind,
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

/// One change to a snapshot.
#[derive(Debug, Clone)]
pub enum Change {
    /// Add the object, or replace the one with the same key.
    Upsert(Box<Object>),
    /// Remove the object with this key, if there is one.
    Remove(ObjectKey),
    /// The complete, current list of `kind` (in `namespace`, or everywhere with `None`):
    /// objects of that kind and scope that are not in it are gone.
    ReplaceKind {
        kind: Kind,
        namespace: Option<String>,
        objects: Vec<Object>,
    },
}

impl Change {
    pub fn kind(&self) -> Kind {
        match self {
            Change::Upsert(o) => o.kind(),
            Change::Remove(k) => k.kind,
            Change::ReplaceKind { kind, .. } => *kind,
        }
    }

    /// Whether this change concerns objects of `kind` in the scope (`None`: every namespace).
    pub fn in_scope(&self, kind: Kind, namespace: Option<&str>) -> bool {
        match self {
            Change::Upsert(o) => in_scope(o.kind(), &o.meta().namespace, kind, namespace),
            Change::Remove(k) => in_scope(k.kind, &k.namespace, kind, namespace),
            Change::ReplaceKind {
                kind: k,
                namespace: n,
                ..
            } => *k == kind && (namespace.is_none() || n.as_deref() == namespace),
        }
    }
}

fn in_scope(kind: Kind, ns: &str, scope_kind: Kind, scope_ns: Option<&str>) -> bool {
    kind == scope_kind && scope_ns.is_none_or(|s| s == ns)
}

impl Object {
    pub fn kind(&self) -> Kind {
        match self {
            Object::Namespace(o) => o.kind(),
            Object::Pod(o) => o.kind(),
            Object::Workload(o) => o.kind(),
            Object::Pvc(o) => o.kind(),
            Object::Pv(o) => o.kind(),
            Object::StorageClass(o) => o.kind(),
            Object::ServiceAccount(o) => o.kind(),
            Object::ConfigMap(o) => o.kind(),
            Object::Secret(o) => o.kind(),
            Object::Service(o) => o.kind(),
            Object::Event(o) => o.kind(),
            Object::Role(o) => o.kind(),
            Object::Binding(o) => o.kind(),
            Object::NetworkPolicy(o) => o.kind(),
            Object::AdmissionPolicy(o) => o.kind(),
            Object::AdmissionBinding(o) => o.kind(),
            Object::Custom(o) => o.kind(),
        }
    }

    pub fn meta(&self) -> &Meta {
        match self {
            Object::Namespace(o) => &o.meta,
            Object::Pod(o) => &o.meta,
            Object::Workload(o) => &o.meta,
            Object::Pvc(o) => &o.meta,
            Object::Pv(o) => &o.meta,
            Object::StorageClass(o) => &o.meta,
            Object::ServiceAccount(o) => &o.meta,
            Object::ConfigMap(o) => &o.meta,
            Object::Secret(o) => &o.meta,
            Object::Service(o) => &o.meta,
            Object::Event(o) => &o.meta,
            Object::Role(o) => &o.meta,
            Object::Binding(o) => &o.meta,
            Object::NetworkPolicy(o) => &o.meta,
            Object::AdmissionPolicy(o) => &o.meta,
            Object::AdmissionBinding(o) => &o.meta,
            Object::Custom(o) => &o.meta,
        }
    }

    pub fn key(&self) -> ObjectKey {
        let meta = self.meta();
        ObjectKey::new(self.kind(), meta.namespace.clone(), meta.name.clone())
    }
}

/// An object type the snapshot keeps in one of its lists.
trait Stored: Sized + PartialEq + 'static {
    fn meta(&self) -> &Meta;
    fn kind(&self) -> Kind;
    fn list(snapshot: &mut Snapshot) -> &mut Vec<Self>;
    fn list_ref(snapshot: &Snapshot) -> &[Self];
    fn take(object: Object) -> Option<Self>;
    fn peek(object: &Object) -> Option<&Self>;
}

macro_rules! stored {
    ($t:ty, $list:ident, $variant:ident, |$o:ident| $kind:expr, $unbox:expr) => {
        impl Stored for $t {
            fn meta(&self) -> &Meta {
                &self.meta
            }
            fn kind(&self) -> Kind {
                let $o = self;
                $kind
            }
            fn list(snapshot: &mut Snapshot) -> &mut Vec<Self> {
                &mut snapshot.$list
            }
            fn list_ref(snapshot: &Snapshot) -> &[Self] {
                &snapshot.$list
            }
            fn take(object: Object) -> Option<Self> {
                match object {
                    Object::$variant(o) => Some($unbox(o)),
                    _ => None,
                }
            }
            fn peek(object: &Object) -> Option<&Self> {
                match object {
                    Object::$variant(o) => Some(o),
                    _ => None,
                }
            }
        }
    };
    ($t:ty, $list:ident, $variant:ident, $kind:expr) => {
        stored!($t, $list, $variant, |_o| $kind, |o| o);
    };
}

stored!(Namespace, namespaces, Namespace, Kind::Namespace);
stored!(Pod, pods, Pod, |_o| Kind::Pod, |o: Box<Pod>| *o);
stored!(
    Workload,
    workloads,
    Workload,
    |o| workload_kind(o.kind),
    |o: Box<Workload>| *o
);
stored!(
    PersistentVolumeClaim,
    pvcs,
    Pvc,
    Kind::PersistentVolumeClaim
);
stored!(PersistentVolume, pvs, Pv, Kind::PersistentVolume);
stored!(
    StorageClass,
    storage_classes,
    StorageClass,
    Kind::StorageClass
);
stored!(
    ServiceAccount,
    service_accounts,
    ServiceAccount,
    Kind::ServiceAccount
);
stored!(ConfigMap, config_maps, ConfigMap, Kind::ConfigMap);
stored!(SecretMeta, secrets, Secret, Kind::Secret);
stored!(Service, services, Service, Kind::Service);
stored!(Event, events, Event, Kind::Event);
stored!(
    NetworkPolicy,
    network_policies,
    NetworkPolicy,
    Kind::NetworkPolicy
);
stored!(
    AdmissionPolicy,
    admission_policies,
    AdmissionPolicy,
    Kind::ValidatingAdmissionPolicy
);
stored!(
    AdmissionPolicyBinding,
    admission_bindings,
    AdmissionBinding,
    Kind::ValidatingAdmissionPolicyBinding
);
stored!(CustomObject, custom, Custom, |o| o.kind, |o| o);
stored!(
    Role,
    roles,
    Role,
    |o| if o.is_cluster_role() {
        Kind::ClusterRole
    } else {
        Kind::Role
    },
    |o| o
);
stored!(
    Binding,
    bindings,
    Binding,
    |o| if o.is_cluster_binding() {
        Kind::ClusterRoleBinding
    } else {
        Kind::RoleBinding
    },
    |o| o
);

/// The snapshot's lists; several kinds share one (workloads, roles, bindings, custom).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum List {
    Namespaces,
    Pods,
    Workloads,
    Pvcs,
    Pvs,
    StorageClasses,
    ServiceAccounts,
    ConfigMaps,
    Secrets,
    Services,
    Events,
    Roles,
    Bindings,
    NetworkPolicies,
    AdmissionPolicies,
    AdmissionBindings,
    Custom,
}

fn list_of(kind: Kind) -> List {
    use Kind as K;
    match kind {
        K::Namespace => List::Namespaces,
        K::Pod => List::Pods,
        K::Deployment | K::StatefulSet | K::DaemonSet | K::ReplicaSet | K::Job | K::CronJob => {
            List::Workloads
        }
        K::PersistentVolumeClaim => List::Pvcs,
        K::PersistentVolume => List::Pvs,
        K::StorageClass => List::StorageClasses,
        K::ServiceAccount => List::ServiceAccounts,
        K::ConfigMap => List::ConfigMaps,
        K::Secret => List::Secrets,
        K::Service => List::Services,
        K::Event => List::Events,
        K::Role | K::ClusterRole => List::Roles,
        K::RoleBinding | K::ClusterRoleBinding => List::Bindings,
        K::NetworkPolicy => List::NetworkPolicies,
        K::ValidatingAdmissionPolicy => List::AdmissionPolicies,
        K::ValidatingAdmissionPolicyBinding => List::AdmissionBindings,
        K::Notebook
        | K::PyTorchJob
        | K::TFJob
        | K::InferenceService
        | K::RayCluster
        | K::RayJob => List::Custom,
    }
}

/// Run `$f::<T>` with the stored type of a list.
macro_rules! per_list {
    ($list:expr, $f:ident ( $($arg:expr),* )) => {
        match $list {
            List::Namespaces => $f::<Namespace>($($arg),*),
            List::Pods => $f::<Pod>($($arg),*),
            List::Workloads => $f::<Workload>($($arg),*),
            List::Pvcs => $f::<PersistentVolumeClaim>($($arg),*),
            List::Pvs => $f::<PersistentVolume>($($arg),*),
            List::StorageClasses => $f::<StorageClass>($($arg),*),
            List::ServiceAccounts => $f::<ServiceAccount>($($arg),*),
            List::ConfigMaps => $f::<ConfigMap>($($arg),*),
            List::Secrets => $f::<SecretMeta>($($arg),*),
            List::Services => $f::<Service>($($arg),*),
            List::Events => $f::<Event>($($arg),*),
            List::Roles => $f::<Role>($($arg),*),
            List::Bindings => $f::<Binding>($($arg),*),
            List::NetworkPolicies => $f::<NetworkPolicy>($($arg),*),
            List::AdmissionPolicies => $f::<AdmissionPolicy>($($arg),*),
            List::AdmissionBindings => $f::<AdmissionPolicyBinding>($($arg),*),
            List::Custom => $f::<CustomObject>($($arg),*),
        }
    };
}

impl Snapshot {
    /// Add `object`, or replace the one with the same kind, namespace and name. O(n) in the
    /// objects of its list; use [`Snapshot::apply`] for many. Returns whether anything changed.
    pub fn upsert(&mut self, object: Object) -> bool {
        self.apply(vec![Change::Upsert(Box::new(object))])
    }

    /// Remove the object with `key`. O(n) in the objects of its list. Returns whether it was there.
    pub fn remove(&mut self, key: &ObjectKey) -> bool {
        self.apply(vec![Change::Remove(key.clone())])
    }

    /// Make `objects` the complete list of `kind` (in `namespace`, or everywhere with `None`).
    /// O(n + m) for n objects in the kind's list and m new ones. Returns whether anything changed.
    pub fn replace_kind(
        &mut self,
        kind: Kind,
        namespace: Option<&str>,
        objects: Vec<Object>,
    ) -> bool {
        self.apply(vec![Change::ReplaceKind {
            kind,
            namespace: namespace.map(str::to_string),
            objects,
        }])
    }

    /// Apply changes in order, as if one after the other, with one pass over each list they
    /// touch: O(n + d) for n objects in the touched lists and d changes. Returns whether the
    /// snapshot changed (an upsert of an identical object changes nothing).
    pub fn apply(&mut self, changes: Vec<Change>) -> bool {
        let mut by_list: BTreeMap<List, Vec<Change>> = BTreeMap::new();
        for change in changes {
            by_list
                .entry(list_of(change.kind()))
                .or_default()
                .push(change);
        }
        let mut changed = false;
        for (list, changes) in by_list {
            changed |= per_list!(list, apply_to(self, changes));
        }
        changed
    }

    /// Whether the snapshot's objects of `kind` in the scope are exactly `objects`, in that
    /// order. O(n) with no allocation: it lets a watcher's re-list that found nothing new skip
    /// the copy and the re-evaluation.
    pub fn scope_equals(&self, kind: Kind, namespace: Option<&str>, objects: &[Object]) -> bool {
        per_list!(list_of(kind), scope_equals(self, kind, namespace, objects))
    }

    /// The kind and metadata of every object, list by list.
    pub fn metas(&self) -> Vec<(Kind, &Meta)> {
        let mut all = Vec::new();
        for list in [
            List::Namespaces,
            List::Pods,
            List::Workloads,
            List::Pvcs,
            List::Pvs,
            List::StorageClasses,
            List::ServiceAccounts,
            List::ConfigMaps,
            List::Secrets,
            List::Services,
            List::Events,
            List::Roles,
            List::Bindings,
            List::NetworkPolicies,
            List::AdmissionPolicies,
            List::AdmissionBindings,
            List::Custom,
        ] {
            per_list!(list, metas_of(self, &mut all));
        }
        all
    }
}

fn metas_of<'a, T: Stored>(snapshot: &'a Snapshot, out: &mut Vec<(Kind, &'a Meta)>) {
    out.extend(T::list_ref(snapshot).iter().map(|o| (o.kind(), o.meta())));
}

fn scope_equals<T: Stored>(
    snapshot: &Snapshot,
    kind: Kind,
    namespace: Option<&str>,
    objects: &[Object],
) -> bool {
    let mut current = T::list_ref(snapshot)
        .iter()
        .filter(|o| in_scope(o.kind(), &o.meta().namespace, kind, namespace));
    let mut listed = objects.iter();
    loop {
        match (current.next(), listed.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) => {
                let same = T::peek(b).is_some_and(|b| {
                    b == a && in_scope(b.kind(), &b.meta().namespace, kind, namespace)
                });
                if !same {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

enum Op<T> {
    Upsert(T),
    Remove,
}

/// The changes to one list, reduced to the last operation per key.
struct Plan<T> {
    keys: Vec<ObjectKey>,
    ops: Vec<Op<T>>,
    index: FxHashMap<ObjectKey, usize>,
    /// Scopes listed anew: what is in them and has no operation is gone.
    wiped: Vec<(Kind, Option<String>)>,
}

impl<T: Stored> Plan<T> {
    fn set(&mut self, key: ObjectKey, op: Op<T>) {
        match self.index.get(&key) {
            Some(&i) => self.ops[i] = op,
            None => {
                self.index.insert(key.clone(), self.keys.len());
                self.keys.push(key);
                self.ops.push(op);
            }
        }
    }

    fn upsert(&mut self, object: Object) {
        let key = object.key();
        if let Some(value) = T::take(object) {
            self.set(key, Op::Upsert(value));
        }
    }
}

fn apply_to<T: Stored>(snapshot: &mut Snapshot, changes: Vec<Change>) -> bool {
    let mut plan = Plan::<T> {
        keys: Vec::new(),
        ops: Vec::new(),
        index: FxHashMap::default(),
        wiped: Vec::new(),
    };
    for change in changes {
        match change {
            Change::Upsert(object) => plan.upsert(*object),
            Change::Remove(key) => plan.set(key, Op::Remove),
            Change::ReplaceKind {
                kind,
                namespace,
                objects,
            } => {
                for (key, op) in plan.keys.iter().zip(plan.ops.iter_mut()) {
                    if in_scope(key.kind, &key.namespace, kind, namespace.as_deref()) {
                        *op = Op::Remove;
                    }
                }
                plan.wiped.push((kind, namespace));
                for object in objects {
                    plan.upsert(object);
                }
            }
        }
    }
    let Plan {
        keys, ops, wiped, ..
    } = plan;
    // Borrowed keys, so the pass over the list allocates nothing per object.
    let lookup: FxHashMap<(Kind, &str, &str), usize> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| ((k.kind, k.namespace.as_str(), k.name.as_str()), i))
        .collect();
    let mut ops: Vec<Option<Op<T>>> = ops.into_iter().map(Some).collect();
    let mut changed = false;
    let list = T::list(snapshot);
    list.retain_mut(|item| {
        let found = {
            let meta = item.meta();
            lookup
                .get(&(item.kind(), meta.namespace.as_str(), meta.name.as_str()))
                .copied()
        };
        match found.map(|i| ops[i].take()) {
            Some(Some(Op::Upsert(new))) => {
                if *item != new {
                    *item = new;
                    changed = true;
                }
                true
            }
            // Removed, or a second object with the same key (which a list never holds).
            Some(Some(Op::Remove)) | Some(None) => {
                changed = true;
                false
            }
            None => {
                let gone = wiped.iter().any(|(kind, ns)| {
                    in_scope(item.kind(), &item.meta().namespace, *kind, ns.as_deref())
                });
                changed |= gone;
                !gone
            }
        }
    });
    for op in ops.into_iter().flatten() {
        if let Op::Upsert(new) = op {
            list.push(new);
            changed = true;
        }
    }
    changed
}

#[cfg(test)]
mod tests;
