//! C2SP signed notes (<https://c2sp.org/signed-note>) with Ed25519 signatures.
//!
//! A note is a text (UTF-8, ending in `\n`), a blank line, and one or more signature
//! lines `— <name> <base64(key id ‖ signature)>\n` (U+2014 em dash, then a space).
//! The key id is the first 4 bytes (big-endian) of SHA-256(name ‖ `\n` ‖ 0x01 ‖ public key).
//!
//! Keys are exchanged as strings in the Go `golang.org/x/mod/sumdb/note` formats:
//! verifier keys `<name>+<8 hex key id>+<base64(0x01 ‖ public key)>` and private keys
//! `PRIVATE+KEY+<name>+<8 hex key id>+<base64(0x01 ‖ seed)>`.
//!
//! Compatibility notes: like Go, notes may not contain control characters other than
//! `\n`, and at most [`SIGNATURES_MAX`] signature lines are read. Unlike Go, every
//! signature by a known key is verified (Go skips repeated ones), signatures are
//! verified with `verify_strict`, base64 must be canonical, and weak (small-order)
//! public keys are refused.

use std::fmt;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::error::Coded;

/// Largest note, in bytes, that [`sign_note`] produces and [`parse_note`] reads (1 MiB).
pub const NOTE_SIZE_MAX: usize = 1 << 20;

/// Most signature lines a note may carry.
pub const SIGNATURES_MAX: usize = 100;

/// The signature type byte of Ed25519 keys in key strings and key ids.
pub const ALG_ED25519: u8 = 0x01;

/// The signature type byte of Ed25519 `cosignature/v1` witness keys (C2SP
/// tlog-cosignature v1.0.1); see [`crate::cosignature`].
pub const ALG_COSIGNATURE_V1: u8 = 0x04;

/// Prefix of every signature line: U+2014 em dash and a space.
pub(crate) const SIG_PREFIX: &str = "\u{2014} ";

/// Why a key string or note is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    /// A key name is empty or contains whitespace, `+` or a control character.
    #[error("invalid key name {name:?}: must be non-empty, without whitespace, '+' or control characters")]
    InvalidName {
        /// The refused name.
        name: String,
    },
    /// A verifier key string is not `<name>+<8 hex>+<base64>` with a 32-byte Ed25519 key.
    #[error("malformed verifier key: {reason}")]
    MalformedVerifierKey {
        /// What is wrong (English).
        reason: &'static str,
    },
    /// A private key string is not `PRIVATE+KEY+<name>+<8 hex>+<base64>` with a 32-byte seed.
    #[error("malformed private key: {reason}")]
    MalformedPrivateKey {
        /// What is wrong (English).
        reason: &'static str,
    },
    /// The key type byte is not the one this kind of key uses (0x01 for note keys,
    /// 0x04 for cosigner keys).
    #[error("unsupported key algorithm 0x{alg:02x} (expected 0x{expected:02x})")]
    UnsupportedAlgorithm {
        /// The key type byte found.
        alg: u8,
        /// The key type byte this kind of key must have.
        expected: u8,
    },
    /// The key id in a key string does not match the name and key.
    #[error("key id {stated:08x} does not match the name and key (expected {computed:08x})")]
    KeyIdMismatch {
        /// The key id written in the key string.
        stated: u32,
        /// The key id computed from the name and key.
        computed: u32,
    },
    /// The public key is not a valid Ed25519 point or has small order.
    #[error("invalid or weak Ed25519 public key")]
    InvalidPublicKey,
    /// The text to sign, or a note's text, does not end with a newline.
    #[error("note text must be non-empty and end with a newline")]
    TextNotNewlineTerminated,
    /// The note contains a control character other than newline.
    #[error("note contains a control character other than newline at byte offset {offset}")]
    ControlCharacter {
        /// Byte offset of the character.
        offset: usize,
    },
    /// `sign_note` was given no signer.
    #[error("a note needs at least one signer")]
    NoSigners,
    /// The note is larger than [`NOTE_SIZE_MAX`].
    #[error("note is {size} bytes, more than the limit of {max}")]
    TooLarge {
        /// Size of the note in bytes.
        size: usize,
        /// The limit, [`NOTE_SIZE_MAX`].
        max: usize,
    },
    /// The note has more than [`SIGNATURES_MAX`] signature lines.
    #[error("note has more than {max} signatures")]
    TooManySignatures {
        /// The limit, [`SIGNATURES_MAX`].
        max: usize,
    },
    /// The note has no blank line followed by a non-empty, newline-terminated signature block.
    #[error("note has no signature block (a blank line followed by signature lines)")]
    MissingSignatures,
    /// A signature line is not `— <name> <base64>` with at least a key id and one byte.
    #[error("malformed signature line {line} of the signature block")]
    MalformedSignatureLine {
        /// 1-based number of the line within the signature block.
        line: usize,
    },
    /// A signature by a known key (name and key id match) does not verify.
    #[error("invalid signature by {name}+{key_id:08x}")]
    InvalidSignature {
        /// Name of the key.
        name: String,
        /// Key id of the key.
        key_id: u32,
    },
    /// No signature on the note is by a known key.
    #[error("no signature by a known key ({unverified} signatures by unknown keys)")]
    Unverified {
        /// Number of distinct signatures by unknown keys.
        unverified: usize,
    },
}

