//! Backups and the restore drill (README, "Backups and restore"), on both backends.
//!
//! - SQLite: `ledger-server backup --to FILE` while the server serves appends; the file is
//!   owner-only and an existing file is refused (and left as it was); the backup and the
//!   three key files make a fresh data dir whose server passes `ledger-verify --db`, whose
//!   checkpoints are consistent with every checkpoint served before and during the backup
//!   (same size: same root; otherwise a consistency proof verifies, from the restored
//!   server or the running one), and whose donor vault still opens. Without the vault key,
//!   or with a vault key others can read, the restored server refuses to start and writes
//!   nothing. A database whose schema lacks a migration of this binary is refused by
//!   `backup` and left unmigrated.
//! - PostgreSQL: `backup` names the `pg_dump` command (without the password) and writes
//!   nothing; `pg_dump` of the test database restored with `pg_restore` into a fresh one,
//!   as the owner role, passes the same checks. Skipped with a SKIP line if `pg_dump` is
//!   missing, unless `LEDGER_REQUIRE_POSTGRES=1`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use community_ledger::{
    copy_key_file, now, runtime, server_binary, sign_value, verify_binary, Client, Deployment,
    PgDatabase, Server, ServerConfig, TestBackend, Trustee,
};
use ledger_core::checkpoint::Checkpoint;
use ledger_core::donor::{commitment, identity_string};
use reqwest::Method;
use serde_json::{json, Value};

const FUNDS: [&str; 2] = ["backup-a", "backup-b"];
const NAME: &str = "陈桂英";
const PHONE: &str = "13700001111";
/// How long a server that must refuse to start may take to exit.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(60);

/// The checkpoint text of a signed note (before the blank line), parsed.
fn parse_checkpoint(note: &str) -> Checkpoint {
    let body = match note.find("\n\n") {
        Some(i) => &note[..i + 1],
        None => note,
    };
    Checkpoint::parse(body).expect("a checkpoint")
}

async fn checkpoint(client: &Client, fund: &str) -> Checkpoint {
    let resp = client
        .public()
        .request(Method::GET, &format!("/api/v1/funds/{fund}/checkpoint"))
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status().as_u16(), 200, "checkpoint of {fund}");
    parse_checkpoint(&resp.text().await.expect("text"))
}

