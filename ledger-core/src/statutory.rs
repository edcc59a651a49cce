//! Statutory reports (issue 17 item 3): the lines of the 业务活动表 (会民非02表) and the
//! net-asset lines of the 资产负债表 (会民非01表) that a community fund can fill, in the
//! columns 非限定性 / 限定性 / 合计, for any whole-month period (a month, a quarter, a
//! year), and the annual report's computable items — all computed from the log.
//!
//! [`Books`] is fed every applied entry ([`Books::record`]) and keeps one set of sums per
//! local month, so memory grows with the months, never with the entries;
//! [`Books::report`] adds up the months of a period.
//!
//! How each kind lands on a line (README.md "Statutory reports" cites the sources):
//!
//! | entry | line | column |
//! |---|---|---|
//! | `donation` | 1 捐赠收入 | 限定性 if it names a restriction, else 非限定性 |
//! | `rental` | 3 提供服务收入 | 非限定性 |
//! | `revenue_share` | 9 其他收入 | 非限定性 |
//! | `disbursement` | 12 业务活动成本 | 非限定性 (every 费用 is unrestricted) |
//! | (none yet) | 21 管理费用 | no member marks a disbursement as administration: 0 |
//! | releases: restricted spending, revocation, closing | 40 限定性净资产转为非限定性净资产 | 限定性 −, 非限定性 + |
//! | `reversal` | the line of the entry it reverses, negated, in that entry's column | |
//!
//! 收入合计 (11) = 1 + 3 + 9; 费用合计 (35) = 12 + 21; 净资产变动额 (45) = 11 − 35 + 40 in
//! each column (40 nets to zero in 合计). The 资产负债表 lines: 非限定性净资产 (101),
//! 限定性净资产 (105) and 净资产合计 (110), at the period's start and end; 110 at the end is
//! the fund's balance then, 105 what its restrictions held.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::body::{Body, Kind};
use crate::entry::Entry;
use crate::money::Money;
use crate::state::Applied;
use crate::time::{Date, Period, UtcOffset};

/// Why a report cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// The period is not a run of whole local months.
    #[error("the period {from} to {to} is not whole months")]
    PeriodNotWholeMonths {
        /// First day asked.
        from: Date,
        /// Last day asked.
        to: Date,
    },
    /// A sum beyond the bounds of money.
    #[error("a figure of the report is beyond the bounds of money")]
    Overflow,
}

/// One month's sums (or one entry's share of them), in fen, by line and column: what a
/// store keeps per fund and local month so that a report is a sum of months
/// ([`Books::from_months`]), never a replay of the log. Made from entries by
/// [`MonthLines::of`] only; the shell stores and adds them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonthLines {
    /// Line 1, 非限定性.
    pub donation_unrestricted: i64,
    /// Line 1, 限定性.
    pub donation_restricted: i64,
    /// Line 3 (非限定性).
    pub service: i64,
    /// Line 9 (非限定性).
    pub other: i64,
    /// Line 12 (非限定性), positive for spending.
    pub program: i64,
    /// Line 21 (非限定性).
    pub admin: i64,
    /// Line 40: released from restricted to unrestricted.
    pub releases: i64,
    /// Donation entries recorded (reversed ones included).
    pub donations: u64,
}

impl MonthLines {
    /// One entry's share of its month's lines; `applied` is what
    /// [`crate::state::FundState::apply`] returned for it (the rules' verdict on its
    /// restricted money and, for a reversal, the kind it reverses). Every figure is one
    /// entry's bounded money, so nothing here can overflow.
    pub fn of(entry: &Entry, applied: &Applied) -> MonthLines {
        let delta = applied.delta.to_fen();
        let r = &applied.restricted;
        let mut m = MonthLines::default();
        let booked = match entry.intent.kind() {
            Kind::Reversal => applied.reversed_kind,
            k => Some(k),
        };
        match booked {
            Some(Kind::Donation) => {
                // The restricted part: given to a restriction, or a reversed restricted gift.
                let restricted = r.donation.to_fen().saturating_add(r.reversals.to_fen());
                m.donation_restricted = restricted;
                m.donation_unrestricted = delta.saturating_sub(restricted);
                if entry.intent.kind() == Kind::Donation {
                    m.donations = 1;
                }
            }
            Some(Kind::Rental) => m.service = delta,
            Some(Kind::RevenueShare) => m.other = delta,
            Some(Kind::Disbursement) => m.program = delta.saturating_neg(),
            _ => {}
        }
        m.releases = r.releases.to_fen();
        m
    }

