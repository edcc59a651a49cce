//! Deterministic, realistic fund histories: for tests, benchmarks and the demo.
//!
//! A [`SampleSpec`] and a seed always give the same log, byte for byte. Every entry is
//! built the way a trustee's client builds it (canonical intent, Ed25519 signatures by the
//! fund's trustees with the quorum its kind needs) and accepted through [`FundState`], so a
//! sample log is valid by construction; tests then break it on purpose.

use ed25519_dalek::SigningKey;
use serde_json::json;

use crate::body::{
    Agreement, Body, Channel, Currency, Disbursement, Donation, Donor, DonorClass, Enterprise,
    Genesis, HostCharity, Opinion, Party, PartyClass, Policy, Rental, Reversal, ShareBasis, Space,
    SpaceKind, Supervisor, Trustee, TrusteeChange, Verdict,
};
use crate::checkpoint::Checkpoint;
use crate::donor::{commitment, identity_string};
use crate::entry::{Entry, Intent, Sig};
use crate::export::{CheckpointLine, Header};
use crate::hash::{sha256, Hash};
use crate::ids::{AgreementId, FundId, IdempotencyKey, SpaceId, Uscc};
use crate::keys::PublicKey;
use crate::money::{hourly_price, Amount, Money, Rate};
use crate::note::NoteSigner;
use crate::replay::{prepare_stored, replay, OnRefusal};
use crate::rules::RuleError;
use crate::state::FundState;
use crate::text::{LongText, ShortText};
use crate::time::{Date, Instant, Period, UtcOffset, WeeklyWindow};

pub mod conformance;
pub mod findings;
pub mod lenient;
mod story;

pub use story::{Story, StoryAgreement, StoryRestriction, StorySpace};

/// A small deterministic PRNG (SplitMix64): samples must not depend on the platform.
#[derive(Debug, Clone)]
pub struct SplitMix(u64);

impl SplitMix {
    /// Seeds the generator.
    pub fn new(seed: u64) -> Self {
        SplitMix(seed)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi - lo + 1).max(1) as u64;
        lo + (self.next_u64() % span) as i64
    }
    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}

/// A signing key derived from a label: the same label always gives the same key.
pub fn key_from_label(label: &str) -> SigningKey {
    SigningKey::from_bytes(&sha256(label.as_bytes()).0)
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct SampleSpec {
    /// Fund id.
    pub fund: String,
    /// Chinese name.
    pub name: String,
    /// English name.
    pub name_en: String,
    /// Street.
    pub street: String,
    /// Community.
    pub community: String,
    /// Seed of the PRNG and of the keys.
    pub seed: u64,
    /// Number of entries to generate (at least 10).
    pub entries: usize,
    /// Time of the genesis (UTC seconds).
    pub start_unix: i64,
    /// Months the history spans.
    pub months: u32,
    /// Typical donation, in yuan (without a story).
    pub donation_yuan: i64,
    /// The fund's own names and figures; `None` for plain examples.
    pub story: Option<Story>,
    /// Plain examples with oversight: a supervisor and a host charity in the genesis, the
    /// supervisor's opinion on the first statement, and a correction (see
    /// [`SampleSpec::with_oversight`]). A story says this itself.
    pub oversight: bool,
}

impl SampleSpec {
    /// A fund of `entries` entries over `months` months from 2023-01-01, with plain
    /// example names.
    pub fn example(fund: &str, seed: u64, entries: usize, months: u32) -> Self {
        SampleSpec {
            fund: fund.to_owned(),
            name: "示例社区基金".into(),
            name_en: "Example Community Fund".into(),
            street: "犀浦街道".into(),
            community: "示例社区".into(),
            seed,
            entries,
            start_unix: 1_672_531_200 + 3_600, // 2023-01-01T01:00:00Z
            months,
            donation_yuan: 500,
            story: None,
            oversight: false,
        }
    }

    /// The benchmarks' fund `bench` of `entries` entries (seed 42, one month per 2,000
    /// entries, 12 to 120 months): the same history for the core benchmark, the
    /// verifier's memory benchmark and the server's 1,000,000-entry data set, so that
    /// their figures are about one fund.
    pub fn bench(entries: usize) -> Self {
        let months = (entries / 2_000).clamp(12, 120) as u32;
        SampleSpec::example("bench", 42, entries, months)
    }

    /// The same fund with oversight: a supervisor (示例监督员) and a host charity named in
    /// the genesis, the supervisor's opinion on the first statement, and one correction (a
    /// donation a statement covered, reversed with its 更正说明 and recorded again, and the
    /// corrected statement that supersedes the first). Every kind then appears.
    pub fn with_oversight(mut self) -> Self {
        self.oversight = true;
        self
    }
}

/// The keys of a sample deployment and fund.
#[derive(Debug, Clone)]
pub struct SampleKeys {
    /// The operator key that signs genesis.
    pub operator: SigningKey,
    /// The log key that signs checkpoints.
    pub log: NoteSigner,
    /// Every trustee key ever used (the first three at genesis, one more added later).
    pub trustees: Vec<SigningKey>,
    /// The supervisor's (监督员) key, named in the genesis when the story has a supervisor.
    pub supervisor: SigningKey,
}

impl SampleKeys {
    /// Keys derived from `seed`; the log key is named `origin`'s host part.
    pub fn derive(seed: u64, log_name: &str) -> Result<Self, SampleError> {
        let log = NoteSigner::new(log_name, key_from_label(&format!("log/{log_name}")))
            .map_err(|e| SampleError(format!("log key: {e}")))?;
        Ok(SampleKeys {
            operator: key_from_label(&format!("operator/{log_name}")),
            log,
            trustees: (0..4)
                .map(|i| key_from_label(&format!("trustee/{seed}/{i}")))
                .collect(),
            supervisor: key_from_label(&format!("supervisor/{seed}")),
        })
    }
}

/// Why a sample could not be built (a bug in the generator: samples are valid by design).
#[derive(Debug, Clone, thiserror::Error)]
#[error("sample generation failed: {0}")]
pub struct SampleError(pub String);

impl From<RuleError> for SampleError {
    fn from(e: RuleError) -> Self {
        SampleError(e.to_string())
    }
}

/// A generated fund: its log lines and the state after them.
#[derive(Debug, Clone)]
pub struct SampleFund {
    /// The spec it came from.
    pub spec: SampleSpec,
    /// The keys.
    pub keys: SampleKeys,
    /// Checkpoint origin.
    pub origin: String,
    /// Canonical bytes of each entry, in seq order.
    pub lines: Vec<Vec<u8>>,
    /// Salt and identity of each resident donation, by seq (what the donor vault holds).
    pub vault: Vec<(u64, [u8; 16], String)>,
    /// The fund state after the last entry.
    pub state: FundState,
}

fn text(s: &str) -> Result<ShortText, SampleError> {
    ShortText::parse(s).map_err(|e| SampleError(format!("{s}: {e}")))
}

fn long(s: &str) -> Result<LongText, SampleError> {
    LongText::parse(s).map_err(|e| SampleError(format!("{s}: {e}")))
}

fn amount_fen(fen: i64) -> Result<Amount, SampleError> {
    Amount::from_fen(fen).map_err(|e| SampleError(format!("amount {fen}: {e}")))
}

fn err<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> SampleError {
    move |e| SampleError(format!("{what}: {e}"))
}

/// Family names and given names for fictional residents (never published).
const SURNAMES: [&str; 8] = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄"];
const GIVEN: [&str; 8] = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "婷"];
/// Enterprise donors: plainly fictional examples.
const ENTERPRISES: [&str; 6] = [
    "示例食品有限公司",
    "示例物业服务有限公司",
    "示例建材有限公司",
    "示例科技有限公司",
    "示例酒店管理有限公司",
    "示例农业合作社",
];

