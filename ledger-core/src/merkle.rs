//! RFC 9162 §2.1 Merkle trees over leaf hashes: roots, inclusion and consistency
//! proofs, their verification, and the incremental and stored forms a log needs.
//!
//! # Node addressing
//!
//! A [`NodeId`] `{ level, index }` names the *complete aligned subtree* covering leaves
//! `[index·2^level, (index+1)·2^level)`; level 0 holds the leaf hashes themselves. Once
//! written, such a node never changes, so the store keeps one row per node and inserts
//! exactly the rows that [`Frontier::push`] returns.
//!
//! # Plan, fetch, assemble
//!
//! `ledger-core` does no I/O. To serve a proof from stored nodes, ask for a plan
//! ([`inclusion_plan`], [`consistency_plan`], [`root_plan`]), fetch the nodes listed by
//! [`ProofPlan::node_ids`] (O(log n) of them, in one query), and hand them back to
//! [`ProofPlan::assemble`]. Each proof element is either one stored node or a right-edge
//! subtree `[a, size)` whose hash is folded from the ≤ log n complete nodes that make it
//! up; a proof holds at most one such element.
//!
//! # Reference and verification
//!
//! [`root`], [`inclusion_proof`] and [`consistency_proof`] follow the recursive
//! definitions of RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1 over an in-memory slice; they are
//! the yardstick the stored form is tested against. [`verify_inclusion`] and
//! [`verify_consistency`] follow §2.1.3.2 and §2.1.4.2 with transparency-dev/merkle's edge
//! policies: an index must be below the tree size, a proof must have exactly the expected
//! length, a consistency proof from the empty tree is refused (even 0 → 0), equal sizes
//! need an empty proof and equal roots, and `size1 > size2` is refused.

use serde::{Deserialize, Serialize};

use crate::error::Coded;
use crate::hash::{node_hash, Hash};

mod frontier;
mod memory;
mod plan;
mod reference;
mod verify;

pub use frontier::{frontier_ids, Frontier};
pub use memory::MemoryTree;
pub use plan::{consistency_plan, inclusion_plan, root_plan, PlanElement, PlanKind, ProofPlan};
pub use reference::{consistency_proof, inclusion_proof, root};
pub use verify::{root_from_inclusion, verify_consistency, verify_inclusion};

/// A complete aligned subtree: leaves `[index·2^level, (index+1)·2^level)`.
///
/// Level 0 is a leaf hash; `NodeId { level: 3, index: 1 }` covers leaves 8..16. Ordered by
/// level, then index.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub struct NodeId {
    /// Height of the subtree: it covers `2^level` leaves.
    pub level: u8,
    /// Position among the subtrees of this level, counted from the left, from 0.
    pub index: u64,
}

impl NodeId {
    /// The node of the leaf at `index` (level 0).
    pub fn leaf(index: u64) -> Self {
        NodeId { level: 0, index }
    }
}

