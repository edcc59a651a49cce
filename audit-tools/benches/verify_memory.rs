//! `ledger-verify` on a large export, beside the library it verifies signatures with:
//! `cargo bench -p audit-tools --bench verify_memory`.
//!
//! In one run: generates (or reuses, under `target/<profile>/bench-data/`) an export of
//! `BENCH_VERIFY_ENTRIES` entries (default 1,000,000; the `ledger_core::sample` fund the
//! core benchmark uses), then, `BENCH_VERIFY_RUNS` times (default 1), alternately:
//!
//! - the bare batched ed25519-zebra verification of exactly the export's signatures (the
//!   same library and batch verifier `ledger-verify` uses), on 1 thread and on 2;
//! - the real `ledger-verify` binary on the file with `--threads 1` and `--threads 2`: wall
//!   time, and peak resident memory (`VmHWM` of `/proc/<pid>/status`, read every 2 ms
//!   while it runs: the kernel keeps the high-water mark, so a read sees every peak
//!   before it; only memory touched in the last 2 ms before exit could be missed).
//!
//! It prints peak MiB (target < 64), entries/s and the ratio to the bare rate (targets:
//! ≥ 0.8× the 1-thread bare rate on one thread, ≥ 1.8× it on two). Every verification
//! must come out clean, or the benchmark fails.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ed25519_zebra::batch;
use ed25519_zebra::{Signature, VerificationKeyBytes};
use ledger_core::entry::{signing_message, Entry};
use ledger_core::export::CheckpointLine;
use ledger_core::sample::{build, SampleSpec};
use rand_core::OsRng;

/// Target for the peak resident memory of `ledger-verify`, MiB.
const PEAK_MIB_TARGET: f64 = 64.0;
/// Signatures per batch tried for the bare baseline (the best is kept).
const BATCH_SIZES: [usize; 2] = [1024, 4096];

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace(['_', ','], "").parse().ok())
        .unwrap_or(default)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "load average unknown".into(),
        |s| {
            let l: Vec<_> = s.split_whitespace().take(3).collect();
            format!("load average {}", l.join(" "))
        },
    )
}

/// `target/<profile>/bench-data`, beside this benchmark's own executable.
fn data_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    // target/<profile>/deps/verify_memory-… → target/<profile>
    let profile = exe
        .parent()
        .and_then(Path::parent)
        .expect("benchmark runs from target/<profile>/deps");
    profile.join("bench-data")
}

/// The export of the `n`-entry sample fund, written once and reused.
fn export_file(n: usize) -> PathBuf {
    let dir = data_dir();
    std::fs::create_dir_all(&dir).expect("bench-data folder");
    let path = dir.join(format!("verify-{n}.ndjson"));
    if path.exists() {
        println!("export: reusing {}", path.display());
        return path;
    }
    let t = Instant::now();
    // The benchmarks' one fund (`SampleSpec::bench`).
    let fund = build(&SampleSpec::bench(n), "ledger.example").expect("sample builds");
    let tmp = dir.join(format!("verify-{n}.ndjson.tmp"));
    let mut out = BufWriter::new(File::create(&tmp).expect("create export"));
    let write = |out: &mut BufWriter<File>, line: &[u8]| {
        out.write_all(line).and_then(|()| out.write_all(b"\n"))
    };
    write(&mut out, &fund.header().to_line()).expect("write");
    for line in &fund.lines {
        write(&mut out, line).expect("write");
    }
    let checkpoint = CheckpointLine {
        checkpoint: fund.checkpoint_note().expect("checkpoint"),
    };
    write(&mut out, &checkpoint.to_line()).expect("write");
    out.into_inner()
        .expect("flush")
        .sync_all()
        .expect("sync export");
    std::fs::rename(&tmp, &path).expect("rename export");
    println!(
        "export: generated {} in {:.1} s",
        path.display(),
        t.elapsed().as_secs_f64()
    );
    path
}

/// The export's signatures exactly as verification checks them: key, signature, and the
/// index of the signed message.
struct Signatures {
    messages: Vec<Vec<u8>>,
    sigs: Vec<(VerificationKeyBytes, Signature, usize)>,
    entries: usize,
}

fn signatures(path: &Path) -> Signatures {
    let mut out = Signatures {
        messages: Vec::new(),
        sigs: Vec::new(),
        entries: 0,
    };
    let reader = BufReader::new(File::open(path).expect("open export"));
    // Header first, checkpoint last: entries between.
    for line in reader.split(b'\n').skip(1) {
        let line = line.expect("read export");
        if line.starts_with(b"{\"checkpoint\":") {
            break;
        }
        let parsed = Entry::parse(&line).expect("sample entry parses");
        for s in &parsed.entry.sigs {
            out.sigs.push((
                s.key.zip215_bytes(),
                Signature::from(s.sig.0),
                out.messages.len(),
            ));
        }
        out.messages.push(signing_message(&parsed.intent_bytes));
        out.entries += 1;
    }
    out
}

