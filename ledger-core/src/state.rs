//! `FundState`: the projection of a fund's log that the rules need, and the rules themselves.
//!
//! The server applies each new entry to the fund's state before it writes it; the verifier
//! replays the whole log through the same code. An entry that breaks a rule is refused and
//! leaves the state exactly as it was.

use std::collections::{BTreeMap, HashMap};

use crate::body::{
    Agreement, Body, Donation, DonorClass, Genesis, HostCharity, Kind, Opinion, Policy, Rental,
    RevenueShare, Space, Statement, TrusteeChange, Verdict, COMMUNITY_WINDOWS_MAX, TRUSTEES_MAX,
};
use crate::entry::{Entry, Sig};
use crate::hash::{Hash, ZERO_HASH};
use crate::ids::{AgreementId, FundId, SpaceId};
use crate::keys::PublicKey;
use crate::merkle::{Frontier, NodeId};
use crate::money::{hourly_price, share_of, Money};
use crate::restriction::{Move, Restrictions};
use crate::rules::RuleError;
use crate::statement::{check_statement, Months, Opening};
use crate::text::ShortText;
use crate::time::{overlaps_weekly, Date, Instant, Period, UtcOffset};

mod key_set;
mod slots;
mod snapshot;
mod undo;
use key_set::KeySet;
use slots::Slots;
use undo::{Undo, UndoLog};

pub use snapshot::{SnapshotError, STATE_NOTE_HEADER};

/// How far after `recorded_at` an intent's `signed_at` may be (trustee clock skew).
pub const SIGNED_AT_SKEW_SECONDS_MAX: i64 = 300;
/// Longest rental slot, in days.
pub const RENTAL_DAYS_MAX: i64 = 31;

/// What applying an entry did to the fund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Signed change of the balance.
    pub delta: Money,
    /// Balance after the entry.
    pub balance: Money,
    /// Merkle tree nodes completed by this entry (its leaf first): the rows a store adds.
    pub nodes: Vec<(NodeId, Hash)>,
    /// For a reversal: the kind of the entry it reverses.
    pub reversed_kind: Option<Kind>,
    /// What the entry did to restricted money (for the statutory reports,
    /// [`crate::statutory`]).
    pub restricted: Move,
}

/// A monetary entry as the reversal rule remembers it: 8 bytes per seq.
///
/// Bits 0–47: amount in fen; bits 48–55: kind index in [`Kind::ALL`]; bit 63: reversed;
/// bit 62: reversed by a reversal carrying a correction note; bit 61: corrected by a later
/// entry (`corrects`).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Packed(u64);

const FEN_BITS: u64 = (1 << 48) - 1;
const REVERSED_BIT: u64 = 1 << 63;
const CORRECTION_NOTE_BIT: u64 = 1 << 62;
const CORRECTED_BIT: u64 = 1 << 61;

impl Packed {
    fn new(kind: Kind, fen: i64) -> Self {
        let k = Kind::ALL.iter().position(|x| *x == kind).unwrap_or(0) as u64;
        Packed((fen.unsigned_abs() & FEN_BITS) | (k << 48))
    }
    fn kind(self) -> Kind {
        Kind::ALL[((self.0 >> 48) & 0xff) as usize % Kind::ALL.len()]
    }
    fn fen(self) -> i64 {
        (self.0 & FEN_BITS) as i64
    }
    fn reversed(self) -> bool {
        self.0 & REVERSED_BIT != 0
    }
    fn has_correction_note(self) -> bool {
        self.0 & CORRECTION_NOTE_BIT != 0
    }
    fn corrected(self) -> bool {
        self.0 & CORRECTED_BIT != 0
    }
}

/// What the supersession rule remembers of a statement: its period and whether a later
/// statement supersedes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct StatementMark {
    period: Period,
    superseded: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct AgreementState {
    agreement: Agreement,
    /// Paid periods by first day: (last day, seq). Disjoint.
    paid: BTreeMap<Date, (Date, u64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct SpaceState {
    space: Space,
    /// Rentals by start: (end, seq). Disjoint half-open slots.
    rentals: Slots<Instant, (Instant, u64)>,
}

/// The state of one fund after some prefix of its log. Two states are equal when every
/// part of them is (what the rules remember included): the property tests compare a
/// state before and after a refused entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundState {
    fund: FundId,
    operator: PublicKey,
    offset: UtcOffset,
    next_seq: u64,
    head: Hash,
    last_recorded_at: Option<Instant>,
    frontier: Frontier,
    trustees: BTreeMap<PublicKey, ShortText>,
    supervisors: BTreeMap<PublicKey, ShortText>,
    host: Option<HostCharity>,
    statements: BTreeMap<u64, StatementMark>,
    policy: Option<Policy>,
    balance: Money,
    agreements: HashMap<AgreementId, AgreementState>,
    spaces: HashMap<SpaceId, SpaceState>,
    entries: Vec<Packed>,
    /// 128-bit digests of the idempotency keys used so far (about 17 bytes per entry).
    keys: KeySet,
    undo: UndoLog,
    months: Months,
    restrictions: Restrictions,
}

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:?}:{}{}",
            self.kind(),
            self.fen(),
            if self.reversed() { "R" } else { "" }
        )
    }
}

