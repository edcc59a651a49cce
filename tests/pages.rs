//! The residents' pages in a real browser (headless Chromium through chromedriver, driven
//! with fantoccini over plain HTTP on loopback), on the demo's 30 funds:
//!
//! - the overview lists 30 funds; a fund page shows its signed statement, signers and the
//!   balance chart; the printable statement has its QR code;
//! - the language switch sets a cookie that later pages remember;
//! - a resident donor's receipt pasted into `/check` is verified *in the browser*; the
//!   same receipt with one changed byte, uploaded as a file, fails with its reason;
//! - the demo trustee signs in at `/trustee` with the printed token, imports the printed
//!   key file in the browser, is named as xipu-street's trustee (no "not a trustee"
//!   warning) and records a donation through the form, signed by that key; then a
//!   statement's success path on the demo's closed months: it drafts the last ended
//!   quarter, reviews and proposes; another demo trustee's key (the demo's deterministic
//!   keys) imported in the browser co-signs from the inbox; at the quorum the statement is
//!   the fund page's latest;
//! - two implementations, one answer: the page's own JavaScript verifier
//!   (`window.ledgerVerify`) and ledger-core agree on every Merkle and signed-note vector
//!   of `../shared/vectors` (and on mutations of the notes).
//!
//! Screenshots of each page go to `target/screenshots/`. Without `/usr/bin/chromium` and
//! `/usr/bin/chromedriver` (or `LEDGER_CHROMIUM`, `LEDGER_CHROMEDRIVER`) the test prints
//! SKIP, unless `LEDGER_REQUIRE_BROWSER=1` (CI), when it fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use community_ledger::{fetch_receipt, first_resident_donation, Server, WitnessProcess};
use fantoccini::{Client as Browser, Locator};
use ledger_core::hash::{sha256, Hash};
use ledger_core::merkle::{verify_consistency, verify_inclusion};
use ledger_core::note::{open_note, sign_note, NoteSigner, NoteVerifier};
use serde_json::{json, Value};

