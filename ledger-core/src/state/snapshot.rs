//! A fund's state as bytes, so that a server can start from it instead of replaying the
//! whole log (issue 19, item 3).
//!
//! [`FundState::snapshot_bytes`] gives the state's canonical bytes: the same state always
//! gives the same bytes. They are `ledger-state/2\n` (version 1 lacked the oversight and
//! restriction parts: it is refused, and the state rebuilt from the log), then the small
//! parts (keys, policy, agreements, spaces, months, restrictions…) as JSON with every
//! collection sorted, then the per-entry parts (8 bytes a seq for the reversal rule, the
//! idempotency key digests, sorted) as little-endian arrays, each after its length.
//!
//! A snapshot is trusted only with its *state note*: a signed note (the C2SP format of
//! the checkpoints) by the deployment's log key over the fund's origin, the tree size and
//! head hash it was taken at and the SHA-256 of its bytes. Its first line
//! ([`STATE_NOTE_HEADER`]) and its second (the origin, where a checkpoint has its size)
//! keep it from ever being read as a checkpoint. [`FundState::open_snapshot`] checks the
//! note, the hash and that the decoded state is the one the note names; the caller still
//! checks that the log holds that head at that size and replays the entries after it.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::{AgreementState, FundState, Packed, SpaceState, StatementMark, Undo};
use crate::body::{Agreement, HostCharity, Policy, Space};
use crate::hash::{sha256, Hash};
use crate::ids::FundId;
use crate::ids::RestrictionId;
use crate::keys::PublicKey;
use crate::merkle::Frontier;
use crate::money::Money;
use crate::note::{open_note, sign_note, NoteSigner, NoteVerifier};
use crate::restriction::{RestrictionState, Restrictions};
use crate::statement::{MonthTotals, Months};
use crate::text::ShortText;
use crate::time::{Date, Instant, UtcOffset};

/// First bytes of a state's snapshot.
const MAGIC: &[u8] = b"ledger-state/2\n";

/// First line of a state note.
pub const STATE_NOTE_HEADER: &str = "community-ledger fund state v1";

/// Why a snapshot or its note was refused: the server then rebuilds the state from the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    /// The note is malformed or not signed by the log key.
    #[error("the state note is not signed by the log key: {0}")]
    Note(String),
    /// The note's text is not a state note of this fund.
    #[error("the state note is not one of this fund: {0}")]
    NoteText(&'static str),
    /// The bytes do not hash to the note's value.
    #[error("the state's bytes do not hash to the value its note signs")]
    Hash,
    /// The bytes are not a snapshot.
    #[error("the state's bytes are malformed: {0}")]
    Format(String),
    /// The decoded state is not at the size or head the note names.
    #[error("the state is not at the size and head its note signs")]
    Head,
}

/// A paid period of an agreement: first day, last day, seq of the payment.
type Paid = (Date, Date, u64);
/// A rental of a space: start, end, seq of the rental.
type Booked = (Instant, Instant, u64);

/// The small parts of a state (everything but the per-entry arrays), in a fixed order.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Small {
    fund: FundId,
    operator: PublicKey,
    offset: UtcOffset,
    next_seq: u64,
    head: Hash,
    last_recorded_at: Option<Instant>,
    frontier_size: u64,
    frontier: Vec<Hash>,
    trustees: Vec<(PublicKey, ShortText)>,
    supervisors: Vec<(PublicKey, ShortText)>,
    host: Option<HostCharity>,
    statements: Vec<(u64, StatementMark)>,
    policy: Option<Policy>,
    balance: Money,
    agreements: Vec<(Agreement, Vec<Paid>)>,
    spaces: Vec<(Space, Vec<Booked>)>,
    undo: Vec<(u64, Undo)>,
    months_closed: Vec<(Date, MonthTotals)>,
    months_current: Option<(Date, MonthTotals)>,
    restrictions: Vec<RestrictionState>,
    restriction_named: Vec<(u64, RestrictionId)>,
}

/// Reads the snapshot's bytes in order.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SnapshotError> {
        if self.bytes.len() < n {
            return Err(SnapshotError::Format("truncated".into()));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn u64(&mut self) -> Result<u64, SnapshotError> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(b))
    }

    /// A length that must fit in what is left at `width` bytes an item.
    fn len(&mut self, width: usize) -> Result<usize, SnapshotError> {
        let n = self.u64()?;
        match usize::try_from(n) {
            Ok(n) if n.checked_mul(width).is_some_and(|b| b <= self.bytes.len()) => Ok(n),
            _ => Err(SnapshotError::Format("a length past the end".into())),
        }
    }
}