fn add(a: Money, b: Money) -> Result<Money, RuleError> {
    a.checked_add(b).ok_or(RuleError::Overflow)
}

/// How far ahead of the expected seq [`FundState::skip`] will resynchronise on an
/// unusable entry's own seq (2^22 entries: a few megabytes of per-seq state at most).
pub const SKIP_RESYNC_SEQS_MAX: u64 = 1 << 22;

impl FundState {
    /// An empty fund `fund` whose genesis must be signed by the deployment's `operator` key.
    pub fn new(fund: FundId, operator: PublicKey) -> Self {
        FundState {
            fund,
            operator,
            offset: UtcOffset::CHINA,
            next_seq: 0,
            head: ZERO_HASH,
            last_recorded_at: None,
            frontier: Frontier::new(),
            trustees: BTreeMap::new(),
            supervisors: BTreeMap::new(),
            host: None,
            statements: BTreeMap::new(),
            policy: None,
            balance: Money::ZERO,
            agreements: HashMap::new(),
            spaces: HashMap::new(),
            entries: Vec::new(),
            keys: KeySet::new(),
            undo: UndoLog::default(),
            months: Months::default(),
            restrictions: Restrictions::default(),
        }
    }

    /// The operator key that must sign the genesis.
    pub fn operator(&self) -> &PublicKey {
        &self.operator
    }
    /// The fund's id.
    pub fn fund(&self) -> &FundId {
        &self.fund
    }
    /// The seq the next entry must have (= number of entries).
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// True when an entry of the state used the idempotency key `key` (an append with it
    /// would be refused as [`RuleError::IdempotencyKeyReused`]).
    pub fn key_used(&self, key: &str) -> bool {
        self.keys.contains(&key_digest(key))
    }
    /// Hash of the last entry (zeros before genesis).
    pub fn head(&self) -> Hash {
        self.head
    }
    /// `recorded_at` of the last entry.
    pub fn last_recorded_at(&self) -> Option<Instant> {
        self.last_recorded_at
    }
    /// Current balance.
    pub fn balance(&self) -> Money {
        self.balance
    }
    /// The fund's local calendar offset (from genesis).
    pub fn utc_offset(&self) -> UtcOffset {
        self.offset
    }
    /// Current trustees and their names.
    pub fn trustees(&self) -> &BTreeMap<PublicKey, ShortText> {
        &self.trustees
    }
    /// Current supervisors (监督员) and their names.
    pub fn supervisors(&self) -> &BTreeMap<PublicKey, ShortText> {
        &self.supervisors
    }
    /// The host charity, when the genesis or a trustee change named one.
    pub fn host(&self) -> Option<&HostCharity> {
        self.host.as_ref()
    }
    /// The restrictions and what each holds (限定性净资产 by restriction).
    pub fn restrictions(&self) -> &Restrictions {
        &self.restrictions
    }
    /// Restricted money: what the restrictions hold together (限定性净资产).
    pub fn restricted_balance(&self) -> Money {
        self.restrictions.total()
    }
    /// Unrestricted money: the balance less restricted money (非限定性净资产, never < 0).
    pub fn unrestricted_balance(&self) -> Money {
        // Both are bounded money and restricted ≤ balance: the rules keep it so.
        self.balance
            .checked_sub(self.restrictions.total())
            .unwrap_or(Money::ZERO)
    }
    /// The balances a month opening now would start from.
    fn opening(&self) -> Opening {
        Opening {
            total: self.balance,
            restricted: self.restrictions.total(),
        }
    }
    /// Current policy (None before genesis).
    pub fn policy(&self) -> Option<&Policy> {
        self.policy.as_ref()
    }
    /// Merkle root of the log so far.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }
    /// The incremental Merkle tree of the log so far.
    pub fn frontier(&self) -> &Frontier {
        &self.frontier
    }

    /// An estimate of the heap bytes this state holds, from its containers' sizes: what
    /// the rules remember, which grows with the entries by about 8 + 17 bytes each (kind
    /// and amount; idempotency key digest) plus, per revenue share or rental, 24 bytes
    /// (what its reversal frees) and a rental's 24 in the calendar, and the paid periods.
    pub fn retained_bytes(&self) -> usize {
        let periods: usize = self.agreements.values().map(|a| a.paid.len()).sum();
        self.entries.capacity() * std::mem::size_of::<Packed>()
            + self.keys.retained_bytes()
            + self.undo.retained_bytes()
            + self
                .spaces
                .values()
                .map(|s| s.rentals.retained_bytes())
                .sum::<usize>()
            + periods * (std::mem::size_of::<(Date, (Date, u64))>() + 16)
            + (self.trustees.len() + self.supervisors.len()) * 300
            + self.statements.len() * (std::mem::size_of::<(u64, StatementMark)>() + 16)
            + self.restrictions.retained_bytes()
    }

