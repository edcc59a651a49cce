//! Configuration and start-up: open the store, load keys, seed the demo, serve
//! ([`Application`]: the one way to start the server).

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use clap::{Args, Parser, Subcommand, ValueEnum};
use ledger_core::keys::PublicKey;
use ledger_core::note::NoteSigner;
use tokio::net::TcpListener;

use crate::api::{check_issue, parse_period};
use crate::app::AppState;
use crate::credentials::Token;
use crate::keyfile::{
    load_or_create_log_key, load_or_create_seed_key, load_or_create_vault_key, random_key,
    write_private,
};
use crate::ledger::{system_clock, Ledger};
use crate::limits::Limits;
use crate::router::router;
use crate::store::{Store, VaultKey};
use crate::witnesses::WitnessSetup;

/// Log output format.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Human,
    /// One JSON object per line.
    Json,
}

/// The command line: serve (no subcommand), or manage credentials.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "ledger-server",
    version,
    about = "community-ledger: an append-only, hash-chained ledger for community funds"
)]
pub struct Cli {
    /// Configuration.
    #[command(flatten)]
    pub config: Config,
    /// What to do instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Issue, list and revoke API credentials (tokens are shown once, stored as hashes).
    Token {
        /// What to do.
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Prints a fund's balance and its totals by kind over a period, from the store's
    /// columns (no replay of the log): `report --fund xipu-street --period 2026-Q3`.
    Report {
        /// The fund.
        #[arg(long)]
        fund: String,
        /// A year (2026), quarter (2026-Q3) or month (2026-10) of the fund's local
        /// calendar; default: every month from the fund's first entry to its last.
        #[arg(long)]
        period: Option<String>,
    },
    /// Writes a consistent copy of the SQLite database to a new owner-only file while the
    /// server runs (`VACUUM INTO`): `backup --to ledger-2026-10-01.db`. Copy the key files
    /// with it (README: "Backups and restore"). For PostgreSQL it prints the `pg_dump`
    /// command to use instead.
    Backup {
        /// The file to write; refused if it exists.
        #[arg(long)]
        to: PathBuf,
    },
}

/// Credential management.
#[derive(Debug, Clone, Subcommand)]
pub enum TokenAction {
    /// Issues a credential and prints its token (once).
    Issue {
        /// operator, trustee or auditor.
        #[arg(long)]
        role: String,
        /// The fund a trustee writes.
        #[arg(long)]
        fund: Option<String>,
        /// Who or what it is for.
        #[arg(long)]
        label: String,
    },
    /// Lists credentials (never their tokens).
    List,
    /// Revokes the credential with this id (from `token list`).
    Revoke {
        /// Credential id: 16 hex digits.
        id: String,
    },
}

/// The server's configuration: flags, or the environment variables named.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "LEDGER_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Folder for the SQLite database and the key files.
    #[arg(
        long,
        env = "LEDGER_DATA_DIR",
        default_value = "ledger-data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// Database URL: `postgres://…` for PostgreSQL; default `sqlite://<data-dir>/ledger.db`.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// The deployment's origin; checkpoints of fund F say `<origin>/F`.
    #[arg(long, env = "LEDGER_ORIGIN", default_value = "community-ledger.local")]
    pub origin: String,
    /// The log key file (signs checkpoints); default `<data-dir>/log.key`, created at the
    /// first start. A given file must exist and be readable only by its owner.
    #[arg(long, env = "LEDGER_LOG_KEY_FILE")]
    pub log_key_file: Option<PathBuf>,
    /// The donor vault's key file (32 bytes in hex: seals residents' names and phones in
    /// the database); default `<data-dir>/vault.key`, created at the first start. A given
    /// file must exist and be readable only by its owner.
    #[arg(long, env = "LEDGER_VAULT_KEY_FILE")]
    pub vault_key_file: Option<PathBuf>,
    /// Seed 30 demo funds with years of signed history (demo keys: never for real money).
    #[arg(long, env = "LEDGER_DEMO")]
    pub demo: bool,
    /// Log format.
    #[arg(
        long,
        env = "LEDGER_LOG_FORMAT",
        value_enum,
        default_value = "human",
        global = true
    )]
    pub log_format: LogFormat,
    /// Sustained requests per second per token (per address for the public); 0 turns
    /// the rate limit off.
    #[arg(long, env = "LEDGER_RATE_LIMIT", default_value_t = Limits::default().rate_per_second)]
    pub rate_limit: u32,
    /// Requests a token may send at once above the sustained rate.
    #[arg(long, env = "LEDGER_RATE_BURST", default_value_t = Limits::default().rate_burst)]
    pub rate_burst: u32,
    /// Seconds a request may take before its response starts.
    #[arg(long, env = "LEDGER_REQUEST_TIMEOUT", default_value_t = Limits::default().request_timeout.as_secs())]
    pub request_timeout: u64,
    /// Seconds a proposal waits for its co-signatures before it lapses (default 7 days).
    #[arg(long, env = "LEDGER_PROPOSAL_TTL", default_value_t = Limits::default().proposal_ttl.as_secs())]
    pub proposal_ttl: u64,
    /// Seconds a workspace session lives at most from sign-in (default 8 h).
    #[arg(long, env = "LEDGER_SESSION_MAX", default_value_t = Limits::default().session_max.as_secs())]
    pub session_max: u64,
    /// Seconds a workspace session lives without a request (default 30 min).
    #[arg(long, env = "LEDGER_SESSION_IDLE", default_value_t = Limits::default().session_idle.as_secs())]
    pub session_idle: u64,
    /// A C2SP tlog-policy file naming the witnesses (each with its URL) that cosign every
    /// fund's checkpoints, and the quorum; it must list this deployment's log key in a
    /// `log` line. Without it no witness is asked.
    #[arg(long, env = "LEDGER_WITNESS_POLICY")]
    pub witness_policy: Option<PathBuf>,
    /// Seconds between two requests to the witnesses for one fund (at least 1).
    #[arg(long, env = "LEDGER_WITNESS_INTERVAL", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub witness_interval: u64,
}

