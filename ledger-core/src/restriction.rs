//! Restricted money (限定性净资产, DESIGN §1.9 and §11, FORMAT.md §5): one balance per
//! restriction, the unrestricted money as what is left of the fund's balance, and the
//! releases (限定性净资产转为非限定性净资产) derived from restricted spending, revocations
//! and closings — never from a typed figure.
//!
//! The checks here decide an entry's [`Move`]; [`Restrictions::plan`] computes what it
//! leaves, and [`Restrictions::apply`] stores that once every other rule has held, so a
//! refused entry changes nothing.

use std::collections::{BTreeMap, HashMap};

use crate::body::{Disposal, Kind, Restriction, RestrictionClosing};
use crate::ids::RestrictionId;
use crate::money::Money;
use crate::rules::RuleError;
use crate::time::Date;

/// How a restriction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Ending {
    /// Revoked (donor's consent or law) at this seq: what it held was released.
    Revoked {
        /// Seq of the `restriction_revocation`.
        seq: u64,
    },
    /// Its project closed at this seq.
    Closed {
        /// Seq of the `restriction_closing`.
        seq: u64,
        /// What was done with the money left.
        disposal: Disposal,
    },
}

impl Ending {
    /// Seq of the entry that ended the restriction.
    pub fn seq(self) -> u64 {
        match self {
            Ending::Revoked { seq } | Ending::Closed { seq, .. } => seq,
        }
    }
}

/// One restriction as the rules keep it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestrictionState {
    /// The declaration.
    pub restriction: Restriction,
    /// Seq of the declaration.
    pub declared_seq: u64,
    /// What it holds now (≥ 0).
    pub balance: Money,
    /// Money given to it so far, net of reversed donations.
    pub received: Money,
    /// Released to unrestricted money so far (spending, revocation, closing), net of
    /// reversed spending.
    pub released: Money,
    /// How it ended, if it has.
    pub ended: Option<Ending>,
}

/// What one entry does to restricted money: decided by the checks of [`Restrictions`],
/// counted by the statement months (the 限定性 column) and stored by
/// [`Restrictions::apply`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Move {
    /// The restriction the entry touches.
    pub restriction: Option<RestrictionId>,
    /// Money given to the restriction (+).
    pub donation: Money,
    /// Reversed restricted donations (−).
    pub reversals: Money,
    /// Released to unrestricted money (+); reversed restricted spending (−).
    pub releases: Money,
    /// A new restriction.
    pub declares: Option<Restriction>,
    /// The restriction ends.
    pub ends: Option<Ending>,
    /// The entry (a donation or disbursement) names the restriction, so that its reversal
    /// finds it.
    pub names: bool,
}

impl Move {
    /// The change of restricted money: donation + reversals − releases.
    pub fn delta(&self) -> Result<Money, RuleError> {
        self.donation
            .checked_add(self.reversals)
            .and_then(|m| m.checked_sub(self.releases))
            .ok_or(RuleError::Overflow)
    }
}

/// What [`Restrictions::plan`] computed for a move: the new figures, stored by
/// [`Restrictions::apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    seq: u64,
    mv: Move,
    total: Money,
    balance: Money,
    received: Money,
    released: Money,
}

/// Every restriction of a fund, and the total they hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Restrictions {
    map: BTreeMap<RestrictionId, RestrictionState>,
    total: Money,
    /// Donations and disbursements that named a restriction, by seq.
    named: HashMap<u64, RestrictionId>,
}

/// The parts of [`Restrictions`] in a fixed order, for a state's snapshot
/// (`FundState::snapshot_bytes`): every restriction by id, and the seqs that named one,
/// ascending.
pub(crate) type RestrictionParts = (Vec<RestrictionState>, Vec<(u64, RestrictionId)>);

impl Restrictions {
    /// The restrictions' parts, sorted (see [`RestrictionParts`]).
    pub(crate) fn parts(&self) -> RestrictionParts {
        let mut named: Vec<_> = self.named.iter().map(|(s, id)| (*s, id.clone())).collect();
        named.sort_unstable_by_key(|(s, _)| *s);
        (self.map.values().cloned().collect(), named)
    }

