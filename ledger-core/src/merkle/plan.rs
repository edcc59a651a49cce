//! Proof plans: which stored nodes a proof needs, and how to assemble it from them.
//!
//! The proofs are those of RFC 9162 §2.1.3.1 (PATH) and §2.1.4.1 (SUBPROOF), computed by
//! walking the same recursion over leaf ranges `[lo, hi)` instead of over leaves. Every
//! range the recursion visits starts at a multiple of its split point, so every proof
//! element is either a complete aligned subtree (one stored node) or, at most once per
//! proof, a right-edge range `[a, size)` folded from ≤ log n stored nodes.

use crate::hash::{empty_root, Hash};

use super::{fold_right, range_nodes, split_point, MerkleError, NodeId};

/// What a [`ProofPlan`] computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanKind {
    /// The inclusion proof of leaf `index` in the tree of `size` leaves.
    Inclusion {
        /// The leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The consistency proof from the tree of `size1` leaves to that of `size2`.
    Consistency {
        /// The old size.
        size1: u64,
        /// The new size.
        size2: u64,
    },
    /// The root of the tree of `size` leaves.
    Root {
        /// The tree size.
        size: u64,
    },
}

/// How to get the hash of one proof element from stored nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanElement {
    /// The element is this complete subtree.
    Node(NodeId),
    /// The element is the MTH of a right-edge range: these complete subtrees, left to
    /// right (largest first), folded as `h0 ⊕ (h1 ⊕ (… ⊕ hk))`. At least two nodes.
    Fold(Vec<NodeId>),
}

/// A plan for a proof or root: the stored nodes needed and how to put them together.
///
/// Made by [`inclusion_plan`], [`consistency_plan`] or [`root_plan`]; needs no data, so
/// it is cheap for any size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProofPlan {
    kind: PlanKind,
    elements: Vec<PlanElement>,
}

/// The element for the MTH of leaves `[start, end)` visited by the RFC recursion.
fn element(start: u64, end: u64) -> PlanElement {
    let len = end - start;
    if len.is_power_of_two() {
        let level = len.trailing_zeros() as u8;
        PlanElement::Node(NodeId {
            level,
            index: start >> level,
        })
    } else {
        PlanElement::Fold(range_nodes(start, end))
    }
}

/// The plan for the inclusion proof of leaf `index` in the tree of `size` leaves
/// (RFC 9162 §2.1.3.1). Refuses `index >= size`.
pub fn inclusion_plan(index: u64, size: u64) -> Result<ProofPlan, MerkleError> {
    if index >= size {
        return Err(MerkleError::IndexOutOfRange { index, size });
    }
    // PATH(m, D[lo..hi]), unrolled from the top; elements come out root side first.
    let (mut lo, mut hi) = (0u64, size);
    let mut elements = Vec::new();
    while hi - lo > 1 {
        let mid = lo + split_point(hi - lo);
        if index < mid {
            elements.push(element(mid, hi));
            hi = mid;
        } else {
            elements.push(element(lo, mid));
            lo = mid;
        }
    }
    elements.reverse();
    Ok(ProofPlan {
        kind: PlanKind::Inclusion { index, size },
        elements,
    })
}

/// The plan for the consistency proof from the tree of `size1` leaves to the tree of
/// `size2` leaves (RFC 9162 §2.1.4.1).
///
/// `size1 == size2` gives an empty proof; `size1 == 0` is refused with
/// [`MerkleError::EmptyOldTree`] and `size1 > size2` with [`MerkleError::SizesOutOfOrder`],
/// as the verifier would refuse them.
pub fn consistency_plan(size1: u64, size2: u64) -> Result<ProofPlan, MerkleError> {
    if size1 > size2 {
        return Err(MerkleError::SizesOutOfOrder { size1, size2 });
    }
    if size1 == 0 {
        return Err(MerkleError::EmptyOldTree);
    }
    // SUBPROOF(m, D[lo..hi], whole), unrolled from the top.
    let (mut lo, mut hi) = (0u64, size2);
    let mut whole = true;
    let mut elements = Vec::new();
    loop {
        if size1 == hi {
            if !whole {
                elements.push(element(lo, hi));
            }
            break;
        }
        let mid = lo + split_point(hi - lo);
        if size1 <= mid {
            elements.push(element(mid, hi));
            hi = mid;
        } else {
            elements.push(element(lo, mid));
            lo = mid;
            whole = false;
        }
    }
    elements.reverse();
    Ok(ProofPlan {
        kind: PlanKind::Consistency { size1, size2 },
        elements,
    })
}

/// The plan for the root of the tree of `size` leaves, at any size the tree has reached:
/// the fold of [`frontier_ids`](super::frontier_ids)`(size)`. Size 0 needs no nodes.
pub fn root_plan(size: u64) -> ProofPlan {
    let elements = if size == 0 {
        Vec::new()
    } else {
        vec![element(0, size)]
    };
    ProofPlan {
        kind: PlanKind::Root { size },
        elements,
    }
}

