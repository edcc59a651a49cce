//! The oversight parts of the pages (issue 17): corrections (更正说明) beside every
//! statement that covered the entry they correct, superseded and corrected statements, the
//! supervisors (监督员) and their opinions, and the host charity — read from the log as the
//! rest of the pages are.

use std::collections::BTreeMap;

use ledger_core::body::{Body, Genesis, Kind, Verdict};
use ledger_core::keys::PublicKey;
use ledger_core::time::UtcOffset;

use super::view::{all_of_kind, local_date};
use super::Lang;
use crate::store::{Store, StoreError};
use crate::views::{
    parse_row, CorrectionLine, HostLine, NamedSigner, OpinionLine, StatementFigures,
};

/// A statement's place in the log: the seqs its period covers and what it supersedes.
struct Covered {
    seq: u64,
    /// First and last seq recorded in its period (`first > last` for an empty period).
    first: u64,
    last: u64,
    supersedes: Option<u64>,
}

/// What the pages show of a fund's oversight, read once per page.
pub(super) struct Oversight {
    statements: Vec<Covered>,
    corrections: Vec<CorrectionLine>,
    /// Opinions by the seq of the statement they are on, oldest first.
    opinions: BTreeMap<u64, Vec<OpinionLine>>,
    /// Current supervisors, by name.
    pub supervisors: Vec<String>,
    /// The host charity, as last named.
    pub host: Option<HostLine>,
}

impl Oversight {
    /// Reads the fund's statements, corrections, opinions and supervisors.
    pub async fn read(
        store: &Store,
        fund: &str,
        genesis: Option<&Genesis>,
        lang: Lang,
        off: UtcOffset,
    ) -> Result<Self, StoreError> {
        // Supervisors now, and everyone who ever was one (to name an opinion's signers).
        let mut current: BTreeMap<PublicKey, String> = BTreeMap::new();
        let mut host = None;
        if let Some(g) = genesis {
            for s in &g.supervisors {
                current.insert(s.key, s.name.to_string());
            }
            host = g.host.clone();
        }
        let mut ever = current.clone();
        for row in all_of_kind(store, fund, Kind::Trustees).await? {
            let Body::Trustees(t) = parse_row(&row)?.intent.body else {
                continue;
            };
            for k in &t.supervisors_remove {
                current.remove(k);
            }
            for s in &t.supervisors_add {
                current.insert(s.key, s.name.to_string());
                ever.insert(s.key, s.name.to_string());
            }
            if t.host.is_some() {
                host = t.host;
            }
        }

        let mut statements = Vec::new();
        for row in all_of_kind(store, fund, Kind::Statement).await? {
            let Body::Statement(s) = parse_row(&row)?.intent.body else {
                continue;
            };
            statements.push(Covered {
                seq: row.seq,
                first: (s.through_seq + 1).saturating_sub(s.count),
                last: s.through_seq,
                supersedes: s.supersedes,
            });
        }

        let mut corrections = Vec::new();
        for row in all_of_kind(store, fund, Kind::Reversal).await? {
            let Body::Reversal(r) = parse_row(&row)?.intent.body else {
                continue;
            };
            let Some(note) = r.correction else {
                continue;
            };
            corrections.push(CorrectionLine {
                seq: row.seq,
                date: local_date(&row.recorded_at, off),
                corrects: r.reverses,
                note: note.to_string(),
                statements: statements
                    .iter()
                    .filter(|c| c.first <= r.reverses && r.reverses <= c.last)
                    .map(|c| c.seq)
                    .collect(),
            });
        }

        let mut opinions: BTreeMap<u64, Vec<OpinionLine>> = BTreeMap::new();
        for row in all_of_kind(store, fund, Kind::Opinion).await? {
            let entry = parse_row(&row)?;
            let Body::Opinion(o) = entry.intent.body else {
                continue;
            };
            let agree = o.verdict == Verdict::Agree;
            opinions.entry(o.statement).or_default().push(OpinionLine {
                seq: row.seq,
                date: local_date(&row.recorded_at, off),
                supervisors: entry
                    .sigs
                    .iter()
                    .map(|s| NamedSigner {
                        key: s.key,
                        name: ever
                            .get(&s.key)
                            .cloned()
                            .unwrap_or_else(|| lang.word("unknown_signer").to_owned()),
                    })
                    .collect(),
                agree,
                verdict: lang
                    .word(if agree {
                        "verdict_agree"
                    } else {
                        "verdict_disagree"
                    })
                    .to_owned(),
                reasons: o.reasons.map(|r| r.to_string()),
            });
        }

        Ok(Oversight {
            statements,
            corrections,
            opinions,
            supervisors: current.into_values().collect(),
            host: host.map(|h| HostLine {
                name: h.name.to_string(),
                uscc: h.uscc,
            }),
        })
    }

    /// Adds to a statement's figures what supersedes it (or what it supersedes), the
    /// corrections of entries in its period and the supervisors' opinions on it.
    pub fn annotate(&self, s: &mut StatementFigures) {
        s.supersedes = self
            .statements
            .iter()
            .find(|c| c.seq == s.seq)
            .and_then(|c| c.supersedes);
        s.superseded_by = self
            .statements
            .iter()
            .find(|c| c.supersedes == Some(s.seq))
            .map(|c| c.seq);
        s.corrections = self
            .corrections
            .iter()
            .filter(|c| c.statements.contains(&s.seq))
            .cloned()
            .collect();
        s.opinions = self.opinions.get(&s.seq).cloned().unwrap_or_default();
    }

    /// Every correction of the fund, oldest first.
    pub fn corrections(&self) -> Vec<CorrectionLine> {
        self.corrections.clone()
    }
}
