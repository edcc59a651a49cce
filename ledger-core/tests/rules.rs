//! The rules of a fund, one refusal at a time: for every `RuleError` a single entry can
//! cause, an entry that passes and one that is refused with the exact code, leaving the
//! state (seq, head, balance, Merkle root, trustees, policy) exactly as it was.

mod support;

use ledger_core::body::{Body, DonorClass, Space, SpaceKind};
use ledger_core::error::Coded;
use ledger_core::hash::{Hash, ZERO_HASH};
use ledger_core::rules::RuleError;
use ledger_core::state::FundState;
use support::*;

/// The `QuorumNotMet` a `kind` refused with `found` of `needed` signatures gives.
fn quorum(kind: &'static str, needed: u32, found: u32) -> RuleError {
    RuleError::QuorumNotMet {
        kind,
        needed,
        found,
    }
}

// ---------------------------------------------------------------------------------------
// Chain: fund, seq, prev, time
// ---------------------------------------------------------------------------------------

#[test]
fn fund_mismatch_in_entry_or_intent() {
    let mut fx = Fixture::new();
    fx.ok(donation("1.00"), &[0]);

    let mut e = fx.entry(donation("2.00"), &[0]);
    e.fund = fund_id("other-fund");
    let err = fx.refused_entry(e, "fund_mismatch");
    assert_eq!(
        err,
        RuleError::FundMismatch {
            expected: "test-fund".into(),
            found: "other-fund".into()
        }
    );

    // The intent (what the trustee signed) names another fund; the entry this one.
    let mut intent = fx.intent(donation("2.00"));
    intent.fund = fund_id("other-fund");
    let e = fx.seal(intent, &[&fx.trustees[0]]);
    assert_eq!(e.fund.as_str(), "test-fund");
    fx.refused_entry(e, "fund_mismatch");

    assert_eq!(
        fx.apply(donation("2.00"), &[0]).unwrap().balance,
        money("3.00")
    );
}

#[test]
fn seq_mismatch_gap_and_duplicate() {
    let mut fx = Fixture::new();
    fx.ok(donation("1.00"), &[0]);
    assert_eq!(fx.state.next_seq(), 2);

    let mut gap = fx.entry(donation("2.00"), &[0]);
    gap.seq = 3;
    let err = fx.refused_entry(gap, "seq_mismatch");
    assert_eq!(
        err,
        RuleError::SeqMismatch {
            expected: 2,
            found: 3
        }
    );

    let mut dup = fx.entry(donation("2.00"), &[0]);
    dup.seq = 1;
    fx.refused_entry(dup, "seq_mismatch");

    let ok = fx.entry(donation("2.00"), &[0]);
    assert_eq!(ok.seq, 2);
    fx.try_entry(ok).unwrap();
    assert_eq!(fx.state.next_seq(), 3);
}

#[test]
fn prev_mismatch() {
    let mut fx = Fixture::new();
    let genesis_hash = fx.state.head();
    fx.ok(donation("1.00"), &[0]);

    for wrong in [ZERO_HASH, genesis_hash, Hash([7; 32])] {
        let mut e = fx.entry(donation("2.00"), &[0]);
        e.prev = wrong;
        let err = fx.refused_entry(e, "prev_mismatch");
        assert_eq!(
            err,
            RuleError::PrevMismatch {
                expected: fx.state.head(),
                found: wrong
            }
        );
    }
    let head = fx.state.head();
    let e = fx.entry(donation("2.00"), &[0]);
    assert_eq!(e.prev, head);
    fx.try_entry(e).unwrap();
}

#[test]
fn recorded_at_may_repeat_but_never_decrease() {
    let mut fx = Fixture::new();
    fx.at("2026-01-10T12:00:00Z");
    fx.ok(donation("1.00"), &[0]);

    fx.at("2026-01-10T11:59:59Z");
    let err = fx.refused(donation("2.00"), &[0], "recorded_at_decreased");
    assert_eq!(
        err,
        RuleError::RecordedAtDecreased {
            previous: "2026-01-10T12:00:00Z".into(),
            found: "2026-01-10T11:59:59Z".into()
        }
    );

    // The same second again is fine.
    fx.at("2026-01-10T12:00:00Z");
    fx.ok(donation("2.00"), &[0]);
    fx.advance(1);
    fx.ok(donation("3.00"), &[0]);
}

#[test]
fn signed_in_future_allows_300_seconds_of_skew() {
    let mut fx = Fixture::new();
    fx.at("2026-01-10T12:00:00Z");

    let signed = |fx: &Fixture, skew: i64| {
        let mut intent = fx.intent(donation("1.00"));
        intent.signed_at = ledger_core::time::Instant::from_unix_seconds(fx.now + skew).unwrap();
        fx.seal(intent, &[&fx.trustees[0]])
    };

    let e = signed(&fx, 301);
    let err = fx.refused_entry(e, "signed_in_future");
    assert_eq!(
        err,
        RuleError::SignedInFuture {
            signed_at: "2026-01-10T12:05:01Z".into(),
            recorded_at: "2026-01-10T12:00:00Z".into()
        }
    );
    let e = signed(&fx, 300);
    fx.try_entry(e).unwrap();
    // Signed long before it was recorded: fine.
    let e = signed(&fx, -30 * 86_400);
    fx.try_entry(e).unwrap();
    assert_eq!(fx.state.balance(), money("2.00"));
}

// ---------------------------------------------------------------------------------------
// Genesis
// ---------------------------------------------------------------------------------------

#[test]
fn genesis_missing_when_the_first_entry_is_not_a_genesis() {
    let mut fx = Fixture::empty();
    let err = fx.refused(donation("1.00"), &[0], "genesis_missing");
    assert_eq!(err, RuleError::GenesisMissing);
    assert_eq!(fx.state.next_seq(), 0);

    let g = fx.genesis_body();
    let e = fx.entry_by(g, &[&fx.operator]);
    fx.try_entry(e).unwrap();
    assert_eq!(fx.state.next_seq(), 1);
    assert_eq!(fx.state.trustees().len(), 3);
    assert_eq!(fx.state.balance(), money("0.00"));
}

#[test]
fn genesis_not_first() {
    let mut fx = Fixture::new();
    let g = fx.genesis_body();
    let e = fx.entry_by(g, &[&fx.operator]);
    let err = fx.refused_entry(e, "genesis_not_first");
    assert_eq!(err, RuleError::GenesisNotFirst);
    fx.ok(donation("1.00"), &[0]);
}

#[test]
fn genesis_is_signed_by_the_operator_only() {
    let mut fx = Fixture::empty();
    let g = fx.genesis_body();
    let e = fx.entry(g.clone(), &[0]);
    fx.refused_entry(e, "unknown_signer");
    let e = fx.entry_by(g.clone(), &[&fx.operator, &fx.trustees[0]]);
    fx.refused_entry(e, "unknown_signer");
    let e = fx.entry_by(g, &[&fx.operator]);
    fx.try_entry(e).unwrap();
}