impl Coded for NoteError {
    fn code(&self) -> &'static str {
        match self {
            NoteError::InvalidName { .. } => "invalid_key_name",
            NoteError::MalformedVerifierKey { .. } => "malformed_verifier_key",
            NoteError::MalformedPrivateKey { .. } => "malformed_private_key",
            NoteError::UnsupportedAlgorithm { .. } => "unsupported_key_algorithm",
            NoteError::KeyIdMismatch { .. } => "key_id_mismatch",
            NoteError::InvalidPublicKey => "invalid_public_key",
            NoteError::TextNotNewlineTerminated => "note_text_not_newline_terminated",
            NoteError::ControlCharacter { .. } => "note_control_character",
            NoteError::NoSigners => "note_no_signers",
            NoteError::TooLarge { .. } => "note_too_large",
            NoteError::TooManySignatures { .. } => "note_too_many_signatures",
            NoteError::MissingSignatures => "note_missing_signatures",
            NoteError::MalformedSignatureLine { .. } => "malformed_signature_line",
            NoteError::InvalidSignature { .. } => "invalid_note_signature",
            NoteError::Unverified { .. } => "note_unverified",
        }
    }

    fn message_en(&self) -> String {
        self.to_string()
    }

    fn message_zh(&self) -> String {
        match self {
            NoteError::InvalidName { name } => {
                format!("密钥名称 {name:?} 无效：不能为空，不能包含空白字符、“+”或控制字符")
            }
            NoteError::MalformedVerifierKey { reason } => {
                format!("验证公钥字符串格式错误（应为 名称+8位十六进制密钥ID+base64）：{reason}")
            }
            NoteError::MalformedPrivateKey { reason } => {
                format!("私钥字符串格式错误（应为 PRIVATE+KEY+名称+8位十六进制密钥ID+base64）：{reason}")
            }
            NoteError::UnsupportedAlgorithm { alg, expected } => {
                format!("不支持的密钥算法 0x{alg:02x}（此处应为 0x{expected:02x}）")
            }
            NoteError::KeyIdMismatch { stated, computed } => {
                format!("密钥ID {stated:08x} 与名称和密钥不符（应为 {computed:08x}）")
            }
            NoteError::InvalidPublicKey => "Ed25519 公钥无效或为弱密钥".to_string(),
            NoteError::TextNotNewlineTerminated => {
                "签名文本不能为空，且必须以换行符结尾".to_string()
            }
            NoteError::ControlCharacter { offset } => {
                format!("签名文本在字节偏移 {offset} 处包含换行符以外的控制字符")
            }
            NoteError::NoSigners => "签名文本至少需要一个签名者".to_string(),
            NoteError::TooLarge { size, max } => {
                format!("签名文本大小为 {size} 字节，超过上限 {max} 字节")
            }
            NoteError::TooManySignatures { max } => format!("签名数量超过上限 {max} 个"),
            NoteError::MissingSignatures => {
                "签名文本缺少签名部分（应为一个空行后接若干签名行）".to_string()
            }
            NoteError::MalformedSignatureLine { line } => {
                format!("签名部分第 {line} 行格式错误")
            }
            NoteError::InvalidSignature { name, key_id } => {
                format!("密钥 {name}+{key_id:08x} 的签名无效")
            }
            NoteError::Unverified { unverified } => {
                format!("没有任何已知密钥的签名（另有 {unverified} 个未知密钥的签名）")
            }
        }
    }
}

