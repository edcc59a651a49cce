//! Receipts: for any entry, everything needed to check it without the server — the
//! entry, its inclusion proof, the signed checkpoint, the log's key and the keys that
//! signed — and, for the donor's copy (asked for by a trustee of the fund or an auditor),
//! the commitment's salt and identity.

use axum::extract::State;
use axum::Json;
use ledger_core::entry::Entry;
use ledger_core::receipt::{Receipt, ReceiptDonor, ReceiptSigner, RECEIPT_VERSION};
use serde::Deserialize;

use super::auth::Caller;
use super::extract::{ApiPath, ApiQuery};
use super::problem::Problem;
use super::statements::all_trustee_names;
use crate::app::AppState;
use crate::credentials::Role;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReceiptQuery {
    /// Include the donor's salt and identity (the donor's own copy).
    #[serde(default)]
    donor: bool,
}

/// `GET /api/v1/funds/{fund}/entries/{seq}/receipt[?donor=true]`.
pub(super) async fn receipt(
    State(s): State<AppState>,
    ApiPath((fund, seq)): ApiPath<(String, u64)>,
    ApiQuery(q): ApiQuery<ReceiptQuery>,
    caller: Caller,
) -> Result<Json<Receipt>, Problem> {
    if q.donor {
        let cred = caller.require(
            &[Role::Trustee, Role::Auditor],
            "a receipt with the donor's identity",
        )?;
        if cred.role == Role::Trustee && cred.fund.as_deref() != Some(fund.as_str()) {
            return Err(Problem::forbidden_fund(
                cred.fund.as_deref().unwrap_or("-"),
                &fund,
            ));
        }
    }
    let store = s.ledger.store();
    let row = store
        .entry(&fund, seq)
        .await?
        .ok_or_else(|| Problem::not_found("entry"))?;
    // The newest witnessed checkpoint when it includes the entry, else the newest
    // log-signed one.
    let (tree_size, checkpoint) = match crate::witnesses::witnessed_checkpoint(
        s.ledger.store(),
        s.witnesses.as_deref(),
        &fund,
    )
    .await?
    {
        Some((size, note)) if seq < size => (size, note),
        _ => store
            .latest_checkpoint(&fund)
            .await?
            .ok_or_else(|| Problem::unknown_fund(&fund))?,
    };
    let inclusion = store.inclusion_proof(&fund, seq, tree_size).await?;
    let entry = Entry::parse(&row.bytes)
        .map_err(|e| Problem::internal(&e))?
        .entry;
    let names = all_trustee_names(&s, &fund).await?;
    let signers = entry
        .sigs
        .iter()
        .map(|sig| ReceiptSigner {
            key: sig.key,
            name: names.get(&sig.key).cloned(),
        })
        .collect();
    let donor = if q.donor {
        let v = store
            .vault_row(&fund, seq)
            .await?
            .ok_or_else(|| Problem::not_found("donor identity"))?;
        let (name, phone) = v.identity.split_once('\n').unwrap_or((&v.identity, ""));
        Some(ReceiptDonor {
            salt: hex::encode(v.salt),
            name: name.to_owned(),
            phone: phone.to_owned(),
        })
    } else {
        None
    };
    Ok(Json(Receipt {
        version: RECEIPT_VERSION.to_owned(),
        origin: s.ledger.fund_origin(&fund),
        log_key: s.ledger.log_key().verifier().to_vkey(),
        entry: String::from_utf8(row.bytes).map_err(|e| Problem::internal(&e))?,
        seq,
        tree_size,
        inclusion,
        checkpoint,
        signers,
        donor,
    }))
}
