//! Readers' witness check (FORMAT.md §13): does a log-signed checkpoint meet a witness
//! policy? One function, [`check_checkpoint`], shared by `ledger-verify --policy` (an
//! export's checkpoint) and receipt verification ([`crate::receipt`]), so both refuse
//! with the same codes.
//!
//! The checkpoint must already be open under the log key (§8): this module checks that
//! the key is one of the policy's logs and that its key name *corresponds* to the
//! checkpoint's origin, then that the witnesses' cosignatures meet the quorum.

use crate::error::Coded;
use crate::note::{NoteError, NoteVerifier};
use crate::witness_policy::{Quorum, QuorumCheck, WitnessPolicy};

/// Whether a policy `log` line whose key is named `log_name` corresponds to the
/// checkpoint origin `origin`: the origin is the name itself, or `<name>/<fund id>` (one
/// more non-empty path segment). This is how this deployment reads tlog-policy's "MUST
/// correspond": one log key, named for the deployment origin, signs every fund's
/// checkpoints (FORMAT.md §13).
pub fn origin_corresponds(log_name: &str, origin: &str) -> bool {
    origin == log_name
        || origin
            .strip_prefix(log_name)
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(|fund| !fund.is_empty() && !fund.contains('/'))
}

/// Why a checkpoint does not meet a witness policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WitnessCheckError {
    /// The log key is not one of the policy's logs, or its name does not correspond to
    /// the checkpoint origin.
    #[error("{}", policy_log_en(log_key, origin, *listed))]
    PolicyLogMismatch {
        /// The log key (vkey) that signed the checkpoint.
        log_key: String,
        /// The checkpoint's origin.
        origin: String,
        /// Whether the key is in the policy (then only its name does not correspond).
        listed: bool,
    },
    /// A policy witness's cosignature line does not verify; the whole note is refused.
    #[error("the cosignature by witness {name} (key id {key_id:08x}) does not verify")]
    CosignatureInvalid {
        /// The signature line's key name.
        name: String,
        /// The signature line's key id.
        key_id: u32,
    },
    /// The note's signature lines do not parse (cannot happen for a note already opened
    /// with the log key).
    #[error("the checkpoint note is malformed: {0}")]
    NoteMalformed(NoteError),
    /// The valid cosignatures do not meet the quorum.
    #[error("{}", quorum_en(witnessed, missing))]
    QuorumNotMet {
        /// The policy witnesses whose cosignatures verified, in note order.
        witnessed: Vec<String>,
        /// What is missing: each witness without a valid cosignature, and each unmet
        /// group (`group <name> needs k of n, has m`), in policy order.
        missing: Vec<String>,
    },
}

fn policy_log_en(log_key: &str, origin: &str, listed: bool) -> String {
    if listed {
        format!("the policy lists log key {log_key}, but its name does not correspond to the checkpoint origin `{origin}` (it must be the origin or `<name>/<fund>`)")
    } else {
        format!("the checkpoint of `{origin}` is signed by log key {log_key}, which the policy does not list")
    }
}

fn quorum_en(witnessed: &[String], missing: &[String]) -> String {
    format!(
        "the checkpoint does not meet the witness quorum: witnessed by {}; missing: {}",
        list_or(witnessed, "no policy witness"),
        list_or(missing, "-")
    )
}

fn list_or(items: &[String], empty: &str) -> String {
    if items.is_empty() {
        empty.to_owned()
    } else {
        items.join(", ")
    }
}

impl Coded for WitnessCheckError {
    fn code(&self) -> &'static str {
        match self {
            WitnessCheckError::PolicyLogMismatch { .. } => "policy_log_mismatch",
            WitnessCheckError::CosignatureInvalid { .. } => "witness_cosignature_invalid",
            WitnessCheckError::NoteMalformed(_) => "checkpoint_malformed",
            WitnessCheckError::QuorumNotMet { .. } => "witness_quorum_not_met",
        }
    }

    fn message_en(&self) -> String {
        self.to_string()
    }

    fn message_zh(&self) -> String {
        match self {
            WitnessCheckError::PolicyLogMismatch {
                log_key,
                origin,
                listed: true,
            } => {
                format!("见证策略列出了日志公钥 {log_key}，但其名称与检查点来源「{origin}」不对应")
            }
            WitnessCheckError::PolicyLogMismatch {
                log_key, origin, ..
            } => format!("「{origin}」的检查点由日志公钥 {log_key} 签署，见证策略中没有该公钥"),
            WitnessCheckError::CosignatureInvalid { name, key_id } => {
                format!("见证方 {name}（公钥编号 {key_id:08x}）的副署签名无效")
            }
            WitnessCheckError::NoteMalformed(e) => {
                format!("检查点格式错误：{}", e.message_zh())
            }
            WitnessCheckError::QuorumNotMet { witnessed, missing } => format!(
                "检查点未达到见证法定数：已见证 {}；缺少 {}",
                list_or(witnessed, "无"),
                list_or(missing, "-")
            ),
        }
    }
}

