//! C2SP tlog-cosignature v1.0.1 vectors (`shared/vectors/cosignature/cosignature_v1.json`):
//! every section of the file — keys, key ids, known-answer cosignatures byte for byte,
//! negative cases with their per-line and whole-note outcomes, timestamp parsing.

mod common;

use ledger_core::checkpoint::Checkpoint;
use ledger_core::cosignature::{
    check_lines, cosigner_key_id, open_cosigned, signed_message, Cosignature, CosignatureError,
    CosignerKey, CosignerVerifier, LineOutcome, TIMESTAMP_MAX,
};
use ledger_core::error::Coded;
use ledger_core::note::{key_id, open_note, NoteError, NoteVerifier};
use serde_json::Value;

fn load() -> Option<Value> {
    let dir = common::vectors_dir()?;
    let text = std::fs::read_to_string(dir.join("cosignature/cosignature_v1.json")).unwrap();
    Some(serde_json::from_str(&text).unwrap())
}

fn s<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} is not a string in {v}"))
}

fn seed(v: &Value) -> [u8; 32] {
    hex::decode(s(v, "seed_hex")).unwrap().try_into().unwrap()
}

fn key_id_hex(hex8: &str) -> u32 {
    u32::from_str_radix(hex8, 16).unwrap()
}

fn rows<'a>(doc: &'a Value, section: &str) -> &'a Vec<Value> {
    doc[section].as_array().unwrap()
}

fn cosigners(v: &Value) -> Vec<CosignerVerifier> {
    v["cosigner_vkeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            let k = k.as_str().unwrap();
            CosignerVerifier::from_vkey(k).unwrap_or_else(|e| panic!("{k}: {e}"))
        })
        .collect()
}

/// The whole-note outcome in the vectors' words.
fn note_open_word(result: &Result<impl std::fmt::Debug, NoteError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(NoteError::InvalidSignature { .. }) => "invalid_signature",
        Err(NoteError::Unverified { .. }) => "unverified",
        Err(e) => panic!("unexpected refusal {e}"),
    }
}

/// The per-line outcome in the vectors' words, for the lines by configured cosigners
/// (or, when no line is, `ignored`): all must agree.
fn line_word(lines: &[ledger_core::cosignature::LineCheck]) -> &'static str {
    let known: Vec<&LineOutcome> = lines
        .iter()
        .map(|l| &l.outcome)
        .filter(|o| !matches!(o, LineOutcome::Ignored))
        .collect();
    if known.is_empty() {
        return "ignored";
    }
    if known.iter().any(|o| matches!(o, LineOutcome::Invalid(_))) {
        "invalid"
    } else {
        "valid"
    }
}

#[test]
fn keys() {
    let Some(doc) = load() else { return };
    let keys = rows(&doc, "keys");
    assert_eq!(keys.len(), 4);
    for k in keys {
        let name = s(k, "name");
        let signer = CosignerKey::from_seed(name, &seed(k)).unwrap();
        let verifier = signer.verifier();
        assert_eq!(
            hex::encode(verifier.verifying_key().as_bytes()),
            s(k, "public_key_hex"),
            "{name}"
        );
        // The key id preimage is name ‖ 0x0A ‖ 0x04 ‖ public key.
        let mut preimage = name.as_bytes().to_vec();
        preimage.extend_from_slice(&[0x0a, 0x04]);
        preimage.extend_from_slice(verifier.verifying_key().as_bytes());
        assert_eq!(
            hex::encode(&preimage),
            s(k, "key_id_preimage_hex"),
            "{name}"
        );
        assert_eq!(signer.key_id(), key_id_hex(s(k, "key_id_hex")), "{name}");
        assert_eq!(
            cosigner_key_id(name, verifier.verifying_key()),
            signer.key_id()
        );
        assert_eq!(verifier.to_vkey(), s(k, "vkey"), "{name}");
        assert_eq!(
            CosignerVerifier::from_vkey(s(k, "vkey")),
            Ok(verifier.clone())
        );
        // The same key as a plain signed-note key: type 0x01 key id and vkey.
        assert_eq!(
            key_id(name, verifier.verifying_key()),
            key_id_hex(s(k, "key_id_if_type_0x01_hex")),
            "{name}"
        );
        let plain = NoteVerifier::from_vkey(s(k, "vkey_type_0x01_same_key")).unwrap();
        assert_eq!(plain.verifying_key(), verifier.verifying_key());
        // A type 0x01 vkey is not a cosigner key, nor a type 0x04 vkey a note key.
        assert_eq!(
            CosignerVerifier::from_vkey(s(k, "vkey_type_0x01_same_key")),
            Err(CosignatureError::Note(NoteError::UnsupportedAlgorithm {
                alg: 0x01,
                expected: 0x04
            }))
        );
        assert_eq!(
            NoteVerifier::from_vkey(s(k, "vkey")),
            Err(NoteError::UnsupportedAlgorithm {
                alg: 0x04,
                expected: 0x01
            })
        );
    }
}

