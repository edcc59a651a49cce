//! Roles end to end on the real server: what the public, a trustee, an operator and an
//! auditor may and may not do; tokens issued and revoked with `ledger-server token`; and a
//! write that needs both a trustee token for the fund and the trustees' signatures.

use community_ledger::{each_backend, now, random_key, sign_intent, Deployment, Trustee};
use reqwest::Method;
use serde_json::{json, Value};

#[test]
fn each_role_may_do_what_it_is_for_and_nothing_else() {
    each_backend("each_role_may_do_wha", async |d| {
        let op_token = d.operator_token();
        let auditor_token = d.auditor_token();
        let operator = d.operator().clone();
        let client = d.client();
        let trustee = Trustee::random("管理人甲");
        let token_a = d
            .create_fund("roles-a", &[&trustee], (1, 1, 1))
            .await
            .trustee_token;
        d.create_fund("roles-b", &[&trustee], (1, 1, 1)).await;
        let public = client.public();
        let op = public.with_token(&op_token);
        let auditor = public.with_token(&auditor_token);
        let trustee_a = public.with_token(&token_a);

        let donation = |key: &str| trustee.donation("roles-a", key, 10_000);

        // The public reads, and cannot write or see the vault or credentials.
        for path in [
            "/api/v1/funds",
            "/api/v1/funds/roles-a",
            "/api/v1/funds/roles-a/entries",
            "/api/v1/funds/roles-a/entries/0",
            "/api/v1/funds/roles-a/checkpoint",
            "/api/v1/funds/roles-a/export",
            "/api/v1/funds/roles-a/proofs/inclusion?seq=0",
            "/api/v1/log",
        ] {
            let resp = public
                .request(Method::GET, path)
                .send()
                .await
                .expect("answer");
            assert_eq!(resp.status().as_u16(), 200, "public GET {path}");
        }
        let r = public.append(&donation("pub-1")).await.expect("answer");
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (401, Some("unauthenticated"))
        );
        for (m, path) in [
            (Method::GET, "/api/v1/funds/roles-a/vault"),
            (Method::GET, "/api/v1/credentials"),
            (Method::DELETE, "/api/v1/funds/roles-a/vault/1"),
        ] {
            assert_eq!(
                public.status_code(m.clone(), path, None).await,
                (401, "unauthenticated".into()),
                "public {m} {path}"
            );
        }

        // A trustee writes its own fund only, and only non-genesis entries.
        let r = trustee_a.append(&donation("t-1")).await.expect("answer");
        assert_eq!(r.status, 201, "{}", r.body);
        let other = trustee.donation("roles-b", "t-2", 10_000);
        let r = trustee_a.append(&other).await.expect("answer");
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (403, Some("forbidden_fund"))
        );
        let genesis = community_ledger::genesis_intent(
            "roles-c",
            &[&trustee],
            community_ledger::single_trustee_policy(),
        );
        let r = trustee_a
            .append(&sign_intent(&genesis, &[&operator]))
            .await
            .expect("answer");
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (403, Some("forbidden_role"))
        );
        for (m, path) in [
            (Method::GET, "/api/v1/funds/roles-a/vault"),
            (Method::GET, "/api/v1/credentials"),
        ] {
            assert_eq!(
                trustee_a.status_code(m, path, None).await,
                (403, "forbidden_role".into()),
                "trustee {path}"
            );
        }

        // A token is not enough: the intent must carry a trustee's signature.
        let stranger = Trustee {
            name: "陌生人".into(),
            key: random_key(),
        };
        let r = trustee_a
            .append(&stranger.donation("roles-a", "t-3", 10_000))
            .await
            .expect("answer");
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (403, Some("unknown_signer"))
        );

        // The operator creates funds and manages credentials, but writes no other entry
        // and does not read the vault.
        let r = op
            .append(&sign_intent(&genesis, &[&operator]))
            .await
            .expect("answer");
        assert_eq!(r.status, 201, "{}", r.body);
        let r = op.append(&donation("op-1")).await.expect("answer");
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (403, Some("forbidden_role"))
        );
        assert_eq!(
            op.status_code(Method::GET, "/api/v1/funds/roles-a/vault", None)
                .await,
            (403, "forbidden_role".into())
        );
        assert_eq!(
            op.status_code(Method::GET, "/api/v1/credentials", None)
                .await
                .0,
            200
        );

        // The auditor reads the vault and writes nothing.
        assert_eq!(
            auditor
                .status_code(Method::GET, "/api/v1/funds/roles-a/vault", None)
                .await
                .0,
            200
        );
        let r = auditor.append(&donation("au-1")).await.expect("answer");
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (403, Some("forbidden_role"))
        );
        assert_eq!(
            auditor
                .status_code(
                    Method::POST,
                    "/api/v1/credentials",
                    Some(&json!({"role": "auditor", "label": "x"}))
                )
                .await,
            (403, "forbidden_role".into())
        );

        // Malformed and unknown tokens are refused even on public routes.
        for bad in [
            "clt_nothex",
            "Basic abc",
            &format!("clt_{}", "0".repeat(64)),
        ] {
            let resp = public
                .request(Method::GET, "/api/v1/funds")
                .header(
                    "authorization",
                    if bad.starts_with("clt_") {
                        format!("Bearer {bad}")
                    } else {
                        bad.to_owned()
                    },
                )
                .send()
                .await
                .expect("answer");
            assert_eq!(resp.status().as_u16(), 401, "token {bad}");
        }

        // Issue requests are checked: a trustee names an existing fund; others name none.
        for (body, code) in [
            (json!({"role": "trustee", "label": "x"}), "fund_required"),
            (
                json!({"role": "trustee", "fund": "nope", "label": "x"}),
                "fund_not_found",
            ),
            (
                json!({"role": "auditor", "fund": "roles-a", "label": "x"}),
                "fund_not_allowed",
            ),
            (json!({"role": "root", "label": "x"}), "role_unknown"),
            (json!({"role": "auditor", "label": ""}), "label_invalid"),
        ] {
            let (_, got) = op
                .status_code(Method::POST, "/api/v1/credentials", Some(&body))
                .await;
            assert_eq!(got, code, "{body}");
        }
        let before = op
            .status_code(Method::GET, "/api/v1/credentials", None)
            .await;
        assert_eq!(before.0, 200);
        let _ = now();
    });
}

