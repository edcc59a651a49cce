//! The core's value types (ids, texts, money, dates and times) as their string forms.
//!
//! - `bad_inputs_keep_their_codes`: a table of refused inputs and the code each gives.
//! - `refusals_match_the_golden_file`: for the same table (and the checked constructors
//!   and non-string JSON), the code, both messages and the serde errors, byte for byte,
//!   against `tests/value_types.golden` — recorded on the code before the value types
//!   were unified, so a refactoring that changes what a person or client sees fails here.
//!   One deliberate change since: `Instant` was the one type whose parser's error was
//!   made inside the deserializer, so serde_json gave it a position where a `try_from`
//!   field has none (a whole document) or another one (after the `]` of a list); now
//!   every type's errors are those of `#[serde(try_from = "String")]`.
//!   After a deliberate change, rewrite the file with `UPDATE_GOLDEN=1 cargo test -p
//!   ledger-core --test value_types` and review its diff.
//! - the property tests: for every type, `parse(x.to_string()) == x`, the other
//!   conversions agree with `parse`, and serde goes through JSON as that same string.

use std::fmt::{Debug, Display};
use std::str::FromStr;

use ledger_core::error::Coded;
use ledger_core::ids::{AgreementId, FundId, IdempotencyKey, SpaceId, Uscc};
use ledger_core::money::{hourly_price, Amount, Base, Money, Rate};
use ledger_core::text::{LongText, ShortText};
use ledger_core::time::{Date, Instant, LocalTime, UtcOffset};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// `(type, input, code)`: every input is refused by the type's `parse` with that code.
const BAD: &[(&str, &str, &str)] = &[
    ("FundId", "", "fund_id_empty"),
    (
        "FundId",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "fund_id_too_long",
    ),
    ("FundId", "Xipu", "fund_id_bad_char"),
    ("FundId", "xipu_street", "fund_id_bad_char"),
    ("FundId", "xipu street", "fund_id_bad_char"),
    ("FundId", "西浦", "fund_id_bad_char"),
    ("FundId", "-xipu", "fund_id_bad_edge"),
    ("FundId", "xipu-", "fund_id_bad_edge"),
    ("FundId", "-", "fund_id_bad_edge"),
    (
        "FundId",
        "-bcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuv",
        "fund_id_bad_edge",
    ),
    ("FundId", "a\"b", "fund_id_bad_char"),
    ("AgreementId", "", "agreement_id_empty"),
    ("AgreementId", "租约1", "agreement_id_bad_char"),
    ("AgreementId", "a.b", "agreement_id_bad_char"),
    (
        "AgreementId",
        "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk",
        "agreement_id_too_long",
    ),
    ("SpaceId", "", "space_id_empty"),
    ("SpaceId", "a b", "space_id_bad_char"),
    ("SpaceId", "Ｈall", "space_id_bad_char"),
    ("IdempotencyKey", "", "idempotency_key_empty"),
    ("IdempotencyKey", "a.b", "idempotency_key_bad_char"),
    (
        "IdempotencyKey",
        "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk",
        "idempotency_key_too_long",
    ),
    ("Uscc", "91350100M000100Y44", "uscc_check_digit"),
    ("Uscc", "91350100M000100Y4", "uscc_length"),
    ("Uscc", "91350100M000100Y433", "uscc_length"),
    ("Uscc", "", "uscc_length"),
    ("Uscc", "91350100m000100y43", "uscc_lowercase"),
    ("Uscc", "91350100I000100Y43", "uscc_bad_char"),
    ("Uscc", "91350100O000100Y43", "uscc_bad_char"),
    ("Uscc", "91350100S000100Y43", "uscc_bad_char"),
    ("Uscc", "91350100V000100Y43", "uscc_bad_char"),
    ("Uscc", "91350100Z000100Y43", "uscc_bad_char"),
    ("Uscc", "91350100M000100Y4３", "uscc_bad_char"),
    ("Uscc", "91350100M000100Y4-", "uscc_bad_char"),
    ("Uscc", "913501A0M000100Y43", "uscc_division_code"),
    ("ShortText", "", "text_empty"),
    ("ShortText", "   ", "text_empty"),
    ("ShortText", " a", "text_bad_character"),
    ("ShortText", "a ", "text_bad_character"),
    ("ShortText", "a\u{7}b", "text_bad_character"),
    ("ShortText", "a\nb", "text_bad_character"),
    ("ShortText", "a\u{85}b", "text_bad_character"),
    ("LongText", "", "text_empty"),
    ("LongText", "\n", "text_empty"),
    ("LongText", "a\tb", "text_bad_character"),
    ("LongText", "a\r\nb", "text_bad_character"),
    ("Amount", "0.00", "amount_not_positive"),
    ("Amount", "-0.00", "amount_not_positive"),
    ("Amount", "-5.00", "amount_negative"),
    ("Amount", "-99999999999999999999.00", "amount_negative"),
    ("Amount", "1000000000.01", "amount_over_limit"),
    (
        "Amount",
        "99999999999999999999999999999.00",
        "amount_over_limit",
    ),
    ("Amount", "1.0", "amount_too_few_decimals"),
    ("Amount", "1800", "amount_too_few_decimals"),
    ("Amount", "1800.5", "amount_too_few_decimals"),
    ("Amount", "1.000", "amount_too_many_decimals"),
    ("Amount", "1.005", "amount_too_many_decimals"),
    ("Amount", "1800.505", "amount_too_many_decimals"),
    ("Amount", "", "amount_malformed"),
    ("Amount", "01.00", "amount_malformed"),
    ("Amount", "00.00", "amount_malformed"),
    ("Amount", "+1.00", "amount_malformed"),
    ("Amount", " 1.00", "amount_malformed"),
    ("Amount", "1.00 ", "amount_malformed"),
    ("Amount", "1e3", "amount_malformed"),
    ("Amount", "1.0E2", "amount_malformed"),
    ("Amount", "1E2.00", "amount_malformed"),
    ("Amount", "1,000.00", "amount_malformed"),
    ("Amount", "１.００", "amount_malformed"),
    ("Amount", "1.００", "amount_malformed"),
    ("Amount", ".50", "amount_malformed"),
    ("Amount", "1.", "amount_malformed"),
    ("Amount", "-", "amount_malformed"),
    ("Amount", "-.50", "amount_malformed"),
    ("Amount", "--1.00", "amount_malformed"),
    ("Amount", "1..00", "amount_malformed"),
    ("Amount", "NaN", "amount_malformed"),
    ("Amount", "0x10.00", "amount_malformed"),
    ("Amount", "1.-0", "amount_malformed"),
    (
        "Amount",
        "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一",
        "amount_malformed",
    ),
    ("Amount", "\"1.00\"", "amount_malformed"),
    ("Money", "-0.00", "money_negative_zero"),
    ("Money", "1000000000000000.01", "money_over_limit"),
    ("Money", "-1000000000000000.01", "money_over_limit"),
    ("Money", "-99999999999999999999.00", "money_over_limit"),
    ("Money", "1.0", "money_too_few_decimals"),
    ("Money", "-1", "money_too_few_decimals"),
    ("Money", "-1.000", "money_too_many_decimals"),
    ("Money", "+1.00", "money_malformed"),
    ("Money", "- 1.00", "money_malformed"),
    ("Money", "-01.00", "money_malformed"),
    ("Money", "1e3", "money_malformed"),
    ("Money", "1,000.00", "money_malformed"),
    ("Money", "１.00", "money_malformed"),
    ("Money", " 0.00", "money_malformed"),
    ("Money", "-", "money_malformed"),
    ("Money", "", "money_malformed"),
    ("Base", "-1.00", "base_negative"),
    ("Base", "-0.00", "base_negative"),
    ("Base", "-99999999999999999999.00", "base_negative"),
    ("Base", "1000000000000000.01", "base_over_limit"),
    ("Base", "99999999999999999999.00", "base_over_limit"),
    ("Base", "1.0", "base_too_few_decimals"),
    ("Base", "1.000", "base_too_many_decimals"),
    ("Base", "01.00", "base_malformed"),
    ("Base", "+1.00", "base_malformed"),
    ("Base", "", "base_malformed"),
    ("Rate", "1.0001", "rate_over_one"),
    ("Rate", "2.0000", "rate_over_one"),
    ("Rate", "10.0000", "rate_over_one"),
    ("Rate", "99999999999999999999.0000", "rate_over_one"),
    ("Rate", "-0.1000", "rate_negative"),
    ("Rate", "-0.0000", "rate_negative"),
    ("Rate", "-2.0000", "rate_negative"),
    ("Rate", "0.1", "rate_too_few_decimals"),
    ("Rate", "0.10", "rate_too_few_decimals"),
    ("Rate", "1", "rate_too_few_decimals"),
    ("Rate", "0.10000", "rate_too_many_decimals"),
    ("Rate", "10%", "rate_malformed"),
    ("Rate", ".1000", "rate_malformed"),
    ("Rate", "00.1000", "rate_malformed"),
    ("Rate", "+0.1000", "rate_malformed"),
    ("Rate", "1e-1", "rate_malformed"),
    ("Rate", " 0.1000", "rate_malformed"),
    ("Rate", "０.1000", "rate_malformed"),
    ("Rate", "", "rate_malformed"),
    ("Date", "2026-02-29", "date_not_in_calendar"),
    ("Date", "2100-02-29", "date_not_in_calendar"),
    ("Date", "2026-04-31", "date_not_in_calendar"),
    ("Date", "2026-13-01", "date_not_in_calendar"),
    ("Date", "2026-00-10", "date_not_in_calendar"),
    ("Date", "2026-01-00", "date_not_in_calendar"),
    ("Date", "2026-01-32", "date_not_in_calendar"),
    ("Date", "1998-12-31", "date_out_of_range"),
    ("Date", "3001-01-01", "date_out_of_range"),
    ("Date", "0000-02-30", "date_out_of_range"),
    ("Date", "9999-99-99", "date_out_of_range"),
    ("Date", "", "date_malformed"),
    ("Date", "2026-1-31", "date_malformed"),
    ("Date", "2026/01/31", "date_malformed"),
    ("Date", "20260131", "date_malformed"),
    ("Date", "2026-01-31 ", "date_malformed"),
    ("Date", " 2026-01-31", "date_malformed"),
    ("Date", "2026-01-31T00:00:00Z", "date_malformed"),
    ("Date", "26-01-31", "date_malformed"),
    ("Date", "２０２６-01-31", "date_malformed"),
    ("Date", "+2026-01-3", "date_malformed"),
    ("Date", "2026-0a-31", "date_malformed"),
    ("Date", "2026-01-3１", "date_malformed"),
    ("UtcOffset", "-00:00", "offset_negative_zero"),
    ("UtcOffset", "+14:01", "offset_out_of_range"),
    ("UtcOffset", "-15:00", "offset_out_of_range"),
    ("UtcOffset", "+99:00", "offset_out_of_range"),
    ("UtcOffset", "08:00", "offset_malformed"),
    ("UtcOffset", "+8:00", "offset_malformed"),
    ("UtcOffset", "+0800", "offset_malformed"),
    ("UtcOffset", "+08", "offset_malformed"),
    ("UtcOffset", "Z", "offset_malformed"),
    ("UtcOffset", "+08:60", "offset_malformed"),
    ("UtcOffset", "+99:60", "offset_malformed"),
    ("UtcOffset", "UTC+8", "offset_malformed"),
    ("UtcOffset", "+08:00 ", "offset_malformed"),
    ("UtcOffset", "＋08:00", "offset_malformed"),
    ("UtcOffset", "", "offset_malformed"),
    ("Instant", "2026-11-26T09:30:00.000Z", "instant_fraction"),
    ("Instant", "2026-11-26T09:30:00.5Z", "instant_fraction"),
    ("Instant", "2026-11-26T09:30:00,5Z", "instant_fraction"),
    ("Instant", "2026-11-26T17:30:00+08:00", "instant_not_utc"),
    ("Instant", "2026-11-26T09:30:00-00:00", "instant_not_utc"),
    ("Instant", "2026-11-26T09:30:00", "instant_not_utc"),
    ("Instant", "1999-12-31T23:59:59Z", "instant_out_of_range"),
    ("Instant", "3000-01-01T00:00:00Z", "instant_out_of_range"),
    ("Instant", "9999-99-99T99:99:99Z", "instant_out_of_range"),
    ("Instant", "2026-02-29T00:00:00Z", "instant_not_in_calendar"),
    ("Instant", "2026-01-01T24:00:00Z", "instant_not_in_calendar"),
    ("Instant", "2026-01-01T23:60:00Z", "instant_not_in_calendar"),
    ("Instant", "2026-12-31T23:59:60Z", "instant_not_in_calendar"),
    ("Instant", "2026-13-01T00:00:00Z", "instant_not_in_calendar"),
    ("Instant", "2100-02-29T00:00:00Z", "instant_not_in_calendar"),
    ("Instant", "", "instant_malformed"),
    ("Instant", "2026-11-26t09:30:00z", "instant_malformed"),
    ("Instant", "2026-11-26T09:30:00z", "instant_malformed"),
    ("Instant", "2026-11-26t09:30:00Z", "instant_malformed"),
    ("Instant", "2026-11-26 09:30:00Z", "instant_malformed"),
    ("Instant", "2026-11-26T09:30Z", "instant_malformed"),
    ("Instant", "2026-11-26T9:30:00Z", "instant_malformed"),
    ("Instant", "2026-11-26T09:30:00ZZ", "instant_malformed"),
    ("Instant", " 2026-11-26T09:30:00Z", "instant_malformed"),
    ("Instant", "2026-11-26", "instant_malformed"),
    ("Instant", "１026-11-26T09:30:00Z", "instant_malformed"),
    ("Instant", "2026-11-26T09:30:0０Z", "instant_malformed"),
    ("LocalTime", "24:01", "time_of_day_out_of_range"),
    ("LocalTime", "25:00", "time_of_day_out_of_range"),
    ("LocalTime", "99:59", "time_of_day_out_of_range"),
    ("LocalTime", "9:00", "time_of_day_malformed"),
    ("LocalTime", "09:0", "time_of_day_malformed"),
    ("LocalTime", "09:60", "time_of_day_malformed"),
    ("LocalTime", "0900", "time_of_day_malformed"),
    ("LocalTime", "09:00:00", "time_of_day_malformed"),
    ("LocalTime", "09h00", "time_of_day_malformed"),
    ("LocalTime", "０9:00", "time_of_day_malformed"),
    ("LocalTime", "", "time_of_day_malformed"),
];

