//! `b` in the Findings view: accept a drift finding's object, as it is now, into the baseline.
//! Nothing changes in the cluster; the acceptance is recorded in the audit trail before the
//! baseline is saved (no record, no save), and the console reloads to judge drift again.

use super::action::Effect;
use super::app::App;
use aigov_core::rules::View;

/// Accept the finding selected in the Findings view.
pub fn accept_selected(app: &mut App) -> Vec<Effect> {
    if app.read_only() {
        app.flash("read-only: the baseline cannot be changed");
        return Vec::new();
    }
    let Some(data) = app.data.as_ref() else {
        return Vec::new();
    };
    let Some(finding) = app
        .views
        .findings
        .table
        .selected_row()
        .and_then(|row| data.evaluation.findings.get(row.source))
    else {
        return Vec::new();
    };
    let Some(baseline) = data.baseline.as_ref() else {
        app.flash("no baseline: save one with `aigov baseline save`");
        return Vec::new();
    };
    let view = View::new(&data.snapshot, &data.settings);
    match aigov_remediation::accept_into(baseline, finding, &view) {
        Ok((mut accepted, entry)) => {
            accepted.saved_at = jiff::Timestamp::now().to_string();
            app.flash(format!(
                "accepting {} into the baseline…",
                super::views::clean(&finding.object.name)
            ));
            vec![Effect::SaveBaseline {
                baseline: Box::new(accepted),
                entry: Box::new(entry),
            }]
        }
        Err(why) => {
            app.flash(super::views::clean(&why));
            Vec::new()
        }
    }
}

/// The baseline was saved (reload, so drift is judged against it) or not.
pub fn saved(app: &mut App, result: Result<String, String>) -> Vec<Effect> {
    match result {
        Ok(path) => {
            app.flash(format!(
                "accepted into the baseline ({}); reloading",
                super::views::clean(&path)
            ));
            app.generation += 1;
            app.loading.active = true;
            vec![Effect::Reload {
                generation: app.generation,
            }]
        }
        Err(e) => {
            app.error(format!("the baseline was not changed: {e}"));
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::action::Action;
    use crate::tui::data::{BuildInputs, derive};
    use crate::tui::keymap::Keymap;
    use crate::tui::tests::{loaded_app, press, typing};
    use crate::tui::update::update;
    use aigov_core::rules::RulesConfig;
    use aigov_core::rules::config::Baseline;
    use aigov_core::rules::testing::snapshot;
    use ratatui::crossterm::event::KeyCode;
    use std::sync::Arc;

    fn fixture(model: &str) -> String {
        format!(
            r#"
apiVersion: v1
kind: Namespace
metadata: {{name: ml}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: serving, namespace: ml, resourceVersion: "5"}}
data: {{MODEL_ID: "{model}"}}
---
apiVersion: v1
kind: Pod
metadata: {{name: trainer, namespace: ml}}
spec:
  containers:
  - name: t
    image: "pytorch/pytorch:latest"
    resources: {{limits: {{nvidia.com/gpu: "1"}}}}
    envFrom: [{{configMapRef: {{name: serving}}}}]
"#
        )
    }

    /// The console on a ConfigMap that drifted from the baseline, the drift finding selected.
    fn drifted_app() -> App {
        let settings = RulesConfig::default();
        let before = snapshot(&fixture("meta-llama/Llama-3-8B"));
        let baseline = Baseline::capture(&View::new(&before, &settings), "t");
        let mut app = loaded_app(Keymap::default());
        app.plan = Some(aigov_remediation::plan::Plan::new(
            "fixture",
            "https://127.0.0.1:6443",
        ));
        let data = derive(
            Arc::new(snapshot(&fixture("evil/llama-backdoor"))),
            &BuildInputs {
                settings,
                baseline: Some(baseline),
                ..Default::default()
            },
        );
        let generation = app.generation;
        update(
            &mut app,
            Action::Derived {
                generation,
                data: Box::new(data),
            },
        );
        press(&mut app, KeyCode::Char('7'));
        press(&mut app, KeyCode::Char('/'));
        typing(&mut app, "CFG-003");
        press(&mut app, KeyCode::Enter);
        app
    }

    #[test]
    fn b_accepts_the_drift_recorded_first_and_reloads_once_saved() {
        let mut app = drifted_app();
        let effects = press(&mut app, KeyCode::Char('b'));
        let [Effect::SaveBaseline { baseline, entry }] = effects.as_slice() else {
            panic!("{effects:?}");
        };
        assert_eq!(entry.kind, aigov_audit::EntryKind::BaselineChange);
        let details = entry.details.as_ref().unwrap();
        assert_eq!(details["accepted"], "AIGOV-CFG-003:ConfigMap/ml/serving#");
        let record = &baseline.config_maps["ml/serving"];
        assert_eq!(
            record.keys["MODEL_ID"],
            aigov_core::rules::config::sha256_hex("evil/llama-backdoor")
        );
        match saved(&mut app, Ok("/data/baselines/x.json".into())).as_slice() {
            [Effect::Reload { .. }] => {}
            other => panic!("{other:?}"),
        }
        assert!(saved(&mut app, Err("audit log refused it".into())).is_empty());
        assert!(
            app.errors
                .last()
                .unwrap()
                .message
                .contains("the baseline was not changed")
        );
    }

    #[test]
    fn s_on_a_drifted_config_map_stages_its_restore_and_read_only_accepts_nothing() {
        let mut app = drifted_app();
        let effects = press(&mut app, KeyCode::Char('s'));
        let Some(Effect::SavePlan(plan)) = effects.first() else {
            panic!("{effects:?}");
        };
        let change = &plan.changes[0].change;
        assert!(
            change.description.contains("restore keys MODEL_ID"),
            "{}",
            change.description
        );
        let mut app = drifted_app();
        app.options.read_only = true;
        assert!(press(&mut app, KeyCode::Char('b')).is_empty());
    }
}
