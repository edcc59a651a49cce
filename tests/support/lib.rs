//! Support code shared by the end-to-end tests in `tests/`: start here.
//!
//! A test usually needs a server, a token and a fund:
//!
//! ```text
//! let server = Deployment::sqlite("my_test");          // server + operator.key, SQLite
//! let auditor = server.auditor_token();                  // `ledger-server token issue`
//! runtime().block_on(async {
//!     let trustee = Trustee::random("管理人甲");
//!     let fund = server.create_fund("my-fund", &[&trustee], (1, 1, 1)).await;
//!     let writer = server.client().public().with_token(&fund.trustee_token);
//!     let r = writer.append(&trustee.donation("my-fund", "d-1", 100)).await.unwrap();
//!     let (status, code) = writer.status_code(Method::GET, "/api/v1/funds/x", None).await;
//! });
//! ```
//!
//! - [`Deployment`]: a [`Server`] with a fresh operator key in `<data dir>/operator.key`.
//!   [`Deployment::sqlite`] / [`Deployment::sqlite_with`] (extra flags) on a temporary
//!   folder, [`Deployment::on`] a [`TestBackend`], [`Deployment::start`] on any
//!   [`ServerConfig`]. [`Deployment::operator_token`], [`Deployment::auditor_token`]:
//!   new tokens. [`Deployment::create_fund`]`(id, trustees, quorums)`: the genesis signed
//!   with the operator key; returns the genesis [`Ack`] and a trustee token of the fund.
//!   [`Deployment::restart`]: SIGKILL and start again on the same data.
//! - [`each_backend`]: runs an async test body on a fresh [`Deployment`] per backend:
//!   SQLite, and PostgreSQL when `LEDGER_TEST_POSTGRES_URL` is set (else a `SKIP` line;
//!   `LEDGER_REQUIRE_POSTGRES=1` makes that a failure). [`TestBackend::postgres`] for a
//!   PostgreSQL-only test; [`PgDatabase`] for a bare throw-away database (also used by
//!   ledger-api's store tests).
//! - [`Client`]: plain HTTP on loopback (reqwest, async): [`Client::append`] (carries the
//!   token registered for the intent's fund), [`Client::get_json`], [`Client::entries`],
//!   [`Client::export`], [`Client::verify_export`]; [`Client::status_code`] /
//!   [`problem_code`] give `(status, problem code)`, [`Client::send_json`] `(status, JSON)`.
//! - [`Trustee`], [`sign_intent`], [`sign_value`], [`sign_bytes`], [`genesis_intent`]:
//!   build, canonicalise and sign intents the way a trustee's client does.
//! - [`Server::start_demo`]: `ledger-server --demo` (30 generated funds, its own keys).
//! - [`server_binary`], [`verify_binary`], [`client_binary`]: the executables under test.
//!   `CARGO_BIN_EXE_<name>` is only set for the binaries of the test's *own* package, and
//!   a dev-dependency on `ledger-api` does not change that (artifact dependencies are
//!   unstable). So the helper looks for `<target>/<profile>/ledger-server` beside the
//!   running test (same target folder and profile) and, if it is missing or older than
//!   any source of ledger-api, ledger-core or the migrations, builds it first with
//!   `cargo build -p ledger-api --bin ledger-server` (once per test process).
//!   `LEDGER_SERVER_BIN` (`LEDGER_VERIFY_BIN`, `LEDGER_CLIENT_BIN`) overrides this.
//! - [`Server`]: a server process on `127.0.0.1:0` with its own data folder; the port is
//!   read from its first line on stdout; its stderr goes to `<data dir>/server.log`;
//!   killed (SIGKILL) on drop.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, OnceLock};
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use ed25519_dalek::SigningKey;
use ledger_core::body::{
    Body, Channel, Currency, Donation, Donor, DonorClass, Genesis, Policy, Trustee as BodyTrustee,
};
use ledger_core::entry::{Intent, Sig};
use ledger_core::ids::{FundId, IdempotencyKey};
use ledger_core::keys::PublicKey;
use ledger_core::money::{Amount, Rate};
use ledger_core::text::ShortText;
use ledger_core::time::{Instant, UtcOffset};
use ledger_core::verify::{Expectations, Report};
use rand_core::RngCore;
use serde_json::{json, Value};

/// The server's environment variables that would override the flags a test passes.
const SERVER_ENV: [&str; 16] = [
    "LEDGER_SESSION_MAX",
    "LEDGER_SESSION_IDLE",
    "LEDGER_WITNESS_POLICY",
    "LEDGER_WITNESS_INTERVAL",
    "LEDGER_LOG_KEY_FILE",
    "LEDGER_VAULT_KEY_FILE",
    "LEDGER_PROPOSAL_TTL",
    "LEDGER_RATE_LIMIT",
    "LEDGER_RATE_BURST",
    "LEDGER_REQUEST_TIMEOUT",
    "LEDGER_LISTEN",
    "LEDGER_DATA_DIR",
    "DATABASE_URL",
    "LEDGER_ORIGIN",
    "LEDGER_DEMO",
    "LEDGER_LOG_FORMAT",
];

/// How long a server may take to print its address.
pub const SERVER_START_TIMEOUT: Duration = Duration::from_secs(120);
/// How long one HTTP request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------
// The server binary
// ---------------------------------------------------------------------------------------

/// Path of the `ledger-server` executable, built (once per test process) if missing or
/// stale. See the module docs for why this does not use `CARGO_BIN_EXE_ledger-server`.
pub fn server_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("LEDGER_SERVER_BIN") {
            return PathBuf::from(p);
        }
        let layout = TargetLayout::of_running_test();
        let bin = layout
            .profile_dir
            .join(format!("ledger-server{}", std::env::consts::EXE_SUFFIX));
        if is_fresh(&bin) {
            return bin;
        }
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
        let mut cmd = Command::new(cargo);
        cmd.arg("build")
            .arg("--quiet")
            .arg("--manifest-path")
            .arg(&manifest)
            .args(["-p", "ledger-api", "--bin", "ledger-server"])
            .arg("--profile")
            .arg(&layout.profile)
            .arg("--target-dir")
            .arg(&layout.target_dir);
        if let Some(t) = &layout.triple {
            cmd.arg("--target").arg(t);
        }
        let status = cmd
            .stdin(Stdio::null())
            .status()
            .expect("running cargo to build ledger-server");
        assert!(status.success(), "building ledger-server failed: {status}");
        assert!(bin.is_file(), "{} was not built", bin.display());
        bin
    })
    .clone()
}

/// Whether `bin` exists and is newer than every source it is built from. `cargo test
/// --workspace` builds it (for ledger-api's own integration tests) with the features of
/// the whole workspace; building it again with `cargo build -p ledger-api` would pick other
/// feature sets for shared dependencies and recompile part of the tree for nothing.
fn is_fresh(bin: &Path) -> bool {
    let Ok(built) = std::fs::metadata(bin).and_then(|m| m.modified()) else {
        return false;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sources = [
        "Cargo.toml",
        "Cargo.lock",
        "ledger-api/Cargo.toml",
        "ledger-api/src",
        // Embedded in the binary (include_str!).
        "ledger-api/static",
        "ledger-api/templates",
        "ledger-core/Cargo.toml",
        "ledger-core/src",
        "migrations",
    ];
    sources
        .iter()
        .all(|s| newest_mtime(&root.join(s)).is_some_and(|t| t <= built))
}

/// The newest modification time of a file or of the files under a folder.
fn newest_mtime(path: &Path) -> Option<std::time::SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    let mut newest = meta.modified().ok()?;
    if meta.is_dir() {
        for entry in std::fs::read_dir(path).ok()? {
            newest = newest.max(newest_mtime(&entry.ok()?.path())?);
        }
    }
    Some(newest)
}

