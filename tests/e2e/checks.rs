//! The trustees' dry runs on the real server: `POST …/intents/check` applies unsigned
//! intents in order to a copy of the fund's state with the core's rules (every refusal an
//! append gives, but the signatures'; the figures the core computes), and
//! `POST …/import/check` does the same for a CSV file read with the CLI's own import —
//! byte for byte the intents the CLI records. Neither writes anything; bad input is a
//! clear problem. `GET …/workspace` is what the forms read.

use community_ledger::{
    each_backend, genesis_intent, now, run_client, sign_value, single_trustee_policy, Client,
    Deployment, Trustee,
};
use ledger_core::entry::Entry;
use ledger_core::money::{hourly_price, share_of, Amount, Base, Money, Rate};
use ledger_core::sample::sample_uscc;
use reqwest::Method;
use serde_json::{json, Value};

const FUND: &str = "checks-fund";

fn intent(key: &str, kind: &str, body: Value) -> Value {
    json!({"fund": FUND, "kind": kind, "key": key, "signed_at": now().to_string(), "body": body})
}

fn agreement(id: &str, rate: &str, start: &str, end: &str) -> Value {
    json!({
        "agreement_id": id,
        "enterprise": {"name": "童萌之家早教中心", "uscc": sample_uscc(5, 1).unwrap().to_string()},
        "basis": "profit", "rate": rate, "fixed_monthly": "1800.00",
        "start": start, "end": end, "venture": "童萌之家"
    })
}

fn share(id: &str, from: &str, to: &str, base: &str, amount: &str) -> Value {
    json!({"agreement_id": id, "period": {"from": from, "to": to}, "base": base, "amount": amount})
}

fn space(id: &str) -> Value {
    json!({
        "space_id": id, "name": "共享活动室", "kind": "activity_room", "hourly_rate": "80.00",
        "community_hours": [{"day": "sat", "from": "09:00", "to": "12:00"}]
    })
}

fn rental(space: &str, start: &str, end: &str, amount: &str) -> Value {
    json!({
        "space_id": space, "renter": {"name": "舞蹈工作室", "class": "organisation"},
        "start": start, "end": end, "amount": amount
    })
}

fn donation(amount: &str, donor: Value) -> Value {
    json!({"amount": amount, "donor": donor, "channel": "cash", "receipt_no": "R-1"})
}

fn disbursement(amount: &str) -> Value {
    json!({
        "amount": amount, "payee": {"name": "社区老年食堂", "class": "organisation"},
        "purpose": "助餐补贴", "project": "长者助餐", "invoice_no": "INV-1"
    })
}

fn reversal(seq: u64) -> Value {
    json!({"reverses": seq, "reason": "录入错误"})
}

/// The fund's size and head: what "nothing written" compares.
async fn head(c: &Client) -> (u64, Value) {
    let f = c
        .get_json(&format!("/api/v1/funds/{FUND}"))
        .await
        .expect("fund");
    (f["size"].as_u64().expect("size"), f["head"].clone())
}

async fn check(c: &Client, intents: &[Value]) -> (u16, Value) {
    c.send_json(
        Method::POST,
        &format!("/api/v1/funds/{FUND}/intents/check"),
        Some(&json!({ "intents": intents })),
    )
    .await
}

fn money(s: &str) -> Money {
    Money::parse(s).unwrap()
}

/// A fund with a donation, an agreement with January paid, a space with one booking and a
/// reversed donation (seq 7 reverses seq 6); balance 2960.00. Returns the trustees and
/// a trustee token.
async fn fund_with_history(d: &Deployment) -> ([Trustee; 3], String) {
    let ts = [
        Trustee::random("管理人甲"),
        Trustee::random("管理人乙"),
        Trustee::random("管理人丙"),
    ];
    let token = d
        .create_fund(FUND, &[&ts[0], &ts[1], &ts[2]], (2, 2, 2))
        .await
        .trustee_token;
    let c = d.client().public().with_token(&token);
    let anon = json!({"class": "anonymous"});
    let steps: Vec<(Value, usize)> = vec![
        (
            intent("d-1", "donation", donation("1000.00", anon.clone())),
            1,
        ),
        (
            intent(
                "ag-1",
                "agreement",
                agreement("tm", "0.1000", "2026-01-01", "2026-06-30"),
            ),
            2,
        ),
        (
            intent(
                "rs-1",
                "revenue_share",
                share("tm", "2026-01-01", "2026-01-31", "0.00", "1800.00"),
            ),
            1,
        ),
        (intent("sp-1", "space", space("room")), 2),
        (
            intent(
                "rt-1",
                "rental",
                rental(
                    "room",
                    "2026-01-06T06:00:00Z",
                    "2026-01-06T08:00:00Z",
                    "160.00",
                ),
            ),
            1,
        ),
        (intent("d-2", "donation", donation("10.00", anon)), 1),
        (intent("rv-1", "reversal", reversal(6)), 1),
    ];
    for (i, (v, signers)) in steps.into_iter().enumerate() {
        let keys: Vec<_> = ts[..signers].iter().map(|t| &t.key).collect();
        let r = c.append(&sign_value(&v, &keys)).await.expect("append");
        assert_eq!(r.status, 201, "step {i}: {}", r.body);
    }
    (ts, token)
}

