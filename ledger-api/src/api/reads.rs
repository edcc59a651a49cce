//! Handlers of the public reads: funds, entries, proofs, checkpoints, the export.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use futures_util::{stream, StreamExt};
use ledger_core::export::{CheckpointLine, Header};
use ledger_core::keys::PublicKey;
use serde::Deserialize;

use super::extract::{ApiPath, ApiQuery};
use super::problem::Problem;
use super::PAGE_ROWS_DEFAULT;
use crate::app::AppState;
use crate::caching::Final;
use crate::store::{EntryRow, PAGE_ROWS_MAX};
use crate::views::{
    genesis_of, ConsistencyProof, DamagedFund, EntryPage, EntryView, FundList, FundSummary, Health,
    InclusionProof, LogInfo, WitnessPolicyInfo,
};
use crate::witnesses::{served_checkpoint, witnessed_checkpoint};

pub(super) async fn health(State(s): State<AppState>) -> Result<Json<Health>, Problem> {
    if let Err(e) = s.ledger.store().ping().await {
        tracing::error!(error = %e, "health check: the database does not answer");
        return Err(Problem::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the database does not answer",
            "数据库无响应",
        ));
    }
    let damaged: Vec<DamagedFund> = s
        .ledger
        .damaged_funds()
        .into_iter()
        .map(|(fund, reason)| DamagedFund {
            fund,
            reason: reason.to_string(),
        })
        .collect();
    let status = if damaged.is_empty() { "ok" } else { "degraded" };
    Ok(Json(Health { status, damaged }))
}

/// `GET /metrics`, with the number of quarantined funds read from the ledger.
pub(super) async fn metrics(State(s): State<AppState>) -> impl IntoResponse {
    s.metrics.set_funds_damaged(s.ledger.damaged_funds().len());
    crate::metrics::metrics(State(s.metrics.clone())).await
}

pub(super) async fn log_info(State(s): State<AppState>) -> impl IntoResponse {
    Json(LogInfo {
        origin: s.ledger.origin().to_owned(),
        log_key: s.ledger.log_key().verifier().to_vkey(),
        operator_key: s.ledger.operator_key().to_hex(),
        witness_policy: s.witnesses.as_deref().map(WitnessPolicyInfo::of),
    })
}

pub(super) async fn fund_json(s: &AppState, id: &str) -> Result<Option<FundSummary>, Problem> {
    let store = s.ledger.store();
    let Some(f) = store.fund(id).await? else {
        return Ok(None);
    };
    if let Some(reason) = s.ledger.damage(id) {
        return Err(Problem::fund_damaged(id, &reason));
    }
    // The head served is the log's; a row that says otherwise was changed behind the
    // writer's back: the fund is quarantined from now on.
    if let Some(damage) = f.head_disagreement() {
        s.ledger.quarantine(id, &damage);
        return Err(Problem::fund_damaged(id, &damage.to_string()));
    }
    let genesis = match store.entry(id, 0).await? {
        Some(row) => Some(genesis_of(&row)?),
        None => None,
    };
    let last = match f.size {
        0 => None,
        n => store.entry(id, n - 1).await?,
    };
    Ok(Some(FundSummary::new(&f, genesis.as_ref(), last.as_ref())))
}

pub(super) async fn list_funds(State(s): State<AppState>) -> Result<Json<FundList>, Problem> {
    let mut out = Vec::new();
    for f in s.ledger.store().funds().await? {
        match fund_json(&s, &f.id).await {
            Ok(Some(v)) => out.push(v),
            Ok(None) => {}
            // Listed with its status; every other fund is listed as usual.
            Err(p) if p.code == "fund_damaged" => {
                let reason = s
                    .ledger
                    .damage(&f.id)
                    .unwrap_or_else(|| p.en.clone().into());
                out.push(FundSummary::damaged(&f.id, &reason));
            }
            Err(p) => return Err(p),
        }
    }
    Ok(Json(FundList { funds: out }))
}

pub(super) async fn get_fund(
    State(s): State<AppState>,
    ApiPath(fund): ApiPath<String>,
) -> Result<Json<FundSummary>, Problem> {
    fund_json(&s, &fund)
        .await?
        .map(Json)
        .ok_or_else(|| Problem::unknown_fund(&fund))
}

