//! The tamper suite of the verifier (DESIGN §1.2: "changing, removing, inserting or
//! reordering any byte of any entry is detected by the verifier, which names the first
//! entry that is wrong and why").
//!
//! One realistic 1,000-entry fund is built once (`tamper_support::fixture`); every test
//! derives its tampered exports from it and asserts the *first* finding's exact code, seq
//! and line, and, where the verifier keeps going, that it did.
//!
//! Which finding comes first when one entry's bytes change: the entry's own. Changing any
//! byte of entry `s` also changes its hash, so entry `s + 1`'s `prev` no longer matches;
//! but the verifier reads the log in order and entry `s` is reached first, so its own
//! finding (bad signature, wrong fund, ...) is reported at `s`, and `prev_mismatch` at
//! `s + 1` follows. The one exception is a change that leaves entry `s` valid in itself: a
//! `recorded_at` moved a second later (still not before the previous entry) is something
//! the server could have written; only the broken chain shows it, at `s + 1`.

mod tamper_support;

use std::collections::BTreeMap;

use ed25519_dalek::SigningKey;
use ledger_core::body::{Body, Kind, Reversal};
use ledger_core::canonical::canonicalize;
use ledger_core::entry::Entry;
use ledger_core::hash::Hash;
use ledger_core::keys::PublicKey;
use ledger_core::merkle::{consistency_proof, root, verify_consistency};
use ledger_core::money::{Amount, Money, Rate};
use ledger_core::note::NoteSigner;
use ledger_core::sample::{build, key_from_label, sample_uscc, SampleSpec};
use ledger_core::text::LongText;
use ledger_core::time::{Date, Instant};
use ledger_core::verify::{Expectations, Report};
use serde_json::Value;

use tamper_support::{
    checkpoint_line, checkpoint_line_of, first, fixture, join_lines, line_of, rechain, show,
    split_lines, summary, verify, Fixture, Statements, ENTRIES, HOST, SEED,
};

// ---------------------------------------------------------------------------------------
// 1. Field by field
// ---------------------------------------------------------------------------------------

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Key(String),
    Idx(usize),
}

fn path_string(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) if s.is_empty() => s.push_str(k),
            Seg::Key(k) => {
                s.push('.');
                s.push_str(k);
            }
            Seg::Idx(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// Every leaf (string, number, bool) of `v`, with its path.
fn leaves(v: &Value, path: &mut Vec<Seg>, out: &mut Vec<(Vec<Seg>, Value)>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                path.push(Seg::Key(k.clone()));
                leaves(child, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                path.push(Seg::Idx(i));
                leaves(child, path, out);
                path.pop();
            }
        }
        leaf => out.push((path.clone(), leaf.clone())),
    }
}

fn set_at(v: &mut Value, path: &[Seg], new: Value) {
    let mut cur = v;
    for seg in path {
        cur = match seg {
            Seg::Key(k) => cur.get_mut(k.as_str()),
            Seg::Idx(i) => cur.get_mut(*i),
        }
        .expect("path exists");
    }
    *cur = new;
}

fn get_at<'a>(v: &'a Value, path: &[Seg]) -> &'a Value {
    let mut cur = v;
    for seg in path {
        cur = match seg {
            Seg::Key(k) => cur.get(k.as_str()),
            Seg::Idx(i) => cur.get(*i),
        }
        .expect("path exists");
    }
    cur
}

/// The finding a case must produce: code, the `seq` the finding carries and its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Expect {
    code: &'static str,
    seq: Option<u64>,
    line: u64,
}

/// A field-by-field tamper: one leaf of one entry changed.
#[derive(Debug, Clone)]
struct Case {
    kind: Kind,
    seq: u64,
    path: String,
    from: Value,
    to: Value,
    /// The first finding.
    first: Expect,
    /// The finding right after it, when it is determined by the chain alone.
    then: Option<Expect>,
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_instant(s: &str) -> bool {
    s.len() == 20 && s.as_bytes()[10] == b'T' && s.ends_with('Z') && Instant::parse(s).is_ok()
}

fn is_date(s: &str) -> bool {
    s.len() == 10 && Date::parse(s).is_ok()
}

/// `-?digits.dd` (money, amounts, bases).
fn is_money(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    matches!(s.split_once('.'), Some((i, f)) if is_digits(i) && f.len() == 2 && is_digits(f))
}

/// `d.dddd` (rates).
fn is_rate(s: &str) -> bool {
    matches!(s.split_once('.'), Some((i, f)) if i.len() == 1 && is_digits(i) && f.len() == 4 && is_digits(f))
}

/// `HH:MM` (local times of day).
fn is_time_of_day(s: &str) -> bool {
    s.len() == 5 && s.as_bytes()[2] == b':' && is_digits(&s[..2]) && is_digits(&s[3..])
}

/// Money one fen further from zero: `"1800.00"` → `"1800.01"`, `"-3.99"` → `"-4.00"`.
fn money_plus_fen(s: &str) -> String {
    let (neg, abs) = match s.strip_prefix('-') {
        Some(a) => (true, a),
        None => (false, s),
    };
    let (i, f) = abs.split_once('.').expect("money has a point");
    let fen: u64 = format!("{i}{f}").parse::<u64>().expect("digits") + 1;
    format!(
        "{}{}.{:02}",
        if neg { "-" } else { "" },
        fen / 100,
        fen % 100
    )
}

/// Flips the hex digit at `at` to another lowercase hex digit.
fn flip_hex(s: &str, at: usize) -> String {
    let mut b = s.as_bytes().to_vec();
    b[at] = if b[at] == b'0' { b'1' } else { b'0' };
    String::from_utf8(b).expect("ascii")
}

/// A key (hex) that appears nowhere in `line`: another trustee's if one is free, else the
/// operator's, else a fresh one.
fn unused_key(fx: &Fixture, line: &str) -> String {
    (0..4)
        .map(|i| fx.trustee(i))
        .chain([fx.operator()])
        .chain((0..).map(|i| {
            PublicKey::from_verifying_key(
                key_from_label(&format!("tamper/fresh/{i}")).verifying_key(),
            )
        }))
        .map(|k| k.to_hex())
        .find(|k| !line.contains(k.as_str()))
        .expect("some key is unused")
}

/// For `sigs[i].key`: another valid key, not yet among the signers, that keeps the list
/// sorted (so the change reaches the signature check rather than the order check):
/// another trustee's if one fits, else the operator's, else a fresh key.
fn replacement_signer(fx: &Fixture, sigs: &[Value], i: usize) -> String {
    let keys: Vec<&str> = sigs
        .iter()
        .map(|s| s["key"].as_str().expect("key"))
        .collect();
    let fits = |k: &str| {
        !keys.contains(&k)
            && (i == 0 || keys[i - 1] < k)
            && (i + 1 == keys.len() || k < keys[i + 1])
    };
    (0..4)
        .map(|t| fx.trustee(t))
        .chain([fx.operator()])
        .chain((0..).map(|n| {
            PublicKey::from_verifying_key(
                key_from_label(&format!("tamper/signer/{n}")).verifying_key(),
            )
        }))
        .map(|k| k.to_hex())
        .find(|k| fits(k))
        .expect("some key fits")
}

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Another value of the same enum: the first of `variants` that differs.
fn other_variant(s: &str, variants: &[&str]) -> String {
    variants
        .iter()
        .find(|v| **v != s)
        .expect("another variant")
        .to_string()
}

/// The cases of one leaf of entry `seq`: the new value and what the verifier must say.
fn cases_for_leaf(
    fx: &Fixture,
    kind: Kind,
    seq: u64,
    entry: &Value,
    path: &[Seg],
    value: &Value,
) -> Vec<Case> {
    let p = path_string(path);
    let line = line_of(seq);
    let at = |code: &'static str| Expect {
        code,
        seq: Some(seq),
        line,
    };
    // Any change of entry `seq`'s bytes changes its hash: the next entry's prev breaks.
    let next_prev = Some(Expect {
        code: "prev_mismatch",
        seq: Some(seq + 1),
        line: line + 1,
    });
    let case = |to: Value, first: Expect, then: Option<Expect>| Case {
        kind,
        seq,
        path: p.clone(),
        from: value.clone(),
        to,
        first,
        then,
    };
    let last = path.last();
    let key_name = match last {
        Some(Seg::Key(k)) => k.as_str(),
        _ => "",
    };
    let parent_name = match path.len().checked_sub(2).map(|i| &path[i]) {
        Some(Seg::Key(k)) => k.as_str(),
        _ => "",
    };

