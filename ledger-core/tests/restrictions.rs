//! Restricted money (issue 17, items 1 and 2; FORMAT.md §5 and §6): every refusal of the
//! restriction rules, passing and failing, each leaving the state exactly as it was; the
//! two-column statement recomputed; and a property test that restricted + unrestricted
//! money is the fund's balance after every entry, with no restriction ever below zero.

mod support;

use ledger_core::body::{Body, Disposal, StatementVersion};
use ledger_core::entry::Entry;
use ledger_core::error::Coded;
use ledger_core::money::Money;
use ledger_core::rules::RuleError;
use ledger_core::statement::first_version;
use proptest::prelude::*;
use support::*;

/// What restriction `id` holds.
fn held(fx: &Fixture, id: &str) -> Money {
    fx.state
        .restrictions()
        .get(&restriction_id(id))
        .expect("the restriction exists")
        .balance
}

/// The fixture with restriction `yg` declared and given `amt`, plus `free` unrestricted.
fn with_gift(amt: &str, free: &str) -> Fixture {
    let mut fx = Fixture::new();
    fx.ok(restriction("yg", None, None), &[0, 1]);
    fx.ok(restricted_donation(amt, "yg"), &[0]);
    fx.ok(donation(free), &[0]);
    fx
}

#[test]
fn a_restriction_is_declared_once_by_a_governance_quorum() {
    let mut fx = Fixture::new();
    fx.refused(restriction("yg", None, None), &[0], "quorum_not_met");
    fx.ok(restriction("yg", None, None), &[0, 1]);
    let err = fx.refused(restriction("yg", None, None), &[0, 1], "restriction_exists");
    assert_eq!(err, RuleError::RestrictionExists("yg".into()));
    fx.refused(
        restriction("late", Some("2026-03-01"), Some("2026-02-28")),
        &[0, 1],
        "restriction_dates",
    );
    fx.ok(
        restriction("one-day", Some("2026-03-01"), Some("2026-03-01")),
        &[0, 1],
    );
    assert_eq!(fx.state.restrictions().all().len(), 2);
    assert_eq!(fx.state.restricted_balance(), Money::ZERO);
}

#[test]
fn money_names_a_restriction_that_exists() {
    let mut fx = Fixture::new();
    fx.ok(donation("50.00"), &[0]);
    for (body, signers) in [
        (restricted_donation("1.00", "nope"), &[0][..]),
        (restricted_disbursement("1.00", "nope"), &[0, 1][..]),
        (revocation("nope"), &[0, 1][..]),
        (closing("nope", Disposal::Released), &[0, 1][..]),
    ] {
        let err = fx.refused(body, signers, "restriction_unknown");
        assert_eq!(err, RuleError::RestrictionUnknown("nope".into()));
    }
    fx.ok(restriction("yg", None, None), &[0, 1]);
    fx.ok(restricted_donation("100.00", "yg"), &[0]);
    assert_eq!(held(&fx, "yg"), money("100.00"));
    assert_eq!(fx.state.restricted_balance(), money("100.00"));
    assert_eq!(fx.state.unrestricted_balance(), money("50.00"));
    assert_eq!(fx.state.balance(), money("150.00"));
}

#[test]
fn spending_more_than_a_restriction_holds_is_refused() {
    let mut fx = with_gift("100.00", "500.00");
    // The fund holds 600.00, the restriction only 100.00.
    let err = fx.refused(
        restricted_disbursement("100.01", "yg"),
        &[0, 1],
        "restriction_overdraft",
    );
    assert_eq!(
        err,
        RuleError::RestrictionOverdraft {
            id: "yg".into(),
            balance: money("100.00")
        }
    );
    fx.refused(
        restricted_disbursement("100.00", "yg"),
        &[0],
        "quorum_not_met",
    );
    fx.ok(restricted_disbursement("100.00", "yg"), &[0, 1]);
    assert_eq!(held(&fx, "yg"), Money::ZERO);
    let st = fx.state.restrictions().get(&restriction_id("yg")).unwrap();
    assert_eq!(st.released, money("100.00"));
    assert_eq!(fx.state.unrestricted_balance(), money("500.00"));
}

