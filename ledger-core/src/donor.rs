//! Donor commitments (DESIGN §5): how a resident's identity is bound into the chain
//! without being published.

use sha2::{Digest, Sha256};

use crate::hash::Hash;

/// Domain-separation prefix of a donor commitment.
pub const DONOR_COMMITMENT_PREFIX: &[u8] = b"community-ledger/donor/v1\n";
/// Length of the random salt, in bytes.
pub const SALT_BYTES: usize = 16;

/// The identity committed to: the donor's name and phone, joined by a newline.
pub fn identity_string(name: &str, phone: &str) -> String {
    format!("{name}\n{phone}")
}

/// SHA-256(prefix ‖ salt ‖ UTF-8 identity).
pub fn commitment(salt: &[u8; SALT_BYTES], identity: &str) -> Hash {
    let mut h = Sha256::new();
    h.update(DONOR_COMMITMENT_PREFIX);
    h.update(salt);
    h.update(identity.as_bytes());
    Hash(h.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commitment_binds_salt_and_identity() {
        let id = identity_string("王小明", "13800000000");
        let a = commitment(&[1; 16], &id);
        assert_ne!(a, commitment(&[2; 16], &id));
        assert_ne!(
            a,
            commitment(&[1; 16], &identity_string("王小明", "13800000001"))
        );
        // Recomputed by hand: prefix ‖ salt ‖ identity.
        let mut bytes = DONOR_COMMITMENT_PREFIX.to_vec();
        bytes.extend_from_slice(&[1; 16]);
        bytes.extend_from_slice(id.as_bytes());
        assert_eq!(a, crate::hash::sha256(&bytes));
    }
}
