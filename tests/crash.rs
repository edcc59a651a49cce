//! SIGKILL durability (DESIGN.md §1.6, "Nothing lost"): an entry acknowledged to a client
//! survives `kill -9` of the server, and a retried request never records money twice.
//!
//! One SQLite data folder, two funds, [`ROUNDS`] rounds. Each round, several client tasks
//! append donations (each with a unique idempotency key) as fast as they can while the
//! server is SIGKILLed at a random moment 10–300 ms in. The server is restarted on the
//! same folder; then every entry acknowledged so far (201 or 200, in this round or any
//! earlier one) must be there with the same seq and hash, the log must be contiguous and
//! chained, the requests that got no answer are retried with the same key and must either
//! replay (200: committed before the kill) or append once (201), after which each fund
//! holds exactly its genesis plus one entry per key ever sent, and the export verifies
//! clean with `ledger_core`'s verifier. Note that SIGKILL leaves the OS page cache intact,
//! so this proves "acknowledged only after commit" and crash recovery, not fsync.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant as Clock};

use community_ledger::{
    random_u64, runtime, Ack, Client, Deployment, Server, SignedIntent, Trustee,
};

/// Crash rounds.
const ROUNDS: usize = 20;
/// The funds written to.
const FUNDS: [&str; 2] = ["crash-a", "crash-b"];
/// Concurrent client tasks per fund.
const CLIENTS_PER_FUND: usize = 4;
/// Crash rounds of the multi-fund test.
const GROUP_ROUNDS: usize = 8;
/// The funds of the multi-fund test: their batches share SQLite's group commits.
const GROUP_FUNDS: [&str; 8] = [
    "group-a", "group-b", "group-c", "group-d", "group-e", "group-f", "group-g", "group-h",
];
/// Concurrent client tasks per fund in the multi-fund test.
const GROUP_CLIENTS_PER_FUND: usize = 2;
/// The kill comes this many milliseconds after the clients start, at random.
const KILL_AFTER_MS: (u64, u64) = (10, 300);

/// What the clients saw in one round.
#[derive(Default)]
struct Outcome {
    /// Acknowledged (201/200): fund, key, entry.
    acked: Vec<(String, String, Ack)>,
    /// Sent, but no HTTP answer came back (the kill cut it off).
    unanswered: Vec<SignedIntent>,
    /// Answered with something other than 201/200 (nothing may have been written).
    refused: Vec<(SignedIntent, u16, String)>,
}

async fn client_task(
    client: Client,
    trustee: Arc<Trustee>,
    fund: &'static str,
    tag: String,
) -> Outcome {
    let mut out = Outcome::default();
    for i in 0.. {
        let key = format!("{tag}-{i}");
        let signed = trustee.donation(fund, &key, 1 + (random_u64() % 100_000) as i64);
        match client.append(&signed).await {
            Ok(reply) => match reply.ack() {
                Some(ack) => out.acked.push((fund.to_owned(), key, ack)),
                None => out
                    .refused
                    .push((signed, reply.status, reply.body.to_string())),
            },
            Err(_) => {
                out.unanswered.push(signed);
                break;
            }
        }
    }
    out
}

