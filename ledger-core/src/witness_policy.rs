//! Witness policies: the C2SP tlog-policy file format (C2SP/C2SP `tlog-policy.md`, commit
//! 1896a5a of 2026-06-22; the spec has no version tag yet) and its quorum decision.
//!
//! A policy names the logs whose checkpoints are accepted, the witnesses whose
//! cosignatures count, groups of them with a threshold, and the one quorum a checkpoint
//! must meet:
//!
//! ```text
//! # comment
//! log <vkey> [<url>]
//! witness <name> <vkey> [<url>]
//! group <name> all|any|<k> <name>...
//! quorum <name>|none
//! ```
//!
//! Fields are separated by runs of spaces and tabs; leading and trailing whitespace,
//! empty lines and `#` comment lines are ignored. Log vkeys are signed-note Ed25519
//! keys (type 0x01), witness vkeys `cosignature/v1` keys (type 0x04, see
//! [`crate::cosignature`]). Witnesses and groups share one namespace, `none` is
//! reserved, a group or the quorum may only name what earlier lines define, a group
//! lists each member at most once and has `1 <= k <= n`, no two logs and no two
//! witnesses share a public key, and there is exactly one `quorum` line.
//!
//! This reader is stricter than the text in three places, each for one spelling per
//! policy: the file must be UTF-8 (the spec treats octets over 0x7F as opaque; names
//! are still compared byte for byte), `k` is decimal without leading zeros, and a
//! line may not carry fields after its last defined one. A last line without its
//! newline is accepted.

use std::collections::BTreeMap;
use std::fmt;

use crate::cosignature::{check_lines, CosignatureError, CosignerVerifier, LineOutcome};
use crate::error::Coded;
use crate::note::{NoteError, NoteVerifier};

/// Largest policy file read, in bytes (64 KiB).
pub const POLICY_SIZE_MAX: usize = 64 * 1024;

/// Most logs, witnesses or groups (each) a policy may define. The spec recommends
/// supporting at least 32.
pub const POLICY_ITEMS_MAX: usize = 256;

/// The predefined name of the empty quorum.
pub const QUORUM_NONE: &str = "none";

/// A log a policy accepts checkpoints from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyLog {
    /// The log's key; its name is the log's origin.
    pub key: NoteVerifier,
    /// Where to reach the log, if given.
    pub url: Option<String>,
}

/// A witness a policy counts cosignatures from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyWitness {
    /// The witness's name in the policy (used by groups and the quorum only).
    pub name: String,
    /// The witness's cosigner key.
    pub key: CosignerVerifier,
    /// The witness's submission prefix URL, if given.
    pub url: Option<String>,
}

/// How many of a group's members must have witnessed a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    /// Every member (`all`).
    All,
    /// One member (`any`).
    Any,
    /// At least `k` members, `1 <= k <= n`.
    AtLeast(usize),
}

impl Threshold {
    /// The number of members needed out of `n`.
    pub fn needed(self, n: usize) -> usize {
        match self {
            Threshold::All => n,
            Threshold::Any => 1,
            Threshold::AtLeast(k) => k,
        }
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Threshold::All => f.write_str("all"),
            Threshold::Any => f.write_str("any"),
            Threshold::AtLeast(k) => write!(f, "{k}"),
        }
    }
}

/// A group of witnesses and groups with a threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyGroup {
    /// The group's name.
    pub name: String,
    /// How many members must have witnessed.
    pub threshold: Threshold,
    /// Names of witnesses and earlier groups, each once, at least one.
    pub members: Vec<String>,
}

/// The rule a checkpoint's cosignatures must meet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Quorum {
    /// `quorum none`: no cosignature is required.
    None,
    /// The named witness or group must have witnessed the checkpoint.
    Name(String),
}

/// A parsed witness policy; see the [module documentation](self). Built only by
/// [`WitnessPolicy::parse`], so every name it references is defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessPolicy {
    logs: Vec<PolicyLog>,
    witnesses: Vec<PolicyWitness>,
    groups: Vec<PolicyGroup>,
    quorum: Quorum,
}

