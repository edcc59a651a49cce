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
