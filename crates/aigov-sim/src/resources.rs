//! The resource types the simulator serves, and how URL paths map onto them.

use aigov_core::model::Kind;

/// One served resource type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceType {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub list_kind: String,
    pub plural: &'static str,
    pub singular: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub verbs: &'static [&'static str],
    pub categories: &'static [&'static str],
    /// Reviews are virtual: only `create`, nothing stored.
    pub review: bool,
}

impl ResourceType {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    pub fn is_custom(&self) -> bool {
        Kind::from_name(self.kind).is_some_and(Kind::is_custom)
    }
}

const STORED_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
const REVIEW_VERBS: &[&str] = &["create"];

/// The custom resources the simulator installs. TFJob and RayJob are deliberately
/// absent, so clients meet a cluster where some AI CRDs are not installed.
const SERVED_CUSTOM: [Kind; 4] = [
    Kind::Notebook,
    Kind::PyTorchJob,
    Kind::InferenceService,
    Kind::RayCluster,
];

/// The whole table: every stored kind aigov reads, then the review APIs.
pub fn all() -> Vec<ResourceType> {
    let mut table: Vec<ResourceType> = Kind::ALL
        .into_iter()
        .filter(|k| !k.is_custom() || SERVED_CUSTOM.contains(k))
        .map(|k| {
            let api = k.api();
            let categories: &'static [&'static str] = match k {
                Kind::Pod
                | Kind::Service
                | Kind::Deployment
                | Kind::StatefulSet
                | Kind::DaemonSet
                | Kind::ReplicaSet
                | Kind::Job
                | Kind::CronJob => &["all"],
                _ => &[],
            };
            ResourceType {
                group: api.group,
                version: api.version,
                kind: api.kind,
                list_kind: format!("{}List", api.kind),
                plural: api.plural,
                singular: api.singular,
                namespaced: api.namespaced,
                short_names: api.short_names,
                verbs: STORED_VERBS,
                categories,
                review: false,
            }
        })
        .collect();
    let review = |group: &'static str,
                  version: &'static str,
                  kind: &'static str,
                  plural: &'static str,
                  singular: &'static str| {
        ResourceType {
            group,
            version,
            kind,
            list_kind: format!("{kind}List"),
            plural,
            singular,
            namespaced: false,
            short_names: &[],
            verbs: REVIEW_VERBS,
            categories: &[],
            review: true,
        }
    };
    for version in ["v1", "v1beta1", "v1alpha1"] {
        table.push(review(
            "authentication.k8s.io",
            version,
            "SelfSubjectReview",
            "selfsubjectreviews",
            "selfsubjectreview",
        ));
    }
    table.push(review(
        "authorization.k8s.io",
        "v1",
        "SelfSubjectAccessReview",
        "selfsubjectaccessreviews",
        "selfsubjectaccessreview",
    ));
    table.push(review(
        "authorization.k8s.io",
        "v1",
        "SelfSubjectRulesReview",
        "selfsubjectrulesreviews",
        "selfsubjectrulesreview",
    ));
    table
}

/// Index of a resource type in the table; stable for the simulator's lifetime.
pub type ResourceId = usize;

/// The served table with look-ups by group/version/plural and by kind.
#[derive(Debug)]
pub struct Resources {
    pub types: Vec<ResourceType>,
}

impl Resources {
    pub fn new() -> Self {
        Self { types: all() }
    }

    pub fn by_path(&self, group: &str, version: &str, plural: &str) -> Option<ResourceId> {
        self.types
            .iter()
            .position(|t| t.group == group && t.version == version && t.plural == plural)
    }

    /// The resource for an object's `apiVersion` and `kind`.
    pub fn by_kind(&self, api_version: &str, kind: &str) -> Option<ResourceId> {
        self.types
            .iter()
            .position(|t| t.api_version() == api_version && t.kind == kind)
    }

    pub fn get(&self, id: ResourceId) -> &ResourceType {
        &self.types[id]
    }

    pub fn id_of(&self, kind: Kind) -> Option<ResourceId> {
        let api = kind.api();
        self.by_path(api.group, api.version, api.plural)
    }

    /// Group versions in discovery order: core first, then the named groups as listed.
    pub fn group_versions(&self) -> Vec<(&'static str, &'static str)> {
        let mut seen: Vec<(&'static str, &'static str)> = Vec::new();
        for t in &self.types {
            if !seen.contains(&(t.group, t.version)) {
                seen.push((t.group, t.version));
            }
        }
        seen
    }
}

impl Default for Resources {
    fn default() -> Self {
        Self::new()
    }
}

