//! The co-signing inbox and the CSV import of the trustees' workspace in a real browser
//! (headless Chromium through chromedriver, driven with fantoccini), on a fresh deployment
//! with a fund of three trustees (甲, 乙, 丙) whose keys the test holds; the browser holds
//! 乙's key (its key file imported on the keys page):
//!
//! - inbox: 甲 proposes a disbursement that needs all three; it appears in 乙's inbox with
//!   its plain words, proposer, what is missing and its exact canonical JSON; 乙 signs from
//!   the list; it moves to "waiting for others" with one signature missing; when 丙 signs
//!   (through the API) the list refreshes by itself and the entry is on the public fund
//!   page, signed by the three;
//! - import: a file with a bad row is checked: the row is listed with its line and reason
//!   and nothing is written; the good file is checked, then signed and recorded row by
//!   row (a resident's identity to the vault, every entry signed by 乙's key); checked
//!   again, every row is already recorded and nothing new is written.
//!
//! Screenshots at desktop and 390 px width go to `target/screenshots/inbox-*.png` and
//! `import-*.png`. Without Chromium and chromedriver the test prints SKIP, unless
//! `LEDGER_REQUIRE_BROWSER=1`.

#[path = "support/browser.rs"]
mod browser;

use std::time::{Duration, Instant};

use browser::{browser_tools, open_browser, screenshot, text_of, Driver, ELEMENT_TIMEOUT};
use community_ledger::{sign_bytes, sign_value, Client, Deployment, Trustee};
use fantoccini::{Client as Browser, Locator};
use reqwest::Method;
use serde_json::{json, Value};

const FUND: &str = "inbox";

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

/// Runs `script` in the page (synchronously); returns its value.
async fn js(b: &Browser, script: &str) -> Value {
    b.execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
}

