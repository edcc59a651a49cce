//! Strict on write, lenient on read (FORMAT.md §3).
//!
//! A verifier reads signatures by the ZIP-215 rule ([`PublicKey::verify`]): cofactored,
//! non-canonical point encodings allowed. Browsers' WebCrypto Ed25519 and most libraries
//! verify by the cofactorless RFC 8032 equation and refuse non-canonical encodings and
//! points of small order. So that every *recorded* signature verifies the same under both,
//! the server records only what the stricter rule accepts too: this module holds that
//! rule, and [`check_for_write`] is what every write path (append, proposal, co-signature)
//! calls. Verifiers never call it: an old export whose signatures are ZIP-215-valid but not
//! strict still verifies.

use curve25519_dalek::edwards::CompressedEdwardsY;
use ed25519_dalek::{Signature, VerifyingKey};

use crate::body::{Body, Trustee};
use crate::entry::{signing_message, verify_signatures, EntryError, Intent, Sig};
use crate::keys::{PublicKey, SignatureBytes};
use crate::recent::Recent;

/// How many keys [`strict_key`] keeps per thread: a fund's entries are signed by a
/// handful of trustees, and one server serves thirty funds.
const STRICT_KEYS_CACHED: usize = 64;

thread_local! {
    /// Keys this thread checked recently: the decompressed key when it is strict, `None`
    /// when it is not.
    static STRICT_KEYS: std::cell::RefCell<Recent<[u8; 32], Option<VerifyingKey>>> =
        const { std::cell::RefCell::new(Recent::new(STRICT_KEYS_CACHED)) };
}

/// Whether `bytes` is the canonical encoding of a curve point that is not of small order:
/// it decodes, and encoding the decoded point gives the same 32 bytes (so the `y`
/// coordinate is below 2^255 − 19 and no "negative zero" `x` sign bit is set).
pub fn point_is_strict(bytes: &[u8; 32]) -> bool {
    let compressed = CompressedEdwardsY(*bytes);
    compressed
        .decompress()
        .is_some_and(|p| !p.is_small_order() && p.compress() == compressed)
}

/// Whether a key may be written into a new entry: its encoding is canonical and it is not
/// of small order ([`point_is_strict`]).
pub fn key_is_strict(key: &PublicKey) -> bool {
    point_is_strict(key.as_bytes())
}

/// The key decompressed for [`VerifyingKey::verify_strict`] when it is
/// [`key_is_strict`], `None` when it is not; from [`STRICT_KEYS`] when this thread
/// checked it recently. Both are pure functions of the key's bytes, so the cache changes
/// nothing but speed: it saves three of the five field exponentiations a signature's
/// check would otherwise cost (the key's decompression twice and its re-encoding).
fn strict_key(key: &PublicKey) -> Option<VerifyingKey> {
    STRICT_KEYS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(checked) = cache.get(key.as_bytes()) {
            return checked;
        }
        let checked = if key_is_strict(key) {
            VerifyingKey::from_bytes(key.as_bytes()).ok()
        } else {
            None
        };
        cache.insert(*key.as_bytes(), checked);
        checked
    })
}

