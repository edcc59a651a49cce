//! Fund writers: one task per fund owns the fund's state and appends its entries in
//! batches (group commit). Requests queue on a channel while a commit is in flight; the
//! next commit takes all of them in one transaction, and each caller is answered only
//! after that commit. A request reaches a writer only as a [`CheckedRequest`]: its
//! signatures verified by the strict write rule on arrival, on the caller's task (so
//! callers check in parallel), which implies the read rule (ZIP-215); the writer does not
//! verify them again.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use ledger_core::body::{Body, Statement};
use ledger_core::entry::{check_signature_list, EntryError, Intent, Sig};
use ledger_core::ids::FundId;
use ledger_core::keys::PublicKey;
use ledger_core::note::NoteSigner;
use ledger_core::rules::RuleError;
use ledger_core::state::FundState;
use ledger_core::time::{Instant, Period};
use tokio::sync::{mpsc, oneshot, RwLock};

use crate::store::{
    AppendOutcome, AppendRequest, Backend, BatchError, Corruption, FastAppend, FundRow, GroupPart,
    LogSigner, Rejection, Store, StoreError, VaultRecord,
};

/// Most requests committed in one transaction.
pub const BATCH_REQUESTS_MAX: usize = 256;
/// Most times a writer yields to let more requests join a batch (see [`gather`]).
pub const GATHER_YIELDS_MAX: usize = 8;
/// Most funds' batches committed in one group transaction (SQLite).
pub const GROUP_FUNDS_MAX: usize = 64;
/// Requests waiting per fund before callers are told to retry later.
pub const QUEUE_REQUESTS_MAX: usize = 4_096;
/// A fund's writer stores a snapshot of its state each time its log crosses a multiple of
/// this many entries (and at a graceful stop): loading a fund replays at most about this
/// many entries (plus one batch) after its snapshot.
pub const SNAPSHOT_ENTRIES: u64 = 4_096;
/// A fund without a snapshot is loaded by replaying its log on the spot up to this size;
/// a larger one (a deployment of a version without snapshots, a deleted row) is rebuilt
/// in the background like a snapshot that fails its check, its writes refused meanwhile.
pub const REPLAY_INLINE_MAX: u64 = 16_384;
/// PostgreSQL: after a batch found that another server appended to its fund, how many of
/// the fund's next batches take the transaction path (which catches up under the lock)
/// before the one-round-trip path is tried again ([`Store::append_fast`]): two servers
/// appending to one fund would otherwise reload the state at every turn.
pub const FAST_PATH_BACKOFF_BATCHES: u32 = 64;

/// Where the time comes from (a test may pin it).
pub type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

/// The system clock, to the second.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Instant::from_unix_seconds(secs).unwrap_or(Instant::MIN)
    })
}

/// Why an append did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AppendFailure {
    /// The intent or its signatures are malformed or do not verify.
    #[error(transparent)]
    Entry(#[from] EntryError),
    /// The store refused it (a rule, or an idempotency conflict).
    #[error("{0:?}")]
    Rejected(Rejection),
    /// No such fund (and the intent is not a genesis).
    #[error("no such fund")]
    UnknownFund,
    /// The fund's queue is full: retry later.
    #[error("too many pending appends for this fund")]
    Busy,
    /// The database failed; nothing was written.
    #[error("store: {0}")]
    Store(Arc<StoreError>),
    /// The fund's writer stopped (its state could not be rebuilt from the store).
    #[error("the fund's writer stopped")]
    WriterStopped,
    /// The fund is quarantined: its stored rows disagree with its log. Nothing was
    /// written.
    #[error("fund {fund} is damaged: {reason}")]
    FundDamaged {
        /// The fund.
        fund: String,
        /// What disagrees.
        reason: Arc<str>,
    },
    /// The fund's state is being rebuilt from its log (its stored state failed its check
    /// at load): its writes are refused until then. Nothing was written.
    #[error("fund {fund} is rebuilding its state from its log")]
    Rebuilding {
        /// The fund.
        fund: String,
    },
}

impl From<StoreError> for AppendFailure {
    fn from(e: StoreError) -> Self {
        AppendFailure::Store(Arc::new(e))
    }
}

/// Why a statement could not be drafted, or a fund's state read ([`Ledger::read_state`]).
#[derive(Debug, thiserror::Error)]
pub enum DraftFailure {
    /// The period cannot be drafted (not whole months, before the fund, still open).
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// No such fund.
    #[error("no such fund")]
    UnknownFund,
    /// The database failed.
    #[error("store: {0}")]
    Store(Arc<StoreError>),
    /// The fund's writer stopped.
    #[error("the fund's writer stopped")]
    WriterStopped,
    /// The fund is quarantined (see [`AppendFailure::FundDamaged`]).
    #[error("fund {fund} is damaged: {reason}")]
    FundDamaged {
        /// The fund.
        fund: String,
        /// What disagrees.
        reason: Arc<str>,
    },
    /// The fund's state is being rebuilt (see [`AppendFailure::Rebuilding`]).
    #[error("fund {fund} is rebuilding its state from its log")]
    Rebuilding {
        /// The fund.
        fund: String,
    },
}

/// A statement drafted from a fund's state: the body trustees sign, and how many must.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The statement's figures.
    pub statement: Statement,
    /// Signatures the statement needs under the fund's policy.
    pub required_signatures: u32,
}

