//! The cases of the conformance suite, one function each (listed in [`super::CASES`]), and
//! the table-driven ones ([`TYPE_ERRORS`], [`RULE_BREAKS`]).

use serde_json::{json, Value};

use super::{Args, Base, Case, CaseKind, Place, APPENDED, ENTRIES, FUND, HOST};
use crate::checkpoint::Checkpoint;
use crate::cosignature::CosignerKey;
use crate::hash::sha256;
use crate::note::NoteSigner;
use crate::receipt::Receipt;
use crate::sample::{key_from_label, SampleError};

/// Line of entry `seq` in an export (line 1 is the header).
fn line_of(seq: usize) -> u64 {
    seq as u64 + 2
}

/// The checkpoint line of an export of `entries` entry lines.
fn checkpoint_line(entries: usize) -> u64 {
    entries as u64 + 2
}

fn err(e: impl std::fmt::Display) -> SampleError {
    SampleError(e.to_string())
}

fn receipt_bytes(r: &Receipt) -> Result<Vec<u8>, SampleError> {
    let mut out = serde_json::to_vec_pretty(r).map_err(err)?;
    out.push(b'\n');
    Ok(out)
}

/// A key of no one in the fund.
fn stranger() -> ed25519_dalek::SigningKey {
    key_from_label("conformance stranger")
}

/// A log key of the same name as the fund's, but another key.
fn other_log_key() -> Result<NoteSigner, SampleError> {
    NoteSigner::new(HOST, key_from_label("conformance other log key")).map_err(err)
}

/// The export's lines as text, to edit.
fn text_lines(bytes: &[u8]) -> Result<Vec<String>, SampleError> {
    Ok(String::from_utf8(bytes.to_vec())
        .map_err(err)?
        .lines()
        .map(str::to_owned)
        .collect())
}

fn join(lines: &[String]) -> Vec<u8> {
    let mut out = lines.join("\n").into_bytes();
    out.push(b'\n');
    out
}

/// The export with its checkpoint line replaced by a checkpoint over `cp`, signed by
/// `signer`, carrying `extra` signature lines.
fn with_checkpoint(
    b: &Base,
    cp: &Checkpoint,
    signer: &NoteSigner,
    extra: &str,
) -> Result<Vec<u8>, SampleError> {
    let note = format!("{}{extra}", cp.sign(signer).map_err(err)?);
    Ok(b.fund.export_with_note(&b.fund.lines, note))
}

