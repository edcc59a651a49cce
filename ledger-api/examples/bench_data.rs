//! Writes a benchmark data set for `scripts/benchmarks.sh`: an N-entry sample fund
//! (`ledger_core::sample`: signed donations, revenue shares, rentals, grants, reversals,
//! statements) as an export file, and the same log in the server's SQLite database, stored
//! through the append path's own transaction (`Store::commit_batch`: rules, Merkle nodes,
//! vault, head and a signed checkpoint per batch of 256).
//!
//! `cargo run --release -p ledger-api --example bench_data -- DIR [ENTRIES]` (default
//! 1,000,000) writes `DIR/export.ndjson`, `DIR/ledger.db` and `DIR/vault.key` (fund `bench`, origin
//! `ledger.example`) and prints their sizes per entry.

use std::collections::HashMap;
use std::time::Instant as Clock;

use anyhow::{bail, Context};
use ledger_api::store::{AppendOutcome, AppendRequest, LogSigner, Store, VaultRecord};
use ledger_core::entry::Entry;
use ledger_core::keys::PublicKey;
use ledger_core::sample::{build, SampleSpec};
use ledger_core::state::FundState;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().context("usage: bench_data DIR [ENTRIES]")?);
    let n: usize = match args.next() {
        Some(s) => s.replace('_', "").parse().context("ENTRIES: a number")?,
        None => 1_000_000,
    };
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("ledger.db");
    if db.exists() {
        bail!("{} exists: give an empty directory", db.display());
    }

    let t = Clock::now();
    // The benchmarks' one fund (`SampleSpec::bench`).
    let spec = SampleSpec::bench(n);
    let months = spec.months;
    let fund = build(&spec, "ledger.example")?;
    let export = fund.export()?;
    std::fs::write(dir.join("export.ndjson"), &export)?;
    eprintln!(
        "generated and signed {n} entries over {months} months in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let t = Clock::now();
    // The vault's records are sealed under a key of the data set's own, beside it.
    let vault_key = ledger_api::keyfile::load_or_create_vault_key(&dir.join("vault.key"), true)?;
    let store = Store::open_with_vault(&format!("sqlite://{}", db.display()), vault_key).await?;
    let operator = PublicKey::from_verifying_key(fund.keys.operator.verifying_key());
    let mut state = FundState::new(ledger_core::ids::FundId::parse(&fund.spec.fund)?, operator);
    let origin = format!("{}/{}", fund.origin, fund.spec.fund);
    let log = LogSigner {
        origin: &origin,
        key: &fund.keys.log,
    };
    let vault: HashMap<u64, VaultRecord> = fund
        .vault
        .iter()
        .map(|(seq, salt, identity)| {
            let v = VaultRecord {
                salt: *salt,
                identity: identity.clone(),
            };
            (*seq, v)
        })
        .collect();
    for (c, chunk) in fund.lines.chunks(256).enumerate() {
        let mut reqs = Vec::with_capacity(chunk.len());
        let mut last = None;
        for (i, line) in chunk.iter().enumerate() {
            let p = Entry::parse(line)?;
            last = Some(p.entry.recorded_at);
            let record = vault.get(&((c * 256 + i) as u64)).cloned();
            reqs.push(AppendRequest::imported(p, record));
        }
        let now = last.context("empty chunk")?;
        for (i, outcome) in store
            .commit_batch(&mut state, &log, now, reqs)
            .await?
            .into_iter()
            .enumerate()
        {
            match outcome {
                Ok(AppendOutcome::Appended(_)) => {}
                other => bail!("entry {} not appended: {other:?}", c * 256 + i),
            }
        }
    }
    if state.root() != fund.root() {
        bail!("the stored log's root differs from the sample's");
    }
    store.close().await;
    eprintln!(
        "stored through the append path in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let db_bytes: u64 = ["ledger.db", "ledger.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
        .map(|m| m.len())
        .sum();
    let canonical: usize = fund.lines.iter().map(|l| l.len()).sum();
    println!("entries {n}");
    println!("export_bytes {}", export.len());
    println!(
        "canonical_bytes_per_entry {:.0}",
        canonical as f64 / n as f64
    );
    println!("db_bytes {db_bytes}");
    println!("db_bytes_per_entry {:.0}", db_bytes as f64 / n as f64);
    Ok(())
}
