//! Store benchmark (issue: durable store). Prints, in one run, for SQLite and (when
//! `LEDGER_TEST_POSTGRES_URL` is set) PostgreSQL:
//!
//! - durable appends/s through `Ledger::append` (signature check + rules + one transaction
//!   per batch, group commit) with 1, 8 and 32 concurrent writers on one fund, and with 32
//!   and 256 writers spread over 30 funds (issue 19), each beside 32 writers on one fund;
//! - the raw one-row-per-commit insert rate of rows of the same size and durability,
//!   measured by the same harness (1 and 32 writers);
//! - the bare Ed25519 verification rate of the same intents (1 core and all cores), one by
//!   one and in ed25519-zebra batches (ZIP-215, `verify_signatures_batch`);
//! - the bulk insert rate of the same rows in 1,000-row transactions; the 256-writer rate
//!   over 30 funds is printed beside the lower of that and the batched verification rate
//!   on all cores (issue 19's saturation target: ≥ 0.5×);
//! - the rate of the server's write rule (the strict check every append passes on
//!   arrival, one by one: it cannot be batched) on all cores, beside which the
//!   256-writer rate is printed too: the bound that rule puts on any append rate;
//! - inclusion-proof latency at 1,000 and 1,000,000 entries (stored subtree hashes).
//!
//! Run: `cargo bench -p ledger-api --bench append` (env `BENCH_APPENDS`, default 3000;
//! `BENCH_WRITERS=32` runs only the appends with that many writers, e.g. for a profiler;
//! with `BENCH_FUNDS=30` they spread over that many funds).

mod fixture;

use fixture::{donations, genesis, Signed, START};

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Instant as Clock;

use ledger_api::ledger::Ledger;
use ledger_api::store::Store;
use ledger_core::entry::{signing_message, Sig};
use ledger_core::keys::PublicKey;
use ledger_core::merkle::Frontier;
use ledger_core::note::NoteSigner;
use ledger_core::prepare::verify_signatures_batch;
use ledger_core::sample::key_from_label;
use ledger_core::time::Instant;

struct Db {
    url: String,
    name: &'static str,
}

/// A fresh database named `tag` on `db`'s backend (only that backend's: no PostgreSQL
/// database is made for a SQLite run).
async fn fresh_url(db: &Db, dir: &std::path::Path, tag: &str) -> String {
    if db.name == "sqlite" {
        format!("sqlite://{}", dir.join(format!("{tag}.db")).display())
    } else {
        fresh_dbs(dir, tag).await.pop().unwrap().url
    }
}

async fn fresh_dbs(dir: &std::path::Path, tag: &str) -> Vec<Db> {
    let mut out = vec![Db {
        url: format!("sqlite://{}", dir.join(format!("{tag}.db")).display()),
        name: "sqlite",
    }];
    if let Ok(admin) = std::env::var("LEDGER_TEST_POSTGRES_URL") {
        let db = format!("ledger_bench_{tag}_{}", std::process::id());
        let url = fixture::fresh_postgres(&admin, &db).await;
        out.push(Db {
            url,
            name: "postgres",
        });
    }
    out
}

/// Durable appends/s of `n` donations from `writers` concurrent writers spread over
/// `funds` funds (each writer takes the next donation, whatever its fund).
async fn append_rate(url: &str, writers: usize, funds: usize, n: usize) -> f64 {
    let store = Arc::new(Store::open(url).await.unwrap());
    let operator = key_from_label("bench/operator");
    let trustee = key_from_label("bench/trustee");
    let log = NoteSigner::new("bench.example", key_from_label("bench/log")).unwrap();
    let now = Arc::new(AtomicI64::new(START));
    let n2 = now.clone();
    let ledger = Ledger::start(
        store.clone(),
        log,
        PublicKey::from_verifying_key(operator.verifying_key()),
        "bench.example".into(),
        Arc::new(move || Instant::from_unix_seconds(n2.load(Ordering::Relaxed)).unwrap()),
    )
    .await
    .unwrap();
    let mut per_fund = Vec::with_capacity(funds);
    for f in 0..funds {
        let fund = format!("bench-w{writers}-f{f}");
        let g = genesis(&fund, &operator, &trustee);
        ledger
            .append(&fund, g.intent_bytes, g.sigs, None)
            .await
            .unwrap();
        // This fund's share of the n donations.
        let share = n / funds + usize::from(f < n % funds);
        let mine: Vec<(String, Signed)> = donations(&fund, &trustee, share)
            .into_iter()
            .map(|s| (fund.clone(), s))
            .collect();
        per_fund.push(mine.into_iter());
    }
    // Interleaved, so that the writers spread over the funds from the start.
    let mut work = Vec::with_capacity(n);
    while work.len() < n {
        for f in per_fund.iter_mut() {
            work.extend(f.next());
        }
    }
    let rate = n as f64 / fixture::drive(&ledger, work, writers).await.as_secs_f64();
    let batches: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM checkpoints")
        .fetch_one(store.pool())
        .await
        .unwrap();
    println!("    ({writers:>3} writers, {funds:>2} funds: {n} appends in {batches} fund batches)");
    store.close().await;
    rate
}