#[test]
fn key_id_cases() {
    let Some(doc) = load() else { return };
    let cases = rows(&doc, "key_id_cases");
    assert_eq!(cases.len(), 6);
    let mut type4 = 0;
    for c in cases {
        let id = s(c, "id");
        let vkey = s(c, "vkey");
        let public = hex::decode(s(c, "public_key_hex")).unwrap();
        match s(c, "signature_type_byte") {
            "04" => {
                let v = CosignerVerifier::from_vkey(vkey).unwrap_or_else(|e| panic!("{id}: {e}"));
                assert_eq!(v.name(), s(c, "name"), "{id}");
                assert_eq!(v.verifying_key().as_bytes().as_slice(), public, "{id}");
                assert_eq!(v.key_id(), key_id_hex(s(c, "expected_key_id_hex")), "{id}");
                assert_eq!(
                    key_id(v.name(), v.verifying_key()),
                    key_id_hex(s(c, "key_id_if_type_0x01_hex")),
                    "{id}"
                );
                assert_eq!(v.to_vkey(), vkey, "{id}");
                type4 += 1;
            }
            "01" => {
                // A plain signed-note key: a note key, not a cosigner key here (the spec
                // defines cosigner vkeys with type 0x04 only). Its 0x04 key id is the
                // one a cosigner of the same name and key would have.
                let v = NoteVerifier::from_vkey(vkey).unwrap();
                assert_eq!(v.key_id(), key_id_hex(s(c, "expected_key_id_hex")), "{id}");
                assert_eq!(
                    cosigner_key_id(v.name(), v.verifying_key()),
                    key_id_hex(s(c, "cosignature_key_id_hex")),
                    "{id}"
                );
                assert_eq!(
                    CosignerVerifier::from_vkey(vkey).unwrap_err().code(),
                    "unsupported_key_algorithm",
                    "{id}"
                );
            }
            other => panic!("{id}: type {other}"),
        }
    }
    assert_eq!(type4, 5);
}

