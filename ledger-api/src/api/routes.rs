//! Routes and handlers.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::stream;
use ledger_core::entry::Sig;
use ledger_core::export::{CheckpointLine, Header};
use ledger_core::keys::PublicKey;
use ledger_core::money::Money;
use serde::Deserialize;
use serde_json::{json, Value};

use super::problem::Problem;
use crate::ledger::Ledger;
use crate::store::{AppendOutcome, EntryRow, VaultRecord, PAGE_ROWS_MAX};

/// Largest request body, in bytes.
pub const BODY_BYTES_MAX: usize = 256 * 1024;
/// Default page size of entry listings.
pub const PAGE_ROWS_DEFAULT: i64 = 100;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The ledger.
    pub ledger: Arc<Ledger>,
}

/// The API router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health))
        .route("/api/v1/log", get(log_info))
        .route("/api/v1/funds", get(list_funds))
        .route("/api/v1/funds/{fund}", get(get_fund))
        .route(
            "/api/v1/funds/{fund}/entries",
            get(list_entries).post(append),
        )
        .route("/api/v1/funds/{fund}/entries/{seq}", get(get_entry))
        .route("/api/v1/funds/{fund}/proofs/inclusion", get(inclusion))
        .route("/api/v1/funds/{fund}/proofs/consistency", get(consistency))
        .route("/api/v1/funds/{fund}/checkpoint", get(checkpoint))
        .route("/api/v1/funds/{fund}/export", get(export))
        .layer(DefaultBodyLimit::max(BODY_BYTES_MAX))
        .with_state(state)
}

async fn health() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

async fn log_info(State(s): State<AppState>) -> impl IntoResponse {
    Json(json!({
        "origin": s.ledger.origin(),
        "log_key": s.ledger.log_key().verifier().to_vkey(),
        "operator_key": s.ledger.operator_key().to_hex(),
    }))
}

fn money(fen: i64) -> String {
    Money::from_fen(fen)
        .map(|m| m.to_string())
        .unwrap_or_default()
}

async fn fund_json(s: &AppState, id: &str) -> Result<Option<Value>, Problem> {
    let store = s.ledger.store();
    let Some(f) = store.fund(id).await? else {
        return Ok(None);
    };
    let genesis = store.entry(id, 0).await?;
    let names = genesis
        .and_then(|g| serde_json::from_slice::<Value>(&g.bytes).ok())
        .and_then(|v| v.get("intent")?.get("body").cloned())
        .unwrap_or(Value::Null);
    let last = match f.size {
        0 => None,
        n => store.entry(id, n - 1).await?,
    };
    Ok(Some(json!({
        "id": f.id,
        "name": names.get("name"),
        "name_en": names.get("name_en"),
        "street": names.get("street"),
        "community": names.get("community"),
        "size": f.size,
        "head": f.head_hash.to_hex(),
        "balance": money(last.as_ref().map_or(0, |e| e.balance_fen)),
        "last_recorded_at": last.map(|e| e.recorded_at),
    })))
}

async fn list_funds(State(s): State<AppState>) -> Result<Json<Value>, Problem> {
    let mut out = Vec::new();
    for f in s.ledger.store().funds().await? {
        if let Some(v) = fund_json(&s, &f.id).await? {
            out.push(v);
        }
    }
    Ok(Json(json!({ "funds": out })))
}

async fn get_fund(
    State(s): State<AppState>,
    Path(fund): Path<String>,
) -> Result<Json<Value>, Problem> {
    fund_json(&s, &fund)
        .await?
        .map(Json)
        .ok_or_else(|| Problem::unknown_fund(&fund))
}

fn entry_json(row: &EntryRow) -> Value {
    json!({
        "seq": row.seq,
        "hash": row.hash.to_hex(),
        "kind": row.kind,
        "recorded_at": row.recorded_at,
        "delta": money(row.delta_fen),
        "balance": money(row.balance_fen),
        "entry": serde_json::from_slice::<Value>(&row.bytes).unwrap_or(Value::Null),
    })
}

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

fn bad_request(code: &'static str, en: String, zh: String) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, code, en, zh)
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
        bad_request("body_unreadable", r.body_text(), "无法读取请求体".into())
    }
}

