//! Identifiers: fund, agreement and space ids, idempotency keys, and the unified social
//! credit code (统一社会信用代码) of a counterparty organisation.
//!
//! Each type can only be built by parsing, so holding one means it is valid. All of them
//! serialise as their canonical string; `Display` is that string and `FromStr` parses it.

use crate::error::Coded;
use crate::newtype::string_newtype;

/// Longest excerpt of a rejected input quoted back in an error message.
const QUOTE_MAX_CHARS: usize = 70;

/// Quote (a bounded prefix of) a rejected input for an error message.
fn quote(s: &str) -> String {
    let mut out: String = s.chars().take(QUOTE_MAX_CHARS).collect();
    if s.chars().nth(QUOTE_MAX_CHARS).is_some() {
        out.push('…');
    }
    out
}

// ---------------------------------------------------------------------------------------
// Simple identifiers
// ---------------------------------------------------------------------------------------

/// Which identifier an [`IdError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdKind {
    /// [`FundId`].
    Fund,
    /// [`AgreementId`].
    Agreement,
    /// [`SpaceId`].
    Space,
    /// [`RestrictionId`].
    Restriction,
    /// [`IdempotencyKey`].
    IdempotencyKey,
}

impl IdKind {
    fn name_en(self) -> &'static str {
        match self {
            IdKind::Fund => "fund id",
            IdKind::Agreement => "agreement id",
            IdKind::Space => "space id",
            IdKind::Restriction => "restriction id",
            IdKind::IdempotencyKey => "idempotency key",
        }
    }

    fn name_zh(self) -> &'static str {
        match self {
            IdKind::Fund => "基金编号",
            IdKind::Agreement => "协议编号",
            IdKind::Space => "场地编号",
            IdKind::Restriction => "限定编号",
            IdKind::IdempotencyKey => "幂等键",
        }
    }

    fn max_len(self) -> usize {
        match self {
            IdKind::Fund => FundId::MAX_LEN,
            IdKind::Agreement | IdKind::Space | IdKind::Restriction | IdKind::IdempotencyKey => 64,
        }
    }

    fn allowed_en(self) -> &'static str {
        match self {
            IdKind::Fund => "lowercase letters a-z, digits 0-9 and '-'",
            _ => "letters A-Z a-z, digits 0-9, '_' and '-'",
        }
    }

    fn allowed_zh(self) -> &'static str {
        match self {
            IdKind::Fund => "小写字母 a-z、数字 0-9 和连字符 -",
            _ => "字母 A-Z a-z、数字 0-9、下划线 _ 和连字符 -",
        }
    }
}

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// The empty string.
    #[error("{} is empty", kind.name_en())]
    Empty {
        /// Which identifier.
        kind: IdKind,
    },
    /// Longer than allowed.
    #[error("{} is {len} characters long; at most {max} are allowed", kind.name_en())]
    TooLong {
        /// Which identifier.
        kind: IdKind,
        /// Length in characters.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// A character outside the allowed set.
    #[error("{} {input:?} contains {ch:?} at position {position}; only {} are allowed{}",
        kind.name_en(), kind.allowed_en(), bad_char_hint_en(*kind, *ch))]
    BadChar {
        /// Which identifier.
        kind: IdKind,
        /// The rejected input (possibly shortened).
        input: String,
        /// The offending character.
        ch: char,
        /// Its 1-based position.
        position: usize,
    },
    /// A fund id starting or ending with `-`.
    #[error("{} {input:?} must start and end with a letter or digit, not '-'", kind.name_en())]
    BadEdge {
        /// Which identifier.
        kind: IdKind,
        /// The rejected input (possibly shortened).
        input: String,
    },
}

fn bad_char_hint_en(kind: IdKind, ch: char) -> &'static str {
    if kind == IdKind::Fund && ch.is_ascii_uppercase() {
        " (use lowercase)"
    } else if !ch.is_ascii() {
        " (use ASCII letters, e.g. pinyin, not Chinese or full-width characters)"
    } else {
        ""
    }
}

