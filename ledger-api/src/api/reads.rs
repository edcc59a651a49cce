//! Handlers of the public reads: funds, entries, proofs, checkpoints, the export.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::{stream, StreamExt};
use ledger_core::export::{CheckpointLine, Header};
use ledger_core::keys::PublicKey;
use ledger_core::money::Money;
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::{ApiPath, ApiQuery};
use super::problem::Problem;
use super::{AppState, PAGE_ROWS_DEFAULT};
use crate::store::{EntryRow, PAGE_ROWS_MAX};

pub(super) async fn health(State(s): State<AppState>) -> Result<Json<Value>, Problem> {
    if let Err(e) = s.ledger.store().ping().await {
        tracing::error!(error = %e, "health check: the database does not answer");
        return Err(Problem::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the database does not answer",
            "数据库无响应",
        ));
    }
    Ok(Json(json!({"status": "ok"})))
}

pub(super) async fn log_info(State(s): State<AppState>) -> impl IntoResponse {
    Json(json!({
        "origin": s.ledger.origin(),
        "log_key": s.ledger.log_key().verifier().to_vkey(),
        "operator_key": s.ledger.operator_key().to_hex(),
    }))
}

pub(super) fn money(fen: i64) -> String {
    Money::from_fen(fen)
        .map(|m| m.to_string())
        .unwrap_or_default()
}

pub(super) async fn fund_json(s: &AppState, id: &str) -> Result<Option<Value>, Problem> {
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

pub(super) async fn list_funds(State(s): State<AppState>) -> Result<Json<Value>, Problem> {
    let mut out = Vec::new();
    for f in s.ledger.store().funds().await? {
        if let Some(v) = fund_json(&s, &f.id).await? {
            out.push(v);
        }
    }
    Ok(Json(json!({ "funds": out })))
}

pub(super) async fn get_fund(
    State(s): State<AppState>,
    ApiPath(fund): ApiPath<String>,
) -> Result<Json<Value>, Problem> {
    fund_json(&s, &fund)
        .await?
        .map(Json)
        .ok_or_else(|| Problem::unknown_fund(&fund))
}

pub(super) fn entry_json(row: &EntryRow) -> Value {
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

/// Checks a page size: 1 to [`PAGE_ROWS_MAX`], else 400 `page_size`.
pub(super) fn page_limit(limit: i64) -> Result<i64, Problem> {
    if (1..=PAGE_ROWS_MAX).contains(&limit) {
        Ok(limit)
    } else {
        Err(Problem::bad_request(
            "page_size",
            format!("limit must be 1 to {PAGE_ROWS_MAX}"),
            format!("limit 必须在 1 到 {PAGE_ROWS_MAX} 之间"),
        ))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Page {
    #[serde(default)]
    from: u64,
    #[serde(default)]
    limit: Option<i64>,
}

pub(super) async fn list_entries(
    State(s): State<AppState>,
    ApiPath(fund): ApiPath<String>,
    ApiQuery(p): ApiQuery<Page>,
) -> Result<Json<Value>, Problem> {
    let store = s.ledger.store();
    if store.fund(&fund).await?.is_none() {
        return Err(Problem::unknown_fund(&fund));
    }
    let limit = page_limit(p.limit.unwrap_or(PAGE_ROWS_DEFAULT))?;
    let rows = store.entries(&fund, p.from, limit).await?;
    Ok(Json(json!({
        "entries": rows.iter().map(entry_json).collect::<Vec<_>>(),
        "next": rows.last().map(|r| r.seq + 1),
    })))
}

pub(super) async fn get_entry(
    State(s): State<AppState>,
    ApiPath((fund, seq)): ApiPath<(String, u64)>,
) -> Result<Json<Value>, Problem> {
    let row = s.ledger.store().entry(&fund, seq).await?;
    row.map(|r| Json(entry_json(&r)))
        .ok_or_else(|| Problem::not_found("entry"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct InclusionQuery {
    seq: u64,
    size: Option<u64>,
}

pub(super) async fn current_size(s: &AppState, fund: &str) -> Result<u64, Problem> {
    Ok(s.ledger
        .store()
        .fund(fund)
        .await?
        .ok_or_else(|| Problem::unknown_fund(fund))?
        .size)
}

pub(super) async fn inclusion(
    State(s): State<AppState>,
    ApiPath(fund): ApiPath<String>,
    ApiQuery(q): ApiQuery<InclusionQuery>,
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
pub(super) struct ConsistencyQuery {
    from: u64,
    to: Option<u64>,
}

pub(super) async fn consistency(
    State(s): State<AppState>,
    ApiPath(fund): ApiPath<String>,
    ApiQuery(q): ApiQuery<ConsistencyQuery>,
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

pub(super) async fn checkpoint(
    State(s): State<AppState>,
    ApiPath(fund): ApiPath<String>,
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
pub(super) async fn export(
    State(s): State<AppState>,
    ApiPath(fund): ApiPath<String>,
) -> Result<Response, Problem> {
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
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(body),
    )
        .into_response())
}
