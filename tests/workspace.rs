//! The trustees' workspace in a real browser (headless Chromium through chromedriver,
//! driven with fantoccini), on a fresh deployment with a fund of two trustees (甲, 乙) whose
//! keys the test holds:
//!
//! - sign-in with the trustee token (typed, Enter); a key created in the browser is
//!   non-extractable (`exportKey` fails) and said not to be a trustee yet; 甲 proposes and 乙
//!   co-signs a `trustees` entry that admits it; after a reload the same key is there and
//!   named as the fund's trustee;
//! - every kind recorded through its form (derived figures from the server's dry run;
//!   quorum kinds proposed from the browser and co-signed by 乙); a disbursement that would
//!   overdraw shows the server's `overdraft` beside the amount, and nothing is written; the
//!   donor's A5 receipt page has its QR code;
//! - byte parity: 甲's key file imported into the browser signs a donation byte for byte as
//!   the CLI (`ledger submit donation … --idempotency-key --signed-at`) did, and the
//!   server takes the browser's bytes as that same entry; `ledger-verify` passes the fund;
//! - the private keys never leave the browser: every request Chromium sent in the session
//!   (its DevTools network log) is searched for the imported seed and its PKCS #8 form, in
//!   hex and base64, and none holds them;
//! - at 390 px wide the pages do not scroll sideways. Screenshots (desktop and 390 px) go to
//!   `target/screenshots/workspace-*.png`.
//!
//! Without Chromium and chromedriver the test prints SKIP, unless `LEDGER_REQUIRE_BROWSER=1`.

#[path = "support/browser.rs"]
mod browser;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use browser::{
    browser_tools, network_log, open_browser_with, screenshot, text_of, Driver, ELEMENT_TIMEOUT,
};
use community_ledger::{run_client, sign_bytes, sign_value, write_key_file, Deployment, Trustee};
use fantoccini::{Client as Browser, Locator};
use reqwest::Method;
use serde_json::{json, Value};

const FUND: &str = "ws";

/// Runs `script` (async: its last argument is the callback) in the page; returns its value.
async fn js(b: &Browser, script: &str, args: Vec<Value>) -> Value {
    b.execute_async(script, args)
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
}