/// An agreement as the generator pays it.
#[derive(Debug, Clone)]
struct Deal {
    id: AgreementId,
    rate: Rate,
    fixed: Option<Amount>,
    basis: ShareBasis,
    /// Lowest and highest base of one period, in fen.
    base_fen: (i64, i64),
    /// Chance in percent that a profit agreement reports a loss (a base of 0).
    loss_percent: u64,
    /// Paid for the calendar year rather than every month.
    yearly: bool,
    /// Its first day.
    start: Date,
}

/// A space as the generator books it.
#[derive(Debug, Clone)]
struct Room {
    id: SpaceId,
    rate: Amount,
    /// No booking starts before this time (the end of the last one).
    cursor: i64,
    /// Hours of one booking.
    hours: i64,
    /// Relative share of the rentals.
    weight: u32,
}

struct Builder {
    spec: SampleSpec,
    keys: SampleKeys,
    rng: SplitMix,
    state: FundState,
    fund: FundId,
    lines: Vec<Vec<u8>>,
    vault: Vec<(u64, [u8; 16], String)>,
    now: i64,
    step: i64,
    /// Trustee indices (into keys.trustees) currently serving.
    serving: Vec<usize>,
    spaces: Vec<Room>,
    agreements: Vec<Deal>,
    last_statement_month: Option<Date>,
    last_share_month: Option<Date>,
    reversible: Vec<u64>,
    /// The story's correction: what it still has to do (see `story_correction`).
    correction: story::CorrectionPlan,
    /// The story's supervisor has signed an opinion.
    opinion_done: bool,
    /// The last donation recorded, with its seq and local month.
    last_donation: Option<(u64, Donation, Date)>,
    /// Months the story's restricted gift has been spent in (`u32::MAX` once it ended).
    restricted_spends: u32,
}

impl Builder {
    fn instant(&self) -> Result<Instant, SampleError> {
        Instant::from_unix_seconds(self.now).map_err(err("time"))
    }

    fn key(&mut self, prefix: &str) -> Result<IdempotencyKey, SampleError> {
        let s = format!("{prefix}-{}", self.state.next_seq());
        IdempotencyKey::parse(&s).map_err(err("key"))
    }

    /// Signs `body` with `signers` trustees (or the operator for genesis, the supervisor
    /// for an opinion) and applies it.
    fn append(&mut self, body: Body, signers: usize, prefix: &str) -> Result<u64, SampleError> {
        let at = self.instant()?;
        let intent = Intent {
            fund: self.fund.clone(),
            body,
            key: self.key(prefix)?,
            signed_at: at,
        };
        let mut sigs: Vec<Sig> = match intent.body {
            Body::Genesis(_) => vec![intent.sign(&self.keys.operator)],
            Body::Opinion(_) => vec![intent.sign(&self.keys.supervisor)],
            _ => self
                .serving
                .iter()
                .take(signers)
                .map(|i| intent.sign(&self.keys.trustees[*i]))
                .collect(),
        };
        sigs.sort_by_key(|s| s.key);
        let intent_bytes = intent.canonical_bytes();
        let appended = self.state.append(intent, &intent_bytes, sigs, at)?;
        self.lines.push(appended.bytes);
        Ok(appended.entry.seq)
    }