/// Whether `name` may name a key: non-empty, no whitespace, no `+`, no control character.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c < ' ')
}

/// Refuses a name that [`is_valid_name`] does not accept.
pub(crate) fn check_name(name: &str) -> Result<(), NoteError> {
    if is_valid_name(name) {
        Ok(())
    } else {
        Err(NoteError::InvalidName {
            name: name.to_string(),
        })
    }
}

/// The key id of an Ed25519 key: the first 4 bytes, big-endian, of
/// SHA-256(name ‖ `\n` ‖ 0x01 ‖ public key).
pub fn key_id(name: &str, public_key: &VerifyingKey) -> u32 {
    key_id_of_type(name, ALG_ED25519, public_key)
}

/// The key id of an Ed25519 key used with signature type `alg`: the first 4 bytes,
/// big-endian, of SHA-256(name ‖ `\n` ‖ alg ‖ public key). For `alg` =
/// [`ALG_ED25519`] this is [`key_id`]; for [`ALG_COSIGNATURE_V1`] it is the key id of a
/// witness's cosignatures.
pub fn key_id_of_type(name: &str, alg: u8, public_key: &VerifyingKey) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', alg]);
    h.update(public_key.as_bytes());
    let digest = h.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// Parses exactly 8 hex digits (either case, as Go does) into a key id.
fn parse_key_id(s: &str) -> Option<u32> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

/// Decodes `base64(alg ‖ 32 bytes)`, distinguishing bad type bytes from bad shapes.
fn decode_typed_key(b64: &str, expected: u8) -> Result<[u8; 32], KeyDecodeError> {
    let raw = B64.decode(b64).map_err(|_| KeyDecodeError::Base64)?;
    match raw.split_first() {
        None => Err(KeyDecodeError::Length),
        Some((&alg, rest)) if alg == expected => {
            rest.try_into().map_err(|_| KeyDecodeError::Length)
        }
        Some((&alg, _)) => Err(KeyDecodeError::Alg(alg)),
    }
}

/// Parses a verifier key string `<name>+<hex id>+<base64(alg ‖ public key)>` for an
/// Ed25519 key of signature type `alg` (split on the first two `+` only), checking the
/// name, the type byte, the point (not weak) and that the key id matches
/// [`key_id_of_type`]. Returns the name, key id and key.
pub(crate) fn parse_ed25519_vkey(
    vkey: &str,
    alg: u8,
) -> Result<(String, u32, VerifyingKey), NoteError> {
    let malformed = |reason| NoteError::MalformedVerifierKey { reason };
    let (name, rest) = vkey.split_once('+').ok_or(malformed("missing key id"))?;
    let (id_hex, b64) = rest.split_once('+').ok_or(malformed("missing key"))?;
    check_name(name)?;
    let stated = parse_key_id(id_hex).ok_or(malformed("key id is not 8 hex digits"))?;
    let raw = decode_typed_key(b64, alg).map_err(|e| match e {
        KeyDecodeError::Base64 => malformed("key is not canonical base64"),
        KeyDecodeError::Length => malformed("public key is not 32 bytes"),
        KeyDecodeError::Alg(found) => NoteError::UnsupportedAlgorithm {
            alg: found,
            expected: alg,
        },
    })?;
    let key = VerifyingKey::from_bytes(&raw).map_err(|_| NoteError::InvalidPublicKey)?;
    if key.is_weak() {
        return Err(NoteError::InvalidPublicKey);
    }
    let computed = key_id_of_type(name, alg, &key);
    if computed != stated {
        return Err(NoteError::KeyIdMismatch { stated, computed });
    }
    Ok((name.to_string(), computed, key))
}

/// Prints the verifier key string `<name>+<hex id>+<base64(alg ‖ public key)>`.
pub(crate) fn format_ed25519_vkey(name: &str, key_id: u32, alg: u8, key: &VerifyingKey) -> String {
    let mut raw = [0u8; 33];
    raw[0] = alg;
    raw[1..].copy_from_slice(key.as_bytes());
    format!("{name}+{key_id:08x}+{}", B64.encode(raw))
}

