//! Shared set-up for the integration tests: a simulator with a kubeconfig on disk.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod audit;
pub mod canary;
pub mod console;
pub mod hostile;
pub mod registry;
pub mod remediate;
pub mod serve;
pub mod tmux;

use aigov_kube::{ConnectOptions, Connection, connect};
use aigov_sim::{SimHandle, SimOptions, start};
use std::path::PathBuf;
use std::time::Duration;

pub struct TestSim {
    pub sim: SimHandle,
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
}

pub async fn sim_with(options: SimOptions) -> TestSim {
    let sim = start(options).await.expect("simulator starts");
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    sim.write_kubeconfig(&kubeconfig).unwrap();
    TestSim {
        sim,
        dir,
        kubeconfig,
    }
}

pub async fn demo_sim() -> TestSim {
    sim_with(SimOptions::default()).await
}

impl TestSim {
    pub async fn connect_as(&self, context: &str) -> Connection {
        self.connect_with(context, Duration::from_secs(10), false)
            .await
    }

    /// Connect through the kubeconfig as `context`, with `timeout` as every request's
    /// deadline, read-only or not.
    pub async fn connect_with(
        &self,
        context: &str,
        timeout: Duration,
        read_only: bool,
    ) -> Connection {
        connect(&ConnectOptions {
            kubeconfig: Some(self.kubeconfig.clone()),
            context: Some(context.to_string()),
            timeout,
            read_only,
            ..Default::default()
        })
        .await
        .expect("connects to the simulator")
    }

    pub async fn admin(&self) -> kube::Client {
        self.connect_as("aigov-demo-admin").await.client
    }

    pub async fn readonly(&self) -> kube::Client {
        self.connect_as("aigov-demo-readonly").await.client
    }
}
