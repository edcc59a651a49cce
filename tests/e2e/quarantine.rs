//! The log is the truth (issue 20, D2): a fund whose rows disagree with its log is
//! quarantined, and every other fund stays online.
//!
//! Each test changes rows of a real deployment's database behind its server, the way an
//! insider with SQL access could (on PostgreSQL as the service role `ledger_app` where the
//! point is what that role may do, as the owner where the point is what the server
//! believes), restarts the server, and checks what it then serves: the damaged fund's
//! reads, proofs, pages and appends answer 503 `fund_damaged` with the reason and write
//! nothing; the fund list shows its status; `/healthz` names it (200 `degraded`); the
//! metric counts it; the other funds serve reads and appends. Where a repair is possible,
//! the owner repairs the row to the log's truth and the fund comes back after a restart.
//! Runs on SQLite, and on PostgreSQL when `LEDGER_TEST_POSTGRES_URL` is set.

use community_ledger::{
    pg_url_with_user, random_key, runtime, test_backends, Client, Deployment, Trustee,
};
use reqwest::Method;
use serde_json::Value;
use sqlx::Connection;

/// The service's role on PostgreSQL and its password (test clusters only).
const APP_USER: &str = "ledger_app";
const APP_PASSWORD: &str = "ledger";

/// Runs `body` on a fresh deployment per backend (SQLite; PostgreSQL when configured),
/// with the backend's name. Like `each_backend`, but the body may restart the server.
pub(crate) fn on_each_backend(test: &str, body: impl AsyncFn(&mut Deployment, &'static str)) {
    let rt = runtime();
    for backend in test_backends(test, &rt) {
        let name = backend.name;
        println!("backend: {name}");
        let mut d = Deployment::on(backend);
        rt.block_on(body(&mut d, name));
    }
}

/// Who sends a statement to the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum As {
    /// The database's owner (the role that migrated it; on SQLite, whoever can write the
    /// file).
    Owner,
    /// PostgreSQL's service role `ledger_app` (on SQLite there are no roles: the owner).
    Service,
}

/// The URL of the deployment's database for `who`.
pub(crate) fn db_url(d: &Deployment, who: As) -> String {
    match &d.config().database_url {
        Some(url) if who == As::Service => pg_url_with_user(url, APP_USER, APP_PASSWORD),
        Some(url) => url.clone(),
        None => format!(
            "sqlite://{}",
            d.config().data_dir.join("ledger.db").display()
        ),
    }
}

/// Runs `sql` on the deployment's database as `who`: the rows it changed, or the
/// database's refusal.
pub(crate) async fn exec(d: &Deployment, who: As, sql: &str) -> Result<u64, String> {
    let url = db_url(d, who);
    if url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("connecting as {who:?}: {e}"));
        let r = sqlx::query(sql).execute(&mut c).await;
        c.close().await.ok();
        r.map(|done| done.rows_affected())
            .map_err(|e| e.to_string())
    } else {
        let mut c = sqlx::SqliteConnection::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("opening {url}: {e}"));
        let r = sqlx::query(sql).execute(&mut c).await;
        c.close().await.ok();
        r.map(|done| done.rows_affected())
            .map_err(|e| e.to_string())
    }
}

/// The text of the first column of every row of `sql`, read as the owner.
pub(crate) async fn texts(d: &Deployment, sql: &str) -> Vec<String> {
    let url = db_url(d, As::Owner);
    if url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(&url).await.expect("owner");
        let v = sqlx::query_scalar::<_, String>(sql)
            .fetch_all(&mut c)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        c.close().await.ok();
        v
    } else {
        let mut c = sqlx::SqliteConnection::connect(&url).await.expect("file");
        let v = sqlx::query_scalar::<_, String>(sql)
            .fetch_all(&mut c)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        c.close().await.ok();
        v
    }
}

