//! The read model: the typed answers of the JSON API's reads and what the residents'
//! pages give their templates, in one place shared by both.
//!
//! A leaf: it knows `ledger_core` and the store's rows, never `crate::api` or
//! `crate::pages`. Stored entries are read with the core's typed parse
//! ([`Entry::parse`]); kinds are [`Kind`]s; what the public may see of a donor, renter or
//! payee is decided by [`ledger_core::body::Donor::public_name`] and
//! [`ledger_core::body::Party::public_name`]. Every type serialises to exactly the JSON the
//! API documents (`/api/v1/openapi.json`) and the templates read.

use std::collections::BTreeMap;

use ledger_core::body::{Body, Genesis, Kind, Statement};
use ledger_core::entry::{Entry, Intent, Sig};
use ledger_core::hash::Hash;
use ledger_core::ids::Uscc;
use ledger_core::keys::PublicKey;
use ledger_core::money::Money;
use ledger_core::text::ShortText;
use ledger_core::time::Date;
use serde::Serialize;

use crate::credentials::Credential;
use crate::store::{
    Corruption, EntryRow, FundRow, ProposalFault, ProposalRow, StoreError, VaultRow,
};

/// A money figure as the API writes it, `"1234.56"` (`"-5.00"` for outflows), from fen.
pub fn money_text(fen: i64) -> String {
    Money::from_fen(fen)
        .map(|m| m.to_string())
        .unwrap_or_default()
}

/// A stored entry read with the core's typed parse; a row whose bytes do not parse is a
/// corrupt store.
pub fn parse_row(row: &EntryRow) -> Result<Entry, StoreError> {
    Entry::parse(&row.bytes).map(|p| p.entry).map_err(|error| {
        Corruption::EntryBytes {
            seq: row.seq,
            error,
        }
        .into()
    })
}

/// The error for a stored row that should hold a statement but holds `body`.
pub fn not_a_statement(row: &EntryRow, body: &Body) -> StoreError {
    Corruption::KindMismatch {
        seq: row.seq,
        expected: Kind::Statement,
        found: body.kind(),
    }
    .into()
}

/// The genesis body of a stored seq-0 entry.
pub fn genesis_of(row: &EntryRow) -> Result<Genesis, StoreError> {
    match parse_row(row)?.intent.body {
        Body::Genesis(g) => Ok(g),
        b => Err(Corruption::KindMismatch {
            seq: row.seq,
            expected: Kind::Genesis,
            found: b.kind(),
        }
        .into()),
    }
}

// ---- JSON API ----

/// `GET /healthz`: 200 while the database answers (a database that does not answer is a
/// 503 problem), so that a load balancer keeps sending traffic to the funds that are
/// online; `degraded` when funds are quarantined, and which.
#[derive(Debug, Serialize)]
pub struct Health {
    /// `ok`, or `degraded` while a fund is damaged.
    pub status: &'static str,
    /// The quarantined funds, by id (empty when `ok`).
    pub damaged: Vec<DamagedFund>,
}

/// A quarantined fund, as `/healthz` names it.
#[derive(Debug, Serialize)]
pub struct DamagedFund {
    /// Fund id.
    pub fund: String,
    /// What in its rows disagrees with its log.
    pub reason: String,
}

/// `GET /api/v1/log`: who signs checkpoints and genesis entries.
#[derive(Debug, Serialize)]
pub struct LogInfo {
    /// The deployment's checkpoint origin.
    pub origin: String,
    /// The log key, as a note verifier key.
    pub log_key: String,
    /// The operator key (hex), which signs genesis entries.
    pub operator_key: String,
    /// The witness policy (`--witness-policy`); `null` when the deployment has none.
    pub witness_policy: Option<WitnessPolicyInfo>,
}

/// The deployment's witness policy as published: who cosigns its checkpoints, the quorum
/// a checkpoint must meet, and the policy file itself (C2SP tlog-policy).
#[derive(Debug, Serialize)]
pub struct WitnessPolicyInfo {
    /// The witnesses, in file order.
    pub witnesses: Vec<WitnessInfo>,
    /// The groups, in file order.
    pub groups: Vec<WitnessGroupInfo>,
    /// The quorum: a witness's or group's name, or `none`.
    pub quorum: String,
    /// The policy file's text, as the server read it.
    pub policy: String,
}

