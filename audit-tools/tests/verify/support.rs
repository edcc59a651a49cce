//! Support of the `ledger-verify` tests: one sample fund built once, its export and lines,
//! and a runner of the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use ledger_core::body::Kind;
use ledger_core::entry::{Entry, ParsedEntry};
use ledger_core::sample::{build, SampleFund, SampleSpec};
use serde_json::Value;

/// Fund id of the fixture.
pub const FUND_ID: &str = "audit-fund";
/// Entries in the fixture: a year of history, with monthly statements.
pub const ENTRIES: usize = 400;
/// Deployment origin host (also the log key's name).
pub const HOST: &str = "ledger.example";
/// Where the tampers happen: late, with statements after them.
pub const LATE: usize = 250;

/// The fund every test derives its exports from.
pub struct Fixture {
    /// The generated fund.
    pub fund: SampleFund,
    /// Its untouched export.
    pub export: Vec<u8>,
    /// Each entry parsed, by seq.
    pub parsed: Vec<ParsedEntry>,
}

/// The fixture, built once per test binary.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let fund = build(&SampleSpec::example(FUND_ID, 11, ENTRIES, 12), HOST)
            .expect("the sample fund builds");
        let export = fund.export().expect("the sample exports");
        let parsed = fund
            .lines
            .iter()
            .map(|l| Entry::parse(l).expect("sample entries parse"))
            .collect();
        Fixture {
            fund,
            export,
            parsed,
        }
    })
}

impl Fixture {
    /// Seqs of the entries of `kind`.
    pub fn seqs_of(&self, kind: Kind) -> Vec<usize> {
        self.parsed
            .iter()
            .enumerate()
            .filter(|(_, p)| p.entry.intent.kind() == kind)
            .map(|(i, _)| i)
            .collect()
    }

    /// The first entry of `kind` after seq `after`.
    pub fn first_after(&self, kind: Kind, after: usize) -> usize {
        self.seqs_of(kind)
            .into_iter()
            .find(|s| *s > after)
            .unwrap_or_else(|| panic!("no {kind:?} after {after}"))
    }

    /// The export with the entry lines replaced by `lines`, the original checkpoint kept.
    pub fn export_with<L: AsRef<[u8]>>(&self, lines: &[L]) -> Vec<u8> {
        let note = self
            .fund
            .checkpoint_note()
            .expect("the sample checkpoint signs");
        self.fund.export_with_note(lines, note)
    }

    /// The entry lines, to edit.
    pub fn lines(&self) -> Vec<Vec<u8>> {
        self.fund.lines.clone()
    }

    /// The log key as a verifier key string.
    pub fn log_vkey(&self) -> String {
        self.fund.keys.log.verifier().to_vkey()
    }
}

/// `line` with the first `from` replaced by `to`.
pub fn replace_once(line: &[u8], from: &str, to: &str) -> Vec<u8> {
    let text = std::str::from_utf8(line).expect("utf-8");
    assert!(text.contains(from), "`{from}` not in line");
    text.replacen(from, to, 1).into_bytes()
}

/// What one run of `ledger-verify` did.
#[derive(Debug)]
pub struct Run {
    /// Exit status (None if killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Standard output parsed as the `--json` object.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }

    /// (code, seq) of every finding of a `--json` run.
    pub fn findings(&self) -> Vec<(String, Option<u64>)> {
        self.json()["findings"]
            .as_array()
            .expect("findings array")
            .iter()
            .map(|f| {
                (
                    f["code"].as_str().expect("code").to_owned(),
                    f["seq"].as_u64(),
                )
            })
            .collect()
    }

    /// The first finding of a `--json` run, which must exit 1.
    pub fn first(&self) -> (String, Option<u64>) {
        assert_eq!(self.code, Some(1), "expected findings: {self:?}");
        self.findings()
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no finding: {self:?}"))
    }

    /// Asserts an unusable-input exit: status 2, one line on stderr, no panic.
    pub fn assert_unusable(&self, says: &str) {
        assert_eq!(self.code, Some(2), "{self:?}");
        assert!(self.stdout.is_empty(), "{self:?}");
        assert_eq!(self.stderr.trim_end().lines().count(), 1, "{self:?}");
        assert!(self.stderr.starts_with("ledger-verify: "), "{self:?}");
        assert!(!self.stderr.contains("panicked"), "{self:?}");
        assert!(!self.stderr.contains("internal error"), "{self:?}");
        assert!(
            self.stderr.contains(says),
            "stderr should say `{says}`: {self:?}"
        );
    }
}

/// Runs `ledger-verify` with `args`.
pub fn run(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_ledger-verify"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("running ledger-verify");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A temporary folder for files of one test.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary folder")
}

/// Writes `bytes` to `name` in `dir`.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("writing a test file");
    path
}

/// Verifies `export` (written to a temporary file) with `--json` and `extra` arguments.
pub fn verify_json(export: &[u8], extra: &[&str]) -> Run {
    let dir = tempdir();
    let path = write(dir.path(), "export.ndjson", export);
    let path = path.to_str().expect("utf-8 path");
    let mut args = vec![path, "--json", "--threads", "2"];
    args.extend_from_slice(extra);
    let r = run(&args);
    assert_same_as_core(&r, export, extra);
    r
}

/// Asserts that ledger-core's `verify_export`, given the same export and the inputs the
/// arguments `extra` name, reports exactly the findings (code, seq, line) the binary
/// reported: every check is the core's (FORMAT.md §10).
pub fn assert_same_as_core(r: &Run, export: &[u8], extra: &[&str]) {
    use ledger_core::keys::PublicKey;
    use ledger_core::since::SavedCheckpoint;
    use ledger_core::verify::{verify_export, Expectations, Inputs};
    use ledger_core::witness_policy::WitnessPolicy;
    let arg = |name: &str| {
        extra
            .iter()
            .position(|a| *a == name)
            .and_then(|i| extra.get(i + 1))
            .map(|v| (*v).to_owned())
    };
    let read = |p: String| std::fs::read_to_string(p).expect("an argument file");
    let since = match arg("--since").map(read).map(|n| SavedCheckpoint::parse(&n)) {
        Some(Err(_)) => {
            assert_eq!(
                r.code,
                Some(2),
                "a bad --since file is unusable input: {r:?}"
            );
            return;
        }
        Some(Ok(s)) => Some(s),
        None => None,
    };
    let policy = match arg("--policy").map(|p| WitnessPolicy::parse(&read(p))) {
        Some(Err(_)) => {
            assert_eq!(r.code, Some(2), "a bad policy is unusable input: {r:?}");
            return;
        }
        Some(Ok(p)) => Some(p),
        None => None,
    };
    let inputs = Inputs {
        expect: Expectations {
            log_key: arg("--log-key"),
            operator_key: arg("--operator-key").map(|k| PublicKey::from_hex(&k).expect("a key")),
        },
        since,
        policy,
    };
    let report = verify_export(export, inputs);
    if r.code == Some(2) {
        assert!(
            report.is_unusable(),
            "the binary found the input unusable, the core did not: {r:?}"
        );
        return;
    }
    let core = ledger_core::sample::findings::places_of_report(&report);
    let binary = ledger_core::sample::findings::places_of_json(&r.json()).expect("findings");
    assert_eq!(binary, core, "ledger-verify and the core disagree");
}
