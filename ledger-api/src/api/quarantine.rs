//! Quarantined funds at the API's edge: every operation on a fund whose stored rows
//! disagree with its log (`crate::ledger::Ledger::damage`) answers 503 `fund_damaged`
//! with the reason, before its handler reads or writes anything. The donor vault's
//! operations are exempt: the vault is not the log, and an erasure must stay possible.

use axum::extract::{RawPathParams, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::problem::Problem;

/// True for the operations that a quarantine stops: every route of one fund
/// (`/api/v1/funds/{fund}…`) but the donor vault's.
pub(super) fn stops(path: &str) -> bool {
    path.starts_with("/api/v1/funds/{fund}") && !path.contains("/vault")
}

/// The layer on each route that [`stops`] names: 503 `fund_damaged` for a quarantined
/// fund (its path parameter `fund`, percent-decoded as the handlers see it).
pub(super) async fn refuse_damaged(
    State(s): State<AppState>,
    params: Result<RawPathParams, axum::extract::rejection::RawPathParamsRejection>,
    req: Request,
    next: Next,
) -> Response {
    if let Ok(params) = params {
        let fund = params.iter().find(|(k, _)| *k == "fund").map(|(_, v)| v);
        if let Some((fund, reason)) = fund.and_then(|f| Some((f, s.ledger.damage(f)?))) {
            return Problem::fund_damaged(fund, &reason).into_response();
        }
    }
    next.run(req).await
}
