//! Fuzz harness: the sanitiser's contract (`src/sanitize.rs`). The output of `sanitize` holds
//! no C0 control, DEL, C1 control, bidi control or invisible character; `sanitize_multiline`
//! the same except `\n`; both are idempotent; text comes back borrowed exactly when nothing
//! had to change, and `is_clean` agrees; `truncate_display` keeps a prefix within the limit.
//!
//! The forbidden characters are the shared list in `fuzz/harness/forbidden.rs`.
//!
//! Shared by `fuzz/fuzz_targets/sanitize.rs` and the replay in `tests/fuzz_regressions.rs`.

use aigov_core::sanitize::{is_clean, sanitize, sanitize_multiline, truncate_display};
use std::borrow::Cow;

#[path = "forbidden.rs"]
mod forbidden;

use forbidden::forbidden;

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
