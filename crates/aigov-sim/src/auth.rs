//! Authentication by bearer token, impersonation, RBAC authorisation through `rules::rbac`,
//! and the self-review APIs (SelfSubjectReview, SelfSubjectAccessReview, SelfSubjectRulesReview).

use super::resources::{ResourceId, Resources};
use super::status::ApiError;
use super::store::Store;
use aigov_core::model::{Kind, convert};
use aigov_core::rules::rbac::{RbacIndex, Request, UserInfo};
use axum::http::HeaderMap;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Tokens the simulator accepts, each mapped to a user.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    users: HashMap<String, UserInfo>,
}

impl Tokens {
    pub fn insert(&mut self, token: impl Into<String>, user: UserInfo) {
        self.users.insert(token.into(), user);
    }

    fn lookup(&self, token: &str) -> Option<&UserInfo> {
        self.users.get(token)
    }
}

/// The authoriser: the RBAC objects in the store, indexed once per RBAC change.
pub struct Authorizer {
    rbac_kinds: Vec<(ResourceId, Kind)>,
    cache: Mutex<Option<(u64, Arc<RbacIndex>)>>,
}

impl Authorizer {
    pub fn new(resources: &Resources) -> Self {
        let rbac_kinds = [
            Kind::Role,
            Kind::ClusterRole,
            Kind::RoleBinding,
            Kind::ClusterRoleBinding,
        ]
        .into_iter()
        .filter_map(|k| resources.id_of(k).map(|id| (id, k)))
        .collect();
        Self {
            rbac_kinds,
            cache: Mutex::new(None),
        }
    }

    pub fn rbac_resources(&self) -> Vec<ResourceId> {
        self.rbac_kinds.iter().map(|(id, _)| *id).collect()
    }

    /// The index for the store's current RBAC objects, rebuilt only when they changed.
    pub fn index(&self, store: &Store) -> Arc<RbacIndex> {
        let generation = store.rbac_generation();
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((built_for, index)) = cache.as_ref()
            && *built_for == generation
        {
            return index.clone();
        }
        let mut roles = Vec::new();
        let mut bindings = Vec::new();
        for (id, kind) in &self.rbac_kinds {
            for object in store.objects_of(*id) {
                // An RBAC object that does not convert grants nothing, as in the API server,
                // which would have rejected it at admission.
                match convert::from_json(*kind, (*object).clone()) {
                    Ok(aigov_core::model::Object::Role(r)) => roles.push(r),
                    Ok(aigov_core::model::Object::Binding(b)) => bindings.push(b),
                    _ => {}
                }
            }
        }
        let index = Arc::new(RbacIndex::new(&roles, &bindings));
        *cache = Some((generation, index.clone()));
        index
    }

    pub fn allowed(&self, store: &Store, user: &UserInfo, request: &Request) -> bool {
        self.index(store).authorize(user, request).allowed
    }
}

/// Who sent a request: the bearer token's user, or the user it impersonates.
pub fn authenticate(
    tokens: &Tokens,
    headers: &HeaderMap,
    authorizer: &Authorizer,
    store: &Store,
) -> Result<UserInfo, ApiError> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(ApiError::unauthorized)?;
    let user = tokens
        .lookup(token.trim())
        .cloned()
        .ok_or_else(ApiError::unauthorized)?;
    impersonate(user, headers, authorizer, store)
}

