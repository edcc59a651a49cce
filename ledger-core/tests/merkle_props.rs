//! Property tests of `ledger_core::merkle`: the stored form (Frontier, plans, MemoryTree)
//! against the RFC 9162 reference definitions, and the verifiers against tampering.

use ledger_core::hash::{empty_root, leaf_hash, Hash, ZERO_HASH};
use ledger_core::merkle::{
    consistency_plan, consistency_proof, frontier_ids, inclusion_plan, inclusion_proof, root,
    root_plan, verify_consistency, verify_inclusion, Frontier, MemoryTree, MerkleError, NodeId,
    PlanElement, ProofPlan,
};
use proptest::prelude::*;

fn leaves(seed: u64, n: u64) -> Vec<Hash> {
    (0..n)
        .map(|i| leaf_hash(&[seed.to_be_bytes(), i.to_be_bytes()].concat()))
        .collect()
}

fn flip(h: &Hash, bit: usize) -> Hash {
    let mut b = h.0;
    b[bit / 8] ^= 1 << (bit % 8);
    Hash(b)
}

fn us(x: u64) -> usize {
    usize::try_from(x).expect("fits")
}

fn ceil_log2(n: u64) -> u64 {
    u64::from(64 - (n.max(1) - 1).leading_zeros())
}

/// The proof length the inclusion verifier expects for (index, size).
fn inclusion_len(index: u64, size: u64) -> usize {
    match verify_inclusion(&ZERO_HASH, index, size, &[], &ZERO_HASH) {
        Ok(()) => 0,
        Err(MerkleError::ProofLength { expected, .. }) => expected,
        Err(e) => panic!("unexpected {e:?}"),
    }
}

/// The proof length the consistency verifier expects for (size1, size2).
fn consistency_len(size1: u64, size2: u64) -> usize {
    match verify_consistency(size1, size2, &[], &ZERO_HASH, &ZERO_HASH) {
        Ok(()) => 0,
        Err(MerkleError::ProofLength { expected, .. }) => expected,
        Err(e) => panic!("unexpected {e:?}"),
    }
}

/// Checks a plan over a tree of `size` leaves: few nodes, all inside the tree, at most
/// one folded element, and `expected` elements.
fn check_plan(plan: &ProofPlan, size: u64, expected: usize) {
    let ids = plan.node_ids();
    let bound = 2 * ceil_log2(size) + 2;
    assert!(
        ids.len() as u64 <= bound,
        "{} nodes > {bound} for size {size}: {plan:?}",
        ids.len()
    );
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "sorted and deduplicated"
    );
    for id in &ids {
        let end = (u128::from(id.index) + 1) << id.level;
        assert!(end <= u128::from(size), "{id:?} beyond size {size}");
    }
    let folds = plan
        .elements()
        .iter()
        .filter(|e| matches!(e, PlanElement::Fold(_)))
        .count();
    assert!(folds <= 1, "{folds} folded elements in {plan:?}");
    assert_eq!(plan.elements().len(), expected, "{plan:?}");
}

fn check_large_size(size: u64, index: u64, size1: u64) {
    let p = inclusion_plan(index, size).expect("inclusion plan");
    check_plan(&p, size, inclusion_len(index, size));
    let p = consistency_plan(size1, size).expect("consistency plan");
    check_plan(&p, size, consistency_len(size1, size));
    check_plan(&root_plan(size), size, 1);
    let mut ids = frontier_ids(size);
    ids.sort();
    assert_eq!(root_plan(size).node_ids(), ids);
}

#[test]
fn plans_are_logarithmic_for_large_sizes() {
    for size in [
        1_000_000u64,
        (1 << 40) + 12345,
        1 << 40,
        (1 << 40) - 1,
        (1 << 63) + 1,
        u64::MAX,
    ] {
        for index in [0, 1, size / 3, size / 2, size - 2, size - 1] {
            for size1 in [1, 2, size / 3 + 1, size / 2, size - 1, size] {
                check_large_size(size, index, size1.max(1));
            }
        }
    }
}

