//! RFC 8032 §7.1 Ed25519 vectors, checked against ed25519-dalek directly.

mod common;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

#[test]
fn rfc8032_section_7_1() {
    let Some(dir) = common::vectors_dir() else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("ed25519/rfc8032_section7_1.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let vectors = doc["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 5);
    for v in vectors {
        let name = v["name"].as_str().unwrap();
        let field = |k: &str| hex::decode(v[k].as_str().unwrap()).unwrap();
        let seed: [u8; 32] = field("secret_key").try_into().unwrap();
        let public: [u8; 32] = field("public_key").try_into().unwrap();
        let message = field("message");
        assert_eq!(
            message.len() as u64,
            v["message_len"].as_u64().unwrap(),
            "{name}"
        );
        let expected: [u8; 64] = field("signature").try_into().unwrap();

        let sk = SigningKey::from_bytes(&seed);
        assert_eq!(sk.verifying_key().to_bytes(), public, "{name}: public key");
        let sig = sk.sign(&message);
        assert_eq!(sig.to_bytes(), expected, "{name}: signature");

        let vk = VerifyingKey::from_bytes(&public).unwrap();
        let expected_sig = Signature::from_bytes(&expected);
        assert!(vk.verify(&message, &expected_sig).is_ok(), "{name}");
        assert!(vk.verify_strict(&message, &expected_sig).is_ok(), "{name}");
        // The ledger's own rule (ZIP-215, `PublicKey::verify`) accepts the RFC vector and
        // refuses it over another message.
        let ours = ledger_core::keys::PublicKey::from_bytes(public).unwrap();
        let sig_bytes = ledger_core::keys::SignatureBytes(expected);
        assert!(ours.verify(&message, &sig_bytes), "{name}: ledger rule");
        let mut other = message.clone();
        other.push(0);
        assert!(
            !ours.verify(&other, &sig_bytes),
            "{name}: ledger rule, other message"
        );

        // The write rule (`ledger_core::strict`) accepts the vector as `verify_strict` does.
        assert!(
            ledger_core::strict::signature_is_strict(&ours, &message, &sig_bytes),
            "{name}: write rule"
        );
        assert!(
            !ledger_core::strict::signature_is_strict(&ours, &other, &sig_bytes),
            "{name}: write rule, other message"
        );

        // Flipping any single bit of the signature fails (checked for a spread of bits),
        // by `verify_strict` and by the write rule alike.
        for bit in (0..512).step_by(7) {
            let mut bad = expected;
            bad[bit / 8] ^= 1 << (bit % 8);
            let bad_sig = Signature::from_bytes(&bad);
            assert!(
                vk.verify_strict(&message, &bad_sig).is_err(),
                "{name}: sig bit {bit}"
            );
            assert!(
                !ledger_core::strict::signature_is_strict(
                    &ours,
                    &message,
                    &ledger_core::keys::SignatureBytes(bad)
                ),
                "{name}: write rule, sig bit {bit}"
            );
        }
        // Flipping a bit of the message fails.
        let mut bad_msg = message.clone();
        if bad_msg.is_empty() {
            bad_msg.push(0);
        } else {
            bad_msg[0] ^= 0x01;
        }
        assert!(
            vk.verify_strict(&bad_msg, &expected_sig).is_err(),
            "{name}: message"
        );
        // Flipping a bit of the public key fails (or yields no valid point).
        let mut bad_pub = public;
        bad_pub[0] ^= 0x01;
        if let Ok(bad_vk) = VerifyingKey::from_bytes(&bad_pub) {
            assert!(
                bad_vk.verify_strict(&message, &expected_sig).is_err(),
                "{name}: key"
            );
        }
    }
}