    // Entry fields (outside the signed intent).
    match p.as_str() {
        "v" => {
            return vec![case(
                Value::from(2u64),
                at("unsupported_version"),
                next_prev,
            )]
        }
        "fund" => {
            return vec![case(
                Value::from("other-fund"),
                at("fund_mismatch"),
                next_prev,
            )]
        }
        "seq" => {
            // The line now claims seq + 1: the finding carries the seq the line claims,
            // and the verifier resynchronises on it, so the real entry seq + 1 on the next
            // line is then out of place too (instead of showing its broken prev).
            let claimed = seq + 1;
            return vec![case(
                Value::from(claimed),
                Expect {
                    code: "seq_mismatch",
                    seq: Some(claimed),
                    line,
                },
                Some(Expect {
                    code: "seq_mismatch",
                    seq: Some(seq + 1),
                    line: line + 1,
                }),
            )];
        }
        "prev" => {
            let s = value.as_str().expect("prev is a string");
            return vec![case(
                Value::from(flip_hex(s, 63)),
                at("prev_mismatch"),
                next_prev,
            )];
        }
        "recorded_at" => {
            let t = Instant::parse(value.as_str().expect("string")).expect("instant");
            let mut out = Vec::new();
            // A second later: entry `seq` is still valid on its own (time did not go
            // back, signed_at is not after it); only the next entry's prev shows it.
            let later = Instant::from_unix_seconds(t.unix_seconds() + 1).expect("in range");
            out.push(case(
                Value::from(later.to_string()),
                Expect {
                    code: "prev_mismatch",
                    seq: Some(seq + 1),
                    line: line + 1,
                },
                None,
            ));
            if seq > 0 {
                // Before the previous entry's time: the entry itself is out of order.
                let prev = fx.parsed[seq as usize - 1].entry.recorded_at;
                let earlier =
                    Instant::from_unix_seconds(prev.unix_seconds() - 1).expect("in range");
                out.push(case(
                    Value::from(earlier.to_string()),
                    at("recorded_at_decreased"),
                    next_prev,
                ));
            }
            return out;
        }
        _ => {}
    }

    // Signatures.
    if let Some(Seg::Key(top)) = path.first() {
        if top == "sigs" {
            let Some(Seg::Idx(i)) = path.get(1) else {
                panic!("sigs path {p}")
            };
            let to = match key_name {
                "key" => replacement_signer(fx, entry["sigs"].as_array().expect("sigs"), *i),
                "sig" => flip_hex(value.as_str().expect("sig"), 0),
                _ => panic!("unexpected signature field {p}"),
            };
            return vec![case(Value::from(to), at("bad_signature"), next_prev)];
        }
    }

    // Intent fields: the signatures are over the intent, so any change that still parses
    // is a bad signature. Two changes cannot parse, whatever the value: `kind` (the body
    // is then of another kind) and `currency` (CNY is its only value).
    let bad_sig = |to: Value| vec![case(to, at("bad_signature"), next_prev)];
    let s = match value {
        Value::Number(n) => {
            return bad_sig(Value::from(n.as_u64().expect("integers only") + 1));
        }
        Value::Bool(b) => return bad_sig(Value::from(!b)),
        Value::String(s) => s.as_str(),
        other => panic!("unexpected leaf {other} at {p}"),
    };
    let line_text = String::from_utf8(fx.fund.lines[seq as usize].clone()).expect("utf-8");
    let to = match (p.as_str(), parent_name, key_name) {
        ("intent.kind", _, _) => {
            let to = other_variant(s, &["donation", "rental"]);
            return vec![case(Value::from(to), at("malformed"), next_prev)];
        }
        ("intent.body.currency", _, _) => {
            return vec![case(Value::from("USD"), at("malformed"), next_prev)];
        }
        ("intent.fund", _, _) => "other-fund".to_owned(),
        // Trustee keys inside bodies: another valid key, not a flipped digit (which would
        // most likely not be a curve point and fail to parse).
        (_, "remove", _) | (_, _, "key") if p != "intent.key" => unused_key(fx, &line_text),
        (_, _, "uscc") => sample_uscc(SEED, 12_345).expect("uscc").to_string(),
        (_, _, "class") => other_variant(s, &["enterprise", "organisation", "resident"]),
        (_, _, "channel") => other_variant(s, &["cash", "other"]),
        (_, _, "basis") => other_variant(s, &["revenue", "profit"]),
        (_, _, "verdict") => other_variant(s, &["agree", "disagree"]),
        ("intent.body.kind", _, _) => other_variant(s, &["classroom", "theatre"]),
        (_, _, "day") => {
            let i = WEEKDAYS.iter().position(|d| *d == s).expect("weekday");
            WEEKDAYS[(i + 1) % 7].to_owned()
        }
        (_, _, "utc_offset") => "+09:00".to_owned(),
        _ if is_instant(s) => {
            let t = Instant::parse(s).expect("instant");
            Instant::from_unix_seconds(t.unix_seconds() + 1)
                .expect("in range")
                .to_string()
        }
        _ if is_date(s) => {
            // Keeps periods ordered: a first day moves forward, a last day back.
            let d = Date::parse(s).expect("date");
            if d.day() == 1 { d.succ() } else { d.pred() }
                .expect("in range")
                .to_string()
        }
        _ if is_money(s) => money_plus_fen(s),
        _ if is_rate(s) => {
            let n: u64 = s.replace('.', "").parse().expect("digits");
            format!("{}.{:04}", (n + 1) / 10_000, (n + 1) % 10_000)
        }
        _ if is_time_of_day(s) => format!("{}1", &s[..4]),
        _ if is_hex(s, 64) => flip_hex(s, 63),
        // Free text, ids, receipt and invoice numbers, idempotency keys.
        _ => format!("{s}x"),
    };
    bad_sig(Value::from(to))
}

/// The entry of each kind that is tampered: the first at or after seq 400 (well inside the
/// log, with history before and after), else the kind's first. The example fixture
/// restricts no money: the restriction kinds are tampered in `tamper_restricted.rs`.
fn chosen_entries(fx: &Fixture) -> Vec<(Kind, u64)> {
    Kind::ALL
        .iter()
        .filter(|k| {
            !matches!(
                k,
                Kind::Restriction | Kind::RestrictionRevocation | Kind::RestrictionClosing
            )
        })
        .map(|k| {
            let seqs = fx.seqs_of(*k);
            assert!(!seqs.is_empty(), "the fixture has no {k:?}");
            let s = seqs.iter().copied().find(|s| *s >= 400).unwrap_or(seqs[0]);
            assert!(s + 1 < ENTRIES, "a tampered entry needs a next one");
            (*k, s as u64)
        })
        .collect()
}

fn field_cases(fx: &Fixture) -> Vec<Case> {
    let mut cases = Vec::new();
    for (kind, seq) in chosen_entries(fx) {
        let entry: Value =
            serde_json::from_slice(&fx.fund.lines[seq as usize]).expect("entry is JSON");
        let mut found = Vec::new();
        leaves(&entry, &mut Vec::new(), &mut found);
        for (path, value) in &found {
            cases.extend(cases_for_leaf(fx, kind, seq, &entry, path, value));
        }
    }
    cases
}

