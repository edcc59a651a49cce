//! The store on both backends: every test runs the same body on a fresh SQLite file and,
//! when `LEDGER_TEST_POSTGRES_URL` is set, on a fresh PostgreSQL database (see
//! `support/mod.rs`); assertion messages name the backend.
//!
//! Covered: the append path (bytes, head, root, balance, reopening, checkpoints, the
//! export), group commit, idempotency (replays, conflicts, retry storms), refusals that
//! must write nothing, reads (paging, entries, inclusion and consistency proofs at past
//! sizes against `MemoryTree`), append-only enforcement by the database itself (triggers,
//! and on PostgreSQL the service role's grants), and two stores sharing one PostgreSQL
//! fund as two server processes would.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use ledger_api::ledger::{AppendFailure, DraftFailure, Ledger};
use ledger_api::store::{
    AppendOutcome, AppendRequest, GroupPart, LogSigner, ProofError, Rejection, Store, PAGE_ROWS_MAX,
};
use ledger_core::body::{Body, Disbursement, Kind, Party, PartyClass};
use ledger_core::checkpoint::Checkpoint;
use ledger_core::entry::{Entry, EntryError, Intent, Sig};
use ledger_core::export::{CheckpointLine, Header, EXPORT_FORMAT};
use ledger_core::hash::{leaf_hash, Hash};
use ledger_core::ids::{FundId, IdempotencyKey};
use ledger_core::keys::PublicKey;
use ledger_core::merkle::{verify_consistency, verify_inclusion, MemoryTree, MerkleError};
use ledger_core::money::Amount;
use ledger_core::rules::RuleError;
use ledger_core::sample::{build, key_from_label, SampleFund, SampleSpec};
use ledger_core::state::FundState;
use ledger_core::text::ShortText;
use ledger_core::time::{Date, Instant, Period};
use ledger_core::verify::{verify_export, Expectations};
use sqlx::{Connection, Row};

use support::{
    append_sample, backends, counts, current_trustee, donation_signed_by, pg_url_with_user,
    signed_donation, start_ledger, PinnedClock, ORIGIN,
};

/// Builds a sample fund for a test (ids differ per test only for readability).
fn sample(id: &str, seed: u64, entries: usize, months: u32) -> SampleFund {
    build(&SampleSpec::example(id, seed, entries, months), ORIGIN).expect("sample builds")
}

/// A store on `url` with a ledger over it, the sample appended, and the clock moved a
/// minute past the sample's last entry (so new intents may be signed "now").
async fn loaded(url: &str, fund: &SampleFund) -> (Arc<Store>, Arc<Ledger>, PinnedClock) {
    let store = Arc::new(support::open_store(url).await.expect("store opens"));
    let clock = PinnedClock::new(0);
    let ledger = start_ledger(store.clone(), fund, &clock).await;
    append_sample(&ledger, fund, &clock).await;
    clock.set(clock.get() + 60);
    (store, ledger, clock)
}

/// The export built exactly as `api/routes.rs::export` builds it: header, entries read a
/// page at a time up to the latest checkpoint's size, the checkpoint line.
async fn export_like_routes(ledger: &Ledger, fund: &str) -> Vec<u8> {
    let store = ledger.store();
    let f = store.fund(fund).await.unwrap().expect("fund exists");
    let (size, note) = store
        .latest_checkpoint(fund)
        .await
        .unwrap()
        .expect("a checkpoint");
    let header = Header {
        format: EXPORT_FORMAT.into(),
        fund: FundId::parse(fund).unwrap(),
        origin: format!("{}/{}", ledger.origin(), fund),
        log_key: ledger.log_key().verifier().to_vkey(),
        operator_key: PublicKey::from_hex(&f.operator_key).unwrap(),
    };
    let mut out = header.to_line();
    out.push(b'\n');
    let mut from = 0u64;
    while from < size {
        let limit = PAGE_ROWS_MAX.min((size - from) as i64);
        let rows = store.entries(fund, from, limit).await.unwrap();
        let Some(last) = rows.last() else { break };
        from = last.seq + 1;
        for r in &rows {
            out.extend_from_slice(&r.bytes);
            out.push(b'\n');
        }
    }
    out.extend_from_slice(&CheckpointLine { checkpoint: note }.to_line());
    out.push(b'\n');
    out
}

