//! Restricted money through the binary (issue 17): a fund with a restricted gift verifies
//! clean; restricted money spent on something else, a release typed by hand and a
//! two-column statement one fen off are each found at their entry with their code, by
//! an insider who re-signs with the trustees' real keys.

use std::sync::OnceLock;

use ed25519_dalek::Signer;
use ledger_core::body::{Body, Kind};
use ledger_core::canonical::canonicalize;
use ledger_core::entry::{signing_message, Entry};
use ledger_core::hash::leaf_hash;
use ledger_core::keys::PublicKey;
use ledger_core::money::{Amount, Money};
use ledger_core::sample::{build, Restatement, SampleFund, SampleSpec, Story};
use ledger_core::state::FundState;
use serde_json::{json, Value};

use crate::support::{verify_json, HOST};

/// A year of a fund whose restricted gift is spent month by month, then closed.
fn fund() -> &'static SampleFund {
    static FUND: OnceLock<SampleFund> = OnceLock::new();
    FUND.get_or_init(|| {
        let mut spec = SampleSpec::example("restricted-fund", 21, 240, 12);
        spec.story = Some(Story::restricted_example(false));
        build(&spec, HOST).expect("the restricted sample builds")
    })
}

fn entries() -> Vec<Entry> {
    fund().entries().expect("sample entries parse")
}

/// The fund's state after its first `seq` entries.
fn state_before(seq: usize) -> FundState {
    let f = fund();
    let operator = PublicKey::from_verifying_key(f.keys.operator.verifying_key());
    let mut st = FundState::new(f.state.fund().clone(), operator);
    for line in &f.lines[..seq] {
        let e = Entry::parse(line).expect("sample entry").entry;
        st.apply(&e, leaf_hash(line)).expect("sample entry applies");
    }
    st
}

#[test]
fn a_fund_with_restricted_money_verifies_clean() {
    let r = verify_json(&fund().export().expect("export"), &[]);
    assert_eq!(r.code, Some(0), "{r:?}");
    let kinds: Vec<Kind> = entries().iter().map(|e| e.intent.kind()).collect();
    for k in [Kind::Restriction, Kind::RestrictionClosing] {
        assert!(kinds.contains(&k), "no {k:?}");
    }
}

/// An unrestricted disbursement rewritten to take more than the unrestricted money (the
/// rest of the balance is the restricted gift) and re-signed: `unrestricted_overdraft`.
#[test]
fn restricted_money_spent_for_another_purpose_is_found_at_its_entry() {
    let mut entries = entries();
    let s = (0..entries.len())
        .find(|s| {
            matches!(&entries[*s].intent.body, Body::Disbursement(d) if d.restriction.is_none())
                && state_before(*s).restricted_balance() > Money::ZERO
        })
        .expect("an unrestricted grant while restricted money is held");
    let before = state_before(s);
    let Body::Disbursement(d) = &mut entries[s].intent.body else {
        unreachable!()
    };
    d.amount = Amount::from_fen(before.unrestricted_balance().to_fen() + 1).expect("amount");
    d.purpose = "另作他用".parse().expect("text");
    assert!(
        Money::from(d.amount) <= before.balance(),
        "within the whole balance"
    );
    let lines = fund()
        .rechain(entries, s, Restatement::FixRoots, &[])
        .expect("rechain");
    let r = verify_json(&fund().export_of(&lines).expect("export"), &[]);
    assert_eq!(r.first(), ("unrestricted_overdraft".into(), Some(s as u64)));
}

/// A restricted disbursement given a `release` member and re-signed: the entry does not
/// parse, `release_not_derived`.
#[test]
fn a_release_typed_by_hand_is_found_at_its_entry() {
    let f = fund();
    let entries = entries();
    let s = entries
        .iter()
        .position(|e| matches!(&e.intent.body, Body::Disbursement(d) if d.restriction.is_some()))
        .expect("a restricted disbursement");
    let mut value: Value = serde_json::from_slice(&f.lines[s]).expect("json");
    value["intent"]["body"]["release"] = value["intent"]["body"]["amount"].clone();
    let intent_bytes = canonicalize(&value["intent"]);
    let mut sigs: Vec<(String, String)> = entries[s]
        .sigs
        .iter()
        .map(|sig| {
            let key = f.signing_key(&sig.key, &[]).expect("a sample key");
            let signature = key.sign(&signing_message(&intent_bytes));
            (sig.key.to_hex(), hex::encode(signature.to_bytes()))
        })
        .collect();
    sigs.sort();
    value["sigs"] = sigs
        .into_iter()
        .map(|(key, sig)| json!({"key": key, "sig": sig}))
        .collect();
    let mut lines = f.lines.clone();
    lines[s] = canonicalize(&value);
    // The entries after it link to it (prev is not signed).
    for i in s + 1..lines.len() {
        let mut e = Entry::parse(&lines[i]).expect("entry").entry;
        e.prev = leaf_hash(&lines[i - 1]);
        lines[i] = e.canonical_bytes();
    }
    let r = verify_json(&f.export_of(&lines).expect("export"), &[]);
    assert_eq!(r.first(), ("release_not_derived".into(), Some(s as u64)));
}

/// A two-column statement whose restricted closing is one fen more, re-signed by the
/// statement quorum: `statement_mismatch` naming `restricted.closing`.
#[test]
fn a_restricted_column_one_fen_off_is_found_at_its_statement() {
    let mut entries = entries();
    let s = entries
        .iter()
        .position(|e| {
            matches!(&e.intent.body, Body::Statement(st)
                if st.restricted.as_ref().is_some_and(|r| r.closing > Money::ZERO))
        })
        .expect("a two-column statement with restricted money");
    let Body::Statement(st) = &mut entries[s].intent.body else {
        unreachable!()
    };
    let r = st.restricted.as_mut().expect("restricted column");
    r.closing = Money::from_fen(r.closing.to_fen() + 1).expect("money");
    let lines = fund()
        .rechain(entries, s, Restatement::FixRoots, &[])
        .expect("rechain");
    let run = verify_json(&fund().export_of(&lines).expect("export"), &[]);
    assert_eq!(run.first(), ("statement_mismatch".into(), Some(s as u64)));
    let finding = &run.json()["findings"][0];
    assert!(
        finding.to_string().contains("restricted.closing"),
        "{finding}"
    );
}
