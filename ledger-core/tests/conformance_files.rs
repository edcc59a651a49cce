//! The conformance suite committed under `tests/conformance/` is exactly what its
//! generator (`ledger_core::sample::conformance`) makes: re-running the generator
//! reproduces every file byte for byte, and no file is there that it does not make.

use std::collections::BTreeSet;
use std::path::Path;

use ledger_core::sample::conformance::{cases, files};

#[test]
fn the_committed_suite_is_what_the_generator_makes_byte_for_byte() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance");
    let cases = cases().expect("the suite generates");
    let made = files(&cases);
    let regenerate = "regenerate with `cargo run -p ledger-core --features sample --example conformance -- tests/conformance`";
    for (path, bytes) in &made {
        let committed =
            std::fs::read(dir.join(path)).unwrap_or_else(|e| panic!("{path}: {e}; {regenerate}"));
        assert!(
            committed == *bytes,
            "{path} differs from the generator's; {regenerate}"
        );
    }
    let on_disk: BTreeSet<String> = std::fs::read_dir(dir.join("cases"))
        .expect("the cases folder")
        .map(|e| {
            format!(
                "cases/{}",
                e.expect("an entry").file_name().to_string_lossy()
            )
        })
        .collect();
    let expected: BTreeSet<String> = made
        .iter()
        .map(|(p, _)| p.clone())
        .filter(|p| p.starts_with("cases/"))
        .collect();
    assert_eq!(
        on_disk, expected,
        "files the generator does not make; {regenerate}"
    );
}

#[test]
fn case_names_are_unique_and_plain() {
    let cases = cases().expect("the suite generates");
    let mut names = BTreeSet::new();
    for c in &cases {
        assert!(
            c.name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "{}",
            c.name
        );
        assert!(names.insert(c.name), "{} twice", c.name);
    }
}

/// The backticked codes in the first cell of each row of the table(s) in FORMAT.md between
/// the headings `from` and `to`, and, for `cell` > 0, in that cell instead.
fn table_codes(from: &str, to: &str, cell: usize) -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../FORMAT.md");
    let text = std::fs::read_to_string(path).expect("FORMAT.md");
    let start = text
        .find(from)
        .unwrap_or_else(|| panic!("no `{from}` in FORMAT.md"));
    let end = start
        + text[start..]
            .find(to)
            .unwrap_or_else(|| panic!("no `{to}`"));
    let mut codes = BTreeSet::new();
    for row in text[start..end].lines().filter(|l| l.starts_with("| ")) {
        let Some(cell) = row.split(" | ").nth(cell) else {
            continue;
        };
        let cell = cell.trim_start_matches("| ");
        for (i, part) in cell.split('`').enumerate() {
            let plain = part
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if i % 2 == 1 && plain && !part.is_empty() {
                codes.insert(part.to_owned());
            }
        }
    }
    codes
}

/// Codes of FORMAT.md §12.2 and §12.3 no case of the suite can carry, and why.
const NOT_IN_THE_SUITE: &[(&str, &str)] = &[
    (
        "balance_overflow",
        "the balance is bounded by 10^15 and an entry moves at most 10^9: a case would need a million entries",
    ),
    (
        "duration_negative",
        "no member is a duration: durations are computed from instants already checked",
    ),
];

#[test]
fn every_code_of_format_md_has_a_case_in_the_suite() {
    let mut codes = table_codes("### 12.2 Every code", "### 12.3", 0);
    codes.extend(table_codes("### 12.3 Value-type codes", "### 12.4", 1));
    assert!(codes.len() > 100, "{codes:?}");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).expect("manifest"))
            .expect("JSON");
    let covered: BTreeSet<String> = manifest["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .flat_map(|c| {
            c["expected"]["findings"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|f| f["code"].as_str().map(str::to_owned))
        .collect();
    let exempt: BTreeSet<String> = NOT_IN_THE_SUITE
        .iter()
        .map(|(c, _)| (*c).to_owned())
        .collect();
    let missing: Vec<&String> = codes
        .iter()
        .filter(|c| !covered.contains(*c) && !exempt.contains(*c))
        .collect();
    assert!(
        missing.is_empty(),
        "codes of FORMAT.md without a case: {missing:?}"
    );
    // And the suite uses no code FORMAT.md does not list.
    let unlisted: Vec<&String> = covered.iter().filter(|c| !codes.contains(*c)).collect();
    assert!(
        unlisted.is_empty(),
        "codes of the suite not in FORMAT.md §12: {unlisted:?}"
    );
    for (code, _) in NOT_IN_THE_SUITE {
        assert!(codes.contains(*code), "{code} is no longer in FORMAT.md");
    }
}

#[test]
fn the_value_type_codes_of_format_md_are_exactly_the_cores() {
    let listed = table_codes("### 12.3 Value-type codes", "### 12.4", 1);
    let core: BTreeSet<String> = ledger_core::error::FIELD_CODES
        .iter()
        .map(|c| (*c).to_owned())
        .collect();
    assert_eq!(listed, core);
}
