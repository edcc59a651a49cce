//! A trustee's import of 10,000 rows under the server's *default* limits (50 requests/s
//! per token, bursts of 100) completes, every row recorded once (issue 20, D6). The client
//! meets thousands of `429 rate_limited` answers on the way and retries each after its
//! `Retry-After`; the rows' idempotency keys make a retried row impossible to record twice.
//!
//! A binary of its own: the rate limit, not the machine, makes it take about 200 s
//! ((10,000 − 100 burst) rows at 50 a second; measured 201 s on 2 cores under load, with
//! 137 retries), too long for `tests/e2e`.

use std::collections::BTreeSet;
use std::time::Instant;

use community_ledger::{run_client, runtime, write_key_file, Deployment, Trustee};
use serde_json::Value;

const FUND: &str = "import-limits";
const ROWS: usize = 10_000;

#[test]
fn ten_thousand_rows_import_under_the_default_limits_each_recorded_once() {
    let defaults = ledger_defaults();
    let server = Deployment::sqlite_with(
        "import_limits",
        &["--rate-limit", &defaults.0, "--rate-burst", &defaults.1],
    );
    let d = server.data_dir().to_path_buf();
    let trustee = Trustee::random("导入管理人");
    let key = d.join("trustee.key");
    write_key_file(&key, &trustee.key);
    let fund = runtime().block_on(server.create_fund(FUND, &[&trustee], (1, 1, 1)));

    let mut csv =
        String::from("date,amount,donor_class,donor_name,donor_phone,channel,receipt_no,memo\n");
    for i in 0..ROWS {
        csv.push_str(&format!(
            "2019-{:02}-{:02},{}.{:02},anonymous,,,cash,HIST-{i:05},\n",
            1 + i % 12,
            1 + i % 28,
            1 + i % 500,
            i % 100
        ));
    }
    let csv_path = d.join("history.csv");
    std::fs::write(&csv_path, csv).unwrap();

    let started = Instant::now();
    let run = run_client(
        &server,
        &[
            "--token",
            &fund.trustee_token,
            "--key",
            key.to_str().unwrap(),
            "import",
            "--fund",
            FUND,
            "--kind",
            "donation",
            csv_path.to_str().unwrap(),
        ],
    );
    let took = started.elapsed();
    println!(
        "imported {ROWS} rows in {:.1} s under --rate-limit {} --rate-burst {}",
        took.as_secs_f64(),
        defaults.0,
        defaults.1
    );
    let tail: String = run
        .stderr
        .lines()
        .rev()
        .take(3)
        .collect::<Vec<_>>()
        .join("\n");
    println!("client's last progress lines:\n{tail}");
    assert_eq!(
        run.code,
        0,
        "{}\n{}",
        &run.stdout[run.stdout.len().saturating_sub(2000)..],
        run.stderr
    );
    assert!(
        run.stdout.contains(&format!(
            "{ROWS} rows: {ROWS} recorded, 0 already recorded, 0 refused"
        )),
        "{}",
        &run.stdout[run.stdout.len().saturating_sub(2000)..]
    );
    assert!(run.stderr.contains("import: done"), "{}", run.stderr);
    assert!(
        run.stderr.contains("after the server's limits"),
        "the default limits were met: {tail}"
    );

    // Every row once.
    let export = run_client(&server, &["--no-progress", "export", "--fund", FUND]);
    assert_eq!(export.code, 0, "{}", export.stderr);
    assert!(export.stderr.is_empty(), "--no-progress: {}", export.stderr);
    let mut keys = BTreeSet::new();
    let mut receipts = BTreeSet::new();
    let mut donations = 0usize;
    for line in export.stdout.lines() {
        let v: Value = serde_json::from_str(line).expect("NDJSON");
        let i = &v["intent"];
        if i["kind"] == "donation" {
            donations += 1;
            assert!(keys.insert(i["key"].to_string()), "a key twice: {line}");
            assert!(
                receipts.insert(i["body"]["receipt_no"].to_string()),
                "a row twice: {line}"
            );
        }
    }
    assert_eq!(donations, ROWS);
    assert_eq!(receipts.len(), ROWS);
}

/// The server's default rate and burst, as its `--help` states them (so this test follows
/// the defaults if they change).
fn ledger_defaults() -> (String, String) {
    let out = std::process::Command::new(community_ledger::server_binary())
        .arg("--help")
        .output()
        .expect("ledger-server --help");
    let help = String::from_utf8_lossy(&out.stdout);
    let default_of = |flag: &str| -> String {
        let at = help
            .find(flag)
            .unwrap_or_else(|| panic!("{flag} in --help"));
        help[at..]
            .split("[default: ")
            .nth(1)
            .and_then(|r| r.split(']').next())
            .unwrap_or_else(|| panic!("a default for {flag}"))
            .to_owned()
    };
    (default_of("--rate-limit"), default_of("--rate-burst"))
}
