//! Money: amounts, balances, revenue-share bases and rates, and the one place where
//! rounding happens.
//!
//! No floats anywhere. Every value is a [`Decimal`] with a fixed scale (two fraction
//! digits for money, four for rates) and is written as a canonical decimal string:
//! `"1800.00"`, `"-35.50"`, `"0.1000"`. Parsing is strict: the only spelling accepted
//! is the canonical one, so `parse ∘ display` is the identity and two equal values
//! always hash and sign the same.
//!
//! The four types differ only in their [`DecimalKind`]: number of decimals, sign rule
//! and bound. One function reads all four, and they all refuse with one error type,
//! [`DecimalError`], whose code names the type (`amount_malformed`,
//! `base_too_many_decimals`, `money_negative_zero`, …).
//!
//! Rounding happens in exactly one function, [`round_fen`] (half away from zero to
//! 0.01 yuan, 四舍五入). Everything that turns an exact decimal into money goes
//! through it: [`Money::from_decimal_rounded`], [`share_of`], [`hourly_price`].

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::error::Coded;
use crate::newtype::string_newtype;

/// Largest amount of a single entry: 1,000,000,000.00 yuan (scale 2).
pub const AMOUNT_MAX: Decimal = Decimal::from_parts(0x4876_E800, 0x17, 0, false, 2);

/// Bound on every sum, balance and base: 10^15 yuan, i.e. `1000000000000000.00` (scale 2).
pub const MONEY_MAX: Decimal = Decimal::from_parts(0x5D8A_0000, 0x0163_4578, 0, false, 2);

/// [`AMOUNT_MAX`] in fen.
const AMOUNT_MAX_FEN: i64 = 100_000_000_000;
/// [`MONEY_MAX`] in fen.
const MONEY_MAX_FEN: i64 = 100_000_000_000_000_000;
/// 1.0000 as a rate in ten-thousandths.
const RATE_ONE_BP: i64 = 10_000;

/// Longest excerpt of a rejected input quoted back in an error message.
const QUOTE_MAX_CHARS: usize = 40;

/// Quote (a bounded prefix of) a rejected input for an error message.
fn quote(s: &str) -> String {
    let mut out: String = s.chars().take(QUOTE_MAX_CHARS).collect();
    if s.chars().nth(QUOTE_MAX_CHARS).is_some() {
        out.push('…');
    }
    out
}

// ---------------------------------------------------------------------------------------
// The four kinds of decimal and their one error type.
// ---------------------------------------------------------------------------------------

/// Which of the four decimal types a value or a [`DecimalError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecimalKind {
    /// [`Amount`]: `0.01 ..= 1000000000.00`.
    Amount,
    /// [`Money`]: `±1000000000000000.00`, zero written `0.00`.
    Money,
    /// [`Base`]: `0.00 ..= 1000000000000000.00`.
    Base,
    /// [`Rate`]: `0.0000 ..= 1.0000`.
    Rate,
}

/// Which signs a [`DecimalKind`] accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sign {
    /// Above zero only: zero is [`DecimalFault::NotPositive`] (also `-0.00`), below zero
    /// [`DecimalFault::Negative`].
    Positive,
    /// Zero or above: any leading `-` (even `-0.00`) is [`DecimalFault::Negative`].
    NonNegative,
    /// Either sign, but zero is written without one: `-0.00` is
    /// [`DecimalFault::NegativeZero`].
    Signed,
}

impl DecimalKind {
    /// Fraction digits, exactly.
    fn decimals(self) -> usize {
        match self {
            DecimalKind::Rate => 4,
            DecimalKind::Amount | DecimalKind::Money | DecimalKind::Base => 2,
        }
    }

    /// The largest magnitude, in units of the last decimal.
    fn max_units(self) -> i64 {
        match self {
            DecimalKind::Amount => AMOUNT_MAX_FEN,
            DecimalKind::Money | DecimalKind::Base => MONEY_MAX_FEN,
            DecimalKind::Rate => RATE_ONE_BP,
        }
    }

    fn sign(self) -> Sign {
        match self {
            DecimalKind::Amount => Sign::Positive,
            DecimalKind::Money => Sign::Signed,
            DecimalKind::Base | DecimalKind::Rate => Sign::NonNegative,
        }
    }

    fn name_en(self) -> &'static str {
        match self {
            DecimalKind::Amount => "amount",
            DecimalKind::Money => "money value",
            DecimalKind::Base => "base",
            DecimalKind::Rate => "rate",
        }
    }

    fn name_zh(self) -> &'static str {
        match self {
            DecimalKind::Amount | DecimalKind::Money => "金额",
            DecimalKind::Base => "分成基数",
            DecimalKind::Rate => "比例",
        }
    }

    /// Checks the sign and bound of a value that has the right shape: a leading `-` or
    /// not, and its magnitude in units of the last decimal (`None`: too many digits for
    /// any bound). Gives the signed count of units.
    fn check(self, negative: bool, units: Option<u64>) -> Result<i64, DecimalFault> {
        let zero = units == Some(0);
        match self.sign() {
            Sign::Positive if zero => return Err(DecimalFault::NotPositive),
            Sign::Positive | Sign::NonNegative if negative => return Err(DecimalFault::Negative),
            Sign::Signed if zero && negative => return Err(DecimalFault::NegativeZero),
            _ => {}
        }
        match units.and_then(|u| i64::try_from(u).ok()) {
            Some(u) if u <= self.max_units() => Ok(if negative { -u } else { u }),
            _ => Err(DecimalFault::OverLimit),
        }
    }

    /// Reads the canonical form of a value of this kind: its shape (see [`parse_fixed`]),
    /// then its sign and bound. Gives the signed count of units; allocates only to
    /// refuse.
    fn parse(self, s: &str) -> Result<i64, DecimalError> {
        parse_fixed(s, self.decimals())
            .and_then(|f| self.check(f.negative, f.units))
            .map_err(|fault| DecimalError::new(self, fault, quote(s)))
    }

    /// Checks a whole number of units, naming it in the error as its canonical text.
    fn check_units(self, units: i64) -> Result<i64, DecimalError> {
        self.check(units < 0, Some(units.unsigned_abs()))
            .map_err(|fault| DecimalError::new(self, fault, units_string(units, self.decimals())))
    }
}