    fn genesis(&mut self) -> Result<(), SampleError> {
        let trustees = (0..3)
            .map(|i| {
                Ok(Trustee {
                    key: PublicKey::from_verifying_key(self.keys.trustees[i].verifying_key()),
                    name: text(&self.trustee_name(i))?,
                })
            })
            .collect::<Result<Vec<_>, SampleError>>()?;
        let g = Genesis {
            name: text(&self.spec.name)?,
            name_en: text(&self.spec.name_en)?,
            street: text(&self.spec.street)?,
            community: text(&self.spec.community)?,
            currency: Currency::Cny,
            utc_offset: UtcOffset::CHINA,
            trustees,
            policy: default_policy()?,
            supervisors: match self.supervisor_name() {
                Some(name) => vec![Supervisor {
                    key: PublicKey::from_verifying_key(self.keys.supervisor.verifying_key()),
                    name: text(&name)?,
                }],
                None => Vec::new(),
            },
            host: match self.host_name() {
                Some(name) => Some(HostCharity {
                    name: text(&name)?,
                    uscc: sample_uscc(self.spec.seed, 99)?,
                }),
                None => None,
            },
        };
        self.append(Body::Genesis(g), 1, "genesis")?;
        Ok(())
    }

    /// The supervisor's name: the story's, or 示例监督员 for an example with oversight.
    fn supervisor_name(&self) -> Option<String> {
        match &self.spec.story {
            Some(story) => story.supervisor.clone(),
            None => self.spec.oversight.then(|| "示例监督员".to_owned()),
        }
    }

    /// The host charity's name: the story's, or an example's with oversight.
    fn host_name(&self) -> Option<String> {
        match &self.spec.story {
            Some(story) => story.host.clone(),
            None => self.spec.oversight.then(|| "示例慈善会".to_owned()),
        }
    }

    /// Whether the history corrects a donation: the story says, or an example's oversight.
    fn corrects(&self) -> bool {
        match &self.spec.story {
            Some(story) => story.correction,
            None => self.spec.oversight,
        }
    }

    /// Trustee `i`'s name: the story's, or 管理人甲, 乙, 丙, 丁.
    fn trustee_name(&self, i: usize) -> String {
        match &self.spec.story {
            Some(story) => story.trustees[i.min(3)].clone(),
            None => format!("管理人{}", ["甲", "乙", "丙", "丁"][i.min(3)]),
        }
    }

    fn setup(&mut self) -> Result<(), SampleError> {
        if let Some(story) = self.spec.story.clone() {
            return self.setup_story(&story);
        }
        // The two agreements the source names, by their pattern: a fixed monthly fee
        // plus 10% of profit, and 50% of revenue.
        let agreements = [
            (
                "tongmeng-2023",
                "童萌之家（示例）",
                "童萌之家早教中心",
                "0.1000",
                Some(180_000),
                ShareBasis::Profit,
            ),
            (
                "ucafe-2023",
                "示例酒店管理有限公司",
                "U咖啡",
                "0.5000",
                None,
                ShareBasis::Revenue,
            ),
        ];
        for (i, (id, name, venture, rate, fixed, basis)) in agreements.into_iter().enumerate() {
            let rate = Rate::parse(rate).map_err(err("rate"))?;
            let fixed = fixed.map(amount_fen).transpose()?;
            let a = Agreement {
                agreement_id: AgreementId::parse(id).map_err(err("agreement id"))?,
                enterprise: Enterprise {
                    name: text(name)?,
                    uscc: sample_uscc(self.spec.seed, i as u64)?,
                },
                basis,
                rate,
                fixed_monthly: fixed,
                start: self
                    .instant()?
                    .local_date(UtcOffset::CHINA)
                    .first_of_month(),
                end: None,
                venture: text(venture)?,
            };
            self.agreements.push(Deal {
                id: a.agreement_id.clone(),
                rate,
                fixed,
                basis,
                base_fen: match basis {
                    ShareBasis::Profit => (100_000, 2_000_000),
                    ShareBasis::Revenue => (2_000_000, 8_000_000),
                },
                loss_percent: 25,
                yearly: false,
                start: a.start,
            });
            self.append(Body::Agreement(a), 2, "agreement")?;
        }
        let spaces = 3 + self.spec.entries / 20_000;
        for i in 0..spaces {
            let (kind, name, rate_fen) = match i % 3 {
                0 => (SpaceKind::ActivityRoom, "共享活动室", 12_000),
                1 => (SpaceKind::Classroom, "共享教室", 8_000),
                _ => (SpaceKind::MeetingRoom, "共享会议室", 6_000),
            };
            let id = SpaceId::parse(&format!("space-{i}")).map_err(err("space id"))?;
            let windows: Vec<WeeklyWindow> = serde_json::from_value(json!([
                {"day": "sat", "from": "09:00", "to": "12:00"},
                {"day": "sun", "from": "09:00", "to": "12:00"},
                {"day": "wed", "from": "18:00", "to": "21:00"}
            ]))
            .map_err(err("windows"))?;
            let rate = amount_fen(rate_fen)?;
            let s = Space {
                space_id: id.clone(),
                name: text(&format!("{name}{}", i + 1))?,
                kind,
                hourly_rate: rate,
                community_hours: windows,
            };
            self.append(Body::Space(s), 2, "space")?;
            // Rentals book slots from the day after setup onwards.
            self.spaces.push(Room {
                id,
                rate,
                cursor: self.now + 86_400,
                hours: 2,
                weight: 1,
            });
        }
        Ok(())
    }

