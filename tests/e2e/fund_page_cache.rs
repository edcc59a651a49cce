//! The fund page kept as rendered (`ledger-api/src/pages/page_cache.rs`) and its
//! corrections read from where the last page stopped (`pages/oversight.rs`): a page is
//! never older than the fund's head, whatever the language, and a correction appended
//! after a page was kept is on the next one.

use community_ledger::{now, sign_value, Deployment, Trustee};
use reqwest::header::COOKIE;
use reqwest::Method;
use serde_json::json;

const FUND: &str = "page-cache-fund";

/// The fund page as `lang` (`en` or `zh`) reads it.
async fn page(client: &community_ledger::Client, path: &str, lang: &str) -> String {
    let resp = client
        .public()
        .request(Method::GET, path)
        .header(COOKIE, format!("lang={lang}"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(resp.status().as_u16(), 200, "{path}");
    resp.text().await.expect("a page")
}

#[test]
fn the_kept_fund_page_follows_the_head_and_its_corrections() {
    let server = Deployment::sqlite("page-cache");
    let rt = community_ledger::runtime();
    rt.block_on(async {
        let trustee = Trustee::random("管理人甲");
        server.create_fund(FUND, &[&trustee], (1, 1, 1)).await;
        let client = server.client();
        client
            .append(&trustee.donation(FUND, "d-1", 1_000))
            .await
            .expect("append")
            .ack()
            .expect("appended");
        let path = format!("/funds/{FUND}");
        let en = page(&client, &path, "en").await;
        assert_eq!(page(&client, &path, "en").await, en, "the same head, the same page");
        let zh = page(&client, &path, "zh").await;
        assert_ne!(zh, en, "each language its own page");
        assert!(zh.contains("lang=\"zh"), "the Chinese page in Chinese");

        // An append: the next page is rendered at the new head, in both languages.
        let d2 = client
            .append(&trustee.donation(FUND, "d-2", 1_234_567))
            .await
            .expect("append")
            .ack()
            .expect("appended");
        for lang in ["en", "zh"] {
            let after = page(&client, &path, lang).await;
            assert!(after.contains("¥12,345.67"), "{lang}: the new donation is shown");
            assert!(
                !after.contains("class=\"correction\""),
                "{lang}: no correction yet"
            );
        }

        // A correction after the pages were kept (and its reversals read): on the next.
        let intent = json!({
            "body": {"reverses": d2.seq, "reason": "录错金额", "correction": "金额录入有误，已更正"},
            "fund": FUND, "key": "r-1", "kind": "reversal", "signed_at": now().to_string()
        });
        let r = client
            .append(&sign_value(&intent, &[&trustee.key]))
            .await
            .expect("append")
            .ack()
            .expect("appended");
        for lang in ["en", "zh"] {
            let after = page(&client, &path, lang).await;
            assert!(
                after.contains(&format!("id=\"correction-{}\"", r.seq)),
                "{lang}: the correction is on the page"
            );
            assert!(after.contains("金额录入有误，已更正"), "{lang}: its note");
        }
        // An older page (`?from=`) is rendered as before, and knows the correction too.
        let older = page(&client, &format!("{path}?from=1"), "en").await;
        assert!(older.contains(&format!("id=\"correction-{}\"", r.seq)));
    });
}
