//! `GET /api/v1/funds/{fund}/trustees`: the fund's current trustees and policy, from its
//! log (the genesis, then every `trustees` entry in order, applied as the fund state
//! applies them). Public: every trustee key and name is in the public log already. The
//! workspace uses it to say whether the browser's key is (yet) a trustee of the fund.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Json;
use ledger_core::body::{Body, Kind, Policy};
use serde_json::{json, Value};

use super::extract::ApiPath;
use super::problem::Problem;
use crate::app::AppState;
use crate::views::{genesis_of, parse_row};

/// The current trustees (`[{key, name}]`, by key) and policy of a fund.
pub(super) async fn trustees(
    State(s): State<AppState>,
    ApiPath(fund): ApiPath<String>,
) -> Result<Json<Value>, Problem> {
    let store = s.ledger.store();
    let Some(genesis) = store.entry(&fund, 0).await? else {
        return Err(Problem::unknown_fund(&fund));
    };
    let g = genesis_of(&genesis)?;
    let mut trustees: BTreeMap<_, _> = g.trustees.into_iter().map(|t| (t.key, t.name)).collect();
    let mut policy: Option<Policy> = Some(g.policy);
    for row in store
        .all_entries_of_kind(&fund, Kind::Trustees.as_str())
        .await?
    {
        if let Body::Trustees(c) = parse_row(&row)?.intent.body {
            c.apply_to(&mut trustees, &mut policy);
        }
    }
    let list: Vec<Value> = trustees
        .iter()
        .map(|(k, n)| json!({"key": k, "name": n}))
        .collect();
    Ok(Json(
        json!({"fund": fund, "trustees": list, "policy": policy}),
    ))
}
