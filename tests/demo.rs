//! The demo, as a new user meets it: `ledger-server --demo` seeds 30 funds of the source's
//! magnitude, prints a trustee's token and key file, and that trustee can write.

use community_ledger::Server;
use ledger_core::money::Money;
use reqwest::Method;
use serde_json::Value;

fn yuan(v: &Value) -> f64 {
    let m: Money = v.as_str().expect("money").parse().expect("money");
    m.to_fen() as f64 / 100.0
}

#[test]
fn the_demo_has_thirty_funds_of_the_sources_magnitude_and_a_working_trustee() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start_demo(dir.path());
    let rt = community_ledger::runtime();
    rt.block_on(async {
        let public = server.client().public();
        let funds = public.get_json("/api/v1/funds").await.expect("funds");
        let funds = funds["funds"].as_array().expect("list");
        assert_eq!(funds.len(), 30, "thirty demo funds");
        let total: f64 = funds.iter().map(|f| yuan(&f["balance"])).sum();
        println!("demo: 30 funds holding {total:.2} yuan");
        assert!(
            (15_000_000.0..=19_000_000.0).contains(&total),
            "the funds hold {total:.2} yuan; the source says close to 17 million"
        );
        let names: Vec<&str> = funds.iter().filter_map(|f| f["name"].as_str()).collect();
        for named in ["犀浦街道社区发展基金", "先锋村社区基金"] {
            assert!(names.contains(&named), "{named} is among the funds");
        }

        // The street fund was founded by 20+ enterprises with over a million yuan.
        let mut donors = std::collections::HashMap::<String, i64>::new();
        let entries = public.entry_rows("xipu-street").await.expect("entries");
        for e in &entries {
            let body = &e["entry"]["intent"]["body"];
            if e["kind"] == "donation" && body["donor"]["class"] == "enterprise" {
                let fen = (yuan(&body["amount"]) * 100.0).round() as i64;
                *donors
                    .entry(body["donor"]["name"].as_str().expect("name").to_owned())
                    .or_default() += fen;
            }
        }
        let founding: i64 = donors.values().sum();
        assert!(donors.len() >= 20, "{} enterprise donors", donors.len());
        assert!(founding > 100_000_000, "enterprises gave {} fen", founding);

        // `ledger-server report` (figures from the store's columns) says what the rules'
        // statement draft for the same year says.
        let draft = public
            .get_json("/api/v1/funds/xipu-street/statements/draft?period=2025")
            .await
            .expect("draft");
        let out = std::process::Command::new(community_ledger::server_binary())
            .args(["--data-dir", &dir.path().display().to_string()])
            .args(["report", "--fund", "xipu-street", "--period", "2025"])
            .output()
            .expect("ledger-server report runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "report: {text} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let figure = |label: &str| -> String {
            let line = text
                .lines()
                .find(|l| l.starts_with(label))
                .unwrap_or_else(|| panic!("{label} in {text}"));
            line.split_whitespace().last().expect("amount").to_owned()
        };
        let body = &draft["body"];
        assert_eq!(
            figure("opening balance"),
            body["opening"].as_str().expect("opening"),
            "{text}"
        );
        assert_eq!(
            figure("closing balance"),
            body["closing"].as_str().expect("closing"),
            "{text}"
        );
        assert_eq!(
            figure("donation"),
            body["inflows"]["donation"].as_str().expect("donations"),
            "{text}"
        );
    });

    // The printed token and key file let a new user write as a trustee.
    let log = std::fs::read_to_string(dir.path().join("demo-trustee.token")).expect("token file");
    let token = log.trim().to_owned();
    let key_hex = std::fs::read_to_string(dir.path().join("demo-trustee.key")).expect("key file");
    let bytes: [u8; 32] = hex::decode(key_hex.trim())
        .expect("hex")
        .try_into()
        .expect("32 bytes");
    let trustee = community_ledger::Trustee {
        name: "演示受托人".into(),
        key: ed25519_dalek::SigningKey::from_bytes(&bytes),
    };
    rt.block_on(async {
        let public = server.client().public();
        let writer = public.with_token(&token);
        let r = writer
            .append(&trustee.donation("xipu-street", "demo-try-1", 5_000))
            .await
            .expect("answer");
        assert_eq!(r.status, 201, "{}", r.body);
        let resp = writer
            .request(Method::GET, "/api/v1/funds/xipu-street/vault")
            .send()
            .await
            .expect("answer");
        assert_eq!(
            resp.status().as_u16(),
            403,
            "a trustee does not read the vault"
        );
    });
}

/// DESIGN.md's demo must survive a user who stops its first start half-way: each fund is
/// seeded in transactions of 256 entries, and the next `--demo` start finishes a fund that
/// an interrupted one left part-way (it used to skip any fund that existed at all).
#[test]
fn an_interrupted_first_demo_start_is_completed_by_the_next() {
    use community_ledger::{server_binary, ServerConfig};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let rt = community_ledger::runtime();
    for attempt in 1..=5 {
        let dir = tempfile::tempdir().expect("temp dir");
        let seed_log = dir.path().join("seed.log");
        let mut child = Command::new(server_binary())
            .args(["--demo", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .env("RUST_LOG", "info,sqlx=warn,ledger_api::demo=debug")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&seed_log).expect("seed.log"))
            .spawn()
            .expect("starting ledger-server --demo");
        // Kill it as soon as a fund has committed its second batch (512 of 1,500 entries).
        let deadline = Instant::now() + Duration::from_secs(300);
        while !std::fs::read_to_string(&seed_log)
            .unwrap_or_default()
            .contains("size=512")
        {
            assert!(
                Instant::now() < deadline,
                "the demo seeding made no progress"
            );
            assert!(
                child.try_wait().expect("status").is_none(),
                "the server stopped while seeding: {}",
                std::fs::read_to_string(&seed_log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");

        // What the killed start left, as a plain start (no demo) serves it.
        let sizes = |server: &Server| -> Vec<(String, u64)> {
            let funds = rt
                .block_on(server.client().public().get_json("/api/v1/funds"))
                .expect("funds");
            funds["funds"]
                .as_array()
                .expect("list")
                .iter()
                .map(|f| {
                    (
                        f["id"].as_str().expect("id").to_owned(),
                        f["size"].as_u64().expect("size"),
                    )
                })
                .collect()
        };
        let plain = Server::start_with(&ServerConfig::sqlite(dir.path()));
        let left = sizes(&plain);
        drop(plain);
        let Some((partial, had)) = left.iter().find(|(_, n)| *n < 1_500).cloned() else {
            println!(
                "attempt {attempt}: the kill fell between funds ({} complete); again",
                left.len()
            );
            continue;
        };
        println!(
            "attempt {attempt}: killed with {} funds stored, {partial} at {had} of 1500 entries",
            left.len()
        );

        let demo = Server::start_demo(dir.path());
        let after = sizes(&demo);
        assert_eq!(after.len(), 30, "thirty demo funds: {after:?}");
        // A generated fund may run a line past its 1,500 (an action of two entries).
        assert!(
            after.iter().all(|(_, n)| (1_500..1_510).contains(n)),
            "every fund is complete: {after:?}"
        );
        let report = rt
            .block_on(demo.client().verify_export(&partial))
            .expect("export");
        assert!(report.is_clean(), "{partial}: {:?}", report.findings);
        return;
    }
    panic!("in 5 attempts no kill left a fund part-way");
}
