//! Start-up benchmark (issue 19, item 3): how long a server takes to be ready to serve a
//! fund of N entries, now (no replay: funds are checked with a few reads and loaded from
//! their stored state when first needed), beside what start-up used to cost (a replay of
//! the whole log), measured in the same run on the same database.
//!
//! Fills a SQLite data folder through a real `Application` (keys created as at a first
//! start; a genesis and N donations appended through the ledger by 64 writers), stops it
//! as a graceful stop does (each fund's state stored), then prints:
//!
//! - start to listening: `Application::build` on the folder (open and migrate the store,
//!   check the funds' rows, no replay), the listener bound before;
//! - the first append after the start (loads the fund: its stored state checked, the
//!   entries after it replayed);
//! - a full replay of the log (`Store::load_state`: what every start did before).
//!
//! Run: `cargo bench -p ledger-api --bench startup` (env `BENCH_STARTUP_ENTRIES`, default
//! 20,000; the target is stated at 1,000,000).

mod fixture;

use std::time::Instant as Clock;

use clap::Parser;
use fixture::{donation, donations, genesis};
use ledger_api::keyfile::read_seed_key;
use ledger_api::server::{Application, Config};
use ledger_core::sample::key_from_label;

/// The server's flags, parsed as the binary parses them.
#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    config: Config,
}

async fn application(config: &Config) -> Application {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    Application::build(config.clone(), listener).await.unwrap()
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("BENCH_STARTUP_ENTRIES")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(20_000);
    let dir = tempfile::tempdir().unwrap();
    let config = Cli::parse_from([
        "bench",
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--origin",
        "bench.example",
    ])
    .config;
    let fund = "bench";
    let trustee = key_from_label("bench/trustee");

    let filled = Clock::now();
    let app = application(&config).await;
    let operator = read_seed_key(&dir.path().join("operator.key")).unwrap();
    let ledger = app.state().ledger.clone();
    let g = genesis(fund, &operator, &trustee);
    ledger
        .append(fund, g.intent_bytes, g.sigs, None)
        .await
        .unwrap();
    let work = donations(fund, &trustee, n)
        .into_iter()
        .map(|s| (fund.to_owned(), s))
        .collect();
    fixture::drive(&ledger, work, 64).await;
    // What a graceful stop does: each fund's state stored.
    ledger.save_states().await;
    ledger.store().close().await;
    drop(app);
    drop(ledger);
    println!(
        "start-up benchmark: {} entries (genesis + {n} donations) written in {:.1} s",
        n + 1,
        filled.elapsed().as_secs_f64()
    );

    let started = Clock::now();
    let app = application(&config).await;
    let listening = started.elapsed();
    let ledger = app.state().ledger.clone();
    let s = donation(fund, &trustee, n);
    let first = Clock::now();
    ledger
        .append(fund, s.intent_bytes, s.sigs, None)
        .await
        .unwrap();
    let first = first.elapsed();
    let store = ledger.store();
    let row = store.fund(fund).await.unwrap().unwrap();
    let replay = Clock::now();
    let state = store.load_state(&row).await.unwrap();
    let replay = replay.elapsed();
    assert_eq!(state.next_seq() as usize, n + 2);
    println!(
        "start to listening (no replay):                         {:8.1} ms",
        listening.as_secs_f64() * 1e3
    );
    println!(
        "first append after start (stored state + tail loaded):  {:8.1} ms",
        first.as_secs_f64() * 1e3
    );
    println!(
        "full replay of the log (what every start did before):   {:8.1} ms",
        replay.as_secs_f64() * 1e3
    );
    println!(
        "start to listening before = listening now + full replay ≈ {:.1} ms ({:.0}× longer)",
        (listening + replay).as_secs_f64() * 1e3,
        (listening + replay).as_secs_f64() / listening.as_secs_f64()
    );
}
