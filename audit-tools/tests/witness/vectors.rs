//! The vectors' `add-checkpoint` sequence (22 steps), the rows whose status v1.0.0 leaves
//! open (with their suggested status) and the litewitness replay (v1.0.0 statuses).

use std::collections::BTreeMap;
use std::path::Path;

use ledger_core::cosignature::{open_cosigned, CosignerVerifier};
use serde_json::Value;

use crate::support::{cli_ok, data_of, new_witness, note_of, Served};

fn configure(data: &Path, v: &Value) {
    for log in v["logs"].as_array().expect("logs") {
        let origin = log["origin"].as_str().expect("origin");
        let mut args = vec!["add-log", "--origin", origin];
        for k in log["vkeys"].as_array().expect("vkeys") {
            args.extend(["--vkey", k.as_str().expect("vkey")]);
        }
        cli_ok(data, &args);
    }
}

fn witness_of(v: &Value) -> (tempfile::TempDir, CosignerVerifier) {
    let w = &v["witness"];
    let dir = new_witness(
        w["name"].as_str().expect("name"),
        Some(w["seed_hex"].as_str().expect("seed")),
    );
    configure(&data_of(&dir), v);
    let verifier = CosignerVerifier::from_vkey(w["vkey"].as_str().expect("vkey")).expect("vkey");
    (dir, verifier)
}

/// Checks a 200's body by the vectors' `body_rule`: `— ` lines that, appended to the
/// submitted note, verify under the witness vkey, with a timestamp of now.
fn check_cosigned(body: &str, request: &str, witness: &CosignerVerifier, what: &str) {
    assert!(!body.is_empty() && body.ends_with('\n'), "{what}: {body:?}");
    for line in body.lines() {
        assert!(line.starts_with("— "), "{what}: {line:?}");
    }
    let note = format!("{}{body}", note_of(request));
    let opened = open_cosigned(&note, std::slice::from_ref(witness))
        .unwrap_or_else(|e| panic!("{what}: cosignature does not verify: {e}"));
    assert_eq!(opened.cosignatures.len(), 1, "{what}");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let ts = opened.cosignatures[0].timestamp;
    assert!(
        ts <= now && now - ts < 120,
        "{what}: timestamp {ts}, now {now}"
    );
}

fn state_map(served: &Served) -> BTreeMap<String, (u64, String)> {
    served
        .state()
        .into_iter()
        .map(|(o, s, r)| (o, (s, r)))
        .collect()
}

fn expected_state(v: &Value) -> BTreeMap<String, (u64, String)> {
    v.as_object()
        .expect("state")
        .iter()
        .map(|(o, s)| {
            (
                o.clone(),
                (
                    s["size"].as_u64().expect("size"),
                    s["root_b64"].as_str().expect("root").to_string(),
                ),
            )
        })
        .collect()
}

