//! Demo mode: 30 community funds of the Pidu district with several years of realistic,
//! signed history (DOMAIN.md). Names the source gives are used; everything else is a
//! plainly fictional example.

use std::path::Path;
use std::sync::Arc;

use ledger_core::entry::Entry;
use ledger_core::ids::FundId;
use ledger_core::keys::PublicKey;
use ledger_core::note::NoteSigner;
use ledger_core::sample::{build, SampleFund, SampleKeys, SampleSpec};
use ledger_core::state::FundState;

pub mod witnesses;

use crate::keyfile::{load_or_create_log_key, load_or_create_seed_key, write_private};
use crate::store::{AppendRequest, LogSigner, Store, VaultRecord};

/// Entries generated per demo fund.
pub const DEMO_ENTRIES_PER_FUND: usize = 1_500;
/// The demo's clock: when its first start seeded it (UTC seconds), kept in the data dir so
/// that every later start regenerates the same history.
const EPOCH_FILE: &str = "demo-epoch";
/// The histories end this long before the first start (seconds).
const END_BEFORE_START_S: i64 = 3_600;

mod funds;

use funds::FUNDS;

/// The demo deployment's log and operator keys, kept in `dir` (created at the first
/// start from the deterministic demo keys), and the demo trustee's key file
/// `demo-trustee.key` beside them.
pub fn deployment_keys(dir: &Path, origin: &str) -> anyhow::Result<(NoteSigner, PublicKey)> {
    let demo = demo_keys(origin)?;
    let log = load_or_create_log_key(&dir.join("log.key"), || Ok(demo.log.clone()))?;
    let op = load_or_create_seed_key(&dir.join("operator.key"), || demo.operator.clone())?;
    let trustee = dir.join("demo-trustee.key");
    if !trustee.exists() {
        let keys = SampleKeys::derive(seed_of(0), origin)?;
        write_private(
            &trustee,
            &format!("{}\n", hex::encode(keys.trustees[1].to_bytes())),
        )?;
    }
    Ok((log, PublicKey::from_verifying_key(op.verifying_key())))
}

/// The fund whose trustee the demo prints a token and key file for.
pub fn first_fund() -> String {
    FUNDS[0].0.to_owned()
}

/// The demo deployment's keys (deterministic, for demonstration only).
pub fn demo_keys(origin: &str) -> Result<SampleKeys, ledger_core::sample::SampleError> {
    SampleKeys::derive(0, origin)
}

fn seed_of(i: usize) -> u64 {
    1_000 + i as u64
}

/// The spec of demo fund `i`, whose history ends an hour before `epoch` (the first start's
/// clock, UTC seconds).
pub fn spec(i: usize, epoch: i64) -> SampleSpec {
    let (id, name, name_en, street, community, months, _) = FUNDS[i % FUNDS.len()];
    let end = epoch - END_BEFORE_START_S;
    SampleSpec {
        fund: id.into(),
        name: name.into(),
        name_en: name_en.into(),
        street: street.into(),
        community: community.into(),
        seed: seed_of(i),
        entries: DEMO_ENTRIES_PER_FUND,
        start_unix: end - i64::from(months) * 30 * 86_400,
        months,
        donation_yuan: 0,
        story: Some(funds::story(i % FUNDS.len())),
        oversight: false,
    }
}