#[test]
fn genesis_policy_and_trustees_are_checked() {
    let mut fx = Fixture::empty();
    let Body::Genesis(good) = fx.genesis_body() else {
        unreachable!()
    };

    let mut g = good.clone();
    g.trustees.clear();
    let e = fx.entry_by(Body::Genesis(g), &[&fx.operator]);
    fx.refused_entry(e, "policy_invalid");

    let mut g = good.clone();
    g.policy.governance_quorum = 0;
    let e = fx.entry_by(Body::Genesis(g), &[&fx.operator]);
    fx.refused_entry(e, "policy_invalid");

    let mut g = good.clone();
    g.policy = policy(2, 2, 2, "0.5000", "0.1000");
    let e = fx.entry_by(Body::Genesis(g), &[&fx.operator]);
    fx.refused_entry(e, "policy_invalid");

    let mut g = good.clone();
    g.policy.statement_quorum = 4;
    let e = fx.entry_by(Body::Genesis(g), &[&fx.operator]);
    let err = fx.refused_entry(e, "quorum_unreachable");
    assert_eq!(
        err,
        RuleError::QuorumUnreachable {
            trustees: 3,
            quorum: 4
        }
    );

    let mut g = good.clone();
    g.trustees.push(g.trustees[1].clone());
    let e = fx.entry_by(Body::Genesis(g), &[&fx.operator]);
    fx.refused_entry(e, "trustee_exists");

    // Quorum equal to the number of trustees is reachable.
    let mut g = good;
    g.policy = policy(3, 3, 3, "0.1000", "0.5000");
    let e = fx.entry_by(Body::Genesis(g), &[&fx.operator]);
    fx.try_entry(e).unwrap();
    assert_eq!(fx.state.policy().unwrap().statement_quorum, 3);
}

// ---------------------------------------------------------------------------------------
// Signers and quorums
// ---------------------------------------------------------------------------------------

#[test]
fn unknown_signer_outsider_operator_and_mixed() {
    let mut fx = Fixture::new();
    let stranger = outsider("a");

    let e = fx.entry_by(donation("1.00"), &[&stranger]);
    let err = fx.refused_entry(e, "unknown_signer");
    assert_eq!(err, RuleError::UnknownSigner(public(&stranger).to_hex()));

    // The operator signs only the genesis.
    let e = fx.entry_by(donation("1.00"), &[&fx.operator]);
    let err = fx.refused_entry(e, "unknown_signer");
    assert_eq!(err, RuleError::UnknownSigner(public(&fx.operator).to_hex()));

    // Two real trustees plus a stranger: the stranger still spoils it.
    fx.ok(donation("100.00"), &[0]);
    let e = fx.entry_by(
        disbursement("1.00"),
        &[&fx.trustees[0], &fx.trustees[1], &stranger],
    );
    fx.refused_entry(e, "unknown_signer");

    fx.ok(disbursement("1.00"), &[0, 1]);
    assert_eq!(fx.state.balance(), money("99.00"));
}

#[test]
fn unknown_signer_after_removal_from_trustees() {
    let mut fx = Fixture::new();
    let newcomer = outsider("newcomer");
    let removed = fx.trustees[0].clone();

    // Before the change the newcomer is nobody.
    let e = fx.entry_by(donation("1.00"), &[&newcomer]);
    fx.refused_entry(e, "unknown_signer");

    fx.ok(trustees_change(&[&newcomer], &[&removed], None), &[0, 1]);
    assert!(!fx.state.trustees().contains_key(&public(&removed)));
    assert!(fx.state.trustees().contains_key(&public(&newcomer)));

    let e = fx.entry_by(donation("1.00"), &[&removed]);
    let err = fx.refused_entry(e, "unknown_signer");
    assert_eq!(err, RuleError::UnknownSigner(public(&removed).to_hex()));

    let e = fx.entry_by(donation("1.00"), &[&newcomer]);
    fx.try_entry(e).unwrap();
    // The newcomer counts towards a quorum.
    let e = fx.entry_by(disbursement("1.00"), &[&newcomer, &fx.trustees[2]]);
    fx.try_entry(e).unwrap();
    assert_eq!(fx.state.balance(), money("0.00"));
}

#[test]
fn quorum_not_met_for_each_kind_that_needs_two() {
    let mut fx = Fixture::new();
    fx.ok(donation("500.00"), &[0]);

    // One signature is enough for a donation, and more do no harm.
    fx.ok(donation("1.00"), &[2]);
    fx.ok(donation("1.00"), &[0, 1, 2]);

    let err = fx.refused(disbursement("10.00"), &[1], "quorum_not_met");
    assert_eq!(err, quorum("disbursement", 2, 1));
    fx.ok(disbursement("10.00"), &[1, 2]);

    let a = agreement("edu", "0.1000", None, "2026-01-01", None);
    let err = fx.refused(a.clone(), &[0], "quorum_not_met");
    assert_eq!(err, quorum("agreement", 2, 1));
    fx.ok(a, &[0, 2]);

    let s = space("room", "80.00", &[]);
    let err = fx.refused(s.clone(), &[2], "quorum_not_met");
    assert_eq!(err, quorum("space", 2, 1));
    fx.ok(s, &[0, 1]);

    let t = trustees_change(&[&outsider("new")], &[], None);
    let err = fx.refused(t.clone(), &[1], "quorum_not_met");
    assert_eq!(err, quorum("trustees", 2, 1));
    fx.ok(t, &[1, 2]);

    fx.at("2026-02-01T00:00:00Z");
    let st = fx.statement("2026-01-01", "2026-01-31");
    let err = fx.refused(st.clone(), &[0], "quorum_not_met");
    assert_eq!(err, quorum("statement", 2, 1));
    fx.ok(st, &[0, 1]);
}

#[test]
fn quorums_follow_the_policy() {
    let mut fx = Fixture::new();
    fx.ok(donation("100.00"), &[0]);
    // Disbursements need all three, statements one.
    fx.ok(
        trustees_change(&[], &[], Some(policy(1, 3, 2, "0.1000", "0.5000"))),
        &[0, 1],
    );
    let err = fx.refused(disbursement("1.00"), &[0, 1], "quorum_not_met");
    assert_eq!(err, quorum("disbursement", 3, 2));
    let d = fx.ok(disbursement("1.00"), &[0, 1, 2]);
    // Its reversal needs the same three.
    let err = fx.refused(reversal(d), &[0, 1], "quorum_not_met");
    assert_eq!(err, quorum("reversal", 3, 2));
    fx.ok(reversal(d), &[0, 1, 2]);

    fx.at("2026-02-02T00:00:00Z");
    fx.ok(fx.statement("2026-01-01", "2026-01-31"), &[2]);
}

#[test]
fn reversal_quorum_is_that_of_the_reversed_kind() {
    let mut fx = Fixture::new();
    let don = fx.ok(donation("100.00"), &[0]);
    let dis = fx.ok(disbursement("30.00"), &[0, 1]);

    let err = fx.refused(reversal(dis), &[2], "quorum_not_met");
    assert_eq!(err, quorum("reversal", 2, 1));
    let applied = fx.apply(reversal(dis), &[1, 2]).unwrap();
    assert_eq!(applied.delta, money("30.00"));
    assert_eq!(applied.balance, money("100.00"));

    // A donation's reversal needs one signature, as the donation did.
    let applied = fx.apply(reversal(don), &[2]).unwrap();
    assert_eq!(applied.delta, money("-100.00"));
    assert_eq!(fx.state.balance(), money("0.00"));
}

// ---------------------------------------------------------------------------------------
// Trustee changes and policy
// ---------------------------------------------------------------------------------------

