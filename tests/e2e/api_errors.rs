//! The bad-input table: every malformed or rule-breaking request to the real server is
//! refused with its status and stable code, as `application/problem+json` with Chinese and
//! English details, and moves no fund's head. Runs on SQLite, and on PostgreSQL when
//! `LEDGER_TEST_POSTGRES_URL` is set (always in CI).

use community_ledger::{
    now, random_key, runtime, sign_bytes, sign_value, Client, Deployment, SignedIntent,
    TestBackend, Trustee,
};
use ed25519_dalek::SigningKey;
use serde_json::{json, Value};

const FUND: &str = "errors-fund";
const OTHER: &str = "errors-other";

/// Tuesday 2026-12-01, 10:00–12:00 in Beijing (UTC+8).
const RENTAL_START: &str = "2026-12-01T02:00:00Z";
const RENTAL_END: &str = "2026-12-01T04:00:00Z";

fn intent(fund: &str, key: &str, kind: &str, body: Value) -> Value {
    json!({"body": body, "fund": fund, "key": key, "kind": kind, "signed_at": now().to_string()})
}

fn donation(fund: &str, key: &str, amount: &str) -> Value {
    intent(
        fund,
        key,
        "donation",
        json!({"amount": amount, "donor": {"class": "anonymous"}, "channel": "cash", "receipt_no": format!("R-{key}")}),
    )
}

fn uscc() -> String {
    ledger_core::sample::sample_uscc(7, 1)
        .expect("a sample USCC")
        .to_string()
}

fn agreement(key: &str, id: &str, rate: &str, uscc: &str) -> Value {
    intent(
        FUND,
        key,
        "agreement",
        json!({
            "agreement_id": id, "enterprise": {"name": "成都示例咖啡有限公司", "uscc": uscc},
            "basis": "revenue", "rate": rate, "start": "2026-01-01", "venture": "社区咖啡馆"
        }),
    )
}

fn rental(key: &str, start: &str, end: &str, amount: &str) -> Value {
    intent(
        FUND,
        key,
        "rental",
        json!({
            "space_id": "SP-1", "renter": {"name": "舞蹈培训班", "class": "organisation"},
            "start": start, "end": end, "amount": amount
        }),
    )
}

fn disbursement(key: &str, amount: &str) -> Value {
    intent(
        FUND,
        key,
        "disbursement",
        json!({
            "amount": amount, "payee": {"name": "社区老年食堂", "class": "organisation"},
            "purpose": "助餐补贴", "project": "长者助餐", "invoice_no": format!("INV-{key}")
        }),
    )
}

fn reversal(key: &str, seq: u64) -> Value {
    intent(
        FUND,
        key,
        "reversal",
        json!({"reverses": seq, "reason": "录入错误"}),
    )
}

fn body_of(s: &SignedIntent) -> Vec<u8> {
    serde_json::to_vec(&s.body()).expect("json")
}

/// One row of the table: what is sent, and the refusal expected.
struct Case {
    name: &'static str,
    /// Path of the POST (defaults to the fund's entries).
    path: String,
    /// Raw request body.
    body: Vec<u8>,
    status: u16,
    code: &'static str,
}

fn case(name: &'static str, body: Vec<u8>, status: u16, code: &'static str) -> Case {
    Case {
        name,
        path: format!("/api/v1/funds/{FUND}/entries"),
        body,
        status,
        code,
    }
}

async fn heads(client: &Client) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    for f in [FUND, OTHER] {
        let v = client
            .get_json(&format!("/api/v1/funds/{f}"))
            .await
            .expect("fund");
        out.push((
            v["size"].as_u64().expect("size"),
            v["head"].as_str().expect("head").to_owned(),
        ));
    }
    out
}

async fn append_ok(client: &Client, s: &SignedIntent) -> u64 {
    let r = client.append(s).await.expect("an answer");
    r.ack()
        .unwrap_or_else(|| panic!("setup append refused: {} {}", r.status, r.body))
        .seq
}