impl FundState {
    /// The state's canonical bytes (see the module's documentation).
    pub fn snapshot_bytes(&self) -> Vec<u8> {
        let mut agreements: Vec<_> = self
            .agreements
            .values()
            .map(|a| {
                let paid = a.paid.iter().map(|(f, (t, s))| (*f, *t, *s)).collect();
                (a.agreement.clone(), paid)
            })
            .collect();
        agreements.sort_by(|a, b| a.0.agreement_id.as_str().cmp(b.0.agreement_id.as_str()));
        let mut spaces: Vec<_> = self
            .spaces
            .values()
            .map(|s| {
                let rentals = s.rentals.iter().map(|(f, (t, q))| (*f, *t, *q)).collect();
                (s.space.clone(), rentals)
            })
            .collect();
        spaces.sort_by(|a, b| a.0.space_id.as_str().cmp(b.0.space_id.as_str()));
        let mut undo: Vec<_> = self.undo.iter().map(|(s, u)| (*s, u.clone())).collect();
        undo.sort_by_key(|(s, _)| *s);
        let (closed, current) = self.months.parts();
        let (restrictions, restriction_named) = self.restrictions.parts();
        let small = Small {
            fund: self.fund.clone(),
            operator: self.operator,
            offset: self.offset,
            next_seq: self.next_seq,
            head: self.head,
            last_recorded_at: self.last_recorded_at,
            frontier_size: self.frontier.size(),
            frontier: self.frontier.hashes().to_vec(),
            trustees: self.trustees.iter().map(|(k, n)| (*k, n.clone())).collect(),
            supervisors: self
                .supervisors
                .iter()
                .map(|(k, n)| (*k, n.clone()))
                .collect(),
            host: self.host.clone(),
            statements: self.statements.iter().map(|(s, m)| (*s, *m)).collect(),
            policy: self.policy.clone(),
            balance: self.balance,
            agreements,
            spaces,
            undo,
            months_closed: closed.iter().map(|(d, t)| (*d, t.clone())).collect(),
            months_current: current.cloned(),
            restrictions,
            restriction_named,
        };
        // Every part of `Small` is plain data with a derived or string serialisation.
        let json = serde_json::to_vec(&small).unwrap_or_default();
        let mut keys: Vec<u128> = self.keys.iter().copied().collect();
        keys.sort_unstable();
        let mut out = Vec::with_capacity(
            MAGIC.len() + 24 + json.len() + self.entries.len() * 8 + keys.len() * 16,
        );
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(json.len() as u64).to_le_bytes());
        out.extend_from_slice(&json);
        out.extend_from_slice(&(self.entries.len() as u64).to_le_bytes());
        for p in &self.entries {
            out.extend_from_slice(&p.0.to_le_bytes());
        }
        out.extend_from_slice(&(keys.len() as u64).to_le_bytes());
        for k in keys {
            out.extend_from_slice(&k.to_le_bytes());
        }
        out
    }

    /// The state of [`FundState::snapshot_bytes`]. Refuses bytes that are not exactly
    /// what some state gives (trailing bytes, unsorted keys, a frontier of the wrong
    /// shape).
    pub fn from_snapshot_bytes(bytes: &[u8]) -> Result<FundState, SnapshotError> {
        let mut r = Reader { bytes };
        if r.take(MAGIC.len())? != MAGIC {
            return Err(SnapshotError::Format("not a fund state".into()));
        }
        let n = r.len(1)?;
        let small: Small =
            serde_json::from_slice(r.take(n)?).map_err(|e| SnapshotError::Format(e.to_string()))?;
        let n = r.len(8)?;
        let mut entries = Vec::with_capacity(n);
        for _ in 0..n {
            entries.push(Packed(r.u64()?));
        }
        let n = r.len(16)?;
        let mut keys = HashSet::with_capacity(n);
        let mut last = None;
        for _ in 0..n {
            let mut b = [0u8; 16];
            b.copy_from_slice(r.take(16)?);
            let k = u128::from_le_bytes(b);
            if last.is_some_and(|l| l >= k) {
                return Err(SnapshotError::Format(
                    "idempotency keys out of order".into(),
                ));
            }
            last = Some(k);
            keys.insert(k);
        }
        if !r.bytes.is_empty() {
            return Err(SnapshotError::Format("trailing bytes".into()));
        }
        if entries.len() as u64 > small.next_seq || small.frontier_size != small.next_seq {
            return Err(SnapshotError::Format("sizes disagree".into()));
        }
        let frontier = Frontier::from_parts(small.frontier_size, small.frontier)
            .map_err(|e| SnapshotError::Format(e.to_string()))?;
        let agreements: HashMap<_, _> = small
            .agreements
            .into_iter()
            .map(|(agreement, paid)| {
                let paid: BTreeMap<_, _> = paid.into_iter().map(|(f, t, s)| (f, (t, s))).collect();
                (
                    agreement.agreement_id.clone(),
                    AgreementState { agreement, paid },
                )
            })
            .collect();
        let spaces: HashMap<_, _> = small
            .spaces
            .into_iter()
            .map(|(space, rentals)| {
                let rentals: BTreeMap<_, _> =
                    rentals.into_iter().map(|(f, t, s)| (f, (t, s))).collect();
                (space.space_id.clone(), SpaceState { space, rentals })
            })
            .collect();
        let restrictions = Restrictions::from_parts((small.restrictions, small.restriction_named))
            .ok_or_else(|| SnapshotError::Format("restrictions out of order".into()))?;
        let sorted = |v: &[(PublicKey, ShortText)]| v.windows(2).all(|w| w[0].0 < w[1].0);
        if !sorted(&small.trustees)
            || !sorted(&small.supervisors)
            || small.statements.windows(2).any(|w| w[0].0 >= w[1].0)
        {
            return Err(SnapshotError::Format("keys out of order".into()));
        }
        Ok(FundState {
            fund: small.fund,
            operator: small.operator,
            offset: small.offset,
            next_seq: small.next_seq,
            head: small.head,
            last_recorded_at: small.last_recorded_at,
            frontier,
            trustees: small.trustees.into_iter().collect(),
            supervisors: small.supervisors.into_iter().collect(),
            host: small.host,
            statements: small.statements.into_iter().collect(),
            policy: small.policy,
            balance: small.balance,
            agreements,
            spaces,
            entries,
            keys,
            undo: small.undo.into_iter().collect(),
            months: Months::from_parts(
                small.months_closed.into_iter().collect(),
                small.months_current,
            ),
            restrictions,
        })
    }

    /// The state's snapshot and its state note, signed by `signer` (the log key) for the
    /// fund's checkpoint origin `origin`.
    pub fn signed_snapshot(
        &self,
        origin: &str,
        signer: &NoteSigner,
    ) -> Result<(Vec<u8>, String), SnapshotError> {
        let bytes = self.snapshot_bytes();
        let text = state_note_text(origin, self.next_seq, self.head, sha256(&bytes));
        let note = sign_note(&text, &[signer]).map_err(|e| SnapshotError::Note(e.to_string()))?;
        Ok((bytes, note))
    }

    /// The state that `bytes` hold, if `note` is a state note of `origin` signed by
    /// `verifier` (the log key) over exactly those bytes, and the state is at the size and
    /// head the note names.
    pub fn open_snapshot(
        bytes: &[u8],
        note: &str,
        origin: &str,
        verifier: &NoteVerifier,
    ) -> Result<FundState, SnapshotError> {
        let opened = open_note(note, std::slice::from_ref(verifier))
            .map_err(|e| SnapshotError::Note(e.to_string()))?;
        if opened.verified_by.is_empty() {
            return Err(SnapshotError::Note("no signature by the log key".into()));
        }
        let mut lines = opened.text.lines();
        if lines.next() != Some(STATE_NOTE_HEADER) {
            return Err(SnapshotError::NoteText("header"));
        }
        if lines.next() != Some(origin) {
            return Err(SnapshotError::NoteText("origin"));
        }
        let size: u64 = lines
            .next()
            .and_then(|l| l.parse().ok())
            .ok_or(SnapshotError::NoteText("tree size"))?;
        let head = lines
            .next()
            .and_then(|l| Hash::from_hex(l).ok())
            .ok_or(SnapshotError::NoteText("head"))?;
        let hash = lines
            .next()
            .and_then(|l| Hash::from_hex(l).ok())
            .ok_or(SnapshotError::NoteText("state hash"))?;
        if lines.next().is_some() {
            return Err(SnapshotError::NoteText("trailing lines"));
        }
        if sha256(bytes) != hash {
            return Err(SnapshotError::Hash);
        }
        let state = FundState::from_snapshot_bytes(bytes)?;
        if state.next_seq != size || state.head != head {
            return Err(SnapshotError::Head);
        }
        Ok(state)
    }
}

