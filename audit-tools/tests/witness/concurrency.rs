//! Concurrent `add-checkpoint` requests for one log with the same old size: exactly one
//! wins, the others learn the winner's size (409).

use std::sync::{Arc, Barrier};

use crate::support::{cli_ok, data_of, new_witness, post, Served, TestLog};

#[test]
fn same_old_size_at_once_exactly_one_200() {
    const CLIENTS: u64 = 16;
    const ROUNDS: u64 = 5;
    let dir = new_witness("witness.example/concurrency", None);
    let data = data_of(&dir);
    // A deployment prefix: every `<prefix>/<fund id>` is witnessed with one log key.
    let mut log = TestLog::new(
        "ledger.example/hexing/roof-2026",
        "ledger.example/hexing",
        7,
        "t",
        0,
    );
    cli_ok(
        &data,
        &[
            "add-log",
            "--origin-prefix",
            "ledger.example/hexing",
            "--vkey",
            &log.vkey(),
        ],
    );
    let served = Served::start(&data);
    log.grow("t", 1 + ROUNDS * CLIENTS);
    assert_eq!(served.add(log.body(0, 1).as_bytes()).status, 200);
    let mut stored = 1;
    for _ in 0..ROUNDS {
        // Each client a different size, all from the same old size.
        let bodies: Vec<(u64, String)> = (1..=CLIENTS)
            .map(|k| (stored + k, log.body(stored, stored + k)))
            .collect();
        let barrier = Arc::new(Barrier::new(bodies.len()));
        let url = format!("{}/add-checkpoint", served.url);
        let handles: Vec<_> = bodies
            .into_iter()
            .map(|(size, body)| {
                let (barrier, url) = (barrier.clone(), url.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    (size, post(&url, body.as_bytes()))
                })
            })
            .collect();
        let replies: Vec<_> = handles
            .into_iter()
            .map(|h| h.join().expect("client"))
            .collect();
        let winners: Vec<u64> = replies
            .iter()
            .filter(|(_, r)| r.status == 200)
            .map(|(s, _)| *s)
            .collect();
        assert_eq!(winners.len(), 1, "{replies:?}");
        let won = winners[0];
        for (size, r) in &replies {
            if *size != won {
                assert_eq!(r.status, 409, "{r:?}");
                assert_eq!(r.body, format!("{won}\n"));
                assert_eq!(r.content_type.as_deref(), Some("text/x.tlog.size"));
            }
        }
        let state = served.state();
        assert_eq!(state.len(), 1);
        assert_eq!(
            (state[0].0.as_str(), state[0].1),
            (log.origin.as_str(), won)
        );
        stored = won;
    }
}
