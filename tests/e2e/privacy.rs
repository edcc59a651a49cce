//! Donor privacy end to end (DESIGN §5): a resident's name and phone go to the vault, never
//! into the chain or any public answer; auditors read the vault; the operator erases a
//! donor's identity and the chain still verifies. On SQLite the raw database file and its
//! WAL are scanned too: they never hold the name, the phone number or the salt (the vault
//! record is sealed), and after the erasure not even the sealed record.

use std::path::{Path, PathBuf};

use community_ledger::{each_backend, now, sign_value, Client, Deployment, Trustee};
use ledger_core::donor::{commitment, identity_string};
use reqwest::Method;
use serde_json::{json, Value};

const FUND: &str = "privacy-fund";
const NAME: &str = "张秀兰";
const PHONE: &str = "13912345678";

fn resident_donation(key: &str, salt: &[u8; 16], name: &str, phone: &str) -> Value {
    let c = commitment(salt, &identity_string(name, phone));
    json!({
        "body": {
            "amount": "88.00", "channel": "wechat_pay", "receipt_no": format!("R-{key}"),
            "donor": {"class": "resident", "commitment": c.to_hex()}
        },
        "fund": FUND, "key": key, "kind": "donation", "signed_at": now().to_string()
    })
}

/// Every public answer about the fund, as text.
async fn public_answers(client: &Client, size: u64) -> Vec<(String, String)> {
    let mut paths = vec![
        "/healthz".to_owned(),
        "/metrics".to_owned(),
        "/api/v1/openapi.json".to_owned(),
        "/api/v1/log".to_owned(),
        "/api/v1/funds".to_owned(),
        format!("/api/v1/funds/{FUND}"),
        format!("/api/v1/funds/{FUND}/entries?limit=1000"),
        format!("/api/v1/funds/{FUND}/checkpoint"),
        format!("/api/v1/funds/{FUND}/export"),
        format!("/api/v1/funds/{FUND}/proofs/consistency?from=1"),
    ];
    for seq in 0..size {
        paths.push(format!("/api/v1/funds/{FUND}/entries/{seq}"));
        paths.push(format!("/api/v1/funds/{FUND}/proofs/inclusion?seq={seq}"));
    }
    let mut out = Vec::new();
    for p in paths {
        let resp = client
            .request(Method::GET, &p)
            .send()
            .await
            .expect("answer");
        assert_eq!(resp.status().as_u16(), 200, "GET {p}");
        out.push((p, resp.text().await.expect("text")));
    }
    out
}

/// The deployment's SQLite file; `None` on PostgreSQL.
fn sqlite_file(d: &Deployment) -> Option<PathBuf> {
    d.config()
        .database_url
        .is_none()
        .then(|| d.data_dir().join("ledger.db"))
}

