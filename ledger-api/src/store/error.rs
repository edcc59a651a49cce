//! Why the store failed: [`StoreError`], and [`Corruption`], what in the stored data does
//! not hold. Typed to the edge: the API logs the cause and answers `500 internal`.

use ledger_core::body::Kind;
use ledger_core::checkpoint::CheckpointError;
use ledger_core::entry::EntryError;
use ledger_core::ids::IdError;
use ledger_core::keys::KeyError;
use ledger_core::merkle::MerkleError;
use ledger_core::replay::Refusal;
use ledger_core::time::{Date, TimeError};

use crate::credentials::UnknownRole;

/// Why the store failed: always an internal fault, never the client's.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database said no.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Stored data does not hold: the store was tampered with or is corrupt.
    #[error("stored data is inconsistent: {0}")]
    Corrupt(#[from] Corruption),
    /// A period whose bounds are beyond the calendar's range.
    #[error("the period is beyond the calendar's range")]
    PeriodOutOfRange,
    /// The donor vault could not be read or written (no key, another key, a record that
    /// does not open).
    #[error("donor vault: {0}")]
    Vault(#[from] super::VaultError),
    /// Opened to be read as it is ([`super::Store::open_current`]), the database lacks
    /// migrations this binary has: it belongs to an older version.
    #[error(
        "the database's schema is older than this binary's ({pending} migration(s) not \
         applied): use the binary of the server that serves it, or start this version's \
         server on it first (it migrates)"
    )]
    SchemaNotCurrent {
        /// How many of this binary's migrations the database has not applied.
        pending: usize,
    },
}

impl StoreError {
    /// True when the database could not be reached (connection lost or refused, pool
    /// closed or exhausted): a passing fault in which nothing was written, unlike a
    /// refusal or an inconsistency.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Db(e) => match e {
                sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed => true,
                // PostgreSQL's connection exceptions (class 08) and shutdowns (57P01-03).
                sqlx::Error::Database(d) => d.code().is_some_and(|c| {
                    c.starts_with("08") || matches!(&*c, "57P01" | "57P02" | "57P03")
                }),
                _ => false,
            },
            _ => false,
        }
    }
}

