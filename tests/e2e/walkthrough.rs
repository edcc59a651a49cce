//! The README's walk-through "From an empty machine to a first donation", run as written:
//! its two fenced blocks are read from README.md (so the README and this test cannot drift
//! apart), the server's block is started in an empty folder with the real `ledger-server`,
//! and the steps' block runs in `bash` with the real `ledger-server`, `ledger` and
//! `ledger-verify` on `PATH`, on SQLite and on PostgreSQL. Each command's output is checked,
//! and so is the first start's advice (printed again while no fund exists, not after).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use community_ledger::{
    client_binary, runtime, server_binary, test_backends, verify_binary, Client, TestBackend,
};

const FUND: &str = "huayuan";
/// How long the server may take to say where it listens.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// The fenced block after `<!-- walkthrough:NAME -->` in README.md.
fn readme_block(name: &str) -> String {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let marker = format!("<!-- walkthrough:{name} -->");
    let after = readme
        .split_once(&marker)
        .unwrap_or_else(|| panic!("README.md has no {marker}"))
        .1;
    let body = after
        .split_once("```sh\n")
        .expect("a ```sh block after the marker")
        .1;
    body.split_once("\n```")
        .expect("the block ends")
        .0
        .to_owned()
}

/// The block's commands: continuation lines joined, comments and blank lines left out.
fn commands(block: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in block.lines() {
        let t = line.trim();
        if cur.is_empty() && (t.is_empty() || t.starts_with('#')) {
            continue;
        }
        match t.strip_suffix('\\') {
            Some(part) => {
                cur.push_str(part);
                cur.push(' ');
            }
            None => {
                cur.push_str(t);
                out.push(std::mem::take(&mut cur));
            }
        }
    }
    assert!(cur.is_empty(), "a continued line ends the block");
    out
}

/// `PATH` with the binaries under test first.
fn path_with_binaries() -> String {
    let mut dirs: Vec<PathBuf> = [server_binary(), client_binary(), verify_binary()]
        .iter()
        .map(|b| b.parent().expect("a folder").to_path_buf())
        .collect();
    dirs.dedup();
    let mut path: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    path.push(std::env::var("PATH").unwrap_or_default());
    path.join(":")
}

/// A command run by bash in `dir`, with the deployment's environment and nothing else of
/// the ledger's.
fn bash(dir: &Path, backend: &TestBackend, script: &str) -> Command {
    let mut cmd = Command::new("bash");
    for (var, _) in std::env::vars() {
        if var.starts_with("LEDGER_") || var == "DATABASE_URL" || var == "RUST_LOG" {
            cmd.env_remove(var);
        }
    }
    cmd.env("PATH", path_with_binaries())
        .env("LEDGER_LISTEN", "127.0.0.1:0")
        .current_dir(dir)
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null());
    if let Some(url) = &backend.config.database_url {
        cmd.env("DATABASE_URL", url);
    }
    cmd
}

/// The README's server, running: killed when dropped.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    base: String,
    /// What it printed up to and with the line that says where it listens.
    printed: Vec<String>,
}