/// Bare batched verification of every signature, `batch` per batch, on `threads` threads
/// (batches dealt out in turn). Panics if a batch fails: the sample is valid.
fn bare(s: &Signatures, batch_size: usize, threads: usize) -> Duration {
    let batches: Vec<_> = s.sigs.chunks(batch_size).collect();
    let t = Instant::now();
    std::thread::scope(|scope| {
        for first in 0..threads {
            let batches = &batches;
            scope.spawn(move || {
                for chunk in batches.iter().skip(first).step_by(threads) {
                    let mut v = batch::Verifier::new();
                    for (key, sig, msg) in chunk.iter() {
                        v.queue((*key, *sig, s.messages[*msg].as_slice()));
                    }
                    v.verify(OsRng).expect("sample signatures verify");
                }
            });
        }
    });
    t.elapsed()
}

/// `VmHWM` of a running process, in KiB (None once it has exited).
fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Runs `ledger-verify FILE --threads T`: wall time and peak resident KiB.
fn run_verify(path: &Path, threads: usize) -> (Duration, u64) {
    let t = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ledger-verify"))
        .arg(path)
        .args(["--threads", &threads.to_string(), "--no-progress"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start ledger-verify");
    let pid = child.id();
    let mut peak = 0;
    // Its report is short: reading it after the exit cannot block the child.
    let status = loop {
        if let Some(kib) = peak_kib(pid) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().expect("wait for ledger-verify") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let elapsed = t.elapsed();
    let mut report = String::new();
    if let Some(mut out) = child.stdout.take() {
        std::io::Read::read_to_string(&mut out, &mut report).expect("read the report");
    }
    assert!(
        status.success() && report.contains("CLEAN"),
        "ledger-verify did not report the export clean ({status}):\n{report}"
    );
    (elapsed, peak)
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn main() {
    let n = env_usize("BENCH_VERIFY_ENTRIES", 1_000_000).max(10);
    let runs = env_usize("BENCH_VERIFY_RUNS", 1).max(1);
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let path = export_file(n);
    let size = std::fs::metadata(&path).map_or(0, |m| m.len());
    let s = signatures(&path);
    println!(
        "verify_memory: {} entries, {} signatures, {:.1} MB export, {cores} cores, {}",
        s.entries,
        s.sigs.len(),
        size as f64 / 1e6,
        load_average()
    );
    for run in 1..=runs {
        println!("run {run} of {runs} ({})", load_average());
        // The best batch size on one thread is the baseline; two threads use it too.
        let (batch_size, bare1) = BATCH_SIZES
            .iter()
            .map(|b| {
                let d = bare(&s, *b, 1);
                println!(
                    "  bare ed25519-zebra batched, {b:>4} per batch, 1 thread:  {:>9.0} entries/s ({:>9.0} sigs/s) {:>7.3} s",
                    rate(s.entries, d),
                    rate(s.sigs.len(), d),
                    d.as_secs_f64()
                );
                (*b, d)
            })
            .min_by_key(|(_, d)| *d)
            .expect("batch sizes");
        let base1 = rate(s.entries, bare1);
        let (t1, kib1) = run_verify(&path, 1);
        let bare2 = bare(&s, batch_size, 2);
        let base2 = rate(s.entries, bare2);
        println!(
            "  bare ed25519-zebra batched, {batch_size:>4} per batch, 2 threads: {base2:>9.0} entries/s ({:>9.0} sigs/s) {:>7.3} s",
            rate(s.sigs.len(), bare2),
            bare2.as_secs_f64()
        );
        let (t2, kib2) = run_verify(&path, 2);
        for (threads, t, kib, target) in [(1, t1, kib1, 0.8), (2, t2, kib2, 1.8)] {
            let mib = kib as f64 / 1024.0;
            let r = rate(s.entries, t);
            let mut line = format!(
                "  ledger-verify --threads {threads}: {:>7.3} s, {r:>9.0} entries/s, peak {mib:.1} MiB (target < {PEAK_MIB_TARGET:.0}: {}), {:.2} × bare on 1 thread (target ≥ {target}: {})",
                t.as_secs_f64(),
                if mib < PEAK_MIB_TARGET { "met" } else { "NOT met" },
                r / base1,
                if r / base1 >= target { "met" } else { "NOT met" },
            );
            if threads == 2 {
                line.push_str(&format!(", {:.2} × bare on 2 threads", r / base2));
            }
            println!("{line}");
        }
    }
}
