//! Rules for text fields: each field declares its rule once, as a constant beside the domain
//! code that checks it (`const TITLE: TextRule = TextRule::line("title", 1, 200);`), and every
//! context checks text the same way:
//! - length is counted in characters (Unicode scalar values), at most `max_chars`, and at least
//!   `min_chars` once surrounding whitespace is trimmed;
//! - no control character (Unicode category Cc: NUL, ESC, DEL, C1 controls...), except that
//!   multi-line text (bodies, descriptions, reasons) may hold tab, line feed and carriage
//!   return. Names, titles and codes are one line.
//!
//! The README's "Limits" table lists every field's rule.

use std::fmt;

/// Whether a field may span lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// No control character at all.
    One,
    /// Tab, line feed and carriage return allowed; no other control character.
    Many,
}

/// The rule of one text field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextRule {
    /// The field's name as clients send it (`title`, `shipping_address.city`).
    pub field: &'static str,
    /// Fewest characters once trimmed (0: may be empty).
    pub min_chars: usize,
    /// Most characters, untrimmed.
    pub max_chars: usize,
    pub lines: Lines,
}

/// Why a text was refused; its message names the field and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("{field} must be {min} to {max} characters, got {got}")]
    Length {
        field: &'static str,
        min: usize,
        max: usize,
        got: usize,
    },
    /// Only spaces (or nothing) where text is required.
    #[error("{field} must not be blank")]
    Blank { field: &'static str },
    #[error("{field} must not contain the control character {character}{}", one_line_hint(*.lines))]
    ControlCharacter {
        field: &'static str,
        character: CharCode,
        lines: Lines,
    },
}

fn one_line_hint(lines: Lines) -> &'static str {
    match lines {
        Lines::One => " (it is one line of text)",
        Lines::Many => "",
    }
}

/// A character shown as `U+0000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CharCode(pub char);

impl fmt::Display for CharCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "U+{:04X}", u32::from(self.0))
    }
}

impl TextRule {
    /// A one-line field of `min_chars..=max_chars` characters.
    #[must_use]
    pub const fn line(field: &'static str, min_chars: usize, max_chars: usize) -> Self {
        Self {
            field,
            min_chars,
            max_chars,
            lines: Lines::One,
        }
    }

    /// A multi-line field of `min_chars..=max_chars` characters.
    #[must_use]
    pub const fn multiline(field: &'static str, min_chars: usize, max_chars: usize) -> Self {
        Self {
            field,
            min_chars,
            max_chars,
            lines: Lines::Many,
        }
    }

    /// Checks `value` against the rule.
    ///
    /// # Errors
    /// [`TextError::ControlCharacter`] for a character the rule refuses,
    /// [`TextError::Length`] for too few (trimmed) or too many characters.
    pub fn check(&self, value: &str) -> Result<(), TextError> {
        let refused = |c: char| match self.lines {
            Lines::One => c.is_control(),
            Lines::Many => c.is_control() && !matches!(c, '\t' | '\n' | '\r'),
        };
        if let Some(c) = value.chars().find(|c| refused(*c)) {
            return Err(TextError::ControlCharacter {
                field: self.field,
                character: CharCode(c),
                lines: self.lines,
            });
        }
        let got = value.chars().count();
        if self.min_chars > 0 && value.trim().is_empty() {
            return Err(TextError::Blank { field: self.field });
        }
        if got > self.max_chars || value.trim().chars().count() < self.min_chars {
            return Err(TextError::Length {
                field: self.field,
                min: self.min_chars,
                max: self.max_chars,
                got,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const TITLE: TextRule = TextRule::line("title", 1, 5);
    const BODY: TextRule = TextRule::multiline("body", 0, 10);

    #[test]
    fn lengths_count_characters_and_trim_for_the_minimum() {
        TITLE.check("héllo").unwrap();
        assert!(TITLE.check("héllo!").is_err());
        assert_eq!(
            TITLE.check("   ").unwrap_err().to_string(),
            "title must not be blank"
        );
        assert_eq!(
            TITLE.check("").unwrap_err().to_string(),
            "title must not be blank"
        );
        BODY.check("").unwrap();
        assert_eq!(
            TITLE.check("toolong").unwrap_err().to_string(),
            "title must be 1 to 5 characters, got 7"
        );
    }

    #[test]
    fn one_line_refuses_every_control_character_multiline_keeps_line_breaks() {
        for bad in ["a\u{0}", "a\nb", "a\tb", "\u{1b}", "\u{7f}", "\u{85}"] {
            assert!(TITLE.check(bad).is_err(), "{bad:?}");
        }
        BODY.check("a\r\n\tb").unwrap();
        for bad in ["a\u{0}", "\u{1b}[2J", "\u{7f}"] {
            assert!(BODY.check(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            TITLE.check("a\u{0}").unwrap_err().to_string(),
            "title must not contain the control character U+0000 (it is one line of text)"
        );
    }
}
