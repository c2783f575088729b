//! `--read-pull-secrets`: the workloads' image pull secrets sign aigov in to their registries.
//! Against the real Distribution registry with basic auth: without the secret the tag is
//! unknown; with it, the tag resolves. Through the real binary on the demo: the opt-in is
//! recorded in the audit log (which secrets, for which registries) before anything is read,
//! nothing is recorded without the flag, and no secret value reaches any output. The console's
//! look-up path keeps the same promises, and reads nothing when the log refuses the note.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use aigov::tui::recorder::Recorder;
use aigov::tui::registries::{self, Generation, Registries};
use aigov_core::rules::{RulesConfig, View};
use aigov_kube::{LoadOptions, load};
use aigov_registry::{RegistryClient, RegistryOptions, gather, pull_secrets, tagged_images};
use aigov_sim::{Dataset, SimOptions};
use common::registry::{TestRegistry, options_for, registry_available};
use common::serve::run_aigov;
use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::api::{Api, PostParams};
use serde_json::json;
use std::sync::Arc;

const PASSWORD: &str = "pull-secret-canary-7f3a9c";

/// A dockerconfigjson Secret `app-pull` signing in to `host` as `puller`, and a GPU pod in
/// `namespace` that pulls `host/team/app:v1` with it.
fn pull_secret_and_pod(host: &str, namespace: &str) -> (serde_json::Value, serde_json::Value) {
    use base64::Engine;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("puller:{PASSWORD}"));
    let config = json!({"auths": {host: {"auth": auth}}}).to_string();
    let secret = json!({
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
        "metadata": {"name": "app-pull", "namespace": namespace},
        "data": {".dockerconfigjson": base64::engine::general_purpose::STANDARD.encode(config)},
    });
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "app", "namespace": namespace},
        "spec": {"imagePullSecrets": [{"name": "app-pull"}],
            "containers": [{"name": "app", "image": format!("{host}/team/app:v1"),
                "resources": {"limits": {"nvidia.com/gpu": "1"}}}]},
    });
    (secret, pod)
}

#[tokio::test]
async fn a_pull_secret_signs_in_to_the_registry_its_pod_pulls_from() {
    if !registry_available("a_pull_secret_signs_in_to_the_registry_its_pod_pulls_from") {
        return;
    }
    let registry = TestRegistry::start_with_basic_auth("puller", PASSWORD).await;
    let host = registry.host.clone();
    let blobs = registry.push_image_blobs("team/app", false).await;
    let (digest, _) = registry.push_image("team/app", "v1", &blobs, "a").await;

    let t = common::demo_sim().await;
    let admin = t.admin().await;
    let (secret, pod) = pull_secret_and_pod(&host, "llm-inference");
    Api::<Secret>::namespaced(admin.clone(), "llm-inference")
        .create(
            &PostParams::default(),
            &serde_json::from_value(secret).unwrap(),
        )
        .await
        .unwrap();
    Api::<Pod>::namespaced(admin, "llm-inference")
        .create(
            &PostParams::default(),
            &serde_json::from_value(pod).unwrap(),
        )
        .await
        .unwrap();

    let connection = t.connect_as("aigov-demo-admin").await;
    let snapshot = load(&connection, &LoadOptions::default(), Arc::new(|_| {})).await;
    let settings = RulesConfig::default();
    let view = View::new(&snapshot, &settings);
    let images: Vec<_> = tagged_images(&view)
        .into_iter()
        .filter(|i| i.registry == host)
        .collect();
    assert_eq!(images.len(), 1);
    let refs = pull_secrets::referenced(&view, &images);
    assert_eq!(
        refs.keys().map(ToString::to_string).collect::<Vec<_>>(),
        ["llm-inference/app-pull"]
    );

    let lookup = |credentials| {
        let client = RegistryClient::new(RegistryOptions {
            credentials,
            ..options_for(&host)
        })
        .unwrap();
        let images = images.clone();
        async move { gather(&client, images, None).await.lookups }
    };
    let anonymous = lookup(Default::default()).await;
    assert!(anonymous[0].resolved().is_none(), "{anonymous:?}");

    let (credentials, problems) = aigov::engine::pull_secrets::read(&connection, &refs).await;
    assert!(problems.is_empty(), "{problems:?}");
    assert!(!format!("{credentials:?}").contains(PASSWORD));
    let signed_in = lookup(credentials).await;
    assert_eq!(
        signed_in[0].resolved().map(|r| r.digest.as_str()),
        Some(digest.as_str()),
        "{signed_in:?}"
    );
}

/// The audit log at `log` holds one session whose only entry is the opt-in note; its details.
fn the_one_opt_in_note(log: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(log).unwrap();
    let entries: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["session_start", "note", "session_end"], "{text}");
    let note = entries[1]["details"].clone();
    assert_eq!(note["event"], "pull_secrets_read");
    assert_eq!(note["flag"], "--read-pull-secrets");
    note
}

