//! Witness benchmark (issue 16): durable appends/s with 32 writers, with the witness
//! client off and on (two in-process `ledger-witness` servers, `audit_tools::witness`, on
//! loopback; a round every second, ten times the default rate), in one run. Runs
//! alternate off/on five times on fresh databases and the median and the best of each are printed;
//! target: on within 5 % of off. After each "on" run it waits until every fund's final
//! checkpoint is witnessed, so the witnesses really did their work meanwhile.
//!
//! Run: `cargo bench -p ledger-api --bench witnessing` (env `BENCH_APPENDS`, default
//! 8000; SQLite, and PostgreSQL too when `LEDGER_TEST_POSTGRES_URL` is set).

mod fixture;

use fixture::{donation, genesis, Signed, START};

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant as Clock};

use audit_tools::witness::{OriginPattern, Witness};
use ledger_api::ledger::Ledger;
use ledger_api::metrics::Metrics;
use ledger_api::store::Store;
use ledger_api::witnesses::{client, WitnessSetup};
use ledger_core::cosignature::CosignerKey;
use ledger_core::keys::PublicKey;
use ledger_core::note::NoteSigner;
use ledger_core::sample::key_from_label;
use ledger_core::time::Instant;

const ORIGIN: &str = "bench.example";
const WRITERS: usize = 32;
const FUNDS: usize = 8;
const ROUNDS: usize = 5;

/// Two in-process witnesses of `ORIGIN`'s funds signed by `log`, on loopback; the policy
/// that needs both.
async fn witnesses(dir: &std::path::Path, log: &NoteSigner) -> String {
    let mut lines = format!("log {}\n", log.verifier().to_vkey());
    for name in ["committee", "bureau"] {
        let key = CosignerKey::from_seed(
            &format!("witness.example/{name}"),
            &key_from_label(&format!("bench/witness/{name}")).to_bytes(),
        )
        .unwrap();
        let w = Witness::open_with_key(&dir.join(name), key).await.unwrap();
        w.add_log(&OriginPattern::Prefix(ORIGIN.into()), &[log.verifier()])
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        lines.push_str(&format!("witness {name} {} http://{addr}\n", w.vkey()));
        tokio::spawn(audit_tools::witness::serve(listener, w));
    }
    lines.push_str("group both all committee bureau\nquorum both\n");
    lines
}

