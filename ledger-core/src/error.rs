//! The shared shape of refusals: a stable machine code and a message in Chinese and English.

/// An error that a person (trustee, auditor, resident) may see.
///
/// `code` is stable: clients, tests and the HTTP API match on it. The messages are for
/// people and may be reworded.
pub trait Coded {
    /// Stable machine code, `snake_case`, e.g. `amount_not_positive`.
    fn code(&self) -> &'static str;
    /// Human explanation in English.
    fn message_en(&self) -> String;
    /// Human explanation in Chinese.
    fn message_zh(&self) -> String;
}

/// Separates the code from the English text, and the English from the Chinese, inside a
/// serde error message made by [`de_error`].
const CODE_SEP: &str = ": ";
const LANG_SEP: &str = " | ";

/// Every code a typed field parser may report through [`Tagged`]: a field that fails to
/// parse deep inside a body is reported with its own code (e.g. `amount_not_positive`),
/// not a generic one.
pub const FIELD_CODES: &[&str] = &[
    "agreement_id_bad_char",
    "agreement_id_empty",
    "agreement_id_too_long",
    "amount_malformed",
    "amount_negative",
    "amount_not_positive",
    "amount_over_limit",
    "amount_too_few_decimals",
    "amount_too_many_decimals",
    "base_malformed",
    "base_negative",
    "base_over_limit",
    "base_too_few_decimals",
    "base_too_many_decimals",
    "date_malformed",
    "date_not_in_calendar",
    "date_out_of_range",
    "duration_negative",
    "fund_id_bad_char",
    "fund_id_bad_edge",
    "fund_id_empty",
    "fund_id_too_long",
    "idempotency_key_bad_char",
    "idempotency_key_empty",
    "idempotency_key_too_long",
    "instant_fraction",
    "instant_malformed",
    "instant_not_in_calendar",
    "instant_not_utc",
    "instant_out_of_range",
    "money_malformed",
    "money_negative_zero",
    "money_over_limit",
    "money_too_few_decimals",
    "money_too_many_decimals",
    "offset_malformed",
    "offset_negative_zero",
    "offset_out_of_range",
    "period_reversed",
    "rate_malformed",
    "rate_negative",
    "rate_over_one",
    "rate_too_few_decimals",
    "rate_too_many_decimals",
    "restriction_id_bad_char",
    "restriction_id_empty",
    "restriction_id_too_long",
    "space_id_bad_char",
    "space_id_empty",
    "space_id_too_long",
    "time_of_day_malformed",
    "time_of_day_out_of_range",
    "uscc_bad_char",
    "uscc_check_digit",
    "uscc_division_code",
    "uscc_length",
    "uscc_lowercase",
    "weekday_malformed",
    "window_empty",
    "text_empty",
    "text_too_long",
    "text_bad_character",
    "key_hex",
    "key_point",
    "signature_hex",
    "hash_hex",
];

/// A typed parse error dressed for serde: its `Display` carries the stable code and both
/// messages, so [`FieldError::from_serde`] can recover them after deserialisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tagged<E>(pub E);

impl<E: Coded> std::fmt::Display for Tagged<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}{CODE_SEP}{}{LANG_SEP}{}",
            self.0.code(),
            self.0.message_en(),
            self.0.message_zh()
        )
    }
}

impl<E: Coded + std::fmt::Debug> std::error::Error for Tagged<E> {}

/// Turns a typed parse error into a serde error that keeps its code (see [`Tagged`]).
pub fn de_error<E: serde::de::Error, C: Coded>(err: C) -> E {
    E::custom(Tagged(err))
}

