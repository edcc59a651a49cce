//! `ledger import`: historical records from CSV, one entry per row.
//!
//! Every row is parsed with ledger-core's types first; then, with the fund's export
//! replayed ([`super::replay`]), each new row is signed and applied to the fund's state
//! as the server would apply it, so a dry run lists every row that would be refused, and
//! why, before anything is written. A real run checks the same and writes nothing unless
//! every row passes. Each row's idempotency key is derived from its content, so a re-run
//! skips what is already recorded.

use std::collections::HashMap;
use std::path::PathBuf;

use clap::Args;
use ed25519_dalek::SigningKey;
use ledger_core::body::{
    Body, Disbursement, Donation, DonorClass, Kind, Party, Rental, RevenueShare,
};
use ledger_core::error::Coded;
use ledger_core::ids::{FundId, IdempotencyKey};
use ledger_core::money::{Amount, Base};
use ledger_core::text::{LongText, ShortText};
use ledger_core::time::{Date, Instant, Period};
use serde_json::json;

use super::http::Api;
use super::intents::{self, Identity, Signed};
use super::progress::{Progress, Unit};
use super::replay::{fetch_export, replay, Replayed};
use super::{now, Fail};

/// Most rows one import reads.
pub const IMPORT_ROWS_MAX: usize = 100_000;

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

/// The columns of each kind, in order (the header row must be exactly these).
pub fn columns(kind: Kind) -> Option<&'static [&'static str]> {
    Some(match kind {
        Kind::Donation => &[
            "date",
            "amount",
            "donor_class",
            "donor_name",
            "donor_phone",
            "channel",
            "receipt_no",
            "memo",
        ],
        Kind::Disbursement => &[
            "date",
            "amount",
            "payee_name",
            "payee_class",
            "purpose",
            "project",
            "invoice_no",
        ],
        Kind::Rental => &[
            "space_id",
            "renter_name",
            "renter_class",
            "start",
            "end",
            "amount",
        ],
        Kind::RevenueShare => &["agreement_id", "from", "to", "base", "amount"],
        _ => return None,
    })
}

/// Rows refused, by line number, with the reason.
type Refusals = Vec<(u64, String)>;

/// One row, parsed.
struct Planned {
    line: u64,
    body: Body,
    identity: Option<Identity>,
    key: IdempotencyKey,
}

fn field<T: std::str::FromStr>(name: &str, s: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    s.trim()
        .parse()
        .map_err(|e| format!("{name} {:?}: {e}", s.trim()))
}

/// The body of one row of `kind` (fields in [`columns`] order).
fn row_body(kind: Kind, f: &[&str]) -> Result<(Body, Option<Identity>), String> {
    let party_class = |s: &str| {
        intents::parse_enum(
            s.trim(),
            "class",
            "enterprise, organisation, resident, other",
        )
    };
    Ok(match kind {
        Kind::Donation => {
            let date: Date = field("date", f[0])?;
            let class: DonorClass = intents::parse_enum(
                f[2].trim(),
                "donor_class",
                "resident, enterprise, organisation, anonymous",
            )?;
            let (donor, identity) = intents::donor(class, Some(f[3]), Some(f[4]), false)?;
            let memo = match f[7].trim() {
                "" => format!("原始日期 recorded on {date}"),
                m => format!("原始日期 recorded on {date}; {m}"),
            };
            (
                Body::Donation(Donation {
                    amount: field::<Amount>("amount", f[1])?,
                    donor,
                    channel: intents::parse_enum(
                        f[5].trim(),
                        "channel",
                        "cash, bank_transfer, wechat_pay, alipay, other",
                    )?,
                    receipt_no: field::<ShortText>("receipt_no", f[6])?,
                    purpose: None,
                    restriction: None,
                    memo: Some(LongText::parse(&memo).map_err(|e| format!("memo: {e}"))?),
                    corrects: None,
                }),
                identity,
            )
        }
        Kind::Disbursement => {
            let date: Date = field("date", f[0])?;
            let purpose = format!("{} [{date}]", f[4].trim());
            (
                Body::Disbursement(Disbursement {
                    amount: field::<Amount>("amount", f[1])?,
                    payee: Party {
                        name: field("payee_name", f[2])?,
                        class: party_class(f[3])?,
                    },
                    purpose: ShortText::parse(&purpose).map_err(|e| format!("purpose: {e}"))?,
                    project: field("project", f[5])?,
                    invoice_no: field("invoice_no", f[6])?,
                    corrects: None,
                    restriction: None,
                }),
                None,
            )
        }
        Kind::Rental => (
            Body::Rental(Rental {
                space_id: field("space_id", f[0])?,
                renter: Party {
                    name: field("renter_name", f[1])?,
                    class: party_class(f[2])?,
                },
                start: field::<Instant>("start", f[3])?,
                end: field::<Instant>("end", f[4])?,
                amount: field::<Amount>("amount", f[5])?,
                corrects: None,
            }),
            None,
        ),
        Kind::RevenueShare => {
            let from: Date = field("from", f[1])?;
            let to: Date = field("to", f[2])?;
            (
                Body::RevenueShare(RevenueShare {
                    agreement_id: field("agreement_id", f[0])?,
                    period: Period::new(from, to).map_err(|e| format!("period: {e}"))?,
                    base: field::<Base>("base", f[3])?,
                    amount: field::<Amount>("amount", f[4])?,
                    corrects: None,
                }),
                None,
            )
        }
        _ => return Err(format!("cannot import {}", kind.as_str())),
    })
}

