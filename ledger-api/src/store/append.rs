//! The append path: one transaction per batch of a fund's appends (group commit).

use std::collections::HashMap;

use ledger_core::checkpoint::Checkpoint;
use ledger_core::entry::{Intent, Sig};
use ledger_core::hash::{sha256, Hash};
use ledger_core::note::NoteSigner;
use ledger_core::rules::RuleError;
use ledger_core::state::FundState;
use ledger_core::time::Instant;
use sqlx::pool::PoolConnection;
use sqlx::AnyConnection;
use sqlx::{Any, Executor, Row};

use super::{Backend, Corruption, Query, Store, StoreError};

/// A resident donor's identity, kept in the vault, never in the chain.
#[derive(Debug, Clone)]
pub struct VaultRecord {
    /// The commitment's salt.
    pub salt: [u8; 16],
    /// `name\nphone`.
    pub identity: String,
}

/// One signed intent to append. Its signatures have been verified by the caller.
#[derive(Debug, Clone)]
pub struct AppendRequest {
    /// JCS(intent): what was signed, byte for byte.
    pub intent_bytes: Vec<u8>,
    /// The parsed intent.
    pub intent: Intent,
    /// Verified signatures, sorted by key.
    pub sigs: Vec<Sig>,
    /// Vault record for a resident donation, if the trustee supplied the identity.
    pub vault: Option<VaultRecord>,
    /// Only for importing an existing log (the demo history, a migration): the time the
    /// entry was originally recorded. Requests from clients always carry `None` and are
    /// stamped with the server's clock.
    pub recorded_at: Option<Instant>,
}

impl AppendRequest {
    /// A request that imports an entry of an existing log (the demo history, a
    /// migration, a benchmark's data set): its signed intent and signatures as parsed
    /// from the line, recorded at its original time, with the donor's vault record if
    /// the log's owner kept one.
    pub fn imported(parsed: ledger_core::entry::ParsedEntry, vault: Option<VaultRecord>) -> Self {
        AppendRequest {
            recorded_at: Some(parsed.entry.recorded_at),
            intent_bytes: parsed.intent_bytes,
            intent: parsed.entry.intent,
            sigs: parsed.entry.sigs,
            vault,
        }
    }
}

/// What happened to a request that the store handled.
#[derive(Debug, Clone)]
pub enum AppendOutcome {
    /// Newly appended and committed.
    Appended(super::EntryRow),
    /// The same key and intent were recorded before: the original entry, nothing written.
    Replayed(super::EntryRow),
}

/// Why a single request was refused (nothing of it was written).
#[derive(Debug, Clone)]
pub enum Rejection {
    /// A rule of the fund.
    Rule(RuleError),
    /// The idempotency key was used before with a different intent.
    IdempotencyConflict {
        /// Seq of the entry that holds the key.
        seq: u64,
    },
}

/// The whole batch failed (database fault); nothing of it was written and the caller's
/// in-memory state must be rebuilt from the store.
#[derive(Debug, thiserror::Error)]
#[error("append batch failed: {0}")]
pub struct BatchError(#[from] pub StoreError);

impl From<sqlx::Error> for BatchError {
    fn from(e: sqlx::Error) -> Self {
        BatchError(StoreError::Db(e))
    }
}

/// Where a fund's checkpoints say they come from, and who signs them.
pub struct LogSigner<'a> {
    /// `<deployment origin>/<fund id>`.
    pub origin: &'a str,
    /// The deployment's log key.
    pub key: &'a NoteSigner,
}

