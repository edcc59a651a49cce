//! `--since`: reads the checkpoint the auditor saved earlier. The check that the log only
//! grew since is ledger-core's ([`ledger_core::since`], an input of the verification).

use anyhow::{anyhow, Context};
use ledger_core::note::NOTE_SIZE_MAX;
use ledger_core::since::SavedCheckpoint;
use std::io::Read;
use std::path::Path;

/// Reads a signed checkpoint note from `path`. A file that cannot be read or is not a
/// signed checkpoint note is unusable input (its message names the code,
/// `since_malformed`).
pub fn load(path: &Path) -> anyhow::Result<SavedCheckpoint> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("--since: cannot open {}", path.display()))?;
    let mut raw = Vec::new();
    file.take(NOTE_SIZE_MAX as u64 + 1)
        .read_to_end(&mut raw)
        .with_context(|| format!("--since: cannot read {}", path.display()))?;
    let note = String::from_utf8(raw).map_err(|_| {
        anyhow!(
            "--since: {}: {}: the file is not UTF-8 text",
            path.display(),
            ledger_core::since::SINCE_MALFORMED
        )
    })?;
    SavedCheckpoint::parse(&note)
        .map_err(|f| anyhow!("--since: {}: {}: {}", path.display(), f.code, f.en))
}