/// Runs the clients against `server` and SIGKILLs it after `kill_after`.
async fn hammer(
    server: &mut Server,
    trustee: &Arc<Trustee>,
    (funds, clients_per_fund): (&[&'static str], usize),
    round: usize,
    kill_after: Duration,
) -> Outcome {
    let client = server.client();
    let mut tasks = Vec::new();
    for &fund in funds {
        for c in 0..clients_per_fund {
            let tag = format!("r{round}-{fund}-c{c}");
            tasks.push(tokio::spawn(client_task(
                client.clone(),
                trustee.clone(),
                fund,
                tag,
            )));
        }
    }
    tokio::time::sleep(kill_after).await;
    assert!(
        server.is_running(),
        "round {round}: the server exited before it was killed; its log:\n{}",
        server.log_tail()
    );
    server.kill();
    let mut all = Outcome::default();
    for t in tasks {
        let o = t.await.expect("client task");
        all.acked.extend(o.acked);
        all.unanswered.extend(o.unanswered);
        all.refused.extend(o.refused);
    }
    all
}

/// Every acknowledged entry (fund → key → entry), across rounds.
type Acked = HashMap<String, HashMap<String, Ack>>;

/// After a restart: checks the acknowledged entries, retries the rest, verifies exports.
/// Returns (unanswered requests that turned out committed, unanswered that were not).
async fn check_after_restart(
    server: &Server,
    funds: &[&'static str],
    acked: &mut Acked,
    out: Outcome,
    round: usize,
) -> (usize, usize) {
    let client = server.client();
    // 1. Everything acknowledged is there, at the same seq with the same hash.
    for &fund in funds {
        let entries = client.entries(fund).await.expect("listing entries");
        community_ledger::check_contiguous(fund, &entries)
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        for (key, ack) in &acked[fund] {
            let e = entries.get(ack.seq as usize).unwrap_or_else(|| {
                panic!(
                    "round {round}: {fund}: acknowledged entry {} (key {key}) is gone after kill -9; \
                     the log has {} entries",
                    ack.seq,
                    entries.len()
                )
            });
            assert_eq!(
                (&e.key, &e.hash),
                (key, &ack.hash),
                "round {round}: {fund}: entry {} differs from what was acknowledged",
                ack.seq
            );
        }
    }
    // 2. Requests without an answer, and refused ones, are retried with the same key.
    let mut committed_unacked = 0;
    let mut appended_on_retry = 0;
    let retries = out
        .unanswered
        .iter()
        .map(|s| (s, None))
        .chain(out.refused.iter().map(|(s, status, _)| (s, Some(*status))));
    for (signed, refused) in retries {
        let reply = client.append(signed).await.expect("retry after restart");
        let ack = reply.ack().unwrap_or_else(|| {
            panic!(
                "round {round}: retry of {} answered {} {}",
                signed.key, reply.status, reply.body
            )
        });
        match (reply.status, reply.replay) {
            (200, true) => {
                assert!(
                    refused.is_none(),
                    "round {round}: {} was refused with {refused:?} yet had been recorded",
                    signed.key
                );
                committed_unacked += 1;
            }
            (201, false) => appended_on_retry += 1,
            other => panic!("round {round}: retry of {} answered {other:?}", signed.key),
        }
        let again = client.append(signed).await.expect("second retry");
        assert_eq!(
            (again.status, again.replay, again.ack()),
            (200, true, Some(ack.clone())),
            "round {round}: a second retry of {} must replay the same entry",
            signed.key
        );
        let prior = acked
            .get_mut(&signed.fund)
            .expect("known fund")
            .insert(signed.key.clone(), ack);
        assert!(prior.is_none(), "key {} used twice by the test", signed.key);
    }
    // 3. Each fund is its genesis plus exactly one entry per key ever sent, and verifies.
    for &fund in funds {
        let entries = client.entries(fund).await.expect("listing entries");
        community_ledger::check_contiguous(fund, &entries)
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        // `acked` holds the genesis too.
        assert_eq!(
            entries.len(),
            acked[fund].len(),
            "round {round}: {fund} holds entries that no request accounts for"
        );
        for (key, ack) in &acked[fund] {
            assert_eq!(&entries[ack.seq as usize].key, key);
            assert_eq!(entries[ack.seq as usize].hash, ack.hash);
        }
        let report = client.verify_export(fund).await.expect("export");
        assert!(
            report.is_clean(),
            "round {round}: export of {fund} has findings: {:?}",
            report.findings
        );
        assert_eq!(report.entries, entries.len() as u64);
        assert_eq!(
            report.checkpoint.as_ref().map(|c| c.tree_size),
            Some(entries.len() as u64),
            "round {round}: {fund}: the export's checkpoint does not cover the whole log"
        );
    }
    (committed_unacked, appended_on_retry)
}

#[test]
fn acknowledged_entries_survive_sigkill() {
    sigkill_rounds("crash", &FUNDS, CLIENTS_PER_FUND, ROUNDS);
}

/// The same with eight funds written at once: on SQLite their batches share group
/// commits (one transaction and one fsync for the ready batches of every fund), so the
/// kills land during multi-fund commits. Every fund finds every entry acknowledged to it
/// and none half-written (its log contiguous and chained, its head row and checkpoint
/// covering it, its export verifying clean).
#[test]
fn acknowledged_entries_of_every_fund_survive_sigkill_during_group_commits() {
    sigkill_rounds(
        "crash_group",
        &GROUP_FUNDS,
        GROUP_CLIENTS_PER_FUND,
        GROUP_ROUNDS,
    );
}

/// `rounds` rounds of appends from `clients_per_fund` clients to each of `funds`, each
/// cut by a SIGKILL, each followed by the checks of [`check_after_restart`].
fn sigkill_rounds(test: &str, funds: &[&'static str], clients_per_fund: usize, rounds: usize) {
    let started = Clock::now();
    let rt = runtime();
    let trustee = Arc::new(Trustee::random("管理人甲"));

    let mut server = Deployment::sqlite(test);
    let mut acked: Acked = HashMap::new();
    rt.block_on(async {
        for &fund in funds {
            let ack = server
                .create_fund(fund, &[&trustee], (1, 1, 1))
                .await
                .genesis;
            acked
                .entry(fund.to_owned())
                .or_default()
                .insert(format!("genesis-{fund}"), ack);
        }
    });

    let mut total_acked = 0;
    for round in 0..rounds {
        let ms = KILL_AFTER_MS.0 + random_u64() % (KILL_AFTER_MS.1 - KILL_AFTER_MS.0 + 1);
        let out = rt.block_on(hammer(
            &mut server,
            &trustee,
            (funds, clients_per_fund),
            round,
            Duration::from_millis(ms),
        ));
        let n_acked = out.acked.len();
        let n_unanswered = out.unanswered.len();
        let n_refused = out.refused.len();
        for (fund, key, ack) in &out.acked {
            let prior = acked
                .get_mut(fund)
                .expect("known fund")
                .insert(key.clone(), ack.clone());
            assert!(prior.is_none(), "key {key} acknowledged twice");
        }
        if let Some((s, status, body)) = out.refused.first() {
            println!("round {round}: refused {} with {status}: {body}", s.key);
        }
        // Same folder, fresh process: SQLite recovers its WAL; each fund is loaded from its
        // stored state and the entries after it (or its log) when first asked.
        let restart = Clock::now();
        server.restart();
        let restart = restart.elapsed();
        let (committed_unacked, appended_on_retry) =
            rt.block_on(check_after_restart(&server, funds, &mut acked, out, round));
        total_acked += n_acked;
        println!(
            "round {round:2}: kill after {ms:3} ms: {n_acked:4} acknowledged, {n_unanswered} unanswered \
             ({committed_unacked} had been committed, {appended_on_retry} appended on retry), \
             {n_refused} refused; restart {} ms; log sizes {:?}",
            restart.as_millis(),
            funds.iter().map(|f| acked[*f].len()).collect::<Vec<_>>(),
        );
    }
    println!(
        "{rounds} kill -9 rounds, {total_acked} entries acknowledged during the rounds, \
         none lost; {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
