//! Progress of bulk work (import, export) on stderr, never on stdout where the data and
//! the results go: a bar when stderr is a terminal, otherwise a plain line at most every
//! [`PROGRESS_LINE_INTERVAL`] and one at the end (for logs and scripts).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Least time between two plain progress lines (stderr not a terminal).
pub const PROGRESS_LINE_INTERVAL: Duration = Duration::from_secs(2);

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Rows of an import.
    Rows,
    /// Bytes of a download.
    Bytes,
}

/// One task's progress.
pub struct Progress {
    what: &'static str,
    unit: Unit,
    total: Option<u64>,
    done: u64,
    bar: Option<ProgressBar>,
    lines: bool,
    last_line: Instant,
    started: Instant,
}

impl Progress {
    /// Progress of `what` (e.g. `import`) towards `total` units, shown unless `quiet`.
    pub fn new(what: &'static str, unit: Unit, total: Option<u64>, quiet: bool) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        let bar = (!quiet && terminal).then(|| {
            let template = match (unit, total) {
                (Unit::Rows, Some(_)) => "{msg} {bar:40} {pos}/{len} rows {per_sec} eta {eta}",
                (Unit::Rows, None) => "{msg} {spinner} {pos} rows {per_sec}",
                (Unit::Bytes, Some(_)) => "{msg} {bar:40} {bytes}/{total_bytes} {bytes_per_sec}",
                (Unit::Bytes, None) => "{msg} {spinner} {bytes} {bytes_per_sec}",
            };
            let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr())
                .with_style(
                    ProgressStyle::with_template(template)
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
            bar.set_message(what);
            bar
        });
        let now = Instant::now();
        Progress {
            what,
            unit,
            total,
            done: 0,
            bar,
            lines: !quiet && !terminal,
            last_line: now,
            started: now,
        }
    }

    fn amount(&self) -> String {
        let n = match self.unit {
            Unit::Rows => format!("{} rows", self.done),
            Unit::Bytes => format!("{} bytes", self.done),
        };
        match self.total {
            Some(t) if t > 0 => {
                format!("{n} of {t} ({}%)", self.done.saturating_mul(100) / t.max(1))
            }
            _ => n,
        }
    }

    fn line(&self, end: bool, waits: u64) {
        let waited = if waits > 0 {
            format!(
                ", {waits} retr{} after the server's limits",
                if waits == 1 { "y" } else { "ies" }
            )
        } else {
            String::new()
        };
        eprintln!(
            "{}: {}{} {} {:.1} s{waited}",
            self.what,
            if end { "done, " } else { "" },
            self.amount(),
            if end { "in" } else { "after" },
            self.started.elapsed().as_secs_f64()
        );
    }

    /// Sets the units done so far; `waits`: retries after the server's limits so far.
    pub fn set(&mut self, done: u64, waits: u64) {
        self.done = done;
        if let Some(bar) = &self.bar {
            bar.set_position(done);
        }
        if self.lines && self.last_line.elapsed() >= PROGRESS_LINE_INTERVAL {
            self.last_line = Instant::now();
            self.line(false, waits);
        }
    }

    /// Adds `n` units done.
    pub fn add(&mut self, n: u64, waits: u64) {
        self.set(self.done.saturating_add(n), waits);
    }

    /// Ends the task: clears the bar, or prints the last line.
    pub fn finish(&mut self, waits: u64) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        if self.lines {
            self.lines = false;
            self.line(true, waits);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// A writer that moves a [`Progress`] by the bytes written through it.
pub struct Counting<'a, W: std::io::Write + ?Sized> {
    inner: &'a mut W,
    progress: &'a mut Progress,
    waits: u64,
}

impl<'a, W: std::io::Write + ?Sized> Counting<'a, W> {
    /// Counts what goes to `inner` in `progress`.
    pub fn new(inner: &'a mut W, progress: &'a mut Progress, waits: u64) -> Self {
        Counting {
            inner,
            progress,
            waits,
        }
    }
}

impl<W: std::io::Write + ?Sized> std::io::Write for Counting<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.progress.add(n as u64, self.waits);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
