//! Fuzz harness: the manifest loader behind `aigov check -f` (`manifest::load_text`, the
//! per-file body of `manifest::load`) and the rules over what it loaded. The first byte picks
//! the file name, so both the JSON and the multi-document YAML readers are reached.
//!
//! Shared by `fuzz/fuzz_targets/manifest.rs` and the replay in `tests/fuzz_regressions.rs`.

#[path = "forbidden.rs"]
mod forbidden;

use aigov_core::manifest::load_text;
use aigov_core::rules::{Inputs, evaluate};
use forbidden::forbidden;
use std::path::Path;

/// Feed one input; panics on a property failure.
pub fn check(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let file = Path::new(if pick % 2 == 0 { "m.yaml" } else { "m.json" });
    let loaded = load_text(file, text);
    let lines = text.lines().count().max(1);
    for problem in &loaded.problems {
        assert!(problem.line >= 1, "problem at line 0: {problem:?}");
        // Printed problems are sanitised: one line, no terminal controls.
        let shown = problem.to_string();
        assert!(
            !shown.chars().any(forbidden),
            "unsanitised problem {shown:?}"
        );
    }
    for location in loaded.locations.values() {
        assert!(
            location.line >= 1 && location.line <= lines + 1,
            "object at line {} of {lines}",
            location.line
        );
    }
    let _ = evaluate(&loaded.snapshot, &Inputs::default());
}
