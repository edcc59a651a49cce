//! Support of the `ledger-witness` tests: the real binary on a random port, its CLI, HTTP
//! posts, a test-held log that signs checkpoints of a Merkle tree it keeps, and the
//! vectors.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::SigningKey;
use ledger_core::checkpoint::Checkpoint;
use ledger_core::hash::{leaf_hash, Hash};
use ledger_core::merkle::MemoryTree;
use ledger_core::note::NoteSigner;
use serde_json::Value;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_ledger-witness");

/// Runs `ledger-witness args…` to completion.
pub fn cli(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("running ledger-witness")
}

/// Runs `ledger-witness args… --data DIR`, asserting success; returns stdout.
pub fn cli_ok(data: &Path, args: &[&str]) -> String {
    let mut all: Vec<&str> = args.to_vec();
    let d = data.to_str().expect("utf-8 path");
    all.extend(["--data", d]);
    let out = cli(&all);
    assert!(
        out.status.success(),
        "ledger-witness {all:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// A fresh data directory with a witness key (`keygen --name name`, random or seeded).
pub fn new_witness(name: &str, seed_hex: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("w");
    let mut args = vec!["keygen", "--name", name];
    if let Some(s) = seed_hex {
        args.extend(["--seed-hex", s]);
    }
    cli_ok(&data, &args);
    dir
}

/// The data directory inside a [`new_witness`] temp dir.
pub fn data_of(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("w")
}

/// A running `ledger-witness serve` (killed on drop).
pub struct Served {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// The vkey it printed.
    pub vkey: String,
}

impl Served {
    /// Starts `serve --listen 127.0.0.1:0 --data data` and waits (with a deadline) for its
    /// `listening on` line.
    pub fn start(data: &Path) -> Served {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting ledger-witness serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix("ledger-witness listening on ") {
                        let (url, vkey) = rest.split_once(" as ").expect("url as vkey");
                        return Served {
                            child,
                            url: url.to_string(),
                            vkey: vkey.to_string(),
                        };
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!("ledger-witness serve did not print its address in time");
                }
            }
        }
    }

    /// SIGKILLs the process and waits for it.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Posts `body` to `/add-checkpoint`.
    pub fn add(&self, body: &[u8]) -> Reply {
        post(&format!("{}/add-checkpoint", self.url), body)
    }

    /// `GET path` as JSON.
    pub fn get_json(&self, path: &str) -> Value {
        let resp = reqwest::blocking::get(format!("{}{path}", self.url)).expect("GET");
        assert_eq!(resp.status().as_u16(), 200, "GET {path}");
        serde_json::from_str(&resp.text().expect("body")).expect("JSON")
    }

    /// `GET /checkpoints` as origin → (size, root base64).
    pub fn state(&self) -> Vec<(String, u64, String)> {
        let list = self.get_json("/checkpoints");
        list.as_array()
            .expect("array")
            .iter()
            .map(|c| {
                (
                    c["origin"].as_str().expect("origin").to_string(),
                    c["size"].as_u64().expect("size"),
                    c["root_b64"].as_str().expect("root").to_string(),
                )
            })
            .collect()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// `Content-Type`, if any.
    pub content_type: Option<String>,
    /// Body.
    pub body: String,
}

/// Posts `body` to `url`.
pub fn post(url: &str, body: &[u8]) -> Reply {
    let client = reqwest::blocking::Client::new();
    let resp = client
        .post(url)
        .body(body.to_vec())
        .send()
        .expect("POST add-checkpoint");
    Reply {
        status: resp.status().as_u16(),
        content_type: resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().expect("ascii").to_string()),
        body: resp.text().expect("body"),
    }
}

/// The vectors' add-checkpoint file, or None (SKIP printed) when the vectors are absent
/// outside CI.
pub fn vectors() -> Option<Value> {
    let dir = std::env::var_os("LEDGER_VECTORS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors"));
    let path = dir.join("witness/add_checkpoint.json");
    match std::fs::read(&path) {
        Ok(raw) => Some(serde_json::from_slice(&raw).expect("vectors JSON")),
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{} is missing in CI: {e}",
                path.display()
            );
            eprintln!("SKIP: {} not found ({e})", path.display());
            None
        }
    }
}

/// A log the test holds the key of: a Merkle tree of `entry <i>` leaves and its signer.
pub struct TestLog {
    /// The checkpoint origin (also the key name unless given).
    pub origin: String,
    signer: NoteSigner,
    tree: MemoryTree,
}

impl TestLog {
    /// A log of origin `origin`, signed by a key named `key_name` from `seed`, with
    /// `size` leaves `<tag> entry <i>`.
    pub fn new(origin: &str, key_name: &str, seed: u8, tag: &str, size: u64) -> TestLog {
        let signer =
            NoteSigner::new(key_name, SigningKey::from_bytes(&[seed; 32])).expect("signer");
        let mut log = TestLog {
            origin: origin.to_string(),
            signer,
            tree: MemoryTree::new(),
        };
        log.grow(tag, size);
        log
    }

    /// Appends leaves `<tag> entry <i>` up to `size`.
    pub fn grow(&mut self, tag: &str, size: u64) {
        while self.tree.size() < size {
            let i = self.tree.size();
            self.tree
                .push(leaf_hash(format!("{tag} entry {i}").as_bytes()));
        }
    }

    /// The log's vkey.
    pub fn vkey(&self) -> String {
        self.signer.verifier().to_vkey()
    }

    /// The signed checkpoint note at `size`.
    pub fn note(&self, size: u64) -> String {
        Checkpoint {
            origin: self.origin.clone(),
            tree_size: size,
            root: self.tree.root_at(size).expect("root"),
            extensions: vec![],
        }
        .sign(&self.signer)
        .expect("sign")
    }

    /// The root at `size`.
    pub fn root(&self, size: u64) -> Hash {
        self.tree.root_at(size).expect("root")
    }

    /// An add-checkpoint body from `old` to `size` with the proof of this tree.
    pub fn body(&self, old: u64, size: u64) -> String {
        let proof = if old == 0 || old == size {
            vec![]
        } else {
            self.tree.consistency_proof(old, size).expect("proof")
        };
        body_with(old, &proof, &self.note(size))
    }
}

/// `old <old>\n`, the proof lines, an empty line, the note.
pub fn body_with(old: u64, proof: &[Hash], note: &str) -> String {
    let mut body = format!("old {old}\n");
    for h in proof {
        body.push_str(&B64.encode(h.as_bytes()));
        body.push('\n');
    }
    body.push('\n');
    body.push_str(note);
    body
}

/// The note of an add-checkpoint body (after the first empty line).
pub fn note_of(body: &str) -> &str {
    body.split_once("\n\n").expect("empty line").1
}
