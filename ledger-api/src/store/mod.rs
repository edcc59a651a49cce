//! The durable store: the log, its Merkle nodes, checkpoints, the donor vault and
//! credentials, in SQLite (the embedded default) or PostgreSQL, through sqlx's `Any` driver
//! with runtime-checked queries (the same SQL text serves both; see ARCHITECTURE.md).
//!
//! Appends go through [`Store::open_batch`] and [`OpenBatch::commit`] only (or
//! [`Store::commit_batch`], both in one call; on PostgreSQL first [`Store::append_fast`],
//! one call of a server-side function that writes only if the fund's head is the one the
//! writer's state is at), one fund at a time, under that fund's lock: a PostgreSQL row
//! lock on the fund's head row (so several server processes can share one database), or
//! the single SQLite writer of this process.

mod append;
mod append_pg;
mod backup;
mod credentials;
mod error;
mod group;
mod months;
mod proposals;
mod read;
mod rebuild;
mod report;
mod sessions;
mod statutory;
mod vault;
mod witnesses;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor, Row};
use tokio::sync::Mutex;

/// A statement of the `Any` driver with its arguments, as the append path's writers bind
/// rows into it.
type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

pub use append::{AppendOutcome, AppendRequest, BatchError, Rejection};
pub use append::{GroupPart, LogSigner, OpenBatch, PartOutcome, VaultRecord};
pub use append_pg::FastAppend;
pub use backup::BackupSummary;
pub use credentials::RevokeError;
pub use error::{Corruption, ProposalFault, StoreError};
pub use months::{MonthIndexCheck, MonthKind};
pub use proposals::{ProposalRow, ProposalStatus};
pub use read::{EntryRow, FundRow, ProofError, PAGE_ROWS_MAX};
pub use rebuild::StateRow;
pub use report::{
    kind_totals_of, month_ends_of, KindTotal, MonthEnd, PeriodReport, MONTH_ENDS_MAX,
};
pub use vault::{VaultError, VaultKey, VaultRow, VAULT_KEY_BYTES};
pub use witnesses::{CosignatureRow, RoundWrite, WitnessedRow};

/// Which database the store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// Connections in the pool.
pub const POOL_CONNECTIONS_MAX: u32 = 16;
/// How long SQLite waits for a lock before giving up.
pub const SQLITE_BUSY_TIMEOUT_MS: u64 = 10_000;

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// The store. Cheap to clone through `Arc`.
#[derive(Debug)]
pub struct Store {
    pool: AnyPool,
    /// The pool that appends use: a single connection on SQLite, `pool` on PostgreSQL.
    writer: AnyPool,
    backend: Backend,
    /// SQLite has one writer: appends of this process queue here instead of failing busy.
    sqlite_writer: Mutex<()>,
    /// The donor vault's key; `None` for tools that never read or write the vault.
    vault: Option<VaultKey>,
    /// PostgreSQL: typed connections for the one-round-trip append
    /// ([`Store::append_fast`]); `None` on SQLite.
    pg: Option<sqlx::PgPool>,
}

/// True when every migration of `migrator` is recorded as applied, with the same checksum
/// (an edited migration makes this false, and the migrator then refuses it).
/// What opening the store does with migrations the database has not applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Schema {
    /// Apply them (the server, `token`, `report`).
    Migrate,
    /// Refuse the database (`backup`: it copies the database as it is).
    Require,
}

/// How many of `migrator`'s migrations the database has not applied successfully (all of
/// them when it has no migration table).
async fn pending_migrations(pool: &AnyPool, migrator: &sqlx::migrate::Migrator) -> usize {
    let applied: Vec<i64> = sqlx::query("SELECT version FROM _sqlx_migrations WHERE success")
        .fetch_all(pool)
        .await
        .map(|rows| rows.iter().filter_map(|r| r.try_get(0).ok()).collect())
        .unwrap_or_default();
    migrator
        .iter()
        .filter(|m| !applied.contains(&m.version))
        .count()
}

async fn all_applied(pool: &AnyPool, migrator: &sqlx::migrate::Migrator) -> bool {
    let applied = sqlx::query("SELECT version, checksum FROM _sqlx_migrations WHERE success")
        .fetch_all(pool)
        .await;
    let Ok(rows) = applied else { return false };
    let applied: Vec<(i64, Vec<u8>)> = rows
        .iter()
        .filter_map(|r| Some((r.try_get(0).ok()?, r.try_get(1).ok()?)))
        .collect();
    migrator.iter().all(|m| {
        applied
            .iter()
            .any(|(v, c)| *v == m.version && **c == *m.checksum)
    })
}

/// A pool of at most `max` connections to `options`, each set up for the ledger (on
/// SQLite: WAL, full sync, foreign keys, recursive triggers, busy timeout).
async fn connect_pool(
    options: &AnyConnectOptions,
    backend: Backend,
    max: u32,
) -> Result<AnyPool, StoreError> {
    let pool = AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(30))
        // A SQLite connection is a file handle that does not drop: no ping (a round trip
        // to its worker thread) before each use. A PostgreSQL one may have been cut.
        .test_before_acquire(backend == Backend::Postgres)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // Durability: an acknowledged commit is on disk (WAL + fsync).
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = FULL").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    // Statement journals (undo of one statement) need not touch the disk.
                    conn.execute("PRAGMA temp_store = MEMORY").await?;
                    // REPLACE then fires DELETE triggers too (see migration 0002).
                    conn.execute("PRAGMA recursive_triggers = ON").await?;
                    // A delete overwrites what it frees: an erased vault record leaves no
                    // bytes behind in the database file (see store::vault).
                    conn.execute("PRAGMA secure_delete = ON").await?;
                    conn.execute(
                        format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}").as_str(),
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .connect_with(options.clone())
        .await?;
    Ok(pool)
}