/// What a request path addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePath {
    pub resource: ResourceId,
    /// Empty for cluster-scoped types and for all-namespace collections.
    pub namespace: String,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathError {
    /// Not an API path at all, or an unknown group/version.
    NotFound,
    /// A known group/version without this resource.
    UnknownResource {
        group: String,
        version: String,
        plural: String,
    },
}

/// Parse `/api/v1/...` or `/apis/G/V/...` into a resource address.
pub fn parse_path(resources: &Resources, path: &str) -> Result<ResourcePath, PathError> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match segments.as_slice() {
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return Err(PathError::NotFound),
    };
    if !resources
        .types
        .iter()
        .any(|t| t.group == group && t.version == version)
    {
        return Err(PathError::NotFound);
    }
    let unknown = |plural: &str| PathError::UnknownResource {
        group: group.to_string(),
        version: version.to_string(),
        plural: plural.to_string(),
    };
    let lookup = |plural: &str| {
        resources
            .by_path(group, version, plural)
            .ok_or_else(|| unknown(plural))
    };
    let namespaced_lookup = |plural: &str| {
        resources
            .by_path(group, version, plural)
            .filter(|id| resources.get(*id).namespaced)
    };
    let owned = |s: &str| s.to_string();
    match rest {
        [] => Err(PathError::NotFound),
        // namespaces/NS/PLURAL[/NAME[/SUB]] for namespaced kinds
        ["namespaces", ns, plural, tail @ ..] if namespaced_lookup(plural).is_some() => {
            let resource = namespaced_lookup(plural).ok_or_else(|| unknown(plural))?;
            match tail {
                [] => Ok(ResourcePath {
                    resource,
                    namespace: owned(ns),
                    name: None,
                    subresource: None,
                }),
                [name] => Ok(ResourcePath {
                    resource,
                    namespace: owned(ns),
                    name: Some(owned(name)),
                    subresource: None,
                }),
                [name, sub] => Ok(ResourcePath {
                    resource,
                    namespace: owned(ns),
                    name: Some(owned(name)),
                    subresource: Some(owned(sub)),
                }),
                _ => Err(PathError::NotFound),
            }
        }
        [plural] => Ok(ResourcePath {
            resource: lookup(plural)?,
            namespace: String::new(),
            name: None,
            subresource: None,
        }),
        [plural, name] => {
            let resource = lookup(plural)?;
            Ok(ResourcePath {
                resource,
                // A namespace object's own namespace attribute is its name, as in the API server.
                namespace: String::new(),
                name: Some(owned(name)),
                subresource: None,
            })
        }
        [plural, name, sub] => Ok(ResourcePath {
            resource: lookup(plural)?,
            namespace: String::new(),
            name: Some(owned(name)),
            subresource: Some(owned(sub)),
        }),
        _ => Err(PathError::NotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_core_namespaced_and_cluster_paths() {
        let r = Resources::new();
        let pods = r.id_of(Kind::Pod).unwrap();
        let ns = r.id_of(Kind::Namespace).unwrap();
        assert_eq!(
            parse_path(&r, "/api/v1/namespaces/ml/pods/train-0").unwrap(),
            ResourcePath {
                resource: pods,
                namespace: "ml".into(),
                name: Some("train-0".into()),
                subresource: None
            }
        );
        assert_eq!(
            parse_path(&r, "/api/v1/pods").unwrap(),
            ResourcePath {
                resource: pods,
                namespace: String::new(),
                name: None,
                subresource: None
            }
        );
        assert_eq!(
            parse_path(&r, "/api/v1/namespaces/ml").unwrap(),
            ResourcePath {
                resource: ns,
                namespace: String::new(),
                name: Some("ml".into()),
                subresource: None
            }
        );
        assert_eq!(
            parse_path(&r, "/api/v1/namespaces/ml/status")
                .unwrap()
                .subresource
                .as_deref(),
            Some("status")
        );
    }

    #[test]
    fn parses_group_paths_and_rejects_unknown_ones() {
        let r = Resources::new();
        let deployments = r.id_of(Kind::Deployment).unwrap();
        assert_eq!(
            parse_path(&r, "/apis/apps/v1/namespaces/a/deployments/web/scale").unwrap(),
            ResourcePath {
                resource: deployments,
                namespace: "a".into(),
                name: Some("web".into()),
                subresource: Some("scale".into())
            }
        );
        assert_eq!(
            parse_path(&r, "/apis/nope/v1/things"),
            Err(PathError::NotFound)
        );
        assert!(matches!(
            parse_path(&r, "/apis/apps/v1/widgets"),
            Err(PathError::UnknownResource { .. })
        ));
        assert!(parse_path(&r, "/apis/kubeflow.org/v1/tfjobs").is_err());
    }
}
