//! The service's lifecycle and plumbing on the real server: the OpenAPI document against the
//! served routes, metrics, request ids in the log, the rate limit, and a graceful shutdown
//! that finishes in-flight appends.

use std::collections::HashSet;
use std::sync::Arc;

use community_ledger::{problem_code, Ack, Client, Deployment, Server, ServerConfig, Trustee};
use reqwest::Method;
use serde_json::Value;

#[test]
fn every_documented_operation_is_served_and_nothing_else_is() {
    let server = Deployment::sqlite("service_doc");
    community_ledger::runtime().block_on(async {
        let trustee = Trustee::random("管理人甲");
        server.create_fund("doc-fund", &[&trustee], (1, 1, 1)).await;
        let public = server.client().public();
        let doc = public.get_json("/api/v1/openapi.json").await.expect("doc");
        assert_eq!(doc["openapi"], "3.1.0");
        let paths = doc["paths"].as_object().expect("paths");
        let mut operations = 0;
        let mut ids = HashSet::new();
        for (template, ops) in paths {
            for (method, op) in ops.as_object().expect("methods") {
                operations += 1;
                assert!(ids.insert(op["operationId"].as_str().expect("id").to_owned()));
                let mut path = template
                    .replace("{fund}", "doc-fund")
                    .replace("{seq}", "0")
                    .replace("{id}", "0000000000000000");
                let required: Vec<String> = op["parameters"]
                    .as_array()
                    .expect("parameters")
                    .iter()
                    .filter(|p| p["in"] == "query" && p["required"] == true)
                    .map(|p| format!("{}=0", p["name"].as_str().expect("name")))
                    .collect();
                if !required.is_empty() {
                    path = format!("{path}?{}", required.join("&"));
                }
                let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
                let resp = public
                    .request(m.clone(), &path)
                    .send()
                    .await
                    .expect("answer");
                let (status, code) = problem_code(resp).await;
                assert!(
                    code != "unknown_route" && code != "method_not_allowed" && status < 500,
                    "documented {m} {template} is not served: {status} {code}"
                );
                if op.get("security").is_some() {
                    assert_eq!(status, 401, "{m} {template} needs a token");
                }
            }
        }
        assert!(operations >= 19, "only {operations} operations documented");
        let resp = public
            .request(Method::PUT, "/api/v1/funds")
            .send()
            .await
            .expect("answer");
        assert_eq!(problem_code(resp).await, (405, "method_not_allowed".into()));
        let resp = public
            .request(Method::GET, "/api/v1/nothing")
            .send()
            .await
            .expect("answer");
        assert_eq!(problem_code(resp).await, (404, "unknown_route".into()));
        let resp = public
            .request(Method::GET, "/api/v1/funds/doc-fund/entries/notanumber")
            .send()
            .await
            .expect("answer");
        assert_eq!(problem_code(resp).await, (400, "bad_path".into()));
        let resp = public
            .request(Method::GET, "/api/v1/funds/doc-fund/entries?limit=100000")
            .send()
            .await
            .expect("answer");
        assert_eq!(problem_code(resp).await, (400, "page_size".into()));
        let resp = public
            .request(Method::GET, "/api/v1/funds/doc-fund/entries?colour=red")
            .send()
            .await
            .expect("answer");
        assert_eq!(problem_code(resp).await, (400, "bad_query".into()));
    });
}

