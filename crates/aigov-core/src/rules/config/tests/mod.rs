//! Config rules on fixtures of real objects: literals in ConfigMaps and env, masking, the
//! baseline and drift per key (`drift`), and the demo cluster (`demo`).

mod drift;

use super::*;
use crate::model::{ConfigValue, Coverage, Snapshot};
use crate::rules::RulesConfig;

pub(super) const HF: &str = "hf_WbHEeV3oEVFVfFodyLmmXJJt4JbLuOBOBz";
pub(super) const OPENAI: &str = "sk-proj-_WB014Ooipk0vfFgPLVKPiN1YikEIm3GQQse2WMTHCHB3";
pub(super) const WANDB: &str = "77067d21ad72fa0f50351638f1271a4e9c0d2b11";
pub(super) const DOTENV_TOKEN: &str = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
pub(super) const AWS_ID: &str = "AKIAIOSFODNN7EXAMPL3";

pub(super) fn fixture() -> String {
    format!(
        r#"
apiVersion: v1
kind: Namespace
metadata: {{name: llm, labels: {{aigov.dev/ai: "true"}}}}
---
apiVersion: v1
kind: Namespace
metadata: {{name: web, labels: {{aigov.dev/ai: "false"}}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: hf-hub-settings, namespace: llm, uid: cm1, resourceVersion: "10"}}
data:
  HF_HOME: /models/.cache
  HF_TOKEN: {HF}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: vllm-config, namespace: llm, uid: cm2, resourceVersion: "11"}}
data:
  MAX_MODEL_LEN: "8192"
  MODEL_ID: meta-llama/Meta-Llama-3-8B-Instruct
  DTYPE: bfloat16
binaryData:
  tokenizer.bin: AAEC
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: kube-root-ca.crt, namespace: llm}}
data:
  ca.crt: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: jupyter-env, namespace: web, uid: cm3, resourceVersion: "12"}}
data:
  app.env: |
    # notebook settings
    JUPYTER_ENABLE_LAB=yes
    export GITHUB_TOKEN="{DOTENV_TOKEN}"
    OPENAI_API_KEY={OPENAI}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: shop-config, namespace: web, uid: cm4, resourceVersion: "13"}}
data:
  AWS_ACCESS_KEY_ID: {AWS_ID}
---
apiVersion: v1
kind: Secret
metadata: {{name: hf-token, namespace: llm, uid: s1, resourceVersion: "20"}}
---
apiVersion: v1
kind: Secret
metadata: {{name: registry-creds, namespace: llm, uid: s2, resourceVersion: "21"}}
---
apiVersion: v1
kind: Secret
metadata: {{name: unused, namespace: llm, uid: s3, resourceVersion: "22"}}
---
apiVersion: v1
kind: Secret
metadata: {{name: shop-db, namespace: web, uid: s4, resourceVersion: "23"}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: vllm, namespace: llm, uid: d1}}
spec:
  selector: {{matchLabels: {{app: vllm}}}}
  template:
    metadata: {{labels: {{app: vllm}}}}
    spec:
      imagePullSecrets: [{{name: registry-creds}}]
      containers:
      - name: server
        image: vllm/vllm-openai:v0.6.3
        envFrom: [{{configMapRef: {{name: vllm-config}}}}]
        env:
        - {{name: HF_TOKEN, valueFrom: {{secretKeyRef: {{name: hf-token, key: token}}}}}}
        - {{name: WANDB_API_KEY, value: {WANDB}}}
        - {{name: VLLM_PORT, value: "8000"}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: auth-proxy, namespace: llm, uid: d2}}
spec:
  selector: {{matchLabels: {{app: proxy}}}}
  template:
    metadata: {{labels: {{app: proxy}}}}
    spec:
      containers:
      - name: proxy
        image: quay.io/oauth2-proxy/oauth2-proxy:v7.6.0
        env:
        - {{name: OAUTH2_PROXY_COOKIE_SECRET, value: "Zk9vYmFyQmF6UXV4MTIzNDU2Nzg5MA"}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: lab, namespace: web, uid: d3}}
