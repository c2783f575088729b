//! Secret canaries for tests/canary_secrets.rs: distinct random-looking values planted where
//! secrets live (Secret data, its last-applied annotation and a custom annotation, a
//! kubeconfig user's token and client key, a registry password, an HF_TOKEN in a ConfigMap),
//! the cluster objects, kubeconfig and Docker config that carry them, and a scanner that finds
//! any of them, whole or in the encoded forms they were stored in, in raw bytes.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

pub const SECRET_DATA: &str = "cnry-sd-Q7vX2mK9pL4wR8tZ";
/// The Secret's value after it changes (drift).
pub const SECRET_DATA_NEW: &str = "cnry-sn-J3hF6bN1cV5xD0sA";
pub const LAST_APPLIED: &str = "cnry-la-T4gY8uH2jK6lM0nB";
pub const SECRET_ANNOTATION: &str = "cnry-an-W9eR3tY7uI1oP5aS";
pub const KUBE_TOKEN: &str = "cnry-kt-Z2xC6vB0nM4qW8eR";
pub const CLIENT_KEY: &str = "cnry-ck-P1oI5uY9tR3eW7qA";
pub const REGISTRY_PASSWORD: &str = "cnry-rp-L6kJ0hG4fD8sA2zX";
/// Hugging Face token shapes; aigov masks them to their first four characters.
pub const HF_TOKEN: &str = "hf_cnryHFq8Wm3Nz7Rt2Yx6Lp0Vb4";
pub const HF_TOKEN_NEW: &str = "hf_cnryHFnewK5Jd9Gs1Ua3Oe7Ic";

pub const NAMESPACE: &str = "ml-canary";
pub const CANARY_USER: &str = "canary-user";
/// A registry nobody listens on: look-ups fail at once with the connection refused, before
/// any authentication, so the Docker config's [`REGISTRY_PASSWORD`] is planted but never
/// shown to be read or sent (see `registry_was_asked` in tests/canary_secrets.rs).
pub const REGISTRY: &str = "127.0.0.1:1";

pub fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// What must never appear: each canary, and the form it was stored in (base64 in Secret data,
/// kubeconfig and Docker config) where that differs. What follows the four characters aigov
/// may show of a masked value is a needle too, and so are that tail's first ten characters,
/// for a value cut short rather than masked.
pub fn needles() -> Vec<(String, String)> {
    let mut needles = Vec::new();
    for (name, value) in [
        ("Secret data", SECRET_DATA),
        ("Secret data after the change", SECRET_DATA_NEW),
        ("last-applied annotation", LAST_APPLIED),
        ("Secret annotation", SECRET_ANNOTATION),
        ("kubeconfig token", KUBE_TOKEN),
        ("kubeconfig client key", CLIENT_KEY),
        ("registry password", REGISTRY_PASSWORD),
        ("HF_TOKEN", HF_TOKEN),
        ("HF_TOKEN after the change", HF_TOKEN_NEW),
    ] {
        needles.push((name.to_string(), value.to_string()));
        // The value without aigov's four-character prefix (`hf_c****`, `cnry****`).
        needles.push((format!("{name} (past 4 chars)"), value[4..].to_string()));
        // Ten characters from inside, past that prefix: a value cut short (a narrow table
        // column, `…`) matches neither the whole nor the tail, but still holds these.
        needles.push((format!("{name} (chars 4..14)"), value[4..14].to_string()));
    }
    needles.push(("Secret data, base64".into(), b64(SECRET_DATA)));
    needles.push((
        "Secret data after the change, base64".into(),
        b64(SECRET_DATA_NEW),
    ));
    needles.push(("client key PEM, base64".into(), b64(&client_key_pem())));
    needles.push((
        "registry auth, base64".into(),
        b64(&format!("robot:{REGISTRY_PASSWORD}")),
    ));
    needles
}

/// [`needles`], built once: the console check scans thousands of screens.
static NEEDLES: LazyLock<Vec<(String, String)>> = LazyLock::new(needles);

/// The first canary found in `bytes`, by name.
pub fn leak_in(bytes: &[u8]) -> Option<String> {
    NEEDLES
        .iter()
        .find(|(_, needle)| contains(bytes, needle))
        .map(|(name, _)| name.clone())
}

/// Every canary found in `bytes`, by name.
pub fn leaks_in(bytes: &[u8]) -> Vec<String> {
    NEEDLES
        .iter()
        .filter(|(_, needle)| contains(bytes, needle))
        .map(|(name, _)| name.clone())
        .collect()
}

fn contains(bytes: &[u8], needle: &str) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

pub fn client_key_pem() -> String {
    format!("-----BEGIN PRIVATE KEY-----\n{CLIENT_KEY}\n-----END PRIVATE KEY-----\n")
}

