//! The Config drift view on fixtures: without a baseline (the notice and the masked literals)
//! and with one captured from an earlier state of the same objects (every kind of change,
//! hash prefixes only, Secrets by resourceVersion), values never shown.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::tui::view::ViewId;
use crate::tui::views::reach::tests::{app_with, press, screen};
use aigov_core::rules::config::Baseline;
use aigov_core::rules::{RulesConfig, View};
use ratatui::crossterm::event::KeyCode;

const HF_TOKEN: &str = "hf_Qx7vLm2PzR9kT4wYb8NcJ3hF6sD1gA5eKu";
const WANDB_KEY: &str = "9f8e7d6c5b4a39281706f5e4d3c2b1a0ffeeddcc";

/// The objects now; `before` turns them into the state the baseline was saved in.
fn now() -> String {
    format!(
        r#"
apiVersion: v1
kind: Namespace
metadata: {{name: ml}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: model-config, namespace: ml}}
data:
  MODEL_ID: meta-llama/Meta-Llama-3-8B
  MAX_TOKENS: "4096"
  NEW_KEY: "on"
  "odd\e[2Jkey": "x"
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: hub, namespace: ml}}
data:
  HF_TOKEN: {HF_TOKEN}
---
apiVersion: v1
kind: Secret
metadata: {{name: hf-token, namespace: ml, resourceVersion: "101", uid: s1}}
---
apiVersion: v1
kind: Pod
metadata: {{name: trainer, namespace: ml}}
spec:
  containers:
  - name: train
    image: "pytorch/pytorch:2.3.1"
    resources: {{limits: {{nvidia.com/gpu: "1"}}}}
    envFrom: [{{configMapRef: {{name: model-config}}}}, {{configMapRef: {{name: hub}}}}]
    env:
    - {{name: WANDB_API_KEY, value: "{WANDB_KEY}"}}
    - {{name: HUB_TOKEN, valueFrom: {{secretKeyRef: {{name: hf-token, key: token}}}}}}
"#
    )
}

fn before() -> String {
    now()
        .replace("MAX_TOKENS: \"4096\"", "MAX_TOKENS: \"2048\"")
        .replace("NEW_KEY: \"on\"", "OLD_KEY: \"gone\"")
        .replace("resourceVersion: \"101\"", "resourceVersion: \"100\"")
}

fn baseline() -> Baseline {
    let snapshot = aigov_core::rules::testing::snapshot(&before());
    let settings = RulesConfig::default();
    Baseline::capture(&View::new(&snapshot, &settings), "2025-01-01T00:00:00Z")
}

fn find<'a>(state: &'a State, name: &str, key: &str) -> &'a Entry {
    state
        .entries
        .iter()
        .find(|e| e.name == name && e.key == key)
        .unwrap_or_else(|| panic!("no entry {name} {key}"))
}

fn everything(app: &App) -> String {
    let state = &app.views.drift;
    let mut all = String::new();
    for row in &state.table.rows {
        all.push_str(&row.cells.join(" | "));
        all.push('\n');
    }
    for e in &state.entries {
        all.push_str(&format!("{e:?}\n"));
    }
    all
}

fn detail_text(app: &App) -> String {
    let lines: Vec<String> = detail(app)
        .unwrap()
        .lines
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect();
    lines.join("\n")
}

#[test]
fn without_a_baseline_only_the_masked_literals_are_listed() {
    let mut app = app_with(&now(), None);
    let state = &app.views.drift;
    assert!(state.baseline.is_none());
    assert!(state.entries.iter().all(|e| e.change == Change::SecretLike));
    let hub = find(state, "hub", "HF_TOKEN");
    assert_eq!(hub.current, "hf_Q****");
    assert_eq!(hub.users, ["Pod/trainer"]);
    let env = find(state, "trainer", "train/env/WANDB_API_KEY");
    assert_eq!(env.current, "9f8e****");
    app.view = ViewId::Drift;
    let shown = screen(&mut app, 160, 48);
    assert!(shown.contains("No baseline is loaded"), "{shown}");
    assert!(shown.contains("aigov baseline save"));
    assert!(shown.contains("hf_Q****"));
}

#[test]
fn the_baseline_notice_names_the_users_reload_key() {
    let mut app = app_with(&now(), None);
    app.view = ViewId::Drift;
    assert!(
        detail_text(&app).contains("then press r to reload"),
        "{}",
        detail_text(&app)
    );
    let overrides: toml::Table = toml::from_str("reload = \"ctrl-r\"\n").unwrap();
    app.keymap = crate::tui::keymap::Keymap::new(&overrides);
    assert!(
        detail_text(&app).contains("then press ctrl-r to reload"),
        "{}",
        detail_text(&app)
    );
    let shown = screen(&mut app, 160, 48);
    assert!(shown.contains("then press ctrl-r to reload"), "{shown}");
}