/// Where cargo put the running test, so the server is built alike (same profile, same
/// target folder, same target triple).
struct TargetLayout {
    target_dir: PathBuf,
    profile_dir: PathBuf,
    profile: String,
    triple: Option<String>,
}

impl TargetLayout {
    fn of_running_test() -> TargetLayout {
        // A test runs as <target>[/<triple>]/<profile dir>/deps/<test>-<hash>.
        let fallback = || {
            let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
            TargetLayout {
                profile_dir: target.join("debug"),
                target_dir: target,
                profile: "dev".into(),
                triple: None,
            }
        };
        let Ok(exe) = std::env::current_exe() else {
            return fallback();
        };
        let Some(deps) = exe.parent() else {
            return fallback();
        };
        if deps.file_name().is_none_or(|n| n != "deps") {
            return fallback();
        }
        let Some(profile_dir) = deps.parent() else {
            return fallback();
        };
        let Some(above) = profile_dir.parent() else {
            return fallback();
        };
        let dir_name = profile_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let profile = match dir_name.as_str() {
            "debug" => "dev".to_owned(),
            other => other.to_owned(),
        };
        // Cargo marks its target folder with CACHEDIR.TAG; without it, `above` is the
        // folder of a `--target <triple>` build.
        let (target_dir, triple) = if above.join("CACHEDIR.TAG").exists() {
            (above.to_path_buf(), None)
        } else {
            match above.parent() {
                Some(t) if t.join("CACHEDIR.TAG").exists() => (
                    t.to_path_buf(),
                    above.file_name().map(|n| n.to_string_lossy().into_owned()),
                ),
                _ => (above.to_path_buf(), None),
            }
        };
        TargetLayout {
            target_dir,
            profile_dir: profile_dir.to_path_buf(),
            profile,
            triple,
        }
    }
}

// ---------------------------------------------------------------------------------------
// A server process
// ---------------------------------------------------------------------------------------

/// How to start a server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// `--data-dir`: key files, the SQLite database, and the server's log (`server.log`).
    pub data_dir: PathBuf,
    /// `--database-url` (PostgreSQL); `None` for SQLite in the data folder.
    pub database_url: Option<String>,
    /// `--origin`; `None` for the default.
    pub origin: Option<String>,
    /// More flags. The rate limit is off unless a test sets `--rate-limit` here: load
    /// tests would otherwise be throttled.
    pub extra_args: Vec<String>,
}

impl ServerConfig {
    /// SQLite in `data_dir`.
    pub fn sqlite(data_dir: &Path) -> ServerConfig {
        ServerConfig {
            data_dir: data_dir.to_path_buf(),
            database_url: None,
            origin: None,
            extra_args: Vec::new(),
        }
    }

    /// The flags that name the database (for `ledger-server token …`).
    pub fn database_args(&self) -> Vec<String> {
        let mut args = vec!["--data-dir".to_owned(), self.data_dir.display().to_string()];
        if let Some(url) = &self.database_url {
            args.extend(["--database-url".to_owned(), url.clone()]);
        }
        args
    }

    /// What identifies the database: tokens issued on it are valid on every server
    /// that shares it.
    pub fn database_key(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| self.data_dir.display().to_string())
    }

    /// PostgreSQL at `url`, keys in `data_dir`.
    pub fn postgres(data_dir: &Path, url: &str) -> ServerConfig {
        ServerConfig {
            data_dir: data_dir.to_path_buf(),
            database_url: Some(url.to_owned()),
            origin: None,
            extra_args: Vec::new(),
        }
    }
}

/// A running `ledger-server`. Killed with SIGKILL when dropped.
pub struct Server {
    child: Option<Child>,
    base: String,
    config: ServerConfig,
}

impl Server {
    /// Starts a server on SQLite in `data_dir` (created if missing).
    pub fn start(data_dir: &Path) -> Server {
        Server::start_with(&ServerConfig::sqlite(data_dir))
    }

