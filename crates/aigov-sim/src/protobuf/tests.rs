//! Round-trip tests: objects encoded with prost, wrapped like kubectl does, decoded to JSON.

use std::collections::BTreeMap;

use k8s_pb::api::authentication::v1 as authn;
use k8s_pb::api::authorization::v1 as authz;
use k8s_pb::api::core::v1 as core;
use k8s_pb::api::rbac::v1 as rbac;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_pb::apimachinery::pkg::runtime::{TypeMeta, Unknown};
use prost::Message;
use serde_json::json;

use super::{ProtobufError, decode_to_json, is_protobuf_content_type};

fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| (*x).to_owned()).collect()
}

fn smap(v: &[(&str, &str)]) -> BTreeMap<String, String> {
    v.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn envelope(api_version: &str, kind: &str, raw: Vec<u8>) -> Unknown {
    Unknown {
        type_meta: Some(TypeMeta {
            api_version: s(api_version),
            kind: s(kind),
        }),
        raw: Some(raw),
        // Go writes these as empty strings; mirror that.
        content_encoding: s(""),
        content_type: s(""),
    }
}

pub(super) fn wrap(api_version: &str, kind: &str, msg: &impl Message) -> Vec<u8> {
    let mut body = b"k8s\0".to_vec();
    body.extend(envelope(api_version, kind, msg.encode_to_vec()).encode_to_vec());
    body
}

/// Metadata as Go's encoder writes it for a fresh object: every string present, most empty.
fn go_meta(name: &str, namespace: &str) -> Option<meta::ObjectMeta> {
    Some(meta::ObjectMeta {
        name: s(name),
        generate_name: s(""),
        namespace: s(namespace),
        self_link: s(""),
        uid: s(""),
        resource_version: s(""),
        generation: Some(0),
        creation_timestamp: Some(meta::Time::default()),
        ..Default::default()
    })
}

fn decode(body: &[u8]) -> serde_json::Value {
    match decode_to_json(body) {
        Ok(v) => v,
        Err(e) => panic!("decode failed: {e}"),
    }
}

#[test]
fn self_subject_review_all_versions() {
    let msg = authn::SelfSubjectReview {
        metadata: go_meta("", ""),
        status: Some(authn::SelfSubjectReviewStatus {
            user_info: Some(authn::UserInfo::default()),
        }),
    };
    for version in ["v1", "v1beta1", "v1alpha1"] {
        let api_version = format!("authentication.k8s.io/{version}");
        let body = wrap(&api_version, "SelfSubjectReview", &msg);
        assert_eq!(
            decode(&body),
            json!({"apiVersion": api_version, "kind": "SelfSubjectReview", "metadata": {}})
        );
    }
}

#[test]
fn self_subject_access_review_resource() {
    let msg = authz::SelfSubjectAccessReview {
        metadata: go_meta("", ""),
        spec: Some(authz::SelfSubjectAccessReviewSpec {
            resource_attributes: Some(authz::ResourceAttributes {
                namespace: s("ml"),
                verb: s("create"),
                group: s(""),
                version: s("v1"),
                resource: s("pods"),
                subresource: s("exec"),
                name: s("trainer-0"),
                field_selector: None,
                label_selector: Some(authz::LabelSelectorAttributes {
                    raw_selector: s("app=llm"),
                    requirements: vec![],
                }),
            }),
            non_resource_attributes: None,
        }),
        status: Some(authz::SubjectAccessReviewStatus::default()),
    };
    let body = wrap("authorization.k8s.io/v1", "SelfSubjectAccessReview", &msg);
    assert_eq!(
        decode(&body),
        json!({
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "metadata": {},
            "spec": {"resourceAttributes": {
                "namespace": "ml", "verb": "create", "version": "v1", "resource": "pods",
                "subresource": "exec", "name": "trainer-0",
                "labelSelector": {"rawSelector": "app=llm"}
            }}
        })
    );
}

#[test]
fn self_subject_access_review_non_resource() {
    let msg = authz::SelfSubjectAccessReview {
        metadata: None,
        spec: Some(authz::SelfSubjectAccessReviewSpec {
            resource_attributes: None,
            non_resource_attributes: Some(authz::NonResourceAttributes {
                path: s("/metrics"),
                verb: s("get"),
            }),
        }),
        status: None,
    };
    let body = wrap("authorization.k8s.io/v1", "SelfSubjectAccessReview", &msg);
    assert_eq!(
        decode(&body),
        json!({
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "metadata": {},
            "spec": {"nonResourceAttributes": {"path": "/metrics", "verb": "get"}}
        })
    );
}

#[test]
fn self_subject_rules_review() {
    let msg = authz::SelfSubjectRulesReview {
        metadata: go_meta("", ""),
        spec: Some(authz::SelfSubjectRulesReviewSpec { namespace: s("ml") }),
        status: None,
    };
    let body = wrap("authorization.k8s.io/v1", "SelfSubjectRulesReview", &msg);
    assert_eq!(
        decode(&body),
        json!({
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectRulesReview",
            "metadata": {},
            "spec": {"namespace": "ml"}
        })
    );
}

#[test]
fn namespace_with_labels_annotations_owner_refs() {
    let mut metadata = go_meta("ml-train", "");
    if let Some(m) = metadata.as_mut() {
        m.labels = smap(&[("pod-security.kubernetes.io/enforce", "restricted")]);
        m.annotations = smap(&[("owner", "ml-platform"), ("empty", "")]);
        m.owner_references = vec![meta::OwnerReference {
            api_version: s("v1"),
            kind: s("ConfigMap"),
            name: s("owner"),
            uid: s("1234"),
            controller: Some(true),
            block_owner_deletion: None,
        }];
        m.finalizers = strs(&["kubernetes"]);
    }
    let msg = core::Namespace {
        metadata,
        spec: Some(core::NamespaceSpec { finalizers: vec![] }),
        status: Some(core::NamespaceStatus::default()),
    };
    assert_eq!(
        decode(&wrap("v1", "Namespace", &msg)),
        json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": "ml-train",
                "labels": {"pod-security.kubernetes.io/enforce": "restricted"},
                "annotations": {"owner": "ml-platform", "empty": ""},
                "ownerReferences": [{
                    "apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": "1234",
                    "controller": true
                }],
                "finalizers": ["kubernetes"]
            }
        })
    );
}