/// The statuses the OpenAPI document lists for `method` on `template`.
fn documented_statuses(doc: &Value, method: &str, template: &str) -> Vec<String> {
    doc["paths"][template][method]["responses"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {template} is not documented"))
        .keys()
        .cloned()
        .collect()
}

/// What schema fuzzing (tests/schema_fuzz.rs) found: refusals whose status the document
/// did not list, a request body field it did not allow, and a seq bound it did not state.
#[test]
fn refusals_answer_with_statuses_the_document_lists() {
    let server = Deployment::sqlite("service_statuses");
    community_ledger::runtime().block_on(async {
        let trustee = Trustee::random("管理人甲");
        server
            .create_fund("status-fund", &[&trustee], (1, 1, 1))
            .await;
        let trustee_token = server.issue_token("trustee", Some("status-fund"));
        let public = server.client().public();
        let doc = public.get_json("/api/v1/openapi.json").await.expect("doc");
        let op = public.with_token(&server.operator_token());

        // The donor's copy of a receipt, asked by a trustee of another fund or by the
        // operator: 403.
        let receipt = "/api/v1/funds/{fund}/entries/{seq}/receipt";
        for (who, client) in [
            ("trustee", public.with_token(&trustee_token)),
            ("operator", op.clone()),
        ] {
            let resp = client
                .request(
                    Method::GET,
                    "/api/v1/funds/elsewhere/entries/0/receipt?donor=true",
                )
                .send()
                .await
                .expect("answer");
            assert_eq!(resp.status().as_u16(), 403, "{who}");
            assert_eq!(
                resp.headers()["content-type"],
                "application/problem+json",
                "{who}"
            );
        }
        assert!(
            documented_statuses(&doc, "get", receipt).contains(&"403".to_owned()),
            "GET {receipt} answers 403 but does not document it"
        );

        // A trustee credential for a fund that does not exist: 404.
        let resp = op
            .request(Method::POST, "/api/v1/credentials")
            .json(&serde_json::json!({"role": "trustee", "fund": "no-such-fund", "label": "x"}))
            .send()
            .await
            .expect("answer");
        assert_eq!(problem_code(resp).await, (404, "fund_not_found".into()));
        assert!(
            documented_statuses(&doc, "post", "/api/v1/credentials").contains(&"404".to_owned()),
            "POST /api/v1/credentials answers 404 but does not document it"
        );

        // `"fund": null` is accepted (as no fund), so the document allows it.
        let resp = op
            .request(Method::POST, "/api/v1/credentials")
            .json(&serde_json::json!({"role": "auditor", "fund": null, "label": "x"}))
            .send()
            .await
            .expect("answer");
        assert_eq!(resp.status().as_u16(), 201);
        assert_eq!(
            doc["components"]["schemas"]["IssueRequest"]["properties"]["fund"]["type"],
            serde_json::json!(["string", "null"])
        );

        // A seq is a u64: the document says so, and one past it is a 400.
        let params = doc["paths"]["/api/v1/funds/{fund}/entries/{seq}"]["get"]["parameters"]
            .as_array()
            .expect("parameters");
        let seq = params.iter().find(|p| p["name"] == "seq").expect("seq");
        assert_eq!(seq["schema"]["maximum"], u64::MAX);
        let resp = public
            .request(
                Method::GET,
                "/api/v1/funds/status-fund/entries/18446744073709551616",
            )
            .send()
            .await
            .expect("answer");
        assert_eq!(problem_code(resp).await, (400, "bad_path".into()));
    });
}

/// A listing from a seq past `i64::MAX` is empty: the bound used to wrap to a negative
/// number in SQL and list the fund again from seq 0.
#[test]
fn listings_from_a_seq_past_every_entry_are_empty() {
    let server = Deployment::sqlite("service_bounds");
    community_ledger::runtime().block_on(async {
        let trustee = Trustee::random("管理人甲");
        server
            .create_fund("bound-fund", &[&trustee], (1, 1, 1))
            .await;
        let public = server.client().public();
        for from in [u64::MAX, 1 << 63, i64::MAX as u64] {
            let page = public
                .get_json(&format!("/api/v1/funds/bound-fund/entries?from={from}"))
                .await
                .expect("page");
            assert_eq!(page["entries"], serde_json::json!([]), "from={from}");
            assert_eq!(page["next"], Value::Null, "from={from}");
        }
        let page = public
            .get_json("/api/v1/funds/bound-fund/entries?from=0")
            .await
            .expect("page");
        assert_eq!(
            page["entries"].as_array().map(Vec::len),
            Some(1),
            "the genesis"
        );
    });
}

#[test]
fn metrics_count_appends_and_refusals_and_requests_carry_ids_into_the_log() {
    let server = Deployment::sqlite_with("service_metrics", &["--log-format", "json"]);
    community_ledger::runtime().block_on(async {
        let trustee = Trustee::random("管理人甲");
        server.create_fund("metrics-fund", &[&trustee], (1, 1, 1)).await;
        let client = server.client();
        let r = client
            .append(&trustee.donation("metrics-fund", "m-1", 100))
            .await
            .expect("answer");
        assert_eq!(r.status, 201);
        let r = client
            .public()
            .append(&trustee.donation("metrics-fund", "m-2", 100))
            .await
            .expect("answer");
        assert_eq!(r.status, 401);

        let resp = client
            .public()
            .request(Method::GET, "/metrics")
            .send()
            .await
            .expect("answer");
        assert_eq!(resp.status().as_u16(), 200);
        let text = resp.text().await.expect("text");
        let value = |prefix: &str| -> f64 {
            text.lines()
                .find(|l| l.starts_with(prefix))
                .and_then(|l| l.rsplit(' ').next())
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
        };
        assert_eq!(value("ledger_appends_total{kind=\"donation\"}"), 1.0);
        assert_eq!(value("ledger_appends_total{kind=\"genesis\"}"), 1.0);
        assert_eq!(
            value("ledger_refusals_total{code=\"unauthenticated\",status=\"401\"}"),
            1.0
        );
        assert!(
            value("ledger_request_duration_seconds_count{method=\"POST\",route=\"/api/v1/funds/{fund}/entries\",status=\"201\"}")
                >= 2.0
        );

        let resp = client
            .public()
            .request(Method::GET, "/api/v1/funds/metrics-fund")
            .header("x-request-id", "trace-me-42")
            .send()
            .await
            .expect("answer");
        assert_eq!(
            resp.headers().get("x-request-id").and_then(|v| v.to_str().ok()),
            Some("trace-me-42"),
            "a given request id is echoed"
        );
        let resp = client
            .public()
            .request(Method::GET, "/healthz")
            .send()
            .await
            .expect("answer");
        let id = resp.headers().get("x-request-id").expect("a request id");
        assert_eq!(id.len(), 16, "a fresh id is 16 hex digits");
    });
    let log = std::fs::read_to_string(server.data_dir().join("server.log")).expect("log");
    let line = log
        .lines()
        .find(|l| l.contains("trace-me-42"))
        .unwrap_or_else(|| panic!("the request id is not in the log:\n{log}"));
    let v: Value = serde_json::from_str(line).expect("a JSON log line");
    let span = v["span"].to_string() + &v["spans"].to_string();
    assert!(
        span.contains("metrics-fund"),
        "the span names the fund: {line}"
    );
}

#[test]
fn the_rate_limit_answers_429_per_token() {
    let server = Deployment::sqlite_with(
        "service_rate_limit",
        &["--rate-limit", "1", "--rate-burst", "3"],
    );
    let auditor = server.auditor_token();
    community_ledger::runtime().block_on(async {
        let public = server.client().public();
        let mut statuses = Vec::new();
        for _ in 0..5 {
            let resp = public
                .request(Method::GET, "/api/v1/funds")
                .send()
                .await
                .expect("answer");
            if resp.status().as_u16() == 429 {
                assert!(resp.headers().get("retry-after").is_some());
            }
            statuses.push(problem_code(resp).await);
        }
        assert_eq!(statuses[..3].iter().filter(|s| s.0 == 200).count(), 3);
        assert!(
            statuses[3..].contains(&(429, "rate_limited".into())),
            "{statuses:?}"
        );
        // Another caller has its own bucket.
        let resp = public
            .with_token(&auditor)
            .request(Method::GET, "/api/v1/funds")
            .send()
            .await
            .expect("answer");
        assert_eq!(resp.status().as_u16(), 200);
    });
}

#[test]
fn a_graceful_shutdown_finishes_in_flight_appends() {
    let mut server = Deployment::sqlite("service_shutdown");
    let rt = community_ledger::runtime();
    let trustee = Arc::new(Trustee::random("管理人甲"));
    let client: Client = server.client();
    rt.block_on(server.create_fund("shutdown-fund", &[&trustee], (1, 1, 1)));
    // Each task counts its acknowledgement, so the signal goes out once the server is
    // demonstrably answering appends, with the rest still in flight, however
    // slow the machine (a fixed sleep raced the first connection on CI).
    let answered = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let client = client.clone();
            let trustee = trustee.clone();
            let answered = answered.clone();
            rt.spawn(async move {
                let s = trustee.donation("shutdown-fund", &format!("s-{i}"), 100 + i);
                let result = client.append(&s).await;
                if matches!(&result, Ok(r) if r.status == 201 || r.status == 200) {
                    answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
                (s.key.clone(), result)
            })
        })
        .collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while answered.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "no append was acknowledged within 30 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert!(server.terminate(), "the server exits cleanly on SIGTERM");
    let mut acked: Vec<(String, Ack)> = Vec::new();
    let mut refused_connections = 0;
    for t in tasks {
        let (key, result) = rt.block_on(t).expect("task");
        match result {
            Ok(reply) => {
                assert!(
                    reply.status == 201 || reply.status == 200,
                    "an in-flight append was answered {} {}",
                    reply.status,
                    reply.body
                );
                acked.push((key, reply.ack().expect("ack")));
            }
            Err(_) => refused_connections += 1,
        }
    }
    assert!(!acked.is_empty(), "some appends were in flight");
    server.restart();
    rt.block_on(async {
        let client = server.client();
        for (key, ack) in &acked {
            let e = client
                .get_json(&format!("/api/v1/funds/shutdown-fund/entries/{}", ack.seq))
                .await
                .expect("the acknowledged entry is there");
            assert_eq!(e["hash"], ack.hash.as_str(), "{key}");
        }
        let report = client.verify_export("shutdown-fund").await.expect("export");
        assert!(report.is_clean(), "{:?}", report.findings);
    });
    println!(
        "{} appends acknowledged before shutdown, {refused_connections} refused at the door",
        acked.len()
    );
}

