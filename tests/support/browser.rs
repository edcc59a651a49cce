//! The browser tests' shared helpers (headless Chromium through chromedriver, driven with
//! fantoccini): used by `tests/pages.rs`, `tests/verify_js.rs`, `tests/workspace.rs` and
//! `tests/workspace_inbox.rs` as a module (the workspace's form helpers — [`record`],
//! [`set_fields`], [`poll`] — by `tests/workspace.rs` and the demo trustee's step of
//! `tests/pages.rs`)
//! (`#[path = "support/browser.rs"] mod browser;`), so the support library needs no
//! browser dependency.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{Client as Browser, ClientBuilder, Locator};
use serde_json::{json, Value};

/// How long chromedriver may take to listen.
const DRIVER_START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a page element may take to appear.
pub const ELEMENT_TIMEOUT: Duration = Duration::from_secs(30);

fn tool(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

/// The browser and its driver, or `None` (after SKIP) when they are not installed.
pub fn browser_tools(what: &str) -> Option<(PathBuf, PathBuf)> {
    let chromium = tool("LEDGER_CHROMIUM", "/usr/bin/chromium");
    let driver = tool("LEDGER_CHROMEDRIVER", "/usr/bin/chromedriver");
    if chromium.is_file() && driver.is_file() {
        return Some((chromium, driver));
    }
    let why = format!(
        "{} or {} not found (apt-get install chromium chromium-driver)",
        chromium.display(),
        driver.display()
    );
    assert!(
        std::env::var("LEDGER_REQUIRE_BROWSER").as_deref() != Ok("1"),
        "LEDGER_REQUIRE_BROWSER=1 but {why}"
    );
    eprintln!("SKIP: {what} browser test: {why}");
    None
}

/// chromedriver on a free loopback port; killed on drop.
pub struct Driver {
    child: Child,
    /// The port it listens on.
    pub port: u16,
}

impl Driver {
    /// Starts chromedriver, logging to `log`, and waits until it listens.
    pub fn start(binary: &Path, log: &Path) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let log_file = std::fs::File::create(log).expect("driver log");
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log_file.try_clone().expect("log")))
            .stderr(Stdio::from(log_file))
            .spawn()
            .expect("starting chromedriver");
        let deadline = Instant::now() + DRIVER_START_TIMEOUT;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless Chromium session through `driver`, with its profile in `profile`.
pub async fn open_browser(chromium: &Path, driver: &Driver, profile: &Path) -> Browser {
    open_browser_with(chromium, driver, profile, false).await
}

/// [`open_browser`], with Chromium's DevTools network events kept in its performance log
/// when `network_log` (read them with [`network_log`]).
pub async fn open_browser_with(
    chromium: &Path,
    driver: &Driver,
    profile: &Path,
    network_log: bool,
) -> Browser {
    let mut caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium.display().to_string(),
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1024,1400",
                format!("--user-data-dir={}", profile.display()),
            ],
        },
    });
    if network_log {
        caps["goog:loggingPrefs"] = json!({"performance": "ALL"});
        caps["goog:chromeOptions"]["perfLoggingPrefs"] =
            json!({"enableNetwork": true, "enablePage": false});
    }
    let caps = match caps {
        Value::Object(m) => m,
        _ => unreachable!("an object literal"),
    };
    let b = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a browser session");
    b.update_timeouts(TimeoutConfiguration::new(
        Some(Duration::from_secs(120)),
        Some(Duration::from_secs(60)),
        None,
    ))
    .await
    .expect("timeouts");
    b
}

/// Runs `script` (async: its last argument is the callback) in the page; returns its value.
pub async fn js(b: &Browser, script: &str, args: Vec<Value>) -> Value {
    b.execute_async(script, args)
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
}

/// Sets form fields by name (selects, dates and text alike) and fires their change events.
pub async fn set_fields(b: &Browser, fields: &[(&str, &str)]) {
    let pairs: Vec<Value> = fields.iter().map(|(k, v)| json!([k, v])).collect();
    js(
        b,
        r#"const [pairs, done] = arguments;
        const form = document.getElementById('record-form');
        for (const [name, value] of pairs) {
          const el = form.elements[name];
          if (!el) { done('no field ' + name); return; }
          if (el.type === 'checkbox') el.checked = value === 'true'; else el.value = value;
          el.dispatchEvent(new Event('change', { bubbles: true }));
        }
        done('ok');"#,
        vec![Value::Array(pairs)],
    )
    .await;
}

