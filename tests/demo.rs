//! The demo, as a new user meets it: `ledger-server --demo` seeds 30 funds that tell the
//! source's story (DOMAIN.md) up to the day of its first start, marks every page as demo
//! data, prints a trustee's token and key file, and that trustee can write.

use community_ledger::Server;
use ledger_core::money::Money;
use reqwest::Method;
use serde_json::Value;

/// Fen of a money string.
fn fen(v: &Value) -> i64 {
    let m: Money = v.as_str().expect("money").parse().expect("money");
    m.to_fen()
}

/// Unix seconds of a `recorded_at`.
fn unix(v: &Value) -> i64 {
    ledger_core::time::Instant::parse(v.as_str().expect("time"))
        .expect("time")
        .unix_seconds()
}

/// Money in, net of reversals: donations, revenue shares and rentals, in fen.
fn raised(rows: &[Value]) -> i64 {
    let inflow = |kind: &Value| {
        ["donation", "revenue_share", "rental"].contains(&kind.as_str().unwrap_or(""))
    };
    let reversed = reversed(rows);
    rows.iter()
        .filter(|r| inflow(&r["kind"]) && !reversed.contains(&r["seq"].as_u64().expect("seq")))
        .map(|r| fen(&r["delta"]))
        .sum()
}

/// The seqs that a reversal cancels.
fn reversed(rows: &[Value]) -> std::collections::HashSet<u64> {
    rows.iter()
        .filter(|r| r["kind"] == "reversal")
        .map(|r| {
            r["entry"]["intent"]["body"]["reverses"]
                .as_u64()
                .expect("reverses")
        })
        .collect()
}

fn bodies<'a>(rows: &'a [Value], kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    rows.iter()
        .filter(move |r| r["kind"] == kind)
        .map(|r| &r["entry"]["intent"]["body"])
}