#[test]
fn the_opt_in_is_audited_before_any_secret_is_read() {
    let data = tempfile::tempdir().unwrap();
    let log = data.path().join("audit").join("audit.jsonl");

    let (code, out, err) = run_aigov(data.path(), &["--demo", "images"]);
    assert!(code <= 1, "{out}{err}");
    assert!(!log.exists(), "nothing to record without the flag");

    let (code, out, err) = run_aigov(data.path(), &["--demo", "images", "--read-pull-secrets"]);
    assert!(code <= 1, "{out}{err}");
    let note = the_one_opt_in_note(&log);
    let secrets: Vec<&str> = note["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        !secrets.is_empty() && secrets.iter().all(|s| s.contains('/')),
        "{note}"
    );
    let (code, verified, _) = run_aigov(data.path(), &["log", "verify"]);
    assert_eq!(code, 0, "{verified}");

    // A log that cannot record the note: the command stops before reading any secret.
    let refusing = tempfile::tempdir().unwrap();
    std::fs::write(refusing.path().join("audit"), "not a directory").unwrap();
    let (code, out, err) = run_aigov(
        refusing.path(),
        &["--demo", "images", "--read-pull-secrets"],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("no pull secret was read: the audit log refused the record of it"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

/// The console's look-ups (`tui::registries::check`, as the runner calls it after a load): with
/// `--read-pull-secrets` the pull secret signs in and the audit trail records the read; without
/// it, or when the log refuses the note, the secret is never fetched and the tag stays unknown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_signs_in_with_pull_secrets_only_when_asked_and_records_it() {
    if !registry_available("the_console_signs_in_with_pull_secrets_only_when_asked_and_records_it")
    {
        return;
    }
    let registry = TestRegistry::start_with_basic_auth("puller", PASSWORD).await;
    let host = registry.host.clone();
    let blobs = registry.push_image_blobs("team/app", false).await;
    let (digest, _) = registry.push_image("team/app", "v1", &blobs, "a").await;
    // A cluster with only this namespace, so every tag the console asks about is this one.
    let fixture = tempfile::tempdir().unwrap();
    let (secret, pod) = pull_secret_and_pod(&host, "ml");
    let namespace = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml"}});
    for (file, object) in [("ns", namespace), ("secret", secret), ("pod", pod)] {
        let path = fixture.path().join(format!("{file}.json"));
        std::fs::write(path, object.to_string()).unwrap();
    }
    let t = common::sim_with(SimOptions {
        datasets: vec![Dataset::Fixture(fixture.path().to_path_buf())],
        ..SimOptions::default()
    })
    .await;
    let connection = t.connect_as("aigov-demo-admin").await;
    let snapshot = Arc::new(load(&connection, &LoadOptions::default(), Arc::new(|_| {})).await);
    let image = format!("{host}/team/app:v1");

    let secret_reads = || {
        t.sim
            .requests()
            .iter()
            .filter(|r| r.method == "GET" && r.path == "/api/v1/namespaces/ml/secrets/app-pull")
            .count()
    };
    // A log that cannot be opened: its directory would be under a regular file.
    let not_a_dir = t.dir.path().join("not-a-dir");
    std::fs::write(&not_a_dir, "").unwrap();

    /// One run of the console's look-ups.
    struct Case {
        name: &'static str,
        read_pull_secrets: bool,
        log: std::path::PathBuf,
        /// Whether the log can record the note.
        log_works: bool,
    }
    for Case {
        name: case,
        read_pull_secrets,
        log,
        log_works,
    } in [
        Case {
            name: "without the flag",
            read_pull_secrets: false,
            log: t.dir.path().join("audit-off.jsonl"),
            log_works: true,
        },
        Case {
            name: "with the flag",
            read_pull_secrets: true,
            log: t.dir.path().join("audit-on.jsonl"),
            log_works: true,
        },
        Case {
            name: "with a log that refuses",
            read_pull_secrets: true,
            log: not_a_dir.join("audit.jsonl"),
            log_works: false,
        },
    ] {
        let reads_before = secret_reads();
        let recorder = Recorder::at(&log);
        recorder
            .connected(aigov::engine::session::audit_session(
                &connection,
                "console",
            ))
            .await
            .unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let registries = Registries {
            options: options_for(&host),
            read_pull_secrets,
        };
        let reporter = aigov::tui::progress::Reporter { tx, generation: 0 };
        let generation = Generation {
            connection: &connection,
            recorder: &recorder,
            reporter: &reporter,
        };
        let (facts, _) = registries::check(
            registries,
            snapshot.clone(),
            RulesConfig::default(),
            generation,
        )
        .await;
        let _ = recorder.close().await;
        let mut said = Vec::new();
        while let Ok(action) = rx.try_recv() {
            said.push(format!("{action:?}"));
        }
        assert!(
            said.iter().all(|s| !s.contains(PASSWORD)),
            "{case}: {said:?}"
        );
        let resolved = facts.digests.get(&image).map(|f| f.digest.as_str());
        let says_read = said
            .iter()
            .any(|s| s.contains("tags resolved") && s.contains("pull secrets read for 1 registry"));
        let reads = secret_reads() - reads_before;
        if read_pull_secrets && log_works {
            assert_eq!(reads, 1, "{case}");
            assert!(says_read, "{case}: {said:?}");
            assert_eq!(
                resolved,
                Some(digest.as_str()),
                "{case}: {facts:?} {said:?}"
            );
            assert!(!std::fs::read_to_string(&log).unwrap().contains(PASSWORD));
            let note = the_one_opt_in_note(&log);
            assert_eq!(note["secrets"], json!(["ml/app-pull"]));
            assert_eq!(note["registries"], json!([host]));
        } else {
            assert_eq!(reads, 0, "{case}: the secret was read");
            assert!(!says_read, "{case}: {said:?}");
            assert_eq!(resolved, None, "{case}: signed in: {facts:?}");
            assert!(facts.unknown.contains_key(&image), "{case}: {facts:?}");
        }
        if !read_pull_secrets {
            assert!(!log.exists(), "{case}: nothing is recorded");
        }
        if !log_works {
            assert!(
                said.iter().any(|s| s
                    .contains("no pull secret was read: the audit log refused the record of it")),
                "{case}: {said:?}"
            );
        }
    }
}