    /// Adds `other` (another entry's or month's lines) to these.
    pub fn add(&mut self, other: &MonthLines) -> Result<(), ReportError> {
        add(&mut self.donation_unrestricted, other.donation_unrestricted)?;
        add(&mut self.donation_restricted, other.donation_restricted)?;
        add(&mut self.service, other.service)?;
        add(&mut self.other, other.other)?;
        add(&mut self.program, other.program)?;
        add(&mut self.admin, other.admin)?;
        add(&mut self.releases, other.releases)?;
        self.donations = self
            .donations
            .checked_add(other.donations)
            .ok_or(ReportError::Overflow)?;
        Ok(())
    }

    /// The change of net assets these lines make, (非限定性, 限定性), fen (line 45); their
    /// sum is the change of the fund's balance.
    pub fn net_change(&self) -> Result<[i64; 2], ReportError> {
        self.changes()
    }
}

/// The log's sums by local month, for the statutory reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Books {
    offset: Option<UtcOffset>,
    months: BTreeMap<Date, MonthLines>,
}

fn add(a: &mut i64, b: i64) -> Result<(), ReportError> {
    *a = a.checked_add(b).ok_or(ReportError::Overflow)?;
    Ok(())
}

fn sub(a: i64, b: i64) -> Result<i64, ReportError> {
    a.checked_sub(b).ok_or(ReportError::Overflow)
}

fn money(fen: i64) -> Result<Money, ReportError> {
    Money::from_fen(fen).map_err(|_| ReportError::Overflow)
}

impl Books {
    /// Counts an entry the fund's rules applied (`applied` is what
    /// [`crate::state::FundState::apply`] returned for it). Entries must come in seq order
    /// from the genesis (which gives the local time zone).
    pub fn record(&mut self, entry: &Entry, applied: &Applied) -> Result<(), ReportError> {
        if let Body::Genesis(g) = &entry.intent.body {
            self.offset = Some(g.utc_offset);
        }
        let Some(offset) = self.offset else {
            return Ok(());
        };
        let month = entry.recorded_at.local_date(offset).first_of_month();
        self.months
            .entry(month)
            .or_default()
            .add(&MonthLines::of(entry, applied))
    }

    /// The books of a fund whose lines per local month (first day) are `months`, as a
    /// store keeps them: what [`Books::record`] would have summed.
    pub fn from_months(months: impl IntoIterator<Item = (Date, MonthLines)>) -> Books {
        Books {
            offset: None,
            months: months.into_iter().collect(),
        }
    }

    /// The lines of every month with entries, by its first day.
    pub fn months(&self) -> impl Iterator<Item = (&Date, &MonthLines)> {
        self.months.iter()
    }

