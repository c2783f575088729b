//! Regression tests on request bodies captured from the real kubectl v1.32.4 client.
//!
//! Captured by pointing `kubectl --server http://127.0.0.1:PORT --token x` at a logging HTTP
//! server that answered 404 `Status` to everything except `/version` and a minimal discovery.
//! Note how Go writes every non-pointer string even when empty (`12 00`, `1a 00`, ...): the
//! decoder must drop those so the JSON matches what kubectl's JSON encoder would send.

use serde_json::{Value, json};

use super::decode_to_json;

const SSR_V1: &str = concat!(
    "6b3873000a2d0a1861757468656e7469636174696f6e2e6b38732e696f2f7631121153656c665375",
    "626a656374526576696577121a0a100a0012001a0022002a0032003800420012060a040a0012001a",
    "002200",
);
const SSR_V1BETA1: &str = concat!(
    "6b3873000a320a1d61757468656e7469636174696f6e2e6b38732e696f2f76316265746131121153",
    "656c665375626a656374526576696577121a0a100a0012001a0022002a0032003800420012060a04",
    "0a0012001a002200",
);
const SSR_V1ALPHA1: &str = concat!(
    "6b3873000a330a1e61757468656e7469636174696f6e2e6b38732e696f2f7631616c706861311211",
    "53656c665375626a656374526576696577121a0a100a0012001a0022002a0032003800420012060a",
    "040a0012001a002200",
);
const SSAR_GET_PODS: &str = concat!(
    "6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c66537562",
    "6a65637441636365737352657669657712370a100a0012001a0022002a0032003800420012190a17",
    "0a026d6c12036765741a0022002a04706f647332003a001a08080012001a0020001a002200",
);
const SSAR_CREATE_POD_NAMED_EXEC: &str = concat!(
    "6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c66537562",
    "6a656374416363657373526576696577123e0a100a0012001a0022002a0032003800420012200a1e",
    "0a026d6c12066372656174651a0022002a04706f647332003a04657865631a08080012001a002000",
    "1a002200",
);
const SSAR_CREATE_EXEC: &str = concat!(
    "6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c66537562",
    "6a656374416363657373526576696577123e0a100a0012001a0022002a0032003800420012200a1e",
    "0a026d6c12066372656174651a0022002a04706f64733204657865633a001a08080012001a002000",
    "1a002200",
);
const SSAR_GET_NAMED: &str = concat!(
    "6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c66537562",
    "6a65637441636365737352657669657712460a100a0012001a0022002a0032003800420012280a26",
    "0a026d6c12036765741a0022002a0a636f6e6669676d61707332003a096d6f64656c2d6366671a08",
    "080012001a0020001a002200",
);
const SSAR_NONRESOURCE: &str = concat!(
    "6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c66537562",
    "6a656374416363657373526576696577122f0a100a0012001a0022002a003200380042001211120f",
    "0a082f6865616c74687a12036765741a08080012001a0020001a002200",
);
const SSRR_LIST: &str = concat!(
    "6b3873000a310a17617574686f72697a6174696f6e2e6b38732e696f2f7631121653656c66537562",
    "6a65637452756c6573526576696577121e0a100a0012001a0022002a0032003800420012040a026d",
    "6c1a04180022001a002200",
);
const NAMESPACE: &str = concat!(
    "6b3873000a0f0a02763112094e616d65737061636512200a180a086d6c2d747261696e12001a0022",
    "002a0032003800420012001a020a001a002200",
);
const CONFIGMAP: &str = concat!(
    "6b3873000a0f0a0276311209436f6e6669674d6170124a0a1b0a096d6f64656c2d63666712001a02",
    "6d6c22002a00320038004200120b0a026c721205302e303031120e0a056d6f64656c12056c6c616d",
    "611a0e0a04626c6f62120662696e00fffe1a002200",
);
const SECRET: &str = concat!(
    "6b3873000a0c0a027631120653656372657412350a1a0a0868662d746f6b656e12001a026d6c2200",
    "2a00320038004200120f0a05746f6b656e12067333637233741a064f70617175651a002200",
);
const SERVICEACCOUNT: &str = concat!(
    "6b3873000a140a027631120e536572766963654163636f756e74121b0a190a07747261696e657212",
    "001a026d6c22002a003200380042001a002200",
);
const ROLE: &str = concat!(
    "6b3873000a240a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f76311204526f",
    "6c6512330a180a0672656164657212001a026d6c22002a0032003800420012170a036765740a046c",
    "69737412001a04706f6473220270311a002200",
);
const CLUSTERROLE: &str = concat!(
    "6b3873000a2b0a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f7631120b436c",
    "7573746572526f6c6512340a170a076372656164657212001a0022002a0032003800420012190a03",
    "67657412001a04706f64731a0a636f6e6669676d6170731a002200",
);
const CLUSTERROLE_NONRESOURCE: &str = concat!(
    "6b3873000a2b0a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f7631120b436c",
    "7573746572526f6c65122b0a180a08637265616465723212001a0022002a00320038004200120f0a",
    "036765742a082f6865616c74687a1a002200",
);
const CLUSTERROLE_AGGREGATED: &str = concat!(
    "6b3873000a2b0a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f7631120b436c",
    "7573746572526f6c65123d0a130a0361676712001a0022002a003200380042001a260a240a220a1a",
    "726261632e6578616d706c652e636f6d2f6167677265676174651204747275651a002200",
);
const ROLEBINDING: &str = concat!(
    "6b3873000a2b0a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f7631120b526f",
    "6c6542696e64696e6712b8010a140a02726212001a026d6c22002a00320038004200122a0a045573",
    "65721219726261632e617574686f72697a6174696f6e2e6b38732e696f1a05616c69636522001228",
    "0a0547726f75701219726261632e617574686f72697a6174696f6e2e6b38732e696f1a0264732200",
    "121f0a0e536572766963654163636f756e7412001a07747261696e657222026d6c1a290a19726261",
    "632e617574686f72697a6174696f6e2e6b38732e696f1204526f6c651a067265616465721a002200",
);
const CLUSTERROLEBINDING: &str = concat!(
    "6b3873000a320a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f76311212436c",
    "7573746572526f6c6542696e64696e6712690a130a0363726212001a0022002a0032003800420012",
    "1f0a0e536572766963654163636f756e7412001a07747261696e657222026d6c1a310a1972626163",
    "2e617574686f72697a6174696f6e2e6b38732e696f120b436c7573746572526f6c651a0763726561",
    "6465721a002200",
);

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| match u8::from_str_radix(&text[i..i + 2], 16) {
            Ok(b) => b,
            Err(e) => panic!("bad hex in fixture at {i}: {e}"),
        })
        .collect()
}