/// Why a Merkle computation or proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MerkleError {
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is not in a tree of size {size}")]
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The size of the tree.
        size: u64,
    },
    /// A tree size beyond the leaves that exist was asked for.
    #[error("tree size {requested} asked for, but the tree has only {available} leaves")]
    SizeBeyondTree {
        /// The size asked for.
        requested: u64,
        /// The number of leaves there are.
        available: u64,
    },
    /// A consistency proof from a larger tree to a smaller one.
    #[error("consistency from size {size1} to the smaller size {size2}")]
    SizesOutOfOrder {
        /// The old size.
        size1: u64,
        /// The new size.
        size2: u64,
    },
    /// A consistency proof from the empty tree: it proves nothing and is refused.
    #[error("consistency from the empty tree is not checked")]
    EmptyOldTree,
    /// The proof has the wrong number of hashes for the given index and sizes.
    #[error("the proof has {got} hashes; {expected} were expected")]
    ProofLength {
        /// The length the sizes imply.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// The root computed from an inclusion proof differs from the given root.
    #[error("the inclusion proof does not lead to the given root")]
    RootMismatch,
    /// The old root computed from a consistency proof differs from the given old root.
    #[error("the consistency proof does not lead to the given old root")]
    OldRootMismatch,
    /// The new root computed from a consistency proof (or, for equal sizes, the old root)
    /// differs from the given new root.
    #[error("the consistency proof does not lead to the given new root")]
    NewRootMismatch,
    /// The hashes given to restore a frontier do not match its size.
    #[error("a frontier of size {size} needs {expected} hashes, {got} were given")]
    FrontierParts {
        /// The frontier size.
        size: u64,
        /// How many hashes that size needs (its number of set bits).
        expected: usize,
        /// How many were given.
        got: usize,
    },
    /// A node named by a plan was not supplied.
    #[error("Merkle node at level {} index {} is missing", .0.level, .0.index)]
    MissingNode(NodeId),
    /// A root was asked of a plan that is not a root plan.
    #[error("this plan does not compute a root")]
    NotARootPlan,
}

impl Coded for MerkleError {
    fn code(&self) -> &'static str {
        match self {
            MerkleError::IndexOutOfRange { .. } => "merkle_index_out_of_range",
            MerkleError::SizeBeyondTree { .. } => "merkle_size_beyond_tree",
            MerkleError::SizesOutOfOrder { .. } => "merkle_sizes_out_of_order",
            MerkleError::EmptyOldTree => "merkle_empty_old_tree",
            MerkleError::ProofLength { .. } => "merkle_proof_length",
            MerkleError::RootMismatch => "merkle_root_mismatch",
            MerkleError::OldRootMismatch => "merkle_old_root_mismatch",
            MerkleError::NewRootMismatch => "merkle_new_root_mismatch",
            MerkleError::FrontierParts { .. } => "merkle_frontier_parts",
            MerkleError::MissingNode(_) => "merkle_missing_node",
            MerkleError::NotARootPlan => "merkle_not_a_root_plan",
        }
    }

    fn message_en(&self) -> String {
        self.to_string()
    }

    fn message_zh(&self) -> String {
        match self {
            MerkleError::IndexOutOfRange { index, size } => {
                format!("叶子序号 {index} 不在大小为 {size} 的树中")
            }
            MerkleError::SizeBeyondTree {
                requested,
                available,
            } => format!("请求的树大小为 {requested}，但树中只有 {available} 个叶子"),
            MerkleError::SizesOutOfOrder { size1, size2 } => {
                format!("一致性证明的旧大小 {size1} 大于新大小 {size2}")
            }
            MerkleError::EmptyOldTree => "不检查从空树出发的一致性证明".into(),
            MerkleError::ProofLength { expected, got } => {
                format!("证明含 {got} 个哈希，应为 {expected} 个")
            }
            MerkleError::RootMismatch => "包含证明算出的根与给定的根不符".into(),
            MerkleError::OldRootMismatch => "一致性证明算出的旧根与给定的旧根不符".into(),
            MerkleError::NewRootMismatch => "一致性证明算出的新根与给定的新根不符".into(),
            MerkleError::FrontierParts {
                size,
                expected,
                got,
            } => format!("大小为 {size} 的前沿需要 {expected} 个哈希，实际给了 {got} 个"),
            MerkleError::MissingNode(id) => {
                format!("缺少默克尔节点（层 {}，序号 {}）", id.level, id.index)
            }
            MerkleError::NotARootPlan => "此计划不计算根".into(),
        }
    }
}

/// The largest power of two strictly below `n`; `n` must be at least 2.
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// Folds the hashes of a right-edge decomposition (largest subtree first) into the hash of
/// the subtree they make up: `h0 ⊕ (h1 ⊕ (… ⊕ hk))`. `None` when `hashes` is empty.
fn fold_right(hashes: &[Hash]) -> Option<Hash> {
    let (last, rest) = hashes.split_last()?;
    Some(rest.iter().rev().fold(*last, |acc, h| node_hash(h, &acc)))
}