/// Sets up a fund with a donation, an agreement, a space with community hours, a rental
/// and a reversal, then runs the table.
async fn run_table(d: &Deployment) {
    let client = d.client();
    let a = Trustee::random("管理人甲");
    let b = Trustee::random("管理人乙");
    let trustee_token = d
        .create_fund(FUND, &[&a, &b], (1, 2, 1))
        .await
        .trustee_token;
    d.create_fund(OTHER, &[&a], (1, 1, 1)).await;

    let sign = |v: &Value, keys: &[&SigningKey]| sign_value(v, keys);
    append_ok(&client, &sign(&donation(FUND, "d-1", "1000.00"), &[&a.key])).await;
    append_ok(
        &client,
        &sign(&agreement("ag-1", "AG-1", "0.2000", &uscc()), &[&a.key]),
    )
    .await;
    let space = intent(
        FUND,
        "sp-1",
        "space",
        json!({
            "space_id": "SP-1", "name": "多功能活动室", "kind": "activity_room",
            "hourly_rate": "100.00",
            "community_hours": [{"day": "mon", "from": "09:00", "to": "12:00"}]
        }),
    );
    append_ok(&client, &sign(&space, &[&a.key])).await;
    append_ok(
        &client,
        &sign(
            &rental("r-1", RENTAL_START, RENTAL_END, "200.00"),
            &[&a.key],
        ),
    )
    .await;
    let small = append_ok(&client, &sign(&donation(FUND, "d-2", "10.00"), &[&a.key])).await;
    let reversed = append_ok(&client, &sign(&reversal("rv-1", small), &[&a.key])).await;

    let valid = sign(&donation(FUND, "d-new", "5.00"), &[&a.key]);
    let stranger = random_key();
    let deep = format!("{}1{}", "[".repeat(5_000), "]".repeat(5_000));
    let mut nested_intent = donation(FUND, "d-deep", "5.00");
    let mut v = json!(1);
    for _ in 0..40 {
        v = json!([v]);
    }
    nested_intent["body"]["deep"] = v;
    let mut other_bytes = valid.clone();
    other_bytes.sigs = sign_bytes(
        &sign(&donation(FUND, "d-other", "6.00"), &[&a.key]).intent,
        &[&a.key],
    );
    let mut uscc_bad = uscc();
    let last = uscc_bad.pop().expect("a check character");
    uscc_bad.push(if last == '0' { '1' } else { '0' });
    let long_name = "名".repeat(10_000);
    let mut long_donor = donation(FUND, "d-long", "5.00");
    long_donor["body"]["donor"] = json!({"class": "enterprise", "name": long_name});

    // The signature list's form: each mistake is one class, 400, with its own code.
    let with_sigs = |sigs: Value| -> Vec<u8> {
        serde_json::to_vec(&json!({"intent": valid.intent, "sigs": sigs})).expect("json")
    };
    let one = serde_json::to_value(valid.sigs[0]).expect("a signature as JSON");
    let pair = sign(&donation(FUND, "d-pair", "5.00"), &[&a.key, &b.key]);
    let mut pair_reversed = serde_json::to_value(&pair.sigs).expect("signatures as JSON");
    pair_reversed.as_array_mut().expect("a list").reverse();
    let mut short_sig = one.clone();
    short_sig["sig"] = json!(short_sig["sig"].as_str().expect("hex")[..126].to_owned());

    let cases = vec![
        case("no signature", with_sigs(json!([])), 400, "no_signature"),
        case(
            "33 signatures",
            with_sigs(json!(vec![one.clone(); 33])),
            400,
            "too_many_signatures",
        ),
        case(
            "one key twice",
            with_sigs(json!([one.clone(), one.clone()])),
            400,
            "duplicate_signer",
        ),
        case(
            "signatures not sorted by key",
            serde_json::to_vec(&json!({"intent": pair.intent, "sigs": pair_reversed}))
                .expect("json"),
            400,
            "duplicate_signer",
        ),
        case(
            "a 63-byte signature",
            with_sigs(json!([short_sig])),
            400,
            "malformed_request",
        ),
        case(
            "malformed JSON",
            b"{\"intent\": ".to_vec(),
            400,
            "malformed_request",
        ),
        case(
            "unknown field",
            serde_json::to_vec(&json!({"intent": valid.intent, "sigs": valid.sigs, "extra": 1}))
                .expect("json"),
            400,
            "malformed_request",
        ),
        case(
            "non-canonical intent",
            {
                let pretty = serde_json::to_string_pretty(
                    &serde_json::from_str::<Value>(&valid.intent).expect("json"),
                )
                .expect("json");
                let sigs = sign_bytes(&pretty, &[&a.key]);
                serde_json::to_vec(&json!({"intent": pretty, "sigs": sigs})).expect("json")
            },
            400,
            "not_canonical",
        ),
        case(
            "zero amount",
            body_of(&sign(&donation(FUND, "d-z", "0.00"), &[&a.key])),
            422,
            "amount_not_positive",
        ),
        case(
            "negative amount",
            body_of(&sign(&donation(FUND, "d-n", "-5.00"), &[&a.key])),
            422,
            "amount_negative",
        ),
        case(
            "three decimals",
            body_of(&sign(&donation(FUND, "d-3", "5.001"), &[&a.key])),
            422,
            "amount_too_many_decimals",
        ),
        case(
            "over the limit",
            body_of(&sign(&donation(FUND, "d-big", "1000000000.01"), &[&a.key])),
            422,
            "amount_over_limit",
        ),
        case(
            "rate 9.99%",
            body_of(&sign(
                &agreement("ag-lo", "AG-LO", "0.0999", &uscc()),
                &[&a.key],
            )),
            422,
            "rate_out_of_policy",
        ),
        case(
            "rate 50.01%",
            body_of(&sign(
                &agreement("ag-hi", "AG-HI", "0.5001", &uscc()),
                &[&a.key],
            )),
            422,
            "rate_out_of_policy",
        ),
        case(
            "wrong USCC check character",
            body_of(&sign(
                &agreement("ag-u", "AG-U", "0.2000", &uscc_bad),
                &[&a.key],
            )),
            422,
            "uscc_check_digit",
        ),
        case(
            "overlapping rental",
            body_of(&sign(
                &rental(
                    "r-2",
                    "2026-12-01T03:00:00Z",
                    "2026-12-01T05:00:00Z",
                    "200.00",
                ),
                &[&a.key],
            )),
            422,
            "rental_overlap",
        ),
        case(
            "rental in community hours",
            body_of(&sign(
                &rental(
                    "r-3",
                    "2026-11-30T02:00:00Z",
                    "2026-11-30T03:00:00Z",
                    "100.00",
                ),
                &[&a.key],
            )),
            422,
            "rental_in_community_hours",
        ),
        case(
            "overdraft",
            body_of(&sign(&disbursement("x-1", "999999.00"), &[&a.key, &b.key])),
            422,
            "overdraft",
        ),
        case(
            "unknown signer",
            body_of(&sign(&donation(FUND, "d-s", "5.00"), &[&stranger])),
            403,
            "unknown_signer",
        ),
        case(
            "signature over other bytes",
            body_of(&other_bytes),
            403,
            "bad_signature",
        ),
        case(
            "missing quorum",
            body_of(&sign(&disbursement("x-2", "10.00"), &[&a.key])),
            403,
            "quorum_not_met",
        ),
        case(
            "reversal of a reversal",
            body_of(&sign(&reversal("rv-2", reversed), &[&a.key])),
            422,
            "reversal_of_reversal",
        ),
        case(
            "intent for another fund",
            body_of(&sign(&donation(OTHER, "d-o", "5.00"), &[&a.key])),
            422,
            "fund_mismatch",
        ),
        case(
            "idempotency key replayed with other content",
            body_of(&sign(&donation(FUND, "d-1", "2000.00"), &[&a.key])),
            409,
            "idempotency_conflict",
        ),
        case(
            "body over the limit",
            serde_json::to_vec(&json!({"intent": "x".repeat(300 * 1024), "sigs": []}))
                .expect("json"),
            413,
            "body_too_large",
        ),
        case(
            "10,000-character name",
            body_of(&sign(&long_donor, &[&a.key])),
            422,
            "text_too_long",
        ),
        case(
            "invalid UTF-8",
            b"{\"intent\": \"\xff\xfe\", \"sigs\": []}".to_vec(),
            400,
            "malformed_request",
        ),
        case(
            "deeply nested request",
            format!("{{\"intent\": \"x\", \"sigs\": {deep}}}").into_bytes(),
            400,
            "malformed_request",
        ),
        case(
            "deeply nested intent",
            body_of(&sign(&nested_intent, &[&a.key])),
            400,
            "too_deep",
        ),
    ];

    let writer = client.with_token(&trustee_token);
    let before = heads(&client).await;
    let mut failures = Vec::new();
    for c in &cases {
        let resp = writer
            .request(reqwest::Method::POST, &c.path)
            .header("content-type", "application/json")
            .body(c.body.clone())
            .send()
            .await
            .expect("an answer");
        let status = resp.status().as_u16();
        let ctype = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let text = resp.text().await.expect("a body");
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let ok = status == c.status
            && v["code"] == c.code
            && ctype == "application/problem+json"
            && v["detail"].as_str().is_some_and(|d| !d.is_empty())
            && v["detail_zh"].as_str().is_some_and(|d| !d.is_empty());
        if !ok {
            failures.push(format!(
                "{}: expected {} {}, got {status} {ctype} {}",
                c.name,
                c.status,
                c.code,
                &text[..text.len().min(400)]
            ));
        }
        assert_eq!(
            heads(&client).await,
            before,
            "{}: a refused request moved a fund's head",
            c.name
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases wrong:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    // The valid intent the cases were built around is accepted: the refusals above were
    // for the defect each case introduced.
    assert_eq!(
        writer.append(&valid).await.expect("answer").status,
        201,
        "the valid donation"
    );
}

#[test]
fn bad_inputs_are_refused_with_their_code_and_write_nothing_sqlite() {
    let d = Deployment::sqlite("api_errors");
    runtime().block_on(run_table(&d));
}

#[test]
fn bad_inputs_are_refused_with_their_code_and_write_nothing_postgres() {
    let rt = runtime();
    let Some(backend) = TestBackend::postgres("api_errors", &rt) else {
        return;
    };
    let d = Deployment::on(backend);
    rt.block_on(run_table(&d));
}
