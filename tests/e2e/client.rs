//! The trustee's client (`ledger`, in audit-tools) against the real server: keys made by
//! `ledger keygen` are named in a fund's genesis; a resident's donation is submitted with
//! the identity beside the intent; a disbursement is proposed by one trustee and co-signed
//! by another; CSV imports are checked in a dry run (bad rows listed with row number and
//! reason, nothing written), then recorded, then not recorded again; exports verify; a
//! receipt checks offline and fails with one changed byte.

use std::path::Path;

use community_ledger::{run_client, runtime, ClientRun, Deployment, Trustee};
use ed25519_dalek::SigningKey;
use ledger_core::receipt::{parse_receipt, verify_receipt};
use ledger_core::verify::verify_export;

const FUND: &str = "client-fund";

fn read_key(path: &Path) -> SigningKey {
    let hex_seed = std::fs::read_to_string(path).expect("key file");
    let seed: [u8; 32] = hex::decode(hex_seed.trim())
        .expect("hex")
        .try_into()
        .expect("32 bytes");
    SigningKey::from_bytes(&seed)
}

#[track_caller]
fn ok(run: &ClientRun) -> &str {
    assert_eq!(run.code, 0, "ledger failed: {run:?}");
    &run.stdout
}

#[track_caller]
fn refused(run: &ClientRun, code: i32) -> String {
    assert_eq!(run.code, code, "expected exit {code}: {run:?}");
    format!("{}{}", run.stdout, run.stderr)
}

