//! Key files of a deployment: created once, readable only by their owner.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context};
use ed25519_dalek::SigningKey;
use ledger_core::note::NoteSigner;
use zeroize::Zeroizing;

use crate::store::{VaultKey, VAULT_KEY_BYTES};

/// Writes `contents` to a new file readable and writable only by its owner.
pub fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating key file {}", path.display()))?;
    f.write_all(contents.as_bytes())?;
    f.sync_all()?;
    Ok(())
}

/// Refuses a key file that others can read.
fn check_private(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            bail!(
                "key file {} is readable by others (mode {:o}); run chmod 600 on it",
                path.display(),
                mode & 0o777
            );
        }
    }
    Ok(())
}

/// Loads the log key (a Go-style `PRIVATE+KEY+…` signed-note key), or creates it with
/// `make` if the file does not exist.
pub fn load_or_create_log_key(
    path: &Path,
    make: impl FnOnce() -> anyhow::Result<NoteSigner>,
) -> anyhow::Result<NoteSigner> {
    if path.exists() {
        check_private(path)?;
        let s = fs::read_to_string(path)?;
        return NoteSigner::from_private_key_string(s.trim())
            .map_err(|e| anyhow::anyhow!("log key {}: {e}", path.display()));
    }
    let key = make()?;
    write_private(path, &format!("{}\n", key.to_private_key_string()))?;
    Ok(key)
}

/// Loads an Ed25519 key stored as 64 hex digits of its seed, or creates it with `make`.
pub fn load_or_create_seed_key(
    path: &Path,
    make: impl FnOnce() -> SigningKey,
) -> anyhow::Result<SigningKey> {
    if path.exists() {
        check_private(path)?;
        return read_seed_key(path);
    }
    let key = make();
    write_private(path, &format!("{}\n", hex::encode(key.to_bytes())))?;
    Ok(key)
}

/// Reads an Ed25519 key stored as 64 hex digits of its seed.
pub fn read_seed_key(path: &Path) -> anyhow::Result<SigningKey> {
    let s = fs::read_to_string(path)?;
    let mut seed = [0u8; 32];
    hex::decode_to_slice(s.trim(), &mut seed)
        .with_context(|| format!("key file {} is not 64 hex digits", path.display()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Loads the donor vault's key (64 hex digits of 32 bytes), or, when `create` is true and
/// the file does not exist, creates it with fresh random bytes. A file others can read is
/// refused, as for every key file.
pub fn load_or_create_vault_key(path: &Path, create: bool) -> anyhow::Result<VaultKey> {
    if !path.exists() {
        if !create {
            bail!("vault key file {} does not exist", path.display());
        }
        let bytes = VaultKey::generate_bytes();
        let text = Zeroizing::new(format!("{}\n", hex::encode(&bytes[..])));
        write_private(path, &text)?;
        return Ok(VaultKey::from_bytes(&bytes));
    }
    check_private(path)?;
    let text = Zeroizing::new(
        fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
    );
    let mut bytes = Zeroizing::new([0u8; VAULT_KEY_BYTES]);
    hex::decode_to_slice(text.trim(), &mut bytes[..]).with_context(|| {
        format!(
            "vault key file {} is not {} hex digits",
            path.display(),
            2 * VAULT_KEY_BYTES
        )
    })?;
    Ok(VaultKey::from_bytes(&bytes))
}

/// A fresh random signing key.
pub fn random_key() -> SigningKey {
    SigningKey::generate(&mut rand_core::OsRng)
}
