//! HTTP caching: which `Cache-Control` each route's responses carry, their strong `ETag`
//! and the `304 Not Modified` answer to a matching `If-None-Match`, decided in one place
//! ([`cache_headers`], a middleware around every route) from one table ([`class_of`]).
//!
//! Three classes (README "Caching and nginx" lists them by route):
//! - [`CacheClass::Immutable`]: what can never change (an entry by seq, a statement, a
//!   proof between fixed sizes, a closed month's figures, a static file asked for by its
//!   content hash): `public, max-age=31536000, immutable`.
//! - [`CacheClass::Short`]: what changes as the log grows (heads, checkpoints, the fund
//!   list, the fund page): `public, max-age=5`, so that a cache in front (nginx) serves
//!   them at most [`SHORT_MAX_AGE_SECS`] seconds old.
//! - [`CacheClass::Private`]: anything authenticated or private (the vault, proposals,
//!   credentials, metrics, the trustees' pages and every route not in the table):
//!   `private, no-store`.
//!
//! Whatever the route, a response is `private, no-store` when the request carried
//! credentials (an `Authorization` header, or a cookie other than the language's), when
//! it sets a cookie, when its status is not 200, or when its method is not GET or HEAD:
//! a shared cache may only ever hold what any resident would be given.
//!
//! Routes whose answer is final only for some requests ([`CacheClass::FinalOrShort`]:
//! a proof is final when both sizes are given, a month when a later month has entries, a
//! static file when asked for by its hash) are short unless their handler marks the
//! response [`Final`].

use axum::body::{Body, HttpBody};
use axum::extract::{MatchedPath, Request};
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, COOKIE, ETAG, IF_NONE_MATCH, SET_COOKIE, VARY,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// Name of the cookie that remembers the pages' language: the one cookie that is not a
/// credential (a request carrying it may be answered from a shared cache, per cookie).
pub const LANG_COOKIE: &str = "lang";
/// `Cache-Control` of what can never change.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Seconds a shared cache may serve a changing response ([`CacheClass::Short`]).
pub const SHORT_MAX_AGE_SECS: u32 = 5;
/// `Cache-Control` of what changes as the log grows.
pub const SHORT: &str = "public, max-age=5";
/// `Cache-Control` of anything private or authenticated.
pub const PRIVATE: &str = "private, no-store";
/// Largest body given an `ETag` (hashed in memory); larger or streamed bodies (the
/// export) go without one.
pub const ETAG_BODY_BYTES_MAX: u64 = 4 * 1024 * 1024;

/// How long, and by whom, a route's successful responses may be cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheClass {
    /// Never changes: cached by anyone for a year.
    Immutable,
    /// Immutable when the handler marks the response [`Final`], else [`CacheClass::Short`].
    FinalOrShort,
    /// Changes as the log grows: cached by anyone for [`SHORT_MAX_AGE_SECS`].
    Short,
    /// Private or authenticated: cached by no one.
    Private,
}

impl CacheClass {
    /// The `Cache-Control` value of this class (a [`CacheClass::FinalOrShort`] response
    /// not marked final is short).
    pub fn cache_control(self) -> &'static str {
        match self {
            CacheClass::Immutable => IMMUTABLE,
            CacheClass::FinalOrShort | CacheClass::Short => SHORT,
            CacheClass::Private => PRIVATE,
        }
    }
}

/// A response extension set by a handler of a [`CacheClass::FinalOrShort`] route: this
/// answer can never change.
#[derive(Debug, Clone, Copy)]
pub struct Final;

/// The table: the cache class of each route (axum path template); every route not named
/// here is [`CacheClass::Private`].
pub const ROUTES: &[(&str, CacheClass)] = &[
    ("/api/v1/funds/{fund}/entries/{seq}", CacheClass::Immutable),
    (
        "/api/v1/funds/{fund}/proofs/inclusion",
        CacheClass::FinalOrShort,
    ),
    (
        "/api/v1/funds/{fund}/proofs/consistency",
        CacheClass::FinalOrShort,
    ),
    (
        "/api/v1/funds/{fund}/months/{month}",
        CacheClass::FinalOrShort,
    ),
    ("/static/{file}", CacheClass::FinalOrShort),
    ("/api/v1/openapi.json", CacheClass::Short),
    ("/.well-known/community-ledger", CacheClass::Short),
    ("/api/v1/log", CacheClass::Short),
    ("/api/v1/funds", CacheClass::Short),
    ("/api/v1/funds/{fund}", CacheClass::Short),
    ("/api/v1/funds/{fund}/entries", CacheClass::Short),
    (
        "/api/v1/funds/{fund}/entries/{seq}/receipt",
        CacheClass::Short,
    ),
    ("/api/v1/funds/{fund}/checkpoint", CacheClass::Short),
    ("/api/v1/funds/{fund}/checkpoint/latest", CacheClass::Short),
    ("/api/v1/funds/{fund}/export", CacheClass::Short),
    ("/api/v1/funds/{fund}/statements", CacheClass::Short),
    ("/api/v1/funds/{fund}/statements/draft", CacheClass::Short),
    // Not immutable: a supervisor's opinion on the statement may come later (issue 17).
    ("/api/v1/funds/{fund}/statements/{seq}", CacheClass::Short),
    ("/api/v1/funds/{fund}/months", CacheClass::Short),
    ("/", CacheClass::Short),
    ("/funds/{fund}", CacheClass::Short),
    ("/funds/{fund}/statements/{seq}", CacheClass::Short),
    ("/check", CacheClass::Short),
];

