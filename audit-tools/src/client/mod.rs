//! `ledger`, the trustee's client: keys, signed intents for every kind, proposals and
//! co-signing, CSV import, exports (NDJSON, CSV, hledger journal) and offline receipt
//! checks. It talks to a `ledger-server` over plain HTTP; everything it signs is built
//! from `ledger_core`'s typed bodies and canonicalised by `ledger_core`.
//!
//! Exit codes: 0 done, 1 refused (by the server or a rule) or invalid (a receipt),
//! 2 unusable input (bad flags, unreadable files, unreachable server).

pub mod export;
pub mod fund;
pub mod http;
pub mod import;
pub mod intents;
pub mod keys;
pub mod progress;
pub mod receipt;
pub mod replay;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use ed25519_dalek::SigningKey;
use ledger_core::body::{Body, Kind};
use ledger_core::entry::Intent;
use ledger_core::ids::FundId;
use ledger_core::time::Instant;
use serde_json::{json, Value};

use http::Api;
use intents::KindCmd;

/// Why a command did not succeed.
#[derive(Debug)]
pub enum Fail {
    /// Refused by the server or a rule, or found invalid (exit 1).
    Refused(String),
    /// Bad input: flags, files, an unreachable server (exit 2).
    Unusable(String),
}

impl Fail {
    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            Fail::Refused(_) => 1,
            Fail::Unusable(_) => 2,
        }
    }

    /// The one-line message.
    pub fn message(&self) -> &str {
        match self {
            Fail::Refused(m) | Fail::Unusable(m) => m,
        }
    }
}

/// The current time to the second (the intents' `signed_at`).
pub fn now() -> Instant {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    Instant::from_unix_seconds(secs)
        .unwrap_or_else(|_| unreachable!("the clock is between 2000 and 2999"))
}

/// The trustee's client of community-ledger.
#[derive(Parser, Debug)]
#[command(
    name = "ledger",
    version,
    about = "The trustees' client of community-ledger: record, co-sign, import and export a fund's entries (the auditors' verifier is the separate `ledger-verify`)",
    long_about = None
)]
pub struct Cli {
    /// The server (plain http://).
    #[arg(
        long,
        env = "LEDGER_URL",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    pub url: String,
    /// Bearer token (clt_…): a trustee token of the fund to write (the operator token for
    /// `fund create`).
    #[arg(long, env = "LEDGER_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
    /// A file holding the bearer token.
    #[arg(long, global = true, conflicts_with = "token")]
    pub token_file: Option<PathBuf>,
    /// The trustee's key file (64 hex digits of the Ed25519 seed, owner-only); for
    /// `fund create`, the server's operator key (`<data dir>/operator.key`).
    #[arg(long, env = "LEDGER_KEY", global = true)]
    pub key: Option<PathBuf>,
    /// Never show the progress of imports and downloads (shown on stderr only).
    #[arg(long, global = true)]
    pub no_progress: bool,
    #[command(subcommand)]
    #[allow(missing_docs)]
    pub cmd: Cmd,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Creates a new key file (mode 0600; never overwrites) and prints its public key.
    Keygen {
        /// Where to write it.
        #[arg(long)]
        out: PathBuf,
    },
    /// Signs an intent and appends it to the fund.
    Submit {
        #[command(subcommand)]
        #[allow(missing_docs)]
        kind: KindCmd,
    },
    /// Signs an intent and proposes it for co-signing by other trustees.
    Propose {
        #[command(subcommand)]
        #[allow(missing_docs)]
        kind: KindCmd,
    },
    /// Shows an open proposal and co-signs it.
    Sign {
        /// The fund.
        #[arg(long)]
        fund: FundId,
        /// The proposal's id.
        id: String,
    },
    /// Lists the fund's open proposals.
    Proposals {
        /// The fund.
        #[arg(long)]
        fund: FundId,
        /// All proposals, not just the open ones.
        #[arg(long)]
        all: bool,
    },
    /// The operator's commands on funds.
    Fund {
        #[command(subcommand)]
        #[allow(missing_docs)]
        cmd: FundCmd,
    },
    /// Imports historical records from a CSV file.
    Import(import::ImportArgs),
    /// Exports a fund: NDJSON (as the server gives it), CSV, or an hledger journal.
    Export {
        /// The fund.
        #[arg(long)]
        fund: FundId,
        /// ndjson, csv or journal.
        #[arg(long, value_enum, default_value = "ndjson")]
        format: Format,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Convert an export saved earlier (NDJSON) instead of downloading it; it is
        /// replayed with every signature and rule checked, as a download is.
        #[arg(long)]
        input: Option<PathBuf>,
    },
    /// Receipts (捐赠回执).
    Receipt {
        #[command(subcommand)]
        #[allow(missing_docs)]
        cmd: ReceiptCmd,
    },
}

