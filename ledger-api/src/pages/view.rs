//! What the pages show, read from the store the way the JSON API reads it, as plain JSON
//! values for the templates. Names of residents never leave here: a resident donor, renter
//! or payee is "居民" / "Resident" unless the entry itself carries a consented name.

use std::collections::BTreeMap;

use ledger_core::money::Money;
use ledger_core::time::{Instant, UtcOffset};
use serde_json::{json, Value};

use super::chart::{balance_svg, group_digits};
use super::{Lang, ENTRIES_PER_PAGE};
use crate::api::AppState;
use crate::store::{EntryRow, Store, StoreError, PAGE_ROWS_MAX};

/// The kinds that move money, in the order the pages list them.
const MONETARY_KINDS: [&str; 5] = [
    "donation",
    "revenue_share",
    "rental",
    "disbursement",
    "reversal",
];

/// `¥1,234.56` (or `-¥…`) from fen.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!(
        "{sign}¥{}.{:02}",
        group_digits((abs / 100) as i64),
        abs % 100
    )
}

/// `¥…` from a money string of an entry (`"1800.00"`); the string itself if unreadable.
fn yuan_str(v: &Value) -> String {
    match v.as_str() {
        Some(s) => s
            .parse::<Money>()
            .map(|m| yuan(m.to_fen()))
            .unwrap_or_else(|_| s.to_owned()),
        None => String::new(),
    }
}

/// `"0.1000"` → `10%`, `"0.1250"` → `12.5%`.
fn percent(v: &Value) -> String {
    let Some(s) = v.as_str() else {
        return String::new();
    };
    let Some((int, frac)) = s.split_once('.') else {
        return s.to_owned();
    };
    let (Ok(i), Ok(f)) = (int.parse::<u64>(), frac.parse::<u64>()) else {
        return s.to_owned();
    };
    // Four decimals: hundredths of a percent.
    let basis_points = i * 10_000 + f;
    let whole = basis_points / 100;
    let rest = basis_points % 100;
    match rest {
        0 => format!("{whole}%"),
        r if r % 10 == 0 => format!("{whole}.{}%", r / 10),
        r => format!("{whole}.{r:02}%"),
    }
}

fn body_of(row: &EntryRow) -> Value {
    serde_json::from_slice::<Value>(&row.bytes)
        .ok()
        .and_then(|v| v.get("intent")?.get("body").cloned())
        .unwrap_or(Value::Null)
}

fn sig_keys(row: &EntryRow) -> Vec<String> {
    serde_json::from_slice::<Value>(&row.bytes)
        .ok()
        .and_then(|v| {
            v.get("sigs")?.as_array().map(|a| {
                a.iter()
                    .filter_map(|s| s.get("key")?.as_str().map(str::to_owned))
                    .collect()
            })
        })
        .unwrap_or_default()
}

/// The fund's local calendar, from its genesis (China, +08:00, when unreadable).
fn offset_of(genesis: &Value) -> UtcOffset {
    genesis["utc_offset"]
        .as_str()
        .and_then(|s| UtcOffset::parse(s).ok())
        .unwrap_or(UtcOffset::CHINA)
}

fn local_date(recorded_at: &str, off: UtcOffset) -> String {
    Instant::parse(recorded_at)
        .map(|i| i.local_date(off).to_string())
        .unwrap_or_else(|_| recorded_at.get(..10).unwrap_or(recorded_at).to_owned())
}

fn fund_name(genesis: &Value, lang: Lang) -> String {
    let key = if lang == Lang::En { "name_en" } else { "name" };
    genesis[key]
        .as_str()
        .or_else(|| genesis["name"].as_str())
        .unwrap_or("")
        .to_owned()
}