    /// Signatures an entry of this kind needs (a reversal: as the kind it reverses).
    pub fn required_signatures(&self, body: &Body) -> u32 {
        let Some(p) = &self.policy else { return 1 };
        let kind = match body {
            Body::Reversal(r) => self
                .entries
                .get(r.reverses as usize)
                .map(|p| p.kind())
                .unwrap_or(Kind::Reversal),
            b => b.kind(),
        };
        match kind {
            Kind::Genesis => 1,
            Kind::Trustees
            | Kind::Agreement
            | Kind::Space
            | Kind::Restriction
            | Kind::RestrictionRevocation
            | Kind::RestrictionClosing => p.governance_quorum,
            Kind::Disbursement => p.disbursement_quorum,
            Kind::Statement => p.statement_quorum,
            Kind::Donation | Kind::RevenueShare | Kind::Rental | Kind::Reversal => 1,
            Kind::Opinion => 1,
        }
    }

    /// Drafts the statement of `period` as it would be recorded now: figures from the
    /// log so far (the current month counts as closed if the period covers it).
    pub fn draft_statement(&self, period: &Period) -> Result<Statement, RuleError> {
        self.months
            .figures(period, Some((self.next_seq, self.frontier.root())))
    }

    /// Checks every rule for `entry` (whose signatures the caller has verified) and, if
    /// all hold, applies it. On error nothing changes.
    pub fn apply(&mut self, entry: &Entry, hash: Hash) -> Result<Applied, RuleError> {
        self.check_chain(entry)?;
        self.check_signers(entry)?;
        let effect = self.check_kind(entry)?;
        self.commit(entry, hash, effect)
    }

    /// Checks every rule but the signatures for `entry` and, if they all hold, applies it:
    /// the trustees' dry run of an intent not signed yet (`crate::check`), always on a
    /// copy of the fund's state. Never a way to record: an entry is recorded only through
    /// [`FundState::apply`], which counts its signers. On error nothing changes.
    pub fn apply_unsigned(&mut self, entry: &Entry, hash: Hash) -> Result<Applied, RuleError> {
        self.check_chain(entry)?;
        let effect = self.check_kind(entry)?;
        self.commit(entry, hash, effect)
    }

    /// The agreements in force or ended, by id: each with the periods already paid under
    /// it (first day, last day, seq of the revenue share), oldest first.
    pub fn agreements(&self) -> Vec<(&Agreement, Vec<PaidPeriod>)> {
        let mut out: Vec<_> = self
            .agreements
            .values()
            .map(|st| (&st.agreement, paid_periods(st)))
            .collect();
        out.sort_by(|a, b| a.0.agreement_id.as_str().cmp(b.0.agreement_id.as_str()));
        out
    }

    /// The periods already paid under agreement `id` (`None`: no such agreement).
    pub fn paid_periods(&self, id: &AgreementId) -> Option<Vec<PaidPeriod>> {
        self.agreements.get(id).map(paid_periods)
    }

    /// The spaces, by id.
    pub fn spaces(&self) -> Vec<&Space> {
        let mut out: Vec<&Space> = self.spaces.values().map(|st| &st.space).collect();
        out.sort_by(|a, b| a.space_id.as_str().cmp(b.space_id.as_str()));
        out
    }

    /// The rentals of space `id` that overlap `[from, to)`, by start (`None`: no such
    /// space).
    pub fn bookings(&self, id: &SpaceId, from: Instant, to: Instant) -> Option<Vec<Booking>> {
        let st = self.spaces.get(id)?;
        // Slots are disjoint, so at most one starting before `from` reaches into it.
        let before = st.rentals.range(..from).next_back();
        let within = st.rentals.range(from..to);
        Some(
            before
                .into_iter()
                .chain(within)
                .filter(|(start, (end, _))| **start < to && *end > from)
                .map(|(start, (end, seq))| Booking {
                    start: *start,
                    end: *end,
                    seq: *seq,
                })
                .collect(),
        )
    }

    /// The amount the rules expect for revenue share `r`: round_half_up(base × rate) plus
    /// the fixed monthly fee for each whole month. Refused as the rules refuse it when the
    /// agreement is unknown, not in force for the period, or the period is not whole
    /// months while a fixed fee applies.
    pub fn share_due(&self, r: &RevenueShare) -> Result<Money, RuleError> {
        let st = self
            .agreements
            .get(&r.agreement_id)
            .ok_or_else(|| RuleError::AgreementUnknown(r.agreement_id.to_string()))?;
        let a = &st.agreement;
        if r.period.from() < a.start || a.end.is_some_and(|e| r.period.to() > e) {
            return Err(RuleError::AgreementInactive(r.agreement_id.to_string()));
        }
        let mut expected = share_of(r.base, a.rate);
        if let Some(fee) = a.fixed_monthly {
            let months = r
                .period
                .whole_months()
                .ok_or(RuleError::PeriodNotWholeMonths)?;
            for _ in 0..months {
                expected = add(expected, fee.into())?;
            }
        }
        Ok(expected)
    }

    /// The price the rules expect for rental `r` (the space's hourly rate × hours,
    /// half-up to 0.01). Refused as the rules refuse it for an unknown space, an empty or
    /// too long slot.
    pub fn rental_price(&self, r: &Rental) -> Result<Money, RuleError> {
        let st = self
            .spaces
            .get(&r.space_id)
            .ok_or_else(|| RuleError::SpaceUnknown(r.space_id.to_string()))?;
        let seconds = r.end.unix_seconds() - r.start.unix_seconds();
        if seconds <= 0 {
            return Err(RuleError::RentalEmpty);
        }
        if seconds > RENTAL_DAYS_MAX * 86_400 {
            return Err(RuleError::RentalTooLong(RENTAL_DAYS_MAX));
        }
        hourly_price(st.space.hourly_rate, seconds).map_err(|_| RuleError::Overflow)
    }

