//! Trustees' browser sessions: the `ledger_session` cookie that stands for a trustee's
//! token in the workspace (`/trustee`), and the rules that make it safe to use.
//!
//! - A session id is 256 random bits, shown once to the browser as 64 hex digits in an
//!   `HttpOnly; SameSite=Strict; Path=/` cookie (`Secure` too when the request came over
//!   https, i.e. with `X-Forwarded-Proto: https` from the proxy in front). The store keeps
//!   only its SHA-256 hash, beside the hash of the credential it stands for.
//! - It lives at most [`SESSION_MAX_S`] (8 h) from sign-in and dies after
//!   [`SESSION_IDLE_S`] (30 min) without a request (both configurable); it dies at once when
//!   its credential is revoked, since every request reads the credential again.
//! - Only trustee credentials open sessions: operators and auditors keep their tokens in
//!   their tools (an operator session would let a page issue credentials; an auditor's
//!   would expose the donor vault to a browser).
//! - Every state-changing request authenticated by the cookie (any method but GET and
//!   HEAD) carries the session's CSRF token in [`CSRF_HEADER`], and, when the browser
//!   sends them, an `Origin` equal to the site's own and `Sec-Fetch-Site: same-origin`;
//!   otherwise 403 `csrf_refused`, before any handler runs.

use std::fmt;

use axum::http::{header, HeaderMap, Method};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use crate::credentials::Credential;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "ledger_session";
/// Longest life of a session from sign-in, in seconds (8 hours).
pub const SESSION_MAX_S: u64 = 8 * 3600;
/// Longest time a session stays alive without a request, in seconds (30 minutes).
pub const SESSION_IDLE_S: u64 = 30 * 60;
/// The header that carries the session's CSRF token on state-changing requests.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Sign-in attempts per client address per minute (when the rate limit is on).
pub const SIGN_IN_PER_MINUTE: u32 = 10;

/// A session id as the browser holds it. Never stored; never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionId(String);

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId(…)")
    }
}

impl SessionId {
    /// A fresh random id (256 bits).
    pub fn generate() -> SessionId {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        SessionId(hex::encode(bytes))
    }

    /// Parses a presented id: 64 lowercase hex digits.
    pub fn parse(s: &str) -> Option<SessionId> {
        let ok = s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        ok.then(|| SessionId(s.to_owned()))
    }

    /// What the store keeps: SHA-256 of the id's text.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.0.as_bytes()).into()
    }

    /// The id's text (for the cookie, once).
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

/// Now, in POSIX seconds (the sessions' clock).
pub fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A fresh CSRF token (128 random bits, hex).
pub fn new_csrf_token() -> String {
    crate::credentials::random_hex(16)
}

/// How long sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLife {
    /// Longest life from sign-in, in seconds.
    pub max_s: u64,
    /// Longest idle time, in seconds.
    pub idle_s: u64,
}

impl Default for SessionLife {
    fn default() -> Self {
        SessionLife {
            max_s: SESSION_MAX_S,
            idle_s: SESSION_IDLE_S,
        }
    }
}

impl SessionLife {
    /// Whether a session created at `created_at` and last used at `last_seen` (POSIX
    /// seconds) is still alive at `now`.
    pub fn alive(&self, created_at: i64, last_seen: i64, now: i64) -> bool {
        now < created_at.saturating_add(self.max_s as i64)
            && now < last_seen.saturating_add(self.idle_s as i64)
    }

    /// When a session ends at the latest, without further requests (POSIX seconds).
    pub fn ends_at(&self, created_at: i64, last_seen: i64) -> i64 {
        created_at
            .saturating_add(self.max_s as i64)
            .min(last_seen.saturating_add(self.idle_s as i64))
    }
}

/// A live session, as a request authenticated by its cookie sees it.
#[derive(Debug, Clone)]
pub struct Session {
    /// The credential it stands for (active: a revoked one ends the session).
    pub credential: Credential,
    /// The token the page sends back in [`CSRF_HEADER`].
    pub csrf: String,
    /// When it was opened (POSIX seconds).
    pub created_at: i64,
    /// When it was last used (POSIX seconds).
    pub last_seen: i64,
}

/// The session cookie of a request, if it has one that is well formed.
pub fn session_cookie(headers: &HeaderMap) -> Option<SessionId> {
    cookie_value(headers, SESSION_COOKIE).and_then(SessionId::parse)
}

