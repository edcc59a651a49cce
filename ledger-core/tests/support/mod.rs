//! A small fixture for rule tests: a fund with an operator, three trustees and a clock,
//! and helpers that build typed bodies and signed entries the way a trustee's client does.
//!
//! Use it with `mod support;` from a test file. Everything panics on fixture misuse (an
//! unparsable literal), never on a rule refusal: those come back as `Err(RuleError)`.
#![allow(dead_code)]

use ed25519_dalek::SigningKey;

use ledger_core::body::{
    Agreement, Body, Channel, Currency, Disbursement, Donation, Donor, DonorClass, Enterprise,
    Genesis, Party, PartyClass, Policy, Rental, RevenueShare, Reversal, ShareBasis, Space,
    SpaceKind, Statement, Trustee, TrusteeChange,
};
use ledger_core::entry::{check_signature_list, verify_signatures, Entry, Intent, Sig};
use ledger_core::error::Coded;
use ledger_core::hash::{sha256, Hash};
use ledger_core::ids::{AgreementId, FundId, IdempotencyKey, SpaceId};
use ledger_core::keys::PublicKey;
use ledger_core::money::{Amount, Base, Money, Rate};
use ledger_core::rules::RuleError;
use ledger_core::sample::{key_from_label, sample_uscc};
use ledger_core::state::{Applied, FundState};
use ledger_core::text::{LongText, ShortText};
use ledger_core::time::{parse_weekday, Date, Instant, LocalTime, Period, UtcOffset, WeeklyWindow};

/// The fund id of every fixture.
pub const FUND: &str = "test-fund";
/// When [`Fixture::new`] records the genesis: 2026-01-05 10:00 local (+08:00).
pub const GENESIS_AT: &str = "2026-01-05T02:00:00Z";

/// A fund under test: its state, the keys that may sign for it, and a clock.
pub struct Fixture {
    /// The fund's state after every accepted entry.
    pub state: FundState,
    /// The deployment's operator key (signs the genesis only).
    pub operator: SigningKey,
    /// Trustee keys; indices 0–2 are the genesis trustees. Tests may push keys they add.
    pub trustees: Vec<SigningKey>,
    /// The clock: unix seconds used as `recorded_at` and `signed_at` of new entries.
    pub now: i64,
    /// Every accepted entry, in order (to replay the log as a verifier would).
    pub log: Vec<Entry>,
}

/// What must not change when an entry is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// `next_seq()`.
    pub next_seq: u64,
    /// `head()`.
    pub head: Hash,
    /// `balance()`.
    pub balance: Money,
    /// `root()`.
    pub root: Hash,
    /// `last_recorded_at()`.
    pub last_recorded_at: Option<Instant>,
    /// Trustee keys.
    pub trustees: Vec<PublicKey>,
    /// Policy.
    pub policy: Option<Policy>,
}

impl Fixture {
    /// The standard fund, genesis at [`GENESIS_AT`].
    pub fn new() -> Self {
        Self::new_at(GENESIS_AT)
    }

    /// The standard fund with its genesis recorded at `rfc3339`.
    pub fn new_at(rfc3339: &str) -> Self {
        let mut fx = Self::empty();
        fx.at(rfc3339);
        let g = fx.genesis_body();
        let e = fx.entry_by(g, &[&fx.operator.clone()]);
        fx.try_entry(e).expect("genesis of the fixture applies");
        fx
    }

    /// A fund with no entries yet (for genesis tests), the clock at [`GENESIS_AT`].
    pub fn empty() -> Self {
        let operator = key_from_label("fixture/operator");
        let trustees = (0..3)
            .map(|i| key_from_label(&format!("fixture/trustee/{i}")))
            .collect();
        Fixture {
            state: FundState::new(fund_id(FUND), public(&operator)),
            operator,
            trustees,
            now: instant(GENESIS_AT).unix_seconds(),
            log: Vec::new(),
        }
    }

