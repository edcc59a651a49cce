//! A verification's finding: one thing wrong with the log, located. A leaf module, so
//! that `verify` and the checks it calls (`since`) share the type without importing each
//! other.

/// One thing wrong with the log, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// 1-based line of the export.
    pub line: u64,
    /// Seq of the entry concerned, when known.
    pub seq: Option<u64>,
    /// Stable code, e.g. `prev_mismatch`.
    pub code: &'static str,
    /// English explanation.
    pub en: String,
    /// Chinese explanation.
    pub zh: String,
}
