//! What a witness acknowledged survives a SIGKILL right after the 200.

use crate::support::{cli_ok, data_of, new_witness, Served, TestLog};

#[test]
fn sigkill_after_200_loses_nothing_acknowledged() {
    let dir = new_witness("witness.example/durability", None);
    let data = data_of(&dir);
    let mut log = TestLog::new("log.example/durable", "log.example/durable", 9, "d", 0);
    cli_ok(
        &data,
        &["add-log", "--origin", &log.origin, "--vkey", &log.vkey()],
    );
    log.grow("d", 40);
    let mut stored = 0;
    for size in [3, 4, 11, 12, 40] {
        let served = Served::start(&data);
        let reply = served.add(log.body(stored, size).as_bytes());
        assert_eq!(reply.status, 200, "{reply:?}");
        served.kill();
        stored = size;
        let served = Served::start(&data);
        // The stale old size learns the acknowledged one.
        let reply = served.add(log.body(0, size).as_bytes());
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (409, format!("{size}\n").as_str())
        );
        let state = served.state();
        assert_eq!(state[0].1, size);
        served.kill();
    }
}
