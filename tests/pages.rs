//! The residents' pages in a real browser (headless Chromium through chromedriver, driven
//! with fantoccini over plain HTTP on loopback), on the demo's 30 funds:
//!
//! - the overview lists 30 funds; a fund page shows its signed statement, signers and the
//!   balance chart; the printable statement has its QR code;
//! - the language switch sets a cookie that later pages remember;
//! - a resident donor's receipt pasted into `/check` is verified *in the browser*; the
//!   same receipt with one changed byte, uploaded as a file, fails with its reason;
//! - two implementations, one answer: the page's own JavaScript verifier
//!   (`window.ledgerVerify`) and ledger-core agree on every Merkle and signed-note vector
//!   of `../shared/vectors` (and on mutations of the notes).
//!
//! Screenshots of each page go to `target/screenshots/`. Without `/usr/bin/chromium` and
//! `/usr/bin/chromedriver` (or `LEDGER_CHROMIUM`, `LEDGER_CHROMEDRIVER`) the test prints
//! SKIP, unless `LEDGER_REQUIRE_BROWSER=1` (CI), when it fails.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use community_ledger::{fetch_receipt, first_resident_donation, Server};
use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{Client as Browser, ClientBuilder, Locator};
use ledger_core::hash::{sha256, Hash};
use ledger_core::merkle::{verify_consistency, verify_inclusion};
use ledger_core::note::{open_note, sign_note, NoteSigner, NoteVerifier};
use serde_json::{json, Value};

/// How long chromedriver may take to listen.
const DRIVER_START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a page element may take to appear.
const ELEMENT_TIMEOUT: Duration = Duration::from_secs(30);

fn tool(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

/// The browser and its driver, or `None` (after SKIP) when they are not installed.
fn browser_tools() -> Option<(PathBuf, PathBuf)> {
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
    eprintln!("SKIP: residents' pages browser test: {why}");
    None
}

/// chromedriver on a free loopback port; killed on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start(binary: &Path, log: &Path) -> Driver {
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

fn screenshots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
        PathBuf::from,
    );
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshots folder");
    dir
}

async fn screenshot(b: &Browser, name: &str) {
    let png = b.screenshot().await.expect("screenshot");
    let path = screenshots_dir().join(format!("{name}.png"));
    std::fs::write(&path, png).expect("writing the screenshot");
    eprintln!("screenshot: {}", path.display());
}

async fn html_lang(b: &Browser) -> String {
    b.find(Locator::Css("html"))
        .await
        .expect("html")
        .attr("lang")
        .await
        .expect("lang attribute")
        .unwrap_or_default()
}

async fn text_of(b: &Browser, css: &str) -> String {
    b.wait()
        .at_most(ELEMENT_TIMEOUT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("text")
}

/// Pastes `receipt` into /check, presses Verify, and returns the verdict element's
/// `data-result`, `data-code` and text.
async fn verdict(b: &Browser) -> (String, String, String) {
    let v = b
        .wait()
        .at_most(ELEMENT_TIMEOUT)
        .for_element(Locator::Css("#verdict"))
        .await
        .expect("a verdict");
    (
        v.attr("data-result")
            .await
            .expect("attr")
            .unwrap_or_default(),
        v.attr("data-code").await.expect("attr").unwrap_or_default(),
        v.text().await.expect("text"),
    )
}

// ---- the vectors, answered by ledger-core ------------------------------------------

fn vectors_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("LEDGER_VECTORS_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/vectors"),
        PathBuf::from,
    );
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIP: vectors not found at {} (set LEDGER_VECTORS_DIR)",
            dir.display()
        );
        None
    }
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("vector file")).expect("JSON")
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("vector folder") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// As `ledger-core/tests/vectors_merkle.rs`: a byte string that is not 32 bytes stands for
/// a hash equal to nothing real.
fn lenient_hash(bytes: &[u8]) -> Hash {
    match <[u8; 32]>::try_from(bytes) {
        Ok(a) => Hash(a),
        Err(_) => {
            let mut tagged = b"not a 32-byte hash:".to_vec();
            tagged.extend_from_slice(bytes);
            sha256(&tagged)
        }
    }
}

fn b64(v: &Value) -> Vec<u8> {
    B64.decode(v.as_str().expect("base64")).expect("base64")
}

fn list(v: &Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}