#[test]
fn intent_checks_give_every_refusal_and_the_cores_figures_and_write_nothing() {
    each_backend("checks-intents", async |d| {
        let (ts, token) = fund_with_history(d).await;
        let c = d.client().public().with_token(&token);
        let before = head(&c).await;
        assert_eq!(before.0, 8);

        // The current month's draft: recording it now is too early; moved a month before
        // the fund, it covers months the fund did not exist in.
        let today = now().to_string();
        let month = &today[..7];
        let draft = c
            .get_json(&format!(
                "/api/v1/funds/{FUND}/statements/draft?period={month}"
            ))
            .await
            .expect("draft")["body"]
            .clone();
        let mut before_fund = draft.clone();
        before_fund["period"] = json!({"from": "2025-01-01", "to": "2025-01-31"});
        let mut other_fund = intent(
            "x-0",
            "donation",
            donation("1.00", json!({"class": "anonymous"})),
        );
        other_fund["fund"] = json!("another-fund");
        let mut future = intent(
            "x-1",
            "donation",
            donation("1.00", json!({"class": "anonymous"})),
        );
        future["signed_at"] = json!(now().checked_add_seconds(3_600).unwrap().to_string());
        let mut genesis = genesis_intent(FUND, &[&ts[0]], single_trustee_policy()).to_value();
        genesis["key"] = json!("g-2");
        let a_key = ts[0].public_key().to_hex();
        let b_key = ts[1].public_key().to_hex();
        let mut bad_policy = single_trustee_policy();
        bad_policy.share_rate_min = Rate::parse("0.6000").unwrap();
        let commitment = "ab".repeat(32);

        let cases: Vec<(&str, Value)> = vec![
            ("fund_mismatch", other_fund),
            ("signed_in_future", future),
            (
                "idempotency_key_reused",
                intent(
                    "d-1",
                    "donation",
                    donation("2.00", json!({"class": "anonymous"})),
                ),
            ),
            ("genesis_not_first", genesis),
            (
                "trustee_exists",
                intent(
                    "x-2",
                    "trustees",
                    json!({"add": [{"key": a_key, "name": "甲"}], "remove": []}),
                ),
            ),
            (
                "trustee_unknown",
                intent(
                    "x-3",
                    "trustees",
                    json!({"add": [], "remove": [Trustee::random("x").public_key().to_hex()]}),
                ),
            ),
            (
                "trustee_change_empty",
                intent("x-4", "trustees", json!({"add": [], "remove": []})),
            ),
            (
                "quorum_unreachable",
                intent(
                    "x-5",
                    "trustees",
                    json!({"add": [], "remove": [a_key, b_key]}),
                ),
            ),
            (
                "policy_invalid",
                intent(
                    "x-6",
                    "trustees",
                    json!({"add": [], "remove": [], "policy": bad_policy}),
                ),
            ),
            (
                "donor_commitment_missing",
                intent(
                    "x-7",
                    "donation",
                    donation("1.00", json!({"class": "resident"})),
                ),
            ),
            (
                "resident_named_without_consent",
                intent(
                    "x-8",
                    "donation",
                    donation(
                        "1.00",
                        json!({"class": "resident", "name": "张三", "commitment": commitment}),
                    ),
                ),
            ),
            (
                "donor_name_missing",
                intent(
                    "x-9",
                    "donation",
                    donation("1.00", json!({"class": "enterprise"})),
                ),
            ),
            (
                "anonymous_donor_named",
                intent(
                    "x-10",
                    "donation",
                    donation("1.00", json!({"class": "anonymous", "name": "某人"})),
                ),
            ),
            (
                "rate_out_of_policy",
                intent(
                    "x-11",
                    "agreement",
                    agreement("tm2", "0.9000", "2026-01-01", "2026-06-30"),
                ),
            ),
            (
                "agreement_exists",
                intent(
                    "x-12",
                    "agreement",
                    agreement("tm", "0.1000", "2026-01-01", "2026-06-30"),
                ),
            ),
            (
                "agreement_dates",
                intent(
                    "x-13",
                    "agreement",
                    agreement("tm3", "0.1000", "2026-06-01", "2026-01-31"),
                ),
            ),
            (
                "agreement_unknown",
                intent(
                    "x-14",
                    "revenue_share",
                    share("nope", "2026-02-01", "2026-02-28", "0.00", "1800.00"),
                ),
            ),
            (
                "agreement_inactive",
                intent(
                    "x-15",
                    "revenue_share",
                    share("tm", "2026-07-01", "2026-07-31", "0.00", "1800.00"),
                ),
            ),
            (
                "period_not_whole_months",
                intent(
                    "x-16",
                    "revenue_share",
                    share("tm", "2026-02-01", "2026-02-15", "0.00", "1800.00"),
                ),
            ),
            (
                "revenue_share_amount_mismatch",
                intent(
                    "x-17",
                    "revenue_share",
                    share("tm", "2026-02-01", "2026-02-28", "12345.67", "1.00"),
                ),
            ),
            (
                "period_already_paid",
                intent(
                    "x-18",
                    "revenue_share",
                    share("tm", "2026-01-01", "2026-01-31", "0.00", "1800.00"),
                ),
            ),
            ("space_exists", intent("x-19", "space", space("room"))),
            (
                "space_unknown",
                intent(
                    "x-20",
                    "rental",
                    rental(
                        "nope",
                        "2026-01-13T06:00:00Z",
                        "2026-01-13T07:00:00Z",
                        "80.00",
                    ),
                ),
            ),
            (
                "rental_empty",
                intent(
                    "x-21",
                    "rental",
                    rental(
                        "room",
                        "2026-01-13T06:00:00Z",
                        "2026-01-13T06:00:00Z",
                        "80.00",
                    ),
                ),
            ),
            (
                "rental_too_long",
                intent(
                    "x-22",
                    "rental",
                    rental(
                        "room",
                        "2026-02-01T00:00:00Z",
                        "2026-03-15T00:00:00Z",
                        "80.00",
                    ),
                ),
            ),
            (
                "rental_amount_mismatch",
                intent(
                    "x-23",
                    "rental",
                    rental(
                        "room",
                        "2026-01-13T06:00:00Z",
                        "2026-01-13T09:00:00Z",
                        "1.00",
                    ),
                ),
            ),
            (
                "rental_overlap",
                intent(
                    "x-24",
                    "rental",
                    rental(
                        "room",
                        "2026-01-06T07:00:00Z",
                        "2026-01-06T09:00:00Z",
                        "160.00",
                    ),
                ),
            ),
            (
                "rental_in_community_hours",
                intent(
                    "x-25",
                    "rental",
                    rental(
                        "room",
                        "2026-01-10T02:00:00Z",
                        "2026-01-10T03:00:00Z",
                        "80.00",
                    ),
                ),
            ),
            (
                "overdraft",
                intent("x-26", "disbursement", disbursement("5000.00")),
            ),
            (
                "reversal_target_unknown",
                intent("x-27", "reversal", reversal(999)),
            ),
            (
                "reversal_target_not_monetary",
                intent("x-28", "reversal", reversal(2)),
            ),
            (
                "reversal_of_reversal",
                intent("x-29", "reversal", reversal(7)),
            ),
            ("already_reversed", intent("x-30", "reversal", reversal(6))),
            (
                "statement_period_invalid",
                intent("x-31", "statement", before_fund),
            ),
            ("statement_period_open", intent("x-32", "statement", draft)),
        ];
        let values: Vec<Value> = cases.iter().map(|(_, v)| v.clone()).collect();
        let (status, v) = check(&c, &values).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["at"]["size"], 8);
        assert_eq!(v["at"]["balance"], "2960.00");
        let results = v["results"].as_array().unwrap();
        for ((code, _), r) in cases.iter().zip(results) {
            assert_eq!(r["ok"], false, "{code}: {r}");
            assert_eq!(r["refusal"]["code"], *code, "{r}");
            assert!(
                !r["refusal"]["detail_zh"].as_str().unwrap().is_empty(),
                "{r}"
            );
            assert!(
                !r["refusal"]["detail_en"].as_str().unwrap().is_empty(),
                "{r}"
            );
        }
        let by_code = |code: &str| {
            let i = cases.iter().position(|(c, _)| *c == code).unwrap();
            results[i]["figures"].clone()
        };
        // The figures are the core's own: share_of(base, rate) + the monthly fee, the
        // hourly price; the paid period and the week's booking are listed.
        let due = share_of(
            Base::parse("12345.67").unwrap(),
            Rate::parse("0.1000").unwrap(),
        )
        .checked_add(money("1800.00"))
        .unwrap();
        let f = by_code("revenue_share_amount_mismatch");
        assert_eq!(f["share_due"], json!(due.to_string()));
        assert_eq!(f["paid_periods"][0]["seq"], 3);
        let price = hourly_price(Amount::parse("80.00").unwrap(), 3 * 3600).unwrap();
        assert_eq!(
            by_code("rental_amount_mismatch")["rental_price"],
            json!(price.to_string())
        );
        let f = by_code("rental_overlap");
        assert_eq!(f["week_bookings"][0]["seq"], 5);
        assert_eq!(f["signatures_needed"], 1);
        assert_eq!(by_code("overdraft")["signatures_needed"], 2);

        // Accepted intents move the copy on: the second disbursement sees the first.
        let (status, v) = check(
            &c,
            &[
                intent("ok-1", "disbursement", disbursement("2000.00")),
                intent("ok-2", "disbursement", disbursement("1000.00")),
                intent(
                    "ok-3",
                    "revenue_share",
                    share("tm", "2026-02-01", "2026-02-28", "1000.00", "1900.00"),
                ),
                json!({"fund": FUND, "kind": "donation"}),
            ],
        )
        .await;
        assert_eq!(status, 200, "{v}");
        let r = &v["results"];
        assert_eq!(r[0]["ok"], true, "{r}");
        assert_eq!(r[0]["figures"]["signatures_needed"], 2);
        assert_eq!(r[0]["figures"]["balance_after"], "960.00");
        assert_eq!(r[0]["figures"]["seq"], 8);
        assert_eq!(r[1]["refusal"]["code"], "overdraft", "{r}");
        assert_eq!(r[2]["ok"], true, "{r}");
        assert_eq!(r[2]["figures"]["share_due"], "1900.00");
        assert_eq!(r[2]["figures"]["balance_after"], "2860.00");
        assert_eq!(r[3]["ok"], false);
        assert!(r[3]["intent"].is_null());
        assert!(
            r[3]["refusal"]["code"]
                .as_str()
                .is_some_and(|c| !c.is_empty()),
            "{r}"
        );
        // What it gives to sign is the intent's canonical JSON: signed, it is appended
        // with the very figures the check gave.
        let text = r[0]["intent"].as_str().unwrap();
        let keys = [&ts[0].key, &ts[1].key];
        let sigs = community_ledger::sign_bytes(text, &keys);
        let (status, e) = c
            .send_json(
                Method::POST,
                &format!("/api/v1/funds/{FUND}/entries"),
                Some(&json!({"intent": text, "sigs": sigs})),
            )
            .await;
        assert_eq!(status, 201, "{e}");
        assert_eq!(e["balance"], "960.00", "{e}");
        let after_append = head(&c).await;
        assert_eq!(after_append.0, 9);

        // Nothing else was written by any check.
        let (status, _) = check(&c, &[intent("ok-9", "disbursement", disbursement("1.00"))]).await;
        assert_eq!(status, 200);
        assert_eq!(head(&c).await, after_append);
    });
}

