//! `ledger fund create` against the real server: a fund file's genesis is checked with the
//! core's rules before anything is sent (each refusal names its rule in both languages,
//! exits 1 and writes nothing), confirmation is required (no terminal and no `--yes`:
//! refused), a good file creates the fund and prints its genesis hash, and the server's own
//! refusal of a second creation is printed the same way with nothing written. The client's
//! retries on the server's limits: an import under a tight rate limit records every row
//! once, with its progress on stderr and only data on stdout.

use std::path::Path;

use std::time::{Duration, Instant};

use community_ledger::{
    run_client, runtime, write_key_file, ClientRun, Deployment, TestBackend, Trustee,
};
use serde_json::Value;

const FUND: &str = "fund-create";

fn fund_file(trustees: &[(&str, &str)], quorum: u32, extra: &str) -> String {
    let mut s = format!(
        "fund = \"{FUND}\"\nname = \"测试社区基金\"\nname_en = \"Test Community Fund\"\n\
         street = \"犀浦街道\"\ncommunity = \"测试社区\"\n{extra}\n[policy]\n\
         statement_quorum = {quorum}\ndisbursement_quorum = {quorum}\ngovernance_quorum = {quorum}\n"
    );
    for (key, name) in trustees {
        s.push_str(&format!(
            "\n[[trustees]]\nkey = \"{key}\"\nname = \"{name}\"\n"
        ));
    }
    s
}

#[track_caller]
fn exits(run: &ClientRun, code: i32) -> String {
    assert_eq!(run.code, code, "expected exit {code}: {run:?}");
    format!("{}{}", run.stdout, run.stderr)
}