    /// Moves the chain past an entry that could not be applied (verification keeps going
    /// after a finding): the log position, head, time and Merkle tree advance, the fund's
    /// money and rules state do not.
    pub fn skip(&mut self, seq: Option<u64>, hash: Hash, recorded_at: Option<Instant>) {
        if let Some(t) = recorded_at {
            if self.last_recorded_at.is_none_or(|l| t >= l) {
                let month = t.local_date(self.offset).first_of_month();
                self.months.roll_to(month, self.opening(), &self.frontier);
                self.last_recorded_at = Some(t);
            }
        }
        // Resynchronise on the entry's own seq, so one missing or extra line is one finding;
        // but never jump further than SKIP_RESYNC_SEQS_MAX ahead: a hostile line claiming
        // seq 10^13 must not make the per-seq state pad itself up to it.
        let resync = seq.filter(|s| *s <= self.next_seq.saturating_add(SKIP_RESYNC_SEQS_MAX));
        self.next_seq = resync.unwrap_or(self.next_seq).saturating_add(1);
        self.pad_entries(self.next_seq);
        self.head = hash;
        self.frontier.push(hash);
    }

    /// Makes `entries` hold a slot for every seq below `len` (slots of entries the verifier
    /// skipped stay non-monetary, so they cannot be reversed).
    fn pad_entries(&mut self, len: u64) {
        while (self.entries.len() as u64) < len {
            self.entries.push(Packed::new(Kind::Statement, 0));
        }
    }

    fn month_of(&self, entry: &Entry) -> Date {
        entry
            .recorded_at
            .local_date(self.offset_for(entry))
            .first_of_month()
    }

    fn offset_for(&self, entry: &Entry) -> UtcOffset {
        match &entry.intent.body {
            Body::Genesis(g) => g.utc_offset,
            _ => self.offset,
        }
    }

    fn check_chain(&self, entry: &Entry) -> Result<(), RuleError> {
        for found in [&entry.fund, &entry.intent.fund] {
            if *found != self.fund {
                return Err(RuleError::FundMismatch {
                    expected: self.fund.to_string(),
                    found: found.to_string(),
                });
            }
        }
        if entry.seq != self.next_seq {
            return Err(RuleError::SeqMismatch {
                expected: self.next_seq,
                found: entry.seq,
            });
        }
        if entry.prev != self.head {
            return Err(RuleError::PrevMismatch {
                expected: self.head,
                found: entry.prev,
            });
        }
        if let Some(last) = self.last_recorded_at {
            if entry.recorded_at < last {
                return Err(RuleError::RecordedAtDecreased {
                    previous: last.to_string(),
                    found: entry.recorded_at.to_string(),
                });
            }
        }
        let latest = entry
            .recorded_at
            .checked_add_seconds(SIGNED_AT_SKEW_SECONDS_MAX);
        if latest.is_some_and(|l| entry.intent.signed_at > l) {
            return Err(RuleError::SignedInFuture {
                signed_at: entry.intent.signed_at.to_string(),
                recorded_at: entry.recorded_at.to_string(),
            });
        }
        if self.keys.contains(&key_digest(entry.intent.key.as_str())) {
            return Err(RuleError::IdempotencyKeyReused(
                entry.intent.key.as_str().to_owned(),
            ));
        }
        match (entry.seq, entry.intent.kind()) {
            (0, Kind::Genesis) => Ok(()),
            (0, _) => Err(RuleError::GenesisMissing),
            (_, Kind::Genesis) => Err(RuleError::GenesisNotFirst),
            _ => Ok(()),
        }
    }

    fn check_signers(&self, entry: &Entry) -> Result<(), RuleError> {
        // Supervisors sign opinions and nothing else; a supervisor's key on any other kind
        // is an unknown signer, so it can never count towards a quorum.
        let is_signer = |k: &PublicKey| match entry.intent.body {
            Body::Genesis(_) => *k == self.operator,
            Body::Opinion(_) => self.supervisors.contains_key(k),
            _ => self.trustees.contains_key(k),
        };
        if let Some(Sig { key, .. }) = entry.sigs.iter().find(|s| !is_signer(&s.key)) {
            return Err(match entry.intent.body {
                Body::Opinion(_) => RuleError::OpinionSignerNotSupervisor(key.to_hex()),
                _ => RuleError::UnknownSigner(key.to_hex()),
            });
        }
        let needed = self.required_signatures(&entry.intent.body);
        // Distinct keys only: one trustee signing twice is still one trustee.
        let signers: std::collections::BTreeSet<&PublicKey> =
            entry.sigs.iter().map(|s| &s.key).collect();
        let found = signers.len() as u32;
        if found < needed {
            return Err(RuleError::QuorumNotMet {
                kind: entry.intent.kind().as_str(),
                needed,
                found,
            });
        }
        Ok(())
    }

