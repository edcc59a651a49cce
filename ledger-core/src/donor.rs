//! Donor commitments (DESIGN §5): how a resident's identity is bound into the chain
//! without being published.

use sha2::{Digest, Sha256};

use crate::body::{Donor, DonorClass};
use crate::hash::Hash;
use crate::text::ShortText;

/// Domain-separation prefix of a donor commitment.
pub const DONOR_COMMITMENT_PREFIX: &[u8] = b"community-ledger/donor/v1\n";
/// Length of the random salt, in bytes.
pub const SALT_BYTES: usize = 16;

/// The identity committed to: the donor's name and phone, joined by a newline.
pub fn identity_string(name: &str, phone: &str) -> String {
    format!("{name}\n{phone}")
}

/// SHA-256(prefix ‖ salt ‖ UTF-8 identity).
pub fn commitment(salt: &[u8; SALT_BYTES], identity: &str) -> Hash {
    let mut h = Sha256::new();
    h.update(DONOR_COMMITMENT_PREFIX);
    h.update(salt);
    h.update(identity.as_bytes());
    Hash(h.finalize().into())
}

/// Longest donor name kept in the vault, in characters (the server's limit).
pub const DONOR_NAME_CHARS_MAX: usize = 100;
/// Longest donor phone number, in characters (the server's limit).
pub const DONOR_PHONE_CHARS_MAX: usize = 32;

/// A resident donor's identity, sent beside the intent (never in it) for the vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DonorIdentity {
    /// Random salt of the commitment.
    pub salt: [u8; SALT_BYTES],
    /// Name.
    pub name: String,
    /// Phone.
    pub phone: String,
}

impl DonorIdentity {
    /// The `donor_identity` member of an append request: salt in hex, name, phone.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"salt": hex::encode(self.salt), "name": self.name, "phone": self.phone})
    }
}

fn present(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// The donor as the chain records it, and a resident's identity for the vault.
///
/// A resident needs a name and a phone: they go to the vault, the chain gets only the
/// commitment under `salt` (which the caller draws at random) and the name too if the
/// resident consented to be named. Enterprises and organisations need a name; anonymous
/// donors have none. Only a resident has a phone. Blank cells count as absent.
pub fn donor_of(
    class: DonorClass,
    name: Option<&str>,
    phone: Option<&str>,
    name_public: bool,
    salt: [u8; SALT_BYTES],
) -> Result<(Donor, Option<DonorIdentity>), String> {
    let (name, phone) = (present(name), present(phone));
    let short = |n: &str| ShortText::parse(n).map_err(|e| format!("donor name: {e}"));
    if class != DonorClass::Resident && phone.is_some() {
        return Err("only a resident donor's phone is recorded (in the donor vault)".into());
    }
    if class != DonorClass::Resident && name_public {
        return Err("naming consent applies to residents only".into());
    }
    let plain = |name: Option<ShortText>| Donor {
        class,
        name,
        name_consent: None,
        commitment: None,
    };
    match class {
        DonorClass::Resident => {
            let (Some(name), Some(phone)) = (name, phone) else {
                return Err(
                    "a resident donor needs a name and a phone (kept off the chain; \
                     only their salted commitment is recorded)"
                        .into(),
                );
            };
            if name.chars().count() > DONOR_NAME_CHARS_MAX {
                return Err(format!(
                    "donor name longer than {DONOR_NAME_CHARS_MAX} characters"
                ));
            }
            let phone_ok = phone.chars().count() <= DONOR_PHONE_CHARS_MAX
                && phone
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' '));
            if !phone_ok {
                return Err(format!(
                    "donor phone {phone:?}: 1 to {DONOR_PHONE_CHARS_MAX} digits (with + - or spaces)"
                ));
            }
            let donor = Donor {
                class,
                name: if name_public {
                    Some(short(name)?)
                } else {
                    None
                },
                name_consent: name_public.then_some(true),
                commitment: Some(commitment(&salt, &identity_string(name, phone))),
            };
            let id = DonorIdentity {
                salt,
                name: name.to_owned(),
                phone: phone.to_owned(),
            };
            Ok((donor, Some(id)))
        }
        DonorClass::Enterprise | DonorClass::Organisation => {
            let name = name.ok_or("an enterprise or organisation donor needs a name")?;
            Ok((plain(Some(short(name)?)), None))
        }
        DonorClass::Anonymous => {
            if name.is_some() {
                return Err("an anonymous donor has no name".into());
            }
            Ok((plain(None), None))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commitment_binds_salt_and_identity() {
        let id = identity_string("王小明", "13800000000");
        let a = commitment(&[1; 16], &id);
        assert_ne!(a, commitment(&[2; 16], &id));
        assert_ne!(
            a,
            commitment(&[1; 16], &identity_string("王小明", "13800000001"))
        );
        // Recomputed by hand: prefix ‖ salt ‖ identity.
        let mut bytes = DONOR_COMMITMENT_PREFIX.to_vec();
        bytes.extend_from_slice(&[1; 16]);
        bytes.extend_from_slice(id.as_bytes());
        assert_eq!(a, crate::hash::sha256(&bytes));
    }
}