/// One row per transaction, rows of the same size, same database settings.
async fn raw_rate(url: &str, writers: usize, n: usize, row_bytes: usize) -> f64 {
    let store = Arc::new(Store::open(url).await.unwrap());
    let table = format!("bench_raw_{writers}");
    sqlx::query(&format!(
        "CREATE TABLE {table} (id BIGINT PRIMARY KEY, bytes {})",
        if url.starts_with("postgres") {
            "BYTEA"
        } else {
            "BLOB"
        }
    ))
    .execute(store.writer_pool())
    .await
    .unwrap();
    let next = Arc::new(AtomicI64::new(0));
    let started = Clock::now();
    let mut tasks = Vec::new();
    // SQLite has one writer: serialise like the store does, instead of failing busy.
    let lock = Arc::new(tokio::sync::Mutex::new(()));
    for _ in 0..writers {
        let store = store.clone();
        let next = next.clone();
        let table = table.clone();
        let lock = lock.clone();
        let sqlite = !url.starts_with("postgres");
        tasks.push(tokio::spawn(async move {
            loop {
                let id = next.fetch_add(1, Ordering::Relaxed);
                if id >= n as i64 {
                    break;
                }
                let _g = if sqlite {
                    Some(lock.lock().await)
                } else {
                    None
                };
                // Through the connection(s) that appends use.
                let mut tx = store.writer_pool().begin().await.unwrap();
                sqlx::query(&format!("INSERT INTO {table} (id, bytes) VALUES ($1, $2)"))
                    .bind(id)
                    .bind(vec![7u8; row_bytes])
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    store.close().await;
    rate
}

/// The bare verification rate of `signed` on `threads` threads, one by one by the read
/// rule (ZIP-215), the fastest pass ([`fastest_rate`]).
fn verify_rate(signed: &[Signed], threads: usize) -> f64 {
    verify_rate_by(signed, threads, |key, msg, sig| key.verify(msg, sig))
}

/// [`verify_rate`] by the server's write rule (FORMAT.md §3, `ledger_core::strict`): the
/// strict cofactorless check, one by one, that every append passes on arrival. A batch
/// cannot do it (`tests/signature_rules.rs`), so this rate on all cores bounds what any
/// number of writers can append.
fn strict_rate(signed: &[Signed], threads: usize) -> f64 {
    verify_rate_by(signed, threads, ledger_core::strict::signature_is_strict)
}

/// The rate of `rule` over `signed`'s signatures on `threads` threads (see [`verify_rate`]).
fn verify_rate_by(
    signed: &[Signed],
    threads: usize,
    rule: fn(&PublicKey, &[u8], &ledger_core::keys::SignatureBytes) -> bool,
) -> f64 {
    let jobs: Vec<(Vec<u8>, Sig)> = signed
        .iter()
        .map(|s| (signing_message(&s.intent_bytes), s.sigs[0]))
        .collect();
    fastest_rate(&jobs, threads, |part| {
        for (msg, s) in part {
            assert!(rule(&s.key, msg, &s.sig));
        }
    })
}

/// Items/s of `work` over `items` split among `threads` threads: passes over all of them
/// for at least a second, the fastest pass (a short run is at the mercy of one stall, and
/// a higher baseline only makes the target harder).
fn fastest_rate<T: Sync>(items: &[T], threads: usize, work: impl Fn(&[T]) + Sync) -> f64 {
    let begun = Clock::now();
    let mut best = 0f64;
    while best == 0.0 || begun.elapsed().as_secs_f64() < 1.0 {
        let started = Clock::now();
        std::thread::scope(|scope| {
            for part in items.chunks(items.len().div_ceil(threads)) {
                let work = &work;
                scope.spawn(move || work(part));
            }
        });
        best = best.max(items.len() as f64 / started.elapsed().as_secs_f64());
    }
    best
}

/// The bare batched verification rate of `signed` on `threads` threads: ed25519-zebra
/// batches of 256 intents (ZIP-215, [`verify_signatures_batch`], the verifier's and the
/// library's batch rule), the fastest pass ([`fastest_rate`]).
fn batch_verify_rate(signed: &[Signed], threads: usize) -> f64 {
    let items: Vec<(&[Sig], &[u8])> = signed
        .iter()
        .map(|s| (s.sigs.as_slice(), s.intent_bytes.as_slice()))
        .collect();
    fastest_rate(&items, threads, |part| {
        for batch in part.chunks(256) {
            assert!(verify_signatures_batch(batch).iter().all(Result::is_ok));
        }
    })
}

/// Rows/s of a bulk insert of `n` rows of `row_bytes` in transactions of 1,000 rows
/// (250 rows a statement), one writer, the same durability as the appends.
async fn bulk_rate(url: &str, n: usize, row_bytes: usize) -> f64 {
    let store = Arc::new(Store::open(url).await.unwrap());
    let blob = if url.starts_with("postgres") {
        "BYTEA"
    } else {
        "BLOB"
    };
    sqlx::query(&format!(
        "CREATE TABLE bench_bulk (id BIGINT PRIMARY KEY, bytes {blob})"
    ))
    .execute(store.writer_pool())
    .await
    .unwrap();
    let ids: Vec<i64> = (0..n as i64).collect();
    let started = Clock::now();
    for txn in ids.chunks(1_000) {
        let mut tx = store.writer_pool().begin().await.unwrap();
        for stmt in txn.chunks(250) {
            let marks: Vec<String> = (0..stmt.len())
                .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
                .collect();
            let sql = format!(
                "INSERT INTO bench_bulk (id, bytes) VALUES {}",
                marks.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for id in stmt {
                q = q.bind(*id).bind(vec![7u8; row_bytes]);
            }
            q.execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    store.close().await;
    rate
}

/// Inserts the complete-subtree rows of a synthetic tree of `size` leaves.
async fn synthetic_tree(store: &Store, fund: &str, size: u64) {
    store
        .create_fund(
            fund,
            &"0".repeat(64),
            Instant::from_unix_seconds(START).unwrap(),
        )
        .await
        .unwrap();
    let mut frontier = Frontier::new();
    let mut pending = Vec::new();
    for i in 0..size {
        let leaf = ledger_core::hash::sha256(&i.to_le_bytes());
        pending.extend(frontier.push(leaf));
        if pending.len() >= 5_000 || i + 1 == size {
            let mut tx = store.pool().begin().await.unwrap();
            for chunk in pending.chunks(500) {
                let marks: Vec<String> = (0..chunk.len())
                    .map(|r| {
                        format!(
                            "(${}, ${}, ${}, ${})",
                            4 * r + 1,
                            4 * r + 2,
                            4 * r + 3,
                            4 * r + 4
                        )
                    })
                    .collect();
                let sql = format!(
                    "INSERT INTO tree_nodes (fund, level, idx, hash) VALUES {}",
                    marks.join(", ")
                );
                let mut q = sqlx::query(&sql);
                for (id, h) in chunk {
                    q = q
                        .bind(fund)
                        .bind(i64::from(id.level))
                        .bind(id.index as i64)
                        .bind(h.0.to_vec());
                }
                q.execute(&mut *tx).await.unwrap();
            }
            tx.commit().await.unwrap();
            pending.clear();
        }
    }
    // A proof request is checked against the fund's size, which the store reads from the
    // last entries row: one placeholder row at the last seq makes the log as long as the
    // tree (the proof itself reads only tree_nodes).
    sqlx::query(
        "INSERT INTO entries (fund, seq, hash, kind, delta_fen, balance_fen, recorded_at, \
         idem_key, intent_hash, bytes) VALUES ($1, $2, $3, 'donation', 0, 0, '', 'bench', $3, $3)",
    )
    .bind(fund)
    .bind(size as i64 - 1)
    .bind(vec![0u8; 32])
    .execute(store.pool())
    .await
    .unwrap();
    // The head row says the same.
    sqlx::query("UPDATE funds SET head_seq = $1 WHERE id = $2")
        .bind(size as i64 - 1)
        .bind(fund)
        .execute(store.pool())
        .await
        .unwrap();
}

async fn proof_latency_us(url: &str, size: u64) -> f64 {
    let store = Store::open(url).await.unwrap();
    let fund = format!("proof-{size}");
    synthetic_tree(&store, &fund, size).await;
    let mut rng = ledger_core::sample::SplitMix::new(size);
    let n = 500;
    let started = Clock::now();
    for _ in 0..n {
        let index = rng.next_u64() % size;
        let proof = store.inclusion_proof(&fund, index, size).await.unwrap();
        assert!(!proof.is_empty() || size == 1);
    }
    let us = started.elapsed().as_secs_f64() * 1e6 / n as f64;
    store.close().await;
    us
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("BENCH_APPENDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3_000);
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let dir = tempfile::tempdir().unwrap();
    let trustee = key_from_label("bench/trustee");
    let sample = donations("bench-w1", &trustee, n);
    let row_bytes = {
        // The size of a stored entry: its canonical bytes.
        sample[0].intent_bytes.len() + 300
    };
    let v1 = verify_rate(&sample, 1);
    let vall = verify_rate(&sample, cores);
    let zall = batch_verify_rate(&sample, cores);
    let sall = strict_rate(&sample, cores);
    println!("community-ledger store benchmark: {n} appends per run, {cores} cores");
    println!("bare Ed25519 verification of the same intents (fastest pass of those in 1 s): {v1:.0}/s on 1 core, {vall:.0}/s on {cores} cores");
    println!("bare batched verification (ed25519-zebra, 256 a batch, ZIP-215) of the same intents: {zall:.0}/s on {cores} cores");
    println!("the write rule's strict check (one by one, as every append is checked on arrival) of the same intents: {sall:.0}/s on {cores} cores");
    let only: Option<usize> = std::env::var("BENCH_WRITERS")
        .ok()
        .and_then(|s| s.parse().ok());
    // With BENCH_WRITERS, how many funds the writers spread over (default 1).
    let only_funds: usize = std::env::var("BENCH_FUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    for db in fresh_dbs(dir.path(), "append").await {
        if let Some(w) = only {
            println!("\n== {} ==", db.name);
            let url = match db.name {
                "sqlite" => format!("sqlite://{}", dir.path().join("only.db").display()),
                _ => db.url.clone(),
            };
            let rate = append_rate(&url, w, only_funds, n).await;
            println!("durable appends, {w:>2} writers, {only_funds:>2} funds: {rate:>7.0}/s");
            continue;
        }
        println!("\n== {} ==", db.name);
        let raw1 = raw_rate(&db.url, 1, n.min(2_000), row_bytes).await;
        let raw32 = raw_rate(&db.url, 32, n.min(2_000), row_bytes).await;
        println!("raw one-row-per-commit inserts ({row_bytes} B rows): {raw1:.0}/s with 1 writer, {raw32:.0}/s with 32 writers");
        let bulk = bulk_rate(&db.url, n, row_bytes).await;
        let limit = bulk.min(zall);
        println!("bulk insert of the same rows in 1,000-row transactions: {bulk:.0}/s; saturation limit (lower of it and batched verification): {limit:.0}/s");
        let mut one_fund_32 = f64::NAN;
        for w in [1usize, 8, 32] {
            let url = fresh_url(&db, dir.path(), &format!("w{w}")).await;
            let rate = append_rate(&url, w, 1, n).await;
            println!(
                "durable appends, {w:>2} writers: {rate:>7.0}/s = {:.1}× raw 1-writer commits, {:.1}× raw 32-writer commits, {:.2}× bare verification on {cores} cores",
                rate / raw1,
                rate / raw32,
                rate / vall
            );
            if w == 32 {
                one_fund_32 = rate;
            }
        }
        // Issue 19: the same writers spread over 30 funds (SQLite: one group commit for
        // the ready batches of every fund; PostgreSQL: funds commit in parallel), and 256
        // writers over 30 funds (saturation), each beside 32 writers on one fund above.
        for w in [32usize, 256] {
            let url = fresh_url(&db, dir.path(), &format!("f30w{w}")).await;
            let rate = append_rate(&url, w, 30, n).await;
            println!(
                "durable appends, {w:>3} writers over 30 funds: {rate:>7.0}/s = {:.2}× 32 writers on one fund, {:.1}× raw 1-writer commits, {:.2}× the saturation limit ({limit:.0}/s; target at 256 writers ≥ 0.5×), {:.2}× the write rule's check on {cores} cores ({sall:.0}/s)",
                rate / one_fund_32,
                rate / raw1,
                rate / limit,
                rate / sall
            );
        }
        let p3 = proof_latency_us(&db.url, 1_000).await;
        let p6 = proof_latency_us(&db.url, 1_000_000).await;
        println!(
            "inclusion proof: {p3:.0} µs at 10^3 entries, {p6:.0} µs at 10^6 entries (ratio {:.2}, target ≤ 3)",
            p6 / p3
        );
    }
}
