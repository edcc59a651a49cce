//! Statutory reports and the disclosure calendar (issue 17 items 3 and 5), on hand-built
//! funds: each kind lands on its 业务活动表 line and column, 收入合计 is the sum of the
//! income lines, 净资产变动额 is income − expense (± releases per column), the 资产负债表's
//! net assets are the fund's balance split restricted / unrestricted; a period that is not
//! whole months is refused; each calendar rule (due, published, late, overdue) on fixed
//! dates.

mod support;

use ledger_core::body::{Body, Disposal};
use ledger_core::calendar::{Calendar, Duty, Item, Status};
use ledger_core::money::Money;
use ledger_core::state::FundState;
use ledger_core::statement::first_version;
use ledger_core::statutory::{Books, Report, ReportError};
use support::*;

/// The fixture's log replayed into the statutory books, as a server or the CLI does.
fn books(fx: &Fixture) -> Books {
    let mut st = FundState::new(fx.state.fund().clone(), public(&fx.operator));
    let mut b = Books::default();
    for e in &fx.log {
        let applied = st.apply(e, e.hash()).expect("the log applies");
        b.record(e, &applied).expect("books");
    }
    b
}

fn calendar(fx: &Fixture) -> Calendar {
    let mut c = Calendar::default();
    for e in &fx.log {
        c.record(e);
    }
    c
}

/// (非限定性, 限定性, 合计) of line `n`.
fn line(r: &Report, n: u16) -> (Money, Money, Money) {
    let l = r.activity(n).unwrap_or_else(|| panic!("line {n}"));
    (l.unrestricted, l.restricted, l.total)
}

fn m3(u: &str, r: &str, t: &str) -> (Money, Money, Money) {
    (money(u), money(r), money(t))
}

/// January: every kind of the fund; February: the restriction revoked.
fn hand_built() -> Fixture {
    let mut fx = Fixture::new();
    fx.ok(restriction("yg", None, None), &[0, 1]);
    fx.ok(restricted_donation("1000.00", "yg"), &[0]);
    fx.ok(donation("500.00"), &[0]);
    let gift = fx.ok(donation("50.00"), &[0]);
    fx.ok(reversal(gift), &[0, 1]);
    let restricted_gift = fx.ok(restricted_donation("20.00", "yg"), &[0]);
    fx.ok(reversal(restricted_gift), &[0, 1]);
    fx.ok(agreement("a", "0.1000", None, "2026-01-01", None), &[0, 1]);
    fx.ok(
        revenue_share("a", "2026-01-01", "2026-01-31", "100.00", "10.00"),
        &[0],
    );
    fx.ok(space("room", "80.00", &[]), &[0, 1]);
    fx.ok(
        rental(
            "room",
            "2026-01-08T02:00:00Z",
            "2026-01-08T03:00:00Z",
            "80.00",
        ),
        &[0],
    );
    fx.ok(disbursement("200.00"), &[0, 1]);
    fx.ok(restricted_disbursement("300.00", "yg"), &[0, 1]);
    fx.at("2026-02-10T02:00:00Z");
    fx.ok(revocation("yg"), &[0, 1]);
    fx
}

