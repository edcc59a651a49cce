//! Proposals and co-signing: an intent whose kind needs a quorum is proposed by one
//! trustee and co-signed by others until the quorum is met; then it is appended at once,
//! through the same path and rules as any append. The same trustee never counts twice; a
//! proposal lapses after the configured time; one that the rules refuse when its quorum is
//! met is closed as refused, with the rule's code.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use ledger_core::entry::{Intent, Sig};
use ledger_core::keys::PublicKey;
use ledger_core::rules::RuleError;
use serde::Deserialize;

use super::auth::Holder;
use super::extract::{ApiPath, ApiQuery};
use super::problem::{entry_status, Problem};
use super::reads::entry_json;
use super::statements::all_trustee_names;
use crate::app::AppState;
use crate::ledger::AppendFailure;
use crate::store::{AppendOutcome, EntryRow, ProposalRow, ProposalStatus, Rejection};
use crate::views::{ProposalAnswer, ProposalList, ProposalView};

/// Most proposals listed at once.
pub const PROPOSALS_LISTED_MAX: i64 = 200;

fn parse_sigs(text: &str) -> Result<Vec<Sig>, Problem> {
    serde_json::from_str(text)
        .map_err(|e| Problem::internal(&format!("stored proposal signatures: {e}")))
}

fn sigs_text(sigs: &[Sig]) -> Result<String, Problem> {
    serde_json::to_string(sigs).map_err(|e| Problem::internal(&e))
}

/// The proposal as shown: an open one past its time shows as `expired` (`now` is the
/// ledger's clock, RFC 3339 UTC).
fn proposal_view(
    p: &ProposalRow,
    names: &BTreeMap<PublicKey, String>,
    now: Option<&str>,
) -> Result<ProposalView, Problem> {
    let lapsed = p.status == ProposalStatus::Open && now.is_some_and(|n| n > p.expires_at.as_str());
    Ok(ProposalView::of(p, names, lapsed)?)
}

/// Trustees' names, for display (404 for an unknown fund). Read from the genesis and
/// trustee changes only, not by replaying the fund's log.
async fn trustee_names(s: &AppState, fund: &str) -> Result<BTreeMap<PublicKey, String>, Problem> {
    if s.ledger.store().fund(fund).await?.is_none() {
        return Err(Problem::unknown_fund(fund));
    }
    all_trustee_names(s, fund).await
}

/// What an attempt to append a proposal's intent came to.
enum Attempt {
    /// Appended (or it had been: a replay of the same intent).
    Appended(EntryRow),
    /// The quorum is not met yet.
    Waiting,
    /// A rule or the store refused it.
    Refused(Problem),
}

async fn attempt(s: &AppState, fund: &str, intent: &str, sigs: &[Sig]) -> Attempt {
    match s
        .ledger
        .append(fund, intent.as_bytes().to_vec(), sigs.to_vec(), None)
        .await
    {
        Ok(AppendOutcome::Appended(row)) => {
            s.metrics.appended(&row.kind);
            Attempt::Appended(row)
        }
        Ok(AppendOutcome::Replayed(row)) => Attempt::Appended(row),
        Err(AppendFailure::Rejected(Rejection::Rule(RuleError::QuorumNotMet { .. }))) => {
            Attempt::Waiting
        }
        Err(e) => Attempt::Refused(e.into()),
    }
}

fn closed(p: &ProposalRow) -> Problem {
    Problem::new(
        StatusCode::CONFLICT,
        "proposal_closed",
        format!("proposal {} is {}, not open", p.id, p.status.as_str()),
        format!("提案 {} 已不再开放（{}）", p.id, p.status.as_str()),
    )
}

fn expired(p: &ProposalRow) -> Problem {
    Problem::new(
        StatusCode::CONFLICT,
        "proposal_expired",
        format!("proposal {} lapsed at {}", p.id, p.expires_at),
        format!("提案 {} 已于 {} 过期", p.id, p.expires_at),
    )
}

/// The body of a proposal: the canonical intent and the proposer's signature(s).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProposeBody {
    intent: String,
    sigs: Vec<Sig>,
}

