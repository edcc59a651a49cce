//! The two-backend harness of the store tests.
//!
//! - [`backends`]: a FRESH database per call on every backend available: a SQLite file in
//!   a [`tempfile::TempDir`], and, when `LEDGER_TEST_POSTGRES_URL` is set, a new PostgreSQL
//!   database `ledger_t_<random hex>` owned by `ledger_owner`, created through that admin
//!   URL. Without the variable the PostgreSQL half is skipped with a `SKIP postgres: …`
//!   line, unless `LEDGER_REQUIRE_POSTGRES=1` (CI), which makes it a failure. A variable
//!   that is set but does not lead to a server is always a failure.
//! - [`TestDb`]: the database and the guard that removes it. The SQLite file goes with its
//!   temporary folder. The PostgreSQL database is the end-to-end tests' throw-away
//!   database, `community_ledger::PgDatabase` (tests/support/lib.rs, the root package's
//!   library, a dev-dependency here): dropped when the guard is, best effort, with
//!   `DROP DATABASE … WITH (FORCE)`, which also ends connections that pools of the test may
//!   still hold (e.g. through a `Ledger`'s writer tasks, which never end), retried for a
//!   few seconds while another role's session closes (tests close their `ledger_app`
//!   pools first).
//! - [`PinnedClock`]: a clock tests set by hand (an `AtomicI64` of UTC seconds).
//! - [`start_ledger`], [`append_sample`]: a `Ledger` with a sample fund's keys, and the
//!   sample's log appended through it line by line, each at its own `recorded_at`, so the
//!   store ends up holding the sample byte for byte.
//! - [`signed_donation`], [`current_trustee`]: new intents signed the way a trustee's
//!   client signs them.
//! - [`counts`]: row counts of the log's tables, to show that nothing was written.
//! - [`open_store`]: the store as the server opens it, with the donor vault's key
//!   ([`test_vault_key`]).
#![allow(dead_code)]

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

pub use community_ledger::pg_url_with_user;
use community_ledger::{donation_intent, postgres_admin_url, PgDatabase};
use ed25519_dalek::SigningKey;
use ledger_api::ledger::{Clock, Ledger};
use ledger_api::store::{AppendOutcome, EntryRow, Store, StoreError, VaultKey, VaultRecord};
use ledger_core::entry::{Entry, Sig};
use ledger_core::keys::PublicKey;
use ledger_core::sample::SampleFund;
use ledger_core::time::Instant;

/// The admin URL of a PostgreSQL server for the tests (role with CREATEDB).
pub const POSTGRES_URL_VAR: &str = "LEDGER_TEST_POSTGRES_URL";
/// The deployment origin the sample funds are built for.
pub const ORIGIN: &str = "ledger.example";
/// The role that owns the test databases (see `.ci/postgres.sh`).
pub const OWNER_USER: &str = "ledger_owner";
/// The role the service is meant to run as on PostgreSQL (see `.ci/postgres.sh`).
pub const APP_USER: &str = "ledger_app";
/// Its password (test clusters only).
pub const APP_PASSWORD: &str = "ledger";

/// The donor vault key of the store tests (fixed, so that a store reopened in a test reads
/// what it sealed before).
pub fn test_vault_key() -> VaultKey {
    VaultKey::from_bytes(&[0x5a; 32])
}

/// [`Store::open_with_vault`] under [`test_vault_key`]: the store as the server opens it.
pub async fn open_store(url: &str) -> Result<Store, StoreError> {
    Store::open_with_vault(url, test_vault_key()).await
}

/// A fresh, empty database of one backend.
pub struct TestDb {
    /// `"sqlite"` or `"postgres"`.
    pub name: &'static str,
    /// The URL to give [`Store::open`].
    pub url: String,
    _guard: Guard,
}

enum Guard {
    Sqlite(tempfile::TempDir),
    Postgres(PgDatabase),
}

/// The databases of this test: SQLite always, PostgreSQL when configured (see the module
/// docs). Each call gives new, empty databases.
pub async fn backends() -> Vec<TestDb> {
    let mut dbs = vec![sqlite_db()];
    if let Some(admin) = postgres_admin_url("postgres") {
        dbs.push(postgres_db(&admin).await);
    }
    dbs
}

/// A fresh, empty SQLite database (for what only SQLite does, e.g. its group commit).
pub fn sqlite_db() -> TestDb {
    let dir = tempfile::tempdir().expect("temporary folder for the SQLite file");
    let url = format!("sqlite://{}", dir.path().join("ledger.db").display());
    TestDb {
        name: "sqlite",
        url,
        _guard: Guard::Sqlite(dir),
    }
}

async fn postgres_db(admin: &str) -> TestDb {
    let db = PgDatabase::create_with(admin, "ledger_t", Some(OWNER_USER))
        .await
        .unwrap_or_else(|e| panic!("creating a test database via {POSTGRES_URL_VAR}: {e:#}"));
    TestDb {
        name: "postgres",
        url: db.url.clone(),
        _guard: Guard::Postgres(db),
    }
}

/// A clock that only moves when the test sets it.
#[derive(Clone, Debug)]
pub struct PinnedClock(Arc<AtomicI64>);

