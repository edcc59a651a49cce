//! Rule tests for corrections (更正说明: `reversal.correction`, `corrects`,
//! `statement.supersedes`) and supervisors (监督员: genesis and trustee changes, the
//! `opinion` kind): every new code, refused and accepted, and a refusal changes nothing
//! (`Fixture::refused` checks the whole state). FORMAT.md §5.

mod support;

use ed25519_dalek::SigningKey;
use ledger_core::body::{Body, HostCharity, Opinion, Supervisor, Verdict};
use ledger_core::sample::sample_uscc;
use support::*;

/// The key of the fixture's supervisor.
fn supervisor_key() -> SigningKey {
    outsider("fixture/supervisor")
}

fn supervisor(k: &SigningKey, name: &str) -> Supervisor {
    Supervisor {
        key: public(k),
        name: text(name),
    }
}

/// The standard fund, its genesis naming `supervisors` and a host charity.
fn fund_with(supervisors: Vec<Supervisor>) -> Result<Fixture, ledger_core::rules::RuleError> {
    let mut fx = Fixture::empty();
    fx.at(GENESIS_AT);
    let mut g = fx.genesis_body();
    if let Body::Genesis(g) = &mut g {
        g.supervisors = supervisors;
        g.host = Some(HostCharity {
            name: text("示例慈善会"),
            uscc: sample_uscc(7, 1).unwrap(),
        });
    }
    let e = fx.entry_by(g, &[&fx.operator.clone()]);
    fx.try_entry(e)?;
    Ok(fx)
}

/// A fund with one supervisor, a donation (seq 1) in January and January's statement
/// (seq 2) recorded on 1 February.
fn supervised() -> Fixture {
    let mut fx = fund_with(vec![supervisor(&supervisor_key(), "监督员甲")]).unwrap();
    fx.ok(donation("500.00"), &[0]);
    fx.at("2026-02-01T02:00:00Z");
    let s = fx.statement("2026-01-01", "2026-01-31");
    fx.ok(s, &[0, 1]);
    fx
}

fn opinion(statement: u64, verdict: Verdict, reasons: Option<&str>) -> Body {
    Body::Opinion(Opinion {
        statement,
        verdict,
        reasons: reasons.map(long_text),
    })
}

fn correcting_reversal(seq: u64) -> Body {
    match reversal(seq) {
        Body::Reversal(mut r) => {
            r.correction = Some(long_text(
                "更正说明：收据金额为 600.00 元，误录为 500.00 元，冲正后按收据重新登记。",
            ));
            Body::Reversal(r)
        }
        _ => unreachable!(),
    }
}

fn corrected_donation(amt: &str, corrects: u64) -> Body {
    match donation(amt) {
        Body::Donation(mut d) => {
            d.corrects = Some(corrects);
            Body::Donation(d)
        }
        _ => unreachable!(),
    }
}

fn superseding(mut s: Body, target: u64) -> Body {
    if let Body::Statement(st) = &mut s {
        st.supersedes = Some(target);
    }
    s
}

#[test]
fn a_correction_with_its_note_and_the_corrected_statement_are_accepted_and_replay() {
    let mut fx = supervised();
    let note = fx.ok(correcting_reversal(1), &[0]);
    let again = fx.ok(corrected_donation("600.00", 1), &[0]);
    assert_eq!(fx.state.balance(), money("600.00"));
    // January's figures are as recorded in January (the correction counts in February,
    // the month it is recorded in); the corrected statement re-signs them and names the
    // statement it supersedes.
    let jan = superseding(fx.statement("2026-01-01", "2026-01-31"), 2);
    let corrected = fx.ok(jan, &[0, 1]);
    assert_eq!((note, again, corrected), (3, 4, 5));
    let e = fx.entry_by(
        opinion(corrected, Verdict::Agree, None),
        &[&supervisor_key()],
    );
    fx.try_entry(e)
        .expect("the supervisor's opinion on the corrected statement");
    let replayed = fx.replay().expect("a verifier replays the log");
    assert!(replayed == fx.state);
}

#[test]
fn corrects_must_name_an_earlier_entry() {
    let mut fx = supervised();
    fx.refused(
        corrected_donation("600.00", 99),
        &[0],
        "correction_target_unknown",
    );
    // Its own seq is not earlier either.
    let own = fx.state.next_seq();
    fx.refused(
        corrected_donation("600.00", own),
        &[0],
        "correction_target_unknown",
    );
}

