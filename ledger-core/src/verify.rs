//! Verification of a whole exported log, line by line, in bounded memory.
//!
//! [`Verifier`] takes the export's lines in order and collects located [`Finding`]s. The
//! work splits in two: [`prepare_line`] / [`prepare_lines`] parse a line and check its
//! signatures, needing nothing but the line (so callers may run it on many threads, and
//! `prepare_lines` batches signature checks); [`Verifier::push`] then replays the chain,
//! the Merkle tree and the fund's rules in order through [`FundState`], the very code the
//! server uses to accept entries. Memory holds the fund state (what the rules must
//! remember: 8 bytes per entry for reversals and a 16-byte digest of each idempotency key, the rental calendar, paid periods, monthly
//! totals) and at most [`FINDINGS_MAX`] findings; never the entries themselves.
//!
//! Every check of a verification is here, in the order of FORMAT.md §10.3: the header
//! ([`read_header`]), the keys the auditor trusts (checked against once pinned), the seq
//! bound ([`SEQ_AHEAD_MAX`]), each entry, the checkpoint and the witness policy, trailing
//! data, the final newline, and a checkpoint saved earlier ([`Inputs`]). Tools add I/O and
//! formatting only, so every verifier built on this crate reports the same findings.

use crate::body::Kind;
use crate::canonical::parse_canonical;
use crate::checkpoint::Checkpoint;
use crate::entry::EntryError;
use crate::error::Coded;
use crate::export::{CheckpointLine, Header, EXPORT_FORMAT};
use crate::hash::Hash;
use crate::keys::PublicKey;
use crate::note::NoteVerifier;
use crate::prepare::other;
pub use crate::prepare::{prepare_line, prepare_lines, verify_signatures_batch, Prepared};
use crate::replay::{replay, OnRefusal};
use crate::since::{SavedCheckpoint, SinceTracker};
use crate::state::FundState;
use crate::witness_check::check_checkpoint;
use crate::witness_policy::{QuorumCheck, WitnessPolicy};

/// Most findings kept in a report; further ones are only counted.
pub const FINDINGS_MAX: usize = 10_000;

/// One thing wrong with the log, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// 1-based line of the export.
    pub line: u64,
    /// Seq of the entry concerned, when known.
    pub seq: Option<u64>,
    /// Stable code, e.g. `prev_mismatch`.
    pub code: &'static str,
    /// English explanation.
    pub en: String,
    /// Chinese explanation.
    pub zh: String,
}

/// What the auditor already trusts, checked against the export's own header.
#[derive(Debug, Clone, Default)]
pub struct Expectations {
    /// The deployment's log key (vkey string), if known out of band.
    pub log_key: Option<String>,
    /// The operator key, if known out of band.
    pub operator_key: Option<PublicKey>,
}

/// Everything a verification takes besides the export's lines: the keys the auditor
/// trusts, a checkpoint saved earlier that the log must extend (`--since`), and a witness
/// policy its checkpoint must meet (`--policy`).
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// Keys the auditor trusts. Once pinned, a key is the one the export is checked
    /// against, even when the header names another (that is reported first).
    pub expect: Expectations,
    /// A checkpoint saved earlier: the export must be an extension of it.
    pub since: Option<SavedCheckpoint>,
    /// The witness policy the export's checkpoint must meet (FORMAT.md §13).
    pub policy: Option<WitnessPolicy>,
}

impl From<Expectations> for Inputs {
    fn from(expect: Expectations) -> Self {
        Inputs {
            expect,
            ..Inputs::default()
        }
    }
}

/// The `--since` outcome of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinceOutcome {
    /// Entries the saved checkpoint covers, as it claims.
    pub tree_size: u64,
    /// Its root, as it claims.
    pub root: Hash,
    /// True when its signature and origin hold and the log's first `tree_size` entries
    /// have its root.
    pub consistent: bool,
}

