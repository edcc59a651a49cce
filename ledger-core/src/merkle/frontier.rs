//! The incremental form of a tree: the compact range `[0, n)`.

use crate::hash::{empty_root, node_hash, Hash};

use super::{fold_right, range_nodes, MerkleError, NodeId};

/// The right edge of a growing tree (a compact range `[0, n)`): the hashes of the
/// complete subtrees for the set bits of `n`, largest (leftmost) first.
///
/// O(log n) memory; enough to compute the root and to append. Restore it from stored
/// nodes with [`frontier_ids`] and [`Frontier::from_parts`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    hashes: Vec<Hash>,
}

/// The nodes, left to right, whose hashes make up the frontier of a tree of `size`
/// leaves: one per set bit of `size`, largest first.
pub fn frontier_ids(size: u64) -> Vec<NodeId> {
    range_nodes(0, size)
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Restores the frontier of a tree of `size` leaves from the hashes of the nodes
    /// [`frontier_ids`]`(size)`, in that order.
    ///
    /// Refuses a number of hashes other than the number of set bits of `size`. The hashes
    /// themselves cannot be checked here: compare [`Frontier::root`] with a trusted root.
    pub fn from_parts(size: u64, hashes: Vec<Hash>) -> Result<Frontier, MerkleError> {
        let expected = size.count_ones() as usize;
        if hashes.len() != expected {
            return Err(MerkleError::FrontierParts {
                size,
                expected,
                got: hashes.len(),
            });
        }
        Ok(Frontier { size, hashes })
    }

    /// Number of leaves appended so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The hashes of the nodes [`frontier_ids`]`(self.size())`, in that order.
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// The nodes whose hashes this frontier holds: [`frontier_ids`]`(self.size())`.
    pub fn ids(&self) -> Vec<NodeId> {
        frontier_ids(self.size)
    }

    /// The tree root MTH of the leaves so far; [`empty_root`] when there are none.
    pub fn root(&self) -> Hash {
        fold_right(&self.hashes).unwrap_or_else(empty_root)
    }

    /// Appends a leaf hash and returns every node this leaf completes, lowest first: the
    /// leaf itself at level 0, then each parent that is now complete. These are exactly
    /// the nodes a store adds for this leaf; every complete node of the tree is returned
    /// once, by the push that completes it.
    ///
    /// Amortised O(1) hashing, at most O(log n). A tree cannot reach `u64::MAX` leaves in
    /// practice; pushing past that overflows.
    pub fn push(&mut self, leaf: Hash) -> Vec<(NodeId, Hash)> {
        let leaf_index = self.size;
        let mut out = Vec::with_capacity(1 + leaf_index.trailing_ones() as usize);
        out.push((NodeId::leaf(leaf_index), leaf));
        let mut hash = leaf;
        let mut level: u8 = 0;
        // Each trailing 1 bit of the old size is a complete subtree just left of the new
        // leaf, of the same height as what we hold: merge them.
        while leaf_index >> level & 1 == 1 {
            let Some(left) = self.hashes.pop() else {
                // Unreachable: the frontier holds one hash per set bit of its size.
                break;
            };
            hash = node_hash(&left, &hash);
            level += 1;
            out.push((
                NodeId {
                    level,
                    index: leaf_index >> level,
                },
                hash,
            ));
        }
        self.hashes.push(hash);
        self.size += 1;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;
    use crate::merkle::root;

    #[test]
    fn push_returns_completed_nodes() {
        let ls: Vec<Hash> = (0u8..8).map(|i| leaf_hash(&[i])).collect();
        let mut f = Frontier::new();
        assert_eq!(f.root(), empty_root());
        let mut seen = Vec::new();
        for (i, l) in ls.iter().enumerate() {
            let nodes = f.push(*l);
            assert_eq!(nodes[0], (NodeId::leaf(i as u64), *l));
            seen.extend(nodes.iter().map(|(id, _)| *id));
            assert_eq!(f.root(), root(&ls[..=i]));
            assert_eq!(f.hashes().len(), f.ids().len());
        }
        // 8 leaves: 8 + 4 + 2 + 1 complete nodes.
        assert_eq!(seen.len(), 15);
        assert_eq!(
            seen.last(),
            Some(&NodeId { level: 3, index: 0 }),
            "the 8th leaf completes the root last"
        );
        let restored = Frontier::from_parts(8, f.hashes().to_vec()).unwrap();
        assert_eq!(restored, f);
        assert_eq!(
            Frontier::from_parts(7, vec![]),
            Err(MerkleError::FrontierParts {
                size: 7,
                expected: 3,
                got: 0
            })
        );
    }

    #[test]
    fn frontier_ids_of_size() {
        assert_eq!(frontier_ids(0), vec![]);
        assert_eq!(frontier_ids(1), vec![NodeId::leaf(0)]);
        assert_eq!(
            frontier_ids(7),
            vec![
                NodeId { level: 2, index: 0 },
                NodeId { level: 1, index: 2 },
                NodeId::leaf(6)
            ]
        );
        assert_eq!(frontier_ids(u64::MAX).len(), 64);
    }
}
