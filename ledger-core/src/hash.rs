//! SHA-256 hashes and the RFC 9162 leaf and node hash functions.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// Decodes exactly `2 × out.len()` lowercase hex digits into `out`; false (and `out`
/// unspecified) for any other length or character.
pub(crate) fn decode_lower_hex(s: &str, out: &mut [u8]) -> bool {
    let s = s.as_bytes();
    if s.len() != 2 * out.len() {
        return false;
    }
    // Table lookups with the validity check folded into one OR, not a branch per digit.
    let mut bad = 0u8;
    for (o, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
        let (h, l) = (
            LOWER_HEX[usize::from(pair[0])],
            LOWER_HEX[usize::from(pair[1])],
        );
        bad |= h | l;
        *o = (h << 4) | (l & 0x0f);
    }
    bad & 0xf0 == 0
}

/// The value of each lowercase hex digit; 0xff for every other byte.
const LOWER_HEX: [u8; 256] = {
    let mut t = [0xffu8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// A SHA-256 digest. Shown and serialised as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash(pub [u8; 32]);

/// The `prev` of the entry at seq 0: 32 zero bytes.
pub const ZERO_HASH: Hash = Hash([0u8; 32]);

/// Why a hex string is not a hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a hash: expected 64 lowercase hex digits")]
pub struct HashParseError;

impl Hash {
    /// Parses exactly 64 lowercase hex digits.
    pub fn from_hex(s: &str) -> Result<Self, HashParseError> {
        let mut out = [0u8; 32];
        if !decode_lower_hex(s, &mut out) {
            return Err(HashParseError);
        }
        Ok(Hash(out))
    }

    /// 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::error::parse_str(d, Hash::from_hex)
    }
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> Hash {
    Hash(Sha256::digest(data).into())
}

/// RFC 9162 §2.1.1 leaf hash: SHA-256(0x00 ‖ data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    Hash(h.finalize().into())
}

/// RFC 9162 §2.1.1 interior node hash: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left.0);
    h.update(right.0);
    Hash(h.finalize().into())
}

/// The root of the empty tree: SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    sha256(b"")
}

impl crate::error::Coded for HashParseError {
    fn code(&self) -> &'static str {
        "hash_hex"
    }
    fn message_en(&self) -> String {
        self.to_string()
    }
    fn message_zh(&self) -> String {
        "哈希值应为 64 位小写十六进制数字".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_strictness() {
        let h = sha256(b"abc");
        assert_eq!(Hash::from_hex(&h.to_hex()), Ok(h));
        assert!(Hash::from_hex(&h.to_hex().to_uppercase()).is_err());
        assert!(Hash::from_hex(&h.to_hex()[..62]).is_err());
        assert_eq!(
            empty_root().to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn lower_hex_decoding_matches_the_hex_crate_on_lowercase_only() {
        let mut out = [0u8; 2];
        for s in [
            "00ff", "a0b1", "0f0", "0f0f0", "0F0f", "0g0f", "+0ff", "é0f", "",
        ] {
            let ours = decode_lower_hex(s, &mut out).then_some(out);
            let lower = s.len() == 4
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            let theirs = lower.then(|| {
                let mut o = [0u8; 2];
                hex::decode_to_slice(s, &mut o).unwrap();
                o
            });
            assert_eq!(ours, theirs, "{s}");
        }
    }
}
