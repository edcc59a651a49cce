//! A fund's state rebuilt from its stored log: in full at start or after a failed batch
//! ([`Store::load_state`]), or caught up with what another process appended
//! ([`catch_up`], inside an append transaction). Both replay the stored bytes through
//! ledger-core's one replay step ([`ledger_core::replay::replay`]) and stop at the first
//! entry that does not hold.

use ledger_core::hash::Hash;
use ledger_core::ids::FundId;
use ledger_core::keys::PublicKey;
use ledger_core::replay::{prepare_stored, replay, OnRefusal};
use ledger_core::state::FundState;
use sqlx::{AnyConnection, Row};

use super::read::hash_of;
use super::{Corruption, FundRow, Store, StoreError, PAGE_ROWS_MAX};

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

impl Store {
    /// Rebuilds a fund's state by replaying its stored log (at start, or after a failed
    /// batch). Every stored entry is re-checked against the rules and the chain.
    pub async fn load_state(&self, fund: &FundRow) -> Result<FundState, StoreError> {
        let id = FundId::parse(&fund.id).map_err(|source| Corruption::FundId {
            id: fund.id.clone(),
            source,
        })?;
        let operator =
            PublicKey::from_hex(&fund.operator_key).map_err(|source| Corruption::OperatorKey {
                fund: fund.id.clone(),
                source,
            })?;
        let mut state = FundState::new(id, operator);
        self.catch_up(&mut state).await?;
        Ok(state)
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
