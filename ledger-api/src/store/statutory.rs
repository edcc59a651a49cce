//! The statutory index: each fund's 业务活动表 lines per local month (`month_lines`) and
//! the entries its disclosure calendar takes (`disclosure_events`), kept with the entries.
//!
//! **Invariant:** for every fund, `month_lines` holds one row per local month with entries,
//! the sum of the core's [`MonthLines::of`] over that month's entries, and
//! `disclosure_events` one row per entry that gives a calendar [`Event`] (its
//! [`Event::of`]). [`add_batch`] writes a batch's share in the transaction that appends it,
//! so the index and the log commit together. The figures are the core's: this module only
//! stores and adds them.
//!
//! At start [`Store::ensure_statutory_index`] checks the index against `month_figures`
//! (itself checked against the log first: each month's change of net assets, its last seq,
//! the donations and the count of calendar entries by kind) and against the fund's
//! restricted money as its state holds it; where they disagree it rebuilds the fund's rows
//! by replaying its log through the core's rules, once.
//!
//! A report or a calendar is then a read of one row per month and a few per statement
//! ([`Store::statutory_books`], [`Store::disclosure_calendar`]): bounded work per request
//! at any log length.

use std::collections::BTreeMap;

use futures_util::TryStreamExt;
use ledger_core::body::Kind;
use ledger_core::calendar::{Calendar, Event};
use ledger_core::ids::FundId;
use ledger_core::keys::PublicKey;
use ledger_core::replay::{prepare_stored, replay, OnRefusal};
use ledger_core::state::FundState;
use ledger_core::statutory::{Books, MonthLines};
use ledger_core::time::{Date, Instant, UtcOffset};
use sqlx::{AnyConnection, Row};

use super::months::MonthIndexCheck;
use super::{Backend, Corruption, Query, Store, StoreError};

/// The kinds whose entries give a calendar [`Event`].
const EVENT_KINDS: [Kind; 5] = [
    Kind::Genesis,
    Kind::Statement,
    Kind::Restriction,
    Kind::RestrictionRevocation,
    Kind::RestrictionClosing,
];

/// Rows per statement when the index is written (11 columns a row).
const ROWS_PER_STATEMENT_MAX: usize = 64;

/// One new entry's share of the index.
pub(super) struct IndexShare<'a> {
    /// Its seq.
    pub seq: u64,
    /// Its kind.
    pub kind: Kind,
    /// Its `recorded_at`.
    pub recorded_at: Instant,
    /// Its share of its month's lines.
    pub lines: &'a MonthLines,
    /// What the calendar takes from it.
    pub event: Option<&'a Event>,
}

/// Lines being summed by month, with the month's last seq.
type Months = BTreeMap<Date, (MonthLines, u64)>;

/// Calendar events of new entries: (seq, kind, event).
type Events = Vec<(u64, Kind, Event)>;

fn overflow(fund: &str) -> StoreError {
    Corruption::StatutoryIndexDisagrees(fund.to_owned()).into()
}

/// Adds a batch's new entries to `fund`'s statutory index, on `conn` inside the batch's
/// open transaction (the append path's one call, beside [`super::months::BatchSums`]).
pub(super) async fn add_batch(
    conn: &mut AnyConnection,
    fund: &str,
    offset: UtcOffset,
    shares: impl IntoIterator<Item = IndexShare<'_>>,
) -> Result<(), StoreError> {
    let (months, events) = sum_shares(fund, offset, shares)?;
    write(conn, fund, &months, &events).await
}

/// A batch's new entries summed by month, with their calendar events.
fn sum_shares<'a>(
    fund: &str,
    offset: UtcOffset,
    shares: impl IntoIterator<Item = IndexShare<'a>>,
) -> Result<(Months, Events), StoreError> {
    let mut months = Months::new();
    let mut events = Vec::new();
    for s in shares {
        let month = s.recorded_at.local_date(offset).first_of_month();
        let m = months.entry(month).or_default();
        m.0.add(s.lines).map_err(|_| overflow(fund))?;
        m.1 = m.1.max(s.seq);
        if let Some(e) = s.event {
            events.push((s.seq, s.kind, e.clone()));
        }
    }
    Ok((months, events))
}