/// Whether the request carries a cookie named [`SESSION_COOKIE`] at all.
pub fn has_session_cookie(headers: &HeaderMap) -> bool {
    cookie_value(headers, SESSION_COOKIE).is_some()
}

fn cookie_value<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// Whether the request came over https (as the proxy in front says).
pub fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// The `Set-Cookie` value that gives the browser `id` for `max_age_s` seconds.
pub fn set_cookie(id: &SessionId, max_age_s: u64, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={}; Path=/; Max-Age={max_age_s}; HttpOnly; SameSite=Strict{}",
        id.reveal(),
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that makes the browser forget its session.
pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Whether `method` changes state (needs the CSRF token when the cookie authenticates).
pub fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// `scheme://host` of the request, from its Host header (`X-Forwarded-Proto: https`
/// behind a proxy). A Host that is not a plain host name or address is not used.
pub fn request_origin(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let plain = !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    if !plain {
        return None;
    }
    let scheme = if is_https(headers) { "https" } else { "http" };
    Some(format!("{scheme}://{host}"))
}

/// Why a cross-site check refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrossSite {
    /// `Origin` names another site.
    Origin,
    /// `Sec-Fetch-Site` is not `same-origin`.
    FetchSite,
}

/// Refuses a request whose `Origin` (when present) is not the site's own, or whose
/// `Sec-Fetch-Site` (when present) is not `same-origin`.
pub fn same_origin(headers: &HeaderMap) -> Result<(), CrossSite> {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let ours = request_origin(headers);
        let theirs = origin.to_str().ok();
        if ours.is_none() || theirs != ours.as_deref() {
            return Err(CrossSite::Origin);
        }
    }
    if let Some(site) = headers.get("sec-fetch-site") {
        if site.as_bytes() != b"same-origin" {
            return Err(CrossSite::FetchSite);
        }
    }
    Ok(())
}

/// Whether the request's CSRF header equals `expected` (compared in constant time).
pub fn csrf_matches(headers: &HeaderMap, expected: &str) -> bool {
    let Some(given) = headers.get(CSRF_HEADER).map(|v| v.as_bytes()) else {
        return false;
    };
    let want = expected.as_bytes();
    given.len() == want.len()
        && given
            .iter()
            .zip(want)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn ids_are_random_and_parse_back() {
        let a = SessionId::generate();
        assert_ne!(a, SessionId::generate());
        assert_eq!(SessionId::parse(a.reveal()), Some(a.clone()));
        for bad in ["", "zz", &a.reveal()[1..], &a.reveal().to_uppercase()] {
            assert_eq!(SessionId::parse(bad), None, "{bad:?}");
        }
        assert!(!format!("{a:?}").contains(a.reveal()));
    }

    #[test]
    fn cookie_attributes() {
        let id = SessionId::generate();
        let c = set_cookie(&id, 60, false);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Path=/"));
        assert!(!c.contains("Secure"));
        assert!(set_cookie(&id, 60, true).ends_with("; Secure"));
    }

    #[test]
    fn life_ends_at_the_first_limit() {
        let l = SessionLife {
            max_s: 100,
            idle_s: 10,
        };
        assert!(l.alive(0, 0, 9));
        assert!(!l.alive(0, 0, 10), "idle");
        assert!(l.alive(0, 95, 99));
        assert!(!l.alive(0, 95, 100), "absolute");
        assert_eq!(l.ends_at(0, 95), 100);
    }

    #[test]
    fn cross_site_requests_are_refused() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert_eq!(same_origin(&h), Ok(()));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert_eq!(same_origin(&h), Ok(()));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert_eq!(same_origin(&h), Ok(()));
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert_eq!(same_origin(&h), Err(CrossSite::FetchSite));
        h.remove("sec-fetch-site");
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://evil.example"),
        );
        assert_eq!(same_origin(&h), Err(CrossSite::Origin));
    }

    #[test]
    fn csrf_header_must_match() {
        let mut h = HeaderMap::new();
        assert!(!csrf_matches(&h, "abc"));
        h.insert(CSRF_HEADER, HeaderValue::from_static("abd"));
        assert!(!csrf_matches(&h, "abc"));
        h.insert(CSRF_HEADER, HeaderValue::from_static("abc"));
        assert!(csrf_matches(&h, "abc"));
    }
}