/// Inputs that are not the type's canonical string, long ones (quoted back in part).
fn long_bad_inputs() -> Vec<(&'static str, String)> {
    vec![
        ("FundId", format!("X{}", "a".repeat(100))),
        ("FundId", format!("{}!", "a".repeat(40))),
        ("AgreementId", format!("{}租", "a".repeat(80))),
        ("SpaceId", "k".repeat(65)),
        ("Uscc", "9".repeat(100)),
        ("Uscc", "913501 0M000100Y43".to_string()),
        ("ShortText", "名".repeat(201)),
        ("ShortText", format!("{} ", "名".repeat(200))),
        ("LongText", "x".repeat(2001)),
        ("Amount", "9".repeat(500)),
        ("Amount", format!("{}.00", "9".repeat(45))),
        ("Money", format!("-{}.00", "9".repeat(45))),
        ("Base", format!("{}.001", "9".repeat(45))),
        ("Rate", format!("{}.0000", "9".repeat(45))),
        ("Date", "2026-01-31".repeat(10)),
        ("UtcOffset", "+08:00".repeat(10)),
        ("Instant", "2026-11-26T09:30:00Z".repeat(5)),
        (
            "Instant",
            format!("2026-11-26T09:30:00.{}Z", "0".repeat(40)),
        ),
        ("LocalTime", "09:00".repeat(20)),
    ]
}