/// `POST /api/v1/funds/{fund}/proposals` (trustee of the fund).
pub(super) async fn propose(
    State(s): State<AppState>,
    ApiPath(fund): ApiPath<String>,
    Holder(cred): Holder,
    body: Result<Json<ProposeBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, Problem> {
    let Json(b) = body.map_err(|e| {
        Problem::bad_request(
            "malformed_request",
            format!("request body is not a valid proposal: {}", e.body_text()),
            "请求体不是有效的提案",
        )
    })?;
    let intent = Intent::from_canonical_bytes(b.intent.as_bytes())
        .map_err(|e| Problem::coded(entry_status(&e), &e))?;
    if b.sigs.is_empty() {
        return Err(Problem::bad_request(
            "no_signature",
            "a proposal carries its proposer's signature",
            "提案必须附有提案人的签名",
        ));
    }
    ledger_core::entry::check_signature_list(&b.sigs)
        .and_then(|()| ledger_core::strict::check_for_write(&intent, &b.sigs, b.intent.as_bytes()))
        .map_err(|e| Problem::coded(entry_status(&e), &e))?;
    if intent.fund.as_str() != fund {
        let e = RuleError::FundMismatch {
            expected: fund.clone(),
            found: intent.fund.to_string(),
        };
        return Err(Problem::coded(StatusCode::UNPROCESSABLE_ENTITY, &e));
    }
    let names = trustee_names(&s, &fund).await?;
    let now = s.ledger.now();
    let expires = now
        .checked_add_seconds(s.limits.proposal_ttl.as_secs() as i64)
        .unwrap_or(now);
    let mut row = ProposalRow {
        id: crate::credentials::random_hex(8),
        fund: fund.clone(),
        kind: intent.kind().as_str().to_owned(),
        idem_key: intent.key.as_str().to_owned(),
        intent: b.intent.clone(),
        sigs: sigs_text(&b.sigs)?,
        proposed_by: cred.id.clone(),
        created_at: now.to_string(),
        expires_at: expires.to_string(),
        status: ProposalStatus::Open,
        seq: None,
        refusal: None,
    };
    match attempt(&s, &fund, &b.intent, &b.sigs).await {
        Attempt::Refused(p) => Err(p),
        Attempt::Waiting => {
            s.ledger.store().insert_proposal(&row).await?;
            let mut view = [proposal_view(&row, &names, None)?];
            annotate(&s, &fund, &mut view).await?;
            let [proposal] = view;
            let answer = ProposalAnswer {
                proposal,
                entry: None,
            };
            Ok((StatusCode::ACCEPTED, Json(answer)).into_response())
        }
        Attempt::Appended(entry) => {
            row.status = ProposalStatus::Appended;
            row.seq = Some(entry.seq);
            s.ledger.store().insert_proposal(&row).await?;
            let answer = ProposalAnswer {
                proposal: proposal_view(&row, &names, None)?,
                entry: Some(entry_json(&entry)?),
            };
            Ok((StatusCode::CREATED, Json(answer)).into_response())
        }
    }
}

/// The body of a co-signature.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SignBody {
    sig: Sig,
}

