//! [`KeySet`]: the idempotency-key digests a fund has used, at about 17 bytes per key.
//!
//! A hash set of `u128` costs 16 bytes per bucket plus a control byte, at a load factor
//! between 7/16 and 7/8, and doubles in one step: at a million keys it held 34 MiB and
//! needed 51 MiB while growing, the verifier's largest allocation. Here the digests
//! (uniform: they are SHA-256 prefixes) are kept sorted, in partitions by their top bits;
//! a partition grows by an eighth at a time, and when the partitions hold 512 keys on
//! average each splits in two at the point where its next bit turns to 1 (no rehash,
//! one partition copied at a time). Lookups are a binary search in a partition of a few
//! hundred keys; an insert moves half a partition (a few KiB) at most.
//!
//! The set holds exactly the digests inserted, so it answers exactly as a hash set would:
//! no finding changes.

/// Average keys per partition above which every partition splits in two.
const PART_KEYS: usize = 512;

/// A set of 128-bit digests, sorted in partitions (see the module docs).
#[derive(Clone)]
pub(crate) struct KeySet {
    /// Partition `i` holds the digests whose top `bits` bits are `i`, ascending.
    parts: Vec<Vec<u128>>,
    bits: u32,
    len: usize,
}

impl KeySet {
    /// An empty set.
    pub(crate) fn new() -> Self {
        KeySet {
            parts: vec![Vec::new()],
            bits: 0,
            len: 0,
        }
    }

    fn part(&self, digest: u128) -> usize {
        match self.bits {
            0 => 0,
            b => (digest >> (128 - b)) as usize,
        }
    }

    /// Whether `digest` is in the set.
    pub(crate) fn contains(&self, digest: &u128) -> bool {
        self.parts
            .get(self.part(*digest))
            .is_some_and(|p| p.binary_search(digest).is_ok())
    }

    /// Adds `digest`; false if it was there already.
    pub(crate) fn insert(&mut self, digest: u128) -> bool {
        let i = self.part(digest);
        let Some(part) = self.parts.get_mut(i) else {
            return false;
        };
        let Err(at) = part.binary_search(&digest) else {
            return false;
        };
        if part.len() == part.capacity() {
            part.reserve_exact(part.len() / 8 + 4);
        }
        part.insert(at, digest);
        self.len += 1;
        if self.len > self.parts.len() * PART_KEYS && self.bits < 24 {
            self.split();
        }
        true
    }

    /// Doubles the partitions: each splits where its next bit (below the top `bits`) is 1.
    fn split(&mut self) {
        let bit = 127 - self.bits;
        let old = std::mem::take(&mut self.parts);
        let mut parts = Vec::with_capacity(old.len() * 2);
        for mut low in old {
            let at = low.partition_point(|d| (d >> bit) & 1 == 0);
            let high = low.split_off(at);
            low.shrink_to_fit();
            parts.push(low);
            parts.push(high);
        }
        self.parts = parts;
        self.bits += 1;
    }

    /// Digests in the set.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The digests, ascending.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &u128> + '_ {
        self.parts.iter().flatten()
    }

    /// Heap bytes held.
    pub(crate) fn retained_bytes(&self) -> usize {
        self.parts.capacity() * std::mem::size_of::<Vec<u128>>()
            + self
                .parts
                .iter()
                .map(|p| p.capacity() * std::mem::size_of::<u128>())
                .sum::<usize>()
    }
}

impl Default for KeySet {
    fn default() -> Self {
        KeySet::new()
    }
}

/// Equal when they hold the same digests (however they were split).
impl PartialEq for KeySet {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl Eq for KeySet {}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeySet({} digests)", self.len)
    }
}

impl FromIterator<u128> for KeySet {
    fn from_iter<I: IntoIterator<Item = u128>>(iter: I) -> Self {
        let mut set = KeySet::new();
        for d in iter {
            set.insert(d);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// A SHA-256-like spread of digests, deterministic.
    fn digest(i: u64) -> u128 {
        let h = crate::hash::sha256(&i.to_le_bytes());
        let mut b = [0u8; 16];
        b.copy_from_slice(&h.0[..16]);
        u128::from_le_bytes(b)
    }

    #[test]
    fn answers_as_a_hash_set_does() {
        let mut set = KeySet::new();
        let mut reference = HashSet::new();
        for i in 0..20_000u64 {
            // Every third insert repeats an earlier key.
            let d = if i % 3 == 2 { digest(i / 2) } else { digest(i) };
            assert_eq!(set.insert(d), reference.insert(d), "insert {i}");
        }
        assert_eq!(set.len(), reference.len());
        assert!(set.bits >= 4, "split into {} bits", set.bits);
        for i in 0..40_000u64 {
            assert_eq!(set.contains(&digest(i)), reference.contains(&digest(i)));
        }
        // Extremes of the range land in the first and last partitions.
        for d in [0, u128::MAX] {
            assert!(!set.contains(&d));
            assert!(set.insert(d));
            assert!(set.contains(&d));
        }
        let sorted: Vec<_> = set.iter().copied().collect();
        assert!(sorted.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(sorted.len(), set.len());
    }

    #[test]
    fn holds_about_seventeen_bytes_per_key() {
        let set: KeySet = (0..100_000u64).map(digest).collect();
        let per_key = set.retained_bytes() as f64 / set.len() as f64;
        assert!(per_key < 19.0, "{per_key} bytes per key");
        let other: KeySet = (0..100_000u64).rev().map(digest).collect();
        assert_eq!(set, other);
    }
}
