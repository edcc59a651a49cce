//! Conformance cases of corrections and supervisors (FORMAT.md §5 reversal, statement,
//! trustees, opinion; issue 17): a log whose trustees name a supervisor, then one entry
//! (or two) that breaks one rule; a clean run through a correction, a corrected statement
//! and an opinion.

use serde_json::{json, Value};

use super::{Base, Case, Place, ENTRIES};
use crate::keys::PublicKey;
use crate::sample::SampleError;

/// Seq of the first entry after the supervised prefix.
const AFTER: u64 = ENTRIES as u64 + 1;

/// An intent of `kind` with `body`, built on the last donation's intent.
fn intent(b: &Base, kind: &str, key: &str, body: Value) -> Result<Value, SampleError> {
    let mut i = b.template("donation", key)?;
    i["kind"] = json!(kind);
    i["body"] = body;
    Ok(i)
}

fn supervisor_hex(b: &Base) -> String {
    PublicKey::from_verifying_key(b.fund.keys.supervisor.verifying_key()).to_hex()
}

/// A trustee change with `body` (its `add` and `remove` empty unless given).
fn change(b: &Base, key: &str, mut body: Value) -> Result<Value, SampleError> {
    for m in ["add", "remove"] {
        if body.get(m).is_none() {
            body[m] = json!([]);
        }
    }
    intent(b, "trustees", key, body)
}

/// The log, then a trustee change naming the suite's supervisor (seq ENTRIES).
fn prefix(b: &Base) -> Result<Vec<Vec<u8>>, SampleError> {
    let mut lines = b.lines();
    let body = json!({"supervisors_add": [{"key": supervisor_hex(b), "name": "监督员甲"}]});
    let c = change(b, "conformance-supervisor", body)?;
    b.push_entry(&mut lines, c, true, &b.trustee_keys(), |_| {})?;
    Ok(lines)
}

fn opinion(b: &Base, key: &str, body: Value) -> Result<Value, SampleError> {
    intent(b, "opinion", key, body)
}

/// The last donation's seq.
fn donation(b: &Base) -> Result<u64, SampleError> {
    Ok(b.last_of("donation")? as u64)
}

/// A reversal of `seq` with a 更正说明.
fn correcting(b: &Base, key: &str, seq: u64) -> Result<Value, SampleError> {
    intent(
        b,
        "reversal",
        key,
        json!({"reverses": seq, "reason": "录入错误", "correction": "更正说明：金额误录，冲正后重新登记。"}),
    )
}

/// The last donation again, with `corrects`.
fn corrected(b: &Base, key: &str, corrects: u64) -> Result<Value, SampleError> {
    let mut i = b.template("donation", key)?;
    i["body"]["corrects"] = json!(corrects);
    Ok(i)
}

/// The last statement again (same period, same figures), superseding `seq`.
fn restated(b: &Base, key: &str, seq: u64) -> Result<Value, SampleError> {
    let mut i = b.template("statement", key)?;
    i["body"]["supersedes"] = json!(seq);
    Ok(i)
}

/// The prefix, then `before` (each signed by the trustees), then `last` signed by
/// `signers` (the trustees when `None`): one finding, `code`, at the last seq.
fn breaks(
    b: &Base,
    name: &'static str,
    about: &'static str,
    before: Vec<Value>,
    last: Value,
    by_supervisor: bool,
    code: &'static str,
) -> Result<Case, SampleError> {
    let t = b.trustee_keys();
    let mut lines = prefix(b)?;
    for i in before {
        b.push_entry(&mut lines, i, true, &t, |_| {})?;
    }
    let signers = if by_supervisor {
        vec![b.fund.keys.supervisor.clone()]
    } else {
        t
    };
    b.push_entry(&mut lines, last, true, &signers, |_| {})?;
    let at = lines.len() as u64 - 1;
    Ok(Case::export(name, about, b.fund.export_of(&lines)?).finds(&[(Place::Seq(at), code)]))
}