fn impersonate(
    user: UserInfo,
    headers: &HeaderMap,
    authorizer: &Authorizer,
    store: &Store,
) -> Result<UserInfo, ApiError> {
    let Some(target) = headers
        .get("Impersonate-User")
        .and_then(|v| v.to_str().ok())
    else {
        if headers.contains_key("Impersonate-Group") {
            return Err(ApiError::internal(
                "requested impersonation of groups without a user",
            ));
        }
        return Ok(user);
    };
    let (check_resource, check_namespace, check_name) = match target
        .strip_prefix("system:serviceaccount:")
        .and_then(|r| r.split_once(':'))
    {
        Some((ns, name)) => ("serviceaccounts", ns.to_string(), name.to_string()),
        None => ("users", String::new(), target.to_string()),
    };
    let may = |resource: &str, namespace: String, name: String| {
        authorizer.allowed(
            store,
            &user,
            &Request::Resource {
                verb: "impersonate".into(),
                group: String::new(),
                resource: resource.into(),
                subresource: String::new(),
                namespace,
                name,
            },
        )
    };
    let refuse = |what: &str, name: &str| {
        ApiError::new(
            403,
            "Forbidden",
            format!(
                "{what} \"{name}\" is forbidden: User \"{}\" cannot impersonate resource \"{what}\" in API group \"\" at the cluster scope",
                user.username
            ),
        )
    };
    if !may(check_resource, check_namespace, check_name.clone()) {
        return Err(refuse(check_resource, &check_name));
    }
    let mut groups = Vec::new();
    for group in headers
        .get_all("Impersonate-Group")
        .iter()
        .filter_map(|v| v.to_str().ok())
    {
        if !may("groups", String::new(), group.to_string()) {
            return Err(refuse("groups", group));
        }
        groups.push(group.to_string());
    }
    if !groups.iter().any(|g| g == "system:authenticated") {
        groups.push("system:authenticated".to_string());
    }
    if let Some(rest) = target.strip_prefix("system:serviceaccount:")
        && let Some((ns, _)) = rest.split_once(':')
    {
        for g in [
            "system:serviceaccounts".to_string(),
            format!("system:serviceaccounts:{ns}"),
        ] {
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
    }
    Ok(UserInfo {
        username: target.to_string(),
        groups,
    })
}

/// The API server's wording for a refused request.
pub fn forbidden(user: &UserInfo, request: &Request) -> ApiError {
    match request {
        Request::Resource {
            verb,
            group,
            resource,
            subresource,
            namespace,
            name,
        } => {
            let full = if subresource.is_empty() {
                resource.clone()
            } else {
                format!("{resource}/{subresource}")
            };
            let qualified = if group.is_empty() {
                resource.clone()
            } else {
                format!("{resource}.{group}")
            };
            let subject = if name.is_empty() {
                format!("{qualified} is forbidden")
            } else {
                format!("{qualified} \"{name}\" is forbidden")
            };
            let scope = if namespace.is_empty() {
                "at the cluster scope".to_string()
            } else {
                format!("in the namespace \"{namespace}\"")
            };
            let mut e = ApiError::new(
                403,
                "Forbidden",
                format!(
                    "{subject}: User \"{}\" cannot {verb} resource \"{full}\" in API group \"{group}\" {scope}",
                    user.username
                ),
            );
            e.details = Some(json!({"name": name, "group": group, "kind": resource}));
            e
        }
        Request::NonResource { verb, path } => ApiError::new(
            403,
            "Forbidden",
            format!(
                "forbidden: User \"{}\" cannot {verb} path \"{path}\"",
                user.username
            ),
        ),
    }
}

/// Answer a self-review. `kind` is the review's kind; `body` the decoded request object.
pub fn review(
    kind: &str,
    api_version: &str,
    body: &Value,
    user: &UserInfo,
    index: &RbacIndex,
) -> Result<Value, ApiError> {
    let mut out = json!({
        "kind": kind,
        "apiVersion": api_version,
        "metadata": {"creationTimestamp": null},
    });
    if let Some(spec) = body.get("spec") {
        out["spec"] = spec.clone();
    }
    let field = |v: &Value, f: &str| {
        v.get(f)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    match kind {
        "SelfSubjectReview" => {
            out["status"] = json!({"userInfo": {"username": user.username, "groups": user.groups}});
        }
        "SelfSubjectAccessReview" => {
            let spec = body.get("spec").cloned().unwrap_or(Value::Null);
            let request = if let Some(attrs) = spec.get("resourceAttributes") {
                Request::Resource {
                    verb: field(attrs, "verb"),
                    group: field(attrs, "group"),
                    resource: field(attrs, "resource"),
                    subresource: field(attrs, "subresource"),
                    namespace: field(attrs, "namespace"),
                    name: field(attrs, "name"),
                }
            } else if let Some(attrs) = spec.get("nonResourceAttributes") {
                Request::NonResource {
                    verb: field(attrs, "verb"),
                    path: field(attrs, "path"),
                }
            } else {
                return Err(ApiError::invalid(
                    "authorization.k8s.io",
                    "SelfSubjectAccessReview",
                    "",
                    "spec: Invalid value: exactly one of nonResourceAttributes or resourceAttributes must be specified",
                ));
            };
            let decision = index.authorize(user, &request);
            let reason = decision.grants.first().map(|g| {
                format!(
                    "RBAC: allowed by {} \"{}\" of {:?} \"{}\" to {}",
                    g.binding_kind, g.binding_name, g.role_kind, g.role_name, g.subject
                )
            });
            out["status"] = json!({"allowed": decision.allowed});
            if let Some(reason) = reason {
                out["status"]["reason"] = json!(reason);
            }
        }
        "SelfSubjectRulesReview" => {
            let namespace = body
                .pointer("/spec/namespace")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let mut resource_rules = Vec::new();
            let mut non_resource_rules = Vec::new();
            for resolved in index.rules_for(user, namespace) {
                let r = &resolved.rule;
                if r.non_resource_urls.is_empty() {
                    let mut rule = json!({"verbs": r.verbs, "apiGroups": r.api_groups, "resources": r.resources});
                    if !r.resource_names.is_empty() {
                        rule["resourceNames"] = json!(r.resource_names);
                    }
                    resource_rules.push(rule);
                } else {
                    non_resource_rules
                        .push(json!({"verbs": r.verbs, "nonResourceURLs": r.non_resource_urls}));
                }
            }
            out["status"] = json!({
                "resourceRules": resource_rules,
                "nonResourceRules": non_resource_rules,
                "incomplete": false,
            });
        }
        other => {
            return Err(ApiError::bad_request(format!(
                "unknown review kind {other}"
            )));
        }
    }
    Ok(out)
}