#[test]
fn the_demo_tells_the_sources_story_up_to_its_first_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let server = Server::start_demo(dir.path());
    let rt = community_ledger::runtime();
    rt.block_on(async {
        let public = server.client().public();
        let funds = public.get_json("/api/v1/funds").await.expect("funds");
        let funds = funds["funds"].as_array().expect("list");
        assert_eq!(funds.len(), 30, "thirty demo funds");
        let names: Vec<&str> = funds.iter().filter_map(|f| f["name"].as_str()).collect();
        for named in [
            "犀浦街道社区发展基金",
            "先锋村社区基金",
            "奎星楼社区基金",
            "合兴社区基金",
            "蜀都新邨社区基金",
        ] {
            assert!(names.contains(&named), "{named} is among the funds");
        }
        let mut all = std::collections::BTreeMap::new();
        for f in funds {
            let id = f["id"].as_str().expect("id").to_owned();
            let rows = public.entry_rows(&id).await.expect("entries");
            all.insert(id, rows);
        }

        // About 17 million yuan raised by the 30 funds over their histories.
        let total: i64 = all.values().map(|rows| raised(rows)).sum();
        println!("demo: the 30 funds raised {:.2} yuan", total as f64 / 100.0);
        assert!(
            (1_600_000_000..=1_800_000_000).contains(&total),
            "the funds raised {total} fen; the source says close to 17 million yuan"
        );

        // Every history reaches the day of the first start (and none goes past it).
        for (id, rows) in &all {
            let newest = unix(&rows.last().expect("entries")["recorded_at"]);
            assert!(newest <= started, "{id}: an entry after the first start");
            assert!(
                started - newest < 3 * 86_400,
                "{id}: the newest entry is {} hours before the first start",
                (started - newest) / 3_600
            );
        }

        // The street fund: founded by 20+ enterprises (the donations right after its
        // genesis) with a little over a million yuan.
        let street = &all["xipu-street"];
        let founders: Vec<&Value> = street[1..]
            .iter()
            .take_while(|r| {
                r["kind"] == "donation"
                    && r["entry"]["intent"]["body"]["donor"]["class"] == "enterprise"
            })
            .collect();
        let founding: i64 = founders.iter().map(|r| fen(&r["delta"])).sum();
        let distinct: std::collections::HashSet<&str> = founders
            .iter()
            .map(|r| {
                r["entry"]["intent"]["body"]["donor"]["name"]
                    .as_str()
                    .expect("name")
            })
            .collect();
        println!(
            "demo: {} founders gave {:.2} yuan",
            distinct.len(),
            founding as f64 / 100.0
        );
        assert!(
            distinct.len() >= 20,
            "{} founding enterprises",
            distinct.len()
        );
        assert_eq!(distinct.len(), founders.len(), "one donation per founder");
        assert!(
            (100_000_000..150_000_000).contains(&founding),
            "the founders gave {founding} fen"
        );

        // 童萌之家 with 合兴社区: 1,800 yuan a month plus 10% of the year's profit.
        let hexing = &all["hexing"];
        let a = bodies(hexing, "agreement")
            .find(|a| a["enterprise"]["name"] == "童萌之家")
            .expect("童萌之家's agreement at 合兴社区");
        assert_eq!(a["basis"], "profit", "{a}");
        assert_eq!(a["rate"], "0.1000", "{a}");
        assert_eq!(a["fixed_monthly"], "1800.00", "{a}");
        let id = a["agreement_id"].clone();
        let shares: Vec<&Value> = bodies(hexing, "revenue_share")
            .filter(|r| r["agreement_id"] == id)
            .collect();
        assert!(shares.len() >= 2, "a share for each year: {}", shares.len());
        for r in &shares {
            let to = r["period"]["to"].as_str().expect("to");
            assert!(to.ends_with("-12-31"), "a share for the year: {r}");
            assert!(fen(&r["amount"]) >= 180_000, "at least a month's fee: {r}");
        }
        // U咖啡 of 四川凯优雅致酒店管理有限公司 with 蜀都新邨社区: at least 50% of the year's share.
        let shudu = &all["shudu-xincun"];
        let a = bodies(shudu, "agreement")
            .find(|a| a["venture"] == "U咖啡")
            .expect("U咖啡's agreement at 蜀都新邨社区");
        assert_eq!(
            a["enterprise"]["name"], "四川凯优雅致酒店管理有限公司",
            "{a}"
        );
        let rate: f64 = a["rate"].as_str().expect("rate").parse().expect("rate");
        assert!(rate >= 0.5, "{a}");
        let id = a["agreement_id"].clone();
        assert!(
            bodies(shudu, "revenue_share").any(|r| r["agreement_id"] == id
                && r["period"]["to"]
                    .as_str()
                    .is_some_and(|t| t.ends_with("-12-31")))
        );
        // Neither agreement is anywhere else.
        for (fund, rows) in &all {
            for a in bodies(rows, "agreement") {
                let ours = a["enterprise"]["name"] == "童萌之家" || a["venture"] == "U咖啡";
                assert!(
                    !ours || fund == "hexing" || fund == "shudu-xincun",
                    "{fund}: {a}"
                );
            }
        }

        // 奎星楼社区's shared activity room: over 200,000 yuan in the last six months.
        let kxl = &all["kuixinglou"];
        let room = bodies(kxl, "space")
            .find(|s| s["kind"] == "activity_room")
            .expect("奎星楼社区's activity room");
        let newest = unix(&kxl.last().expect("entries")["recorded_at"]);
        let gone = reversed(kxl);
        let half_year: i64 = kxl
            .iter()
            .filter(|r| {
                r["kind"] == "rental"
                    && r["entry"]["intent"]["body"]["space_id"] == room["space_id"]
                    && !gone.contains(&r["seq"].as_u64().expect("seq"))
                    && newest - unix(&r["recorded_at"]) < 183 * 86_400
            })
            .map(|r| fen(&r["delta"]))
            .sum();
        println!(
            "demo: the activity room took {:.2} yuan in six months",
            half_year as f64 / 100.0
        );
        assert!(half_year > 20_000_000, "{half_year} fen in six months");

        // Residents give tens to hundreds of yuan.
        let mut gifts: Vec<i64> = all
            .values()
            .flat_map(|rows| bodies(rows, "donation"))
            .filter(|d| d["donor"]["class"] == "resident")
            .map(|d| fen(&d["amount"]))
            .collect();
        gifts.sort_unstable();
        let median = gifts[gifts.len() / 2];
        assert!(
            (1_000..100_000).contains(&median),
            "residents' median gift {median} fen"
        );

        // Each fund its own names: no placeholder, no two funds with the same trustees
        // or the same rooms.
        let mut trustees = std::collections::HashSet::new();
        for (fund, rows) in &all {
            for r in rows {
                let text = r["entry"]["intent"]["body"].to_string();
                for placeholder in ["示例", "管理人甲", "管理人乙", "管理人丙", "管理人丁"]
                {
                    assert!(
                        !text.contains(placeholder),
                        "{fund}: {placeholder} in {text}"
                    );
                }
            }
            let genesis = &rows[0]["entry"]["intent"]["body"];
            for t in genesis["trustees"].as_array().expect("trustees") {
                let name = t["name"].as_str().expect("name").to_owned();
                assert!(
                    trustees.insert(name.clone()),
                    "{fund}: {name} is a trustee elsewhere too"
                );
            }
            for s in bodies(rows, "space") {
                let name = s["name"].as_str().expect("name");
                assert!(
                    name.contains(genesis["community"].as_str().expect("community")),
                    "{fund}: {name}"
                );
            }
        }

        // Every residents' page says it shows demo data.
        for (path, words) in [
            ("/", "演示数据"),
            ("/funds/xipu-street", "演示数据"),
            ("/check", "演示数据"),
            ("/?lang=en", "Demo data"),
        ] {
            let html = public
                .request(Method::GET, path)
                .send()
                .await
                .expect("page")
                .text()
                .await
                .expect("html");
            assert!(
                html.contains("id=\"demo-banner\"") && html.contains(words),
                "{path}"
            );
        }

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

        // Restricted money (issue 17): the street fund holds a restricted gift to its
        // 阳光驿站, spent month by month; its drafts and statements are in two columns, and
        // its statement page shows them.
        assert_eq!(body["version"], 2, "{body}");
        let restricted = &body["restricted"];
        assert!(restricted["releases"].as_str().is_some(), "{body}");
        let rows = &all["xipu-street"];
        assert_eq!(bodies(rows, "restriction").count(), 1);
        let spent_months: std::collections::BTreeSet<String> = rows
            .iter()
            .filter(|r| {
                r["kind"] == "disbursement"
                    && r["entry"]["intent"]["body"]["restriction"] == "yangguang-yizhan"
            })
            .map(|r| r["recorded_at"].as_str().expect("time")[..7].to_owned())
            .collect();
        assert!(
            spent_months.len() >= 3,
            "spent over months: {spent_months:?}"
        );
        let last = rows
            .iter()
            .rev()
            .find(|r| r["kind"] == "statement")
            .expect("a statement");
        let html = public
            .request(
                Method::GET,
                &format!("/funds/xipu-street/statements/{}", last["seq"]),
            )
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html");
        for words in ["限定性净资产转为非限定性净资产", "非限定性", "合计"] {
            assert!(html.contains(words), "{words} on the statement page");
        }
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
        let home = rt
            .block_on(async {
                plain
                    .client()
                    .public()
                    .request(reqwest::Method::GET, "/")
                    .send()
                    .await?
                    .text()
                    .await
            })
            .expect("home page");
        assert!(
            !home.contains("demo-banner"),
            "a server without --demo does not say demo"
        );
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

        // The killed start kept its clock: the next one regenerates the same histories.
        let epoch_file = dir.path().join("demo-epoch");
        let epoch = std::fs::read_to_string(&epoch_file).expect("demo-epoch");
        let demo = Server::start_demo(dir.path());
        assert_eq!(
            std::fs::read_to_string(&epoch_file).expect("demo-epoch"),
            epoch,
            "the clock of the first start is kept"
        );
        let epoch: i64 = epoch.trim().parse().expect("seconds");
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
        // The part written by the second start continues the first one's history: it
        // ends within hours of the first start, not of the second.
        let rows = rt
            .block_on(demo.client().public().entry_rows(&partial))
            .expect("entries");
        let newest = ledger_core::time::Instant::parse(
            rows.last().expect("entries")["recorded_at"]
                .as_str()
                .expect("time"),
        )
        .expect("time")
        .unix_seconds();
        assert!(
            newest <= epoch && epoch - newest < 3 * 86_400,
            "{partial}: newest entry at {newest}, first start at {epoch}"
        );
        return;
    }
    panic!("in 5 attempts no kill left a fund part-way");
}
