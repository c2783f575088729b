//! Settings resolved once, in `main`: the command line's global flags, the environment
//! (`NO_COLOR`), config.toml and the terminal, turned into the one value every command and the
//! console read. Nothing below `main` parses flags, loads config.toml or asks whether a stream
//! is a terminal (ripgrep's `LowArgs` -> `HiArgs`).

use crate::cli::GlobalArgs;
use crate::config::Config;
use aigov_core::rules::RulesConfig;
use aigov_state::consent::Approval;
use std::path::PathBuf;
use std::time::Duration;

/// Which standard streams are terminals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Terminal {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
}

impl Terminal {
    /// The process's own streams.
    pub fn detect() -> Self {
        use std::io::IsTerminal;
        Terminal {
            stdin: std::io::stdin().is_terminal(),
            stdout: std::io::stdout().is_terminal(),
            stderr: std::io::stderr().is_terminal(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// `--kubeconfig`; `None`: `$KUBECONFIG`, then `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
    /// `--context`; `None`: the current context.
    pub context: Option<String>,
    /// `--demo`: the built-in demo cluster instead of a kubeconfig.
    pub demo: bool,
    /// Deadline for connecting and for each request.
    pub timeout: Duration,
    /// No write-capable client is built.
    pub read_only: bool,
    /// Writes to a context that skips TLS verification are allowed (and recorded).
    pub allow_insecure_apply: bool,
    /// What to do about a local program (credential plugin or helper) nobody agreed to run:
    /// run it (`--allow-exec`), ask (on a terminal), or refuse.
    pub exec: Approval,
    /// No registry look-ups.
    pub offline: bool,
    /// Sign in to registries with the workloads' pull secrets (recorded first).
    pub read_pull_secrets: bool,
    /// The rule settings from config.toml, over the defaults.
    pub rules: RulesConfig,
    /// The console's theme: `--theme`, else config.toml's.
    pub theme: Option<String>,
    /// The console's key overrides from config.toml.
    pub keys: toml::Table,
    /// Problems found in config.toml, one line each (shown once, by `main` or the console).
    pub config_warnings: Vec<String>,
    pub terminal: Terminal,
    /// `NO_COLOR` is set to something.
    pub no_color: bool,
}

impl Settings {
    /// Resolve the flags against the environment, config.toml and the terminal.
    pub fn resolve(global: &GlobalArgs) -> Settings {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Settings::from_parts(global, crate::config::load(), Terminal::detect(), no_color)
    }

    /// [`Settings::resolve`] with its inputs given: no environment, file or terminal read.
    pub fn from_parts(
        global: &GlobalArgs,
        config: Config,
        terminal: Terminal,
        no_color: bool,
    ) -> Settings {
        let exec = if global.allow_exec {
            Approval::Allow
        } else if terminal.stdin && terminal.stderr {
            Approval::Ask
        } else {
            Approval::StoredOnly
        };
        Settings {
            kubeconfig: global.kubeconfig.clone(),
            context: global.context.clone(),
            demo: global.demo,
            timeout: global.timeout,
            read_only: global.read_only,
            allow_insecure_apply: global.allow_insecure_apply,
            exec,
            offline: global.offline,
            read_pull_secrets: global.read_pull_secrets,
            rules: config.rules,
            theme: global.theme.clone().or(config.theme),
            keys: config.keys,
            config_warnings: config.warnings,
            terminal,
            no_color,
        }
    }

    /// The connection settings these ask for.
    pub fn connect_options(&self) -> aigov_kube::ConnectOptions {
        aigov_kube::ConnectOptions {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            timeout: self.timeout,
            read_only: self.read_only,
            exec: self.exec,
            allow_insecure_apply: self.allow_insecure_apply,
        }
    }

    /// Colour on standard output: a terminal, and no `NO_COLOR`.
    pub fn color_stdout(&self) -> bool {
        self.terminal.stdout && !self.no_color
    }

    /// Whether the console can run: it reads keys from stdin and draws on stdout.
    pub fn interactive(&self) -> bool {
        self.terminal.stdin && self.terminal.stdout
    }

    /// Print config.toml's problems on stderr, once.
    pub fn print_config_warnings(&self) {
        for warning in &self.config_warnings {
            crate::engine::progress::print_warning(warning);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn global(args: &[&str]) -> GlobalArgs {
        crate::cli::Cli::parse_from([&["aigov"], args].concat()).global
    }

    #[test]
    fn consent_to_run_a_plugin_follows_the_flag_then_the_terminal() {
        let tty = Terminal {
            stdin: true,
            stdout: true,
            stderr: true,
        };
        let pipe = Terminal::default();
        let of = |args: &[&str], terminal| {
            Settings::from_parts(&global(args), Config::default(), terminal, false).exec
        };
        assert_eq!(of(&["--allow-exec"], pipe), Approval::Allow);
        assert_eq!(of(&[], tty), Approval::Ask);
        assert_eq!(of(&[], pipe), Approval::StoredOnly);
    }

    #[test]
    fn the_flag_theme_wins_over_config_and_config_rules_are_kept() {
        let config = crate::config::parse(
            "theme = \"light\"\n[rules.ai]\nthreshold = 10\n",
            "config.toml",
        );
        let settings = Settings::from_parts(
            &global(&["--theme", "high-contrast", "audit"]),
            config.clone(),
            Terminal::default(),
            false,
        );
        assert_eq!(settings.theme.as_deref(), Some("high-contrast"));
        assert_eq!(settings.rules.ai.threshold, 10);
        let settings = Settings::from_parts(&global(&[]), config, Terminal::default(), false);
        assert_eq!(settings.theme.as_deref(), Some("light"));
    }

    #[test]
    fn colour_needs_a_terminal_and_no_no_color() {
        let tty = Terminal {
            stdout: true,
            ..Terminal::default()
        };
        let of = |terminal, no_color| {
            Settings::from_parts(&global(&[]), Config::default(), terminal, no_color).color_stdout()
        };
        assert!(of(tty, false));
        assert!(!of(tty, true));
        assert!(!of(Terminal::default(), false));
    }
}
