//! Intents from friendly flags: one `clap` argument set per kind, each turned into the
//! typed body of `ledger_core::body`, so whatever is signed has parsed as its type.
//! The CSV import builds the same bodies from its columns ([`donor`] is shared).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use ed25519_dalek::SigningKey;
use ledger_core::body::{
    Agreement, Body, Channel, Disbursement, Disposal, Donation, Donor, DonorClass, Enterprise,
    Kind, Opinion, Party, PartyClass, Policy, Restriction, RestrictionClosing,
    RestrictionRevocation, RevenueShare, Reversal, RevocationBasis, ShareBasis, Space, SpaceKind,
    Trustee, TrusteeChange, Verdict,
};
use ledger_core::canonical::canonicalize;
use ledger_core::donor::SALT_BYTES;
use ledger_core::entry::{Intent, Sig};
use ledger_core::ids::{AgreementId, FundId, IdempotencyKey, RestrictionId, SpaceId, Uscc};
use ledger_core::keys::PublicKey;
use ledger_core::money::{Amount, Base, Rate};
use ledger_core::text::{LongText, ShortText};
use ledger_core::time::{Date, Instant, Period, WeeklyWindow};
use rand_core::RngCore;
use serde_json::{json, Value};

pub use ledger_core::donor::{DONOR_NAME_CHARS_MAX, DONOR_PHONE_CHARS_MAX};
/// Domain separation of the idempotency keys the client derives from content.
const KEY_DERIVATION_PREFIX: &str = "community-ledger/client/key/v1\n";

pub use ledger_core::import::{key_from_digest, parse_enum};

fn donor_class(s: &str) -> Result<DonorClass, String> {
    parse_enum(
        s,
        "donor class",
        "resident, enterprise, organisation, anonymous",
    )
}
fn channel(s: &str) -> Result<Channel, String> {
    parse_enum(
        s,
        "channel",
        "cash, bank_transfer, wechat_pay, alipay, other",
    )
}
fn revocation_basis(s: &str) -> Result<RevocationBasis, String> {
    parse_enum(s, "basis", "donor_consent, law")
}
fn disposal(s: &str) -> Result<Disposal, String> {
    parse_enum(s, "disposal", "released, returned")
}
fn party_class(s: &str) -> Result<PartyClass, String> {
    parse_enum(s, "class", "enterprise, organisation, resident, other")
}
fn basis(s: &str) -> Result<ShareBasis, String> {
    parse_enum(s, "basis", "revenue, profit")
}
fn verdict(s: &str) -> Result<Verdict, String> {
    parse_enum(s, "verdict", "agree, disagree")
}
fn space_kind(s: &str) -> Result<SpaceKind, String> {
    parse_enum(
        s,
        "space kind",
        "classroom, theatre, meeting_room, activity_room, other",
    )
}

/// `sat 09:00-12:00` → a weekly window.
fn window(s: &str) -> Result<WeeklyWindow, String> {
    let bad = || format!("community hours {s:?}: expected like `sat 09:00-12:00`");
    let (day, times) = s.trim().split_once(' ').ok_or_else(bad)?;
    let (from, to) = times.trim().split_once('-').ok_or_else(bad)?;
    serde_json::from_value(json!({"day": day, "from": from, "to": to}))
        .map_err(|e| format!("community hours {s:?}: {e}"))
}

/// `<64 hex>=<name>` → a trustee.
fn trustee(s: &str) -> Result<Trustee, String> {
    let (key, name) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?}: expected <public key hex>=<name>"))?;
    Ok(Trustee {
        key: PublicKey::from_hex(key).map_err(|e| e.to_string())?,
        name: ShortText::parse(name).map_err(|e| e.to_string())?,
    })
}

fn public_key(s: &str) -> Result<PublicKey, String> {
    PublicKey::from_hex(s).map_err(|e| e.to_string())
}

/// Parses `--signed-at`.
fn parse_signed_at(s: &str) -> Result<Instant, String> {
    Instant::parse(s).map_err(|e| e.to_string())
}

