//! A checkpoint the auditor saved earlier (`ledger-verify --since`), as an input of the
//! verification (FORMAT.md §10.3): the export must be an extension of it.
//!
//! The saved checkpoint (a C2SP signed note) must be signed by the log key the
//! verification uses and name the export's origin. The verifier holds the whole log, so it
//! needs no consistency proof: it computes the Merkle root of the first `size` entry lines
//! as they pass (a [`Frontier`], O(log n) memory) and compares it with the saved root.
//! Equal roots mean the first `size` entries are exactly those the saved checkpoint
//! covered; the verification of the export then ties the whole tree to its own checkpoint.

use crate::checkpoint::Checkpoint;
use crate::error::Coded;
use crate::hash::Hash;
use crate::merkle::Frontier;
use crate::note::{parse_note, NoteVerifier, NOTE_SIZE_MAX};
use crate::verify::Finding;

/// The saved file is not a signed checkpoint note (unusable input, exit 2).
pub const SINCE_MALFORMED: &str = "since_malformed";
/// The saved note's signature does not verify under the log key.
pub const SINCE_BAD_SIGNATURE: &str = "since_bad_signature";
/// The saved checkpoint is of another log (origin).
pub const SINCE_ORIGIN_MISMATCH: &str = "since_origin_mismatch";
/// The saved checkpoint covers more entries than the log has.
pub const SINCE_LARGER_THAN_LOG: &str = "since_larger_than_log";
/// The log's first `size` entries do not have the saved root: the log was rewritten.
pub const SINCE_NOT_CONSISTENT: &str = "since_not_consistent";

/// A checkpoint saved earlier, parsed but not yet trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedCheckpoint {
    note: String,
    /// Its body (origin, size, root), as written; trusted only once the signature holds.
    pub claimed: Checkpoint,
}

impl SavedCheckpoint {
    /// Parses a signed checkpoint note. `Err` is a [`SINCE_MALFORMED`] finding: the input
    /// is unusable.
    pub fn parse(note: &str) -> Result<SavedCheckpoint, Finding> {
        if note.len() > NOTE_SIZE_MAX {
            return Err(finding(
                SINCE_MALFORMED,
                format!("the saved checkpoint is over {NOTE_SIZE_MAX} bytes"),
                format!("保存的检查点超过 {NOTE_SIZE_MAX} 字节"),
            ));
        }
        let parsed = parse_note(note).map_err(|e| {
            finding(
                SINCE_MALFORMED,
                format!(
                    "the saved checkpoint is not a signed checkpoint note: {}",
                    e.message_en()
                ),
                format!("保存的检查点不是签名便笺：{}", e.message_zh()),
            )
        })?;
        let claimed = Checkpoint::parse(parsed.text).map_err(|e| {
            finding(
                SINCE_MALFORMED,
                format!("the saved note is not a checkpoint: {}", e.message_en()),
                format!("保存的便笺不是检查点：{}", e.message_zh()),
            )
        })?;
        Ok(SavedCheckpoint {
            note: note.to_owned(),
            claimed,
        })
    }

    /// Checks the saved note against the log key and the export's origin, and returns the
    /// tracker that will compare roots, or the finding that makes the comparison
    /// meaningless.
    pub fn against(&self, key: &NoteVerifier, origin: &str) -> Result<SinceTracker, Finding> {
        let cp = Checkpoint::open(&self.note, key).map_err(|e| {
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
        if cp.origin != origin {
            return Err(finding(
                SINCE_ORIGIN_MISMATCH,
                format!(
                    "the saved checkpoint is of `{}`, not of this log `{origin}`",
                    cp.origin
                ),
                format!("保存的检查点属于「{}」，不是本账本「{origin}」", cp.origin),
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

    /// Takes the leaf hash of the next entry line of the log, in order.
    pub fn push(&mut self, leaf: Hash) {
        if self.frontier.size() < self.saved.tree_size {
            self.frontier.push(leaf);
        }
    }

    /// The finding, if the log is not an extension of the saved checkpoint; `entries` is
    /// the number of entry lines of the whole log.
    pub fn finish(&self, entries: u64) -> Option<Finding> {
        let size = self.saved.tree_size;
        if self.frontier.size() < size {
            return Some(finding(
                SINCE_LARGER_THAN_LOG,
                format!("the saved checkpoint covers {size} entries; the log has only {entries}: entries were removed"),
                format!("保存的检查点覆盖 {size} 条，账本只有 {entries} 条：有条目被删除"),
            ));
        }
        let root = self.frontier.root();
        (root != self.saved.root).then(|| {
            finding(
                SINCE_NOT_CONSISTENT,
                format!(
                    "the log's first {size} entries have root {root}, the saved checkpoint says {}: the log was rewritten since",
                    self.saved.root
                ),
                format!(
                    "账本前 {size} 条的根哈希为 {root}，保存的检查点为 {}：账本此后被改写",
                    self.saved.root
                ),
            )
        })
    }
}

/// A finding about the saved checkpoint: line 0, no seq.
fn finding(code: &'static str, en: String, zh: String) -> Finding {
    Finding {
        line: 0,
        seq: None,
        code,
        en,
        zh,
    }
}
