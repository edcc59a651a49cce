//! Dates, instants, the fund's fixed UTC offset, periods and weekly community hours.
//!
//! No clock: callers pass instants in. Formats are strict and canonical:
//! dates `YYYY-MM-DD`, instants `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds), offsets
//! `+HH:MM`, times of day `HH:MM`.
//!
//! The fund's calendar is local time at a fixed UTC offset recorded in its genesis
//! (`+08:00` for China, no DST). A donation at `2026-01-31T20:00:00Z` belongs to
//! February: its local date at `+08:00` is 2026-02-01.
//!
//! Ranges: an [`Instant`] lies in the years 2000–2999 (UTC). A [`Date`] lies in the
//! years 1999–3000, one year wider on each side, so that the local date of every instant
//! at every allowed offset (±14:00) is a `Date` and [`Instant::local_date`] never fails.

use std::fmt;

pub use chrono::Weekday;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::Coded;
use crate::newtype::string_newtype;

const SECONDS_PER_DAY: i64 = 86_400;
const MINUTES_PER_DAY: u32 = 1_440;

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
// Errors
// ---------------------------------------------------------------------------------------

/// Why a date, instant, offset, time of day, period or weekly window is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeError {
    /// Not `YYYY-MM-DD`.
    #[error("date {input:?} is not written as YYYY-MM-DD, e.g. 2026-01-31")]
    DateMalformed {
        /// The rejected input (possibly shortened).
        input: String,
    },
    /// Year outside 1999–3000.
    #[error("date {input:?} is outside the supported years 1999 to 3000")]
    DateOutOfRange {
        /// The rejected input (possibly shortened).
        input: String,
    },
    /// Not a real calendar date (e.g. 2026-02-29, 2026-04-31, month 13).
    #[error("date {input:?} does not exist in the calendar")]
    DateNotInCalendar {
        /// The rejected input (possibly shortened).
        input: String,
    },
    /// Not `YYYY-MM-DDTHH:MM:SSZ`.
    #[error("time {input:?} is not written as YYYY-MM-DDTHH:MM:SSZ in UTC, e.g. 2026-11-26T09:30:00Z (capital T and Z, whole seconds)")]
    InstantMalformed {
        /// The rejected input (possibly shortened).
        input: String,
    },
    /// An offset other than `Z`.
    #[error("time {input:?} has a UTC offset; convert it to UTC and end it with Z, e.g. 2026-11-26T09:30:00Z")]
    InstantNotUtc {
        /// The rejected input (possibly shortened).
        input: String,
    },
    /// Fractional seconds.
    #[error(
        "time {input:?} has fractions of a second; write whole seconds, e.g. 2026-11-26T09:30:00Z"
    )]
    InstantFraction {
        /// The rejected input (possibly shortened).
        input: String,
    },
    /// Year outside 2000–2999.
    #[error("time {input:?} is outside the supported years 2000 to 2999")]
    InstantOutOfRange {
        /// The rejected input or value (possibly shortened).
        input: String,
    },
    /// Not a real date and time of day (e.g. 2026-02-30, 24:00:00, 23:59:60).
    #[error("time {input:?} does not exist in the calendar or on the clock")]
    InstantNotInCalendar {
        /// The rejected input (possibly shortened).
        input: String,
    },
    /// Not `+HH:MM` or `-HH:MM`.
    #[error("UTC offset {input:?} is not written as +HH:MM or -HH:MM, e.g. +08:00")]
    OffsetMalformed {
        /// The rejected input (possibly shortened).
        input: String,
    },
    /// Beyond ±14:00.
    #[error("UTC offset {input:?} is beyond ±14:00")]
    OffsetOutOfRange {
        /// The rejected input (possibly shortened).
        input: String,
    },
    /// `-00:00`.
    #[error("UTC offset \"-00:00\" is not allowed; write +00:00")]
    OffsetNegativeZero,
    /// Not `HH:MM`.
    #[error("time of day {input:?} is not written as HH:MM, e.g. 09:00")]
    LocalTimeMalformed {
        /// The rejected input (possibly shortened).
        input: String,
    },
    /// Outside 00:00–24:00.
    #[error("time of day {input:?} is outside 00:00 to 24:00")]
    LocalTimeOutOfRange {
        /// The rejected input (possibly shortened).
        input: String,
    },
    /// A day name other than `mon` … `sun`.
    #[error("day {input:?} is not one of mon, tue, wed, thu, fri, sat, sun")]
    WeekdayMalformed {
        /// The rejected input (possibly shortened).
        input: String,
    },
    /// A period whose end is before its start.
    #[error("period from {from} to {to} ends before it starts")]
    PeriodReversed {
        /// First day.
        from: Date,
        /// Last day.
        to: Date,
    },
    /// A weekly window whose end is not after its start.
    #[error("weekly window from {from} to {to} is empty; the end must be after the start (use 24:00 for the end of the day)")]
    WindowEmpty {
        /// Start.
        from: LocalTime,
        /// End.
        to: LocalTime,
    },
}