#[test]
fn the_22_steps_in_order() {
    let Some(v) = crate::support::vectors() else {
        return;
    };
    let (dir, witness) = witness_of(&v);
    let served = Served::start(&data_of(&dir));
    assert_eq!(served.vkey, witness.to_vkey());
    let steps = v["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 22);
    let mut refused_inconsistent = Vec::new();
    for step in steps {
        let n = step["step"].as_u64().expect("step");
        let what = format!("step {n}: {}", step["description"].as_str().unwrap_or(""));
        assert_eq!(
            state_map(&served),
            expected_state(&step["state_before"]),
            "{what} (before)"
        );
        let body = step["request"]["body"].as_str().expect("body");
        let reply = served.add(body.as_bytes());
        let expect = &step["expect"];
        assert_eq!(
            u64::from(reply.status),
            expect["status"].as_u64().expect("status"),
            "{what}: {}",
            reply.body
        );
        if expect["content_type"].as_str() == Some("text/x.tlog.size") {
            assert_eq!(
                reply.content_type.as_deref(),
                Some("text/x.tlog.size"),
                "{what}"
            );
            assert_eq!(
                reply.body,
                expect["body"].as_str().expect("409 body"),
                "{what}"
            );
        }
        if reply.status == 200 {
            check_cosigned(&reply.body, body, &witness, &what);
        }
        if (reply.status == 409 && expect["content_type"].is_null()) || reply.status == 422 {
            refused_inconsistent.push((n, body.to_string()));
        }
        assert_eq!(
            state_map(&served),
            expected_state(&step["state_after"]),
            "{what} (after)"
        );
    }
    assert_eq!(state_map(&served), expected_state(&v["final_state"]));
    // Every validly signed checkpoint refused as inconsistent (steps 9-11, 14, 17, 18) is
    // kept as evidence, with the request as sent.
    let evidence = served.get_json("/evidence");
    let evidence = evidence.as_array().expect("evidence");
    assert_eq!(
        refused_inconsistent
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>(),
        [9, 10, 11, 14, 17, 18]
    );
    assert_eq!(evidence.len(), refused_inconsistent.len());
    for (e, (n, body)) in evidence.iter().zip(&refused_inconsistent) {
        assert_eq!(e["request"].as_str(), Some(body.as_str()), "step {n}");
        assert_eq!(e["origin"], "log.example/community-fund", "step {n}");
        let reason = if [14, 17].contains(n) {
            "same_size_other_root"
        } else {
            "inconsistent_proof"
        };
        assert_eq!(e["reason"], reason, "step {n}");
    }
}

/// Preloads `state_before` by replaying, on a fresh witness, the steps whose
/// `state_after` it is (the vectors' own requests), then checks it.
fn preload(served: &Served, v: &Value, state: &Value) {
    let want = expected_state(state);
    if want.is_empty() {
        return;
    }
    for step in v["steps"].as_array().expect("steps") {
        if expected_state(&step["state_after"]) == want && step["expect"]["status"] == 200 {
            // Reach it along the sequence's successful steps up to this one.
            for s in v["steps"].as_array().expect("steps") {
                if s["expect"]["status"] == 200 {
                    served.add(s["request"]["body"].as_str().expect("body").as_bytes());
                }
                if s["step"] == step["step"] {
                    break;
                }
            }
            assert_eq!(state_map(served), want);
            return;
        }
    }
    panic!("no step reaches {state}");
}

#[test]
fn rows_v1_leaves_open_get_the_suggested_status() {
    let Some(v) = crate::support::vectors() else {
        return;
    };
    for row in v["unspecified_or_version_dependent"]
        .as_array()
        .expect("rows")
    {
        let id = row["id"].as_str().expect("id");
        let (dir, _) = witness_of(&v);
        let served = Served::start(&data_of(&dir));
        preload(&served, &v, &row["state_before"]);
        let before = state_map(&served);
        let reply = served.add(row["request"]["body"].as_str().expect("body").as_bytes());
        assert_eq!(
            u64::from(reply.status),
            row["expect"]["suggested_status"]
                .as_u64()
                .expect("suggested"),
            "{id}: {}",
            reply.body
        );
        assert_eq!(state_map(&served), before, "{id}: nothing stored");
    }
}

#[test]
fn litewitness_replay_gets_the_v1_statuses() {
    let Some(v) = crate::support::vectors() else {
        return;
    };
    let replay = &v["litewitness_replay"];
    let dir = new_witness("example.com/witness", None);
    let data = data_of(&dir);
    cli_ok(
        &data,
        &[
            "add-log",
            "--origin",
            replay["log_origin"].as_str().expect("origin"),
            "--vkey",
            replay["log_vkey"].as_str().expect("vkey"),
        ],
    );
    let served = Served::start(&data);
    let witness = CosignerVerifier::from_vkey(&served.vkey).expect("vkey");
    let requests = replay["requests"].as_array().expect("requests");
    assert_eq!(requests.len(), 9);
    for (i, r) in requests.iter().enumerate() {
        let body = r["request_body"].as_str().expect("body");
        let reply = served.add(body.as_bytes());
        let what = format!("replay {}", i + 1);
        assert_eq!(
            u64::from(reply.status),
            r["v1.0.0_status"].as_u64().expect("status"),
            "{what}: {}",
            reply.body
        );
        if let Some(b) = r["v1.0.0_body"].as_str() {
            assert_eq!(reply.body, b, "{what}");
            assert_eq!(
                reply.content_type.as_deref(),
                Some("text/x.tlog.size"),
                "{what}"
            );
        }
        if reply.status == 200 {
            check_cosigned(&reply.body, body, &witness, &what);
        }
    }
}
