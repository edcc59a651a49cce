//! The statutory reports and the disclosure calendar of one fund, for the API
//! (`crate::api::reports`) and the pages: [`Books`] and a [`Calendar`] made by ledger-core
//! from the fund's statutory index (`crate::store::Store::statutory_books`, kept with the
//! log in its append transaction), never a replay of the log per request (the figures and
//! duties are the core's; this module only reads the store).

use ledger_core::body::Body;
use ledger_core::calendar::Calendar;
use ledger_core::entry::Entry;
use ledger_core::statutory::Books;
use ledger_core::time::{Date, Instant, UtcOffset};

use crate::store::Store;

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

/// `fund`'s books from its statutory index (`crate::store` `month_lines` and
/// `disclosure_events`: one row per month and a few per statement, never the log) and its
/// genesis; `None` when there is no such fund (or it has no genesis).
pub async fn read(store: &Store, fund: &str) -> Result<Option<FundBooks>, BooksError> {
    if store.fund(fund).await?.is_none() {
        return Ok(None);
    }
    let Some(genesis) = store.entry(fund, 0).await? else {
        return Ok(None);
    };
    let entry = Entry::parse(&genesis.bytes)
        .map_err(|e| BooksError::Log {
            seq: Some(0),
            why: e.to_string(),
        })?
        .entry;
    let Body::Genesis(g) = &entry.intent.body else {
        return Err(BooksError::Log {
            seq: Some(0),
            why: "entry 0 is not a genesis".to_owned(),
        });
    };
    Ok(Some(FundBooks {
        books: store.statutory_books(fund).await?,
        calendar: store.disclosure_calendar(fund).await?,
        offset: g.utc_offset,
        name: (g.name.to_string(), g.name_en.to_string()),
    }))
}
