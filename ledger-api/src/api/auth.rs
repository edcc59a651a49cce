//! Who is calling: the bearer token of the request, looked up by its hash, or else the
//! workspace's session cookie (`crate::sessions`), which stands for a trustee's token.
//!
//! No `Authorization` header and no session cookie means the public. A header that is not
//! a well-formed bearer token, or a token the store does not know or has revoked, is
//! refused with 401 even on public routes, so that a client never mistakes a broken
//! credential for the public view. A session cookie that is no longer live makes the
//! caller the public (the residents' pages stay readable), and a route that needs a
//! credential then answers 401 `session_expired`. A request authenticated by the cookie
//! that changes state must carry the session's CSRF token and come from this site
//! (403 `csrf_refused` otherwise), before any handler runs.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::extract::ApiPath;
use crate::app::AppState;
use crate::credentials::{Credential, Role, Token};
use crate::problem::Problem;
use crate::sessions::{self, changes_state, csrf_matches, has_session_cookie, same_origin};

/// The caller of a request.
#[derive(Debug, Clone)]
pub enum Caller {
    /// No token.
    Public,
    /// A valid, unrevoked credential.
    Holder(Credential),
}

impl Caller {
    /// The credential's role, if any.
    pub fn role(&self) -> Option<Role> {
        match self {
            Caller::Public => None,
            Caller::Holder(c) => Some(c.role),
        }
    }

    /// Refuses unless the caller holds one of `roles`: 401 for the public, 403 otherwise.
    pub fn require(&self, roles: &[Role], action: &str) -> Result<&Credential, Problem> {
        match self {
            Caller::Public => Err(Problem::unauthenticated(action)),
            Caller::Holder(c) if roles.contains(&c.role) => Ok(c),
            Caller::Holder(c) => Err(Problem::forbidden_role(c.role, action)),
        }
    }
}

impl Caller {
    /// Refuses unless the caller holds a trustee credential of `fund` (or one of
    /// `also`, which may be any fund's): 401 for the public, 403 otherwise.
    pub fn trustee_of(
        &self,
        fund: &str,
        also: &[Role],
        action: &str,
    ) -> Result<&Credential, Problem> {
        let mut roles = vec![Role::Trustee];
        roles.extend_from_slice(also);
        let cred = self.require(&roles, action)?;
        match (cred.role, cred.fund.as_deref()) {
            (Role::Trustee | Role::Supervisor, Some(f)) if f == fund => Ok(cred),
            (Role::Trustee | Role::Supervisor, other) => {
                Err(Problem::forbidden_fund(other.unwrap_or("-"), fund))
            }
            _ => Ok(cred),
        }
    }
}

/// The token of an `Authorization: Bearer …` header: `Ok(None)` without the header,
/// `Err` when the header is there but is not a well-formed bearer token.
pub fn bearer_token(parts: &Parts) -> Result<Option<Token>, Problem> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| Problem::token_invalid())?;
    let token = text
        .strip_prefix("Bearer ")
        .and_then(|t| Token::parse(t.trim()))
        .ok_or_else(Problem::token_invalid)?;
    Ok(Some(token))
}

/// Marks a request that brought a session cookie that is no longer live, so that a route
/// needing a credential says `session_expired` rather than `unauthenticated`.
#[derive(Debug, Clone, Copy)]
pub struct StaleSession;

/// The path of the sign-in, which carries its own token and ignores any cookie.
const SIGN_IN_PATH: &str = "/trustee/session";

/// The caller a session cookie stands for: `Ok(None)` without a cookie (or a dead one,
/// then marked [`StaleSession`]); 403 `csrf_refused` for a state-changing request without
/// the session's CSRF token or from another site.
async fn session_caller(parts: &mut Parts, s: &AppState) -> Result<Option<Caller>, Problem> {
    if !has_session_cookie(&parts.headers)
        || (parts.method == axum::http::Method::POST && parts.uri.path() == SIGN_IN_PATH)
    {
        return Ok(None);
    }
    let live = match sessions::session_cookie(&parts.headers) {
        Some(id) => {
            let now = sessions::now_s();
            s.ledger
                .store()
                .live_session(&id, s.limits.session_life(), now)
                .await?
        }
        None => None,
    };
    let Some(session) = live else {
        parts.extensions.insert(StaleSession);
        return Ok(None);
    };
    if changes_state(&parts.method)
        && (!csrf_matches(&parts.headers, &session.csrf) || same_origin(&parts.headers).is_err())
    {
        return Err(Problem::csrf_refused());
    }
    Ok(Some(Caller::Holder(session.credential)))
}

/// Middleware: resolves the caller of every request, so that a bad token is refused on
/// every route (public ones included) before any handler runs.
pub async fn authenticate(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    match Caller::from_request_parts(&mut parts, &s).await {
        Ok(_) => next.run(Request::from_parts(parts, body)).await,
        Err(p) => p.into_response(),
    }
}

/// Who may call an operation: the access column of [`super::operations`], enforced on
/// each operation's route by [`guard`] before its handler runs (so before its body is
/// read). Checks that depend on the body or on stored data stay in the handlers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a token.
    Public,
    /// An operator token.
    Operator,
    /// An auditor token.
    Auditor,
    /// A trustee token of the path's `{fund}`.
    Trustee,
    /// A trustee token of the path's `{fund}`, or an auditor token.
    TrusteeOrAuditor,
    /// A trustee, supervisor or operator token. The intent in the body decides the rest
    /// (an operator for a genesis, a supervisor of the fund for an opinion only, else a
    /// trustee of the fund): the handler checks it.
    Writer,
}