#[test]
fn restricted_money_is_spent_only_inside_its_window() {
    let mut fx = Fixture::new();
    fx.ok(
        restriction("feb", Some("2026-02-01"), Some("2026-02-28")),
        &[0, 1],
    );
    fx.ok(restricted_donation("1000.00", "feb"), &[0]);
    // 2026-01-31 23:59:59 local: a second too early.
    fx.at("2026-01-31T15:59:59Z");
    let err = fx.refused(
        restricted_disbursement("10.00", "feb"),
        &[0, 1],
        "restriction_outside_window",
    );
    assert!(
        err.message_zh().contains("2026-02-01"),
        "{}",
        err.message_zh()
    );
    // Local midnight: the first day of the window.
    fx.at("2026-01-31T16:00:00Z");
    fx.ok(restricted_disbursement("10.00", "feb"), &[0, 1]);
    // The last second of its last day, then the next.
    fx.at("2026-02-28T15:59:59Z");
    fx.ok(restricted_disbursement("10.00", "feb"), &[0, 1]);
    fx.at("2026-02-28T16:00:00Z");
    fx.refused(
        restricted_disbursement("10.00", "feb"),
        &[0, 1],
        "restriction_outside_window",
    );
    // Donations to it are not bound to the window.
    fx.ok(restricted_donation("5.00", "feb"), &[0]);
    assert_eq!(held(&fx, "feb"), money("985.00"));
}

#[test]
fn unrestricted_spending_cannot_take_restricted_money() {
    let mut fx = with_gift("1000.00", "200.00");
    let err = fx.refused(disbursement("200.01"), &[0, 1], "unrestricted_overdraft");
    assert_eq!(
        err,
        RuleError::UnrestrictedOverdraft {
            unrestricted: money("200.00")
        }
    );
    // Beyond the whole balance it is the balance's own refusal, as before restrictions.
    fx.refused(disbursement("1200.01"), &[0, 1], "overdraft");
    fx.ok(disbursement("200.00"), &[0, 1]);
    assert_eq!(fx.state.unrestricted_balance(), Money::ZERO);
    assert_eq!(fx.state.restricted_balance(), money("1000.00"));
}

#[test]
fn reversals_move_each_balance_back() {
    let mut fx = Fixture::new();
    fx.ok(restriction("yg", None, None), &[0, 1]);
    let gift = fx.ok(restricted_donation("300.00", "yg"), &[0]);
    fx.ok(donation("1000.00"), &[0]);
    let free = fx.ok(donation("100.00"), &[0]);
    let spend = fx.ok(restricted_disbursement("250.00", "yg"), &[0, 1]);
    // The gift's reversal would take 300.00 from a restriction holding 50.00 (the fund
    // holds 1150.00).
    fx.refused(reversal(gift), &[0], "restriction_overdraft");
    // Reversing the restricted spending gives it back to the restriction (un-released).
    fx.refused(reversal(spend), &[0], "quorum_not_met");
    fx.ok(reversal(spend), &[0, 1]);
    assert_eq!(held(&fx, "yg"), money("300.00"));
    let st = fx.state.restrictions().get(&restriction_id("yg")).unwrap();
    assert_eq!(st.released, Money::ZERO);
    fx.ok(disbursement("1100.00"), &[0, 1]);
    // Unrestricted money is now 0.00: reversing the unrestricted gift would take restricted
    // money, though the balance (300.00) would stay positive.
    fx.refused(reversal(free), &[0], "unrestricted_overdraft");
    fx.ok(reversal(gift), &[0]);
    assert_eq!(held(&fx, "yg"), Money::ZERO);
    assert_eq!(fx.state.balance(), Money::ZERO);
    assert!(fx.replay().is_ok());
}

