//! What the pages show, read from the store the way the JSON API reads it, as the typed
//! views of [`crate::views`] for the templates. Names of residents never leave here: what
//! the public sees of a donor, renter or payee is what
//! [`ledger_core::body::Donor::public_name`] and [`ledger_core::body::Party::public_name`]
//! allow ("居民" / "Resident" unless the entry itself carries a consented name).

use std::collections::BTreeMap;

use ledger_core::body::{Body, Genesis, Kind, PublicName, Statement};
use ledger_core::keys::PublicKey;
use ledger_core::money::Rate;
use ledger_core::time::{weekday_name, Instant, UtcOffset};

use super::chart::{balance_svg, group_digits};
use super::oversight::{Corrections, Oversight};
use super::page_cache::PageVersion;
use super::rows::{all_of_kind, local_date};
use super::{Lang, ENTRIES_PER_PAGE};
use crate::app::AppState;
use crate::store::{EntryRow, Store, StoreError};
use crate::views::{
    genesis_of, not_a_statement, parse_row, AgreementLine, EntryLine, FundPage, KindTotalLine,
    LastStatement, NamedSigner, OverviewFund, OverviewPage, SpaceLine, StatementColumns,
    StatementFigures, StatementPage, WitnessInfo, WitnessPolicyInfo, WitnessingView,
};