#[test]
fn the_log_key_can_be_given_by_path_and_must_be_private() {
    let first = tempfile::tempdir().expect("temp dir");
    let server = Server::start(first.path());
    let log_key = community_ledger::runtime()
        .block_on(server.client().get_json("/.well-known/community-ledger"))
        .expect("well-known")["log_key"]
        .clone();
    drop(server);

    let keys = tempfile::tempdir().expect("temp dir");
    community_ledger::copy_key_file(&first.path().join("log.key"), keys.path());
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = ServerConfig::sqlite(dir.path());
    let key_path = keys.path().join("log.key");
    config.extra_args = vec!["--log-key-file".into(), key_path.display().to_string()];
    let server = Server::start_with(&config);
    let info = community_ledger::runtime()
        .block_on(server.client().get_json("/api/v1/log"))
        .expect("log");
    assert_eq!(
        info["log_key"], log_key,
        "the given key signs this deployment's checkpoints"
    );
    assert!(
        !dir.path().join("log.key").exists(),
        "no other log key was created"
    );
    drop(server);

    let run = |args: &[&str]| {
        std::process::Command::new(community_ledger::server_binary())
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .args(args)
            .output()
            .expect("ledger-server")
    };
    let missing = run(&["--log-key-file", "/nonexistent/log.key"]);
    assert!(
        !missing.status.success(),
        "a missing log key file stops the server"
    );
    assert!(String::from_utf8_lossy(&missing.stderr).contains("does not exist"));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let open = run(&["--log-key-file", &key_path.display().to_string()]);
    assert!(
        !open.status.success(),
        "a log key others can read stops the server"
    );
    assert!(String::from_utf8_lossy(&open.stderr).contains("readable by others"));
}

#[test]
fn one_server_process_per_sqlite_file() {
    let mut first = Deployment::sqlite("one_server_per_sqlite_file");
    let dir = first.data_dir().to_path_buf();
    let second = |dir: &std::path::Path| {
        std::process::Command::new(community_ledger::server_binary())
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("ledger-server runs")
    };
    let out = second(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "a second server on the same file starts"
    );
    assert!(
        stderr.contains("another ledger-server is already serving this SQLite database"),
        "{stderr}"
    );
    // The short-lived commands still run beside the server.
    let token = first.issue_token("auditor", None);
    assert!(!token.is_empty());
    // However the first one ends (here SIGKILL), the file is free again.
    first.restart();
    let rt = community_ledger::runtime();
    rt.block_on(first.client().get_json("/api/v1/funds"))
        .expect("the restarted server serves");
}