spec:
  selector: {{matchLabels: {{app: lab}}}}
  template:
    metadata: {{labels: {{app: lab}}}}
    spec:
      containers:
      - name: lab
        image: jupyter/scipy-notebook:2024-05-01
        volumeMounts: [{{name: env, mountPath: /env}}]
      volumes:
      - {{name: env, configMap: {{name: jupyter-env}}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: shop, namespace: web, uid: d4}}
spec:
  selector: {{matchLabels: {{app: shop}}}}
  template:
    metadata: {{labels: {{app: shop}}}}
    spec:
      containers:
      - name: shop
        image: nginx:1.27
        envFrom: [{{configMapRef: {{name: shop-config}}}}, {{secretRef: {{name: shop-db}}}}]
        env:
        - {{name: API_TOKEN, value: {WANDB}}}
"#
    )
}

/// The shared fixture snapshot, with the context name the baseline is keyed by.
pub(super) fn snapshot(yaml: &str) -> Snapshot {
    let mut snapshot = crate::rules::testing::snapshot(yaml);
    snapshot.origin.context = "test".into();
    snapshot
}

pub(super) fn run(snapshot: &Snapshot, baseline: Option<&Baseline>) -> Vec<Finding> {
    let settings = RulesConfig::default();
    let view = View::new(snapshot, &settings);
    let mut out = Vec::new();
    evaluate(&view, baseline, &mut out);
    out
}

pub(super) fn capture(snapshot: &Snapshot) -> Baseline {
    let settings = RulesConfig::default();
    Baseline::capture(&View::new(snapshot, &settings), "2025-06-01T10:00:00Z")
}

pub(super) fn keys(findings: &[Finding], rule: &str) -> Vec<String> {
    let mut keys: Vec<String> = findings
        .iter()
        .filter(|f| f.rule == rule)
        .map(Finding::key)
        .collect();
    keys.sort();
    keys
}

pub(super) fn one<'a>(findings: &'a [Finding], key: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.key() == key)
        .unwrap_or_else(|| panic!("no finding {key} in {findings:#?}"))
}
#[test]
fn config_maps_of_ai_workloads_and_ai_namespaces_with_secrets_are_cfg_001() {
    let found = run(&snapshot(&fixture()), None);
    assert_eq!(
        keys(&found, "AIGOV-CFG-001"),
        [
            "AIGOV-CFG-001:ConfigMap/llm/hf-hub-settings#data/HF_TOKEN",
            "AIGOV-CFG-001:ConfigMap/web/jupyter-env#data/app.env",
        ],
        "shop-config is used by a non-AI workload in a non-AI namespace; vllm-config and the \
         CA bundle hold no secrets"
    );
    let hf = one(
        &found,
        "AIGOV-CFG-001:ConfigMap/llm/hf-hub-settings#data/HF_TOKEN",
    );
    assert_eq!(hf.severity, Severity::High);
    assert!(!hf.remediable);
    assert_eq!(
        hf.evidence,
        [
            "HF_TOKEN = hf_W**** (Hugging Face token variable)",
            "in AI namespace llm"
        ]
    );
    let env = one(
        &found,
        "AIGOV-CFG-001:ConfigMap/web/jupyter-env#data/app.env",
    );
    assert!(
        env.title.contains("2 secret-like literals"),
        "{}",
        env.title
    );
    assert_eq!(
        env.evidence,
        [
            "line 3: GITHUB_TOKEN = ghp_**** (GitHub token (ghp_))",
            "line 4: OPENAI_API_KEY = sk-p**** (OpenAI API key variable)",
            "used by Deployment/lab",
        ]
    );
}

#[test]
fn env_literals_of_ai_workloads_are_cfg_002() {
    let found = run(&snapshot(&fixture()), None);
    assert_eq!(
        keys(&found, "AIGOV-CFG-002"),
        [
            "AIGOV-CFG-002:Deployment/llm/auth-proxy#container/proxy/env/OAUTH2_PROXY_COOKIE_SECRET",
            "AIGOV-CFG-002:Deployment/llm/vllm#container/server/env/WANDB_API_KEY",
        ],
        "secretKeyRef and plain values are fine; the shop is not an AI workload"
    );
    let proxy = one(
        &found,
        "AIGOV-CFG-002:Deployment/llm/auth-proxy#container/proxy/env/OAUTH2_PROXY_COOKIE_SECRET",
    );
    assert!(proxy.evidence.iter().any(|e| e == "in AI namespace llm"));
    let wandb = one(
        &found,
        "AIGOV-CFG-002:Deployment/llm/vllm#container/server/env/WANDB_API_KEY",
    );
    assert_eq!(wandb.severity, Severity::High);
    assert_eq!(
        wandb.evidence,
        ["WANDB_API_KEY = 7706**** (Weights & Biases API key variable)"]
    );
}

