//! The donor vault sealed at rest, on both backends (SQLite; PostgreSQL when
//! `LEDGER_TEST_POSTGRES_URL` is set):
//!
//! - `plaintext_rows_of_an_older_deployment_are_sealed_at_start`: a database migrated as
//!   an older deployment left it (plaintext `donor_vault` rows) is sealed by the first
//!   start with a vault key (on PostgreSQL, the service role `ledger_app`, which may not
//!   UPDATE): every record still reads, the plaintext table is empty, takes
//!   no new row, and on SQLite neither the database file nor its WAL holds a name or a
//!   phone number any more.
//! - `another_key_and_altered_or_moved_records_are_refused`: a store given another key
//!   refuses to open (and writes nothing); a record moved to another row or altered by one
//!   byte, and every record of a store opened without a key, is a clear error, never a
//!   wrong answer; the database's key id cannot be changed.

mod support;

use ledger_api::store::{Store, StoreError, VaultError, VaultKey, VaultRecord};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Row};
use support::{backends, open_store, test_vault_key, TestDb};

const FUND: &str = "vault-fund";
const NAME: &str = "张秀兰";
const PHONE: &str = "13912345678";

/// A pool on the test database, with no pragma and no migration of the store's own.
async fn raw_pool(db: &TestDb) -> AnyPool {
    sqlx::any::install_default_drivers();
    let url = if db.name == "sqlite" {
        format!("{}?mode=rwc", db.url)
    } else {
        db.url.clone()
    };
    AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .expect("raw pool")
}

/// The migrations of this backend before the sealed vault's (what an older deployment
/// ran), applied to `pool`.
async fn migrate_as_older_deployment(db: &TestDb, pool: &AnyPool) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../migrations")
        .join(db.name);
    let mut migrator = sqlx::migrate::Migrator::new(dir).await.expect("migrations");
    let sealed = migrator
        .iter()
        .find(|m| m.description == "vault sealed")
        .expect("the sealed vault's migration")
        .version;
    let older: Vec<_> = migrator
        .iter()
        .filter(|m| m.version < sealed)
        .cloned()
        .collect();
    migrator.migrations = older.into();
    migrator.run(pool).await.expect("older migrations");
}

async fn insert_fund(pool: &AnyPool) {
    sqlx::query(
        "INSERT INTO funds (id, operator_key, created_at, head_seq, head_hash) \
         VALUES ($1, $2, '2026-01-01T00:00:00Z', -1, $3)",
    )
    .bind(FUND)
    .bind("00".repeat(32))
    .bind(vec![0u8; 32])
    .execute(pool)
    .await
    .expect("fund row");
}

