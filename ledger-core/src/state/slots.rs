//! [`Slots`]: an ordered map for the rental calendars, at about 26 bytes per rental.
//!
//! A `BTreeMap<Instant, (Instant, u64)>` spends some 45 bytes per rental: its nodes hold
//! eleven pairs and, filled in time order as rentals mostly are, stay just over half full.
//! At a quarter of a million rentals that was 11 MiB of the verifier's memory. Here the
//! pairs sit in sorted leaves of at most [`LEAF_MAX`], found by a binary search over the
//! leaves; appending past the last pair starts a new leaf once the last is full (so a
//! calendar filled in order has full leaves), an insert elsewhere splits a full leaf in
//! half. Every operation moves at most one leaf (a few KiB), whatever the order of the
//! inserts, so no input can make it quadratic.

use std::ops::{Bound, RangeBounds};

/// Most pairs in a leaf.
const LEAF_MAX: usize = 512;

/// An ordered map of small `Copy` keys and values (see the module docs).
#[derive(Clone)]
pub(crate) struct Slots<K, V> {
    /// Sorted by key across leaves; no leaf is empty.
    leaves: Vec<Vec<(K, V)>>,
    len: usize,
}

impl<K: Ord + Copy, V: Copy> Slots<K, V> {
    /// An empty map.
    pub(crate) fn new() -> Self {
        Slots {
            leaves: Vec::new(),
            len: 0,
        }
    }

    /// Pairs in the map.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The leaf that holds `key` or would: the first whose last key is ≥ `key` (the last
    /// leaf when every key is smaller). None when empty.
    fn leaf_of(&self, key: &K) -> Option<usize> {
        if self.leaves.is_empty() {
            return None;
        }
        let i = self
            .leaves
            .partition_point(|l| l.last().is_some_and(|(k, _)| k < key));
        Some(i.min(self.leaves.len() - 1))
    }

    /// Inserts a pair; the value it replaces, if the key was there.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        let Some(i) = self.leaf_of(&key) else {
            self.leaves.push(vec![(key, value)]);
            self.len = 1;
            return None;
        };
        let last_leaf = i + 1 == self.leaves.len();
        let leaf = &mut self.leaves[i];
        let at = match leaf.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(j) => return Some(std::mem::replace(&mut leaf[j].1, value)),
            Err(j) => j,
        };
        self.len += 1;
        if leaf.len() < LEAF_MAX {
            if leaf.len() == leaf.capacity() {
                leaf.reserve_exact(leaf.len() / 8 + 4);
            }
            leaf.insert(at, (key, value));
            return None;
        }
        if last_leaf && at == leaf.len() {
            // In order: a new last leaf, this one stays full.
            let mut next = Vec::with_capacity(LEAF_MAX / 8);
            next.push((key, value));
            self.leaves.push(next);
            return None;
        }
        let mut high = leaf.split_off(LEAF_MAX / 2);
        leaf.shrink_to_fit();
        if at <= leaf.len() {
            leaf.insert(at, (key, value));
        } else {
            high.insert(at - LEAF_MAX / 2, (key, value));
        }
        self.leaves.insert(i + 1, high);
        None
    }

    /// Removes `key`; its value, if it was there.
    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        let i = self.leaf_of(key)?;
        let leaf = &mut self.leaves[i];
        let j = leaf.binary_search_by(|(k, _)| k.cmp(key)).ok()?;
        let (_, value) = leaf.remove(j);
        if leaf.is_empty() {
            self.leaves.remove(i);
        }
        self.len -= 1;
        Some(value)
    }

    /// Position (leaf, index) of the first pair whose key is not before `bound` as a
    /// start bound; (number of leaves, 0) past the end.
    fn start(&self, bound: Bound<&K>) -> (usize, usize) {
        let key = match bound {
            Bound::Unbounded => return (0, 0),
            Bound::Included(k) | Bound::Excluded(k) => k,
        };
        let Some(i) = self.leaf_of(key) else {
            return (0, 0);
        };
        let leaf = &self.leaves[i];
        let j = match bound {
            Bound::Excluded(_) => leaf.partition_point(|(k, _)| k <= key),
            _ => leaf.partition_point(|(k, _)| k < key),
        };
        self.normal(i, j)
    }

    /// Position just past the last pair within `bound` as an end bound.
    fn end(&self, bound: Bound<&K>) -> (usize, usize) {
        match bound {
            Bound::Unbounded => (self.leaves.len(), 0),
            Bound::Included(k) => self.start(Bound::Excluded(k)),
            Bound::Excluded(k) => self.start(Bound::Included(k)),
        }
    }

    fn normal(&self, i: usize, j: usize) -> (usize, usize) {
        if self.leaves.get(i).is_some_and(|l| j >= l.len()) {
            (i + 1, 0)
        } else {
            (i, j)
        }
    }

    /// The pairs with keys in `range`, in order (and backwards with `next_back`).
    pub(crate) fn range<R: RangeBounds<K>>(
        &self,
        range: R,
    ) -> impl DoubleEndedIterator<Item = (&K, &V)> + '_ {
        let (si, sj) = self.start(range.start_bound());
        let (ei, ej) = self.end(range.end_bound());
        let (si, ei) = if (si, sj) < (ei, ej) {
            (si, ei)
        } else {
            (0, 0)
        };
        let last = self.leaves.len().min(ei + 1);
        self.leaves[si.min(last)..last]
            .iter()
            .enumerate()
            .flat_map(move |(n, leaf)| {
                let i = si + n;
                let from = if i == si { sj } else { 0 };
                let to = if i == ei { ej } else { leaf.len() };
                leaf[from.min(to)..to].iter()
            })
            .map(|(k, v)| (k, v))
    }

    /// Every pair, in order.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + '_ {
        self.range(..)
    }

    /// Heap bytes held.
    pub(crate) fn retained_bytes(&self) -> usize {
        self.leaves.capacity() * std::mem::size_of::<Vec<(K, V)>>()
            + self
                .leaves
                .iter()
                .map(|l| l.capacity() * std::mem::size_of::<(K, V)>())
                .sum::<usize>()
    }
}

