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
use crate::state::FundState;

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

/// The outcome of verifying a log.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The header, if it parsed.
    pub header: Option<Header>,
    /// Entry lines seen.
    pub entries: u64,
    /// Merkle root over all entry lines.
    pub root: Hash,
    /// The checkpoint, if one verified.
    pub checkpoint: Option<Checkpoint>,
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
}

enum Stage {
    Header,
    Entries,
    AfterCheckpoint,
}

/// Replays an export's lines in order (see the module docs).
pub struct Verifier {
    expect: Expectations,
    stage: Stage,
    line_no: u64,
    state: Option<FundState>,
    log_key: Option<NoteVerifier>,
    report: Report,
}

impl Verifier {
    /// A verifier that checks the header against `expect`.
    pub fn new(expect: Expectations) -> Self {
        Verifier {
            expect,
            stage: Stage::Header,
            line_no: 0,
            state: None,
            log_key: None,
            report: Report::default(),
        }
    }

    fn find(&mut self, seq: Option<u64>, code: &'static str, en: String, zh: String) {
        if self.report.findings.len() < FINDINGS_MAX {
            self.report.findings.push(Finding {
                line: self.line_no,
                seq,
                code,
                en,
                zh,
            });
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
        self.line_no += 1;
        match self.stage {
            Stage::Header => {
                let line = match &prepared {
                    Prepared::Other { line, .. } => line.clone(),
                    Prepared::Entry { .. } => Vec::new(),
                };
                self.header(&line);
                self.stage = Stage::Entries;
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
        }
    }

    fn header(&mut self, line: &[u8]) {
        let header = parse_canonical(line)
            .map_err(|e| e.to_string())
            .and_then(|v| serde_json::from_value::<Header>(v).map_err(|e| e.to_string()));
        let header = match header {
            Ok(h) if h.format == EXPORT_FORMAT => h,
            Ok(h) => {
                return self.find(
                    None,
                    "unsupported_format",
                    format!("export format `{}` is not {EXPORT_FORMAT}", h.format),
                    format!("导出格式「{}」不是 {EXPORT_FORMAT}", h.format),
                )
            }
            Err(e) => {
                return self.find(
                    None,
                    "header_malformed",
                    format!("the first line is not a valid export header: {e}"),
                    format!("第一行不是有效的导出文件头：{e}"),
                )
            }
        };
        if let Some(k) = &self.expect.log_key {
            if *k != header.log_key {
                self.find(
                    None,
                    "log_key_mismatch",
                    "the export names another log key than the one you trust".into(),
                    "导出文件中的日志公钥与您信任的不一致".into(),
                );
            }
        }
        if let Some(k) = &self.expect.operator_key {
            if *k != header.operator_key {
                self.find(
                    None,
                    "operator_key_mismatch",
                    "the export names another operator key than the one you trust".into(),
                    "导出文件中的运营方公钥与您信任的不一致".into(),
                );
            }
        }
        match NoteVerifier::from_vkey(&header.log_key) {
            Ok(v) => self.log_key = Some(v),
            Err(e) => self.find_coded(None, &e),
        }
        self.state = Some(FundState::new(header.fund.clone(), header.operator_key));
        self.report.header = Some(header);
    }

    fn entry(&mut self, prepared: Prepared) {
        self.report.entries += 1;
        let Some(state) = self.state.as_mut() else {
            // No usable header: still count and hash the log.
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
            Err(e) => {
                return self.find(
                    None,
                    "checkpoint_signature",
                    format!("the checkpoint is not validly signed by the log key: {e}"),
                    format!("检查点没有日志公钥的有效签名：{e}"),
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
        self.report.checkpoint = Some(cp);
    }

    /// Ends the log and returns the report.
    pub fn finish(mut self) -> Report {
        match self.stage {
            Stage::Header => self.find(
                None,
                "header_missing",
                "the export is empty".into(),
                "导出文件为空".into(),
            ),
            Stage::Entries => self.find(
                None,
                "checkpoint_missing",
                "the export ends without a checkpoint".into(),
                "导出文件末尾缺少检查点".into(),
            ),
            Stage::AfterCheckpoint => {}
        }
        if let Some(s) = &self.state {
            self.report.root = s.root();
            self.report.balance = s.balance().to_string();
        }
        self.report
    }
}

/// Whether a line is the export's checkpoint line (rather than an entry).
pub fn is_checkpoint_line(line: &[u8]) -> bool {
    line.starts_with(b"{\"checkpoint\":")
}

/// Verifies a whole export held in memory, line by line (one thread).
pub fn verify_export(export: &[u8], expect: Expectations) -> Report {
    let mut v = Verifier::new(expect);
    for line in export.split(|b| *b == b'\n') {
        if line.is_empty() {
            continue;
        }
        v.push_line(line);
    }
    v.finish()
}
