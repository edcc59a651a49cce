//! The server's API over plain HTTP (blocking): bearer token, JSON bodies, problems, and
//! the server's limits honoured.
//!
//! **Retries.** A `429` (the rate limit) or `503` (timeout, database unavailable) answer to
//! an *idempotent* request is retried after the server's `Retry-After` (or an exponential
//! backoff when it gives none), with up to a quarter more of random jitter, at most
//! [`RETRY_ATTEMPTS_MAX`] times and never waiting longer than [`RETRY_WAIT_MAX`] at once.
//! Idempotent are every `GET` and the appends ([`Api::append`]): an append carries its
//! idempotency key, and the server answers a repeated key with the same intent by
//! replaying the entry it recorded (`200`, `idempotent-replay: true`), never by recording
//! it twice. Proposals and co-signatures ([`Api::post`]) are not retried.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand_core::RngCore;
use reqwest::blocking::{RequestBuilder, Response};
use reqwest::Method;
use serde_json::Value;

use super::progress::{Counting, Progress, Unit};
use super::Fail;

/// How long one request may take (an export of a large fund streams for a while).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);
/// How long connecting may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Most retries of one idempotent request answered `429` or `503`.
pub const RETRY_ATTEMPTS_MAX: u32 = 8;
/// Longest single wait before a retry, whatever `Retry-After` says.
pub const RETRY_WAIT_MAX: Duration = Duration::from_secs(30);
/// First backoff when the server gives no `Retry-After` (doubled at each retry).
pub const RETRY_BACKOFF_FIRST: Duration = Duration::from_millis(250);
/// Waits at least this long are told on stderr (shorter ones are only counted).
pub const RETRY_NOTICE_MIN: Duration = Duration::from_secs(2);

/// A connection to one server, with the caller's token if any.
pub struct Api {
    base: String,
    token: Option<String>,
    http: reqwest::blocking::Client,
    /// Retries made so far (waits on the server's limits), for progress lines.
    waits: AtomicU64,
    /// Whether downloads show their progress on stderr.
    progress: bool,
}

/// An answer: status and body bytes.
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
    /// How many times the request was retried before this answer.
    pub retries: u32,
}

impl Reply {
    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// Whether the status is 2xx.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The problem's code, if the body is a problem document.
    pub fn code(&self) -> Option<String> {
        self.json()["code"].as_str().map(str::to_owned)
    }

    /// A one-line description of a refusal: status, code, Chinese and English detail.
    pub fn problem(&self) -> String {
        let v = self.json();
        match v["code"].as_str() {
            Some(code) => format!(
                "refused (HTTP {} {code}): {} / {}",
                self.status,
                v["detail_zh"].as_str().unwrap_or("-"),
                v["detail"].as_str().unwrap_or("-")
            ),
            None => format!(
                "refused (HTTP {}): {}",
                self.status,
                String::from_utf8_lossy(&self.body).trim()
            ),
        }
    }

    /// The reply as JSON if it is 2xx, else a refusal naming what was asked.
    pub fn expect_ok(self, what: &str) -> Result<Value, Fail> {
        if self.ok() {
            Ok(self.json())
        } else {
            Err(Fail::Refused(format!("{what}: {}", self.problem())))
        }
    }
}

/// Whether an answer with this status may be retried (the server's limits, or a passing
/// fault: nothing was written, or an append that was will be replayed).
fn retryable(status: u16) -> bool {
    status == 429 || status == 503
}

