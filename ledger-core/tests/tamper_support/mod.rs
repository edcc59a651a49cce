//! Support of the tamper suite (`tests/tamper.rs`): one realistic fund built once, its
//! export cut into lines, two ways to verify a tampered copy, and a re-chainer that rebuilds
//! a valid chain (prev hashes, trustee signatures, checkpoint) around a modified entry.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::OnceLock;

use ed25519_dalek::SigningKey;
use ledger_core::body::{Body, Kind};
use ledger_core::checkpoint::Checkpoint;
use ledger_core::entry::{Entry, ParsedEntry};
use ledger_core::export::CheckpointLine;
use ledger_core::hash::{leaf_hash, Hash, ZERO_HASH};
use ledger_core::keys::PublicKey;
use ledger_core::merkle::Frontier;
use ledger_core::sample::{build, SampleFund, SampleSpec};
use ledger_core::state::FundState;
use ledger_core::verify::{verify_export, Expectations, Finding, Prepared, Report, Verifier};

/// Fund id of the fixture.
pub const FUND_ID: &str = "tamper-fund";
/// Seed of the fixture (keys and history).
pub const SEED: u64 = 7;
/// Entries in the fixture.
pub const ENTRIES: usize = 1000;
/// Deployment origin host (also the log key's name).
pub const HOST: &str = "ledger.example";

/// The fund every tamper is derived from, with what the tests need precomputed.
pub struct Fixture {
    /// The generated fund (lines, keys, final state).
    pub fund: SampleFund,
    /// Its untouched export.
    pub export: Vec<u8>,
    /// Line 1 of the export.
    pub header: Vec<u8>,
    /// Last line of the export.
    pub checkpoint: Vec<u8>,
    /// Each entry line parsed, by seq.
    pub parsed: Vec<ParsedEntry>,
    /// Seq of each original entry line, by its leaf hash.
    by_hash: HashMap<Hash, usize>,
}

/// The fixture, built once per test binary.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let fund = build(
            &SampleSpec::example(FUND_ID, SEED, ENTRIES, 36).with_oversight(),
            HOST,
        )
        .expect("the sample fund builds");
        assert_eq!(fund.lines.len(), ENTRIES);
        let export = fund.export().expect("the sample fund exports");
        let lines = split_lines(&export);
        assert_eq!(lines.len(), ENTRIES + 2, "header + entries + checkpoint");
        let parsed = fund
            .lines
            .iter()
            .map(|l| Entry::parse(l).expect("sample entries parse"))
            .collect();
        let by_hash = fund
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| (leaf_hash(l), i))
            .collect();
        Fixture {
            by_hash,
            header: lines[0].clone(),
            checkpoint: lines[ENTRIES + 1].clone(),
            export,
            parsed,
            fund,
        }
    })
}

/// The export's non-empty lines, without their newlines.
pub fn split_lines(export: &[u8]) -> Vec<Vec<u8>> {
    export
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

/// Lines joined as an export (each ends in a newline).
pub fn join_lines<L: AsRef<[u8]>>(lines: &[L]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l.as_ref());
        out.push(b'\n');
    }
    out
}

/// The 1-based export line of the entry at position `seq` (line 1 is the header).
pub fn line_of(seq: u64) -> u64 {
    seq + 2
}

/// The export line of the checkpoint of an export with `entries` entry lines.
pub fn checkpoint_line_of(entries: usize) -> u64 {
    entries as u64 + 2
}

/// Verifies an export as an auditor does.
pub fn verify(export: &[u8]) -> Report {
    verify_with(export, Expectations::default())
}

/// [`verify_export`] with the keys the auditor trusts, cross-checked with the binary as
/// [`same_in_ledger_verify`] does.
pub fn verify_with(export: &[u8], expect: Expectations) -> Report {
    let report = verify_export(export, expect.clone());
    same_in_ledger_verify_with(export, &report, &expect);
    report
}

/// The `ledger-verify` binary to cross-check the core with, from `LEDGER_VERIFY_BIN`
/// (`cargo build -p audit-tools --bin ledger-verify`; CI sets it, with
/// `LEDGER_REQUIRE_VERIFY_BIN=1`). A relative path is taken from the workspace's root, as
/// it would be typed there: cargo runs this test from `ledger-core/`.
pub fn ledger_verify_bin() -> Option<std::path::PathBuf> {
    let bin = std::path::PathBuf::from(std::env::var_os("LEDGER_VERIFY_BIN")?);
    Some(if bin.is_relative() {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(bin)
    } else {
        bin
    })
}

/// When [`ledger_verify_bin`] is set: runs `ledger-verify --json` on `export` and asserts
/// that it reports exactly the core's findings (code, seq, line), or, for an unusable
/// input, exits 2 as the core's report says. So every tamper of this suite goes through
/// both (FORMAT.md §10: every check is the core's).
pub fn same_in_ledger_verify(export: &[u8], report: &Report) {
    same_in_ledger_verify_with(export, report, &Expectations::default());
}

