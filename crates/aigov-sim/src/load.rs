//! Filling the store before the server starts: the demo platform, fixture directories and
//! synthetic clusters, plus the bootstrap RBAC every simulated cluster has.

use super::objects::prepare_new;
use super::registry::DemoRegistry;
use super::resources::Resources;
use super::store::Store;
use aigov_core::model::image::ImageRef;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dataset {
    /// The built-in demo AI platform.
    Demo,
    /// Every YAML/JSON manifest under a directory.
    Fixture(PathBuf),
    /// A synthetic cluster of about this many pods.
    Scale(usize),
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("demo data: {0}")]
    Demo(String),
    #[error("cannot read fixture {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A malformed document: `file:line: message`.
    #[error("fixture {0}")]
    Parse(String),
    #[error("{origin}: {kind} {name:?} ({api_version}): {message}")]
    Object {
        origin: String,
        api_version: String,
        kind: String,
        name: String,
        message: String,
    },
}

/// Objects every simulated cluster has, whatever the dataset: cluster-admin for
/// `system:masters`, self-reviews for everyone, and the read-only demo user's view role.
fn bootstrap() -> Vec<Value> {
    let readable: Vec<Value> = vec![
        json!({"apiGroups": [""], "resources": ["namespaces", "pods", "persistentvolumeclaims", "persistentvolumes",
            "serviceaccounts", "configmaps", "services", "events"], "verbs": ["get", "list", "watch"]}),
        json!({"apiGroups": ["apps"], "resources": ["deployments", "statefulsets", "daemonsets", "replicasets"], "verbs": ["get", "list", "watch"]}),
        json!({"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": ["get", "list", "watch"]}),
        json!({"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "rolebindings", "clusterroles", "clusterrolebindings"], "verbs": ["get", "list", "watch"]}),
        json!({"apiGroups": ["storage.k8s.io"], "resources": ["storageclasses"], "verbs": ["get", "list", "watch"]}),
        json!({"apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies"], "verbs": ["get", "list", "watch"]}),
        json!({"apiGroups": ["admissionregistration.k8s.io"], "resources": ["validatingadmissionpolicies", "validatingadmissionpolicybindings"], "verbs": ["get", "list", "watch"]}),
        json!({"apiGroups": ["kubeflow.org", "serving.kserve.io", "ray.io"], "resources": ["*"], "verbs": ["get", "list", "watch"]}),
    ];
    vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "cluster-admin",
            "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}},
            "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}, {"nonResourceURLs": ["*"], "verbs": ["*"]}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "cluster-admin",
            "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:masters"}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "system:basic-user",
            "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}},
            "rules": [{"apiGroups": ["authorization.k8s.io"], "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"], "verbs": ["create"]},
                      {"apiGroups": ["authentication.k8s.io"], "resources": ["selfsubjectreviews"], "verbs": ["create"]}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "system:basic-user",
            "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:basic-user"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:authenticated"}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "aigov-demo-view"},
            "rules": readable}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "aigov-demo-readonly"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "aigov-demo-view"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": super::READONLY_USER}]}),
    ]
}

fn fixture_objects(dir: &Path) -> Result<Vec<(String, Value)>, LoadError> {
    use aigov_core::manifest::{manifest_files, read_text};
    let files = manifest_files(dir).map_err(|source| LoadError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut objects = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).map_err(|source| LoadError::Io {
            path: path.clone(),
            source,
        })?;
        let (mut documents, mut problems) = (Vec::new(), Vec::new());
        read_text(&path, &text, &mut documents, &mut problems);
        if let Some(problem) = problems.first() {
            return Err(LoadError::Parse(problem.to_string()));
        }
        let origin = path.display().to_string();
        objects.extend(
            documents
                .into_iter()
                .map(|d| (format!("{origin}:{}", d.line), d.value)),
        );
    }
    Ok(objects)
}

/// Give running containers the digest the demo registry serves for their tag, unless the
/// data says otherwise (a pod still running an older push).
fn fill_image_ids(pod: &mut Value, registry: &DemoRegistry) {
    let Some(statuses) = pod
        .pointer_mut("/status/containerStatuses")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for status in statuses {
        if status
            .get("imageID")
            .and_then(Value::as_str)
            .is_some_and(|id| !id.is_empty())
        {
            continue;
        }
        let Some(image) = status
            .get("image")
            .and_then(Value::as_str)
            .and_then(|i| ImageRef::parse(i).ok())
        else {
            continue;
        };
        let digest = image.digest.clone().or_else(|| registry.digest_for(&image));
        if let Some(digest) = digest {
            status["imageID"] = json!(format!("{}@{digest}", image.name()));
        }
    }
}

pub fn load_all(
    datasets: &[Dataset],
    resources: &Resources,
    store: &Store,
    registry: &DemoRegistry,
) -> Result<(), LoadError> {
    let mut objects: Vec<(String, Value)> = Vec::new();
    for dataset in datasets {
        match dataset {
            Dataset::Demo => {
                let demo = super::demo::objects().map_err(|e| LoadError::Demo(e.to_string()))?;
                objects.extend(demo.into_iter().map(|o| ("demo".to_string(), o)));
            }
            Dataset::Fixture(dir) => objects.extend(fixture_objects(dir)?),
            Dataset::Scale(pods) => objects.extend(
                super::scale::generate(*pods)
                    .into_iter()
                    .map(|o| ("scale".to_string(), o)),
            ),
        }
    }
    let mut seen: HashSet<(String, String, String, String)> = HashSet::new();
    let identity = |o: &Value| {
        let text = |p: &str| {
            o.pointer(p)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        (
            text("/apiVersion"),
            text("/kind"),
            text("/metadata/namespace"),
            text("/metadata/name"),
        )
    };
    for (_, o) in &objects {
        seen.insert(identity(o));
    }
    let missing: Vec<(String, Value)> = bootstrap()
        .into_iter()
        .filter(|o| !seen.contains(&identity(o)))
        .map(|o| ("bootstrap".to_string(), o))
        .collect();
    let mut ordered = missing;
    ordered.extend(objects);
    // Namespaces first, so that nothing lands in a namespace that does not exist yet.
    ordered.sort_by_key(|(_, o)| o.get("kind").and_then(Value::as_str) != Some("Namespace"));

    let mut images: Vec<String> = ordered
        .iter()
        .flat_map(|(_, o)| aigov_core::model::convert::images_in(o))
        .collect();
    images.sort();
    images.dedup();
    for image in images.iter().filter_map(|i| ImageRef::parse(i).ok()) {
        if let Some(tag) = &image.tag {
            registry.publish(&image.name(), tag, 0);
        } else if image.digest.is_none() {
            registry.publish(&image.name(), "latest", 0);
        }
    }
    for (origin, mut object) in ordered {
        let (api_version, kind, namespace, name) = identity(&object);
        let fail = |message: String| LoadError::Object {
            origin: origin.clone(),
            api_version: api_version.clone(),
            kind: kind.clone(),
            name: name.clone(),
            message,
        };
        let id = resources
            .by_kind(&api_version, &kind)
            .ok_or_else(|| fail("the simulator does not serve this kind".into()))?;
        let t = resources.get(id);
        if t.namespaced && namespace.is_empty() {
            return Err(fail("a namespaced object needs metadata.namespace".into()));
        }
        prepare_new(t, &namespace, &mut object, true).map_err(|e| fail(e.message))?;
        if kind == "Pod" {
            fill_image_ids(&mut object, registry);
        }
        store.load(id, object);
    }
    Ok(())
}
