//! SQLite's group commit across funds: the ready batches of every fund share one
//! transaction, a few statements and one fsync, whatever the number of funds.
//!
//! One statement (sent with `BEGIN IMMEDIATE`) reads every part's head and stored
//! idempotency keys; each part is then checked and its rows, month figures, statutory
//! lines, head and signed checkpoint computed in memory; one statement writes the rows of
//! all parts (one multi-row `INSERT` per table for every fund of the group) and commits.
//! The statements' texts are padded to a few fixed shapes, so each is prepared once.
//! Should that combined write fail in the database, the transaction is rolled back, a new
//! one begun, and the parts written one by one, each in a savepoint of its own, so that a
//! part whose rows the database refuses fails alone and the others commit.

use std::collections::{HashMap, HashSet};

use ledger_core::hash::Hash;
use ledger_core::time::Instant;
use sqlx::{Executor, Row};

use super::append::{
    bind_sealed, stored_key, AppendOutcome, BatchError, BatchRows, GroupPart, Marks, PartOutcome,
    Rejection, TxConn, GROUP_SAVEPOINT, ROWS_PER_STATEMENT_MAX,
};
use super::months::BatchSums;
use super::statutory::{BatchLines, IndexShare};
use super::{Backend, Corruption, Query, Store, StoreError};

/// Most (fund, key) pairs looked up by one statement (two parameters each).
const KEYS_PER_STATEMENT_MAX: usize = 1_024;

/// The funds of a group are looked up by a list of this many (or more: the next multiple)
/// placeholders, those not used bound to NULL: the statement's text, and so its
/// prepared form, is the same whatever the number of funds.
const FUNDS_LOOKED_UP: usize = 64;

/// Stored idempotency keys: key → (seq, intent hash).
type Prior = HashMap<String, (u64, Hash)>;

/// The outcomes of one part's requests (before the commit).
type Outcomes = Vec<Result<AppendOutcome, Rejection>>;

/// One fund's part of a group, computed and waiting to be written.
struct PartWrite {
    fund: String,
    /// A new fund's row (its genesis is in the part): the operator key, hex, and when
    /// it was created.
    register: Option<(String, String)>,
    rows: BatchRows,
    sealed: Vec<(u64, Vec<u8>)>,
    sums: BatchSums,
    lines: BatchLines,
    /// The new head (seq, hash).
    head: (i64, Hash),
    /// The checkpoint's tree size and root, and the signed note.
    tree_size: i64,
    root: Hash,
    note: String,
}

