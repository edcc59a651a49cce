//! The fourteen entry kinds and their typed bodies (DESIGN §4, FORMAT.md §5).
//!
//! Every body struct refuses unknown fields, and every field is a parsed type, so a body
//! that deserialises is well-formed; what depends on the fund's history (balances, quorums,
//! overlaps) is checked by [`crate::state::FundState`].

use serde::{Deserialize, Serialize};

use crate::hash::Hash;
use crate::ids::{AgreementId, RestrictionId, SpaceId, Uscc};
use crate::keys::PublicKey;
use crate::money::{Amount, Base, Money, Rate};
use crate::text::{LongText, ShortText};
use crate::time::{Date, Instant, Period, UtcOffset, WeeklyWindow};

/// Most trustees a fund may have.
pub const TRUSTEES_MAX: usize = 32;
/// Most weekly community-hour windows a space may keep.
pub const COMMUNITY_WINDOWS_MAX: usize = 64;

/// The kind of an entry, as written in the intent's `kind` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Creates the fund (seq 0 only).
    Genesis,
    /// Adds or removes trustees, optionally changes the policy.
    Trustees,
    /// Money given to the fund.
    Donation,
    /// A revenue-share agreement with a social enterprise.
    Agreement,
    /// A payment due under an agreement.
    RevenueShare,
    /// A shared community space offered for rent.
    Space,
    /// Rent for a space over a time slot.
    Rental,
    /// Money paid out by the fund.
    Disbursement,
    /// Undoes the monetary effect of an earlier entry.
    Reversal,
    /// A signed statement of a period's figures.
    Statement,
    /// Declares money restricted to a purpose and/or a period (限定性).
    Restriction,
    /// Lifts a restriction (donor's written consent or law): what it holds is released.
    RestrictionRevocation,
    /// Closes a restriction's project and says what was done with the money left.
    RestrictionClosing,
    /// A supervisor's (监督员) opinion on a statement.
    Opinion,
}

impl Kind {
    /// All kinds, in FORMAT.md order.
    pub const ALL: [Kind; 14] = [
        Kind::Genesis,
        Kind::Trustees,
        Kind::Donation,
        Kind::Agreement,
        Kind::RevenueShare,
        Kind::Space,
        Kind::Rental,
        Kind::Disbursement,
        Kind::Reversal,
        Kind::Statement,
        Kind::Restriction,
        Kind::RestrictionRevocation,
        Kind::RestrictionClosing,
        Kind::Opinion,
    ];

    /// The name in the chain, e.g. `revenue_share`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Genesis => "genesis",
            Kind::Trustees => "trustees",
            Kind::Donation => "donation",
            Kind::Agreement => "agreement",
            Kind::RevenueShare => "revenue_share",
            Kind::Space => "space",
            Kind::Rental => "rental",
            Kind::Disbursement => "disbursement",
            Kind::Reversal => "reversal",
            Kind::Statement => "statement",
            Kind::Restriction => "restriction",
            Kind::RestrictionRevocation => "restriction_revocation",
            Kind::RestrictionClosing => "restriction_closing",
            Kind::Opinion => "opinion",
        }
    }

    /// Whether entries of this kind move money (and so may be reversed).
    pub fn is_monetary(self) -> bool {
        matches!(
            self,
            Kind::Donation | Kind::RevenueShare | Kind::Rental | Kind::Disbursement
        )
    }

    /// The kind named `name` in the chain (`revenue_share`, …); `None` for any other
    /// string. The inverse of [`Kind::as_str`].
    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// A string that names no [`Kind`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown entry kind `{0}`")]
pub struct UnknownKind(pub String);

impl std::str::FromStr for Kind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::parse(s).ok_or_else(|| UnknownKind(s.to_owned()))
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A trustee as registered in the chain: public key and display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trustee {
    /// Ed25519 public key.
    pub key: PublicKey,
    /// Name shown to residents.
    pub name: ShortText,
}

