//! The trustees' dry run (`ledger_core::check`): every rule an append applies but the
//! signatures, on a copy that moves on with each accepted intent; the figures the forms
//! show are the rules' own.

mod support;

use ledger_core::check::check_intent;
use ledger_core::error::Coded;
use support::*;

#[test]
fn a_check_is_an_append_without_the_signatures() {
    let mut fx = Fixture::new();
    fx.ok(donation("1000.00"), &[0]);
    let mut copy = fx.state.clone();
    let now = fx.instant();

    // An overdraft is refused as an append refuses it, and the copy does not move.
    let c = check_intent(&mut copy, fx.intent(disbursement("1000.01")), now);
    assert_eq!(c.outcome.unwrap_err().code(), "overdraft");
    assert_eq!(copy, fx.state);
    assert_eq!(c.figures.signatures_needed, 2);
    assert_eq!(c.figures.balance_after, None);

    // Nobody signed a disbursement that needs two: accepted all the same, the copy moves
    // on, and what it gives is what the signed append gives.
    let c = check_intent(&mut copy, fx.intent(disbursement("400.00")), now);
    assert!(c.outcome.is_ok(), "{:?}", c.outcome);
    assert_eq!(c.figures.balance_after, Some(money("600.00")));
    assert_eq!(c.figures.delta, Some(money("-400.00")));
    assert_eq!(c.figures.seq, Some(fx.state.next_seq()));
    let applied = fx.apply(disbursement("400.00"), &[0, 1]).unwrap();
    assert_eq!(Some(applied.balance), c.figures.balance_after);
    assert_eq!(copy.balance(), fx.state.balance());
    // A second one on the copy sees the first: 600 left.
    let c = check_intent(&mut copy, fx.intent(disbursement("600.01")), now);
    assert_eq!(c.outcome.unwrap_err().code(), "overdraft");
}

#[test]
fn revenue_share_and_rental_figures_are_the_rules() {
    let mut fx = Fixture::new();
    fx.ok(
        agreement("tongmeng", "0.1000", Some("1800.00"), "2026-01-01", None),
        &[0, 1],
    );
    fx.ok(
        space("room-1", "80.00", &[("sat", "09:00", "12:00")]),
        &[0, 1],
    );
    fx.ok(
        revenue_share("tongmeng", "2026-01-01", "2026-01-31", "0.00", "1800.00"),
        &[0],
    );
    fx.ok(
        rental(
            "room-1",
            "2026-01-06T06:00:00Z",
            "2026-01-06T08:00:00Z",
            "160.00",
        ),
        &[0],
    );
    let mut copy = fx.state.clone();
    let now = fx.instant();

    // January is paid: refused as already paid, and the paid period is listed.
    let c = check_intent(
        &mut copy,
        fx.intent(revenue_share(
            "tongmeng",
            "2026-01-01",
            "2026-01-31",
            "0.00",
            "1800.00",
        )),
        now,
    );
    assert_eq!(c.outcome.unwrap_err().code(), "period_already_paid");
    let paid = c.figures.paid_periods.unwrap();
    assert_eq!(paid.len(), 1);
    assert_eq!(paid[0].from, date("2026-01-01"));
    // A wrong amount: the rules' figure is given (10% of 12,345.67 = 1,234.57 + 1,800).
    let c = check_intent(
        &mut copy,
        fx.intent(revenue_share(
            "tongmeng",
            "2026-02-01",
            "2026-02-28",
            "12345.67",
            "1.00",
        )),
        now,
    );
    assert_eq!(
        c.outcome.unwrap_err().code(),
        "revenue_share_amount_mismatch"
    );
    assert_eq!(c.figures.share_due, Some(money("3034.57")));

    // A rental overlapping the booked slot: refused, price and the week's booking shown.
    let c = check_intent(
        &mut copy,
        fx.intent(rental(
            "room-1",
            "2026-01-06T07:00:00Z",
            "2026-01-06T10:00:00Z",
            "240.00",
        )),
        now,
    );
    assert_eq!(c.outcome.unwrap_err().code(), "rental_overlap");
    assert_eq!(c.figures.rental_price, Some(money("240.00")));
    let week = c.figures.week_bookings.unwrap();
    assert_eq!(week.len(), 1);
    assert_eq!(week[0].start, instant("2026-01-06T06:00:00Z"));
    // The next week: no bookings, accepted.
    let c = check_intent(
        &mut copy,
        fx.intent(rental(
            "room-1",
            "2026-01-13T07:00:00Z",
            "2026-01-13T10:00:00Z",
            "240.00",
        )),
        now,
    );
    assert!(c.outcome.is_ok(), "{:?}", c.outcome);
    assert_eq!(c.figures.week_bookings, Some(vec![]));
}
