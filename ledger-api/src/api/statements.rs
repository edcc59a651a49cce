//! Statements: the server drafts one for a period (a month by default; a quarter or a
//! year too) from the fund's log; trustees co-sign it through a proposal and it is
//! appended as a `statement` entry; anyone lists and reads statements with their signers.

use std::collections::BTreeMap;

use crate::ledger::DraftFailure;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use ledger_core::body::{Body, Kind, Verdict};
use ledger_core::entry::Entry;
use ledger_core::keys::PublicKey;
use ledger_core::time::{Date, Period};
use serde::{Deserialize, Serialize};

use super::extract::{ApiPath, ApiQuery};
use super::problem::Problem;
use crate::app::AppState;
use crate::store::PAGE_ROWS_MAX;
use crate::views::{Signer, StatementDraft, StatementList, StatementView};

/// Parses `YYYY-MM` (a month), `YYYY-Qn` (a quarter) or `YYYY` (a year).
pub fn parse_period(s: &str) -> Option<Period> {
    let (year, rest) = match s.split_once('-') {
        Some((y, r)) => (y, Some(r)),
        None => (s, None),
    };
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y: i32 = year.parse().ok()?;
    let (first, last) = match rest {
        None => (1, 12),
        Some(q) if q.len() == 2 && q.starts_with('Q') => {
            let n: u32 = q[1..].parse().ok().filter(|n| (1..=4).contains(n))?;
            (3 * n - 2, 3 * n)
        }
        Some(m) if m.len() == 2 && m.bytes().all(|b| b.is_ascii_digit()) => {
            let m: u32 = m.parse().ok().filter(|m| (1..=12).contains(m))?;
            (m, m)
        }
        Some(_) => return None,
    };
    let from = Date::from_ymd(y, first, 1).ok()?;
    let to = Date::from_ymd(y, last, 1).ok()?.last_of_month();
    Period::new(from, to).ok()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DraftQuery {
    period: String,
}

/// `GET /api/v1/funds/{fund}/statements/draft?period=2026-10|2026-Q3|2026`: the figures the
/// log gives, as the body of a `statement` intent for trustees to sign.
pub(super) async fn draft(
    State(s): State<AppState>,
    ApiPath(fund): ApiPath<String>,
    ApiQuery(q): ApiQuery<DraftQuery>,
) -> Result<Json<StatementDraft>, Problem> {
    let period = parse_period(&q.period).ok_or_else(|| {
        Problem::bad_request(
            "bad_period",
            "period must be YYYY-MM, YYYY-Qn or YYYY",
            "期间必须为 YYYY-MM、YYYY-Qn 或 YYYY",
        )
    })?;
    // From the fund writer's live state: no replay of the log.
    let draft = match s.ledger.draft_statement(&fund, period).await {
        Ok(d) => d,
        Err(DraftFailure::Rule(e)) => {
            return Err(Problem::coded(StatusCode::UNPROCESSABLE_ENTITY, &e))
        }
        Err(DraftFailure::UnknownFund) => return Err(Problem::unknown_fund(&fund)),
        Err(DraftFailure::FundDamaged { fund, reason }) => {
            return Err(Problem::fund_damaged(&fund, &reason))
        }
        Err(DraftFailure::Rebuilding { fund }) => return Err(Problem::fund_rebuilding(&fund)),
        Err(e) => return Err(Problem::internal(&e)),
    };
    Ok(Json(StatementDraft {
        fund,
        kind: Kind::Statement,
        required_signatures: draft.required_signatures,
        body: Body::Statement(draft.statement),
    }))
}

/// Everyone who has been a trustee of the fund, by key (from its genesis and trustee
/// changes), for naming a statement's signers.
pub(super) async fn all_trustee_names(
    s: &AppState,
    fund: &str,
) -> Result<BTreeMap<PublicKey, String>, Problem> {
    Ok(all_names(s, fund).await?.0)
}

/// Everyone who has been a trustee, and everyone who has been a supervisor, of the fund,
/// by key (from its genesis and trustee changes).
async fn all_names(s: &AppState, fund: &str) -> Result<(Names, Names), Problem> {
    let mut names = BTreeMap::new();
    let mut supervisors = BTreeMap::new();
    let store = s.ledger.store();
    let mut rows = store.entries(fund, 0, 1).await?;
    rows.extend(
        store
            .entries_where_kind(fund, Kind::Trustees.as_str(), 0, PAGE_ROWS_MAX)
            .await?,
    );
    for row in rows {
        let entry = Entry::parse(&row.bytes)
            .map_err(|e| Problem::internal(&e))?
            .entry;
        let (added, watching) = match &entry.intent.body {
            Body::Genesis(g) => (&g.trustees, &g.supervisors),
            Body::Trustees(t) => (&t.add, &t.supervisors_add),
            _ => continue,
        };
        for t in added {
            names.insert(t.key, t.name.to_string());
        }
        for t in watching {
            supervisors.insert(t.key, t.name.to_string());
        }
    }
    Ok((names, supervisors))
}

/// Names by key.
type Names = BTreeMap<PublicKey, String>;

/// A supervisor's (监督员) opinion on a statement, as the statement's JSON read shows it.
#[derive(Debug, Serialize)]
pub struct OpinionView {
    /// Seq of the opinion entry.
    pub seq: u64,
    /// When recorded.
    pub recorded_at: String,
    /// `agree` or `disagree`.
    pub verdict: Verdict,
    /// The supervisors' reasons (required when they disagree).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasons: Option<String>,
    /// The supervisors who signed it, named.
    pub signed_by: Vec<Signer>,
}

/// `GET …/statements/{seq}`: the statement, who signed it and the supervisors' opinions
/// on it.
#[derive(Debug, Serialize)]
pub struct StatementRead {
    /// The statement and its signers.
    #[serde(flatten)]
    pub statement: StatementView,
    /// Opinions on it, oldest first (empty when none).
    pub opinions: Vec<OpinionView>,
}

/// The opinions on the statement at `seq` (the fund's opinion entries: a few a month).
async fn opinions_on(
    s: &AppState,
    fund: &str,
    seq: u64,
    supervisors: &Names,
) -> Result<Vec<OpinionView>, Problem> {
    let rows = s
        .ledger
        .store()
        .all_entries_of_kind(fund, Kind::Opinion.as_str())
        .await?;
    let mut out = Vec::new();
    for row in rows {
        let entry = Entry::parse(&row.bytes)
            .map_err(|e| Problem::internal(&e))?
            .entry;
        let Body::Opinion(o) = entry.intent.body else {
            continue;
        };
        if o.statement != seq {
            continue;
        }
        out.push(OpinionView {
            seq: row.seq,
            recorded_at: row.recorded_at,
            verdict: o.verdict,
            reasons: o.reasons.map(|r| r.to_string()),
            signed_by: Signer::list(&entry.sigs, supervisors),
        });
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ListQuery {
    #[serde(default)]
    from: u64,
}

/// `GET /api/v1/funds/{fund}/statements`: the fund's signed statements, oldest first.
pub(super) async fn list(
    State(s): State<AppState>,
    ApiPath(fund): ApiPath<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<StatementList>, Problem> {
    if s.ledger.store().fund(&fund).await?.is_none() {
        return Err(Problem::unknown_fund(&fund));
    }
    let names = all_trustee_names(&s, &fund).await?;
    let rows = s
        .ledger
        .store()
        .entries_where_kind(&fund, Kind::Statement.as_str(), q.from, PAGE_ROWS_MAX)
        .await?;
    let statements = rows
        .iter()
        .map(|r| StatementView::of(r, &names))
        .collect::<Result<Vec<_>, _>>()?;
    let next = (rows.len() as i64 == PAGE_ROWS_MAX).then(|| rows.last().map(|r| r.seq + 1));
    Ok(Json(StatementList {
        statements,
        next: next.flatten(),
    }))
}

/// `GET /api/v1/funds/{fund}/statements/{seq}`: one statement, who signed it and the
/// supervisors' opinions on it.
pub(super) async fn get(
    State(s): State<AppState>,
    ApiPath((fund, seq)): ApiPath<(String, u64)>,
) -> Result<Json<StatementRead>, Problem> {
    let row = s
        .ledger
        .store()
        .entry(&fund, seq)
        .await?
        .filter(|r| r.kind == Kind::Statement.as_str())
        .ok_or_else(|| Problem::not_found("statement"))?;
    let (names, supervisors) = all_names(&s, &fund).await?;
    Ok(Json(StatementRead {
        statement: StatementView::of(&row, &names)?,
        opinions: opinions_on(&s, &fund, seq, &supervisors).await?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_as_months_quarters_and_years() {
        let p = parse_period("2026-02").unwrap();
        assert_eq!(
            (p.from().to_string(), p.to().to_string()),
            ("2026-02-01".into(), "2026-02-28".into())
        );
        let q = parse_period("2024-Q1").unwrap();
        assert_eq!(
            (q.from().to_string(), q.to().to_string()),
            ("2024-01-01".into(), "2024-03-31".into())
        );
        let y = parse_period("2025").unwrap();
        assert_eq!(
            (y.from().to_string(), y.to().to_string()),
            ("2025-01-01".into(), "2025-12-31".into())
        );
        for bad in [
            "2026-13",
            "2026-Q5",
            "2026-Q0",
            "26-01",
            "2026-1",
            "2026-01-01",
            "",
            "abcd",
            "2026-q1",
        ] {
            assert!(parse_period(bad).is_none(), "{bad}");
        }
    }
}
