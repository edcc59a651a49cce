//! Ed25519 public keys and signatures as they appear in the chain (lowercase hex).

use std::fmt;

use ed25519_dalek::{Signature, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::recent::Recent;

/// A trustee's or operator's Ed25519 public key: 64 lowercase hex digits in the chain.
///
/// Only keys that are valid, non-weak curve points parse, so a held `PublicKey` can always
/// verify. It holds just the 32 bytes (it is copied into every signature of every parsed
/// entry); the curve point is decompressed again when a signature is checked one by one,
/// while batches (see [`crate::verify::prepare_lines`]) decompress each key once.
#[derive(Clone, Copy)]
pub struct PublicKey {
    bytes: [u8; 32],
}

/// How many decompressed keys [`PublicKey::verify`] keeps per thread: a fund's log is
/// signed by a handful of keys.
const POINTS_CACHED: usize = 16;

thread_local! {
    /// Keys this thread decompressed recently, most recent first.
    static POINTS: std::cell::RefCell<Recent<[u8; 32], ed25519_zebra::VerificationKey>> =
        const { std::cell::RefCell::new(Recent::new(POINTS_CACHED)) };
}

/// Keys are equal when their bytes are (the curve points follow from the bytes).
impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for PublicKey {}

impl std::hash::Hash for PublicKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.bytes.hash(state);
    }
}

impl PartialOrd for PublicKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PublicKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.bytes.cmp(&other.bytes)
    }
}

/// Why a key or signature string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Not 64 lowercase hex digits.
    #[error("a public key is 64 lowercase hex digits")]
    KeyHex,
    /// Hex is fine but the bytes are not an Ed25519 point.
    #[error("not a valid Ed25519 public key")]
    KeyPoint,
    /// Not 128 lowercase hex digits.
    #[error("a signature is 128 lowercase hex digits")]
    SignatureHex,
}

impl PublicKey {
    /// Parses 64 lowercase hex digits that encode a valid Ed25519 point.
    pub fn from_hex(s: &str) -> Result<Self, KeyError> {
        let mut bytes = [0u8; 32];
        if !crate::hash::decode_lower_hex(s, &mut bytes) {
            return Err(KeyError::KeyHex);
        }
        Self::from_bytes(bytes)
    }

    /// Wraps 32 raw bytes that encode a valid Ed25519 point that is not of small order.
    pub fn from_bytes(bytes: [u8; 32]) -> Result<Self, KeyError> {
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::KeyPoint)?;
        if key.is_weak() {
            return Err(KeyError::KeyPoint);
        }
        // The ZIP-215 decoder must accept it too, or nothing could ever verify under it.
        ed25519_zebra::VerificationKey::try_from(bytes).map_err(|_| KeyError::KeyPoint)?;
        Ok(Self { bytes })
    }

    /// The key of a signing key.
    pub fn from_verifying_key(key: VerifyingKey) -> Self {
        Self {
            bytes: key.to_bytes(),
        }
    }

    /// Verifies an Ed25519 signature by this key over `msg` under the ZIP-215 rules: the
    /// cofactored equation, the same rule as [`crate::verify::prepare_lines`]' batch
    /// check, so a signature is accepted one by one exactly when it is accepted in any
    /// batch. Every signature made by RFC 8032 signing verifies.
    pub fn verify(&self, msg: &[u8], sig: &SignatureBytes) -> bool {
        self.zip215_key().is_some_and(|k| {
            k.verify(&ed25519_zebra::Signature::from(sig.0), msg)
                .is_ok()
        })
    }

    /// The decompressed ZIP-215 key, from [`POINTS`] when this thread decompressed it
    /// recently. Decompression is a pure function of the bytes, so the cache changes
    /// nothing but speed.
    fn zip215_key(&self) -> Option<ed25519_zebra::VerificationKey> {
        POINTS.with(|c| {
            let mut c = c.borrow_mut();
            if let Some(key) = c.get(&self.bytes) {
                return Some(key);
            }
            let key = ed25519_zebra::VerificationKey::try_from(self.bytes).ok()?;
            c.insert(self.bytes, key);
            Some(key)
        })
    }

    /// The key as ed25519-zebra (ZIP-215) batch verification takes it.
    pub fn zip215_bytes(&self) -> ed25519_zebra::VerificationKeyBytes {
        ed25519_zebra::VerificationKeyBytes::from(self.bytes)
    }

    /// The dalek verifying key (decompresses the point).
    pub fn verifying_key(&self) -> VerifyingKey {
        // Cannot fail: `bytes` is private and every constructor admits only bytes that
        // `VerifyingKey::from_bytes` accepted (`from_bytes`, and through it `from_hex` and
        // `Deserialize`) or that a `VerifyingKey` gave (`from_verifying_key`).
        VerifyingKey::from_bytes(&self.bytes).expect("a PublicKey holds a valid point")
    }

    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.bytes)
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}

impl Serialize for PublicKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::error::parse_str(d, Self::from_hex)
    }
}

/// An Ed25519 signature: 128 lowercase hex digits in the chain.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SignatureBytes(pub [u8; 64]);

impl SignatureBytes {
    /// Parses 128 lowercase hex digits.
    pub fn from_hex(s: &str) -> Result<Self, KeyError> {
        let mut bytes = [0u8; 64];
        if !crate::hash::decode_lower_hex(s, &mut bytes) {
            return Err(KeyError::SignatureHex);
        }
        Ok(Self(bytes))
    }

    /// 128 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The dalek signature.
    pub fn signature(&self) -> Signature {
        Signature::from_bytes(&self.0)
    }
}

impl fmt::Debug for SignatureBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sig({})", self.to_hex())
    }
}

impl Serialize for SignatureBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for SignatureBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::error::parse_str(d, Self::from_hex)
    }
}

impl crate::error::Coded for KeyError {
    fn code(&self) -> &'static str {
        match self {
            KeyError::KeyHex => "key_hex",
            KeyError::KeyPoint => "key_point",
            KeyError::SignatureHex => "signature_hex",
        }
    }
    fn message_en(&self) -> String {
        self.to_string()
    }
    fn message_zh(&self) -> String {
        match self {
            KeyError::KeyHex => "公钥应为 64 位小写十六进制数字".into(),
            KeyError::KeyPoint => "不是有效的 Ed25519 公钥".into(),
            KeyError::SignatureHex => "签名应为 128 位小写十六进制数字".into(),
        }
    }
}
