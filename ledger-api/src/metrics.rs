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

/// Labels of a witness.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WitnessLabels {
    witness: String,
}

/// Labels of a fund.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FundLabels {
    fund: String,
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    appends: Family<KindLabels, Counter>,
    refusals: Family<CodeLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    funds_damaged: Gauge,
    witness_requests: Family<WitnessLabels, Counter>,
    witness_failures: Family<WitnessLabels, Counter>,
    witness_alarms: Family<WitnessLabels, Counter>,
    witness_latency: Family<WitnessLabels, Histogram>,
    witnessed_age: Family<FundLabels, Gauge>,
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
        let witness_requests = Family::<WitnessLabels, Counter>::default();
        registry.register(
            "witness_requests",
            "add-checkpoint requests sent to each witness of the policy",
            witness_requests.clone(),
        );
        let witness_failures = Family::<WitnessLabels, Counter>::default();
        registry.register(
            "witness_failures",
            "add-checkpoint requests that gave no valid cosignature (unreachable, timeout, \
             refusal, bad reply), by witness; a 409 that teaches the witness's size is not one",
            witness_failures.clone(),
        );
        let witness_alarms = Family::<WitnessLabels, Counter>::default();
        registry.register(
            "witness_alarms",
            "Witnesses that said they cosigned a larger checkpoint of a fund than its log has",
            witness_alarms.clone(),
        );
        let witness_latency = Family::<WitnessLabels, Histogram>::new_with_constructor(|| {
            // 1 ms to about 16 s.
            Histogram::new(exponential_buckets(0.001, 2.0, 15))
        });
        registry.register(
            "witness_request_duration_seconds",
            "add-checkpoint request latency, by witness",
            witness_latency.clone(),
        );
        let witnessed_age = Family::<FundLabels, Gauge>::default();
        registry.register(
            "witnessed_checkpoint_age_seconds",
            "Per fund: 0 while its newest checkpoint meets the witness quorum; else seconds \
             since its newest witnessed checkpoint met it (since the server started if none has)",
            witnessed_age.clone(),
        );
        Metrics {
            registry,
            appends,
            refusals,
            latency,
            funds_damaged,
            witness_requests,
            witness_failures,
            witness_alarms,
            witness_latency,
            witnessed_age,
        }
    }

    /// Counts an `add-checkpoint` request to `witness` that took `elapsed`; `ok` when it
    /// gave a valid cosignature or a 409 with the witness's size.
    pub fn witness_request(&self, witness: &str, elapsed: std::time::Duration, ok: bool) {
        let labels = WitnessLabels {
            witness: witness.to_owned(),
        };
        self.witness_requests.get_or_create(&labels).inc();
        if !ok {
            self.witness_failures.get_or_create(&labels).inc();
        }
        self.witness_latency
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// Counts an alarm: `witness` cosigned a larger checkpoint than the log has.
    pub fn witness_alarm(&self, witness: &str) {
        self.witness_alarms
            .get_or_create(&WitnessLabels {
                witness: witness.to_owned(),
            })
            .inc();
    }

    /// Sets the age of `fund`'s newest witnessed checkpoint (see the metric's help).
    pub fn set_witnessed_age(&self, fund: &str, seconds: u64) {
        self.witnessed_age
            .get_or_create(&FundLabels {
                fund: fund.to_owned(),
            })
            .set(i64::try_from(seconds).unwrap_or(i64::MAX));
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
