//! A fund's state rebuilt from its stored log: in full at start or after a failed batch
//! ([`Store::load_state`]), or caught up with what another process appended
//! ([`catch_up`], inside an append transaction). Both replay the stored bytes through
//! ledger-core's one replay step ([`ledger_core::replay::replay`]) and stop at the first
//! entry that does not hold.

use ledger_core::entry::Entry;
use ledger_core::hash::Hash;
use ledger_core::ids::FundId;
use ledger_core::keys::PublicKey;
use ledger_core::replay::{prepare_stored, replay, OnRefusal, Refusal};
use ledger_core::rules::RuleError;
use ledger_core::state::FundState;
use sqlx::{AnyConnection, Row};

use super::read::hash_of;
use super::{Backend, Corruption, FundRow, ProofError, Store, StoreError, PAGE_ROWS_MAX};

/// Applies the stored entry `bytes` (with `hash` in its row's hash column) to `state`:
/// its bytes must parse, chain, keep every rule, and hash to the column's value.
fn apply_stored(state: &mut FundState, bytes: &[u8], hash: Hash) -> Result<(), StoreError> {
    let replayed =
        replay(state, prepare_stored(bytes), OnRefusal::Stop).map_err(|r| Corruption::Entry {
            seq: r.seq,
            refusal: r.refusal,
        })?;
    if hash != replayed.hash {
        return Err(Corruption::HashColumn {
            seq: replayed.entry.seq,
        }
        .into());
    }
    Ok(())
}

/// A fund's stored state snapshot ([`Store::fund_state`]).
#[derive(Debug, Clone)]
pub struct StateRow {
    /// The log's size when it was taken.
    pub tree_size: u64,
    /// Its state note (signed by the log key).
    pub note: String,
    /// Its bytes ([`FundState::snapshot_bytes`]).
    pub state: Vec<u8>,
}

/// Most times [`Store::load_state`] catches up with entries that another process appended
/// while it checked the fund's rows.
const CATCH_UPS_MAX: usize = 8;

impl Store {
    /// Rebuilds a fund's state by replaying its stored log (at start, or after a failed
    /// batch). Every stored entry is re-checked against the rules and the chain, and the
    /// log is the authority over the fund's row: the genesis signer must be the row's
    /// operator key, the row's head (seq and hash) the log's last entry, and the stored
    /// Merkle nodes and the checkpoint of its size must give the replayed log's root. Any
    /// disagreement is a [`Corruption`]: the fund is damaged, whatever its row says.
    pub async fn load_state(&self, fund: &FundRow) -> Result<FundState, StoreError> {
        let (id, operator) = self.genesis_operator(fund).await?;
        let mut state = FundState::new(id, operator);
        self.catch_up(&mut state).await?;
        self.check_against_log(&fund.id, &mut state).await?;
        Ok(state)
    }

    /// Takes up a fund from `state`, a snapshot whose note the caller checked (taken by
    /// this deployment at some size of the fund's log): checks that it is the state of
    /// this fund, with the operator key of the row and the genesis, that the log holds
    /// the snapshot's head at the snapshot's size, replays the entries after it and
    /// checks the result against the log as [`Store::load_state`] does (head row, tree
    /// nodes, checkpoint). Only the entries after the snapshot are replayed.
    ///
    /// A snapshot that is not one of this log is [`Corruption::StateSnapshot`]: the
    /// caller then rebuilds the state from the log, which names any damage of the log.
    pub async fn resume_state(
        &self,
        fund: &FundRow,
        mut state: FundState,
    ) -> Result<FundState, StoreError> {
        let refuse = |reason: &str| -> StoreError {
            Corruption::StateSnapshot {
                fund: fund.id.clone(),
                reason: reason.to_owned(),
            }
            .into()
        };
        let (id, operator) = self.genesis_operator(fund).await?;
        if *state.fund() != id || *state.operator() != operator {
            return Err(refuse("another fund or operator key"));
        }
        let size = state.next_seq();
        if size == 0 || size > fund.size {
            return Err(refuse("a size the log does not have"));
        }
        match self.entry(&fund.id, size - 1).await? {
            Some(e) if e.hash == state.head() => {}
            _ => return Err(refuse("the log's entry at its size has another hash")),
        }
        self.catch_up(&mut state).await?;
        self.check_against_log(&fund.id, &mut state).await?;
        Ok(state)
    }

