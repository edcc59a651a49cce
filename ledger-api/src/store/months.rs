//! The per-month index: each fund's figures per local month (the genesis' UTC offset) and
//! kind, in `month_figures`, kept with the entries.
//!
//! **Invariant:** for every fund, the rows of `month_figures` are the sums of its log: one
//! row per (month, kind) that has entries, with their count, the sum of their balance
//! changes and their first and last seq. [`BatchSums`] adds a batch's entries in the
//! statement that writes them, so the index and the log commit together; at start
//! [`Store::ensure_month_figures`] checks the sums against the log's head (a database from
//! before the index, or one whose index disagrees) and rebuilds a fund's rows from its log
//! when they do not match.
//!
//! Every read of the fund page, the API's month figures and `ledger-server report` is
//! then a read of a few rows per month ([`Store::month_figures`]): bounded work per request
//! at any log length.

use std::collections::BTreeMap;

use futures_util::TryStreamExt;
use ledger_core::entry::Entry;
use ledger_core::time::{Date, Instant, UtcOffset};
use sqlx::{AnyConnection, Executor, Row};

use super::read::EntryRow;
use super::{Backend, Corruption, Query, Store, StoreError};

/// One fund's figures for one kind of entry in one local month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthKind {
    /// The month's first day (local, at the fund's offset).
    pub month: Date,
    /// Kind name (`donation`, `disbursement`, …).
    pub kind: String,
    /// Entries of that kind recorded in the month.
    pub entries: u64,
    /// Sum of their balance changes, fen.
    pub delta_fen: i64,
    /// Their first seq.
    pub first_seq: u64,
    /// Their last seq.
    pub last_seq: u64,
}

/// Rows per statement when the index is written (7 columns a row).
const ROWS_PER_STATEMENT_MAX: usize = 256;

/// Figures being summed, by (month, kind): (entries, delta, first seq, last seq).
type Sums = BTreeMap<(Date, String), (u64, i64, u64, u64)>;

/// Adds one entry to `sums`.
fn add_to(
    sums: &mut Sums,
    offset: UtcOffset,
    seq: u64,
    kind: &str,
    delta_fen: i64,
    recorded_at: &str,
) -> Result<(), StoreError> {
    let month = Instant::parse(recorded_at)
        .map_err(Corruption::Time)?
        .local_date(offset)
        .first_of_month();
    let s = sums
        .entry((month, kind.to_owned()))
        .or_insert((0, 0, seq, seq));
    s.0 += 1;
    s.1 += delta_fen;
    s.2 = s.2.min(seq);
    s.3 = s.3.max(seq);
    Ok(())
}

