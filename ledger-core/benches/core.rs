//! Throughput of the core paths, in one run: `cargo bench -p ledger-core --bench core`.
//!
//! Generates an N-entry sample fund (`BENCH_ENTRIES`, default 100 000), then measures the
//! append path (rules without signatures; hashing and the Merkle frontier alone), bare
//! Ed25519 verification of exactly the log's signatures (one by one and batched), and full
//! verification of the export (sequential, and the parallel driver on 1 and 2 threads).
//! Full and bare figures cover the same signatures, so their ratios are fair.
//! `BENCH_REPS` (default 1) repeats each measurement and keeps the fastest.
//! `BENCH_PROFILE=1` only runs the full verification on 1 thread three times (for a profiler);
//! `BENCH_PROFILE=parse` only parses every entry twenty times.

use std::hint::black_box;
use std::time::{Duration, Instant};

use ed25519_dalek::{Signature, Verifier as _, VerifyingKey};
use ledger_core::canonical::parse_canonical;
use ledger_core::entry::{signing_message, Entry};
use ledger_core::hash::leaf_hash;
use ledger_core::merkle::Frontier;
use ledger_core::parallel::{verify_export_parallel, CHUNK_LINES};
use ledger_core::sample::{build, SampleSpec};
use ledger_core::state::FundState;
use ledger_core::verify::{prepare_lines, verify_export, Expectations, Report};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// `12_345` style.
fn grouped(n: f64) -> String {
    let digits = format!("{:.0}", n.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('_');
        }
        out.push(c);
    }
    out
}

fn per_sec(count: usize, d: Duration) -> f64 {
    count as f64 / d.as_secs_f64()
}

/// Runs `f` `reps` times and returns the fastest time (and the last result).
fn best<T>(reps: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut fastest = Duration::MAX;
    let mut out = None;
    for _ in 0..reps.max(1) {
        let t = Instant::now();
        let r = black_box(f());
        fastest = fastest.min(t.elapsed());
        out = Some(r);
    }
    (fastest, out.expect("at least one rep"))
}

struct Row {
    label: String,
    time: Duration,
    entries: usize,
    sigs: usize,
}

impl Row {
    fn print(&self, vs: Option<(&str, Duration)>) {
        let mut line = format!(
            "{:<44} {:>10} entries/s ({:>9} sigs/s) {:>8.3} s",
            self.label,
            grouped(per_sec(self.entries, self.time)),
            grouped(per_sec(self.sigs, self.time)),
            self.time.as_secs_f64(),
        );
        if let Some((name, base)) = vs {
            // Same signatures on both sides: the ratio of rates is the ratio of times.
            let ratio = base.as_secs_f64() / self.time.as_secs_f64();
            line.push_str(&format!("  = {ratio:.2} × {name}"));
        }
        println!("{line}");
    }
}

/// The system's load average, to judge how quiet the machine was (Linux only).
fn load_average() -> String {
    match std::fs::read_to_string("/proc/loadavg") {
        Ok(s) => format!(
            "load average {}",
            s.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
        ),
        Err(_) => "load average unknown".into(),
    }
}

fn check_clean(report: &Report, n: usize) {
    assert!(report.is_clean(), "{:?}", &report.findings[..1]);
    assert_eq!(report.entries, n as u64);
}

