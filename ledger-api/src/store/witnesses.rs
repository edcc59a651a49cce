//! Witnesses' cosignatures in the store: per fund and witness the newest cosignature
//! (the size it last cosigned), and per fund and policy the newest checkpoint that met
//! the quorum (migrations `0008_witnesses` on SQLite, `0007_witnesses` on PostgreSQL).

use sqlx::Row;

use super::{Store, StoreError};

/// A witness's newest cosignature on a fund's checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignatureRow {
    /// The witness's vkey.
    pub witness_key: String,
    /// The size of the checkpoint it cosigned: the size it last cosigned.
    pub tree_size: u64,
    /// Its cosignature line (`— <name> <base64>`, no newline).
    pub line: String,
}

/// The newest checkpoint of a fund that met a policy's quorum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessedRow {
    /// The checkpoint's tree size.
    pub tree_size: u64,
    /// The checkpoint's signed note with the witnesses' cosignature lines appended.
    pub note: String,
    /// When the quorum was met, in POSIX seconds.
    pub witnessed_at: u64,
}

fn size_column(v: i64) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| {
        StoreError::Db(sqlx::Error::Decode(
            format!("negative tree size {v} in a witness table").into(),
        ))
    })
}

/// One fund's results of a witness round, for [`Store::record_witness_round`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundWrite {
    /// The fund.
    pub fund: String,
    /// The size of the checkpoint the witnesses were asked to cosign.
    pub tree_size: u64,
    /// The verified cosignatures on it: (witness vkey, line).
    pub cosignatures: Vec<(String, String)>,
    /// The checkpoint with the cosignatures appended, when they meet the quorum, and
    /// when (POSIX seconds).
    pub witnessed: Option<(String, u64)>,
}

const UPSERT_COSIGNATURE: &str =
    "INSERT INTO witness_cosignatures (fund, witness_key, tree_size, line) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (fund, witness_key) \
     DO UPDATE SET tree_size = excluded.tree_size, line = excluded.line";

const UPSERT_WITNESSED: &str =
    "INSERT INTO witnessed_checkpoints (fund, policy, tree_size, note, witnessed_at) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (fund, policy) \
     DO UPDATE SET tree_size = excluded.tree_size, note = excluded.note, \
     witnessed_at = excluded.witnessed_at \
     WHERE excluded.tree_size > witnessed_checkpoints.tree_size";

async fn upsert_cosignature(
    conn: &mut sqlx::AnyConnection,
    fund: &str,
    witness_key: &str,
    tree_size: u64,
    line: &str,
) -> Result<(), StoreError> {
    sqlx::query(UPSERT_COSIGNATURE)
        .bind(fund)
        .bind(witness_key)
        .bind(tree_size as i64)
        .bind(line)
        .execute(conn)
        .await?;
    Ok(())
}

async fn upsert_witnessed(
    conn: &mut sqlx::AnyConnection,
    fund: &str,
    policy: &str,
    tree_size: u64,
    note: &str,
    witnessed_at: u64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(UPSERT_WITNESSED)
        .bind(fund)
        .bind(policy)
        .bind(tree_size as i64)
        .bind(note)
        .bind(i64::try_from(witnessed_at).unwrap_or(i64::MAX))
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

impl Store {
    /// Records `witness_key`'s cosignature `line` on `fund`'s checkpoint of `tree_size`,
    /// replacing its previous one.
    pub async fn record_cosignature(
        &self,
        fund: &str,
        witness_key: &str,
        tree_size: u64,
        line: &str,
    ) -> Result<(), StoreError> {
        let mut conn = self.pool().acquire().await?;
        upsert_cosignature(&mut conn, fund, witness_key, tree_size, line).await
    }

    /// Records a whole witness round of policy `policy` in one transaction (on SQLite one
    /// write lock and one fsync a round, not three a fund: the appends share that lock):
    /// each fund's cosignatures, and its witnessed checkpoint where it is larger than the
    /// stored one. Returns, per fund in order, whether its witnessed checkpoint advanced.
    pub async fn record_witness_round(
        &self,
        policy: &str,
        funds: &[RoundWrite],
    ) -> Result<Vec<bool>, StoreError> {
        let mut tx = self.pool().begin().await?;
        let mut advanced = Vec::with_capacity(funds.len());
        for f in funds {
            for (key, line) in &f.cosignatures {
                upsert_cosignature(&mut tx, &f.fund, key, f.tree_size, line).await?;
            }
            advanced.push(match &f.witnessed {
                Some((note, at)) => {
                    upsert_witnessed(&mut tx, &f.fund, policy, f.tree_size, note, *at).await?
                }
                None => false,
            });
        }
        tx.commit().await?;
        Ok(advanced)
    }

    /// Every witness's newest cosignature on `fund`'s checkpoints.
    pub async fn cosignatures(&self, fund: &str) -> Result<Vec<CosignatureRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT witness_key, tree_size, line FROM witness_cosignatures \
             WHERE fund = $1 ORDER BY witness_key",
        )
        .bind(fund)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CosignatureRow {
                    witness_key: r.try_get(0)?,
                    tree_size: size_column(r.try_get(1)?)?,
                    line: r.try_get(2)?,
                })
            })
            .collect()
    }

    /// Records `note` (the checkpoint of `tree_size` with its cosignatures) as `fund`'s
    /// newest checkpoint meeting policy `policy`'s quorum, witnessed at `witnessed_at`,
    /// if it is larger than the one stored. Returns whether it was recorded.
    pub async fn record_witnessed(
        &self,
        fund: &str,
        policy: &str,
        tree_size: u64,
        note: &str,
        witnessed_at: u64,
    ) -> Result<bool, StoreError> {
        let mut conn = self.pool().acquire().await?;
        upsert_witnessed(&mut conn, fund, policy, tree_size, note, witnessed_at).await
    }

    /// The newest checkpoint of `fund` that met the quorum of policy `policy`.
    pub async fn witnessed_checkpoint(
        &self,
        fund: &str,
        policy: &str,
    ) -> Result<Option<WitnessedRow>, StoreError> {
        let row = sqlx::query(
            "SELECT tree_size, note, witnessed_at FROM witnessed_checkpoints \
             WHERE fund = $1 AND policy = $2",
        )
        .bind(fund)
        .bind(policy)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(WitnessedRow {
                tree_size: size_column(r.try_get(0)?)?,
                note: r.try_get(1)?,
                witnessed_at: size_column(r.try_get(2)?)?,
            })
        })
        .transpose()
    }
}
