//! Proposals in the store: intents waiting for co-signatures. Mutable workflow state, kept
//! apart from the append-only log; an update is a compare-and-set on the signatures, so
//! two servers sharing a database cannot lose each other's co-signatures.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{Corruption, Store, StoreError};

/// Where a proposal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposalStatus {
    /// Waiting for co-signatures.
    Open,
    /// Its quorum was met and its entry appended.
    Appended,
    /// A rule refused it when its quorum was met.
    Refused,
    /// It was not completed in time.
    Expired,
}

impl ProposalStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProposalStatus::Open => "open",
            ProposalStatus::Appended => "appended",
            ProposalStatus::Refused => "refused",
            ProposalStatus::Expired => "expired",
        }
    }

    /// Parses a stored or requested name.
    pub fn parse(s: &str) -> Option<ProposalStatus> {
        match s {
            "open" => Some(ProposalStatus::Open),
            "appended" => Some(ProposalStatus::Appended),
            "refused" => Some(ProposalStatus::Refused),
            "expired" => Some(ProposalStatus::Expired),
            _ => None,
        }
    }
}

/// A stored proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalRow {
    /// 16 random hex digits.
    pub id: String,
    /// The fund.
    pub fund: String,
    /// The intent's kind.
    pub kind: String,
    /// The intent's idempotency key.
    pub idem_key: String,
    /// The canonical intent.
    pub intent: String,
    /// The signatures so far, as a JSON array.
    pub sigs: String,
    /// Credential id of the proposer.
    pub proposed_by: String,
    /// When proposed.
    pub created_at: String,
    /// When it lapses.
    pub expires_at: String,
    /// Status.
    pub status: ProposalStatus,
    /// The entry, once appended.
    pub seq: Option<u64>,
    /// The refusing rule's code.
    pub refusal: Option<String>,
}

const COLUMNS: &str =
    "id, fund, kind, idem_key, intent, sigs, proposed_by, created_at, expires_at, status, seq, refusal";

fn proposal_row(r: &AnyRow) -> Result<ProposalRow, StoreError> {
    let status: String = r.try_get(9)?;
    Ok(ProposalRow {
        id: r.try_get(0)?,
        fund: r.try_get(1)?,
        kind: r.try_get(2)?,
        idem_key: r.try_get(3)?,
        intent: r.try_get(4)?,
        sigs: r.try_get(5)?,
        proposed_by: r.try_get(6)?,
        created_at: r.try_get(7)?,
        expires_at: r.try_get(8)?,
        status: ProposalStatus::parse(&status)
            .ok_or_else(|| Corruption::ProposalStatus(status.clone()))?,
        seq: r.try_get::<Option<i64>, _>(10)?.map(|s| s as u64),
        refusal: r.try_get(11)?,
    })
}

impl Store {
    /// Stores a new proposal.
    pub async fn insert_proposal(&self, p: &ProposalRow) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO proposals ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        ))
        .bind(&p.id)
        .bind(&p.fund)
        .bind(&p.kind)
        .bind(&p.idem_key)
        .bind(&p.intent)
        .bind(&p.sigs)
        .bind(&p.proposed_by)
        .bind(&p.created_at)
        .bind(&p.expires_at)
        .bind(p.status.as_str())
        .bind(p.seq.map(|s| s as i64))
        .bind(p.refusal.clone())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// One proposal of `fund`.
    pub async fn proposal(&self, fund: &str, id: &str) -> Result<Option<ProposalRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM proposals WHERE fund = $1 AND id = $2"
        ))
        .bind(fund)
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(proposal_row).transpose()
    }

    /// Proposals of `fund`, newest first, optionally only those with `status`.
    pub async fn proposals(
        &self,
        fund: &str,
        status: Option<ProposalStatus>,
        limit: i64,
    ) -> Result<Vec<ProposalRow>, StoreError> {
        let rows = match status {
            Some(s) => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM proposals WHERE fund = $1 AND status = $2 \
                     ORDER BY created_at DESC, id LIMIT $3"
                ))
                .bind(fund)
                .bind(s.as_str())
                .bind(limit)
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM proposals WHERE fund = $1 \
                     ORDER BY created_at DESC, id LIMIT $2"
                ))
                .bind(fund)
                .bind(limit)
                .fetch_all(self.pool())
                .await?
            }
        };
        rows.iter().map(proposal_row).collect()
    }

    /// Sets a proposal's signatures, status, seq and refusal, if its signatures are still
    /// `expected_sigs` and it is still open. False when someone else changed it first.
    pub async fn update_proposal(
        &self,
        p: &ProposalRow,
        expected_sigs: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE proposals SET sigs = $1, status = $2, seq = $3, refusal = $4 \
             WHERE id = $5 AND sigs = $6 AND status = 'open'",
        )
        .bind(&p.sigs)
        .bind(p.status.as_str())
        .bind(p.seq.map(|s| s as i64))
        .bind(p.refusal.clone())
        .bind(&p.id)
        .bind(expected_sigs)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
