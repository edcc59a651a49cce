//! Request limits: a per-token rate limit (per client address for the public) and a
//! request timeout. Body size is limited by the router's `DefaultBodyLimit`; string and
//! list lengths by the core types; page sizes by the listings.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};

use crate::problem::Problem;
use crate::sessions::{
    session_cookie, SessionLife, SESSION_IDLE_S, SESSION_MAX_S, SIGN_IN_PER_MINUTE,
};

/// The limits in effect.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Sustained requests per second per token (or client address); 0 turns it off.
    pub rate_per_second: u32,
    /// Requests a token may send at once above the sustained rate.
    pub rate_burst: u32,
    /// Longest time a request may take before its response starts.
    pub request_timeout: Duration,
    /// How long a proposal waits for its co-signatures.
    pub proposal_ttl: Duration,
    /// Longest life of a workspace session from sign-in.
    pub session_max: Duration,
    /// Longest idle time of a workspace session.
    pub session_idle: Duration,
}

impl Limits {
    /// How long workspace sessions live, in whole seconds (at least 1 each).
    pub fn session_life(&self) -> SessionLife {
        SessionLife {
            max_s: self.session_max.as_secs().max(1),
            idle_s: self.session_idle.as_secs().max(1),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            rate_per_second: 50,
            rate_burst: 100,
            request_timeout: Duration::from_secs(30),
            proposal_ttl: Duration::from_secs(7 * 24 * 3600),
            session_max: Duration::from_secs(SESSION_MAX_S),
            session_idle: Duration::from_secs(SESSION_IDLE_S),
        }
    }
}

/// Token buckets keyed by token hash, session or client address; and the sign-in
/// attempts per client address.
pub struct RateLimits {
    limiter: Option<DefaultKeyedRateLimiter<String>>,
    sign_in: Option<DefaultKeyedRateLimiter<String>>,
}

impl RateLimits {
    /// Buckets for `limits` (none when the rate is 0).
    pub fn new(limits: &Limits) -> Arc<RateLimits> {
        let limiter = NonZeroU32::new(limits.rate_per_second).map(|rate| {
            let burst =
                NonZeroU32::new(limits.rate_burst.max(limits.rate_per_second)).unwrap_or(rate);
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        // Sign-in attempts: SIGN_IN_PER_MINUTE per address, at once or spread out, and
        // only when the rate limit is on at all.
        let sign_in = (limits.rate_per_second > 0)
            .then(|| NonZeroU32::new(SIGN_IN_PER_MINUTE))
            .flatten()
            .map(|n| RateLimiter::keyed(Quota::per_minute(n)));
        Arc::new(RateLimits { limiter, sign_in })
    }

    /// `Ok` when the client at `addr` may try to sign in now, else how long to wait.
    pub fn check_sign_in(&self, addr: &str) -> Result<(), Duration> {
        let Some(l) = &self.sign_in else {
            return Ok(());
        };
        l.check_key(&addr.to_owned())
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// `Ok` when `key` may send a request now, else how long to wait.
    fn check(&self, key: &str) -> Result<(), Duration> {
        let Some(l) = &self.limiter else {
            return Ok(());
        };
        l.check_key(&key.to_owned())
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Forgets buckets that are full again (bounds memory under many clients).
    pub fn shrink(&self) {
        for l in [&self.limiter, &self.sign_in].into_iter().flatten() {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

/// The rate-limit key of a request: the token's hash, the session's, or the client's
/// address.
fn rate_key(req: &Request) -> String {
    if let Some(auth) = req.headers().get(header::AUTHORIZATION) {
        return format!("t:{}", hex::encode(&Sha256::digest(auth.as_bytes())[..12]));
    }
    if let Some(id) = session_cookie(req.headers()) {
        return format!("s:{}", hex::encode(&id.hash()[..12]));
    }
    match req.extensions().get::<ConnectInfo<SocketAddr>>() {
        Some(ConnectInfo(addr)) => format!("a:{}", addr.ip()),
        None => "a:unknown".to_owned(),
    }
}

/// Middleware: 429 `rate_limited` with `Retry-After` when the caller's bucket is empty.
pub async fn rate_limit(
    State(buckets): State<Arc<RateLimits>>,
    req: Request,
    next: Next,
) -> Response {
    match buckets.check(&rate_key(&req)) {
        Ok(()) => next.run(req).await,
        Err(wait) => {
            let secs = wait.as_secs() + 1;
            let mut resp = Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("too many requests from this token or address; retry in {secs} s"),
                format!("此令牌或地址请求过多；请在 {secs} 秒后重试"),
            )
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
    }
}

/// `Retry-After` of a `timeout` problem, in seconds.
pub const TIMEOUT_RETRY_AFTER_SECONDS: u32 = 1;

/// Middleware: 503 `timeout` with `Retry-After` when the response has not started in
/// time. An append that was already queued still commits or not as a whole; the client
/// retries with the same idempotency key and gets the original entry.
pub async fn timeout(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => Problem {
            retry_after: Some(TIMEOUT_RETRY_AFTER_SECONDS),
            ..Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                "the request took too long; if it was an append, retry with the same idempotency key",
                "请求超时；如为写入请求，请用相同的幂等键重试",
            )
        }
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_slow_request_is_answered_503_timeout_and_a_quick_one_passes() {
        let app = Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "late"
                }),
            )
            .route("/quick", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn_with_state(
                Duration::from_millis(100),
                timeout,
            ));
        let slow = app
            .clone()
            .oneshot(Request::get("/slow").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(slow.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            slow.headers().get(header::RETRY_AFTER),
            Some(&HeaderValue::from(TIMEOUT_RETRY_AFTER_SECONDS)),
            "a timeout says when to retry"
        );
        let body = axum::body::to_bytes(slow.into_body(), 10_000)
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["code"], "timeout");
        let quick = app
            .oneshot(Request::get("/quick").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(quick.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn a_429_says_when_to_retry() {
        let buckets = RateLimits::new(&Limits {
            rate_per_second: 1,
            rate_burst: 1,
            ..Limits::default()
        });
        let app = Router::new()
            .route("/", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn_with_state(buckets, rate_limit));
        let first = app
            .clone()
            .oneshot(Request::get("/").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(first.status(), StatusCode::OK);
        let second = app
            .oneshot(Request::get("/").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
        let secs: u64 = second
            .headers()
            .get(header::RETRY_AFTER)
            .expect("Retry-After on a 429")
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=2).contains(&secs), "{secs}");
    }

    #[test]
    fn the_bucket_refuses_past_the_burst_and_keys_are_separate() {
        let limits = Limits {
            rate_per_second: 1,
            rate_burst: 3,
            request_timeout: Duration::from_secs(1),
            proposal_ttl: Duration::from_secs(1),
            ..Limits::default()
        };
        let r = RateLimits::new(&limits);
        for _ in 0..3 {
            assert!(r.check("a").is_ok());
        }
        let wait = r.check("a").unwrap_err();
        assert!(wait <= Duration::from_secs(1));
        assert!(r.check("b").is_ok(), "another token has its own bucket");
        let off = RateLimits::new(&Limits {
            rate_per_second: 0,
            ..limits
        });
        for _ in 0..1000 {
            assert!(off.check("a").is_ok());
        }
    }
}
