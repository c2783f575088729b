//! Image pins (IMG-001) and read-only mounts (REACH-003).

use super::*;
use crate::Remediation;
use serde_json::json;

const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

/// A Deployment (through a ReplicaSet) and a CronJob, a bare pod and a Job, all AI.
fn fixture() -> String {
    format!(
        r#"
apiVersion: v1
kind: Namespace
metadata: {{name: llm, labels: {{aigov.dev/ai: "true"}}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: vllm-server, namespace: llm, uid: dep-1, resourceVersion: "101"}}
spec:
  selector: {{matchLabels: {{app: vllm}}}}
  template:
    metadata: {{labels: {{app: vllm}}}}
    spec:
      initContainers: [{{name: fetch, image: "busybox:1.36"}}]
      containers:
      - name: sidecar
        image: "registry.example.com/ml/exporter:2.0@{D2}"
      - name: server
        image: "vllm/vllm-openai:v0.6.3"
        resources: {{limits: {{nvidia.com/gpu: "1"}}}}
        volumeMounts:
        - {{name: weights, mountPath: /models}}
        - {{name: cache, mountPath: /cache}}
      volumes:
      - {{name: weights, persistentVolumeClaim: {{claimName: llama-weights}}}}
      - {{name: cache, emptyDir: {{}}}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: vllm-server-5d9
  namespace: llm
  uid: rs-1
  ownerReferences: [{{apiVersion: apps/v1, kind: Deployment, name: vllm-server, uid: dep-1, controller: true}}]
spec:
  selector: {{matchLabels: {{app: vllm}}}}
  template:
    metadata: {{labels: {{app: vllm}}}}
    spec:
      containers: [{{name: server, image: "vllm/vllm-openai:v0.6.3"}}]
---
apiVersion: v1
kind: Pod
metadata:
  name: vllm-server-5d9-a
  namespace: llm
  labels: {{app: vllm}}
  ownerReferences: [{{apiVersion: apps/v1, kind: ReplicaSet, name: vllm-server-5d9, uid: rs-1, controller: true}}]
spec:
  containers: [{{name: server, image: "vllm/vllm-openai:v0.6.3"}}]
status:
  phase: Running
  containerStatuses:
  - {{name: server, image: "vllm/vllm-openai:v0.6.3", imageID: "docker.io/vllm/vllm-openai@{D1}", ready: true, restartCount: 0}}
  - {{name: fetch, image: "busybox:1.36", imageID: "", ready: true, restartCount: 0}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {{name: llama-weights, namespace: llm, labels: {{aigov.dev/data: model}}}}
spec: {{accessModes: [ReadWriteOnce], resources: {{requests: {{storage: 10Gi}}}}}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {{name: nightly-eval, namespace: llm, uid: cj-1, resourceVersion: "202"}}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{{name: eval, image: "pytorch/pytorch:2.3.1"}}]
---
apiVersion: batch/v1
kind: Job
metadata:
  name: nightly-eval-29
  namespace: llm
  uid: job-1
  ownerReferences: [{{apiVersion: batch/v1, kind: CronJob, name: nightly-eval, uid: cj-1, controller: true}}]
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{{name: eval, image: "pytorch/pytorch:2.3.1"}}]
---
apiVersion: v1
kind: Pod
metadata:
  name: nightly-eval-29-x
  namespace: llm
  ownerReferences: [{{apiVersion: batch/v1, kind: Job, name: nightly-eval-29, uid: job-1, controller: true}}]
spec:
  restartPolicy: Never
  containers: [{{name: eval, image: "pytorch/pytorch:2.3.1"}}]
status:
  phase: Running
  containerStatuses:
  - {{name: eval, image: "pytorch/pytorch:2.3.1", imageID: "docker.io/pytorch/pytorch@{D2}", ready: true, restartCount: 0}}
---
apiVersion: v1
kind: Pod
metadata: {{name: debug, namespace: llm, resourceVersion: "303"}}
spec:
  containers: [{{name: torch, image: "pytorch/pytorch:latest"}}]
status:
  phase: Running
  containerStatuses:
  - {{name: torch, image: "pytorch/pytorch:latest", imageID: "docker.io/pytorch/pytorch@{D1}", ready: true, restartCount: 0}}
---
apiVersion: batch/v1
kind: Job
metadata: {{name: finetune, namespace: llm, uid: job-2}}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{{name: train, image: "pytorch/pytorch:2.3.1"}}]
---
apiVersion: v1
kind: Pod
metadata:
  name: finetune-q
  namespace: llm
  ownerReferences: [{{apiVersion: batch/v1, kind: Job, name: finetune, uid: job-2, controller: true}}]
spec:
  restartPolicy: Never
  containers: [{{name: train, image: "pytorch/pytorch:2.3.1"}}]
status:
  phase: Running
  containerStatuses:
  - {{name: train, image: "pytorch/pytorch:2.3.1", imageID: "docker.io/pytorch/pytorch@{D2}", ready: true, restartCount: 0}}
"#
    )
}

