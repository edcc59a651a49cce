//! Operator and auditor calls: credentials (issue, list, revoke) and the donor vault
//! (read by auditors, erased by the operator on a lawful request).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::extract::{ApiPath, ApiQuery};
use super::problem::Problem;
use super::PAGE_ROWS_DEFAULT;
use crate::app::AppState;
use crate::credentials::{Role, Token, LABEL_CHARS_MAX};
use crate::store::{RevokeError, Store};
use crate::views::{CredentialList, CredentialView, VaultPage as VaultPageView, VaultView};

/// The body of `POST /api/v1/credentials`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct IssueBody {
    role: String,
    #[serde(default)]
    fund: Option<String>,
    label: String,
}

/// Checks an issue request and returns its role; the fund must exist for a trustee.
pub async fn check_issue(
    store: &Store,
    role: &str,
    fund: Option<&str>,
    label: &str,
) -> Result<Role, Problem> {
    let role: Role = role.parse().map_err(|e: crate::credentials::UnknownRole| {
        Problem::unprocessable(
            "role_unknown",
            e.to_string(),
            "角色未知（operator、trustee、auditor 或 supervisor）",
        )
    })?;
    let chars = label.chars().count();
    if chars == 0 || chars > LABEL_CHARS_MAX || label.chars().any(char::is_control) {
        return Err(Problem::unprocessable(
            "label_invalid",
            format!("label must be 1 to {LABEL_CHARS_MAX} characters without control characters"),
            format!("label 必须为 1 到 {LABEL_CHARS_MAX} 个字符，且不含控制字符"),
        ));
    }
    match (role, fund) {
        (Role::Trustee | Role::Supervisor, Some(f)) => {
            if store.fund(f).await?.is_none() {
                return Err(Problem::unknown_fund(f));
            }
        }
        (Role::Trustee | Role::Supervisor, None) => {
            return Err(Problem::unprocessable(
                "fund_required",
                "a trustee or supervisor credential names the fund it writes",
                "受托人或监督员令牌必须指明其写入的基金",
            ))
        }
        (_, Some(_)) => {
            return Err(Problem::unprocessable(
                "fund_not_allowed",
                "only a trustee or supervisor credential names a fund",
                "只有受托人或监督员令牌才指明基金",
            ))
        }
        (_, None) => {}
    }
    Ok(role)
}

/// `POST /api/v1/credentials` (operator): issues a token, shown once in the answer.
pub(super) async fn issue(
    State(s): State<AppState>,
    body: Result<Json<IssueBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, Problem> {
    let Json(b) = body.map_err(|e| {
        Problem::bad_request(
            "malformed_request",
            format!(
                "request body is not a valid credential request: {}",
                e.body_text()
            ),
            "请求体不是有效的令牌申请",
        )
    })?;
    let role = check_issue(s.ledger.store(), &b.role, b.fund.as_deref(), &b.label).await?;
    let token = Token::generate();
    let now = s.ledger.now().to_string();
    let cred = s
        .ledger
        .store()
        .issue_credential(&token, role, b.fund.as_deref(), &b.label, &now)
        .await?;
    tracing::info!(id = %cred.id, role = %cred.role, fund = ?cred.fund, "credential issued");
    let mut v = CredentialView::of(&cred);
    v.token = Some(token.reveal().to_owned());
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// `GET /api/v1/credentials` (operator): every credential, without tokens.
pub(super) async fn list(State(s): State<AppState>) -> Result<Json<CredentialList>, Problem> {
    let creds = s.ledger.store().credentials().await?;
    Ok(Json(CredentialList {
        credentials: creds.iter().map(CredentialView::of).collect(),
    }))
}

/// `DELETE /api/v1/credentials/{id}` (operator): revokes a credential.
pub(super) async fn revoke(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<CredentialView>, Problem> {
    let now = s.ledger.now().to_string();
    match s.ledger.store().revoke_credential(&id, &now).await {
        Ok(c) => {
            tracing::info!(id = %c.id, "credential revoked");
            Ok(Json(CredentialView::of(&c)))
        }
        Err(RevokeError::NotFound(_)) => Err(Problem::not_found("credential")),
        Err(RevokeError::AlreadyRevoked(id)) => Err(Problem::new(
            StatusCode::CONFLICT,
            "already_revoked",
            format!("credential `{id}` is already revoked"),
            format!("令牌「{id}」已被吊销"),
        )),
        Err(RevokeError::Store(e)) => Err(e.into()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct VaultPage {
    #[serde(default)]
    from: u64,
    #[serde(default)]
    limit: Option<i64>,
}

/// `GET /api/v1/funds/{fund}/vault` (auditor): the fund's donor identities.
pub(super) async fn vault_list(
    State(s): State<AppState>,
    ApiPath(fund): ApiPath<String>,
    ApiQuery(p): ApiQuery<VaultPage>,
) -> Result<Json<VaultPageView>, Problem> {
    if s.ledger.store().fund(&fund).await?.is_none() {
        return Err(Problem::unknown_fund(&fund));
    }
    let limit = super::reads::page_limit(p.limit.unwrap_or(PAGE_ROWS_DEFAULT))?;
    let rows = s.ledger.store().vault_rows(&fund, p.from, limit).await?;
    Ok(Json(VaultPageView {
        donors: rows.iter().map(|r| VaultView::of(&fund, r)).collect(),
        next: (rows.len() as i64 == limit)
            .then(|| rows.last().map(|r| r.seq + 1))
            .flatten(),
    }))
}

/// `GET /api/v1/funds/{fund}/vault/{seq}` (auditor): one donor's identity.
pub(super) async fn vault_get(
    State(s): State<AppState>,
    ApiPath((fund, seq)): ApiPath<(String, u64)>,
) -> Result<Json<VaultView>, Problem> {
    let row = s.ledger.store().vault_row(&fund, seq).await?;
    row.map(|r| Json(VaultView::of(&fund, &r)))
        .ok_or_else(|| Problem::not_found("donor identity"))
}

/// `DELETE /api/v1/funds/{fund}/vault/{seq}` (operator): erases a donor's identity on a
/// lawful request. The chain keeps only the commitment and still verifies.
pub(super) async fn vault_erase(
    State(s): State<AppState>,
    ApiPath((fund, seq)): ApiPath<(String, u64)>,
) -> Result<Response, Problem> {
    if !s.ledger.store().erase_vault_row(&fund, seq).await? {
        return Err(Problem::not_found("donor identity"));
    }
    tracing::info!(fund = %fund, seq, "donor identity erased");
    Ok(StatusCode::NO_CONTENT.into_response())
}