/// Checks a checkpoint note, already opened with `log_key` (see
/// [`crate::checkpoint::Checkpoint::open`]), against `policy`: `log_key` must be one of
/// the policy's logs with a name corresponding to `origin` ([`origin_corresponds`]), no
/// policy witness's cosignature line may fail, and the valid ones must meet the quorum.
/// Returns who witnessed it and when.
pub fn check_checkpoint(
    policy: &WitnessPolicy,
    note: &str,
    log_key: &NoteVerifier,
    origin: &str,
) -> Result<QuorumCheck, WitnessCheckError> {
    let listed = policy.logs().iter().find(|l| l.key == *log_key);
    if !listed.is_some_and(|l| origin_corresponds(l.key.name(), origin)) {
        return Err(WitnessCheckError::PolicyLogMismatch {
            log_key: log_key.to_vkey(),
            origin: origin.to_owned(),
            listed: listed.is_some(),
        });
    }
    let check = policy.check_note(note).map_err(|e| match e {
        NoteError::InvalidSignature { name, key_id } => {
            WitnessCheckError::CosignatureInvalid { name, key_id }
        }
        other => WitnessCheckError::NoteMalformed(other),
    })?;
    if !check.met {
        let witnessed: Vec<String> = check.witnessed.iter().map(|w| w.witness.clone()).collect();
        return Err(WitnessCheckError::QuorumNotMet {
            missing: missing(policy, &witnessed),
            witnessed,
        });
    }
    Ok(check)
}