/// Checks `older` against `newer` with a consistency proof served by `client`.
async fn check_consistent(client: &Client, fund: &str, older: &Checkpoint, newer: &Checkpoint) {
    client
        .check_consistent(fund, older, newer)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Two funds with a few donations each, and one resident donation (a vault record) in
/// the first; returns its seq.
async fn populate(d: &Deployment, trustee: &Trustee) -> u64 {
    let client = d.client();
    for fund in FUNDS {
        d.create_fund(fund, &[trustee], (1, 1, 1)).await;
        for i in 0..4 {
            let r = client
                .append(&trustee.donation(fund, &format!("{fund}-d{i}"), 1_000 + i))
                .await
                .expect("append");
            assert_eq!(r.status, 201, "{}", r.body);
        }
    }
    let salt = [0x42u8; 16];
    let intent = json!({
        "body": {
            "amount": "66.00", "channel": "cash", "receipt_no": "R-backup-resident",
            "donor": {
                "class": "resident",
                "commitment": commitment(&salt, &identity_string(NAME, PHONE)).to_hex()
            }
        },
        "fund": FUNDS[0], "key": "backup-resident", "kind": "donation",
        "signed_at": now().to_string()
    });
    let mut body = sign_value(&intent, &[&trustee.key]).body();
    body["donor_identity"] = json!({"salt": hex::encode(salt), "name": NAME, "phone": PHONE});
    let token = community_ledger::ensure_trustee_token(&client, FUNDS[0])
        .await
        .expect("trustee token");
    let (status, v) = client
        .public()
        .with_token(&token)
        .send_json(
            Method::POST,
            &format!("/api/v1/funds/{}/entries", FUNDS[0]),
            Some(&body),
        )
        .await;
    assert_eq!(status, 201, "{v}");
    v["seq"].as_u64().expect("seq")
}

/// `ledger-server <database args> backup --to <to>`.
fn run_backup(config: &ServerConfig, to: &Path) -> std::process::Output {
    Command::new(server_binary())
        .env_remove("DATABASE_URL")
        .env_remove("LEDGER_DATA_DIR")
        .args(config.database_args())
        .arg("backup")
        .arg("--to")
        .arg(to)
        .stdin(Stdio::null())
        .output()
        .expect("running ledger-server backup")
}

/// Starts a server on `config` that must refuse to start; returns what it said.
fn start_refused(config: &ServerConfig) -> String {
    let mut cmd = Command::new(server_binary());
    cmd.env_remove("LEDGER_VAULT_KEY_FILE")
        .env_remove("DATABASE_URL")
        .args(["--listen", "127.0.0.1:0"])
        .args(config.database_args())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("starting ledger-server");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("waiting") {
            assert!(!status.success(), "the server exited 0");
            break;
        }
        if started.elapsed() > REFUSAL_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server started where it had to refuse");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `ledger-verify --db URL --fund F --log-key K --origin O` must pass.
fn verify_db(db_url: &str, fund: &str, log: &Value) -> Value {
    let out = Command::new(verify_binary())
        .args(["--db", db_url, "--fund", fund, "--log-key"])
        .arg(log["log_key"].as_str().expect("log key"))
        .arg("--origin")
        .arg(log["origin"].as_str().expect("origin"))
        .arg("--json")
        .output()
        .expect("running ledger-verify");
    assert_eq!(
        out.status.code(),
        Some(0),
        "ledger-verify --db on the restored {fund}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

/// What every restored deployment must show: `ledger-verify --db` passes on each fund,
/// each checkpoint seen on the original is consistent with the restored one, the donor
/// vault record opens.
async fn check_restored(
    original: &Client,
    restored: &Server,
    restored_db: &str,
    seen: &[(String, Checkpoint)],
    auditor: &str,
    vault_seq: u64,
) {
    let client = restored.client();
    let log = client.get_json("/api/v1/log").await.expect("log");
    let original_log = original.get_json("/api/v1/log").await.expect("log");
    assert_eq!(
        log["log_key"], original_log["log_key"],
        "the same log key signs"
    );
    for fund in FUNDS {
        let report = verify_db(restored_db, fund, &log);
        let restored_cp = checkpoint(&client, fund).await;
        assert_eq!(
            report["summary"]["entries"].as_u64(),
            Some(restored_cp.tree_size),
            "{fund}: {report}"
        );
        for (f, cp) in seen.iter().filter(|(f, _)| f == fund) {
            if cp.tree_size <= restored_cp.tree_size {
                check_consistent(&client, f, cp, &restored_cp).await;
            } else {
                // Appended after the backup's snapshot: the restored log is a prefix of
                // what the running server serves.
                check_consistent(original, f, &restored_cp, cp).await;
            }
        }
    }
    let rec = client
        .public()
        .with_token(auditor)
        .get_json(&format!("/api/v1/funds/{}/vault/{vault_seq}", FUNDS[0]))
        .await
        .expect("the restored vault record");
    assert_eq!(
        (rec["name"].as_str(), rec["phone"].as_str()),
        (Some(NAME), Some(PHONE))
    );
}

/// A fresh data dir holding copies of `from`'s key files.
fn data_dir_with_keys(from: &Path, keys: &[&str]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "ledger-restore-{}",
        community_ledger::random_hex(8)
    ));
    std::fs::create_dir_all(&dir).expect("restore dir");
    for k in keys {
        copy_key_file(&from.join(k), &dir);
    }
    dir
}

#[test]
fn a_sqlite_backup_taken_while_serving_restores_and_verifies() {
    let rt = runtime();
    let d = Deployment::sqlite("backup_sqlite");
    let trustee = Arc::new(Trustee::random("管理人甲"));
    let client = d.client();
    let auditor = d.auditor_token();
    let vault_seq = rt.block_on(populate(&d, &trustee));
    let mut seen = Vec::new();
    for fund in FUNDS {
        seen.push((fund.to_owned(), rt.block_on(checkpoint(&client, fund))));
    }

    // An existing file is refused and left as it was.
    let work = tempfile::tempdir().expect("temp dir");
    let existing = work.path().join("existing.db");
    std::fs::write(&existing, b"keep me").expect("write");
    let out = run_backup(d.config(), &existing);
    assert!(!out.status.success(), "backup over an existing file");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("never overwrites"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&existing).expect("read"), b"keep me");

    // The backup runs while a writer appends to the second fund.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (stop, client, trustee) = (stop.clone(), client.clone(), trustee.clone());
        rt.spawn(async move {
            let mut n = 0u32;
            let mut seen = Vec::new();
            while !stop.load(Ordering::SeqCst) || n < 5 {
                let r = client
                    .append(&trustee.donation(FUNDS[1], &format!("during-{n}"), 500))
                    .await
                    .expect("append");
                assert_eq!(r.status, 201, "{}", r.body);
                seen.push((FUNDS[1].to_owned(), checkpoint(&client, FUNDS[1]).await));
                n += 1;
            }
            seen
        })
    };
    std::thread::sleep(Duration::from_millis(200));
    let backup = work.path().join("ledger-backup.db");
    let started = Instant::now();
    let out = run_backup(d.config(), &backup);
    let took = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    seen.extend(rt.block_on(writer).expect("writer"));
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "backup failed: {said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!("backup while appending: {took:?}; {said}");
    assert!(
        said.contains("vault.key"),
        "the backup names the key files: {said}"
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backup)
            .expect("backup")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the backup is owner-only");
    }

    // Restore: the backup as the database of a fresh data dir, with the three key files.
    let dir = data_dir_with_keys(d.data_dir(), &["log.key", "operator.key", "vault.key"]);
    std::fs::copy(&backup, dir.join("ledger.db")).expect("copy the backup");
    let restored = Server::start_with(&ServerConfig::sqlite(&dir));
    let restored_db = format!("sqlite://{}", dir.join("ledger.db").display());
    rt.block_on(check_restored(
        &client,
        &restored,
        &restored_db,
        &seen,
        &auditor,
        vault_seq,
    ));
    drop(restored);

    // Without the vault key (a new one is made), or with one others can read: refused,
    // nothing written.
    let bare = data_dir_with_keys(d.data_dir(), &["log.key", "operator.key"]);
    std::fs::copy(&backup, bare.join("ledger.db")).expect("copy the backup");
    let said = start_refused(&ServerConfig::sqlite(&bare));
    assert!(said.contains("sealed under vault key"), "{said}");
    let db_bytes = std::fs::read(bare.join("ledger.db")).expect("db");
    copy_key_file(&d.data_dir().join("vault.key"), &bare);
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            bare.join("vault.key"),
            std::fs::Permissions::from_mode(0o644),
        )
        .expect("chmod");
    }
    let said = start_refused(&ServerConfig::sqlite(&bare));
    assert!(said.contains("readable by others"), "{said}");
    assert!(
        std::fs::read(bare.join("ledger.db")).expect("db") == db_bytes,
        "a refused start wrote to the database"
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&bare);
}

