//! Donor receipts (FORMAT.md §11): a receipt from a sample fund verifies with nothing
//! else; every byte of it that matters is tamper-evident; each targeted change is refused
//! with its own code.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use ledger_core::body::{Body, DonorClass, Kind};
use ledger_core::checkpoint::Checkpoint;
use ledger_core::entry::Entry;
use ledger_core::error::Coded;
use ledger_core::hash::{leaf_hash, Hash};
use ledger_core::keys::PublicKey;
use ledger_core::merkle::MemoryTree;
use ledger_core::note::NoteSigner;
use ledger_core::receipt::{
    parse_receipt, verify_receipt, Receipt, ReceiptDonor, ReceiptSigner, RECEIPT_VERSION,
};
use ledger_core::sample::{build, key_from_label, SampleFund, SampleSpec};

const FUND: &str = "receipt-fund";
const HOST: &str = "ledger.example";
const ENTRIES: usize = 300;

/// One 300-entry fund for every test of this file.
fn fund() -> &'static SampleFund {
    static FUND_ONCE: OnceLock<SampleFund> = OnceLock::new();
    FUND_ONCE.get_or_init(|| {
        build(&SampleSpec::example(FUND, 11, ENTRIES, 12), HOST).expect("sample fund")
    })
}

fn body_of(seq: u64) -> Body {
    Entry::parse(&fund().lines[seq as usize])
        .unwrap()
        .entry
        .intent
        .body
}

/// A resident donation with a vault record, from the middle of the log (so its proof has
/// both inner and border hashes).
fn donation_seq() -> u64 {
    let vault = &fund().vault;
    let seq = vault[vault.len() / 2].0;
    assert!(matches!(body_of(seq), Body::Donation(ref d) if d.donor.class == DonorClass::Resident));
    seq
}

/// The first entry of `kind` that is not a resident donation.
fn first_seq(pred: impl Fn(&Body) -> bool) -> u64 {
    (0..ENTRIES as u64)
        .find(|s| pred(&body_of(*s)))
        .expect("an entry of that kind")
}

fn code(r: &Receipt) -> &'static str {
    match verify_receipt(r) {
        Ok(v) => panic!("verified: {v:?}"),
        Err(e) => {
            assert!(!e.message_en().is_empty() && !e.message_zh().is_empty());
            e.code()
        }
    }
}

/// A receipt over arbitrary lines, signed by the sample's log key (for entries the sample
/// itself would never write).
fn receipt_over(lines: &[Vec<u8>], origin: &str, seq: u64, signers: Vec<ReceiptSigner>) -> Receipt {
    let f = fund();
    let leaves: Vec<Hash> = lines.iter().map(|l| leaf_hash(l)).collect();
    let tree = MemoryTree::from_leaves(&leaves);
    let checkpoint = Checkpoint {
        origin: origin.to_owned(),
        tree_size: tree.size(),
        root: tree.root(),
        extensions: vec![],
    }
    .sign(&f.keys.log)
    .unwrap();
    Receipt {
        version: RECEIPT_VERSION.into(),
        origin: origin.into(),
        log_key: f.keys.log.verifier().to_vkey(),
        entry: String::from_utf8(lines[seq as usize].clone()).unwrap(),
        seq,
        tree_size: tree.size(),
        inclusion: tree.inclusion_proof(seq, tree.size()).unwrap(),
        checkpoint,
        signers,
        donor: None,
    }
}

#[test]
fn donation_receipt_verifies_with_and_without_donor() {
    let f = fund();
    let seq = donation_seq();
    let with = f.receipt(seq, true).unwrap();
    let without = f.receipt(seq, false).unwrap();
    assert!(with.donor.is_some() && without.donor.is_none());
    assert_eq!(
        Receipt {
            donor: None,
            ..with.clone()
        },
        without
    );

    let v = verify_receipt(&with).unwrap();
    assert!(v.donor_confirmed);
    assert_eq!(v.fund.as_str(), FUND);
    assert_eq!(v.seq, seq);
    assert_eq!(v.kind, Kind::Donation);
    let Body::Donation(d) = body_of(seq) else {
        unreachable!()
    };
    assert_eq!(v.amount, Some(d.amount));
    assert_eq!(v.tree_size, ENTRIES as u64);
    assert_eq!(v.root, f.root());
    assert!(!verify_receipt(&without).unwrap().donor_confirmed);
    assert_eq!(
        verify_receipt(&without).unwrap(),
        ledger_core::receipt::VerifiedReceipt {
            donor_confirmed: false,
            ..v
        }
    );

    // JSON round trip, compact and pretty, through serde and `parse_receipt`.
    for r in [&with, &without] {
        let compact = serde_json::to_vec(r).unwrap();
        let pretty = serde_json::to_vec_pretty(r).unwrap();
        assert_eq!(&parse_receipt(&compact).unwrap(), r);
        assert_eq!(&parse_receipt(&pretty).unwrap(), r);
        assert_eq!(&serde_json::from_slice::<Receipt>(&compact).unwrap(), r);
        let value: serde_json::Value = serde_json::from_slice(&compact).unwrap();
        assert_eq!(value["version"], RECEIPT_VERSION);
        assert_eq!(value["seq"], seq);
        assert_eq!(value.get("donor").is_some(), r.donor.is_some());
        assert!(value["inclusion"][0].as_str().unwrap().len() == 64);
    }
}