impl Store {
    /// Registers a fund (before its genesis entry). Idempotent.
    pub async fn create_fund(
        &self,
        fund: &str,
        operator_key: &str,
        now: Instant,
    ) -> Result<(), StoreError> {
        // Portable insert-if-absent (no upsert: the database refuses those on `funds`).
        let sql = "INSERT INTO funds (id, operator_key, created_at, head_seq, head_hash) \
                   SELECT $1, $2, $3, -1, $4 WHERE NOT EXISTS (SELECT 1 FROM funds WHERE id = $1)";
        sqlx::query(sql)
            .bind(fund)
            .bind(operator_key)
            .bind(now.to_string())
            .bind(vec![0u8; 32])
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Appends a batch of requests to one fund in ONE transaction, under the fund's lock:
    /// [`Store::open_batch`] then [`OpenBatch::commit`].
    pub async fn commit_batch(
        &self,
        state: &mut FundState,
        log: &LogSigner<'_>,
        now: Instant,
        requests: Vec<AppendRequest>,
    ) -> Result<Vec<Result<AppendOutcome, Rejection>>, BatchError> {
        let keys: Vec<&str> = requests.iter().map(|r| r.intent.key.as_str()).collect();
        let open = self.open_batch(state.fund().as_str(), &keys).await?;
        open.commit(state, log, now, requests).await
    }

    /// Opens a fund's append transaction: takes the fund's lock (the SQLite writer, with
    /// `BEGIN IMMEDIATE`; the fund's head row `FOR UPDATE` on PostgreSQL), reads the
    /// stored head and which of `keys` (the batch's idempotency keys) are already stored.
    ///
    /// On SQLite the head and the keys come back from one statement: under the writer
    /// lock nothing can commit between them. On PostgreSQL the keys are read by a second
    /// statement after the lock is held, so that they include whatever the previous
    /// holder of the lock committed (a statement sees the data committed before it began).
    ///
    /// The caller may do other work (the batch's signature check) while this runs; the
    /// transaction is committed or rolled back by [`OpenBatch::commit`], and rolled back
    /// if the `OpenBatch` is dropped.
    pub async fn open_batch<'s>(
        &'s self,
        fund: &str,
        keys: &[&str],
    ) -> Result<OpenBatch<'s>, BatchError> {
        let writer = match self.backend {
            Backend::Sqlite => Some(self.sqlite_writer.lock().await),
            Backend::Postgres => None,
        };
        let mut tx = TxConn::new(self.writer.acquire().await?);
        match tx
            .read_head_and_keys(self.backend, "BEGIN IMMEDIATE;", fund, keys)
            .await
        {
            Ok((head, prior)) => Ok(OpenBatch {
                store: self,
                tx,
                _writer: writer,
                head,
                prior,
            }),
            Err(e) => {
                tx.abort().await;
                Err(e)
            }
        }
    }

    /// Checks each request against the idempotency keys already stored (`prior`, read
    /// when the batch was opened) and against the fund's rules, and collects the rows of
    /// those accepted.
    pub(super) async fn apply_batch(
        tx: &mut AnyConnection,
        prior: &HashMap<String, (u64, Hash)>,
        state: &mut FundState,
        now: Instant,
        requests: Vec<AppendRequest>,
    ) -> Result<(Vec<Result<AppendOutcome, Rejection>>, BatchRows), BatchError> {
        let fund = state.fund().to_string();
        let (answers, rows) = apply_requests(prior, state, now, requests);
        let mut outcomes = Vec::with_capacity(answers.len());
        for answer in answers {
            outcomes.push(match answer {
                Ok(Answer::Now(outcome)) => Ok(outcome),
                Ok(Answer::Stored(seq)) => {
                    let row = super::read::entry_in(tx, &fund, seq)
                        .await?
                        .ok_or_else(|| Corruption::EntryVanished {
                            fund: fund.clone(),
                            seq,
                        })
                        .map_err(StoreError::from)?;
                    Ok(AppendOutcome::Replayed(row))
                }
                Err(r) => Err(r),
            });
        }
        Ok((outcomes, rows))
    }
}

/// A request's answer as [`apply_requests`] finds it.
pub(super) enum Answer {
    /// Known now: appended, or a replay of an entry of this batch.
    Now(AppendOutcome),
    /// A replay of the stored entry at this seq (to be read).
    Stored(u64),
}

