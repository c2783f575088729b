//! The characters the sanitiser (`src/sanitize.rs`) promises to neutralise: C0 controls, DEL,
//! C1 controls, and the bidi controls and invisible characters it escapes. Written out here
//! independently of its own tables so a gap there is a failure.
//!
//! The one list every check of terminal output shares: the fuzz harnesses (sanitize,
//! kubeconfig, manifest, audit_log) and, through `tests/common/console.rs`, the
//! hostile-input, canary and render tests. `sanitize_multiline` keeps `\n`, so callers checking multi-line
//! text allow it themselves.

/// True for a character the sanitiser never lets through raw.
pub fn forbidden(c: char) -> bool {
    matches!(
        c,
        '\0'..='\x1f'               // C0
        | '\x7f'..='\u{9f}'         // DEL and C1
        | '\u{ad}'                  // soft hyphen
        | '\u{61c}'                 // Arabic letter mark
        | '\u{180e}'                // Mongolian vowel separator
        | '\u{200b}'..='\u{200f}'   // zero-width characters, LRM, RLM
        | '\u{2028}' | '\u{2029}'   // line and paragraph separators
        | '\u{202a}'..='\u{202e}'   // bidi embeddings and overrides
        | '\u{2060}'..='\u{2064}'   // word joiner, invisible operators
        | '\u{2066}'..='\u{206f}'   // bidi isolates and deprecated format characters
        | '\u{feff}'                // zero-width no-break space / BOM
        | '\u{fff9}'..='\u{fffb}'   // interlinear annotation controls
    )
}
