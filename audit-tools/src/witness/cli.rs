//! The `ledger-witness` command line: `keygen`, `add-log`, `list-logs`, `remove-log`,
//! `serve`, `evidence`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ledger_core::note::NoteVerifier;

use super::{check_pattern, keyfile, store, OriginPattern, Witness};

/// A C2SP tlog-witness v1.0.0 witness for community-ledger deployments.
#[derive(Parser, Debug)]
#[command(name = "ledger-witness", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Debug)]
struct Data {
    /// The witness's data directory (key, name, witness.db).
    #[arg(long, env = "LEDGER_WITNESS_DATA", default_value = "witness-data")]
    data: PathBuf,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Creates the witness key (owner-only file) and prints the witness vkey.
    Keygen {
        /// The witness name, e.g. `witness.example/hexing-residents-committee`.
        #[arg(long)]
        name: String,
        /// Use this Ed25519 seed (64 hex digits) instead of a random key: for test
        /// vectors and fixed demo keys only.
        #[arg(long, value_name = "HEX")]
        seed_hex: Option<String>,
        #[command(flatten)]
        data: Data,
    },
    /// Trusts a log key for an origin (repeatable) or for every `<prefix>/<fund id>`.
    AddLog {
        /// A checkpoint origin to witness (repeatable).
        #[arg(long, required_unless_present = "origin_prefix")]
        origin: Vec<String>,
        /// Witness every origin `<prefix>/<fund id>` (a deployment's funds, present and future).
        #[arg(long, conflicts_with = "origin")]
        origin_prefix: Option<String>,
        /// The log's signed-note vkey (type 0x01; repeatable for key rotation).
        #[arg(long, required = true)]
        vkey: Vec<String>,
        #[command(flatten)]
        data: Data,
    },
    /// Lists the configured logs and their keys.
    ListLogs {
        #[command(flatten)]
        data: Data,
    },
    /// Forgets a log (its stored checkpoints are kept). A running `serve` keeps
    /// witnessing it until restarted.
    RemoveLog {
        /// The origin, as given to add-log.
        #[arg(long, required_unless_present = "origin_prefix")]
        origin: Option<String>,
        /// The origin prefix, as given to add-log.
        #[arg(long, conflicts_with = "origin")]
        origin_prefix: Option<String>,
        #[command(flatten)]
        data: Data,
    },
    /// Serves add-checkpoint; prints `listening on http://ADDR as VKEY` once listening.
    Serve {
        /// Address to listen on (`127.0.0.1:0` picks a free port).
        #[arg(long, default_value = "127.0.0.1:7380")]
        listen: String,
        #[command(flatten)]
        data: Data,
    },
    /// Prints the evidence of split views recorded.
    Evidence {
        /// Print the JSON list served at GET /evidence.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: Data,
    },
}

/// Runs `ledger-witness` with `args` (the program name first).
pub fn main_with(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ledger-witness: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ledger-witness: {e:#}");
            ExitCode::from(1)
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Keygen {
            name,
            seed_hex,
            data,
        } => {
            let seed = match seed_hex {
                Some(hex_seed) => {
                    let mut seed = [0u8; 32];
                    hex::decode_to_slice(hex_seed.trim(), &mut seed)
                        .map_err(|_| anyhow::anyhow!("--seed-hex must be 64 hex digits"))?;
                    Some(seed)
                }
                None => None,
            };
            let key = keyfile::keygen(&data.data, &name, seed)?;
            println!("{}", key.verifier().to_vkey());
            Ok(())
        }
        Command::AddLog {
            origin,
            origin_prefix,
            vkey,
            data,
        } => {
            let keys = vkey
                .iter()
                .map(|v| {
                    NoteVerifier::from_vkey(v).map_err(|e| {
                        anyhow::anyhow!("--vkey {v:?} is not a log vkey (type 0x01): {e}")
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let patterns: Vec<OriginPattern> = match origin_prefix {
                Some(p) => vec![OriginPattern::Prefix(p)],
                None => origin.into_iter().map(OriginPattern::Origin).collect(),
            };
            for p in &patterns {
                check_pattern(p)?;
            }
            let pool = open_existing(&data.data).await?;
            for p in &patterns {
                store::add_log(&pool, p, &keys).await?;
                println!("witnessing {p} with {} key(s)", keys.len());
            }
            Ok(())
        }
        Command::ListLogs { data } => {
            let pool = open_existing(&data.data).await?;
            for log in store::logs(&pool).await? {
                for key in &log.keys {
                    println!("{}\t{}", log.pattern, key.to_vkey());
                }
            }
            Ok(())
        }
        Command::RemoveLog {
            origin,
            origin_prefix,
            data,
        } => {
            let pattern = match (origin, origin_prefix) {
                (_, Some(p)) => OriginPattern::Prefix(p),
                (Some(o), None) => OriginPattern::Origin(o),
                (None, None) => anyhow::bail!("give --origin or --origin-prefix"),
            };
            let pool = open_existing(&data.data).await?;
            if store::remove_log(&pool, &pattern).await? == 0 {
                anyhow::bail!("{pattern} is not configured");
            }
            println!("no longer witnessing {pattern}");
            Ok(())
        }
        Command::Serve { listen, data } => {
            let witness = Witness::open(&data.data).await?;
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
            let addr = listener.local_addr()?;
            println!(
                "ledger-witness listening on http://{addr} as {}",
                witness.vkey()
            );
            super::serve(listener, witness).await
        }
        Command::Evidence { json, data } => {
            let pool = open_existing(&data.data).await?;
            let list = store::evidence(&pool).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if list.is_empty() {
                println!("no evidence of a split view recorded");
            } else {
                for e in &list {
                    println!(
                        "#{} {} at {} ({}): {}; it conflicts with the cosigned checkpoint of size {}",
                        e.id, e.origin, e.received_at, e.reason, e.detail, e.stored_size
                    );
                    println!("request:\n{}", e.request);
                    if let Some(note) = &e.stored_note {
                        println!("cosigned before:\n{note}");
                    }
                }
            }
            Ok(())
        }
    }
}

/// The store of an existing data directory (made by keygen).
async fn open_existing(data_dir: &Path) -> anyhow::Result<sqlx::SqlitePool> {
    if !keyfile::key_path(data_dir).exists() && !data_dir.join(store::DB_FILE).exists() {
        anyhow::bail!(
            "{} holds no witness (run `ledger-witness keygen --name … --data {}` first)",
            data_dir.display(),
            data_dir.display()
        );
    }
    store::open_pool(data_dir).await
}