/// What the database holds of `fund`'s log and head, as text: rows per table and the
/// head row. Equal before and after a refused request: nothing was written.
pub(crate) async fn log_rows(d: &Deployment, fund: &str) -> Vec<String> {
    let mut out = Vec::new();
    for table in ["entries", "tree_nodes", "checkpoints", "donor_vault"] {
        out.extend(
            texts(
                d,
                &format!("SELECT CAST(COUNT(*) AS TEXT) FROM {table} WHERE fund = '{fund}'"),
            )
            .await
            .into_iter()
            .map(|n| format!("{table}: {n}")),
        );
    }
    out.extend(
        texts(
            d,
            &format!(
                "SELECT CAST(head_seq AS TEXT) || ' ' || operator_key FROM funds WHERE id = '{fund}'"
            ),
        )
        .await,
    );
    out
}

/// A fund with one trustee and `donations` donations after its genesis.
pub(crate) async fn fund_with_donations(
    d: &Deployment,
    fund: &str,
    trustee: &Trustee,
    donations: u64,
) {
    d.create_fund(fund, &[trustee], (1, 1, 1)).await;
    let client = d.client();
    for i in 0..donations {
        let r = client
            .append(&trustee.donation(fund, &format!("{fund}-d{i}"), 1_000 + i as i64))
            .await
            .expect("an answer");
        assert_eq!(r.status, 201, "donation {i} to {fund}: {}", r.body);
    }
}

/// `GET path`: status and JSON body.
pub(crate) async fn get(client: &Client, path: &str) -> (u16, Value) {
    client.send_json(Method::GET, path, None).await
}

/// Everything the public and the fund's trustee can ask of `fund` answers 503
/// `fund_damaged`, with a reason containing `reason_has` in the English detail and a
/// Chinese detail; its page says so too; an append is refused and writes nothing.
async fn assert_quarantined(
    d: &Deployment,
    b: &str,
    fund: &str,
    trustee: &Trustee,
    reason_has: &str,
) {
    let client = d.client();
    for path in [
        format!("/api/v1/funds/{fund}"),
        format!("/api/v1/funds/{fund}/entries"),
        format!("/api/v1/funds/{fund}/entries/0"),
        format!("/api/v1/funds/{fund}/proofs/inclusion?seq=0"),
        format!("/api/v1/funds/{fund}/proofs/consistency?from=1"),
        format!("/api/v1/funds/{fund}/checkpoint"),
        format!("/api/v1/funds/{fund}/export"),
        format!("/api/v1/funds/{fund}/entries/0/receipt"),
        format!("/api/v1/funds/{fund}/statements"),
    ] {
        let (status, v) = get(&client, &path).await;
        assert_eq!(status, 503, "{b}: GET {path}: {v}");
        assert_eq!(v["code"], "fund_damaged", "{b}: GET {path}: {v}");
        let detail = v["detail"].as_str().unwrap_or("");
        assert!(
            detail.contains(reason_has),
            "{b}: GET {path}: the reason ({reason_has:?}) is missing: {detail}"
        );
        assert!(
            v["detail_zh"]
                .as_str()
                .is_some_and(|z| z.contains("已损坏")),
            "{b}: GET {path}: {v}"
        );
    }
    // The residents' page says it is damaged, in the reader's language.
    for (lang, word) in [("zh", "已损坏"), ("en", "Damaged")] {
        let resp = client
            .request(Method::GET, &format!("/funds/{fund}?lang={lang}"))
            .send()
            .await
            .expect("an answer");
        assert_eq!(resp.status().as_u16(), 503, "{b}: page of {fund}");
        let html = resp.text().await.expect("a page");
        assert!(html.contains(word), "{b}: page of {fund} ({lang}): {html}");
    }
    // The overview page lists it as damaged; the page itself still answers.
    let resp = client
        .request(Method::GET, "/?lang=en")
        .send()
        .await
        .expect("an answer");
    assert_eq!(resp.status().as_u16(), 200, "{b}: overview");
    let html = resp.text().await.expect("a page");
    assert!(html.contains("Damaged"), "{b}: overview: {html}");
    // The fund list shows it as damaged, without a head or balance from its rows.
    let (status, list) = get(&client, "/api/v1/funds").await;
    assert_eq!(status, 200, "{b}: {list}");
    let listed = list["funds"]
        .as_array()
        .expect("funds")
        .iter()
        .find(|f| f["id"] == fund)
        .unwrap_or_else(|| panic!("{b}: {fund} is not listed: {list}"))
        .clone();
    assert_eq!(listed["status"], "damaged", "{b}: {listed}");
    assert!(
        listed["head"].is_null() && listed["size"].is_null(),
        "{b}: {listed}"
    );
    assert!(
        listed["damage"]
            .as_str()
            .is_some_and(|r| r.contains(reason_has)),
        "{b}: {listed}"
    );
    // No head hash of zeros is ever served.
    for f in list["funds"].as_array().expect("funds") {
        assert_ne!(
            f["head"],
            "0".repeat(64),
            "{b}: a zeroed head is served: {f}"
        );
    }
    // An append is refused and writes nothing.
    let before = log_rows(d, fund).await;
    let r = client
        .append(&trustee.donation(fund, "after-damage", 500))
        .await
        .expect("an answer");
    assert_eq!(r.status, 503, "{b}: append to {fund}: {}", r.body);
    assert_eq!(r.body["code"], "fund_damaged", "{b}: {}", r.body);
    assert_eq!(
        log_rows(d, fund).await,
        before,
        "{b}: the refused append wrote"
    );
    // The server's log says so at error level, with the reason.
    let log = std::fs::read_to_string(d.config().data_dir.join("server.log")).unwrap_or_default();
    assert!(
        log.lines().any(|l| l.contains("ERROR")
            && l.contains("fund quarantined")
            && l.contains(fund)
            && l.contains(reason_has)),
        "{b}: no error line for {fund}: {}",
        d.log_tail()
    );
    // /healthz names it and stays usable for a load balancer (200, degraded).
    let (status, health) = get(&client, "/healthz").await;
    assert_eq!(status, 200, "{b}: {health}");
    assert_eq!(health["status"], "degraded", "{b}: {health}");
    let named: Vec<&str> = health["damaged"]
        .as_array()
        .expect("damaged")
        .iter()
        .filter_map(|f| f["fund"].as_str())
        .collect();
    assert!(named.contains(&fund), "{b}: {health}");
    let metrics = client
        .request(Method::GET, "/metrics")
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let damaged = metrics
        .lines()
        .find_map(|l| l.strip_prefix("ledger_funds_damaged "))
        .unwrap_or_else(|| panic!("{b}: no ledger_funds_damaged: {metrics}"));
    assert_eq!(damaged.trim(), named.len().to_string(), "{b}: {metrics}");
}