/// Sets form fields by name (selects, dates and text alike) and fires their change events.
async fn set_fields(b: &Browser, fields: &[(&str, &str)]) {
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
async fn wait_for(b: &Browser, css: &str) -> fantoccini::elements::Element {
    b.wait()
        .at_most(ELEMENT_TIMEOUT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
}

/// Polls `f` until it returns `Some`, at most `ELEMENT_TIMEOUT`.
async fn poll<T, F: AsyncFn() -> Option<T>>(what: &str, f: F) -> T {
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
enum Outcome {
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
async fn record(b: &Browser, base: &str, kind: &str, fields: &[(&str, &str)]) -> Outcome {
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

/// 乙 co-signs the newest open proposal through the API (bearer token); returns the seq
/// it was appended as.
async fn cosign_newest(d: &Deployment, token: &str, by: &Trustee) -> u64 {
    let c = d.client().with_token(token);
    let (status, list) = c
        .send_json(
            Method::GET,
            &format!("/api/v1/funds/{FUND}/proposals?status=open"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{list}");
    let p = list["proposals"]
        .as_array()
        .and_then(|l| {
            l.iter()
                .max_by_key(|p| p["created_at"].as_str().map(str::to_owned))
        })
        .cloned()
        .unwrap_or_else(|| panic!("an open proposal: {list}"));
    let intent = p["intent"].as_str().unwrap();
    let sig = serde_json::to_value(sign_bytes(intent, &[&by.key]).remove(0)).unwrap();
    let id = p["id"].as_str().unwrap();
    let (status, v) = c
        .send_json(
            Method::POST,
            &format!("/api/v1/funds/{FUND}/proposals/{id}/signatures"),
            Some(&json!({ "sig": sig })),
        )
        .await;
    assert!(status == 200 || status == 201, "{status} {v}");
    v["seq"]
        .as_u64()
        .or_else(|| v["entry"]["seq"].as_u64())
        .unwrap_or_else(|| panic!("appended at the quorum: {v}"))
}

async fn size(d: &Deployment) -> u64 {
    let (_, v) = d
        .client()
        .public()
        .send_json(Method::GET, &format!("/api/v1/funds/{FUND}"), None)
        .await;
    v["size"].as_u64().unwrap()
}

/// The page does not scroll sideways.
async fn fits(b: &Browser, what: &str) {
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

#[test]
fn the_trustees_workspace_in_a_browser() {
    let Some((chromium, chromedriver)) = browser_tools("trustees' workspace") else {
        return;
    };
    let d = Deployment::sqlite("workspace");
    let base = d.base_url().to_owned();
    let profile = tempfile::tempdir().expect("browser profile");
    let driver = Driver::start(&chromedriver, &d.data_dir().join("chromedriver.log"));
    let jia = Trustee::random("甲");
    let yi = Trustee::random("乙");
    let jia_file = d.data_dir().join("jia.key");
    write_key_file(&jia_file, &jia.key);
    let seed = jia.key.to_bytes();
    let rt = community_ledger::runtime();
    rt.block_on(async {
        let token = d.create_fund(FUND, &[&jia, &yi], (2, 2, 2)).await.trustee_token;
        let b = open_browser_with(&chromium, &driver, profile.path(), true).await;
        let mut log: Vec<Value> = Vec::new();
        let started = Instant::now();
        let step = |what: &str| eprintln!("{:>6.1} s  {what}", started.elapsed().as_secs_f64());

        // Sign-in, by keyboard: the token typed, then Enter.
        b.goto(&format!("{base}/trustee")).await.expect("workspace");
        let input = wait_for(&b, "#token").await;
        input.send_keys(&format!("{token}\u{E007}")).await.expect("typing");
        let who = text_of(&b, "#ws-label").await;
        assert!(!who.is_empty());
        assert_eq!(text_of(&b, "#ws-fund").await, FUND);
        screenshot(&b, "workspace-home").await;

        step("A key made in the browser");
        // A key made in the browser: non-extractable, not a trustee yet.
        b.goto(&format!("{base}/trustee/keys")).await.unwrap();
        wait_for(&b, "#create-key").await.click().await.unwrap();
        let public_hex = poll("the public key", async || {
            let t = b.find(Locator::Css("#public-hex")).await.ok()?.text().await.ok()?;
            (t.len() == 64).then_some(t)
        })
        .await;
        let membership = poll("the membership line", async || {
            let t = b.find(Locator::Css("#key-membership.warn")).await.ok()?.text().await.ok()?;
            (!t.is_empty()).then_some(t)
        })
        .await;
        assert!(membership.contains("还不是"), "{membership}");
        let exported = js(
            &b,
            r#"const done = arguments[0];
            import('/static/trustee/keys.js').then(async (m) => {
              const k = await m.current('ws');
              try { await crypto.subtle.exportKey('pkcs8', k.privateKey); done('exported'); }
              catch (e) { try { await crypto.subtle.exportKey('jwk', k.privateKey); done('exported jwk'); }
                          catch (e2) { done('refused extractable=' + k.privateKey.extractable); } }
            });"#,
            vec![],
        )
        .await;
        assert_eq!(exported, "refused extractable=false", "the browser's key is non-extractable");
        screenshot(&b, "workspace-keys").await;

        step("甲 proposes, 乙 co-signs");
        // 甲 proposes, 乙 co-signs: the browser's key becomes a trustee.
        let admit = json!({
            "fund": FUND, "kind": "trustees", "key": "admit-web",
            "signed_at": community_ledger::now().to_string(),
            "body": {"add": [{"key": public_hex, "name": "网页受托人"}], "remove": []},
        });
        let signed = sign_value(&admit, &[&jia.key]);
        let c = d.client().with_token(&token);
        let (status, v) = c
            .send_json(Method::POST, &format!("/api/v1/funds/{FUND}/proposals"), Some(&json!({"intent": signed.intent, "sigs": signed.sigs})))
            .await;
        assert_eq!(status, 202, "{v}");
        cosign_newest(&d, &token, &yi).await;

        // The key survives a reload, and is now named as the fund's trustee.
        b.refresh().await.unwrap();
        let membership = poll("the trustee's name", async || {
            let t = b.find(Locator::Css("#key-membership.ok")).await.ok()?.text().await.ok()?;
            (!t.is_empty()).then_some(t)
        })
        .await;
        assert!(membership.contains("网页受托人"), "{membership}");
        assert_eq!(text_of(&b, "#public-hex").await, public_hex);

        step("Every kind through its form");
        // Every kind through its form.
        let Outcome::Recorded(donation) = record(&b, &base, "donation", &[
            ("amount", "200"), ("donor_class", "resident"), ("donor_name", "王五"),
            ("donor_phone", "13800000000"), ("channel", "cash"), ("receipt_no", "W-1"),
        ]).await else { panic!("a donation is recorded") };
        b.goto(&format!("{base}/trustee/receipt/{donation}")).await.unwrap();
        assert_eq!(text_of(&b, "#receipt-amount").await, "¥200.00");
        assert!(b.find(Locator::Css("#receipt .qr svg")).await.is_ok(), "the receipt's QR code");
        let page = b.source().await.unwrap();
        assert!(!page.contains("王五") && !page.contains("13800000000"), "the receipt names a resident only with consent");
        screenshot(&b, "workspace-receipt").await;

        let uscc = ledger_core::sample::sample_uscc(7, 1)
            .expect("a sample USCC")
            .to_string();
        let o = record(&b, &base, "agreement", &[
            ("agreement_id", "ag-1"), ("enterprise_name", "童萌之家"), ("uscc", &uscc),
            ("basis", "profit"), ("rate", "0.1"), ("fixed_monthly", "1800"),
            ("start", "2026-01-01"), ("venture", "托育"),
        ]).await;
        assert!(matches!(o, Outcome::Proposed), "{o:?}");
        cosign_newest(&d, &token, &yi).await;
        let o = record(&b, &base, "space", &[
            ("space_id", "room-1"), ("name", "活动室"), ("kind", "activity_room"),
            ("hourly_rate", "50"), ("community_hours", "sat 09:00-12:00"),
        ]).await;
        assert!(matches!(o, Outcome::Proposed), "{o:?}");
        cosign_newest(&d, &token, &yi).await;

        let o = record(&b, &base, "revenue_share", &[
            ("agreement_id", "ag-1"), ("period_from", "2026-01-01"), ("period_to", "2026-01-31"), ("base", "10000"),
        ]).await;
        assert!(matches!(o, Outcome::Recorded(_)), "{o:?}");
        let Outcome::Recorded(rental) = record(&b, &base, "rental", &[
            ("space_id", "room-1"), ("start", "2026-12-14T14:00"), ("end", "2026-12-14T16:00"),
            ("renter_name", "书法班"), ("renter_class", "organisation"),
        ]).await else { panic!("a rental is recorded") };
        let (_, entries) = d.client().public().send_json(Method::GET, &format!("/api/v1/funds/{FUND}/entries?from=0&limit=100"), None).await;
        let amounts: Vec<(String, String)> = entries["entries"].as_array().unwrap().iter()
            .map(|e| (e["kind"].as_str().unwrap().to_owned(), e["delta"].as_str().unwrap().to_owned())).collect();
        assert!(amounts.contains(&("revenue_share".into(), "2800.00".into())), "10% of 10000 + 1800 a month: {amounts:?}");
        assert!(amounts.contains(&("rental".into(), "100.00".into())), "2 h at 50: {amounts:?}");

        step("An overdraft is refused");
        // An overdraft is refused beside the amount, in the page's language; nothing written.
        let before = size(&d).await;
        let o = record(&b, &base, "disbursement", &[
            ("amount", "999999"), ("payee_name", "某装修公司"), ("payee_class", "enterprise"),
            ("purpose", "装修"), ("project", "活动室"), ("invoice_no", "F-1"),
        ]).await;
        let Outcome::Refused { field, code, text } = o else { panic!("an overdraft is refused: {o:?}") };
        assert_eq!((field.as_str(), code.as_str()), ("amount", "overdraft"), "{text}");
        assert!(text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "in Chinese: {text}");
        let invalid = b.find(Locator::Css("#f-amount[aria-invalid=true]")).await;
        assert!(invalid.is_ok(), "the amount is marked");
        assert_eq!(size(&d).await, before, "nothing was written");
        screenshot(&b, "workspace-overdraft").await;
        b.set_window_size(390, 1200).await.unwrap();
        fits(&b, "the disbursement form").await;
        screenshot(&b, "workspace-overdraft-390").await;
        b.set_window_size(1024, 1400).await.unwrap();

        let o = record(&b, &base, "disbursement", &[
            ("amount", "100"), ("payee_name", "某装修公司"), ("payee_class", "enterprise"),
            ("purpose", "装修"), ("project", "活动室"), ("invoice_no", "F-2"),
        ]).await;
        assert!(matches!(o, Outcome::Proposed), "{o:?}");
        cosign_newest(&d, &token, &yi).await;
        let o = record(&b, &base, "reversal", &[("reverses", &rental.to_string()), ("reason", "场地临时维修，退租")]).await;
        assert!(matches!(o, Outcome::Recorded(_)), "{o:?}");
        let bing = Trustee::random("丙");
        let bing_hex = hex::encode(bing.key.verifying_key().to_bytes());
        let o = record(&b, &base, "trustees", &[("add", &format!("{bing_hex} 丙"))]).await;
        assert!(matches!(o, Outcome::Proposed), "{o:?}");
        cosign_newest(&d, &token, &yi).await;
        // A fund founded this month has no closed month yet: the statement form drafts
        // through the server and shows its refusal beside the period.
        let o = record(&b, &base, "statement", &[("period", "2026-11")]).await;
        let Outcome::Refused { field, code, .. } = o else { panic!("{o:?}") };
        assert_eq!((field.as_str(), code.as_str()), ("period", "statement_period_invalid"));

        step("390 px");
        // 390 px: the record form and the keys page fit.
        b.set_window_size(390, 1200).await.unwrap();
        b.goto(&format!("{base}/trustee/record?kind=rental")).await.unwrap();
        wait_for(&b, "#week-view").await;
        fits(&b, "the rental form").await;
        screenshot(&b, "workspace-rental-390").await;
        b.goto(&format!("{base}/trustee/keys")).await.unwrap();
        wait_for(&b, "#public-hex").await;
        fits(&b, "the keys page").await;
        screenshot(&b, "workspace-keys-390").await;
        b.set_window_size(1024, 1400).await.unwrap();
        log.extend(network_log(&b, &driver).await);

        step("甲's key file imported");
        // 甲's key file imported (replacing the created key): it signs a donation byte for
        // byte as the CLI did.
        b.goto(&format!("{base}/trustee/keys")).await.unwrap();
        wait_for(&b, "#forget-key").await.click().await.unwrap();
        b.accept_alert().await.unwrap();
        let area = wait_for(&b, "#key-text").await;
        poll("the import form", async || area.is_displayed().await.ok().filter(|v| *v)).await;
        area.send_keys(&hex::encode(seed)).await.unwrap();
        b.find(Locator::Css("#import-key")).await.unwrap().click().await.unwrap();
        let jia_hex = hex::encode(jia.key.verifying_key().to_bytes());
        poll("甲's public key", async || {
            let t = b.find(Locator::Css("#public-hex")).await.ok()?.text().await.ok()?;
            (t == jia_hex).then_some(())
        })
        .await;
        poll("甲's name", async || {
            let t = b.find(Locator::Css("#key-membership.ok")).await.ok()?.text().await.ok()?;
            t.contains("「甲」").then_some(())
        })
        .await;

        let signed_at = community_ledger::now().to_string();
        let token_file = d.data_dir().join("trustee.token");
        std::fs::write(&token_file, &token).unwrap();
        let cli = run_client(&d, &[
            "--key", jia_file.to_str().unwrap(), "--token-file", token_file.to_str().unwrap(),
            "submit", "donation", "--fund", FUND, "--amount", "88.00", "--donor-class", "enterprise",
            "--donor-name", "成都某科技有限公司", "--channel", "bank_transfer", "--receipt-no", "P-1",
            "--idempotency-key", "parity-1", "--signed-at", &signed_at,
        ]);
        assert_eq!(cli.code, 0, "{} {}", cli.stdout, cli.stderr);
        let (_, entries) = d.client().public().send_json(Method::GET, &format!("/api/v1/funds/{FUND}/entries?from=0&limit=100"), None).await;
        let cli_entry = entries["entries"].as_array().unwrap().iter()
            .find(|e| e["entry"]["intent"]["key"] == "parity-1").cloned().expect("the CLI's entry");
        let browser_signed = js(
            &b,
            r#"const [signedAt, done] = arguments;
            import('/static/trustee/api.js').then(async (m) => {
              const body = { amount: '88.00', donor: { class: 'enterprise', name: '成都某科技有限公司' },
                             channel: 'bank_transfer', receipt_no: 'P-1' };
              const value = m.intent('ws', 'donation', body, { key: 'parity-1', signed_at: signedAt });
              const signed = await m.signIntent('ws', value);
              let replay;
              try { replay = await m.append('ws', value); } catch (e) { replay = { error: e.code }; }
              done({ signed, replay });
            });"#,
            vec![json!(signed_at)],
        )
        .await;
        let cli_intent = String::from_utf8(ledger_core::canonical::canonicalize(&cli_entry["entry"]["intent"])).unwrap();
        assert_eq!(browser_signed["signed"]["intent"], json!(cli_intent), "the same intent bytes");
        assert_eq!(browser_signed["signed"]["sigs"], cli_entry["entry"]["sigs"], "the same signature bytes");
        assert_eq!(browser_signed["replay"]["seq"], cli_entry["seq"], "the server takes the browser's bytes as the CLI's entry: {browser_signed}");

        step("The whole fund verifies");
        // The whole fund verifies with ledger-verify.
        let out = Command::new(community_ledger::verify_binary())
            .args(["--url", &base, "--fund", FUND, "--json", "--no-progress"])
            .stdin(Stdio::null())
            .output()
            .expect("running ledger-verify");
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));

        step("No request of the session");
        // No request of the session carried the imported private key, in any encoding.
        log.extend(network_log(&b, &driver).await);
        let mut pkcs8 = hex::decode("302e020100300506032b657004220420").unwrap();
        pkcs8.extend_from_slice(&seed);
        let secrets = [
            hex::encode(seed), hex::encode(seed).to_uppercase(), STANDARD.encode(seed), URL_SAFE_NO_PAD.encode(seed),
            hex::encode(&pkcs8), STANDARD.encode(&pkcs8), URL_SAFE_NO_PAD.encode(&pkcs8),
        ];
        let requests: Vec<&Value> = log.iter().filter(|m| m["method"] == "Network.requestWillBeSent").collect();
        let bodies: Vec<&Value> = requests.iter().filter_map(|m| m["params"]["request"]["postData"].as_str().map(|_| *m)).collect();
        assert!(
            bodies.iter().any(|m| m["params"]["request"]["postData"].as_str().unwrap().contains("\"sigs\"")),
            "the log holds the signed requests' bodies ({} requests)", requests.len()
        );
        for m in &requests {
            if m["params"]["request"]["hasPostData"] == true {
                assert!(m["params"]["request"]["postData"].is_string(), "a body the log does not show: {m}");
            }
        }
        let all = serde_json::to_string(&log).unwrap();
        for s in &secrets {
            assert!(!all.contains(s.as_str()), "a request carried the private key ({s})");
        }
        eprintln!("network log: {} requests, {} with bodies, none with the key", requests.len(), bodies.len());
    });
}
