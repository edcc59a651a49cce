//! An export written before the append step moved into the core (commit ab0e157 of main:
//! `bench_data` with 300 entries, whose store path wrote exactly these bytes), kept in
//! `tests/fixtures/` as it was. Whatever the code becomes, this file must keep verifying,
//! and the core's append step must write each of its entries again byte for byte.

use ledger_core::checkpoint::Checkpoint;
use ledger_core::entry::Entry;
use ledger_core::export::{CheckpointLine, Header};
use ledger_core::note::NoteVerifier;
use ledger_core::sample::{build, SampleSpec};
use ledger_core::state::FundState;
use ledger_core::verify::{verify_export, Expectations};

const FIXTURE: &[u8] = include_bytes!("fixtures/export-ab0e157.ndjson");

fn lines() -> Vec<&'static [u8]> {
    FIXTURE
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn the_old_export_verifies_clean() {
    let report = verify_export(FIXTURE, Expectations::default());
    assert!(report.is_clean(), "{:#?}", report.findings);
    assert_eq!(report.entries, 300);
}

#[test]
fn the_append_step_writes_every_old_entry_again_byte_for_byte() {
    let lines = lines();
    let header: Header = serde_json::from_slice(lines[0]).unwrap();
    let mut state = FundState::new(header.fund.clone(), header.operator_key);
    let entries = &lines[1..lines.len() - 1];
    for line in entries {
        let parsed = Entry::parse(line).unwrap();
        let e = parsed.entry;
        // The time the old server stamped: the step must keep it (it never goes back).
        let appended = state
            .append(e.intent, &parsed.intent_bytes, e.sigs, e.recorded_at)
            .unwrap_or_else(|err| panic!("entry {}: {err}", e.seq));
        assert_eq!(appended.bytes, *line, "entry {}", e.seq);
        assert_eq!(appended.hash, parsed.hash, "entry {}", e.seq);
    }
    // The checkpoint the core builds now is the one the old server signed.
    let last: CheckpointLine = serde_json::from_slice(lines[lines.len() - 1]).unwrap();
    let log_key = NoteVerifier::from_vkey(&header.log_key).unwrap();
    let signed = Checkpoint::open(&last.checkpoint, &log_key).unwrap();
    let now = state.checkpoint(&header.origin);
    assert_eq!(now.to_text(), signed.to_text());
}

/// The sample generator (which now appends through the same step) still makes these
/// exact bytes from the same spec: the benchmark and test data did not move either.
#[test]
fn the_sample_generator_makes_the_same_fund() {
    let fund = build(&SampleSpec::example("bench", 42, 300, 12), "ledger.example").unwrap();
    assert_eq!(fund.export().unwrap(), FIXTURE);
}