/// Writes `months` (added to the rows there) and `events` on `conn`.
async fn write(
    conn: &mut AnyConnection,
    fund: &str,
    months: &Months,
    events: &[(u64, Kind, Event)],
) -> Result<(), StoreError> {
    let rows: Vec<_> = months.iter().collect();
    for chunk in rows.chunks(ROWS_PER_STATEMENT_MAX) {
        let values = (0..chunk.len())
            .map(|i| {
                let marks: Vec<String> = (1..=11).map(|c| format!("${}", i * 11 + c)).collect();
                format!("({})", marks.join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = lines_upsert_sql(&format!("VALUES {values}"));
        let mut q = sqlx::query(&sql);
        for (month, row) in chunk {
            q = bind_month_row(q, fund, month, row);
        }
        q.execute(&mut *conn).await?;
    }
    for (seq, kind, event) in events {
        let json = serde_json::to_string(event).map_err(|_| overflow(fund))?;
        sqlx::query(&format!("{EVENTS_INSERT} VALUES ($1, $2, $3, $4)"))
            .bind(fund)
            .bind(*seq as i64)
            .bind(kind.as_str())
            .bind(json)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Binds one month row of `fund` (11 values, in [`lines_upsert_sql`]'s column order):
/// the month, its sums and the last seq that added to them.
fn bind_month_row<'q>(
    q: Query<'q>,
    fund: &'q str,
    month: &Date,
    (l, last): &(MonthLines, u64),
) -> Query<'q> {
    q.bind(fund)
        .bind(month.to_string())
        .bind(l.donation_unrestricted)
        .bind(l.donation_restricted)
        .bind(l.service)
        .bind(l.other)
        .bind(l.program)
        .bind(l.admin)
        .bind(l.releases)
        .bind(l.donations as i64)
        .bind(*last as i64)
}

/// A batch's share of the statutory index, to be written by the statement that writes
/// the rows of a SQLite group commit (`store/append.rs`): its month rows (11 columns:
/// [`BatchLines::bind_months`]) and its event rows (4 columns: [`BatchLines::bind_events`]),
/// added with [`lines_upsert_sql`] and [`EVENTS_INSERT`].
pub(super) struct BatchLines {
    months: Vec<(Date, (MonthLines, u64))>,
    /// (seq, kind, the event as JSON).
    events: Vec<(u64, Kind, String)>,
}

impl BatchLines {
    /// Sums `shares` (a batch's new entries of `fund`, whose calendar is at `offset`).
    pub(super) fn of<'a>(
        fund: &str,
        offset: UtcOffset,
        shares: impl IntoIterator<Item = IndexShare<'a>>,
    ) -> Result<BatchLines, StoreError> {
        let (months, events) = index_rows(fund, offset, shares)?;
        Ok(BatchLines { months, events })
    }

    /// Its month rows (bound by [`BatchLines::bind_months`]).
    pub(super) fn months(&self) -> usize {
        self.months.len()
    }

    /// Its event rows (bound by [`BatchLines::bind_events`]).
    pub(super) fn events(&self) -> usize {
        self.events.len()
    }

    /// Binds its month rows of `fund`, in order (11 values a row).
    pub(super) fn bind_months<'q>(&'q self, mut q: Query<'q>, fund: &'q str) -> Query<'q> {
        for (month, row) in &self.months {
            q = bind_month_row(q, fund, month, row);
        }
        q
    }

    /// Binds its event rows of `fund`, in order (4 values a row).
    pub(super) fn bind_events<'q>(&'q self, mut q: Query<'q>, fund: &'q str) -> Query<'q> {
        for (seq, kind, json) in &self.events {
            q = q
                .bind(fund)
                .bind(*seq as i64)
                .bind(kind.as_str())
                .bind(json.as_str());
        }
        q
    }
}

/// Inserts calendar events: `EVENTS_INSERT` then their rows (`VALUES` or a `SELECT` of
/// 4 columns).
pub(super) const EVENTS_INSERT: &str = "INSERT INTO disclosure_events (fund, seq, kind, event)";

/// Adds month rows (`rows`: `VALUES` or a `SELECT` of 11 columns) to the rows there.
pub(super) fn lines_upsert_sql(rows: &str) -> String {
    let sum = |c: &str| format!("{c} = month_lines.{c} + excluded.{c}");
    format!(
        "INSERT INTO month_lines (fund, month, donation_unrestricted_fen, \
         donation_restricted_fen, service_fen, other_fen, program_fen, admin_fen, \
         releases_fen, donations, last_seq) {rows} \
         ON CONFLICT (fund, month) DO UPDATE SET {}, last_seq = excluded.last_seq",
        [
            "donation_unrestricted_fen",
            "donation_restricted_fen",
            "service_fen",
            "other_fen",
            "program_fen",
            "admin_fen",
            "releases_fen",
            "donations",
        ]
        .map(sum)
        .join(", ")
    )
}