/// Every row of the log's tables, rendered as text, in key order: to show that a refused
/// statement changed nothing.
async fn snapshot(store: &Store) -> Vec<String> {
    let mut out = Vec::new();
    let rows = sqlx::query(
        "SELECT fund, seq, hash, kind, delta_fen, balance_fen, recorded_at, idem_key, \
         intent_hash, bytes FROM entries ORDER BY fund, seq",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    for r in &rows {
        out.push(format!(
            "entry {} {} {} {} {} {} {} {} {} {}",
            r.get::<String, _>(0),
            r.get::<i64, _>(1),
            hex::encode(r.get::<Vec<u8>, _>(2)),
            r.get::<String, _>(3),
            r.get::<i64, _>(4),
            r.get::<i64, _>(5),
            r.get::<String, _>(6),
            r.get::<String, _>(7),
            hex::encode(r.get::<Vec<u8>, _>(8)),
            hex::encode(r.get::<Vec<u8>, _>(9)),
        ));
    }
    let rows =
        sqlx::query("SELECT fund, level, idx, hash FROM tree_nodes ORDER BY fund, level, idx")
            .fetch_all(store.pool())
            .await
            .unwrap();
    for r in &rows {
        out.push(format!(
            "node {} {} {} {}",
            r.get::<String, _>(0),
            r.get::<i64, _>(1),
            r.get::<i64, _>(2),
            hex::encode(r.get::<Vec<u8>, _>(3)),
        ));
    }
    let rows =
        sqlx::query("SELECT fund, tree_size, root, note FROM checkpoints ORDER BY fund, tree_size")
            .fetch_all(store.pool())
            .await
            .unwrap();
    for r in &rows {
        out.push(format!(
            "checkpoint {} {} {} {:?}",
            r.get::<String, _>(0),
            r.get::<i64, _>(1),
            hex::encode(r.get::<Vec<u8>, _>(2)),
            r.get::<String, _>(3),
        ));
    }
    let rows = sqlx::query(
        "SELECT id, operator_key, created_at, head_seq, head_hash FROM funds ORDER BY id",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    for r in &rows {
        out.push(format!(
            "fund {} {} {} {} {}",
            r.get::<String, _>(0),
            r.get::<String, _>(1),
            r.get::<String, _>(2),
            r.get::<i64, _>(3),
            hex::encode(r.get::<Vec<u8>, _>(4)),
        ));
    }
    out
}

/// A disbursement of `fen` signed by `signers`.
fn disbursement(
    fund: &SampleFund,
    key: &str,
    fen: i64,
    clock: &PinnedClock,
    signers: &[&ed25519_dalek::SigningKey],
) -> (Vec<u8>, Vec<Sig>) {
    let intent = Intent {
        fund: FundId::parse(&fund.spec.fund).unwrap(),
        body: Body::Disbursement(Disbursement {
            amount: Amount::from_fen(fen).unwrap(),
            payee: Party {
                name: ShortText::parse("示例社会服务中心").unwrap(),
                class: PartyClass::Organisation,
            },
            purpose: ShortText::parse("社区微更新").unwrap(),
            project: ShortText::parse("小区花园改造").unwrap(),
            invoice_no: ShortText::parse(&format!("INV-{key}")).unwrap(),
            corrects: None,
            restriction: None,
        }),
        key: IdempotencyKey::parse(key).unwrap(),
        signed_at: clock.instant(),
    };
    let mut sigs: Vec<Sig> = signers.iter().map(|k| intent.sign(k)).collect();
    sigs.sort_by_key(|s| s.key);
    (intent.canonical_bytes(), sigs)
}

/// The sample's keys that are trustees at its end.
fn serving_trustees(fund: &SampleFund) -> Vec<&ed25519_dalek::SigningKey> {
    fund.keys
        .trustees
        .iter()
        .filter(|k| {
            fund.state
                .trustees()
                .contains_key(&PublicKey::from_verifying_key(k.verifying_key()))
        })
        .collect()
}

fn appended_seq(backend: &str, what: &str, out: Result<AppendOutcome, AppendFailure>) -> u64 {
    match out {
        Ok(AppendOutcome::Appended(row)) => row.seq,
        other => panic!("{backend}: {what}: expected Appended, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// The append path
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn append_path_stores_the_sample_byte_for_byte() {
    let fund = sample("append-path", 11, 300, 12);
    let id = fund.spec.fund.as_str();
    let vkey = fund.keys.log.verifier();
    let operator = PublicKey::from_verifying_key(fund.keys.operator.verifying_key());
    for db in backends().await {
        let b = db.name;
        let (store, ledger, clock) = loaded(&db.url, &fund).await;

        let f = store.fund(id).await.unwrap().expect("fund row");
        assert_eq!(f.size, 300, "{b}: size");
        assert_eq!(f.head_hash, fund.state.head(), "{b}: head");
        assert_eq!(f.operator_key, operator.to_hex(), "{b}: operator key");
        for (i, line) in fund.lines.iter().enumerate() {
            let row = store.entry(id, i as u64).await.unwrap().expect("entry");
            assert_eq!(&row.bytes, line, "{b}: bytes of entry {i}");
            assert_eq!(row.hash, leaf_hash(line), "{b}: hash column of entry {i}");
        }
        assert_eq!(
            store.root_at(id, 300).await.unwrap(),
            fund.root(),
            "{b}: root"
        );
        let last = store.entry(id, 299).await.unwrap().unwrap();
        assert_eq!(
            last.balance_fen,
            fund.balance().to_fen(),
            "{b}: balance column"
        );
        assert_eq!(
            counts(&store).await.donor_vault as usize,
            fund.vault.len(),
            "{b}: a vault row per resident donation"
        );

        // The latest checkpoint: signed by the log key, covering the whole tree; the same
        // bytes as the sample's own checkpoint (Ed25519 signatures are deterministic).
        let (size, note) = store
            .latest_checkpoint(id)
            .await
            .unwrap()
            .expect("checkpoint");
        assert_eq!(size, 300, "{b}: checkpoint size");
        let cp = Checkpoint::open(&note, &vkey)
            .unwrap_or_else(|e| panic!("{b}: checkpoint does not open: {e}"));
        assert_eq!(cp.tree_size, 300, "{b}: checkpoint tree size");
        assert_eq!(cp.root, fund.root(), "{b}: checkpoint root");
        assert_eq!(cp.origin, fund.origin, "{b}: checkpoint origin");
        assert_eq!(
            note,
            fund.checkpoint_note().unwrap(),
            "{b}: checkpoint note"
        );

        // The export, as the route streams it, verifies clean and is the sample's export.
        let export = export_like_routes(&ledger, id).await;
        let report = verify_export(
            &export,
            Expectations {
                log_key: Some(vkey.to_vkey()),
                operator_key: Some(operator),
            },
        );
        assert!(
            report.is_clean(),
            "{b}: export findings: {:?}",
            report.findings
        );
        assert_eq!(report.entries, 300, "{b}: export entries");
        assert_eq!(report.root, fund.root(), "{b}: export root");
        assert_eq!(
            report.balance,
            fund.balance().to_string(),
            "{b}: export balance"
        );
        assert_eq!(
            report.checkpoint.as_ref().map(|c| c.tree_size),
            Some(300),
            "{b}: export checkpoint"
        );
        assert!(
            export == fund.export().unwrap(),
            "{b}: export differs from the sample's"
        );

        // Reopen: the state replayed from the store is the sample's.
        store.close().await;
        drop(ledger);
        drop(store);
        let store = Arc::new(support::open_store(&db.url).await.expect("store reopens"));
        let f = store
            .fund(id)
            .await
            .unwrap()
            .expect("fund row after reopening");
        let state = store
            .load_state(&f)
            .await
            .unwrap_or_else(|e| panic!("{b}: load_state: {e}"));
        assert_eq!(state.next_seq(), 300, "{b}: replayed size");
        assert_eq!(state.head(), fund.state.head(), "{b}: replayed head");
        assert_eq!(state.root(), fund.root(), "{b}: replayed root");
        assert_eq!(state.balance(), fund.balance(), "{b}: replayed balance");
        assert_eq!(
            state.last_recorded_at(),
            fund.state.last_recorded_at(),
            "{b}: replayed time"
        );
        assert_eq!(
            state.trustees(),
            fund.state.trustees(),
            "{b}: replayed trustees"
        );

        // And a ledger over the reopened store carries on from there.
        let ledger = start_ledger(store.clone(), &fund, &clock).await;
        let (bytes, sigs) = signed_donation(&fund, "after-reopen", 1_000, clock.instant());
        let seq = appended_seq(
            b,
            "append after reopening",
            ledger.append(id, bytes, sigs, None).await,
        );
        assert_eq!(seq, 300, "{b}: seq after reopening");
        let (size, note) = store.latest_checkpoint(id).await.unwrap().unwrap();
        let cp = Checkpoint::open(&note, &vkey).unwrap();
        assert_eq!(
            (size, cp.tree_size),
            (301, 301),
            "{b}: checkpoint after reopening"
        );
        assert_eq!(
            cp.root,
            store.root_at(id, 301).await.unwrap(),
            "{b}: root after reopening"
        );
        let export = export_like_routes(&ledger, id).await;
        let report = verify_export(&export, Expectations::default());
        assert!(
            report.is_clean(),
            "{b}: export after reopening: {:?}",
            report.findings
        );
        assert_eq!(report.entries, 301, "{b}: export entries after reopening");
        store.close().await;
    }
}

// ---------------------------------------------------------------------------------------
// Group commit
// ---------------------------------------------------------------------------------------

/// The store's period report (two indexed queries over the entries' columns) gives, for
/// every month, quarter and year the sample covers, the figures the rules draft for a
/// statement of that period by replaying the log; and nothing for a period before the fund.
/// Every month of `fund`'s entries, and every quarter and year of those months.
fn periods_of(fund: &SampleFund) -> Vec<Period> {
    let offset = fund.state.utc_offset();
    let months: BTreeSet<Date> = fund
        .lines
        .iter()
        .map(|l| {
            let e = Entry::parse(l).unwrap().entry;
            e.recorded_at.local_date(offset).first_of_month()
        })
        .collect();
    let mut periods: Vec<Period> = months
        .iter()
        .map(|m| Period::new(*m, m.last_of_month()).unwrap())
        .collect();
    let years: BTreeSet<i32> = months.iter().map(|m| m.year()).collect();
    for y in &years {
        for q in 0..4u32 {
            let from = Date::from_ymd(*y, 3 * q + 1, 1).unwrap();
            let to = Date::from_ymd(*y, 3 * q + 3, 1).unwrap().last_of_month();
            periods.push(Period::new(from, to).unwrap());
        }
        let year = Period::new(
            Date::from_ymd(*y, 1, 1).unwrap(),
            Date::from_ymd(*y, 12, 31).unwrap(),
        );
        periods.push(year.unwrap());
    }
    periods
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn period_reports_match_the_drafted_statements() {
    let fund = sample("period-report", 23, 400, 14);
    let id = fund.spec.fund.as_str();
    let periods = periods_of(&fund);
    for db in backends().await {
        let b = db.name;
        let (store, _ledger, _clock) = loaded(&db.url, &fund).await;
        let mut compared = 0;
        for period in &periods {
            let Ok(st) = fund.state.draft_statement(period) else {
                continue; // before the fund, or not drafted by the rules: nothing to compare
            };
            let r = store.period_report(id, period).await.unwrap();
            let kind = |k: &str| {
                r.kinds
                    .iter()
                    .find(|t| t.kind == k)
                    .map_or(0, |t| t.delta_fen)
            };
            let at = format!("{b}: {}..{}", period.from(), period.to());
            assert_eq!(r.opening_fen, st.opening.to_fen(), "{at}: opening");
            assert_eq!(
                kind("donation"),
                st.inflows.donation.to_fen(),
                "{at}: donations"
            );
            assert_eq!(
                kind("revenue_share"),
                st.inflows.revenue_share.to_fen(),
                "{at}: revenue shares"
            );
            assert_eq!(kind("rental"), st.inflows.rental.to_fen(), "{at}: rentals");
            assert_eq!(
                -kind("disbursement"),
                st.outflows.disbursement.to_fen(),
                "{at}: disbursements"
            );
            assert_eq!(kind("reversal"), st.reversals.to_fen(), "{at}: reversals");
            assert_eq!(r.closing_fen, st.closing.to_fen(), "{at}: closing");
            assert_eq!(r.count, st.count, "{at}: count");
            if st.count > 0 {
                assert_eq!(r.seqs.map(|s| s.1), Some(st.through_seq), "{at}: last seq");
            }
            compared += 1;
        }
        assert!(compared >= 14, "{b}: only {compared} periods compared");
        // A year before the fund: no entries, opening and closing zero.
        let before = Period::new(
            Date::from_ymd(2001, 1, 1).unwrap(),
            Date::from_ymd(2001, 12, 31).unwrap(),
        )
        .unwrap();
        let r = store.period_report(id, &before).await.unwrap();
        assert_eq!(
            (r.opening_fen, r.closing_fen, r.count, r.seqs),
            (0, 0, 0, None),
            "{b}"
        );
        store.close().await;
    }
}

/// A statement draft comes from the fund writer's live state (no replay), and equals the
/// draft of the state replayed from the store, for every month, quarter and year; a second
/// ledger on the same database (as a second server process) drafts what the first
/// appended since, and refuses what the rules refuse.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drafts_come_from_the_writer_and_equal_a_replay() {
    let fund = sample("drafts", 29, 300, 13);
    let id = fund.spec.fund.as_str();
    let offset = fund.state.utc_offset();
    let periods = periods_of(&fund);
    for db in backends().await {
        let b = db.name;
        let (store, ledger, clock) = loaded(&db.url, &fund).await;
        let row = store.fund(id).await.unwrap().expect("fund row");
        let replayed = store.load_state(&row).await.unwrap();
        let mut drafted = 0;
        for period in &periods {
            let at = format!("{b}: {}..{}", period.from(), period.to());
            match (
                ledger.draft_statement(id, *period).await,
                replayed.draft_statement(period),
            ) {
                (Ok(d), Ok(want)) => {
                    assert_eq!(d.statement, want, "{at}");
                    let body = Body::Statement(want);
                    assert_eq!(
                        d.required_signatures,
                        replayed.required_signatures(&body),
                        "{at}"
                    );
                    drafted += 1;
                }
                (Err(DraftFailure::Rule(e)), Err(want)) => assert_eq!(e, want, "{at}"),
                (got, want) => panic!("{at}: writer {got:?}, replay {want:?}"),
            }
        }
        assert!(drafted >= 12, "{b}: only {drafted} periods drafted");
        assert!(matches!(
            ledger.draft_statement("no-such-fund", periods[0]).await,
            Err(DraftFailure::UnknownFund)
        ));

        // A second ledger on the same database drafts what the first appends later.
        let other = Ledger::start(
            Arc::new(support::open_store(&db.url).await.unwrap()),
            fund.keys.log.clone(),
            PublicKey::from_verifying_key(fund.keys.operator.verifying_key()),
            ORIGIN.into(),
            clock.clock(),
        )
        .await
        .unwrap();
        let current = Period::month_of(clock.instant().local_date(offset));
        let before = other.draft_statement(id, current).await.unwrap().statement;
        let (bytes, sigs) = signed_donation(&fund, "draft-late", 1_234, clock.instant());
        ledger.append(id, bytes, sigs, None).await.unwrap();
        let after = other.draft_statement(id, current).await.unwrap().statement;
        assert_eq!(after.through_seq, before.through_seq + 1, "{b}: caught up");
        assert_eq!(
            after.inflows.donation.to_fen(),
            before.inflows.donation.to_fen() + 1_234,
            "{b}: the new donation is drafted"
        );
        store.close().await;
    }
}

/// The fund page's figures from the index (totals by kind over the whole fund, the
/// balance at every month end, the latest entry of each kind) equal a naive fold over
/// every stored entry, on a sample followed by months left empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fund_figures_from_the_index_match_a_fold_over_the_log() {
    // 150 entries over 40 months: a thin log, where a month may hold no entry.
    let fund = sample("fund-figures", 31, 150, 40);
    let id = fund.spec.fund.as_str();
    let offset = fund.state.utc_offset();
    for db in backends().await {
        let b = db.name;
        let (store, ledger, clock) = loaded(&db.url, &fund).await;
        // From the per-month index; the donation below is added to it by its batch.
        let first = store.kind_totals(id).await.unwrap();
        assert_eq!(
            first.iter().map(|t| t.count).sum::<u64>(),
            fund.lines.len() as u64,
            "{b}: first totals"
        );
        // Three months with no entry, then one more donation: the gap carries the balance.
        clock.set(clock.get() + 100 * 86_400);
        let (bytes, sigs) = signed_donation(&fund, "after-a-gap", 12_345, clock.instant());
        appended_seq(
            b,
            "donation after a gap",
            ledger.append(id, bytes, sigs, None).await,
        );
        let mut rows = Vec::new();
        loop {
            let page = store
                .entries(id, rows.len() as u64, PAGE_ROWS_MAX)
                .await
                .unwrap();
            if page.is_empty() {
                break;
            }
            rows.extend(page);
        }
        assert_eq!(rows.len(), fund.lines.len() + 1, "{b}: entries read");

        // Totals by kind.
        let mut totals: BTreeMap<String, (u64, i64)> = BTreeMap::new();
        for r in &rows {
            let t = totals.entry(r.kind.clone()).or_default();
            t.0 += 1;
            t.1 += r.delta_fen;
        }
        let got: BTreeMap<String, (u64, i64)> = store
            .kind_totals(id)
            .await
            .unwrap()
            .into_iter()
            .map(|t| (t.kind, (t.count, t.delta_fen)))
            .collect();
        assert_eq!(got, totals, "{b}: totals by kind");
        // A second store on the same database agrees.
        let fresh = support::open_store(&db.url).await.unwrap();
        let again: BTreeMap<String, (u64, i64)> = fresh
            .kind_totals(id)
            .await
            .unwrap()
            .into_iter()
            .map(|t| (t.kind, (t.count, t.delta_fen)))
            .collect();
        assert_eq!(again, totals, "{b}: totals by kind, from the index");
        fresh.close().await;

        // Month ends: every month from the first entry's to the last's, each with the
        // balance after the last entry recorded in or before it.
        let month = |r: &ledger_api::store::EntryRow| {
            Instant::parse(&r.recorded_at)
                .unwrap()
                .local_date(offset)
                .first_of_month()
        };
        let mut expected: Vec<(Date, i64)> = Vec::new();
        for r in &rows {
            let m = month(r);
            while let Some(&(last, carry)) = expected.last() {
                if last >= m {
                    break;
                }
                let next = last.last_of_month().succ().unwrap();
                if next >= m {
                    break;
                }
                expected.push((next, carry));
            }
            match expected.last_mut() {
                Some((last, bal)) if *last == m => *bal = r.balance_fen,
                _ => expected.push((m, r.balance_fen)),
            }
        }
        let empty_months = expected.windows(2).filter(|w| w[0].1 == w[1].1).count();
        assert!(expected.len() >= 12, "{b}: {} months", expected.len());
        assert!(empty_months >= 2, "{b}: {empty_months} months carried over");
        println!(
            "{b}: {} months, {empty_months} without a balance change",
            expected.len()
        );
        let got: Vec<(Date, i64)> = store
            .month_end_balances(id)
            .await
            .unwrap()
            .into_iter()
            .map(|m| (m.month, m.balance_fen))
            .collect();
        assert_eq!(
            got, expected,
            "{b}: month ends ({empty_months} carried over)"
        );

        // The latest entry of each kind.
        for kind in Kind::ALL {
            let last = rows
                .iter()
                .rev()
                .find(|r| r.kind == kind.as_str())
                .map(|r| r.seq);
            assert_eq!(
                store.last_seq_of_kind(id, kind).await.unwrap(),
                last,
                "{b}: last {kind}"
            );
        }
        assert_eq!(
            store.month_end_balances("no-such-fund").await.unwrap(),
            Vec::new(),
            "{b}"
        );
        assert!(store.kind_totals("no-such-fund").await.unwrap().is_empty());
        store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_are_group_committed_without_gaps() {
    const N: usize = 64;
    let fund = Arc::new(sample("group-commit", 12, 100, 4));
    for db in backends().await {
        let b = db.name;
        let (store, ledger, clock) = loaded(&db.url, &fund).await;
        let before = counts(&store).await;
        let barrier = Arc::new(tokio::sync::Barrier::new(N));
        let mut tasks = Vec::with_capacity(N);
        for i in 0..N {
            let (bytes, sigs) =
                signed_donation(&fund, &format!("gc-{i}"), 100 + i as i64, clock.instant());
            let ledger = ledger.clone();
            let barrier = barrier.clone();
            let id = fund.spec.fund.clone();
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                ledger.append(&id, bytes, sigs, None).await
            }));
        }
        let mut seqs = Vec::with_capacity(N);
        for (i, t) in tasks.into_iter().enumerate() {
            seqs.push(appended_seq(
                b,
                &format!("concurrent append {i}"),
                t.await.unwrap(),
            ));
        }
        let after = counts(&store).await;
        let batches = after.checkpoints - before.checkpoints;
        println!("{b}: {N} concurrent appends committed in {batches} batches");
        seqs.sort_unstable();
        assert_eq!(seqs, (100..100 + N as u64).collect::<Vec<_>>(), "{b}: seqs");
        assert_eq!(
            after.entries - before.entries,
            N as i64,
            "{b}: entries written"
        );
        assert!((1..=N as i64).contains(&batches), "{b}: {batches} batches");
        if b == "sqlite" {
            assert!(
                batches < N as i64,
                "{b}: no batching: {batches} commits for {N} appends"
            );
        }
        // Each batch's checkpoint is signed and its root is the root at its size.
        let rows = sqlx::query(
            "SELECT tree_size, note FROM checkpoints WHERE tree_size > 100 ORDER BY tree_size",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        assert_eq!(
            rows.len() as i64,
            batches,
            "{b}: checkpoints of the batches"
        );
        for r in &rows {
            let size = r.get::<i64, _>(0) as u64;
            let cp = Checkpoint::open(&r.get::<String, _>(1), &fund.keys.log.verifier()).unwrap();
            assert_eq!(cp.tree_size, size, "{b}: checkpoint size");
            assert_eq!(
                cp.root,
                store.root_at(&fund.spec.fund, size).await.unwrap(),
                "{b}: checkpoint root at {size}"
            );
        }
        assert_eq!(
            rows.last().map(|r| r.get::<i64, _>(0)),
            Some(100 + N as i64),
            "{b}: last checkpoint"
        );
        // The log replays clean from a fresh store.
        let fresh = support::open_store(&db.url).await.unwrap();
        let f = fresh.fund(&fund.spec.fund).await.unwrap().unwrap();
        let state = fresh
            .load_state(&f)
            .await
            .unwrap_or_else(|e| panic!("{b}: replay: {e}"));
        assert_eq!(state.next_seq(), 100 + N as u64, "{b}: replayed size");
        assert_eq!(state.head(), f.head_hash, "{b}: replayed head");
        fresh.close().await;
        store.close().await;
    }
}

// ---------------------------------------------------------------------------------------
// Idempotency
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_replays_and_conflicts_write_nothing() {
    let fund = sample("idempotency", 13, 100, 4);
    let id = fund.spec.fund.as_str();
    for db in backends().await {
        let b = db.name;
        let (store, ledger, clock) = loaded(&db.url, &fund).await;
        let (bytes, sigs) = signed_donation(&fund, "idem-1", 12_345, clock.instant());
        let first = match ledger.append(id, bytes.clone(), sigs.clone(), None).await {
            Ok(AppendOutcome::Appended(row)) => row,
            other => panic!("{b}: first append: {other:?}"),
        };
        assert_eq!(first.seq, 100, "{b}: first seq");
        let before = counts(&store).await;
        let rows_before = snapshot(&store).await;

        // Same key, same intent: the original entry, nothing written.
        clock.set(clock.get() + 60);
        match ledger.append(id, bytes.clone(), sigs.clone(), None).await {
            Ok(AppendOutcome::Replayed(row)) => assert_eq!(row, first, "{b}: replayed row"),
            other => panic!("{b}: replay: expected Replayed, got {other:?}"),
        }
        assert_eq!(counts(&store).await, before, "{b}: rows after a replay");

        // A sample entry sent again long after: replayed as the original.
        let old = Entry::parse(&fund.lines[7]).unwrap();
        match ledger
            .append(id, old.intent_bytes.clone(), old.entry.sigs.clone(), None)
            .await
        {
            Ok(AppendOutcome::Replayed(row)) => {
                assert_eq!(row.seq, 7, "{b}: replayed seq of an old entry");
                assert_eq!(
                    row.bytes, fund.lines[7],
                    "{b}: replayed bytes of an old entry"
                );
            }
            other => panic!("{b}: replay of entry 7: {other:?}"),
        }
        assert_eq!(
            counts(&store).await,
            before,
            "{b}: rows after an old replay"
        );

        // Same key, another intent: a conflict naming the original seq, nothing written.
        let (other_bytes, other_sigs) = signed_donation(&fund, "idem-1", 54_321, clock.instant());
        match ledger.append(id, other_bytes, other_sigs, None).await {
            Err(AppendFailure::Rejected(Rejection::IdempotencyConflict { seq })) => {
                assert_eq!(seq, first.seq, "{b}: conflict seq");
            }
            other => panic!("{b}: conflict: expected IdempotencyConflict, got {other:?}"),
        }
        assert_eq!(counts(&store).await, before, "{b}: rows after a conflict");
        assert_eq!(snapshot(&store).await, rows_before, "{b}: rows changed");

        // The fund carries on at the next seq.
        let (bytes, sigs) = signed_donation(&fund, "idem-2", 500, clock.instant());
        let seq = appended_seq(
            b,
            "append after replays",
            ledger.append(id, bytes, sigs, None).await,
        );
        assert_eq!(seq, 101, "{b}: seq after replays and a conflict");
        store.close().await;
    }
}

/// A batch that the database refuses part-way through its writes (here the checkpoint
/// insert, the last write before COMMIT) leaves nothing behind: the caller gets a store
/// error, every row is as before, and once the fault is gone the same intent is appended
/// at the same seq (the writer rebuilt its state, the transaction's connection was not
/// reused in a half-done state).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_failing_in_the_database_writes_nothing() {
    let fund = sample("db-fault", 21, 60, 3);
    let id = fund.spec.fund.as_str();
    for db in backends().await {
        let b = db.name;
        let (store, ledger, clock) = loaded(&db.url, &fund).await;
        let (install, remove): (&[&str], &[&str]) = if b == "postgres" {
            (
                &[
                    "CREATE FUNCTION test_fault() RETURNS trigger LANGUAGE plpgsql AS \
                     $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$",
                    "CREATE TRIGGER test_fault BEFORE INSERT ON checkpoints \
                     FOR EACH ROW EXECUTE FUNCTION test_fault()",
                ],
                &[
                    "DROP TRIGGER test_fault ON checkpoints",
                    "DROP FUNCTION test_fault()",
                ],
            )
        } else {
            (
                &["CREATE TRIGGER test_fault BEFORE INSERT ON checkpoints \
                   BEGIN SELECT RAISE(ABORT, 'injected fault'); END"],
                &["DROP TRIGGER test_fault"],
            )
        };
        for sql in install {
            sqlx::query(sql).execute(store.pool()).await.unwrap();
        }
        let rows_before = snapshot(&store).await;
        let (bytes, sigs) = signed_donation(&fund, "fault-1", 4_321, clock.instant());
        for attempt in 0..3 {
            match ledger.append(id, bytes.clone(), sigs.clone(), None).await {
                Err(AppendFailure::Store(e)) => {
                    assert!(
                        e.to_string().contains("injected fault"),
                        "{b}: error names the fault: {e}"
                    )
                }
                other => panic!("{b}: attempt {attempt}: expected a store error, got {other:?}"),
            }
            assert!(
                snapshot(&store).await == rows_before,
                "{b}: attempt {attempt}: a failed batch changed the data"
            );
        }
        for sql in remove {
            sqlx::query(sql).execute(store.pool()).await.unwrap();
        }
        let seq = appended_seq(
            b,
            "append after the fault",
            ledger.append(id, bytes.clone(), sigs.clone(), None).await,
        );
        assert_eq!(seq, 60, "{b}: seq after the fault");
        // And the one after it chains on.
        let (bytes, sigs) = signed_donation(&fund, "fault-2", 1_234, clock.instant());
        let seq = appended_seq(
            b,
            "second append",
            ledger.append(id, bytes, sigs, None).await,
        );
        assert_eq!(seq, 61, "{b}: next seq");
        store.close().await;
    }
}

/// Stores `fund`'s sample through [`Store::commit_batch`] (as an import does): its
/// entries at their own times, with their vault records.
async fn import_sample(store: &Store, fund: &SampleFund) {
    let mut state = FundState::new(fund.state.fund().clone(), *fund.state.operator());
    let origin = format!("{ORIGIN}/{}", fund.spec.fund);
    let log = LogSigner {
        origin: &origin,
        key: &fund.keys.log,
    };
    let mut reqs = Vec::with_capacity(fund.lines.len());
    let mut last_at = None;
    for (i, line) in fund.lines.iter().enumerate() {
        let p = Entry::parse(line).expect("sample line parses");
        last_at = Some(p.entry.recorded_at);
        reqs.push(AppendRequest::imported(
            p,
            support::sample_vault_record(fund, i as u64),
        ));
    }
    let outcomes = store
        .commit_batch(&mut state, &log, last_at.expect("a sample"), reqs)
        .await
        .expect("the sample commits");
    assert!(outcomes.iter().all(|o| o.is_ok()), "the sample is appended");
}

/// SQLite's group commit writes the rows of all its funds with one statement; when the
/// database refuses that write because of one fund's rows (here a trigger refusing that
/// fund's entries), the group falls back to one savepoint per fund: that fund's part
/// fails alone, with nothing of it written, and the other funds' parts commit, each
/// with its entry, head and signed checkpoint, and replay clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_part_failing_in_the_database_fails_alone() {
    let funds = [
        sample("group-part-a", 31, 40, 2),
        sample("group-part-b", 32, 40, 2),
        sample("group-part-c", 33, 40, 2),
    ];
    let db = support::sqlite_db();
    let store = support::open_store(&db.url).await.expect("store opens");
    for f in &funds {
        import_sample(&store, f).await;
    }
    let bad = funds[1].spec.fund.as_str();
    sqlx::query(&format!(
        "CREATE TRIGGER test_fault BEFORE INSERT ON entries WHEN NEW.fund = '{bad}' \
         BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
    ))
    .execute(store.pool())
    .await
    .unwrap();
    let rows_before = snapshot(&store).await;
    let now = funds
        .iter()
        .filter_map(|f| f.state.last_recorded_at())
        .max()
        .expect("samples have entries")
        .unix_seconds()
        + 60;
    let now = Instant::from_unix_seconds(now).unwrap();
    let mut states = Vec::new();
    for f in &funds {
        let row = store
            .fund(&f.spec.fund)
            .await
            .unwrap()
            .expect("fund stored");
        states.push(store.load_state(&row).await.expect("state loads"));
    }
    let origins: Vec<String> = funds
        .iter()
        .map(|f| format!("{ORIGIN}/{}", f.spec.fund))
        .collect();
    let parts: Vec<GroupPart<'_>> = states
        .iter_mut()
        .zip(&funds)
        .zip(&origins)
        .map(|((state, f), origin)| {
            let (intent_bytes, sigs) = signed_donation(f, "group-part-1", 777, now);
            GroupPart {
                state,
                log: LogSigner {
                    origin,
                    key: &f.keys.log,
                },
                requests: vec![AppendRequest {
                    intent: Intent::from_canonical_bytes(&intent_bytes).unwrap(),
                    intent_bytes,
                    sigs,
                    vault: None,
                    recorded_at: None,
                }],
            }
        })
        .collect();
    let outcomes = store
        .commit_group(now, parts)
        .await
        .expect("the group commits");
    assert_eq!(outcomes.len(), 3);
    match &outcomes[1] {
        Err(e) => assert!(e.to_string().contains("injected fault"), "{e}"),
        Ok(o) => panic!("the refused fund's part committed: {o:?}"),
    }
    for i in [0, 2] {
        let id = funds[i].spec.fund.as_str();
        match outcomes[i].as_ref().map(|o| o.as_slice()) {
            Ok([Ok(AppendOutcome::Appended(row))]) => assert_eq!(row.seq, 40, "{id}: seq"),
            other => panic!("{id}: expected one appended entry, got {other:?}"),
        }
        let row = store.fund(id).await.unwrap().unwrap();
        assert_eq!(row.size, 41, "{id}: head moved");
        let fresh = store.load_state(&row).await.expect("replays");
        assert_eq!(fresh.head(), row.head_hash, "{id}: head hash is the log's");
        assert_eq!(
            states[i].head(),
            row.head_hash,
            "{id}: the writer's state is the store's"
        );
        let note: String =
            sqlx::query_scalar("SELECT note FROM checkpoints WHERE fund = $1 AND tree_size = 41")
                .bind(id)
                .fetch_one(store.pool())
                .await
                .expect("a checkpoint at the new size");
        let cp = Checkpoint::open(&note, &funds[i].keys.log.verifier()).expect("signed");
        assert_eq!(cp.root, fresh.root(), "{id}: checkpoint root");
    }
    // Nothing of the refused fund was written: its rows are as before the group.
    sqlx::query("DROP TRIGGER test_fault")
        .execute(store.pool())
        .await
        .unwrap();
    let after: Vec<String> = snapshot(&store)
        .await
        .into_iter()
        .filter(|r| r.contains(bad))
        .collect();
    let before: Vec<String> = rows_before
        .into_iter()
        .filter(|r| r.contains(bad))
        .collect();
    assert!(!before.is_empty(), "the snapshot names the fund's rows");
    assert_eq!(after, before, "the refused fund's rows changed");
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_storm_records_each_intent_once() {
    const INTENTS: usize = 20;
    const TRIES: usize = 3;
    let fund = Arc::new(sample("retry-storm", 14, 100, 4));
    for db in backends().await {
        let b = db.name;
        let (store, ledger, clock) = loaded(&db.url, &fund).await;
        let before = counts(&store).await;
        let intents: Vec<_> = (0..INTENTS)
            .map(|i| {
                signed_donation(
                    &fund,
                    &format!("storm-{i}"),
                    200 + i as i64,
                    clock.instant(),
                )
            })
            .collect();
        let barrier = Arc::new(tokio::sync::Barrier::new(INTENTS * TRIES));
        let mut tasks = Vec::new();
        for _ in 0..TRIES {
            for (i, (bytes, sigs)) in intents.iter().enumerate() {
                let (ledger, barrier, id) =
                    (ledger.clone(), barrier.clone(), fund.spec.fund.clone());
                let (bytes, sigs) = (bytes.clone(), sigs.clone());
                tasks.push((
                    i,
                    tokio::spawn(async move {
                        barrier.wait().await;
                        ledger.append(&id, bytes, sigs, None).await
                    }),
                ));
            }
        }
        // Per intent: (times appended, seqs reported).
        let mut seen: BTreeMap<usize, (usize, BTreeSet<u64>)> = BTreeMap::new();
        for (i, t) in tasks {
            let e = seen.entry(i).or_default();
            match t.await.unwrap() {
                Ok(AppendOutcome::Appended(row)) => {
                    e.0 += 1;
                    e.1.insert(row.seq);
                }
                Ok(AppendOutcome::Replayed(row)) => {
                    e.1.insert(row.seq);
                }
                Err(err) => panic!("{b}: storm intent {i}: {err:?}"),
            }
        }
        let mut all = BTreeSet::new();
        for (i, (appended, seqs)) in &seen {
            assert_eq!(*appended, 1, "{b}: intent {i} appended {appended} times");
            assert_eq!(seqs.len(), 1, "{b}: intent {i} reported seqs {seqs:?}");
            all.extend(seqs.iter().copied());
        }
        assert_eq!(
            all.into_iter().collect::<Vec<_>>(),
            (100..100 + INTENTS as u64).collect::<Vec<_>>(),
            "{b}: seqs of the storm"
        );
        let after = counts(&store).await;
        assert_eq!(
            after.entries - before.entries,
            INTENTS as i64,
            "{b}: entries written"
        );
        println!(
            "{b}: {} requests for {INTENTS} intents committed in {} batches",
            INTENTS * TRIES,
            after.checkpoints - before.checkpoints
        );
        store.close().await;
    }
}

// ---------------------------------------------------------------------------------------
// Refusals
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_write_nothing() {
    let fund = sample("refusals", 15, 100, 4);
    let id = fund.spec.fund.as_str();
    for db in backends().await {
        let b = db.name;
        let (store, ledger, clock) = loaded(&db.url, &fund).await;
        let before = counts(&store).await;
        let rows_before = snapshot(&store).await;
        let trustees = serving_trustees(&fund);
        assert!(trustees.len() >= 2, "the sample has a quorum");

        // An overdraft, with a full quorum.
        let balance = fund.balance().to_fen();
        let (bytes, sigs) = disbursement(&fund, "overdraft", balance + 1, &clock, &trustees[..2]);
        match ledger.append(id, bytes, sigs, None).await {
            Err(AppendFailure::Rejected(Rejection::Rule(RuleError::Overdraft { .. }))) => {}
            other => panic!("{b}: overdraft: {other:?}"),
        }
        assert_eq!(counts(&store).await, before, "{b}: rows after an overdraft");

        // A signature that does not verify.
        let (bytes, mut sigs) = signed_donation(&fund, "bad-sig", 1_000, clock.instant());
        sigs[0].sig.0[10] ^= 0x01;
        match ledger.append(id, bytes, sigs, None).await {
            Err(AppendFailure::Entry(EntryError::BadSignature(_))) => {}
            other => panic!("{b}: bad signature: {other:?}"),
        }
        assert_eq!(
            counts(&store).await,
            before,
            "{b}: rows after a bad signature"
        );

        // A signer who is no trustee, and one who no longer is.
        let stranger = key_from_label("stranger");
        let (bytes, sigs) =
            donation_signed_by(&fund, "stranger", 1_000, clock.instant(), &stranger);
        match ledger.append(id, bytes, sigs, None).await {
            Err(AppendFailure::Rejected(Rejection::Rule(RuleError::UnknownSigner(_)))) => {}
            other => panic!("{b}: unknown signer: {other:?}"),
        }
        let former = &fund.keys.trustees[0];
        assert!(
            !trustees
                .iter()
                .any(|k| k.verifying_key() == former.verifying_key()),
            "the sample removes trustee 0"
        );
        let (bytes, sigs) = donation_signed_by(&fund, "former", 1_000, clock.instant(), former);
        match ledger.append(id, bytes, sigs, None).await {
            Err(AppendFailure::Rejected(Rejection::Rule(RuleError::UnknownSigner(_)))) => {}
            other => panic!("{b}: former trustee: {other:?}"),
        }
        assert_eq!(
            counts(&store).await,
            before,
            "{b}: rows after unknown signers"
        );

        // A genesis for a NEW fund signed by a trustee instead of the operator.
        let genesis = Entry::parse(&fund.lines[0]).unwrap().entry.intent;
        let mut intent = genesis.clone();
        intent.fund = FundId::parse("refusals-new").unwrap();
        intent.signed_at = clock.instant();
        let sigs = vec![intent.sign(current_trustee(&fund))];
        match ledger
            .append("refusals-new", intent.canonical_bytes(), sigs, None)
            .await
        {
            Err(AppendFailure::Rejected(Rejection::Rule(RuleError::UnknownSigner(_)))) => {}
            other => panic!("{b}: genesis by a trustee: {other:?}"),
        }
        assert!(
            store.fund("refusals-new").await.unwrap().is_none(),
            "{b}: a refused genesis left a funds row"
        );
        assert!(
            !ledger.fund_ids().await.contains(&"refusals-new".to_owned()),
            "{b}: a refused genesis left a writer"
        );

        // A donation to a fund that does not exist.
        let mut donation = Intent::from_canonical_bytes(
            &signed_donation(&fund, "nowhere", 1_000, clock.instant()).0,
        )
        .unwrap();
        donation.fund = FundId::parse("refusals-nowhere").unwrap();
        let sigs = vec![donation.sign(current_trustee(&fund))];
        match ledger
            .append("refusals-nowhere", donation.canonical_bytes(), sigs, None)
            .await
        {
            Err(AppendFailure::UnknownFund) => {}
            other => panic!("{b}: donation to an unknown fund: {other:?}"),
        }

        assert_eq!(counts(&store).await, before, "{b}: rows after refusals");
        assert_eq!(
            snapshot(&store).await,
            rows_before,
            "{b}: rows changed by refusals"
        );

        // The writer's state was left as it was: the next good entry gets the next seq and
        // the log still replays.
        let (bytes, sigs) = signed_donation(&fund, "after-refusals", 1_000, clock.instant());
        let seq = appended_seq(
            b,
            "append after refusals",
            ledger.append(id, bytes, sigs, None).await,
        );
        assert_eq!(seq, 100, "{b}: seq after refusals");
        let f = store.fund(id).await.unwrap().unwrap();
        store
            .load_state(&f)
            .await
            .unwrap_or_else(|e| panic!("{b}: replay: {e}"));
        store.close().await;
    }
}

/// A fund's writer does not verify signatures: every request is checked by the strict
/// write rule on arrival ([`Ledger::append`]), which implies the read rule. So a request
/// whose signatures do not verify must be refused with `bad_signature` on every path into
/// the writer and the store, nothing written: a fund whose writer runs, one not loaded
/// yet, a bad one among good ones committed together (each caller answered on its own),
/// a bad second signature of two, a genesis creating a fund, a fund that does not exist,
/// a request for another fund than its path. A signature that verifies by the read rule
/// only (a mixed-order `R`) is refused as `signature_not_strict`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_signatures_are_refused_on_every_path_into_the_writer() {
    use ledger_core::sample::lenient::{lenient_signature, Lenient};
    let fund = sample("bad-sigs", 17, 30, 1);
    let id = fund.spec.fund.as_str();
    for db in backends().await {
        let b = db.name;
        let (store, ledger, clock) = loaded(&db.url, &fund).await;
        let rows_before = snapshot(&store).await;
        let before = counts(&store).await;
        let bad = |key: &str| {
            let (bytes, mut sigs) = signed_donation(&fund, key, 1_000, clock.instant());
            sigs[0].sig.0[10] ^= 0x01;
            (bytes, sigs)
        };
        let is_bad_signature = |what: &str, out: Result<AppendOutcome, AppendFailure>| match out {
            Err(AppendFailure::Entry(EntryError::BadSignature(_))) => {}
            other => panic!("{b}: {what}: expected bad_signature, got {other:?}"),
        };

        // A fund not loaded yet: a second ledger over the same store loads it on demand.
        let cold = start_ledger(store.clone(), &fund, &clock).await;
        let (bytes, sigs) = bad("cold");
        is_bad_signature("fund not loaded", cold.append(id, bytes, sigs, None).await);
        drop(cold);

        // The fund whose writer runs; its second of two signatures bad.
        let (bytes, sigs) = bad("warm");
        is_bad_signature("loaded fund", ledger.append(id, bytes, sigs, None).await);
        let trustees = serving_trustees(&fund);
        let (bytes, mut sigs) = disbursement(&fund, "second-bad", 100, &clock, &trustees[..2]);
        sigs[1].sig.0[40] ^= 0x80;
        is_bad_signature(
            "second signature",
            ledger.append(id, bytes, sigs, None).await,
        );

        // Read rule only: genuine, but not in the form every verifier accepts.
        let (bytes, mut sigs) = signed_donation(&fund, "lenient", 1_000, clock.instant());
        let msg = ledger_core::entry::signing_message(&bytes);
        sigs[0].sig = lenient_signature(
            current_trustee(&fund),
            &msg,
            Lenient::TorsionR {
                torsion: 1,
                nonce: 7,
            },
        );
        match ledger.append(id, bytes, sigs, None).await {
            Err(AppendFailure::Entry(EntryError::SignatureNotStrict(_))) => {}
            other => panic!("{b}: mixed-order R: expected signature_not_strict, got {other:?}"),
        }

        // Another fund than the path, a fund that does not exist, a new fund's genesis.
        let (bytes, sigs) = bad("elsewhere");
        is_bad_signature(
            "fund mismatch",
            ledger.append("bad-sigs-other", bytes, sigs, None).await,
        );
        let mut donation =
            Intent::from_canonical_bytes(&signed_donation(&fund, "nowhere", 1, clock.instant()).0)
                .unwrap();
        donation.fund = FundId::parse("bad-sigs-nowhere").unwrap();
        let mut sigs = vec![donation.sign(current_trustee(&fund))];
        sigs[0].sig.0[3] ^= 0x04;
        is_bad_signature(
            "unknown fund",
            ledger
                .append("bad-sigs-nowhere", donation.canonical_bytes(), sigs, None)
                .await,
        );
        let mut genesis = Entry::parse(&fund.lines[0]).unwrap().entry.intent;
        genesis.fund = FundId::parse("bad-sigs-new").unwrap();
        genesis.signed_at = clock.instant();
        let mut sigs = vec![genesis.sign(&fund.keys.operator)];
        sigs[0].sig.0[33] ^= 0x10;
        is_bad_signature(
            "genesis",
            ledger
                .append("bad-sigs-new", genesis.canonical_bytes(), sigs, None)
                .await,
        );
        assert_eq!(snapshot(&store).await, rows_before, "{b}: rows changed");

        // A bad one among good ones sent at once (so the writer takes them together):
        // the good ones are committed, the bad one refused alone.
        let mut calls = Vec::new();
        for i in 0..12 {
            let (bytes, sigs) = if i == 5 {
                bad("in-batch-bad")
            } else {
                signed_donation(&fund, &format!("in-batch-{i}"), 100, clock.instant())
            };
            let ledger = ledger.clone();
            let fund_id = id.to_owned();
            calls.push(tokio::spawn(async move {
                ledger.append(&fund_id, bytes, sigs, None).await
            }));
        }
        for (i, call) in calls.into_iter().enumerate() {
            let out = call.await.unwrap();
            if i == 5 {
                is_bad_signature("in a batch", out);
            } else {
                appended_seq(b, "good one beside a bad one", out);
            }
        }
        assert_eq!(
            counts(&store).await.entries,
            before.entries + 11,
            "{b}: the 11 good entries, and only them"
        );
        let bad_key: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM entries WHERE idem_key = 'in-batch-bad'")
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(bad_key, 0, "{b}: the bad one was written");
        store.close().await;
    }
}

/// A genesis that the operator signed but that the rules refuse, for a fund that does not
/// exist yet, must leave nothing behind, like every refusal: no `funds` row (a listed,
/// empty fund that can never be deleted) and no writer. Two ways to get there: a genesis
/// signed too far in the future, and a genesis for fund X sent to the path of fund Y.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_operator_genesis_leaves_no_fund_behind() {
    let fund = sample("genesis-refusal", 16, 20, 1);
    let mut problems = Vec::new();
    for db in backends().await {
        let b = db.name;
        let (store, ledger, clock) = loaded(&db.url, &fund).await;
        let before = counts(&store).await;
        let genesis = Entry::parse(&fund.lines[0]).unwrap().entry.intent;

        // Signed an hour after "now": beyond the allowed skew.
        let mut late = genesis.clone();
        late.fund = FundId::parse("genesis-late").unwrap();
        late.signed_at = Instant::from_unix_seconds(clock.get() + 3_600).unwrap();
        // For another fund than the one in the request's path.
        let mut elsewhere = genesis.clone();
        elsewhere.fund = FundId::parse("genesis-x").unwrap();
        elsewhere.signed_at = clock.instant();

        for (path, intent, what) in [
            ("genesis-late", late, "signed in the future"),
            ("genesis-y", elsewhere, "for another fund than its path"),
        ] {
            let sigs = vec![intent.sign(&fund.keys.operator)];
            match ledger
                .append(path, intent.canonical_bytes(), sigs, None)
                .await
            {
                Err(AppendFailure::Rejected(Rejection::Rule(_))) => {}
                other => panic!("{b}: genesis {what}: expected a rule refusal, got {other:?}"),
            }
            if let Some(row) = store.fund(path).await.unwrap() {
                problems.push(format!(
                    "{b}: a refused genesis ({what}) left funds row {:?} (size {})",
                    row.id, row.size
                ));
            }
            if ledger.fund_ids().await.iter().any(|f| f == path) {
                problems.push(format!(
                    "{b}: a refused genesis ({what}) left a writer for {path}"
                ));
            }
        }
        let after = counts(&store).await;
        if after != before {
            problems.push(format!("{b}: rows before {before:?}, after {after:?}"));
        }
        store.close().await;
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

// ---------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_page_entries_and_prove_past_sizes() {
    const N: u64 = 200;
    let fund = sample("reads", 17, N as usize, 8);
    let id = fund.spec.fund.as_str();
    let leaves: Vec<Hash> = fund.lines.iter().map(|l| leaf_hash(l)).collect();
    let tree = MemoryTree::from_leaves(&leaves);
    for db in backends().await {
        let b = db.name;
        let (store, _ledger, _clock) = loaded(&db.url, &fund).await;

        // Paging.
        let mut got = Vec::new();
        let mut from = 0;
        loop {
            let page = store.entries(id, from, 37).await.unwrap();
            assert!(page.len() <= 37, "{b}: page of {}", page.len());
            let Some(last) = page.last() else { break };
            assert_eq!(page[0].seq, from, "{b}: page starts at {from}");
            from = last.seq + 1;
            got.extend(page);
        }
        assert_eq!(got.len() as u64, N, "{b}: paged entries");
        for (i, row) in got.iter().enumerate() {
            assert_eq!(row.seq, i as u64, "{b}: paged seq");
            assert_eq!(row.bytes, fund.lines[i], "{b}: paged bytes of {i}");
        }
        assert_eq!(
            store
                .entries(id, 0, PAGE_ROWS_MAX * 10)
                .await
                .unwrap()
                .len() as u64,
            N,
            "{b}: big page"
        );
        assert_eq!(
            store.entries(id, 0, 0).await.unwrap().len(),
            1,
            "{b}: limit 0 is clamped to 1"
        );
        assert_eq!(
            store.entries(id, 0, -5).await.unwrap().len(),
            1,
            "{b}: negative limit"
        );
        assert_eq!(
            store.entries(id, N - 3, 10).await.unwrap().len(),
            3,
            "{b}: last page"
        );
        assert!(
            store.entries(id, N, 10).await.unwrap().is_empty(),
            "{b}: past the end"
        );
        assert!(
            store.entries("reads-none", 0, 10).await.unwrap().is_empty(),
            "{b}: unknown fund"
        );

        // Single entries.
        for seq in [0, 1, 2, N / 2, N - 1] {
            let row = store.entry(id, seq).await.unwrap().expect("entry");
            let parsed = Entry::parse(&row.bytes).unwrap();
            assert_eq!(row.seq, seq, "{b}: entry seq");
            assert_eq!(row.bytes, fund.lines[seq as usize], "{b}: entry {seq}");
            assert_eq!(row.hash, leaves[seq as usize], "{b}: entry hash {seq}");
            assert_eq!(
                row.kind,
                parsed.entry.intent.kind().as_str(),
                "{b}: entry kind {seq}"
            );
            assert_eq!(
                row.recorded_at,
                parsed.entry.recorded_at.to_string(),
                "{b}: entry time {seq}"
            );
        }
        assert!(
            store.entry(id, N).await.unwrap().is_none(),
            "{b}: entry past the end"
        );
        assert!(
            store.entry("reads-none", 0).await.unwrap().is_none(),
            "{b}: entry of no fund"
        );

        // Roots at every past size: the tree's, and the checkpoint stored at that size
        // (each line was its own commit).
        let cps: BTreeMap<u64, Vec<u8>> =
            sqlx::query("SELECT tree_size, root FROM checkpoints WHERE fund = $1")
                .bind(id)
                .fetch_all(store.pool())
                .await
                .unwrap()
                .iter()
                .map(|r| (r.get::<i64, _>(0) as u64, r.get::<Vec<u8>, _>(1)))
                .collect();
        assert_eq!(cps.len() as u64, N, "{b}: a checkpoint per size");
        for size in 0..=N {
            let root = store
                .root_at(id, size)
                .await
                .unwrap_or_else(|e| panic!("{b}: root_at({size}): {e}"));
            assert_eq!(root, tree.root_at(size).unwrap(), "{b}: root at {size}");
            if size > 0 {
                assert_eq!(
                    cps[&size],
                    root.0.to_vec(),
                    "{b}: checkpoint root at {size}"
                );
            }
        }

        // Inclusion proofs at past sizes.
        let sizes = [
            1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 199,
            200,
        ];
        let mut checked = 0;
        for &size in &sizes {
            let root = store.root_at(id, size).await.unwrap();
            let mut indices = BTreeSet::from([0, size / 3, size / 2, size - 1]);
            indices.insert(size.saturating_sub(2));
            indices.insert((size * 7 / 8).min(size - 1));
            for index in indices {
                let proof = store
                    .inclusion_proof(id, index, size)
                    .await
                    .unwrap_or_else(|e| panic!("{b}: inclusion({index}, {size}): {e}"));
                assert_eq!(
                    proof,
                    tree.inclusion_proof(index, size).unwrap(),
                    "{b}: inclusion({index}, {size}) differs from MemoryTree"
                );
                verify_inclusion(&leaves[index as usize], index, size, &proof, &root)
                    .unwrap_or_else(|e| {
                        panic!("{b}: inclusion({index}, {size}) does not verify: {e}")
                    });
                checked += 1;
            }
        }
        assert!(checked > 100, "{b}: only {checked} inclusion proofs");

        // Consistency proofs.
        let pairs = [
            (1, 1),
            (1, 2),
            (1, N),
            (2, 3),
            (3, 7),
            (7, 8),
            (8, 16),
            (15, 16),
            (16, 17),
            (15, N),
            (64, 129),
            (100, N),
            (127, 128),
            (199, N),
            (N, N),
        ];
        for (s1, s2) in pairs {
            let proof = store
                .consistency_proof(id, s1, s2)
                .await
                .unwrap_or_else(|e| panic!("{b}: consistency({s1}, {s2}): {e}"));
            assert_eq!(
                proof,
                tree.consistency_proof(s1, s2).unwrap(),
                "{b}: consistency({s1}, {s2}) differs from MemoryTree"
            );
            let r1 = store.root_at(id, s1).await.unwrap();
            let r2 = store.root_at(id, s2).await.unwrap();
            verify_consistency(s1, s2, &proof, &r1, &r2)
                .unwrap_or_else(|e| panic!("{b}: consistency({s1}, {s2}) does not verify: {e}"));
        }

        // Requests beyond the tree, or impossible, are the client's mistake.
        let request = |r: Result<Vec<Hash>, ProofError>, what: &str| match r {
            Err(ProofError::Request(e)) => e,
            other => panic!("{b}: {what}: expected ProofError::Request, got {other:?}"),
        };
        assert!(
            matches!(
                request(store.inclusion_proof(id, 0, N + 1).await, "inclusion beyond the tree"),
                MerkleError::SizeBeyondTree { requested, available } if requested == N + 1 && available == N
            ),
            "{b}: inclusion beyond the tree"
        );
        assert!(
            matches!(
                request(store.inclusion_proof(id, N, N).await, "index = size"),
                MerkleError::IndexOutOfRange { .. }
            ),
            "{b}: index = size"
        );
        request(
            store.inclusion_proof(id, N + 5, N + 10).await,
            "index and size beyond",
        );
        request(
            store.consistency_proof(id, 10, N + 1).await,
            "consistency beyond the tree",
        );
        request(
            store.consistency_proof(id, N + 1, N + 2).await,
            "consistency from beyond",
        );
        assert!(
            matches!(
                request(
                    store.consistency_proof(id, 20, 10).await,
                    "sizes out of order"
                ),
                MerkleError::SizesOutOfOrder { .. }
            ),
            "{b}: sizes out of order"
        );
        assert!(
            matches!(
                request(
                    store.consistency_proof(id, 0, 10).await,
                    "from the empty tree"
                ),
                MerkleError::EmptyOldTree
            ),
            "{b}: from the empty tree"
        );
        match store.root_at(id, N + 1).await {
            Err(ProofError::Request(MerkleError::SizeBeyondTree { .. })) => {}
            other => panic!("{b}: root beyond the tree: {other:?}"),
        }

        // An unknown fund.
        for (what, r) in [
            ("inclusion", store.inclusion_proof("reads-none", 0, 1).await),
            (
                "consistency",
                store.consistency_proof("reads-none", 1, 2).await,
            ),
        ] {
            assert!(
                matches!(r, Err(ProofError::UnknownFund)),
                "{b}: {what} of an unknown fund: {r:?}"
            );
        }
        assert!(
            matches!(
                store.root_at("reads-none", 1).await,
                Err(ProofError::UnknownFund)
            ),
            "{b}: root of an unknown fund"
        );
        store.close().await;
    }
}

// ---------------------------------------------------------------------------------------
// Append-only, enforced by the database
// ---------------------------------------------------------------------------------------

/// Statements any role would be refused by the triggers, on both backends.
const REWRITES: [&str; 11] = [
    "UPDATE entries SET kind = 'x'",
    "UPDATE entries SET bytes = bytes WHERE seq = 5",
    "DELETE FROM entries",
    "DELETE FROM entries WHERE seq = (SELECT MAX(seq) FROM entries)",
    "UPDATE tree_nodes SET idx = idx + 1000000",
    "DELETE FROM tree_nodes",
    "UPDATE checkpoints SET note = 'x'",
    "DELETE FROM checkpoints",
    "UPDATE funds SET head_seq = head_seq - 1",
    "DELETE FROM funds",
    "UPDATE entries SET seq = seq + 1000 WHERE seq = (SELECT MAX(seq) FROM entries)",
];

/// Refused on PostgreSQL only (SQLite has no TRUNCATE).
const PG_REWRITES: [&str; 4] = [
    "TRUNCATE entries",
    "TRUNCATE tree_nodes",
    "TRUNCATE checkpoints",
    "TRUNCATE funds CASCADE",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_refuses_to_rewrite_the_log() {
    let fund = sample("append-only", 18, 100, 4);
    for db in backends().await {
        let b = db.name;
        let (store, ledger, clock) = loaded(&db.url, &fund).await;
        let rows_before = snapshot(&store).await;
        let mut statements: Vec<&str> = REWRITES.to_vec();
        if b == "postgres" {
            statements.extend(PG_REWRITES);
        }
        for sql in statements {
            let started = std::time::Instant::now();
            let result = sqlx::query(sql).execute(store.pool()).await;
            let took = started.elapsed();
            if took.as_millis() > 500 {
                println!("{b}: `{sql}` took {took:?}");
            }
            match result {
                Ok(done) => panic!(
                    "{b}: `{sql}` was allowed ({} rows affected)",
                    done.rows_affected()
                ),
                Err(e) => println!("{b}: `{sql}` refused: {e}"),
            }
            assert!(
                snapshot(&store).await == rows_before,
                "{b}: `{sql}` changed the data"
            );
        }
        // The store still appends afterwards.
        let (bytes, sigs) = signed_donation(&fund, "after-rewrites", 1_000, clock.instant());
        let seq = appended_seq(
            b,
            "append after refused rewrites",
            ledger.append(&fund.spec.fund, bytes, sigs, None).await,
        );
        assert_eq!(seq, 100, "{b}: seq after refused rewrites");
        store.close().await;
    }
}

/// Replacing rows through the insert path (SQLite `INSERT OR REPLACE` / `REPLACE`, an
/// upsert on either backend) is a rewrite too, and must be refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_refuses_rewrites_through_insert() {
    let fund = sample("replace", 19, 40, 2);
    let mut problems = Vec::new();
    for db in backends().await {
        let b = db.name;
        let (store, _ledger, _clock) = loaded(&db.url, &fund).await;
        let rows_before = snapshot(&store).await;
        let copy_entry = "SELECT fund, seq, hash, 'x', delta_fen, balance_fen, recorded_at, \
                          idem_key, intent_hash, bytes FROM entries WHERE seq = 5";
        let cols = "(fund, seq, hash, kind, delta_fen, balance_fen, recorded_at, idem_key, intent_hash, bytes)";
        let mut statements = vec![
            format!(
                "INSERT INTO entries {cols} {copy_entry} \
                 ON CONFLICT (fund, seq) DO UPDATE SET kind = 'x'"
            ),
            "INSERT INTO funds (id, operator_key, created_at, head_seq, head_hash) \
             SELECT id, operator_key, created_at, -1, head_hash FROM funds WHERE true \
             ON CONFLICT (id) DO UPDATE SET head_seq = -1"
                .to_owned(),
        ];
        if b == "sqlite" {
            statements.extend([
                format!("INSERT OR REPLACE INTO entries {cols} {copy_entry}"),
                format!("REPLACE INTO entries {cols} {copy_entry}"),
                "INSERT OR REPLACE INTO tree_nodes (fund, level, idx, hash) \
                 SELECT fund, level, idx, X'00' FROM tree_nodes WHERE level = 0 AND idx = 3"
                    .to_owned(),
                "INSERT OR REPLACE INTO checkpoints (fund, tree_size, root, note) \
                 SELECT fund, tree_size, root, 'x' FROM checkpoints WHERE tree_size = 10"
                    .to_owned(),
                "INSERT OR REPLACE INTO funds (id, operator_key, created_at, head_seq, head_hash) \
                 SELECT id, operator_key, created_at, -1, head_hash FROM funds"
                    .to_owned(),
            ]);
        }
        let mut allowed = Vec::new();
        for sql in &statements {
            match sqlx::query(sql).execute(store.pool()).await {
                Ok(done) => {
                    println!("{b}: `{sql}` was ALLOWED ({} rows)", done.rows_affected());
                    allowed.push(sql.clone());
                }
                Err(e) => println!("{b}: `{sql}` refused: {e}"),
            }
        }
        let changed = snapshot(&store).await != rows_before;
        if !allowed.is_empty() || changed {
            problems.push(format!(
                "{b}: rewrites through INSERT were allowed (data changed: {changed}): {allowed:#?}"
            ));
        }
        store.close().await;
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// On PostgreSQL the service's role (`ledger_app`) has no UPDATE/DELETE/TRUNCATE grant on
/// the log: a second wall behind the triggers; nor on the columns it must never change (a
/// fund's operator key, a credential's role and fund, a proposal's intent). It can read every table it can insert into.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_service_role_cannot_rewrite() {
    let fund = sample("grants", 20, 40, 2);
    for db in backends().await {
        let b = db.name;
        if b != "postgres" {
            println!("{b}: no roles or grants; the triggers are the wall (tested above)");
            continue;
        }
        let (store, _ledger, _clock) = loaded(&db.url, &fund).await;
        let rows_before = snapshot(&store).await;
        let owner_counts = counts(&store).await;
        let app_url = pg_url_with_user(&db.url, support::APP_USER, support::APP_PASSWORD);
        let mut app = sqlx::PgConnection::connect(&app_url)
            .await
            .unwrap_or_else(|e| panic!("{b}: connecting as {}: {e}", support::APP_USER));
        let user: String = sqlx::query_scalar("SELECT current_user::text")
            .fetch_one(&mut app)
            .await
            .unwrap();
        assert_eq!(user, support::APP_USER);

        for sql in [
            "UPDATE entries SET kind = 'x'",
            "DELETE FROM entries",
            "DELETE FROM tree_nodes",
            "UPDATE tree_nodes SET idx = idx + 1000000",
            "UPDATE checkpoints SET note = 'x'",
            "DELETE FROM checkpoints",
            "TRUNCATE entries",
            "TRUNCATE tree_nodes",
            "TRUNCATE checkpoints",
            // Issue 20 (D2), migration 0005: only the columns its code changes.
            "UPDATE funds SET operator_key = 'x'",
            "UPDATE funds SET created_at = 'x'",
            "DELETE FROM funds",
            "UPDATE credentials SET role = 'operator'",
            "UPDATE credentials SET fund = NULL",
            "DELETE FROM credentials",
            "UPDATE proposals SET intent = 'x'",
            "UPDATE donor_vault SET identity = 'x'",
        ] {
            match sqlx::query(sql).execute(&mut app).await {
                Ok(done) => panic!(
                    "{b}: ledger_app may `{sql}` ({} rows)",
                    done.rows_affected()
                ),
                Err(e) => {
                    let msg = e.to_string();
                    assert!(
                        msg.contains("permission denied"),
                        "{b}: ledger_app `{sql}`: {msg}"
                    );
                }
            }
        }
        // The role may move a fund head (appends do), but the trigger keeps it forward,
        // and only the owner may switch triggers off.
        for sql in [
            "UPDATE funds SET head_seq = head_seq - 1",
            "ALTER TABLE entries DISABLE TRIGGER ALL",
            "DROP TABLE entries",
        ] {
            if let Ok(done) = sqlx::query(sql).execute(&mut app).await {
                panic!(
                    "{b}: ledger_app may `{sql}` ({} rows)",
                    done.rows_affected()
                );
            }
        }
        // It reads what it appends to.
        for (table, expected) in [
            ("entries", owner_counts.entries),
            ("tree_nodes", owner_counts.tree_nodes),
            ("checkpoints", owner_counts.checkpoints),
            ("funds", owner_counts.funds),
            ("donor_vault_sealed", owner_counts.donor_vault),
            ("credentials", 0),
        ] {
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(&mut app)
                .await
                .unwrap_or_else(|e| panic!("{b}: ledger_app cannot read {table}: {e}"));
            assert_eq!(n, expected, "{b}: ledger_app sees {table}");
        }
        let bytes: Vec<u8> = sqlx::query_scalar("SELECT bytes FROM entries WHERE seq = 0")
            .fetch_one(&mut app)
            .await
            .unwrap();
        assert_eq!(bytes, fund.lines[0], "{b}: ledger_app reads the bytes");
        app.close().await.ok();
        assert!(snapshot(&store).await == rows_before, "{b}: data changed");
        store.close().await;
    }
}

// ---------------------------------------------------------------------------------------
// Two processes on one PostgreSQL
// ---------------------------------------------------------------------------------------

/// Two stores (two pools, as two server processes have), each with its own `Ledger`,
/// append to the same fund: the one behind catches up under the fund's lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_share_one_postgres_fund() {
    const ALTERNATE: usize = 20;
    const CONCURRENT_EACH: usize = 30;
    let fund = Arc::new(sample("two-stores", 21, 100, 4));
    let id = fund.spec.fund.clone();
    for db in backends().await {
        let b = db.name;
        if b != "postgres" {
            println!("{b}: skipped: one process per SQLite file is the documented limit");
            continue;
        }
        let (store_a, ledger_a, clock) = loaded(&db.url, &fund).await;
        let store_b = Arc::new(support::open_store(&db.url).await.unwrap());
        let ledger_b = start_ledger(store_b.clone(), &fund, &clock).await;
        let ledgers = [ledger_a.clone(), ledger_b.clone()];
        // key → seq acknowledged.
        let mut acked: BTreeMap<String, u64> = BTreeMap::new();

        // Alternately: each append finds the other's entry first.
        for i in 0..ALTERNATE {
            let key = format!("alt-{i}");
            let (bytes, sigs) = signed_donation(&fund, &key, 300 + i as i64, clock.instant());
            let seq = appended_seq(b, &key, ledgers[i % 2].append(&id, bytes, sigs, None).await);
            assert_eq!(
                seq,
                100 + i as u64,
                "{b}: alternate append {i} (ledger {})",
                i % 2
            );
            acked.insert(key, seq);
        }

        // Concurrently, through both.
        let barrier = Arc::new(tokio::sync::Barrier::new(2 * CONCURRENT_EACH));
        let mut tasks = Vec::new();
        for i in 0..2 * CONCURRENT_EACH {
            let key = format!("both-{i}");
            let (bytes, sigs) = signed_donation(&fund, &key, 400 + i as i64, clock.instant());
            let (ledger, barrier, id) = (ledgers[i % 2].clone(), barrier.clone(), id.clone());
            tasks.push((
                key,
                tokio::spawn(async move {
                    barrier.wait().await;
                    ledger.append(&id, bytes, sigs, None).await
                }),
            ));
        }
        for (key, t) in tasks {
            let seq = appended_seq(b, &key, t.await.unwrap());
            acked.insert(key, seq);
        }

        let total = 100 + ALTERNATE + 2 * CONCURRENT_EACH;
        let seqs: BTreeSet<u64> = acked.values().copied().collect();
        assert_eq!(
            seqs.len(),
            acked.len(),
            "{b}: two appends acknowledged with one seq"
        );
        assert_eq!(
            seqs.into_iter().collect::<Vec<_>>(),
            (100..total as u64).collect::<Vec<_>>(),
            "{b}: acknowledged seqs"
        );
        // Every acknowledged entry is stored at its seq.
        for (key, seq) in &acked {
            let row = store_a
                .entry(&id, *seq)
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("{b}: {key} at {seq} missing"));
            let parsed = Entry::parse(&row.bytes).unwrap();
            assert_eq!(parsed.entry.intent.key.as_str(), key, "{b}: entry at {seq}");
        }
        // One chain: a fresh store replays it clean, and it ends at the head row.
        let fresh = support::open_store(&db.url).await.unwrap();
        let f = fresh.fund(&id).await.unwrap().unwrap();
        assert_eq!(f.size, total as u64, "{b}: size");
        let state = fresh
            .load_state(&f)
            .await
            .unwrap_or_else(|e| panic!("{b}: replay: {e}"));
        assert_eq!(state.next_seq(), total as u64, "{b}: replayed size");
        assert_eq!(state.head(), f.head_hash, "{b}: replayed head");
        assert_eq!(
            counts(&fresh).await.entries,
            total as i64,
            "{b}: no duplicate rows"
        );
        let (size, note) = fresh.latest_checkpoint(&id).await.unwrap().unwrap();
        let cp = Checkpoint::open(&note, &fund.keys.log.verifier()).unwrap();
        assert_eq!(
            (size, cp.tree_size),
            (total as u64, total as u64),
            "{b}: latest checkpoint"
        );
        assert_eq!(cp.root, state.root(), "{b}: latest checkpoint root");
        let export = export_like_routes(&ledger_b, &id).await;
        let report = verify_export(&export, Expectations::default());
        assert!(
            report.is_clean(),
            "{b}: export findings: {:?}",
            report.findings
        );
        fresh.close().await;
        store_a.close().await;
        store_b.close().await;
    }
}

/// A fund created through one process after another process started: the second one
/// must be able to append to it too (several server processes share one PostgreSQL).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_store_appends_to_a_fund_created_after_it_started() {
    let fund = sample("late-fund", 22, 30, 2);
    let id = fund.spec.fund.as_str();
    for db in backends().await {
        let b = db.name;
        if b != "postgres" {
            println!("{b}: skipped: one process per SQLite file is the documented limit");
            continue;
        }
        // Process B starts on the empty database; process A then creates the fund.
        let clock = PinnedClock::new(0);
        let store_b = Arc::new(support::open_store(&db.url).await.unwrap());
        let ledger_b = start_ledger(store_b.clone(), &fund, &clock).await;
        let (store_a, _ledger_a, clock_a) = loaded(&db.url, &fund).await;
        clock.set(clock_a.get());
        assert!(
            store_b.fund(id).await.unwrap().is_some(),
            "{b}: B's store sees the fund"
        );
        let (bytes, sigs) = signed_donation(&fund, "via-b", 1_000, clock.instant());
        let seq = appended_seq(
            b,
            "append through the process started before the fund existed",
            ledger_b.append(id, bytes, sigs, None).await,
        );
        assert_eq!(seq, 30, "{b}: seq of B's append");
        store_a.close().await;
        store_b.close().await;
    }
}