/// Whether `sig` by `key` over `msg` is accepted by a strict cofactorless RFC 8032
/// verifier: `s` < ℓ, `R` and the key canonically encoded and not of small order, and
/// `[s]B = R + [k]A` (ed25519-dalek's `verify_strict`, which also compares the encoding of
/// the recomputed `R` with the signature's bytes, plus the key's canonical encoding).
///
/// Computed as `verify_strict` is, less one field exponentiation per signature: the key's
/// checks are kept ([`strict_key`]), and instead of decompressing `R` to test its order,
/// `R`'s bytes are compared with the eight encodings of the points of small order
/// ([`small_order_encodings`]), then dalek's `verify` (the same code as `verify_strict`
/// without its two order tests: `s` < ℓ, then the recomputed `[s]B − [k]A` encoded and
/// compared with `R`'s bytes) is run. Why that is the same rule: when `verify` accepts,
/// `R`'s bytes are the canonical encoding of the point `P` = `[s]B − [k]A`, so `R`
/// decodes to `P`, and `P` is of small order exactly when those bytes are one of the
/// eight encodings; when `verify` refuses, `verify_strict` refuses too (it ends with the
/// same comparison). `tests/signature_rules.rs` checks the verdicts against
/// `verify_strict` on every edge case.
pub fn signature_is_strict(key: &PublicKey, msg: &[u8], sig: &SignatureBytes) -> bool {
    let r: &[u8] = &sig.0[..32];
    strict_key(key).is_some_and(|vk| {
        !small_order_encodings().iter().any(|t| t[..] == *r)
            && ed25519_dalek::Verifier::verify(&vk, msg, &Signature::from_bytes(&sig.0)).is_ok()
    })
}

/// The canonical encodings of the eight points of small order (the 8-torsion), computed
/// once.
fn small_order_encodings() -> &'static [[u8; 32]; 8] {
    static ENCODINGS: std::sync::OnceLock<[[u8; 32]; 8]> = std::sync::OnceLock::new();
    ENCODINGS
        .get_or_init(|| curve25519_dalek::constants::EIGHT_TORSION.map(|t| t.compress().to_bytes()))
}

/// Checks signatures for recording: each one verifies strictly ([`signature_is_strict`]).
/// One that does not is reported as `bad_signature` when it does not verify by the read
/// rule either (ZIP-215), and as `signature_not_strict` when it does: the signature is
/// genuine, but in a form some verifiers refuse, so it is not written.
pub fn check_signatures_for_write(sigs: &[Sig], intent_bytes: &[u8]) -> Result<(), EntryError> {
    let msg = signing_message(intent_bytes);
    for s in sigs {
        if !signature_is_strict(&s.key, &msg, &s.sig) {
            verify_signatures(std::slice::from_ref(s), intent_bytes)?;
            return Err(EntryError::SignatureNotStrict(s.key.to_hex()));
        }
    }
    Ok(())
}

/// Checks the keys a body brings into a fund (the genesis' trustees, a trustee change's
/// `add`) for recording: each is [`key_is_strict`], else `key_not_strict`. Keys a body
/// only refers to (a trustee change's `remove`) are not checked, so a trustee recorded
/// under the lenient rule can still be removed.
pub fn check_body_keys_for_write(body: &Body) -> Result<(), EntryError> {
    let added: &[Trustee] = match body {
        Body::Genesis(g) => &g.trustees,
        Body::Trustees(t) => &t.add,
        _ => &[],
    };
    match added.iter().find(|t| !key_is_strict(&t.key)) {
        Some(t) => Err(EntryError::KeyNotStrict(t.key.to_hex())),
        None => Ok(()),
    }
}

/// Everything the write rule adds to the read rule for a signed intent: its signatures
/// ([`check_signatures_for_write`]), then the keys its body adds
/// ([`check_body_keys_for_write`]). The signature list's shape is checked before
/// ([`crate::entry::check_signature_list`]).
pub fn check_for_write(
    intent: &Intent,
    sigs: &[Sig],
    intent_bytes: &[u8],
) -> Result<(), EntryError> {
    check_signatures_for_write(sigs, intent_bytes)?;
    check_body_keys_for_write(&intent.body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::EIGHT_TORSION;

    #[test]
    fn small_order_and_non_canonical_points_are_not_strict() {
        for t in EIGHT_TORSION {
            assert!(!point_is_strict(&t.compress().to_bytes()));
        }
        // The identity with y = 1 + p: a non-canonical encoding.
        let mut y = [0xffu8; 32];
        y[0] = 0xee;
        y[31] = 0x7f;
        assert!(!point_is_strict(&y));
        let b = curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
        assert!(point_is_strict(&b.compress().to_bytes()));
    }
}