/// Export formats.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The server's export (FORMAT.md §8), byte for byte.
    Ndjson,
    /// seq,recorded_at,kind,delta,balance,description.
    Csv,
    /// A plain-text-accounting journal (hledger/ledger).
    Journal,
}

/// `fund` subcommands (the operator's).
#[derive(Subcommand, Debug)]
pub enum FundCmd {
    /// Creates a fund: its genesis from flags or a TOML file (--from), checked with the
    /// ledger's rules, shown, confirmed (--yes skips), signed with the operator key
    /// (--key) and sent with the operator token (--token).
    Create(fund::CreateArgs),
}

/// `receipt` subcommands.
#[derive(Subcommand, Debug)]
pub enum ReceiptCmd {
    /// Checks a receipt offline (nothing is asked of any server).
    Verify {
        /// The receipt (JSON).
        file: PathBuf,
        /// The deployment's log key you trust (published at /.well-known/community-ledger).
        #[arg(long)]
        log_key: Option<String>,
        /// The deployment's witness policy (C2SP tlog-policy file, FORMAT.md §13): the
        /// receipt's checkpoint must meet its quorum.
        #[arg(long, value_name = "POLICY_FILE")]
        policy: Option<PathBuf>,
    },
}

/// Runs the client with these arguments (the binary's `main`).
pub fn main_with(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("ledger: {}", f.message());
            ExitCode::from(f.exit_code())
        }
    }
}

fn say(line: impl AsRef<str>) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", line.as_ref());
}

struct Ctx {
    url: String,
    token: Option<String>,
    key: Option<PathBuf>,
    progress: bool,
}

impl Ctx {
    fn api(&self) -> Result<Api, Fail> {
        Ok(Api::new(&self.url, self.token.clone())?.with_progress(self.progress))
    }

    fn writer(&self) -> Result<Api, Fail> {
        if self.token.is_none() {
            return Err(Fail::Unusable(
                "this needs a trustee token: --token, --token-file or LEDGER_TOKEN".into(),
            ));
        }
        self.api()
    }

    fn key(&self) -> Result<SigningKey, Fail> {
        let path = self.key.as_ref().ok_or_else(|| {
            Fail::Unusable("this needs the trustee's key file: --key FILE or LEDGER_KEY".into())
        })?;
        keys::load(path)
    }

    fn keys_with(&self, cosign: &[PathBuf]) -> Result<Vec<SigningKey>, Fail> {
        let mut all = vec![self.key()?];
        for p in cosign {
            all.push(keys::load(p)?);
        }
        Ok(all)
    }
}

