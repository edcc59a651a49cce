//! The trustee's key file: 64 hex digits of the Ed25519 seed, readable only by its owner
//! (the same form as the server's `demo-trustee.key`).

use std::io::Write;
use std::path::Path;

use ed25519_dalek::SigningKey;
use ledger_core::keys::PublicKey;

use super::Fail;

/// Creates a new key file at `out` (mode 0600, never overwriting) and returns its key.
pub fn keygen(out: &Path) -> Result<SigningKey, Fail> {
    let key = SigningKey::generate(&mut rand_core::OsRng);
    write_new(out, &key)?;
    Ok(key)
}

/// Writes `key` to a new key file at `out` (mode 0600, never overwriting), synced.
pub fn write_new(out: &Path, key: &SigningKey) -> Result<(), Fail> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(out).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Fail::Unusable(format!(
                "{} already exists; refusing to overwrite a key file",
                out.display()
            ))
        } else {
            Fail::Unusable(format!("cannot create {}: {e}", out.display()))
        }
    })?;
    f.write_all(format!("{}\n", hex::encode(key.to_bytes())).as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| Fail::Unusable(format!("cannot write {}: {e}", out.display())))
}

/// Reads a key file, refusing one that others may read.
pub fn load(path: &Path) -> Result<SigningKey, Fail> {
    let bad = |why: String| Fail::Unusable(format!("key file {}: {why}", path.display()));
    let meta = std::fs::metadata(path).map_err(|e| bad(e.to_string()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(bad(format!(
                "readable by others (mode {:o}); run chmod 600 on it",
                mode & 0o777
            )));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let mut seed = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut seed)
        .map_err(|_| bad("expected 64 hex digits (an Ed25519 seed)".into()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// The public key of a signing key, as the ledger writes it.
pub fn public(key: &SigningKey) -> PublicKey {
    PublicKey::from_verifying_key(key.verifying_key())
}
