//! PostgreSQL's one-round-trip append: a fund's batch computed from its writer's state in
//! memory and written by one call of `ledger_append_batch` (migration 0012) in autocommit.
//!
//! The function locks the fund's head row and writes the batch only if the head is still
//! the one the writer's state is at (seq and hash); the state then holds every idempotency
//! key of the log, so the state's own check of the batch's keys is the log's. The rows go
//! as arrays, one per column, through statements of a fixed text (prepared once per
//! connection): one round trip and one commit per batch, where the transaction path
//! ([`super::OpenBatch`]) takes five.
//!
//! When the writer cannot know the answer from its state (a key the state has used: a
//! replay or a conflict, to be answered from the stored entry; a batch with nothing to
//! write; the fund's genesis), [`Store::append_fast`] declines before touching the state
//! and the caller takes the transaction path. When the head moved (another server on the
//! same database appended), the call writes nothing and the state is ahead of the store:
//! the caller reloads it, then takes the transaction path, which catches up under the
//! lock and answers the batch as if it came after the other server's.

use std::collections::HashMap;

use ledger_core::state::FundState;
use ledger_core::time::Instant;
use sqlx::postgres::{PgPool, PgPoolOptions};

use super::append::{apply_requests, Answer, BatchRows, NewEntry};
use super::{AppendOutcome, AppendRequest, BatchError, LogSigner, Rejection, Store, StoreError};

/// What [`Store::append_fast`] did with a batch.
pub enum FastAppend {
    /// Written and committed (or refused whole by the database: nothing written, the
    /// state ahead of the store, to be rebuilt), as [`super::OpenBatch::commit`] answers.
    Done(Result<Vec<Result<AppendOutcome, Rejection>>, BatchError>),
    /// Not tried: the state could not answer the batch alone. The state is unchanged;
    /// the requests come back for the transaction path.
    Declined(Vec<AppendRequest>),
    /// The fund's head moved since the state was taken (another server appended), or the
    /// fund is not registered: nothing was written, but the state moved past the batch
    /// and must be reloaded before the requests (back here) take the transaction path.
    Moved(Vec<AppendRequest>),
}

/// Connections of the fast path's pool (one per fund writer committing at once).
const FAST_CONNECTIONS_MAX: u32 = 16;

/// The pool of typed PostgreSQL connections that the fast path uses (the `Any` driver
/// binds no arrays), connected when first used. No ping before each use: a connection
/// that fails is closed, and the batch is answered as failed.
pub(super) fn fast_pool(url: &str) -> Result<PgPool, StoreError> {
    Ok(PgPoolOptions::new()
        .max_connections(FAST_CONNECTIONS_MAX)
        .acquire_timeout(std::time::Duration::from_secs(30))
        .test_before_acquire(false)
        .connect_lazy(url)?)
}

/// The call: every array of the batch, in the function's parameter order.
const CALL: &str = "SELECT ledger_append_batch($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
     $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, \
     $30, $31, $32, $33, $34, $35, $36, $37, $38, $39, $40, $41)";

impl Store {
    /// Appends `requests` (signatures verified) to the fund of `state` in one call of
    /// `ledger_append_batch`, if the state alone can answer them: see the module docs and
    /// [`FastAppend`]. `Declined` on SQLite.
    pub async fn append_fast(
        &self,
        state: &mut FundState,
        log: &LogSigner<'_>,
        now: Instant,
        requests: Vec<AppendRequest>,
    ) -> FastAppend {
        let Some(pool) = self.pg.as_ref() else {
            return FastAppend::Declined(requests);
        };
        if state.next_seq() == 0
            || requests
                .iter()
                .any(|r| state.key_used(r.intent.key.as_str()))
        {
            return FastAppend::Declined(requests);
        }
        let fund = state.fund().to_string();
        let head = (state.next_seq() as i64 - 1, state.head());
        let kept = requests.clone();
        let (answers, rows) = apply_requests(&HashMap::new(), state, now, requests);
        if rows.entries.is_empty() {
            // Nothing accepted: the state did not move. Whether a refused request is in
            // fact a replay (of an entry another server stored) is for the store to say.
            return FastAppend::Declined(kept);
        }
        let mut outcomes = Vec::with_capacity(answers.len());
        for a in answers {
            outcomes.push(match a {
                Ok(Answer::Now(o)) => Ok(o),
                // No key was known as stored: nothing to read.
                Ok(Answer::Stored(seq)) => {
                    return FastAppend::Done(Err(StoreError::from(
                        super::Corruption::EntryVanished { fund, seq },
                    )
                    .into()))
                }
                Err(r) => Err(r),
            });
        }
        match call(pool, self.vault.as_ref(), state, log, head, &rows).await {
            Ok(true) => FastAppend::Done(Ok(outcomes)),
            Ok(false) => FastAppend::Moved(kept),
            Err(e) => FastAppend::Done(Err(e)),
        }
    }
}

