//! What `ledger-verify` prints: one line per finding and a summary, or one JSON object.

use std::io::{self, Write};
use std::time::Duration;

use ledger_core::checkpoint::Checkpoint;
use ledger_core::verify::{Finding, Report};
use serde::Serialize;

use crate::witnessed::WitnessSummary;

/// Everything a run found out, ready to print.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// True when there are no findings.
    pub clean: bool,
    /// Located findings, in line order (the `--since` ones last).
    pub findings: Vec<JsonFinding>,
    /// Findings beyond the verifier's limit, counted only.
    pub findings_dropped: u64,
    /// The summary.
    pub summary: Summary,
}

/// One finding as printed.
#[derive(Debug, Clone, Serialize)]
pub struct JsonFinding {
    /// Seq of the entry concerned, when known.
    pub seq: Option<u64>,
    /// 1-based line of the export; 0 for findings about the `--since` checkpoint.
    pub line: u64,
    /// Stable code (FORMAT.md).
    pub code: &'static str,
    /// English explanation.
    pub message: String,
    /// Chinese explanation.
    pub message_zh: String,
}

impl From<&Finding> for JsonFinding {
    fn from(f: &Finding) -> Self {
        JsonFinding {
            seq: f.seq,
            line: f.line,
            code: f.code,
            message: f.en.clone(),
            message_zh: f.zh.clone(),
        }
    }
}

/// A checkpoint as printed.
#[derive(Debug, Clone, Serialize)]
pub struct JsonCheckpoint {
    /// Checkpoint origin.
    pub origin: String,
    /// Entries it covers.
    pub tree_size: u64,
    /// Root hash (hex).
    pub root: String,
}

impl From<&Checkpoint> for JsonCheckpoint {
    fn from(c: &Checkpoint) -> Self {
        JsonCheckpoint {
            origin: c.origin.clone(),
            tree_size: c.tree_size,
            root: c.root.to_hex(),
        }
    }
}

/// The `--since` part of the summary.
#[derive(Debug, Clone, Serialize)]
pub struct SinceSummary {
    /// Entries the saved checkpoint covers, as it claims.
    pub tree_size: u64,
    /// Its root (hex), as it claims.
    pub root: String,
    /// True when its signature holds and the log's first `tree_size` entries have its
    /// root.
    pub consistent: bool,
}

/// The summary of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// What was read (file, URL, database).
    pub source: String,
    /// The fund (from the export header).
    pub fund: Option<String>,
    /// The checkpoint origin (from the export header).
    pub origin: Option<String>,
    /// Entry lines read.
    pub entries: u64,
    /// Size of the Merkle tree over the entry lines (= entries).
    pub tree_size: u64,
    /// Its root (hex).
    pub root: String,
    /// The export's checkpoint, when it verified under the log key.
    pub checkpoint: Option<JsonCheckpoint>,
    /// The `--since` checkpoint, when one was given.
    pub since: Option<SinceSummary>,
    /// With `--policy`: whether the checkpoint met the witness policy, and who cosigned
    /// it.
    pub witnesses: Option<WitnessSummary>,
    /// Entry lines that parse as statements (ledger-core's `Report::statements`): each
    /// one's figures recomputed from the log unless an earlier check refused it.
    pub statements_checked: u64,
    /// The fund's balance after the entries that applied.
    pub balance: String,
    /// Number of findings (including those dropped).
    pub findings: u64,
    /// Wall-clock time of the verification, in milliseconds.
    pub elapsed_ms: u64,
    /// Entries verified per second.
    pub entries_per_second: u64,
    /// Threads used.
    pub threads: usize,
}