/// [`same_in_ledger_verify`], the binary given the trusted keys of `expect`.
pub fn same_in_ledger_verify_with(export: &[u8], report: &Report, expect: &Expectations) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let Some(bin) = ledger_verify_bin() else {
        return;
    };
    let path = std::env::temp_dir().join(format!(
        "tamper-{}-{}.ndjson",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, export).expect("writing the export");
    let mut cmd = std::process::Command::new(&bin);
    cmd.arg(&path)
        .args(["--json", "--threads", "1", "--no-progress"]);
    if let Some(k) = &expect.log_key {
        cmd.args(["--log-key", k]);
    }
    if let Some(k) = &expect.operator_key {
        cmd.args(["--operator-key", &k.to_string()]);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running ledger-verify at {}: {e}", bin.display()));
    let _ = std::fs::remove_file(&path);
    if report.is_unusable() {
        assert_eq!(
            out.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("--json output");
    let binary = ledger_core::sample::findings::places_of_json(&v).expect("findings");
    let core = ledger_core::sample::findings::places_of_report(report);
    assert_eq!(binary, core, "ledger-verify and the core disagree");
}

/// (code, seq, line) of every finding: what the assertions compare.
pub fn summary(report: &Report) -> Vec<(&'static str, Option<u64>, u64)> {
    report
        .findings
        .iter()
        .map(|f| (f.code, f.seq, f.line))
        .collect()
}

/// The first few findings, for assertion messages.
pub fn show(report: &Report) -> String {
    let n = report.findings.len();
    let mut s = format!("{n} findings (+{} dropped):", report.findings_dropped);
    for f in report.findings.iter().take(6) {
        s.push_str(&format!(
            "\n  line {} seq {:?} {}: {}",
            f.line, f.seq, f.code, f.en
        ));
    }
    if n > 6 {
        let f = &report.findings[n - 1];
        s.push_str(&format!(
            "\n  ...\n  line {} seq {:?} {}: {}",
            f.line, f.seq, f.code, f.en
        ));
    }
    s
}

/// The first finding; fails the test when the report is clean.
pub fn first(report: &Report) -> &Finding {
    assert!(
        !report.is_clean(),
        "the tamper went undetected: the report is clean"
    );
    &report.findings[0]
}

impl Fixture {
    /// The export with the entry lines replaced by `entries` (header and checkpoint kept).
    pub fn export_with<L: AsRef<[u8]>>(&self, entries: &[L]) -> Vec<u8> {
        let mut lines: Vec<&[u8]> = vec![&self.header];
        lines.extend(entries.iter().map(|l| l.as_ref()));
        lines.push(&self.checkpoint);
        join_lines(&lines)
    }

    /// The export with the line of entry `seq` replaced by `line`.
    pub fn splice(&self, seq: usize, line: &[u8]) -> Vec<u8> {
        let mut entries: Vec<&[u8]> = self.fund.lines.iter().map(|l| l.as_slice()).collect();
        entries[seq] = line;
        self.export_with(&entries)
    }

    /// Verifies `export` exactly as [`verify_export`] does (same line splitting, same
    /// `Verifier`), but a line byte-identical to one of the fixture's entry lines is not
    /// parsed and its signatures not checked again: its `ParsedEntry` is reused. That work
    /// needs nothing but the line itself (`verify::prepare_line`), so the findings are the
    /// same; `tamper.rs` cross-checks this against [`verify_export`].
    pub fn verify(&self, export: &[u8]) -> Report {
        let mut v = Verifier::new(Expectations::default());
        // Lines after the header; the original line at that position is tried first.
        let mut position: Option<usize> = None;
        for line in export.split(|b| *b == b'\n') {
            if line.is_empty() {
                continue;
            }
            let Some(i) = position else {
                v.push_line(line);
                position = Some(0);
                continue;
            };
            position = Some(i + 1);
            let cached = match self.fund.lines.get(i) {
                Some(original) if original.as_slice() == line => Some(i),
                _ => self.by_hash.get(&leaf_hash(line)).copied(),
            };
            match cached {
                Some(seq) => v.push(Prepared::Entry {
                    parsed: Box::new(self.parsed[seq].clone()),
                    signatures: Ok(()),
                }),
                None => v.push_line(line),
            }
        }
        let report = v.finish_input(ledger_core::verify::ends_in_newline(export));
        same_in_ledger_verify(export, &report);
        report
    }

    /// The typed entries, by seq.
    pub fn entries(&self) -> Vec<Entry> {
        self.parsed.iter().map(|p| p.entry.clone()).collect()
    }

    /// Seqs of the entries of `kind`.
    pub fn seqs_of(&self, kind: Kind) -> Vec<usize> {
        self.parsed
            .iter()
            .enumerate()
            .filter(|(_, p)| p.entry.intent.kind() == kind)
            .map(|(i, _)| i)
            .collect()
    }

    /// The operator's public key.
    pub fn operator(&self) -> PublicKey {
        PublicKey::from_verifying_key(self.fund.keys.operator.verifying_key())
    }

    /// The public key of trustee `i` (0–3; 0 is removed and 3 added by the trustee change).
    pub fn trustee(&self, i: usize) -> PublicKey {
        PublicKey::from_verifying_key(self.fund.keys.trustees[i].verifying_key())
    }

    /// The signing key of a sample key (operator or trustee), or one of `extra`.
    pub fn signing_key<'a>(
        &'a self,
        key: &PublicKey,
        extra: &'a [SigningKey],
    ) -> Option<&'a SigningKey> {
        self.fund.signing_key(key, extra)
    }

    /// The fund state after entries `..seq` of the untouched log.
    pub fn state_before(&self, seq: usize) -> FundState {
        let mut state = FundState::new(self.fund.state.fund().clone(), self.operator());
        for p in &self.parsed[..seq] {
            state
                .apply(&p.entry, p.hash)
                .expect("the sample log is valid");
        }
        state
    }

    /// A checkpoint line over `root` at `size`, signed by the log key.
    pub fn checkpoint_line(&self, origin: &str, size: u64, root: Hash) -> Vec<u8> {
        checkpoint_line(origin, size, root, &self.fund.keys.log)
    }
}

/// A checkpoint line signed by `signer`.
pub fn checkpoint_line(
    origin: &str,
    size: u64,
    root: Hash,
    signer: &ledger_core::note::NoteSigner,
) -> Vec<u8> {
    let note = Checkpoint {
        origin: origin.to_owned(),
        tree_size: size,
        root,
        extensions: Vec::new(),
    }
    .sign(signer)
    .expect("checkpoint signs");
    CheckpointLine { checkpoint: note }.to_line()
}

/// What the re-chainer does with statements after the tamper point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statements {
    /// Leave their bodies as they are (their `root` then no longer matches the log).
    Keep,
    /// Set each statement's `root` to the rebuilt log's root at its `tree_size`, keeping
    /// its money figures: the totals then still tell whether the money adds up.
    FixRoots,
    /// Redraft every statement from the rebuilt log (a complete, consistent rewrite). The
    /// modified entries must then keep every rule: each entry is applied on the way.
    Redraft,
}