/// Writes `sums` into `month_figures` on `conn` (inside the caller's transaction), adding
/// to the rows already there.
async fn write_sums(conn: &mut AnyConnection, fund: &str, sums: &Sums) -> Result<(), StoreError> {
    let rows: Vec<_> = sums.iter().collect();
    for chunk in rows.chunks(ROWS_PER_STATEMENT_MAX) {
        let values = (0..chunk.len())
            .map(|i| {
                let b = i * 7;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = upsert_sql(&format!("VALUES {values}"));
        let mut q = sqlx::query(&sql);
        for row in chunk {
            q = bind_row(q, fund, *row);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The statement adding rows (`rows`: `VALUES` or a `SELECT` of 7 columns) to
/// `month_figures`.
pub(super) fn upsert_sql(rows: &str) -> String {
    // The log is appended in seq order: a month's first seq never moves, its last one is
    // the batch's.
    format!(
        "INSERT INTO month_figures (fund, month, kind, entries, delta_fen, first_seq, last_seq) \
         {rows} ON CONFLICT (fund, month, kind) DO UPDATE SET \
         entries = month_figures.entries + excluded.entries, \
         delta_fen = month_figures.delta_fen + excluded.delta_fen, \
         last_seq = excluded.last_seq"
    )
}

/// Binds one (month, kind) row of `fund`'s sums, in [`upsert_sql`]'s column order.
fn bind_row<'q>(
    q: Query<'q>,
    fund: &'q str,
    ((month, kind), (entries, delta_fen, first, last)): (
        &'q (Date, String),
        &'q (u64, i64, u64, u64),
    ),
) -> Query<'q> {
    q.bind(fund)
        .bind(month.to_string())
        .bind(kind.as_str())
        .bind(*entries as i64)
        .bind(*delta_fen)
        .bind(*first as i64)
        .bind(*last as i64)
}

/// A batch's new entries summed by (month, kind), to be added to the index by the
/// statement that writes the batch's rows (`store/append.rs`), so that the index commits
/// (or rolls back) with them and costs no round trip of its own.
pub(super) struct BatchSums(Sums);

impl BatchSums {
    /// Sums the batch's new entries `rows` of a fund whose calendar is at `offset`.
    pub(super) fn of<'r>(
        offset: UtcOffset,
        rows: impl IntoIterator<Item = &'r EntryRow>,
    ) -> Result<BatchSums, StoreError> {
        let mut sums = Sums::new();
        for r in rows {
            add_to(
                &mut sums,
                offset,
                r.seq,
                &r.kind,
                r.delta_fen,
                &r.recorded_at,
            )?;
        }
        Ok(BatchSums(sums))
    }

    /// The statements that add the sums, their placeholders from `rows_marks(n, 7)` (n
    /// rows of 7); bind them with [`BatchSums::bind`] at the same place.
    pub(super) fn statements(
        &self,
        mut rows_marks: impl FnMut(usize, usize) -> String,
    ) -> Vec<String> {
        let rows: Vec<_> = self.0.iter().collect();
        rows.chunks(ROWS_PER_STATEMENT_MAX)
            .map(|chunk| upsert_sql(&format!("VALUES {}", rows_marks(chunk.len(), 7))))
            .collect()
    }

    /// Its rows (7 columns a row; a statement of a group commit adds them with
    /// [`upsert_sql`], bound by [`BatchSums::bind`]).
    pub(super) fn rows(&self) -> usize {
        self.0.len()
    }

    /// Binds every row of [`BatchSums::statements`] to `q`, in order.
    pub(super) fn bind<'q>(&'q self, mut q: Query<'q>, fund: &'q str) -> Query<'q> {
        for row in &self.0 {
            q = bind_row(q, fund, row);
        }
        q
    }

    /// The sums by (month, kind): (entries, delta, first seq, last seq), in order (for
    /// PostgreSQL's one-round-trip append, which binds them as arrays).
    pub(super) fn by_month_kind(
        &self,
    ) -> impl Iterator<Item = (&(Date, String), &(u64, i64, u64, u64))> {
        self.0.iter()
    }
}

/// What [`Store::ensure_month_figures`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonthIndexCheck {
    /// The index sums to the log.
    Agrees,
    /// It did not (or was empty): rebuilt from the log, and now agrees.
    Rebuilt,
}