impl Config {
    /// The request limits in effect.
    pub fn limits(&self) -> Limits {
        Limits {
            rate_per_second: self.rate_limit,
            rate_burst: self.rate_burst,
            request_timeout: std::time::Duration::from_secs(self.request_timeout.max(1)),
            proposal_ttl: std::time::Duration::from_secs(self.proposal_ttl.max(1)),
            session_max: std::time::Duration::from_secs(self.session_max.max(1)),
            session_idle: std::time::Duration::from_secs(self.session_idle.max(1)),
        }
    }

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
    // Colours only on a terminal: a log file or a journal gets plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Claims a SQLite database for this server process: an exclusive lock on the file
/// `<database>.server-lock` (created owner-only), held while the returned file is open;
/// the operating system releases it when the process ends, however it ends. A second
/// server on the same file is refused with a message naming the lock: two processes
/// would each keep their own cache of the fund pages' totals, and each one's served
/// state would lag the other's appends. The short-lived commands (`token`, `report`)
/// need no claim: SQLite's own locking serialises their writes with the server's.
/// `None` on PostgreSQL (several servers may share one database) and in memory.
pub fn claim_sqlite(url: &str) -> anyhow::Result<Option<std::fs::File>> {
    use std::os::unix::fs::OpenOptionsExt;
    let Some(path) = crate::store::sqlite_path(url) else {
        return Ok(None);
    };
    let mut name = path.into_os_string();
    name.push(".server-lock");
    let lock = PathBuf::from(name);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&lock)
        .with_context(|| format!("opening the lock file {}", lock.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another ledger-server is already serving this SQLite database (it holds {}); \
             one server process per SQLite file: stop that one first, or use PostgreSQL \
             (DATABASE_URL) to run several servers on one database",
            lock.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("locking {}", lock.display()))
        }
    }
}

/// Binds `config.listen` and runs the server until Ctrl-C / SIGTERM, then finishes
/// in-flight requests.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    Application::build(config, listener).await?.run().await
}

/// The server, built and bound: the store opened (and migrated), the keys loaded, the
/// demo seeded if asked, the fund writers started and the router assembled. [`run`](Self::run)
/// serves it; tests call its [`router`](Self::router) in process.
pub struct Application {
    /// On SQLite, this process's claim on the database file (see [`claim_sqlite`]).
    _claim: Option<std::fs::File>,
    listener: TcpListener,
    addr: SocketAddr,
    store: Arc<Store>,
    state: AppState,
    router: Router,
    demo: Option<DemoAccess>,
    /// Without `--demo`, at the first start or while no fund exists: what to do next.
    first_steps: Option<String>,
    /// Between two witness rounds of one fund (`--witness-interval`).
    witness_interval: std::time::Duration,
}