/// Deserialises a string and parses it with `parse`, without copying the string when the
/// input lends it (a `String` or `Cow<str>` would). Errors are those of a `String` field
/// with `#[serde(try_from = "String")]`: `invalid type …, expected a string`, or the
/// parser's error through [`de_error`], made (as `try_from` makes it) once the
/// deserializer has handed the string over, so that a format adds to it what it adds to
/// a `try_from` error (serde_json: the position when the value is inside another one,
/// none for a whole document).
pub fn parse_str<'de, D, T, E, F>(d: D, parse: F) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    E: Coded,
    F: FnOnce(&str) -> Result<T, E>,
{
    struct Parse<F>(F);
    impl<'de, T, E: Coded, F: FnOnce(&str) -> Result<T, E>> serde::de::Visitor<'de> for Parse<F> {
        type Value = Result<T, E>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<X: serde::de::Error>(self, s: &str) -> Result<Self::Value, X> {
            Ok((self.0)(s))
        }
        /// As `String` does: bytes that are UTF-8 are a string.
        fn visit_bytes<X: serde::de::Error>(self, b: &[u8]) -> Result<Self::Value, X> {
            match std::str::from_utf8(b) {
                Ok(s) => Ok((self.0)(s)),
                Err(_) => Err(X::invalid_value(serde::de::Unexpected::Bytes(b), &self)),
            }
        }
    }
    d.deserialize_string(Parse(parse))?.map_err(de_error)
}

/// A field of an intent or entry that did not parse: where, which rule, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted path to the field, e.g. `body.amount` (empty for the whole value).
    pub path: String,
    /// Stable code: the field type's own code, or `malformed` for a shape error
    /// (unknown field, missing field, wrong JSON type).
    pub code: &'static str,
    /// English explanation.
    pub en: String,
    /// Chinese explanation.
    pub zh: String,
}

impl FieldError {
    /// Builds a field error from a serde error produced while deserialising at `path`.
    ///
    /// `codes` lists the codes that typed parsers may embed via [`de_error`]; any other
    /// message is a shape error with code `malformed`.
    pub fn from_serde(path: String, message: &str, codes: &[&'static str]) -> Self {
        if let Some((code, rest)) = message.split_once(CODE_SEP) {
            if let Some(known) = codes.iter().find(|c| **c == code) {
                let (en, zh) = match rest.split_once(LANG_SEP) {
                    Some((en, zh)) => (en.to_owned(), strip_position(zh).to_owned()),
                    None => (
                        strip_position(rest).to_owned(),
                        strip_position(rest).to_owned(),
                    ),
                };
                return FieldError {
                    path,
                    code: known,
                    en,
                    zh,
                };
            }
        }
        FieldError {
            en: format!("malformed field `{path}`: {message}"),
            zh: format!("字段 `{path}` 格式不对：{message}"),
            path,
            code: "malformed",
        }
    }
}

/// serde_json appends " at line L column C" to messages; the path says more.
fn strip_position(s: &str) -> &str {
    match s.rfind(" at line ") {
        Some(i) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Zero;
    impl Coded for Zero {
        fn code(&self) -> &'static str {
            "amount_not_positive"
        }
        fn message_en(&self) -> String {
            "amount must be greater than zero".into()
        }
        fn message_zh(&self) -> String {
            "金额必须大于零".into()
        }
    }

    #[test]
    fn field_error_keeps_code_and_both_languages() {
        let e: serde_json::Error = de_error(Zero);
        let f = FieldError::from_serde(
            "body.amount".into(),
            &e.to_string(),
            &["amount_not_positive"],
        );
        assert_eq!(f.code, "amount_not_positive");
        assert_eq!(f.en, "amount must be greater than zero");
        assert_eq!(f.zh, "金额必须大于零");
        let g =
            FieldError::from_serde("body".into(), "unknown field `x`", &["amount_not_positive"]);
        assert_eq!(g.code, "malformed");
    }

    #[test]
    fn borrowed_string_fields_fail_as_string_fields_do() {
        use serde_json::{from_str, from_value, json};
        let want = from_str::<String>("5").unwrap_err().to_string();
        assert_eq!(
            from_str::<crate::time::Instant>("5")
                .unwrap_err()
                .to_string(),
            want
        );
        assert_eq!(
            from_str::<crate::hash::Hash>("5").unwrap_err().to_string(),
            want
        );
        let want = from_value::<String>(json!([1])).unwrap_err().to_string();
        assert_eq!(
            from_value::<crate::keys::SignatureBytes>(json!([1]))
                .unwrap_err()
                .to_string(),
            want
        );
        // A parser's error keeps its code, borrowed or copied.
        let e = from_str::<crate::time::Instant>(r#""2026-01-01T00:00:00+08:00""#).unwrap_err();
        let f = FieldError::from_serde("t".into(), &e.to_string(), FIELD_CODES);
        assert_eq!(f.code, "instant_not_utc");
    }
}