/// Every row of one kind (all pages).
async fn all_of_kind(store: &Store, fund: &str, kind: &str) -> Result<Vec<EntryRow>, StoreError> {
    let mut out = Vec::new();
    let mut from = 0;
    loop {
        let rows = store
            .entries_where_kind(fund, kind, from, PAGE_ROWS_MAX)
            .await?;
        let full = rows.len() as i64 == PAGE_ROWS_MAX;
        from = rows.last().map_or(from, |r| r.seq + 1);
        out.extend(rows);
        if !full {
            return Ok(out);
        }
    }
}

/// Everyone who has been a trustee of the fund, by key (genesis and trustee changes).
async fn trustee_names(store: &Store, fund: &str) -> Result<BTreeMap<String, String>, StoreError> {
    let mut names = BTreeMap::new();
    let mut rows = store.entries(fund, 0, 1).await?;
    rows.extend(all_of_kind(store, fund, "trustees").await?);
    for row in rows {
        let body = body_of(&row);
        let added = if row.kind == "genesis" {
            &body["trustees"]
        } else {
            &body["add"]
        };
        for t in added.as_array().into_iter().flatten() {
            if let (Some(k), Some(n)) = (t["key"].as_str(), t["name"].as_str()) {
                names.insert(k.to_owned(), n.to_owned());
            }
        }
    }
    Ok(names)
}

fn statement_view(
    row: &EntryRow,
    names: &BTreeMap<String, String>,
    lang: Lang,
    off: UtcOffset,
) -> Value {
    let b = body_of(row);
    let signers: Vec<Value> = sig_keys(row)
        .iter()
        .map(|k| {
            json!({
                "key": k,
                "name": names.get(k).cloned().unwrap_or_else(|| lang.word("unknown_signer").to_owned()),
            })
        })
        .collect();
    json!({
        "seq": row.seq,
        "hash": row.hash.to_hex(),
        "recorded": local_date(&row.recorded_at, off),
        "recorded_at": row.recorded_at,
        "from": b["period"]["from"],
        "to": b["period"]["to"],
        "opening": yuan_str(&b["opening"]),
        "donation": yuan_str(&b["inflows"]["donation"]),
        "revenue_share": yuan_str(&b["inflows"]["revenue_share"]),
        "rental": yuan_str(&b["inflows"]["rental"]),
        "disbursement": yuan_str(&b["outflows"]["disbursement"]),
        "reversals": yuan_str(&b["reversals"]),
        "closing": yuan_str(&b["closing"]),
        "count": b["count"],
        "through_seq": b["through_seq"],
        "tree_size": b["tree_size"],
        "root": b["root"],
        "signers": signers,
    })
}

/// `/`: every fund with balance and last statement.
pub async fn overview(app: &AppState, lang: Lang) -> Result<Value, StoreError> {
    let store = app.ledger.store();
    let mut funds = Vec::new();
    let mut total_fen = 0i64;
    for f in store.funds().await? {
        let genesis = store
            .entry(&f.id, 0)
            .await?
            .map(|g| body_of(&g))
            .unwrap_or(Value::Null);
        let off = offset_of(&genesis);
        let balance_fen = match f.size {
            0 => 0,
            n => store
                .entry(&f.id, n - 1)
                .await?
                .map_or(0, |e| e.balance_fen),
        };
        total_fen += balance_fen;
        let statements = all_of_kind(store, &f.id, "statement").await?;
        let last = statements.last().map(|r| {
            let b = body_of(r);
            json!({
                "seq": r.seq,
                "to": b["period"]["to"],
                "recorded": local_date(&r.recorded_at, off),
            })
        });
        funds.push(json!({
            "id": f.id,
            "name": fund_name(&genesis, lang),
            "street": genesis["street"],
            "community": genesis["community"],
            "size": f.size,
            "balance": yuan(balance_fen),
            "last_statement": last,
        }));
    }
    Ok(json!({"funds": funds, "count": funds.len(), "total": yuan(total_fen)}))
}