/// The kinds that move money, in the order the pages list them.
const MONETARY_KINDS: [Kind; 5] = [
    Kind::Donation,
    Kind::RevenueShare,
    Kind::Rental,
    Kind::Disbursement,
    Kind::Reversal,
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

/// `0.1000` → `10%`, `0.1250` → `12.5%`.
fn percent(rate: Rate) -> String {
    // Four decimals: hundredths of a percent.
    let basis_points = rate.to_basis_points();
    let whole = basis_points / 100;
    let rest = basis_points % 100;
    match rest {
        0 => format!("{whole}%"),
        r if r % 10 == 0 => format!("{whole}.{}%", r / 10),
        r => format!("{whole}.{r:02}%"),
    }
}

/// The word for a kind, e.g. 捐赠 / Donation.
fn kind_word(lang: Lang, kind: Kind) -> String {
    lang.word(&format!("kind_{}", kind.as_str())).to_owned()
}

/// The fund's genesis body (`None` for a fund without entries).
async fn genesis(store: &Store, fund: &str) -> Result<Option<Genesis>, StoreError> {
    match store.entry(fund, 0).await? {
        Some(row) => Ok(Some(genesis_of(&row)?)),
        None => Ok(None),
    }
}

/// The fund's local calendar, from its genesis (China, +08:00, without one).
fn offset_of(genesis: Option<&Genesis>) -> UtcOffset {
    genesis.map_or(UtcOffset::CHINA, |g| g.utc_offset)
}

fn fund_name(genesis: Option<&Genesis>, lang: Lang) -> String {
    genesis.map_or_else(String::new, |g| {
        if lang == Lang::En {
            &g.name_en
        } else {
            &g.name
        }
        .to_string()
    })
}

/// The latest entry of one kind.
async fn last_of_kind(
    store: &Store,
    fund: &str,
    kind: Kind,
) -> Result<Option<EntryRow>, StoreError> {
    match store.last_seq_of_kind(fund, kind).await? {
        Some(seq) => store.entry(fund, seq).await,
        None => Ok(None),
    }
}

/// Everyone who has been a trustee of the fund, by key (genesis and trustee changes).
async fn trustee_names(
    store: &Store,
    fund: &str,
) -> Result<BTreeMap<PublicKey, String>, StoreError> {
    let mut names = BTreeMap::new();
    let mut rows = store.entries(fund, 0, 1).await?;
    rows.extend(all_of_kind(store, fund, Kind::Trustees).await?);
    for row in rows {
        let added = match parse_row(&row)?.intent.body {
            Body::Genesis(g) => g.trustees,
            Body::Trustees(t) => t.add,
            _ => continue,
        };
        for t in added {
            names.insert(t.key, t.name.to_string());
        }
    }
    Ok(names)
}

fn statement_view(
    row: &EntryRow,
    names: &BTreeMap<PublicKey, String>,
    lang: Lang,
    off: UtcOffset,
) -> Result<StatementFigures, StoreError> {
    let entry = parse_row(row)?;
    let Body::Statement(b) = &entry.intent.body else {
        return Err(not_a_statement(row, &entry.intent.body));
    };
    let signers = entry
        .sigs
        .iter()
        .map(|s| NamedSigner {
            key: s.key,
            name: names
                .get(&s.key)
                .cloned()
                .unwrap_or_else(|| lang.word("unknown_signer").to_owned()),
        })
        .collect();
    let Statement {
        period,
        through_seq,
        tree_size,
        root,
        opening,
        inflows,
        outflows,
        reversals,
        closing,
        count,
        supersedes,
        version: _,
        unrestricted,
        restricted,
    } = b;
    let columns = match (unrestricted, restricted) {
        (Some(u), Some(r)) => {
            let y = |m: &ledger_core::money::Money| yuan(m.to_fen());
            let none = || "—".to_owned();
            Some(StatementColumns {
                opening: [y(&u.opening), y(&r.opening), y(opening)],
                donation: [y(&u.donation), y(&r.donation), y(&inflows.donation)],
                revenue_share: [y(&u.revenue_share), none(), y(&inflows.revenue_share)],
                rental: [y(&u.rental), none(), y(&inflows.rental)],
                disbursement: [y(&u.disbursement), none(), y(&outflows.disbursement)],
                reversals: [y(&u.reversals), y(&r.reversals), y(reversals)],
                releases: [y(&u.releases), yuan(-r.releases.to_fen()), yuan(0)],
                closing: [y(&u.closing), y(&r.closing), y(closing)],
            })
        }
        _ => None,
    };
    Ok(StatementFigures {
        seq: row.seq,
        hash: row.hash,
        recorded: local_date(&row.recorded_at, off),
        recorded_at: row.recorded_at.clone(),
        from: period.from(),
        to: period.to(),
        opening: yuan(opening.to_fen()),
        donation: yuan(inflows.donation.to_fen()),
        revenue_share: yuan(inflows.revenue_share.to_fen()),
        rental: yuan(inflows.rental.to_fen()),
        disbursement: yuan(outflows.disbursement.to_fen()),
        reversals: yuan(reversals.to_fen()),
        closing: yuan(closing.to_fen()),
        count: *count,
        through_seq: *through_seq,
        tree_size: *tree_size,
        root: *root,
        signers,
        supersedes: *supersedes,
        superseded_by: None,
        corrections: Vec::new(),
        opinions: Vec::new(),
        columns,
    })
}

/// `/`: every fund with balance and last statement.
pub async fn overview(app: &AppState, lang: Lang) -> Result<OverviewPage, StoreError> {
    let store = app.ledger.store();
    let mut funds = Vec::new();
    let mut total_fen = 0i64;
    for f in store.funds().await? {
        if let Some(damage) = f.head_disagreement() {
            app.ledger.quarantine(&f.id, &damage);
        }
        if app.ledger.damage(&f.id).is_some() {
            // Listed as damaged; nothing its rows say is shown or counted.
            funds.push(OverviewFund {
                id: f.id.clone(),
                name: f.id.clone(),
                street: None,
                community: None,
                size: 0,
                balance: lang.word("damaged").to_owned(),
                last_statement: None,
                damaged: true,
            });
            continue;
        }
        let genesis = genesis(store, &f.id).await?;
        let off = offset_of(genesis.as_ref());
        let balance_fen = match f.size {
            0 => 0,
            n => store
                .entry(&f.id, n - 1)
                .await?
                .map_or(0, |e| e.balance_fen),
        };
        total_fen += balance_fen;
        let last_statement = match last_of_kind(store, &f.id, Kind::Statement).await? {
            Some(r) => match parse_row(&r)?.intent.body {
                Body::Statement(b) => Some(LastStatement {
                    seq: r.seq,
                    to: b.period.to(),
                    recorded: local_date(&r.recorded_at, off),
                }),
                _ => None,
            },
            None => None,
        };
        funds.push(OverviewFund {
            id: f.id.clone(),
            name: fund_name(genesis.as_ref(), lang),
            street: genesis.as_ref().map(|g| g.street.clone()),
            community: genesis.as_ref().map(|g| g.community.clone()),
            size: f.size,
            balance: yuan(balance_fen),
            last_statement,
            damaged: false,
        });
    }
    Ok(OverviewPage {
        count: funds.len(),
        funds,
        total: yuan(total_fen),
    })
}

/// What the public may see of a party, in the reader's language.
fn public_name(name: PublicName<'_>, lang: Lang) -> String {
    match name {
        PublicName::Named(n) => n.to_owned(),
        PublicName::Resident => lang.word("resident").to_owned(),
        PublicName::Anonymous => lang.word("anonymous").to_owned(),
    }
}

/// Who is on the other side of an entry, as the public may see it.
fn party(body: &Body, lang: Lang, enterprises: &BTreeMap<String, String>) -> String {
    match body {
        Body::Donation(d) => public_name(d.donor.public_name(), lang),
        Body::Rental(r) => public_name(r.renter.public_name(), lang),
        Body::Disbursement(d) => public_name(d.payee.public_name(), lang),
        Body::RevenueShare(r) => enterprises
            .get(r.agreement_id.as_str())
            .cloned()
            .unwrap_or_default(),
        Body::Agreement(a) => a.enterprise.name.to_string(),
        Body::Space(s) => s.name.to_string(),
        Body::Reversal(r) => format!("#{}", r.reverses),
        Body::Statement(s) => format!("{} – {}", s.period.from(), s.period.to()),
        Body::Opinion(o) => format!("#{}", o.statement),
        Body::Restriction(r) => r.purpose.to_string(),
        Body::RestrictionRevocation(r) => r.restriction_id.to_string(),
        Body::RestrictionClosing(c) => c.restriction_id.to_string(),
        Body::Genesis(_) | Body::Trustees(_) => String::new(),
    }
}

fn entry_view(
    row: &EntryRow,
    lang: Lang,
    off: UtcOffset,
    enterprises: &BTreeMap<String, String>,
) -> Result<EntryLine, StoreError> {
    let body = parse_row(row)?.intent.body;
    Ok(EntryLine {
        seq: row.seq,
        date: local_date(&row.recorded_at, off),
        kind: kind_word(lang, body.kind()),
        party: party(&body, lang, enterprises),
        amount: if row.delta_fen == 0 {
            "—".to_owned()
        } else {
            yuan(row.delta_fen)
        },
        direction: match row.delta_fen.signum() {
            1 => "in",
            -1 => "out",
            _ => "none",
        },
        balance: yuan(row.balance_fen),
    })
}

/// What `fund`'s page is rendered from ([`PageVersion`]): its head, and with a witness
/// policy its witnessed checkpoint; `None` for an unknown fund. Two indexed reads.
pub async fn fund_version(app: &AppState, fund: &str) -> Result<Option<PageVersion>, StoreError> {
    let store = app.ledger.store();
    let Some(f) = store.fund(fund).await? else {
        return Ok(None);
    };
    if let Some(damage) = f.head_disagreement() {
        app.ledger.quarantine(fund, &damage);
        return Err(damage.into());
    }
    let witnessed = match &app.witnesses {
        Some(_) => crate::witnesses::witnessed_checkpoint(store, app.witnesses.as_deref(), fund)
            .await?
            .map(|(_, note)| note),
        None => None,
    };
    Ok(Some(PageVersion {
        size: f.size,
        head: f.head_hash,
        witnessed,
    }))
}

/// `/funds/{fund}`; `None` for an unknown fund.
pub async fn fund_page(
    app: &AppState,
    found: &Corrections,
    lang: Lang,
    fund: &str,
    from: Option<u64>,
) -> Result<Option<FundPage>, StoreError> {
    let store = app.ledger.store();
    let Some(f) = store.fund(fund).await? else {
        return Ok(None);
    };
    if let Some(damage) = f.head_disagreement() {
        // The caller sees the quarantine and shows the fund as damaged.
        app.ledger.quarantine(fund, &damage);
        return Err(damage.into());
    }
    let genesis = genesis(store, fund).await?;
    let off = offset_of(genesis.as_ref());

    // Totals by kind and month-end balances from the per-month index, not the log.
    // One read of the index for both.
    let index = store.month_figures(fund).await?;
    let totals = crate::store::kind_totals_of(&index);
    let months = crate::store::month_ends_of(&index);
    let balance_fen = match f.size {
        0 => 0,
        n => store.entry(fund, n - 1).await?.map_or(0, |e| e.balance_fen),
    };
    let points: Vec<(String, i64, String)> = months
        .iter()
        .map(|m| {
            let label = m.month.to_string().get(..7).unwrap_or("").to_owned();
            (label, m.balance_fen, yuan(m.balance_fen))
        })
        .collect();
    let chart = balance_svg(&points, lang.word("chart_title"), lang.word("chart_desc"));
    let totals_view: Vec<KindTotalLine> = MONETARY_KINDS
        .iter()
        .map(|k| {
            let (count, sum) = totals
                .iter()
                .find(|t| t.kind == k.as_str())
                .map_or((0, 0), |t| (t.count, t.delta_fen));
            KindTotalLine {
                kind: kind_word(lang, *k),
                count,
                amount: yuan(sum),
            }
        })
        .collect();

    let names = trustee_names(store, fund).await?;
    let oversight =
        Oversight::read(store, found, fund, f.size, genesis.as_ref(), lang, off).await?;
    let statement = match last_of_kind(store, fund, Kind::Statement).await? {
        Some(r) => {
            let mut s = statement_view(&r, &names, lang, off)?;
            oversight.annotate(&mut s);
            Some(s)
        }
        None => None,
    };
    let witnessing = match &statement {
        Some(s) => witnessing(app, lang, fund, s.seq, off).await?,
        None => None,
    };

    let mut enterprises = BTreeMap::new();
    let mut agreements = Vec::new();
    for r in all_of_kind(store, fund, Kind::Agreement).await? {
        let Body::Agreement(a) = parse_row(&r)?.intent.body else {
            continue;
        };
        enterprises.insert(
            a.agreement_id.as_str().to_owned(),
            a.enterprise.name.to_string(),
        );
        agreements.push(AgreementLine {
            basis: lang.word(&format!("basis_{}", a.basis.as_str())).to_owned(),
            rate: percent(a.rate),
            fixed_monthly: a
                .fixed_monthly
                .map_or_else(|| "—".to_owned(), |m| yuan(m.to_fen())),
            start: a.start,
            end: a.end,
            enterprise: a.enterprise.name,
            uscc: a.enterprise.uscc,
            venture: a.venture,
        });
    }
    let mut spaces = Vec::new();
    for r in all_of_kind(store, fund, Kind::Space).await? {
        let Body::Space(sp) = parse_row(&r)?.intent.body else {
            continue;
        };
        let community_hours = sp
            .community_hours
            .iter()
            .map(|w| {
                format!(
                    "{} {}–{}",
                    lang.word(&format!("day_{}", weekday_name(w.day()))),
                    w.from(),
                    w.to()
                )
            })
            .collect();
        spaces.push(SpaceLine {
            kind: lang.word(&format!("space_{}", sp.kind.as_str())).to_owned(),
            hourly_rate: yuan(sp.hourly_rate.to_fen()),
            name: sp.name,
            community_hours,
        });
    }

    // Recent entries, newest first: `from` is the newest seq shown.
    let top = from.unwrap_or(u64::MAX).min(f.size.saturating_sub(1));
    let first = (top + 1).saturating_sub(ENTRIES_PER_PAGE);
    let mut recent = if f.size == 0 {
        Vec::new()
    } else {
        store
            .entries(fund, first, (top + 1 - first) as i64)
            .await?
            .iter()
            .map(|r| entry_view(r, lang, off, &enterprises))
            .collect::<Result<Vec<_>, _>>()?
    };
    recent.reverse();
    let older = (first > 0).then(|| first - 1);
    let newer = (top + 1 < f.size).then(|| (top + ENTRIES_PER_PAGE).min(f.size - 1));
    let founding_trustees = genesis
        .as_ref()
        .map(|g| g.trustees.iter().map(|t| t.name.clone()).collect())
        .unwrap_or_default();

    Ok(Some(FundPage {
        id: fund.to_owned(),
        name: fund_name(genesis.as_ref(), lang),
        street: genesis.as_ref().map(|g| g.street.clone()),
        community: genesis.as_ref().map(|g| g.community.clone()),
        size: f.size,
        balance: yuan(balance_fen),
        statement,
        totals: totals_view,
        chart,
        recent,
        older,
        newer,
        agreements,
        spaces,
        founding_trustees,
        witnessing,
        corrections: oversight.corrections(),
        supervisors: oversight.supervisors,
        host: oversight.host,
    }))
}

/// `/funds/{fund}/statements/{seq}`; `None` when there is no such statement.
pub async fn statement_page(
    app: &AppState,
    found: &Corrections,
    lang: Lang,
    fund: &str,
    seq: u64,
    verify_url: &str,
) -> Result<Option<StatementPage>, StoreError> {
    let store = app.ledger.store();
    let Some(row) = store
        .entry(fund, seq)
        .await?
        .filter(|r| r.kind == Kind::Statement.as_str())
    else {
        return Ok(None);
    };
    let genesis = genesis(store, fund).await?;
    let off = offset_of(genesis.as_ref());
    let names = trustee_names(store, fund).await?;
    let mut s = statement_view(&row, &names, lang, off)?;
    let size = store.fund(fund).await?.map_or(seq + 1, |f| f.size);
    Oversight::read(store, found, fund, size, genesis.as_ref(), lang, off)
        .await?
        .annotate(&mut s);
    Ok(Some(StatementPage {
        id: fund.to_owned(),
        name: fund_name(genesis.as_ref(), lang),
        street: genesis.as_ref().map(|g| g.street.clone()),
        community: genesis.as_ref().map(|g| g.community.clone()),
        s,
        verify_url: verify_url.to_owned(),
        qr: qr_svg(verify_url, lang.word("qr_title")),
        witnessing: witnessing(app, lang, fund, seq, off).await?,
    }))
}

/// Who witnessed the fund's checkpoint, for the statement at `seq`: `None` without a
/// witness policy.
async fn witnessing(
    app: &AppState,
    lang: Lang,
    fund: &str,
    seq: u64,
    off: UtcOffset,
) -> Result<Option<WitnessingView>, StoreError> {
    let Some(setup) = &app.witnesses else {
        return Ok(None);
    };
    let witnessed =
        crate::witnesses::witnessed_checkpoint(app.ledger.store(), app.witnesses.as_deref(), fund)
            .await?;
    let witnessed_text = witnessed
        .as_ref()
        .and_then(|(_, note)| setup.policy.check_note(note).ok())
        .filter(|check| check.met)
        .map(|check| {
            let names: Vec<&str> = check.witnessed.iter().map(|w| w.witness.as_str()).collect();
            // The quorum was met when the last of them cosigned.
            let when = check
                .witnessed
                .iter()
                .map(|w| w.timestamp)
                .max()
                .map(|t| local_minute(t, off))
                .unwrap_or_default();
            match lang {
                Lang::Zh => format!("由 {} 见证, {when}", names.join("、")),
                Lang::En => format!("Witnessed by {}, {when}", names.join(", ")),
            }
        });
    let tree_size = witnessed.as_ref().map_or(0, |(size, _)| *size);
    Ok(Some(WitnessingView {
        note: witnessed.map(|(_, note)| note),
        tree_size,
        covers: seq < tree_size,
        witnessed_text,
        witnesses: WitnessInfo::all_of(setup),
        log_key: app.ledger.log_key().verifier().to_vkey(),
        origin: format!("{}/{fund}", app.ledger.origin()),
        policy_json: WitnessPolicyInfo::js_policy(setup),
    }))
}

/// A donor's receipt (A5, printable): what the chain says of the donation, and a QR code
/// leading to `/check`, where the donor verifies it in their own browser.
#[derive(Debug, serde::Serialize)]
pub struct ReceiptPage {
    /// Fund id.
    pub fund: String,
    /// Fund name.
    pub fund_name: String,
    /// Seq of the donation.
    pub seq: u64,
    /// Amount, `1,234.00`.
    pub amount: String,
    /// The donor as the public may see them.
    pub donor: String,
    /// Channel (`cash`, …).
    pub channel: String,
    /// The receipt number written on the entry.
    pub receipt_no: String,
    /// Restricted purpose, if any.
    pub purpose: Option<String>,
    /// When recorded, local `YYYY-MM-DD HH:MM`.
    pub recorded: String,
    /// Entry hash (hex).
    pub hash: String,
    /// Where to verify it.
    pub verify_url: String,
    /// QR code of `verify_url` (inline SVG).
    pub qr: String,
}

/// The receipt page of donation `seq` of `fund`; `None` when there is no such donation.
pub async fn receipt_page(
    app: &AppState,
    lang: Lang,
    fund: &str,
    seq: u64,
    verify_url: &str,
) -> Result<Option<ReceiptPage>, StoreError> {
    let store = app.ledger.store();
    let Some(row) = store.entry(fund, seq).await? else {
        return Ok(None);
    };
    let Body::Donation(d) = parse_row(&row)?.intent.body else {
        return Ok(None);
    };
    let genesis = genesis(store, fund).await?;
    let off = offset_of(genesis.as_ref());
    let recorded = Instant::parse(&row.recorded_at)
        .ok()
        .and_then(|i| u64::try_from(i.unix_seconds()).ok())
        .map_or_else(|| row.recorded_at.clone(), |t| local_minute(t, off));
    Ok(Some(ReceiptPage {
        fund: fund.to_owned(),
        fund_name: genesis.map_or_else(|| fund.to_owned(), |g| g.name.to_string()),
        seq,
        amount: yuan(d.amount.to_fen()),
        donor: public_name(d.donor.public_name(), lang),
        channel: lang
            .word(&format!("channel_{}", channel_code(d.channel)))
            .to_owned(),
        receipt_no: d.receipt_no.to_string(),
        purpose: d.purpose.map(|p| p.to_string()),
        recorded,
        hash: row.hash.to_string(),
        verify_url: verify_url.to_owned(),
        qr: qr_svg(verify_url, lang.word("qr_title")),
    }))
}

/// The stored name of a channel.
fn channel_code(c: ledger_core::body::Channel) -> &'static str {
    use ledger_core::body::Channel;
    match c {
        Channel::Cash => "cash",
        Channel::BankTransfer => "bank_transfer",
        Channel::WechatPay => "wechat_pay",
        Channel::Alipay => "alipay",
        Channel::Other => "other",
    }
}

