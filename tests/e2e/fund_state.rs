//! Start-up that does not replay (issue 19, item 3): a fund's state is stored as a
//! snapshot with a state note signed by the log key, and a server loads a fund from it
//! when the fund is first needed. A stored state that fails its check is never used: the
//! fund is rebuilt from its log in the background, its writes refused with 503
//! `fund_rebuilding` (nothing written) until then, its reads served all along.
//! Runs on SQLite, and on PostgreSQL when `LEDGER_TEST_POSTGRES_URL` is set.

use std::time::{Duration, Instant};

use community_ledger::{Deployment, Trustee};

use crate::quarantine::{exec, fund_with_donations, get, log_rows, on_each_backend, texts, As};

/// The stored snapshot of `fund`: (tree size, state bytes as hex, note).
async fn stored_state(d: &Deployment, b: &str, fund: &str) -> Option<(u64, String, String)> {
    let hex = if b == "postgres" {
        "encode(state, 'hex')"
    } else {
        "lower(hex(state))"
    };
    let sql = format!(
        "SELECT CAST(tree_size AS TEXT) || ' ' || {hex} || ' ' || note \
         FROM fund_states WHERE fund = '{fund}'"
    );
    let row = texts(d, &sql).await.pop()?;
    let mut parts = row.splitn(3, ' ');
    let size = parts.next()?.parse().ok()?;
    Some((size, parts.next()?.to_owned(), parts.next()?.to_owned()))
}

/// Fen from a money text such as `¥1,234.50` or `1234.50`.
fn fen(money: &serde_json::Value) -> i64 {
    let digits: String = money
        .as_str()
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("a balance: {money}"))
}

/// The stored state of a fund is checked when the fund is loaded: one whose bytes were
/// changed (here its balance raised to ¥9,999,999.00, the note left as it was) is not
/// used. The first write after the restart loads the fund, finds the state wrong and
/// answers 503 `fund_rebuilding` without writing anything; reads go on; once the state is
/// rebuilt from the log, the same request is appended, with the balance the log gives
/// (not the tampered one), and a new snapshot replaces the tampered one. The other fund
/// loads from its own snapshot and appends at once.
#[test]
fn a_tampered_stored_state_is_rebuilt_from_the_log_and_writes_wait_for_it() {
    on_each_backend("fund_state_tamper", async |d: &mut Deployment, b| {
        let t = Trustee::random("管理人甲");
        fund_with_donations(d, "st-tamper", &t, 3).await;
        fund_with_donations(d, "st-ok", &t, 1).await;
        // A graceful stop stores each loaded fund's state.
        d.restart_gracefully();
        let (size, bytes, note) = stored_state(d, b, "st-tamper")
            .await
            .unwrap_or_else(|| panic!("{b}: no stored state after a graceful stop"));
        assert_eq!(size, 4, "{b}: the snapshot is of the whole log");
        assert!(
            note.starts_with("community-ledger fund state v1\n"),
            "{b}: {note}"
        );
        assert!(stored_state(d, b, "st-ok").await.is_some(), "{b}");
        let (_, fund) = get(&d.client(), "/api/v1/funds/st-tamper").await;
        let balance = fen(&fund["balance"]);

        // The balance in the snapshot's JSON part, raised.
        let real = format!("\"balance\":\"{}.{:02}\"", balance / 100, balance % 100);
        let forged = "\"balance\":\"9999999.00\"";
        let hex = |s: &str| s.bytes().map(|c| format!("{c:02x}")).collect::<String>();
        assert!(
            bytes.contains(&hex(&real)),
            "{b}: {real} is in the snapshot"
        );
        let tampered = bytes.replacen(&hex(&real), &hex(forged), 1);
        let literal = if b == "postgres" {
            format!("decode('{tampered}', 'hex')")
        } else {
            format!("X'{tampered}'")
        };
        let sql = format!("UPDATE fund_states SET state = {literal} WHERE fund = 'st-tamper'");
        assert_eq!(exec(d, As::Owner, &sql).await, Ok(1), "{b}");
        d.restart();
        let before = log_rows(d, "st-tamper").await;

        // Reads are served: no load, no replay.
        let (status, _) = get(&d.client(), "/api/v1/funds/st-tamper").await;
        assert_eq!(status, 200, "{b}: a read before the first write");
        // The first write loads the fund: its state fails its check.
        let amount = 7;
        let donation = t.donation("st-tamper", "st-after-rebuild", amount);
        let first = d.client().append(&donation).await.expect("an answer");
        assert_eq!(first.status, 503, "{b}: {}", first.body);
        assert_eq!(first.body["code"], "fund_rebuilding", "{b}: {}", first.body);
        assert!(
            first.body["detail_zh"]
                .as_str()
                .is_some_and(|z| z.contains("重建")),
            "{b}: {}",
            first.body
        );
        assert_eq!(
            log_rows(d, "st-tamper").await,
            before,
            "{b}: nothing written"
        );
        let (status, _) = get(&d.client(), "/api/v1/funds/st-tamper/entries").await;
        assert_eq!(status, 200, "{b}: reads go on while the fund rebuilds");
        // The other fund loads from its snapshot and takes writes.
        let ok = d
            .client()
            .append(&t.donation("st-ok", "st-ok-after", 1))
            .await
            .expect("an answer");
        assert_eq!(ok.status, 201, "{b}: {}", ok.body);

        // Once rebuilt, the same request is appended, on the log's balance.
        let deadline = Instant::now() + Duration::from_secs(30);
        let appended = loop {
            let r = d.client().append(&donation).await.expect("an answer");
            if r.status != 503 {
                break r;
            }
            assert_eq!(r.body["code"], "fund_rebuilding", "{b}: {}", r.body);
            assert!(Instant::now() < deadline, "{b}: still rebuilding");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(appended.status, 201, "{b}: {}", appended.body);
        assert_eq!(appended.body["seq"], 4, "{b}: {}", appended.body);
        assert_eq!(
            fen(&appended.body["balance"]),
            balance + amount,
            "{b}: the balance is the log's: {}",
            appended.body
        );
        // The rebuild stored a good snapshot in place of the tampered one.
        let (size, now, _) = stored_state(d, b, "st-tamper").await.expect("a state");
        assert!(size >= 4, "{b}");
        assert_ne!(now, tampered, "{b}: the tampered state was replaced");
    });
}