/// The serde errors of each type for JSON that is not a string.
const NOT_STRINGS: &[&str] = &["5", "1.5", "null", "true", "[1]", "{}", "[]"];

const TYPES: &[&str] = &[
    "FundId",
    "AgreementId",
    "SpaceId",
    "IdempotencyKey",
    "Uscc",
    "ShortText",
    "LongText",
    "Amount",
    "Money",
    "Base",
    "Rate",
    "Date",
    "UtcOffset",
    "Instant",
    "LocalTime",
];

/// What a person or client sees of one refusal.
fn describe<E: Coded + Display>(e: &E) -> serde_json::Value {
    assert_eq!(
        e.to_string(),
        e.message_en(),
        "Display is the English message"
    );
    serde_json::json!({"code": e.code(), "en": e.message_en(), "zh": e.message_zh()})
}

/// `T::parse`'s refusal of `s` (through `FromStr`) and the serde errors of `s` as a JSON
/// string, read from text (borrowed) and from a `Value` (owned).
fn refusal<T>(s: &str) -> serde_json::Value
where
    T: FromStr + DeserializeOwned + Debug,
    T::Err: Coded + Display,
{
    let e = match s.parse::<T>() {
        Ok(v) => panic!("{s:?} accepted as {v:?}"),
        Err(e) => e,
    };
    let json = serde_json::to_string(s).unwrap();
    let from_text = serde_json::from_str::<T>(&json).unwrap_err().to_string();
    let from_value = serde_json::from_value::<T>(serde_json::Value::String(s.to_owned()))
        .unwrap_err()
        .to_string();
    let nested = serde_json::from_str::<Wrap<T>>(&format!("{{\"v\": {json}, \"w\": 1}}"))
        .unwrap_err()
        .to_string();
    let in_seq = serde_json::from_str::<Vec<T>>(&format!("[{json}]"))
        .unwrap_err()
        .to_string();
    let mut d = describe(&e);
    d["serde"] = from_text.into();
    d["serde_value"] = from_value.into();
    d["serde_nested"] = nested.into();
    d["serde_seq"] = in_seq.into();
    d
}