fn bad_char_hint_zh(kind: IdKind, ch: char) -> &'static str {
    if kind == IdKind::Fund && ch.is_ascii_uppercase() {
        "（请改用小写字母）"
    } else if !ch.is_ascii() {
        "（请用半角英文字母，例如拼音，不要用汉字或全角字符）"
    } else {
        ""
    }
}

impl Coded for IdError {
    fn code(&self) -> &'static str {
        use IdKind as K;
        match self {
            IdError::Empty { kind } => match kind {
                K::Fund => "fund_id_empty",
                K::Agreement => "agreement_id_empty",
                K::Space => "space_id_empty",
                K::Restriction => "restriction_id_empty",
                K::IdempotencyKey => "idempotency_key_empty",
            },
            IdError::TooLong { kind, .. } => match kind {
                K::Fund => "fund_id_too_long",
                K::Agreement => "agreement_id_too_long",
                K::Space => "space_id_too_long",
                K::Restriction => "restriction_id_too_long",
                K::IdempotencyKey => "idempotency_key_too_long",
            },
            IdError::BadChar { kind, .. } => match kind {
                K::Fund => "fund_id_bad_char",
                K::Agreement => "agreement_id_bad_char",
                K::Space => "space_id_bad_char",
                K::Restriction => "restriction_id_bad_char",
                K::IdempotencyKey => "idempotency_key_bad_char",
            },
            IdError::BadEdge { kind, .. } => match kind {
                K::Fund => "fund_id_bad_edge",
                K::Agreement => "agreement_id_bad_edge",
                K::Space => "space_id_bad_edge",
                K::Restriction => "restriction_id_bad_edge",
                K::IdempotencyKey => "idempotency_key_bad_edge",
            },
        }
    }

    fn message_en(&self) -> String {
        self.to_string()
    }

    fn message_zh(&self) -> String {
        match self {
            IdError::Empty { kind } => format!("{}不能为空", kind.name_zh()),
            IdError::TooLong { kind, len, max } => {
                format!("{}长 {len} 个字符，最多允许 {max} 个", kind.name_zh())
            }
            IdError::BadChar {
                kind,
                input,
                ch,
                position,
            } => format!(
                "{} “{input}” 第 {position} 个字符 “{ch}” 不允许；只能用{}{}",
                kind.name_zh(),
                kind.allowed_zh(),
                bad_char_hint_zh(*kind, *ch)
            ),
            IdError::BadEdge { kind, input } => format!(
                "{} “{input}” 必须以字母或数字开头和结尾，不能以连字符 - 开头或结尾",
                kind.name_zh()
            ),
        }
    }
}

/// Check length and charset shared by all simple identifiers.
fn check_id(s: &str, kind: IdKind, allowed: impl Fn(char) -> bool) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty { kind });
    }
    let len = s.chars().count();
    if len > kind.max_len() {
        return Err(IdError::TooLong {
            kind,
            len,
            max: kind.max_len(),
        });
    }
    if let Some((i, ch)) = s.chars().enumerate().find(|&(_, c)| !allowed(c)) {
        return Err(IdError::BadChar {
            kind,
            input: quote(s),
            ch,
            position: i + 1,
        });
    }
    Ok(())
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// The id of a fund: 1–48 characters of `[a-z0-9-]`, starting and ending with a letter or
/// digit, e.g. `xipu-street`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FundId(String);

impl FundId {
    /// Maximum length in characters.
    pub const MAX_LEN: usize = 48;

    /// Parse a fund id.
    pub fn parse(s: &str) -> Result<FundId, IdError> {
        let kind = IdKind::Fund;
        check_id(s, kind, |c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
        })?;
        if s.starts_with('-') || s.ends_with('-') {
            return Err(IdError::BadEdge {
                kind,
                input: quote(s),
            });
        }
        Ok(FundId(s.to_owned()))
    }
}
string_newtype!(FundId, IdError, holds_string);

/// The id of an agreement (rental, revenue share, …): 1–64 characters of
/// `[A-Za-z0-9_-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgreementId(String);

impl AgreementId {
    /// Maximum length in characters.
    pub const MAX_LEN: usize = 64;