/// Who is on the other side of an entry, as the public may see it.
fn party(kind: &str, b: &Value, lang: Lang, enterprises: &BTreeMap<String, String>) -> String {
    let person = |p: &Value| -> String {
        match p["class"].as_str() {
            Some("resident") => match (p["name"].as_str(), p["name_consent"].as_bool()) {
                (Some(n), Some(true)) => n.to_owned(),
                _ => lang.word("resident").to_owned(),
            },
            Some("anonymous") => lang.word("anonymous").to_owned(),
            _ => p["name"].as_str().unwrap_or("").to_owned(),
        }
    };
    match kind {
        "donation" => person(&b["donor"]),
        "rental" => person(&b["renter"]),
        "disbursement" => person(&b["payee"]),
        "revenue_share" => b["agreement_id"]
            .as_str()
            .and_then(|a| enterprises.get(a).cloned())
            .unwrap_or_default(),
        "agreement" => b["enterprise"]["name"].as_str().unwrap_or("").to_owned(),
        "space" => b["name"].as_str().unwrap_or("").to_owned(),
        "reversal" => format!("#{}", b["reverses"]),
        "statement" => format!(
            "{} – {}",
            b["period"]["from"].as_str().unwrap_or(""),
            b["period"]["to"].as_str().unwrap_or("")
        ),
        _ => String::new(),
    }
}

fn entry_view(
    row: &EntryRow,
    lang: Lang,
    off: UtcOffset,
    enterprises: &BTreeMap<String, String>,
) -> Value {
    let b = body_of(row);
    json!({
        "seq": row.seq,
        "date": local_date(&row.recorded_at, off),
        "kind": lang.word(&format!("kind_{}", row.kind)),
        "party": party(&row.kind, &b, lang, enterprises),
        "amount": if row.delta_fen == 0 { "—".to_owned() } else { yuan(row.delta_fen) },
        "direction": match row.delta_fen.signum() { 1 => "in", -1 => "out", _ => "none" },
        "balance": yuan(row.balance_fen),
    })
}

/// `YYYY-MM` after `m`.
fn next_month(m: &str) -> Option<String> {
    let (y, mo) = m.split_once('-')?;
    let (y, mo): (i32, u32) = (y.parse().ok()?, mo.parse().ok()?);
    Some(if mo >= 12 {
        format!("{:04}-01", y + 1)
    } else {
        format!("{y:04}-{:02}", mo + 1)
    })
}

/// Longest run of months the chart fills in between two entries (a guard, 100 years).
const CHART_MONTHS_MAX: usize = 1_200;

