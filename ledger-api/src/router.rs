//! The service's one router: the API's routes ([`crate::api::routes`]) and the residents'
//! pages ([`crate::pages::routes`]) merged, inside one middleware stack (outermost first):
//! request id → trace span → metrics → caching headers ([`crate::caching`]) → rate limit →
//! authentication → timeout → body limit.
//! Each API route also carries the check of its access column (`crate::api::auth::guard`).

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use tower::ServiceBuilder;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::api::auth::authenticate;
use crate::api::{self, BODY_BYTES_MAX};
use crate::app::AppState;
use crate::caching;
use crate::pages;
use crate::problem::Problem;
use crate::{limits, metrics};

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

/// The whole service: the API and the pages with their middleware: request ids, tracing
/// spans, metrics, the rate limit, authentication, the request timeout and the body limit.
pub fn router(state: AppState) -> Router {
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
    api::routes(&state)
        .merge(pages::routes(state.clone()))
        .route_layer(middleware::from_fn(keep_matched_path))
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_BYTES_MAX))
        .layer(middleware::from_fn_with_state(
            state.limits.request_timeout,
            limits::timeout,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .layer(middleware::from_fn_with_state(
            state.rate_limits.clone(),
            limits::rate_limit,
        ))
        .layer(middleware::from_fn(caching::cache_headers))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(RandomRequestId))
                .layer(trace)
                .layer(PropagateRequestIdLayer::x_request_id())
                .layer(middleware::from_fn_with_state(
                    state.metrics.clone(),
                    metrics::observe,
                )),
        )
        .with_state(state)
}