impl Store {
    /// Commits the batches of several funds (SQLite: one writer) in ONE transaction and
    /// one fsync. On SQLite, with one part per fund: one statement reads every part's head
    /// and stored keys, each part is checked against its fund's rules in memory, and one
    /// statement writes every part's rows (entries, tree nodes, vault, month figures,
    /// statutory lines, heads, checkpoints) and commits; if that write fails in the
    /// database, it is rolled back and the parts are written one by one in a new
    /// transaction, each in a savepoint, so that a part that fails is rolled back alone
    /// and the other funds' parts commit. Otherwise (two parts of one fund, or PostgreSQL) the parts go one
    /// after the other in savepoints. Outcomes are returned only after the commit. `Err`:
    /// the whole group failed, nothing was written, every part's state must be rebuilt;
    /// a part's `Err`: nothing of it was written, its state must be rebuilt.
    ///
    /// Per fund nothing changes: each part is one batch of one fund, in its writer's
    /// order, with its own chain, head row and checkpoint.
    pub async fn commit_group(
        &self,
        now: Instant,
        parts: Vec<GroupPart<'_>>,
    ) -> Result<Vec<PartOutcome>, BatchError> {
        let mut seen = HashSet::new();
        let distinct = parts
            .iter()
            .all(|p| seen.insert(p.state.fund().as_str().to_owned()));
        if self.backend != Backend::Sqlite || !distinct {
            return self.commit_parts(now, parts).await;
        }
        let _writer = self.sqlite_writer.lock().await;
        let mut tx = TxConn::new(self.writer.acquire().await?);
        let (heads, mut prior) = match read_heads_and_keys(&mut tx, &parts).await {
            Ok(read) => read,
            Err(e) => {
                tx.abort().await;
                return Err(e);
            }
        };
        let mut outcomes: Vec<Option<PartOutcome>> = (0..parts.len()).map(|_| None).collect();
        let mut writes: Vec<(usize, Outcomes, PartWrite)> = Vec::with_capacity(parts.len());
        for (i, part) in parts.into_iter().enumerate() {
            let fund = part.state.fund().as_str();
            let head = heads.get(fund).copied();
            let prior = prior.remove(fund).unwrap_or_default();
            match self.prepare_part(&mut tx, now, head, prior, part).await {
                Ok((outs, Some(write))) => writes.push((i, outs, write)),
                Ok((outs, None)) => outcomes[i] = Some(Ok(outs)),
                Err(e) => outcomes[i] = Some(Err(e)),
            }
        }
        let all: Vec<&PartWrite> = writes.iter().map(|(_, _, w)| w).collect();
        // No savepoint around the combined write (SQLite would copy every page it
        // changes into the savepoint's journal): the transaction holds nothing else.
        let combined = if all.is_empty() {
            tx.conn()
                .execute("COMMIT")
                .await
                .map(|_| ())
                .map_err(Into::into)
        } else {
            write_parts(&mut tx, &all, None, "COMMIT").await
        };
        match combined {
            Ok(()) => {
                tx.committed();
                for (i, outs, _) in writes {
                    outcomes[i] = Some(Ok(outs));
                }
                return Ok(outcomes.into_iter().flatten().collect());
            }
            Err(e) if !all.is_empty() => {
                // Nothing of the group was written: roll back and write the parts one by
                // one in a new transaction. Their rows were computed on the heads read
                // under the first one; a part whose fund another process appended to in
                // between collides with that process's rows (same seq) and fails alone.
                // If even that cannot start, the whole group fails.
                let restart = "ROLLBACK; BEGIN IMMEDIATE";
                if let Err(restart_err) = tx.conn().execute(restart).await {
                    tracing::error!(error = %e, restart = %restart_err, "a group commit failed");
                    tx.abort().await;
                    return Err(e);
                }
                tracing::warn!(error = %e, "a group commit's combined write failed; writing its funds one by one");
            }
            Err(e) => {
                tx.abort().await;
                return Err(e);
            }
        }
        let release = format!("RELEASE {GROUP_SAVEPOINT}");
        for (i, outs, write) in writes {
            let written = write_parts(&mut tx, &[&write], Some(GROUP_SAVEPOINT), &release).await;
            outcomes[i] = Some(match written {
                Ok(()) => Ok(outs),
                Err(e) => {
                    let undo = format!("ROLLBACK TO {GROUP_SAVEPOINT}; RELEASE {GROUP_SAVEPOINT}");
                    if let Err(undo_err) = tx.conn().execute(undo.as_str()).await {
                        tx.abort().await;
                        return Err(undo_err.into());
                    }
                    Err(e)
                }
            });
        }
        match tx.conn().execute("COMMIT").await {
            Ok(_) => {
                tx.committed();
                Ok(outcomes.into_iter().flatten().collect())
            }
            Err(e) => {
                tx.abort().await;
                Err(e.into())
            }
        }
    }

