//! Who is calling: the bearer token of the request, looked up by its hash.
//!
//! No `Authorization` header means the public. A header that is not a well-formed bearer
//! token, or a token the store does not know or has revoked, is refused with 401 even on
//! public routes, so that a client never mistakes a broken credential for the public view.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};

use super::problem::Problem;
use super::AppState;
use crate::credentials::{Credential, Role, Token};

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
            (Role::Trustee, Some(f)) if f == fund => Ok(cred),
            (Role::Trustee, other) => Err(Problem::forbidden_fund(other.unwrap_or("-"), fund)),
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

/// Middleware: resolves the caller of every request, so that a bad token is refused on
/// every route (public ones included) before any handler runs.
pub async fn authenticate(
    axum::extract::State(s): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (mut parts, body) = req.into_parts();
    match Caller::from_request_parts(&mut parts, &s).await {
        Ok(_) => {
            next.run(axum::extract::Request::from_parts(parts, body))
                .await
        }
        Err(p) => p.into_response(),
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Problem> {
        if let Some(c) = parts.extensions.get::<Caller>() {
            return Ok(c.clone());
        }
        let caller = match bearer_token(parts)? {
            None => Caller::Public,
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
    }
}