/// On PostgreSQL the service is meant to run as `ledger_app`, the role without UPDATE,
/// DELETE or TRUNCATE grants (DESIGN.md §1.1: "…or by the database role the service
/// uses"); the owner applies the migrations. A store opened as `ledger_app` on a migrated
/// database must work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_service_runs_as_the_app_role() {
    let fund = sample("app-role", 23, 30, 2);
    let id = fund.spec.fund.as_str();
    for db in backends().await {
        let b = db.name;
        if b != "postgres" {
            println!("{b}: no roles on SQLite");
            continue;
        }
        // The owner migrates (and here also loads the sample).
        let (owner_store, _owner_ledger, clock) = loaded(&db.url, &fund).await;
        owner_store.close().await;
        let app_url = pg_url_with_user(&db.url, support::APP_USER, support::APP_PASSWORD);
        let store = match support::open_store(&app_url).await {
            Ok(s) => Arc::new(s),
            Err(e) => panic!(
                "{b}: Store::open_with_vault as {} on a migrated database: {e}",
                support::APP_USER
            ),
        };
        let ledger = start_ledger(store.clone(), &fund, &clock).await;
        let (bytes, sigs) = signed_donation(&fund, "as-app", 1_000, clock.instant());
        let outcome = ledger.append(id, bytes, sigs, None).await;
        // Closed before asserting: the owner cannot end ledger_app's sessions when the
        // test database is dropped.
        store.close().await;
        let seq = appended_seq(b, "append as ledger_app", outcome);
        assert_eq!(seq, 30, "{b}: seq of the append as ledger_app");
    }
}

