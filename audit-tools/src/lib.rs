//! `audit-tools`: the auditors' and trustees' command-line tools of community-ledger.
//!
//! Two tools. `ledger` (binary in `src/bin/ledger.rs`, module [`client`]) is the trustee's
//! client. `ledger-verify` (binary in `src/bin/ledger-verify.rs`): the independent
//! verifier of a fund's log. It reads an export from a file, standard input, a server's
//! export endpoint or the store itself ([`source`]), reads the `--since` checkpoint
//! ([`since`]) and the witness policy ([`witnessed`]), has ledger-core's verifier check it
//! all on several threads in bounded memory ([`check`]; every check is
//! `ledger_core::verify`'s), and prints a report ([`report`]).
//!
//! `ledger-witness` (binary in `src/bin/ledger-witness.rs`, module [`witness`]) is the
//! C2SP tlog-witness server a residents' committee runs to cosign the funds' checkpoints.
//!
//! This crate depends on `ledger-core` only, never on `ledger-api`: it trusts nothing of
//! the server.

pub mod check;
pub mod cli;
pub mod client;
pub mod report;
pub mod since;
pub mod source;
pub mod witness;
pub mod witnessed;
