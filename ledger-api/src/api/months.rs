//! Handlers of a fund's per-month figures (`/api/v1/funds/{fund}/months[/{month}]`), read
//! from the per-month index (`crate::store::Store::month_figures`): a few rows per month
//! of the fund's life, never the log.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use ledger_core::time::Date;
use serde::Serialize;

use super::extract::ApiPath;
use super::problem::Problem;
use crate::app::AppState;
use crate::caching::Final;
use crate::store::MonthKind;
use crate::views::money_text;

/// One kind's figures in a month.
#[derive(Debug, Serialize)]
pub struct MonthKindView {
    /// Kind name.
    pub kind: String,
    /// Entries of that kind.
    pub count: u64,
    /// Sum of their balance changes (`"-5.00"` for outflows).
    pub amount: String,
}

/// A fund's figures over one local month (its calendar: the genesis' UTC offset).
#[derive(Debug, Serialize)]
pub struct MonthFigures {
    /// `YYYY-MM`.
    pub month: String,
    /// Balance before the month.
    pub opening: String,
    /// Balance after the month's last entry.
    pub closing: String,
    /// Entries recorded in the month.
    pub count: u64,
    /// First and last seq recorded in the month (`null` without entries).
    pub first_seq: Option<u64>,
    /// Last seq recorded in the month.
    pub last_seq: Option<u64>,
    /// Totals by kind, in kind-name order (kinds without entries omitted).
    pub kinds: Vec<MonthKindView>,
    /// True when a later month has entries: these figures can never change.
    #[serde(rename = "final")]
    pub closed: bool,
}

/// `GET /api/v1/funds/{fund}/months`.
#[derive(Debug, Serialize)]
pub struct MonthList {
    /// Every month with entries, oldest first.
    pub months: Vec<MonthFigures>,
}

fn month_text(m: Date) -> String {
    m.to_string().get(..7).unwrap_or("").to_owned()
}

/// The figures of every month in `rows` (a fund's whole index, in month order), with
/// `month` (if given) included even without entries.
fn figures(rows: &[MonthKind], only: Option<Date>) -> Vec<MonthFigures> {
    let mut by_month: BTreeMap<Date, Vec<&MonthKind>> = BTreeMap::new();
    for r in rows {
        by_month.entry(r.month).or_default().push(r);
    }
    if let Some(m) = only {
        by_month.entry(m).or_default();
    }
    let last = rows.iter().map(|r| r.month).max();
    let mut balance_fen = 0i64;
    let mut out = Vec::new();
    for (month, kinds) in by_month {
        let opening_fen = balance_fen;
        balance_fen += kinds.iter().map(|k| k.delta_fen).sum::<i64>();
        if only.is_some_and(|m| m != month) {
            continue;
        }
        out.push(MonthFigures {
            month: month_text(month),
            opening: money_text(opening_fen),
            closing: money_text(balance_fen),
            count: kinds.iter().map(|k| k.entries).sum(),
            first_seq: kinds.iter().map(|k| k.first_seq).min(),
            last_seq: kinds.iter().map(|k| k.last_seq).max(),
            kinds: kinds
                .iter()
                .map(|k| MonthKindView {
                    kind: k.kind.clone(),
                    count: k.entries,
                    amount: money_text(k.delta_fen),
                })
                .collect(),
            closed: last.is_some_and(|l| month < l),
        });
    }
    out
}

/// The index rows of a known fund.
async fn rows_of(s: &AppState, fund: &str) -> Result<Vec<MonthKind>, Problem> {
    let store = s.ledger.store();
    if store.fund(fund).await?.is_none() {
        return Err(Problem::unknown_fund(fund));
    }
    Ok(store.month_figures(fund).await?)
}

/// `GET /api/v1/funds/{fund}/months`: every month with entries.
pub(super) async fn list(
    State(s): State<AppState>,
    ApiPath(fund): ApiPath<String>,
) -> Result<Json<MonthList>, Problem> {
    let rows = rows_of(&s, &fund).await?;
    Ok(Json(MonthList {
        months: figures(&rows, None),
    }))
}

/// `YYYY-MM` as the month's first day.
fn parse_month(s: &str) -> Option<Date> {
    let (y, m) = s.split_once('-')?;
    if y.len() != 4 || m.len() != 2 || !(y.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit()) {
        return None;
    }
    Date::from_ymd(y.parse().ok()?, m.parse().ok()?, 1).ok()
}

/// `GET /api/v1/funds/{fund}/months/{month}`: one month; final (cached for a year) once
/// a later month has entries, since entries are recorded in time order.
pub(super) async fn get(
    State(s): State<AppState>,
    ApiPath((fund, month)): ApiPath<(String, String)>,
) -> Result<Response, Problem> {
    let m = parse_month(&month).ok_or_else(|| {
        Problem::bad_request("bad_month", "month must be YYYY-MM", "月份必须为 YYYY-MM")
    })?;
    let rows = rows_of(&s, &fund).await?;
    let Some(f) = figures(&rows, Some(m)).pop() else {
        return Err(Problem::not_found("month"));
    };
    Ok(if f.closed {
        (Extension(Final), Json(f)).into_response()
    } else {
        Json(f).into_response()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_as_yyyy_mm_only() {
        assert_eq!(parse_month("2026-03"), Date::from_ymd(2026, 3, 1).ok());
        for bad in [
            "2026-3",
            "2026-13",
            "26-03",
            "2026-03-01",
            "abcd-ef",
            "",
            "+026-03",
        ] {
            assert_eq!(parse_month(bad), None, "{bad:?}");
        }
    }
}