/// What the demo prints at start: how a trustee of its first fund writes.
struct DemoAccess {
    funds: usize,
    fund: String,
    token: String,
    key_file: PathBuf,
}

impl Application {
    /// Builds the server of `config` on `listener` (bound by the caller: port 0 picks a
    /// free port, see [`local_addr`](Self::local_addr)).
    pub async fn build(config: Config, listener: TcpListener) -> anyhow::Result<Application> {
        create_data_dir(&config.data_dir)?;
        let first_start = !config.data_dir.join("operator.key").exists();
        let (log_key, operator_key) = keys(&config)?;
        // Checked before the database is opened: a bad policy stops the start.
        let witnesses = match &config.witness_policy {
            Some(path) => Some(Arc::new(WitnessSetup::load(path, &log_key.verifier())?)),
            // The demo starts its two witnesses itself (unless a policy is given).
            None if config.demo => {
                let policy = crate::demo::witnesses::start(
                    &config.data_dir,
                    &config.origin,
                    &log_key.verifier(),
                )
                .await?;
                Some(Arc::new(WitnessSetup::new(policy, &log_key.verifier())?))
            }
            None => None,
        };
        let url = config.database_url();
        let claim = claim_sqlite(&url)?;
        let vault_key = vault_key(&config)?;
        let store = Arc::new(
            Store::open_with_vault(&url, vault_key)
                .await
                .with_context(|| format!("opening {}", redacted(&url)))?,
        );
        if config.demo {
            let started = std::time::Instant::now();
            let n = crate::demo::seed(&store, &config.origin, &config.data_dir).await?;
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
        // The per-month index (store/months.rs) must sum to each fund's log before the
        // pages read it: checked per fund (a few rows per month), rebuilt from the log
        // where it does not (a database from before the index). A fund whose log itself
        // is damaged (its balances do not add up) is left to the quarantine: the server
        // starts, and that fund's reads answer `fund_damaged`.
        for fund in ledger.fund_ids().await {
            match store.ensure_month_figures(&fund).await {
                Ok(check) => tracing::debug!(%fund, ?check, "per-month index"),
                Err(e) => {
                    tracing::error!(%fund, error = %e, "the per-month index does not sum to the log");
                    continue;
                }
            }
            // The statutory index (store/statutory.rs), against that index and the
            // restricted money the fund's state holds.
            let restricted = ledger
                .read_state(&fund, |s| s.restricted_balance().to_fen())
                .await
                .ok();
            match store.ensure_statutory_index(&fund, restricted).await {
                Ok(check) => tracing::debug!(%fund, ?check, "statutory index"),
                Err(e) => {
                    tracing::error!(%fund, error = %e, "the statutory index does not agree with the log")
                }
            }
        }
        let addr = listener.local_addr()?;
        let demo = if config.demo {
            let fund = crate::demo::first_fund();
            let token = demo_token(&store, &config, &fund).await?;
            Some(DemoAccess {
                funds: ledger.fund_ids().await.len(),
                fund,
                token,
                key_file: config.data_dir.join("demo-trustee.key"),
            })
        } else {
            None
        };
        let first_steps = (!config.demo && (first_start || ledger.fund_ids().await.is_empty()))
            .then(|| first_steps(&config, addr, first_start));
        let state = AppState::new(ledger, config.limits())
            .with_witnesses(witnesses)
            .with_demo(config.demo);
        let router = router(state.clone());
        Ok(Application {
            _claim: claim,
            listener,
            addr,
            store,
            state,
            router,
            demo,
            first_steps,
            witness_interval: std::time::Duration::from_secs(config.witness_interval.max(1)),
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The whole service as a `Router`, to call in process (`tower::ServiceExt::oneshot`).
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// What the handlers reach: the ledger and its store, limits, metrics.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Prints where it listens (and the demo's access), then serves until Ctrl-C /
    /// SIGTERM and finishes in-flight requests.
    pub async fn run(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// [`run`](Self::run), stopping gracefully when `stop` completes.
    pub async fn run_until(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        println!("community-ledger listening on http://{}", self.addr);
        if let Some(d) = &self.demo {
            println!(
                "demo: {} funds; a trustee of fund `{}` can write with\n  token:    {}\n  key file: {}\n  trustees' workspace: http://{}/trustee (sign in with the token, then import the key file under 我的密钥 / My key)",
                d.funds,
                d.fund,
                d.token,
                d.key_file.display(),
                self.addr
            );
        }
        if let Some(steps) = &self.first_steps {
            println!("{steps}");
        }
        let rate_limits = self.state.rate_limits.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                tick.tick().await;
                rate_limits.shrink();
            }
        });
        // Off the append path: the witnesses are asked from a task of its own.
        let witness_client = match &self.state.witnesses {
            Some(setup) => {
                tracing::info!(
                    witnesses = setup.witnesses().len(),
                    interval_seconds = self.witness_interval.as_secs(),
                    "asking the witness policy's witnesses to cosign every fund's checkpoints"
                );
                Some(crate::witnesses::client::spawn(
                    self.state.ledger.clone(),
                    setup.clone(),
                    self.state.metrics.clone(),
                    self.witness_interval,
                )?)
            }
            None => None,
        };
        let served = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(stop)
        .await;
        if let Some(task) = witness_client {
            task.abort();
        }
        served?;
        // Each loaded fund's state is stored as it is now: the next start replays nothing.
        self.state.ledger.save_states().await;
        self.store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// What an operator does next when the server holds no fund (printed at start, without
/// `--demo`): issue the operator token, then create a fund with `ledger fund create`.
/// Names the database by flag only, never by its URL (which may hold a password).
fn first_steps(config: &Config, addr: SocketAddr, first_start: bool) -> String {
    let dir = config.data_dir.display();
    let db = if config.database_url.is_some() {
        " --database-url \"$DATABASE_URL\""
    } else {
        ""
    };
    let url = if addr.ip().is_unspecified() {
        format!("http://127.0.0.1:{}", addr.port())
    } else {
        format!("http://{addr}")
    };
    format!(
        "{}: no fund exists yet. Next steps (README \"From an empty machine to a first donation\"):\n\
         \x20 1. issue the operator token (shown once; keep it secret, in a file only you can read):\n\
         \x20      (umask 077; ledger-server --data-dir {dir}{db} token issue --role operator --label operator > operator.token)\n\
         \x20 2. create a fund, signed with the operator key {op}:\n\
         \x20      ledger --url {url} --token-file operator.token --key {op} fund create --from fund.toml\n\
         \x20    (fund.toml: README \"Creating a fund\"; or the fields as flags: ledger fund create --help)",
        if first_start { "first start" } else { "note" },
        op = config.data_dir.join("operator.key").display(),
    )
}

/// The demo trustee's token: issued at the first demo start and kept in
/// `demo-trustee.token` (owner-only), since the store keeps only its hash.
async fn demo_token(store: &Store, config: &Config, fund: &str) -> anyhow::Result<String> {
    let path = config.data_dir.join("demo-trustee.token");
    if let Ok(t) = std::fs::read_to_string(&path) {
        if let Some(token) = Token::parse(t.trim()) {
            if store
                .credential_for(&token)
                .await?
                .is_some_and(|c| c.is_active())
            {
                return Ok(token.reveal().to_owned());
            }
        }
        std::fs::remove_file(&path)?;
    }
    let token = Token::generate();
    let now = system_clock()().to_string();
    store
        .issue_credential(
            &token,
            crate::credentials::Role::Trustee,
            Some(fund),
            "demo trustee",
            &now,
        )
        .await?;
    write_private(&path, &format!("{}\n", token.reveal()))?;
    Ok(token.reveal().to_owned())
}

/// Runs a `token` subcommand against the configured database.
pub async fn token_command(config: &Config, action: TokenAction) -> anyhow::Result<()> {
    create_data_dir(&config.data_dir)?;
    let url = config.database_url();
    let store = Store::open(&url)
        .await
        .with_context(|| format!("opening {}", redacted(&url)))?;
    let now = system_clock()().to_string();
    match action {
        TokenAction::Issue { role, fund, label } => {
            let role = check_issue(&store, &role, fund.as_deref(), &label)
                .await
                .map_err(|p| anyhow::anyhow!("{} ({})", p.en, p.code))?;
            let token = Token::generate();
            let cred = store
                .issue_credential(&token, role, fund.as_deref(), &label, &now)
                .await?;
            eprintln!(
                "issued {} credential {}{}; the token is shown only now:",
                cred.role,
                cred.id,
                cred.fund
                    .map(|f| format!(" for fund {f}"))
                    .unwrap_or_default()
            );
            println!("{}", token.reveal());
        }
        TokenAction::List => {
            for c in store.credentials().await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    c.id,
                    c.role,
                    c.fund.as_deref().unwrap_or("-"),
                    c.created_at,
                    c.revoked_at
                        .as_deref()
                        .map_or("active".to_owned(), |r| format!("revoked {r}")),
                    c.label
                );
            }
        }
        TokenAction::Revoke { id } => {
            let c = store.revoke_credential(&id, &now).await?;
            eprintln!("revoked credential {} ({}, {})", c.id, c.role, c.label);
        }
    }
    store.close().await;
    Ok(())
}

fn keys(config: &Config) -> anyhow::Result<(NoteSigner, PublicKey)> {
    let dir = &config.data_dir;
    let name = config.origin.clone();
    if config.demo {
        return crate::demo::deployment_keys(dir, &config.origin);
    }
    if let Some(path) = &config.log_key_file {
        let log = load_or_create_log_key(path, || {
            anyhow::bail!("log key file {} does not exist", path.display())
        })?;
        let op = load_or_create_seed_key(&dir.join("operator.key"), random_key)?;
        return Ok((log, PublicKey::from_verifying_key(op.verifying_key())));
    }
    let log = load_or_create_log_key(&dir.join("log.key"), || {
        NoteSigner::new(&name, random_key())
            .map_err(|e| anyhow::anyhow!("log key name {name}: {e}"))
    })?;
    let op = load_or_create_seed_key(&dir.join("operator.key"), random_key)?;
    Ok((log, PublicKey::from_verifying_key(op.verifying_key())))
}

/// The donor vault's key: `--vault-key-file` (must exist), or `<data-dir>/vault.key`,
/// created at the first start.
fn vault_key(config: &Config) -> anyhow::Result<VaultKey> {
    match &config.vault_key_file {
        Some(path) => load_or_create_vault_key(path, false),
        None => load_or_create_vault_key(&config.data_dir.join("vault.key"), true),
    }
}

/// `ledger-server backup --to FILE`: on SQLite, a consistent copy of the database written
/// while the server runs ([`Store::backup_into`]); on PostgreSQL, the `pg_dump` command to
/// run instead (an error, so that a script does not take it for a backup).
pub async fn backup_command(config: &Config, to: &std::path::Path) -> anyhow::Result<()> {
    let url = config.database_url();
    let Some(db) = crate::store::sqlite_path(&url) else {
        if url.starts_with("postgres") {
            // The command without the password: pg_dump takes it from PGPASSWORD or
            // ~/.pgpass.
            let bare = redacted(&url).replacen(":…@", "@", 1);
            anyhow::bail!(
                "{} is a PostgreSQL database: back it up with pg_dump, as its owner role:\n  \
                 pg_dump --format=custom --file={} '{bare}'\n\
                 (the password from PGPASSWORD or ~/.pgpass) and keep the key files \
                 (log.key, operator.key, vault.key) with it; README.md, \"Backups and \
                 restore\", has the restore",
                redacted(&url),
                to.display(),
            );
        }
        anyhow::bail!("{} is not a database file to back up", redacted(&url));
    };
    if !db.exists() {
        anyhow::bail!("no database at {}: nothing to back up", db.display());
    }
    // Said plainly here; `Store::backup_into` refuses an existing file in any case (it
    // creates the file with `create_new`).
    if to.exists() {
        anyhow::bail!("{} exists: a backup never overwrites a file", to.display());
    }
    // As it is: a backup never migrates the database it copies (a newer binary would
    // otherwise change a running older server's schema under it).
    let store = Store::open_current(&url)
        .await
        .with_context(|| format!("opening {}", redacted(&url)))?;
    let summary = store.backup_into(to).await;
    store.close().await;
    let summary = summary.with_context(|| format!("backing up to {}", to.display()))?;
    let log_key = config
        .log_key_file
        .clone()
        .unwrap_or_else(|| config.data_dir.join("log.key"));
    let vault_key = config
        .vault_key_file
        .clone()
        .unwrap_or_else(|| config.data_dir.join("vault.key"));
    let keys = format!(
        "{}, {} and {}",
        log_key.display(),
        config.data_dir.join("operator.key").display(),
        vault_key.display()
    );
    println!(
        "backup of {} written to {} ({} bytes, owner-only): {} funds, {} entries, {} donor \
         vault records sealed under vault key {}; integrity check: ok",
        db.display(),
        to.display(),
        summary.bytes,
        summary.funds,
        summary.entries,
        summary.vault_records,
        summary.vault_key_id.as_deref().unwrap_or("(none recorded)")
    );
    println!(
        "it holds no key: keep a copy of {keys} (secret) apart from it; without vault.key \
         the donor vault cannot be read"
    );
    Ok(())
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

/// `ledger-server report`: a fund's figures over a period of local months, read from the
/// store ([`Store::period_report`]).
pub async fn report_command(
    config: &Config,
    fund: &str,
    period: Option<&str>,
) -> anyhow::Result<()> {
    let url = config.database_url();
    let store = Store::open(&url)
        .await
        .with_context(|| format!("opening {}", redacted(&url)))?;
    let row = store
        .fund(fund)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no fund {fund:?} in {}", redacted(&url)))?;
    let entry_at = |seq: u64| {
        let store = &store;
        async move {
            let e = store
                .entry(fund, seq)
                .await?
                .ok_or_else(|| anyhow::anyhow!("entry {seq} of {fund} is missing"))?;
            anyhow::Ok(ledger_core::entry::Entry::parse(&e.bytes)?.entry)
        }
    };
    let genesis = entry_at(0).await?;
    let ledger_core::body::Body::Genesis(g) = &genesis.intent.body else {
        anyhow::bail!("entry 0 of {fund} is not a genesis");
    };
    let offset = g.utc_offset;
    let period = match period {
        Some(p) => parse_period(p).ok_or_else(|| {
            anyhow::anyhow!(
                "period {p:?}: give a year (2026), a quarter (2026-Q3) or a month (2026-10)"
            )
        })?,
        None => {
            let last = entry_at(row.size.saturating_sub(1)).await?;
            ledger_core::time::Period::new(
                genesis.recorded_at.local_date(offset).first_of_month(),
                last.recorded_at.local_date(offset).last_of_month(),
            )?
        }
    };
    // A database from before the per-month index gets it here too.
    store
        .ensure_month_figures(fund)
        .await
        .with_context(|| format!("checking the per-month figures of {fund}"))?;
    let r = store.period_report(fund, &period).await?;
    let money = |fen: i64| {
        ledger_core::money::Money::from_fen(fen)
            .map_or_else(|_| format!("{fen} fen"), |m| m.to_string())
    };
    println!(
        "fund {fund}: {} .. {} (local dates, UTC{offset})",
        period.from(),
        period.to()
    );
    println!("{:<16} {:>10} {:>18}", "", "entries", "CNY");
    println!(
        "{:<16} {:>10} {:>18}",
        "opening balance",
        "",
        money(r.opening_fen)
    );
    for k in &r.kinds {
        println!("{:<16} {:>10} {:>18}", k.kind, k.count, money(k.delta_fen));
    }
    println!(
        "{:<16} {:>10} {:>18}",
        "closing balance",
        r.count,
        money(r.closing_fen)
    );
    if let Some((first, last)) = r.seqs {
        println!("seqs {first} .. {last}");
    }
    store.close().await;
    Ok(())
}

/// Creates the data dir (keys, the demo token, the SQLite database) if missing, and makes it
/// owner-only (0700) whether new or not: it holds the donor vault and private keys.
fn create_data_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("making {} owner-only", dir.display()))
}

/// `url` with the password of its user info (`scheme://user:PASSWORD@host…`) replaced by
/// `…`, for messages and logs: a database URL is printed only this way.
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    // The user info ends at the last `@` before the path.
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_owned();
    };
    match rest[..at].split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:…{}", &rest[at..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod redaction_tests {
    use super::redacted;

    #[test]
    fn a_database_password_is_never_printed() {
        assert_eq!(
            redacted("postgres://ledger_app:s3cr%40t@db.example:5432/ledger"),
            "postgres://ledger_app:…@db.example:5432/ledger"
        );
        assert_eq!(
            redacted("postgres://ledger_app:p@ss@db/ledger?sslmode=require"),
            "postgres://ledger_app:…@db/ledger?sslmode=require"
        );
        assert_eq!(
            redacted("postgres://ledger_app@db/ledger"),
            "postgres://ledger_app@db/ledger"
        );
        assert_eq!(
            redacted("sqlite://ledger-data/ledger.db"),
            "sqlite://ledger-data/ledger.db"
        );
        assert_eq!(redacted("not a url"), "not a url");
    }
}
