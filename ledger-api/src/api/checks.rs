//! The trustees' dry runs: what some intents, or the rows of a CSV file, would do if they
//! were signed and appended now — checked against a copy of the fund writer's state with
//! the core's rules (`ledger_core::check`), nothing written — and what the trustees'
//! forms need to read of that state (agreements with their paid periods, spaces with
//! their community hours and a week's bookings).

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use ledger_core::body::Kind;
use ledger_core::check::{check_intent, week_of, Figures, CHECK_INTENTS_MAX};
use ledger_core::donor::SALT_BYTES;
use ledger_core::entry::Intent;
use ledger_core::error::Coded;
use ledger_core::ids::FundId;
use ledger_core::import::{read_rows, ImportError};
use ledger_core::money::Money;
use ledger_core::state::{Booking, FundState, PaidPeriod};
use ledger_core::time::{Date, Instant};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::extract::{ApiPath, ApiQuery};
use super::problem::Problem;
use super::BODY_BYTES_MAX;
use crate::app::AppState;
use crate::ledger::DraftFailure;

/// Most CSV rows one import check reads (a larger file is checked in parts).
pub const IMPORT_CHECK_ROWS_MAX: usize = 2_000;

/// A refusal as an append would give it: the rule's stable code and its messages.
#[derive(Debug, Serialize)]
pub struct Refusal {
    /// Stable code (`overdraft`, `period_already_paid`, …).
    pub code: &'static str,
    /// English.
    pub detail_en: String,
    /// Chinese.
    pub detail_zh: String,
}

impl Refusal {
    fn of(e: &dyn Coded) -> Self {
        Refusal {
            code: e.code(),
            detail_en: e.message_en(),
            detail_zh: e.message_zh(),
        }
    }
}

/// One intent checked.
#[derive(Debug, Serialize)]
pub struct IntentCheck {
    /// Its place in the request.
    pub index: usize,
    /// Whether every rule but the signatures holds.
    pub ok: bool,
    /// Its canonical JSON: what the trustees sign (when it parsed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
    /// The figures (when it parsed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub figures: Option<Figures>,
    /// Why it would be refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Refusal>,
}

/// Where the checks started: the fund's head when its state was read.
#[derive(Debug, Serialize)]
pub struct CheckedAt {
    /// Entries in the fund then.
    pub size: u64,
    /// The balance then.
    pub balance: Money,
}

/// `POST …/intents/check`'s answer.
#[derive(Debug, Serialize)]
pub struct IntentsChecked {
    /// The fund.
    pub fund: String,
    /// Its state the checks started from.
    pub at: CheckedAt,
    /// Each intent, in order (each checked after the ones before it that passed).
    pub results: Vec<IntentCheck>,
}

/// `POST …/intents/check`'s body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct IntentsBody {
    intents: Vec<Value>,
}

/// A JSON body, or a problem: 413 `body_too_large`, else 400 `malformed_request`.
fn json_body<T>(body: Result<Json<T>, JsonRejection>, what: &str) -> Result<T, Problem> {
    body.map(|Json(b)| b).map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("request body is larger than {BODY_BYTES_MAX} bytes"),
                format!("请求体超过 {BODY_BYTES_MAX} 字节"),
            )
        } else {
            Problem::bad_request(
                "malformed_request",
                format!("request body is not {what}: {}", e.body_text()),
                format!("请求体格式无效（应为{what}）"),
            )
        }
    })
}

/// A copy of the fund writer's state (caught up with the store; no replay).
async fn fund_state(s: &AppState, fund: &str) -> Result<FundState, Problem> {
    match s.ledger.read_state(fund, FundState::clone).await {
        Ok(state) => Ok(state),
        Err(DraftFailure::UnknownFund) => Err(Problem::unknown_fund(fund)),
        Err(DraftFailure::FundDamaged { fund, reason }) => {
            Err(Problem::fund_damaged(&fund, &reason))
        }
        Err(DraftFailure::Rebuilding { fund }) => Err(Problem::fund_rebuilding(&fund)),
        Err(e) => Err(Problem::internal(&e)),
    }
}

fn checked_at(state: &FundState) -> CheckedAt {
    CheckedAt {
        size: state.next_seq(),
        balance: state.balance(),
    }
}