impl Running {
    fn start(dir: &Path, backend: &TestBackend) -> Running {
        let server = commands(&readme_block("server"));
        assert_eq!(server.len(), 1, "one command starts the server: {server:?}");
        assert!(server[0].starts_with("ledger-server "), "{server:?}");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("walkthrough-server.log"))
            .expect("a log file");
        let mut child = bash(dir, backend, &format!("exec {}", server[0]))
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("starting the README's server");
        let stdout = child.stdout.take().expect("piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut printed = Vec::new();
        let base = loop {
            let line = lines.recv_timeout(START_TIMEOUT).unwrap_or_else(|e| {
                panic!(
                    "the README's server did not say where it listens ({e}): {printed:?}\n{}",
                    std::fs::read_to_string(dir.join("walkthrough-server.log")).unwrap_or_default()
                )
            });
            printed.push(line.clone());
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest.trim().to_owned();
            }
        };
        Running {
            child,
            lines,
            base,
            printed,
        }
    }

    /// Everything it printed on stdout until it answers requests (the advice is printed
    /// before it serves), and a little after.
    fn printed(&mut self) -> String {
        runtime()
            .block_on(Client::new(&self.base).get_json("/api/v1/funds"))
            .expect("the server answers");
        std::thread::sleep(Duration::from_millis(200));
        while let Ok(l) = self.lines.try_recv() {
            self.printed.push(l);
        }
        self.printed.join("\n")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one step printed.
struct Step {
    command: String,
    stdout: String,
    stderr: String,
}

/// Runs the steps' block in one bash (`set -euo pipefail`), with a marker line before
/// each command on both outputs, and splits the outputs by command.
fn run_steps(dir: &Path, backend: &TestBackend, base: &str) -> Vec<Step> {
    let steps = commands(&readme_block("steps"));
    let mut script = String::from("set -euo pipefail\n");
    for (i, c) in steps.iter().enumerate() {
        script.push_str(&format!(
            "printf '\\n@@step {i}\\n'; printf '\\n@@step {i}\\n' >&2\n{c}\n"
        ));
    }
    let out = bash(dir, backend, &script)
        .env("LEDGER_URL", base)
        .output()
        .expect("running bash");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "the README's steps failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
    let split = |all: &str| -> Vec<String> {
        let mut parts: Vec<String> = all
            .split("@@step ")
            .skip(1)
            .map(|p| {
                p.split_once('\n')
                    .map_or("", |(_, rest)| rest)
                    .trim()
                    .to_owned()
            })
            .collect();
        parts.resize(steps.len(), String::new());
        parts
    };
    let (outs, errs) = (split(&stdout), split(&stderr));
    steps
        .into_iter()
        .zip(outs.into_iter().zip(errs))
        .map(|(command, (stdout, stderr))| Step {
            command,
            stdout,
            stderr,
        })
        .collect()
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn token_in(dir: &Path, file: &str) -> String {
    let t = std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    assert!(
        t.trim().starts_with("clt_") && is_hex(&t.trim()[4..], 64),
        "{file} holds a token: {t:?}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{file} is the owner's only (umask 077)");
    }
    t.trim().to_owned()
}

fn walkthrough(backend: &TestBackend) {
    let dir = backend.config.data_dir.join("machine");
    std::fs::create_dir_all(&dir).expect("an empty folder");

    // First start: keys made, and the advice.
    let mut server = Running::start(&dir, backend);
    let first = server.printed();
    for said in [
        "first start: no fund exists yet",
        "ledger-server --data-dir ledger-data",
        "token issue --role operator",
        "--key ledger-data/operator.key fund create",
    ] {
        assert!(
            first.contains(said),
            "the first start says {said:?}:\n{first}"
        );
    }
    assert!(dir.join("ledger-data/operator.key").is_file());
    if let Some(url) = &backend.config.database_url {
        let password = url.split(':').nth(2).and_then(|p| p.split('@').next());
        assert!(
            !first.contains(url.as_str()),
            "the advice names no database URL"
        );
        assert!(
            password.is_none_or(|p| !first.contains(&format!(":{p}@"))),
            "the advice names no password"
        );
        assert!(
            first.contains("--database-url \"$DATABASE_URL\""),
            "{first}"
        );
    }
    drop(server);

    // A second start with still no fund repeats it, as a note.
    let mut server = Running::start(&dir, backend);
    let again = server.printed();
    assert!(again.contains("note: no fund exists yet"), "{again}");
    assert!(!again.contains("first start"), "{again}");

    // The steps, as the README gives them.
    let steps = run_steps(&dir, backend, &server.base);
    let mut trustee_keys = Vec::new();
    let mut genesis_hash = String::new();
    for s in &steps {
        let c = s.command.as_str();
        let what = format!("{c}\n--- stdout\n{}\n--- stderr\n{}", s.stdout, s.stderr);
        if c.starts_with("umask ") {
            assert!(s.stdout.is_empty(), "{what}");
        } else if c.contains("token issue --role operator") {
            assert!(s.stdout.is_empty(), "the token went to the file: {what}");
            assert!(s.stderr.contains("issued operator credential"), "{what}");
            token_in(&dir, "operator.token");
        } else if c.starts_with("ledger keygen") {
            assert!(is_hex(&s.stdout, 64), "a public key: {what}");
            trustee_keys.push(s.stdout.clone());
        } else if c.contains(" fund create ") {
            for said in [
                "fund huayuan: 花园社区发展基金 / Huayuan Community Development Fund",
                "trustees (3):",
                "signatures needed: statement 2, disbursement 2, governance 2 (of 3 trustees)",
            ] {
                assert!(s.stdout.contains(said), "{said:?} in {what}");
            }
            for (k, name) in trustee_keys.iter().zip(["张伟", "李娜", "王芳"]) {
                assert!(s.stdout.contains(&format!("{k}  {name}")), "{what}");
            }
            genesis_hash = s
                .stdout
                .split("created fund huayuan: genesis (entry 0) hash ")
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                .unwrap_or_else(|| panic!("the genesis hash: {what}"))
                .to_owned();
        } else if c.contains("token issue --role trustee --fund huayuan") {
            assert!(s.stderr.contains("issued trustee credential"), "{what}");
            assert!(s.stderr.contains("for fund huayuan"), "{what}");
            token_in(&dir, "zhang.token");
        } else if c.contains(" submit donation ") {
            assert!(
                s.stdout
                    .contains("recorded donation 捐赠 as entry 1 in huayuan"),
                "{what}"
            );
            assert!(s.stdout.contains("balance 500.00"), "{what}");
        } else if c.starts_with("ledger export ") {
            assert!(s.stdout.is_empty(), "the data went to the file: {what}");
            assert!(
                s.stderr.contains("download: done"),
                "progress on stderr: {what}"
            );
        } else if c.starts_with("ledger-verify ") {
            for said in [
                "entries:     2",
                "balance:     500.00",
                "result:      CLEAN",
            ] {
                assert!(s.stdout.contains(said), "{said:?} in {what}");
            }
        } else {
            panic!("a step this test does not check (add it): {what}");
        }
    }
    assert_eq!(trustee_keys.len(), 3, "three trustees made keys");
    assert!(is_hex(&genesis_hash, 64), "{genesis_hash}");

    // The server holds what the steps said.
    let public = Client::new(&server.base);
    let rt = runtime();
    let fund = rt
        .block_on(public.get_json(&format!("/api/v1/funds/{FUND}")))
        .expect("the fund");
    assert_eq!(fund["size"], 2, "{fund}");
    assert_eq!(fund["balance"], "500.00", "{fund}");
    let genesis = rt
        .block_on(public.get_json(&format!("/api/v1/funds/{FUND}/entries/0")))
        .expect("entry 0");
    assert_eq!(genesis["hash"], genesis_hash.as_str(), "{genesis}");
    drop(server);

    // Once a fund exists the advice is no longer printed.
    let mut server = Running::start(&dir, backend);
    let later = server.printed();
    assert!(!later.contains("no fund exists"), "{later}");
}

#[test]
fn the_readme_walkthrough_goes_from_an_empty_machine_to_a_verified_first_donation() {
    let rt = runtime();
    for backend in test_backends("walkthrough", &rt) {
        println!("backend: {}", backend.name);
        walkthrough(&backend);
    }
}

#[test]
fn the_walkthrough_blocks_parse_into_commands() {
    let steps = commands(&readme_block("steps"));
    assert!(steps.len() >= 10, "{steps:?}");
    assert!(
        steps.iter().all(|s| !s.contains('\\')),
        "continuations joined: {steps:?}"
    );
    assert!(steps
        .iter()
        .any(|s| s.contains("--trustee \"$(cat wang.pub)=王芳\"")));
}