/// What every kind's command takes besides its fields.
#[derive(Args, Debug, Clone)]
pub struct Common {
    /// The fund, e.g. xipu-street.
    #[arg(long)]
    pub fund: FundId,
    /// The idempotency key; by default derived from the content, so that running the
    /// same command again records it once.
    #[arg(long)]
    pub idempotency_key: Option<IdempotencyKey>,
    /// The intent's `signed_at` (RFC 3339 UTC to the second; default: now). With
    /// `--idempotency-key`, the same inputs give the same signature byte for byte, as the
    /// browser workspace signs them (tests compare the two).
    #[arg(long, value_parser = parse_signed_at)]
    pub signed_at: Option<Instant>,
    /// Another trustee's key file that signs too (repeat for more), for kinds that need a
    /// quorum when the trustees sign on one machine; otherwise use `propose` and `sign`.
    #[arg(long = "cosign-key", value_name = "FILE")]
    pub cosign_keys: Vec<PathBuf>,
}

/// The kinds a trustee writes (genesis is the operator's).
#[derive(Subcommand, Debug, Clone)]
pub enum KindCmd {
    /// 捐赠 A donation (+).
    Donation(DonationArgs),
    /// 分成协议 A revenue-share agreement with a social enterprise.
    Agreement(AgreementArgs),
    /// 社会企业收益分成 A payment under an agreement (+).
    #[command(name = "revenue_share", alias = "revenue-share")]
    RevenueShare(RevenueShareArgs),
    /// 共享空间 A shared space offered for rent.
    Space(SpaceArgs),
    /// 场地租赁收入 Rent for a space over a slot (+).
    Rental(RentalArgs),
    /// 支出 A disbursement (−).
    Disbursement(DisbursementArgs),
    /// 冲正 Undoes an earlier monetary entry.
    Reversal(ReversalArgs),
    /// Adds or removes trustees, optionally changes the policy.
    Trustees(TrusteesArgs),
    /// 收支公示 The statement of a month, quarter or year, as the server drafts it.
    Statement(StatementArgs),
    /// 监督意见 A supervisor's opinion on a statement (signed with the supervisor's key).
    Opinion(OpinionArgs),
    /// 限定 Declares restricted money (a purpose, an optional window).
    Restriction(RestrictionArgs),
    /// 撤销限定 Lifts a restriction (donor's written consent or law); what it holds is released.
    #[command(name = "restriction_revocation", alias = "restriction-revocation")]
    RestrictionRevocation(RestrictionRevocationArgs),
    /// 限定项目结项 Closes a restriction's project, with what was done with the money left.
    #[command(name = "restriction_closing", alias = "restriction-closing")]
    RestrictionClosing(RestrictionClosingArgs),
}

impl KindCmd {
    /// The common arguments.
    pub fn common(&self) -> &Common {
        match self {
            KindCmd::Donation(a) => &a.common,
            KindCmd::Agreement(a) => &a.common,
            KindCmd::RevenueShare(a) => &a.common,
            KindCmd::Space(a) => &a.common,
            KindCmd::Rental(a) => &a.common,
            KindCmd::Disbursement(a) => &a.common,
            KindCmd::Reversal(a) => &a.common,
            KindCmd::Trustees(a) => &a.common,
            KindCmd::Statement(a) => &a.common,
            KindCmd::Opinion(a) => &a.common,
            KindCmd::Restriction(a) => &a.common,
            KindCmd::RestrictionRevocation(a) => &a.common,
            KindCmd::RestrictionClosing(a) => &a.common,
        }
    }
}

/// `donation`.
#[derive(Args, Debug, Clone)]
pub struct DonationArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: Common,
    /// Amount in yuan, e.g. 500.00.
    #[arg(long)]
    pub amount: Amount,
    /// resident, enterprise, organisation or anonymous.
    #[arg(long, value_parser = donor_class)]
    pub donor_class: DonorClass,
    /// The donor's name (a resident's stays off the chain unless --name-public).
    #[arg(long)]
    pub donor_name: Option<String>,
    /// A resident's phone (kept off the chain, in the donor vault).
    #[arg(long)]
    pub donor_phone: Option<String>,
    /// The resident agreed to be named publicly.
    #[arg(long)]
    pub name_public: bool,
    /// cash, bank_transfer, wechat_pay, alipay or other.
    #[arg(long, value_parser = channel)]
    pub channel: Channel,
    /// The receipt number given to the donor.
    #[arg(long)]
    pub receipt_no: ShortText,
    /// A purpose the donor named (free text; it restricts nothing).
    #[arg(long)]
    pub purpose: Option<ShortText>,
    /// The restriction the donation is given to (限定性捐赠); none: unrestricted.
    #[arg(long)]
    pub restriction: Option<RestrictionId>,
    /// A memo.
    #[arg(long)]
    pub memo: Option<LongText>,
    /// The seq of the donation this one corrects (reversed with a `--correction`).
    #[arg(long)]
    pub corrects: Option<u64>,
}

