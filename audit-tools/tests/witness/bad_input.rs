//! Malformed requests: a 4xx, never a 5xx, and nothing stored.

use crate::support::{body_with, cli_ok, data_of, new_witness, Served, TestLog};

#[test]
fn bad_requests_get_4xx_and_store_nothing() {
    let dir = new_witness("witness.example/bad-input", None);
    let data = data_of(&dir);
    let log = TestLog::new("log.example/bad", "log.example/bad", 5, "b", 8);
    cli_ok(
        &data,
        &["add-log", "--origin", &log.origin, "--vkey", &log.vkey()],
    );
    let served = Served::start(&data);
    assert_eq!(served.add(log.body(0, 4).as_bytes()).status, 200);
    let before = served.state();

    let good = log.body(4, 8);
    let note = log.note(8);
    let proof_line = good.lines().nth(1).expect("proof line").to_string();
    let mut cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("empty body", vec![], 400),
        ("garbage", b"hello witness".to_vec(), 400),
        (
            "non-UTF-8",
            [b"old 4\n\n".as_slice(), &[0xff, 0xfe], note.as_bytes()].concat(),
            400,
        ),
        (
            "missing blank line",
            format!("old 4\n{proof_line}\n{note}").into_bytes(),
            400,
        ),
        (
            "old with leading zero",
            good.replacen("old 4", "old 04", 1).into_bytes(),
            400,
        ),
        (
            "old above size",
            good.replacen("old 4", "old 9", 1).into_bytes(),
            400,
        ),
        (
            "64 proof lines",
            format!("old 4\n{}\n{note}", format!("{proof_line}\n").repeat(64)).into_bytes(),
            400,
        ),
        (
            "oversized body",
            format!("old 4\n\n{note}{}", "x".repeat(65 * 1024)).into_bytes(),
            413,
        ),
        (
            "unsigned checkpoint",
            body_with(4, &[], "log.example/bad\n8\nAAAA\n").into_bytes(),
            403,
        ),
        (
            "checkpoint changed after signing",
            body_with(4, &[], &note.replacen("\n8\n", "\n08\n", 1)).into_bytes(),
            403,
        ),
        (
            "validly signed, malformed checkpoint",
            body_with(4, &[], &log.sign_text("log.example/bad\n08\nAAAA\n")).into_bytes(),
            400,
        ),
    ];
    cases.push((
        "control character",
        good.replacen("old 4\n", "old 4\n\u{1}", 1).into_bytes(),
        400,
    ));
    for (what, body, status) in &cases {
        let reply = served.add(body);
        assert_eq!(reply.status, *status, "{what}: {reply:?}");
        assert_eq!(served.state(), before, "{what}: nothing stored");
    }
    assert!(served.evidence().is_empty());
    // The good request still works afterwards.
    assert_eq!(served.add(good.as_bytes()).status, 200);
}
