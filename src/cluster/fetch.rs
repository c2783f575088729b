//! One list page of one kind, fetched with the typed API and converted to the model.
//! Secrets are listed as metadata only: their data never leaves the server.

use crate::model::{Kind, Object, convert as c};
use futures::FutureExt;
use futures::future::BoxFuture;
use k8s_openapi::api::{
    admissionregistration::v1 as adm, apps::v1 as apps, batch::v1 as batch, core::v1 as core,
    networking::v1 as net, rbac::v1 as rbac, storage::v1 as storage,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ListMeta;
use k8s_openapi::{ClusterResourceScope, NamespaceResourceScope};
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};
use kube::{Client, Resource};
use serde::de::DeserializeOwned;

/// Converted objects of one page and where the next page starts.
#[derive(Debug)]
pub struct Page {
    pub objects: Vec<Object>,
    pub continue_token: Option<String>,
    pub remaining: Option<usize>,
}

fn page(objects: Vec<Object>, meta: &ListMeta) -> Page {
    Page {
        objects,
        continue_token: meta.continue_.clone().filter(|t| !t.is_empty()),
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
        .map(|s| Object::Secret(c::secret_meta(&s.metadata)))
        .collect();
    Ok(page(objects, &list.metadata))
}

async fn custom(
    client: Client,
    kind: Kind,
    namespace: Option<String>,
    params: ListParams,
) -> Result<Page, kube::Error> {
    let coords = kind.api();
    let gvk = GroupVersionKind::gvk(coords.group, coords.version, coords.kind);
    let resource = ApiResource::from_gvk_with_plural(&gvk, coords.plural);
    let api: Api<DynamicObject> = match &namespace {
        Some(ns) => Api::namespaced_with(client, ns, &resource),
        None => Api::all_with(client, &resource),
    };
    let list = api.list(&params).await?;
    let objects = list
        .items
        .iter()
        .map(|o| Object::Custom(c::custom_object(kind, c::meta(&o.metadata), &o.data)))
        .collect();
    Ok(page(objects, &list.metadata))
}

/// Fetch one page of `kind`, in `namespace` or across all namespaces.
pub fn fetch_page(
    client: Client,
    kind: Kind,
    namespace: Option<String>,
    params: ListParams,
) -> BoxFuture<'static, Result<Page, kube::Error>> {
    let ns = namespace;
    let p = params;
    match kind {
        Kind::Namespace => {
            cluster::<core::Namespace>(client, p, |o| Object::Namespace(c::namespace(o))).boxed()
        }
        Kind::Pod => {
            namespaced::<core::Pod>(client, ns, p, |o| Object::Pod(Box::new(c::pod(o)))).boxed()
        }
        Kind::PersistentVolumeClaim => {
            namespaced::<core::PersistentVolumeClaim>(client, ns, p, |o| Object::Pvc(c::pvc(o)))
                .boxed()
        }
        Kind::PersistentVolume => {
            cluster::<core::PersistentVolume>(client, p, |o| Object::Pv(c::pv(o))).boxed()
        }
        Kind::ServiceAccount => namespaced::<core::ServiceAccount>(client, ns, p, |o| {
            Object::ServiceAccount(c::service_account(o))
        })
        .boxed(),
        Kind::ConfigMap => {
            namespaced::<core::ConfigMap>(client, ns, p, |o| Object::ConfigMap(c::config_map(o)))
                .boxed()
        }
        Kind::Secret => secrets(client, ns, p).boxed(),
        Kind::Service => {
            namespaced::<core::Service>(client, ns, p, |o| Object::Service(c::service(o))).boxed()
        }
        Kind::Event => {
            namespaced::<core::Event>(client, ns, p, |o| Object::Event(c::event(o))).boxed()
        }
        Kind::Deployment => namespaced::<apps::Deployment>(client, ns, p, |o| {
            Object::Workload(Box::new(c::deployment(o)))
        })
        .boxed(),
        Kind::StatefulSet => namespaced::<apps::StatefulSet>(client, ns, p, |o| {
            Object::Workload(Box::new(c::statefulset(o)))
        })
        .boxed(),
        Kind::DaemonSet => namespaced::<apps::DaemonSet>(client, ns, p, |o| {
            Object::Workload(Box::new(c::daemonset(o)))
        })
        .boxed(),
        Kind::ReplicaSet => namespaced::<apps::ReplicaSet>(client, ns, p, |o| {
            Object::Workload(Box::new(c::replicaset(o)))
        })
        .boxed(),
        Kind::Job => {
            namespaced::<batch::Job>(client, ns, p, |o| Object::Workload(Box::new(c::job(o))))
                .boxed()
        }
        Kind::CronJob => namespaced::<batch::CronJob>(client, ns, p, |o| {
            Object::Workload(Box::new(c::cronjob(o)))
        })
        .boxed(),
        Kind::Role => namespaced::<rbac::Role>(client, ns, p, |o| Object::Role(c::role(o))).boxed(),
        Kind::RoleBinding => {
            namespaced::<rbac::RoleBinding>(client, ns, p, |o| Object::Binding(c::role_binding(o)))
                .boxed()
        }
        Kind::ClusterRole => {
            cluster::<rbac::ClusterRole>(client, p, |o| Object::Role(c::cluster_role(o))).boxed()
        }
        Kind::ClusterRoleBinding => cluster::<rbac::ClusterRoleBinding>(client, p, |o| {
            Object::Binding(c::cluster_role_binding(o))
        })
        .boxed(),
        Kind::StorageClass => cluster::<storage::StorageClass>(client, p, |o| {
            Object::StorageClass(c::storage_class(o))
        })
        .boxed(),
        Kind::NetworkPolicy => namespaced::<net::NetworkPolicy>(client, ns, p, |o| {
            Object::NetworkPolicy(c::network_policy(o))
        })
        .boxed(),
        Kind::ValidatingAdmissionPolicy => {
            cluster::<adm::ValidatingAdmissionPolicy>(client, p, |o| {
                Object::AdmissionPolicy(c::admission_policy(o))
            })
            .boxed()
        }
        Kind::ValidatingAdmissionPolicyBinding => {
            cluster::<adm::ValidatingAdmissionPolicyBinding>(client, p, |o| {
                Object::AdmissionBinding(c::admission_binding(o))
            })
            .boxed()
        }
        Kind::Notebook
        | Kind::PyTorchJob
        | Kind::TFJob
        | Kind::InferenceService
        | Kind::RayCluster
        | Kind::RayJob => custom(client, kind, ns, p).boxed(),
    }
}
