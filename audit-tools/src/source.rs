//! Where an export's lines come from: a file, standard input, a server's export endpoint,
//! or the store itself. Every source yields lines one at a time (without their `\n`), so
//! verification holds only the chunk it works on, never the whole log.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use ledger_core::entry::ENTRY_BYTES_MAX;
use ledger_core::export::{CheckpointLine, Header};
use ledger_core::ids::FundId;
use ledger_core::keys::PublicKey;
use ledger_core::note::NoteVerifier;
use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, ConnectOptions, Connection, Executor, Row};

/// Longest line kept whole. An entry is at most [`ENTRY_BYTES_MAX`] bytes; a longer line is
/// cut to this many bytes plus one, which still reads as too large where it is checked.
pub const LINE_BYTES_MAX: usize = 2 * ENTRY_BYTES_MAX;
/// Entries read from the store per query.
pub const DB_PAGE_ROWS: i64 = 4096;
/// How long connecting to a server may take.
pub const HTTP_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// One place to read an export from.
#[derive(Debug, Clone)]
pub enum Source {
    /// An export file.
    File(PathBuf),
    /// An export on standard input.
    Stdin,
    /// `GET {base}/api/v1/funds/{fund}/export` on a running server.
    Url {
        /// Base URL, e.g. `http://127.0.0.1:8080`.
        base: String,
        /// The fund.
        fund: String,
    },
    /// The store's tables, read in one snapshot.
    Db {
        /// `sqlite://path` or `postgres://…`.
        url: String,
        /// The fund.
        fund: String,
        /// The deployment's log key (C2SP verifier key), as `GET /api/v1/log` prints it.
        log_key: String,
        /// The deployment origin (`ledger-server --origin`); the fund's checkpoint origin
        /// is `<origin>/<fund>`.
        origin: String,
    },
}

/// An opened source: its lines, and what is known of its size (for progress).
pub struct Lines {
    /// The lines, in order, without their newline; an `Err` ends the input.
    pub iter: Box<dyn Iterator<Item = io::Result<Vec<u8>>>>,
    /// Total bytes, when known (a file's size, a response's `Content-Length`).
    pub total_bytes: Option<u64>,
    /// Bytes read so far, shared with the reader (for progress).
    pub bytes_read: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// What is read, for messages.
    pub label: String,
    /// Set once the input has ended on a last line without `\n` (FORMAT.md §8).
    pub unterminated: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Source {
    /// Opens the source. Errors are unusable input (missing file, refused connection,
    /// unknown fund, database error).
    pub fn open(&self) -> anyhow::Result<Lines> {
        match self {
            Source::File(path) => {
                let file = File::open(path)
                    .with_context(|| format!("cannot open export file {}", path.display()))?;
                let meta = file
                    .metadata()
                    .with_context(|| format!("cannot read {}", path.display()))?;
                if meta.is_dir() {
                    bail!("{} is a folder, not an export file", path.display());
                }
                Ok(reader_lines(
                    BufReader::new(file),
                    Some(meta.len()),
                    path.display().to_string(),
                ))
            }
            Source::Stdin => Ok(reader_lines(
                BufReader::new(io::stdin()),
                None,
                "standard input".into(),
            )),
            Source::Url { base, fund } => open_url(base, fund),
            Source::Db {
                url,
                fund,
                log_key,
                origin,
            } => open_db(url, fund, log_key, origin),
        }
    }
}

fn reader_lines<R: BufRead + 'static>(reader: R, total: Option<u64>, label: String) -> Lines {
    let bytes_read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let unterminated = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    Lines {
        iter: Box::new(LineReader {
            reader,
            done: false,
            bytes_read: bytes_read.clone(),
            unterminated: unterminated.clone(),
        }),
        total_bytes: total,
        bytes_read,
        label,
        unterminated,
    }
}

