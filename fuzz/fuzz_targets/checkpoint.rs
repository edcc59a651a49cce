//! Checkpoints and signed notes: `Checkpoint::parse`, `note::parse_note`,
//! `Checkpoint::open` / `note::open_note` with a known log key, and key strings.
//!
//! * A parsed checkpoint body is its own text (`to_text` gives the same bytes), passes
//!   `validate`, and signing it then opening the note gives it back.
//! * A parsed note is exactly its text, a blank line and its signature lines written again
//!   (one spelling: canonical base64, no extra bytes).
//! * A note that opens with the log key parses, and its body is the checkpoint returned.
//! * Verifier and private key strings that parse give back an equal key from the string
//!   they are written as.
#![no_main]

use std::sync::OnceLock;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ledger_core::checkpoint::Checkpoint;
use ledger_core::note::{is_valid_name, open_note, parse_note, NoteSigner, NoteVerifier};
use ledger_core::sample::SampleKeys;
use libfuzzer_sys::fuzz_target;

/// The log key of the sample deployment the seeds come from (`examples/seeds.rs`).
fn log_key() -> &'static NoteSigner {
    static KEY: OnceLock<NoteSigner> = OnceLock::new();
    KEY.get_or_init(|| {
        SampleKeys::derive(0, "ledger.example")
            .expect("sample keys")
            .log
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let signer = log_key();
    let verifier = signer.verifier();

    // Checkpoint bodies.
    if let Ok(cp) = Checkpoint::parse(text) {
        assert_eq!(
            cp.to_text(),
            text,
            "checkpoint body does not write back to itself"
        );
        assert_eq!(cp.validate(), Ok(()));
        let note = cp.sign(signer).expect("a parsed checkpoint signs");
        assert_eq!(Checkpoint::open(&note, &verifier), Ok(cp));
    }

    // Signed notes.
    if let Ok(parsed) = parse_note(text) {
        let mut again = String::from(parsed.text);
        again.push('\n');
        for s in &parsed.signatures {
            assert!(is_valid_name(s.name));
            let mut blob = s.key_id.to_be_bytes().to_vec();
            blob.extend_from_slice(&s.signature);
            again.push_str("\u{2014} ");
            again.push_str(s.name);
            again.push(' ');
            again.push_str(&B64.encode(blob));
            again.push('\n');
        }
        assert_eq!(again, text, "note does not write back to itself");
    }
    let opened = open_note(text, std::slice::from_ref(&verifier));
    let checkpoint = Checkpoint::open(text, &verifier);
    if let Ok(opened) = &opened {
        assert!(parse_note(text).is_ok());
        assert_eq!(opened.verified_by, [verifier.name()]);
        assert_eq!(checkpoint, Checkpoint::parse(&opened.text));
    } else {
        assert!(
            checkpoint.is_err(),
            "Checkpoint::open accepts what open_note refuses"
        );
    }

    // Key strings.
    if let Ok(v) = NoteVerifier::from_vkey(text) {
        let written = v.to_vkey();
        assert_eq!(NoteVerifier::from_vkey(&written).as_ref(), Ok(&v));
        // One spelling but for the case of the key id's hex digits.
        assert!(
            written.eq_ignore_ascii_case(text),
            "vkey written otherwise: {written}"
        );
    }
    if let Ok(s) = NoteSigner::from_private_key_string(text) {
        let written = s.to_private_key_string();
        assert!(
            written.eq_ignore_ascii_case(text),
            "private key written otherwise"
        );
        let back = NoteSigner::from_private_key_string(&written).expect("written key parses");
        assert_eq!(back.verifier(), s.verifier());
    }
});
