//! `--policy`: an export whose checkpoint two witnesses cosigned verifies clean against a
//! policy that needs both; a witness missing, a tampered cosignature or a policy naming
//! another log key are findings; `quorum none` needs nobody; a malformed policy file is a
//! usage error naming its line.

use ledger_core::checkpoint::Checkpoint;
use ledger_core::cosignature::CosignerKey;
use ledger_core::note::{NoteSigner, NoteVerifier};
use ledger_core::sample::key_from_label;

use crate::support::{fixture, run, tempdir, verify_json, write, Run};

/// When the witnesses cosigned: 2026-12-01T02:00:00Z (10:00 in Beijing).
const COSIGNED_AT: u64 = 1_796_090_400;

fn witnesses() -> [CosignerKey; 2] {
    [
        CosignerKey::from_seed("hexing.example/juweihui", &[0x11; 32]).unwrap(),
        CosignerKey::from_seed("pidu.example/minzhengju", &[0x22; 32]).unwrap(),
    ]
}

/// A policy of `log_vkey`, both witnesses, and `quorum`.
fn policy_text(log_vkey: &str, quorum: &str) -> String {
    let [a, b] = witnesses();
    format!(
        "# the demo's witnesses\nlog {log_vkey}\nwitness juweihui {}\nwitness minzhengju {}\n\
         group both all juweihui minzhengju\nquorum {quorum}\n",
        a.verifier().to_vkey(),
        b.verifier().to_vkey()
    )
}

/// The fixture's export, its checkpoint cosigned by `cosigners`.
fn cosigned_export(cosigners: &[&CosignerKey]) -> Vec<u8> {
    let fx = fixture();
    let mut note = fx.fund.checkpoint_note().unwrap();
    let cp = Checkpoint::open(&note, &fx.fund.keys.log.verifier()).unwrap();
    for c in cosigners {
        note.push_str(&c.signature_line(&cp, COSIGNED_AT).unwrap());
    }
    fx.fund.export_with_note(&fx.fund.lines, note)
}

fn verify_with_policy(export: &[u8], policy: &str) -> Run {
    let dir = tempdir();
    let path = write(dir.path(), "policy.txt", policy.as_bytes());
    verify_json(export, &["--policy", path.to_str().unwrap()])
}

fn both() -> String {
    policy_text(&fixture().log_vkey(), "both")
}