/// What is wrong with a value; [`DecimalError`] says for which [`DecimalKind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecimalFault {
    /// Not a plain decimal (`-?(0|[1-9][0-9]*)\.[0-9]+`, ASCII digits only).
    Malformed,
    /// Fewer fraction digits than the kind has (or no point at all).
    TooFewDecimals,
    /// More fraction digits than the kind has.
    TooManyDecimals,
    /// Zero, for an [`Amount`] (which is above zero).
    NotPositive,
    /// Below zero, for a kind that is never negative.
    Negative,
    /// `-0.00`, for [`Money`] (zero is written `0.00`).
    NegativeZero,
    /// Beyond the kind's bound ([`Rate`]: over 1.0000).
    OverLimit,
    /// A price asked for a negative duration ([`hourly_price`]).
    NegativeDuration,
}

/// Why a string, number or computation does not give an [`Amount`], [`Money`], [`Base`]
/// or [`Rate`]: which kind, what fault, and the rejected input (possibly shortened).
///
/// Made only by this module, for the faults each kind's rules refuse: `amount_…`,
/// `money_…`, `base_…` and `rate_…` codes as listed in [`crate::error::FIELD_CODES`],
/// and `duration_negative` from [`hourly_price`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecimalError {
    kind: DecimalKind,
    fault: DecimalFault,
    /// The rejected input or value as text (the seconds for `NegativeDuration`).
    input: String,
}

/// Why a string or number is not an [`Amount`].
pub type AmountError = DecimalError;
/// Why a string, number or computation does not give a [`Money`].
pub type MoneyError = DecimalError;
/// Why a string or number is not a [`Base`].
pub type BaseError = DecimalError;
/// Why a string or number is not a [`Rate`].
pub type RateError = DecimalError;

impl DecimalError {
    fn new(kind: DecimalKind, fault: DecimalFault, input: String) -> DecimalError {
        DecimalError { kind, fault, input }
    }

    /// The type that was being made.
    pub fn kind(&self) -> DecimalKind {
        self.kind
    }

    /// What was wrong.
    pub fn fault(&self) -> DecimalFault {
        self.fault
    }

    /// The rejected input or value, as quoted in the messages (possibly shortened).
    pub fn input(&self) -> &str {
        &self.input
    }

    /// The English and Chinese words after the quoted input, for the faults that quote it.
    fn tail(&self) -> (&'static str, &'static str) {
        use DecimalFault as F;
        use DecimalKind as K;
        match (self.kind, self.fault) {
            (K::Amount | K::Base, F::Malformed) => (
                "is not written like 1800.00 (digits, a point, two digits; no sign, spaces, commas, exponent or leading zeros)",
                "格式不对：应写成 1800.00 这样（数字、小数点、两位小数；不要正负号、空格、逗号、科学计数法或多余的前导零，须用半角数字）",
            ),
            (K::Money, F::Malformed) => (
                "is not written like 1800.00 or -35.50 (optional minus, digits, a point, two digits; no plus sign, spaces, commas, exponent or leading zeros)",
                "格式不对：应写成 1800.00 或 -35.50 这样（可带负号，数字、小数点、两位小数；不要加号、空格、逗号、科学计数法或多余的前导零，须用半角数字）",
            ),
            (K::Rate, F::Malformed) => (
                "is not written like 0.1000 (0 or 1, a point, four digits; no sign, spaces, percent sign or exponent)",
                "格式不对：应写成 0.1000 这样（0 或 1、小数点、四位小数；不要正负号、空格、百分号或科学计数法，须用半角数字）",
            ),
            (K::Rate, F::TooFewDecimals | F::TooManyDecimals) => (
                "must have exactly four decimal places, e.g. 0.1000 for 10%",
                "必须恰好四位小数，如 10% 写作 0.1000",
            ),
            (_, F::TooFewDecimals) => (
                "must have exactly two decimal places, e.g. 1800.00",
                "必须恰好两位小数，如 1800.00",
            ),
            (_, F::TooManyDecimals) => (
                "must have exactly two decimal places (whole fen), e.g. 1800.00",
                "必须恰好两位小数（精确到分），如 1800.00",
            ),
            (K::Amount, F::Negative) => (
                "is negative; amounts are always positive, the kind of entry says which way the money moves",
                "是负数；金额一律写正数，收入还是支出由记录类型决定",
            ),
            (K::Base, F::Negative) => (
                "is negative; a loss is reported as a base of 0.00",
                "是负数；亏损时基数按 0.00 申报",
            ),
            (K::Rate, F::Negative) => (
                "is negative; a rate is between 0.0000 and 1.0000",
                "是负数；比例须在 0.0000 到 1.0000 之间",
            ),
            (K::Amount, F::OverLimit) => (
                "is over the limit of 1000000000.00 per entry",
                "超过单笔上限 1000000000.00 元",
            ),
            (K::Money, F::OverLimit) => (
                "is beyond the bound of ±1000000000000000.00",
                "超出上限 ±1000000000000000.00 元",
            ),
            (K::Base, F::OverLimit) => (
                "is over the bound of 1000000000000000.00",
                "超出上限 1000000000000000.00 元",
            ),
            (K::Rate, F::OverLimit) => (
                "is over 1.0000 (100%); a rate is between 0.0000 and 1.0000",
                "超过 1.0000（100%）；比例须在 0.0000 到 1.0000 之间",
            ),
            // Faults that do not quote the input (see `message_en`), and `Negative` for
            // Money, which no rule makes.
            (_, F::NotPositive | F::NegativeZero | F::NegativeDuration) | (K::Money, F::Negative) => {
                ("is refused", "不被接受")
            }
        }
    }
}

impl Coded for DecimalError {
    fn code(&self) -> &'static str {
        use DecimalFault as F;
        use DecimalKind as K;
        match (self.kind, self.fault) {
            (K::Amount, F::Malformed) => "amount_malformed",
            (K::Amount, F::TooFewDecimals) => "amount_too_few_decimals",
            (K::Amount, F::TooManyDecimals) => "amount_too_many_decimals",
            (K::Amount, F::NotPositive) => "amount_not_positive",
            (K::Amount, F::Negative) => "amount_negative",
            (K::Amount, F::OverLimit) => "amount_over_limit",
            (K::Money, F::Malformed) => "money_malformed",
            (K::Money, F::TooFewDecimals) => "money_too_few_decimals",
            (K::Money, F::TooManyDecimals) => "money_too_many_decimals",
            (K::Money, F::NegativeZero) => "money_negative_zero",
            (K::Money, F::OverLimit) => "money_over_limit",
            (K::Base, F::Malformed) => "base_malformed",
            (K::Base, F::TooFewDecimals) => "base_too_few_decimals",
            (K::Base, F::TooManyDecimals) => "base_too_many_decimals",
            (K::Base, F::Negative) => "base_negative",
            (K::Base, F::OverLimit) => "base_over_limit",
            (K::Rate, F::Malformed) => "rate_malformed",
            (K::Rate, F::TooFewDecimals) => "rate_too_few_decimals",
            (K::Rate, F::TooManyDecimals) => "rate_too_many_decimals",
            (K::Rate, F::Negative) => "rate_negative",
            (K::Rate, F::OverLimit) => "rate_over_one",
            (_, F::NegativeDuration) => "duration_negative",
            // No rule of these kinds refuses so (see `DecimalKind::check`): the errors are
            // never made, and their code would be the kind's generic one.
            (K::Money, F::NotPositive | F::Negative)
            | (K::Amount | K::Base | K::Rate, F::NegativeZero)
            | (K::Base | K::Rate, F::NotPositive) => match self.kind {
                K::Amount => "amount_malformed",
                K::Money => "money_malformed",
                K::Base => "base_malformed",
                K::Rate => "rate_malformed",
            },
        }
    }

    fn message_en(&self) -> String {
        self.to_string()
    }

    fn message_zh(&self) -> String {
        match self.fault {
            DecimalFault::NotPositive => "金额必须大于 0.00".to_string(),
            DecimalFault::NegativeZero => "不允许写 “-0.00”，零请写成 0.00".to_string(),
            DecimalFault::NegativeDuration => {
                format!("时长 {} 秒为负数；计价时长必须是 0 秒或以上", self.input)
            }
            _ => format!("{} “{}” {}", self.kind.name_zh(), self.input, self.tail().1),
        }
    }
}