/// JCS of an intent as a string (JCS output is UTF-8: it is built from JSON strings).
fn canonical_string(intent: &Intent) -> Result<String, Problem> {
    String::from_utf8(intent.canonical_bytes()).map_err(|e| Problem::internal(&e))
}

/// `POST /api/v1/funds/{fund}/intents/check` (a trustee of the fund, or an auditor): the
/// unsigned intents `{fund, kind, body, key, signed_at}` applied in order to a copy of
/// the fund's state as appends would be, signatures aside; for each, the figures and the
/// refusal an append would give. Nothing is written.
pub(super) async fn check_intents(
    State(s): State<AppState>,
    ApiPath(fund): ApiPath<String>,
    body: Result<Json<IntentsBody>, JsonRejection>,
) -> Result<Json<IntentsChecked>, Problem> {
    let body = json_body(body, "{\"intents\": [intent, …]}")?;
    if body.intents.is_empty() || body.intents.len() > CHECK_INTENTS_MAX {
        return Err(Problem::bad_request(
            "too_many_intents",
            format!(
                "a check takes 1 to {CHECK_INTENTS_MAX} intents (found {})",
                body.intents.len()
            ),
            format!(
                "一次检查 1 至 {CHECK_INTENTS_MAX} 条意图（收到 {} 条）",
                body.intents.len()
            ),
        ));
    }
    let mut state = fund_state(&s, &fund).await?;
    let at = checked_at(&state);
    let now = s.ledger.now();
    let results = tokio::task::spawn_blocking(move || {
        let mut results = Vec::with_capacity(body.intents.len());
        for (index, value) in body.intents.into_iter().enumerate() {
            let intent = match Intent::from_value(value) {
                Ok(i) => i,
                Err(e) => {
                    results.push(IntentCheck {
                        index,
                        ok: false,
                        intent: None,
                        figures: None,
                        refusal: Some(Refusal::of(&e)),
                    });
                    continue;
                }
            };
            let text = canonical_string(&intent)?;
            let checked = check_intent(&mut state, intent, now);
            results.push(IntentCheck {
                index,
                ok: checked.outcome.is_ok(),
                intent: Some(text),
                figures: Some(checked.figures),
                refusal: checked.outcome.err().map(|e| Refusal::of(&e)),
            });
        }
        Ok::<_, Problem>(results)
    })
    .await
    .map_err(|e| Problem::internal(&e))??;
    Ok(Json(IntentsChecked { fund, at, results }))
}

/// `POST …/import/check`'s body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ImportBody {
    /// donation, disbursement, rental or revenue_share.
    kind: String,
    /// The CSV file's text.
    csv: String,
    /// The intents' `signed_at` (default: now).
    #[serde(default)]
    signed_at: Option<Instant>,
}

/// A row's state after the check.
#[derive(Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    /// Every rule but the signatures holds: sign it and append it (or propose it).
    Ok,
    /// It would be refused.
    Refused,
    /// An entry with its idempotency key is in the log already.
    AlreadyRecorded,
}

/// A resident donor's identity for the vault, sent with the append (never in the intent).
#[derive(Debug, Serialize)]
pub struct IdentityView {
    /// The commitment's salt, 32 hex digits.
    pub salt: String,
    /// Name.
    pub name: String,
    /// Phone.
    pub phone: String,
}

/// One CSV row checked.
#[derive(Debug, Serialize)]
pub struct RowCheck {
    /// Line number in the file (the header is line 1).
    pub line: u64,
    /// What the check found.
    pub status: RowStatus,
    /// The row's idempotency key (when it parsed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The row's intent, canonical JSON: what the trustees sign (when it parsed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
    /// The figures (rows checked against the rules).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub figures: Option<Figures>,
    /// A resident donor's identity, to send as `donor_identity` with the append.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub donor_identity: Option<IdentityView>,
    /// The entry already recorded under its key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// Why it would be refused (a parse error or a rule).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Refusal>,
}

/// `POST …/import/check`'s answer.
#[derive(Debug, Serialize)]
pub struct ImportChecked {
    /// The fund.
    pub fund: String,
    /// The kind.
    pub kind: Kind,
    /// Its state the checks started from.
    pub at: CheckedAt,
    /// Rows read.
    pub total: usize,
    /// Rows that would be recorded.
    pub ok: usize,
    /// Rows already recorded.
    pub already_recorded: usize,
    /// Rows that would be refused.
    pub refused: usize,
    /// Every row, in line order.
    pub rows: Vec<RowCheck>,
}