/// The fund's checkpoint (whole log).
fn full_checkpoint(b: &Base) -> Checkpoint {
    Checkpoint {
        origin: b.fund.origin.clone(),
        tree_size: b.fund.lines.len() as u64,
        root: b.fund.root(),
        extensions: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------
// Clean exports, and the header
// ---------------------------------------------------------------------------------------

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

pub(super) fn header_missing(_: &Base) -> Result<Case, SampleError> {
    Ok(Case::export(
        "header_missing",
        "an empty file is not an export",
        Vec::new(),
    )
    .unusable(Place::Line(1), "header_missing"))
}

pub(super) fn header_malformed(b: &Base) -> Result<Case, SampleError> {
    let mut lines = text_lines(&b.export)?;
    lines[0] = "{\"hello\":\"world\"}".into();
    Ok(Case::export(
        "header_malformed",
        "line 1 is JSON but not an export header: the input is unusable",
        join(&lines),
    )
    .unusable(Place::Line(1), "header_malformed"))
}

pub(super) fn header_log_key_invalid(b: &Base) -> Result<Case, SampleError> {
    let mut lines = text_lines(&b.export)?;
    let vkey = b.fund.keys.log.verifier().to_vkey();
    lines[0] = lines[0].replace(&vkey, "ledger.example+00000000+AQ==");
    Ok(Case::export(
        "header_log_key_invalid",
        "the header's log_key is not a verifier key: the header is malformed",
        join(&lines),
    )
    .unusable(Place::Line(1), "header_malformed"))
}

pub(super) fn unsupported_format(b: &Base) -> Result<Case, SampleError> {
    let mut lines = text_lines(&b.export)?;
    lines[0] = lines[0].replace("community-ledger-export/v1", "community-ledger-export/v2");
    Ok(Case::export(
        "unsupported_format",
        "the header names another export format: the input is unusable",
        join(&lines),
    )
    .unusable(Place::Line(1), "unsupported_format"))
}

pub(super) fn log_key_mismatch(b: &Base) -> Result<Case, SampleError> {
    Ok(Case::export(
        "log_key_mismatch",
        "the auditor trusts another log key: reported, and the checkpoint is checked against the trusted key, which did not sign it",
        b.export.clone(),
    )
    .with(Args {
        log_key: Some(other_log_key()?.verifier().to_vkey()),
        ..Args::default()
    })
    .finds(&[
        (Place::Line(1), "log_key_mismatch"),
        (Place::Line(checkpoint_line(ENTRIES)), "checkpoint_signature"),
    ]))
}

pub(super) fn operator_key_mismatch(b: &Base) -> Result<Case, SampleError> {
    let other = crate::keys::PublicKey::from_verifying_key(stranger().verifying_key());
    let mut findings = vec![(Place::Line(1), "operator_key_mismatch")];
    // The genesis is then signed by a stranger: refused, so the fund has no trustees and
    // no later signer is one.
    findings.extend((0..ENTRIES as u64).map(|s| (Place::Seq(s), "unknown_signer")));
    Ok(Case::export(
        "operator_key_mismatch",
        "the auditor trusts another operator key: reported, and the genesis is checked against the trusted key, so no entry is signed by a trustee",
        b.export.clone(),
    )
    .with(Args {
        operator_key: Some(other.to_string()),
        ..Args::default()
    })
    .finds(&findings))
}

// ---------------------------------------------------------------------------------------
// Lines
// ---------------------------------------------------------------------------------------

pub(super) fn edited_amount(b: &Base) -> Result<Case, SampleError> {
    let s = b.last_of("donation")?;
    let mut lines = b.lines();
    let text = String::from_utf8(lines[s].clone()).map_err(err)?;
    let amount = b.entry_value(s)?["intent"]["body"]["amount"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    lines[s] = text
        .replacen(
            &format!("\"amount\":\"{amount}\""),
            &format!("\"amount\":\"1{amount}\""),
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
    let statements: Vec<usize> = (d..ENTRIES)
        .filter(|s| {
            b.entry_value(*s)
                .is_ok_and(|v| v["intent"]["kind"] == "statement")
        })
        .collect();
    let mut findings = vec![(Place::Seq(d as u64 + 1), "seq_mismatch")];
    // The statements after it: tree_size is through_seq + 1 (FORMAT.md §6), so the first
    // figure that differs is the root, over the lines as they are.
    findings.extend(
        statements
            .iter()
            .map(|s| (Place::Seq(*s as u64), "statement_mismatch")),
    );
    findings.push((
        Place::Line(checkpoint_line(ENTRIES - 1)),
        "checkpoint_size_mismatch",
    ));
    Ok(Case::export(
        "deleted_entry",
        "entry 10 removed: the entry after it has the wrong seq, the later statements' roots differ, and the checkpoint covers one entry more",
        b.with_old_checkpoint(&lines)?,
    )
    .finds(&findings))
}

pub(super) fn duplicated_entry(b: &Base) -> Result<Case, SampleError> {
    let d = 10;
    let mut lines = b.lines();
    lines.insert(d + 1, lines[d].clone());
    let statements: Vec<usize> = (d..ENTRIES)
        .filter(|s| {
            b.entry_value(*s)
                .is_ok_and(|v| v["intent"]["kind"] == "statement")
        })
        .collect();
    let mut findings = vec![(Place::Seq(d as u64), "seq_mismatch")];
    findings.extend(
        statements
            .iter()
            .map(|s| (Place::Seq(*s as u64), "statement_mismatch")),
    );
    findings.push((
        Place::Line(checkpoint_line(ENTRIES + 1)),
        "checkpoint_size_mismatch",
    ));
    Ok(Case::export(
        "duplicated_entry",
        "entry 10 twice: the copy has the wrong seq (and is not applied), the later statements' roots differ (not their tree_size), the checkpoint covers one entry less",
        b.with_old_checkpoint(&lines)?,
    )
    .finds(&findings))
}

pub(super) fn seq_out_of_range(b: &Base) -> Result<Case, SampleError> {
    let mut lines = b.lines();
    lines[5] = b"{\"seq\":99999999999}".to_vec();
    Ok(Case::export(
        "seq_out_of_range",
        "a line claims a seq far beyond the lines before it: one finding, and verification stops there",
        b.with_old_checkpoint(&lines)?,
    )
    .finds(&[(Place::Line(line_of(5)), "seq_out_of_range")]))
}

/// A line appended after the whole log (checkpoint over it), refused with `code`, located
/// at `place`.
fn appended_line(
    b: &Base,
    name: &'static str,
    about: &'static str,
    line: &[u8],
    place: Place,
    code: &'static str,
) -> Result<Case, SampleError> {
    Ok(Case::export(name, about, b.appended_line(line)?).finds(&[(place, code)]))
}

pub(super) fn entry_too_large(b: &Base) -> Result<Case, SampleError> {
    let line = format!("{{\"memo\":\"{}\",\"seq\":{ENTRIES}}}", "x".repeat(70_000));
    appended_line(
        b,
        "entry_too_large",
        "an entry line over 65,536 bytes",
        line.as_bytes(),
        APPENDED,
        "entry_too_large",
    )
}

pub(super) fn invalid_utf8(b: &Base) -> Result<Case, SampleError> {
    let line = format!("{{\"seq\":{ENTRIES},\"x\":\"\u{fffd}\"}}")
        .replace('\u{fffd}', "")
        .into_bytes();
    let mut line = line;
    let at = line.len() - 2;
    line.insert(at, 0xff);
    appended_line(
        b,
        "invalid_utf8",
        "an entry line that is not UTF-8: no seq can be read, so it is located by its line",
        &line,
        Place::Line(line_of(ENTRIES)),
        "invalid_utf8",
    )
}

pub(super) fn invalid_json(b: &Base) -> Result<Case, SampleError> {
    let line = format!("{{\"seq\":{ENTRIES},");
    appended_line(
        b,
        "invalid_json",
        "an entry line that is not JSON",
        line.as_bytes(),
        Place::Line(line_of(ENTRIES)),
        "invalid_json",
    )
}

pub(super) fn too_deep(b: &Base) -> Result<Case, SampleError> {
    let line = format!(
        "{{\"seq\":{ENTRIES},\"x\":{}{}}}",
        "[".repeat(32),
        "]".repeat(32)
    );
    appended_line(
        b,
        "too_deep",
        "an entry line nested 33 deep (the object is one level)",
        line.as_bytes(),
        APPENDED,
        "too_deep",
    )
}

pub(super) fn not_canonical(b: &Base) -> Result<Case, SampleError> {
    let line = format!("{{\"seq\": {ENTRIES}}}");
    appended_line(
        b,
        "not_canonical",
        "an entry line with a space: not canonical JSON",
        line.as_bytes(),
        APPENDED,
        "not_canonical",
    )
}

pub(super) fn duplicate_member(b: &Base) -> Result<Case, SampleError> {
    let line = format!("{{\"seq\":{ENTRIES},\"seq\":{ENTRIES}}}");
    appended_line(
        b,
        "duplicate_member",
        "a member name twice: not canonical",
        line.as_bytes(),
        APPENDED,
        "not_canonical",
    )
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
    let mut lines = text_lines(&b.export)?;
    lines.pop();
    Ok(Case::export(
        "checkpoint_missing",
        "the export ends after its last entry, without a checkpoint line: reported at the line after the last",
        join(&lines),
    )
    .finds(&[(Place::Line(checkpoint_line(ENTRIES)), "checkpoint_missing")]))
}

pub(super) fn final_newline_missing(b: &Base) -> Result<Case, SampleError> {
    let mut bytes = b.export.clone();
    bytes.pop();
    Ok(Case::export(
        "final_newline_missing",
        "the last line (the checkpoint) lacks its \\n",
        bytes,
    )
    .finds(&[(
        Place::Line(checkpoint_line(ENTRIES)),
        "final_newline_missing",
    )]))
}

pub(super) fn final_newline_and_checkpoint_missing(b: &Base) -> Result<Case, SampleError> {
    let mut lines = text_lines(&b.export)?;
    lines.pop();
    let mut bytes = join(&lines);
    bytes.pop();
    Ok(Case::export(
        "final_newline_and_checkpoint_missing",
        "cut inside the log: the last entry line lacks its \\n and there is no checkpoint",
        bytes,
    )
    .finds(&[
        (Place::Line(line_of(ENTRIES - 1)), "final_newline_missing"),
        (Place::Line(checkpoint_line(ENTRIES)), "checkpoint_missing"),
    ]))
}

// ---------------------------------------------------------------------------------------
// The checkpoint line
// ---------------------------------------------------------------------------------------

pub(super) fn checkpoint_malformed(b: &Base) -> Result<Case, SampleError> {
    let bytes = b.fund.export_with_note(&b.fund.lines, "not a note".into());
    Ok(Case::export(
        "checkpoint_malformed",
        "the checkpoint line holds no signed note",
        bytes,
    )
    .finds(&[(
        Place::Line(checkpoint_line(ENTRIES)),
        "checkpoint_malformed",
    )]))
}

pub(super) fn checkpoint_signature(b: &Base) -> Result<Case, SampleError> {
    let bytes = with_checkpoint(b, &full_checkpoint(b), &other_log_key()?, "")?;
    Ok(Case::export(
        "checkpoint_signature",
        "the checkpoint is signed by another key of the log key's name",
        bytes,
    )
    .finds(&[(
        Place::Line(checkpoint_line(ENTRIES)),
        "checkpoint_signature",
    )]))
}

pub(super) fn checkpoint_origin_mismatch(b: &Base) -> Result<Case, SampleError> {
    let mut cp = full_checkpoint(b);
    cp.origin = format!("{HOST}/another-fund");
    let bytes = with_checkpoint(b, &cp, &b.fund.keys.log, "")?;
    Ok(Case::export(
        "checkpoint_origin_mismatch",
        "the checkpoint, validly signed, is of another origin",
        bytes,
    )
    .finds(&[(
        Place::Line(checkpoint_line(ENTRIES)),
        "checkpoint_origin_mismatch",
    )]))
}

pub(super) fn checkpoint_size_mismatch(b: &Base) -> Result<Case, SampleError> {
    let mut cp = full_checkpoint(b);
    cp.tree_size += 1;
    let bytes = with_checkpoint(b, &cp, &b.fund.keys.log, "")?;
    Ok(Case::export(
        "checkpoint_size_mismatch",
        "the checkpoint claims one entry more than the export has",
        bytes,
    )
    .finds(&[(
        Place::Line(checkpoint_line(ENTRIES)),
        "checkpoint_size_mismatch",
    )]))
}

pub(super) fn checkpoint_root_mismatch(b: &Base) -> Result<Case, SampleError> {
    let mut cp = full_checkpoint(b);
    cp.root = sha256(b"another root");
    let bytes = with_checkpoint(b, &cp, &b.fund.keys.log, "")?;
    Ok(Case::export(
        "checkpoint_root_mismatch",
        "the checkpoint's size is right, its root is not",
        bytes,
    )
    .finds(&[(
        Place::Line(checkpoint_line(ENTRIES)),
        "checkpoint_root_mismatch",
    )]))
}

/// The witness of the policy cases.
fn witness() -> Result<CosignerKey, SampleError> {
    CosignerKey::from_seed("witness.example", &sha256(b"conformance witness").0).map_err(err)
}

/// A policy: the fund's log (or `log`), one witness, quorum that witness.
fn policy(b: &Base, log: Option<String>) -> Result<String, SampleError> {
    let log = log.unwrap_or_else(|| b.fund.keys.log.verifier().to_vkey());
    Ok(format!(
        "log {log}\nwitness w1 {} https://witness.example\nquorum w1\n",
        witness()?.verifier().to_vkey()
    ))
}

/// When the witness cosigned: 2023-04-01T00:00:00Z.
const COSIGNED_AT: u64 = 1_680_307_200;

pub(super) fn witnessed_clean(b: &Base) -> Result<Case, SampleError> {
    let cp = full_checkpoint(b);
    let line = witness()?.signature_line(&cp, COSIGNED_AT).map_err(err)?;
    Ok(Case::export(
        "witnessed_clean",
        "with a witness policy: the checkpoint carries the witness's cosignature, the quorum is met",
        with_checkpoint(b, &cp, &b.fund.keys.log, &line)?,
    )
    .with(Args {
        policy: Some(policy(b, None)?),
        ..Args::default()
    }))
}

pub(super) fn witness_quorum_not_met(b: &Base) -> Result<Case, SampleError> {
    Ok(Case::export(
        "witness_quorum_not_met",
        "with a witness policy: the checkpoint carries no cosignature",
        b.export.clone(),
    )
    .with(Args {
        policy: Some(policy(b, None)?),
        ..Args::default()
    })
    .finds(&[(
        Place::Line(checkpoint_line(ENTRIES)),
        "witness_quorum_not_met",
    )]))
}

pub(super) fn witness_cosignature_invalid(b: &Base) -> Result<Case, SampleError> {
    let cp = full_checkpoint(b);
    // Cosigned at one time, claimed at another: the signature does not verify.
    let line = witness()?.signature_line(&cp, COSIGNED_AT).map_err(err)?;
    let mut other = full_checkpoint(b);
    other.tree_size -= 1;
    let wrong = witness()?
        .signature_line(&other, COSIGNED_AT)
        .map_err(err)?;
    let _ = line;
    Ok(Case::export(
        "witness_cosignature_invalid",
        "with a witness policy: the witness's line is a cosignature of another checkpoint",
        with_checkpoint(b, &cp, &b.fund.keys.log, &wrong)?,
    )
    .with(Args {
        policy: Some(policy(b, None)?),
        ..Args::default()
    })
    .finds(&[(
        Place::Line(checkpoint_line(ENTRIES)),
        "witness_cosignature_invalid",
    )]))
}

pub(super) fn policy_log_mismatch(b: &Base) -> Result<Case, SampleError> {
    Ok(Case::export(
        "policy_log_mismatch",
        "with a witness policy whose log is another key",
        b.export.clone(),
    )
    .with(Args {
        policy: Some(policy(b, Some(other_log_key()?.verifier().to_vkey()))?),
        ..Args::default()
    })
    .finds(&[(Place::Line(checkpoint_line(ENTRIES)), "policy_log_mismatch")]))
}

// ---------------------------------------------------------------------------------------
// --since
// ---------------------------------------------------------------------------------------

/// A checkpoint of the fund's first `size` entries as they were, signed by `signer`.
fn saved(
    b: &Base,
    size: usize,
    origin: Option<&str>,
    signer: &NoteSigner,
) -> Result<String, SampleError> {
    let mut frontier = crate::merkle::Frontier::new();
    for l in &b.fund.lines[..size.min(b.fund.lines.len())] {
        frontier.push(crate::hash::leaf_hash(l));
    }
    Checkpoint {
        origin: origin.map_or_else(|| b.fund.origin.clone(), str::to_owned),
        tree_size: size as u64,
        root: frontier.root(),
        extensions: Vec::new(),
    }
    .sign(signer)
    .map_err(err)
}

fn since_case(name: &'static str, about: &'static str, note: String, export: Vec<u8>) -> Case {
    Case::export(name, about, export).with(Args {
        since: Some(note),
        ..Args::default()
    })
}

pub(super) fn since_clean(b: &Base) -> Result<Case, SampleError> {
    Ok(since_case(
        "since_clean",
        "the log only grew since a checkpoint of its first 20 entries",
        saved(b, 20, None, &b.fund.keys.log)?,
        b.export.clone(),
    ))
}

pub(super) fn since_malformed(b: &Base) -> Result<Case, SampleError> {
    Ok(since_case(
        "since_malformed",
        "the saved checkpoint is not a signed note: unusable input",
        "hello\n".into(),
        b.export.clone(),
    )
    .unusable(Place::Line(0), "since_malformed"))
}

pub(super) fn since_bad_signature(b: &Base) -> Result<Case, SampleError> {
    Ok(since_case(
        "since_bad_signature",
        "the saved checkpoint is signed by another key",
        saved(b, 20, None, &other_log_key()?)?,
        b.export.clone(),
    )
    .finds(&[(Place::Line(0), "since_bad_signature")]))
}

pub(super) fn since_origin_mismatch(b: &Base) -> Result<Case, SampleError> {
    let origin = format!("{HOST}/another-fund");
    Ok(since_case(
        "since_origin_mismatch",
        "the saved checkpoint is of another log",
        saved(b, 20, Some(&origin), &b.fund.keys.log)?,
        b.export.clone(),
    )
    .finds(&[(Place::Line(0), "since_origin_mismatch")]))
}

pub(super) fn since_larger_than_log(b: &Base) -> Result<Case, SampleError> {
    let lines = &b.fund.lines[..30];
    Ok(since_case(
        "since_larger_than_log",
        "the log has 30 entries; the saved checkpoint covers 40: entries were removed",
        saved(b, 40, None, &b.fund.keys.log)?,
        b.fund.export_of(lines)?,
    )
    .finds(&[(Place::Line(0), "since_larger_than_log")]))
}

pub(super) fn since_not_consistent(b: &Base) -> Result<Case, SampleError> {
    // A rewrite the log key signed: entry 10 dropped, the rest re-chained, a fresh checkpoint.
    let mut entries = b.fund.entries()?;
    entries.remove(10);
    for (i, e) in entries.iter_mut().enumerate() {
        e.seq = i as u64;
    }
    let lines = b
        .fund
        .rechain(entries, 10, crate::sample::Restatement::Redraft, &[])?;
    Ok(since_case("since_not_consistent", "the log was rewritten (entry 10 dropped, re-chained, statements redrafted, checkpoint re-signed) after the saved checkpoint of 20 entries: a fork", saved(b, 20, None, &b.fund.keys.log)?, b.fund.export_of(&lines)?)
        .finds(&[(Place::Line(0), "since_not_consistent")]))
}

// ---------------------------------------------------------------------------------------
// Entries appended after the whole log, one finding each
// ---------------------------------------------------------------------------------------

/// An entry appended after the log: the last `template` entry's intent changed by `edit`,
/// signed by every trustee; one finding, `code`, at its seq.
fn one_more(
    b: &Base,
    name: &'static str,
    about: &'static str,
    template: &str,
    edit: impl FnOnce(&mut Value),
    code: &'static str,
) -> Result<Case, SampleError> {
    Ok(Case::export(name, about, b.appended(template, edit)?).finds(&[(APPENDED, code)]))
}

/// An entry appended after the log: `intent` (as is) signed by `signers`, then `edit` on
/// the entry; one finding, `code`, at `place`.
#[allow(clippy::too_many_arguments)]
fn one_more_entry(
    b: &Base,
    name: &'static str,
    about: &'static str,
    intent: Value,
    signers: &[ed25519_dalek::SigningKey],
    edit: impl FnOnce(&mut Value),
    place: Place,
    code: &'static str,
) -> Result<Case, SampleError> {
    let mut lines = b.lines();
    b.push_entry(&mut lines, intent, true, signers, edit)?;
    Ok(Case::export(name, about, b.fund.export_of(&lines)?).finds(&[(place, code)]))
}

pub(super) fn appended_clean(b: &Base) -> Result<Case, SampleError> {
    Ok(Case::export(
        "appended_clean",
        "the log with one more donation, as the cases below build theirs: no finding",
        b.appended("donation", |_| {})?,
    ))
}

pub(super) fn id_edges(b: &Base) -> Result<Case, SampleError> {
    Ok(Case::export(
        "id_edges",
        "an agreement id that starts with - and ends with _: allowed (only fund ids have the edge rule)",
        b.appended("agreement", |i| i["body"]["agreement_id"] = json!("-conformance_"))?,
    ))
}

pub(super) fn entry_level(b: &Base) -> Result<Vec<Case>, SampleError> {
    let donation = b.template("donation", "conformance-entry")?;
    let t = b.trustee_keys();
    let first = t.first().cloned().into_iter().collect::<Vec<_>>();
    let mut out = Vec::new();
    let mut add = |c: Result<Case, SampleError>| -> Result<(), SampleError> {
        out.push(c?);
        Ok(())
    };
    add(one_more_entry(
        b,
        "unknown_signer",
        "a donation signed by a key that is not a trustee",
        donation.clone(),
        &[stranger()],
        |_| {},
        APPENDED,
        "unknown_signer",
    ))?;
    add(one_more_entry(
        b,
        "unknown_signer_before_quorum",
        "a disbursement (quorum 2) signed by one stranger: the stranger is named first",
        b.template("disbursement", "conformance-entry")?,
        &[stranger()],
        |_| {},
        APPENDED,
        "unknown_signer",
    ))?;
    add(one_more_entry(
        b,
        "quorum_not_met",
        "a disbursement (quorum 2) signed by one trustee",
        b.template("disbursement", "conformance-entry")?,
        &first,
        |_| {},
        APPENDED,
        "quorum_not_met",
    ))?;
    add(one_more_entry(
        b,
        "unsupported_version",
        "an entry of version 2",
        donation.clone(),
        &t,
        |e| e["v"] = json!(2),
        APPENDED,
        "unsupported_version",
    ))?;
    add(one_more_entry(
        b,
        "malformed_entry_member",
        "an entry with an unknown member",
        donation.clone(),
        &t,
        |e| e["x"] = json!(1),
        APPENDED,
        "malformed",
    ))?;
    add(one_more_entry(
        b,
        "malformed_negative_seq",
        "an entry whose seq is negative: no seq can be read, so it is located by its line",
        donation.clone(),
        &t,
        |e| e["seq"] = json!(-1),
        Place::Line(line_of(ENTRIES)),
        "malformed",
    ))?;
    add(one_more_entry(
        b,
        "no_signature",
        "an entry with an empty sigs list",
        donation.clone(),
        &t,
        |e| e["sigs"] = json!([]),
        APPENDED,
        "no_signature",
    ))?;
    add(one_more_entry(
        b,
        "too_many_signatures",
        "an entry with 33 signatures",
        donation.clone(),
        &(0..33)
            .map(|i| key_from_label(&format!("conformance signer {i}")))
            .collect::<Vec<_>>(),
        |_| {},
        APPENDED,
        "too_many_signatures",
    ))?;
    add(one_more_entry(
        b,
        "duplicate_signer_repeated",
        "the same key signs twice",
        donation.clone(),
        &first,
        |e| {
            let s = e["sigs"][0].clone();
            e["sigs"] = json!([s.clone(), s]);
        },
        APPENDED,
        "duplicate_signer",
    ))?;
    add(one_more_entry(
        b,
        "duplicate_signer_unsorted",
        "two distinct keys out of order",
        donation.clone(),
        &t,
        |e| {
            if let Some(a) = e["sigs"].as_array_mut() {
                a.reverse();
            }
        },
        APPENDED,
        "duplicate_signer",
    ))?;
    add(one_more_entry(
        b,
        "bad_signature",
        "the amount changed after signing",
        donation.clone(),
        &t,
        |e| e["intent"]["body"]["amount"] = json!("99999.00"),
        APPENDED,
        "bad_signature",
    ))?;
    add(one_more_entry(
        b,
        "signature_hex",
        "a signature that is not hex",
        donation.clone(),
        &t,
        |e| e["sigs"][0]["sig"] = json!("zz".repeat(64)),
        APPENDED,
        "signature_hex",
    ))?;
    add(one_more_entry(
        b,
        "hash_hex",
        "a prev that is not hex",
        donation.clone(),
        &t,
        |e| e["prev"] = json!("zz".repeat(32)),
        APPENDED,
        "hash_hex",
    ))?;
    add(one_more_entry(
        b,
        "intent_not_canonical",
        "an optional body member given as null",
        donation.clone(),
        &t,
        |e| e["intent"]["body"]["memo"] = Value::Null,
        APPENDED,
        "intent_not_canonical",
    ))?;
    add(one_more_entry(
        b,
        "fund_mismatch",
        "the entry names another fund",
        donation.clone(),
        &t,
        |e| e["fund"] = json!("another-fund"),
        APPENDED,
        "fund_mismatch",
    ))?;
    let mut other_fund = donation.clone();
    other_fund["fund"] = json!("another-fund");
    add(one_more_entry(
        b,
        "fund_mismatch_intent",
        "the intent, signed, names another fund",
        other_fund,
        &t,
        |_| {},
        APPENDED,
        "fund_mismatch",
    ))?;
    add(one_more_entry(
        b,
        "seq_mismatch",
        "the entry skips a seq",
        donation.clone(),
        &t,
        |e| e["seq"] = json!(ENTRIES + 1),
        Place::Seq(ENTRIES as u64 + 1),
        "seq_mismatch",
    ))?;
    add(one_more_entry(
        b,
        "prev_mismatch",
        "the entry's prev is not the previous entry's hash",
        donation.clone(),
        &t,
        |e| e["prev"] = json!("00".repeat(32)),
        APPENDED,
        "prev_mismatch",
    ))?;
    add(one_more_entry(
        b,
        "recorded_at_decreased",
        "recorded before the previous entry",
        donation.clone(),
        &t,
        |e| e["recorded_at"] = json!("2023-01-01T00:00:00Z"),
        APPENDED,
        "recorded_at_decreased",
    ))?;
    let mut future = donation.clone();
    future["signed_at"] = json!("2099-01-01T00:00:00Z");
    let mut lines = b.lines();
    b.push_entry(&mut lines, future, false, &t, |_| {})?;
    out.push(
        Case::export(
            "signed_in_future",
            "signed more than 300 seconds after it was recorded",
            b.fund.export_of(&lines)?,
        )
        .finds(&[(APPENDED, "signed_in_future")]),
    );
    let mut reused = donation.clone();
    reused["key"] = b.entry_value(b.last_of("donation")?)?["intent"]["key"].clone();
    out.push(one_more_entry(
        b,
        "idempotency_key_reused",
        "an intent key used by an earlier entry",
        reused,
        &t,
        |_| {},
        APPENDED,
        "idempotency_key_reused",
    )?);
    let mut genesis = b.template("genesis", "conformance-entry")?;
    genesis["signed_at"] = json!("2000-01-01T00:00:00Z");
    out.push(one_more_entry(
        b,
        "genesis_not_first",
        "a second genesis, signed by the operator",
        genesis,
        std::slice::from_ref(&b.fund.keys.operator),
        |_| {},
        APPENDED,
        "genesis_not_first",
    )?);
    // A log of one donation at seq 0.
    let mut lines = Vec::new();
    let mut first_line = b.entry_value(0)?;
    first_line["intent"] = donation.clone();
    first_line["intent"]["signed_at"] = first_line["recorded_at"].clone();
    let intent = first_line["intent"].clone();
    let genesis_at = first_line["recorded_at"].clone();
    // push_entry needs a previous line for the time: build the entry by hand.
    let mut message = crate::entry::INTENT_SIGNING_PREFIX.to_vec();
    message.extend_from_slice(&crate::canonical::canonicalize(&intent));
    use ed25519_dalek::Signer;
    let key = &b.fund.keys.operator;
    lines.push(crate::canonical::canonicalize(&json!({
        "v": 1, "fund": FUND, "seq": 0, "prev": "00".repeat(32), "recorded_at": genesis_at,
        "intent": intent,
        "sigs": [{"key": crate::keys::PublicKey::from_verifying_key(key.verifying_key()).to_string(),
                  "sig": hex::encode(key.sign(&message).to_bytes())}],
    })));
    out.push(
        Case::export(
            "genesis_missing",
            "a log whose seq 0 is a donation",
            b.fund.export_of(&lines)?,
        )
        .finds(&[(Place::Seq(0), "genesis_missing")]),
    );
    Ok(out)
}

/// Rule breaks: (name, about, template kind, edit of the intent, code).
type RuleBreak = (
    &'static str,
    &'static str,
    &'static str,
    fn(&mut Value),
    &'static str,
);

/// Breaks of the fund's rules (§5, §6) by an entry appended after the log, signed by
/// every trustee.
pub(super) const RULE_BREAKS: &[RuleBreak] = &[
    ("policy_invalid", "a trustee change setting a statement quorum of 0", "trustees", |i| {
        i["body"] = json!({"add": [], "remove": [], "policy": {"statement_quorum": 0, "disbursement_quorum": 2, "governance_quorum": 2, "share_rate_min": "0.1000", "share_rate_max": "0.5000"}});
    }, "policy_invalid"),
    ("quorum_unreachable", "a trustee change setting a quorum above the number of trustees", "trustees", |i| {
        i["body"] = json!({"add": [], "remove": [], "policy": {"statement_quorum": 2, "disbursement_quorum": 2, "governance_quorum": 30, "share_rate_min": "0.1000", "share_rate_max": "0.5000"}});
    }, "quorum_unreachable"),
    ("trustee_exists", "a trustee change adding a current trustee (the one it added before)", "trustees", |i| {
        let added = i["body"]["add"].clone();
        i["body"] = json!({"add": added, "remove": []});
    }, "trustee_exists"),
    ("trustee_unknown", "a trustee change removing a key that is no trustee (the one removed before)", "trustees", |i| {
        let removed = i["body"]["remove"].clone();
        i["body"] = json!({"add": [], "remove": removed});
    }, "trustee_unknown"),
    ("trustee_added_and_removed", "a trustee change adding and removing the same current trustee: removal is checked first, then the addition finds it a trustee", "trustees", |i| {
        let added = i["body"]["add"].clone();
        let key = added[0]["key"].clone();
        i["body"] = json!({"add": added, "remove": [key]});
    }, "trustee_exists"),
    ("trustee_change_empty", "a trustee change that changes nothing", "trustees", |i| {
        i["body"] = json!({"add": [], "remove": []});
    }, "trustee_change_empty"),
    ("trustees_lists_required", "a trustee change without its empty remove list", "trustees", |i| {
        let added = i["body"]["add"].clone();
        i["body"] = json!({"add": added});
    }, "malformed"),
    ("donor_commitment_missing", "a resident's donation without a commitment", "donation", |i| {
        i["body"]["donor"] = json!({"class": "resident"});
    }, "donor_commitment_missing"),
    ("resident_named_without_consent", "a resident named without consent", "donation", |i| {
        i["body"]["donor"] = json!({"class": "resident", "commitment": "11".repeat(32), "name": "王伟"});
    }, "resident_named_without_consent"),
    ("donor_name_missing", "an enterprise donor without a name", "donation", |i| {
        i["body"]["donor"] = json!({"class": "enterprise"});
    }, "donor_name_missing"),
    ("anonymous_donor_named", "an anonymous donor with a name", "donation", |i| {
        i["body"]["donor"] = json!({"class": "anonymous", "name": "王伟"});
    }, "anonymous_donor_named"),
    ("rate_out_of_policy", "an agreement at a rate above the policy's maximum", "agreement", |i| {
        i["body"]["agreement_id"] = json!("conformance-agreement");
        i["body"]["rate"] = json!("0.9000");
    }, "rate_out_of_policy"),
    ("agreement_exists", "an agreement with an id already used", "agreement", |_| {}, "agreement_exists"),
    ("agreement_dates", "an agreement ending before it starts", "agreement", |i| {
        i["body"]["agreement_id"] = json!("conformance-agreement");
        i["body"]["end"] = json!("2022-12-31");
    }, "agreement_dates"),
    ("agreement_unknown", "a revenue share under an agreement that does not exist", "revenue_share", |i| {
        i["body"]["agreement_id"] = json!("no-such-agreement");
    }, "agreement_unknown"),
    ("agreement_inactive", "a revenue share for a period before the agreement started", "revenue_share", |i| {
        i["body"]["period"] = json!({"from": "2022-12-01", "to": "2022-12-31"});
    }, "agreement_inactive"),
    ("period_not_whole_months", "a revenue share with a fixed monthly part over part of a month", "revenue_share", |i| {
        i["body"]["agreement_id"] = json!("tongmeng-2023");
        i["body"]["period"] = json!({"from": "2023-03-01", "to": "2023-03-15"});
    }, "period_not_whole_months"),
    ("revenue_share_amount_mismatch", "a revenue share whose amount is not round(base × rate)", "revenue_share", |i| {
        i["body"]["period"] = json!({"from": "2023-03-01", "to": "2023-03-31"});
        i["body"]["amount"] = json!("1.00");
    }, "revenue_share_amount_mismatch"),
    ("period_already_paid", "the last revenue share's period paid again", "revenue_share", |_| {}, "period_already_paid"),
    ("space_exists", "a space with an id already used", "space", |_| {}, "space_exists"),
    ("too_many_windows", "a space with 65 community-hours windows", "space", |i| {
        i["body"]["space_id"] = json!("conformance-space");
        i["body"]["community_hours"] = Value::Array((0..65).map(|_| json!({"day": "mon", "from": "09:00", "to": "10:00"})).collect());
    }, "too_many_windows"),
    ("space_unknown", "a rental of a space that does not exist", "rental", |i| {
        i["body"]["space_id"] = json!("no-such-space");
    }, "space_unknown"),
    ("rental_empty", "a rental ending when it starts", "rental", |i| {
        i["body"]["start"] = json!("2023-04-03T01:00:00Z");
        i["body"]["end"] = json!("2023-04-03T01:00:00Z");
    }, "rental_empty"),
    ("rental_too_long", "a rental of 32 days", "rental", |i| {
        i["body"]["start"] = json!("2023-04-03T01:00:00Z");
        i["body"]["end"] = json!("2023-05-05T01:00:00Z");
    }, "rental_too_long"),
    ("rental_amount_mismatch", "a rental whose amount is not the hourly price", "rental", |i| {
        i["body"]["start"] = json!("2023-04-03T01:00:00Z");
        i["body"]["end"] = json!("2023-04-03T03:00:00Z");
        i["body"]["amount"] = json!("1.00");
    }, "rental_amount_mismatch"),
    ("rental_in_community_hours", "a rental on a Saturday morning, local time, kept for the community", "rental", |i| {
        i["body"]["start"] = json!("2023-04-01T01:00:00Z");
        i["body"]["end"] = json!("2023-04-01T03:00:00Z");
    }, "rental_in_community_hours"),
    ("rental_overlap", "the last rental's slot rented again", "rental", |_| {}, "rental_overlap"),
    ("overdraft", "a disbursement larger than the balance", "disbursement", |i| {
        i["body"]["amount"] = json!("999999999.00");
    }, "overdraft"),
    ("reversal_target_unknown", "a reversal of a seq not yet in the log", "donation", |i| {
        i["kind"] = json!("reversal");
        i["body"] = json!({"reverses": 999, "reason": "录入错误"});
    }, "reversal_target_unknown"),
    ("reversal_target_not_monetary", "a reversal of the genesis", "donation", |i| {
        i["kind"] = json!("reversal");
        i["body"] = json!({"reverses": 0, "reason": "录入错误"});
    }, "reversal_target_not_monetary"),
    ("statement_period_invalid", "a statement over part of a month", "statement", |i| {
        i["body"]["period"] = json!({"from": "2023-02-01", "to": "2023-02-15"});
    }, "statement_period_invalid"),
    ("statement_period_open", "a statement over the month still being recorded", "statement", |i| {
        i["body"]["period"] = json!({"from": "2023-03-01", "to": "2023-03-31"});
    }, "statement_period_open"),
    ("statement_mismatch", "the last statement again, with another closing balance", "statement", |i| {
        i["body"]["closing"] = json!("0.01");
    }, "statement_mismatch"),
];

pub(super) fn rule_breaks(b: &Base) -> Result<Vec<Case>, SampleError> {
    RULE_BREAKS
        .iter()
        .map(|(name, about, template, edit, code)| one_more(b, name, about, template, edit, code))
        .collect()
}

/// Reversal cases: a valid reversal of the last donation first, then the case's entry.
pub(super) fn reversals(b: &Base) -> Result<Vec<Case>, SampleError> {
    let t = b.trustee_keys();
    let donation = b.last_of("donation")?;
    let reversal = |key: &str, reverses: u64| -> Result<Value, SampleError> {
        let mut i = b.template("donation", key)?;
        i["kind"] = json!("reversal");
        i["body"] = json!({"reverses": reverses, "reason": "录入错误"});
        Ok(i)
    };
    let mut out = Vec::new();
    for (name, about, target, code) in [
        (
            "already_reversed",
            "the last donation reversed twice",
            donation as u64,
            "already_reversed",
        ),
        (
            "reversal_of_reversal",
            "a reversal of a reversal",
            ENTRIES as u64,
            "reversal_of_reversal",
        ),
    ] {
        let mut lines = b.lines();
        b.push_entry(
            &mut lines,
            reversal("conformance-reversal-1", donation as u64)?,
            true,
            &t,
            |_| {},
        )?;
        b.push_entry(
            &mut lines,
            reversal("conformance-reversal-2", target)?,
            true,
            &t,
            |_| {},
        )?;
        out.push(
            Case::export(name, about, b.fund.export_of(&lines)?)
                .finds(&[(Place::Seq(ENTRIES as u64 + 1), code)]),
        );
    }
    // A refused entry has no monetary kind: reversing it is not_monetary.
    let mut lines = b.lines();
    b.push_entry(
        &mut lines,
        b.template("donation", "conformance-refused")?,
        true,
        &[stranger()],
        |_| {},
    )?;
    b.push_entry(
        &mut lines,
        reversal("conformance-reversal-1", ENTRIES as u64)?,
        true,
        &t,
        |_| {},
    )?;
    out.push(
        Case::export(
            "reversal_of_refused_entry",
            "a reversal of a donation the verifier refused (unknown signer)",
            b.fund.export_of(&lines)?,
        )
        .finds(&[
            (APPENDED, "unknown_signer"),
            (
                Place::Seq(ENTRIES as u64 + 1),
                "reversal_target_not_monetary",
            ),
        ]),
    );
    // A refused entry's idempotency key is not recorded: a later entry may use it.
    let mut lines = b.lines();
    b.push_entry(
        &mut lines,
        b.template("donation", "conformance-refused")?,
        true,
        &[stranger()],
        |_| {},
    )?;
    b.push_entry(
        &mut lines,
        b.template("donation", "conformance-refused")?,
        true,
        &t,
        |_| {},
    )?;
    out.push(
        Case::export(
            "refused_entry_key_free",
            "a donation refused (unknown signer), then a valid one with the same idempotency key",
            b.fund.export_of(&lines)?,
        )
        .finds(&[(APPENDED, "unknown_signer")]),
    );
    Ok(out)
}

/// Value-type errors: (template kind, JSON pointer in the intent, bad value, code).
type TypeError = (&'static str, &'static str, &'static str, &'static str);

/// One case per value-type code (FORMAT.md §12.3) that an entry can carry.
pub(super) const TYPE_ERRORS: &[TypeError] = &[
    ("donation", "/body/amount", "\"066.00\"", "amount_malformed"),
    (
        "donation",
        "/body/amount",
        "\"66.0\"",
        "amount_too_few_decimals",
    ),
    (
        "donation",
        "/body/amount",
        "\"66.000\"",
        "amount_too_many_decimals",
    ),
    (
        "donation",
        "/body/amount",
        "\"0.00\"",
        "amount_not_positive",
    ),
    ("donation", "/body/amount", "\"-1.00\"", "amount_negative"),
    (
        "donation",
        "/body/amount",
        "\"1000000000.01\"",
        "amount_over_limit",
    ),
    ("statement", "/body/opening", "\"01.00\"", "money_malformed"),
    (
        "statement",
        "/body/opening",
        "\"1.0\"",
        "money_too_few_decimals",
    ),
    (
        "statement",
        "/body/opening",
        "\"1.000\"",
        "money_too_many_decimals",
    ),
    (
        "statement",
        "/body/opening",
        "\"-0.00\"",
        "money_negative_zero",
    ),
    (
        "statement",
        "/body/opening",
        "\"1000000000000000.01\"",
        "money_over_limit",
    ),
    ("revenue_share", "/body/base", "\"01.00\"", "base_malformed"),
    (
        "revenue_share",
        "/body/base",
        "\"1.0\"",
        "base_too_few_decimals",
    ),
    (
        "revenue_share",
        "/body/base",
        "\"1.000\"",
        "base_too_many_decimals",
    ),
    ("revenue_share", "/body/base", "\"-1.00\"", "base_negative"),
    (
        "revenue_share",
        "/body/base",
        "\"1000000000000000.01\"",
        "base_over_limit",
    ),
    ("agreement", "/body/rate", "\"x\"", "rate_malformed"),
    (
        "agreement",
        "/body/rate",
        "\"0.100\"",
        "rate_too_few_decimals",
    ),
    (
        "agreement",
        "/body/rate",
        "\"0.10000\"",
        "rate_too_many_decimals",
    ),
    ("agreement", "/body/rate", "\"-0.1000\"", "rate_negative"),
    ("agreement", "/body/rate", "\"1.0001\"", "rate_over_one"),
    (
        "agreement",
        "/body/start",
        "\"2023-1-01\"",
        "date_malformed",
    ),
    (
        "agreement",
        "/body/start",
        "\"1998-01-01\"",
        "date_out_of_range",
    ),
    (
        "agreement",
        "/body/start",
        "\"2023-02-30\"",
        "date_not_in_calendar",
    ),
    (
        "donation",
        "/signed_at",
        "\"2023-03-06T12:11\"",
        "instant_malformed",
    ),
    (
        "donation",
        "/signed_at",
        "\"2023-03-06T12:11:45+08:00\"",
        "instant_not_utc",
    ),
    (
        "donation",
        "/signed_at",
        "\"2023-03-06T12:11:45.5Z\"",
        "instant_fraction",
    ),
    (
        "donation",
        "/signed_at",
        "\"3000-01-01T00:00:00Z\"",
        "instant_out_of_range",
    ),
    (
        "donation",
        "/signed_at",
        "\"2023-02-30T00:00:00Z\"",
        "instant_not_in_calendar",
    ),
    (
        "genesis",
        "/body/utc_offset",
        "\"+8:00\"",
        "offset_malformed",
    ),
    (
        "genesis",
        "/body/utc_offset",
        "\"+15:00\"",
        "offset_out_of_range",
    ),
    (
        "genesis",
        "/body/utc_offset",
        "\"-00:00\"",
        "offset_negative_zero",
    ),
    (
        "space",
        "/body/community_hours/0/from",
        "\"9:00\"",
        "time_of_day_malformed",
    ),
    (
        "space",
        "/body/community_hours/0/from",
        "\"25:00\"",
        "time_of_day_out_of_range",
    ),
    (
        "space",
        "/body/community_hours/0/day",
        "\"saturday\"",
        "weekday_malformed",
    ),
    (
        "space",
        "/body/community_hours/0/from",
        "\"12:00\"",
        "window_empty",
    ),
    (
        "revenue_share",
        "/body/period/from",
        "\"2023-03-01\"",
        "period_reversed",
    ),
    ("donation", "/fund", "\"\"", "fund_id_empty"),
    ("donation", "/fund", "\"@a49\"", "fund_id_too_long"),
    ("donation", "/fund", "\"Conformance\"", "fund_id_bad_char"),
    ("donation", "/fund", "\"conformance-\"", "fund_id_bad_edge"),
    (
        "agreement",
        "/body/agreement_id",
        "\"\"",
        "agreement_id_empty",
    ),
    (
        "agreement",
        "/body/agreement_id",
        "\"@a65\"",
        "agreement_id_too_long",
    ),
    (
        "agreement",
        "/body/agreement_id",
        "\"a.b\"",
        "agreement_id_bad_char",
    ),
    ("space", "/body/space_id", "\"\"", "space_id_empty"),
    ("space", "/body/space_id", "\"@a65\"", "space_id_too_long"),
    ("space", "/body/space_id", "\"a b\"", "space_id_bad_char"),
    ("donation", "/key", "\"\"", "idempotency_key_empty"),
    ("donation", "/key", "\"@a65\"", "idempotency_key_too_long"),
    ("donation", "/key", "\"a/b\"", "idempotency_key_bad_char"),
    (
        "agreement",
        "/body/enterprise/uscc",
        "\"123\"",
        "uscc_length",
    ),
    (
        "agreement",
        "/body/enterprise/uscc",
        "\"91510100000000105k\"",
        "uscc_lowercase",
    ),
    (
        "agreement",
        "/body/enterprise/uscc",
        "\"9151010000000010OK\"",
        "uscc_bad_char",
    ),
    (
        "agreement",
        "/body/enterprise/uscc",
        "\"91A10100000000105K\"",
        "uscc_division_code",
    ),
    (
        "agreement",
        "/body/enterprise/uscc",
        "\"91510100000000105X\"",
        "uscc_check_digit",
    ),
    ("donation", "/body/receipt_no", "\" \"", "text_empty"),
    ("donation", "/body/receipt_no", "\"@a203\"", "text_too_long"),
    (
        "donation",
        "/body/receipt_no",
        "\"a\\u0007b\"",
        "text_bad_character",
    ),
    (
        "donation",
        "/body/receipt_no",
        "\"\u{3000}ab\"",
        "text_bad_character",
    ),
    ("trustees", "/body/remove", "[\"zz\"]", "key_hex"),
    (
        "trustees",
        "/body/remove",
        "[\"0100000000000000000000000000000000000000000000000000000000000000\"]",
        "key_point",
    ),
    ("donation", "/body/amount", "6600", "malformed"),
];

pub(super) fn type_errors(b: &Base) -> Result<Vec<Case>, SampleError> {
    let mut names = std::collections::BTreeMap::<&str, usize>::new();
    TYPE_ERRORS
        .iter()
        .map(|(template, pointer, value, code)| {
            // `"@aN"`: a string of N letters a.
            let value: Value = match value.strip_prefix("\"@a").and_then(|v| v.strip_suffix('"')) {
                Some(n) => json!("a".repeat(n.parse().map_err(err)?)),
                None => serde_json::from_str(value).map_err(err)?,
            };
            let n = names.entry(code).or_default();
            *n += 1;
            let name: &'static str = if *n == 1 {
                Box::leak(format!("type_{code}").into_boxed_str())
            } else {
                Box::leak(format!("type_{code}_{n}").into_boxed_str())
            };
            let about: &'static str =
                Box::leak(format!("a {template} whose {pointer} is {value}").into_boxed_str());
            let export = b.appended(template, |i| {
                if let Some(slot) = i.pointer_mut(pointer) {
                    *slot = value.clone();
                }
            })?;
            Ok(Case::export(name, about, export).finds(&[(APPENDED, code)]))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Receipts
// ---------------------------------------------------------------------------------------

fn a_donation(b: &Base) -> Result<u64, SampleError> {
    Ok(b.last_of("donation")? as u64)
}

/// A receipt case from the receipt of the last donation, changed by `edit`.
fn receipt_case(
    b: &Base,
    name: &'static str,
    about: &'static str,
    donor: bool,
    edit: impl FnOnce(&mut Receipt) -> Result<(), SampleError>,
) -> Result<Case, SampleError> {
    let seq = if donor {
        b.resident_donation()?
    } else {
        a_donation(b)?
    };
    let mut r = b.fund.receipt(seq, donor)?;
    edit(&mut r)?;
    Ok(Case::receipt(name, about, receipt_bytes(&r)?))
}

pub(super) fn receipts(b: &Base) -> Result<Vec<Case>, SampleError> {
    let mut out = vec![
        receipt_case(
            b,
            "receipt_valid",
            "a receipt for a donation, as the server gives it",
            false,
            |_| Ok(()),
        )?,
        receipt_case(
            b,
            "receipt_valid_donor",
            "a resident donor's own receipt: the commitment opens",
            true,
            |_| Ok(()),
        )?,
        receipt_case(
            b,
            "receipt_valid_pinned_key",
            "a valid receipt checked against the log key it names",
            false,
            |_| Ok(()),
        )?
        .with(Args {
            log_key: Some(b.fund.keys.log.verifier().to_vkey()),
            ..Args::default()
        }),
        receipt_case(
            b,
            "receipt_log_key_mismatch",
            "a valid receipt, but the auditor trusts another log key",
            false,
            |_| Ok(()),
        )?
        .with(Args {
            log_key: Some(other_log_key()?.verifier().to_vkey()),
            ..Args::default()
        })
        .refused("log_key_mismatch"),
        receipt_case(b, "receipt_version", "another version string", false, |r| {
            r.version = "community-ledger/receipt/v2".into();
            Ok(())
        })?
        .refused("receipt_version"),
        receipt_case(
            b,
            "receipt_entry",
            "the entry's amount spelled with a leading zero",
            false,
            |r| {
                let v: Value = serde_json::from_str(&r.entry).map_err(err)?;
                let amount = v["intent"]["body"]["amount"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                r.entry = r.entry.replacen(
                    &format!("\"amount\":\"{amount}\""),
                    &format!("\"amount\":\"0{amount}\""),
                    1,
                );
                Ok(())
            },
        )?
        .refused("receipt_entry"),
        receipt_case(
            b,
            "receipt_seq",
            "the receipt's seq is not the entry's",
            false,
            |r| {
                r.seq -= 1;
                Ok(())
            },
        )?
        .refused("receipt_seq"),
        receipt_case(
            b,
            "receipt_checkpoint_signature",
            "the checkpoint signed by another key",
            false,
            |r| {
                let cp = Checkpoint::parse(
                    r.checkpoint
                        .split("\n\n")
                        .next()
                        .map(|t| format!("{t}\n"))
                        .unwrap_or_default()
                        .as_str(),
                )
                .map_err(err)?;
                r.checkpoint = cp.sign(&other_log_key()?).map_err(err)?;
                Ok(())
            },
        )?
        .refused("checkpoint_signature"),
        receipt_case(
            b,
            "receipt_checkpoint_malformed",
            "the checkpoint is not a signed note",
            false,
            |r| {
                r.checkpoint = "not a note".into();
                Ok(())
            },
        )?
        .refused("checkpoint_malformed"),
        receipt_case(
            b,
            "receipt_checkpoint_origin",
            "the receipt's origin is not the checkpoint's",
            false,
            |r| {
                r.origin = format!("{HOST}/another-fund");
                Ok(())
            },
        )?
        .refused("checkpoint_origin"),
        receipt_case(
            b,
            "receipt_checkpoint_size",
            "the receipt's tree size is not the checkpoint's",
            false,
            |r| {
                r.tree_size += 1;
                Ok(())
            },
        )?
        .refused("checkpoint_size"),
        receipt_case(
            b,
            "receipt_inclusion_proof",
            "the inclusion proof's first hash changed",
            false,
            |r| {
                if let Some(h) = r.inclusion.first_mut() {
                    *h = sha256(b"not a node");
                }
                Ok(())
            },
        )?
        .refused("inclusion_proof"),
        receipt_case(
            b,
            "receipt_signers_mismatch",
            "a signer listed that did not sign",
            false,
            |r| {
                r.signers.push(crate::receipt::ReceiptSigner {
                    key: crate::keys::PublicKey::from_verifying_key(stranger().verifying_key()),
                    name: None,
                });
                Ok(())
            },
        )?
        .refused("signers_mismatch"),
        receipt_case(
            b,
            "receipt_donor_commitment",
            "the donor part names another phone",
            true,
            |r| {
                if let Some(d) = r.donor.as_mut() {
                    d.phone = "13900000000".into();
                }
                Ok(())
            },
        )?
        .refused("donor_commitment"),
    ];
    let mut malformed = receipt_bytes(&b.fund.receipt(a_donation(b)?, false)?)?;
    let at = malformed.len() - 2;
    malformed.splice(at..at, b",\"extra\":1".iter().copied());
    out.push(
        Case::receipt(
            "receipt_malformed",
            "a receipt with an unknown member",
            malformed,
        )
        .refused("receipt_malformed"),
    );
    // A checkpoint of another fund's origin, validly signed, and a receipt claiming it.
    let r = b.fund.receipt(a_donation(b)?, false)?;
    let text = r
        .checkpoint
        .split("\n\n")
        .next()
        .map(|t| format!("{t}\n"))
        .unwrap_or_default();
    let mut cp = Checkpoint::parse(&text).map_err(err)?;
    cp.origin = format!("{HOST}/another-fund");
    let mut r2 = r.clone();
    r2.checkpoint = cp.sign(&b.fund.keys.log).map_err(err)?;
    r2.origin = cp.origin.clone();
    out.push(
        Case::receipt(
            "receipt_fund_mismatch",
            "a receipt whose checkpoint and origin are of another fund",
            receipt_bytes(&r2)?,
        )
        .refused("fund_mismatch"),
    );
    // Witnesses.
    let cosigned = {
        let mut r = r.clone();
        r.checkpoint.push_str(
            &witness()?
                .signature_line(&cp_of(&r)?, COSIGNED_AT)
                .map_err(err)?,
        );
        r
    };
    out.push(
        Case::receipt(
            "receipt_witnessed",
            "a receipt whose checkpoint the policy's witness cosigned",
            receipt_bytes(&cosigned)?,
        )
        .with(Args {
            policy: Some(policy(b, None)?),
            ..Args::default()
        }),
    );
    out.push(
        Case::receipt(
            "receipt_witness_quorum_not_met",
            "a receipt without cosignature, with a witness policy",
            receipt_bytes(&r)?,
        )
        .with(Args {
            policy: Some(policy(b, None)?),
            ..Args::default()
        })
        .refused("witness_quorum_not_met"),
    );
    out.push(
        Case::receipt(
            "receipt_policy_log_mismatch",
            "a receipt checked with a policy of another log key",
            receipt_bytes(&cosigned)?,
        )
        .with(Args {
            policy: Some(policy(b, Some(other_log_key()?.verifier().to_vkey()))?),
            ..Args::default()
        })
        .refused("policy_log_mismatch"),
    );
    let bad = {
        let mut r = r.clone();
        let mut other = cp_of(&r)?;
        other.tree_size -= 1;
        r.checkpoint.push_str(
            &witness()?
                .signature_line(&other, COSIGNED_AT)
                .map_err(err)?,
        );
        r
    };
    out.push(
        Case::receipt(
            "receipt_witness_cosignature_invalid",
            "a receipt whose witness line cosigns another checkpoint",
            receipt_bytes(&bad)?,
        )
        .with(Args {
            policy: Some(policy(b, None)?),
            ..Args::default()
        })
        .refused("witness_cosignature_invalid"),
    );
    // The intent signature: an entry whose signature fails, in a tree that includes it.
    out.push(bad_intent_signature_receipt(b)?);
    debug_assert!(out.iter().all(|c| c.kind == CaseKind::Receipt));
    Ok(out)
}

/// The checkpoint body of a receipt.
fn cp_of(r: &Receipt) -> Result<Checkpoint, SampleError> {
    let text = r
        .checkpoint
        .split("\n\n")
        .next()
        .map(|t| format!("{t}\n"))
        .unwrap_or_default();
    Checkpoint::parse(&text).map_err(err)
}

/// A log whose last entry's signature does not verify, its checkpoint signed by the log
/// key, and a receipt for that entry: only the intent signature fails.
fn bad_intent_signature_receipt(b: &Base) -> Result<Case, SampleError> {
    let mut lines = b.lines();
    b.push_entry(
        &mut lines,
        b.template("donation", "conformance-receipt")?,
        true,
        &b.trustee_keys(),
        |e| {
            e["intent"]["body"]["amount"] = json!("99999.00");
        },
    )?;
    let seq = lines.len() as u64 - 1;
    let leaves: Vec<crate::hash::Hash> = lines.iter().map(|l| crate::hash::leaf_hash(l)).collect();
    let tree = crate::merkle::MemoryTree::from_leaves(&leaves);
    let mut r = b.fund.receipt(a_donation(b)?, false)?;
    let entry: Value = serde_json::from_slice(&lines[seq as usize]).map_err(err)?;
    r.entry = String::from_utf8(lines[seq as usize].clone()).map_err(err)?;
    r.seq = seq;
    r.tree_size = tree.size();
    r.inclusion = tree.inclusion_proof(seq, tree.size()).map_err(err)?;
    r.checkpoint = b
        .fund
        .checkpoint_note_by(tree.size(), tree.root(), &b.fund.keys.log)?;
    r.signers = entry["sigs"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| {
                    s["key"]
                        .as_str()
                        .and_then(|k| crate::keys::PublicKey::from_hex(k).ok())
                })
                .map(|key| crate::receipt::ReceiptSigner { key, name: None })
                .collect()
        })
        .unwrap_or_default();
    Ok(Case::receipt("receipt_intent_signature", "a receipt for an entry whose amount was changed after signing, in a tree the log key signed", receipt_bytes(&r)?).refused("intent_signature"))
}
