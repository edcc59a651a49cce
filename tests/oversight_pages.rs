//! The oversight pages of issue 17 in a real browser (headless Chromium through
//! chromedriver, driven with fantoccini), on the demo's funds served by the real server:
//!
//! - a two-column statement (非限定性 / 限定性 / 合计) of a fund whose restricted money is
//!   released: its closing row and its line-40 row show the figures the API serves (the
//!   core's statement, verified when it was appended);
//! - the disclosure calendar on the fund page with an overdue item: the count and the
//!   first overdue duty are the API's (the core's calendar);
//! - a correction's 更正说明 beside the statement it changes, with the note's own text;
//! - a supervisor's opinion on a statement, its verdict and reasons as signed;
//! - the statutory report page (业务活动表 and the net-asset lines): every cell equals the
//!   API's report (ledger-core's `statutory::Report`).
//!
//! Each page is also shown 390 px wide, where it must not scroll sideways; screenshots at
//! desktop width and 390 px go to `target/screenshots/oversight-*.png`. Without Chromium
//! and chromedriver the test prints SKIP, unless `LEDGER_REQUIRE_BROWSER=1`.

use community_ledger::Server;
use fantoccini::{Client as Browser, Locator};
use serde_json::Value;

#[path = "support/browser.rs"]
mod browser;
use browser::{browser_tools, fits, open_browser, screenshot, text_of, Driver};

/// `12345.60` (or `-5.00`) as the statement page prints money: `¥12,345.60`, `-¥5.00`.
fn yuan(money: &str) -> String {
    let (sign, digits) = match money.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", money),
    };
    let (int, frac) = digits.split_once('.').expect("money has fen");
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}¥{grouped}.{frac}")
}

/// The texts of the cells (`td`) of the first row matching `css`.
async fn cells(b: &Browser, css: &str) -> Vec<String> {
    let row = b
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    let mut out = Vec::new();
    for td in row.find_all(Locator::Css("td")).await.expect("cells") {
        out.push(td.text().await.expect("text").trim().to_owned());
    }
    out
}

/// Screenshots of the page at desktop width and 390 px (which must fit), named `name`.
async fn both_widths(b: &Browser, name: &str) {
    screenshot(b, &format!("oversight-{name}")).await;
    b.set_window_size(390, 1200).await.expect("390 px");
    fits(b, name).await;
    screenshot(b, &format!("oversight-{name}-390")).await;
    b.set_window_size(1024, 1400).await.expect("desktop");
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("{v} is not a string"))
}