/// Issue 5: in a 100-entry fund, the consistency proof between every pair of sizes
/// verifies against the roots the store gives for those sizes (and matches the reference
/// tree's proof).
#[tokio::test]
async fn consistency_proofs_between_every_pair_of_sizes_verify() {
    const N: u64 = 100;
    let fund = sample("pairs", 23, N as usize, 4);
    let id = fund.spec.fund.as_str();
    let leaves: Vec<Hash> = fund.lines.iter().map(|l| leaf_hash(l)).collect();
    let tree = MemoryTree::from_leaves(&leaves);
    for db in backends().await {
        let b = db.name;
        let (store, _ledger, _clock) = loaded(&db.url, &fund).await;
        let mut roots = vec![Hash([0; 32])];
        for size in 1..=N {
            roots.push(store.root_at(id, size).await.unwrap());
        }
        let mut checked = 0;
        for s1 in 1..=N {
            for s2 in s1..=N {
                let proof = store
                    .consistency_proof(id, s1, s2)
                    .await
                    .unwrap_or_else(|e| panic!("{b}: consistency({s1}, {s2}): {e}"));
                assert_eq!(
                    proof,
                    tree.consistency_proof(s1, s2).unwrap(),
                    "{b}: ({s1}, {s2})"
                );
                verify_consistency(s1, s2, &proof, &roots[s1 as usize], &roots[s2 as usize])
                    .unwrap_or_else(|e| {
                        panic!("{b}: consistency({s1}, {s2}) does not verify: {e}")
                    });
                checked += 1;
            }
        }
        assert_eq!(checked, N * (N + 1) / 2);
    }
}

