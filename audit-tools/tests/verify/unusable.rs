//! Inputs that are not an export at all: exit 2 with one line on stderr, never a panic.

use crate::support::{fixture, run, tempdir, write};

fn verify_file(bytes: &[u8]) -> crate::support::Run {
    let dir = tempdir();
    let path = write(dir.path(), "input", bytes);
    run(&[path.to_str().unwrap()])
}

#[test]
fn a_missing_file_is_unusable() {
    let dir = tempdir();
    let path = dir.path().join("no-such-export.ndjson");
    run(&[path.to_str().unwrap()]).assert_unusable("cannot open export file");
}

#[test]
fn an_empty_file_is_unusable() {
    verify_file(b"").assert_unusable("empty");
    verify_file(b"\n\n").assert_unusable("empty");
}

#[test]
fn random_text_is_not_an_export() {
    verify_file(b"Dear auditor,\nplease find the ledger attached.\n")
        .assert_unusable("not a community-ledger export");
    // JSON, but not an export header.
    verify_file(b"{\"hello\":\"world\"}\n").assert_unusable("not a community-ledger export");
    verify_file(b"{\"format\":\"other/v9\"}\n").assert_unusable("unsupported export format");
}

#[test]
fn a_truncated_header_is_unusable() {
    let fx = fixture();
    let header_len = fx.export.iter().position(|b| *b == b'\n').unwrap();
    // The file ends in the middle of the header.
    verify_file(&fx.export[..header_len / 2]).assert_unusable("not a community-ledger export");
    // The header line cut short, the rest of the export after it.
    let mut cut = fx.export[..header_len / 2].to_vec();
    cut.extend_from_slice(&fx.export[header_len..]);
    verify_file(&cut).assert_unusable("not a community-ledger export");
}

#[test]
fn binary_garbage_does_not_panic() {
    // Deterministic pseudo-random bytes (with newlines and NULs among them).
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let garbage: Vec<u8> = (0..200_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    verify_file(&garbage).assert_unusable("not a community-ledger export");
    // A valid header followed by garbage is an export with findings, not a crash.
    let fx = fixture();
    let header_len = fx.export.iter().position(|b| *b == b'\n').unwrap();
    let mut export = fx.export[..=header_len].to_vec();
    export.extend_from_slice(&garbage);
    let r = verify_file(&export);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(!r.stderr.contains("panicked"), "{r:?}");
}

#[test]
fn bad_flags_are_unusable() {
    // Clap's usage errors also exit 2.
    assert_eq!(run(&[]).code, Some(2));
    assert_eq!(run(&["--url", "http://127.0.0.1:1"]).code, Some(2));
    run(&["--url", "ftp://example", "--fund", "x"]).assert_unusable("not an http:// URL");
    // Nothing listens on port 1 of loopback.
    run(&["--url", "http://127.0.0.1:1", "--fund", "some-fund"])
        .assert_unusable("GET http://127.0.0.1:1/api/v1/funds/some-fund/export");
    let dir = tempdir();
    let export = write(dir.path(), "e", &fixture().export);
    run(&[export.to_str().unwrap(), "--since", "/no/such/checkpoint"])
        .assert_unusable("--since: cannot open");
}

#[test]
fn a_seq_beyond_any_log_stops_verification_with_a_finding() {
    // The verifier keeps a slot per seq up to the one a broken line claims: a hostile
    // seq must not exhaust memory. Plain, spaced, and escaped spellings of the key.
    let fx = fixture();
    let header_len = fx.export.iter().position(|b| *b == b'\n').unwrap();
    let checkpoint = fx.export[..fx.export.len() - 1]
        .rsplit(|b| *b == b'\n')
        .next()
        .unwrap()
        .to_vec();
    for bad in [
        &b"{\"seq\":9999999999999}"[..],
        b"{\"seq\" : 9999999999999}",
        b"{\"s\\u0065q\":9999999999999}",
    ] {
        let mut export = fx.export[..=header_len].to_vec();
        for l in &fx.fund.lines[..5] {
            export.extend_from_slice(l);
            export.push(b'\n');
        }
        export.extend_from_slice(bad);
        export.push(b'\n');
        export.extend_from_slice(&checkpoint);
        export.push(b'\n');
        let dir = tempdir();
        let path = write(dir.path(), "e", &export);
        let r = run(&[path.to_str().unwrap(), "--json"]);
        assert_eq!(r.code, Some(1), "{r:?}");
        let v = r.json();
        let codes: Vec<&str> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap())
            .collect();
        // Verification stops there: nothing is said of the lines after it.
        assert_eq!(codes, ["seq_out_of_range"], "{r:?}");
        assert_eq!(v["findings"][0]["line"], 7);
    }
}