/// A value type as a struct member.
#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct Wrap<T> {
    v: T,
    w: u8,
}

/// The serde errors of a non-string JSON text for `T`.
fn not_string<T: DeserializeOwned + Debug>(json: &str) -> serde_json::Value {
    let from_text = serde_json::from_str::<T>(json).unwrap_err().to_string();
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    let from_value = serde_json::from_value::<T>(value).unwrap_err().to_string();
    let nested = serde_json::from_str::<Wrap<T>>(&format!("{{\"v\": {json}, \"w\": 1}}"))
        .unwrap_err()
        .to_string();
    serde_json::json!({"serde": from_text, "serde_value": from_value, "serde_nested": nested})
}

macro_rules! by_type {
    ($ty:expr, $f:ident, $arg:expr) => {
        match $ty {
            "FundId" => $f::<FundId>($arg),
            "AgreementId" => $f::<AgreementId>($arg),
            "SpaceId" => $f::<SpaceId>($arg),
            "IdempotencyKey" => $f::<IdempotencyKey>($arg),
            "Uscc" => $f::<Uscc>($arg),
            "ShortText" => $f::<ShortText>($arg),
            "LongText" => $f::<LongText>($arg),
            "Amount" => $f::<Amount>($arg),
            "Money" => $f::<Money>($arg),
            "Base" => $f::<Base>($arg),
            "Rate" => $f::<Rate>($arg),
            "Date" => $f::<Date>($arg),
            "UtcOffset" => $f::<UtcOffset>($arg),
            "Instant" => $f::<Instant>($arg),
            "LocalTime" => $f::<LocalTime>($arg),
            other => panic!("unknown type {other}"),
        }
    };
}