impl Coded for TimeError {
    fn code(&self) -> &'static str {
        match self {
            TimeError::DateMalformed { .. } => "date_malformed",
            TimeError::DateOutOfRange { .. } => "date_out_of_range",
            TimeError::DateNotInCalendar { .. } => "date_not_in_calendar",
            TimeError::InstantMalformed { .. } => "instant_malformed",
            TimeError::InstantNotUtc { .. } => "instant_not_utc",
            TimeError::InstantFraction { .. } => "instant_fraction",
            TimeError::InstantOutOfRange { .. } => "instant_out_of_range",
            TimeError::InstantNotInCalendar { .. } => "instant_not_in_calendar",
            TimeError::OffsetMalformed { .. } => "offset_malformed",
            TimeError::OffsetOutOfRange { .. } => "offset_out_of_range",
            TimeError::OffsetNegativeZero => "offset_negative_zero",
            TimeError::LocalTimeMalformed { .. } => "time_of_day_malformed",
            TimeError::LocalTimeOutOfRange { .. } => "time_of_day_out_of_range",
            TimeError::WeekdayMalformed { .. } => "weekday_malformed",
            TimeError::PeriodReversed { .. } => "period_reversed",
            TimeError::WindowEmpty { .. } => "window_empty",
        }
    }

    fn message_en(&self) -> String {
        self.to_string()
    }

    fn message_zh(&self) -> String {
        match self {
            TimeError::DateMalformed { input } => {
                format!("日期 “{input}” 格式不对，应写成 YYYY-MM-DD，如 2026-01-31")
            }
            TimeError::DateOutOfRange { input } => {
                format!("日期 “{input}” 超出支持的年份范围（1999 至 3000 年）")
            }
            TimeError::DateNotInCalendar { input } => {
                format!("日期 “{input}” 在日历上不存在")
            }
            TimeError::InstantMalformed { input } => format!(
                "时间 “{input}” 格式不对，应写成 UTC 时间 YYYY-MM-DDTHH:MM:SSZ，如 2026-11-26T09:30:00Z（大写 T 和 Z，精确到秒）"
            ),
            TimeError::InstantNotUtc { input } => format!(
                "时间 “{input}” 带有时区偏移；请换算成 UTC 时间并以 Z 结尾，如北京时间 17:30 写作 2026-11-26T09:30:00Z"
            ),
            TimeError::InstantFraction { input } => format!(
                "时间 “{input}” 带有不足一秒的小数；请精确到整秒，如 2026-11-26T09:30:00Z"
            ),
            TimeError::InstantOutOfRange { input } => {
                format!("时间 “{input}” 超出支持的年份范围（2000 至 2999 年）")
            }
            TimeError::InstantNotInCalendar { input } => {
                format!("时间 “{input}” 的日期或钟点不存在")
            }
            TimeError::OffsetMalformed { input } => {
                format!("时区偏移 “{input}” 格式不对，应写成 +HH:MM 或 -HH:MM，如 +08:00")
            }
            TimeError::OffsetOutOfRange { input } => {
                format!("时区偏移 “{input}” 超出 ±14:00")
            }
            TimeError::OffsetNegativeZero => {
                "时区偏移不能写 “-00:00”，请写 +00:00".to_string()
            }
            TimeError::LocalTimeMalformed { input } => {
                format!("钟点 “{input}” 格式不对，应写成 HH:MM，如 09:00")
            }
            TimeError::LocalTimeOutOfRange { input } => {
                format!("钟点 “{input}” 超出 00:00 至 24:00")
            }
            TimeError::WeekdayMalformed { input } => format!(
                "星期 “{input}” 不对，应为 mon、tue、wed、thu、fri、sat、sun 之一（周一至周日）"
            ),
            TimeError::PeriodReversed { from, to } => {
                format!("期间 {from} 至 {to} 的结束日早于开始日")
            }
            TimeError::WindowEmpty { from, to } => format!(
                "每周时段 {from} 至 {to} 为空；结束时间必须晚于开始时间（全天结束写 24:00）"
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------
// The calendar: chrono's, through these two helpers
// ---------------------------------------------------------------------------------------

/// The date `days` after 1970-01-01.
///
/// Callers only pass day counts of dates in the supported range (years 1999–3000), far
/// inside chrono's range, so the fallback is never taken.
fn naive_from_epoch_days(days: i64) -> NaiveDate {
    let clamped = i32::try_from(days).unwrap_or(if days < 0 { i32::MIN } else { i32::MAX });
    NaiveDate::from_epoch_days(clamped).unwrap_or(NaiveDate::MIN)
}

/// A date known (at compile time) to exist.
const fn known_date(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(d) => d,
        // Only ever evaluated in constants: a wrong date fails the build, not a run.
        None => panic!("not a date"),
    }
}

/// Parse a non-empty run of ASCII digits (callers pass at most 4).
fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')))
}

// ---------------------------------------------------------------------------------------
// Date
// ---------------------------------------------------------------------------------------

/// A calendar date, `YYYY-MM-DD`, years 1999–3000 (see the module docs for why one year
/// wider than [`Instant`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date(NaiveDate);

impl Date {
    /// First supported year.
    pub const MIN_YEAR: i32 = 1999;
    /// Last supported year.
    pub const MAX_YEAR: i32 = 3000;

    /// Parse strict `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Result<Date, TimeError> {
        let malformed = || TimeError::DateMalformed { input: quote(s) };
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(malformed());
        }
        let (Some(y), Some(m), Some(d)) = (digits(&b[0..4]), digits(&b[5..7]), digits(&b[8..10]))
        else {
            return Err(malformed());
        };
        let year = i32::try_from(y).map_err(|_| malformed())?;
        if !(Self::MIN_YEAR..=Self::MAX_YEAR).contains(&year) {
            return Err(TimeError::DateOutOfRange { input: quote(s) });
        }
        NaiveDate::from_ymd_opt(year, m, d)
            .map(Date)
            .ok_or_else(|| TimeError::DateNotInCalendar { input: quote(s) })
    }

    /// A checked constructor from year, month (1–12) and day (1–31).
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Result<Date, TimeError> {
        let input = format!("{year:04}-{month:02}-{day:02}");
        if !(Self::MIN_YEAR..=Self::MAX_YEAR).contains(&year) {
            return Err(TimeError::DateOutOfRange { input });
        }
        NaiveDate::from_ymd_opt(year, month, day)
            .map(Date)
            .ok_or(TimeError::DateNotInCalendar { input })
    }

    /// The earliest date, 1999-01-01.
    const MIN: Date = Date(known_date(Self::MIN_YEAR, 1, 1));
    /// The latest date, 3000-12-31.
    const MAX: Date = Date(known_date(Self::MAX_YEAR, 12, 31));

    /// The earliest date, 1999-01-01.
    pub fn min_value() -> Date {
        Self::MIN
    }

    /// The latest date, 3000-12-31.
    pub fn max_value() -> Date {
        Self::MAX
    }

    /// The date in this date's year, or `self` if there is none (callers pass a month and
    /// day that exist in every year).
    fn in_year(&self, month: u32, day: u32) -> Date {
        NaiveDate::from_ymd_opt(self.year(), month, day).map_or(*self, Date)
    }

    /// The underlying chrono date.
    pub fn as_naive(&self) -> NaiveDate {
        self.0
    }

    /// The year.
    pub fn year(&self) -> i32 {
        self.0.year()
    }

    /// The month, 1–12.
    pub fn month(&self) -> u32 {
        self.0.month()
    }

    /// The day of the month, 1–31.
    pub fn day(&self) -> u32 {
        self.0.day()
    }

    /// The day of the week.
    pub fn weekday(&self) -> Weekday {
        self.0.weekday()
    }

    /// Days since 1970-01-01.
    fn epoch_days(&self) -> i64 {
        i64::from(self.0.to_epoch_days())
    }

    /// The first day of this date's month.
    pub fn first_of_month(&self) -> Date {
        self.in_year(self.month(), 1)
    }

    /// The last day of this date's month.
    pub fn last_of_month(&self) -> Date {
        self.in_year(self.month(), self.days_in_month())
    }

    /// The number of days in this date's month, 28–31.
    fn days_in_month(&self) -> u32 {
        u32::from(self.0.num_days_in_month())
    }

    /// True on the 1st of a month.
    pub fn is_first_of_month(&self) -> bool {
        self.day() == 1
    }

    /// True on the last day of a month.
    pub fn is_last_of_month(&self) -> bool {
        self.day() == self.days_in_month()
    }

    /// The next day, or `None` after 3000-12-31.
    pub fn succ(&self) -> Option<Date> {
        self.0.succ_opt().map(Date).filter(|d| *d <= Date::MAX)
    }

    /// The previous day, or `None` before 1999-01-01.
    pub fn pred(&self) -> Option<Date> {
        self.0.pred_opt().map(Date).filter(|d| *d >= Date::MIN)
    }

    /// Local midnight at the start of this date, as a UTC instant.
    ///
    /// Fails (`instant_out_of_range`) only for dates whose midnight falls outside the
    /// years 2000–2999 UTC.
    pub fn start_instant(&self, off: UtcOffset) -> Result<Instant, TimeError> {
        Instant::from_unix_seconds(self.epoch_days() * SECONDS_PER_DAY - i64::from(off.0))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.year(),
            self.month(),
            self.day()
        )
    }
}

string_newtype!(Date, TimeError);

// ---------------------------------------------------------------------------------------
// UtcOffset
// ---------------------------------------------------------------------------------------

/// A fixed offset from UTC, `+HH:MM` or `-HH:MM`, within ±14:00 (`"+08:00"` for China).
/// `-00:00` is refused; UTC itself is `+00:00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UtcOffset(i32);

/// China Standard Time, `+08:00` (no daylight saving time).
pub const CHINA: UtcOffset = UtcOffset::CHINA;

impl UtcOffset {
    /// China Standard Time, `+08:00`.
    pub const CHINA: UtcOffset = UtcOffset(8 * 3600);
    /// UTC, `+00:00`.
    pub const UTC: UtcOffset = UtcOffset(0);
    /// The largest magnitude, 14 hours.
    const MAX_SECONDS: i32 = 14 * 3600;

    /// Parse strict `+HH:MM` / `-HH:MM`.
    pub fn parse(s: &str) -> Result<UtcOffset, TimeError> {
        let malformed = || TimeError::OffsetMalformed { input: quote(s) };
        let b = s.as_bytes();
        if b.len() != 6 || b[3] != b':' {
            return Err(malformed());
        }
        let sign = match b[0] {
            b'+' => 1,
            b'-' => -1,
            _ => return Err(malformed()),
        };
        let (Some(h), Some(m)) = (digits(&b[1..3]), digits(&b[4..6])) else {
            return Err(malformed());
        };
        if m > 59 {
            return Err(malformed());
        }
        let total = i32::try_from(h * 3600 + m * 60).map_err(|_| malformed())?;
        if total > Self::MAX_SECONDS {
            return Err(TimeError::OffsetOutOfRange { input: quote(s) });
        }
        if total == 0 && sign < 0 {
            return Err(TimeError::OffsetNegativeZero);
        }
        Ok(UtcOffset(sign * total))
    }

