//! Access questions as the user asks them: `VERB RESOURCE[/SUBRESOURCE]` (or a non-resource
//! URL) read into an RBAC request, the RBAC-only load that `who-can` and `can-i` share, and the
//! RBAC kinds that could not be read. The console's inline who-can uses the same reading.

use super::Error;
use super::session::{self, Session};
use crate::settings::Settings;
use aigov_core::model::{Kind, Snapshot};
use aigov_core::rules::rbac::Request;
use aigov_kube::{LoadOptions, load};
use std::sync::Arc;

/// A request as the user asked it, with notes on how it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub request: Request,
    /// Whether the resource is namespaced; `None` when unknown (and for non-resource URLs).
    pub namespaced: Option<bool>,
    /// How the arguments were interpreted, for the user (an assumed API group, an ignored
    /// namespace).
    pub notes: Vec<String>,
}

/// (group, plural, singular, short names, namespaced) of well-known resources that are not
/// among the kinds aigov reads, so that `who-can create ingresses` finds the right group.
const OTHER_RESOURCES: &[(&str, &str, &str, &[&str], bool)] = &[
    ("", "nodes", "node", &["no"], false),
    ("", "users", "user", &[], false),
    ("", "groups", "group", &[], false),
    (
        "",
        "replicationcontrollers",
        "replicationcontroller",
        &["rc"],
        true,
    ),
    ("", "endpoints", "endpoints", &["ep"], true),
    ("", "limitranges", "limitrange", &["limits"], true),
    ("", "resourcequotas", "resourcequota", &["quota"], true),
    ("", "podtemplates", "podtemplate", &[], true),
    ("", "componentstatuses", "componentstatus", &["cs"], false),
    (
        "apps",
        "controllerrevisions",
        "controllerrevision",
        &[],
        true,
    ),
    ("networking.k8s.io", "ingresses", "ingress", &["ing"], true),
    (
        "networking.k8s.io",
        "ingressclasses",
        "ingressclass",
        &[],
        false,
    ),
    (
        "autoscaling",
        "horizontalpodautoscalers",
        "horizontalpodautoscaler",
        &["hpa"],
        true,
    ),
    (
        "policy",
        "poddisruptionbudgets",
        "poddisruptionbudget",
        &["pdb"],
        true,
    ),
    (
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        "customresourcedefinition",
        &["crd", "crds"],
        false,
    ),
    (
        "certificates.k8s.io",
        "certificatesigningrequests",
        "certificatesigningrequest",
        &["csr"],
        false,
    ),
    ("coordination.k8s.io", "leases", "lease", &[], true),
    (
        "discovery.k8s.io",
        "endpointslices",
        "endpointslice",
        &[],
        true,
    ),
    (
        "scheduling.k8s.io",
        "priorityclasses",
        "priorityclass",
        &["pc"],
        false,
    ),
    ("storage.k8s.io", "csidrivers", "csidriver", &[], false),
    ("storage.k8s.io", "csinodes", "csinode", &[], false),
    (
        "storage.k8s.io",
        "volumeattachments",
        "volumeattachment",
        &[],
        false,
    ),
    (
        "admissionregistration.k8s.io",
        "mutatingwebhookconfigurations",
        "mutatingwebhookconfiguration",
        &[],
        false,
    ),
    (
        "admissionregistration.k8s.io",
        "validatingwebhookconfigurations",
        "validatingwebhookconfiguration",
        &[],
        false,
    ),
    (
        "authentication.k8s.io",
        "tokenreviews",
        "tokenreview",
        &[],
        false,
    ),
    (
        "authentication.k8s.io",
        "selfsubjectreviews",
        "selfsubjectreview",
        &[],
        false,
    ),
    ("authentication.k8s.io", "uids", "uid", &[], false),
    (
        "authentication.k8s.io",
        "userextras",
        "userextra",
        &[],
        false,
    ),
    (
        "authorization.k8s.io",
        "subjectaccessreviews",
        "subjectaccessreview",
        &[],
        false,
    ),
    (
        "authorization.k8s.io",
        "selfsubjectaccessreviews",
        "selfsubjectaccessreview",
        &[],
        false,
    ),
    (
        "authorization.k8s.io",
        "selfsubjectrulesreviews",
        "selfsubjectrulesreview",
        &[],
        false,
    ),
    (
        "authorization.k8s.io",
        "localsubjectaccessreviews",
        "localsubjectaccessreview",
        &[],
        true,
    ),
];