/// Appends/s of `n` donations by [`WRITERS`] writers over [`FUNDS`] funds (named after
/// `tag`) on `url`, with
/// the witness client on when `policy` is given.
async fn append_rate(
    url: &str,
    tag: &str,
    n: usize,
    policy: Option<&str>,
    interval: Duration,
) -> (f64, String) {
    let store = Arc::new(Store::open(url).await.unwrap());
    let operator = key_from_label("bench/operator");
    let trustee = key_from_label("bench/trustee");
    let log = NoteSigner::new(ORIGIN, key_from_label("bench/log")).unwrap();
    let now = Arc::new(AtomicI64::new(START));
    let n2 = now.clone();
    let ledger = Ledger::start(
        store.clone(),
        log.clone(),
        PublicKey::from_verifying_key(operator.verifying_key()),
        ORIGIN.into(),
        Arc::new(move || Instant::from_unix_seconds(n2.load(Ordering::Relaxed)).unwrap()),
    )
    .await
    .unwrap();
    // Funds of their own per run: the witnesses remember every fund they cosigned, and
    // another run's fund of the same name would be a split view to them.
    let funds: Vec<String> = (0..FUNDS).map(|f| format!("bench-{tag}-f{f}")).collect();
    for fund in &funds {
        let g = genesis(fund, &operator, &trustee);
        ledger
            .append(fund, g.intent_bytes, g.sigs, None)
            .await
            .unwrap();
    }
    let metrics = Arc::new(Metrics::new());
    let setup = policy.map(|p| Arc::new(WitnessSetup::new(p.to_owned(), &log.verifier()).unwrap()));
    let task = setup
        .as_ref()
        .map(|s| client::spawn(ledger.clone(), s.clone(), metrics.clone(), interval).unwrap());
    let work: Vec<(String, Signed)> = (0..n)
        .map(|i| {
            let fund = &funds[i % FUNDS];
            (fund.clone(), donation(fund, &trustee, i))
        })
        .collect();
    let rate = n as f64 / fixture::drive(&ledger, work, WRITERS).await.as_secs_f64();
    let mut note = String::new();
    if let (Some(setup), Some(task)) = (setup, task) {
        // The witnesses catch up with every fund's final checkpoint.
        let deadline = Clock::now() + Duration::from_secs(60);
        for fund in &funds {
            let size = store.latest_checkpoint(fund).await.unwrap().unwrap().0;
            loop {
                let w = store.witnessed_checkpoint(fund, &setup.id).await.unwrap();
                if w.is_some_and(|w| w.tree_size == size) {
                    break;
                }
                assert!(
                    Clock::now() < deadline,
                    "{fund} was not witnessed at {size}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        task.abort();
        let text = metrics.render();
        let requests: f64 = text
            .lines()
            .filter(|l| l.starts_with("ledger_witness_requests_total{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum();
        note = format!(" ({requests} add-checkpoint requests; every fund witnessed at its end)");
    }
    store.close().await;
    (rate, note)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn best(v: &[f64]) -> f64 {
    v.iter().copied().fold(0.0, f64::max)
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("BENCH_APPENDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8_000);
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(ROUNDS);
    let dir = tempfile::tempdir().unwrap();
    let log = NoteSigner::new(ORIGIN, key_from_label("bench/log")).unwrap();
    // The witnesses' own stores: where `BENCH_WITNESS_DIR` says (a real witness runs on
    // its own machine and disk; e.g. /dev/shm keeps their fsyncs off this disk), else
    // beside the ledger's.
    let witness_dir = std::env::var("BENCH_WITNESS_DIR")
        .map(|d| tempfile::tempdir_in(d).unwrap())
        .unwrap_or_else(|_| tempfile::tempdir().unwrap());
    let policy = witnesses(witness_dir.path(), &log).await;
    let interval = Duration::from_secs(
        std::env::var("BENCH_INTERVAL_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1),
    );
    println!(
        "community-ledger witness benchmark: {n} appends per run, {WRITERS} writers over {FUNDS} funds, \
         two in-process witnesses, a witness round every {}s; {rounds} runs each, alternating \
         (off first in even rounds, on first in odd ones)",
        interval.as_secs()
    );
    let mut backends = vec!["sqlite"];
    let admin = std::env::var("LEDGER_TEST_POSTGRES_URL").ok();
    if admin.is_some() {
        backends.push("postgres");
    }
    if let Ok(only) = std::env::var("BENCH_BACKENDS") {
        backends.retain(|b| only.split(',').any(|o| o == *b));
    }
    for backend in backends {
        println!("\n== {backend} ==");
        let (mut off, mut on) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            let order = if round % 2 == 0 {
                [false, true]
            } else {
                [true, false]
            };
            for witnessed in order {
                let tag = format!("r{round}{}", if witnessed { "on" } else { "off" });
                let url = match (&admin, backend) {
                    (Some(a), "postgres") => {
                        let db = format!("ledger_bench_wit_{tag}_{}", std::process::id());
                        fixture::fresh_postgres(a, &db).await
                    }
                    _ => format!(
                        "sqlite://{}",
                        dir.path().join(format!("{tag}.db")).display()
                    ),
                };
                let (rate, note) = append_rate(
                    &url,
                    &format!("{backend}-{tag}"),
                    n,
                    witnessed.then_some(&*policy),
                    interval,
                )
                .await;
                println!(
                    "  run {round}: witnesses {}: {rate:>7.0} appends/s{note}",
                    if witnessed { "on " } else { "off" }
                );
                if witnessed { &mut on } else { &mut off }.push(rate);
            }
        }
        let paired: Vec<f64> = on.iter().zip(&off).map(|(a, b)| a / b).collect();
        let (mean_off, mean_on) = (mean(&off), mean(&on));
        let (best_off, best_on) = (best(&off), best(&on));
        let (off, on) = (median(off), median(on));
        println!(
            "durable appends, {WRITERS} writers: witnesses off {off:.0}/s, on {on:.0}/s (medians): \
             on/off = {:.3}; means {mean_off:.0}/s and {mean_on:.0}/s: {:.3}; median of the {} \
             paired runs' on/off: {:.3}; best runs {best_off:.0}/s and {best_on:.0}/s: {:.3} \
             (target ≥ 0.95)",
            on / off,
            mean_on / mean_off,
            paired.len(),
            median(paired),
            best_on / best_off
        );
    }
}
