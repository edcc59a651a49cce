//! The witness's HTTP API (axum): `POST /add-checkpoint` (tlog-witness v1.0.0),
//! `GET /evidence` (the split-view evidence, JSON), `GET /checkpoints` (the newest
//! cosigned checkpoint per origin, JSON). Bodies over [`request::BODY_MAX`] get 413.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use super::{add, request, Witness};

/// The router of `witness`.
pub fn router(witness: Witness) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .route("/evidence", get(evidence))
        .route("/checkpoints", get(checkpoints))
        .layer(DefaultBodyLimit::max(request::BODY_MAX))
        .with_state(witness)
}

async fn add_checkpoint(State(witness): State<Witness>, body: Bytes) -> Response {
    let reply = add::add_checkpoint(&witness, &body).await;
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, reply.content_type)],
        reply.body,
    )
        .into_response()
}

async fn evidence(State(witness): State<Witness>) -> Response {
    match witness.evidence().await {
        Ok(list) => Json(list).into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")).into_response(),
    }
}

async fn checkpoints(State(witness): State<Witness>) -> Response {
    match witness.cosigned().await {
        Ok(list) => Json(list).into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")).into_response(),
    }
}