    /// Checks the kind's own rules and returns the signed monetary effect.
    fn check_kind(&self, entry: &Entry) -> Result<Effect, RuleError> {
        let none = Effect::default();
        match &entry.intent.body {
            Body::Genesis(g) => check_genesis(g).map(|_| none),
            Body::Trustees(c) => self.check_trustee_change(c).map(|_| none),
            Body::Donation(d) => {
                check_donor(d)?;
                self.check_corrects(entry, d.corrects)?;
                let mut effect = self.inflow(d.amount.into())?;
                effect.restricted = self
                    .restrictions
                    .donate(d.restriction.as_ref(), d.amount.into())?;
                Ok(effect)
            }
            Body::Agreement(a) => self.check_agreement(a).map(|_| none),
            Body::RevenueShare(r) => {
                self.check_revenue_share(r)?;
                self.check_corrects(entry, r.corrects)?;
                self.inflow(r.amount.into())
            }
            Body::Space(s) => self.check_space(s).map(|_| none),
            Body::Rental(r) => {
                self.check_rental(r)?;
                self.check_corrects(entry, r.corrects)?;
                self.inflow(r.amount.into())
            }
            Body::Disbursement(d) => {
                self.check_corrects(entry, d.corrects)?;
                let amount: Money = d.amount.into();
                let balance = self
                    .balance
                    .checked_sub(amount)
                    .ok_or(RuleError::Overflow)?;
                if balance.is_negative() {
                    return Err(RuleError::Overdraft {
                        balance: self.balance,
                    });
                }
                let date = entry.recorded_at.local_date(self.offset);
                let restricted =
                    self.restrictions
                        .spend(d.restriction.as_ref(), amount, date, self.balance)?;
                Ok(Effect {
                    amount: Some(amount),
                    delta: Money::ZERO.checked_sub(amount).ok_or(RuleError::Overflow)?,
                    reversed: None,
                    restricted,
                })
            }
            Body::Reversal(r) => self.check_reversal(entry.seq, r.reverses),
            Body::Restriction(r) => self.restrictions.declare(r).map(Effect::restricted),
            Body::RestrictionRevocation(r) => self
                .restrictions
                .revoke(&r.restriction_id, entry.seq)
                .map(Effect::restricted),
            Body::RestrictionClosing(c) => self
                .restrictions
                .close(c, entry.seq)
                .map(Effect::restricted),
            Body::Statement(s) => {
                // Figures as of this entry's month: the months before it are closed.
                let mut months = self.months.clone();
                months.roll_to(self.month_of(entry), self.opening(), &self.frontier);
                let expected = months.figures(&s.period, None)?;
                check_statement(s, &expected)?;
                self.check_supersedes(entry.seq, s).map(|_| none)
            }
            Body::Opinion(o) => self.check_opinion(entry.seq, o).map(|_| none),
        }
    }

    /// The correction rule: an entry that `corrects` another names an earlier entry of its
    /// own kind, reversed by a reversal with a 更正说明 and not corrected yet.
    fn check_corrects(&self, entry: &Entry, corrects: Option<u64>) -> Result<(), RuleError> {
        let Some(target) = corrects else {
            return Ok(());
        };
        let p = match self.entries.get(target as usize) {
            Some(p) if target < entry.seq => *p,
            _ => return Err(RuleError::CorrectionTargetUnknown(target)),
        };
        let kind = entry.intent.kind();
        if p.kind() != kind {
            return Err(RuleError::CorrectionKindMismatch {
                seq: target,
                kind: kind.as_str(),
                found: p.kind().as_str(),
            });
        }
        if !p.has_correction_note() {
            return Err(RuleError::CorrectionNotReversed(target));
        }
        if p.corrected() {
            return Err(RuleError::AlreadyCorrected(target));
        }
        Ok(())
    }

    /// The supersession rule: a corrected statement names an earlier statement of the same
    /// period that no other statement supersedes.
    fn check_supersedes(&self, seq: u64, s: &Statement) -> Result<(), RuleError> {
        let Some(target) = s.supersedes else {
            return Ok(());
        };
        let mark = match self.statements.get(&target) {
            Some(m) if target < seq => m,
            _ => return Err(RuleError::SupersedesNotStatement(target)),
        };
        if mark.superseded {
            return Err(RuleError::AlreadySuperseded(target));
        }
        if mark.period != s.period {
            return Err(RuleError::SupersedesPeriodMismatch(target));
        }
        Ok(())
    }

    /// An opinion is on an earlier statement, and a disagreement gives its reasons.
    fn check_opinion(&self, seq: u64, o: &Opinion) -> Result<(), RuleError> {
        if o.statement >= seq || !self.statements.contains_key(&o.statement) {
            return Err(RuleError::OpinionTargetNotStatement(o.statement));
        }
        if o.verdict == Verdict::Disagree && o.reasons.is_none() {
            return Err(RuleError::OpinionReasonsMissing);
        }
        Ok(())
    }

    fn inflow(&self, amount: Money) -> Result<Effect, RuleError> {
        add(self.balance, amount)?;
        Ok(Effect {
            amount: Some(amount),
            delta: amount,
            reversed: None,
            restricted: Move::default(),
        })
    }