    fn month_of(&self, at: i64) -> Result<Date, SampleError> {
        Ok(Instant::from_unix_seconds(at)
            .map_err(err("time"))?
            .local_date(UtcOffset::CHINA)
            .first_of_month())
    }

    /// At the first entry of a new month: last month's revenue shares and statement.
    fn month_end_duties(&mut self) -> Result<(), SampleError> {
        let month = self.month_of(self.now)?;
        let last_entry_month = match self.state.last_recorded_at() {
            Some(t) => t.local_date(UtcOffset::CHINA).first_of_month(),
            None => return Ok(()),
        };
        if last_entry_month >= month {
            return Ok(());
        }
        let period = Period::new(last_entry_month, last_entry_month.last_of_month())
            .map_err(err("period"))?;
        if self.last_share_month.is_none_or(|m| m < last_entry_month) {
            self.last_share_month = Some(last_entry_month);
            for i in 0..self.agreements.len() {
                let deal = self.agreements[i].clone();
                if !deal.yearly {
                    self.pay_share(&deal, period)?;
                }
            }
            if month.year() > last_entry_month.year() {
                self.yearly_shares(last_entry_month)?;
            }
        }
        let restricted = self.spec.story.as_ref().and_then(|s| s.restricted.clone());
        if let Some(r) = &restricted {
            if self
                .last_statement_month
                .is_none_or(|m| m < last_entry_month)
            {
                self.spend_restricted(r)?;
            }
        }
        if self
            .last_statement_month
            .is_none_or(|m| m < last_entry_month)
        {
            self.last_statement_month = Some(last_entry_month);
            let s = self.drafted(&period)?;
            let seq = self.append(Body::Statement(s), 2, "statement")?;
            self.story_oversight(seq, period)?;
        }
        Ok(())
    }

    /// The statement of `period` as drafted now: in two columns where the story restricts
    /// money; the examples keep the first version, so that their logs stay what they always
    /// were.
    fn drafted(&self, period: &Period) -> Result<crate::body::Statement, SampleError> {
        let s = self.state.draft_statement(period)?;
        let restricted = self.spec.story.as_ref().and_then(|s| s.restricted.as_ref());
        Ok(match restricted {
            Some(_) => s,
            None => crate::statement::first_version(s),
        })
    }

    /// What a supervisor and a correction add after a statement (at `seq`, over `period`):
    /// the supervisor's opinion on the first statement; a correction of a donation a
    /// statement covered, with its 更正说明, and the corrected statement that supersedes it.
    fn story_oversight(&mut self, seq: u64, period: Period) -> Result<(), SampleError> {
        if self.supervisor_name().is_some() && !self.opinion_done {
            self.opinion_done = true;
            let o = Opinion {
                statement: seq,
                verdict: Verdict::Agree,
                reasons: Some(long(
                    "已核对本月收支明细与银行流水、票据，金额一致，无异议。",
                )?),
            };
            self.append(Body::Opinion(o), 1, "opinion")?;
        }
        if self.corrects() {
            self.story_correction(seq, period)?;
        }
        Ok(())
    }

    /// A resident donor with a fictional name and phone, kept in the vault; the chain
    /// holds only the commitment.
    fn resident_donor(&mut self) -> Result<Donor, SampleError> {
        let name = format!(
            "{}{}",
            SURNAMES[self.rng.range(0, 7) as usize],
            GIVEN[self.rng.range(0, 7) as usize]
        );
        let phone = format!("138{:08}", self.rng.range(0, 99_999_999));
        let mut salt = [0u8; 16];
        salt[..8].copy_from_slice(&self.rng.next_u64().to_le_bytes());
        salt[8..].copy_from_slice(&self.rng.next_u64().to_le_bytes());
        let identity = identity_string(&name, &phone);
        let c = commitment(&salt, &identity);
        self.vault.push((self.state.next_seq(), salt, identity));
        Ok(Donor {
            class: DonorClass::Resident,
            name: None,
            name_consent: None,
            commitment: Some(c),
        })
    }

    fn donation(&mut self) -> Result<(), SampleError> {
        if let Some(story) = self.spec.story.clone() {
            let (donor, fen) = self.story_donor(&story)?;
            return self.record_donation(donor, fen);
        }
        let scale = self.spec.donation_yuan.max(1) * 100;
        let (donor, fen) = match self.rng.range(0, 9) {
            0..=5 => {
                let donor = self.resident_donor()?;
                (donor, self.rng.range(scale / 10, scale * 2))
            }
            6..=7 => {
                let name = ENTERPRISES[self.rng.range(0, 5) as usize];
                let donor = Donor {
                    class: DonorClass::Enterprise,
                    name: Some(text(name)?),
                    name_consent: None,
                    commitment: None,
                };
                (donor, self.rng.range(scale * 5, scale * 40))
            }
            8 => {
                let donor = Donor {
                    class: DonorClass::Organisation,
                    name: Some(text("示例志愿者协会")?),
                    name_consent: None,
                    commitment: None,
                };
                (donor, self.rng.range(scale, scale * 10))
            }
            _ => {
                let donor = Donor {
                    class: DonorClass::Anonymous,
                    name: None,
                    name_consent: None,
                    commitment: None,
                };
                (donor, self.rng.range(scale / 10, scale))
            }
        };
        self.record_donation(donor, fen)
    }

