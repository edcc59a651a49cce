//! The conformance cases of the signature rule (FORMAT.md §3, strict on write, lenient on
//! read): for each Ed25519 edge case of [`crate::sample::lenient`], an export whose last
//! entry carries it and a receipt of that entry; and an export whose trustee change adds a
//! non-canonically encoded key. The server no longer writes any of them, but a verifier
//! reading them applies the read rule (ZIP-215): they verify, except `s` ≥ ℓ. A strict
//! verifier (verify.js) refuses the receipts' signatures: their `expected_strict`.

use serde_json::{json, Value};

use super::{Base, Case, APPENDED};
use crate::canonical::canonicalize;
use crate::entry::signing_message;
use crate::sample::lenient::{lenient_signature, non_canonical_key, Lenient, EDGE_CASES};
use crate::sample::SampleError;

fn sample_err(e: impl std::fmt::Display) -> SampleError {
    SampleError(e.to_string())
}

/// The log plus one donation signed by a trustee with the edge case `form`.
fn lenient_lines(b: &Base, form: Lenient, name: &str) -> Result<Vec<Vec<u8>>, SampleError> {
    let mut intent = b.entry_value(b.last_of("donation")?)?["intent"].clone();
    intent["key"] = json!(format!("conformance-{name}"));
    let signer = b
        .trustee_keys()
        .into_iter()
        .next()
        .ok_or_else(|| SampleError("no trustee".into()))?;
    let honest = b.next_entry(&intent, std::slice::from_ref(&signer))?;
    let mut entry: Value = serde_json::from_slice(&honest).map_err(sample_err)?;
    let sig = lenient_signature(&signer, &signing_message(&canonicalize(&intent)), form);
    entry["sigs"][0]["sig"] = json!(sig.to_hex());
    let mut lines = b.lines();
    lines.push(canonicalize(&entry));
    Ok(lines)
}

/// The edge case called `name` in [`EDGE_CASES`].
fn form(name: &str) -> Result<Lenient, SampleError> {
    EDGE_CASES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
        .ok_or_else(|| SampleError(format!("no edge case {name}")))
}

fn export_case(b: &Base, case: &'static str, edge: &str) -> Result<Case, SampleError> {
    let f = form(edge)?;
    let lines = lenient_lines(b, f, case)?;
    let c = Case::export(
        case,
        "a donation whose signature only the read rule (ZIP-215) accepts, written before the server refused such signatures: it verifies (s ≥ ℓ never does)",
        b.fund.export_of(&lines)?,
    );
    Ok(match f {
        Lenient::NonCanonicalS => c.finds(&[(APPENDED, "bad_signature")]),
        _ => c,
    })
}

fn receipt_case(b: &Base, case: &'static str, edge: &str) -> Result<Case, SampleError> {
    let f = form(edge)?;
    let lines = lenient_lines(b, f, case)?;
    let r = b.fund.receipt_of(&lines, lines.len() as u64 - 1)?;
    let mut bytes = serde_json::to_vec_pretty(&r).map_err(sample_err)?;
    bytes.push(b'\n');
    let c = Case::receipt(
        case,
        "a receipt of a donation whose signature only the read rule (ZIP-215) accepts: valid for a verifier by the read rule, intent_signature for a strict one",
        bytes,
    );
    Ok(match f {
        Lenient::NonCanonicalS => c.refused("intent_signature"),
        _ => c.strict_refused("intent_signature"),
    })
}

macro_rules! edge_cases {
    ($($export:ident, $receipt:ident, $edge:literal;)*) => {$(
        pub(in crate::sample::conformance) fn $export(b: &Base) -> Result<Case, SampleError> {
            export_case(b, stringify!($export), $edge)
        }
        pub(in crate::sample::conformance) fn $receipt(b: &Base) -> Result<Case, SampleError> {
            receipt_case(b, stringify!($receipt), $edge)
        }
    )*};
}

edge_cases! {
    lenient_r_mixed_order, receipt_lenient_r_mixed_order, "r_mixed_order";
    lenient_r_mixed_order_8, receipt_lenient_r_mixed_order_8, "r_mixed_order_8";
    lenient_r_small_order, receipt_lenient_r_small_order, "r_small_order";
    lenient_r_identity, receipt_lenient_r_identity, "r_identity";
    lenient_r_non_canonical, receipt_lenient_r_non_canonical, "r_non_canonical";
    lenient_s_non_canonical, receipt_lenient_s_non_canonical, "s_non_canonical";
}

/// A trustee change, signed by every trustee, that adds a key encoded non-canonically
/// (`y` ≥ p): the server refuses it now (`key_not_strict`); read, it verifies.
pub(in crate::sample::conformance) fn lenient_key_added(b: &Base) -> Result<Case, SampleError> {
    let intent = json!({
        "body": {"add": [{"key": hex::encode(non_canonical_key()), "name": "管理人戊"}], "remove": []},
        "fund": super::FUND,
        "key": "conformance-key-added",
        "kind": "trustees",
        "signed_at": b.entry_value(b.fund.lines.len() - 1)?["recorded_at"].clone(),
    });
    let line = b.next_entry(&intent, &b.trustee_keys())?;
    let mut lines = b.lines();
    lines.push(line);
    Ok(Case::export(
        "lenient_key_added",
        "a trustee change that adds a key encoded non-canonically (y ≥ 2^255 − 19), written before the server refused such keys: it verifies",
        b.fund.export_of(&lines)?,
    ))
}
