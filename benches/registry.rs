//! Registry look-ups at scale (issue 6): 2,000 distinct tags pushed into a local
//! `docker-registry` (10 repositories x 200 tags, each tag its own manifest, so 2,000 distinct
//! digests), resolved with the default concurrency (cold: every tag asks the registry), then
//! again from the cache. Prints both times and the ratio cached/cold, the cold run being the
//! baseline measured in the same run. Targets: cold < 5 s, cached < 0.2 s.
//! Run: `cargo bench --bench registry` (AIGOV_BENCH_TAGS=N for another count).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../crates/aigov/tests/integration/common/registry.rs"]
mod registry_harness;

use aigov_core::model::image::ImageRef;
use aigov_registry::{RegistryClient, RegistryOptions};
use futures::StreamExt;
use registry_harness::{REGISTRY_BINARY, TestRegistry};
use std::time::Instant;

const REPOSITORIES: usize = 10;

fn main() {
    if !std::path::Path::new(REGISTRY_BINARY).exists() {
        eprintln!("SKIPPED registry bench: docker-registry not installed");
        return;
    }
    let tags: usize = std::env::var("AIGOV_BENCH_TAGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    runtime.block_on(run(tags));
}

async fn run(tags: usize) {
    let registry = TestRegistry::start().await;
    let host = registry.host.clone();
    let per_repository = tags.div_ceil(REPOSITORIES);
    let started = Instant::now();
    let mut references = Vec::with_capacity(tags);
    for r in 0..REPOSITORIES {
        let repository = format!("bench/model-{r}");
        let blobs = registry.push_image_blobs(&repository, false).await;
        let remaining = tags - references.len();
        let names: Vec<String> = (0..per_repository.min(remaining))
            .map(|t| format!("v{t}"))
            .collect();
        let registry = &registry;
        let blobs = &blobs;
        let repo = repository.as_str();
        futures::stream::iter(names.iter())
            .map(|tag| async move {
                registry
                    .push_image(repo, tag, blobs, &format!("{repo}:{tag}"))
                    .await
            })
            .buffer_unordered(16)
            .collect::<Vec<_>>()
            .await;
        references.extend(
            names.iter().map(|tag| {
                ImageRef::parse(&format!("{host}/{repository}:{tag}")).expect("reference")
            }),
        );
    }
    println!(
        "pushed {} distinct tags in {:.2?}",
        references.len(),
        started.elapsed()
    );

    // Baseline: the same 2,000 HEADs sent with a bare reqwest client, 8 at a time, no auth
    // probe, cache or parsing: the floor the registry itself sets on this machine.
    let bare = reqwest::Client::new();
    let urls: Vec<String> = references
        .iter()
        .map(|r| {
            format!(
                "http://{host}/v2/{}/manifests/{}",
                r.repository,
                r.tag.as_deref().unwrap_or("latest")
            )
        })
        .collect();
    let started = Instant::now();
    let statuses: Vec<u16> = futures::stream::iter(urls.iter())
        .map(|url| {
            let bare = &bare;
            async move {
                bare.head(url)
                    .header("accept", aigov_registry::ACCEPTED.join(", "))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            }
        })
        .buffered(8)
        .collect()
        .await;
    let bare_time = started.elapsed();
    assert!(
        statuses.iter().all(|s| *s == 200),
        "every bare HEAD answered 200"
    );

    let client = RegistryClient::new(RegistryOptions {
        insecure_http_hosts: vec![host.clone()],
        ..Default::default()
    })
    .expect("registry client");
    let concurrency = client.options().concurrency;

    let started = Instant::now();
    let cold = client.resolve_all(&references).await;
    let cold_time = started.elapsed();
    let resolved = cold.iter().filter(|l| l.resolved().is_some()).count();
    let requests = client.manifest_requests();
    let mut digests: Vec<&str> = cold
        .iter()
        .filter_map(|l| l.resolved().map(|r| r.digest.as_str()))
        .collect();
    digests.sort_unstable();
    digests.dedup();

    let started = Instant::now();
    let cached = client.resolve_all(&references).await;
    let cached_time = started.elapsed();
    let from_cache = cached
        .iter()
        .filter(|l| l.resolved().is_some_and(|r| r.from_cache))
        .count();

    println!(
        "cold:   {} references, {resolved} resolved ({} distinct digests), {requests} manifest requests, concurrency {concurrency}: {:.3} s (target < 5 s)",
        references.len(),
        digests.len(),
        cold_time.as_secs_f64()
    );
    println!(
        "cached: {from_cache} from the cache, {} new manifest requests: {:.4} s (target < 0.2 s)",
        client.manifest_requests() - requests,
        cached_time.as_secs_f64()
    );
    println!(
        "baseline: the same HEADs with bare reqwest, 8 at a time: {:.3} s; ratio cold/baseline: {:.2}",
        bare_time.as_secs_f64(),
        cold_time.as_secs_f64() / bare_time.as_secs_f64()
    );
    println!(
        "ratio cached/cold: {:.5}",
        cached_time.as_secs_f64() / cold_time.as_secs_f64()
    );
    if resolved != references.len() {
        eprintln!(
            "not every reference resolved: {:?}",
            cold.iter().find(|l| l.resolved().is_none())
        );
        std::process::exit(1);
    }
}
