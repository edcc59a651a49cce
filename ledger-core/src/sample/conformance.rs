//! The conformance suite for third-party verifiers (`tests/conformance/`, FORMAT.md §12.4).
//!
//! Every case is one function of [`CASES`]: it takes the suite's [`Base`] (one small sample
//! fund, built from a fixed seed at fixed times, and its untouched export) and returns a
//! [`Case`]: the input bytes (an export or a receipt), the arguments a verifier is given,
//! and the expected outcome, written by hand (never computed by a verifier: the manifest is
//! the oracle). [`files`] turns the cases into the files committed under
//! `tests/conformance/`; the example `conformance` writes them, and a test checks that the
//! committed files are exactly what this module generates.
//!
//! To add a case: write one `fn(&Base) -> Result<Case, SampleError>` and list it in
//! [`CASES`]; then run
//! `cargo run -p ledger-core --features sample --example conformance -- tests/conformance`.

use ed25519_dalek::{Signer, SigningKey};
use serde_json::{json, Map, Value};

use super::{build, SampleError, SampleFund, SampleSpec};
use crate::canonical::canonicalize;
use crate::entry::INTENT_SIGNING_PREFIX;
use crate::hash::leaf_hash;
use crate::keys::PublicKey;
use crate::time::Instant;

/// Version of the manifest's format.
pub const MANIFEST_VERSION: u64 = 1;
/// Fund id of the suite's fund.
pub const FUND: &str = "conformance";
/// Deployment origin host (and the log key's name).
pub const HOST: &str = "ledger.example";
/// Seed of the suite's fund.
pub const SEED: u64 = 15;
/// Entries of the suite's fund.
pub const ENTRIES: usize = 48;
/// Months its history spans.
pub const MONTHS: u32 = 3;

/// Whether a case is an export (FORMAT.md §8, §10) or a receipt (§11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseKind {
    /// An NDJSON export, `cases/<name>.jsonl`.
    Export,
    /// A receipt, `cases/<name>.json`.
    Receipt,
}

/// What the verifier is given besides the input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Args {
    /// The log key the auditor trusts (vkey).
    pub log_key: Option<String>,
    /// The operator key the auditor trusts (64 hex digits); exports only.
    pub operator_key: Option<String>,
    /// A checkpoint saved earlier (signed note text): the log must extend it; exports only.
    pub since: Option<String>,
    /// A witness policy (tlog-policy text, FORMAT.md §13).
    pub policy: Option<String>,
}

/// Where a finding is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// At the entry of this seq.
    Seq(u64),
    /// At this 1-based line of the export (0: the `--since` checkpoint).
    Line(u64),
    /// Nowhere in particular (a receipt's one finding).
    Receipt,
}

/// One expected finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// Where.
    pub place: Place,
    /// Its code (FORMAT.md §12).
    pub code: &'static str,
}

/// One case of the suite.
#[derive(Debug, Clone)]
pub struct Case {
    /// File stem, `[a-z0-9_]+`.
    pub name: &'static str,
    /// Export or receipt.
    pub kind: CaseKind,
    /// What the case checks, in one sentence (the manifest's `about`).
    pub about: &'static str,
    /// The input's bytes.
    pub bytes: Vec<u8>,
    /// The verifier's arguments.
    pub args: Args,
    /// Expected exit status: 0 valid, 1 findings, 2 unusable input.
    pub exit: u8,
    /// Expected findings, in the order the verifier reports them.
    pub findings: Vec<Expected>,
    /// What a verifier that checks intent signatures by the strict write rule (FORMAT.md
    /// §3, e.g. verify.js) gives instead, when it differs: exit status and findings (the
    /// manifest's `expected_strict`).
    pub strict: Option<(u8, Vec<Expected>)>,
}

impl Case {
    /// A clean export case: exit 0, no findings.
    pub fn export(name: &'static str, about: &'static str, bytes: Vec<u8>) -> Case {
        Case {
            name,
            kind: CaseKind::Export,
            about,
            bytes,
            args: Args::default(),
            exit: 0,
            findings: Vec::new(),
            strict: None,
        }
    }

    /// A valid receipt case: exit 0, no findings.
    pub fn receipt(name: &'static str, about: &'static str, bytes: Vec<u8>) -> Case {
        Case {
            kind: CaseKind::Receipt,
            ..Case::export(name, about, bytes)
        }
    }

