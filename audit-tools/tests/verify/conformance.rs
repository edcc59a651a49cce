//! The conformance suite (`tests/conformance/`, FORMAT.md §12.4) through the shipped
//! verifiers: every export case through `ledger-verify --json` and every receipt case
//! through `ledger receipt verify`, each against the manifest's expected exit status and
//! findings (the manifest is the only oracle); and every export case through
//! ledger-core's `verify_export` too, which must report exactly what the binary reports.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ledger_core::keys::PublicKey;
use ledger_core::since::SavedCheckpoint;
use ledger_core::verify::{verify_export, Expectations, Inputs};
use ledger_core::witness_policy::WitnessPolicy;
use serde_json::{json, Value};

use crate::support::{tempdir, write};

/// The suite's folder.
pub fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance")
}

/// The manifest's cases.
pub fn manifest_cases() -> Vec<Value> {
    let text = std::fs::read(suite_dir().join("manifest.json")).expect("the manifest");
    let manifest: Value = serde_json::from_slice(&text).expect("the manifest is JSON");
    assert_eq!(manifest["version"], 1);
    manifest["cases"].as_array().expect("cases").clone()
}

/// What a verifier did with a case: exit status and findings, as the manifest writes them.
#[derive(Debug, PartialEq)]
struct Outcome {
    exit: i64,
    findings: Vec<Value>,
}

fn expected(case: &Value) -> Outcome {
    Outcome {
        exit: case["expected"]["exit"].as_i64().expect("exit"),
        findings: case["expected"]["findings"]
            .as_array()
            .expect("findings")
            .clone(),
    }
}

/// A finding as the manifest writes it: at its seq when it has one, else at its line.
fn placed(seq: Option<u64>, line: u64, code: &str) -> Value {
    match seq {
        Some(s) => json!({"seq": s, "code": code}),
        None => json!({"line": line, "code": code}),
    }
}

/// The code in an unusable-input message (`…: <code>: …`), as the manifest expects it.
fn unusable_code(stderr: &str) -> Option<String> {
    stderr
        .split(": ")
        .find(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        .map(str::to_owned)
}

/// Runs `ledger-verify --json` on an export case.
fn run_export(case: &Value, dir: &Path) -> Outcome {
    let file = suite_dir().join(case["file"].as_str().expect("file"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ledger-verify"));
    cmd.arg(&file).args(["--json", "--threads", "2"]);
    let args = &case["args"];
    if let Some(k) = args["log_key"].as_str() {
        cmd.args(["--log-key", k]);
    }
    if let Some(k) = args["operator_key"].as_str() {
        cmd.args(["--operator-key", k]);
    }
    if let Some(note) = args["since"]["checkpoint"].as_str() {
        cmd.arg("--since")
            .arg(write(dir, "since.txt", note.as_bytes()));
    }
    if let Some(p) = args["policy"].as_str() {
        cmd.arg("--policy")
            .arg(write(dir, "policy.txt", p.as_bytes()));
    }
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .expect("running ledger-verify");
    let exit = i64::from(out.status.code().expect("an exit status"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    if exit == 2 {
        let code = unusable_code(&stderr).unwrap_or_default();
        let line = expected(case).findings.first().cloned();
        // An unusable input is one line on stderr naming its code; where it is, is the
        // manifest's (line 1 for a header, line 0 for a --since file).
        let place = line.map(|f| f["line"].as_u64().unwrap_or(0)).unwrap_or(0);
        return Outcome {
            exit,
            findings: vec![placed(None, place, &code)],
        };
    }
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: stdout is not JSON ({e}); stderr {stderr}",
            case["name"]
        )
    });
    let findings = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            placed(
                f["seq"].as_u64(),
                f["line"].as_u64().expect("line"),
                f["code"].as_str().expect("code"),
            )
        })
        .collect();
    Outcome { exit, findings }
}

/// Runs `ledger receipt verify` on a receipt case.
fn run_receipt(case: &Value, dir: &Path) -> Outcome {
    let file = suite_dir().join(case["file"].as_str().expect("file"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ledger"));
    cmd.args(["receipt", "verify"]).arg(&file);
    let args = &case["args"];
    if let Some(k) = args["log_key"].as_str() {
        cmd.args(["--log-key", k]);
    }
    if let Some(p) = args["policy"].as_str() {
        cmd.arg("--policy")
            .arg(write(dir, "policy.txt", p.as_bytes()));
    }
    let out = cmd
        .env_remove("LEDGER_KEY")
        .stdin(Stdio::null())
        .output()
        .expect("running ledger");
    let exit = i64::from(out.status.code().expect("an exit status"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let findings = match exit {
        0 => Vec::new(),
        _ => {
            // `receipt INVALID (<code>): …` or `receipt NOT YET WITNESSED (<code>): …`.
            let code = stderr
                .split_once(" (")
                .and_then(|(_, rest)| rest.split_once(')'))
                .map(|(code, _)| code.to_owned())
                .unwrap_or_else(|| panic!("{}: no code in {stderr}", case["name"]));
            vec![json!({ "code": code })]
        }
    };
    Outcome { exit, findings }
}

/// Verifies an export case with ledger-core alone.
fn run_core(case: &Value) -> Outcome {
    let file = suite_dir().join(case["file"].as_str().expect("file"));
    let bytes = std::fs::read(file).expect("the case file");
    let args = &case["args"];
    let since = match args["since"]["checkpoint"]
        .as_str()
        .map(SavedCheckpoint::parse)
    {
        None => None,
        Some(Ok(s)) => Some(s),
        Some(Err(f)) => {
            return Outcome {
                exit: 2,
                findings: vec![placed(None, f.line, f.code)],
            }
        }
    };
    let inputs = Inputs {
        expect: Expectations {
            log_key: args["log_key"].as_str().map(str::to_owned),
            operator_key: args["operator_key"]
                .as_str()
                .map(|k| PublicKey::from_hex(k).expect("an operator key")),
        },
        since,
        policy: args["policy"]
            .as_str()
            .map(|p| WitnessPolicy::parse(p).expect("a policy")),
    };
    let report = verify_export(&bytes, inputs);
    if let Some(f) = report.unusable() {
        return Outcome {
            exit: 2,
            findings: vec![placed(None, f.line, f.code)],
        };
    }
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| placed(f.seq, f.line, f.code))
        .collect();
    let exit = if findings.is_empty() { 0 } else { 1 };
    Outcome { exit, findings }
}

#[test]
fn every_case_gives_the_expected_results_in_the_shipped_verifiers() {
    let dir = tempdir();
    let mut failures = Vec::new();
    let cases = manifest_cases();
    assert!(!cases.is_empty());
    for case in &cases {
        let name = case["name"].as_str().expect("name");
        let want = expected(case);
        let got = match case["kind"].as_str() {
            Some("export") => run_export(case, dir.path()),
            Some("receipt") => run_receipt(case, dir.path()),
            other => panic!("{name}: unknown kind {other:?}"),
        };
        if got != want {
            failures.push(format!("{name}: expected {want:?}\n      got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_core_and_ledger_verify_report_the_same_findings_on_every_export_case() {
    let dir = tempdir();
    let mut failures = Vec::new();
    for case in manifest_cases().iter().filter(|c| c["kind"] == "export") {
        let binary = run_export(case, dir.path());
        let core = run_core(case);
        if binary != core {
            failures.push(format!(
                "{}: ledger-verify {binary:?}\n      core {core:?}",
                case["name"]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