/// The tampered line of a case: the entry's JSON with one leaf changed, re-canonicalised.
fn tampered_line(fx: &Fixture, c: &Case) -> Vec<u8> {
    let original = &fx.fund.lines[c.seq as usize];
    let mut v: Value = serde_json::from_slice(original).expect("entry is JSON");
    let mut found = Vec::new();
    leaves(&v, &mut Vec::new(), &mut found);
    let (path, _) = found
        .iter()
        .find(|(p, _)| path_string(p) == c.path)
        .expect("the case's path exists");
    assert_eq!(get_at(&v, path), &c.from);
    set_at(&mut v, path, c.to.clone());
    let line = canonicalize(&v);
    assert_ne!(
        &line, original,
        "{} {}: the change changed nothing",
        c.seq, c.path
    );
    line
}

fn check_case(c: &Case, report: &Report) -> Result<(), String> {
    let want = |e: Expect| (e.code, e.seq, e.line);
    let got = summary(report);
    let ctx = || {
        format!(
            "{:?} seq {} `{}`: {} -> {}\n{}",
            c.kind,
            c.seq,
            c.path,
            c.from,
            c.to,
            show(report)
        )
    };
    if report.is_clean() {
        return Err(format!("undetected: {}", ctx()));
    }
    if got[0] != want(c.first) {
        return Err(format!("first finding should be {:?}: {}", c.first, ctx()));
    }
    if let Some(then) = c.then {
        if got.get(1) != Some(&want(then)) {
            return Err(format!("second finding should be {then:?}: {}", ctx()));
        }
    }
    // The verifier kept going to the end: every line counted, and the checkpoint (whose
    // root no longer matches the tampered log) was checked last.
    if report.entries != ENTRIES as u64 {
        return Err(format!("{} entries counted: {}", report.entries, ctx()));
    }
    let last = got.last().expect("not clean");
    if *last
        != (
            "checkpoint_root_mismatch",
            None,
            checkpoint_line_of(ENTRIES),
        )
    {
        return Err(format!(
            "the last finding should be the checkpoint's root: {}",
            ctx()
        ));
    }
    Ok(())
}

/// Number of field-by-field cases over the fixture's eleven chosen entries (the fixture
/// has oversight: a genesis with a supervisor and a host charity, an opinion). Pinned, so
/// a change that silently drops cases (or a fixture that changes shape) fails the test.
const FIELD_CASES: usize = 226;