const SERVER: &str = "AIGOV-IMG-001:Deployment/llm/vllm-server#container/server";

#[test]
fn a_deployment_is_pinned_to_the_running_digest_in_its_template() {
    let objects = Objects::from_yaml(&fixture());
    let (proposal, after) = fixes(&objects, SERVER);
    let Proposal::Change {
        remediation,
        changes,
        ..
    } = &proposal
    else {
        unreachable!()
    };
    let pinned = format!("vllm/vllm-openai:v0.6.3@{D1}");
    assert_eq!(
        remediation,
        &Remediation::PinImage {
            container: "server".into(),
            from: "vllm/vllm-openai:v0.6.3".into(),
            to: pinned.clone(),
            source: "running pods".into(),
        }
    );
    assert_eq!(changes.len(), 1);
    let c = &changes[0];
    assert_eq!(
        (c.target.group.as_str(), c.target.resource.as_str()),
        ("apps", "deployments")
    );
    assert_eq!(
        (c.target.namespace.as_str(), c.target.name.as_str()),
        ("llm", "vllm-server")
    );
    assert_eq!(c.resource_version.as_deref(), Some("101"));
    assert_eq!(c.uid.as_deref(), Some("dep-1"));
    // The sidecar comes first: the index is the server's, and the tests pin it by name.
    let at = "/spec/template/spec/containers/1";
    assert_eq!(
        c.operation,
        Operation::Patch {
            patch_type: PatchType::Json,
            body: json!([
                {"op": "test", "path": format!("{at}/name"), "value": "server"},
                {"op": "test", "path": format!("{at}/image"), "value": "vllm/vllm-openai:v0.6.3"},
                {"op": "replace", "path": format!("{at}/image"), "value": pinned},
            ])
        }
    );
    assert!(c.description.contains("Deployment llm/vllm-server") && c.description.contains("pin"));
    assert_eq!(
        after.get(c)["spec"]["template"]["spec"]["containers"][1]["image"],
        pinned.as_str()
    );
    undo_restores(&objects, &proposal, &after, true);
    // The inverse refuses to run on an object someone changed since.
    let mut moved = after.clone();
    let mut edit = c.clone();
    edit.operation = Operation::Patch {
        patch_type: PatchType::Json,
        body: json!([{"op": "replace", "path": format!("{at}/image"), "value": "other:1"}]),
    };
    moved.apply(&edit).unwrap();
    assert!(moved.apply(&c.inverse()).is_err());
}

#[test]
fn a_cronjob_is_pinned_under_its_job_template() {
    let objects = Objects::from_yaml(&fixture());
    let key = "AIGOV-IMG-001:CronJob/llm/nightly-eval#container/eval";
    let (proposal, after) = fixes(&objects, key);
    let c = &proposal.changes()[0];
    assert_eq!(c.target.resource, "cronjobs");
    assert_eq!(c.resource_version.as_deref(), Some("202"));
    assert_eq!(
        after.get(c)["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"],
        format!("pytorch/pytorch:2.3.1@{D2}")
    );
    undo_restores(&objects, &proposal, &after, true);
}

#[test]
fn a_bare_pod_is_pinned_in_place_but_a_job_gets_guidance() {
    let objects = Objects::from_yaml(&fixture());
    let (proposal, _) = fixes(&objects, "AIGOV-IMG-001:Pod/llm/debug#container/torch");
    let c = &proposal.changes()[0];
    assert_eq!(
        (c.target.resource.as_str(), c.target.group.as_str()),
        ("pods", "")
    );
    assert_eq!(c.resource_version.as_deref(), Some("303"));
    let snapshot = objects.snapshot();
    let job = finding(&snapshot, "AIGOV-IMG-001:Job/llm/finetune#container/train");
    assert!(!job.remediable, "{:?}", job.evidence);
    assert!(matches!(propose(&job, &snapshot), Proposal::Guidance(g) if g.contains("immutable")));
}