fn funds(server: &Deployment) -> Vec<Value> {
    runtime()
        .block_on(server.client().public().get_json("/api/v1/funds"))
        .expect("the fund list")["funds"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn keygen(server: &Deployment, path: &Path) -> String {
    let run = run_client(server, &["keygen", "--out", path.to_str().unwrap()]);
    exits(&run, 0);
    run.stdout.trim().to_owned()
}

#[test]
fn fund_create_checks_the_rules_first_confirms_and_creates_once() {
    let server = Deployment::sqlite("fund_create");
    let d = server.data_dir().to_path_buf();
    let token = server.operator_token();
    let op_key = d.join("operator.key");
    let (a, b) = (
        keygen(&server, &d.join("a.key")),
        keygen(&server, &d.join("b.key")),
    );
    let file = d.join("fund.toml");
    let create = |key: &Path, extra: &[&str]| {
        let mut args = vec![
            "--token",
            token.as_str(),
            "--key",
            key.to_str().unwrap(),
            "fund",
            "create",
            "--from",
            file.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        run_client(&server, &args)
    };

    // Each refused by the core's rule, in both languages, before anything is sent.
    let refusals: [(String, &Path, &str, &str); 4] = [
        (
            fund_file(&[(&a, "甲"), (&b, "乙")], 3, ""),
            &op_key,
            "quorum_unreachable",
            "quorum",
        ),
        (
            fund_file(&[(&a, "甲"), (&a, "甲二")], 1, ""),
            &op_key,
            "trustee_exists",
            "已经是管理人",
        ),
        (
            fund_file(&[(&a, "甲")], 0, ""),
            &op_key,
            "policy_invalid",
            "基金规则无效",
        ),
        (
            fund_file(&[(&a, "甲")], 1, ""),
            &d.join("a.key"),
            "unknown_signer",
            "not this server's operator key",
        ),
    ];
    for (text, key, code, says) in &refusals {
        std::fs::write(&file, text).unwrap();
        let out = exits(&create(key, &["--yes"]), 1);
        assert!(out.contains(code), "{code}: {out}");
        assert!(out.contains(says), "{says}: {out}");
        assert!(out.contains(" / "), "both languages: {out}");
        assert!(!out.contains("created fund"), "{out}");
        assert!(funds(&server).is_empty(), "nothing written after {code}");
    }

    // The old `host_charity` member says what to write instead; a bad field names itself
    // (unusable input, exit 2).
    std::fs::write(
        &file,
        fund_file(&[(&a, "甲")], 1, "host_charity = \"某慈善会\""),
    )
    .unwrap();
    let out = exits(&create(&op_key, &["--yes"]), 2);
    assert!(out.contains("[host]"), "{out}");
    std::fs::write(
        &file,
        fund_file(&[(&a, "甲")], 1, "utc_offset = \"+99:00\""),
    )
    .unwrap();
    let out = exits(&create(&op_key, &["--yes"]), 2);
    assert!(out.contains("utc_offset"), "{out}");
    assert!(funds(&server).is_empty(), "nothing written");

    // A good file: shown, but with no terminal and no --yes not created.
    std::fs::write(&file, fund_file(&[(&a, "甲"), (&b, "乙")], 2, "")).unwrap();
    let run = create(&op_key, &[]);
    let out = exits(&run, 2);
    assert!(
        run.stdout
            .contains("fund fund-create: 测试社区基金 / Test Community Fund"),
        "{out}"
    );
    assert!(run.stdout.contains(&format!("{a}  甲")), "{out}");
    assert!(out.contains("--yes"), "{out}");
    assert!(funds(&server).is_empty(), "not confirmed: nothing written");

    // Without the operator token: refused, nothing written.
    let out = exits(
        &run_client(
            &server,
            &[
                "--key",
                op_key.to_str().unwrap(),
                "fund",
                "create",
                "--from",
                file.to_str().unwrap(),
                "--yes",
            ],
        ),
        2,
    );
    assert!(out.contains("operator token"), "{out}");
    assert!(funds(&server).is_empty());

    // With --yes: created; the printed hash is entry 0's.
    let run = create(&op_key, &["--yes"]);
    exits(&run, 0);
    let hash = run
        .stdout
        .split("genesis (entry 0) hash ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("{run:?}"))
        .to_owned();
    let rt = runtime();
    let public = server.client().public();
    let entry = rt
        .block_on(public.get_json(&format!("/api/v1/funds/{FUND}/entries/0")))
        .expect("entry 0");
    assert_eq!(entry["hash"], hash.as_str());
    assert_eq!(funds(&server).len(), 1);

    // The server refuses a second creation with other content; printed, nothing written.
    std::fs::write(&file, fund_file(&[(&a, "甲"), (&b, "乙")], 1, "")).unwrap();
    let out = exits(&create(&op_key, &["--yes"]), 1);
    assert!(out.contains("refused (HTTP"), "{out}");
    assert!(
        out.contains("idempotency_conflict") || out.contains("genesis_not_first"),
        "{out}"
    );
    let fund = rt
        .block_on(public.get_json(&format!("/api/v1/funds/{FUND}")))
        .expect("the fund");
    assert_eq!(fund["size"], 1, "nothing written: {fund}");
}

/// Issue 17: `fund create --supervisor KEY=NAME --host NAME --host-uscc USCC` puts the
/// supervisors and the host charity in the genesis (FORMAT.md §5 genesis); a supervisor key
/// that is not a key, a supervisor who is a trustee, a bad USCC or a host without its USCC
/// are refused with a message naming them, and nothing is written.
#[test]
fn fund_create_names_supervisors_and_the_host_charity() {
    let server = Deployment::sqlite("fund_create_oversight");
    let d = server.data_dir().to_path_buf();
    let token = server.operator_token();
    let op_key = d.join("operator.key");
    let a = keygen(&server, &d.join("a.key"));
    let c = keygen(&server, &d.join("c.key"));
    let uscc = ledger_core::sample::sample_uscc(17, 0)
        .expect("a USCC")
        .to_string();
    let trustee = format!("{a}=甲");
    let create = |extra: &[&str]| {
        let mut args = vec![
            "--token",
            token.as_str(),
            "--key",
            op_key.to_str().unwrap(),
            "fund",
            "create",
            "--fund",
            FUND,
            "--name",
            "测试社区基金",
            "--name-en",
            "Test Community Fund",
            "--street",
            "犀浦街道",
            "--community",
            "测试社区",
            "--trustee",
            trustee.as_str(),
            "--statement-quorum",
            "1",
            "--disbursement-quorum",
            "1",
            "--governance-quorum",
            "1",
            "--yes",
        ];
        args.extend_from_slice(extra);
        run_client(&server, &args)
    };
    let supervisor = format!("{c}=监督员丙");
    let as_trustee = format!("{a}=甲又是监督员");
    let bad_uscc = format!("{}X", &uscc[..17]);
    let refusals: [(Vec<&str>, i32, &str); 6] = [
        (
            vec!["--supervisor", "not-a-key=丙"],
            2,
            "supervisor \"丙\": key",
        ),
        (vec!["--supervisor", "监督员丙"], 2, "--supervisor"),
        (
            vec!["--supervisor", &as_trustee],
            1,
            "supervisor_is_trustee",
        ),
        (
            vec!["--supervisor", &supervisor, "--supervisor", &supervisor],
            1,
            "supervisor_exists",
        ),
        (
            vec!["--host", "某慈善会", "--host-uscc", &bad_uscc],
            2,
            "host uscc",
        ),
        (vec!["--host", "某慈善会"], 2, "--host-uscc"),
    ];
    for (extra, code, says) in &refusals {
        let out = exits(&create(extra), *code);
        assert!(out.contains(says), "{extra:?}: {says}: {out}");
        assert!(!out.contains("created fund"), "{out}");
        assert!(funds(&server).is_empty(), "nothing written after {extra:?}");
    }

    let run = create(&[
        "--supervisor",
        &supervisor,
        "--host",
        "某慈善会",
        "--host-uscc",
        &uscc,
    ]);
    let out = exits(&run, 0);
    assert!(
        out.contains(&format!("{c}  监督员丙")),
        "the summary: {out}"
    );
    assert!(
        out.contains(&format!("host charity: 某慈善会 ({uscc})")),
        "{out}"
    );
    let entry = runtime()
        .block_on(
            server
                .client()
                .public()
                .get_json(&format!("/api/v1/funds/{FUND}/entries/0")),
        )
        .expect("entry 0");
    let body = &entry["entry"]["intent"]["body"];
    assert_eq!(
        body["supervisors"],
        serde_json::json!([{"key": c, "name": "监督员丙"}]),
        "{body}"
    );
    assert_eq!(
        body["host"],
        serde_json::json!({"name": "某慈善会", "uscc": uscc}),
        "{body}"
    );
}

#[test]
fn an_import_under_a_tight_rate_limit_is_retried_and_records_every_row_once() {
    const ROWS: usize = 60;
    let server = Deployment::sqlite_with(
        "client_limits",
        &["--rate-limit", "10", "--rate-burst", "10"],
    );
    let d = server.data_dir().to_path_buf();
    let key = d.join("t.key");
    let public_key = keygen(&server, &key);
    let file = fund_file(&[(&public_key, "甲")], 1, "").replace(FUND, "limits-fund");
    std::fs::write(d.join("fund.toml"), file).unwrap();
    let op_token = server.operator_token();
    exits(
        &run_client(
            &server,
            &[
                "--token",
                &op_token,
                "--key",
                d.join("operator.key").to_str().unwrap(),
                "fund",
                "create",
                "--from",
                d.join("fund.toml").to_str().unwrap(),
                "--yes",
            ],
        ),
        0,
    );
    let token = server.issue_token("trustee", Some("limits-fund"));
    let mut csv =
        String::from("date,amount,donor_class,donor_name,donor_phone,channel,receipt_no,memo\n");
    for i in 0..ROWS {
        csv.push_str(&format!(
            "2019-03-05,1.{:02},anonymous,,,cash,R-{i},\n",
            i % 100
        ));
    }
    let csv_path = d.join("rows.csv");
    std::fs::write(&csv_path, csv).unwrap();
    let import = || {
        run_client(
            &server,
            &[
                "--token",
                &token,
                "--key",
                key.to_str().unwrap(),
                "import",
                "--fund",
                "limits-fund",
                "--kind",
                "donation",
                csv_path.to_str().unwrap(),
            ],
        )
    };
    let run = import();
    exits(&run, 0);
    assert!(
        run.stdout.contains(&format!(
            "{ROWS} rows: {ROWS} recorded, 0 already recorded, 0 refused"
        )),
        "{run:?}"
    );
    assert!(
        run.stderr.contains("import: done"),
        "progress on stderr: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("after the server's limits"),
        "it waited on the rate limit: {}",
        run.stderr
    );
    assert!(!run.stdout.contains("import: "), "no progress on stdout");

    // Every row once: the export holds ROWS donations with distinct keys.
    let export = run_client(&server, &["export", "--fund", "limits-fund"]);
    exits(&export, 0);
    assert!(
        export.stderr.contains("download: done"),
        "{}",
        export.stderr
    );
    let mut keys = std::collections::BTreeSet::new();
    let mut donations = 0;
    for line in export.stdout.lines() {
        let v: Value = serde_json::from_str(line).expect("stdout holds only the export");
        let i = &v["intent"];
        if i["kind"] == "donation" {
            donations += 1;
            assert!(keys.insert(i["key"].as_str().unwrap().to_owned()), "{line}");
        }
    }
    assert_eq!(donations, ROWS, "every row recorded once");

    // Again: nothing new is sent or recorded.
    let run = import();
    exits(&run, 0);
    assert!(
        run.stdout.contains(&format!("{ROWS} already recorded")),
        "{run:?}"
    );
}

/// An append the server has queued but not answered in time (503 `timeout`, its fund's
/// head row held by another transaction) is sent again by the client with the same bytes
/// and recorded once: the retry is answered with the entry the first try recorded.
/// PostgreSQL only (the row lock is how the test holds the append back).
#[test]
fn an_append_retried_after_a_timeout_is_recorded_once() {
    const HELD: Duration = Duration::from_millis(2500);
    let rt = runtime();
    let Some(mut backend) = TestBackend::postgres("retry_once", &rt) else {
        return;
    };
    backend
        .config
        .extra_args
        .extend(["--request-timeout".to_owned(), "1".to_owned()]);
    let server = Deployment::on(backend);
    let trustee = Trustee::random("甲");
    let key = server.data_dir().join("t.key");
    write_key_file(&key, &trustee.key);
    let fund = rt.block_on(server.create_fund("retry-once", &[&trustee], (1, 1, 1)));
    let url = server.config().database_url.clone().expect("PostgreSQL");

    // Built (if stale) before the clock starts.
    community_ledger::client_binary();
    // Another transaction holds the fund's head row: the append waits behind it.
    let (locked_tx, locked) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        runtime().block_on(async {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
            let mut tx = conn.begin().await.expect("begin");
            sqlx::query("SELECT head_seq FROM funds WHERE id = $1 FOR UPDATE")
                .bind("retry-once")
                .fetch_one(&mut *tx)
                .await
                .expect("the fund's row");
            locked_tx.send(()).expect("the test waits");
            tokio::time::sleep(HELD).await;
            tx.rollback().await.expect("rollback");
        })
    });
    locked.recv().expect("the row is held");
    let started = Instant::now();
    let run = run_client(
        &server,
        &[
            "--token",
            &fund.trustee_token,
            "--key",
            key.to_str().unwrap(),
            "submit",
            "donation",
            "--fund",
            "retry-once",
            "--amount",
            "8.00",
            "--donor-class",
            "anonymous",
            "--channel",
            "cash",
            "--receipt-no",
            "R-1",
        ],
    );
    holder.join().expect("the holder");
    let out = exits(&run, 0);
    assert!(started.elapsed() >= HELD / 2, "it waited: {out}");
    assert!(
        run.stdout.contains("recorded donation 捐赠 as entry 1"),
        "{out}"
    );
    assert!(
        run.stdout.contains("the server was busy"),
        "it was sent again after the timeout: {out}"
    );
    let export = run_client(
        &server,
        &["--no-progress", "export", "--fund", "retry-once"],
    );
    let donations = exits(&export, 0)
        .lines()
        .filter(|l| l.contains("\"kind\":\"donation\""))
        .count();
    assert_eq!(donations, 1, "recorded once");
}