impl ProofPlan {
    /// What this plan computes.
    pub fn kind(&self) -> PlanKind {
        self.kind
    }

    /// The proof elements in proof order (for a root plan, the single root element, or
    /// none for size 0).
    pub fn elements(&self) -> &[PlanElement] {
        &self.elements
    }

    /// Every node the plan reads, sorted and without repeats: the rows to fetch.
    /// O(log n) of them: fewer than `2·⌈log2 n⌉ + 2`.
    pub fn node_ids(&self) -> Vec<NodeId> {
        let mut ids: Vec<NodeId> = self
            .elements
            .iter()
            .flat_map(|e| match e {
                PlanElement::Node(id) => std::slice::from_ref(id),
                PlanElement::Fold(ids) => ids.as_slice(),
            })
            .copied()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Puts the proof together from node hashes supplied by `lookup`.
    ///
    /// For an inclusion or consistency plan, the proof hashes in order. For a root plan, a
    /// one-element vector holding the root ([`empty_root`] for size 0); see also
    /// [`ProofPlan::assemble_root`]. Fails with [`MerkleError::MissingNode`] on the first
    /// node `lookup` does not supply.
    pub fn assemble(
        &self,
        lookup: impl Fn(NodeId) -> Option<Hash>,
    ) -> Result<Vec<Hash>, MerkleError> {
        let get = |id: NodeId| lookup(id).ok_or(MerkleError::MissingNode(id));
        let mut out = Vec::with_capacity(self.elements.len().max(1));
        for e in &self.elements {
            let h = match e {
                PlanElement::Node(id) => get(*id)?,
                PlanElement::Fold(ids) => {
                    let hashes = ids
                        .iter()
                        .map(|id| get(*id))
                        .collect::<Result<Vec<_>, _>>()?;
                    fold_right(&hashes).unwrap_or_else(empty_root)
                }
            };
            out.push(h);
        }
        if out.is_empty() && matches!(self.kind, PlanKind::Root { .. }) {
            out.push(empty_root());
        }
        Ok(out)
    }

    /// The root computed by a root plan. Fails with [`MerkleError::NotARootPlan`] on
    /// another kind of plan, or [`MerkleError::MissingNode`].
    pub fn assemble_root(
        &self,
        lookup: impl Fn(NodeId) -> Option<Hash>,
    ) -> Result<Hash, MerkleError> {
        if !matches!(self.kind, PlanKind::Root { .. }) {
            return Err(MerkleError::NotARootPlan);
        }
        self.assemble(lookup)?
            .first()
            .copied()
            .ok_or(MerkleError::NotARootPlan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inclusion_plan_of_leaf_in_7() {
        // Leaf 6 of 7: siblings are [4,6) then [0,4).
        let p = inclusion_plan(6, 7).unwrap();
        assert_eq!(
            p.elements(),
            &[
                PlanElement::Node(NodeId { level: 1, index: 2 }),
                PlanElement::Node(NodeId { level: 2, index: 0 }),
            ]
        );
        // Leaf 0 of 7: [1], [2,4), then the right edge [4,7) = [4,6) + [6].
        let p = inclusion_plan(0, 7).unwrap();
        assert_eq!(
            p.elements(),
            &[
                PlanElement::Node(NodeId::leaf(1)),
                PlanElement::Node(NodeId { level: 1, index: 1 }),
                PlanElement::Fold(vec![NodeId { level: 1, index: 2 }, NodeId::leaf(6)]),
            ]
        );
        assert_eq!(
            inclusion_plan(7, 7),
            Err(MerkleError::IndexOutOfRange { index: 7, size: 7 })
        );
        assert!(inclusion_plan(0, 1).unwrap().elements().is_empty());
    }

    #[test]
    fn root_plan_and_kinds() {
        assert!(root_plan(0).node_ids().is_empty());
        assert_eq!(root_plan(0).assemble_root(|_| None), Ok(empty_root()));
        assert_eq!(root_plan(8).node_ids(), vec![NodeId { level: 3, index: 0 }]);
        assert_eq!(
            root_plan(8).assemble_root(|_| None),
            Err(MerkleError::MissingNode(NodeId { level: 3, index: 0 }))
        );
        assert_eq!(
            inclusion_plan(0, 2).unwrap().assemble_root(|_| None),
            Err(MerkleError::NotARootPlan)
        );
        assert_eq!(consistency_plan(0, 3), Err(MerkleError::EmptyOldTree));
        assert_eq!(
            consistency_plan(4, 3),
            Err(MerkleError::SizesOutOfOrder { size1: 4, size2: 3 })
        );
        assert!(consistency_plan(5, 5).unwrap().elements().is_empty());
    }
}