    /// The statutory report of `period` (whole local months; months without entries count
    /// as zero).
    pub fn report(&self, period: &Period) -> Result<Report, ReportError> {
        if period.whole_months().is_none() {
            return Err(ReportError::PeriodNotWholeMonths {
                from: period.from(),
                to: period.to(),
            });
        }
        let mut before = MonthLines::default();
        let mut during = MonthLines::default();
        for (month, m) in self.months.range(..=period.to()) {
            let into = if *month < period.from() {
                &mut before
            } else {
                &mut during
            };
            into.add(m)?;
        }
        let opening = before.changes()?;
        let change = during.changes()?;
        let closing = [
            opening[0]
                .checked_add(change[0])
                .ok_or(ReportError::Overflow)?,
            opening[1]
                .checked_add(change[1])
                .ok_or(ReportError::Overflow)?,
        ];
        let row = |line: u16, zh: &'static str, en: &'static str, u: i64, r: i64| {
            Ok::<_, ReportError>(ActivityLine {
                line,
                item_zh: zh,
                item_en: en,
                unrestricted: money(u)?,
                restricted: money(r)?,
                total: money(u.checked_add(r).ok_or(ReportError::Overflow)?)?,
            })
        };
        let d = &during;
        let income_u = [d.donation_unrestricted, d.service, d.other]
            .iter()
            .try_fold(0i64, |a, b| a.checked_add(*b))
            .ok_or(ReportError::Overflow)?;
        let expense = d
            .program
            .checked_add(d.admin)
            .ok_or(ReportError::Overflow)?;
        let activities = vec![
            row(
                1,
                "捐赠收入",
                "Donations",
                d.donation_unrestricted,
                d.donation_restricted,
            )?,
            row(3, "提供服务收入", "Services (rentals)", d.service, 0)?,
            row(9, "其他收入", "Other income (revenue shares)", d.other, 0)?,
            row(
                11,
                "收入合计",
                "Total income",
                income_u,
                d.donation_restricted,
            )?,
            row(
                12,
                "业务活动成本",
                "Programme costs (disbursements)",
                d.program,
                0,
            )?,
            row(21, "管理费用", "Administrative expenses", d.admin, 0)?,
            row(35, "费用合计", "Total expenses", expense, 0)?,
            row(
                40,
                "限定性净资产转为非限定性净资产",
                "Released from restricted net assets",
                d.releases,
                sub(0, d.releases)?,
            )?,
            row(
                45,
                "净资产变动额",
                "Change in net assets",
                change[0],
                change[1],
            )?,
        ];
        let balance = |line: u16, zh: &'static str, en: &'static str, o: i64, c: i64| {
            Ok::<_, ReportError>(BalanceLine {
                line,
                item_zh: zh,
                item_en: en,
                opening: money(o)?,
                closing: money(c)?,
            })
        };
        let net_assets = vec![
            balance(
                101,
                "非限定性净资产",
                "Unrestricted net assets",
                opening[0],
                closing[0],
            )?,
            balance(
                105,
                "限定性净资产",
                "Restricted net assets",
                opening[1],
                closing[1],
            )?,
            balance(
                110,
                "净资产合计",
                "Total net assets",
                opening[0]
                    .checked_add(opening[1])
                    .ok_or(ReportError::Overflow)?,
                closing[0]
                    .checked_add(closing[1])
                    .ok_or(ReportError::Overflow)?,
            )?,
        ];
        let annual = match period.whole_months() {
            Some(12) if period.from().month() == 1 => {
                let opening_total = opening[0]
                    .checked_add(opening[1])
                    .ok_or(ReportError::Overflow)?;
                Some(Annual {
                    year: period.from().year(),
                    income: activities[3].total,
                    expense: activities[6].total,
                    charitable_spending: money(d.program)?,
                    administrative: money(d.admin)?,
                    prior_year_net_assets: money(opening_total)?,
                    spending_ratio_bp: ratio_bp(d.program, opening_total),
                    administrative_ratio_bp: ratio_bp(d.admin, expense),
                    donations: d.donations,
                })
            }
            _ => None,
        };
        Ok(Report {
            period: *period,
            activities,
            net_assets,
            annual,
        })
    }
}

impl MonthLines {
    /// 净资产变动额 by column (非限定性, 限定性): income − expense ± releases.
    fn changes(&self) -> Result<[i64; 2], ReportError> {
        let u = [self.donation_unrestricted, self.service, self.other]
            .iter()
            .try_fold(0i64, |a, b| a.checked_add(*b))
            .and_then(|i| i.checked_sub(self.program))
            .and_then(|i| i.checked_sub(self.admin))
            .and_then(|i| i.checked_add(self.releases))
            .ok_or(ReportError::Overflow)?;
        let r = sub(self.donation_restricted, self.releases)?;
        Ok([u, r])
    }
}

