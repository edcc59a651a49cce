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

/// The example fund has every kind but the restriction kinds; with the two restricted
/// examples (a gift spent and closed, one revoked) every kind appears, and each verifies
/// clean.
#[test]
fn sample_fund_has_every_kind() {
    use ledger_core::body::Kind;
    use ledger_core::entry::Entry;
    use ledger_core::sample::Story;
    use std::collections::BTreeMap;
    let spec = SampleSpec::example("kinds", 3, 1000, 36).with_oversight();
    let mut funds = vec![build(&spec, "ledger.example").unwrap()];
    for revoke in [false, true] {
        let mut spec = SampleSpec::example("kinds-restricted", 4, 300, 18);
        spec.story = Some(Story::restricted_example(revoke));
        funds.push(build(&spec, "ledger.example").unwrap());
    }
    let mut kinds: BTreeMap<&'static str, usize> = BTreeMap::new();
    // The example with oversight has one correction (a reversal with its 更正说明, the
    // corrected donation, the corrected statement): every new member used once.
    let (mut notes, mut corrects, mut supersedes) = (0, 0, 0);
    for (i, fund) in funds.iter().enumerate() {
        let report = verify_export(&fund.export().unwrap(), Expectations::default());
        assert!(report.is_clean(), "fund {i}: {:?}", report.findings.first());
        for l in &fund.lines {
            let entry = Entry::parse(l).unwrap().entry;
            let kind = entry.intent.kind();
            let restriction_kind = matches!(
                kind,
                Kind::Restriction | Kind::RestrictionRevocation | Kind::RestrictionClosing
            );
            assert!(
                i > 0 || !restriction_kind,
                "the example fund restricts nothing"
            );
            *kinds.entry(kind.as_str()).or_default() += 1;
            match &entry.intent.body {
                ledger_core::body::Body::Reversal(r) if r.correction.is_some() => notes += 1,
                ledger_core::body::Body::Donation(d) if d.corrects.is_some() => corrects += 1,
                ledger_core::body::Body::Statement(s) if s.supersedes.is_some() => supersedes += 1,
                _ => {}
            }
        }
    }
    assert_eq!((notes, corrects, supersedes), (1, 1, 1), "{kinds:?}");
    for k in ledger_core::body::Kind::ALL {
        assert!(
            kinds.get(k.as_str()).copied().unwrap_or(0) > 0,
            "no {k:?} in {kinds:?}"
        );
    }
}

/// A hostile line claiming an enormous seq stops the verification with one finding,
/// `seq_out_of_range` at its line (FORMAT.md §10): the verifier never pads its per-seq
/// state up to that seq (which would exhaust memory), and says nothing of the lines after.
#[test]
fn a_line_claiming_a_huge_seq_stops_the_verifier_with_one_finding() {
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
    let found: Vec<(&str, Option<u64>, u64)> = report
        .findings
        .iter()
        .map(|f| (f.code, f.seq, f.line))
        .collect();
    assert_eq!(found, [("seq_out_of_range", None, 32)]);
    assert_eq!(report.entries, 30, "the entries before it were read");
    // One seq fewer is still within the bound: a finding at that line, and it goes on.
    let bound = ledger_core::verify::SEQ_AHEAD_MAX + 30;
    lines[31] = format!("{{\"seq\":{bound}}}");
    let report = verify_export(lines.join("\n").as_bytes(), Expectations::default());
    assert_eq!(report.entries, 60);
    assert!(report.findings.iter().all(|f| f.code != "seq_out_of_range"));
}

/// A fund with its own story: it verifies clean, names what the story names, runs up to
/// the end of its span (never past it), pays a yearly agreement once per calendar year and
/// books the heavier room more often.
#[test]
fn a_story_fund_verifies_and_runs_up_to_its_end() {
    use ledger_core::body::{Body, PartyClass, ShareBasis, SpaceKind};
    use ledger_core::entry::Entry;
    use ledger_core::sample::{Story, StoryAgreement, StorySpace};

    let mut spec = SampleSpec::example("story", 5, 600, 26);
    spec.start_unix = 1_700_000_000;
    let end = spec.start_unix + 26 * 30 * 86_400;
    let space = |id: &str, weight| StorySpace {
        id: id.into(),
        name: format!("{id}室"),
        kind: SpaceKind::ActivityRoom,
        hourly_yuan: 100,
        hours: 3,
        weight,
    };
    spec.story = Some(Story {
        trustees: ["赵一".into(), "钱二".into(), "孙三".into(), "李四".into()],
        founders: vec!["甲方有限公司".into(), "乙方有限公司".into()],
        founder_gift_yuan: (10_000, 20_000),
        enterprises: vec!["丙方有限公司".into()],
        enterprise_gift_yuan: (1_000, 2_000),
        organisations: vec!["丁方协会".into()],
        organisation_gift_yuan: (100, 500),
        renters: vec![("戊方读书会".into(), PartyClass::Organisation)],
        payees: vec![("己方服务中心".into(), PartyClass::Organisation)],
        agreements: vec![StoryAgreement {
            id: "yearly".into(),
            enterprise: "庚方社会企业".into(),
            venture: "庚方早教中心".into(),
            basis: ShareBasis::Profit,
            rate: "0.1000".into(),
            fixed_monthly_yuan: Some(1_800),
            yearly: true,
            base_yuan: (50_000, 90_000),
        }],
        spaces: vec![space("big", 9), space("small", 1)],
        mix: [50, 40, 8],
        supervisor: Some("周五".into()),
        host: Some("辛方慈善会".into()),
        correction: true,
        restricted: None,
    });
    let fund = build(&spec, "ledger.example").unwrap();
    let report = verify_export(&fund.export().unwrap(), Expectations::default());
    assert!(report.is_clean(), "{:?}", report.findings.first());

    let entries: Vec<_> = fund
        .lines
        .iter()
        .map(|l| Entry::parse(l).unwrap().entry)
        .collect();
    let newest = entries.last().unwrap().recorded_at.unix_seconds();
    assert!(newest <= end, "an entry after the end");
    assert!(
        end - newest < 3 * 86_400,
        "{} s short of the end",
        end - newest
    );
    let genesis = match &entries[0].intent.body {
        Body::Genesis(g) => g.clone(),
        other => panic!("{other:?}"),
    };
    let names: Vec<&str> = genesis.trustees.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["赵一", "钱二", "孙三"]);
    let founders: Vec<String> = entries[1..3]
        .iter()
        .map(|e| match &e.intent.body {
            Body::Donation(d) => d.donor.name.as_ref().unwrap().as_str().to_owned(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(founders, ["甲方有限公司", "乙方有限公司"]);
    let mut years = Vec::new();
    let (mut big, mut small) = (0, 0);
    for e in &entries {
        match &e.intent.body {
            Body::RevenueShare(r) => {
                assert_eq!(r.period.to().month(), 12, "{r:?}");
                assert_eq!(r.period.to().day(), 31, "{r:?}");
                years.push(r.period.to().year());
            }
            Body::Rental(r) if r.space_id.as_str() == "big" => big += 1,
            Body::Rental(_) => small += 1,
            Body::Donation(d) => assert!(d.donor.name.as_ref().is_none_or(|n| {
                ["甲方有限公司", "乙方有限公司", "丙方有限公司", "丁方协会"].contains(&n.as_str())
            })),
            _ => {}
        }
    }
    // 14 Nov 2023 to 2 Jan 2026: 2023 (from November), 2024 and 2025, each paid in the
    // January after.
    assert_eq!(years, [2023, 2024, 2025], "one share per past year");
    assert!(big > 4 * small, "rentals by weight: {big} and {small}");
}