/// Migration 0005 rebuilds SQLite's `tree_nodes` as a WITHOUT ROWID table. A database
/// made by the migrations before it, with nodes in it, keeps every node, gets the new
/// table, and still refuses to rewrite a node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_tree_nodes_migration_keeps_every_node() {
    sqlx::any::install_default_drivers();
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("migrations-0001-0004");
    std::fs::create_dir(&old).unwrap();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/sqlite");
    let mut copied = 0;
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.as_str() < "0005" {
            std::fs::copy(&path, old.join(&name)).unwrap();
            copied += 1;
        }
    }
    assert_eq!(copied, 4, "migrations before 0005");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::migrate::Migrator::new(old.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO funds (id, operator_key, created_at, head_seq, head_hash) \
         VALUES ('f', 'k', '2026-01-01T00:00:00Z', -1, x'00')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let mut nodes = Vec::new();
    for level in 0..3i64 {
        for idx in 0..(40 >> level) {
            let hash = ledger_core::hash::sha256(format!("{level}/{idx}").as_bytes());
            sqlx::query("INSERT INTO tree_nodes (fund, level, idx, hash) VALUES ('f', $1, $2, $3)")
                .bind(level)
                .bind(idx as i64)
                .bind(hash.0.to_vec())
                .execute(&pool)
                .await
                .unwrap();
            nodes.push(format!("{level} {idx} {}", hex::encode(hash.0)));
        }
    }
    pool.close().await;

    let store = support::open_store(&url)
        .await
        .expect("the store opens and migrates");
    let all = |store: &Store| {
        let pool = store.pool().clone();
        async move {
            sqlx::query(
                "SELECT level, idx, hash FROM tree_nodes WHERE fund = 'f' ORDER BY level, idx",
            )
            .fetch_all(&pool)
            .await
            .unwrap()
            .iter()
            .map(|r| {
                format!(
                    "{} {} {}",
                    r.get::<i64, _>(0),
                    r.get::<i64, _>(1),
                    hex::encode(r.get::<Vec<u8>, _>(2))
                )
            })
            .collect::<Vec<_>>()
        }
    };
    assert_eq!(all(&store).await, nodes, "every node kept");
    let table: String = sqlx::query_scalar(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'tree_nodes'",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert!(table.contains("WITHOUT ROWID"), "new table: {table}");
    for sql in [
        "UPDATE tree_nodes SET hash = x'00' WHERE fund = 'f'",
        "DELETE FROM tree_nodes WHERE fund = 'f'",
        "REPLACE INTO tree_nodes (fund, level, idx, hash) VALUES ('f', 0, 0, x'00')",
        "INSERT OR REPLACE INTO tree_nodes (fund, level, idx, hash) VALUES ('f', 0, 1, x'00')",
    ] {
        let refused = sqlx::query(sql).execute(store.pool()).await;
        assert!(refused.is_err(), "`{sql}` was allowed");
    }
    assert_eq!(all(&store).await, nodes, "nodes after refused rewrites");
    store.close().await;
}

/// The per-month index (`month_figures`) equals what a full replay of the log by the
/// core's rules gives, month by month and kind by kind, on demo funds; an index that
/// disagrees with the log (a month's row lost, another's changed) is found by the check
/// at start and rebuilt from the log, equal again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn month_figures_equal_a_replay_and_are_rebuilt_when_they_disagree() {
    use ledger_api::store::{MonthIndexCheck, MonthKind};
    type Figures = BTreeMap<(Date, String), (u64, i64, u64, u64)>;
    for i in [0, 5] {
        let fund = build(&ledger_api::demo::spec(i, 1_760_000_000), ORIGIN).expect("demo fund");
        let id = fund.spec.fund.as_str();
        // The replay: every line parsed and applied by the rules from an empty state.
        let mut state = ledger_core::state::FundState::new(
            FundId::parse(&fund.spec.fund).unwrap(),
            PublicKey::from_verifying_key(fund.keys.operator.verifying_key()),
        );
        let mut replayed = Figures::new();
        for line in &fund.lines {
            let p = Entry::parse(line).unwrap();
            let applied = state.apply(&p.entry, p.hash).unwrap();
            let month = p
                .entry
                .recorded_at
                .local_date(state.utc_offset())
                .first_of_month();
            let seq = p.entry.seq;
            let f = replayed
                .entry((month, p.entry.intent.body.kind().as_str().to_owned()))
                .or_insert((0, 0, seq, seq));
            f.0 += 1;
            f.1 += applied.delta.to_fen();
            f.3 = seq;
        }
        assert!(
            replayed.len() >= 12,
            "demo fund {i}: {} rows",
            replayed.len()
        );
        let of = |rows: Vec<MonthKind>| -> Figures {
            rows.into_iter()
                .map(|m| {
                    (
                        (m.month, m.kind),
                        (m.entries, m.delta_fen, m.first_seq, m.last_seq),
                    )
                })
                .collect()
        };
        for db in backends().await {
            let b = db.name;
            let (store, _ledger, _clock) = loaded(&db.url, &fund).await;
            let got = of(store.month_figures(id).await.unwrap());
            assert_eq!(got, replayed, "{b}: demo fund {i}: index against replay");
            assert_eq!(
                store.ensure_month_figures(id).await.unwrap(),
                MonthIndexCheck::Agrees,
                "{b}"
            );
            // Damage: the first month's rows lost, one row of the last month changed.
            sqlx::query(
                "DELETE FROM month_figures WHERE fund = $1 AND month = \
                 (SELECT MIN(month) FROM month_figures WHERE fund = $1)",
            )
            .bind(id)
            .execute(store.pool())
            .await
            .unwrap();
            sqlx::query(
                "UPDATE month_figures SET delta_fen = delta_fen + 1 WHERE fund = $1 AND month = \
                 (SELECT MAX(month) FROM month_figures WHERE fund = $1)",
            )
            .bind(id)
            .execute(store.pool())
            .await
            .unwrap();
            assert_ne!(of(store.month_figures(id).await.unwrap()), replayed, "{b}");
            assert_eq!(
                store.ensure_month_figures(id).await.unwrap(),
                MonthIndexCheck::Rebuilt,
                "{b}: damage found"
            );
            assert_eq!(
                of(store.month_figures(id).await.unwrap()),
                replayed,
                "{b}: demo fund {i}: rebuilt index against replay"
            );
            store.close().await;
        }
    }
}