#[test]
fn receipts_of_other_kinds_verify_without_donor() {
    let f = fund();
    let cases = [
        (0, Kind::Genesis, false),
        (
            first_seq(|b| matches!(b, Body::Disbursement(_))),
            Kind::Disbursement,
            true,
        ),
        (
            first_seq(|b| matches!(b, Body::Statement(_))),
            Kind::Statement,
            false,
        ),
        (
            ENTRIES as u64 - 1,
            body_of(ENTRIES as u64 - 1).kind(),
            false,
        ),
    ];
    for (seq, kind, has_amount) in cases {
        let r = f.receipt(seq, false).unwrap();
        let v = verify_receipt(&r).unwrap();
        assert_eq!((v.seq, v.kind, v.donor_confirmed), (seq, kind, false));
        if seq != ENTRIES as u64 - 1 {
            assert_eq!(v.amount.is_some(), has_amount, "{kind:?}");
        }
    }
    // The operator signs genesis: not a trustee, so no name; trustees have theirs.
    let genesis = f.receipt(0, false).unwrap();
    assert_eq!(genesis.signers.len(), 1);
    assert_eq!(genesis.signers[0].name, None);
    let grant = f
        .receipt(first_seq(|b| matches!(b, Body::Disbursement(_))), false)
        .unwrap();
    assert_eq!(grant.signers.len(), 2);
    assert!(f.receipt(0, true).is_err(), "genesis has no vault record");
    assert!(f.receipt(ENTRIES as u64, false).is_err());
}

/// Another printable ASCII byte than `b`: the next digit, the next letter of the same
/// case, or `x` for anything else (newline, space, punctuation).
fn other_ascii(b: u8) -> char {
    match b {
        b'0'..=b'9' => (b'0' + (b - b'0' + 1) % 10) as char,
        b'a'..=b'z' => (b'a' + (b - b'a' + 1) % 26) as char,
        b'A'..=b'Z' => (b'A' + (b - b'A' + 1) % 26) as char,
        _ => 'x',
    }
}

/// `s` with byte `i` replaced: an ASCII byte by another printable ASCII byte; a byte of a
/// multi-byte character by replacing that whole character with an ASCII letter (which
/// letter depends on the byte's place in the character).
fn replace_byte(s: &str, i: usize) -> String {
    let start = (0..=i).rev().find(|j| s.is_char_boundary(*j)).unwrap();
    let c = s[start..].chars().next().unwrap();
    let with = if c.is_ascii() {
        other_ascii(c as u8)
    } else {
        ['q', 'r', 's', 't'][i - start]
    };
    let mut out = String::with_capacity(s.len());
    out.push_str(&s[..start]);
    out.push(with);
    out.push_str(&s[start + c.len_utf8()..]);
    assert_ne!(out, s);
    out
}

#[test]
fn every_byte_of_entry_proof_and_checkpoint_is_tamper_evident() {
    let good = fund().receipt(donation_seq(), true).unwrap();
    assert!(verify_receipt(&good).unwrap().donor_confirmed);
    let mut codes: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut checked = 0;

    for i in 0..good.entry.len() {
        let mut r = good.clone();
        r.entry = replace_byte(&good.entry, i);
        let c = code(&r);
        *codes.entry(("entry", c)).or_default() += 1;
        checked += 1;
    }
    for h in 0..good.inclusion.len() {
        for j in 0..32 {
            let mut r = good.clone();
            r.inclusion[h].0[j] ^= 1 << (j % 8);
            assert_eq!(code(&r), "inclusion_proof", "hash {h} byte {j}");
            checked += 1;
        }
    }
    for i in 0..good.checkpoint.len() {
        let mut r = good.clone();
        r.checkpoint = replace_byte(&good.checkpoint, i);
        let c = code(&r);
        assert!(c.starts_with("checkpoint_"), "byte {i}: {c}");
        *codes.entry(("checkpoint", c)).or_default() += 1;
        checked += 1;
    }
    assert!(good.inclusion.len() >= 5);
    assert_eq!(
        checked,
        good.entry.len() + 32 * good.inclusion.len() + good.checkpoint.len()
    );
    eprintln!("{checked} tampered receipts refused: {codes:?}");
}

