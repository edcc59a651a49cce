//! The witness's SQLite file (`witness.db`, WAL, `synchronous=FULL`): the configured logs,
//! the newest checkpoint cosigned per origin, and the evidence of split views.
//!
//! Every compare-and-store of an origin's size goes through one writer task that owns
//! its own connection ([`Writer`]): it takes the requests waiting (up to a batch), runs
//! them in order in ONE `BEGIN IMMEDIATE` transaction, commits (an fsync of the WAL), and
//! only then answers each (group commit). One writer serialises every origin, so two
//! requests with the same old size cannot both win, and nothing is acknowledged before
//! it is on disk.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use ledger_core::hash::{empty_root, Hash};
use ledger_core::merkle::verify_consistency;
use ledger_core::note::NoteVerifier;
use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection as _, Row as _, SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use super::config::{LogConfig, OriginPattern};

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "witness.db";

/// Most requests committed in one transaction by default.
pub const BATCH_MAX: usize = 256;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS logs (
    kind TEXT NOT NULL CHECK (kind IN ('origin', 'prefix')),
    value TEXT NOT NULL,
    vkey TEXT NOT NULL,
    PRIMARY KEY (kind, value, vkey)
);
CREATE TABLE IF NOT EXISTS checkpoints (
    origin TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    note TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS evidence (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    origin TEXT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    request TEXT NOT NULL,
    stored_size INTEGER NOT NULL,
    stored_note TEXT
);
";

fn options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(10))
}

/// Opens (creating if needed) the database in `data_dir`: a small pool for reads and
/// configuration, and the schema.
pub async fn open_pool(data_dir: &Path) -> anyhow::Result<SqlitePool> {
    let path = data_dir.join(DB_FILE);
    let pool = SqlitePoolOptions::new()
        .max_connections(2)
        .connect_with(options(&path))
        .await
        .with_context(|| format!("cannot open {}", path.display()))?;
    sqlx::raw_sql(SCHEMA)
        .execute(&pool)
        .await
        .with_context(|| format!("cannot create the tables of {}", path.display()))?;
    Ok(pool)
}