/// Takes `first` and the requests queued behind it, up to [`BATCH_REQUESTS_MAX`], for one
/// commit. Callers answered by the previous commit are typically about to send their
/// next request: while the last yield brought new requests, the writer yields again (at
/// most [`GATHER_YIELDS_MAX`] times) so that they join this commit instead of waiting a
/// whole commit for the next one. A yield only lets tasks that are ready run; it never
/// waits on a timer, so a lone request is not delayed.
///
/// Reads of the state met on the way are set aside in `drafts`, to be answered after the
/// commit, and snapshot requests in `saves`.
async fn gather(
    first: Job,
    rx: &mut mpsc::Receiver<Msg>,
    drafts: &mut Vec<ReadJob>,
    saves: &mut Vec<oneshot::Sender<()>>,
) -> Vec<Job> {
    let mut jobs = vec![first];
    let mut drain = |jobs: &mut Vec<Job>, rx: &mut mpsc::Receiver<Msg>| {
        while jobs.len() < BATCH_REQUESTS_MAX {
            match rx.try_recv() {
                Ok(Msg::Append(j)) => jobs.push(j),
                Ok(Msg::Read(d)) => drafts.push(d),
                Ok(Msg::Save(s)) => saves.push(s),
                Err(_) => break,
            }
        }
    };
    drain(&mut jobs, rx);
    for _ in 0..GATHER_YIELDS_MAX {
        if jobs.len() >= BATCH_REQUESTS_MAX {
            break;
        }
        let before = jobs.len();
        tokio::task::yield_now().await;
        drain(&mut jobs, rx);
        if jobs.len() == before {
            break;
        }
    }
    jobs
}

/// A signed intent whose signatures were checked on arrival by the strict write rule
/// (FORMAT.md §3, [`ledger_core::strict::check_for_write`]): each verifies by the strict
/// cofactorless RFC 8032 equation, which implies the read rule (ZIP-215, cofactored) that
/// a verifier applies. [`CheckedRequest::check`] is its only constructor and the only way
/// into a fund's writer or [`Ledger::create`], so neither verifies the signatures again.
struct CheckedRequest(AppendRequest);

impl CheckedRequest {
    /// Parses `intent_bytes` and checks its signatures by the write rule. This is decided
    /// before anything else: a signature that does not verify at all is `bad_signature`,
    /// whatever else is wrong with the request.
    fn check(
        intent_bytes: Vec<u8>,
        sigs: Vec<Sig>,
        vault: Option<VaultRecord>,
    ) -> Result<Self, AppendFailure> {
        let intent = Intent::from_canonical_bytes(&intent_bytes)?;
        check_signature_list(&sigs)?;
        // Strict on write: every signature must verify by the strict cofactorless rule,
        // and the keys a body adds must be canonical, so every recorded signature
        // verifies the same in every verifier.
        ledger_core::strict::check_for_write(&intent, &sigs, &intent_bytes)?;
        Ok(CheckedRequest(AppendRequest {
            intent_bytes,
            intent,
            sigs,
            vault,
            recorded_at: None,
        }))
    }
}

/// A request for a fund's writer (its signatures checked on arrival) and its caller.
struct Job {
    req: AppendRequest,
    reply: Reply,
}

impl Job {
    /// Refuses the request with `failure`.
    fn refuse(self, failure: AppendFailure) {
        let _ = self.reply.send(Err(failure));
    }
}

/// A read of a fund's state, run by its writer between batches: given the state caught
/// up with the store, or why it could not be.
type ReadFn = Box<dyn FnOnce(Result<&FundState, DraftFailure>) + Send>;

/// A request to read a fund's state (a statement draft, a trustees' check) from its
/// writer.
struct ReadJob {
    read: ReadFn,
}

/// What a fund's writer is asked. (Appends are nearly every message: they are kept
/// inline rather than boxed to make the rare draft's variant the same size.)
#[allow(clippy::large_enum_variant)]
enum Msg {
    /// Append a signed intent.
    Append(Job),
    /// Read the fund's state (a statement draft, a copy for a check).
    Read(ReadJob),
    /// Store a snapshot of the fund's state if it moved since the last one (at a
    /// graceful stop); answered when done.
    Save(oneshot::Sender<()>),
}

/// One fund's batch handed to the group committer (SQLite): its state moves there and
/// comes back with the outcome.
struct GroupJob {
    state: FundState,
    requests: Vec<AppendRequest>,
    reply: oneshot::Sender<(FundState, CommitResult)>,
}

/// One outcome per request of a batch, or why the whole batch failed (nothing of it
/// written; the fund's state must be rebuilt).
type CommitResult = Result<Vec<Result<AppendOutcome, Rejection>>, Arc<StoreError>>;

#[derive(Clone)]
struct FundHandle {
    jobs: mpsc::Sender<Msg>,
}