/// One witness of the policy.
#[derive(Debug, Serialize)]
pub struct WitnessInfo {
    /// Its name in the policy.
    pub name: String,
    /// Its witness key (C2SP vkey, type 0x04).
    pub vkey: String,
    /// Its tlog-witness URL prefix.
    pub url: Option<String>,
}

impl WitnessInfo {
    /// Every witness of `setup`'s policy, in file order.
    pub fn all_of(setup: &crate::witnesses::WitnessSetup) -> Vec<WitnessInfo> {
        setup
            .witnesses()
            .iter()
            .map(|w| WitnessInfo {
                name: w.name.clone(),
                vkey: w.key.to_vkey(),
                url: w.url.clone(),
            })
            .collect()
    }
}

/// One group of the policy.
#[derive(Debug, Serialize)]
pub struct WitnessGroupInfo {
    /// Its name.
    pub name: String,
    /// `all`, `any` or the number of members needed.
    pub threshold: String,
    /// Its members' names.
    pub members: Vec<String>,
}

impl WitnessPolicyInfo {
    /// The policy as `verify.js` takes it (`ledgerVerify.verifyWitnesses`): `logs` (their
    /// vkeys), `witnesses` (name, vkey), `groups` (name, threshold, members) and
    /// `quorum`, as JSON.
    pub fn js_policy(setup: &crate::witnesses::WitnessSetup) -> String {
        setup.policy.reader_json().to_string()
    }

    /// The published form of `setup`.
    pub fn of(setup: &crate::witnesses::WitnessSetup) -> WitnessPolicyInfo {
        use ledger_core::witness_policy::{Quorum, QUORUM_NONE};
        let p = &setup.policy;
        WitnessPolicyInfo {
            witnesses: WitnessInfo::all_of(setup),
            groups: p
                .groups()
                .iter()
                .map(|g| WitnessGroupInfo {
                    name: g.name.clone(),
                    threshold: g.threshold.to_string(),
                    members: g.members.clone(),
                })
                .collect(),
            quorum: match p.quorum() {
                Quorum::None => QUORUM_NONE.to_owned(),
                Quorum::Name(n) => n.clone(),
            },
            policy: setup.text.clone(),
        }
    }
}

/// A fund as listed: its names from the genesis, size, head and balance.
#[derive(Debug, Serialize)]
pub struct FundSummary {
    /// Fund id.
    pub id: String,
    /// Chinese name (from the genesis).
    pub name: Option<ShortText>,
    /// English name.
    pub name_en: Option<ShortText>,
    /// Street.
    pub street: Option<ShortText>,
    /// Community.
    pub community: Option<ShortText>,
    /// Entries in the log (`null` for a damaged fund).
    pub size: Option<u64>,
    /// Head hash: the log's last entry's (`null` for a damaged fund).
    pub head: Option<Hash>,
    /// Balance after the last entry, `"1234.56"` (`null` for a damaged fund).
    pub balance: Option<String>,
    /// When the last entry was recorded.
    pub last_recorded_at: Option<String>,
    /// `ok`, or `damaged`: quarantined, its reads and writes refused (`fund_damaged`).
    pub status: &'static str,
    /// Why it is damaged (`null` when `ok`).
    pub damage: Option<String>,
}

impl FundSummary {
    /// The summary of a quarantined fund: its id, status and reason, nothing its rows say.
    pub fn damaged(id: &str, reason: &str) -> Self {
        FundSummary {
            id: id.to_owned(),
            name: None,
            name_en: None,
            street: None,
            community: None,
            size: None,
            head: None,
            balance: None,
            last_recorded_at: None,
            status: "damaged",
            damage: Some(reason.to_owned()),
        }
    }

    /// The summary of `fund`, from its genesis body and its last entry.
    pub fn new(fund: &FundRow, genesis: Option<&Genesis>, last: Option<&EntryRow>) -> Self {
        FundSummary {
            id: fund.id.clone(),
            name: genesis.map(|g| g.name.clone()),
            name_en: genesis.map(|g| g.name_en.clone()),
            street: genesis.map(|g| g.street.clone()),
            community: genesis.map(|g| g.community.clone()),
            size: Some(fund.size),
            head: Some(fund.head_hash),
            balance: Some(money_text(last.map_or(0, |e| e.balance_fen))),
            last_recorded_at: last.map(|e| e.recorded_at.clone()),
            status: "ok",
            damage: None,
        }
    }
}