    /// The genesis body of the standard fund: 3 trustees, quorums 2/2/2, rates 0.1000–0.5000.
    pub fn genesis_body(&self) -> Body {
        Body::Genesis(Genesis {
            name: text("测试社区基金"),
            name_en: text("Test Community Fund"),
            street: text("测试街道"),
            community: text("测试社区"),
            currency: Currency::Cny,
            utc_offset: UtcOffset::CHINA,
            trustees: self
                .trustees
                .iter()
                .enumerate()
                .map(|(i, k)| trustee(k, &format!("管理人{i}")))
                .collect(),
            policy: policy(2, 2, 2, "0.1000", "0.5000"),
            supervisors: Vec::new(),
            host: None,
        })
    }

    /// Sets the clock.
    pub fn at(&mut self, rfc3339: &str) {
        self.now = instant(rfc3339).unix_seconds();
    }

    /// Moves the clock forward.
    pub fn advance(&mut self, seconds: i64) {
        self.now += seconds;
    }

    /// The clock as an instant.
    pub fn instant(&self) -> Instant {
        Instant::from_unix_seconds(self.now).expect("clock in range")
    }

    /// The intent a client would build now for `body`.
    pub fn intent(&self, body: Body) -> Intent {
        Intent {
            fund: self.state.fund().clone(),
            body,
            key: IdempotencyKey::parse(&format!("t-{}", self.state.next_seq()))
                .expect("idempotency key"),
            signed_at: self.instant(),
        }
    }

    /// Signs `intent` with `keys` (sorted by key) and places it at the next seq, now.
    pub fn seal(&self, intent: Intent, keys: &[&SigningKey]) -> Entry {
        let mut sigs: Vec<Sig> = keys.iter().map(|k| intent.sign(k)).collect();
        sigs.sort_by_key(|s| s.key);
        Entry {
            fund: self.state.fund().clone(),
            seq: self.state.next_seq(),
            prev: self.state.head(),
            recorded_at: self.instant(),
            intent,
            sigs,
        }
    }

    /// A signed entry at the next seq, signed by the trustees at `signers` (indices into
    /// [`Fixture::trustees`]).
    pub fn entry(&self, body: Body, signers: &[usize]) -> Entry {
        let keys: Vec<&SigningKey> = signers.iter().map(|i| &self.trustees[*i]).collect();
        self.entry_by(body, &keys)
    }

    /// A signed entry at the next seq, signed by arbitrary keys.
    pub fn entry_by(&self, body: Body, keys: &[&SigningKey]) -> Entry {
        self.seal(self.intent(body), keys)
    }

    /// Builds and applies an entry.
    pub fn apply(&mut self, body: Body, signers: &[usize]) -> Result<Applied, RuleError> {
        let e = self.entry(body, signers);
        self.try_entry(e)
    }

    /// Builds and applies an entry that must be accepted; returns its seq.
    #[track_caller]
    pub fn ok(&mut self, body: Body, signers: &[usize]) -> u64 {
        let e = self.entry(body, signers);
        let seq = e.seq;
        if let Err(err) = self.try_entry(e) {
            panic!("entry refused: {} ({err})", err.code());
        }
        seq
    }

    /// Applies a prepared entry. The signatures must be well-formed and verify (that is
    /// the caller's job before `FundState::apply`); a test that breaks them is a bug.
    pub fn try_entry(&mut self, entry: Entry) -> Result<Applied, RuleError> {
        check_signature_list(&entry.sigs).expect("fixture: signature list well-formed");
        verify_signatures(&entry.sigs, &entry.intent.canonical_bytes())
            .expect("fixture: signatures verify");
        let hash = entry.hash();
        let applied = self.state.apply(&entry, hash)?;
        self.log.push(entry);
        Ok(applied)
    }

    /// Replays the accepted entries into a fresh state, as the verifier does with an
    /// export: the state that a reader of the log reconstructs. Fails with the seq and
    /// the refusal of the first entry that does not apply.
    pub fn replay(&self) -> Result<FundState, (u64, RuleError)> {
        let mut st = FundState::new(self.state.fund().clone(), public(&self.operator));
        for e in &self.log {
            st.apply(e, e.hash()).map_err(|err| (e.seq, err))?;
        }
        Ok(st)
    }

