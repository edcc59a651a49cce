//! Smoke test: a sample fund appended through the ledger into a real SQLite file.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use ledger_api::ledger::{Clock, Ledger};
use ledger_api::store::{AppendOutcome, Store, VaultKey};
use ledger_core::entry::Entry;
use ledger_core::keys::PublicKey;
use ledger_core::sample::{build, SampleSpec};
use ledger_core::time::Instant;

#[tokio::test]
async fn sample_fund_round_trips_through_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ledger.db").display());
    let store = Arc::new(
        Store::open_with_vault(&url, VaultKey::from_bytes(&[0x5a; 32]))
            .await
            .unwrap(),
    );
    let fund = build(&SampleSpec::example("smoke", 1, 300, 12), "ledger.example").unwrap();
    let operator = PublicKey::from_verifying_key(fund.keys.operator.verifying_key());
    let now = Arc::new(AtomicI64::new(0));
    let n = now.clone();
    let clock: Clock =
        Arc::new(move || Instant::from_unix_seconds(n.load(Ordering::SeqCst)).unwrap());
    let ledger = Ledger::start(
        store.clone(),
        fund.keys.log.clone(),
        operator,
        "ledger.example".into(),
        clock,
    )
    .await
    .unwrap();
    for line in &fund.lines {
        let parsed = Entry::parse(line).unwrap();
        now.store(parsed.entry.recorded_at.unix_seconds(), Ordering::SeqCst);
        let out = ledger
            .append(
                "smoke",
                parsed.intent_bytes.clone(),
                parsed.entry.sigs.clone(),
                None,
            )
            .await
            .unwrap();
        assert!(matches!(out, AppendOutcome::Appended(_)));
    }
    let f = store.fund("smoke").await.unwrap().unwrap();
    assert_eq!(f.size, 300);
    // Same clock, same bytes: the stored log is the sample, byte for byte.
    for (i, line) in fund.lines.iter().enumerate() {
        assert_eq!(
            &store.entry("smoke", i as u64).await.unwrap().unwrap().bytes,
            line
        );
    }
    let state = store.load_state(&f).await.unwrap();
    assert_eq!(state.balance(), fund.balance());
    let proof = store.inclusion_proof("smoke", 17, 300).await.unwrap();
    let root = store.root_at("smoke", 300).await.unwrap();
    assert_eq!(root, state.root());
    let leaf = store.entry("smoke", 17).await.unwrap().unwrap().hash;
    ledger_core::merkle::verify_inclusion(&leaf, 17, 300, &proof, &root).unwrap();
}
