//! Period reports and the fund page's figures from the per-month index
//! (`month_figures`, [`super::months`]): a fund's balance and its totals by kind over
//! whole local months, without replaying or scanning the log.
//!
//! The index holds, per fund, local month and kind, the count and the sum of the
//! entries' balance changes, written in the transaction that appended them; so a
//! fund's balance at a month's end is the sum of the changes up to that month, and a
//! report over a period is the sum of its months' rows. Every read here is a few rows
//! per month of the fund's life, whatever the length of its log. The figures agree with
//! the statement the rules draft for the same period and with a fold over the log (the
//! store tests compare them month by month).

use std::collections::BTreeMap;

use ledger_core::body::Kind;
use ledger_core::time::{Date, Period};
use sqlx::Row;

use super::months::MonthKind;
use super::{Store, StoreError};

/// Totals of one kind of entry over a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindTotal {
    /// Kind name (`donation`, `disbursement`, …).
    pub kind: String,
    /// Entries of that kind.
    pub count: u64,
    /// Sum of their balance changes, fen (negative for outflows).
    pub delta_fen: i64,
}

/// A fund's figures over a period of whole local months.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodReport {
    /// Balance before the period, fen.
    pub opening_fen: i64,
    /// Totals by kind, in kind-name order (kinds without entries in the period omitted).
    pub kinds: Vec<KindTotal>,
    /// Balance after the period's last entry, fen.
    pub closing_fen: i64,
    /// Entries recorded in the period.
    pub count: u64,
    /// First and last seq recorded in the period, if any.
    pub seqs: Option<(u64, u64)>,
}

/// Most months [`Store::month_end_balances`] reads: the last 100 years.
pub const MONTH_ENDS_MAX: usize = 1_200;

/// A fund's balance at the end of one local month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthEnd {
    /// The month's first day.
    pub month: Date,
    /// Balance after the last entry recorded before the next month began, fen.
    pub balance_fen: i64,
}

/// Count and sum of balance changes of every kind in `rows` (a fund's per-month index,
/// [`Store::month_figures`]), in kind-name order (kinds without entries omitted).
pub fn kind_totals_of(rows: &[MonthKind]) -> Vec<KindTotal> {
    let mut totals: BTreeMap<&str, (u64, i64)> = BTreeMap::new();
    for m in rows {
        let t = totals.entry(m.kind.as_str()).or_default();
        t.0 += m.entries;
        t.1 += m.delta_fen;
    }
    totals
        .into_iter()
        .map(|(kind, (count, delta_fen))| KindTotal {
            kind: kind.to_owned(),
            count,
            delta_fen,
        })
        .collect()
}

/// The balance at the end of every local month from the first month in `rows` (a fund's
/// per-month index) to the last, months without entries included (they carry the
/// balance over); at most the last [`MONTH_ENDS_MAX`] months. The running sum of each
/// month's changes.
pub fn month_ends_of(rows: &[MonthKind]) -> Vec<MonthEnd> {
    let mut by_month: BTreeMap<Date, i64> = BTreeMap::new();
    for m in rows {
        *by_month.entry(m.month).or_default() += m.delta_fen;
    }
    let mut out: Vec<MonthEnd> = Vec::with_capacity(by_month.len());
    let mut balance_fen = 0i64;
    for (month, delta_fen) in by_month {
        // The months without entries since the last one carry its balance.
        while let Some(gap) = out
            .last()
            .and_then(|l| l.month.last_of_month().succ())
            .filter(|next| *next < month)
        {
            out.push(MonthEnd {
                month: gap,
                balance_fen,
            });
        }
        balance_fen += delta_fen;
        out.push(MonthEnd { month, balance_fen });
    }
    if out.len() > MONTH_ENDS_MAX {
        out.drain(..out.len() - MONTH_ENDS_MAX);
    }
    out
}

impl Store {
    /// Count and sum of balance changes of every kind over the whole of `fund`, in
    /// kind-name order (kinds without entries omitted): the per-month index summed, a
    /// few rows per month read ([`kind_totals_of`]).
    pub async fn kind_totals(&self, fund: &str) -> Result<Vec<KindTotal>, StoreError> {
        Ok(kind_totals_of(&self.month_figures(fund).await?))
    }

    /// The balance of `fund` at the end of every local month (of its calendar) from the
    /// month of its first entry to the month of its last ([`month_ends_of`] of its
    /// per-month index).
    pub async fn month_end_balances(&self, fund: &str) -> Result<Vec<MonthEnd>, StoreError> {
        Ok(month_ends_of(&self.month_figures(fund).await?))
    }

    /// The seq of the latest entry of `kind` in `fund` (one probe of `entries_by_kind`).
    pub async fn last_seq_of_kind(
        &self,
        fund: &str,
        kind: Kind,
    ) -> Result<Option<u64>, StoreError> {
        let seq: Option<i64> =
            sqlx::query_scalar("SELECT MAX(seq) FROM entries WHERE fund = $1 AND kind = $2")
                .bind(fund)
                .bind(kind.as_str())
                .fetch_one(&self.pool)
                .await?;
        Ok(seq.map(|s| s as u64))
    }

    /// The report of `fund` over `period`, whole local months of the fund's calendar,
    /// from the per-month index (one statement; a few rows per month of the fund read).
    /// A period that does not start on the first of a month and end on the last of one
    /// is [`StoreError::PeriodOutOfRange`].
    pub async fn period_report(
        &self,
        fund: &str,
        period: &Period,
    ) -> Result<PeriodReport, StoreError> {
        if period.whole_months().is_none() {
            return Err(StoreError::PeriodOutOfRange);
        }
        let rows = sqlx::query(
            "SELECT month, kind, entries, delta_fen, first_seq, last_seq FROM month_figures \
             WHERE fund = $1 AND month <= $2 ORDER BY kind",
        )
        .bind(fund)
        .bind(period.to().to_string())
        .fetch_all(&self.pool)
        .await?;
        let from = period.from().to_string();
        let mut opening_fen = 0i64;
        let mut kinds: BTreeMap<String, (u64, i64)> = BTreeMap::new();
        let mut seqs: Option<(u64, u64)> = None;
        for r in &rows {
            let month: String = r.try_get(0)?;
            let delta_fen: i64 = r.try_get(3)?;
            if month < from {
                opening_fen += delta_fen;
                continue;
            }
            let entries = r.try_get::<i64, _>(2)? as u64;
            let first = r.try_get::<i64, _>(4)? as u64;
            let last = r.try_get::<i64, _>(5)? as u64;
            let k = kinds.entry(r.try_get(1)?).or_default();
            k.0 += entries;
            k.1 += delta_fen;
            let (f, l) = seqs.unwrap_or((first, last));
            seqs = Some((f.min(first), l.max(last)));
        }
        let kinds: Vec<KindTotal> = kinds
            .into_iter()
            .map(|(kind, (count, delta_fen))| KindTotal {
                kind,
                count,
                delta_fen,
            })
            .collect();
        let net: i64 = kinds.iter().map(|k| k.delta_fen).sum();
        Ok(PeriodReport {
            opening_fen,
            closing_fen: opening_fen + net,
            count: kinds.iter().map(|k| k.count).sum(),
            kinds,
            seqs,
        })
    }
}
