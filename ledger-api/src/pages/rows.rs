//! Small reads and formats shared by the residents' pages (`pages::view`) and the
//! oversight section (`pages::oversight`): a leaf module, so neither imports the other.

use ledger_core::body::Kind;
use ledger_core::time::{Instant, UtcOffset};

use crate::store::{EntryRow, Store, StoreError};

/// A stored `recorded_at` as the fund's local date.
pub(super) fn local_date(recorded_at: &str, off: UtcOffset) -> String {
    Instant::parse(recorded_at)
        .map(|i| i.local_date(off).to_string())
        .unwrap_or_else(|_| recorded_at.get(..10).unwrap_or(recorded_at).to_owned())
}

/// Every row of one kind (all pages).
pub(super) async fn all_of_kind(
    store: &Store,
    fund: &str,
    kind: Kind,
) -> Result<Vec<EntryRow>, StoreError> {
    store.all_entries_of_kind(fund, kind.as_str()).await
}