/// Every Merkle case as `{kind, ...hex fields}` with ledger-core's verdict.
fn merkle_cases(dir: &Path) -> Vec<(Value, bool)> {
    let mut cases = Vec::new();
    let hexes = |v: &Value| -> Vec<String> {
        list(v)
            .iter()
            .map(|h| h.as_str().expect("hex").to_owned())
            .collect()
    };
    let rfc = read_json(&dir.join("merkle/rfc6962_8leaf_tree.json"));
    for p in list(&rfc["inclusion_proofs"]) {
        let proof: Vec<Hash> = hexes(&p["proof"])
            .iter()
            .map(|h| Hash::from_hex(h).expect("hash"))
            .collect();
        let ok = verify_inclusion(
            &Hash::from_hex(p["leaf_hash"].as_str().expect("hex")).expect("hash"),
            p["leaf_index"].as_u64().expect("index"),
            p["tree_size"].as_u64().expect("size"),
            &proof,
            &Hash::from_hex(p["root"].as_str().expect("hex")).expect("hash"),
        )
        .is_ok();
        cases.push((
            json!({"kind": "inclusion", "index": p["leaf_index"], "size": p["tree_size"],
                   "leaf": p["leaf_hash"], "root": p["root"], "proof": hexes(&p["proof"])}),
            ok,
        ));
    }
    for p in list(&rfc["consistency_proofs"]) {
        let proof: Vec<Hash> = hexes(&p["proof"])
            .iter()
            .map(|h| Hash::from_hex(h).expect("hash"))
            .collect();
        let ok = verify_consistency(
            p["size1"].as_u64().expect("size1"),
            p["size2"].as_u64().expect("size2"),
            &proof,
            &Hash::from_hex(p["root1"].as_str().expect("hex")).expect("hash"),
            &Hash::from_hex(p["root2"].as_str().expect("hex")).expect("hash"),
        )
        .is_ok();
        cases.push((
            json!({"kind": "consistency", "size1": p["size1"], "size2": p["size2"],
                   "root1": p["root1"], "root2": p["root2"], "proof": hexes(&p["proof"])}),
            ok,
        ));
    }
    let probes = dir.join("merkle/transparency-dev-testdata");
    let to_hex = |v: &Value| hex::encode(b64(v));
    let proof_hex =
        |v: &Value| -> Vec<String> { list(v).iter().map(|p| hex::encode(b64(p))).collect() };
    let proof_hashes =
        |v: &Value| -> Vec<Hash> { list(v).iter().map(|p| lenient_hash(&b64(p))).collect() };
    for path in json_files(&probes.join("inclusion")) {
        let v = read_json(&path);
        let ok = <[u8; 32]>::try_from(b64(&v["leafHash"]).as_slice()).is_ok_and(|leaf| {
            verify_inclusion(
                &Hash(leaf),
                v["leafIdx"].as_u64().expect("index"),
                v["treeSize"].as_u64().expect("size"),
                &proof_hashes(&v["proof"]),
                &lenient_hash(&b64(&v["root"])),
            )
            .is_ok()
        });
        cases.push((
            json!({"kind": "inclusion", "index": v["leafIdx"], "size": v["treeSize"],
                   "leaf": to_hex(&v["leafHash"]), "root": to_hex(&v["root"]),
                   "proof": proof_hex(&v["proof"]), "file": path.display().to_string()}),
            ok,
        ));
    }
    for path in json_files(&probes.join("consistency")) {
        let v = read_json(&path);
        let ok = verify_consistency(
            v["size1"].as_u64().expect("size1"),
            v["size2"].as_u64().expect("size2"),
            &proof_hashes(&v["proof"]),
            &lenient_hash(&b64(&v["root1"])),
            &lenient_hash(&b64(&v["root2"])),
        )
        .is_ok();
        cases.push((
            json!({"kind": "consistency", "size1": v["size1"], "size2": v["size2"],
                   "root1": to_hex(&v["root1"]), "root2": to_hex(&v["root2"]),
                   "proof": proof_hex(&v["proof"]), "file": path.display().to_string()}),
            ok,
        ));
    }
    cases
}

/// ledger-core's answer on a note: the names that verified it, or `None` if refused.
fn core_open(note: &str, vkeys: &[String]) -> Option<Vec<String>> {
    let keys: Result<Vec<NoteVerifier>, _> =
        vkeys.iter().map(|k| NoteVerifier::from_vkey(k)).collect();
    open_note(note, &keys.ok()?).ok().map(|o| o.verified_by)
}