/// A supervisor (监督员) as registered in the chain: public key and display name. A
/// supervisor signs opinions on statements, never anything a quorum counts (FORMAT.md §5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Supervisor {
    /// Ed25519 public key; never also a trustee's.
    pub key: PublicKey,
    /// Name shown to residents.
    pub name: ShortText,
}

/// The host charity (托管慈善组织) whose books hold the fund's money: a community fund is
/// not a legal person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostCharity {
    /// Registered name.
    pub name: ShortText,
    /// Unified social credit code, check digit verified.
    pub uscc: Uscc,
}

/// The fund's policy: quorums and the allowed revenue-share rates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Trustee signatures a statement needs.
    pub statement_quorum: u32,
    /// Trustee signatures a disbursement (and its reversal) needs.
    pub disbursement_quorum: u32,
    /// Trustee signatures an agreement, a space or a trustee change needs.
    pub governance_quorum: u32,
    /// Lowest allowed revenue-share rate (default `"0.1000"`).
    pub share_rate_min: Rate,
    /// Highest allowed revenue-share rate (default `"0.5000"`).
    pub share_rate_max: Rate,
}

/// `genesis`: creates the fund. Signed by the deployment's operator key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// Chinese name, e.g. 犀浦街道社区发展基金.
    pub name: ShortText,
    /// English name.
    pub name_en: ShortText,
    /// Street (街道).
    pub street: ShortText,
    /// Community (社区), or the street itself for a street-level fund.
    pub community: ShortText,
    /// Always `CNY`.
    pub currency: Currency,
    /// The fund's local calendar offset, `+08:00` in China.
    pub utc_offset: UtcOffset,
    /// First trustees.
    pub trustees: Vec<Trustee>,
    /// Quorums and rate bounds.
    pub policy: Policy,
    /// First supervisors (监督员), if any (omitted when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supervisors: Vec<Supervisor>,
    /// The host charity, if named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<HostCharity>,
}

/// The only currency: Chinese yuan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Currency {
    /// 人民币.
    #[serde(rename = "CNY")]
    Cny,
}

/// `trustees`: changes who may sign for the fund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrusteeChange {
    /// Trustees to add.
    pub add: Vec<Trustee>,
    /// Keys of trustees to remove.
    pub remove: Vec<PublicKey>,
    /// A new policy, if it changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<Policy>,
    /// Supervisors to add (omitted when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supervisors_add: Vec<Supervisor>,
    /// Keys of supervisors to remove (omitted when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supervisors_remove: Vec<PublicKey>,
    /// A new host charity, if it changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<HostCharity>,
}

/// Who gave a donation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DonorClass {
    /// A resident: identity kept off the chain, behind a commitment.
    Resident,
    /// A company.
    Enterprise,
    /// A social organisation.
    Organisation,
    /// Unknown or wishing to stay unknown.
    Anonymous,
}

/// The donor as recorded in the chain. A resident appears only as a commitment unless
/// they consented to be named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Donor {
    /// Donor class.
    pub class: DonorClass,
    /// Name: required for enterprises and organisations; for a resident only with consent;
    /// never for anonymous donors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<ShortText>,
    /// `true` when a resident agreed to be named publicly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_consent: Option<bool>,
    /// SHA-256("community-ledger/donor/v1\n" ‖ salt ‖ identity): required for residents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment: Option<Hash>,
}

/// What a public reader (the residents' pages, any unauthenticated answer that names the
/// other side of an entry) may see of a donor, renter or payee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicName<'a> {
    /// The name itself: an enterprise or organisation, or a resident who consented.
    Named(&'a str),
    /// A resident, not named: the chain holds at most a commitment, or a name given
    /// without consent to show it.
    Resident,
    /// A donor who is unknown or wishes to stay unknown.
    Anonymous,
}

