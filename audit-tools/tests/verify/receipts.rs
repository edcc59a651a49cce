//! `ledger receipt verify --policy`: a receipt whose checkpoint the quorum cosigned is
//! valid and says who witnessed it; one lacking a witness is refused as not yet
//! witnessed; a tampered cosignature or a policy of another log key is invalid; a bad
//! policy file is a usage error. The real `ledger` binary, offline.

use std::process::{Command, Stdio};

use ledger_core::checkpoint::Checkpoint;
use ledger_core::cosignature::CosignerKey;
use ledger_core::note::NoteSigner;
use ledger_core::sample::key_from_label;

use crate::support::{fixture, tempdir, write, Run};

const COSIGNED_AT: u64 = 1_796_090_400;

fn witnesses() -> [CosignerKey; 2] {
    [
        CosignerKey::from_seed("hexing.example/juweihui", &[0x11; 32]).unwrap(),
        CosignerKey::from_seed("pidu.example/minzhengju", &[0x22; 32]).unwrap(),
    ]
}

fn policy(log_vkey: &str) -> String {
    let [a, b] = witnesses();
    format!(
        "log {log_vkey}\nwitness juweihui {}\nwitness minzhengju {}\n\
         group both all juweihui minzhengju\nquorum both\n",
        a.verifier().to_vkey(),
        b.verifier().to_vkey()
    )
}

/// A receipt of the fixture's first donation, its checkpoint cosigned by `cosigners`.
fn receipt(cosigners: &[&CosignerKey]) -> String {
    let fx = fixture();
    let seq = fx.seqs_of(ledger_core::body::Kind::Donation)[0] as u64;
    let mut r = fx.fund.receipt(seq, false).unwrap();
    let cp = Checkpoint::open(&r.checkpoint, &fx.fund.keys.log.verifier()).unwrap();
    for c in cosigners {
        r.checkpoint
            .push_str(&c.signature_line(&cp, COSIGNED_AT).unwrap());
    }
    serde_json::to_string(&r).unwrap()
}

/// Runs `ledger receipt verify` on `receipt` with `policy` (as a file) and `extra`.
fn verify(receipt: &str, policy: Option<&str>, extra: &[&str]) -> Run {
    let dir = tempdir();
    let rp = write(dir.path(), "receipt.json", receipt.as_bytes());
    let mut args = vec![
        "receipt".to_owned(),
        "verify".to_owned(),
        rp.to_str().unwrap().to_owned(),
    ];
    if let Some(p) = policy {
        let pp = write(dir.path(), "policy.txt", p.as_bytes());
        args.extend(["--policy".to_owned(), pp.to_str().unwrap().to_owned()]);
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let out = Command::new(env!("CARGO_BIN_EXE_ledger"))
        .args(&args)
        .env("LEDGER_URL", "http://127.0.0.1:9")
        .stdin(Stdio::null())
        .output()
        .expect("running ledger");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn a_receipt_cosigned_by_the_quorum_is_valid_and_names_its_witnesses() {
    let [a, b] = witnesses();
    let log = fixture().log_vkey();
    let r = verify(
        &receipt(&[&a, &b]),
        Some(&policy(&log)),
        &["--log-key", &log],
    );
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("receipt VALID"), "{r:?}");
    assert!(
        r.stdout.contains(
            "witnesses: quorum met; witnessed by juweihui (2026-12-01T02:00:00Z), minzhengju (2026-12-01T02:00:00Z)"
        ),
        "{r:?}"
    );
    // Without --policy the receipt is valid, and the output says the witnesses were not
    // checked.
    let r = verify(&receipt(&[]), None, &[]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("witnesses: NOT checked"), "{r:?}");
}

#[test]
fn a_receipt_lacking_the_quorum_is_not_yet_witnessed() {
    let [a, _] = witnesses();
    let r = verify(&receipt(&[&a]), Some(&policy(&fixture().log_vkey())), &[]);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stdout.is_empty(), "{r:?}");
    assert!(
        r.stderr
            .contains("receipt NOT YET WITNESSED (witness_quorum_not_met)"),
        "{r:?}"
    );
    assert!(
        r.stderr.contains("ask for a new receipt in a minute"),
        "{r:?}"
    );
    assert!(r.stderr.contains("witness minzhengju"), "{r:?}");
}

#[test]
fn a_tampered_cosignature_or_another_log_is_invalid() {
    let [a, b] = witnesses();
    let good = receipt(&[&a, &b]);
    // The last cosignature (minzhengju's) has one base64 character changed past its key
    // id: find it as the last signature line of the checkpoint.
    let doc: serde_json::Value = serde_json::from_str(&good).unwrap();
    let note = doc["checkpoint"].as_str().unwrap();
    let last = note.trim_end().rsplit('\n').next().unwrap();
    let sig = last.rsplit(' ').next().unwrap();
    let swapped = if &sig[30..31] == "A" { "B" } else { "A" };
    let bad_sig = format!("{}{swapped}{}", &sig[..30], &sig[31..]);
    let tampered = good.replace(sig, &bad_sig);
    assert_ne!(tampered, good);
    let r = verify(&tampered, Some(&policy(&fixture().log_vkey())), &[]);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(
        r.stderr
            .contains("receipt INVALID (witness_cosignature_invalid)"),
        "{r:?}"
    );

    let other = NoteSigner::new("ledger.example", key_from_label("another log"))
        .unwrap()
        .verifier()
        .to_vkey();
    let r = verify(&good, Some(&policy(&other)), &[]);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(
        r.stderr.contains("receipt INVALID (policy_log_mismatch)"),
        "{r:?}"
    );
}

#[test]
fn a_bad_policy_file_is_a_usage_error() {
    let [a, b] = witnesses();
    let bad = policy(&fixture().log_vkey()).replace("witness juweihui", "witness none");
    let r = verify(&receipt(&[&a, &b]), Some(&bad), &[]);
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(r.stderr.contains("witness policy line 2:"), "{r:?}");
    assert!(r.stdout.is_empty(), "{r:?}");
}