/// What is wrong with one line of a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LineProblem {
    /// A control character other than tab and newline (or DEL).
    ControlCharacter,
    /// The first field is not `log`, `witness`, `group` or `quorum`.
    UnknownKeyword {
        /// The field found.
        keyword: String,
    },
    /// Too few or too many fields for the keyword.
    FieldCount {
        /// The form the line must have.
        usage: &'static str,
    },
    /// A log vkey that is not a signed-note Ed25519 key.
    BadLogKey(NoteError),
    /// A witness vkey that is not a `cosignature/v1` key.
    BadWitnessKey(CosignatureError),
    /// A second log with the same public key.
    DuplicateLog,
    /// A second witness with the same public key.
    DuplicateWitness,
    /// The name is already a witness or group.
    NameTaken {
        /// The name.
        name: String,
    },
    /// `none` as a witness or group name, or as a group member.
    ReservedName,
    /// A name that no earlier line defines.
    UnknownName {
        /// The name.
        name: String,
    },
    /// A group lists a member twice.
    DuplicateMember {
        /// The member.
        name: String,
    },
    /// A threshold that is not `all`, `any` or a decimal number without leading zeros.
    BadThreshold {
        /// The field found.
        field: String,
    },
    /// A numeric threshold outside `1..=n`.
    ThresholdOutOfRange {
        /// The threshold.
        k: usize,
        /// The number of members.
        n: usize,
    },
    /// A second `quorum` line.
    SecondQuorum,
    /// More than [`POLICY_ITEMS_MAX`] logs, witnesses or groups.
    TooManyItems {
        /// The limit.
        max: usize,
    },
}

impl LineProblem {
    fn code(&self) -> &'static str {
        match self {
            LineProblem::ControlCharacter => "witness_policy_control_character",
            LineProblem::UnknownKeyword { .. } => "witness_policy_unknown_keyword",
            LineProblem::FieldCount { .. } => "witness_policy_field_count",
            LineProblem::BadLogKey(_) => "witness_policy_bad_log_key",
            LineProblem::BadWitnessKey(_) => "witness_policy_bad_witness_key",
            LineProblem::DuplicateLog => "witness_policy_duplicate_log",
            LineProblem::DuplicateWitness => "witness_policy_duplicate_witness",
            LineProblem::NameTaken { .. } => "witness_policy_name_taken",
            LineProblem::ReservedName => "witness_policy_reserved_name",
            LineProblem::UnknownName { .. } => "witness_policy_unknown_name",
            LineProblem::DuplicateMember { .. } => "witness_policy_duplicate_member",
            LineProblem::BadThreshold { .. } => "witness_policy_bad_threshold",
            LineProblem::ThresholdOutOfRange { .. } => "witness_policy_threshold_out_of_range",
            LineProblem::SecondQuorum => "witness_policy_second_quorum",
            LineProblem::TooManyItems { .. } => "witness_policy_too_many_items",
        }
    }

    fn en(&self) -> String {
        match self {
            LineProblem::ControlCharacter => {
                "control character (only tab and newline are allowed)".into()
            }
            LineProblem::UnknownKeyword { keyword } => {
                format!("unknown keyword {keyword:?} (expected log, witness, group or quorum)")
            }
            LineProblem::FieldCount { usage } => format!("wrong number of fields: {usage}"),
            LineProblem::BadLogKey(e) => format!("bad log key: {}", e.message_en()),
            LineProblem::BadWitnessKey(e) => format!("bad witness key: {}", e.message_en()),
            LineProblem::DuplicateLog => "a log with this public key is already listed".into(),
            LineProblem::DuplicateWitness => {
                "a witness with this public key is already listed".into()
            }
            LineProblem::NameTaken { name } => {
                format!("{name:?} is already defined as a witness or group")
            }
            LineProblem::ReservedName => {
                "\"none\" is reserved: it may only be used as \"quorum none\"".into()
            }
            LineProblem::UnknownName { name } => {
                format!("{name:?} is not defined on an earlier line")
            }
            LineProblem::DuplicateMember { name } => {
                format!("{name:?} is listed twice in the group")
            }
            LineProblem::BadThreshold { field } => format!(
                "threshold {field:?} is not all, any or a decimal number without leading zeros"
            ),
            LineProblem::ThresholdOutOfRange { k, n } => {
                format!("threshold {k} is not between 1 and the {n} members")
            }
            LineProblem::SecondQuorum => "a second quorum line (exactly one is allowed)".into(),
            LineProblem::TooManyItems { max } => {
                format!("more than {max} logs, witnesses or groups")
            }
        }
    }

    fn zh(&self) -> String {
        match self {
            LineProblem::ControlCharacter => "含有控制字符（只允许制表符和换行符）".into(),
            LineProblem::UnknownKeyword { keyword } => {
                format!("未知关键字 {keyword:?}（应为 log、witness、group 或 quorum）")
            }
            LineProblem::FieldCount { usage } => format!("字段数目不对：应为 {usage}"),
            LineProblem::BadLogKey(e) => format!("日志公钥无效：{}", e.message_zh()),
            LineProblem::BadWitnessKey(e) => format!("见证方公钥无效：{}", e.message_zh()),
            LineProblem::DuplicateLog => "已列出使用同一公钥的日志".into(),
            LineProblem::DuplicateWitness => "已列出使用同一公钥的见证方".into(),
            LineProblem::NameTaken { name } => format!("名称 {name:?} 已被定义为见证方或分组"),
            LineProblem::ReservedName => "“none”为保留名称，只能用于“quorum none”".into(),
            LineProblem::UnknownName { name } => format!("名称 {name:?} 未在前面的行中定义"),
            LineProblem::DuplicateMember { name } => format!("分组中 {name:?} 出现了两次"),
            LineProblem::BadThreshold { field } => {
                format!("门限 {field:?} 不是 all、any 或无前导零的十进制数")
            }
            LineProblem::ThresholdOutOfRange { k, n } => {
                format!("门限 {k} 不在 1 到成员数 {n} 之间")
            }
            LineProblem::SecondQuorum => "出现第二个 quorum 行（只允许一个）".into(),
            LineProblem::TooManyItems { max } => format!("日志、见证方或分组超过 {max} 个"),
        }
    }
}

