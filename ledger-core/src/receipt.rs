//! Donor receipts (FORMAT.md §11): one entry, its inclusion proof and the signed
//! checkpoint it leads to, in one JSON document that anyone can check offline, with
//! nothing from the server but the receipt itself and the log key they trust.
//!
//! [`verify_receipt`] runs the checks of FORMAT.md §11 in their fixed order and stops at
//! the first that fails, so each refusal has one stable code. It reuses the pieces that
//! verify a whole export: [`Entry::parse`] for the entry line,
//! [`Checkpoint::open`] for the signed note (as `verify` does), [`verify_inclusion`] for
//! the proof, [`verify_signatures`] for the intent, and [`commitment`] for the donor.
//!
//! What a receipt proves: the log key signed a checkpoint of `tree_size` entries for the
//! origin, the entry is at `seq` in that tree, the listed keys signed its intent, and (with
//! the donor part) that the donation's commitment is to that name and phone. What it does
//! not prove: that those keys were trustees of the fund, or that the entry satisfies the
//! fund's rules. That needs the whole log (`verify`).

use serde::{Deserialize, Serialize};

use crate::body::{Body, DonorClass, Kind};
use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::donor::{commitment, identity_string, SALT_BYTES};
use crate::entry::{verify_signatures, Entry, EntryError};
use crate::error::Coded;
use crate::hash::Hash;
use crate::ids::FundId;
use crate::keys::PublicKey;
use crate::merkle::{verify_inclusion, MerkleError};
use crate::money::Amount;
use crate::note::{NoteError, NoteVerifier};
use crate::time::Instant;
use crate::witness_check::{check_checkpoint, WitnessCheckError};
use crate::witness_policy::{QuorumCheck, WitnessPolicy};

/// The `version` of every receipt this module writes and reads.
pub const RECEIPT_VERSION: &str = "community-ledger/receipt/v1";

/// Largest receipt document, in bytes, that [`parse_receipt`] reads (2 MiB: room for the
/// largest entry, escaped, and the largest signed note).
pub const RECEIPT_BYTES_MAX: usize = 2 << 20;

/// A receipt: an entry with what proves it is in the log, for a resident to keep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// [`RECEIPT_VERSION`].
    pub version: String,
    /// The checkpoint origin: `<deployment origin>/<fund id>`.
    pub origin: String,
    /// The log's C2SP verifier key (vkey) that signs checkpoints.
    pub log_key: String,
    /// The entry's canonical JSON line, exactly as in the log and the export.
    pub entry: String,
    /// The entry's seq (= its leaf index).
    pub seq: u64,
    /// Size of the tree the proof and the checkpoint are for.
    pub tree_size: u64,
    /// RFC 9162 inclusion proof of the entry in the tree of `tree_size` entries.
    pub inclusion: Vec<Hash>,
    /// The signed checkpoint note (C2SP signed note) for `tree_size`.
    pub checkpoint: String,
    /// The keys that signed the intent, with trustee names where known (names are not
    /// proven by the receipt).
    pub signers: Vec<ReceiptSigner>,
    /// The donor's salt and identity: only in the copy given to the donor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub donor: Option<ReceiptDonor>,
}

/// One key that signed the entry's intent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptSigner {
    /// The signer's public key.
    pub key: PublicKey,
    /// The trustee's name, when the server knows it (informative, not proven).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// What opens a resident donor's commitment (FORMAT.md §9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptDonor {
    /// The 16-byte salt, as 32 lowercase hex digits.
    pub salt: String,
    /// The donor's name.
    pub name: String,
    /// The donor's phone number.
    pub phone: String,
}

/// What a receipt proved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifiedReceipt {
    /// The fund the entry belongs to.
    pub fund: FundId,
    /// The entry's seq.
    pub seq: u64,
    /// The entry's kind.
    pub kind: Kind,
    /// The amount, for the kinds that carry one (donation, revenue share, rental,
    /// disbursement).
    pub amount: Option<Amount>,
    /// When the server recorded the entry.
    pub recorded_at: Instant,
    /// Size of the tree the checkpoint signs.
    pub tree_size: u64,
    /// The root hash the checkpoint signs.
    pub root: Hash,
    /// Whether the receipt's donor part opens the donation's commitment (false when there
    /// is no donor part).
    pub donor_confirmed: bool,
}