    /// Starts a server on `127.0.0.1:0` and waits until it prints its address. Its stderr
    /// is appended to `<data dir>/server.log`.
    pub fn start_with(config: &ServerConfig) -> Server {
        std::fs::create_dir_all(&config.data_dir).expect("creating the data folder");
        let log_path = config.data_dir.join("server.log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .expect("opening server.log");
        let mut cmd = Command::new(server_binary());
        for var in SERVER_ENV {
            cmd.env_remove(var);
        }
        cmd.arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(&config.data_dir);
        if let Some(url) = &config.database_url {
            cmd.arg("--database-url").arg(url);
        }
        if let Some(origin) = &config.origin {
            cmd.arg("--origin").arg(origin);
        }
        if !config.extra_args.iter().any(|a| a == "--rate-limit") {
            cmd.arg("--rate-limit").arg("0");
        }
        cmd.args(&config.extra_args);
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("starting ledger-server");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !sent {
                    if let Some(rest) = line.split("listening on ").nth(1) {
                        let _ = tx.send(rest.trim().to_owned());
                        sent = true;
                    }
                }
                // Keep draining, so the server never blocks on a full pipe.
            }
        });
        let base = match rx.recv_timeout(SERVER_START_TIMEOUT) {
            Ok(b) => b,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "ledger-server did not report its address ({e}); its log:\n{}",
                    tail(
                        &std::fs::read_to_string(&log_path).unwrap_or_default(),
                        4000
                    )
                );
            }
        };
        assert!(
            base.starts_with("http://127.0.0.1:"),
            "unexpected address line: {base}"
        );
        Server {
            child: Some(child),
            base: base.trim_end_matches('/').to_owned(),
            config: config.clone(),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The data folder.
    pub fn data_dir(&self) -> &Path {
        &self.config.data_dir
    }

    /// How it was started.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// A client for this server. It finds the tokens that [`Deployment::create_fund`] issued on
    /// this server's database (see [`Client::append`]).
    pub fn client(&self) -> Client {
        let mut c = Client::new(&self.base);
        c.database = Some(self.config.clone());
        c
    }

    /// Issues a credential with `ledger-server token issue` on this server's database
    /// and returns its token.
    pub fn issue_token(&self, role: &str, fund: Option<&str>) -> String {
        issue_token_on(&self.config, role, fund)
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the process is still running (it has not exited nor been killed).
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Sends SIGTERM (a graceful shutdown) and waits for the process to exit; returns
    /// whether it exited successfully.
    pub fn terminate(&mut self) -> bool {
        let Some(mut child) = self.child.take() else {
            return false;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return status.success();
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the process with SIGKILL (no graceful shutdown) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The end of the server's log (its stderr), for failure messages.
    pub fn log_tail(&self) -> String {
        tail(
            &std::fs::read_to_string(self.config.data_dir.join("server.log")).unwrap_or_default(),
            4000,
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn tail(s: &str, max: usize) -> String {
    let start = s.len().saturating_sub(max);
    let start = (start..=s.len())
        .find(|i| s.is_char_boundary(*i))
        .unwrap_or(s.len());
    s[start..].to_owned()
}

// ---------------------------------------------------------------------------------------
// A deployment: the set-up most tests want
// ---------------------------------------------------------------------------------------

/// A running server with its operator key: what most end-to-end tests start from.
///
/// [`Deployment::start`] writes a fresh random operator key to `<data dir>/operator.key`
/// and starts the server there; [`Deployment::operator_token`] and
/// [`Deployment::auditor_token`] issue tokens with `ledger-server token issue`;
/// [`Deployment::create_fund`] records a fund's genesis (signed with the operator key) and
/// returns its trustee token. It dereferences to its [`Server`] (`base_url`, `client`,
/// `issue_token`, `config`, …). When it owns its place ([`Deployment::sqlite`],
/// [`Deployment::on`]), the data folder (and PostgreSQL database) go when it is dropped,
/// after the server is killed.
pub struct Deployment {
    server: Server,
    operator: SigningKey,
    // Dropped after the server (field order): the data folder and database it runs on.
    _place: Option<TestBackend>,
}

/// A fund created by [`Deployment::create_fund`].
#[derive(Debug, Clone)]
pub struct Fund {
    /// Its genesis (entry 0).
    pub genesis: Ack,
    /// A trustee token of the fund (also registered, so the deployment's clients' appends
    /// to this fund carry it).
    pub trustee_token: String,
}

impl Deployment {
    /// Writes a fresh operator key to `<config.data_dir>/operator.key` and starts a server
    /// on `config`. The data folder stays (it is the caller's).
    pub fn start(config: &ServerConfig) -> Deployment {
        let operator = random_key();
        std::fs::create_dir_all(&config.data_dir).expect("creating the data folder");
        write_key_file(&config.data_dir.join("operator.key"), &operator);
        Deployment {
            server: Server::start_with(config),
            operator,
            _place: None,
        }
    }

    /// A deployment on SQLite in a fresh temporary folder named after `test`, removed
    /// when dropped.
    pub fn sqlite(test: &str) -> Deployment {
        Deployment::on(TestBackend::sqlite(test))
    }

    /// [`Deployment::sqlite`] with `more` extra server flags (e.g. `--proposal-ttl 2`).
    pub fn sqlite_with(test: &str, more: &[&str]) -> Deployment {
        let mut place = TestBackend::sqlite(test);
        place
            .config
            .extra_args
            .extend(more.iter().map(|a| (*a).to_owned()));
        Deployment::on(place)
    }

    /// A deployment on `backend` (from [`test_backends`]), which it then owns.
    pub fn on(backend: TestBackend) -> Deployment {
        let mut d = Deployment::start(&backend.config);
        d._place = Some(backend);
        d
    }

    /// The operator's signing key (its public half is the server's operator key).
    pub fn operator(&self) -> &SigningKey {
        &self.operator
    }

    /// The server.
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// Kills the server (SIGKILL) and starts a new one on the same data folder and
    /// database, keeping the operator key.
    pub fn restart(&mut self) {
        self.server.kill();
        self.server = Server::start_with(&self.server.config.clone());
    }

    /// Stops the server gracefully (SIGTERM: it stores each loaded fund's state) and
    /// starts a new one on the same data folder and database. Panics if the stop failed.
    pub fn restart_gracefully(&mut self) {
        assert!(self.server.terminate(), "the server stopped gracefully");
        self.server = Server::start_with(&self.server.config.clone());
    }

    /// A new operator token (issued with `ledger-server token issue`).
    pub fn operator_token(&self) -> String {
        self.server.issue_token("operator", None)
    }

    /// A new auditor token (issued with `ledger-server token issue`).
    pub fn auditor_token(&self) -> String {
        self.server.issue_token("auditor", None)
    }

    /// Creates `fund` with `trustees` and a policy of the given statement, disbursement
    /// and governance quorums (share rates 10%–50%): a genesis signed by the operator key,
    /// sent with the operator token. Panics unless the server answers 201 with entry 0.
    /// Returns the genesis and a trustee token of the fund.
    pub async fn create_fund(
        &self,
        fund: &str,
        trustees: &[&Trustee],
        quorums: (u32, u32, u32),
    ) -> Fund {
        self.create_fund_through(&self.server.client(), fund, trustees, quorums)
            .await
    }

    /// [`Deployment::create_fund`] through `client` (e.g. another server on the same
    /// database).
    pub async fn create_fund_through(
        &self,
        client: &Client,
        fund: &str,
        trustees: &[&Trustee],
        quorums: (u32, u32, u32),
    ) -> Fund {
        let policy = Policy {
            statement_quorum: quorums.0,
            disbursement_quorum: quorums.1,
            governance_quorum: quorums.2,
            ..single_trustee_policy()
        };
        let genesis = genesis_intent(fund, trustees, policy);
        let signed = sign_intent(&genesis, &[&self.operator]);
        let reply = client
            .append(&signed)
            .await
            .unwrap_or_else(|e| panic!("creating fund {fund}: {e}"));
        assert_eq!(
            reply.status, 201,
            "creating fund {fund}: {} {}",
            reply.status, reply.body
        );
        let genesis = reply.ack().expect("a 201 carries the entry");
        assert_eq!(genesis.seq, 0, "the genesis of {fund} is entry 0");
        let trustee_token = ensure_trustee_token(client, fund)
            .await
            .expect("the client knows its server's database");
        Fund {
            genesis,
            trustee_token,
        }
    }
}

impl std::ops::Deref for Deployment {
    type Target = Server;
    fn deref(&self) -> &Server {
        &self.server
    }
}

impl std::ops::DerefMut for Deployment {
    fn deref_mut(&mut self) -> &mut Server {
        &mut self.server
    }
}

/// Runs `body` once per backend of [`test_backends`] (SQLite; PostgreSQL too when
/// `LEDGER_TEST_POSTGRES_URL` is set, else a `SKIP` line, or a failure under
/// `LEDGER_REQUIRE_POSTGRES=1`), each time on a fresh [`Deployment`], on one [`runtime`].
/// `test` names the temporary folders and the `SKIP` line.
pub fn each_backend(test: &str, body: impl AsyncFn(&Deployment)) {
    let rt = runtime();
    for backend in test_backends(test, &rt) {
        println!("backend: {}", backend.name);
        let d = Deployment::on(backend);
        rt.block_on(body(&d));
    }
}

// ---------------------------------------------------------------------------------------
// Keys and randomness
// ---------------------------------------------------------------------------------------

/// 64 random bits from the OS.
pub fn random_u64() -> u64 {
    rand_core::OsRng.next_u64()
}

/// `n` random lowercase hex digits.
pub fn random_hex(n: usize) -> String {
    let mut s = String::new();
    while s.len() < n {
        s.push_str(&format!("{:016x}", random_u64()));
    }
    s.truncate(n);
    s
}

/// A fresh random Ed25519 key.
pub fn random_key() -> SigningKey {
    SigningKey::generate(&mut rand_core::OsRng)
}

/// Writes `key` as a key file the server reads (64 hex digits of the seed, mode 0600).
pub fn write_key_file(path: &Path, key: &SigningKey) {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
    f.write_all(format!("{}\n", hex_encode(&key.to_bytes())).as_bytes())
        .expect("writing key file");
}

/// Copies a key file into another data folder, keeping it owner-only.
pub fn copy_key_file(from: &Path, to_dir: &Path) {
    let name = from.file_name().expect("a key file name");
    let to = to_dir.join(name);
    std::fs::create_dir_all(to_dir).expect("creating the data folder");
    std::fs::copy(from, &to)
        .unwrap_or_else(|e| panic!("copying {} to {}: {e}", from.display(), to.display()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o600)).expect("chmod 600");
    }
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The current time, to the second, as the intents' `signed_at`.
pub fn now() -> Instant {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64;
    Instant::from_unix_seconds(secs).expect("a valid instant")
}

// ---------------------------------------------------------------------------------------
// Intents
// ---------------------------------------------------------------------------------------

/// A signed intent, ready to POST.
#[derive(Debug, Clone)]
pub struct SignedIntent {
    /// The fund it writes to.
    pub fund: String,
    /// Its idempotency key.
    pub key: String,
    /// JCS(intent), exactly the bytes that were signed.
    pub intent: String,
    /// Signatures, sorted by key.
    pub sigs: Vec<Sig>,
}

impl SignedIntent {
    /// The request body of `POST /api/v1/funds/{fund}/entries`.
    pub fn body(&self) -> Value {
        json!({ "intent": self.intent, "sigs": self.sigs })
    }
}

/// Canonicalises `intent` and signs it with every key in `signers` (sigs sorted by key).
pub fn sign_intent(intent: &Intent, signers: &[&SigningKey]) -> SignedIntent {
    let bytes = intent.canonical_bytes();
    let mut sigs: Vec<Sig> = signers.iter().map(|k| intent.sign(k)).collect();
    sigs.sort_by_key(|s| s.key);
    SignedIntent {
        fund: intent.fund.as_str().to_owned(),
        key: intent.key.as_str().to_owned(),
        intent: String::from_utf8(bytes).expect("JCS is UTF-8"),
        sigs,
    }
}

fn short(s: &str) -> ShortText {
    ShortText::parse(s).unwrap_or_else(|e| panic!("short text {s:?}: {e}"))
}

/// Signs intent bytes exactly as given (canonical or not) with `signers`.
pub fn sign_bytes(intent: &str, signers: &[&SigningKey]) -> Vec<Sig> {
    use ed25519_dalek::Signer;
    let msg = ledger_core::entry::signing_message(intent.as_bytes());
    let mut sigs: Vec<Sig> = signers
        .iter()
        .map(|k| Sig {
            key: PublicKey::from_verifying_key(k.verifying_key()),
            sig: ledger_core::keys::SignatureBytes(k.sign(&msg).to_bytes()),
        })
        .collect();
    sigs.sort_by_key(|s| s.key);
    sigs
}

/// An intent given as JSON (any content, valid or not), canonicalised (RFC 8785) and
/// signed by `signers`.
pub fn sign_value(intent: &Value, signers: &[&SigningKey]) -> SignedIntent {
    let bytes = ledger_core::canonical::canonicalize(intent);
    let text = String::from_utf8(bytes).expect("JCS is UTF-8");
    SignedIntent {
        fund: intent["fund"].as_str().unwrap_or_default().to_owned(),
        key: intent["key"].as_str().unwrap_or_default().to_owned(),
        sigs: sign_bytes(&text, signers),
        intent: text,
    }
}

/// A donation intent: an anonymous cash gift of `amount_fen` fen.
pub fn donation_intent(fund: &str, key: &str, amount_fen: i64, signed_at: Instant) -> Intent {
    let body = Donation {
        amount: Amount::from_fen(amount_fen).expect("a valid amount"),
        donor: Donor {
            class: DonorClass::Anonymous,
            name: None,
            name_consent: None,
            commitment: None,
        },
        channel: Channel::Cash,
        receipt_no: short(&format!("R-{key}")),
        purpose: None,
        restriction: None,
        memo: None,
        corrects: None,
    };
    Intent {
        fund: FundId::parse(fund).expect("a valid fund id"),
        body: Body::Donation(body),
        key: IdempotencyKey::parse(key).expect("a valid idempotency key"),
        signed_at,
    }
}

/// A policy under which one trustee's signature is a quorum for everything.
pub fn single_trustee_policy() -> Policy {
    Policy {
        statement_quorum: 1,
        disbursement_quorum: 1,
        governance_quorum: 1,
        share_rate_min: Rate::parse("0.1000").expect("rate"),
        share_rate_max: Rate::parse("0.5000").expect("rate"),
    }
}

/// A genesis intent with `trustees` and `policy` (to be signed by the operator key).
pub fn genesis_intent(fund: &str, trustees: &[&Trustee], policy: Policy) -> Intent {
    let body = Genesis {
        name: short("端到端测试基金"),
        name_en: short("End-to-end test fund"),
        street: short("犀浦街道"),
        community: short("测试社区"),
        currency: Currency::Cny,
        utc_offset: UtcOffset::CHINA,
        trustees: trustees
            .iter()
            .map(|t| BodyTrustee {
                key: t.public_key(),
                name: short(&t.name),
            })
            .collect(),
        policy,
        supervisors: Vec::new(),
        host: None,
    };
    Intent {
        fund: FundId::parse(fund).expect("a valid fund id"),
        body: Body::Genesis(body),
        key: IdempotencyKey::parse(&format!("genesis-{fund}")).expect("key"),
        signed_at: now(),
    }
}

/// A trustee: a name and the Ed25519 key they sign with.
#[derive(Debug, Clone)]
pub struct Trustee {
    /// Name shown to residents.
    pub name: String,
    /// The signing key (held by the trustee, never by the server).
    pub key: SigningKey,
}

impl Trustee {
    /// A trustee with a fresh random key.
    pub fn random(name: &str) -> Trustee {
        Trustee {
            name: name.to_owned(),
            key: random_key(),
        }
    }

    /// The public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey::from_verifying_key(self.key.verifying_key())
    }

    /// Signs `intent` alone.
    pub fn sign(&self, intent: &Intent) -> SignedIntent {
        sign_intent(intent, &[&self.key])
    }

    /// A donation of `amount_fen` fen to `fund`, with idempotency key `key`, signed now.
    pub fn donation(&self, fund: &str, key: &str, amount_fen: i64) -> SignedIntent {
        self.sign(&donation_intent(fund, key, amount_fen, now()))
    }
}

// ---------------------------------------------------------------------------------------
// Credentials
// ---------------------------------------------------------------------------------------

/// Runs `ledger-server token issue` on the database of `config` and returns the token.
pub fn issue_token_on(config: &ServerConfig, role: &str, fund: Option<&str>) -> String {
    let mut cmd = Command::new(server_binary());
    for var in SERVER_ENV {
        cmd.env_remove(var);
    }
    cmd.args(config.database_args())
        .args(["token", "issue", "--role", role, "--label"])
        .arg(format!("test {role}"));
    if let Some(f) = fund {
        cmd.args(["--fund", f]);
    }
    let out = cmd.output().expect("running ledger-server token issue");
    assert!(
        out.status.success(),
        "ledger-server token issue failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).expect("utf-8 token");
    let token = token.trim().to_owned();
    assert!(
        token.starts_with("clt_"),
        "unexpected token output {token:?}"
    );
    token
}

/// Tokens the tests issued, by (database key, fund); fund "" holds the operator token.
fn token_registry() -> &'static std::sync::Mutex<std::collections::HashMap<(String, String), String>>
{
    static TOKENS: OnceLock<std::sync::Mutex<std::collections::HashMap<(String, String), String>>> =
        OnceLock::new();
    TOKENS.get_or_init(Default::default)
}

fn registered_token(database: &str, fund: &str) -> Option<String> {
    let map = token_registry().lock().unwrap_or_else(|e| e.into_inner());
    map.get(&(database.to_owned(), fund.to_owned())).cloned()
}

fn register_token(database: &str, fund: &str, token: &str) {
    let mut map = token_registry().lock().unwrap_or_else(|e| e.into_inner());
    map.insert((database.to_owned(), fund.to_owned()), token.to_owned());
}

/// The operator token of the database of `config` (issued once per test process).
pub fn operator_token(config: &ServerConfig) -> String {
    let key = config.database_key();
    if let Some(t) = registered_token(&key, "") {
        return t;
    }
    let t = issue_token_on(config, "operator", None);
    register_token(&key, "", &t);
    t
}

/// Issues (once) a trustee token of `fund` through the API and registers it, so that the
/// client's appends to `fund` carry it. Returns it (`None` for a client that does not
/// know its server's database).
pub async fn ensure_trustee_token(client: &Client, fund: &str) -> Option<String> {
    let config = client.database.as_ref()?;
    let key = config.database_key();
    if let Some(t) = registered_token(&key, fund) {
        return Some(t);
    }
    let token = client
        .issue_credential(&operator_token(config), "trustee", Some(fund))
        .await
        .unwrap_or_else(|e| panic!("issuing a trustee token for {fund}: {e:#}"));
    register_token(&key, fund, &token);
    Some(token)
}

// ---------------------------------------------------------------------------------------
// HTTP client
// ---------------------------------------------------------------------------------------

/// What the server acknowledged: the entry's place and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    /// Seq of the entry.
    pub seq: u64,
    /// Hex hash of the entry.
    pub hash: String,
}

/// The answer to an append.
#[derive(Debug, Clone)]
pub struct AppendReply {
    /// HTTP status.
    pub status: u16,
    /// The `idempotent-replay: true` header was present.
    pub replay: bool,
    /// The JSON body (the entry, or a problem).
    pub body: Value,
}

impl AppendReply {
    /// The acknowledged entry, for a 201 (appended) or a 200 (replayed).
    pub fn ack(&self) -> Option<Ack> {
        if self.status != 201 && self.status != 200 {
            return None;
        }
        Some(Ack {
            seq: self.body.get("seq")?.as_u64()?,
            hash: self.body.get("hash")?.as_str()?.to_owned(),
        })
    }
}

/// An entry as listed by the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedEntry {
    /// Seq.
    pub seq: u64,
    /// Hex hash.
    pub hash: String,
    /// The intent's idempotency key.
    pub key: String,
    /// The entry's `prev`.
    pub prev: String,
}

/// A client of one server (plain HTTP on loopback).
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    /// The server's database, when known: appends then carry the token registered for
    /// their fund (the operator token for a genesis).
    database: Option<ServerConfig>,
    /// A token that overrides the registered ones.
    token: Option<String>,
}

impl Client {
    /// A client for the server at `base` (`http://127.0.0.1:PORT`).
    pub fn new(base: &str) -> Client {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .expect("an HTTP client");
        Client {
            http,
            base: base.trim_end_matches('/').to_owned(),
            database: None,
            token: None,
        }
    }

    /// This client, sending `token` with every request.
    pub fn with_token(&self, token: &str) -> Client {
        let mut c = self.clone();
        c.token = Some(token.to_owned());
        c
    }

    /// This client, sending no token (the public).
    pub fn public(&self) -> Client {
        let mut c = self.clone();
        c.token = None;
        c.database = None;
        c
    }

    /// The token an append of `s` carries.
    fn token_for(&self, s: &SignedIntent) -> Option<String> {
        if let Some(t) = &self.token {
            return Some(t.clone());
        }
        let config = self.database.as_ref()?;
        let genesis =
            serde_json::from_str::<Value>(&s.intent).is_ok_and(|v| v["kind"] == "genesis");
        if genesis {
            return Some(operator_token(config));
        }
        registered_token(&config.database_key(), &s.fund)
    }

    /// Issues a credential through the API with `operator_token`; returns the token.
    pub async fn issue_credential(
        &self,
        operator_token: &str,
        role: &str,
        fund: Option<&str>,
    ) -> anyhow::Result<String> {
        let mut body = json!({"role": role, "label": format!("test {role}")});
        if let Some(f) = fund {
            body["fund"] = json!(f);
        }
        let resp = self
            .http
            .post(format!("{}/api/v1/credentials", self.base))
            .bearer_auth(operator_token)
            .json(&body)
            .send()
            .await?;
        let status = resp.status();
        let v: Value = resp.json().await?;
        if status.as_u16() != 201 {
            bail!("issuing a credential: {status}: {v}");
        }
        Ok(v["token"]
            .as_str()
            .ok_or_else(|| anyhow!("no token in {v}"))?
            .to_owned())
    }

    /// A request builder with this client's token, if it has one of its own.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let rb = self.http.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    /// Sends `method path` (with `body` as JSON, if any) and returns the status and the
    /// JSON answer (`Null` if the answer is not JSON). Panics if no answer comes back.
    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let resp = self.send(method, path, body).await;
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// [`Client::send_json`], keeping only the status and the problem's `code` (`""` when
    /// the answer has none).
    pub async fn status_code(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (u16, String) {
        problem_code(self.send(method, path, body).await).await
    }

    /// Sends `method path` with `body` as JSON, if any; panics if no answer comes back.
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> reqwest::Response {
        let mut rb = self.request(method.clone(), path);
        if let Some(b) = body {
            rb = rb.json(b);
        }
        rb.send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: no answer: {e}"))
    }

    /// The server's base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// POSTs a signed intent. `Err` only when no HTTP answer came back.
    pub async fn append(&self, s: &SignedIntent) -> Result<AppendReply, reqwest::Error> {
        let url = format!("{}/api/v1/funds/{}/entries", self.base, s.fund);
        let mut rb = self.http.post(url).json(&s.body());
        if let Some(t) = self.token_for(s) {
            rb = rb.bearer_auth(t);
        }
        let resp = rb.send().await?;
        let status = resp.status().as_u16();
        let replay = resp
            .headers()
            .get("idempotent-replay")
            .is_some_and(|v| v.as_bytes() == b"true");
        let bytes = resp.bytes().await?;
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        Ok(AppendReply {
            status,
            replay,
            body,
        })
    }

    /// Checks that the checkpoint `older` of `fund` is consistent with `newer`: the same
    /// root at the same size, otherwise a consistency proof served (publicly) by this
    /// client's server verifies between them.
    pub async fn check_consistent(
        &self,
        fund: &str,
        older: &ledger_core::checkpoint::Checkpoint,
        newer: &ledger_core::checkpoint::Checkpoint,
    ) -> anyhow::Result<()> {
        if older.tree_size == newer.tree_size {
            if older.root != newer.root {
                bail!("{fund}: two roots at size {}", older.tree_size);
            }
            return Ok(());
        }
        let proof = self
            .public()
            .get_json(&format!(
                "/api/v1/funds/{fund}/proofs/consistency?from={}&to={}",
                older.tree_size, newer.tree_size
            ))
            .await?;
        let hashes = proof["proof"]
            .as_array()
            .ok_or_else(|| anyhow!("{fund}: no proof in {proof}"))?
            .iter()
            .map(|h| {
                h.as_str()
                    .and_then(|h| ledger_core::hash::Hash::from_hex(h).ok())
                    .ok_or_else(|| anyhow!("{fund}: {h} is not a hash"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        ledger_core::merkle::verify_consistency(
            older.tree_size,
            newer.tree_size,
            &hashes,
            &older.root,
            &newer.root,
        )
        .map_err(|e| {
            anyhow!(
                "{fund}: checkpoint {} is not consistent with {}: {e}",
                older.tree_size,
                newer.tree_size
            )
        })
    }

    /// GETs `path` and parses a 200 JSON answer.
    pub async fn get_json(&self, path: &str) -> anyhow::Result<Value> {
        let resp = self
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .with_context(|| format!("GET {path}"))?;
        let status = resp.status();
        let text = resp.text().await?;
        if !status.is_success() {
            bail!("GET {path}: {status}: {text}");
        }
        serde_json::from_str(&text).with_context(|| format!("GET {path}: not JSON"))
    }

    /// Every entry of `fund` as the API lists it (JSON), in seq order (all pages).
    pub async fn entry_rows(&self, fund: &str) -> anyhow::Result<Vec<Value>> {
        let mut out = Vec::new();
        let mut from = 0u64;
        loop {
            let page = self
                .get_json(&format!(
                    "/api/v1/funds/{fund}/entries?from={from}&limit=1000"
                ))
                .await?;
            let rows = page["entries"]
                .as_array()
                .ok_or_else(|| anyhow!("no entries array: {page}"))?;
            out.extend(rows.iter().cloned());
            match page["next"].as_u64() {
                Some(next) if !rows.is_empty() => from = next,
                _ => break,
            }
        }
        Ok(out)
    }

    /// Every entry of `fund`, in seq order (all pages).
    pub async fn entries(&self, fund: &str) -> anyhow::Result<Vec<ListedEntry>> {
        let mut out = Vec::new();
        for r in self.entry_rows(fund).await? {
            let seq = r["seq"].as_u64().ok_or_else(|| anyhow!("seq: {r}"))?;
            let field = |v: &Value, what: &str| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| anyhow!("{what} of entry {seq}: {r}"))
            };
            out.push(ListedEntry {
                seq,
                hash: field(&r["hash"], "hash")?,
                key: field(&r["entry"]["intent"]["key"], "intent key")?,
                prev: field(&r["entry"]["prev"], "prev")?,
            });
        }
        Ok(out)
    }

    /// The export of `fund` (NDJSON bytes).
    pub async fn export(&self, fund: &str) -> anyhow::Result<Vec<u8>> {
        let path = format!("/api/v1/funds/{fund}/export");
        let resp = self
            .request(reqwest::Method::GET, &path)
            .send()
            .await
            .with_context(|| format!("GET {path}"))?;
        let status = resp.status();
        let bytes = resp.bytes().await?;
        if !status.is_success() {
            bail!("GET {path}: {status}: {}", String::from_utf8_lossy(&bytes));
        }
        Ok(bytes.to_vec())
    }

    /// What an auditor trusts out of band: the log key and operator key the server names.
    pub async fn expectations(&self) -> anyhow::Result<Expectations> {
        let info = self.get_json("/api/v1/log").await?;
        let log_key = info["log_key"]
            .as_str()
            .ok_or_else(|| anyhow!("log_key: {info}"))?
            .to_owned();
        let op = info["operator_key"]
            .as_str()
            .ok_or_else(|| anyhow!("operator_key: {info}"))?;
        Ok(Expectations {
            log_key: Some(log_key),
            operator_key: Some(PublicKey::from_hex(op).map_err(|e| anyhow!("{e}"))?),
        })
    }

    /// Downloads and verifies the export of `fund` against [`Client::expectations`].
    pub async fn verify_export(&self, fund: &str) -> anyhow::Result<Report> {
        let expect = self.expectations().await?;
        let export = self.export(fund).await?;
        Ok(tokio::task::spawn_blocking(move || {
            ledger_core::parallel::verify_export_parallel(&export, expect, 2, 256)
        })
        .await?)
    }
}

/// The status of an answer and its problem's `code` (`""` when the answer has none).
pub async fn problem_code(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    let v: Value = resp.json().await.unwrap_or(Value::Null);
    (status, v["code"].as_str().unwrap_or("").to_owned())
}

/// Checks that `entries` are exactly seqs 0..n, each chained to the one before (no gap,
/// no fork, no duplicate), and that no idempotency key appears twice.
pub fn check_contiguous(fund: &str, entries: &[ListedEntry]) -> Result<(), String> {
    let mut keys = std::collections::HashSet::new();
    let mut prev = "0".repeat(64);
    for (i, e) in entries.iter().enumerate() {
        if e.seq != i as u64 {
            return Err(format!("{fund}: entry #{i} has seq {}", e.seq));
        }
        if e.prev != prev {
            return Err(format!(
                "{fund}: entry {} does not chain to its predecessor",
                e.seq
            ));
        }
        if !keys.insert(e.key.clone()) {
            return Err(format!("{fund}: key {} recorded twice", e.key));
        }
        prev = e.hash.clone();
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// PostgreSQL
// ---------------------------------------------------------------------------------------

/// The PostgreSQL admin URL from `LEDGER_TEST_POSTGRES_URL`, or `None` after printing
/// `SKIP` — unless `LEDGER_REQUIRE_POSTGRES=1`, then it panics.
pub fn postgres_admin_url(test: &str) -> Option<String> {
    match std::env::var("LEDGER_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_owned()),
        _ => {
            if std::env::var("LEDGER_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("{test}: LEDGER_REQUIRE_POSTGRES=1 but LEDGER_TEST_POSTGRES_URL is not set");
            }
            println!("SKIP {test}: LEDGER_TEST_POSTGRES_URL is not set");
            None
        }
    }
}

/// How long creating or dropping a test database may take.
const PG_ADMIN_TIMEOUT: Duration = Duration::from_secs(30);
/// Retries of a refused `DROP DATABASE` (200 ms apart).
const PG_DROP_TRIES: u32 = 25;

/// A fresh, empty PostgreSQL database, dropped (best effort) when this is dropped.
///
/// Created through the admin URL (a role with CREATEDB, see `.ci/postgres.sh`). The drop
/// is `DROP DATABASE … WITH (FORCE)` (PostgreSQL 13+: it also ends the connections that
/// pools of the test may still hold); it cannot end another role's sessions, so a refused
/// drop is retried for a few seconds while such a connection closes. It runs on a thread
/// of its own with a small current-thread runtime, because this is usually dropped inside
/// the test's tokio runtime. If a test process is killed, its databases stay behind; they
/// are never cleaned in bulk, since other test processes may be using theirs.
pub struct PgDatabase {
    /// URL of the new database (same credentials as the admin URL).
    pub url: String,
    /// Its name.
    pub name: String,
    admin_url: String,
}

impl PgDatabase {
    /// A fresh database `ledger_e2e_<random>`, created through the admin URL.
    pub async fn create(admin_url: &str) -> anyhow::Result<PgDatabase> {
        PgDatabase::create_with(admin_url, "ledger_e2e", None).await
    }

    /// A fresh database `<prefix>_<random>`, owned by `owner` if given (else by the admin
    /// URL's role).
    pub async fn create_with(
        admin_url: &str,
        prefix: &str,
        owner: Option<&str>,
    ) -> anyhow::Result<PgDatabase> {
        use sqlx::Connection;
        let name = format!("{prefix}_{}", random_hex(16));
        let owner = owner.map(|o| format!(" OWNER {o}")).unwrap_or_default();
        let create = async {
            let mut conn = sqlx::PgConnection::connect(admin_url)
                .await
                .context("connecting to PostgreSQL with LEDGER_TEST_POSTGRES_URL")?;
            sqlx::query(&format!("CREATE DATABASE \"{name}\"{owner}"))
                .execute(&mut conn)
                .await
                .with_context(|| format!("CREATE DATABASE {name}"))?;
            conn.close().await.ok();
            anyhow::Ok(())
        };
        tokio::time::timeout(PG_ADMIN_TIMEOUT, create)
            .await
            .with_context(|| format!("CREATE DATABASE {name} timed out"))??;
        Ok(PgDatabase {
            url: pg_url_with_database(admin_url, &name),
            name,
            admin_url: admin_url.to_owned(),
        })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin = self.admin_url.clone();
        let name = self.name.clone();
        let dropper = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            let result = rt.block_on(async {
                use sqlx::Connection;
                tokio::time::timeout(PG_ADMIN_TIMEOUT, async {
                    let mut conn = sqlx::PgConnection::connect(&admin).await?;
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    let mut tries = 0;
                    loop {
                        match sqlx::query(&sql).execute(&mut conn).await {
                            Ok(_) => break,
                            Err(_) if tries < PG_DROP_TRIES => {
                                tries += 1;
                                tokio::time::sleep(Duration::from_millis(200)).await;
                            }
                            Err(e) => return Err(e),
                        }
                    }
                    conn.close().await
                })
                .await
            });
            match result {
                Ok(Ok(())) => {}
                Ok(Err(e)) => eprintln!("note: could not drop test database {name}: {e}"),
                Err(_) => eprintln!("note: dropping test database {name} timed out"),
            }
        });
        let _ = dropper.join();
    }
}

/// `url` (a `postgres://` URL) with its database replaced by `database`. Panics if `url`
/// is not a URL.
pub fn pg_url_with_database(url: &str, database: &str) -> String {
    let mut parsed = parse_pg_url(url);
    parsed.set_path(&format!("/{database}"));
    parsed.to_string()
}

/// `url` (a `postgres://` URL) with other credentials. Panics if `url` is not a URL with a
/// host.
pub fn pg_url_with_user(url: &str, user: &str, password: &str) -> String {
    let mut parsed = parse_pg_url(url);
    parsed
        .set_username(user)
        .unwrap_or_else(|()| panic!("{url} cannot have a user name"));
    parsed
        .set_password(Some(password))
        .unwrap_or_else(|()| panic!("{url} cannot have a password"));
    parsed.to_string()
}

fn parse_pg_url(url: &str) -> reqwest::Url {
    reqwest::Url::parse(url).unwrap_or_else(|e| panic!("not a PostgreSQL URL ({e}): {url}"))
}

// ---------------------------------------------------------------------------------------
// Both backends
// ---------------------------------------------------------------------------------------

/// A place to run a server: a fresh data folder, on SQLite or on a fresh PostgreSQL
/// database. Both are removed when dropped.
pub struct TestBackend {
    /// `sqlite` or `postgres`.
    pub name: &'static str,
    /// How to start a server on it.
    pub config: ServerConfig,
    _db: Option<PgDatabase>,
}

impl Drop for TestBackend {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.config.data_dir);
    }
}

fn fresh_dir(test: &str, backend: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ledger-{test}-{backend}-{}", random_hex(6)));
    std::fs::create_dir_all(&dir).expect("a temp folder");
    dir
}

impl TestBackend {
    /// SQLite in a fresh temporary folder.
    pub fn sqlite(test: &str) -> TestBackend {
        TestBackend {
            name: "sqlite",
            config: ServerConfig::sqlite(&fresh_dir(test, "sqlite")),
            _db: None,
        }
    }

    /// A fresh PostgreSQL database (and data folder) when `LEDGER_TEST_POSTGRES_URL` is
    /// set; else `None` after [`postgres_admin_url`]'s `SKIP` line (or its panic under
    /// `LEDGER_REQUIRE_POSTGRES=1`).
    pub fn postgres(test: &str, rt: &tokio::runtime::Runtime) -> Option<TestBackend> {
        let admin = postgres_admin_url(test)?;
        let db = rt
            .block_on(PgDatabase::create(&admin))
            .expect("a test database");
        Some(TestBackend {
            name: "postgres",
            config: ServerConfig::postgres(&fresh_dir(test, "postgres"), &db.url),
            _db: Some(db),
        })
    }
}

/// SQLite always; PostgreSQL too when `LEDGER_TEST_POSTGRES_URL` is set (required in CI).
pub fn test_backends(test: &str, rt: &tokio::runtime::Runtime) -> Vec<TestBackend> {
    let mut out = vec![TestBackend::sqlite(test)];
    out.extend(TestBackend::postgres(test, rt));
    out
}

/// A two-thread tokio runtime for a test's client side.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

// ---------------------------------------------------------------------------------------
// The verifier binary and a demo server (for tests/verify_url.rs)
// ---------------------------------------------------------------------------------------

/// Path of the `ledger-verify` executable (audit-tools), built (once per test process) if
/// missing or stale, exactly as [`server_binary`] finds `ledger-server`.
/// `LEDGER_VERIFY_BIN` overrides this.
pub fn verify_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| audit_tools_binary("LEDGER_VERIFY_BIN", "ledger-verify"))
        .clone()
}

/// Path of the `ledger-witness` executable (audit-tools), built (once per test process)
/// if missing or stale, exactly as [`verify_binary`] finds `ledger-verify`.
/// `LEDGER_WITNESS_BIN` overrides this.
pub fn witness_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| audit_tools_binary("LEDGER_WITNESS_BIN", "ledger-witness"))
        .clone()
}