#[path = "support/browser.rs"]
mod browser;
use browser::{
    browser_tools, html_lang, open_browser, poll, record, screenshot, text_of, verify_js_page,
    wait_for, Driver, Outcome, ELEMENT_TIMEOUT,
};

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
    let Some((chromium, chromedriver)) = browser_tools("residents' pages") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start_demo(dir.path());
    let base = server.base_url().to_owned();
    let profile = tempfile::tempdir().expect("browser profile");
    let driver = Driver::start(&chromedriver, &dir.path().join("chromedriver.log"));
    let rt = community_ledger::runtime();
    rt.block_on(async {
        let b = open_browser(&chromium, &driver, profile.path()).await;

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

        // The demo trustee: the printed token signs in at /trustee, the printed key file
        // imported in this browser is named as the trustee of the fund (no "not a trustee"
        // warning), and a donation to xipu-street is recorded through its form.
        b.goto(&format!("{base}/trustee")).await.expect("workspace");
        let input = wait_for(&b, "#token").await;
        input
            .send_keys(&format!("{trustee}\u{E007}"))
            .await
            .expect("typing the token");
        assert_eq!(text_of(&b, "#ws-fund").await, "xipu-street");
        b.goto(&format!("{base}/trustee/keys")).await.expect("keys");
        let key_hex = std::fs::read_to_string(dir.path().join("demo-trustee.key"))
            .expect("the demo's key file");
        import_key_text(&b, key_hex.trim()).await;
        let membership = poll("the key's membership", async || {
            let m = b.find(Locator::Css("#key-membership")).await.ok()?;
            let class = m.attr("class").await.ok()??;
            let text = m.text().await.ok()?;
            (!text.is_empty()).then_some((class, text))
        })
        .await;
        assert!(
            membership.0.contains("ok") && !membership.0.contains("warn"),
            "the demo key is a trustee of xipu-street: {membership:?}"
        );
        assert!(
            membership.1.contains("xipu-street") && membership.1.contains("「"),
            "{membership:?}"
        );
        screenshot(&b, "demo-trustee-keys").await;
        let o = record(
            &b,
            &base,
            "donation",
            &[
                ("amount", "50"),
                ("donor_class", "enterprise"),
                ("donor_name", "郫都区某商贸有限公司"),
                ("channel", "bank_transfer"),
                ("receipt_no", "DEMO-WEB-1"),
            ],
        )
        .await;
        let Outcome::Recorded(seq) = o else {
            panic!("the demo trustee records a donation: {o:?}")
        };
        let e = client
            .public()
            .get_json(&format!("/api/v1/funds/xipu-street/entries/{seq}"))
            .await
            .expect("the recorded entry");
        assert_eq!(
            e["entry"]["intent"]["body"]["receipt_no"], "DEMO-WEB-1",
            "{e}"
        );
        assert_eq!(
            e["entry"]["sigs"][0]["key"].as_str(),
            Some(hex::encode(
                ed25519_dalek::SigningKey::from_bytes(
                    &hex::decode(key_hex.trim())
                        .expect("hex")
                        .try_into()
                        .expect("32 bytes")
                )
                .verifying_key()
                .to_bytes()
            ))
            .as_deref(),
            "signed by the demo key, in the browser"
        );

        // A statement's success path, on the demo's history (its months are closed, as
        // the server recorded them): the demo trustee drafts the last ended quarter,
        // reviews the figures and proposes; another of the fund's trustees (the demo's
        // deterministic keys), its key imported into this browser, co-signs from the inbox;
        // at the quorum the statement is the fund page's latest.
        let today = community_ledger::now().local_date(ledger_core::time::UtcOffset::CHINA);
        let (year, quarter) = match (today.month() - 1) / 3 {
            0 => (today.year() - 1, 4),
            q => (today.year(), q),
        };
        let period = format!("{year}-Q{quarter}");
        let o = record(&b, &base, "statement", &[("period", &period)]).await;
        assert!(matches!(o, Outcome::Proposed), "{period}: {o:?}");
        let keys = ledger_core::sample::SampleKeys::derive(1_000, "any")
            .expect("the demo's keys")
            .trustees;
        assert_eq!(
            hex::encode(keys[1].to_bytes()),
            key_hex.trim(),
            "the printed key is the demo's second trustee"
        );
        // The co-signer: another of the demo's keys that is a trustee of the fund now.
        let current = b
            .execute_async(
                "const done = arguments[0]; import('/static/trustee/shell.js')\
                 .then((m) => m.trustees('xipu-street')).then((l) => done(l.map((x) => x.key)));",
                vec![],
            )
            .await
            .expect("the fund's trustees");
        let cosigner = keys
            .iter()
            .find(|k| {
                let public = hex::encode(k.verifying_key().to_bytes());
                public != hex::encode(keys[1].verifying_key().to_bytes())
                    && current
                        .as_array()
                        .is_some_and(|l| l.contains(&json!(public)))
            })
            .unwrap_or_else(|| panic!("another demo trustee among {current}"));
        b.goto(&format!("{base}/trustee/keys")).await.expect("keys");
        wait_for(&b, "#forget-key")
            .await
            .click()
            .await
            .expect("forget");
        b.accept_alert().await.expect("confirm");
        import_key_text(&b, &hex::encode(cosigner.to_bytes())).await;
        poll("the co-signer named", async || {
            let t = b
                .find(Locator::Css("#key-membership.ok"))
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            (!t.is_empty()).then_some(())
        })
        .await;
        b.goto(&format!("{base}/trustee/inbox"))
            .await
            .expect("inbox");
        wait_for(&b, "li.inbox-item[data-kind=statement] button.sign")
            .await
            .click()
            .await
            .expect("sign from the inbox");
        let done = poll("the quorum met", async || {
            let t = b
                .find(Locator::Css("#inbox-done"))
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            t.contains("法定人数已满足").then_some(t)
        })
        .await;
        let seq: String = done
            .split("第 ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .expect("the entry's seq")
            .to_owned();
        screenshot(&b, "demo-statement-cosigned").await;
        b.goto(&format!("{base}/funds/xipu-street"))
            .await
            .expect("fund page");
        let section = text_of(&b, "#statement").await;
        let from = format!("{year}-{:02}-01", (quarter - 1) * 3 + 1);
        assert!(
            section.contains(&from),
            "the statement over {period}: {section}"
        );
        let link = b
            .find(Locator::Css(&format!(
                "#statement a[href='/funds/xipu-street/statements/{seq}']"
            )))
            .await;
        assert!(
            link.is_ok(),
            "the fund page's latest statement is entry {seq}"
        );
        screenshot(&b, "demo-statement-public").await;

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

// ---- witnesses: verify.js on the cosignature vectors -----------------------------------

const RUN_COSIGNATURES: &str = r#"
const [cases, keyCases, stamps, done] = arguments;
const V = window.ledgerVerify;
(async () => {
  const out = { cases: [], keys: [], stamps: [] };
  for (const c of cases) {
    const r = await V.checkCosignatures(c.note, c.vkeys);
    if (!r.ok) { out.cases.push({ error: r.code + ': ' + r.message }); continue; }
    const known = r.lines.filter((l) => l.outcome !== 'ignored');
    const word = known.length === 0 ? 'ignored'
      : known.some((l) => l.outcome === 'invalid') ? 'invalid' : 'valid';
    const plain = c.plain ? await V.verifyNote(c.note, [c.plain]) : null;
    out.cases.push({
      cosignature: word,
      open: r.open,
      names: r.cosigned.map((x) => x.name),
      timestamps: r.cosigned.map((x) => x.timestamp),
      plain: plain === null ? null : (plain.ok ? 'ok' : plain.code),
    });
  }
  for (const k of keyCases) {
    const w = await V.parseVkey(k, 4);
    const p = await V.parseVkey(k);
    out.keys.push({ witness: w.ok ? w.keyId : w.code, log: p.ok ? p.keyId : p.code });
  }
  for (const s of stamps) {
    const b = V.b64ToBytes(s);
    if (!b) { out.stamps.push(null); continue; }
    let t = 0n;
    for (let i = 4; i < 12 && i < b.length; i++) t = (t << 8n) | BigInt(b[i]);
    out.stamps.push({ len: b.length, keyId: V.bytesToHex(b.slice(0, 4)), timestamp: t.toString() });
  }
  return out;
})().then(done, (e) => done('error: ' + e));
"#;

const RUN_RECEIPTS: &str = r#"
const [cases, done] = arguments;
(async () => {
  const out = [];
  for (const c of cases) {
    const r = await window.ledgerVerify.verifyReceipt(c.receipt, null, c.policy);
    out.push(r.ok ? 'ok' : r.code);
  }
  return out;
})().then(done, (e) => done('error: ' + e));
"#;

const RUN_QUORUMS: &str = r#"
const [policy, subsets, done] = arguments;
done(subsets.map((s) => window.ledgerVerify.checkQuorum(policy, s).met));
"#;

/// Receipts of a small sample fund whose checkpoint is cosigned by none, one or both of
/// two witnesses (or tampered), each with a policy in verify.js's form, and
/// ledger-core's answer (`verify_receipt_witnessed`): `ok` or the refusal code.
fn witnessed_receipt_cases() -> (Vec<Value>, Vec<String>) {
    use ledger_core::checkpoint::Checkpoint;
    use ledger_core::cosignature::CosignerKey;
    use ledger_core::error::Coded;
    use ledger_core::receipt::verify_receipt_witnessed;
    use ledger_core::sample::{build, key_from_label, SampleSpec};
    use ledger_core::witness_policy::{Quorum, WitnessPolicy};

    let fund = build(&SampleSpec::example("js-fund", 5, 40, 2), "ledger.example").expect("sample");
    let log = fund.keys.log.verifier();
    let [a, b] = [
        CosignerKey::from_seed("a.example/w", &[0x41; 32]).expect("key"),
        CosignerKey::from_seed("b.example/w", &[0x42; 32]).expect("key"),
    ];
    let policy = |log_vkey: &str, quorum: &str| {
        let text = format!(
            "log {log_vkey}\nwitness A {}\nwitness B {}\ngroup both all A B\nquorum {quorum}\n",
            a.verifier().to_vkey(),
            b.verifier().to_vkey()
        );
        let p = WitnessPolicy::parse(&text).expect("policy");
        let js = json!({
            "logs": p.logs().iter().map(|l| l.key.to_vkey()).collect::<Vec<_>>(),
            "witnesses": p.witnesses().iter().map(|w| json!({"name": w.name, "vkey": w.key.to_vkey()})).collect::<Vec<_>>(),
            "groups": p.groups().iter().map(|g| json!({"name": g.name, "threshold": g.threshold.to_string(), "members": g.members})).collect::<Vec<_>>(),
            "quorum": match p.quorum() { Quorum::None => "none".to_owned(), Quorum::Name(n) => n.clone() },
        });
        (p, js)
    };
    let receipt = |cosigners: &[&CosignerKey], tamper: bool| {
        let mut r = fund.receipt(3, false).expect("receipt");
        let cp = Checkpoint::open(&r.checkpoint, &log).expect("checkpoint");
        for c in cosigners {
            r.checkpoint
                .push_str(&c.signature_line(&cp, 1_796_090_400).expect("cosign"));
        }
        if tamper {
            let at = r.checkpoint.trim_end().rfind(' ').expect("a line") + 30;
            let c = if &r.checkpoint[at..at + 1] == "A" {
                "B"
            } else {
                "A"
            };
            r.checkpoint.replace_range(at..at + 1, c);
        }
        r
    };
    let other = NoteSigner::new("ledger.example", key_from_label("other log"))
        .expect("key")
        .verifier()
        .to_vkey();
    let renamed = NoteVerifier::new("elsewhere.example", *log.verifying_key())
        .expect("key")
        .to_vkey();
    let ours = log.to_vkey();
    let rows = [
        (receipt(&[&a, &b], false), policy(&ours, "both")),
        (receipt(&[&a], false), policy(&ours, "both")),
        (receipt(&[&a], false), policy(&ours, "A")),
        (receipt(&[&a, &b], true), policy(&ours, "both")),
        (receipt(&[&a, &b], false), policy(&other, "both")),
        (receipt(&[&a, &b], false), policy(&renamed, "both")),
        (receipt(&[], false), policy(&ours, "none")),
    ];
    let mut cases = Vec::new();
    let mut answers = Vec::new();
    for (r, (p, js)) in rows {
        answers.push(match verify_receipt_witnessed(&r, &p) {
            Ok(_) => "ok".to_owned(),
            Err(e) => e.code().to_owned(),
        });
        cases.push(json!({"receipt": serde_json::to_string(&r).expect("json"), "policy": js}));
    }
    assert_eq!(
        answers,
        [
            "ok",
            "witness_quorum_not_met",
            "ok",
            "witness_cosignature_invalid",
            "policy_log_mismatch",
            "policy_log_mismatch",
            "ok"
        ]
    );
    (cases, answers)
}

/// verify.js's refusal code of a whole note, in the vectors' words.
fn note_open_word(v: &str) -> &str {
    match v {
        "invalid_note_signature" => "invalid_signature",
        "unverified_note" => "unverified",
        other => other,
    }
}

/// `window.ledgerVerify` on every case of `cosignature/cosignature_v1.json`: each
/// known-answer cosignature verifies (with its timestamp), each negative case gets the
/// vectors' per-line outcome and whole-note outcome, the key ids of the 0x04 vkeys are
/// the vectors', a 0x01 vkey is no witness key, the timestamps parse; the JS quorum
/// decision equals ledger-core's over every subset of witnesses of a nested policy; and
/// `verifyReceipt` with a policy accepts and refuses (with the same code) the receipts
/// ledger-core's `verify_receipt_witnessed` does.
#[test]
fn verify_js_checks_cosignatures_and_quorums() {
    use ledger_core::cosignature::CosignerKey;
    use ledger_core::witness_policy::WitnessPolicy;

    let Some((chromium, chromedriver)) = browser_tools("residents' pages") else {
        return;
    };
    let Some(vectors) = vectors_dir() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but the vectors are missing"
        );
        return;
    };
    let doc = read_json(&vectors.join("cosignature/cosignature_v1.json"));
    // Each case: {note, vkeys, plain?} and the expected (cosignature, open, names?,
    // timestamp?, plain?).
    let mut cases = Vec::new();
    let mut want = Vec::new();
    for c in list(&doc["cosignatures"]) {
        cases.push(json!({"note": c["note"], "vkeys": [c["cosigner_vkey"]]}));
        want.push((
            "valid".to_owned(),
            "ok".to_owned(),
            Some(vec![c["cosigner"].as_str().expect("cosigner").to_owned()]),
            Some(c["timestamp"].as_u64().expect("timestamp").to_string()),
            None,
        ));
    }
    for c in list(&doc["negative_cases"]) {
        cases.push(
            json!({"note": c["note"], "vkeys": c["cosigner_vkeys"], "plain": c["plain_vkey"]}),
        );
        let names = c["expect_valid_cosigners"].as_array().map(|a| {
            a.iter()
                .map(|n| n.as_str().expect("name").to_owned())
                .collect()
        });
        let plain = c["plain_verifier_expect"]["note_open"]
            .as_str()
            .map(str::to_owned);
        want.push((
            c["expect"]["cosignature"]
                .as_str()
                .expect("word")
                .to_owned(),
            c["expect"]["note_open"].as_str().expect("word").to_owned(),
            names,
            None,
            plain,
        ));
    }
    assert_eq!(cases.len(), 6 + 18, "every row of the vectors");
    let key_cases = list(&doc["key_id_cases"]);
    let key_vkeys: Vec<Value> = key_cases.iter().map(|k| k["vkey"].clone()).collect();
    let stamps = list(&doc["timestamp_parse"]);
    let stamp_sigs: Vec<Value> = stamps
        .iter()
        .map(|s| s["signature_base64"].clone())
        .collect();

    // A nested policy of four witnesses, answered by ledger-core for each subset.
    let ws: Vec<CosignerKey> = (1..=4u8)
        .map(|i| CosignerKey::from_seed(&format!("w{i}.example"), &[i; 32]).expect("key"))
        .collect();
    let mut text = String::new();
    for (i, w) in ws.iter().enumerate() {
        text.push_str(&format!("witness W{} {}\n", i + 1, w.verifier().to_vkey()));
    }
    text.push_str("group g1 2 W1 W2 W3\ngroup g2 any W4 g1\ngroup g3 all g2 W1\nquorum g3\n");
    let policy = WitnessPolicy::parse(&text).expect("the test policy");
    let js_policy = json!({
        "quorum": "g3",
        "witnesses": ws.iter().enumerate().map(|(i, w)| json!({"name": format!("W{}", i + 1), "vkey": w.verifier().to_vkey()})).collect::<Vec<_>>(),
        "groups": [
            {"name": "g1", "threshold": 2, "members": ["W1", "W2", "W3"]},
            {"name": "g2", "threshold": "any", "members": ["W4", "g1"]},
            {"name": "g3", "threshold": "all", "members": ["g2", "W1"]},
        ],
    });
    let subsets: Vec<Vec<String>> = (0u32..16)
        .map(|m| {
            (0..4)
                .filter(|i| m & (1 << i) != 0)
                .map(|i| format!("W{}", i + 1))
                .collect()
        })
        .collect();
    let core_met: Vec<bool> = subsets
        .iter()
        .map(|s| policy.quorum_met_by_names(&s.iter().map(String::as_str).collect::<Vec<_>>()))
        .collect();
    assert!(core_met.iter().any(|m| *m) && core_met.iter().any(|m| !*m));

    let dir = tempfile::tempdir().expect("temp dir");
    let page = verify_js_page(dir.path());
    let profile = tempfile::tempdir().expect("browser profile");
    let driver = Driver::start(&chromedriver, &dir.path().join("chromedriver.log"));
    community_ledger::runtime().block_on(async {
        let b = open_browser(&chromium, &driver, profile.path()).await;
        b.goto(&page).await.expect("the test page");
        let got = b
            .execute_async(
                RUN_COSIGNATURES,
                vec![json!(cases), json!(key_vkeys), json!(stamp_sigs)],
            )
            .await
            .expect("cosignatures in the browser");
        assert!(got.is_object(), "{got}");
        let results = list(&got["cases"]);
        assert_eq!(results.len(), want.len());
        for ((case, js), (word, open, names, timestamp, plain)) in
            cases.iter().zip(&results).zip(&want)
        {
            assert!(js["error"].is_null(), "{case}: {js}");
            assert_eq!(js["cosignature"], json!(word), "{case}: {js}");
            assert_eq!(js["open"], json!(open), "{case}: {js}");
            if let Some(names) = names {
                assert_eq!(js["names"], json!(names), "{case}: {js}");
            }
            if let Some(t) = timestamp {
                assert_eq!(js["timestamps"], json!([t]), "{case}: {js}");
            }
            if let Some(p) = plain {
                assert_eq!(
                    note_open_word(js["plain"].as_str().expect("plain")),
                    p,
                    "{case}: {js}"
                );
            }
        }
        let keys = list(&got["keys"]);
        for (k, js) in key_cases.iter().zip(&keys) {
            if k["signature_type_byte"] == "04" {
                let id = u32::from_str_radix(k["expected_key_id_hex"].as_str().expect("id"), 16)
                    .expect("hex");
                assert_eq!(js["witness"], json!(id), "{k}: {js}");
                assert_eq!(js["log"], "unsupported_algorithm", "{k}: {js}");
            } else {
                assert_eq!(js["witness"], "unsupported_algorithm", "{k}: {js}");
                assert!(js["log"].is_u64(), "{k}: {js}");
            }
        }
        let parsed = list(&got["stamps"]);
        for (s, js) in stamps.iter().zip(&parsed) {
            let e = &s["expect"];
            match e["ok"].as_bool() {
                Some(true) => {
                    assert_eq!(js["len"], 76, "{s}: {js}");
                    assert_eq!(js["keyId"], e["key_id_hex"], "{s}: {js}");
                    assert_eq!(
                        js["timestamp"],
                        json!(e["timestamp"].as_u64().expect("u64").to_string()),
                        "{s}: {js}"
                    );
                }
                _ => assert!(
                    js.is_null() || js["len"] != 76,
                    "{s}: not a cosignature, yet {js}"
                ),
            }
        }
        eprintln!(
            "cosignatures: {} cases, {} key ids, {} timestamps: verify.js gives the vectors' answers",
            results.len(),
            keys.len(),
            parsed.len()
        );

        let got = b
            .execute_async(RUN_QUORUMS, vec![js_policy, json!(subsets)])
            .await
            .expect("quorums in the browser");
        assert_eq!(got, json!(core_met), "verify.js and ledger-core decide alike");

        let (cases, core) = witnessed_receipt_cases();
        let got = b
            .execute_async(RUN_RECEIPTS, vec![json!(cases)])
            .await
            .expect("receipts in the browser");
        assert_eq!(got, json!(core), "verify.js and ledger-core refuse alike");
        eprintln!("witnessed receipts: verify.js and ledger-core agree: {core:?}");
        b.close().await.expect("closing the browser");
    });
    drop(driver);
}

// ---- witnesses: a statement's page with a cosigned checkpoint --------------------------

/// With two real witnesses and a policy that needs both: the fund page and the printable
/// statement say who witnessed the checkpoint and when and print the witnesses' keys;
/// `ledger-verify --url … --policy` and `ledger receipt verify --policy` accept what the
/// server serves;
/// `witnessing.js` finds the cosignatures valid in the browser; one changed character of
/// a cosignature makes it report `witness_cosignature_invalid`; the receipt check passes
/// with the policy and names the witnesses.
#[test]
fn witnessed_statement_in_a_browser() {
    let Some((chromium, chromedriver)) = browser_tools("residents' pages") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let origin = "community-ledger.local";
    let log_vkey = ledger_core::sample::SampleKeys::derive(0, origin)
        .expect("the demo's keys")
        .log
        .verifier()
        .to_vkey();
    let committee = WitnessProcess::create(
        &dir.path().join("w1"),
        "hexing.example/juweihui",
        origin,
        &log_vkey,
    );
    let bureau = WitnessProcess::create(
        &dir.path().join("w2"),
        "pidu.example/minzhengju",
        origin,
        &log_vkey,
    );
    let policy = dir.path().join("witnesses.policy");
    std::fs::write(
        &policy,
        format!(
            "log {log_vkey}\nwitness 合兴社区居委会 {} {}\nwitness 郫都区民政局 {} {}\n\
             group both all 合兴社区居委会 郫都区民政局\nquorum both\n",
            committee.vkey, committee.url, bureau.vkey, bureau.url
        ),
    )
    .expect("policy file");
    let mut config = community_ledger::ServerConfig::sqlite(&dir.path().join("server"));
    config.extra_args = vec![
        "--demo".into(),
        "--witness-policy".into(),
        policy.display().to_string(),
        "--witness-interval".into(),
        "1".into(),
    ];
    let server = Server::start_with(&config);
    let base = server.base_url().to_owned();
    let client = server.client();
    let rt = community_ledger::runtime();

    // Poll until the fund's checkpoint is witnessed (the client runs off the append path).
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let status = rt.block_on(async {
            client
                .public()
                .request(reqwest::Method::GET, "/api/v1/funds/xipu-street/checkpoint")
                .send()
                .await
                .map(|r| r.status().as_u16())
        });
        if status.as_ref().ok() == Some(&200) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no witnessed checkpoint: {status:?}; {}",
            server.log_tail()
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // The command-line readers, with the same policy file: the export and a receipt the
    // server hands out carry the witnessed checkpoint, and both meet the policy.
    let policy_arg = policy.display().to_string();
    let out = Command::new(community_ledger::verify_binary())
        .args([
            "--url",
            &base,
            "--fund",
            "xipu-street",
            "--policy",
            &policy_arg,
        ])
        .args(["--json", "--no-progress", "--threads", "2"])
        .stdin(Stdio::null())
        .output()
        .expect("running ledger-verify");
    let report: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert_eq!(
        report["summary"]["witnesses"]["quorum_met"], true,
        "{report}"
    );
    assert_eq!(
        report["summary"]["witnesses"]["witnessed"][0]["witness"],
        "合兴社区居委会"
    );
    let receipt = rt
        .block_on(fetch_receipt(&client, "xipu-street", 1, None, None))
        .expect("a public receipt");
    let receipt_file = dir.path().join("receipt.json");
    std::fs::write(&receipt_file, receipt.to_string()).expect("receipt file");
    let run = community_ledger::run_client(
        &server,
        &[
            "receipt",
            "verify",
            receipt_file.to_str().expect("utf-8"),
            "--log-key",
            &log_vkey,
            "--policy",
            &policy_arg,
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("witnesses: quorum met; witnessed by 合兴社区居委会 ("),
        "{run:?}"
    );

    let profile = tempfile::tempdir().expect("browser profile");
    let driver = Driver::start(&chromedriver, &dir.path().join("chromedriver.log"));
    rt.block_on(async {
        let b = open_browser(&chromium, &driver, profile.path()).await;

        // The fund page: who witnessed it, when, their keys, and the browser's check.
        b.goto(&format!("{base}/funds/xipu-street?lang=zh"))
            .await
            .expect("fund page");
        let by = text_of(&b, "#witnessed-by").await;
        assert!(
            by.starts_with("由 合兴社区居委会、郫都区民政局 见证, 20"),
            "{by}"
        );
        let keys = text_of(&b, "#witnessing .witness-keys").await;
        assert!(
            keys.contains(&committee.vkey) && keys.contains(&bureau.vkey),
            "{keys}"
        );
        let check = witness_verdict(&b).await;
        assert_eq!(check.0, "pass", "{check:?}");
        assert!(check.2.contains("合兴社区居委会"), "{check:?}");
        screenshot(&b, "fund-witnessed").await;

        // One base64 character of the last cosignature changed: invalid, in the browser.
        let tampered: String = b
            .execute(
                r#"const box = document.getElementById('witnessing');
                   const note = box.getAttribute('data-note');
                   const lines = note.trimEnd().split('\n');
                   const last = lines[lines.length - 1];
                   const at = last.lastIndexOf(' ') + 30;
                   const c = last[at] === 'A' ? 'B' : 'A';
                   lines[lines.length - 1] = last.slice(0, at) + c + last.slice(at + 1);
                   box.setAttribute('data-note', lines.join('\n') + '\n');
                   return box.getAttribute('data-note');"#,
                vec![],
            )
            .await
            .expect("tamper")
            .as_str()
            .expect("note")
            .to_owned();
        assert!(
            tampered.contains("— pidu.example/minzhengju "),
            "{tampered}"
        );
        b.execute_async(
            "const [done] = arguments; window.ledgerWitnessing.run().then(() => done(true));",
            vec![],
        )
        .await
        .expect("run again");
        let check = witness_verdict(&b).await;
        assert_eq!(
            (check.0.as_str(), check.1.as_str()),
            ("fail", "witness_cosignature_invalid"),
            "{check:?}"
        );

        // The printable statement, in English: the witnesses and their keys, checked.
        b.goto(&format!("{base}/funds/xipu-street?lang=en"))
            .await
            .expect("fund page");
        let by = text_of(&b, "#witnessed-by").await;
        assert!(
            by.starts_with("Witnessed by 合兴社区居委会, 郫都区民政局, 20"),
            "{by}"
        );
        b.find(Locator::Css("#statement a.button"))
            .await
            .expect("printable link")
            .click()
            .await
            .expect("click");
        let check = witness_verdict(&b).await;
        assert_eq!(check.0, "pass", "{check:?}");
        let keys = text_of(&b, ".sheet .witness-keys").await;
        assert!(
            keys.contains(&committee.vkey) && keys.contains(&bureau.vkey),
            "{keys}"
        );
        screenshot(&b, "statement-witnessed").await;

        // The statement's QR code: its receipt, checked with the site's policy.
        let url = text_of(&b, "figure.qr .url").await;
        b.goto(&format!("{url}&lang=zh")).await.expect("check page");
        let (result, code, shown) = verdict(&b).await;
        assert_eq!(result, "pass", "{code}: {shown}");
        let by = text_of(&b, "#result #witnessed-by").await;
        assert!(
            by.starts_with("由 合兴社区居委会、郫都区民政局 见证, 20"),
            "{by}"
        );
        let checks = text_of(&b, "#checks").await;
        assert!(checks.contains("见证方副署"), "{checks}");
        screenshot(&b, "check-witnessed").await;
        b.close().await.expect("closing the browser");
    });
    drop(driver);
}

/// `#witness-check` once it has decided: (data-result, data-code, text).
async fn witness_verdict(b: &Browser) -> (String, String, String) {
    let deadline = Instant::now() + ELEMENT_TIMEOUT;
    loop {
        let el = b
            .find(Locator::Id("witness-check"))
            .await
            .expect("#witness-check");
        let result = el
            .attr("data-result")
            .await
            .expect("attr")
            .unwrap_or_default();
        if result != "pending" {
            let code = el
                .attr("data-code")
                .await
                .expect("attr")
                .unwrap_or_default();
            return (result, code, el.text().await.expect("text"));
        }
        assert!(
            Instant::now() < deadline,
            "the witness check did not finish"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// On `/trustee/keys`: pastes a key file's text (hex seed) into the import form, once the
/// form shows, and imports it.
async fn import_key_text(b: &Browser, key_hex: &str) {
    let area = wait_for(b, "#key-text").await;
    poll("the import form", async || {
        area.is_displayed().await.ok().filter(|v| *v)
    })
    .await;
    area.send_keys(key_hex).await.expect("pasting the key");
    wait_for(b, "#import-key")
        .await
        .click()
        .await
        .expect("import");
}
