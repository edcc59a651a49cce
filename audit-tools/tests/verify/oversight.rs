//! Tampering with corrections and supervisors' opinions (issue 17), caught by the
//! `ledger-verify` binary at the right seq with its code. The fund is a sample with
//! oversight: a supervisor and a host in the genesis, an opinion on the first statement, a
//! donation reversed with its 更正说明 and recorded again, and a corrected statement.
//! Every tamper is re-signed by real keys and re-chained under a new checkpoint, so only
//! the rules can tell.

use std::sync::OnceLock;

use ledger_core::body::{Body, Kind};
use ledger_core::entry::Entry;
use ledger_core::sample::{build, key_from_label, Restatement, SampleFund, SampleSpec};

use crate::support::{verify_json, HOST};

/// The sample with oversight, built once.
fn fund() -> &'static SampleFund {
    static FUND: OnceLock<SampleFund> = OnceLock::new();
    FUND.get_or_init(|| {
        let spec = SampleSpec::example("oversight-fund", 5, 300, 8).with_oversight();
        build(&spec, HOST).expect("the sample with oversight builds")
    })
}

/// The seq of the first entry whose body `pick` accepts.
fn seq_where(entries: &[Entry], pick: impl Fn(&Body) -> bool) -> usize {
    entries
        .iter()
        .position(|e| pick(&e.intent.body))
        .expect("the sample has such an entry")
}

/// Re-chains the edited `entries` from `from` on and verifies the export.
fn verify_edited(
    entries: Vec<Entry>,
    from: usize,
    extra: &[ed25519_dalek::SigningKey],
) -> crate::support::Run {
    let f = fund();
    let lines = f
        .rechain(entries, from, Restatement::FixRoots, extra)
        .expect("re-chained");
    verify_json(&f.export_of(&lines).expect("export"), &[])
}

#[test]
fn the_sample_with_oversight_verifies_clean() {
    let f = fund();
    let r = verify_json(&f.export().expect("export"), &[]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.findings().is_empty());
}

#[test]
fn an_opinion_signed_by_a_trustee_is_named() {
    let f = fund();
    let mut entries = f.entries().expect("entries");
    let o = seq_where(&entries, |b| b.kind() == Kind::Opinion);
    // A real trustee signs in the supervisor's place.
    let trustee = f.keys.trustees[0].clone();
    entries[o].sigs = vec![entries[o].intent.sign(&trustee)];
    let r = verify_edited(entries, o, &[]);
    assert_eq!(
        r.first(),
        ("opinion_signer_not_supervisor".into(), Some(o as u64))
    );
}

#[test]
fn an_opinion_signed_by_a_stranger_is_named() {
    let f = fund();
    let mut entries = f.entries().expect("entries");
    let o = seq_where(&entries, |b| b.kind() == Kind::Opinion);
    let stranger = key_from_label("audit/not-a-supervisor");
    entries[o].sigs = vec![entries[o].intent.sign(&stranger)];
    let r = verify_edited(entries, o, std::slice::from_ref(&stranger));
    assert_eq!(
        r.first(),
        ("opinion_signer_not_supervisor".into(), Some(o as u64))
    );
}

#[test]
fn a_corrected_statement_superseding_a_non_statement_is_named() {
    let f = fund();
    let mut entries = f.entries().expect("entries");
    let s = seq_where(
        &entries,
        |b| matches!(b, Body::Statement(s) if s.supersedes.is_some()),
    );
    let donation = seq_where(&entries, |b| b.kind() == Kind::Donation) as u64;
    let Body::Statement(st) = &mut entries[s].intent.body else {
        unreachable!()
    };
    st.supersedes = Some(donation);
    let r = verify_edited(entries, s, &[]);
    assert_eq!(
        r.first(),
        ("supersedes_not_statement".into(), Some(s as u64))
    );
}

#[test]
fn a_correction_whose_note_was_removed_is_named_at_the_corrected_entry() {
    let f = fund();
    let mut entries = f.entries().expect("entries");
    let rev = seq_where(
        &entries,
        |b| matches!(b, Body::Reversal(r) if r.correction.is_some()),
    );
    let corrected = seq_where(
        &entries,
        |b| matches!(b, Body::Donation(d) if d.corrects.is_some()),
    );
    let Body::Reversal(r) = &mut entries[rev].intent.body else {
        unreachable!()
    };
    r.correction = None;
    let r = verify_edited(entries, rev, &[]);
    assert_eq!(
        r.first(),
        ("correction_not_reversed".into(), Some(corrected as u64))
    );
}
