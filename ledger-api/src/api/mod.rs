//! The HTTP API under `/api/v1` (axum). Handlers parse the edge's JSON into core types,
//! call the ledger or the store, and answer JSON or `application/problem+json`.
//!
//! Every route is one [`Operation`] of [`operations`]: the router and the OpenAPI
//! document (`/api/v1/openapi.json`) are both built from that one table, so they cannot
//! disagree on what is served.

mod admin;
mod append;
mod auth;
mod extract;
mod limits;
mod metrics;
mod openapi;
mod problem;
mod proposals;
mod reads;
mod receipts;
mod statements;
pub use statements::parse_period;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::MethodRouter;
use axum::Router;
use tower::ServiceBuilder;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

pub use admin::check_issue;
pub use auth::{role_zh, Caller};
pub use limits::{Limits, RateLimits};
pub use metrics::Metrics;
pub use openapi::openapi_document;
pub use problem::{Problem, ProblemCode, PROBLEM_JSON};

use crate::ledger::Ledger;

/// Largest request body, in bytes.
pub const BODY_BYTES_MAX: usize = 256 * 1024;
/// Default page size of listings.
pub const PAGE_ROWS_DEFAULT: i64 = 100;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The ledger.
    pub ledger: Arc<Ledger>,
    /// Counters and histograms for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Limits in effect.
    pub limits: Limits,
    /// Rate-limit buckets.
    pub rate_limits: Arc<RateLimits>,
    /// Serialises co-signatures within this process.
    pub proposal_lock: Arc<tokio::sync::Mutex<()>>,
}

impl AppState {
    /// State for `ledger` with `limits`.
    pub fn new(ledger: Arc<Ledger>, limits: Limits) -> AppState {
        AppState {
            ledger,
            metrics: Arc::new(Metrics::new()),
            rate_limits: RateLimits::new(&limits),
            limits,
            proposal_lock: Arc::new(tokio::sync::Mutex::new(())),
        }
    }
}

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a token.
    Public,
    /// An operator token.
    Operator,
    /// A trustee token of the fund (an operator token for a genesis).
    Trustee,
    /// An auditor token.
    Auditor,
}

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
    /// The handler.
    pub handler: MethodRouter<AppState>,
}

fn op(
    method: Method,
    path: &'static str,
    id: &'static str,
    summary: &'static str,
    access: Access,
    handler: MethodRouter<AppState>,
) -> Operation {
    Operation {
        method,
        path,
        id,
        summary,
        access,
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
            Public,
            get(reads::health),
        ),
        op(
            M::GET,
            "/metrics",
            "metrics",
            "Prometheus metrics",
            Public,
            get(metrics::metrics),
        ),
        op(
            M::GET,
            "/api/v1/openapi.json",
            "openapi",
            "This document",
            Public,
            get(openapi::serve),
        ),
        op(
            M::GET,
            "/api/v1/log",
            "log_info",
            "The deployment's origin, log key and operator key",
            Public,
            get(reads::log_info),
        ),
        op(
            M::GET,
            "/api/v1/funds",
            "list_funds",
            "All funds with balances",
            Public,
            get(reads::list_funds),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}",
            "get_fund",
            "One fund with its balance",
            Public,
            get(reads::get_fund),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/entries",
            "list_entries",
            "Entries by range",
            Public,
            get(reads::list_entries),
        ),
        op(
            M::POST,
            "/api/v1/funds/{fund}/entries",
            "append",
            "Append a signed intent",
            Trustee,
            post(append::append),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/entries/{seq}",
            "get_entry",
            "One entry by seq",
            Public,
            get(reads::get_entry),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/proofs/inclusion",
            "inclusion_proof",
            "Inclusion proof of an entry in a tree size",
            Public,
            get(reads::inclusion),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/proofs/consistency",
            "consistency_proof",
            "Consistency proof between two tree sizes",
            Public,
            get(reads::consistency),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/checkpoint",
            "checkpoint",
            "Latest signed checkpoint (C2SP signed note)",
            Public,
            get(reads::checkpoint),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/export",
            "export",
            "The fund's export stream (NDJSON)",
            Public,
            get(reads::export),
        ),
        op(M::GET, "/api/v1/funds/{fund}/entries/{seq}/receipt", "receipt", "A receipt for an entry, checkable without the server (?donor=true: the donor's copy, for a trustee of the fund or an auditor)", Public, get(receipts::receipt)),
        op(
            M::GET,
            "/.well-known/community-ledger",
            "well_known",
            "The deployment's origin, log key and operator key",
            Public,
            get(reads::log_info),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/statements",
            "list_statements",
            "Signed statements of a fund, with their signers",
            Public,
            get(statements::list),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/statements/draft",
            "draft_statement",
            "The statement the log gives for a period (?period=2026-10|2026-Q3|2026)",
            Public,
            get(statements::draft),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/statements/{seq}",
            "get_statement",
            "One signed statement and its signers",
            Public,
            get(statements::get),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/proposals",
            "list_proposals",
            "Proposals of a fund (?status=open)",
            Trustee,
            get(proposals::list),
        ),
        op(
            M::POST,
            "/api/v1/funds/{fund}/proposals",
            "propose",
            "Propose an intent that needs co-signatures",
            Trustee,
            post(proposals::propose),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/proposals/{id}",
            "get_proposal",
            "One proposal",
            Trustee,
            get(proposals::get),
        ),
        op(
            M::POST,
            "/api/v1/funds/{fund}/proposals/{id}/signatures",
            "cosign",
            "Add a co-signature; appends when the quorum is met",
            Trustee,
            post(proposals::sign),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/vault",
            "vault_list",
            "Donor identities of a fund",
            Auditor,
            get(admin::vault_list),
        ),
        op(
            M::GET,
            "/api/v1/funds/{fund}/vault/{seq}",
            "vault_get",
            "One donor identity",
            Auditor,
            get(admin::vault_get),
        ),
        op(
            M::DELETE,
            "/api/v1/funds/{fund}/vault/{seq}",
            "vault_erase",
            "Erase a donor identity (lawful request)",
            Operator,
            delete(admin::vault_erase),
        ),
        op(
            M::GET,
            "/api/v1/credentials",
            "list_credentials",
            "All credentials (never their tokens)",
            Operator,
            get(admin::list),
        ),
        op(
            M::POST,
            "/api/v1/credentials",
            "issue_credential",
            "Issue a credential; its token is shown once",
            Operator,
            post(admin::issue),
        ),
        op(
            M::DELETE,
            "/api/v1/credentials/{id}",
            "revoke_credential",
            "Revoke a credential",
            Operator,
            delete(admin::revoke),
        ),
    ]
}