#[test]
fn policy_invalid_in_a_trustee_change() {
    let mut fx = Fixture::new();
    for bad in [
        policy(0, 2, 2, "0.1000", "0.5000"),
        policy(2, 0, 2, "0.1000", "0.5000"),
        policy(2, 2, 0, "0.1000", "0.5000"),
        policy(2, 2, 2, "0.3001", "0.3000"),
    ] {
        let err = fx.refused(
            trustees_change(&[], &[], Some(bad)),
            &[0, 1],
            "policy_invalid",
        );
        assert!(matches!(err, RuleError::PolicyInvalid(_)), "{err:?}");
    }

    // More than 32 trustees.
    let many: Vec<_> = (0..30).map(|i| outsider(&format!("many-{i}"))).collect();
    let refs: Vec<_> = many.iter().collect();
    fx.refused(trustees_change(&refs, &[], None), &[0, 1], "policy_invalid");
    fx.ok(trustees_change(&refs[..29], &[], None), &[0, 1]);
    assert_eq!(fx.state.trustees().len(), 32);

    // min = max is a valid (if strict) policy.
    fx.ok(
        trustees_change(&[], &[], Some(policy(1, 1, 1, "0.3000", "0.3000"))),
        &[0, 1],
    );
    assert_eq!(fx.state.policy().unwrap().governance_quorum, 1);
}

#[test]
fn quorum_unreachable_after_a_trustee_change() {
    let mut fx = Fixture::new();
    let (t0, t1) = (fx.trustees[0].clone(), fx.trustees[1].clone());

    let err = fx.refused(
        trustees_change(&[], &[&t0, &t1], None),
        &[0, 1],
        "quorum_unreachable",
    );
    assert_eq!(
        err,
        RuleError::QuorumUnreachable {
            trustees: 1,
            quorum: 2
        }
    );
    // A new policy that needs more than there are.
    let err = fx.refused(
        trustees_change(&[], &[], Some(policy(2, 4, 2, "0.1000", "0.5000"))),
        &[0, 1],
        "quorum_unreachable",
    );
    assert_eq!(
        err,
        RuleError::QuorumUnreachable {
            trustees: 3,
            quorum: 4
        }
    );
    // Removing two is fine when the policy lowers the quorum in the same change.
    let mut fx2 = Fixture::new();
    fx2.ok(
        trustees_change(&[], &[&t0, &t1], Some(policy(1, 1, 1, "0.1000", "0.5000"))),
        &[0, 1],
    );
    assert_eq!(fx2.state.trustees().len(), 1);

    // Removing one leaves two: enough.
    fx.ok(trustees_change(&[], &[&t0], None), &[0, 1]);
    assert_eq!(fx.state.trustees().len(), 2);
    fx.refused(
        trustees_change(&[], &[&t1], None),
        &[1, 2],
        "quorum_unreachable",
    );
}

#[test]
fn trustee_exists() {
    let mut fx = Fixture::new();
    let t1 = fx.trustees[1].clone();
    let new = outsider("new");

    let err = fx.refused(
        trustees_change(&[&t1], &[], None),
        &[0, 1],
        "trustee_exists",
    );
    assert_eq!(err, RuleError::TrusteeExists(public(&t1).to_hex()));
    // Listed twice in one change.
    fx.refused(
        trustees_change(&[&new, &new], &[], None),
        &[0, 1],
        "trustee_exists",
    );
    fx.ok(trustees_change(&[&new], &[], None), &[0, 1]);
    fx.refused(
        trustees_change(&[&new], &[], None),
        &[0, 1],
        "trustee_exists",
    );
    assert_eq!(fx.state.trustees().len(), 4);
}

#[test]
fn trustee_unknown() {
    let mut fx = Fixture::new();
    let stranger = outsider("x");
    let t2 = fx.trustees[2].clone();

    let err = fx.refused(
        trustees_change(&[], &[&stranger], None),
        &[0, 1],
        "trustee_unknown",
    );
    assert_eq!(err, RuleError::TrusteeUnknown(public(&stranger).to_hex()));
    // Removed twice in one change: the second time they are no longer a trustee.
    fx.refused(
        trustees_change(&[], &[&t2, &t2], None),
        &[0, 1],
        "trustee_unknown",
    );
    fx.ok(trustees_change(&[], &[&t2], None), &[0, 1]);
    fx.refused(
        trustees_change(&[], &[&t2], None),
        &[0, 1],
        "trustee_unknown",
    );
}

#[test]
fn trustee_change_empty() {
    let mut fx = Fixture::new();
    let err = fx.refused(
        trustees_change(&[], &[], None),
        &[0, 1],
        "trustee_change_empty",
    );
    assert_eq!(err, RuleError::TrusteeChangeEmpty);
    // A policy-only change is a change.
    fx.ok(
        trustees_change(&[], &[], Some(policy(2, 2, 2, "0.1000", "0.4000"))),
        &[0, 1],
    );
    assert_eq!(fx.state.policy().unwrap().share_rate_max, rate("0.4000"));
}

// ---------------------------------------------------------------------------------------
// Donations
// ---------------------------------------------------------------------------------------

#[test]
fn donor_commitment_missing() {
    let mut fx = Fixture::new();
    let mut d = resident();
    d.commitment = None;
    let err = fx.refused(donation_from("10.00", d), &[0], "donor_commitment_missing");
    assert_eq!(err, RuleError::DonorCommitmentMissing);
    let applied = fx.apply(donation_from("10.00", resident()), &[0]).unwrap();
    assert_eq!(applied.delta, money("10.00"));
}

#[test]
fn resident_named_only_with_consent() {
    let mut fx = Fixture::new();
    for consent in [None, Some(false)] {
        let mut d = resident();
        d.name = Some(text("王芳"));
        d.name_consent = consent;
        let err = fx.refused(
            donation_from("10.00", d),
            &[0],
            "resident_named_without_consent",
        );
        assert_eq!(err, RuleError::ResidentNamedWithoutConsent);
    }
    let mut d = resident();
    d.name = Some(text("王芳"));
    d.name_consent = Some(true);
    fx.ok(donation_from("10.00", d), &[0]);
    // Consent without a name is harmless.
    let mut d = resident();
    d.name_consent = Some(true);
    fx.ok(donation_from("10.00", d), &[0]);
    assert_eq!(fx.state.balance(), money("20.00"));
}

#[test]
fn enterprise_and_organisation_donors_must_be_named() {
    let mut fx = Fixture::new();
    for class in [DonorClass::Enterprise, DonorClass::Organisation] {
        let mut d = named(class, "示例食品有限公司");
        d.name = None;
        let err = fx.refused(donation_from("10.00", d), &[0], "donor_name_missing");
        assert_eq!(err, RuleError::DonorNameMissing);
        fx.ok(
            donation_from("10.00", named(class, "示例食品有限公司")),
            &[0],
        );
    }
    assert_eq!(fx.state.balance(), money("20.00"));
}

#[test]
fn anonymous_donor_cannot_be_named() {
    let mut fx = Fixture::new();
    let mut d = anonymous();
    d.name = Some(text("张伟"));
    let err = fx.refused(donation_from("10.00", d), &[0], "anonymous_donor_named");
    assert_eq!(err, RuleError::AnonymousDonorNamed);
    fx.ok(donation_from("10.00", anonymous()), &[0]);
}

