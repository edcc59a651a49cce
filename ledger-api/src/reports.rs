//! The statutory reports and the disclosure calendar of one fund, for the API
//! (`crate::api::reports`) and the pages: the fund's stored log replayed through
//! ledger-core's rules into [`Books`] and a [`Calendar`] (the figures and duties are the
//! core's; this module only reads the store).

use ledger_core::body::Body;
use ledger_core::calendar::Calendar;
use ledger_core::ids::FundId;
use ledger_core::keys::PublicKey;
use ledger_core::replay::{prepare_stored, replay, OnRefusal};
use ledger_core::state::FundState;
use ledger_core::statutory::Books;
use ledger_core::time::{Date, Instant, UtcOffset};

use crate::store::{Store, PAGE_ROWS_MAX};

/// Why a fund's books could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BooksError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The stored log does not hold (the fund is damaged; the writer quarantines it).
    #[error("the stored log does not hold at seq {seq:?}: {why}")]
    Log {
        /// Where.
        seq: Option<u64>,
        /// What.
        why: String,
    },
}

/// A fund's log as the reports see it.
pub struct FundBooks {
    /// Sums by month, for the statutory reports.
    pub books: Books,
    /// Statements and projects, for the disclosure calendar.
    pub calendar: Calendar,
    /// The fund's local time zone.
    pub offset: UtcOffset,
    /// The fund's name (Chinese, English).
    pub name: (String, String),
}

impl FundBooks {
    /// The fund's local date at `now`.
    pub fn today(&self, now: Instant) -> Date {
        now.local_date(self.offset)
    }
}

/// Replays `fund`'s stored log; `None` when there is no such fund (or it has no genesis).
pub async fn read(store: &Store, fund: &str) -> Result<Option<FundBooks>, BooksError> {
    let Some(row) = store.fund(fund).await? else {
        return Ok(None);
    };
    let bad = |seq: Option<u64>, why: String| BooksError::Log { seq, why };
    let id = FundId::parse(&row.id).map_err(|e| bad(None, e.to_string()))?;
    let operator = PublicKey::from_hex(&row.operator_key).map_err(|e| bad(None, e.to_string()))?;
    let mut state = FundState::new(id, operator);
    let mut books = Books::default();
    let mut calendar = Calendar::default();
    let mut offset = None;
    let mut name = (String::new(), String::new());
    let mut from = 0;
    loop {
        let rows = store.entries(fund, from, PAGE_ROWS_MAX).await?;
        let Some(last) = rows.last() else { break };
        from = last.seq + 1;
        let full = rows.len() as i64 == PAGE_ROWS_MAX;
        for r in rows {
            let done = replay(&mut state, prepare_stored(&r.bytes), OnRefusal::Stop)
                .map_err(|e| bad(e.seq, e.refusal.to_string()))?;
            if let Body::Genesis(g) = &done.entry.intent.body {
                offset = Some(g.utc_offset);
                name = (g.name.to_string(), g.name_en.to_string());
            }
            books
                .record(&done.entry, &done.applied)
                .map_err(|e| bad(Some(done.entry.seq), e.to_string()))?;
            calendar.record(&done.entry);
        }
        if !full {
            break;
        }
    }
    Ok(offset.map(|offset| FundBooks {
        books,
        calendar,
        offset,
        name,
    }))
}