/// The outcome of verifying a log.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The header, if it parsed.
    pub header: Option<Header>,
    /// Entry lines seen.
    pub entries: u64,
    /// Entry lines that parse as statements (counted from the parsed entry, never by
    /// searching the bytes); their figures are recomputed unless an earlier check of the
    /// line refuses it.
    pub statements: u64,
    /// Merkle root over all entry lines.
    pub root: Hash,
    /// The checkpoint, if one verified.
    pub checkpoint: Option<Checkpoint>,
    /// With a saved checkpoint (`since`): whether the log extends it.
    pub since: Option<SinceOutcome>,
    /// With a witness policy: who cosigned the checkpoint and whether the quorum is met
    /// (`None` when the checkpoint did not verify under the log key).
    pub witnesses: Option<QuorumCheck>,
    /// Final balance (as far as entries applied).
    pub balance: String,
    /// Located findings, at most [`FINDINGS_MAX`].
    pub findings: Vec<Finding>,
    /// Findings beyond [`FINDINGS_MAX`], counted only.
    pub findings_dropped: u64,
}

impl Report {
    /// True when nothing is wrong.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty() && self.findings_dropped == 0
    }

    /// The finding that makes the input unusable (not an export at all: no header, a
    /// malformed one, another format), if any. A verifier then reports that alone and
    /// exits 2 (FORMAT.md §12).
    pub fn unusable(&self) -> Option<&Finding> {
        self.findings.iter().find(|f| UNUSABLE.contains(&f.code))
    }

    /// True when the input is not an export at all (see [`Report::unusable`]).
    pub fn is_unusable(&self) -> bool {
        self.unusable().is_some()
    }
}

/// Codes that make the input unusable rather than wrong (exit 2).
pub const UNUSABLE: &[&str] = &[
    HEADER_MISSING,
    HEADER_MALFORMED,
    UNSUPPORTED_FORMAT,
    crate::since::SINCE_MALFORMED,
];

/// The input is empty.
pub const HEADER_MISSING: &str = "header_missing";
/// The first line is not an export header.
pub const HEADER_MALFORMED: &str = "header_malformed";
/// The header names another export format.
pub const UNSUPPORTED_FORMAT: &str = "unsupported_format";
/// An entry line claims a seq too far ahead; verification stops there.
pub const SEQ_OUT_OF_RANGE: &str = "seq_out_of_range";
/// The export's last line does not end in `\n`.
pub const FINAL_NEWLINE_MISSING: &str = "final_newline_missing";

/// How far beyond the entry lines read so far an entry line's `seq` may point
/// ([`SEQ_OUT_OF_RANGE`]). The verifier resynchronises on the seq of a broken entry and
/// keeps a slot per seq up to it (8 bytes each); no real log comes near (it would mean
/// millions of entries missing before that line). Equal to the state's own bound,
/// [`crate::state::SKIP_RESYNC_SEQS_MAX`].
pub const SEQ_AHEAD_MAX: u64 = crate::state::SKIP_RESYNC_SEQS_MAX;

/// Reads an export's first line as its header (FORMAT.md §8): canonical JSON, then the
/// format, then the members. `Err` is the finding that makes the input unusable (line 1).
pub fn read_header(line: &[u8]) -> Result<Header, Finding> {
    let unusable = |code: &'static str, en: String, zh: String| Finding {
        line: 1,
        seq: None,
        code,
        en,
        zh,
    };
    let value = parse_canonical(line).map_err(|e| {
        unusable(
            HEADER_MALFORMED,
            format!("not a community-ledger export: the first line is not a canonical JSON header ({e})"),
            format!("不是社区账本导出文件：第一行不是规范 JSON 文件头（{e}）"),
        )
    })?;
    match value.get("format").and_then(|f| f.as_str()) {
        Some(EXPORT_FORMAT) => {}
        Some(f) => {
            return Err(unusable(
                UNSUPPORTED_FORMAT,
                format!("unsupported export format `{f}`: this verifier reads {EXPORT_FORMAT}"),
                format!("导出格式「{f}」不是 {EXPORT_FORMAT}"),
            ))
        }
        None => {
            return Err(unusable(
                HEADER_MALFORMED,
                "not a community-ledger export: the first line has no `format`".into(),
                "不是社区账本导出文件：第一行没有 `format`".into(),
            ))
        }
    }
    let header = serde_json::from_value::<Header>(value).map_err(|e| {
        unusable(
            HEADER_MALFORMED,
            format!("the export header is malformed: {e}"),
            format!("导出文件头格式错误：{e}"),
        )
    })?;
    NoteVerifier::from_vkey(&header.log_key).map_err(|e| {
        unusable(
            HEADER_MALFORMED,
            format!(
                "the export header's log_key is not a log verifier key: {}",
                e.message_en()
            ),
            format!("导出文件头的 log_key 不是日志验证公钥：{}", e.message_zh()),
        )
    })?;
    Ok(header)
}

