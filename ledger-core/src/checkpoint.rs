//! C2SP tlog checkpoints (<https://c2sp.org/tlog-checkpoint>): the signed statement of a
//! log's size and root hash.
//!
//! The body is `<origin>\n<decimal tree size>\n<base64 root hash>\n` followed by optional
//! extension lines, each non-empty and ending in `\n`. It is signed as a
//! [signed note](crate::note).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::error::Coded;
use crate::hash::Hash;
use crate::note::{open_note, sign_note, NoteError, NoteSigner, NoteVerifier};

/// A log checkpoint: origin, tree size, root hash and optional extension lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The log's origin line, unique per log (e.g. `example.com/fund-ledger`).
    pub origin: String,
    /// Number of leaves in the tree.
    pub tree_size: u64,
    /// RFC 9162 root hash of the tree.
    pub root: Hash,
    /// Extension lines, without their final newline; each non-empty.
    pub extensions: Vec<String>,
}

/// Why a checkpoint is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The checkpoint body does not end with a newline or has fewer than three lines.
    #[error("checkpoint must have an origin, a tree size and a root hash line, each ending in a newline")]
    Truncated,
    /// The origin line is empty or contains a control character.
    #[error("checkpoint origin must be non-empty and contain no control characters")]
    BadOrigin,
    /// The tree size line is not a decimal u64 without leading zeros.
    #[error("checkpoint tree size {line:?} is not a decimal number without leading zeros that fits in 64 bits")]
    BadTreeSize {
        /// The refused line.
        line: String,
    },
    /// The root hash line is not canonical standard base64 of exactly 32 bytes.
    #[error("checkpoint root hash {line:?} is not base64 of exactly 32 bytes")]
    BadRootHash {
        /// The refused line.
        line: String,
    },
    /// An extension line is empty or contains a control character.
    #[error("checkpoint extension line {index} is empty or contains a control character")]
    BadExtension {
        /// 0-based index among the extension lines.
        index: usize,
    },
    /// The signed note around the checkpoint was refused.
    #[error(transparent)]
    Note(#[from] NoteError),
}

impl Coded for CheckpointError {
    fn code(&self) -> &'static str {
        match self {
            CheckpointError::Truncated => "checkpoint_truncated",
            CheckpointError::BadOrigin => "checkpoint_bad_origin",
            CheckpointError::BadTreeSize { .. } => "checkpoint_bad_tree_size",
            CheckpointError::BadRootHash { .. } => "checkpoint_bad_root_hash",
            CheckpointError::BadExtension { .. } => "checkpoint_bad_extension",
            CheckpointError::Note(e) => e.code(),
        }
    }

    fn message_en(&self) -> String {
        match self {
            CheckpointError::Note(e) => e.message_en(),
            other => other.to_string(),
        }
    }

    fn message_zh(&self) -> String {
        match self {
            CheckpointError::Truncated => {
                "检查点必须包含来源、树大小和根哈希三行，每行以换行符结尾".to_string()
            }
            CheckpointError::BadOrigin => "检查点来源不能为空，也不能包含控制字符".to_string(),
            CheckpointError::BadTreeSize { line } => {
                format!("检查点树大小 {line:?} 不是无前导零、不超过 64 位的十进制数")
            }
            CheckpointError::BadRootHash { line } => {
                format!("检查点根哈希 {line:?} 不是恰好 32 字节的 base64 编码")
            }
            CheckpointError::BadExtension { index } => {
                format!("检查点第 {index} 个扩展行为空或包含控制字符")
            }
            CheckpointError::Note(e) => e.message_zh(),
        }
    }
}

fn has_control(s: &str) -> bool {
    s.bytes().any(|b| b < b' ')
}

