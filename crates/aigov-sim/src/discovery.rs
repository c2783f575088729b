//! Discovery documents: `/version`, `/api`, `/apis`, per-version resource lists, the
//! aggregated discovery format kubectl 1.30+ asks for, and the OpenAPI v3 index kubectl
//! reads to learn that the server validates fields itself.

use super::resources::{ResourceType, Resources};
use serde_json::{Value, json};

pub const AGGREGATED_CONTENT_TYPE: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "33",
        "gitVersion": "v1.33.0-aigov-sim",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.24",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

/// Subresources a type has, with their verbs, as a real API server lists them.
fn subresources(t: &ResourceType) -> Vec<(&'static str, &'static [&'static str], &'static str)> {
    const GET_UPDATE: &[&str] = &["get", "patch", "update"];
    let mut subs = Vec::new();
    if t.review {
        return subs;
    }
    match t.kind {
        "Pod" => {
            subs.push(("exec", &["create", "get"][..], "PodExecOptions"));
            subs.push(("attach", &["create", "get"][..], "PodAttachOptions"));
            subs.push((
                "portforward",
                &["create", "get"][..],
                "PodPortForwardOptions",
            ));
            subs.push(("log", &["get"][..], "Pod"));
            subs.push(("status", GET_UPDATE, "Pod"));
        }
        "ServiceAccount" => subs.push(("token", &["create"][..], "TokenRequest")),
        "Deployment" | "StatefulSet" | "ReplicaSet" => {
            subs.push(("scale", GET_UPDATE, "Scale"));
            subs.push(("status", GET_UPDATE, t.kind));
        }
        "ConfigMap" | "Secret" | "Role" | "RoleBinding" | "ClusterRole" | "ClusterRoleBinding"
        | "StorageClass" | "Event" => {}
        _ => subs.push(("status", GET_UPDATE, t.kind)),
    }
    subs
}

fn plain_resource(t: &ResourceType) -> Value {
    let mut r = json!({
        "name": t.plural,
        "singularName": t.singular,
        "namespaced": t.namespaced,
        "kind": t.kind,
        "verbs": t.verbs,
    });
    if !t.short_names.is_empty() {
        r["shortNames"] = json!(t.short_names);
    }
    if !t.categories.is_empty() {
        r["categories"] = json!(t.categories);
    }
    r
}

/// `GET /api/v1` or `GET /apis/G/V`: an APIResourceList.
pub fn resource_list(resources: &Resources, group: &str, version: &str) -> Option<Value> {
    let types: Vec<&ResourceType> = resources
        .types
        .iter()
        .filter(|t| t.group == group && t.version == version)
        .collect();
    if types.is_empty() {
        return None;
    }
    let mut list = Vec::new();
    for t in &types {
        list.push(plain_resource(t));
        for (sub, verbs, kind) in subresources(t) {
            list.push(json!({
                "name": format!("{}/{}", t.plural, sub),
                "singularName": "",
                "namespaced": t.namespaced,
                "kind": kind,
                "verbs": verbs,
            }));
        }
    }
    let group_version = types[0].api_version();
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": list,
    }))
}

pub fn core_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    })
}

/// Named groups, each with its versions (the first listed is preferred).
fn named_groups(resources: &Resources) -> Vec<(&'static str, Vec<&'static str>)> {
    let mut groups: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    for (group, version) in resources.group_versions() {
        if group.is_empty() {
            continue;
        }
        match groups.iter_mut().find(|(g, _)| *g == group) {
            Some((_, versions)) => versions.push(version),
            None => groups.push((group, vec![version])),
        }
    }
    groups
}

pub fn group_list(resources: &Resources) -> Value {
    let groups: Vec<Value> = named_groups(resources)
        .into_iter()
        .map(|(group, versions)| {
            let versions: Vec<Value> = versions
                .iter()
                .map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v}))
                .collect();
            json!({"name": group, "versions": versions, "preferredVersion": versions[0]})
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

pub fn group(resources: &Resources, name: &str) -> Option<Value> {
    let list = group_list(resources);
    list["groups"]
        .as_array()?
        .iter()
        .find(|g| g["name"] == name)
        .map(|g| {
            let mut g = g.clone();
            g["kind"] = json!("APIGroup");
            g["apiVersion"] = json!("v1");
            g
        })
}

fn aggregated_resource(t: &ResourceType) -> Value {
    let mut r = json!({
        "resource": t.plural,
        "responseKind": {"group": t.group, "version": t.version, "kind": t.kind},
        "scope": if t.namespaced { "Namespaced" } else { "Cluster" },
        "singularResource": t.singular,
        "verbs": t.verbs,
    });
    if !t.short_names.is_empty() {
        r["shortNames"] = json!(t.short_names);
    }
    if !t.categories.is_empty() {
        r["categories"] = json!(t.categories);
    }
    let subs: Vec<Value> = subresources(t)
        .into_iter()
        .map(|(sub, verbs, kind)| {
            json!({
                "subresource": sub,
                "responseKind": {"group": t.group, "version": t.version, "kind": kind},
                "verbs": verbs,
            })
        })
        .collect();
    if !subs.is_empty() {
        r["subresources"] = json!(subs);
    }
    r
}

