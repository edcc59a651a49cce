//! The recursive definitions of RFC 9162 §2.1 over an in-memory slice of leaf hashes.
//!
//! Simple and slow (O(n) hashing per call): the yardstick for tests and for small trees.

use crate::hash::{empty_root, node_hash, Hash};

use super::{split_point, MerkleError};

/// MTH(D\[n\]) (RFC 9162 §2.1.1) of the given leaf hashes; the empty tree has
/// [`empty_root`].
pub fn root(leaves: &[Hash]) -> Hash {
    if leaves.is_empty() {
        empty_root()
    } else {
        mth(leaves)
    }
}

/// MTH of a non-empty slice.
fn mth(leaves: &[Hash]) -> Hash {
    match leaves {
        [] => empty_root(),
        [one] => *one,
        _ => {
            let k = split(leaves.len());
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

/// [`split_point`] on a slice length (at least 2).
fn split(n: usize) -> usize {
    // A slice length always fits in u64 and the split point is below it.
    split_point(n as u64) as usize
}

/// PATH(m, D\[n\]) (RFC 9162 §2.1.3.1): the inclusion proof of leaf `index` in the tree
/// of all of `leaves`, nearest the leaf first.
pub fn inclusion_proof(leaves: &[Hash], index: u64) -> Result<Vec<Hash>, MerkleError> {
    let size = leaves.len() as u64;
    let m = usize::try_from(index)
        .ok()
        .filter(|&m| m < leaves.len())
        .ok_or(MerkleError::IndexOutOfRange { index, size })?;
    let mut out = Vec::new();
    path(m, leaves, &mut out);
    Ok(out)
}

fn path(m: usize, leaves: &[Hash], out: &mut Vec<Hash>) {
    if leaves.len() <= 1 {
        return;
    }
    let k = split(leaves.len());
    if m < k {
        path(m, &leaves[..k], out);
        out.push(mth(&leaves[k..]));
    } else {
        path(m - k, &leaves[k..], out);
        out.push(mth(&leaves[..k]));
    }
}

/// PROOF(m, D\[n\]) (RFC 9162 §2.1.4.1): the consistency proof from the tree of the first
/// `size1` leaves to the tree of all of `leaves`.
///
/// `size1 == leaves.len()` gives the empty proof; `size1 == 0` is refused with
/// [`MerkleError::EmptyOldTree`] (the verifier refuses such proofs too), and `size1` beyond
/// the leaves with [`MerkleError::SizesOutOfOrder`].
pub fn consistency_proof(leaves: &[Hash], size1: u64) -> Result<Vec<Hash>, MerkleError> {
    let size2 = leaves.len() as u64;
    if size1 > size2 {
        return Err(MerkleError::SizesOutOfOrder { size1, size2 });
    }
    if size1 == 0 {
        return Err(MerkleError::EmptyOldTree);
    }
    let mut out = Vec::new();
    // size1 <= leaves.len(), so it fits in usize.
    subproof(size1 as usize, leaves, true, &mut out);
    Ok(out)
}

fn subproof(m: usize, leaves: &[Hash], whole: bool, out: &mut Vec<Hash>) {
    let n = leaves.len();
    if m == n {
        if !whole {
            out.push(mth(leaves));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(m, &leaves[..k], whole, out);
        out.push(mth(&leaves[k..]));
    } else {
        subproof(m - k, &leaves[k..], false, out);
        out.push(mth(&leaves[..k]));
    }
}