// ---------------------------------------------------------------------------------------
// Agreements and revenue shares
// ---------------------------------------------------------------------------------------

#[test]
fn rate_out_of_policy_bounds_are_inclusive() {
    let mut fx = Fixture::new();
    let err = fx.refused(
        agreement("low", "0.0999", None, "2026-01-01", None),
        &[0, 1],
        "rate_out_of_policy",
    );
    assert_eq!(
        err,
        RuleError::RateOutOfPolicy {
            rate: "0.0999".into(),
            min: "0.1000".into(),
            max: "0.5000".into()
        }
    );
    fx.refused(
        agreement("high", "0.5001", None, "2026-01-01", None),
        &[0, 1],
        "rate_out_of_policy",
    );
    fx.ok(
        agreement("min", "0.1000", None, "2026-01-01", None),
        &[0, 1],
    );
    fx.ok(
        agreement("max", "0.5000", None, "2026-01-01", None),
        &[0, 1],
    );

    // A policy change moves the bounds.
    fx.ok(
        trustees_change(&[], &[], Some(policy(2, 2, 2, "0.0500", "0.6000"))),
        &[0, 1],
    );
    fx.ok(
        agreement("low", "0.0999", None, "2026-01-01", None),
        &[0, 1],
    );
    fx.ok(
        agreement("high", "0.5001", None, "2026-01-01", None),
        &[0, 1],
    );
    fx.ok(
        agreement("edge", "0.0500", None, "2026-01-01", None),
        &[0, 1],
    );
    let err = fx.refused(
        agreement("higher", "0.6001", None, "2026-01-01", None),
        &[0, 1],
        "rate_out_of_policy",
    );
    assert_eq!(
        err,
        RuleError::RateOutOfPolicy {
            rate: "0.6001".into(),
            min: "0.0500".into(),
            max: "0.6000".into()
        }
    );
    fx.refused(
        agreement("lower", "0.0499", None, "2026-01-01", None),
        &[0, 1],
        "rate_out_of_policy",
    );
}

#[test]
fn agreement_exists() {
    let mut fx = Fixture::new();
    fx.ok(
        agreement("edu", "0.1000", None, "2026-01-01", None),
        &[0, 1],
    );
    let err = fx.refused(
        agreement("edu", "0.2000", None, "2026-03-01", None),
        &[0, 1],
        "agreement_exists",
    );
    assert_eq!(err, RuleError::AgreementExists("edu".into()));
    fx.ok(
        agreement("edu-2", "0.2000", None, "2026-03-01", None),
        &[0, 1],
    );
}

#[test]
fn agreement_dates() {
    let mut fx = Fixture::new();
    let err = fx.refused(
        agreement("a", "0.1000", None, "2026-03-01", Some("2026-02-28")),
        &[0, 1],
        "agreement_dates",
    );
    assert_eq!(err, RuleError::AgreementDates);
    // One day is a valid agreement.
    fx.ok(
        agreement("a", "0.1000", None, "2026-03-01", Some("2026-03-01")),
        &[0, 1],
    );
    fx.ok(
        revenue_share("a", "2026-03-01", "2026-03-01", "100.00", "10.00"),
        &[0],
    );
}

#[test]
fn agreement_unknown() {
    let mut fx = Fixture::new();
    let err = fx.refused(
        revenue_share("edu", "2026-01-01", "2026-01-31", "100.00", "10.00"),
        &[0],
        "agreement_unknown",
    );
    assert_eq!(err, RuleError::AgreementUnknown("edu".into()));
    fx.ok(
        agreement("edu", "0.1000", None, "2026-01-01", None),
        &[0, 1],
    );
    fx.ok(
        revenue_share("edu", "2026-01-01", "2026-01-31", "100.00", "10.00"),
        &[0],
    );
}

#[test]
fn agreement_inactive_before_start_and_after_end() {
    let mut fx = Fixture::new();
    fx.ok(
        agreement("a", "0.1000", None, "2026-02-01", Some("2026-06-30")),
        &[0, 1],
    );
    for (from, to) in [
        ("2026-01-01", "2026-01-31"), // before the start
        ("2026-01-31", "2026-02-10"), // starts one day early
        ("2026-07-01", "2026-07-31"), // after the end
        ("2026-06-15", "2026-07-01"), // ends one day late
    ] {
        let err = fx.refused(
            revenue_share("a", from, to, "100.00", "10.00"),
            &[0],
            "agreement_inactive",
        );
        assert_eq!(err, RuleError::AgreementInactive("a".into()));
    }
    fx.ok(
        revenue_share("a", "2026-02-01", "2026-02-28", "100.00", "10.00"),
        &[0],
    );
    fx.ok(
        revenue_share("a", "2026-06-01", "2026-06-30", "100.00", "10.00"),
        &[0],
    );
    // Without an end, any later period is covered.
    fx.ok(agreement("b", "0.1000", None, "2026-02-01", None), &[0, 1]);
    fx.ok(
        revenue_share("b", "2030-12-01", "2030-12-31", "100.00", "10.00"),
        &[0],
    );
}

#[test]
fn period_not_whole_months_only_with_a_fixed_fee() {
    let mut fx = Fixture::new();
    fx.ok(
        agreement("fixed", "0.1000", Some("1800.00"), "2026-01-01", None),
        &[0, 1],
    );
    fx.ok(
        agreement("plain", "0.1000", None, "2026-01-01", None),
        &[0, 1],
    );
    for (from, to) in [
        ("2026-02-01", "2026-02-14"), // half a month
        ("2026-02-02", "2026-02-28"), // not from the 1st
        ("2026-02-01", "2026-02-27"), // not to the last day
        ("2026-01-15", "2026-02-14"), // a month's length, but not a calendar month
    ] {
        let err = fx.refused(
            revenue_share("fixed", from, to, "100.00", "1810.00"),
            &[0],
            "period_not_whole_months",
        );
        assert_eq!(err, RuleError::PeriodNotWholeMonths);
    }
    fx.ok(
        revenue_share("fixed", "2026-02-01", "2026-02-28", "100.00", "1810.00"),
        &[0],
    );
    // Without a fixed fee, half a month is fine.
    fx.ok(
        revenue_share("plain", "2026-02-01", "2026-02-14", "100.00", "10.00"),
        &[0],
    );
}

