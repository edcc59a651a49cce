//! Errors as RFC 9457 `application/problem+json`: a stable `code`, an English `detail` and
//! a Chinese `detail_zh`. Client mistakes are 4xx with their code; internal faults are a
//! plain 500 that leaks nothing (the cause goes to the log).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use ledger_core::entry::EntryError;
use ledger_core::error::Coded;
use ledger_core::rules::RuleError;
use serde_json::json;

use crate::ledger::AppendFailure;
use crate::store::{ProofError, Rejection, StoreError};

/// The media type of problem responses.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The code of a problem response, kept in the response's extensions for the metrics.
#[derive(Debug, Clone, Copy)]
pub struct ProblemCode(pub &'static str);

/// `Retry-After` of a `database_unavailable` problem, in seconds.
pub const DATABASE_RETRY_AFTER_SECONDS: u32 = 1;
/// `Retry-After` of a fund whose state is being rebuilt from its log.
pub const REBUILD_RETRY_AFTER_SECONDS: u32 = 1;

/// An error response.
#[derive(Debug, Clone)]
pub struct Problem {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine code.
    pub code: &'static str,
    /// English detail.
    pub en: String,
    /// Chinese detail.
    pub zh: String,
    /// Seconds after which a retry may succeed (`Retry-After`), for a passing fault.
    pub retry_after: Option<u32>,
}

impl Problem {
    /// A problem with the given status, code and messages.
    pub fn new(
        status: StatusCode,
        code: &'static str,
        en: impl Into<String>,
        zh: impl Into<String>,
    ) -> Self {
        Problem {
            status,
            code,
            en: en.into(),
            zh: zh.into(),
            retry_after: None,
        }
    }

    /// A coded core error with the given status.
    pub fn coded(status: StatusCode, e: &dyn Coded) -> Self {
        Problem::new(status, e.code(), e.message_en(), e.message_zh())
    }

    /// 400 with the given code.
    pub fn bad_request(code: &'static str, en: impl Into<String>, zh: impl Into<String>) -> Self {
        Problem::new(StatusCode::BAD_REQUEST, code, en, zh)
    }

    /// 422 with the given code.
    pub fn unprocessable(code: &'static str, en: impl Into<String>, zh: impl Into<String>) -> Self {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, en, zh)
    }

    /// 404 for a fund that does not exist.
    pub fn unknown_fund(fund: &str) -> Self {
        Problem::new(
            StatusCode::NOT_FOUND,
            "fund_not_found",
            format!("no fund `{fund}`"),
            format!("没有基金「{fund}」"),
        )
    }

    /// 404 for anything else that is not there.
    pub fn not_found(what: &str) -> Self {
        Problem::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
            format!("未找到{what}"),
        )
    }

    /// 503 `fund_damaged`: the fund is quarantined because its stored rows disagree with
    /// its log (`reason` says what). Its reads and writes are refused, nothing was
    /// written; other funds are not affected. No `Retry-After`: it lasts until an
    /// operator repairs the fund.
    pub fn fund_damaged(fund: &str, reason: &str) -> Self {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "fund_damaged",
            format!(
                "fund `{fund}` is damaged: its stored rows disagree with its log ({reason}); \
                 its reads and writes are stopped until an operator repairs it; nothing was written"
            ),
            format!(
                "基金「{fund}」已损坏：其存储的记录与日志不一致（{reason}）；\
                 在运营方修复之前，该基金暂停读写；未写入任何内容"
            ),
        )
    }

    /// The fund's state is being rebuilt from its log (its stored state did not pass its
    /// check at load): 503 `fund_rebuilding` with `Retry-After`. Its writes are refused
    /// until the rebuild is done, nothing was written; its reads go on.
    pub fn fund_rebuilding(fund: &str) -> Self {
        Problem {
            retry_after: Some(REBUILD_RETRY_AFTER_SECONDS),
            ..Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "fund_rebuilding",
                format!(
                    "fund `{fund}` is rebuilding its state from its log; its writes are refused \
                     until then (its reads go on); nothing was written: send the same request again later"
                ),
                format!(
                    "基金「{fund}」正在根据日志重建其状态；在此之前拒绝写入（读取不受影响）；\
                     未写入任何内容：请稍后重发同一请求"
                ),
            )
        }
    }

    /// A store fault: 503 `database_unavailable` with `Retry-After` when the database
    /// cannot be reached (nothing was written; the same request may be sent again), else
    /// 500. The cause is logged, never sent.
    pub fn store(cause: &StoreError) -> Self {
        if !cause.is_unavailable() {
            return Problem::internal(cause);
        }
        tracing::warn!(error = %cause, "database unavailable");
        Problem {
            retry_after: Some(DATABASE_RETRY_AFTER_SECONDS),
            ..Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "the database cannot be reached; nothing was written; retry shortly",
                "暂时无法连接数据库；未写入任何内容；请稍后重试",
            )
        }
    }

    /// 500: logs the cause, tells the client nothing about it.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; nothing was written",
            "服务器内部错误；未写入任何内容",
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = json!({
            "type": format!("urn:community-ledger:problem:{}", self.code),
            "title": self.code,
            "status": self.status.as_u16(),
            "code": self.code,
            "detail": self.en,
            "detail_zh": self.zh,
        });
        let mut resp = (
            self.status,
            [(header::CONTENT_TYPE, PROBLEM_JSON)],
            body.to_string(),
        )
            .into_response();
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp.extensions_mut().insert(ProblemCode(self.code));
        resp
    }
}