#[test]
fn cosignatures_known_answers() {
    let Some(doc) = load() else { return };
    let cases = rows(&doc, "cosignatures");
    assert_eq!(cases.len(), 6);
    for c in cases {
        let id = s(c, "id");
        let signer = CosignerKey::from_seed(s(c, "cosigner"), &seed(c)).unwrap();
        assert_eq!(signer.verifier().to_vkey(), s(c, "cosigner_vkey"), "{id}");
        let timestamp = c["timestamp"].as_u64().unwrap();
        assert_eq!(
            hex::encode(timestamp.to_be_bytes()),
            s(c, "timestamp_be_hex"),
            "{id}"
        );
        let text = s(c, "checkpoint");
        let checkpoint = Checkpoint::parse(text).unwrap();
        assert_eq!(checkpoint.to_text(), text, "{id}");

        let message = signed_message(timestamp, text);
        assert_eq!(message, s(c, "signed_message"), "{id}");
        assert_eq!(hex::encode(&message), s(c, "signed_message_hex"), "{id}");

        let cosignature = signer.cosign(&checkpoint, timestamp).unwrap();
        assert_eq!(
            hex::encode(cosignature.signature),
            s(c, "ed25519_signature_hex"),
            "{id}"
        );
        assert_eq!(
            hex::encode(cosignature.timestamped_signature()),
            s(c, "timestamped_signature_hex"),
            "{id}"
        );
        let line = signer.signature_line(&checkpoint, timestamp).unwrap();
        assert_eq!(line, s(c, "signature_line"), "{id}");

        // The cosigned note: the checkpoint, a blank line, the log's signature if any,
        // then the cosignature line.
        let note = s(c, "note");
        assert!(note.starts_with(&format!("{text}\n")), "{id}");
        assert!(note.ends_with(&line), "{id}");
        let verifier = signer.verifier();
        let opened = open_cosigned(note, std::slice::from_ref(&verifier))
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(opened.text, text, "{id}");
        assert_eq!(opened.cosignatures.len(), 1, "{id}");
        assert_eq!(opened.cosignatures[0].timestamp, timestamp, "{id}");
        assert_eq!(c["expect"]["cosignature"], "valid", "{id}");
        assert_eq!(
            c["expect"]["note_open_with_cosigner_vkey_only"], "ok",
            "{id}"
        );
        assert_eq!(line_word(&check_lines(note, &[verifier]).unwrap()), "valid");

        // The log's signature, where the note has one, verifies with the log key and
        // is ignored by the cosigner.
        if let Some(log_vkey) = c["log_vkey"].as_str() {
            let log = NoteVerifier::from_vkey(log_vkey).unwrap();
            assert_eq!(Checkpoint::open(note, &log), Ok(checkpoint.clone()), "{id}");
            assert_eq!(opened.ignored, 1, "{id}");
        }
    }
}

#[test]
fn negative_cases() {
    let Some(doc) = load() else { return };
    let cases = rows(&doc, "negative_cases");
    assert_eq!(cases.len(), 18);
    for c in cases {
        let id = s(c, "id");
        let known = cosigners(c);
        let note = s(c, "note");
        let expect = &c["expect"];
        let lines = check_lines(note, &known).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(
            line_word(&lines),
            s(expect, "cosignature"),
            "{id}: {lines:?}"
        );
        let opened = open_cosigned(note, &known);
        assert_eq!(note_open_word(&opened), s(expect, "note_open"), "{id}");

        if let Some(names) = c["expect_valid_cosigners"].as_array() {
            let got: Vec<&str> = opened
                .as_ref()
                .unwrap()
                .cosignatures
                .iter()
                .map(|c| c.name.as_str())
                .collect();
            let want: Vec<&str> = names.iter().map(|n| n.as_str().unwrap()).collect();
            assert_eq!(got, want, "{id}");
        }
        // Over-range timestamps are refused as such, not as a bad signature.
        if let Some(t) = c["timestamp"].as_u64() {
            if t > TIMESTAMP_MAX {
                assert!(
                    lines.iter().any(|l| l.outcome
                        == LineOutcome::Invalid(CosignatureError::TimestampOutOfRange {
                            timestamp: t
                        })),
                    "{id}: {lines:?}"
                );
            }
        }
        // A plain signed-note verifier of the same key ignores the cosignature.
        if let Some(plain) = c["plain_vkey"].as_str() {
            let plain = NoteVerifier::from_vkey(plain).unwrap();
            let result = open_note(note, &[plain]);
            assert_eq!(
                note_open_word(&result),
                s(&c["plain_verifier_expect"], "note_open"),
                "{id}"
            );
            assert_eq!(c["plain_verifier_expect"]["line"], "ignored", "{id}");
        }
        // Where the row gives the message that was (wrongly) signed, it is not ours.
        if let Some(wrong) = c["signed_message"].as_str() {
            let text = note.split("\n\n").next().unwrap().to_string() + "\n";
            let t = lines[0].outcome.clone();
            assert!(matches!(t, LineOutcome::Invalid(_)), "{id}");
            let blob =
                Cosignature::from_base64(note.trim_end().rsplit(' ').next().unwrap()).unwrap();
            assert_ne!(signed_message(blob.timestamp, &text), wrong, "{id}");
        }
    }
}

