//! `Entry::parse` (an export line) and `Intent::from_canonical_bytes` (what a trustee's
//! client sends), each against its step-by-step reference path.
//!
//! * The quick paths give exactly what the reference paths give: the same entry or intent,
//!   or the same error.
//! * An accepted entry is its own canonical form: it writes back to the very same bytes,
//!   its hash is the leaf hash of those bytes, and its intent bytes are the intent's
//!   canonical form, which parses back to the same intent.
//! * Signature checks on whatever parsed do not panic.
#![no_main]

use ledger_core::entry::fuzzing::{entry_parse_slow, intent_from_bytes_slow};
use ledger_core::entry::{verify_signatures, Entry, Intent, ParsedEntry};
use ledger_core::hash::leaf_hash;
use libfuzzer_sys::fuzz_target;

fn same(a: &ParsedEntry, b: &ParsedEntry) -> bool {
    a.entry == b.entry && a.hash == b.hash && a.intent_bytes == b.intent_bytes
}

fuzz_target!(|data: &[u8]| {
    // Entries.
    let quick = Entry::parse(data);
    let reference = entry_parse_slow(data);
    match (&quick, &reference) {
        (Ok(q), Ok(r)) => assert!(same(q, r), "Entry::parse differs from its reference path"),
        (Err(q), Err(r)) => assert_eq!(q, r, "Entry::parse errs otherwise than its reference"),
        (q, r) => panic!("Entry::parse: quick {q:?}, reference {r:?}"),
    }
    if let Ok(p) = &quick {
        assert_eq!(
            p.entry.canonical_bytes(),
            data,
            "entry does not write back to its line"
        );
        assert_eq!(p.hash, leaf_hash(data));
        assert_eq!(p.intent_bytes, p.entry.intent.canonical_bytes());
        assert_eq!(
            Intent::from_canonical_bytes(&p.intent_bytes).as_ref(),
            Ok(&p.entry.intent),
            "the entry's intent bytes do not parse back to its intent"
        );
        let _ = verify_signatures(&p.entry.sigs, &p.intent_bytes);
    }

    // Intents.
    let quick = Intent::from_canonical_bytes(data);
    assert_eq!(
        quick,
        intent_from_bytes_slow(data),
        "Intent::from_canonical_bytes differs from its reference path"
    );
    if let Ok(intent) = &quick {
        assert_eq!(
            intent.canonical_bytes(),
            data,
            "intent does not write back to its bytes"
        );
    }
});
