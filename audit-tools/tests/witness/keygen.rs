//! `ledger-witness keygen`: an owner-only key file, never overwritten; `serve` refuses a
//! key file others can read.

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

use crate::support::{cli, data_of, new_witness, BIN};

#[test]
fn key_file_is_owner_only_and_never_overwritten() {
    let dir = new_witness("witness.example/keygen", None);
    let data = data_of(&dir);
    let key = data.join("witness.key");
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(&key), 0o600);
    assert_eq!(mode(&data), 0o700);
    let original = std::fs::read(&key).expect("key");
    let d = data.to_str().expect("utf-8");
    let again = cli(&["keygen", "--name", "witness.example/other", "--data", d]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("refusing to overwrite"));
    assert_eq!(std::fs::read(&key).expect("key"), original);

    // Bad names and seeds write nothing.
    let empty = tempfile::tempdir().expect("tempdir");
    let e = empty.path().join("w");
    let e = e.to_str().expect("utf-8");
    for args in [
        vec!["keygen", "--name", "bad name", "--data", e],
        vec![
            "keygen",
            "--name",
            "w.example/x",
            "--seed-hex",
            "abcd",
            "--data",
            e,
        ],
    ] {
        let out = cli(&args);
        assert!(!out.status.success(), "{args:?}");
        assert!(!empty.path().join("w/witness.key").exists(), "{args:?}");
    }

    // serve refuses a key file others can read.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data", d])
        .stdin(Stdio::null())
        .output()
        .expect("serve");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("readable by others"), "{err}");
}