impl Checkpoint {
    /// The checkpoint body: origin, size, base64 root and extension lines, each ending in `\n`.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.tree_size,
            B64.encode(self.root.as_bytes())
        );
        for ext in &self.extensions {
            text.push_str(ext);
            text.push('\n');
        }
        text
    }

    /// Checks that [`Checkpoint::to_text`] yields a body that [`Checkpoint::parse`] reads
    /// back as this checkpoint: origin and extensions non-empty, without control characters
    /// (newlines included).
    pub fn validate(&self) -> Result<(), CheckpointError> {
        if self.origin.is_empty() || has_control(&self.origin) {
            return Err(CheckpointError::BadOrigin);
        }
        for (index, ext) in self.extensions.iter().enumerate() {
            if ext.is_empty() || has_control(ext) {
                return Err(CheckpointError::BadExtension { index });
            }
        }
        Ok(())
    }

    /// Parses a checkpoint body strictly: no leading zeros in the size (except `0`),
    /// canonical base64 of exactly 32 bytes for the root, a non-empty origin, non-empty
    /// extension lines, no control characters, and a final newline.
    pub fn parse(text: &str) -> Result<Checkpoint, CheckpointError> {
        let body = text.strip_suffix('\n').ok_or(CheckpointError::Truncated)?;
        let mut lines = body.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(CheckpointError::Truncated);
        };
        if origin.is_empty() || has_control(origin) {
            return Err(CheckpointError::BadOrigin);
        }
        let tree_size = parse_size(size).ok_or_else(|| CheckpointError::BadTreeSize {
            line: size.to_string(),
        })?;
        let root = parse_root(root).ok_or_else(|| CheckpointError::BadRootHash {
            line: root.to_string(),
        })?;
        let extensions = lines
            .enumerate()
            .map(|(index, ext)| {
                if ext.is_empty() || has_control(ext) {
                    Err(CheckpointError::BadExtension { index })
                } else {
                    Ok(ext.to_string())
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Checkpoint {
            origin: origin.to_string(),
            tree_size,
            root,
            extensions,
        })
    }

    /// Signs the checkpoint with the log key and returns the complete signed note.
    pub fn sign(&self, signer: &NoteSigner) -> Result<String, CheckpointError> {
        self.validate()?;
        Ok(sign_note(&self.to_text(), &[signer])?)
    }

    /// Opens a signed checkpoint note: requires a valid signature by `log_key` (signatures
    /// by other keys, e.g. witnesses, are ignored), then parses the body.
    pub fn open(note: &str, log_key: &NoteVerifier) -> Result<Checkpoint, CheckpointError> {
        let opened = open_note(note, std::slice::from_ref(log_key))?;
        Checkpoint::parse(&opened.text)
    }
}

impl CheckpointError {
    /// Whether the refusal is the signature's (the log key did not validly sign the note:
    /// `checkpoint_signature`) rather than the shape of the note or of its body
    /// (`checkpoint_malformed`). Exports and receipts sort refusals by this one rule
    /// (FORMAT.md §10.3, §11.2).
    pub fn is_signature(&self) -> bool {
        matches!(
            self,
            CheckpointError::Note(
                NoteError::InvalidSignature { .. } | NoteError::Unverified { .. }
            )
        )
    }
}

