//! The HTTP API under `/api/v1` (axum). Handlers parse the edge's JSON into core types,
//! call the ledger or the store, and answer JSON or `application/problem+json`.
//!
//! Every route is one [`Operation`] of [`operations`]: the routes ([`routes`]) and the
//! OpenAPI document (`/api/v1/openapi.json`) are both built from that one table, so they
//! cannot disagree on what is served, and each route's [`Access`] is enforced by a layer
//! on that route ([`auth::guard`]) before its handler runs. The middleware stack around
//! every route, the pages' included, is applied in `crate::router`.

mod admin;
mod append;
pub mod auth;
mod checks;
mod extract;
mod months;
mod openapi;
mod proposals;
mod quarantine;
mod reads;
mod receipts;
mod reports;
mod session;
mod statements;
pub use statements::parse_period;

use axum::http::Method;
use axum::routing::MethodRouter;
use axum::Router;

pub use admin::check_issue;
pub use auth::{role_zh, Access, Caller};
pub use openapi::openapi_document;
// The problems live in `crate::problem`, beside the middleware that answers with them;
// `super::problem::…` in the handlers resolves through this import.
use crate::app::AppState;
use crate::problem;
pub use crate::problem::{Problem, ProblemCode, PROBLEM_JSON};

/// Largest request body, in bytes.
pub const BODY_BYTES_MAX: usize = 256 * 1024;
/// Default page size of listings.
pub const PAGE_ROWS_DEFAULT: i64 = 100;

/// One route: method, path, who may call it, and its handler.
pub struct Operation {
    /// HTTP method.
    pub method: Method,
    /// Path template (axum syntax, which is also OpenAPI's: `{name}`).
    pub path: &'static str,
    /// OpenAPI `operationId`.
    pub id: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// Who may call it.
    pub access: Access,
    /// What it does, as a refusal names it ("reading the donor vault"); empty for
    /// public operations.
    pub action: &'static str,
    /// The handler.
    pub handler: MethodRouter<AppState>,
}

impl Operation {
    /// The handler with the route's access enforced in front of it.
    /// A route of one fund (but the vault's) also refuses a quarantined fund
    /// ([`quarantine::refuse_damaged`]), after the access check.
    pub fn guarded(self, state: &AppState) -> MethodRouter<AppState> {
        let mut handler = self.handler;
        if quarantine::stops(self.path) {
            handler = handler.route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                quarantine::refuse_damaged,
            ));
        }
        if self.access == Access::Public {
            return handler;
        }
        let g = auth::Guard {
            access: self.access,
            action: self.action,
        };
        handler.route_layer(axum::middleware::from_fn_with_state(g, auth::guard))
    }
}

/// The API's routes, each behind the check of its access column; the caller (see
/// [`auth::authenticate`]) and the rest of the middleware are applied around them by
/// `crate::router`.
pub fn routes(state: &AppState) -> Router<AppState> {
    let mut routes = Router::new();
    for o in operations() {
        routes = routes.route(o.path, o.guarded(state));
    }
    routes
}