    /// The offset in seconds east of UTC (+28 800 for `+08:00`).
    pub fn seconds(&self) -> i32 {
        self.0
    }
}

impl fmt::Display for UtcOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { '-' } else { '+' };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{:02}:{:02}", abs / 3600, abs % 3600 / 60)
    }
}

string_newtype!(UtcOffset, TimeError);

// ---------------------------------------------------------------------------------------
// Instant
// ---------------------------------------------------------------------------------------

/// A UTC instant to the second, `YYYY-MM-DDTHH:MM:SSZ`, years 2000–2999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Instant(i64);

impl Instant {
    /// `2000-01-01T00:00:00Z`.
    pub const MIN: Instant = Instant(946_684_800);
    /// `2999-12-31T23:59:59Z`.
    pub const MAX: Instant = Instant(32_503_679_999);

    /// Parse strict `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn parse(s: &str) -> Result<Instant, TimeError> {
        let b = s.as_bytes();
        let shape_ok = b.len() == 20
            && b[4] == b'-'
            && b[7] == b'-'
            && b[10] == b'T'
            && b[13] == b':'
            && b[16] == b':'
            && b[19] == b'Z';
        let fields = (
            digits(b.get(0..4).unwrap_or_default()),
            digits(b.get(5..7).unwrap_or_default()),
            digits(b.get(8..10).unwrap_or_default()),
            digits(b.get(11..13).unwrap_or_default()),
            digits(b.get(14..16).unwrap_or_default()),
            digits(b.get(17..19).unwrap_or_default()),
        );
        let (true, (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(sec))) = (shape_ok, fields)
        else {
            return Err(Self::diagnose(s));
        };
        let year = i32::try_from(y).unwrap_or(i32::MAX);
        if !(2000..=2999).contains(&year) {
            return Err(TimeError::InstantOutOfRange { input: quote(s) });
        }
        let date = NaiveDate::from_ymd_opt(year, mo, d);
        let (Some(date), true) = (date, h <= 23 && mi <= 59 && sec <= 59) else {
            return Err(TimeError::InstantNotInCalendar { input: quote(s) });
        };
        let secs =
            i64::from(date.to_epoch_days()) * SECONDS_PER_DAY + i64::from(h * 3600 + mi * 60 + sec);
        Ok(Instant(secs))
    }

    /// A more specific reason for a malformed instant, where one is obvious.
    fn diagnose(s: &str) -> TimeError {
        let input = quote(s);
        let b = s.as_bytes();
        // Does it start with a well-formed "YYYY-MM-DDTHH:MM:SS"?
        let head_ok = b.len() >= 19
            && b[..19].iter().enumerate().all(|(k, &c)| match k {
                4 | 7 => c == b'-',
                10 => c == b'T',
                13 | 16 => c == b':',
                _ => c.is_ascii_digit(),
            });
        if head_ok {
            match b.get(19) {
                // No zone at all: a local time.
                None => return TimeError::InstantNotUtc { input },
                Some(b'.' | b',') => return TimeError::InstantFraction { input },
                Some(b'+' | b'-') => return TimeError::InstantNotUtc { input },
                _ => {}
            }
        }
        TimeError::InstantMalformed { input }
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn unix_seconds(&self) -> i64 {
        self.0
    }

    /// From seconds since 1970-01-01T00:00:00Z; fails outside the years 2000–2999.
    pub fn from_unix_seconds(secs: i64) -> Result<Instant, TimeError> {
        if (Self::MIN.0..=Self::MAX.0).contains(&secs) {
            Ok(Instant(secs))
        } else {
            Err(TimeError::InstantOutOfRange {
                input: format!("unix {secs}"),
            })
        }
    }

    /// `self + secs`, or `None` outside the supported range.
    pub fn checked_add_seconds(&self, secs: i64) -> Option<Instant> {
        let t = self.0.checked_add(secs)?;
        Instant::from_unix_seconds(t).ok()
    }

    /// Seconds from `earlier` to `self` (negative if `earlier` is later).
    pub fn seconds_since(&self, earlier: Instant) -> i64 {
        // Both lie within 2000–2999: the difference is far inside i64.
        self.0 - earlier.0
    }

    /// Seconds since 1970-01-01 in local time at `off`.
    fn local_seconds(&self, off: UtcOffset) -> i64 {
        self.0 + i64::from(off.0)
    }

    /// The local calendar date of this instant at `off`.
    pub fn local_date(&self, off: UtcOffset) -> Date {
        Date(naive_from_epoch_days(
            self.local_seconds(off).div_euclid(SECONDS_PER_DAY),
        ))
    }

    /// The local weekday and minute of the day (0–1439) at `off`.
    pub fn local_weekday_and_minute(&self, off: UtcOffset) -> (Weekday, u32) {
        let local = self.local_seconds(off);
        let weekday = naive_from_epoch_days(local.div_euclid(SECONDS_PER_DAY)).weekday();
        let minute = u32::try_from(local.rem_euclid(SECONDS_PER_DAY) / 60).unwrap_or(0);
        (weekday, minute)
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let date = Date(naive_from_epoch_days(self.0.div_euclid(SECONDS_PER_DAY)));
        let sod = self.0.rem_euclid(SECONDS_PER_DAY);
        write!(
            f,
            "{date}T{:02}:{:02}:{:02}Z",
            sod / 3600,
            sod % 3600 / 60,
            sod % 60
        )
    }
}

string_newtype!(Instant, TimeError);

// ---------------------------------------------------------------------------------------
// Period
// ---------------------------------------------------------------------------------------

/// An inclusive range of local dates, `from ≤ to`. Serialised as
/// `{"from":"YYYY-MM-DD","to":"YYYY-MM-DD"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "PeriodRepr", into = "PeriodRepr")]
pub struct Period {
    from: Date,
    to: Date,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PeriodRepr {
    from: Date,
    to: Date,
}

impl TryFrom<PeriodRepr> for Period {
    type Error = crate::error::Tagged<TimeError>;
    fn try_from(r: PeriodRepr) -> Result<Self, Self::Error> {
        Period::new(r.from, r.to).map_err(crate::error::Tagged)
    }
}

impl From<Period> for PeriodRepr {
    fn from(p: Period) -> PeriodRepr {
        PeriodRepr {
            from: p.from,
            to: p.to,
        }
    }
}

impl Period {
    /// The period `from ..= to`; fails if `to < from`.
    pub fn new(from: Date, to: Date) -> Result<Period, TimeError> {
        if to < from {
            return Err(TimeError::PeriodReversed { from, to });
        }
        Ok(Period { from, to })
    }

    /// First day (inclusive).
    pub fn from(&self) -> Date {
        self.from
    }

    /// Last day (inclusive).
    pub fn to(&self) -> Date {
        self.to
    }

    /// Number of days, at least 1.
    pub fn days(&self) -> i64 {
        self.to.epoch_days() - self.from.epoch_days() + 1
    }

    /// True when `d` is within the period.
    pub fn contains(&self, d: Date) -> bool {
        self.from <= d && d <= self.to
    }

    /// True when the two periods share at least one day.
    pub fn overlaps(&self, other: &Period) -> bool {
        self.from <= other.to && other.from <= self.to
    }

    /// `Some(n)` when the period is exactly `n` whole calendar months (from the 1st of a
    /// month to the last day of a month), else `None`.
    pub fn whole_months(&self) -> Option<u32> {
        if !self.from.is_first_of_month() || !self.to.is_last_of_month() {
            return None;
        }
        let index = |d: Date| i64::from(d.year()) * 12 + i64::from(d.month());
        u32::try_from(index(self.to) - index(self.from) + 1).ok()
    }

    /// The calendar month containing `d`.
    pub fn month_of(d: Date) -> Period {
        Period {
            from: d.first_of_month(),
            to: d.last_of_month(),
        }
    }

