//! A generated realistic fund verifies clean, end to end through the export format.

use ledger_core::sample::{build, SampleSpec};
use ledger_core::verify::{verify_export, Expectations};

#[test]
fn sample_fund_of_1000_entries_verifies_clean() {
    let fund = build(
        &SampleSpec::example("xipu-demo", 7, 1000, 36),
        "ledger.example",
    )
    .unwrap();
    assert_eq!(fund.lines.len(), 1000);
    let export = fund.export().unwrap();
    let report = verify_export(&export, Expectations::default());
    assert!(
        report.is_clean(),
        "{:#?}",
        &report.findings[..report.findings.len().min(5)]
    );
    assert_eq!(report.entries, 1000);
    assert_eq!(report.root, fund.root());
    assert_eq!(report.balance, fund.balance().to_string());
    assert!(report.checkpoint.is_some());
}

#[test]
fn sample_fund_has_every_kind() {
    use ledger_core::entry::Entry;
    use std::collections::BTreeMap;
    let fund = build(&SampleSpec::example("kinds", 3, 1000, 36), "ledger.example").unwrap();
    let mut kinds: BTreeMap<&'static str, usize> = BTreeMap::new();
    for l in &fund.lines {
        *kinds
            .entry(Entry::parse(l).unwrap().entry.intent.kind().as_str())
            .or_default() += 1;
    }
    for k in ledger_core::body::Kind::ALL {
        assert!(
            kinds.get(k.as_str()).copied().unwrap_or(0) > 0,
            "no {k:?} in {kinds:?}"
        );
    }
}

/// A hostile line claiming an enormous seq is one finding; the verifier does not pad its
/// per-seq state up to that seq (which would exhaust memory) and keeps checking the rest.
#[test]
fn a_line_claiming_a_huge_seq_does_not_blow_up_the_verifier() {
    let fund = build(
        &SampleSpec::example("huge-seq", 11, 60, 3),
        "ledger.example",
    )
    .unwrap();
    let export = fund.export().unwrap();
    let text = String::from_utf8(export).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    // Line 0 is the header; replace entry 30 by a line that parses only as far as its seq.
    lines[31] = "{\"seq\":9999999999999}".to_owned();
    let report = verify_export(lines.join("\n").as_bytes(), Expectations::default());
    assert!(!report.is_clean());
    assert_eq!(report.entries, 60, "every line was still read");
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.seq != Some(10_000_000_000_000)),
        "{:?}",
        report.findings
    );
}