/// The complete aligned nodes, left to right, whose fold is the MTH of leaves
/// `[start, end)`, where `start` is a multiple of a power of two at least `end - start`
/// (true of every subtree the RFC 9162 recursion visits, and of `[0, n)`).
fn range_nodes(start: u64, end: u64) -> Vec<NodeId> {
    let len = end - start;
    debug_assert!(len == 0 || start.trailing_zeros() >= 63 - len.leading_zeros());
    let mut out = Vec::with_capacity(len.count_ones() as usize);
    let mut at = start;
    for level in (0..64u8).rev() {
        if len >> level & 1 == 1 {
            out.push(NodeId {
                level,
                index: at >> level,
            });
            at += 1u64 << level;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::{empty_root, leaf_hash};

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn split_point_is_largest_power_below() {
        assert_eq!(split_point(2), 1);
        assert_eq!(split_point(3), 2);
        assert_eq!(split_point(4), 2);
        assert_eq!(split_point(5), 4);
        assert_eq!(split_point(u64::MAX), 1 << 63);
        assert_eq!(split_point((1 << 63) + 1), 1 << 63);
    }

    #[test]
    fn range_nodes_decompose() {
        assert_eq!(range_nodes(0, 0), vec![]);
        assert_eq!(
            range_nodes(0, 6),
            vec![NodeId { level: 2, index: 0 }, NodeId { level: 1, index: 2 }]
        );
        assert_eq!(
            range_nodes(8, 15),
            vec![
                NodeId { level: 2, index: 2 },
                NodeId { level: 1, index: 6 },
                NodeId {
                    level: 0,
                    index: 14
                }
            ]
        );
    }

    #[test]
    fn codes_are_distinct_and_messages_present() {
        let errs = [
            MerkleError::IndexOutOfRange { index: 1, size: 1 },
            MerkleError::SizeBeyondTree {
                requested: 2,
                available: 1,
            },
            MerkleError::SizesOutOfOrder { size1: 2, size2: 1 },
            MerkleError::EmptyOldTree,
            MerkleError::ProofLength {
                expected: 1,
                got: 0,
            },
            MerkleError::RootMismatch,
            MerkleError::OldRootMismatch,
            MerkleError::NewRootMismatch,
            MerkleError::FrontierParts {
                size: 3,
                expected: 2,
                got: 1,
            },
            MerkleError::MissingNode(NodeId::leaf(0)),
            MerkleError::NotARootPlan,
        ];
        let mut codes: Vec<_> = errs.iter().map(|e| e.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), errs.len());
        for e in &errs {
            assert!(e.code().starts_with("merkle_"));
            assert!(!e.message_en().is_empty());
            assert!(!e.message_zh().is_empty());
        }
    }

    #[test]
    fn memory_tree_matches_reference_small() {
        let ls = leaves(37);
        let tree = MemoryTree::from_leaves(&ls);
        for size in 0..=37u64 {
            let prefix = &ls[..size as usize];
            assert_eq!(tree.root_at(size), Ok(root(prefix)));
            for index in 0..size {
                let p = tree.inclusion_proof(index, size).unwrap();
                assert_eq!(p, inclusion_proof(prefix, index).unwrap());
                verify_inclusion(&ls[index as usize], index, size, &p, &root(prefix)).unwrap();
            }
            for size1 in 1..=size {
                let p = tree.consistency_proof(size1, size).unwrap();
                assert_eq!(p, consistency_proof(prefix, size1).unwrap());
                verify_consistency(size1, size, &p, &root(&ls[..size1 as usize]), &root(prefix))
                    .unwrap();
            }
        }
        assert_eq!(tree.root_at(0), Ok(empty_root()));
        assert_eq!(
            tree.root_at(38),
            Err(MerkleError::SizeBeyondTree {
                requested: 38,
                available: 37
            })
        );
    }
}
