//! C2SP signed-note vectors (C2SP spec examples, golang/mod sumdb/note, transparency-dev/formats).

mod common;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ledger_core::checkpoint::Checkpoint;
use ledger_core::error::Coded;
use ledger_core::note::{
    key_id, open_note, parse_note, sign_note, NoteError, NoteSigner, NoteVerifier,
};
use serde_json::Value;

fn load() -> Option<Value> {
    let dir = common::vectors_dir()?;
    let text = std::fs::read_to_string(dir.join("signed-note/signed_note_vectors.json")).unwrap();
    Some(serde_json::from_str(&text).unwrap())
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

fn verifiers(v: &Value) -> Vec<NoteVerifier> {
    strs(&v["vkeys"])
        .into_iter()
        .map(|k| NoteVerifier::from_vkey(k).unwrap_or_else(|e| panic!("{k}: {e}")))
        .collect()
}

/// `expect.verified_by` entries are `name+hexid`; map them to names, checking the id.
fn expected_names(v: &Value, known: &[NoteVerifier]) -> Vec<String> {
    strs(&v["expect"]["verified_by"])
        .into_iter()
        .map(|nk| {
            let (name, id) = nk.split_once('+').unwrap();
            let id = u32::from_str_radix(id, 16).unwrap();
            assert!(
                known.iter().any(|k| k.name() == name && k.key_id() == id),
                "{nk} not among the vkeys"
            );
            name.to_string()
        })
        .collect()
}

#[test]
fn verifiable_vectors_open() {
    let Some(doc) = load() else { return };
    let mut verified = 0;
    for v in doc["vectors"].as_array().unwrap() {
        let id = v["id"].as_str().unwrap();
        let known = verifiers(v);
        let note = v["note"].as_str().unwrap();
        let text = v["text"].as_str().unwrap();
        if known.is_empty() {
            continue;
        }
        let opened = open_note(note, &known).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(opened.text, text, "{id}");
        assert_eq!(opened.verified_by, expected_names(v, &known), "{id}");
        assert_eq!(opened.unverified, 0, "{id}");
        // vkeys print back exactly as given.
        for (k, s) in known.iter().zip(strs(&v["vkeys"])) {
            assert_eq!(k.to_vkey(), s, "{id}");
        }
        verified += 1;
    }
    assert_eq!(verified, 5);
}

#[test]
fn unknown_second_signer_is_ignored() {
    let Some(doc) = load() else { return };
    let v = doc["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "go-sumdb-note-two-signers")
        .unwrap();
    let known = verifiers(v);
    let note = v["note"].as_str().unwrap();
    for (i, k) in known.iter().enumerate() {
        let opened = open_note(note, std::slice::from_ref(k)).unwrap();
        assert_eq!(opened.verified_by, [k.name()], "only key {i}");
        assert_eq!(opened.unverified, 1);
    }
    assert_eq!(
        open_note(note, &[]),
        Err(NoteError::Unverified { unverified: 2 })
    );
}

#[test]
fn signer_keys_reproduce_notes() {
    let Some(doc) = load() else { return };
    let mut reproduced = 0;
    for v in doc["vectors"].as_array().unwrap() {
        let Some(skey) = v["signer_key"].as_str() else {
            continue;
        };
        let id = v["id"].as_str().unwrap();
        let signer = NoteSigner::from_private_key_string(skey).unwrap();
        assert_eq!(signer.to_private_key_string(), skey, "{id}");
        assert_eq!(
            signer.verifier().to_vkey(),
            strs(&v["vkeys"])[0],
            "{id}: verifier of the signer key"
        );
        let note = sign_note(v["text"].as_str().unwrap(), &[&signer]).unwrap();
        assert_eq!(note, v["note"].as_str().unwrap(), "{id}");
        reproduced += 1;
    }
    assert_eq!(reproduced, 3);
}

#[test]
fn bad_vkeys_are_rejected() {
    let Some(doc) = load() else { return };
    let bad = strs(&doc["bad_vkeys"]["vkeys"]);
    assert_eq!(bad.len(), 2);
    // Wrong public key length, then unknown signature type byte.
    let e0 = NoteVerifier::from_vkey(bad[0]).unwrap_err();
    assert_eq!(e0.code(), "malformed_verifier_key", "{e0}");
    let e1 = NoteVerifier::from_vkey(bad[1]).unwrap_err();
    assert!(matches!(e1, NoteError::UnsupportedAlgorithm { .. }), "{e1}");
}

#[test]
fn other_test_keys_match_their_seeds() {
    let Some(doc) = load() else { return };
    let pairs = doc["other_test_keys"]["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 4);
    for p in pairs {
        let vkey = p["vkey"].as_str().unwrap();
        let skey = p["skey"].as_str().unwrap();
        let signer = NoteSigner::from_private_key_string(skey).unwrap();
        let verifier = NoteVerifier::from_vkey(vkey).unwrap();
        assert_eq!(signer.verifier(), verifier, "{vkey}");
        assert_eq!(signer.key_id(), verifier.key_id());
        assert_eq!(
            key_id(verifier.name(), verifier.verifying_key()),
            verifier.key_id()
        );
        assert_eq!(verifier.to_vkey(), vkey);
        assert_eq!(signer.to_private_key_string(), skey);
        // Independent check of the key id string from the vkey itself.
        let (_, rest) = vkey.split_once('+').unwrap();
        let (hex_id, _) = rest.split_once('+').unwrap();
        assert_eq!(format!("{:08x}", verifier.key_id()), hex_id);

        let note = sign_note("hello\n", &[&signer]).unwrap();
        assert_eq!(
            open_note(&note, &[verifier]).unwrap().verified_by,
            [signer.name()]
        );
    }
}

#[test]
fn parse_only_checkpoint_example() {
    let Some(doc) = load() else { return };
    let v = doc["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "c2sp-tlog-checkpoint-example-parse-only")
        .unwrap();
    let note = v["note"].as_str().unwrap();
    let parsed = parse_note(note).unwrap();
    assert_eq!(parsed.text, v["text"].as_str().unwrap());
    assert_eq!(parsed.signatures.len(), 1);
    let sig = &parsed.signatures[0];
    assert_eq!(sig.name, "example.com/behind-the-sofa");
    assert_eq!(
        format!("{:08x}", sig.key_id),
        v["expect"]["signature_key_id_hex"].as_str().unwrap()
    );
    assert_eq!(sig.signature.len(), 64);
    let cp = Checkpoint::parse(parsed.text).unwrap();
    assert_eq!(cp.origin, v["checkpoint"]["origin"].as_str().unwrap());
    assert_eq!(cp.tree_size, v["checkpoint"]["tree_size"].as_u64().unwrap());
    assert_eq!(
        B64.encode(cp.root.as_bytes()),
        v["checkpoint"]["root_hash_b64"].as_str().unwrap()
    );
    // No key is known: opening refuses, with the signature counted as unverified.
    assert_eq!(
        open_note(note, &[]),
        Err(NoteError::Unverified { unverified: 1 })
    );
}

/// Changing any byte of the text, or any byte of a signature, makes the note fail to open.
#[test]
fn mutations_fail() {
    let Some(doc) = load() else { return };
    for v in doc["vectors"].as_array().unwrap() {
        let known = verifiers(v);
        if known.is_empty() {
            continue;
        }
        let id = v["id"].as_str().unwrap();
        let note = v["note"].as_str().unwrap();
        let text_len = v["text"].as_str().unwrap().len();
        let bytes = note.as_bytes();

        // Text: replace each ASCII byte by another printable ASCII byte.
        for i in 0..text_len {
            if !bytes[i].is_ascii_graphic() && bytes[i] != b' ' {
                continue;
            }
            let mut m = bytes.to_vec();
            m[i] = if bytes[i] == b'x' { b'y' } else { b'x' };
            let m = String::from_utf8(m).unwrap();
            assert!(open_note(&m, &known).is_err(), "{id}: text byte {i}");
        }

        // Signatures: flip one bit (varying position) of every byte of each decoded
        // signature blob, and re-encode.
        let sig_block = &note[text_len + 1..];
        for (li, line) in sig_block.lines().enumerate() {
            let (prefix, b64) = line.rsplit_once(' ').unwrap();
            let blob = B64.decode(b64).unwrap();
            for bit in (0..blob.len()).map(|byte| byte * 8 + byte % 8) {
                let mut b = blob.clone();
                b[bit / 8] ^= 1 << (bit % 8);
                let mutated_line = format!("{prefix} {}", B64.encode(&b));
                let mut lines: Vec<&str> = sig_block.lines().collect();
                lines[li] = &mutated_line;
                let m = format!("{}\n{}\n", &note[..text_len], lines.join("\n"));
                let r = open_note(&m, &known);
                if bit < 32 {
                    // A changed key id makes that signature unknown: either the note is
                    // still verified by the other signer, or it is refused.
                    if let Ok(o) = r {
                        assert_eq!(o.unverified, 1, "{id}: line {li} bit {bit}");
                        assert_eq!(o.verified_by.len(), known.len() - 1);
                    }
                } else {
                    let e = r.expect_err(&format!("{id}: line {li} bit {bit}"));
                    assert_eq!(
                        e.code(),
                        "invalid_note_signature",
                        "{id}: line {li} bit {bit}"
                    );
                }
            }
        }
    }
}
