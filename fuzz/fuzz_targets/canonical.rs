//! `parse_canonical` (the strict RFC 8785 reader) against `canonicalize`, and the quick
//! scanner `scan_canonical` against both.
//!
//! * Whatever `parse_canonical` accepts is its own canonical form: it writes back to the
//!   very same bytes.
//! * `scan_canonical` never accepts what `parse_canonical` refuses, and decides by itself
//!   every input its module docs promise to decide (integers up to 2^53, plain member
//!   names); the spans it records are the canonical bytes of the values at those paths,
//!   and agree with `parse_canonical_member`.
//! * The direct writer `JcsWriter`, when it handles a value, gives `canonicalize`'s bytes.
#![no_main]

use ledger_core::canonical::{
    canonicalize, parse_canonical, parse_canonical_member, scan_canonical, JcsWriter,
};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// 2^53: the largest integer magnitude the scanner decides by itself.
const EXACT_INT_MAX: u64 = 1 << 53;

/// Whether the scanner's module docs promise to decide `v` without the reference parser:
/// every number an integer of magnitude at most 2^53, every member name free of escapes
/// and of characters from U+E000 up.
fn scanner_decides(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bool(_) | Value::String(_) => true,
        Value::Number(n) => {
            n.as_u64().is_some_and(|u| u <= EXACT_INT_MAX)
                || n.as_i64()
                    .is_some_and(|i| i.unsigned_abs() <= EXACT_INT_MAX)
        }
        Value::Array(items) => items.iter().all(scanner_decides),
        Value::Object(map) => map.iter().all(|(k, v)| {
            !k.chars()
                .any(|c| c < ' ' || c == '"' || c == '\\' || c >= '\u{e000}')
                && scanner_decides(v)
        }),
    }
}

/// Up to a few member paths (one and two names deep) found in `v`.
fn paths_of(v: &Value) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    if let Value::Object(map) = v {
        for (k, child) in map.iter().take(3) {
            out.push(vec![k.clone()]);
            if let Value::Object(inner) = child {
                if let Some(k2) = inner.keys().next_back() {
                    out.push(vec![k.clone(), k2.clone()]);
                }
            }
        }
    }
    // A path that is (almost surely) absent: its span must stay unset.
    out.push(vec!["\u{1}absent".to_owned()]);
    out
}

fn at<'v>(v: &'v Value, path: &[String]) -> Option<&'v Value> {
    path.iter().try_fold(v, |v, k| v.as_object()?.get(k))
}

fuzz_target!(|data: &[u8]| {
    let parsed = parse_canonical(data);
    let scanned = scan_canonical(data, &[], &mut []).is_some();

    let value = match parsed {
        Ok(value) => value,
        Err(e) => {
            assert!(
                !scanned,
                "scan_canonical accepts what parse_canonical refuses ({e})"
            );
            return;
        }
    };

    // Round trip: canonical input is its own canonical form.
    assert_eq!(
        canonicalize(&value),
        data,
        "parse_canonical accepted non-canonical bytes"
    );

    // The scanner decides what it promises to decide.
    if scanner_decides(&value) {
        assert!(
            scanned,
            "scan_canonical leaves undecided an input it should accept"
        );
    }

    // Spans of the scanner, and of parse_canonical_member.
    let paths = paths_of(&value);
    let path_refs: Vec<Vec<&str>> = paths
        .iter()
        .map(|p| p.iter().map(String::as_str).collect())
        .collect();
    let path_slices: Vec<&[&str]> = path_refs.iter().map(Vec::as_slice).collect();
    let mut spans = vec![None; paths.len()];
    if let Some(text) = scan_canonical(data, &path_slices, &mut spans) {
        assert_eq!(text.as_bytes(), data);
        for (path, span) in paths.iter().zip(&spans) {
            match (at(&value, path), span) {
                (Some(v), Some(span)) => {
                    assert_eq!(data[span.clone()], canonicalize(v), "scan span of {path:?}")
                }
                (None, None) => {}
                (v, span) => panic!("scan span of {path:?}: value {v:?}, span {span:?}"),
            }
        }
    }
    for path in paths.iter().filter(|p| p.len() == 1) {
        let (again, span) =
            parse_canonical_member(data, &path[0]).expect("parse_canonical_member refuses");
        assert_eq!(again, value);
        match (at(&value, path), span) {
            (Some(v), Some(span)) => assert_eq!(data[span], canonicalize(v)),
            (None, None) => {}
            (v, span) => panic!("member span of {path:?}: value {v:?}, span {span:?}"),
        }
    }

    // The direct writer agrees wherever it answers.
    if let Ok(bytes) = JcsWriter::new().write(&value) {
        assert_eq!(bytes, data, "JcsWriter differs from canonicalize");
    }
});
