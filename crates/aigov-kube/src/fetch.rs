//! One list page of one kind, fetched with the typed API and converted to the model, and the
//! one match from kind to Rust type and converter that listing and watching share.
//! Secrets are listed as metadata only: their data never leaves the server.

use aigov_core::model::{Kind, Object, convert as c};
use futures::FutureExt;
use futures::future::BoxFuture;
use k8s_openapi::api::{
    admissionregistration::v1 as adm, apps::v1 as apps, batch::v1 as batch, core::v1 as core,
    networking::v1 as net, rbac::v1 as rbac, storage::v1 as storage,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ListMeta, ObjectMeta};
use k8s_openapi::{ClusterResourceScope, NamespaceResourceScope};
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};
use kube::{Client, Resource};
use serde::de::DeserializeOwned;

/// Converted objects of one page, where the next page starts, and the list's
/// resourceVersion (every page of one list reports the version the list was read at).
#[derive(Debug)]
pub struct Page {
    pub objects: Vec<Object>,
    pub continue_token: Option<String>,
    pub remaining: Option<usize>,
    pub resource_version: Option<String>,
}

fn page(objects: Vec<Object>, meta: &ListMeta) -> Page {
    Page {
        objects,
        continue_token: meta.continue_.clone().filter(|t| !t.is_empty()),
        resource_version: meta.resource_version.clone().filter(|v| !v.is_empty()),
        remaining: meta
            .remaining_item_count
            .and_then(|r| usize::try_from(r).ok()),
    }
}

async fn namespaced<K>(
    client: Client,
    namespace: Option<String>,
    params: ListParams,
    convert: fn(&K) -> Object,
) -> Result<Page, kube::Error>
where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + std::fmt::Debug,
{
    let api: Api<K> = match &namespace {
        Some(ns) => Api::namespaced(client, ns),
        None => Api::all(client),
    };
    let list = api.list(&params).await?;
    Ok(page(
        list.items.iter().map(convert).collect(),
        &list.metadata,
    ))
}

async fn cluster<K>(
    client: Client,
    params: ListParams,
    convert: fn(&K) -> Object,
) -> Result<Page, kube::Error>
where
    K: Resource<DynamicType = (), Scope = ClusterResourceScope>
        + Clone
        + DeserializeOwned
        + std::fmt::Debug,
{
    let list = Api::<K>::all(client).list(&params).await?;
    Ok(page(
        list.items.iter().map(convert).collect(),
        &list.metadata,
    ))
}

async fn secrets(
    client: Client,
    namespace: Option<String>,
    params: ListParams,
) -> Result<Page, kube::Error> {
    let api: Api<core::Secret> = match &namespace {
        Some(ns) => Api::namespaced(client, ns),
        None => Api::all(client),
    };
    let list = api.list_metadata(&params).await?;
    let objects = list
        .items
        .iter()
        .map(|s| secret_object(&s.metadata))
        .collect();
    Ok(page(objects, &list.metadata))
}

async fn custom(
    client: Client,
    kind: Kind,
    namespace: Option<String>,
    params: ListParams,
) -> Result<Page, kube::Error> {
    let resource = custom_resource(kind);
    let api: Api<DynamicObject> = match &namespace {
        Some(ns) => Api::namespaced_with(client, ns, &resource),
        None => Api::all_with(client, &resource),
    };
    let list = api.list(&params).await?;
    let objects = list.items.iter().map(|o| custom_object(kind, o)).collect();
    Ok(page(objects, &list.metadata))
}

/// What kube's typed APIs (list and watch) need of a kind's Rust type.
pub(super) trait Typed:
    Resource<DynamicType = ()> + Clone + DeserializeOwned + std::fmt::Debug + Send + Sync + 'static
{
}

impl<K> Typed for K where
    K: Resource<DynamicType = ()>
        + Clone
        + DeserializeOwned
        + std::fmt::Debug
        + Send
        + Sync
        + 'static
{
}

/// What to do with one kind once its Rust type and converter are known. [`for_kind`] holds
/// the one match over every kind, shared by listing ([`fetch_page`]) and watching
/// (`cluster::watch`), so both convert with the same functions.
pub(super) trait KindOp {
    type Output;
    fn namespaced<K>(self, convert: fn(&K) -> Object) -> Self::Output
    where
        K: Resource<DynamicType = (), Scope = NamespaceResourceScope>
            + Clone
            + DeserializeOwned
            + std::fmt::Debug
            + Send
            + Sync
            + 'static;
    fn cluster<K>(self, convert: fn(&K) -> Object) -> Self::Output
    where
        K: Resource<DynamicType = (), Scope = ClusterResourceScope>
            + Clone
            + DeserializeOwned
            + std::fmt::Debug
            + Send
            + Sync
            + 'static;
    /// Secrets, as metadata only.
    fn secrets(self) -> Self::Output;
    /// AI custom resources, read as dynamic objects.
    fn custom(self, kind: Kind) -> Self::Output;
}

/// A Secret's metadata, the only part of a Secret aigov ever asks for.
pub(super) fn secret_object(meta: &ObjectMeta) -> Object {
    Object::Secret(c::secret_meta(meta))
}

/// Where a custom kind is served, for the dynamic API.
pub(super) fn custom_resource(kind: Kind) -> ApiResource {
    let coords = kind.api();
    let gvk = GroupVersionKind::gvk(coords.group, coords.version, coords.kind);
    ApiResource::from_gvk_with_plural(&gvk, coords.plural)
}