#[test]
fn checks_refuse_bad_input_and_callers_with_a_problem_and_write_nothing() {
    let d = Deployment::sqlite("checks-bad");
    community_ledger::runtime().block_on(async {
        let (_ts, token) = fund_with_history(&d).await;
        let other = Trustee::random("别的基金管理人");
        let other_token = d
            .create_fund("other-fund", &[&other], (1, 1, 1))
            .await
            .trustee_token;
        let c = d.client().public().with_token(&token);
        let before = head(&c).await;
        let one = [intent("z-1", "disbursement", disbursement("1.00"))];
        let path = format!("/api/v1/funds/{FUND}/intents/check");
        let import = format!("/api/v1/funds/{FUND}/import/check");
        let csv_ok = "date,amount,payee_name,payee_class,purpose,project,invoice_no\n\
                      2019-04-01,1.00,社区老年食堂,organisation,助餐,长者助餐,INV-9\n";
        let import_body = json!({"kind": "disbursement", "csv": csv_ok});

        // Who may call: not the public, not another fund's trustee; an auditor may.
        let public = d.client().public();
        for p in [&path, &import] {
            let (s, v) = public.send_json(Method::POST, p, Some(&json!({}))).await;
            assert_eq!(s, 401, "{p}: {v}");
            let (s, v) = public
                .with_token(&other_token)
                .send_json(Method::POST, p, Some(&import_body))
                .await;
            assert_eq!(s, 403, "{p}: {v}");
        }
        let auditor = public.with_token(&d.auditor_token());
        let (s, v) = check(&auditor, &one).await;
        assert_eq!(s, 200, "{v}");
        let (s, v) = auditor
            .send_json(
                Method::POST,
                "/api/v1/funds/no-such-fund/intents/check",
                Some(&json!({"intents": one})),
            )
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (404, Some("fund_not_found")),
            "{v}"
        );

        // Malformed bodies and limits.
        let too_many: Vec<Value> = (0..101)
            .map(|i| intent(&format!("m-{i}"), "disbursement", disbursement("1.00")))
            .collect();
        let cases: Vec<(&str, Value, u16, &str)> = vec![
            (&path, json!({"intent": []}), 400, "malformed_request"),
            (&path, json!({"intents": []}), 400, "too_many_intents"),
            (&path, json!({"intents": too_many}), 400, "too_many_intents"),
            (
                &import,
                json!({"kind": "donation"}),
                400,
                "malformed_request",
            ),
            (
                &import,
                json!({"kind": "genesis", "csv": "a\n"}),
                400,
                "import_kind_unknown",
            ),
            (
                &import,
                json!({"kind": "martian", "csv": "a\n"}),
                400,
                "import_kind_unknown",
            ),
            (
                &import,
                json!({"kind": "donation", "csv": "date,amount\n1,2\n"}),
                400,
                "import_header",
            ),
            (
                &import,
                json!({"kind": "donation", "csv": "\"unclosed"}),
                400,
                "import_header",
            ),
        ];
        for (p, body, status, code) in cases {
            let (s, v) = c.send_json(Method::POST, p, Some(&body)).await;
            assert_eq!((s, v["code"].as_str()), (status, Some(code)), "{body}: {v}");
            assert!(
                v["detail_zh"].as_str().is_some_and(|z| !z.is_empty()),
                "{v}"
            );
        }
        let not_json = c
            .request(Method::POST, &path)
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(not_json.status().as_u16(), 400);
        // Too many rows: the whole file is refused, with the limit named.
        let mut many =
            String::from("date,amount,payee_name,payee_class,purpose,project,invoice_no\n");
        for i in 0..2_001 {
            many.push_str(&format!(
                "2019-04-01,1.00,食堂,organisation,助餐,长者助餐,I-{i}\n"
            ));
        }
        let (s, v) = c
            .send_json(
                Method::POST,
                &import,
                Some(&json!({"kind": "disbursement", "csv": many})),
            )
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (413, Some("import_too_many_rows")),
            "{v}"
        );
        assert!(v["detail"].as_str().unwrap().contains("2000"), "{v}");
        // A body over the limit.
        let huge = "x".repeat(300 * 1024);
        let (s, v) = c
            .send_json(
                Method::POST,
                &import,
                Some(&json!({"kind": "disbursement", "csv": huge})),
            )
            .await;
        assert_eq!(s, 413, "{v}");

        assert_eq!(head(&c).await, before, "nothing was written");
    });
}

