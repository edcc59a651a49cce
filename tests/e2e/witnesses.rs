//! Witnesses end to end (issue 16): the server and two real `ledger-witness` processes
//! on random ports, a policy that needs both, a witness round every second. Cosigned
//! checkpoints appear on every fund; with one witness killed appends go on, the served
//! checkpoint stops advancing and its age grows in `/metrics`; restarted, the quorum is
//! met again at the new size. A bad policy file stops the server's start.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use community_ledger::{
    server_binary, write_key_file, Client, Deployment, ServerConfig, Trustee, WitnessProcess,
};
use ledger_core::checkpoint::Checkpoint;
use ledger_core::cosignature::CosignerKey;
use ledger_core::note::{NoteSigner, NoteVerifier};
use ledger_core::witness_policy::WitnessPolicy;
use serde_json::Value;
use sqlx::Connection;

const ORIGIN: &str = "witnessed.example";
const FUNDS: [&str; 2] = ["w-fund-a", "w-fund-b"];
/// How long anything polled may take.
const DEADLINE: Duration = Duration::from_secs(90);

/// Writes a fresh log key (owner-only) where the server will load it; returns its signer.
fn write_log_key(data_dir: &Path) -> NoteSigner {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::create_dir_all(data_dir).expect("data folder");
    let key = NoteSigner::new(ORIGIN, community_ledger::random_key()).expect("log key");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(data_dir.join("log.key"))
        .expect("log.key");
    writeln!(f, "{}", key.to_private_key_string()).expect("writing log.key");
    key
}

/// Polls `probe` until it gives `Some`, or panics with `what` at the deadline.
async fn until<T>(what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// (status, body) of `GET path`.
async fn get_text(client: &Client, path: &str) -> (u16, String) {
    let resp = client
        .request(reqwest::Method::GET, path)
        .send()
        .await
        .expect("an answer");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("a body"))
}

/// The tree size of a checkpoint note.
fn size_of(note: &str, log: &NoteVerifier) -> u64 {
    Checkpoint::open(note, log)
        .unwrap_or_else(|e| panic!("the log key opens the checkpoint ({e}):\n{note}"))
        .tree_size
}

