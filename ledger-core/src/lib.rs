//! `ledger-core`: the pure heart of community-ledger.
//!
//! Types, canonical encoding (RFC 8785), hashing, RFC 9162 Merkle trees and proofs,
//! Ed25519 signatures, C2SP signed-note checkpoints, witness cosignatures and policies,
//! the rules of a fund and the verification of a whole log. No I/O, no async, no clock,
//! no randomness: callers pass in what the world provides (time, keys, bytes).

pub mod append;
pub mod body;
pub mod calendar;
pub mod canonical;
pub mod check;
pub mod checkpoint;
pub mod cosignature;
pub mod donor;
pub mod entry;
pub mod error;
pub mod export;
pub mod finding;
pub mod hash;
pub mod ids;
pub mod import;
pub mod keys;
pub mod merkle;
pub mod money;
mod newtype;
pub mod note;
pub mod parallel;
pub mod prepare;
pub mod receipt;
mod recent;
pub mod replay;
pub mod restriction;
pub mod rules;
#[cfg(any(test, feature = "sample"))]
pub mod sample;
pub mod since;
pub mod state;
pub mod statement;
pub mod statutory;
pub mod strict;
pub mod text;
pub mod time;
pub mod verify;
pub mod witness_check;
pub mod witness_policy;