/// A resource name resolved to (group, plural, namespaced).
fn resolve(name: &str, group: Option<&str>) -> Option<(String, String, bool)> {
    let known = Kind::ALL.into_iter().map(|k| {
        let api = k.api();
        (
            api.group,
            api.plural,
            api.singular,
            api.short_names,
            api.namespaced,
            api.kind,
        )
    });
    let others = OTHER_RESOURCES
        .iter()
        .map(|&(g, p, s, short, ns)| (g, p, s, short, ns, ""));
    known
        .chain(others)
        .find_map(|(g, plural, singular, short, namespaced, kind)| {
            let named = plural == name
                || singular == name
                || short.contains(&name)
                || kind.eq_ignore_ascii_case(name);
            (named && group.is_none_or(|want| want == g))
                .then(|| (g.to_string(), plural.to_string(), namespaced))
        })
}

/// Whether `segment` is an API version such as `v1`, `v1beta1` or `v2alpha3`.
fn is_version(segment: &str) -> bool {
    let Some(rest) = segment.strip_prefix('v') else {
        return false;
    };
    let digits = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    digits.len() < rest.len()
        && ["", "alpha", "beta"].iter().any(|p| {
            digits
                .strip_prefix(p)
                .is_some_and(|d| d.chars().all(|c| c.is_ascii_digit()))
        })
}

/// Read `VERB RESOURCE[/SUBRESOURCE]` (or a non-resource URL such as `/healthz`) as a request.
/// RESOURCE may be a plural, a singular, a kind, a short name, `RESOURCE.GROUP`,
/// `RESOURCE.VERSION.GROUP` or `*`; an unknown resource without a group is assumed to be in
/// the core group, with a note.
pub fn parse_target(
    verb: &str,
    resource: &str,
    namespace: Option<&str>,
    name: Option<&str>,
) -> Result<Target, Error> {
    let usage = |what: String| Error::Usage(what);
    let verb = verb.trim();
    if verb.is_empty() || verb.chars().any(char::is_whitespace) {
        return Err(usage(format!(
            "{verb:?} is not a verb: give one such as get, list, create, delete or *"
        )));
    }
    let resource = resource.trim();
    let mut notes = Vec::new();
    if resource.starts_with('/') {
        if namespace.is_some() || name.is_some() {
            notes.push(format!(
                "{resource} is a non-resource URL: the namespace and name are ignored"
            ));
        }
        return Ok(Target {
            request: Request::non_resource(verb, resource),
            namespaced: None,
            notes,
        });
    }
    let (base, sub) = match resource.split_once('/') {
        Some((_, sub)) if sub.is_empty() || sub.contains('/') => {
            return Err(usage(format!(
                "{resource:?} is not RESOURCE or RESOURCE/SUBRESOURCE (e.g. pods/exec); a URL starts with /"
            )));
        }
        Some((base, sub)) => (base.to_ascii_lowercase(), sub.to_string()),
        None => (resource.to_ascii_lowercase(), String::new()),
    };
    if base.is_empty() {
        return Err(usage(format!(
            "{resource:?} names no resource: give one such as pods, deployments.apps or *"
        )));
    }
    let (group, plural, namespaced) = if base == "*" {
        (String::new(), base.clone(), None)
    } else if let Some((g, p, ns)) = resolve(&base, None) {
        (g, p, Some(ns))
    } else if let Some((res, rest)) = base.split_once('.') {
        let group = match rest.split_once('.') {
            Some((version, group)) if is_version(version) => group,
            _ => rest,
        };
        match resolve(res, Some(group)) {
            Some((g, p, ns)) => (g, p, Some(ns)),
            None => (group.to_string(), res.to_string(), None),
        }
    } else {
        notes.push(format!(
            "unknown resource {base:?}: assuming the core API group (\"\"); write RESOURCE.GROUP to name another"
        ));
        (String::new(), base.clone(), None)
    };
    let namespace = match (namespace, namespaced) {
        (Some(ns), Some(false)) => {
            notes.push(format!(
                "{plural} is cluster-scoped: the namespace {ns:?} is ignored"
            ));
            ""
        }
        (Some(ns), _) => ns,
        (None, _) => "",
    };
    let request = Request::resource(verb, &group, &plural, namespace, name.unwrap_or_default());
    Ok(Target {
        request: request.with_subresource(&sub),
        namespaced,
        notes,
    })
}

