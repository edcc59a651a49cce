//! Strict on write (FORMAT.md §3), on the real server: each Ed25519 edge case that the
//! read rule (ZIP-215) accepts but a strict cofactorless RFC 8032 verifier refuses is
//! refused at append, at proposal and at co-signature with `signature_not_strict`, a key
//! a genesis or a trustee change would add that is not canonically encoded with
//! `key_not_strict`, each as a bilingual problem, and nothing is written. The same
//! entries in an old export still verify (`ledger-core/tests/signature_rules.rs`).

use community_ledger::{
    each_backend, genesis_intent, now, sign_value, single_trustee_policy, Client, Deployment,
    SignedIntent, Trustee,
};
use ed25519_dalek::SigningKey;
use ledger_core::entry::{signing_message, Sig};
use ledger_core::keys::PublicKey;
use ledger_core::sample::lenient::{lenient_signature, non_canonical_key, Lenient, EDGE_CASES};
use reqwest::Method;
use serde_json::{json, Value};

const FUND: &str = "strict-fund";

fn intent(key: &str, kind: &str, body: Value) -> Value {
    json!({"body": body, "fund": FUND, "key": key, "kind": kind, "signed_at": now().to_string()})
}

fn donation(key: &str) -> Value {
    intent(
        key,
        "donation",
        json!({"amount": "5.00", "donor": {"class": "anonymous"}, "channel": "cash", "receipt_no": format!("R-{key}")}),
    )
}

fn disbursement(key: &str) -> Value {
    intent(
        key,
        "disbursement",
        json!({
            "amount": "1.00", "payee": {"name": "社区老年食堂", "class": "organisation"},
            "purpose": "助餐补贴", "project": "长者助餐", "invoice_no": format!("INV-{key}")
        }),
    )
}

/// `signed` with its one signature replaced by the crafted form `form` by `key`.
fn crafted(signed: &SignedIntent, key: &SigningKey, form: Lenient) -> SignedIntent {
    let mut s = signed.clone();
    let msg = signing_message(s.intent.as_bytes());
    s.sigs = vec![Sig {
        key: PublicKey::from_verifying_key(key.verifying_key()),
        sig: lenient_signature(key, &msg, form),
    }];
    s
}

/// The code a crafted form is refused with: every form but a non-canonical `s` verifies
/// by ZIP-215, so it is refused as not strict; `s` ≥ ℓ never verifies.
fn expected(form: Lenient) -> (u16, &'static str) {
    match form {
        Lenient::NonCanonicalS => (403, "bad_signature"),
        _ => (422, "signature_not_strict"),
    }
}

/// What a refusal must not have changed: the fund's size and head, its proposals.
async fn state(client: &Client, trustee: &Client) -> (Value, Value, Value) {
    let fund = client
        .get_json(&format!("/api/v1/funds/{FUND}"))
        .await
        .expect("fund");
    let proposals = trustee
        .get_json(&format!("/api/v1/funds/{FUND}/proposals"))
        .await
        .expect("proposals");
    (fund["size"].clone(), fund["head"].clone(), proposals)
}

fn problem_is(what: &str, status: u16, v: &Value, want: (u16, &str)) {
    assert_eq!(
        (status, v["code"].as_str()),
        (want.0, Some(want.1)),
        "{what}: {v}"
    );
    for field in ["detail", "detail_zh"] {
        assert!(
            v[field].as_str().is_some_and(|d| !d.is_empty()),
            "{what}: no {field}: {v}"
        );
    }
}

async fn run(d: &Deployment) {
    let client = d.client();
    let (a, b) = (Trustee::random("管理人甲"), Trustee::random("管理人乙"));
    let token = d
        .create_fund(FUND, &[&a, &b], (1, 2, 1))
        .await
        .trustee_token;
    let t = client.public().with_token(&token);
    let before = state(&client, &t).await;

    for (name, form) in EDGE_CASES {
        let honest = sign_value(&donation(&format!("d-{name}")), &[&a.key]);
        // At append.
        let r = t
            .append(&crafted(&honest, &a.key, form))
            .await
            .expect("answer");
        problem_is(&format!("append {name}"), r.status, &r.body, expected(form));
        // At proposal.
        let big = sign_value(&disbursement(&format!("x-{name}")), &[&a.key]);
        let c = crafted(&big, &a.key, form);
        let (status, v) = t
            .send_json(
                Method::POST,
                &format!("/api/v1/funds/{FUND}/proposals"),
                Some(&json!({"intent": c.intent, "sigs": c.sigs})),
            )
            .await;
        problem_is(&format!("proposal {name}"), status, &v, expected(form));
        assert_eq!(
            state(&client, &t).await,
            before,
            "{name}: something was written"
        );
    }

    // At co-signature: an honest proposal by A, B's crafted co-signature refused.
    let big = sign_value(&disbursement("x-cosign"), &[&a.key]);
    let (status, v) = t
        .send_json(
            Method::POST,
            &format!("/api/v1/funds/{FUND}/proposals"),
            Some(&json!({"intent": big.intent, "sigs": big.sigs})),
        )
        .await;
    assert_eq!(status, 202, "{v}");
    let id = v["proposal"]["id"].as_str().expect("id").to_owned();
    let open = state(&client, &t).await;
    for (name, form) in EDGE_CASES {
        let c = crafted(&big, &b.key, form);
        let (status, v) = t
            .send_json(
                Method::POST,
                &format!("/api/v1/funds/{FUND}/proposals/{id}/signatures"),
                Some(&json!({"sig": c.sigs[0]})),
            )
            .await;
        problem_is(&format!("co-signature {name}"), status, &v, expected(form));
        assert_eq!(
            state(&client, &t).await,
            open,
            "{name}: something was written"
        );
    }

    // Keys: a trustee change that adds a non-canonically encoded key.
    let odd = hex::encode(non_canonical_key());
    let change = sign_value(
        &intent(
            "t-odd",
            "trustees",
            json!({"add": [{"key": odd, "name": "管理人丙"}], "remove": []}),
        ),
        &[&a.key],
    );
    let r = t.append(&change).await.expect("answer");
    problem_is("trustee change", r.status, &r.body, (422, "key_not_strict"));
    assert_eq!(
        state(&client, &t).await,
        open,
        "the trustee change was written"
    );

    // A genesis naming it: refused, and no fund is created.
    let genesis_bytes =
        genesis_intent("strict-other", &[&a], single_trustee_policy()).canonical_bytes();
    let mut genesis: Value = serde_json::from_slice(&genesis_bytes).expect("json");
    genesis["body"]["trustees"][0]["key"] = json!(odd);
    let r = client
        .append(&sign_value(&genesis, &[d.operator()]))
        .await
        .expect("answer");
    problem_is("genesis", r.status, &r.body, (422, "key_not_strict"));
    let resp = client
        .request(Method::GET, "/api/v1/funds/strict-other")
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status().as_u16(), 404, "the fund was created");

    // The honest forms of the same requests are accepted: the refusals were for the
    // crafted signatures.
    let honest = sign_value(&donation("d-honest"), &[&a.key]);
    assert_eq!(t.append(&honest).await.expect("answer").status, 201);
    let (status, v) = t
        .send_json(
            Method::POST,
            &format!("/api/v1/funds/{FUND}/proposals/{id}/signatures"),
            Some(&json!({"sig": sign_value(&serde_json::from_str::<Value>(&big.intent).expect("json"), &[&b.key]).sigs[0]})),
        )
        .await;
    assert_eq!(status, 201, "{v}");
}

#[test]
fn signatures_and_keys_that_are_not_strict_are_refused_at_write() {
    each_backend("strict_signatures", run);
}