/// `restriction`.
#[derive(Args, Debug, Clone)]
pub struct RestrictionArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: Common,
    /// Its id (unique in the fund).
    #[arg(long)]
    pub restriction_id: RestrictionId,
    /// The purpose or project the money is for.
    #[arg(long)]
    pub purpose: ShortText,
    /// First local day its money may be spent.
    #[arg(long)]
    pub usable_from: Option<Date>,
    /// Last local day its money may be spent.
    #[arg(long)]
    pub usable_until: Option<Date>,
}

/// `restriction_revocation`.
#[derive(Args, Debug, Clone)]
pub struct RestrictionRevocationArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: Common,
    /// The restriction lifted.
    #[arg(long)]
    pub restriction_id: RestrictionId,
    /// donor_consent or law.
    #[arg(long, value_parser = revocation_basis)]
    pub basis: RevocationBasis,
    /// The consent or the law, in words.
    #[arg(long)]
    pub reason: LongText,
}

/// `restriction_closing`.
#[derive(Args, Debug, Clone)]
pub struct RestrictionClosingArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: Common,
    /// The restriction closed.
    #[arg(long)]
    pub restriction_id: RestrictionId,
    /// released (the rest goes to unrestricted money) or returned (nothing may be left).
    #[arg(long, value_parser = disposal)]
    pub disposal: Disposal,
    /// The project's outcome and the remainder's use.
    #[arg(long)]
    pub note: LongText,
}

/// `agreement`.
#[derive(Args, Debug, Clone)]
pub struct AgreementArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: Common,
    /// Unique within the fund.
    #[arg(long)]
    pub agreement_id: AgreementId,
    /// The enterprise's registered name.
    #[arg(long)]
    pub enterprise: ShortText,
    /// Its unified social credit code (统一社会信用代码).
    #[arg(long)]
    pub uscc: Uscc,
    /// revenue or profit.
    #[arg(long, value_parser = basis)]
    pub basis: ShareBasis,
    /// Share rate, e.g. 0.1000 for 10%.
    #[arg(long)]
    pub rate: Rate,
    /// Fixed fee per whole month.
    #[arg(long)]
    pub fixed_monthly: Option<Amount>,
    /// First day covered.
    #[arg(long)]
    pub start: Date,
    /// Last day covered.
    #[arg(long)]
    pub end: Option<Date>,
    /// The venture, e.g. U咖啡.
    #[arg(long)]
    pub venture: ShortText,
}

/// `revenue_share`.
#[derive(Args, Debug, Clone)]
pub struct RevenueShareArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: Common,
    /// The agreement paid under.
    #[arg(long)]
    pub agreement_id: AgreementId,
    /// First day of the period.
    #[arg(long)]
    pub from: Date,
    /// Last day of the period (inclusive).
    #[arg(long)]
    pub to: Date,
    /// Revenue or profit of the period.
    #[arg(long)]
    pub base: Base,
    /// Amount due (the server checks it against the agreement).
    #[arg(long)]
    pub amount: Amount,
}

/// `space`.
#[derive(Args, Debug, Clone)]
pub struct SpaceArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: Common,
    /// Unique within the fund.
    #[arg(long)]
    pub space_id: SpaceId,
    /// Name.
    #[arg(long)]
    pub name: ShortText,
    /// classroom, theatre, meeting_room, activity_room or other.
    #[arg(long = "space-kind", value_parser = space_kind)]
    pub space_kind: SpaceKind,
    /// Price per hour.
    #[arg(long)]
    pub hourly_rate: Amount,
    /// Hours the community keeps, e.g. "sat 09:00-12:00" (repeat).
    #[arg(long = "community-hours", value_parser = window)]
    pub community_hours: Vec<WeeklyWindow>,
}

/// `rental`.
#[derive(Args, Debug, Clone)]
pub struct RentalArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: Common,
    /// The space rented.
    #[arg(long)]
    pub space_id: SpaceId,
    /// Who rented it.
    #[arg(long)]
    pub renter_name: ShortText,
    /// enterprise, organisation, resident or other.
    #[arg(long, value_parser = party_class)]
    pub renter_class: PartyClass,
    /// First instant, UTC, e.g. 2026-11-02T06:00:00Z.
    #[arg(long)]
    pub start: Instant,
    /// First instant after the slot.
    #[arg(long)]
    pub end: Instant,
    /// hourly rate × hours.
    #[arg(long)]
    pub amount: Amount,
}