/// The deployment's ledger: its store, keys and the writers of its funds.
pub struct Ledger {
    store: Arc<Store>,
    log_key: Arc<NoteSigner>,
    operator_key: PublicKey,
    origin: String,
    clock: Clock,
    funds: RwLock<HashMap<String, FundHandle>>,
    /// Every fund of the store that is not quarantined, loaded or not.
    known: std::sync::RwLock<BTreeSet<String>>,
    /// Funds whose state is being rebuilt from the log in the background: their writes are
    /// refused ([`AppendFailure::Rebuilding`]) until it is done.
    rebuilding: std::sync::RwLock<BTreeSet<String>>,
    /// One lock per fund being loaded, so that a fund is loaded once while the others
    /// load at the same time.
    loading: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// The group committer (SQLite: one writer, one transaction and one fsync for the
    /// batches of every fund that are ready); `None` on PostgreSQL, where funds commit
    /// in parallel, each under its own row lock.
    group: std::sync::OnceLock<mpsc::Sender<GroupJob>>,
    /// Quarantined funds (rows that disagree with their log) and why: no writer, every
    /// read and write of them refused, until an operator repairs the rows and restarts.
    damaged: std::sync::RwLock<BTreeMap<String, Arc<str>>>,
}

impl Ledger {
    /// Takes up the stored funds without loading them: each one's rows are checked
    /// against each other (a few indexed reads, no replay: [`Store::check_rows`]) and a
    /// fund whose rows disagree is quarantined. A fund's state is loaded when it is first
    /// needed (see [`Ledger::handle`]), from its snapshot and the entries after it.
    pub async fn start(
        store: Arc<Store>,
        log_key: NoteSigner,
        operator_key: PublicKey,
        origin: String,
        clock: Clock,
    ) -> Result<Arc<Ledger>, StoreError> {
        let ledger = Arc::new(Ledger {
            store,
            log_key: Arc::new(log_key),
            operator_key,
            origin,
            clock,
            funds: RwLock::new(HashMap::new()),
            known: std::sync::RwLock::new(BTreeSet::new()),
            rebuilding: std::sync::RwLock::new(BTreeSet::new()),
            loading: std::sync::Mutex::new(HashMap::new()),
            group: std::sync::OnceLock::new(),
            damaged: std::sync::RwLock::new(BTreeMap::new()),
        });
        if ledger.store.backend() == Backend::Sqlite {
            let (tx, rx) = mpsc::channel(GROUP_FUNDS_MAX * 4);
            let _ = ledger.group.set(tx);
            // The committer holds the ledger weakly: it stops when the ledger is dropped.
            tokio::spawn(group_committer(Arc::downgrade(&ledger), rx));
        }
        let rows = ledger.store.funds().await?;
        for row in rows {
            // The log is the truth: a fund whose rows disagree with it is quarantined,
            // and every other fund starts. Only a database fault stops the start.
            match ledger.store.check_rows(&row).await {
                Ok(()) => {
                    write(&ledger.known).insert(row.id);
                }
                Err(StoreError::Corrupt(damage)) => ledger.quarantine(&row.id, &damage),
                Err(e) => return Err(e),
            }
        }
        Ok(ledger)
    }

    /// [`AppendFailure::Rebuilding`] if `fund`'s state is being rebuilt.
    fn refuse_rebuilding(&self, fund: &str) -> Result<(), AppendFailure> {
        if read(&self.rebuilding).contains(fund) {
            return Err(AppendFailure::Rebuilding {
                fund: fund.to_owned(),
            });
        }
        Ok(())
    }

    /// Loads `fund`'s state: from its stored snapshot when the snapshot's note is signed
    /// by the log key over its bytes and it is a state of this log, then the entries after
    /// it; else, for a small log, by replaying it here. A snapshot that fails its check,
    /// or a large log without one, is rebuilt from the log in the background
    /// ([`Ledger::start_rebuild`]) and the fund refuses writes until then.
    async fn load(self: &Arc<Self>, row: &FundRow) -> Result<FundState, AppendFailure> {
        let origin = self.fund_origin(&row.id);
        let refused = match self.store.fund_state(&row.id).await? {
            Some(snapshot) => match FundState::open_snapshot(
                &snapshot.state,
                &snapshot.note,
                &origin,
                &self.log_key.verifier(),
            ) {
                Ok(state) => match self.store.resume_state(row, state).await {
                    Ok(state) => return Ok(state),
                    Err(StoreError::Corrupt(c)) => c.to_string(),
                    Err(e) => return Err(e.into()),
                },
                Err(e) => e.to_string(),
            },
            None if row.size <= REPLAY_INLINE_MAX => {
                return match self.store.load_state(row).await {
                    Ok(state) => Ok(state),
                    Err(StoreError::Corrupt(damage)) => {
                        self.quarantine(&row.id, &damage);
                        self.refuse_damaged(&row.id)?;
                        Err(StoreError::Corrupt(damage).into())
                    }
                    Err(e) => Err(e.into()),
                };
            }
            None => format!("no stored state for a log of {} entries", row.size),
        };
        tracing::warn!(fund = %row.id, reason = %refused, "the fund's stored state is not used; rebuilding it from the log, its writes refused until then");
        self.start_rebuild(row.clone());
        Err(AppendFailure::Rebuilding {
            fund: row.id.clone(),
        })
    }

