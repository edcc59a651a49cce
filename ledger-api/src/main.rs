//! `ledger-server`: the community-ledger service.

use clap::Parser;
use ledger_api::server::{
    backup_command, init_tracing, report_command, run, token_command, Cli, Command,
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_tracing(cli.config.log_format);
    match cli.command {
        None => run(cli.config).await,
        Some(Command::Token { action }) => token_command(&cli.config, action).await,
        Some(Command::Report { fund, period }) => {
            report_command(&cli.config, &fund, period.as_deref()).await
        }
        Some(Command::Backup { to }) => backup_command(&cli.config, &to).await,
    }
}