    /// Records a donation of `fen` by `donor` through a channel picked at random.
    fn record_donation(&mut self, donor: Donor, fen: i64) -> Result<(), SampleError> {
        let channel = [
            Channel::WechatPay,
            Channel::Alipay,
            Channel::BankTransfer,
            Channel::Cash,
        ][self.rng.range(0, 3) as usize];
        let d = Donation {
            amount: amount_fen(fen.max(1))?,
            donor,
            channel,
            receipt_no: text(&format!("R{}-{:06}", self.spec.seed, self.state.next_seq()))?,
            purpose: None,
            restriction: None,
            memo: None,
            corrects: None,
        };
        let seq = self.append(Body::Donation(d.clone()), 1, "donation")?;
        self.last_donation = Some((seq, d, self.month_of(self.now)?));
        self.reversible.push(seq);
        Ok(())
    }

    /// Founder `i`'s donation (the story's range), by bank transfer.
    fn founding_donation(&mut self, story: &Story, i: usize) -> Result<(), SampleError> {
        let (lo, hi) = story.founder_gift_yuan;
        let d = Donation {
            amount: amount_fen(self.rng.range(lo, hi) * 100)?,
            donor: Donor {
                class: DonorClass::Enterprise,
                name: Some(text(&story.founders[i])?),
                name_consent: None,
                commitment: None,
            },
            channel: Channel::BankTransfer,
            receipt_no: text(&format!("F{}-{:03}", self.spec.seed, i + 1))?,
            purpose: None,
            restriction: None,
            memo: Some(long("社区基金发起捐赠")?),
            corrects: None,
        };
        let seq = self.append(Body::Donation(d), 1, "founding")?;
        self.reversible.push(seq);
        Ok(())
    }

    fn rental(&mut self) -> Result<(), SampleError> {
        let (i, story_renter) = match self.spec.story.clone() {
            Some(story) => {
                let (i, renter) = self.story_rental_parties(&story)?;
                (i, Some(renter))
            }
            None => (
                self.rng.range(0, self.spaces.len() as i64 - 1) as usize,
                None,
            ),
        };
        let room = self.spaces[i].clone();
        // A story's bookings start from the day they are recorded on (up to three days
        // ahead); the examples' follow one another from the fund's first days.
        let cursor = match story_renter {
            Some(_) => room.cursor.max(self.now + self.rng.range(0, 3) * 86_400),
            None => room.cursor,
        };
        // Next free slot at staggered hours (09:00, 14:00 or 19:00 local), after the
        // cursor, outside the community's hours.
        let windows = self.space_windows()?;
        let offset = i64::from(UtcOffset::CHINA.seconds());
        let mut day_start = (cursor + offset).div_euclid(86_400) * 86_400 - offset;
        let (start, end) = 'search: loop {
            for hour in [9, 14, 19] {
                let start = day_start + hour * 3_600;
                let end = start + room.hours * 3_600;
                if start < cursor {
                    continue;
                }
                let (s, e) = (
                    Instant::from_unix_seconds(start).map_err(err("time"))?,
                    Instant::from_unix_seconds(end).map_err(err("time"))?,
                );
                if !crate::time::overlaps_weekly(s, e, UtcOffset::CHINA, &windows) {
                    break 'search (s, e);
                }
            }
            day_start += 86_400;
        };
        self.spaces[i].cursor = end.unix_seconds();
        let price = hourly_price(room.rate, end.unix_seconds() - start.unix_seconds())
            .map_err(err("price"))?;
        let renter = match story_renter {
            Some(renter) => renter,
            None => Party {
                name: text(
                    [
                        "示例培训学校",
                        "示例舞蹈工作室",
                        "示例读书会",
                        "示例科技有限公司",
                    ][self.rng.range(0, 3) as usize],
                )?,
                class: PartyClass::Organisation,
            },
        };
        let r = Rental {
            space_id: room.id,
            renter,
            start,
            end,
            amount: amount_fen(price.to_fen())?,
            corrects: None,
        };
        let seq = self.append(Body::Rental(r), 1, "rental")?;
        self.reversible.push(seq);
        Ok(())
    }

    fn space_windows(&self) -> Result<Vec<WeeklyWindow>, SampleError> {
        serde_json::from_value(json!([
            {"day": "sat", "from": "09:00", "to": "12:00"},
            {"day": "sun", "from": "09:00", "to": "12:00"},
            {"day": "wed", "from": "18:00", "to": "21:00"}
        ]))
        .map_err(err("windows"))
    }

    fn disbursement(&mut self) -> Result<(), SampleError> {
        // Grants spend unrestricted money (all of it, without restrictions).
        let balance = self.state.unrestricted_balance().to_fen();
        if balance < 10_000 {
            return self.donation();
        }
        // A story's grants are smaller: its funds keep a reserve.
        let (lo, hi) = match self.spec.story {
            Some(_) => (balance / 100, balance / 25),
            None => (balance / 20, balance / 4),
        };
        let fen = self.rng.range(lo, hi).max(100);
        let (purpose, project) = [
            ("老年人助餐服务", "长者食堂"),
            ("社区微更新", "小区花园改造"),
            ("儿童托管服务", "四点半课堂"),
            ("困难家庭帮扶", "邻里互助"),
        ][self.rng.range(0, 3) as usize];
        let payee = match self.spec.story.clone() {
            Some(story) => self.story_payee(&story)?,
            None => Party {
                name: text("示例社会服务中心")?,
                class: PartyClass::Organisation,
            },
        };
        let d = Disbursement {
            amount: amount_fen(fen)?,
            payee,
            purpose: text(purpose)?,
            project: text(project)?,
            invoice_no: text(&format!("INV{:08}", self.state.next_seq()))?,
            corrects: None,
            restriction: None,
        };
        self.append(Body::Disbursement(d), 2, "grant")?;
        Ok(())
    }

    fn reversal(&mut self) -> Result<(), SampleError> {
        let Some(target) = self.reversible.pop() else {
            return self.donation();
        };
        let r = Body::Reversal(Reversal {
            reverses: target,
            reason: long("录入错误：金额与收据不符，冲正后重新登记")?,
            correction: None,
        });
        match self.append(r, 1, "reversal") {
            Ok(_) => Ok(()),
            // The money was already spent: record a donation instead.
            Err(_) => self.donation(),
        }
    }

    fn trustee_change(&mut self) -> Result<(), SampleError> {
        let new = 3;
        let removed = self.serving[0];
        let c = TrusteeChange {
            add: vec![Trustee {
                key: PublicKey::from_verifying_key(self.keys.trustees[new].verifying_key()),
                name: text(&self.trustee_name(new))?,
            }],
            remove: vec![PublicKey::from_verifying_key(
                self.keys.trustees[removed].verifying_key(),
            )],
            policy: None,
            supervisors_add: Vec::new(),
            supervisors_remove: Vec::new(),
            host: None,
        };
        self.append(Body::Trustees(c), 2, "trustees")?;
        self.serving.retain(|i| *i != removed);
        self.serving.push(new);
        Ok(())
    }
}

