//! The light end-to-end tests, compiled into one test binary. Each module used to be a
//! binary of its own; as one, the root package's tests build and link in about 19 s
//! instead of 23 s, and these run in about 5.6 s instead of 7.8 s (2 cores, measured for
//! issue 14). The harness runs their tests on parallel threads (one per core); each test
//! starts at most one small server at a time.
//!
//! The heavy tests stay binaries of their own (`tests/crash.rs`, `concurrency.rs`,
//! `schema_fuzz.rs`, `pages.rs`, `demo.rs`, `hledger.rs`, `verify_url.rs`): cargo runs
//! test binaries one after another, so two of them never load the machine at once.
//!
//! A new test that starts one small server belongs here, as a module (set-up: the
//! support library's `Deployment`); one that runs long or loads both cores gets a file of
//! its own in `tests/`.
//!
//! Run one module with a filter: `cargo test -p community-ledger --test e2e api_roles::`.

mod api_errors;
mod api_roles;
mod backup;
mod caching;
mod checks;
mod client;
mod fund_create;
mod fund_page_cache;
mod fund_state;
mod key_rotation;
mod module_graph;
mod privacy;
mod proposals;
mod quarantine;
mod receipts;
mod service;
mod session;
mod strict_signatures;
mod walkthrough;
mod witnesses;