/// Why a policy is refused, or a checkpoint does not meet it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WitnessPolicyError {
    /// A line of the policy is malformed.
    #[error("witness policy line {line}: {}", problem.en())]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        problem: LineProblem,
    },
    /// The policy has no `quorum` line.
    #[error("witness policy has no quorum line")]
    NoQuorum,
    /// The policy is larger than [`POLICY_SIZE_MAX`].
    #[error("witness policy is {size} bytes, more than the limit of {max}")]
    TooLarge {
        /// Size in bytes.
        size: usize,
        /// The limit.
        max: usize,
    },
}

impl Coded for WitnessPolicyError {
    fn code(&self) -> &'static str {
        match self {
            WitnessPolicyError::Line { problem, .. } => problem.code(),
            WitnessPolicyError::NoQuorum => "witness_policy_no_quorum",
            WitnessPolicyError::TooLarge { .. } => "witness_policy_too_large",
        }
    }

    fn message_en(&self) -> String {
        self.to_string()
    }

    fn message_zh(&self) -> String {
        match self {
            WitnessPolicyError::Line { line, problem } => {
                format!("见证策略第 {line} 行：{}", problem.zh())
            }
            WitnessPolicyError::NoQuorum => "见证策略缺少 quorum 行".into(),
            WitnessPolicyError::TooLarge { size, max } => {
                format!("见证策略大小为 {size} 字节，超过上限 {max} 字节")
            }
        }
    }
}

const LOG_USAGE: &str = "log <vkey> [<url>]";
const WITNESS_USAGE: &str = "witness <name> <vkey> [<url>]";
const GROUP_USAGE: &str = "group <name> all|any|<k> <name>...";
const QUORUM_USAGE: &str = "quorum <name>";

