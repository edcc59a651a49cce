//! The conformance suite committed under `tests/conformance/` is exactly what its
//! generator (`ledger_core::sample::conformance`) makes: re-running the generator
//! reproduces every file byte for byte, and no file is there that it does not make.

use std::collections::BTreeSet;
use std::path::Path;

use ledger_core::sample::conformance::{cases, files};

#[test]
fn the_committed_suite_is_what_the_generator_makes_byte_for_byte() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance");
    let cases = cases().expect("the suite generates");
    let made = files(&cases);
    let regenerate = "regenerate with `cargo run -p ledger-core --features sample --example conformance -- tests/conformance`";
    for (path, bytes) in &made {
        let committed =
            std::fs::read(dir.join(path)).unwrap_or_else(|e| panic!("{path}: {e}; {regenerate}"));
        assert!(
            committed == *bytes,
            "{path} differs from the generator's; {regenerate}"
        );
    }
    let on_disk: BTreeSet<String> = std::fs::read_dir(dir.join("cases"))
        .expect("the cases folder")
        .map(|e| {
            format!(
                "cases/{}",
                e.expect("an entry").file_name().to_string_lossy()
            )
        })
        .collect();
    let expected: BTreeSet<String> = made
        .iter()
        .map(|(p, _)| p.clone())
        .filter(|p| p.starts_with("cases/"))
        .collect();
    assert_eq!(
        on_disk, expected,
        "files the generator does not make; {regenerate}"
    );
}

#[test]
fn case_names_are_unique_and_plain() {
    let cases = cases().expect("the suite generates");
    let mut names = BTreeSet::new();
    for c in &cases {
        assert!(
            c.name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "{}",
            c.name
        );
        assert!(names.insert(c.name), "{} twice", c.name);
    }
}