/// `fund` serves its reads (size `size`) and takes an append.
async fn assert_online(d: &Deployment, b: &str, fund: &str, trustee: &Trustee, size: u64) {
    let client = d.client();
    let (status, v) = get(&client, &format!("/api/v1/funds/{fund}")).await;
    assert_eq!(status, 200, "{b}: GET {fund}: {v}");
    assert_eq!(v["status"], "ok", "{b}: {v}");
    assert_eq!(v["size"], size, "{b}: {v}");
    let (status, proof) = get(
        &client,
        &format!("/api/v1/funds/{fund}/proofs/inclusion?seq=0"),
    )
    .await;
    assert_eq!(status, 200, "{b}: proof of {fund}: {proof}");
    let page = client
        .request(Method::GET, &format!("/funds/{fund}"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(page.status().as_u16(), 200, "{b}: page of {fund}");
    let r = client
        .append(&trustee.donation(fund, &format!("{fund}-online-{}", size), 700))
        .await
        .expect("an answer");
    assert_eq!(r.status, 201, "{b}: append to {fund}: {}", r.body);
    assert_eq!(r.body["seq"], size, "{b}: {}", r.body);
}

/// `UPDATE funds SET head_seq = head_seq + 1000`: the service role may do it on
/// PostgreSQL (appends move the head), so the server must not believe it. Seen at once by
/// a read, and at the next start; the repair back to the log's head is the owner's.
#[test]
fn a_head_moved_forward_quarantines_the_fund() {
    on_each_backend("quarantine_head", async |d: &mut Deployment, b| {
        let t = Trustee::random("管理人甲");
        fund_with_donations(d, "q-head", &t, 3).await;
        fund_with_donations(d, "q-head-ok", &t, 1).await;
        let done = exec(
            d,
            As::Service,
            "UPDATE funds SET head_seq = head_seq + 1000 WHERE id = 'q-head'",
        )
        .await;
        assert_eq!(done, Ok(1), "{b}: the service role moves a head forward");
        // Seen by the next read, before any restart: the head served is the log's.
        let (status, v) = get(&d.client(), "/api/v1/funds/q-head").await;
        assert_eq!(
            (status, v["code"].as_str()),
            (503, Some("fund_damaged")),
            "{b}: {v}"
        );
        d.restart();
        assert_quarantined(d, b, "q-head", &t, "row says head 1003").await;
        assert_online(d, b, "q-head-ok", &t, 2).await;

        // The repair: the service role may not set a head back, even to the truth.
        if b == "postgres" {
            let before = log_rows(d, "q-head").await;
            let refused = exec(
                d,
                As::Service,
                "UPDATE funds SET head_seq = head_seq - 1000 WHERE id = 'q-head'",
            )
            .await;
            assert!(
                refused.is_err(),
                "{b}: the service role repaired a head: {refused:?}"
            );
            assert_eq!(log_rows(d, "q-head").await, before, "{b}");
        }
        // Nor may anyone set it back anywhere but onto the log's last entry.
        let wrong = exec(
            d,
            As::Owner,
            "UPDATE funds SET head_seq = head_seq - 1001 WHERE id = 'q-head'",
        )
        .await;
        assert!(
            wrong.is_err(),
            "{b}: a head was moved back off the log: {wrong:?}"
        );
        let repaired = exec(
            d,
            As::Owner,
            "UPDATE funds SET head_seq = head_seq - 1000 WHERE id = 'q-head'",
        )
        .await;
        assert_eq!(
            repaired,
            Ok(1),
            "{b}: the owner repairs the head to the log's"
        );
        d.restart();
        assert_online(d, b, "q-head", &t, 4).await;
        let (_, health) = get(&d.client(), "/healthz").await;
        assert_eq!(health["status"], "ok", "{b}: {health}");
    });
}

/// A zeroed `head_hash` is never served: the fund is damaged until the row is repaired.
#[test]
fn a_zeroed_head_hash_is_never_served() {
    on_each_backend("quarantine_zero_hash", async |d: &mut Deployment, b| {
        let t = Trustee::random("管理人甲");
        fund_with_donations(d, "q-zero", &t, 2).await;
        fund_with_donations(d, "q-zero-ok", &t, 0).await;
        let zeros = if b == "postgres" {
            "decode(repeat('00', 32), 'hex')"
        } else {
            "zeroblob(32)"
        };
        let done = exec(
            d,
            As::Service,
            &format!("UPDATE funds SET head_hash = {zeros} WHERE id = 'q-zero'"),
        )
        .await;
        assert_eq!(done, Ok(1), "{b}");
        d.restart();
        assert_quarantined(
            d,
            b,
            "q-zero",
            &t,
            &format!("row says head 2 ({})", "0".repeat(64)),
        )
        .await;
        assert_online(d, b, "q-zero-ok", &t, 1).await;
        let repaired = exec(
            d,
            As::Owner,
            "UPDATE funds SET head_hash = (SELECT e.hash FROM entries e \
             WHERE e.fund = funds.id AND e.seq = funds.head_seq) WHERE id = 'q-zero'",
        )
        .await;
        assert_eq!(repaired, Ok(1), "{b}");
        d.restart();
        assert_online(d, b, "q-zero", &t, 3).await;
    });
}

/// The genesis says who the operator is: a row with another operator key no longer
/// stops the whole server; that fund alone is quarantined. The service role may not
/// change the key at all.
#[test]
fn a_changed_operator_key_quarantines_only_that_fund() {
    on_each_backend("quarantine_operator", async |d: &mut Deployment, b| {
        let t = Trustee::random("管理人甲");
        fund_with_donations(d, "q-oper", &t, 1).await;
        fund_with_donations(d, "q-oper-ok", &t, 1).await;
        let original = texts(d, "SELECT operator_key FROM funds WHERE id = 'q-oper'").await;
        let other = hex::encode(random_key().verifying_key().as_bytes());
        let set = format!("UPDATE funds SET operator_key = '{other}' WHERE id = 'q-oper'");
        if b == "postgres" {
            let before = log_rows(d, "q-oper").await;
            let refused = exec(d, As::Service, &set).await;
            assert!(
                refused
                    .as_ref()
                    .is_err_and(|e| e.contains("permission denied")),
                "{b}: the service role changed an operator key: {refused:?}"
            );
            assert_eq!(log_rows(d, "q-oper").await, before, "{b}");
        }
        assert_eq!(exec(d, As::Owner, &set).await, Ok(1), "{b}");
        d.restart();
        assert_quarantined(d, b, "q-oper", &t, "is not the genesis signer").await;
        assert_online(d, b, "q-oper-ok", &t, 2).await;
        let restore = format!(
            "UPDATE funds SET operator_key = '{}' WHERE id = 'q-oper'",
            original[0]
        );
        assert_eq!(exec(d, As::Owner, &restore).await, Ok(1), "{b}");
        d.restart();
        assert_online(d, b, "q-oper", &t, 2).await;
    });
}

/// A forged entries row at head + 1 (the service role may insert entries: appends do)
/// does not chain: that fund is quarantined at the next start, every other one starts.
#[test]
fn a_forged_row_past_the_head_quarantines_only_that_fund() {
    on_each_backend("quarantine_forged", async |d: &mut Deployment, b| {
        let t = Trustee::random("管理人甲");
        fund_with_donations(d, "q-forged", &t, 2).await;
        fund_with_donations(d, "q-forged-ok", &t, 2).await;
        let forged = exec(
            d,
            As::Service,
            "INSERT INTO entries (fund, seq, hash, kind, delta_fen, balance_fen, recorded_at, \
             idem_key, intent_hash, bytes) \
             SELECT fund, seq + 1, hash, kind, delta_fen, balance_fen, recorded_at, \
             idem_key || '-forged', intent_hash, bytes FROM entries \
             WHERE fund = 'q-forged' AND seq = 2",
        )
        .await;
        assert_eq!(forged, Ok(1), "{b}: the forged row is in");
        d.restart();
        assert_quarantined(d, b, "q-forged", &t, "stored entry").await;
        assert_online(d, b, "q-forged-ok", &t, 3).await;
    });
}

/// Stored Merkle nodes that do not give the log's root (changed by the owner with the
/// append-only trigger switched off): that fund is quarantined at the next start, since
/// its proofs would not verify; the others start.
#[test]
fn tree_nodes_that_disagree_with_the_log_quarantine_the_fund() {
    on_each_backend("quarantine_nodes", async |d: &mut Deployment, b| {
        let t = Trustee::random("管理人甲");
        fund_with_donations(d, "q-nodes", &t, 4).await;
        fund_with_donations(d, "q-nodes-ok", &t, 1).await;
        let update = "UPDATE tree_nodes SET hash = (SELECT hash FROM entries \
                      WHERE fund = 'q-nodes' AND seq = 0) WHERE fund = 'q-nodes' AND level > 0";
        if b == "postgres" {
            let refused = exec(d, As::Service, update).await;
            assert!(refused.is_err(), "{b}: the service role changed tree nodes");
            for sql in [
                "ALTER TABLE tree_nodes DISABLE TRIGGER tree_nodes_append_only",
                update,
                "ALTER TABLE tree_nodes ENABLE TRIGGER tree_nodes_append_only",
            ] {
                assert!(exec(d, As::Owner, sql).await.is_ok(), "{b}: {sql}");
            }
        } else {
            for sql in [
                "DROP TRIGGER tree_nodes_no_update",
                update,
                "CREATE TRIGGER tree_nodes_no_update BEFORE UPDATE ON tree_nodes \
                 BEGIN SELECT RAISE(ABORT, 'tree nodes are append-only'); END",
            ] {
                assert!(exec(d, As::Owner, sql).await.is_ok(), "{b}: {sql}");
            }
        }
        d.restart();
        assert_quarantined(d, b, "q-nodes", &t, "stored tree nodes at tree size 5").await;
        assert_online(d, b, "q-nodes-ok", &t, 2).await;
    });
}

/// A credential's role and fund never change after issue, whoever asks (revoke it and
/// issue another): the database refuses it on both backends, and the token keeps the
/// role it was issued with.
#[test]
fn a_credential_role_cannot_be_changed() {
    on_each_backend("quarantine_credential", async |d: &mut Deployment, b| {
        let t = Trustee::random("管理人甲");
        let fund = d.create_fund("q-cred", &[&t], (1, 1, 1)).await;
        let credentials = "SELECT role || ':' || COALESCE(fund, '-') || ':' || label || ':' \
                           || COALESCE(revoked_at, '-') FROM credentials ORDER BY created_at, label";
        let before = texts(d, credentials).await;
        let owner = if b == "postgres" {
            vec![As::Service, As::Owner]
        } else {
            vec![As::Owner]
        };
        for who in owner {
            for sql in [
                "UPDATE credentials SET role = 'operator' WHERE role = 'trustee'",
                "UPDATE credentials SET fund = NULL WHERE role = 'trustee'",
                "UPDATE credentials SET fund = 'q-other' WHERE role = 'trustee'",
                "UPDATE credentials SET role = 'auditor', fund = NULL WHERE role = 'trustee'",
            ] {
                let refused = exec(d, who, sql).await;
                assert!(refused.is_err(), "{b}: {who:?} may `{sql}`: {refused:?}");
            }
        }
        assert_eq!(
            texts(d, credentials).await,
            before,
            "{b}: a credential changed"
        );
        // The token is still a trustee's: it cannot create a fund (a genesis needs the
        // operator), and nothing is written.
        let writer = d.client().public().with_token(&fund.trustee_token);
        let genesis = community_ledger::genesis_intent(
            "q-cred-new",
            &[&t],
            community_ledger::single_trustee_policy(),
        );
        let signed = community_ledger::sign_intent(&genesis, &[d.operator()]);
        let r = writer.append(&signed).await.expect("an answer");
        assert_eq!(r.status, 403, "{b}: {}", r.body);
        let funds = texts(d, "SELECT id FROM funds ORDER BY id").await;
        assert_eq!(funds, vec!["q-cred".to_owned()], "{b}");
    });
}

/// One damaged fund among 30: the 29 others keep serving reads and appends, and
/// `/healthz` names exactly the damaged one.
#[test]
fn one_damaged_fund_leaves_twenty_nine_online() {
    on_each_backend("quarantine_thirty", async |d: &mut Deployment, b| {
        let t = Trustee::random("管理人甲");
        let funds: Vec<String> = (0..30).map(|i| format!("q30-{i:02}")).collect();
        for f in &funds {
            d.create_fund(f, &[&t], (1, 1, 1)).await;
        }
        let damaged = "q30-17";
        let done = exec(
            d,
            As::Service,
            &format!("UPDATE funds SET head_seq = head_seq + 1000 WHERE id = '{damaged}'"),
        )
        .await;
        assert_eq!(done, Ok(1), "{b}");
        d.restart();
        assert_quarantined(d, b, damaged, &t, "row says head 1000").await;
        let (_, health) = get(&d.client(), "/healthz").await;
        assert_eq!(
            health["damaged"]
                .as_array()
                .expect("damaged")
                .iter()
                .map(|f| f["fund"].clone())
                .collect::<Vec<_>>(),
            vec![Value::from(damaged)],
            "{b}: {health}"
        );
        for f in funds.iter().filter(|f| *f != damaged) {
            assert_online(d, b, f, &t, 1).await;
        }
        let (_, list) = get(&d.client(), "/api/v1/funds").await;
        let ok = list["funds"]
            .as_array()
            .expect("funds")
            .iter()
            .filter(|f| f["status"] == "ok")
            .count();
        assert_eq!(ok, 29, "{b}: {list}");
    });
}