fn code_of<T>(s: &str) -> serde_json::Value
where
    T: FromStr + DeserializeOwned + Debug,
    T::Err: Coded + Display,
{
    refusal::<T>(s)["code"].clone()
}

#[test]
fn bad_inputs_keep_their_codes() {
    for &(ty, input, code) in BAD {
        assert_eq!(by_type!(ty, code_of, input), code, "{ty} {input:?}");
    }
}

/// Every line of the golden file: one JSON object per refusal.
fn golden_lines() -> Vec<String> {
    let mut lines = Vec::new();
    let mut push = |what: serde_json::Value, mut d: serde_json::Value| {
        d["what"] = what;
        lines.push(serde_json::to_string(&d).unwrap());
    };
    for &(ty, input, _) in BAD {
        push(serde_json::json!([ty, input]), by_type!(ty, refusal, input));
    }
    for (ty, input) in long_bad_inputs() {
        push(
            serde_json::json!([ty, input]),
            by_type!(ty, refusal, &input),
        );
    }
    for ty in TYPES {
        for json in NOT_STRINGS {
            push(
                serde_json::json!([ty, "json", json]),
                by_type!(*ty, not_string, json),
            );
        }
    }
    // The checked constructors that give the same error types.
    let checked: Vec<(&str, serde_json::Value)> = vec![
        (
            "Amount::from_fen(0)",
            describe(&Amount::from_fen(0).unwrap_err()),
        ),
        (
            "Amount::from_fen(-1)",
            describe(&Amount::from_fen(-1).unwrap_err()),
        ),
        (
            "Amount::from_fen(i64::MIN)",
            describe(&Amount::from_fen(i64::MIN).unwrap_err()),
        ),
        (
            "Amount::from_fen(100_000_000_001)",
            describe(&Amount::from_fen(100_000_000_001).unwrap_err()),
        ),
        (
            "Amount::from_fen(i64::MAX)",
            describe(&Amount::from_fen(i64::MAX).unwrap_err()),
        ),
        (
            "Money::from_fen(i64::MIN)",
            describe(&Money::from_fen(i64::MIN).unwrap_err()),
        ),
        (
            "Money::from_fen(100_000_000_000_000_001)",
            describe(&Money::from_fen(100_000_000_000_000_001).unwrap_err()),
        ),
        (
            "Money::from_decimal_rounded(1000000000000000.005)",
            describe(
                &Money::from_decimal_rounded("1000000000000000.005".parse().unwrap()).unwrap_err(),
            ),
        ),
        (
            "Money::from_decimal_rounded(Decimal::MIN)",
            describe(&Money::from_decimal_rounded(rust_decimal::Decimal::MIN).unwrap_err()),
        ),
        (
            "Base::from_fen(-1)",
            describe(&Base::from_fen(-1).unwrap_err()),
        ),
        (
            "Base::from_fen(100_000_000_000_000_001)",
            describe(&Base::from_fen(100_000_000_000_000_001).unwrap_err()),
        ),
        (
            "Rate::from_basis_points(10_001)",
            describe(&Rate::from_basis_points(10_001).unwrap_err()),
        ),
        (
            "Rate::from_basis_points(u32::MAX)",
            describe(&Rate::from_basis_points(u32::MAX).unwrap_err()),
        ),
        (
            "hourly_price(100.00, -1)",
            describe(&hourly_price(Amount::parse("100.00").unwrap(), -1).unwrap_err()),
        ),
        (
            "hourly_price(MAX, i64::MAX)",
            describe(&hourly_price(Amount::MAX, i64::MAX).unwrap_err()),
        ),
        (
            "hourly_price(MAX, 3_600_000_001)",
            describe(&hourly_price(Amount::MAX, 3_600_000_001).unwrap_err()),
        ),
        (
            "Date::from_ymd(2026, 2, 29)",
            describe(&Date::from_ymd(2026, 2, 29).unwrap_err()),
        ),
        (
            "Date::from_ymd(1, 1, 1)",
            describe(&Date::from_ymd(1, 1, 1).unwrap_err()),
        ),
        (
            "Date::from_ymd(2026, 13, 99)",
            describe(&Date::from_ymd(2026, 13, 99).unwrap_err()),
        ),
        (
            "Instant::from_unix_seconds(0)",
            describe(&Instant::from_unix_seconds(0).unwrap_err()),
        ),
        (
            "Instant::from_unix_seconds(i64::MIN)",
            describe(&Instant::from_unix_seconds(i64::MIN).unwrap_err()),
        ),
        (
            "LocalTime::from_minutes(1441)",
            describe(&LocalTime::from_minutes(1441).unwrap_err()),
        ),
        (
            "uscc_check_char(91350100M000100Y)",
            describe(&ledger_core::ids::uscc_check_char("91350100M000100Y").unwrap_err()),
        ),
    ];
    for (what, d) in checked {
        push(what.into(), d);
    }
    lines
}

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/value_types.golden");

