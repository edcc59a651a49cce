//! Reads: funds, entries, proofs from stored subtree hashes, checkpoints, the vault.

use std::collections::HashMap;

use ledger_core::hash::Hash;
use ledger_core::merkle::{consistency_plan, inclusion_plan, root_plan, NodeId, ProofPlan};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{Corruption, Store, StoreError};

/// Entries read per query when streaming a whole fund.
pub const PAGE_ROWS_MAX: i64 = 1_000;
/// Idempotency keys looked up by one query ([`Store::seqs_of_keys`]).
pub const KEYS_PER_QUERY_MAX: usize = 256;

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryRow {
    /// Position in the fund's log.
    pub seq: u64,
    /// Entry hash.
    pub hash: Hash,
    /// Kind name.
    pub kind: String,
    /// Signed balance change, fen.
    pub delta_fen: i64,
    /// Balance after, fen.
    pub balance_fen: i64,
    /// Server timestamp.
    pub recorded_at: String,
    /// Canonical bytes.
    pub bytes: Vec<u8>,
}

/// A fund as listed. Its size and head come from the log (the last stored entry), never
/// from what the `funds` row says; the row's claim is kept beside them
/// ([`FundRow::row_head_seq`], [`FundRow::row_head_hash`]) so that a row that disagrees
/// is seen ([`FundRow::head_disagreement`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundRow {
    /// Fund id.
    pub id: String,
    /// Operator key that signed its genesis, as the row says it.
    pub operator_key: String,
    /// Entries in the log: the last stored entry's seq + 1.
    pub size: u64,
    /// Head hash: the last stored entry's hash (zeros when empty).
    pub head_hash: Hash,
    /// The head seq the `funds` row says (-1 before the genesis).
    pub row_head_seq: i64,
    /// The head hash the `funds` row says.
    pub row_head_hash: Hash,
}

impl FundRow {
    /// `Some` when the `funds` row says another head than the stored log: the row was
    /// changed behind the writer's back (read in one statement, so a commit in flight is
    /// never half seen).
    pub fn head_disagreement(&self) -> Option<Corruption> {
        let log_seq = self.size as i64 - 1;
        (self.row_head_seq != log_seq || self.row_head_hash != self.head_hash).then(|| {
            Corruption::HeadDisagrees {
                fund: self.id.clone(),
                row_seq: self.row_head_seq,
                row_hash: self.row_head_hash,
                log_seq,
                log_hash: self.head_hash,
            }
        })
    }
}

pub(super) fn hash_of(row: &AnyRow, i: usize) -> Result<Hash, StoreError> {
    let v: Vec<u8> = row.try_get(i)?;
    hash_from(v)
}

fn hash_from(v: Vec<u8>) -> Result<Hash, StoreError> {
    let arr: [u8; 32] = v.try_into().map_err(|_| Corruption::Width {
        column: "hash",
        bytes: 32,
    })?;
    Ok(Hash(arr))
}

/// The columns of [`fund_row`]: the row, and its log's last entry (none when empty), in
/// one statement (one snapshot: the head row and the entries move in one transaction).
const FUND_SELECT: &str = "SELECT f.id, f.operator_key, f.head_seq, f.head_hash, e.seq, e.hash \
     FROM funds f LEFT JOIN entries e ON e.fund = f.id \
     AND e.seq = (SELECT MAX(m.seq) FROM entries m WHERE m.fund = f.id)";

fn fund_row(r: &AnyRow) -> Result<FundRow, StoreError> {
    let last_seq: Option<i64> = r.try_get(4)?;
    let last_hash: Option<Vec<u8>> = r.try_get(5)?;
    let (size, head_hash) = match (last_seq, last_hash) {
        (Some(seq), Some(hash)) => ((seq + 1) as u64, hash_from(hash)?),
        _ => (0, Hash([0; 32])),
    };
    Ok(FundRow {
        id: r.try_get(0)?,
        operator_key: r.try_get(1)?,
        size,
        head_hash,
        row_head_seq: r.try_get(2)?,
        row_head_hash: hash_of(r, 3)?,
    })
}