async fn click(b: &Browser, css: &str) {
    b.wait()
        .at_most(ELEMENT_TIMEOUT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
}

/// The page does not scroll sideways.
async fn fits(b: &Browser, what: &str) {
    let v = js(
        b,
        "return [document.documentElement.scrollWidth, window.innerWidth];",
    )
    .await;
    let (scroll, inner) = (v[0].as_u64().unwrap(), v[1].as_u64().unwrap());
    assert!(scroll <= inner, "{what}: {scroll} px wide in {inner} px");
}

/// Screenshots at desktop and 390 px width, checking the narrow one fits.
async fn both_widths(b: &Browser, name: &str) {
    screenshot(b, name).await;
    b.set_window_size(390, 1200).await.unwrap();
    fits(b, name).await;
    screenshot(b, &format!("{name}-390")).await;
    b.set_window_size(1024, 1400).await.unwrap();
}

async fn fund(c: &Client) -> Value {
    c.get_json(&format!("/api/v1/funds/{FUND}"))
        .await
        .expect("fund")
}

/// The items of a list (`#inbox-list`, `#waiting-list`) as `[id, text]` pairs.
async fn items(b: &Browser, list: &str) -> Vec<(String, String)> {
    let v = js(
        b,
        &format!(
            "return [...document.querySelectorAll('#{list} li.inbox-item')].map((li) => [li.dataset.id, li.textContent]);"
        ),
    )
    .await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_owned(),
                p[1].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Chooses `path` in the import form, as layout `kind`, and runs the dry run; returns the
/// summary once shown.
async fn dry_run(b: &Browser, base: &str, kind: &str, path: &std::path::Path) -> String {
    b.goto(&format!("{base}/trustee/import")).await.unwrap();
    let file = b
        .wait()
        .at_most(ELEMENT_TIMEOUT)
        .for_element(Locator::Css("#import-file"))
        .await
        .unwrap();
    js(
        b,
        &format!("document.getElementById('import-kind').value = '{kind}'; return 1;"),
    )
    .await;
    file.send_keys(path.to_str().unwrap()).await.unwrap();
    click(b, "#import-check").await;
    poll("the dry run's summary", async || {
        let t = b
            .find(Locator::Css("#import-summary"))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        (!t.is_empty()).then_some(t)
    })
    .await
}

#[test]
fn co_signing_from_the_inbox_and_importing_csv_in_a_browser() {
    let Some((chromium, chromedriver)) = browser_tools("co-signing inbox and CSV import") else {
        return;
    };
    let d = Deployment::sqlite("workspace-inbox");
    let base = d.base_url().to_owned();
    let dir = d.data_dir().to_owned();
    let profile = tempfile::tempdir().expect("browser profile");
    let driver = Driver::start(&chromedriver, &dir.join("chromedriver.log"));
    let (jia, yi, bing) = (
        Trustee::random("甲"),
        Trustee::random("乙"),
        Trustee::random("丙"),
    );
    let rt = community_ledger::runtime();
    rt.block_on(async {
        // Disbursements need the three trustees; everything else one.
        let token = d
            .create_fund(FUND, &[&jia, &yi, &bing], (1, 3, 1))
            .await
            .trustee_token;
        let api = d.client().public().with_token(&token);
        let gift = sign_value(
            &json!({"fund": FUND, "kind": "donation", "key": "gift-1",
                "signed_at": community_ledger::now().to_string(),
                "body": {"amount": "1000.00", "donor": {"class": "anonymous"}, "channel": "cash", "receipt_no": "G-1"}}),
            &[&jia.key],
        );
        assert_eq!(api.append(&gift).await.unwrap().status, 201);

        let b = open_browser(&chromium, &driver, profile.path()).await;
        b.goto(&format!("{base}/trustee")).await.unwrap();
        let input = b
            .wait()
            .at_most(ELEMENT_TIMEOUT)
            .for_element(Locator::Css("#token"))
            .await
            .unwrap();
        input.send_keys(&format!("{token}\u{E007}")).await.unwrap();
        assert_eq!(text_of(&b, "#ws-fund").await, FUND);
        // 乙's key file, imported into the browser (non-extractable there).
        b.goto(&format!("{base}/trustee/keys")).await.unwrap();
        let area = b
            .wait()
            .at_most(ELEMENT_TIMEOUT)
            .for_element(Locator::Css("#key-text"))
            .await
            .unwrap();
        area.send_keys(&hex::encode(yi.key.to_bytes())).await.unwrap();
        click(&b, "#import-key").await;
        let membership = poll("乙 named as trustee", async || {
            let t = b.find(Locator::Css("#key-membership.ok")).await.ok()?.text().await.ok()?;
            (!t.is_empty()).then_some(t)
        })
        .await;
        assert!(membership.contains("乙"), "{membership}");

        // ---- inbox -------------------------------------------------------------------
        b.goto(&format!("{base}/trustee/inbox")).await.unwrap();
        poll("an empty inbox", async || {
            let t = b.find(Locator::Css("#inbox-status")).await.ok()?.text().await.ok()?;
            t.contains("没有等待").then_some(())
        })
        .await;
        assert!(items(&b, "inbox-list").await.is_empty());
        let spend = sign_value(
            &json!({"fund": FUND, "kind": "disbursement", "key": "spend-1",
                "signed_at": community_ledger::now().to_string(),
                "body": {"amount": "300.00", "payee": {"name": "社区老年食堂", "class": "organisation"},
                         "purpose": "助餐补贴", "project": "长者助餐", "invoice_no": "INV-1"}}),
            &[&jia.key],
        );
        let (s, proposed) = api
            .send_json(
                Method::POST,
                &format!("/api/v1/funds/{FUND}/proposals"),
                Some(&json!({"intent": spend.intent, "sigs": spend.sigs})),
            )
            .await;
        assert_eq!(s, 202, "{proposed}");
        let id = proposed["proposal"]["id"].as_str().unwrap().to_owned();
        // It appears without a reload (the list refreshes), in plain words.
        let listed = poll("the proposal in 乙's inbox", async || {
            items(&b, "inbox-list").await.into_iter().find(|(i, _)| *i == id)
        })
        .await;
        assert!(listed.1.contains("支出：向社区老年食堂付 300.00 元"), "{}", listed.1);
        assert!(listed.1.contains("还差 2 个"), "{}", listed.1);
        let shown = js(&b, "return document.querySelector('#inbox-list pre.canonical').textContent;").await;
        assert_eq!(shown, json!(spend.intent), "the exact canonical JSON is shown");
        both_widths(&b, "inbox").await;
        let size = fund(&api).await["size"].as_u64().unwrap();

        // 乙 signs from the list: one more signature, still one missing; it moves.
        click(&b, &format!("li[data-id='{id}'] button.sign")).await;
        poll("the proposal waiting for others", async || {
            let w = items(&b, "waiting-list").await;
            let mine = items(&b, "inbox-list").await;
            (w.iter().any(|(i, t)| *i == id && t.contains("还差 1 个")) && mine.is_empty()).then_some(())
        })
        .await;
        let done = text_of(&b, "#inbox-done").await;
        assert!(done.contains("还差 1 个"), "{done}");
        assert_eq!(fund(&api).await["size"].as_u64().unwrap(), size, "not yet recorded");
        let p = api.get_json(&format!("/api/v1/funds/{FUND}/proposals/{id}")).await.unwrap();
        assert!(p["sigs"].as_array().unwrap().iter().any(|s| s["key"] == yi.public_key().to_hex()), "{p}");
        screenshot(&b, "inbox-waiting").await;

        // 丙 signs through the API: the quorum is met; the browser's list empties by itself.
        let sig = sign_bytes(&spend.intent, &[&bing.key]).remove(0);
        let (s, v) = api
            .send_json(
                Method::POST,
                &format!("/api/v1/funds/{FUND}/proposals/{id}/signatures"),
                Some(&json!({"sig": sig})),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        let seq = v["entry"]["seq"].as_u64().unwrap();
        poll("the appended proposal leaving the lists", async || {
            items(&b, "waiting-list").await.is_empty().then_some(())
        })
        .await;
        b.goto(&format!("{base}/funds/{FUND}")).await.unwrap();
        let page = text_of(&b, "main").await;
        assert!(page.contains("300.00"), "the entry on the public fund page: {page}");
        let e = api.get_json(&format!("/api/v1/funds/{FUND}/entries/{seq}")).await.unwrap();
        assert_eq!(e["entry"]["sigs"].as_array().unwrap().len(), 3, "{e}");

        // ---- import ------------------------------------------------------------------
        let header = "date,amount,donor_class,donor_name,donor_phone,channel,receipt_no,memo\n";
        let good_rows = "2019-03-05,100.00,enterprise,成都某某科技有限公司,,bank_transfer,H-1,\n\
                         2019-03-06,20.00,anonymous,,,cash,H-2,\n\
                         2019-03-07,50.00,resident,李四,13900002222,wechat_pay,H-3,\n";
        let good = dir.join("good.csv");
        std::fs::write(&good, format!("{header}{good_rows}")).unwrap();
        let bad = dir.join("bad.csv");
        std::fs::write(
            &bad,
            format!("{header}2019-03-05,100.00,enterprise,成都某某科技有限公司,,bank_transfer,H-1,\n2019-03-08,12.345,anonymous,,,cash,H-4,\n"),
        )
        .unwrap();
        let before = fund(&api).await;

        let summary = dry_run(&b, &base, "donation", &bad).await;
        assert!(summary.contains("1 行会被拒绝") && summary.contains("未写入"), "{summary}");
        let row = text_of(&b, "#import-refused tbody tr[data-line='3']").await;
        assert!(row.contains("row_invalid") && row.contains("12.345"), "{row}");
        let hidden = js(&b, "return document.getElementById('import-run').hidden;").await;
        assert_eq!(hidden, json!(true), "nothing to sign while a row is refused");
        both_widths(&b, "import-dry-run").await;
        assert_eq!(fund(&api).await, before, "a dry run writes nothing");

        let summary = dry_run(&b, &base, "donation", &good).await;
        assert!(summary.contains("3 行可记入"), "{summary}");
        click(&b, "#import-run").await;
        let summary = poll("the import done", async || {
            let el = b.find(Locator::Css("#import-summary[data-done='true']")).await.ok()?;
            el.text().await.ok()
        })
        .await;
        assert!(summary.contains("3 行已记入"), "{summary}");
        assert_eq!(text_of(&b, "#import-progress-text").await, "3 / 3");
        both_widths(&b, "import-done").await;
        let after = fund(&api).await["size"].as_u64().unwrap();
        assert_eq!(after, before["size"].as_u64().unwrap() + 3);
        for seq in after - 3..after {
            let e = api.get_json(&format!("/api/v1/funds/{FUND}/entries/{seq}")).await.unwrap();
            let sigs = e["entry"]["sigs"].as_array().unwrap();
            assert_eq!(sigs.len(), 1);
            assert_eq!(sigs[0]["key"], yi.public_key().to_hex(), "signed by the browser's key");
            assert!(e["entry"]["intent"]["key"].as_str().unwrap().starts_with("imp-"), "{e}");
        }
        // The resident's name and phone went to the vault, beside the entry.
        let auditor = d.client().public().with_token(&d.auditor_token());
        let vault = auditor
            .get_json(&format!("/api/v1/funds/{FUND}/vault/{}", after - 1))
            .await
            .expect("the vault row");
        assert_eq!(vault["name"], "李四", "{vault}");

        // A re-run records nothing new.
        let summary = dry_run(&b, &base, "donation", &good).await;
        assert!(summary.contains("3 行已记入") && summary.contains("0 行可记入"), "{summary}");
        let disabled = js(&b, "return document.getElementById('import-run').disabled;").await;
        assert_eq!(disabled, json!(true));
        assert_eq!(fund(&api).await["size"].as_u64().unwrap(), after);
    });
}