#[test]
fn refusals_match_the_golden_file() {
    let got = golden_lines();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(GOLDEN, got.join("\n") + "\n").unwrap();
        return;
    }
    let want = std::fs::read_to_string(GOLDEN).unwrap();
    let want: Vec<&str> = want.lines().collect();
    let differ: Vec<(&String, &&str)> = got.iter().zip(&want).filter(|(g, w)| g != w).collect();
    for (g, w) in &differ {
        eprintln!("got:  {g}\nwant: {w}\n");
    }
    assert!(differ.is_empty(), "{} lines differ", differ.len());
    assert_eq!(got.len(), want.len(), "number of golden lines");
}

// ---------------------------------------------------------------------------------------
// Round trips
// ---------------------------------------------------------------------------------------

/// Everything that turns `x` into its string and back agrees: `Display`, `parse`,
/// `FromStr`, and serde (JSON text, `Value` and the canonical encoder, as the same
/// string).
fn round_trip<T>(x: &T, parse: impl Fn(&str) -> Result<T, T::Err>) -> Result<(), TestCaseError>
where
    T: FromStr + Serialize + DeserializeOwned + Display + Debug + PartialEq,
    <T as FromStr>::Err: Debug,
{
    let s = x.to_string();
    prop_assert_eq!(&parse(&s).unwrap(), x);
    prop_assert_eq!(&s.parse::<T>().unwrap(), x);
    let json = serde_json::to_string(x).unwrap();
    prop_assert_eq!(&json, &serde_json::to_string(&s).unwrap());
    prop_assert_eq!(&serde_json::from_str::<T>(&json).unwrap(), x);
    let value = serde_json::to_value(x).unwrap();
    prop_assert_eq!(&value, &serde_json::Value::String(s.clone()));
    prop_assert_eq!(&serde_json::from_value::<T>(value).unwrap(), x);
    let mut jcs = ledger_core::canonical::JcsWriter::new();
    prop_assert_eq!(jcs.write(x).unwrap(), json.as_bytes());
    Ok(())
}