#[test]
fn revenue_share_amount_early_education_pattern() {
    let mut fx = Fixture::new();
    // 童萌之家: 1800.00 a month plus 10% of profit.
    fx.ok(
        agreement("tongmeng", "0.1000", Some("1800.00"), "2026-01-01", None),
        &[0, 1],
    );

    // 12345.65 × 0.1000 = 1234.565 → 1234.57 (half away from zero) + 1800.00.
    for wrong in ["3034.56", "3034.58", "1234.57", "1800.00"] {
        let err = fx.refused(
            revenue_share("tongmeng", "2026-01-01", "2026-01-31", "12345.65", wrong),
            &[0],
            "revenue_share_amount_mismatch",
        );
        assert_eq!(
            err,
            RuleError::RevenueShareAmount {
                expected: money("3034.57"),
                found: money(wrong)
            }
        );
    }
    let applied = fx
        .apply(
            revenue_share(
                "tongmeng",
                "2026-01-01",
                "2026-01-31",
                "12345.65",
                "3034.57",
            ),
            &[0],
        )
        .unwrap();
    assert_eq!(applied.delta, money("3034.57"));

    // Three months: the fixed fee three times, the share once on the period's base.
    let err = fx.refused(
        revenue_share(
            "tongmeng",
            "2026-02-01",
            "2026-04-30",
            "12345.65",
            "3034.57",
        ),
        &[0],
        "revenue_share_amount_mismatch",
    );
    assert_eq!(
        err,
        RuleError::RevenueShareAmount {
            expected: money("6634.57"),
            found: money("3034.57")
        }
    );
    fx.ok(
        revenue_share(
            "tongmeng",
            "2026-02-01",
            "2026-04-30",
            "12345.65",
            "6634.57",
        ),
        &[0],
    );

    // A loss month: base 0.00, only the fixed fee.
    fx.refused(
        revenue_share("tongmeng", "2026-05-01", "2026-05-31", "0.00", "1800.01"),
        &[0],
        "revenue_share_amount_mismatch",
    );
    fx.ok(
        revenue_share("tongmeng", "2026-05-01", "2026-05-31", "0.00", "1800.00"),
        &[0],
    );
    assert_eq!(fx.state.balance(), money("11469.14"));
}

#[test]
fn revenue_share_rounds_half_away_from_zero_once() {
    let mut fx = Fixture::new();
    fx.ok(
        agreement("cafe", "0.5000", None, "2026-01-01", None),
        &[0, 1],
    );
    fx.ok(
        agreement("ten", "0.1000", None, "2026-01-01", None),
        &[0, 1],
    );
    // 0.05 × 0.1000 = 0.005 → 0.01.
    fx.refused(
        revenue_share("ten", "2026-01-01", "2026-01-01", "0.05", "0.02"),
        &[0],
        "revenue_share_amount_mismatch",
    );
    fx.ok(
        revenue_share("ten", "2026-01-01", "2026-01-01", "0.05", "0.01"),
        &[0],
    );
    // 0.04 × 0.1000 = 0.004 → 0.00: no amount can be paid (an amount is > 0).
    let err = fx.refused(
        revenue_share("ten", "2026-01-02", "2026-01-02", "0.04", "0.01"),
        &[0],
        "revenue_share_amount_mismatch",
    );
    assert_eq!(
        err,
        RuleError::RevenueShareAmount {
            expected: money("0.00"),
            found: money("0.01")
        }
    );
    // 33333.33 × 0.5000 = 16666.665 → 16666.67.
    fx.refused(
        revenue_share("cafe", "2026-01-01", "2026-01-31", "33333.33", "16666.66"),
        &[0],
        "revenue_share_amount_mismatch",
    );
    fx.ok(
        revenue_share("cafe", "2026-01-01", "2026-01-31", "33333.33", "16666.67"),
        &[0],
    );
}

#[test]
fn period_already_paid_same_overlapping_adjacent_and_after_reversal() {
    let mut fx = Fixture::new();
    fx.ok(
        agreement("fixed", "0.1000", Some("1800.00"), "2026-01-01", None),
        &[0, 1],
    );
    fx.ok(
        agreement("plain", "0.1000", None, "2026-01-01", None),
        &[0, 1],
    );

    let feb = fx.ok(
        revenue_share("fixed", "2026-02-01", "2026-02-28", "100.00", "1810.00"),
        &[0],
    );
    let err = fx.refused(
        revenue_share("fixed", "2026-02-01", "2026-02-28", "100.00", "1810.00"),
        &[0],
        "period_already_paid",
    );
    assert_eq!(err, RuleError::PeriodAlreadyPaid(feb));
    // Jan–Feb and Feb–Mar overlap February.
    fx.refused(
        revenue_share("fixed", "2026-01-01", "2026-02-28", "100.00", "3610.00"),
        &[0],
        "period_already_paid",
    );
    fx.refused(
        revenue_share("fixed", "2026-02-01", "2026-03-31", "100.00", "3610.00"),
        &[0],
        "period_already_paid",
    );
    // Adjacent months are fine.
    fx.ok(
        revenue_share("fixed", "2026-01-01", "2026-01-31", "100.00", "1810.00"),
        &[0],
    );
    fx.ok(
        revenue_share("fixed", "2026-03-01", "2026-03-31", "100.00", "1810.00"),
        &[0],
    );
    // Another agreement's periods are its own.
    fx.ok(
        revenue_share("plain", "2026-02-10", "2026-02-20", "100.00", "10.00"),
        &[0],
    );
    // Day-level overlap without a fixed fee: one shared day is enough.
    for (from, to) in [
        ("2026-02-20", "2026-02-25"),
        ("2026-02-01", "2026-02-10"),
        ("2026-02-12", "2026-02-13"),
        ("2026-02-01", "2026-02-28"),
    ] {
        fx.refused(
            revenue_share("plain", from, to, "100.00", "10.00"),
            &[0],
            "period_already_paid",
        );
    }
    fx.ok(
        revenue_share("plain", "2026-02-21", "2026-02-28", "100.00", "10.00"),
        &[0],
    );
    fx.ok(
        revenue_share("plain", "2026-02-01", "2026-02-09", "100.00", "10.00"),
        &[0],
    );

    // After the February share is reversed, February can be paid again.
    let applied = fx.apply(reversal(feb), &[0]).unwrap();
    assert_eq!(applied.delta, money("-1810.00"));
    fx.ok(
        revenue_share("fixed", "2026-02-01", "2026-02-28", "200.00", "1820.00"),
        &[0],
    );
    fx.refused(
        revenue_share("fixed", "2026-02-01", "2026-02-28", "200.00", "1820.00"),
        &[0],
        "period_already_paid",
    );
}

#[test]
fn balance_overflow_in_revenue_share_arithmetic() {
    let mut fx = Fixture::new();
    fx.ok(
        trustees_change(&[], &[], Some(policy(2, 2, 2, "0.1000", "1.0000"))),
        &[0, 1],
    );
    fx.ok(
        agreement("all", "1.0000", Some("0.01"), "2026-01-01", None),
        &[0, 1],
    );
    // The largest base: base × 1.0000 is at the bound, the fixed fee goes beyond it.
    let err = fx.refused(
        revenue_share(
            "all",
            "2026-01-01",
            "2026-01-31",
            "1000000000000000.00",
            "1000000000.00",
        ),
        &[0],
        "balance_overflow",
    );
    assert_eq!(err, RuleError::Overflow);
    fx.ok(
        revenue_share(
            "all",
            "2026-01-01",
            "2026-01-31",
            "999999999.99",
            "1000000000.00",
        ),
        &[0],
    );
    assert_eq!(fx.state.balance(), money("1000000000.00"));
}

// ---------------------------------------------------------------------------------------
// Spaces and rentals
// ---------------------------------------------------------------------------------------

#[test]
fn space_exists_and_unknown() {
    let mut fx = Fixture::new();
    let err = fx.refused(
        rental(
            "room",
            "2026-01-08T02:00:00Z",
            "2026-01-08T03:00:00Z",
            "80.00",
        ),
        &[0],
        "space_unknown",
    );
    assert_eq!(err, RuleError::SpaceUnknown("room".into()));
    fx.ok(space("room", "80.00", &[]), &[0, 1]);
    let err = fx.refused(space("room", "60.00", &[]), &[0, 1], "space_exists");
    assert_eq!(err, RuleError::SpaceExists("room".into()));
    fx.ok(
        rental(
            "room",
            "2026-01-08T02:00:00Z",
            "2026-01-08T03:00:00Z",
            "80.00",
        ),
        &[0],
    );
}