/// The one rule for showing a party in public: a resident is named only with
/// `name_consent: true` and a name; anonymous stays anonymous; anyone else by name.
fn public_name_of(
    resident: bool,
    anonymous: bool,
    name: Option<&ShortText>,
    name_consent: Option<bool>,
) -> PublicName<'_> {
    match (resident, anonymous, name) {
        (true, _, Some(n)) if name_consent == Some(true) => PublicName::Named(n.as_str()),
        (true, _, _) => PublicName::Resident,
        (false, true, _) => PublicName::Anonymous,
        (false, false, Some(n)) => PublicName::Named(n.as_str()),
        // The rules refuse an enterprise or organisation donor without a name; if one
        // were read anyway, nothing is shown of it.
        (false, false, None) => PublicName::Anonymous,
    }
}

impl Donor {
    /// What a public reader may see of this donor: a resident's name only when the
    /// donor consented (`name_consent: true`), "a resident" otherwise; "anonymous" for
    /// an anonymous donor; the name of an enterprise or organisation.
    pub fn public_name(&self) -> PublicName<'_> {
        public_name_of(
            self.class == DonorClass::Resident,
            self.class == DonorClass::Anonymous,
            self.name.as_ref(),
            self.name_consent,
        )
    }
}

/// How money arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Cash.
    Cash,
    /// Bank transfer.
    BankTransfer,
    /// WeChat Pay.
    WechatPay,
    /// Alipay.
    Alipay,
    /// Anything else.
    Other,
}

/// `donation` [+].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Donation {
    /// Amount received.
    pub amount: Amount,
    /// Who gave it.
    pub donor: Donor,
    /// How it arrived.
    pub channel: Channel,
    /// The paper or electronic receipt number given to the donor.
    pub receipt_no: ShortText,
    /// A purpose the donor named, as free text (kept for old entries; it restricts
    /// nothing: name a `restriction` for that).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<ShortText>,
    /// The restriction (declared earlier) this donation is given to; absent: unrestricted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restriction: Option<RestrictionId>,
    /// Free memo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memo: Option<LongText>,
    /// The seq of the entry this one corrects (更正): an earlier entry of the same kind,
    /// reversed by a reversal that carries a `correction` note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<u64>,
}

/// A social enterprise party to an agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Enterprise {
    /// Registered name.
    pub name: ShortText,
    /// Unified social credit code, check digit verified.
    pub uscc: Uscc,
}

/// What a revenue share is a share of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareBasis {
    /// Revenue (turnover).
    Revenue,
    /// Profit (a loss is reported as a base of 0.00).
    Profit,
}

/// `agreement`: a social enterprise agrees to pay a share into the fund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agreement {
    /// Unique within the fund.
    pub agreement_id: AgreementId,
    /// The enterprise.
    pub enterprise: Enterprise,
    /// Revenue or profit.
    pub basis: ShareBasis,
    /// Share rate, within the policy's bounds.
    pub rate: Rate,
    /// Fixed fee per whole month, on top of the share.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_monthly: Option<Amount>,
    /// First day covered.
    pub start: Date,
    /// Last day covered, if the agreement ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Date>,
    /// The venture, e.g. U咖啡.
    pub venture: ShortText,
}

/// `revenue_share` [+]: a payment under an agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevenueShare {
    /// The agreement paid under.
    pub agreement_id: AgreementId,
    /// Inclusive dates covered.
    pub period: Period,
    /// Revenue or profit of the period (≥ 0).
    pub base: Base,
    /// round_half_up(base × rate, 0.01) + fixed_monthly × whole months.
    pub amount: Amount,
    /// The seq of the entry this one corrects (更正): an earlier entry of the same kind,
    /// reversed by a reversal that carries a `correction` note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<u64>,
}

/// What a space is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpaceKind {
    /// Shared classroom.
    Classroom,
    /// Shared theatre.
    Theatre,
    /// Shared meeting room.
    MeetingRoom,
    /// Shared activity room.
    ActivityRoom,
    /// Anything else.
    Other,
}

/// `space`: a shared space offered for rent at staggered hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Space {
    /// Unique within the fund.
    pub space_id: SpaceId,
    /// Name.
    pub name: ShortText,
    /// Kind of space.
    pub kind: SpaceKind,
    /// Price per hour.
    pub hourly_rate: Amount,
    /// Weekly local-time windows the community keeps for itself.
    pub community_hours: Vec<WeeklyWindow>,
}

