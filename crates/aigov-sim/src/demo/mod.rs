//! The built-in demo AI platform: a company's cluster, governance problems included.
//!
//! The manifests live in `src/sim/demo/*.yaml`, one file per theme, and are embedded in
//! the binary. The simulator fills in `uid`, `resourceVersion` and `creationTimestamp`
//! when it creates them, and the digest its demo registry serves for every tagged
//! image whose pod status leaves `imageID` empty.

use serde_json::Value;

/// `(file name, text)` for each `demo/<name>.yaml`.
macro_rules! demo_files {
    ($($name:literal),*) => {
        &[$((concat!($name, ".yaml"), include_str!(concat!($name, ".yaml")))),*]
    };
}

/// The demo files. Order within a file is kept; [`objects`] then sorts by kind.
const FILES: &[(&str, &str)] = demo_files! {
    "cluster", "rbac", "admission", "kube-system", "default", "ml-training", "llm-inference",
    "notebooks", "feature-store", "web-shop", "events"
};

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("built-in demo file {file} is not valid YAML: {source}")]
    Yaml {
        file: &'static str,
        #[source]
        // Boxed: the parser's error is large, and this path is cold.
        source: Box<serde_saphyr::Error>,
    },
    #[error("built-in demo file {file}: document {index} lacks apiVersion, kind or name")]
    NotAnObject { file: &'static str, index: usize },
}

/// Every demo object as JSON, in an order that is safe to create (namespaces first).
pub fn objects() -> Result<Vec<Value>, DemoError> {
    let mut out = Vec::new();
    for &(file, text) in FILES {
        let docs = serde_saphyr::from_multiple::<Value>(text).map_err(|e| DemoError::Yaml {
            file,
            source: Box::new(e),
        })?;
        let docs = docs.into_iter().enumerate().filter(|(_, d)| !d.is_null());
        for (index, doc) in docs {
            let text = |p: &&str| doc.pointer(p).and_then(Value::as_str).unwrap_or("");
            let fields = ["/apiVersion", "/kind", "/metadata/name"];
            if fields.iter().any(|p| text(p).is_empty()) {
                return Err(DemoError::NotAnObject { file, index });
            }
            out.push(doc);
        }
    }
    // A stable sort keeps each file's order within a kind.
    out.sort_by_key(|o| creation_rank(o["kind"].as_str().unwrap_or_default()));
    Ok(out)
}

/// Kinds in creation order: namespaces, then what others refer to, then owners before
/// what they own (an InferenceService before its Deployment, a CronJob before its Jobs).
const CREATION_ORDER: &str = "Namespace StorageClass PersistentVolume ClusterRole \
    ValidatingAdmissionPolicy ServiceAccount Secret ConfigMap PersistentVolumeClaim Role \
    ClusterRoleBinding RoleBinding ValidatingAdmissionPolicyBinding NetworkPolicy Notebook \
    PyTorchJob TFJob InferenceService RayCluster RayJob CronJob Deployment StatefulSet \
    DaemonSet ReplicaSet Job Service Pod Event";

fn creation_rank(kind: &str) -> usize {
    let mut order = CREATION_ORDER.split_whitespace();
    order.position(|k| k == kind).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests;