impl Store {
    /// `fund`'s statutory lines by month, as [`Books`] (one row per month read).
    pub async fn statutory_books(&self, fund: &str) -> Result<Books, StoreError> {
        Ok(Books::from_months(
            self.month_lines(fund)
                .await?
                .into_iter()
                .map(|(m, (l, _))| (m, l)),
        ))
    }

    /// `fund`'s disclosure calendar, from its indexed events (a few rows per month read).
    pub async fn disclosure_calendar(&self, fund: &str) -> Result<Calendar, StoreError> {
        Ok(Calendar::from_events(
            self.disclosure_events(fund)
                .await?
                .into_iter()
                .map(|(_, _, e)| e),
        ))
    }

    async fn month_lines(&self, fund: &str) -> Result<Months, StoreError> {
        let rows = sqlx::query(
            "SELECT month, donation_unrestricted_fen, donation_restricted_fen, service_fen, \
             other_fen, program_fen, admin_fen, releases_fen, donations, last_seq \
             FROM month_lines WHERE fund = $1 ORDER BY month",
        )
        .bind(fund)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let month: String = r.try_get(0)?;
                let lines = MonthLines {
                    donation_unrestricted: r.try_get(1)?,
                    donation_restricted: r.try_get(2)?,
                    service: r.try_get(3)?,
                    other: r.try_get(4)?,
                    program: r.try_get(5)?,
                    admin: r.try_get(6)?,
                    releases: r.try_get(7)?,
                    donations: r.try_get::<i64, _>(8)? as u64,
                };
                let last = r.try_get::<i64, _>(9)? as u64;
                Ok((
                    Date::parse(&month).map_err(Corruption::Time)?,
                    (lines, last),
                ))
            })
            .collect()
    }

    async fn disclosure_events(&self, fund: &str) -> Result<Vec<(u64, String, Event)>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, kind, event FROM disclosure_events WHERE fund = $1 ORDER BY seq",
        )
        .bind(fund)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let seq = r.try_get::<i64, _>(0)? as u64;
                let json: String = r.try_get(2)?;
                let event = serde_json::from_str(&json)
                    .map_err(|_| Corruption::StatutoryIndexDisagrees(fund.to_owned()))?;
                Ok((seq, r.try_get(1)?, event))
            })
            .collect()
    }

    /// Checks `fund`'s statutory index against its per-month index (which must already
    /// agree with the log: [`Store::ensure_month_figures`]) and, when given, against the
    /// restricted money its state holds (`restricted_fen`); rebuilds it from the log when
    /// they disagree, and checks again.
    pub async fn ensure_statutory_index(
        &self,
        fund: &str,
        restricted_fen: Option<i64>,
    ) -> Result<MonthIndexCheck, StoreError> {
        if self.statutory_index_agrees(fund, restricted_fen).await? {
            return Ok(MonthIndexCheck::Agrees);
        }
        let Some(row) = self.fund(fund).await? else {
            return Ok(MonthIndexCheck::Agrees);
        };
        let backend = self.backend;
        self.rebuild_in_transaction(move |conn| {
            Box::pin(async move { rebuild_in(conn, backend, &row).await })
        })
        .await?;
        if !self.statutory_index_agrees(fund, restricted_fen).await? {
            return Err(Corruption::StatutoryIndexDisagrees(fund.to_owned()).into());
        }
        tracing::info!(%fund, "statutory index rebuilt from the log");
        Ok(MonthIndexCheck::Rebuilt)
    }

    /// True when `fund`'s statutory index agrees with its per-month index and state.
    async fn statutory_index_agrees(
        &self,
        fund: &str,
        restricted_fen: Option<i64>,
    ) -> Result<bool, StoreError> {
        let figures = self.month_figures(fund).await?;
        let lines = self.month_lines(fund).await?;
        let events = match self.disclosure_events(fund).await {
            Ok(e) => e,
            Err(StoreError::Corrupt(_)) => return Ok(false),
            Err(e) => return Err(e),
        };
        // Per month: the change of net assets and the last seq.
        let mut by_month: BTreeMap<Date, (i64, u64)> = BTreeMap::new();
        let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
        for f in &figures {
            let m = by_month.entry(f.month).or_default();
            m.0 += f.delta_fen;
            m.1 = m.1.max(f.last_seq);
            *counts.entry(f.kind.as_str()).or_default() += f.entries;
        }
        if by_month.len() != lines.len() {
            return Ok(false);
        }
        let mut restricted = 0i64;
        let mut donations = 0u64;
        for ((month, (l, last)), (fm, (delta, flast))) in lines.iter().zip(&by_month) {
            let Ok([u, r]) = l.net_change() else {
                return Ok(false);
            };
            if month != fm || u.checked_add(r) != Some(*delta) || last != flast {
                return Ok(false);
            }
            restricted += r;
            donations += l.donations;
        }
        if donations != counts.get(Kind::Donation.as_str()).copied().unwrap_or(0) {
            return Ok(false);
        }
        if restricted_fen.is_some_and(|want| want != restricted) {
            return Ok(false);
        }
        for kind in EVENT_KINDS {
            let want = counts.get(kind.as_str()).copied().unwrap_or(0);
            let got = events.iter().filter(|e| e.1 == kind.as_str()).count() as u64;
            if want != got {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// Inside an open transaction holding the fund's append lock: replaces `fund`'s
/// statutory index with what a replay of its log through the core's rules gives.
async fn rebuild_in(
    conn: &mut AnyConnection,
    backend: Backend,
    fund: &super::FundRow,
) -> Result<(), StoreError> {
    let id = &fund.id;
    if backend == Backend::Postgres {
        sqlx::query("SELECT head_seq FROM funds WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    }
    for table in ["month_lines", "disclosure_events"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE fund = $1"))
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    let fund_id = FundId::parse(id).map_err(|source| Corruption::FundId {
        id: id.clone(),
        source,
    })?;
    let operator =
        PublicKey::from_hex(&fund.operator_key).map_err(|source| Corruption::OperatorKey {
            fund: id.clone(),
            source,
        })?;
    let mut state = FundState::new(fund_id, operator);
    let mut months = Months::new();
    let mut events = Vec::new();
    {
        let mut rows = sqlx::query("SELECT bytes FROM entries WHERE fund = $1 ORDER BY seq")
            .bind(id)
            .fetch(&mut *conn);
        while let Some(r) = rows.try_next().await? {
            let bytes: Vec<u8> = r.try_get(0)?;
            let done =
                replay(&mut state, prepare_stored(&bytes), OnRefusal::Stop).map_err(|r| {
                    Corruption::Entry {
                        seq: r.seq,
                        refusal: r.refusal,
                    }
                })?;
            let offset = state.utc_offset();
            let entry = &done.entry;
            let month = entry.recorded_at.local_date(offset).first_of_month();
            let m = months.entry(month).or_default();
            m.0.add(&MonthLines::of(entry, &done.applied))
                .map_err(|_| overflow(id))?;
            m.1 = m.1.max(entry.seq);
            if let Some(e) = Event::of(entry, offset) {
                events.push((entry.seq, entry.intent.kind(), e));
            }
        }
    }
    write(conn, id, &months, &events).await
}

/// A batch's share of the index as PostgreSQL's one-round-trip append binds it
/// (`store/append_pg.rs`): its lines by month, with each month's last seq, and its
/// calendar events (seq, kind, the event as JSON).
pub(super) type IndexRows = (Vec<(Date, (MonthLines, u64))>, Vec<(u64, Kind, String)>);

/// Sums `shares` (a batch's new entries of `fund`, whose calendar is at `offset`) into
/// [`IndexRows`].
pub(super) fn index_rows<'a>(
    fund: &str,
    offset: UtcOffset,
    shares: impl IntoIterator<Item = IndexShare<'a>>,
) -> Result<IndexRows, StoreError> {
    let (months, events) = sum_shares(fund, offset, shares)?;
    let events = events
        .into_iter()
        .map(|(seq, kind, e)| {
            serde_json::to_string(&e)
                .map(|json| (seq, kind, json))
                .map_err(|_| overflow(fund))
        })
        .collect::<Result<_, _>>()?;
    Ok((months.into_iter().collect(), events))
}