impl Store {
    /// Every (month, kind) row of `fund`'s per-month index, in month then kind order:
    /// a few rows per month of the fund's life, whatever the length of its log.
    pub async fn month_figures(&self, fund: &str) -> Result<Vec<MonthKind>, StoreError> {
        let rows = sqlx::query(
            "SELECT month, kind, entries, delta_fen, first_seq, last_seq FROM month_figures \
             WHERE fund = $1 ORDER BY month, kind",
        )
        .bind(fund)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let month: String = r.try_get(0)?;
                Ok(MonthKind {
                    month: Date::parse(&month).map_err(Corruption::Time)?,
                    kind: r.try_get(1)?,
                    entries: r.try_get::<i64, _>(2)? as u64,
                    delta_fen: r.try_get(3)?,
                    first_seq: r.try_get::<i64, _>(4)? as u64,
                    last_seq: r.try_get::<i64, _>(5)? as u64,
                })
            })
            .collect()
    }

    /// Checks that `fund`'s per-month index sums to its log (as many entries as the log
    /// holds, the last one's seq and balance), a few rows per month read; if not, rebuilds
    /// the fund's rows from the log (one pass over `entries_by_time`, no entry bytes read)
    /// under the fund's append lock, and checks again.
    pub async fn ensure_month_figures(&self, fund: &str) -> Result<MonthIndexCheck, StoreError> {
        if self.month_figures_agree(fund).await? {
            return Ok(MonthIndexCheck::Agrees);
        }
        let offset = self.fund_offset(fund).await?;
        let (backend, id) = (self.backend, fund.to_owned());
        self.rebuild_in_transaction(move |conn| {
            Box::pin(async move { rebuild_in(conn, backend, &id, offset).await })
        })
        .await?;
        if !self.month_figures_agree(fund).await? {
            return Err(Corruption::MonthIndexDisagrees(fund.to_owned()).into());
        }
        tracing::info!(%fund, "per-month index rebuilt from the log");
        Ok(MonthIndexCheck::Rebuilt)
    }

    /// Runs `rebuild` (a derived index's rebuild: this module's, `statutory`'s) in a
    /// transaction of its own on a connection of the writer pool, under the SQLite
    /// writer's lock, so no batch commits meanwhile: committed when it succeeds, rolled
    /// back when it fails.
    pub(super) async fn rebuild_in_transaction<F>(&self, rebuild: F) -> Result<(), StoreError>
    where
        F: for<'c> FnOnce(
            &'c mut AnyConnection,
        ) -> futures_util::future::BoxFuture<'c, Result<(), StoreError>>,
    {
        let _writer = match self.backend {
            Backend::Sqlite => Some(self.sqlite_writer.lock().await),
            Backend::Postgres => None,
        };
        let mut conn = self.writer.acquire().await?;
        match self.backend {
            Backend::Sqlite => conn.execute("BEGIN IMMEDIATE").await?,
            Backend::Postgres => conn.execute("BEGIN").await?,
        };
        match rebuild(&mut conn).await {
            Ok(()) => {
                conn.execute("COMMIT").await?;
                Ok(())
            }
            Err(e) => {
                let _ = conn.execute("ROLLBACK").await;
                Err(e)
            }
        }
    }

    /// True when `fund`'s index sums to its log's head.
    async fn month_figures_agree(&self, fund: &str) -> Result<bool, StoreError> {
        let Some(f) = self.fund(fund).await? else {
            return Ok(true);
        };
        let sums = sqlx::query(
            "SELECT CAST(COALESCE(SUM(entries), 0) AS BIGINT), \
             CAST(COALESCE(SUM(delta_fen), 0) AS BIGINT), COALESCE(MAX(last_seq), -1) \
             FROM month_figures WHERE fund = $1",
        )
        .bind(fund)
        .fetch_one(&self.pool)
        .await?;
        let (entries, delta_fen, last): (i64, i64, i64) =
            (sums.try_get(0)?, sums.try_get(1)?, sums.try_get(2)?);
        let balance_fen = match f.size {
            0 => 0,
            n => self.entry(fund, n - 1).await?.map_or(0, |e| e.balance_fen),
        };
        Ok(entries as u64 == f.size && last == f.size as i64 - 1 && delta_fen == balance_fen)
    }

    /// The UTC offset of `fund`'s calendar, from its genesis entry (seq 0).
    async fn fund_offset(&self, fund: &str) -> Result<UtcOffset, StoreError> {
        let Some(row) = self.entry(fund, 0).await? else {
            return Ok(UtcOffset::CHINA);
        };
        let entry = Entry::parse(&row.bytes)
            .map_err(|error| Corruption::EntryBytes { seq: 0, error })?
            .entry;
        match entry.intent.body {
            ledger_core::body::Body::Genesis(g) => Ok(g.utc_offset),
            b => Err(Corruption::KindMismatch {
                seq: 0,
                expected: ledger_core::body::Kind::Genesis,
                found: b.kind(),
            }
            .into()),
        }
    }
}

/// Inside an open transaction holding the fund's append lock: replaces `fund`'s index
/// rows with the sums of its log.
async fn rebuild_in(
    conn: &mut AnyConnection,
    backend: Backend,
    fund: &str,
    offset: UtcOffset,
) -> Result<(), StoreError> {
    if backend == Backend::Postgres {
        // The fund's append lock: its head row.
        sqlx::query("SELECT head_seq FROM funds WHERE id = $1 FOR UPDATE")
            .bind(fund)
            .fetch_optional(&mut *conn)
            .await?;
    }
    sqlx::query("DELETE FROM month_figures WHERE fund = $1")
        .bind(fund)
        .execute(&mut *conn)
        .await?;
    let mut sums = Sums::new();
    {
        // Over the index only (a range on its second column steers both planners to it).
        let mut rows = sqlx::query(
            "SELECT seq, kind, delta_fen, recorded_at FROM entries \
             WHERE fund = $1 AND recorded_at >= ''",
        )
        .bind(fund)
        .fetch(&mut *conn);
        while let Some(r) = rows.try_next().await? {
            let seq: i64 = r.try_get(0)?;
            let kind: String = r.try_get(1)?;
            let recorded_at: String = r.try_get(3)?;
            add_to(
                &mut sums,
                offset,
                seq as u64,
                &kind,
                r.try_get(2)?,
                &recorded_at,
            )?;
        }
    }
    write_sums(conn, fund, &sums).await
}