/// HTTP status of an entry-format error.
///
/// One status per class of mistake in the signature list: its *form* (none, more than
/// 32, unsorted or a key twice, a signature or key that does not decode) is a malformed
/// request, 400, whatever the fund; a well-formed signature that does not verify is
/// refused authority, 403, like an unknown signer or a missing quorum
/// ([`rule_status`]); a genuine signature or key in a form the server does not record
/// (`signature_not_strict`, `key_not_strict`: FORMAT.md §3) is 422, like a rule.
pub fn entry_status(e: &EntryError) -> StatusCode {
    match e {
        EntryError::Canonical(_) | EntryError::TooLarge { .. } | EntryError::Version(_) => {
            StatusCode::BAD_REQUEST
        }
        EntryError::Field(f) if f.code == "malformed" => StatusCode::BAD_REQUEST,
        EntryError::IntentForm => StatusCode::BAD_REQUEST,
        EntryError::NoSignature | EntryError::TooManySignatures(_) | EntryError::SignatureOrder => {
            StatusCode::BAD_REQUEST
        }
        EntryError::BadSignature(_) => StatusCode::FORBIDDEN,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// HTTP status of a rule refusal.
pub fn rule_status(e: &RuleError) -> StatusCode {
    match e {
        RuleError::UnknownSigner(_) | RuleError::QuorumNotMet { .. } => StatusCode::FORBIDDEN,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

impl From<AppendFailure> for Problem {
    fn from(f: AppendFailure) -> Self {
        match f {
            AppendFailure::Entry(e) => Problem::coded(entry_status(&e), &e),
            AppendFailure::Rejected(Rejection::Rule(e)) => Problem::coded(rule_status(&e), &e),
            AppendFailure::Rejected(Rejection::IdempotencyConflict { seq }) => Problem::new(
                StatusCode::CONFLICT,
                "idempotency_conflict",
                format!(
                    "this idempotency key was already used for a different intent (entry {seq})"
                ),
                format!("该幂等键已用于另一条不同的意图（条目 {seq}）"),
            ),
            AppendFailure::UnknownFund => Problem::new(
                StatusCode::NOT_FOUND,
                "fund_not_found",
                "no such fund (a fund is created by its genesis entry, signed by the operator)",
                "没有该基金（基金由运营方签名的创始条目创建）",
            ),
            AppendFailure::Busy => Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "busy",
                "too many pending appends for this fund; retry with the same idempotency key",
                "该基金待处理的写入过多；请用相同的幂等键重试",
            ),
            AppendFailure::Store(cause) => Problem::store(&cause),
            f @ AppendFailure::WriterStopped => Problem::internal(&f),
            AppendFailure::FundDamaged { fund, reason } => Problem::fund_damaged(&fund, &reason),
            AppendFailure::Rebuilding { fund } => Problem::fund_rebuilding(&fund),
        }
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        Problem::store(&e)
    }
}

impl From<ProofError> for Problem {
    fn from(e: ProofError) -> Self {
        match e {
            ProofError::Request(m) => Problem::coded(StatusCode::BAD_REQUEST, &m),
            ProofError::UnknownFund => Problem::new(
                StatusCode::NOT_FOUND,
                "fund_not_found",
                "no such fund",
                "没有该基金",
            ),
            ProofError::Store(e) => Problem::store(&e),
        }
    }
}