/// The default policy: two signatures for statements, grants and governance; rates
/// 10%–50%.
pub fn default_policy() -> Result<Policy, SampleError> {
    Ok(Policy {
        statement_quorum: 2,
        disbursement_quorum: 2,
        governance_quorum: 2,
        share_rate_min: Rate::parse("0.1000").map_err(err("rate"))?,
        share_rate_max: Rate::parse("0.5000").map_err(err("rate"))?,
    })
}

/// A valid example USCC (check digit computed), distinct per seed and index.
pub fn sample_uscc(seed: u64, index: u64) -> Result<Uscc, SampleError> {
    let body = format!(
        "915101{:011}",
        seed.wrapping_mul(7).wrapping_add(index.wrapping_mul(13)) % 100_000_000_000
    );
    let check = crate::ids::uscc_check_char(&body).map_err(err("uscc"))?;
    Uscc::parse(&format!("{body}{check}")).map_err(err("uscc"))
}

/// Builds a sample fund.
pub fn build(spec: &SampleSpec, origin_host: &str) -> Result<SampleFund, SampleError> {
    let keys = SampleKeys::derive(spec.seed, origin_host)?;
    let fund = FundId::parse(&spec.fund).map_err(err("fund id"))?;
    let operator = PublicKey::from_verifying_key(keys.operator.verifying_key());
    let span = i64::from(spec.months.max(1)) * 30 * 86_400;
    let mut b = Builder {
        spec: spec.clone(),
        keys,
        rng: SplitMix::new(spec.seed),
        state: FundState::new(fund.clone(), operator),
        fund,
        lines: Vec::with_capacity(spec.entries),
        vault: Vec::new(),
        now: spec.start_unix,
        step: (span / spec.entries.max(1) as i64).max(1),
        serving: vec![0, 1, 2],
        spaces: Vec::new(),
        agreements: Vec::new(),
        last_statement_month: None,
        last_share_month: None,
        reversible: Vec::new(),
        correction: story::CorrectionPlan::default(),
        opinion_done: false,
        last_donation: None,
        restricted_spends: 0,
    };
    b.genesis()?;
    b.now += 60;
    if let Some(story) = &spec.story {
        for i in 0..story.founders.len() {
            b.now += 600;
            b.founding_donation(story, i)?;
        }
    }
    b.setup()?;
    if let Some(r) = spec.story.as_ref().and_then(|s| s.restricted.clone()) {
        b.now += 600;
        b.setup_restriction(&r)?;
    }
    let change_at = spec.entries / 3;
    // Percent of the actions that are donations, rentals and grants (the rest reversals).
    let [donations, rentals, grants] = spec.story.as_ref().map_or([55, 25, 18], |s| s.mix);
    let (donations, rentals, grants) =
        (i64::from(donations), i64::from(rentals), i64::from(grants));
    let end = spec.start_unix + span;
    while b.lines.len() < spec.entries {
        let step = match spec.story {
            // A story's history runs up to its end: the pace follows the time and the
            // entries left (the last entries come within days of the end, never after).
            Some(_) => ((end - b.now) / (spec.entries - b.lines.len()) as i64 + 1).max(1),
            None => b.step,
        };
        let pace = b.rng.range(step / 2, step * 3 / 2).max(1);
        match spec.story {
            // Never past the end, and never more than half the way left at once.
            Some(_) => b.now = (b.now + pace.min(((end - b.now) / 2).max(1))).min(end),
            None => b.now += pace,
        }
        b.month_end_duties()?;
        if b.lines.len() >= spec.entries {
            break;
        }
        if b.lines.len() >= change_at && b.serving.contains(&0) {
            b.trustee_change()?;
            continue;
        }
        let roll = b.rng.range(0, 99);
        if roll < donations {
            b.donation()?;
        } else if roll < donations + rentals {
            b.rental()?;
        } else if roll < donations + rentals + grants {
            b.disbursement()?;
        } else {
            b.reversal()?;
        }
        if b.reversible.len() > 64 {
            b.reversible.drain(..32);
        }
    }
    Ok(SampleFund {
        spec: spec.clone(),
        origin: format!("{origin_host}/{}", spec.fund),
        keys: b.keys,
        lines: b.lines,
        vault: b.vault,
        state: b.state,
    })
}

