//! Writes the conformance suite (`tests/conformance/`, FORMAT.md §12.4) into the folder
//! given as the only argument:
//! `cargo run -p ledger-core --features sample --example conformance -- tests/conformance`.
//! The output depends on nothing but the code: fixed seeds, fixed times.

use std::path::PathBuf;
use std::process::ExitCode;

use ledger_core::sample::conformance::{cases, files};

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: conformance <tests/conformance folder>");
        return ExitCode::from(2);
    };
    let cases = match cases() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("conformance: {}", e.0);
            return ExitCode::FAILURE;
        }
    };
    let cases_dir = dir.join("cases");
    // Cases removed from the generator must not linger.
    if let Ok(old) = std::fs::read_dir(&cases_dir) {
        for f in old.flatten() {
            let _ = std::fs::remove_file(f.path());
        }
    }
    for (path, bytes) in files(&cases) {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            if let Err(e) = std::fs::create_dir_all(parent) {
                eprintln!("conformance: {}: {e}", parent.display());
                return ExitCode::FAILURE;
            }
        }
        if let Err(e) = std::fs::write(&path, bytes) {
            eprintln!("conformance: {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    println!("{} cases written to {}", cases.len(), dir.display());
    ExitCode::SUCCESS
}
