//! Preparing log lines for replay: the work that needs nothing but the line (parse, hash,
//! signature checks), so that callers may do it on many threads and batch the signature
//! checks. [`crate::replay::replay`] then applies a prepared line to a fund's state.
//!
//! One signature rule (ZIP-215) decides one by one ([`crate::keys::PublicKey::verify`])
//! and in the batches here ([`prepare_lines`], [`verify_signatures_batch`]).

use sha2::Digest;

use crate::entry::{
    signing_message, verify_signatures, Entry, EntryError, ParsedEntry, Sig, INTENT_SIGNING_PREFIX,
};
use crate::hash::{leaf_hash, Hash};
use crate::time::Instant;

/// A line after the work that needs no state: parse and signature check.
#[derive(Debug)]
pub enum Prepared {
    /// An entry line that parsed; `signatures` is the outcome of checking them.
    Entry {
        /// The parsed entry.
        parsed: Box<ParsedEntry>,
        /// Ok if every signature verifies.
        signatures: Result<(), EntryError>,
    },
    /// A line that is not a well-formed entry (or the header or checkpoint line).
    Other {
        /// Leaf hash of the raw line (it is still a leaf of the log).
        hash: Hash,
        /// The raw line.
        line: Vec<u8>,
        /// Why it is not an entry.
        error: EntryError,
        /// Seq and time read leniently from the line, to locate the finding.
        seq: Option<u64>,
        /// `recorded_at`, if readable.
        recorded_at: Option<Instant>,
    },
}

/// Parses one line and verifies its signatures one by one.
pub fn prepare_line(line: &[u8]) -> Prepared {
    match Entry::parse(line) {
        Ok(parsed) => {
            let signatures = verify_signatures(&parsed.entry.sigs, &parsed.intent_bytes);
            Prepared::Entry {
                parsed: Box::new(parsed),
                signatures,
            }
        }
        Err(error) => other(line, error),
    }
}

pub(crate) fn other(line: &[u8], error: EntryError) -> Prepared {
    let lenient: Option<serde_json::Value> = serde_json::from_slice(line).ok();
    let seq = lenient.as_ref().and_then(|v| v.get("seq")?.as_u64());
    let recorded_at = lenient
        .as_ref()
        .and_then(|v| v.get("recorded_at")?.as_str()?.parse().ok());
    Prepared::Other {
        hash: leaf_hash(line),
        line: line.to_vec(),
        error,
        seq,
        recorded_at,
    }
}

/// Parses many lines and verifies all their signatures in one Ed25519 batch; if the batch
/// fails, each entry's signatures are checked alone to say which are bad.
pub fn prepare_lines<L: AsRef<[u8]>>(lines: &[L]) -> Vec<Prepared> {
    let mut out = Vec::with_capacity(lines.len());
    let mut batch = ed25519_zebra::batch::Verifier::new();
    let mut transcript = sha2::Sha512::new();
    for line in lines {
        let line = line.as_ref();
        match Entry::parse(line) {
            Ok(parsed) => {
                let msg = signing_message(&parsed.intent_bytes);
                for s in &parsed.entry.sigs {
                    transcript.update(s.key.as_bytes());
                    transcript.update(s.sig.0);
                    transcript.update(parsed.hash.0);
                    batch.queue((
                        s.key.zip215_bytes(),
                        ed25519_zebra::Signature::from(s.sig.0),
                        msg.as_slice(),
                    ));
                }
                out.push(Prepared::Entry {
                    parsed: Box::new(parsed),
                    signatures: Ok(()),
                });
            }
            Err(error) => out.push(other(line, error)),
        }
    }
    // The batch's random coefficients come from a hash of everything in it (as in
    // ed25519-dalek's batch verification), so the crate stays free of randomness and the
    // result is reproducible.
    let rng = TranscriptRng::new(transcript.finalize().into());
    if batch.verify(rng).is_err() {
        for p in &mut out {
            if let Prepared::Entry { parsed, signatures } = p {
                *signatures = verify_signatures(&parsed.entry.sigs, &parsed.intent_bytes);
            }
        }
    }
    out
}

/// Verifies the signatures of many intents — `(signatures, JCS(intent))` each — in one
/// Ed25519 batch, and gives for each exactly what [`verify_signatures`] gives: if the
/// batch fails, each intent's signatures are checked alone to say which are bad.
///
/// The same rule (ZIP-215) decides one by one and in batches, so the outcome does not
/// depend on which intents share a batch; a batch of n signatures costs a fraction of n
/// single checks.
pub fn verify_signatures_batch(items: &[(&[Sig], &[u8])]) -> Vec<Result<(), EntryError>> {
    let mut batch = ed25519_zebra::batch::Verifier::new();
    let mut transcript = sha2::Sha512::new();
    let mut msg = Vec::new();
    for (sigs, intent_bytes) in items {
        msg.clear();
        msg.extend_from_slice(INTENT_SIGNING_PREFIX);
        msg.extend_from_slice(intent_bytes);
        transcript.update((intent_bytes.len() as u64).to_le_bytes());
        transcript.update(intent_bytes);
        for s in *sigs {
            transcript.update(s.key.as_bytes());
            transcript.update(s.sig.0);
            batch.queue((
                s.key.zip215_bytes(),
                ed25519_zebra::Signature::from(s.sig.0),
                msg.as_slice(),
            ));
        }
    }
    // Coefficients from a hash of everything in the batch, as in `prepare_lines`.
    let rng = TranscriptRng::new(transcript.finalize().into());
    match batch.verify(rng) {
        Ok(()) => items.iter().map(|_| Ok(())).collect(),
        Err(_) => items
            .iter()
            .map(|(sigs, intent_bytes)| verify_signatures(sigs, intent_bytes))
            .collect(),
    }
}

/// A deterministic random stream for batch coefficients: SHA-512(seed ‖ counter).
struct TranscriptRng {
    seed: [u8; 64],
    counter: u64,
    buf: [u8; 64],
    used: usize,
}

impl TranscriptRng {
    fn new(seed: [u8; 64]) -> Self {
        TranscriptRng {
            seed,
            counter: 0,
            buf: [0; 64],
            used: 64,
        }
    }
}

impl rand_core::RngCore for TranscriptRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for d in dest {
            if self.used == 64 {
                let mut h = sha2::Sha512::new();
                h.update(self.seed);
                h.update(self.counter.to_le_bytes());
                self.buf = h.finalize().into();
                self.counter += 1;
                self.used = 0;
            }
            *d = self.buf[self.used];
            self.used += 1;
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

/// Its output is unpredictable to anyone who cannot choose the batch's contents after
/// seeing it: each coefficient depends on every signature in the batch.
impl rand_core::CryptoRng for TranscriptRng {}
