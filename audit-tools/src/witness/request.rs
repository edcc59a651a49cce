//! The body of a C2SP tlog-witness v1.0.0 `add-checkpoint` request: `old <size>\n`, up to
//! 63 consistency proof lines (base64 hashes), an empty line, then the checkpoint's signed
//! note. Parsing is strict and checks nothing cryptographic (see [`super::check`]).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ledger_core::hash::Hash;

/// Largest request body accepted, in bytes (a larger one is answered 413).
pub const BODY_MAX: usize = 64 * 1024;

/// Most consistency proof lines a client may send (tlog-witness v1.0.0: "MUST NOT send
/// more than 63").
pub const PROOF_LINES_MAX: usize = 63;

/// A parsed `add-checkpoint` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint<'a> {
    /// The size of the checkpoint the client believes the witness last cosigned.
    pub old_size: u64,
    /// The consistency proof from `old_size` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The checkpoint's signed note, as sent (signature lines included).
    pub note: &'a str,
}

/// Why a request body is malformed (answered 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub String);

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses a request body: the old size line (decimal, no leading zeroes), at most
/// [`PROOF_LINES_MAX`] proof lines of canonical base64 of 32 bytes, an empty line, and a
/// non-empty note after it.
pub fn parse(body: &str) -> Result<AddCheckpoint<'_>, Malformed> {
    let bad = |why: &str| Malformed(why.to_string());
    let (first, mut rest) = body
        .split_once('\n')
        .ok_or_else(|| bad("the body must start with an \"old <size>\" line"))?;
    let digits = first
        .strip_prefix("old ")
        .ok_or_else(|| bad("the first line must be \"old <size>\""))?;
    let old_size = parse_size(digits).ok_or_else(|| {
        bad("the old size must be a decimal number without leading zeroes that fits in 64 bits")
    })?;
    let mut proof = Vec::new();
    loop {
        let (line, after) = rest
            .split_once('\n')
            .ok_or_else(|| bad("missing the empty line between the proof and the checkpoint"))?;
        rest = after;
        if line.is_empty() {
            break;
        }
        if proof.len() == PROOF_LINES_MAX {
            return Err(bad("more than 63 consistency proof lines"));
        }
        let raw = B64
            .decode(line)
            .map_err(|_| bad("a consistency proof line is not base64 of a 32-byte hash (or the empty line before the checkpoint is missing)"))?;
        let hash: [u8; 32] = raw
            .try_into()
            .map_err(|_| bad("a consistency proof line is not base64 of a 32-byte hash (or the empty line before the checkpoint is missing)"))?;
        proof.push(Hash(hash));
    }
    if rest.is_empty() {
        return Err(bad("the checkpoint is missing after the empty line"));
    }
    Ok(AddCheckpoint {
        old_size,
        proof,
        note: rest,
    })
}

/// A decimal size without leading zeroes (`0` alone is allowed).
fn parse_size(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "e0p4N45xe2Ujc3Z/ZYnSbhMSNfpfTF85n+3XAdIp/J0=";

    #[test]
    fn parses_old_proof_and_note() {
        let body = format!("old 3\n{HASH}\n{HASH}\n\norigin\n5\nroot\n\n— sig\n");
        let req = parse(&body).unwrap();
        assert_eq!(req.old_size, 3);
        assert_eq!(req.proof.len(), 2);
        assert_eq!(req.note, "origin\n5\nroot\n\n— sig\n");
        let req = parse("old 0\n\nx\n").unwrap();
        assert_eq!((req.old_size, req.proof.len(), req.note), (0, 0, "x\n"));
    }

    #[test]
    fn refuses_malformed_bodies() {
        let many = format!("old 3\n{}\nx\n", format!("{HASH}\n").repeat(64));
        for body in [
            "",
            "old 3",
            "old 03\n\nx\n",
            "old -1\n\nx\n",
            "old 18446744073709551616\n\nx\n",
            "old  3\n\nx\n",
            "new 3\n\nx\n",
            "old 0\norigin\n5\n",
            "old 0\n\n",
            "old 0\nAAAA\n\nx\n",
            &many,
        ] {
            assert!(parse(body).is_err(), "{body:?}");
        }
        let sixty_three = format!("old 3\n{}\nx\n", format!("{HASH}\n").repeat(63));
        assert_eq!(parse(&sixty_three).unwrap().proof.len(), 63);
    }
}
