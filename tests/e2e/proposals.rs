//! Proposals end to end on the real server: an intent that needs two trustees is proposed
//! by one and appended the moment a second co-signs; one trustee never counts twice; a
//! stranger cannot co-sign; a proposal that became invalid meanwhile is refused with the
//! rule's code when its quorum is met; a proposal lapses after the configured time.

use community_ledger::{
    now, random_key, sign_bytes, sign_value, Client, Deployment, SignedIntent, Trustee,
};
use ed25519_dalek::SigningKey;
use reqwest::Method;
use serde_json::{json, Value};

const FUND: &str = "proposals-fund";

fn disbursement(key: &str, amount: &str) -> Value {
    json!({
        "body": {
            "amount": amount, "payee": {"name": "社区老年食堂", "class": "organisation"},
            "purpose": "助餐补贴", "project": "长者助餐", "invoice_no": format!("INV-{key}")
        },
        "fund": FUND, "key": key, "kind": "disbursement", "signed_at": now().to_string()
    })
}

async fn propose(client: &Client, s: &SignedIntent) -> (u16, Value) {
    client
        .send_json(
            Method::POST,
            &format!("/api/v1/funds/{FUND}/proposals"),
            Some(&json!({"intent": s.intent, "sigs": s.sigs})),
        )
        .await
}

async fn cosign(client: &Client, id: &str, intent: &str, key: &SigningKey) -> (u16, Value) {
    let sig = sign_bytes(intent, &[key]).remove(0);
    client
        .send_json(
            Method::POST,
            &format!("/api/v1/funds/{FUND}/proposals/{id}/signatures"),
            Some(&json!({"sig": sig})),
        )
        .await
}

async fn size(client: &Client) -> u64 {
    client
        .get_json(&format!("/api/v1/funds/{FUND}"))
        .await
        .expect("fund")["size"]
        .as_u64()
        .expect("size")
}