fn op(
    method: Method,
    path: &'static str,
    id: &'static str,
    summary: &'static str,
    (access, action): (Access, &'static str),
    handler: MethodRouter<AppState>,
) -> Operation {
    Operation {
        method,
        path,
        id,
        summary,
        access,
        action,
        handler,
    }
}

/// Every operation of the API.
pub fn operations() -> Vec<Operation> {
    use axum::routing::{delete, get, post};
    use Access::*;
    use Method as M;
    vec![
        op(
            M::GET,
            "/healthz",
            "health",
            "Liveness and store reachability",
            (Public, ""),
            get(reads::health),
        ),
        op(
            M::GET,
            "/metrics",
            "metrics",
            "Prometheus metrics",
            (Public, ""),
            get(reads::metrics),
        ),
        op(
            M::GET,
            "/api/v1/openapi.json",
            "openapi",
            "This document",
            (Public, ""),
            get(openapi::serve),
        ),
        op(
            M::GET,
            "/api/v1/log",
            "log_info",
            "The deployment's origin, log key and operator key",
            (Public, ""),
            get(reads::log_info),
        ),
        op(
            M::GET,
            "/api/v1/funds",
            "list_funds",
            "All funds with balances",
            (Public, ""),
            get(reads::list_funds),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}",
            "get_fund",
            "One fund with its balance",
            (Public, ""),
            get(reads::get_fund),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/entries",
            "list_entries",
            "Entries by range",
            (Public, ""),
            get(reads::list_entries),
        ),
        op(
            M::POST,
            "/api/v1/funds/{fund}/entries",
            "append",
            "Append a signed intent",
            (Writer, "appending an entry"),
            post(append::append),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/entries/{seq}",
            "get_entry",
            "One entry by seq",
            (Public, ""),
            get(reads::get_entry),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/proofs/inclusion",
            "inclusion_proof",
            "Inclusion proof of an entry in a tree size",
            (Public, ""),
            get(reads::inclusion),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/proofs/consistency",
            "consistency_proof",
            "Consistency proof between two tree sizes",
            (Public, ""),
            get(reads::consistency),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/checkpoint",
            "checkpoint",
            "The newest checkpoint meeting the witness quorum, with its cosignatures (C2SP signed note; without a witness policy: the newest log-signed one)",
            (Public, ""),
            get(reads::checkpoint),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/checkpoint/latest",
            "latest_checkpoint",
            "The newest log-signed checkpoint, witnessed or not (C2SP signed note)",
            (Public, ""),
            get(reads::latest_checkpoint),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/export",
            "export",
            "The fund's export stream (NDJSON)",
            (Public, ""),
            get(reads::export),
        ),
        op(M::GET, "/api/v1/funds/{fund}/entries/{seq}/receipt", "receipt", "A receipt for an entry, checkable without the server (?donor=true: the donor's copy, for a trustee of the fund or an auditor)", (Public, ""), get(receipts::receipt)),
        op(
            M::GET,
            "/api/v1/funds/{fund}/months",
            "list_months",
            "The fund's figures per local month (opening, closing, totals by kind), from the per-month index",
            (Public, ""),
            get(months::list),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/months/{month}",
            "get_month",
            "One local month's figures (YYYY-MM); final, and cached for a year, once a later month has entries",
            (Public, ""),
            get(months::get),
        ),
        op(
            M::GET,
            "/.well-known/community-ledger",
            "well_known",
            "The deployment's origin, log key and operator key",
            (Public, ""),
            get(reads::log_info),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/statements",
            "list_statements",
            "Signed statements of a fund, with their signers",
            (Public, ""),
            get(statements::list),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/statements/draft",
            "draft_statement",
            "The statement the log gives for a period (?period=2026-10|2026-Q3|2026)",
            (Public, ""),
            get(statements::draft),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/reports/statutory",
            "statutory_report",
            "The 业务活动表 lines and 资产负债表 net assets of a period in 非限定性 / 限定性 / 合计 columns, with the annual items for a year (?period=2026-10|2026-Q3|2026, &format=csv)",
            (Public, ""),
            get(reports::statutory),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/disclosures",
            "disclosures",
            "The disclosure calendar: what was due, when it was published (seq), what is overdue (?today=YYYY-MM-DD)",
            (Public, ""),
            get(reports::disclosures),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/statements/{seq}",
            "get_statement",
            "One signed statement and its signers",
            (Public, ""),
            get(statements::get),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/proposals",
            "list_proposals",
            "Proposals of a fund (?status=open)",
            (TrusteeOrAuditor, "reading proposals"),
            get(proposals::list),
        ),
        op(
            M::POST,
            "/api/v1/funds/{fund}/proposals",
            "propose",
            "Propose an intent that needs co-signatures",
            (Trustee, "proposing an entry"),
            post(proposals::propose),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/proposals/{id}",
            "get_proposal",
            "One proposal",
            (TrusteeOrAuditor, "reading proposals"),
            get(proposals::get),
        ),
        op(
            M::POST,
            "/api/v1/funds/{fund}/proposals/{id}/signatures",
            "cosign",
            "Add a co-signature; appends when the quorum is met",
            (Trustee, "co-signing a proposal"),
            post(proposals::sign),
        ),
        op(
            M::POST,
            "/api/v1/funds/{fund}/intents/check",
            "check_intents",
            "Check unsigned intents against the fund's rules, in order: figures and refusals; nothing written",
            (TrusteeOrAuditor, "checking intents"),
            post(checks::check_intents),
        ),
        op(
            M::POST,
            "/api/v1/funds/{fund}/import/check",
            "check_import",
            "Dry run of a CSV import: every row's unsigned intent, refusal or earlier entry; nothing written",
            (Trustee, "checking an import"),
            post(checks::check_import),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/workspace",
            "workspace",
            "What the trustees' forms read: balance, trustees, policy, agreements with paid periods, spaces with a week's bookings (?week=YYYY-MM-DD)",
            (TrusteeOrAuditor, "reading the trustees' workspace"),
            get(checks::workspace),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/vault",
            "vault_list",
            "Donor identities of a fund",
            (Auditor, "reading the donor vault"),
            get(admin::vault_list),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/vault/{seq}",
            "vault_get",
            "One donor identity",
            (Auditor, "reading the donor vault"),
            get(admin::vault_get),
        ),
        op(
            M::DELETE,
            "/api/v1/funds/{fund}/vault/{seq}",
            "vault_erase",
            "Erase a donor identity (lawful request)",
            (Operator, "erasing a donor identity"),
            delete(admin::vault_erase),
        ),
        op(
            M::POST,
            "/trustee/session",
            "sign_in",
            "Sign in to the trustees' workspace with a trustee token (JSON or form `token`): sets the HttpOnly session cookie, answers the CSRF token",
            (Public, ""),
            post(session::sign_in),
        ),
        op(
            M::GET,
            "/trustee/session",
            "session",
            "The workspace session of the cookie: credential, fund, CSRF token, expiry",
            (Public, ""),
            get(session::current),
        ),
        op(
            M::DELETE,
            "/trustee/session",
            "sign_out",
            "Sign out of the workspace (needs the X-CSRF-Token header)",
            (Public, ""),
            delete(session::sign_out),
        ),
        op(
            M::GET,
            "/api/v1/credentials",
            "list_credentials",
            "All credentials (never their tokens)",
            (Operator, "listing credentials"),
            get(admin::list),
        ),
        op(
            M::POST,
            "/api/v1/credentials",
            "issue_credential",
            "Issue a credential; its token is shown once",
            (Operator, "issuing credentials"),
            post(admin::issue),
        ),
        op(
            M::DELETE,
            "/api/v1/credentials/{id}",
            "revoke_credential",
            "Revoke a credential",
            (Operator, "revoking credentials"),
            delete(admin::revoke),
        ),
    ]
}