    /// Parse an agreement id.
    pub fn parse(s: &str) -> Result<AgreementId, IdError> {
        check_id(s, IdKind::Agreement, is_token_char)?;
        Ok(AgreementId(s.to_owned()))
    }
}
string_newtype!(AgreementId, IdError, holds_string);

/// The id of a space (room, hall, yard): 1–64 characters of `[A-Za-z0-9_-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpaceId(String);

impl SpaceId {
    /// Maximum length in characters.
    pub const MAX_LEN: usize = 64;

    /// Parse a space id.
    pub fn parse(s: &str) -> Result<SpaceId, IdError> {
        check_id(s, IdKind::Space, is_token_char)?;
        Ok(SpaceId(s.to_owned()))
    }
}
string_newtype!(SpaceId, IdError, holds_string);

/// The id of a restriction (限定: money given for a purpose or a period):
/// 1–64 characters of `[A-Za-z0-9_-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RestrictionId(String);

impl RestrictionId {
    /// Maximum length in characters.
    pub const MAX_LEN: usize = 64;

    /// Parse a restriction id.
    pub fn parse(s: &str) -> Result<RestrictionId, IdError> {
        check_id(s, IdKind::Restriction, is_token_char)?;
        Ok(RestrictionId(s.to_owned()))
    }
}
string_newtype!(RestrictionId, IdError, holds_string);

/// A client-chosen key that makes a submission idempotent: 1–64 characters of
/// `[A-Za-z0-9_-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Maximum length in characters.
    pub const MAX_LEN: usize = 64;

    /// Parse an idempotency key.
    pub fn parse(s: &str) -> Result<IdempotencyKey, IdError> {
        check_id(s, IdKind::IdempotencyKey, is_token_char)?;
        Ok(IdempotencyKey(s.to_owned()))
    }
}
string_newtype!(IdempotencyKey, IdError, holds_string);

// ---------------------------------------------------------------------------------------
// Unified social credit code (GB 32100-2015)
// ---------------------------------------------------------------------------------------

/// The 31 characters of GB 32100-2015, in value order (no I, O, S, V, Z).
const USCC_CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights of positions 1..=17 (3^(i−1) mod 31).
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Value of a character of the charset, if it is one.
fn uscc_value(c: char) -> Option<u32> {
    let b = u8::try_from(c).ok()?;
    USCC_CHARSET
        .iter()
        .position(|&x| x == b)
        .and_then(|p| u32::try_from(p).ok())
}

/// A unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters of
/// `0123456789ABCDEFGHJKLMNPQRTUWXY`, positions 3–8 digits (the administrative division
/// code), position 18 the check character. Uppercase only.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uscc(String);

/// Why a string is not a valid unified social credit code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UsccError {
    /// Wrong number of characters.
    #[error("a unified social credit code has {expected} characters here, not {len}")]
    Length {
        /// Characters given.
        len: usize,
        /// Characters expected (18, or 17 for the part before the check character).
        expected: usize,
    },
    /// Lowercase letters.
    #[error("unified social credit code {input:?} contains lowercase letters; write it in capitals: {upper}")]
    Lowercase {
        /// The rejected input.
        input: String,
        /// The same in capitals (which may or may not be valid).
        upper: String,
    },
    /// A character outside the 31-character set.
    #[error("unified social credit code has {ch:?} at position {position}; only digits and the capitals A-Y except I, O, S, V, Z are used{}", uscc_char_hint_en(*ch))]
    BadChar {
        /// The offending character.
        ch: char,
        /// Its 1-based position.
        position: usize,
    },
    /// Positions 3–8 (administrative division code) not all digits.
    #[error("unified social credit code has {ch:?} at position {position}; positions 3 to 8 are the administrative division code and must be digits")]
    DivisionCode {
        /// The offending character.
        ch: char,
        /// Its 1-based position.
        position: usize,
    },
    /// The 18th character does not match the check computed from the first 17.
    #[error("unified social credit code {input:?} fails its check: the last character should be {expected:?}, not {found:?}; please check for a typing error")]
    CheckDigit {
        /// The rejected input.
        input: String,
        /// The check character the first 17 characters call for.
        expected: char,
        /// The check character given.
        found: char,
    },
}