impl<K: Ord + Copy, V: Copy> Default for Slots<K, V> {
    fn default() -> Self {
        Slots::new()
    }
}

/// Equal when they hold the same pairs (however they are cut into leaves).
impl<K: Ord + Copy, V: Copy + PartialEq> PartialEq for Slots<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<K: Ord + Copy, V: Copy + Eq> Eq for Slots<K, V> {}

impl<K: Ord + Copy + std::fmt::Debug, V: Copy + std::fmt::Debug> std::fmt::Debug for Slots<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Ord + Copy, V: Copy> FromIterator<(K, V)> for Slots<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = Slots::new();
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Same answers as a BTreeMap for every operation the rules use, in order, backwards
    /// and shuffled, with removals.
    #[test]
    fn answers_as_a_btree_map_does() {
        let orders: [Box<dyn Fn(i64) -> i64>; 3] = [
            Box::new(|i| i * 3),
            Box::new(|i| 30_000 - i * 3),
            Box::new(|i| (i * 7_919) % 10_007 * 3),
        ];
        for order in orders {
            let mut map = Slots::new();
            let mut reference = BTreeMap::new();
            for i in 0..5_000 {
                let k = order(i);
                assert_eq!(map.insert(k, (k + 1, i)), reference.insert(k, (k + 1, i)));
                if i % 5 == 4 {
                    let gone = order(i - 2);
                    assert_eq!(map.remove(&gone), reference.remove(&gone));
                }
            }
            assert_eq!(map.len(), reference.len());
            for x in (-10..31_000).step_by(97) {
                assert_eq!(map.range(..x).next_back(), reference.range(..x).next_back());
                assert_eq!(
                    map.range(..=x).next_back(),
                    reference.range(..=x).next_back()
                );
                let within: Vec<_> = map.range(x..x + 500).collect();
                let expected: Vec<_> = reference.range(x..x + 500).collect();
                assert_eq!(within, expected);
            }
            assert!(map.iter().eq(reference.iter()));
            assert!(map.iter().rev().eq(reference.iter().rev()));
            let (high, low) = (50, 10);
            assert_eq!(map.range(high..low).count(), 0);
            let again: Slots<_, _> = reference.iter().map(|(k, v)| (*k, *v)).collect();
            assert_eq!(again, map);
        }
    }

    #[test]
    fn in_order_fills_its_leaves() {
        let map: Slots<i64, (i64, u64)> = (0..100_000).map(|i| (i, (i + 1, 0))).collect();
        let per_pair = map.retained_bytes() as f64 / map.len() as f64;
        assert!(per_pair < 26.0, "{per_pair} bytes per pair");
    }
}
