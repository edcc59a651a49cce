//! `ledger-server`: the community-ledger service.

use clap::Parser;
use ledger_api::server::{init_tracing, run, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    init_tracing(config.log_format);
    run(config).await
}
