//! One signature rule everywhere: a signature is accepted one by one (the server, the
//! sequential verifier) exactly when it is accepted in a batch (the parallel verifier).
//! A trustee can craft signatures whose R carries a small-order component; under the
//! ZIP-215 rules both paths accept them (the key holder signed), and no path disagrees.

use ed25519_dalek::SigningKey;
use ledger_core::entry::{signing_message, verify_signatures, Entry};
use ledger_core::keys::SignatureBytes;
use ledger_core::sample::lenient::{lenient_signature, Lenient};
use ledger_core::sample::{build, key_from_label, SampleSpec};
use ledger_core::verify::{prepare_lines, verify_export, Expectations, Prepared};

/// An RFC 8032 signature except that R has a torsion point of order `torsion` added.
fn crafted(key: &SigningKey, msg: &[u8], nonce: u64, torsion: usize) -> [u8; 64] {
    lenient_signature(key, msg, Lenient::TorsionR { torsion, nonce }).0
}

#[test]
fn single_and_batch_verification_agree_on_torsion_signatures() {
    let fund = build(&SampleSpec::example("t", 9, 200, 6), "ledger.example").unwrap();
    let (target, p) = fund
        .lines
        .iter()
        .enumerate()
        .skip(100)
        .map(|(i, l)| (i, Entry::parse(l).unwrap()))
        .find(|(_, p)| p.entry.sigs.len() == 1)
        .unwrap();
    let signer = (0..4)
        .map(|i| key_from_label(&format!("trustee/9/{i}")))
        .find(|k| k.verifying_key().to_bytes() == *p.entry.sigs[0].key.as_bytes())
        .unwrap();
    let msg = signing_message(&p.intent_bytes);
    let mut checked = 0;
    for torsion in 1..8 {
        for nonce in 0..8u64 {
            let mut entry = p.entry.clone();
            entry.sigs[0].sig = SignatureBytes(crafted(&signer, &msg, nonce, torsion));
            let single = verify_signatures(&entry.sigs, &p.intent_bytes).is_ok();
            let line = entry.canonical_bytes();
            // The same line inside a batch of genuine ones.
            let mut lines: Vec<Vec<u8>> = fund.lines[target - 20..target].to_vec();
            lines.push(line.clone());
            let batched = prepare_lines(&lines)
                .into_iter()
                .last()
                .map(|p| {
                    matches!(
                        p,
                        Prepared::Entry {
                            signatures: Ok(()),
                            ..
                        }
                    )
                })
                .unwrap();
            assert_eq!(single, batched, "torsion {torsion}, nonce {nonce}");
            // Under ZIP-215 the cofactored equation accepts them: the key holder signed.
            assert!(single, "torsion {torsion}, nonce {nonce}");
            checked += 1;
        }
    }
    assert_eq!(checked, 56);
    // A signature over other bytes is refused by both.
    let mut entry = p.entry.clone();
    entry.sigs[0].sig = SignatureBytes(crafted(&signer, b"other bytes", 0, 0));
    assert!(verify_signatures(&entry.sigs, &p.intent_bytes).is_err());
    let batched = prepare_lines(&[entry.canonical_bytes()]);
    assert!(matches!(
        &batched[0],
        Prepared::Entry {
            signatures: Err(_),
            ..
        }
    ));
}

#[test]
fn sequential_and_parallel_reports_agree_on_a_crafted_signature() {
    let fund = build(&SampleSpec::example("t", 9, 300, 6), "ledger.example").unwrap();
    let export = fund.export().unwrap();
    let mut lines: Vec<Vec<u8>> = export
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| l.to_vec())
        .collect();
    let (i, p) = lines
        .iter()
        .enumerate()
        .skip(150)
        .filter_map(|(i, l)| Entry::parse(l).ok().map(|p| (i, p)))
        .find(|(_, p)| p.entry.sigs.len() == 1)
        .unwrap();
    let signer = (0..4)
        .map(|k| key_from_label(&format!("trustee/9/{k}")))
        .find(|k| k.verifying_key().to_bytes() == *p.entry.sigs[0].key.as_bytes())
        .unwrap();
    let mut entry = p.entry.clone();
    entry.sigs[0].sig = SignatureBytes(crafted(&signer, &signing_message(&p.intent_bytes), 1, 4));
    lines[i] = entry.canonical_bytes();
    let exp: Vec<u8> = lines
        .iter()
        .flat_map(|x| x.iter().copied().chain([b'\n']))
        .collect();
    let seq = verify_export(&exp, Expectations::default());
    let par = ledger_core::parallel::verify_export_parallel(&exp, Expectations::default(), 2, 64);
    let codes = |r: &ledger_core::verify::Report| {
        r.findings
            .iter()
            .map(|f| (f.code, f.line))
            .collect::<Vec<_>>()
    };
    assert_eq!(codes(&seq), codes(&par));
    assert_eq!(seq.balance, par.balance);
}

