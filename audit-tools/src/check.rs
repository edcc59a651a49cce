//! One verification run: open the source, check that it is an export at all, stream its
//! lines through ledger-core's parallel verifier (and the `--since` tracker), and gather
//! the outcome.

use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Instant;

use anyhow::{anyhow, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ledger_core::canonical::parse_canonical;
use ledger_core::export::{Header, EXPORT_FORMAT};
use ledger_core::parallel::{verify_lines_parallel, CHUNK_LINES};
use ledger_core::verify::{is_checkpoint_line, Expectations, Finding};
use ledger_core::witness_policy::WitnessPolicy;

use crate::report::{Outcome, SinceSummary};
use crate::since::{SavedCheckpoint, SinceTracker};
use crate::source::{one_line, Lines, Source};
use crate::witnessed::{check_export, WitnessSummary};

/// What to verify and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where the export comes from.
    pub source: Source,
    /// A checkpoint saved earlier that the log must extend.
    pub since: Option<PathBuf>,
    /// Keys the auditor trusts, checked against the export header.
    pub expect: Expectations,
    /// Threads for parsing and signature checks (the caller's included); at least 1.
    pub threads: usize,
    /// Draw a progress bar on stderr (only done when stderr is a terminal).
    pub progress: bool,
    /// The witness policy the export's checkpoint must meet (FORMAT.md §13).
    pub policy: Option<WitnessPolicy>,
}

/// Verifies the source. `Err` means the input is unusable (not an export, unreadable,
/// unreachable); findings about the log itself are in the [`Outcome`].
pub fn run(opts: &Options) -> anyhow::Result<Outcome> {
    let saved = opts
        .since
        .as_deref()
        .map(SavedCheckpoint::load)
        .transpose()?;
    let started = Instant::now();
    let Lines {
        mut iter,
        total_bytes,
        bytes_read,
        label,
    } = opts.source.open()?;

    // The header decides whether this is an export at all.
    let header_line = loop {
        match iter.next() {
            None => bail!("{label}: empty: not a community-ledger export (no header line)"),
            Some(Err(e)) => bail!("{label}: read error: {}", one_line(&e.to_string())),
            Some(Ok(l)) if l.is_empty() => continue,
            Some(Ok(l)) => break l,
        }
    };
    let header = parse_header(&header_line).map_err(|e| anyhow!("{label}: {e}"))?;

    let mut extra = Vec::new();
    let tracker = match saved.as_ref().map(|s| s.against(&header)) {
        None => None,
        Some(Ok(t)) => Some(t),
        Some(Err(finding)) => {
            extra.push(finding);
            None
        }
    };

    let bar = (opts.progress && io::stderr().is_terminal()).then(|| progress_bar(total_bytes));
    let mut tap = Tap {
        inner: iter,
        error: None,
        after_checkpoint: false,
        entries: 0,
        statements: 0,
        tracker,
        bar: bar.clone(),
        bytes_read,
        lines: 0,
        stopped: None,
        checkpoint: None,
    };
    let report = verify_lines_parallel(
        std::iter::once(header_line).chain(&mut tap),
        opts.expect.clone(),
        opts.threads,
        CHUNK_LINES,
    );
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    if let Some(e) = tap.error.take() {
        bail!(
            "{label}: read error after {} lines: {}",
            tap.lines + 1,
            one_line(&e.to_string())
        );
    }
    let elapsed = started.elapsed();
    extra.extend(tap.stopped.take());

    let since = match (&saved, &tap.tracker) {
        (None, _) => None,
        (Some(s), None) => Some(SinceSummary {
            tree_size: s.claimed.tree_size,
            root: s.claimed.root.to_hex(),
            consistent: false,
        }),
        (Some(_), Some(t)) => {
            let finding = t.finish(tap.entries);
            let consistent = finding.is_none();
            extra.extend(finding);
            Some(SinceSummary {
                tree_size: t.saved().tree_size,
                root: t.saved().root.to_hex(),
                consistent,
            })
        }
    };
    // The witness check, on a checkpoint the log key signed (otherwise the verifier
    // already reported why there is none).
    let witnesses = match (
        &opts.policy,
        &report.header,
        &report.checkpoint,
        &tap.checkpoint,
    ) {
        (Some(policy), Some(header), Some(_), Some((line, cp))) => {
            let (summary, finding) = check_export(policy, header, cp, *line);
            extra.extend(finding);
            Some(summary)
        }
        (Some(_), ..) => Some(WitnessSummary::none()),
        (None, ..) => None,
    };
    let mut outcome = Outcome::new(
        &report,
        &extra,
        label,
        since,
        tap.statements,
        elapsed,
        opts.threads,
    );
    outcome.summary.witnesses = witnesses;
    Ok(outcome)
}

/// Reads the first line as an export header; an error says why the input is not one.
pub fn parse_header(line: &[u8]) -> anyhow::Result<Header> {
    let value = parse_canonical(line).map_err(|e| {
        anyhow!(
            "not a community-ledger export: the first line is not a canonical JSON header ({})",
            one_line(&e.to_string())
        )
    })?;
    match value.get("format").and_then(|f| f.as_str()) {
        Some(f) if f == EXPORT_FORMAT => {}
        Some(f) => bail!("unsupported export format `{f}`: this verifier reads {EXPORT_FORMAT}"),
        None => bail!("not a community-ledger export: the first line has no `format`"),
    }
    serde_json::from_value(value).map_err(|e| {
        anyhow!(
            "the export header is malformed: {}",
            one_line(&e.to_string())
        )
    })
}