/// `POST /api/v1/funds/{fund}/proposals/{id}/signatures` (trustee of the fund).
pub(super) async fn sign(
    State(s): State<AppState>,
    ApiPath((fund, id)): ApiPath<(String, String)>,
    body: Result<Json<SignBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, Problem> {
    let Json(b) = body.map_err(|e| {
        Problem::bad_request(
            "malformed_request",
            format!("request body is not a valid signature: {}", e.body_text()),
            "请求体不是有效的签名",
        )
    })?;
    // One co-signature at a time in this process; across processes the update below is
    // a compare-and-set.
    let _guard = s.proposal_lock.lock().await;
    let store = s.ledger.store();
    let mut row = store
        .proposal(&fund, &id)
        .await?
        .ok_or_else(|| Problem::not_found("proposal"))?;
    if row.status != ProposalStatus::Open {
        return Err(closed(&row));
    }
    let now = s.ledger.now().to_string();
    if now > row.expires_at {
        let mut lapsed = row.clone();
        lapsed.status = ProposalStatus::Expired;
        store.update_proposal(&lapsed, &row.sigs).await?;
        return Err(expired(&row));
    }
    let mut sigs = parse_sigs(&row.sigs)?;
    if sigs.iter().any(|x| x.key == b.sig.key) {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "already_signed",
            "this key has already signed the proposal; one trustee counts once",
            "该密钥已签署此提案；同一受托人只计一次",
        ));
    }
    ledger_core::strict::check_signatures_for_write(
        std::slice::from_ref(&b.sig),
        row.intent.as_bytes(),
    )
    .map_err(|e| Problem::coded(entry_status(&e), &e))?;
    sigs.push(b.sig);
    sigs.sort_by_key(|x| x.key);
    let expected = row.sigs.clone();
    row.sigs = sigs_text(&sigs)?;
    let names = trustee_names(&s, &fund).await?;
    let (status, extra, refusal) = match attempt(&s, &fund, &row.intent, &sigs).await {
        Attempt::Waiting => (StatusCode::OK, None, None),
        Attempt::Appended(entry) => {
            row.status = ProposalStatus::Appended;
            row.seq = Some(entry.seq);
            (StatusCode::CREATED, Some(entry), None)
        }
        Attempt::Refused(p) if p.code == "unknown_signer" => return Err(p),
        Attempt::Refused(p) => {
            row.status = ProposalStatus::Refused;
            row.refusal = Some(p.code.to_owned());
            (p.status, None, Some(p))
        }
    };
    if !store.update_proposal(&row, &expected).await? && row.status == ProposalStatus::Open {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "proposal_changed",
            "the proposal changed meanwhile; fetch it and sign again",
            "提案已被他人更新；请重新获取后再签署",
        ));
    }
    if let Some(p) = refusal {
        return Err(p);
    }
    let mut view = [proposal_view(&row, &names, None)?];
    if row.status == ProposalStatus::Open {
        // What is still missing (an appended one misses nothing).
        annotate(&s, &fund, &mut view).await?;
    }
    let [proposal] = view;
    let answer = ProposalAnswer {
        proposal,
        entry: extra.as_ref().map(entry_json).transpose()?,
    };
    Ok((status, Json(answer)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProposalQuery {
    #[serde(default)]
    status: Option<String>,
    /// A trustee's public key (hex): only open proposals it may sign and has not.
    #[serde(default)]
    signer: Option<String>,
}

/// Fills in what a listing shows beyond the stored proposal: the proposer's credential
/// label, and the signatures each kind needs under the fund's policy now and how many are
/// missing. Returns the fund's current trustees.
async fn annotate(
    s: &AppState,
    fund: &str,
    views: &mut [ProposalView],
) -> Result<std::collections::BTreeSet<PublicKey>, Problem> {
    let bodies: Vec<_> = views.iter().map(|v| v.body.clone()).collect();
    let (needed, trustees) = s
        .ledger
        .read_state(fund, move |st| {
            let needed: Vec<u32> = bodies.iter().map(|b| st.required_signatures(b)).collect();
            (needed, st.trustees().keys().copied().collect())
        })
        .await
        .map_err(|e| match e {
            crate::ledger::DraftFailure::UnknownFund => Problem::unknown_fund(fund),
            crate::ledger::DraftFailure::FundDamaged { fund, reason } => {
                Problem::fund_damaged(&fund, &reason)
            }
            crate::ledger::DraftFailure::Rebuilding { fund } => Problem::fund_rebuilding(&fund),
            e => Problem::internal(&e),
        })?;
    let labels: BTreeMap<String, String> = s
        .ledger
        .store()
        .credentials()
        .await?
        .into_iter()
        .map(|c| (c.id, c.label))
        .collect();
    for (v, n) in views.iter_mut().zip(needed) {
        let signers: std::collections::BTreeSet<&PublicKey> =
            v.sigs.iter().map(|x| &x.key).collect();
        v.signatures_needed = Some(n);
        v.missing = Some(n.saturating_sub(signers.len() as u32));
        v.proposer = labels.get(&v.proposed_by).cloned();
    }
    Ok(trustees)
}

/// `GET /api/v1/funds/{fund}/proposals` (trustee of the fund, auditor); `?status=open`;
/// `?signer=<key>`: the inbox of that key — the open proposals it may sign (it is a
/// trustee now) and has not signed. Newest first, each with its plain summary, proposer
/// and what is missing for the quorum.
pub(super) async fn list(
    State(s): State<AppState>,
    ApiPath(fund): ApiPath<String>,
    ApiQuery(q): ApiQuery<ProposalQuery>,
) -> Result<Json<ProposalList>, Problem> {
    if let Some(x) = q.status.as_deref() {
        if ProposalStatus::parse(x).is_none() {
            return Err(Problem::bad_request(
                "bad_query",
                "status must be open, appended, refused or expired",
                "status 必须为 open、appended、refused 或 expired",
            ));
        }
    }
    let signer = q
        .signer
        .as_deref()
        .map(|k| {
            PublicKey::from_hex(k).map_err(|e| {
                Problem::bad_request(
                    "bad_query",
                    format!("signer must be a trustee's public key in hex: {e}"),
                    "signer 必须为管理人公钥（十六进制）",
                )
            })
        })
        .transpose()?;
    let names = trustee_names(&s, &fund).await?;
    let now = s.ledger.now().to_string();
    // Lapsed proposals may still be stored as open: filter on the status shown.
    let want = if signer.is_some() {
        Some("open")
    } else {
        q.status.as_deref()
    };
    let rows = s
        .ledger
        .store()
        .proposals(&fund, None, PROPOSALS_LISTED_MAX)
        .await?;
    let mut proposals = Vec::with_capacity(rows.len());
    for r in &rows {
        let v = proposal_view(r, &names, Some(&now))?;
        let unsigned = signer.is_none_or(|k| v.sigs.iter().all(|x| x.key != k));
        if want.is_none_or(|w| v.status == w) && unsigned {
            proposals.push(v);
        }
    }
    let trustees = annotate(&s, &fund, &mut proposals).await?;
    if let Some(k) = signer {
        if !trustees.contains(&k) {
            proposals.clear();
        }
    }
    Ok(Json(ProposalList { proposals }))
}

/// `GET /api/v1/funds/{fund}/proposals/{id}` (trustee of the fund, auditor).
pub(super) async fn get(
    State(s): State<AppState>,
    ApiPath((fund, id)): ApiPath<(String, String)>,
) -> Result<Json<ProposalView>, Problem> {
    let row = s
        .ledger
        .store()
        .proposal(&fund, &id)
        .await?
        .ok_or_else(|| Problem::not_found("proposal"))?;
    let names = trustee_names(&s, &fund).await?;
    let now = s.ledger.now().to_string();
    let mut view = [proposal_view(&row, &names, Some(&now))?];
    annotate(&s, &fund, &mut view).await?;
    let [view] = view;
    Ok(Json(view))
}