fn decoded(fixture: &str) -> Value {
    match decode_to_json(&hex(fixture)) {
        Ok(v) => v,
        Err(e) => panic!("captured kubectl body did not decode: {e}"),
    }
}

const RBAC: &str = "rbac.authorization.k8s.io/v1";
const AUTHZ: &str = "authorization.k8s.io/v1";

/// `kubectl auth whoami` tries v1, then v1beta1, then v1alpha1.
#[test]
fn auth_whoami_all_versions() {
    for (fixture, version) in [
        (SSR_V1, "v1"),
        (SSR_V1BETA1, "v1beta1"),
        (SSR_V1ALPHA1, "v1alpha1"),
    ] {
        let api_version = format!("authentication.k8s.io/{version}");
        assert_eq!(
            decoded(fixture),
            json!({"apiVersion": api_version, "kind": "SelfSubjectReview", "metadata": {}})
        );
    }
}

fn ssar(spec: Value) -> Value {
    json!({"apiVersion": AUTHZ, "kind": "SelfSubjectAccessReview", "metadata": {}, "spec": spec})
}

#[test]
fn auth_can_i() {
    // kubectl auth can-i get pods -n ml
    assert_eq!(
        decoded(SSAR_GET_PODS),
        ssar(json!({"resourceAttributes": {"namespace": "ml", "verb": "get", "resource": "pods"}}))
    );
    // kubectl auth can-i create pods/exec -n ml: kubectl reads TYPE/NAME, so this asks about
    // a pod *named* "exec", not the exec subresource.
    assert_eq!(
        decoded(SSAR_CREATE_POD_NAMED_EXEC),
        ssar(json!({"resourceAttributes": {
            "namespace": "ml", "verb": "create", "resource": "pods", "name": "exec"
        }}))
    );
    // kubectl auth can-i create pods --subresource=exec -n ml
    assert_eq!(
        decoded(SSAR_CREATE_EXEC),
        ssar(json!({"resourceAttributes": {
            "namespace": "ml", "verb": "create", "resource": "pods", "subresource": "exec"
        }}))
    );
    // kubectl auth can-i get configmaps/model-cfg -n ml
    assert_eq!(
        decoded(SSAR_GET_NAMED),
        ssar(json!({"resourceAttributes": {
            "namespace": "ml", "verb": "get", "resource": "configmaps", "name": "model-cfg"
        }}))
    );
    // kubectl auth can-i get /healthz
    assert_eq!(
        decoded(SSAR_NONRESOURCE),
        ssar(json!({"nonResourceAttributes": {"path": "/healthz", "verb": "get"}}))
    );
    // kubectl auth can-i --list -n ml
    assert_eq!(
        decoded(SSRR_LIST),
        json!({
            "apiVersion": AUTHZ, "kind": "SelfSubjectRulesReview",
            "metadata": {}, "spec": {"namespace": "ml"}
        })
    );
}