impl Access {
    /// Whether the check needs the path's `{fund}`.
    pub fn is_fund_scoped(self) -> bool {
        matches!(self, Access::Trustee | Access::TrusteeOrAuditor)
    }

    /// Refuses `caller` unless this access allows it on `fund` (the path's `{fund}`, for
    /// the fund-scoped kinds): 401 for the public, 403 otherwise, naming `action`.
    pub fn check(self, caller: &Caller, fund: Option<&str>, action: &str) -> Result<(), Problem> {
        let fund = fund.unwrap_or_default();
        match self {
            Access::Public => Ok(()),
            Access::Operator => caller.require(&[Role::Operator], action).map(drop),
            Access::Auditor => caller.require(&[Role::Auditor], action).map(drop),
            Access::Writer => caller
                .require(&[Role::Trustee, Role::Operator, Role::Supervisor], action)
                .map(drop),
            Access::Trustee => caller.trustee_of(fund, &[], action).map(drop),
            Access::TrusteeOrAuditor => caller.trustee_of(fund, &[Role::Auditor], action).map(drop),
        }
    }
}

/// The state of one route's [`guard`]: its access and the action named in refusals.
#[derive(Debug, Clone, Copy)]
pub struct Guard {
    /// Who may call the route.
    pub access: Access,
    /// What the route does, as refusals name it ("reading the donor vault").
    pub action: &'static str,
}

/// Route middleware: refuses a caller that the route's [`Access`] does not allow, with
/// the same problems as [`Caller::require`] and [`Caller::trustee_of`]. The caller comes
/// from [`authenticate`]; without it (a router built without that layer) the caller is
/// the public, so a misassembled router refuses rather than lets through.
pub async fn guard(State(g): State<Guard>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let caller = parts
        .extensions
        .get::<Caller>()
        .cloned()
        .unwrap_or(Caller::Public);
    let fund = if g.access.is_fund_scoped() {
        // A path that does not decode is refused as the handler's own path extractor
        // would refuse it.
        match ApiPath::<HashMap<String, String>>::from_request_parts(&mut parts, &()).await {
            Ok(ApiPath(mut params)) => params.remove("fund"),
            Err(p) => return p.into_response(),
        }
    } else {
        None
    };
    match g.access.check(&caller, fund.as_deref(), g.action) {
        Ok(()) => next.run(Request::from_parts(parts, body)).await,
        Err(_) if parts.extensions.get::<StaleSession>().is_some() => {
            Problem::session_expired().into_response()
        }
        Err(p) => p.into_response(),
    }
}

/// The credential of a caller that the route's [`guard`] let through: for handlers that
/// need to know who acts (a proposal's author). A public caller (which only a route
/// without a guard lets through) is refused with 401.
#[derive(Debug, Clone)]
pub struct Holder(pub Credential);

impl<S: Send + Sync> FromRequestParts<S> for Holder {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        match parts.extensions.get::<Caller>() {
            Some(Caller::Holder(c)) => Ok(Holder(c.clone())),
            _ => Err(Problem::unauthenticated("this operation")),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Problem> {
        if let Some(c) = parts.extensions.get::<Caller>() {
            return Ok(c.clone());
        }
        let caller = match bearer_token(parts)? {
            None => session_caller(parts, s).await?.unwrap_or(Caller::Public),
            Some(token) => match s.ledger.store().credential_for(&token).await? {
                Some(c) if c.is_active() => Caller::Holder(c),
                _ => return Err(Problem::token_invalid()),
            },
        };
        if let Caller::Holder(c) = &caller {
            tracing::Span::current().record("credential", c.id.as_str());
        }
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

impl Problem {
    /// 401: this needs a token.
    pub fn unauthenticated(action: &str) -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            format!("{action} needs a bearer token (Authorization: Bearer clt_…)"),
            format!("{action}需要访问令牌（Authorization: Bearer clt_…）"),
        )
    }

    /// 401: the token presented is malformed, unknown or revoked.
    pub fn token_invalid() -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "token_invalid",
            "the bearer token is malformed, unknown or revoked",
            "访问令牌格式错误、不存在或已被吊销",
        )
    }

    /// 403: the role may not do this.
    pub fn forbidden_role(role: Role, action: &str) -> Problem {
        Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden_role",
            format!("a {role} token may not do this: {action}"),
            format!("{}令牌无权执行此操作：{action}", role_zh(role)),
        )
    }

    /// 403: a trustee token of another fund.
    pub fn forbidden_fund(token_fund: &str, fund: &str) -> Problem {
        Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden_fund",
            format!("this token writes fund `{token_fund}`, not `{fund}`"),
            format!("此令牌只能写入基金「{token_fund}」，不能写入「{fund}」"),
        )
    }
}

/// The role's name in Chinese.
pub fn role_zh(role: Role) -> &'static str {
    match role {
        Role::Operator => "运营方",
        Role::Trustee => "受托人",
        Role::Auditor => "审计员",
        Role::Supervisor => "监督员",
    }
}