    /// Expects `findings` (exit 1).
    pub fn finds(mut self, findings: &[(Place, &'static str)]) -> Case {
        self.exit = 1;
        self.findings = findings
            .iter()
            .map(|(place, code)| Expected {
                place: *place,
                code,
            })
            .collect();
        self
    }

    /// Expects the receipt to be refused with `code` (exit 1).
    pub fn refused(self, code: &'static str) -> Case {
        self.finds(&[(Place::Receipt, code)])
    }

    /// Expects a strict-rule verifier (FORMAT.md §3) to refuse the receipt with `code`
    /// (exit 1), where a verifier by the read rule gives what the case says otherwise.
    pub fn strict_refused(mut self, code: &'static str) -> Case {
        self.strict = Some((
            1,
            vec![Expected {
                place: Place::Receipt,
                code,
            }],
        ));
        self
    }

    /// Expects the input to be unusable (exit 2) for the reason `code`, at `place`.
    pub fn unusable(mut self, place: Place, code: &'static str) -> Case {
        self.exit = 2;
        self.findings = vec![Expected { place, code }];
        self
    }

    /// With these arguments.
    pub fn with(mut self, args: Args) -> Case {
        self.args = args;
        self
    }

    /// The case's file name under `cases/`.
    pub fn file_name(&self) -> String {
        match self.kind {
            CaseKind::Export => format!("{}.jsonl", self.name),
            CaseKind::Receipt => format!("{}.json", self.name),
        }
    }

    /// The case's manifest entry.
    pub fn manifest_entry(&self) -> Value {
        let mut args = Map::new();
        let mut put = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                args.insert(k.into(), json!(v));
            }
        };
        put("log_key", &self.args.log_key);
        put("operator_key", &self.args.operator_key);
        put("policy", &self.args.policy);
        if let Some(note) = &self.args.since {
            args.insert("since".into(), json!({ "checkpoint": note }));
        }
        let findings = |list: &[Expected]| -> Vec<Value> {
            list.iter()
                .map(|f| match f.place {
                    Place::Seq(s) => json!({"seq": s, "code": f.code}),
                    Place::Line(l) => json!({"line": l, "code": f.code}),
                    Place::Receipt => json!({ "code": f.code }),
                })
                .collect()
        };
        let mut entry = json!({
            "name": self.name,
            "kind": match self.kind { CaseKind::Export => "export", CaseKind::Receipt => "receipt" },
            "about": self.about,
            "file": format!("cases/{}", self.file_name()),
            "args": args,
            "expected": {"exit": self.exit, "findings": findings(&self.findings)},
        });
        if let Some((exit, list)) = &self.strict {
            entry["expected_strict"] = json!({"exit": exit, "findings": findings(list)});
        }
        entry
    }
}

/// What every case starts from: the suite's fund and its export.
pub struct Base {
    /// The sample fund (keys, lines, state).
    pub fund: SampleFund,
    /// Its untouched export.
    pub export: Vec<u8>,
}

impl Base {
    /// Builds the suite's fund.
    pub fn new() -> Result<Base, SampleError> {
        let fund = build(&SampleSpec::example(FUND, SEED, ENTRIES, MONTHS), HOST)?;
        let export = fund.export()?;
        Ok(Base { fund, export })
    }

    /// The entry lines, to edit.
    pub fn lines(&self) -> Vec<Vec<u8>> {
        self.fund.lines.clone()
    }

    /// Entry `seq` as a JSON value.
    pub fn entry_value(&self, seq: usize) -> Result<Value, SampleError> {
        let line = self
            .fund
            .lines
            .get(seq)
            .ok_or_else(|| SampleError(format!("no entry {seq}")))?;
        serde_json::from_slice(line).map_err(|e| SampleError(e.to_string()))
    }

    /// Seq of the last entry of `kind` (its intent's `kind`).
    pub fn last_of(&self, kind: &str) -> Result<usize, SampleError> {
        (0..self.fund.lines.len())
            .rev()
            .find(|s| {
                self.entry_value(*s)
                    .is_ok_and(|v| v["intent"]["kind"] == json!(kind))
            })
            .ok_or_else(|| SampleError(format!("no {kind} entry")))
    }

    /// The export of `lines` with the original checkpoint (which then no longer fits).
    pub fn with_old_checkpoint(&self, lines: &[Vec<u8>]) -> Result<Vec<u8>, SampleError> {
        Ok(self
            .fund
            .export_with_note(lines, self.fund.checkpoint_note()?))
    }