/// The kinds who-can and can-i read: RBAC and the namespaces (for per-namespace retries).
const RBAC_LOAD: [Kind; 5] = [
    Kind::Namespace,
    Kind::ClusterRole,
    Kind::ClusterRoleBinding,
    Kind::Role,
    Kind::RoleBinding,
];

/// Connect and load only what RBAC evaluation needs; an error when none of it was readable.
pub async fn load_rbac(settings: &Settings) -> Result<(Session, Snapshot), Error> {
    let session = session::open(settings).await?;
    let options = LoadOptions {
        kinds: RBAC_LOAD.to_vec(),
        ..LoadOptions::default()
    };
    let snapshot = load(&session.connection, &options, Arc::new(|_| {})).await;
    super::analysis::refuse_if_nothing_was_read(&snapshot)?;
    Ok((session, snapshot))
}

/// The RBAC kinds that could not be read for a request in `namespace` (empty: cluster-wide),
/// as sentences for the user.
pub fn unreadable(snapshot: &Snapshot, namespace: &str) -> Vec<String> {
    let mut kinds = vec![Kind::ClusterRoleBinding, Kind::ClusterRole];
    if !namespace.is_empty() {
        kinds.extend([Kind::RoleBinding, Kind::Role]);
    }
    kinds
        .into_iter()
        .filter(|k| {
            !snapshot
                .coverage
                .get(k)
                .is_some_and(|c| c.is_known_in(namespace))
        })
        .map(|k| match namespace {
            "" => format!("{}s could not be read", k.name()),
            ns => format!("{}s in namespace {ns} could not be read", k.name()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(resource: &str) -> (String, String, String) {
        match parse_target("get", resource, Some("ml"), None)
            .unwrap()
            .request
        {
            Request::Resource {
                group,
                resource,
                subresource,
                ..
            } => (group, resource, subresource),
            Request::NonResource { .. } => panic!("not a resource request"),
        }
    }

    fn owned(g: &str, r: &str, s: &str) -> (String, String, String) {
        (g.into(), r.into(), s.into())
    }

    #[test]
    fn resources_resolve_to_their_group_by_plural_kind_short_name_and_group_suffix() {
        assert_eq!(parts("pods"), owned("", "pods", ""));
        assert_eq!(parts("po"), owned("", "pods", ""));
        assert_eq!(parts("Pod"), owned("", "pods", ""));
        assert_eq!(parts("pods/exec"), owned("", "pods", "exec"));
        assert_eq!(parts("deploy"), owned("apps", "deployments", ""));
        assert_eq!(parts("deployments.apps"), owned("apps", "deployments", ""));
        assert_eq!(
            parts("deployments.apps/scale"),
            owned("apps", "deployments", "scale")
        );
        assert_eq!(
            parts("deployments.v1.apps"),
            owned("apps", "deployments", "")
        );
        assert_eq!(
            parts("deployments.extensions"),
            owned("extensions", "deployments", "")
        );
        assert_eq!(parts("cj"), owned("batch", "cronjobs", ""));
        assert_eq!(parts("ing"), owned("networking.k8s.io", "ingresses", ""));
        assert_eq!(
            parts("serviceaccounts/token"),
            owned("", "serviceaccounts", "token")
        );
        assert_eq!(
            parts("isvc"),
            owned("serving.kserve.io", "inferenceservices", "")
        );
        assert_eq!(
            parts("clusterroles.rbac.authorization.k8s.io"),
            owned("rbac.authorization.k8s.io", "clusterroles", "")
        );
        assert_eq!(parts("*"), owned("", "*", ""));
        assert_eq!(
            parts("widgets.example.com"),
            owned("example.com", "widgets", "")
        );
    }

    #[test]
    fn unknown_resources_default_to_the_core_group_with_a_note() {
        let target = parse_target("get", "widgets", None, None).unwrap();
        assert_eq!(
            target.request,
            Request::resource("get", "", "widgets", "", "")
        );
        assert_eq!(target.notes.len(), 1);
        assert!(target.notes[0].contains("assuming the core API group"));
        assert!(
            parse_target("get", "pods", None, None)
                .unwrap()
                .notes
                .is_empty()
        );
    }

    #[test]
    fn urls_names_and_scopes() {
        let url = parse_target("get", "/healthz", None, None).unwrap();
        assert_eq!(url.request, Request::non_resource("get", "/healthz"));
        let named = parse_target("get", "secrets", Some("ml"), Some("hf-token")).unwrap();
        assert_eq!(
            named.request,
            Request::resource("get", "", "secrets", "ml", "hf-token")
        );
        assert_eq!(named.namespaced, Some(true));
        let nodes = parse_target("list", "nodes", Some("ml"), None).unwrap();
        assert_eq!(
            nodes.request,
            Request::resource("list", "", "nodes", "", "")
        );
        assert!(nodes.notes[0].contains("cluster-scoped"));
    }

    #[test]
    fn malformed_requests_are_usage_errors() {
        for (verb, resource) in [
            ("", "pods"),
            ("get", ""),
            ("get", "pods/"),
            ("get", "pods/exec/x"),
            ("get list", "pods"),
        ] {
            let err = parse_target(verb, resource, None, None).unwrap_err();
            assert!(matches!(err, Error::Usage(_)), "{verb:?} {resource:?}");
        }
    }

    #[test]
    fn unreadable_rbac_kinds_are_named_for_the_request_namespace() {
        use aigov_core::model::Coverage;
        let mut snapshot = Snapshot::default();
        for kind in RBAC_LOAD {
            snapshot.coverage.insert(kind, Coverage::Complete);
        }
        assert!(unreadable(&snapshot, "ml").is_empty());
        let unknown = [("ml".to_string(), "forbidden".to_string())].into();
        snapshot.coverage.insert(
            Kind::RoleBinding,
            Coverage::Partial {
                unknown_namespaces: unknown,
            },
        );
        assert_eq!(
            unreadable(&snapshot, "ml"),
            ["RoleBindings in namespace ml could not be read"]
        );
        assert!(unreadable(&snapshot, "web").is_empty());
        // Cluster-wide questions consult ClusterRoleBindings only.
        assert!(unreadable(&snapshot, "").is_empty());
        snapshot.coverage.remove(&Kind::ClusterRole);
        assert_eq!(
            unreadable(&snapshot, ""),
            ["ClusterRoles could not be read"]
        );
    }

    #[test]
    fn versions_are_recognised() {
        for v in ["v1", "v1beta1", "v2alpha3", "v10"] {
            assert!(is_version(v), "{v}");
        }
        for v in ["apps", "v", "vx1", "v1gamma1", "k8s"] {
            assert!(!is_version(v), "{v}");
        }
    }
}