/// The bytes on disk: the database file, then its WAL (if any).
fn raw_bytes(db: &Path) -> Vec<u8> {
    let mut bytes = std::fs::read(db).expect("the database file");
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    bytes.extend(std::fs::read(&wal).unwrap_or_default());
    bytes
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The sealed vault record of entry `seq`, read from the running server's SQLite file.
async fn sealed_record(db: &Path, seq: u64) -> Vec<u8> {
    use sqlx::{Connection, Row};
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", db.display()))
        .await
        .expect("the database opens read-only");
    let sealed: Vec<u8> =
        sqlx::query("SELECT sealed FROM donor_vault_sealed WHERE fund = ?1 AND seq = ?2")
            .bind(FUND)
            .bind(seq as i64)
            .fetch_one(&mut conn)
            .await
            .expect("the sealed record")
            .get(0);
    conn.close().await.expect("closes");
    sealed
}

/// The forms a string can take in a JSON answer.
fn forms(s: &str) -> Vec<String> {
    let escaped: String = s.chars().map(|c| format!("\\u{:04x}", c as u32)).collect();
    vec![s.to_owned(), escaped.clone(), escaped.to_uppercase()]
}

#[test]
fn a_residents_identity_is_only_in_the_vault_and_can_be_erased() {
    each_backend("a_residents_identity", async |d| {
        let auditor_token = d.auditor_token();
        let operator_token = d.operator_token();
        let client = d.client();
        let entries = format!("/api/v1/funds/{FUND}/entries");
        let trustee = Trustee::random("管理人甲");
        let token = d
            .create_fund(FUND, &[&trustee], (1, 1, 1))
            .await
            .trustee_token;
        let writer = client.public().with_token(&token);
        let salt = [7u8; 16];

        // An identity that does not match the commitment is refused; nothing is written.
        let signed = sign_value(
            &resident_donation("res-1", &salt, NAME, PHONE),
            &[&trustee.key],
        );
        let mut body = signed.body();
        body["donor_identity"] = json!({"salt": hex::encode(salt), "name": "李四", "phone": PHONE});
        let (status, v) = writer.send_json(Method::POST, &entries, Some(&body)).await;
        assert_eq!(
            (status, v["code"].as_str()),
            (422, Some("donor_identity_invalid"))
        );
        let size = client
            .get_json(&format!("/api/v1/funds/{FUND}"))
            .await
            .expect("fund")["size"]
            .as_u64();
        assert_eq!(size, Some(1), "the refused donation wrote nothing");
        let auditor = client.public().with_token(&auditor_token);
        let vault = auditor
            .get_json(&format!("/api/v1/funds/{FUND}/vault"))
            .await
            .expect("vault");
        assert_eq!(vault["donors"], json!([]), "nor anything in the vault");

        // The matching identity is accepted.
        body["donor_identity"] = json!({"salt": hex::encode(salt), "name": NAME, "phone": PHONE});
        let (status, v) = writer.send_json(Method::POST, &entries, Some(&body)).await;
        assert_eq!(status, 201, "{v}");
        let seq = v["seq"].as_u64().expect("seq");

        // On disk (SQLite): neither the database file nor its WAL holds the name, the phone
        // number or the salt; the scan does find the sealed record.
        let on_disk = match sqlite_file(d) {
            Some(db) => {
                let raw = raw_bytes(&db);
                for (what, needle) in [
                    ("name", NAME.as_bytes()),
                    ("phone", PHONE.as_bytes()),
                    ("salt", &salt[..]),
                ] {
                    assert!(
                        !contains(&raw, needle),
                        "the database files hold the {what}"
                    );
                }
                let sealed = sealed_record(&db, seq).await;
                assert!(contains(&raw, &sealed), "the scan sees the sealed record");
                Some((db, sealed))
            }
            None => None,
        };

        // No public answer holds the name or the phone number, in any JSON form.
        for (path, text) in public_answers(&client.public(), seq + 1).await {
            for f in forms(NAME).iter().chain(&forms(PHONE)) {
                assert!(!text.contains(f.as_str()), "GET {path} reveals {f}");
            }
        }
        let (status, v) = client
            .public()
            .send_json(Method::POST, &entries, Some(&json!({})))
            .await;
        assert_eq!(status, 401, "{v}");
        let vault_path = format!("/api/v1/funds/{FUND}/vault/{seq}");
        let resp = client
            .public()
            .request(Method::GET, &vault_path)
            .send()
            .await
            .expect("answer");
        assert_eq!(
            resp.status().as_u16(),
            401,
            "the public cannot read the vault"
        );

        // The auditor reads the identity, and it matches the chain's commitment.
        let rec = auditor.get_json(&vault_path).await.expect("vault record");
        assert_eq!(
            (rec["name"].as_str(), rec["phone"].as_str()),
            (Some(NAME), Some(PHONE))
        );
        assert_eq!(rec["salt"], hex::encode(salt));

        // Erasure: the operator deletes it; the auditor no longer finds it; the chain
        // still verifies.
        let op = client.public().with_token(&operator_token);
        let resp = op
            .request(Method::DELETE, &vault_path)
            .send()
            .await
            .expect("answer");
        assert_eq!(resp.status().as_u16(), 204);
        let resp = auditor
            .request(Method::GET, &vault_path)
            .send()
            .await
            .expect("answer");
        assert_eq!(resp.status().as_u16(), 404);
        let resp = op
            .request(Method::DELETE, &vault_path)
            .send()
            .await
            .expect("answer");
        assert_eq!(resp.status().as_u16(), 404, "erasing twice finds nothing");
        // On disk (SQLite): not even the sealed record is left, in the file or its WAL.
        if let Some((db, sealed)) = &on_disk {
            let raw = raw_bytes(db);
            assert!(
                !contains(&raw, sealed),
                "the erased record's ciphertext is still on disk"
            );
            for needle in [NAME.as_bytes(), PHONE.as_bytes()] {
                assert!(!contains(&raw, needle));
            }
        }
        let report = client.verify_export(FUND).await.expect("export");
        assert!(report.is_clean(), "{:?}", report.findings);
    });
}
