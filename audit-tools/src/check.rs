//! One verification run: open the source, stream its lines through ledger-core's parallel
//! verifier (which does every check, `--since` and `--policy` included), and gather the
//! outcome. Only I/O, the progress bar and the exit decision are here.

use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Instant;

use anyhow::bail;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ledger_core::parallel::{verify_lines_parallel_to_end, CHUNK_LINES};
use ledger_core::verify::{Expectations, Inputs};
use ledger_core::witness_policy::WitnessPolicy;

use crate::report::Outcome;
use crate::source::{one_line, Lines, Source};
use crate::witnessed::WitnessSummary;

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
    let since = opts.since.as_deref().map(crate::since::load).transpose()?;
    let started = Instant::now();
    let Lines {
        iter,
        total_bytes,
        bytes_read,
        label,
        unterminated,
    } = opts.source.open()?;

    let bar = (opts.progress && io::stderr().is_terminal()).then(|| progress_bar(total_bytes));
    let mut tap = Tap {
        inner: iter,
        error: None,
        bar: bar.clone(),
        bytes_read,
        lines: 0,
    };
    let inputs = Inputs {
        expect: opts.expect.clone(),
        since,
        policy: opts.policy.clone(),
    };
    let report = verify_lines_parallel_to_end(&mut tap, inputs, opts.threads, CHUNK_LINES, || {
        !unterminated.load(Ordering::Relaxed)
    });
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    if let Some(e) = tap.error.take() {
        bail!(
            "{label}: read error after {} lines: {}",
            tap.lines,
            one_line(&e.to_string())
        );
    }
    // Not an export at all: one line on stderr, naming the code (exit 2).
    if let Some(f) = report.unusable() {
        bail!("{label}: {}: {}", f.code, one_line(&f.en));
    }
    let elapsed = started.elapsed();
    let mut outcome = Outcome::new(&report, label, elapsed, opts.threads);
    outcome.summary.witnesses = opts.policy.as_ref().map(|_| {
        report
            .witnesses
            .as_ref()
            .map_or_else(WitnessSummary::none, WitnessSummary::from_check)
    });
    Ok(outcome)
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

/// Lines between progress updates (a power of two).
const PROGRESS_EVERY_LINES: u64 = 256;

/// The lines on their way to the verifier: counts them, moves the progress bar, and keeps
/// the first read error aside (the verifier must not take a cut-off input for a short
/// export). Every check is the verifier's.
struct Tap {
    inner: Box<dyn Iterator<Item = io::Result<Vec<u8>>>>,
    error: Option<io::Error>,
    bar: Option<ProgressBar>,
    bytes_read: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Lines read, blank ones included.
    lines: u64,
}

impl Iterator for Tap {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        // Fused: once the input ended or failed, it stays ended (the verifier asks again
        // after a `None`).
        if self.error.is_some() {
            return None;
        }
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
        Some(line)
    }
}