    /// The restrictions of [`Restrictions::parts`]; the total is their balances' sum.
    /// `None` when the parts are not what some `Restrictions` gives (ids out of order or
    /// repeated, seqs out of order, a negative balance, a sum past the money's range).
    pub(crate) fn from_parts(parts: RestrictionParts) -> Option<Restrictions> {
        let (states, named) = parts;
        let mut map = BTreeMap::new();
        let mut total = Money::ZERO;
        for st in states {
            if st.balance.is_negative() {
                return None;
            }
            total = total.checked_add(st.balance)?;
            let id = st.restriction.restriction_id.clone();
            if map.last_key_value().is_some_and(|(last, _)| *last >= id) {
                return None;
            }
            map.insert(id, st);
        }
        if named.windows(2).any(|w| w[0].0 >= w[1].0) {
            return None;
        }
        Some(Restrictions {
            map,
            total,
            named: named.into_iter().collect(),
        })
    }

    /// Restricted money: the sum of every restriction's balance.
    pub fn total(&self) -> Money {
        self.total
    }

    /// Every restriction, by id, with its balance.
    pub fn all(&self) -> &BTreeMap<RestrictionId, RestrictionState> {
        &self.map
    }

    /// One restriction.
    pub fn get(&self, id: &RestrictionId) -> Option<&RestrictionState> {
        self.map.get(id)
    }

    /// The restriction an earlier donation or disbursement named.
    pub fn named_by(&self, seq: u64) -> Option<&RestrictionId> {
        self.named.get(&seq)
    }

    /// Estimated heap bytes (for [`crate::state::FundState::retained_bytes`]).
    pub fn retained_bytes(&self) -> usize {
        self.map.len() * 400 + self.named.capacity() * (std::mem::size_of::<u64>() + 80)
    }

    fn open(&self, id: &RestrictionId) -> Result<&RestrictionState, RuleError> {
        let st = self
            .map
            .get(id)
            .ok_or_else(|| RuleError::RestrictionUnknown(id.to_string()))?;
        match st.ended {
            Some(e) => Err(RuleError::RestrictionEnded {
                id: id.to_string(),
                seq: e.seq(),
            }),
            None => Ok(st),
        }
    }

    /// A `restriction`: a new id, a window that is not reversed.
    pub fn declare(&self, r: &Restriction) -> Result<Move, RuleError> {
        if self.map.contains_key(&r.restriction_id) {
            return Err(RuleError::RestrictionExists(r.restriction_id.to_string()));
        }
        if let (Some(from), Some(until)) = (r.usable_from, r.usable_until) {
            if until < from {
                return Err(RuleError::RestrictionDates);
            }
        }
        Ok(Move {
            declares: Some(r.clone()),
            ..Move::default()
        })
    }

    /// A donation of `amount` to `id` (none: unrestricted, nothing to check).
    pub fn donate(&self, id: Option<&RestrictionId>, amount: Money) -> Result<Move, RuleError> {
        let Some(id) = id else {
            return Ok(Move::default());
        };
        self.open(id)?;
        Ok(Move {
            restriction: Some(id.clone()),
            donation: amount,
            names: true,
            ..Move::default()
        })
    }

    /// A disbursement of `amount` on local day `date`, from restriction `id` (within its
    /// window and what it holds; the same amount is released) or, with no id, from
    /// unrestricted money (what the fund holds beyond its restrictions: `balance` −
    /// [`Restrictions::total`]).
    pub fn spend(
        &self,
        id: Option<&RestrictionId>,
        amount: Money,
        date: Date,
        balance: Money,
    ) -> Result<Move, RuleError> {
        let Some(id) = id else {
            self.unrestricted_covers(amount, balance)?;
            return Ok(Move::default());
        };
        let st = self.open(id)?;
        let r = &st.restriction;
        if r.usable_from.is_some_and(|f| date < f) || r.usable_until.is_some_and(|u| date > u) {
            return Err(RuleError::RestrictionOutsideWindow {
                id: id.to_string(),
                from: r.usable_from,
                until: r.usable_until,
                date,
            });
        }
        if st.balance < amount {
            return Err(RuleError::RestrictionOverdraft {
                id: id.to_string(),
                balance: st.balance,
            });
        }
        Ok(Move {
            restriction: Some(id.clone()),
            releases: amount,
            names: true,
            ..Move::default()
        })
    }