    /// Checks a fund's rows at start without replaying its log (a few indexed reads): the
    /// genesis is signed by the row's operator key, the row's head is the log's last
    /// entry, and the stored Merkle nodes give the root of the stored checkpoint of the
    /// log's size. What only a replay finds is found when the fund is first loaded
    /// ([`Store::resume_state`], [`Store::load_state`]).
    pub async fn check_rows(&self, fund: &FundRow) -> Result<(), StoreError> {
        self.genesis_operator(fund).await?;
        self.check_last_entry(fund).await?;
        if let Some(damage) = fund.head_disagreement() {
            return Err(damage.into());
        }
        if fund.size == 0 {
            return Ok(());
        }
        let disagrees = |what| Corruption::RootDisagrees {
            fund: fund.id.clone(),
            what,
            tree_size: fund.size,
        };
        let checkpoint = self.checkpoint_root(&fund.id, fund.size).await?;
        match self.root_at(&fund.id, fund.size).await {
            Ok(root) if Some(root) == checkpoint => Ok(()),
            Ok(_) if checkpoint.is_some() => Err(disagrees("tree nodes").into()),
            Ok(_) => Err(disagrees("checkpoint").into()),
            Err(ProofError::Store(e @ StoreError::Db(_))) => Err(e),
            Err(_) => Err(disagrees("tree nodes").into()),
        }
    }

    /// The log's last stored entry holds as far as it can be told without a replay: its
    /// bytes parse, hash to its hash column, say its seq and chain to the entry before it.
    async fn check_last_entry(&self, fund: &FundRow) -> Result<(), StoreError> {
        if fund.size == 0 {
            return Ok(());
        }
        let from = fund.size.saturating_sub(2);
        let rows = self.entries(&fund.id, from, 2).await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        let parsed = Entry::parse(&last.bytes).map_err(|error| Corruption::EntryBytes {
            seq: last.seq,
            error,
        })?;
        if parsed.hash != last.hash {
            return Err(Corruption::HashColumn { seq: last.seq }.into());
        }
        let refused = |rule: RuleError| -> StoreError {
            Corruption::Entry {
                seq: Some(last.seq),
                refusal: Box::new(Refusal::Rule(rule)),
            }
            .into()
        };
        if parsed.entry.seq != last.seq {
            return Err(refused(RuleError::SeqMismatch {
                expected: last.seq,
                found: parsed.entry.seq,
            }));
        }
        match rows.first() {
            Some(before) if rows.len() == 2 && parsed.entry.prev != before.hash => {
                Err(refused(RuleError::PrevMismatch {
                    expected: before.hash,
                    found: parsed.entry.prev,
                }))
            }
            _ => Ok(()),
        }
    }

    /// The root of the stored checkpoint of `size`, if there is one.
    async fn checkpoint_root(&self, fund: &str, size: u64) -> Result<Option<Hash>, StoreError> {
        let root: Option<Vec<u8>> =
            sqlx::query("SELECT root FROM checkpoints WHERE fund = $1 AND tree_size = $2")
                .bind(fund)
                .bind(size as i64)
                .fetch_optional(&self.pool)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
        Ok(root.and_then(|r| <[u8; 32]>::try_from(r).ok()).map(Hash))
    }

    /// The fund's id and operator key, checked: the genesis is signed by the row's key.
    async fn genesis_operator(&self, fund: &FundRow) -> Result<(FundId, PublicKey), StoreError> {
        let id = FundId::parse(&fund.id).map_err(|source| Corruption::FundId {
            id: fund.id.clone(),
            source,
        })?;
        let row_operator =
            PublicKey::from_hex(&fund.operator_key).map_err(|source| Corruption::OperatorKey {
                fund: fund.id.clone(),
                source,
            })?;
        // The genesis says who the operator is: it is signed by that key alone.
        let operator = match self.entry(&fund.id, 0).await? {
            Some(genesis) => {
                let entry = Entry::parse(&genesis.bytes)
                    .map_err(|error| Corruption::EntryBytes { seq: 0, error })?
                    .entry;
                let signer = entry.sigs.first().map_or(row_operator, |s| s.key);
                if signer != row_operator {
                    return Err(Corruption::OperatorKeyDisagrees {
                        fund: fund.id.clone(),
                        row: fund.operator_key.clone(),
                        genesis: signer.to_hex(),
                    }
                    .into());
                }
                signer
            }
            None => row_operator,
        };
        Ok((id, operator))
    }

    /// The fund's stored state snapshot, if it has one (not checked: see
    /// [`Store::resume_state`]).
    pub async fn fund_state(&self, fund: &str) -> Result<Option<StateRow>, StoreError> {
        let row = sqlx::query("SELECT tree_size, note, state FROM fund_states WHERE fund = $1")
            .bind(fund)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let size: i64 = row.try_get(0)?;
        Ok(Some(StateRow {
            tree_size: size.max(0) as u64,
            note: row.try_get(1)?,
            state: row.try_get(2)?,
        }))
    }

