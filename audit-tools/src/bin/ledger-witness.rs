//! `ledger-witness`, the C2SP tlog-witness server of community-ledger (see
//! `audit_tools::witness`).

fn main() -> std::process::ExitCode {
    audit_tools::witness::cli::main_with(std::env::args_os())
}