#[test]
fn an_import_check_lists_refused_rows_and_gives_the_clis_intents_byte_for_byte() {
    each_backend("checks-import", async |d| {
        let dir = d.data_dir().to_owned();
        let (ts, token) = fund_with_history(d).await;
        let c = d.client().public().with_token(&token);
        let import = format!("/api/v1/funds/{FUND}/import/check");

        // The CLI records a file of donations (its key file, its token file).
        let key_path = dir.join("a.key");
        community_ledger::write_key_file(&key_path, &ts[0].key);
        let token_path = dir.join("a.token");
        std::fs::write(&token_path, format!("{token}\n")).unwrap();
        let good = "date,amount,donor_class,donor_name,donor_phone,channel,receipt_no,memo\n\
                2019-03-05,100.00,enterprise,成都某某科技有限公司,,bank_transfer,H-1,\n\
                2019-03-06,20.00,anonymous,,,cash,H-2,\"memo, with a comma\"\n\
                2019-03-07,35.50,organisation,花园社区志愿者协会,,wechat_pay,H-3,\n";
        let csv_path = dir.join("good.csv");
        std::fs::write(&csv_path, good).unwrap();
        let run = run_client(
            d,
            &[
                "--key",
                key_path.to_str().unwrap(),
                "--token-file",
                token_path.to_str().unwrap(),
                "import",
                "--fund",
                FUND,
                "--kind",
                "donation",
                csv_path.to_str().unwrap(),
            ],
        );
        assert_eq!(run.code, 0, "{run:?}");
        let before = head(&c).await;
        assert_eq!(before.0, 11);

        // The server's check of the same file: every row already recorded, and each row's
        // intent, signed at the time the CLI signed it, is byte for byte the CLI's.
        let mut entries: Vec<Entry> = Vec::new();
        for seq in 8..11 {
            entries.push({
                let e = c
                    .get_json(&format!("/api/v1/funds/{FUND}/entries/{seq}"))
                    .await
                    .expect("entry");
                let bytes = ledger_core::canonical::canonicalize(&e["entry"]);
                Entry::parse(&bytes).map(|p| p.entry).expect("an entry")
            });
        }
        for (i, entry) in entries.iter().enumerate() {
            let (s, v) = c
                .send_json(Method::POST, &import, Some(&json!({"kind": "donation", "csv": good, "signed_at": entry.intent.signed_at})))
                .await;
            assert_eq!(s, 200, "{v}");
            assert_eq!(
                (v["total"].as_u64(), v["already_recorded"].as_u64()),
                (Some(3), Some(3)),
                "{v}"
            );
            let row = &v["rows"][i];
            assert_eq!(row["status"], "already_recorded", "{row}");
            assert_eq!(row["seq"], 8 + i as u64, "{row}");
            let cli_bytes = entry.intent.canonical_bytes();
            assert_eq!(
                row["intent"].as_str().unwrap().as_bytes(),
                cli_bytes.as_slice(),
                "row {}: the server's intent is the CLI's",
                i + 2
            );
        }

        // A file with bad rows: each listed with its line and reason (parse errors and rule
        // refusals, applied in order), the good ones given to sign; nothing written.
        let mixed = "date,amount,payee_name,payee_class,purpose,project,invoice_no\n\
                 2019-04-01,900.00,社区老年食堂,organisation,助餐,长者助餐,INV-1\n\
                 2019-04-02,12.345,社区老年食堂,organisation,助餐,长者助餐,INV-2\n\
                 2019-04-03,2300.00,社区老年食堂,organisation,助餐,长者助餐,INV-3\n\
                 2019-04-04,5.00,社区老年食堂,martian,助餐,长者助餐,INV-4\n\
                 2019-04-05,5.00,社区老年食堂\n\
                 2019-04-01,900.00,社区老年食堂,organisation,助餐,长者助餐,INV-1\n\
                 2019-04-06,100.00,社区老年食堂,organisation,助餐,长者助餐,INV-6\n";
        let (s, v) = c
            .send_json(
                Method::POST,
                &import,
                Some(&json!({"kind": "disbursement", "csv": mixed})),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(
            (v["total"].as_u64(), v["ok"].as_u64(), v["refused"].as_u64()),
            (Some(7), Some(2), Some(5)),
            "{v}"
        );
        let rows = v["rows"].as_array().unwrap();
        let lines: Vec<(u64, &str, &str)> = rows
            .iter()
            .map(|r| {
                (
                    r["line"].as_u64().unwrap(),
                    r["status"].as_str().unwrap(),
                    r["refusal"]["code"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            lines,
            [
                (2, "ok", ""),
                (3, "refused", "row_invalid"),
                // 2960 + 155.50 imported - 900 = 2215.50: 2300 passes alone but not after row 2.
                (4, "refused", "overdraft"),
                (5, "refused", "row_invalid"),
                (6, "refused", "row_field_count"),
                (7, "refused", "row_duplicate"),
                (8, "ok", ""),
            ],
            "{v}"
        );
        assert!(rows[1]["refusal"]["detail_en"]
            .as_str()
            .unwrap()
            .contains("12.345"));
        assert_eq!(rows[0]["figures"]["signatures_needed"], 2);
        assert_eq!(rows[7 - 1]["figures"]["balance_after"], "2115.50", "{v}");
        assert_eq!(head(&c).await, before, "nothing was written");
    });
}
