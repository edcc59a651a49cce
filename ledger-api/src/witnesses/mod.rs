//! Witnesses (C2SP tlog-witness): the deployment's witness policy ([`WitnessSetup`],
//! loaded from `--witness-policy`) and the client that asks each witness to cosign every
//! fund's newest checkpoint ([`client`]), off the append path.

pub mod client;

use std::path::Path;

use anyhow::Context;
use ledger_core::note::NoteVerifier;
use ledger_core::witness_policy::{PolicyWitness, WitnessPolicy};
use sha2::{Digest, Sha256};

use crate::store::{Store, StoreError};

/// The deployment's witness policy, checked against its log key.
#[derive(Debug, Clone)]
pub struct WitnessSetup {
    /// The parsed policy.
    pub policy: WitnessPolicy,
    /// The policy file as read (published at `/.well-known/community-ledger`).
    pub text: String,
    /// Identifies the policy in the store: hex SHA-256 of its canonical form without
    /// URLs (the parsed policy printed back, comments, spacing and URLs dropped). A
    /// stored witnessed checkpoint counts only for the policy it met; a witness that
    /// moves to another URL (the demo's, at every start) is the same witness.
    pub id: String,
}

impl WitnessSetup {
    /// Parses `text` and checks it for this deployment: a `log` line must carry
    /// `log_key` (the key that signs every fund's checkpoints), and every witness must
    /// have an `http://` URL (the server has to reach it).
    pub fn new(text: String, log_key: &NoteVerifier) -> anyhow::Result<WitnessSetup> {
        let policy = WitnessPolicy::parse(&text)?;
        let ours = log_key.to_vkey();
        if !policy.logs().iter().any(|l| l.key.to_vkey() == ours) {
            let listed: Vec<String> = policy.logs().iter().map(|l| l.key.to_vkey()).collect();
            anyhow::bail!(
                "the witness policy has no `log` line with this deployment's log key {ours}; \
                 it lists {}",
                if listed.is_empty() {
                    "no log".to_owned()
                } else {
                    listed.join(", ")
                }
            );
        }
        if let Some(w) = policy.witnesses().iter().find(|w| w.url.is_none()) {
            anyhow::bail!(
                "witness {} in the witness policy has no URL: give each witness the URL \
                 of its tlog-witness service (`witness <name> <vkey> <url>`)",
                w.name
            );
        }
        if let Some(w) = policy
            .witnesses()
            .iter()
            .find(|w| w.url.as_deref().is_some_and(|u| !is_http_url(u)))
        {
            anyhow::bail!(
                "witness {} in the witness policy: {:?} is not an http:// URL (the server \
                 speaks plain HTTP to witnesses: reach a TLS witness through a local proxy)",
                w.name,
                w.url.as_deref().unwrap_or_default()
            );
        }
        let id = hex::encode(Sha256::digest(policy.without_urls().to_string().as_bytes()));
        Ok(WitnessSetup { policy, text, id })
    }

    /// Reads and checks the policy file at `path` ([`WitnessSetup::new`]).
    pub fn load(path: &Path, log_key: &NoteVerifier) -> anyhow::Result<WitnessSetup> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the witness policy {}", path.display()))?;
        WitnessSetup::new(text, log_key)
            .with_context(|| format!("witness policy {}", path.display()))
    }

    /// The policy's witnesses, in file order.
    pub fn witnesses(&self) -> &[PolicyWitness] {
        self.policy.witnesses()
    }
}

fn is_http_url(url: &str) -> bool {
    url.strip_prefix("http://")
        .is_some_and(|rest| !rest.is_empty())
}

/// The checkpoint of `fund` a reader is given: with a witness policy (`setup`), the
/// newest one that met its quorum, with its cosignatures (`None` until one has); without
/// one, the newest log-signed checkpoint. As (tree size, signed note).
pub async fn witnessed_checkpoint(
    store: &Store,
    setup: Option<&WitnessSetup>,
    fund: &str,
) -> Result<Option<(u64, String)>, StoreError> {
    match setup {
        Some(setup) => Ok(store
            .witnessed_checkpoint(fund, &setup.id)
            .await?
            .map(|w| (w.tree_size, w.note))),
        None => store.latest_checkpoint(fund).await,
    }
}

/// The checkpoint that fixes what a reader is sent of `fund` (the export, a receipt):
/// the [witnessed](witnessed_checkpoint) one when there is one, else the newest
/// log-signed one.
pub async fn served_checkpoint(
    store: &Store,
    setup: Option<&WitnessSetup>,
    fund: &str,
) -> Result<Option<(u64, String)>, StoreError> {
    match witnessed_checkpoint(store, setup, fund).await? {
        Some(c) => Ok(Some(c)),
        None => store.latest_checkpoint(fund).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;
    use ledger_core::cosignature::CosignerKey;
    use ledger_core::note::NoteSigner;

    fn policy(log: &NoteVerifier, witness: &CosignerKey, url: &str, quorum: &str) -> String {
        format!(
            "log {}\nwitness w {} {url}\nquorum {quorum}\n",
            log.to_vkey(),
            witness.verifier().to_vkey()
        )
    }

    /// The stored witnessed checkpoints count for a policy by its id: a witness that
    /// moves (the demo's, at every start) keeps it, another key or quorum does not.
    #[test]
    fn the_policy_id_ignores_urls_only() {
        let log = NoteSigner::new("ledger.example", SigningKey::from_bytes(&[7; 32]))
            .expect("log key")
            .verifier();
        let w = CosignerKey::from_seed("w.example", &[8; 32]).expect("witness key");
        let other = CosignerKey::from_seed("w.example", &[9; 32]).expect("witness key");
        let id = |text: String| WitnessSetup::new(text, &log).expect("policy").id;
        let base = id(policy(&log, &w, "http://127.0.0.1:1000", "w"));
        assert_eq!(base, id(policy(&log, &w, "http://127.0.0.1:2000", "w")));
        assert_eq!(
            base,
            id(format!(
                "# a comment\n\n{}",
                policy(&log, &w, "http://x", "w")
            ))
        );
        assert_ne!(base, id(policy(&log, &other, "http://127.0.0.1:1000", "w")));
        assert_ne!(base, id(policy(&log, &w, "http://127.0.0.1:1000", "none")));
    }
}
