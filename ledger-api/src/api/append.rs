//! `POST /api/v1/funds/{fund}/entries`: a signed intent, checked and appended.
//!
//! Who may write: a trustee token of this fund for every kind but `genesis`; an operator
//! token for `genesis` only (it creates the fund); a supervisor token of this fund for
//! `opinion` only (least privilege: it can never record money). The intent's own
//! signatures and quorum are then checked by the ledger's rules: a token alone never makes
//! an entry.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use ledger_core::body::{Body, Kind};
use ledger_core::donor::{commitment, identity_string, SALT_BYTES};
use ledger_core::entry::{Intent, Sig};
use serde::Deserialize;

use super::auth::Caller;
use super::extract::ApiPath;
use super::problem::Problem;
use super::reads::entry_json;
use super::BODY_BYTES_MAX;
use crate::app::AppState;
use crate::credentials::Role;
use crate::store::{AppendOutcome, VaultRecord};

/// Longest donor name kept in the vault, in characters.
pub const DONOR_NAME_CHARS_MAX: usize = 100;
/// Longest donor phone number, in characters.
pub const DONOR_PHONE_CHARS_MAX: usize = 32;

/// The body of an append: the canonical intent as a string (so its exact bytes are
/// what was signed) and the signatures.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppendBody {
    intent: String,
    sigs: Vec<Sig>,
    #[serde(default)]
    donor_identity: Option<DonorIdentity>,
}

/// A resident donor's identity, kept in the vault (never in the chain).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DonorIdentity {
    /// 32 hex digits.
    salt: String,
    name: String,
    phone: String,
}

/// Just the kind of an intent, to decide who may submit it before anything else is done.
#[derive(Deserialize)]
struct KindPeek {
    kind: String,
}

/// The intent's kind, when it names one (anything else is refused later, by the parse).
fn peek_kind(intent: &str) -> Option<Kind> {
    serde_json::from_str::<KindPeek>(intent)
        .ok()
        .and_then(|p| Kind::parse(&p.kind))
}

fn body_problem(r: BytesRejection) -> Problem {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("request body is larger than {BODY_BYTES_MAX} bytes"),
            format!("请求体超过 {BODY_BYTES_MAX} 字节"),
        )
    } else {
        Problem::bad_request("body_unreadable", r.body_text(), "无法读取请求体")
    }
}

/// Refuses a caller who may not submit this intent to this fund.
fn authorise(caller: &Caller, fund: &str, kind: Option<Kind>) -> Result<(), Problem> {
    if kind == Some(Kind::Genesis) {
        caller.require(&[Role::Operator], "creating a fund (genesis)")?;
        return Ok(());
    }
    let cred = caller.trustee_of(fund, &[Role::Supervisor], "appending an entry")?;
    if cred.role == Role::Supervisor && kind != Some(Kind::Opinion) {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "supervisor_opinions_only",
            "a supervisor token submits opinions (kind `opinion`) only",
            "监督员令牌只能提交监督意见（opinion）",
        ));
    }
    Ok(())
}

fn donor_problem(en: &str, zh: &str) -> Problem {
    Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "donor_identity_invalid",
        en.to_owned(),
        zh.to_owned(),
    )
}

/// The vault record of a resident donation, checked against the intent's commitment.
fn vault_record(d: DonorIdentity, intent_bytes: &[u8]) -> Result<VaultRecord, Problem> {
    let mut salt = [0u8; SALT_BYTES];
    hex::decode_to_slice(&d.salt, &mut salt).map_err(|_| {
        donor_problem(
            "donor_identity.salt must be 32 hex digits",
            "donor_identity.salt 必须是 32 位十六进制数字",
        )
    })?;
    let name_len = d.name.chars().count();
    if name_len == 0 || name_len > DONOR_NAME_CHARS_MAX {
        return Err(donor_problem(
            "donor_identity.name must be 1 to 100 characters",
            "donor_identity.name 必须为 1 到 100 个字符",
        ));
    }
    let phone_ok = !d.phone.is_empty()
        && d.phone.chars().count() <= DONOR_PHONE_CHARS_MAX
        && d.phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' '));
    if !phone_ok {
        return Err(donor_problem(
            "donor_identity.phone must be 1 to 32 digits (with + - or spaces)",
            "donor_identity.phone 必须为 1 到 32 位数字（可含 + - 或空格）",
        ));
    }
    // The intent must be a resident donation committing to exactly this identity.
    let intent = Intent::from_canonical_bytes(intent_bytes)
        .map_err(|e| Problem::coded(super::problem::entry_status(&e), &e))?;
    let identity = identity_string(&d.name, &d.phone);
    let committed = match &intent.body {
        Body::Donation(don) => don.donor.commitment,
        _ => None,
    };
    if committed != Some(commitment(&salt, &identity)) {
        return Err(donor_problem(
            "donor_identity does not match the commitment in the intent",
            "donor_identity 与意图中的承诺值不符",
        ));
    }
    Ok(VaultRecord { salt, identity })
}

/// `POST /api/v1/funds/{fund}/entries`.
pub(super) async fn append(
    State(s): State<AppState>,
    ApiPath(fund): ApiPath<String>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    // Only writers get as far as having their body read: the route's guard
    // (`Access::Writer`) has refused the others.
    let body = body.map_err(body_problem)?;
    let req: AppendBody = serde_json::from_slice(&body).map_err(|e| {
        Problem::bad_request(
            "malformed_request",
            format!("request body is not a valid append request: {e}"),
            "请求体不是有效的写入请求",
        )
    })?;
    authorise(&caller, &fund, peek_kind(&req.intent))?;
    let intent_bytes = req.intent.into_bytes();
    let vault = req
        .donor_identity
        .map(|d| vault_record(d, &intent_bytes))
        .transpose()?;
    let outcome = s
        .ledger
        .append(&fund, intent_bytes, req.sigs, vault)
        .await?;
    Ok(match outcome {
        AppendOutcome::Appended(row) => {
            s.metrics.appended(&row.kind);
            (StatusCode::CREATED, Json(entry_json(&row)?)).into_response()
        }
        AppendOutcome::Replayed(row) => (
            StatusCode::OK,
            [("idempotent-replay", "true")],
            Json(entry_json(&row)?),
        )
            .into_response(),
    })
}