/// `/funds/{fund}`; `None` for an unknown fund.
pub async fn fund_page(
    app: &AppState,
    lang: Lang,
    fund: &str,
    from: Option<u64>,
) -> Result<Option<Value>, StoreError> {
    let store = app.ledger.store();
    let Some(f) = store.fund(fund).await? else {
        return Ok(None);
    };
    let genesis = store
        .entry(fund, 0)
        .await?
        .map(|g| body_of(&g))
        .unwrap_or(Value::Null);
    let off = offset_of(&genesis);

    // One pass over the log: totals by kind and month-end balances.
    let mut totals: BTreeMap<String, (u64, i64)> = BTreeMap::new();
    let mut months: Vec<(String, i64)> = Vec::new();
    let mut next = 0u64;
    while next < f.size {
        let rows = store.entries(fund, next, PAGE_ROWS_MAX).await?;
        let Some(last) = rows.last() else { break };
        next = last.seq + 1;
        for r in &rows {
            let t = totals.entry(r.kind.clone()).or_default();
            t.0 += 1;
            t.1 += r.delta_fen;
            let month = local_date(&r.recorded_at, off)
                .get(..7)
                .unwrap_or("")
                .to_owned();
            match months.last_mut() {
                Some((m, bal)) if *m == month => *bal = r.balance_fen,
                Some((m, bal)) => {
                    let (mut m, carry) = (m.clone(), *bal);
                    let mut filled = 0;
                    while let Some(n) = next_month(&m) {
                        if n >= month || filled >= CHART_MONTHS_MAX {
                            break;
                        }
                        months.push((n.clone(), carry));
                        m = n;
                        filled += 1;
                    }
                    months.push((month, r.balance_fen));
                }
                None => months.push((month, r.balance_fen)),
            }
        }
    }
    let balance_fen = months.last().map_or(0, |m| m.1);
    let points: Vec<(String, i64, String)> = months
        .iter()
        .map(|(m, fen)| (m.clone(), *fen, yuan(*fen)))
        .collect();
    let chart = balance_svg(&points, lang.word("chart_title"), lang.word("chart_desc"));
    let totals_view: Vec<Value> = MONETARY_KINDS
        .iter()
        .map(|k| {
            let (count, sum) = totals.get(*k).copied().unwrap_or_default();
            json!({"kind": lang.word(&format!("kind_{k}")), "count": count, "amount": yuan(sum)})
        })
        .collect();

    let names = trustee_names(store, fund).await?;
    let statement = all_of_kind(store, fund, "statement")
        .await?
        .last()
        .map(|r| statement_view(r, &names, lang, off));

    let mut enterprises = BTreeMap::new();
    let agreements: Vec<Value> = all_of_kind(store, fund, "agreement")
        .await?
        .iter()
        .map(|r| {
            let b = body_of(r);
            if let (Some(id), Some(n)) = (b["agreement_id"].as_str(), b["enterprise"]["name"].as_str()) {
                enterprises.insert(id.to_owned(), n.to_owned());
            }
            json!({
                "enterprise": b["enterprise"]["name"],
                "uscc": b["enterprise"]["uscc"],
                "basis": lang.word(&format!("basis_{}", b["basis"].as_str().unwrap_or(""))),
                "rate": percent(&b["rate"]),
                "fixed_monthly": if b["fixed_monthly"].is_null() { "—".to_owned() } else { yuan_str(&b["fixed_monthly"]) },
                "start": b["start"],
                "end": b["end"],
                "venture": b["venture"],
            })
        })
        .collect();
    let spaces: Vec<Value> = all_of_kind(store, fund, "space")
        .await?
        .iter()
        .map(|r| {
            let b = body_of(r);
            let hours: Vec<String> = b["community_hours"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|w| {
                    format!(
                        "{} {}–{}",
                        lang.word(&format!("day_{}", w["day"].as_str().unwrap_or(""))),
                        w["from"].as_str().unwrap_or(""),
                        w["to"].as_str().unwrap_or("")
                    )
                })
                .collect();
            json!({
                "name": b["name"],
                "kind": lang.word(&format!("space_{}", b["kind"].as_str().unwrap_or("other"))),
                "hourly_rate": yuan_str(&b["hourly_rate"]),
                "community_hours": hours,
            })
        })
        .collect();

    // Recent entries, newest first: `from` is the newest seq shown.
    let top = from.unwrap_or(u64::MAX).min(f.size.saturating_sub(1));
    let first = (top + 1).saturating_sub(ENTRIES_PER_PAGE);
    let mut recent: Vec<Value> = if f.size == 0 {
        Vec::new()
    } else {
        store
            .entries(fund, first, (top + 1 - first) as i64)
            .await?
            .iter()
            .map(|r| entry_view(r, lang, off, &enterprises))
            .collect()
    };
    recent.reverse();
    let older = (first > 0).then(|| first - 1);
    let newer = (top + 1 < f.size).then(|| (top + ENTRIES_PER_PAGE).min(f.size - 1));
    let trustees: Vec<Value> = genesis["trustees"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| t["name"].clone())
        .collect();

    Ok(Some(json!({
        "id": fund,
        "name": fund_name(&genesis, lang),
        "street": genesis["street"],
        "community": genesis["community"],
        "size": f.size,
        "balance": yuan(balance_fen),
        "statement": statement,
        "totals": totals_view,
        "chart": chart,
        "recent": recent,
        "older": older,
        "newer": newer,
        "agreements": agreements,
        "spaces": spaces,
        "founding_trustees": trustees,
    })))
}