#[test]
fn config_map_data_and_binary_data() {
    let msg = core::ConfigMap {
        metadata: go_meta("model-cfg", "ml"),
        immutable: Some(true),
        data: smap(&[("lr", "0.001"), ("blank", "")]),
        binary_data: [("blob".to_owned(), vec![0u8, 0xff, 0xfe])].into(),
    };
    assert_eq!(
        decode(&wrap("v1", "ConfigMap", &msg)),
        json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "model-cfg", "namespace": "ml"},
            "immutable": true,
            "data": {"lr": "0.001", "blank": ""},
            "binaryData": {"blob": "AP/+"}
        })
    );
}

#[test]
fn secret_data_is_base64_and_string_data_is_kept() {
    let msg = core::Secret {
        metadata: Some(meta::ObjectMeta {
            generate_name: s("hf-token-"),
            namespace: s("ml"),
            ..Default::default()
        }),
        immutable: None,
        data: [("token".to_owned(), b"s3cr3t".to_vec())].into(),
        string_data: smap(&[("user", "bot")]),
        r#type: s("Opaque"),
    };
    assert_eq!(
        decode(&wrap("v1", "Secret", &msg)),
        json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"generateName": "hf-token-", "namespace": "ml"},
            "type": "Opaque",
            "data": {"token": "czNjcjN0"},
            "stringData": {"user": "bot"}
        })
    );
}