fn progress_bar(total_bytes: Option<u64>) -> ProgressBar {
    let bar = match total_bytes {
        Some(total) => ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
            .with_style(
                ProgressStyle::with_template(
                    "{spinner} {bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            ),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
            ProgressStyle::with_template("{spinner} {bytes} read {bytes_per_sec} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    };
    bar.set_message("verifying");
    bar
}

/// Lines between the header and the checkpoint whose statements the summary counts: an
/// entry whose intent is a statement holds this member exactly once (canonical JSON
/// escapes every `"` inside strings, and no body has a `kind` member of this value).
const STATEMENT_MEMBER: &[u8] = b"\"kind\":\"statement\"";
/// Lines between progress updates (a power of two).
const PROGRESS_EVERY_LINES: u64 = 256;

/// The lines after the header on their way to the verifier: counts them, feeds the
/// `--since` tracker, moves the progress bar, and keeps the first read error aside (the
/// verifier must not take a cut-off input for a short export).
struct Tap {
    inner: Box<dyn Iterator<Item = io::Result<Vec<u8>>>>,
    error: Option<io::Error>,
    after_checkpoint: bool,
    entries: u64,
    statements: u64,
    tracker: Option<SinceTracker>,
    bar: Option<ProgressBar>,
    bytes_read: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Lines read after the header, blank ones included.
    lines: u64,
    /// Why the input was cut short on purpose (see [`SEQ_AHEAD_MAX`]).
    stopped: Option<Finding>,
    /// The first checkpoint line and its 1-based line number, for the witness check.
    checkpoint: Option<(u64, Vec<u8>)>,
}

impl Iterator for Tap {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        // Fused: once the input ended, was cut short or failed, it stays ended (the
        // verifier asks again after a `None`).
        if self.error.is_some() || self.stopped.is_some() {
            return None;
        }
        loop {
            let line = match self.inner.next()? {
                Ok(l) => l,
                Err(e) => {
                    self.error = Some(e);
                    return None;
                }
            };
            self.lines += 1;
            if let Some(bar) = &self.bar {
                if self.lines & (PROGRESS_EVERY_LINES - 1) == 0 {
                    bar.set_position(self.bytes_read.load(Ordering::Relaxed));
                }
            }
            // The verifier skips blank lines; so does the count.
            if line.is_empty() {
                continue;
            }
            if !self.after_checkpoint {
                let limit = self.entries.saturating_add(SEQ_AHEAD_MAX);
                if let Some(seq) = claimed_seqs(&line).into_iter().find(|s| *s > limit) {
                    self.stopped = Some(seq_out_of_range(self.entries + 2, seq));
                    return None;
                }
                if is_checkpoint_line(&line) {
                    self.after_checkpoint = true;
                    self.checkpoint = Some((self.lines + 1, line.clone()));
                } else {
                    self.entries += 1;
                    if let Some(t) = &mut self.tracker {
                        t.push(&line);
                    }
                    if memchr::memmem::find(&line, STATEMENT_MEMBER).is_some() {
                        self.statements += 1;
                    }
                }
            }
            return Some(line);
        }
    }
}

/// How far beyond the lines read so far an entry's `seq` may point. The verifier
/// resynchronises on the seq of a broken entry and keeps a slot per seq up to it (8 bytes
/// each), so a hostile line claiming seq 10^13 would exhaust memory; verification stops
/// there instead, with a `seq_out_of_range` finding. No real log comes near: it would mean
/// millions of entries missing before that line.
pub const SEQ_AHEAD_MAX: u64 = 1 << 22;

/// The stable code of the finding that stops verification (see [`SEQ_AHEAD_MAX`]).
pub const SEQ_OUT_OF_RANGE: &str = "seq_out_of_range";

fn seq_out_of_range(line: u64, seq: u64) -> Finding {
    Finding {
        line,
        seq: None,
        code: SEQ_OUT_OF_RANGE,
        en: format!(
            "the line claims seq {seq}, far beyond the {} entries before it; verification stops here",
            line - 2
        ),
        zh: format!("该行声称序号为 {seq}，远超其之前的 {} 条；校验在此停止", line - 2),
    }
}

/// Every value a JSON reader could take for a top-level `seq` member of `line`, read as
/// leniently as the verifier locates broken lines: each `"seq"` key followed by `:` and
/// digits (whitespace allowed), and, for a line with `\u` escapes (a key could be spelled
/// `"s\u0065q"`), the value a JSON parser gives.
fn claimed_seqs(line: &[u8]) -> Vec<u64> {
    const KEY: &[u8] = b"\"seq\"";
    let mut out = Vec::new();
    let ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    for i in memchr::memmem::find_iter(line, KEY) {
        let mut j = i + KEY.len();
        while line.get(j).is_some_and(ws) {
            j += 1;
        }
        if line.get(j) != Some(&b':') {
            continue;
        }
        j += 1;
        while line.get(j).is_some_and(ws) {
            j += 1;
        }
        let digits = line[j..].iter().take_while(|b| b.is_ascii_digit()).count();
        if let Some(n) = std::str::from_utf8(&line[j..j + digits])
            .ok()
            .and_then(|d| d.parse::<u64>().ok())
        {
            out.push(n);
        }
    }
    if memchr::memmem::find(line, b"\\u").is_some() {
        if let Some(n) = serde_json::from_slice::<serde_json::Value>(line)
            .ok()
            .and_then(|v| v.get("seq")?.as_u64())
        {
            out.push(n);
        }
    }
    out
}