impl SampleFund {
    /// The export header.
    pub fn header(&self) -> Header {
        Header::new(
            self.state.fund().clone(),
            self.origin.clone(),
            &self.keys.log.verifier(),
            PublicKey::from_verifying_key(self.keys.operator.verifying_key()),
        )
    }

    /// The signed checkpoint of the whole log.
    pub fn checkpoint_note(&self) -> Result<String, SampleError> {
        Checkpoint {
            origin: self.origin.clone(),
            tree_size: self.lines.len() as u64,
            root: self.state.root(),
            extensions: Vec::new(),
        }
        .sign(&self.keys.log)
        .map_err(err("checkpoint"))
    }

    /// The whole export: header, entries, checkpoint; one per line.
    pub fn export(&self) -> Result<Vec<u8>, SampleError> {
        let mut out = self.header().to_line();
        out.push(b'\n');
        for l in &self.lines {
            out.extend_from_slice(l);
            out.push(b'\n');
        }
        out.extend_from_slice(
            &CheckpointLine {
                checkpoint: self.checkpoint_note()?,
            }
            .to_line(),
        );
        out.push(b'\n');
        Ok(out)
    }

    /// The fund's balance.
    pub fn balance(&self) -> Money {
        self.state.balance()
    }

    /// The root hash.
    pub fn root(&self) -> Hash {
        self.state.root()
    }

    /// A receipt (FORMAT.md §11) for entry `seq` at the log's full size, signed by the
    /// sample's log key; with the donor part (salt, name, phone from the vault) when
    /// `with_donor`, which needs `seq` to be a resident donation. Signer names are those of
    /// the fund's current trustees; a key that is no longer a trustee (or the operator's,
    /// on genesis) has none.
    pub fn receipt(
        &self,
        seq: u64,
        with_donor: bool,
    ) -> Result<crate::receipt::Receipt, SampleError> {
        use crate::receipt::ReceiptDonor;
        let leaves: Vec<Hash> = self
            .lines
            .iter()
            .map(|l| crate::hash::leaf_hash(l))
            .collect();
        if crate::merkle::MemoryTree::from_leaves(&leaves).root() != self.state.root() {
            return Err(SampleError(
                "the tree of the lines is not the state's".into(),
            ));
        }
        let mut receipt = self.receipt_of(&self.lines, seq)?;
        let donor = if with_donor {
            let (_, salt, identity) = self
                .vault
                .iter()
                .find(|(s, _, _)| *s == seq)
                .ok_or_else(|| SampleError(format!("no vault record for seq {seq}")))?;
            let (name, phone) = identity
                .split_once('\n')
                .ok_or_else(|| SampleError(format!("vault identity of seq {seq}")))?;
            Some(ReceiptDonor {
                salt: hex::encode(salt),
                name: name.to_owned(),
                phone: phone.to_owned(),
            })
        } else {
            None
        };
        receipt.donor = donor;
        Ok(receipt)
    }

    /// A receipt for entry `seq` of `lines` (each taken as is; a line that does not parse
    /// as an entry lists no signers), with a checkpoint over all of `lines` signed by the
    /// log key: what an insider holding the log key would hand out for a log of those
    /// lines.
    pub fn receipt_of<L: AsRef<[u8]>>(
        &self,
        lines: &[L],
        seq: u64,
    ) -> Result<crate::receipt::Receipt, SampleError> {
        use crate::receipt::{Receipt, ReceiptSigner, RECEIPT_VERSION};
        let line = usize::try_from(seq)
            .ok()
            .and_then(|i| lines.get(i))
            .ok_or_else(|| SampleError(format!("no entry at seq {seq}")))?
            .as_ref();
        let leaves: Vec<Hash> = lines
            .iter()
            .map(|l| crate::hash::leaf_hash(l.as_ref()))
            .collect();
        let tree = crate::merkle::MemoryTree::from_leaves(&leaves);
        let inclusion = tree
            .inclusion_proof(seq, tree.size())
            .map_err(err("inclusion proof"))?;
        let trustees = self.state.trustees();
        let signers = Entry::parse(line)
            .map(|parsed| {
                parsed
                    .entry
                    .sigs
                    .iter()
                    .map(|s| ReceiptSigner {
                        key: s.key,
                        name: trustees.get(&s.key).map(|n| n.as_str().to_owned()),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Receipt {
            version: RECEIPT_VERSION.to_owned(),
            origin: self.origin.clone(),
            log_key: self.keys.log.verifier().to_vkey(),
            entry: String::from_utf8(line.to_vec()).map_err(err("entry"))?,
            seq,
            tree_size: tree.size(),
            inclusion,
            checkpoint: self.checkpoint_note_by(tree.size(), tree.root(), &self.keys.log)?,
            signers,
            donor: None,
        })
    }
}

/// What [`SampleFund::rechain`] does with the statements it re-signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restatement {
    /// Leave their bodies as they are (their `root` then no longer matches the log).
    Keep,
    /// Set each statement's `root` to the rebuilt log's root at its `tree_size`, keeping
    /// its money figures: the totals then still tell whether the money adds up.
    FixRoots,
    /// Redraft every statement from the rebuilt log (a complete, consistent rewrite). The
    /// modified entries must then keep every rule: each entry is applied on the way.
    Redraft,
}

/// Tampering helpers: what an insider holding every key of the sample could do. Used by
/// the tamper suites (ledger-core's and the `ledger-verify` tool's) to build exports that
/// are broken in exactly one way.
impl SampleFund {
    /// The typed entries, by seq.
    pub fn entries(&self) -> Result<Vec<Entry>, SampleError> {
        self.lines
            .iter()
            .map(|l| Entry::parse(l).map(|p| p.entry).map_err(err("entry")))
            .collect()
    }

    /// The signing key behind `key` among the sample's keys (operator, trustees,
    /// supervisor) and `extra`.
    pub fn signing_key<'a>(
        &'a self,
        key: &PublicKey,
        extra: &'a [SigningKey],
    ) -> Option<&'a SigningKey> {
        std::iter::once(&self.keys.operator)
            .chain(self.keys.trustees.iter())
            .chain(std::iter::once(&self.keys.supervisor))
            .chain(extra.iter())
            .find(|k| PublicKey::from_verifying_key(k.verifying_key()) == *key)
    }