/// Every signed-note case `{note, vkeys}` with ledger-core's answer: the vectors, each
/// one with one changed text byte and with one flipped signature bit, the bad vkeys, and
/// notes freshly signed with the other test keys.
fn note_cases(dir: &Path) -> Vec<(Value, Option<Vec<String>>)> {
    let doc = read_json(&dir.join("signed-note/signed_note_vectors.json"));
    let mut cases = Vec::new();
    let mut push = |note: String, vkeys: Vec<String>| {
        let want = core_open(&note, &vkeys);
        cases.push((json!({"note": note, "vkeys": vkeys}), want));
    };
    for v in list(&doc["vectors"]) {
        let note = v["note"].as_str().expect("note").to_owned();
        let text_len = v["text"].as_str().expect("text").len();
        let vkeys: Vec<String> = list(&v["vkeys"])
            .iter()
            .map(|k| k.as_str().expect("vkey").to_owned())
            .collect();
        push(note.clone(), vkeys.clone());
        let bytes = note.as_bytes();
        for i in (0..text_len).step_by(7) {
            if bytes[i].is_ascii_graphic() || bytes[i] == b' ' {
                let mut m = bytes.to_vec();
                m[i] = if bytes[i] == b'x' { b'y' } else { b'x' };
                push(String::from_utf8(m).expect("utf-8"), vkeys.clone());
            }
        }
        let block = &note[text_len + 1..];
        for (li, line) in block.lines().enumerate() {
            let (prefix, sig64) = line.rsplit_once(' ').expect("signature line");
            let blob = B64.decode(sig64).expect("base64");
            for bit in [0, 31, 32, 100, 8 * blob.len() - 1] {
                let mut b = blob.clone();
                b[bit / 8] ^= 1 << (bit % 8);
                let changed = format!("{prefix} {}", B64.encode(&b));
                let mut lines: Vec<&str> = block.lines().collect();
                lines[li] = &changed;
                push(
                    format!("{}\n{}\n", &note[..text_len], lines.join("\n")),
                    vkeys.clone(),
                );
            }
        }
    }
    for bad in list(&doc["bad_vkeys"]["vkeys"]) {
        let first = &list(&doc["vectors"])[0];
        push(
            first["note"].as_str().expect("note").to_owned(),
            vec![bad.as_str().expect("vkey").to_owned()],
        );
    }
    for p in list(&doc["other_test_keys"]["pairs"]) {
        let signer =
            NoteSigner::from_private_key_string(p["skey"].as_str().expect("skey")).expect("skey");
        let note = sign_note("hello\n", &[&signer]).expect("sign");
        push(note, vec![p["vkey"].as_str().expect("vkey").to_owned()]);
    }
    cases
}

const RUN_MERKLE: &str = r#"
const [cases, done] = arguments;
const V = window.ledgerVerify;
const h = (x) => V.hexToBytes(x);
(async () => {
  const out = [];
  for (const c of cases) {
    if (c.kind === 'inclusion') {
      out.push(await V.merkleInclusion(c.index, c.size, h(c.leaf), c.proof.map(h), h(c.root)));
    } else {
      out.push(await V.merkleConsistency(c.size1, c.size2, c.proof.map(h), h(c.root1), h(c.root2)));
    }
  }
  return out;
})().then(done, (e) => done('error: ' + e));
"#;

const RUN_NOTES: &str = r#"
const [cases, done] = arguments;
(async () => {
  const out = [];
  for (const c of cases) {
    const r = await window.ledgerVerify.verifyNote(c.note, c.vkeys);
    out.push(r.ok ? r.verified_by : null);
  }
  return out;
})().then(done, (e) => done('error: ' + e));
"#;

