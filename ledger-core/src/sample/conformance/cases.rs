//! The cases of the conformance suite, one function each (see [`super::CASES`]).

use serde_json::json;

use super::{Args, Base, Case, Place, APPENDED, ENTRIES};
use crate::sample::SampleError;

/// Line of entry `seq` in an export (line 1 is the header).
fn line_of(seq: usize) -> u64 {
    seq as u64 + 2
}

/// The checkpoint line of an export of `entries` entry lines.
fn checkpoint_line(entries: usize) -> u64 {
    entries as u64 + 2
}

fn receipt_bytes(r: &crate::receipt::Receipt) -> Result<Vec<u8>, SampleError> {
    let mut out = serde_json::to_vec_pretty(r).map_err(|e| SampleError(e.to_string()))?;
    out.push(b'\n');
    Ok(out)
}

fn sample_err(e: impl std::fmt::Display) -> SampleError {
    SampleError(e.to_string())
}

pub(super) fn clean(b: &Base) -> Result<Case, SampleError> {
    Ok(Case::export(
        "clean",
        "an untouched export: no finding",
        b.export.clone(),
    ))
}

pub(super) fn clean_pinned_keys(b: &Base) -> Result<Case, SampleError> {
    Ok(Case::export(
        "clean_pinned_keys",
        "an untouched export checked against the log and operator keys it names",
        b.export.clone(),
    )
    .with(Args {
        log_key: Some(b.fund.keys.log.verifier().to_vkey()),
        operator_key: Some(b.fund.header().operator_key.to_string()),
        ..Args::default()
    }))
}

pub(super) fn edited_amount(b: &Base) -> Result<Case, SampleError> {
    let s = b.last_of("donation")?;
    let mut lines = b.lines();
    let text = String::from_utf8(lines[s].clone()).map_err(sample_err)?;
    let amount = b.entry_value(s)?["intent"]["body"]["amount"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let more = format!("1{amount}");
    lines[s] = text
        .replacen(
            &format!("\"amount\":\"{amount}\""),
            &format!("\"amount\":\"{more}\""),
            1,
        )
        .into_bytes();
    let mut findings = vec![(Place::Seq(s as u64), "bad_signature")];
    if s + 1 < ENTRIES {
        findings.push((Place::Seq(s as u64 + 1), "prev_mismatch"));
    }
    findings.push((
        Place::Line(checkpoint_line(ENTRIES)),
        "checkpoint_root_mismatch",
    ));
    Ok(Case::export(
        "edited_amount",
        "a donation's amount changed: its signature fails, the next entry's prev and the checkpoint's root no longer match",
        b.with_old_checkpoint(&lines)?,
    )
    .finds(&findings))
}

pub(super) fn deleted_entry(b: &Base) -> Result<Case, SampleError> {
    let d = 10;
    let mut lines = b.lines();
    lines.remove(d);
    Ok(Case::export(
        "deleted_entry",
        "entry 10 removed: the entry after it has the wrong seq, the later statements' roots differ, and the checkpoint covers one entry more",
        b.with_old_checkpoint(&lines)?,
    )
    .finds(&[
        (Place::Seq(d as u64 + 1), "seq_mismatch"),
        // The statements after it: tree_size is through_seq + 1 (FORMAT.md §6), so the
        // first figure that differs is the root, over the lines as they are.
        (Place::Seq(24), "statement_mismatch"),
        (Place::Seq(42), "statement_mismatch"),
        (Place::Line(checkpoint_line(ENTRIES - 1)), "checkpoint_size_mismatch"),
    ]))
}

pub(super) fn trailing_data(b: &Base) -> Result<Case, SampleError> {
    let mut bytes = b.export.clone();
    bytes.extend_from_slice(b"{\"more\":1}\n");
    Ok(
        Case::export("trailing_data", "a line after the checkpoint", bytes)
            .finds(&[(Place::Line(checkpoint_line(ENTRIES) + 1), "trailing_data")]),
    )
}

pub(super) fn checkpoint_missing(b: &Base) -> Result<Case, SampleError> {
    let mut bytes = b.fund.header().to_line();
    bytes.push(b'\n');
    for l in &b.fund.lines {
        bytes.extend_from_slice(l);
        bytes.push(b'\n');
    }
    Ok(Case::export(
        "checkpoint_missing",
        "the export ends after its last entry, without a checkpoint line",
        bytes,
    )
    .finds(&[(Place::Line(checkpoint_line(ENTRIES)), "checkpoint_missing")]))
}

pub(super) fn unknown_signer(b: &Base) -> Result<Case, SampleError> {
    let stranger = crate::sample::key_from_label("conformance stranger");
    let mut intent = b.entry_value(b.last_of("donation")?)?["intent"].clone();
    intent["key"] = json!("conformance-stranger");
    let line = b.next_entry(&intent, &[stranger])?;
    let mut lines = b.lines();
    lines.push(line);
    let _ = line_of(0);
    Ok(Case::export(
        "unknown_signer",
        "a donation signed by a key that is not a trustee",
        b.fund.export_of(&lines)?,
    )
    .finds(&[(APPENDED, "unknown_signer")]))
}

pub(super) fn receipt_valid(b: &Base) -> Result<Case, SampleError> {
    let s = b.last_of("donation")? as u64;
    Ok(Case::receipt(
        "receipt_valid",
        "a receipt for a donation, as the server gives it",
        receipt_bytes(&b.fund.receipt(s, false)?)?,
    ))
}

pub(super) fn receipt_bad_inclusion(b: &Base) -> Result<Case, SampleError> {
    let s = b.last_of("donation")? as u64;
    let mut r = b.fund.receipt(s, false)?;
    if let Some(h) = r.inclusion.first_mut() {
        *h = crate::hash::sha256(b"not a node");
    }
    Ok(Case::receipt(
        "receipt_bad_inclusion",
        "a receipt whose inclusion proof's first hash is changed",
        receipt_bytes(&r)?,
    )
    .refused("inclusion_proof"))
}
