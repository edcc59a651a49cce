//! Key rotation and revocation through `trustees` entries, end to end: a compromised
//! trustee key is removed by the other trustees and a new one added; from that entry on the
//! old key's signatures are refused, the new key's accepted, and the whole log still
//! verifies (the old key's earlier entries stay valid: they were signed while it served).

use community_ledger::{now, sign_value, Deployment, Trustee};
use serde_json::json;

const FUND: &str = "rotation-fund";

#[test]
fn a_removed_key_is_refused_from_its_removal_on_and_the_new_key_is_accepted() {
    let server = Deployment::sqlite("key_rotation");
    community_ledger::runtime().block_on(async {
        let client = server.client();
        let (a, b, c) = (
            Trustee::random("管理人甲"),
            Trustee::random("管理人乙"),
            Trustee::random("管理人丙"),
        );
        server.create_fund(FUND, &[&a, &b], (2, 2, 2)).await;
        let ok = |r: community_ledger::AppendReply| {
            assert!(r.status == 201, "{} {}", r.status, r.body);
        };
        ok(client
            .append(&a.donation(FUND, "before", 1_000))
            .await
            .expect("answer"));

        // A alone cannot remove B (governance quorum 2), nor add a key.
        let change = |key: &str| {
            json!({
                "body": {
                    "add": [{"key": c.public_key().to_hex(), "name": c.name}],
                    "remove": [a.public_key().to_hex()]
                },
                "fund": FUND, "key": key, "kind": "trustees", "signed_at": now().to_string()
            })
        };
        let r = client
            .append(&sign_value(&change("rotate-1"), &[&a.key]))
            .await
            .expect("answer");
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (403, Some("quorum_not_met"))
        );
        // The new key cannot sign its own admission.
        let r = client
            .append(&sign_value(&change("rotate-2"), &[&b.key, &c.key]))
            .await
            .expect("answer");
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (403, Some("unknown_signer"))
        );
        // A and B rotate A out and C in.
        ok(client
            .append(&sign_value(&change("rotate-3"), &[&a.key, &b.key]))
            .await
            .expect("answer"));

        let r = client
            .append(&a.donation(FUND, "after-a", 1_000))
            .await
            .expect("answer");
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (403, Some("unknown_signer")),
            "the removed key is refused"
        );
        ok(client
            .append(&c.donation(FUND, "after-c", 1_000))
            .await
            .expect("answer"));

        let report = client.verify_export(FUND).await.expect("export");
        assert!(report.is_clean(), "{:?}", report.findings);
    });
}