/// The text of a state note.
fn state_note_text(origin: &str, size: u64, head: Hash, state: Hash) -> String {
    format!(
        "{STATE_NOTE_HEADER}\n{origin}\n{size}\n{}\n{}\n",
        head.to_hex(),
        state.to_hex()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::{build, SampleSpec};

    #[test]
    fn a_snapshot_gives_back_the_same_state_and_the_same_bytes() {
        let fund = build(&SampleSpec::example("snap", 31, 400, 14), "ledger.example").unwrap();
        let bytes = fund.state.snapshot_bytes();
        let back = FundState::from_snapshot_bytes(&bytes).unwrap();
        assert_eq!(back, fund.state);
        assert_eq!(back.snapshot_bytes(), bytes);
        // Both decode the same way and go on the same way: the next rules see one state.
        assert!(FundState::from_snapshot_bytes(&bytes[..bytes.len() - 1]).is_err());
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(FundState::from_snapshot_bytes(&longer).is_err());
    }

    /// Funds with every part of a state: supervisors, a host charity, statements (one
    /// superseded by a correction), restrictions (one closed, one revoked) and the seqs
    /// that named them.
    #[test]
    fn a_snapshot_keeps_oversight_statements_and_restrictions() {
        let mut specs = vec![SampleSpec::example("snap", 41, 300, 14).with_oversight()];
        for revoke in [false, true] {
            let mut spec = SampleSpec::example("snap", 43, 160, 12);
            spec.story = Some(crate::sample::Story::restricted_example(revoke));
            specs.push(spec);
        }
        for spec in specs {
            let state = build(&spec, "ledger.example").unwrap().state;
            let bytes = state.snapshot_bytes();
            let back = FundState::from_snapshot_bytes(&bytes).unwrap();
            assert_eq!(back, state, "{}", spec.fund);
            assert_eq!(back.snapshot_bytes(), bytes);
        }
        let with = |oversight: bool, revoke: Option<bool>| {
            let mut spec = SampleSpec::example("snap", 47, 200, 12);
            spec.oversight = oversight;
            spec.story = revoke.map(crate::sample::Story::restricted_example);
            build(&spec, "ledger.example").unwrap().state
        };
        let overseen = with(true, None);
        assert!(!overseen.supervisors().is_empty() && overseen.host().is_some());
        assert!(overseen.statements.values().any(|m| m.superseded));
        let restricted = with(false, Some(false));
        assert!(!restricted.restrictions().all().is_empty());
        // A version-1 snapshot (before these parts were kept) is refused, so the server
        // rebuilds the state from the log rather than start without them.
        let mut old = restricted.snapshot_bytes();
        old[..MAGIC.len()].copy_from_slice(b"ledger-state/1\n");
        assert!(matches!(
            FundState::from_snapshot_bytes(&old),
            Err(SnapshotError::Format(_))
        ));
    }

    #[test]
    fn a_snapshot_opens_only_with_its_note_and_key() {
        let fund = build(&SampleSpec::example("snap", 37, 120, 6), "ledger.example").unwrap();
        let origin = &fund.origin;
        let (bytes, note) = fund.state.signed_snapshot(origin, &fund.keys.log).unwrap();
        let verifier = fund.keys.log.verifier();
        let opened = FundState::open_snapshot(&bytes, &note, origin, &verifier).unwrap();
        assert_eq!(opened, fund.state);
        // A changed byte (here: the balance, in the JSON part) fails the note's hash.
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let balance = format!("\"balance\":\"{}\"", fund.state.balance());
        assert!(text.contains(&balance), "{balance}");
        let forged = text.replacen(&balance, "\"balance\":\"9999999.00\"", 1);
        assert_eq!(
            FundState::open_snapshot(forged.as_bytes(), &note, origin, &verifier),
            Err(SnapshotError::Hash)
        );
        // Another fund's origin, another key: refused.
        assert!(matches!(
            FundState::open_snapshot(&bytes, &note, "ledger.example/other", &verifier),
            Err(SnapshotError::NoteText("origin"))
        ));
        let other = crate::sample::SampleKeys::derive(99, "other.example").unwrap();
        assert!(matches!(
            FundState::open_snapshot(&bytes, &note, origin, &other.log.verifier()),
            Err(SnapshotError::Note(_))
        ));
    }
}