/// What is wrong with a receipt's donor part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DonorProblem {
    /// The salt is not 32 lowercase hex digits.
    SaltMalformed,
    /// The entry is not a donation by a resident with a commitment.
    NotResidentDonation,
    /// The commitment of the salt, name and phone is not the entry's.
    CommitmentMismatch,
}

/// Why a receipt is refused: one variant per check, in the order they run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiptError {
    /// The document is not a receipt (bad JSON, unknown or missing fields, bad values,
    /// too large).
    #[error("the receipt is malformed: {reason}")]
    Malformed {
        /// What the JSON parser said.
        reason: String,
    },
    /// `version` is not [`RECEIPT_VERSION`].
    #[error("unsupported receipt version {found:?} (expected {RECEIPT_VERSION})")]
    Version {
        /// The version found.
        found: String,
    },
    /// The entry line is not a canonical, well-formed entry.
    #[error("the receipt's entry is not a well-formed canonical entry: {0}")]
    Entry(EntryError),
    /// `seq` is not the entry's seq, or not below `tree_size`.
    #[error("receipt seq {seq} does not match the entry's seq {entry_seq} or is not below the tree size {tree_size}")]
    Seq {
        /// The receipt's `seq`.
        seq: u64,
        /// The entry's own `seq`.
        entry_seq: u64,
        /// The receipt's `tree_size`.
        tree_size: u64,
    },
    /// The checkpoint is not a well-formed signed note, or its body not a checkpoint.
    #[error("the receipt's checkpoint is malformed: {0}")]
    CheckpointMalformed(CheckpointError),
    /// The log key is malformed, or the checkpoint carries no valid signature by it.
    #[error("the checkpoint is not validly signed by the log key: {0}")]
    CheckpointSignature(NoteError),
    /// The checkpoint's origin is not the receipt's.
    #[error("checkpoint origin {checkpoint:?} is not the receipt's origin {receipt:?}")]
    CheckpointOrigin {
        /// The checkpoint's origin.
        checkpoint: String,
        /// The receipt's origin.
        receipt: String,
    },
    /// The checkpoint's tree size is not the receipt's.
    #[error("checkpoint tree size {checkpoint} is not the receipt's tree size {receipt}")]
    CheckpointSize {
        /// The checkpoint's tree size.
        checkpoint: u64,
        /// The receipt's tree size.
        receipt: u64,
    },
    /// The inclusion proof does not lead from the entry to the checkpoint's root.
    #[error("the inclusion proof does not lead from the entry to the checkpoint root: {0}")]
    Inclusion(MerkleError),
    /// A signature on the intent does not verify.
    #[error("a signature on the entry's intent does not verify: {0}")]
    IntentSignature(EntryError),
    /// The `signers` keys are not exactly the keys that signed the intent.
    #[error("the receipt's signers are not exactly the keys that signed the entry")]
    SignersMismatch,
    /// The entry's fund (or its intent's) is not the fund the origin names.
    #[error("the entry is for fund {entry:?}, but the origin {origin:?} names another")]
    FundMismatch {
        /// The entry's fund (or its intent's, where they differ).
        entry: String,
        /// The receipt's origin.
        origin: String,
    },
    /// The donor part does not open the entry's donor commitment.
    #[error("{}", donor_problem_en(*.0))]
    DonorCommitment(DonorProblem),
    /// Checked with a witness policy ([`verify_receipt_witnessed`]): the checkpoint does
    /// not meet it. The code is the [`WitnessCheckError`]'s.
    #[error("{0}")]
    Witness(WitnessCheckError),
}

fn donor_problem_en(p: DonorProblem) -> &'static str {
    match p {
        DonorProblem::SaltMalformed => "the donor salt is not 32 lowercase hex digits",
        DonorProblem::NotResidentDonation => {
            "the receipt has a donor part, but the entry is not a resident's donation with a commitment"
        }
        DonorProblem::CommitmentMismatch => {
            "the donor's salt, name and phone do not match the donation's commitment"
        }
    }
}