#[test]
fn every_field_of_every_kind_is_detected_at_its_entry() {
    let fx = fixture();
    let cases = field_cases(fx);
    let mut per_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &cases {
        *per_kind.entry(c.kind.as_str()).or_default() += 1;
    }
    // Every kind has its entry fields (v, fund, seq, prev, recorded_at ×2), its intent's
    // fund, kind, key and signed_at, at least one body field and one signature (key, sig).
    for (k, _) in chosen_entries(fx) {
        let n = per_kind.get(k.as_str()).copied().unwrap_or(0);
        assert!(n >= 12, "only {n} cases for {k:?}: {per_kind:?}");
    }
    let paths: Vec<&str> = cases.iter().map(|c| c.path.as_str()).collect();
    for required in [
        "v",
        "fund",
        "seq",
        "prev",
        "recorded_at",
        "intent.fund",
        "intent.kind",
        "intent.key",
        "intent.signed_at",
        "sigs[0].key",
        "sigs[0].sig",
        "sigs[1].key",
        "sigs[1].sig",
        "intent.body.amount",
        "intent.body.rate",
        "intent.body.closing",
        "intent.body.reverses",
        "intent.body.trustees[2].key",
        "intent.body.remove[0]",
        "intent.body.community_hours[2].day",
        "intent.body.donor.class",
    ] {
        assert!(paths.contains(&required), "no case for `{required}`");
    }

    let mut failures = Vec::new();
    let mut cross_checked = 0;
    for (i, c) in cases.iter().enumerate() {
        let line = tampered_line(fx, c);
        if c.first.code == "bad_signature" {
            // A "valid-looking value": the tampered entry still parses, so what is caught
            // is the signature, not the shape.
            if let Err(e) = Entry::parse(&line) {
                failures.push(format!(
                    "{:?} `{}` -> {}: does not parse ({e}); the case is wrong",
                    c.kind, c.path, c.to
                ));
                continue;
            }
        }
        let report = fx.verify(&fx.splice(c.seq as usize, &line));
        // `TAMPER_VERBOSE=1 cargo test --test tamper -- --nocapture` lists every case.
        if std::env::var_os("TAMPER_VERBOSE").is_some() {
            eprintln!(
                "{:?} {} {} {} -> {} => {:?} / {:?} ({} findings)",
                c.kind,
                c.seq,
                c.path,
                c.from,
                c.to,
                summary(&report).first(),
                summary(&report).get(1),
                report.findings.len()
            );
        }
        if let Err(e) = check_case(c, &report) {
            failures.push(e);
        }
        // The shortcut (cached preparation of unchanged lines) must agree with verifying
        // the whole export from its bytes: checked on one case of each kind, a different
        // field for each kind.
        let nth_of_kind = i - cases.iter().position(|x| x.kind == c.kind).unwrap_or(0);
        let kind_index = Kind::ALL.iter().position(|k| *k == c.kind).unwrap_or(0);
        if nth_of_kind == (kind_index * 5 + 3) % per_kind[c.kind.as_str()] {
            cross_checked += 1;
            let full = verify(&fx.splice(c.seq as usize, &line));
            if summary(&full) != summary(&report) || full.entries != report.entries {
                failures.push(format!(
                    "verify_export disagrees for `{}` at {}:\n{}\nvs\n{}",
                    c.path,
                    c.seq,
                    show(&full),
                    show(&report)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
    assert_eq!(cross_checked, chosen_entries(fx).len());
    assert_eq!(
        cases.len(),
        FIELD_CASES,
        "number of field cases changed: {per_kind:?}"
    );
}

// ---------------------------------------------------------------------------------------
// 2. Structural
// ---------------------------------------------------------------------------------------

/// Entry lines of the fixture, as owned lines to edit.
fn entry_lines(fx: &Fixture) -> Vec<Vec<u8>> {
    fx.fund.lines.clone()
}

/// Where the structural and rule tampers happen: late in the log, with most of its history
/// before (and a few statements after), so that a re-chained export keeps most lines as
/// they were and verifies faster.
const LATE: usize = 800;

/// A seq late in the log whose entry is a donation (so a next entry exists).
fn a_donation(fx: &Fixture) -> usize {
    fx.seqs_of(Kind::Donation)
        .into_iter()
        .find(|s| *s >= LATE)
        .expect("a donation")
}

fn assert_first(report: &Report, code: &str, seq: Option<u64>, line: u64) {
    let f = first(report);
    assert_eq!(
        (f.code, f.seq, f.line),
        (code, seq, line),
        "{}",
        show(report)
    );
}

/// The entry's own finding first, then the next entry's broken prev.
fn assert_own_then_next_prev(report: &Report, code: &str, seq: usize, finding_seq: Option<u64>) {
    let s = seq as u64;
    assert_first(report, code, finding_seq, line_of(s));
    assert_eq!(
        summary(report).get(1).copied(),
        Some(("prev_mismatch", Some(s + 1), line_of(s + 1))),
        "{}",
        show(report)
    );
    assert_eq!(report.entries, ENTRIES as u64);
}

fn replace_once(line: &[u8], from: &str, to: &str) -> Vec<u8> {
    let text = std::str::from_utf8(line).expect("utf-8");
    assert!(text.contains(from), "`{from}` not in line");
    text.replacen(from, to, 1).into_bytes()
}

#[test]
fn the_shortcut_agrees_with_verify_export_when_lines_move() {
    // `Fixture::verify` reuses the parse and signature check of lines identical to the
    // fixture's. On exports whose lines are deleted, swapped, duplicated, cut, or
    // surrounded by blank lines, it must still say exactly what `verify_export` says.
    let fx = fixture();
    let s = a_donation(fx);
    let mut exports = Vec::new();
    let mut l = entry_lines(fx);
    l.remove(s);
    exports.push(fx.export_with(&l));
    let mut l = entry_lines(fx);
    l.swap(s, s + 1);
    exports.push(fx.export_with(&l));
    let mut l = entry_lines(fx);
    l.insert(s + 1, l[s].clone());
    exports.push(fx.export_with(&l));
    exports.push(fx.export_with(&fx.fund.lines[..ENTRIES - 10]));
    let mut l = split_lines(&fx.export);
    l.insert(s + 2, Vec::new());
    l.push(fx.fund.lines[0].clone());
    exports.push(join_lines(&l));
    for (i, export) in exports.iter().enumerate() {
        let (fast, full) = (fx.verify(export), verify(export));
        assert!(!full.is_clean(), "export {i}");
        assert_eq!(summary(&fast), summary(&full), "export {i}");
        assert_eq!(
            (fast.entries, fast.root, fast.balance),
            (full.entries, full.root, full.balance),
            "export {i}"
        );
    }
}

#[test]
fn non_canonical_lines_are_refused_at_their_entry() {
    let fx = fixture();
    let s = a_donation(fx);
    let line = &fx.fund.lines[s];
    let text = std::str::from_utf8(line).expect("utf-8");
    let fund_field = format!("\"fund\":\"{}\",", fx.fund.spec.fund);
    let variants: Vec<(&str, Vec<u8>)> = vec![
        // A space after the first comma.
        ("space", replace_once(line, ",\"", ", \"")),
        // `v` moved from last (sorted) to first.
        (
            "reordered",
            format!("{{\"v\":1,{}}}", &text[1..text.len() - ",\"v\":1}".len()]).into_bytes(),
        ),
        // `fund` twice, same value: a parser keeping the last one sees the same entry.
        (
            "duplicate key",
            replace_once(line, &fund_field, &format!("{fund_field}{fund_field}")),
        ),
        // An escaped character that needs no escape (same string once parsed).
        (
            "needless escape",
            replace_once(line, "\"v\":1", "\"\\u0076\":1"),
        ),
        // A trailing CR (an export rewritten with CRLF line ends).
        ("crlf", [line.as_slice(), b"\r"].concat()),
    ];
    for (what, bad) in variants {
        assert_ne!(&bad, line);
        // Each is the same JSON value as the original line: only the bytes differ.
        let same: Value = serde_json::from_slice(&bad).expect("still JSON");
        assert_eq!(
            same,
            serde_json::from_slice::<Value>(line).unwrap(),
            "{what}"
        );
        let report = fx.verify(&fx.splice(s, &bad));
        assert_own_then_next_prev(&report, "not_canonical", s, Some(s as u64));
        assert!(
            report.findings[0].en.contains("canonical"),
            "{what}: {}",
            show(&report)
        );
    }
}

#[test]
fn invalid_json_is_refused_at_its_line_and_the_chain_goes_on() {
    let fx = fixture();
    let s = a_donation(fx);
    let line = &fx.fund.lines[s];
    let report = fx.verify(&fx.splice(s, &line[..line.len() - 1]));
    // No seq can be read from a line that is not JSON: the finding is located by line.
    assert_own_then_next_prev(&report, "invalid_json", s, None);
    let mut bad_utf8 = line.clone();
    let at = bad_utf8.len() - 10;
    bad_utf8[at] = 0xff;
    let report = fx.verify(&fx.splice(s, &bad_utf8));
    assert_own_then_next_prev(&report, "invalid_utf8", s, None);
}

#[test]
fn a_deleted_entry_is_named_by_the_entry_after_it() {
    let fx = fixture();
    let d = a_donation(fx);
    let mut lines = entry_lines(fx);
    lines.remove(d);
    let report = fx.verify(&fx.export_with(&lines));
    // The line of `d` now holds entry d + 1, which names the gap; the verifier resyncs
    // on it, so the chain after it holds (prev of d + 1 is not even reported).
    assert_first(
        &report,
        "seq_mismatch",
        Some(d as u64 + 1),
        line_of(d as u64),
    );
    assert_eq!(report.entries, ENTRIES as u64 - 1);
    let got = summary(&report);
    // Kept going: the next statement no longer matches the log (the deleted donation is
    // missing from its totals and from its tree), and the checkpoint's size is off.
    let next_statement = first_after(fx, Kind::Statement, d) as u64;
    assert_eq!(
        got.get(1).copied(),
        Some((
            "statement_mismatch",
            Some(next_statement),
            line_of(next_statement) - 1
        )),
        "{}",
        show(&report)
    );
    assert_eq!(
        got.last().copied(),
        Some((
            "checkpoint_size_mismatch",
            None,
            checkpoint_line_of(ENTRIES - 1)
        )),
        "{}",
        show(&report)
    );
}

#[test]
fn swapped_entries_are_named_at_the_first_of_them() {
    let fx = fixture();
    let s = a_donation(fx);
    let mut lines = entry_lines(fx);
    lines.swap(s, s + 1);
    let report = fx.verify(&fx.export_with(&lines));
    let (a, b) = (s as u64, s as u64 + 1);
    let got = summary(&report);
    // Line of s holds s + 1 (resync on it), line of s + 1 holds s (resync back), and the
    // next entry s + 2 then looks one ahead; after that the chain is whole again.
    assert_eq!(
        got[..3],
        [
            ("seq_mismatch", Some(b), line_of(a)),
            ("seq_mismatch", Some(a), line_of(b)),
            ("seq_mismatch", Some(b + 1), line_of(b + 1)),
        ],
        "{}",
        show(&report)
    );
    assert_eq!(report.entries, ENTRIES as u64);
    assert_eq!(
        got.last().copied(),
        Some((
            "checkpoint_root_mismatch",
            None,
            checkpoint_line_of(ENTRIES)
        )),
        "{}",
        show(&report)
    );
}

#[test]
fn a_duplicated_entry_is_named_at_the_copy() {
    let fx = fixture();
    let s = a_donation(fx);
    let mut lines = entry_lines(fx);
    lines.insert(s + 1, lines[s].clone());
    let report = fx.verify(&fx.export_with(&lines));
    let got = summary(&report);
    // The copy is refused (not applied: the donation is not counted twice) and the chain
    // resynchronises on it.
    assert_first(
        &report,
        "seq_mismatch",
        Some(s as u64),
        line_of(s as u64 + 1),
    );
    assert_eq!(report.entries, ENTRIES as u64 + 1);
    assert_eq!(report.balance, fx.fund.balance().to_string());
    // After it only what covers the whole tree disagrees: each later statement's tree
    // (the copy is a leaf of the exported log) and the checkpoint's size.
    let later: Vec<u64> = fx
        .seqs_of(Kind::Statement)
        .into_iter()
        .filter(|t| *t > s)
        .map(|t| t as u64)
        .collect();
    assert!(!later.is_empty());
    let mut want = vec![("seq_mismatch", Some(s as u64), line_of(s as u64 + 1))];
    want.extend(
        later
            .iter()
            .map(|t| ("statement_mismatch", Some(*t), line_of(*t) + 1)),
    );
    want.push((
        "checkpoint_size_mismatch",
        None,
        checkpoint_line_of(ENTRIES + 1),
    ));
    assert_eq!(got, want, "{}", show(&report));
    // FORMAT.md §6: tree_size = through_seq + 1, whatever lines are refused; the root,
    // over the lines as they are, is what differs.
    assert!(
        report.findings[1].en.contains("`root`"),
        "{}",
        show(&report)
    );
}

#[test]
fn a_cut_tail_is_caught_by_the_checkpoint_size() {
    let fx = fixture();
    let lines = &fx.fund.lines[..ENTRIES - 10];
    let report = fx.verify(&fx.export_with(lines));
    assert_eq!(
        summary(&report),
        vec![(
            "checkpoint_size_mismatch",
            None,
            checkpoint_line_of(ENTRIES - 10)
        )],
        "{}",
        show(&report)
    );
    assert_eq!(report.entries, ENTRIES as u64 - 10);
}

#[test]
fn checkpoint_tampers_are_named() {
    let fx = fixture();
    let origin = &fx.fund.origin;
    let size = ENTRIES as u64;
    let cp_line = checkpoint_line_of(ENTRIES);
    let with_checkpoint = |cp: &[u8]| {
        let mut lines = split_lines(&fx.export);
        *lines.last_mut().expect("lines") = cp.to_vec();
        join_lines(&lines)
    };
    let only = |report: &Report, code: &'static str, line: u64| {
        assert_eq!(
            summary(report),
            vec![(code, None, line)],
            "{}",
            show(report)
        );
        assert_eq!(report.entries, size);
    };

    // Sanity: the fixture's own checkpoint is exactly what the helper signs.
    assert_eq!(
        fx.checkpoint_line(origin, size, fx.fund.root()),
        fx.checkpoint
    );

    // Dropped.
    let lines = split_lines(&fx.export);
    let report = fx.verify(&join_lines(&lines[..lines.len() - 1]));
    assert_eq!(
        summary(&report),
        vec![("checkpoint_missing", None, cp_line)],
        "{}",
        show(&report)
    );
    assert!(report.checkpoint.is_none());

    // Signed by another key under the same name, and by a key of another name.
    for name in [HOST, "impostor.example"] {
        let other = NoteSigner::new(name, key_from_label("tamper/impostor")).unwrap();
        let report = fx.verify(&with_checkpoint(&checkpoint_line(
            origin,
            size,
            fx.fund.root(),
            &other,
        )));
        only(&report, "checkpoint_signature", cp_line);
        assert!(report.checkpoint.is_none());
    }

    // Correctly signed by the log key, over a wrong root.
    let wrong_root = Hash([7; 32]);
    let report = fx.verify(&with_checkpoint(
        &fx.checkpoint_line(origin, size, wrong_root),
    ));
    only(&report, "checkpoint_root_mismatch", cp_line);

    // Correctly signed, right size and root, wrong origin (another fund's checkpoint).
    let report = fx.verify(&with_checkpoint(&fx.checkpoint_line(
        "ledger.example/another-fund",
        size,
        fx.fund.root(),
    )));
    only(&report, "checkpoint_origin_mismatch", cp_line);

    // Correctly signed, claiming more entries than the export has.
    let report = fx.verify(&with_checkpoint(&fx.checkpoint_line(
        origin,
        size + 1,
        fx.fund.root(),
    )));
    only(&report, "checkpoint_size_mismatch", cp_line);

    // The checkpoint line itself not canonical / not a checkpoint object.
    let spaced = replace_once(&fx.checkpoint, "{\"checkpoint\":", "{\"checkpoint\": ");
    only(
        &fx.verify(&with_checkpoint(&spaced)),
        "checkpoint_malformed",
        cp_line,
    );

    // Trailing data after the checkpoint: a copy of an entry.
    let mut export = fx.export.clone();
    export.extend_from_slice(&fx.fund.lines[5]);
    export.push(b'\n');
    let report = fx.verify(&export);
    only(&report, "trailing_data", cp_line + 1);
    assert!(report.checkpoint.is_some());
}

#[test]
fn unusable_headers_are_named() {
    let fx = fixture();
    let mut lines = split_lines(&fx.export);

    // Empty file, and a file of blank lines.
    for empty in [&b""[..], b"\n\n"] {
        let report = fx.verify(empty);
        assert_eq!(
            summary(&report),
            vec![("header_missing", None, 1)],
            "{}",
            show(&report)
        );
        assert_eq!(report.entries, 0);
    }

    // Garbage header: nothing can be checked without the fund, keys and origin: the input
    // is unusable, and that is all that is said (FORMAT.md §10.3).
    lines[0] = b"{\"hello\":\"world\"}".to_vec();
    let report = fx.verify(&join_lines(&lines));
    assert_eq!(
        summary(&report),
        vec![("header_malformed", None, 1)],
        "{}",
        show(&report)
    );
    assert_eq!(report.entries, 0);
    assert!(report.is_unusable());

    // A header that is not JSON at all.
    lines[0] = b"community-ledger export".to_vec();
    assert_first(&fx.verify(&join_lines(&lines)), "header_malformed", None, 1);

    // A header naming another fund: the genesis is the first entry that is not its.
    let mut header: Value = serde_json::from_slice(&fx.header).unwrap();
    header["fund"] = Value::from("other-fund");
    header["origin"] = Value::from("ledger.example/other-fund");
    lines[0] = canonicalize(&header);
    let report = fx.verify(&join_lines(&lines));
    assert_first(&report, "fund_mismatch", Some(0), line_of(0));
    assert_eq!(report.entries, ENTRIES as u64);
}

#[test]
fn keys_the_auditor_does_not_trust_are_named() {
    let fx = fixture();
    let other = NoteSigner::new(HOST, key_from_label("tamper/other-log"))
        .unwrap()
        .verifier()
        .to_vkey();
    let report = tamper_support::verify_with(
        &fx.export,
        Expectations {
            log_key: Some(other),
            operator_key: None,
        },
    );
    // Once pinned, the trusted key is the one checked against (FORMAT.md §10.1): the
    // checkpoint, signed by the header's key, does not verify under it.
    assert_eq!(
        summary(&report),
        vec![
            ("log_key_mismatch", None, 1),
            ("checkpoint_signature", None, checkpoint_line_of(ENTRIES))
        ],
        "{}",
        show(&report)
    );

    let report = tamper_support::verify_with(
        &fx.export,
        Expectations {
            log_key: None,
            operator_key: Some(fx.trustee(1)),
        },
    );
    // Checked against the trusted operator key, the genesis is signed by a stranger: it is
    // refused, so the fund has no trustees and no later signer is one (FORMAT.md §10.1,
    // §10.4). The checkpoint itself still holds.
    let got = summary(&report);
    assert_eq!(
        got[0],
        ("operator_key_mismatch", None, 1),
        "{}",
        show(&report)
    );
    assert_eq!(
        got[1],
        ("unknown_signer", Some(0), line_of(0)),
        "{}",
        show(&report)
    );
    assert_eq!(got.len(), ENTRIES + 1, "{}", show(&report));
    // (An opinion is signed by a supervisor, not a trustee: with the genesis refused there
    // is none, and its own code says so.)
    assert!(
        got[1..]
            .iter()
            .all(|f| f.0 == "unknown_signer" || f.0 == "opinion_signer_not_supervisor"),
        "{:?}",
        got[1..]
            .iter()
            .filter(|f| f.0 != "unknown_signer")
            .collect::<Vec<_>>()
    );

    // The right keys: clean.
    let report = tamper_support::verify_with(
        &fx.export,
        Expectations {
            log_key: Some(fx.fund.keys.log.verifier().to_vkey()),
            operator_key: Some(fx.operator()),
        },
    );
    assert!(report.is_clean(), "{}", show(&report));
}

// ---------------------------------------------------------------------------------------
// 3. Rule breaks, re-signed by real keys
// ---------------------------------------------------------------------------------------

#[test]
fn rechain_without_changes_reproduces_the_export() {
    // The helper the rule tests rely on: re-chaining and re-signing an untouched log gives
    // back the very same bytes (Ed25519 signatures are deterministic), statements redrafted
    // or not.
    let fx = fixture();
    for mode in [Statements::Keep, Statements::FixRoots, Statements::Redraft] {
        let out = rechain(fx, fx.entries(), 0, mode, &[]);
        assert!(out == fx.export, "{mode:?} changed the export");
    }
}

/// Verifies a re-chained export and checks that only rules can be wrong in it: the chain,
/// the signatures and the checkpoint all hold.
fn verify_rechained(export: &[u8]) -> Report {
    let report = fixture().verify(export);
    for f in &report.findings {
        assert!(
            !matches!(
                f.code,
                "prev_mismatch" | "bad_signature" | "seq_mismatch" | "not_canonical"
            ) && !f.code.starts_with("checkpoint"),
            "the re-chained log is broken, not just its rules: {}",
            show(&report)
        );
    }
    assert_eq!(report.entries, ENTRIES as u64);
    report
}

fn first_after(fx: &Fixture, kind: Kind, after: usize) -> usize {
    fx.seqs_of(kind)
        .into_iter()
        .find(|s| *s > after)
        .unwrap_or_else(|| panic!("no {kind:?} after {after}"))
}

#[test]
fn an_agreement_rate_out_of_policy_is_named() {
    let fx = fixture();
    let s = fx.seqs_of(Kind::Agreement)[0];
    let mut entries = fx.entries();
    let Body::Agreement(a) = &mut entries[s].intent.body else {
        unreachable!()
    };
    a.rate = Rate::parse("0.6000").unwrap();
    let report = verify_rechained(&rechain(fx, entries, s, Statements::FixRoots, &[]));
    assert_first(
        &report,
        "rate_out_of_policy",
        Some(s as u64),
        line_of(s as u64),
    );
    assert!(
        report.findings[0].en.contains("0.6000"),
        "{}",
        show(&report)
    );
    // Kept going: the shares paid under the refused agreement name it as unknown.
    let share = first_after(fx, Kind::RevenueShare, s) as u64;
    assert!(
        summary(&report).contains(&("agreement_unknown", Some(share), line_of(share))),
        "{}",
        show(&report)
    );

    // The bounds themselves are allowed: 0.5000 exactly is within policy.
    let mut entries = fx.entries();
    let Body::Agreement(a) = &mut entries[s].intent.body else {
        unreachable!()
    };
    a.rate = Rate::parse("0.5000").unwrap();
    let report = verify_rechained(&rechain(fx, entries, s, Statements::FixRoots, &[]));
    assert!(
        !summary(&report).iter().any(|f| f.1 == Some(s as u64)),
        "{}",
        show(&report)
    );
}

#[test]
fn a_statement_total_that_does_not_add_up_is_named() {
    let fx = fixture();
    let statements = fx.seqs_of(Kind::Statement);
    let s = *statements
        .iter()
        .find(|s| **s >= LATE)
        .expect("a late statement");
    let mut entries = fx.entries();
    let Body::Statement(st) = &mut entries[s].intent.body else {
        unreachable!()
    };
    st.closing = st.closing.checked_add(Money::from_fen(1).unwrap()).unwrap();
    let report = verify_rechained(&rechain(fx, entries, s, Statements::FixRoots, &[]));
    assert_first(
        &report,
        "statement_mismatch",
        Some(s as u64),
        line_of(s as u64),
    );
    assert!(
        report.findings[0].en.contains("`closing`"),
        "{}",
        show(&report)
    );
}

#[test]
fn a_disbursement_beyond_the_balance_is_an_overdraft() {
    let fx = fixture();
    let d = first_after(fx, Kind::Disbursement, LATE);
    let balance = fx.state_before(d).balance();
    let set_amount = |fen: i64| {
        let mut entries = fx.entries();
        let Body::Disbursement(b) = &mut entries[d].intent.body else {
            unreachable!()
        };
        b.amount = Amount::from_fen(fen).unwrap();
        verify_rechained(&rechain(fx, entries, d, Statements::FixRoots, &[]))
    };
    // One fen more than the fund holds.
    let report = set_amount(balance.to_fen() + 1);
    assert_first(&report, "overdraft", Some(d as u64), line_of(d as u64));
    // Exactly what it holds: allowed (the fund may reach zero).
    let report = set_amount(balance.to_fen());
    assert!(
        !summary(&report)
            .iter()
            .any(|f| f.1 == Some(d as u64) && f.0 == "overdraft"),
        "{}",
        show(&report)
    );
}

#[test]
fn an_insider_rewriting_a_donation_is_caught_by_the_next_statement() {
    // The insider holds every trustee key and the log key: they raise a donation by 100.00,
    // re-sign it, re-hash and re-sign everything after it and sign a new checkpoint. Every
    // hash, signature and the checkpoint hold; the statements signed since do not add up.
    let fx = fixture();
    let x = a_donation(fx);
    let statement = first_after(fx, Kind::Statement, x) as u64;
    let edited = || {
        let mut entries = fx.entries();
        let Body::Donation(d) = &mut entries[x].intent.body else {
            unreachable!()
        };
        let fen = d.amount.to_fen() + 10_000;
        d.amount = Amount::from_fen(fen).unwrap();
        entries
    };

    // Statements' roots updated to the new log, their totals kept: the donations total.
    let report = verify_rechained(&rechain(fx, edited(), x, Statements::FixRoots, &[]));
    assert_first(
        &report,
        "statement_mismatch",
        Some(statement),
        line_of(statement),
    );
    assert!(
        report.findings[0].en.contains("`inflows.donation`"),
        "{}",
        show(&report)
    );
    // Kept going: every later statement opens on a balance 100.00 off.
    let later = first_after(fx, Kind::Statement, statement as usize) as u64;
    let second = &report.findings[1];
    assert_eq!(
        (second.code, second.seq),
        ("statement_mismatch", Some(later)),
        "{}",
        show(&report)
    );
    assert!(second.en.contains("`opening`"), "{}", show(&report));

    // Statements left as they were: their Merkle root already gives it away.
    let report = verify_rechained(&rechain(fx, edited(), x, Statements::Keep, &[]));
    assert_first(
        &report,
        "statement_mismatch",
        Some(statement),
        line_of(statement),
    );
    assert!(
        report.findings[0].en.contains("`root`"),
        "{}",
        show(&report)
    );
}

#[test]
fn a_complete_insider_rewrite_is_only_caught_by_an_earlier_checkpoint() {
    // What the verifier alone cannot detect: an insider with a quorum of trustee keys and
    // the log key who also redrafts and re-signs every statement since the edit produces a
    // log that is valid in every respect. The export verifies clean. Only someone holding a
    // checkpoint published before the rewrite (covering the edited entry) can tell: the
    // new log is not an extension of it.
    let fx = fixture();
    let x = a_donation(fx);
    let mut entries = fx.entries();
    let Body::Donation(d) = &mut entries[x].intent.body else {
        unreachable!()
    };
    d.amount = Amount::from_fen(d.amount.to_fen() + 10_000).unwrap();
    let rewritten = rechain(fx, entries, x, Statements::Redraft, &[]);
    let report = fx.verify(&rewritten);
    assert!(report.is_clean(), "{}", show(&report));
    let extra = Money::from_fen(10_000).unwrap();
    assert_eq!(
        report.balance,
        fx.fund.balance().checked_add(extra).unwrap().to_string()
    );

    // The checkpoint published before the rewrite, at size `x + 1`, and the rewritten log.
    let old_leaves: Vec<Hash> = fx.parsed.iter().map(|p| p.hash).collect();
    let new_leaves: Vec<Hash> = split_lines(&rewritten)[1..=ENTRIES]
        .iter()
        .map(|l| ledger_core::hash::leaf_hash(l))
        .collect();
    let size1 = x as u64 + 1;
    let old_root = root(&old_leaves[..=x]);
    let proof = consistency_proof(&new_leaves, size1).unwrap();
    assert!(
        verify_consistency(size1, ENTRIES as u64, &proof, &old_root, &root(&new_leaves)).is_err(),
        "the rewritten log must not be consistent with the earlier checkpoint"
    );
    // While a checkpoint from before the edited entry cannot see it.
    let size0 = x as u64;
    let proof = consistency_proof(&new_leaves, size0).unwrap();
    assert!(verify_consistency(
        size0,
        ENTRIES as u64,
        &proof,
        &root(&old_leaves[..x]),
        &root(&new_leaves),
    )
    .is_ok());
}

#[test]
fn a_signature_by_an_unregistered_key_is_an_unknown_signer() {
    let fx = fixture();
    let u = a_donation(fx);
    let forger: SigningKey = key_from_label("tamper/forger");
    let mut entries = fx.entries();
    let sig = entries[u].intent.sign(&forger);
    entries[u].sigs = vec![sig];
    let report = verify_rechained(&rechain(
        fx,
        entries,
        u,
        Statements::FixRoots,
        std::slice::from_ref(&forger),
    ));
    assert_first(&report, "unknown_signer", Some(u as u64), line_of(u as u64));
    let forger_hex = PublicKey::from_verifying_key(forger.verifying_key()).to_hex();
    assert!(
        report.findings[0].en.contains(&forger_hex),
        "{}",
        show(&report)
    );

    // A forged second signature beside a real one, on a disbursement: still refused.
    let d = first_after(fx, Kind::Disbursement, LATE);
    let mut entries = fx.entries();
    let sig = entries[d].intent.sign(&forger);
    entries[d].sigs.truncate(1);
    entries[d].sigs.push(sig);
    entries[d].sigs.sort_by_key(|s| s.key);
    let report = verify_rechained(&rechain(
        fx,
        entries,
        d,
        Statements::FixRoots,
        std::slice::from_ref(&forger),
    ));
    assert_first(&report, "unknown_signer", Some(d as u64), line_of(d as u64));

    // A trustee who was removed keeps signing: their key is no longer registered.
    let change = fx.seqs_of(Kind::Trustees)[0];
    let Body::Trustees(c) = &fx.parsed[change].entry.intent.body else {
        unreachable!()
    };
    let removed = c.remove[0];
    let after = first_after(fx, Kind::Donation, change);
    let mut entries = fx.entries();
    let key = fx
        .signing_key(&removed, &[])
        .expect("removed trustee's key");
    entries[after].sigs = vec![entries[after].intent.sign(key)];
    let report = verify_rechained(&rechain(fx, entries, after, Statements::FixRoots, &[]));
    assert_first(
        &report,
        "unknown_signer",
        Some(after as u64),
        line_of(after as u64),
    );
}

#[test]
fn a_disbursement_with_one_signature_misses_its_quorum() {
    let fx = fixture();
    let d = first_after(fx, Kind::Disbursement, LATE);
    let mut entries = fx.entries();
    assert_eq!(entries[d].sigs.len(), 2);
    for keep in 0..2 {
        let mut e = entries.clone();
        e[d].sigs = vec![entries[d].sigs[keep]];
        let report = verify_rechained(&rechain(fx, e, d, Statements::FixRoots, &[]));
        assert_first(&report, "quorum_not_met", Some(d as u64), line_of(d as u64));
    }
    // And a statement with one of its two.
    let s = first_after(fx, Kind::Statement, 500);
    entries[s].sigs.truncate(1);
    let report = verify_rechained(&rechain(fx, entries, s, Statements::FixRoots, &[]));
    assert_first(&report, "quorum_not_met", Some(s as u64), line_of(s as u64));
}

/// The fixture with the first donation after `after` replaced by a reversal of `target`,
/// signed by `signers` (1 or 2) of the current trustees who signed the next disbursement,
/// then re-chained.
fn reversal_instead_of_donation(
    fx: &Fixture,
    after: usize,
    target: u64,
    signers: usize,
) -> (usize, Report) {
    let d = first_after(fx, Kind::Donation, after);
    let mut sigs = fx.parsed[first_after(fx, Kind::Disbursement, d)]
        .entry
        .sigs
        .clone();
    sigs.truncate(signers);
    let mut entries = fx.entries();
    entries[d].intent.body = Body::Reversal(Reversal {
        reverses: target,
        reason: LongText::parse("重复冲正（篡改测试）").unwrap(),
        correction: None,
    });
    // Placeholders: the re-chainer re-signs with these signers' keys.
    entries[d].sigs = sigs;
    let report = verify_rechained(&rechain(fx, entries, d, Statements::FixRoots, &[]));
    (d, report)
}

#[test]
fn reversal_rules_hold() {
    let fx = fixture();
    let reversals = fx.seqs_of(Kind::Reversal);
    let r = *reversals
        .iter()
        .find(|r| **r >= LATE)
        .unwrap_or(&reversals[0]);
    let Body::Reversal(rev) = &fx.parsed[r].entry.intent.body else {
        unreachable!()
    };
    let target = rev.reverses;

    // A reversal of a reversal.
    let (d, report) = reversal_instead_of_donation(fx, r, r as u64, 1);
    assert_first(
        &report,
        "reversal_of_reversal",
        Some(d as u64),
        line_of(d as u64),
    );

    // The same entry reversed twice.
    let (d, report) = reversal_instead_of_donation(fx, r, target, 1);
    assert_first(
        &report,
        "already_reversed",
        Some(d as u64),
        line_of(d as u64),
    );

    // Control: reversing a donation that was never reversed is fine at that entry.
    let fresh = fx.seqs_of(Kind::Donation)[3] as u64;
    assert!(fx.parsed.iter().all(|p| !matches!(
        &p.entry.intent.body,
        Body::Reversal(x) if x.reverses == fresh
    )));
    let (d, report) = reversal_instead_of_donation(fx, r, fresh, 1);
    assert!(
        !summary(&report).iter().any(|f| f.1 == Some(d as u64)),
        "{}",
        show(&report)
    );

    // A reversal of a disbursement needs the disbursement quorum, not one signature.
    let disbursement = first_after(fx, Kind::Disbursement, r) as u64;
    let (d, report) = reversal_instead_of_donation(fx, disbursement as usize, disbursement, 1);
    assert_first(&report, "quorum_not_met", Some(d as u64), line_of(d as u64));
    let (d, report) = reversal_instead_of_donation(fx, disbursement as usize, disbursement, 2);
    assert!(
        !summary(&report).iter().any(|f| f.1 == Some(d as u64)),
        "{}",
        show(&report)
    );

    // A reversal of a non-monetary entry (signed by two, as a space needs), and of a
    // later one.
    let (d, report) = reversal_instead_of_donation(fx, r, 3, 2);
    assert_first(
        &report,
        "reversal_target_not_monetary",
        Some(d as u64),
        line_of(d as u64),
    );
    let (d, report) = reversal_instead_of_donation(fx, r, ENTRIES as u64 - 1, 1);
    assert_first(
        &report,
        "reversal_target_unknown",
        Some(d as u64),
        line_of(d as u64),
    );
}

#[test]
fn a_recorded_at_long_before_the_signature_is_named() {
    // `recorded_at` is the server's field, outside the signed intent: moving it back more
    // than 300 s before the trustee's `signed_at` needs no trustee key, and is named.
    let fx = fixture();
    let e = fx
        .seqs_of(Kind::Donation)
        .into_iter()
        .filter(|s| *s >= LATE)
        .find(|s| {
            let e = &fx.parsed[*s].entry;
            let back = e.intent.signed_at.unix_seconds() - 301;
            back > fx.parsed[s - 1].entry.recorded_at.unix_seconds()
                && Instant::from_unix_seconds(back)
                    .unwrap()
                    .local_date(ledger_core::time::UtcOffset::CHINA)
                    == e.recorded_at
                        .local_date(ledger_core::time::UtcOffset::CHINA)
        })
        .expect("a donation with room before it");
    let at = |skew: i64| {
        let mut entries = fx.entries();
        let signed = entries[e].intent.signed_at.unix_seconds();
        entries[e].recorded_at = Instant::from_unix_seconds(signed - skew).unwrap();
        verify_rechained(&rechain(fx, entries, e, Statements::FixRoots, &[]))
    };
    assert_first(
        &at(301),
        "signed_in_future",
        Some(e as u64),
        line_of(e as u64),
    );
    let report = at(300);
    assert!(report.is_clean(), "{}", show(&report));
}

/// The code proposed for an idempotency key seen twice in one fund (FORMAT.md §3: the key is
/// "unique per fund"; the store enforces `UNIQUE(fund, idem_key)`). No such check exists
/// in the verifier yet: see `a_replayed_intent_is_a_double_record`.
const REPLAY_CODE: &str = "idempotency_key_reused";

#[test]
fn a_replayed_intent_is_a_double_record() {
    // The server holds the log key but no trustee key. Everything it adds to an entry
    // (`seq`, `prev`, `recorded_at`) is outside the signed intent, so it can append an
    // intent the trustees signed once a second time, with the very same signatures: the
    // money is then recorded twice (DESIGN §1.3 "the server cannot invent an entry", §1.6
    // "never records money twice"). The intent's idempotency key is what gives it away.
    // Appended after the last statement, no statement contradicts it.
    let fx = fixture();
    let balance = fx.fund.balance();
    let smallest_disbursement = fx
        .seqs_of(Kind::Disbursement)
        .into_iter()
        .filter(|s| *s >= 500)
        .min_by_key(|s| match &fx.parsed[*s].entry.intent.body {
            Body::Disbursement(d) => d.amount.to_fen(),
            _ => unreachable!(),
        })
        .expect("a disbursement");
    let mut failures = Vec::new();
    for original in [a_donation(fx), smallest_disbursement] {
        let last = &fx.parsed[ENTRIES - 1];
        let mut copy = fx.parsed[original].entry.clone();
        copy.seq = ENTRIES as u64;
        copy.prev = last.hash;
        copy.recorded_at =
            Instant::from_unix_seconds(last.entry.recorded_at.unix_seconds() + 60).unwrap();
        // Same intent, same signatures: no trustee key used.
        assert_eq!(copy.sigs, fx.parsed[original].entry.sigs);
        let line = copy.canonical_bytes();
        let mut lines = fx.fund.lines.clone();
        lines.push(line.clone());
        let leaves: Vec<Hash> = lines
            .iter()
            .map(|l| ledger_core::hash::leaf_hash(l))
            .collect();
        let mut export = join_lines(&[&fx.header]);
        export.extend_from_slice(&join_lines(&lines));
        export.extend_from_slice(&fx.checkpoint_line(
            &fx.fund.origin,
            lines.len() as u64,
            root(&leaves),
        ));
        export.push(b'\n');
        let report = fx.verify(&export);
        let kind = copy.intent.kind();
        let f = report.findings.first();
        if f.map(|f| (f.code, f.seq, f.line))
            != Some((REPLAY_CODE, Some(ENTRIES as u64), line_of(ENTRIES as u64)))
        {
            failures.push(format!(
                "a {kind:?} (seq {original}) replayed as seq {ENTRIES} with its original \
                 signatures: {}; balance {} instead of {balance}",
                if report.is_clean() {
                    "verifies CLEAN".to_owned()
                } else {
                    show(&report)
                },
                report.balance
            ));
        }
    }
    assert!(failures.is_empty(), "BUG:\n{}", failures.join("\n"));
}

#[test]
fn what_the_verifier_cannot_know_without_a_trusted_anchor() {
    let fx = fixture();

    // Rollback: an older genuine export (the first 990 entries and the checkpoint the log
    // key signed when the log had 990) is a valid export. The 10 newest entries are gone
    // without a trace; only a newer checkpoint the auditor already holds (or a receipt with
    // an inclusion proof) shows it.
    let kept = ENTRIES - 10;
    let leaves: Vec<Hash> = fx.parsed[..kept].iter().map(|p| p.hash).collect();
    let mut lines = vec![fx.header.clone()];
    lines.extend(fx.fund.lines[..kept].iter().cloned());
    lines.push(fx.checkpoint_line(&fx.fund.origin, kept as u64, root(&leaves)));
    let report = fx.verify(&join_lines(&lines));
    assert!(report.is_clean(), "{}", show(&report));
    assert_eq!(report.entries, kept as u64);

    // Re-keyed forgery: a whole fund made up under the same fund id with the forger's own
    // operator, log and trustee keys verifies clean unless the auditor names the keys they
    // trust; then the header is refused.
    let forged = build(
        &SampleSpec::example(&fx.fund.spec.fund, SEED + 1, 60, 3),
        "forger.example",
    )
    .unwrap()
    .export()
    .unwrap();
    assert!(verify(&forged).is_clean());
    let trusted = Expectations {
        log_key: Some(fx.fund.keys.log.verifier().to_vkey()),
        operator_key: Some(fx.operator()),
    };
    let report = tamper_support::verify_with(&forged, trusted);
    assert_eq!(
        summary(&report)[..2],
        [
            ("log_key_mismatch", None, 1),
            ("operator_key_mismatch", None, 1)
        ],
        "{}",
        show(&report)
    );
}

// ---------------------------------------------------------------------------------------
// 4. Scale
// ---------------------------------------------------------------------------------------

#[test]
fn a_fund_of_20000_entries_verifies_clean_in_bounded_state() {
    const BIG: usize = 20_000;
    let t0 = std::time::Instant::now();
    let fund = build(&SampleSpec::example("tamper-scale", SEED, BIG, 120), HOST).expect("builds");
    let export = fund.export().expect("exports");
    let t1 = std::time::Instant::now();
    let report = verify(&export);
    let t2 = std::time::Instant::now();
    eprintln!(
        "20,000 entries: build {:?}, verify {:?}, export {} bytes",
        t1 - t0,
        t2 - t1,
        export.len()
    );
    assert!(report.is_clean(), "{}", show(&report));
    assert_eq!(report.entries, BIG as u64);
    assert_eq!(report.root, fund.root());
    assert_eq!(report.balance, fund.balance().to_string());
    assert!(report.checkpoint.is_some());
    // The verifier replays through the same `FundState` the sample ends with. What it
    // keeps must stay far below the entries themselves (8 bytes per entry for reversals,
    // a 16-byte digest per idempotency key, the rental calendar, paid periods, month
    // totals): its retained size stays under a tenth of the export.
    let state_size = fund.state.retained_bytes();
    eprintln!("fund state retains about {state_size} bytes");
    assert!(
        state_size * 10 < export.len(),
        "the fund state renders to {state_size} bytes for a {}-byte export",
        export.len()
    );
}

/// The suite's cross-check with the `ledger-verify` binary (every `verify` above runs it
/// too, `tamper_support::same_in_ledger_verify`) needs the binary: SKIP without
/// `LEDGER_VERIFY_BIN`, unless `LEDGER_REQUIRE_VERIFY_BIN=1` (CI), then a failure.
#[test]
fn the_suite_is_cross_checked_with_ledger_verify() {
    match tamper_support::ledger_verify_bin() {
        Some(bin) => assert!(
            bin.is_file(),
            "LEDGER_VERIFY_BIN={} is no file",
            bin.display()
        ),
        None => {
            assert!(
                std::env::var("LEDGER_REQUIRE_VERIFY_BIN").as_deref() != Ok("1"),
                "LEDGER_REQUIRE_VERIFY_BIN=1 but LEDGER_VERIFY_BIN is not set"
            );
            eprintln!(
                "SKIP: the tamper suite is not cross-checked with ledger-verify: set \
                 LEDGER_VERIFY_BIN (cargo build -p audit-tools --bin ledger-verify)"
            );
        }
    }
}