/// Calls `ledger_append_batch` with `rows` (the state is past them) on a connection of
/// `pool`, in autocommit: true when written and committed, false when the head was not
/// `head` (nothing written).
async fn call(
    pool: &PgPool,
    vault: Option<&super::VaultKey>,
    state: &FundState,
    log: &LogSigner<'_>,
    head: (i64, ledger_core::hash::Hash),
    rows: &BatchRows,
) -> Result<bool, BatchError> {
    let fund = state.fund().as_str();
    let sealed = rows.sealed(vault, fund)?;
    let sums =
        super::months::BatchSums::of(state.utc_offset(), rows.entries.iter().map(|e| &e.row))?;
    let (l_rows, events) = super::statutory::index_rows(
        fund,
        state.utc_offset(),
        rows.entries.iter().map(NewEntry::index_share),
    )?;
    let checkpoint = state.checkpoint(log.origin);
    let note = checkpoint.sign(log.key).map_err(StoreError::from)?;

    let es = &rows.entries;
    let col = |f: &dyn Fn(&NewEntry) -> i64| es.iter().map(f).collect::<Vec<i64>>();
    let f_rows: Vec<_> = sums.by_month_kind().collect();
    let l_col = |f: &dyn Fn(&ledger_core::statutory::MonthLines) -> i64| {
        l_rows.iter().map(|(_, (l, _))| f(l)).collect::<Vec<i64>>()
    };
    let q = sqlx::query_scalar::<_, String>(CALL)
        .bind(fund)
        .bind(head.0)
        .bind(head.1 .0.to_vec())
        // entries
        .bind(col(&|e| e.row.seq as i64))
        .bind(es.iter().map(|e| e.row.hash.0.to_vec()).collect::<Vec<_>>())
        .bind(es.iter().map(|e| e.row.kind.clone()).collect::<Vec<_>>())
        .bind(col(&|e| e.row.delta_fen))
        .bind(col(&|e| e.row.balance_fen))
        .bind(
            es.iter()
                .map(|e| e.row.recorded_at.clone())
                .collect::<Vec<_>>(),
        )
        .bind(es.iter().map(|e| e.key.clone()).collect::<Vec<_>>())
        .bind(
            es.iter()
                .map(|e| e.intent_hash.0.to_vec())
                .collect::<Vec<_>>(),
        )
        .bind(es.iter().map(|e| e.row.bytes.clone()).collect::<Vec<_>>())
        // tree nodes
        .bind(
            rows.nodes
                .iter()
                .map(|(n, _)| i64::from(n.level))
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.nodes
                .iter()
                .map(|(n, _)| n.index as i64)
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.nodes
                .iter()
                .map(|(_, h)| h.0.to_vec())
                .collect::<Vec<_>>(),
        )
        // vault
        .bind(sealed.iter().map(|(s, _)| *s as i64).collect::<Vec<_>>())
        .bind(sealed.into_iter().map(|(_, v)| v).collect::<Vec<_>>())
        // month figures
        .bind(
            f_rows
                .iter()
                .map(|((m, _), _)| m.to_string())
                .collect::<Vec<_>>(),
        )
        .bind(
            f_rows
                .iter()
                .map(|((_, k), _)| k.clone())
                .collect::<Vec<_>>(),
        )
        .bind(f_rows.iter().map(|(_, v)| v.0 as i64).collect::<Vec<_>>())
        .bind(f_rows.iter().map(|(_, v)| v.1).collect::<Vec<_>>())
        .bind(f_rows.iter().map(|(_, v)| v.2 as i64).collect::<Vec<_>>())
        .bind(f_rows.iter().map(|(_, v)| v.3 as i64).collect::<Vec<_>>())
        // month lines
        .bind(
            l_rows
                .iter()
                .map(|(m, _)| m.to_string())
                .collect::<Vec<_>>(),
        )
        .bind(l_col(&|l| l.donation_unrestricted))
        .bind(l_col(&|l| l.donation_restricted))
        .bind(l_col(&|l| l.service))
        .bind(l_col(&|l| l.other))
        .bind(l_col(&|l| l.program))
        .bind(l_col(&|l| l.admin))
        .bind(l_col(&|l| l.releases))
        .bind(l_col(&|l| l.donations as i64))
        .bind(
            l_rows
                .iter()
                .map(|(_, (_, last))| *last as i64)
                .collect::<Vec<_>>(),
        )
        // disclosure events
        .bind(events.iter().map(|(s, _, _)| *s as i64).collect::<Vec<_>>())
        .bind(
            events
                .iter()
                .map(|(_, k, _)| k.as_str().to_owned())
                .collect::<Vec<_>>(),
        )
        .bind(events.into_iter().map(|(_, _, j)| j).collect::<Vec<_>>())
        // the new head and its checkpoint
        .bind(state.next_seq() as i64 - 1)
        .bind(state.head().0.to_vec())
        .bind(checkpoint.tree_size as i64)
        .bind(checkpoint.root.0.to_vec())
        .bind(note);
    let mut conn = pool.acquire().await.map_err(StoreError::Db)?;
    // `fetch_all` returns at the end of the exchange (ReadyForQuery), after the implicit
    // transaction committed: the answer is never sent before the commit.
    match q.fetch_all(&mut *conn).await {
        Ok(answer) => match answer.first().map(String::as_str) {
            Some("ok") => Ok(true),
            Some("moved") | Some("unregistered") => Ok(false),
            other => Err(StoreError::Db(sqlx::Error::Protocol(format!(
                "ledger_append_batch answered {other:?}"
            )))
            .into()),
        },
        Err(e) => {
            // Its state is not known for sure: not back into the pool.
            conn.close_on_drop();
            Err(StoreError::Db(e).into())
        }
    }
}

impl NewEntry {
    /// Its share of the statutory index.
    pub(super) fn index_share(&self) -> super::statutory::IndexShare<'_> {
        super::statutory::IndexShare {
            seq: self.row.seq,
            kind: self.kind,
            recorded_at: self.recorded_at,
            lines: &self.lines,
            event: self.event.as_ref(),
        }
    }
}
