//! Backups of a SQLite store: a consistent copy written while the server runs.

use std::path::Path;
use std::str::FromStr;

use sqlx::any::AnyConnectOptions;
use sqlx::{ConnectOptions, Connection, Row};

use super::{Backend, Store, StoreError};

/// What a backup holds, read back from the copy itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    /// Size of the file, in bytes.
    pub bytes: u64,
    /// Funds in it.
    pub funds: i64,
    /// Entries in it, all funds together.
    pub entries: i64,
    /// Donor vault records in it (sealed).
    pub vault_records: i64,
    /// Id of the vault key that seals them (hex), if the database recorded one.
    pub vault_key_id: Option<String>,
}

impl Store {
    /// Writes a consistent copy of this SQLite database to `to` with `VACUUM INTO` (one
    /// read transaction: a snapshot, while appends go on; free pages, and so erased
    /// records, are not copied). The file is created first, owner-only (0600), and an
    /// existing file is refused. The copy is then opened, checked (`PRAGMA quick_check`)
    /// and counted. On failure the file is removed.
    pub async fn backup_into(&self, to: &Path) -> Result<BackupSummary, StoreError> {
        use std::os::unix::fs::OpenOptionsExt;
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Db(sqlx::Error::Configuration(
                "a PostgreSQL store is backed up with pg_dump".into(),
            )));
        }
        let io = |e: std::io::Error| StoreError::Db(sqlx::Error::Io(e));
        // `create_new`: never overwrite (VACUUM INTO accepts an existing empty file, and
        // keeps its mode).
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(to)
            .map_err(io)?;
        let result = self.backup_into_created(to).await;
        if result.is_err() {
            let _ = std::fs::remove_file(to);
        }
        result
    }

    async fn backup_into_created(&self, to: &Path) -> Result<BackupSummary, StoreError> {
        let target = to.to_str().ok_or_else(|| {
            StoreError::Db(sqlx::Error::Configuration(
                format!("backup file name {} is not UTF-8", to.display()).into(),
            ))
        })?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(self.pool())
            .await?;
        std::fs::File::open(to)
            .and_then(|f| f.sync_all())
            .map_err(|e| StoreError::Db(sqlx::Error::Io(e)))?;
        let options = AnyConnectOptions::from_str(&format!("sqlite://{target}?mode=rw"))?
            .log_statements(tracing::log::LevelFilter::Trace);
        let mut conn = options.connect().await?;
        let check: String = sqlx::query("PRAGMA quick_check")
            .fetch_one(&mut conn)
            .await?
            .try_get(0)?;
        if check != "ok" {
            return Err(StoreError::Db(sqlx::Error::Protocol(format!(
                "the backup fails SQLite's quick_check: {check}"
            ))));
        }
        let count = |table: &'static str| format!("SELECT COUNT(*) FROM {table}");
        let mut counts = Vec::new();
        for table in ["funds", "entries", "donor_vault_sealed"] {
            counts.push(
                sqlx::query(&count(table))
                    .fetch_one(&mut conn)
                    .await?
                    .try_get::<i64, _>(0)?,
            );
        }
        let vault_key_id = sqlx::query("SELECT key_id FROM vault_key WHERE one = 1")
            .fetch_optional(&mut conn)
            .await?
            .map(|r| r.try_get::<Vec<u8>, _>(0))
            .transpose()?
            .map(hex::encode);
        conn.close().await?;
        let bytes = std::fs::metadata(to)
            .map_err(|e| StoreError::Db(sqlx::Error::Io(e)))?
            .len();
        Ok(BackupSummary {
            bytes,
            funds: counts[0],
            entries: counts[1],
            vault_records: counts[2],
            vault_key_id,
        })
    }
}