/// Checks each request against the idempotency keys already stored (`prior`) and those
/// taken by the batch so far, and against the fund's rules (moving `state` past those
/// accepted), and collects the rows of those accepted. No I/O: a replay of a stored
/// entry is answered [`Answer::Stored`], for the caller to read.
pub(super) fn apply_requests(
    prior: &HashMap<String, (u64, Hash)>,
    state: &mut FundState,
    now: Instant,
    requests: Vec<AppendRequest>,
) -> (Vec<Result<Answer, Rejection>>, BatchRows) {
    // Keys taken by this batch so far: key → (intent hash, row index).
    let mut taken: HashMap<String, (Hash, usize)> = HashMap::new();
    let mut rows = BatchRows::default();
    let mut outcomes = Vec::with_capacity(requests.len());
    for req in requests {
        let intent_hash = sha256(&req.intent_bytes);
        let key = req.intent.key.as_str().to_owned();
        if let Some((seq, stored)) = prior.get(&key) {
            outcomes.push(if *stored == intent_hash {
                Ok(Answer::Stored(*seq))
            } else {
                Err(Rejection::IdempotencyConflict { seq: *seq })
            });
            continue;
        }
        if let Some((stored, i)) = taken.get(&key) {
            let row = &rows.entries[*i];
            outcomes.push(if *stored == intent_hash {
                Ok(Answer::Now(AppendOutcome::Replayed(row.row.clone())))
            } else {
                Err(Rejection::IdempotencyConflict { seq: row.row.seq })
            });
            continue;
        }
        let appended = match state.append(
            req.intent,
            &req.intent_bytes,
            req.sigs,
            req.recorded_at.unwrap_or(now),
        ) {
            Ok(a) => a,
            Err(e) => {
                outcomes.push(Err(Rejection::Rule(e)));
                continue;
            }
        };
        let event = ledger_core::calendar::Event::of(&appended.entry, state.utc_offset());
        let (kind, recorded_at) = (appended.entry.intent.kind(), appended.entry.recorded_at);
        let lines = appended.lines;
        let row = super::EntryRow {
            seq: appended.entry.seq,
            hash: appended.hash,
            kind: appended.entry.intent.kind().as_str().to_owned(),
            delta_fen: appended.delta.to_fen(),
            balance_fen: appended.balance.to_fen(),
            recorded_at: appended.entry.recorded_at.to_string(),
            bytes: appended.bytes,
        };
        taken.insert(key.clone(), (intent_hash, rows.entries.len()));
        rows.nodes.extend(appended.nodes);
        if let Some(v) = req.vault {
            rows.vault.push((row.seq, v));
        }
        outcomes.push(Ok(Answer::Now(AppendOutcome::Appended(row.clone()))));
        rows.entries.push(NewEntry {
            row,
            key,
            intent_hash,
            kind,
            recorded_at,
            lines,
            event,
        });
    }
    (outcomes, rows)
}

/// A fund's append transaction, opened by [`Store::open_batch`]: the lock is held, the
/// stored head and the batch's stored idempotency keys are known.
pub struct OpenBatch<'s> {
    store: &'s Store,
    tx: TxConn,
    /// This process's SQLite writer, held until the batch commits or is dropped.
    _writer: Option<tokio::sync::MutexGuard<'s, ()>>,
    /// The stored head seq (-1 before the genesis), `None` if the fund is not registered.
    head: Option<i64>,
    /// Idempotency key → (seq, intent hash) of those already stored.
    prior: HashMap<String, (u64, Hash)>,
}

impl OpenBatch<'_> {
    /// Rolls the transaction back (nothing was written) and releases the lock.
    pub async fn rollback(self) -> Result<(), StoreError> {
        self.tx.rollback().await
    }

    /// Catches `state` (the caller's projection of the fund) up with the store (another
    /// process may have appended), checks each request against it and, if it passes,
    /// writes it with its Merkle nodes. The head row and a new signed checkpoint are
    /// written last, then the transaction commits: only then are the outcomes returned.
    /// `requests` must be among those whose keys were given to [`Store::open_batch`], and
    /// their signatures verified. On `Err`, nothing was written and `state` may be ahead
    /// of the store: rebuild it.
    pub async fn commit(
        self,
        state: &mut FundState,
        log: &LogSigner<'_>,
        now: Instant,
        requests: Vec<AppendRequest>,
    ) -> Result<Vec<Result<AppendOutcome, Rejection>>, BatchError> {
        let OpenBatch {
            store,
            mut tx,
            _writer,
            head,
            prior,
        } = self;
        let result = commit_in(
            &mut tx,
            store.backend,
            store.vault.as_ref(),
            head,
            prior,
            state,
            log,
            now,
            requests,
            End::Commit,
        )
        .await;
        if result.is_err() {
            tx.abort().await;
        }
        result
    }
}

/// How a fund's batch ends its writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// Its own transaction: commit it.
    Commit,
    /// One fund's part of a group commit: release its savepoint [`GROUP_SAVEPOINT`]
    /// (the group commits after its last part).
    Release,
}

/// The savepoint of one fund's part of a group commit: a part that fails is rolled back
/// to it alone.
pub(super) const GROUP_SAVEPOINT: &str = "fund_part";

/// One fund's part of a group commit ([`Store::commit_group`]): its state (the writer's
/// projection of the fund), where its checkpoints come from, and its requests (their
/// signatures verified).
pub struct GroupPart<'a> {
    /// The fund's state: moved past the part's entries if it commits.
    pub state: &'a mut FundState,
    /// The fund's checkpoint origin and the log key.
    pub log: LogSigner<'a>,
    /// The requests, signatures verified.
    pub requests: Vec<AppendRequest>,
}

/// The outcome of one fund's part of a group: one outcome per request, or the part's
/// failure (nothing of it written; its state must be rebuilt).
pub type PartOutcome = Result<Vec<Result<AppendOutcome, Rejection>>, BatchError>;

