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

/// dalek's `verify_strict` with the key decompressed afresh: what the write rule was
/// before [`ledger_core::strict`] kept checked keys per thread.
fn strict_uncached(key: &[u8; 32], msg: &[u8], sig: &SignatureBytes) -> bool {
    ledger_core::strict::point_is_strict(key)
        && ed25519_dalek::VerifyingKey::from_bytes(key).is_ok_and(|vk| {
            vk.verify_strict(msg, &ed25519_dalek::Signature::from_bytes(&sig.0))
                .is_ok()
        })
}

/// The write rule keeps each checked key per thread: its verdict on every edge case, on
/// a genuine signature, on other bytes and under a non-canonical key is the verdict of
/// `verify_strict` with the key decompressed afresh, on a cold cache and a warm one, and
/// after the cache has been filled with other keys and emptied of this one.
#[test]
fn the_cached_write_rule_gives_verify_strict_verdict_cold_and_warm() {
    let signer = key_from_label("strict/cache");
    let key = ledger_core::keys::PublicKey::from_verifying_key(signer.verifying_key());
    let msg = signing_message(b"{\"intent\":1}");
    let mut cases: Vec<(String, SignatureBytes, &[u8])> = ledger_core::sample::lenient::EDGE_CASES
        .iter()
        .map(|(name, form)| {
            (
                name.to_string(),
                lenient_signature(&signer, &msg, *form),
                &msg[..],
            )
        })
        .collect();
    let genuine = SignatureBytes(ed25519_dalek::Signer::sign(&signer, &msg).to_bytes());
    // Every point of small order as R, and every torsion component added to R.
    for torsion in 0..8 {
        let sig = lenient_signature(&signer, &msg, Lenient::SmallOrderR { torsion });
        cases.push((format!("small-order R {torsion}"), sig, &msg[..]));
        let sig = lenient_signature(&signer, &msg, Lenient::TorsionR { torsion, nonce: 5 });
        let name = if torsion == 0 {
            "genuine"
        } else {
            "mixed-order R"
        };
        cases.push((name.to_string(), sig, &msg[..]));
    }
    cases.push(("genuine".into(), genuine, &msg[..]));
    cases.push(("other bytes".into(), genuine, b"other bytes"));
    let run = |cases: &[(String, SignatureBytes, &[u8])]| {
        for (name, sig, m) in cases {
            let expected = strict_uncached(key.as_bytes(), m, sig);
            assert_eq!(
                ledger_core::strict::signature_is_strict(&key, m, sig),
                expected,
                "{name}"
            );
            assert_eq!(expected, name == "genuine", "{name}");
        }
    };
    // Cold (a fresh thread), then warm, then after 100 other keys pushed it out.
    std::thread::scope(|s| {
        s.spawn(|| {
            run(&cases);
            run(&cases);
            for i in 0..100 {
                let other = key_from_label(&format!("strict/other/{i}"));
                let sig = SignatureBytes(ed25519_dalek::Signer::sign(&other, &msg).to_bytes());
                let pk = ledger_core::keys::PublicKey::from_verifying_key(other.verifying_key());
                assert!(ledger_core::strict::signature_is_strict(&pk, &msg, &sig));
            }
            run(&cases);
        });
    });
    // A key that is not canonically encoded is refused on a cold and a warm cache, even
    // for a signature the lenient rule would take.
    let odd = ledger_core::sample::lenient::non_canonical_key();
    if let Ok(pk) = ledger_core::keys::PublicKey::from_bytes(odd) {
        for _ in 0..2 {
            assert!(!ledger_core::strict::signature_is_strict(
                &pk, &msg, &genuine
            ));
            assert!(!strict_uncached(&odd, &msg, &genuine));
        }
    }
}

/// Why the write rule cannot simply be batched: a signature whose `R` carries a torsion
/// component (`r_mixed_order`), made by the key's holder, passes every per-signature
/// precheck of the strict rule (`s` < ℓ, `R` canonical and not of small order, the key
/// strict) and the cofactored batch equation, yet the cofactorless equation refuses it.
/// A batch can only be told apart from it by a per-signature torsion check of `R`, which
/// costs a full scalar multiplication, as much as the check it would replace.
#[test]
fn a_batch_with_strict_prechecks_still_accepts_what_the_strict_rule_refuses() {
    let signer = key_from_label("strict/batch");
    let key = ledger_core::keys::PublicKey::from_verifying_key(signer.verifying_key());
    let msg = signing_message(b"{\"intent\":2}");
    for torsion in 1..8 {
        let sig = lenient_signature(&signer, &msg, Lenient::TorsionR { torsion, nonce: 3 });
        let r: [u8; 32] = sig.0[..32].try_into().unwrap();
        assert!(
            ledger_core::strict::point_is_strict(&r),
            "torsion {torsion}: R passes"
        );
        assert!(ledger_core::strict::key_is_strict(&key));
        let mut batch = ed25519_zebra::batch::Verifier::new();
        batch.queue((
            key.zip215_bytes(),
            ed25519_zebra::Signature::from(sig.0),
            &msg[..],
        ));
        assert!(
            batch.verify(rand_core::OsRng).is_ok(),
            "torsion {torsion}: the batch accepts"
        );
        assert!(
            !ledger_core::strict::signature_is_strict(&key, &msg, &sig),
            "torsion {torsion}"
        );
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// For any key, message and form of signature (genuine, every edge case, a flipped
    /// byte anywhere), the write rule's verdict is `verify_strict`'s.
    #[test]
    fn the_write_rule_is_verify_strict(
        seed in proptest::prelude::any::<[u8; 32]>(),
        msg in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        form in 0usize..8,
        flip in proptest::option::of((0usize..64, 1u8..=255)),
    ) {
        let signer = SigningKey::from_bytes(&seed);
        let key = ledger_core::keys::PublicKey::from_verifying_key(signer.verifying_key());
        let mut sig = match form {
            0 => SignatureBytes(ed25519_dalek::Signer::sign(&signer, &msg).to_bytes()),
            f => lenient_signature(&signer, &msg, ledger_core::sample::lenient::EDGE_CASES[(f - 1) % 6].1),
        };
        if let Some((at, x)) = flip {
            sig.0[at] ^= x;
        }
        proptest::prop_assert_eq!(
            ledger_core::strict::signature_is_strict(&key, &msg, &sig),
            strict_uncached(key.as_bytes(), &msg, &sig)
        );
    }
}