#[test]
fn timestamp_parse() {
    let Some(doc) = load() else { return };
    let cases = rows(&doc, "timestamp_parse");
    assert_eq!(cases.len(), 7);
    for c in cases {
        let id = s(c, "id");
        let b64 = s(c, "signature_base64");
        let expect = &c["expect"];
        if let Some(line) = c["signature_line"].as_str() {
            assert!(line.ends_with(&format!(" {b64}")), "{id}");
        }
        let parsed = Cosignature::from_base64(b64);
        if expect["ok"].as_bool().unwrap() {
            let parsed = parsed.unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(expect["decoded_length"], 76, "{id}");
            assert_eq!(parsed.key_id, key_id_hex(s(expect, "key_id_hex")), "{id}");
            assert_eq!(
                parsed.timestamp,
                expect["timestamp"].as_u64().unwrap(),
                "{id}"
            );
            assert_eq!(parsed.to_base64(), b64, "{id}");
            if let Some(within) = expect["timestamp_within_2pow63_minus_1"].as_bool() {
                assert_eq!(parsed.timestamp <= TIMESTAMP_MAX, within, "{id}");
            }
        } else {
            let err = parsed.unwrap_err();
            match expect["decoded_length"].as_u64() {
                Some(len) => assert_eq!(
                    err,
                    CosignatureError::WrongLength {
                        len: len as usize,
                        expected: 76
                    },
                    "{id}"
                ),
                None => assert_eq!(err, CosignatureError::NotBase64, "{id}"),
            }
            assert!(!err.message_zh().is_empty() && !err.message_en().is_empty());
        }
    }
}

/// The tlog-witness vectors (`shared/vectors/witness/add_checkpoint.json`) use the same
/// witness key: each 200 response body is the cosignature line this core makes for the
/// submitted checkpoint at the step's `now_for_exact_body`, and it opens appended to the
/// submitted note.
#[test]
fn witness_vector_response_bodies() {
    let Some(dir) = common::vectors_dir() else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("witness/add_checkpoint.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let witness = &doc["witness"];
    let signer = CosignerKey::from_seed(s(witness, "name"), &seed(witness)).unwrap();
    assert_eq!(signer.verifier().to_vkey(), s(witness, "vkey"));
    let mut bodies = 0;
    for step in doc["steps"].as_array().unwrap() {
        if step["expect"]["status"] != 200 {
            continue;
        }
        let n = &step["step"];
        // Request body: `old N\n`, proof lines, a blank line, then the signed note.
        let request = s(&step["request"], "body");
        let (_, note) = request.split_once("\n\n").unwrap();
        let parsed = ledger_core::note::parse_note(note).unwrap();
        let checkpoint = Checkpoint::parse(parsed.text).unwrap();
        let now = step["now_for_exact_body"].as_u64().unwrap();
        let line = signer.signature_line(&checkpoint, now).unwrap();
        assert_eq!(line, s(&step["expect"], "body"), "step {n}");
        let cosigned = format!("{note}{line}");
        let opened = open_cosigned(&cosigned, &[signer.verifier()]).unwrap();
        assert_eq!(opened.cosignatures[0].timestamp, now, "step {n}");
        bodies += 1;
    }
    assert_eq!(bodies, 8);
}
