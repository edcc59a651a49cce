//! Witness cosignatures: C2SP tlog-cosignature v1.0.1, Ed25519 `cosignature/v1`
//! (<https://c2sp.org/tlog-cosignature@v1.0.1>).
//!
//! A cosignature is a [signed-note](crate::note) signature line on a checkpoint,
//! `— <name> base64(key id ‖ timestamped_signature)\n`, where
//!
//! - the key id is the first 4 bytes, big-endian, of SHA-256(name ‖ `\n` ‖ 0x04 ‖ public
//!   key) ([`cosigner_key_id`]);
//! - `timestamped_signature` is 72 bytes: the timestamp (POSIX seconds, u64 big-endian, at
//!   most 2^63 − 1) and a 64-byte Ed25519 signature;
//! - the signed message is `cosignature/v1\n`, `time <timestamp in decimal, no leading
//!   zeros>\n`, then the whole checkpoint body, extension lines included
//!   ([`signed_message`]).
//!
//! Witness keys are exchanged as vkeys `<name>+<8 hex key id>+base64(0x04 ‖ public key)`.
//! Only the type 0x04 form is read: the spec defines no other (some implementations
//! also take a type 0x01 vkey and re-derive the 0x04 key id; this one refuses it, so a
//! log key can never be configured as a witness by mistake).
//!
//! The cosignature message does not name the cosigner: the same key under another name
//! makes the same signature. The spec therefore requires distinct keys, not just names,
//! for distinct statements.
//!
//! Pure: the timestamp to sign is passed in by the caller; nothing here reads a clock.

use std::fmt;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::error::Coded;
use crate::note::{
    check_name, format_ed25519_vkey, key_id_of_type, open_note_with, parse_ed25519_vkey,
    parse_note, NoteError, NoteKey, ALG_COSIGNATURE_V1, SIG_PREFIX,
};

/// The header line of the `cosignature/v1` signed message, with its newline.
pub const COSIGNATURE_V1_HEADER: &str = "cosignature/v1\n";

/// Largest timestamp a cosignature may carry: 2^63 − 1 (tlog-cosignature v1.0.1: it
/// "MUST NOT exceed 2^63 - 1").
pub const TIMESTAMP_MAX: u64 = i64::MAX as u64;

/// Length of a `timestamped_signature`: 8-byte timestamp and 64-byte Ed25519 signature.
pub const TIMESTAMPED_SIGNATURE_LEN: usize = 72;

/// Length of a decoded cosignature: 4-byte key id and the `timestamped_signature`.
pub const COSIGNATURE_LEN: usize = 4 + TIMESTAMPED_SIGNATURE_LEN;

/// Why a cosignature is refused, or cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CosignatureError {
    /// A cosignature is not canonical standard base64.
    #[error("cosignature is not canonical base64")]
    NotBase64,
    /// A cosignature does not have its fixed length.
    #[error("cosignature is {len} bytes; a cosignature/v1 signature is {expected}")]
    WrongLength {
        /// Length found, in bytes.
        len: usize,
        /// Length required, in bytes.
        expected: usize,
    },
    /// The timestamp exceeds [`TIMESTAMP_MAX`].
    #[error("cosignature timestamp {timestamp} exceeds 2^63-1")]
    TimestampOutOfRange {
        /// The timestamp found or given.
        timestamp: u64,
    },
    /// The Ed25519 signature does not verify over the `cosignature/v1` message.
    #[error("cosignature by {name}+{key_id:08x} does not verify")]
    BadSignature {
        /// The cosigner's name.
        name: String,
        /// The cosigner's key id.
        key_id: u32,
    },
    /// The checkpoint to cosign is not a valid checkpoint.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// A key or note was refused by the signed-note rules.
    #[error(transparent)]
    Note(#[from] NoteError),
}

