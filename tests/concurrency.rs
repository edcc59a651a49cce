//! Concurrent appends over HTTP (DESIGN.md §1.6 and §6): no fork, no gap, no duplicate.
//!
//! - `two_servers_share_one_postgres`: two server processes on one fresh PostgreSQL
//!   database (separate data folders holding the same `operator.key`, `log.key` and
//!   `vault.key`), 32 concurrent clients appending through both servers alternately,
//!   first all to one fund, then spread over four funds, then a retry storm split across
//!   the two servers.
//!   Afterwards each fund is entries 0..n, contiguous and chained, identical through either
//!   server, with every acknowledged entry at its acknowledged seq and hash and nothing
//!   else; both servers' exports verify clean and are byte-identical. Needs
//!   `LEDGER_TEST_POSTGRES_URL` (an admin URL that may create databases); without it the
//!   test prints `SKIP` and passes, unless `LEDGER_REQUIRE_POSTGRES=1`.
//! - `concurrent_genesis_on_two_servers_answers_as_one_server`: on two servers sharing one
//!   PostgreSQL, rounds of four genesis requests for one new fund sent at once, alternately
//!   through each server. Four different geneses: exactly one is 201 and three are 422
//!   `genesis_not_first`; the same genesis four times: one 201 and three 200 replays of the
//!   very entry. Never a 500, and the fund holds exactly its one genesis.
//! - `a_server_appends_after_the_other_servers_entries`: two servers on one PostgreSQL
//!   append to one fund in turn, so that each batch finds the head moved by the other
//!   server (the one-round-trip append writes nothing and falls back to the transaction
//!   path): every append lands after the other server's, replays across the servers
//!   answer the stored entry, and the fund is one chain.
//! - `retry_storm_records_each_intent_once`: on SQLite, each of 30 signed intents is sent
//!   3 times at once: exactly 30 entries are appended, 30 answers are 201 and the other 60
//!   are replays (200, `idempotent-replay: true`) of the very same entry.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant as Clock;

use community_ledger::{
    check_contiguous, copy_key_file, genesis_intent, random_u64, runtime, sign_intent,
    single_trustee_policy, Ack, Client, Deployment, Server, ServerConfig, SignedIntent,
    TestBackend, Trustee,
};
use ledger_core::ids::IdempotencyKey;

/// Concurrent clients.
const CLIENTS: usize = 32;
/// Appends per client and phase.
const APPENDS_PER_CLIENT: usize = 10;
/// Distinct intents of a retry storm.
const STORM_INTENTS: usize = 30;
/// Copies of each intent sent at once.
const STORM_COPIES: usize = 3;

/// Every acknowledged entry: fund → key → entry.
type Acked = HashMap<String, HashMap<String, Ack>>;

fn record(acked: &mut Acked, fund: &str, key: &str, ack: Ack) {
    let funds = acked.entry(fund.to_owned()).or_default();
    if let Some(prior) = funds.insert(key.to_owned(), ack.clone()) {
        assert_eq!(
            prior, ack,
            "{fund}: key {key} acknowledged as two different entries"
        );
    }
}

/// One client: `APPENDS_PER_CLIENT` donations, to `fund_of(i)`, through the servers in
/// turn (starting with server `first`). Any answer but 201 fails the test.
async fn client_task(
    servers: Arc<Vec<Client>>,
    trustee: Arc<Trustee>,
    funds: Vec<String>,
    tag: String,
    first: usize,
) -> Vec<(String, String, Ack)> {
    let mut acked = Vec::new();
    for i in 0..APPENDS_PER_CLIENT {
        let fund = &funds[i % funds.len()];
        let server = &servers[(first + i) % servers.len()];
        let key = format!("{tag}-{i}");
        let signed = trustee.donation(fund, &key, 1 + (random_u64() % 100_000) as i64);
        let reply = server
            .append(&signed)
            .await
            .unwrap_or_else(|e| panic!("{key} via {}: {e}", server.base_url()));
        assert_eq!(
            (reply.status, reply.replay),
            (201, false),
            "{key} to {fund} via {}: {}",
            server.base_url(),
            reply.body
        );
        acked.push((fund.clone(), key, reply.ack().expect("an entry")));
    }
    acked
}

/// `CLIENTS` clients at once; client `c` writes to `funds_of(c)` (rotating per append).
async fn run_clients(
    servers: &Arc<Vec<Client>>,
    trustee: &Arc<Trustee>,
    phase: &str,
    funds_of: impl Fn(usize) -> Vec<String>,
    acked: &mut Acked,
) {
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        tasks.push(tokio::spawn(client_task(
            servers.clone(),
            trustee.clone(),
            funds_of(c),
            format!("{phase}-c{c}"),
            c % servers.len(),
        )));
    }
    for t in tasks {
        for (fund, key, ack) in t.await.expect("client task") {
            record(acked, &fund, &key, ack);
        }
    }
}