    /// Stores `state` (a snapshot's bytes) and its `note` as the fund's snapshot at
    /// `tree_size`, in place of the one it had. Outside any append: the snapshot is of a
    /// committed size of the log, which never changes. On SQLite it waits for this
    /// process's writer, like an append.
    pub async fn save_fund_state(
        &self,
        fund: &str,
        tree_size: u64,
        note: &str,
        state: &[u8],
    ) -> Result<(), StoreError> {
        let _writer = match self.backend {
            Backend::Sqlite => Some(self.sqlite_writer.lock().await),
            Backend::Postgres => None,
        };
        sqlx::query(
            "INSERT INTO fund_states (fund, tree_size, note, state) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (fund) DO UPDATE SET tree_size = excluded.tree_size, \
             note = excluded.note, state = excluded.state",
        )
        .bind(fund)
        .bind(tree_size as i64)
        .bind(note)
        .bind(state)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Checks what the store says of a fund beside its entries against `state`, the
    /// replay of those entries: the `funds` row's head against the log's last entry (read
    /// together, in one statement), that last entry against the replay, and the root given
    /// by the stored Merkle nodes and by the checkpoint of the replayed size (a few reads,
    /// O(log n)). Another process may append meanwhile (PostgreSQL): what it appended
    /// since the replay is replayed too, so that a fund that grows is never taken for a
    /// damaged one.
    async fn check_against_log(&self, fund: &str, state: &mut FundState) -> Result<(), StoreError> {
        let mut catch_ups = 0;
        let row = loop {
            let row = self
                .fund(fund)
                .await?
                .ok_or_else(|| Corruption::FundNotRegistered(fund.to_owned()))?;
            if let Some(damage) = row.head_disagreement() {
                return Err(damage.into());
            }
            if row.size > state.next_seq() && catch_ups < CATCH_UPS_MAX {
                catch_ups += 1;
                self.catch_up(state).await?;
                continue;
            }
            break row;
        };
        // The log's last entry is the replay's (unless the fund is still growing faster
        // than it is replayed: then the row agreed with its log, which is enough).
        let replayed = (row.size == state.next_seq())
            .then(|| state.next_seq() == 0 || row.head_hash == state.head());
        if replayed == Some(false) || row.size < state.next_seq() {
            return Err(Corruption::HeadDisagrees {
                fund: fund.to_owned(),
                row_seq: row.row_head_seq,
                row_hash: row.row_head_hash,
                log_seq: state.next_seq() as i64 - 1,
                log_hash: state.head(),
            }
            .into());
        }
        let size = state.next_seq();
        if size == 0 {
            return Ok(());
        }
        let disagrees = |what| Corruption::RootDisagrees {
            fund: fund.to_owned(),
            what,
            tree_size: size,
        };
        // Nodes and checkpoints are append-only: those of `size` stay what they were.
        match self.root_at(fund, size).await {
            Ok(root) if root == state.root() => {}
            Ok(_)
            | Err(ProofError::Request(_))
            | Err(ProofError::UnknownFund)
            | Err(ProofError::Store(StoreError::Corrupt(_))) => {
                return Err(disagrees("tree nodes").into())
            }
            Err(ProofError::Store(e)) => return Err(e),
        }
        if self.checkpoint_root(fund, size).await? != Some(state.root()) {
            return Err(disagrees("checkpoint").into());
        }
        Ok(())
    }

    /// Applies to `state` every stored entry past it, a page at a time (outside any
    /// transaction: what is committed now).
    pub async fn catch_up(&self, state: &mut FundState) -> Result<(), StoreError> {
        let fund = state.fund().to_string();
        loop {
            let page = self.entries(&fund, state.next_seq(), PAGE_ROWS_MAX).await?;
            if page.is_empty() {
                return Ok(());
            }
            for row in &page {
                apply_stored(state, &row.bytes, row.hash)?;
            }
        }
    }
}

/// Applies to `state` every stored entry it has not seen (appended by another process),
/// inside the append transaction `tx`, whose fund head is at `head_seq`.
pub(super) async fn catch_up(
    tx: &mut AnyConnection,
    state: &mut FundState,
    head_seq: i64,
) -> Result<(), StoreError> {
    if head_seq < state.next_seq() as i64 {
        return Ok(());
    }
    let fund = state.fund().to_string();
    let rows = sqlx::query(
        "SELECT seq, hash, bytes FROM entries WHERE fund = $1 AND seq >= $2 ORDER BY seq",
    )
    .bind(&fund)
    .bind(state.next_seq() as i64)
    .fetch_all(&mut *tx)
    .await?;
    for row in rows {
        let bytes: Vec<u8> = row.try_get(2)?;
        apply_stored(state, &bytes, hash_of(&row, 1)?)?;
    }
    Ok(())
}