impl Coded for CosignatureError {
    fn code(&self) -> &'static str {
        match self {
            CosignatureError::NotBase64 => "cosignature_not_base64",
            CosignatureError::WrongLength { .. } => "cosignature_wrong_length",
            CosignatureError::TimestampOutOfRange { .. } => "cosignature_timestamp_out_of_range",
            CosignatureError::BadSignature { .. } => "cosignature_invalid",
            CosignatureError::Checkpoint(e) => e.code(),
            CosignatureError::Note(e) => e.code(),
        }
    }

    fn message_en(&self) -> String {
        match self {
            CosignatureError::Checkpoint(e) => e.message_en(),
            CosignatureError::Note(e) => e.message_en(),
            other => other.to_string(),
        }
    }

    fn message_zh(&self) -> String {
        match self {
            CosignatureError::NotBase64 => "见证签名不是规范的 base64 编码".to_string(),
            CosignatureError::WrongLength { len, expected } => {
                format!("见证签名长 {len} 字节；cosignature/v1 签名应为 {expected} 字节")
            }
            CosignatureError::TimestampOutOfRange { timestamp } => {
                format!("见证签名的时间戳 {timestamp} 超过 2^63-1")
            }
            CosignatureError::BadSignature { name, key_id } => {
                format!("见证方 {name}+{key_id:08x} 的签名验证失败")
            }
            CosignatureError::Checkpoint(e) => e.message_zh(),
            CosignatureError::Note(e) => e.message_zh(),
        }
    }
}

/// The key id of a witness's cosignatures: the first 4 bytes, big-endian, of
/// SHA-256(name ‖ `\n` ‖ 0x04 ‖ public key).
pub fn cosigner_key_id(name: &str, public_key: &VerifyingKey) -> u32 {
    key_id_of_type(name, ALG_COSIGNATURE_V1, public_key)
}

/// The message a witness signs: `cosignature/v1\n`, `time <timestamp>\n` (decimal, no
/// leading zeros), then `checkpoint_text`, the whole checkpoint body with its extension
/// lines and final newline (no signature lines).
pub fn signed_message(timestamp: u64, checkpoint_text: &str) -> String {
    format!("{COSIGNATURE_V1_HEADER}time {timestamp}\n{checkpoint_text}")
}

/// A cosignature as it is carried on a signature line, decoded but not verified.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Cosignature {
    /// The cosigner's key id.
    pub key_id: u32,
    /// When the witness signed, in POSIX seconds, as written (not range-checked here).
    pub timestamp: u64,
    /// The Ed25519 signature.
    pub signature: [u8; 64],
}

impl fmt::Debug for Cosignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cosignature")
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .field("timestamp", &self.timestamp)
            .field("signature", &hex::encode(self.signature))
            .finish()
    }
}

impl Cosignature {
    /// Decodes the bytes of a cosignature: key id (4), timestamp (8, big-endian) and
    /// signature (64), exactly [`COSIGNATURE_LEN`] bytes. The timestamp is not
    /// range-checked (verification refuses one over [`TIMESTAMP_MAX`]).
    pub fn from_bytes(raw: &[u8]) -> Result<Cosignature, CosignatureError> {
        let raw: &[u8; COSIGNATURE_LEN] =
            raw.try_into().map_err(|_| CosignatureError::WrongLength {
                len: raw.len(),
                expected: COSIGNATURE_LEN,
            })?;
        let (id, rest) = raw.split_at(4);
        let (ts, sig) = rest.split_at(8);
        let mut signature = [0u8; 64];
        signature.copy_from_slice(sig);
        let mut timestamp = [0u8; 8];
        timestamp.copy_from_slice(ts);
        let mut key_id = [0u8; 4];
        key_id.copy_from_slice(id);
        Ok(Cosignature {
            key_id: u32::from_be_bytes(key_id),
            timestamp: u64::from_be_bytes(timestamp),
            signature,
        })
    }

    /// Decodes the base64 of a signature line (the part after the name).
    pub fn from_base64(b64: &str) -> Result<Cosignature, CosignatureError> {
        let raw = B64.decode(b64).map_err(|_| CosignatureError::NotBase64)?;
        Cosignature::from_bytes(&raw)
    }

    /// The 72-byte `timestamped_signature`: timestamp (u64 big-endian) ‖ signature.
    pub fn timestamped_signature(&self) -> [u8; TIMESTAMPED_SIGNATURE_LEN] {
        let mut out = [0u8; TIMESTAMPED_SIGNATURE_LEN];
        out[..8].copy_from_slice(&self.timestamp.to_be_bytes());
        out[8..].copy_from_slice(&self.signature);
        out
    }

