//! Configuration and start-up: open the store, load keys, seed the demo, serve.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use ledger_core::keys::PublicKey;
use ledger_core::note::NoteSigner;
use tokio::net::TcpListener;

use crate::api::{router, AppState};
use crate::keyfile::{load_or_create_log_key, load_or_create_seed_key, random_key, write_private};
use crate::ledger::{system_clock, Ledger};
use crate::store::Store;

/// Log output format.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Human,
    /// One JSON object per line.
    Json,
}

/// The server's configuration: flags, or the environment variables named.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "ledger-server",
    version,
    about = "community-ledger: an append-only, hash-chained ledger for community funds"
)]
pub struct Config {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "LEDGER_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Folder for the SQLite database and the key files.
    #[arg(long, env = "LEDGER_DATA_DIR", default_value = "ledger-data")]
    pub data_dir: PathBuf,
    /// Database URL: `postgres://…` for PostgreSQL; default `sqlite://<data-dir>/ledger.db`.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// The deployment's origin; checkpoints of fund F say `<origin>/F`.
    #[arg(long, env = "LEDGER_ORIGIN", default_value = "community-ledger.local")]
    pub origin: String,
    /// Seed 30 demo funds with years of signed history (demo keys: never for real money).
    #[arg(long, env = "LEDGER_DEMO")]
    pub demo: bool,
    /// Log format.
    #[arg(long, env = "LEDGER_LOG_FORMAT", value_enum, default_value = "human")]
    pub log_format: LogFormat,
}

impl Config {
    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("ledger.db").display()))
    }
}

/// Sets up tracing once (`RUST_LOG` filters; default `info`).
pub fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Runs the server until Ctrl-C / SIGTERM, then finishes in-flight requests.
pub async fn run(config: Config) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating {}", config.data_dir.display()))?;
    let url = config.database_url();
    let store = Arc::new(
        Store::open(&url)
            .await
            .with_context(|| format!("opening {url}"))?,
    );
    let (log_key, operator_key) = keys(&config)?;
    if config.demo {
        let started = std::time::Instant::now();
        let n = crate::demo::seed(&store, &config.origin).await?;
        if n > 0 {
            tracing::info!(
                funds = n,
                seconds = started.elapsed().as_secs_f64(),
                "demo funds generated"
            );
        }
    }
    let ledger = Ledger::start(
        store.clone(),
        log_key,
        operator_key,
        config.origin.clone(),
        system_clock(),
    )
    .await?;
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    let addr = listener.local_addr()?;
    println!("community-ledger listening on http://{addr}");
    if config.demo {
        println!(
            "demo: {} funds; a demo trustee key of fund `{}` is in {}",
            ledger.fund_ids().await.len(),
            crate::demo::spec(0).fund,
            config.data_dir.join("demo-trustee.key").display()
        );
    }
    let app = router(AppState { ledger });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

fn keys(config: &Config) -> anyhow::Result<(NoteSigner, PublicKey)> {
    let dir = &config.data_dir;
    let name = config.origin.clone();
    if config.demo {
        let demo = crate::demo::demo_keys(&config.origin)?;
        let log = load_or_create_log_key(&dir.join("log.key"), || Ok(demo.log.clone()))?;
        let op = load_or_create_seed_key(&dir.join("operator.key"), || demo.operator.clone())?;
        let trustee = dir.join("demo-trustee.key");
        if !trustee.exists() {
            let keys =
                ledger_core::sample::SampleKeys::derive(crate::demo::spec(0).seed, &config.origin)?;
            write_private(
                &trustee,
                &format!("{}\n", hex::encode(keys.trustees[1].to_bytes())),
            )?;
        }
        return Ok((log, PublicKey::from_verifying_key(op.verifying_key())));
    }
    let log = load_or_create_log_key(&dir.join("log.key"), || {
        NoteSigner::new(&name, random_key())
            .map_err(|e| anyhow::anyhow!("log key name {name}: {e}"))
    })?;
    let op = load_or_create_seed_key(&dir.join("operator.key"), random_key)?;
    Ok((log, PublicKey::from_verifying_key(op.verifying_key())))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