enum Stage {
    Header,
    Entries,
    AfterCheckpoint,
    /// Verification stopped (unusable header, or [`SEQ_OUT_OF_RANGE`]): lines are ignored.
    Stopped,
}

/// Replays an export's lines in order (see the module docs).
pub struct Verifier {
    inputs: Inputs,
    stage: Stage,
    line_no: u64,
    state: Option<FundState>,
    log_key: Option<NoteVerifier>,
    since: Option<Result<SinceTracker, Finding>>,
    report: Report,
}

impl Verifier {
    /// A verifier with these inputs (or just [`Expectations`]).
    pub fn new(inputs: impl Into<Inputs>) -> Self {
        Verifier {
            inputs: inputs.into(),
            stage: Stage::Header,
            line_no: 0,
            state: None,
            log_key: None,
            since: None,
            report: Report::default(),
        }
    }

    fn find(&mut self, seq: Option<u64>, code: &'static str, en: String, zh: String) {
        let line = self.line_no;
        self.push_finding(Finding {
            line,
            seq,
            code,
            en,
            zh,
        });
    }

    fn push_finding(&mut self, f: Finding) {
        if self.report.findings.len() < FINDINGS_MAX {
            self.report.findings.push(f);
        } else {
            self.report.findings_dropped += 1;
        }
    }

    fn find_coded(&mut self, seq: Option<u64>, e: &dyn Coded) {
        self.find(seq, e.code(), e.message_en(), e.message_zh());
    }

    /// Verifies one line (parse, signatures, then [`Verifier::push`]).
    pub fn push_line(&mut self, line: &[u8]) {
        if matches!(self.stage, Stage::Entries) && !is_checkpoint_line(line) {
            self.push(prepare_line(line));
        } else {
            self.push(other(line, EntryError::NoSignature));
        }
    }

    /// Feeds the next line, already prepared.
    pub fn push(&mut self, prepared: Prepared) {
        if matches!(self.stage, Stage::Stopped) {
            return;
        }
        self.line_no += 1;
        match self.stage {
            Stage::Header => {
                let line = match &prepared {
                    Prepared::Other { line, .. } => line.clone(),
                    Prepared::Entry { .. } => Vec::new(),
                };
                self.header(&line);
            }
            Stage::Entries => match prepared {
                Prepared::Other { line, .. } if is_checkpoint_line(&line) => {
                    self.checkpoint(&line);
                    self.stage = Stage::AfterCheckpoint;
                }
                p => self.entry(p),
            },
            Stage::AfterCheckpoint => self.find(
                None,
                "trailing_data",
                "lines after the checkpoint".into(),
                "检查点之后还有多余的行".into(),
            ),
            Stage::Stopped => {}
        }
    }

    fn header(&mut self, line: &[u8]) {
        let header = match read_header(line) {
            Ok(h) => h,
            Err(f) => {
                self.push_finding(f);
                self.stage = Stage::Stopped;
                return;
            }
        };
        self.stage = Stage::Entries;
        if let Some(k) = &self.inputs.expect.log_key {
            if *k != header.log_key {
                self.find(
                    None,
                    "log_key_mismatch",
                    "the export names another log key than the one you trust; it is checked against yours".into(),
                    "导出文件中的日志公钥与您信任的不一致；按您信任的公钥校验".into(),
                );
            }
        }
        if let Some(k) = &self.inputs.expect.operator_key {
            if *k != header.operator_key {
                self.find(
                    None,
                    "operator_key_mismatch",
                    "the export names another operator key than the one you trust; it is checked against yours".into(),
                    "导出文件中的运营方公钥与您信任的不一致；按您信任的公钥校验".into(),
                );
            }
        }
        // A pinned key is the one checked against (FORMAT.md §10.1).
        let log_key = self
            .inputs
            .expect
            .log_key
            .clone()
            .unwrap_or_else(|| header.log_key.clone());
        match NoteVerifier::from_vkey(&log_key) {
            Ok(v) => self.log_key = Some(v),
            Err(e) => self.find_coded(None, &e),
        }
        let operator = self
            .inputs
            .expect
            .operator_key
            .unwrap_or(header.operator_key);
        self.state = Some(FundState::new(header.fund.clone(), operator));
        self.since = match (&self.inputs.since, &self.log_key) {
            (None, _) => None,
            (Some(saved), Some(key)) => Some(saved.against(key, &header.origin)),
            (Some(_), None) => Some(Err(Finding {
                line: 0,
                seq: None,
                code: crate::since::SINCE_BAD_SIGNATURE,
                en: "there is no valid log key to check the saved checkpoint with".into(),
                zh: "没有有效的日志公钥来校验保存的检查点".into(),
            })),
        };
        self.report.header = Some(header);
    }