    /// The 76 bytes carried on the line: key id ‖ `timestamped_signature`.
    pub fn to_bytes(&self) -> [u8; COSIGNATURE_LEN] {
        let mut out = [0u8; COSIGNATURE_LEN];
        out[..4].copy_from_slice(&self.key_id.to_be_bytes());
        out[4..].copy_from_slice(&self.timestamped_signature());
        out
    }

    /// The standard base64 of [`Cosignature::to_bytes`].
    pub fn to_base64(&self) -> String {
        B64.encode(self.to_bytes())
    }
}

/// A witness's signing key: a name, its `cosignature/v1` key id and an Ed25519 key.
#[derive(Clone)]
pub struct CosignerKey {
    name: String,
    key_id: u32,
    key: SigningKey,
}

impl fmt::Debug for CosignerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CosignerKey")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .finish_non_exhaustive()
    }
}

impl CosignerKey {
    /// The cosigner `name` with the Ed25519 key of the 32-byte RFC 8032 `seed`.
    /// Refuses invalid names (see [`crate::note::is_valid_name`]).
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, CosignatureError> {
        check_name(name)?;
        let key = SigningKey::from_bytes(seed);
        Ok(CosignerKey {
            name: name.to_string(),
            key_id: cosigner_key_id(name, &key.verifying_key()),
            key,
        })
    }

    /// The cosigner's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The cosigner's key id (type 0x04).
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The matching verifier.
    pub fn verifier(&self) -> CosignerVerifier {
        CosignerVerifier {
            name: self.name.clone(),
            key_id: self.key_id,
            key: self.key.verifying_key(),
        }
    }

    /// Cosigns `checkpoint` as of `timestamp` (POSIX seconds, at most [`TIMESTAMP_MAX`]).
    pub fn cosign(
        &self,
        checkpoint: &Checkpoint,
        timestamp: u64,
    ) -> Result<Cosignature, CosignatureError> {
        if timestamp > TIMESTAMP_MAX {
            return Err(CosignatureError::TimestampOutOfRange { timestamp });
        }
        checkpoint.validate()?;
        let message = signed_message(timestamp, &checkpoint.to_text());
        Ok(Cosignature {
            key_id: self.key_id,
            timestamp,
            signature: self.key.sign(message.as_bytes()).to_bytes(),
        })
    }

    /// The signature line `— <name> base64(key id ‖ timestamp ‖ signature)\n` that
    /// cosigns `checkpoint` as of `timestamp`; appended to the checkpoint's signed note,
    /// it makes the cosigned note.
    pub fn signature_line(
        &self,
        checkpoint: &Checkpoint,
        timestamp: u64,
    ) -> Result<String, CosignatureError> {
        let cosignature = self.cosign(checkpoint, timestamp)?;
        Ok(format!(
            "{SIG_PREFIX}{} {}\n",
            self.name,
            cosignature.to_base64()
        ))
    }
}

/// A witness's verifier key: a name, its `cosignature/v1` key id and an Ed25519 public
/// key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CosignerVerifier {
    name: String,
    key_id: u32,
    key: VerifyingKey,
}

impl CosignerVerifier {
    /// The cosigner `name` with public key `key`. Refuses invalid names and weak keys.
    pub fn new(name: &str, key: VerifyingKey) -> Result<Self, CosignatureError> {
        check_name(name)?;
        if key.is_weak() {
            return Err(NoteError::InvalidPublicKey.into());
        }
        Ok(CosignerVerifier {
            name: name.to_string(),
            key_id: cosigner_key_id(name, &key),
            key,
        })
    }

    /// Parses a witness vkey `<name>+<8 hex key id>+base64(0x04 ‖ public key)`, checking
    /// the type byte (0x04 only), the point and that the key id matches.
    pub fn from_vkey(vkey: &str) -> Result<Self, CosignatureError> {
        let (name, key_id, key) = parse_ed25519_vkey(vkey, ALG_COSIGNATURE_V1)?;
        Ok(CosignerVerifier { name, key_id, key })
    }