/// Runs one parsed command.
pub fn run(cli: Cli) -> Result<(), Fail> {
    let token = match (&cli.token, &cli.token_file) {
        (Some(t), _) => Some(t.trim().to_owned()),
        (None, Some(p)) => Some(
            std::fs::read_to_string(p)
                .map_err(|e| Fail::Unusable(format!("cannot read {}: {e}", p.display())))?
                .trim()
                .to_owned(),
        ),
        (None, None) => None,
    };
    let ctx = Ctx {
        url: cli.url.clone(),
        token,
        key: cli.key.clone(),
        progress: !cli.no_progress,
    };
    match cli.cmd {
        Cmd::Keygen { out } => {
            let key = keys::keygen(&out)?;
            say(keys::public(&key).to_hex());
            Ok(())
        }
        Cmd::Submit { kind } => submit(&ctx, &kind, false),
        Cmd::Propose { kind } => submit(&ctx, &kind, true),
        Cmd::Sign { fund, id } => sign(&ctx, &fund, &id),
        Cmd::Proposals { fund, all } => proposals(&ctx, &fund, all),
        Cmd::Fund {
            cmd: FundCmd::Create(args),
        } => {
            let key = ctx.key.as_ref().ok_or_else(|| {
                Fail::Unusable(
                    "fund create needs the operator key file: --key <data dir>/operator.key".into(),
                )
            })?;
            let key = keys::load(key)?;
            fund::create(&ctx.api()?, &key, &args, &mut |l| say(l))
        }
        Cmd::Import(args) => {
            let api = ctx.writer()?;
            // Even a dry run signs the rows: they are checked as the server checks them.
            let keys = ctx.keys_with(&args.cosign_keys)?;
            let ok = import::run(&api, &keys, &args, &mut |l| say(l))?;
            if ok {
                Ok(())
            } else {
                Err(Fail::Refused(
                    "some rows were refused (listed above)".into(),
                ))
            }
        }
        Cmd::Export {
            fund,
            format,
            out,
            input,
        } => export_cmd(&ctx, &fund, format, out, input),
        Cmd::Receipt {
            cmd:
                ReceiptCmd::Verify {
                    file,
                    log_key,
                    policy,
                },
        } => {
            for line in receipt::verify_file(&file, log_key.as_deref(), policy.as_deref())? {
                say(line);
            }
            Ok(())
        }
    }
}

/// Builds, signs and sends one intent (`propose`: as a proposal).
fn submit(ctx: &Ctx, cmd: &KindCmd, propose: bool) -> Result<(), Fail> {
    let common = cmd.common();
    let fund = &common.fund;
    let keys = ctx.keys_with(&common.cosign_keys)?;
    let api = ctx.writer()?;
    let (body, identity) = match cmd {
        KindCmd::Statement(a) => {
            let period = a.period.trim();
            let draft = api
                .get(&format!(
                    "/api/v1/funds/{fund}/statements/draft?period={period}"
                ))?
                .expect_ok(&format!("drafting the statement of {period}"))?;
            let mut body =
                Body::from_value(Kind::Statement, draft["body"].clone()).map_err(|e| {
                    Fail::Unusable(format!("the server's draft is not a statement body: {e}"))
                })?;
            if let Body::Statement(s) = &mut body {
                s.supersedes = a.supersedes;
            }
            say(format!(
                "statement of {period} as the log gives it (needs {} signature(s)):",
                draft["required_signatures"]
            ));
            say(serde_json::to_string_pretty(&draft["body"]).unwrap_or_default());
            (body, None)
        }
        other => intents::body_of(other).map_err(Fail::Unusable)?,
    };
    let derived = common.idempotency_key.is_none();
    let key = common
        .idempotency_key
        .clone()
        .unwrap_or_else(|| intents::derived_key("cli-", fund, &body));
    let intent = Intent {
        fund: fund.clone(),
        body,
        key,
        signed_at: common.signed_at.unwrap_or_else(now),
    };
    let signed = intents::sign(&intent, &keys);
    let mut req = json!({"intent": signed.intent, "sigs": signed.sigs});
    if let Some(id) = &identity {
        req["donor_identity"] = id.to_json();
    }
    let what = intents::kind_label(intent.kind());
    let path = if propose {
        format!("/api/v1/funds/{fund}/proposals")
    } else {
        format!("/api/v1/funds/{fund}/entries")
    };
    // An append is retried on the server's limits (idempotent by its key); a proposal is not.
    let reply = if propose {
        api.post(&path, &req)?
    } else {
        api.append(&path, &req)?
    };
    let v = reply.json();
    match reply.status {
        201 if propose => {
            say(format!(
                "proposal {} met its quorum at once: appended",
                v["proposal"]["id"].as_str().unwrap_or("-")
            ));
            print_entry(&v["entry"], what, &intent);
            Ok(())
        }
        202 => {
            let p = &v["proposal"];
            say(format!(
                "proposal {} ({what}, key {}): waiting for co-signatures; signed by {}; expires {}",
                p["id"].as_str().unwrap_or("-"),
                intent.key,
                signer_names(&p["signed_by"]),
                p["expires_at"].as_str().unwrap_or("-")
            ));
            say(format!(
                "another trustee signs it with: ledger sign --fund {fund} {}",
                p["id"].as_str().unwrap_or("-")
            ));
            Ok(())
        }
        200 | 201 => {
            if reply.status == 200 && reply.retries == 0 {
                say("already recorded (the same intent was sent before):");
            }
            print_entry(&v, what, &intent);
            if reply.retries > 0 {
                say(format!(
                    "(the server was busy: the same intent was sent {} more time(s), and \
                     recorded once)",
                    reply.retries
                ));
            }
            Ok(())
        }
        409 if derived && reply.code().as_deref() == Some("idempotency_conflict") => {
            // The key is derived from the content: the same content is already recorded
            // (signed at another moment, or with another salt).
            let detail = v["detail"].as_str().unwrap_or("");
            let seq = detail
                .rsplit_once("(entry ")
                .and_then(|(_, rest)| rest.split(')').next())
                .unwrap_or("?");
            say(format!(
                "already recorded as entry {seq}: an entry with the same content (key {}) is in \
                 the log; nothing new was recorded (to record the same again on purpose, give \
                 another --idempotency-key)",
                intent.key
            ));
            Ok(())
        }
        _ => Err(Fail::Refused(reply.problem())),
    }
}