#[test]
fn each_kind_lands_on_its_line_and_the_totals_add_up() {
    let fx = hand_built();
    let b = books(&fx);
    let jan = b.report(&period("2026-01-01", "2026-01-31")).unwrap();
    // Donations: 500 + 50 − 50 unrestricted, 1000 + 20 − 20 restricted.
    assert_eq!(line(&jan, 1), m3("500.00", "1000.00", "1500.00"));
    assert_eq!(line(&jan, 3), m3("80.00", "0.00", "80.00"), "rentals → 3");
    assert_eq!(line(&jan, 9), m3("10.00", "0.00", "10.00"), "shares → 9");
    assert_eq!(line(&jan, 11), m3("590.00", "1000.00", "1590.00"));
    // Every disbursement, restricted or not, is an unrestricted 业务活动成本.
    assert_eq!(line(&jan, 12), m3("500.00", "0.00", "500.00"));
    assert_eq!(line(&jan, 21), m3("0.00", "0.00", "0.00"));
    assert_eq!(line(&jan, 35), m3("500.00", "0.00", "500.00"));
    // The restricted spending released 300.00.
    assert_eq!(line(&jan, 40), m3("300.00", "-300.00", "0.00"));
    assert_eq!(line(&jan, 45), m3("390.00", "700.00", "1090.00"));
    // 收入合计 = 1 + 3 + 9 and 净资产变动额 = 收入合计 − 费用合计 (合计 column), for every report.
    let q1 = b.report(&period("2026-01-01", "2026-03-31")).unwrap();
    let year = b.report(&period("2026-01-01", "2026-12-31")).unwrap();
    for r in [&jan, &q1, &year] {
        let sum = [1, 3, 9]
            .iter()
            .map(|n| line(r, *n).2.to_fen())
            .sum::<i64>();
        assert_eq!(line(r, 11).2.to_fen(), sum);
        assert_eq!(
            line(r, 45).2.to_fen(),
            line(r, 11).2.to_fen() - line(r, 35).2.to_fen()
        );
    }
    // February: the revocation released what was left (700.00).
    let feb = b.report(&period("2026-02-01", "2026-02-28")).unwrap();
    assert_eq!(line(&feb, 40), m3("700.00", "-700.00", "0.00"));
    assert_eq!(line(&feb, 45), m3("700.00", "-700.00", "0.00"));
    assert_eq!(line(&q1, 40), m3("1000.00", "-1000.00", "0.00"));
    // The annual items, for a calendar year only.
    let a = year.annual.as_ref().expect("a year has annual items");
    assert_eq!(
        (a.income, a.charitable_spending, a.donations),
        (money("1590.00"), money("500.00"), 4)
    );
    assert_eq!(
        a.spending_ratio_bp, None,
        "no net assets before the first year"
    );
    assert_eq!(a.administrative_ratio_bp, Some(0));
    assert!(q1.annual.is_none());
}

#[test]
fn the_net_asset_lines_are_the_funds_balance_split() {
    let mut fx = hand_built();
    // Before the revocation (January's end) and after it (now).
    let b = books(&fx);
    let jan = b.report(&period("2026-01-01", "2026-01-31")).unwrap();
    let close = |r: &Report, n| r.net_asset(n).unwrap().closing;
    assert_eq!(close(&jan, 101), money("390.00"));
    assert_eq!(close(&jan, 105), money("700.00"));
    assert_eq!(close(&jan, 110), money("1090.00"));
    // A new restriction holds money at the period's end: 105 is what the restrictions
    // hold, 101 + 105 = 110 the balance, and the next period opens where this one closed.
    fx.ok(restriction("new", None, None), &[0, 1]);
    fx.ok(restricted_donation("123.45", "new"), &[0]);
    fx.ok(restricted_disbursement("23.45", "new"), &[0, 1]);
    let b = books(&fx);
    let feb = b.report(&period("2026-02-01", "2026-02-28")).unwrap();
    assert_eq!(close(&feb, 105), fx.state.restricted_balance());
    assert_eq!(close(&feb, 101), fx.state.unrestricted_balance());
    assert_eq!(close(&feb, 110), fx.state.balance());
    assert_eq!(feb.net_asset(110).unwrap().opening, close(&jan, 110));
    let change = line(&feb, 45);
    assert_eq!(
        close(&feb, 101).to_fen() - feb.net_asset(101).unwrap().opening.to_fen(),
        change.0.to_fen()
    );
    assert!(feb.to_csv().contains("40,限定性净资产转为非限定性净资产,"));
}

#[test]
fn a_period_that_is_not_whole_months_is_refused() {
    let b = books(&hand_built());
    for (from, to) in [("2026-01-02", "2026-01-31"), ("2026-01-01", "2026-02-27")] {
        let err = b.report(&period(from, to)).unwrap_err();
        assert!(
            matches!(err, ReportError::PeriodNotWholeMonths { .. }),
            "{err}"
        );
    }
    // A month without entries is all zeros, opening = closing.
    let r = b.report(&period("2026-06-01", "2026-06-30")).unwrap();
    assert_eq!(line(&r, 45), m3("0.00", "0.00", "0.00"));
    let n = r.net_asset(110).unwrap();
    assert_eq!(n.opening, n.closing);
}

fn find(items: &[Item], f: impl Fn(&Duty) -> bool) -> Vec<&Item> {
    items.iter().filter(|i| f(&i.duty)).collect()
}

fn monthly(items: &[Item], from: &str) -> Item {
    let p = period(from, &date(from).last_of_month().to_string());
    let found = find(items, |d| *d == Duty::MonthlyStatement { period: p });
    assert_eq!(found.len(), 1, "{from}: {items:#?}");
    found[0].clone()
}