/// What the quorum lacks, in policy order: each witness it reaches (through groups)
/// that has no valid cosignature, then each unmet group it reaches, saying how many
/// members that group needs and has.
fn missing(policy: &WitnessPolicy, witnessed: &[String]) -> Vec<String> {
    let Quorum::Name(quorum) = policy.quorum() else {
        return Vec::new();
    };
    // Groups only name earlier witnesses and groups: one pass in file order decides
    // each group, one pass backwards finds what the quorum reaches.
    let mut met: Vec<&str> = witnessed.iter().map(String::as_str).collect();
    let mut counts = Vec::new();
    for g in policy.groups() {
        let have = g
            .members
            .iter()
            .filter(|m| met.contains(&m.as_str()))
            .count();
        let needed = g.threshold.needed(g.members.len());
        if have >= needed {
            met.push(&g.name);
        }
        counts.push((have, needed));
    }
    let mut reached: Vec<&str> = vec![quorum];
    for g in policy.groups().iter().rev() {
        if reached.contains(&g.name.as_str()) {
            reached.extend(g.members.iter().map(String::as_str));
        }
    }
    let witnesses = policy
        .witnesses()
        .iter()
        .filter(|w| reached.contains(&w.name.as_str()) && !met.contains(&w.name.as_str()))
        .map(|w| format!("witness {}", w.name));
    let groups = policy
        .groups()
        .iter()
        .zip(counts)
        .filter(|(g, _)| reached.contains(&g.name.as_str()) && !met.contains(&g.name.as_str()))
        .map(|(g, (have, needed))| {
            format!(
                "group {} needs {needed} of {}, has {have}",
                g.name,
                g.members.len()
            )
        });
    witnesses.chain(groups).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::Checkpoint;
    use crate::cosignature::CosignerKey;
    use crate::hash::Hash;
    use crate::note::NoteSigner;
    use ed25519_dalek::SigningKey;

    fn log() -> NoteSigner {
        NoteSigner::new("ledger.example", SigningKey::from_bytes(&[7; 32])).unwrap()
    }

    fn witnesses() -> [CosignerKey; 2] {
        [
            CosignerKey::from_seed("w.example/a", &[1; 32]).unwrap(),
            CosignerKey::from_seed("w.example/b", &[2; 32]).unwrap(),
        ]
    }

    fn policy(quorum: &str) -> WitnessPolicy {
        let [a, b] = witnesses();
        WitnessPolicy::parse(&format!(
            "log {}\nwitness A {}\nwitness B {}\ngroup both all A B\nquorum {quorum}\n",
            log().verifier().to_vkey(),
            a.verifier().to_vkey(),
            b.verifier().to_vkey()
        ))
        .unwrap()
    }

    fn note(cosigners: &[&CosignerKey]) -> String {
        let cp = Checkpoint {
            origin: "ledger.example/fund-a".into(),
            tree_size: 3,
            root: Hash([9; 32]),
            extensions: vec![],
        };
        let mut note = cp.sign(&log()).unwrap();
        for c in cosigners {
            note.push_str(&c.signature_line(&cp, 1_700_000_000).unwrap());
        }
        note
    }

    /// Changes one base64 character in the middle of the note's last signature (past
    /// its key id), keeping the encoding canonical.
    fn tamper_last_line(note: &str) -> String {
        let start = note[..note.len() - 1].rfind(' ').unwrap() + 1;
        let at = start + 20;
        let c = if &note[at..at + 1] == "A" { "B" } else { "A" };
        format!("{}{c}{}", &note[..at], &note[at + 1..])
    }

    #[test]
    fn origins_correspond_to_the_name_or_one_fund_below_it() {
        assert!(origin_corresponds("ledger.example", "ledger.example"));
        assert!(origin_corresponds(
            "ledger.example",
            "ledger.example/fund-a"
        ));
        assert!(!origin_corresponds("ledger.example", "ledger.example/"));
        assert!(!origin_corresponds("ledger.example", "ledger.example/a/b"));
        assert!(!origin_corresponds("ledger.example", "ledger.examplex/a"));
        assert!(!origin_corresponds(
            "ledger.example",
            "other/ledger.example"
        ));
    }

    #[test]
    fn quorum_met_missing_tampered_and_other_log() {
        let [a, b] = witnesses();
        let key = log().verifier();
        let origin = "ledger.example/fund-a";
        let ok = check_checkpoint(&policy("both"), &note(&[&a, &b]), &key, origin).unwrap();
        assert_eq!(ok.witnessed.len(), 2);

        let e = check_checkpoint(&policy("both"), &note(&[&a]), &key, origin).unwrap_err();
        assert_eq!(e.code(), "witness_quorum_not_met");
        assert_eq!(
            e,
            WitnessCheckError::QuorumNotMet {
                witnessed: vec!["A".into()],
                missing: vec!["witness B".into(), "group both needs 2 of 2, has 1".into()],
            }
        );
        assert!(e.message_zh().contains("缺少 witness B"));

        let tampered = tamper_last_line(&note(&[&a, &b]));
        let e = check_checkpoint(&policy("both"), &tampered, &key, origin).unwrap_err();
        assert_eq!(e.code(), "witness_cosignature_invalid", "{e}");

        let other = NoteSigner::new("ledger.example", SigningKey::from_bytes(&[8; 32])).unwrap();
        let e = check_checkpoint(&policy("both"), &note(&[&a, &b]), &other.verifier(), origin)
            .unwrap_err();
        assert_eq!(e.code(), "policy_log_mismatch");
        let e = check_checkpoint(&policy("both"), &note(&[&a, &b]), &key, "elsewhere/fund-a")
            .unwrap_err();
        assert!(matches!(
            e,
            WitnessCheckError::PolicyLogMismatch { listed: true, .. }
        ));

        assert!(check_checkpoint(&policy("none"), &note(&[]), &key, origin).is_ok());
        let e = check_checkpoint(&policy("A"), &note(&[&b]), &key, origin).unwrap_err();
        assert_eq!(
            e,
            WitnessCheckError::QuorumNotMet {
                witnessed: vec!["B".into()],
                missing: vec!["witness A".into()],
            }
        );
    }
}
