//! Proof verification (RFC 9162 §2.1.3.2 and §2.1.4.2).
//!
//! Written in the decomposed form used by transparency-dev/merkle: a proof for leaf `i` of
//! a tree of size `n` is `inner` hashes on the path below the point where `i` and the last
//! leaf `n - 1` part, then `border` hashes of left siblings above it. The expected length
//! is checked first, so a proof of the wrong length is refused before any hashing.

use crate::hash::{node_hash, Hash};

use super::MerkleError;

/// Number of proof hashes below (`inner`) and above (`border`) the point where the paths
/// of leaf `index` and of the last leaf `size - 1` meet. `index < size`.
fn decompose(index: u64, size: u64) -> (usize, usize) {
    let inner = 64 - (index ^ (size - 1)).leading_zeros();
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner as usize, border as usize)
}

/// Hashes `seed` up through the inner proof: the bit of `index` at each height says
/// whether the seed is the right child.
fn chain_inner(seed: Hash, proof: &[Hash], index: u64) -> Hash {
    proof.iter().enumerate().fold(seed, |acc, (i, h)| {
        if index >> i & 1 == 0 {
            node_hash(&acc, h)
        } else {
            node_hash(h, &acc)
        }
    })
}

/// Like [`chain_inner`], but keeps only the steps where the seed is the right child: the
/// path of a smaller tree whose right edge is the seed's path.
fn chain_inner_right(seed: Hash, proof: &[Hash], index: u64) -> Hash {
    proof.iter().enumerate().fold(seed, |acc, (i, h)| {
        if index >> i & 1 == 1 {
            node_hash(h, &acc)
        } else {
            acc
        }
    })
}

/// Hashes `seed` up through left siblings only.
fn chain_border_right(seed: Hash, proof: &[Hash]) -> Hash {
    proof.iter().fold(seed, |acc, h| node_hash(h, &acc))
}

/// The root implied by an inclusion proof of `leaf_hash` at `index` in a tree of `size`
/// leaves (RFC 9162 §2.1.3.2 without the final comparison).
///
/// Refuses `index >= size` and a proof of the wrong length.
pub fn root_from_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
) -> Result<Hash, MerkleError> {
    if index >= size {
        return Err(MerkleError::IndexOutOfRange { index, size });
    }
    let (inner, border) = decompose(index, size);
    if proof.len() != inner + border {
        return Err(MerkleError::ProofLength {
            expected: inner + border,
            got: proof.len(),
        });
    }
    let (inner_proof, border_proof) = proof.split_at(inner);
    let r = chain_inner(*leaf_hash, inner_proof, index);
    Ok(chain_border_right(r, border_proof))
}

/// Checks that `proof` shows `leaf_hash` at `index` in the tree of `size` leaves whose
/// root is `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), MerkleError> {
    if root_from_inclusion(leaf_hash, index, size, proof)? == *root {
        Ok(())
    } else {
        Err(MerkleError::RootMismatch)
    }
}

/// Checks that `proof` shows the tree of `size1` leaves with root `root1` to be a prefix of
/// the tree of `size2` leaves with root `root2` (RFC 9162 §2.1.4.2).
///
/// Edge policy (as transparency-dev/merkle): `size1 > size2` is refused; `size1 == 0` is
/// refused, even for `0 → 0`; `size1 == size2` needs an empty proof and `root1 == root2`;
/// a proof of the wrong length is refused.
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    proof: &[Hash],
    root1: &Hash,
    root2: &Hash,
) -> Result<(), MerkleError> {
    if size1 > size2 {
        return Err(MerkleError::SizesOutOfOrder { size1, size2 });
    }
    if size1 == 0 {
        return Err(MerkleError::EmptyOldTree);
    }
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(MerkleError::ProofLength {
                expected: 0,
                got: proof.len(),
            });
        }
        return if root1 == root2 {
            Ok(())
        } else {
            Err(MerkleError::NewRootMismatch)
        };
    }

    // 0 < size1 < size2. The proof is the inclusion path of leaf size1 - 1 in the new
    // tree, cut at the height of the largest complete subtree ending at size1 (whose hash
    // starts the proof, unless size1 is a power of two and that subtree is the old root).
    let (inner, border) = decompose(size1 - 1, size2);
    let shift = size1.trailing_zeros() as usize;
    // inner > shift: size1 - 1 and size2 - 1 differ above the low `shift` bits.
    let inner = inner - shift;
    let seeded_by_root1 = size1.is_power_of_two();
    let start = usize::from(!seeded_by_root1);
    let expected = start + inner + border;
    if proof.len() != expected {
        return Err(MerkleError::ProofLength {
            expected,
            got: proof.len(),
        });
    }
    let (seed, rest) = if seeded_by_root1 {
        (*root1, proof)
    } else {
        (proof[0], &proof[1..])
    };
    let (inner_proof, border_proof) = rest.split_at(inner);
    let mask = (size1 - 1) >> shift;

    let hash1 = chain_border_right(chain_inner_right(seed, inner_proof, mask), border_proof);
    if hash1 != *root1 {
        return Err(MerkleError::OldRootMismatch);
    }
    let hash2 = chain_border_right(chain_inner(seed, inner_proof, mask), border_proof);
    if hash2 != *root2 {
        return Err(MerkleError::NewRootMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decompose_edges() {
        assert_eq!(decompose(0, 1), (0, 0));
        assert_eq!(decompose(0, 8), (3, 0));
        assert_eq!(decompose(5, 8), (2, 1));
        assert_eq!(decompose(2, 3), (0, 1));
        assert_eq!(decompose(1, 5), (3, 0));
        assert_eq!(decompose(4, 5), (0, 1));
        // The top bit differs: inner = 64, nothing left over for the border.
        assert_eq!(decompose(0, u64::MAX), (64, 0));
        assert_eq!(decompose(u64::MAX - 1, u64::MAX), (0, 63));
    }
}
