//! The append step: how a signed intent becomes a fund's next entry.
//!
//! Everything that decides the bytes of a new entry happens here, once, for every caller:
//! the server's fund writer (through its store), the trustee client's import dry run and
//! the sample generator. The step stamps the time (the caller's clock, never before the
//! fund's previous entry), places the entry after the head, writes its canonical bytes
//! around the bytes the trustees signed, hashes them, applies every rule of the fund and
//! returns what a store writes: the bytes, the hash, the balance change and the Merkle
//! nodes the entry completes. [`FundState::checkpoint`] is the fund's checkpoint after it.
//!
//! What stays outside: verifying the signatures (callers batch them), idempotency-key
//! look-ups in a store, locking and SQL.

use crate::checkpoint::Checkpoint;
use crate::entry::{Entry, Intent, Sig};
use crate::hash::{leaf_hash, Hash};
use crate::merkle::NodeId;
use crate::money::Money;
use crate::rules::RuleError;
use crate::state::FundState;
use crate::statutory::MonthLines;
use crate::time::Instant;

/// A new entry made by [`FundState::append`], with everything a store writes of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// The entry.
    pub entry: Entry,
    /// Its canonical bytes: what the log stores and exports.
    pub bytes: Vec<u8>,
    /// Its hash, the RFC 9162 leaf hash of `bytes`.
    pub hash: Hash,
    /// Signed change of the balance.
    pub delta: Money,
    /// Balance after the entry.
    pub balance: Money,
    /// Merkle tree nodes completed by this entry (its leaf first).
    pub nodes: Vec<(NodeId, Hash)>,
    /// Its share of its month's statutory lines (the per-month index stores them).
    pub lines: MonthLines,
}

/// The time an entry appended at `now` is recorded at: `now`, or the fund's previous
/// entry's time if the clock went back (a fund's `recorded_at` never decreases).
pub fn recording_time(state: &FundState, now: Instant) -> Instant {
    match state.last_recorded_at() {
        Some(last) if last > now => last,
        _ => now,
    }
}

impl FundState {
    /// Appends the signed intent `intent` (whose canonical bytes, what its trustees signed,
    /// are `intent_bytes`) with its signatures `sigs` (sorted by key, verified by the
    /// caller) at the clock's time `now`: makes the next entry, its canonical bytes and
    /// hash, and applies every rule. On `Err` the state is exactly as it was.
    ///
    /// `intent_bytes` must be JCS(`intent`): debug builds check it.
    pub fn append(
        &mut self,
        intent: Intent,
        intent_bytes: &[u8],
        sigs: Vec<Sig>,
        now: Instant,
    ) -> Result<Appended, RuleError> {
        let entry = Entry {
            fund: self.fund().clone(),
            seq: self.next_seq(),
            prev: self.head(),
            recorded_at: recording_time(self, now),
            intent,
            sigs,
        };
        let bytes = entry.canonical_bytes_with(intent_bytes);
        debug_assert_eq!(bytes, entry.canonical_bytes(), "spliced entry bytes");
        let hash = leaf_hash(&bytes);
        let applied = self.apply(&entry, hash)?;
        let lines = MonthLines::of(&entry, &applied);
        Ok(Appended {
            entry,
            bytes,
            hash,
            delta: applied.delta,
            balance: applied.balance,
            nodes: applied.nodes,
            lines,
        })
    }

    /// The fund's checkpoint now (its tree size and root), for the log `origin`
    /// (`<deployment origin>/<fund id>`), ready to be signed with the log key.
    pub fn checkpoint(&self, origin: &str) -> Checkpoint {
        Checkpoint {
            origin: origin.to_owned(),
            tree_size: self.next_seq(),
            root: self.root(),
            extensions: Vec::new(),
        }
    }
}