/// `/funds/{fund}/statements/{seq}`; `None` when there is no such statement.
pub async fn statement_page(
    app: &AppState,
    lang: Lang,
    fund: &str,
    seq: u64,
    verify_url: &str,
) -> Result<Option<Value>, StoreError> {
    let store = app.ledger.store();
    let Some(row) = store
        .entry(fund, seq)
        .await?
        .filter(|r| r.kind == "statement")
    else {
        return Ok(None);
    };
    let genesis = store
        .entry(fund, 0)
        .await?
        .map(|g| body_of(&g))
        .unwrap_or(Value::Null);
    let off = offset_of(&genesis);
    let names = trustee_names(store, fund).await?;
    Ok(Some(json!({
        "id": fund,
        "name": fund_name(&genesis, lang),
        "street": genesis["street"],
        "community": genesis["community"],
        "s": statement_view(&row, &names, lang, off),
        "verify_url": verify_url,
        "qr": qr_svg(verify_url, lang.word("qr_title")),
    })))
}

/// The QR code of `url` as inline SVG (dark modules on white), with a title.
fn qr_svg(url: &str, title: &str) -> String {
    use qrcode::render::svg;
    match qrcode::QrCode::new(url.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<svg::Color<'_>>()
                .min_dimensions(180, 180)
                .dark_color(svg::Color("#000000"))
                .light_color(svg::Color("#ffffff"))
                .build();
            // Drop the XML declaration (inline SVG) and name the image.
            let start = svg.find("<svg").unwrap_or(0);
            let svg = &svg[start..];
            let head_end = svg.find('>').map_or(0, |i| i + 1);
            format!(
                "{} role=\"img\" aria-label=\"{}\"><title>{}</title>{}",
                &svg[..head_end.saturating_sub(1)],
                super::chart::escape(title),
                super::chart::escape(title),
                &svg[head_end..]
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "QR code failed");
            String::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_rates_read_well() {
        assert_eq!(yuan(0), "¥0.00");
        assert_eq!(yuan(123_456_789), "¥1,234,567.89");
        assert_eq!(yuan(-5), "-¥0.05");
        assert_eq!(yuan_str(&json!("1800.00")), "¥1,800.00");
        assert_eq!(percent(&json!("0.1000")), "10%");
        assert_eq!(percent(&json!("0.5000")), "50%");
        assert_eq!(percent(&json!("0.1250")), "12.5%");
        assert_eq!(percent(&json!("0.1234")), "12.34%");
        assert_eq!(percent(&json!("1.0000")), "100%");
    }

    #[test]
    fn residents_are_anonymised_unless_named_with_consent() {
        let e = BTreeMap::new();
        let d = |donor: Value| party("donation", &json!({"donor": donor}), Lang::Zh, &e);
        assert_eq!(d(json!({"class": "resident", "commitment": "00"})), "居民");
        assert_eq!(
            d(json!({"class": "resident", "name": "王伟", "name_consent": false})),
            "居民"
        );
        assert_eq!(
            d(json!({"class": "resident", "name": "王伟", "name_consent": true})),
            "王伟"
        );
        assert_eq!(
            d(json!({"class": "enterprise", "name": "某公司"})),
            "某公司"
        );
        assert_eq!(d(json!({"class": "anonymous"})), "匿名");
        assert_eq!(
            party(
                "rental",
                &json!({"renter": {"class": "resident", "name": "李四"}}),
                Lang::En,
                &e
            ),
            "Resident"
        );
    }

    #[test]
    fn months_roll_over() {
        assert_eq!(next_month("2025-12").as_deref(), Some("2026-01"));
        assert_eq!(next_month("2025-01").as_deref(), Some("2025-02"));
    }

    #[test]
    fn qr_is_inline_svg_with_a_title() {
        let svg = qr_svg("http://127.0.0.1:8080/check?fund=a&seq=1", "QR");
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(svg.contains("<title>QR</title>"));
        assert!(!svg.contains("<?xml"));
    }
}
