//! C2SP tlog-checkpoint vectors and round trips with a generated key.

mod common;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::SigningKey;
use ledger_core::checkpoint::{Checkpoint, CheckpointError};
use ledger_core::error::Coded;
use ledger_core::hash::sha256;
use ledger_core::note::{NoteError, NoteSigner, NoteVerifier};
use serde_json::Value;

fn load() -> Option<Value> {
    let dir = common::vectors_dir()?;
    let text = std::fs::read_to_string(dir.join("signed-note/signed_note_vectors.json")).unwrap();
    Some(serde_json::from_str(&text).unwrap())
}

fn check_fields(cp: &Checkpoint, v: &Value) {
    let want = &v["checkpoint"];
    assert_eq!(cp.origin, want["origin"].as_str().unwrap());
    assert_eq!(cp.tree_size, want["tree_size"].as_u64().unwrap());
    assert_eq!(
        B64.encode(cp.root.as_bytes()),
        want["root_hash_b64"].as_str().unwrap()
    );
    assert!(cp.extensions.is_empty());
    assert_eq!(cp.to_text(), v["text"].as_str().unwrap());
}

#[test]
fn checkpoint_vectors() {
    let Some(doc) = load() else { return };
    let mut opened = 0;
    let mut parsed = 0;
    for v in doc["vectors"].as_array().unwrap() {
        if v["checkpoint"].is_null() {
            continue;
        }
        let id = v["id"].as_str().unwrap();
        let text = v["text"].as_str().unwrap();
        let note = v["note"].as_str().unwrap();
        let cp = Checkpoint::parse(text).unwrap_or_else(|e| panic!("{id}: {e}"));
        check_fields(&cp, v);
        parsed += 1;
        let vkeys = v["vkeys"].as_array().unwrap();
        if let Some(vkey) = vkeys.first() {
            let key = NoteVerifier::from_vkey(vkey.as_str().unwrap()).unwrap();
            let opened_cp = Checkpoint::open(note, &key).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(opened_cp, cp, "{id}");
            if let Some(skey) = v["signer_key"].as_str() {
                let signer = NoteSigner::from_private_key_string(skey).unwrap();
                assert_eq!(cp.sign(&signer).unwrap(), note, "{id}: re-signed");
            }
            opened += 1;
        }
    }
    assert_eq!((parsed, opened), (3, 2));
}

#[test]
fn sumdb_checkpoint_refuses_other_keys() {
    let Some(doc) = load() else { return };
    let v = doc["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "go-sumdb-tree-note-size5")
        .unwrap();
    let other = NoteSigner::new("localhost.localdev/sumdb", SigningKey::from_bytes(&[9; 32]))
        .unwrap()
        .verifier();
    let err = Checkpoint::open(v["note"].as_str().unwrap(), &other).unwrap_err();
    assert_eq!(err.code(), "note_unverified");
}

fn generated_signer() -> NoteSigner {
    let mut rng = rand_core::OsRng;
    NoteSigner::new("example.org/fund-ledger", SigningKey::generate(&mut rng)).unwrap()
}

#[test]
fn round_trip_with_generated_key() {
    let signer = generated_signer();
    let key = signer.verifier();
    let cases = [
        Checkpoint {
            origin: "example.org/fund-ledger".into(),
            tree_size: 0,
            root: sha256(b""),
            extensions: vec![],
        },
        Checkpoint {
            origin: "example.org/fund-ledger".into(),
            tree_size: 123_456_789,
            root: sha256(b"some root"),
            extensions: vec!["ext 1".into(), "时间 2024-01-01T00:00:00Z".into()],
        },
        Checkpoint {
            origin: "example.org/fund-ledger".into(),
            tree_size: u64::MAX,
            root: sha256(b"max"),
            extensions: vec![],
        },
    ];
    for cp in cases {
        let note = cp.sign(&signer).unwrap();
        assert!(note.starts_with(&cp.to_text()));
        assert_eq!(Checkpoint::open(&note, &key).unwrap(), cp);
        // Via the key strings too.
        let key2 = NoteVerifier::from_vkey(&key.to_vkey()).unwrap();
        assert_eq!(Checkpoint::open(&note, &key2).unwrap(), cp);
        // Another key does not open it.
        let stranger = generated_signer().verifier();
        assert!(Checkpoint::open(&note, &stranger).is_err());
    }
}

#[test]
fn tampering_any_byte_fails() {
    let signer = generated_signer();
    let key = signer.verifier();
    let cp = Checkpoint {
        origin: "example.org/fund-ledger".into(),
        tree_size: 1234,
        root: sha256(b"tamper"),
        extensions: vec!["ext".into()],
    };
    let note = cp.sign(&signer).unwrap();
    assert!(note.is_ascii() || note.contains('\u{2014}'));
    let bytes = note.as_bytes();
    let mut tried = 0;
    for i in 0..bytes.len() {
        for replacement in [b'0', b'A', b'\n', b' '] {
            if bytes[i] == replacement || !bytes[i].is_ascii() {
                continue;
            }
            let mut m = bytes.to_vec();
            m[i] = replacement;
            let Ok(m) = String::from_utf8(m) else {
                continue;
            };
            assert!(
                Checkpoint::open(&m, &key).is_err(),
                "byte {i} -> {:?} accepted",
                replacement as char
            );
            tried += 1;
        }
    }
    // Non-ASCII bytes (the em dash) are covered by removing them.
    for i in (0..bytes.len()).filter(|&i| !bytes[i].is_ascii()) {
        let mut m = bytes.to_vec();
        m.remove(i);
        if let Ok(m) = String::from_utf8(m) {
            assert!(Checkpoint::open(&m, &key).is_err());
        }
    }
    assert!(tried > bytes.len() * 3);
    // Truncating or appending fails too.
    assert!(Checkpoint::open(&note[..note.len() - 1], &key).is_err());
    assert!(Checkpoint::open(&format!("{note}x\n"), &key).is_err());
}

#[test]
fn signing_refuses_invalid_checkpoints() {
    let signer = generated_signer();
    let cp = Checkpoint {
        origin: "two\nlines".into(),
        tree_size: 1,
        root: sha256(b"x"),
        extensions: vec![],
    };
    assert_eq!(cp.sign(&signer), Err(CheckpointError::BadOrigin));
    // A signed note whose body is not a checkpoint opens as a note but not as a checkpoint.
    let note = ledger_core::note::sign_note("not\na checkpoint\n", &[&signer]).unwrap();
    let err = Checkpoint::open(&note, &signer.verifier()).unwrap_err();
    assert_eq!(err.code(), "checkpoint_truncated");
    let err = Checkpoint::open("garbage", &signer.verifier()).unwrap_err();
    assert_eq!(err, CheckpointError::Note(NoteError::MissingSignatures));
}