enum KeyDecodeError {
    Base64,
    Length,
    Alg(u8),
}

/// A key that signs notes: a name, its key id and an Ed25519 signing key.
#[derive(Clone)]
pub struct NoteSigner {
    name: String,
    key_id: u32,
    key: SigningKey,
}

impl fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NoteSigner")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .finish_non_exhaustive()
    }
}

impl NoteSigner {
    /// A signer named `name` with `key`. Refuses invalid names.
    pub fn new(name: &str, key: SigningKey) -> Result<Self, NoteError> {
        check_name(name)?;
        let key_id = key_id(name, &key.verifying_key());
        Ok(NoteSigner {
            name: name.to_string(),
            key_id,
            key,
        })
    }

    /// Parses a Go private key string `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 ‖ seed)>`,
    /// checking that the key id matches the name and the key derived from the seed.
    pub fn from_private_key_string(s: &str) -> Result<Self, NoteError> {
        let malformed = |reason| NoteError::MalformedPrivateKey { reason };
        let rest = s
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(malformed("does not start with PRIVATE+KEY+"))?;
        let (name, rest) = rest.split_once('+').ok_or(malformed("missing key id"))?;
        let (id_hex, b64) = rest.split_once('+').ok_or(malformed("missing key"))?;
        check_name(name)?;
        let stated = parse_key_id(id_hex).ok_or(malformed("key id is not 8 hex digits"))?;
        let seed = decode_typed_key(b64, ALG_ED25519).map_err(|e| match e {
            KeyDecodeError::Base64 => malformed("key is not canonical base64"),
            KeyDecodeError::Length => malformed("seed is not 32 bytes"),
            KeyDecodeError::Alg(alg) => NoteError::UnsupportedAlgorithm {
                alg,
                expected: ALG_ED25519,
            },
        })?;
        let signer = NoteSigner::new(name, SigningKey::from_bytes(&seed))?;
        if signer.key_id != stated {
            return Err(NoteError::KeyIdMismatch {
                stated,
                computed: signer.key_id,
            });
        }
        Ok(signer)
    }

    /// The Go private key string `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 ‖ seed)>`.
    ///
    /// This is the secret: handle it as such.
    pub fn to_private_key_string(&self) -> String {
        let mut raw = [0u8; 33];
        raw[0] = ALG_ED25519;
        raw[1..].copy_from_slice(self.key.as_bytes());
        let s = format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.key_id,
            B64.encode(raw)
        );
        raw.fill(0);
        s
    }

    /// The matching verifier.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            key_id: self.key_id,
            key: self.key.verifying_key(),
        }
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The raw Ed25519 signature of `message`.
    fn sign_raw(&self, message: &[u8]) -> Signature {
        self.key.sign(message)
    }
}

/// A key that verifies notes: a name, its key id and an Ed25519 public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_id: u32,
    key: VerifyingKey,
}

impl NoteVerifier {
    /// A verifier named `name` for `key`. Refuses invalid names and weak keys.
    pub fn new(name: &str, key: VerifyingKey) -> Result<Self, NoteError> {
        check_name(name)?;
        if key.is_weak() {
            return Err(NoteError::InvalidPublicKey);
        }
        Ok(NoteVerifier {
            name: name.to_string(),
            key_id: key_id(name, &key),
            key,
        })
    }

    /// Parses a verifier key string `<name>+<hex id>+<base64(0x01 ‖ public key)>`
    /// (split on the first two `+` only), checking that the key id matches.
    pub fn from_vkey(vkey: &str) -> Result<Self, NoteError> {
        let (name, key_id, key) = parse_ed25519_vkey(vkey, ALG_ED25519)?;
        Ok(NoteVerifier { name, key_id, key })
    }

    /// The verifier key string `<name>+<hex id>+<base64(0x01 ‖ public key)>`.
    pub fn to_vkey(&self) -> String {
        format_ed25519_vkey(&self.name, self.key_id, ALG_ED25519, &self.key)
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The Ed25519 public key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.key
    }

    /// Whether `signature` (64 bytes) is a valid strict Ed25519 signature of `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match Signature::from_slice(signature) {
            Ok(sig) => self.key.verify_strict(message, &sig).is_ok(),
            Err(_) => false,
        }
    }
}

