//! Verification of an export on several threads, in bounded memory.
//!
//! [`verify_lines_parallel`] cuts the export's entry lines into chunks. The stateless half
//! of verification, [`prepare_lines`] (parse, canonical check, batched Ed25519), runs on
//! the chunks on up to `threads` threads at once, while the calling thread feeds the
//! prepared chunks, strictly in order, to one [`Verifier`] (chain, Merkle tree, rules).
//! At most `threads + 2` chunks are in flight (read, being prepared, or prepared and
//! waiting to be applied; just one when `threads == 1`), so memory stays bounded whatever
//! the size of the export.
//!
//! The calling thread is one of the `threads`: with `threads == 1` nothing is spawned and
//! the export is verified on the caller's thread alone (with batched signatures); with
//! `threads == n` it spawns `n - 1` workers and, whenever the next chunk in order is not
//! ready yet, prepares a waiting chunk itself rather than sit idle.
//!
//! Lines are handled exactly as [`Verifier::push_line`] handles them: the first line is
//! the header, a line starting with `{"checkpoint":` is the checkpoint (which
//! [`prepare_lines`] turns into a [`Prepared::Other`] holding the raw line, as
//! [`Verifier::push`] expects), and lines after the checkpoint are reported as trailing
//! data. Only the threads of the standard library are used; no I/O.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use crate::verify::{ends_in_newline, prepare_lines, Inputs, Prepared, Report, Verifier};

#[cfg(doc)]
use crate::verify::verify_export;

/// A good default for the `chunk` argument: lines per chunk. Ed25519 batches get cheaper
/// per signature up to a few thousand signatures, and locking is then negligible; a chunk
/// of this size holds some 10 MB once prepared.
pub const CHUNK_LINES: usize = 4096;

/// Verifies an export given as lines (without their `\n`), preparing chunks of `chunk`
/// lines on `threads` threads (the caller's included) and applying them in order.
///
/// Empty lines are skipped, as [`verify_export`] skips them, so for the lines of an export
/// the report is the one [`verify_export`] gives, whatever `threads` and `chunk` (0 counts
/// as 1): batches and single checks apply the same rule (ZIP-215, see
/// [`crate::keys::PublicKey::verify`]), so no signature passes in a batch that fails alone.
///
/// Reading is the caller's business: to verify from a reader, pass its lines and keep the
/// first read error aside, e.g.
/// `reader.split(b'\n').map_while(|l| l.map_err(|e| err = Some(e)).ok())`, then check it
/// after the call (a read error must not pass for a short export).
pub fn verify_lines_parallel<I, L>(
    lines: I,
    inputs: impl Into<Inputs>,
    threads: usize,
    chunk: usize,
) -> Report
where
    I: IntoIterator<Item = L>,
    L: AsRef<[u8]> + Send,
{
    verify_lines_parallel_to_end(lines, inputs, threads, chunk, || true)
}

/// [`verify_lines_parallel`], for an input that may end without a final `\n`:
/// `terminated` is asked once the lines are exhausted whether the last one ended in `\n`
/// (see [`Verifier::finish_input`]).
pub fn verify_lines_parallel_to_end<I, L>(
    lines: I,
    inputs: impl Into<Inputs>,
    threads: usize,
    chunk: usize,
    terminated: impl FnOnce() -> bool,
) -> Report
where
    I: IntoIterator<Item = L>,
    L: AsRef<[u8]> + Send,
{
    let threads = threads.max(1);
    let chunk = chunk.max(1);
    let mut lines = lines.into_iter().filter(|l| !l.as_ref().is_empty());
    let mut verifier = Verifier::new(inputs);
    // The header is read by the verifier itself, from the raw line, never as an entry.
    match lines.next() {
        Some(header) => verifier.push_line(header.as_ref()),
        None => return verifier.finish_input(terminated()),
    }
    let shared = Shared {
        state: Mutex::new(State {
            jobs: VecDeque::new(),
            done: BTreeMap::new(),
            closed: false,
            failed: false,
        }),
        work: Condvar::new(),
        ready: Condvar::new(),
    };
    std::thread::scope(|scope| {
        for _ in 1..threads {
            scope.spawn(|| worker(&shared));
        }
        // Closes the queue however the loop ends (even by a panic), so workers stop.
        let _close = CloseOnDrop(&shared);
        let mut source = Chunks {
            lines: &mut lines,
            size: chunk,
        };
        // Alone, read one chunk at a time; with workers, keep each of them busy while
        // chunks wait to be applied.
        let ahead = if threads == 1 { 1 } else { threads + 2 };
        apply_in_order(&shared, &mut source, &mut verifier, ahead);
    });
    verifier.finish_input(terminated())
}