/// `GET /api/v1/funds`.
#[derive(Debug, Serialize)]
pub struct FundList {
    /// Every fund, by id.
    pub funds: Vec<FundSummary>,
}

/// One stored entry with its figures.
#[derive(Debug, Serialize)]
pub struct EntryView {
    /// Position in the log.
    pub seq: u64,
    /// Entry hash.
    pub hash: Hash,
    /// Kind.
    pub kind: Kind,
    /// When recorded.
    pub recorded_at: String,
    /// Balance change, `"-5.00"`.
    pub delta: String,
    /// Balance after.
    pub balance: String,
    /// The entry itself, as signed and chained.
    pub entry: serde_json::Value,
}

impl EntryView {
    /// The view of a stored entry (its bytes read with the typed parse).
    pub fn of(row: &EntryRow) -> Result<Self, StoreError> {
        let entry = parse_row(row)?;
        Ok(EntryView {
            seq: row.seq,
            hash: row.hash,
            kind: entry.intent.body.kind(),
            recorded_at: row.recorded_at.clone(),
            delta: money_text(row.delta_fen),
            balance: money_text(row.balance_fen),
            entry: entry.to_value(),
        })
    }
}

/// `GET /api/v1/funds/{fund}/entries`: one page.
#[derive(Debug, Serialize)]
pub struct EntryPage {
    /// The page's entries, by seq.
    pub entries: Vec<EntryView>,
    /// Seq to ask for next (absent when the page is empty).
    pub next: Option<u64>,
}

/// `GET …/proofs/inclusion`.
#[derive(Debug, Serialize)]
pub struct InclusionProof {
    /// Entry seq.
    pub seq: u64,
    /// Tree size the proof is for.
    pub tree_size: u64,
    /// The entry's leaf hash.
    pub leaf_hash: Hash,
    /// Root at `tree_size`.
    pub root: Hash,
    /// Audit path, leaf to root.
    pub proof: Vec<Hash>,
}

/// `GET …/proofs/consistency`.
#[derive(Debug, Serialize)]
pub struct ConsistencyProof {
    /// Older size.
    pub from: u64,
    /// Newer size.
    pub to: u64,
    /// Root at `from`.
    pub root_from: Hash,
    /// Root at `to`.
    pub root_to: Hash,
    /// Consistency path.
    pub proof: Vec<Hash>,
}

/// A signer of an entry or a proposal, with the trustee name registered for the key.
#[derive(Debug, Serialize)]
pub struct Signer {
    /// Public key (hex).
    pub key: PublicKey,
    /// Trustee name, if the key was ever a trustee of the fund.
    pub name: Option<String>,
}

impl Signer {
    /// The signers of `sigs`, named from `names`.
    pub fn list(sigs: &[Sig], names: &BTreeMap<PublicKey, String>) -> Vec<Signer> {
        sigs.iter()
            .map(|s| Signer {
                key: s.key,
                name: names.get(&s.key).cloned(),
            })
            .collect()
    }
}

/// `GET …/statements/draft`: a statement body for trustees to sign.
#[derive(Debug, Serialize)]
pub struct StatementDraft {
    /// Fund id.
    pub fund: String,
    /// Always [`Kind::Statement`].
    pub kind: Kind,
    /// The statement's figures.
    pub body: Body,
    /// Signatures the statement needs.
    pub required_signatures: u32,
}

/// A signed statement and who signed it.
#[derive(Debug, Serialize)]
pub struct StatementView {
    /// Seq of the statement entry.
    pub seq: u64,
    /// Its hash.
    pub hash: Hash,
    /// When recorded.
    pub recorded_at: String,
    /// The statement's figures.
    pub statement: Statement,
    /// Its signers.
    pub signed_by: Vec<Signer>,
}