    /// The vkey `<name>+<8 hex key id>+base64(0x04 ‖ public key)`.
    pub fn to_vkey(&self) -> String {
        format_ed25519_vkey(&self.name, self.key_id, ALG_COSIGNATURE_V1, &self.key)
    }

    /// The cosigner's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The cosigner's key id (type 0x04).
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The Ed25519 public key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.key
    }

    /// Checks the bytes after the key id on one of this cosigner's lines (the
    /// `timestamped_signature`) against the checkpoint body `checkpoint_text`: exactly
    /// 72 bytes, a timestamp of at most [`TIMESTAMP_MAX`], and a strict Ed25519 signature
    /// over [`signed_message`]. Returns the timestamp.
    pub fn verify(
        &self,
        checkpoint_text: &str,
        timestamped_signature: &[u8],
    ) -> Result<u64, CosignatureError> {
        let raw: &[u8; TIMESTAMPED_SIGNATURE_LEN] =
            timestamped_signature
                .try_into()
                .map_err(|_| CosignatureError::WrongLength {
                    len: 4 + timestamped_signature.len(),
                    expected: COSIGNATURE_LEN,
                })?;
        let mut ts = [0u8; 8];
        ts.copy_from_slice(&raw[..8]);
        let timestamp = u64::from_be_bytes(ts);
        if timestamp > TIMESTAMP_MAX {
            return Err(CosignatureError::TimestampOutOfRange { timestamp });
        }
        let bad = || CosignatureError::BadSignature {
            name: self.name.clone(),
            key_id: self.key_id,
        };
        let signature = Signature::from_slice(&raw[8..]).map_err(|_| bad())?;
        let message = signed_message(timestamp, checkpoint_text);
        self.key
            .verify_strict(message.as_bytes(), &signature)
            .map_err(|_| bad())?;
        Ok(timestamp)
    }
}

impl NoteKey for CosignerVerifier {
    fn key_name(&self) -> &str {
        &self.name
    }

    fn note_key_id(&self) -> u32 {
        self.key_id
    }

    fn verifies(&self, text: &str, signature: &[u8]) -> bool {
        self.verify(text, signature).is_ok()
    }
}

/// What one signature line of a note is, for a verifier configured with some cosigners.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineOutcome {
    /// A configured cosigner's valid cosignature, made at `timestamp` (POSIX seconds).
    Valid {
        /// When the witness signed.
        timestamp: u64,
    },
    /// The name and key id are a configured cosigner's, but the cosignature is refused:
    /// wrong length, timestamp over 2^63 − 1, or a signature that does not verify.
    Invalid(CosignatureError),
    /// No configured cosigner has this name and key id (e.g. the log's own signature, an
    /// unknown witness): the line is skipped, as signed-note requires.
    Ignored,
}

/// One signature line of a note and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineCheck {
    /// The name on the line.
    pub name: String,
    /// The key id on the line.
    pub key_id: u32,
    /// What the line is.
    pub outcome: LineOutcome,
}

/// Checks every signature line of the signed note `note` against `cosigners`, in note
/// order. Refuses only a note that does not parse (see [`parse_note`]); a line that
/// matches a configured cosigner's name and key id but fails is
/// [`LineOutcome::Invalid`], a line that matches none is [`LineOutcome::Ignored`].
pub fn check_lines(
    note: &str,
    cosigners: &[CosignerVerifier],
) -> Result<Vec<LineCheck>, NoteError> {
    let parsed = parse_note(note)?;
    Ok(parsed
        .signatures
        .iter()
        .map(|sig| {
            let mut candidates = cosigners
                .iter()
                .filter(|c| c.name == sig.name && c.key_id == sig.key_id)
                .peekable();
            let outcome = if candidates.peek().is_none() {
                LineOutcome::Ignored
            } else {
                let mut last = None;
                let mut valid = None;
                for c in candidates {
                    match c.verify(parsed.text, &sig.signature) {
                        Ok(timestamp) => {
                            valid = Some(timestamp);
                            break;
                        }
                        Err(e) => last = Some(e),
                    }
                }
                match (valid, last) {
                    (Some(timestamp), _) => LineOutcome::Valid { timestamp },
                    (None, Some(e)) => LineOutcome::Invalid(e),
                    (None, None) => LineOutcome::Ignored,
                }
            };
            LineCheck {
                name: sig.name.to_string(),
                key_id: sig.key_id,
                outcome,
            }
        })
        .collect())
}