    /// The reversal of the entry at `target` (of `kind`, moving `amount`): a restricted
    /// donation leaves its restriction (which must hold it), restricted spending comes back
    /// to it (un-releasing it); an unrestricted inflow leaves unrestricted money (which
    /// must hold it). The restriction must not have ended.
    pub fn reverse(
        &self,
        target: u64,
        kind: Kind,
        amount: Money,
        balance: Money,
    ) -> Result<Move, RuleError> {
        let Some(id) = self.named.get(&target) else {
            if kind != Kind::Disbursement {
                self.unrestricted_covers(amount, balance)?;
            }
            return Ok(Move::default());
        };
        let st = self.open(id)?;
        let mut mv = Move {
            restriction: Some(id.clone()),
            ..Move::default()
        };
        if kind == Kind::Disbursement {
            mv.releases = Money::ZERO.checked_sub(amount).ok_or(RuleError::Overflow)?;
        } else {
            if st.balance < amount {
                return Err(RuleError::RestrictionOverdraft {
                    id: id.to_string(),
                    balance: st.balance,
                });
            }
            mv.reversals = Money::ZERO.checked_sub(amount).ok_or(RuleError::Overflow)?;
        }
        Ok(mv)
    }

    /// A revocation at `seq`: everything the restriction holds is released.
    pub fn revoke(&self, id: &RestrictionId, seq: u64) -> Result<Move, RuleError> {
        let st = self.open(id)?;
        Ok(Move {
            restriction: Some(id.clone()),
            releases: st.balance,
            ends: Some(Ending::Revoked { seq }),
            ..Move::default()
        })
    }

    /// A closing at `seq`: `released` releases what is left; `returned` needs nothing left.
    pub fn close(&self, c: &RestrictionClosing, seq: u64) -> Result<Move, RuleError> {
        let id = &c.restriction_id;
        let st = self.open(id)?;
        if c.disposal == Disposal::Returned && st.balance != Money::ZERO {
            return Err(RuleError::RestrictionRemainderLeft {
                id: id.to_string(),
                remainder: st.balance,
            });
        }
        Ok(Move {
            restriction: Some(id.clone()),
            releases: st.balance,
            ends: Some(Ending::Closed {
                seq,
                disposal: c.disposal,
            }),
            ..Move::default()
        })
    }

    fn unrestricted_covers(&self, amount: Money, balance: Money) -> Result<(), RuleError> {
        let unrestricted = balance.checked_sub(self.total).ok_or(RuleError::Overflow)?;
        if unrestricted < amount {
            return Err(RuleError::UnrestrictedOverdraft { unrestricted });
        }
        Ok(())
    }

    /// The figures `mv` (of the entry at `seq`) leaves, computed without changing
    /// anything; `Err` only beyond the bounds of money.
    pub fn plan(&self, seq: u64, mv: Move) -> Result<Plan, RuleError> {
        let delta = mv.delta()?;
        let total = self.total.checked_add(delta).ok_or(RuleError::Overflow)?;
        let st = mv.restriction.as_ref().and_then(|id| self.map.get(id));
        let (balance, received, released) = match st {
            Some(st) => (st.balance, st.received, st.released),
            None => (Money::ZERO, Money::ZERO, Money::ZERO),
        };
        let add = |a: Money, b: Money| a.checked_add(b).ok_or(RuleError::Overflow);
        Ok(Plan {
            seq,
            balance: add(balance, delta)?,
            received: add(add(received, mv.donation)?, mv.reversals)?,
            released: add(released, mv.releases)?,
            total,
            mv,
        })
    }

    /// Stores a plan made by [`Restrictions::plan`] on this very state.
    pub fn apply(&mut self, plan: Plan) {
        let Plan {
            seq,
            mv,
            total,
            balance,
            received,
            released,
        } = plan;
        if let Some(r) = mv.declares {
            self.map.insert(
                r.restriction_id.clone(),
                RestrictionState {
                    restriction: r,
                    declared_seq: seq,
                    balance: Money::ZERO,
                    received: Money::ZERO,
                    released: Money::ZERO,
                    ended: None,
                },
            );
        }
        if let Some(id) = mv.restriction {
            if let Some(st) = self.map.get_mut(&id) {
                st.balance = balance;
                st.received = received;
                st.released = released;
                if mv.ends.is_some() {
                    st.ended = mv.ends;
                }
            }
            if mv.names {
                self.named.insert(seq, id);
            }
        }
        self.total = total;
    }
}
