//! The resource kinds aigov reads, with the API coordinates each one is served at.

use serde::{Deserialize, Serialize};

/// Every kind the snapshot holds. The order is the order reports list them in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Kind {
    Namespace,
    Pod,
    PersistentVolumeClaim,
    PersistentVolume,
    ServiceAccount,
    ConfigMap,
    Secret,
    Service,
    Event,
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    Job,
    CronJob,
    Role,
    RoleBinding,
    ClusterRole,
    ClusterRoleBinding,
    StorageClass,
    NetworkPolicy,
    ValidatingAdmissionPolicy,
    ValidatingAdmissionPolicyBinding,
    Notebook,
    PyTorchJob,
    TFJob,
    InferenceService,
    RayCluster,
    RayJob,
}

/// Where a kind is served: enough to build a URL and to describe it in discovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiCoordinates {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
}

impl ApiCoordinates {
    /// `v1` for the core group, `group/version` otherwise, as in `apiVersion`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

const fn coords(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    singular: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
) -> ApiCoordinates {
    ApiCoordinates {
        group,
        version,
        kind,
        plural,
        singular,
        namespaced,
        short_names,
    }
}

impl Kind {
    pub const ALL: [Kind; 29] = [
        Kind::Namespace,
        Kind::Pod,
        Kind::PersistentVolumeClaim,
        Kind::PersistentVolume,
        Kind::ServiceAccount,
        Kind::ConfigMap,
        Kind::Secret,
        Kind::Service,
        Kind::Event,
        Kind::Deployment,
        Kind::StatefulSet,
        Kind::DaemonSet,
        Kind::ReplicaSet,
        Kind::Job,
        Kind::CronJob,
        Kind::Role,
        Kind::RoleBinding,
        Kind::ClusterRole,
        Kind::ClusterRoleBinding,
        Kind::StorageClass,
        Kind::NetworkPolicy,
        Kind::ValidatingAdmissionPolicy,
        Kind::ValidatingAdmissionPolicyBinding,
        Kind::Notebook,
        Kind::PyTorchJob,
        Kind::TFJob,
        Kind::InferenceService,
        Kind::RayCluster,
        Kind::RayJob,
    ];

    pub fn api(self) -> ApiCoordinates {
        use Kind::*;
        match self {
            Namespace => coords(
                "",
                "v1",
                "Namespace",
                "namespaces",
                "namespace",
                false,
                &["ns"],
            ),
            Pod => coords("", "v1", "Pod", "pods", "pod", true, &["po"]),
            PersistentVolumeClaim => coords(
                "",
                "v1",
                "PersistentVolumeClaim",
                "persistentvolumeclaims",
                "persistentvolumeclaim",
                true,
                &["pvc"],
            ),
            PersistentVolume => coords(
                "",
                "v1",
                "PersistentVolume",
                "persistentvolumes",
                "persistentvolume",
                false,
                &["pv"],
            ),
            ServiceAccount => coords(
                "",
                "v1",
                "ServiceAccount",
                "serviceaccounts",
                "serviceaccount",
                true,
                &["sa"],
            ),
            ConfigMap => coords(
                "",
                "v1",
                "ConfigMap",
                "configmaps",
                "configmap",
                true,
                &["cm"],
            ),
            Secret => coords("", "v1", "Secret", "secrets", "secret", true, &[]),
            Service => coords("", "v1", "Service", "services", "service", true, &["svc"]),
            Event => coords("", "v1", "Event", "events", "event", true, &["ev"]),
            Deployment => coords(
                "apps",
                "v1",
                "Deployment",
                "deployments",
                "deployment",
                true,
                &["deploy"],
            ),
            StatefulSet => coords(
                "apps",
                "v1",
                "StatefulSet",
                "statefulsets",
                "statefulset",
                true,
                &["sts"],
            ),
            DaemonSet => coords(
                "apps",
                "v1",
                "DaemonSet",
                "daemonsets",
                "daemonset",
                true,
                &["ds"],
            ),
            ReplicaSet => coords(
                "apps",
                "v1",
                "ReplicaSet",
                "replicasets",
                "replicaset",
                true,
                &["rs"],
            ),
            Job => coords("batch", "v1", "Job", "jobs", "job", true, &[]),
            CronJob => coords(
                "batch",
                "v1",
                "CronJob",
                "cronjobs",
                "cronjob",
                true,
                &["cj"],
            ),
            Role => coords(
                "rbac.authorization.k8s.io",
                "v1",
                "Role",
                "roles",
                "role",
                true,
                &[],
            ),
            RoleBinding => coords(
                "rbac.authorization.k8s.io",
                "v1",
                "RoleBinding",
                "rolebindings",
                "rolebinding",
                true,
                &[],
            ),
            ClusterRole => coords(
                "rbac.authorization.k8s.io",
                "v1",
                "ClusterRole",
                "clusterroles",
                "clusterrole",
                false,
                &[],
            ),
            ClusterRoleBinding => coords(
                "rbac.authorization.k8s.io",
                "v1",
                "ClusterRoleBinding",
                "clusterrolebindings",
                "clusterrolebinding",
                false,
                &[],
            ),
            StorageClass => coords(
                "storage.k8s.io",
                "v1",
                "StorageClass",
                "storageclasses",
                "storageclass",
                false,
                &["sc"],
            ),
            NetworkPolicy => coords(
                "networking.k8s.io",
                "v1",
                "NetworkPolicy",
                "networkpolicies",
                "networkpolicy",
                true,
                &["netpol"],
            ),
            ValidatingAdmissionPolicy => coords(
                "admissionregistration.k8s.io",
                "v1",
                "ValidatingAdmissionPolicy",
                "validatingadmissionpolicies",
                "validatingadmissionpolicy",
                false,
                &[],
            ),
            ValidatingAdmissionPolicyBinding => coords(
                "admissionregistration.k8s.io",
                "v1",
                "ValidatingAdmissionPolicyBinding",
                "validatingadmissionpolicybindings",
                "validatingadmissionpolicybinding",
                false,
                &[],
            ),
            Notebook => coords(
                "kubeflow.org",
                "v1",
                "Notebook",
                "notebooks",
                "notebook",
                true,
                &[],
            ),
            PyTorchJob => coords(
                "kubeflow.org",
                "v1",
                "PyTorchJob",
                "pytorchjobs",
                "pytorchjob",
                true,
                &[],
            ),
            TFJob => coords("kubeflow.org", "v1", "TFJob", "tfjobs", "tfjob", true, &[]),
            InferenceService => coords(
                "serving.kserve.io",
                "v1beta1",
                "InferenceService",
                "inferenceservices",
                "inferenceservice",
                true,
                &["isvc"],
            ),
            RayCluster => coords(
                "ray.io",
                "v1",
                "RayCluster",
                "rayclusters",
                "raycluster",
                true,
                &[],
            ),
            RayJob => coords("ray.io", "v1", "RayJob", "rayjobs", "rayjob", true, &[]),
        }
    }

