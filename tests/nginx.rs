//! `deploy/nginx.conf` as shipped, in front of a real server: Debian's nginx run
//! unprivileged (its own folder, random ports, `-g 'daemon off;'`, the pid file in a temp
//! folder) on the file rendered with only its documented `${LEDGER_*}` variables, with a
//! self-signed certificate made here by `openssl`; requests through it with `curl`,
//! checking the certificate.
//!
//! Checked: HTTPS works (and plain HTTP redirects to it); an immutable response is a cache
//! HIT the second time and the server does not see the second request (its request
//! counter for the route); a checkpoint is not served stale beyond its max-age (append,
//! poll, the new one within 5 s and a margin); a request with credentials (a token, a
//! session cookie) is never answered from the cache nor stored in it, and what it got is
//! never served to the public.
//!
//! Skips (prints SKIP) when nginx, openssl or curl is missing, unless
//! `LEDGER_REQUIRE_NGINX=1` (CI installs nginx-light), then it fails.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use community_ledger::{now, sign_value, Deployment, Trustee};
use serde_json::json;

const FUND: &str = "nginx-fund";
/// The server's max-age of changing responses (`ledger_api::caching::SHORT_MAX_AGE_SECS`).
const SHORT_MAX_AGE: Duration = Duration::from_secs(5);
/// How long nginx may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// The nginx binary: on PATH or Debian's /usr/sbin.
fn nginx_binary() -> Option<PathBuf> {
    let candidates = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain([PathBuf::from("/usr/sbin")])
        .map(|d| d.join("nginx"));
    candidates.into_iter().find(|p| p.is_file())
}

fn tool_runs(name: &str, arg: &str) -> bool {
    Command::new(name)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// `deploy/nginx.conf` with each `${NAME}` of `vars` replaced; every `${LEDGER_…}` must
/// be one of them (the documented templating, as `envsubst` with the names listed).
fn render(vars: &HashMap<&str, String>) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/nginx.conf");
    let mut text = std::fs::read_to_string(&path).expect("deploy/nginx.conf");
    for (name, value) in vars {
        text = text.replace(&format!("${{{name}}}"), value);
    }
    assert!(
        !text.contains("${LEDGER_"),
        "a variable of deploy/nginx.conf is not set by the test: {}",
        text.lines().find(|l| l.contains("${LEDGER_")).unwrap_or("")
    );
    text
}

/// nginx, stopped when dropped.
struct Nginx {
    child: Child,
    dir: PathBuf,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Nginx {
    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }
}

/// One answer through curl: status, headers (lower-case names), body.
struct Answer {
    status: u16,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }
}

/// `curl` to `url`, checking the server's certificate against `ca`, with `extra` args.
fn curl(ca: &Path, url: &str, extra: &[&str]) -> Answer {
    let dir = tempfile::tempdir().expect("temp dir");
    let (h, b) = (dir.path().join("h"), dir.path().join("b"));
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "20", "--cacert"])
        .arg(ca)
        .arg("-D")
        .arg(&h)
        .arg("-o")
        .arg(&b)
        .args(["-w", "%{http_code}"])
        .args(extra)
        .arg(url)
        .output()
        .expect("curl runs");
    assert!(
        out.status.success(),
        "curl {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("a status");
    let headers = std::fs::read_to_string(&h)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: std::fs::read(&b).unwrap_or_default(),
    }
}

