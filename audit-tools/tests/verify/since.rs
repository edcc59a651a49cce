//! `--since`: a checkpoint saved at an earlier size of the same log verifies clean; a log
//! rewritten under it (a fork), a note by another key, or a saved size beyond the log are
//! findings.

use ledger_core::body::{Body, Kind};
use ledger_core::hash::leaf_hash;
use ledger_core::merkle::Frontier;
use ledger_core::money::Amount;
use ledger_core::note::NoteSigner;
use ledger_core::sample::{key_from_label, Restatement};

use crate::support::{fixture, tempdir, verify_json, write, ENTRIES, HOST};

/// Saved size: the checkpoint an auditor kept from an earlier visit.
const SAVED: usize = 300;

/// The log key's checkpoint over the first `size` entries of the fixture.
fn saved_note(size: usize, signer: &NoteSigner) -> String {
    let fx = fixture();
    let mut f = Frontier::new();
    for l in &fx.fund.lines[..size] {
        f.push(leaf_hash(l));
    }
    fx.fund
        .checkpoint_note_by(size as u64, f.root(), signer)
        .unwrap()
}

fn verify_since(export: &[u8], note: &str) -> crate::support::Run {
    let dir = tempdir();
    let cp = write(dir.path(), "checkpoint.txt", note.as_bytes());
    verify_json(export, &["--since", cp.to_str().unwrap()])
}

/// The fixture rewritten by an insider from `x` on: a donation raised by 100.00, every
/// later entry and statement re-signed, a new checkpoint. Valid in itself.
fn rewritten_at(x: usize) -> Vec<u8> {
    let fx = fixture();
    let mut entries = fx.fund.entries().unwrap();
    let Body::Donation(d) = &mut entries[x].intent.body else {
        panic!("seq {x} is not a donation")
    };
    d.amount = Amount::from_fen(d.amount.to_fen() + 10_000).unwrap();
    let lines = fx
        .fund
        .rechain(entries, x, Restatement::Redraft, &[])
        .unwrap();
    fx.fund.export_of(&lines).unwrap()
}

#[test]
fn a_log_that_only_grew_is_consistent() {
    let fx = fixture();
    let r = verify_since(&fx.export, &saved_note(SAVED, &fx.fund.keys.log));
    assert_eq!(r.code, Some(0), "{r:?}");
    let since = &r.json()["summary"]["since"];
    assert_eq!(since["tree_size"], SAVED as u64);
    assert_eq!(since["consistent"], true);
    // The whole log, and the empty tree, too.
    let r = verify_since(&fx.export, &saved_note(ENTRIES, &fx.fund.keys.log));
    assert_eq!(r.code, Some(0), "{r:?}");
    let r = verify_since(&fx.export, &saved_note(0, &fx.fund.keys.log));
    assert_eq!(r.code, Some(0), "{r:?}");
}

#[test]
fn a_log_rewritten_under_the_saved_checkpoint_is_a_fork() {
    let fx = fixture();
    let note = saved_note(SAVED, &fx.fund.keys.log);
    // Rewritten before the saved size: valid by itself, but not an extension.
    let x = fx
        .seqs_of(Kind::Donation)
        .into_iter()
        .rev()
        .find(|s| *s < SAVED)
        .unwrap();
    let forked = rewritten_at(x);
    let alone = verify_json(&forked, &[]);
    assert_eq!(
        alone.code,
        Some(0),
        "the rewrite is valid in itself: {alone:?}"
    );
    let r = verify_since(&forked, &note);
    assert_eq!(r.findings(), vec![("since_not_consistent".into(), None)]);
    assert_eq!(r.code, Some(1));
    assert_eq!(r.json()["summary"]["since"]["consistent"], false);

    // Rewritten only after the saved size: the saved prefix is intact.
    let y = fx.first_after(Kind::Donation, SAVED);
    let r = verify_since(&rewritten_at(y), &note);
    assert_eq!(r.code, Some(0), "{r:?}");
}

#[test]
fn a_note_by_another_key_or_beyond_the_log_is_named() {
    let fx = fixture();
    let impostor = NoteSigner::new(HOST, key_from_label("audit/since-impostor")).unwrap();
    let r = verify_since(&fx.export, &saved_note(SAVED, &impostor));
    assert_eq!(r.findings(), vec![("since_bad_signature".into(), None)]);
    assert_eq!(r.code, Some(1));

    // The log lost its tail since (and its checkpoint was re-signed to match).
    let cut = fx.fund.export_of(&fx.fund.lines[..SAVED - 1]).unwrap();
    let r = verify_since(&cut, &saved_note(SAVED, &fx.fund.keys.log));
    assert_eq!(r.findings(), vec![("since_larger_than_log".into(), None)]);

    // Not a note at all: unusable.
    verify_since(&fx.export, "hello\n").assert_unusable("not a signed checkpoint note");
}