/// One signature line of a note, not yet verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature<'a> {
    /// The key name.
    pub name: &'a str,
    /// The key id (first 4 bytes of the decoded blob, big-endian).
    pub key_id: u32,
    /// The signature bytes after the key id (64 bytes for Ed25519; other key types may differ).
    pub signature: Vec<u8>,
}

/// A note split into its text and signature lines, without any verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedNote<'a> {
    /// The signed text, including its final newline.
    pub text: &'a str,
    /// The signature lines, in order, including repeats.
    pub signatures: Vec<NoteSignature<'a>>,
}

/// A note whose signatures were checked by [`open_note`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedNote {
    /// The signed text, including its final newline.
    pub text: String,
    /// Names of the known keys whose signatures verified, in note order, without repeats.
    pub verified_by: Vec<String>,
    /// Number of distinct signature lines by keys not among the verifiers (ignored).
    pub unverified: usize,
}

/// Refuses control characters other than `\n`.
fn check_controls(s: &str) -> Result<(), NoteError> {
    match s.bytes().position(|b| b < b' ' && b != b'\n') {
        Some(offset) => Err(NoteError::ControlCharacter { offset }),
        None => Ok(()),
    }
}

/// Signs `text` (which must end with `\n`) with each signer, in order, and returns the
/// complete note: text, a blank line, one signature line per signer.
pub fn sign_note(text: &str, signers: &[&NoteSigner]) -> Result<String, NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::TextNotNewlineTerminated);
    }
    check_controls(text)?;
    if signers.is_empty() {
        return Err(NoteError::NoSigners);
    }
    if signers.len() > SIGNATURES_MAX {
        return Err(NoteError::TooManySignatures {
            max: SIGNATURES_MAX,
        });
    }
    let mut note = String::with_capacity(text.len() + 1 + signers.len() * 128);
    note.push_str(text);
    note.push('\n');
    for signer in signers {
        let mut blob = [0u8; 68];
        blob[..4].copy_from_slice(&signer.key_id.to_be_bytes());
        blob[4..].copy_from_slice(&signer.sign_raw(text.as_bytes()).to_bytes());
        note.push_str(SIG_PREFIX);
        note.push_str(&signer.name);
        note.push(' ');
        note.push_str(&B64.encode(blob));
        note.push('\n');
    }
    if note.len() > NOTE_SIZE_MAX {
        return Err(NoteError::TooLarge {
            size: note.len(),
            max: NOTE_SIZE_MAX,
        });
    }
    Ok(note)
}

/// Splits a note into text and signature lines without verifying anything.
///
/// Refuses notes over [`NOTE_SIZE_MAX`] bytes, with control characters other than `\n`,
/// without a signature block, with more than [`SIGNATURES_MAX`] signature lines, or with
/// a malformed signature line.
pub fn parse_note(note: &str) -> Result<ParsedNote<'_>, NoteError> {
    if note.len() > NOTE_SIZE_MAX {
        return Err(NoteError::TooLarge {
            size: note.len(),
            max: NOTE_SIZE_MAX,
        });
    }
    check_controls(note)?;
    let split = note.rfind("\n\n").ok_or(NoteError::MissingSignatures)?;
    let (text, sigs) = (&note[..split + 1], &note[split + 2..]);
    if sigs.is_empty() || !sigs.ends_with('\n') {
        return Err(NoteError::MissingSignatures);
    }
    let mut signatures = Vec::new();
    for (i, line) in sigs[..sigs.len() - 1].split('\n').enumerate() {
        if i >= SIGNATURES_MAX {
            return Err(NoteError::TooManySignatures {
                max: SIGNATURES_MAX,
            });
        }
        let bad = NoteError::MalformedSignatureLine { line: i + 1 };
        let rest = line.strip_prefix(SIG_PREFIX).ok_or_else(|| bad.clone())?;
        let (name, b64) = rest.split_once(' ').ok_or_else(|| bad.clone())?;
        if !is_valid_name(name) || b64.is_empty() {
            return Err(bad);
        }
        let blob = B64.decode(b64).map_err(|_| bad.clone())?;
        if blob.len() < 5 {
            return Err(bad);
        }
        let (id, sig) = blob.split_at(4);
        signatures.push(NoteSignature {
            name,
            key_id: u32::from_be_bytes([id[0], id[1], id[2], id[3]]),
            signature: sig.to_vec(),
        });
    }
    Ok(ParsedNote { text, signatures })
}

