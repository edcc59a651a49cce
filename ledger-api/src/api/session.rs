//! `/trustee/session`: a trustee signs in to the workspace with their token once and the
//! browser then holds a session cookie (see `crate::sessions` for its rules); `GET` tells
//! the page who is signed in and the CSRF token to send back; `DELETE` signs out.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::problem::Problem;
use crate::app::AppState;
use crate::credentials::{Role, Token};
use crate::sessions::{
    self, clear_cookie, is_https, new_csrf_token, now_s, same_origin, set_cookie, Session,
    SessionId,
};

/// Largest sign-in body, in bytes.
pub const SIGN_IN_BYTES_MAX: usize = 1024;

/// The body of a sign-in (JSON or a form).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignIn {
    token: String,
}

/// Whether the request's body is a form (the sign-in page without its script).
fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

fn sign_in_body(headers: &HeaderMap, body: &[u8]) -> Result<SignIn, Problem> {
    let form = is_form(headers);
    let parsed = if form {
        serde_urlencoded::from_bytes::<SignIn>(body).map_err(|e| e.to_string())
    } else {
        serde_json::from_slice::<SignIn>(body).map_err(|e| e.to_string())
    };
    parsed.map_err(|e| {
        Problem::bad_request(
            "malformed_request",
            format!("a sign-in is {{\"token\": \"clt_…\"}} (JSON or a form): {e}"),
            "登录请求应为 {\"token\": \"clt_…\"}（JSON 或表单）",
        )
    })
}

/// What the page learns about its session.
fn session_json(s: &AppState, session: &Session) -> serde_json::Value {
    let life = s.limits.session_life();
    json!({
        "credential": session.credential.id,
        "role": session.credential.role.as_str(),
        "fund": session.credential.fund,
        "label": session.credential.label,
        "csrf": session.csrf,
        "expires_at": session.created_at.saturating_add(life.max_s as i64),
        "idle_expires_at": life.ends_at(session.created_at, session.last_seen),
        "max_seconds": life.max_s,
        "idle_seconds": life.idle_s,
    })
}

/// `POST /trustee/session`: signs in with a trustee's token: 201 with the session (JSON),
/// or 303 to `/trustee` for a plain form; 401 `token_invalid`, 403 `session_role` for
/// another role, 403 `csrf_refused` from another site, 429 past
/// [`SIGN_IN_PER_MINUTE`](crate::sessions::SIGN_IN_PER_MINUTE) attempts a minute.
pub(super) async fn sign_in(State(s): State<AppState>, req: Request) -> Result<Response, Problem> {
    let addr = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |ConnectInfo(a)| a.ip().to_string());
    let (parts, body) = req.into_parts();
    let headers = parts.headers;
    if let Err(wait) = s.rate_limits.check_sign_in(&addr) {
        return Err(Problem::sign_in_limited(wait.as_secs() + 1));
    }
    if same_origin(&headers).is_err() {
        return Err(Problem::csrf_refused());
    }
    let body = axum::body::to_bytes(body, SIGN_IN_BYTES_MAX)
        .await
        .map_err(|_| {
            Problem::bad_request(
                "body_unreadable",
                format!("a sign-in body is at most {SIGN_IN_BYTES_MAX} bytes"),
                format!("登录请求体最多 {SIGN_IN_BYTES_MAX} 字节"),
            )
        })?;
    let b = sign_in_body(&headers, &body)?;
    let token = Token::parse(b.token.trim()).ok_or_else(Problem::token_invalid)?;
    let cred = match s.ledger.store().credential_for(&token).await? {
        Some(c) if c.is_active() => c,
        _ => return Err(Problem::token_invalid()),
    };
    if cred.role != Role::Trustee {
        return Err(Problem::session_role(cred.role));
    }
    // A new sign-in ends the session this browser held before, if any.
    if let Some(old) = sessions::session_cookie(&headers) {
        s.ledger.store().end_session(&old).await?;
    }
    let id = SessionId::generate();
    let csrf = new_csrf_token();
    let now = now_s();
    s.ledger
        .store()
        .open_session(&id, &token, &csrf, now)
        .await?;
    let session = Session {
        credential: cred,
        csrf,
        created_at: now,
        last_seen: now,
    };
    let life = s.limits.session_life();
    let cookie = set_cookie(&id, life.max_s, is_https(&headers));
    // A plain form goes back to the workspace; a script gets the session as JSON.
    let mut resp = if is_form(&headers) {
        (StatusCode::SEE_OTHER, [(header::LOCATION, "/trustee")]).into_response()
    } else {
        (StatusCode::CREATED, Json(session_json(&s, &session))).into_response()
    };
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// `GET /trustee/session`: the session of the cookie (401 without a live one).
pub(super) async fn current(
    State(s): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let session = live(&s, &headers).await?;
    let mut resp = Json(session_json(&s, &session)).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// `DELETE /trustee/session`: signs out (the CSRF check ran in the authentication layer).
pub(super) async fn sign_out(
    State(s): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let Some(id) = sessions::session_cookie(&headers) else {
        return Err(Problem::session_expired());
    };
    live(&s, &headers).await?;
    s.ledger.store().end_session(&id).await?;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&clear_cookie(is_https(&headers))) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(resp)
}

/// The live session of the request's cookie, or 401 `session_expired`.
async fn live(s: &AppState, headers: &HeaderMap) -> Result<Session, Problem> {
    let id = sessions::session_cookie(headers).ok_or_else(Problem::session_expired)?;
    s.ledger
        .store()
        .live_session(&id, s.limits.session_life(), now_s())
        .await?
        .ok_or_else(Problem::session_expired)
}

impl Problem {
    /// 401: no live session (never opened, signed out, expired, or its token revoked).
    pub fn session_expired() -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "session_expired",
            "no live session: sign in again with your token (sessions end after a time, at sign-out, or when the token is revoked)",
            "会话已失效：请用访问令牌重新登录（会话到期、退出登录或令牌被吊销后即失效）",
        )
    }

    /// 403: a cookie-authenticated request that changes state without the CSRF token or
    /// from another site.
    pub fn csrf_refused() -> Problem {
        Problem::new(
            StatusCode::FORBIDDEN,
            "csrf_refused",
            format!(
                "a request that changes something must come from this site's own pages with the session's {} header; nothing was written",
                sessions::CSRF_HEADER
            ),
            format!(
                "修改类请求必须来自本站页面并带有会话的 {} 请求头；未写入任何内容",
                sessions::CSRF_HEADER
            ),
        )
    }

    /// 403: sessions are for trustees only.
    pub fn session_role(role: Role) -> Problem {
        Problem::new(
            StatusCode::FORBIDDEN,
            "session_role",
            format!("only trustees sign in to the workspace; a {role} token is used with its tools (Authorization: Bearer)"),
            format!("只有受托人可登录工作台；{}令牌请在工具中使用（Authorization: Bearer）", super::auth::role_zh(role)),
        )
    }

    /// 429: too many sign-in attempts from this address.
    pub fn sign_in_limited(secs: u64) -> Problem {
        Problem {
            retry_after: u32::try_from(secs).ok(),
            ..Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("too many sign-in attempts from this address; retry in {secs} s"),
                format!("此地址登录尝试过多；请在 {secs} 秒后重试"),
            )
        }
    }
}