#[test]
fn the_trustees_client_writes_imports_exports_and_checks_receipts() {
    let server = Deployment::sqlite("client");
    let d = server.data_dir();
    let rt = runtime();
    let client = server.client();
    let size = || {
        rt.block_on(client.public().get_json(&format!("/api/v1/funds/{FUND}")))
            .expect("fund")["size"]
            .as_u64()
            .expect("size")
    };

    // keygen: owner-only, never overwrites.
    let (a_path, b_path) = (d.join("a.key"), d.join("b.key"));
    let a_pub = ok(&run_client(
        &server,
        &["keygen", "--out", a_path.to_str().unwrap()],
    ))
    .trim()
    .to_owned();
    ok(&run_client(
        &server,
        &["keygen", "--out", b_path.to_str().unwrap()],
    ));
    assert_eq!(a_pub.len(), 64, "{a_pub}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&a_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let before = std::fs::read(&a_path).unwrap();
    let out = refused(
        &run_client(&server, &["keygen", "--out", a_path.to_str().unwrap()]),
        2,
    );
    assert!(out.contains("refusing to overwrite"), "{out}");
    assert_eq!(
        std::fs::read(&a_path).unwrap(),
        before,
        "the key file is untouched"
    );
    let a = Trustee {
        name: "管理人甲".into(),
        key: read_key(&a_path),
    };
    let b = Trustee {
        name: "管理人乙".into(),
        key: read_key(&b_path),
    };
    assert_eq!(a.public_key().to_hex(), a_pub);

    // The fund, founded by the operator with the two keygen'd trustees: disbursements
    // need both of them.
    let token = rt
        .block_on(server.create_fund(FUND, &[&a, &b], (1, 2, 1)))
        .trustee_token;
    let token_file = d.join("trustee.token");
    std::fs::write(&token_file, format!("{token}\n")).unwrap();
    let (a_key, b_key, tok) = (
        a_path.to_str().unwrap(),
        b_path.to_str().unwrap(),
        token_file.to_str().unwrap(),
    );
    let with_a = |args: &[&str]| {
        let mut all = vec!["--key", a_key, "--token-file", tok];
        all.extend_from_slice(args);
        run_client(&server, &all)
    };

    // A resident's donation: only the commitment enters the chain; a retry records once.
    let donation = [
        "submit",
        "donation",
        "--fund",
        FUND,
        "--amount",
        "500.00",
        "--donor-class",
        "resident",
        "--donor-name",
        "张三",
        "--donor-phone",
        "13800001234",
        "--channel",
        "wechat_pay",
        "--receipt-no",
        "R-1",
    ];
    let out = ok(&with_a(&donation)).to_owned();
    assert!(out.contains("as entry 1"), "{out}");
    assert_eq!(size(), 2);
    let out = ok(&with_a(&donation)).to_owned();
    assert!(out.contains("already recorded as entry 1:"), "{out}");
    assert_eq!(size(), 2, "a retry of the same command records nothing");
    let entry = rt
        .block_on(
            client
                .public()
                .get_json(&format!("/api/v1/funds/{FUND}/entries/1")),
        )
        .expect("entry");
    let text = entry.to_string();
    assert!(
        !text.contains("张三") && !text.contains("13800001234"),
        "{text}"
    );
    assert!(entry["entry"]["intent"]["body"]["donor"]["commitment"].is_string());
    let auditor = server.auditor_token();
    let receipt = rt
        .block_on(client.public().with_token(&auditor).get_json(&format!(
            "/api/v1/funds/{FUND}/entries/1/receipt?donor=true"
        )))
        .expect("donor receipt");
    let r = parse_receipt(receipt.to_string().as_bytes()).expect("receipt");
    assert!(
        verify_receipt(&r).expect("valid").donor_confirmed,
        "the vault holds the identity"
    );

    // Bad flags are unusable input (2); a rule's refusal is 1, with the code and both texts.
    let out = refused(
        &with_a(&[
            "submit",
            "donation",
            "--fund",
            FUND,
            "--amount",
            "1.005",
            "--donor-class",
            "anonymous",
            "--channel",
            "cash",
            "--receipt-no",
            "R-x",
        ]),
        2,
    );
    assert!(out.contains("1.005"), "{out}");
    let disbursement = [
        "--fund",
        FUND,
        "--amount",
        "200.00",
        "--payee-name",
        "社区老年食堂",
        "--payee-class",
        "organisation",
        "--purpose",
        "助餐补贴",
        "--project",
        "长者助餐",
        "--invoice-no",
        "INV-1",
    ];
    let mut direct = vec!["submit", "disbursement"];
    direct.extend_from_slice(&disbursement);
    let out = refused(&with_a(&direct), 1);
    assert!(out.contains("quorum_not_met"), "{out}");
    assert_eq!(size(), 2);

    // Propose with A, list, co-sign with B: appended.
    let mut propose = vec!["propose", "disbursement"];
    propose.extend_from_slice(&disbursement);
    let out = ok(&with_a(&propose)).to_owned();
    let id = out
        .split_whitespace()
        .nth(1)
        .expect("proposal id")
        .to_owned();
    assert!(out.starts_with("proposal "), "{out}");
    let out = ok(&with_a(&["proposals", "--fund", FUND])).to_owned();
    assert!(out.contains(&id) && out.contains("disbursement"), "{out}");
    let out = ok(&run_client(
        &server,
        &[
            "--key",
            b_key,
            "--token-file",
            tok,
            "sign",
            "--fund",
            FUND,
            &id,
        ],
    ))
    .to_owned();
    assert!(
        out.contains("quorum met") && out.contains("助餐补贴"),
        "{out}"
    );
    assert_eq!(size(), 3);

    // A space (governance quorum 1) to rent.
    ok(&with_a(&[
        "submit",
        "space",
        "--fund",
        FUND,
        "--space-id",
        "room-1",
        "--name",
        "共享会议室",
        "--space-kind",
        "meeting_room",
        "--hourly-rate",
        "100.00",
        "--community-hours",
        "sat 09:00-12:00",
    ]));
    assert_eq!(size(), 4);

    // CSV import: the dry run lists every bad row with its number and reason, writes nothing.
    let good_rows = "date,amount,donor_class,donor_name,donor_phone,channel,receipt_no,memo\n\
        2019-03-05,100.00,enterprise,成都某某科技有限公司,,bank_transfer,H-1,\n\
        2019-03-08,20.00,resident,李四,13900002222,cash,H-4,\"memo, with a comma\"\n";
    let bad_csv = format!(
        "{good_rows}2019-03-06,12.345,anonymous,,,cash,H-2,\n\
         2019-03-07,50.00,martian,,,cash,H-3,\n\
         2019-02-30,20.00,anonymous,,,cash,H-5,\n\
         2019-03-09,abc,anonymous,,,cash,H-6,\n\
         2019-03-10,5.00,anonymous,,,cash\n"
    );
    let (bad_path, good_path) = (d.join("bad.csv"), d.join("good.csv"));
    std::fs::write(&bad_path, bad_csv).unwrap();
    std::fs::write(&good_path, good_rows).unwrap();
    let import = |path: &Path, extra: &[&str]| {
        let mut args = vec!["import", "--fund", FUND, "--kind", "donation"];
        args.extend_from_slice(extra);
        args.push(path.to_str().unwrap());
        with_a(&args)
    };
    let out = refused(&import(&bad_path, &["--dry-run"]), 1);
    for (row, why) in [
        ("row 4:", "12.345"),
        ("row 5:", "martian"),
        ("row 6:", "2019-02-30"),
        ("row 7:", "abc"),
        ("row 8:", "fields"),
    ] {
        let line = out
            .lines()
            .find(|l| l.starts_with(row))
            .unwrap_or_else(|| panic!("{row} listed: {out}"));
        assert!(line.contains(why), "{line}");
    }
    assert!(!out.contains("row 2:") && !out.contains("row 3:"), "{out}");
    assert!(
        out.contains("2 to record") && out.contains("5 refused"),
        "{out}"
    );
    assert_eq!(size(), 4, "a dry run writes nothing");
    let out = refused(&import(&bad_path, &[]), 1);
    assert!(out.contains("nothing written"), "{out}");
    assert_eq!(size(), 4, "a run with bad rows writes nothing");
    let out = ok(&import(&good_path, &["--dry-run"])).to_owned();
    assert!(out.contains("2 to record"), "{out}");
    let out = ok(&import(&good_path, &[])).to_owned();
    assert!(out.contains("2 recorded"), "{out}");
    assert_eq!(size(), 6);
    let out = ok(&import(&good_path, &[])).to_owned();
    assert!(out.contains("0 recorded, 2 already recorded"), "{out}");
    assert_eq!(size(), 6, "a re-run records nothing new");

    // Rentals: the dry run applies the rows in order, so an overlap with an earlier row
    // is found before anything is sent. Disbursements: co-signed on one machine.
    let rentals = "space_id,renter_name,renter_class,start,end,amount\n\
        room-1,沐言咖啡,enterprise,2026-11-02T06:00:00Z,2026-11-02T08:00:00Z,200.00\n";
    let overlap = format!(
        "{rentals}room-1,明德慈佑,organisation,2026-11-02T07:00:00Z,2026-11-02T09:00:00Z,200.00\n"
    );
    std::fs::write(d.join("rentals.csv"), rentals).unwrap();
    std::fs::write(d.join("overlap.csv"), overlap).unwrap();
    let out = refused(
        &with_a(&[
            "import",
            "--fund",
            FUND,
            "--kind",
            "rental",
            "--dry-run",
            d.join("overlap.csv").to_str().unwrap(),
        ]),
        1,
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("row 3:") && l.contains("rental_overlap")),
        "{out}"
    );
    ok(&with_a(&[
        "import",
        "--fund",
        FUND,
        "--kind",
        "rental",
        d.join("rentals.csv").to_str().unwrap(),
    ]));
    std::fs::write(
        d.join("paid.csv"),
        "date,amount,payee_name,payee_class,purpose,project,invoice_no\n\
         2019-04-01,30.00,社区志愿者协会,organisation,活动物资,邻里节,INV-H1\n",
    )
    .unwrap();
    let out = refused(
        &with_a(&[
            "import",
            "--fund",
            FUND,
            "--kind",
            "disbursement",
            "--dry-run",
            d.join("paid.csv").to_str().unwrap(),
        ]),
        1,
    );
    assert!(out.contains("quorum_not_met"), "{out}");
    ok(&with_a(&[
        "import",
        "--fund",
        FUND,
        "--kind",
        "disbursement",
        "--cosign-key",
        b_key,
        d.join("paid.csv").to_str().unwrap(),
    ]));
    assert_eq!(size(), 8);

    // An agreement with a social enterprise and a revenue share imported under it
    // (10% of 10000.00 plus the 1800.00 monthly fee); the rental reversed.
    let first17 = "91510124MA6C12345";
    let uscc = format!(
        "{first17}{}",
        ledger_core::ids::uscc_check_char(first17).expect("check character")
    );
    ok(&with_a(&[
        "submit",
        "agreement",
        "--fund",
        FUND,
        "--agreement-id",
        "A-1",
        "--enterprise",
        "示例童萌早教中心",
        "--uscc",
        &uscc,
        "--basis",
        "profit",
        "--rate",
        "0.1000",
        "--fixed-monthly",
        "1800.00",
        "--start",
        "2026-01-01",
        "--venture",
        "童萌之家",
    ]));
    std::fs::write(
        d.join("shares.csv"),
        "agreement_id,from,to,base,amount\nA-1,2026-01-01,2026-01-31,10000.00,2800.00\n",
    )
    .unwrap();
    ok(&with_a(&[
        "import",
        "--fund",
        FUND,
        "--kind",
        "revenue_share",
        d.join("shares.csv").to_str().unwrap(),
    ]));
    let out = ok(&with_a(&[
        "submit",
        "reversal",
        "--fund",
        FUND,
        "--reverses",
        "6",
        "--reason",
        "租用取消，退款",
    ]))
    .to_owned();
    assert!(out.contains("balance 3190.00"), "{out}");
    assert_eq!(size(), 11);

    // A statement that the log cannot give is refused with the server's code (exit 1).
    let out = refused(
        &with_a(&["submit", "statement", "--fund", FUND, "--period", "2020-01"]),
        1,
    );
    assert!(out.contains("refused (HTTP 4"), "{out}");

    // Exports: NDJSON as the server gives it verifies; CSV has every entry and the balance.
    let expect = rt.block_on(client.expectations()).expect("keys");
    let ndjson = d.join("fund.ndjson");
    ok(&run_client(
        &server,
        &["export", "--fund", FUND, "--out", ndjson.to_str().unwrap()],
    ));
    let report = verify_export(&std::fs::read(&ndjson).unwrap(), expect.clone());
    assert!(report.is_clean(), "{:?}", report.findings);
    assert_eq!(report.entries, 11);
    let fund = rt
        .block_on(client.public().get_json(&format!("/api/v1/funds/{FUND}")))
        .expect("fund");
    assert_eq!(fund["balance"], "3190.00");
    let csv = ok(&run_client(
        &server,
        &["export", "--fund", FUND, "--format", "csv"],
    ))
    .to_owned();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "seq,recorded_at,kind,delta,balance,description");
    assert_eq!(lines.len(), 12, "{csv}");
    assert!(
        lines[11].starts_with("10,") && lines[11].contains(",reversal,-200.00,3190.00,"),
        "{csv}"
    );
    let journal = ok(&run_client(
        &server,
        &["export", "--fund", FUND, "--format", "journal"],
    ))
    .to_owned();
    assert!(
        journal.contains(&format!("assets:fund:{FUND}  500.00 CNY = 500.00 CNY")),
        "{journal}"
    );
    assert!(
        journal.contains("expenses:disbursement  200.00 CNY"),
        "{journal}"
    );
    // The reversal is the negation of the rental's postings.
    assert!(
        journal.contains(&format!(
            "assets:fund:{FUND}  -200.00 CNY = 3190.00 CNY\n    income:rental  200.00 CNY"
        )),
        "{journal}"
    );
    // When hledger is at hand it reads the journal (checking every balance assertion)
    // and finds the ledger's balance; tests/hledger.rs does this on the demo funds.
    let journal_path = d.join("fund.journal");
    std::fs::write(&journal_path, &journal).unwrap();
    if let Ok(out) = std::process::Command::new("hledger")
        .arg("-f")
        .arg(&journal_path)
        .args(["bal", "assets", "-O", "csv"])
        .output()
    {
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains(&format!("\"assets:fund:{FUND}\",\"3190.00 CNY\"")),
            "{text}"
        );
    }

    // A receipt checks offline; one changed byte, a wrong log key, fail (1); no file is 2.
    let published = rt
        .block_on(client.public().get_json("/.well-known/community-ledger"))
        .expect("published keys");
    let log_key = published["log_key"].as_str().expect("log key");
    let receipt_url = format!("/api/v1/funds/{FUND}/entries/1/receipt");
    let bytes = rt
        .block_on(async {
            let resp = client
                .public()
                .request(reqwest::Method::GET, &receipt_url)
                .send()
                .await?;
            resp.bytes().await
        })
        .expect("receipt")
        .to_vec();
    let receipt_path = d.join("receipt.json");
    std::fs::write(&receipt_path, &bytes).unwrap();
    let rp = receipt_path.to_str().unwrap();
    let out = ok(&run_client(
        &server,
        &["receipt", "verify", rp, "--log-key", log_key],
    ))
    .to_owned();
    assert!(out.contains("VALID") && out.contains("500.00"), "{out}");
    let text = String::from_utf8(bytes.clone()).unwrap();
    let at = text.find("500.00").expect("the amount in the receipt");
    let mut tampered = bytes.clone();
    tampered[at] = b'6';
    std::fs::write(&receipt_path, &tampered).unwrap();
    let out = refused(
        &run_client(&server, &["receipt", "verify", rp, "--log-key", log_key]),
        1,
    );
    assert!(out.contains("INVALID"), "{out}");
    std::fs::write(&receipt_path, &bytes).unwrap();
    let other = "other+01020304+AQID";
    let out = refused(
        &run_client(&server, &["receipt", "verify", rp, "--log-key", other]),
        1,
    );
    assert!(out.contains("log_key_mismatch"), "{out}");
    refused(
        &run_client(
            &server,
            &[
                "receipt",
                "verify",
                d.join("missing.json").to_str().unwrap(),
            ],
        ),
        2,
    );
}