/// A running `ledger-witness serve` (SIGKILLed when dropped), with its data folder.
pub struct WitnessProcess {
    child: Option<Child>,
    data: PathBuf,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its witness vkey.
    pub vkey: String,
}

impl WitnessProcess {
    /// Makes a witness in `data` (`keygen --name name`) that witnesses every fund of the
    /// deployment `origin` signed by `log_vkey` (`add-log --origin-prefix`), and serves it
    /// on a free port.
    pub fn create(data: &Path, name: &str, origin: &str, log_vkey: &str) -> WitnessProcess {
        let d = data.display().to_string();
        for args in [
            vec!["keygen", "--name", name, "--data", &d],
            vec![
                "add-log",
                "--origin-prefix",
                origin,
                "--vkey",
                log_vkey,
                "--data",
                &d,
            ],
        ] {
            let out = Command::new(witness_binary())
                .args(&args)
                .env_remove("LEDGER_WITNESS_DATA")
                .stdin(Stdio::null())
                .output()
                .expect("running ledger-witness");
            assert!(
                out.status.success(),
                "ledger-witness {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        WitnessProcess::serve(data, "127.0.0.1:0")
    }

    /// `ledger-witness serve --listen listen --data data`, once it prints its address.
    pub fn serve(data: &Path, listen: &str) -> WitnessProcess {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data.with_extension("log"))
            .expect("opening the witness's log");
        let mut child = Command::new(witness_binary())
            .args(["serve", "--listen", listen, "--data"])
            .arg(data)
            .env_remove("LEDGER_WITNESS_DATA")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("starting ledger-witness serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("ledger-witness listening on ") {
                    let _ = tx.send(rest.to_owned());
                }
            }
        });
        let Ok(line) = rx.recv_timeout(SERVER_START_TIMEOUT) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "ledger-witness serve did not print its address; its log:\n{}",
                std::fs::read_to_string(data.with_extension("log")).unwrap_or_default()
            );
        };
        let (url, vkey) = line.split_once(" as ").expect("`URL as VKEY`");
        WitnessProcess {
            child: Some(child),
            data: data.to_path_buf(),
            url: url.to_owned(),
            vkey: vkey.to_owned(),
        }
    }

    /// Kills it (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Serves it again on the same data folder and address.
    pub fn restart(&mut self) {
        self.kill();
        let listen = self.url.trim_start_matches("http://").to_owned();
        let data = self.data.clone();
        *self = WitnessProcess::serve(&data, &listen);
    }
}

