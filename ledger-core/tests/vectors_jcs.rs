//! RFC 8785 vectors: cyberphone/json-canonicalization test data and ES6 number samples.

mod common;

use std::fs;

use ledger_core::canonical::{canonicalize, parse_canonical, CanonicalError};
use ledger_core::error::Coded;

#[test]
fn cyberphone_inputs_canonicalise_to_outputs() {
    let Some(dir) = common::vectors_dir() else {
        return;
    };
    let base = dir.join("jcs/cyberphone");
    let mut names: Vec<String> = fs::read_dir(base.join("input"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 6, "{names:?}");
    let mut differing = 0;
    for name in &names {
        let input = fs::read(base.join("input").join(name)).unwrap();
        let output = fs::read(base.join("output").join(name)).unwrap();
        let stem = name.trim_end_matches(".json");
        let outhex = fs::read_to_string(base.join("outhex").join(format!("{stem}.txt"))).unwrap();
        let hex_bytes = hex::decode(outhex.split_whitespace().collect::<String>()).unwrap();
        assert_eq!(hex_bytes, output, "{name}: outhex disagrees with output");

        let value: serde_json::Value = serde_json::from_slice(&input).unwrap();
        let canon = canonicalize(&value);
        assert_eq!(
            String::from_utf8_lossy(&canon),
            String::from_utf8_lossy(&output),
            "{name}"
        );
        assert_eq!(canon, output, "{name}");

        let parsed = parse_canonical(&output).unwrap_or_else(|e| panic!("{name}: {e}"));
        // Same value up to number representation (input `56.0` is a float, output `56` an
        // integer): compare through the canonical form.
        assert_eq!(canonicalize(&parsed), output, "{name}");
        if input != output {
            differing += 1;
            let err = parse_canonical(&input).unwrap_err();
            assert!(
                matches!(err, CanonicalError::NotCanonical { .. }),
                "{name}: {err:?}"
            );
            assert_eq!(err.code(), "not_canonical");
        }
    }
    assert_eq!(differing, names.len(), "every input file is pretty-printed");
}

#[test]
fn es6_number_samples() {
    let Some(dir) = common::vectors_dir() else {
        return;
    };
    let csv = fs::read_to_string(dir.join("jcs/es6_number_samples.csv")).unwrap();
    let mut count = 0;
    for line in csv.lines().filter(|l| !l.trim().is_empty()) {
        let (bits_hex, expected) = line.split_once(',').unwrap();
        let bits = u64::from_str_radix(bits_hex.trim(), 16).unwrap();
        let f = f64::from_bits(bits);
        let value = serde_json::Value::from(f);
        let canon = canonicalize(&value);
        assert_eq!(
            String::from_utf8(canon.clone()).unwrap(),
            expected.trim(),
            "{line}"
        );
        // The canonical text is itself accepted and denotes the same double.
        let back = parse_canonical(&canon).unwrap();
        assert_eq!(back.as_f64().unwrap(), f, "{line}");
        count += 1;
    }
    assert_eq!(count, 7);
}
