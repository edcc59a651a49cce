//! Statement arithmetic: per-month totals kept while a log is applied, and the figures of
//! any whole-month period recomputed from them (DESIGN §4 `statement`, FORMAT.md §6).
//!
//! Memory grows with the number of months, never with the number of entries.
//!
//! Version 2 statements split the figures into a 非限定性 and a 限定性 column (the total
//! being the first version's figures, 合计), with the period's releases
//! (限定性净资产转为非限定性净资产); the restricted figures come from
//! [`crate::restriction::Move`]s.

use std::collections::BTreeMap;

use crate::body::{
    Inflows, Kind, Outflows, RestrictedColumn, Statement, StatementVersion, UnrestrictedColumn,
};
use crate::hash::Hash;
use crate::merkle::Frontier;
use crate::money::Money;
use crate::restriction::Move;
use crate::rules::RuleError;
use crate::time::{Date, Period};

/// What happened in one local calendar month of a fund.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonthTotals {
    /// Balance when the month began.
    pub opening: Money,
    /// Sum of donations recorded in the month.
    pub donation: Money,
    /// Sum of revenue shares.
    pub revenue_share: Money,
    /// Sum of rentals.
    pub rental: Money,
    /// Sum of disbursements.
    pub disbursement: Money,
    /// Net effect of reversals (negative for reversed inflows).
    pub reversals: Money,
    /// Entries recorded in the month, of any kind.
    pub count: u64,
    /// Seq of the month's last entry.
    pub last_seq: u64,
    /// Tree size after the month's last entry.
    pub end_tree_size: u64,
    /// Merkle root after the month's last entry (set when the month closes).
    pub end_root: Hash,
    /// Restricted money when the month began.
    pub restricted_opening: Money,
    /// Donations given to a restriction (part of `donation`).
    pub restricted_donation: Money,
    /// Reversed restricted donations (part of `reversals`).
    pub restricted_reversals: Money,
    /// Released from restricted to unrestricted money.
    pub releases: Money,
}

/// The balances a month opens with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opening {
    /// The fund's balance.
    pub total: Money,
    /// What its restrictions hold.
    pub restricted: Money,
}

impl MonthTotals {
    fn new(opening: Opening) -> Self {
        MonthTotals {
            opening: opening.total,
            restricted_opening: opening.restricted,
            restricted_donation: Money::ZERO,
            restricted_reversals: Money::ZERO,
            releases: Money::ZERO,
            donation: Money::ZERO,
            revenue_share: Money::ZERO,
            rental: Money::ZERO,
            disbursement: Money::ZERO,
            reversals: Money::ZERO,
            count: 0,
            last_seq: 0,
            end_tree_size: 0,
            end_root: Hash::default(),
        }
    }

    /// opening + inflows − outflows + reversals.
    pub fn closing(&self) -> Result<Money, RuleError> {
        let add = |a: Money, b: Money| a.checked_add(b).ok_or(RuleError::Overflow);
        let inflow = add(add(self.donation, self.revenue_share)?, self.rental)?;
        let before_out = add(self.opening, inflow)?;
        let after_out = before_out
            .checked_sub(self.disbursement)
            .ok_or(RuleError::Overflow)?;
        add(after_out, self.reversals)
    }

    /// restricted opening + restricted donations + their reversals − releases.
    pub fn restricted_closing(&self) -> Result<Money, RuleError> {
        self.restricted_opening
            .checked_add(self.restricted_donation)
            .and_then(|m| m.checked_add(self.restricted_reversals))
            .and_then(|m| m.checked_sub(self.releases))
            .ok_or(RuleError::Overflow)
    }
}

/// One of a month's sums, reached through its totals.
type SumOf = fn(&mut MonthTotals) -> &mut Money;

/// Which of a month's sums an entry of `kind` moves (for a reversal, by the kind it
/// reverses), and whether it subtracts from it.
fn sum_of(kind: Kind, reversed_kind: Option<Kind>) -> Option<(SumOf, bool)> {
    let sum: (SumOf, bool) = match (kind, reversed_kind) {
        (Kind::Donation, _) => (|t| &mut t.donation, false),
        (Kind::RevenueShare, _) => (|t| &mut t.revenue_share, false),
        (Kind::Rental, _) => (|t| &mut t.rental, false),
        (Kind::Disbursement, _) => (|t| &mut t.disbursement, false),
        (Kind::Reversal, Some(Kind::Disbursement)) => (|t| &mut t.reversals, false),
        (Kind::Reversal, Some(_)) => (|t| &mut t.reversals, true),
        _ => return None,
    };
    Some(sum)
}

