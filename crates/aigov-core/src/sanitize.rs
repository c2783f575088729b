//! The one sanitiser for untrusted text: every string from the cluster, a kubeconfig or a registry passes through here before it is drawn or printed, so control, bidi and invisible characters show up instead of acting on the terminal.
//!
//! Characters are made visible, never dropped, so an operator can see that a name *contains*
//! something odd:
//! - C0 controls as caret notation (`ESC` → `^[`, `BEL` → `^G`, `NUL` → `^@`), DEL as `^?`;
//! - C1 controls as `\u{9b}`;
//! - bidi controls and zero-width / invisible characters as `\u{202e}`.
//!
//! Everything else, including CJK and emoji, passes unchanged.

use std::borrow::Cow;

/// How line structure is treated.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Table cells, titles, status lines: nothing may break or move the line.
    SingleLine,
    /// Detail panes and YAML views: `\n` kept, `\t` expanded, CRLF read as LF.
    MultiLine,
}

/// Spaces a tab becomes in multi-line mode (tab stops depend on where the text is drawn).
const TAB: &str = "    ";

/// Sanitise text for a single line: every C0 control, including `\n`, `\r` and `\t`, becomes
/// caret notation. Borrows when nothing needs changing, which is the common case.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    run(text, Mode::SingleLine)
}

/// Sanitise text shown over several lines: `\n` is kept, `\t` becomes four spaces and a
/// `\r\n` pair becomes `\n`; a lone `\r` (which would let text overwrite its own line) and
/// every other control is made visible as in [`sanitize`].
pub fn sanitize_multiline(text: &str) -> Cow<'_, str> {
    run(text, Mode::MultiLine)
}

/// True when [`sanitize`] would return the text unchanged.
pub fn is_clean(text: &str) -> bool {
    first_dirty(text, Mode::SingleLine).is_none()
}

/// Shorten to at most `max_chars` characters, cutting at a char boundary and ending in `…`
/// when something was cut (the ellipsis counts towards `max_chars`).
pub fn truncate_display(text: &str, max_chars: usize) -> Cow<'_, str> {
    let Some((cut, _)) = text.char_indices().nth(max_chars) else {
        return Cow::Borrowed(text);
    };
    if max_chars == 0 {
        return Cow::Borrowed("");
    }
    // `cut` is the start of char number `max_chars`; keep one char fewer to make room for `…`.
    let keep = text[..cut].char_indices().last().map_or(0, |(i, _)| i);
    let mut out = String::with_capacity(keep + '…'.len_utf8());
    out.push_str(&text[..keep]);
    out.push('…');
    Cow::Owned(out)
}

fn run(text: &str, mode: Mode) -> Cow<'_, str> {
    let Some(start) = first_dirty(text, mode) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..start]);
    let mut chars = text[start..].chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' if mode == Mode::MultiLine => out.push('\n'),
            '\t' if mode == Mode::MultiLine => out.push_str(TAB),
            '\r' if mode == Mode::MultiLine && chars.peek() == Some(&'\n') => {}
            '\0'..='\x1f' | '\x7f' => {
                out.push('^');
                // Caret notation: flip bit 6, so 0x1b -> '[' and 0x7f -> '?'.
                out.push(char::from(c as u8 ^ 0x40));
            }
            c if is_c1(c) || is_invisible(c) => {
                out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Byte offset of the first char that must change, scanning bytes so that clean ASCII (most
/// of a 100k-row table) costs one comparison per byte.
fn first_dirty(text: &str, mode: Mode) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            if b < 0x20 || b == 0x7f {
                let allowed = mode == Mode::MultiLine && b == b'\n';
                if !allowed {
                    return Some(i);
                }
            }
            i += 1;
            continue;
        }
        // Only these lead bytes start a character we escape (U+0080–U+00AD: C2; U+061C: D8;
        // U+180E: E1; U+200B–U+206F: E2; U+FEFF/U+FFF9–U+FFFB: EF).
        if matches!(b, 0xc2 | 0xd8 | 0xe1 | 0xe2 | 0xef)
            && text[i..]
                .chars()
                .next()
                .is_some_and(|c| is_c1(c) || is_invisible(c))
        {
            return Some(i);
        }
        i += 1;
    }
    None
}