#[test]
fn a_revocation_releases_what_is_left_and_ends_the_restriction() {
    let mut fx = with_gift("500.00", "0.01");
    let spend = fx.ok(restricted_disbursement("200.00", "yg"), &[0, 1]);
    fx.refused(revocation("yg"), &[0], "quorum_not_met");
    let revoked = fx.ok(revocation("yg"), &[0, 1]);
    assert_eq!(held(&fx, "yg"), Money::ZERO);
    assert_eq!(fx.state.restricted_balance(), Money::ZERO);
    assert_eq!(fx.state.unrestricted_balance(), money("300.01"));
    let st = fx.state.restrictions().get(&restriction_id("yg")).unwrap();
    assert_eq!(st.released, money("500.00"));
    let ended = RuleError::RestrictionEnded {
        id: "yg".into(),
        seq: revoked,
    };
    for (body, signers) in [
        (restricted_donation("1.00", "yg"), &[0][..]),
        (restricted_disbursement("1.00", "yg"), &[0, 1][..]),
        (revocation("yg"), &[0, 1][..]),
        (closing("yg", Disposal::Released), &[0, 1][..]),
        (reversal(spend), &[0, 1][..]),
    ] {
        assert_eq!(fx.refused(body, signers, "restriction_ended"), ended);
    }
}

#[test]
fn a_closing_disposes_of_the_remainder() {
    let mut fx = with_gift("500.00", "10.00");
    fx.ok(restricted_disbursement("500.00", "yg"), &[0, 1]);
    fx.refused(closing("yg", Disposal::Returned), &[0], "quorum_not_met");
    fx.ok(closing("yg", Disposal::Returned), &[0, 1]);

    fx.ok(restriction("yg2", None, None), &[0, 1]);
    fx.ok(restricted_donation("500.00", "yg2"), &[0]);
    fx.ok(restricted_disbursement("100.00", "yg2"), &[0, 1]);
    let err = fx.refused(
        closing("yg2", Disposal::Returned),
        &[0, 1],
        "restriction_remainder_left",
    );
    assert_eq!(
        err,
        RuleError::RestrictionRemainderLeft {
            id: "yg2".into(),
            remainder: money("400.00")
        }
    );
    fx.ok(closing("yg2", Disposal::Released), &[0, 1]);
    assert_eq!(fx.state.restricted_balance(), Money::ZERO);
    assert_eq!(fx.state.unrestricted_balance(), money("410.00"));
}

/// A body that carries a release (`release`, `releases` or `released`) does not parse:
/// `release_not_derived`, with the member's path.
#[test]
fn a_release_cannot_be_typed() {
    let mut fx = with_gift("500.00", "0.01");
    fx.ok(restricted_disbursement("100.00", "yg"), &[0, 1]);
    for (member, body) in [
        ("release", restricted_disbursement("100.00", "yg")),
        ("releases", revocation("yg")),
        ("released", donation("1.00")),
    ] {
        let entry = fx.entry(body, &[0, 1]);
        let mut value: serde_json::Value =
            serde_json::from_slice(&entry.canonical_bytes()).unwrap();
        value["intent"]["body"][member] = serde_json::Value::String("100.00".into());
        let bytes = ledger_core::canonical::canonicalize(&value);
        let err = Entry::parse(&bytes).unwrap_err();
        assert_eq!(err.code(), "release_not_derived", "{member}: {err}");
        assert!(err.to_string().contains(member), "{err}");
    }
}