impl Coded for ReceiptError {
    fn code(&self) -> &'static str {
        match self {
            ReceiptError::Malformed { .. } => "receipt_malformed",
            ReceiptError::Version { .. } => "receipt_version",
            ReceiptError::Entry(_) => "receipt_entry",
            ReceiptError::Seq { .. } => "receipt_seq",
            ReceiptError::CheckpointMalformed(_) => "checkpoint_malformed",
            ReceiptError::CheckpointSignature(_) => "checkpoint_signature",
            ReceiptError::CheckpointOrigin { .. } => "checkpoint_origin",
            ReceiptError::CheckpointSize { .. } => "checkpoint_size",
            ReceiptError::Inclusion(_) => "inclusion_proof",
            ReceiptError::IntentSignature(_) => "intent_signature",
            ReceiptError::SignersMismatch => "signers_mismatch",
            ReceiptError::FundMismatch { .. } => "fund_mismatch",
            ReceiptError::DonorCommitment(_) => "donor_commitment",
            ReceiptError::Witness(e) => e.code(),
        }
    }

    fn message_en(&self) -> String {
        self.to_string()
    }

    fn message_zh(&self) -> String {
        match self {
            ReceiptError::Malformed { reason } => format!("收据格式错误：{reason}"),
            ReceiptError::Version { found } => {
                format!("不支持的收据版本 {found:?}（应为 {RECEIPT_VERSION}）")
            }
            ReceiptError::Entry(e) => {
                format!("收据中的条目不是格式正确的规范条目：{}", e.message_zh())
            }
            ReceiptError::Seq {
                seq,
                entry_seq,
                tree_size,
            } => format!("收据序号 {seq} 与条目序号 {entry_seq} 不符，或不小于树大小 {tree_size}"),
            ReceiptError::CheckpointMalformed(e) => {
                format!("收据中的检查点格式错误：{}", e.message_zh())
            }
            ReceiptError::CheckpointSignature(e) => {
                format!("检查点没有日志公钥的有效签名：{}", e.message_zh())
            }
            ReceiptError::CheckpointOrigin {
                checkpoint,
                receipt,
            } => format!("检查点来源「{checkpoint}」与收据来源「{receipt}」不符"),
            ReceiptError::CheckpointSize {
                checkpoint,
                receipt,
            } => format!("检查点树大小 {checkpoint} 与收据树大小 {receipt} 不符"),
            ReceiptError::Inclusion(e) => {
                format!("包含证明不能从该条目推出检查点的根哈希：{}", e.message_zh())
            }
            ReceiptError::IntentSignature(e) => {
                format!("条目意图上的签名无效：{}", e.message_zh())
            }
            ReceiptError::SignersMismatch => "收据列出的签名者与条目的签名公钥不一致".into(),
            ReceiptError::FundMismatch { entry, origin } => {
                format!("条目属于基金「{entry}」，但来源「{origin}」指向另一个基金")
            }
            ReceiptError::DonorCommitment(p) => match p {
                DonorProblem::SaltMalformed => "捐赠人盐值不是 32 位小写十六进制数".into(),
                DonorProblem::NotResidentDonation => {
                    "收据含有捐赠人信息，但该条目不是带承诺值的居民捐赠".into()
                }
                DonorProblem::CommitmentMismatch => {
                    "捐赠人的盐值、姓名和电话与该捐赠的承诺值不符".into()
                }
            },
            ReceiptError::Witness(e) => e.message_zh(),
        }
    }
}

/// Parses a receipt document (any JSON spelling; unknown fields refused).
///
/// Anything that is not a receipt — bad JSON, a missing or unknown field, a hash or key
/// that does not parse, more than [`RECEIPT_BYTES_MAX`] bytes — is `receipt_malformed`.
pub fn parse_receipt(json: &[u8]) -> Result<Receipt, ReceiptError> {
    if json.len() > RECEIPT_BYTES_MAX {
        return Err(ReceiptError::Malformed {
            reason: format!("{} bytes; the limit is {RECEIPT_BYTES_MAX}", json.len()),
        });
    }
    serde_json::from_slice(json).map_err(|e| ReceiptError::Malformed {
        reason: e.to_string(),
    })
}