#[test]
fn masked_values_never_contain_the_full_secret() {
    for baseline in [None, Some(baseline())] {
        let mut app = app_with(&now(), baseline);
        app.view = ViewId::Drift;
        app.detail = true;
        let mut all = everything(&app);
        for position in 0..app.views.drift.table.len() {
            app.views.drift.table.select_position(position);
            all.push_str(&detail_text(&app));
            all.push_str(&screen(&mut app, 160, 48));
        }
        for secret in [HF_TOKEN, WANDB_KEY, &HF_TOKEN[..8], &WANDB_KEY[..8]] {
            assert!(!all.contains(secret), "{secret} leaked:\n{all}");
        }
        assert!(
            !all.contains("meta-llama"),
            "ConfigMap values are never shown"
        );
    }
}

#[test]
fn with_a_baseline_every_key_shows_how_it_changed() {
    let app = app_with(&now(), Some(baseline()));
    let state = &app.views.drift;
    let info = state.baseline.as_ref().unwrap();
    assert_eq!((info.config_maps, info.secrets), (2, 1));
    let changed = find(state, "model-config", "MAX_TOKENS");
    assert_eq!(changed.change, Change::Changed);
    assert_eq!(changed.baseline.len(), 8);
    assert_eq!(changed.current.len(), 8);
    assert_ne!(changed.baseline, changed.current);
    assert!(changed.current.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(find(state, "model-config", "NEW_KEY").change, Change::Added);
    assert_eq!(
        find(state, "model-config", "OLD_KEY").change,
        Change::Removed
    );
    assert_eq!(
        find(state, "model-config", "MODEL_ID").change,
        Change::Unchanged
    );
    let secret = find(state, "hf-token", "resourceVersion");
    assert_eq!(secret.change, Change::Changed);
    assert_eq!(
        (secret.baseline.as_str(), secret.current.as_str()),
        ("100", "101")
    );
    assert!(
        secret
            .findings
            .iter()
            .any(|&i| app.data.as_ref().unwrap().evaluation.findings[i].rule == "AIGOV-CFG-004")
    );
    let hub: Vec<Change> = (state.entries.iter())
        .filter(|e| e.name == "hub" && e.key == "HF_TOKEN")
        .map(|e| e.change)
        .collect();
    assert_eq!(
        hub,
        [Change::SecretLike, Change::Unchanged],
        "a literal's key is listed as a literal and compared with the baseline too"
    );
}

#[test]
fn hostile_keys_come_out_sanitised() {
    let mut app = app_with(&now(), Some(baseline()));
    let all = everything(&app);
    assert!(!all.contains('\u{1b}'));
    assert!(all.contains("odd^[[2Jkey"));
    app.view = ViewId::Drift;
    let shown = screen(&mut app, 160, 48);
    assert!(!shown.contains('\u{1b}'));
}

#[test]
fn c_cycles_the_change_filter() {
    let mut app = app_with(&now(), Some(baseline()));
    app.view = ViewId::Drift;
    let all = app.views.drift.table.len();
    press(&mut app, KeyCode::Char('c'));
    assert_eq!(app.views.drift.facet, Facet::Drifted);
    let drifted = app.views.drift.table.len();
    assert!(drifted < all && drifted >= 4, "{drifted} of {all}");
    let cells = |app: &App| -> Vec<String> {
        app.views
            .drift
            .table
            .rows
            .iter()
            .map(|r| r.cells[3].clone())
            .collect()
    };
    assert!(
        cells(&app)
            .iter()
            .all(|c| c != "unchanged" && c != "secret-like")
    );
    for _ in 0..5 {
        press(&mut app, KeyCode::Char('c'));
    }
    assert_eq!(app.views.drift.facet, Facet::Only(Change::SecretLike));
    assert!(cells(&app).iter().all(|c| c == "secret-like"));
    press(&mut app, KeyCode::Char('c'));
    assert_eq!(app.views.drift.facet, Facet::All);
    assert_eq!(app.views.drift.table.len(), all);
}

#[test]
fn the_detail_pane_shows_hash_prefixes_and_the_finding() {
    let mut app = app_with(&now(), Some(baseline()));
    app.view = ViewId::Drift;
    let state = &app.views.drift;
    let target = state
        .table
        .rows
        .iter()
        .position(|r| r.cells[2] == "MAX_TOKENS")
        .unwrap();
    app.views.drift.table.select_position(target);
    let text = detail_text(&app);
    assert!(text.contains("changed: sha256 "), "{text}");
    assert!(text.contains("AIGOV-CFG-003"), "{text}");
    assert!(text.contains("used by: Pod/trainer"), "{text}");
}