fn parse_size(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

fn parse_root(s: &str) -> Option<Hash> {
    // The STANDARD engine requires canonical padding and zero trailing bits, so each
    // 32-byte value has exactly one accepted spelling.
    let raw = B64.decode(s).ok()?;
    Some(Hash(raw.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::sha256;

    fn sample() -> Checkpoint {
        Checkpoint {
            origin: "example.com/fund".into(),
            tree_size: 42,
            root: sha256(b"root"),
            extensions: vec!["ext one".into(), "— ext two".into()],
        }
    }

    #[test]
    fn text_round_trip() {
        let cp = sample();
        let text = cp.to_text();
        assert!(text.starts_with("example.com/fund\n42\n"));
        assert!(text.ends_with("\next one\n— ext two\n"));
        assert_eq!(Checkpoint::parse(&text), Ok(cp));
        let zero = Checkpoint {
            tree_size: 0,
            extensions: vec![],
            ..sample()
        };
        assert_eq!(Checkpoint::parse(&zero.to_text()), Ok(zero));
        let max = Checkpoint {
            tree_size: u64::MAX,
            ..sample()
        };
        assert_eq!(Checkpoint::parse(&max.to_text()), Ok(max));
    }

    #[test]
    fn parse_refusals() {
        let root = B64.encode(sha256(b"root").as_bytes());
        let short_root = B64.encode([0u8; 31]);
        let long_root = B64.encode([0u8; 33]);
        let unpadded = root.trim_end_matches('=').to_string();
        // Same bytes plus non-zero trailing bits: 'I' = 8 vs 'A' = 0 in the last sextet
        // (32 bytes = 43 chars + '=', last char carries 2 spare bits).
        let mut trailing_bits = B64.encode([0u8; 32]);
        trailing_bits.replace_range(42..43, "B");
        let cases = [
            (String::new(), "checkpoint_truncated"),
            ("o\n1\n".to_string(), "checkpoint_truncated"),
            (format!("o\n1\n{root}"), "checkpoint_truncated"),
            (format!("\n1\n{root}\n"), "checkpoint_bad_origin"),
            (format!("o\r\n1\n{root}\n"), "checkpoint_bad_origin"),
            (format!("o\n01\n{root}\n"), "checkpoint_bad_tree_size"),
            (format!("o\n00\n{root}\n"), "checkpoint_bad_tree_size"),
            (format!("o\n+1\n{root}\n"), "checkpoint_bad_tree_size"),
            (format!("o\n-1\n{root}\n"), "checkpoint_bad_tree_size"),
            (format!("o\n\n{root}\n"), "checkpoint_bad_tree_size"),
            (format!("o\n1 \n{root}\n"), "checkpoint_bad_tree_size"),
            (
                format!("o\n18446744073709551616\n{root}\n"),
                "checkpoint_bad_tree_size",
            ),
            (format!("o\n1\n{short_root}\n"), "checkpoint_bad_root_hash"),
            (format!("o\n1\n{long_root}\n"), "checkpoint_bad_root_hash"),
            (format!("o\n1\n{unpadded}\n"), "checkpoint_bad_root_hash"),
            (
                format!("o\n1\n{trailing_bits}\n"),
                "checkpoint_bad_root_hash",
            ),
            (
                format!("o\n1\n{}\n", hex::encode([0u8; 32])),
                "checkpoint_bad_root_hash",
            ),
            (format!("o\n1\n{root}\n\n"), "checkpoint_bad_extension"),
            (format!("o\n1\n{root}\next\n\n"), "checkpoint_bad_extension"),
            (format!("o\n1\n{root}\ne\tx\n"), "checkpoint_bad_extension"),
        ];
        for (text, code) in cases {
            let err = Checkpoint::parse(&text).unwrap_err();
            assert_eq!(err.code(), code, "{text:?}");
            assert!(!err.message_zh().is_empty() && !err.message_en().is_empty());
        }
        assert!(Checkpoint::parse(&format!("o\n18446744073709551615\n{root}\n")).is_ok());
    }

    #[test]
    fn validate_refusals() {
        let bad_origin = Checkpoint {
            origin: "a\nb".into(),
            ..sample()
        };
        assert_eq!(bad_origin.validate(), Err(CheckpointError::BadOrigin));
        let empty_origin = Checkpoint {
            origin: String::new(),
            ..sample()
        };
        assert_eq!(empty_origin.validate(), Err(CheckpointError::BadOrigin));
        let bad_ext = Checkpoint {
            extensions: vec!["ok".into(), String::new()],
            ..sample()
        };
        assert_eq!(
            bad_ext.validate(),
            Err(CheckpointError::BadExtension { index: 1 })
        );
        assert!(sample().validate().is_ok());
    }
}
