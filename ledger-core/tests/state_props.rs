//! Properties of whole logs: generated funds verify clean and their balance is the sum of
//! the entries' signed effects, recomputed here without `FundState`; and on a fixture,
//! random donations, grants and reversals never leave a trace when refused.

mod support;

use ledger_core::body::Body;
use ledger_core::entry::Entry;
use ledger_core::error::Coded;
use ledger_core::money::{Amount, Money};
use ledger_core::sample::{build, SampleSpec};
use ledger_core::time::Period;
use ledger_core::verify::{verify_export, Expectations};
use proptest::prelude::*;
use support::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn sample_logs_verify_and_balance_recomputes(
        seed in any::<u64>(),
        n in 30_usize..300,
        months in 1_u32..24,
    ) {
        let fund = build(&SampleSpec::example("p", seed, n, months), "ledger.example").unwrap();
        prop_assert!(fund.lines.len() >= n);
        let report = verify_export(&fund.export().unwrap(), Expectations::default());
        prop_assert!(
            report.is_clean(),
            "{:#?}",
            &report.findings[..report.findings.len().min(5)]
        );
        prop_assert_eq!(report.entries, fund.lines.len() as u64);
        prop_assert_eq!(report.root, fund.root());

        // Signed effect of each seq, in fen, from the parsed entries alone.
        let mut effects: Vec<i64> = Vec::with_capacity(fund.lines.len());
        let mut balance: i64 = 0;
        for (i, line) in fund.lines.iter().enumerate() {
            let entry = Entry::parse(line).unwrap().entry;
            prop_assert_eq!(entry.seq, i as u64);
            let effect = match &entry.intent.body {
                Body::Donation(d) => d.amount.to_fen(),
                Body::RevenueShare(r) => r.amount.to_fen(),
                Body::Rental(r) => r.amount.to_fen(),
                Body::Disbursement(d) => -d.amount.to_fen(),
                Body::Reversal(r) => {
                    let target = r.reverses as usize;
                    prop_assert!(target < i, "seq {} reverses a later entry", i);
                    prop_assert!(effects[target] != 0, "seq {} reverses a non-monetary entry", i);
                    -effects[target]
                }
                _ => 0,
            };
            effects.push(effect);
            balance += effect;
            prop_assert!(balance >= 0, "balance {} fen after seq {}", balance, i);
        }
        let expected = Money::from_fen(balance).unwrap();
        prop_assert_eq!(fund.balance(), expected);
        prop_assert_eq!(report.balance, expected.to_string());
    }
}

/// One step of a random history on a fixture.
#[derive(Debug, Clone)]
enum Op {
    /// Donate this many fen.
    Donate(i64),
    /// Disburse this many fen.
    Disburse(i64),
    /// Reverse the entry at this index of the seqs so far (modulo their number), or a
    /// seq past the end.
    Reverse(usize),
    /// Move the clock forward by this many seconds (up to 20 days: months turn over).
    Wait(i64),
    /// A disbursement of this many fen signed by one trustee only (quorum is two).
    ShortQuorum(i64),
    /// A statement of the last whole month with its closing balance off by this many fen.
    BadStatement(i64),
    /// A donation whose idempotency key was used by the entry at this index (modulo).
    ReusedKey(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1_i64..100_000).prop_map(Op::Donate),
        4 => (1_i64..200_000).prop_map(Op::Disburse),
        2 => (0_usize..64).prop_map(Op::Reverse),
        1 => (1_i64..20 * 86_400).prop_map(Op::Wait),
        1 => (1_i64..100_000).prop_map(Op::ShortQuorum),
        1 => (1_i64..100).prop_map(Op::BadStatement),
        1 => (0_usize..64).prop_map(Op::ReusedKey),
    ]
}

