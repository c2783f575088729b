//! Fuzz harness: `ImageRef::parse` never panics, and an accepted reference round-trips
//! through `Display` to the same parts (what the images view and the registry client rely on).
//!
//! Shared by `fuzz/fuzz_targets/image_ref.rs` and the replay in `tests/fuzz_regressions.rs`.

use aigov_core::model::image::{ImageRef, digest_of_image_id};

/// Feed one input; panics on a property failure.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = digest_of_image_id(text);
    let Ok(parsed) = ImageRef::parse(text) else {
        return;
    };
    let shown = parsed.to_string();
    let again = ImageRef::parse(&shown).unwrap();
    assert_eq!(again, parsed, "{text:?} -> {shown:?} does not round-trip");
    assert_eq!(again.to_string(), shown);
    assert_eq!(parsed.is_pinned(), parsed.digest.is_some());
    if parsed.digest.is_none() {
        assert!(parsed.effective_tag().is_some());
    }
    assert!(parsed.name().len() <= 255);
}
