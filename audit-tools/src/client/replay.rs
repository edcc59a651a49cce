//! A fund's export replayed with ledger-core's rules: each entry's effect on the balance
//! (for the CSV and journal exports), the idempotency keys already used (so an import
//! never sends a row twice) and the fund's state (so a dry run applies the rows to it).
//!
//! Every entry's signatures are verified and every rule applied, so nothing is derived
//! from a log that does not hold; the full audit (checkpoint, Merkle root, findings) is
//! `ledger-verify`'s job.

use std::collections::HashMap;

use ledger_core::body::{Body, Kind};
use ledger_core::error::Coded;
use ledger_core::export::Header;
use ledger_core::money::Money;
use ledger_core::replay::{replay as replay_line, OnRefusal, ReplayedEntry};
use ledger_core::state::FundState;
use ledger_core::time::Instant;
use ledger_core::verify::{is_checkpoint_line, prepare_line};

use super::http::Api;
use super::Fail;

/// One entry of the fund, with its effect.
#[derive(Debug, Clone)]
pub struct Row {
    /// Seq.
    pub seq: u64,
    /// When the server recorded it.
    pub recorded_at: Instant,
    /// Its body (and so its kind).
    pub body: Body,
    /// Change of the balance.
    pub delta: Money,
    /// Balance after it.
    pub balance: Money,
    /// For a reversal: the kind of the entry it reverses.
    pub reversed_kind: Option<Kind>,
    /// Change of restricted money (限定性净资产): restricted gifts and their reversals,
    /// less releases.
    pub restricted_delta: Money,
}

/// A replayed fund.
pub struct Replayed {
    /// The export's header.
    pub header: Header,
    /// Entries in seq order.
    pub rows: Vec<Row>,
    /// The state after the last entry.
    pub state: FundState,
    /// Idempotency keys used, with the seq that used each.
    pub keys: HashMap<String, u64>,
}

/// Downloads the export of `fund`.
pub fn fetch_export(api: &Api, fund: &str) -> Result<Vec<u8>, Fail> {
    let mut buf = Vec::new();
    api.download(&format!("/api/v1/funds/{fund}/export"), &mut buf)?;
    Ok(buf)
}

/// Replays an export (FORMAT.md §8) held in memory.
pub fn replay(export: &[u8]) -> Result<Replayed, Fail> {
    let bad = |why: String| Fail::Refused(format!("the fund's export does not hold: {why}"));
    let mut lines = export.split(|b| *b == b'\n').filter(|l| !l.is_empty());
    let header: Header = lines
        .next()
        .ok_or_else(|| bad("empty export".into()))
        .and_then(|l| serde_json::from_slice(l).map_err(|e| bad(format!("header: {e}"))))?;
    let mut state = FundState::new(header.fund.clone(), header.operator_key);
    let mut rows: Vec<Row> = Vec::new();
    let mut kinds: HashMap<u64, Kind> = HashMap::new();
    let mut keys = HashMap::new();
    for line in lines {
        if is_checkpoint_line(line) {
            break;
        }
        let ReplayedEntry { entry, applied, .. } =
            replay_line(&mut state, prepare_line(line), OnRefusal::Stop).map_err(|r| {
                let at = r.seq.map(|s| format!("entry {s}: ")).unwrap_or_default();
                bad(format!(
                    "{at}{}: {}",
                    r.refusal.code(),
                    r.refusal.message_en()
                ))
            })?;
        let seq = entry.seq;
        let kind = entry.intent.kind();
        if kind.is_monetary() {
            kinds.insert(seq, kind);
        }
        let reversed_kind = match &entry.intent.body {
            Body::Reversal(r) => kinds.get(&r.reverses).copied(),
            _ => None,
        };
        keys.insert(entry.intent.key.as_str().to_owned(), seq);
        rows.push(Row {
            seq,
            recorded_at: entry.recorded_at,
            body: entry.intent.body,
            delta: applied.delta,
            balance: applied.balance,
            reversed_kind,
            restricted_delta: applied
                .restricted
                .delta()
                .map_err(|e| bad(format!("entry {seq}: {}: {}", e.code(), e.message_en())))?,
        });
    }
    Ok(Replayed {
        header,
        rows,
        state,
        keys,
    })
}