#[test]
fn the_calendar_says_what_was_due_published_late_or_overdue() {
    let mut fx = Fixture::new();
    // A project of nine months (over six): quarterly disclosures.
    fx.ok(
        restriction("long", Some("2026-01-10"), Some("2026-09-30")),
        &[0, 1],
    );
    fx.ok(restricted_donation("900.00", "long"), &[0]);
    // A two-month project, closed in March: a remainder disclosure, no quarterly ones.
    fx.ok(restriction("short", None, Some("2026-02-28")), &[0, 1]);
    fx.at("2026-02-03T02:00:00Z");
    let jan = fx.ok(fx.statement("2026-01-01", "2026-01-31"), &[0, 1]);
    fx.at("2026-03-05T02:00:00Z");
    let closing_seq = fx.ok(closing("short", Disposal::Released), &[0, 1]);
    // February's statement, one column, a week late (due 03-31).
    fx.at("2026-04-07T02:00:00Z");
    let Body::Statement(s) = fx.statement("2026-02-01", "2026-02-28") else {
        unreachable!()
    };
    let feb = fx.ok(Body::Statement(first_version(s)), &[0, 1]);
    let c = calendar(&fx);

    let items = c.duties(date("2026-05-01"));
    assert_eq!(
        monthly(&items, "2026-01-01").status,
        Status::Published {
            seq: jan,
            date: date("2026-02-03"),
            late: false
        }
    );
    assert_eq!(
        monthly(&items, "2026-02-01").status,
        Status::Published {
            seq: feb,
            date: date("2026-04-07"),
            late: true
        }
    );
    let mar = monthly(&items, "2026-03-01");
    assert_eq!((mar.due, mar.status), (date("2026-04-30"), Status::Overdue));
    let apr = monthly(&items, "2026-04-01");
    assert_eq!((apr.due, apr.status), (date("2026-05-31"), Status::Due));
    assert!(find(
        &items,
        |d| matches!(d, Duty::MonthlyStatement { period } if period.from() == date("2026-05-01"))
    )
    .is_empty());
    // Q1 of the long project: no two-column statement ends on 03-31 → overdue.
    let q = find(&items, |d| matches!(d, Duty::QuarterlyProject { .. }));
    assert_eq!(q.len(), 1, "{q:#?}");
    assert_eq!(
        q[0].duty,
        Duty::QuarterlyProject {
            restriction: restriction_id("long"),
            period: period("2026-01-01", "2026-03-31")
        }
    );
    assert_eq!(
        (q[0].due, q[0].status),
        (date("2026-04-30"), Status::Overdue)
    );
    // The short project's remainder: disclosed by its closing, in time.
    let r = find(&items, |d| matches!(d, Duty::Remainder { .. }));
    assert_eq!(r.len(), 1, "{r:#?}");
    assert_eq!(r[0].due, date("2026-06-05"));
    assert_eq!(
        r[0].status,
        Status::Published {
            seq: closing_seq,
            date: date("2026-03-05"),
            late: false
        }
    );
    // Before Q1 ended nothing quarterly was due; no annual report within the first year.
    let early = c.duties(date("2026-03-31"));
    assert!(find(&early, |d| matches!(d, Duty::QuarterlyProject { .. })).is_empty());
    assert!(find(&items, |d| matches!(d, Duty::AnnualReport { .. })).is_empty());
}

#[test]
fn the_annual_report_is_due_by_31_may_and_a_passed_window_needs_its_remainder() {
    let mut fx = Fixture::new();
    fx.ok(donation("10.00"), &[0]);
    fx.ok(restriction("w", None, Some("2026-10-31")), &[0, 1]);
    fx.at("2027-05-20T02:00:00Z");
    let before = calendar(&fx).duties(date("2027-06-01"));
    let annual = find(&before, |d| matches!(d, Duty::AnnualReport { .. }));
    assert_eq!(annual.len(), 1);
    assert_eq!(
        (annual[0].due, annual[0].status),
        (date("2027-05-31"), Status::Overdue)
    );
    // The window ended 2026-10-31 and nothing closed it: the remainder is overdue after
    // 2027-01-31.
    let r = find(&before, |d| matches!(d, Duty::Remainder { .. }));
    assert_eq!(
        (r[0].due, r[0].status),
        (date("2027-01-31"), Status::Overdue)
    );
    let year = fx.ok(fx.statement("2026-01-01", "2026-12-31"), &[0, 1]);
    let after = calendar(&fx).duties(date("2027-06-01"));
    let annual = find(&after, |d| matches!(d, Duty::AnnualReport { .. }));
    assert_eq!(
        annual[0].status,
        Status::Published {
            seq: year,
            date: date("2027-05-20"),
            late: false
        }
    );
}