fn print_entry(v: &Value, what: &str, intent: &Intent) {
    say(format!(
        "recorded {what} as entry {} in {}: hash {}, key {}, balance {}",
        v["seq"],
        intent.fund,
        v["hash"].as_str().unwrap_or("-"),
        intent.key,
        v["balance"].as_str().unwrap_or("-")
    ));
}

fn signer_names(v: &Value) -> String {
    let names: Vec<String> = v
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| match s["name"].as_str() {
                    Some(n) => n.to_owned(),
                    None => s["key"].as_str().unwrap_or("?").chars().take(12).collect(),
                })
                .collect()
        })
        .unwrap_or_default();
    if names.is_empty() {
        "nobody".into()
    } else {
        names.join(", ")
    }
}

/// `sign`: fetch, show, co-sign.
fn sign(ctx: &Ctx, fund: &FundId, id: &str) -> Result<(), Fail> {
    let key = ctx.key()?;
    let api = ctx.writer()?;
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(Fail::Unusable(format!("{id:?} is not a proposal id")));
    }
    let p = api
        .get(&format!("/api/v1/funds/{fund}/proposals/{id}"))?
        .expect_ok(&format!("fetching proposal {id}"))?;
    let text = p["intent"]
        .as_str()
        .ok_or_else(|| Fail::Unusable("the proposal carries no intent".into()))?;
    // What is signed is exactly these bytes, which must be a canonical intent for this fund.
    let intent = Intent::from_canonical_bytes(text.as_bytes())
        .map_err(|e| Fail::Refused(format!("the proposal's intent does not parse: {e}")))?;
    if intent.fund != *fund {
        return Err(Fail::Refused(format!(
            "the proposal's intent is for fund {}, not {fund}",
            intent.fund
        )));
    }
    say(format!(
        "proposal {id}: {} in {}, key {}, signed at {}; status {}; signed by {}",
        intents::kind_label(intent.kind()),
        intent.fund,
        intent.key,
        intent.signed_at,
        p["status"].as_str().unwrap_or("-"),
        signer_names(&p["signed_by"])
    ));
    say("you are signing this body:");
    say(
        serde_json::to_string_pretty(&intent.body.to_value().unwrap_or(Value::Null))
            .unwrap_or_default(),
    );
    if p["status"].as_str() != Some("open") {
        return Err(Fail::Refused(format!(
            "proposal {id} is {}, not open",
            p["status"].as_str().unwrap_or("?")
        )));
    }
    let sig = intent.sign(&key);
    let reply = api.post(
        &format!("/api/v1/funds/{fund}/proposals/{id}/signatures"),
        &json!({ "sig": sig }),
    )?;
    let v = reply.json();
    match reply.status {
        201 => {
            say(format!("signed by {}: quorum met", keys::public(&key)));
            print_entry(&v["entry"], intents::kind_label(intent.kind()), &intent);
            Ok(())
        }
        200 | 202 => {
            say(format!(
                "signed by {}: still waiting for co-signatures; signed by {}",
                keys::public(&key),
                signer_names(&v["proposal"]["signed_by"])
            ));
            Ok(())
        }
        _ => Err(Fail::Refused(reply.problem())),
    }
}