/// `TryFrom<String>` and `From<T> for String` agree with `Display` and `parse`.
fn converts<T>(x: &T) -> Result<(), TestCaseError>
where
    T: TryFrom<String> + Into<String> + Display + Debug + PartialEq + Clone,
    <T as TryFrom<String>>::Error: Debug,
{
    let s = x.to_string();
    prop_assert_eq!(&T::try_from(s.clone()).unwrap(), x);
    prop_assert_eq!(Into::<String>::into(x.clone()), s);
    Ok(())
}

/// Any supported date (1999-01-01 ..= 3000-12-31).
fn any_date() -> impl Strategy<Value = Date> {
    let days = |y, m, d| {
        chrono::NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .to_epoch_days()
    };
    (days(1999, 1, 1)..=days(3000, 12, 31)).prop_map(|n| {
        let d = chrono::NaiveDate::from_epoch_days(n).unwrap();
        Date::parse(&d.format("%Y-%m-%d").to_string()).unwrap()
    })
}

/// `round_trip` and `converts` of `x`.
fn both<T>(
    x: T,
    parse: impl Fn(&str) -> Result<T, <T as FromStr>::Err>,
) -> Result<(), TestCaseError>
where
    T: FromStr
        + TryFrom<String>
        + Into<String>
        + Serialize
        + DeserializeOwned
        + Display
        + Debug
        + PartialEq
        + Clone,
    <T as FromStr>::Err: Debug,
    <T as TryFrom<String>>::Error: Debug,
{
    round_trip(&x, parse)?;
    converts(&x)
}