/// The months of a fund: closed ones and the one being recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Months {
    closed: BTreeMap<Date, MonthTotals>,
    current: Option<(Date, MonthTotals)>,
}

impl Months {
    /// The closed months and the one being recorded (for the state's snapshot).
    pub(crate) fn parts(&self) -> (&BTreeMap<Date, MonthTotals>, Option<&(Date, MonthTotals)>) {
        (&self.closed, self.current.as_ref())
    }

    /// The months of [`Months::parts`] (from a state's snapshot).
    pub(crate) fn from_parts(
        closed: BTreeMap<Date, MonthTotals>,
        current: Option<(Date, MonthTotals)>,
    ) -> Months {
        Months { closed, current }
    }

    /// Moves to the month `month` (its first day) if it is later than the current one,
    /// closing the current month at the tree `log` (its size and root: the root is only
    /// computed when a month actually closes, since this runs for every entry) and opening
    /// the new one at `balance`.
    pub fn roll_to(&mut self, month: Date, balance: Opening, log: &Frontier) {
        if matches!(&self.current, Some((m, _)) if *m >= month) {
            return;
        }
        if let Some((m, mut totals)) = self.current.take() {
            totals.end_tree_size = log.size();
            totals.end_root = log.root();
            self.closed.insert(m, totals);
        }
        self.current = Some((month, MonthTotals::new(balance)));
    }