async fn append(
    State(s): State<AppState>,
    Path(fund): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let body = body.map_err(body_problem)?;
    let req: AppendBody = serde_json::from_slice(&body).map_err(|e| {
        bad_request(
            "malformed_request",
            format!("request body is not a valid append request: {e}"),
            format!("请求体不是有效的写入请求：{e}"),
        )
    })?;
    let vault = match req.donor_identity {
        None => None,
        Some(d) => {
            let mut salt = [0u8; 16];
            hex::decode_to_slice(&d.salt, &mut salt).map_err(|_| {
                bad_request(
                    "malformed_request",
                    "donor_identity.salt must be 32 hex digits".into(),
                    "donor_identity.salt 必须是 32 位十六进制数字".into(),
                )
            })?;
            Some(VaultRecord {
                salt,
                identity: ledger_core::donor::identity_string(&d.name, &d.phone),
            })
        }
    };
    let outcome = s
        .ledger
        .append(&fund, req.intent.into_bytes(), req.sigs, vault)
        .await?;
    Ok(match outcome {
        AppendOutcome::Appended(row) => {
            (StatusCode::CREATED, Json(entry_json(&row))).into_response()
        }
        AppendOutcome::Replayed(row) => (
            StatusCode::OK,
            [("idempotent-replay", "true")],
            Json(entry_json(&row)),
        )
            .into_response(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Page {
    #[serde(default)]
    from: u64,
    #[serde(default)]
    limit: Option<i64>,
}

async fn list_entries(
    State(s): State<AppState>,
    Path(fund): Path<String>,
    Query(p): Query<Page>,
) -> Result<Json<Value>, Problem> {
    let store = s.ledger.store();
    if store.fund(&fund).await?.is_none() {
        return Err(Problem::unknown_fund(&fund));
    }
    let limit = p.limit.unwrap_or(PAGE_ROWS_DEFAULT);
    if !(1..=PAGE_ROWS_MAX).contains(&limit) {
        return Err(bad_request(
            "page_size",
            format!("limit must be 1 to {PAGE_ROWS_MAX}"),
            format!("limit 必须在 1 到 {PAGE_ROWS_MAX} 之间"),
        ));
    }
    let rows = store.entries(&fund, p.from, limit).await?;
    Ok(Json(json!({
        "entries": rows.iter().map(entry_json).collect::<Vec<_>>(),
        "next": rows.last().map(|r| r.seq + 1),
    })))
}

async fn get_entry(
    State(s): State<AppState>,
    Path((fund, seq)): Path<(String, u64)>,
) -> Result<Json<Value>, Problem> {
    let row = s.ledger.store().entry(&fund, seq).await?;
    row.map(|r| Json(entry_json(&r)))
        .ok_or_else(|| Problem::not_found("entry"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InclusionQuery {
    seq: u64,
    size: Option<u64>,
}

async fn current_size(s: &AppState, fund: &str) -> Result<u64, Problem> {
    Ok(s.ledger
        .store()
        .fund(fund)
        .await?
        .ok_or_else(|| Problem::unknown_fund(fund))?
        .size)
}

async fn inclusion(
    State(s): State<AppState>,
    Path(fund): Path<String>,
    Query(q): Query<InclusionQuery>,
) -> Result<Json<Value>, Problem> {
    let size = match q.size {
        Some(n) => n,
        None => current_size(&s, &fund).await?,
    };
    let store = s.ledger.store();
    let proof = store.inclusion_proof(&fund, q.seq, size).await?;
    let root = store.root_at(&fund, size).await?;
    let leaf = store
        .entry(&fund, q.seq)
        .await?
        .ok_or_else(|| Problem::not_found("entry"))?;
    Ok(Json(json!({
        "seq": q.seq,
        "tree_size": size,
        "leaf_hash": leaf.hash.to_hex(),
        "root": root.to_hex(),
        "proof": proof.iter().map(|h| h.to_hex()).collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsistencyQuery {
    from: u64,
    to: Option<u64>,
}

async fn consistency(
    State(s): State<AppState>,
    Path(fund): Path<String>,
    Query(q): Query<ConsistencyQuery>,
) -> Result<Json<Value>, Problem> {
    let to = match q.to {
        Some(n) => n,
        None => current_size(&s, &fund).await?,
    };
    let store = s.ledger.store();
    let proof = store.consistency_proof(&fund, q.from, to).await?;
    Ok(Json(json!({
        "from": q.from,
        "to": to,
        "root_from": store.root_at(&fund, q.from).await?.to_hex(),
        "root_to": store.root_at(&fund, to).await?.to_hex(),
        "proof": proof.iter().map(|h| h.to_hex()).collect::<Vec<_>>(),
    })))
}

async fn checkpoint(
    State(s): State<AppState>,
    Path(fund): Path<String>,
) -> Result<Response, Problem> {
    let (_, note) = s
        .ledger
        .store()
        .latest_checkpoint(&fund)
        .await?
        .ok_or_else(|| Problem::unknown_fund(&fund))?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], note).into_response())
}

/// Streams the export: header, every entry's canonical bytes, the checkpoint of exactly
/// the entries sent. Reads one page at a time, so memory does not grow with the fund.
async fn export(State(s): State<AppState>, Path(fund): Path<String>) -> Result<Response, Problem> {
    let store = s.ledger.store().clone();
    let f = store
        .fund(&fund)
        .await?
        .ok_or_else(|| Problem::unknown_fund(&fund))?;
    let operator_key = PublicKey::from_hex(&f.operator_key).map_err(|e| Problem::internal(&e))?;
    // The checkpoint fixes the size: entries appended while streaming are not included.
    let (size, note) = store
        .latest_checkpoint(&fund)
        .await?
        .ok_or_else(|| Problem::unknown_fund(&fund))?;
    let header = Header::new(
        ledger_core::ids::FundId::parse(&fund).map_err(|e| Problem::internal(&e))?,
        s.ledger.fund_origin(&fund),
        &s.ledger.log_key().verifier(),
        operator_key,
    );
    let mut first = header.to_line();
    first.push(b'\n');
    let mut last = CheckpointLine { checkpoint: note }.to_line();
    last.push(b'\n');
    let pages = stream::unfold(Some(0u64), move |next| {
        let store = store.clone();
        let fund = fund.clone();
        async move {
            let from = next?;
            if from >= size {
                return None;
            }
            let limit = PAGE_ROWS_MAX.min((size - from) as i64);
            match store.entries(&fund, from, limit).await {
                Ok(rows) if !rows.is_empty() => {
                    let mut buf = Vec::new();
                    for r in &rows {
                        buf.extend_from_slice(&r.bytes);
                        buf.push(b'\n');
                    }
                    let next = rows.last().map(|r| r.seq + 1);
                    Some((Ok::<_, std::io::Error>(Bytes::from(buf)), next))
                }
                Ok(_) => None,
                Err(e) => Some((Err(std::io::Error::other(e.to_string())), None)),
            }
        }
    });
    let body = stream::iter([Ok::<_, std::io::Error>(Bytes::from(first))])
        .chain(pages)
        .chain(stream::iter([Ok(Bytes::from(last))]));
    use futures_util::StreamExt;
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(body),
    )
        .into_response())
}