#[test]
fn corrects_must_name_an_entry_of_its_own_kind() {
    let mut fx = supervised();
    fx.ok(correcting_reversal(1), &[0]);
    let Body::Disbursement(mut d) = disbursement("100.00") else {
        unreachable!()
    };
    d.corrects = Some(1);
    fx.refused(Body::Disbursement(d), &[0, 1], "correction_kind_mismatch");
}

#[test]
fn corrects_needs_a_reversal_with_a_correction_note() {
    let mut fx = supervised();
    // Not reversed at all.
    fx.refused(
        corrected_donation("600.00", 1),
        &[0],
        "correction_not_reversed",
    );
    // Reversed without a 更正说明: a plain reversal is not a correction.
    fx.ok(reversal(1), &[0]);
    fx.refused(
        corrected_donation("600.00", 1),
        &[0],
        "correction_not_reversed",
    );
}

#[test]
fn an_entry_is_corrected_once() {
    let mut fx = supervised();
    fx.ok(correcting_reversal(1), &[0]);
    fx.ok(corrected_donation("600.00", 1), &[0]);
    fx.refused(corrected_donation("600.00", 1), &[0], "already_corrected");
}

#[test]
fn supersedes_must_name_an_earlier_statement() {
    let mut fx = supervised();
    let jan = fx.statement("2026-01-01", "2026-01-31");
    // A donation is not a statement; nor is a seq not yet written.
    fx.refused(
        superseding(jan.clone(), 1),
        &[0, 1],
        "supersedes_not_statement",
    );
    fx.refused(superseding(jan, 50), &[0, 1], "supersedes_not_statement");
}

#[test]
fn a_statement_is_superseded_once_and_by_one_of_its_period() {
    let mut fx = supervised();
    fx.ok(donation("20.00"), &[0]);
    fx.at("2026-03-01T02:00:00Z");
    let feb = superseding(fx.statement("2026-02-01", "2026-02-28"), 2);
    fx.refused(feb, &[0, 1], "supersedes_period_mismatch");
    let corrected = fx.ok(
        superseding(fx.statement("2026-01-01", "2026-01-31"), 2),
        &[0, 1],
    );
    let again = superseding(fx.statement("2026-01-01", "2026-01-31"), 2);
    fx.refused(again, &[0, 1], "already_superseded");
    // The corrected statement itself may be superseded in turn.
    fx.ok(
        superseding(fx.statement("2026-01-01", "2026-01-31"), corrected),
        &[0, 1],
    );
    // The figures are still checked: a corrected statement that does not add up is refused.
    let Body::Statement(mut bad) = fx.statement("2026-01-01", "2026-01-31") else {
        unreachable!()
    };
    bad.count += 1;
    fx.refused(Body::Statement(bad), &[0, 1], "statement_mismatch");
}

#[test]
fn a_supervisor_signs_opinions_agreeing_or_disagreeing_with_reasons() {
    let mut fx = supervised();
    let sup = supervisor_key();
    let e = fx.entry_by(opinion(2, Verdict::Agree, None), &[&sup]);
    fx.try_entry(e).expect("an agreeing opinion");
    let e = fx.entry_by(
        opinion(2, Verdict::Disagree, Some("一笔支出缺少发票。")),
        &[&sup],
    );
    fx.try_entry(e).expect("a disagreeing opinion with reasons");
    assert_eq!(
        fx.state.balance(),
        money("500.00"),
        "an opinion moves no money"
    );
}

#[test]
fn only_a_supervisor_signs_an_opinion() {
    let mut fx = supervised();
    // A trustee is not a supervisor.
    fx.refused(
        opinion(2, Verdict::Agree, None),
        &[0],
        "opinion_signer_not_supervisor",
    );
    // Nor is a stranger, alone or beside the supervisor.
    let stranger = outsider("someone");
    let e = fx.entry_by(opinion(2, Verdict::Agree, None), &[&stranger]);
    fx.refused_entry(e, "opinion_signer_not_supervisor");
    let e = fx.entry_by(
        opinion(2, Verdict::Agree, None),
        &[&supervisor_key(), &stranger],
    );
    fx.refused_entry(e, "opinion_signer_not_supervisor");
}

#[test]
fn an_opinion_is_on_an_earlier_statement() {
    let mut fx = supervised();
    let sup = supervisor_key();
    for target in [1, 0, 2_000] {
        let e = fx.entry_by(opinion(target, Verdict::Agree, None), &[&sup]);
        fx.refused_entry(e, "opinion_target_not_statement");
    }
}

