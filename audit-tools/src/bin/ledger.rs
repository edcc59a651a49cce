//! `ledger`, the trustee's client of community-ledger (see `audit_tools::client`).

fn main() -> std::process::ExitCode {
    audit_tools::client::main_with(std::env::args_os())
}