impl fmt::Display for DecimalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.fault {
            DecimalFault::NotPositive => f.write_str("amount must be greater than 0.00"),
            DecimalFault::NegativeZero => {
                f.write_str("\"-0.00\" is not allowed; write zero as 0.00")
            }
            DecimalFault::NegativeDuration => write!(
                f,
                "a duration of {} seconds is negative; a price needs a duration of 0 seconds or more",
                self.input
            ),
            _ => write!(
                f,
                "{} {:?} {}",
                self.kind.name_en(),
                self.input,
                self.tail().0
            ),
        }
    }
}

impl std::error::Error for DecimalError {}

// ---------------------------------------------------------------------------------------
// The strict fixed-point reader shared by all four types.
// ---------------------------------------------------------------------------------------

/// A syntactically valid fixed-point decimal.
#[derive(Debug, Clone, Copy)]
struct Fixed {
    /// A leading `-` was present.
    negative: bool,
    /// The digits as an integer in units of 10^-decimals; `None` when absurdly large
    /// (more than 18 digits), which every kind refuses as over its bound.
    units: Option<u64>,
}

/// Parse `-?(0|[1-9][0-9]*)\.[0-9]{decimals}` (ASCII only; no `+`, spaces, commas,
/// exponents or leading zeros).
fn parse_fixed(s: &str, decimals: usize) -> Result<Fixed, DecimalFault> {
    let (negative, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int) {
        return Err(DecimalFault::Malformed);
    }
    if int.len() > 1 && int.starts_with('0') {
        return Err(DecimalFault::Malformed);
    }
    let frac = match frac {
        // "1800": digits but no decimal point at all.
        None => return Err(DecimalFault::TooFewDecimals),
        Some(f) if !all_digits(f) => return Err(DecimalFault::Malformed),
        Some(f) => f,
    };
    if frac.len() < decimals {
        return Err(DecimalFault::TooFewDecimals);
    }
    if frac.len() > decimals {
        return Err(DecimalFault::TooManyDecimals);
    }
    // 18 digits in all fit in an i64 and cover every limit of this module (10^15 with
    // two decimals is 18 digits); anything longer is far beyond every limit.
    let units = if int.len() + frac.len() > 18 {
        None
    } else {
        let mut acc: u64 = 0;
        for b in int.bytes().chain(frac.bytes()) {
            acc = acc * 10 + u64::from(b - b'0');
        }
        Some(acc)
    };
    Ok(Fixed { negative, units })
}

/// Write `units` (scaled by 10^decimals) canonically.
fn write_fixed(f: &mut fmt::Formatter<'_>, units: i64, decimals: usize) -> fmt::Result {
    let scale = 10_u64.pow(u32::try_from(decimals).unwrap_or(0));
    let abs = units.unsigned_abs();
    let sign = if units < 0 { "-" } else { "" };
    write!(
        f,
        "{sign}{}.{:0width$}",
        abs / scale,
        abs % scale,
        width = decimals
    )
}

/// The canonical text of a count of units, also for counts out of range (for messages).
fn units_string(units: i64, decimals: usize) -> String {
    struct F(i64, usize);
    impl fmt::Display for F {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write_fixed(f, self.0, self.1)
        }
    }
    F(units, decimals).to_string()
}

/// A scale-2 decimal from a count of fen. Never fails for |fen| ≤ MONEY_MAX_FEN.
fn dec_from_fen(fen: i64) -> Decimal {
    Decimal::new(fen, 2)
}

/// Fen of a decimal known to have scale 2 and |value| ≤ MONEY_MAX.
fn fen_of(d: Decimal) -> i64 {
    // The invariant of every type here: scale exactly 2 and a mantissa within ±10^17.
    i64::try_from(d.mantissa()).unwrap_or(0)
}

/// The canonical scale-2 form of an already-rounded decimal (no negative zero).
fn canonical2(mut d: Decimal) -> Decimal {
    d.rescale(2);
    if d.is_zero() {
        d.set_sign_positive(true);
    }
    d
}

// ---------------------------------------------------------------------------------------
// The one rounding place.
// ---------------------------------------------------------------------------------------

/// Round to the fen (0.01 yuan), half away from zero (四舍五入): 0.125 → 0.13,
/// −0.125 → −0.13, 0.124 → 0.12.
///
/// This is the only rounding in the ledger. The result has scale 2 (when representable)
/// and is never negative zero.
pub fn round_fen(x: Decimal) -> Decimal {
    canonical2(x.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero))
}

// ---------------------------------------------------------------------------------------
// Amount
// ---------------------------------------------------------------------------------------

/// A positive amount of CNY in a single entry: `0.01 ≤ a ≤ 1000000000.00`, written with
/// exactly two decimals (`"1800.00"`).
///
/// Grammar: `^(0|[1-9][0-9]*)\.[0-9]{2}$`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Amount(Decimal);

impl Amount {
    /// The largest amount, [`AMOUNT_MAX`].
    pub const MAX: Amount = Amount(AMOUNT_MAX);

    /// Parse the canonical form, e.g. `"1800.00"`.
    pub fn parse(s: &str) -> Result<Amount, AmountError> {
        DecimalKind::Amount
            .parse(s)
            .map(|fen| Amount(dec_from_fen(fen)))
    }