/// Re-chains `entries` from `from` on as an insider holding every key would: each entry's
/// `prev` is set to the new previous hash, its intent re-signed by the same signers (found
/// among the sample keys and `extra` by public key) and re-canonicalised; statements are
/// treated as `statements` says; a new checkpoint over the new root is signed by the log
/// key. Returns the new export. Entries before `from` are left byte for byte.
pub fn rechain(
    fx: &Fixture,
    mut entries: Vec<Entry>,
    from: usize,
    statements: Statements,
    extra: &[SigningKey],
) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = Vec::with_capacity(entries.len());
    let mut frontier = Frontier::new();
    let mut roots = vec![frontier.root()];
    let mut head = ZERO_HASH;
    let mut state = (statements == Statements::Redraft)
        .then(|| FundState::new(fx.fund.state.fund().clone(), fx.operator()));
    for (i, e) in entries.iter_mut().enumerate() {
        let bytes = if i < from {
            fx.fund.lines[i].clone()
        } else {
            e.prev = head;
            if let Body::Statement(s) = &mut e.intent.body {
                match (statements, &state) {
                    (Statements::Keep, _) => {}
                    (Statements::FixRoots, _) => s.root = roots[s.tree_size as usize],
                    (Statements::Redraft, Some(st)) => {
                        {
                            let draft = st.draft_statement(&s.period).expect("statement drafts");
                            // A statement keeps its version: the first version's figures
                            // are the two-column draft's without its columns.
                            let supersedes = s.supersedes;
                            *s = match s.version {
                                Some(_) => draft,
                                None => ledger_core::statement::first_version(draft),
                            };
                            // A corrected statement still names the one it supersedes.
                            s.supersedes = supersedes;
                        }
                    }
                    (Statements::Redraft, None) => unreachable!(),
                }
            }
            let mut sigs = Vec::with_capacity(e.sigs.len());
            for s in &e.sigs {
                let key = fx
                    .signing_key(&s.key, extra)
                    .unwrap_or_else(|| panic!("no signing key for {} at seq {i}", s.key));
                sigs.push(e.intent.sign(key));
            }
            sigs.sort_by_key(|s| s.key);
            e.sigs = sigs;
            e.canonical_bytes()
        };
        let hash = leaf_hash(&bytes);
        if let Some(st) = &mut state {
            let parsed = Entry::parse(&bytes).expect("a rebuilt entry parses");
            st.apply(&parsed.entry, hash)
                .unwrap_or_else(|err| panic!("rewrite breaks a rule at seq {i}: {err}"));
        }
        head = hash;
        frontier.push(hash);
        roots.push(frontier.root());
        lines.push(bytes);
    }
    let mut out = join_lines(&[&fx.header]);
    out.extend_from_slice(&join_lines(&lines));
    out.extend_from_slice(&fx.checkpoint_line(
        &fx.fund.origin,
        lines.len() as u64,
        frontier.root(),
    ));
    out.push(b'\n');
    out
}