    /// Rebuilds `row`'s fund state from its whole log in the background, then stores its
    /// snapshot and starts its writer; until then [`Ledger::refuse_rebuilding`] refuses
    /// its writes. A log that does not hold quarantines the fund, as at start.
    fn start_rebuild(self: &Arc<Self>, row: FundRow) {
        if !write(&self.rebuilding).insert(row.id.clone()) {
            return;
        }
        let me = Arc::clone(self);
        tokio::spawn(async move {
            let fund = row.id.clone();
            let started = std::time::Instant::now();
            match me.store.load_state(&row).await {
                Ok(state) => {
                    me.save_state(&state).await;
                    me.check_statutory_index(&state).await;
                    let size = state.next_seq();
                    let h = me.spawn_writer(row, state);
                    me.funds.write().await.insert(fund.clone(), h);
                    tracing::info!(fund = %fund, entries = size, seconds = started.elapsed().as_secs_f64(), "fund state rebuilt from its log; writes accepted again");
                }
                Err(StoreError::Corrupt(damage)) => me.quarantine(&fund, &damage),
                Err(e) => {
                    tracing::error!(fund = %fund, error = %e, "cannot rebuild the fund's state; the next write tries again")
                }
            }
            write(&me.rebuilding).remove(&fund);
        });
    }

    /// Checks the fund's statutory index (store/statutory.rs) against the restricted money
    /// of its loaded `state`, before its writer starts, and rebuilds the index from the
    /// log when they disagree. At start the index is checked against the per-month index
    /// only, so that no fund is loaded before it is needed; this is the rest of the
    /// check, made once per load. A failure is logged: the index is then checked again at
    /// the next start.
    async fn check_statutory_index(&self, state: &FundState) {
        let fund = state.fund().as_str();
        let restricted = state.restricted_balance().to_fen();
        match self
            .store
            .ensure_statutory_index(fund, Some(restricted))
            .await
        {
            Ok(check) => tracing::debug!(%fund, ?check, "statutory index, with the fund's state"),
            Err(e) => {
                tracing::error!(%fund, error = %e, "the statutory index does not agree with the fund's state")
            }
        }
    }

    /// Stores a snapshot of `state` with its note signed by the log key. A failure is
    /// logged: the next load replays more of the log, or rebuilds it.
    async fn save_state(&self, state: &FundState) -> bool {
        let fund = state.fund().to_string();
        if state.next_seq() == 0 {
            return true;
        }
        let origin = self.fund_origin(&fund);
        let saved = match state.signed_snapshot(&origin, &self.log_key) {
            Ok((bytes, note)) => self
                .store
                .save_fund_state(&fund, state.next_seq(), &note, &bytes)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match saved {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(fund = %fund, error = %e, "cannot store the fund's state snapshot");
                false
            }
        }
    }

    /// Stores a snapshot of every loaded fund's state that moved since its last one (at a
    /// graceful stop: the next start then replays nothing).
    pub async fn save_states(&self) {
        let handles: Vec<FundHandle> = self.funds.read().await.values().cloned().collect();
        for h in handles {
            let (reply, rx) = oneshot::channel();
            if h.jobs.send(Msg::Save(reply)).await.is_ok() {
                let _ = rx.await;
            }
        }
    }

    /// Quarantines `fund` for `damage`: logged at error level; its reads and writes are
    /// refused from now on ([`Ledger::damage`]). The first reason found is kept (and
    /// logged once). Only a restart lifts it, after an operator repaired the rows
    /// (README, "A damaged fund").
    pub fn quarantine(&self, fund: &str, damage: &Corruption) {
        let mut damaged = self
            .damaged
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if damaged.contains_key(fund) {
            return;
        }
        let reason: Arc<str> = Arc::from(damage.to_string());
        tracing::error!(fund = %fund, reason = %reason, "fund quarantined: its rows disagree with its log; its reads and writes are refused until an operator repairs it");
        damaged.insert(fund.to_owned(), reason);
    }

    /// Why `fund` is quarantined, if it is.
    pub fn damage(&self, fund: &str) -> Option<Arc<str>> {
        self.damaged
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(fund)
            .cloned()
    }

