//! The demo in a build without the `demo` feature: `--demo` is refused at start.

use std::path::Path;
use std::sync::Arc;

use ledger_core::keys::PublicKey;
use ledger_core::note::NoteSigner;

use crate::store::Store;

const NO_DEMO: &str =
    "this ledger-server was built without the `demo` feature: --demo is not available";

/// Refused: no demo in this build.
pub fn deployment_keys(_dir: &Path, _origin: &str) -> anyhow::Result<(NoteSigner, PublicKey)> {
    anyhow::bail!(NO_DEMO)
}

/// Refused: no demo in this build.
pub async fn seed(_store: &Arc<Store>, _origin: &str, _dir: &Path) -> anyhow::Result<usize> {
    anyhow::bail!(NO_DEMO)
}

/// No demo fund in this build.
pub fn first_fund() -> String {
    String::new()
}

/// The demo's witnesses, refused: no demo in this build.
pub mod witnesses {
    use std::path::Path;

    use ledger_core::note::NoteVerifier;

    /// Refused: no demo in this build.
    pub async fn start(
        _data_dir: &Path,
        _origin: &str,
        _log_key: &NoteVerifier,
    ) -> anyhow::Result<String> {
        anyhow::bail!(super::NO_DEMO)
    }
}
