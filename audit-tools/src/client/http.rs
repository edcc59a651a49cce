//! The server's API over plain HTTP (blocking): bearer token, JSON bodies, problems.

use std::time::Duration;

use serde_json::Value;

use super::Fail;

/// How long one request may take (an export of a large fund streams for a while).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);
/// How long connecting may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection to one server, with the caller's token if any.
pub struct Api {
    base: String,
    token: Option<String>,
    http: reqwest::blocking::Client,
}

/// An answer: status and body bytes.
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
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
        Ok(Api { base, token, http })
    }

    /// Whether a token was given.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    fn send(&self, req: reqwest::blocking::RequestBuilder, path: &str) -> Result<Reply, Fail> {
        let req = match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        let resp = req.send().map_err(|e| self.unreachable(path, &e))?;
        let status = resp.status().as_u16();
        let body = resp
            .bytes()
            .map_err(|e| self.unreachable(path, &e))?
            .to_vec();
        Ok(Reply { status, body })
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

    /// `GET path`.
    pub fn get(&self, path: &str) -> Result<Reply, Fail> {
        self.send(self.http.get(format!("{}{path}", self.base)), path)
    }

    /// `POST path` with a JSON body.
    pub fn post(&self, path: &str, body: &Value) -> Result<Reply, Fail> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Fail::Unusable(format!("cannot encode the request: {e}")))?;
        self.send(
            self.http
                .post(format!("{}{path}", self.base))
                .header("content-type", "application/json")
                .body(bytes),
            path,
        )
    }

    /// `GET path`, streamed into `out` (for exports); fails on a non-2xx answer.
    pub fn download(&self, path: &str, out: &mut dyn std::io::Write) -> Result<u64, Fail> {
        let req = self.http.get(format!("{}{path}", self.base));
        let req = match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        let mut resp = req.send().map_err(|e| self.unreachable(path, &e))?;
        if !resp.status().is_success() {
            let status = resp.status().as_u16();
            let mut body = Vec::new();
            let _ = std::io::Read::read_to_end(&mut resp, &mut body);
            return Err(Fail::Refused(format!(
                "GET {path}: {}",
                Reply { status, body }.problem()
            )));
        }
        resp.copy_to(out)
            .map_err(|e| Fail::Unusable(format!("reading {path}: {e}")))
    }
}
