//! The donor vault in the store: who a resident donor is, sealed at rest. Read by
//! auditors; a row is erased on a lawful request, and the chain, which holds only the
//! commitment, still verifies.
//!
//! Each record (the commitment's salt and the identity `name\nphone`) is sealed with
//! XChaCha20-Poly1305 under a key derived from the deployment's [`VaultKey`] (a file of its
//! own, never in the database), with a random 192-bit nonce per record and, as associated
//! data, the fund and the donation's seq: a sealed record moved to another row does not
//! open. The table `donor_vault_sealed` holds only `(fund, seq, sealed)`; the vault is
//! looked up by fund and seq, which are public, so no index on a plaintext value exists.
//! The database records which key seals it (`vault_key`: a keyed hash of the key, not the
//! key), so a server given another key refuses to start instead of writing records that
//! the others cannot read. Rows of the plaintext table `donor_vault` of older deployments
//! are sealed and deleted at the first start with a key ([`Store::seal_plaintext_vault`]).
//!
//! On SQLite, deletes overwrite what they free (`PRAGMA secure_delete`, set on every
//! connection) and an erasure ends with a WAL checkpoint that truncates the WAL, so the
//! erased record's ciphertext is left neither in the database file nor in its WAL.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use ledger_core::donor::SALT_BYTES;
use rand_core::{OsRng, RngCore};
use sha2::Sha256;
use sqlx::Row;
use zeroize::Zeroizing;

use super::{Backend, Corruption, Store, StoreError, VaultRecord};

/// Bytes of a vault key.
pub const VAULT_KEY_BYTES: usize = 32;
/// Bytes of a vault key's id (a keyed hash of the key, safe to print and to store).
pub const VAULT_KEY_ID_BYTES: usize = 16;
/// Bytes of a record's nonce (XChaCha20).
const NONCE_BYTES: usize = 24;
/// Bytes of a record's authentication tag (Poly1305).
const TAG_BYTES: usize = 16;
/// The first byte of every sealed record: the format's version.
const SEALED_VERSION: u8 = 1;
/// Most plaintext rows of an older deployment sealed by one transaction at start.
const PLAINTEXT_ROWS_PER_STEP: i64 = 256;
/// How often an erasure tries to checkpoint the SQLite WAL while others hold it.
const CHECKPOINT_TRIES_MAX: u32 = 10;
/// How long one such try waits for the database's locks.
const CHECKPOINT_BUSY_MS: u64 = 50;
/// Pause between two such tries.
const CHECKPOINT_RETRY_MS: u64 = 50;

/// Domain separation of the derived keys and of the associated data.
const SEAL_KEY_LABEL: &[u8] = b"community-ledger/vault/seal-key/v1";
const KEY_ID_LABEL: &[u8] = b"community-ledger/vault/key-id/v1";
const AAD_PREFIX: &[u8] = b"community-ledger/vault/record/v1\n";

/// One vault row, opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultRow {
    /// Seq of the donation entry.
    pub seq: u64,
    /// The commitment's salt.
    pub salt: [u8; 16],
    /// The committed identity string (see `ledger_core::donor::identity_string`).
    pub identity: String,
}

/// Why the vault could not be read or written. Always the deployment's fault, never the
/// client's: the API logs it and answers 500.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The store was opened without a vault key (a tool that never needs the vault).
    #[error("the store was opened without the vault key: the donor vault can be neither read nor written")]
    Locked,
    /// The database's vault is sealed under another key than the one given.
    #[error(
        "the donor vault of this database is sealed under vault key {database}, but the key \
         given is vault key {given}: start with the deployment's vault key \
         (--vault-key-file, or vault.key in the data dir; restore it with the database)"
    )]
    WrongKey {
        /// Id of the database's key (hex).
        database: String,
        /// Id of the key given (hex).
        given: String,
    },
    /// A sealed record does not open: altered, moved from another row, or truncated.
    #[error(
        "vault record {seq} of fund {fund} does not open under vault key {key}: it was \
         altered, moved from another row, or sealed under another key"
    )]
    Unreadable {
        /// The fund.
        fund: String,
        /// The donation's seq.
        seq: u64,
        /// Id of the key tried (hex).
        key: String,
    },
    /// A record could not be sealed (only for a plaintext beyond the cipher's limit).
    #[error("vault record {seq} of fund {fund} could not be sealed")]
    Seal {
        /// The fund.
        fund: String,
        /// The donation's seq.
        seq: u64,
    },
}