/// The API's view of a stored entry (a corrupt row is an internal error).
pub(super) fn entry_json(row: &EntryRow) -> Result<EntryView, Problem> {
    Ok(EntryView::of(row)?)
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
) -> Result<Json<EntryPage>, Problem> {
    let store = s.ledger.store();
    if store.fund(&fund).await?.is_none() {
        return Err(Problem::unknown_fund(&fund));
    }
    let limit = page_limit(p.limit.unwrap_or(PAGE_ROWS_DEFAULT))?;
    let rows = store.entries(&fund, p.from, limit).await?;
    Ok(Json(EntryPage {
        entries: rows.iter().map(entry_json).collect::<Result<_, _>>()?,
        next: rows.last().map(|r| r.seq + 1),
    }))
}

pub(super) async fn get_entry(
    State(s): State<AppState>,
    ApiPath((fund, seq)): ApiPath<(String, u64)>,
) -> Result<Json<EntryView>, Problem> {
    let row = s.ledger.store().entry(&fund, seq).await?;
    let row = row.ok_or_else(|| Problem::not_found("entry"))?;
    Ok(Json(entry_json(&row)?))
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
) -> Result<(Option<Extension<Final>>, Json<InclusionProof>), Problem> {
    // Between fixed sizes a proof is final (`crate::caching`).
    let fixed = q.size.map(|_| Extension(Final));
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
    Ok((
        fixed,
        Json(InclusionProof {
            seq: q.seq,
            tree_size: size,
            leaf_hash: leaf.hash,
            root,
            proof,
        }),
    ))
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
) -> Result<(Option<Extension<Final>>, Json<ConsistencyProof>), Problem> {
    let fixed = q.to.map(|_| Extension(Final));
    let to = match q.to {
        Some(n) => n,
        None => current_size(&s, &fund).await?,
    };
    let store = s.ledger.store();
    let proof = store.consistency_proof(&fund, q.from, to).await?;
    Ok((
        fixed,
        Json(ConsistencyProof {
            from: q.from,
            to,
            root_from: store.root_at(&fund, q.from).await?,
            root_to: store.root_at(&fund, to).await?,
            proof,
        }),
    ))
}

/// `GET /api/v1/funds/{fund}/checkpoint`: with a witness policy, the newest checkpoint
/// that meets its quorum, with the witnesses' cosignature lines (404
/// `no_witnessed_checkpoint` until one does); without one, the newest log-signed one.
pub(super) async fn checkpoint(
    State(s): State<AppState>,
    ApiPath(fund): ApiPath<String>,
) -> Result<Response, Problem> {
    match witnessed_checkpoint(s.ledger.store(), s.witnesses.as_deref(), &fund).await? {
        Some((_, note)) => Ok(note_response(note)),
        None if s.ledger.store().fund(&fund).await?.is_none() => Err(Problem::unknown_fund(&fund)),
        None => Err(Problem::new(
            axum::http::StatusCode::NOT_FOUND,
            "no_witnessed_checkpoint",
            format!(
                "no checkpoint of fund `{fund}` meets the witness quorum yet; the newest \
                 log-signed one is at /api/v1/funds/{fund}/checkpoint/latest"
            ),
            format!(
                "基金「{fund}」尚无达到见证法定人数的检查点；最新的日志签名检查点见 \
                 /api/v1/funds/{fund}/checkpoint/latest"
            ),
        )),
    }
}

/// `GET /api/v1/funds/{fund}/checkpoint/latest`: the newest log-signed checkpoint,
/// witnessed or not (with the cosignatures it has when it is the witnessed one).
pub(super) async fn latest_checkpoint(
    State(s): State<AppState>,
    ApiPath(fund): ApiPath<String>,
) -> Result<Response, Problem> {
    let (size, note) = s
        .ledger
        .store()
        .latest_checkpoint(&fund)
        .await?
        .ok_or_else(|| Problem::unknown_fund(&fund))?;
    let note = match witnessed_checkpoint(s.ledger.store(), s.witnesses.as_deref(), &fund).await? {
        Some((witnessed, cosigned)) if witnessed == size => cosigned,
        _ => note,
    };
    Ok(note_response(note))
}

fn note_response(note: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], note).into_response()
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
    // With witnesses, it is the newest witnessed checkpoint (while none is, the newest
    // log-signed one).
    let (size, note) = served_checkpoint(s.ledger.store(), s.witnesses.as_deref(), &fund)
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
                Err(e) => Some((Err(std::io::Error::other(e)), None)),
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