/// Parses `note` and checks its signatures against `verifiers`.
///
/// Signatures by unknown keys (no verifier with the same name and key id) are counted in
/// [`OpenedNote::unverified`] and otherwise ignored. Every signature by a known key must
/// verify, else [`NoteError::InvalidSignature`]; at least one must, else
/// [`NoteError::Unverified`].
pub fn open_note(note: &str, verifiers: &[NoteVerifier]) -> Result<OpenedNote, NoteError> {
    open_note_with(note, verifiers)
}

/// A known key that a note's signature lines are checked against: a signed-note
/// Ed25519 key ([`NoteVerifier`]) or a witness's cosignature key
/// ([`crate::cosignature::CosignerVerifier`]).
pub trait NoteKey {
    /// The key name, as on signature lines.
    fn key_name(&self) -> &str;
    /// The key id, as in the first 4 bytes of a signature.
    fn note_key_id(&self) -> u32;
    /// Whether `signature` (the bytes after the key id) is this key's valid signature
    /// of the note text `text`.
    fn verifies(&self, text: &str, signature: &[u8]) -> bool;
}

impl NoteKey for NoteVerifier {
    fn key_name(&self) -> &str {
        &self.name
    }

    fn note_key_id(&self) -> u32 {
        self.key_id
    }

    fn verifies(&self, text: &str, signature: &[u8]) -> bool {
        self.verify(text.as_bytes(), signature)
    }
}