    fn check_trustee_change(&self, c: &TrusteeChange) -> Result<(), RuleError> {
        if c.add.is_empty()
            && c.remove.is_empty()
            && c.policy.is_none()
            && c.supervisors_add.is_empty()
            && c.supervisors_remove.is_empty()
            && c.host.is_none()
        {
            return Err(RuleError::TrusteeChangeEmpty);
        }
        let mut supervisors = self.supervisors.clone();
        for k in &c.supervisors_remove {
            if supervisors.remove(k).is_none() {
                return Err(RuleError::SupervisorUnknown(k.to_hex()));
            }
        }
        for t in &c.supervisors_add {
            if self.supervisors.contains_key(&t.key)
                || supervisors.insert(t.key, t.name.clone()).is_some()
            {
                return Err(RuleError::SupervisorExists(t.key.to_hex()));
            }
        }
        if supervisors.len() > TRUSTEES_MAX {
            return Err(RuleError::PolicyInvalid("more than 32 supervisors"));
        }
        let mut after = self.trustees.clone();
        for k in &c.remove {
            if after.remove(k).is_none() {
                return Err(RuleError::TrusteeUnknown(k.to_hex()));
            }
        }
        for t in &c.add {
            if self.trustees.contains_key(&t.key) || after.insert(t.key, t.name.clone()).is_some() {
                return Err(RuleError::TrusteeExists(t.key.to_hex()));
            }
        }
        if after.len() > TRUSTEES_MAX {
            return Err(RuleError::PolicyInvalid("more than 32 trustees"));
        }
        if let Some(k) = after.keys().find(|k| supervisors.contains_key(k)) {
            return Err(RuleError::SupervisorIsTrustee(k.to_hex()));
        }
        let policy = match (&c.policy, &self.policy) {
            (Some(p), _) | (None, Some(p)) => p,
            (None, None) => return Err(RuleError::PolicyInvalid("no policy")),
        };
        check_policy_shape(policy)?;
        let quorum = max_quorum(policy);
        if (after.len() as u32) < quorum {
            return Err(RuleError::QuorumUnreachable {
                trustees: after.len() as u32,
                quorum,
            });
        }
        Ok(())
    }

    fn check_agreement(&self, a: &Agreement) -> Result<(), RuleError> {
        if self.agreements.contains_key(&a.agreement_id) {
            return Err(RuleError::AgreementExists(a.agreement_id.to_string()));
        }
        if a.end.is_some_and(|e| e < a.start) {
            return Err(RuleError::AgreementDates);
        }
        let p = self
            .policy
            .as_ref()
            .ok_or(RuleError::PolicyInvalid("no policy"))?;
        if a.rate < p.share_rate_min || a.rate > p.share_rate_max {
            return Err(RuleError::RateOutOfPolicy {
                rate: a.rate.to_string(),
                min: p.share_rate_min.to_string(),
                max: p.share_rate_max.to_string(),
            });
        }
        Ok(())
    }

    fn check_revenue_share(&self, r: &RevenueShare) -> Result<(), RuleError> {
        let expected = self.share_due(r)?;
        let found: Money = r.amount.into();
        if expected != found {
            return Err(RuleError::RevenueShareAmount { expected, found });
        }
        // Paid periods are disjoint, so only the last one starting on or before our end
        // can overlap.
        let paid = self.agreements.get(&r.agreement_id).map(|st| &st.paid);
        if let Some((_, (to, seq))) = paid.and_then(|p| p.range(..=r.period.to()).next_back()) {
            if *to >= r.period.from() {
                return Err(RuleError::PeriodAlreadyPaid(*seq));
            }
        }
        Ok(())
    }

    fn check_space(&self, s: &Space) -> Result<(), RuleError> {
        if self.spaces.contains_key(&s.space_id) {
            return Err(RuleError::SpaceExists(s.space_id.to_string()));
        }
        if s.community_hours.len() > COMMUNITY_WINDOWS_MAX {
            return Err(RuleError::TooManyWindows(COMMUNITY_WINDOWS_MAX));
        }
        Ok(())
    }

    fn check_rental(&self, r: &Rental) -> Result<(), RuleError> {
        let expected = self.rental_price(r)?;
        let found: Money = r.amount.into();
        if expected != found {
            return Err(RuleError::RentalAmount { expected, found });
        }
        let Some(st) = self.spaces.get(&r.space_id) else {
            return Err(RuleError::SpaceUnknown(r.space_id.to_string()));
        };
        if overlaps_weekly(r.start, r.end, self.offset, &st.space.community_hours) {
            return Err(RuleError::RentalInCommunityHours);
        }
        if let Some((_, (end, seq))) = st.rentals.range(..r.end).next_back() {
            if *end > r.start {
                return Err(RuleError::RentalOverlap(*seq));
            }
        }
        Ok(())
    }