#[test]
fn too_many_windows() {
    let mut fx = Fixture::new();
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let windows = |n: usize| -> Vec<_> {
        (0..n)
            .map(|i| {
                let h = i % 24;
                window(days[i / 24], &format!("{h:02}:00"), &format!("{h:02}:30"))
            })
            .collect()
    };
    let body = |id: &str, n: usize| {
        Body::Space(Space {
            space_id: space_id(id),
            name: text("共享教室"),
            kind: SpaceKind::Classroom,
            hourly_rate: amount("50.00"),
            community_hours: windows(n),
        })
    };
    let err = fx.refused(body("big", 65), &[0, 1], "too_many_windows");
    assert_eq!(err, RuleError::TooManyWindows(64));
    fx.ok(body("big", 64), &[0, 1]);
}

#[test]
fn rental_empty() {
    let mut fx = Fixture::new();
    fx.ok(space("room", "80.00", &[]), &[0, 1]);
    for (start, end) in [
        ("2026-01-08T02:00:00Z", "2026-01-08T02:00:00Z"),
        ("2026-01-08T03:00:00Z", "2026-01-08T02:00:00Z"),
    ] {
        let err = fx.refused(rental("room", start, end, "0.01"), &[0], "rental_empty");
        assert_eq!(err, RuleError::RentalEmpty);
    }
    // One second at 80.00/h is 0.0222… → 0.02.
    fx.ok(
        rental(
            "room",
            "2026-01-08T02:00:00Z",
            "2026-01-08T02:00:01Z",
            "0.02",
        ),
        &[0],
    );
}

#[test]
fn rental_too_long() {
    let mut fx = Fixture::new();
    fx.ok(space("hall", "1.00", &[]), &[0, 1]);
    let err = fx.refused(
        rental(
            "hall",
            "2026-01-01T00:00:00Z",
            "2026-02-01T00:00:01Z",
            "744.00",
        ),
        &[0],
        "rental_too_long",
    );
    assert_eq!(err, RuleError::RentalTooLong(31));
    // Exactly 31 days: 744 hours.
    fx.ok(
        rental(
            "hall",
            "2026-01-01T00:00:00Z",
            "2026-02-01T00:00:00Z",
            "744.00",
        ),
        &[0],
    );
}

#[test]
fn rental_amount_is_hourly_rate_times_hours_rounded() {
    let mut fx = Fixture::new();
    fx.ok(space("room", "80.00", &[]), &[0, 1]);
    fx.ok(space("odd", "33.33", &[]), &[0, 1]);

    // 90 minutes at 80.00/h = 120.00.
    let err = fx.refused(
        rental(
            "room",
            "2026-01-08T02:00:00Z",
            "2026-01-08T03:30:00Z",
            "120.01",
        ),
        &[0],
        "rental_amount_mismatch",
    );
    assert_eq!(
        err,
        RuleError::RentalAmount {
            expected: money("120.00"),
            found: money("120.01")
        }
    );
    fx.ok(
        rental(
            "room",
            "2026-01-08T02:00:00Z",
            "2026-01-08T03:30:00Z",
            "120.00",
        ),
        &[0],
    );
    // 100 minutes at 33.33/h = 55.55.
    fx.refused(
        rental(
            "odd",
            "2026-01-08T02:00:00Z",
            "2026-01-08T03:40:00Z",
            "55.56",
        ),
        &[0],
        "rental_amount_mismatch",
    );
    fx.ok(
        rental(
            "odd",
            "2026-01-08T02:00:00Z",
            "2026-01-08T03:40:00Z",
            "55.55",
        ),
        &[0],
    );
    // 10 minutes at 33.33/h = 5.555 → 5.56 (half away from zero).
    let err = fx.refused(
        rental(
            "odd",
            "2026-01-08T04:00:00Z",
            "2026-01-08T04:10:00Z",
            "5.55",
        ),
        &[0],
        "rental_amount_mismatch",
    );
    assert_eq!(
        err,
        RuleError::RentalAmount {
            expected: money("5.56"),
            found: money("5.55")
        }
    );
    fx.ok(
        rental(
            "odd",
            "2026-01-08T04:00:00Z",
            "2026-01-08T04:10:00Z",
            "5.56",
        ),
        &[0],
    );
    assert_eq!(fx.state.balance(), money("181.11"));
}

#[test]
fn rental_overlap_half_open_slots_and_reversal_frees() {
    let mut fx = Fixture::new();
    fx.ok(space("room", "80.00", &[]), &[0, 1]);
    fx.ok(space("other", "80.00", &[]), &[0, 1]);
    // Thursday 2026-01-08, 10:00–12:00 local.
    let first = fx.ok(
        rental(
            "room",
            "2026-01-08T02:00:00Z",
            "2026-01-08T04:00:00Z",
            "160.00",
        ),
        &[0],
    );
    for (start, end, amt) in [
        ("2026-01-08T02:00:00Z", "2026-01-08T04:00:00Z", "160.00"), // the same slot
        ("2026-01-08T03:00:00Z", "2026-01-08T05:00:00Z", "160.00"), // the end
        ("2026-01-08T01:00:00Z", "2026-01-08T02:00:01Z", "80.02"),  // one second in
        ("2026-01-08T03:59:59Z", "2026-01-08T05:00:00Z", "80.02"),  // one second in
        ("2026-01-08T02:30:00Z", "2026-01-08T03:00:00Z", "40.00"),  // inside
        ("2026-01-08T01:00:00Z", "2026-01-08T05:00:00Z", "320.00"), // around
    ] {
        let err = fx.refused(rental("room", start, end, amt), &[0], "rental_overlap");
        assert_eq!(err, RuleError::RentalOverlap(first));
    }
    // Touching slots [a,b) [b,c) and [z,a) are fine; another space is independent.
    fx.ok(
        rental(
            "room",
            "2026-01-08T04:00:00Z",
            "2026-01-08T05:00:00Z",
            "80.00",
        ),
        &[0],
    );
    fx.ok(
        rental(
            "room",
            "2026-01-08T01:00:00Z",
            "2026-01-08T02:00:00Z",
            "80.00",
        ),
        &[0],
    );
    fx.ok(
        rental(
            "other",
            "2026-01-08T02:00:00Z",
            "2026-01-08T04:00:00Z",
            "160.00",
        ),
        &[0],
    );
    // Reversing the first rental frees its slot.
    let applied = fx.apply(reversal(first), &[0]).unwrap();
    assert_eq!(applied.delta, money("-160.00"));
    assert_eq!(applied.balance, money("320.00"));
    fx.ok(
        rental(
            "room",
            "2026-01-08T02:30:00Z",
            "2026-01-08T03:30:00Z",
            "80.00",
        ),
        &[0],
    );
    fx.refused(
        rental(
            "room",
            "2026-01-08T02:00:00Z",
            "2026-01-08T04:00:00Z",
            "160.00",
        ),
        &[0],
        "rental_overlap",
    );
    fx.ok(
        rental(
            "room",
            "2026-01-08T02:00:00Z",
            "2026-01-08T02:30:00Z",
            "40.00",
        ),
        &[0],
    );
}