/// Requests of `route` (an axum path template) the server has answered, from its
/// `/metrics` (asked directly, not through nginx).
fn served(base: &str, route: &str) -> u64 {
    let text = Command::new("curl")
        .args(["-sS", "--max-time", "20"])
        .arg(format!("{base}/metrics"))
        .output()
        .expect("curl runs")
        .stdout;
    String::from_utf8_lossy(&text)
        .lines()
        .filter(|l| l.starts_with("ledger_request_duration_seconds_count"))
        .filter(|l| l.contains(&format!("route=\"{route}\"")))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[test]
fn nginx_serves_https_caches_the_immutable_and_never_the_private() {
    let Some(nginx) = nginx_binary() else {
        assert!(
            std::env::var("LEDGER_REQUIRE_NGINX").as_deref() != Ok("1"),
            "nginx is required (LEDGER_REQUIRE_NGINX=1) but not installed"
        );
        println!("SKIP: nginx is not installed");
        return;
    };
    if !tool_runs("openssl", "version") || !tool_runs("curl", "--version") {
        assert!(
            std::env::var("LEDGER_REQUIRE_NGINX").as_deref() != Ok("1"),
            "openssl and curl are required (LEDGER_REQUIRE_NGINX=1)"
        );
        println!("SKIP: openssl or curl is not installed");
        return;
    }

    // The server, a fund, a donation with the donor's identity in the vault.
    let server = Deployment::sqlite("nginx");
    let base = server.server().base_url().to_owned();
    let auditor = server.auditor_token();
    let rt = community_ledger::runtime();
    let trustee = Trustee::random("管理人甲");
    let client = server.client();
    let seq = rt.block_on(async {
        let token = server
            .create_fund(FUND, &[&trustee], (1, 1, 1))
            .await
            .trustee_token;
        let c = ledger_core::donor::commitment(
            &[7u8; 16],
            &ledger_core::donor::identity_string("王建国", "13700001111"),
        );
        let intent = json!({
            "body": {
                "amount": "66.00", "channel": "cash", "receipt_no": "R-66",
                "donor": {"class": "resident", "commitment": c.to_hex()}
            },
            "fund": FUND, "key": "res-66", "kind": "donation", "signed_at": now().to_string()
        });
        let mut body = sign_value(&intent, &[&trustee.key]).body();
        body["donor_identity"] =
            json!({"salt": hex::encode([7u8; 16]), "name": "王建国", "phone": "13700001111"});
        let resp = client
            .public()
            .with_token(&token)
            .request(
                reqwest::Method::POST,
                &format!("/api/v1/funds/{FUND}/entries"),
            )
            .json(&body)
            .send()
            .await
            .expect("append");
        assert_eq!(resp.status().as_u16(), 201, "the donation is appended");
        resp.json::<serde_json::Value>().await.expect("json")["seq"]
            .as_u64()
            .expect("seq")
    });

    // A self-signed certificate for 127.0.0.1, and nginx on the shipped file.
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(made.success(), "openssl made no certificate");
    let state = dir.path().join("nginx");
    std::fs::create_dir_all(&state).expect("nginx folder");
    let (http_port, https_port) = (free_port(), free_port());
    let user = String::from_utf8(
        Command::new("id")
            .arg("-un")
            .output()
            .expect("id runs")
            .stdout,
    )
    .expect("a user name")
    .trim()
    .to_owned();
    let vars: HashMap<&str, String> = [
        ("LEDGER_NGINX_USER", user),
        ("LEDGER_NGINX_DIR", state.display().to_string()),
        ("LEDGER_SERVER_NAME", "127.0.0.1".to_owned()),
        ("LEDGER_HTTP_PORT", format!("127.0.0.1:{http_port}")),
        ("LEDGER_HTTPS_PORT", format!("127.0.0.1:{https_port}")),
        ("LEDGER_TLS_CERT", cert.display().to_string()),
        ("LEDGER_TLS_KEY", key.display().to_string()),
        (
            "LEDGER_UPSTREAM",
            base.trim_start_matches("http://").to_owned(),
        ),
    ]
    .into_iter()
    .collect();
    let conf = dir.path().join("nginx.conf");
    std::fs::write(&conf, render(&vars)).expect("config written");
    let nginx_args = |test: bool| {
        let mut c = Command::new(&nginx);
        if test {
            c.arg("-t");
        }
        c.arg("-p")
            .arg(&state)
            .arg("-c")
            .arg(&conf)
            .args(["-g", "daemon off;"]);
        c
    };
    let checked = nginx_args(true).output().expect("nginx -t runs");
    assert!(
        checked.status.success(),
        "nginx -t refuses deploy/nginx.conf: {}",
        String::from_utf8_lossy(&checked.stderr)
    );
    let proxy = Nginx {
        child: nginx_args(false)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts"),
        dir: state.clone(),
    };
    let https = format!("https://127.0.0.1:{https_port}");
    let deadline = Instant::now() + START_TIMEOUT;
    while std::net::TcpStream::connect(("127.0.0.1", https_port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nginx did not listen: {}",
            proxy.error_log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // HTTPS works, with the certificate checked; plain HTTP redirects to it.
    let health = curl(&cert, &format!("{https}/healthz"), &[]);
    assert_eq!(health.status, 200, "{}", proxy.error_log());
    assert!(health
        .header("strict-transport-security")
        .starts_with("max-age="));
    let plain = curl(&cert, &format!("http://127.0.0.1:{http_port}/healthz"), &[]);
    assert_eq!(plain.status, 301);
    assert!(plain.header("location").starts_with("https://"));

    // An immutable response: MISS, then HIT without reaching the server.
    let entry_route = "/api/v1/funds/{fund}/entries/{seq}";
    let entry = format!("{https}/api/v1/funds/{FUND}/entries/{seq}");
    let before = served(&base, entry_route);
    let first = curl(&cert, &entry, &[]);
    assert_eq!(first.status, 200);
    assert_eq!(first.header("x-cache-status"), "MISS");
    assert!(first.header("cache-control").contains("immutable"));
    assert_eq!(
        served(&base, entry_route),
        before + 1,
        "the server saw the first"
    );
    let second = curl(&cert, &entry, &[]);
    assert_eq!(second.status, 200);
    assert_eq!(second.header("x-cache-status"), "HIT");
    assert_eq!(second.body, first.body);
    assert_eq!(second.header("etag"), first.header("etag"));
    assert_eq!(
        served(&base, entry_route),
        before + 1,
        "the second request was served by nginx alone"
    );

    // A checkpoint is cached no longer than its max-age: after an append, the new one
    // is served within max-age (and a margin for the polling).
    let checkpoint = format!("{https}/api/v1/funds/{FUND}/checkpoint/latest");
    let cached_at = Instant::now();
    let old = curl(&cert, &checkpoint, &[]);
    assert_eq!(old.status, 200);
    assert!(old.header("cache-control").contains("max-age=5"));
    let again = curl(&cert, &checkpoint, &[]);
    assert_eq!(again.body, old.body, "within its max-age");
    rt.block_on(async {
        client
            .append(&trustee.donation(FUND, "after-cache", 1_000))
            .await
            .expect("append")
            .ack()
            .expect("appended");
    });
    let limit = SHORT_MAX_AGE + Duration::from_secs(3);
    loop {
        let now = curl(&cert, &checkpoint, &[]);
        assert_eq!(now.status, 200);
        if now.body != old.body {
            println!(
                "new checkpoint after {:?} ({})",
                cached_at.elapsed(),
                now.header("x-cache-status")
            );
            break;
        }
        assert!(
            cached_at.elapsed() < limit,
            "the old checkpoint was still served {:?} after it was cached",
            cached_at.elapsed()
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // Private: with a token, never from the cache nor into it; what it got is never
    // served to the public.
    let donor = format!("{https}/api/v1/funds/{FUND}/entries/{seq}/receipt?donor=true");
    let bearer = format!("Authorization: Bearer {auditor}");
    for _ in 0..2 {
        let got = curl(&cert, &donor, &["-H", &bearer]);
        assert_eq!(got.status, 200, "the auditor gets the donor's copy");
        assert_eq!(got.header("x-cache-status"), "BYPASS");
        assert_eq!(got.header("cache-control"), "private, no-store");
        assert!(String::from_utf8_lossy(&got.body).contains("13700001111"));
    }
    let public = curl(&cert, &donor, &[]);
    assert_eq!(public.status, 401, "the public never gets the donor's copy");
    assert!(!String::from_utf8_lossy(&public.body).contains("13700001111"));
    let vault = format!("{https}/api/v1/funds/{FUND}/vault");
    for _ in 0..2 {
        let got = curl(&cert, &vault, &["-H", &bearer]);
        assert_eq!(got.status, 200);
        assert_eq!(got.header("x-cache-status"), "BYPASS");
    }
    assert_eq!(curl(&cert, &vault, &[]).status, 401);
    // A public URL asked with a session cookie: bypassed, and not stored for the public.
    let page = format!("{https}/funds/{FUND}");
    let with_session = curl(&cert, &page, &["-H", "Cookie: lang=en; session=abc"]);
    assert_eq!(with_session.header("x-cache-status"), "BYPASS");
    assert_eq!(with_session.header("cache-control"), "private, no-store");
    let anyone = curl(&cert, &page, &[]);
    assert_eq!(
        anyone.header("x-cache-status"),
        "MISS",
        "nothing was stored"
    );
    assert_eq!(curl(&cert, &page, &[]).header("x-cache-status"), "HIT");
    drop(proxy);
}
