//! `ledger-api`: the community-ledger service — the durable store (SQLite by default,
//! PostgreSQL), the fund writers that append in batches, the HTTP API and the demo.

pub mod api;
pub mod credentials;
pub mod demo;
pub mod keyfile;
pub mod ledger;
pub mod pages;
pub mod server;
pub mod store;
pub mod views;
