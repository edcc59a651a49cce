//! `--since`: proof that a log only grew since a checkpoint the auditor saved earlier.
//!
//! The saved checkpoint (a C2SP signed note, as `GET /api/v1/funds/{fund}/checkpoint`
//! serves it) must be signed by the export's log key and name the export's origin. The
//! verifier holds the whole log, so it needs no consistency proof from the server: it
//! computes the Merkle root of the first `size` entry lines as they stream past (a
//! [`Frontier`], O(log n) memory) and compares it with the saved root. Equal roots mean the
//! first `size` entries are exactly those the saved checkpoint covered, so the log is an
//! extension of it; the verification of the export then ties the final tree to its own
//! checkpoint.

use anyhow::{anyhow, Context};
use ledger_core::checkpoint::Checkpoint;
use ledger_core::error::Coded;
use ledger_core::export::Header;
use ledger_core::hash::{leaf_hash, Hash};
use ledger_core::merkle::Frontier;
use ledger_core::note::{parse_note, NoteVerifier, NOTE_SIZE_MAX};
use ledger_core::verify::Finding;
use std::io::Read;
use std::path::Path;

/// The saved note signature does not verify under the export's log key.
pub const SINCE_BAD_SIGNATURE: &str = "since_bad_signature";
/// The saved checkpoint is of another log (origin).
pub const SINCE_ORIGIN_MISMATCH: &str = "since_origin_mismatch";
/// The saved checkpoint covers more entries than the log has.
pub const SINCE_LARGER_THAN_LOG: &str = "since_larger_than_log";
/// The log's first `size` entries do not have the saved root: the log was rewritten.
pub const SINCE_NOT_CONSISTENT: &str = "since_not_consistent";

/// A checkpoint saved earlier, read but not yet trusted.
#[derive(Debug, Clone)]
pub struct SavedCheckpoint {
    note: String,
    /// Its body (origin, size, root), as written; trusted only once the signature holds.
    pub claimed: Checkpoint,
}

impl SavedCheckpoint {
    /// Reads a signed checkpoint note from `path`. A file that cannot be read or is not a
    /// signed checkpoint note is unusable input.
    pub fn load(path: &Path) -> anyhow::Result<SavedCheckpoint> {
        let file = std::fs::File::open(path)
            .with_context(|| format!("--since: cannot open {}", path.display()))?;
        let mut raw = Vec::new();
        file.take(NOTE_SIZE_MAX as u64 + 1)
            .read_to_end(&mut raw)
            .with_context(|| format!("--since: cannot read {}", path.display()))?;
        let note = String::from_utf8(raw)
            .map_err(|_| anyhow!("--since: {} is not UTF-8 text", path.display()))?;
        let parsed = parse_note(&note).map_err(|e| {
            anyhow!(
                "--since: {} is not a signed checkpoint note: {}",
                path.display(),
                e.message_en()
            )
        })?;
        let claimed = Checkpoint::parse(parsed.text).map_err(|e| {
            anyhow!(
                "--since: {} is not a checkpoint: {}",
                path.display(),
                e.message_en()
            )
        })?;
        Ok(SavedCheckpoint { note, claimed })
    }

    /// Checks the saved note against the export's header (log key and origin) and returns
    /// the tracker that will compare roots, or the finding that makes the comparison
    /// meaningless.
    pub fn against(&self, header: &Header) -> Result<SinceTracker, Finding> {
        let key = NoteVerifier::from_vkey(&header.log_key).map_err(|e| {
            finding(
                SINCE_BAD_SIGNATURE,
                format!(
                    "the export's log key cannot check the saved checkpoint: {}",
                    e.message_en()
                ),
                format!("导出文件的日志公钥无法校验保存的检查点：{}", e.message_zh()),
            )
        })?;
        let cp = Checkpoint::open(&self.note, &key).map_err(|e| {
            finding(
                SINCE_BAD_SIGNATURE,
                format!(
                    "the saved checkpoint is not signed by the log key {}: {}",
                    key.name(),
                    e.message_en()
                ),
                format!("保存的检查点没有日志公钥的有效签名：{}", e.message_zh()),
            )
        })?;
        if cp.origin != header.origin {
            return Err(finding(
                SINCE_ORIGIN_MISMATCH,
                format!(
                    "the saved checkpoint is of `{}`, not of this log `{}`",
                    cp.origin, header.origin
                ),
                format!(
                    "保存的检查点属于「{}」，不是本账本「{}」",
                    cp.origin, header.origin
                ),
            ));
        }
        Ok(SinceTracker {
            saved: cp,
            frontier: Frontier::new(),
        })
    }
}

/// Computes the root of the first `size` entry lines as they pass.
#[derive(Debug, Clone)]
pub struct SinceTracker {
    saved: Checkpoint,
    frontier: Frontier,
}

impl SinceTracker {
    /// The saved checkpoint, verified.
    pub fn saved(&self) -> &Checkpoint {
        &self.saved
    }

    /// Whether entry lines are still needed.
    pub fn wants_more(&self) -> bool {
        self.frontier.size() < self.saved.tree_size
    }

    /// Takes the next entry line of the log (in order; call while [`Self::wants_more`]).
    pub fn push(&mut self, line: &[u8]) {
        if self.wants_more() {
            self.frontier.push(leaf_hash(line));
        }
    }

    /// The root the log had at the saved size, if it reached that size.
    pub fn root_at_size(&self) -> Option<Hash> {
        (!self.wants_more()).then(|| self.frontier.root())
    }

    /// The finding, if the log is not an extension of the saved checkpoint; `entries` is
    /// the number of entry lines of the whole log.
    pub fn finish(&self, entries: u64) -> Option<Finding> {
        let size = self.saved.tree_size;
        match self.root_at_size() {
            None => Some(finding(
                SINCE_LARGER_THAN_LOG,
                format!("the saved checkpoint covers {size} entries; the log has only {entries}: entries were removed"),
                format!("保存的检查点覆盖 {size} 条，账本只有 {entries} 条：有条目被删除"),
            )),
            Some(root) if root != self.saved.root => Some(finding(
                SINCE_NOT_CONSISTENT,
                format!(
                    "the log's first {size} entries have root {root}, the saved checkpoint says {}: the log was rewritten since",
                    self.saved.root
                ),
                format!(
                    "账本前 {size} 条的根哈希为 {root}，保存的检查点为 {}：账本此后被改写",
                    self.saved.root
                ),
            )),
            Some(_) => None,
        }
    }
}

fn finding(code: &'static str, en: String, zh: String) -> Finding {
    Finding {
        line: 0,
        seq: None,
        code,
        en,
        zh,
    }
}
