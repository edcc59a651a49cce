//! End-to-end tests of the `ledger-verify` binary on real exports built with
//! `ledger_core::sample`: clean runs, the tamper suite, unusable inputs, `--since` and
//! `--db` on a real SQLite file. One test binary, so the fixture is built once.

mod clean;
mod conformance;
mod db;
mod oversight;
mod receipts;
mod restricted;
mod since;
mod support;
mod tamper;
mod unusable;
mod witnesses;