/// `disbursement`.
#[derive(Args, Debug, Clone)]
pub struct DisbursementArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: Common,
    /// Amount paid.
    #[arg(long)]
    pub amount: Amount,
    /// Who receives it.
    #[arg(long)]
    pub payee_name: ShortText,
    /// enterprise, organisation, resident or other.
    #[arg(long, value_parser = party_class)]
    pub payee_class: PartyClass,
    /// What it is for.
    #[arg(long)]
    pub purpose: ShortText,
    /// The community project.
    #[arg(long)]
    pub project: ShortText,
    /// Invoice number.
    #[arg(long)]
    pub invoice_no: ShortText,
    /// The seq of the disbursement this one corrects (reversed with a `--correction`).
    #[arg(long)]
    pub corrects: Option<u64>,
    /// The restriction whose money this spends; none: unrestricted money.
    #[arg(long)]
    pub restriction: Option<RestrictionId>,
}

/// `reversal`.
#[derive(Args, Debug, Clone)]
pub struct ReversalArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: Common,
    /// Seq of the entry reversed.
    #[arg(long)]
    pub reverses: u64,
    /// Why.
    #[arg(long)]
    pub reason: LongText,
    /// The 更正说明 (correction note), when the reversal corrects an error.
    #[arg(long)]
    pub correction: Option<LongText>,
}

/// `trustees`.
#[derive(Args, Debug, Clone)]
pub struct TrusteesArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: Common,
    /// A trustee to add: <public key hex>=<name> (repeat).
    #[arg(long = "add", value_parser = trustee)]
    pub add: Vec<Trustee>,
    /// A trustee's public key to remove (repeat).
    #[arg(long = "remove", value_parser = public_key)]
    pub remove: Vec<PublicKey>,
    /// New policy: signatures a statement needs (give all five policy flags or none).
    #[arg(long)]
    pub statement_quorum: Option<u32>,
    /// New policy: signatures a disbursement needs.
    #[arg(long)]
    pub disbursement_quorum: Option<u32>,
    /// New policy: signatures an agreement, space or trustee change needs.
    #[arg(long)]
    pub governance_quorum: Option<u32>,
    /// New policy: lowest share rate.
    #[arg(long)]
    pub share_rate_min: Option<Rate>,
    /// New policy: highest share rate.
    #[arg(long)]
    pub share_rate_max: Option<Rate>,
}

/// `statement`.
#[derive(Args, Debug, Clone)]
pub struct StatementArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: Common,
    /// 2026-10 (a month), 2026-Q3 (a quarter) or 2026 (a year).
    #[arg(long)]
    pub period: String,
    /// The seq of the statement of the same period that this corrected one supersedes.
    #[arg(long)]
    pub supersedes: Option<u64>,
}

/// `opinion`.
#[derive(Args, Debug, Clone)]
pub struct OpinionArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: Common,
    /// Seq of the statement the opinion is on.
    #[arg(long)]
    pub statement: u64,
    /// agree or disagree.
    #[arg(long, value_parser = verdict)]
    pub verdict: Verdict,
    /// Reasons (required to disagree).
    #[arg(long)]
    pub reasons: Option<LongText>,
}

/// A resident donor's identity, sent beside the intent (never in it).
pub use ledger_core::donor::DonorIdentity as Identity;

/// A fresh random salt.
pub fn random_salt() -> [u8; SALT_BYTES] {
    let mut salt = [0u8; SALT_BYTES];
    rand_core::OsRng.fill_bytes(&mut salt);
    salt
}

/// The donor as the chain records it, and a resident's identity for the vault (a fresh
/// random salt for the commitment): [`ledger_core::donor::donor_of`].
pub fn donor(
    class: DonorClass,
    name: Option<&str>,
    phone: Option<&str>,
    name_public: bool,
) -> Result<(Donor, Option<Identity>), String> {
    ledger_core::donor::donor_of(class, name, phone, name_public, random_salt())
}