async fn count(pool: &AnyPool, table: &str) -> i64 {
    sqlx::query(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(pool)
        .await
        .expect("count")
        .get(0)
}

/// The bytes of the SQLite database file and of its WAL, if any.
fn raw_files(db: &TestDb) -> Vec<u8> {
    let path = ledger_api::store::sqlite_path(&db.url).expect("a SQLite file");
    let mut bytes = std::fs::read(&path).expect("database file");
    let mut wal = path.into_os_string();
    wal.push("-wal");
    bytes.extend(std::fs::read(&wal).unwrap_or_default());
    bytes
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn identity(name: &str, phone: &str) -> String {
    ledger_core::donor::identity_string(name, phone)
}

#[tokio::test]
async fn plaintext_rows_of_an_older_deployment_are_sealed_at_start() {
    for db in backends().await {
        let b = db.name;
        let pool = raw_pool(&db).await;
        migrate_as_older_deployment(&db, &pool).await;
        insert_fund(&pool).await;
        let rows = [
            (1i64, [1u8; 16], identity(NAME, PHONE)),
            (3i64, [3u8; 16], identity("李四", "13800000000")),
        ];
        for (seq, salt, id) in &rows {
            sqlx::query(
                "INSERT INTO donor_vault (fund, seq, salt, identity) VALUES ($1, $2, $3, $4)",
            )
            .bind(FUND)
            .bind(*seq)
            .bind(salt.to_vec())
            .bind(id.as_str())
            .execute(&pool)
            .await
            .expect("plaintext row of an older deployment");
        }
        if b == "sqlite" {
            pool.close().await;
            assert!(
                contains(&raw_files(&db), PHONE.as_bytes()),
                "{b}: the older deployment's file holds the plaintext (the scan sees it)"
            );
        }
        // On PostgreSQL the owner migrates and the service role, which may not UPDATE,
        // seals at its start.
        let url = if b == "postgres" {
            let dir =
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/postgres");
            let all = sqlx::migrate::Migrator::new(dir).await.expect("migrations");
            all.run(&pool).await.expect("the owner migrates");
            pool.close().await;
            support::pg_url_with_user(&db.url, support::APP_USER, support::APP_PASSWORD)
        } else {
            db.url.clone()
        };
        let store = open_store(&url).await.expect("the store opens and seals");
        for (seq, salt, id) in &rows {
            let row = store
                .vault_row(FUND, *seq as u64)
                .await
                .expect("reads")
                .expect("still there");
            assert_eq!((&row.salt, &row.identity), (salt, id), "{b}: seq {seq}");
        }
        let listed = store.vault_rows(FUND, 0, 10).await.expect("lists");
        assert_eq!(listed.len(), 2, "{b}");
        assert_eq!(count(store.pool(), "donor_vault").await, 0, "{b}");
        assert_eq!(count(store.pool(), "donor_vault_sealed").await, 2, "{b}");
        let stored: Vec<Vec<u8>> = sqlx::query("SELECT sealed FROM donor_vault_sealed")
            .fetch_all(store.pool())
            .await
            .expect("sealed rows")
            .iter()
            .map(|r| r.get(0))
            .collect();
        for sealed in &stored {
            for needle in [
                NAME.as_bytes(),
                PHONE.as_bytes(),
                b"13800000000",
                &[1u8; 16],
            ] {
                assert!(
                    !contains(sealed, needle),
                    "{b}: a sealed record shows plaintext"
                );
            }
        }
        // The plaintext table takes no new row.
        let refused = sqlx::query(
            "INSERT INTO donor_vault (fund, seq, salt, identity) VALUES ($1, 9, $2, 'x')",
        )
        .bind(FUND)
        .bind(vec![0u8; 16])
        .execute(store.pool())
        .await;
        assert!(refused.is_err(), "{b}: a plaintext row was accepted");
        assert_eq!(
            count(store.pool(), "donor_vault").await,
            0,
            "{b}: nothing written"
        );
        store.close().await;

        if b == "sqlite" {
            let raw = raw_files(&db);
            for needle in [NAME.as_bytes(), PHONE.as_bytes(), b"13800000000"] {
                assert!(
                    !contains(&raw, needle),
                    "{b}: the database file or its WAL still holds {}",
                    String::from_utf8_lossy(needle)
                );
            }
            for sealed in &stored {
                assert!(
                    contains(&raw, sealed),
                    "{b}: the scan sees the sealed record"
                );
            }
        }

        // A second start has nothing left to seal and reads the same.
        let store = open_store(&url).await.expect("reopens");
        assert_eq!(store.vault_rows(FUND, 0, 10).await.expect("lists"), listed);
        store.close().await;
    }
}

#[tokio::test]
async fn another_key_and_altered_or_moved_records_are_refused() {
    for db in backends().await {
        let b = db.name;
        let store = open_store(&db.url).await.expect("opens");
        insert_fund(store.pool()).await;
        let record = VaultRecord {
            salt: [5; 16],
            identity: identity(NAME, PHONE),
        };
        let sealed = test_vault_key().seal(FUND, 1, &record).expect("seals");
        let mut altered = sealed.clone();
        let last = altered.len() - 1;
        altered[last] ^= 0x80;
        for (seq, bytes) in [(1i64, &sealed), (2, &sealed), (3, &altered)] {
            sqlx::query("INSERT INTO donor_vault_sealed (fund, seq, sealed) VALUES ($1, $2, $3)")
                .bind(FUND)
                .bind(seq)
                .bind(bytes.clone())
                .execute(store.pool())
                .await
                .expect("sealed row");
        }
        let row = store.vault_row(FUND, 1).await.expect("opens").expect("row");
        assert_eq!(
            (row.salt, row.identity.as_str()),
            ([5; 16], record.identity.as_str())
        );
        for seq in [2u64, 3] {
            match store.vault_row(FUND, seq).await {
                Err(StoreError::Vault(VaultError::Unreadable { fund, seq: s, .. })) => {
                    assert_eq!((fund.as_str(), s), (FUND, seq), "{b}");
                }
                other => panic!("{b}: record {seq}: {other:?}"),
            }
        }
        assert!(
            matches!(
                store.vault_rows(FUND, 0, 10).await,
                Err(StoreError::Vault(VaultError::Unreadable { seq: 2, .. }))
            ),
            "{b}: a listing with a bad record is an error, not a shorter list"
        );
        // The database's key id never changes.
        let key_id = |pool: AnyPool| async move {
            let r = sqlx::query("SELECT key_id FROM vault_key")
                .fetch_all(&pool)
                .await
                .expect("key id");
            r.iter().map(|r| r.get::<Vec<u8>, _>(0)).collect::<Vec<_>>()
        };
        let id_before = key_id(store.pool().clone()).await;
        assert_eq!(
            id_before.iter().map(hex::encode).collect::<Vec<_>>(),
            [test_vault_key().id_hex()],
            "{b}"
        );
        for sql in [
            "UPDATE vault_key SET key_id = key_id || key_id",
            "DELETE FROM vault_key",
        ] {
            assert!(
                sqlx::query(sql).execute(store.pool()).await.is_err(),
                "{b}: `{sql}` was accepted"
            );
        }
        assert_eq!(key_id(store.pool().clone()).await, id_before, "{b}");
        store.close().await;

        // Another key: refused at open, naming both keys' ids; nothing written.
        let other = VaultKey::from_bytes(&[0x33; 32]);
        match Store::open_with_vault(&db.url, other.clone()).await {
            Err(e @ StoreError::Vault(VaultError::WrongKey { .. })) => {
                let msg = e.to_string();
                assert!(
                    msg.contains(&test_vault_key().id_hex()) && msg.contains(&other.id_hex()),
                    "{b}: {msg}"
                );
            }
            other => panic!("{b}: another key: {other:?}"),
        }
        // Without a key, the vault is locked (tools that never need it).
        let locked = Store::open(&db.url).await.expect("opens without a key");
        assert!(matches!(
            locked.vault_row(FUND, 1).await,
            Err(StoreError::Vault(VaultError::Locked))
        ));
        assert_eq!(key_id(locked.pool().clone()).await, id_before, "{b}");
        assert_eq!(count(locked.pool(), "donor_vault_sealed").await, 3, "{b}");
        locked.close().await;
    }
}