impl StatementView {
    /// The view of a stored statement entry.
    pub fn of(row: &EntryRow, names: &BTreeMap<PublicKey, String>) -> Result<Self, StoreError> {
        let entry = parse_row(row)?;
        let Body::Statement(statement) = entry.intent.body else {
            return Err(not_a_statement(row, &entry.intent.body));
        };
        Ok(StatementView {
            seq: row.seq,
            hash: row.hash,
            recorded_at: row.recorded_at.clone(),
            statement,
            signed_by: Signer::list(&entry.sigs, names),
        })
    }
}

/// `GET …/statements`: one page, oldest first.
#[derive(Debug, Serialize)]
pub struct StatementList {
    /// The statements.
    pub statements: Vec<StatementView>,
    /// Seq to ask for next when the page was full.
    pub next: Option<u64>,
}

/// A proposal and its signatures so far.
#[derive(Debug, Serialize)]
pub struct ProposalView {
    /// Proposal id.
    pub id: String,
    /// Fund id.
    pub fund: String,
    /// The intent's kind.
    pub kind: Kind,
    /// The intent's idempotency key.
    pub key: String,
    /// `open`, `appended`, `refused` or `expired` (an open one past its time).
    pub status: &'static str,
    /// The canonical intent, as proposed.
    pub intent: String,
    /// The intent's body.
    pub body: Body,
    /// Who signed so far.
    pub signed_by: Vec<Signer>,
    /// The signatures so far.
    pub sigs: Vec<Sig>,
    /// Credential id of the proposer.
    pub proposed_by: String,
    /// When proposed.
    pub created_at: String,
    /// When it lapses.
    pub expires_at: String,
    /// The entry, once appended.
    pub seq: Option<u64>,
    /// The refusing rule's code.
    pub refusal: Option<String>,
    /// What it records, in plain words.
    pub summary: crate::summary::Summary,
    /// The proposer's credential label (in listings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposer: Option<String>,
    /// Signatures its kind needs under the fund's policy now (in listings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signatures_needed: Option<u32>,
    /// Signatures still missing for the quorum (in listings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<u32>,
}

impl ProposalView {
    /// The view of a stored proposal; `expired` tells an open proposal past its time.
    pub fn of(
        p: &ProposalRow,
        names: &BTreeMap<PublicKey, String>,
        expired: bool,
    ) -> Result<Self, StoreError> {
        let corrupt = |what: ProposalFault| {
            StoreError::from(Corruption::Proposal {
                id: p.id.clone(),
                what,
            })
        };
        let sigs: Vec<Sig> =
            serde_json::from_str(&p.sigs).map_err(|e| corrupt(ProposalFault::Signatures(e)))?;
        let intent = Intent::from_canonical_bytes(p.intent.as_bytes())
            .map_err(|e| corrupt(ProposalFault::Intent(e)))?;
        Ok(ProposalView {
            id: p.id.clone(),
            fund: p.fund.clone(),
            kind: intent.body.kind(),
            key: p.idem_key.clone(),
            status: if expired {
                "expired"
            } else {
                p.status.as_str()
            },
            intent: p.intent.clone(),
            signed_by: Signer::list(&sigs, names),
            sigs,
            proposed_by: p.proposed_by.clone(),
            created_at: p.created_at.clone(),
            expires_at: p.expires_at.clone(),
            seq: p.seq,
            refusal: p.refusal.clone(),
            summary: crate::summary::summary(&intent.body),
            body: intent.body,
            proposer: None,
            signatures_needed: None,
            missing: None,
        })
    }
}

/// The answer to proposing or co-signing: the proposal, and the entry once appended.
#[derive(Debug, Serialize)]
pub struct ProposalAnswer {
    /// The proposal as it now stands.
    pub proposal: ProposalView,
    /// The appended entry, when the quorum was met.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<EntryView>,
}

/// `GET …/proposals`.
#[derive(Debug, Serialize)]
pub struct ProposalList {
    /// The fund's proposals.
    pub proposals: Vec<ProposalView>,
}

