//! `ledger import`: historical records from CSV, one entry per row.
//!
//! Every row is parsed with ledger-core's types first; then, with the fund's export
//! replayed ([`super::replay`]), each new row is signed and applied to the fund's state
//! as the server would apply it, so a dry run lists every row that would be refused, and
//! why, before anything is written. A real run checks the same and writes nothing unless
//! every row passes. Each row's idempotency key is derived from its content, so a re-run
//! skips what is already recorded.

use std::path::PathBuf;

use clap::Args;
use ed25519_dalek::SigningKey;
use ledger_core::body::Kind;
use ledger_core::error::Coded;
use ledger_core::ids::FundId;
use ledger_core::import::Row;
use serde_json::json;

use super::http::Api;
use super::intents::{self, Identity, Signed};
use super::progress::{Progress, Unit};
use super::replay::{fetch_export, replay, Replayed};
use super::{now, Fail};

pub use ledger_core::import::{columns, IMPORT_ROWS_MAX};

/// `ledger import`.
#[derive(Args, Debug, Clone)]
pub struct ImportArgs {
    /// The fund.
    #[arg(long)]
    pub fund: FundId,
    /// donation, disbursement, rental or revenue_share (column layouts: README "Importing CSV").
    #[arg(long)]
    pub kind: String,
    /// Check every row and list those that would be refused; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Another trustee's key file that signs too (repeat), for kinds with a quorum.
    #[arg(long = "cosign-key", value_name = "FILE")]
    pub cosign_keys: Vec<PathBuf>,
    /// The CSV file (UTF-8, with a header row).
    pub file: PathBuf,
}

/// Rows refused, by line number, with the reason.
type Refusals = Vec<(u64, String)>;

/// Reads and parses the CSV with ledger-core's import (the layouts the server's import
/// check reads too): the rows that parse, and the problems of those that do not.
fn read_rows(args: &ImportArgs, kind: Kind) -> Result<(Vec<Row>, Refusals), Fail> {
    let bytes = std::fs::read(&args.file)
        .map_err(|e| Fail::Unusable(format!("cannot read {}: {e}", args.file.display())))?;
    let rows = ledger_core::import::read_rows(
        &args.fund,
        kind,
        &bytes,
        IMPORT_ROWS_MAX,
        &mut intents::random_salt,
    )
    .map_err(|e| Fail::Unusable(format!("{}: {e}", args.file.display())))?;
    let bad = rows
        .refused
        .into_iter()
        .map(|r| (r.line, r.detail_en))
        .collect();
    Ok((rows.rows, bad))
}

/// A row ready to send: its intent, signed.
struct Ready {
    line: u64,
    signed: Signed,
    identity: Option<Identity>,
}

/// Runs the import; returns the lines to print and whether everything went through.
pub fn run(
    api: &Api,
    keys: &[SigningKey],
    args: &ImportArgs,
    out: &mut dyn FnMut(String),
) -> Result<bool, Fail> {
    let kind: Kind = intents::parse_enum(
        args.kind.trim(),
        "kind",
        "donation, disbursement, rental, revenue_share",
    )
    .map_err(Fail::Unusable)?;
    if keys.is_empty() {
        return Err(Fail::Unusable(
            "import needs --key (the trustee's key file) to sign the rows".into(),
        ));
    }
    let (planned, mut bad) = read_rows(args, kind)?;
    let total = planned.len() + bad.len();

    // The fund as it is: keys already used, and the state the rows apply to.
    let export = fetch_export(api, args.fund.as_str())?;
    let Replayed {
        mut state,
        keys: used,
        ..
    } = replay(&export)?;
    let mut already = Vec::new();
    let mut ready = Vec::new();
    for p in planned {
        if let Some(seq) = used.get(p.key.as_str()) {
            already.push((p.line, *seq));
            continue;
        }
        let signed_at = now();
        let intent = ledger_core::entry::Intent {
            fund: args.fund.clone(),
            body: p.body,
            key: p.key,
            signed_at,
        };
        let signed = intents::sign(&intent, keys);
        // Appended to the fund's state by the very step the server takes, at the time
        // it was signed (the server's clock will be a little later).
        match state.append(
            intent,
            signed.intent.as_bytes(),
            signed.sigs.clone(),
            signed_at,
        ) {
            Ok(_) => ready.push(Ready {
                line: p.line,
                signed,
                identity: p.identity,
            }),
            Err(e) => {
                let hint = if e.code() == "quorum_not_met" {
                    " (sign on one machine with --cosign-key, or submit it with propose/sign)"
                } else {
                    ""
                };
                bad.push((p.line, format!("{}: {}{hint}", e.code(), e.message_en())));
            }
        }
    }
    bad.sort_by_key(|(line, _)| *line);
    for (line, why) in &bad {
        out(format!("row {line}: refused: {why}"));
    }
    for (line, seq) in &already {
        out(format!("row {line}: already recorded as entry {seq}"));
    }
    let summary = format!(
        "{total} rows: {} to record, {} already recorded, {} refused",
        ready.len(),
        already.len(),
        bad.len()
    );
    if args.dry_run {
        out(format!("dry run (nothing written): {summary}"));
        return Ok(bad.is_empty());
    }
    if !bad.is_empty() {
        out(format!(
            "{summary}; nothing written: fix or remove the refused rows and run again"
        ));
        return Ok(false);
    }
    let (mut recorded, mut replayed, mut refused) = (0usize, already.len(), 0usize);
    let mut progress = Progress::new(
        "import",
        Unit::Rows,
        Some(ready.len() as u64),
        !api.shows_progress(),
    );
    for (sent, r) in ready.into_iter().enumerate() {
        let mut body = json!({"intent": r.signed.intent, "sigs": r.signed.sigs});
        if let Some(id) = &r.identity {
            body["donor_identity"] = id.to_json();
        }
        // Retried on 429/503 with the same bytes: the server records the row at most once.
        let reply = api.append(&format!("/api/v1/funds/{}/entries", args.fund), &body)?;
        let v = reply.json();
        match reply.status {
            // A replay after a retry is this run's own first try, which the server had
            // recorded before its answer was lost (keys recorded earlier were left out).
            201 | 200 if reply.status == 201 || reply.retries > 0 => {
                recorded += 1;
                out(format!(
                    "row {}: recorded as entry {} ({})",
                    r.line,
                    v["seq"],
                    v["hash"].as_str().unwrap_or("-")
                ));
            }
            200 => {
                replayed += 1;
                out(format!(
                    "row {}: already recorded as entry {}",
                    r.line, v["seq"]
                ));
            }
            409 if reply.code().as_deref() == Some("idempotency_conflict") => {
                replayed += 1;
                out(format!(
                    "row {}: already recorded (same content, signed earlier): {}",
                    r.line,
                    reply.problem()
                ));
            }
            _ => {
                refused += 1;
                out(format!("row {}: {}", r.line, reply.problem()));
            }
        }
        progress.set(sent as u64 + 1, api.waits());
    }
    progress.finish(api.waits());
    out(format!(
        "{total} rows: {recorded} recorded, {replayed} already recorded, {refused} refused"
    ));
    Ok(refused == 0)
}
