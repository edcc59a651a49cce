//! Receipts end to end: the server hands out a receipt for a donation that verifies with
//! nothing but ledger-core (and the published log key); the donor's copy, with the salt and
//! identity, goes only to a trustee of the fund or an auditor; an old receipt's checkpoint
//! is proven consistent with a newer one.

use community_ledger::{now, sign_value, Deployment, Trustee};
use ledger_core::checkpoint::Checkpoint;
use ledger_core::donor::{commitment, identity_string};
use ledger_core::receipt::{parse_receipt, verify_receipt};
use reqwest::Method;
use serde_json::{json, Value};

const FUND: &str = "receipts-fund";

#[test]
fn a_donation_receipt_verifies_without_the_server() {
    let server = Deployment::sqlite("receipts");
    let auditor_token = server.auditor_token();
    let rt = community_ledger::runtime();
    rt.block_on(async {
        let client = server.client();
        let trustee = Trustee::random("管理人甲");
        let token = server
            .create_fund(FUND, &[&trustee], (1, 1, 1))
            .await
            .trustee_token;
        let other_token = server
            .create_fund("receipts-other", &[&trustee], (1, 1, 1))
            .await
            .trustee_token;
        let writer = client.public().with_token(&token);

        let salt = [9u8; 16];
        let (name, phone) = ("王建国", "13700001111");
        let c = commitment(&salt, &identity_string(name, phone));
        let intent = json!({
            "body": {
                "amount": "66.00", "channel": "cash", "receipt_no": "R-66",
                "donor": {"class": "resident", "commitment": c.to_hex()}
            },
            "fund": FUND, "key": "res-66", "kind": "donation", "signed_at": now().to_string()
        });
        let signed = sign_value(&intent, &[&trustee.key]);
        let mut body = signed.body();
        body["donor_identity"] = json!({"salt": hex::encode(salt), "name": name, "phone": phone});
        let resp = writer
            .request(Method::POST, &format!("/api/v1/funds/{FUND}/entries"))
            .json(&body)
            .send()
            .await
            .expect("answer");
        assert_eq!(resp.status().as_u16(), 201);
        let seq = resp.json::<Value>().await.expect("json")["seq"]
            .as_u64()
            .expect("seq");

        let published = client
            .public()
            .get_json("/.well-known/community-ledger")
            .await
            .expect("log");
        let path = format!("/api/v1/funds/{FUND}/entries/{seq}/receipt");
        let fetch = |c: community_ledger::Client, p: String| async move {
            let resp = c.request(Method::GET, &p).send().await.expect("answer");
            (
                resp.status().as_u16(),
                resp.bytes().await.expect("bytes").to_vec(),
            )
        };

        // The public copy: no identity, verifies, under the published log key.
        let (status, bytes) = fetch(client.public(), path.clone()).await;
        assert_eq!(status, 200);
        let public_receipt = parse_receipt(&bytes).expect("a receipt");
        assert!(public_receipt.donor.is_none());
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(name) && !text.contains(phone),
            "no identity in the public copy"
        );
        assert_eq!(
            public_receipt.log_key,
            published["log_key"].as_str().expect("key")
        );
        let ok = verify_receipt(&public_receipt).expect("the receipt verifies");
        assert_eq!((ok.seq, ok.donor_confirmed), (seq, false));
        assert_eq!(public_receipt.signers.len(), 1);
        assert_eq!(public_receipt.signers[0].name.as_deref(), Some("管理人甲"));

        // The donor's copy: only for a trustee of the fund or an auditor.
        let donor_path = format!("{path}?donor=true");
        assert_eq!(fetch(client.public(), donor_path.clone()).await.0, 401);
        assert_eq!(
            fetch(client.public().with_token(&other_token), donor_path.clone())
                .await
                .0,
            403
        );
        for t in [&token, &auditor_token] {
            let (status, bytes) = fetch(client.public().with_token(t), donor_path.clone()).await;
            assert_eq!(status, 200);
            let r = parse_receipt(&bytes).expect("a receipt");
            let ok = verify_receipt(&r).expect("the donor's copy verifies");
            assert!(
                ok.donor_confirmed,
                "the identity matches the chain's commitment"
            );
        }
        // A receipt for an entry without a vault record has no donor copy.
        let (status, _) = fetch(
            client.public().with_token(&auditor_token),
            format!("/api/v1/funds/{FUND}/entries/0/receipt?donor=true"),
        )
        .await;
        assert_eq!(status, 404);

        // The log grows; the old receipt's checkpoint is consistent with the new one.
        for i in 0..5 {
            let r = writer
                .append(&trustee.donation(FUND, &format!("more-{i}"), 100))
                .await
                .expect("answer");
            assert_eq!(r.status, 201);
        }
        let (_, bytes) = fetch(client.public(), path.clone()).await;
        let newer = parse_receipt(&bytes).expect("a receipt");
        verify_receipt(&newer).expect("the newer receipt verifies");
        assert!(newer.tree_size > public_receipt.tree_size);
        let old_cp =
            Checkpoint::parse(checkpoint_body(&public_receipt.checkpoint)).expect("checkpoint");
        let new_cp = Checkpoint::parse(checkpoint_body(&newer.checkpoint)).expect("checkpoint");
        client
            .check_consistent(FUND, &old_cp, &new_cp)
            .await
            .expect("the log only grew between the two checkpoints");
    });
}

/// The checkpoint text of a signed note (the part before the blank line).
fn checkpoint_body(note: &str) -> &str {
    match note.find("\n\n") {
        Some(i) => &note[..i + 1],
        None => note,
    }
}