#[test]
fn create_core_generators() {
    // kubectl create namespace ml-train
    assert_eq!(
        decoded(NAMESPACE),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml-train"}})
    );
    // kubectl create configmap model-cfg -n ml --from-literal=lr=0.001
    //   --from-literal=model=llama --from-file=blob=<"bin\0\xff\xfe">
    assert_eq!(
        decoded(CONFIGMAP),
        json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "model-cfg", "namespace": "ml"},
            "data": {"lr": "0.001", "model": "llama"},
            "binaryData": {"blob": "YmluAP/+"}
        })
    );
    // kubectl create secret generic hf-token -n ml --from-literal=token=s3cr3t --type=Opaque
    assert_eq!(
        decoded(SECRET),
        json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "hf-token", "namespace": "ml"},
            "type": "Opaque",
            "data": {"token": "czNjcjN0"}
        })
    );
    // kubectl create serviceaccount trainer -n ml
    assert_eq!(
        decoded(SERVICEACCOUNT),
        json!({
            "apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "trainer", "namespace": "ml"}
        })
    );
}

#[test]
fn create_rbac_generators() {
    // kubectl create role reader -n ml --verb=get,list --resource=pods --resource-name=p1
    assert_eq!(
        decoded(ROLE),
        json!({
            "apiVersion": RBAC, "kind": "Role",
            "metadata": {"name": "reader", "namespace": "ml"},
            "rules": [{
                "verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"],
                "resourceNames": ["p1"]
            }]
        })
    );
    // kubectl create clusterrole creader --verb=get --resource=pods,configmaps
    assert_eq!(
        decoded(CLUSTERROLE),
        json!({
            "apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": "creader"},
            "rules": [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods", "configmaps"]}]
        })
    );
    // kubectl create clusterrole creader2 --verb=get --non-resource-url=/healthz
    assert_eq!(
        decoded(CLUSTERROLE_NONRESOURCE),
        json!({
            "apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": "creader2"},
            "rules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz"]}]
        })
    );
    // kubectl create clusterrole agg --aggregation-rule=rbac.example.com/aggregate=true
    assert_eq!(
        decoded(CLUSTERROLE_AGGREGATED),
        json!({
            "apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": "agg"},
            "aggregationRule": {"clusterRoleSelectors": [
                {"matchLabels": {"rbac.example.com/aggregate": "true"}}
            ]}
        })
    );
    // kubectl create rolebinding rb -n ml --role=reader --serviceaccount=ml:trainer
    //   --user=alice --group=ds
    assert_eq!(
        decoded(ROLEBINDING),
        json!({
            "apiVersion": RBAC, "kind": "RoleBinding",
            "metadata": {"name": "rb", "namespace": "ml"},
            "subjects": [
                {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"},
                {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "ds"},
                {"kind": "ServiceAccount", "name": "trainer", "namespace": "ml"}
            ],
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"}
        })
    );
    // kubectl create clusterrolebinding crb --clusterrole=creader --serviceaccount=ml:trainer
    assert_eq!(
        decoded(CLUSTERROLEBINDING),
        json!({
            "apiVersion": RBAC, "kind": "ClusterRoleBinding", "metadata": {"name": "crb"},
            "subjects": [{"kind": "ServiceAccount", "name": "trainer", "namespace": "ml"}],
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "creader"
            }
        })
    );
}

#[test]
fn truncated_captures_never_panic() {
    let all = [
        SSR_V1,
        SSAR_GET_PODS,
        SSAR_NONRESOURCE,
        SSRR_LIST,
        NAMESPACE,
        CONFIGMAP,
        SECRET,
        SERVICEACCOUNT,
        ROLE,
        CLUSTERROLE_AGGREGATED,
        ROLEBINDING,
        CLUSTERROLEBINDING,
    ];
    for fixture in all {
        let body = hex(fixture);
        for len in 0..body.len() {
            // Most prefixes fail; a few (cut between envelope fields) still decode. Neither panics.
            let _ = decode_to_json(&body[..len]);
        }
        // Flipping bytes must not panic either.
        for i in 4..body.len() {
            let mut bent = body.clone();
            bent[i] ^= 0x5a;
            let _ = decode_to_json(&bent);
        }
    }
}
