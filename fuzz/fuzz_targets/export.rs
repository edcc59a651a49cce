//! Whole exports: `verify_export` (one thread, signatures one by one) against
//! `verify_export_parallel` (batched signatures, chunks prepared on one or two threads).
//!
//! * No panic and no hang (libFuzzer's `-timeout`) on any export.
//! * The reports agree: entries, root, balance, header, checkpoint and every finding,
//!   whatever the number of threads and the chunk size.
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
    // One thread, chunks of two lines: batches end and restart inside the export.
    let one = verify_export_parallel(data, Expectations::default(), 1, 2);
    assert_same(&sequential, &one, "1 thread, chunks of 2");
    // Two threads, chunks of three lines: chunks are prepared out of order.
    let two = verify_export_parallel(data, Expectations::default(), 2, 3);
    assert_same(&sequential, &two, "2 threads, chunks of 3");
});
