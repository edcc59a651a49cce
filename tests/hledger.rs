//! A real accounting tool agrees with the ledger: demo funds exported by
//! `ledger export --format journal` and read by `hledger` give the ledger's balance for
//! each fund and, per kind, the sums of the ledger's own deltas (a reversal counted with
//! the kind it reverses). hledger also checks the journal's balance assertions: the
//! ledger's balance after every monetary entry.
//!
//! Skips (prints SKIP) when `hledger` is not installed, unless `LEDGER_REQUIRE_HLEDGER=1`.

use std::collections::BTreeMap;
use std::process::Command;

use community_ledger::{run_client, Server};
use ledger_core::money::Money;
use serde_json::Value;

fn hledger_available() -> bool {
    Command::new("hledger")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn fen(s: &str) -> i64 {
    s.parse::<Money>()
        .unwrap_or_else(|e| panic!("{s:?}: {e}"))
        .to_fen()
}

/// `hledger -f FILE bal [accounts] -O csv` as account → fen (accounts hledger omits are 0).
fn hledger_balances(file: &std::path::Path, accounts: &[&str]) -> BTreeMap<String, i64> {
    let out = Command::new("hledger")
        .arg("-f")
        .arg(file)
        .arg("bal")
        .args(accounts)
        .args(["-O", "csv"])
        .output()
        .expect("running hledger");
    assert!(
        out.status.success(),
        "hledger refused the journal: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let mut map = BTreeMap::new();
    for line in text.lines().skip(1) {
        let cells: Vec<String> = line
            .split(',')
            .map(|c| c.trim_matches('"').to_owned())
            .collect();
        assert_eq!(cells.len(), 2, "{line}");
        if cells[0] == "total" {
            continue;
        }
        let amount = cells[1].trim_end_matches(" CNY");
        map.insert(
            cells[0].clone(),
            if amount == "0" { 0 } else { fen(amount) },
        );
    }
    map
}

#[test]
fn hledger_reads_the_journal_export_with_the_ledgers_balances() {
    if !hledger_available() {
        assert!(
            std::env::var("LEDGER_REQUIRE_HLEDGER").as_deref() != Ok("1"),
            "hledger is required (LEDGER_REQUIRE_HLEDGER=1) but not installed"
        );
        println!("SKIP: hledger is not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start_demo(dir.path());
    let rt = community_ledger::runtime();
    let public = server.client().public();
    let funds = rt
        .block_on(public.get_json("/api/v1/funds"))
        .expect("funds");
    let mut ids: Vec<String> = funds["funds"]
        .as_array()
        .expect("funds")
        .iter()
        .filter_map(|f| f["id"].as_str().map(str::to_owned))
        .filter(|id| id != "xipu-street")
        .take(3)
        .collect();
    ids.insert(0, "xipu-street".into());

    for fund in &ids {
        let journal = dir.path().join(format!("{fund}.journal"));
        let run = run_client(
            &server,
            &[
                "export",
                "--fund",
                fund,
                "--format",
                "journal",
                "--out",
                journal.to_str().unwrap(),
            ],
        );
        assert_eq!(run.code, 0, "{run:?}");
        if fund == "xipu-street" {
            // An export saved earlier converts offline to the same journal; one of another
            // fund is refused.
            let saved = dir.path().join("saved.ndjson");
            let offline = dir.path().join("offline.journal");
            let run = run_client(
                &server,
                &["export", "--fund", fund, "--out", saved.to_str().unwrap()],
            );
            assert_eq!(run.code, 0, "{run:?}");
            let args = |f: &str| {
                [
                    "export",
                    "--fund",
                    f,
                    "--format",
                    "journal",
                    "--input",
                    saved.to_str().unwrap(),
                    "--out",
                    offline.to_str().unwrap(),
                ]
                .map(str::to_owned)
            };
            let run = run_client(&server, &args(fund).each_ref().map(String::as_str));
            assert_eq!(run.code, 0, "{run:?}");
            assert_eq!(
                std::fs::read(&offline).unwrap(),
                std::fs::read(&journal).unwrap(),
                "journal from the saved export"
            );
            let run = run_client(&server, &args(&ids[1]).each_ref().map(String::as_str));
            assert_ne!(run.code, 0, "{run:?}");
            assert!(format!("{run:?}").contains("not "), "{run:?}");
        }

        // The ledger's own figures: balance, and deltas summed by kind.
        let info = rt
            .block_on(public.get_json(&format!("/api/v1/funds/{fund}")))
            .expect("fund");
        let balance = fen(info["balance"].as_str().expect("balance"));
        let mut kinds: BTreeMap<u64, String> = BTreeMap::new();
        let mut by_kind: BTreeMap<String, i64> = BTreeMap::new();
        let mut monetary = 0;
        let rows = rt.block_on(public.entry_rows(fund)).expect("entries");
        for e in &rows {
            let seq = e["seq"].as_u64().expect("seq");
            let kind = e["kind"].as_str().expect("kind").to_owned();
            let delta = fen(e["delta"].as_str().expect("delta"));
            kinds.insert(seq, kind.clone());
            let booked = if kind == "reversal" {
                let target = e["entry"]["intent"]["body"]["reverses"]
                    .as_u64()
                    .expect("reverses");
                kinds[&target].clone()
            } else {
                kind
            };
            *by_kind.entry(booked).or_default() += delta;
            if delta != 0 {
                monetary += 1;
            }
        }
        assert!(monetary > 10, "{fund} has {monetary} monetary entries");

        let all = hledger_balances(&journal, &[]);
        let asset = format!("assets:fund:{fund}");
        assert_eq!(
            all.get(&asset).copied().unwrap_or(0),
            balance,
            "{fund}: hledger's balance of {asset} is the ledger's"
        );
        let flows = hledger_balances(&journal, &["income", "expenses"]);
        for (kind, account) in [
            ("donation", "income:donation"),
            ("revenue_share", "income:revenue_share"),
            ("rental", "income:rental"),
            ("disbursement", "expenses:disbursement"),
        ] {
            let ledger = by_kind.get(kind).copied().unwrap_or(0);
            let hledger = flows.get(account).copied().unwrap_or(0);
            assert_eq!(
                hledger, -ledger,
                "{fund}: {account} in hledger is minus the ledger's {kind} deltas"
            );
        }

        // The ledger's statements: hledger's balance at the end of each statement's
        // period (every statement of the street fund; the last three of the others) is
        // the statement's closing figure.
        let statements = rt
            .block_on(public.get_json(&format!("/api/v1/funds/{fund}/statements")))
            .expect("statements");
        let statements = statements["statements"]
            .as_array()
            .expect("statements")
            .clone();
        assert!(statements.len() > 12, "{fund}: monthly statements");
        let checked: Vec<&Value> = if fund == "xipu-street" {
            statements.iter().collect()
        } else {
            statements.iter().rev().take(3).collect()
        };
        for st in &checked {
            let body = &st["statement"];
            let to = ledger_core::time::Date::parse(body["period"]["to"].as_str().expect("to"))
                .expect("date");
            let end = to.succ().expect("a next day").to_string();
            let at_end = hledger_balances(&journal, &[&asset, "-e", &end]);
            assert_eq!(
                at_end.get(&asset).copied().unwrap_or(0),
                fen(body["closing"].as_str().expect("closing")),
                "{fund}: hledger's balance on {to} is the closing of statement {}",
                st["seq"]
            );
        }
        // The statutory report: hledger's net-asset accounts at the year's end are its
        // lines 101 and 105 (credits: negative), and the year's releases move them as
        // line 40 says.
        let year = community_ledger::now()
            .local_date(ledger_core::time::UtcOffset::CHINA)
            .year();
        let report = rt
            .block_on(public.get_json(&format!(
                "/api/v1/funds/{fund}/reports/statutory?period={year}"
            )))
            .expect("statutory report");
        let net_line = |n: u64, at: &str| {
            let l = report["net_assets"]
                .as_array()
                .expect("net assets")
                .iter()
                .find(|l| l["line"] == n)
                .expect("line");
            fen(l[at].as_str().expect("money"))
        };
        let end = format!("{}-01-01", year + 1);
        let start = format!("{year}-01-01");
        let at_end = hledger_balances(&journal, &["net-assets", "-e", &end]);
        let at_start = hledger_balances(&journal, &["net-assets", "-e", &start]);
        for (account, line) in [
            ("net-assets:unrestricted", 101),
            ("net-assets:restricted", 105),
        ] {
            assert_eq!(
                -at_end.get(account).copied().unwrap_or(0),
                net_line(line, "closing"),
                "{fund}: hledger's {account} at {year}'s end is the report's line {line}"
            );
            assert_eq!(
                -at_start.get(account).copied().unwrap_or(0),
                net_line(line, "opening"),
                "{fund}: hledger's {account} at {year}'s start is the report's line {line}"
            );
        }
        println!(
            "{fund}: hledger agrees: balance {} fen over {monetary} monetary entries, {} statement closings; {flows:?}",
            balance,
            checked.len()
        );
    }
}