/// The `Retry-After` of an answer, in whole seconds (the HTTP-date form is not used by
/// this server and is ignored).
fn retry_after(resp: &Response) -> Option<Duration> {
    resp.headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// How long to wait before retry number `attempt` (0 for the first retry): the server's
/// `Retry-After` or the doubling backoff, whichever is longer, plus `jitter` (a fraction
/// in `[0, 1)`) of a quarter of it, never above [`RETRY_WAIT_MAX`].
pub fn retry_wait(attempt: u32, retry_after: Option<Duration>, jitter: f64) -> Duration {
    let backoff = RETRY_BACKOFF_FIRST.saturating_mul(1u32 << attempt.min(16));
    let base = retry_after.unwrap_or_default().max(backoff);
    let spread = base.mul_f64(0.25 * jitter.clamp(0.0, 1.0));
    (base + spread).min(RETRY_WAIT_MAX)
}

/// A random fraction in `[0, 1)`.
fn jitter() -> f64 {
    (rand_core::OsRng.next_u32() >> 8) as f64 / f64::from(1u32 << 24)
}

impl Api {
    /// A client of the server at `base` (http:// only).
    pub fn new(base: &str, token: Option<String>) -> Result<Api, Fail> {
        let base = base.trim_end_matches('/').to_owned();
        if base.starts_with("https://") {
            return Err(Fail::Unusable(format!(
                "--url {base}: this build speaks plain HTTP only (no TLS); reach the server over \
                 http:// on a trusted network or through a local TLS tunnel"
            )));
        }
        if !base.starts_with("http://") {
            return Err(Fail::Unusable(format!(
                "--url {base}: expected http://host:port"
            )));
        }
        let http = reqwest::blocking::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!(
                "community-ledger-client/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .map_err(|e| Fail::Unusable(format!("cannot set up HTTP: {e}")))?;
        Ok(Api {
            base,
            token,
            http,
            waits: AtomicU64::new(0),
            progress: true,
        })
    }

    /// This client, showing (or not) the progress of downloads on stderr.
    pub fn with_progress(mut self, show: bool) -> Api {
        self.progress = show;
        self
    }

    /// Whether bulk work shows its progress on stderr.
    pub fn shows_progress(&self) -> bool {
        self.progress
    }

    /// Whether a token was given.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// How many times a request was retried on the server's limits so far.
    pub fn waits(&self) -> u64 {
        self.waits.load(Ordering::Relaxed)
    }

    fn request(&self, method: Method, path: &str, body: Option<&[u8]>) -> RequestBuilder {
        let req = self.http.request(method, format!("{}{path}", self.base));
        let req = match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(b.to_vec()),
            None => req,
        }
    }

    /// Sends the request, retrying a `429`/`503` answer when `idempotent` (module docs);
    /// returns the last answer (its body not yet read) and the number of retries.
    fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&[u8]>,
        idempotent: bool,
    ) -> Result<(Response, u32), Fail> {
        let mut attempt = 0u32;
        loop {
            let resp = self
                .request(method.clone(), path, body)
                .send()
                .map_err(|e| self.unreachable(path, &e))?;
            let status = resp.status().as_u16();
            if !idempotent || !retryable(status) || attempt >= RETRY_ATTEMPTS_MAX {
                return Ok((resp, attempt));
            }
            let wait = retry_wait(attempt, retry_after(&resp), jitter());
            if wait >= RETRY_NOTICE_MIN {
                eprintln!(
                    "ledger: {method} {path}: HTTP {status} (the server's limits); retrying in \
                     {:.1} s ({} of at most {RETRY_ATTEMPTS_MAX})",
                    wait.as_secs_f64(),
                    attempt + 1
                );
            }
            // The answer is dropped unread: it is a short problem document.
            drop(resp);
            self.waits.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(wait);
            attempt += 1;
        }
    }

    fn reply(&self, path: &str, sent: (Response, u32)) -> Result<Reply, Fail> {
        let (resp, retries) = sent;
        let status = resp.status().as_u16();
        let body = resp
            .bytes()
            .map_err(|e| self.unreachable(path, &e))?
            .to_vec();
        Ok(Reply {
            status,
            body,
            retries,
        })
    }

    fn unreachable(&self, path: &str, e: &reqwest::Error) -> Fail {
        let mut msg = format!("cannot reach {}{path}: {e}", self.base);
        let mut src = std::error::Error::source(e);
        while let Some(s) = src {
            msg.push_str(&format!(": {s}"));
            src = s.source();
        }
        Fail::Unusable(msg)
    }

    /// `GET path` (retried on the server's limits).
    pub fn get(&self, path: &str) -> Result<Reply, Fail> {
        let sent = self.send(Method::GET, path, None, true)?;
        self.reply(path, sent)
    }

    /// `POST path` with a JSON body, sent once (proposals, co-signatures: not retried).
    pub fn post(&self, path: &str, body: &Value) -> Result<Reply, Fail> {
        let bytes = encode(body)?;
        let sent = self.send(Method::POST, path, Some(&bytes), false)?;
        self.reply(path, sent)
    }

    /// `POST path` of an append (`/api/v1/funds/{fund}/entries`): the very same bytes are
    /// sent again on `429`/`503`, so the intent, and its idempotency key, are the same and
    /// the server records it at most once (module docs).
    pub fn append(&self, path: &str, body: &Value) -> Result<Reply, Fail> {
        let bytes = encode(body)?;
        let sent = self.send(Method::POST, path, Some(&bytes), true)?;
        self.reply(path, sent)
    }

    /// `GET path`, streamed into `out` (for exports); fails on a non-2xx answer. Retried
    /// on the server's limits until the stream starts, not after.
    pub fn download(&self, path: &str, out: &mut dyn std::io::Write) -> Result<u64, Fail> {
        let (mut resp, retries) = self.send(Method::GET, path, None, true)?;
        if !resp.status().is_success() {
            let status = resp.status().as_u16();
            let mut body = Vec::new();
            let _ = std::io::Read::read_to_end(&mut resp, &mut body);
            return Err(Fail::Refused(format!(
                "GET {path}: {}",
                Reply {
                    status,
                    body,
                    retries
                }
                .problem()
            )));
        }
        let mut progress = Progress::new(
            "download",
            Unit::Bytes,
            resp.content_length(),
            !self.progress,
        );
        let copied = resp
            .copy_to(&mut Counting::new(out, &mut progress, self.waits()))
            .map_err(|e| Fail::Unusable(format!("reading {path}: {e}")))?;
        progress.finish(self.waits());
        Ok(copied)
    }
}