/// A witness's verified cosignature of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCosignature {
    /// The cosigner's name.
    pub name: String,
    /// The cosigner's key id.
    pub key_id: u32,
    /// When the witness signed, in POSIX seconds (at most 2^63 − 1).
    pub timestamp: u64,
}

/// A note whose cosignatures were checked by [`open_cosigned`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignedNote {
    /// The signed text (the checkpoint body), with its final newline.
    pub text: String,
    /// The configured cosigners whose cosignatures verified, in note order, each once
    /// (the first of its lines).
    pub cosignatures: Vec<VerifiedCosignature>,
    /// Number of distinct lines by keys that are not configured (ignored).
    pub ignored: usize,
}

/// Opens a note by the signed-note rules with `cosigners` as the known keys: lines of
/// unknown keys are ignored; a configured cosigner's line that fails refuses the whole
/// note ([`NoteError::InvalidSignature`]); a note with no valid cosignature is refused
/// ([`NoteError::Unverified`]).
pub fn open_cosigned(
    note: &str,
    cosigners: &[CosignerVerifier],
) -> Result<CosignedNote, NoteError> {
    let opened = open_note_with(note, cosigners)?;
    let mut cosignatures: Vec<VerifiedCosignature> = Vec::new();
    for line in check_lines(note, cosigners)? {
        if let LineOutcome::Valid { timestamp } = line.outcome {
            if !cosignatures
                .iter()
                .any(|c| c.name == line.name && c.key_id == line.key_id)
            {
                cosignatures.push(VerifiedCosignature {
                    name: line.name,
                    key_id: line.key_id,
                    timestamp,
                });
            }
        }
    }
    Ok(CosignedNote {
        text: opened.text,
        cosignatures,
        ignored: opened.unverified,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::sha256;
    use crate::note::NoteSigner;

    fn checkpoint() -> Checkpoint {
        Checkpoint {
            origin: "example.com/fund".into(),
            tree_size: 7,
            root: sha256(b"root"),
            extensions: vec!["ext".into()],
        }
    }

    #[test]
    fn sign_verify_round_trip() {
        let w = CosignerKey::from_seed("w.example/one", &[5; 32]).unwrap();
        let v = w.verifier();
        assert_eq!(CosignerVerifier::from_vkey(&v.to_vkey()), Ok(v.clone()));
        assert!(v.to_vkey().rsplit('+').next().unwrap().starts_with('B'));
        let cp = checkpoint();
        let line = w.signature_line(&cp, 1_700_000_000).unwrap();
        let log = NoteSigner::new("example.com/fund", SigningKey::from_bytes(&[9; 32])).unwrap();
        let note = format!("{}{line}", cp.sign(&log).unwrap());
        let opened = open_cosigned(&note, std::slice::from_ref(&v)).unwrap();
        assert_eq!(opened.text, cp.to_text());
        assert_eq!(opened.ignored, 1);
        assert_eq!(
            opened.cosignatures,
            [VerifiedCosignature {
                name: "w.example/one".into(),
                key_id: w.key_id(),
                timestamp: 1_700_000_000
            }]
        );
        // The log key does not open it as a cosigner, and the cosignature does not open
        // it as a log signature.
        let lines = check_lines(&note, &[v]).unwrap();
        assert_eq!(lines[0].outcome, LineOutcome::Ignored);
        assert!(Checkpoint::open(&note, &log.verifier()).is_ok());
    }

    #[test]
    fn timestamps_over_max_are_refused() {
        let w = CosignerKey::from_seed("w", &[5; 32]).unwrap();
        let err = w.cosign(&checkpoint(), TIMESTAMP_MAX + 1).unwrap_err();
        assert_eq!(err.code(), "cosignature_timestamp_out_of_range");
        assert!(!err.message_zh().is_empty());
        assert!(w.cosign(&checkpoint(), TIMESTAMP_MAX).is_ok());
    }

    #[test]
    fn vkey_refusals() {
        let w = CosignerKey::from_seed("w", &[5; 32]).unwrap();
        let vkey = w.verifier().to_vkey();
        let note_vkey = NoteSigner::new("w", SigningKey::from_bytes(&[5; 32]))
            .unwrap()
            .verifier()
            .to_vkey();
        assert_eq!(
            CosignerVerifier::from_vkey(&note_vkey),
            Err(CosignatureError::Note(NoteError::UnsupportedAlgorithm {
                alg: 0x01,
                expected: 0x04
            }))
        );
        let (name, rest) = vkey.split_once('+').unwrap();
        let (_, b64) = rest.split_once('+').unwrap();
        assert_eq!(
            CosignerVerifier::from_vkey(&format!("{name}+00000000+{b64}"))
                .unwrap_err()
                .code(),
            "key_id_mismatch"
        );
        assert_eq!(
            CosignerKey::from_seed("a b", &[1; 32]).unwrap_err().code(),
            "invalid_key_name"
        );
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn any_checkpoint() -> impl Strategy<Value = Checkpoint> {
            (
                any::<u64>(),
                any::<[u8; 32]>(),
                prop::collection::vec("[a-z0-9 /—]{1,12}", 0..3),
            )
                .prop_map(|(tree_size, root, extensions)| Checkpoint {
                    origin: "example.com/fund".into(),
                    tree_size,
                    root: crate::hash::Hash(root),
                    extensions,
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]

            /// Sign, print the line, parse the note, verify: the same timestamp comes back;
            /// and the decoded line prints back as itself.
            #[test]
            fn line_round_trip(cp in any_checkpoint(), timestamp in 0..=TIMESTAMP_MAX, seed in any::<[u8; 32]>()) {
                let w = CosignerKey::from_seed("w.example/x", &seed).unwrap();
                let line = w.signature_line(&cp, timestamp).unwrap();
                let note = format!("{}\n{line}", cp.to_text());
                let opened = open_cosigned(&note, &[w.verifier()]).unwrap();
                prop_assert_eq!(opened.cosignatures[0].timestamp, timestamp);
                prop_assert_eq!(&opened.text, &cp.to_text());
                let b64 = line.trim_end().rsplit(' ').next().unwrap();
                let c = Cosignature::from_base64(b64).unwrap();
                prop_assert_eq!(c.to_base64(), b64);
                prop_assert_eq!(c.timestamp, timestamp);
                prop_assert_eq!(c.key_id, w.key_id());
            }

            /// Flipping any bit of a cosignature's 76 bytes never leaves a valid line.
            #[test]
            fn any_bit_flip_is_never_valid(cp in any_checkpoint(), timestamp in 0..=TIMESTAMP_MAX, bit in 0usize..(COSIGNATURE_LEN * 8)) {
                let w = CosignerKey::from_seed("w.example/x", &[3; 32]).unwrap();
                let mut raw = w.cosign(&cp, timestamp).unwrap().to_bytes();
                raw[bit / 8] ^= 1 << (bit % 8);
                let note = format!("{}\n\u{2014} w.example/x {}\n", cp.to_text(), B64.encode(raw));
                let lines = check_lines(&note, &[w.verifier()]).unwrap();
                let valid = matches!(lines[0].outcome, LineOutcome::Valid { .. });
                prop_assert!(!valid);
            }
        }
    }

    #[test]
    fn cosignature_bytes_round_trip() {
        let c = Cosignature {
            key_id: 0x0102_0304,
            timestamp: u64::MAX,
            signature: [7; 64],
        };
        assert_eq!(Cosignature::from_base64(&c.to_base64()), Ok(c));
        assert_eq!(
            Cosignature::from_bytes(&[0; 75]),
            Err(CosignatureError::WrongLength {
                len: 75,
                expected: 76
            })
        );
        assert_eq!(
            Cosignature::from_base64("!!"),
            Err(CosignatureError::NotBase64)
        );
    }
}
