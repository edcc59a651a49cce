//! `add-log`, `list-logs`, `remove-log`: exact origins, deployment prefixes, and a log added
//! while the witness serves.

use crate::support::{cli, cli_ok, data_of, new_witness, Served, TestLog};

#[test]
fn logs_are_configured_by_origin_or_prefix() {
    let dir = new_witness("witness.example/logs", None);
    let data = data_of(&dir);
    let d = data.to_str().expect("utf-8");
    let fund = TestLog::new(
        "ledger.example/hexing/roof-2026",
        "ledger.example/hexing",
        11,
        "l",
        3,
    );
    let not_a_fund = TestLog::new(
        "ledger.example/hexing/Roof",
        "ledger.example/hexing",
        11,
        "l",
        3,
    );
    let other = TestLog::new("log.example/other", "log.example/other", 12, "o", 3);
    let served = Served::start(&data);
    // Unknown until configured; a log added while serving is known at once.
    assert_eq!(served.add(fund.body(0, 3).as_bytes()).status, 404);
    cli_ok(
        &data,
        &[
            "add-log",
            "--origin-prefix",
            "ledger.example/hexing",
            "--vkey",
            &fund.vkey(),
        ],
    );
    assert_eq!(served.add(fund.body(0, 3).as_bytes()).status, 200);
    // The prefix covers `<prefix>/<fund id>` only.
    assert_eq!(served.add(not_a_fund.body(0, 3).as_bytes()).status, 404);
    // The prefix's key is not trusted for another origin, nor another key for the prefix.
    assert_eq!(served.add(other.body(0, 3).as_bytes()).status, 404);
    cli_ok(
        &data,
        &["add-log", "--origin", &other.origin, "--vkey", &fund.vkey()],
    );
    assert_eq!(served.add(other.body(0, 3).as_bytes()).status, 403);
    let listed = cli_ok(&data, &["list-logs"]);
    assert!(
        listed.contains(&format!("ledger.example/hexing/<fund id>\t{}", fund.vkey())),
        "{listed}"
    );
    assert!(
        listed.contains(&format!("log.example/other\t{}", fund.vkey())),
        "{listed}"
    );

    // Bad configuration is refused and writes nothing.
    for args in [
        vec![
            "add-log",
            "--origin",
            "log.example/x",
            "--vkey",
            "not a vkey",
            "--data",
            d,
        ],
        vec![
            "add-log",
            "--origin-prefix",
            "ledger.example/",
            "--vkey",
            &fund.vkey(),
            "--data",
            d,
        ],
        vec![
            "add-log",
            "--origin",
            "",
            "--vkey",
            &fund.vkey(),
            "--data",
            d,
        ],
        vec!["remove-log", "--origin", "log.example/never", "--data", d],
    ] {
        let out = cli(&args);
        assert!(!out.status.success(), "{args:?}");
    }
    assert_eq!(cli_ok(&data, &["list-logs"]), listed);

    // remove-log: after a restart the origin is unknown.
    cli_ok(
        &data,
        &["remove-log", "--origin-prefix", "ledger.example/hexing"],
    );
    served.kill();
    let served = Served::start(&data);
    assert_eq!(served.add(fund.body(3, 3).as_bytes()).status, 404);
}