impl Store {
    /// [`Store::commit_group`] one part after the other: `BEGIN IMMEDIATE`, then each
    /// fund's part as [`OpenBatch::commit`] does it (head and idempotency keys read,
    /// catch-up, rules, rows, head row, checkpoint) inside a savepoint, then `COMMIT`. A
    /// part that fails is rolled back to its savepoint alone: the other funds' parts
    /// commit. Outcomes are returned only after the commit. `Err`: the whole group
    /// failed, nothing was written, every part's state must be rebuilt. (Used when a
    /// group holds two parts of one fund, which the combined path cannot read ahead.)
    pub(super) async fn commit_parts(
        &self,
        now: Instant,
        parts: Vec<GroupPart<'_>>,
    ) -> Result<Vec<PartOutcome>, BatchError> {
        let _writer = self.sqlite_writer.lock().await;
        let mut tx = TxConn::new(self.writer.acquire().await?);
        if let Err(e) = tx.conn().execute("BEGIN IMMEDIATE").await {
            tx.abort().await;
            return Err(e.into());
        }
        let mut outcomes = Vec::with_capacity(parts.len());
        for part in parts {
            let outcome = self.group_part(&mut tx, now, part).await;
            if outcome.is_err() {
                let undo = format!("ROLLBACK TO {GROUP_SAVEPOINT}; RELEASE {GROUP_SAVEPOINT}");
                if let Err(e) = tx.conn().execute(undo.as_str()).await {
                    tx.abort().await;
                    return Err(e.into());
                }
            }
            outcomes.push(outcome);
        }
        match tx.conn().execute("COMMIT").await {
            Ok(_) => {
                tx.committed();
                Ok(outcomes)
            }
            Err(e) => {
                tx.abort().await;
                Err(e.into())
            }
        }
    }

    /// One fund's part of [`Store::commit_group`], in its savepoint.
    async fn group_part(&self, tx: &mut TxConn, now: Instant, part: GroupPart<'_>) -> PartOutcome {
        let fund = part.state.fund().to_string();
        let keys: Vec<&str> = part
            .requests
            .iter()
            .map(|r| r.intent.key.as_str())
            .collect();
        let begin = format!("SAVEPOINT {GROUP_SAVEPOINT};");
        let (head, prior) = tx
            .read_head_and_keys(self.backend, &begin, &fund, &keys)
            .await?;
        commit_in(
            tx,
            self.backend,
            self.vault.as_ref(),
            head,
            prior,
            part.state,
            &part.log,
            now,
            part.requests,
            End::Release,
        )
        .await
    }
}

/// The body of [`OpenBatch::commit`] (`end`: [`End::Commit`]) or of a fund's part of a
/// group commit ([`End::Release`]), in the open transaction `tx`; on `Err` the caller
/// aborts the transaction (or rolls the part back).
#[allow(clippy::too_many_arguments)]
async fn commit_in(
    tx: &mut TxConn,
    backend: Backend,
    vault: Option<&super::VaultKey>,
    head: Option<i64>,
    prior: HashMap<String, (u64, Hash)>,
    state: &mut FundState,
    log: &LogSigner<'_>,
    now: Instant,
    requests: Vec<AppendRequest>,
    end: End,
) -> Result<Vec<Result<AppendOutcome, Rejection>>, BatchError> {
    let fund = state.fund().to_string();
    let mut prior = prior;
    let head_seq = match head {
        Some(seq) => seq,
        // A new fund: its row is written in the same transaction as its genesis, so a
        // refused genesis leaves nothing behind.
        None if requests
            .first()
            .is_some_and(|r| matches!(r.intent.body, ledger_core::body::Body::Genesis(_))) =>
        {
            let inserted = sqlx::query(
                "INSERT INTO funds (id, operator_key, created_at, head_seq, head_hash) \
                 VALUES ($1, $2, $3, -1, $4) ON CONFLICT (id) DO NOTHING",
            )
            .bind(&fund)
            .bind(state.operator().to_hex())
            .bind(now.to_string())
            .bind(vec![0u8; 32])
            .execute(&mut *tx.conn())
            .await?
            .rows_affected();
            if inserted == 1 {
                -1
            } else {
                // Another server on the same PostgreSQL registered the fund after this
                // batch opened (the insert waited for its transaction and found its row):
                // read the head and the batch's keys again under the row's lock, so that
                // this batch is answered as if it had come after that one (a replay, or
                // the rule's refusal of a second genesis), never with a key conflict.
                let keys: Vec<&str> = requests.iter().map(|r| r.intent.key.as_str()).collect();
                let (head, again) = tx.reread_head_and_keys(backend, &fund, &keys).await?;
                prior = again;
                head.ok_or_else(|| StoreError::from(Corruption::FundNotRegistered(fund.clone())))?
            }
        }
        None => return Err(StoreError::from(Corruption::FundNotRegistered(fund)).into()),
    };
    catch_up_to_head(tx.conn(), state, head_seq).await?;

    let (outcomes, rows) = Store::apply_batch(tx.conn(), &prior, state, now, requests).await?;
    if rows.entries.is_empty() {
        // Nothing to write (all replays or refusals): roll back, leave no trace.
        match end {
            End::Commit => {
                tx.conn().execute("ROLLBACK").await?;
                tx.committed();
            }
            End::Release => {
                let undo = format!("ROLLBACK TO {GROUP_SAVEPOINT}; RELEASE {GROUP_SAVEPOINT}");
                tx.conn().execute(undo.as_str()).await?;
            }
        }
        return Ok(outcomes);
    }
    // The per-month index, written by the same statement as the rows (store/months.rs).
    let sums =
        super::months::BatchSums::of(state.utc_offset(), rows.entries.iter().map(|e| &e.row))?;
    // The statutory index, in the same transaction (store/statutory.rs).
    super::statutory::add_batch(
        tx.conn(),
        &fund,
        state.utc_offset(),
        rows.entries.iter().map(NewEntry::index_share),
    )
    .await?;
    let checkpoint = state.checkpoint(log.origin);
    let note = checkpoint.sign(log.key).map_err(StoreError::from)?;
    let head = (state.next_seq() as i64 - 1, state.head());
    rows.write_and_commit(
        tx,
        backend,
        vault,
        &fund,
        &sums,
        head,
        &checkpoint,
        &note,
        end,
    )
    .await?;
    Ok(outcomes)
}