fn uscc_char_hint_en(ch: char) -> String {
    match ch {
        'I' | 'O' | 'S' | 'V' | 'Z' => {
            format!(
                " (the letter {ch} is never used; perhaps the digit {}?)",
                lookalike(ch)
            )
        }
        c if !c.is_ascii() => " (use half-width characters)".to_string(),
        _ => String::new(),
    }
}

fn uscc_char_hint_zh(ch: char) -> String {
    match ch {
        'I' | 'O' | 'S' | 'V' | 'Z' => format!(
            "（代码中从不使用字母 {ch}，可能是数字 {}？）",
            lookalike(ch)
        ),
        c if !c.is_ascii() => "（请使用半角字符）".to_string(),
        _ => String::new(),
    }
}

/// The character a forbidden letter is usually mistaken for.
fn lookalike(ch: char) -> &'static str {
    match ch {
        'I' => "1",
        'O' => "0",
        'S' => "5",
        'Z' => "2",
        _ => "U or Y",
    }
}

impl Coded for UsccError {
    fn code(&self) -> &'static str {
        match self {
            UsccError::Length { .. } => "uscc_length",
            UsccError::Lowercase { .. } => "uscc_lowercase",
            UsccError::BadChar { .. } => "uscc_bad_char",
            UsccError::DivisionCode { .. } => "uscc_division_code",
            UsccError::CheckDigit { .. } => "uscc_check_digit",
        }
    }

    fn message_en(&self) -> String {
        self.to_string()
    }

    fn message_zh(&self) -> String {
        match self {
            UsccError::Length { len, expected } => {
                format!("统一社会信用代码此处应为 {expected} 位，现为 {len} 位")
            }
            UsccError::Lowercase { input, upper } => format!(
                "统一社会信用代码 “{input}” 含小写字母；请用大写字母填写：{upper}"
            ),
            UsccError::BadChar { ch, position } => format!(
                "统一社会信用代码第 {position} 位 “{ch}” 不合法；只使用数字和除 I、O、S、V、Z 以外的大写字母{}",
                uscc_char_hint_zh(*ch)
            ),
            UsccError::DivisionCode { ch, position } => format!(
                "统一社会信用代码第 {position} 位 “{ch}” 不合法；第 3 至 8 位是行政区划码，必须是数字"
            ),
            UsccError::CheckDigit {
                input,
                expected,
                found,
            } => format!(
                "统一社会信用代码 “{input}” 校验不通过：按前 17 位，最后一位应为 “{expected}”，而不是 “{found}”；请核对是否录入有误"
            ),
        }
    }
}

/// Check that `s` has `expected` characters (17 or 18) of the right kinds and return their
/// values.
fn uscc_values(s: &str, expected: usize) -> Result<Vec<u32>, UsccError> {
    let len = s.chars().count();
    if len != expected {
        return Err(UsccError::Length { len, expected });
    }
    if s.chars().any(|c| c.is_ascii_lowercase()) {
        return Err(UsccError::Lowercase {
            input: s.to_owned(),
            upper: s.to_ascii_uppercase(),
        });
    }
    let mut values = Vec::with_capacity(expected);
    for (i, ch) in s.chars().enumerate() {
        let position = i + 1;
        let Some(v) = uscc_value(ch) else {
            return Err(UsccError::BadChar { ch, position });
        };
        if (3..=8).contains(&position) && !ch.is_ascii_digit() {
            return Err(UsccError::DivisionCode { ch, position });
        }
        values.push(v);
    }
    Ok(values)
}

/// The check character from the values of the first 17 characters.
fn uscc_check_from_values(values: &[u32]) -> char {
    let sum: u32 = values
        .iter()
        .zip(USCC_WEIGHTS.iter())
        .map(|(v, w)| v * w)
        .sum();
    // C18 = 31 − (Σ mod 31), and 31 maps to 0: i.e. (31 − Σ mod 31) mod 31.
    let c18 = (31 - sum % 31) % 31;
    USCC_CHARSET
        .get(c18 as usize)
        .map(|&b| char::from(b))
        .unwrap_or('0')
}