/// The row's idempotency key: `imp-` + 16 hex digits of SHA-256 over the fund, the kind
/// and the row's fields — a resident's name and phone left out, so that the key, which is
/// public, reveals nothing about them.
fn row_key(fund: &FundId, kind: Kind, fields: &[&str]) -> IdempotencyKey {
    let mut fields: Vec<&str> = fields.iter().map(|f| f.trim()).collect();
    if kind == Kind::Donation && fields[2] == "resident" {
        fields[3] = "";
        fields[4] = "";
    }
    let mut pre = format!(
        "community-ledger/client/import/v1\n{fund}\n{}\n",
        kind.as_str()
    )
    .into_bytes();
    pre.extend_from_slice(fields.join("\u{1f}").as_bytes());
    intents::key_from_digest("imp-", &pre)
}

/// Reads and parses the CSV: the rows that parse, and the problems of those that do not.
fn read_rows(args: &ImportArgs, kind: Kind) -> Result<(Vec<Planned>, Refusals), Fail> {
    let cols = columns(kind).ok_or_else(|| {
        Fail::Unusable(format!(
            "cannot import {}: one of donation, disbursement, rental, revenue_share",
            kind.as_str()
        ))
    })?;
    let file = std::fs::File::open(&args.file)
        .map_err(|e| Fail::Unusable(format!("cannot read {}: {e}", args.file.display())))?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(file);
    let header = rdr
        .headers()
        .map_err(|e| Fail::Unusable(format!("{}: {e}", args.file.display())))?
        .clone();
    let got: Vec<&str> = header.iter().map(str::trim).collect();
    let got: Vec<&str> = got
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}'))
        .collect();
    if got != cols {
        return Err(Fail::Unusable(format!(
            "{}: the header row must be `{}` for {} (found `{}`)",
            args.file.display(),
            cols.join(","),
            kind.as_str(),
            got.join(",")
        )));
    }
    let mut planned = Vec::new();
    let mut bad = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (i, rec) in rdr.records().enumerate() {
        if i >= IMPORT_ROWS_MAX {
            return Err(Fail::Unusable(format!(
                "{}: more than {IMPORT_ROWS_MAX} rows; split the file",
                args.file.display()
            )));
        }
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(i as u64 + 2, |p| p.line());
                bad.push((line, format!("unreadable CSV: {e}")));
                continue;
            }
        };
        let line = rec.position().map_or(i as u64 + 2, |p| p.line());
        let fields: Vec<&str> = rec.iter().collect();
        if fields.len() != cols.len() {
            bad.push((
                line,
                format!(
                    "{} fields; expected {} ({})",
                    fields.len(),
                    cols.len(),
                    cols.join(",")
                ),
            ));
            continue;
        }
        match row_body(kind, &fields) {
            Ok((body, identity)) => {
                let key = row_key(&args.fund, kind, &fields);
                if let Some(first) = seen.get(key.as_str()) {
                    bad.push((
                        line,
                        format!("same content as row {first}: it would be recorded once"),
                    ));
                    continue;
                }
                seen.insert(key.as_str().to_owned(), line);
                planned.push(Planned {
                    line,
                    body,
                    identity,
                    key,
                })
            }
            Err(why) => bad.push((line, why)),
        }
    }
    Ok((planned, bad))
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