/// Sends each of `STORM_INTENTS` intents `STORM_COPIES` times at once (copy `k` through
/// server `k % servers`) and checks that exactly one copy appended and the others
/// replayed the same entry. Returns (appended, replayed).
async fn retry_storm(
    servers: &[Client],
    trustee: &Trustee,
    fund: &str,
    tag: &str,
    acked: &mut Acked,
) -> (usize, usize) {
    let intents: Vec<SignedIntent> = (0..STORM_INTENTS)
        .map(|i| trustee.donation(fund, &format!("{tag}-{i}"), 100 + i as i64))
        .collect();
    let start = Arc::new(tokio::sync::Barrier::new(STORM_INTENTS * STORM_COPIES));
    let mut tasks = Vec::new();
    for signed in &intents {
        for k in 0..STORM_COPIES {
            let client = servers[k % servers.len()].clone();
            let signed = signed.clone();
            let start = start.clone();
            tasks.push(tokio::spawn(async move {
                start.wait().await;
                let reply = client.append(&signed).await;
                (signed.key.clone(), reply)
            }));
        }
    }
    let mut by_key: HashMap<String, Vec<(u16, bool, Option<Ack>)>> = HashMap::new();
    for t in tasks {
        let (key, reply) = t.await.expect("storm task");
        let reply = reply.unwrap_or_else(|e| panic!("storm {key}: {e}"));
        by_key
            .entry(key)
            .or_default()
            .push((reply.status, reply.replay, reply.ack()));
    }
    let (mut appended, mut replayed) = (0, 0);
    for (key, replies) in &by_key {
        let created = replies
            .iter()
            .filter(|r| (r.0, r.1) == (201, false))
            .count();
        let replays = replies.iter().filter(|r| (r.0, r.1) == (200, true)).count();
        assert_eq!(
            (created, replays),
            (1, STORM_COPIES - 1),
            "storm {key}: answers {replies:?}"
        );
        let first = replies[0].2.clone().expect("an entry");
        assert!(
            replies.iter().all(|r| r.2.as_ref() == Some(&first)),
            "storm {key}: copies answered different entries: {replies:?}"
        );
        record(acked, fund, key, first);
        appended += created;
        replayed += replays;
    }
    assert_eq!(by_key.len(), STORM_INTENTS);
    (appended, replayed)
}

/// Checks every fund through every server: contiguous, chained, no duplicate key, the
/// same log through each server, exactly the acknowledged entries; exports verify clean
/// and are byte-identical across servers.
async fn check_funds(servers: &[Client], acked: &Acked) {
    for (fund, keys) in acked {
        let mut seen = None;
        for server in servers {
            let entries = server
                .entries(fund)
                .await
                .unwrap_or_else(|e| panic!("listing {fund} via {}: {e}", server.base_url()));
            check_contiguous(fund, &entries)
                .unwrap_or_else(|e| panic!("via {}: {e}", server.base_url()));
            assert_eq!(
                entries.len(),
                keys.len(),
                "{fund} via {}: {} entries, {} acknowledged",
                server.base_url(),
                entries.len(),
                keys.len()
            );
            for (key, ack) in keys {
                let e = &entries[ack.seq as usize];
                assert_eq!(
                    (&e.key, &e.hash),
                    (key, &ack.hash),
                    "{fund}: entry {} is not what was acknowledged",
                    ack.seq
                );
            }
            match &seen {
                None => seen = Some(entries),
                Some(prev) => assert_eq!(prev, &entries, "{fund}: the servers disagree"),
            }
        }
        let mut exports = Vec::new();
        for server in servers {
            let report = server.verify_export(fund).await.expect("export");
            assert!(
                report.is_clean(),
                "{fund} via {}: findings {:?}",
                server.base_url(),
                report.findings
            );
            assert_eq!(report.entries, keys.len() as u64);
            assert_eq!(
                report.checkpoint.as_ref().map(|c| c.tree_size),
                Some(keys.len() as u64)
            );
            exports.push(server.export(fund).await.expect("export"));
        }
        assert!(
            exports.windows(2).all(|w| w[0] == w[1]),
            "{fund}: the servers' exports differ"
        );
    }
}

/// A second server on `server_a`'s PostgreSQL database, in a data folder of its own (kept
/// alive by the returned directory): it signs checkpoints with the same log key, accepts
/// the same operator and seals the donor vault with the same key (a server with another
/// one refuses to start).
fn second_server(server_a: &Deployment) -> (Server, tempfile::TempDir) {
    let db_url = server_a
        .config()
        .database_url
        .clone()
        .expect("on PostgreSQL");
    let dir_b = tempfile::tempdir().expect("temp dir");
    for key in ["log.key", "operator.key", "vault.key"] {
        copy_key_file(&server_a.data_dir().join(key), dir_b.path());
    }
    let server_b = Server::start_with(&ServerConfig::postgres(dir_b.path(), &db_url));
    (server_b, dir_b)
}