    /// Counts an entry recorded in `month` (its first day) and adds its monetary effect:
    /// first moves to `month` as [`Months::roll_to`] does (closing the current month at
    /// the tree `log`, opening the new one at `balance`).
    ///
    /// `reversed_kind` is the kind a reversal undoes; `amount` the magnitude moved;
    /// `restricted` what the entry does to restricted money. On `Err` (a sum beyond the
    /// bounds of money) nothing changes: the month is not rolled.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &mut self,
        month: Date,
        balance: Opening,
        log: &Frontier,
        seq: u64,
        kind: Kind,
        amount: Option<Money>,
        reversed_kind: Option<Kind>,
        restricted: &Move,
    ) -> Result<(), RuleError> {
        let rolls = !matches!(&self.current, Some((m, _)) if *m >= month);
        // The one sum this entry moves, and its new value, computed first (a month's first
        // entry starts from zero sums): nothing is changed until it has held.
        let moved = match (amount, sum_of(kind, reversed_kind)) {
            (Some(a), Some((sum, subtract))) => {
                let before = match self.current.as_mut() {
                    Some((_, t)) if !rolls => *sum(t),
                    _ => Money::ZERO,
                };
                let after = if subtract {
                    before.checked_sub(a)
                } else {
                    before.checked_add(a)
                };
                Some((sum, after.ok_or(RuleError::Overflow)?))
            }
            _ => None,
        };
        let column = match self.current.as_ref() {
            Some((_, t)) if !rolls => [t.restricted_donation, t.restricted_reversals, t.releases],
            _ => [Money::ZERO; 3],
        };
        let mut column_after = column;
        for (sum, by) in column_after.iter_mut().zip([
            restricted.donation,
            restricted.reversals,
            restricted.releases,
        ]) {
            *sum = sum.checked_add(by).ok_or(RuleError::Overflow)?;
        }
        if rolls {
            self.roll_to(month, balance, log);
        }
        if let Some((_, t)) = self.current.as_mut() {
            t.count += 1;
            t.last_seq = seq;
            if let Some((sum, value)) = moved {
                *sum(t) = value;
            }
            [t.restricted_donation, t.restricted_reversals, t.releases] = column_after;
        }
        Ok(())
    }

    /// The first day of the current month.
    pub fn current_month(&self) -> Option<Date> {
        self.current.as_ref().map(|(m, _)| *m)
    }

    /// The fund's first month.
    pub fn first_month(&self) -> Option<Date> {
        self.closed
            .keys()
            .next()
            .copied()
            .or_else(|| self.current_month())
    }

    /// Recomputes the figures of a statement over `period` (whole months, from the fund's
    /// first month, ended before the current month unless `current_root` is given: then
    /// the current month counts as closed at that tree size and root, as when a statement
    /// is drafted before the next month's first entry).
    pub fn figures(
        &self,
        period: &Period,
        current_end: Option<(u64, Hash)>,
    ) -> Result<Statement, RuleError> {
        if period.whole_months().is_none() {
            return Err(RuleError::StatementPeriodInvalid);
        }
        let from = period.from();
        let to_month = period.to().first_of_month();
        match self.first_month() {
            Some(first) if from >= first => {}
            _ => return Err(RuleError::StatementPeriodInvalid),
        }
        let current = match (&self.current, current_end) {
            (Some((m, t)), Some((size, root))) if *m <= to_month => {
                let mut t = t.clone();
                t.end_tree_size = size;
                t.end_root = root;
                Some((*m, t))
            }
            (Some((m, _)), _) if *m <= to_month => return Err(RuleError::StatementPeriodOpen),
            _ => None,
        };
        let months = || {
            self.closed
                .range(..=to_month)
                .map(|(m, t)| (*m, t))
                .chain(current.as_ref().map(|(m, t)| (*m, t)))
        };
        // The balance before the period: the closing of the last month before it.
        let opening = match months().rfind(|(m, _)| *m < from) {
            Some((_, t)) => t.closing()?,
            None => Money::ZERO,
        };
        let last = months().next_back().map(|(_, t)| t.clone());
        let Some(last) = last else {
            return Err(RuleError::StatementPeriodInvalid);
        };
        let mut s = Statement {
            period: *period,
            through_seq: last.last_seq,
            // FORMAT.md §6: through_seq + 1, whatever lines are missing or refused (the
            // root, over the lines as they are, then tells them apart).
            tree_size: last.last_seq.saturating_add(1),
            root: last.end_root,
            opening,
            inflows: Inflows {
                donation: Money::ZERO,
                revenue_share: Money::ZERO,
                rental: Money::ZERO,
            },
            outflows: Outflows {
                disbursement: Money::ZERO,
            },
            reversals: Money::ZERO,
            closing: opening,
            count: 0,
            supersedes: None,
            version: None,
            unrestricted: None,
            restricted: None,
        };
        let restricted_opening = match months().rfind(|(m, _)| *m < from) {
            Some((_, t)) => t.restricted_closing()?,
            None => Money::ZERO,
        };
        let mut r = RestrictedColumn {
            opening: restricted_opening,
            donation: Money::ZERO,
            reversals: Money::ZERO,
            releases: Money::ZERO,
            closing: Money::ZERO,
        };
        let add = |a: Money, b: Money| a.checked_add(b).ok_or(RuleError::Overflow);
        let sub = |a: Money, b: Money| a.checked_sub(b).ok_or(RuleError::Overflow);
        for (_, t) in months().filter(|(m, _)| *m >= from) {
            s.inflows.donation = add(s.inflows.donation, t.donation)?;
            s.inflows.revenue_share = add(s.inflows.revenue_share, t.revenue_share)?;
            s.inflows.rental = add(s.inflows.rental, t.rental)?;
            s.outflows.disbursement = add(s.outflows.disbursement, t.disbursement)?;
            s.reversals = add(s.reversals, t.reversals)?;
            s.count += t.count;
            r.donation = add(r.donation, t.restricted_donation)?;
            r.reversals = add(r.reversals, t.restricted_reversals)?;
            r.releases = add(r.releases, t.releases)?;
        }
        s.closing = last.closing()?;
        r.closing = last.restricted_closing()?;
        let u = UnrestrictedColumn {
            opening: sub(s.opening, r.opening)?,
            donation: sub(s.inflows.donation, r.donation)?,
            revenue_share: s.inflows.revenue_share,
            rental: s.inflows.rental,
            disbursement: s.outflows.disbursement,
            reversals: sub(s.reversals, r.reversals)?,
            releases: r.releases,
            closing: sub(s.closing, r.closing)?,
        };
        s.version = Some(StatementVersion::V2);
        s.unrestricted = Some(u);
        s.restricted = Some(r);
        Ok(s)
    }
}