    /// Every quarantined fund and why, by id.
    pub fn damaged_funds(&self) -> Vec<(String, Arc<str>)> {
        self.damaged
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|(f, r)| (f.clone(), Arc::clone(r)))
            .collect()
    }

    /// [`AppendFailure::FundDamaged`] if `fund` is quarantined.
    fn refuse_damaged(&self, fund: &str) -> Result<(), AppendFailure> {
        match self.damage(fund) {
            Some(reason) => Err(AppendFailure::FundDamaged {
                fund: fund.to_owned(),
                reason,
            }),
            None => Ok(()),
        }
    }

    /// The store.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }
    /// The log key that signs checkpoints.
    pub fn log_key(&self) -> &NoteSigner {
        &self.log_key
    }
    /// The operator key that may sign genesis entries.
    pub fn operator_key(&self) -> &PublicKey {
        &self.operator_key
    }
    /// The deployment origin (checkpoint origins are `<origin>/<fund>`).
    pub fn origin(&self) -> &str {
        &self.origin
    }
    /// The checkpoint origin of fund `fund`: `<origin>/<fund>`.
    pub fn fund_origin(&self, fund: &str) -> String {
        format!("{}/{}", self.origin, fund)
    }
    /// Current time.
    pub fn now(&self) -> Instant {
        (self.clock)()
    }

    fn spawn_writer(self: &Arc<Self>, row: FundRow, state: FundState) -> FundHandle {
        write(&self.known).insert(row.id.clone());
        let (tx, rx) = mpsc::channel(QUEUE_REQUESTS_MAX);
        let me = Arc::clone(self);
        tokio::spawn(async move { me.writer(row, state, rx).await });
        FundHandle { jobs: tx }
    }

    /// Answers reads (statement drafts, copies for checks) from `state`, first caught up
    /// with what another process may have appended (one indexed read that finds nothing
    /// when this process is the only writer). On `Err` the state could not be caught up:
    /// rebuild it.
    async fn answer_drafts(
        &self,
        state: &mut FundState,
        drafts: Vec<ReadJob>,
    ) -> Result<(), Arc<StoreError>> {
        if drafts.is_empty() {
            return Ok(());
        }
        if let Err(e) = self.store.catch_up(state).await {
            let e = Arc::new(e);
            for d in drafts {
                (d.read)(Err(DraftFailure::Store(Arc::clone(&e))));
            }
            return Err(e);
        }
        for d in drafts {
            (d.read)(Ok(state));
        }
        Ok(())
    }

    /// The fund's writer: takes the requests queued for the fund in batches and commits
    /// them; answers statement drafts from the same state between batches.
    async fn writer(
        self: Arc<Self>,
        row: FundRow,
        mut state: FundState,
        mut rx: mpsc::Receiver<Msg>,
    ) {
        let origin = self.fund_origin(&row.id);
        let mut drafts = Vec::new();
        // The size of the last snapshot stored (or of the state loaded).
        let mut saved = state.next_seq();
        // PostgreSQL: batches left to take the transaction path before the fast one.
        let mut slow_left = 0u32;
        while let Some(msg) = rx.recv().await {
            let healthy = match msg {
                Msg::Read(d) => {
                    drafts.push(d);
                    true
                }
                Msg::Save(reply) => {
                    if state.next_seq() > saved && self.save_state(&state).await {
                        saved = state.next_seq();
                    }
                    let _ = reply.send(());
                    true
                }
                Msg::Append(first) => {
                    let mut saves = Vec::new();
                    let jobs = gather(first, &mut rx, &mut drafts, &mut saves).await;
                    let healthy = self
                        .commit_jobs(&row, &origin, &mut state, jobs, &mut slow_left)
                        .await;
                    // After the callers are answered: a snapshot each SNAPSHOT_ENTRIES.
                    let due = state.next_seq() / SNAPSHOT_ENTRIES > saved / SNAPSHOT_ENTRIES;
                    if healthy && (due || !saves.is_empty()) && self.save_state(&state).await {
                        saved = state.next_seq();
                    }
                    for reply in saves {
                        let _ = reply.send(());
                    }
                    healthy
                }
            };
            // Drafts are answered after the batch, from the state it left.
            let healthy = healthy
                && self
                    .answer_drafts(&mut state, std::mem::take(&mut drafts))
                    .await
                    .is_ok();
            if !healthy {
                if !self.rebuild(&row, &mut state, &mut rx).await {
                    return;
                }
                let _ = self
                    .answer_drafts(&mut state, std::mem::take(&mut drafts))
                    .await;
            }
        }
    }

    /// Commits `jobs` (their signatures checked on arrival): on SQLite in the group
    /// committer's next transaction with the other funds' batches, on PostgreSQL in a
    /// transaction of the fund's own. Answers every job. Returns false when the commit failed and `state` may be ahead
    /// of the store (it must be rebuilt).
    async fn commit_jobs(
        &self,
        row: &FundRow,
        origin: &str,
        state: &mut FundState,
        jobs: Vec<Job>,
        slow_left: &mut u32,
    ) -> bool {
        let result = match self.group.get() {
            Some(group) => {
                let (reqs, replies): (Vec<_>, Vec<_>) =
                    jobs.into_iter().map(|j| (j.req, j.reply)).unzip();
                let (reply, rx) = oneshot::channel();
                // The state moves to the committer and comes back with the outcome; this
                // empty one stands in meanwhile.
                let stand_in = FundState::new(state.fund().clone(), *state.operator());
                let job = GroupJob {
                    state: std::mem::replace(state, stand_in),
                    requests: reqs,
                    reply,
                };
                let answer = match group.send(job).await {
                    Ok(()) => rx.await.ok(),
                    Err(_) => None,
                };
                let Some((back, result)) = answer else {
                    // The committer is gone with the state: rebuild it.
                    for reply in replies {
                        let _ = reply.send(Err(AppendFailure::WriterStopped));
                    }
                    return false;
                };
                *state = back;
                (replies, result)
            }
            None => match self.commit_own(row, origin, state, jobs, slow_left).await {
                Some(answer) => answer,
                None => return true,
            },
        };
        let (replies, result) = result;
        match result {
            Ok(outcomes) => {
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(outcome.map_err(AppendFailure::Rejected));
                }
                true
            }
            Err(e) => {
                if let StoreError::Corrupt(damage) = &*e {
                    // The fund's rows disagree with its log (found inside the batch, e.g. a
                    // head row moved behind the writer's back): nothing was written; the
                    // fund is quarantined, and the rebuild that follows names the damage.
                    self.quarantine(&row.id, damage);
                    let reason = self
                        .damage(&row.id)
                        .unwrap_or_else(|| damage.to_string().into());
                    for reply in replies {
                        let _ = reply.send(Err(AppendFailure::FundDamaged {
                            fund: row.id.clone(),
                            reason: Arc::clone(&reason),
                        }));
                    }
                } else {
                    tracing::error!(fund = %row.id, error = %e, "append batch failed; rebuilding fund state");
                    for reply in replies {
                        let _ = reply.send(Err(AppendFailure::Store(Arc::clone(&e))));
                    }
                }
                false
            }
        }
    }

    /// Commits `jobs` on PostgreSQL, where each fund commits on its own: in one call
    /// ([`Store::append_fast`]) when the state can answer them alone, else (or when
    /// `slow_left` says so) in a transaction of the fund's own. Their replies and the
    /// commit's result, or `None` when the transaction could not be opened, nothing was
    /// committed and `state` is as it was (every job answered).
    async fn commit_own(
        &self,
        row: &FundRow,
        origin: &str,
        state: &mut FundState,
        jobs: Vec<Job>,
        slow_left: &mut u32,
    ) -> Option<(Vec<Reply>, CommitResult)> {
        let log = LogSigner {
            origin,
            key: &self.log_key,
        };
        let jobs = if *slow_left > 0 {
            *slow_left -= 1;
            jobs
        } else {
            let (reqs, replies): (Vec<_>, Vec<_>) =
                jobs.into_iter().map(|j| (j.req, j.reply)).unzip();
            let reqs = match self.store.append_fast(state, &log, self.now(), reqs).await {
                FastAppend::Done(result) => {
                    return Some((replies, result.map_err(|BatchError(e)| Arc::new(e))))
                }
                FastAppend::Declined(reqs) => reqs,
                FastAppend::Moved(reqs) => {
                    // Another server appended to the fund: nothing was written, but the
                    // state moved past the batch. Reload it; the transaction path then
                    // catches up under the lock and answers the batch after the other's.
                    tracing::info!(fund = %row.id, "the fund's head moved (another server appended): reloading its state, taking the transaction path");
                    *slow_left = FAST_PATH_BACKOFF_BATCHES;
                    if let Err(e) = self.reload(row, state).await {
                        // The state may be ahead of the store: the writer rebuilds it.
                        return Some((replies, Err(Arc::new(e))));
                    }
                    reqs
                }
            };
            reqs.into_iter()
                .zip(replies)
                .map(|(req, reply)| Job { req, reply })
                .collect()
        };
        let open = {
            let keys: Vec<&str> = jobs.iter().map(|j| j.req.intent.key.as_str()).collect();
            self.store.open_batch(&row.id, &keys).await
        };
        let (reqs, replies): (Vec<_>, Vec<_>) = jobs.into_iter().map(|j| (j.req, j.reply)).unzip();
        let open = match open {
            Ok(open) => open,
            Err(BatchError(e)) => {
                // Nothing was read into `state` or written: it stays as it is.
                tracing::error!(fund = %row.id, error = %e, "cannot open an append batch");
                let e = Arc::new(e);
                for reply in replies {
                    let _ = reply.send(Err(AppendFailure::Store(Arc::clone(&e))));
                }
                return None;
            }
        };
        let result = open
            .commit(state, &log, self.now(), reqs)
            .await
            .map_err(|BatchError(e)| Arc::new(e));
        Some((replies, result))
    }

    /// Reloads `state` from the store (after [`FastAppend::Moved`]): from the fund's
    /// snapshot and the entries after it when it has a snapshot that checks, else by
    /// replaying its log.
    async fn reload(&self, row: &FundRow, state: &mut FundState) -> Result<(), StoreError> {
        let fresh = self
            .store
            .fund(&row.id)
            .await?
            .ok_or_else(|| StoreError::from(Corruption::FundNotRegistered(row.id.clone())))?;
        if let Some(snapshot) = self.store.fund_state(&row.id).await? {
            let origin = self.fund_origin(&row.id);
            if let Ok(s) = FundState::open_snapshot(
                &snapshot.state,
                &snapshot.note,
                &origin,
                &self.log_key.verifier(),
            ) {
                if let Ok(s) = self.store.resume_state(&fresh, s).await {
                    *state = s;
                    return Ok(());
                }
            }
        }
        *state = self.store.load_state(&fresh).await?;
        Ok(())
    }

    /// Commits the batches of `jobs` (one per fund) in one transaction
    /// ([`Store::commit_group`]) and answers each fund's writer with its state and outcome.
    async fn commit_group(&self, jobs: Vec<GroupJob>) {
        let origins: Vec<String> = jobs
            .iter()
            .map(|j| self.fund_origin(j.state.fund().as_str()))
            .collect();
        let mut states = Vec::with_capacity(jobs.len());
        let mut parts_of = Vec::with_capacity(jobs.len());
        for job in jobs {
            states.push(job.state);
            parts_of.push((job.requests, job.reply));
        }
        let mut replies = Vec::with_capacity(parts_of.len());
        let parts: Vec<GroupPart<'_>> = states
            .iter_mut()
            .zip(&origins)
            .zip(parts_of)
            .map(|((state, origin), (requests, reply))| {
                replies.push(reply);
                GroupPart {
                    state,
                    log: LogSigner {
                        origin,
                        key: &self.log_key,
                    },
                    requests,
                }
            })
            .collect();
        let outcomes = self.store.commit_group(self.now(), parts).await;
        let results: Vec<CommitResult> = match outcomes {
            Ok(outcomes) => outcomes
                .into_iter()
                .map(|o| o.map_err(|BatchError(e)| Arc::new(e)))
                .collect(),
            Err(BatchError(e)) => {
                let e = Arc::new(e);
                replies.iter().map(|_| Err(Arc::clone(&e))).collect()
            }
        };
        for ((reply, state), result) in replies.into_iter().zip(states).zip(results) {
            let _ = reply.send((state, result));
        }
    }

    /// Rebuilds `state` from the store after a failure. If that fails too, answers what
    /// is queued and what comes later with [`AppendFailure::WriterStopped`] and returns
    /// false: the writer stops.
    async fn rebuild(
        &self,
        row: &FundRow,
        state: &mut FundState,
        rx: &mut mpsc::Receiver<Msg>,
    ) -> bool {
        match self.store.load_state(row).await {
            Ok(s) => {
                *state = s;
                true
            }
            Err(e) => {
                let reason = match &e {
                    StoreError::Corrupt(damage) => {
                        // The log is the truth: the fund's rows disagree with it.
                        self.quarantine(&row.id, damage);
                        self.damage(&row.id)
                    }
                    _ => {
                        tracing::error!(fund = %row.id, error = %e, "cannot rebuild fund state; writer stops");
                        None
                    }
                };
                // Answer what is still queued, and refuse what comes later.
                rx.close();
                while let Some(msg) = rx.recv().await {
                    match (msg, &reason) {
                        (Msg::Append(job), Some(reason)) => {
                            job.refuse(AppendFailure::FundDamaged {
                                fund: row.id.clone(),
                                reason: Arc::clone(reason),
                            })
                        }
                        (Msg::Append(job), None) => job.refuse(AppendFailure::WriterStopped),
                        (Msg::Read(d), Some(reason)) => {
                            (d.read)(Err(DraftFailure::FundDamaged {
                                fund: row.id.clone(),
                                reason: Arc::clone(reason),
                            }));
                        }
                        (Msg::Read(d), None) => (d.read)(Err(DraftFailure::WriterStopped)),
                        (Msg::Save(reply), _) => {
                            let _ = reply.send(());
                        }
                    }
                }
                false
            }
        }
    }

    /// Ids of the funds (loaded or not; not the quarantined ones), sorted.
    pub async fn fund_ids(&self) -> Vec<String> {
        let damaged = read(&self.damaged).keys().cloned().collect::<BTreeSet<_>>();
        read(&self.known)
            .iter()
            .filter(|f| !damaged.contains(*f))
            .cloned()
            .collect()
    }

    /// Checks a signed intent and appends it (creating the fund for a genesis signed by
    /// the operator key). Returns once the entry is committed.
    pub async fn append(
        self: &Arc<Self>,
        fund: &str,
        intent_bytes: Vec<u8>,
        sigs: Vec<Sig>,
        vault: Option<VaultRecord>,
    ) -> Result<AppendOutcome, AppendFailure> {
        // Checked before anything is looked up or created (see [`CheckedRequest`]).
        let req = CheckedRequest::check(intent_bytes, sigs, vault)?;
        let intent = &req.0.intent;
        if intent.fund.as_str() != fund {
            return Err(AppendFailure::Rejected(Rejection::Rule(
                ledger_core::rules::RuleError::FundMismatch {
                    expected: fund.to_owned(),
                    found: intent.fund.to_string(),
                },
            )));
        }
        let is_genesis = matches!(intent.body, ledger_core::body::Body::Genesis(_));
        match self.handle(fund).await {
            Ok(Some(h)) => self.send(h, req).await,
            Ok(None) if is_genesis => self.create(fund, req).await,
            Ok(None) => Err(AppendFailure::UnknownFund),
            Err(e) => Err(e),
        }
    }

    /// The writer of an existing fund, or `None` when the fund does not exist. A fund
    /// is loaded when it is first needed ([`Ledger::load`]): one that this process has
    /// not loaded yet, or that another server process sharing the database (PostgreSQL)
    /// created since this one started.
    async fn handle(self: &Arc<Self>, fund: &str) -> Result<Option<FundHandle>, AppendFailure> {
        self.refuse_damaged(fund)?;
        self.refuse_rebuilding(fund)?;
        if let Some(h) = self.funds.read().await.get(fund) {
            return Ok(Some(h.clone()));
        }
        let lock = {
            let mut loading = self
                .loading
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(loading.entry(fund.to_owned()).or_default())
        };
        let _loading = lock.lock().await;
        // Loaded, quarantined or sent to a rebuild while this one waited?
        if let Some(h) = self.funds.read().await.get(fund) {
            return Ok(Some(h.clone()));
        }
        self.refuse_damaged(fund)?;
        self.refuse_rebuilding(fund)?;
        let Some(row) = self.store.fund(fund).await? else {
            return Ok(None);
        };
        let state = self.load(&row).await?;
        self.check_statutory_index(&state).await;
        let h = self.spawn_writer(row, state);
        self.funds.write().await.insert(fund.to_owned(), h.clone());
        Ok(Some(h))
    }

    /// Creates a fund by committing its genesis; the writer starts only if it was accepted.
    async fn create(
        self: &Arc<Self>,
        fund: &str,
        req: CheckedRequest,
    ) -> Result<AppendOutcome, AppendFailure> {
        let id = FundId::parse(fund).map_err(|_| AppendFailure::UnknownFund)?;
        let mut funds = self.funds.write().await;
        if let Some(h) = funds.get(fund).cloned() {
            drop(funds);
            return self.send(h, req).await;
        }
        let origin = self.fund_origin(fund);
        let log = LogSigner {
            origin: &origin,
            key: &self.log_key,
        };
        let mut state = FundState::new(id, self.operator_key);
        let mut outcomes = self
            .store
            .commit_batch(&mut state, &log, self.now(), vec![req.0])
            .await
            .map_err(|e| AppendFailure::from(e.0))?;
        // One request, one outcome.
        let outcome = outcomes
            .pop()
            .expect("commit_batch gives one outcome per request")
            .map_err(AppendFailure::Rejected)?;
        let row = self
            .store
            .fund(fund)
            .await?
            .ok_or_else(|| StoreError::from(Corruption::FundNotRegistered(fund.to_owned())))?;
        let h = self.spawn_writer(row, state);
        funds.insert(fund.to_owned(), h);
        Ok(outcome)
    }

    /// Queues a request on a fund's writer and waits for its outcome.
    async fn send(
        self: &Arc<Self>,
        handle: FundHandle,
        req: CheckedRequest,
    ) -> Result<AppendOutcome, AppendFailure> {
        let (reply, rx) = oneshot::channel();
        let job = Job { req: req.0, reply };
        if let Err(e) = handle.jobs.try_send(Msg::Append(job)) {
            let (msg, failure) = match e {
                mpsc::error::TrySendError::Full(msg) => (msg, AppendFailure::Busy),
                mpsc::error::TrySendError::Closed(msg) => (msg, AppendFailure::WriterStopped),
            };
            drop(msg);
            return Err(failure);
        }
        rx.await.map_err(|_| AppendFailure::WriterStopped)?
    }

    /// Drafts the statement of `period` for `fund` from its writer's state (no replay):
    /// the figures the log gives now, as the body of a `statement` intent.
    pub async fn draft_statement(
        self: &Arc<Self>,
        fund: &str,
        period: Period,
    ) -> Result<Draft, DraftFailure> {
        self.read_state(fund, move |state| {
            let statement = state.draft_statement(&period)?;
            let required_signatures =
                state.required_signatures(&Body::Statement(statement.clone()));
            Ok(Draft {
                statement,
                required_signatures,
            })
        })
        .await?
    }

    /// Runs `read` on `fund`'s state as its writer holds it between batches (caught up
    /// with the store; no replay of the log) and returns what it gives. `read` runs on
    /// the writer's task: keep it short (take a clone for anything long).
    pub async fn read_state<T: Send + 'static>(
        self: &Arc<Self>,
        fund: &str,
        read: impl FnOnce(&FundState) -> T + Send + 'static,
    ) -> Result<T, DraftFailure> {
        let handle = match self.handle(fund).await {
            Ok(Some(h)) => h,
            Ok(None) => return Err(DraftFailure::UnknownFund),
            Err(AppendFailure::Store(e)) => return Err(DraftFailure::Store(e)),
            Err(AppendFailure::FundDamaged { fund, reason }) => {
                return Err(DraftFailure::FundDamaged { fund, reason })
            }
            Err(AppendFailure::Rebuilding { fund }) => {
                return Err(DraftFailure::Rebuilding { fund })
            }
            Err(_) => return Err(DraftFailure::WriterStopped),
        };
        let (reply, rx) = oneshot::channel();
        let read: ReadFn = Box::new(move |state| {
            let _ = reply.send(state.map(read));
        });
        // A read waits for room in the queue rather than failing busy: it writes nothing.
        handle
            .jobs
            .send(Msg::Read(ReadJob { read }))
            .await
            .map_err(|_| DraftFailure::WriterStopped)?;
        rx.await.map_err(|_| DraftFailure::WriterStopped)?
    }
}