/// The core's books and calendar of `fund`, by a full replay of its log.
fn replayed_books(
    fund: &SampleFund,
) -> (
    ledger_core::statutory::Books,
    ledger_core::calendar::Calendar,
) {
    let mut state = ledger_core::state::FundState::new(
        FundId::parse(&fund.spec.fund).unwrap(),
        PublicKey::from_verifying_key(fund.keys.operator.verifying_key()),
    );
    let mut books = ledger_core::statutory::Books::default();
    let mut calendar = ledger_core::calendar::Calendar::default();
    for line in &fund.lines {
        let p = Entry::parse(line).unwrap();
        let applied = state.apply(&p.entry, p.hash).unwrap();
        books.record(&p.entry, &applied).unwrap();
        calendar.record(&p.entry);
    }
    (books, calendar)
}

/// Every report and calendar a reader can ask of `fund` (each month, quarter and year
/// from its first month to a year after its last, and the calendar on the first of each
/// month), for comparing two sources of the same books.
fn all_reports(
    books: &ledger_core::statutory::Books,
    calendar: &ledger_core::calendar::Calendar,
) -> Vec<String> {
    let first = *books.months().next().expect("a month").0;
    let mut out = Vec::new();
    let mut month = first;
    for _ in 0..((books.months().count() as u32) + 12) {
        for p in [
            Period::month_of(month),
            Period::quarter_of(month),
            Period::year_of(month),
        ] {
            out.push(format!("{:?}", books.report(&p)));
        }
        out.push(format!("{:?}", calendar.duties(month)));
        month = ledger_core::calendar::add_months(month, 1).unwrap();
    }
    out
}