/// The file of a SQLite URL (`sqlite://PATH?…`, `sqlite:PATH`), unless in memory; `None`
/// for PostgreSQL.
pub fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    let memory = path.is_empty() || path == ":memory:" || url.contains("mode=memory");
    (!memory).then(|| std::path::PathBuf::from(path))
}

/// Makes the SQLite database owner-only (0600) before SQLite opens it: a missing file is
/// created empty with that mode (an empty file is an empty database), an existing one and
/// its `-wal` and `-shm` files are set to it. SQLite gives the `-wal` and `-shm` files it
/// creates the database file's mode. The database holds the donor vault.
fn owner_only_sqlite_files(url: &str) -> Result<(), StoreError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let Some(path) = sqlite_path(url) else {
        return Ok(());
    };
    if url.contains("mode=ro") {
        // Opened to read only (perhaps by another user): nothing is created or changed.
        return Ok(());
    }
    let io = |e: std::io::Error| StoreError::Db(sqlx::Error::Io(e));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
    {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io(e)),
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.clone().into_os_string();
        name.push(suffix);
        match std::fs::set_permissions(&name, std::fs::Permissions::from_mode(0o600)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            // Not this user's file (SQLite may still open it through group rights): say so.
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                tracing::warn!(file = ?name, "cannot make the database owner-only: {e}");
            }
            Err(e) => return Err(io(e)),
        }
    }
    Ok(())
}

impl Store {
    /// [`Store::open`] for the server: the donor vault sealed and opened with `key`. The
    /// database is checked to be sealed under that key ([`VaultError::WrongKey`] if not;
    /// the first start records it), and plaintext vault rows of an older deployment are
    /// sealed and deleted.
    pub async fn open_with_vault(url: &str, key: VaultKey) -> Result<Store, StoreError> {
        let mut store = Store::open(url).await?;
        store.adopt_vault_key(&key).await?;
        let sealed = store.seal_plaintext_vault(&key).await?;
        if sealed > 0 {
            tracing::info!(
                rows = sealed,
                "sealed the plaintext donor vault rows of an older deployment"
            );
        }
        store.vault = Some(key);
        Ok(store)
    }

    /// Opens the database at `url` (`sqlite://path` or `postgres://…`), creating a missing
    /// SQLite file, and applies the migrations. Without a vault key: for tools that never
    /// read or write the donor vault (reading or writing it is [`VaultError::Locked`]);
    /// the server opens it with [`Store::open_with_vault`].
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        Store::open_schema(url, Schema::Migrate).await
    }

    /// Opens the database at `url` as it is: no migration is applied, and a database
    /// that lacks some of this binary's is refused ([`StoreError::SchemaNotCurrent`]).
    /// For `backup`, which must copy a running server's database without changing it.
    /// Without a vault key, like [`Store::open`].
    pub async fn open_current(url: &str) -> Result<Store, StoreError> {
        Store::open_schema(url, Schema::Require).await
    }

    async fn open_schema(url: &str, schema: Schema) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        if backend == Backend::Sqlite {
            owner_only_sqlite_files(url)?;
        }
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url)?
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(1));
        let pool = connect_pool(&options, backend, POOL_CONNECTIONS_MAX).await?;
        // SQLite's appends all go through one connection: they are serialised anyway
        // (one writer), and the same connection keeps its page cache and its worker
        // thread warm from one batch to the next (a pool hands out its idle connections
        // in turn; each would first re-read the pages that the others wrote).
        let writer = match backend {
            Backend::Sqlite => connect_pool(&options, backend, 1).await?,
            Backend::Postgres => pool.clone(),
        };
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATOR,
            Backend::Postgres => &POSTGRES_MIGRATOR,
        };
        // A restricted role (PostgreSQL `ledger_app`) cannot run migrations; it need not
        // when the owner already applied all of them.
        if !all_applied(&pool, migrator).await {
            match schema {
                Schema::Migrate => migrator.run(&pool).await?,
                Schema::Require => {
                    let pending = pending_migrations(&pool, migrator).await;
                    pool.close().await;
                    writer.close().await;
                    return Err(StoreError::SchemaNotCurrent { pending });
                }
            }
        }
        let pg = match backend {
            Backend::Postgres => Some(append_pg::fast_pool(&url)?),
            Backend::Sqlite => None,
        };
        Ok(Store {
            pool,
            writer,
            backend,
            sqlite_writer: Mutex::new(()),
            vault: None,
            pg,
        })
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for tests that must send raw SQL.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The pool that appends use (one connection on SQLite): for a benchmark's baseline
    /// measured the same way.
    pub fn writer_pool(&self) -> &AnyPool {
        &self.writer
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes the pools, waiting for connections to be returned.
    pub async fn close(&self) {
        if let Some(pg) = &self.pg {
            pg.close().await;
        }
        self.writer.close().await;
        self.pool.close().await;
    }
}
