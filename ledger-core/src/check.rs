//! The trustees' dry run: what recording some intents would do, before anyone signs them.
//!
//! [`check_intent`] applies an unsigned intent to a *copy* of a fund's state with every
//! rule an append applies — the same entry [`FundState::append`] would make (time, seq,
//! prev, bytes, hash) and the same rules — except the signatures and the quorum, which
//! cannot hold before signing; it reports how many signatures the intent needs instead.
//! Alongside the outcome come the figures the trustees' forms show: the balance before
//! and after, the revenue share the rules expect with the periods already paid, a
//! rental's price with the space's bookings that week. The server's check routes use it
//! over a clone of the fund writer's state; nothing is written.

use serde::Serialize;

use crate::append::recording_time;
use crate::body::{Body, Kind};
use crate::entry::{Entry, Intent};
use crate::hash::leaf_hash;
use crate::money::Money;
use crate::rules::RuleError;
use crate::state::{Booking, FundState, PaidPeriod};
use crate::time::{Date, Instant};

/// Most intents one check takes.
pub const CHECK_INTENTS_MAX: usize = 100;

/// What the forms show about an intent, refused or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Figures {
    /// The intent's kind.
    pub kind: Kind,
    /// Trustee signatures it needs under the fund's policy.
    pub signatures_needed: u32,
    /// The balance before it.
    pub balance_before: Money,
    /// Its change of the balance (when accepted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<Money>,
    /// The balance after it (when accepted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance_after: Option<Money>,
    /// The seq it would have (when accepted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// A revenue share: the amount the rules compute (when the agreement allows one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_due: Option<Money>,
    /// A revenue share: the periods already paid under its agreement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_periods: Option<Vec<PaidPeriod>>,
    /// A rental: the price the rules compute (when the slot allows one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rental_price: Option<Money>,
    /// A rental: the space's bookings in the local week (Monday to Sunday) of its start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub week_bookings: Option<Vec<Booking>>,
    /// A donation, disbursement, reversal or restriction kind: the unrestricted money
    /// before it (the balance less what the open restrictions hold).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unrestricted_before: Option<Money>,
    /// The same kinds: every open restriction and what it holds (a form's choice of the
    /// restriction a donation is given to or a disbursement spends).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restrictions: Option<Vec<RestrictionFigure>>,
}

/// An open restriction as a form shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestrictionFigure {
    /// Its id.
    pub restriction_id: String,
    /// Its purpose.
    pub purpose: String,
    /// First local day its money may be spent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usable_from: Option<Date>,
    /// Last local day its money may be spent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usable_until: Option<Date>,
    /// What it holds.
    pub balance: Money,
}

/// Every open (neither revoked nor closed) restriction of the fund and what it holds.
pub fn open_restrictions(state: &FundState) -> Vec<RestrictionFigure> {
    state
        .restrictions()
        .all()
        .iter()
        .filter(|(_, r)| r.ended.is_none())
        .map(|(id, r)| RestrictionFigure {
            restriction_id: id.to_string(),
            purpose: r.restriction.purpose.to_string(),
            usable_from: r.restriction.usable_from,
            usable_until: r.restriction.usable_until,
            balance: r.balance,
        })
        .collect()
}

/// One intent checked: its figures and whether the rules accept it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The figures.
    pub figures: Figures,
    /// `Ok` when every rule but the signatures holds, else the refusal an append gives.
    pub outcome: Result<(), RuleError>,
}

/// The local week (Monday 00:00 to the next Monday 00:00, in the fund's calendar) that
/// holds `day`.
pub fn week_of(state: &FundState, day: Date) -> Option<(Instant, Instant)> {
    let mut monday = day;
    for _ in 0..day.weekday().num_days_from_monday() {
        monday = monday.pred()?;
    }
    let from = monday.start_instant(state.utc_offset()).ok()?;
    Some((from, from.checked_add_seconds(7 * 86_400)?))
}

/// Applies `intent` to `state` (a copy: on success it moves on, so that the next intent
/// of a batch is checked after this one) as an append at `now` would, signatures and
/// quorum aside. On refusal `state` is unchanged.
pub fn check_intent(state: &mut FundState, intent: Intent, now: Instant) -> Checked {
    let mut figures = Figures {
        kind: intent.kind(),
        signatures_needed: state.required_signatures(&intent.body),
        balance_before: state.balance(),
        delta: None,
        balance_after: None,
        seq: None,
        share_due: None,
        paid_periods: None,
        rental_price: None,
        week_bookings: None,
        unrestricted_before: None,
        restrictions: None,
    };
    match &intent.body {
        Body::RevenueShare(r) => {
            figures.share_due = state.share_due(r).ok();
            figures.paid_periods = state.paid_periods(&r.agreement_id);
        }
        Body::Rental(r) => {
            figures.rental_price = state.rental_price(r).ok();
            figures.week_bookings = week_of(state, r.start.local_date(state.utc_offset()))
                .and_then(|(from, to)| state.bookings(&r.space_id, from, to));
        }
        Body::Donation(_)
        | Body::Disbursement(_)
        | Body::Reversal(_)
        | Body::Restriction(_)
        | Body::RestrictionRevocation(_)
        | Body::RestrictionClosing(_) => {
            figures.unrestricted_before = Some(state.unrestricted_balance());
            figures.restrictions = Some(open_restrictions(state));
        }
        _ => {}
    }
    let entry = Entry {
        fund: state.fund().clone(),
        seq: state.next_seq(),
        prev: state.head(),
        recorded_at: recording_time(state, now),
        intent,
        sigs: Vec::new(),
    };
    let hash = leaf_hash(&entry.canonical_bytes());
    let outcome = state.apply_unsigned(&entry, hash).map(|applied| {
        figures.delta = Some(applied.delta);
        figures.balance_after = Some(applied.balance);
        figures.seq = Some(entry.seq);
    });
    Checked { figures, outcome }
}