#[test]
fn targeted_changes_are_refused_with_their_code() {
    let f = fund();
    let seq = donation_seq();
    let good = f.receipt(seq, true).unwrap();
    let check = |what: &str, want: &str, change: &dyn Fn(&mut Receipt)| {
        let mut r = good.clone();
        change(&mut r);
        assert_eq!(code(&r), want, "{what}");
    };

    check("unknown version", "receipt_version", &|r| {
        r.version = "community-ledger/receipt/v2".into()
    });
    check("entry not canonical", "receipt_entry", &|r| {
        r.entry = r.entry.replacen(':', ": ", 1)
    });
    check("seq of another entry", "receipt_seq", &|r| r.seq += 1);
    check("seq beyond the tree", "receipt_seq", &|r| {
        r.tree_size = r.seq
    });
    check("smaller tree size", "checkpoint_size", &|r| {
        r.tree_size -= 1
    });
    check("larger tree size", "checkpoint_size", &|r| r.tree_size += 1);
    check("checkpoint not a note", "checkpoint_malformed", &|r| {
        r.checkpoint = "not a note\n".into()
    });
    let other_log = NoteSigner::new(HOST, key_from_label("another log key")).unwrap();
    check("another log key", "checkpoint_signature", &|r| {
        r.log_key = other_log.verifier().to_vkey()
    });
    check("log key malformed", "checkpoint_signature", &|r| {
        r.log_key = "ledger.example+00000000+AAAA".into()
    });
    check("another origin", "checkpoint_origin", &|r| {
        r.origin = format!("{HOST}/another-fund")
    });
    check("proof one hash short", "inclusion_proof", &|r| {
        r.inclusion.pop();
    });
    check("proof one hash long", "inclusion_proof", &|r| {
        r.inclusion.push(Hash([7; 32]))
    });
    check("proof hashes swapped", "inclusion_proof", &|r| {
        r.inclusion.swap(0, 1)
    });
    let stranger = PublicKey::from_verifying_key(key_from_label("stranger").verifying_key());
    check("signer removed", "signers_mismatch", &|r| {
        r.signers.pop();
    });
    check("signer added", "signers_mismatch", &|r| {
        r.signers.push(ReceiptSigner {
            key: stranger,
            name: Some("管理人戊".into()),
        })
    });
    check("signer listed twice", "signers_mismatch", &|r| {
        r.signers.push(r.signers[0].clone())
    });
    check("signer replaced", "signers_mismatch", &|r| {
        r.signers[0].key = stranger
    });
    let check_donor = |what: &str, change: &dyn Fn(&mut ReceiptDonor)| {
        let mut r = good.clone();
        change(r.donor.as_mut().unwrap());
        assert_eq!(code(&r), "donor_commitment", "{what}");
    };
    check_donor("donor name changed", &|d| d.name.push('某'));
    check_donor("donor phone changed", &|d| {
        d.phone = replace_byte(&d.phone, 10)
    });
    check_donor("donor salt changed", &|d| d.salt = replace_byte(&d.salt, 0));
    check_donor("donor salt in capitals", &|d| {
        d.salt = d.salt.to_uppercase()
    });
    check_donor("donor salt too short", &|d| d.salt.truncate(30));
    check_donor("a character moved from name to phone", &|d| {
        let last = d.name.pop().unwrap();
        d.phone.insert(0, last);
    });

    // A signer's name is informative: changing or dropping it changes nothing proven.
    let mut renamed = good.clone();
    renamed.signers[0].name = None;
    assert!(verify_receipt(&renamed).unwrap().donor_confirmed);
}