/// Verifies a whole export held in memory, like [`verify_export`] but on `threads`
/// threads with signatures checked in batches (see [`verify_lines_parallel`]).
pub fn verify_export_parallel(
    export: &[u8],
    inputs: impl Into<Inputs>,
    threads: usize,
    chunk: usize,
) -> Report {
    verify_lines_parallel_to_end(
        export.split(|b| *b == b'\n'),
        inputs,
        threads,
        chunk,
        || ends_in_newline(export),
    )
}

/// The input, cut into chunks.
struct Chunks<'a, I> {
    lines: &'a mut I,
    size: usize,
}

impl<I: Iterator> Chunks<'_, I> {
    fn next_chunk(&mut self) -> Option<Vec<I::Item>> {
        let chunk: Vec<I::Item> = self.lines.by_ref().take(self.size).collect();
        (!chunk.is_empty()).then_some(chunk)
    }
}

/// Chunk number and its lines.
type Job<L> = (u64, Vec<L>);

struct State<L> {
    /// Chunks read but not yet taken by a thread, lowest number first.
    jobs: VecDeque<Job<L>>,
    /// Prepared chunks not yet applied, by number.
    done: BTreeMap<u64, Vec<Prepared>>,
    /// No more jobs will come: workers stop once `jobs` is empty.
    closed: bool,
    /// A worker panicked: its chunk will never be done.
    failed: bool,
}

struct Shared<L> {
    state: Mutex<State<L>>,
    /// Signalled when a job is queued or the queue is closed.
    work: Condvar,
    /// Signalled when a chunk is done or a worker failed.
    ready: Condvar,
}

impl<L> Shared<L> {
    fn lock(&self) -> MutexGuard<'_, State<L>> {
        // No code panics while holding the lock, so poisoning cannot leave it inconsistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

struct CloseOnDrop<'a, L>(&'a Shared<L>);

impl<L> Drop for CloseOnDrop<'_, L> {
    fn drop(&mut self) {
        self.0.lock().closed = true;
        self.0.work.notify_all();
    }
}

/// Marks the pool failed if a worker unwinds, so the applying thread stops waiting.
struct FailOnPanic<'a, L>(&'a Shared<L>);

impl<L> Drop for FailOnPanic<'_, L> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.lock().failed = true;
            self.0.ready.notify_all();
        }
    }
}

fn worker<L: AsRef<[u8]>>(shared: &Shared<L>) {
    let _guard = FailOnPanic(shared);
    loop {
        let (n, lines) = {
            let mut st = shared.lock();
            loop {
                if let Some(job) = st.jobs.pop_front() {
                    break job;
                }
                if st.closed {
                    return;
                }
                st = shared.work.wait(st).unwrap_or_else(PoisonError::into_inner);
            }
        };
        let prepared = prepare_lines(&lines);
        drop(lines);
        shared.lock().done.insert(n, prepared);
        shared.ready.notify_one();
    }
}

/// The applying thread: keeps up to `ahead` chunks in flight, applies them in order, and
/// prepares waiting chunks itself while the next one is not ready.
fn apply_in_order<I>(
    shared: &Shared<I::Item>,
    source: &mut Chunks<'_, I>,
    verifier: &mut Verifier,
    ahead: usize,
) where
    I: Iterator,
    I::Item: AsRef<[u8]>,
{
    let ahead = ahead as u64;
    let mut next = 0u64;
    let mut issued = 0u64;
    let mut input_done = false;
    loop {
        while !input_done && issued - next < ahead {
            match source.next_chunk() {
                Some(lines) => {
                    shared.lock().jobs.push_back((issued, lines));
                    shared.work.notify_one();
                    issued += 1;
                }
                None => input_done = true,
            }
        }
        if next == issued {
            return;
        }
        let Some(prepared) = take_prepared(shared, next) else {
            return;
        };
        for p in prepared {
            verifier.push(p);
        }
        next += 1;
    }
}

/// Waits for chunk `n` to be prepared, preparing queued chunks meanwhile. None if a
/// worker failed (the scope then re-raises its panic).
fn take_prepared<L: AsRef<[u8]>>(shared: &Shared<L>, n: u64) -> Option<Vec<Prepared>> {
    let mut st = shared.lock();
    loop {
        if let Some(p) = st.done.remove(&n) {
            return Some(p);
        }
        if st.failed {
            return None;
        }
        if let Some((m, lines)) = st.jobs.pop_front() {
            drop(st);
            let prepared = prepare_lines(&lines);
            drop(lines);
            if m == n {
                return Some(prepared);
            }
            st = shared.lock();
            st.done.insert(m, prepared);
            continue;
        }
        st = shared
            .ready
            .wait(st)
            .unwrap_or_else(PoisonError::into_inner);
    }
}