    /// Build from a whole number of fen (1 yuan = 100 fen).
    pub fn from_fen(fen: i64) -> Result<Amount, AmountError> {
        DecimalKind::Amount
            .check_units(fen)
            .map(|fen| Amount(dec_from_fen(fen)))
    }

    /// The value as a [`Decimal`] with scale 2.
    pub fn as_decimal(&self) -> Decimal {
        self.0
    }

    /// The value in fen (1 ≤ fen ≤ 100,000,000,000).
    pub fn to_fen(&self) -> i64 {
        fen_of(self.0)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_fixed(f, self.to_fen(), 2)
    }
}
string_newtype!(Amount, AmountError);

// ---------------------------------------------------------------------------------------
// Money
// ---------------------------------------------------------------------------------------

/// A signed sum of CNY for balances and statement figures: `|m| ≤ 10^15`, exactly two
/// decimals (`"-35.50"`, `"0.00"`; `"-0.00"` is refused).
///
/// Grammar: `^-?(0|[1-9][0-9]*)\.[0-9]{2}$`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Money(Decimal);

impl Money {
    /// 0.00.
    pub const ZERO: Money = Money(Decimal::from_parts(0, 0, 0, false, 2));
    /// The largest value, [`MONEY_MAX`].
    pub const MAX: Money = Money(MONEY_MAX);
    /// The smallest value, −[`MONEY_MAX`].
    pub const MIN: Money = Money(Decimal::from_parts(0x5D8A_0000, 0x0163_4578, 0, true, 2));

    /// Parse the canonical form, e.g. `"-35.50"`.
    pub fn parse(s: &str) -> Result<Money, MoneyError> {
        DecimalKind::Money
            .parse(s)
            .map(|fen| Money(dec_from_fen(fen)))
    }

    /// Build from a whole number of fen; |fen| ≤ 10^17.
    pub fn from_fen(fen: i64) -> Result<Money, MoneyError> {
        DecimalKind::Money
            .check_units(fen)
            .map(|fen| Money(dec_from_fen(fen)))
    }

    /// Round an exact decimal to the fen with [`round_fen`] (half away from zero) and
    /// check the bound. `-0.004` gives `0.00`, never `-0.00`.
    pub fn from_decimal_rounded(x: Decimal) -> Result<Money, MoneyError> {
        let r = round_fen(x);
        if r.abs() > MONEY_MAX {
            return Err(DecimalError::new(
                DecimalKind::Money,
                DecimalFault::OverLimit,
                quote(&r.to_string()),
            ));
        }
        Ok(Money(canonical2(r)))
    }

    /// The value as a [`Decimal`] with scale 2.
    pub fn as_decimal(&self) -> Decimal {
        self.0
    }

    /// The value in fen.
    pub fn to_fen(&self) -> i64 {
        fen_of(self.0)
    }

    /// True when strictly below zero.
    pub fn is_negative(&self) -> bool {
        self.to_fen() < 0
    }

    /// True when 0.00.
    pub fn is_zero(&self) -> bool {
        self.to_fen() == 0
    }

    /// `self + other`, or `None` beyond ±[`MONEY_MAX`]. Never panics.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        let fen = self.to_fen().checked_add(other.to_fen())?;
        Money::from_fen(fen).ok()
    }

    /// `self − other`, or `None` beyond ±[`MONEY_MAX`]. Never panics.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        let fen = self.to_fen().checked_sub(other.to_fen())?;
        Money::from_fen(fen).ok()
    }

    /// `−self`. Always succeeds for a valid `Money` (the range is symmetric); the
    /// `Option` keeps the signature uniform with the other checked operations.
    pub fn checked_neg(self) -> Option<Money> {
        let fen = self.to_fen().checked_neg()?;
        Money::from_fen(fen).ok()
    }
}

impl Default for Money {
    /// 0.00.
    fn default() -> Self {
        Money::ZERO
    }
}

impl From<Amount> for Money {
    fn from(a: Amount) -> Money {
        Money(a.0)
    }
}

impl From<Base> for Money {
    fn from(b: Base) -> Money {
        Money(b.0)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_fixed(f, self.to_fen(), 2)
    }
}
string_newtype!(Money, MoneyError);

// ---------------------------------------------------------------------------------------
// Base
// ---------------------------------------------------------------------------------------

/// A revenue-share base: `0.00 ≤ b ≤ 10^15`, exactly two decimals. A loss is reported as
/// a base of `0.00` (see [`Base::from_money_clamped`]).
///
/// Grammar: `^(0|[1-9][0-9]*)\.[0-9]{2}$`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Base(Decimal);

impl Base {
    /// 0.00.
    pub const ZERO: Base = Base(Decimal::from_parts(0, 0, 0, false, 2));
    /// The largest base, [`MONEY_MAX`].
    pub const MAX: Base = Base(MONEY_MAX);

    /// Parse the canonical form, e.g. `"52000.00"`.
    pub fn parse(s: &str) -> Result<Base, BaseError> {
        DecimalKind::Base
            .parse(s)
            .map(|fen| Base(dec_from_fen(fen)))
    }

    /// Build from a whole number of fen; 0 ≤ fen ≤ 10^17.
    pub fn from_fen(fen: i64) -> Result<Base, BaseError> {
        DecimalKind::Base
            .check_units(fen)
            .map(|fen| Base(dec_from_fen(fen)))
    }

    /// The base of a result that may be a loss: negative money gives 0.00.
    pub fn from_money_clamped(m: Money) -> Base {
        if m.is_negative() {
            Base::ZERO
        } else {
            Base(m.0)
        }
    }

    /// The value as a [`Decimal`] with scale 2.
    pub fn as_decimal(&self) -> Decimal {
        self.0
    }

    /// The value in fen.
    pub fn to_fen(&self) -> i64 {
        fen_of(self.0)
    }
}

impl fmt::Display for Base {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_fixed(f, self.to_fen(), 2)
    }
}
string_newtype!(Base, BaseError);

// ---------------------------------------------------------------------------------------
// Rate
// ---------------------------------------------------------------------------------------

/// A rate (share) between `0.0000` and `1.0000` inclusive, exactly four decimals
/// (`"0.1000"` is 10 %).
///
/// Grammar: `^(0|1)\.[0-9]{4}$`, value ≤ 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rate(Decimal);

impl Rate {
    /// 0.0000.
    pub const ZERO: Rate = Rate(Decimal::from_parts(0, 0, 0, false, 4));
    /// 1.0000.
    pub const ONE: Rate = Rate(Decimal::from_parts(10_000, 0, 0, false, 4));

    /// Parse the canonical form, e.g. `"0.1000"`.
    pub fn parse(s: &str) -> Result<Rate, RateError> {
        DecimalKind::Rate
            .parse(s)
            .map(|bp| Rate(Decimal::new(bp, 4)))
    }