/// Splits a reader into `\n`-terminated lines, each cut to [`LINE_BYTES_MAX`] + 1 bytes,
/// so a hostile input without newlines cannot fill memory.
struct LineReader<R> {
    reader: R,
    done: bool,
    bytes_read: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Set when the input ends on a line without `\n`.
    unterminated: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl<R: BufRead> Iterator for LineReader<R> {
    type Item = io::Result<Vec<u8>>;

    fn next(&mut self) -> Option<io::Result<Vec<u8>>> {
        if self.done {
            return None;
        }
        let mut line = Vec::new();
        let mut any = false;
        loop {
            let buf = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            };
            if buf.is_empty() {
                self.done = true;
                if any {
                    self.unterminated
                        .store(true, std::sync::atomic::Ordering::Relaxed);
                }
                return any.then_some(Ok(line));
            }
            any = true;
            let (used, end) = match buf.iter().position(|b| *b == b'\n') {
                Some(i) => (i + 1, Some(i)),
                None => (buf.len(), None),
            };
            let take = end.unwrap_or(used);
            let room = (LINE_BYTES_MAX + 1).saturating_sub(line.len());
            line.extend_from_slice(&buf[..take.min(room)]);
            self.reader.consume(used);
            self.bytes_read
                .fetch_add(used as u64, std::sync::atomic::Ordering::Relaxed);
            if end.is_some() {
                return Some(Ok(line));
            }
        }
    }
}

fn fund_id(fund: &str) -> anyhow::Result<FundId> {
    FundId::parse(fund).map_err(|e| anyhow!("`{fund}` is not a fund id: {e}"))
}

fn open_url(base: &str, fund: &str) -> anyhow::Result<Lines> {
    let fund = fund_id(fund)?;
    let base = base.trim_end_matches('/');
    if !base.starts_with("http://") {
        if base.starts_with("https://") {
            bail!("{base}: this build speaks plain HTTP only; fetch the export with another tool and verify the file");
        }
        bail!("{base} is not an http:// URL");
    }
    let url = format!("{base}/api/v1/funds/{fund}/export");
    let client = reqwest::blocking::Client::builder()
        .connect_timeout(HTTP_CONNECT_TIMEOUT)
        .timeout(None)
        .build()
        .context("cannot set up the HTTP client")?;
    let response = client
        .get(&url)
        .send()
        .map_err(|e| anyhow!("GET {url}: {}", error_chain(&e.without_url())))?;
    let status = response.status();
    if !status.is_success() {
        let body = response.text().unwrap_or_default();
        let detail = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("detail")?.as_str().map(str::to_owned))
            .unwrap_or_else(|| body.chars().take(200).collect());
        bail!("GET {url}: {status}: {}", detail.trim());
    }
    let total = response.content_length();
    Ok(reader_lines(BufReader::new(response), total, url.clone()))
}

/// The error and its causes on one line (reqwest's top-level message alone says little).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    one_line(&msg)
}