#[test]
fn two_servers_share_one_postgres() {
    let rt = runtime();
    let Some(backend) = TestBackend::postgres("two_servers_share_one_postgres", &rt) else {
        return;
    };
    let started = Clock::now();
    // Server A owns the database: dropped last, after server B is gone.
    let server_a = Deployment::on(backend);
    let (server_b, _dir_b) = second_server(&server_a);
    let servers = Arc::new(vec![server_a.client(), server_b.client()]);
    let trustee = Arc::new(Trustee::random("管理人甲"));

    let hot = "pg-hot".to_owned();
    let spread: Vec<String> = (0..4).map(|i| format!("pg-fund-{i}")).collect();
    let mut acked = Acked::new();
    rt.block_on(async {
        // Funds are created after both servers started, through either of them.
        for (i, fund) in std::iter::once(&hot).chain(&spread).enumerate() {
            let via = &servers[i % 2];
            let ack = server_a
                .create_fund_through(via, fund, &[&trustee], (1, 1, 1))
                .await
                .genesis;
            record(&mut acked, fund, &format!("genesis-{fund}"), ack);
        }
        let t = Clock::now();
        run_clients(&servers, &trustee, "hot", |_| vec![hot.clone()], &mut acked).await;
        println!(
            "one fund: {CLIENTS} clients x {APPENDS_PER_CLIENT} appends through 2 servers in {} ms",
            t.elapsed().as_millis()
        );
        let t = Clock::now();
        run_clients(
            &servers,
            &trustee,
            "spread",
            |c| (0..4).map(|k| spread[(c + k) % 4].clone()).collect(),
            &mut acked,
        )
        .await;
        println!(
            "four funds: {CLIENTS} clients x {APPENDS_PER_CLIENT} appends through 2 servers in {} ms",
            t.elapsed().as_millis()
        );
        let (appended, replayed) = retry_storm(&servers, &trustee, &hot, "pg-storm", &mut acked).await;
        println!("retry storm over 2 servers: {appended} appended, {replayed} replayed");
        check_funds(&servers, &acked).await;
    });
    println!(
        "two servers on one PostgreSQL: fund sizes {:?}; no fork, gap or duplicate; {:.1} s",
        std::iter::once(&hot)
            .chain(&spread)
            .map(|f| acked[f].len())
            .collect::<Vec<_>>(),
        started.elapsed().as_secs_f64()
    );
    drop(server_b);
    drop(server_a);
}

/// PostgreSQL's one-round-trip append (`Store::append_fast`) writes a batch only if the
/// fund's head is the one its server's state is at. Here each server appends in turn
/// after the other moved the head: each batch finds the head moved, writes nothing, and is
/// appended after the other server's entries by the transaction path; a replay of the
/// other server's entry is answered with that entry. One chain, read the same through
/// both servers, every entry at its acknowledged seq.
#[test]
fn a_server_appends_after_the_other_servers_entries() {
    let rt = runtime();
    let Some(backend) = TestBackend::postgres("appends_after_the_other_server", &rt) else {
        return;
    };
    let server_a = Deployment::on(backend);
    let (server_b, _dir_b) = second_server(&server_a);
    let servers = [server_a.client(), server_b.client()];
    let trustee = Trustee::random("管理人甲");
    let fund = "turns";
    let mut acked = Acked::new();
    rt.block_on(async {
        let ack = server_a
            .create_fund_through(&servers[0], fund, &[&trustee], (1, 1, 1))
            .await
            .genesis;
        record(&mut acked, fund, &format!("genesis-{fund}"), ack);
        // A, B, A, B, …: from the second, each append follows the other server's.
        let mut sent = Vec::new();
        for i in 0..6u64 {
            let via = &servers[(i % 2) as usize];
            let key = format!("turn-{i}");
            let signed = trustee.donation(fund, &key, 100 + i as i64);
            let reply = via.append(&signed).await.expect("an answer");
            assert_eq!(
                (reply.status, reply.replay),
                (201, false),
                "{key} via {}: {}",
                via.base_url(),
                reply.body
            );
            let ack = reply.ack().expect("an entry");
            assert_eq!(ack.seq, 1 + i, "{key}: appended after every earlier entry");
            record(&mut acked, fund, &key, ack.clone());
            sent.push((signed, ack));
        }
        // Each server replays the other's last entry: the stored entry, nothing written.
        for (via, (signed, ack)) in servers.iter().zip(sent.iter().rev()) {
            let reply = via.append(signed).await.expect("an answer");
            assert_eq!(
                (reply.status, reply.replay),
                (200, true),
                "{} via {}: {}",
                signed.key,
                via.base_url(),
                reply.body
            );
            assert_eq!(
                reply.ack().as_ref(),
                Some(ack),
                "{}: the stored entry",
                signed.key
            );
        }
        check_funds(&servers, &acked).await;
    });
    drop(server_b);
    drop(server_a);
}