#[test]
fn donor_part_on_anything_but_a_resident_donation_is_refused() {
    let f = fund();
    let donor = f.receipt(donation_seq(), true).unwrap().donor;
    let not_resident = [
        first_seq(|b| matches!(b, Body::Disbursement(_))),
        first_seq(|b| matches!(b, Body::Rental(_))),
        first_seq(|b| matches!(b, Body::Donation(d) if d.donor.class == DonorClass::Enterprise)),
        first_seq(|b| matches!(b, Body::Donation(d) if d.donor.class == DonorClass::Anonymous)),
        0,
    ];
    for seq in not_resident {
        let mut r = f.receipt(seq, false).unwrap();
        assert!(verify_receipt(&r).is_ok());
        r.donor.clone_from(&donor);
        assert_eq!(code(&r), "donor_commitment", "seq {seq}");
    }
    // Another resident's donation: the commitment is not theirs.
    let other = f.vault[0].0;
    assert_ne!(other, donation_seq());
    let mut r = f.receipt(other, false).unwrap();
    r.donor = donor;
    assert_eq!(code(&r), "donor_commitment");
}

#[test]
fn bad_intent_signature_and_wrong_fund_are_refused() {
    let f = fund();
    let seq = donation_seq();
    let signers = f.receipt(seq, false).unwrap().signers;

    // The signature of another entry: the line still parses, the proof and checkpoint
    // are over the changed line, so only the intent signature check can catch it.
    let mut lines = f.lines.clone();
    let mine = Entry::parse(&lines[seq as usize]).unwrap().entry.sigs[0].sig;
    let other = Entry::parse(&lines[seq as usize + 1]).unwrap().entry.sigs[0].sig;
    let text = String::from_utf8(lines[seq as usize].clone()).unwrap();
    lines[seq as usize] = text.replace(&mine.to_hex(), &other.to_hex()).into_bytes();
    let origin = format!("{HOST}/{FUND}");
    let r = receipt_over(&lines, &origin, seq, signers.clone());
    assert_eq!(code(&r), "intent_signature");

    // The log key signs the fund's log under another fund's origin.
    let r = receipt_over(
        &f.lines,
        &format!("{HOST}/another-fund"),
        seq,
        signers.clone(),
    );
    assert_eq!(code(&r), "fund_mismatch");
    let r = receipt_over(&f.lines, FUND, seq, signers.clone());
    assert_eq!(code(&r), "fund_mismatch", "an origin without a path");
    let r = receipt_over(&f.lines, &origin, seq, signers);
    assert!(verify_receipt(&r).is_ok());
}

#[test]
fn malformed_documents_are_receipt_malformed() {
    let good = serde_json::to_value(fund().receipt(donation_seq(), true).unwrap()).unwrap();
    let mut unknown = good.clone();
    unknown["extra"] = serde_json::json!(1);
    let mut signer_extra = good.clone();
    signer_extra["signers"][0]["role"] = serde_json::json!("trustee");
    let mut bad_hash = good.clone();
    bad_hash["inclusion"][0] = serde_json::json!("00");
    let mut bad_key = good.clone();
    bad_key["signers"][0]["key"] = serde_json::json!("zz");
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("checkpoint");
    let mut donor_extra = good.clone();
    donor_extra["donor"]["id_card"] = serde_json::json!("x");
    for (what, v) in [
        ("unknown field", unknown),
        ("unknown signer field", signer_extra),
        ("bad hash", bad_hash),
        ("bad key", bad_key),
        ("missing field", missing),
        ("unknown donor field", donor_extra),
    ] {
        let e = parse_receipt(&serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert_eq!(e.code(), "receipt_malformed", "{what}");
    }
    for doc in [&b""[..], b"{", b"not json", b"[]"] {
        assert_eq!(parse_receipt(doc).unwrap_err().code(), "receipt_malformed");
    }
}

#[test]
fn a_receipt_names_its_log_key_so_trust_in_it_is_the_readers() {
    // Whoever holds some log key can make a self-consistent receipt for a log they
    // invent: `verify_receipt` proves the receipt against `log_key`, and the reader must
    // compare that key with the deployment's published one (FORMAT.md §11).
    let f = fund();
    let seq = donation_seq();
    let mut r = f.receipt(seq, false).unwrap();
    let other_log = NoteSigner::new(HOST, key_from_label("another log key")).unwrap();
    let cp = Checkpoint::parse(ledger_core::note::parse_note(&r.checkpoint).unwrap().text).unwrap();
    r.checkpoint = cp.sign(&other_log).unwrap();
    assert_eq!(code(&r), "checkpoint_signature");
    r.log_key = other_log.verifier().to_vkey();
    assert!(verify_receipt(&r).is_ok());
    assert_ne!(r.log_key, f.keys.log.verifier().to_vkey());
}