/// The deployment's vault key: seals and opens donor vault records. Made from the 32
/// bytes of the key file ([`VaultKey::from_bytes`]); holds only keys derived from them.
/// Its `Debug` shows the key's id, never the key.
#[derive(Clone)]
pub struct VaultKey {
    cipher: XChaCha20Poly1305,
    id: [u8; VAULT_KEY_ID_BYTES],
}

impl std::fmt::Debug for VaultKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VaultKey(id {})", self.id_hex())
    }
}

/// HMAC-SHA256 of `label` under `key`.
fn derive(key: &[u8; VAULT_KEY_BYTES], label: &[u8]) -> Zeroizing<[u8; 32]> {
    // HMAC accepts a key of any length: `new_from_slice` cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(label);
    Zeroizing::new(mac.finalize().into_bytes().into())
}

/// The associated data of the record of entry `seq` of `fund`: binds it to its row.
fn associated_data(fund: &str, seq: u64) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_PREFIX.len() + 4 + fund.len() + 8);
    aad.extend_from_slice(AAD_PREFIX);
    aad.extend_from_slice(&(fund.len() as u32).to_be_bytes());
    aad.extend_from_slice(fund.as_bytes());
    aad.extend_from_slice(&seq.to_be_bytes());
    aad
}

impl VaultKey {
    /// The key whose file holds `bytes`: the sealing key and the key's id are derived
    /// from them with HMAC-SHA256 under distinct labels.
    pub fn from_bytes(bytes: &[u8; VAULT_KEY_BYTES]) -> VaultKey {
        let seal = derive(bytes, SEAL_KEY_LABEL);
        let id_full = derive(bytes, KEY_ID_LABEL);
        let mut id = [0u8; VAULT_KEY_ID_BYTES];
        id.copy_from_slice(&id_full[..VAULT_KEY_ID_BYTES]);
        VaultKey {
            cipher: XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(&seal[..])),
            id,
        }
    }

    /// 32 fresh random bytes for a new key file.
    pub fn generate_bytes() -> Zeroizing<[u8; VAULT_KEY_BYTES]> {
        let mut bytes = Zeroizing::new([0u8; VAULT_KEY_BYTES]);
        OsRng.fill_bytes(&mut bytes[..]);
        bytes
    }

    /// The key's id, in hex: printable, stored in the database, reveals nothing of the key.
    pub fn id_hex(&self) -> String {
        hex::encode(self.id)
    }

    /// Seals the record of entry `seq` of `fund`: version ‖ nonce ‖ ciphertext and tag of
    /// salt ‖ identity.
    pub fn seal(&self, fund: &str, seq: u64, record: &VaultRecord) -> Result<Vec<u8>, VaultError> {
        let mut plain = Zeroizing::new(Vec::with_capacity(SALT_BYTES + record.identity.len()));
        plain.extend_from_slice(&record.salt);
        plain.extend_from_slice(record.identity.as_bytes());
        let mut nonce = [0u8; NONCE_BYTES];
        OsRng.fill_bytes(&mut nonce);
        let aad = associated_data(fund, seq);
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: &aad,
                },
            )
            .map_err(|_| VaultError::Seal {
                fund: fund.to_owned(),
                seq,
            })?;
        let mut out = Vec::with_capacity(1 + NONCE_BYTES + sealed.len());
        out.push(SEALED_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens the sealed record of entry `seq` of `fund`; any change to it, or a record of
    /// another row, is [`VaultError::Unreadable`].
    pub fn open(&self, fund: &str, seq: u64, sealed: &[u8]) -> Result<VaultRow, VaultError> {
        let unreadable = || VaultError::Unreadable {
            fund: fund.to_owned(),
            seq,
            key: self.id_hex(),
        };
        if sealed.len() < 1 + NONCE_BYTES + TAG_BYTES + SALT_BYTES || sealed[0] != SEALED_VERSION {
            return Err(unreadable());
        }
        let (nonce, body) = sealed[1..].split_at(NONCE_BYTES);
        let aad = associated_data(fund, seq);
        let plain = Zeroizing::new(
            self.cipher
                .decrypt(
                    XNonce::from_slice(nonce),
                    Payload {
                        msg: body,
                        aad: &aad,
                    },
                )
                .map_err(|_| unreadable())?,
        );
        let (salt, identity) = plain.split_at(SALT_BYTES);
        let identity = std::str::from_utf8(identity).map_err(|_| unreadable())?;
        let mut salt_bytes = [0u8; SALT_BYTES];
        salt_bytes.copy_from_slice(salt);
        Ok(VaultRow {
            seq,
            salt: salt_bytes,
            identity: identity.to_owned(),
        })
    }
}

