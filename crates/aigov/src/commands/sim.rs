//! `aigov sim serve`: run the simulator until interrupted.

use crate::cli::ServeArgs;
use crate::engine::Error;
use crate::settings::Settings;
use aigov_sim::{Dataset, FaultSettings, SimOptions, start};

pub async fn serve(settings: &Settings, args: &ServeArgs) -> Result<(), Error> {
    args.validate().map_err(Error::Usage)?;
    let mut datasets = Vec::new();
    if settings.demo {
        datasets.push(Dataset::Demo);
    }
    if let Some(dir) = &args.fixture {
        datasets.push(Dataset::Fixture(dir.clone()));
    }
    if let Some(n) = args.scale {
        datasets.push(Dataset::Scale(n));
    }
    if datasets.is_empty() {
        datasets.push(Dataset::Demo);
    }
    let faults = FaultSettings {
        latency: args.latency.unwrap_or_default(),
        error_rate: args.error_rate,
        throttle_rate: args.throttle_rate,
        retry_after_seconds: 1,
        hang_rate: args.hang_rate,
        watch_drop_after: args.watch_drop_after,
        expire_continue: args.expire_continue,
        lose_write_answers: args.lose_write_answers,
        drop_write_connections: None,
        gateway_timeout_after_commit: false,
    };
    let options = SimOptions {
        datasets,
        addr: args.addr,
        faults,
        seed: args.seed,
        extra_tokens: Vec::new(),
    };
    let sim = start(options).await?;
    let (path, _keep) = match &args.kubeconfig_out {
        Some(path) => (path.clone(), None),
        None => {
            let dir = tempfile::Builder::new()
                .prefix("aigov-sim-")
                .tempdir()
                .map_err(|e| Error::Io(format!("cannot create a temporary directory: {e}")))?;
            (dir.path().join("kubeconfig"), Some(dir))
        }
    };
    sim.write_kubeconfig(&path)
        .map_err(|e| Error::Io(format!("cannot write {}: {e}", path.display())))?;
    println!("listening on {}", sim.url());
    println!(
        "kubeconfig: {} (contexts: {}, {})",
        path.display(),
        aigov_sim::kubeconfig::ADMIN_CONTEXT,
        aigov_sim::kubeconfig::READONLY_CONTEXT
    );
    use std::io::Write;
    let _ = std::io::stdout().flush();
    wait_for_interrupt().await;
    Ok(())
}

async fn wait_for_interrupt() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