    /// Re-chains `entries` from `from` on: each entry's `prev` is set to the new previous
    /// hash and its intent re-signed by the same signers (found among the sample's keys and
    /// `extra` by public key); statements are treated as `statements` says. Entries before
    /// `from` keep the sample's bytes. Returns the new entry lines; wrap them with
    /// [`SampleFund::export_of`] for an export with a freshly signed checkpoint.
    pub fn rechain(
        &self,
        mut entries: Vec<Entry>,
        from: usize,
        statements: Restatement,
        extra: &[SigningKey],
    ) -> Result<Vec<Vec<u8>>, SampleError> {
        let mut lines: Vec<Vec<u8>> = Vec::with_capacity(entries.len());
        let mut frontier = crate::merkle::Frontier::new();
        let mut roots = vec![frontier.root()];
        let mut head = crate::hash::ZERO_HASH;
        let operator = PublicKey::from_verifying_key(self.keys.operator.verifying_key());
        let mut state = (statements == Restatement::Redraft)
            .then(|| FundState::new(self.state.fund().clone(), operator));
        for (i, e) in entries.iter_mut().enumerate() {
            let bytes = match self.lines.get(i) {
                Some(line) if i < from => line.clone(),
                _ => {
                    e.prev = head;
                    if let Body::Statement(s) = &mut e.intent.body {
                        match (statements, &state) {
                            (Restatement::FixRoots, _) => {
                                s.root = *roots.get(s.tree_size as usize).ok_or_else(|| {
                                    SampleError(format!("statement at {i}: tree size too large"))
                                })?
                            }
                            (Restatement::Redraft, Some(st)) => {
                                let draft = st.draft_statement(&s.period)?;
                                let supersedes = s.supersedes;
                                *s = match s.version {
                                    Some(_) => draft,
                                    None => crate::statement::first_version(draft),
                                };
                                // A corrected statement still names the one it supersedes.
                                s.supersedes = supersedes;
                            }
                            _ => {}
                        }
                    }
                    let mut sigs = Vec::with_capacity(e.sigs.len());
                    for s in &e.sigs {
                        let key = self.signing_key(&s.key, extra).ok_or_else(|| {
                            SampleError(format!("no signing key for {} at seq {i}", s.key))
                        })?;
                        sigs.push(e.intent.sign(key));
                    }
                    sigs.sort_by_key(|s| s.key);
                    e.sigs = sigs;
                    e.canonical_bytes()
                }
            };
            let hash = crate::hash::leaf_hash(&bytes);
            if let Some(st) = &mut state {
                replay(st, prepare_stored(&bytes), OnRefusal::Stop)
                    .map_err(|r| SampleError(format!("rebuilt entry: {}", r.refusal)))?;
            }
            head = hash;
            frontier.push(hash);
            roots.push(frontier.root());
            lines.push(bytes);
        }
        Ok(lines)
    }

    /// A checkpoint over `size` and `root` for this fund's origin, signed by `signer`.
    pub fn checkpoint_note_by(
        &self,
        size: u64,
        root: Hash,
        signer: &NoteSigner,
    ) -> Result<String, SampleError> {
        Checkpoint {
            origin: self.origin.clone(),
            tree_size: size,
            root,
            extensions: Vec::new(),
        }
        .sign(signer)
        .map_err(err("checkpoint"))
    }

    /// An export of this fund's header, the entry lines `lines` (each taken as is) and
    /// `checkpoint_note` as its last line.
    pub fn export_with_note<L: AsRef<[u8]>>(
        &self,
        lines: &[L],
        checkpoint_note: String,
    ) -> Vec<u8> {
        let mut out = self.header().to_line();
        out.push(b'\n');
        for l in lines {
            out.extend_from_slice(l.as_ref());
            out.push(b'\n');
        }
        out.extend_from_slice(
            &CheckpointLine {
                checkpoint: checkpoint_note,
            }
            .to_line(),
        );
        out.push(b'\n');
        out
    }

    /// An export of the entry lines `lines` (each taken as is) with a checkpoint over all
    /// of them signed by the log key: what an insider holding the log key would publish.
    pub fn export_of<L: AsRef<[u8]>>(&self, lines: &[L]) -> Result<Vec<u8>, SampleError> {
        let mut frontier = crate::merkle::Frontier::new();
        for l in lines {
            frontier.push(crate::hash::leaf_hash(l.as_ref()));
        }
        let note = self.checkpoint_note_by(frontier.size(), frontier.root(), &self.keys.log)?;
        Ok(self.export_with_note(lines, note))
    }
}