#[test]
fn tokens_are_issued_listed_and_revoked_by_command_and_stored_only_as_hashes() {
    let server = Deployment::sqlite("tokens_are_issued");
    let auditor_token = server.auditor_token();
    let client = server.client().public().with_token(&auditor_token);
    let rt = community_ledger::runtime();
    rt.block_on(async {
        let r = client
            .request(Method::GET, "/api/v1/funds")
            .send()
            .await
            .expect("answer");
        assert_eq!(r.status().as_u16(), 200);
    });

    let binary = community_ledger::server_binary();
    let list = std::process::Command::new(&binary)
        .args(server.config().database_args())
        .args(["token", "list"])
        .output()
        .expect("token list");
    assert!(list.status.success());
    let listing = String::from_utf8_lossy(&list.stdout).into_owned();
    assert!(
        !listing.contains(&auditor_token),
        "a listing never shows a token"
    );
    let id = listing
        .lines()
        .find(|l| l.contains("\tauditor\t"))
        .and_then(|l| l.split('\t').next())
        .expect("the auditor credential is listed")
        .to_owned();

    // The database holds no token, only hashes.
    let db = std::fs::read(server.data_dir().join("ledger.db")).expect("db file");
    let wal = std::fs::read(server.data_dir().join("ledger.db-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(
            !bytes
                .windows(auditor_token.len())
                .any(|w| w == auditor_token.as_bytes()),
            "the token is stored in clear"
        );
    }

    let revoke = std::process::Command::new(&binary)
        .args(server.config().database_args())
        .args(["token", "revoke", &id])
        .output()
        .expect("token revoke");
    assert!(
        revoke.status.success(),
        "{}",
        String::from_utf8_lossy(&revoke.stderr)
    );
    let again = std::process::Command::new(&binary)
        .args(server.config().database_args())
        .args(["token", "revoke", &id])
        .output()
        .expect("token revoke");
    assert!(!again.status.success(), "revoking twice is an error");
    let bad_fund = std::process::Command::new(&binary)
        .args(server.config().database_args())
        .args([
            "token", "issue", "--role", "trustee", "--fund", "missing", "--label", "x",
        ])
        .output()
        .expect("token issue");
    assert!(
        !bad_fund.status.success(),
        "a trustee token for a missing fund"
    );
    assert!(bad_fund.stdout.is_empty(), "no token is printed on failure");

    rt.block_on(async {
        let r = client
            .request(Method::GET, "/api/v1/funds")
            .send()
            .await
            .expect("answer");
        assert_eq!(
            r.status().as_u16(),
            401,
            "a revoked token is refused at once"
        );
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["code"], "token_invalid");
    });
}

#[test]
fn the_operator_revokes_through_the_api() {
    let server = Deployment::sqlite("the_operator_revokes");
    let op_token = server.operator_token();
    community_ledger::runtime().block_on(async {
        let op = server.client().public().with_token(&op_token);
        let resp = op
            .request(Method::POST, "/api/v1/credentials")
            .json(&json!({"role": "auditor", "label": "审计员王"}))
            .send()
            .await
            .expect("answer");
        assert_eq!(resp.status().as_u16(), 201);
        let issued: Value = resp.json().await.expect("json");
        let token = issued["token"].as_str().expect("token").to_owned();
        let id = issued["id"].as_str().expect("id").to_owned();
        let auditor = server.client().public().with_token(&token);
        assert_eq!(
            auditor
                .status_code(Method::GET, "/api/v1/funds", None)
                .await
                .0,
            200
        );
        let listed = op.get_json("/api/v1/credentials").await.expect("list");
        assert!(
            !listed.to_string().contains(&token),
            "listing shows no token"
        );
        assert_eq!(
            op.status_code(Method::DELETE, &format!("/api/v1/credentials/{id}"), None)
                .await
                .0,
            200
        );
        assert_eq!(
            op.status_code(Method::DELETE, &format!("/api/v1/credentials/{id}"), None)
                .await,
            (409, "already_revoked".into())
        );
        assert_eq!(
            auditor
                .status_code(Method::GET, "/api/v1/funds", None)
                .await,
            (401, "token_invalid".into())
        );
    });
}