fn import_problem(e: &ImportError) -> Problem {
    let status = match e {
        ImportError::TooManyRows(_) => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::BAD_REQUEST,
    };
    Problem::coded(status, e)
}

fn random_salt() -> [u8; SALT_BYTES] {
    let mut salt = [0u8; SALT_BYTES];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut salt);
    salt
}

/// `POST /api/v1/funds/{fund}/import/check` (a trustee of the fund): a CSV file of one of
/// the documented layouts read with the CLI's own import (`ledger_core::import`), every
/// row's unsigned intent (signed at `signed_at`, default now) and, applied in order to a
/// copy of the fund's state as the CLI's dry run does (signatures aside), every row that
/// would be refused with its line and reason; rows whose key is in the log already are
/// reported as such. Nothing is written.
pub(super) async fn check_import(
    State(s): State<AppState>,
    ApiPath(fund): ApiPath<String>,
    body: Result<Json<ImportBody>, JsonRejection>,
) -> Result<Json<ImportChecked>, Problem> {
    let body = json_body(body, "{\"kind\", \"csv\", \"signed_at\"?}")?;
    let kind = Kind::parse(body.kind.trim())
        .ok_or_else(|| import_problem(&ImportError::KindNotImportable("this kind")))?;
    let fund_id = FundId::parse(&fund).map_err(|_| Problem::unknown_fund(&fund))?;
    let rows = read_rows(
        &fund_id,
        kind,
        body.csv.as_bytes(),
        IMPORT_CHECK_ROWS_MAX,
        &mut random_salt,
    )
    .map_err(|e| import_problem(&e))?;
    let mut state = fund_state(&s, &fund).await?;
    let at = checked_at(&state);
    let keys: Vec<&str> = rows.rows.iter().map(|r| r.key.as_str()).collect();
    let recorded = s.ledger.store().seqs_of_keys(&fund, &keys).await?;
    let now = s.ledger.now();
    let signed_at = body.signed_at.unwrap_or(now);
    let total = rows.total();
    let mut out: Vec<RowCheck> = rows
        .refused
        .into_iter()
        .map(|r| RowCheck {
            line: r.line,
            status: RowStatus::Refused,
            key: None,
            intent: None,
            figures: None,
            donor_identity: None,
            seq: None,
            refusal: Some(Refusal {
                code: r.code,
                detail_en: r.detail_en,
                detail_zh: r.detail_zh,
            }),
        })
        .collect();
    let checked = tokio::task::spawn_blocking(move || {
        let mut out = Vec::with_capacity(rows.rows.len());
        for row in rows.rows {
            let key = row.key.as_str().to_owned();
            let intent = Intent {
                fund: fund_id.clone(),
                body: row.body,
                key: row.key,
                signed_at,
            };
            let text = canonical_string(&intent)?;
            let identity = row.identity.map(|id| IdentityView {
                salt: hex::encode(id.salt),
                name: id.name,
                phone: id.phone,
            });
            let mut check = RowCheck {
                line: row.line,
                status: RowStatus::Ok,
                key: Some(key),
                intent: Some(text),
                figures: None,
                donor_identity: identity,
                seq: None,
                refusal: None,
            };
            if let Some(seq) = check.key.as_ref().and_then(|k| recorded.get(k)) {
                check.status = RowStatus::AlreadyRecorded;
                check.seq = Some(*seq);
                check.donor_identity = None;
                out.push(check);
                continue;
            }
            let c = check_intent(&mut state, intent, now);
            if let Err(e) = &c.outcome {
                check.status = RowStatus::Refused;
                check.refusal = Some(Refusal::of(e));
                check.donor_identity = None;
            }
            check.figures = Some(c.figures);
            out.push(check);
        }
        Ok::<_, Problem>(out)
    })
    .await
    .map_err(|e| Problem::internal(&e))??;
    out.extend(checked);
    out.sort_by_key(|r| r.line);
    let count = |f: fn(&RowStatus) -> bool| out.iter().filter(|r| f(&r.status)).count();
    Ok(Json(ImportChecked {
        fund,
        kind,
        at,
        total,
        ok: count(|s| matches!(s, RowStatus::Ok)),
        already_recorded: count(|s| matches!(s, RowStatus::AlreadyRecorded)),
        refused: count(|s| matches!(s, RowStatus::Refused)),
        rows: out,
    }))
}

