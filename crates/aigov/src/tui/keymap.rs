//! Key bindings: every view declares its bindings with descriptions; the help screen and the
//! hint bar are generated from those declarations, and the config file's `[keys]` table can
//! rebind any action. An unknown action or key warns and does not abort.

use super::view::ViewId;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::HashMap;

/// A key as bindings name it: `q`, `?`, `ctrl-c`, `shift-tab`, `enter`, `pgdn`, `f1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl Key {
    pub fn parse(text: &str) -> Result<Key, String> {
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = text.trim();
        loop {
            let lower = rest.to_ascii_lowercase();
            if let Some(r) = lower
                .strip_prefix("ctrl-")
                .or_else(|| lower.strip_prefix("c-"))
            {
                ctrl = true;
                rest = &rest[rest.len() - r.len()..];
            } else if let Some(r) = lower
                .strip_prefix("alt-")
                .or_else(|| lower.strip_prefix("m-"))
            {
                alt = true;
                rest = &rest[rest.len() - r.len()..];
            } else {
                break;
            }
        }
        let code = match rest.to_ascii_lowercase().as_str() {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "shift-tab" | "backtab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pgup" | "pageup" => KeyCode::PageUp,
            "pgdn" | "pagedown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "backspace" => KeyCode::Backspace,
            "delete" | "del" => KeyCode::Delete,
            f if f.len() >= 2
                && f.starts_with('f')
                && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) =>
            {
                KeyCode::F(f[1..].parse().unwrap_or(1))
            }
            _ => {
                let mut chars = rest.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) if !c.is_control() => {
                        KeyCode::Char(if ctrl { c.to_ascii_lowercase() } else { c })
                    }
                    _ => return Err(format!("unknown key {text:?}")),
                }
            }
        };
        Ok(Key { code, ctrl, alt })
    }

    /// The key of a terminal event, normalised so `shift-x` arrives as `X`.
    pub fn from_event(event: &KeyEvent) -> Key {
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        let code = match event.code {
            KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
            other => other,
        };
        Key {
            code,
            ctrl,
            alt: event.modifiers.contains(KeyModifiers::ALT),
        }
    }

    pub fn display(&self) -> String {
        let base = match self.code {
            KeyCode::Enter => "enter".to_string(),
            KeyCode::Esc => "esc".to_string(),
            KeyCode::Tab => "tab".to_string(),
            KeyCode::BackTab => "shift-tab".to_string(),
            KeyCode::Char(' ') => "space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Up => "↑".to_string(),
            KeyCode::Down => "↓".to_string(),
            KeyCode::Left => "←".to_string(),
            KeyCode::Right => "→".to_string(),
            KeyCode::PageUp => "pgup".to_string(),
            KeyCode::PageDown => "pgdn".to_string(),
            KeyCode::Home => "home".to_string(),
            KeyCode::End => "end".to_string(),
            KeyCode::Backspace => "backspace".to_string(),
            KeyCode::Delete => "del".to_string(),
            KeyCode::F(n) => format!("f{n}"),
            _ => "?".to_string(),
        };
        let mut out = String::new();
        if self.ctrl {
            out.push_str("ctrl-");
        }
        if self.alt {
            out.push_str("alt-");
        }
        out.push_str(&base);
        out
    }
}

/// One declared binding: the default keys, the action's name, what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    pub keys: &'static [&'static str],
    /// Global actions are plain (`quit`); view actions are `view.action` (`findings.severity`).
    pub action: &'static str,
    pub help: &'static str,
    /// Shown in the bottom hint bar (the help screen shows every binding).
    pub hint: bool,
}

pub const fn bind(
    keys: &'static [&'static str],
    action: &'static str,
    help: &'static str,
) -> Binding {
    Binding {
        keys,
        action,
        help,
        hint: false,
    }
}

pub const fn hint(
    keys: &'static [&'static str],
    action: &'static str,
    help: &'static str,
) -> Binding {
    Binding {
        keys,
        action,
        help,
        hint: true,
    }
}

