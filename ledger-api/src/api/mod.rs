//! The HTTP API under `/api/v1` (axum). Handlers parse the edge's JSON into core types,
//! call the ledger or the store, and answer JSON or `application/problem+json`.

mod problem;
mod routes;

pub use problem::{Problem, PROBLEM_JSON};
pub use routes::{router, AppState, BODY_BYTES_MAX};
