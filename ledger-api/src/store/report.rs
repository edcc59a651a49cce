//! Period reports from the entries' stored columns: a fund's balance and its totals by
//! kind over whole local months, without replaying the log.
//!
//! Every entry row carries the balance change and the balance after it, written in the
//! transaction that appended the entry from the figures the rules computed
//! ([`ledger_core::state::FundState::apply`]); entries are recorded in non-decreasing
//! time, so the entries of a period are one run of seqs. A report is then two indexed
//! queries, whatever the length of the log. It agrees with the statement the rules draft
//! for the same period (the store tests compare them month by month).
//!
//! The fund page's figures come from here too: totals by kind over the whole fund (kept
//! per fund, adding only the entries appended since; the first time one `GROUP BY` over
//! the index, no entry row read), the balance at each month end (per month, two probes of
//! the index and one of the primary key), and the latest entry of a kind (one probe of
//! `entries_by_kind`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use ledger_core::body::Kind;
use ledger_core::time::{Date, Instant, Period, UtcOffset};
use sqlx::Row;

use super::{Corruption, Store, StoreError};

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

/// Month ends read per statement of [`Store::month_end_balances`] (each is one
/// `UNION ALL` part with its own bound parameter).
const MONTHS_PER_QUERY: usize = 100;

/// Most months [`Store::month_end_balances`] reads: the last 100 years.
pub const MONTH_ENDS_MAX: usize = 1_200;

/// New entries up to which [`Store::kind_totals`] adds them up from their rows (by primary
/// key); past this, from the `entries_by_time` index alone.
pub const TOTALS_BY_ROW_MAX: u64 = 10_000;

/// Count and sum of balance changes by kind name.
type Totals = BTreeMap<String, (u64, i64)>;

/// Per fund: how many of its first entries are summed, and their totals by kind.
#[derive(Debug, Default)]
pub(super) struct KindTotalsCache(Mutex<HashMap<String, (u64, Totals)>>);

impl KindTotalsCache {
    fn get(&self, fund: &str) -> (u64, Totals) {
        // A panic while holding this lock cannot leave it half-written (each update is
        // one insert), so a poisoned lock still holds good totals.
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(fund).cloned().unwrap_or_default()
    }

    fn put(&self, fund: &str, through: u64, totals: &Totals) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let slot = map.entry(fund.to_owned()).or_default();
        // Another reader may have summed further meanwhile: keep the longer prefix.
        if slot.0 < through {
            *slot = (through, totals.clone());
        }
    }
}

/// A fund's balance at the end of one local month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthEnd {
    /// The month's first day.
    pub month: Date,
    /// Balance after the last entry recorded before the next month began, fen.
    pub balance_fen: i64,
}

impl Store {
    /// Count and sum of balance changes of every kind over the whole of `fund` (its
    /// entries when the call began), in kind-name order (kinds without entries omitted).
    ///
    /// The log is append-only, so the totals of a fund's first `n` entries never change:
    /// they are kept per fund in this store and only the entries appended since are
    /// summed, by primary key. The first call for a fund (or one after more than
    /// [`TOTALS_BY_ROW_MAX`] new entries) sums over the `entries_by_time` index instead
    /// (about 0.2 s per 10⁶ entries on SQLite),
    /// which holds kind and delta: no entry row is read.
    pub async fn kind_totals(&self, fund: &str) -> Result<Vec<KindTotal>, StoreError> {
        let Some(size) = self.fund(fund).await?.map(|f| f.size) else {
            return Ok(Vec::new());
        };
        let (through, mut totals) = self.kind_totals.get(fund);
        if through < size {
            let new = if through > 0 && size - through <= TOTALS_BY_ROW_MAX {
                // The few entries appended since, by primary key.
                sqlx::query(
                    "SELECT kind, COUNT(*), CAST(SUM(delta_fen) AS BIGINT) FROM entries \
                     WHERE fund = $1 AND seq >= $2 AND seq < $3 GROUP BY kind",
                )
                .bind(fund)
                .bind(through as i64)
                .bind(size as i64)
                .fetch_all(&self.pool)
                .await?
            } else {
                // Over the index only (a range on its second column steers both planners
                // to it).
                sqlx::query(
                    "SELECT kind, COUNT(*), CAST(SUM(delta_fen) AS BIGINT) FROM entries \
                     WHERE fund = $1 AND recorded_at >= '' AND seq >= $2 AND seq < $3 \
                     GROUP BY kind",
                )
                .bind(fund)
                .bind(through as i64)
                .bind(size as i64)
                .fetch_all(&self.pool)
                .await?
            };
            for row in &new {
                let count: i64 = row.try_get(1)?;
                let delta_fen: i64 = row.try_get(2)?;
                let t = totals.entry(row.try_get(0)?).or_default();
                t.0 += count as u64;
                t.1 += delta_fen;
            }
            self.kind_totals.put(fund, size, &totals);
        }
        Ok(totals
            .into_iter()
            .map(|(kind, (count, delta_fen))| KindTotal {
                kind,
                count,
                delta_fen,
            })
            .collect())
    }