/// The demo's clock in `dir`: the time of its first start, written then (owner-only) and
/// read at every later start.
pub fn epoch(dir: &Path) -> anyhow::Result<i64> {
    let path = dir.join(EPOCH_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => text
            .trim()
            .parse()
            .map_err(|e| anyhow::anyhow!("{}: not a time in seconds: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)?
                .as_secs();
            let now = i64::try_from(now)?;
            write_private(&path, &format!("{now}\n"))?;
            Ok(now)
        }
        Err(e) => Err(anyhow::anyhow!("reading {}: {e}", path.display())),
    }
}

/// Number of demo funds.
pub fn fund_count() -> usize {
    FUNDS.len()
}

/// Generates fund `i` of the demo first started at `epoch` (pure, CPU only).
pub fn generate(
    i: usize,
    origin: &str,
    epoch: i64,
) -> Result<SampleFund, ledger_core::sample::SampleError> {
    build(&spec(i, epoch), origin)
}

/// Writes a generated fund into the store, entry by entry exactly as generated (same
/// times, same bytes), in transactions of 256 entries (the last one up to the end), starting after the first
/// `stored` entries (those an interrupted seeding already committed: each transaction
/// commits whole or not at all, and the store catches up with them before appending).
pub async fn import(
    store: &Store,
    fund: &SampleFund,
    log_key: &NoteSigner,
    operator: PublicKey,
    stored: u64,
) -> anyhow::Result<()> {
    let id = &fund.spec.fund;
    let fund_id = FundId::parse(id)?;
    let first_at = Entry::parse(&fund.lines[0])?.entry.recorded_at;
    store.create_fund(id, &operator.to_hex(), first_at).await?;
    let mut state = FundState::new(fund_id, operator);
    let origin = fund.origin.clone();
    let log = LogSigner {
        origin: &origin,
        key: log_key,
    };
    let vault: std::collections::HashMap<u64, ([u8; 16], String)> = fund
        .vault
        .iter()
        .map(|(seq, salt, identity)| (*seq, (*salt, identity.clone())))
        .collect();
    let len = fund.lines.len();
    let mut size = usize::try_from(stored).unwrap_or(usize::MAX).min(len);
    while size < len {
        // The last transaction takes everything from the spec's count on (a generated
        // fund may run a line or two past it), so that a fund stored with at least
        // `spec.entries` entries is complete: that is how `seed` tells.
        let end = if size + 256 < fund.spec.entries {
            size + 256
        } else {
            len
        };
        let chunk = &fund.lines[size..end];
        let mut reqs = Vec::with_capacity(chunk.len());
        let mut last_at = first_at;
        for line in chunk {
            let p = Entry::parse(line)?;
            last_at = p.entry.recorded_at;
            let record = vault.get(&p.entry.seq).map(|(salt, identity)| VaultRecord {
                salt: *salt,
                identity: identity.clone(),
            });
            reqs.push(AppendRequest::imported(p, record));
        }
        let outcomes = store.commit_batch(&mut state, &log, last_at, reqs).await?;
        if let Some(bad) = outcomes.iter().find(|o| o.is_err()) {
            anyhow::bail!("demo fund {id}: an entry was refused: {bad:?}");
        }
        size = end;
        tracing::debug!(fund = %id, size, of = len, "demo batch committed");
    }
    Ok(())
}

/// Generates and imports all demo funds that the store does not have yet, and finishes
/// those that an interrupted seeding left part-way (fewer entries than their spec): the
/// next start after a killed first start completes the demo, with the same entries: the
/// histories end at the first start's clock, kept in `dir` ([`epoch`]).
pub async fn seed(store: &Arc<Store>, origin: &str, dir: &Path) -> anyhow::Result<usize> {
    let epoch = epoch(dir)?;
    let keys = demo_keys(origin)?;
    let operator = PublicKey::from_verifying_key(keys.operator.verifying_key());
    let have: std::collections::HashMap<String, u64> = store
        .funds()
        .await?
        .into_iter()
        .map(|f| (f.id, f.size))
        .collect();
    let stored = |i: usize| have.get(FUNDS[i].0).copied().unwrap_or(0);
    let missing: Vec<usize> = (0..fund_count())
        .filter(|i| stored(*i) < DEMO_ENTRIES_PER_FUND as u64)
        .collect();
    // Generating is CPU work (signing): do it on the blocking pool, two funds at a time.
    let origin_owned = origin.to_owned();
    let mut handles = Vec::new();
    for i in missing.iter().copied() {
        let o = origin_owned.clone();
        handles.push(tokio::task::spawn_blocking(move || generate(i, &o, epoch)));
    }
    let mut n = 0;
    for (h, i) in handles.into_iter().zip(missing.iter().copied()) {
        let fund = h.await??;
        let resumed_from = stored(i);
        import(store, &fund, &keys.log, operator, resumed_from).await?;
        tracing::info!(
            fund = %fund.spec.fund,
            entries = fund.lines.len(),
            resumed_from,
            "demo fund seeded"
        );
        n += 1;
    }
    Ok(n)
}
