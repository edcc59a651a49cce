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
/// Months of history per demo fund.
pub const DEMO_MONTHS: u32 = 46;
/// Scale of the typical donations in [`FUNDS`], so that the 30 funds together hold about
/// the 17 million yuan the source reports.
const DEMO_DONATION_SCALE: i64 = 5;
/// 2023-01-01T01:00:00Z.
const DEMO_START_UNIX: i64 = 1_672_534_800;

/// (fund id, Chinese name, English name, street, community, typical donation in yuan).
const FUNDS: [(&str, &str, &str, &str, &str, i64); 30] = [
    (
        "xipu-street",
        "犀浦街道社区发展基金",
        "Xipu Street Community Development Fund",
        "犀浦街道",
        "犀浦街道",
        9_000,
    ),
    (
        "xianfeng-village",
        "先锋村社区基金",
        "Xianfeng Village Fund",
        "唐昌街道",
        "先锋村",
        700,
    ),
    (
        "xiniu",
        "犀牛社区基金",
        "Xiniu Community Fund",
        "犀浦街道",
        "犀牛社区",
        700,
    ),
    (
        "xuelin-yayuan",
        "学林雅苑小区基金",
        "Xuelin Yayuan Estate Fund",
        "犀浦街道",
        "犀牛社区",
        600,
    ),
    (
        "xipu-village",
        "犀浦村社区基金",
        "Xipu Village Fund",
        "犀浦街道",
        "犀浦村",
        600,
    ),
    (
        "mancheng",
        "曼城小区基金",
        "Mancheng Estate Fund",
        "犀浦街道",
        "犀浦村",
        600,
    ),
    (
        "kuixinglou",
        "奎星楼社区基金",
        "Kuixinglou Community Fund",
        "郫筒街道",
        "奎星楼社区",
        700,
    ),
    (
        "shuangbai",
        "双柏社区基金",
        "Shuangbai Community Fund",
        "郫筒街道",
        "双柏社区",
        600,
    ),
    (
        "xihe",
        "犀和社区基金",
        "Xihe Community Fund",
        "犀浦街道",
        "犀和社区",
        600,
    ),
    (
        "shuyuan",
        "书院社区基金",
        "Shuyuan Community Fund",
        "郫筒街道",
        "书院社区",
        700,
    ),
    (
        "fulong",
        "伏龙社区基金",
        "Fulong Community Fund",
        "郫筒街道",
        "伏龙社区",
        600,
    ),
    (
        "shudu-xincun",
        "蜀都新邨社区基金",
        "Shudu Xincun Community Fund",
        "郫筒街道",
        "蜀都新邨社区",
        700,
    ),
    (
        "hexing",
        "合兴社区基金",
        "Hexing Community Fund",
        "唐昌街道",
        "合兴社区",
        700,
    ),
    (
        "zhanqi-village",
        "战旗村社区基金",
        "Zhanqi Village Fund",
        "唐昌街道",
        "战旗村",
        800,
    ),
    (
        "tangchang-street",
        "唐昌街道社区基金",
        "Tangchang Street Fund",
        "唐昌街道",
        "唐昌街道",
        1_500,
    ),
    (
        "pitong-street",
        "郫筒街道社区基金",
        "Pitong Street Fund",
        "郫筒街道",
        "郫筒街道",
        1_500,
    ),
    (
        "example-01",
        "示例社区一基金",
        "Example Community 1 Fund",
        "示例街道",
        "示例社区一",
        500,
    ),
    (
        "example-02",
        "示例社区二基金",
        "Example Community 2 Fund",
        "示例街道",
        "示例社区二",
        500,
    ),
    (
        "example-03",
        "示例社区三基金",
        "Example Community 3 Fund",
        "示例街道",
        "示例社区三",
        500,
    ),
    (
        "example-04",
        "示例社区四基金",
        "Example Community 4 Fund",
        "示例街道",
        "示例社区四",
        500,
    ),
    (
        "example-05",
        "示例社区五基金",
        "Example Community 5 Fund",
        "示例街道",
        "示例社区五",
        500,
    ),
    (
        "example-06",
        "示例社区六基金",
        "Example Community 6 Fund",
        "示例街道",
        "示例社区六",
        500,
    ),
    (
        "example-07",
        "示例社区七基金",
        "Example Community 7 Fund",
        "示例街道",
        "示例社区七",
        500,
    ),
    (
        "example-08",
        "示例社区八基金",
        "Example Community 8 Fund",
        "示例街道",
        "示例社区八",
        500,
    ),
    (
        "example-09",
        "示例社区九基金",
        "Example Community 9 Fund",
        "示例街道",
        "示例社区九",
        500,
    ),
    (
        "example-10",
        "示例社区十基金",
        "Example Community 10 Fund",
        "示例街道",
        "示例社区十",
        500,
    ),
    (
        "example-11",
        "示例社区十一基金",
        "Example Community 11 Fund",
        "示例街道",
        "示例社区十一",
        500,
    ),
    (
        "example-12",
        "示例社区十二基金",
        "Example Community 12 Fund",
        "示例街道",
        "示例社区十二",
        500,
    ),
    (
        "example-13",
        "示例社区十三基金",
        "Example Community 13 Fund",
        "示例街道",
        "示例社区十三",
        500,
    ),
    (
        "example-14",
        "示例社区十四基金",
        "Example Community 14 Fund",
        "示例街道",
        "示例社区十四",
        500,
    ),
];

