//! An in-memory node store, served through the same plans a database store uses.

use crate::hash::Hash;

use super::{consistency_plan, inclusion_plan, root_plan, Frontier, MerkleError, NodeId};

/// Every complete node of a tree, by level, fed by [`Frontier::push`].
///
/// Proofs and past roots are produced with [`inclusion_plan`], [`consistency_plan`] and
/// [`root_plan`], exactly as a store serves them from its rows. Memory is about 2n hashes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryTree {
    /// `levels[l][i]` is the hash of `NodeId { level: l, index: i }`.
    levels: Vec<Vec<Hash>>,
    frontier: Frontier,
}

impl MemoryTree {
    /// The empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// The tree of these leaf hashes, in order.
    pub fn from_leaves(leaves: &[Hash]) -> Self {
        let mut tree = Self::new();
        for leaf in leaves {
            tree.push(*leaf);
        }
        tree
    }

    /// Appends a leaf hash, storing every node it completes; returns those nodes (as
    /// [`Frontier::push`]).
    pub fn push(&mut self, leaf: Hash) -> Vec<(NodeId, Hash)> {
        let nodes = self.frontier.push(leaf);
        for (id, hash) in &nodes {
            let level = usize::from(id.level);
            if self.levels.len() <= level {
                self.levels.resize_with(level + 1, Vec::new);
            }
            debug_assert_eq!(self.levels[level].len() as u64, id.index);
            self.levels[level].push(*hash);
        }
        nodes
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// The frontier of the whole tree.
    pub fn frontier(&self) -> &Frontier {
        &self.frontier
    }

    /// The current root.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// The hash of a complete node, if the tree has it.
    pub fn lookup(&self, id: NodeId) -> Option<Hash> {
        let index = usize::try_from(id.index).ok()?;
        self.levels.get(usize::from(id.level))?.get(index).copied()
    }

    fn check_size(&self, size: u64) -> Result<(), MerkleError> {
        if size > self.size() {
            Err(MerkleError::SizeBeyondTree {
                requested: size,
                available: self.size(),
            })
        } else {
            Ok(())
        }
    }

    /// The root of the tree when it had `size` leaves.
    pub fn root_at(&self, size: u64) -> Result<Hash, MerkleError> {
        self.check_size(size)?;
        root_plan(size).assemble_root(|id| self.lookup(id))
    }

    /// The inclusion proof of leaf `index` in the tree when it had `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, MerkleError> {
        self.check_size(size)?;
        inclusion_plan(index, size)?.assemble(|id| self.lookup(id))
    }

    /// The consistency proof from the tree at `size1` leaves to the tree at `size2`.
    pub fn consistency_proof(&self, size1: u64, size2: u64) -> Result<Vec<Hash>, MerkleError> {
        self.check_size(size2)?;
        consistency_plan(size1, size2)?.assemble(|id| self.lookup(id))
    }
}