/// Binds sealed vault rows of `fund` (3 values a row: fund, seq, sealed record).
pub(super) fn bind_sealed<'q>(
    mut q: Query<'q>,
    fund: &'q str,
    sealed: &'q [(u64, Vec<u8>)],
) -> Query<'q> {
    for (seq, v) in sealed {
        q = q.bind(fund).bind(*seq as i64).bind(v.as_slice());
    }
    q
}

/// Catches `state` up with what the store holds after it (another process may have
/// appended) and checks that the fund's head row (`head_seq`, read under the fund's lock)
/// is then the log's last entry. The log is the truth: a row moved behind the writer's
/// back (or a state ahead of the store) is refused here; the caller rebuilds the state,
/// which names the damage.
pub(super) async fn catch_up_to_head(
    conn: &mut AnyConnection,
    state: &mut FundState,
    head_seq: i64,
) -> Result<(), BatchError> {
    super::rebuild::catch_up(conn, state, head_seq).await?;
    let log_seq = state.next_seq() as i64 - 1;
    if head_seq != log_seq {
        return Err(StoreError::from(Corruption::HeadSeqDisagrees {
            fund: state.fund().to_string(),
            row_seq: head_seq,
            log_seq,
        })
        .into());
    }
    Ok(())
}

/// A connection of the writer pool inside a transaction that the append path opened
/// itself (`BEGIN` and `COMMIT` travel with the first and last statements on SQLite: one
/// round trip to the database each instead of three more). A `TxConn` that is dropped
/// before [`TxConn::commit`] or [`TxConn::rollback`] closes its connection instead of
/// returning it to the pool in an unknown transaction state; the database then rolls
/// the transaction back.
pub(super) struct TxConn {
    conn: Option<PoolConnection<Any>>,
}

impl TxConn {
    pub(super) fn new(conn: PoolConnection<Any>) -> TxConn {
        TxConn { conn: Some(conn) }
    }

    /// The connection (present until the transaction ends).
    pub(super) fn conn(&mut self) -> &mut AnyConnection {
        self.conn
            .as_mut()
            .expect("a TxConn holds its connection until it ends")
    }