    /// Build from ten-thousandths (basis points): 0 ≤ bp ≤ 10 000.
    pub fn from_basis_points(bp: u32) -> Result<Rate, RateError> {
        DecimalKind::Rate
            .check_units(i64::from(bp))
            .map(|bp| Rate(Decimal::new(bp, 4)))
    }

    /// The value in ten-thousandths (0 ≤ bp ≤ 10 000).
    pub fn to_basis_points(&self) -> u32 {
        u32::try_from(self.0.mantissa()).unwrap_or(0)
    }

    /// The value as a [`Decimal`] with scale 4.
    pub fn as_decimal(&self) -> Decimal {
        self.0
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_fixed(f, i64::from(self.to_basis_points()), 4)
    }
}
string_newtype!(Rate, RateError);

// ---------------------------------------------------------------------------------------
// Helpers built on the one rounding place.
// ---------------------------------------------------------------------------------------

/// `base × rate`, rounded once to the fen (half away from zero). Never fails: the result
/// lies between 0.00 and the base.
pub fn share_of(base: Base, rate: Rate) -> Money {
    // base ≤ 10^15 (scale 2) and rate ≤ 1 (scale 4): the exact product has scale 6 and a
    // mantissa ≤ 10^21, far inside Decimal's 96 bits, so `checked_mul` cannot fail; and
    // 0 ≤ product ≤ base ≤ MONEY_MAX, so the bound check cannot fail either.
    base.0
        .checked_mul(rate.0)
        .and_then(|p| Money::from_decimal_rounded(p).ok())
        .unwrap_or(Money::ZERO)
}