fn open_db(url: &str, fund: &str, log_key: &str, origin: &str) -> anyhow::Result<Lines> {
    let fund = fund_id(fund)?;
    let log_key = NoteVerifier::from_vkey(log_key)
        .map_err(|e| anyhow!("--log-key is not a signed-note verifier key: {e}"))?;
    if origin.is_empty() || origin.chars().any(char::is_control) {
        bail!("--origin must be non-empty, without control characters");
    }
    let postgres = url.starts_with("postgres:") || url.starts_with("postgresql:");
    if !postgres && !url.starts_with("sqlite:") {
        bail!("--db must be sqlite://PATH or postgres://…");
    }
    // Never create or change anything: SQLite is opened read-only.
    let url = if !postgres && !url.contains("mode=") {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}mode=ro")
    } else {
        url.to_owned()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the I/O runtime")?;
    let (conn, header, checkpoint) = rt
        .block_on(async {
            sqlx::any::install_default_drivers();
            let options = AnyConnectOptions::from_str(&url)?.disable_statement_logging();
            let mut conn = options.connect().await?;
            // One snapshot for the whole read: an append made meanwhile is not half seen.
            let begin = if postgres {
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
            } else {
                "BEGIN"
            };
            conn.execute(begin).await?;
            let fund_row = sqlx::query("SELECT operator_key FROM funds WHERE id = $1")
                .bind(fund.as_str())
                .fetch_optional(&mut conn)
                .await?;
            let checkpoint = sqlx::query(
                "SELECT note FROM checkpoints WHERE fund = $1 ORDER BY tree_size DESC LIMIT 1",
            )
            .bind(fund.as_str())
            .fetch_optional(&mut conn)
            .await?
            .map(|r| r.try_get::<String, _>(0))
            .transpose()?;
            Ok::<_, sqlx::Error>((conn, fund_row, checkpoint))
        })
        .map_err(|e| anyhow!("database: {}", one_line(&e.to_string())))
        .and_then(|(conn, fund_row, cp)| {
            let row = fund_row.ok_or_else(|| anyhow!("no fund `{fund}` in the database"))?;
            let operator: String = row
                .try_get(0)
                .map_err(|e| anyhow!("database: {}", one_line(&e.to_string())))?;
            let operator = PublicKey::from_hex(&operator).map_err(|e| {
                anyhow!("the database's operator key of `{fund}` is not a public key: {e}")
            })?;
            let header = Header::new(fund.clone(), format!("{origin}/{fund}"), &log_key, operator);
            Ok((conn, header, cp))
        })?;
    let bytes_read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let lines = DbLines {
        rt,
        conn: Some(conn),
        fund: fund.to_string(),
        next_seq: 0,
        page: VecDeque::new(),
        header: Some(header.to_line()),
        checkpoint: checkpoint.map(|note| CheckpointLine { checkpoint: note }.to_line()),
        bytes_read: bytes_read.clone(),
    };
    Ok(Lines {
        iter: Box::new(lines),
        total_bytes: None,
        bytes_read,
        label: format!("fund `{fund}` in the database"),
        unterminated: Default::default(),
    })
}

/// An error message on one line.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The export of a fund as the store holds it: a header built from the fund row and the
/// auditor's log key and origin, every entry's stored bytes in seq order (a page at a
/// time), and the latest stored checkpoint.
struct DbLines {
    rt: tokio::runtime::Runtime,
    /// In a read transaction; None once the entries are exhausted.
    conn: Option<AnyConnection>,
    fund: String,
    next_seq: i64,
    page: VecDeque<Vec<u8>>,
    header: Option<Vec<u8>>,
    checkpoint: Option<Vec<u8>>,
    bytes_read: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl DbLines {
    fn fetch_page(&mut self) -> io::Result<()> {
        let Some(conn) = self.conn.as_mut() else {
            return Ok(());
        };
        let rows = self
            .rt
            .block_on(
                sqlx::query(
                    "SELECT seq, bytes FROM entries WHERE fund = $1 AND seq >= $2 \
                     ORDER BY seq LIMIT $3",
                )
                .bind(self.fund.as_str())
                .bind(self.next_seq)
                .bind(DB_PAGE_ROWS)
                .fetch_all(&mut *conn),
            )
            .map_err(|e| io::Error::other(format!("database: {}", one_line(&e.to_string()))))?;
        if rows.is_empty() {
            if let Some(conn) = self.conn.take() {
                // Ends the read transaction; an error here changes nothing read.
                let _ = self.rt.block_on(conn.close());
            }
            return Ok(());
        }
        for row in rows {
            let seq: i64 = row
                .try_get(0)
                .map_err(|e| io::Error::other(format!("database: {e}")))?;
            let bytes: Vec<u8> = row
                .try_get(1)
                .map_err(|e| io::Error::other(format!("database: {e}")))?;
            self.next_seq = seq.saturating_add(1);
            self.bytes_read
                .fetch_add(bytes.len() as u64 + 1, std::sync::atomic::Ordering::Relaxed);
            self.page.push_back(bytes);
        }
        Ok(())
    }
}

impl Iterator for DbLines {
    type Item = io::Result<Vec<u8>>;

    fn next(&mut self) -> Option<io::Result<Vec<u8>>> {
        if let Some(h) = self.header.take() {
            return Some(Ok(h));
        }
        if self.page.is_empty() && self.conn.is_some() {
            if let Err(e) = self.fetch_page() {
                self.conn = None;
                self.checkpoint = None;
                return Some(Err(e));
            }
        }
        match self.page.pop_front() {
            Some(line) => Some(Ok(line)),
            None => self.checkpoint.take().map(Ok),
        }
    }
}