    /// What must stay the same across a refusal.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            next_seq: self.state.next_seq(),
            head: self.state.head(),
            balance: self.state.balance(),
            root: self.state.root(),
            last_recorded_at: self.state.last_recorded_at(),
            trustees: self.state.trustees().keys().copied().collect(),
            policy: self.state.policy().cloned(),
        }
    }

    /// Applies `entry`, asserts it is refused with `code` and that the state did not
    /// change; returns the error for further checks.
    #[track_caller]
    pub fn refused_entry(&mut self, entry: Entry, code: &str) -> RuleError {
        let before = self.snapshot();
        let whole = self.state.clone();
        let result = self.try_entry(entry);
        let after = self.snapshot();
        match result {
            Ok(a) => panic!("expected `{code}`, but the entry was accepted: {a:?}"),
            Err(e) => {
                assert_eq!(e.code(), code, "wrong refusal: {e}");
                assert_eq!(before, after, "state changed on refusal `{code}`");
                // And every other part of it (what the rules remember, the calendar).
                assert!(
                    self.state == whole,
                    "state changed on refusal `{code}` (rules or calendar state)"
                );
                e
            }
        }
    }

    /// Builds an entry, asserts it is refused with `code` and that the state did not
    /// change.
    #[track_caller]
    pub fn refused(&mut self, body: Body, signers: &[usize], code: &str) -> RuleError {
        let e = self.entry(body, signers);
        self.refused_entry(e, code)
    }

    /// The statement of `from..=to` as drafted from the state now.
    #[track_caller]
    pub fn draft(&self, from: &str, to: &str) -> Statement {
        self.state
            .draft_statement(&period(from, to))
            .unwrap_or_else(|e| panic!("draft {from}..{to}: {} ({e})", e.code()))
    }

    /// A statement body for `from..=to` with the figures drafted from the state now.
    #[track_caller]
    pub fn statement(&self, from: &str, to: &str) -> Body {
        Body::Statement(self.draft(from, to))
    }

    /// A statement body for `period` with the figures drafted from the state now.
    #[track_caller]
    pub fn statement_for(&self, period: &Period) -> Body {
        match self.state.draft_statement(period) {
            Ok(s) => Body::Statement(s),
            Err(e) => panic!("draft {period}: {} ({e})", e.code()),
        }
    }

    /// Public key of trustee `i`.
    pub fn trustee_key(&self, i: usize) -> PublicKey {
        public(&self.trustees[i])
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}

// ---------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------

/// A fund id.
pub fn fund_id(s: &str) -> FundId {
    FundId::parse(s).expect("fund id")
}

/// An instant from RFC 3339 UTC.
pub fn instant(s: &str) -> Instant {
    Instant::parse(s).expect("instant")
}

/// A date `YYYY-MM-DD`.
pub fn date(s: &str) -> Date {
    Date::parse(s).expect("date")
}

/// The period `from..=to`.
pub fn period(from: &str, to: &str) -> Period {
    Period::new(date(from), date(to)).expect("period")
}

/// An amount like `"100.00"`.
pub fn amount(s: &str) -> Amount {
    Amount::parse(s).expect("amount")
}

/// A (possibly negative) money value like `"-35.50"`.
pub fn money(s: &str) -> Money {
    Money::parse(s).expect("money")
}

/// A rate like `"0.1000"`.
pub fn rate(s: &str) -> Rate {
    Rate::parse(s).expect("rate")
}

/// Short text.
pub fn text(s: &str) -> ShortText {
    ShortText::parse(s).expect("short text")
}

/// Long text.
pub fn long_text(s: &str) -> LongText {
    LongText::parse(s).expect("long text")
}

/// A public key.
pub fn public(k: &SigningKey) -> PublicKey {
    PublicKey::from_verifying_key(k.verifying_key())
}