#[test]
fn residents_pages_in_a_browser() {
    let Some((chromium, chromedriver)) = browser_tools() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start_demo(dir.path());
    let base = server.base_url().to_owned();
    let profile = tempfile::tempdir().expect("browser profile");
    let driver = Driver::start(&chromedriver, &dir.path().join("chromedriver.log"));
    let rt = community_ledger::runtime();
    rt.block_on(async {
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium.display().to_string(),
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1024,1400",
                    format!("--user-data-dir={}", profile.path().display()),
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

        // The overview: 30 funds, in Chinese by default.
        b.goto(&format!("{base}/")).await.expect("overview");
        assert_eq!(html_lang(&b).await, "zh-CN");
        let cards = b
            .find_all(Locator::Css("#funds li.fund-card"))
            .await
            .expect("cards");
        assert_eq!(cards.len(), 30, "the overview lists the 30 demo funds");
        let page = b.source().await.expect("source");
        assert!(
            page.contains("犀浦街道社区发展基金"),
            "the street fund is listed"
        );
        assert!(!page.contains("<script"), "the overview needs no script");
        let banner = text_of(&b, "#demo-banner").await;
        assert!(banner.contains("演示数据"), "the demo says so: {banner}");
        screenshot(&b, "overview").await;

        // A fund page: its signed statement with signers, and the chart.
        b.goto(&format!("{base}/funds/xipu-street"))
            .await
            .expect("fund page");
        let statement = text_of(&b, "#statement").await;
        assert!(statement.contains("期末余额"), "{statement}");
        let signers = text_of(&b, "#statement .signers").await;
        assert!(
            !signers.trim().is_empty(),
            "the statement names its signers"
        );
        let points = b
            .find_all(Locator::Css("svg.chart circle"))
            .await
            .expect("chart points");
        assert!(points.len() > 12, "a point per month: {}", points.len());
        let title = text_of(&b, "svg.chart title").await;
        assert!(!title.is_empty(), "the chart has a title");
        let recent = b
            .find_all(Locator::Css("#recent tbody tr"))
            .await
            .expect("rows");
        assert_eq!(recent.len(), 20, "a page of recent entries");
        let source = b.source().await.expect("source");
        assert!(source.contains("居民"), "resident donors are shown as 居民");
        screenshot(&b, "fund").await;

        // Older entries (?from=).
        b.find(Locator::Css(".pager a[rel=next]"))
            .await
            .expect("older link")
            .click()
            .await
            .expect("click");
        assert!(b
            .current_url()
            .await
            .expect("url")
            .as_str()
            .contains("from="));

        // The printable statement with its QR code.
        b.goto(&format!("{base}/funds/xipu-street"))
            .await
            .expect("fund page");
        b.find(Locator::Css("#statement a.button"))
            .await
            .expect("printable link")
            .click()
            .await
            .expect("click");
        b.wait()
            .at_most(ELEMENT_TIMEOUT)
            .for_element(Locator::Css("figure.qr svg"))
            .await
            .expect("a QR code");
        let url = text_of(&b, "figure.qr .url").await;
        assert!(
            url.starts_with(&format!("{base}/check?fund=xipu-street&seq=")),
            "the QR code leads to the check page of this host: {url}"
        );
        screenshot(&b, "statement").await;

        // Following the QR code verifies the statement's public receipt in the browser.
        b.goto(&url).await.expect("the QR code's page");
        let (result, code, shown) = verdict(&b).await;
        assert_eq!(result, "pass", "{code}: {shown}");
        let seq = url.rsplit('=').next().expect("seq");
        assert!(shown.contains(&format!("#{seq}")), "{shown}");
        screenshot(&b, "check-statement").await;

        // The language switch is remembered across pages.
        b.goto(&format!("{base}/")).await.expect("overview");
        b.find(Locator::Id("lang-switch"))
            .await
            .expect("switch")
            .click()
            .await
            .expect("click");
        b.wait()
            .at_most(ELEMENT_TIMEOUT)
            .for_element(Locator::Css("html[lang=en]"))
            .await
            .expect("English after the switch");
        assert_eq!(
            b.current_url().await.expect("url").path(),
            "/",
            "back where we were"
        );
        b.goto(&format!("{base}/funds/xipu-street"))
            .await
            .expect("fund");
        assert_eq!(html_lang(&b).await, "en", "the choice is remembered");
        assert!(text_of(&b, "#statement").await.contains("Closing balance"));
        assert!(b.source().await.expect("source").contains("Resident"));
        assert!(text_of(&b, "#demo-banner").await.contains("Demo data"));
        screenshot(&b, "fund-en").await;
        b.goto(&format!("{base}/check?lang=zh"))
            .await
            .expect("check");
        assert_eq!(html_lang(&b).await, "zh-CN");
        b.goto(&format!("{base}/")).await.expect("overview");
        assert_eq!(html_lang(&b).await, "zh-CN", "?lang= is remembered too");

        // A resident donor's receipt, verified in the browser.
        let client = server.client();
        let trustee = std::fs::read_to_string(dir.path().join("demo-trustee.token"))
            .expect("demo token")
            .trim()
            .to_owned();
        let auditor = server.issue_token("auditor", None);
        let (seq, _) = first_resident_donation(&client, "xipu-street")
            .await
            .expect("a resident donation");
        let receipt = fetch_receipt(&client, "xipu-street", seq, Some(&trustee), Some(&auditor))
            .await
            .expect("a receipt");
        assert!(
            receipt.get("donor").is_some(),
            "the donor's copy: {receipt}"
        );
        let text = serde_json::to_string_pretty(&receipt).expect("json");
        b.goto(&format!("{base}/check")).await.expect("check page");
        b.execute(
            "document.getElementById('receipt').value = arguments[0];",
            vec![json!(text)],
        )
        .await
        .expect("paste");
        b.find(Locator::Id("verify"))
            .await
            .expect("button")
            .click()
            .await
            .expect("click");
        let (result, code, shown) = verdict(&b).await;
        assert_eq!(result, "pass", "{code}: {shown}");
        assert!(shown.contains(&format!("#{seq}")), "{shown}");
        assert!(shown.contains("xipu-street"), "{shown}");
        let donor = text_of(&b, "#result").await;
        assert!(donor.contains("已确认是您的捐赠"), "{donor}");
        screenshot(&b, "check-pass").await;

        // One changed byte (a digit of the amount), uploaded as a file: refused, with why.
        let entry = receipt["entry"].as_str().expect("entry").to_owned();
        let at = entry.find("\"amount\":\"").expect("an amount") + 10;
        let mut bytes = entry.into_bytes();
        bytes[at] = if bytes[at] == b'9' { b'8' } else { b'9' };
        let mut tampered = receipt.clone();
        tampered["entry"] = json!(String::from_utf8(bytes).expect("utf-8"));
        let file = dir.path().join("tampered-receipt.json");
        std::fs::write(&file, serde_json::to_string(&tampered).expect("json")).expect("file");
        b.goto(&format!("{base}/check")).await.expect("check page");
        b.find(Locator::Id("receipt-file"))
            .await
            .expect("file input")
            .send_keys(&file.display().to_string())
            .await
            .expect("upload");
        let (result, code, shown) = verdict(&b).await;
        assert_eq!(result, "fail", "{shown}");
        assert_eq!(code, "inclusion_proof", "{shown}");
        assert!(
            shown.contains("inclusion_proof"),
            "the reason is shown: {shown}"
        );
        screenshot(&b, "check-fail").await;

        // Two implementations, one answer.
        if let Some(vectors) = vectors_dir() {
            let cases = merkle_cases(&vectors);
            let input: Vec<Value> = cases.iter().map(|c| c.0.clone()).collect();
            let got = b
                .execute_async(RUN_MERKLE, vec![json!(input)])
                .await
                .expect("merkle in the browser");
            let got = got.as_array().unwrap_or_else(|| panic!("{got}"));
            assert_eq!(got.len(), cases.len());
            let mut accepted = 0;
            for ((case, want), js) in cases.iter().zip(got) {
                assert_eq!(
                    js.as_bool(),
                    Some(*want),
                    "ledger-core and verify.js differ on {case}"
                );
                accepted += usize::from(*want);
            }
            assert!(
                cases.len() > 196 && accepted > 0,
                "{} merkle cases",
                cases.len()
            );
            eprintln!(
                "merkle: {} cases, {accepted} accepted, same answers",
                cases.len()
            );

            let cases = note_cases(&vectors);
            let input: Vec<Value> = cases.iter().map(|c| c.0.clone()).collect();
            let got = b
                .execute_async(RUN_NOTES, vec![json!(input)])
                .await
                .expect("notes in the browser");
            let got = got.as_array().unwrap_or_else(|| panic!("{got}"));
            assert_eq!(got.len(), cases.len());
            let mut opened = 0;
            for ((case, want), js) in cases.iter().zip(got) {
                let js: Option<Vec<String>> = serde_json::from_value(js.clone()).expect("names");
                assert_eq!(&js, want, "ledger-core and verify.js differ on {case}");
                opened += usize::from(want.is_some());
            }
            assert!(opened >= 9, "{opened} notes opened");
            eprintln!(
                "signed notes: {} cases, {opened} opened, same answers",
                cases.len()
            );
        }
        b.close().await.expect("closing the browser");
    });
    drop(driver);
}
