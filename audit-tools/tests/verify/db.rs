//! `--db` on a real SQLite file, made by applying the project's migrations and inserting
//! the rows of a sample fund as the store would (the verifier reads only `funds`,
//! `entries` and `checkpoints`).

use std::path::Path;

use ledger_core::entry::Entry;
use ledger_core::hash::{leaf_hash, sha256};
use ledger_core::keys::PublicKey;
use sqlx::{Connection, SqliteConnection};

use crate::support::{fixture, replace_once, run, tempdir, Run, ENTRIES, FUND_ID, HOST};

/// Creates `path` with the SQLite schema and the fixture's fund, with `lines` as its
/// entries and the fixture's checkpoint.
fn make_db(path: &Path, lines: &[Vec<u8>]) {
    let fx = fixture();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let mut conn = SqliteConnection::connect(&url).await.unwrap();
        let migrations = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/sqlite");
        let mut files: Vec<_> = std::fs::read_dir(&migrations)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "sql"))
            .collect();
        files.sort();
        for f in files {
            let sql = std::fs::read_to_string(&f).unwrap();
            sqlx::raw_sql(&sql).execute(&mut conn).await.unwrap();
        }
        let operator = PublicKey::from_verifying_key(fx.fund.keys.operator.verifying_key());
        let head = lines.last().map(|l| leaf_hash(l)).unwrap_or_default();
        sqlx::query("INSERT INTO funds (id, operator_key, created_at, head_seq, head_hash) VALUES ($1, $2, $3, $4, $5)")
            .bind(FUND_ID)
            .bind(operator.to_hex())
            .bind("2023-01-01T01:00:00Z")
            .bind(lines.len() as i64 - 1)
            .bind(head.0.to_vec())
            .execute(&mut conn)
            .await
            .unwrap();
        let mut tx = conn.begin().await.unwrap();
        for (i, l) in lines.iter().enumerate() {
            // A tampered line may not parse: its derived columns are then made up.
            let parsed = Entry::parse(l).ok();
            let (kind, at, key) = match &parsed {
                Some(p) => (
                    p.entry.intent.kind().as_str().to_owned(),
                    p.entry.recorded_at.to_string(),
                    p.entry.intent.key.to_string(),
                ),
                None => ("donation".into(), "2023-01-01T00:00:00Z".into(), format!("bad-{i}")),
            };
            sqlx::query(
                "INSERT INTO entries (fund, seq, hash, kind, delta_fen, balance_fen, recorded_at, \
                 idem_key, intent_hash, bytes) VALUES ($1, $2, $3, $4, 0, 0, $5, $6, $7, $8)",
            )
            .bind(FUND_ID)
            .bind(i as i64)
            .bind(leaf_hash(l).0.to_vec())
            .bind(kind)
            .bind(at)
            .bind(key)
            .bind(sha256(l).0.to_vec())
            .bind(l.clone())
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        sqlx::query("INSERT INTO checkpoints (fund, tree_size, root, note) VALUES ($1, $2, $3, $4)")
            .bind(FUND_ID)
            .bind(ENTRIES as i64)
            .bind(fx.fund.root().0.to_vec())
            .bind(fx.fund.checkpoint_note().unwrap())
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        conn.close().await.unwrap();
    });
}

fn verify_db(path: &Path, fund: &str, log_key: &str) -> Run {
    let url = format!("sqlite://{}", path.display());
    run(&[
        "--db",
        &url,
        "--fund",
        fund,
        "--log-key",
        log_key,
        "--origin",
        HOST,
        "--json",
    ])
}

#[test]
fn a_sqlite_store_verifies_and_its_tampers_are_found() {
    let fx = fixture();
    let dir = tempdir();
    let vkey = fx.log_vkey();

    let clean = dir.path().join("clean.db");
    make_db(&clean, &fx.fund.lines);
    let r = verify_db(&clean, FUND_ID, &vkey);
    assert_eq!(r.code, Some(0), "{r:?}");
    let s = &r.json()["summary"];
    assert_eq!(s["entries"], ENTRIES as u64);
    assert_eq!(s["root"], fx.fund.root().to_hex());
    assert_eq!(s["checkpoint"]["origin"], format!("{HOST}/{FUND_ID}"));

    // A row whose bytes were changed (written before the triggers could refuse it).
    let s = fx.first_after(ledger_core::body::Kind::Disbursement, crate::support::LATE);
    let mut lines = fx.lines();
    lines[s] = replace_once(&lines[s], "示例社会服务中心", "示例社会服务中心乙");
    let tampered = dir.path().join("tampered.db");
    make_db(&tampered, &lines);
    let r = verify_db(&tampered, FUND_ID, &vkey);
    assert_eq!(r.first(), ("bad_signature".into(), Some(s as u64)));

    // A log key other than the deployment's: its checkpoint does not verify.
    let other = ledger_core::note::NoteSigner::new(
        HOST,
        ledger_core::sample::key_from_label("audit/db-other"),
    )
    .unwrap()
    .verifier()
    .to_vkey();
    let r = verify_db(&clean, FUND_ID, &other);
    assert_eq!(r.findings(), vec![("checkpoint_signature".into(), None)]);

    // Unusable: an unknown fund, a missing file (never created: read-only), not a database.
    verify_db(&clean, "no-such-fund", &vkey).assert_unusable("no fund `no-such-fund`");
    let missing = dir.path().join("missing.db");
    verify_db(&missing, FUND_ID, &vkey).assert_unusable("database:");
    assert!(!missing.exists(), "the verifier must not create a database");
    let text = crate::support::write(dir.path(), "text.db", b"not a database at all, just text");
    verify_db(&text, FUND_ID, &vkey).assert_unusable("database:");
}
