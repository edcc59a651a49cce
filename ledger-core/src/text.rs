//! Bounded human text: names, purposes, memos, reasons.
//!
//! Every string that a trustee types and that enters the chain goes through one of these
//! types, so its length is bounded and it holds no control characters (which would make
//! printed statements and terminals lie about what was recorded).

use std::fmt;

use crate::error::Coded;
use crate::newtype::string_newtype;

/// Longest [`ShortText`], in Unicode scalar values.
pub const SHORT_TEXT_CHARS_MAX: usize = 200;
/// Longest [`LongText`], in Unicode scalar values.
pub const LONG_TEXT_CHARS_MAX: usize = 2000;

/// Why a string was refused as text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TextError {
    /// The string is empty or only whitespace.
    #[error("text must not be empty")]
    Empty,
    /// The string is longer than the limit.
    #[error("text is {chars} characters long; the limit is {max}")]
    TooLong {
        /// Its length in characters.
        chars: usize,
        /// The limit that was hit.
        max: usize,
    },
    /// The string holds a control character or starts/ends with whitespace.
    #[error("text holds a control character or leading/trailing whitespace")]
    BadCharacter,
}

impl Coded for TextError {
    fn code(&self) -> &'static str {
        match self {
            TextError::Empty => "text_empty",
            TextError::TooLong { .. } => "text_too_long",
            TextError::BadCharacter => "text_bad_character",
        }
    }
    fn message_en(&self) -> String {
        self.to_string()
    }
    fn message_zh(&self) -> String {
        match self {
            TextError::Empty => "文本不能为空".into(),
            TextError::TooLong { chars, max } => format!("文本长度为 {chars} 个字符，上限为 {max}"),
            TextError::BadCharacter => "文本含有控制字符，或首尾有空白".into(),
        }
    }
}

fn check(s: &str, max: usize, allow_newline: bool) -> Result<(), TextError> {
    if s.trim().is_empty() {
        return Err(TextError::Empty);
    }
    let chars = s.chars().count();
    if chars > max {
        return Err(TextError::TooLong { chars, max });
    }
    if s.trim() != s
        || s.chars()
            .any(|c| c.is_control() && !(allow_newline && c == '\n'))
    {
        return Err(TextError::BadCharacter);
    }
    Ok(())
}

/// A name, number or short label: 1–200 characters, one line.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShortText(String);

impl ShortText {
    /// Parses `s`, refusing empty, over-long or control-character text.
    pub fn parse(s: &str) -> Result<Self, TextError> {
        check(s, SHORT_TEXT_CHARS_MAX, false)?;
        Ok(Self(s.to_owned()))
    }
}
string_newtype!(ShortText, TextError, holds_string);

/// A memo or reason: 1–2000 characters, newlines allowed.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LongText(String);

impl LongText {
    /// Parses `s`, refusing empty, over-long or control-character text (newlines are
    /// allowed).
    pub fn parse(s: &str) -> Result<Self, TextError> {
        check(s, LONG_TEXT_CHARS_MAX, true)?;
        Ok(Self(s.to_owned()))
    }
}
string_newtype!(LongText, TextError, holds_string);

/// The text, quoted (as a `String` is).
impl fmt::Debug for ShortText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// The text, quoted (as a `String` is).
impl fmt::Debug for LongText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_characters() {
        assert!(ShortText::parse("童萌之家").is_ok());
        assert_eq!(ShortText::parse(""), Err(TextError::Empty));
        assert_eq!(ShortText::parse("   "), Err(TextError::Empty));
        assert_eq!(ShortText::parse(" a"), Err(TextError::BadCharacter));
        assert_eq!(ShortText::parse("a\u{0007}b"), Err(TextError::BadCharacter));
        assert_eq!(ShortText::parse("a\nb"), Err(TextError::BadCharacter));
        assert!(LongText::parse("a\nb").is_ok());
        let long = "名".repeat(201);
        assert_eq!(
            ShortText::parse(&long),
            Err(TextError::TooLong {
                chars: 201,
                max: 200
            })
        );
        assert!(ShortText::parse(&"名".repeat(200)).is_ok());
        assert!(LongText::parse(&"x".repeat(10_000)).is_err());
    }
}