    /// The balance of `fund` at the end of every local month (at `offset`) from the month
    /// of its first entry to the month of its last, months without entries included
    /// (they carry the balance over); at most the last [`MONTH_ENDS_MAX`] months. Per
    /// month: the latest `recorded_at` before the next month (one probe of
    /// `entries_by_time`), the highest seq recorded then (the entries at that instant, on
    /// the same index: `seq + 0` keeps SQLite from walking the primary key for the
    /// maximum instead), and that entry's `balance_fen`.
    pub async fn month_end_balances(
        &self,
        fund: &str,
        offset: UtcOffset,
    ) -> Result<Vec<MonthEnd>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let first: Option<String> = sqlx::query_scalar(
            "SELECT recorded_at FROM entries WHERE fund = $1 ORDER BY seq LIMIT 1",
        )
        .bind(fund)
        .fetch_optional(&mut *tx)
        .await?;
        let last: Option<String> = sqlx::query_scalar(
            "SELECT recorded_at FROM entries WHERE fund = $1 ORDER BY seq DESC LIMIT 1",
        )
        .bind(fund)
        .fetch_optional(&mut *tx)
        .await?;
        let (Some(first), Some(last)) = (first, last) else {
            return Ok(Vec::new());
        };
        let month_of = |at: &str| -> Result<Date, StoreError> {
            Ok(Instant::parse(at)
                .map_err(Corruption::Time)?
                .local_date(offset)
                .first_of_month())
        };
        let (first, last) = (month_of(&first)?, month_of(&last)?);
        // Each month with the instant the next one begins.
        let mut months: Vec<(Date, String)> = Vec::new();
        let mut m = first;
        while m <= last {
            let next = m
                .last_of_month()
                .succ()
                .ok_or(StoreError::PeriodOutOfRange)?;
            let until = next
                .start_instant(offset)
                .map_err(|_| StoreError::PeriodOutOfRange)?;
            months.push((m, until.to_string()));
            m = next;
        }
        if months.len() > MONTH_ENDS_MAX {
            months.drain(..months.len() - MONTH_ENDS_MAX);
        }
        let mut out = Vec::with_capacity(months.len());
        for chunk in months.chunks(MONTHS_PER_QUERY) {
            let sql = (0..chunk.len())
                .map(|i| {
                    format!(
                        "SELECT {i} AS i, balance_fen FROM entries WHERE fund = $1 AND seq = (\
                         SELECT MAX(seq + 0) FROM entries WHERE fund = $1 AND recorded_at = (\
                         SELECT MAX(recorded_at) FROM entries WHERE fund = $1 AND recorded_at < ${}))",
                        i + 2
                    )
                })
                .collect::<Vec<_>>()
                .join(" UNION ALL ");
            let mut q = sqlx::query(&sql).bind(fund);
            for (_, until) in chunk {
                q = q.bind(until.as_str());
            }
            let mut found: Vec<Option<i64>> = vec![None; chunk.len()];
            for row in q.fetch_all(&mut *tx).await? {
                let i: i64 = row.try_get(0)?;
                if let Some(slot) = usize::try_from(i).ok().and_then(|i| found.get_mut(i)) {
                    *slot = Some(row.try_get(1)?);
                }
            }
            for ((month, _), balance) in chunk.iter().zip(found) {
                // Every month from the first entry's on ends after that entry.
                let balance_fen = balance.ok_or(Corruption::MonthEndMissing(*month))?;
                out.push(MonthEnd {
                    month: *month,
                    balance_fen,
                });
            }
        }
        tx.commit().await?;
        Ok(out)
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

    /// The report of `fund` over `period` (local months at `offset`, the fund's UTC
    /// offset), read in one transaction.
    pub async fn period_report(
        &self,
        fund: &str,
        period: &Period,
        offset: UtcOffset,
    ) -> Result<PeriodReport, StoreError> {
        let corrupt = |_| StoreError::PeriodOutOfRange;
        let from: Instant = period.from().start_instant(offset).map_err(corrupt)?;
        let until: Instant = period
            .to()
            .succ()
            .ok_or(StoreError::PeriodOutOfRange)?
            .start_instant(offset)
            .map_err(corrupt)?;
        let mut tx = self.pool.begin().await?;
        // `recorded_at` is stored as fixed-width RFC 3339 UTC text, so text order is time
        // order.
        let rows = sqlx::query(
            "SELECT kind, COUNT(*), CAST(SUM(delta_fen) AS BIGINT), MIN(seq), MAX(seq) FROM entries \
             WHERE fund = $1 AND recorded_at >= $2 AND recorded_at < $3 \
             GROUP BY kind ORDER BY kind",
        )
        .bind(fund)
        .bind(from.to_string())
        .bind(until.to_string())
        .fetch_all(&mut *tx)
        .await?;
        let mut kinds = Vec::with_capacity(rows.len());
        let mut seqs: Option<(u64, u64)> = None;
        for row in &rows {
            let count: i64 = row.try_get(1)?;
            let first: i64 = row.try_get(3)?;
            let last: i64 = row.try_get(4)?;
            kinds.push(KindTotal {
                kind: row.try_get(0)?,
                count: count as u64,
                delta_fen: row.try_get(2)?,
            });
            let (f, l) = seqs.unwrap_or((first as u64, last as u64));
            seqs = Some((f.min(first as u64), l.max(last as u64)));
        }
        // The balance just before the period: after the entry before its first seq, or
        // after the last entry recorded before it when the period holds none.
        let before: Option<i64> = match seqs {
            Some((0, _)) => None,
            Some((first, _)) => {
                sqlx::query_scalar("SELECT balance_fen FROM entries WHERE fund = $1 AND seq = $2")
                    .bind(fund)
                    .bind(first as i64 - 1)
                    .fetch_optional(&mut *tx)
                    .await?
            }
            None => {
                sqlx::query_scalar(
                    "SELECT balance_fen FROM entries WHERE fund = $1 AND recorded_at < $2 \
                     ORDER BY seq DESC LIMIT 1",
                )
                .bind(fund)
                .bind(from.to_string())
                .fetch_optional(&mut *tx)
                .await?
            }
        };
        tx.commit().await?;
        let opening_fen = before.unwrap_or(0);
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