#[test]
fn oversight_pages_in_a_browser() {
    let Some((chromium, chromedriver)) = browser_tools("oversight pages") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start_demo(dir.path());
    let base = server.base_url().to_owned();
    let api = server.client().public();
    let profile = tempfile::tempdir().expect("browser profile");
    let driver = Driver::start(&chromedriver, &dir.path().join("chromedriver.log"));
    let rt = community_ledger::runtime();
    rt.block_on(async {
        let get = |path: String| {
            let api = &api;
            async move { api.get_json(&path).await.expect("API read") }
        };
        let funds = get("/api/v1/funds".into()).await;
        let ids: Vec<String> = funds["funds"]
            .as_array()
            .expect("funds")
            .iter()
            .map(|f| s(&f["id"]).to_owned())
            .collect();
        // A two-column statement that releases restricted money, and a corrected one.
        let mut released = None;
        let mut corrected = None;
        for id in &ids {
            let list = get(format!("/api/v1/funds/{id}/statements")).await;
            for st in list["statements"].as_array().expect("statements") {
                let figures = &st["statement"];
                if released.is_none()
                    && figures["version"] == 2
                    && figures["restricted"]["releases"] != "0.00"
                {
                    released = Some((id.clone(), st.clone()));
                }
                if corrected.is_none() && figures["supersedes"].is_u64() {
                    corrected = Some((id.clone(), st.clone()));
                }
            }
            if released.is_some() && corrected.is_some() {
                break;
            }
        }
        let (fund, st) = released.expect("a demo statement releases restricted money");
        let (cfund, cst) = corrected.expect("a demo statement is corrected");
        let b = open_browser(&chromium, &driver, profile.path()).await;

        // The two-column statement.
        let seq = st["seq"].as_u64().expect("seq");
        b.goto(&format!("{base}/funds/{fund}/statements/{seq}"))
            .await
            .expect("statement page");
        let head = text_of(&b, "table.figures.columns thead").await;
        for col in ["非限定性", "限定性", "合计"] {
            assert!(head.contains(col), "{col} in {head}");
        }
        let f = &st["statement"];
        assert_eq!(
            cells(&b, "table.figures.columns tr.total").await,
            [
                yuan(s(&f["unrestricted"]["closing"])),
                yuan(s(&f["restricted"]["closing"])),
                yuan(s(&f["closing"])),
            ],
            "{fund} #{seq}: the closing row is the statement's"
        );
        let release_row = b
            .find_all(Locator::Css("table.figures.columns tbody tr"))
            .await
            .expect("rows");
        let mut shown = None;
        for row in release_row {
            if row
                .text()
                .await
                .expect("text")
                .contains("限定性净资产转为非限定性净资产")
            {
                shown = Some(row.text().await.expect("text"));
            }
        }
        let shown = shown.expect("the release row");
        assert!(
            shown.contains(&yuan(s(&f["unrestricted"]["releases"]))),
            "{fund} #{seq}: released {} in {shown}",
            s(&f["unrestricted"]["releases"])
        );
        both_widths(&b, "two-column-statement").await;

        // A supervisor's opinion: on the fund's first statement (the demo's supervisors
        // sign one there), as the opinion entry says.
        let list = get(format!("/api/v1/funds/{fund}/statements")).await;
        let first = list["statements"][0]["seq"].as_u64().expect("a statement");
        b.goto(&format!("{base}/funds/{fund}/statements/{first}"))
            .await
            .expect("first statement");
        let opinion = b
            .find(Locator::Css(".opinions li.opinion"))
            .await
            .expect("an opinion is shown");
        let id = opinion.attr("id").await.expect("id").expect("an id");
        let oseq: u64 = id
            .strip_prefix("opinion-")
            .and_then(|n| n.parse().ok())
            .expect("opinion-<seq>");
        let entry = get(format!("/api/v1/funds/{fund}/entries/{oseq}")).await;
        let body = &entry["entry"]["intent"]["body"];
        assert_eq!(body["statement"].as_u64(), Some(first), "{entry}");
        let text = opinion.text().await.expect("text");
        let verdict = if body["verdict"] == "agree" {
            "同意"
        } else {
            "不同意"
        };
        assert!(text.contains(verdict), "{text}");
        assert!(text.contains(s(&body["reasons"])), "{text}");
        both_widths(&b, "opinion").await;

        // The correction note beside the statement it changes.
        let superseded = cst["statement"]["supersedes"].as_u64().expect("supersedes");
        b.goto(&format!("{base}/funds/{cfund}"))
            .await
            .expect("fund page");
        let note = text_of(&b, "#corrections li.correction").await;
        let link = b
            .find(Locator::Css(&format!(
                "#corrections a[href='/funds/{cfund}/statements/{superseded}']"
            )))
            .await;
        assert!(
            link.is_ok(),
            "the note links the statement it changes: {note}"
        );
        let id = b
            .find(Locator::Css("#corrections li.correction"))
            .await
            .expect("note")
            .attr("id")
            .await
            .expect("id")
            .expect("an id");
        let rseq: u64 = id
            .strip_prefix("correction-")
            .and_then(|n| n.parse().ok())
            .expect("correction-<seq>");
        let reversal = get(format!("/api/v1/funds/{cfund}/entries/{rseq}")).await;
        let said = s(&reversal["entry"]["intent"]["body"]["correction"]);
        assert!(note.contains(said), "the note as signed: {note}");

        // The disclosure calendar, with its overdue items, as the API computes it.
        let cal = get(format!("/api/v1/funds/{cfund}/disclosures")).await;
        let overdue = cal["overdue"].as_u64().expect("overdue");
        assert!(overdue > 0, "the demo has overdue duties: {cal}");
        let count = text_of(&b, "#disclosures #overdue-count").await;
        assert!(count.contains(&overdue.to_string()), "{count}");
        let first_overdue = cal["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|i| i["status"] == "overdue")
            .map(|i| s(&i["due"]).to_owned())
            .collect::<Vec<_>>();
        let rows = b
            .find_all(Locator::Css("#disclosures tr.duty-overdue"))
            .await
            .expect("overdue rows");
        assert_eq!(rows.len() as u64, overdue, "one row per overdue duty");
        let mut dues = Vec::new();
        for r in rows {
            let t = r.text().await.expect("text");
            assert!(t.contains("已逾期"), "{t}");
            dues.extend(
                first_overdue
                    .iter()
                    .filter(|d| t.contains(d.as_str()))
                    .cloned(),
            );
        }
        dues.sort();
        let mut want = first_overdue.clone();
        want.sort();
        assert_eq!(dues, want, "the overdue rows' due dates");
        both_widths(&b, "fund-calendar-correction").await;

        // The statutory report page of the year the statement is in.
        let year = &s(&f["period"]["from"])[..4];
        let report = get(format!(
            "/api/v1/funds/{fund}/reports/statutory?period={year}"
        ))
        .await;
        b.goto(&format!(
            "{base}/funds/{fund}/reports/statutory?period={year}"
        ))
        .await
        .expect("statutory page");
        for line in report["activities"].as_array().expect("activities") {
            let n = line["line"].as_u64().expect("line");
            let got = cells(&b, &format!("#activities #line-{n}")).await;
            assert_eq!(
                got,
                [
                    n.to_string(),
                    s(&line["unrestricted"]).to_owned(),
                    s(&line["restricted"]).to_owned(),
                    s(&line["total"]).to_owned(),
                ],
                "{fund} {year}: line {n}"
            );
        }
        for line in report["net_assets"].as_array().expect("net assets") {
            let n = line["line"].as_u64().expect("line");
            let got = cells(&b, &format!("#net-assets #line-{n}")).await;
            assert_eq!(
                got,
                [
                    n.to_string(),
                    s(&line["opening"]).to_owned(),
                    s(&line["closing"]).to_owned(),
                ],
                "{fund} {year}: line {n}"
            );
        }
        let released = report["activities"]
            .as_array()
            .expect("activities")
            .iter()
            .find(|l| l["line"] == 40)
            .expect("line 40");
        assert_ne!(
            released["unrestricted"], "0.00",
            "line 40 shows the releases"
        );
        both_widths(&b, "statutory").await;
        b.close().await.expect("close");
    });
}