proptest! {
    #[test]
    fn ids_round_trip(
        fund in "[a-z0-9]([a-z0-9-]{0,46}[a-z0-9])?",
        token in "[A-Za-z0-9_-]{1,64}",
    ) {
        both(FundId::parse(&fund).unwrap(), FundId::parse)?;
        both(AgreementId::parse(&token).unwrap(), AgreementId::parse)?;
        both(SpaceId::parse(&token).unwrap(), SpaceId::parse)?;
        both(IdempotencyKey::parse(&token).unwrap(), IdempotencyKey::parse)?;
    }

    #[test]
    fn uscc_round_trip(prefix in "[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{9}") {
        let check = ledger_core::ids::uscc_check_char(&prefix).unwrap();
        both(Uscc::parse(&format!("{prefix}{check}")).unwrap(), Uscc::parse)?;
    }

    #[test]
    fn texts_round_trip(
        short in "[^\\p{Cc}\\s]([^\\p{Cc}]{0,198}[^\\p{Cc}\\s])?",
        long in "[^\\p{Cc}\\s]([^\\p{Cc}]|\n){0,300}[^\\p{Cc}\\s]",
    ) {
        both(ShortText::parse(&short).unwrap(), ShortText::parse)?;
        both(LongText::parse(&long).unwrap(), LongText::parse)?;
    }

    #[test]
    fn money_round_trip(
        fen in 1_i64..=100_000_000_000,
        signed in -100_000_000_000_000_000_i64..=100_000_000_000_000_000,
        bp in 0_u32..=10_000,
    ) {
        both(Amount::from_fen(fen).unwrap(), Amount::parse)?;
        both(Money::from_fen(signed).unwrap(), Money::parse)?;
        both(Base::from_fen(signed.abs()).unwrap(), Base::parse)?;
        both(Rate::from_basis_points(bp).unwrap(), Rate::parse)?;
    }

    #[test]
    fn time_round_trip(
        date in any_date(),
        secs in Instant::MIN.unix_seconds()..=Instant::MAX.unix_seconds(),
        offset_minutes in -(14 * 60)..=(14 * 60_i32),
        minutes in 0_u32..=1440,
    ) {
        both(date, Date::parse)?;
        both(Instant::from_unix_seconds(secs).unwrap(), Instant::parse)?;
        let sign = if offset_minutes < 0 { '-' } else { '+' };
        let m = offset_minutes.unsigned_abs();
        let off = UtcOffset::parse(&format!("{sign}{:02}:{:02}", m / 60, m % 60)).unwrap();
        both(off, UtcOffset::parse)?;
        both(LocalTime::from_minutes(minutes).unwrap(), LocalTime::parse)?;
    }
}
