//! Fuzz harness: the sanitiser's contract (`src/sanitize.rs`). The output of `sanitize` holds
//! no C0 control, DEL, C1 control, bidi control or invisible character; `sanitize_multiline`
//! the same except `\n`; both are idempotent; text comes back borrowed exactly when nothing
//! had to change, and `is_clean` agrees; `truncate_display` keeps a prefix within the limit.
//!
//! Shared by `fuzz/fuzz_targets/sanitize.rs` and the replay in `tests/fuzz_regressions.rs`.

use aigov::sanitize::{is_clean, sanitize, sanitize_multiline, truncate_display};
use std::borrow::Cow;

/// The characters the module promises to neutralise, written out here independently of its
/// own tables so a gap there is a failure.
fn forbidden(c: char) -> bool {
    matches!(
        c,
        '\0'..='\x1f'               // C0
        | '\x7f'..='\u{9f}'         // DEL and C1
        | '\u{ad}'                  // soft hyphen
        | '\u{61c}'                 // Arabic letter mark
        | '\u{180e}'
        | '\u{200b}'..='\u{200f}'   // zero-width characters, LRM, RLM
        | '\u{2028}' | '\u{2029}'
        | '\u{202a}'..='\u{202e}'   // bidi embeddings and overrides
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206f}'   // bidi isolates and deprecated format characters
        | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}'
    )
}

/// Feed one input; panics on a property failure.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let dirty = text.chars().any(forbidden);

    let single = sanitize(text);
    assert!(
        !single.chars().any(forbidden),
        "{text:?} -> {single:?} keeps a control"
    );
    assert_eq!(
        sanitize(&single),
        single,
        "sanitize is not idempotent on {text:?}"
    );
    assert_eq!(matches!(single, Cow::Owned(_)), dirty, "{text:?}");
    assert_eq!(is_clean(text), !dirty, "is_clean disagrees on {text:?}");

    let multi = sanitize_multiline(text);
    assert!(
        !multi.chars().any(|c| c != '\n' && forbidden(c)),
        "{text:?} -> {multi:?} keeps a control (multi-line)"
    );
    assert_eq!(
        sanitize_multiline(&multi),
        multi,
        "sanitize_multiline is not idempotent on {text:?}"
    );
    let multi_dirty = text.chars().any(|c| c != '\n' && forbidden(c));
    assert_eq!(matches!(multi, Cow::Owned(_)), multi_dirty, "{text:?}");
    assert_eq!(
        multi.matches('\n').count(),
        text.matches('\n').count(),
        "line structure changed for {text:?}"
    );

    let limit = data.first().map_or(0, |b| usize::from(*b % 64));
    let short = truncate_display(&single, limit);
    let length = single.chars().count();
    if length <= limit {
        assert_eq!(short, single);
    } else if limit == 0 {
        assert_eq!(short, "");
    } else {
        assert_eq!(short.chars().count(), limit, "{single:?} cut to {short:?}");
        let kept = short.strip_suffix('…').unwrap();
        assert!(single.starts_with(kept), "{single:?} cut to {short:?}");
    }
}