    /// The calendar quarter (Jan–Mar, Apr–Jun, Jul–Sep, Oct–Dec) containing `d`.
    pub fn quarter_of(d: Date) -> Period {
        let first_month = (d.month() - 1) / 3 * 3 + 1;
        let last_month = first_month + 2;
        let from = d.in_year(first_month, 1);
        Period {
            from,
            to: from.in_year(last_month, 1).last_of_month(),
        }
    }

    /// The calendar year containing `d`.
    pub fn year_of(d: Date) -> Period {
        Period {
            from: d.in_year(1, 1),
            to: d.in_year(12, 31),
        }
    }

    /// True when the local date of `i` at `off` is within the period.
    pub fn instant_in_period(&self, i: Instant, off: UtcOffset) -> bool {
        self.contains(i.local_date(off))
    }
}

impl fmt::Display for Period {
    /// `2026-01-01/2026-03-31` (both ends inclusive).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.from, self.to)
    }
}

// ---------------------------------------------------------------------------------------
// LocalTime and WeeklyWindow
// ---------------------------------------------------------------------------------------

/// A local time of day to the minute, `HH:MM` from `00:00` to `24:00` (`24:00` is the
/// end of the day and only makes sense as the end of a window).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalTime(u32);

impl LocalTime {
    /// `00:00`.
    pub const MIDNIGHT: LocalTime = LocalTime(0);
    /// `24:00`, the end of the day.
    pub const END_OF_DAY: LocalTime = LocalTime(MINUTES_PER_DAY);

    /// Parse strict `HH:MM`.
    pub fn parse(s: &str) -> Result<LocalTime, TimeError> {
        let malformed = || TimeError::LocalTimeMalformed { input: quote(s) };
        let b = s.as_bytes();
        if b.len() != 5 || b[2] != b':' {
            return Err(malformed());
        }
        let (Some(h), Some(m)) = (digits(&b[0..2]), digits(&b[3..5])) else {
            return Err(malformed());
        };
        if m > 59 {
            return Err(malformed());
        }
        let minutes = h * 60 + m;
        if minutes > MINUTES_PER_DAY {
            return Err(TimeError::LocalTimeOutOfRange { input: quote(s) });
        }
        Ok(LocalTime(minutes))
    }

    /// Minutes since local midnight, 0–1440.
    pub fn minutes(&self) -> u32 {
        self.0
    }

    /// From minutes since local midnight (0–1440).
    pub fn from_minutes(minutes: u32) -> Result<LocalTime, TimeError> {
        if minutes > MINUTES_PER_DAY {
            return Err(TimeError::LocalTimeOutOfRange {
                input: format!("{:02}:{:02}", minutes / 60, minutes % 60),
            });
        }
        Ok(LocalTime(minutes))
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

string_newtype!(LocalTime, TimeError);

/// The canonical short name of a weekday: `mon` … `sun`.
pub fn weekday_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "mon",
        Weekday::Tue => "tue",
        Weekday::Wed => "wed",
        Weekday::Thu => "thu",
        Weekday::Fri => "fri",
        Weekday::Sat => "sat",
        Weekday::Sun => "sun",
    }
}

/// Parse a canonical short weekday name, `mon` … `sun` (lowercase only).
pub fn parse_weekday(s: &str) -> Result<Weekday, TimeError> {
    Ok(match s {
        "mon" => Weekday::Mon,
        "tue" => Weekday::Tue,
        "wed" => Weekday::Wed,
        "thu" => Weekday::Thu,
        "fri" => Weekday::Fri,
        "sat" => Weekday::Sat,
        "sun" => Weekday::Sun,
        _ => return Err(TimeError::WeekdayMalformed { input: quote(s) }),
    })
}

/// A weekly window of local time, `[from, to)` on `day`, e.g. community hours on Saturday
/// mornings. Serialised as `{"day":"sat","from":"09:00","to":"12:00"}`; `from < to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "WindowRepr", into = "WindowRepr")]
pub struct WeeklyWindow {
    day: Weekday,
    from: LocalTime,
    to: LocalTime,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowRepr {
    day: String,
    from: LocalTime,
    to: LocalTime,
}

impl TryFrom<WindowRepr> for WeeklyWindow {
    type Error = crate::error::Tagged<TimeError>;
    fn try_from(r: WindowRepr) -> Result<Self, Self::Error> {
        let day = parse_weekday(&r.day).map_err(crate::error::Tagged)?;
        WeeklyWindow::new(day, r.from, r.to).map_err(crate::error::Tagged)
    }
}

impl From<WeeklyWindow> for WindowRepr {
    fn from(w: WeeklyWindow) -> WindowRepr {
        WindowRepr {
            day: weekday_name(w.day).to_string(),
            from: w.from,
            to: w.to,
        }
    }
}

impl WeeklyWindow {
    /// The window `[from, to)` on `day`; fails unless `from < to`.
    pub fn new(day: Weekday, from: LocalTime, to: LocalTime) -> Result<WeeklyWindow, TimeError> {
        if from >= to {
            return Err(TimeError::WindowEmpty { from, to });
        }
        Ok(WeeklyWindow { day, from, to })
    }

    /// The day of the week.
    pub fn day(&self) -> Weekday {
        self.day
    }

    /// Start (inclusive).
    pub fn from(&self) -> LocalTime {
        self.from
    }

    /// End (exclusive).
    pub fn to(&self) -> LocalTime {
        self.to
    }
}

impl fmt::Display for WeeklyWindow {
    /// `sat 09:00-12:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}-{}", weekday_name(self.day), self.from, self.to)
    }
}

