//! A clean export verifies clean, in text and JSON, from a file and from stdin.

use std::io::Write;
use std::process::{Command, Stdio};

use ledger_core::body::Kind;

use crate::support::{fixture, run, tempdir, verify_json, write, ENTRIES, FUND_ID, HOST};

#[test]
fn a_clean_export_exits_0_with_a_correct_summary() {
    let fx = fixture();
    let run_ = verify_json(&fx.export, &[]);
    assert_eq!(run_.code, Some(0), "{run_:?}");
    let v = run_.json();
    assert_eq!(v["clean"], true);
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(0));
    let s = &v["summary"];
    assert_eq!(s["fund"], FUND_ID);
    assert_eq!(s["origin"], format!("{HOST}/{FUND_ID}"));
    assert_eq!(s["entries"], ENTRIES as u64);
    assert_eq!(s["tree_size"], ENTRIES as u64);
    assert_eq!(s["root"], fx.fund.root().to_hex());
    assert_eq!(s["checkpoint"]["tree_size"], ENTRIES as u64);
    assert_eq!(s["checkpoint"]["root"], fx.fund.root().to_hex());
    assert_eq!(
        s["statements_checked"],
        fx.seqs_of(Kind::Statement).len() as u64
    );
    assert!(s["statements_checked"].as_u64().unwrap() >= 10);
    assert_eq!(s["balance"], fx.fund.balance().to_string());
    assert_eq!(s["findings"], 0);
    assert_eq!(s["threads"], 2);
    assert!(s["since"].is_null());

    // The readable report says the same.
    let dir = tempdir();
    let path = write(dir.path(), "export.ndjson", &fx.export);
    let text = run(&[path.to_str().unwrap(), "--threads", "1"]);
    assert_eq!(text.code, Some(0), "{text:?}");
    for want in [
        format!("fund:        {FUND_ID} (origin {HOST}/{FUND_ID})"),
        format!("entries:     {ENTRIES}"),
        format!("root:        {}", fx.fund.root().to_hex()),
        "findings:    0".to_owned(),
        "result:      CLEAN".to_owned(),
    ] {
        assert!(text.stdout.contains(&want), "`{want}` in:\n{}", text.stdout);
    }
    // No progress bar when stderr is not a terminal.
    assert!(text.stderr.is_empty(), "{text:?}");
}

#[test]
fn an_export_on_stdin_verifies_and_trusted_keys_are_checked() {
    let fx = fixture();
    let vkey = fx.log_vkey();
    let operator =
        ledger_core::keys::PublicKey::from_verifying_key(fx.fund.keys.operator.verifying_key())
            .to_hex();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ledger-verify"))
        .args([
            "-",
            "--json",
            "--log-key",
            &vkey,
            "--operator-key",
            &operator,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ledger-verify starts");
    let mut stdin = child.stdin.take().unwrap();
    let export = fx.export.clone();
    let writer = std::thread::spawn(move || stdin.write_all(&export));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");

    // A log key the auditor does not trust.
    let other = ledger_core::note::NoteSigner::new(
        HOST,
        ledger_core::sample::key_from_label("audit/other-log"),
    )
    .unwrap()
    .verifier()
    .to_vkey();
    let r = verify_json(&fx.export, &["--log-key", &other]);
    assert_eq!(r.first(), ("log_key_mismatch".into(), None));
}

/// An export written by an older main (ledger-core's fixture, see
/// `ledger-core/tests/fixture_export.rs`) still verifies clean with the auditor's tool,
/// pinned to its keys.
#[test]
fn an_export_of_an_older_release_verifies_clean() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ledger-core/tests/fixtures/export-ab0e157.ndjson"
    );
    let export = std::fs::read(path).expect("the fixture");
    let header: serde_json::Value =
        serde_json::from_slice(export.split(|b| *b == b'\n').next().unwrap()).unwrap();
    let run_ = verify_json(
        &export,
        &[
            "--log-key",
            header["log_key"].as_str().unwrap(),
            "--operator-key",
            header["operator_key"].as_str().unwrap(),
        ],
    );
    assert_eq!(run_.code, Some(0), "{run_:?}");
    let v = run_.json();
    assert_eq!(v["clean"], true);
    assert_eq!(v["summary"]["entries"], 300);
}
