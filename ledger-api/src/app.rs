//! What every request handler can reach: [`AppState`].
//!
//! A leaf of the service's modules: it knows the ledger, the limits and the metrics, and
//! neither the API (`crate::api`) nor the pages (`crate::pages`), which both depend on it.

use std::sync::Arc;

use axum::extract::FromRef;

use crate::ledger::Ledger;
use crate::limits::{Limits, RateLimits};
use crate::metrics::Metrics;
use crate::witnesses::WitnessSetup;

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
    /// The witness policy (`--witness-policy`), if the deployment has witnesses.
    pub witnesses: Option<Arc<WitnessSetup>>,
    /// The server runs `--demo`: the pages say their data are a demo.
    pub demo: bool,
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
            witnesses: None,
            demo: false,
        }
    }

    /// The same state with the witness policy `witnesses`.
    pub fn with_witnesses(mut self, witnesses: Option<Arc<WitnessSetup>>) -> AppState {
        self.witnesses = witnesses;
        self
    }

    /// The same state, marked as a demo's (`--demo`) if `demo`.
    pub fn with_demo(mut self, demo: bool) -> AppState {
        self.demo = demo;
        self
    }
}

impl FromRef<AppState> for Arc<Metrics> {
    fn from_ref(s: &AppState) -> Arc<Metrics> {
        s.metrics.clone()
    }
}