/// A seq as a lower bound in SQL (`seq >= $n`). The database's seqs are `BIGINT`: a
/// bound past `i64::MAX` must not wrap to a negative number (a listing from seq 2^64-1
/// would start again at seq 0), so it becomes `i64::MAX`, past every stored seq.
pub(super) fn seq_lower_bound(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

const ENTRY_COLUMNS: &str = "seq, hash, kind, delta_fen, balance_fen, recorded_at, bytes";

fn entry_row(row: &AnyRow) -> Result<EntryRow, StoreError> {
    Ok(EntryRow {
        seq: row.try_get::<i64, _>(0)? as u64,
        hash: hash_of(row, 1)?,
        kind: row.try_get(2)?,
        delta_fen: row.try_get(3)?,
        balance_fen: row.try_get(4)?,
        recorded_at: row.try_get(5)?,
        bytes: row.try_get(6)?,
    })
}

/// One entry, read inside a transaction.
pub(crate) async fn entry_in(
    tx: &mut sqlx::AnyConnection,
    fund: &str,
    seq: u64,
) -> Result<Option<EntryRow>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {ENTRY_COLUMNS} FROM entries WHERE fund = $1 AND seq = $2"
    ))
    .bind(fund)
    .bind(seq as i64)
    .fetch_optional(&mut *tx)
    .await?;
    row.as_ref().map(entry_row).transpose()
}

impl Store {
    /// Every fund, by id, with its head from its log (see [`FundRow`]).
    pub async fn funds(&self) -> Result<Vec<FundRow>, StoreError> {
        let rows = sqlx::query(&format!("{FUND_SELECT} ORDER BY f.id"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(fund_row).collect()
    }

    /// One fund, with its head from its log (see [`FundRow`]).
    pub async fn fund(&self, id: &str) -> Result<Option<FundRow>, StoreError> {
        let row = sqlx::query(&format!("{FUND_SELECT} WHERE f.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(fund_row).transpose()
    }

    /// The entry at `seq`.
    pub async fn entry(&self, fund: &str, seq: u64) -> Result<Option<EntryRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ENTRY_COLUMNS} FROM entries WHERE fund = $1 AND seq = $2"
        ))
        .bind(fund)
        .bind(seq as i64)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(entry_row).transpose()
    }