/// The value of the sample `name{label="value"}` in an OpenMetrics text.
fn metric(text: &str, name: &str, label: &str, value: &str) -> Option<f64> {
    let prefix = format!("{name}{{{label}=\"{value}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|v| v.trim().parse().ok())
}

/// The witnessed checkpoint of `fund` once it is at `size` and meets `policy`; checks
/// both witnesses cosigned it.
async fn witnessed_at(
    client: &Client,
    fund: &str,
    size: u64,
    log: &NoteVerifier,
    policy: &WitnessPolicy,
) -> String {
    let path = format!("/api/v1/funds/{fund}/checkpoint");
    let note = until(
        &format!("{fund}'s checkpoint of size {size} witnessed"),
        async || {
            let (status, body) = get_text(client, &path).await;
            (status == 200 && size_of(&body, log) == size).then_some(body)
        },
    )
    .await;
    let check = policy.check_note(&note).expect("the cosignatures verify");
    assert!(check.met, "the served checkpoint meets the quorum:\n{note}");
    let mut names: Vec<&str> = check.witnessed.iter().map(|w| w.witness.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["bureau", "committee"], "both witnesses cosigned it");
    note
}

async fn latest_size(client: &Client, fund: &str, log: &NoteVerifier) -> u64 {
    let (status, note) = get_text(client, &format!("/api/v1/funds/{fund}/checkpoint/latest")).await;
    assert_eq!(status, 200, "{note}");
    size_of(&note, log)
}

#[test]
fn two_witnesses_cosign_every_fund_and_the_quorum_returns_after_an_outage() {
    let place = tempfile::tempdir().expect("temporary folder");
    let data_dir = place.path().join("server");
    let log = write_log_key(&data_dir).verifier();
    let log_vkey = log.to_vkey();
    let mut committee = WitnessProcess::create(
        &place.path().join("committee"),
        "witness.example/hexing-committee",
        ORIGIN,
        &log_vkey,
    );
    let mut bureau = WitnessProcess::create(
        &place.path().join("bureau"),
        "witness.example/pidu-bureau",
        ORIGIN,
        &log_vkey,
    );
    let policy_text = format!(
        "# both must cosign\nlog {log_vkey}\nwitness committee {} {}\nwitness bureau {} {}\n\
         group both all committee bureau\nquorum both\n",
        committee.vkey, committee.url, bureau.vkey, bureau.url
    );
    let policy = WitnessPolicy::parse(&policy_text).expect("the test's policy parses");
    let policy_file = place.path().join("witnesses.policy");
    std::fs::write(&policy_file, &policy_text).expect("writing the policy");
    let mut config = ServerConfig::sqlite(&data_dir);
    config.origin = Some(ORIGIN.to_owned());
    config.extra_args = vec![
        "--witness-policy".into(),
        policy_file.display().to_string(),
        "--witness-interval".into(),
        "1".into(),
    ];
    let server = Deployment::start(&config);
    let rt = community_ledger::runtime();
    rt.block_on(async {
        let client = server.client();
        let public = client.public();
        let trustee = Trustee::random("管理人甲");
        for fund in FUNDS {
            server.create_fund(fund, &[&trustee], (1, 1, 1)).await;
            for i in 0..3 {
                let reply = client
                    .append(&trustee.donation(fund, &format!("d-{i}"), 1_000 + i))
                    .await
                    .expect("an answer");
                assert_eq!(reply.status, 201, "{}", reply.body);
            }
        }

        // The policy is published beside the log key.
        let published = public
            .get_json("/.well-known/community-ledger")
            .await
            .expect("well-known");
        let wp = &published["witness_policy"];
        assert_eq!(wp["quorum"], "both");
        assert_eq!(wp["policy"], policy_text.as_str());
        let listed: Vec<(&str, &str, &str)> = wp["witnesses"]
            .as_array()
            .expect("witnesses")
            .iter()
            .map(|w| {
                (
                    w["name"].as_str().unwrap_or_default(),
                    w["vkey"].as_str().unwrap_or_default(),
                    w["url"].as_str().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            listed,
            [
                ("committee", committee.vkey.as_str(), committee.url.as_str()),
                ("bureau", bureau.vkey.as_str(), bureau.url.as_str())
            ]
        );

        // Every fund gets a checkpoint cosigned by both, at its newest size.
        for fund in FUNDS {
            let size = latest_size(&public, fund, &log).await;
            assert_eq!(size, 4, "genesis and three donations");
            witnessed_at(&public, fund, size, &log, &policy).await;
        }

        // One witness down: appends go on, without waiting for it.
        bureau.kill();
        let fund = FUNDS[0];
        let before = witnessed_at(&public, fund, 4, &log, &policy).await;
        for i in 10..13 {
            let started = Instant::now();
            let reply = client
                .append(&trustee.donation(fund, &format!("d-{i}"), 2_000 + i))
                .await
                .expect("an answer");
            assert_eq!(reply.status, 201, "{}", reply.body);
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "an append does not wait for the witnesses ({:?})",
                started.elapsed()
            );
        }
        assert_eq!(latest_size(&public, fund, &log).await, 7);
        // The failures are counted and the witnessed checkpoint's age grows.
        let first_age = until(
            "bureau's failures and a growing age in /metrics",
            async || {
                let (_, text) = get_text(&public, "/metrics").await;
                let failures = metric(&text, "ledger_witness_failures_total", "witness", "bureau")?;
                let age = metric(
                    &text,
                    "ledger_witnessed_checkpoint_age_seconds",
                    "fund",
                    fund,
                )?;
                (failures >= 1.0 && age >= 1.0).then_some(age)
            },
        )
        .await;
        until("the age to grow", async || {
            let (_, text) = get_text(&public, "/metrics").await;
            let age = metric(
                &text,
                "ledger_witnessed_checkpoint_age_seconds",
                "fund",
                fund,
            )?;
            (age > first_age).then_some(())
        })
        .await;
        let (_, text) = get_text(&public, "/metrics").await;
        assert!(
            metric(
                &text,
                "ledger_witness_requests_total",
                "witness",
                "committee"
            )
            .is_some_and(|n| n >= 2.0),
            "requests to committee counted:\n{text}"
        );
        assert!(
            text.contains("ledger_witness_request_duration_seconds_bucket{"),
            "latency histogram"
        );
        assert_eq!(
            metric(
                &text,
                "ledger_witnessed_checkpoint_age_seconds",
                "fund",
                FUNDS[1]
            ),
            Some(0.0),
            "the other fund's newest checkpoint is witnessed"
        );
        // The served checkpoint stays the witnessed one; the export ends there.
        let (status, still) = get_text(&public, &format!("/api/v1/funds/{fund}/checkpoint")).await;
        assert_eq!(status, 200);
        assert_eq!(still, before, "the witnessed checkpoint did not advance");
        let export = public.export(fund).await.expect("export");
        let text = String::from_utf8(export).expect("utf-8 export");
        let last: Value =
            serde_json::from_str(text.lines().last().expect("a line")).expect("checkpoint line");
        assert_eq!(last["checkpoint"], before.as_str(), "the export ends at it");
        assert_eq!(
            text.lines().count(),
            1 + 4 + 1,
            "header, 4 entries, checkpoint"
        );

        // Back up: the quorum is met again, at the new size.
        bureau.restart();
        let note = witnessed_at(&public, fund, 7, &log, &policy).await;
        let receipt = public
            .get_json(&format!("/api/v1/funds/{fund}/entries/6/receipt"))
            .await
            .expect("receipt");
        assert_eq!(
            receipt["checkpoint"],
            note.as_str(),
            "the receipt carries it"
        );
        until("the age back to 0", async || {
            let (_, text) = get_text(&public, "/metrics").await;
            let age = metric(
                &text,
                "ledger_witnessed_checkpoint_age_seconds",
                "fund",
                fund,
            )?;
            (age == 0.0).then_some(())
        })
        .await;

        // The server forgets what the witnesses cosigned (rows lost): it asks from size 0,
        // each witness answers 409 with its size, and the retry from there is cosigned.
        let url = format!("sqlite://{}", data_dir.join("ledger.db").display());
        let mut db = sqlx::SqliteConnection::connect(&url)
            .await
            .expect("database");
        let forgotten = sqlx::query("DELETE FROM witness_cosignatures WHERE fund = $1")
            .bind(fund)
            .execute(&mut db)
            .await
            .expect("rows deleted")
            .rows_affected();
        db.close().await.ok();
        assert_eq!(forgotten, 2, "one row per witness");
        let reply = client
            .append(&trustee.donation(fund, "d-20", 3_000))
            .await
            .expect("an answer");
        assert_eq!(reply.status, 201, "{}", reply.body);
        witnessed_at(&public, fund, 8, &log, &policy).await;
        let (_, text) = get_text(&public, "/metrics").await;
        assert_eq!(
            metric(
                &text,
                "ledger_witness_failures_total",
                "witness",
                "committee"
            ),
            None,
            "a 409 that teaches the size is not a failure:\n{text}"
        );
    });
    committee.kill();
}

/// Starts `ledger-server` on `data_dir` with `args` and expects it to exit with an error
/// before serving; returns its stderr.
fn refused_start(data_dir: &Path, args: &[&str]) -> String {
    let log = data_dir.join("refused.log");
    let mut child = Command::new(server_binary())
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .args(["--origin", ORIGIN])
        .args(args)
        .env_remove("LEDGER_WITNESS_POLICY")
        .env_remove("LEDGER_WITNESS_INTERVAL")
        .env_remove("DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(&log).expect("log")))
        .spawn()
        .expect("starting ledger-server");
    let deadline = Instant::now() + DEADLINE;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("ledger-server {args:?} did not refuse to start");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = std::fs::read_to_string(&log).expect("log");
    assert!(
        !status.success(),
        "ledger-server {args:?} exited 0: {stderr}"
    );
    stderr
}

#[test]
fn a_bad_witness_policy_stops_the_start() {
    let place = tempfile::tempdir().expect("temporary folder");
    let data_dir = place.path().join("server");
    let log = write_log_key(&data_dir).verifier().to_vkey();
    write_key_file(
        &data_dir.join("operator.key"),
        &community_ledger::random_key(),
    );
    let witness = CosignerKey::from_seed("witness.example/w", &[7; 32])
        .expect("witness key")
        .verifier()
        .to_vkey();
    let other_log = NoteSigner::new(ORIGIN, community_ledger::random_key())
        .expect("another log key")
        .verifier()
        .to_vkey();
    let cases = [
        (
            format!("log {log}\nwitnes w {witness} http://127.0.0.1:9\nquorum w\n"),
            vec!["witness policy line 2".to_owned()],
        ),
        (
            format!("log {log}\nwitness w {witness} http://127.0.0.1:9\n"),
            vec!["no quorum line".to_owned()],
        ),
        (
            format!("log {other_log}\nwitness w {witness} http://127.0.0.1:9\nquorum w\n"),
            vec![log.clone(), other_log.clone()],
        ),
        (
            format!("log {log}\nwitness w {witness}\nquorum w\n"),
            vec!["witness w in the witness policy has no URL".to_owned()],
        ),
    ];
    for (i, (text, expected)) in cases.iter().enumerate() {
        let file = place.path().join(format!("bad-{i}.policy"));
        std::fs::write(&file, text).expect("writing the policy");
        let stderr = refused_start(
            &data_dir,
            &["--witness-policy", &file.display().to_string()],
        );
        for e in expected {
            assert!(
                stderr.contains(e.as_str()),
                "case {i}: the refusal names {e:?}:\n{stderr}"
            );
        }
        // Nothing was started: no database was created.
        assert!(
            !data_dir.join("ledger.db").exists(),
            "case {i}: a refused start opened no database"
        );
    }
    let stderr = refused_start(&data_dir, &["--witness-interval", "0"]);
    assert!(stderr.contains("--witness-interval"), "{stderr}");
}

/// The README's first command: `--demo` starts its own two witnesses (a residents'
/// committee and the district bureau, in process, with fixed demo keys), publishes a
/// policy that needs both, and every fund's checkpoint gets cosigned by both; after a
/// restart (the witnesses come back on other ports) the witnessed checkpoints still count.
#[test]
fn the_demo_runs_its_own_two_witnesses() {
    let place = tempfile::tempdir().expect("temporary folder");
    let rt = community_ledger::runtime();
    let mut sizes = std::collections::HashMap::new();
    for start in 0..2 {
        let server = community_ledger::Server::start_demo(place.path());
        let client = server.client().public();
        rt.block_on(async {
            let known = client
                .get_json("/.well-known/community-ledger")
                .await
                .expect("the deployment's identity");
            let log = NoteVerifier::from_vkey(known["log_key"].as_str().expect("log_key"))
                .expect("the log key");
            let text = known["witness_policy"]["policy"]
                .as_str()
                .expect("the demo publishes its witness policy");
            let policy = WitnessPolicy::parse(text).expect("the published policy parses");
            let names: Vec<&str> = policy.witnesses().iter().map(|w| w.name.as_str()).collect();
            assert_eq!(names, ["合兴社区居委会", "郫都区民政局"], "{text}");
            assert!(policy.quorum_met_by_names(&names));
            for one in &names {
                assert!(
                    !policy.quorum_met_by_names(&[one]),
                    "one witness is not enough"
                );
            }
            let funds = client.get_json("/api/v1/funds").await.expect("funds");
            let funds = funds["funds"].as_array().expect("fund list");
            assert_eq!(funds.len(), 30);
            for fund in funds {
                let id = fund["id"].as_str().expect("fund id");
                let path = format!("/api/v1/funds/{id}/checkpoint");
                let note = if start == 0 {
                    until(&format!("{id}'s checkpoint witnessed"), async || {
                        let (status, body) = get_text(&client, &path).await;
                        (status == 200).then_some(body)
                    })
                    .await
                } else {
                    // Served at once: the stored cosignatures still meet the policy.
                    let (status, body) = get_text(&client, &path).await;
                    assert_eq!(status, 200, "{id} after a restart: {body}");
                    body
                };
                let check = policy.check_note(&note).expect("the cosignatures verify");
                assert!(
                    check.met,
                    "{id}'s checkpoint meets the demo's quorum:\n{note}"
                );
                let size = size_of(&note, &log);
                if start == 0 {
                    sizes.insert(id.to_owned(), size);
                } else {
                    assert_eq!(Some(&size), sizes.get(id), "{id}: the same witnessed size");
                }
            }
        });
        assert!(
            place
                .path()
                .join("witnesses/hexing-residents-committee")
                .is_dir()
                && place.path().join("witnesses/civil-affairs-bureau").is_dir(),
            "each demo witness keeps its own store in the data folder"
        );
    }
}

/// A second server signing with the same log key shows the witness another history of a
/// fund: the witness, which cosigned a larger checkpoint of that fund, answers 409 with
/// its size; the server raises an alarm (counted), serves no witnessed checkpoint (404
/// `no_witnessed_checkpoint`) and still appends.
#[test]
fn a_witness_ahead_of_the_log_raises_an_alarm() {
    let place = tempfile::tempdir().expect("temporary folder");
    let first_dir = place.path().join("first");
    let signer = write_log_key(&first_dir);
    let second_dir = place.path().join("second");
    std::fs::create_dir_all(&second_dir).expect("data folder");
    community_ledger::copy_key_file(&first_dir.join("log.key"), &second_dir);
    let log = signer.verifier();
    let log_vkey = log.to_vkey();
    let witness = WitnessProcess::create(
        &place.path().join("committee"),
        "witness.example/hexing-committee",
        ORIGIN,
        &log_vkey,
    );
    let policy_text = format!(
        "log {log_vkey}\nwitness committee {} {}\nquorum committee\n",
        witness.vkey, witness.url
    );
    let policy = WitnessPolicy::parse(&policy_text).expect("policy");
    let policy_file = place.path().join("witnesses.policy");
    std::fs::write(&policy_file, &policy_text).expect("writing the policy");
    let config = |dir: &Path| {
        let mut c = ServerConfig::sqlite(dir);
        c.origin = Some(ORIGIN.to_owned());
        c.extra_args = vec![
            "--witness-policy".into(),
            policy_file.display().to_string(),
            "--witness-interval".into(),
            "1".into(),
        ];
        c
    };
    let fund = "split-fund";
    let rt = community_ledger::runtime();
    rt.block_on(async {
        let first = Deployment::start(&config(&first_dir));
        let trustee = Trustee::random("管理人甲");
        first.create_fund(fund, &[&trustee], (1, 1, 1)).await;
        for i in 0..4 {
            let reply = first
                .client()
                .append(&trustee.donation(fund, &format!("a-{i}"), 100 + i))
                .await
                .expect("an answer");
            assert_eq!(reply.status, 201, "{}", reply.body);
        }
        let client = first.client().public();
        let path = format!("/api/v1/funds/{fund}/checkpoint");
        let note = until("the first server's checkpoint witnessed", async || {
            let (status, body) = get_text(&client, &path).await;
            (status == 200 && size_of(&body, &log) == 5).then_some(body)
        })
        .await;
        assert!(policy.check_note(&note).expect("verifies").met);
        drop(first);

        // Another history of the same fund, signed with the same log key.
        let second = Deployment::start(&config(&second_dir));
        let other = Trustee::random("管理人乙");
        second.create_fund(fund, &[&other], (1, 1, 1)).await;
        let client = second.client().public();
        let (_, text) = until("an alarm in /metrics", async || {
            let (_, text) = get_text(&client, "/metrics").await;
            let alarms = metric(&text, "ledger_witness_alarms_total", "witness", "committee")?;
            (alarms >= 1.0).then_some(((), text))
        })
        .await;
        assert!(
            metric(
                &text,
                "ledger_witness_failures_total",
                "witness",
                "committee"
            )
            .is_none(),
            "a 409 is an answer, not a failure:\n{text}"
        );
        let resp = client
            .request(reqwest::Method::GET, &path)
            .send()
            .await
            .expect("an answer");
        let (status, code) = community_ledger::problem_code(resp).await;
        assert_eq!((status, code.as_str()), (404, "no_witnessed_checkpoint"));
        let (status, _) = get_text(&client, "/api/v1/funds/nope/checkpoint").await;
        assert_eq!(status, 404, "an unknown fund is still fund_not_found");
        let reply = second
            .client()
            .append(&other.donation(fund, "b-0", 7))
            .await
            .expect("an answer");
        assert_eq!(reply.status, 201, "appends go on: {}", reply.body);
        let log_text = second.log_tail();
        assert!(
            log_text.contains("ALARM"),
            "logged at error level:\n{log_text}"
        );
    });
}