/// Adds `keys` as trusted for `pattern` (keys already there are kept).
pub async fn add_log(
    pool: &SqlitePool,
    pattern: &OriginPattern,
    keys: &[NoteVerifier],
) -> anyhow::Result<()> {
    let (kind, value) = pattern.to_stored();
    let mut tx = pool.begin().await?;
    for key in keys {
        sqlx::query("INSERT OR IGNORE INTO logs (kind, value, vkey) VALUES (?, ?, ?)")
            .bind(kind)
            .bind(value)
            .bind(key.to_vkey())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Removes `pattern` and its keys; returns how many keys were removed.
pub async fn remove_log(pool: &SqlitePool, pattern: &OriginPattern) -> anyhow::Result<u64> {
    let (kind, value) = pattern.to_stored();
    let done = sqlx::query("DELETE FROM logs WHERE kind = ? AND value = ?")
        .bind(kind)
        .bind(value)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

/// The configured logs, each with its keys.
pub async fn logs(pool: &SqlitePool) -> anyhow::Result<Vec<LogConfig>> {
    let rows = sqlx::query("SELECT kind, value, vkey FROM logs ORDER BY kind, value, vkey")
        .fetch_all(pool)
        .await?;
    let mut out: Vec<LogConfig> = Vec::new();
    for row in rows {
        let kind: String = row.try_get(0)?;
        let value: String = row.try_get(1)?;
        let vkey: String = row.try_get(2)?;
        let pattern = OriginPattern::from_stored(&kind, &value)
            .with_context(|| format!("unknown log kind {kind:?} in the database"))?;
        let key = NoteVerifier::from_vkey(&vkey)
            .map_err(|e| anyhow::anyhow!("stored log vkey {vkey:?}: {e}"))?;
        match out.iter_mut().find(|l| l.pattern == pattern) {
            Some(log) => log.keys.push(key),
            None => out.push(LogConfig {
                pattern,
                keys: vec![key],
            }),
        }
    }
    Ok(out)
}

/// The newest checkpoint cosigned for one origin.
#[derive(Debug, Clone, Serialize)]
pub struct Cosigned {
    /// The checkpoint origin.
    pub origin: String,
    /// Its tree size.
    pub size: u64,
    /// Its root hash, standard base64.
    pub root_b64: String,
    /// The checkpoint's signed note as the log sent it.
    pub note: String,
    /// When it was stored (POSIX seconds).
    pub updated_at: i64,
}

/// Every origin's newest cosigned checkpoint.
pub async fn cosigned(pool: &SqlitePool) -> anyhow::Result<Vec<Cosigned>> {
    use base64::Engine as _;
    let rows =
        sqlx::query("SELECT origin, size, root, note, updated_at FROM checkpoints ORDER BY origin")
            .fetch_all(pool)
            .await?;
    rows.into_iter()
        .map(|row| {
            let size: i64 = row.try_get(1)?;
            let root: Vec<u8> = row.try_get(2)?;
            Ok(Cosigned {
                origin: row.try_get(0)?,
                size: u64::try_from(size)?,
                root_b64: base64::engine::general_purpose::STANDARD.encode(root),
                note: row.try_get(3)?,
                updated_at: row.try_get(4)?,
            })
        })
        .collect()
}

/// A validly log-signed checkpoint refused as inconsistent with the one cosigned before:
/// evidence that the log shows different histories to different parties.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    /// Order of recording.
    pub id: i64,
    /// The checkpoint origin.
    pub origin: String,
    /// `same_size_other_root` or `inconsistent_proof`.
    pub reason: String,
    /// What failed, in English.
    pub detail: String,
    /// When it was received (POSIX seconds).
    pub received_at: i64,
    /// The whole request body: old size, the consistency proof, the signed checkpoint.
    pub request: String,
    /// The size of the checkpoint cosigned before, which it conflicts with.
    pub stored_size: u64,
    /// That checkpoint's signed note.
    pub stored_note: Option<String>,
}

/// Every piece of evidence recorded, oldest first.
pub async fn evidence(pool: &SqlitePool) -> anyhow::Result<Vec<Evidence>> {
    let rows = sqlx::query(
        "SELECT id, origin, reason, detail, received_at, request, stored_size, stored_note
         FROM evidence ORDER BY id",
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| {
            let stored: i64 = row.try_get(6)?;
            Ok(Evidence {
                id: row.try_get(0)?,
                origin: row.try_get(1)?,
                reason: row.try_get(2)?,
                detail: row.try_get(3)?,
                received_at: row.try_get(4)?,
                request: row.try_get(5)?,
                stored_size: u64::try_from(stored)?,
                stored_note: row.try_get(7)?,
            })
        })
        .collect()
}

/// One checked request for the writer: a validly log-signed checkpoint with the old size
/// and proof it came with.
#[derive(Debug)]
pub struct Job {
    /// The checkpoint origin.
    pub origin: String,
    /// The old size sent.
    pub old_size: u64,
    /// The consistency proof sent.
    pub proof: Vec<Hash>,
    /// The checkpoint's tree size (at most `i64::MAX`).
    pub size: u64,
    /// The checkpoint's root.
    pub root: Hash,
    /// The signed note as sent.
    pub note: String,
    /// The whole request body (kept as evidence if refused as inconsistent).
    pub request: String,
}

/// The writer's decision on a [`Job`], committed before it is returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored (or already the stored checkpoint): cosign it.
    Cosign,
    /// The old size is not the stored size (409 `text/x.tlog.size`).
    StaleOldSize {
        /// The stored size.
        stored: u64,
    },
    /// Same size as the stored checkpoint, another root (409); recorded as evidence.
    SameSizeOtherRoot,
    /// The consistency proof does not verify (422); recorded as evidence.
    BadProof(String),
}

/// The handle of the writer task: submit a job, get its committed outcome.
#[derive(Clone, Debug)]
pub struct Writer {
    tx: mpsc::Sender<(Job, oneshot::Sender<Result<Outcome, String>>)>,
}

impl Writer {
    /// Opens the writer's own connection to the database in `data_dir` and starts its
    /// task (needs a Tokio runtime). `batch_max` bounds the requests committed together
    /// (1 disables group commit).
    pub async fn start(data_dir: &Path, batch_max: usize) -> anyhow::Result<Writer> {
        let path = data_dir.join(DB_FILE);
        let conn = SqliteConnection::connect_with(&options(&path))
            .await
            .with_context(|| format!("cannot open {}", path.display()))?;
        let (tx, rx) = mpsc::channel(4096);
        tokio::spawn(run(conn, rx, batch_max.max(1)));
        Ok(Writer { tx })
    }

    /// Decides `job` against the stored state and commits the result before returning.
    pub async fn submit(&self, job: Job) -> Result<Outcome, String> {
        let (reply, wait) = oneshot::channel();
        self.tx
            .send((job, reply))
            .await
            .map_err(|_| "the witness store is closed".to_string())?;
        wait.await
            .map_err(|_| "the witness store stopped".to_string())?
    }
}

type Pending = (Job, oneshot::Sender<Result<Outcome, String>>);

async fn run(mut conn: SqliteConnection, mut rx: mpsc::Receiver<Pending>, batch_max: usize) {
    let mut batch: Vec<Pending> = Vec::with_capacity(batch_max);
    while rx.recv_many(&mut batch, batch_max).await > 0 {
        match commit_batch(&mut conn, &batch).await {
            Ok(outcomes) => {
                for ((_, reply), outcome) in batch.drain(..).zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(e) => {
                let _ = sqlx::query("ROLLBACK").execute(&mut conn).await;
                let msg = format!("the witness store failed: {e}");
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Err(msg.clone()));
                }
            }
        }
    }
}