/// A key that is nobody's in the fixture.
pub fn outsider(label: &str) -> SigningKey {
    key_from_label(&format!("fixture/outsider/{label}"))
}

/// A trustee record.
pub fn trustee(k: &SigningKey, name: &str) -> Trustee {
    Trustee {
        key: public(k),
        name: text(name),
    }
}

/// A policy.
pub fn policy(statement: u32, disbursement: u32, governance: u32, min: &str, max: &str) -> Policy {
    Policy {
        statement_quorum: statement,
        disbursement_quorum: disbursement,
        governance_quorum: governance,
        share_rate_min: rate(min),
        share_rate_max: rate(max),
    }
}

/// A weekly window like `("sat", "09:00", "12:00")`.
pub fn window(day: &str, from: &str, to: &str) -> WeeklyWindow {
    WeeklyWindow::new(
        parse_weekday(day).expect("weekday"),
        LocalTime::parse(from).expect("time"),
        LocalTime::parse(to).expect("time"),
    )
    .expect("window")
}

// ---------------------------------------------------------------------------------------
// Donors
// ---------------------------------------------------------------------------------------

/// A resident donor behind a commitment, not named.
pub fn resident() -> Donor {
    Donor {
        class: DonorClass::Resident,
        name: None,
        name_consent: None,
        commitment: Some(sha256(b"fixture resident")),
    }
}

/// A named donor of `class` (no commitment, no consent flag).
pub fn named(class: DonorClass, name: &str) -> Donor {
    Donor {
        class,
        name: Some(text(name)),
        name_consent: None,
        commitment: None,
    }
}

/// An anonymous donor.
pub fn anonymous() -> Donor {
    Donor {
        class: DonorClass::Anonymous,
        name: None,
        name_consent: None,
        commitment: None,
    }
}

// ---------------------------------------------------------------------------------------
// Bodies
// ---------------------------------------------------------------------------------------

/// A donation of `amt` by an anonymous donor.
pub fn donation(amt: &str) -> Body {
    donation_from(amt, anonymous())
}

/// A donation of `amt` by `donor`.
pub fn donation_from(amt: &str, donor: Donor) -> Body {
    Body::Donation(Donation {
        amount: amount(amt),
        donor,
        channel: Channel::WechatPay,
        receipt_no: text("R-0001"),
        purpose: None,
        restriction: None,
        memo: None,
        corrects: None,
    })
}

/// An agreement on profit at `rate`, with an optional fixed monthly fee, from `start` to an
/// optional `end` (dates `YYYY-MM-DD`).
pub fn agreement(
    id: &str,
    rate_s: &str,
    fixed: Option<&str>,
    start: &str,
    end: Option<&str>,
) -> Body {
    let n = id.bytes().map(u64::from).sum::<u64>();
    Body::Agreement(Agreement {
        agreement_id: agreement_id(id),
        enterprise: Enterprise {
            name: text("示例早教中心有限公司"),
            uscc: sample_uscc(1, n).expect("uscc"),
        },
        basis: ShareBasis::Profit,
        rate: rate(rate_s),
        fixed_monthly: fixed.map(amount),
        start: date(start),
        end: end.map(date),
        venture: text("童萌之家"),
    })
}

/// An agreement id.
pub fn agreement_id(s: &str) -> AgreementId {
    AgreementId::parse(s).expect("agreement id")
}

/// A revenue share under agreement `id` for `from..=to` on `base`, paying `amt`.
pub fn revenue_share(id: &str, from: &str, to: &str, base: &str, amt: &str) -> Body {
    Body::RevenueShare(RevenueShare {
        agreement_id: agreement_id(id),
        period: period(from, to),
        base: Base::parse(base).expect("base"),
        amount: amount(amt),
        corrects: None,
    })
}

/// A space at `hourly` per hour keeping `windows` (`(day, from, to)`) for the community.
pub fn space(id: &str, hourly: &str, windows: &[(&str, &str, &str)]) -> Body {
    Body::Space(Space {
        space_id: space_id(id),
        name: text("共享活动室"),
        kind: SpaceKind::ActivityRoom,
        hourly_rate: amount(hourly),
        community_hours: windows.iter().map(|(d, f, t)| window(d, f, t)).collect(),
    })
}

