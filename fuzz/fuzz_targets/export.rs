//! Whole exports: `verify_export` (one thread, signatures one by one) against
//! `verify_export_parallel` (signatures checked in batches, chunk by chunk).
//!
//! * No panic and no hang (libFuzzer's `-timeout`) on any export.
//! * A clean report has a header and a checkpoint.
//! * The reports agree: entries, root, balance, header, checkpoint and every finding.
#![no_main]

use ledger_core::parallel::verify_export_parallel;
use ledger_core::verify::{verify_export, Expectations, Report};
use libfuzzer_sys::fuzz_target;

fn assert_same(a: &Report, b: &Report, what: &str) {
    assert_eq!(a.entries, b.entries, "{what}: entries");
    assert_eq!(a.root, b.root, "{what}: root");
    assert_eq!(a.balance, b.balance, "{what}: balance");
    assert_eq!(a.header, b.header, "{what}: header");
    assert_eq!(a.checkpoint, b.checkpoint, "{what}: checkpoint");
    assert_eq!(a.findings, b.findings, "{what}: findings");
    assert_eq!(
        a.findings_dropped, b.findings_dropped,
        "{what}: findings dropped"
    );
}

fuzz_target!(|data: &[u8]| {
    let sequential = verify_export(data, Expectations::default());
    if sequential.is_clean() {
        assert!(sequential.header.is_some() && sequential.checkpoint.is_some());
    }
    // Chunks of two lines: batches end and restart inside the export. One thread only:
    // with more, which thread prepares which chunk varies from run to run, and libFuzzer
    // would take that noise for new coverage (tests/parallel.rs covers the threads).
    let chunked = verify_export_parallel(data, Expectations::default(), 1, 2);
    assert_same(&sequential, &chunked, "chunks of 2");
});