/// What in the stored data does not hold.
#[derive(Debug, thiserror::Error)]
pub enum Corruption {
    /// A stored entry does not parse, chain or keep the fund's rules.
    #[error("stored entry {} does not hold: {refusal}", seq.map_or_else(|| "?".to_owned(), |s| s.to_string()))]
    Entry {
        /// Its seq, when its bytes say it.
        seq: Option<u64>,
        /// Why.
        refusal: Box<Refusal>,
    },
    /// An entry's hash column is not the hash of its bytes.
    #[error("entry {seq}: the hash column does not match its bytes")]
    HashColumn {
        /// The entry's seq.
        seq: u64,
    },
    /// A fixed-width column holds another width.
    #[error("a stored {column} is not {bytes} bytes")]
    Width {
        /// Which column.
        column: &'static str,
        /// Its width.
        bytes: usize,
    },
    /// A fund row's id does not parse.
    #[error("fund id {id:?}: {source}")]
    FundId {
        /// The stored id.
        id: String,
        /// Why.
        source: IdError,
    },
    /// A fund row's operator key does not parse.
    #[error("fund {fund}: operator key: {source}")]
    OperatorKey {
        /// The fund.
        fund: String,
        /// Why.
        source: KeyError,
    },
    /// A credential row's role is not a role.
    #[error("credential: {0}")]
    Role(#[from] UnknownRole),
    /// A proposal row's status is not a status.
    #[error("proposal status {0:?}")]
    ProposalStatus(String),
    /// An entry the batch found by its idempotency key is not there.
    #[error("entry {seq} of fund {fund} vanished")]
    EntryVanished {
        /// The fund.
        fund: String,
        /// The seq.
        seq: u64,
    },
    /// A fund appended to has no row (and the request is not its genesis).
    #[error("fund {0} is not registered")]
    FundNotRegistered(String),
    /// The new checkpoint could not be signed.
    #[error("checkpoint signing: {0}")]
    Checkpoint(#[from] CheckpointError),
    /// The stored Merkle nodes do not give a proof or root.
    #[error("proof: {0}")]
    Proof(#[from] MerkleError),
    /// A stored entry's bytes do not parse.
    #[error("entry {seq}: {error}")]
    EntryBytes {
        /// The entry's seq (its row's).
        seq: u64,
        /// Why.
        error: EntryError,
    },
    /// A stored entry is not of the kind its place requires (seq 0 a genesis; a
    /// statement row a statement).
    #[error("entry {seq} is a {found} entry, not a {expected}")]
    KindMismatch {
        /// The entry's seq.
        seq: u64,
        /// The kind required.
        expected: Kind,
        /// The kind found.
        found: Kind,
    },
    /// A stored `recorded_at` does not parse.
    #[error("a stored time: {0}")]
    Time(#[from] TimeError),
    /// No entry before the end of a month that follows the fund's first entry.
    #[error("no entry before the end of {0}")]
    MonthEndMissing(Date),
    /// A fund's per-month index (`month_figures`) does not sum to its log, even after it
    /// was rebuilt from the log.
    #[error("fund {0}: its per-month figures do not sum to its log")]
    MonthIndexDisagrees(String),
    /// A fund's statutory index (`month_lines`, `disclosure_events`) disagrees with its
    /// per-month index or its state, even after it was rebuilt from the log.
    #[error("fund {0}: its statutory index does not agree with its log")]
    StatutoryIndexDisagrees(String),
    /// A fund's row (`funds`: head seq and hash) says another head than its log (the
    /// entries it serves, replayed): the row was told something the log does not hold.
    #[error("fund {fund}: its row says head {row_seq} ({row_hash}), its log's last entry is {log_seq} ({log_hash})")]
    HeadDisagrees {
        /// The fund.
        fund: String,
        /// The head seq the row says (-1: no entry).
        row_seq: i64,
        /// The head hash the row says.
        row_hash: ledger_core::hash::Hash,
        /// The seq of the log's last entry (-1: no entry).
        log_seq: i64,
        /// Its hash (zeros when there is none).
        log_hash: ledger_core::hash::Hash,
    },
    /// Inside an append: the fund row's head seq is not the log's last entry.
    #[error("fund {fund}: its row says head {row_seq}, its log's last entry is {log_seq}")]
    HeadSeqDisagrees {
        /// The fund.
        fund: String,
        /// The head seq the row says.
        row_seq: i64,
        /// The seq of the log's last entry.
        log_seq: i64,
    },
    /// A fund row's operator key is not the key that signed the fund's genesis entry (the
    /// genesis is the authority).
    #[error("fund {fund}: its row's operator key {row} is not the genesis signer {genesis}")]
    OperatorKeyDisagrees {
        /// The fund.
        fund: String,
        /// The row's key (hex).
        row: String,
        /// The genesis signer's key (hex).
        genesis: String,
    },
    /// The stored Merkle nodes or the latest checkpoint do not give the root of the
    /// replayed log.
    #[error(
        "fund {fund}: the stored {what} at tree size {tree_size} does not match the log's root"
    )]
    RootDisagrees {
        /// The fund.
        fund: String,
        /// `tree nodes` or `checkpoint`.
        what: &'static str,
        /// The tree size checked.
        tree_size: u64,
    },
    /// The fund's stored state snapshot is not one of its log (see
    /// [`super::Store::resume_state`]): the state is rebuilt from the log instead.
    #[error("fund {fund}: its stored state does not hold: {reason}")]
    StateSnapshot {
        /// The fund.
        fund: String,
        /// What does not hold.
        reason: String,
    },
    /// A stored proposal's intent or signatures do not parse.
    #[error("proposal {id}: {what}")]
    Proposal {
        /// The proposal.
        id: String,
        /// What does not parse, and why.
        what: ProposalFault,
    },
}

/// What of a stored proposal does not parse.
#[derive(Debug, thiserror::Error)]
pub enum ProposalFault {
    /// Its signature list.
    #[error("signatures: {0}")]
    Signatures(serde_json::Error),
    /// Its intent.
    #[error("intent: {0}")]
    Intent(EntryError),
}

impl From<CheckpointError> for StoreError {
    fn from(e: CheckpointError) -> Self {
        StoreError::Corrupt(Corruption::Checkpoint(e))
    }
}