/// Verifies a receipt: every check of FORMAT.md §11, in order; the first failure is
/// returned.
///
/// The log key is taken from the receipt: whoever checks a receipt should also compare
/// `r.log_key` with the key they trust for the deployment (it is published, and is in
/// every export header).
pub fn verify_receipt(r: &Receipt) -> Result<VerifiedReceipt, ReceiptError> {
    // 1. version
    if r.version != RECEIPT_VERSION {
        return Err(ReceiptError::Version {
            found: r.version.clone(),
        });
    }
    // 2. entry: canonical, well-formed (the same parse as every export line)
    let parsed = Entry::parse(r.entry.as_bytes()).map_err(ReceiptError::Entry)?;
    let entry = &parsed.entry;
    // 3. seq
    if entry.seq != r.seq || r.seq >= r.tree_size {
        return Err(ReceiptError::Seq {
            seq: r.seq,
            entry_seq: entry.seq,
            tree_size: r.tree_size,
        });
    }
    // 4. checkpoint: signed by the log key (as `verify` checks an export's), origin, size
    let checkpoint = open_checkpoint(&r.checkpoint, &r.log_key)?;
    if checkpoint.origin != r.origin {
        return Err(ReceiptError::CheckpointOrigin {
            checkpoint: checkpoint.origin,
            receipt: r.origin.clone(),
        });
    }
    if checkpoint.tree_size != r.tree_size {
        return Err(ReceiptError::CheckpointSize {
            checkpoint: checkpoint.tree_size,
            receipt: r.tree_size,
        });
    }
    // 5. inclusion: from the entry's leaf hash to the signed root
    verify_inclusion(
        &parsed.hash,
        r.seq,
        r.tree_size,
        &r.inclusion,
        &checkpoint.root,
    )
    .map_err(ReceiptError::Inclusion)?;
    // 6. intent signatures
    verify_signatures(&entry.sigs, &parsed.intent_bytes).map_err(ReceiptError::IntentSignature)?;
    // 7. signers = the keys of the signatures, as sets, each listed once
    let mut listed: Vec<PublicKey> = r.signers.iter().map(|s| s.key).collect();
    listed.sort();
    let signed: Vec<PublicKey> = entry.sigs.iter().map(|s| s.key).collect();
    // `Entry::parse` refuses unsorted or repeated signature keys, so `signed` is sorted
    // and distinct; equality with the sorted list also refuses a key listed twice.
    if listed != signed {
        return Err(ReceiptError::SignersMismatch);
    }
    // 8. fund: the entry's and its intent's are the origin's last path segment
    let origin_fund = r.origin.rsplit_once('/').map(|(_, fund)| fund);
    for fund in [&entry.fund, &entry.intent.fund] {
        if origin_fund != Some(fund.as_str()) {
            return Err(ReceiptError::FundMismatch {
                entry: fund.as_str().to_owned(),
                origin: r.origin.clone(),
            });
        }
    }
    // 9. donor
    let donor_confirmed = match &r.donor {
        None => false,
        Some(d) => {
            check_donor(&entry.intent.body, d).map_err(ReceiptError::DonorCommitment)?;
            true
        }
    };
    Ok(VerifiedReceipt {
        fund: entry.fund.clone(),
        seq: entry.seq,
        kind: entry.intent.kind(),
        amount: amount_of(&entry.intent.body),
        recorded_at: entry.recorded_at,
        tree_size: checkpoint.tree_size,
        root: checkpoint.root,
        donor_confirmed,
    })
}

/// Verifies a receipt as [`verify_receipt`] does, then, as a last check (FORMAT.md §11.2
/// step 10), that its checkpoint meets the witness `policy`
/// ([`check_checkpoint`]: the log key is a policy log for the origin, and the witnesses'
/// cosignatures meet the quorum). Returns what the receipt proved and who witnessed it.
pub fn verify_receipt_witnessed(
    r: &Receipt,
    policy: &WitnessPolicy,
) -> Result<(VerifiedReceipt, QuorumCheck), ReceiptError> {
    let ok = verify_receipt(r)?;
    // `verify_receipt` opened the checkpoint with this key, so it parses.
    let key = NoteVerifier::from_vkey(&r.log_key).map_err(ReceiptError::CheckpointSignature)?;
    let witnessed =
        check_checkpoint(policy, &r.checkpoint, &key, &r.origin).map_err(ReceiptError::Witness)?;
    Ok((ok, witnessed))
}

/// Opens the checkpoint note with the log key through [`Checkpoint::open`], the path
/// `verify` takes for an export's checkpoint, and sorts its refusals into
/// `checkpoint_signature` (the key, or the signature) and `checkpoint_malformed` (the
/// note's shape, or the checkpoint body).
fn open_checkpoint(note: &str, log_key: &str) -> Result<Checkpoint, ReceiptError> {
    let key = NoteVerifier::from_vkey(log_key).map_err(ReceiptError::CheckpointSignature)?;
    Checkpoint::open(note, &key).map_err(|e| match e {
        CheckpointError::Note(n) if e.is_signature() => ReceiptError::CheckpointSignature(n),
        other => ReceiptError::CheckpointMalformed(other),
    })
}