/// An agreement and the periods paid under it.
#[derive(Debug, Serialize)]
pub struct AgreementView {
    /// The agreement's body as recorded.
    pub agreement: ledger_core::body::Agreement,
    /// Periods already paid, oldest first.
    pub paid_periods: Vec<PaidPeriod>,
}

/// A space and its bookings in the week asked for.
#[derive(Debug, Serialize)]
pub struct SpaceView {
    /// The space's body as recorded (community hours included).
    pub space: ledger_core::body::Space,
    /// Rentals overlapping the week.
    pub week_bookings: Vec<Booking>,
}

/// A trustee of the fund now.
#[derive(Debug, Serialize)]
pub struct TrusteeView {
    /// Public key, hex.
    pub key: String,
    /// Name.
    pub name: String,
}

/// `GET …/workspace`: what the trustees' forms read of the fund's state.
#[derive(Debug, Serialize)]
pub struct WorkspaceView {
    /// The fund.
    pub fund: String,
    /// Entries in the fund.
    pub size: u64,
    /// Its balance.
    pub balance: Money,
    /// Its trustees now.
    pub trustees: Vec<TrusteeView>,
    /// Its policy (quorums, share rates).
    pub policy: Option<ledger_core::body::Policy>,
    /// The week shown: Monday 00:00 local to the next Monday, as instants.
    pub week: [Instant; 2],
    /// Agreements with their paid periods.
    pub agreements: Vec<AgreementView>,
    /// Spaces with the week's bookings.
    pub spaces: Vec<SpaceView>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WorkspaceQuery {
    /// A day of the week to show (default: today in the fund's calendar).
    #[serde(default)]
    week: Option<Date>,
}

/// `GET /api/v1/funds/{fund}/workspace?week=YYYY-MM-DD` (a trustee of the fund, or an
/// auditor): balance, trustees, policy, agreements with their paid periods, spaces with
/// their community hours and the bookings of the week holding `week`.
pub(super) async fn workspace(
    State(s): State<AppState>,
    ApiPath(fund): ApiPath<String>,
    ApiQuery(q): ApiQuery<WorkspaceQuery>,
) -> Result<Json<WorkspaceView>, Problem> {
    let now = s.ledger.now();
    let name = fund.clone();
    let view = s
        .ledger
        .read_state(&fund, move |state| {
            let day = q.week.unwrap_or(now.local_date(state.utc_offset()));
            let (from, to) = week_of(state, day)?;
            Some(WorkspaceView {
                fund: name,
                size: state.next_seq(),
                balance: state.balance(),
                trustees: state
                    .trustees()
                    .iter()
                    .map(|(k, n)| TrusteeView {
                        key: k.to_hex(),
                        name: n.to_string(),
                    })
                    .collect(),
                policy: state.policy().cloned(),
                week: [from, to],
                agreements: state
                    .agreements()
                    .into_iter()
                    .map(|(a, paid)| AgreementView {
                        agreement: a.clone(),
                        paid_periods: paid,
                    })
                    .collect(),
                spaces: state
                    .spaces()
                    .into_iter()
                    .map(|sp| SpaceView {
                        space: sp.clone(),
                        week_bookings: state.bookings(&sp.space_id, from, to).unwrap_or_default(),
                    })
                    .collect(),
            })
        })
        .await;
    match view {
        Ok(Some(v)) => Ok(Json(v)),
        Ok(None) => Err(Problem::bad_request(
            "bad_query",
            "week is outside the calendar",
            "week 超出日历范围",
        )),
        Err(DraftFailure::UnknownFund) => Err(Problem::unknown_fund(&fund)),
        Err(DraftFailure::FundDamaged { fund, reason }) => {
            Err(Problem::fund_damaged(&fund, &reason))
        }
        Err(DraftFailure::Rebuilding { fund }) => Err(Problem::fund_rebuilding(&fund)),
        Err(e) => Err(Problem::internal(&e)),
    }
}
