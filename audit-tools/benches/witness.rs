//! `add-checkpoint` requests/s of one witness: the real server in-process, its SQLite file
//! with `synchronous=FULL`, real HTTP over loopback with keep-alive. At 1 log (one client
//! advancing it) and 32 logs (32 clients, each advancing its own log with valid
//! consistency proofs), with group commit and with one transaction per request; beside
//! the storage ceiling measured in the same run on the same disk: bare SQLite
//! `BEGIN IMMEDIATE; UPDATE; COMMIT` with `synchronous=FULL` in WAL mode.
//!
//! Run: `cargo bench -p audit-tools --bench witness` (prints figures; BENCHMARKS.md).
//! `BENCH_REPS` (default 1) repeats each measurement and keeps the fastest;
//! `WITNESS_BENCH_DIR` puts the databases elsewhere than the temporary directory.

use std::time::{Duration, Instant};

use audit_tools::witness::{self, OriginPattern, Witness, WitnessOptions};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::SigningKey;
use ledger_core::checkpoint::Checkpoint;
use ledger_core::cosignature::CosignerKey;
use ledger_core::hash::leaf_hash;
use ledger_core::merkle::MemoryTree;
use ledger_core::note::NoteSigner;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection as _, SqliteConnection};

const PREFIX: &str = "bench.example/ledger";

/// The request bodies of one log: old s-1 → s for s in 1..=n, each with its proof.
fn bodies(signer: &NoteSigner, tree: &MemoryTree, fund: usize, n: u64) -> Vec<String> {
    let origin = format!("{PREFIX}/fund-{fund}");
    (1..=n)
        .map(|s| {
            let note = Checkpoint {
                origin: origin.clone(),
                tree_size: s,
                root: tree.root_at(s).expect("root"),
                extensions: vec![],
            }
            .sign(signer)
            .expect("sign");
            let mut body = format!("old {}\n", s - 1);
            if s > 1 {
                for h in tree.consistency_proof(s - 1, s).expect("proof") {
                    body.push_str(&B64.encode(h.as_bytes()));
                    body.push('\n');
                }
            }
            body.push('\n');
            body.push_str(&note);
            body
        })
        .collect()
}

struct Run {
    requests: usize,
    elapsed: Duration,
}

impl Run {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

async fn run_witness(logs: usize, per_log: u64, batch_max: usize) -> Run {
    let dir = tempfile::tempdir_in(bench_dir()).expect("tempdir");
    let key = CosignerKey::from_seed("bench.example/witness", &[1; 32]).expect("key");
    let w = Witness::open_with_options(&dir.path().join("w"), key, WitnessOptions { batch_max })
        .await
        .expect("open");
    let signer = NoteSigner::new(PREFIX, SigningKey::from_bytes(&[2; 32])).expect("signer");
    w.add_log(&OriginPattern::Prefix(PREFIX.into()), &[signer.verifier()])
        .await
        .expect("add-log");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!(
        "http://{}/add-checkpoint",
        listener.local_addr().expect("addr")
    );
    let server = tokio::spawn(witness::serve(listener, w));
    let mut tree = MemoryTree::new();
    for i in 0..per_log {
        tree.push(leaf_hash(format!("bench entry {i}").as_bytes()));
    }
    let all: Vec<Vec<String>> = (0..logs)
        .map(|f| bodies(&signer, &tree, f, per_log))
        .collect();
    let client = reqwest::Client::new();
    let start = Instant::now();
    let tasks: Vec<_> = all
        .into_iter()
        .map(|bodies| {
            let (client, url) = (client.clone(), url.clone());
            tokio::spawn(async move {
                for body in bodies {
                    let resp = client.post(&url).body(body).send().await.expect("post");
                    assert_eq!(resp.status().as_u16(), 200);
                    resp.bytes().await.expect("body");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("client");
    }
    let elapsed = start.elapsed();
    server.abort();
    Run {
        requests: logs * per_log as usize,
        elapsed,
    }
}

/// Bare SQLite: `BEGIN IMMEDIATE; UPDATE; COMMIT`, WAL, `synchronous=FULL`.
async fn run_sqlite(n: usize) -> Run {
    let dir = tempfile::tempdir_in(bench_dir()).expect("tempdir");
    let opts = SqliteConnectOptions::new()
        .filename(dir.path().join("bare.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full);
    let mut conn = SqliteConnection::connect_with(&opts).await.expect("open");
    sqlx::query("CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)")
        .execute(&mut conn)
        .await
        .expect("create");
    sqlx::query("INSERT INTO t VALUES (1, 0)")
        .execute(&mut conn)
        .await
        .expect("insert");
    let start = Instant::now();
    for i in 0..n {
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut conn)
            .await
            .expect("begin");
        sqlx::query("UPDATE t SET v = ? WHERE k = 1")
            .bind(i as i64)
            .execute(&mut conn)
            .await
            .expect("update");
        sqlx::query("COMMIT")
            .execute(&mut conn)
            .await
            .expect("commit");
    }
    Run {
        requests: n,
        elapsed: start.elapsed(),
    }
}

/// Where the databases go: `$WITNESS_BENCH_DIR`, else the system's temporary directory.
fn bench_dir() -> std::path::PathBuf {
    std::env::var_os("WITNESS_BENCH_DIR")
        .map(Into::into)
        .unwrap_or_else(std::env::temp_dir)
}

/// The first three fields of /proc/loadavg (other work on the machine moves every figure).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// `BENCH_REPS`, default 1.
fn reps() -> usize {
    std::env::var("BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1)
}

/// The fastest of [`reps`] runs of `f`.
async fn best<F: std::future::Future<Output = Run>>(mut f: impl FnMut() -> F) -> Run {
    let mut best = f().await;
    for _ in 1..reps() {
        let run = f().await;
        if run.rate() > best.rate() {
            best = run;
        }
    }
    best
}

async fn baseline() {
    let bare = best(|| run_sqlite(2000)).await;
    println!(
        "baseline  bare SQLite BEGIN IMMEDIATE; UPDATE; COMMIT (WAL, synchronous=FULL): {:>8.0} commits/s ({} in {:.2?})",
        bare.rate(),
        bare.requests,
        bare.elapsed
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        println!(
            "witness benchmark (databases in {}; load average {})",
            bench_dir().display(),
            load_average()
        );
        baseline().await;
        // The disk is shared: each witness run is printed beside a ceiling measured just
        // before it (500 bare commits), and as a ratio to it.
        for (label, batch_max) in [
            ("group commit", witness::store::BATCH_MAX),
            ("one txn per request", 1),
        ] {
            for (logs, per_log) in [(1, 2000), (32, 250)] {
                let ceiling = best(|| run_sqlite(500)).await.rate();
                let run = best(|| run_witness(logs, per_log, batch_max)).await;
                println!(
                    "witness   {label:<20} {logs:>2} log(s): {:>6.0} add-checkpoint/s ({} in {:.2?}); ceiling just before {:>6.0}/s: {:.2}x",
                    run.rate(),
                    run.requests,
                    run.elapsed,
                    ceiling,
                    run.rate() / ceiling
                );
            }
        }
        // The disk is shared: the ceiling again, after the runs.
        baseline().await;
        println!("load average at the end: {}", load_average());
    });
}
