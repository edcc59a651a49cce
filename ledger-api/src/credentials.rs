//! API credentials: roles, bearer tokens and their hashes.
//!
//! A token is 256 random bits, shown once as `clt_` followed by 64 hex digits. The store
//! keeps only its SHA-256 hash; a credential's public id is the first 8 bytes of that hash
//! in hex, which is enough to list and revoke it without ever holding the token again.

use std::fmt;
use std::str::FromStr;

use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

/// Prefix of every token (lets secret scanners recognise a leaked one).
pub const TOKEN_PREFIX: &str = "clt_";
/// Longest label of a credential, in characters.
pub const LABEL_CHARS_MAX: usize = 200;

/// What a credential may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Creates funds (signs nothing itself: genesis entries carry the operator key's
    /// signature) and issues and revokes credentials; erases donor identities on request.
    Operator,
    /// Writes one fund (the signatures on each intent are still checked).
    Trustee,
    /// Reads everything, the donor vault included.
    Auditor,
    /// A supervisor (监督员) of one fund: submits opinions on its statements and nothing
    /// else (the supervisor's signature on each opinion is still checked); cannot record
    /// money, propose, or read the donor vault.
    Supervisor,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Trustee => "trustee",
            Role::Auditor => "auditor",
            Role::Supervisor => "supervisor",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of ours.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown role `{0}` (operator, trustee, auditor or supervisor)")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "operator" => Ok(Role::Operator),
            "trustee" => Ok(Role::Trustee),
            "auditor" => Ok(Role::Auditor),
            "supervisor" => Ok(Role::Supervisor),
            other => Err(UnknownRole(other.to_owned())),
        }
    }
}

/// A bearer token, as the client holds it. Never stored; never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(…)")
    }
}

impl Token {
    /// A fresh random token.
    pub fn generate() -> Token {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        Token(format!("{TOKEN_PREFIX}{}", hex::encode(bytes)))
    }

    /// Parses a presented token: the prefix and 64 lowercase hex digits.
    pub fn parse(s: &str) -> Option<Token> {
        let hex = s.strip_prefix(TOKEN_PREFIX)?;
        let ok = hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        ok.then(|| Token(s.to_owned()))
    }

    /// The token text (to show once).
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// What the store keeps: SHA-256 of the token text.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.0.as_bytes()).into()
    }
}

/// `bytes` random bytes from the OS, in hex.
pub fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// The public id of a credential: the first 8 bytes of its token hash, in hex.
pub fn credential_id(token_hash: &[u8]) -> String {
    hex::encode(&token_hash[..token_hash.len().min(8)])
}

/// A stored credential (without its token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// Public id (see [`credential_id`]).
    pub id: String,
    /// Role.
    pub role: Role,
    /// The fund a trustee credential writes; `None` for other roles.
    pub fund: Option<String>,
    /// Who or what it is for.
    pub label: String,
    /// When it was issued (RFC 3339 UTC).
    pub created_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
}

impl Credential {
    /// True while not revoked.
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_parse_back() {
        let a = Token::generate();
        let b = Token::generate();
        assert_ne!(a, b);
        assert!(a.reveal().starts_with(TOKEN_PREFIX));
        assert_eq!(a.reveal().len(), TOKEN_PREFIX.len() + 64);
        assert_eq!(Token::parse(a.reveal()), Some(a.clone()));
        assert_ne!(a.hash(), b.hash());
        assert_eq!(credential_id(&a.hash()).len(), 16);
    }

    #[test]
    fn malformed_tokens_do_not_parse() {
        let t = Token::generate();
        for bad in [
            "",
            "clt_",
            &t.reveal()[1..],
            &t.reveal().to_uppercase(),
            &format!("{}0", t.reveal()),
            &t.reveal()[..t.reveal().len() - 1],
            "Bearer clt_00",
        ] {
            assert_eq!(Token::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn roles_round_trip() {
        for r in [Role::Operator, Role::Trustee, Role::Auditor] {
            assert_eq!(r.as_str().parse::<Role>().ok(), Some(r));
        }
        assert!("admin".parse::<Role>().is_err());
    }

    #[test]
    fn token_debug_does_not_leak() {
        let t = Token::generate();
        assert!(!format!("{t:?}").contains(&t.reveal()[4..]));
    }
}