fn yuan(fen: i64) -> String {
    Amount::from_fen(fen).unwrap().to_string()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn refused_operations_never_change_the_state(ops in proptest::collection::vec(op(), 1..40)) {
        let mut fx = Fixture::new();
        // The model: signed effect by seq, and which seqs were reversed.
        let mut effects: Vec<i64> = vec![0];
        let mut reversed: Vec<bool> = vec![false];
        let mut is_reversal: Vec<bool> = vec![false];
        let mut balance: i64 = 0;
        for op in ops {
            let (body, signers, effect): (Body, &[usize], i64) = match op {
                Op::Wait(s) => {
                    fx.advance(s);
                    continue;
                }
                Op::ShortQuorum(f) => {
                    let whole = fx.state.clone();
                    prop_assert!(fx.apply(disbursement(&yuan(f)), &[1]).is_err());
                    prop_assert!(fx.state == whole, "state changed by a refused disbursement");
                    continue;
                }
                Op::BadStatement(off) => {
                    // The last whole month before now, if the fund has one.
                    let now = fx.instant().local_date(fx.state.utc_offset());
                    let Some(last) = now.first_of_month().pred() else { continue };
                    let Ok(mut s) = fx.state.draft_statement(&Period::month_of(last)) else {
                        continue;
                    };
                    s.closing = s.closing.checked_add(Money::from_fen(off).unwrap()).unwrap();
                    let whole = fx.state.clone();
                    let result = fx.apply(Body::Statement(s), &[0, 1]);
                    prop_assert!(result.is_err(), "a statement off by {} fen was accepted", off);
                    prop_assert!(fx.state == whole, "state changed by a refused statement");
                    continue;
                }
                Op::ReusedKey(i) => {
                    let Some(e) = fx.log.get(i % fx.log.len().max(1)).cloned() else { continue };
                    let mut intent = fx.intent(donation("1.00"));
                    intent.key = e.intent.key.clone();
                    let entry = fx.seal(intent, &[&fx.trustees[0].clone()]);
                    let whole = fx.state.clone();
                    let result = fx.try_entry(entry);
                    prop_assert_eq!(result.err().map(|e| e.code()), Some("idempotency_key_reused"));
                    prop_assert!(fx.state == whole, "state changed by a reused key");
                    continue;
                }
                Op::Donate(f) => (donation(&yuan(f)), &[0], f),
                Op::Disburse(f) => (disbursement(&yuan(f)), &[0, 1], -f),
                Op::Reverse(i) => {
                    // Mostly existing seqs, sometimes the next one (unknown).
                    let target = i % (effects.len() + 1);
                    let e = effects.get(target).copied().unwrap_or(0);
                    let signers: &[usize] = if e < 0 { &[1, 2] } else { &[2] };
                    (reversal(target as u64), signers, -e)
                }
            };
            let before = fx.snapshot();
            let whole = fx.state.clone();
            let seq = fx.state.next_seq() as usize;
            let target = match &body {
                Body::Reversal(r) => Some(r.reverses as usize),
                _ => None,
            };
            // What the model says should happen.
            let expected_code = match target {
                Some(t) if t >= seq => Some("reversal_target_unknown"),
                Some(t) if is_reversal[t] => Some("reversal_of_reversal"),
                Some(t) if effects[t] == 0 => Some("reversal_target_not_monetary"),
                Some(t) if reversed[t] => Some("already_reversed"),
                _ if balance + effect < 0 => Some("overdraft"),
                _ => None,
            };
            match fx.apply(body, signers) {
                Ok(applied) => {
                    prop_assert_eq!(expected_code, None);
                    prop_assert_eq!(applied.delta.to_fen(), effect);
                    balance += effect;
                    prop_assert_eq!(applied.balance.to_fen(), balance);
                    prop_assert_eq!(fx.state.next_seq() as usize, seq + 1);
                    prop_assert_ne!(fx.state.head(), before.head);
                    effects.push(if target.is_some() { 0 } else { effect });
                    reversed.push(false);
                    is_reversal.push(target.is_some());
                    if let Some(t) = target {
                        reversed[t] = true;
                    }
                }
                Err(e) => {
                    prop_assert_eq!(Some(e.code()), expected_code, "{}", e);
                    prop_assert_eq!(&fx.snapshot(), &before);
                    prop_assert!(fx.state == whole, "state changed on refusal {}", e.code());
                }
            }
            prop_assert_eq!(fx.state.balance().to_fen(), balance);
        }
        // The log the fixture accepted replays to the same state.
        let replayed = fx.replay().map_err(|(seq, e)| {
            TestCaseError::fail(format!("seq {seq}: {} ({e})", e.code()))
        })?;
        prop_assert_eq!(replayed.head(), fx.state.head());
        prop_assert_eq!(replayed.root(), fx.state.root());
        prop_assert_eq!(replayed.balance(), fx.state.balance());
    }
}