/// POSIX seconds `t` as the local `YYYY-MM-DD HH:MM` at offset `off`.
fn local_minute(t: u64, off: UtcOffset) -> String {
    let local = i64::try_from(t)
        .ok()
        .and_then(|t| t.checked_add(i64::from(off.seconds())))
        .and_then(|t| Instant::from_unix_seconds(t).ok());
    match local {
        // `YYYY-MM-DDTHH:MM:SSZ`, the local time written as if it were UTC.
        Some(i) => {
            let text = i.to_string();
            format!(
                "{} {}",
                text.get(..10).unwrap_or_default(),
                text.get(11..16).unwrap_or_default()
            )
        }
        None => format!("@{t}"),
    }
}

/// The QR code of `url` as inline SVG (dark modules on white), with a title.
pub(super) fn qr_svg(url: &str, title: &str) -> String {
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
    use serde_json::{json, Value};

    #[test]
    fn money_and_rates_read_well() {
        assert_eq!(yuan(0), "¥0.00");
        assert_eq!(yuan(123_456_789), "¥1,234,567.89");
        assert_eq!(yuan(-5), "-¥0.05");
        let rate = |s: &str| percent(s.parse::<Rate>().unwrap());
        assert_eq!(rate("0.1000"), "10%");
        assert_eq!(rate("0.5000"), "50%");
        assert_eq!(rate("0.1250"), "12.5%");
        assert_eq!(rate("0.1234"), "12.34%");
        assert_eq!(rate("1.0000"), "100%");
    }

    fn body(kind: Kind, v: Value) -> Body {
        Body::from_value(kind, v).unwrap()
    }

    #[test]
    fn residents_are_anonymised_unless_named_with_consent() {
        let e = BTreeMap::new();
        let d = |donor: Value| {
            let b = body(
                Kind::Donation,
                json!({"amount": "10.00", "donor": donor, "channel": "cash", "receipt_no": "R1"}),
            );
            party(&b, Lang::Zh, &e)
        };
        let c = "00".repeat(32);
        assert_eq!(d(json!({"class": "resident", "commitment": c})), "居民");
        assert_eq!(
            d(json!({"class": "resident", "name": "王伟", "name_consent": false, "commitment": c})),
            "居民"
        );
        assert_eq!(
            d(json!({"class": "resident", "name": "王伟", "name_consent": true, "commitment": c})),
            "王伟"
        );
        assert_eq!(
            d(json!({"class": "enterprise", "name": "某公司"})),
            "某公司"
        );
        assert_eq!(d(json!({"class": "anonymous"})), "匿名");
        let rental = body(
            Kind::Rental,
            json!({"space_id": "s1", "renter": {"class": "resident", "name": "李四"},
                   "start": "2026-01-01T01:00:00Z", "end": "2026-01-01T02:00:00Z",
                   "amount": "10.00"}),
        );
        assert_eq!(party(&rental, Lang::En, &e), "Resident");
    }

    #[test]
    fn qr_is_inline_svg_with_a_title() {
        let svg = qr_svg("http://127.0.0.1:8080/check?fund=a&seq=1", "QR");
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(svg.contains("<title>QR</title>"));
        assert!(!svg.contains("<?xml"));
    }
}
