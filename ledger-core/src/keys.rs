//! Ed25519 public keys and signatures as they appear in the chain (lowercase hex).

use std::fmt;

use ed25519_dalek::{Signature, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A trustee's or operator's Ed25519 public key: 64 lowercase hex digits in the chain.
///
/// Only keys that are valid curve points parse, so a held `PublicKey` can always verify.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey {
    bytes: [u8; 32],
    key: VerifyingKey,
    /// The same key for ZIP-215 verification (see [`PublicKey::verify`]); `None` only if
    /// the point did not decompress, which a valid key never does (then nothing verifies).
    zip215: Option<ed25519_consensus::VerificationKey>,
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

    /// Wraps 32 raw bytes that encode a valid Ed25519 point.
    pub fn from_bytes(bytes: [u8; 32]) -> Result<Self, KeyError> {
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::KeyPoint)?;
        if key.is_weak() {
            return Err(KeyError::KeyPoint);
        }
        let zip215 = Some(
            ed25519_consensus::VerificationKey::try_from(bytes).map_err(|_| KeyError::KeyPoint)?,
        );
        Ok(Self { bytes, key, zip215 })
    }

    /// The key of a signing key.
    pub fn from_verifying_key(key: VerifyingKey) -> Self {
        let bytes = key.to_bytes();
        Self {
            bytes,
            key,
            zip215: ed25519_consensus::VerificationKey::try_from(bytes).ok(),
        }
    }

    /// Verifies an Ed25519 signature by this key over `msg` under the ZIP-215 rules: the
    /// cofactored equation, the same rule as [`crate::verify::prepare_lines`]' batch
    /// check, so a signature is accepted one by one exactly when it is accepted in any
    /// batch. Every signature made by RFC 8032 signing verifies.
    pub fn verify(&self, msg: &[u8], sig: &SignatureBytes) -> bool {
        self.zip215.is_some_and(|k| {
            k.verify(&ed25519_consensus::Signature::from(sig.0), msg)
                .is_ok()
        })
    }

    /// The key as ed25519-consensus (ZIP-215) batch verification takes it.
    pub fn zip215_bytes(&self) -> ed25519_consensus::VerificationKeyBytes {
        ed25519_consensus::VerificationKeyBytes::from(self.bytes)
    }

    /// The dalek verifying key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.key
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