impl Drop for WitnessProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A binary of `audit-tools`: `$override_var` if set, else built (if missing or older
/// than its sources) into the running test's target folder, as [`server_binary`] does.
fn audit_tools_binary(override_var: &str, name: &str) -> PathBuf {
    if let Some(p) = std::env::var_os(override_var) {
        return PathBuf::from(p);
    }
    let layout = TargetLayout::of_running_test();
    let bin = layout
        .profile_dir
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let sources = [
        "Cargo.toml",
        "Cargo.lock",
        "audit-tools/Cargo.toml",
        "audit-tools/src",
        "ledger-core/Cargo.toml",
        "ledger-core/src",
    ];
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fresh = std::fs::metadata(&bin)
        .and_then(|m| m.modified())
        .is_ok_and(|built| {
            sources
                .iter()
                .all(|s| newest_mtime(&root.join(s)).is_some_and(|t| t <= built))
        });
    if fresh {
        return bin;
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.arg("build")
        .arg("--quiet")
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .args(["-p", "audit-tools", "--bin", name])
        .arg("--profile")
        .arg(&layout.profile)
        .arg("--target-dir")
        .arg(&layout.target_dir);
    if let Some(t) = &layout.triple {
        cmd.arg("--target").arg(t);
    }
    let status = cmd
        .stdin(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("running cargo to build {name}: {e}"));
    assert!(status.success(), "building {name} failed: {status}");
    assert!(bin.is_file(), "{} was not built", bin.display());
    bin
}

impl Server {
    /// Starts `ledger-server --demo` on SQLite in `data_dir` (30 demo funds, generated on
    /// the first start: allow for it) and waits until it prints its address.
    pub fn start_demo(data_dir: &Path) -> Server {
        let mut config = ServerConfig::sqlite(data_dir);
        config.extra_args = vec!["--demo".into()];
        Server::start_with(&config)
    }
}

// ---------------------------------------------------------------------------------------
// The trustee's client binary
// ---------------------------------------------------------------------------------------

/// Path of the `ledger` executable (the trustee's client, in `audit-tools`), built (once
/// per test process) like [`server_binary`] if missing or older than its sources.
/// `LEDGER_CLIENT_BIN` overrides this.
pub fn client_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| audit_tools_binary("LEDGER_CLIENT_BIN", "ledger"))
        .clone()
}

