//! Headless Chromium for the browser tests (`tests/pages.rs`, `tests/verify_js.rs`):
//! chromedriver on a free loopback port and a fantoccini session through it. Included by
//! each test file as a module (`#[path = "support/browser.rs"] mod browser;`): fantoccini
//! is a dev-dependency, so this cannot live in the support library itself.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{Client as Browser, ClientBuilder};
use serde_json::{json, Value};

/// How long chromedriver may take to listen.
const DRIVER_START_TIMEOUT: Duration = Duration::from_secs(30);

fn tool(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

/// The browser and its driver, or `None` (after SKIP) when they are not installed.
pub fn browser_tools() -> Option<(PathBuf, PathBuf)> {
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
    eprintln!("SKIP: browser test: {why}");
    None
}

/// chromedriver on a free loopback port; killed on drop.
pub struct Driver {
    child: Child,
    /// The port chromedriver listens on.
    pub port: u16,
}

impl Driver {
    /// Starts chromedriver `binary`, its output to `log`, and waits (with a deadline)
    /// until it listens.
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
    let caps = json!({
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