/// The body a command describes (a statement's comes from the server: see the caller).
pub fn body_of(cmd: &KindCmd) -> Result<(Body, Option<Identity>), String> {
    Ok(match cmd {
        KindCmd::Donation(a) => {
            let (donor, identity) = donor(
                a.donor_class,
                a.donor_name.as_deref(),
                a.donor_phone.as_deref(),
                a.name_public,
            )?;
            (
                Body::Donation(Donation {
                    amount: a.amount,
                    donor,
                    channel: a.channel,
                    receipt_no: a.receipt_no.clone(),
                    purpose: a.purpose.clone(),
                    restriction: a.restriction.clone(),
                    memo: a.memo.clone(),
                    corrects: a.corrects,
                }),
                identity,
            )
        }
        KindCmd::Agreement(a) => (
            Body::Agreement(Agreement {
                agreement_id: a.agreement_id.clone(),
                enterprise: Enterprise {
                    name: a.enterprise.clone(),
                    uscc: a.uscc.clone(),
                },
                basis: a.basis,
                rate: a.rate,
                fixed_monthly: a.fixed_monthly,
                start: a.start,
                end: a.end,
                venture: a.venture.clone(),
            }),
            None,
        ),
        KindCmd::RevenueShare(a) => (
            Body::RevenueShare(RevenueShare {
                agreement_id: a.agreement_id.clone(),
                period: Period::new(a.from, a.to).map_err(|e| format!("period: {e}"))?,
                base: a.base,
                amount: a.amount,
                corrects: None,
            }),
            None,
        ),
        KindCmd::Space(a) => (
            Body::Space(Space {
                space_id: a.space_id.clone(),
                name: a.name.clone(),
                kind: a.space_kind,
                hourly_rate: a.hourly_rate,
                community_hours: a.community_hours.clone(),
            }),
            None,
        ),
        KindCmd::Rental(a) => (
            Body::Rental(ledger_core::body::Rental {
                space_id: a.space_id.clone(),
                renter: Party {
                    name: a.renter_name.clone(),
                    class: a.renter_class,
                },
                start: a.start,
                end: a.end,
                amount: a.amount,
                corrects: None,
            }),
            None,
        ),
        KindCmd::Disbursement(a) => (
            Body::Disbursement(Disbursement {
                amount: a.amount,
                payee: Party {
                    name: a.payee_name.clone(),
                    class: a.payee_class,
                },
                purpose: a.purpose.clone(),
                project: a.project.clone(),
                invoice_no: a.invoice_no.clone(),
                corrects: a.corrects,
                restriction: a.restriction.clone(),
            }),
            None,
        ),
        KindCmd::Restriction(a) => (
            Body::Restriction(Restriction {
                restriction_id: a.restriction_id.clone(),
                purpose: a.purpose.clone(),
                usable_from: a.usable_from,
                usable_until: a.usable_until,
            }),
            None,
        ),
        KindCmd::RestrictionRevocation(a) => (
            Body::RestrictionRevocation(RestrictionRevocation {
                restriction_id: a.restriction_id.clone(),
                basis: a.basis,
                reason: a.reason.clone(),
            }),
            None,
        ),
        KindCmd::RestrictionClosing(a) => (
            Body::RestrictionClosing(RestrictionClosing {
                restriction_id: a.restriction_id.clone(),
                disposal: a.disposal,
                note: a.note.clone(),
            }),
            None,
        ),
        KindCmd::Reversal(a) => (
            Body::Reversal(Reversal {
                reverses: a.reverses,
                reason: a.reason.clone(),
                correction: a.correction.clone(),
            }),
            None,
        ),
        KindCmd::Trustees(a) => {
            let policy = match (
                a.statement_quorum,
                a.disbursement_quorum,
                a.governance_quorum,
                a.share_rate_min,
                a.share_rate_max,
            ) {
                (None, None, None, None, None) => None,
                (Some(s), Some(d), Some(g), Some(min), Some(max)) => Some(Policy {
                    statement_quorum: s,
                    disbursement_quorum: d,
                    governance_quorum: g,
                    share_rate_min: min,
                    share_rate_max: max,
                }),
                _ => return Err("a new policy needs all five policy flags".into()),
            };
            (
                Body::Trustees(TrusteeChange {
                    add: a.add.clone(),
                    remove: a.remove.clone(),
                    policy,
                    supervisors_add: Vec::new(),
                    supervisors_remove: Vec::new(),
                    host: None,
                }),
                None,
            )
        }
        KindCmd::Opinion(a) => (
            Body::Opinion(Opinion {
                statement: a.statement,
                verdict: a.verdict,
                reasons: a.reasons.clone(),
            }),
            None,
        ),
        KindCmd::Statement(_) => return Err("a statement's body comes from the server".into()),
    })
}