#[test]
fn service_account() {
    let msg = core::ServiceAccount {
        metadata: go_meta("trainer", "ml"),
        secrets: vec![core::ObjectReference {
            name: s("trainer-token"),
            ..Default::default()
        }],
        image_pull_secrets: vec![core::LocalObjectReference { name: s("regcred") }],
        automount_service_account_token: Some(false),
    };
    assert_eq!(
        decode(&wrap("v1", "ServiceAccount", &msg)),
        json!({
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "trainer", "namespace": "ml"},
            "secrets": [{"name": "trainer-token"}],
            "imagePullSecrets": [{"name": "regcred"}],
            "automountServiceAccountToken": false
        })
    );
}

fn rule() -> rbac::PolicyRule {
    rbac::PolicyRule {
        verbs: strs(&["get", "list"]),
        api_groups: strs(&[""]),
        resources: strs(&["pods", "pods/log"]),
        resource_names: strs(&["p1"]),
        non_resource_ur_ls: vec![],
    }
}

#[test]
fn role_keeps_core_api_group() {
    let msg = rbac::Role {
        metadata: go_meta("reader", "ml"),
        rules: vec![rule()],
    };
    assert_eq!(
        decode(&wrap("rbac.authorization.k8s.io/v1", "Role", &msg)),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "reader", "namespace": "ml"},
            "rules": [{
                "verbs": ["get", "list"], "apiGroups": [""],
                "resources": ["pods", "pods/log"], "resourceNames": ["p1"]
            }]
        })
    );
}

#[test]
fn cluster_role_with_non_resource_urls_and_aggregation() {
    let msg = rbac::ClusterRole {
        metadata: go_meta("agg", ""),
        rules: vec![rbac::PolicyRule {
            verbs: strs(&["get"]),
            non_resource_ur_ls: strs(&["/healthz", "/metrics"]),
            ..Default::default()
        }],
        aggregation_rule: Some(rbac::AggregationRule {
            cluster_role_selectors: vec![meta::LabelSelector {
                match_labels: smap(&[("aggregate", "true")]),
                match_expressions: vec![meta::LabelSelectorRequirement {
                    key: s("tier"),
                    operator: s("In"),
                    values: strs(&["ml", "ops"]),
                }],
            }],
        }),
    };
    assert_eq!(
        decode(&wrap("rbac.authorization.k8s.io/v1", "ClusterRole", &msg)),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "agg"},
            "rules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz", "/metrics"]}],
            "aggregationRule": {"clusterRoleSelectors": [{
                "matchLabels": {"aggregate": "true"},
                "matchExpressions": [{"key": "tier", "operator": "In", "values": ["ml", "ops"]}]
            }]}
        })
    );
}

fn subjects() -> Vec<rbac::Subject> {
    vec![
        rbac::Subject {
            kind: s("User"),
            api_group: s("rbac.authorization.k8s.io"),
            name: s("alice"),
            namespace: s(""),
        },
        rbac::Subject {
            kind: s("ServiceAccount"),
            api_group: s(""),
            name: s("trainer"),
            namespace: s("ml"),
        },
    ]
}

fn expected_subjects() -> serde_json::Value {
    json!([
        {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"},
        {"kind": "ServiceAccount", "name": "trainer", "namespace": "ml"}
    ])
}

#[test]
fn role_binding_and_cluster_role_binding() {
    let role_ref = |kind: &str, name: &str| {
        Some(rbac::RoleRef {
            api_group: s("rbac.authorization.k8s.io"),
            kind: s(kind),
            name: s(name),
        })
    };
    let rb = rbac::RoleBinding {
        metadata: go_meta("rb", "ml"),
        subjects: subjects(),
        role_ref: role_ref("Role", "reader"),
    };
    assert_eq!(
        decode(&wrap("rbac.authorization.k8s.io/v1", "RoleBinding", &rb)),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "rb", "namespace": "ml"},
            "subjects": expected_subjects(),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"}
        })
    );
    let crb = rbac::ClusterRoleBinding {
        metadata: go_meta("crb", ""),
        subjects: subjects(),
        role_ref: role_ref("ClusterRole", "cluster-admin"),
    };
    assert_eq!(
        decode(&wrap(
            "rbac.authorization.k8s.io/v1",
            "ClusterRoleBinding",
            &crb
        )),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "crb"},
            "subjects": expected_subjects(),
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                "name": "cluster-admin"
            }
        })
    );
}