/// Who pays for something or receives money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyClass {
    /// A company.
    Enterprise,
    /// A social organisation.
    Organisation,
    /// A resident.
    Resident,
    /// Anything else.
    Other,
}

/// A renter or payee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// Name.
    pub name: ShortText,
    /// Class.
    pub class: PartyClass,
}

impl Party {
    /// What a public reader may see of this renter or payee, by the same rule as
    /// [`Donor::public_name`]: a party carries no consent to be named, so a resident is
    /// never named; anyone else is.
    pub fn public_name(&self) -> PublicName<'_> {
        public_name_of(
            self.class == PartyClass::Resident,
            false,
            Some(&self.name),
            None,
        )
    }
}

/// `rental` [+]: rent for a space over a half-open slot [start, end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rental {
    /// The space rented.
    pub space_id: SpaceId,
    /// Who rented it.
    pub renter: Party,
    /// First instant of the slot.
    pub start: Instant,
    /// First instant after the slot.
    pub end: Instant,
    /// hourly_rate × hours, half-up to 0.01.
    pub amount: Amount,
    /// The seq of the entry this one corrects (更正): an earlier entry of the same kind,
    /// reversed by a reversal that carries a `correction` note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<u64>,
}

/// `disbursement` [−]: a grant or payment out of the fund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disbursement {
    /// Amount paid.
    pub amount: Amount,
    /// Who receives it.
    pub payee: Party,
    /// What it is for.
    pub purpose: ShortText,
    /// The community project.
    pub project: ShortText,
    /// Invoice number.
    pub invoice_no: ShortText,
    /// The restriction whose money this spends; absent: unrestricted money.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restriction: Option<RestrictionId>,
    /// The seq of the entry this one corrects (更正): an earlier entry of the same kind,
    /// reversed by a reversal that carries a `correction` note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<u64>,
}

/// `reversal`: undoes the monetary effect of an earlier entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reversal {
    /// Seq of the entry reversed.
    pub reverses: u64,
    /// Why.
    pub reason: LongText,
    /// The 更正说明 (correction note) when this reversal corrects an error: published with
    /// the entry it corrects and shown beside the statement that covered it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correction: Option<LongText>,
}

/// Inflows of a statement, by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inflows {
    /// Sum of donations.
    pub donation: Money,
    /// Sum of revenue shares.
    pub revenue_share: Money,
    /// Sum of rentals.
    pub rental: Money,
}

/// Outflows of a statement, by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outflows {
    /// Sum of disbursements.
    pub disbursement: Money,
}

/// `statement`: the figures of a period, signed by a statement quorum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// Whole local months covered.
    pub period: Period,
    /// Last seq recorded (local date) within the period.
    pub through_seq: u64,
    /// through_seq + 1.
    pub tree_size: u64,
    /// Merkle root of the fund's log at tree_size.
    pub root: Hash,
    /// Balance before the period.
    pub opening: Money,
    /// Inflows by kind.
    pub inflows: Inflows,
    /// Outflows by kind.
    pub outflows: Outflows,
    /// Net effect of reversals recorded in the period.
    pub reversals: Money,
    /// opening + inflows − outflows + reversals.
    pub closing: Money,
    /// Entries recorded in the period.
    pub count: u64,
    /// `2` for a statement in two columns; absent for the first version (one column).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<StatementVersion>,
    /// Version 2: the 非限定性 column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unrestricted: Option<UnrestrictedColumn>,
    /// Version 2: the 限定性 column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restricted: Option<RestrictedColumn>,
    /// The seq of the statement this one supersedes (a corrected statement): an earlier
    /// statement of the same period, not superseded yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<u64>,
}

/// A supervisor's verdict on a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// 同意: the supervisor agrees with the statement.
    Agree,
    /// 不同意: the supervisor disagrees, with reasons.
    Disagree,
}

impl Verdict {
    /// The name in the chain: `agree` or `disagree`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Agree => "agree",
            Verdict::Disagree => "disagree",
        }
    }
}

