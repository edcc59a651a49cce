//! The witness's identity in its data directory: `witness.key` (64 hex digits of the
//! Ed25519 seed, mode 0600, in a 0700 directory; the trustee key file's form, see
//! `client::keys`) and `witness.name` (the witness name, public).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use ed25519_dalek::SigningKey;
use ledger_core::cosignature::CosignerKey;

use crate::client::keys;

/// The key file's name inside the data directory.
pub const KEY_FILE: &str = "witness.key";
/// The name file's name inside the data directory.
pub const NAME_FILE: &str = "witness.name";

/// Path of the key file in `data_dir`.
pub fn key_path(data_dir: &Path) -> PathBuf {
    data_dir.join(KEY_FILE)
}

/// Creates the data directory (0700) if needed, then a new key file (0600, never
/// overwriting) with `seed` or a fresh random key, and the name file. Refuses an invalid
/// name before writing anything.
pub fn keygen(data_dir: &Path, name: &str, seed: Option<[u8; 32]>) -> anyhow::Result<CosignerKey> {
    let key = match seed {
        Some(seed) => SigningKey::from_bytes(&seed),
        None => SigningKey::generate(&mut rand_core::OsRng),
    };
    let cosigner = CosignerKey::from_seed(name, &key.to_bytes())
        .map_err(|e| anyhow::anyhow!("witness name {name:?}: {e}"))?;
    create_private_dir(data_dir)?;
    keys::write_new(&key_path(data_dir), &key).map_err(|e| anyhow::anyhow!("{}", e.message()))?;
    std::fs::write(data_dir.join(NAME_FILE), format!("{name}\n"))
        .with_context(|| format!("cannot write {}", data_dir.join(NAME_FILE).display()))?;
    Ok(cosigner)
}

/// Loads the witness key: refuses a key file others may read (or a data directory
/// others may enter), and a missing name file.
pub fn load(data_dir: &Path) -> anyhow::Result<CosignerKey> {
    check_private_dir(data_dir)?;
    let name_path = data_dir.join(NAME_FILE);
    let name = std::fs::read_to_string(&name_path).with_context(|| {
        format!(
            "cannot read {} (run `ledger-witness keygen --name … --data {}` first)",
            name_path.display(),
            data_dir.display()
        )
    })?;
    let key = keys::load(&key_path(data_dir)).map_err(|e| anyhow::anyhow!("{}", e.message()))?;
    CosignerKey::from_seed(name.trim_end_matches('\n'), &key.to_bytes())
        .map_err(|e| anyhow::anyhow!("{}: {e}", name_path.display()))
}

/// Creates `dir` (and parents) with mode 0700 if it does not exist.
pub fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    if !dir.exists() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder
            .create(dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
    }
    check_private_dir(dir)
}

fn check_private_dir(dir: &Path) -> anyhow::Result<()> {
    let meta = std::fs::metadata(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    if !meta.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            bail!(
                "data directory {} is open to others (mode {:o}); run chmod 700 on it",
                dir.display(),
                mode & 0o777
            );
        }
    }
    Ok(())
}