    fn entry(&mut self, prepared: Prepared) {
        let (claimed, hash, statement) = match &prepared {
            Prepared::Entry { parsed, .. } => (
                Some(parsed.entry.seq),
                parsed.hash,
                parsed.entry.intent.kind() == Kind::Statement,
            ),
            Prepared::Other { seq, hash, .. } => (*seq, *hash, false),
        };
        let limit = self.report.entries.saturating_add(SEQ_AHEAD_MAX);
        if let Some(seq) = claimed.filter(|s| *s > limit) {
            let before = self.report.entries;
            self.find(
                None,
                SEQ_OUT_OF_RANGE,
                format!("the line claims seq {seq}, far beyond the {before} entries before it; verification stops here"),
                format!("该行声称序号为 {seq}，远超其之前的 {before} 条；校验在此停止"),
            );
            self.stage = Stage::Stopped;
            return;
        }
        self.report.entries += 1;
        if statement {
            self.report.statements += 1;
        }
        if let Some(Ok(t)) = &mut self.since {
            t.push(hash);
        }
        let Some(state) = self.state.as_mut() else {
            return;
        };
        if let Err(refused) = replay(state, prepared, OnRefusal::Skip) {
            self.find_coded(refused.seq, refused.refusal.as_ref());
        }
    }
    fn checkpoint(&mut self, line: &[u8]) {
        let note = parse_canonical(line)
            .map_err(|e| e.to_string())
            .and_then(|v| serde_json::from_value::<CheckpointLine>(v).map_err(|e| e.to_string()));
        let note = match note {
            Ok(n) => n.checkpoint,
            Err(e) => {
                return self.find(
                    None,
                    "checkpoint_malformed",
                    format!("the checkpoint line is malformed: {e}"),
                    format!("检查点行格式错误：{e}"),
                )
            }
        };
        let Some(key) = &self.log_key else { return };
        let cp = match Checkpoint::open(&note, key) {
            Ok(cp) => cp,
            Err(e) if e.is_signature() => {
                return self.find(
                    None,
                    "checkpoint_signature",
                    format!("the checkpoint is not validly signed by the log key: {e}"),
                    format!("检查点没有日志公钥的有效签名：{e}"),
                )
            }
            Err(e) => {
                return self.find(
                    None,
                    "checkpoint_malformed",
                    format!("the checkpoint is not a signed checkpoint note: {e}"),
                    format!("检查点不是签名的检查点便笺：{e}"),
                )
            }
        };
        let origin = self.report.header.as_ref().map(|h| h.origin.clone());
        if origin.as_deref() != Some(cp.origin.as_str()) {
            self.find(
                None,
                "checkpoint_origin_mismatch",
                format!("checkpoint origin `{}` is not this fund's", cp.origin),
                format!("检查点来源「{}」不是本基金的", cp.origin),
            );
        }
        let (size, root) = self
            .state
            .as_ref()
            .map(|s| (s.frontier().size(), s.root()))
            .unwrap_or_default();
        if cp.tree_size != size {
            self.find(
                None,
                "checkpoint_size_mismatch",
                format!(
                    "checkpoint covers {} entries; the export has {size}",
                    cp.tree_size
                ),
                format!("检查点覆盖 {} 条，导出文件有 {size} 条", cp.tree_size),
            );
        } else if cp.root != root {
            self.find(
                None,
                "checkpoint_root_mismatch",
                format!("checkpoint root {} is not the log's root {root}", cp.root),
                format!("检查点根哈希 {} 与账本根哈希 {root} 不符", cp.root),
            );
        }
        if let (Some(policy), Some(key)) = (&self.inputs.policy, &self.log_key) {
            let origin = self
                .report
                .header
                .as_ref()
                .map(|h| h.origin.clone())
                .unwrap_or_default();
            match check_checkpoint(policy, &note, key, &origin) {
                Ok(check) => self.report.witnesses = Some(check),
                Err(e) => {
                    // Who did cosign, for the summary; the checkpoint still fails.
                    let mut check = policy.check_note(&note).unwrap_or(QuorumCheck {
                        witnessed: Vec::new(),
                        met: false,
                    });
                    check.met = false;
                    self.report.witnesses = Some(check);
                    self.find_coded(None, &e);
                }
            }
        }
        self.report.checkpoint = Some(cp);
    }

