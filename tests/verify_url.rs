//! `ledger-verify` against a real `ledger-server`: `--url` on the demo funds, `--since` with
//! a checkpoint saved from the server before the log grew, and `--db` on the server's own
//! SQLite file while it runs, and on its PostgreSQL database (when `LEDGER_TEST_POSTGRES_URL`
//! is set). The verifier is the real binary (audit-tools); it shares no
//! code with the server but ledger-core.

use std::process::{Command, Output, Stdio};

use community_ledger::{runtime, verify_binary, Deployment, Server, TestBackend, Trustee};
use serde_json::Value;

fn verify(args: &[&str]) -> Output {
    Command::new(verify_binary())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("running ledger-verify")
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn a_demo_fund_verifies_clean_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_demo(dir.path());
    let rt = runtime();
    let client = server.client();
    let (funds, log) = rt.block_on(async {
        (
            client.get_json("/api/v1/funds").await.expect("funds"),
            client.get_json("/api/v1/log").await.expect("log"),
        )
    });
    let funds = funds
        .as_array()
        .or_else(|| funds["funds"].as_array())
        .cloned()
        .unwrap_or_else(|| panic!("a list of funds: {funds}"));
    assert_eq!(funds.len(), 30, "the demo seeds 30 funds");
    let fund = funds[0]["id"].as_str().expect("a fund id").to_owned();
    let log_key = log["log_key"].as_str().unwrap();
    let operator = log["operator_key"].as_str().unwrap();

    let out = verify(&[
        "--url",
        server.base_url(),
        "--fund",
        &fund,
        "--log-key",
        log_key,
        "--operator-key",
        operator,
        "--json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["summary"]["fund"], fund.as_str());
    let entries = v["summary"]["entries"].as_u64().unwrap();
    assert!(entries >= 1000, "{v}");
    assert_eq!(v["summary"]["checkpoint"]["tree_size"], entries);
    assert!(v["summary"]["statements_checked"].as_u64().unwrap() > 10);

    // An unknown fund is unusable input, with the server's reason.
    let out = verify(&["--url", server.base_url(), "--fund", "no-such-fund"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("404"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
}

#[test]
fn since_a_saved_checkpoint_and_the_store_itself() {
    let server = Deployment::sqlite("verify_url_since");
    let trustee = Trustee::random("管理人甲");
    let fund = "verify-url-fund";
    let rt = runtime();
    let client = server.client();
    let append = |from: usize, to: usize| {
        rt.block_on(async {
            for i in from..to {
                let reply = client
                    .append(&trustee.donation(fund, &format!("d-{i}"), 100 + i as i64))
                    .await
                    .expect("append");
                assert!(reply.ack().is_some(), "{} {}", reply.status, reply.body);
            }
        })
    };
    rt.block_on(server.create_fund(fund, &[&trustee], (1, 1, 1)));
    append(0, 20);

    // The auditor saves the checkpoint of today.
    let saved = rt.block_on(async {
        let url = format!("{}/api/v1/funds/{fund}/checkpoint", server.base_url());
        reqwest::get(&url).await.unwrap().text().await.unwrap()
    });
    let cp = server.data_dir().join("saved-checkpoint.txt");
    std::fs::write(&cp, &saved).unwrap();
    append(20, 35);
    let log = rt.block_on(client.get_json("/api/v1/log")).unwrap();
    let log_key = log["log_key"].as_str().unwrap().to_owned();
    let origin = log["origin"].as_str().unwrap().to_owned();

    // Later: the log only grew since.
    let out = verify(&[
        "--url",
        server.base_url(),
        "--fund",
        fund,
        "--since",
        cp.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["summary"]["entries"], 36);
    assert_eq!(v["summary"]["since"]["tree_size"], 21);
    assert_eq!(v["summary"]["since"]["consistent"], true);

    // The same from the server's SQLite file, read-only, while the server runs.
    let db = format!("sqlite://{}", server.data_dir().join("ledger.db").display());
    let out = verify(&[
        "--db",
        &db,
        "--fund",
        fund,
        "--log-key",
        &log_key,
        "--origin",
        &origin,
        "--since",
        cp.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["summary"]["entries"], 36);
    assert_eq!(v["summary"]["since"]["consistent"], true);

    // A wrong origin: the store's checkpoints are not of that log.
    let out = verify(&[
        "--db",
        &db,
        "--fund",
        fund,
        "--log-key",
        &log_key,
        "--origin",
        "elsewhere.example",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let codes: Vec<String> = json(&out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes, ["checkpoint_origin_mismatch"]);
}

#[test]
fn a_postgres_store_verifies_with_db() {
    let rt = runtime();
    let Some(backend) = TestBackend::postgres("a_postgres_store_verifies_with_db", &rt) else {
        return;
    };
    let server = Deployment::on(backend);
    let db_url = server.config().database_url.clone().expect("on PostgreSQL");
    let trustee = Trustee::random("管理人甲");
    let fund = "verify-pg-fund";
    let client = server.client();
    rt.block_on(async {
        server.create_fund(fund, &[&trustee], (1, 1, 1)).await;
        for i in 0..10 {
            let reply = client
                .append(&trustee.donation(fund, &format!("d-{i}"), 100 + i))
                .await
                .expect("append");
            assert!(reply.ack().is_some(), "{} {}", reply.status, reply.body);
        }
    });
    let log = rt.block_on(client.get_json("/api/v1/log")).unwrap();
    let out = verify(&[
        "--db",
        &db_url,
        "--fund",
        fund,
        "--log-key",
        log["log_key"].as_str().unwrap(),
        "--origin",
        log["origin"].as_str().unwrap(),
        "--json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json(&out)["summary"]["entries"], 11);
    drop(server);
}
