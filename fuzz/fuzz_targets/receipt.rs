//! Receipts: `parse_receipt` then `verify_receipt`.
//!
//! * No panic on any document.
//! * A parsed receipt survives a serde round trip unchanged.
//! * A verified receipt proves what it says: its seq and tree size, and an entry that
//!   parses to the fund, kind and time reported.
#![no_main]

use ledger_core::entry::Entry;
use ledger_core::receipt::{parse_receipt, verify_receipt};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(receipt) = parse_receipt(data) else {
        return;
    };
    let again = serde_json::to_vec(&receipt).expect("a receipt serialises");
    assert_eq!(
        parse_receipt(&again).as_ref(),
        Ok(&receipt),
        "serde round trip"
    );

    let Ok(verified) = verify_receipt(&receipt) else {
        return;
    };
    assert_eq!(verified.seq, receipt.seq);
    assert_eq!(verified.tree_size, receipt.tree_size);
    assert!(verified.seq < verified.tree_size);
    assert_eq!(verified.donor_confirmed, receipt.donor.is_some());
    let parsed = Entry::parse(receipt.entry.as_bytes()).expect("a verified receipt's entry parses");
    assert_eq!(parsed.entry.fund, verified.fund);
    assert_eq!(parsed.entry.intent.kind(), verified.kind);
    assert_eq!(parsed.entry.recorded_at, verified.recorded_at);
});