fn is_c1(c: char) -> bool {
    ('\u{80}'..='\u{9f}').contains(&c)
}

/// Bidi controls and characters that render as nothing, which can hide or reorder text.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'                    // soft hyphen
        | '\u{61c}'                 // Arabic letter mark
        | '\u{180e}'                // Mongolian vowel separator
        | '\u{200b}'..='\u{200f}'   // zero-width space/non-joiner/joiner, LRM, RLM
        | '\u{2028}' | '\u{2029}'   // line and paragraph separators: break a "single" line
        | '\u{202a}'..='\u{202e}'   // bidi embeddings and overrides
        | '\u{2060}'..='\u{2064}'   // word joiner, invisible math operators
        | '\u{2066}'..='\u{206f}'   // bidi isolates, deprecated invisible format chars
        | '\u{feff}'                // zero-width no-break space / BOM
        | '\u{fff9}'..='\u{fffb}' // interlinear annotation controls
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(c: Cow<'_, str>) -> bool {
        matches!(c, Cow::Owned(_))
    }

    #[test]
    fn clean_text_is_borrowed() {
        for text in [
            "",
            "llama-3-70b",
            "naïve Grüße",
            "模型训练",
            "🚀 ok",
            "a b\u{a0}c",
        ] {
            assert!(
                matches!(sanitize(text), Cow::Borrowed(t) if t == text),
                "{text:?}"
            );
            assert!(matches!(sanitize_multiline(text), Cow::Borrowed(_)));
            assert!(is_clean(text));
        }
        let lines = "first\nsecond\n";
        assert!(matches!(sanitize_multiline(lines), Cow::Borrowed(_)));
        assert!(!is_clean(lines));
    }

    #[test]
    fn csi_and_osc_escapes_become_caret_notation() {
        assert_eq!(sanitize("\x1b[2Jgone"), "^[[2Jgone");
        assert_eq!(sanitize("x\x1b]52;c;aGVsbG8=\x07y"), "x^[]52;c;aGVsbG8=^Gy");
        assert_eq!(sanitize("nul\0here"), "nul^@here");
        assert_eq!(sanitize("del\x7f"), "del^?");
        assert_eq!(sanitize("\x01\x1f"), "^A^_");
    }

    #[test]
    fn c1_controls_become_unicode_escapes() {
        assert_eq!(sanitize("\u{9b}31mred"), "\\u{9b}31mred");
        assert_eq!(sanitize("\u{80}\u{9f}"), "\\u{80}\\u{9f}");
        // Just outside the C1 range stays.
        assert_eq!(sanitize("\u{a0}\u{7e}"), "\u{a0}~");
    }

    #[test]
    fn bidi_and_invisible_characters_become_escapes() {
        assert_eq!(sanitize("admin\u{202e}gnp.exe"), "admin\\u{202e}gnp.exe");
        assert_eq!(sanitize("cluster\u{200b}-admin"), "cluster\\u{200b}-admin");
        for (c, esc) in [
            ('\u{61c}', "\\u{61c}"),
            ('\u{200e}', "\\u{200e}"),
            ('\u{200f}', "\\u{200f}"),
            ('\u{202a}', "\\u{202a}"),
            ('\u{2066}', "\\u{2066}"),
            ('\u{2069}', "\\u{2069}"),
            ('\u{200c}', "\\u{200c}"),
            ('\u{200d}', "\\u{200d}"),
            ('\u{2060}', "\\u{2060}"),
            ('\u{feff}', "\\u{feff}"),
            ('\u{180e}', "\\u{180e}"),
            ('\u{ad}', "\\u{ad}"),
            ('\u{2028}', "\\u{2028}"),
        ] {
            assert_eq!(sanitize(&format!("a{c}b")), format!("a{esc}b"), "{c:?}");
            assert!(!is_clean(&c.to_string()));
        }
    }

    #[test]
    fn single_line_shows_line_structure() {
        assert_eq!(sanitize("a\nb\r\tc"), "a^Jb^M^Ic");
        assert_eq!(sanitize("a\r\nb"), "a^M^Jb");
    }

    #[test]
    fn multiline_keeps_newlines_and_expands_tabs() {
        assert_eq!(sanitize_multiline("a\n\tb"), "a\n    b");
        assert_eq!(sanitize_multiline("a\r\nb\r\n"), "a\nb\n");
        // A lone CR would let text overwrite its own line.
        assert_eq!(sanitize_multiline("safe\rEVIL"), "safe^MEVIL");
        assert_eq!(
            sanitize_multiline("k: v\x1b[31m\u{202e}\n"),
            "k: v^[[31m\\u{202e}\n"
        );
    }

    #[test]
    fn change_in_the_middle_keeps_the_prefix_and_suffix() {
        let text = "模型-\x1b-🚀";
        assert_eq!(sanitize(text), "模型-^[-🚀");
        assert!(owned(sanitize(text)));
    }

    #[test]
    fn truncate_display_cuts_at_char_boundaries() {
        assert_eq!(truncate_display("short", 10), "short");
        assert!(matches!(truncate_display("short", 5), Cow::Borrowed(_)));
        assert_eq!(truncate_display("abcdef", 4), "abc…");
        assert_eq!(truncate_display("模型训练任务", 3), "模型…");
        assert_eq!(truncate_display("🚀🚀🚀", 2), "🚀…");
        assert_eq!(truncate_display("ab", 1), "…");
        assert_eq!(truncate_display("ab", 0), "");
        assert_eq!(truncate_display("", 0), "");
    }

    /// The ranges the sanitiser promises to neutralise, written out independently of
    /// `is_invisible` so a gap there fails this test.
    const PROMISED: &[(char, char)] = &[
        ('\0', '\x1f'),
        ('\x7f', '\u{9f}'),
        ('\u{ad}', '\u{ad}'),
        ('\u{61c}', '\u{61c}'),
        ('\u{180e}', '\u{180e}'),
        ('\u{200b}', '\u{200f}'),
        ('\u{202a}', '\u{202e}'),
        ('\u{2060}', '\u{2060}'),
        ('\u{2066}', '\u{2069}'),
        ('\u{feff}', '\u{feff}'),
    ];

    fn forbidden(c: char, mode: Mode) -> bool {
        if mode == Mode::MultiLine && c == '\n' {
            return false;
        }
        PROMISED.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c))
    }

    /// Deterministic xorshift, so the property test needs no extra crates.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    fn random_char(rng: &mut Rng) -> char {
        const INTERESTING: &[char] = &[
            '\0', '\x07', '\x08', '\t', '\n', '\r', '\x1b', '\x7f', '\u{80}', '\u{9b}', '\u{9f}',
            '\u{ad}', '\u{61c}', '\u{180e}', '\u{200b}', '\u{200f}', '\u{202e}', '\u{2066}',
            '\u{2069}', '\u{feff}', 'a', '[', '^', '\\', '{', 'é', '模', '🚀', '\u{a0}',
        ];
        match rng.below(3) {
            0 => INTERESTING[rng.below(INTERESTING.len() as u64) as usize],
            1 => char::from(rng.below(0x80) as u8),
            _ => loop {
                // Bias towards the BMP, where all the interesting ranges are.
                let limit = if rng.below(4) == 0 {
                    0x11_0000
                } else {
                    0x1_0000
                };
                if let Some(c) = char::from_u32(rng.below(limit) as u32) {
                    break c;
                }
            },
        }
    }

    #[test]
    fn property_output_never_contains_dangerous_characters() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let len = rng.below(24) as usize;
            let text: String = (0..len).map(|_| random_char(&mut rng)).collect();
            for (mode, out) in [
                (Mode::SingleLine, sanitize(&text)),
                (Mode::MultiLine, sanitize_multiline(&text)),
            ] {
                assert!(
                    !out.chars().any(|c| forbidden(c, mode)),
                    "{text:?} -> {out:?}"
                );
                // Escapes are plain ASCII, so sanitising twice changes nothing more.
                assert_eq!(run(&out, mode), out, "not idempotent for {text:?}");
                if text.chars().any(|c| forbidden(c, mode)) {
                    assert!(owned(out), "{text:?} should have changed");
                }
            }
            assert_eq!(is_clean(&text), matches!(sanitize(&text), Cow::Borrowed(_)));
        }
    }
}
