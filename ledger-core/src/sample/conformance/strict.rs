//! The conformance cases of the signature rule (FORMAT.md §3, strict on write, lenient on
//! read): for each Ed25519 edge case of [`crate::sample::lenient`], an export whose last
//! entry carries it and a receipt of that entry; and an export whose trustee change adds a
//! non-canonically encoded key. The server no longer writes any of them, but a verifier
//! reading them applies the read rule (ZIP-215): they verify, except `s` ≥ ℓ. A strict
//! verifier (verify.js) refuses the receipts' signatures: their `expected_strict`.

use serde_json::json;

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
    let intent = b.template("donation", &format!("conformance-{name}"))?;
    let signer = b
        .trustee_keys()
        .into_iter()
        .next()
        .ok_or_else(|| SampleError("no trustee".into()))?;
    let sig = lenient_signature(&signer, &signing_message(&canonicalize(&intent)), form);
    let mut lines = b.lines();
    b.push_entry(
        &mut lines,
        intent,
        false,
        std::slice::from_ref(&signer),
        |e| e["sigs"][0]["sig"] = json!(sig.to_hex()),
    )?;
    Ok(lines)
}

fn export_case(b: &Base, case: &'static str, f: Lenient) -> Result<Case, SampleError> {
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

fn receipt_case(b: &Base, case: &'static str, f: Lenient) -> Result<Case, SampleError> {
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

/// Case names, by the edge case's name in [`EDGE_CASES`]: (export, receipt).
const NAMES: [(&str, &str, &str); 6] = [
    (
        "r_mixed_order",
        "lenient_r_mixed_order",
        "receipt_lenient_r_mixed_order",
    ),
    (
        "r_mixed_order_8",
        "lenient_r_mixed_order_8",
        "receipt_lenient_r_mixed_order_8",
    ),
    (
        "r_small_order",
        "lenient_r_small_order",
        "receipt_lenient_r_small_order",
    ),
    (
        "r_identity",
        "lenient_r_identity",
        "receipt_lenient_r_identity",
    ),
    (
        "r_non_canonical",
        "lenient_r_non_canonical",
        "receipt_lenient_r_non_canonical",
    ),
    (
        "s_non_canonical",
        "lenient_s_non_canonical",
        "receipt_lenient_s_non_canonical",
    ),
];

/// Every case of the signature rule: an export and a receipt per edge case, and the key.
pub(in crate::sample::conformance) fn cases(b: &Base) -> Result<Vec<Case>, SampleError> {
    let mut out = Vec::new();
    for (edge, export, receipt) in NAMES {
        let f = EDGE_CASES
            .iter()
            .find(|(n, _)| *n == edge)
            .map(|(_, f)| *f)
            .ok_or_else(|| SampleError(format!("no edge case {edge}")))?;
        out.push(export_case(b, export, f)?);
        out.push(receipt_case(b, receipt, f)?);
    }
    out.push(lenient_key_added(b)?);
    Ok(out)
}

/// A trustee change, signed by every trustee, that adds a key encoded non-canonically
/// (`y` ≥ p): the server refuses it now (`key_not_strict`); read, it verifies.
fn lenient_key_added(b: &Base) -> Result<Case, SampleError> {
    let intent = json!({
        "body": {"add": [{"key": hex::encode(non_canonical_key()), "name": "管理人戊"}], "remove": []},
        "fund": super::FUND,
        "key": "conformance-key-added",
        "kind": "trustees",
        "signed_at": "2000-01-01T00:00:00Z",
    });
    let mut lines = b.lines();
    b.push_entry(&mut lines, intent, true, &b.trustee_keys(), |_| {})?;
    Ok(Case::export(
        "lenient_key_added",
        "a trustee change that adds a key encoded non-canonically (y ≥ 2^255 − 19), written before the server refused such keys: it verifies",
        b.fund.export_of(&lines)?,
    ))
}
