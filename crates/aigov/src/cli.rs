//! Command-line definitions (clap): the low-level arguments, which `settings` resolves once.

use crate::report::{AuditFormat, Format};
use aigov_core::rules::Severity;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "aigov",
    version,
    about = "Govern Kubernetes clusters that run AI workloads"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    /// Start the console in the guided read-only audit
    #[arg(long)]
    pub guided: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Flags that work before or after the subcommand, as in kubectl.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)
    #[arg(long, global = true, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use (default: the current context)
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// Run against the built-in demo cluster instead of a kubeconfig
    /// (with `sim serve`: load the demo AI platform)
    #[arg(long, global = true)]
    pub demo: bool,
    /// Deadline for connecting and for each request: 10, 10s, 500ms or 1m
    #[arg(long, global = true, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Never send a write: only reads and access reviews leave the process
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Colour theme for the console
    #[arg(long, global = true, value_name = "NAME")]
    pub theme: Option<String>,
    /// Never ask image registries (tag look-ups are on by default for audit and images)
    #[arg(long, global = true)]
    pub offline: bool,
    /// Run the kubeconfig's credential plugin (`exec`) without asking, and remember the consent
    #[arg(long, global = true)]
    pub allow_exec: bool,
    /// Read the workloads' image pull secrets to sign in to their registries (recorded in the
    /// audit log first; without it, Secret values are never read)
    #[arg(long, global = true)]
    pub read_pull_secrets: bool,
    /// Send writes to a context that sets insecure-skip-tls-verify (recorded in the audit log)
    #[arg(long, global = true)]
    pub allow_insecure_apply: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the console on the built-in demo AI platform (prints its audit when not on a terminal)
    Demo,
    /// Counts per kind and namespace, who the connection is, and what could not be read
    Inventory {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Evaluate every rule and report the findings (exit 1 if any is at or above --fail-on)
    Audit(AuditArgs),
    /// Every image by tag the workloads use: the registry's digest, the running digests, moved
    /// tags and tags the registry let be overwritten
    Images {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Which subjects may do VERB on RESOURCE, and the bindings that grant it
    WhoCan(WhoCanArgs),
    /// Whether a user (and groups) may do VERB on RESOURCE: exit 0 for yes, 1 for no
    CanI(CanIArgs),
    /// Who can reach the data of a volume, and by which path
    Reach(ReachArgs),
    /// Evaluate the rules over manifest files or directories, without a cluster
    Check(CheckArgs),
    /// The configuration drift baseline
    Baseline {
        #[command(subcommand)]
        command: BaselineCommand,
    },
    /// The tamper-evident audit trail: verify its hash chain, show its entries
    Log {
        #[command(subcommand)]
        command: LogCommand,
    },
    /// The rule catalog
    Rules {
        #[arg(long, value_enum, default_value_t = RulesFormat::Table)]
        format: RulesFormat,
    },
    /// Stage, review and apply remediations (the staged plan of the current context)
    Plan {
        #[command(subcommand)]
        command: PlanCommand,
    },
    /// The built-in Kubernetes API simulator
    Sim {
        #[command(subcommand)]
        command: SimCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Stage the remediation of each finding (keys as `aigov audit --format json` prints them)
    Stage {
        #[arg(required = true, value_name = "FINDING_KEY")]
        keys: Vec<String>,
    },
    /// The staged plan and each change's state
    Show,
    /// Dry-run every pending change and print the diff and the server's warnings
    Review,
    /// Apply every pending change as reviewed, recorded in the audit trail, then verify
    Apply {
        /// Why (at least 10 characters); recorded with every change
        #[arg(long, value_name = "TEXT")]
        reason: String,
        /// Apply without asking: required, since this command does not prompt
        #[arg(long)]
        yes: bool,
        /// Apply the changes of an exported plan (`aigov plan export`) instead of the staged ones
        #[arg(long, value_name = "FILE")]
        plan: Option<std::path::PathBuf>,
    },
    /// Stage the inverse of an applied change
    Revert {
        #[arg(value_name = "CHANGE_ID")]
        id: String,
    },
    /// Write the staged plan as YAML
    Export {
        #[arg(value_name = "FILE")]
        file: std::path::PathBuf,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum RulesFormat {
    #[default]
    Table,
    Markdown,
}

/// Which findings to show and when to fail.
#[derive(Debug, Clone, Args)]
pub struct FindingFilter {
    #[arg(long, value_enum, default_value_t = AuditFormat::Table)]
    pub format: AuditFormat,
    /// Leave out findings below this severity
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = Severity::Info)]
    pub min_severity: Severity,
    /// Exit 1 when a finding is at or above this severity
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = Severity::High)]
    pub fail_on: Severity,
}