/// Checks that the donor part opens the commitment of a resident's donation.
fn check_donor(body: &Body, donor: &ReceiptDonor) -> Result<(), DonorProblem> {
    let salt = parse_salt(&donor.salt).ok_or(DonorProblem::SaltMalformed)?;
    let stated = match body {
        Body::Donation(d) if d.donor.class == DonorClass::Resident => d.donor.commitment,
        _ => None,
    }
    .ok_or(DonorProblem::NotResidentDonation)?;
    if commitment(&salt, &identity_string(&donor.name, &donor.phone)) != stated {
        return Err(DonorProblem::CommitmentMismatch);
    }
    Ok(())
}

/// Exactly 32 lowercase hex digits.
fn parse_salt(s: &str) -> Option<[u8; SALT_BYTES]> {
    if s.len() != 2 * SALT_BYTES
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    let mut salt = [0u8; SALT_BYTES];
    hex::decode_to_slice(s, &mut salt).ok()?;
    Some(salt)
}

/// The amount of the kinds that carry one.
fn amount_of(body: &Body) -> Option<Amount> {
    match body {
        Body::Donation(d) => Some(d.amount),
        Body::RevenueShare(r) => Some(r.amount),
        Body::Rental(r) => Some(r.amount),
        Body::Disbursement(d) => Some(d.amount),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salt_is_strict_lowercase_hex() {
        assert_eq!(parse_salt(&"ab".repeat(16)), Some([0xab; 16]));
        assert_eq!(parse_salt(&"AB".repeat(16)), None);
        assert_eq!(parse_salt(&"ab".repeat(15)), None);
        assert_eq!(parse_salt(&"ab".repeat(17)), None);
        assert_eq!(parse_salt(&format!("{}g", "a".repeat(31))), None);
    }

    #[test]
    fn every_error_has_its_code_and_both_messages() {
        let cases = [
            (
                ReceiptError::Malformed { reason: "x".into() },
                "receipt_malformed",
            ),
            (
                ReceiptError::Version { found: "v0".into() },
                "receipt_version",
            ),
            (
                ReceiptError::Entry(EntryError::NoSignature),
                "receipt_entry",
            ),
            (
                ReceiptError::Seq {
                    seq: 1,
                    entry_seq: 2,
                    tree_size: 3,
                },
                "receipt_seq",
            ),
            (
                ReceiptError::CheckpointMalformed(CheckpointError::Truncated),
                "checkpoint_malformed",
            ),
            (
                ReceiptError::CheckpointSignature(NoteError::InvalidPublicKey),
                "checkpoint_signature",
            ),
            (
                ReceiptError::CheckpointOrigin {
                    checkpoint: "a".into(),
                    receipt: "b".into(),
                },
                "checkpoint_origin",
            ),
            (
                ReceiptError::CheckpointSize {
                    checkpoint: 1,
                    receipt: 2,
                },
                "checkpoint_size",
            ),
            (
                ReceiptError::Inclusion(MerkleError::RootMismatch),
                "inclusion_proof",
            ),
            (
                ReceiptError::IntentSignature(EntryError::BadSignature("k".into())),
                "intent_signature",
            ),
            (ReceiptError::SignersMismatch, "signers_mismatch"),
            (
                ReceiptError::FundMismatch {
                    entry: "a".into(),
                    origin: "o/b".into(),
                },
                "fund_mismatch",
            ),
            (
                ReceiptError::DonorCommitment(DonorProblem::SaltMalformed),
                "donor_commitment",
            ),
            (
                ReceiptError::DonorCommitment(DonorProblem::NotResidentDonation),
                "donor_commitment",
            ),
            (
                ReceiptError::DonorCommitment(DonorProblem::CommitmentMismatch),
                "donor_commitment",
            ),
            (
                ReceiptError::Witness(WitnessCheckError::QuorumNotMet {
                    witnessed: vec![],
                    missing: vec!["witness A".into()],
                }),
                "witness_quorum_not_met",
            ),
        ];
        for (e, code) in cases {
            assert_eq!(e.code(), code);
            assert!(!e.message_en().is_empty() && !e.message_zh().is_empty());
        }
    }

    #[test]
    fn malformed_json_is_receipt_malformed() {
        for doc in [&b"{"[..], b"[]", b"{\"version\":1}", b"null"] {
            let e = parse_receipt(doc).unwrap_err();
            assert_eq!(e.code(), "receipt_malformed", "{doc:?}");
        }
        let big = vec![b' '; RECEIPT_BYTES_MAX + 1];
        assert_eq!(parse_receipt(&big).unwrap_err().code(), "receipt_malformed");
    }
}
