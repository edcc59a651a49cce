//! The oversight parts of the pages (issue 17): corrections (更正说明) beside every
//! statement that covered the entry they correct, superseded and corrected statements, the
//! supervisors (监督员) and their opinions, and the host charity — read from the log as the
//! rest of the pages are.
//!
//! Corrections are the reversals that carry a note, and reversals grow with the log (a
//! few in a hundred entries): [`Corrections`] keeps, per fund, those found so far and how
//! far the log's reversals were read, so that a page reads only the reversals recorded
//! since the last page (entries never change once stored).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use ledger_core::body::{Body, Genesis, Kind, Verdict};
use ledger_core::keys::PublicKey;
use ledger_core::time::UtcOffset;

use super::rows::{all_of_kind, local_date};
use super::Lang;
use crate::store::{Store, StoreError, PAGE_ROWS_MAX};
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

/// A reversal with a 更正说明, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FoundCorrection {
    seq: u64,
    recorded_at: String,
    reverses: u64,
    note: String,
}

/// A fund's corrections among its first `through` entries.
#[derive(Debug, Clone, Default)]
struct Found {
    through: u64,
    corrections: Vec<FoundCorrection>,
}

/// The corrections found so far in each fund's log (one entry per fund), so that a page
/// reads only the reversals recorded since the previous one.
#[derive(Default)]
pub(super) struct Corrections {
    funds: Mutex<HashMap<String, Found>>,
}

impl Corrections {
    /// The corrections of `fund` among its first `size` entries, in seq order: those
    /// found before, and the reversals recorded since read (`entries_by_kind`, from the
    /// seq where the previous read stopped).
    async fn of(
        &self,
        store: &Store,
        fund: &str,
        size: u64,
    ) -> Result<Vec<FoundCorrection>, StoreError> {
        let mut found = self
            .funds
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(fund)
            .cloned()
            .unwrap_or_default();
        if found.through >= size {
            // Read further by a page that saw a longer log: the same entries below `size`.
            found.corrections.retain(|c| c.seq < size);
            return Ok(found.corrections);
        }
        while found.through < size {
            let rows = store
                .entries_where_kind(fund, Kind::Reversal.as_str(), found.through, PAGE_ROWS_MAX)
                .await?;
            let full = rows.len() as i64 == PAGE_ROWS_MAX;
            for row in rows.iter().filter(|r| r.seq < size) {
                let Body::Reversal(r) = parse_row(row)?.intent.body else {
                    continue;
                };
                if let Some(note) = r.correction {
                    found.corrections.push(FoundCorrection {
                        seq: row.seq,
                        recorded_at: row.recorded_at.clone(),
                        reverses: r.reverses,
                        note: note.to_string(),
                    });
                }
            }
            found.through = match rows.last() {
                Some(last) if full => (last.seq + 1).min(size),
                _ => size,
            };
        }
        let mut funds = self.funds.lock().unwrap_or_else(|e| e.into_inner());
        let kept = funds.entry(fund.to_owned()).or_default();
        if kept.through < found.through {
            *kept = found.clone();
        }
        Ok(found.corrections)
    }
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
    /// Reads the fund's statements, corrections, opinions and supervisors as of its
    /// first `size` entries (corrections through `found`).
    pub async fn read(
        store: &Store,
        found: &Corrections,
        fund: &str,
        size: u64,
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
        for c in found.of(store, fund, size).await? {
            corrections.push(CorrectionLine {
                seq: c.seq,
                date: local_date(&c.recorded_at, off),
                corrects: c.reverses,
                note: c.note,
                statements: statements
                    .iter()
                    .filter(|s| s.first <= c.reverses && c.reverses <= s.last)
                    .map(|s| s.seq)
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