pub(super) fn oversight(b: &Base) -> Result<Vec<Case>, SampleError> {
    let t = b.trustee_keys();
    let d = donation(b)?;
    let statement = b.last_of("statement")? as u64;
    let mut out = Vec::new();

    // Clean: a correction (reversal with its note, the corrected donation), the corrected
    // statement, and the supervisor's opinion on it.
    let mut lines = prefix(b)?;
    b.push_entry(
        &mut lines,
        correcting(b, "conformance-correct", d)?,
        true,
        &t,
        |_| {},
    )?;
    b.push_entry(
        &mut lines,
        corrected(b, "conformance-corrected", d)?,
        true,
        &t,
        |_| {},
    )?;
    b.push_entry(
        &mut lines,
        restated(b, "conformance-restated", statement)?,
        true,
        &t,
        |_| {},
    )?;
    let body = json!({"statement": AFTER + 2, "verdict": "agree"});
    let o = opinion(b, "conformance-opinion", body)?;
    b.push_entry(
        &mut lines,
        o,
        true,
        std::slice::from_ref(&b.fund.keys.supervisor),
        |_| {},
    )?;
    out.push(Case::export(
        "oversight_clean",
        "a supervisor named by the trustees; a donation reversed with its 更正说明 and recorded again (corrects); the corrected statement (supersedes); the supervisor's opinion on it: no finding",
        b.fund.export_of(&lines)?,
    ));

    out.push(breaks(
        b,
        "correction_target_unknown",
        "a donation correcting a seq not in the log",
        vec![],
        corrected(b, "conformance-c1", 1_000_000)?,
        false,
        "correction_target_unknown",
    )?);
    let mut spend = b.template("disbursement", "conformance-c2")?;
    spend["body"]["corrects"] = json!(d);
    out.push(breaks(
        b,
        "correction_kind_mismatch",
        "a disbursement correcting a donation reversed with a note",
        vec![correcting(b, "conformance-c2r", d)?],
        spend,
        false,
        "correction_kind_mismatch",
    )?);
    out.push(breaks(
        b,
        "correction_not_reversed",
        "a donation correcting a donation that was never reversed",
        vec![],
        corrected(b, "conformance-c3", d)?,
        false,
        "correction_not_reversed",
    )?);
    out.push(breaks(
        b,
        "already_corrected",
        "a donation reversed with a note, corrected, then corrected again",
        vec![
            correcting(b, "conformance-c4r", d)?,
            corrected(b, "conformance-c4a", d)?,
        ],
        corrected(b, "conformance-c4b", d)?,
        false,
        "already_corrected",
    )?);
    out.push(breaks(
        b,
        "supersedes_not_statement",
        "a corrected statement naming a donation as the one it supersedes",
        vec![],
        restated(b, "conformance-s1", d)?,
        false,
        "supersedes_not_statement",
    )?);
    out.push(breaks(
        b,
        "already_superseded",
        "a statement superseded twice",
        vec![restated(b, "conformance-s2a", statement)?],
        restated(b, "conformance-s2b", statement)?,
        false,
        "already_superseded",
    )?);
    let earlier = (0..statement as usize)
        .rev()
        .find(|s| {
            b.entry_value(*s)
                .is_ok_and(|v| v["intent"]["kind"] == json!("statement"))
        })
        .ok_or_else(|| SampleError("two statements".into()))? as u64;
    out.push(breaks(
        b,
        "supersedes_period_mismatch",
        "a statement superseding the statement of another month",
        vec![],
        restated(b, "conformance-s3", earlier)?,
        false,
        "supersedes_period_mismatch",
    )?);
    let again = json!({"supervisors_add": [{"key": supervisor_hex(b), "name": "监督员甲"}]});
    out.push(breaks(
        b,
        "supervisor_exists",
        "a supervisor named again",
        vec![],
        change(b, "conformance-v1", again)?,
        false,
        "supervisor_exists",
    )?);
    let stranger = PublicKey::from_verifying_key(
        crate::sample::key_from_label("conformance/stranger").verifying_key(),
    )
    .to_hex();
    out.push(breaks(
        b,
        "supervisor_unknown",
        "a key removed from the supervisors that is not one",
        vec![],
        change(
            b,
            "conformance-v2",
            json!({"supervisors_remove": [stranger]}),
        )?,
        false,
        "supervisor_unknown",
    )?);
    let trustee = t
        .first()
        .map(|k| PublicKey::from_verifying_key(k.verifying_key()).to_hex())
        .ok_or_else(|| SampleError("a trustee".into()))?;
    out.push(breaks(
        b,
        "supervisor_is_trustee",
        "a trustee named a supervisor",
        vec![],
        change(
            b,
            "conformance-v3",
            json!({"supervisors_add": [{"key": trustee, "name": "管理人兼监督员"}]}),
        )?,
        false,
        "supervisor_is_trustee",
    )?);
    out.push(breaks(
        b,
        "opinion_signer_not_supervisor",
        "an opinion signed by the trustees",
        vec![],
        opinion(
            b,
            "conformance-o1",
            json!({"statement": statement, "verdict": "agree"}),
        )?,
        false,
        "opinion_signer_not_supervisor",
    )?);
    out.push(breaks(
        b,
        "opinion_target_not_statement",
        "an opinion on a donation",
        vec![],
        opinion(
            b,
            "conformance-o2",
            json!({"statement": d, "verdict": "agree"}),
        )?,
        true,
        "opinion_target_not_statement",
    )?);
    out.push(breaks(
        b,
        "opinion_reasons_missing",
        "a disagreeing opinion without reasons",
        vec![],
        opinion(
            b,
            "conformance-o3",
            json!({"statement": statement, "verdict": "disagree"}),
        )?,
        true,
        "opinion_reasons_missing",
    )?);
    Ok(out)
}