    /// Seq of the last resident donation whose donor identity the vault holds.
    pub fn resident_donation(&self) -> Result<u64, SampleError> {
        self.fund
            .vault
            .last()
            .map(|(seq, _, _)| *seq)
            .ok_or_else(|| SampleError("no resident donation".into()))
    }

    /// The current trustees' signing keys.
    pub fn trustee_keys(&self) -> Vec<SigningKey> {
        self.fund
            .state
            .trustees()
            .keys()
            .filter_map(|k| self.fund.signing_key(k, &[]).cloned())
            .collect()
    }

    /// The intent of the last entry of `kind`, with the idempotency key `key`: a
    /// template to append again (its `signed_at` is set when it is appended).
    pub fn template(&self, kind: &str, key: &str) -> Result<Value, SampleError> {
        let mut intent = self.entry_value(self.last_of(kind)?)?["intent"].clone();
        intent["key"] = json!(key);
        Ok(intent)
    }

    /// Appends to `lines` an entry of `intent` (taken as is, but for a `signed_at` set to
    /// the entry's `recorded_at` when `fix_signed_at`) signed by `signers`, at the next
    /// seq, chained to the last line, recorded a minute after it; `edit` may change the
    /// entry (signatures included) before it is written.
    pub fn push_entry(
        &self,
        lines: &mut Vec<Vec<u8>>,
        mut intent: Value,
        fix_signed_at: bool,
        signers: &[SigningKey],
        edit: impl FnOnce(&mut Value),
    ) -> Result<(), SampleError> {
        let last: Value = lines
            .last()
            .and_then(|l| serde_json::from_slice(l).ok())
            .unwrap_or(Value::Null);
        let last_at = last["recorded_at"]
            .as_str()
            .and_then(|t| Instant::parse(t).ok())
            .ok_or_else(|| SampleError("the last entry has no recorded_at".into()))?;
        let recorded_at = Instant::from_unix_seconds(last_at.unix_seconds() + 60)
            .map_err(|e| SampleError(e.to_string()))?
            .to_string();
        if fix_signed_at {
            intent["signed_at"] = json!(recorded_at);
        }
        let mut message = INTENT_SIGNING_PREFIX.to_vec();
        message.extend_from_slice(&canonicalize(&intent));
        let mut sigs: Vec<(String, String)> = signers
            .iter()
            .map(|k| {
                (
                    PublicKey::from_verifying_key(k.verifying_key()).to_string(),
                    hex::encode(k.sign(&message).to_bytes()),
                )
            })
            .collect();
        sigs.sort();
        let sigs: Vec<Value> = sigs
            .into_iter()
            .map(|(key, sig)| json!({"key": key, "sig": sig}))
            .collect();
        let prev = lines.last().map(|l| leaf_hash(l)).unwrap_or_default();
        let mut entry = json!({
            "v": 1,
            "fund": FUND,
            "seq": lines.len(),
            "prev": prev.to_hex(),
            "recorded_at": recorded_at,
            "intent": intent,
            "sigs": sigs,
        });
        edit(&mut entry);
        lines.push(canonicalize(&entry));
        Ok(())
    }

    /// An export of the whole log plus one more entry: the intent of the last entry of
    /// `template_kind`, with a fresh idempotency key and signing time, changed by `edit`,
    /// signed by all current trustees; with a checkpoint over all of it signed by the log
    /// key. The case then has one finding, at seq [`ENTRIES`] ([`APPENDED`]).
    pub fn appended(
        &self,
        template_kind: &str,
        edit: impl FnOnce(&mut Value),
    ) -> Result<Vec<u8>, SampleError> {
        let mut intent = self.template(template_kind, "conformance-appended")?;
        let mut lines = self.lines();
        // The signing time first, so that `edit` may change it.
        intent["signed_at"] = json!("2000-01-01T00:00:00Z");
        let mut probe = lines.clone();
        self.push_entry(&mut probe, intent.clone(), true, &[], |_| {})?;
        let recorded: Value =
            serde_json::from_slice(probe.last().map_or(&[][..], |l| l.as_slice()))
                .map_err(|e| SampleError(e.to_string()))?;
        intent["signed_at"] = recorded["recorded_at"].clone();
        edit(&mut intent);
        self.push_entry(&mut lines, intent, false, &self.trustee_keys(), |_| {})?;
        self.fund.export_of(&lines)
    }

