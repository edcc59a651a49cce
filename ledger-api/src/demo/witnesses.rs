//! The demo's two witnesses: a residents' committee (合兴社区居委会) and the district
//! civil-affairs bureau (郫都区民政局), each a real `audit_tools::witness` (the code of
//! `ledger-witness`) with its own SQLite file, served in this process on a loopback port
//! of its own, with fixed public demo keys. The policy needs both.
//!
//! A real deployment runs each witness on its holder's machine (`ledger-witness`, README
//! "Run a witness") and names them in `--witness-policy`; the demo only saves the reader
//! of the README from starting three processes.

use std::path::Path;

use anyhow::Context as _;
use audit_tools::witness::{self, OriginPattern, Witness};
use ledger_core::cosignature::CosignerKey;
use ledger_core::note::NoteVerifier;
use sha2::{Digest, Sha256};

/// One demo witness.
struct DemoWitness {
    /// Its name in the policy (what the residents' pages show).
    policy_name: &'static str,
    /// Its signed-note key name.
    key_name: &'static str,
    /// Its data directory under `<data-dir>/witnesses/`.
    dir: &'static str,
}

/// The demo's witnesses, in the policy's order.
const WITNESSES: [DemoWitness; 2] = [
    DemoWitness {
        policy_name: "合兴社区居委会",
        key_name: "hexing-residents-committee.pidu.example",
        dir: "hexing-residents-committee",
    },
    DemoWitness {
        policy_name: "郫都区民政局",
        key_name: "civil-affairs-bureau.pidu.example",
        dir: "civil-affairs-bureau",
    },
];

/// The name of the demo policy's group of both witnesses (its quorum).
const GROUP: &str = "社区与民政";

/// The fixed demo key of `w`: its seed is SHA-256 of a public phrase, so anyone can
/// recompute it. Never for real money.
fn demo_key(w: &DemoWitness) -> anyhow::Result<CosignerKey> {
    let seed: [u8; 32] =
        Sha256::digest(format!("community-ledger demo witness {}", w.key_name)).into();
    CosignerKey::from_seed(w.key_name, &seed).context("the demo witness key")
}

/// Starts the demo's witnesses, each trusting `log_key` for every fund of `origin`
/// (`<origin>/<fund id>`), with their stores under `<data_dir>/witnesses/`, and returns the
/// witness policy naming both (with the ports they got) and requiring both.
pub async fn start(
    data_dir: &Path,
    origin: &str,
    log_key: &NoteVerifier,
) -> anyhow::Result<String> {
    let mut policy = format!(
        "# The demo's witnesses: fixed public demo keys, never for real money.\nlog {}\n",
        log_key.to_vkey()
    );
    for w in &WITNESSES {
        let dir = data_dir.join("witnesses").join(w.dir);
        let witness = Witness::open_with_key(&dir, demo_key(w)?)
            .await
            .with_context(|| format!("opening the demo witness in {}", dir.display()))?;
        witness
            .add_log(
                &OriginPattern::Prefix(origin.to_owned()),
                std::slice::from_ref(log_key),
            )
            .await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        policy.push_str(&format!(
            "witness {} {} http://{addr}\n",
            w.policy_name,
            witness.vkey()
        ));
        let name = w.policy_name;
        tokio::spawn(async move {
            if let Err(e) = witness::serve(listener, witness).await {
                tracing::error!(witness = name, error = %e, "a demo witness stopped");
            }
        });
        tracing::info!(witness = w.policy_name, %addr, "demo witness listening");
    }
    let members: Vec<&str> = WITNESSES.iter().map(|w| w.policy_name).collect();
    policy.push_str(&format!(
        "group {GROUP} all {}\nquorum {GROUP}\n",
        members.join(" ")
    ));
    Ok(policy)
}