#[test]
fn rental_in_community_hours_uses_local_time() {
    let mut fx = Fixture::new();
    // Saturday 09:00–12:00 local = Saturday 01:00–04:00Z (2026-01-10 is a Saturday).
    fx.ok(
        space("room", "60.00", &[("sat", "09:00", "12:00")]),
        &[0, 1],
    );
    for (start, end, amt) in [
        ("2026-01-10T00:00:00Z", "2026-01-10T01:01:00Z", "61.00"),
        ("2026-01-10T03:59:00Z", "2026-01-10T05:00:00Z", "61.00"),
        ("2026-01-10T02:00:00Z", "2026-01-10T03:00:00Z", "60.00"),
        ("2026-01-09T16:00:00Z", "2026-01-10T16:00:00Z", "1440.00"), // the whole local day
    ] {
        let err = fx.refused(
            rental("room", start, end, amt),
            &[0],
            "rental_in_community_hours",
        );
        assert_eq!(err, RuleError::RentalInCommunityHours);
    }
    // Ending exactly when the window opens, starting exactly when it closes.
    fx.ok(
        rental(
            "room",
            "2026-01-10T00:00:00Z",
            "2026-01-10T01:00:00Z",
            "60.00",
        ),
        &[0],
    );
    fx.ok(
        rental(
            "room",
            "2026-01-10T04:00:00Z",
            "2026-01-10T05:00:00Z",
            "60.00",
        ),
        &[0],
    );
    // The same UTC hours on Friday are Friday local: free.
    fx.ok(
        rental(
            "room",
            "2026-01-09T01:00:00Z",
            "2026-01-09T04:00:00Z",
            "180.00",
        ),
        &[0],
    );
    // Saturday 01:00–04:00 *local* (Friday 17:00–20:00Z) is outside the window.
    fx.ok(
        rental(
            "room",
            "2026-01-09T17:00:00Z",
            "2026-01-09T20:00:00Z",
            "180.00",
        ),
        &[0],
    );
}

// ---------------------------------------------------------------------------------------
// Money out and reversals
// ---------------------------------------------------------------------------------------

#[test]
fn overdraft_disbursement_to_exactly_zero() {
    let mut fx = Fixture::new();
    let err = fx.refused(disbursement("0.01"), &[0, 1], "overdraft");
    assert_eq!(
        err,
        RuleError::Overdraft {
            balance: money("0.00")
        }
    );
    fx.ok(donation("100.00"), &[0]);
    let err = fx.refused(disbursement("100.01"), &[0, 1], "overdraft");
    assert_eq!(
        err,
        RuleError::Overdraft {
            balance: money("100.00")
        }
    );
    let applied = fx.apply(disbursement("100.00"), &[0, 1]).unwrap();
    assert_eq!(applied.delta, money("-100.00"));
    assert_eq!(applied.balance, money("0.00"));
    fx.refused(disbursement("0.01"), &[0, 1], "overdraft");
}

#[test]
fn overdraft_when_reversing_spent_money() {
    let mut fx = Fixture::new();
    let don = fx.ok(donation("100.00"), &[0]);
    fx.ok(disbursement("60.00"), &[0, 1]);
    let err = fx.refused(reversal(don), &[0], "overdraft");
    assert_eq!(
        err,
        RuleError::Overdraft {
            balance: money("40.00")
        }
    );
    // Once the fund holds enough again, the reversal goes through.
    fx.ok(donation("60.00"), &[0]);
    let applied = fx.apply(reversal(don), &[0]).unwrap();
    assert_eq!(applied.balance, money("0.00"));
}

#[test]
fn reversal_target_unknown_future_and_own_seq() {
    let mut fx = Fixture::new();
    let don = fx.ok(donation("10.00"), &[0]);
    let own = fx.state.next_seq();
    for target in [own, own + 1, 1_000_000, u64::MAX] {
        let err = fx.refused(reversal(target), &[0], "reversal_target_unknown");
        assert_eq!(err, RuleError::ReversalTargetUnknown(target));
    }
    fx.ok(reversal(don), &[0]);
}

#[test]
fn reversal_target_not_monetary() {
    let mut fx = Fixture::new();
    let a = fx.ok(
        agreement("edu", "0.1000", None, "2026-01-01", None),
        &[0, 1],
    );
    let s = fx.ok(space("room", "80.00", &[]), &[0, 1]);
    let t = fx.ok(trustees_change(&[&outsider("n")], &[], None), &[0, 1]);
    fx.at("2026-02-01T00:00:00Z");
    let st = fx.ok(fx.statement("2026-01-01", "2026-01-31"), &[0, 1]);
    for (seq, kind) in [
        (0, "genesis"),
        (a, "agreement"),
        (s, "space"),
        (t, "trustees"),
        (st, "statement"),
    ] {
        let err = fx.refused(reversal(seq), &[0, 1], "reversal_target_not_monetary");
        assert_eq!(err, RuleError::ReversalTargetNotMonetary { seq, kind });
    }
    let d = fx.ok(donation("1.00"), &[0]);
    fx.ok(reversal(d), &[0]);
}

#[test]
fn reversal_of_reversal_and_already_reversed() {
    let mut fx = Fixture::new();
    let don = fx.ok(donation("10.00"), &[0]);
    let rev = fx.ok(reversal(don), &[0]);
    assert_eq!(fx.state.balance(), money("0.00"));

    let err = fx.refused(reversal(rev), &[0], "reversal_of_reversal");
    assert_eq!(err, RuleError::ReversalOfReversal(rev));
    let err = fx.refused(reversal(don), &[0], "already_reversed");
    assert_eq!(err, RuleError::AlreadyReversed(don));

    // Each monetary kind can be reversed once.
    fx.ok(donation("500.00"), &[0]);
    let dis = fx.ok(disbursement("100.00"), &[0, 1]);
    fx.ok(reversal(dis), &[0, 1]);
    fx.refused(reversal(dis), &[0, 1], "already_reversed");
    assert_eq!(fx.state.balance(), money("500.00"));
}

// ---------------------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------------------

#[test]
fn statement_period_invalid() {
    let mut fx = Fixture::new();
    fx.ok(donation("10.00"), &[0]);
    fx.at("2026-03-02T00:00:00Z");
    let jan = fx.draft("2026-01-01", "2026-01-31");

    let mut s = jan.clone();
    s.period = period("2026-01-01", "2026-01-15");
    let err = fx.refused(Body::Statement(s), &[0, 1], "statement_period_invalid");
    assert_eq!(err, RuleError::StatementPeriodInvalid);
    let mut s = jan.clone();
    s.period = period("2026-01-05", "2026-02-28");
    fx.refused(Body::Statement(s), &[0, 1], "statement_period_invalid");
    // Before the fund's first month (genesis was in January 2026).
    let mut s = jan.clone();
    s.period = period("2025-12-01", "2025-12-31");
    fx.refused(Body::Statement(s), &[0, 1], "statement_period_invalid");
    let mut s = jan.clone();
    s.period = period("2025-12-01", "2026-01-31");
    fx.refused(Body::Statement(s), &[0, 1], "statement_period_invalid");
    assert_eq!(
        fx.state
            .draft_statement(&period("2025-12-01", "2025-12-31"))
            .unwrap_err(),
        RuleError::StatementPeriodInvalid
    );

    fx.ok(Body::Statement(jan), &[0, 1]);
}

