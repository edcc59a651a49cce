//! Writes the seed corpora of the fuzz targets: valid inputs built with
//! `ledger_core::sample`, so that the fuzzer starts deep inside each parser.
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --example seeds [-- <dir>]` writes
//! `<dir>/<target>/seed-*` (default `fuzz/corpus`). The output is deterministic: the
//! sample funds are derived from fixed seeds.

use std::collections::BTreeMap;
use std::error::Error;
use std::path::{Path, PathBuf};

use ledger_core::canonical::canonicalize;
use ledger_core::checkpoint::Checkpoint;
use ledger_core::entry::Entry;
use ledger_core::note::{sign_note, NoteSigner};
use ledger_core::sample::{build, key_from_label, Restatement, SampleFund, SampleSpec};
use serde_json::json;

/// The host of the sample deployment; the `checkpoint` target knows its log key.
const HOST: &str = "ledger.example";

fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) -> Result<(), Box<dyn Error>> {
    let d = dir.join(target);
    std::fs::create_dir_all(&d)?;
    std::fs::write(d.join(format!("seed-{name}")), bytes)?;
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"));

    // A fund with every kind of entry, and a small one for whole exports.
    let fund = build(&SampleSpec::example("seeds", 0, 160, 14), HOST)?;
    let small = build(&SampleSpec::example("small", 0, 12, 2), HOST)?;

    // entry: the first line of each kind, and its intent bytes.
    let mut by_kind = BTreeMap::new();
    for line in &fund.lines {
        let parsed = Entry::parse(line)?;
        by_kind
            .entry(parsed.entry.intent.kind().as_str())
            .or_insert((line.clone(), parsed));
    }
    for (kind, (line, parsed)) in &by_kind {
        write(&dir, "entry", &format!("line-{kind}"), line)?;
        write(
            &dir,
            "entry",
            &format!("intent-{kind}"),
            &parsed.intent_bytes,
        )?;
    }
    println!("entry kinds: {:?}", by_kind.keys().collect::<Vec<_>>());

    // canonical: an entry line, the export header, and JSON that takes the slower paths
    // (fractions, exponents, big integers, escapes, names ordered by UTF-16 code units).
    write(&dir, "canonical", "header", &small.header().to_line())?;
    if let Some((line, _)) = by_kind.get("donation") {
        write(&dir, "canonical", "donation", line)?;
    }
    let odd = json!({
        "numbers": [0, -1, 9007199254740992u64, 18014398509481984u64, 0.5, -1.25e-7, 1e21, 1e300, 5e-324],
        "strings": ["\u{0}\u{1f}\u{7f}\"\\/", "\u{2028}\u{e000}\u{10000}", ""],
        "\u{e000}": {"\u{10000}": true, "a": null},
        "\u{1}": [[], {}, [[[false]]]],
    });
    write(&dir, "canonical", "odd", &canonicalize(&odd))?;

    // export: the first entries of a fund (few, so that each run is quick), and the same
    // rewritten by an insider (an entry dropped, the rest re-chained and re-signed, a
    // fresh checkpoint): it verifies only as far as the rules allow.
    write(
        &dir,
        "export",
        "small",
        &small.export_of(&small.lines[..5])?,
    )?;
    let mut entries = small.entries()?;
    entries.truncate(7);
    entries.remove(3);
    let lines = small.rechain(entries, 3, Restatement::Keep, &[])?;
    write(&dir, "export", "dropped-entry", &small.export_of(&lines)?)?;

    // receipt: a resident's donation with the donor part, a genesis, a statement.
    let mut receipts = Vec::new();
    if let Some((seq, _, _)) = fund.vault.first() {
        receipts.push(("donor", fund.receipt(*seq, true)?));
    }
    receipts.push(("genesis", small.receipt(0, false)?));
    if let Some((_, p)) = by_kind.get("statement") {
        receipts.push(("statement", fund.receipt(p.entry.seq, false)?));
    }
    for (name, r) in &receipts {
        write(&dir, "receipt", name, &serde_json::to_vec(r)?)?;
    }

    // checkpoint: a signed checkpoint, its body, one with extension lines and a witness
    // cosignature, and key strings.
    write_checkpoints(&dir, &small)?;
    println!("seeds written under {}", dir.display());
    Ok(())
}

fn write_checkpoints(dir: &Path, fund: &SampleFund) -> Result<(), Box<dyn Error>> {
    let log = &fund.keys.log;
    write(
        dir,
        "checkpoint",
        "note",
        fund.checkpoint_note()?.as_bytes(),
    )?;
    let cp = Checkpoint {
        origin: fund.origin.clone(),
        tree_size: fund.lines.len() as u64,
        root: fund.root(),
        extensions: vec!["ext one".into(), "ext-two".into()],
    };
    write(dir, "checkpoint", "body", cp.to_text().as_bytes())?;
    let witness = NoteSigner::new("witness.example", key_from_label("witness"))?;
    let note = sign_note(&cp.to_text(), &[log, &witness])?;
    write(dir, "checkpoint", "cosigned", note.as_bytes())?;
    write(
        dir,
        "checkpoint",
        "vkey",
        log.verifier().to_vkey().as_bytes(),
    )?;
    // The sample's log key is derived from a public label: no secret here.
    write(
        dir,
        "checkpoint",
        "private-key",
        log.to_private_key_string().as_bytes(),
    )?;
    Ok(())
}