/// An idempotency key derived from what is recorded: `prefix` + 16 hex digits of
/// SHA-256 over the fund, the kind and the body — without a donor commitment, whose salt
/// is random (so the same donation gets the same key), and so without anything that
/// identifies a resident.
pub fn derived_key(prefix: &str, fund: &FundId, body: &Body) -> IdempotencyKey {
    let mut v = body.to_value().unwrap_or(Value::Null);
    if let Some(d) = v.get_mut("donor").and_then(Value::as_object_mut) {
        d.remove("commitment");
    }
    let mut pre = KEY_DERIVATION_PREFIX.as_bytes().to_vec();
    pre.extend_from_slice(format!("{fund}\n{}\n", body.kind().as_str()).as_bytes());
    pre.extend_from_slice(&canonicalize(&v));
    key_from_digest(prefix, &pre)
}

/// An intent signed by some keys: the canonical string posted and the signatures,
/// sorted by key, each key once.
pub struct Signed {
    /// JCS(intent) as a string.
    pub intent: String,
    /// The signatures.
    pub sigs: Vec<Sig>,
}

/// Signs `intent` with every key in `keys`.
pub fn sign(intent: &Intent, keys: &[SigningKey]) -> Signed {
    let mut sigs: Vec<Sig> = keys.iter().map(|k| intent.sign(k)).collect();
    sigs.sort_by_key(|s| s.key);
    sigs.dedup_by(|a, b| a.key == b.key);
    // JCS output is UTF-8 (it is built from JSON strings).
    let intent = String::from_utf8(intent.canonical_bytes())
        .unwrap_or_else(|_| unreachable!("canonical JSON is UTF-8"));
    Signed { intent, sigs }
}

/// The kinds this client writes, for messages.
pub fn kind_label(kind: Kind) -> &'static str {
    match kind {
        Kind::Genesis => "genesis",
        Kind::Trustees => "trustees 基金管理人变更",
        Kind::Donation => "donation 捐赠",
        Kind::Agreement => "agreement 分成协议",
        Kind::RevenueShare => "revenue_share 社会企业收益分成",
        Kind::Space => "space 共享空间",
        Kind::Rental => "rental 场地租赁收入",
        Kind::Disbursement => "disbursement 支出",
        Kind::Reversal => "reversal 冲正",
        Kind::Statement => "statement 收支公示",
        Kind::Opinion => "opinion 监督意见",
        Kind::Restriction => "restriction 限定",
        Kind::RestrictionRevocation => "restriction_revocation 撤销限定",
        Kind::RestrictionClosing => "restriction_closing 限定项目结项",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledger_core::donor::{commitment, identity_string};

    #[test]
    fn a_resident_is_a_commitment_and_the_derived_key_ignores_the_salt() {
        let fund = FundId::parse("xipu-street").unwrap();
        let make = || {
            let (donor, id) = donor(
                DonorClass::Resident,
                Some("张三"),
                Some("13800001234"),
                false,
            )
            .unwrap();
            let id = id.expect("an identity for the vault");
            assert_eq!(
                donor.commitment,
                Some(commitment(
                    &id.salt,
                    &identity_string("张三", "13800001234")
                ))
            );
            assert!(donor.name.is_none());
            Body::Donation(Donation {
                amount: "500.00".parse().unwrap(),
                donor,
                channel: Channel::WechatPay,
                receipt_no: ShortText::parse("R-1").unwrap(),
                purpose: None,
                restriction: None,
                memo: None,
                corrects: None,
            })
        };
        let (one, two) = (make(), make());
        assert_ne!(one, two, "each donation draws its own salt");
        assert_eq!(
            derived_key("cli-", &fund, &one),
            derived_key("cli-", &fund, &two)
        );
        assert!(derived_key("cli-", &fund, &one)
            .as_str()
            .starts_with("cli-"));
    }

    #[test]
    fn donors_follow_the_rules_of_their_class() {
        assert!(donor(DonorClass::Resident, Some("张三"), None, false).is_err());
        assert!(donor(DonorClass::Resident, Some("张三"), Some("call me"), false).is_err());
        assert!(donor(DonorClass::Enterprise, None, None, false).is_err());
        assert!(donor(DonorClass::Enterprise, Some("某公司"), Some("1"), false).is_err());
        assert!(donor(DonorClass::Anonymous, Some("x"), None, false).is_err());
        let (d, id) = donor(DonorClass::Resident, Some("张三"), Some("138"), true).unwrap();
        assert_eq!(d.name.as_ref().map(ShortText::as_str), Some("张三"));
        assert_eq!(d.name_consent, Some(true));
        assert!(id.is_some());
        assert!(window("sat 09:00-12:00").is_ok());
        assert!(window("sat 12:00-09:00").is_err());
    }
}
