//! Locating the third-party test vectors in `shared/vectors/`.
//!
//! They are read where they live (never copied into the project): from
//! `$LEDGER_VECTORS_DIR` if set, else `../shared/vectors` beside the checkout.
//! On a machine without them a test prints why and skips; `.ci/run` refuses to run
//! without them, so CI always checks them.
#![allow(dead_code)]

use std::path::PathBuf;

/// The vectors directory, or `None` (after printing a SKIP line) when absent.
pub fn vectors_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("LEDGER_VECTORS_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors"),
    };
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIP: third-party vectors not found at {} (set LEDGER_VECTORS_DIR)",
            dir.display()
        );
        None
    }
}