#[test]
fn a_postgres_dump_restores_into_a_fresh_database_and_verifies() {
    let rt = runtime();
    let Some(backend) = TestBackend::postgres("backup_postgres", &rt) else {
        return;
    };
    if Command::new("pg_dump").arg("--version").output().is_err() {
        assert!(
            std::env::var("LEDGER_REQUIRE_POSTGRES").as_deref() != Ok("1"),
            "LEDGER_REQUIRE_POSTGRES=1 but pg_dump is missing"
        );
        println!("SKIP backup_postgres: pg_dump is missing");
        return;
    }
    let admin = std::env::var("LEDGER_TEST_POSTGRES_URL").expect("admin URL");
    let d = Deployment::on(backend);
    let db_url = d.config().database_url.clone().expect("on PostgreSQL");
    let trustee = Trustee::random("管理人甲");
    let client = d.client();
    let auditor = d.auditor_token();
    let vault_seq = rt.block_on(populate(&d, &trustee));
    let mut seen = Vec::new();
    for fund in FUNDS {
        seen.push((fund.to_owned(), rt.block_on(checkpoint(&client, fund))));
    }

    // `backup` on PostgreSQL says how, without the password, and writes nothing.
    let work = tempfile::tempdir().expect("temp dir");
    let dump = work.path().join("ledger.dump");
    let out = run_backup(d.config(), &dump);
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("pg_dump --format=custom"), "{said}");
    assert!(
        !said.contains(":ledger@"),
        "the password is printed: {said}"
    );
    assert!(!dump.exists(), "backup wrote a file on PostgreSQL");

    // pg_dump while the server runs; restore into a fresh database as the owner role.
    let status = Command::new("pg_dump")
        .args(["--format=custom", "--file"])
        .arg(&dump)
        .arg(&db_url)
        .status()
        .expect("pg_dump");
    assert!(status.success(), "pg_dump: {status}");
    let fresh = rt
        .block_on(PgDatabase::create(&admin))
        .expect("a fresh database");
    let out = Command::new("pg_restore")
        .args(["--no-owner", "--exit-on-error", "--dbname"])
        .arg(&fresh.url)
        .arg(&dump)
        .output()
        .expect("pg_restore");
    assert!(
        out.status.success(),
        "pg_restore: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let dir = data_dir_with_keys(d.data_dir(), &["log.key", "operator.key", "vault.key"]);
    let restored = Server::start_with(&ServerConfig::postgres(&dir, &fresh.url));
    rt.block_on(check_restored(
        &client, &restored, &fresh.url, &seen, &auditor, vault_seq,
    ));
    drop(restored);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A backup copies the database as it is: one whose schema lacks a migration of this
/// binary (an older server's) is refused with a message saying so, and is not migrated.
#[test]
fn a_backup_never_migrates_the_database_it_copies() {
    use sqlx::{Connection, Row};
    let rt = runtime();
    let d = Deployment::sqlite("backup_schema");
    let db = d.data_dir().join("ledger.db");
    let applied = |conn: &mut sqlx::SqliteConnection| {
        rt.block_on(sqlx::query("SELECT count(*) FROM _sqlx_migrations").fetch_one(&mut *conn))
            .expect("count")
            .get::<i64, _>(0)
    };
    let mut conn = rt
        .block_on(sqlx::SqliteConnection::connect(&format!(
            "sqlite://{}",
            db.display()
        )))
        .expect("the deployment's database");
    let all = applied(&mut conn);
    // As an older binary would have left it: the newest migration not recorded.
    rt.block_on(
        sqlx::query(
            "DELETE FROM _sqlx_migrations WHERE version = \
             (SELECT max(version) FROM _sqlx_migrations)",
        )
        .execute(&mut conn),
    )
    .expect("forget the newest migration");

    let work = tempfile::tempdir().expect("temp dir");
    let to = work.path().join("older.db");
    let out = run_backup(d.config(), &to);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a backup of an older schema: {said}");
    assert!(
        said.contains("schema is older than this binary's (1 migration(s) not applied)"),
        "{said}"
    );
    assert!(!to.exists(), "a refused backup wrote {}", to.display());
    assert_eq!(
        applied(&mut conn),
        all - 1,
        "the backup migrated the database"
    );
    rt.block_on(conn.close()).expect("close");
}