    /// Kinds defined by CustomResourceDefinitions: absent from a cluster that does not
    /// install them, which is not the same as unreadable.
    pub fn is_custom(self) -> bool {
        matches!(
            self,
            Kind::Notebook
                | Kind::PyTorchJob
                | Kind::TFJob
                | Kind::InferenceService
                | Kind::RayCluster
                | Kind::RayJob
        )
    }

    /// The kind whose `kind` field or plural resource name is `name`.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| {
            let api = k.api();
            api.kind.eq_ignore_ascii_case(name)
                || api.plural == name
                || api.singular == name
                || api.short_names.contains(&name)
        })
    }

    /// The kind an object's `apiVersion` and `kind` name. The version is not compared, so
    /// manifests written against an older version of a group are still recognised.
    pub fn from_api(api_version: &str, kind: &str) -> Option<Kind> {
        let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
        Kind::ALL.into_iter().find(|k| {
            let api = k.api();
            api.kind == kind && api.group == group
        })
    }

    pub fn name(self) -> &'static str {
        self.api().kind
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_kind_once_with_unique_plurals() {
        let mut plurals: Vec<_> = Kind::ALL
            .iter()
            .map(|k| (k.api().group, k.api().plural))
            .collect();
        plurals.sort();
        plurals.dedup();
        assert_eq!(plurals.len(), Kind::ALL.len());
    }

    #[test]
    fn from_name_accepts_kind_plural_and_short_names() {
        assert_eq!(Kind::from_name("Pod"), Some(Kind::Pod));
        assert_eq!(Kind::from_name("pvc"), Some(Kind::PersistentVolumeClaim));
        assert_eq!(
            Kind::from_name("clusterrolebindings"),
            Some(Kind::ClusterRoleBinding)
        );
        assert_eq!(Kind::from_name("widgets"), None);
    }

    #[test]
    fn from_api_matches_group_and_kind_whatever_the_version() {
        assert_eq!(
            Kind::from_api("apps/v1", "Deployment"),
            Some(Kind::Deployment)
        );
        assert_eq!(
            Kind::from_api("batch/v1beta1", "CronJob"),
            Some(Kind::CronJob)
        );
        assert_eq!(Kind::from_api("v1", "Pod"), Some(Kind::Pod));
        assert_eq!(Kind::from_api("extensions/v1beta1", "Deployment"), None);
        assert_eq!(Kind::from_api("v1", "Deployment"), None);
    }

    #[test]
    fn api_version_omits_the_core_group() {
        assert_eq!(Kind::Pod.api().api_version(), "v1");
        assert_eq!(Kind::Deployment.api().api_version(), "apps/v1");
    }
}