/// Reads a lock that a panic cannot leave unusable (its data is a set of names).
fn read<T>(lock: &std::sync::RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Writes a lock that a panic cannot leave unusable (its data is a set of names).
fn write<T>(lock: &std::sync::RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A caller waiting for its append's outcome.
type Reply = oneshot::Sender<Result<AppendOutcome, AppendFailure>>;

/// The group committer (SQLite): takes the batch of every fund whose writer is ready, up
/// to [`GROUP_FUNDS_MAX`], and commits them in one transaction. While a group commits,
/// the next funds' batches queue; the next group takes them all. Like [`gather`], it
/// yields (never waits on a timer) while more batches keep arriving, so that writers
/// answered by the previous group join this one.
async fn group_committer(ledger: std::sync::Weak<Ledger>, mut rx: mpsc::Receiver<GroupJob>) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        let drain = |jobs: &mut Vec<GroupJob>, rx: &mut mpsc::Receiver<GroupJob>| {
            while jobs.len() < GROUP_FUNDS_MAX {
                match rx.try_recv() {
                    Ok(j) => jobs.push(j),
                    Err(_) => break,
                }
            }
        };
        drain(&mut jobs, &mut rx);
        for _ in 0..GATHER_YIELDS_MAX {
            if jobs.len() >= GROUP_FUNDS_MAX {
                break;
            }
            let before = jobs.len();
            tokio::task::yield_now().await;
            drain(&mut jobs, &mut rx);
            if jobs.len() == before {
                break;
            }
        }
        let Some(ledger) = ledger.upgrade() else {
            return;
        };
        ledger.commit_group(jobs).await;
    }
}
