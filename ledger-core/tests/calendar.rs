//! The fund's local calendar (UTC+08:00) as statements see it: which month an instant
//! belongs to, at month and year boundaries, and how months add up to quarters.

mod support;

use ledger_core::body::Statement;
use ledger_core::error::Coded;
use ledger_core::money::Money;
use ledger_core::rules::RuleError;
use support::*;

fn sum(a: Money, b: Money) -> Money {
    a.checked_add(b).expect("no overflow")
}

/// opening + inflows − outflows + reversals = closing.
fn assert_adds_up(s: &Statement) {
    let inflow = sum(
        sum(s.inflows.donation, s.inflows.revenue_share),
        s.inflows.rental,
    );
    let closing = sum(
        sum(s.opening, inflow)
            .checked_sub(s.outflows.disbursement)
            .unwrap(),
        s.reversals,
    );
    assert_eq!(closing, s.closing, "{s:?}");
}

#[test]
fn month_ends_at_local_midnight() {
    let mut fx = Fixture::new();
    // Saturday 2026-01-31 23:59:59 local.
    fx.at("2026-01-31T15:59:59Z");
    fx.ok(donation("100.00"), &[0]); // seq 1
    let jan_root = fx.state.root();
    // Sunday 2026-02-01 00:00:00 local.
    fx.at("2026-01-31T16:00:00Z");
    fx.ok(donation("7.00"), &[0]); // seq 2
                                   // 2026-01-31T20:00:00Z is 2026-02-01 04:00 local: February (DESIGN §3).
    fx.at("2026-01-31T20:00:00Z");
    fx.ok(donation("0.50"), &[0]); // seq 3
    let feb_root = fx.state.root();
    fx.at("2026-03-01T00:00:00Z");

    let jan = fx.draft("2026-01-01", "2026-01-31");
    assert_eq!(jan.opening, money("0.00"));
    assert_eq!(jan.inflows.donation, money("100.00"));
    assert_eq!(jan.closing, money("100.00"));
    assert_eq!(jan.count, 2); // genesis and the first donation
    assert_eq!((jan.through_seq, jan.tree_size), (1, 2));
    assert_eq!(jan.root, jan_root);

    let feb = fx.draft("2026-02-01", "2026-02-28");
    assert_eq!(feb.opening, jan.closing);
    assert_eq!(feb.inflows.donation, money("7.50"));
    assert_eq!(feb.closing, money("107.50"));
    assert_eq!(feb.count, 2);
    assert_eq!((feb.through_seq, feb.tree_size), (3, 4));
    assert_eq!(feb.root, feb_root);
    assert_adds_up(&jan);
    assert_adds_up(&feb);

    fx.ok(ledger_core::body::Body::Statement(jan), &[0, 1]);
    fx.ok(ledger_core::body::Body::Statement(feb), &[1, 2]);
}

#[test]
fn year_ends_at_local_midnight() {
    let mut fx = Fixture::new_at("2025-12-01T02:00:00Z");
    fx.at("2025-12-31T15:59:59Z");
    fx.ok(donation("20.00"), &[0]); // seq 1, 2025-12-31 23:59:59 local
    fx.at("2025-12-31T16:00:00Z");
    fx.ok(donation("30.00"), &[0]); // seq 2, 2026-01-01 00:00:00 local
    fx.at("2026-02-01T00:00:00Z");

    let dec = fx.draft("2025-12-01", "2025-12-31");
    assert_eq!(dec.inflows.donation, money("20.00"));
    assert_eq!((dec.count, dec.through_seq), (2, 1));
    let jan = fx.draft("2026-01-01", "2026-01-31");
    assert_eq!(jan.opening, dec.closing);
    assert_eq!(jan.inflows.donation, money("30.00"));
    assert_eq!((jan.count, jan.through_seq), (1, 2));
    assert_eq!(jan.closing, money("50.00"));
    // The fund began in December: a statement cannot reach back before that.
    assert_eq!(
        fx.state
            .draft_statement(&period("2025-10-01", "2025-12-31"))
            .unwrap_err(),
        RuleError::StatementPeriodInvalid
    );
    fx.ok(fx.statement("2025-12-01", "2025-12-31"), &[0, 1]);
    fx.ok(fx.statement("2026-01-01", "2026-01-31"), &[0, 1]);
}