/// `opinion`: a supervisor's (监督员) opinion on a statement, signed by supervisors only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Opinion {
    /// Seq of the statement the opinion is on.
    pub statement: u64,
    /// Agree or disagree.
    pub verdict: Verdict,
    /// Reasons: required to disagree, optional to agree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasons: Option<LongText>,
}

/// The version of a statement body that has one: only `2` (two columns) so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementVersion {
    /// Figures in 非限定性 / 限定性 / 合计 columns.
    V2,
}

impl Serialize for StatementVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(2)
    }
}

impl<'de> Deserialize<'de> for StatementVersion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match u64::deserialize(d)? {
            2 => Ok(StatementVersion::V2),
            n => Err(serde::de::Error::custom(format_args!(
                "statement version {n} is not supported (only 2)"
            ))),
        }
    }
}

/// The 非限定性 (unrestricted) column of a two-column statement. Every expense is in this
/// column (the 制度 charges all 费用 to unrestricted net assets); restricted money reaches
/// it through `releases` (限定性净资产转为非限定性净资产).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnrestrictedColumn {
    /// Unrestricted money before the period.
    pub opening: Money,
    /// Donations given to no restriction.
    pub donation: Money,
    /// Revenue shares (always unrestricted).
    pub revenue_share: Money,
    /// Rentals (always unrestricted).
    pub rental: Money,
    /// Every disbursement, restricted or not.
    pub disbursement: Money,
    /// Reversals of unrestricted inflows (−) and of every disbursement (+).
    pub reversals: Money,
    /// Releases from restricted money (+).
    pub releases: Money,
    /// opening + donation + revenue_share + rental − disbursement + reversals + releases.
    pub closing: Money,
}

/// The 限定性 (restricted) column of a two-column statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestrictedColumn {
    /// Restricted money before the period.
    pub opening: Money,
    /// Donations given to a restriction.
    pub donation: Money,
    /// Reversals of restricted donations (−).
    pub reversals: Money,
    /// Released to unrestricted money (−): restricted spending, revocations and
    /// closings, less reversed restricted spending.
    pub releases: Money,
    /// opening + donation + reversals − releases.
    pub closing: Money,
}

/// `restriction`: declares a restriction — money given for a purpose and/or a period
/// (限定性净资产). Donations name it; disbursements spend from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Restriction {
    /// Unique within the fund.
    pub restriction_id: RestrictionId,
    /// The purpose or project the money is for, e.g. 阳光驿站助老项目.
    pub purpose: ShortText,
    /// First local day its money may be spent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usable_from: Option<Date>,
    /// Last local day its money may be spent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usable_until: Option<Date>,
}

/// Why a restriction is revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevocationBasis {
    /// The donor agreed in writing.
    DonorConsent,
    /// A law or regulation lifts it.
    Law,
}

/// `restriction_revocation`: lifts a restriction; what it holds is released to
/// unrestricted money (the amount is derived, never written).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestrictionRevocation {
    /// The restriction lifted.
    pub restriction_id: RestrictionId,
    /// Donor's written consent, or law.
    pub basis: RevocationBasis,
    /// The consent or the law, in words (document reference, date).
    pub reason: LongText,
}

/// What was done with a restriction's money left when its project closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposal {
    /// The purpose is fulfilled and the remainder (possibly zero) goes to unrestricted
    /// money, as the donor's agreement allows.
    Released,
    /// The remainder was returned to the donors (or given on for the same purpose) by
    /// disbursements naming the restriction: nothing may be left.
    Returned,
}

/// `restriction_closing`: closes a restriction's project, with what was done with the
/// money left (for the disclosure of the project's end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestrictionClosing {
    /// The restriction closed.
    pub restriction_id: RestrictionId,
    /// What was done with the money left.
    pub disposal: Disposal,
    /// The project's outcome and the remainder's use, in words.
    pub note: LongText,
}