async fn commit_batch(
    conn: &mut SqliteConnection,
    batch: &[Pending],
) -> anyhow::Result<Vec<Outcome>> {
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
    let now = super::unix_now() as i64;
    let mut outcomes = Vec::with_capacity(batch.len());
    for (job, _) in batch {
        outcomes.push(decide(conn, job, now).await?);
    }
    sqlx::query("COMMIT").execute(&mut *conn).await?;
    Ok(outcomes)
}

/// The tlog-witness v1.0.0 checks that need the stored state, and their writes.
async fn decide(conn: &mut SqliteConnection, job: &Job, now: i64) -> anyhow::Result<Outcome> {
    let row = sqlx::query("SELECT size, root, note FROM checkpoints WHERE origin = ?")
        .bind(&job.origin)
        .fetch_optional(&mut *conn)
        .await?;
    let (stored_size, stored_root, stored_note) = match row {
        Some(row) => {
            let size: i64 = row.try_get(0)?;
            let root: Vec<u8> = row.try_get(1)?;
            let root: [u8; 32] = root
                .try_into()
                .map_err(|_| anyhow::anyhow!("stored root of {} is not 32 bytes", job.origin))?;
            (
                u64::try_from(size)?,
                Hash(root),
                Some(row.try_get::<String, _>(2)?),
            )
        }
        None => (0, empty_root(), None),
    };
    if job.old_size != stored_size {
        return Ok(Outcome::StaleOldSize {
            stored: stored_size,
        });
    }
    let refusal = if job.old_size == job.size {
        if !job.proof.is_empty() {
            // A malformed proof, not a conflicting checkpoint: nothing to keep.
            return Ok(Outcome::BadProof(
                "a checkpoint of the old size needs an empty consistency proof".into(),
            ));
        } else if job.root != stored_root {
            Some(Outcome::SameSizeOtherRoot)
        } else {
            // The same checkpoint again (or the first, empty one): stored below, so
            // the newest note is kept.
            None
        }
    } else if job.old_size == 0 {
        None
    } else {
        verify_consistency(job.old_size, job.size, &job.proof, &stored_root, &job.root)
            .err()
            .map(|e| Outcome::BadProof(format!("the consistency proof does not verify: {e}")))
    };
    match refusal {
        None => {
            sqlx::query(
                "INSERT INTO checkpoints (origin, size, root, note, updated_at) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root,
                   note = excluded.note, updated_at = excluded.updated_at",
            )
            .bind(&job.origin)
            .bind(i64::try_from(job.size)?)
            .bind(job.root.as_bytes().as_slice())
            .bind(&job.note)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            Ok(Outcome::Cosign)
        }
        Some(outcome) => {
            let (reason, detail) = match &outcome {
                Outcome::SameSizeOtherRoot => (
                    "same_size_other_root",
                    format!(
                        "a checkpoint of size {} with another root than the one cosigned",
                        job.size
                    ),
                ),
                Outcome::BadProof(why) => ("inconsistent_proof", why.clone()),
                _ => ("other", String::new()),
            };
            sqlx::query(
                "INSERT INTO evidence (origin, reason, detail, received_at, request, stored_size, stored_note)
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&job.origin)
            .bind(reason)
            .bind(detail)
            .bind(now)
            .bind(&job.request)
            .bind(i64::try_from(stored_size)?)
            .bind(stored_note)
            .execute(&mut *conn)
            .await?;
            Ok(outcome)
        }
    }
}
