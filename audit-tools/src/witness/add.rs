//! The tlog-witness v1.0.0 `add-checkpoint` checks, in the spec's order: a well-formed
//! body (400), a known origin (404), a valid signature by a trusted log key (403), the old
//! size not above the checkpoint's (400), then, atomically in the store, the old size
//! equal to the stored one (409 `text/x.tlog.size`), the same root at the same size
//! (409), the consistency proof (422); and the cosignature (200).
//!
//! Where v1.0.0 gives no status, this witness follows the C2SP main branch and the
//! vectors' suggestion: a size-0 checkpoint without the empty-tree root and a non-empty
//! proof with old size 0 are 422; a failing signature by a trusted key is 403 even if
//! another trusted key's verifies; `old 03` and a 64th proof line are 400.

use ledger_core::checkpoint::Checkpoint;
use ledger_core::hash::empty_root;
use ledger_core::note::{open_note, parse_note, NoteError};

use super::request;
use super::store::{Job, Outcome};
use super::Witness;

/// The `Content-Type` of the 409 answer to a stale old size.
pub const TLOG_SIZE: &str = "text/x.tlog.size";

/// An answer: status, content type and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
}

impl Reply {
    fn text(status: u16, body: impl Into<String>) -> Reply {
        let mut body = body.into();
        if !body.ends_with('\n') {
            body.push('\n');
        }
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            body,
        }
    }
}

/// Answers one `add-checkpoint` request body.
pub async fn add_checkpoint(witness: &Witness, body: &[u8]) -> Reply {
    let Ok(text) = std::str::from_utf8(body) else {
        return Reply::text(400, "the request body is not UTF-8");
    };
    let req = match request::parse(text) {
        Ok(req) => req,
        Err(e) => return Reply::text(400, e.0),
    };
    let origin = req.note.split('\n').next().unwrap_or_default();
    let keys = match witness.keys_for(origin) {
        Some(keys) => keys,
        None => {
            // A log added by `ledger-witness add-log` while serving.
            if witness.reload_logs().await.is_err() {
                return Reply::text(503, "the witness cannot read its configuration");
            }
            match witness.keys_for(origin) {
                Some(keys) => keys,
                None => return Reply::text(404, format!("unknown log origin {origin:?}")),
            }
        }
    };
    if let Err(e) = parse_note(req.note) {
        let status = match e {
            NoteError::ControlCharacter { .. } | NoteError::TooLarge { .. } => 400,
            _ => 403,
        };
        return Reply::text(status, format!("checkpoint note refused: {e}"));
    }
    let opened = match open_note(req.note, &keys) {
        Ok(opened) => opened,
        Err(e) => {
            return Reply::text(
                403,
                format!("no valid signature by a trusted key of this log: {e}"),
            )
        }
    };
    let checkpoint = match Checkpoint::parse(&opened.text) {
        Ok(c) => c,
        Err(e) => return Reply::text(400, format!("malformed checkpoint: {e}")),
    };
    if req.old_size > checkpoint.tree_size {
        return Reply::text(
            400,
            format!(
                "old size {} is larger than the checkpoint size {}",
                req.old_size, checkpoint.tree_size
            ),
        );
    }
    if i64::try_from(checkpoint.tree_size).is_err() {
        return Reply::text(400, "the checkpoint size is larger than 2^63 - 1");
    }
    if checkpoint.tree_size == 0 && checkpoint.root != empty_root() {
        return Reply::text(
            422,
            "a checkpoint of size 0 must have the empty tree's root",
        );
    }
    if req.old_size == 0 && !req.proof.is_empty() {
        return Reply::text(
            422,
            "the consistency proof must be empty when the old size is 0",
        );
    }
    let job = Job {
        origin: checkpoint.origin.clone(),
        old_size: req.old_size,
        proof: req.proof,
        size: checkpoint.tree_size,
        root: checkpoint.root,
        note: req.note.to_string(),
        request: text.to_string(),
    };
    match witness.inner.writer.submit(job).await {
        Ok(Outcome::Cosign) => {
            match witness
                .inner
                .key
                .signature_line(&checkpoint, super::unix_now())
            {
                Ok(line) => Reply {
                    status: 200,
                    content_type: "text/plain; charset=utf-8",
                    body: line,
                },
                Err(e) => Reply::text(500, format!("cannot cosign: {e}")),
            }
        }
        Ok(Outcome::StaleOldSize { stored }) => Reply {
            status: 409,
            content_type: TLOG_SIZE,
            body: format!("{stored}\n"),
        },
        Ok(Outcome::SameSizeOtherRoot) => Reply::text(
            409,
            "a different checkpoint of this size was cosigned: recorded as evidence of a split view",
        ),
        Ok(Outcome::BadProof(why)) => Reply::text(422, why),
        Err(e) => Reply::text(503, e),
    }
}