/// A typed body: one variant per [`Kind`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// See [`Genesis`].
    Genesis(Genesis),
    /// See [`TrusteeChange`].
    Trustees(TrusteeChange),
    /// See [`Donation`].
    Donation(Donation),
    /// See [`Agreement`].
    Agreement(Agreement),
    /// See [`RevenueShare`].
    RevenueShare(RevenueShare),
    /// See [`Space`].
    Space(Space),
    /// See [`Rental`].
    Rental(Rental),
    /// See [`Disbursement`].
    Disbursement(Disbursement),
    /// See [`Reversal`].
    Reversal(Reversal),
    /// See [`Statement`].
    Statement(Statement),
    /// See [`Restriction`].
    Restriction(Restriction),
    /// See [`RestrictionRevocation`].
    RestrictionRevocation(RestrictionRevocation),
    /// See [`RestrictionClosing`].
    RestrictionClosing(RestrictionClosing),
    /// See [`Opinion`].
    Opinion(Opinion),
}

impl Body {
    /// This body's kind.
    pub fn kind(&self) -> Kind {
        match self {
            Body::Genesis(_) => Kind::Genesis,
            Body::Trustees(_) => Kind::Trustees,
            Body::Donation(_) => Kind::Donation,
            Body::Agreement(_) => Kind::Agreement,
            Body::RevenueShare(_) => Kind::RevenueShare,
            Body::Space(_) => Kind::Space,
            Body::Rental(_) => Kind::Rental,
            Body::Disbursement(_) => Kind::Disbursement,
            Body::Reversal(_) => Kind::Reversal,
            Body::Statement(_) => Kind::Statement,
            Body::Restriction(_) => Kind::Restriction,
            Body::RestrictionRevocation(_) => Kind::RestrictionRevocation,
            Body::RestrictionClosing(_) => Kind::RestrictionClosing,
            Body::Opinion(_) => Kind::Opinion,
        }
    }

    /// Parses the body of an intent of kind `kind`.
    pub fn from_value(kind: Kind, value: serde_json::Value) -> Result<Self, serde_json::Error> {
        use serde_json::from_value as f;
        Ok(match kind {
            Kind::Genesis => Body::Genesis(f(value)?),
            Kind::Trustees => Body::Trustees(f(value)?),
            Kind::Donation => Body::Donation(f(value)?),
            Kind::Agreement => Body::Agreement(f(value)?),
            Kind::RevenueShare => Body::RevenueShare(f(value)?),
            Kind::Space => Body::Space(f(value)?),
            Kind::Rental => Body::Rental(f(value)?),
            Kind::Disbursement => Body::Disbursement(f(value)?),
            Kind::Reversal => Body::Reversal(f(value)?),
            Kind::Statement => Body::Statement(f(value)?),
            Kind::Restriction => Body::Restriction(f(value)?),
            Kind::RestrictionRevocation => Body::RestrictionRevocation(f(value)?),
            Kind::RestrictionClosing => Body::RestrictionClosing(f(value)?),
            Kind::Opinion => Body::Opinion(f(value)?),
        })
    }

    /// The body as a JSON value (for canonical encoding).
    pub fn to_value(&self) -> Result<serde_json::Value, serde_json::Error> {
        use serde_json::to_value as t;
        match self {
            Body::Genesis(b) => t(b),
            Body::Trustees(b) => t(b),
            Body::Donation(b) => t(b),
            Body::Agreement(b) => t(b),
            Body::RevenueShare(b) => t(b),
            Body::Space(b) => t(b),
            Body::Rental(b) => t(b),
            Body::Disbursement(b) => t(b),
            Body::Reversal(b) => t(b),
            Body::Statement(b) => t(b),
            Body::Restriction(b) => t(b),
            Body::RestrictionRevocation(b) => t(b),
            Body::RestrictionClosing(b) => t(b),
            Body::Opinion(b) => t(b),
        }
    }
}