#[test]
fn a_two_column_statement_recomputes_and_the_first_version_still_verifies() {
    let mut fx = Fixture::new();
    fx.ok(restriction("yg", None, None), &[0, 1]);
    fx.ok(donation("1000.00"), &[0]);
    fx.ok(restricted_donation("600.00", "yg"), &[0]);
    fx.ok(restricted_disbursement("100.00", "yg"), &[0, 1]);
    fx.ok(disbursement("50.00"), &[0, 1]);
    fx.at("2026-02-02T02:00:00Z");
    let jan = fx.draft("2026-01-01", "2026-01-31");
    assert_eq!(jan.version, Some(StatementVersion::V2));
    let u = jan.unrestricted.clone().unwrap();
    let r = jan.restricted.clone().unwrap();
    let want_u = [
        "0.00", "1000.00", "0.00", "0.00", "150.00", "0.00", "100.00", "950.00",
    ];
    let got_u = [
        u.opening,
        u.donation,
        u.revenue_share,
        u.rental,
        u.disbursement,
        u.reversals,
        u.releases,
        u.closing,
    ];
    assert_eq!(got_u, want_u.map(money));
    let got_r = [r.opening, r.donation, r.reversals, r.releases, r.closing];
    assert_eq!(
        got_r,
        ["0.00", "600.00", "0.00", "100.00", "500.00"].map(money)
    );
    assert_eq!(jan.closing, money("1450.00"));

    // One fen off in the restricted column, or the columns missing: refused, naming it.
    let mut off = jan.clone();
    off.restricted.as_mut().unwrap().closing = money("500.01");
    let err = fx.refused(Body::Statement(off), &[0, 1], "statement_mismatch");
    assert!(
        matches!(
            err,
            RuleError::StatementMismatch {
                field: "restricted.closing",
                ..
            }
        ),
        "{err}"
    );
    let mut off = jan.clone();
    off.unrestricted.as_mut().unwrap().releases = money("99.99");
    let err = fx.refused(Body::Statement(off), &[0, 1], "statement_mismatch");
    assert!(
        matches!(
            err,
            RuleError::StatementMismatch {
                field: "unrestricted.releases",
                ..
            }
        ),
        "{err}"
    );
    let mut bare = jan.clone();
    bare.restricted = None;
    let err = fx.refused(Body::Statement(bare), &[0, 1], "statement_mismatch");
    assert!(
        matches!(
            err,
            RuleError::StatementMismatch {
                field: "version",
                ..
            }
        ),
        "{err}"
    );

    // The first version (one column) verifies as before; so does the second.
    fx.ok(Body::Statement(first_version(jan.clone())), &[0, 1]);
    fx.ok(Body::Statement(jan), &[0, 1]);

    // February: the restriction is revoked; its 500.00 is released.
    fx.ok(revocation("yg"), &[0, 1]);
    fx.at("2026-03-02T02:00:00Z");
    let feb = fx.draft("2026-02-01", "2026-02-28");
    let (u, r) = (
        feb.unrestricted.clone().unwrap(),
        feb.restricted.clone().unwrap(),
    );
    assert_eq!(
        [u.opening, u.releases, u.closing],
        ["950.00", "500.00", "1450.00"].map(money)
    );
    assert_eq!(
        [r.opening, r.releases, r.closing],
        ["500.00", "500.00", "0.00"].map(money)
    );
    fx.ok(Body::Statement(feb), &[0, 1]);
    assert!(fx.replay().is_ok());
}

/// One step of a random history of restricted money.
#[derive(Debug, Clone)]
enum Op {
    Declare(u8),
    Give(Option<u8>, u32),
    Spend(Option<u8>, u32),
    Reverse(u16),
    Revoke(u8),
    Close(u8, bool),
    Wait(u32),
}

fn op() -> impl Strategy<Value = Op> {
    let id = 0u8..3;
    let fen = 1u32..50_000;
    prop_oneof![
        id.clone().prop_map(Op::Declare),
        (proptest::option::of(id.clone()), fen.clone()).prop_map(|(i, f)| Op::Give(i, f)),
        (proptest::option::of(id.clone()), fen).prop_map(|(i, f)| Op::Spend(i, f)),
        (0u16..64).prop_map(Op::Reverse),
        id.clone().prop_map(Op::Revoke),
        (id, any::<bool>()).prop_map(|(i, r)| Op::Close(i, r)),
        (0u32..20 * 86_400).prop_map(Op::Wait),
    ]
}