#[test]
fn disagreeing_needs_reasons() {
    let mut fx = supervised();
    let e = fx.entry_by(opinion(2, Verdict::Disagree, None), &[&supervisor_key()]);
    fx.refused_entry(e, "opinion_reasons_missing");
}

/// A supervisor's signature never counts towards a quorum: on any other kind it is an
/// unknown signer, and the entry is refused (not accepted with the signature ignored).
#[test]
fn a_supervisor_signature_on_a_quorum_kind_is_refused() {
    let mut fx = supervised();
    let sup = supervisor_key();
    let t0 = fx.trustees[0].clone();
    // Disbursement quorum 2: one trustee and the supervisor are not two trustees.
    let e = fx.entry_by(disbursement("100.00"), &[&t0, &sup]);
    fx.refused_entry(e, "unknown_signer");
    // Nor can the supervisor sign a statement or a donation.
    let s = fx.statement("2026-01-01", "2026-01-31");
    let t1 = fx.trustees[1].clone();
    let e = fx.entry_by(s, &[&t0, &t1, &sup]);
    fx.refused_entry(e, "unknown_signer");
    let e = fx.entry_by(donation("1.00"), &[&sup]);
    fx.refused_entry(e, "unknown_signer");
}

#[test]
fn a_key_is_never_both_trustee_and_supervisor() {
    let fx = Fixture::empty();
    let t0 = fx.trustees[0].clone();
    let err = fund_with(vec![supervisor(&t0, "管理人兼监督员")]).err();
    assert_eq!(
        err.map(|e| ledger_core::error::Coded::code(&e)),
        Some("supervisor_is_trustee")
    );

    let mut fx = supervised();
    // Adding a trustee who is a supervisor.
    let change = match trustees_change(&[&supervisor_key()], &[], None) {
        Body::Trustees(c) => Body::Trustees(c),
        _ => unreachable!(),
    };
    fx.refused(change, &[0, 1], "supervisor_is_trustee");
    // Adding a supervisor who is a trustee.
    let Body::Trustees(mut c) = trustees_change(&[], &[], None) else {
        unreachable!()
    };
    c.supervisors_add = vec![supervisor(&t0, "管理人兼监督员")];
    fx.refused(Body::Trustees(c), &[0, 1], "supervisor_is_trustee");
}

#[test]
fn supervisors_change_by_governance_quorum() {
    let mut fx = supervised();
    let sup = supervisor_key();
    let other = outsider("fixture/supervisor-2");
    // Twice the same supervisor, or one already there.
    let Body::Trustees(mut c) = trustees_change(&[], &[], None) else {
        unreachable!()
    };
    c.supervisors_add = vec![supervisor(&sup, "监督员甲")];
    fx.refused(Body::Trustees(c.clone()), &[0, 1], "supervisor_exists");
    c.supervisors_add = vec![supervisor(&other, "乙"), supervisor(&other, "乙")];
    fx.refused(Body::Trustees(c.clone()), &[0, 1], "supervisor_exists");
    // Removing one who is not a supervisor.
    c.supervisors_add = Vec::new();
    c.supervisors_remove = vec![public(&other)];
    fx.refused(Body::Trustees(c.clone()), &[0, 1], "supervisor_unknown");
    // One trustee is not the governance quorum.
    c.supervisors_remove = vec![public(&sup)];
    c.supervisors_add = vec![supervisor(&other, "监督员乙")];
    fx.refused(Body::Trustees(c.clone()), &[0], "quorum_not_met");
    fx.ok(Body::Trustees(c), &[0, 1]);
    assert_eq!(fx.state.supervisors().len(), 1);
    // The removed supervisor may no longer sign an opinion; the new one may.
    let e = fx.entry_by(opinion(2, Verdict::Agree, None), &[&sup]);
    fx.refused_entry(e, "opinion_signer_not_supervisor");
    let e = fx.entry_by(opinion(2, Verdict::Agree, None), &[&other]);
    fx.try_entry(e).expect("the new supervisor's opinion");
    // A change of the host charity alone is a change.
    let Body::Trustees(mut c) = trustees_change(&[], &[], None) else {
        unreachable!()
    };
    c.host = Some(HostCharity {
        name: text("另一慈善会"),
        uscc: sample_uscc(7, 2).unwrap(),
    });
    fx.ok(Body::Trustees(c), &[0, 1]);
    assert_eq!(fx.state.host().map(|h| h.name.as_str()), Some("另一慈善会"));
    assert!(fx.replay().expect("replays") == fx.state);
}