fn aggregated_group(resources: &Resources, group: &str, versions: &[&str]) -> Value {
    let versions: Vec<Value> = versions
        .iter()
        .map(|v| {
            let list: Vec<Value> = resources
                .types
                .iter()
                .filter(|t| t.group == group && t.version == *v)
                .map(aggregated_resource)
                .collect();
            json!({"version": v, "resources": list, "freshness": "Current"})
        })
        .collect();
    json!({"metadata": {"name": group, "creationTimestamp": null}, "versions": versions})
}

/// `GET /api` or `GET /apis` with `Accept: ...;as=APIGroupDiscoveryList`.
pub fn aggregated(resources: &Resources, core: bool) -> Value {
    let items: Vec<Value> = if core {
        vec![aggregated_group(resources, "", &["v1"])]
    } else {
        named_groups(resources)
            .iter()
            .map(|(g, versions)| aggregated_group(resources, g, versions))
            .collect()
    };
    json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    })
}

/// Whether the client asked for aggregated discovery.
pub fn wants_aggregated(accept: &str) -> bool {
    accept.contains("as=APIGroupDiscoveryList")
}

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// `GET /openapi/v3`: the index of per-group-version documents.
pub fn openapi_index(resources: &Resources) -> Value {
    let mut paths = serde_json::Map::new();
    for (group, version) in resources.group_versions() {
        let path = gv_path(group, version);
        paths.insert(
            path.clone(),
            json!({"serverRelativeURL": format!("/openapi/v3/{path}?hash=aigov-sim-1")}),
        );
    }
    json!({"paths": paths})
}

/// `GET /openapi/v3/api/v1` (or a group version): enough of the document for kubectl to see
/// that PATCH accepts `fieldValidation` and `dryRun`, so it leaves validation to the server.
pub fn openapi_document(resources: &Resources, path: &str) -> Option<Value> {
    let (group, version) = match path
        .trim_matches('/')
        .split('/')
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["api", v] => (String::new(), v.to_string()),
        ["apis", g, v] => (g.to_string(), v.to_string()),
        _ => return None,
    };
    let types: Vec<&ResourceType> = resources
        .types
        .iter()
        .filter(|t| t.group == group && t.version == version && !t.review)
        .collect();
    if types.is_empty()
        && resources
            .by_path(&group, &version, "selfsubjectreviews")
            .is_none()
    {
        return None;
    }
    let query_param = |name: &str| json!({"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": true}});
    let params = json!([
        query_param("dryRun"),
        query_param("fieldManager"),
        query_param("fieldValidation")
    ]);
    let mut paths = serde_json::Map::new();
    let mut schemas = serde_json::Map::new();
    for t in types {
        let prefix = if group.is_empty() {
            format!("/api/{version}")
        } else {
            format!("/apis/{group}/{version}")
        };
        let item = if t.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", t.plural)
        } else {
            format!("{prefix}/{}/{{name}}", t.plural)
        };
        let gvk = json!({"group": t.group, "version": t.version, "kind": t.kind});
        let op = |verb: &str| {
            json!({
                "operationId": format!("{verb}{}", t.kind),
                "x-kubernetes-action": verb,
                "x-kubernetes-group-version-kind": gvk,
                "parameters": params,
                "responses": {"200": {"description": "OK"}},
            })
        };
        paths.insert(
            item,
            json!({"parameters": params, "get": op("get"), "put": op("put"), "patch": op("patch"), "delete": op("delete")}),
        );
        let schema_name = format!(
            "{}.{}.{}",
            if t.group.is_empty() { "core" } else { t.group },
            t.version,
            t.kind
        );
        schemas.insert(
            schema_name,
            json!({
                "type": "object",
                "x-kubernetes-group-version-kind": [gvk],
                "x-kubernetes-preserve-unknown-fields": true,
            }),
        );
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.33.0-aigov-sim"},
        "paths": paths,
        "components": {"schemas": schemas},
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_list_has_pods_with_exec_subresource() {
        let r = Resources::new();
        let list = resource_list(&r, "", "v1").unwrap();
        let names: Vec<&str> = list["resources"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["name"].as_str())
            .collect();
        assert!(names.contains(&"pods"));
        assert!(names.contains(&"pods/exec"));
        assert!(names.contains(&"secrets"));
        assert!(resource_list(&r, "nope", "v1").is_none());
    }

    #[test]
    fn aggregated_groups_list_every_named_group_once() {
        let r = Resources::new();
        let doc = aggregated(&r, false);
        let groups: Vec<&str> = doc["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|g| g["metadata"]["name"].as_str())
            .collect();
        assert!(groups.contains(&"apps"));
        assert!(groups.contains(&"kubeflow.org"));
        assert_eq!(
            groups
                .iter()
                .filter(|g| **g == "authentication.k8s.io")
                .count(),
            1
        );
        let auth = group(&r, "authentication.k8s.io").unwrap();
        assert_eq!(auth["preferredVersion"]["version"], "v1");
    }

    #[test]
    fn openapi_documents_advertise_field_validation() {
        let r = Resources::new();
        let index = openapi_index(&r);
        assert!(index["paths"]["apis/apps/v1"]["serverRelativeURL"].is_string());
        let doc = openapi_document(&r, "apis/apps/v1").unwrap();
        let path = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"];
        assert_eq!(
            path["patch"]["x-kubernetes-group-version-kind"]["kind"],
            "Deployment"
        );
        assert!(
            path["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "fieldValidation")
        );
    }
}
