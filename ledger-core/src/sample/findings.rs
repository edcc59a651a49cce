//! Findings compared as tests compare them: the core's [`Report`] and `ledger-verify
//! --json`'s answer, each as (code, seq, line) in order (FORMAT.md §10: both must name
//! the same findings at the same places).

use crate::verify::Report;

/// One finding as the tests compare it: its code, the seq it names (if any) and its line.
pub type Place = (String, Option<u64>, u64);

/// The core's findings, in order.
pub fn places_of_report(report: &Report) -> Vec<Place> {
    report
        .findings
        .iter()
        .map(|f| (f.code.to_owned(), f.seq, f.line))
        .collect()
}

/// The findings of `ledger-verify --json`'s output, in order; `None` when the output has
/// no `findings` array or a finding lacks its code or line.
pub fn places_of_json(output: &serde_json::Value) -> Option<Vec<Place>> {
    output["findings"]
        .as_array()?
        .iter()
        .map(|f| {
            Some((
                f["code"].as_str()?.to_owned(),
                f["seq"].as_u64(),
                f["line"].as_u64()?,
            ))
        })
        .collect()
}