/// `proposals`: the fund's open (or all) proposals.
fn proposals(ctx: &Ctx, fund: &FundId, all: bool) -> Result<(), Fail> {
    let api = ctx.writer()?;
    let q = if all { "" } else { "?status=open" };
    let v = api
        .get(&format!("/api/v1/funds/{fund}/proposals{q}"))?
        .expect_ok("listing proposals")?;
    let list = v["proposals"].as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        say(if all {
            "no proposals"
        } else {
            "no open proposals"
        });
    }
    for p in &list {
        let kind = p["kind"].as_str().unwrap_or("-");
        let amount = p["body"]["amount"]
            .as_str()
            .map(|a| format!(" {a} CNY"))
            .unwrap_or_default();
        say(format!(
            "{}  {}  {kind}{amount}  key {}  signed by {}  expires {}",
            p["id"].as_str().unwrap_or("-"),
            p["status"].as_str().unwrap_or("-"),
            p["key"].as_str().unwrap_or("-"),
            signer_names(&p["signed_by"]),
            p["expires_at"].as_str().unwrap_or("-")
        ));
    }
    Ok(())
}

fn export_cmd(
    ctx: &Ctx,
    fund: &FundId,
    format: Format,
    out: Option<PathBuf>,
    input: Option<PathBuf>,
) -> Result<(), Fail> {
    let saved = match &input {
        Some(p) => Some(
            std::fs::read(p)
                .map_err(|e| Fail::Unusable(format!("cannot read {}: {e}", p.display())))?,
        ),
        None => None,
    };
    let write_err = |e: std::io::Error| Fail::Unusable(format!("cannot write the export: {e}"));
    let mut sink: Box<dyn Write> = match &out {
        Some(p) => Box::new(std::io::BufWriter::new(std::fs::File::create(p).map_err(
            |e| Fail::Unusable(format!("cannot create {}: {e}", p.display())),
        )?)),
        None => Box::new(std::io::stdout().lock()),
    };
    match format {
        Format::Ndjson => match &saved {
            Some(bytes) => sink.write_all(bytes).map_err(write_err)?,
            None => {
                let api = ctx.api()?;
                api.download(&format!("/api/v1/funds/{fund}/export"), &mut sink)?;
            }
        },
        Format::Csv | Format::Journal => {
            let export = match saved {
                Some(bytes) => bytes,
                None => replay::fetch_export(&ctx.api()?, fund.as_str())?,
            };
            let r = replay::replay(&export)?;
            if r.header.fund != *fund {
                return Err(Fail::Refused(format!(
                    "the export is of fund {}, not {fund}",
                    r.header.fund
                )));
            }
            let bytes = if format == Format::Csv {
                export::to_csv(&r).map_err(|e| Fail::Unusable(format!("CSV: {e}")))?
            } else {
                export::to_journal(&r).into_bytes()
            };
            sink.write_all(&bytes).map_err(write_err)?;
        }
    }
    sink.flush().map_err(write_err)?;
    Ok(())
}
