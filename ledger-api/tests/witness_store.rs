//! The witnesses' tables on both backends (SQLite; PostgreSQL when
//! `LEDGER_TEST_POSTGRES_URL` is set): a witness's newest cosignature replaces its
//! previous one; the witnessed checkpoint of a fund and policy only moves forward (the
//! store skips an older one, the database refuses moving it back or deleting it); on
//! PostgreSQL the service role (`ledger_app`) can do what the witness client does and
//! no more.

mod support;

use std::sync::Arc;

use ledger_core::sample::{build, SampleSpec};
use sqlx::Connection;
use support::{append_sample, backends, pg_url_with_user, start_ledger, PinnedClock, ORIGIN};

const FUND: &str = "witnessed";
const POLICY: &str = "0000000000000000000000000000000000000000000000000000000000000001";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cosignatures_and_witnessed_checkpoints_move_forward() {
    let fund = build(&SampleSpec::example(FUND, 7, 12, 1), ORIGIN).expect("sample builds");
    for db in backends().await {
        let b = db.name;
        let store = Arc::new(support::open_store(&db.url).await.expect("store opens"));
        let clock = PinnedClock::new(0);
        let _ledger = start_ledger(store.clone(), &fund, &clock).await;
        append_sample(&_ledger, &fund, &clock).await;

        // Nothing yet.
        assert!(store.cosignatures(FUND).await.unwrap().is_empty(), "{b}");
        assert_eq!(
            store.witnessed_checkpoint(FUND, POLICY).await.unwrap(),
            None,
            "{b}"
        );

        // A witness's newest cosignature replaces its previous one.
        store
            .record_cosignature(FUND, "w1+1+k", 5, "— w1 a")
            .await
            .unwrap();
        store
            .record_cosignature(FUND, "w2+2+k", 5, "— w2 b")
            .await
            .unwrap();
        store
            .record_cosignature(FUND, "w1+1+k", 9, "— w1 c")
            .await
            .unwrap();
        let rows = store.cosignatures(FUND).await.unwrap();
        let got: Vec<(&str, u64, &str)> = rows
            .iter()
            .map(|r| (r.witness_key.as_str(), r.tree_size, r.line.as_str()))
            .collect();
        assert_eq!(
            got,
            [("w1+1+k", 9, "— w1 c"), ("w2+2+k", 5, "— w2 b")],
            "{b}"
        );
        assert!(store.cosignatures("other").await.unwrap().is_empty(), "{b}");

        // The witnessed checkpoint moves forward only.
        assert!(
            store
                .record_witnessed(FUND, POLICY, 5, "note 5", 100)
                .await
                .unwrap(),
            "{b}"
        );
        assert!(
            store
                .record_witnessed(FUND, POLICY, 9, "note 9", 200)
                .await
                .unwrap(),
            "{b}"
        );
        assert!(
            !store
                .record_witnessed(FUND, POLICY, 7, "note 7", 300)
                .await
                .unwrap(),
            "{b}: an older checkpoint is not recorded"
        );
        assert!(
            !store
                .record_witnessed(FUND, POLICY, 9, "note 9'", 300)
                .await
                .unwrap(),
            "{b}: nor the same size again"
        );
        let w = store
            .witnessed_checkpoint(FUND, POLICY)
            .await
            .unwrap()
            .expect("one");
        assert_eq!(
            (w.tree_size, w.note.as_str(), w.witnessed_at),
            (9, "note 9", 200),
            "{b}"
        );
        // Per policy: another policy has none yet.
        assert_eq!(
            store.witnessed_checkpoint(FUND, "other").await.unwrap(),
            None,
            "{b}"
        );

        // The database itself refuses moving it back or deleting it.
        for sql in [
            "UPDATE witnessed_checkpoints SET tree_size = 1",
            "DELETE FROM witnessed_checkpoints",
        ] {
            assert!(
                sqlx::query(sql).execute(store.pool()).await.is_err(),
                "{b}: `{sql}` is refused"
            );
        }
        let w = store
            .witnessed_checkpoint(FUND, POLICY)
            .await
            .unwrap()
            .expect("one");
        assert_eq!(w.tree_size, 9, "{b}: unchanged");
        store.close().await;

        if b == "postgres" {
            // The service role does what the witness client does, and cannot delete.
            let app_url = pg_url_with_user(&db.url, support::APP_USER, support::APP_PASSWORD);
            let app = support::open_store(&app_url)
                .await
                .expect("ledger_app opens the store");
            app.record_cosignature(FUND, "w2+2+k", 12, "— w2 d")
                .await
                .unwrap();
            assert!(app
                .record_witnessed(FUND, POLICY, 12, "note 12", 400)
                .await
                .unwrap());
            assert_eq!(
                app.witnessed_checkpoint(FUND, POLICY)
                    .await
                    .unwrap()
                    .map(|w| w.tree_size),
                Some(12)
            );
            app.close().await;
            let mut conn = sqlx::PgConnection::connect(&app_url)
                .await
                .expect("ledger_app");
            for sql in [
                "DELETE FROM witness_cosignatures",
                "DELETE FROM witnessed_checkpoints",
                "TRUNCATE witness_cosignatures",
                "UPDATE witness_cosignatures SET fund = 'x'",
                "UPDATE witnessed_checkpoints SET policy = 'x'",
            ] {
                let e = sqlx::query(sql)
                    .execute(&mut conn)
                    .await
                    .expect_err("refused");
                assert!(e.to_string().contains("permission denied"), "`{sql}`: {e}");
            }
            conn.close().await.ok();
        }
    }
}