#[test]
fn without_a_running_digest_the_registry_look_up_is_left_for_later() {
    let objects = Objects::from_yaml(&fixture());
    let snapshot = objects.snapshot();
    let fetch = finding(
        &snapshot,
        "AIGOV-IMG-001:Deployment/llm/vllm-server#container/fetch",
    );
    assert!(!fetch.remediable);
    assert!(
        matches!(propose(&fetch, &snapshot), Proposal::Guidance(g) if g.contains("registry look-up"))
    );
    // With the registry's digest in the evidence (once look-ups run), that digest is pinned.
    let mut with_registry = fetch.clone();
    with_registry.evidence.push(format!(
        "registry digest for the tag: {D2} (index, checked now)"
    ));
    let proposal = propose(&with_registry, &snapshot);
    let Proposal::Change { remediation, .. } = &proposal else {
        panic!("{proposal:?}")
    };
    assert!(
        matches!(remediation, Remediation::PinImage { to, source, .. }
        if to == &format!("busybox:1.36@{D2}") && source == "registry")
    );
}

#[test]
fn a_gone_workload_is_not_applicable() {
    let objects = Objects::from_yaml(&fixture());
    let f = finding(&objects.snapshot(), SERVER);
    let mut gone = objects.clone();
    gone.0.retain(|d| d["metadata"]["name"] != "vllm-server");
    assert!(matches!(
        propose(&f, &gone.snapshot()),
        Proposal::NotApplicable(_)
    ));
}

const WEIGHTS: &str = "AIGOV-REACH-003:Deployment/llm/vllm-server#volume/weights";

#[test]
fn model_mounts_become_read_only_and_nothing_else_changes() {
    let objects = Objects::from_yaml(&fixture());
    let (proposal, after) = fixes(&objects, WEIGHTS);
    let c = &proposal.changes()[0];
    let at = "/spec/template/spec/containers/1";
    assert_eq!(
        c.operation,
        Operation::Patch {
            patch_type: PatchType::Json,
            body: json!([
                {"op": "test", "path": format!("{at}/name"), "value": "server"},
                {"op": "test", "path": format!("{at}/volumeMounts/0/name"), "value": "weights"},
                {"op": "add", "path": format!("{at}/volumeMounts/0/readOnly"), "value": true},
            ])
        }
    );
    let mounts = &after.get(c)["spec"]["template"]["spec"]["containers"][1]["volumeMounts"];
    assert_eq!(mounts[0]["readOnly"], true);
    assert!(
        mounts[1].get("readOnly").is_none(),
        "the cache stays writable"
    );
    // The inverse sets readOnly: false, which the model reads as it was (absent means false).
    undo_restores(&objects, &proposal, &after, false);
    assert!(matches!(
        proposal,
        Proposal::Change { remediation: Remediation::ReadOnlyMounts { ref volume, ref containers }, .. }
            if volume == "weights" && containers == &["server".to_string()]
    ));
}

#[test]
fn a_bare_pod_mounting_a_model_read_write_gets_guidance() {
    let yaml = r#"
apiVersion: v1
kind: Namespace
metadata: {name: llm, labels: {aigov.dev/ai: "true"}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: w, namespace: llm, labels: {aigov.dev/data: model}}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: inference-debug, namespace: llm}
spec:
  containers:
  - {name: s, image: "vllm/vllm-openai:v0.6.3", volumeMounts: [{name: w, mountPath: /m}]}
  volumes: [{name: w, persistentVolumeClaim: {claimName: w}}]
"#;
    let snapshot = Objects::from_yaml(yaml).snapshot();
    let f = finding(
        &snapshot,
        "AIGOV-REACH-003:Pod/llm/inference-debug#volume/w",
    );
    assert!(!f.remediable);
    assert!(matches!(propose(&f, &snapshot), Proposal::Guidance(_)));
}

#[test]
fn the_precondition_makes_a_patch_fail_on_an_object_changed_since_the_snapshot() {
    let objects = Objects::from_yaml(&fixture());
    let f = finding(&objects.snapshot(), SERVER);
    let proposal = propose(&f, &objects.snapshot());
    let c = &proposal.changes()[0];
    let mut guarded = c.clone();
    guarded.operation = Operation::Patch {
        patch_type: PatchType::Json,
        body: c.precondition_body().unwrap(),
    };
    let mut same = objects.clone();
    assert!(same.apply(&guarded).is_ok());
    let mut changed = objects.clone();
    let deployment = changed
        .0
        .iter_mut()
        .find(|d| d["kind"] == "Deployment")
        .unwrap();
    deployment["metadata"]["resourceVersion"] = json!("102");
    assert!(changed.apply(&guarded).is_err());
}
