//! The residents' verifier, `ledger-api/static/verify.js`, in headless Chromium, against
//! ledger-core (FORMAT.md §11, issue 15 items 3 and 4):
//!
//! - every receipt case of the conformance suite (`tests/conformance/manifest.json`) gives
//!   exactly the manifest's expected result through `window.ledgerVerify.verifyReceipt`
//!   (the strict-rule result, `expected_strict`, where the case has one);
//! - on receipts whose entry is mutated member by member (each body member of each kind
//!   replaced by values of every type's edge cases, set to null, removed; unknown members
//!   added), verify.js and ledger-core give the same verdict, the same code and, for
//!   `receipt_entry`, the same inner code;
//! - on the Ed25519 edge cases of `ledger_core::sample::lenient`, verify.js's signature
//!   check is ledger-core's strict rule (`ledger_core::strict`).
//!
//! Without Chromium and chromedriver the tests print SKIP, unless
//! `LEDGER_REQUIRE_BROWSER=1` (CI); without the suite's manifest, unless `CI` is set.

use std::path::Path;

use community_ledger::runtime;
use ledger_core::canonical::canonicalize;
use ledger_core::error::Coded;
use ledger_core::receipt::{parse_receipt, verify_receipt, ReceiptError};
use ledger_core::sample::{build, SampleFund, SampleSpec};
use serde_json::{json, Value};

#[path = "support/browser.rs"]
mod browser;
use browser::{browser_tools, open_browser, verify_js_page, Driver};

/// Runs `verifyReceipt` on each `{receipt, log_key?}`; gives `ok`, or the code, followed by
/// `/` and verify.js's inner entry code for `receipt_entry`.
const RUN_RECEIPTS: &str = r#"
const [cases, done] = arguments;
(async () => {
  const out = [];
  for (const c of cases) {
    const r = await window.ledgerVerify.verifyReceipt(c.receipt, c.log_key || null, c.policy || null);
    out.push(r.ok ? 'ok' : r.code === 'receipt_entry' ? r.code + '/' + r.entry_code : r.code);
  }
  return out;
})().then(done, (e) => done('error: ' + e));
"#;

/// Runs `ed25519Verify` on each `[key hex, signature hex, message hex]`.
const RUN_SIGNATURES: &str = r#"
const [cases, done] = arguments;
const V = window.ledgerVerify;
Promise.all(cases.map((c) => V.ed25519Verify(V.hexToBytes(c[0]), V.hexToBytes(c[1]), V.hexToBytes(c[2]))))
  .then(done, (e) => done('error: ' + e));
"#;

/// Runs `cases` (JSON) through `script` in one browser page that loads verify.js.
fn in_browser(script: &'static str, batches: Vec<Vec<Value>>) -> Option<Vec<Value>> {
    let (chromium, chromedriver) = browser_tools("verify.js")?;
    let dir = tempfile::tempdir().expect("temp dir");
    let page = verify_js_page(dir.path());
    let profile = tempfile::tempdir().expect("browser profile");
    let driver = Driver::start(&chromedriver, &dir.path().join("chromedriver.log"));
    let out = runtime().block_on(async {
        let b = open_browser(&chromium, &driver, profile.path()).await;
        b.goto(&page).await.expect("the test page");
        let mut out = Vec::new();
        for batch in batches {
            let got = b
                .execute_async(script, vec![json!(batch)])
                .await
                .expect("verify.js ran");
            let got = got.as_array().unwrap_or_else(|| panic!("verify.js: {got}"));
            assert_eq!(got.len(), batch.len(), "one answer per case");
            out.extend(got.iter().cloned());
        }
        b.close().await.expect("closing the browser");
        out
    });
    drop(driver);
    Some(out)
}

/// ledger-core's answer for a receipt, in [`RUN_RECEIPTS`]' form.
fn core_answer(receipt: &[u8]) -> String {
    match parse_receipt(receipt).and_then(|r| verify_receipt(&r)) {
        Ok(_) => "ok".into(),
        Err(ReceiptError::Entry(e)) => format!("receipt_entry/{}", e.code()),
        Err(e) => e.code().into(),
    }
}

// ---- the conformance suite -------------------------------------------------------------