/// True when the half-open UTC interval `[start, end)` shares any time with any of the
/// weekly `windows` (each half-open `[from, to)` in local time at `off`).
///
/// An empty interval (`end ≤ start`) or an empty window list never overlaps. An interval of
/// 7 days or more covers the whole week, so it overlaps any window. Otherwise the work is
/// one step per local day touched (at most 8), not per minute.
pub fn overlaps_weekly(
    start: Instant,
    end: Instant,
    off: UtcOffset,
    windows: &[WeeklyWindow],
) -> bool {
    if end <= start || windows.is_empty() {
        return false;
    }
    if end.seconds_since(start) >= 7 * SECONDS_PER_DAY {
        return true;
    }
    let (ls, le) = (start.local_seconds(off), end.local_seconds(off));
    let first_day = ls.div_euclid(SECONDS_PER_DAY);
    let last_day = (le - 1).div_euclid(SECONDS_PER_DAY);
    (first_day..=last_day).any(|day| {
        let day_start = day * SECONDS_PER_DAY;
        // The part of the interval on this local day, in seconds since local midnight.
        let a = ls.max(day_start) - day_start;
        let b = le.min(day_start + SECONDS_PER_DAY) - day_start;
        let weekday = naive_from_epoch_days(day).weekday();
        windows.iter().filter(|w| w.day == weekday).any(|w| {
            let wa = i64::from(w.from.0) * 60;
            let wb = i64::from(w.to.0) * 60;
            a.max(wa) < b.min(wb)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn i(s: &str) -> Instant {
        Instant::parse(s).unwrap()
    }

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn w(day: &str, from: &str, to: &str) -> WeeklyWindow {
        WeeklyWindow::new(
            parse_weekday(day).unwrap(),
            LocalTime::parse(from).unwrap(),
            LocalTime::parse(to).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn date_parse() {
        for ok in [
            "2026-01-31",
            "2028-02-29",
            "2000-02-29",
            "1999-01-01",
            "3000-12-31",
        ] {
            assert_eq!(d(ok).to_string(), ok);
        }
        let code = |s: &str| Date::parse(s).unwrap_err().code();
        assert_eq!(code("2026-02-29"), "date_not_in_calendar");
        assert_eq!(code("2100-02-29"), "date_not_in_calendar");
        assert_eq!(code("2026-04-31"), "date_not_in_calendar");
        assert_eq!(code("2026-13-01"), "date_not_in_calendar");
        assert_eq!(code("2026-00-10"), "date_not_in_calendar");
        assert_eq!(code("2026-01-00"), "date_not_in_calendar");
        assert_eq!(code("1998-12-31"), "date_out_of_range");
        assert_eq!(code("3001-01-01"), "date_out_of_range");
        for bad in [
            "",
            "2026-1-31",
            "2026/01/31",
            "20260131",
            "2026-01-31 ",
            " 2026-01-31",
            "2026-01-31T00:00:00Z",
            "26-01-31",
            "２０２６-01-31",
            "+2026-01-3",
            "2026-0a-31",
            "2026-01-3１",
        ] {
            assert_eq!(code(bad), "date_malformed", "{bad:?}");
        }
        assert_eq!(Date::from_ymd(2028, 2, 29).unwrap(), d("2028-02-29"));
        assert_eq!(
            Date::from_ymd(2026, 2, 29).unwrap_err().code(),
            "date_not_in_calendar"
        );
        assert_eq!(
            Date::from_ymd(1, 1, 1).unwrap_err().code(),
            "date_out_of_range"
        );
        let e = Date::parse("2026-02-29").unwrap_err();
        assert!(e.message_zh().contains("不存在"));
    }

    #[test]
    fn date_month_helpers() {
        let x = d("2028-02-10");
        assert_eq!(x.first_of_month(), d("2028-02-01"));
        assert_eq!(x.last_of_month(), d("2028-02-29"));
        assert_eq!(d("2026-02-10").last_of_month(), d("2026-02-28"));
        assert_eq!(d("2026-12-05").last_of_month(), d("2026-12-31"));
        assert!(d("2026-03-01").is_first_of_month());
        assert!(!d("2026-03-02").is_first_of_month());
        assert!(d("2026-04-30").is_last_of_month());
        assert!(d("2028-02-29").is_last_of_month());
        assert!(!d("2028-02-28").is_last_of_month());
        assert!(d("2026-02-28").is_last_of_month());
        assert_eq!(d("2028-02-28").succ(), Some(d("2028-02-29")));
        assert_eq!(d("2028-02-29").succ(), Some(d("2028-03-01")));
        assert_eq!(d("2026-12-31").succ(), Some(d("2027-01-01")));
        assert_eq!(d("3000-12-31").succ(), None);
        assert_eq!(d("1999-01-01").pred(), None);
        assert_eq!(d("2027-01-01").pred(), Some(d("2026-12-31")));
        assert!(d("2026-01-31") < d("2026-02-01"));
        assert_eq!(d("2026-01-03").weekday(), Weekday::Sat);
        assert_eq!(Date::min_value(), d("1999-01-01"));
        assert_eq!(Date::max_value(), d("3000-12-31"));
    }

    #[test]
    fn instant_parse() {
        let ok = "2026-11-26T09:30:00Z";
        assert_eq!(i(ok).to_string(), ok);
        assert_eq!(
            i("1970-01-01T00:00:00Z".replace("1970", "2000").as_str()),
            Instant::MIN
        );
        assert_eq!(i("2999-12-31T23:59:59Z"), Instant::MAX);
        assert_eq!(Instant::MIN.to_string(), "2000-01-01T00:00:00Z");
        assert_eq!(Instant::MAX.to_string(), "2999-12-31T23:59:59Z");
        assert_eq!(i("2026-01-31T15:59:59Z").unix_seconds(), 1_769_875_199);
        let code = |s: &str| Instant::parse(s).unwrap_err().code();
        assert_eq!(code("2026-11-26T09:30:00.000Z"), "instant_fraction");
        assert_eq!(code("2026-11-26T09:30:00.5Z"), "instant_fraction");
        assert_eq!(code("2026-11-26T17:30:00+08:00"), "instant_not_utc");
        assert_eq!(code("2026-11-26T09:30:00-00:00"), "instant_not_utc");
        assert_eq!(code("2026-11-26T09:30:00"), "instant_not_utc");
        assert_eq!(code("1999-12-31T23:59:59Z"), "instant_out_of_range");
        assert_eq!(code("3000-01-01T00:00:00Z"), "instant_out_of_range");
        assert_eq!(code("2026-02-29T00:00:00Z"), "instant_not_in_calendar");
        assert_eq!(code("2026-01-01T24:00:00Z"), "instant_not_in_calendar");
        assert_eq!(code("2026-01-01T23:60:00Z"), "instant_not_in_calendar");
        assert_eq!(code("2026-12-31T23:59:60Z"), "instant_not_in_calendar");
        for bad in [
            "",
            "2026-11-26t09:30:00z",
            "2026-11-26T09:30:00z",
            "2026-11-26t09:30:00Z",
            "2026-11-26 09:30:00Z",
            "2026-11-26T09:30Z",
            "2026-11-26T9:30:00Z",
            "2026-11-26T09:30:00ZZ",
            " 2026-11-26T09:30:00Z",
            "2026-11-26",
            "１026-11-26T09:30:00Z",
            "2026-11-26T09:30:0０Z",
        ] {
            assert_eq!(code(bad), "instant_malformed", "{bad:?}");
        }
        assert!(Instant::parse("2026-11-26T09:30:00+08:00")
            .unwrap_err()
            .message_zh()
            .contains("UTC"));
    }

    #[test]
    fn instant_arithmetic() {
        let t = i("2026-01-31T15:59:59Z");
        assert_eq!(t.checked_add_seconds(1).unwrap(), i("2026-01-31T16:00:00Z"));
        assert_eq!(
            t.checked_add_seconds(-86_400).unwrap(),
            i("2026-01-30T15:59:59Z")
        );
        assert_eq!(Instant::MAX.checked_add_seconds(1), None);
        assert_eq!(Instant::MIN.checked_add_seconds(-1), None);
        assert_eq!(Instant::MIN.checked_add_seconds(i64::MAX), None);
        assert_eq!(Instant::MAX.checked_add_seconds(i64::MIN), None);
        assert_eq!(
            i("2026-01-01T01:00:00Z").seconds_since(i("2026-01-01T00:00:00Z")),
            3600
        );
        assert_eq!(
            Instant::from_unix_seconds(0).unwrap_err().code(),
            "instant_out_of_range"
        );
        assert_eq!(
            Instant::from_unix_seconds(946_684_800).unwrap(),
            Instant::MIN
        );
        assert!(Instant::from_unix_seconds(i64::MIN).is_err());
    }

    #[test]
    fn offsets() {
        assert_eq!(UtcOffset::parse("+08:00").unwrap(), CHINA);
        assert_eq!(CHINA.seconds(), 28_800);
        assert_eq!(CHINA.to_string(), "+08:00");
        for ok in [
            "+00:00", "-05:00", "+05:30", "+05:45", "+14:00", "-14:00", "-09:30",
        ] {
            assert_eq!(UtcOffset::parse(ok).unwrap().to_string(), ok);
        }
        assert_eq!(UtcOffset::parse("-05:30").unwrap().seconds(), -19_800);
        let code = |s: &str| UtcOffset::parse(s).unwrap_err().code();
        assert_eq!(code("-00:00"), "offset_negative_zero");
        assert_eq!(code("+14:01"), "offset_out_of_range");
        assert_eq!(code("-15:00"), "offset_out_of_range");
        for bad in [
            "08:00", "+8:00", "+0800", "+08", "Z", "+08:60", "UTC+8", "+08:00 ", "＋08:00",
        ] {
            assert_eq!(code(bad), "offset_malformed", "{bad:?}");
        }
        assert_eq!(serde_json::to_string(&CHINA).unwrap(), "\"+08:00\"");
        assert_eq!(
            serde_json::from_str::<UtcOffset>("\"+08:00\"").unwrap(),
            CHINA
        );
    }

    #[test]
    fn local_date_boundaries_china() {
        let ld = |s: &str| i(s).local_date(CHINA).to_string();
        assert_eq!(ld("2026-01-31T15:59:59Z"), "2026-01-31");
        assert_eq!(ld("2026-01-31T16:00:00Z"), "2026-02-01");
        assert_eq!(ld("2026-01-31T20:00:00Z"), "2026-02-01");
        assert_eq!(ld("2025-12-31T15:59:59Z"), "2025-12-31");
        assert_eq!(ld("2025-12-31T16:00:00Z"), "2026-01-01");
        assert_eq!(ld("2028-02-28T15:59:59Z"), "2028-02-28");
        assert_eq!(ld("2028-02-28T16:00:00Z"), "2028-02-29");
        assert_eq!(ld("2028-02-29T15:59:59Z"), "2028-02-29");
        assert_eq!(ld("2028-02-29T16:00:00Z"), "2028-03-01");
        assert_eq!(ld("2026-02-28T16:00:00Z"), "2026-03-01");
        // The extremes of the Instant range still have a Date at every offset.
        let plus14 = UtcOffset::parse("+14:00").unwrap();
        let minus14 = UtcOffset::parse("-14:00").unwrap();
        assert_eq!(Instant::MAX.local_date(plus14).to_string(), "3000-01-01");
        assert_eq!(Instant::MIN.local_date(minus14).to_string(), "1999-12-31");
        let feb = Period::month_of(d("2026-02-14"));
        assert!(!feb.instant_in_period(i("2026-01-31T15:59:59Z"), CHINA));
        assert!(feb.instant_in_period(i("2026-01-31T16:00:00Z"), CHINA));
        assert!(feb.instant_in_period(i("2026-02-28T15:59:59Z"), CHINA));
        assert!(!feb.instant_in_period(i("2026-02-28T16:00:00Z"), CHINA));
    }

    #[test]
    fn start_instant_and_weekday_minute() {
        assert_eq!(
            d("2026-02-01").start_instant(CHINA).unwrap(),
            i("2026-01-31T16:00:00Z")
        );
        assert_eq!(
            d("2026-01-01")
                .start_instant(UtcOffset::parse("-05:00").unwrap())
                .unwrap(),
            i("2026-01-01T05:00:00Z")
        );
        assert_eq!(
            d("2000-01-01").start_instant(CHINA).unwrap_err().code(),
            "instant_out_of_range"
        );
        assert_eq!(
            d("2000-01-01").start_instant(UtcOffset::UTC).unwrap(),
            Instant::MIN
        );
        // 2026-01-03 is a Saturday; 01:00Z = 09:00 local.
        assert_eq!(
            i("2026-01-03T01:00:00Z").local_weekday_and_minute(CHINA),
            (Weekday::Sat, 540)
        );
        assert_eq!(
            i("2026-01-02T16:00:00Z").local_weekday_and_minute(CHINA),
            (Weekday::Sat, 0)
        );
        assert_eq!(
            i("2026-01-02T15:59:59Z").local_weekday_and_minute(CHINA),
            (Weekday::Fri, 1439)
        );
    }

    #[test]
    fn periods() {
        let p = Period::new(d("2026-01-01"), d("2026-03-31")).unwrap();
        assert_eq!(p.whole_months(), Some(3));
        assert_eq!(p.days(), 90);
        assert!(p.contains(d("2026-01-01")) && p.contains(d("2026-03-31")));
        assert!(!p.contains(d("2025-12-31")) && !p.contains(d("2026-04-01")));
        assert_eq!(
            Period::new(d("2026-01-02"), d("2026-03-31"))
                .unwrap()
                .whole_months(),
            None
        );
        assert_eq!(
            Period::new(d("2026-01-01"), d("2026-03-30"))
                .unwrap()
                .whole_months(),
            None
        );
        assert_eq!(
            Period::new(d("2025-11-01"), d("2026-02-28"))
                .unwrap()
                .whole_months(),
            Some(4)
        );
        assert_eq!(
            Period::new(d("2028-02-01"), d("2028-02-29"))
                .unwrap()
                .whole_months(),
            Some(1)
        );
        assert_eq!(
            Period::new(d("2028-02-01"), d("2028-02-28"))
                .unwrap()
                .whole_months(),
            None
        );
        let one_day = Period::new(d("2026-05-05"), d("2026-05-05")).unwrap();
        assert_eq!(one_day.days(), 1);
        assert_eq!(
            Period::new(d("2026-02-01"), d("2026-01-31"))
                .unwrap_err()
                .code(),
            "period_reversed"
        );
        let q = Period::new(d("2026-03-31"), d("2026-04-01")).unwrap();
        assert!(q.overlaps(&p) && p.overlaps(&q));
        let r = Period::new(d("2026-04-01"), d("2026-04-30")).unwrap();
        assert!(!r.overlaps(&p) && !p.overlaps(&r));
        assert_eq!(
            Period::month_of(d("2028-02-10")),
            Period::new(d("2028-02-01"), d("2028-02-29")).unwrap()
        );
        assert_eq!(
            Period::quarter_of(d("2026-05-17")),
            Period::new(d("2026-04-01"), d("2026-06-30")).unwrap()
        );
        assert_eq!(
            Period::quarter_of(d("2026-12-31")).to_string(),
            "2026-10-01/2026-12-31"
        );
        assert_eq!(Period::quarter_of(d("2026-01-01")).whole_months(), Some(3));
        assert_eq!(Period::year_of(d("2028-07-04")).whole_months(), Some(12));
        assert_eq!(Period::year_of(d("2028-07-04")).days(), 366);
    }

    #[test]
    fn period_serde() {
        let p: Period = serde_json::from_str(r#"{"from":"2026-01-01","to":"2026-01-31"}"#).unwrap();
        assert_eq!(p, Period::month_of(d("2026-01-15")));
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"from":"2026-01-01","to":"2026-01-31"}"#
        );
        let e = serde_json::from_str::<Period>(r#"{"from":"2026-02-01","to":"2026-01-31"}"#)
            .unwrap_err();
        assert!(e.to_string().contains("ends before it starts"), "{e}");
        assert!(
            serde_json::from_str::<Period>(r#"{"from":"2026-01-01","to":"2026-01-31","x":1}"#)
                .is_err()
        );
        assert!(serde_json::from_str::<Period>(r#"{"from":"2026-01-01"}"#).is_err());
        let e = serde_json::from_str::<Period>(r#"{"from":"2026-02-29","to":"2026-03-31"}"#)
            .unwrap_err();
        assert!(e.to_string().contains("does not exist"), "{e}");
    }

    #[test]
    fn local_times_and_windows() {
        assert_eq!(LocalTime::parse("09:00").unwrap().minutes(), 540);
        assert_eq!(LocalTime::parse("24:00").unwrap(), LocalTime::END_OF_DAY);
        assert_eq!(LocalTime::parse("00:00").unwrap(), LocalTime::MIDNIGHT);
        assert_eq!(
            LocalTime::parse("24:01").unwrap_err().code(),
            "time_of_day_out_of_range"
        );
        assert_eq!(
            LocalTime::parse("25:00").unwrap_err().code(),
            "time_of_day_out_of_range"
        );
        for bad in [
            "9:00", "09:0", "09:60", "0900", "09:00:00", "09h00", "０9:00",
        ] {
            assert_eq!(
                LocalTime::parse(bad).unwrap_err().code(),
                "time_of_day_malformed",
                "{bad}"
            );
        }
        let win: WeeklyWindow =
            serde_json::from_str(r#"{"day":"sat","from":"09:00","to":"12:00"}"#).unwrap();
        assert_eq!(win, w("sat", "09:00", "12:00"));
        assert_eq!(
            serde_json::to_string(&win).unwrap(),
            r#"{"day":"sat","from":"09:00","to":"12:00"}"#
        );
        assert_eq!(win.to_string(), "sat 09:00-12:00");
        let full: WeeklyWindow =
            serde_json::from_str(r#"{"day":"sun","from":"00:00","to":"24:00"}"#).unwrap();
        assert_eq!(full.to(), LocalTime::END_OF_DAY);
        for bad in [
            r#"{"day":"sat","from":"12:00","to":"09:00"}"#,
            r#"{"day":"sat","from":"09:00","to":"09:00"}"#,
            r#"{"day":"sat","from":"24:00","to":"24:00"}"#,
            r#"{"day":"Sat","from":"09:00","to":"12:00"}"#,
            r#"{"day":"saturday","from":"09:00","to":"12:00"}"#,
            r#"{"day":"sat","from":"09:00","to":"12:00","tz":"+08:00"}"#,
            r#"{"day":"sat","from":"9:00","to":"12:00"}"#,
        ] {
            assert!(serde_json::from_str::<WeeklyWindow>(bad).is_err(), "{bad}");
        }
        let e = WeeklyWindow::new(
            Weekday::Sat,
            LocalTime::parse("12:00").unwrap(),
            LocalTime::parse("09:00").unwrap(),
        )
        .unwrap_err();
        assert_eq!(e.code(), "window_empty");
        for day in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
            assert_eq!(weekday_name(parse_weekday(day).unwrap()), day);
        }
    }

    #[test]
    fn community_hours_boundaries() {
        // Saturday 2026-01-03 09:00–12:00 local (+08:00) = 01:00–04:00 UTC.
        let sat = [w("sat", "09:00", "12:00")];
        let ov = |a: &str, b: &str| overlaps_weekly(i(a), i(b), CHINA, &sat);
        assert!(!ov("2026-01-03T00:00:00Z", "2026-01-03T01:00:00Z"));
        assert!(ov("2026-01-03T00:00:00Z", "2026-01-03T01:00:01Z"));
        assert!(ov("2026-01-03T03:59:59Z", "2026-01-03T05:00:00Z"));
        assert!(!ov("2026-01-03T04:00:00Z", "2026-01-03T05:00:00Z"));
        assert!(ov("2026-01-03T01:30:00Z", "2026-01-03T01:31:00Z"));
        assert!(ov("2026-01-02T00:00:00Z", "2026-01-04T00:00:00Z"));
        // The same UTC hours a week later and earlier.
        assert!(ov("2026-01-10T02:00:00Z", "2026-01-10T02:00:01Z"));
        assert!(ov("2025-12-27T02:00:00Z", "2025-12-27T03:00:00Z"));
        // Friday 01:00–04:00 UTC is Friday local: no.
        assert!(!ov("2026-01-02T01:00:00Z", "2026-01-02T04:00:00Z"));
        // Empty intervals never overlap.
        assert!(!ov("2026-01-03T02:00:00Z", "2026-01-03T02:00:00Z"));
        assert!(!ov("2026-01-03T03:00:00Z", "2026-01-03T02:00:00Z"));
        assert!(!overlaps_weekly(
            i("2026-01-03T02:00:00Z"),
            i("2026-01-03T03:00:00Z"),
            CHINA,
            &[]
        ));
    }

    #[test]
    fn community_hours_across_midnight() {
        // Saturday 06:00–10:00 local = Friday 22:00Z – Saturday 02:00Z: the window crosses
        // midnight in UTC terms.
        let sat_morning = [w("sat", "06:00", "10:00")];
        let ov = |a: &str, b: &str| overlaps_weekly(i(a), i(b), CHINA, &sat_morning);
        assert!(!ov("2026-01-02T21:00:00Z", "2026-01-02T22:00:00Z"));
        assert!(ov("2026-01-02T21:00:00Z", "2026-01-02T22:00:01Z"));
        assert!(ov("2026-01-02T23:00:00Z", "2026-01-02T23:30:00Z"));
        assert!(ov("2026-01-03T01:59:59Z", "2026-01-03T03:00:00Z"));
        assert!(!ov("2026-01-03T02:00:00Z", "2026-01-03T03:00:00Z"));

        // A rental spanning Sunday → Monday local midnight against mon 00:00–01:00.
        // 2026-01-04 is a Sunday; Monday 00:00 local = Sunday 16:00Z.
        let mon = [w("mon", "00:00", "01:00")];
        let ov = |a: &str, b: &str| overlaps_weekly(i(a), i(b), CHINA, &mon);
        assert!(!ov("2026-01-04T15:00:00Z", "2026-01-04T16:00:00Z")); // sun 23:00–24:00
        assert!(ov("2026-01-04T15:00:00Z", "2026-01-04T16:00:01Z"));
        assert!(ov("2026-01-04T15:00:00Z", "2026-01-04T16:30:00Z")); // sun 23:00–mon 00:30
        assert!(ov("2026-01-04T16:59:59Z", "2026-01-04T18:00:00Z"));
        assert!(!ov("2026-01-04T17:00:00Z", "2026-01-04T18:00:00Z")); // mon 01:00–02:00

        // A window ending at 24:00 and a rental starting at the next local midnight.
        let sun_late = [w("sun", "23:00", "24:00")];
        assert!(!overlaps_weekly(
            i("2026-01-04T16:00:00Z"),
            i("2026-01-04T20:00:00Z"),
            CHINA,
            &sun_late
        ));
        assert!(overlaps_weekly(
            i("2026-01-04T15:59:59Z"),
            i("2026-01-04T20:00:00Z"),
            CHINA,
            &sun_late
        ));
    }

    #[test]
    fn community_hours_long_intervals() {
        let win = [w("wed", "10:00", "10:01")];
        // Exactly 7 days from any point covers every minute of the week.
        assert!(overlaps_weekly(
            i("2026-01-01T05:00:00Z"),
            i("2026-01-08T05:00:00Z"),
            CHINA,
            &win
        ));
        // Six days that skip Wednesday 10:00 local (Wed 2026-01-07 10:00 = 02:00Z).
        assert!(!overlaps_weekly(
            i("2026-01-01T02:01:00Z"),
            i("2026-01-07T02:00:00Z"),
            CHINA,
            &win
        ));
        // Months-long interval.
        assert!(overlaps_weekly(
            i("2026-01-01T00:00:00Z"),
            i("2026-06-01T00:00:00Z"),
            CHINA,
            &win
        ));
        assert!(!overlaps_weekly(
            i("2026-01-01T00:00:00Z"),
            i("2026-06-01T00:00:00Z"),
            CHINA,
            &[]
        ));
    }

    #[test]
    fn serde_strings() {
        let t: Instant = serde_json::from_str("\"2026-11-26T09:30:00Z\"").unwrap();
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"2026-11-26T09:30:00Z\""
        );
        let e = serde_json::from_str::<Instant>("\"2026-11-26T17:30:00+08:00\"").unwrap_err();
        assert!(e.to_string().contains("convert it to UTC"), "{e}");
        assert!(serde_json::from_str::<Instant>("1769875199").is_err());
        let x: Date = serde_json::from_str("\"2028-02-29\"").unwrap();
        assert_eq!(serde_json::to_string(&x).unwrap(), "\"2028-02-29\"");
        assert!(serde_json::from_str::<Date>("\"2026-02-29\"").is_err());
        let lt: LocalTime = serde_json::from_str("\"24:00\"").unwrap();
        assert_eq!(serde_json::to_string(&lt).unwrap(), "\"24:00\"");
    }

    // --- property tests -------------------------------------------------------------

    fn any_instant() -> impl Strategy<Value = Instant> {
        (Instant::MIN.0..=Instant::MAX.0).prop_map(Instant)
    }

    fn any_offset() -> impl Strategy<Value = UtcOffset> {
        (-(14 * 60)..=(14 * 60)).prop_map(|m: i32| UtcOffset(m * 60))
    }

    fn any_date() -> impl Strategy<Value = Date> {
        (Date::min_value().epoch_days()..=Date::max_value().epoch_days())
            .prop_map(|n| Date(naive_from_epoch_days(n)))
    }

    fn any_window() -> impl Strategy<Value = WeeklyWindow> {
        let minutes = (0_u32..MINUTES_PER_DAY, 1_u32..=MINUTES_PER_DAY);
        // Whole hours too, so that boundaries often coincide with aligned intervals.
        let hours = (0_u32..24, 1_u32..=24).prop_map(|(a, len)| (a * 60, len * 60));
        (0_u8..7, prop_oneof![minutes, hours]).prop_map(|(day, (a, len))| {
            let to = (a + len).min(MINUTES_PER_DAY);
            WeeklyWindow::new(Weekday::try_from(day).unwrap(), LocalTime(a), LocalTime(to)).unwrap()
        })
    }

    /// Instants, often aligned to whole minutes or hours (where boundary bugs hide).
    fn aligned_instant() -> impl Strategy<Value = Instant> {
        (
            any_instant(),
            prop_oneof![Just(1_i64), Just(60), Just(3600)],
        )
            .prop_map(|(t, unit)| Instant(t.0 - t.0.rem_euclid(unit)))
            .prop_filter("in range", |t| *t >= Instant::MIN)
    }

    /// Durations up to `max_seconds`, often whole minutes or hours.
    fn aligned_len(max_seconds: i64) -> impl Strategy<Value = i64> {
        (
            0..=max_seconds,
            prop_oneof![Just(1_i64), Just(60), Just(3600)],
        )
            .prop_map(|(len, unit)| len - len.rem_euclid(unit))
    }

    /// The obvious minute-by-minute check. Offsets are whole minutes, so every UTC minute
    /// slot is one local minute, entirely inside or outside each window.
    fn brute_force(start: Instant, end: Instant, off: UtcOffset, windows: &[WeeklyWindow]) -> bool {
        if end <= start {
            return false;
        }
        let first_slot = start.0.div_euclid(60);
        let last_slot = (end.0 - 1).div_euclid(60);
        (first_slot..=last_slot).any(|slot| {
            let (day, minute) = Instant(slot * 60).local_weekday_and_minute(off);
            windows
                .iter()
                .any(|w| w.day == day && w.from.0 <= minute && minute < w.to.0)
        })
    }

    proptest! {
        #[test]
        fn date_round_trip(x in any_date()) {
            let s = x.to_string();
            prop_assert_eq!(Date::parse(&s).unwrap(), x);
            prop_assert_eq!(x.as_naive().to_string(), s.clone());
            prop_assert_eq!(x.weekday(), x.as_naive().weekday());
            let json = serde_json::to_string(&x).unwrap();
            prop_assert_eq!(serde_json::from_str::<Date>(&json).unwrap(), x);
        }

        #[test]
        fn date_helpers_agree_with_chrono(x in any_date()) {
            let n = x.as_naive();
            prop_assert_eq!(x.first_of_month().as_naive(), n.with_day(1).unwrap());
            let next_month_first = if n.month() == 12 {
                NaiveDate::from_ymd_opt(n.year() + 1, 1, 1).unwrap()
            } else {
                NaiveDate::from_ymd_opt(n.year(), n.month() + 1, 1).unwrap()
            };
            prop_assert_eq!(x.last_of_month().as_naive(), next_month_first.pred_opt().unwrap());
            prop_assert_eq!(x.is_last_of_month(), n.succ_opt().unwrap().day() == 1);
            if let Some(s) = x.succ() { prop_assert_eq!(s.as_naive(), n.succ_opt().unwrap()); }
            prop_assert_eq!(Date(naive_from_epoch_days(x.epoch_days())), x);
            let q = Period::quarter_of(x);
            prop_assert!(q.contains(x));
            prop_assert_eq!(q.whole_months(), Some(3));
            prop_assert!(Period::year_of(x).contains(x));
            prop_assert_eq!(Period::month_of(x).whole_months(), Some(1));
        }

        #[test]
        fn instant_round_trip(t in any_instant()) {
            let s = t.to_string();
            prop_assert_eq!(Instant::parse(&s).unwrap(), t);
            let chrono_s = chrono::DateTime::from_timestamp(t.0, 0)
                .unwrap()
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string();
            prop_assert_eq!(s, chrono_s);
            prop_assert_eq!(Instant::from_unix_seconds(t.unix_seconds()).unwrap(), t);
        }

        #[test]
        fn offset_round_trip(off in any_offset()) {
            prop_assert_eq!(UtcOffset::parse(&off.to_string()).unwrap(), off);
        }

        #[test]
        fn local_date_agrees_with_unix_arithmetic(t in any_instant(), off in any_offset()) {
            let local = t.unix_seconds() + i64::from(off.seconds());
            let expected = chrono::DateTime::from_timestamp(local, 0).unwrap().date_naive();
            prop_assert_eq!(t.local_date(off).as_naive(), expected);
            let (day, minute) = t.local_weekday_and_minute(off);
            prop_assert_eq!(day, expected.weekday());
            prop_assert_eq!(i64::from(minute), local.rem_euclid(86_400) / 60);
            // Local midnight of that date is at or before t, and the next is after it.
            if let Ok(midnight) = t.local_date(off).start_instant(off) {
                prop_assert!(midnight <= t);
                prop_assert!(t.seconds_since(midnight) < 86_400);
            }
        }

        #[test]
        fn checked_add_never_panics(t in any_instant(), secs in any::<i64>()) {
            match t.checked_add_seconds(secs) {
                Some(u) => prop_assert_eq!(u.seconds_since(t), secs),
                None => prop_assert!(
                    t.0.checked_add(secs).is_none_or(|x| !(Instant::MIN.0..=Instant::MAX.0).contains(&x))
                ),
            }
        }

    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn overlaps_weekly_matches_brute_force(
            start in aligned_instant(),
            len in prop_oneof![aligned_len(3 * 86_400), aligned_len(7200)],
            off in any_offset(),
            windows in proptest::collection::vec(any_window(), 0..4),
        ) {
            let Some(end) = start.checked_add_seconds(len) else { return Ok(()); };
            prop_assert_eq!(
                overlaps_weekly(start, end, off, &windows),
                brute_force(start, end, off, &windows)
            );
        }

        #[test]
        fn overlaps_weekly_matches_brute_force_at_window_edges(
            week in 1_600_i64..50_000,
            off in any_offset(),
            window in any_window(),
            others in proptest::collection::vec(any_window(), 0..2),
            at_end in any::<bool>(),
            delta in -1_i64..=1,
            len in aligned_len(3 * 86_400),
        ) {
            // The window's start and end as UTC instants in some week (1970-01-05 was a
            // Monday).
            let monday = 4 + week * 7;
            let day = monday + i64::from(window.day.num_days_from_monday());
            let midnight = day * SECONDS_PER_DAY - i64::from(off.seconds());
            let ws = midnight + i64::from(window.from.0) * 60;
            let we = midnight + i64::from(window.to.0) * 60;
            // An interval ending at (about) the window's start, or starting at (about) its end.
            let (a, b) = if at_end { (we + delta, we + delta + len) } else { (ws + delta - len, ws + delta) };
            let (Ok(start), Ok(end)) = (Instant::from_unix_seconds(a), Instant::from_unix_seconds(b))
            else { return Ok(()); };
            let mut windows = others;
            windows.push(window);
            prop_assert_eq!(
                overlaps_weekly(start, end, off, &windows),
                brute_force(start, end, off, &windows)
            );
        }

        #[test]
        fn overlaps_weekly_matches_brute_force_near_a_week(
            start in aligned_instant(),
            len in (6 * 86_400_i64..=8 * 86_400, prop_oneof![Just(1_i64), Just(3600)])
                .prop_map(|(len, unit)| len - len.rem_euclid(unit)),
            off in any_offset(),
            windows in proptest::collection::vec(any_window(), 0..3),
        ) {
            let Some(end) = start.checked_add_seconds(len) else { return Ok(()); };
            prop_assert_eq!(
                overlaps_weekly(start, end, off, &windows),
                brute_force(start, end, off, &windows)
            );
        }

        #[test]
        fn period_serde_round_trip(a in any_date(), b in any_date()) {
            let (from, to) = if a <= b { (a, b) } else { (b, a) };
            let p = Period::new(from, to).unwrap();
            let json = serde_json::to_string(&p).unwrap();
            prop_assert_eq!(serde_json::from_str::<Period>(&json).unwrap(), p);
            if a != b {
                prop_assert!(Period::new(to, from).is_err());
            }
        }

        #[test]
        fn arbitrary_strings_never_panic(s in "\\PC{0,25}") {
            if let Ok(x) = Date::parse(&s) { prop_assert_eq!(x.to_string(), s.clone()); }
            if let Ok(x) = Instant::parse(&s) { prop_assert_eq!(x.to_string(), s.clone()); }
            if let Ok(x) = UtcOffset::parse(&s) { prop_assert_eq!(x.to_string(), s.clone()); }
            if let Ok(x) = LocalTime::parse(&s) { prop_assert_eq!(x.to_string(), s.clone()); }
        }
    }
}