    /// Up to `limit` entries from `from_seq` on, in seq order.
    pub async fn entries(
        &self,
        fund: &str,
        from_seq: u64,
        limit: i64,
    ) -> Result<Vec<EntryRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ENTRY_COLUMNS} FROM entries WHERE fund = $1 AND seq >= $2 ORDER BY seq LIMIT $3"
        ))
        .bind(fund)
        .bind(seq_lower_bound(from_seq))
        .bind(limit.clamp(1, PAGE_ROWS_MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(entry_row).collect()
    }

    /// Every row of one kind of a fund, in seq order (page after page).
    pub async fn all_entries_of_kind(
        &self,
        fund: &str,
        kind: &str,
    ) -> Result<Vec<EntryRow>, StoreError> {
        let mut out = Vec::new();
        let mut from = 0;
        loop {
            let rows = self
                .entries_where_kind(fund, kind, from, PAGE_ROWS_MAX)
                .await?;
            let full = rows.len() as i64 == PAGE_ROWS_MAX;
            from = rows.last().map_or(from, |r| r.seq + 1);
            out.extend(rows);
            if !full {
                return Ok(out);
            }
        }
    }

    /// Entries of one `kind`, by seq from `from_seq` (index `entries_by_kind`).
    pub async fn entries_where_kind(
        &self,
        fund: &str,
        kind: &str,
        from_seq: u64,
        limit: i64,
    ) -> Result<Vec<EntryRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ENTRY_COLUMNS} FROM entries WHERE fund = $1 AND kind = $2 AND seq >= $3 \
             ORDER BY seq LIMIT $4"
        ))
        .bind(fund)
        .bind(kind)
        .bind(seq_lower_bound(from_seq))
        .bind(limit.clamp(1, PAGE_ROWS_MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(entry_row).collect()
    }

    /// Fetches the stored nodes a plan needs, in one query, and assembles the proof.
    async fn assemble(&self, fund: &str, plan: &ProofPlan) -> Result<Vec<Hash>, StoreError> {
        let ids = plan.node_ids();
        let nodes = self.nodes(fund, &ids).await?;
        plan.assemble(|id| nodes.get(&id).copied())
            .map_err(|e| StoreError::Corrupt(Corruption::Proof(e)))
    }

    async fn nodes(&self, fund: &str, ids: &[NodeId]) -> Result<HashMap<NodeId, Hash>, StoreError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        // One point lookup per node, glued with UNION ALL: each part is a primary-key
        // probe on both SQLite and PostgreSQL (an OR of composite conditions is not, and
        // scans the fund).
        let sql = (0..ids.len())
            .map(|i| {
                format!(
                    "SELECT level, idx, hash FROM tree_nodes WHERE fund = $1 AND level = ${} AND idx = ${}",
                    2 * i + 2,
                    2 * i + 3
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let mut q = sqlx::query(&sql).bind(fund);
        for id in ids {
            q = q.bind(i64::from(id.level)).bind(id.index as i64);
        }
        let rows = q.fetch_all(&self.pool).await?;
        let mut out = HashMap::with_capacity(rows.len());
        for r in &rows {
            let level: i64 = r.try_get(0)?;
            let index: i64 = r.try_get(1)?;
            out.insert(
                NodeId {
                    level: level as u8,
                    index: index as u64,
                },
                hash_of(r, 2)?,
            );
        }
        Ok(out)
    }

    /// Inclusion proof of entry `index` in the tree of size `size` (O(log n) row reads).
    pub async fn inclusion_proof(
        &self,
        fund: &str,
        index: u64,
        size: u64,
    ) -> Result<Vec<Hash>, ProofError> {
        let plan = inclusion_plan(index, size).map_err(ProofError::Request)?;
        self.check_size(fund, size).await?;
        Ok(self.assemble(fund, &plan).await?)
    }

    /// Consistency proof between tree sizes `size1` and `size2`.
    pub async fn consistency_proof(
        &self,
        fund: &str,
        size1: u64,
        size2: u64,
    ) -> Result<Vec<Hash>, ProofError> {
        let plan = consistency_plan(size1, size2).map_err(ProofError::Request)?;
        self.check_size(fund, size2).await?;
        Ok(self.assemble(fund, &plan).await?)
    }

    /// Merkle root of the fund's first `size` entries.
    pub async fn root_at(&self, fund: &str, size: u64) -> Result<Hash, ProofError> {
        self.check_size(fund, size).await?;
        let plan = root_plan(size);
        let ids = plan.node_ids();
        let nodes = self.nodes(fund, &ids).await?;
        plan.assemble_root(|id| nodes.get(&id).copied())
            .map_err(|e| ProofError::Store(Corruption::Proof(e).into()))
    }

    async fn check_size(&self, fund: &str, size: u64) -> Result<(), ProofError> {
        let f = self.fund(fund).await?.ok_or(ProofError::UnknownFund)?;
        if size > f.size {
            return Err(ProofError::Request(
                ledger_core::merkle::MerkleError::SizeBeyondTree {
                    requested: size,
                    available: f.size,
                },
            ));
        }
        Ok(())
    }

    /// The seqs of the fund's entries recorded under any of `keys` (idempotency keys),
    /// by key: what an import check reports as already recorded. Looked up
    /// [`KEYS_PER_QUERY_MAX`] at a time.
    pub async fn seqs_of_keys(
        &self,
        fund: &str,
        keys: &[&str],
    ) -> Result<HashMap<String, u64>, StoreError> {
        let mut out = HashMap::new();
        for chunk in keys.chunks(KEYS_PER_QUERY_MAX) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT idem_key, seq FROM entries WHERE fund = $1 AND idem_key IN ({})",
                marks.join(", ")
            );
            let mut q = sqlx::query(&sql).bind(fund);
            for k in chunk {
                q = q.bind(*k);
            }
            for row in q.fetch_all(&self.pool).await? {
                let key: String = row.try_get(0)?;
                let seq: i64 = row.try_get(1)?;
                out.insert(key, seq as u64);
            }
        }
        Ok(out)
    }

    /// The latest signed checkpoint of a fund: (tree size, note).
    pub async fn latest_checkpoint(&self, fund: &str) -> Result<Option<(u64, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT tree_size, note FROM checkpoints WHERE fund = $1 ORDER BY tree_size DESC LIMIT 1",
        )
        .bind(fund)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((r.try_get::<i64, _>(0)? as u64, r.try_get(1)?)))
            .transpose()
    }
}

/// Why a proof could not be given.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    /// The sizes or index asked for are impossible (client mistake).
    #[error("{0}")]
    Request(ledger_core::merkle::MerkleError),
    /// No such fund.
    #[error("no such fund")]
    UnknownFund,
    /// Internal fault.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ProofError {
    fn from(e: sqlx::Error) -> Self {
        ProofError::Store(StoreError::Db(e))
    }
}