impl Store {
    /// The vault key, or [`VaultError::Locked`].
    fn vault_key(&self) -> Result<&VaultKey, StoreError> {
        self.vault
            .as_ref()
            .ok_or(StoreError::Vault(VaultError::Locked))
    }

    /// The vault row of entry `seq` of `fund`.
    pub async fn vault_row(&self, fund: &str, seq: u64) -> Result<Option<VaultRow>, StoreError> {
        let key = self.vault_key()?;
        let row = sqlx::query("SELECT sealed FROM donor_vault_sealed WHERE fund = $1 AND seq = $2")
            .bind(fund)
            .bind(seq as i64)
            .fetch_optional(self.pool())
            .await?;
        match row {
            None => Ok(None),
            Some(r) => {
                let sealed: Vec<u8> = r.try_get(0)?;
                Ok(Some(key.open(fund, seq, &sealed)?))
            }
        }
    }

    /// Up to `limit` vault rows of `fund` from seq `from`, by seq.
    pub async fn vault_rows(
        &self,
        fund: &str,
        from: u64,
        limit: i64,
    ) -> Result<Vec<VaultRow>, StoreError> {
        let key = self.vault_key()?;
        let rows = sqlx::query(
            "SELECT seq, sealed FROM donor_vault_sealed WHERE fund = $1 AND seq >= $2 \
             ORDER BY seq LIMIT $3",
        )
        .bind(fund)
        .bind(super::read::seq_lower_bound(from))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| -> Result<VaultRow, StoreError> {
                let seq = r.try_get::<i64, _>(0)? as u64;
                let sealed: Vec<u8> = r.try_get(1)?;
                Ok(key.open(fund, seq, &sealed)?)
            })
            .collect()
    }

    /// Erases the vault row of entry `seq`; true when there was one. On SQLite the freed
    /// space is overwritten (`secure_delete`) and the WAL is checkpointed and truncated,
    /// so the sealed record is left in neither file.
    pub async fn erase_vault_row(&self, fund: &str, seq: u64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM donor_vault_sealed WHERE fund = $1 AND seq = $2")
            .bind(fund)
            .bind(seq as i64)
            .execute(self.pool())
            .await?;
        let erased = done.rows_affected() > 0;
        if erased {
            self.truncate_wal().await?;
        }
        Ok(erased)
    }

    /// SQLite: copies the WAL into the database and truncates it to nothing, retrying
    /// while readers or a writer still use it; a WAL that stays busy is logged (its frames
    /// are overwritten by later writes and truncated by a later erasure). Each try waits
    /// at most [`CHECKPOINT_BUSY_MS`] for the lock (not the pool's busy timeout), on a
    /// connection that is closed afterwards, so the erasure answers within about a
    /// second even under appends. No-op on PostgreSQL.
    pub(super) async fn truncate_wal(&self) -> Result<(), StoreError> {
        if self.backend != Backend::Sqlite {
            return Ok(());
        }
        let mut conn = self.pool().acquire().await?;
        // Its busy timeout is changed below: never hand it back to the pool.
        conn.close_on_drop();
        sqlx::query(&format!("PRAGMA busy_timeout = {CHECKPOINT_BUSY_MS}"))
            .execute(&mut *conn)
            .await?;
        for _ in 0..CHECKPOINT_TRIES_MAX {
            let busy = match sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(&mut *conn)
                .await
            {
                Ok(row) => row.try_get::<i64, _>(0)? != 0,
                // SQLITE_BUSY (5) and its extended codes: try again.
                Err(sqlx::Error::Database(e))
                    if e.code()
                        .is_some_and(|c| c.parse::<i64>().is_ok_and(|n| n & 0xff == 5)) =>
                {
                    true
                }
                Err(e) => return Err(e.into()),
            };
            if !busy {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(CHECKPOINT_RETRY_MS)).await;
        }
        tracing::warn!(
            "the WAL stayed busy: an erased vault record may remain in it until the next \
             checkpoint"
        );
        Ok(())
    }

    /// Makes sure the database's vault is sealed under `key`: records the key's id if the
    /// database has none yet, refuses ([`VaultError::WrongKey`]) if it has another.
    pub(super) async fn adopt_vault_key(&self, key: &VaultKey) -> Result<(), StoreError> {
        let insert = match self.backend {
            Backend::Sqlite => "INSERT OR IGNORE INTO vault_key (one, key_id) VALUES (1, $1)",
            Backend::Postgres => {
                "INSERT INTO vault_key (one, key_id) VALUES (1, $1) ON CONFLICT (one) DO NOTHING"
            }
        };
        sqlx::query(insert)
            .bind(key.id.to_vec())
            .execute(self.pool())
            .await?;
        let row = sqlx::query("SELECT key_id FROM vault_key WHERE one = 1")
            .fetch_one(self.pool())
            .await?;
        let stored: Vec<u8> = row.try_get(0)?;
        if stored != key.id {
            return Err(VaultError::WrongKey {
                database: hex::encode(&stored),
                given: key.id_hex(),
            }
            .into());
        }
        Ok(())
    }

    /// Seals the rows of the plaintext table `donor_vault` (written by deployments older
    /// than the sealed vault) into `donor_vault_sealed` and deletes them, a few hundred per
    /// transaction; then, on SQLite, truncates the WAL. Returns how many were sealed.
    pub(super) async fn seal_plaintext_vault(&self, key: &VaultKey) -> Result<u64, StoreError> {
        let mut sealed_total = 0u64;
        loop {
            let mut tx = self.pool().begin().await?;
            // Taken out and sealed in one transaction. The rows are deleted first (and
            // returned): on PostgreSQL another server sealing at the same time waits on
            // their row locks and then skips them (the service role may DELETE but not
            // UPDATE, which `SELECT … FOR UPDATE` would need).
            let rows = sqlx::query(
                "DELETE FROM donor_vault WHERE (fund, seq) IN \
                 (SELECT fund, seq FROM donor_vault ORDER BY fund, seq LIMIT $1) \
                 RETURNING fund, seq, salt, identity",
            )
            .bind(PLAINTEXT_ROWS_PER_STEP)
            .fetch_all(&mut *tx)
            .await?;
            if rows.is_empty() {
                tx.rollback().await?;
                break;
            }
            for r in &rows {
                let fund: String = r.try_get(0)?;
                let seq = r.try_get::<i64, _>(1)? as u64;
                let salt: Vec<u8> = r.try_get(2)?;
                let identity: String = r.try_get(3)?;
                let record = VaultRecord {
                    salt: salt.try_into().map_err(|_| Corruption::Width {
                        column: "vault salt",
                        bytes: SALT_BYTES,
                    })?,
                    identity,
                };
                let sealed = key.seal(&fund, seq, &record)?;
                sqlx::query(
                    "INSERT INTO donor_vault_sealed (fund, seq, sealed) VALUES ($1, $2, $3)",
                )
                .bind(&fund)
                .bind(seq as i64)
                .bind(sealed)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            sealed_total += rows.len() as u64;
        }
        if sealed_total > 0 {
            self.truncate_wal().await?;
        }
        Ok(sealed_total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> VaultRecord {
        VaultRecord {
            salt: [9; 16],
            identity: "张秀兰\n13912345678".to_owned(),
        }
    }

    #[test]
    fn a_record_opens_only_in_its_own_row_under_its_own_key() {
        let key = VaultKey::from_bytes(&[1; 32]);
        let sealed = key.seal("fund-a", 7, &record()).expect("seals");
        let row = key.open("fund-a", 7, &sealed).expect("opens");
        assert_eq!(
            (row.seq, row.salt, row.identity.as_str()),
            (7, [9; 16], "张秀兰\n13912345678")
        );
        // No plaintext in the sealed bytes.
        let plain = record().identity.into_bytes();
        assert!(!sealed.windows(plain.len()).any(|w| w == plain));
        assert!(!sealed.windows(16).any(|w| w == [9u8; 16]));
        // Another row, another fund, another key: refused, never a wrong answer.
        for (fund, seq, k) in [
            ("fund-a", 8, &key),
            ("fund-b", 7, &key),
            ("fund-a", 7, &VaultKey::from_bytes(&[2; 32])),
        ] {
            assert!(
                matches!(
                    k.open(fund, seq, &sealed),
                    Err(VaultError::Unreadable { .. })
                ),
                "{fund} {seq}"
            );
        }
        // Every single-byte change and every truncation is refused.
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert!(key.open("fund-a", 7, &bad).is_err(), "byte {i} flipped");
            assert!(key.open("fund-a", 7, &sealed[..i]).is_err(), "cut at {i}");
        }
    }

    #[test]
    fn each_seal_has_its_own_nonce_and_the_key_id_reveals_no_key() {
        let key = VaultKey::from_bytes(&[1; 32]);
        let a = key.seal("f", 1, &record()).expect("seals");
        let b = key.seal("f", 1, &record()).expect("seals");
        assert_ne!(a, b, "a random nonce per record");
        assert_eq!(key.id_hex(), VaultKey::from_bytes(&[1; 32]).id_hex());
        assert_ne!(key.id_hex(), VaultKey::from_bytes(&[2; 32]).id_hex());
        assert!(!format!("{key:?}").contains(&hex::encode([1u8; 32])));
    }
}