    /// Begins the transaction and reads, under the fund's lock, the stored head seq
    /// (`None` if the fund is not registered) and which of `keys` are already stored. On
    /// SQLite, `begin` is sent with the first read: `BEGIN IMMEDIATE;` for a batch of its
    /// own, a `SAVEPOINT` for a fund's part of a group commit.
    async fn read_head_and_keys(
        &mut self,
        backend: Backend,
        begin: &str,
        fund: &str,
        keys: &[&str],
    ) -> Result<(Option<i64>, HashMap<String, (u64, Hash)>), BatchError> {
        let mut head = None;
        let mut prior = HashMap::new();
        let mut chunks = keys.chunks(ROWS_PER_STATEMENT_MAX);
        match backend {
            Backend::Sqlite => {
                let first = chunks.next().unwrap_or(&[]);
                let mut marks = Marks::new(backend);
                let (head_mark, fund_mark) = (marks.next(), marks.next());
                // BEGIN IMMEDIATE takes SQLite's write lock now: a deferred transaction
                // that reads first could find, at its first write, that another process
                // wrote since (SQLITE_BUSY).
                let sql = format!(
                    "{begin}\n\
                     SELECT 0, head_seq, head_hash, NULL FROM funds WHERE id = {head_mark} \
                     UNION ALL {}",
                    keys_query(&mut marks, &fund_mark, first.len())
                );
                let mut q = sqlx::query(&sql).bind(fund).bind(fund);
                for k in first {
                    q = q.bind(*k);
                }
                for row in q.fetch_all(&mut *self.conn()).await? {
                    let tag: i64 = row.try_get(0)?;
                    if tag == 0 {
                        head = Some(row.try_get::<i64, _>(1)?);
                    } else {
                        let (key, seq, hash) = stored_key(&row)?;
                        prior.insert(key, (seq, hash));
                    }
                }
            }
            Backend::Postgres => {
                // BEGIN and the head row's lock in ONE round trip: a query without
                // parameters goes as a simple query, which may hold several statements.
                // The fund id is written into it as a quoted literal (ids are lowercase
                // letters, digits and hyphens: `FundId`; quotes are doubled anyway).
                let sql = format!(
                    "BEGIN; SELECT head_seq FROM funds WHERE id = '{}' FOR UPDATE",
                    fund.replace('\'', "''")
                );
                let rows = self.conn().fetch_all(sql.as_str()).await?;
                head = rows.first().map(|r| r.try_get::<i64, _>(0)).transpose()?;
            }
        }
        for chunk in chunks {
            self.read_keys(backend, fund, chunk, &mut prior).await?;
        }
        Ok((head, prior))
    }

    /// Adds to `prior` those of `keys` (at most [`ROWS_PER_STATEMENT_MAX`]) that the fund
    /// has stored, with their seq and intent hash.
    async fn read_keys(
        &mut self,
        backend: Backend,
        fund: &str,
        keys: &[&str],
        prior: &mut HashMap<String, (u64, Hash)>,
    ) -> Result<(), BatchError> {
        let mut marks = Marks::new(backend);
        let fund_mark = marks.next();
        let sql = keys_query(&mut marks, &fund_mark, keys.len());
        let mut q = sqlx::query(&sql).bind(fund);
        for k in keys {
            q = q.bind(*k);
        }
        for row in q.fetch_all(&mut *self.conn()).await? {
            let (key, seq, hash) = stored_key(&row)?;
            prior.insert(key, (seq, hash));
        }
        Ok(())
    }

    /// Inside the open transaction: the fund's stored head seq (`None` if it is not
    /// registered), locking its row on PostgreSQL (SQLite's writer lock is already held).
    async fn head_seq(&mut self, backend: Backend, fund: &str) -> Result<Option<i64>, BatchError> {
        let sql = match backend {
            Backend::Sqlite => "SELECT head_seq FROM funds WHERE id = $1",
            Backend::Postgres => "SELECT head_seq FROM funds WHERE id = $1 FOR UPDATE",
        };
        Ok(sqlx::query(sql)
            .bind(fund)
            .fetch_optional(&mut *self.conn())
            .await?
            .map(|r| r.try_get::<i64, _>(0))
            .transpose()?)
    }

    /// Inside the open transaction: reads the fund's head again, locking its row on
    /// PostgreSQL, and which of `keys` are stored (after a concurrent registration).
    async fn reread_head_and_keys(
        &mut self,
        backend: Backend,
        fund: &str,
        keys: &[&str],
    ) -> Result<(Option<i64>, HashMap<String, (u64, Hash)>), BatchError> {
        let head = self.head_seq(backend, fund).await?;
        let mut prior = HashMap::new();
        for chunk in keys.chunks(ROWS_PER_STATEMENT_MAX) {
            self.read_keys(backend, fund, chunk, &mut prior).await?;
        }
        Ok((head, prior))
    }

    /// The transaction committed: the connection goes back to the pool.
    pub(super) fn committed(&mut self) {
        self.conn = None;
    }

    /// Rolls the transaction back and returns the connection to the pool.
    async fn rollback(mut self) -> Result<(), StoreError> {
        self.conn().execute("ROLLBACK").await?;
        self.conn = None;
        Ok(())
    }

    /// After a failure: rolls back if the transaction is still open, and closes the
    /// connection whatever happens (its state is not known for sure).
    pub(super) async fn abort(mut self) {
        if let Some(mut conn) = self.conn.take() {
            let _ = conn.execute("ROLLBACK").await;
            conn.close_on_drop();
        }
    }
}