/// Random request ids (16 hex digits) for requests that do not bring one.
#[derive(Clone, Default)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let mut b = [0u8; 8];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
        HeaderValue::from_str(&hex::encode(b))
            .ok()
            .map(RequestId::new)
    }
}

/// The fund named in a path, for the request's span.
fn fund_of(path: &str) -> &str {
    path.strip_prefix("/api/v1/funds/")
        .map_or("", |rest| rest.split('/').next().unwrap_or(""))
}

/// Copies the matched route into the response, for the metrics layer outside routing.
async fn keep_matched_path(req: Request, next: Next) -> Response {
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let mut resp = next.run(req).await;
    if let Some(m) = matched {
        resp.extensions_mut().insert(m);
    }
    resp
}

async fn unknown_route() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "unknown_route",
        "no such route; see /api/v1/openapi.json",
        "没有此路径；请参阅 /api/v1/openapi.json",
    )
}

async fn method_not_allowed() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not accept that method; see /api/v1/openapi.json",
        "此路径不接受该请求方法；请参阅 /api/v1/openapi.json",
    )
}

/// The API router with its middleware: request ids, tracing spans, metrics, the rate
/// limit, the request timeout and the body limit.
pub fn router(state: AppState) -> Router {
    let mut routes = Router::new();
    for o in operations() {
        routes = routes.route(o.path, o.handler);
    }
    let trace = TraceLayer::new_for_http()
        .on_response(DefaultOnResponse::new().level(tracing::Level::INFO))
        .make_span_with(|req: &axum::http::Request<_>| {
            let id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            tracing::info_span!(
                "request",
                method = %req.method(),
                path = %req.uri().path(),
                request_id = %id,
                fund = %fund_of(req.uri().path()),
                credential = tracing::field::Empty,
            )
        });
    routes
        .merge(crate::pages::router(state.clone()))
        .route_layer(middleware::from_fn(keep_matched_path))
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_BYTES_MAX))
        .layer(middleware::from_fn_with_state(
            state.limits.request_timeout,
            limits::timeout,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            limits::rate_limit,
        ))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(RandomRequestId))
                .layer(trace)
                .layer(PropagateRequestIdLayer::x_request_id())
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    metrics::observe,
                )),
        )
        .with_state(state)
}