/// Issue 17/19: the statutory index (`month_lines`, `disclosure_events`) gives the same
/// statutory reports (every month, quarter and year) and the same disclosure calendar as a
/// full replay of the log by the core, on demo funds (restricted gifts spent and
/// revoked), demo stories with other seeds and generated funds with corrections and
/// opinions; damage to the index (a month's lines moved from restricted to unrestricted,
/// a calendar row lost, a month's row lost) is found by the check at start and rebuilt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statutory_index_equals_a_replay_and_is_rebuilt_when_it_disagrees() {
    use ledger_api::store::MonthIndexCheck;
    let mut funds = Vec::new();
    for i in [0, 5] {
        funds.push(ledger_api::demo::spec(i, 1_760_000_000));
    }
    let mut other_seed = ledger_api::demo::spec(0, 1_760_000_000);
    other_seed.seed = 7;
    funds.push(other_seed);
    for seed in [7, 8] {
        funds.push(SampleSpec::example("gen-fund", seed, 200, 14).with_oversight());
    }
    let mut released = 0;
    for spec in funds {
        let fund = build(&spec, ORIGIN).expect("fund builds");
        let id = fund.spec.fund.as_str();
        let (books, calendar) = replayed_books(&fund);
        let want = all_reports(&books, &calendar);
        released += usize::from(books.months().any(|(_, l)| l.releases != 0));
        for db in backends().await {
            let b = db.name;
            let (store, ledger, _clock) = loaded(&db.url, &fund).await;
            let restricted = ledger
                .read_state(id, |s| s.restricted_balance().to_fen())
                .await
                .unwrap();
            let index = |store: Arc<Store>| async move {
                all_reports(
                    &store.statutory_books(id).await.unwrap(),
                    &store.disclosure_calendar(id).await.unwrap(),
                )
            };
            assert_eq!(
                index(store.clone()).await,
                want,
                "{b} {id}: index against replay"
            );
            assert_eq!(
                store
                    .ensure_statutory_index(id, Some(restricted))
                    .await
                    .unwrap(),
                MonthIndexCheck::Agrees,
                "{b} {id}"
            );
            let damages = [
                // Restricted money moved to the unrestricted column (totals unchanged).
                "UPDATE month_lines SET donation_restricted_fen = donation_restricted_fen + 1, \
                 donation_unrestricted_fen = donation_unrestricted_fen - 1 WHERE fund = $1 \
                 AND month = (SELECT MIN(month) FROM month_lines WHERE fund = $1)",
                // A statement lost from the calendar.
                "DELETE FROM disclosure_events WHERE fund = $1 AND seq = \
                 (SELECT MAX(seq) FROM disclosure_events WHERE fund = $1)",
                // A month's lines lost.
                "DELETE FROM month_lines WHERE fund = $1 AND month = \
                 (SELECT MAX(month) FROM month_lines WHERE fund = $1)",
                // A release typed into the index (changes both columns, not the total).
                "UPDATE month_lines SET releases_fen = releases_fen + 100 WHERE fund = $1 \
                 AND month = (SELECT MIN(month) FROM month_lines WHERE fund = $1)",
            ];
            for sql in damages {
                sqlx::query(sql)
                    .bind(id)
                    .execute(store.pool())
                    .await
                    .unwrap();
                assert_ne!(
                    index(store.clone()).await,
                    want,
                    "{b} {id}: `{sql}` damages"
                );
                assert_eq!(
                    store
                        .ensure_statutory_index(id, Some(restricted))
                        .await
                        .unwrap(),
                    MonthIndexCheck::Rebuilt,
                    "{b} {id}: `{sql}` found"
                );
                assert_eq!(
                    index(store.clone()).await,
                    want,
                    "{b} {id}: rebuilt index against replay after `{sql}`"
                );
            }
            store.close().await;
        }
    }
    assert!(
        released >= 1,
        "funds whose restricted money is released: {released}"
    );
}