/// The price of `seconds` at `rate_per_hour`: `rate × seconds / 3600`, computed exactly
/// and rounded once to the fen (half away from zero).
///
/// Fails for a negative duration or a price beyond [`MONEY_MAX`].
pub fn hourly_price(rate_per_hour: Amount, seconds: i64) -> Result<Money, MoneyError> {
    if seconds < 0 {
        return Err(DecimalError::new(
            DecimalKind::Money,
            DecimalFault::NegativeDuration,
            seconds.to_string(),
        ));
    }
    let over = || {
        DecimalError::new(
            DecimalKind::Money,
            DecimalFault::OverLimit,
            format!("{rate_per_hour} × {seconds} s / 3600"),
        )
    };
    // rate ≤ 10^9 and seconds < 2^63 ≈ 9.2·10^18: the product may exceed Decimal's range,
    // in which case the price is over the limit anyway.
    let product = rate_per_hour
        .0
        .checked_mul(Decimal::from(seconds))
        .ok_or_else(over)?;
    // product / 3600 is rounded by Decimal to 28 significant digits. For any quotient
    // within MONEY_MAX (≤ 10^17 fen) that error is below 10^-10 fen, while a quotient
    // that is not exactly on a half-fen lies at least 1/7200 fen away from it; so the
    // final rounding to the fen is the same as for the exact rational.
    let exact = product
        .checked_div(Decimal::from(3600_i64))
        .ok_or_else(over)?;
    if exact.abs() > MONEY_MAX {
        return Err(over());
    }
    Money::from_decimal_rounded(exact)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn constants() {
        assert_eq!(AMOUNT_MAX, dec("1000000000.00"));
        assert_eq!(AMOUNT_MAX.scale(), 2);
        assert_eq!(MONEY_MAX, dec("1000000000000000.00"));
        assert_eq!(MONEY_MAX.scale(), 2);
        assert_eq!(Amount::MAX.to_string(), "1000000000.00");
        assert_eq!(Money::MAX.to_string(), "1000000000000000.00");
        assert_eq!(Money::MIN.to_string(), "-1000000000000000.00");
        assert_eq!(Money::ZERO.to_string(), "0.00");
        assert_eq!(Base::ZERO.to_string(), "0.00");
        assert_eq!(Base::MAX.to_string(), "1000000000000000.00");
        assert_eq!(Rate::ZERO.to_string(), "0.0000");
        assert_eq!(Rate::ONE.to_string(), "1.0000");
        assert_eq!(Money::ZERO, Money::from_fen(0).unwrap());
        assert_eq!(Money::MIN, Money::from_fen(-MONEY_MAX_FEN).unwrap());
        assert_eq!(Rate::ONE, Rate::parse("1.0000").unwrap());
    }

    #[test]
    fn amount_accepts_canonical() {
        for s in ["0.01", "1.00", "1800.00", "99.99", "1000000000.00", "10.50"] {
            let a = Amount::parse(s).unwrap();
            assert_eq!(a.to_string(), s);
            assert_eq!(a.as_decimal().scale(), 2);
        }
        assert_eq!(Amount::parse("1800.00").unwrap().to_fen(), 180_000);
    }

    fn amount_code(s: &str) -> &'static str {
        Amount::parse(s).unwrap_err().code()
    }

    #[test]
    fn amount_refusals_have_distinct_codes() {
        assert_eq!(amount_code("0.00"), "amount_not_positive");
        assert_eq!(amount_code("-0.00"), "amount_not_positive");
        assert_eq!(amount_code("-5.00"), "amount_negative");
        assert_eq!(amount_code("1000000000.01"), "amount_over_limit");
        assert_eq!(
            amount_code("99999999999999999999999999999.00"),
            "amount_over_limit"
        );
        assert_eq!(amount_code("1.0"), "amount_too_few_decimals");
        assert_eq!(amount_code("1800"), "amount_too_few_decimals");
        assert_eq!(amount_code("1.000"), "amount_too_many_decimals");
        assert_eq!(amount_code("1.005"), "amount_too_many_decimals");
        for bad in [
            "",
            "01.00",
            "00.00",
            "+1.00",
            " 1.00",
            "1.00 ",
            "1e3",
            "1.0E2",
            "1E2.00",
            "1,000.00",
            "１.００",
            "1.００",
            "１８００.00",
            ".50",
            "1.",
            "-",
            "-.50",
            "--1.00",
            "1..00",
            "1.0a",
            "NaN",
            "inf",
            "1_000.00",
            "0x10.00",
            "1.-0",
        ] {
            assert_eq!(amount_code(bad), "amount_malformed", "{bad:?}");
        }
    }

    #[test]
    fn amount_messages_are_bilingual() {
        let e = Amount::parse("1800.5").unwrap_err();
        assert_eq!(e.code(), "amount_too_few_decimals");
        assert!(e.message_zh().contains("必须恰好两位小数，如 1800.00"));
        assert!(e.message_en().contains("exactly two decimal places"));
        let e = Amount::parse("1800.505").unwrap_err();
        assert!(e.message_zh().contains("必须恰好两位小数"));
        assert!(Amount::parse("0.00")
            .unwrap_err()
            .message_zh()
            .contains("大于 0.00"));
        // Long garbage is quoted back only in part.
        let long = "9".repeat(500);
        assert!(Amount::parse(&long).unwrap_err().message_en().len() < 300);
    }

    #[test]
    fn amount_from_fen() {
        assert_eq!(Amount::from_fen(1).unwrap().to_string(), "0.01");
        assert_eq!(Amount::from_fen(180_000).unwrap().to_string(), "1800.00");
        assert_eq!(
            Amount::from_fen(0).unwrap_err().code(),
            "amount_not_positive"
        );
        assert_eq!(Amount::from_fen(-1).unwrap_err().code(), "amount_negative");
        assert_eq!(
            Amount::from_fen(AMOUNT_MAX_FEN + 1).unwrap_err().code(),
            "amount_over_limit"
        );
        assert_eq!(Amount::from_fen(AMOUNT_MAX_FEN).unwrap(), Amount::MAX);
        assert_eq!(
            Amount::from_fen(i64::MIN).unwrap_err().code(),
            "amount_negative"
        );
    }

    #[test]
    fn money_parse() {
        for s in [
            "0.00",
            "-0.01",
            "-35.50",
            "1800.00",
            "1000000000000000.00",
            "-1000000000000000.00",
        ] {
            assert_eq!(Money::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(
            Money::parse("-0.00").unwrap_err().code(),
            "money_negative_zero"
        );
        assert_eq!(
            Money::parse("1000000000000000.01").unwrap_err().code(),
            "money_over_limit"
        );
        assert_eq!(
            Money::parse("-1000000000000000.01").unwrap_err().code(),
            "money_over_limit"
        );
        assert_eq!(
            Money::parse("1.0").unwrap_err().code(),
            "money_too_few_decimals"
        );
        assert_eq!(
            Money::parse("-1.000").unwrap_err().code(),
            "money_too_many_decimals"
        );
        for bad in [
            "+1.00", "- 1.00", "-01.00", "1e3", "1,000.00", "１.00", " 0.00",
        ] {
            assert_eq!(
                Money::parse(bad).unwrap_err().code(),
                "money_malformed",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn money_arithmetic() {
        let a = Money::parse("100.10").unwrap();
        let b = Money::parse("200.25").unwrap();
        assert_eq!(a.checked_add(b).unwrap().to_string(), "300.35");
        assert_eq!(a.checked_sub(b).unwrap().to_string(), "-100.15");
        assert!(a.checked_sub(b).unwrap().is_negative());
        assert_eq!(a.checked_sub(a).unwrap().to_string(), "0.00");
        assert_eq!(Money::ZERO.checked_neg().unwrap().to_string(), "0.00");
        assert_eq!(Money::MAX.checked_add(Money::from_fen(1).unwrap()), None);
        assert_eq!(Money::MIN.checked_sub(Money::from_fen(1).unwrap()), None);
        assert_eq!(Money::MAX.checked_neg(), Some(Money::MIN));
        assert_eq!(Money::MAX.checked_sub(Money::MIN), None);
        assert!(Money::MIN < Money::ZERO && Money::ZERO < Money::MAX);
        assert_eq!(
            Money::from(Amount::parse("12.34").unwrap()).to_string(),
            "12.34"
        );
    }

    #[test]
    fn base_parse() {
        assert_eq!(Base::parse("0.00").unwrap(), Base::ZERO);
        assert_eq!(Base::parse("52000.00").unwrap().to_string(), "52000.00");
        assert_eq!(Base::parse("-1.00").unwrap_err().code(), "base_negative");
        assert_eq!(Base::parse("-0.00").unwrap_err().code(), "base_negative");
        assert_eq!(
            Base::parse("1000000000000000.01").unwrap_err().code(),
            "base_over_limit"
        );
        assert_eq!(
            Base::parse("1.0").unwrap_err().code(),
            "base_too_few_decimals"
        );
        assert_eq!(
            Base::parse("1.000").unwrap_err().code(),
            "base_too_many_decimals"
        );
        assert_eq!(Base::parse("01.00").unwrap_err().code(), "base_malformed");
        assert_eq!(
            Base::from_money_clamped(Money::parse("-5.00").unwrap()),
            Base::ZERO
        );
        assert_eq!(
            Base::from_money_clamped(Money::parse("5.00").unwrap()).to_string(),
            "5.00"
        );
        assert_eq!(Base::from_fen(-1).unwrap_err().code(), "base_negative");
        assert_eq!(
            Base::from_fen(MONEY_MAX_FEN + 1).unwrap_err().code(),
            "base_over_limit"
        );
    }

    #[test]
    fn rate_parse() {
        for s in ["0.0000", "0.1000", "0.0001", "0.9999", "1.0000"] {
            assert_eq!(Rate::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(Rate::parse("1.0001").unwrap_err().code(), "rate_over_one");
        assert_eq!(Rate::parse("2.0000").unwrap_err().code(), "rate_over_one");
        assert_eq!(Rate::parse("10.0000").unwrap_err().code(), "rate_over_one");
        assert_eq!(Rate::parse("-0.1000").unwrap_err().code(), "rate_negative");
        assert_eq!(Rate::parse("-0.0000").unwrap_err().code(), "rate_negative");
        assert_eq!(
            Rate::parse("0.1").unwrap_err().code(),
            "rate_too_few_decimals"
        );
        assert_eq!(
            Rate::parse("0.10").unwrap_err().code(),
            "rate_too_few_decimals"
        );
        assert_eq!(
            Rate::parse("0.10000").unwrap_err().code(),
            "rate_too_many_decimals"
        );
        for bad in [
            "10%", ".1000", "00.1000", "+0.1000", "1e-1", " 0.1000", "０.1000",
        ] {
            assert_eq!(
                Rate::parse(bad).unwrap_err().code(),
                "rate_malformed",
                "{bad:?}"
            );
        }
        assert!(Rate::parse("0.0500").unwrap() < Rate::parse("0.1000").unwrap());
        assert_eq!(Rate::parse("0.1000").unwrap().as_decimal(), dec("0.1"));
        assert_eq!(Rate::from_basis_points(1000).unwrap().to_string(), "0.1000");
        assert_eq!(
            Rate::from_basis_points(10_001).unwrap_err().code(),
            "rate_over_one"
        );
    }

    #[test]
    fn rounding_half_away_from_zero() {
        assert_eq!(round_fen(dec("0.125")).to_string(), "0.13");
        assert_eq!(round_fen(dec("-0.125")).to_string(), "-0.13");
        assert_eq!(round_fen(dec("0.124999")).to_string(), "0.12");
        assert_eq!(round_fen(dec("2.675")).to_string(), "2.68");
        assert_eq!(round_fen(dec("-2.675")).to_string(), "-2.68");
        assert_eq!(round_fen(dec("1")).to_string(), "1.00");
        assert_eq!(round_fen(dec("-0.004")).to_string(), "0.00");
        assert_eq!(round_fen(dec("0.005")).to_string(), "0.01");
        assert_eq!(round_fen(dec("-0.005")).to_string(), "-0.01");
        let z = Money::from_decimal_rounded(dec("-0.004")).unwrap();
        assert_eq!(z, Money::ZERO);
        assert_eq!(z.to_string(), "0.00");
        assert_eq!(
            Money::from_decimal_rounded(dec("1000000000000000.004"))
                .unwrap()
                .to_string(),
            "1000000000000000.00"
        );
        assert_eq!(
            Money::from_decimal_rounded(dec("1000000000000000.005"))
                .unwrap_err()
                .code(),
            "money_over_limit"
        );
        assert!(Money::from_decimal_rounded(Decimal::MAX).is_err());
        assert!(Money::from_decimal_rounded(Decimal::MIN).is_err());
    }

    #[test]
    fn share_of_rounds_once() {
        let r = Rate::parse("0.1000").unwrap();
        assert_eq!(
            share_of(Base::parse("1234.55").unwrap(), r).to_string(),
            "123.46"
        );
        assert_eq!(
            share_of(Base::parse("1234.54").unwrap(), r).to_string(),
            "123.45"
        );
        assert_eq!(share_of(Base::ZERO, r), Money::ZERO);
        assert_eq!(
            share_of(Base::MAX, Rate::ONE).to_string(),
            "1000000000000000.00"
        );
        assert_eq!(
            share_of(Base::parse("0.05").unwrap(), Rate::parse("0.0500").unwrap()).to_string(),
            "0.00"
        );
        assert_eq!(
            share_of(Base::parse("0.10").unwrap(), Rate::parse("0.0500").unwrap()).to_string(),
            "0.01"
        );
    }

    #[test]
    fn hourly_price_exact() {
        let rate = Amount::parse("100.00").unwrap();
        assert_eq!(hourly_price(rate, 3600).unwrap().to_string(), "100.00");
        assert_eq!(hourly_price(rate, 5400).unwrap().to_string(), "150.00");
        assert_eq!(hourly_price(rate, 0).unwrap(), Money::ZERO);
        // 100/3600 per second: 1 s = 0.02777… → 0.03.
        assert_eq!(hourly_price(rate, 1).unwrap().to_string(), "0.03");
        // 10 × 1 / 3600 … 0.00277 → 0.00; 18 s of 1.00/h = 0.005 exactly → 0.01.
        let one = Amount::parse("1.00").unwrap();
        assert_eq!(hourly_price(one, 18).unwrap().to_string(), "0.01");
        assert_eq!(hourly_price(one, 17).unwrap().to_string(), "0.00");
        // 33.33/h for 20 minutes = 11.11 exactly.
        let r = Amount::parse("33.33").unwrap();
        assert_eq!(hourly_price(r, 1200).unwrap().to_string(), "11.11");
        assert_eq!(hourly_price(r, -1).unwrap_err().code(), "duration_negative");
        assert_eq!(
            hourly_price(Amount::MAX, i64::MAX).unwrap_err().code(),
            "money_over_limit"
        );
        // 10^9/h for 3.6·10^9 s = 10^15: exactly the bound.
        assert_eq!(
            hourly_price(Amount::MAX, 3_600_000_000).unwrap(),
            Money::MAX
        );
        assert_eq!(
            hourly_price(Amount::MAX, 3_600_000_001).unwrap_err().code(),
            "money_over_limit"
        );
    }

    #[test]
    fn serde_as_canonical_strings() {
        let a: Amount = serde_json::from_str("\"1800.00\"").unwrap();
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"1800.00\"");
        let e = serde_json::from_str::<Amount>("\"1800.5\"").unwrap_err();
        assert!(e.to_string().contains("exactly two decimal places"), "{e}");
        assert!(serde_json::from_str::<Amount>("1800.00").is_err());
        assert!(serde_json::from_str::<Amount>("\"0.00\"").is_err());
        let m: Money = serde_json::from_str("\"-35.50\"").unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"-35.50\"");
        assert!(serde_json::from_str::<Money>("\"-0.00\"").is_err());
        let b: Base = serde_json::from_str("\"0.00\"").unwrap();
        assert_eq!(serde_json::to_string(&b).unwrap(), "\"0.00\"");
        assert!(serde_json::from_str::<Base>("\"-1.00\"").is_err());
        let r: Rate = serde_json::from_str("\"0.1000\"").unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"0.1000\"");
        assert!(serde_json::from_str::<Rate>("0.1").is_err());
        assert!(serde_json::from_str::<Rate>("\"0.1\"").is_err());
    }

    // A reference for rounding: i128 integer arithmetic on fen, half away from zero.
    fn div_round_half_away(n: i128, d: i128) -> i128 {
        let q = n / d;
        let r = n % d;
        if 2 * r.abs() >= d {
            q + n.signum()
        } else {
            q
        }
    }

    proptest! {
        #[test]
        fn amount_display_parse_round_trip(fen in 1..=AMOUNT_MAX_FEN) {
            let a = Amount::from_fen(fen).unwrap();
            let s = a.to_string();
            prop_assert_eq!(Amount::parse(&s).unwrap(), a);
            prop_assert_eq!(a.to_fen(), fen);
            prop_assert_eq!(a.as_decimal(), Decimal::new(fen, 2));
            let json = serde_json::to_string(&a).unwrap();
            prop_assert_eq!(serde_json::from_str::<Amount>(&json).unwrap(), a);
        }

        #[test]
        fn money_display_parse_round_trip(fen in -MONEY_MAX_FEN..=MONEY_MAX_FEN) {
            let m = Money::from_fen(fen).unwrap();
            let s = m.to_string();
            prop_assert_eq!(Money::parse(&s).unwrap(), m);
            prop_assert_eq!(m.to_fen(), fen);
            prop_assert_eq!(Decimal::from_str(&s).unwrap(), m.as_decimal());
        }

        #[test]
        fn base_and_rate_round_trip(fen in 0..=MONEY_MAX_FEN, bp in 0_u32..=10_000) {
            let b = Base::from_fen(fen).unwrap();
            prop_assert_eq!(Base::parse(&b.to_string()).unwrap(), b);
            prop_assert_eq!(b.to_fen(), fen);
            let r = Rate::from_basis_points(bp).unwrap();
            prop_assert_eq!(Rate::parse(&r.to_string()).unwrap(), r);
            prop_assert_eq!(r.to_basis_points(), bp);
        }

        #[test]
        fn parse_display_round_trip_strings(s in "-?(0|[1-9][0-9]{0,15})\\.[0-9]{2}") {
            match Money::parse(&s) {
                Ok(m) => prop_assert_eq!(m.to_string(), s),
                Err(e) => prop_assert!(
                    s == "-0.00" || e.code() == "money_over_limit",
                    "{} refused: {}", s, e
                ),
            }
        }

        #[test]
        fn from_fen_any_i64_never_panics(fen in any::<i64>()) {
            let _ = Amount::from_fen(fen);
            let _ = Base::from_fen(fen);
            if let Ok(m) = Money::from_fen(fen) {
                prop_assert_eq!(m.to_fen(), fen);
            } else {
                prop_assert!(fen.unsigned_abs() > MONEY_MAX_FEN.unsigned_abs());
            }
        }

        #[test]
        fn checked_arithmetic_never_panics(
            a in prop_oneof![
                Just(-MONEY_MAX_FEN), Just(MONEY_MAX_FEN), Just(0_i64), Just(1), Just(-1),
                -MONEY_MAX_FEN..=MONEY_MAX_FEN
            ],
            b in prop_oneof![
                Just(-MONEY_MAX_FEN), Just(MONEY_MAX_FEN), Just(0_i64), Just(1), Just(-1),
                -MONEY_MAX_FEN..=MONEY_MAX_FEN
            ],
        ) {
            let (ma, mb) = (Money::from_fen(a).unwrap(), Money::from_fen(b).unwrap());
            let sum = ma.checked_add(mb);
            let diff = ma.checked_sub(mb);
            let exact_sum = i128::from(a) + i128::from(b);
            let exact_diff = i128::from(a) - i128::from(b);
            let bound = i128::from(MONEY_MAX_FEN);
            prop_assert_eq!(sum.map(|m| i128::from(m.to_fen())),
                if exact_sum.abs() <= bound { Some(exact_sum) } else { None });
            prop_assert_eq!(diff.map(|m| i128::from(m.to_fen())),
                if exact_diff.abs() <= bound { Some(exact_diff) } else { None });
            prop_assert_eq!(ma.checked_neg().map(|m| m.to_fen()), Some(-a));
            prop_assert_eq!(ma.cmp(&mb), a.cmp(&b));
            if let Some(s) = sum {
                prop_assert_ne!(s.to_string(), "-0.00");
            }
        }

        #[test]
        fn rounding_matches_integer_reference(n in -10_i64.pow(15)..10_i64.pow(15)) {
            // n thousandths of a yuan: .xx5 cases are frequent.
            let x = Decimal::new(n, 3);
            let expected = div_round_half_away(i128::from(n), 10);
            let m = Money::from_decimal_rounded(x).unwrap();
            prop_assert_eq!(i128::from(m.to_fen()), expected);
            prop_assert_eq!(round_fen(x), Decimal::new(i64::try_from(expected).unwrap(), 2));
        }

        #[test]
        fn rounding_at_half_fen_goes_away_from_zero(fen in 0_i64..10_i64.pow(15), neg in any::<bool>()) {
            let sign = if neg { -1 } else { 1 };
            let x = Decimal::new(sign * (fen * 10 + 5), 3);
            let m = Money::from_decimal_rounded(x).unwrap();
            prop_assert_eq!(m.to_fen(), sign * (fen + 1));
        }

        #[test]
        fn hourly_price_matches_integer_reference(
            fen in 1..=AMOUNT_MAX_FEN,
            seconds in prop_oneof![0_i64..=86_400 * 400, 0_i64..=3_600_000, 0_i64..=10_i64.pow(13)],
        ) {
            let rate = Amount::from_fen(fen).unwrap();
            let exact = div_round_half_away(i128::from(fen) * i128::from(seconds), 3600);
            match hourly_price(rate, seconds) {
                Ok(m) => prop_assert_eq!(i128::from(m.to_fen()), exact),
                Err(e) => {
                    prop_assert_eq!(e.code(), "money_over_limit");
                    prop_assert!(exact > i128::from(MONEY_MAX_FEN));
                }
            }
        }

        #[test]
        fn share_of_matches_integer_reference(fen in 0..=MONEY_MAX_FEN, bp in 0_u32..=10_000) {
            let m = share_of(Base::from_fen(fen).unwrap(), Rate::from_basis_points(bp).unwrap());
            let exact = div_round_half_away(i128::from(fen) * i128::from(bp), 10_000);
            prop_assert_eq!(i128::from(m.to_fen()), exact);
        }

        #[test]
        fn wrong_decimals_refused(int in 0_u64..1_000_000, frac in "[0-9]{0,1}|[0-9]{3,6}") {
            let s = format!("{int}.{frac}");
            let code = Amount::parse(&s).unwrap_err().code();
            if frac.len() < 2 {
                prop_assert!(code == "amount_too_few_decimals" || code == "amount_malformed");
            } else {
                prop_assert_eq!(code, "amount_too_many_decimals");
            }
            prop_assert!(Money::parse(&s).is_err());
            prop_assert!(Base::parse(&s).is_err());
        }

        #[test]
        fn decorated_strings_refused(
            fen in 1..=AMOUNT_MAX_FEN,
            decoration in 0_usize..8,
        ) {
            let canonical = Amount::from_fen(fen).unwrap().to_string();
            let s = match decoration {
                0 => format!("+{canonical}"),
                1 => format!(" {canonical}"),
                2 => format!("{canonical} "),
                3 => format!("0{canonical}"),
                4 => canonical.replace('.', ","),
                5 => format!("{canonical}e0"),
                6 => canonical.chars().map(|c| if c.is_ascii_digit() {
                        char::from_u32(u32::from(c) - u32::from('0') + 0xFF10).unwrap()
                    } else { c }).collect(),
                _ => format!("{}E2", canonical),
            };
            prop_assert_eq!(Amount::parse(&s).unwrap_err().code(), "amount_malformed");
            prop_assert!(Money::parse(&s).is_err());
        }

        #[test]
        fn arbitrary_strings_never_panic(s in "\\PC{0,30}") {
            if let Ok(a) = Amount::parse(&s) { prop_assert_eq!(a.to_string(), s.clone()); }
            if let Ok(m) = Money::parse(&s) { prop_assert_eq!(m.to_string(), s.clone()); }
            if let Ok(b) = Base::parse(&s) { prop_assert_eq!(b.to_string(), s.clone()); }
            if let Ok(r) = Rate::parse(&s) { prop_assert_eq!(r.to_string(), s.clone()); }
        }
    }
}
