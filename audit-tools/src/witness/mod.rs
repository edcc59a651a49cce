//! `ledger-witness`: a C2SP tlog-witness v1.0.0 witness, the service a residents'
//! committee or a district bureau runs to cosign every fund's checkpoints only when they
//! are consistent with what it cosigned before.
//!
//! One data directory holds everything: the key ([`keyfile`], `witness.key` 0600 and
//! `witness.name`) and one SQLite file ([`store`], WAL, `synchronous=FULL`) with the
//! configured logs ([`config`]), the newest cosigned checkpoint per origin and the
//! evidence of split views. [`request`] parses the `add-checkpoint` body, [`add`] runs the
//! spec's checks, [`http`] serves them with axum, [`cli`] is the binary.
//!
//! In-process use (the demo):
//!
//! ```no_run
//! # async fn demo(dir: &std::path::Path, key: ledger_core::cosignature::CosignerKey,
//! #               log: ledger_core::note::NoteVerifier) -> anyhow::Result<()> {
//! use audit_tools::witness::{self, OriginPattern, Witness};
//! let w = Witness::open_with_key(dir, key).await?;
//! w.add_log(&OriginPattern::Prefix("ledger.example/hexing".into()), &[log]).await?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! tokio::spawn(witness::serve(listener, w));
//! # Ok(()) }
//! ```

pub mod add;
pub mod cli;
pub mod config;
pub mod http;
pub mod keyfile;
pub mod request;
pub mod store;

use std::path::Path;
use std::sync::{Arc, RwLock};

use anyhow::Context as _;
use ledger_core::cosignature::{CosignerKey, CosignerVerifier};
use ledger_core::note::NoteVerifier;
use sqlx::SqlitePool;

pub use config::{LogConfig, OriginPattern};
pub use store::{Cosigned, Evidence};

/// A witness: its key, its store and the logs it cosigns for. Cheap to clone (shared).
#[derive(Clone)]
pub struct Witness {
    inner: Arc<Inner>,
}

struct Inner {
    key: CosignerKey,
    pool: SqlitePool,
    writer: store::Writer,
    logs: RwLock<Vec<LogConfig>>,
}

impl std::fmt::Debug for Witness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Witness")
            .field("key", &self.inner.key)
            .finish_non_exhaustive()
    }
}

/// Options of [`Witness::open_with_options`].
#[derive(Debug, Clone)]
pub struct WitnessOptions {
    /// Most requests committed in one SQLite transaction (group commit); 1 commits each
    /// request alone. Default [`store::BATCH_MAX`].
    pub batch_max: usize,
}

impl Default for WitnessOptions {
    fn default() -> Self {
        WitnessOptions {
            batch_max: store::BATCH_MAX,
        }
    }
}

impl Witness {
    /// Opens the witness of `data_dir` with the key made by `ledger-witness keygen` there
    /// (refused if others can read it), creating the database if needed. Needs a Tokio
    /// runtime (the store's writer task is spawned on it).
    pub async fn open(data_dir: &Path) -> anyhow::Result<Witness> {
        let key = keyfile::load(data_dir)?;
        Self::open_with_options(data_dir, key, WitnessOptions::default()).await
    }

    /// Opens the witness of `data_dir` (created if missing) signing with `key`, which
    /// is not read from or written to disk (the demo's fixed public keys).
    pub async fn open_with_key(data_dir: &Path, key: CosignerKey) -> anyhow::Result<Witness> {
        Self::open_with_options(data_dir, key, WitnessOptions::default()).await
    }

    /// [`Witness::open_with_key`] with options.
    pub async fn open_with_options(
        data_dir: &Path,
        key: CosignerKey,
        options: WitnessOptions,
    ) -> anyhow::Result<Witness> {
        if !data_dir.exists() {
            keyfile::create_private_dir(data_dir)?;
        }
        let pool = store::open_pool(data_dir).await?;
        let logs = store::logs(&pool).await?;
        let writer = store::Writer::start(data_dir, options.batch_max).await?;
        Ok(Witness {
            inner: Arc::new(Inner {
                key,
                pool,
                writer,
                logs: RwLock::new(logs),
            }),
        })
    }

    /// The witness's verifier key (its vkey is what logs and readers configure).
    pub fn verifier(&self) -> CosignerVerifier {
        self.inner.key.verifier()
    }

    /// The witness's vkey `<name>+<key id>+base64(0x04 ‖ key)`.
    pub fn vkey(&self) -> String {
        self.verifier().to_vkey()
    }

    /// Trusts `keys` for the origins of `pattern` (stored, and effective at once).
    pub async fn add_log(
        &self,
        pattern: &OriginPattern,
        keys: &[NoteVerifier],
    ) -> anyhow::Result<()> {
        check_pattern(pattern)?;
        if keys.is_empty() {
            anyhow::bail!("a log needs at least one vkey");
        }
        store::add_log(&self.inner.pool, pattern, keys).await?;
        self.reload_logs().await
    }

    /// Forgets `pattern` and its keys; returns whether it was configured. Its stored
    /// checkpoints are kept.
    pub async fn remove_log(&self, pattern: &OriginPattern) -> anyhow::Result<bool> {
        let removed = store::remove_log(&self.inner.pool, pattern).await?;
        self.reload_logs().await?;
        Ok(removed > 0)
    }

    /// The configured logs.
    pub async fn logs(&self) -> anyhow::Result<Vec<LogConfig>> {
        store::logs(&self.inner.pool).await
    }

    /// Every origin's newest cosigned checkpoint.
    pub async fn cosigned(&self) -> anyhow::Result<Vec<Cosigned>> {
        store::cosigned(&self.inner.pool).await
    }

    /// The evidence of split views recorded, oldest first.
    pub async fn evidence(&self) -> anyhow::Result<Vec<Evidence>> {
        store::evidence(&self.inner.pool).await
    }

    /// The axum router: `POST /add-checkpoint`, `GET /evidence`, `GET /checkpoints`.
    pub fn router(&self) -> axum::Router {
        http::router(self.clone())
    }

    /// Re-reads the configured logs from the database (e.g. after `ledger-witness
    /// add-log` while serving).
    pub async fn reload_logs(&self) -> anyhow::Result<()> {
        let logs = store::logs(&self.inner.pool).await?;
        if let Ok(mut guard) = self.inner.logs.write() {
            *guard = logs;
        }
        Ok(())
    }

    /// The trusted keys for `origin`, if a configured log covers it.
    fn keys_for(&self, origin: &str) -> Option<Vec<NoteVerifier>> {
        let logs = self.inner.logs.read().ok()?;
        config::find(&logs, origin).map(|l| l.keys.clone())
    }
}

pub(crate) fn check_pattern(pattern: &OriginPattern) -> anyhow::Result<()> {
    match pattern {
        OriginPattern::Origin(o) => config::check_origin(o, false),
        OriginPattern::Prefix(p) => config::check_origin(p, true),
    }
    .map_err(anyhow::Error::msg)
}

/// Serves `witness` on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, witness: Witness) -> anyhow::Result<()> {
    axum::serve(listener, witness.router())
        .await
        .context("the witness server stopped")
}

/// The current POSIX time in seconds.
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
