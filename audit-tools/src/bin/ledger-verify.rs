//! `ledger-verify`: the auditors' independent verifier of a fund's log.
//!
//! Exit status: 0 clean, 1 findings, 2 unusable input. See `audit_tools::cli`.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    audit_tools::cli::main(audit_tools::cli::Args::parse())
}