fn yuan(fen: u32) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// After every entry, accepted or refused: restricted + unrestricted = the balance,
    /// restricted money is the sum of the restrictions' balances, and neither any
    /// restriction nor unrestricted money is below zero. A refused entry changes nothing,
    /// and the log replays to the same state.
    #[test]
    fn restricted_plus_unrestricted_is_the_balance(ops in proptest::collection::vec(op(), 1..40)) {
        let mut fx = Fixture::new();
        let name = |i: u8| format!("r{i}");
        for op in ops {
            let (body, signers): (Body, &[usize]) = match op {
                Op::Declare(i) => (restriction(&name(i), None, None), &[0, 1]),
                Op::Give(Some(i), f) => (restricted_donation(&yuan(f), &name(i)), &[0]),
                Op::Give(None, f) => (donation(&yuan(f)), &[0]),
                Op::Spend(Some(i), f) => (restricted_disbursement(&yuan(f), &name(i)), &[0, 1]),
                Op::Spend(None, f) => (disbursement(&yuan(f)), &[0, 1]),
                Op::Reverse(s) => (reversal(u64::from(s) % fx.state.next_seq()), &[0, 1]),
                Op::Revoke(i) => (revocation(&name(i)), &[0, 1]),
                Op::Close(i, released) => (
                    closing(&name(i), if released { Disposal::Released } else { Disposal::Returned }),
                    &[0, 1],
                ),
                Op::Wait(s) => {
                    fx.advance(i64::from(s));
                    continue;
                }
            };
            let before = fx.state.clone();
            if fx.apply(body, signers).is_err() {
                prop_assert!(fx.state == before, "a refused entry changed the state");
            }
            let st = &fx.state;
            let sum = st
                .restrictions()
                .all()
                .values()
                .try_fold(Money::ZERO, |a, r| {
                    prop_assert!(!r.balance.is_negative(), "a restriction below zero");
                    Ok(a.checked_add(r.balance).unwrap())
                })?;
            prop_assert_eq!(sum, st.restricted_balance());
            prop_assert!(!st.restricted_balance().is_negative());
            prop_assert!(st.restricted_balance() <= st.balance(), "restricted beyond the balance");
            prop_assert_eq!(
                st.restricted_balance().checked_add(st.unrestricted_balance()).unwrap(),
                st.balance()
            );
            fx.advance(60);
        }
        let replayed = fx.replay().map_err(|(s, e)| TestCaseError::fail(format!("seq {s}: {e}")))?;
        prop_assert!(replayed == fx.state);
    }
}

/// The trustees' forms get each open restriction's balance and the unrestricted money
/// from the dry run (`ledger_core::check`), with the refusal an append would give.
#[test]
fn the_dry_run_shows_each_restrictions_balance() {
    let mut fx = with_gift("300.00", "50.00");
    fx.ok(restriction("ended", None, None), &[0, 1]);
    fx.ok(revocation("ended"), &[0, 1]);
    let intent = fx.intent(restricted_disbursement("300.01", "yg"));
    let now = fx.instant();
    let checked = ledger_core::check::check_intent(&mut fx.state, intent, now);
    let f = &checked.figures;
    assert_eq!(f.unrestricted_before, Some(money("50.00")));
    let open = f.restrictions.as_ref().expect("restrictions");
    assert_eq!(open.len(), 1, "an ended restriction is not offered");
    assert_eq!(open[0].restriction_id, "yg");
    assert_eq!(open[0].balance, money("300.00"));
    assert_eq!(
        checked.outcome.map_err(|e| e.code()),
        Err("restriction_overdraft")
    );
}
