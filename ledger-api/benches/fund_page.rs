//! The fund page of a large fund under 64 concurrent readers, straight to the server
//! (issue 19's target: p99 < 50 ms and ≥ 1,000 pages/s at 1,000,000 entries), beside the
//! baseline measured in the same run: the figures the page needs read by the old scan
//! (totals by kind summed over the whole fund's `entries_by_time` index, as every view
//! did before the per-month index, and the first view after each start until now) against
//! the per-month index (`Store::kind_totals` + `Store::month_end_balances`). Then the
//! page over HTTP twice: `/funds/bench` (the newest page, kept as rendered while the head
//! is unchanged: `pages/page_cache.rs`) and the same page asked as `?from=<last seq>`,
//! which is never kept, so every view reads the store and renders the template (the
//! work of each view before the page cache, and of every view after an append).
//!
//! `cargo bench -p ledger-api --bench fund_page`; environment:
//! - `BENCH_PAGE_ENTRIES` (default 100,000; the size is 1,000,000),
//! - `BENCH_PAGE_READERS` (default 64), `BENCH_PAGE_SECS` (default 10),
//! - `BENCH_PAGE_DIR`: keep the data set there (reused when it holds one of that size).
//!
//! The fund is a sample (`ledger_core::sample`) stored through the append path
//! (`ledger_api::demo::import`), then `ledger-server` is started on it (release build of
//! this package's binary) and read over HTTP by `BENCH_PAGE_READERS` clients in a loop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ledger_api::store::Store;
use ledger_core::keys::PublicKey;
use ledger_core::sample::{build, SampleSpec};
use sqlx::Row;

const FUND: &str = "bench";

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// The server, killed when dropped.
struct ServerProcess(Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Stores an `n`-entry sample fund in `dir/ledger.db` unless it is there already; its
/// size.
async fn data_set(dir: &Path, n: usize) -> anyhow::Result<u64> {
    let url = format!("sqlite://{}", dir.join("ledger.db").display());
    if dir.join("ledger.db").exists() {
        let store = Store::open(&url).await?;
        let size = store.fund(FUND).await?.map_or(0, |f| f.size);
        store.close().await;
        if size >= n as u64 {
            eprintln!("data set: {size} entries in {}", dir.display());
            return Ok(size);
        }
        anyhow::bail!("{} holds another data set: remove it", dir.display());
    }
    let t = Instant::now();
    let months = (n / 2_000).clamp(12, 120) as u32;
    let fund = build(&SampleSpec::example(FUND, 42, n, months), "ledger.example")?;
    eprintln!(
        "generated and signed {n} entries over {months} months in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let key = ledger_api::keyfile::load_or_create_vault_key(&dir.join("vault.key"), true)?;
    let store = Store::open_with_vault(&url, key).await?;
    let operator = PublicKey::from_verifying_key(fund.keys.operator.verifying_key());
    ledger_api::demo::import(&store, &fund, &fund.keys.log, operator, 0).await?;
    let size = store.fund(FUND).await?.map_or(0, |f| f.size);
    store.close().await;
    eprintln!(
        "stored through the append path in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    Ok(size)
}

/// Milliseconds of the median of `runs` runs of `f`.
async fn median_ms<F, Fut>(runs: usize, mut f: F) -> anyhow::Result<f64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let mut ms = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f().await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    Ok(ms[ms.len() / 2])
}

/// The baseline beside the index, in process on the same database: the old scan per
/// view against the index's reads.
async fn figures_baseline(dir: &Path) -> anyhow::Result<()> {
    let url = format!("sqlite://{}", dir.join("ledger.db").display());
    let store = Store::open(&url).await?;
    store.ensure_month_figures(FUND).await?;
    let scan = median_ms(5, || async {
        // The old path: totals by kind summed over the whole fund's index.
        let rows = sqlx::query(
            "SELECT kind, COUNT(*), CAST(SUM(delta_fen) AS BIGINT) FROM entries \
             WHERE fund = $1 AND recorded_at >= '' GROUP BY kind",
        )
        .bind(FUND)
        .fetch_all(store.pool())
        .await?;
        let n: i64 = rows
            .iter()
            .map(|r| r.try_get::<i64, _>(1))
            .sum::<Result<i64, _>>()?;
        anyhow::ensure!(n > 0, "no entries scanned");
        Ok(())
    })
    .await?;
    let index = median_ms(25, || async {
        store.kind_totals(FUND).await?;
        store.month_end_balances(FUND).await?;
        Ok(())
    })
    .await?;
    let months = store.month_end_balances(FUND).await?.len();
    println!(
        "page figures, one reader in process: old scan of the log's index {scan:.2} ms a view \
         (at most {:.0} views/s a core); per-month index ({months} months) {index:.3} ms a view; \
         {:.0}× less",
        1000.0 / scan,
        scan / index
    );
    store.close().await;
    Ok(())
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// `BENCH_PAGE_READERS` clients reading `url` in a loop for `secs` seconds: pages/s,
/// p50 and p99, printed after `what`.
async fn load(what: &str, url: &str, readers: usize, secs: u64) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(readers)
        .build()?;
    let until = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(readers);
    let url: Arc<str> = url.into();
    for _ in 0..readers {
        let (client, url) = (client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < until {
                let t = Instant::now();
                let resp = client.get(&*url).send().await?;
                anyhow::ensure!(resp.status().is_success(), "page: {}", resp.status());
                resp.bytes().await?;
                lat.push(t.elapsed());
            }
            anyhow::Ok(lat)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let wall = started.elapsed().as_secs_f64();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "{what}, {readers} readers, {secs} s: {} pages, {:.0} pages/s, \
         p50 {:.1} ms, p99 {:.1} ms",
        all.len(),
        all.len() as f64 / wall,
        pct(0.50),
        pct(0.99)
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n = env_or("BENCH_PAGE_ENTRIES", 100_000) as usize;
    let readers = env_or("BENCH_PAGE_READERS", 64) as usize;
    let secs = env_or("BENCH_PAGE_SECS", 10);
    let temp;
    let dir: PathBuf = match std::env::var_os("BENCH_PAGE_DIR") {
        Some(d) => PathBuf::from(d),
        None => {
            temp = tempfile::tempdir()?;
            temp.path().to_owned()
        }
    };
    std::fs::create_dir_all(&dir)?;
    println!("fund page benchmark: {n} entries, {readers} readers");
    let size = data_set(&dir, n).await?;
    figures_baseline(&dir).await?;

    let port = free_port()?;
    let t = Instant::now();
    let _server = ServerProcess(
        Command::new(env!("CARGO_BIN_EXE_ledger-server"))
            .arg("--data-dir")
            .arg(&dir)
            .args([
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--rate-limit",
                "0",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        if client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!("server listening after {:.2} s", t.elapsed().as_secs_f64());
    let page = format!("{base}/funds/{FUND}");
    let t = Instant::now();
    let first = client.get(&page).send().await?;
    anyhow::ensure!(first.status().is_success(), "page: {}", first.status());
    first.bytes().await?;
    println!(
        "first view after start: {:.1} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );
    load(
        "fund page over HTTP (newest page, kept while the head is unchanged; \
         targets at 10^6 entries: p99 < 50 ms, ≥ 1,000 pages/s)",
        &page,
        readers,
        secs,
    )
    .await?;
    load(
        "baseline: the same page rendered for every view (?from=last seq, never kept)",
        &format!("{page}?from={}", size.saturating_sub(1)),
        readers,
        secs,
    )
    .await
}