/// Rounds of each kind in `concurrent_genesis_on_two_servers_answers_as_one_server`.
const GENESIS_ROUNDS: usize = 10;

#[test]
fn concurrent_genesis_on_two_servers_answers_as_one_server() {
    let rt = runtime();
    let Some(backend) = TestBackend::postgres("concurrent_genesis_on_two_servers", &rt) else {
        return;
    };
    let server_a = Deployment::on(backend);
    let (server_b, _dir_b) = second_server(&server_a);
    let servers = [server_a.client(), server_b.client()];
    let trustee = Trustee::random("管理人甲");
    rt.block_on(async {
        for round in 0..2 * GENESIS_ROUNDS {
            let same = round % 2 == 1;
            let fund = format!("race-{round}");
            let requests: Vec<SignedIntent> = (0..4)
                .map(|i| {
                    let mut genesis = genesis_intent(&fund, &[&trustee], single_trustee_policy());
                    if !same {
                        genesis.key =
                            IdempotencyKey::parse(&format!("genesis-{fund}-{i}")).expect("key");
                    }
                    sign_intent(&genesis, &[server_a.operator()])
                })
                .collect();
            let tasks: Vec<_> = requests
                .into_iter()
                .enumerate()
                .map(|(i, r)| {
                    let client = servers[i % 2].clone();
                    tokio::spawn(async move { client.append(&r).await })
                })
                .collect();
            let mut answers = Vec::new();
            for t in tasks {
                answers.push(t.await.expect("task"));
            }
            let mut created = Vec::new();
            let mut others = Vec::new();
            for a in answers {
                let a = a.expect("an answer");
                match a.status {
                    201 => created.push(a.ack().expect("a 201 carries the entry")),
                    _ => others.push(a),
                }
            }
            assert_eq!(
                created.len(),
                1,
                "{fund}: one genesis is created: {others:?}"
            );
            for a in &others {
                if same {
                    assert_eq!(
                        (a.status, a.replay),
                        (200, true),
                        "{fund}: a repeated genesis is a replay: {a:?}"
                    );
                    assert_eq!(a.ack().expect("a replay carries the entry"), created[0]);
                } else {
                    assert_eq!(
                        (a.status, a.body["code"].as_str()),
                        (422, Some("genesis_not_first")),
                        "{fund}: a second genesis is the rule's refusal: {a:?}"
                    );
                }
            }
            for client in &servers {
                let entries = client
                    .get_json(&format!("/api/v1/funds/{fund}/entries"))
                    .await
                    .expect("entries");
                let seqs: Vec<u64> = entries["entries"]
                    .as_array()
                    .expect("a list")
                    .iter()
                    .map(|e| e["seq"].as_u64().expect("seq"))
                    .collect();
                assert_eq!(seqs, vec![0], "{fund}: exactly its one genesis");
            }
        }
    });
    println!(
        "concurrent genesis on two servers: {GENESIS_ROUNDS} rounds of 4 different and \
         {GENESIS_ROUNDS} of 4 identical requests answered as one server would"
    );
    drop(server_b);
    drop(server_a);
}

#[test]
fn retry_storm_records_each_intent_once() {
    let started = Clock::now();
    let rt = runtime();
    let server = Deployment::sqlite("retry_storm");
    let client = server.client();
    let trustee = Trustee::random("管理人甲");
    let fund = "storm";
    let mut acked = Acked::new();
    rt.block_on(async {
        let ack = server
            .create_fund(fund, &[&trustee], (1, 1, 1))
            .await
            .genesis;
        record(&mut acked, fund, &format!("genesis-{fund}"), ack);
        let (appended, replayed) = retry_storm(
            std::slice::from_ref(&client),
            &trustee,
            fund,
            "storm",
            &mut acked,
        )
        .await;
        assert_eq!((appended, replayed), (30, 60));
        assert_eq!(acked[fund].len(), 1 + STORM_INTENTS);
        check_funds(std::slice::from_ref(&client), &acked).await;
        println!(
            "retry storm: {} sends, {appended} appended, {replayed} replayed; {:.1} s",
            STORM_INTENTS * STORM_COPIES,
            started.elapsed().as_secs_f64()
        );
    });
}