    /// An export of the whole log plus `line`, with a checkpoint over all of it signed by
    /// the log key.
    pub fn appended_line(&self, line: &[u8]) -> Result<Vec<u8>, SampleError> {
        let mut lines = self.lines();
        lines.push(line.to_vec());
        self.fund.export_of(&lines)
    }
}

/// The seq of the entry [`Base::appended`] adds.
pub const APPENDED: Place = Place::Seq(ENTRIES as u64);

/// A generator of one case, or of a table of them.
#[derive(Clone, Copy)]
pub enum Gen {
    /// One case.
    One(fn(&Base) -> Result<Case, SampleError>),
    /// Several.
    Many(fn(&Base) -> Result<Vec<Case>, SampleError>),
}

/// Every case of the suite, in manifest order. To add one: a function, and its line here.
pub const CASES: &[Gen] = &[
    Gen::One(cases::clean),
    Gen::One(cases::clean_pinned_keys),
    Gen::One(cases::header_missing),
    Gen::One(cases::header_malformed),
    Gen::One(cases::header_log_key_invalid),
    Gen::One(cases::unsupported_format),
    Gen::One(cases::log_key_mismatch),
    Gen::One(cases::operator_key_mismatch),
    Gen::One(cases::edited_amount),
    Gen::One(cases::deleted_entry),
    Gen::One(cases::duplicated_entry),
    Gen::One(cases::seq_out_of_range),
    Gen::One(cases::entry_too_large),
    Gen::One(cases::invalid_utf8),
    Gen::One(cases::invalid_json),
    Gen::One(cases::too_deep),
    Gen::One(cases::not_canonical),
    Gen::One(cases::duplicate_member),
    Gen::One(cases::trailing_data),
    Gen::One(cases::checkpoint_missing),
    Gen::One(cases::final_newline_missing),
    Gen::One(cases::final_newline_and_checkpoint_missing),
    Gen::One(cases::checkpoint_malformed),
    Gen::One(cases::checkpoint_signature),
    Gen::One(cases::checkpoint_origin_mismatch),
    Gen::One(cases::checkpoint_size_mismatch),
    Gen::One(cases::checkpoint_root_mismatch),
    Gen::One(cases::witnessed_clean),
    Gen::One(cases::witness_quorum_not_met),
    Gen::One(cases::witness_cosignature_invalid),
    Gen::One(cases::policy_log_mismatch),
    Gen::One(cases::since_clean),
    Gen::One(cases::since_malformed),
    Gen::One(cases::since_bad_signature),
    Gen::One(cases::since_origin_mismatch),
    Gen::One(cases::since_larger_than_log),
    Gen::One(cases::since_not_consistent),
    Gen::One(cases::appended_clean),
    Gen::One(cases::id_edges),
    Gen::Many(cases::entry_level),
    Gen::Many(cases::rule_breaks),
    Gen::Many(cases::reversals),
    Gen::Many(cases::type_errors),
    Gen::Many(restricted::restrictions),
    Gen::Many(oversight::oversight),
    Gen::Many(cases::receipts),
    Gen::Many(strict::cases),
];

/// The suite: every case, built.
pub fn cases() -> Result<Vec<Case>, SampleError> {
    let base = Base::new()?;
    let mut out = Vec::new();
    for g in CASES {
        match g {
            Gen::One(f) => out.push(f(&base)?),
            Gen::Many(f) => out.extend(f(&base)?),
        }
    }
    Ok(out)
}

/// The suite's files, as paths relative to `tests/conformance/` and their bytes:
/// `manifest.json` and `cases/<name>.<ext>`.
pub fn files(cases: &[Case]) -> Vec<(String, Vec<u8>)> {
    let manifest = json!({
        "version": MANIFEST_VERSION,
        "cases": cases.iter().map(Case::manifest_entry).collect::<Vec<_>>(),
    });
    let mut manifest_bytes = serde_json::to_vec_pretty(&manifest).unwrap_or_default();
    manifest_bytes.push(b'\n');
    let mut out = vec![("manifest.json".to_owned(), manifest_bytes)];
    for c in cases {
        out.push((format!("cases/{}", c.file_name()), c.bytes.clone()));
    }
    out
}

mod cases;
mod oversight;
mod restricted;
mod strict;