/// Compares a statement with the recomputed figures and names the first field that differs.
pub fn check_statement(given: &Statement, expected: &Statement) -> Result<(), RuleError> {
    fn field<T: ToString + PartialEq>(name: &'static str, e: &T, g: &T) -> Result<(), RuleError> {
        if e == g {
            Ok(())
        } else {
            Err(RuleError::StatementMismatch {
                field: name,
                expected: e.to_string(),
                found: g.to_string(),
            })
        }
    }
    field("through_seq", &expected.through_seq, &given.through_seq)?;
    field("tree_size", &expected.tree_size, &given.tree_size)?;
    field("root", &expected.root, &given.root)?;
    field("opening", &expected.opening, &given.opening)?;
    field(
        "inflows.donation",
        &expected.inflows.donation,
        &given.inflows.donation,
    )?;
    field(
        "inflows.revenue_share",
        &expected.inflows.revenue_share,
        &given.inflows.revenue_share,
    )?;
    field(
        "inflows.rental",
        &expected.inflows.rental,
        &given.inflows.rental,
    )?;
    field(
        "outflows.disbursement",
        &expected.outflows.disbursement,
        &given.outflows.disbursement,
    )?;
    field("reversals", &expected.reversals, &given.reversals)?;
    field("closing", &expected.closing, &given.closing)?;
    field("count", &expected.count, &given.count)?;
    match (&given.version, &given.unrestricted, &given.restricted) {
        // The first version: one column, as before.
        (None, None, None) => Ok(()),
        (Some(StatementVersion::V2), Some(gu), Some(gr)) => {
            let (Some(eu), Some(er)) = (&expected.unrestricted, &expected.restricted) else {
                return Err(RuleError::Overflow);
            };
            field("unrestricted.opening", &eu.opening, &gu.opening)?;
            field("unrestricted.donation", &eu.donation, &gu.donation)?;
            field(
                "unrestricted.revenue_share",
                &eu.revenue_share,
                &gu.revenue_share,
            )?;
            field("unrestricted.rental", &eu.rental, &gu.rental)?;
            field(
                "unrestricted.disbursement",
                &eu.disbursement,
                &gu.disbursement,
            )?;
            field("unrestricted.reversals", &eu.reversals, &gu.reversals)?;
            field("unrestricted.releases", &eu.releases, &gu.releases)?;
            field("unrestricted.closing", &eu.closing, &gu.closing)?;
            field("restricted.opening", &er.opening, &gr.opening)?;
            field("restricted.donation", &er.donation, &gr.donation)?;
            field("restricted.reversals", &er.reversals, &gr.reversals)?;
            field("restricted.releases", &er.releases, &gr.releases)?;
            field("restricted.closing", &er.closing, &gr.closing)
        }
        (version, u, r) => Err(RuleError::StatementMismatch {
            field: "version",
            expected: "2 with both columns, or neither version nor columns".into(),
            found: format!(
                "version {}, {} unrestricted column, {} restricted column",
                if version.is_some() { "2" } else { "absent" },
                if u.is_some() { "an" } else { "no" },
                if r.is_some() { "a" } else { "no" }
            ),
        }),
    }
}

/// A statement in the first version's form (one column): `s` without its version and
/// columns. What a client that only knows the first version signs.
pub fn first_version(mut s: Statement) -> Statement {
    s.version = None;
    s.unrestricted = None;
    s.restricted = None;
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    fn opening(total: Money) -> Opening {
        Opening {
            total,
            restricted: Money::ZERO,
        }
    }

    fn month(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    /// A sum beyond the bounds of money is refused and leaves the months exactly as they
    /// were: the entry is not counted (`count`, `last_seq`) and no sum moves. (A month's
    /// first entry starts from zero sums, so only an entry of the current month can
    /// overflow them; `record` still rolls the month only once every sum has held.)
    #[test]
    fn an_overflowing_entry_changes_nothing() {
        let mut log = Frontier::new();
        let mut months = Months::default();
        log.push(leaf_hash(b"genesis"));
        months
            .record(
                month("2026-01-01"),
                opening(Money::ZERO),
                &log,
                0,
                Kind::Genesis,
                None,
                None,
                &Move::default(),
            )
            .unwrap();
        log.push(leaf_hash(b"big"));
        months
            .record(
                month("2026-01-01"),
                opening(Money::ZERO),
                &log,
                1,
                Kind::Donation,
                Some(Money::MAX),
                None,
                &Move::default(),
            )
            .unwrap();
        let before = months.clone();
        let one = Money::from_fen(100).unwrap();
        for (m, kind) in [
            ("2026-01-01", Kind::Donation),
            ("2026-01-01", Kind::Disbursement),
        ] {
            let amount = if kind == Kind::Disbursement {
                Money::MAX
            } else {
                one
            };
            let mut t = months.clone();
            let record = |t: &mut Months, seq| {
                t.record(
                    month(m),
                    opening(Money::MAX),
                    &log,
                    seq,
                    kind,
                    Some(amount),
                    None,
                    &Move::default(),
                )
            };
            // Disbursements of MAX twice overflow too.
            if kind == Kind::Disbursement {
                record(&mut t, 2).unwrap();
                let again = t.clone();
                assert_eq!(record(&mut t, 3), Err(RuleError::Overflow));
                assert_eq!(t, again, "{m} {kind:?}");
                continue;
            }
            assert_eq!(record(&mut t, 2), Err(RuleError::Overflow), "{m} {kind:?}");
            assert_eq!(t, before, "{m} {kind:?}");
            assert_eq!(t.current_month(), Some(month("2026-01-01")));
        }
    }
}