pub(super) fn custom_object(kind: Kind, object: &DynamicObject) -> Object {
    Object::Custom(c::custom_object(
        kind,
        c::meta(&object.metadata),
        &object.data,
    ))
}

/// Dispatch `op` on the Rust type and converter of `kind`.
pub(super) fn for_kind<O: KindOp>(kind: Kind, op: O) -> O::Output {
    match kind {
        Kind::Namespace => op.cluster::<core::Namespace>(|o| Object::Namespace(c::namespace(o))),
        Kind::Pod => op.namespaced::<core::Pod>(|o| Object::Pod(Box::new(c::pod(o)))),
        Kind::PersistentVolumeClaim => {
            op.namespaced::<core::PersistentVolumeClaim>(|o| Object::Pvc(c::pvc(o)))
        }
        Kind::PersistentVolume => op.cluster::<core::PersistentVolume>(|o| Object::Pv(c::pv(o))),
        Kind::ServiceAccount => {
            op.namespaced::<core::ServiceAccount>(|o| Object::ServiceAccount(c::service_account(o)))
        }
        Kind::ConfigMap => {
            op.namespaced::<core::ConfigMap>(|o| Object::ConfigMap(c::config_map(o)))
        }
        Kind::Secret => op.secrets(),
        Kind::Service => op.namespaced::<core::Service>(|o| Object::Service(c::service(o))),
        Kind::Event => op.namespaced::<core::Event>(|o| Object::Event(c::event(o))),
        Kind::Deployment => {
            op.namespaced::<apps::Deployment>(|o| Object::Workload(Box::new(c::deployment(o))))
        }
        Kind::StatefulSet => {
            op.namespaced::<apps::StatefulSet>(|o| Object::Workload(Box::new(c::statefulset(o))))
        }
        Kind::DaemonSet => {
            op.namespaced::<apps::DaemonSet>(|o| Object::Workload(Box::new(c::daemonset(o))))
        }
        Kind::ReplicaSet => {
            op.namespaced::<apps::ReplicaSet>(|o| Object::Workload(Box::new(c::replicaset(o))))
        }
        Kind::Job => op.namespaced::<batch::Job>(|o| Object::Workload(Box::new(c::job(o)))),
        Kind::CronJob => {
            op.namespaced::<batch::CronJob>(|o| Object::Workload(Box::new(c::cronjob(o))))
        }
        Kind::Role => op.namespaced::<rbac::Role>(|o| Object::Role(c::role(o))),
        Kind::RoleBinding => {
            op.namespaced::<rbac::RoleBinding>(|o| Object::Binding(c::role_binding(o)))
        }
        Kind::ClusterRole => op.cluster::<rbac::ClusterRole>(|o| Object::Role(c::cluster_role(o))),
        Kind::ClusterRoleBinding => {
            op.cluster::<rbac::ClusterRoleBinding>(|o| Object::Binding(c::cluster_role_binding(o)))
        }
        Kind::StorageClass => {
            op.cluster::<storage::StorageClass>(|o| Object::StorageClass(c::storage_class(o)))
        }
        Kind::NetworkPolicy => {
            op.namespaced::<net::NetworkPolicy>(|o| Object::NetworkPolicy(c::network_policy(o)))
        }
        Kind::ValidatingAdmissionPolicy => op.cluster::<adm::ValidatingAdmissionPolicy>(|o| {
            Object::AdmissionPolicy(c::admission_policy(o))
        }),
        Kind::ValidatingAdmissionPolicyBinding => op
            .cluster::<adm::ValidatingAdmissionPolicyBinding>(|o| {
                Object::AdmissionBinding(c::admission_binding(o))
            }),
        Kind::Notebook
        | Kind::PyTorchJob
        | Kind::TFJob
        | Kind::InferenceService
        | Kind::RayCluster
        | Kind::RayJob => op.custom(kind),
    }
}

/// Listing one page.
struct FetchPage {
    client: Client,
    namespace: Option<String>,
    params: ListParams,
}

impl KindOp for FetchPage {
    type Output = BoxFuture<'static, Result<Page, kube::Error>>;

    fn namespaced<K>(self, convert: fn(&K) -> Object) -> Self::Output
    where
        K: Typed<Scope = NamespaceResourceScope>,
    {
        namespaced::<K>(self.client, self.namespace, self.params, convert).boxed()
    }

    fn cluster<K>(self, convert: fn(&K) -> Object) -> Self::Output
    where
        K: Typed<Scope = ClusterResourceScope>,
    {
        cluster::<K>(self.client, self.params, convert).boxed()
    }

    fn secrets(self) -> Self::Output {
        secrets(self.client, self.namespace, self.params).boxed()
    }

    fn custom(self, kind: Kind) -> Self::Output {
        custom(self.client, kind, self.namespace, self.params).boxed()
    }
}

/// Fetch one page of `kind`, in `namespace` or across all namespaces.
pub fn fetch_page(
    client: Client,
    kind: Kind,
    namespace: Option<String>,
    params: ListParams,
) -> BoxFuture<'static, Result<Page, kube::Error>> {
    for_kind(
        kind,
        FetchPage {
            client,
            namespace,
            params,
        },
    )
}