fn is_policy_whitespace(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn parse_threshold(field: &str) -> Option<Threshold> {
    match field {
        "all" => Some(Threshold::All),
        "any" => Some(Threshold::Any),
        _ if !field.is_empty()
            && field.bytes().all(|b| b.is_ascii_digit())
            && (field == "0" || !field.starts_with('0')) =>
        {
            field.parse().ok().map(Threshold::AtLeast)
        }
        _ => None,
    }
}

/// What a name is defined as, while parsing.
#[derive(Clone, Copy)]
enum Defined {
    Witness,
    Group,
}

impl WitnessPolicy {
    /// Parses a policy file; see the [module documentation](self) for the grammar.
    /// A malformed line is refused with its 1-based number and what is wrong.
    pub fn parse(text: &str) -> Result<WitnessPolicy, WitnessPolicyError> {
        if text.len() > POLICY_SIZE_MAX {
            return Err(WitnessPolicyError::TooLarge {
                size: text.len(),
                max: POLICY_SIZE_MAX,
            });
        }
        let mut logs: Vec<PolicyLog> = Vec::new();
        let mut witnesses: Vec<PolicyWitness> = Vec::new();
        let mut groups: Vec<PolicyGroup> = Vec::new();
        let mut quorum: Option<Quorum> = None;
        let mut names: BTreeMap<String, Defined> = BTreeMap::new();
        let body = text.strip_suffix('\n').unwrap_or(text);
        for (index, line) in body.split('\n').enumerate() {
            let fail = |problem| WitnessPolicyError::Line {
                line: index + 1,
                problem,
            };
            if line
                .chars()
                .any(|c| (c < ' ' && c != '\t') || c == '\u{7f}')
            {
                return Err(fail(LineProblem::ControlCharacter));
            }
            let fields: Vec<&str> = line
                .split(is_policy_whitespace)
                .filter(|f| !f.is_empty())
                .collect();
            let Some((&keyword, args)) = fields.split_first() else {
                continue;
            };
            if keyword.starts_with('#') {
                continue;
            }
            let new_name = |name: &str| -> Result<(), WitnessPolicyError> {
                if name == QUORUM_NONE {
                    Err(fail(LineProblem::ReservedName))
                } else if names.contains_key(name) {
                    Err(fail(LineProblem::NameTaken {
                        name: name.to_string(),
                    }))
                } else {
                    Ok(())
                }
            };
            match keyword {
                "log" => {
                    let (vkey, url) = match args {
                        [vkey] => (vkey, None),
                        [vkey, url] => (vkey, Some(url.to_string())),
                        _ => return Err(fail(LineProblem::FieldCount { usage: LOG_USAGE })),
                    };
                    let key = NoteVerifier::from_vkey(vkey)
                        .map_err(|e| fail(LineProblem::BadLogKey(e)))?;
                    if logs
                        .iter()
                        .any(|l| l.key.verifying_key() == key.verifying_key())
                    {
                        return Err(fail(LineProblem::DuplicateLog));
                    }
                    if logs.len() >= POLICY_ITEMS_MAX {
                        return Err(fail(LineProblem::TooManyItems {
                            max: POLICY_ITEMS_MAX,
                        }));
                    }
                    logs.push(PolicyLog { key, url });
                }
                "witness" => {
                    let (name, vkey, url) = match args {
                        [name, vkey] => (name, vkey, None),
                        [name, vkey, url] => (name, vkey, Some(url.to_string())),
                        _ => {
                            return Err(fail(LineProblem::FieldCount {
                                usage: WITNESS_USAGE,
                            }))
                        }
                    };
                    new_name(name)?;
                    let key = CosignerVerifier::from_vkey(vkey)
                        .map_err(|e| fail(LineProblem::BadWitnessKey(e)))?;
                    if witnesses
                        .iter()
                        .any(|w| w.key.verifying_key() == key.verifying_key())
                    {
                        return Err(fail(LineProblem::DuplicateWitness));
                    }
                    if witnesses.len() >= POLICY_ITEMS_MAX {
                        return Err(fail(LineProblem::TooManyItems {
                            max: POLICY_ITEMS_MAX,
                        }));
                    }
                    names.insert(name.to_string(), Defined::Witness);
                    witnesses.push(PolicyWitness {
                        name: name.to_string(),
                        key,
                        url,
                    });
                }
                "group" => {
                    let [name, threshold, members @ ..] = args else {
                        return Err(fail(LineProblem::FieldCount { usage: GROUP_USAGE }));
                    };
                    new_name(name)?;
                    let threshold = parse_threshold(threshold).ok_or_else(|| {
                        fail(LineProblem::BadThreshold {
                            field: threshold.to_string(),
                        })
                    })?;
                    if members.is_empty() {
                        return Err(fail(LineProblem::FieldCount { usage: GROUP_USAGE }));
                    }
                    let mut listed: Vec<String> = Vec::with_capacity(members.len());
                    for &member in members {
                        if member == QUORUM_NONE {
                            return Err(fail(LineProblem::ReservedName));
                        }
                        if !names.contains_key(member) {
                            return Err(fail(LineProblem::UnknownName {
                                name: member.to_string(),
                            }));
                        }
                        if listed.iter().any(|m| m == member) {
                            return Err(fail(LineProblem::DuplicateMember {
                                name: member.to_string(),
                            }));
                        }
                        listed.push(member.to_string());
                    }
                    if let Threshold::AtLeast(k) = threshold {
                        if k == 0 || k > listed.len() {
                            return Err(fail(LineProblem::ThresholdOutOfRange {
                                k,
                                n: listed.len(),
                            }));
                        }
                    }
                    if groups.len() >= POLICY_ITEMS_MAX {
                        return Err(fail(LineProblem::TooManyItems {
                            max: POLICY_ITEMS_MAX,
                        }));
                    }
                    names.insert(name.to_string(), Defined::Group);
                    groups.push(PolicyGroup {
                        name: name.to_string(),
                        threshold,
                        members: listed,
                    });
                }
                "quorum" => {
                    let [name] = args else {
                        return Err(fail(LineProblem::FieldCount {
                            usage: QUORUM_USAGE,
                        }));
                    };
                    if quorum.is_some() {
                        return Err(fail(LineProblem::SecondQuorum));
                    }
                    quorum = Some(if *name == QUORUM_NONE {
                        Quorum::None
                    } else if names.contains_key(*name) {
                        Quorum::Name(name.to_string())
                    } else {
                        return Err(fail(LineProblem::UnknownName {
                            name: name.to_string(),
                        }));
                    });
                }
                other => {
                    return Err(fail(LineProblem::UnknownKeyword {
                        keyword: other.to_string(),
                    }))
                }
            }
        }
        let quorum = quorum.ok_or(WitnessPolicyError::NoQuorum)?;
        Ok(WitnessPolicy {
            logs,
            witnesses,
            groups,
            quorum,
        })
    }

    /// The same policy without its URLs: who is trusted and how many are needed, not
    /// where they are reached (a witness that moves is the same witness).
    pub fn without_urls(&self) -> WitnessPolicy {
        let mut p = self.clone();
        p.logs.iter_mut().for_each(|l| l.url = None);
        p.witnesses.iter_mut().for_each(|w| w.url = None);
        p
    }

    /// The logs, in file order.
    pub fn logs(&self) -> &[PolicyLog] {
        &self.logs
    }

    /// The witnesses, in file order.
    pub fn witnesses(&self) -> &[PolicyWitness] {
        &self.witnesses
    }

    /// The groups, in file order.
    pub fn groups(&self) -> &[PolicyGroup] {
        &self.groups
    }

    /// The quorum.
    pub fn quorum(&self) -> &Quorum {
        &self.quorum
    }

    /// The witnesses' cosigner keys, in file order.
    pub fn cosigners(&self) -> Vec<CosignerVerifier> {
        self.witnesses.iter().map(|w| w.key.clone()).collect()
    }

    /// Whether a checkpoint cosigned by the witnesses for which `cosigned(witness)` is
    /// true meets the quorum.
    pub fn quorum_met_by(&self, cosigned: impl Fn(&PolicyWitness) -> bool) -> bool {
        let name = match &self.quorum {
            Quorum::None => return true,
            Quorum::Name(name) => name,
        };
        // Groups only name earlier witnesses and groups: one pass in file order.
        let mut met: BTreeMap<&str, bool> = self
            .witnesses
            .iter()
            .map(|w| (w.name.as_str(), cosigned(w)))
            .collect();
        for g in &self.groups {
            let count = g
                .members
                .iter()
                .filter(|m| met.get(m.as_str()).copied().unwrap_or(false))
                .count();
            met.insert(&g.name, count >= g.threshold.needed(g.members.len()));
        }
        met.get(name.as_str()).copied().unwrap_or(false)
    }

    /// The policy as a browser verifier takes it (verify.js's `verifyWitnesses`, the
    /// `/check` page's `data-policy`): `logs` (their vkeys), `witnesses` (`name`, `vkey`,
    /// `url`), `groups` (`name`, `threshold` as written: `all`, `any` or a number,
    /// `members`) and `quorum` (a name, or `none`).
    pub fn reader_json(&self) -> serde_json::Value {
        serde_json::json!({
            "logs": self.logs.iter().map(|l| l.key.to_vkey()).collect::<Vec<_>>(),
            "witnesses": self.witnesses.iter().map(|w| serde_json::json!({
                "name": w.name, "vkey": w.key.to_vkey(), "url": w.url,
            })).collect::<Vec<_>>(),
            "groups": self.groups.iter().map(|g| serde_json::json!({
                "name": g.name, "threshold": g.threshold.to_string(), "members": g.members,
            })).collect::<Vec<_>>(),
            "quorum": match &self.quorum {
                Quorum::None => QUORUM_NONE,
                Quorum::Name(n) => n.as_str(),
            },
        })
    }

    /// Whether a checkpoint cosigned by the witnesses named (by their policy names)
    /// in `witness_names` meets the quorum. Names that are not witnesses count for
    /// nothing.
    pub fn quorum_met_by_names(&self, witness_names: &[&str]) -> bool {
        self.quorum_met_by(|w| witness_names.contains(&w.name.as_str()))
    }

    /// Checks the cosignatures on the signed checkpoint note `note` against the
    /// policy's witnesses and decides the quorum. Lines of unknown keys (the log's own
    /// signature among them) are ignored; a witness's line that fails refuses the note
    /// ([`NoteError::InvalidSignature`], as signed-note advises). The log signature is
    /// not checked here: open the checkpoint with the log key first.
    pub fn check_note(&self, note: &str) -> Result<QuorumCheck, NoteError> {
        let cosigners = self.cosigners();
        let mut witnessed: Vec<WitnessedBy> = Vec::new();
        for line in check_lines(note, &cosigners)? {
            match line.outcome {
                LineOutcome::Ignored => {}
                LineOutcome::Invalid(_) => {
                    return Err(NoteError::InvalidSignature {
                        name: line.name,
                        key_id: line.key_id,
                    })
                }
                LineOutcome::Valid { timestamp } => {
                    let witness = self
                        .witnesses
                        .iter()
                        .find(|w| w.key.name() == line.name && w.key.key_id() == line.key_id);
                    if let Some(w) = witness {
                        if !witnessed.iter().any(|x| x.witness == w.name) {
                            witnessed.push(WitnessedBy {
                                witness: w.name.clone(),
                                timestamp,
                            });
                        }
                    }
                }
            }
        }
        let met = self.quorum_met_by(|w| witnessed.iter().any(|x| x.witness == w.name));
        Ok(QuorumCheck { witnessed, met })
    }
}

impl std::str::FromStr for WitnessPolicy {
    type Err = WitnessPolicyError;

    /// [`WitnessPolicy::parse`].
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        WitnessPolicy::parse(text)
    }
}