/// `part / whole` in basis points (1/100 of a percent), rounded down; `None` when the
/// whole is not positive.
fn ratio_bp(part: i64, whole: i64) -> Option<u64> {
    if whole <= 0 {
        return None;
    }
    let bp = i128::from(part) * 10_000 / i128::from(whole);
    u64::try_from(bp).ok()
}

/// Formats basis points as a percentage with two decimals, e.g. `72.35%`.
pub fn percent(bp: u64) -> String {
    format!("{}.{:02}%", bp / 100, bp % 100)
}

/// One line of the 业务活动表.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActivityLine {
    /// 行次, the line number of 会民非02表.
    pub line: u16,
    /// 项目, as the 制度 names it.
    pub item_zh: &'static str,
    /// The item in English.
    pub item_en: &'static str,
    /// 非限定性.
    pub unrestricted: Money,
    /// 限定性.
    pub restricted: Money,
    /// 合计.
    pub total: Money,
}

/// One net-asset line of the 资产负债表, at the period's start and end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BalanceLine {
    /// 行次 of 会民非01表.
    pub line: u16,
    /// 项目.
    pub item_zh: &'static str,
    /// The item in English.
    pub item_en: &'static str,
    /// 期初 (the day before the period).
    pub opening: Money,
    /// 期末 (the period's last day).
    pub closing: Money,
}

/// The annual report's items a fund's log can compute (for a calendar year).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Annual {
    /// The year.
    pub year: i32,
    /// 收入合计 (line 11, 合计).
    pub income: Money,
    /// 费用合计 (line 35).
    pub expense: Money,
    /// 年度慈善活动支出: 业务活动成本 (line 12).
    pub charitable_spending: Money,
    /// 管理费用 (line 21).
    pub administrative: Money,
    /// 上年末净资产: net assets at the end of the year before.
    pub prior_year_net_assets: Money,
    /// 慈善活动支出占上年末净资产的比例, in basis points (none without prior net assets).
    pub spending_ratio_bp: Option<u64>,
    /// 管理费用占总支出的比例, in basis points (none without expenses).
    pub administrative_ratio_bp: Option<u64>,
    /// Donations recorded in the year (entries, reversed ones included).
    pub donations: u64,
}

/// A statutory report of one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Whole local months covered.
    pub period: Period,
    /// 业务活动表 lines 1, 3, 9, 11, 12, 21, 35, 40, 45, in that order.
    pub activities: Vec<ActivityLine>,
    /// 资产负债表 lines 101, 105, 110.
    pub net_assets: Vec<BalanceLine>,
    /// The annual report's items, for a calendar year.
    pub annual: Option<Annual>,
}

impl Report {
    /// The 业务活动表 line numbered `line`.
    pub fn activity(&self, line: u16) -> Option<&ActivityLine> {
        self.activities.iter().find(|l| l.line == line)
    }

    /// The 资产负债表 line numbered `line`.
    pub fn net_asset(&self, line: u16) -> Option<&BalanceLine> {
        self.net_assets.iter().find(|l| l.line == line)
    }

    /// The report as CSV: `line,item_zh,item_en,unrestricted,restricted,total` for the
    /// 业务活动表, then `line,item_zh,item_en,opening,closing` for the 资产负债表.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("line,item_zh,item_en,unrestricted,restricted,total\n");
        for l in &self.activities {
            out.push_str(&format!(
                "{},{},{},{},{},{}\n",
                l.line, l.item_zh, l.item_en, l.unrestricted, l.restricted, l.total
            ));
        }
        out.push_str("line,item_zh,item_en,opening,closing\n");
        for l in &self.net_assets {
            out.push_str(&format!(
                "{},{},{},{},{}\n",
                l.line, l.item_zh, l.item_en, l.opening, l.closing
            ));
        }
        out
    }
}