/// A witness round is recorded in one transaction: every fund's cosignatures, and its
/// witnessed checkpoint only where it moves forward (the flags say which did); a round
/// that fails part-way (here: a fund the database refuses) records nothing of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_witness_round_is_recorded_whole_or_not_at_all() {
    use ledger_api::store::RoundWrite;
    let fund = build(&SampleSpec::example(FUND, 7, 12, 1), ORIGIN).expect("sample builds");
    for db in backends().await {
        let b = db.name;
        let store = Arc::new(support::open_store(&db.url).await.expect("store opens"));
        let clock = PinnedClock::new(0);
        let ledger = start_ledger(store.clone(), &fund, &clock).await;
        append_sample(&ledger, &fund, &clock).await;
        let write = |size: u64, line: &str, witnessed: bool| RoundWrite {
            fund: FUND.into(),
            tree_size: size,
            cosignatures: vec![("w1+1+k".into(), line.into())],
            witnessed: witnessed.then(|| (format!("note {size}"), 100 + size)),
        };
        let advanced = store
            .record_witness_round(POLICY, &[write(6, "— w1 a", true)])
            .await
            .unwrap();
        assert_eq!(advanced, [true], "{b}");
        let w = store
            .witnessed_checkpoint(FUND, POLICY)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((w.tree_size, w.note.as_str()), (6, "note 6"), "{b}");
        // An older witnessed checkpoint does not move it back; the cosignature is kept.
        let advanced = store
            .record_witness_round(POLICY, &[write(4, "— w1 b", true)])
            .await
            .unwrap();
        assert_eq!(advanced, [false], "{b}");
        assert_eq!(
            store
                .witnessed_checkpoint(FUND, POLICY)
                .await
                .unwrap()
                .unwrap()
                .tree_size,
            6,
            "{b}"
        );
        // A round whose second fund is refused (a size the database cannot hold) records
        // nothing, not even the first fund's cosignature.
        let bad = RoundWrite {
            tree_size: u64::MAX,
            ..write(9, "— w1 d", false)
        };
        assert!(
            store
                .record_witness_round(POLICY, &[write(8, "— w1 c", true), bad])
                .await
                .is_err(),
            "{b}"
        );
        let rows = store.cosignatures(FUND).await.unwrap();
        assert_eq!(rows[0].line, "— w1 b", "{b}: nothing of the failed round");
        assert_eq!(
            store
                .witnessed_checkpoint(FUND, POLICY)
                .await
                .unwrap()
                .unwrap()
                .tree_size,
            6,
            "{b}"
        );
    }
}
