//! The logs a witness cosigns for: each is an origin, or an origin prefix, with the
//! signed-note Ed25519 (type 0x01) verifier keys it trusts for it.
//!
//! An exact origin (`add-log --origin`) matches that origin only. A prefix
//! (`add-log --origin-prefix P`) matches every origin `P/<fund id>` (a fund id as
//! ledger-core parses it), so a deployment's funds created later are known without
//! reconfiguring the witness: one deployment signs every fund's checkpoints with one log
//! key named after its origin (FORMAT.md §13).

use ledger_core::ids::FundId;
use ledger_core::note::NoteVerifier;
use serde::Serialize;

/// What origins a configured log covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum OriginPattern {
    /// Exactly this origin.
    Origin(String),
    /// Every origin `<prefix>/<fund id>`.
    Prefix(String),
}

impl OriginPattern {
    /// Whether `origin` is covered.
    pub fn matches(&self, origin: &str) -> bool {
        match self {
            OriginPattern::Origin(o) => o == origin,
            OriginPattern::Prefix(p) => origin
                .strip_prefix(p.as_str())
                .and_then(|rest| rest.strip_prefix('/'))
                .is_some_and(|fund| FundId::parse(fund).is_ok()),
        }
    }

    /// The stored form: `origin <o>` or `prefix <p>`.
    pub fn to_stored(&self) -> (&'static str, &str) {
        match self {
            OriginPattern::Origin(o) => ("origin", o),
            OriginPattern::Prefix(p) => ("prefix", p),
        }
    }

    /// Reads the stored form back.
    pub fn from_stored(kind: &str, value: &str) -> Option<OriginPattern> {
        match kind {
            "origin" => Some(OriginPattern::Origin(value.to_string())),
            "prefix" => Some(OriginPattern::Prefix(value.to_string())),
            _ => None,
        }
    }
}

impl std::fmt::Display for OriginPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OriginPattern::Origin(o) => write!(f, "{o}"),
            OriginPattern::Prefix(p) => write!(f, "{p}/<fund id>"),
        }
    }
}

/// A configured log: the origins it covers and the keys that may sign its checkpoints.
#[derive(Debug, Clone)]
pub struct LogConfig {
    /// The origins covered.
    pub pattern: OriginPattern,
    /// The trusted log keys (any one valid signature suffices).
    pub keys: Vec<NoteVerifier>,
}

/// Checks an origin or prefix given on the command line: non-empty, no control
/// characters, no surrounding spaces, and (for a prefix) no trailing `/`.
pub fn check_origin(value: &str, prefix: bool) -> Result<(), String> {
    if value.is_empty()
        || value.chars().any(char::is_control)
        || value.trim() != value
        || (prefix && value.ends_with('/'))
    {
        return Err(format!(
            "{value:?} is not a usable {}: it must be non-empty, without control characters or surrounding spaces{}",
            if prefix { "origin prefix" } else { "origin" },
            if prefix { ", and not end in /" } else { "" }
        ));
    }
    Ok(())
}

/// The configured log covering `origin`, if any (exact origins before prefixes).
pub fn find<'a>(logs: &'a [LogConfig], origin: &str) -> Option<&'a LogConfig> {
    logs.iter()
        .find(|l| matches!(&l.pattern, OriginPattern::Origin(o) if o == origin))
        .or_else(|| logs.iter().find(|l| l.pattern.matches(origin)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_matches_fund_origins_only() {
        let p = OriginPattern::Prefix("ledger.example/hexing".into());
        assert!(p.matches("ledger.example/hexing/roof-2026"));
        assert!(!p.matches("ledger.example/hexing"));
        assert!(!p.matches("ledger.example/hexing/"));
        assert!(!p.matches("ledger.example/hexing/a/b"));
        assert!(!p.matches("ledger.example/hexing/Roof"));
        assert!(!p.matches("ledger.example/hexingx/roof"));
        let o = OriginPattern::Origin("log.example/a".into());
        assert!(o.matches("log.example/a"));
        assert!(!o.matches("log.example/a/b"));
    }
}