impl Serialize for Body {
    /// The body alone (its kind is the intent's `kind`), as [`Body::to_value`] writes it.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Body::Genesis(b) => b.serialize(s),
            Body::Trustees(b) => b.serialize(s),
            Body::Donation(b) => b.serialize(s),
            Body::Agreement(b) => b.serialize(s),
            Body::RevenueShare(b) => b.serialize(s),
            Body::Space(b) => b.serialize(s),
            Body::Rental(b) => b.serialize(s),
            Body::Disbursement(b) => b.serialize(s),
            Body::Reversal(b) => b.serialize(s),
            Body::Statement(b) => b.serialize(s),
            Body::Restriction(b) => b.serialize(s),
            Body::RestrictionRevocation(b) => b.serialize(s),
            Body::RestrictionClosing(b) => b.serialize(s),
            Body::Opinion(b) => b.serialize(s),
        }
    }
}

impl ShareBasis {
    /// The name in the chain: `revenue` or `profit`.
    pub fn as_str(self) -> &'static str {
        match self {
            ShareBasis::Revenue => "revenue",
            ShareBasis::Profit => "profit",
        }
    }
}

impl SpaceKind {
    /// The name in the chain, e.g. `meeting_room`.
    pub fn as_str(self) -> &'static str {
        match self {
            SpaceKind::Classroom => "classroom",
            SpaceKind::Theatre => "theatre",
            SpaceKind::MeetingRoom => "meeting_room",
            SpaceKind::ActivityRoom => "activity_room",
            SpaceKind::Other => "other",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> ShortText {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).unwrap()
    }

    fn donor(class: DonorClass, name: Option<&str>, name_consent: Option<bool>) -> Donor {
        Donor {
            class,
            name: name.map(text),
            name_consent,
            commitment: None,
        }
    }

    #[test]
    fn kinds_parse_back_from_their_names() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
            assert_eq!(k.as_str().parse::<Kind>(), Ok(k));
            assert_eq!(k.to_string(), k.as_str());
            let json = serde_json::to_value(k).unwrap();
            assert_eq!(json, serde_json::Value::String(k.as_str().to_owned()));
        }
        for bad in ["", "Donation", "revenue-share", "donations", " donation"] {
            assert_eq!(Kind::parse(bad), None, "{bad:?}");
            assert_eq!(bad.parse::<Kind>(), Err(UnknownKind(bad.to_owned())));
        }
    }

    #[test]
    fn names_are_the_serialised_names() {
        for b in [ShareBasis::Revenue, ShareBasis::Profit] {
            assert_eq!(serde_json::to_value(b).unwrap(), b.as_str());
        }
        for k in [
            SpaceKind::Classroom,
            SpaceKind::Theatre,
            SpaceKind::MeetingRoom,
            SpaceKind::ActivityRoom,
            SpaceKind::Other,
        ] {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
    }

    #[test]
    fn a_resident_is_named_only_with_consent() {
        use DonorClass::*;
        // A resident without consent is never shown by name, whatever else the entry says.
        for consent in [None, Some(false)] {
            let d = donor(Resident, Some("王伟"), consent);
            assert_eq!(d.public_name(), PublicName::Resident, "{consent:?}");
        }
        assert_eq!(
            donor(Resident, None, None).public_name(),
            PublicName::Resident
        );
        assert_eq!(
            donor(Resident, None, Some(true)).public_name(),
            PublicName::Resident
        );
        assert_eq!(
            donor(Resident, Some("王伟"), Some(true)).public_name(),
            PublicName::Named("王伟")
        );
        assert_eq!(
            donor(Anonymous, None, None).public_name(),
            PublicName::Anonymous
        );
        assert_eq!(
            donor(Enterprise, Some("某公司"), None).public_name(),
            PublicName::Named("某公司")
        );
        assert_eq!(
            donor(Organisation, Some("某协会"), Some(false)).public_name(),
            PublicName::Named("某协会")
        );
    }

    #[test]
    fn a_resident_renter_or_payee_is_never_named() {
        let party = |class| Party {
            name: text("李四"),
            class,
        };
        assert_eq!(
            party(PartyClass::Resident).public_name(),
            PublicName::Resident
        );
        for class in [
            PartyClass::Enterprise,
            PartyClass::Organisation,
            PartyClass::Other,
        ] {
            assert_eq!(party(class).public_name(), PublicName::Named("李四"));
        }
    }
}