    /// Checks one fund's part against its stored head (`None`: not registered) and keys
    /// (`prior`), in memory but for a catch-up or a replay's read, and computes what it
    /// writes: `None` if nothing (all replays or refusals). On `Err` nothing of it will be
    /// written and its state may be ahead of the store.
    async fn prepare_part(
        &self,
        tx: &mut TxConn,
        now: Instant,
        head: Option<i64>,
        prior: Prior,
        part: GroupPart<'_>,
    ) -> Result<(Outcomes, Option<PartWrite>), BatchError> {
        let GroupPart {
            state,
            log,
            requests,
        } = part;
        let fund = state.fund().to_string();
        let (head_seq, register) = match head {
            Some(seq) => (seq, None),
            // A new fund: its row is written with its genesis, so a refused genesis
            // leaves nothing behind.
            None if requests
                .first()
                .is_some_and(|r| matches!(r.intent.body, ledger_core::body::Body::Genesis(_))) =>
            {
                (-1, Some((state.operator().to_hex(), now.to_string())))
            }
            None => return Err(StoreError::from(Corruption::FundNotRegistered(fund)).into()),
        };
        // The log is the truth (as in a batch of its own).
        super::append::catch_up_to_head(tx.conn(), state, head_seq).await?;
        let (outcomes, rows) = Store::apply_batch(tx.conn(), &prior, state, now, requests).await?;
        if rows.entries.is_empty() {
            return Ok((outcomes, None));
        }
        let sums = BatchSums::of(state.utc_offset(), rows.entries.iter().map(|e| &e.row))?;
        let lines = BatchLines::of(
            &fund,
            state.utc_offset(),
            rows.entries.iter().map(|e| IndexShare {
                seq: e.row.seq,
                kind: e.kind,
                recorded_at: e.recorded_at,
                lines: &e.lines,
                event: e.event.as_ref(),
            }),
        )?;
        let sealed = rows.sealed(self.vault.as_ref(), &fund)?;
        let checkpoint = state.checkpoint(log.origin);
        let note = checkpoint.sign(log.key).map_err(StoreError::from)?;
        let head = (state.next_seq() as i64 - 1, state.head());
        Ok((
            outcomes,
            Some(PartWrite {
                fund,
                register,
                rows,
                sealed,
                sums,
                lines,
                head,
                tree_size: checkpoint.tree_size as i64,
                root: checkpoint.root,
                note,
            }),
        ))
    }
}

/// `BEGIN IMMEDIATE`, then every part's stored head (SQLite's writer lock is held: nothing
/// commits in between) and which of its keys are stored, in one statement (more if the
/// group holds more than [`KEYS_PER_STATEMENT_MAX`] keys). Funds absent from the heads
/// are not registered.
async fn read_heads_and_keys(
    tx: &mut TxConn,
    parts: &[GroupPart<'_>],
) -> Result<(HashMap<String, i64>, HashMap<String, Prior>), BatchError> {
    let funds: Vec<&str> = parts.iter().map(|p| p.state.fund().as_str()).collect();
    let pairs: Vec<(&str, &str)> = parts
        .iter()
        .flat_map(|p| {
            let fund = p.state.fund().as_str();
            p.requests
                .iter()
                .map(move |r| (fund, r.intent.key.as_str()))
        })
        .collect();
    let mut heads = HashMap::new();
    let mut prior: HashMap<String, Prior> = HashMap::new();
    let mut chunks = pairs.chunks(KEYS_PER_STATEMENT_MAX);
    let mut marks = Marks::new(Backend::Sqlite);
    // BEGIN IMMEDIATE takes SQLite's write lock now (see `TxConn::read_head_and_keys`).
    let looked_up = funds.len().div_ceil(FUNDS_LOOKED_UP).max(1) * FUNDS_LOOKED_UP;
    let mut sql = format!(
        "BEGIN IMMEDIATE;\nSELECT 0, head_seq, head_hash, NULL, id FROM funds WHERE id IN ({})",
        marks.list(looked_up)
    );
    let first = chunks.next().unwrap_or(&[]);
    if !first.is_empty() {
        sql.push_str(" UNION ALL ");
        sql.push_str(&keys_query(&mut marks, padded(first.len())));
    }
    let mut q = sqlx::query(&sql);
    for i in 0..looked_up {
        q = q.bind(funds.get(i).copied());
    }
    q = bind_pairs(q, first);
    let mut take = |rows: Vec<sqlx::any::AnyRow>| -> Result<(), BatchError> {
        for row in rows {
            let tag: i64 = row.try_get(0)?;
            let fund: String = row.try_get(4)?;
            if tag == 0 {
                heads.insert(fund, row.try_get::<i64, _>(1)?);
            } else {
                let (key, seq, hash) = stored_key(&row)?;
                prior.entry(fund).or_default().insert(key, (seq, hash));
            }
        }
        Ok(())
    };
    take(q.fetch_all(&mut *tx.conn()).await?)?;
    for chunk in chunks {
        let mut marks = Marks::new(Backend::Sqlite);
        let sql = keys_query(&mut marks, padded(chunk.len()));
        let q = bind_pairs(sqlx::query(&sql), chunk);
        take(q.fetch_all(&mut *tx.conn()).await?)?;
    }
    Ok((heads, prior))
}

/// How many (fund, key) pairs a lookup of `n` binds: the next power of two (at least
/// 16), so that a few statement texts, prepared once, serve every group.
fn padded(n: usize) -> usize {
    n.next_power_of_two().max(16)
}

/// Binds `pairs`, then NULL pairs (which match nothing) up to [`padded`].
fn bind_pairs<'q>(mut q: Query<'q>, pairs: &[(&'q str, &'q str)]) -> Query<'q> {
    for (f, k) in pairs {
        q = q.bind(*f).bind(*k);
    }
    for _ in pairs.len()..padded(pairs.len()) {
        q = q.bind(None::<&str>).bind(None::<&str>);
    }
    q
}

