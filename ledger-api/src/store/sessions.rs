//! Trustees' browser sessions in the store (see `crate::sessions`): only hashes of
//! session ids are kept; a session is read together with its credential, so a revoked
//! credential ends its sessions at once.

use sqlx::Row;

use super::{Corruption, Store, StoreError};
use crate::credentials::{credential_id, Credential, Role, Token};
use crate::sessions::{Session, SessionId, SessionLife};

impl Store {
    /// Opens a session for the credential of `token` at `now` (POSIX seconds).
    pub async fn open_session(
        &self,
        id: &SessionId,
        token: &Token,
        csrf: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, token_hash, csrf, created_at, last_seen) \
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(id.hash().to_vec())
        .bind(token.hash().to_vec())
        .bind(csrf)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The live session of `id` at `now`, with its credential, and marks it used. A session
    /// that is unknown, past its life, or whose credential is revoked is `None` (and a dead
    /// one is deleted).
    pub async fn live_session(
        &self,
        id: &SessionId,
        life: SessionLife,
        now: i64,
    ) -> Result<Option<Session>, StoreError> {
        let hash = id.hash().to_vec();
        let row = sqlx::query(
            "SELECT c.token_hash, c.role, c.fund, c.label, c.created_at, c.revoked_at, \
             s.csrf, s.created_at, s.last_seen \
             FROM sessions s JOIN credentials c ON c.token_hash = s.token_hash \
             WHERE s.id_hash = $1",
        )
        .bind(hash.clone())
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = row else {
            return Ok(None);
        };
        let token_hash: Vec<u8> = r.try_get(0)?;
        let role: String = r.try_get(1)?;
        let credential = Credential {
            id: credential_id(&token_hash),
            role: role.parse::<Role>().map_err(Corruption::Role)?,
            fund: r.try_get(2)?,
            label: r.try_get(3)?,
            created_at: r.try_get(4)?,
            revoked_at: r.try_get(5)?,
        };
        let session = Session {
            credential,
            csrf: r.try_get(6)?,
            created_at: r.try_get(7)?,
            last_seen: r.try_get(8)?,
        };
        if !session.credential.is_active()
            || session.credential.role != Role::Trustee
            || !life.alive(session.created_at, session.last_seen, now)
        {
            self.end_session(id).await?;
            return Ok(None);
        }
        if now > session.last_seen {
            sqlx::query("UPDATE sessions SET last_seen = $1 WHERE id_hash = $2 AND last_seen < $1")
                .bind(now)
                .bind(hash)
                .execute(self.pool())
                .await?;
        }
        Ok(Some(Session {
            last_seen: now.max(session.last_seen),
            ..session
        }))
    }

    /// Ends the session of `id` (sign-out); true when there was one.
    pub async fn end_session(&self, id: &SessionId) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id.hash().to_vec())
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