#[test]
fn conformance_receipts_in_the_browser() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let Ok(text) = std::fs::read_to_string(dir.join("manifest.json")) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but tests/conformance/manifest.json is missing"
        );
        eprintln!("SKIP: no tests/conformance/manifest.json");
        return;
    };
    let manifest: Value = serde_json::from_str(&text).expect("the manifest is JSON");
    let mut names = Vec::new();
    let mut cases = Vec::new();
    let mut want = Vec::new();
    for c in manifest["cases"].as_array().expect("cases") {
        if c["kind"] != "receipt" {
            continue;
        }
        let file = c["file"].as_str().expect("file");
        let receipt = std::fs::read_to_string(dir.join(file)).expect("the case's file");
        // The page takes its policy as JSON (`data-policy`), made as the server makes it.
        let policy = c["args"]["policy"].as_str().map(|text| {
            ledger_core::witness_policy::WitnessPolicy::parse(text)
                .expect("the case's policy parses")
                .reader_json()
        });
        // verify.js is a strict-rule verifier (FORMAT.md §3): its expected result is
        // `expected_strict` where the case has one.
        let expected = c.get("expected_strict").unwrap_or(&c["expected"]);
        let answer = match expected["exit"].as_u64() {
            Some(0) => "ok".to_owned(),
            _ => expected["findings"][0]["code"]
                .as_str()
                .expect("a receipt's finding")
                .to_owned(),
        };
        names.push(c["name"].as_str().unwrap_or_default().to_owned());
        cases.push(json!({"receipt": receipt, "log_key": c["args"]["log_key"], "policy": policy}));
        want.push(answer);
    }
    assert!(!cases.is_empty(), "the suite has receipt cases");
    let Some(got) = in_browser(RUN_RECEIPTS, vec![cases]) else {
        return;
    };
    let mut wrong = Vec::new();
    for ((name, want), got) in names.iter().zip(&want).zip(&got) {
        // The inner code after `/` is verify.js's detail; the manifest names the check.
        let got = got.as_str().unwrap_or_default();
        let code = got.split('/').next().unwrap_or_default();
        if code != want {
            wrong.push(format!("{name}: expected {want}, verify.js says {got}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} receipt cases wrong:\n{}",
        wrong.len(),
        want.len(),
        wrong.join("\n")
    );
    eprintln!("conformance: {} receipt cases pass in Chromium", want.len());
}

// ---- differential: mutated receipts ------------------------------------------------------

/// String values that break (or not) each value type of FORMAT.md §2 at its edges.
fn string_variants() -> Vec<String> {
    let mut v: Vec<String> = [
        "",
        " ",
        "x",
        " x",
        "x ",
        "\u{3000}x",
        "x\u{85}",
        "x\u{feff}",
        "a\u{0}b",
        "a\nb",
        "a\u{7f}",
        "066.00",
        "0.00",
        "-0.00",
        "1.0",
        "1.000",
        "1",
        "1e3",
        "+1.00",
        "１.00",
        "1000000000.00",
        "1000000000.01",
        "-5.00",
        "0.0001",
        "1.0000",
        "1.0001",
        "0.10000",
        "-0.0000",
        "1000000000000000.00",
        "1000000000000000.01",
        "-1000000000000000.00",
        "2026-02-29",
        "2028-02-29",
        "2026-13-01",
        "1998-12-31",
        "1999-01-01",
        "3000-12-31",
        "3001-01-01",
        "2026-1-01",
        "2026-01-01T00:00:00Z",
        "2026-01-01T24:00:00Z",
        "2026-01-01T00:00:00+08:00",
        "2026-01-01T00:00:00.5Z",
        "2026-01-01T00:00:00",
        "1999-12-31T23:59:59Z",
        "3000-01-01T00:00:00Z",
        "00:00",
        "24:00",
        "23:60",
        "24:01",
        "7:00",
        "mon",
        "Mon",
        "+08:00",
        "-00:00",
        "+14:00",
        "+14:01",
        "-14:00",
        "+08:60",
        "CNY",
        "cny",
        "cash",
        "resident",
        "anonymous",
        "revenue",
        "profit",
        "other",
        "SP-1",
        "-SP",
        "SP_1",
        "sp 1",
        "abc-",
        "-abc",
        "a.b",
        "91510100MA61234567",
        "91510100MA6123456X",
        "91510100ma61234567",
        "915101AAMA61234567",
        "9151010",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    v.push("名".repeat(200));
    v.push("名".repeat(201));
    v.push("x".repeat(2000));
    v.push("x".repeat(2001));
    v.push("A".repeat(64));
    v.push("A".repeat(65));
    v.push("a".repeat(48));
    v.push("a".repeat(49));
    v.push("0".repeat(64));
    v.push("F".repeat(64));
    // Keys: the identity (small order), a point that is not on the curve, the base point.
    v.push(format!("01{}", "0".repeat(62)));
    v.push(format!("02{}", "0".repeat(62)));
    v.push("5866666666666666666666666666666666666666666666666666666666666666".into());
    v.push(hex::encode(
        ledger_core::sample::lenient::non_canonical_key(),
    ));
    v
}

/// Non-string values.
fn other_variants() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(0),
        json!(1),
        json!(-1),
        json!(1.5),
        json!(4294967296u64),
        json!(9007199254740993u64),
        json!([]),
        json!({}),
    ]
}

/// Every mutation of `v` at `path` and below: each leaf replaced by each variant, each
/// member removed or set to null, an unknown member added to each object, each array
/// emptied or its first element doubled.
fn mutations(v: &Value, strings: &[String], others: &[Value], out: &mut Vec<Value>) {
    fn at(root: &Value, path: &[PathStep], f: &dyn Fn(&mut Value)) -> Value {
        let mut r = root.clone();
        let mut cur = &mut r;
        for step in path {
            cur = match step {
                PathStep::Key(k) => &mut cur[k.as_str()],
                PathStep::Index(i) => &mut cur[*i],
            };
        }
        f(cur);
        r
    }
    #[derive(Clone)]
    enum PathStep {
        Key(String),
        Index(usize),
    }
    fn walk(
        root: &Value,
        cur: &Value,
        path: &mut Vec<PathStep>,
        strings: &[String],
        others: &[Value],
        out: &mut Vec<Value>,
    ) {
        match cur {
            Value::Object(m) => {
                out.push(at(root, path, &|x| {
                    x["zz_unknown"] = json!("x");
                }));
                for (k, child) in m {
                    let key = k.clone();
                    out.push(at(root, path, &|x| {
                        if let Some(o) = x.as_object_mut() {
                            o.remove(&key);
                        }
                    }));
                    path.push(PathStep::Key(k.clone()));
                    walk(root, child, path, strings, others, out);
                    path.pop();
                }
            }
            Value::Array(a) => {
                out.push(at(root, path, &|x| *x = json!([])));
                if let Some(first) = a.first() {
                    let first = first.clone();
                    out.push(at(root, path, &|x| {
                        if let Some(a) = x.as_array_mut() {
                            a.push(first.clone());
                        }
                    }));
                    path.push(PathStep::Index(0));
                    walk(root, &a[0], path, strings, others, out);
                    path.pop();
                }
            }
            _ => {
                for s in strings {
                    out.push(at(root, path, &|x| *x = json!(s)));
                }
                for o in others {
                    out.push(at(root, path, &|x| *x = o.clone()));
                }
            }
        }
    }
    walk(v, v, &mut Vec::new(), strings, others, out);
}

/// The fund the differential test mutates: every kind of entry.
/// A fund with every common kind and restricted money (a restriction, restricted gifts and
/// spending, its closing, two-column statements), so that every body verify.js knows is
/// mutated.
fn sample() -> SampleFund {
    let mut spec = SampleSpec::example("js-diff", 11, 160, 8);
    spec.story = Some(ledger_core::sample::Story::restricted_example(false));
    build(&spec, "ledger.example").expect("sample fund")
}

#[test]
fn verify_js_and_ledger_core_agree_on_mutated_receipts() {
    let fund = sample();
    let strings = string_variants();
    let others = other_variants();
    // The last entry of each kind, and one signed by several keys.
    let mut targets: Vec<(usize, Value)> = Vec::new();
    for (seq, line) in fund.lines.iter().enumerate().rev() {
        let v: Value = serde_json::from_slice(line).expect("an entry");
        if !targets
            .iter()
            .any(|(_, t)| t["intent"]["kind"] == v["intent"]["kind"])
        {
            targets.push((seq, v));
        }
    }
    let kinds: Vec<&str> = targets
        .iter()
        .filter_map(|(_, v)| v["intent"]["kind"].as_str())
        .collect();
    assert!(kinds.len() >= 9, "the sample has most kinds: {kinds:?}");
    for k in ["restriction", "restriction_closing"] {
        assert!(kinds.contains(&k), "no {k} in {kinds:?}");
    }
    let mut receipts: Vec<Value> = Vec::new();
    let mut core: Vec<String> = Vec::new();
    for (seq, entry) in &targets {
        let mut mutated = Vec::new();
        mutations(&entry["intent"]["body"], &strings, &others, &mut mutated);
        let mut entries: Vec<Value> = mutated
            .into_iter()
            .map(|body| {
                let mut e = entry.clone();
                e["intent"]["body"] = body;
                e
            })
            .collect();
        // And the entry's and the intent's own members, once each.
        let mut head = Vec::new();
        let mut shell = entry.clone();
        shell["intent"]["body"] = json!({});
        mutations(&shell, &strings[..12], &others, &mut head);
        for h in head {
            let mut e = h;
            if e["intent"]["body"] == json!({}) {
                e["intent"]["body"] = entry["intent"]["body"].clone();
            }
            entries.push(e);
        }
        for e in entries {
            let mut lines = fund.lines.clone();
            lines[*seq] = canonicalize(&e);
            let r = fund.receipt_of(&lines, *seq as u64).expect("a receipt");
            let text = serde_json::to_string(&r).expect("receipt JSON");
            core.push(core_answer(text.as_bytes()));
            receipts.push(json!({ "receipt": text }));
        }
    }
    // Non-canonical lines: the byte-level checks come first.
    let (seq, _) = &targets[0];
    for raw in [
        |l: &str| l.replacen(':', ": ", 1),
        |l: &str| format!("{l} "),
        |l: &str| l.replacen("\"v\":1", "\"v\":1.0", 1),
    ] {
        let mut lines = fund.lines.clone();
        lines[*seq] = raw(std::str::from_utf8(&fund.lines[*seq]).expect("UTF-8")).into_bytes();
        let r = fund.receipt_of(&lines, *seq as u64).expect("a receipt");
        let text = serde_json::to_string(&r).expect("receipt JSON");
        core.push(core_answer(text.as_bytes()));
        receipts.push(json!({ "receipt": text }));
    }
    let verdicts: std::collections::BTreeSet<&str> = core.iter().map(String::as_str).collect();
    assert!(
        verdicts.contains("intent_signature") && verdicts.len() > 20,
        "the mutations reach many codes: {verdicts:?}"
    );
    let batches: Vec<Vec<Value>> = receipts.chunks(400).map(<[Value]>::to_vec).collect();
    let Some(got) = in_browser(RUN_RECEIPTS, batches) else {
        return;
    };
    let mut wrong = Vec::new();
    for (i, (want, got)) in core.iter().zip(&got).enumerate() {
        if got.as_str() != Some(want.as_str()) {
            let entry =
                serde_json::from_str::<Value>(receipts[i]["receipt"].as_str().unwrap_or("{}"))
                    .map(|r| r["entry"].clone())
                    .unwrap_or_default();
            let why = parse_receipt(receipts[i]["receipt"].as_str().unwrap_or("").as_bytes())
                .and_then(|r| verify_receipt(&r))
                .err()
                .map(|e| e.message_en())
                .unwrap_or_default();
            wrong.push(format!(
                "ledger-core {want} ({why}), verify.js {got}: {entry}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} mutated receipts differ:\n{}",
        wrong.len(),
        core.len(),
        wrong
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    eprintln!(
        "differential: {} mutated receipts, {} distinct answers, all equal",
        core.len(),
        verdicts.len()
    );
}

// ---- the signature rule ----------------------------------------------------------------------

#[test]
fn verify_js_verifies_signatures_by_the_strict_rule() {
    use ledger_core::keys::PublicKey;
    use ledger_core::sample::key_from_label;
    use ledger_core::sample::lenient::{lenient_signature, Lenient, EDGE_CASES};
    use ledger_core::strict::signature_is_strict;

    let key = key_from_label("verify.js strict");
    let pk = PublicKey::from_verifying_key(key.verifying_key());
    let msg = b"community-ledger/intent/v1\n{}";
    let mut forms: Vec<Lenient> = EDGE_CASES.iter().map(|(_, f)| *f).collect();
    for torsion in 0..8 {
        forms.push(Lenient::TorsionR { torsion, nonce: 7 });
        forms.push(Lenient::SmallOrderR { torsion });
    }
    let mut cases = Vec::new();
    let mut want = Vec::new();
    for f in forms {
        let sig = lenient_signature(&key, msg, f);
        cases.push(json!([pk.to_hex(), sig.to_hex(), hex::encode(msg)]));
        want.push(json!(signature_is_strict(&pk, msg, &sig)));
    }
    assert!(want.contains(&json!(true)) && want.contains(&json!(false)));
    let Some(got) = in_browser(RUN_SIGNATURES, vec![cases]) else {
        return;
    };
    assert_eq!(
        got, want,
        "verify.js's signature check is ledger-core's strict rule"
    );
}