/// The demo deployment's log and operator keys, kept in `dir` (created at the first
/// start from the deterministic demo keys), and the demo trustee's key file
/// `demo-trustee.key` beside them.
pub fn deployment_keys(dir: &Path, origin: &str) -> anyhow::Result<(NoteSigner, PublicKey)> {
    let demo = demo_keys(origin)?;
    let log = load_or_create_log_key(&dir.join("log.key"), || Ok(demo.log.clone()))?;
    let op = load_or_create_seed_key(&dir.join("operator.key"), || demo.operator.clone())?;
    let trustee = dir.join("demo-trustee.key");
    if !trustee.exists() {
        let keys = SampleKeys::derive(spec(0).seed, origin)?;
        write_private(
            &trustee,
            &format!("{}\n", hex::encode(keys.trustees[1].to_bytes())),
        )?;
    }
    Ok((log, PublicKey::from_verifying_key(op.verifying_key())))
}

/// The fund whose trustee the demo prints a token and key file for.
pub fn first_fund() -> String {
    spec(0).fund
}

/// The demo deployment's keys (deterministic, for demonstration only).
pub fn demo_keys(origin: &str) -> Result<SampleKeys, ledger_core::sample::SampleError> {
    SampleKeys::derive(0, origin)
}

/// The spec of demo fund `i`.
pub fn spec(i: usize) -> SampleSpec {
    let (id, name, name_en, street, community, donation) = FUNDS[i % FUNDS.len()];
    SampleSpec {
        fund: id.into(),
        name: name.into(),
        name_en: name_en.into(),
        street: street.into(),
        community: community.into(),
        seed: 1_000 + i as u64,
        entries: DEMO_ENTRIES_PER_FUND,
        start_unix: DEMO_START_UNIX + (i as i64) * 86_400,
        months: DEMO_MONTHS,
        donation_yuan: donation * DEMO_DONATION_SCALE,
        // The street fund the source names was founded by 20+ enterprises, over 1M yuan.
        founding_enterprises: if i == 0 { 22 } else { 0 },
    }
}

/// Number of demo funds.
pub fn fund_count() -> usize {
    FUNDS.len()
}

/// Generates fund `i` (pure, CPU only).
pub fn generate(i: usize, origin: &str) -> Result<SampleFund, ledger_core::sample::SampleError> {
    build(&spec(i), origin)
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
            reqs.push(AppendRequest {
                vault: vault.get(&p.entry.seq).map(|(salt, identity)| VaultRecord {
                    salt: *salt,
                    identity: identity.clone(),
                }),
                recorded_at: Some(p.entry.recorded_at),
                intent_bytes: p.intent_bytes,
                intent: p.entry.intent,
                sigs: p.entry.sigs,
            });
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
/// next start after a killed first start completes the demo.
pub async fn seed(store: &Arc<Store>, origin: &str) -> anyhow::Result<usize> {
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
        .filter(|i| stored(*i) < spec(*i).entries as u64)
        .collect();
    // Generating is CPU work (signing): do it on the blocking pool, two funds at a time.
    let origin_owned = origin.to_owned();
    let mut handles = Vec::new();
    for i in missing.iter().copied() {
        let o = origin_owned.clone();
        handles.push(tokio::task::spawn_blocking(move || generate(i, &o)));
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