#[test]
fn every_bit_of_a_proof_matters() {
    let ls = leaves(7, 13);
    let tree = MemoryTree::from_leaves(&ls);
    let (index, size) = (5u64, 13u64);
    let root13 = tree.root();
    let proof = tree.inclusion_proof(index, size).expect("proof");
    let leaf = ls[us(index)];
    assert_eq!(
        verify_inclusion(&leaf, index, size, &proof, &root13),
        Ok(())
    );
    for bit in 0..256 {
        for i in 0..proof.len() {
            let mut bad = proof.clone();
            bad[i] = flip(&bad[i], bit);
            assert!(verify_inclusion(&leaf, index, size, &bad, &root13).is_err());
        }
        assert!(verify_inclusion(&flip(&leaf, bit), index, size, &proof, &root13).is_err());
        assert!(verify_inclusion(&leaf, index, size, &proof, &flip(&root13, bit)).is_err());
    }

    for size1 in [3u64, 4, 6] {
        let root1 = tree.root_at(size1).expect("root");
        let proof = tree.consistency_proof(size1, size).expect("proof");
        assert_eq!(
            verify_consistency(size1, size, &proof, &root1, &root13),
            Ok(())
        );
        for bit in 0..256 {
            for i in 0..proof.len() {
                let mut bad = proof.clone();
                bad[i] = flip(&bad[i], bit);
                assert!(verify_consistency(size1, size, &bad, &root1, &root13).is_err());
            }
            let bad1 = flip(&root1, bit);
            let bad2 = flip(&root13, bit);
            assert!(verify_consistency(size1, size, &proof, &bad1, &root13).is_err());
            assert!(verify_consistency(size1, size, &proof, &root1, &bad2).is_err());
        }
    }
}