#[test]
fn bad_magic_is_an_error() {
    for body in [
        &b""[..],
        b"k8s",
        b"{\"kind\":\"Namespace\"}",
        b"K8S\0\x0a\x00",
    ] {
        match decode_to_json(body) {
            Err(ProtobufError::BadMagic { .. }) => {}
            other => panic!("expected BadMagic for {body:?}, got {other:?}"),
        }
    }
    let msg = decode_to_json(b"").map_err(|e| e.to_string());
    assert!(matches!(msg, Err(m) if m.contains("k8s\\0") && m.contains("empty body")));
}

#[test]
fn garbage_after_magic_is_undecodable() {
    let err = decode_to_json(b"k8s\0\xff\xff\xff\xff\xff");
    assert!(
        matches!(err, Err(ProtobufError::Undecodable { .. })),
        "{err:?}"
    );
}

#[test]
fn every_truncation_is_an_error_or_value_never_a_panic() {
    let msg = rbac::RoleBinding {
        metadata: go_meta("rb", "ml"),
        subjects: subjects(),
        role_ref: None,
    };
    let body = wrap("rbac.authorization.k8s.io/v1", "RoleBinding", &msg);
    let mut errors = 0;
    for len in 0..body.len() {
        if decode_to_json(&body[..len]).is_err() {
            errors += 1;
        }
    }
    // Cutting inside a length-delimited field must be detected. Only cuts that fall exactly
    // between the envelope's fields (after typeMeta, after raw, after contentEncoding) still
    // parse, because protobuf has no end marker; HTTP's Content-Length covers those.
    assert!(errors >= body.len() - 3, "{errors} of {}", body.len());
}

#[test]
fn unsupported_kind_names_the_kind() {
    let body = wrap("v1", "Pod", &core::Pod::default());
    let err = decode_to_json(&body).map_err(|e| e.to_string());
    assert!(
        matches!(&err, Err(m) if m.contains("\"Pod\"") && m.contains("JSON")),
        "{err:?}"
    );
    let body = wrap(
        "rbac.authorization.k8s.io/v2",
        "Role",
        &rbac::Role::default(),
    );
    assert!(matches!(
        decode_to_json(&body),
        Err(ProtobufError::UnsupportedKind { .. })
    ));
}

#[test]
fn missing_kind_and_encodings_are_rejected() {
    let mut body = b"k8s\0".to_vec();
    body.extend(Unknown::default().encode_to_vec());
    assert!(matches!(
        decode_to_json(&body),
        Err(ProtobufError::MissingKind)
    ));

    let mut env = envelope("v1", "Namespace", vec![]);
    env.content_encoding = s("gzip");
    let mut body = b"k8s\0".to_vec();
    body.extend(env.encode_to_vec());
    assert!(matches!(
        decode_to_json(&body),
        Err(ProtobufError::UnsupportedEncoding { .. })
    ));
}

#[test]
fn empty_raw_gives_bare_object() {
    let mut body = b"k8s\0".to_vec();
    body.extend(envelope("v1", "Namespace", vec![]).encode_to_vec());
    assert_eq!(
        decode(&body),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {}})
    );
}

#[test]
fn content_type_detection() {
    assert!(is_protobuf_content_type(
        "application/vnd.kubernetes.protobuf"
    ));
    assert!(is_protobuf_content_type(
        "application/vnd.kubernetes.protobuf; charset=binary"
    ));
    assert!(!is_protobuf_content_type("application/json"));
    assert!(!is_protobuf_content_type(""));
}