/// The residents' pages: their language comes from a cookie, so caches keep one copy per
/// cookie (`Vary: Cookie`).
const PAGES: &[&str] = &[
    "/",
    "/funds/{fund}",
    "/funds/{fund}/statements/{seq}",
    "/check",
];

/// The cache class of the route `path` (an axum path template).
pub fn class_of(path: &str) -> CacheClass {
    ROUTES
        .iter()
        .find(|(p, _)| *p == path)
        .map_or(CacheClass::Private, |(_, c)| *c)
}

/// True when the request carries credentials: an `Authorization` header or any cookie
/// but the language's (a trustee's session).
fn has_credentials(headers: &HeaderMap) -> bool {
    headers.contains_key(AUTHORIZATION)
        || headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter(|c| !c.trim().is_empty())
            .any(|c| {
                c.trim()
                    .split_once('=')
                    .is_none_or(|(k, _)| k.trim() != LANG_COOKIE)
            })
}

/// The strong entity tag of `body`: the hex SHA-256 of its bytes, quoted.
pub fn etag_of(body: &[u8]) -> String {
    format!("\"{}\"", hex::encode(Sha256::digest(body)))
}

/// True when `If-None-Match` (a list of tags, or `*`) matches `etag` (weak comparison,
/// RFC 9110 §13.1.2).
fn none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
}

/// The middleware: sets `Cache-Control` on every response, and on cacheable ones (200,
/// [`CacheClass::Immutable`] or [`CacheClass::Short`]) a strong `ETag`, answering a
/// matching `If-None-Match` with `304 Not Modified` and no body.
pub async fn cache_headers(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let credentials = has_credentials(req.headers());
    let conditional = req.headers().clone();
    let resp = next.run(req).await;
    let route = resp
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let mut class = route.as_deref().map_or(CacheClass::Private, class_of);
    if class == CacheClass::FinalOrShort && resp.extensions().get::<Final>().is_some() {
        class = CacheClass::Immutable;
    }
    let cacheable = (method == Method::GET || method == Method::HEAD)
        && resp.status() == StatusCode::OK
        && !credentials
        && !resp.headers().contains_key(SET_COOKIE);
    if !cacheable || class == CacheClass::Private {
        return with_cache_control(resp, PRIVATE);
    }
    let mut resp = with_cache_control(resp, class.cache_control());
    if route.as_deref().is_some_and(|r| PAGES.contains(&r)) {
        resp.headers_mut()
            .insert(VARY, HeaderValue::from_static("Cookie"));
    }
    // Only whole bodies of known, bounded size are hashed: a stream stays a stream.
    let small = resp
        .body()
        .size_hint()
        .exact()
        .is_some_and(|n| n <= ETAG_BODY_BYTES_MAX);
    if !small {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let bytes = match axum::body::to_bytes(body, ETAG_BODY_BYTES_MAX as usize).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "could not read a response body to tag it");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let etag = etag_of(&bytes);
    if let Ok(v) = HeaderValue::from_str(&etag) {
        parts.headers.insert(ETAG, v);
    }
    if none_match(&conditional, &etag) {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(axum::http::header::CONTENT_LENGTH);
        parts.headers.remove(axum::http::header::CONTENT_TYPE);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// `resp` with its `Cache-Control` set to `value` (replacing a handler's).
fn with_cache_control(mut resp: Response, value: &'static str) -> Response {
    resp.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static(value));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_has_a_class_and_unknown_ones_are_private() {
        assert_eq!(
            class_of("/api/v1/funds/{fund}/entries/{seq}"),
            CacheClass::Immutable
        );
        assert_eq!(class_of("/api/v1/funds"), CacheClass::Short);
        // A statement's read carries the opinions on it, which may come later.
        assert_eq!(
            class_of("/api/v1/funds/{fund}/statements/{seq}"),
            CacheClass::Short
        );
        assert_eq!(class_of("/api/v1/funds/{fund}/vault"), CacheClass::Private);
        assert_eq!(class_of("/trustee"), CacheClass::Private);
        // Every path in the table is served.
        let served: Vec<&str> = crate::api::operations().iter().map(|o| o.path).collect();
        for (path, _) in ROUTES {
            assert!(
                served.contains(path) || PAGES.contains(path) || *path == "/static/{file}",
                "{path} is in the caching table but not served"
            );
        }
    }

    #[test]
    fn credentials_are_an_authorization_header_or_a_cookie_but_the_language() {
        let mut h = HeaderMap::new();
        assert!(!has_credentials(&h));
        h.insert(COOKIE, HeaderValue::from_static("lang=en"));
        assert!(!has_credentials(&h));
        h.insert(COOKIE, HeaderValue::from_static("lang=en; session=abc"));
        assert!(has_credentials(&h));
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert!(has_credentials(&h));
    }

    #[test]
    fn if_none_match_lists_and_weak_tags_match() {
        let tag = etag_of(b"x");
        let mut h = HeaderMap::new();
        assert!(!none_match(&h, &tag));
        h.insert(
            IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"other\", W/{tag}")).unwrap(),
        );
        assert!(none_match(&h, &tag));
        h.insert(IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert!(!none_match(&h, &tag));
    }
}
