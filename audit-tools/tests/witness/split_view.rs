//! A log that signs two histories: the witness refuses the second and keeps the evidence,
//! listed by `GET /evidence` and `ledger-witness evidence`.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::Value;

use crate::support::{cli_ok, data_of, new_witness, Served, TestLog};

#[test]
fn forks_are_refused_and_kept_as_evidence() {
    let dir = new_witness("witness.example/split-view", None);
    let data = data_of(&dir);
    let origin = "ledger.example/hexing/roof-2026";
    let key = "ledger.example/hexing";
    let mut honest = TestLog::new(origin, key, 3, "honest", 8);
    // Same key, same first 5 leaves, then another history.
    let mut fork = TestLog::new(origin, key, 3, "honest", 5);
    fork.grow("forked", 12);
    honest.grow("honest", 12);
    cli_ok(
        &data,
        &["add-log", "--origin-prefix", key, "--vkey", &honest.vkey()],
    );
    let served = Served::start(&data);
    assert_eq!(served.add(honest.body(0, 4).as_bytes()).status, 200);
    assert_eq!(served.add(honest.body(4, 8).as_bytes()).status, 200);
    assert_eq!(served.evidence().len(), 0);

    // A second checkpoint of size 8 with another root.
    let same_size = fork.body(8, 8);
    let reply = served.add(same_size.as_bytes());
    assert_eq!(reply.status, 409, "{reply:?}");
    assert_ne!(reply.content_type.as_deref(), Some("text/x.tlog.size"));
    // A larger checkpoint of the fork, with the fork's own proof from 8.
    let larger = fork.body(8, 12);
    assert!(
        larger.lines().nth(1).is_some_and(|l| B64.decode(l).is_ok()),
        "has a proof"
    );
    let reply = served.add(larger.as_bytes());
    assert_eq!(reply.status, 422, "{reply:?}");
    // Nothing of the fork was stored.
    let state = served.state();
    assert_eq!(state[0].1, 8);
    assert_eq!(state[0].2, B64.encode(honest.root(8).as_bytes()));

    let evidence = served.evidence();
    assert_eq!(evidence.len(), 2, "{evidence:?}");
    let stored_note = honest.note(8);
    for (e, (reason, request)) in evidence.iter().zip([
        ("same_size_other_root", &same_size),
        ("inconsistent_proof", &larger),
    ]) {
        assert_eq!(e["origin"], origin);
        assert_eq!(e["reason"], reason);
        assert_eq!(
            e["request"].as_str(),
            Some(request.as_str()),
            "the proof as sent"
        );
        assert_eq!(e["stored_size"], 8);
        assert_eq!(e["stored_note"].as_str(), Some(stored_note.as_str()));
    }
    // The CLI reads the same store while the server runs.
    let json: Value = serde_json::from_str(&cli_ok(&data, &["evidence", "--json"])).expect("JSON");
    assert_eq!(&json, &Value::Array(evidence.clone()));
    let text = cli_ok(&data, &["evidence"]);
    assert!(
        text.contains("same_size_other_root") && text.contains("inconsistent_proof"),
        "{text}"
    );
    assert!(
        text.contains(larger.lines().nth(1).expect("proof line")),
        "{text}"
    );

    // The honest log goes on.
    assert_eq!(served.add(honest.body(8, 12).as_bytes()).status, 200);
}