/// `SELECT 1, seq, intent_hash, idem_key, fund` of the entries whose (fund, key) is one
/// of `n` pairs (at least one), bound in order: one lookup of the unique index a pair.
fn keys_query(marks: &mut Marks, n: usize) -> String {
    format!(
        "SELECT 1, e.seq, e.intent_hash, e.idem_key, e.fund FROM (VALUES {}) AS k \
         JOIN entries e ON e.fund = k.column1 AND e.idem_key = k.column2",
        marks.rows(n, 2)
    )
}

/// The statements of [`write_parts`], with how many NULL rows pad each table's last
/// statement (bound after the table's rows).
struct Statements {
    sql: Vec<String>,
    marks: Marks,
    pads: Vec<(usize, usize)>,
}

impl Statements {
    /// Adds the statements that write `total` rows of `cols` columns, at most
    /// [`ROWS_PER_STATEMENT_MAX`] a statement, the last one padded with rows of NULLs up
    /// to a power of two (a row whose first column is NULL is not written): `text` makes
    /// a statement from its row source. So a few statement texts, each prepared once and
    /// then taken from the connection's cache, serve groups of any size.
    fn rows(&mut self, total: usize, cols: usize, text: impl Fn(&str) -> String) {
        let mut left = total;
        let mut pad = 0;
        while left > 0 {
            let n = left.min(ROWS_PER_STATEMENT_MAX);
            let padded = n.next_power_of_two().min(ROWS_PER_STATEMENT_MAX);
            pad = padded - n;
            self.sql.push(text(&format!(
                "SELECT * FROM (VALUES {}) WHERE column1 IS NOT NULL",
                self.marks.rows(padded, cols)
            )));
            left -= n;
        }
        self.pads.push((pad, cols));
    }
}

