//! The tamper suite: each way of breaking an export named by the issue is caught by the
//! binary with the exact finding code at the exact seq, and exit status 1.

use ledger_core::body::{Body, Kind};
use ledger_core::hash::{leaf_hash, Hash, ZERO_HASH};
use ledger_core::keys::PublicKey;
use ledger_core::money::{Amount, Money, Rate};
use ledger_core::note::NoteSigner;
use ledger_core::sample::{key_from_label, Restatement};

use crate::support::{fixture, replace_once, verify_json, ENTRIES, LATE};

/// A donation late in the log.
fn a_donation() -> usize {
    fixture().first_after(Kind::Donation, LATE)
}

#[test]
fn an_edited_amount_is_a_bad_signature_at_its_entry() {
    let fx = fixture();
    let s = a_donation();
    let Body::Donation(d) = &fx.parsed[s].entry.intent.body else {
        unreachable!()
    };
    let amount = format!("\"amount\":\"{}\"", d.amount);
    let more = Amount::from_fen(d.amount.to_fen() + 100).unwrap();
    let mut lines = fx.lines();
    lines[s] = replace_once(&lines[s], &amount, &format!("\"amount\":\"{more}\""));
    let r = verify_json(&fx.export_with(&lines), &[]);
    assert_eq!(r.first(), ("bad_signature".into(), Some(s as u64)));
    // Then the chain breaks at the next entry.
    assert_eq!(
        r.findings().get(1).cloned(),
        Some(("prev_mismatch".into(), Some(s as u64 + 1)))
    );
}

#[test]
fn an_edited_name_is_a_bad_signature_at_its_entry() {
    let fx = fixture();
    let s = fx.first_after(Kind::Disbursement, LATE);
    let mut lines = fx.lines();
    lines[s] = replace_once(&lines[s], "示例社会服务中心", "示例社会服务中心甲");
    let r = verify_json(&fx.export_with(&lines), &[]);
    assert_eq!(r.first(), ("bad_signature".into(), Some(s as u64)));
}

#[test]
fn a_deleted_entry_is_named_by_the_entry_after_it() {
    let fx = fixture();
    let d = a_donation();
    let mut lines = fx.lines();
    lines.remove(d);
    let r = verify_json(&fx.export_with(&lines), &[]);
    assert_eq!(r.first(), ("seq_mismatch".into(), Some(d as u64 + 1)));
    assert_eq!(r.json()["summary"]["entries"], ENTRIES as u64 - 1);
    assert_eq!(
        r.findings().last().cloned(),
        Some(("checkpoint_size_mismatch".into(), None))
    );
}

#[test]
fn swapped_entries_are_named_at_the_first_of_them() {
    let fx = fixture();
    let s = a_donation();
    let mut lines = fx.lines();
    lines.swap(s, s + 1);
    let r = verify_json(&fx.export_with(&lines), &[]);
    let (a, b) = (s as u64, s as u64 + 1);
    assert_eq!(
        r.findings()[..3],
        [
            ("seq_mismatch".into(), Some(b)),
            ("seq_mismatch".into(), Some(a)),
            ("seq_mismatch".into(), Some(b + 1)),
        ]
    );
    assert_eq!(
        r.findings().last().cloned(),
        Some(("checkpoint_root_mismatch".into(), None))
    );
}

#[test]
fn a_duplicated_entry_is_named_at_the_copy() {
    let fx = fixture();
    let s = a_donation();
    let mut lines = fx.lines();
    lines.insert(s + 1, lines[s].clone());
    let r = verify_json(&fx.export_with(&lines), &[]);
    assert_eq!(r.first(), ("seq_mismatch".into(), Some(s as u64)));
    // The copy is not counted twice.
    assert_eq!(
        r.json()["summary"]["balance"],
        fx.fund.balance().to_string()
    );
    assert_eq!(
        r.findings().last().cloned(),
        Some(("checkpoint_size_mismatch".into(), None))
    );
}

#[test]
fn a_cut_tail_is_caught_by_the_checkpoint_size() {
    let fx = fixture();
    let r = verify_json(&fx.export_with(&fx.fund.lines[..ENTRIES - 10]), &[]);
    assert_eq!(
        r.findings(),
        vec![("checkpoint_size_mismatch".into(), None)]
    );
    let f = &r.json()["findings"][0];
    // Located at the checkpoint line: header + the entries kept + 1.
    assert_eq!(f["line"], (ENTRIES - 10 + 2) as u64);
    assert_eq!(r.code, Some(1));
}

/// Re-hashes the chain from `from` on as someone without the keys would: every `prev` is
/// recomputed, so the chain is self-consistent, but no signature can be made again.
fn rehash_without_keys(entries: &mut [ledger_core::entry::Entry], from: usize) -> Vec<Vec<u8>> {
    let fx = fixture();
    let mut head: Hash = ZERO_HASH;
    let mut lines = Vec::new();
    for (i, e) in entries.iter_mut().enumerate() {
        let bytes = if i < from {
            fx.fund.lines[i].clone()
        } else {
            e.prev = head;
            e.canonical_bytes()
        };
        head = leaf_hash(&bytes);
        lines.push(bytes);
    }
    lines
}