/// A credential as shown to the operator: never its token, except once when issued.
#[derive(Debug, Serialize)]
pub struct CredentialView {
    /// Public id.
    pub id: String,
    /// `operator`, `trustee` or `auditor`.
    pub role: &'static str,
    /// The fund of a trustee credential.
    pub fund: Option<String>,
    /// Who or what it is for.
    pub label: String,
    /// When issued.
    pub created_at: String,
    /// When revoked, if it was.
    pub revoked_at: Option<String>,
    /// The bearer token: only in the answer that issues it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl CredentialView {
    /// The view of a credential, without its token.
    pub fn of(c: &Credential) -> Self {
        CredentialView {
            id: c.id.clone(),
            role: c.role.as_str(),
            fund: c.fund.clone(),
            label: c.label.clone(),
            created_at: c.created_at.clone(),
            revoked_at: c.revoked_at.clone(),
            token: None,
        }
    }
}

/// `GET /api/v1/credentials`.
#[derive(Debug, Serialize)]
pub struct CredentialList {
    /// Every credential.
    pub credentials: Vec<CredentialView>,
}

/// A donor's identity from the vault (auditors only).
#[derive(Debug, Serialize)]
pub struct VaultView {
    /// Fund id.
    pub fund: String,
    /// Seq of the donation.
    pub seq: u64,
    /// The commitment's salt (hex).
    pub salt: String,
    /// Name.
    pub name: String,
    /// Phone.
    pub phone: String,
}

impl VaultView {
    /// The view of a vault row of `fund`.
    pub fn of(fund: &str, r: &VaultRow) -> Self {
        let (name, phone) = r.identity.split_once('\n').unwrap_or((&r.identity, ""));
        VaultView {
            fund: fund.to_owned(),
            seq: r.seq,
            salt: hex::encode(r.salt),
            name: name.to_owned(),
            phone: phone.to_owned(),
        }
    }
}

/// `GET …/vault`: one page of donor identities.
#[derive(Debug, Serialize)]
pub struct VaultPage {
    /// The identities, by seq.
    pub donors: Vec<VaultView>,
    /// Seq to ask for next when the page was full.
    pub next: Option<u64>,
}

// ---- residents' pages (texts already in the reader's language) ----

/// `/`: every fund.
#[derive(Debug, Serialize)]
pub struct OverviewPage {
    /// The funds, by id.
    pub funds: Vec<OverviewFund>,
    /// How many.
    pub count: usize,
    /// Sum of their balances, `¥…`.
    pub total: String,
}

/// A fund on the overview.
#[derive(Debug, Serialize)]
pub struct OverviewFund {
    /// Fund id.
    pub id: String,
    /// Name in the reader's language.
    pub name: String,
    /// Street.
    pub street: Option<ShortText>,
    /// Community.
    pub community: Option<ShortText>,
    /// Entries.
    pub size: u64,
    /// Balance, `¥…`.
    pub balance: String,
    /// The latest signed statement, if any.
    pub last_statement: Option<LastStatement>,
    /// Quarantined: its rows disagree with its log (nothing of it is shown).
    pub damaged: bool,
}

/// The latest statement of a fund, on the overview.
#[derive(Debug, Serialize)]
pub struct LastStatement {
    /// Its seq.
    pub seq: u64,
    /// Last day covered.
    pub to: Date,
    /// Local date recorded.
    pub recorded: String,
}

/// `/funds/{fund}`.
#[derive(Debug, Serialize)]
pub struct FundPage {
    /// Fund id.
    pub id: String,
    /// Name in the reader's language.
    pub name: String,
    /// Street.
    pub street: Option<ShortText>,
    /// Community.
    pub community: Option<ShortText>,
    /// Entries.
    pub size: u64,
    /// Balance, `¥…`.
    pub balance: String,
    /// The latest signed statement.
    pub statement: Option<StatementFigures>,
    /// Count and sum per monetary kind.
    pub totals: Vec<KindTotalLine>,
    /// Month-end balance chart (inline SVG).
    pub chart: String,
    /// Recent entries, newest first.
    pub recent: Vec<EntryLine>,
    /// Newest seq of the older page.
    pub older: Option<u64>,
    /// Newest seq of the newer page.
    pub newer: Option<u64>,
    /// Revenue-share agreements.
    pub agreements: Vec<AgreementLine>,
    /// Spaces for rent.
    pub spaces: Vec<SpaceLine>,
    /// Trustees named in the genesis.
    pub founding_trustees: Vec<ShortText>,
    /// Who witnessed the checkpoint the statement is in (with a witness policy).
    pub witnessing: Option<WitnessingView>,
    /// Current supervisors (监督员), by name.
    pub supervisors: Vec<String>,
    /// The host charity (托管慈善组织), when the log names one.
    pub host: Option<HostLine>,
    /// Every correction (更正说明) of the fund, oldest first, each with the statements it
    /// changes.
    pub corrections: Vec<CorrectionLine>,
}

