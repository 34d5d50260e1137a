//! User-written text. Kept exactly as written, except that it is normalised to Unicode NFC
//! (so that the same words are the same bytes) and trimmed. Markup is just text: nothing here
//! interprets it, and every surface that shows it must escape it.

use crate::error::Invalid;
use unicode_normalization::UnicodeNormalization;

/// Whether a text may span lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    Single,
    Multi,
}

/// Normalises `input` and checks its length in characters (Unicode scalar values) and its
/// characters: no control characters except, in multi-line text, line feed, carriage return
/// and tab, and no noncharacters. Every text shown anywhere (pages, the Atom feed, the
/// badge's SVG, the widget) passes here, so none of them can hold a character XML 1.0
/// forbids.
pub fn clean(input: &str, min: usize, max: usize, lines: Lines) -> Result<String, Invalid> {
    let text: String = input.trim().nfc().collect();
    let len = text.chars().count();
    if len < min {
        return Err(if len == 0 {
            Invalid::new("required", "must not be empty")
        } else {
            Invalid::new("too_short", format!("must be at least {min} characters"))
        });
    }
    // As sent, too: the API's schema (and a page's `maxlength`) counts what was sent, spaces
    // trimmed here included, and must not find a text too long that is accepted.
    let sent = input.chars().count();
    if len > max || sent > max {
        return Err(Invalid::new(
            "too_long",
            format!("must be at most {max} characters (got {})", len.max(sent)),
        ));
    }
    let allowed = |c: char| match lines {
        Lines::Multi => !c.is_control() || matches!(c, '\n' | '\r' | '\t'),
        Lines::Single => !c.is_control(),
    };
    if let Some(bad) = text.chars().find(|&c| !allowed(c)) {
        return Err(Invalid::new(
            "invalid_character",
            format!(
                "must not contain the control character U+{:04X}",
                bad as u32
            ),
        ));
    }
    if let Some(bad) = text.chars().find(|&c| noncharacter(c)) {
        return Err(Invalid::new(
            "invalid_character",
            format!("must not contain the noncharacter U+{:04X}", bad as u32),
        ));
    }
    if text.chars().all(invisible) {
        return Err(Invalid::new(
            "required",
            "must contain at least one visible character",
        ));
    }
    Ok(text)
}

/// Unicode's noncharacters: U+FDD0–U+FDEF and the last two code points of every plane
/// (U+FFFE and U+FFFF among them, which XML 1.0 forbids: one in a review broke its business's
/// Atom feed). No text needs them.
fn noncharacter(c: char) -> bool {
    let u = u32::from(c);
    (0xFDD0..=0xFDEF).contains(&u) || u & 0xFFFE == 0xFFFE
}

/// White space, and the characters that render as nothing (zero-width spaces and joiners,
/// direction marks, fillers): a text made only of these would show as blank.
fn invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{115F}' | '\u{1160}' | '\u{180E}'
            | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}' | '\u{3164}' | '\u{FEFF}' | '\u{FFA0}')
}

/// Declares a newtype over `String` that can only hold cleaned text of the given bounds.
macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $min:expr, $max:expr, $lines:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const MIN_CHARS: usize = $min;
            pub const MAX_CHARS: usize = $max;

            pub fn parse(input: &str) -> Result<Self, $crate::error::Invalid> {
                $crate::text::clean(input, $min, $max, $lines).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
pub(crate) use bounded_text;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn trims_and_normalises_to_nfc() {
        // "e" followed by a combining acute accent becomes the single character "é".
        let cleaned = clean("  Caffe\u{301} ottimo \n", 1, 20, Lines::Single).unwrap();
        assert_eq!(cleaned, "Caff\u{e9} ottimo");
    }

    #[test]
    fn keeps_markup_as_written() {
        let text = "<script>alert('x')</script> & <b>bold</b>";
        assert_eq!(clean(text, 1, 100, Lines::Single).unwrap(), text);
    }

    #[test]
    fn counts_characters_not_bytes() {
        let hearts = "❤".repeat(5); // 15 bytes, 5 characters
        assert!(clean(&hearts, 1, 5, Lines::Single).is_ok());
        assert_eq!(
            clean(&hearts, 1, 4, Lines::Single).unwrap_err().code,
            "too_long"
        );
    }

    #[test]
    fn rejects_text_that_would_show_as_blank() {
        for blank in [
            "\u{200B}",
            "\u{200B}\u{200D}\u{FEFF}",
            "\u{2060} \u{3164}",
            "\u{00AD}",
        ] {
            assert_eq!(
                clean(blank, 1, 50, Lines::Single).unwrap_err().code,
                "required",
                "{blank:?}"
            );
        }
        // Invisible characters inside visible text stay as written (emoji sequences use ZWJ).
        let family = "Bravi \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}";
        assert_eq!(clean(family, 1, 50, Lines::Single).unwrap(), family);
    }

    #[test]
    fn rejects_blank_and_control_characters() {
        assert_eq!(
            clean("   ", 1, 5, Lines::Single).unwrap_err().code,
            "required"
        );
        assert_eq!(
            clean("a\u{0}b", 1, 5, Lines::Multi).unwrap_err().code,
            "invalid_character"
        );
        assert_eq!(
            clean("a\nb", 1, 5, Lines::Single).unwrap_err().code,
            "invalid_character"
        );
        assert_eq!(clean("a\r\n\tb", 1, 5, Lines::Multi).unwrap(), "a\r\n\tb");
        // Too long as sent, even if it fits once trimmed: as the API's schema counts.
        assert_eq!(
            clean("\u{a0}abcde", 1, 5, Lines::Single).unwrap_err().code,
            "too_long"
        );
        assert_eq!(clean(" abcd", 1, 5, Lines::Single).unwrap(), "abcd");
    }

    #[test]
    fn refuses_noncharacters_and_keeps_their_neighbours() {
        for bad in [
            '\u{FFFE}',
            '\u{FFFF}',
            '\u{FDD0}',
            '\u{FDEF}',
            '\u{1FFFF}',
            '\u{10FFFE}',
        ] {
            let err = clean(&format!("a{bad}b"), 1, 9, Lines::Multi).unwrap_err();
            assert_eq!(err.code, "invalid_character", "{:04X}", u32::from(bad));
        }
        for fine in [
            '\u{FFFD}',
            '\u{FDCF}',
            '\u{FDF0}',
            '\u{FFFC}',
            '\u{1FFFD}',
            '\u{1F600}',
        ] {
            assert!(
                clean(&format!("a{fine}b"), 1, 9, Lines::Multi).is_ok(),
                "{:04X}",
                u32::from(fine)
            );
        }
    }

    proptest! {
        #[test]
        fn cleaning_is_idempotent(s in "\\PC{0,60}") {
            if let Ok(once) = clean(&s, 0, 100, Lines::Multi) {
                prop_assert_eq!(clean(&once, 0, 100, Lines::Multi).unwrap(), once);
            }
        }

        #[test]
        fn accepted_text_respects_bounds(s in "\\PC{0,40}", min in 0usize..5, max in 5usize..30) {
            if let Ok(t) = clean(&s, min, max, Lines::Single) {
                let n = t.chars().count();
                prop_assert!(n >= min && n <= max);
                prop_assert_eq!(t.trim(), t.as_str());
            }
        }
    }
}