impl Drop for TxConn {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.as_mut() {
            conn.close_on_drop();
        }
    }
}

/// `SELECT 1, seq, intent_hash, idem_key` of the fund's entries whose key is one of `n`
/// keys; the fund is bound at `fund_mark`, the keys after it.
fn keys_query(marks: &mut Marks, fund_mark: &str, n: usize) -> String {
    if n == 0 {
        // `IN ()` is not SQL.
        return "SELECT 1, seq, intent_hash, idem_key FROM entries WHERE 1 = 0".to_owned();
    }
    format!(
        "SELECT 1, seq, intent_hash, idem_key FROM entries WHERE fund = {fund_mark} AND idem_key IN ({})",
        marks.list(n)
    )
}

/// (key, seq, intent hash) from a row of [`keys_query`].
pub(super) fn stored_key(row: &sqlx::any::AnyRow) -> Result<(String, u64, Hash), BatchError> {
    let seq: i64 = row.try_get(1)?;
    let hash: Vec<u8> = row.try_get(2)?;
    let key: String = row.try_get(3)?;
    let hash: [u8; 32] = hash.try_into().map_err(|_| {
        StoreError::from(Corruption::Width {
            column: "intent hash",
            bytes: 32,
        })
    })?;
    Ok((key, seq as u64, Hash(hash)))
}

/// Most rows written (or keys looked up) by one statement; far below the bind-parameter
/// limits of SQLite (32,766) and PostgreSQL (65,535) at 10 columns a row.
pub(super) const ROWS_PER_STATEMENT_MAX: usize = 256;

/// An accepted entry waiting to be written.
pub(super) struct NewEntry {
    pub(super) row: super::EntryRow,
    pub(super) key: String,
    pub(super) intent_hash: Hash,
    /// Its kind and time, its share of the statutory lines and its calendar event.
    pub(super) kind: ledger_core::body::Kind,
    pub(super) recorded_at: Instant,
    pub(super) lines: ledger_core::statutory::MonthLines,
    pub(super) event: Option<ledger_core::calendar::Event>,
}

/// Everything a batch writes, written with a few multi-row statements.
#[derive(Default)]
pub(super) struct BatchRows {
    pub(super) entries: Vec<NewEntry>,
    pub(super) nodes: Vec<(ledger_core::merkle::NodeId, Hash)>,
    pub(super) vault: Vec<(u64, VaultRecord)>,
}

/// Bind-parameter placeholders in the backend's style, in the order they are written
/// (and must be bound): `$1, $2, …` on PostgreSQL, `?` on SQLite. (sqlx looks up a
/// numbered SQLite parameter by name, a scan of the statement's parameter list for each
/// one: quadratic in a batch's hundreds of parameters; `?` is taken in order.)
pub(super) struct Marks {
    backend: Backend,
    count: usize,
}

impl Marks {
    pub(super) fn new(backend: Backend) -> Marks {
        Marks { backend, count: 0 }
    }

    /// The next placeholder.
    fn next(&mut self) -> String {
        self.count += 1;
        match self.backend {
            Backend::Sqlite => "?".to_owned(),
            Backend::Postgres => format!("${}", self.count),
        }
    }

    /// `n` placeholders separated by commas.
    pub(super) fn list(&mut self, n: usize) -> String {
        (0..n).map(|_| self.next()).collect::<Vec<_>>().join(", ")
    }

    /// `(…), (…)`: `rows` rows of `cols` placeholders.
    pub(super) fn rows(&mut self, rows: usize, cols: usize) -> String {
        (0..rows)
            .map(|_| format!("({})", self.list(cols)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl BatchRows {
    /// Binds its entry rows of `fund` (10 values a row, in the column order of the
    /// `INSERT INTO entries` of [`BatchRows::write_and_commit`] and the group commit).
    pub(super) fn bind_entries<'q>(&'q self, mut q: Query<'q>, fund: &'q str) -> Query<'q> {
        for e in &self.entries {
            q = q
                .bind(fund)
                .bind(e.row.seq as i64)
                .bind(e.row.hash.0.to_vec())
                .bind(e.row.kind.as_str())
                .bind(e.row.delta_fen)
                .bind(e.row.balance_fen)
                .bind(e.row.recorded_at.as_str())
                .bind(e.key.as_str())
                .bind(e.intent_hash.0.to_vec())
                .bind(e.row.bytes.as_slice());
        }
        q
    }

    /// Binds its Merkle node rows of `fund` (4 values a row: fund, level, index, hash).
    pub(super) fn bind_nodes<'q>(&'q self, mut q: Query<'q>, fund: &'q str) -> Query<'q> {
        for (node, h) in &self.nodes {
            q = q
                .bind(fund)
                .bind(i64::from(node.level))
                .bind(node.index as i64)
                .bind(h.0.to_vec());
        }
        q
    }

