//! The one replay loop step: a log line, parsed and hashed ([`Prepared`]), applied to a
//! fund's state with the fund's rules.
//!
//! Every reader of a log goes through [`replay`]: the verifier (which records a finding
//! and moves past an entry it cannot apply: [`OnRefusal::Skip`]), and the server's state
//! rebuild and catch-up and the trustee client's replay of an export (which stop at the
//! first entry that does not hold: [`OnRefusal::Stop`]). Lines are prepared (parsed, and
//! their signatures checked or not) by [`crate::prepare::prepare_line`],
//! [`crate::prepare::prepare_lines`] or [`prepare_stored`].

use crate::entry::{Entry, EntryError};
use crate::error::Coded;
use crate::hash::Hash;
use crate::prepare::{other, Prepared};
use crate::rules::RuleError;
use crate::state::{Applied, FundState};

/// What to do with an entry that cannot be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnRefusal {
    /// Leave the state exactly as it was before the entry (the caller stops there).
    Stop,
    /// Move the state past the entry, as [`FundState::skip`] does: its position, head,
    /// time and Merkle tree advance, the fund's money and rules state do not. The
    /// verifier does this to go on and report every finding.
    Skip,
}

/// An entry applied to the state.
#[derive(Debug, Clone)]
pub struct ReplayedEntry {
    /// The entry.
    pub entry: Entry,
    /// Its hash.
    pub hash: Hash,
    /// What it did to the fund.
    pub applied: Applied,
}

/// Why a line was not applied: a line that is not a valid entry (or whose signatures do
/// not verify), or an entry that breaks a rule of the fund.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The line is not a valid entry, or a signature does not verify.
    #[error("{0}")]
    Entry(EntryError),
    /// A rule of the fund.
    #[error("{0}")]
    Rule(RuleError),
}

impl Coded for Refusal {
    fn code(&self) -> &'static str {
        match self {
            Refusal::Entry(e) => e.code(),
            Refusal::Rule(e) => e.code(),
        }
    }
    fn message_en(&self) -> String {
        match self {
            Refusal::Entry(e) => e.message_en(),
            Refusal::Rule(e) => e.message_en(),
        }
    }
    fn message_zh(&self) -> String {
        match self {
            Refusal::Entry(e) => e.message_zh(),
            Refusal::Rule(e) => e.message_zh(),
        }
    }
}

/// A line that was not applied, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The entry's seq, when the line says it.
    pub seq: Option<u64>,
    /// The line's hash.
    pub hash: Hash,
    /// Why (boxed: the happy path's result stays small).
    pub refusal: Box<Refusal>,
}

/// Prepares stored entry bytes that this deployment itself checked and wrote (signatures
/// verified before they were committed): parsed and hashed, signatures not checked again.
pub fn prepare_stored(bytes: &[u8]) -> Prepared {
    match Entry::parse(bytes) {
        Ok(parsed) => Prepared::Entry {
            parsed: Box::new(parsed),
            signatures: Ok(()),
        },
        Err(error) => other(bytes, error),
    }
}

/// Applies one prepared line to `state`. On refusal the state is left as it was
/// ([`OnRefusal::Stop`]) or moved past the line ([`OnRefusal::Skip`]).
pub fn replay(
    state: &mut FundState,
    prepared: Prepared,
    on_refusal: OnRefusal,
) -> Result<ReplayedEntry, Refused> {
    let refused = match prepared {
        Prepared::Other {
            hash,
            error,
            seq,
            recorded_at,
            ..
        } => {
            if on_refusal == OnRefusal::Skip {
                state.skip(seq, hash, recorded_at);
            }
            Refused {
                seq,
                hash,
                refusal: Box::new(Refusal::Entry(error)),
            }
        }
        Prepared::Entry { parsed, signatures } => {
            let parsed = *parsed;
            let (entry, hash) = (parsed.entry, parsed.hash);
            let outcome = match signatures {
                Err(e) => Err(Refusal::Entry(e)),
                Ok(()) => state.apply(&entry, hash).map_err(Refusal::Rule),
            };
            match outcome {
                Ok(applied) => {
                    return Ok(ReplayedEntry {
                        entry,
                        hash,
                        applied,
                    })
                }
                Err(refusal) => {
                    if on_refusal == OnRefusal::Skip {
                        state.skip(Some(entry.seq), hash, Some(entry.recorded_at));
                    }
                    Refused {
                        seq: Some(entry.seq),
                        hash,
                        refusal: Box::new(refusal),
                    }
                }
            }
        }
    };
    Err(refused)
}
