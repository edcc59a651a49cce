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
//! - a donation recorded by keyboard alone (Tab, Shift-Tab, an arrow in a select, Enter to
//!   review, Space to sign; no click, no script setting a field), up to the recorded entry;
//! - byte parity: 甲's key file imported into the browser signs a donation byte for byte as
//!   the CLI (`ledger submit donation … --idempotency-key --signed-at`) did, and the
//!   server takes the browser's bytes as that same entry; a resident's donation too, with
//!   the salt fixed on both sides (`--donor-salt-hex`; the page's test-only
//!   `LEDGER_TEST_DONOR_SALT`), and the vault holds the identity the browser would send;
//!   `ledger-verify` passes the fund;
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
use std::time::Instant;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use browser::{
    browser_tools, fits, js, network_log, open_browser_with, poll, record, screenshot, text_of,
    wait_for, Driver, Outcome,
};
use community_ledger::{run_client, sign_bytes, sign_value, write_key_file, Deployment, Trustee};
use fantoccini::{Client as Browser, Locator};
use reqwest::Method;
use serde_json::{json, Value};

const FUND: &str = "ws";

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

/// Keys of the WebDriver key table (fantoccini sends them as characters).
const TAB: &str = "\u{E004}";
const SHIFT_TAB: &str = "\u{E008}\u{E004}";
const ENTER: &str = "\u{E007}";
const SPACE: &str = " ";
const DOWN: &str = "\u{E015}";

/// The focused element's `id` or, failing that, its `name` (`""` for neither).
async fn focused(b: &Browser) -> String {
    js(
        b,
        "const a = document.activeElement; arguments[0](a ? (a.id || a.name || '') : '');",
        vec![],
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// Sends `keys` to the focused element, as a keyboard user would.
async fn press(b: &Browser, keys: &str) {
    b.active_element()
        .await
        .expect("a focused element")
        .send_keys(keys)
        .await
        .expect("keys");
}

/// Presses `key` (Tab or Shift-Tab) until the focus is on `target` (its id, or its name
/// for form fields); at most 40 presses. Returns how many it took.
async fn tab_to(b: &Browser, key: &str, target: &str) -> usize {
    for n in 0..40 {
        if focused(b).await == target {
            return n;
        }
        press(b, key).await;
    }
    panic!("{target} is not reachable by keyboard (focus stayed off it for 40 presses)");
}

async fn size(d: &Deployment) -> u64 {
    let (_, v) = d
        .client()
        .public()
        .send_json(Method::GET, &format!("/api/v1/funds/{FUND}"), None)
        .await;
    v["size"].as_u64().unwrap()
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

        step("A donation by keyboard alone");
        // A donation by keyboard alone: Tab and Shift-Tab between fields, arrows in a
        // select, Enter to review, Space to sign; no click and no script sets a field.
        b.goto(&format!("{base}/trustee/record?kind=donation")).await.unwrap();
        wait_for(&b, "#record-form #review").await;
        let before = size(&d).await;
        tab_to(&b, TAB, "f-amount").await;
        press(&b, "66.5").await;
        tab_to(&b, TAB, "f-donor_class").await;
        press(&b, DOWN).await; // 居民 → 企业
        tab_to(&b, TAB, "f-receipt_no").await;
        press(&b, "K-1").await;
        // Back to the name (hidden phone and consent box are skipped both ways).
        tab_to(&b, SHIFT_TAB, "f-donor_name").await;
        press(&b, &format!("成都键盘科技有限公司{ENTER}")).await;
        poll("the review, focused", async || (focused(&b).await == "review-title").then_some(())).await;
        tab_to(&b, TAB, "sign").await;
        press(&b, SPACE).await;
        let done = wait_for(&b, "#done-box").await;
        let seq: u64 = done.attr("data-seq").await.unwrap().expect("recorded").parse().unwrap();
        assert_eq!(focused(&b).await, "done-box", "the result takes the focus");
        assert_eq!(size(&d).await, before + 1, "one entry written");
        let (_, e) = d.client().public().send_json(Method::GET, &format!("/api/v1/funds/{FUND}/entries?from={seq}&limit=1"), None).await;
        let body = &e["entries"][0]["entry"]["intent"]["body"];
        assert_eq!(body["amount"], "66.50", "{e}");
        assert_eq!(body["donor"], json!({"class": "enterprise", "name": "成都键盘科技有限公司"}), "{e}");
        assert_eq!((body["channel"].as_str(), body["receipt_no"].as_str()), (Some("cash"), Some("K-1")), "{e}");

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

        // A resident's donation too, with the salt fixed on both sides (the CLI's
        // --donor-salt-hex; the page's test-only hook): the same commitment, intent and
        // signature bytes, and the vault holds the identity the browser would have sent.
        let salt = "00112233445566778899aabbccddeeff";
        let cli = run_client(&d, &[
            "--key", jia_file.to_str().unwrap(), "--token-file", token_file.to_str().unwrap(),
            "submit", "donation", "--fund", FUND, "--amount", "30.00", "--donor-class", "resident",
            "--donor-name", "赵六", "--donor-phone", "13900000000", "--channel", "wechat_pay",
            "--receipt-no", "P-2", "--donor-salt-hex", salt,
            "--idempotency-key", "parity-2", "--signed-at", &signed_at,
        ]);
        assert_eq!(cli.code, 0, "{} {}", cli.stdout, cli.stderr);
        let (_, entries) = d.client().public().send_json(Method::GET, &format!("/api/v1/funds/{FUND}/entries?from=0&limit=100"), None).await;
        let cli_entry = entries["entries"].as_array().unwrap().iter()
            .find(|e| e["entry"]["intent"]["key"] == "parity-2").cloned().expect("the CLI's resident entry");
        let browser_signed = js(
            &b,
            r#"const [signedAt, salt, done] = arguments;
            globalThis.LEDGER_TEST_DONOR_SALT = salt;
            import('/static/trustee/api.js').then(async (m) => {
              const c = await m.residentCommitment('赵六', '13900000000');
              const again = await m.residentCommitment('赵六', '13900000000');
              const body = { amount: '30.00', donor: { class: 'resident', commitment: c.commitment },
                             channel: 'wechat_pay', receipt_no: 'P-2' };
              const value = m.intent('ws', 'donation', body, { key: 'parity-2', signed_at: signedAt });
              const signed = await m.signIntent('ws', value);
              let replay;
              try { replay = await m.append('ws', value, c.identity); } catch (e) { replay = { error: e.code }; }
              done({ signed, replay, identity: c.identity, again: again.identity.salt });
            });"#,
            vec![json!(signed_at), json!(salt)],
        )
        .await;
        let cli_intent = String::from_utf8(ledger_core::canonical::canonicalize(&cli_entry["entry"]["intent"])).unwrap();
        assert_eq!(browser_signed["signed"]["intent"], json!(cli_intent), "the same resident intent bytes");
        assert_eq!(browser_signed["signed"]["sigs"], cli_entry["entry"]["sigs"], "the same resident signature bytes");
        assert_eq!(browser_signed["replay"]["seq"], cli_entry["seq"], "{browser_signed}");
        assert_ne!(browser_signed["again"], json!(salt), "the hook fixes one salt only, then it is random again");
        let auditor = d.client().public().with_token(&d.auditor_token());
        let vault = auditor
            .get_json(&format!("/api/v1/funds/{FUND}/vault/{}", cli_entry["seq"]))
            .await
            .expect("the vault row");
        for field in ["salt", "name", "phone"] {
            assert_eq!(vault[field], browser_signed["identity"][field], "the vault's {field}: {vault}");
        }

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