/// What a run of the client printed, and how it exited.
#[derive(Debug, Clone)]
pub struct ClientRun {
    /// Exit code (-1 if killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs `ledger` with `args` against `server` (its URL; `LEDGER_*` variables cleared).
pub fn run_client(server: &Server, args: &[&str]) -> ClientRun {
    let mut cmd = Command::new(client_binary());
    for var in ["LEDGER_URL", "LEDGER_TOKEN", "LEDGER_KEY"] {
        cmd.env_remove(var);
    }
    let out = cmd
        .arg("--url")
        .arg(server.base_url())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("running ledger");
    ClientRun {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

// ---------------------------------------------------------------------------------------
// Receipts (FORMAT.md §11), for the residents' pages tests
// ---------------------------------------------------------------------------------------

/// The first resident donation of `fund` (seq and entry), found through the public API.
pub async fn first_resident_donation(client: &Client, fund: &str) -> anyhow::Result<(u64, Value)> {
    for r in client.entry_rows(fund).await? {
        if r["kind"] == "donation" && r["entry"]["intent"]["body"]["donor"]["class"] == "resident" {
            let seq = r["seq"].as_u64().ok_or_else(|| anyhow!("seq: {r}"))?;
            return Ok((seq, r["entry"].clone()));
        }
    }
    bail!("{fund} has no resident donation")
}

/// A receipt of entry `seq` of `fund`. From `GET /api/v1/funds/{fund}/entries/{seq}/receipt`
/// (`?donor=true` with `trustee_token`: the donor's copy) when the server has that route;
/// otherwise assembled the same way from the public API: the entry's line of the export,
/// the export's checkpoint, the inclusion proof for that size and the log key, plus, when
/// `auditor_token` is given, the donor part from the vault.
pub async fn fetch_receipt(
    client: &Client,
    fund: &str,
    seq: u64,
    trustee_token: Option<&str>,
    auditor_token: Option<&str>,
) -> anyhow::Result<Value> {
    let (path, served) = match trustee_token {
        Some(t) => (
            format!("/api/v1/funds/{fund}/entries/{seq}/receipt?donor=true"),
            client.with_token(t),
        ),
        None => (
            format!("/api/v1/funds/{fund}/entries/{seq}/receipt"),
            client.public(),
        ),
    };
    let resp = served.request(reqwest::Method::GET, &path).send().await?;
    let status = resp.status();
    let text = resp.text().await?;
    if status.is_success() {
        return serde_json::from_str(&text).with_context(|| format!("GET {path}: not JSON"));
    }
    if status.as_u16() != 404 || !text.contains("unknown_route") {
        bail!("GET {path}: {status}: {text}");
    }
    // No receipt route on this server: assemble one.
    let log = client.public().get_json("/api/v1/log").await?;
    let export = String::from_utf8(client.public().export(fund).await?)?;
    let lines: Vec<&str> = export.lines().collect();
    let tree_size = lines.len().saturating_sub(2) as u64;
    let entry = lines
        .get(seq as usize + 1)
        .filter(|_| seq < tree_size)
        .ok_or_else(|| anyhow!("{fund} has no entry {seq}"))?;
    let last: Value = serde_json::from_str(lines.last().copied().unwrap_or(""))?;
    let proof = client
        .public()
        .get_json(&format!(
            "/api/v1/funds/{fund}/proofs/inclusion?seq={seq}&size={tree_size}"
        ))
        .await?;
    let parsed: Value = serde_json::from_str(entry)?;
    let signers: Vec<Value> = parsed["sigs"]
        .as_array()
        .ok_or_else(|| anyhow!("entry without sigs"))?
        .iter()
        .map(|s| json!({"key": s["key"]}))
        .collect();
    let mut receipt = json!({
        "version": "community-ledger/receipt/v1",
        "origin": format!("{}/{fund}", log["origin"].as_str().unwrap_or("")),
        "log_key": log["log_key"],
        "entry": entry,
        "seq": seq,
        "tree_size": tree_size,
        "inclusion": proof["proof"],
        "checkpoint": last["checkpoint"],
        "signers": signers,
    });
    if let Some(t) = auditor_token {
        let v = client
            .with_token(t)
            .get_json(&format!("/api/v1/funds/{fund}/vault/{seq}"))
            .await?;
        receipt["donor"] = json!({"salt": v["salt"], "name": v["name"], "phone": v["phone"]});
    }
    Ok(receipt)
}
