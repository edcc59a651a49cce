//! The statutory report and the disclosure calendar through the API and the pages, on the
//! demo funds (issue 17 items 3 and 5): the report's 净资产合计 at the year's end is the
//! fund's balance, its lines add up, restricted money shows on line 40 where a demo story
//! restricts it, CSV is served, the calendar lists duties with their seqs; bad periods,
//! formats and dates are clear problems (400) and unknown funds 404.

use community_ledger::Server;
use ledger_core::money::Money;
use reqwest::Method;
use serde_json::Value;

fn fen(v: &Value) -> i64 {
    v.as_str()
        .unwrap_or_else(|| panic!("{v} is not money"))
        .parse::<Money>()
        .expect("money")
        .to_fen()
}

fn line(report: &Value, n: u64) -> &Value {
    report["activities"]
        .as_array()
        .expect("activities")
        .iter()
        .find(|l| l["line"] == n)
        .unwrap_or_else(|| panic!("line {n}"))
}

fn net(report: &Value, n: u64) -> &Value {
    report["net_assets"]
        .as_array()
        .expect("net assets")
        .iter()
        .find(|l| l["line"] == n)
        .unwrap_or_else(|| panic!("line {n}"))
}

#[test]
fn demo_funds_have_statutory_reports_and_calendars() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start_demo(dir.path());
    let rt = community_ledger::runtime();
    let public = server.client().public();
    let funds = rt
        .block_on(public.get_json("/api/v1/funds"))
        .expect("funds");
    let ids: Vec<String> = funds["funds"]
        .as_array()
        .expect("funds")
        .iter()
        .filter_map(|f| f["id"].as_str().map(str::to_owned))
        .take(6)
        .collect();
    let year = ledger_core::time::Instant::from_unix_seconds(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs() as i64,
    )
    .expect("now")
    .local_date(ledger_core::time::UtcOffset::CHINA)
    .year();
    let mut released = 0;
    for fund in &ids {
        let info = rt
            .block_on(public.get_json(&format!("/api/v1/funds/{fund}")))
            .expect("fund");
        let r = rt
            .block_on(public.get_json(&format!(
                "/api/v1/funds/{fund}/reports/statutory?period={year}"
            )))
            .expect("report");
        // 净资产合计 at the year's end (today is in it) is the fund's balance.
        assert_eq!(
            fen(&net(&r, 110)["closing"]),
            fen(&info["balance"]),
            "{fund}: {r}"
        );
        for col in ["unrestricted", "restricted", "total"] {
            let sum: i64 = [1, 3, 9].iter().map(|n| fen(&line(&r, *n)[col])).sum();
            assert_eq!(fen(&line(&r, 11)[col]), sum, "{fund} 收入合计 {col}");
        }
        assert_eq!(
            fen(&line(&r, 45)["total"]),
            fen(&line(&r, 11)["total"]) - fen(&line(&r, 35)["total"])
        );
        assert_eq!(
            fen(&net(&r, 110)["closing"]) - fen(&net(&r, 110)["opening"]),
            fen(&line(&r, 45)["total"]),
            "{fund}: the change of net assets"
        );
        assert!(r["annual"].is_object(), "a year has annual items");
        if fen(&line(&r, 40)["unrestricted"]) != 0 {
            released += 1;
        }
        let cal = rt
            .block_on(public.get_json(&format!("/api/v1/funds/{fund}/disclosures")))
            .expect("calendar");
        let items = cal["items"].as_array().expect("items");
        assert!(
            items.iter().any(|i| i["duty"] == "monthly_statement"
                && i["status"] == "published"
                && i["seq"].is_u64()),
            "{fund}: monthly statements published: {cal}"
        );
    }
    assert!(
        released > 0,
        "a demo fund spends restricted money (line 40)"
    );

    let fund = &ids[0];
    // CSV.
    let resp = rt
        .block_on(async {
            public
                .request(
                    Method::GET,
                    &format!("/api/v1/funds/{fund}/reports/statutory?period={year}-Q1&format=csv"),
                )
                .send()
                .await
        })
        .expect("csv");
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = rt.block_on(resp.text()).expect("text");
    assert!(
        text.starts_with("line,item_zh,item_en,unrestricted,restricted,total\n1,捐赠收入,"),
        "{text}"
    );
    assert!(text.contains("\n110,净资产合计,"), "{text}");

    // Bad input: clear problems.
    for (path, status, code) in [
        (
            format!("/api/v1/funds/{fund}/reports/statutory?period=2026-13"),
            400,
            "bad_period",
        ),
        (
            format!("/api/v1/funds/{fund}/reports/statutory?period=2026-q1"),
            400,
            "bad_period",
        ),
        (
            format!("/api/v1/funds/{fund}/reports/statutory"),
            400,
            "bad_query",
        ),
        (
            format!("/api/v1/funds/{fund}/reports/statutory?period=2026&format=xls"),
            400,
            "bad_format",
        ),
        (
            "/api/v1/funds/no-such-fund/reports/statutory?period=2026".to_owned(),
            404,
            "fund_not_found",
        ),
        (
            format!("/api/v1/funds/{fund}/disclosures?today=2026-02-30"),
            400,
            "bad_date",
        ),
        (
            "/api/v1/funds/no-such-fund/disclosures".to_owned(),
            404,
            "fund_not_found",
        ),
    ] {
        let (s, c) = rt.block_on(public.status_code(Method::GET, &path, None));
        assert_eq!((s, c.as_str()), (status, code), "{path}");
    }
    // A fixed today: nothing is due before the fund began.
    let cal = rt
        .block_on(public.get_json(&format!(
            "/api/v1/funds/{fund}/disclosures?today=2000-01-01"
        )))
        .expect("calendar");
    assert_eq!(cal["items"].as_array().map(Vec::len), Some(0), "{cal}");

    // The pages.
    let page = |path: &str| {
        let resp = rt
            .block_on(async { public.request(Method::GET, path).send().await })
            .expect("page");
        let status = resp.status().as_u16();
        (status, rt.block_on(resp.text()).expect("html"))
    };
    let (s, html) = page(&format!("/funds/{fund}/reports/statutory?period={year}"));
    assert_eq!(s, 200);
    assert!(
        html.contains("业务活动表")
            && html.contains("id=\"line-40\"")
            && html.contains("id=\"annual\"")
    );
    let (s, _) = page(&format!("/funds/{fund}/reports/statutory?period=20x6"));
    assert_eq!(s, 400);
    let (s, html) = page(&format!("/funds/{fund}"));
    assert_eq!(s, 200);
    assert!(
        html.contains("id=\"disclosures\""),
        "the fund page has the calendar"
    );
}
