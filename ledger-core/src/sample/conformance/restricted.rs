//! Conformance cases of restricted money (FORMAT.md §5 restriction, §6 version 2): a log
//! that declares two restrictions and gives each 100.00, then one entry that breaks one
//! rule; a clean run through every restriction kind; a two-column statement, right and one
//! fen off.

use serde_json::{json, Value};

use super::{Base, Case, Place, APPENDED, ENTRIES};
use crate::sample::SampleError;

/// Seq of the entry after the restricted prefix.
const AFTER: u64 = ENTRIES as u64 + 4;

/// An intent of `kind` with `body`, built on the last donation's intent (its fund and key
/// shape), with the idempotency key `key`.
fn intent(b: &Base, kind: &str, key: &str, body: Value) -> Result<Value, SampleError> {
    let mut i = b.template("donation", key)?;
    i["kind"] = json!(kind);
    i["body"] = body;
    Ok(i)
}

/// A donation of `amount` to `restriction` (none: unrestricted).
fn gift(
    b: &Base,
    key: &str,
    amount: &str,
    restriction: Option<&str>,
) -> Result<Value, SampleError> {
    let mut i = b.template("donation", key)?;
    i["body"]["amount"] = json!(amount);
    match restriction {
        Some(r) => i["body"]["restriction"] = json!(r),
        None => {
            if let Some(o) = i["body"].as_object_mut() {
                o.remove("restriction");
            }
        }
    }
    Ok(i)
}

/// A disbursement of `amount` from `restriction` (none: unrestricted money).
fn spend(
    b: &Base,
    key: &str,
    amount: &str,
    restriction: Option<&str>,
) -> Result<Value, SampleError> {
    let mut i = b.template("disbursement", key)?;
    i["body"]["amount"] = json!(amount);
    if let Some(r) = restriction {
        i["body"]["restriction"] = json!(r);
    }
    Ok(i)
}

/// The log, then: `open` (no window) and `past` (usable in January 2023 only) declared,
/// and 100.00 given to each (seqs ENTRIES .. ENTRIES + 3).
fn prefix(b: &Base) -> Result<Vec<Vec<u8>>, SampleError> {
    let t = b.trustee_keys();
    let mut lines = b.lines();
    for (n, body) in [
        json!({"restriction_id": "open", "purpose": "阳光驿站助老服务"}),
        json!({"restriction_id": "past", "purpose": "春节慰问", "usable_from": "2023-01-01", "usable_until": "2023-01-31"}),
    ]
    .into_iter()
    .enumerate()
    {
        b.push_entry(&mut lines, intent(b, "restriction", &format!("conformance-restriction-{n}"), body)?, true, &t, |_| {})?;
    }
    for r in ["open", "past"] {
        b.push_entry(
            &mut lines,
            gift(b, &format!("conformance-gift-{r}"), "100.00", Some(r))?,
            true,
            &t,
            |_| {},
        )?;
    }
    Ok(lines)
}

/// The prefix, then `intent` signed by every trustee: one finding, `code`, at [`AFTER`].
fn breaks(
    b: &Base,
    name: &'static str,
    about: &'static str,
    intent: Value,
    code: &'static str,
) -> Result<Case, SampleError> {
    let mut lines = prefix(b)?;
    b.push_entry(&mut lines, intent, true, &b.trustee_keys(), |_| {})?;
    Ok(Case::export(name, about, b.fund.export_of(&lines)?).finds(&[(Place::Seq(AFTER), code)]))
}

