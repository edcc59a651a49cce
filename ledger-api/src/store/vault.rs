//! The donor vault in the store: who a resident donor is. Read by auditors; a row is
//! erased on a lawful request, and the chain, which holds only the commitment, still
//! verifies.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{Corruption, Store, StoreError};

/// One vault row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultRow {
    /// Seq of the donation entry.
    pub seq: u64,
    /// The commitment's salt.
    pub salt: [u8; 16],
    /// The committed identity string (see `ledger_core::donor::identity_string`).
    pub identity: String,
}

fn vault_row(r: &AnyRow) -> Result<VaultRow, StoreError> {
    let salt: Vec<u8> = r.try_get(1)?;
    Ok(VaultRow {
        seq: r.try_get::<i64, _>(0)? as u64,
        salt: salt.try_into().map_err(|_| Corruption::Width {
            column: "vault salt",
            bytes: 16,
        })?,
        identity: r.try_get(2)?,
    })
}

impl Store {
    /// The vault row of entry `seq` of `fund`.
    pub async fn vault_row(&self, fund: &str, seq: u64) -> Result<Option<VaultRow>, StoreError> {
        let row =
            sqlx::query("SELECT seq, salt, identity FROM donor_vault WHERE fund = $1 AND seq = $2")
                .bind(fund)
                .bind(seq as i64)
                .fetch_optional(self.pool())
                .await?;
        row.as_ref().map(vault_row).transpose()
    }

    /// Up to `limit` vault rows of `fund` from seq `from`, by seq.
    pub async fn vault_rows(
        &self,
        fund: &str,
        from: u64,
        limit: i64,
    ) -> Result<Vec<VaultRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, salt, identity FROM donor_vault WHERE fund = $1 AND seq >= $2 \
             ORDER BY seq LIMIT $3",
        )
        .bind(fund)
        .bind(super::read::seq_lower_bound(from))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(vault_row).collect()
    }

    /// Erases the vault row of entry `seq`; true when there was one.
    pub async fn erase_vault_row(&self, fund: &str, seq: u64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM donor_vault WHERE fund = $1 AND seq = $2")
            .bind(fund)
            .bind(seq as i64)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