fn encode(body: &Value) -> Result<Vec<u8>, Fail> {
    serde_json::to_vec(body).map_err(|e| Fail::Unusable(format!("cannot encode the request: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_honours_retry_after_grows_without_it_and_is_bounded() {
        // Retry-After wins over a shorter backoff; jitter adds at most a quarter.
        let w = retry_wait(0, Some(Duration::from_secs(3)), 0.0);
        assert_eq!(w, Duration::from_secs(3));
        let w = retry_wait(0, Some(Duration::from_secs(4)), 0.999);
        assert!(
            w >= Duration::from_secs(4) && w < Duration::from_secs(5),
            "{w:?}"
        );
        // Without it: 250 ms, 500 ms, 1 s, …
        assert_eq!(retry_wait(0, None, 0.0), Duration::from_millis(250));
        assert_eq!(retry_wait(2, None, 0.0), Duration::from_secs(1));
        // A long backoff or a huge Retry-After is capped.
        assert_eq!(retry_wait(30, None, 0.5), RETRY_WAIT_MAX);
        assert_eq!(
            retry_wait(0, Some(Duration::from_secs(3600)), 0.0),
            RETRY_WAIT_MAX
        );
    }

    #[test]
    fn jitter_is_a_fraction_and_varies() {
        let draws: Vec<f64> = (0..64).map(|_| jitter()).collect();
        assert!(draws.iter().all(|j| (0.0..1.0).contains(j)));
        assert!(
            draws.iter().any(|j| (j - draws[0]).abs() > 1e-9),
            "{draws:?}"
        );
    }

    #[test]
    fn only_the_limits_and_passing_faults_are_retried() {
        assert!(retryable(429) && retryable(503));
        for s in [200, 201, 400, 401, 403, 404, 409, 422, 500, 502] {
            assert!(!retryable(s), "{s}");
        }
    }
}
