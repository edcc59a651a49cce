//! The trustees' workspace sessions end to end (issue 18): sign-in with a token, the
//! `ledger_session` cookie and its attributes, CSRF on every write the cookie
//! authenticates, revocation and expiry, sign-out, and the sign-in rate limit.

use std::time::{Duration, Instant};

use community_ledger::{each_backend, Deployment, Trustee};
use reqwest::header::{HeaderMap, COOKIE, ORIGIN, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A plain HTTP client (no cookie store: the tests set the cookie themselves).
fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// A signed-in session: the cookie's value, its `Set-Cookie` line and the CSRF token.
struct Signed {
    id: String,
    set_cookie: String,
    csrf: String,
}

async fn sign_in(
    base: &str,
    token: &str,
    extra: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Value) {
    let mut rb = http()
        .post(format!("{base}/trustee/session"))
        .json(&json!({ "token": token }));
    for (k, v) in extra {
        rb = rb.header(*k, *v);
    }
    let resp = rb.send().await.expect("answer");
    let status = resp.status();
    let headers = resp.headers().clone();
    (status, headers, resp.json().await.unwrap_or(Value::Null))
}

async fn signed_in(base: &str, token: &str) -> Signed {
    let (status, headers, body) = sign_in(base, token, &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let set_cookie = headers
        .get(SET_COOKIE)
        .expect("a session cookie")
        .to_str()
        .unwrap()
        .to_owned();
    let id = set_cookie
        .strip_prefix("ledger_session=")
        .and_then(|r| r.split(';').next())
        .expect("ledger_session=…")
        .to_owned();
    Signed {
        id,
        set_cookie,
        csrf: body["csrf"].as_str().expect("csrf").to_owned(),
    }
}

/// Sends `method path` with the session cookie and `headers`; returns status and JSON.
async fn with_cookie(
    base: &str,
    s: &Signed,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> (u16, Value) {
    let mut rb = http()
        .request(method, format!("{base}{path}"))
        .header(COOKIE, format!("ledger_session={}", s.id));
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    if let Some(b) = body {
        rb = rb.json(b);
    }
    let resp = rb.send().await.expect("answer");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn size(d: &Deployment, fund: &str) -> u64 {
    let (_, v) = d
        .client()
        .public()
        .send_json(Method::GET, &format!("/api/v1/funds/{fund}"), None)
        .await;
    v["size"].as_u64().expect("size")
}

#[test]
fn sign_in_refuses_bad_tokens_and_other_roles_and_is_rate_limited() {
    let d = Deployment::sqlite_with(
        "session_bad_token",
        &["--rate-limit", "1000", "--rate-burst", "1000"],
    );
    let rt = community_ledger::runtime();
    rt.block_on(async {
        let base = d.base_url().to_owned();
        let trustee = Trustee::random("甲");
        let fund = d.create_fund("sess-bad", &[&trustee], (1, 1, 1)).await;
        let unknown = format!("clt_{}", "ab".repeat(32));
        let mut attempts = 0;
        for bad in ["", "clt_00", "Bearer x", unknown.as_str()] {
            let (status, headers, body) = sign_in(&base, bad, &[]).await;
            attempts += 1;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad:?}: {body}");
            assert_eq!(body["code"], "token_invalid");
            assert!(headers.get(SET_COOKIE).is_none(), "no cookie for {bad:?}");
        }
        for role in ["operator", "auditor"] {
            let token = d.issue_token(role, None);
            let (status, headers, body) = sign_in(&base, &token, &[]).await;
            attempts += 1;
            assert_eq!(
                (status.as_u16(), body["code"].as_str()),
                (403, Some("session_role")),
                "{role}"
            );
            assert!(headers.get(SET_COOKIE).is_none());
        }
        // A sign-in posted by another site's page (login CSRF) is refused.
        let (status, _, body) = sign_in(
            &base,
            &fund.trustee_token,
            &[("origin", "http://evil.example")],
        )
        .await;
        attempts += 1;
        assert_eq!(
            (status.as_u16(), body["code"].as_str()),
            (403, Some("csrf_refused"))
        );
        // Ten attempts a minute per address, then 429 with Retry-After.
        let mut limited = None;
        for _ in attempts..12 {
            let (status, headers, _) = sign_in(&base, &unknown, &[]).await;
            if status == StatusCode::TOO_MANY_REQUESTS {
                limited = Some(headers);
                break;
            }
        }
        let headers = limited.expect("sign-in attempts are rate-limited");
        assert!(headers.get("retry-after").is_some());
    });
}

#[test]
fn a_cookie_write_needs_the_csrf_token_and_this_site_and_writes_nothing_without() {
    each_backend("session_csrf", async |d| {
        let base = d.base_url().to_owned();
        let trustee = Trustee::random("甲");
        let fund = d.create_fund("sess-csrf", &[&trustee], (1, 1, 1)).await;
        let s = signed_in(&base, &fund.trustee_token).await;
        let path = "/api/v1/funds/sess-csrf/entries";
        let origin = base.as_str();
        let before = size(d, "sess-csrf").await;
        let refused: [&[(&str, &str)]; 5] = [
            &[],
            &[("x-csrf-token", "0".repeat(32).leak())],
            &[
                ("x-csrf-token", s.csrf.clone().leak()),
                ("origin", "http://evil.example"),
            ],
            &[
                ("x-csrf-token", s.csrf.clone().leak()),
                ("sec-fetch-site", "cross-site"),
            ],
            &[("origin", origin)],
        ];
        for (i, headers) in refused.iter().enumerate() {
            let body = trustee
                .donation("sess-csrf", &format!("csrf-{i}"), 1_000)
                .body();
            let (status, v) =
                with_cookie(&base, &s, Method::POST, path, headers, Some(&body)).await;
            assert_eq!(
                (status, v["code"].as_str()),
                (403, Some("csrf_refused")),
                "case {i}: {v}"
            );
        }
        assert_eq!(size(d, "sess-csrf").await, before, "nothing was written");
        // Sign-out needs it too.
        let (status, v) =
            with_cookie(&base, &s, Method::DELETE, "/trustee/session", &[], None).await;
        assert_eq!((status, v["code"].as_str()), (403, Some("csrf_refused")));
        // With the token, from this site, the cookie stands for the trustee's token.
        let body = trustee.donation("sess-csrf", "csrf-ok", 1_000).body();
        let ok = [
            ("x-csrf-token", s.csrf.as_str()),
            ("origin", origin),
            ("sec-fetch-site", "same-origin"),
        ];
        let (status, v) = with_cookie(&base, &s, Method::POST, path, &ok, Some(&body)).await;
        assert_eq!(status, 201, "{v}");
        assert_eq!(size(d, "sess-csrf").await, before + 1);
        // Reads need no CSRF token.
        let (status, v) = with_cookie(
            &base,
            &s,
            Method::GET,
            "/api/v1/funds/sess-csrf/proposals",
            &[],
            None,
        )
        .await;
        assert_eq!(status, 200, "{v}");
        // Bearer tokens work as before, without CSRF.
        let r = d
            .client()
            .with_token(&fund.trustee_token)
            .append(&trustee.donation("sess-csrf", "bearer", 1_000))
            .await
            .expect("answer");
        assert_eq!(r.status, 201);
    });
}

#[test]
fn revoking_the_token_ends_its_sessions_at_once_and_sign_out_ends_one() {
    each_backend("session_revoke", async |d| {
        let base = d.base_url().to_owned();
        let trustee = Trustee::random("甲");
        let fund = d.create_fund("sess-rev", &[&trustee], (1, 1, 1)).await;
        let a = signed_in(&base, &fund.trustee_token).await;
        let b = signed_in(&base, &fund.trustee_token).await;
        let (status, me) = with_cookie(&base, &a, Method::GET, "/trustee/session", &[], None).await;
        assert_eq!(status, 200);
        assert_eq!(me["fund"], "sess-rev");

        // Sign-out ends that session only.
        let out = [("x-csrf-token", a.csrf.as_str())];
        let (status, _) =
            with_cookie(&base, &a, Method::DELETE, "/trustee/session", &out, None).await;
        assert_eq!(status, 204);
        let (status, v) = with_cookie(&base, &a, Method::GET, "/trustee/session", &[], None).await;
        assert_eq!((status, v["code"].as_str()), (401, Some("session_expired")));
        let (status, _) = with_cookie(&base, &b, Method::GET, "/trustee/session", &[], None).await;
        assert_eq!(status, 200);

        // Revoking the credential kills the other one at once.
        let op = d.client().with_token(&d.operator_token());
        let (status, v) = op
            .send_json(
                Method::DELETE,
                &format!("/api/v1/credentials/{}", me["credential"].as_str().unwrap()),
                None,
            )
            .await;
        assert_eq!(status, 200, "{v}");
        let before = size(d, "sess-rev").await;
        let body = trustee.donation("sess-rev", "after-revoke", 1_000).body();
        let write = [("x-csrf-token", b.csrf.as_str())];
        let (status, v) = with_cookie(
            &base,
            &b,
            Method::POST,
            "/api/v1/funds/sess-rev/entries",
            &write,
            Some(&body),
        )
        .await;
        assert_eq!(
            (status, v["code"].as_str()),
            (401, Some("session_expired")),
            "{v}"
        );
        let (status, _) = with_cookie(&base, &b, Method::GET, "/trustee/session", &[], None).await;
        assert_eq!(status, 401);
        assert_eq!(size(d, "sess-rev").await, before, "nothing was written");
        // A dead cookie leaves the public pages readable.
        let (status, _) =
            with_cookie(&base, &b, Method::GET, "/api/v1/funds/sess-rev", &[], None).await;
        assert_eq!(status, 200);
    });
}

#[test]
fn an_idle_session_expires() {
    // 5 s: long enough that a loaded machine's round trip after sign-in never outlasts it.
    let d = Deployment::sqlite_with("session_idle", &["--session-idle", "5"]);
    let rt = community_ledger::runtime();
    rt.block_on(async {
        let base = d.base_url().to_owned();
        let trustee = Trustee::random("甲");
        let fund = d.create_fund("sess-idle", &[&trustee], (1, 1, 1)).await;
        let s = signed_in(&base, &fund.trustee_token).await;
        let server_now = |v: &Value| {
            v["idle_expires_at"].as_i64().unwrap() - v["idle_seconds"].as_i64().unwrap()
        };
        let (_, first) = with_cookie(&base, &s, Method::GET, "/trustee/session", &[], None).await;
        let t0 = server_now(&first);
        // Wait for the server's clock (read from fresh sessions: a request on the first
        // one would keep it alive) to pass its idle time, with a deadline.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let fresh = signed_in(&base, &fund.trustee_token).await;
            let (_, v) =
                with_cookie(&base, &fresh, Method::GET, "/trustee/session", &[], None).await;
            if server_now(&v) >= t0 + 6 {
                break;
            }
            assert!(Instant::now() < deadline, "the server's clock did not move");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let (status, v) = with_cookie(&base, &s, Method::GET, "/trustee/session", &[], None).await;
        assert_eq!(
            (status, v["code"].as_str()),
            (401, Some("session_expired")),
            "{v}"
        );
        let write = [("x-csrf-token", s.csrf.as_str())];
        let body = trustee.donation("sess-idle", "idle", 1_000).body();
        let (status, v) = with_cookie(
            &base,
            &s,
            Method::POST,
            "/api/v1/funds/sess-idle/entries",
            &write,
            Some(&body),
        )
        .await;
        assert_eq!((status, v["code"].as_str()), (401, Some("session_expired")));
    });
}

#[test]
fn the_cookie_is_http_only_strict_and_secure_over_https_and_only_its_hash_is_stored() {
    let d = Deployment::sqlite("session_cookie");
    let rt = community_ledger::runtime();
    rt.block_on(async {
        let base = d.base_url().to_owned();
        let trustee = Trustee::random("甲");
        let fund = d.create_fund("sess-cookie", &[&trustee], (1, 1, 1)).await;
        let s = signed_in(&base, &fund.trustee_token).await;
        let attrs: Vec<&str> = s.set_cookie.split("; ").skip(1).collect();
        assert_eq!(
            attrs,
            ["Path=/", "Max-Age=28800", "HttpOnly", "SameSite=Strict"],
            "{}",
            s.set_cookie
        );
        assert_eq!(s.id.len(), 64, "256 random bits");
        let (_, headers, _) = sign_in(
            &base,
            &fund.trustee_token,
            &[("x-forwarded-proto", "https")],
        )
        .await;
        let secure = headers.get(SET_COOKIE).unwrap().to_str().unwrap();
        assert!(secure.ends_with("; Secure"), "{secure}");
        // Sign-out clears the cookie.
        let origin = [("x-csrf-token", s.csrf.as_str()), ("origin", base.as_str())];
        let resp = http()
            .delete(format!("{base}/trustee/session"))
            .header(COOKIE, format!("ledger_session={}", s.id))
            .header("x-csrf-token", &s.csrf)
            .header(ORIGIN, origin[1].1)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 204);
        let cleared = resp.headers().get(SET_COOKIE).unwrap().to_str().unwrap();
        assert!(
            cleared.starts_with("ledger_session=;") && cleared.contains("Max-Age=0"),
            "{cleared}"
        );
        // The database never held the session id itself.
        for name in ["ledger.db", "ledger.db-wal"] {
            let path = d.data_dir().join(name);
            if let Ok(bytes) = std::fs::read(&path) {
                assert!(
                    !bytes.windows(s.id.len()).any(|w| w == s.id.as_bytes()),
                    "{name} holds the session id"
                );
            }
        }
    });
}
