//! `--policy`: the witness policy a reader trusts (C2SP tlog-policy, FORMAT.md §13), for
//! `ledger-verify` and `ledger receipt verify`. The check is ledger-core's
//! ([`ledger_core::witness_check::check_checkpoint`], run by `ledger_core::verify` for an
//! export); this module reads the file and turns the outcome into the summary.

use std::io::Read;
use std::path::Path;

use anyhow::{anyhow, Context};
use ledger_core::time::Instant;
use ledger_core::witness_policy::{QuorumCheck, WitnessPolicy, POLICY_SIZE_MAX};
use serde::Serialize;

/// Reads and parses the policy file at `path`. A file that cannot be read, or that the
/// parser refuses, is a usage error whose message carries the parser's (line-numbered)
/// one.
pub fn load_policy(path: &Path) -> anyhow::Result<WitnessPolicy> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("--policy: cannot read {}", path.display()))?;
    // One byte more than the limit, so that the parser names the limit.
    let mut bytes = Vec::new();
    file.take(POLICY_SIZE_MAX as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("--policy: cannot read {}", path.display()))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow!("--policy {}: the file is not UTF-8", path.display()))?;
    WitnessPolicy::parse(&text).map_err(|e| anyhow!("--policy {}: {e}", path.display()))
}

/// One witness's valid cosignature, as printed.
#[derive(Debug, Clone, Serialize)]
pub struct JsonWitnessed {
    /// The witness's name in the policy.
    pub witness: String,
    /// When it cosigned, POSIX seconds.
    pub timestamp: u64,
    /// The same, as an RFC 3339 UTC instant.
    pub time: String,
}

/// The witness part of a summary.
#[derive(Debug, Clone, Serialize)]
pub struct WitnessSummary {
    /// Whether the checkpoint met the policy.
    pub quorum_met: bool,
    /// The policy witnesses whose cosignatures verified, in note order.
    pub witnessed: Vec<JsonWitnessed>,
}

impl WitnessSummary {
    /// Not met, nobody witnessed.
    pub fn none() -> Self {
        WitnessSummary {
            quorum_met: false,
            witnessed: Vec::new(),
        }
    }

    /// The summary of a quorum check.
    pub fn from_check(check: &QuorumCheck) -> Self {
        WitnessSummary {
            quorum_met: check.met,
            witnessed: check
                .witnessed
                .iter()
                .map(|w| JsonWitnessed {
                    witness: w.witness.clone(),
                    timestamp: w.timestamp,
                    time: time_text(w.timestamp),
                })
                .collect(),
        }
    }

    /// `A (2026-12-01T10:00:00Z), B (…)`, or that there is none.
    pub fn witnessed_text(&self) -> String {
        if self.witnessed.is_empty() {
            return "no witness of the policy".to_owned();
        }
        self.witnessed
            .iter()
            .map(|w| format!("{} ({})", w.witness, w.time))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A cosignature timestamp as an RFC 3339 UTC instant (the number itself when it is
/// beyond what [`Instant`] holds).
pub fn time_text(timestamp: u64) -> String {
    i64::try_from(timestamp)
        .ok()
        .and_then(|s| Instant::from_unix_seconds(s).ok())
        .map_or_else(|| format!("@{timestamp}"), |i| i.to_string())
}