/// The bindings every view shares.
pub const GLOBAL: &[Binding] = &[
    hint(&["?"], "help", "help: every key"),
    hint(
        &[":"],
        "palette",
        "command palette (:ns, :rbac, :reach, :img, :drift, :findings, :plan, :revert ID, :ctx, :q)",
    ),
    hint(&["/"], "filter", "filter the table"),
    hint(&["enter"], "detail", "open the detail pane"),
    bind(
        &["esc"],
        "back",
        "back out: close the pane, clear the filter",
    ),
    hint(&["tab"], "next-view", "next view"),
    bind(&["shift-tab"], "previous-view", "previous view"),
    bind(&["1"], "go.overview", "Overview"),
    bind(&["2"], "go.namespaces", "Namespaces"),
    bind(&["3"], "go.rbac", "RBAC"),
    bind(&["4"], "go.reach", "Data reach"),
    bind(&["5"], "go.images", "Images"),
    bind(&["6"], "go.drift", "Config drift"),
    bind(&["7"], "go.findings", "Findings"),
    bind(&["8"], "go.log", "Audit log"),
    bind(&["j", "down"], "down", "move down"),
    bind(&["k", "up"], "up", "move up"),
    bind(&["pgdn", "ctrl-f"], "page-down", "page down"),
    bind(&["pgup", "ctrl-b"], "page-up", "page up"),
    bind(&["home"], "top", "first row"),
    bind(&["end", "G"], "bottom", "last row"),
    hint(&["r"], "reload", "reload everything from the cluster"),
    hint(&["g"], "guided", "guided read-only audit"),
    bind(&["p"], "plan", "the staged plan: review, justify, apply"),
    hint(&["q", "ctrl-c"], "quit", "quit"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Global,
    View(ViewId),
}

/// Keys resolved to action names, with the config's overrides applied.
#[derive(Debug, Clone)]
pub struct Keymap {
    map: HashMap<(Scope, Key), &'static str>,
    /// Effective keys per action, for help and hints.
    keys_of: HashMap<(Scope, &'static str), Vec<Key>>,
    pub warnings: Vec<String>,
}

fn declarations(scope: Scope) -> &'static [Binding] {
    match scope {
        Scope::Global => GLOBAL,
        Scope::View(view) => super::views::bindings(view),
    }
}

fn all_scopes() -> impl Iterator<Item = Scope> {
    std::iter::once(Scope::Global).chain(ViewId::ALL.into_iter().map(Scope::View))
}

/// The scope and declaration an action name refers to.
fn find_action(name: &str) -> Option<(Scope, &'static Binding)> {
    all_scopes().find_map(|scope| {
        declarations(scope)
            .iter()
            .find(|b| b.action == name)
            .map(|b| (scope, b))
    })
}

impl Keymap {
    /// The declared bindings with `overrides` (the config's `[keys]` table: action name to a
    /// key or a list of keys) applied.
    pub fn new(overrides: &toml::Table) -> Keymap {
        let mut keymap = Keymap {
            map: HashMap::new(),
            keys_of: HashMap::new(),
            warnings: Vec::new(),
        };
        // (scope, action, keys, set by the user)
        let mut chosen: Vec<(Scope, &'static str, Vec<Key>, bool)> = Vec::new();
        for scope in all_scopes() {
            for binding in declarations(scope) {
                let keys = binding
                    .keys
                    .iter()
                    .filter_map(|k| Key::parse(k).ok())
                    .collect();
                chosen.push((scope, binding.action, keys, false));
            }
        }
        for (name, value) in overrides {
            let Some((scope, binding)) = find_action(name) else {
                keymap
                    .warnings
                    .push(format!("[keys] {name}: no such action; ignored"));
                continue;
            };
            let texts: Vec<&str> = match value {
                toml::Value::String(s) => vec![s.as_str()],
                toml::Value::Array(items) => items.iter().filter_map(|v| v.as_str()).collect(),
                _ => {
                    keymap.warnings.push(format!(
                        "[keys] {name}: expected a key or a list of keys; ignored"
                    ));
                    continue;
                }
            };
            let mut keys = Vec::new();
            for text in texts {
                match Key::parse(text) {
                    Ok(k) => keys.push(k),
                    Err(e) => keymap.warnings.push(format!("[keys] {name}: {e}; ignored")),
                }
            }
            if keys.is_empty() {
                continue;
            }
            if let Some(entry) = chosen
                .iter_mut()
                .find(|(s, a, _, _)| *s == scope && *a == binding.action)
            {
                entry.2 = keys;
                entry.3 = true;
            }
        }
        // A key the user bound explicitly is taken from every default that had it, so the
        // override wins even over a view's own binding.
        let claimed: Vec<Key> = chosen
            .iter()
            .filter(|c| c.3)
            .flat_map(|c| c.2.clone())
            .collect();
        for (scope, action, mut keys, overridden) in chosen {
            if !overridden {
                keys.retain(|k| !claimed.contains(k));
            }
            for key in &keys {
                keymap.map.insert((scope, *key), action);
            }
            keymap.keys_of.insert((scope, action), keys);
        }
        keymap
    }

    /// The action a key triggers in a view: the view's own bindings first, then the global ones.
    pub fn lookup(&self, view: ViewId, key: Key) -> Option<&'static str> {
        self.map
            .get(&(Scope::View(view), key))
            .or_else(|| self.map.get(&(Scope::Global, key)))
            .copied()
    }

    /// The keys bound to an action, as shown to the user (`7`, `j/down`); empty when the
    /// user's config took every key away from it.
    pub fn keys_label(&self, scope: Scope, action: &'static str) -> String {
        self.keys_of
            .get(&(scope, action))
            .map(|keys| keys.iter().map(Key::display).collect::<Vec<_>>().join("/"))
            .unwrap_or_default()
    }

    /// How to say "press this" for an action in a hint: its keys, or `:command` when the
    /// user's config took every key away from it.
    pub fn key_or_command(&self, scope: Scope, action: &'static str, command: &str) -> String {
        let keys = self.keys_label(scope, action);
        if keys.is_empty() {
            format!(":{command}")
        } else {
            keys
        }
    }

    /// "press r", or "type :reload" when the user's config took every key away from it.
    pub fn press_or_type(&self, scope: Scope, action: &'static str, command: &str) -> String {
        let keys = self.keys_label(scope, action);
        if keys.is_empty() {
            format!("type :{command}")
        } else {
            format!("press {keys}")
        }
    }

    /// `(keys, help)` for every binding of a scope, as the help screen lists them.
    pub fn describe(&self, scope: Scope) -> Vec<(String, &'static str, bool)> {
        declarations(scope)
            .iter()
            .map(|b| (self.keys_label(scope, b.action), b.help, b.hint))
            .collect()
    }
}

/// docs/keybindings.md: every declared binding per scope, generated from the declarations
/// (a test keeps the file in step).
pub fn reference_markdown() -> String {
    let keymap = Keymap::default();
    let mut out = String::from(
        "# Key bindings\n\n\
         Generated from the bindings each view declares (`crates/aigov/src/tui/keymap.rs`, `crates/aigov/src/tui/views/`); \
         the help screen (`?`) and the hint bar are built from the same declarations. Regenerate \
         with `AIGOV_UPDATE_DOCS=1 cargo test -p aigov --lib keybindings_reference`.\n\n\
         Override any of them in `config.toml` in the config directory, by action name:\n\n\
         ```toml\n[keys]\nquit = \"ctrl-q\"                   # one key\n\
         \"findings.severity\" = [\"v\", \"S\"]    # or several\n```\n\n\
         Keys are written `a`, `G`, `enter`, `esc`, `tab`, `shift-tab`, `up`, `down`, `pgup`, `pgdn`, \
         `home`, `end`, `f1`..`f12`, with `ctrl-`, `alt-` or `shift-` in front. An unknown action or \
         key is reported in `:errors` and otherwise ignored. A view's own bindings win over the \
         global ones in that view.\n",
    );
    for scope in all_scopes() {
        let title = match scope {
            Scope::Global => "Everywhere".to_string(),
            Scope::View(view) => view.title().to_string(),
        };
        let bindings = declarations(scope);
        if bindings.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "\n## {title}\n\n| Keys | Action | What it does |\n|---|---|---|\n"
        ));
        for binding in bindings {
            let keys = keymap
                .keys_of
                .get(&(scope, binding.action))
                .map(|keys| {
                    keys.iter()
                        .map(|k| format!("`{}`", k.display().replace('|', "\\|")))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default();
            let help = binding.help;
            out.push_str(&format!("| {keys} | `{}` | {help} |\n", binding.action));
        }
    }
    out
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::new(&toml::Table::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_display() {
        assert_eq!(
            Key::parse("ctrl-c").unwrap(),
            Key {
                code: KeyCode::Char('c'),
                ctrl: true,
                alt: false
            }
        );
        assert_eq!(Key::parse("shift-tab").unwrap().code, KeyCode::BackTab);
        assert_eq!(Key::parse("G").unwrap().code, KeyCode::Char('G'));
        assert_eq!(Key::parse("f5").unwrap().code, KeyCode::F(5));
        assert!(Key::parse("hyper-x").is_err());
        assert!(Key::parse("").is_err());
        assert_eq!(Key::parse("ctrl-f").unwrap().display(), "ctrl-f");
    }

    #[test]
    fn declared_defaults_resolve() {
        let keymap = Keymap::default();
        assert!(keymap.warnings.is_empty(), "{:?}", keymap.warnings);
        let q = Key::parse("q").unwrap();
        assert_eq!(keymap.lookup(ViewId::Findings, q), Some("quit"));
        let two = Key::parse("2").unwrap();
        assert_eq!(keymap.lookup(ViewId::Overview, two), Some("go.namespaces"));
    }

    #[test]
    fn overrides_rebind_and_bad_entries_warn() {
        let overrides: toml::Table =
            toml::from_str("quit = \"x\"\nnope = \"y\"\nhelp = \"hyper-q\"\nfilter = 3\n").unwrap();
        let keymap = Keymap::new(&overrides);
        assert_eq!(
            keymap.lookup(ViewId::Findings, Key::parse("x").unwrap()),
            Some("quit")
        );
        assert_eq!(
            keymap.lookup(ViewId::Findings, Key::parse("q").unwrap()),
            None,
            "the override replaces q"
        );
        assert_eq!(keymap.warnings.len(), 3, "{:?}", keymap.warnings);
        assert_eq!(
            keymap.lookup(ViewId::Findings, Key::parse("?").unwrap()),
            Some("help"),
            "a bad key keeps the default"
        );
        let shown = keymap.describe(Scope::Global);
        assert!(
            shown
                .iter()
                .any(|(keys, help, _)| keys == "x" && *help == "quit")
        );
    }

    #[test]
    fn every_declared_action_is_unique_within_its_scope_and_keys_parse() {
        for scope in all_scopes() {
            let mut actions: Vec<&str> = declarations(scope).iter().map(|b| b.action).collect();
            let n = actions.len();
            actions.sort_unstable();
            actions.dedup();
            assert_eq!(actions.len(), n, "duplicate action in {scope:?}");
            for b in declarations(scope) {
                for k in b.keys {
                    assert!(Key::parse(k).is_ok(), "{k} in {scope:?}");
                }
            }
        }
    }

    #[test]
    fn keybindings_reference_matches_docs() {
        let generated = reference_markdown();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/keybindings.md");
        if std::env::var_os("AIGOV_UPDATE_DOCS").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            on_disk == generated,
            "docs/keybindings.md is out of date: AIGOV_UPDATE_DOCS=1 cargo test -p aigov --lib keybindings_reference"
        );
        for view in ViewId::ALL {
            assert!(
                generated.contains(&format!("## {}", view.title()))
                    || declarations(Scope::View(view)).is_empty()
            );
        }
    }
}
