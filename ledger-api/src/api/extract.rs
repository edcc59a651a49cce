//! Extractors whose rejections are problem documents (axum's own answer in plain text).

use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use super::problem::Problem;

/// Path parameters; a malformed one (say a seq that is not a number) is a 400 `bad_path`.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(t)) => Ok(ApiPath(t)),
            Err(e) => Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "bad_path",
                format!("invalid path parameter: {}", e.body_text()),
                "路径参数无效",
            )),
        }
    }
}

/// Query parameters; unknown or malformed ones are a 400 `bad_query`.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(t)) => Ok(ApiQuery(t)),
            Err(e) => Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "bad_query",
                format!("invalid query: {}", e.body_text()),
                "查询参数无效",
            )),
        }
    }
}