#[test]
fn statement_period_open_until_the_period_has_ended() {
    let mut fx = Fixture::new();
    fx.ok(donation("10.00"), &[0]);
    // Last second of January, local time.
    fx.at("2026-01-31T15:59:59Z");
    let jan = fx.statement("2026-01-01", "2026-01-31");
    let err = fx.refused(jan.clone(), &[0, 1], "statement_period_open");
    assert_eq!(err, RuleError::StatementPeriodOpen);
    // A period reaching into the future is open as well.
    fx.at("2026-02-10T00:00:00Z");
    fx.ok(donation("5.00"), &[0]);
    let q1 = fx.statement("2026-01-01", "2026-03-31");
    fx.refused(q1, &[0, 1], "statement_period_open");
    // January closed at local midnight.
    fx.ok(jan, &[0, 1]);
}

#[test]
fn statement_mismatch_names_each_field() {
    let mut fx = Fixture::new();
    fx.at("2026-01-10T02:00:00Z");
    fx.ok(donation("1000.00"), &[0]); // 1
    fx.ok(
        agreement("edu", "0.1000", Some("1800.00"), "2026-01-01", None),
        &[0, 1],
    ); // 2
    fx.ok(space("room", "80.00", &[]), &[0, 1]); // 3
    fx.at("2026-02-02T02:00:00Z");
    fx.ok(
        revenue_share("edu", "2026-01-01", "2026-01-31", "12345.65", "3034.57"),
        &[0],
    ); // 4
    fx.ok(
        rental(
            "room",
            "2026-02-04T02:00:00Z",
            "2026-02-04T03:30:00Z",
            "120.00",
        ),
        &[1],
    ); // 5
    fx.ok(donation("200.00"), &[2]); // 6
    let small = fx.ok(donation("10.00"), &[0]); // 7
    fx.ok(reversal(small), &[0]); // 8
    fx.ok(disbursement("300.00"), &[0, 2]); // 9
    fx.at("2026-03-02T02:00:00Z");

    let good = fx.draft("2026-02-01", "2026-02-28");
    assert_eq!(good.through_seq, 9);
    assert_eq!(good.tree_size, 10);
    assert_eq!(good.root, fx.state.root());
    assert_eq!(good.opening, money("1000.00"));
    assert_eq!(good.inflows.donation, money("210.00"));
    assert_eq!(good.inflows.revenue_share, money("3034.57"));
    assert_eq!(good.inflows.rental, money("120.00"));
    assert_eq!(good.outflows.disbursement, money("300.00"));
    assert_eq!(good.reversals, money("-10.00"));
    assert_eq!(good.closing, money("4054.57"));
    assert_eq!(good.closing, fx.state.balance());
    assert_eq!(good.count, 6);

    let cent = money("0.01");
    let plus = |m: ledger_core::money::Money| m.checked_add(cent).unwrap();
    type Edit = fn(
        &mut ledger_core::body::Statement,
        &dyn Fn(ledger_core::money::Money) -> ledger_core::money::Money,
    );
    let edits: [(&str, Edit); 11] = [
        ("through_seq", |s, _| s.through_seq += 1),
        ("tree_size", |s, _| s.tree_size -= 1),
        ("root", |s, _| s.root = Hash([9; 32])),
        ("opening", |s, p| s.opening = p(s.opening)),
        ("inflows.donation", |s, p| {
            s.inflows.donation = p(s.inflows.donation)
        }),
        ("inflows.revenue_share", |s, p| {
            s.inflows.revenue_share = p(s.inflows.revenue_share)
        }),
        ("inflows.rental", |s, p| {
            s.inflows.rental = p(s.inflows.rental)
        }),
        ("outflows.disbursement", |s, p| {
            s.outflows.disbursement = p(s.outflows.disbursement)
        }),
        ("reversals", |s, p| s.reversals = p(s.reversals)),
        ("closing", |s, p| s.closing = p(s.closing)),
        ("count", |s, _| s.count += 1),
    ];
    for (field, edit) in edits {
        let mut s = good.clone();
        edit(&mut s, &plus);
        assert_ne!(s, good, "{field}: the edit changed nothing");
        let err = fx.refused(Body::Statement(s), &[0, 1], "statement_mismatch");
        match err {
            RuleError::StatementMismatch { field: f, .. } => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    // The error says what the figure should be.
    let mut s = good.clone();
    s.closing = money("4054.58");
    let err = fx.refused(Body::Statement(s), &[0, 1], "statement_mismatch");
    assert_eq!(
        err,
        RuleError::StatementMismatch {
            field: "closing",
            expected: "4054.57".into(),
            found: "4054.58".into()
        }
    );

    fx.ok(Body::Statement(good), &[0, 1]);
}

// ---------------------------------------------------------------------------------------
// A refusal leaves no trace in what later entries are checked against
// ---------------------------------------------------------------------------------------

/// The accepted entries, replayed as a verifier replays an export, must all apply: the
/// server's state after a refusal must be the state of its log.
fn assert_replays(fx: &Fixture) -> FundState {
    match fx.replay() {
        Ok(st) => {
            assert_eq!(st.head(), fx.state.head());
            assert_eq!(st.balance(), fx.state.balance());
            st
        }
        Err((seq, e)) => panic!(
            "the log the server accepted does not replay: seq {seq} refused with {} ({e})",
            e.code()
        ),
    }
}

#[test]
fn refused_entry_alone_in_a_month_leaves_statements_unchanged() {
    let mut fx = Fixture::new();
    fx.at("2026-01-10T02:00:00Z");
    fx.ok(donation("100.00"), &[0]); // seq 1
                                     // February's only attempt is refused.
    fx.at("2026-02-10T02:00:00Z");
    fx.refused(disbursement("500.00"), &[0, 1], "overdraft");
    fx.at("2026-03-02T02:00:00Z");

    // What a reader of the log (which has no February entry) computes.
    let reference = assert_replays(&fx);
    let expected = reference
        .draft_statement(&period("2026-02-01", "2026-02-28"))
        .unwrap();
    assert_eq!(expected.through_seq, 1);
    assert_eq!(expected.count, 0);

    let feb = fx.draft("2026-02-01", "2026-02-28");
    assert_eq!(
        feb, expected,
        "the refused entry changed February's figures"
    );
    fx.ok(Body::Statement(feb), &[0, 1]);
    assert_replays(&fx);
}

#[test]
fn refused_entry_in_a_later_month_does_not_capture_earlier_entries() {
    let mut fx = Fixture::new();
    fx.at("2026-01-10T02:00:00Z");
    fx.ok(donation("100.00"), &[0]);
    // An attempt stamped in March is refused ...
    fx.at("2026-03-01T01:00:00Z");
    fx.refused(disbursement("500.00"), &[0, 1], "overdraft");
    // ... then an entry stamped in February (later than the last accepted one) is accepted.
    fx.at("2026-02-20T02:00:00Z");
    fx.ok(donation("50.00"), &[0]);
    fx.at("2026-03-02T02:00:00Z");

    let feb = fx.draft("2026-02-01", "2026-02-28");
    assert_eq!(
        (feb.inflows.donation, feb.count, feb.closing),
        (money("50.00"), 1, money("150.00")),
        "February's donation must count in February"
    );
    fx.ok(Body::Statement(feb), &[0, 1]);
    assert_replays(&fx);
}