#[test]
fn proposals_are_appended_when_their_quorum_is_met_and_refused_when_invalid() {
    let server = Deployment::sqlite_with("proposals", &["--proposal-ttl", "2"]);
    let auditor_token = server.auditor_token();
    community_ledger::runtime().block_on(async {
        let client = server.client();
        let (a, b, c) = (
            Trustee::random("管理人甲"),
            Trustee::random("管理人乙"),
            Trustee::random("管理人丙"),
        );
        let token = server
            .create_fund(FUND, &[&a, &b, &c], (2, 2, 2))
            .await
            .trustee_token;
        let t = client.public().with_token(&token);
        let r = t
            .append(&a.donation(FUND, "d-1", 100_000))
            .await
            .expect("answer");
        assert_eq!(r.status, 201);

        // Proposed by A: waits. A again does not count twice. B's signature appends it.
        let big = sign_value(&disbursement("x-big", "900.00"), &[&a.key]);
        let (status, v) = propose(&t, &big).await;
        assert_eq!(status, 202, "{v}");
        let big_id = v["proposal"]["id"].as_str().expect("id").to_owned();
        let small = sign_value(&disbursement("x-small", "200.00"), &[&a.key]);
        let (status, v) = propose(&t, &small).await;
        assert_eq!(status, 202, "{v}");
        let small_id = v["proposal"]["id"].as_str().expect("id").to_owned();
        let before = size(&client).await;
        let (status, v) = cosign(&t, &small_id, &small.intent, &a.key).await;
        assert_eq!((status, v["code"].as_str()), (409, Some("already_signed")));
        let stranger = random_key();
        let (status, v) = cosign(&t, &small_id, &small.intent, &stranger).await;
        assert_eq!((status, v["code"].as_str()), (403, Some("unknown_signer")));
        let (status, v) = cosign(&t, &small_id, &"x".repeat(10), &b.key).await;
        assert_eq!((status, v["code"].as_str()), (403, Some("bad_signature")));
        assert_eq!(
            size(&client).await,
            before,
            "no co-signature so far appended anything"
        );

        // Trustees and auditors list the open proposals; the public cannot.
        let listed = t
            .get_json(&format!("/api/v1/funds/{FUND}/proposals?status=open"))
            .await
            .expect("list");
        assert_eq!(listed["proposals"].as_array().map(Vec::len), Some(2));
        // A key's inbox: the open proposals it may sign and has not, newest first, in
        // plain words, with the proposer and what the quorum still misses.
        let inbox = |key: String| {
            let t = t.clone();
            async move {
                t.send_json(
                    Method::GET,
                    &format!("/api/v1/funds/{FUND}/proposals?signer={key}"),
                    None,
                )
                .await
            }
        };
        let (status, b_inbox) = inbox(b.public_key().to_hex()).await;
        assert_eq!(status, 200, "{b_inbox}");
        let items = b_inbox["proposals"].as_array().expect("proposals");
        assert_eq!(items.len(), 2, "{b_inbox}");
        assert!(items
            .windows(2)
            .all(|w| w[0]["created_at"].as_str() >= w[1]["created_at"].as_str()));
        for p in items {
            assert_eq!(
                (p["signatures_needed"].as_u64(), p["missing"].as_u64()),
                (Some(2), Some(1)),
                "{p}"
            );
            assert!(p["proposer"].as_str().is_some_and(|l| !l.is_empty()), "{p}");
            assert!(
                p["summary"]["zh"].as_str().unwrap().starts_with("支出："),
                "{p}"
            );
        }
        let big_item = items
            .iter()
            .find(|p| p["id"] == big_id.as_str())
            .expect("big");
        assert_eq!(
            big_item["summary"]["en"],
            "disbursement: 900.00 yuan to 社区老年食堂 for 助餐补贴"
        );
        let (_, a_inbox) = inbox(a.public_key().to_hex()).await;
        assert_eq!(a_inbox["proposals"], json!([]), "A signed both");
        let (_, s_inbox) = inbox(Trustee::random("外人").public_key().to_hex()).await;
        assert_eq!(
            s_inbox["proposals"],
            json!([]),
            "not a trustee: nothing to sign"
        );
        let (status, v) = inbox("xyz".into()).await;
        assert_eq!(
            (status, v["code"].as_str()),
            (400, Some("bad_query")),
            "{v}"
        );

        let auditor = client.public().with_token(&auditor_token);
        assert!(auditor
            .get_json(&format!("/api/v1/funds/{FUND}/proposals/{small_id}"))
            .await
            .is_ok());
        let resp = client
            .public()
            .request(Method::GET, &format!("/api/v1/funds/{FUND}/proposals"))
            .send()
            .await
            .expect("answer");
        assert_eq!(resp.status().as_u16(), 401);

        let (status, v) = cosign(&t, &small_id, &small.intent, &b.key).await;
        assert_eq!(status, 201, "{v}");
        assert_eq!(v["proposal"]["status"], "appended");
        assert_eq!(v["entry"]["kind"], "disbursement");
        assert_eq!(size(&client).await, before + 1);
        let signed_by: Vec<&str> = v["proposal"]["signed_by"]
            .as_array()
            .expect("signers")
            .iter()
            .filter_map(|s| s["name"].as_str())
            .collect();
        assert_eq!(signed_by.len(), 2, "{signed_by:?}");

        // The big one no longer fits the balance (1000 − 200 < 900): refused when its
        // quorum is met, with the rule's code, and closed.
        let (status, v) = cosign(&t, &big_id, &big.intent, &c.key).await;
        assert_eq!((status, v["code"].as_str()), (422, Some("overdraft")));
        assert_eq!(size(&client).await, before + 1);
        let p = t
            .get_json(&format!("/api/v1/funds/{FUND}/proposals/{big_id}"))
            .await
            .expect("proposal");
        assert_eq!(
            (p["status"].as_str(), p["refusal"].as_str()),
            (Some("refused"), Some("overdraft"))
        );
        let (status, v) = cosign(&t, &big_id, &big.intent, &b.key).await;
        assert_eq!((status, v["code"].as_str()), (409, Some("proposal_closed")));

        // A proposal lapses.
        let late = sign_value(&disbursement("x-late", "10.00"), &[&a.key]);
        let (status, v) = propose(&t, &late).await;
        assert_eq!(status, 202, "{v}");
        let late_id = v["proposal"]["id"].as_str().expect("id").to_owned();
        std::thread::sleep(std::time::Duration::from_millis(3_100));
        let (status, v) = cosign(&t, &late_id, &late.intent, &b.key).await;
        assert_eq!(
            (status, v["code"].as_str()),
            (409, Some("proposal_expired"))
        );
        assert_eq!(
            size(&client).await,
            before + 1,
            "a lapsed proposal appends nothing"
        );

        // A proposal whose signatures already meet the quorum is appended at once.
        let both = sign_value(&disbursement("x-both", "10.00"), &[&a.key, &c.key]);
        let (status, v) = propose(&t, &both).await;
        assert_eq!(status, 201, "{v}");
        assert_eq!(size(&client).await, before + 2);

        // And a quorum kind sent straight to the log with one signature is refused.
        let one = sign_value(&disbursement("x-one", "10.00"), &[&a.key]);
        let r = t.append(&one).await.expect("answer");
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (403, Some("quorum_not_met"))
        );
    });
}