impl Outcome {
    /// Assembles the outcome of a verification (findings in the core's order: by line,
    /// then the `--since` ones).
    pub fn new(report: &Report, source: String, elapsed: Duration, threads: usize) -> Outcome {
        let findings: Vec<JsonFinding> = report.findings.iter().map(JsonFinding::from).collect();
        let since = report.since.as_ref().map(|s| SinceSummary {
            tree_size: s.tree_size,
            root: s.root.to_hex(),
            consistent: s.consistent,
        });
        let count = findings.len() as u64 + report.findings_dropped;
        let micros = elapsed.as_micros().max(1);
        let rate = (u128::from(report.entries) * 1_000_000 / micros).min(u128::from(u64::MAX));
        Outcome {
            clean: count == 0,
            findings_dropped: report.findings_dropped,
            summary: Summary {
                source,
                fund: report.header.as_ref().map(|h| h.fund.to_string()),
                origin: report.header.as_ref().map(|h| h.origin.clone()),
                entries: report.entries,
                tree_size: report.entries,
                root: report.root.to_hex(),
                checkpoint: report.checkpoint.as_ref().map(JsonCheckpoint::from),
                since,
                witnesses: None,
                statements_checked: report.statements,
                balance: report.balance.clone(),
                findings: count,
                elapsed_ms: elapsed.as_millis().min(u128::from(u64::MAX)) as u64,
                entries_per_second: rate as u64,
                threads,
            },
            findings,
        }
    }

    /// Writes the readable report: one line per finding, then the summary.
    pub fn write_text(&self, out: &mut impl Write) -> io::Result<()> {
        for f in &self.findings {
            let place = match (f.seq, f.line) {
                (Some(seq), _) => format!("seq {seq}"),
                (None, 0) => "since".to_owned(),
                (None, line) => format!("line {line}"),
            };
            writeln!(out, "{place}: {}: {}", f.code, f.message)?;
        }
        if self.findings_dropped > 0 {
            writeln!(
                out,
                "... and {} more findings not listed",
                self.findings_dropped
            )?;
        }
        if !self.findings.is_empty() {
            writeln!(out)?;
        }
        let s = &self.summary;
        let unknown = || "(unknown)".to_owned();
        writeln!(out, "source:      {}", s.source)?;
        writeln!(
            out,
            "fund:        {} (origin {})",
            s.fund.clone().unwrap_or_else(unknown),
            s.origin.clone().unwrap_or_else(unknown)
        )?;
        writeln!(out, "entries:     {}", s.entries)?;
        writeln!(out, "tree size:   {}", s.tree_size)?;
        writeln!(out, "root:        {}", s.root)?;
        match &s.checkpoint {
            Some(c) => writeln!(
                out,
                "checkpoint:  size {}, root {} (signed by the log key)",
                c.tree_size, c.root
            )?,
            None => writeln!(out, "checkpoint:  none verified")?,
        }
        if let Some(since) = &s.since {
            writeln!(
                out,
                "since:       size {}, root {}: {}",
                since.tree_size,
                since.root,
                if since.consistent {
                    "the log only grew since"
                } else {
                    "NOT an extension of the log"
                }
            )?;
        }
        if let Some(w) = &s.witnesses {
            writeln!(
                out,
                "witnesses:   {}: witnessed by {}",
                if w.quorum_met {
                    "the policy's quorum is met"
                } else {
                    "the policy's quorum is NOT met"
                },
                w.witnessed_text()
            )?;
        }
        writeln!(out, "statements:  {} checked", s.statements_checked)?;
        writeln!(out, "balance:     {}", s.balance)?;
        writeln!(out, "findings:    {}", s.findings)?;
        writeln!(
            out,
            "elapsed:     {}.{:03} s, {} entries/s, {} thread{}",
            s.elapsed_ms / 1000,
            s.elapsed_ms % 1000,
            s.entries_per_second,
            s.threads,
            if s.threads == 1 { "" } else { "s" }
        )?;
        writeln!(
            out,
            "result:      {}",
            if self.clean {
                "CLEAN".to_owned()
            } else {
                format!(
                    "{} FINDING{}",
                    s.findings,
                    if s.findings == 1 { "" } else { "S" }
                )
            }
        )
    }

    /// Writes the outcome as one JSON object and a newline.
    pub fn write_json(&self, out: &mut impl Write) -> io::Result<()> {
        serde_json::to_writer(&mut *out, self).map_err(io::Error::other)?;
        writeln!(out)
    }
}
