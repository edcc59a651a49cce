//! The export format (FORMAT.md §8): NDJSON, a header line, one line per entry holding
//! exactly its canonical bytes, and a closing checkpoint line.

use serde::{Deserialize, Serialize};

use crate::canonical::canonicalize;
use crate::ids::FundId;
use crate::keys::PublicKey;
use crate::note::NoteVerifier;

/// The `format` of the header line.
pub const EXPORT_FORMAT: &str = "community-ledger-export/v1";

/// Line 1 of an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// Always [`EXPORT_FORMAT`].
    pub format: String,
    /// The fund exported.
    pub fund: FundId,
    /// Checkpoint origin: `<deployment origin>/<fund id>`.
    pub origin: String,
    /// The log's signed-note verifier key (`name+keyid+base64`).
    pub log_key: String,
    /// The operator key that signed the fund's genesis.
    pub operator_key: PublicKey,
}

/// The last line of an export: the latest checkpoint as a signed note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointLine {
    /// The C2SP signed note, newlines included.
    pub checkpoint: String,
}

impl Header {
    /// The header of fund `fund`'s export, whose checkpoints come from `origin` signed by
    /// `log_key` and whose genesis was signed by `operator_key`.
    pub fn new(
        fund: FundId,
        origin: String,
        log_key: &NoteVerifier,
        operator_key: PublicKey,
    ) -> Self {
        Header {
            format: EXPORT_FORMAT.into(),
            fund,
            origin,
            log_key: log_key.to_vkey(),
            operator_key,
        }
    }

    /// The header's canonical line (without the trailing newline).
    pub fn to_line(&self) -> Vec<u8> {
        canonicalize(&serde_json::to_value(self).unwrap_or_default())
    }
}

impl CheckpointLine {
    /// The checkpoint's canonical line (without the trailing newline).
    pub fn to_line(&self) -> Vec<u8> {
        canonicalize(&serde_json::to_value(self).unwrap_or_default())
    }
}
