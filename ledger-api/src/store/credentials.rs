//! Credentials in the store: issue, look up, list, revoke. Only token hashes are kept.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{Corruption, Store, StoreError};
use crate::credentials::{credential_id, Credential, Role, Token};

fn credential_row(r: &AnyRow) -> Result<Credential, StoreError> {
    let hash: Vec<u8> = r.try_get(0)?;
    let role: String = r.try_get(1)?;
    Ok(Credential {
        id: credential_id(&hash),
        role: role.parse::<Role>().map_err(Corruption::Role)?,
        fund: r.try_get(2)?,
        label: r.try_get(3)?,
        created_at: r.try_get(4)?,
        revoked_at: r.try_get(5)?,
    })
}

const CREDENTIAL_COLUMNS: &str = "token_hash, role, fund, label, created_at, revoked_at";

/// Why a revocation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum RevokeError {
    /// No credential has this id.
    #[error("no credential with id `{0}`")]
    NotFound(String),
    /// It was revoked before.
    #[error("credential `{0}` is already revoked")]
    AlreadyRevoked(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Stores a new credential for `token` and returns it. `fund` is required for a
    /// trustee and refused for other roles (the caller checks that the fund exists).
    pub async fn issue_credential(
        &self,
        token: &Token,
        role: Role,
        fund: Option<&str>,
        label: &str,
        now: &str,
    ) -> Result<Credential, StoreError> {
        let hash = token.hash();
        sqlx::query(
            "INSERT INTO credentials (token_hash, role, fund, label, created_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, NULL)",
        )
        .bind(hash.to_vec())
        .bind(role.as_str())
        .bind(fund.map(str::to_owned))
        .bind(label)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(Credential {
            id: credential_id(&hash),
            role,
            fund: fund.map(str::to_owned),
            label: label.to_owned(),
            created_at: now.to_owned(),
            revoked_at: None,
        })
    }

    /// The credential of a presented token, revoked or not; `None` when unknown.
    pub async fn credential_for(&self, token: &Token) -> Result<Option<Credential>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE token_hash = $1"
        ))
        .bind(token.hash().to_vec())
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(credential_row).transpose()
    }

    /// Every credential, oldest first.
    pub async fn credentials(&self) -> Result<Vec<Credential>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM credentials ORDER BY created_at, token_hash"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(credential_row).collect()
    }

    /// Revokes the credential with public id `id` (see
    /// [`credential_id`](crate::credentials::credential_id)).
    pub async fn revoke_credential(&self, id: &str, now: &str) -> Result<Credential, RevokeError> {
        let rows = sqlx::query(&format!("SELECT {CREDENTIAL_COLUMNS} FROM credentials"))
            .fetch_all(self.pool())
            .await
            .map_err(StoreError::from)?;
        let mut found = None;
        for r in &rows {
            let hash: Vec<u8> = r.try_get(0).map_err(StoreError::from)?;
            if credential_id(&hash) == id {
                found = Some((hash, credential_row(r)?));
            }
        }
        let Some((hash, mut cred)) = found else {
            return Err(RevokeError::NotFound(id.to_owned()));
        };
        if !cred.is_active() {
            return Err(RevokeError::AlreadyRevoked(id.to_owned()));
        }
        sqlx::query(
            "UPDATE credentials SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(hash)
        .execute(self.pool())
        .await
        .map_err(StoreError::from)?;
        cred.revoked_at = Some(now.to_owned());
        Ok(cred)
    }
}
