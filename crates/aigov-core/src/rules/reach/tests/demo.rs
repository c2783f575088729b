//! Data reach over the built-in demo platform: each deliberate data problem is found with
//! the expected rule, and the clean volumes are not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

fn demo() -> Snapshot {
    objects_to_snapshot(aigov_sim::demo::objects().unwrap())
}

#[test]
fn imagenet_is_rwx_and_interns_reach_it_by_exec() {
    let snapshot = demo();
    let settings = RulesConfig::default();
    let view = View::new(&snapshot, &settings);
    let reach = reach_of(&view, "ml-training", "imagenet-2012").unwrap();
    assert!(reach.sensitive && reach.is_rwx());
    assert_eq!(reach.data, DataKind::Dataset);
    let interns = Subject::group("interns");
    let exec = reach
        .paths
        .iter()
        .find(|p| p.subject == interns && matches!(p.how, How::ExecIntoPod { .. }))
        .expect("interns exec into a pod that mounts imagenet-2012");
    let How::ExecIntoPod { units } = &exec.how else {
        unreachable!()
    };
    assert!(
        units.contains(&UnitRef {
            kind: "Job",
            name: "resnet50-train-imagenet"
        }),
        "{units:?}"
    );
    assert!(
        exec.grant
            .as_ref()
            .is_some_and(|g| g.binding_namespace == "ml-training")
    );
    assert!(reach.subjects().contains(&interns));
    let job = reach
        .mounted_by
        .iter()
        .find(|m| m.unit.to_string() == "Job/resnet50-train-imagenet")
        .unwrap();
    assert!(job.read_only && job.ai);
}

#[test]
fn the_demo_data_problems_are_found() {
    let snapshot = demo();
    let f = findings_with(&snapshot, &RulesConfig::default());
    assert!(
        f.iter().all(|f| !f.incomplete),
        "the demo is read completely"
    );
    let hits = |rule: &str| found(&f, rule);
    assert_eq!(
        hits("AIGOV-REACH-002"),
        [
            "Job/ml-training/resnet50-train-imagenet#volume/local-nvme",
            "Pod/default/pytorch-debug#volume/scratch"
        ]
    );
    assert_eq!(
        hits("AIGOV-REACH-003"),
        ["Deployment/llm-inference/tgi-mistral-7b#volume/model-weights"]
    );
    assert_eq!(
        hits("AIGOV-REACH-004"),
        [
            "PersistentVolumeClaim/ml-training/imagenet-2012#",
            "PersistentVolumeClaim/notebooks/shared-datasets#"
        ]
    );
    let released: Vec<String> = f
        .iter()
        .filter(|f| f.rule == "AIGOV-REACH-005")
        .flat_map(|f| {
            f.evidence
                .iter()
                .filter(|e| e.starts_with("former claim"))
                .cloned()
        })
        .collect();
    let mut released = released;
    released.sort();
    assert_eq!(
        released,
        [
            "former claim ml-training/gpt2-xl-ckpt-2023",
            "former claim notebooks/imagenet-subset"
        ]
    );
    assert_eq!(
        hits("AIGOV-REACH-007"),
        [
            "Service/llm-inference/llm-gateway#",
            "Service/notebooks/alice-nodeport#"
        ]
    );
    let unencrypted = hits("AIGOV-REACH-006");
    assert!(
        unencrypted.contains(&"PersistentVolumeClaim/ml-training/instruct-mix-v3#".to_string()),
        "{unencrypted:?}"
    );
    let on_fast_ssd = "PersistentVolumeClaim/llm-inference/mistral-7b-weights#".to_string();
    assert!(!unencrypted.contains(&on_fast_ssd), "fast-ssd is encrypted");
    let instruct = f
        .iter()
        .find(|f| f.rule == "AIGOV-REACH-006" && f.object.name == "instruct-mix-v3")
        .unwrap();
    assert_eq!(instruct.severity, Severity::Medium);
    // ml-engineers hold cluster-admin, interns edit: imagenet has more than ten subjects.
    assert!(
        hits("AIGOV-REACH-001")
            .contains(&"PersistentVolumeClaim/ml-training/imagenet-2012#".to_string())
    );
}

#[test]
fn demo_reach_covers_every_sensitive_claim_and_no_web_data() {
    let snapshot = demo();
    let settings = RulesConfig::default();
    let view = View::new(&snapshot, &settings);
    let volumes = sensitive_volumes(&view);
    let names: Vec<String> = volumes
        .iter()
        .map(|v| format!("{}/{}", v.namespace, v.pvc))
        .collect();
    assert!(
        names.contains(&"llm-inference/mistral-7b-weights".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"feature-store/feast-offline-store".to_string()),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n.starts_with("web-shop/")),
        "{names:?}"
    );
    let mistral = volumes
        .iter()
        .find(|v| v.pvc == "mistral-7b-weights")
        .unwrap();
    let tgi = mistral
        .mounted_by
        .iter()
        .find(|m| m.unit.to_string() == "Deployment/tgi-mistral-7b")
        .unwrap();
    assert!(!tgi.read_only && tgi.inference);
}