    fn check_reversal(&self, seq: u64, target: u64) -> Result<Effect, RuleError> {
        let p = match self.entries.get(target as usize) {
            Some(p) if target < seq => *p,
            _ => return Err(RuleError::ReversalTargetUnknown(target)),
        };
        let kind = p.kind();
        if kind == Kind::Reversal {
            return Err(RuleError::ReversalOfReversal(target));
        }
        if !kind.is_monetary() {
            return Err(RuleError::ReversalTargetNotMonetary {
                seq: target,
                kind: kind.as_str(),
            });
        }
        if p.reversed() {
            return Err(RuleError::AlreadyReversed(target));
        }
        let amount = Money::from_fen(p.fen()).map_err(|_| RuleError::Overflow)?;
        let delta = if kind == Kind::Disbursement {
            amount
        } else {
            Money::ZERO.checked_sub(amount).ok_or(RuleError::Overflow)?
        };
        let after = add(self.balance, delta)?;
        if after.is_negative() {
            return Err(RuleError::Overdraft {
                balance: self.balance,
            });
        }
        let restricted = self
            .restrictions
            .reverse(target, kind, amount, self.balance)?;
        Ok(Effect {
            amount: Some(amount),
            delta,
            reversed: Some((target, kind)),
            restricted,
        })
    }

    /// Applies a checked entry. Only fails on arithmetic bounds, before changing anything
    /// that matters.
    fn commit(&mut self, entry: &Entry, hash: Hash, effect: Effect) -> Result<Applied, RuleError> {
        // Everything that can fail comes first: the new balance, then the month's totals
        // (which `record` computes aside and only then stores). Past this point nothing
        // fails, so a refused entry leaves the state exactly as it was.
        let balance = add(self.balance, effect.delta)?;
        let plan = self
            .restrictions
            .plan(entry.seq, effect.restricted.clone())?;
        self.months.record(
            self.month_of(entry),
            self.opening(),
            &self.frontier,
            entry.seq,
            entry.intent.kind(),
            effect.amount,
            effect.reversed.map(|(_, k)| k),
            &effect.restricted,
        )?;
        self.restrictions.apply(plan);
        self.keys.insert(key_digest(entry.intent.key.as_str()));
        let fen = effect.amount.map_or(0, |a| a.to_fen());
        let packed = Packed::new(entry.intent.kind(), fen);
        self.pad_entries(entry.seq + 1);
        self.entries[entry.seq as usize] = packed;
        if let Some(target) = corrects_of(&entry.intent.body) {
            if let Some(p) = self.entries.get_mut(target as usize) {
                p.0 |= CORRECTED_BIT;
            }
        }
        match &entry.intent.body {
            Body::Genesis(g) => {
                self.offset = g.utc_offset;
                self.trustees = g.trustees.iter().map(|t| (t.key, t.name.clone())).collect();
                self.supervisors = g
                    .supervisors
                    .iter()
                    .map(|t| (t.key, t.name.clone()))
                    .collect();
                self.host = g.host.clone();
                self.policy = Some(g.policy.clone());
            }
            Body::Trustees(c) => {
                for k in &c.remove {
                    self.trustees.remove(k);
                }
                for t in &c.add {
                    self.trustees.insert(t.key, t.name.clone());
                }
                for k in &c.supervisors_remove {
                    self.supervisors.remove(k);
                }
                for t in &c.supervisors_add {
                    self.supervisors.insert(t.key, t.name.clone());
                }
                if let Some(h) = &c.host {
                    self.host = Some(h.clone());
                }
                if let Some(p) = &c.policy {
                    self.policy = Some(p.clone());
                }
            }
            Body::Statement(s) => {
                if let Some(mark) = s.supersedes.and_then(|t| self.statements.get_mut(&t)) {
                    mark.superseded = true;
                }
                self.statements.insert(
                    entry.seq,
                    StatementMark {
                        period: s.period,
                        superseded: false,
                    },
                );
            }
            Body::Agreement(a) => {
                self.agreements.insert(
                    a.agreement_id.clone(),
                    AgreementState {
                        agreement: a.clone(),
                        paid: BTreeMap::new(),
                    },
                );
            }
            Body::RevenueShare(r) => {
                if let Some(st) = self.agreements.get_mut(&r.agreement_id) {
                    st.paid.insert(r.period.from(), (r.period.to(), entry.seq));
                }
                self.undo.insert(
                    entry.seq,
                    Undo::Period(r.agreement_id.clone(), r.period.from()),
                );
            }
            Body::Space(s) => {
                self.spaces.insert(
                    s.space_id.clone(),
                    SpaceState {
                        space: s.clone(),
                        rentals: Slots::new(),
                    },
                );
            }
            Body::Rental(r) => {
                if let Some(st) = self.spaces.get_mut(&r.space_id) {
                    st.rentals.insert(r.start, (r.end, entry.seq));
                }
                self.undo
                    .insert(entry.seq, Undo::Slot(r.space_id.clone(), r.start));
            }
            Body::Reversal(r) => {
                if let Some((target, _)) = effect.reversed {
                    if let Some(p) = self.entries.get_mut(target as usize) {
                        p.0 |= REVERSED_BIT;
                        if r.correction.is_some() {
                            p.0 |= CORRECTION_NOTE_BIT;
                        }
                    }
                    match self.undo.remove(&target) {
                        Some(Undo::Period(id, from)) => {
                            if let Some(st) = self.agreements.get_mut(&id) {
                                st.paid.remove(&from);
                            }
                        }
                        Some(Undo::Slot(id, start)) => {
                            if let Some(st) = self.spaces.get_mut(&id) {
                                st.rentals.remove(&start);
                            }
                        }
                        None => {}
                    }
                }
            }
            Body::Donation(_)
            | Body::Disbursement(_)
            | Body::Opinion(_)
            | Body::Restriction(_)
            | Body::RestrictionRevocation(_)
            | Body::RestrictionClosing(_) => {}
        }
        self.balance = balance;
        self.next_seq += 1;
        self.head = hash;
        self.last_recorded_at = Some(entry.recorded_at);
        let nodes = self.frontier.push(hash);
        Ok(Applied {
            delta: effect.delta,
            balance,
            nodes,
            reversed_kind: effect.reversed.map(|(_, k)| k),
            restricted: effect.restricted,
        })
    }
}

