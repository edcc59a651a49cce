//! Period reports from the entries' stored columns: a fund's balance and its totals by
//! kind over whole local months, without replaying the log.
//!
//! Every entry row carries the balance change and the balance after it, written in the
//! transaction that appended the entry from the figures the rules computed
//! ([`ledger_core::state::FundState::apply`]); entries are recorded in non-decreasing
//! time, so the entries of a period are one run of seqs. A report is then two indexed
//! queries, whatever the length of the log. It agrees with the statement the rules draft
//! for the same period (the store tests compare them month by month).

use ledger_core::time::{Instant, Period, UtcOffset};
use sqlx::Row;

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

impl Store {
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