#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub filter: FindingFilter,
    /// Only findings in these namespaces (repeatable); cluster-wide findings are kept
    #[arg(short = 'n', long = "namespace", value_name = "NS")]
    pub namespaces: Vec<String>,
    /// After the findings, keep watching the cluster and print each finding that appears,
    /// resolves or changes, until Ctrl-C or SIGTERM (with --format jsonl: one JSON line each)
    #[arg(long)]
    pub watch: bool,
}

#[derive(Debug, Clone, Args)]
pub struct WhoCanArgs {
    pub verb: String,
    /// RESOURCE or RESOURCE/SUBRESOURCE, optionally with a group: deployments.apps, pods/exec
    pub resource: String,
    /// The namespace of the request; without it, cluster-wide grants only
    #[arg(short = 'n', long = "namespace")]
    pub namespace: Option<String>,
    /// Ask cluster-wide (what ClusterRoleBindings grant), as kubectl's -A
    #[arg(short = 'A', long = "all-namespaces", conflicts_with = "namespace")]
    pub all_namespaces: bool,
    /// The name of the object (for rules with resourceNames)
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Clone, Args)]
pub struct CanIArgs {
    pub verb: String,
    /// RESOURCE or RESOURCE/SUBRESOURCE, optionally with a group: deployments.apps, pods/exec
    pub resource: String,
    /// The namespace of the request (default: the context's namespace)
    #[arg(short = 'n', long = "namespace")]
    pub namespace: Option<String>,
    /// Ask cluster-wide, in every namespace at once, as kubectl's -A
    #[arg(short = 'A', long = "all-namespaces", conflicts_with = "namespace")]
    pub all_namespaces: bool,
    #[arg(long)]
    pub name: Option<String>,
    /// The user to ask for (system:serviceaccount:NS:NAME for a service account)
    #[arg(long = "as", value_name = "USER")]
    pub as_user: String,
    /// A group of the user (repeatable); system:authenticated is always added
    #[arg(long = "as-group", value_name = "GROUP")]
    pub as_groups: Vec<String>,
    /// Print the binding, role and rule that grant it
    #[arg(short = 'v', long)]
    pub verbose: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ReachArgs {
    /// The volume: pvc/NAME
    pub target: String,
    #[arg(short = 'n', long = "namespace")]
    pub namespace: String,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Manifest files or directories (YAML or JSON, multi-document, `kind: List`)
    #[arg(short = 'f', long = "filename", value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub filter: FindingFilter,
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Record the current ConfigMap hashes and Secret versions as the approved baseline
    Save,
    /// Accept the current state of drift findings' objects into the saved baseline (audited)
    Accept {
        /// Finding keys, as `aigov audit --format json` prints them (CFG-003/004/005)
        #[arg(required = true)]
        keys: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Check the hash chain: `OK: N entries, head <hash> (seq N)`, or the first bad line (exit 2)
    Verify {
        /// The log file (default: <data dir>/audit/audit.jsonl)
        file: Option<PathBuf>,
    },
    /// Print the entries of a log whose chain verifies
    Show(LogShowArgs),
}

#[derive(Debug, Clone, Args)]
pub struct LogShowArgs {
    /// Only entries at or after this time: RFC 3339 (2025-06-01T10:00:00Z) or a duration back (30m, 1h, 7d)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// The log file (default: <data dir>/audit/audit.jsonl)
    pub file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Serve the simulator on loopback until interrupted
    Serve(ServeArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Load every YAML/JSON manifest under this directory
    #[arg(long, value_name = "DIR")]
    pub fixture: Option<PathBuf>,
    /// Add a synthetic cluster of about N pods (for benchmarks)
    #[arg(long, value_name = "N")]
    pub scale: Option<usize>,
    /// Address to listen on (port 0 picks a free one)
    #[arg(long, default_value = "127.0.0.1:0")]
    pub addr: SocketAddr,
    /// Where to write the kubeconfig for the simulator (mode 0600)
    #[arg(long, value_name = "PATH")]
    pub kubeconfig_out: Option<PathBuf>,
    /// Fault injection: delay added to every request
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub latency: Option<Duration>,
    /// Fault injection: fraction of requests answered 500
    #[arg(long, value_name = "RATE", default_value_t = 0.0)]
    pub error_rate: f64,
    /// Fault injection: fraction of requests answered 429 with Retry-After
    #[arg(long, value_name = "RATE", default_value_t = 0.0)]
    pub throttle_rate: f64,
    /// Fault injection: fraction of requests never answered
    #[arg(long, value_name = "RATE", default_value_t = 0.0)]
    pub hang_rate: f64,
    /// Fault injection: end each watch after N events
    #[arg(long, value_name = "N")]
    pub watch_drop_after: Option<usize>,
    /// Fault injection: every continue token has expired (410 Gone)
    #[arg(long)]
    pub expire_continue: bool,
    /// Fault injection: commit every real write, then never answer it
    #[arg(long)]
    pub lose_write_answers: bool,
    /// Seed for the fault dice
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// `10` (seconds), `10s`, `500ms`, `2m`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, "s"),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("invalid duration {text:?} (try 10s, 500ms or 1m)"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => {
            return Err(format!(
                "invalid duration unit in {text:?} (use ms, s, m or h)"
            ));
        }
    };
    if !seconds.is_finite() || seconds <= 0.0 || seconds > 86_400.0 {
        return Err(format!(
            "duration {text:?} must be above zero and at most a day"
        ));
    }
    Ok(Duration::from_secs_f64(seconds))
}

fn check_rate(name: &str, rate: f64) -> Result<(), String> {
    if (0.0..=1.0).contains(&rate) {
        Ok(())
    } else {
        Err(format!("--{name} must be between 0 and 1, got {rate}"))
    }
}

impl ServeArgs {
    pub fn validate(&self) -> Result<(), String> {
        check_rate("error-rate", self.error_rate)?;
        check_rate("throttle-rate", self.throttle_rate)?;
        check_rate("hang-rate", self.hang_rate)?;
        if self.error_rate + self.throttle_rate + self.hang_rate > 1.0 {
            return Err("the fault rates add up to more than 1".into());
        }
        if self.scale == Some(0) {
            return Err("--scale must be at least 1".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_work_after_the_subcommand() {
        let cli =
            Cli::try_parse_from(["aigov", "inventory", "--context", "prod", "--timeout", "3s"])
                .unwrap();
        assert_eq!(cli.global.context.as_deref(), Some("prod"));
        assert_eq!(cli.global.timeout, Duration::from_secs(3));
        let cli =
            Cli::try_parse_from(["aigov", "--demo", "inventory", "--format", "json"]).unwrap();
        assert!(cli.global.demo);
        assert!(matches!(
            cli.command,
            Some(Command::Inventory {
                format: Format::Json
            })
        ));
    }

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("10").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("5y").is_err());
    }
}