/// A period paid under an agreement: its days and the revenue share that paid it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PaidPeriod {
    /// First day paid.
    pub from: Date,
    /// Last day paid.
    pub to: Date,
    /// Seq of the revenue share.
    pub seq: u64,
}

/// A booked slot of a space: `[start, end)` and the rental that booked it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Booking {
    /// First instant.
    pub start: Instant,
    /// First instant after.
    pub end: Instant,
    /// Seq of the rental.
    pub seq: u64,
}

fn paid_periods(st: &AgreementState) -> Vec<PaidPeriod> {
    st.paid
        .iter()
        .map(|(from, (to, seq))| PaidPeriod {
            from: *from,
            to: *to,
            seq: *seq,
        })
        .collect()
}

/// The monetary effect of an entry, decided by its rules.
#[derive(Debug, Clone, Default)]
struct Effect {
    amount: Option<Money>,
    delta: Money,
    reversed: Option<(u64, Kind)>,
    /// What it does to restricted money.
    restricted: Move,
}

impl Effect {
    /// No change of the balance; only restricted money moves (or a restriction is
    /// declared).
    fn restricted(restricted: Move) -> Effect {
        Effect {
            restricted,
            ..Effect::default()
        }
    }
}

/// The seq a monetary entry corrects (`corrects`), if any.
fn corrects_of(body: &Body) -> Option<u64> {
    match body {
        Body::Donation(d) => d.corrects,
        Body::RevenueShare(r) => r.corrects,
        Body::Rental(r) => r.corrects,
        Body::Disbursement(d) => d.corrects,
        _ => None,
    }
}

/// First 16 bytes of SHA-256 of an idempotency key: collisions are out of reach
/// (2^-64 for 2^32 keys), and the set stays at 16 bytes per entry.
fn key_digest(key: &str) -> u128 {
    let h = crate::hash::sha256(key.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h.0[..16]);
    u128::from_le_bytes(b)
}

fn max_quorum(p: &Policy) -> u32 {
    p.statement_quorum
        .max(p.disbursement_quorum)
        .max(p.governance_quorum)
}

fn check_policy_shape(p: &Policy) -> Result<(), RuleError> {
    if p.statement_quorum == 0 || p.disbursement_quorum == 0 || p.governance_quorum == 0 {
        return Err(RuleError::PolicyInvalid("a quorum must be at least 1"));
    }
    if p.share_rate_min > p.share_rate_max {
        return Err(RuleError::PolicyInvalid(
            "share_rate_min is above share_rate_max",
        ));
    }
    Ok(())
}

fn check_genesis(g: &Genesis) -> Result<(), RuleError> {
    check_policy_shape(&g.policy)?;
    if g.trustees.is_empty() || g.trustees.len() > TRUSTEES_MAX {
        return Err(RuleError::PolicyInvalid("a fund has 1 to 32 trustees"));
    }
    let mut seen = std::collections::BTreeSet::new();
    for t in &g.trustees {
        if !seen.insert(t.key) {
            return Err(RuleError::TrusteeExists(t.key.to_hex()));
        }
    }
    if g.supervisors.len() > TRUSTEES_MAX {
        return Err(RuleError::PolicyInvalid(
            "a fund has at most 32 supervisors",
        ));
    }
    let mut supervisors = std::collections::BTreeSet::new();
    for t in &g.supervisors {
        if seen.contains(&t.key) {
            return Err(RuleError::SupervisorIsTrustee(t.key.to_hex()));
        }
        if !supervisors.insert(t.key) {
            return Err(RuleError::SupervisorExists(t.key.to_hex()));
        }
    }
    let quorum = max_quorum(&g.policy);
    if (g.trustees.len() as u32) < quorum {
        return Err(RuleError::QuorumUnreachable {
            trustees: g.trustees.len() as u32,
            quorum,
        });
    }
    Ok(())
}

fn check_donor(d: &Donation) -> Result<(), RuleError> {
    let donor = &d.donor;
    match donor.class {
        DonorClass::Resident => {
            if donor.commitment.is_none() {
                return Err(RuleError::DonorCommitmentMissing);
            }
            if donor.name.is_some() && donor.name_consent != Some(true) {
                return Err(RuleError::ResidentNamedWithoutConsent);
            }
        }
        DonorClass::Enterprise | DonorClass::Organisation => {
            if donor.name.is_none() {
                return Err(RuleError::DonorNameMissing);
            }
        }
        DonorClass::Anonymous => {
            if donor.name.is_some() {
                return Err(RuleError::AnonymousDonorNamed);
            }
        }
    }
    Ok(())
}