/// Waits until `css` matches an element and returns it.
pub async fn wait_for(b: &Browser, css: &str) -> fantoccini::elements::Element {
    b.wait()
        .at_most(ELEMENT_TIMEOUT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
}

/// Polls `f` until it returns `Some`, at most `ELEMENT_TIMEOUT`.
pub async fn poll<T, F: AsyncFn() -> Option<T>>(what: &str, f: F) -> T {
    let deadline = Instant::now() + ELEMENT_TIMEOUT;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What a form ended with.
#[derive(Debug)]
pub enum Outcome {
    /// Appended as this seq.
    Recorded(u64),
    /// Proposed (co-signatures needed).
    Proposed,
    /// Refused before signing: the code and text shown beside `field`.
    Refused {
        field: String,
        code: String,
        text: String,
    },
}

/// Opens the form of `kind`, fills `fields`, reviews, checks the review shows the plain
/// words and the canonical JSON, and signs.
pub async fn record(b: &Browser, base: &str, kind: &str, fields: &[(&str, &str)]) -> Outcome {
    b.goto(&format!("{base}/trustee/record?kind={kind}"))
        .await
        .expect("form");
    wait_for(b, "#record-form #review").await;
    set_fields(b, fields).await;
    b.find(Locator::Css("#review"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The review, or a refusal beside a field.
    let refused = poll("the review or a refusal", async || {
        let v = js(
            b,
            r#"const done = arguments[0];
            const box = document.getElementById('review-box');
            if (box && !box.hidden && document.getElementById('what-you-sign')) { done({review: true}); return; }
            const err = [...document.querySelectorAll('#record-form .field-error')].find((e) => e.textContent);
            done(err ? {field: err.id.replace('err-', ''), code: err.getAttribute('data-code') || '', text: err.textContent} : null);"#,
            vec![],
        )
        .await;
        (!v.is_null()).then_some(v)
    })
    .await;
    if refused["review"] != true {
        return Outcome::Refused {
            field: refused["field"].as_str().unwrap().to_owned(),
            code: refused["code"].as_str().unwrap().to_owned(),
            text: refused["text"].as_str().unwrap().to_owned(),
        };
    }
    let words = text_of(b, "#plain-words").await;
    assert!(!words.is_empty(), "{kind}: plain words");
    let canonical = text_of(b, "#what-you-sign").await;
    let parsed: Value = serde_json::from_str(&canonical).expect("the canonical JSON parses");
    assert_eq!(parsed["kind"], kind);
    assert_eq!(
        String::from_utf8(ledger_core::canonical::canonicalize(&parsed)).unwrap(),
        canonical,
        "{kind}: what is shown is canonical"
    );
    b.find(Locator::Css("#sign"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let done = wait_for(b, "#done-box").await;
    match done.attr("data-seq").await.unwrap() {
        Some(seq) => Outcome::Recorded(seq.parse().unwrap()),
        None => Outcome::Proposed,
    }
}

/// `<target>/screenshots/`, created.
pub fn screenshots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
        PathBuf::from,
    );
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshots folder");
    dir
}

/// Saves a screenshot of the page as `<target>/screenshots/<name>.png`.
pub async fn screenshot(b: &Browser, name: &str) {
    let png = b.screenshot().await.expect("screenshot");
    let path = screenshots_dir().join(format!("{name}.png"));
    std::fs::write(&path, png).expect("writing the screenshot");
    eprintln!("screenshot: {}", path.display());
}

/// The page does not scroll sideways.
pub async fn fits(b: &Browser, what: &str) {
    let v = js(
        b,
        "arguments[0]([document.documentElement.scrollWidth, window.innerWidth]);",
        vec![],
    )
    .await;
    let (scroll, inner) = (v[0].as_u64().unwrap(), v[1].as_u64().unwrap());
    assert!(
        scroll <= inner,
        "{what}: {scroll} px wide in a {inner} px window"
    );
}

/// The page's `<html lang>`.
pub async fn html_lang(b: &Browser) -> String {
    b.find(Locator::Css("html"))
        .await
        .expect("html")
        .attr("lang")
        .await
        .expect("lang attribute")
        .unwrap_or_default()
}

/// The text of the first element matching `css`, waiting for it.
pub async fn text_of(b: &Browser, css: &str) -> String {
    b.wait()
        .at_most(ELEMENT_TIMEOUT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("text")
}

/// Drains Chromium's performance log (kept when the browser was opened with
/// [`open_browser_with`]`(…, true)`): every DevTools event since the last call, each as
/// its `message` object (`{"method": "Network.requestWillBeSent", "params": …}`).
pub async fn network_log(b: &Browser, driver: &Driver) -> Vec<Value> {
    let id = b
        .session_id()
        .await
        .expect("session id")
        .expect("a session");
    let url = format!("http://127.0.0.1:{}/session/{id}/se/log", driver.port);
    let resp: Value = reqwest::Client::new()
        .post(url)
        .json(&json!({"type": "performance"}))
        .send()
        .await
        .expect("chromedriver answers")
        .json()
        .await
        .expect("JSON");
    resp["value"]
        .as_array()
        .expect("log entries")
        .iter()
        .filter_map(|e| e["message"].as_str())
        .filter_map(|m| serde_json::from_str::<Value>(m).ok())
        .map(|m| m["message"].clone())
        .collect()
}

/// A page under `dir` that loads the residents' verifier, `ledger-api/static/verify.js`,
/// as it is in the source tree (no server): its URL, for [`Browser::goto`].
pub fn verify_js_page(dir: &Path) -> String {
    let page = dir.join("verify.html");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("ledger-api/static/verify.js");
    std::fs::write(
        &page,
        format!(
            "<!doctype html><meta charset=utf-8><title>verify.js</title><script src=\"file://{}\"></script>",
            script.display()
        ),
    )
    .expect("test page");
    format!("file://{}", page.display())
}