#[test]
fn edge_policies() {
    let ls = leaves(1, 4);
    let r4 = root(&ls);
    let r1 = root(&ls[..1]);
    // size1 = 0 is refused, even 0 -> 0 with the empty root.
    assert_eq!(
        verify_consistency(0, 0, &[], &empty_root(), &empty_root()),
        Err(MerkleError::EmptyOldTree)
    );
    assert_eq!(
        verify_consistency(0, 4, &[], &empty_root(), &r4),
        Err(MerkleError::EmptyOldTree)
    );
    assert_eq!(consistency_proof(&ls, 0), Err(MerkleError::EmptyOldTree));
    // Equal sizes: empty proof and equal roots.
    assert_eq!(verify_consistency(4, 4, &[], &r4, &r4), Ok(()));
    assert_eq!(
        verify_consistency(4, 4, &[r4], &r4, &r4),
        Err(MerkleError::ProofLength {
            expected: 0,
            got: 1
        })
    );
    assert_eq!(
        verify_consistency(4, 4, &[], &r4, &r1),
        Err(MerkleError::NewRootMismatch)
    );
    assert_eq!(consistency_proof(&ls, 4), Ok(vec![]));
    // size1 > size2.
    assert_eq!(
        verify_consistency(4, 1, &[], &r4, &r1),
        Err(MerkleError::SizesOutOfOrder { size1: 4, size2: 1 })
    );
    assert_eq!(
        consistency_proof(&ls[..1], 4),
        Err(MerkleError::SizesOutOfOrder { size1: 4, size2: 1 })
    );
    // index >= size.
    assert_eq!(
        verify_inclusion(&ls[0], 4, 4, &[], &r4),
        Err(MerkleError::IndexOutOfRange { index: 4, size: 4 })
    );
    assert_eq!(
        verify_inclusion(&ls[0], 0, 0, &[], &empty_root()),
        Err(MerkleError::IndexOutOfRange { index: 0, size: 0 })
    );
    assert_eq!(
        inclusion_proof(&ls, 4),
        Err(MerkleError::IndexOutOfRange { index: 4, size: 4 })
    );
    // Wrong length.
    let p = inclusion_proof(&ls, 1).expect("proof");
    assert_eq!(
        verify_inclusion(&ls[1], 1, 4, &p[..1], &r4),
        Err(MerkleError::ProofLength {
            expected: 2,
            got: 1
        })
    );
    // A single-leaf tree: its root is the leaf.
    assert_eq!(verify_inclusion(&ls[0], 0, 1, &[], &r1), Ok(()));
    // A missing node is reported by id.
    assert_eq!(
        inclusion_plan(0, 4).expect("plan").assemble(|_| None),
        Err(MerkleError::MissingNode(NodeId::leaf(1)))
    );
    let tree = MemoryTree::from_leaves(&ls);
    assert_eq!(
        tree.inclusion_proof(0, 5),
        Err(MerkleError::SizeBeyondTree {
            requested: 5,
            available: 4
        })
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Frontier::push: the root equals the reference root at every size, and the nodes it
    /// returns are exactly the complete subtrees, each once, with their reference hashes.
    #[test]
    fn frontier_matches_reference(seed: u64, n in 1u64..=300) {
        let ls = leaves(seed, n);
        let mut f = Frontier::new();
        prop_assert_eq!(f.root(), empty_root());
        let mut all = Vec::new();
        for k in 0..n {
            let nodes = f.push(ls[us(k)]);
            prop_assert_eq!(nodes[0], (NodeId::leaf(k), ls[us(k)]));
            for (id, h) in &nodes {
                let start = id.index << id.level;
                let end = (id.index + 1) << id.level;
                prop_assert_eq!(end, k + 1, "a node completed by leaf {} ends there", k);
                prop_assert_eq!(*h, root(&ls[us(start)..us(end)]));
            }
            all.extend(nodes.into_iter().map(|(id, _)| id));
            prop_assert_eq!(f.size(), k + 1);
            prop_assert_eq!(f.root(), root(&ls[..us(k + 1)]));
            prop_assert_eq!(f.ids(), frontier_ids(k + 1));
        }
        let complete: u64 = (0..64).map(|l| n >> l).sum();
        let count = all.len() as u64;
        all.sort();
        all.dedup();
        prop_assert_eq!(all.len() as u64, count);
        prop_assert_eq!(count, complete);
    }

    /// Frontier::from_parts over the stored nodes of frontier_ids round-trips, and the
    /// restored frontier keeps growing correctly.
    #[test]
    fn frontier_restores_from_stored_nodes(seed: u64, n in 0u64..=300, extra in 0u64..=40) {
        let ls = leaves(seed, n + extra);
        let tree = MemoryTree::from_leaves(&ls);
        let hashes: Vec<Hash> = frontier_ids(n)
            .into_iter()
            .map(|id| tree.lookup(id).expect("stored node"))
            .collect();
        let mut restored = Frontier::from_parts(n, hashes.clone()).expect("restores");
        let mut pushed = Frontier::new();
        for l in &ls[..us(n)] {
            pushed.push(*l);
        }
        prop_assert_eq!(&restored, &pushed);
        prop_assert_eq!(restored.root(), tree.root_at(n).expect("root"));
        prop_assert_eq!(restored.root(), root(&ls[..us(n)]));
        for l in &ls[us(n)..] {
            restored.push(*l);
        }
        prop_assert_eq!(restored.root(), tree.root());
        let mut fewer = hashes.clone();
        if fewer.pop().is_some() {
            prop_assert!(Frontier::from_parts(n, fewer).is_err());
        }
        let mut more = hashes;
        more.push(ZERO_HASH);
        prop_assert!(Frontier::from_parts(n, more).is_err());
    }

    /// Inclusion: plan-assembled proofs equal the reference, verify, and break under any
    /// change of a proof element, the leaf, the root, the index or the size.
    #[test]
    fn inclusion_proofs(
        seed: u64,
        n in 1u64..=300,
        picks in proptest::collection::vec((any::<u64>(), any::<u64>(), 0usize..256), 1..6),
    ) {
        let ls = leaves(seed, n);
        let tree = MemoryTree::from_leaves(&ls);
        for (a, b, bit) in picks {
            let size = 1 + a % n;
            let index = b % size;
            let prefix = &ls[..us(size)];
            let r = tree.root_at(size).expect("root");
            prop_assert_eq!(r, root(prefix));
            let proof = tree.inclusion_proof(index, size).expect("proof");
            prop_assert_eq!(&proof, &inclusion_proof(prefix, index).expect("reference"));
            let leaf = ls[us(index)];
            prop_assert_eq!(verify_inclusion(&leaf, index, size, &proof, &r), Ok(()));
            check_plan(&inclusion_plan(index, size).expect("plan"), size, proof.len());

            for i in 0..proof.len() {
                let mut bad = proof.clone();
                bad[i] = flip(&bad[i], bit);
                prop_assert!(verify_inclusion(&leaf, index, size, &bad, &r).is_err());
            }
            prop_assert!(verify_inclusion(&flip(&leaf, bit), index, size, &proof, &r).is_err());
            prop_assert!(verify_inclusion(&leaf, index, size, &proof, &flip(&r, bit)).is_err());
            let mut longer = proof.clone();
            longer.push(leaf);
            prop_assert!(verify_inclusion(&leaf, index, size, &longer, &r).is_err());
            if let Some((_, shorter)) = proof.split_last() {
                prop_assert!(verify_inclusion(&leaf, index, size, shorter, &r).is_err());
            }
            // Another index in the same tree.
            if size > 1 {
                let other = (index + 1 + b % (size - 1)) % size;
                prop_assert_ne!(other, index);
                prop_assert!(verify_inclusion(&leaf, other, size, &proof, &r).is_err());
            }
            // Another size, with that size's true root.
            for other in [size - 1, size + 1, 2 * size] {
                if other > index && other <= n && other != size {
                    let r_other = tree.root_at(other).expect("root");
                    prop_assert!(verify_inclusion(&leaf, index, other, &proof, &r_other).is_err());
                }
            }
            prop_assert!(verify_inclusion(&leaf, size, size, &proof, &r).is_err());
        }
    }

    /// Consistency: plan-assembled proofs equal the reference, verify, and break under any
    /// change of a proof element, either root, or either size.
    #[test]
    fn consistency_proofs(
        seed: u64,
        n in 1u64..=300,
        picks in proptest::collection::vec((any::<u64>(), any::<u64>(), 0usize..256), 1..6),
    ) {
        let ls = leaves(seed, n);
        let tree = MemoryTree::from_leaves(&ls);
        for (a, b, bit) in picks {
            let size2 = 1 + a % n;
            let size1 = 1 + b % size2;
            let r1 = tree.root_at(size1).expect("root1");
            let r2 = tree.root_at(size2).expect("root2");
            let proof = tree.consistency_proof(size1, size2).expect("proof");
            prop_assert_eq!(
                &proof,
                &consistency_proof(&ls[..us(size2)], size1).expect("reference")
            );
            prop_assert_eq!(verify_consistency(size1, size2, &proof, &r1, &r2), Ok(()));
            check_plan(&consistency_plan(size1, size2).expect("plan"), size2, proof.len());

            for i in 0..proof.len() {
                let mut bad = proof.clone();
                bad[i] = flip(&bad[i], bit);
                prop_assert!(verify_consistency(size1, size2, &bad, &r1, &r2).is_err());
            }
            prop_assert!(verify_consistency(size1, size2, &proof, &flip(&r1, bit), &r2).is_err());
            prop_assert!(verify_consistency(size1, size2, &proof, &r1, &flip(&r2, bit)).is_err());
            let mut longer = proof.clone();
            longer.push(r1);
            prop_assert!(verify_consistency(size1, size2, &longer, &r1, &r2).is_err());
            if let Some((_, shorter)) = proof.split_last() {
                prop_assert!(verify_consistency(size1, size2, shorter, &r1, &r2).is_err());
            }
            // Another old size (with its true root), or another new size (with its).
            for other in [size1 - 1, size1 + 1, 2 * size1] {
                if other >= 1 && other <= size2 && other != size1 {
                    let r_other = tree.root_at(other).expect("root");
                    prop_assert!(
                        verify_consistency(other, size2, &proof, &r_other, &r2).is_err()
                    );
                }
            }
            for other in [size2 - 1, size2 + 1, 2 * size2] {
                if other >= size1 && other <= n && other != size2 {
                    let r_other = tree.root_at(other).expect("root");
                    prop_assert!(
                        verify_consistency(size1, other, &proof, &r1, &r_other).is_err()
                    );
                }
            }
        }
    }

    /// Plans need no data: for any size up to 2^64 - 1 they name O(log n) nodes inside the
    /// tree, and their element count is the proof length the verifier expects.
    #[test]
    fn plans_for_any_size(size in 1u64..=u64::MAX, x: u64, y: u64) {
        check_large_size(size, x % size, 1 + y % size);
    }
}
