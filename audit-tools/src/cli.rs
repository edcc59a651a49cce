//! The command line of `ledger-verify` and its exit status.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, bail};
use clap::Parser;
use ledger_core::keys::PublicKey;
use ledger_core::verify::Expectations;

use crate::check::{run, Options};
use crate::source::{one_line, Source};

/// Exit status: the log verified clean.
pub const EXIT_CLEAN: u8 = 0;
/// Exit status: the log has findings.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit status: the input could not be verified at all (also for usage errors).
pub const EXIT_UNUSABLE: u8 = 2;

/// Verifies a community-ledger fund's log from its first byte: canonical form, hash chain,
/// every signature and quorum, every rule and statement, the Merkle root against the signed
/// checkpoint. Exit status: 0 clean, 1 findings, 2 unusable input.
#[derive(Debug, Clone, Parser)]
#[command(name = "ledger-verify", version)]
pub struct Args {
    /// The export file (NDJSON, FORMAT.md §8), or `-` for standard input.
    #[arg(value_name = "EXPORT", required_unless_present_any = ["url", "db"], conflicts_with_all = ["url", "db"])]
    pub export: Option<PathBuf>,

    /// Fetch the export from a running server: GET {URL}/api/v1/funds/{fund}/export.
    #[arg(
        long,
        value_name = "http://HOST:PORT",
        conflicts_with = "db",
        requires = "fund"
    )]
    pub url: Option<String>,

    /// Read the store directly (sqlite://PATH or postgres://…), in one read-only snapshot.
    #[arg(long, value_name = "URL", requires_all = ["fund", "log_key", "origin"])]
    pub db: Option<String>,

    /// The fund to verify (with --url or --db).
    #[arg(long, value_name = "ID")]
    pub fund: Option<String>,

    /// The deployment's log key (C2SP verifier key, as `GET /api/v1/log` prints it). With
    /// --db it signs the checkpoints read from the store; otherwise the export's header
    /// must name it.
    #[arg(long, value_name = "VKEY")]
    pub log_key: Option<String>,

    /// With --db: the deployment origin (as given to `ledger-server --origin`); the fund's
    /// checkpoints must name `<origin>/<fund>`.
    #[arg(long, value_name = "ORIGIN", requires = "db")]
    pub origin: Option<String>,

    /// The operator key you trust (64 hex digits); the export must name it.
    #[arg(long, value_name = "HEX")]
    pub operator_key: Option<String>,

    /// A checkpoint saved earlier (signed note, as `GET /api/v1/funds/{fund}/checkpoint`
    /// serves it): prove that the log only grew since.
    #[arg(long, value_name = "CHECKPOINT_FILE")]
    pub since: Option<PathBuf>,

    /// A witness policy (C2SP tlog-policy file, FORMAT.md §13): the export's checkpoint
    /// must be signed by one of its logs, for this origin, and cosigned by a quorum of
    /// its witnesses. Not with --db (the store's checkpoints carry no cosignatures).
    #[arg(long, value_name = "POLICY_FILE")]
    pub policy: Option<PathBuf>,

    /// Threads for parsing and signature checks (default: all cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,

    /// Print one JSON object (findings and summary) instead of the readable report.
    #[arg(long)]
    pub json: bool,

    /// Never draw the progress bar (it is drawn on stderr only when stderr is a terminal).
    #[arg(long)]
    pub no_progress: bool,
}

impl Args {
    /// The options of the run these arguments ask for.
    pub fn options(&self) -> anyhow::Result<Options> {
        if self.fund.is_some() && self.url.is_none() && self.db.is_none() {
            bail!("--fund goes with --url or --db (an export file names its fund)");
        }
        let fund = || self.fund.clone().unwrap_or_default();
        let source = match (&self.export, &self.url, &self.db) {
            (_, Some(url), _) => Source::Url {
                base: url.clone(),
                fund: fund(),
            },
            (_, _, Some(db)) => Source::Db {
                url: db.clone(),
                fund: fund(),
                log_key: self.log_key.clone().unwrap_or_default(),
                origin: self.origin.clone().unwrap_or_default(),
            },
            (Some(p), _, _) if p.as_os_str() == "-" => Source::Stdin,
            (Some(p), _, _) => Source::File(p.clone()),
            (None, None, None) => bail!("nothing to verify: give an export file, --url or --db"),
        };
        let operator_key = self
            .operator_key
            .as_deref()
            .map(|k| {
                PublicKey::from_hex(k)
                    .map_err(|e| anyhow!("--operator-key is not a public key: {e}"))
            })
            .transpose()?;
        if let Some(k) = &self.log_key {
            ledger_core::note::NoteVerifier::from_vkey(k)
                .map_err(|e| anyhow!("--log-key is not a signed-note verifier key: {e}"))?;
        }
        if self.policy.is_some() && self.db.is_some() {
            bail!(
                "--policy checks the witnesses' cosignatures on an export's checkpoint, and \
                 --db reads the store's log-signed checkpoint, which carries none: verify \
                 an export file or --url with --policy"
            );
        }
        let policy = self
            .policy
            .as_deref()
            .map(crate::witnessed::load_policy)
            .transpose()?;
        let threads = match self.threads {
            Some(n) => usize::from(n),
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        Ok(Options {
            source,
            since: self.since.clone(),
            expect: Expectations {
                log_key: self.log_key.clone(),
                operator_key,
            },
            threads,
            progress: !self.no_progress,
            policy,
        })
    }
}

/// Runs `ledger-verify` and returns its exit status: prints the report on stdout, or one
/// line on stderr when the input is unusable.
pub fn main(args: Args) -> ExitCode {
    // A panic (a bug) must still end as "unusable input" with one line, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!(
            "ledger-verify: internal error: {}",
            one_line(&info.to_string())
        );
    }));
    let outcome = std::panic::catch_unwind(|| args.options().and_then(|o| run(&o)));
    let outcome = match outcome {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => {
            eprintln!("ledger-verify: {}", one_line(&format!("{e:#}")));
            return ExitCode::from(EXIT_UNUSABLE);
        }
        Err(_) => return ExitCode::from(EXIT_UNUSABLE),
    };
    let mut out = std::io::stdout().lock();
    let written = if args.json {
        outcome.write_json(&mut out)
    } else {
        outcome.write_text(&mut out)
    }
    .and_then(|()| out.flush());
    if let Err(e) = written {
        eprintln!("ledger-verify: cannot write the report: {e}");
        return ExitCode::from(EXIT_UNUSABLE);
    }
    ExitCode::from(if outcome.clean {
        EXIT_CLEAN
    } else {
        EXIT_FINDINGS
    })
}