impl PinnedClock {
    /// A clock showing `unix_seconds`.
    pub fn new(unix_seconds: i64) -> Self {
        PinnedClock(Arc::new(AtomicI64::new(unix_seconds)))
    }
    /// Sets the time.
    pub fn set(&self, unix_seconds: i64) {
        self.0.store(unix_seconds, Ordering::SeqCst);
    }
    /// The time shown.
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
    /// The time shown, as an [`Instant`].
    pub fn instant(&self) -> Instant {
        Instant::from_unix_seconds(self.get()).expect("pinned clock in range")
    }
    /// The clock to give a [`Ledger`].
    pub fn clock(&self) -> Clock {
        let c = Arc::clone(&self.0);
        Arc::new(move || {
            Instant::from_unix_seconds(c.load(Ordering::SeqCst)).expect("pinned clock in range")
        })
    }
}

/// A ledger over `store` with the sample's operator and log keys and [`ORIGIN`].
pub async fn start_ledger(
    store: Arc<Store>,
    fund: &SampleFund,
    clock: &PinnedClock,
) -> Arc<Ledger> {
    Ledger::start(
        store,
        fund.keys.log.clone(),
        PublicKey::from_verifying_key(fund.keys.operator.verifying_key()),
        ORIGIN.into(),
        clock.clock(),
    )
    .await
    .expect("ledger starts")
}

/// Appends every line of the sample through `ledger` as a trustee's client would (the
/// intent's bytes, its signatures, the donor vault record of resident donations), with
/// the clock pinned at each entry's `recorded_at`. Panics unless every one is appended.
pub async fn append_sample(
    ledger: &Arc<Ledger>,
    fund: &SampleFund,
    clock: &PinnedClock,
) -> Vec<EntryRow> {
    let mut rows = Vec::with_capacity(fund.lines.len());
    for (i, line) in fund.lines.iter().enumerate() {
        let parsed = Entry::parse(line).expect("sample line parses");
        clock.set(parsed.entry.recorded_at.unix_seconds());
        let vault = sample_vault_record(fund, i as u64);
        let out = ledger
            .append(
                &fund.spec.fund,
                parsed.intent_bytes.clone(),
                parsed.entry.sigs.clone(),
                vault,
            )
            .await
            .unwrap_or_else(|e| panic!("sample entry {i} refused: {e}"));
        match out {
            AppendOutcome::Appended(row) => {
                assert_eq!(row.seq, i as u64, "sample entry {i} got another seq");
                rows.push(row);
            }
            AppendOutcome::Replayed(row) => panic!("sample entry {i} replayed as {}", row.seq),
        }
    }
    rows
}

/// A key of the sample that is a trustee of the fund at its end.
pub fn current_trustee(fund: &SampleFund) -> &SigningKey {
    fund.keys
        .trustees
        .iter()
        .find(|k| {
            fund.state
                .trustees()
                .contains_key(&PublicKey::from_verifying_key(k.verifying_key()))
        })
        .expect("the sample has a serving trustee")
}

/// An anonymous cash donation of `fen` to the sample's fund under idempotency key `key`,
/// signed at `signed_at` by `signer`: (JCS(intent), signatures).
pub fn donation_signed_by(
    fund: &SampleFund,
    key: &str,
    fen: i64,
    signed_at: Instant,
    signer: &SigningKey,
) -> (Vec<u8>, Vec<Sig>) {
    let intent = donation_intent(&fund.spec.fund, key, fen, signed_at);
    (intent.canonical_bytes(), vec![intent.sign(signer)])
}

/// [`donation_signed_by`] a current trustee.
pub fn signed_donation(
    fund: &SampleFund,
    key: &str,
    fen: i64,
    signed_at: Instant,
) -> (Vec<u8>, Vec<Sig>) {
    donation_signed_by(fund, key, fen, signed_at, current_trustee(fund))
}

/// Rows of the log's tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowCounts {
    /// `funds`.
    pub funds: i64,
    /// `entries`.
    pub entries: i64,
    /// `tree_nodes`.
    pub tree_nodes: i64,
    /// `checkpoints`.
    pub checkpoints: i64,
    /// `donor_vault_sealed` (the vault's records, sealed).
    pub donor_vault: i64,
}

/// Counts the rows of the log's tables.
pub async fn counts(store: &Store) -> RowCounts {
    async fn count(store: &Store, table: &str) -> i64 {
        sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(store.pool())
            .await
            .unwrap_or_else(|e| panic!("counting {table}: {e}"))
    }
    RowCounts {
        funds: count(store, "funds").await,
        entries: count(store, "entries").await,
        tree_nodes: count(store, "tree_nodes").await,
        checkpoints: count(store, "checkpoints").await,
        donor_vault: count(store, "donor_vault_sealed").await,
    }
}

/// The vault record `fund`'s sample kept for its entry `seq` (a resident's donation), if any.
pub fn sample_vault_record(fund: &SampleFund, seq: u64) -> Option<VaultRecord> {
    fund.vault
        .iter()
        .find(|(s, _, _)| *s == seq)
        .map(|(_, salt, identity)| VaultRecord {
            salt: *salt,
            identity: identity.clone(),
        })
}