/// A space id.
pub fn space_id(s: &str) -> SpaceId {
    SpaceId::parse(s).expect("space id")
}

/// A rental of `space` over `[start, end)` (RFC 3339 UTC) for `amt`.
pub fn rental(space: &str, start: &str, end: &str, amt: &str) -> Body {
    Body::Rental(Rental {
        space_id: space_id(space),
        renter: Party {
            name: text("示例舞蹈工作室"),
            class: PartyClass::Organisation,
        },
        start: instant(start),
        end: instant(end),
        amount: amount(amt),
        corrects: None,
    })
}

/// A disbursement of `amt`.
pub fn disbursement(amt: &str) -> Body {
    Body::Disbursement(Disbursement {
        amount: amount(amt),
        payee: Party {
            name: text("示例社会服务中心"),
            class: PartyClass::Organisation,
        },
        purpose: text("老年人助餐服务"),
        project: text("长者食堂"),
        invoice_no: text("INV-0001"),
        corrects: None,
        restriction: None,
    })
}

/// A reversal of `seq`.
pub fn reversal(seq: u64) -> Body {
    Body::Reversal(Reversal {
        reverses: seq,
        reason: long_text("录入错误，冲正"),
        correction: None,
    })
}

/// A trustee change.
pub fn trustees_change(
    add: &[&SigningKey],
    remove: &[&SigningKey],
    policy: Option<Policy>,
) -> Body {
    Body::Trustees(TrusteeChange {
        add: add
            .iter()
            .enumerate()
            .map(|(i, k)| trustee(k, &format!("新管理人{i}")))
            .collect(),
        remove: remove.iter().map(|k| public(k)).collect(),
        policy,
        supervisors_add: Vec::new(),
        supervisors_remove: Vec::new(),
        host: None,
    })
}

// ---------------------------------------------------------------------------------------
// Restricted money
// ---------------------------------------------------------------------------------------

/// A restriction id.
pub fn restriction_id(s: &str) -> ledger_core::ids::RestrictionId {
    ledger_core::ids::RestrictionId::parse(s).expect("fixture: restriction id")
}

/// A `restriction` declaring `id` with an optional window (`YYYY-MM-DD`).
pub fn restriction(id: &str, from: Option<&str>, until: Option<&str>) -> Body {
    Body::Restriction(ledger_core::body::Restriction {
        restriction_id: restriction_id(id),
        purpose: text("阳光驿站助老服务"),
        usable_from: from.map(date),
        usable_until: until.map(date),
    })
}

/// A donation of `amt` to restriction `id`.
pub fn restricted_donation(amt: &str, id: &str) -> Body {
    let Body::Donation(mut d) = donation(amt) else {
        unreachable!("donation() builds a donation")
    };
    d.restriction = Some(restriction_id(id));
    Body::Donation(d)
}

/// A disbursement of `amt` from restriction `id`.
pub fn restricted_disbursement(amt: &str, id: &str) -> Body {
    let Body::Disbursement(mut d) = disbursement(amt) else {
        unreachable!("disbursement() builds a disbursement")
    };
    d.restriction = Some(restriction_id(id));
    Body::Disbursement(d)
}

/// A revocation of `id` with the donor's written consent.
pub fn revocation(id: &str) -> Body {
    Body::RestrictionRevocation(ledger_core::body::RestrictionRevocation {
        restriction_id: restriction_id(id),
        basis: ledger_core::body::RevocationBasis::DonorConsent,
        reason: long_text("捐赠人2026年3月1日书面同意解除限定"),
    })
}

/// A closing of `id`'s project with `disposal`.
pub fn closing(id: &str, disposal: ledger_core::body::Disposal) -> Body {
    Body::RestrictionClosing(ledger_core::body::RestrictionClosing {
        restriction_id: restriction_id(id),
        disposal,
        note: long_text("项目已完成"),
    })
}