#[test]
fn quarter_is_the_sum_of_its_months() {
    let mut fx = Fixture::new();
    // January: donations, an agreement and a space.
    fx.at("2026-01-10T02:00:00Z");
    fx.ok(donation("1000.00"), &[0]);
    fx.ok(donation_from("88.88", resident()), &[1]);
    fx.ok(
        agreement("edu", "0.1000", Some("1800.00"), "2026-01-01", None),
        &[0, 1],
    );
    fx.ok(
        space("room", "80.00", &[("sat", "09:00", "12:00")]),
        &[0, 1],
    );
    // February: January's share, a rental, a grant.
    fx.at("2026-02-02T03:00:00Z");
    fx.ok(
        revenue_share("edu", "2026-01-01", "2026-01-31", "12345.65", "3034.57"),
        &[0],
    );
    let rent = fx.ok(
        rental(
            "room",
            "2026-02-05T02:00:00Z",
            "2026-02-05T03:30:00Z",
            "120.00",
        ),
        &[1],
    );
    fx.ok(disbursement("500.00"), &[0, 1]);
    // March: February's share, a reversal of the rental, a donation and a grant.
    fx.at("2026-03-03T04:00:00Z");
    fx.ok(
        revenue_share("edu", "2026-02-01", "2026-02-28", "0.00", "1800.00"),
        &[2],
    );
    fx.ok(reversal(rent), &[2]);
    let d = fx.ok(donation("15.00"), &[0]);
    let g = fx.ok(disbursement("40.00"), &[1, 2]);
    fx.ok(reversal(g), &[0, 2]);
    fx.ok(reversal(d), &[0]);
    // 2026-03-31T16:00:00Z is April 1st local.
    fx.at("2026-03-31T16:00:00Z");

    let jan = fx.draft("2026-01-01", "2026-01-31");
    let feb = fx.draft("2026-02-01", "2026-02-28");
    let mar = fx.draft("2026-03-01", "2026-03-31");
    let q1 = fx.draft("2026-01-01", "2026-03-31");
    for s in [&jan, &feb, &mar, &q1] {
        assert_adds_up(s);
    }
    assert_eq!(feb.opening, jan.closing);
    assert_eq!(mar.opening, feb.closing);
    assert_eq!(mar.reversals, money("-95.00")); // −120 (rental) +40 (grant) −15 (donation)

    let months = [&jan, &feb, &mar];
    let total = |f: fn(&Statement) -> Money| months.iter().fold(Money::ZERO, |a, s| sum(a, f(s)));
    assert_eq!(q1.opening, jan.opening);
    assert_eq!(q1.inflows.donation, total(|s| s.inflows.donation));
    assert_eq!(q1.inflows.donation, money("1103.88"));
    assert_eq!(q1.inflows.revenue_share, total(|s| s.inflows.revenue_share));
    assert_eq!(q1.inflows.revenue_share, money("4834.57"));
    assert_eq!(q1.inflows.rental, total(|s| s.inflows.rental));
    assert_eq!(q1.inflows.rental, money("120.00"));
    assert_eq!(q1.outflows.disbursement, total(|s| s.outflows.disbursement));
    assert_eq!(q1.outflows.disbursement, money("540.00"));
    assert_eq!(q1.reversals, total(|s| s.reversals));
    assert_eq!(q1.count, jan.count + feb.count + mar.count);
    assert_eq!(q1.count, fx.state.next_seq());
    assert_eq!(q1.closing, mar.closing);
    assert_eq!(q1.closing, fx.state.balance());
    assert_eq!(
        (q1.through_seq, q1.tree_size, q1.root),
        (mar.through_seq, mar.tree_size, mar.root)
    );

    let quarter = ledger_core::time::Period::quarter_of(date("2026-02-15"));
    assert_eq!(
        fx.statement_for(&quarter),
        ledger_core::body::Body::Statement(q1.clone())
    );
    fx.ok(ledger_core::body::Body::Statement(q1), &[0, 1]);
    for m in [jan, feb, mar] {
        fx.ok(ledger_core::body::Body::Statement(m), &[1, 2]);
    }
}

#[test]
fn a_month_without_entries_has_zero_flows() {
    let mut fx = Fixture::new();
    fx.at("2026-01-20T02:00:00Z");
    let last_jan = fx.ok(donation("42.00"), &[0]);
    let jan_root = fx.state.root();

    // February drafted in March before anything happened after January.
    fx.at("2026-03-05T02:00:00Z");
    let feb_early = fx.draft("2026-02-01", "2026-02-28");

    fx.ok(donation("1.00"), &[0]); // March
    fx.at("2026-04-02T02:00:00Z");
    let feb = fx.draft("2026-02-01", "2026-02-28");
    assert_eq!(feb, feb_early);
    assert_eq!(feb.opening, money("42.00"));
    assert_eq!(feb.closing, feb.opening);
    for m in [
        feb.inflows.donation,
        feb.inflows.revenue_share,
        feb.inflows.rental,
        feb.outflows.disbursement,
        feb.reversals,
    ] {
        assert_eq!(m, Money::ZERO);
    }
    assert_eq!(feb.count, 0);
    assert_eq!(
        (feb.through_seq, feb.tree_size, feb.root),
        (last_jan, last_jan + 1, jan_root)
    );
    fx.ok(ledger_core::body::Body::Statement(feb), &[0, 1]);
}

#[test]
fn statement_recorded_after_local_month_end() {
    // 2026-02-01T00:00:00Z is February 1st, 08:00 local: January is closed.
    let mut fx = Fixture::new();
    fx.ok(donation("10.00"), &[0]);
    fx.at("2026-02-01T00:00:00Z");
    fx.ok(fx.statement("2026-01-01", "2026-01-31"), &[0, 1]);

    // Exactly at local midnight, too.
    let mut fx = Fixture::new();
    fx.ok(donation("10.00"), &[0]);
    fx.at("2026-01-31T16:00:00Z");
    fx.ok(fx.statement("2026-01-01", "2026-01-31"), &[0, 1]);
}

#[test]
fn statement_recorded_in_the_last_second_of_the_month_is_open() {
    let mut fx = Fixture::new();
    fx.ok(donation("10.00"), &[0]);
    // January 31st, 23:59:59 local.
    fx.at("2026-01-31T15:59:59Z");
    let jan = fx.statement("2026-01-01", "2026-01-31");
    let err = fx.refused(jan.clone(), &[0, 1], "statement_period_open");
    assert_eq!(err.code(), "statement_period_open");
    // One second later the same figures are accepted.
    fx.advance(1);
    fx.ok(jan, &[0, 1]);
}