/// Binds `pad` rows of `cols` NULLs.
fn bind_pad(mut q: Query<'_>, (pad, cols): (usize, usize)) -> Query<'_> {
    for _ in 0..pad * cols {
        q = q.bind(None::<&str>);
    }
    q
}

/// Writes the rows of `parts` (new funds' rows, entries, tree nodes, vault, month
/// figures, statutory lines and events, heads, checkpoints: one multi-row statement per
/// table for all parts) in ONE statement sent once, in the savepoint `savepoint` if any,
/// then `end` (the savepoint's release, or the commit). On `Err` some of it may have
/// run: the caller rolls back (to the savepoint).
async fn write_parts(
    tx: &mut TxConn,
    parts: &[&PartWrite],
    savepoint: Option<&str>,
    end: &str,
) -> Result<(), BatchError> {
    let count = |f: fn(&PartWrite) -> usize| parts.iter().map(|p| f(p)).sum::<usize>();
    let mut st = Statements {
        sql: savepoint
            .map(|s| format!("SAVEPOINT {s}"))
            .into_iter()
            .collect(),
        marks: Marks::new(Backend::Sqlite),
        pads: Vec::new(),
    };
    st.rows(count(|p| usize::from(p.register.is_some())), 4, |rows| {
        format!(
            "INSERT INTO funds (id, operator_key, created_at, head_seq, head_hash) \
             SELECT column1, column2, column3, -1, column4 FROM ({rows})"
        )
    });
    st.rows(count(|p| p.rows.entries.len()), 10, |rows| {
        format!(
            "INSERT INTO entries (fund, seq, hash, kind, delta_fen, balance_fen, recorded_at, \
             idem_key, intent_hash, bytes) {rows}"
        )
    });
    st.rows(count(|p| p.rows.nodes.len()), 4, |rows| {
        format!("INSERT INTO tree_nodes (fund, level, idx, hash) {rows}")
    });
    st.rows(count(|p| p.sealed.len()), 3, |rows| {
        format!("INSERT INTO donor_vault_sealed (fund, seq, sealed) {rows}")
    });
    st.rows(count(|p| p.sums.rows()), 7, super::months::upsert_sql);
    st.rows(
        count(|p| p.lines.months()),
        11,
        super::statutory::lines_upsert_sql,
    );
    st.rows(count(|p| p.lines.events()), 4, |rows| {
        format!("{} {rows}", super::statutory::EVENTS_INSERT)
    });
    st.rows(parts.len(), 3, |rows| {
        format!(
            "UPDATE funds SET head_seq = v.column2, head_hash = v.column3 \
             FROM ({rows}) AS v WHERE funds.id = v.column1"
        )
    });
    st.rows(parts.len(), 4, |rows| {
        format!("INSERT INTO checkpoints (fund, tree_size, root, note) {rows}")
    });
    let Statements { mut sql, pads, .. } = st;
    sql.push(end.to_owned());
    let sql = sql.join(";\n");
    // Bound in the order the placeholders were written above: table by table, and
    // within a table part by part.
    let mut q = sqlx::query(&sql);
    for p in parts {
        if let Some((operator, created_at)) = &p.register {
            q = q
                .bind(p.fund.as_str())
                .bind(operator.as_str())
                .bind(created_at.as_str())
                .bind(vec![0u8; 32]);
        }
    }
    q = bind_pad(q, pads[0]);
    for p in parts {
        q = p.rows.bind_entries(q, &p.fund);
    }
    q = bind_pad(q, pads[1]);
    for p in parts {
        q = p.rows.bind_nodes(q, &p.fund);
    }
    q = bind_pad(q, pads[2]);
    for p in parts {
        q = bind_sealed(q, &p.fund, &p.sealed);
    }
    q = bind_pad(q, pads[3]);
    for p in parts {
        q = p.sums.bind(q, &p.fund);
    }
    q = bind_pad(q, pads[4]);
    for p in parts {
        q = p.lines.bind_months(q, &p.fund);
    }
    q = bind_pad(q, pads[5]);
    for p in parts {
        q = p.lines.bind_events(q, &p.fund);
    }
    q = bind_pad(q, pads[6]);
    for p in parts {
        q = q
            .bind(p.fund.as_str())
            .bind(p.head.0)
            .bind(p.head.1 .0.to_vec());
    }
    q = bind_pad(q, pads[7]);
    for p in parts {
        q = q
            .bind(p.fund.as_str())
            .bind(p.tree_size)
            .bind(p.root.0.to_vec())
            .bind(p.note.as_str());
    }
    q = bind_pad(q, pads[8]);
    q.execute(&mut *tx.conn()).await?;
    Ok(())
}