/// The check character (18th) of a unified social credit code, from its first 17
/// characters (which must be uppercase, from the charset, with digits in positions 3–8).
pub fn uscc_check_char(first17: &str) -> Result<char, UsccError> {
    let values = uscc_values(first17, 17)?;
    Ok(uscc_check_from_values(&values))
}

impl Uscc {
    /// Length in characters.
    pub const LEN: usize = 18;

    /// Parse and verify a unified social credit code.
    pub fn parse(s: &str) -> Result<Uscc, UsccError> {
        let values = uscc_values(s, Self::LEN)?;
        let expected = uscc_check_from_values(&values[..17]);
        let found = s.chars().last().unwrap_or(' ');
        if found != expected {
            return Err(UsccError::CheckDigit {
                input: s.to_owned(),
                expected,
                found,
            });
        }
        Ok(Uscc(s.to_owned()))
    }

    /// Position 1: the registration authority code (登记管理部门代码).
    pub fn registration_authority(&self) -> char {
        self.0.chars().next().unwrap_or('0')
    }

    /// Position 2: the entity type code (机构类别代码).
    pub fn entity_type(&self) -> char {
        self.0.chars().nth(1).unwrap_or('0')
    }

    /// Positions 3–8: the administrative division code (登记管理机关行政区划码).
    pub fn division_code(&self) -> &str {
        self.0.get(2..8).unwrap_or("")
    }
}
string_newtype!(Uscc, UsccError, holds_string);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn fund_id() {
        for ok in [
            "xipu-street",
            "a",
            "0",
            "fund-2026",
            "a-b-c",
            &"a".repeat(48),
        ] {
            assert_eq!(FundId::parse(ok).unwrap().as_str(), ok);
        }
        let code = |s: &str| FundId::parse(s).unwrap_err().code();
        assert_eq!(code(""), "fund_id_empty");
        assert_eq!(code(&"a".repeat(49)), "fund_id_too_long");
        assert_eq!(code("Xipu"), "fund_id_bad_char");
        assert_eq!(code("xipu_street"), "fund_id_bad_char");
        assert_eq!(code("xipu street"), "fund_id_bad_char");
        assert_eq!(code("西浦"), "fund_id_bad_char");
        assert_eq!(code("-xipu"), "fund_id_bad_edge");
        assert_eq!(code("xipu-"), "fund_id_bad_edge");
        assert_eq!(code("-"), "fund_id_bad_edge");
        let e = FundId::parse("Xipu").unwrap_err();
        assert!(
            e.message_en().contains("use lowercase"),
            "{}",
            e.message_en()
        );
        assert!(e.message_zh().contains("小写"), "{}", e.message_zh());
        assert!(FundId::parse("西浦")
            .unwrap_err()
            .message_zh()
            .contains("拼音"));
    }

    #[test]
    fn token_ids() {
        for ok in ["A", "rent-2026_01", "Hall_B", &"Z".repeat(64)] {
            assert_eq!(AgreementId::parse(ok).unwrap().as_str(), ok);
            assert_eq!(SpaceId::parse(ok).unwrap().as_str(), ok);
            assert_eq!(IdempotencyKey::parse(ok).unwrap().as_str(), ok);
        }
        assert_eq!(
            AgreementId::parse("").unwrap_err().code(),
            "agreement_id_empty"
        );
        assert_eq!(
            SpaceId::parse("a b").unwrap_err().code(),
            "space_id_bad_char"
        );
        assert_eq!(
            IdempotencyKey::parse(&"k".repeat(65)).unwrap_err().code(),
            "idempotency_key_too_long"
        );
        assert_eq!(
            IdempotencyKey::parse("a.b").unwrap_err().code(),
            "idempotency_key_bad_char"
        );
        // Leading '-' is fine for these.
        assert!(SpaceId::parse("-x-").is_ok());
        let e = AgreementId::parse("租约1").unwrap_err();
        assert!(matches!(
            e,
            IdError::BadChar {
                ch: '租',
                position: 1,
                ..
            }
        ));
    }

    #[test]
    fn id_serde() {
        let f: FundId = serde_json::from_str("\"xipu-street\"").unwrap();
        assert_eq!(serde_json::to_string(&f).unwrap(), "\"xipu-street\"");
        assert_eq!(f.to_string(), "xipu-street");
        let e = serde_json::from_str::<FundId>("\"Xipu\"").unwrap_err();
        assert!(e.to_string().contains("use lowercase"), "{e}");
        assert!(serde_json::from_str::<SpaceId>("\"\"").is_err());
        assert!(serde_json::from_str::<SpaceId>("12").is_err());
        let k: IdempotencyKey = "abc_1".parse().unwrap();
        assert_eq!(k.as_str(), "abc_1");
    }

    // Published codes, all verified by this implementation:
    // - 91350100M000100Y43: the example code printed in explanations of GB 32100-2015 and
    //   used in the test suite of hutool's CreditCodeUtil and many validators.
    // - 91110000802100433B: a commonly cited real code (appears in public sample lists).
    // - 914403001922038216: 华为技术有限公司 (Huawei Technologies), as given by Wikipedia's
    //   infobox.
    // - 91440300708461136T, 91110108551385082Q: codes of registered companies listed as
    //   real examples in public validator test suites.
    // Two codes from the same sample list (91350200M000000510, 91350128M00000019A) fail the
    // check and are therefore not used as valid examples.
    const KNOWN_VALID: [&str; 5] = [
        "91350100M000100Y43",
        "91110000802100433B",
        "914403001922038216",
        "91440300708461136T",
        "91110108551385082Q",
    ];

    #[test]
    fn uscc_known_valid() {
        for s in KNOWN_VALID {
            let u = Uscc::parse(s).unwrap();
            assert_eq!(u.as_str(), s);
            assert_eq!(u.to_string(), s);
            assert_eq!(
                uscc_check_char(&s[..17]).unwrap(),
                s.chars().last().unwrap()
            );
        }
        let u = Uscc::parse("91350100M000100Y43").unwrap();
        assert_eq!(u.registration_authority(), '9');
        assert_eq!(u.entity_type(), '1');
        assert_eq!(u.division_code(), "350100");
    }

    #[test]
    fn uscc_check_value_31_maps_to_0() {
        // Synthetic prefix whose weighted sum is ≡ 0 (mod 31): 31 − 0 = 31 → '0'.
        assert_eq!(uscc_check_char("91440300MA5000005").unwrap(), '0');
        assert!(Uscc::parse("91440300MA50000050").is_ok());
    }

    #[test]
    fn uscc_refusals() {
        let code = |s: &str| Uscc::parse(s).unwrap_err().code();
        assert_eq!(code("91350100M000100Y44"), "uscc_check_digit");
        assert_eq!(code("91350100M000100Y4"), "uscc_length");
        assert_eq!(code("91350100M000100Y433"), "uscc_length");
        assert_eq!(code(""), "uscc_length");
        assert_eq!(code("91350100m000100y43"), "uscc_lowercase");
        for forbidden in ['I', 'O', 'S', 'V', 'Z'] {
            let s = format!("91350100{forbidden}000100Y43");
            assert_eq!(code(&s), "uscc_bad_char", "{s}");
        }
        assert_eq!(code("91350100M000100Y4３"), "uscc_bad_char");
        assert_eq!(code("91350100M000100Y4-"), "uscc_bad_char");
        assert_eq!(code("913501A0M000100Y43"), "uscc_division_code");
        let e = Uscc::parse("91350100M000100Y44").unwrap_err();
        assert_eq!(
            e,
            UsccError::CheckDigit {
                input: "91350100M000100Y44".into(),
                expected: '3',
                found: '4'
            }
        );
        assert!(e.message_zh().contains("校验不通过"));
        let e = Uscc::parse("91350100m000100y43").unwrap_err();
        assert!(
            e.message_en().contains("91350100M000100Y43"),
            "{}",
            e.message_en()
        );
        assert!(e.message_zh().contains("大写"));
        let e = Uscc::parse("91350100O000100Y43").unwrap_err();
        assert!(e.message_en().contains("digit 0"), "{}", e.message_en());
        assert_eq!(
            uscc_check_char("91350100M000100Y").unwrap_err().code(),
            "uscc_length"
        );
        assert!(serde_json::from_str::<Uscc>("\"91350100M000100Y44\"").is_err());
        let u: Uscc = serde_json::from_str("\"91350100M000100Y43\"").unwrap();
        assert_eq!(serde_json::to_string(&u).unwrap(), "\"91350100M000100Y43\"");
    }

    fn charset_char() -> impl Strategy<Value = char> {
        (0_usize..31).prop_map(|i| char::from(USCC_CHARSET[i]))
    }

    fn prefix17() -> impl Strategy<Value = String> {
        (
            charset_char(),
            charset_char(),
            proptest::collection::vec(0_u8..10, 6),
            proptest::collection::vec(charset_char(), 9),
        )
            .prop_map(|(a, b, division, rest)| {
                let mut s = String::new();
                s.push(a);
                s.push(b);
                s.extend(division.into_iter().map(|d| char::from(b'0' + d)));
                s.extend(rest);
                s
            })
    }

    proptest! {
        #[test]
        fn uscc_computed_check_is_the_only_valid_one(prefix in prefix17()) {
            let check = uscc_check_char(&prefix).unwrap();
            let full = format!("{prefix}{check}");
            let u = Uscc::parse(&full).unwrap();
            prop_assert_eq!(u.to_string(), full.clone());
            prop_assert_eq!(Uscc::parse(u.as_str()).unwrap(), u);
            for &b in USCC_CHARSET.iter() {
                let c = char::from(b);
                if c != check {
                    let other = format!("{prefix}{c}");
                    prop_assert_eq!(Uscc::parse(&other).unwrap_err().code(), "uscc_check_digit");
                }
            }
        }

        #[test]
        fn uscc_single_substitution_is_detected(prefix in prefix17(), pos in 0_usize..17, new in charset_char()) {
            // Changing one character of the first 17 always changes the check (weights are
            // non-zero mod 31, a prime).
            let check = uscc_check_char(&prefix).unwrap();
            let mut chars: Vec<char> = prefix.chars().collect();
            prop_assume!(chars[pos] != new);
            prop_assume!(!(2..8).contains(&pos) || new.is_ascii_digit());
            chars[pos] = new;
            let changed: String = chars.into_iter().chain(std::iter::once(check)).collect();
            prop_assert_eq!(Uscc::parse(&changed).unwrap_err().code(), "uscc_check_digit");
        }

        #[test]
        fn fund_id_round_trip(s in "[a-z0-9]([a-z0-9-]{0,46}[a-z0-9])?") {
            let f = FundId::parse(&s).unwrap();
            prop_assert_eq!(f.to_string(), s.clone());
            let json = serde_json::to_string(&f).unwrap();
            prop_assert_eq!(serde_json::from_str::<FundId>(&json).unwrap(), f);
        }

        #[test]
        fn token_id_round_trip(s in "[A-Za-z0-9_-]{1,64}") {
            prop_assert_eq!(AgreementId::parse(&s).unwrap().to_string(), s.clone());
            prop_assert_eq!(SpaceId::parse(&s).unwrap().to_string(), s.clone());
            prop_assert_eq!(IdempotencyKey::parse(&s).unwrap().to_string(), s.clone());
        }

        #[test]
        fn arbitrary_strings_never_panic(s in "\\PC{0,70}") {
            if let Ok(f) = FundId::parse(&s) { prop_assert_eq!(f.as_str(), s.as_str()); }
            if let Ok(a) = AgreementId::parse(&s) { prop_assert_eq!(a.as_str(), s.as_str()); }
            if let Ok(u) = Uscc::parse(&s) { prop_assert_eq!(u.as_str(), s.as_str()); }
            let _ = uscc_check_char(&s);
        }
    }
}