#[test]
fn a_rehashed_chain_after_an_edit_is_still_caught() {
    let fx = fixture();
    let x = a_donation();
    let edited = || {
        let mut entries = fx.fund.entries().unwrap();
        let Body::Donation(d) = &mut entries[x].intent.body else {
            unreachable!()
        };
        d.amount = Amount::from_fen(d.amount.to_fen() + 10_000).unwrap();
        entries
    };

    // Without the keys: the chain holds, the edited entry's signature does not, and the
    // checkpoint (which cannot be re-signed either) no longer matches the root.
    let mut entries = edited();
    let lines = rehash_without_keys(&mut entries, x);
    let r = verify_json(&fx.export_with(&lines), &[]);
    assert_eq!(r.first(), ("bad_signature".into(), Some(x as u64)));
    let codes: Vec<String> = r.findings().into_iter().map(|f| f.0).collect();
    assert!(!codes.iter().any(|c| c == "prev_mismatch"), "{codes:?}");
    assert_eq!(
        codes.last().map(String::as_str),
        Some("checkpoint_root_mismatch")
    );

    // An insider with every key re-signs the entry, re-chains and signs a new checkpoint:
    // signatures, chain and checkpoint all hold; the next statement does not add up.
    let lines = fx
        .fund
        .rechain(edited(), x, Restatement::FixRoots, &[])
        .unwrap();
    let r = verify_json(&fx.fund.export_of(&lines).unwrap(), &[]);
    let statement = fx.first_after(Kind::Statement, x) as u64;
    assert_eq!(r.first(), ("statement_mismatch".into(), Some(statement)));
}

#[test]
fn a_signature_by_an_unregistered_key_is_an_unknown_signer() {
    let fx = fixture();
    let u = a_donation();
    let forger = key_from_label("audit/forger");
    let mut entries = fx.fund.entries().unwrap();
    entries[u].sigs = vec![entries[u].intent.sign(&forger)];
    let lines = fx
        .fund
        .rechain(
            entries,
            u,
            Restatement::FixRoots,
            std::slice::from_ref(&forger),
        )
        .unwrap();
    let r = verify_json(&fx.fund.export_of(&lines).unwrap(), &[]);
    assert_eq!(r.first(), ("unknown_signer".into(), Some(u as u64)));
    let forger_hex = PublicKey::from_verifying_key(forger.verifying_key()).to_hex();
    assert!(
        r.json()["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&forger_hex),
        "{r:?}"
    );
}

#[test]
fn a_replaced_checkpoint_is_named() {
    let fx = fixture();
    let size = ENTRIES as u64;
    // Signed by another log key (same name: only the signature tells).
    let impostor = NoteSigner::new(crate::support::HOST, key_from_label("audit/impostor")).unwrap();
    let note = fx
        .fund
        .checkpoint_note_by(size, fx.fund.root(), &impostor)
        .unwrap();
    let r = verify_json(&fx.fund.export_with_note(&fx.fund.lines, note), &[]);
    assert_eq!(r.findings(), vec![("checkpoint_signature".into(), None)]);
    assert_eq!(r.code, Some(1));
    assert!(r.json()["summary"]["checkpoint"].is_null());

    // Signed by the real log key, over another root.
    let note = fx
        .fund
        .checkpoint_note_by(size, Hash([7; 32]), &fx.fund.keys.log)
        .unwrap();
    let r = verify_json(&fx.fund.export_with_note(&fx.fund.lines, note), &[]);
    assert_eq!(
        r.findings(),
        vec![("checkpoint_root_mismatch".into(), None)]
    );
    assert_eq!(r.code, Some(1));
}

#[test]
fn a_changed_statement_total_is_named() {
    let fx = fixture();
    let s = fx.first_after(Kind::Statement, LATE);
    let mut entries = fx.fund.entries().unwrap();
    let Body::Statement(st) = &mut entries[s].intent.body else {
        unreachable!()
    };
    st.closing = st.closing.checked_add(Money::from_fen(1).unwrap()).unwrap();
    let lines = fx
        .fund
        .rechain(entries, s, Restatement::FixRoots, &[])
        .unwrap();
    let r = verify_json(&fx.fund.export_of(&lines).unwrap(), &[]);
    assert_eq!(r.first(), ("statement_mismatch".into(), Some(s as u64)));
    assert!(
        r.json()["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("`closing`"),
        "{r:?}"
    );
}

#[test]
fn a_rate_out_of_policy_re_signed_by_real_trustees_is_named() {
    let fx = fixture();
    let s = fx.seqs_of(Kind::Agreement)[0];
    let mut entries = fx.fund.entries().unwrap();
    let Body::Agreement(a) = &mut entries[s].intent.body else {
        unreachable!()
    };
    a.rate = Rate::parse("0.6000").unwrap();
    // Re-signed by the same (real, registered) trustees, chain and checkpoint rebuilt.
    let lines = fx
        .fund
        .rechain(entries, s, Restatement::FixRoots, &[])
        .unwrap();
    let r = verify_json(&fx.fund.export_of(&lines).unwrap(), &[]);
    assert_eq!(r.first(), ("rate_out_of_policy".into(), Some(s as u64)));
    let codes: Vec<String> = r.findings().into_iter().map(|f| f.0).collect();
    // Only rules break: no signature, chain or checkpoint finding.
    assert!(
        !codes
            .iter()
            .any(|c| c == "bad_signature" || c == "prev_mismatch" || c.starts_with("checkpoint")),
        "{codes:?}"
    );
}
