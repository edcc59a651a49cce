//! [`Recent`]: the few most recently used values of a costly pure function, kept in a
//! short list with the most recent first. A fund's log is signed by a handful of keys, so
//! a list of a few dozen finds them in a few comparisons, with no hashing and no
//! allocation once warm. Used per thread (in a `thread_local!`), so it needs no lock.

use std::borrow::Borrow;

/// At most `capacity` (key, value) pairs, most recently used first.
#[derive(Debug)]
pub(crate) struct Recent<K, V> {
    items: Vec<(K, V)>,
    capacity: usize,
}

impl<K, V: Copy> Recent<K, V> {
    /// An empty list that keeps at most `capacity` pairs (at least one).
    pub(crate) const fn new(capacity: usize) -> Self {
        Recent {
            items: Vec::new(),
            capacity: if capacity == 0 { 1 } else { capacity },
        }
    }

    /// The value kept for `key`, which moves to the front.
    pub(crate) fn get<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: PartialEq + ?Sized,
    {
        let i = self.items.iter().position(|(k, _)| k.borrow() == key)?;
        let value = self.items[i].1;
        self.items[..=i].rotate_right(1);
        Some(value)
    }

    /// Keeps `value` for `key` at the front, forgetting the least recently used pair when
    /// the list is full. The caller has just missed with [`Recent::get`], so `key` is not
    /// in the list.
    pub(crate) fn insert(&mut self, key: K, value: V) {
        self.items.truncate(self.capacity - 1);
        self.items.insert(0, (key, value));
    }
}

#[cfg(test)]
mod tests {
    use super::Recent;

    #[test]
    fn keeps_the_most_recently_used_within_capacity() {
        let mut r: Recent<String, u32> = Recent::new(3);
        assert_eq!(r.get("a"), None);
        r.insert("a".into(), 1);
        r.insert("b".into(), 2);
        r.insert("c".into(), 3);
        // "a" is used again, so "b" is now the least recently used...
        assert_eq!(r.get("a"), Some(1));
        r.insert("d".into(), 4);
        // ...and is the one forgotten.
        assert_eq!(r.get("b"), None);
        assert_eq!(r.get("a"), Some(1));
        assert_eq!(r.get("c"), Some(3));
        assert_eq!(r.get("d"), Some(4));
    }

    #[test]
    fn capacity_zero_keeps_one() {
        let mut r: Recent<[u8; 2], u8> = Recent::new(0);
        r.insert([1, 2], 7);
        assert_eq!(r.get(&[1, 2]), Some(7));
        r.insert([3, 4], 8);
        assert_eq!(r.get(&[1, 2]), None);
        assert_eq!(r.get(&[3, 4]), Some(8));
    }
}
