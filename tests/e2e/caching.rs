//! Caching headers end to end (`ledger-api/src/caching.rs`), one server: each class of
//! route answers with its `Cache-Control`, cacheable ones with a strong `ETag` (the
//! SHA-256 of the body) and `304 Not Modified` to a matching `If-None-Match`; anything
//! asked with credentials, failing, or private is `private, no-store` without a tag.

use community_ledger::{Deployment, Trustee};
use ledger_core::hash::sha256;
use reqwest::header::{CACHE_CONTROL, COOKIE, ETAG, IF_NONE_MATCH, VARY};
use reqwest::{Method, StatusCode};

const FUND: &str = "caching-fund";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const SHORT: &str = "public, max-age=5";
const PRIVATE: &str = "private, no-store";

/// What a GET answered: status, Cache-Control, ETag, Vary, body.
struct Got {
    status: StatusCode,
    cache: String,
    etag: Option<String>,
    vary: Option<String>,
    body: Vec<u8>,
}

async fn get(rb: reqwest::RequestBuilder) -> Got {
    let resp = rb.send().await.expect("an answer");
    let h = |n| {
        resp.headers()
            .get(n)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    let (status, cache, etag, vary) = (resp.status(), h(CACHE_CONTROL), h(ETAG), h(VARY));
    Got {
        status,
        cache: cache.unwrap_or_default(),
        etag,
        vary,
        body: resp.bytes().await.expect("a body").to_vec(),
    }
}

/// Asserts `path` answers 200 with `cache`, a strong ETag that is the body's SHA-256, and
/// 304 (no body, same tag) to that tag; returns the tag.
async fn cacheable(client: &community_ledger::Client, path: &str, cache: &str) -> String {
    let first = get(client.request(Method::GET, path)).await;
    assert_eq!(first.status, StatusCode::OK, "{path}");
    assert_eq!(first.cache, cache, "{path}: Cache-Control");
    let etag = first.etag.unwrap_or_else(|| panic!("{path}: no ETag"));
    assert_eq!(
        etag,
        format!("\"{}\"", hex::encode(sha256(&first.body).0)),
        "{path}: the ETag is the body's SHA-256"
    );
    let again = get(client
        .request(Method::GET, path)
        .header(IF_NONE_MATCH, format!("\"other\", {etag}")))
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{path}: 304");
    assert!(again.body.is_empty(), "{path}: a 304 has no body");
    assert_eq!(again.etag.as_deref(), Some(etag.as_str()), "{path}");
    assert_eq!(again.cache, cache, "{path}: 304 Cache-Control");
    let other = get(client
        .request(Method::GET, path)
        .header(IF_NONE_MATCH, "\"other\""))
    .await;
    assert_eq!(other.status, StatusCode::OK, "{path}: another tag");
    etag
}

/// Asserts `rb` answers `status` with `private, no-store` and no ETag.
async fn private(rb: reqwest::RequestBuilder, status: StatusCode, what: &str) {
    let got = get(rb).await;
    assert_eq!(got.status, status, "{what}");
    assert_eq!(got.cache, PRIVATE, "{what}: Cache-Control");
    assert_eq!(got.etag, None, "{what}: no ETag");
}

#[test]
fn each_class_of_route_carries_its_caching_headers() {
    let server = Deployment::sqlite("caching");
    let rt = community_ledger::runtime();
    rt.block_on(async {
        let trustee = Trustee::random("管理人甲");
        let token = server
            .create_fund(FUND, &[&trustee], (1, 1, 1))
            .await
            .trustee_token;
        let client = server.client();
        let public = client.public();
        let ack = client
            .append(&trustee.donation(FUND, "d-1", 1_000))
            .await
            .expect("append")
            .ack()
            .expect("appended");
        let seq = ack.seq;

        // Immutable: an entry by seq, a proof between fixed sizes, a versioned file.
        cacheable(
            &public,
            &format!("/api/v1/funds/{FUND}/entries/{seq}"),
            IMMUTABLE,
        )
        .await;
        let size = seq + 1;
        cacheable(
            &public,
            &format!("/api/v1/funds/{FUND}/proofs/inclusion?seq=0&size={size}"),
            IMMUTABLE,
        )
        .await;
        cacheable(
            &public,
            &format!("/api/v1/funds/{FUND}/proofs/consistency?from=1&to={size}"),
            IMMUTABLE,
        )
        .await;
        let page = get(public.request(Method::GET, "/")).await;
        let html = String::from_utf8(page.body).expect("html");
        let css = html
            .split('"')
            .find(|s| s.starts_with("/static/style.css?v="))
            .expect("the page links its stylesheet by version")
            .to_owned();
        cacheable(&public, &css, IMMUTABLE).await;

        // Short: what changes as the log grows, and files asked for without a version.
        cacheable(&public, "/static/style.css", SHORT).await;
        cacheable(&public, "/static/style.css?v=0000000000000000", SHORT).await;
        cacheable(
            &public,
            &format!("/api/v1/funds/{FUND}/proofs/inclusion?seq=0"),
            SHORT,
        )
        .await;
        cacheable(&public, "/api/v1/funds", SHORT).await;
        let fund_tag = cacheable(&public, &format!("/api/v1/funds/{FUND}"), SHORT).await;
        cacheable(
            &public,
            &format!("/api/v1/funds/{FUND}/checkpoint/latest"),
            SHORT,
        )
        .await;
        cacheable(&public, &format!("/api/v1/funds/{FUND}/months"), SHORT).await;
        let fund_page = format!("/funds/{FUND}");
        cacheable(&public, &fund_page, SHORT).await;
        let page = get(public
            .request(Method::GET, &fund_page)
            .header(COOKIE, "lang=en"))
        .await;
        assert_eq!(page.cache, SHORT, "a page in English is still public");
        assert_eq!(
            page.vary.as_deref(),
            Some("Cookie"),
            "pages vary by their cookie"
        );
        // The current month is not final.
        let months = public
            .get_json(&format!("/api/v1/funds/{FUND}/months"))
            .await
            .expect("months");
        let month = months["months"][0]["month"]
            .as_str()
            .expect("a month")
            .to_owned();
        assert_eq!(months["months"][0]["final"], false);
        cacheable(
            &public,
            &format!("/api/v1/funds/{FUND}/months/{month}"),
            SHORT,
        )
        .await;
        // A month before the fund's is closed (entries are recorded in time order):
        // final, empty; one after its last is open. A bad month is a problem, not cached.
        cacheable(
            &public,
            &format!("/api/v1/funds/{FUND}/months/2001-01"),
            IMMUTABLE,
        )
        .await;
        let before = public
            .get_json(&format!("/api/v1/funds/{FUND}/months/2001-01"))
            .await
            .expect("an empty month");
        assert_eq!(
            (before["count"].as_u64(), before["final"].as_bool()),
            (Some(0), Some(true))
        );
        cacheable(
            &public,
            &format!("/api/v1/funds/{FUND}/months/2999-01"),
            SHORT,
        )
        .await;
        private(
            public.request(Method::GET, &format!("/api/v1/funds/{FUND}/months/2001-13")),
            StatusCode::BAD_REQUEST,
            "a bad month",
        )
        .await;

        // A short one changes with the log: the old tag no longer matches.
        client
            .append(&trustee.donation(FUND, "d-2", 2_000))
            .await
            .expect("append")
            .ack()
            .expect("appended");
        let after = get(public
            .request(Method::GET, &format!("/api/v1/funds/{FUND}"))
            .header(IF_NONE_MATCH, &fund_tag))
        .await;
        assert_eq!(after.status, StatusCode::OK, "the fund changed");
        assert_ne!(after.etag.as_deref(), Some(fund_tag.as_str()));

        // Private: authenticated routes, any request with credentials, a session cookie,
        // errors, writes, metrics.
        let trustee_client = public.with_token(&token);
        let auditor = public.with_token(&server.auditor_token());
        private(
            auditor.request(Method::GET, &format!("/api/v1/funds/{FUND}/vault")),
            StatusCode::OK,
            "the vault",
        )
        .await;
        private(
            trustee_client.request(Method::GET, &format!("/api/v1/funds/{FUND}/entries/{seq}")),
            StatusCode::OK,
            "an entry asked with a token",
        )
        .await;
        private(
            trustee_client.request(
                Method::GET,
                &format!("/api/v1/funds/{FUND}/entries/{seq}/receipt?donor=true"),
            ),
            StatusCode::NOT_FOUND, // this donor's identity is not in the vault
            "the donor's receipt",
        )
        .await;
        private(
            public
                .request(Method::GET, &fund_page)
                .header(COOKIE, "lang=en; session=abc"),
            StatusCode::OK,
            "a page asked with a session cookie",
        )
        .await;
        private(
            public.request(Method::GET, &format!("/api/v1/funds/{FUND}/entries/999")),
            StatusCode::NOT_FOUND,
            "an entry not yet written",
        )
        .await;
        private(
            public.request(Method::GET, "/api/v1/no-such-route"),
            StatusCode::NOT_FOUND,
            "an unknown route",
        )
        .await;
        private(
            public.request(Method::GET, "/metrics"),
            StatusCode::OK,
            "metrics",
        )
        .await;
        private(
            public
                .request(Method::POST, &format!("/api/v1/funds/{FUND}/entries"))
                .json(&serde_json::json!({})),
            StatusCode::UNAUTHORIZED,
            "a write without a token",
        )
        .await;
    });
}