#[test]
fn a_checkpoint_cosigned_by_the_quorum_is_clean() {
    let [a, b] = witnesses();
    let r = verify_with_policy(&cosigned_export(&[&a, &b]), &both());
    assert_eq!(r.code, Some(0), "{r:?}");
    let w = &r.json()["summary"]["witnesses"];
    assert_eq!(w["quorum_met"], true, "{r:?}");
    assert_eq!(w["witnessed"][0]["witness"], "juweihui");
    assert_eq!(w["witnessed"][1]["witness"], "minzhengju");
    assert_eq!(w["witnessed"][1]["timestamp"], COSIGNED_AT);
    assert_eq!(w["witnessed"][1]["time"], "2026-12-01T02:00:00Z");
    // Without --policy, the same export verifies, and the cosignatures are not judged.
    let r = verify_json(&cosigned_export(&[&a, &b]), &[]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.json()["summary"]["witnesses"].is_null());
    // The readable report says who witnessed it.
    let dir = tempdir();
    let export = write(dir.path(), "e.ndjson", &cosigned_export(&[&a, &b]));
    let policy = write(dir.path(), "p.txt", both().as_bytes());
    let r = run(&[
        export.to_str().unwrap(),
        "--policy",
        policy.to_str().unwrap(),
    ]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(
        r.stdout.contains(
            "witnesses:   the policy's quorum is met: witnessed by juweihui (2026-12-01T02:00:00Z), minzhengju"
        ),
        "{r:?}"
    );
}

#[test]
fn a_missing_witness_is_a_finding_that_names_it() {
    let [a, _] = witnesses();
    let r = verify_with_policy(&cosigned_export(&[&a]), &both());
    assert_eq!(r.first(), ("witness_quorum_not_met".to_owned(), None));
    assert_eq!(r.findings().len(), 1, "{r:?}");
    let f = &r.json()["findings"][0];
    let msg = f["message"].as_str().unwrap();
    assert!(msg.contains("witnessed by juweihui"), "{msg}");
    assert!(msg.contains("witness minzhengju"), "{msg}");
    assert!(msg.contains("group both needs 2 of 2, has 1"), "{msg}");
    // The checkpoint's line: after the header and every entry.
    assert_eq!(f["line"], fixture().fund.lines.len() as u64 + 2);
    assert_eq!(r.json()["summary"]["witnesses"]["quorum_met"], false);
    // No cosignature at all.
    let r = verify_with_policy(&cosigned_export(&[]), &both());
    assert_eq!(r.first().0, "witness_quorum_not_met");
    // But one witness is enough for `any`.
    let any = both().replace("group both all", "group both any");
    let r = verify_with_policy(&cosigned_export(&[&a]), &any);
    assert_eq!(r.code, Some(0), "{r:?}");
}

#[test]
fn a_tampered_cosignature_is_a_finding() {
    let [a, b] = witnesses();
    let export = String::from_utf8(cosigned_export(&[&a, &b])).unwrap();
    // One base64 character of the last cosignature, past its key id, changed.
    let line = b.signature_line(
        &Checkpoint::open(
            &fixture().fund.checkpoint_note().unwrap(),
            &fixture().fund.keys.log.verifier(),
        )
        .unwrap(),
        COSIGNED_AT,
    );
    let line = line.unwrap();
    let sig = line.trim_end().rsplit(' ').next().unwrap();
    let at = 30;
    let swapped = if &sig[at..at + 1] == "A" { "B" } else { "A" };
    let tampered_sig = format!("{}{swapped}{}", &sig[..at], &sig[at + 1..]);
    assert_eq!(export.matches(sig).count(), 1);
    let tampered = export.replace(sig, &tampered_sig);
    let r = verify_with_policy(tampered.as_bytes(), &both());
    assert_eq!(r.first(), ("witness_cosignature_invalid".to_owned(), None));
    assert!(
        r.json()["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("pidu.example/minzhengju"),
        "{r:?}"
    );
    // The log signature is untouched: without --policy the export is clean.
    assert_eq!(verify_json(tampered.as_bytes(), &[]).code, Some(0));
}

#[test]
fn a_policy_with_another_log_key_is_a_finding() {
    let [a, b] = witnesses();
    let other = NoteSigner::new("ledger.example", key_from_label("another log"))
        .unwrap()
        .verifier()
        .to_vkey();
    let r = verify_with_policy(&cosigned_export(&[&a, &b]), &policy_text(&other, "both"));
    assert_eq!(r.first(), ("policy_log_mismatch".to_owned(), None));
    assert_eq!(r.findings().len(), 1, "{r:?}");
    // The right key under a name that does not correspond to the origin.
    let fx = fixture();
    let renamed = NoteVerifier::new(
        "elsewhere.example",
        *fx.fund.keys.log.verifier().verifying_key(),
    )
    .unwrap()
    .to_vkey();
    let r = verify_with_policy(&cosigned_export(&[&a, &b]), &policy_text(&renamed, "both"));
    assert_eq!(r.first().0, "policy_log_mismatch");
}

#[test]
fn quorum_none_needs_no_witness() {
    let r = verify_with_policy(
        &cosigned_export(&[]),
        &policy_text(&fixture().log_vkey(), "none"),
    );
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(r.json()["summary"]["witnesses"]["quorum_met"], true);
}

#[test]
fn a_bad_policy_file_is_a_usage_error_with_its_line() {
    let [a, b] = witnesses();
    let export = cosigned_export(&[&a, &b]);
    let bad = both().replace("group both all", "group both three");
    let r = verify_with_policy(&export, &bad);
    r.assert_unusable("witness policy line 5:");
    let r = verify_with_policy(&export, &both().replace("quorum both\n", ""));
    r.assert_unusable("witness policy has no quorum line");
    let dir = tempdir();
    let export_path = write(dir.path(), "e.ndjson", &export);
    let missing = dir.path().join("no-policy.txt");
    run(&[
        export_path.to_str().unwrap(),
        "--policy",
        missing.to_str().unwrap(),
    ])
    .assert_unusable("--policy: cannot read");
    // The store's checkpoints carry no cosignatures: --db with --policy is refused.
    let policy = write(dir.path(), "p.txt", both().as_bytes());
    run(&[
        "--db",
        "sqlite://no-such.db",
        "--fund",
        "audit-fund",
        "--log-key",
        &fixture().log_vkey(),
        "--origin",
        "ledger.example",
        "--policy",
        policy.to_str().unwrap(),
    ])
    .assert_unusable("--db reads the store's log-signed checkpoint");
}