/// The host charity as the fund page prints it.
#[derive(Debug, Serialize)]
pub struct HostLine {
    /// Registered name.
    pub name: String,
    /// Unified social credit code.
    pub uscc: Uscc,
}

/// A correction: a reversal that carries a 更正说明, shown beside every statement that
/// covered the entry it corrects.
#[derive(Debug, Clone, Serialize)]
pub struct CorrectionLine {
    /// Seq of the reversal.
    pub seq: u64,
    /// Local date it was recorded.
    pub date: String,
    /// Seq of the entry it corrects (the reversed one).
    pub corrects: u64,
    /// The 更正说明.
    pub note: String,
    /// Statements whose period covered the corrected entry.
    pub statements: Vec<u64>,
}

/// A supervisor's opinion on a statement, as the pages print it.
#[derive(Debug, Clone, Serialize)]
pub struct OpinionLine {
    /// Seq of the opinion.
    pub seq: u64,
    /// Local date it was recorded.
    pub date: String,
    /// The supervisors who signed it, by name.
    pub supervisors: Vec<NamedSigner>,
    /// Whether they agree.
    pub agree: bool,
    /// 同意 / 不同意 in the reader's language.
    pub verdict: String,
    /// Their reasons.
    pub reasons: Option<String>,
}

/// A statement's figures as the pages print them.
#[derive(Debug, Serialize)]
pub struct StatementFigures {
    /// Seq of the statement entry.
    pub seq: u64,
    /// Its hash.
    pub hash: Hash,
    /// Local date recorded.
    pub recorded: String,
    /// When recorded (UTC).
    pub recorded_at: String,
    /// First day covered.
    pub from: Date,
    /// Last day covered.
    pub to: Date,
    /// Opening balance, `¥…`.
    pub opening: String,
    /// Donations.
    pub donation: String,
    /// Revenue shares.
    pub revenue_share: String,
    /// Rentals.
    pub rental: String,
    /// Disbursements.
    pub disbursement: String,
    /// Net effect of reversals.
    pub reversals: String,
    /// Closing balance.
    pub closing: String,
    /// Entries in the period.
    pub count: u64,
    /// Last seq in the period.
    pub through_seq: u64,
    /// Tree size the root is of.
    pub tree_size: u64,
    /// Merkle root at `tree_size`.
    pub root: Hash,
    /// Who signed.
    pub signers: Vec<NamedSigner>,
    /// The statement this corrected one supersedes.
    pub supersedes: Option<u64>,
    /// The corrected statement that supersedes this one.
    pub superseded_by: Option<u64>,
    /// Corrections of entries in this statement's period (更正说明).
    pub corrections: Vec<CorrectionLine>,
    /// Supervisors' opinions on this statement.
    pub opinions: Vec<OpinionLine>,
    /// A two-column statement's (version 2) 非限定性 / 限定性 figures; `None` for the
    /// first version.
    pub columns: Option<StatementColumns>,
}

/// The rows of a two-column statement (FORMAT.md §6), each as `[非限定性, 限定性, 合计]`
/// in `¥…` (`—` where a column has no such figure).
#[derive(Debug, Serialize)]
pub struct StatementColumns {
    /// Opening balances.
    pub opening: [String; 3],
    /// Donations.
    pub donation: [String; 3],
    /// Revenue shares.
    pub revenue_share: [String; 3],
    /// Rentals.
    pub rental: [String; 3],
    /// Disbursements.
    pub disbursement: [String; 3],
    /// Reversals.
    pub reversals: [String; 3],
    /// 限定性净资产转为非限定性净资产 (+ in the unrestricted column, − in the restricted).
    pub releases: [String; 3],
    /// Closing balances.
    pub closing: [String; 3],
}