fn main() {
    let n = env_usize("BENCH_ENTRIES", 100_000).max(10);
    let reps = env_usize("BENCH_REPS", 1);
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    println!(
        "ledger-core benchmark: {n} entries, best of {reps}, nproc (available_parallelism) = {cores}, {}",
        load_average()
    );

    // --- Generation (not a target) ---
    let t = Instant::now();
    // The benchmarks' one fund (`SampleSpec::bench`).
    let spec = SampleSpec::bench(n);
    let months = spec.months;
    let fund = build(&spec, "ledger.example").expect("sample builds");
    let export = fund.export().expect("export");
    let gen_time = t.elapsed();
    let header = fund.header();
    println!(
        "generation: {} entries over {months} months, {:.1} MB export, in {:.2} s ({} entries/s)",
        fund.lines.len(),
        export.len() as f64 / 1e6,
        gen_time.as_secs_f64(),
        grouped(per_sec(n, gen_time)),
    );

    // The log's signatures, exactly as verification checks them.
    let mut messages: Vec<Vec<u8>> = Vec::with_capacity(n);
    let mut msg_of_sig: Vec<usize> = Vec::new();
    let mut sigs: Vec<Signature> = Vec::new();
    let mut keys: Vec<VerifyingKey> = Vec::new();
    for line in &fund.lines {
        let parsed = Entry::parse(line).expect("sample entry parses");
        for s in &parsed.entry.sigs {
            msg_of_sig.push(messages.len());
            sigs.push(s.sig.signature());
            keys.push(s.key.verifying_key());
        }
        messages.push(signing_message(&parsed.intent_bytes));
    }
    let nsigs = sigs.len();
    if std::env::var("BENCH_PROFILE").is_ok_and(|v| v == "parse") {
        for _ in 0..20 {
            for line in &fund.lines {
                black_box(Entry::parse(line).expect("parses"));
            }
        }
        return;
    }
    if std::env::var("BENCH_PROFILE").is_ok() {
        for _ in 0..3 {
            let report = verify_export_parallel(&export, Expectations::default(), 1, CHUNK_LINES);
            check_clean(&report, n);
        }
        return;
    }
    println!(
        "signatures: {nsigs} over {n} entries ({:.3} per entry)",
        nsigs as f64 / n as f64
    );
    println!();

    // --- Append path ---
    println!("append path (1 thread, signatures not re-checked):");
    let mut apply_time = Duration::MAX;
    for _ in 0..reps.max(1) {
        let mut state = FundState::new(header.fund.clone(), header.operator_key);
        let mut elapsed = Duration::ZERO;
        for chunk in fund.lines.chunks(4096) {
            // Parsing is the verifier's cost, not the append path's: keep it out.
            let parsed: Vec<_> = chunk
                .iter()
                .map(|l| Entry::parse(l).expect("parses"))
                .collect();
            let t = Instant::now();
            for (p, line) in parsed.iter().zip(chunk) {
                state
                    .apply(&p.entry, leaf_hash(line))
                    .expect("sample entry applies");
            }
            elapsed += t.elapsed();
        }
        assert_eq!(state.root(), fund.root());
        apply_time = apply_time.min(elapsed);
    }
    Row {
        label: "FundState::apply (leaf hash, chain, Merkle, rules)".into(),
        time: apply_time,
        entries: n,
        sigs: nsigs,
    }
    .print(None);
    let (frontier_time, root) = best(reps, || {
        let mut f = Frontier::new();
        for line in &fund.lines {
            f.push(leaf_hash(line));
        }
        f.root()
    });
    assert_eq!(root, fund.root());
    Row {
        label: "leaf_hash + Frontier::push only".into(),
        time: frontier_time,
        entries: n,
        sigs: nsigs,
    }
    .print(None);
    println!();

    // --- Bare Ed25519 ---
    println!("bare Ed25519 over the same {nsigs} signatures (1 thread):");
    let (single_time, ()) = best(reps, || {
        for i in 0..nsigs {
            keys[i]
                .verify(&messages[msg_of_sig[i]], &sigs[i])
                .expect("valid signature");
        }
    });
    let single = Row {
        label: "one by one (VerifyingKey::verify)".into(),
        time: single_time,
        entries: n,
        sigs: nsigs,
    };
    single.print(None);
    let refs: Vec<&[u8]> = msg_of_sig.iter().map(|i| messages[*i].as_slice()).collect();
    let mut batched: Option<(usize, Duration)> = None;
    for size in [64, 256, 1024, 4096] {
        let (time, ()) = best(reps, || {
            for ((m, s), k) in refs
                .chunks(size)
                .zip(sigs.chunks(size))
                .zip(keys.chunks(size))
            {
                ed25519_dalek::verify_batch(m, s, k).expect("valid batch");
            }
        });
        Row {
            label: format!("batched, {size} per batch (verify_batch)"),
            time,
            entries: n,
            sigs: nsigs,
        }
        .print(Some(("one by one", single_time)));
        if batched.is_none_or(|(_, t)| time < t) {
            batched = Some((size, time));
        }
    }
    let (batch_size, batch_time) = batched.expect("measured");
    println!("best batch size: {batch_size}");
    // The rule the ledger verifies under (ZIP-215, ed25519-zebra): one by one and in
    // batches of the same best size.
    let zkeys: Vec<ed25519_zebra::VerificationKey> = keys
        .iter()
        .map(|k| ed25519_zebra::VerificationKey::try_from(k.to_bytes()).expect("key"))
        .collect();
    let zsigs: Vec<ed25519_zebra::Signature> = sigs
        .iter()
        .map(|s| ed25519_zebra::Signature::from(s.to_bytes()))
        .collect();
    let (zsingle_time, ()) = best(reps, || {
        for i in 0..nsigs {
            zkeys[i]
                .verify(&zsigs[i], &messages[msg_of_sig[i]])
                .expect("valid signature");
        }
    });
    Row {
        label: "ZIP-215 one by one (ed25519-zebra)".into(),
        time: zsingle_time,
        entries: n,
        sigs: nsigs,
    }
    .print(Some(("dalek one by one", single_time)));
    let (zbatch_time, ()) = best(reps, || {
        for start in (0..nsigs).step_by(batch_size) {
            let mut v = ed25519_zebra::batch::Verifier::new();
            for i in start..(start + batch_size).min(nsigs) {
                v.queue((
                    ed25519_zebra::VerificationKeyBytes::from(zkeys[i]),
                    zsigs[i],
                    messages[msg_of_sig[i]].as_slice(),
                ));
            }
            v.verify(rand_core::OsRng).expect("valid batch");
        }
    });
    Row {
        label: format!("ZIP-215 batched, {batch_size} per batch (ed25519-zebra)"),
        time: zbatch_time,
        entries: n,
        sigs: nsigs,
    }
    .print(Some(("dalek batched", batch_time)));
    // The write rule (FORMAT.md §3, `ledger_core::strict`): strict cofactorless, one by one,
    // as the server checks each request on arrival; beside dalek's `verify_strict` with the
    // key decompressed and checked afresh for every signature (the rule before it kept
    // checked keys).
    let pkeys: Vec<ledger_core::keys::PublicKey> = keys
        .iter()
        .map(|k| ledger_core::keys::PublicKey::from_verifying_key(*k))
        .collect();
    let sbytes: Vec<ledger_core::keys::SignatureBytes> = sigs
        .iter()
        .map(|s| ledger_core::keys::SignatureBytes(s.to_bytes()))
        .collect();
    let (fresh_time, ()) = best(reps, || {
        for i in 0..nsigs {
            let key = pkeys[i].as_bytes();
            assert!(ledger_core::strict::point_is_strict(key));
            VerifyingKey::from_bytes(key)
                .expect("key")
                .verify_strict(&messages[msg_of_sig[i]], &sigs[i])
                .expect("strict");
        }
    });
    Row {
        label: "strict one by one, key checked afresh".into(),
        time: fresh_time,
        entries: n,
        sigs: nsigs,
    }
    .print(Some(("ZIP-215 batched", zbatch_time)));
    let (strict_time, ()) = best(reps, || {
        for i in 0..nsigs {
            assert!(ledger_core::strict::signature_is_strict(
                &pkeys[i],
                &messages[msg_of_sig[i]],
                &sbytes[i]
            ));
        }
    });
    Row {
        label: "strict one by one (the write rule, keys kept)".into(),
        time: strict_time,
        entries: n,
        sigs: nsigs,
    }
    .print(Some(("key checked afresh", fresh_time)));
    drop(refs);
    drop(messages);
    println!();

    // --- Stateless split (where verification time goes, besides signatures) ---
    println!("breakdown of the stateless work (1 thread, no signatures):");
    let (canon_time, ()) = best(reps, || {
        for line in &fund.lines {
            black_box(parse_canonical(line).expect("canonical"));
        }
    });
    Row {
        label: "parse_canonical (JSON parse + JCS re-check)".into(),
        time: canon_time,
        entries: n,
        sigs: nsigs,
    }
    .print(None);
    let (parse_time, ()) = best(reps, || {
        for line in &fund.lines {
            black_box(Entry::parse(line).expect("parses"));
        }
    });
    Row {
        label: "Entry::parse (all of the above + typing)".into(),
        time: parse_time,
        entries: n,
        sigs: nsigs,
    }
    .print(None);
    let (prepare_time, ()) = best(reps, || {
        for chunk in fund.lines.chunks(CHUNK_LINES) {
            black_box(prepare_lines(chunk));
        }
    });
    Row {
        label: format!("prepare_lines, chunks of {CHUNK_LINES} (with sigs)"),
        time: prepare_time,
        entries: n,
        sigs: nsigs,
    }
    .print(Some(("bare batched", batch_time)));
    println!();

    // --- Full verification ---
    println!("full verification of the export (header, entries, checkpoint):");
    let expect = Expectations::default();
    let (seq_time, report) = best(reps, || verify_export(&export, expect.clone()));
    check_clean(&report, n);
    Row {
        label: "verify_export (sequential, one by one)".into(),
        time: seq_time,
        entries: n,
        sigs: nsigs,
    }
    .print(Some(("bare one by one", single_time)));
    let mut full = Vec::new();
    for threads in [1, 2] {
        let (time, report) = best(reps, || {
            verify_export_parallel(&export, expect.clone(), threads, CHUNK_LINES)
        });
        check_clean(&report, n);
        full.push(time);
        Row {
            label: format!(
                "full verify, {threads} thread{} (parallel, chunk {CHUNK_LINES})",
                if threads == 1 { "" } else { "s" }
            ),
            time,
            entries: n,
            sigs: nsigs,
        }
        .print(Some(("bare batched", batch_time)));
    }
    println!();

    println!("{}", load_average());
    let ratio = |t: Duration| batch_time.as_secs_f64() / t.as_secs_f64();
    println!(
        "ratios against bare batched Ed25519 (batches of {batch_size}, 1 core), same signatures:"
    );
    println!(
        "  full verify, 1 thread  / bare batched = {:.2}   (target >= 0.80)",
        ratio(full[0])
    );
    println!(
        "  full verify, 2 threads / bare batched = {:.2}   (target close to 2.0 on 2 cores; nproc = {cores})",
        ratio(full[1])
    );
    println!(
        "  verify_export (sequential) / bare batched = {:.2};  / bare one by one = {:.2}",
        ratio(seq_time),
        single_time.as_secs_f64() / seq_time.as_secs_f64()
    );
    let zratio = |t: Duration| zbatch_time.as_secs_f64() / t.as_secs_f64();
    println!(
        "ratios against bare ZIP-215 batched (the rule verification uses): 1 thread {:.2}, 2 threads {:.2}",
        zratio(full[0]),
        zratio(full[1])
    );
}