    /// The vault's records sealed to their rows (fund, seq), before they are bound: the
    /// vault must be open if there are any.
    pub(super) fn sealed(
        &self,
        vault: Option<&super::VaultKey>,
        fund: &str,
    ) -> Result<Vec<(u64, Vec<u8>)>, BatchError> {
        match (vault, self.vault.is_empty()) {
            (_, true) => Ok(Vec::new()),
            (None, false) => Err(StoreError::from(super::VaultError::Locked).into()),
            (Some(key), false) => Ok(self
                .vault
                .iter()
                .map(|(seq, v)| key.seal(fund, *seq, v).map(|s| (*seq, s)))
                .collect::<Result<Vec<_>, super::VaultError>>()
                .map_err(StoreError::from)?),
        }
    }

    /// Writes the batch's entries, Merkle nodes, vault rows and month figures (`sums`),
    /// moves the head to `head` (seq, hash) and stores the signed checkpoint, all in ONE
    /// statement sent once: a
    /// chain of data-modifying CTEs on PostgreSQL, statements separated by `;` on SQLite
    /// (numbered parameters are shared across them). One round trip to the database
    /// instead of one per table.
    #[allow(clippy::too_many_arguments)]
    async fn write_and_commit(
        &self,
        tx: &mut TxConn,
        backend: Backend,
        vault: Option<&super::VaultKey>,
        fund: &str,
        sums: &super::months::BatchSums,
        head: (i64, Hash),
        checkpoint: &Checkpoint,
        note: &str,
        end: End,
    ) -> Result<(), BatchError> {
        let sealed = self.sealed(vault, fund)?;
        let mut marks = Marks::new(backend);
        let mut parts = Vec::new();
        for chunk in self.entries.chunks(ROWS_PER_STATEMENT_MAX) {
            parts.push(format!(
                "INSERT INTO entries (fund, seq, hash, kind, delta_fen, balance_fen, recorded_at, \
                 idem_key, intent_hash, bytes) VALUES {}",
                marks.rows(chunk.len(), 10)
            ));
        }
        for chunk in self.nodes.chunks(ROWS_PER_STATEMENT_MAX) {
            parts.push(format!(
                "INSERT INTO tree_nodes (fund, level, idx, hash) VALUES {}",
                marks.rows(chunk.len(), 4)
            ));
        }
        for chunk in sealed.chunks(ROWS_PER_STATEMENT_MAX) {
            parts.push(format!(
                "INSERT INTO donor_vault_sealed (fund, seq, sealed) VALUES {}",
                marks.rows(chunk.len(), 3)
            ));
        }
        parts.extend(sums.statements(|rows, cols| marks.rows(rows, cols)));
        let (seq_mark, hash_mark, id_mark) = (marks.next(), marks.next(), marks.next());
        parts.push(format!(
            "UPDATE funds SET head_seq = {seq_mark}, head_hash = {hash_mark} WHERE id = {id_mark}"
        ));
        let last = format!(
            "INSERT INTO checkpoints (fund, tree_size, root, note) VALUES {}",
            marks.rows(1, 4)
        );
        let sql = match backend {
            Backend::Sqlite => {
                parts.push(last);
                // The commit (or the part's release) travels with the writes.
                parts.push(match end {
                    End::Commit => "COMMIT".to_owned(),
                    End::Release => format!("RELEASE {GROUP_SAVEPOINT}"),
                });
                parts.join(";\n")
            }
            Backend::Postgres => {
                let ctes: Vec<String> = parts
                    .iter()
                    .enumerate()
                    .map(|(i, p)| format!("w{i} AS ({p})"))
                    .collect();
                format!("WITH {} {last}", ctes.join(", "))
            }
        };
        // Bound in the order the placeholders were written above.
        let mut q = self.bind_entries(sqlx::query(&sql), fund);
        q = self.bind_nodes(q, fund);
        q = bind_sealed(q, fund, &sealed);
        q = sums.bind(q, fund);
        q = q
            .bind(head.0)
            .bind(head.1 .0.to_vec())
            .bind(fund)
            .bind(fund)
            .bind(checkpoint.tree_size as i64)
            .bind(checkpoint.root.0.to_vec())
            .bind(note);
        q.execute(&mut *tx.conn()).await?;
        if end == End::Commit {
            if backend == Backend::Postgres {
                tx.conn().execute("COMMIT").await?;
            }
            tx.committed();
        }
        Ok(())
    }
}