/// A signer on a page: the trustee's name, or "unknown signer" in the reader's language.
#[derive(Debug, Clone, Serialize)]
pub struct NamedSigner {
    /// Public key (hex).
    pub key: PublicKey,
    /// Name.
    pub name: String,
}

/// Count and sum of one kind of entry.
#[derive(Debug, Serialize)]
pub struct KindTotalLine {
    /// The kind, in the reader's language.
    pub kind: String,
    /// Entries of that kind.
    pub count: u64,
    /// Sum of their balance changes, `¥…`.
    pub amount: String,
}

/// An entry in the list of recent entries.
#[derive(Debug, Serialize)]
pub struct EntryLine {
    /// Seq.
    pub seq: u64,
    /// Local date recorded.
    pub date: String,
    /// Kind, in the reader's language.
    pub kind: String,
    /// The other side, as the public may see it.
    pub party: String,
    /// Balance change, `¥…`, or `—`.
    pub amount: String,
    /// `in`, `out` or `none`.
    pub direction: &'static str,
    /// Balance after, `¥…`.
    pub balance: String,
}

/// A revenue-share agreement on the fund page.
#[derive(Debug, Serialize)]
pub struct AgreementLine {
    /// Enterprise name.
    pub enterprise: ShortText,
    /// Its unified social credit code.
    pub uscc: Uscc,
    /// Revenue or profit, in the reader's language.
    pub basis: String,
    /// Share rate, `12.5%`.
    pub rate: String,
    /// Fixed monthly fee, `¥…`, or `—`.
    pub fixed_monthly: String,
    /// First day.
    pub start: Date,
    /// Last day, if it ends.
    pub end: Option<Date>,
    /// The venture.
    pub venture: ShortText,
}

/// A space for rent on the fund page.
#[derive(Debug, Serialize)]
pub struct SpaceLine {
    /// Name.
    pub name: ShortText,
    /// Kind of space, in the reader's language.
    pub kind: String,
    /// Price per hour, `¥…`.
    pub hourly_rate: String,
    /// Weekly hours kept for the community, `周六 09:00–12:00`.
    pub community_hours: Vec<String>,
}

/// `/funds/{fund}/statements/{seq}`: a printable statement.
#[derive(Debug, Serialize)]
pub struct StatementPage {
    /// Fund id.
    pub id: String,
    /// Fund name in the reader's language.
    pub name: String,
    /// Street.
    pub street: Option<ShortText>,
    /// Community.
    pub community: Option<ShortText>,
    /// The statement.
    pub s: StatementFigures,
    /// Where to check it.
    pub verify_url: String,
    /// QR code of `verify_url` (inline SVG).
    pub qr: String,
    /// Who witnessed the checkpoint the statement is in (with a witness policy).
    pub witnessing: Option<WitnessingView>,
}

/// Who witnessed a fund's checkpoint, for a statement's page: what the page says, and
/// what `verify.js` needs to check it in the browser (the cosigned note, the log key, the
/// origin and the policy with the witnesses' keys, which the page also prints).
#[derive(Debug, Serialize)]
pub struct WitnessingView {
    /// The newest checkpoint that met the quorum, with its cosignatures (signed note);
    /// `None` while no checkpoint of the fund has.
    pub note: Option<String>,
    /// Its tree size.
    pub tree_size: u64,
    /// Whether it covers the statement (the statement's seq is below its size).
    pub covers: bool,
    /// "由 合兴社区居委会、郫都区民政局 见证, 2026-12-01 10:00" or its English, from the
    /// cosignatures the server verified; `None` without a witnessed checkpoint.
    pub witnessed_text: Option<String>,
    /// The policy's witnesses (name and vkey), printed so a resident can pin them.
    pub witnesses: Vec<WitnessInfo>,
    /// The log key (vkey) that signs the checkpoint.
    pub log_key: String,
    /// The checkpoint's origin.
    pub origin: String,
    /// The policy as `verify.js` takes it (JSON: logs, witnesses, groups, quorum).
    pub policy_json: String,
}