#[test]
fn batch_of_intents_gives_what_each_check_alone_gives() {
    use ledger_core::entry::Sig;
    use ledger_core::verify::verify_signatures_batch;
    let fund = build(&SampleSpec::example("b", 9, 120, 4), "ledger.example").unwrap();
    let parsed: Vec<_> = fund
        .lines
        .iter()
        .map(|l| Entry::parse(l).unwrap())
        .collect();
    let signer = |key: &[u8; 32]| {
        (0..4)
            .map(|k| key_from_label(&format!("trustee/9/{k}")))
            .find(|k| k.verifying_key().to_bytes() == *key)
    };
    // Genuine, crafted (torsion in R: valid under ZIP-215), over other bytes, flipped bits.
    let mut items: Vec<(Vec<Sig>, Vec<u8>)> = Vec::new();
    for (i, p) in parsed.iter().enumerate().skip(1) {
        let mut sigs = p.entry.sigs.clone();
        let msg = signing_message(&p.intent_bytes);
        match i % 7 {
            1 => {
                if let Some(k) = signer(sigs[0].key.as_bytes()) {
                    sigs[0].sig = SignatureBytes(crafted(&k, &msg, i as u64, i % 8));
                }
            }
            3 => {
                if let Some(k) = signer(sigs[0].key.as_bytes()) {
                    sigs[0].sig = SignatureBytes(crafted(&k, b"other bytes", 0, 0));
                }
            }
            5 => {
                let last = sigs.len() - 1;
                sigs[last].sig.0[40] ^= 1;
            }
            _ => {}
        }
        items.push((sigs, p.intent_bytes.clone()));
    }
    let refs: Vec<(&[Sig], &[u8])> = items
        .iter()
        .map(|(s, b)| (s.as_slice(), b.as_slice()))
        .collect();
    let alone: Vec<_> = refs.iter().map(|(s, b)| verify_signatures(s, b)).collect();
    assert!(alone.iter().any(|r| r.is_err()) && alone.iter().any(|r| r.is_ok()));
    assert_eq!(verify_signatures_batch(&refs), alone);
    // All good: the batch passes as a whole.
    let good: Vec<(&[Sig], &[u8])> = refs
        .iter()
        .zip(&alone)
        .filter(|(_, r)| r.is_ok())
        .map(|(x, _)| *x)
        .collect();
    assert!(verify_signatures_batch(&good).iter().all(|r| r.is_ok()));
    assert!(verify_signatures_batch(&[]).is_empty());
}

/// Lenient on read (FORMAT.md §3): an export whose entry carries a signature that only the
/// ZIP-215 rule accepts (each edge case the server now refuses at write) still verifies
/// clean, and a non-canonical `s` is still `bad_signature`.
#[test]
fn old_exports_with_lenient_signatures_still_verify() {
    let fund = build(&SampleSpec::example("t", 9, 120, 6), "ledger.example").unwrap();
    let (i, p) = fund
        .lines
        .iter()
        .enumerate()
        .skip(60)
        .map(|(i, l)| (i, Entry::parse(l).unwrap()))
        .find(|(_, p)| p.entry.sigs.len() == 1)
        .unwrap();
    let signer = fund.signing_key(&p.entry.sigs[0].key, &[]).unwrap();
    let msg = signing_message(&p.intent_bytes);
    for (name, form) in ledger_core::sample::lenient::EDGE_CASES {
        let mut entry = p.entry.clone();
        entry.sigs[0].sig = lenient_signature(signer, &msg, form);
        assert!(
            !ledger_core::strict::signature_is_strict(&entry.sigs[0].key, &msg, &entry.sigs[0].sig),
            "{name}"
        );
        let mut lines = fund.lines[..i].to_vec();
        lines.push(entry.canonical_bytes());
        let export = fund.export_of(&lines).unwrap();
        let codes: Vec<&str> = verify_export(&export, Expectations::default())
            .findings
            .iter()
            .map(|f| f.code)
            .collect();
        let expected: &[&str] = match form {
            Lenient::NonCanonicalS => &["bad_signature"],
            _ => &[],
        };
        assert_eq!(codes, expected, "{name}");
    }
}