/// The namespace and its objects: the Secret (data, last-applied, custom annotation), a
/// ConfigMap with HF_TOKEN, a Deployment and its Pod using both and a PVC, with an image on
/// [`REGISTRY`], and RBAC letting the server's service account and `canary-user` read Secrets.
pub fn objects_yaml() -> String {
    let data = b64(SECRET_DATA);
    let last_applied = serde_json::json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "model-credentials", "namespace": NAMESPACE},
        "data": {"password": data}, "stringData": {"token": LAST_APPLIED},
    })
    .to_string();
    let pod_spec = format!(
        "serviceAccountName: server
      containers:
      - name: server
        image: {REGISTRY}/canary/model:v1
        envFrom:
        - configMapRef: {{name: hub-settings}}
        env:
        - name: PASSWORD
          valueFrom: {{secretKeyRef: {{name: model-credentials, key: password}}}}
        volumeMounts:
        - {{name: weights, mountPath: /models}}
        - {{name: credentials, mountPath: /etc/credentials}}
      volumes:
      - name: weights
        persistentVolumeClaim: {{claimName: weights}}
      - name: credentials
        secret: {{secretName: model-credentials}}"
    );
    format!(
        "apiVersion: v1
kind: Namespace
metadata:
  name: {NAMESPACE}
  labels: {{aigov.dev/ai: \"true\"}}
---
apiVersion: v1
kind: Secret
metadata:
  name: model-credentials
  namespace: {NAMESPACE}
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{last_applied}'
    canary.example.com/note: {SECRET_ANNOTATION}
type: Opaque
data:
  password: {data}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: hub-settings, namespace: {NAMESPACE}}}
data:
  HF_TOKEN: {HF_TOKEN}
  hub.env: \"endpoint=https://huggingface.co\\nHF_TOKEN={HF_TOKEN}\\n\"
  MODEL: llama-3-8b
---
apiVersion: v1
kind: ServiceAccount
metadata: {{name: server, namespace: {NAMESPACE}}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {{name: weights, namespace: {NAMESPACE}}}
spec:
  accessModes: [ReadWriteMany]
  resources: {{requests: {{storage: 10Gi}}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: server, namespace: {NAMESPACE}}}
spec:
  selector: {{matchLabels: {{app: server}}}}
  template:
    metadata: {{labels: {{app: server}}}}
    spec:
      {pod_spec}
---
apiVersion: v1
kind: Pod
metadata: {{name: server-0, namespace: {NAMESPACE}, labels: {{app: server}}}}
spec:
      {pod_spec}
status:
  phase: Running
  containerStatuses:
  - {{name: server, image: {REGISTRY}/canary/model:v1, ready: true, restartCount: 0}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: secret-reader, namespace: {NAMESPACE}}}
rules:
- {{apiGroups: [\"\"], resources: [secrets], verbs: [get, list]}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: secret-reader, namespace: {NAMESPACE}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: secret-reader}}
subjects:
- {{kind: ServiceAccount, name: server, namespace: {NAMESPACE}}}
- {{kind: User, name: {CANARY_USER}, apiGroup: rbac.authorization.k8s.io}}
"
    )
}

/// A kubeconfig (JSON, which is YAML) for the simulator with the admin context current, plus
/// `canary-token` (a user whose token is [`KUBE_TOKEN`], known to the simulator) and
/// `canary-key` (a client certificate and key, the key holding [`CLIENT_KEY`]).
pub fn kubeconfig(sim: &aigov_sim::SimHandle) -> String {
    let cluster = |name: &str, user: &str| serde_json::json!({"name": name, "context": {"cluster": "sim", "user": user}});
    serde_json::json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "sim", "cluster": {
            "server": sim.url(),
            "certificate-authority-data": b64(&sim.ca_pem),
        }}],
        "users": [
            {"name": "admin", "user": {"token": sim.admin_token}},
            {"name": "canary-token", "user": {"token": KUBE_TOKEN}},
            {"name": "canary-key", "user": {
                "client-certificate-data": b64("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"),
                "client-key-data": b64(&client_key_pem()),
            }},
        ],
        "contexts": [
            cluster("aigov-demo-admin", "admin"),
            cluster("canary-token", "canary-token"),
            cluster("canary-key", "canary-key"),
        ],
        "current-context": "aigov-demo-admin",
    })
    .to_string()
}

/// `DOCKER_CONFIG/config.json` with an `auths` entry for [`REGISTRY`].
pub fn write_docker_config(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("config.json");
    let config = serde_json::json!({"auths": {
        REGISTRY: {"auth": b64(&format!("robot:{REGISTRY_PASSWORD}"))},
    }});
    std::fs::write(&path, config.to_string()).unwrap();
    path
}

/// Every regular file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}
