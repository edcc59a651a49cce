//! [`UndoLog`]: what a reversal of a revenue share or a rental must free again (the paid
//! period, the rented slot), at 24 bytes per such entry.
//!
//! A hash map from seq to [`Undo`] held each agreement or space id as its own string: at
//! a quarter of a million rentals that was some 30 MiB, the verifier's second largest
//! allocation. Entries are applied in seq order, so the log is a vector sorted by seq
//! (appended to, found by binary search), and the ids are interned: each is stored once.

use std::collections::HashMap;

use crate::ids::{AgreementId, SpaceId};
use crate::time::{Date, Instant};

/// What must be freed again when a revenue share or rental is reversed (as a state
/// snapshot stores it: `state::snapshot`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum Undo {
    /// A paid period of an agreement, by its first day.
    Period(AgreementId, Date),
    /// A rented slot of a space, by its start.
    Slot(SpaceId, Instant),
}

/// [`Undo`] with the id interned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compact {
    Period(u32, Date),
    Slot(u32, Instant),
}

/// Interned ids: each stored once, numbered in order of first use.
#[derive(Debug, Clone)]
struct Names<T> {
    names: Vec<T>,
    index: HashMap<T, u32>,
}

impl<T> Default for Names<T> {
    fn default() -> Self {
        Names {
            names: Vec::new(),
            index: HashMap::new(),
        }
    }
}

impl<T: Clone + Eq + std::hash::Hash> Names<T> {
    fn intern(&mut self, name: &T) -> u32 {
        if let Some(i) = self.index.get(name) {
            return *i;
        }
        let i = self.names.len() as u32;
        self.names.push(name.clone());
        self.index.insert(name.clone(), i);
        i
    }

    fn get(&self, i: u32) -> Option<&T> {
        self.names.get(i as usize)
    }
}

/// Seq → [`Undo`] of the revenue shares and rentals not reversed yet (see the module docs).
#[derive(Clone, Default)]
pub(crate) struct UndoLog {
    /// By seq, ascending; `None` once reversed.
    log: Vec<(u64, Option<Compact>)>,
    agreements: Names<AgreementId>,
    spaces: Names<SpaceId>,
}

impl UndoLog {
    /// Records what entry `seq` took. Seqs come in ascending order (entries are applied
    /// in order); a seq not above the last is recorded in its place all the same.
    pub(crate) fn insert(&mut self, seq: u64, undo: Undo) {
        let compact = match &undo {
            Undo::Period(id, from) => Compact::Period(self.agreements.intern(id), *from),
            Undo::Slot(id, start) => Compact::Slot(self.spaces.intern(id), *start),
        };
        match self.log.last() {
            Some((last, _)) if *last >= seq => match self.log.binary_search_by_key(&seq, |e| e.0) {
                Ok(i) => self.log[i].1 = Some(compact),
                Err(i) => self.log.insert(i, (seq, Some(compact))),
            },
            _ => self.log.push((seq, Some(compact))),
        }
    }

    /// Takes what entry `seq` took, if it is recorded and not taken yet.
    pub(crate) fn remove(&mut self, seq: &u64) -> Option<Undo> {
        let i = self.log.binary_search_by_key(seq, |e| e.0).ok()?;
        let compact = self.log.get_mut(i)?.1.take()?;
        self.expand(compact)
    }

    fn expand(&self, compact: Compact) -> Option<Undo> {
        Some(match compact {
            Compact::Period(i, from) => Undo::Period(self.agreements.get(i)?.clone(), from),
            Compact::Slot(i, start) => Undo::Slot(self.spaces.get(i)?.clone(), start),
        })
    }

    /// The entries recorded and not taken, by seq.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, Undo)> + '_ {
        self.log
            .iter()
            .filter_map(|(seq, c)| Some((*seq, self.expand((*c)?)?)))
    }

    /// Heap bytes held (the interned ids counted at their length).
    pub(crate) fn retained_bytes(&self) -> usize {
        self.log.capacity() * std::mem::size_of::<(u64, Option<Compact>)>()
            + (self.agreements.names.len() + self.spaces.names.len()) * 2 * 96
    }
}

/// Equal when they hold the same seqs and undos (however the ids were numbered).
impl PartialEq for UndoLog {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for UndoLog {}

impl std::fmt::Debug for UndoLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl FromIterator<(u64, Undo)> for UndoLog {
    fn from_iter<I: IntoIterator<Item = (u64, Undo)>>(iter: I) -> Self {
        let mut log = UndoLog::default();
        for (seq, undo) in iter {
            log.insert(seq, undo);
        }
        log
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_back_what_each_entry_took_once() {
        let space = SpaceId::parse("hall").unwrap();
        let agreement = AgreementId::parse("cafe").unwrap();
        let day = Date::parse("2024-03-01").unwrap();
        let start = Instant::parse("2024-03-01T10:00:00Z").unwrap();
        let mut log = UndoLog::default();
        for seq in (10..1_000u64).step_by(3) {
            let undo = if seq % 2 == 0 {
                Undo::Slot(space.clone(), start)
            } else {
                Undo::Period(agreement.clone(), day)
            };
            log.insert(seq, undo);
        }
        assert_eq!(log.remove(&11), None, "never recorded");
        assert_eq!(log.remove(&10), Some(Undo::Slot(space.clone(), start)));
        assert_eq!(log.remove(&10), None, "taken once");
        assert_eq!(log.remove(&13), Some(Undo::Period(agreement.clone(), day)));
        // Out of order, then in place.
        log.insert(5, Undo::Slot(space.clone(), start));
        assert_eq!(log.iter().next(), Some((5, Undo::Slot(space, start))));
        let again: UndoLog = log.iter().collect();
        assert_eq!(again, log);
        assert_eq!(log.agreements.names.len() + log.spaces.names.len(), 2);
    }
}
