//! `ledger-api`: the community-ledger service — the durable store (SQLite by default,
//! PostgreSQL), the fund writers that append in batches, the HTTP API and the demo.

pub mod api;
pub mod app;
pub mod caching;
pub mod credentials;
#[cfg(feature = "demo")]
pub mod demo;
#[cfg(not(feature = "demo"))]
#[path = "demo_off.rs"]
pub mod demo;
pub mod keyfile;
pub mod ledger;
pub mod limits;
pub mod metrics;
pub mod pages;
pub mod problem;
pub mod reports;
pub mod router;
pub mod server;
pub mod sessions;
pub mod store;
pub mod summary;
pub mod views;
pub mod witnesses;
