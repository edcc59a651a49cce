//! `/metrics`: appends, refusals by code and request latency, in the Prometheus
//! (OpenMetrics) text format.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::problem::ProblemCode;

/// Labels of a request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
    status: u16,
}

/// Labels of a refusal.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: String,
    status: u16,
}

/// Labels of an append.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    appends: Family<KindLabels, Counter>,
    refusals: Family<CodeLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    funds_damaged: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("ledger");
        let appends = Family::<KindLabels, Counter>::default();
        let refusals = Family::<CodeLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            // 0.5 ms to about 16 s.
            Histogram::new(exponential_buckets(0.000_5, 2.0, 16))
        });
        registry.register(
            "appends",
            "Entries appended (acknowledged after commit), by kind",
            appends.clone(),
        );
        registry.register(
            "refusals",
            "Requests refused, by problem code and status",
            refusals.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Request latency until the response head, by route and status",
            latency.clone(),
        );
        let funds_damaged = Gauge::default();
        registry.register(
            "funds_damaged",
            "Funds quarantined because their stored rows disagree with their log",
            funds_damaged.clone(),
        );
        Metrics {
            registry,
            appends,
            refusals,
            latency,
            funds_damaged,
        }
    }

    /// Counts an appended entry.
    pub fn appended(&self, kind: &str) {
        self.appends
            .get_or_create(&KindLabels {
                kind: kind.to_owned(),
            })
            .inc();
    }

    /// Sets the number of quarantined funds (read from the ledger when scraped).
    pub fn set_funds_damaged(&self, n: usize) {
        self.funds_damaged.set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

/// Middleware: times each request and counts refusals by their problem code.
pub async fn observe(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let resp = next.run(req).await;
    // Routing happens inside this layer; the router copies the matched path out.
    let route = resp
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let status = resp.status().as_u16();
    metrics
        .latency
        .get_or_create(&RouteLabels {
            method,
            route,
            status,
        })
        .observe(started.elapsed().as_secs_f64());
    if let Some(ProblemCode(code)) = resp.extensions().get::<ProblemCode>() {
        metrics
            .refusals
            .get_or_create(&CodeLabels {
                code: (*code).to_owned(),
                status,
            })
            .inc();
    }
    resp
}

/// `GET /metrics`.
pub async fn metrics(State(metrics): State<Arc<Metrics>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        metrics.render(),
    )
}
