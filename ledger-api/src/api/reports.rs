//! Statutory reports and the disclosure calendar of a fund (issue 17 items 3 and 5):
//! `GET /api/v1/funds/{fund}/reports/statutory?period=2026-Q1[&format=csv]` and
//! `GET /api/v1/funds/{fund}/disclosures[?today=YYYY-MM-DD]`, computed by ledger-core from
//! the fund's statutory index, never a replay of its log ([`crate::reports`]).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use ledger_core::calendar::{Item, Status};
use ledger_core::statutory::Report;
use ledger_core::time::Date;
use serde::{Deserialize, Serialize};

use super::extract::{ApiPath, ApiQuery};
use super::problem::Problem;
use super::statements::parse_period;
use crate::app::AppState;
use crate::reports::{read, BooksError, FundBooks};

/// A fund's books, or the problem that stops them.
pub(crate) async fn books_of(s: &AppState, fund: &str) -> Result<FundBooks, Problem> {
    if let Some(reason) = s.ledger.damage(fund) {
        return Err(Problem::fund_damaged(fund, &reason));
    }
    match read(s.ledger.store(), fund).await {
        Ok(Some(b)) => Ok(b),
        Ok(None) => Err(Problem::unknown_fund(fund)),
        Err(BooksError::Store(e)) => Err(Problem::store(&e)),
        Err(e) => Err(Problem::internal(&e)),
    }
}

/// The 400 for a period that is not `YYYY-MM`, `YYYY-Qn` or `YYYY`.
pub(crate) fn bad_period() -> Problem {
    Problem::bad_request(
        "bad_period",
        "period must be YYYY-MM, YYYY-Qn or YYYY, e.g. 2026-03, 2026-Q1 or 2026",
        "期间必须为 YYYY-MM、YYYY-Qn 或 YYYY，例如 2026-03、2026-Q1 或 2026",
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StatutoryQuery {
    period: String,
    #[serde(default)]
    format: Option<String>,
}

/// The statutory report of a fund.
#[derive(Serialize)]
pub struct StatutoryView {
    /// The fund.
    pub fund: String,
    /// The report.
    #[serde(flatten)]
    pub report: Report,
}

/// `GET /api/v1/funds/{fund}/reports/statutory?period=…[&format=json|csv]`.
pub(super) async fn statutory(
    State(s): State<AppState>,
    ApiPath(fund): ApiPath<String>,
    ApiQuery(q): ApiQuery<StatutoryQuery>,
) -> Result<Response, Problem> {
    let period = parse_period(&q.period).ok_or_else(bad_period)?;
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            return Err(Problem::bad_request(
                "bad_format",
                "format must be json or csv",
                "格式必须为 json 或 csv",
            ))
        }
    };
    let b = books_of(&s, &fund).await?;
    let report = b
        .books
        .report(&period)
        .map_err(|e| Problem::unprocessable("report_failed", e.to_string(), "无法计算报表"))?;
    if csv {
        let name = format!("{fund}-statutory-{}.csv", q.period);
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            report.to_csv(),
        )
            .into_response());
    }
    Ok(Json(StatutoryView { fund, report }).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CalendarQuery {
    #[serde(default)]
    today: Option<String>,
}

/// A fund's disclosure calendar.
#[derive(Serialize)]
pub struct CalendarView {
    /// The fund.
    pub fund: String,
    /// The local day the calendar is computed for.
    pub today: Date,
    /// Duties not published by their due date.
    pub overdue: usize,
    /// Every duty arisen by `today`, oldest due date first.
    pub items: Vec<Item>,
}

/// `GET /api/v1/funds/{fund}/disclosures[?today=YYYY-MM-DD]`: what was due, when it was
/// published, what is overdue (today: the fund's local date now unless given).
pub(super) async fn disclosures(
    State(s): State<AppState>,
    ApiPath(fund): ApiPath<String>,
    ApiQuery(q): ApiQuery<CalendarQuery>,
) -> Result<Json<CalendarView>, Problem> {
    let given = match q.today.as_deref() {
        Some(t) => Some(Date::parse(t).map_err(|e| {
            Problem::bad_request(
                "bad_date",
                format!("today must be a date YYYY-MM-DD: {e}"),
                "today 必须为日期 YYYY-MM-DD",
            )
        })?),
        None => None,
    };
    let b = books_of(&s, &fund).await?;
    let today = given.unwrap_or_else(|| b.today(s.ledger.now()));
    let items = b.calendar.duties(today);
    let overdue = items.iter().filter(|i| i.status == Status::Overdue).count();
    Ok(Json(CalendarView {
        fund,
        today,
        overdue,
        items,
    }))
}