/// One witness's valid cosignature on a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessedBy {
    /// The witness's policy name.
    pub witness: String,
    /// When it cosigned, in POSIX seconds.
    pub timestamp: u64,
}

/// The result of [`WitnessPolicy::check_note`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumCheck {
    /// The policy's witnesses whose cosignatures verified, in note order, each once.
    pub witnessed: Vec<WitnessedBy>,
    /// Whether they meet the quorum.
    pub met: bool,
}

impl fmt::Display for WitnessPolicy {
    /// The policy file: logs, witnesses, groups (in their order) and the quorum, one
    /// line each, single spaces, no comments. [`WitnessPolicy::parse`] reads it back as
    /// the same policy.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for log in &self.logs {
            write!(f, "log {}", log.key.to_vkey())?;
            if let Some(url) = &log.url {
                write!(f, " {url}")?;
            }
            writeln!(f)?;
        }
        for w in &self.witnesses {
            write!(f, "witness {} {}", w.name, w.key.to_vkey())?;
            if let Some(url) = &w.url {
                write!(f, " {url}")?;
            }
            writeln!(f)?;
        }
        for g in &self.groups {
            write!(f, "group {} {}", g.name, g.threshold)?;
            for m in &g.members {
                write!(f, " {m}")?;
            }
            writeln!(f)?;
        }
        match &self.quorum {
            Quorum::None => writeln!(f, "quorum {QUORUM_NONE}"),
            Quorum::Name(name) => writeln!(f, "quorum {name}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cosignature::CosignerKey;

    fn vkey(name: &str, seed: u8) -> String {
        CosignerKey::from_seed(name, &[seed; 32])
            .unwrap()
            .verifier()
            .to_vkey()
    }

    #[test]
    fn spec_example_shape() {
        let text = format!(
            "# example\n\n  witness X1 {}\nwitness X2 {}\t\nwitness X3 {} https://x3.example/\n\
             group X-witnesses 2 X1 X2 X3\nwitness Y1 {}\ngroup X-and-Y all X-witnesses Y1\nquorum X-and-Y\n",
            vkey("x1", 1),
            vkey("x2", 2),
            vkey("x3", 3),
            vkey("y1", 4)
        );
        let p = WitnessPolicy::parse(&text).unwrap();
        assert_eq!(p.witnesses().len(), 4);
        assert_eq!(p.witnesses()[2].url.as_deref(), Some("https://x3.example/"));
        assert!(p.quorum_met_by_names(&["X1", "X3", "Y1"]));
        assert!(!p.quorum_met_by_names(&["X1", "Y1"]));
        assert!(!p.quorum_met_by_names(&["X1", "X2", "X3"]));
        assert_eq!(WitnessPolicy::parse(&p.to_string()), Ok(p));
    }

    #[test]
    fn refusals_name_their_line() {
        let w1 = vkey("w1", 1);
        let cases: Vec<(String, usize, &str)> = vec![
            (
                "quorum none\nfoo\n".into(),
                2,
                "witness_policy_unknown_keyword",
            ),
            (
                format!("witness a {w1}\nwitness b {w1}\nquorum a\n"),
                2,
                "witness_policy_duplicate_witness",
            ),
            (
                format!("witness a {w1}\nwitness a {}\nquorum a\n", vkey("w2", 2)),
                2,
                "witness_policy_name_taken",
            ),
            (
                format!("witness none {w1}\nquorum none\n"),
                1,
                "witness_policy_reserved_name",
            ),
            (
                format!("witness a {w1}\ngroup g 2 a\nquorum g\n"),
                2,
                "witness_policy_threshold_out_of_range",
            ),
            (
                format!("witness a {w1}\ngroup g 0 a\nquorum g\n"),
                2,
                "witness_policy_threshold_out_of_range",
            ),
            (
                format!("witness a {w1}\ngroup g 01 a\nquorum g\n"),
                2,
                "witness_policy_bad_threshold",
            ),
            (
                format!("witness a {w1}\ngroup g some a\nquorum g\n"),
                2,
                "witness_policy_bad_threshold",
            ),
            (
                format!("witness a {w1}\ngroup g any a a\nquorum g\n"),
                2,
                "witness_policy_duplicate_member",
            ),
            (
                format!("witness a {w1}\ngroup g any\nquorum g\n"),
                2,
                "witness_policy_field_count",
            ),
            (
                format!("witness a {w1}\ngroup g any a none\nquorum g\n"),
                2,
                "witness_policy_reserved_name",
            ),
            (
                format!("witness a {w1}\ngroup g any b\nquorum g\n"),
                2,
                "witness_policy_unknown_name",
            ),
            (
                format!("quorum a\nwitness a {w1}\n"),
                1,
                "witness_policy_unknown_name",
            ),
            (
                format!("witness a {w1}\nquorum a\nquorum none\n"),
                3,
                "witness_policy_second_quorum",
            ),
            ("quorum\n".into(), 1, "witness_policy_field_count"),
            (
                "quorum none extra\n".into(),
                1,
                "witness_policy_field_count",
            ),
            (
                format!("log {w1}\nquorum none\n"),
                1,
                "witness_policy_bad_log_key",
            ),
            (
                "witness a b+00000000+AA==\nquorum none\n".into(),
                1,
                "witness_policy_bad_witness_key",
            ),
            (
                "quorum none\r\n".into(),
                1,
                "witness_policy_control_character",
            ),
        ];
        for (text, line, code) in cases {
            let err = WitnessPolicy::parse(&text).unwrap_err();
            assert_eq!(err.code(), code, "{text}");
            assert!(
                matches!(err, WitnessPolicyError::Line { line: l, .. } if l == line),
                "{text}: {err}"
            );
            assert!(err.message_en().contains(&format!("line {line}")), "{err}");
            assert!(err.message_zh().contains(&format!("第 {line} 行")));
        }
        assert_eq!(
            WitnessPolicy::parse("# nothing\n"),
            Err(WitnessPolicyError::NoQuorum)
        );
        assert_eq!(
            WitnessPolicy::parse(&"#".repeat(POLICY_SIZE_MAX + 1))
                .unwrap_err()
                .code(),
            "witness_policy_too_large"
        );
    }

    #[test]
    fn quorum_none_and_no_newline() {
        let p = WitnessPolicy::parse("quorum none").unwrap();
        assert!(p.quorum_met_by_names(&[]));
        assert_eq!(p.to_string(), "quorum none\n");
    }
}