pub(super) fn restrictions(b: &Base) -> Result<Vec<Case>, SampleError> {
    let t = b.trustee_keys();
    let mut out = Vec::new();

    // Clean: spend from `open` (its release derived), revoke `past`, close `open`.
    let mut lines = prefix(b)?;
    b.push_entry(
        &mut lines,
        spend(b, "conformance-spend", "40.00", Some("open"))?,
        true,
        &t,
        |_| {},
    )?;
    b.push_entry(
        &mut lines,
        intent(
            b,
            "restriction_revocation",
            "conformance-revoke",
            json!({"restriction_id": "past", "basis": "donor_consent", "reason": "捐赠人书面同意"}),
        )?,
        true,
        &t,
        |_| {},
    )?;
    b.push_entry(&mut lines, intent(b, "restriction_closing", "conformance-close", json!({"restriction_id": "open", "disposal": "released", "note": "项目完成，余款转为非限定性"}))?, true, &t, |_| {})?;
    out.push(Case::export(
        "restricted_clean",
        "two restrictions declared and given 100.00 each; 40.00 spent from one, the other revoked, the first closed with its remainder released: no finding",
        b.fund.export_of(&lines)?,
    ));

    out.push(breaks(
        b,
        "restriction_exists",
        "a restriction declared again with an id in use",
        intent(
            b,
            "restriction",
            "conformance-again",
            json!({"restriction_id": "open", "purpose": "再次声明"}),
        )?,
        "restriction_exists",
    )?);
    out.push(breaks(b, "restriction_dates", "a restriction usable until a day before it is usable from",
        intent(b, "restriction", "conformance-dates", json!({"restriction_id": "later", "purpose": "倒置", "usable_from": "2023-05-01", "usable_until": "2023-04-30"}))?, "restriction_dates")?);
    out.push(breaks(
        b,
        "restriction_unknown",
        "a donation to a restriction never declared",
        gift(
            b,
            "conformance-unknown",
            "1.00",
            Some("no-such-restriction"),
        )?,
        "restriction_unknown",
    )?);
    out.push(breaks(
        b,
        "restriction_overdraft",
        "100.01 spent from a restriction holding 100.00 (the fund holds more)",
        spend(b, "conformance-overdraft", "100.01", Some("open"))?,
        "restriction_overdraft",
    )?);
    out.push(breaks(
        b,
        "restriction_outside_window",
        "money spent from a restriction usable in January 2023 only, after it",
        spend(b, "conformance-window", "1.00", Some("past"))?,
        "restriction_outside_window",
    )?);
    let unrestricted = b.fund.balance().to_fen() + 1;
    let amount = format!("{}.{:02}", unrestricted / 100, unrestricted % 100);
    let over = spend(b, "conformance-unrestricted", &amount, None)?;
    out.push(breaks(b, "unrestricted_overdraft", "an unrestricted disbursement of the unrestricted money plus 0.01 (the fund's balance covers it only with restricted money)",
        over, "unrestricted_overdraft")?);
    out.push(breaks(
        b,
        "restriction_remainder_left",
        "a restriction holding 100.00 closed as returned",
        intent(
            b,
            "restriction_closing",
            "conformance-returned",
            json!({"restriction_id": "open", "disposal": "returned", "note": "已退回"}),
        )?,
        "restriction_remainder_left",
    )?);
    let mut typed = spend(b, "conformance-release", "10.00", Some("open"))?;
    typed["body"]["release"] = json!("10.00");
    out.push(breaks(
        b,
        "release_not_derived",
        "a restricted disbursement carrying a release figure",
        typed,
        "release_not_derived",
    )?);
    // Ended: `past` revoked, then given more.
    let mut lines = prefix(b)?;
    b.push_entry(
        &mut lines,
        intent(
            b,
            "restriction_revocation",
            "conformance-revoke",
            json!({"restriction_id": "past", "basis": "law", "reason": "依法解除"}),
        )?,
        true,
        &t,
        |_| {},
    )?;
    b.push_entry(
        &mut lines,
        gift(b, "conformance-ended", "1.00", Some("past"))?,
        true,
        &t,
        |_| {},
    )?;
    out.push(
        Case::export(
            "restriction_ended",
            "a donation to a revoked restriction",
            b.fund.export_of(&lines)?,
        )
        .finds(&[(Place::Seq(AFTER + 1), "restriction_ended")]),
    );

    // The last statement again as version 2 (nothing restricted: the restricted column is
    // zero), then with its restricted closing one fen off.
    let mut v2 = b.template("statement", "conformance-v2")?;
    let body = v2["body"].clone();
    let zero = json!("0.00");
    v2["body"]["version"] = json!(2);
    v2["body"]["unrestricted"] = json!({
        "opening": body["opening"], "donation": body["inflows"]["donation"],
        "revenue_share": body["inflows"]["revenue_share"], "rental": body["inflows"]["rental"],
        "disbursement": body["outflows"]["disbursement"], "reversals": body["reversals"],
        "releases": zero, "closing": body["closing"],
    });
    v2["body"]["restricted"] = json!({"opening": zero, "donation": zero, "reversals": zero, "releases": zero, "closing": zero});
    let mut lines = b.lines();
    b.push_entry(&mut lines, v2.clone(), true, &t, |_| {})?;
    out.push(Case::export(
        "statement_two_columns",
        "the last statement again, in two columns (version 2): nothing is restricted, so the unrestricted column is the total: no finding",
        b.fund.export_of(&lines)?,
    ));
    v2["body"]["restricted"]["closing"] = json!("0.01");
    out.push(breaks_plain(
        b,
        "statement_restricted_column_off",
        "the last statement again in two columns, its restricted closing one fen off",
        v2,
    )?);

    // A restriction id that does not parse (§12.3).
    for (name, value, code) in [
        (
            "type_restriction_id_empty",
            json!(""),
            "restriction_id_empty",
        ),
        (
            "type_restriction_id_too_long",
            json!("a".repeat(65)),
            "restriction_id_too_long",
        ),
        (
            "type_restriction_id_bad_char",
            json!("阳光驿站"),
            "restriction_id_bad_char",
        ),
    ] {
        let export = b.appended("donation", |i| i["body"]["restriction"] = value.clone())?;
        let about: &'static str =
            Box::leak(format!("a donation whose /body/restriction is {value}").into_boxed_str());
        out.push(Case::export(name, about, export).finds(&[(APPENDED, code)]));
    }
    Ok(out)
}

/// The log, then `intent` signed by every trustee: `statement_mismatch` at seq ENTRIES.
fn breaks_plain(
    b: &Base,
    name: &'static str,
    about: &'static str,
    intent: Value,
) -> Result<Case, SampleError> {
    let mut lines = b.lines();
    b.push_entry(&mut lines, intent, true, &b.trustee_keys(), |_| {})?;
    Ok(Case::export(name, about, b.fund.export_of(&lines)?)
        .finds(&[(Place::Seq(ENTRIES as u64), "statement_mismatch")]))
}