/// [`open_note`] for any kind of known key: the signed-note rules (unknown keys
/// ignored, every known key's signature must verify, at least one must) with each
/// key's own signature check.
pub fn open_note_with<K: NoteKey>(note: &str, verifiers: &[K]) -> Result<OpenedNote, NoteError> {
    let parsed = parse_note(note)?;
    let mut verified_by: Vec<String> = Vec::new();
    let mut verified_ids: Vec<(&str, u32)> = Vec::new();
    let mut unknown: Vec<&NoteSignature<'_>> = Vec::new();
    for sig in &parsed.signatures {
        let mut candidates = verifiers
            .iter()
            .filter(|v| v.key_name() == sig.name && v.note_key_id() == sig.key_id)
            .peekable();
        if candidates.peek().is_none() {
            if !unknown.contains(&sig) {
                unknown.push(sig);
            }
            continue;
        }
        if !candidates.any(|v| v.verifies(parsed.text, &sig.signature)) {
            return Err(NoteError::InvalidSignature {
                name: sig.name.to_string(),
                key_id: sig.key_id,
            });
        }
        if !verified_ids.contains(&(sig.name, sig.key_id)) {
            verified_ids.push((sig.name, sig.key_id));
            if !verified_by.iter().any(|n| n == sig.name) {
                verified_by.push(sig.name.to_string());
            }
        }
    }
    if verified_by.is_empty() {
        return Err(NoteError::Unverified {
            unverified: unknown.len(),
        });
    }
    Ok(OpenedNote {
        text: parsed.text.to_string(),
        verified_by,
        unverified: unknown.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(name: &str, seed: u8) -> NoteSigner {
        NoteSigner::new(name, SigningKey::from_bytes(&[seed; 32])).unwrap()
    }

    #[test]
    fn names() {
        assert!(is_valid_name("example.com/log"));
        assert!(is_valid_name("例子"));
        for bad in [
            "",
            "a b",
            "a+b",
            "a\tb",
            "a\u{a0}b",
            "a\u{2003}b",
            "a\u{1}b",
        ] {
            assert!(!is_valid_name(bad), "{bad:?}");
            let err = NoteSigner::new(bad, SigningKey::from_bytes(&[1; 32])).unwrap_err();
            assert_eq!(err.code(), "invalid_key_name");
        }
    }

    #[test]
    fn key_strings_round_trip() {
        let s = signer("example.com/log", 7);
        let v = s.verifier();
        assert_eq!(NoteVerifier::from_vkey(&v.to_vkey()), Ok(v.clone()));
        let back = NoteSigner::from_private_key_string(&s.to_private_key_string()).unwrap();
        assert_eq!(back.verifier(), v);
        assert_eq!(back.name(), "example.com/log");
        assert_eq!(back.key_id(), v.key_id());
        let dbg = format!("{s:?}");
        assert!(dbg.contains("example.com/log") && !dbg.contains("PRIVATE"));
    }

    #[test]
    fn key_string_refusals() {
        let v = signer("n", 3).verifier();
        let vkey = v.to_vkey();
        let (name, rest) = vkey.split_once('+').unwrap();
        let (id, b64) = rest.split_once('+').unwrap();
        let cases = [
            ("n".to_string(), "malformed_verifier_key"),
            (format!("{name}+{id}"), "malformed_verifier_key"),
            (
                format!("{name}+{}+{b64}", &id[1..]),
                "malformed_verifier_key",
            ),
            (
                format!("{name}+0x{}+{b64}", &id[2..]),
                "malformed_verifier_key",
            ),
            (
                format!("{name}+{id}+{}", &b64[1..]),
                "malformed_verifier_key",
            ),
            (format!("{name}+{id}+AQ=="), "malformed_verifier_key"),
            (format!("{name}+{id}+"), "malformed_verifier_key"),
            (
                format!("{name}+{:08x}+{b64}", v.key_id() ^ 1),
                "key_id_mismatch",
            ),
            (format!("a b+{id}+{b64}"), "invalid_key_name"),
            (format!("+{id}+{b64}"), "invalid_key_name"),
        ];
        for (s, code) in cases {
            assert_eq!(NoteVerifier::from_vkey(&s).unwrap_err().code(), code, "{s}");
        }
        // A type byte other than 0x01.
        let mut raw = vec![0x02];
        raw.extend_from_slice(v.verifying_key().as_bytes());
        let s = format!("{name}+{id}+{}", B64.encode(&raw));
        assert_eq!(
            NoteVerifier::from_vkey(&s),
            Err(NoteError::UnsupportedAlgorithm {
                alg: 2,
                expected: ALG_ED25519
            })
        );
        // The identity point is a small-order (weak) key.
        let mut ident = [0u8; 32];
        ident[0] = 1;
        let weak = VerifyingKey::from_bytes(&ident).unwrap();
        assert_eq!(
            NoteVerifier::new("n", weak),
            Err(NoteError::InvalidPublicKey)
        );

        let sk = signer("n", 3).to_private_key_string();
        assert_eq!(
            NoteSigner::from_private_key_string(&sk[8..])
                .unwrap_err()
                .code(),
            "malformed_private_key"
        );
        let bad_id = sk.replace(&format!("+{id}+"), &format!("+{:08x}+", v.key_id() ^ 1));
        assert_eq!(
            NoteSigner::from_private_key_string(&bad_id)
                .unwrap_err()
                .code(),
            "key_id_mismatch"
        );
    }

    #[test]
    fn sign_and_open() {
        let a = signer("alice", 1);
        let b = signer("bob", 2);
        let note = sign_note("hello\n", &[&a, &b]).unwrap();
        assert!(note.starts_with("hello\n\n\u{2014} alice "));
        let both = open_note(&note, &[a.verifier(), b.verifier()]).unwrap();
        assert_eq!(both.text, "hello\n");
        assert_eq!(both.verified_by, ["alice", "bob"]);
        assert_eq!(both.unverified, 0);
        let only_b = open_note(&note, &[b.verifier()]).unwrap();
        assert_eq!(only_b.verified_by, ["bob"]);
        assert_eq!(only_b.unverified, 1);
        assert_eq!(
            open_note(&note, &[]),
            Err(NoteError::Unverified { unverified: 2 })
        );
        let c = signer("carol", 3);
        assert_eq!(
            open_note(&note, &[c.verifier()]).unwrap_err().code(),
            "note_unverified"
        );
        // A key with alice's name but another key: different key id, so unknown.
        let fake_alice = signer("alice", 9);
        assert_eq!(
            open_note(&note, &[fake_alice.verifier()])
                .unwrap_err()
                .code(),
            "note_unverified"
        );
    }

    #[test]
    fn texts_with_blank_lines() {
        let a = signer("alice", 1);
        for text in ["\n", "a\n\nb\n", "a\n\n", "a\n\n\n", "— x y\n"] {
            let note = sign_note(text, &[&a]).unwrap();
            let opened = open_note(&note, &[a.verifier()]).unwrap();
            assert_eq!(opened.text, text);
        }
    }

    #[test]
    fn sign_refusals() {
        let a = signer("alice", 1);
        assert_eq!(
            sign_note("no newline", &[&a]),
            Err(NoteError::TextNotNewlineTerminated)
        );
        assert_eq!(
            sign_note("", &[&a]),
            Err(NoteError::TextNotNewlineTerminated)
        );
        assert_eq!(
            sign_note("a\rb\n", &[&a]),
            Err(NoteError::ControlCharacter { offset: 1 })
        );
        assert_eq!(sign_note("a\n", &[]), Err(NoteError::NoSigners));
        let many = vec![&a; SIGNATURES_MAX + 1];
        assert_eq!(
            sign_note("a\n", &many).unwrap_err().code(),
            "note_too_many_signatures"
        );
        assert!(sign_note("a\n", &many[..SIGNATURES_MAX]).is_ok());
        let big = "x".repeat(NOTE_SIZE_MAX) + "\n";
        assert_eq!(sign_note(&big, &[&a]).unwrap_err().code(), "note_too_large");
    }

    #[test]
    fn malformed_notes() {
        let a = signer("alice", 1);
        let v = [a.verifier()];
        let note = sign_note("hello\n", &[&a]).unwrap();
        let sig_line = note.strip_prefix("hello\n\n").unwrap();
        let (_, b64) = sig_line.trim_end().rsplit_once(' ').unwrap();
        let cases: Vec<(String, &str)> = vec![
            ("hello\n".into(), "note_missing_signatures"),
            ("hello\n\n".into(), "note_missing_signatures"),
            (note.trim_end().into(), "note_missing_signatures"),
            (note.replace("\n\n", "\n"), "note_missing_signatures"),
            (note.replace('\u{2014}', "-"), "malformed_signature_line"),
            (
                note.replace("\u{2014} ", "\u{2014}"),
                "malformed_signature_line",
            ),
            (
                note.replace(" alice ", " alice  "),
                "malformed_signature_line",
            ),
            (note.replace("alice", "al+ice"), "malformed_signature_line"),
            (note.replace(b64, "AAAAAA=="), "malformed_signature_line"),
            (note.replace(b64, &b64[1..]), "malformed_signature_line"),
            (format!("{note}\n"), "note_missing_signatures"),
            (format!("{note}junk\n"), "malformed_signature_line"),
            (note.replace("hello", "hel\rlo"), "note_control_character"),
            (note.replace(b64, ""), "malformed_signature_line"),
        ];
        for (bad, code) in cases {
            let err = open_note(&bad, &v).unwrap_err();
            assert_eq!(err.code(), code, "{bad:?}");
            assert!(!err.message_zh().is_empty() && !err.message_en().is_empty());
        }
        let mut many = String::from("hello\n\n");
        for _ in 0..=SIGNATURES_MAX {
            many.push_str(sig_line);
        }
        assert_eq!(
            open_note(&many, &v).unwrap_err().code(),
            "note_too_many_signatures"
        );
        let big = "x".repeat(NOTE_SIZE_MAX) + "\n\n" + sig_line;
        assert_eq!(open_note(&big, &v).unwrap_err().code(), "note_too_large");
    }

    #[test]
    fn repeated_and_invalid_signatures() {
        let a = signer("alice", 1);
        let note = sign_note("hello\n", &[&a, &a]).unwrap();
        let opened = open_note(&note, &[a.verifier()]).unwrap();
        assert_eq!(opened.verified_by, ["alice"]);
        // A valid signature followed by a bad one by the same key: refused (Go would skip it).
        let other = sign_note("other\n", &[&a]).unwrap();
        let bad_line = other.strip_prefix("other\n\n").unwrap();
        let tampered = format!("{note}{bad_line}");
        assert_eq!(
            open_note(&tampered, &[a.verifier()]),
            Err(NoteError::InvalidSignature {
                name: "alice".into(),
                key_id: a.key_id()
            })
        );
        // Repeated unknown signatures count once.
        let b = signer("bob", 2);
        let with_b = sign_note("hello\n", &[&a, &b, &b]).unwrap();
        assert_eq!(open_note(&with_b, &[a.verifier()]).unwrap().unverified, 1);
    }
}
