//! The parallel verifier gives the very report of the sequential one, whatever the number
//! of threads and the chunk size, on clean and on tampered exports.

use ledger_core::parallel::{verify_export_parallel, verify_lines_parallel, CHUNK_LINES};
use ledger_core::sample::{build, SampleFund, SampleSpec};
use ledger_core::verify::{verify_export, Expectations, Report, FINDINGS_MAX};

fn fund(seed: u64, n: usize) -> SampleFund {
    build(&SampleSpec::example("p", seed, n, 14), "ledger.example").unwrap()
}

fn assert_same(parallel: &Report, sequential: &Report, what: &str) {
    assert_eq!(parallel.header, sequential.header, "{what}: header");
    assert_eq!(parallel.entries, sequential.entries, "{what}: entries");
    assert_eq!(parallel.root, sequential.root, "{what}: root");
    assert_eq!(parallel.balance, sequential.balance, "{what}: balance");
    assert_eq!(
        parallel.checkpoint, sequential.checkpoint,
        "{what}: checkpoint"
    );
    assert_eq!(parallel.findings, sequential.findings, "{what}: findings");
    assert_eq!(
        parallel.findings_dropped, sequential.findings_dropped,
        "{what}: findings dropped"
    );
}

/// Checks every thread count and chunk size against `verify_export`; returns its report.
fn check_all(export: &[u8], what: &str) -> Report {
    let expect = Expectations::default();
    let sequential = verify_export(export, expect.clone());
    for threads in [1, 2, 3] {
        for chunk in [1, 7, 64, CHUNK_LINES] {
            let lines = export.split(|b| *b == b'\n').map(<[u8]>::to_vec);
            let report = verify_lines_parallel(lines, expect.clone(), threads, chunk);
            assert_same(
                &report,
                &sequential,
                &format!("{what}, {threads} threads, chunk {chunk}"),
            );
        }
    }
    let report = verify_export_parallel(export, expect, 2, 50);
    assert_same(&report, &sequential, &format!("{what}, from a slice"));
    sequential
}

fn lines(export: &[u8]) -> Vec<Vec<u8>> {
    export
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

fn join(lines: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    out
}

/// Changes one hex digit of the line's first signature (it stays well-formed hex).
fn flip_signature(line: &mut [u8]) {
    let at = line
        .windows(7)
        .position(|w| w == b"\"sig\":\"")
        .expect("a signature")
        + 7
        + 10;
    line[at] = if line[at] == b'0' { b'1' } else { b'0' };
}

#[test]
fn clean_exports_agree() {
    for (seed, n) in [(1, 700), (2, 300)] {
        let f = fund(seed, n);
        let export = f.export().unwrap();
        let report = check_all(&export, &format!("clean seed {seed}"));
        assert!(report.is_clean(), "{:?}", report.findings);
        assert_eq!(report.entries, n as u64);
        assert_eq!(report.root, f.root());
        assert_eq!(report.balance, f.balance().to_string());
        assert!(report.checkpoint.is_some());
    }
}

#[test]
fn tampered_signatures_agree() {
    let f = fund(3, 500);
    let base = lines(&f.export().unwrap());
    // Genesis (line 2), one in the middle, the last entry.
    for at in [1, 250, base.len() - 2] {
        let mut l = base.clone();
        flip_signature(&mut l[at]);
        let report = check_all(&join(&l), &format!("signature flipped on line {}", at + 1));
        assert!(
            report.findings.iter().any(|x| x.code == "bad_signature"),
            "{:?}",
            report.findings
        );
    }
    // Several bad signatures, in different chunks and in one chunk.
    let mut l = base.clone();
    for at in [5, 6, 100, 101, 102, 400] {
        flip_signature(&mut l[at]);
    }
    let report = check_all(&join(&l), "six signatures flipped");
    let bad = report
        .findings
        .iter()
        .filter(|x| x.code == "bad_signature")
        .count();
    assert_eq!(bad, 6, "{:?}", report.findings);
}

#[test]
fn deleted_and_broken_lines_agree() {
    let f = fund(4, 250);
    let base = lines(&f.export().unwrap());
    let mut cases: Vec<(String, Vec<Vec<u8>>)> = Vec::new();
    for at in [1, 2, 120, base.len() - 2, base.len() - 1, 0] {
        let mut l = base.clone();
        l.remove(at);
        cases.push((format!("line {} deleted", at + 1), l));
    }
    let mut l = base.clone();
    l[150] = b"not json at all".to_vec();
    cases.push(("garbage line".into(), l));
    let mut l = base.clone();
    l[150].insert(1, b' ');
    cases.push(("non-canonical line".into(), l));
    let mut l = base.clone();
    let last = l.len() - 1;
    l.push(l[last].clone());
    l.push(b"{}".to_vec());
    cases.push(("lines after the checkpoint".into(), l));
    let mut l = base.clone();
    l.insert(1, base[0].clone());
    cases.push(("header twice".into(), l));
    let mut l = base.clone();
    l[0] = base[1].clone();
    cases.push(("an entry for the header".into(), l));
    let mut l = base.clone();
    l.swap(100, 101);
    cases.push(("two entries swapped".into(), l));
    cases.push(("header only".into(), base[..1].to_vec()));
    cases.push(("empty".into(), Vec::new()));
    for (what, l) in cases {
        let report = check_all(&join(&l), &what);
        if !what.starts_with("empty") {
            assert!(!report.is_clean(), "{what}");
        }
    }
}

#[test]
fn a_log_refused_throughout_agrees() {
    // Every signature is bad: every batch fails and every entry is checked alone.
    let f = fund(5, 300);
    let mut l = lines(&f.export().unwrap());
    let n = l.len();
    for line in &mut l[1..n - 1] {
        flip_signature(line);
    }
    let report = check_all(&join(&l), "every signature flipped");
    assert!(report.findings.len() >= 300, "{:?}", &report.findings[..3]);
}

#[test]
fn blank_lines_and_degenerate_arguments() {
    let f = fund(6, 120);
    let export = f.export().unwrap();
    let mut spaced = Vec::new();
    for l in export.split(|b| *b == b'\n') {
        spaced.extend_from_slice(l);
        spaced.extend_from_slice(b"\n\n");
    }
    let sequential = verify_export(&export, Expectations::default());
    assert!(sequential.is_clean());
    let report = verify_export_parallel(&spaced, Expectations::default(), 0, 0);
    assert_same(&report, &sequential, "blank lines, 0 threads, chunk 0");
    let report = verify_export_parallel(&spaced, Expectations::default(), 8, 3);
    assert_same(&report, &sequential, "blank lines, 8 threads");
}

#[test]
fn findings_beyond_the_cap_are_counted_alike() {
    let f = fund(7, 20);
    let mut l = lines(&f.export().unwrap());
    let checkpoint = l.pop().unwrap();
    l.extend(std::iter::repeat_n(b"[]".to_vec(), FINDINGS_MAX + 50));
    l.push(checkpoint);
    let report = check_all(&join(&l), "more findings than kept");
    assert_eq!(report.findings.len(), FINDINGS_MAX);
    assert!(report.findings_dropped >= 50);
}