/// `/check`: what the in-browser verifier trusts.
#[derive(Debug, Serialize)]
pub struct CheckPage {
    /// The log key, as a note verifier key.
    pub log_key: String,
    /// The deployment's origin.
    pub origin: String,
    /// The witness policy as `verify.js` takes it (JSON), when the deployment has one.
    pub policy_json: Option<String>,
    /// The policy's witnesses, printed beside the site's log key.
    pub witnesses: Vec<WitnessInfo>,
}

/// An error page: the words to show, by key.
#[derive(Debug, Serialize)]
pub struct ErrorPage {
    /// Title's word key.
    pub title_key: &'static str,
    /// Text's word key.
    pub text_key: &'static str,
}

/// What every page's template gets besides its own data.
#[derive(Debug, Serialize)]
pub struct PageChrome<'a, T: Serialize> {
    /// The page's own data, at the top level of the context.
    #[serde(flatten)]
    pub page: &'a T,
    /// Every word in the reader's language, by key.
    pub t: BTreeMap<&'static str, &'static str>,
    /// `zh` or `en`.
    pub lang: &'static str,
    /// The `lang` attribute of `<html>`.
    pub html_lang: &'static str,
    /// Link that switches language and comes back here.
    pub switch_href: String,
    /// The server runs `--demo`: every page says its data are a demo.
    pub demo: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledger_core::sample::{build, SampleSpec};
    use serde_json::Value;

    fn rows() -> Vec<EntryRow> {
        let fund = build(&SampleSpec::example("views", 7, 300, 6), "ledger.example").unwrap();
        fund.lines
            .iter()
            .map(|line| {
                let p = Entry::parse(line).unwrap();
                EntryRow {
                    seq: p.entry.seq,
                    hash: p.hash,
                    kind: p.entry.intent.body.kind().as_str().to_owned(),
                    delta_fen: -123,
                    balance_fen: 4_567,
                    recorded_at: p.entry.recorded_at.to_string(),
                    bytes: line.clone(),
                }
            })
            .collect()
    }

    /// The typed read gives exactly the JSON the stored bytes hold: the entry, its kind,
    /// and a statement's figures and signers.
    #[test]
    fn typed_views_answer_what_the_stored_bytes_say() {
        let rows = rows();
        let mut statements = 0;
        for row in &rows {
            let stored: Value = serde_json::from_slice(&row.bytes).unwrap();
            let v = serde_json::to_value(EntryView::of(row).unwrap()).unwrap();
            assert_eq!(v["entry"], stored, "entry {}", row.seq);
            assert_eq!(v["kind"], stored["intent"]["kind"], "entry {}", row.seq);
            assert_eq!(v["hash"], Value::String(row.hash.to_hex()));
            assert_eq!(
                (v["delta"].as_str(), v["balance"].as_str()),
                (Some("-1.23"), Some("45.67"))
            );
            if row.kind == Kind::Statement.as_str() {
                let s = serde_json::to_value(StatementView::of(row, &BTreeMap::new()).unwrap())
                    .unwrap();
                assert_eq!(
                    s["statement"], stored["intent"]["body"],
                    "statement {}",
                    row.seq
                );
                let keys: Vec<&Value> = stored["sigs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|g| &g["key"])
                    .collect();
                let signers: Vec<&Value> = s["signed_by"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|g| &g["key"])
                    .collect();
                assert_eq!(signers, keys);
                assert!(s["signed_by"][0]["name"].is_null());
                statements += 1;
            }
        }
        assert!(statements > 0, "the sample holds statements");
        let genesis = genesis_of(&rows[0]).unwrap();
        assert!(genesis_of(&rows[1]).is_err(), "entry 1 is no genesis");
        let stored: Value = serde_json::from_slice(&rows[0].bytes).unwrap();
        let body = &stored["intent"]["body"];
        assert_eq!(serde_json::to_value(&genesis).unwrap(), *body);
    }

    #[test]
    fn unreadable_bytes_are_a_corrupt_store() {
        let mut row = rows().swap_remove(3);
        row.bytes.push(b' ');
        assert!(matches!(EntryView::of(&row), Err(StoreError::Corrupt(_))));
    }

    #[test]
    fn money_is_written_as_the_api_documents() {
        assert_eq!(money_text(0), "0.00");
        assert_eq!(money_text(123_456), "1234.56");
        assert_eq!(money_text(-5), "-0.05");
    }
}