    /// Ends the log and returns the report (the input's last line ended in `\n`).
    pub fn finish(self) -> Report {
        self.finish_input(true)
    }

    /// Ends the log and returns the report; `terminated` says whether the input's last
    /// line ended in `\n` (FORMAT.md §8: every line does; [`FINAL_NEWLINE_MISSING`]).
    pub fn finish_input(mut self, terminated: bool) -> Report {
        match self.stage {
            Stage::Header => {
                self.line_no = 1;
                self.push_finding(Finding {
                    line: 1,
                    seq: None,
                    code: HEADER_MISSING,
                    en: "the export is empty: no header line".into(),
                    zh: "导出文件为空：没有文件头".into(),
                });
                return self.report;
            }
            Stage::Stopped if self.report.header.is_none() => return self.report,
            _ => {}
        }
        if let Some(s) = &self.state {
            self.report.root = s.root();
            self.report.balance = s.balance().to_string();
        }
        if matches!(self.stage, Stage::Stopped) {
            // Cut short on purpose: nothing about the rest of the input is known.
            return self.report;
        }
        if !terminated {
            self.find(
                None,
                FINAL_NEWLINE_MISSING,
                "the last line does not end in a newline (\\n): the export may be cut short".into(),
                "最后一行没有以换行符 (\\n) 结束：导出文件可能不完整".into(),
            );
        }
        if matches!(self.stage, Stage::Entries) {
            // Reported where the checkpoint should have been: the line after the last.
            self.line_no += 1;
            self.find(
                None,
                "checkpoint_missing",
                "the export ends without a checkpoint".into(),
                "导出文件末尾缺少检查点".into(),
            );
        }
        let entries = self.report.entries;
        match self.since.take() {
            None => {}
            Some(Err(f)) => {
                self.report.since = self.inputs.since.as_ref().map(|s| SinceOutcome {
                    tree_size: s.claimed.tree_size,
                    root: s.claimed.root,
                    consistent: false,
                });
                self.push_finding(f);
            }
            Some(Ok(t)) => {
                let finding = t.finish(entries);
                self.report.since = Some(SinceOutcome {
                    tree_size: t.saved().tree_size,
                    root: t.saved().root,
                    consistent: finding.is_none(),
                });
                if let Some(f) = finding {
                    self.push_finding(f);
                }
            }
        }
        self.report
    }
}

/// Whether a line is the export's checkpoint line (rather than an entry).
pub fn is_checkpoint_line(line: &[u8]) -> bool {
    line.starts_with(b"{\"checkpoint\":")
}

/// Verifies a whole export held in memory, line by line (one thread).
pub fn verify_export(export: &[u8], inputs: impl Into<Inputs>) -> Report {
    let mut v = Verifier::new(inputs);
    for line in export.split(|b| *b == b'\n') {
        if line.is_empty() {
            continue;
        }
        v.push_line(line);
    }
    v.finish_input(ends_in_newline(export))
}

/// Whether `export`'s last line ends in `\n` (an empty input counts as ended).
pub fn ends_in_newline(export: &[u8]) -> bool {
    export.last().is_none_or(|b| *b == b'\n')
}