/// Every literal of the fixture, and every 5-character window of it: none may appear in any
/// finding text, nor in the findings' JSON, nor in the baseline.
#[test]
fn full_values_never_appear_in_findings_or_the_baseline() {
    let snap = snapshot(&fixture());
    let mut changed = snap.clone();
    for c in &mut changed.config_maps {
        for v in c.data.values_mut() {
            *v = ConfigValue::new(format!("{}{}", v.expose(), "Q7xZ"));
        }
    }
    let baseline = capture(&snap);
    let mut found = run(&snap, None);
    found.extend(run(&changed, Some(&baseline)));
    assert!(found.iter().any(|f| f.rule == "AIGOV-CFG-003"));
    let texts: Vec<String> = found
        .iter()
        .flat_map(|f| {
            let mut t = vec![
                f.title.clone(),
                f.explanation.clone(),
                serde_json::to_string(f).unwrap(),
            ];
            t.extend(f.evidence.iter().cloned());
            t
        })
        .chain([
            serde_json::to_string(&baseline).unwrap(),
            format!("{baseline:?}"),
        ])
        .collect();
    for secret in [
        HF,
        OPENAI,
        WANDB,
        DOTENV_TOKEN,
        AWS_ID,
        "Zk9vYmFyQmF6UXV4MTIzNDU2Nzg5MA",
    ] {
        for window in secret.as_bytes().windows(5) {
            let window = std::str::from_utf8(window).unwrap();
            for text in &texts {
                assert!(
                    !text.contains(window),
                    "{window:?} of a secret appears in {text:?}"
                );
            }
        }
    }
}

#[test]
fn unknown_config_maps_are_incomplete_only_where_they_matter() {
    let mut snap = snapshot(&fixture());
    snap.coverage.insert(
        Kind::ConfigMap,
        Coverage::Partial {
            unknown_namespaces: [
                ("llm".to_string(), "forbidden".to_string()),
                ("elsewhere".to_string(), "forbidden".to_string()),
            ]
            .into(),
        },
    );
    let found = run(&snap, None);
    let incomplete: Vec<String> = found
        .iter()
        .filter(|f| f.incomplete)
        .map(Finding::key)
        .collect();
    assert_eq!(incomplete, ["AIGOV-CFG-001:Namespace//llm#"]);
    snap.coverage.insert(
        Kind::Pod,
        Coverage::Unknown {
            reason: "timeout".into(),
        },
    );
    let found = run(&snap, None);
    assert!(
        found
            .iter()
            .any(|f| f.incomplete && f.key() == "AIGOV-CFG-002:Namespace//*#")
    );
}

#[test]
fn hostile_keys_and_value_prefixes_are_sanitised() {
    let yaml = r#"
apiVersion: v1
kind: Namespace
metadata: {name: llm, labels: {aigov.dev/ai: "true"}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: evil, namespace: llm}
data:
  "HF_TOKEN\u001b[2J": "\u001b]52;c;hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567"
  OPENAI_API_KEY: "\u001b[2Jabcdefghijkl"
"#;
    let found = run(&snapshot(yaml), None);
    let hits: Vec<&Finding> = found.iter().filter(|f| f.rule == "AIGOV-CFG-001").collect();
    assert_eq!(hits.len(), 2, "{found:#?}");
    for f in &hits {
        for text in f.evidence.iter().chain([&f.title]) {
            assert!(!text.contains('\u{1b}'), "{text:?}");
        }
    }
    let evidence: Vec<&str> = hits.iter().map(|f| f.evidence[0].as_str()).collect();
    assert!(
        evidence.contains(&"HF_TOKEN^[[2J = hf_A**** (Hugging Face token (hf_))"),
        "{evidence:?}"
    );
    assert!(
        evidence.contains(&"OPENAI_API_KEY = ^[[2J**** (OpenAI API key variable)"),
        "{evidence:?}"
    );
}
