//! Intents (what trustees sign) and entries (what the log holds): their canonical bytes,
//! hashes and signatures (FORMAT.md §3–§4).

use ed25519_dalek::{Signer, SigningKey};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::body::{Body, Kind, TRUSTEES_MAX};
use crate::canonical::{canonicalize, parse_canonical, scan_canonical, CanonicalError, JcsWriter};
use crate::error::{Coded, FieldError};
use crate::hash::{leaf_hash, Hash};
use crate::ids::{FundId, IdempotencyKey};
use crate::keys::{PublicKey, SignatureBytes};
use crate::time::Instant;

/// Domain-separation prefix of the message a trustee signs: these bytes, then JCS(intent).
pub const INTENT_SIGNING_PREFIX: &[u8] = b"community-ledger/intent/v1\n";
/// The entry format version, the `v` field.
pub const ENTRY_VERSION: u64 = 1;
/// Largest canonical entry, in bytes.
pub const ENTRY_BYTES_MAX: usize = 64 * 1024;

/// Why bytes are not a well-formed intent or entry, or a signature does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EntryError {
    /// Not canonical JSON (or not JSON, or not UTF-8).
    #[error("{0}")]
    Canonical(CanonicalError),
    /// Larger than [`ENTRY_BYTES_MAX`].
    #[error("entry is {len} bytes; the limit is {max}")]
    TooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A field is missing, unknown, of the wrong type, or its value does not parse.
    #[error("{}", .0.en)]
    Field(FieldError),
    /// The entry's `v` is not 1.
    #[error("unsupported entry version {0}")]
    Version(u64),
    /// The intent carries a field in a form its type does not produce (e.g. an explicit
    /// `null` for an absent optional field), so it has two spellings.
    #[error("intent is not in its one canonical form (e.g. explicit null)")]
    IntentForm,
    /// An entry carries no signature.
    #[error("entry has no signature")]
    NoSignature,
    /// More signatures than trustees a fund may have.
    #[error("entry has {0} signatures; at most {TRUSTEES_MAX} are allowed")]
    TooManySignatures(usize),
    /// Signatures are not sorted by key, or one key signs twice.
    #[error("signatures must be sorted by key, each key once")]
    SignatureOrder,
    /// A signature does not verify over the intent.
    #[error("signature by {0} does not verify over the intent")]
    BadSignature(String),
    /// At write only (FORMAT.md §3): a signature that verifies by the read rule (ZIP-215)
    /// but not by a strict cofactorless RFC 8032 verifier, see [`crate::strict`].
    #[error("signature by {0} verifies only under the lenient rule (ZIP-215), not strict RFC 8032 (non-canonical or small-order R or key, or a cofactor-only equation); it is not recorded")]
    SignatureNotStrict(String),
    /// At write only (FORMAT.md §3): a key a body adds is not canonically encoded or is of
    /// small order, see [`crate::strict`].
    #[error("key {0} is not the canonical encoding of an Ed25519 point of large order; it is not recorded")]
    KeyNotStrict(String),
}

impl Coded for EntryError {
    fn code(&self) -> &'static str {
        match self {
            EntryError::Canonical(e) => e.code(),
            EntryError::TooLarge { .. } => "entry_too_large",
            EntryError::Field(f) => f.code,
            EntryError::Version(_) => "unsupported_version",
            EntryError::IntentForm => "intent_not_canonical",
            EntryError::NoSignature => "no_signature",
            EntryError::TooManySignatures(_) => "too_many_signatures",
            EntryError::SignatureOrder => "duplicate_signer",
            EntryError::BadSignature(_) => "bad_signature",
            EntryError::SignatureNotStrict(_) => "signature_not_strict",
            EntryError::KeyNotStrict(_) => "key_not_strict",
        }
    }
    fn message_en(&self) -> String {
        self.to_string()
    }
    fn message_zh(&self) -> String {
        match self {
            EntryError::Canonical(e) => e.message_zh(),
            EntryError::TooLarge { len, max } => format!("条目大小为 {len} 字节，上限为 {max}"),
            EntryError::Field(f) => f.zh.clone(),
            EntryError::Version(v) => format!("不支持的条目版本 {v}"),
            EntryError::IntentForm => "意图不是唯一的规范形式（例如含有显式 null）".into(),
            EntryError::NoSignature => "条目没有签名".into(),
            EntryError::TooManySignatures(n) => {
                format!("条目有 {n} 个签名，最多允许 {TRUSTEES_MAX} 个")
            }
            EntryError::SignatureOrder => "签名必须按公钥排序，且每个公钥只能签一次".into(),
            EntryError::BadSignature(k) => format!("公钥 {k} 的签名与意图不符"),
            EntryError::SignatureNotStrict(k) => format!(
                "公钥 {k} 的签名只在宽松规则（ZIP-215）下成立，不符合严格的 RFC 8032（R 或公钥编码不规范、阶过小，或只满足带余因子的等式），不予记录"
            ),
            EntryError::KeyNotStrict(k) => {
                format!("公钥 {k} 不是大阶 Ed25519 点的规范编码，不予记录")
            }
        }
    }
}

impl From<CanonicalError> for EntryError {
    fn from(e: CanonicalError) -> Self {
        EntryError::Canonical(e)
    }
}

/// What a trustee signs: which fund, what, an idempotency key and when it was signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    /// The fund written to.
    pub fund: FundId,
    /// The typed body; its kind is the intent's `kind`.
    pub body: Body,
    /// The client's idempotency key.
    pub key: IdempotencyKey,
    /// When the trustee signed (their clock).
    pub signed_at: Instant,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIntent {
    fund: FundId,
    kind: Kind,
    body: Value,
    key: IdempotencyKey,
    signed_at: Instant,
}

/// The fields of an intent but its body, for the fast path of [`Intent::from_value`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IntentHead {
    fund: FundId,
    kind: Kind,
    #[allow(dead_code)]
    body: serde::de::IgnoredAny,
    key: IdempotencyKey,
    signed_at: Instant,
}

/// An intent typed straight from its bytes, its body of type `B` (the fast paths).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TypedIntent<B> {
    fund: FundId,
    kind: Kind,
    body: B,
    key: IdempotencyKey,
    signed_at: Instant,
}

/// An entry typed straight from its bytes, its body of type `B` (the fast path).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TypedEntry<B> {
    v: u64,
    fund: FundId,
    seq: u64,
    prev: Hash,
    recorded_at: Instant,
    intent: TypedIntent<B>,
    sigs: Vec<Sig>,
}

impl<B> TypedIntent<B> {
    fn into_intent(self, wrap: fn(B) -> Body) -> Intent {
        Intent {
            fund: self.fund,
            body: wrap(self.body),
            key: self.key,
            signed_at: self.signed_at,
        }
    }
}

/// A typed intent or entry whose body type is still a parameter: `wrap` puts the body in
/// its [`Body`] variant.
trait WrapBody<B> {
    type Out;
    fn wrap(self, wrap: fn(B) -> Body) -> Self::Out;
}

impl<B> WrapBody<B> for TypedIntent<B> {
    type Out = (Kind, Intent);
    fn wrap(self, wrap: fn(B) -> Body) -> (Kind, Intent) {
        (self.kind, self.into_intent(wrap))
    }
}

/// The typed fields of an entry, its intent assembled.
struct TypedFields {
    v: u64,
    kind: Kind,
    entry: Entry,
}

impl<B> WrapBody<B> for TypedEntry<B> {
    type Out = TypedFields;
    fn wrap(self, wrap: fn(B) -> Body) -> TypedFields {
        TypedFields {
            v: self.v,
            kind: self.intent.kind,
            entry: Entry {
                fund: self.fund,
                seq: self.seq,
                prev: self.prev,
                recorded_at: self.recorded_at,
                intent: self.intent.into_intent(wrap),
                sigs: self.sigs,
            },
        }
    }
}

/// Types `text` (canonical JSON) as `$t<B>`, `B` the body type of `kind`, and wraps the
/// body. None if it does not type-check.
macro_rules! typed_by_kind {
    ($t:ident, $kind:expr, $text:expr) => {{
        fn go<B: serde::de::DeserializeOwned>(text: &str) -> Option<$t<B>> {
            serde_json::from_str(text).ok()
        }
        use crate::body::Body as B;
        match $kind {
            Kind::Genesis => go($text).map(|x| x.wrap(B::Genesis)),
            Kind::Trustees => go($text).map(|x| x.wrap(B::Trustees)),
            Kind::Donation => go($text).map(|x| x.wrap(B::Donation)),
            Kind::Agreement => go($text).map(|x| x.wrap(B::Agreement)),
            Kind::RevenueShare => go($text).map(|x| x.wrap(B::RevenueShare)),
            Kind::Space => go($text).map(|x| x.wrap(B::Space)),
            Kind::Rental => go($text).map(|x| x.wrap(B::Rental)),
            Kind::Disbursement => go($text).map(|x| x.wrap(B::Disbursement)),
            Kind::Reversal => go($text).map(|x| x.wrap(B::Reversal)),
            Kind::Statement => go($text).map(|x| x.wrap(B::Statement)),
            Kind::Opinion => go($text).map(|x| x.wrap(B::Opinion)),
            Kind::Restriction => go($text).map(|x| x.wrap(B::Restriction)),
            Kind::RestrictionRevocation => go($text).map(|x| x.wrap(B::RestrictionRevocation)),
            Kind::RestrictionClosing => go($text).map(|x| x.wrap(B::RestrictionClosing)),
        }
    }};
}

/// The intent written as JCS by [`JcsWriter`]: the members of [`Intent::to_value`].
struct IntentJcs<'a>(&'a Intent);

impl Serialize for IntentJcs<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let i = self.0;
        let mut st = s.serialize_struct("Intent", 5)?;
        match &i.body {
            Body::Genesis(b) => st.serialize_field("body", b)?,
            Body::Trustees(b) => st.serialize_field("body", b)?,
            Body::Donation(b) => st.serialize_field("body", b)?,
            Body::Agreement(b) => st.serialize_field("body", b)?,
            Body::RevenueShare(b) => st.serialize_field("body", b)?,
            Body::Space(b) => st.serialize_field("body", b)?,
            Body::Rental(b) => st.serialize_field("body", b)?,
            Body::Disbursement(b) => st.serialize_field("body", b)?,
            Body::Reversal(b) => st.serialize_field("body", b)?,
            Body::Statement(b) => st.serialize_field("body", b)?,
            Body::Opinion(b) => st.serialize_field("body", b)?,
            Body::Restriction(b) => st.serialize_field("body", b)?,
            Body::RestrictionRevocation(b) => st.serialize_field("body", b)?,
            Body::RestrictionClosing(b) => st.serialize_field("body", b)?,
        }
        st.serialize_field("fund", i.fund.as_str())?;
        st.serialize_field("key", i.key.as_str())?;
        st.serialize_field("kind", i.kind().as_str())?;
        st.serialize_field("signed_at", &i.signed_at)?;
        st.end()
    }
}

thread_local! {
    /// This thread's JCS writer, so its buffers are reused from one entry to the next.
    static JCS: std::cell::RefCell<JcsWriter> = std::cell::RefCell::new(JcsWriter::new());
}

/// Whether `bytes` are exactly JCS(intent.to_value()): the intent's one spelling. False
/// too when the direct writer cannot tell (the caller then takes the reference path).
fn intent_spelled(intent: &Intent, bytes: &[u8]) -> bool {
    JCS.with(|w| {
        w.try_borrow_mut()
            .is_ok_and(|mut w| w.write(&IntentJcs(intent)).is_ok_and(|b| b == bytes))
    })
}

/// One signature on an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sig {
    /// The signer's public key.
    #[serde(deserialize_with = "sig_key")]
    pub key: PublicKey,
    /// Ed25519 signature over [`INTENT_SIGNING_PREFIX`] ‖ JCS(intent).
    pub sig: SignatureBytes,
}

/// Signer keys recently parsed on this thread, by their hex form, most recent first.
///
/// A log is signed by a handful of keys, and turning a key's bytes into a curve point
/// (point decompression, needed to verify) costs a third of a signature check; this
/// remembers the few last ones. [`PublicKey::from_hex`] is a pure function of the string,
/// so the cache changes nothing but speed.
const SIG_KEYS_CACHED: usize = 64;

thread_local! {
    static SIG_KEYS: std::cell::RefCell<crate::recent::Recent<String, PublicKey>> =
        const { std::cell::RefCell::new(crate::recent::Recent::new(SIG_KEYS_CACHED)) };
}

/// Deserialises a signature's key exactly as [`PublicKey`] does, through [`SIG_KEYS`].
fn sig_key<'de, D: serde::Deserializer<'de>>(d: D) -> Result<PublicKey, D::Error> {
    crate::error::parse_str(d, |s: &str| -> Result<PublicKey, crate::keys::KeyError> {
        if let Some(key) = SIG_KEYS.with(|c| c.borrow_mut().get(s)) {
            return Ok(key);
        }
        let key = PublicKey::from_hex(s)?;
        SIG_KEYS.with(|c| c.borrow_mut().insert(s.to_owned(), key));
        Ok(key)
    })
}

/// Codes that typed field parsers embed in serde errors (see [`crate::error::de_error`]).
fn field_codes() -> &'static [&'static str] {
    crate::error::FIELD_CODES
}

fn deserialize_at<T: serde::de::DeserializeOwned>(
    prefix: &str,
    value: Value,
) -> Result<T, EntryError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let path = match (prefix.is_empty(), inner.as_str()) {
            (true, _) => inner.clone(),
            (false, ".") => prefix.to_owned(),
            (false, _) => format!("{prefix}.{inner}"),
        };
        EntryError::Field(FieldError::from_serde(
            path,
            &e.into_inner().to_string(),
            field_codes(),
        ))
    })
}

impl Intent {
    /// The intent's kind.
    pub fn kind(&self) -> Kind {
        self.body.kind()
    }

    /// The intent as a JSON value.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("fund".into(), Value::String(self.fund.as_str().to_owned()));
        m.insert(
            "kind".into(),
            Value::String(self.kind().as_str().to_owned()),
        );
        // Body types serialise only strings, integers, bools, arrays and objects.
        m.insert("body".into(), self.body.to_value().unwrap_or(Value::Null));
        m.insert("key".into(), Value::String(self.key.as_str().to_owned()));
        m.insert(
            "signed_at".into(),
            Value::String(self.signed_at.to_string()),
        );
        Value::Object(m)
    }

    /// JCS(intent): the bytes that, after [`INTENT_SIGNING_PREFIX`], are signed.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        canonicalize(&self.to_value())
    }

    /// Parses an intent from a JSON value, refusing any field that would not come back
    /// in the same form (so an intent has exactly one signed spelling).
    pub fn from_value(value: Value) -> Result<Intent, EntryError> {
        match Intent::from_value_fast(&value) {
            Some(intent) => Ok(intent),
            None => Intent::from_value_slow(value),
        }
    }

    /// [`Intent::from_value`] step by step, with located errors.
    fn from_value_slow(value: Value) -> Result<Intent, EntryError> {
        let raw: RawIntent = deserialize_at("", value.clone())?;
        let body = match serde_path_to_error::deserialize::<_, Value>(raw.body) {
            Ok(v) => body_from_value(raw.kind, v)?,
            Err(e) => {
                return Err(EntryError::Field(FieldError::from_serde(
                    "body".into(),
                    &e.into_inner().to_string(),
                    field_codes(),
                )))
            }
        };
        let intent = Intent {
            fund: raw.fund,
            body,
            key: raw.key,
            signed_at: raw.signed_at,
        };
        if intent.to_value() != value {
            return Err(EntryError::IntentForm);
        }
        Ok(intent)
    }

    /// The common case of [`Intent::from_value`]: deserialises in place (no copy of the
    /// value, no tracking of the path for error messages). None if anything is wrong, and
    /// the caller then takes the slow path, which finds the same intent or says what is
    /// wrong and where.
    fn from_value_fast(value: &Value) -> Option<Intent> {
        let head = IntentHead::deserialize(value).ok()?;
        let body = body_from_ref(head.kind, value.get("body")?).ok()?;
        let intent = Intent {
            fund: head.fund,
            body,
            key: head.key,
            signed_at: head.signed_at,
        };
        (intent.to_value() == *value).then_some(intent)
    }

    /// Parses canonical intent bytes as a trustee's client sends them. Bytes that are not
    /// already canonical are refused: clients canonicalise before signing.
    pub fn from_canonical_bytes(bytes: &[u8]) -> Result<Intent, EntryError> {
        if bytes.len() > ENTRY_BYTES_MAX {
            return Err(EntryError::TooLarge {
                len: bytes.len(),
                max: ENTRY_BYTES_MAX,
            });
        }
        match Intent::from_bytes_fast(bytes) {
            Some(intent) => Ok(intent),
            None => Intent::from_value(parse_canonical(bytes)?),
        }
    }

    /// The common case of [`Intent::from_canonical_bytes`]: canonical form checked by a
    /// scan, the intent typed straight from the bytes, and its one spelling checked by
    /// writing it again. None if anything is wrong or undecided here: the reference path
    /// then finds the same intent or says what is wrong.
    fn from_bytes_fast(bytes: &[u8]) -> Option<Intent> {
        let mut spans = [None];
        let text = scan_canonical(bytes, &[&["kind"]], &mut spans)?;
        let [kind_span] = spans;
        let kind: Kind = serde_json::from_str(text.get(kind_span?)?).ok()?;
        let (typed_kind, intent): (Kind, Intent) = typed_by_kind!(TypedIntent, kind, text)?;
        (typed_kind == kind && intent_spelled(&intent, bytes)).then_some(intent)
    }

    /// Signs the intent with a trustee's key.
    pub fn sign(&self, key: &SigningKey) -> Sig {
        let msg = signing_message(&self.canonical_bytes());
        Sig {
            key: PublicKey::from_verifying_key(key.verifying_key()),
            sig: SignatureBytes(key.sign(&msg).to_bytes()),
        }
    }
}

fn body_from_value(kind: Kind, value: Value) -> Result<Body, EntryError> {
    use crate::body::Body as B;
    if let Some(member) = typed_release(&value) {
        return Err(EntryError::Field(release_not_derived(member)));
    }
    Ok(match kind {
        Kind::Genesis => B::Genesis(deserialize_at("body", value)?),
        Kind::Trustees => B::Trustees(deserialize_at("body", value)?),
        Kind::Donation => B::Donation(deserialize_at("body", value)?),
        Kind::Agreement => B::Agreement(deserialize_at("body", value)?),
        Kind::RevenueShare => B::RevenueShare(deserialize_at("body", value)?),
        Kind::Space => B::Space(deserialize_at("body", value)?),
        Kind::Rental => B::Rental(deserialize_at("body", value)?),
        Kind::Disbursement => B::Disbursement(deserialize_at("body", value)?),
        Kind::Reversal => B::Reversal(deserialize_at("body", value)?),
        Kind::Statement => B::Statement(deserialize_at("body", value)?),
        Kind::Opinion => B::Opinion(deserialize_at("body", value)?),
        Kind::Restriction => B::Restriction(deserialize_at("body", value)?),
        Kind::RestrictionRevocation => B::RestrictionRevocation(deserialize_at("body", value)?),
        Kind::RestrictionClosing => B::RestrictionClosing(deserialize_at("body", value)?),
    })
}

/// Members no body may carry: a release of restricted money (限定性净资产转为非限定性净资产)
/// is derived from spending, revocations and closings, never written by hand (FORMAT.md §5).
pub const RELEASE_MEMBERS: [&str; 3] = ["release", "releases", "released"];

/// The release member a body carries, if any (a statement's releases live in its
/// columns, where they are recomputed, not at its top level).
fn typed_release(value: &Value) -> Option<&'static str> {
    let object = value.as_object()?;
    RELEASE_MEMBERS
        .into_iter()
        .find(|m| object.contains_key(*m))
}

fn release_not_derived(member: &str) -> FieldError {
    FieldError {
        path: format!("body.{member}"),
        code: "release_not_derived",
        en: format!(
            "a body cannot carry `{member}`: releases of restricted money are derived from \
             disbursements naming a restriction, revocations and closings"
        ),
        zh: format!(
            "条目不能带 `{member}`：限定性净资产转为非限定性净资产的金额由动用限定资金的支出、\
             撤销限定和项目结项推算得出，不能手填"
        ),
    }
}

/// [`body_from_value`] without path tracking, from a borrowed value.
fn body_from_ref(kind: Kind, value: &Value) -> Result<Body, serde_json::Error> {
    use crate::body::Body as B;
    use serde::Deserialize as D;
    Ok(match kind {
        Kind::Genesis => B::Genesis(D::deserialize(value)?),
        Kind::Trustees => B::Trustees(D::deserialize(value)?),
        Kind::Donation => B::Donation(D::deserialize(value)?),
        Kind::Agreement => B::Agreement(D::deserialize(value)?),
        Kind::RevenueShare => B::RevenueShare(D::deserialize(value)?),
        Kind::Space => B::Space(D::deserialize(value)?),
        Kind::Rental => B::Rental(D::deserialize(value)?),
        Kind::Disbursement => B::Disbursement(D::deserialize(value)?),
        Kind::Reversal => B::Reversal(D::deserialize(value)?),
        Kind::Statement => B::Statement(D::deserialize(value)?),
        Kind::Opinion => B::Opinion(D::deserialize(value)?),
        Kind::Restriction => B::Restriction(D::deserialize(value)?),
        Kind::RestrictionRevocation => B::RestrictionRevocation(D::deserialize(value)?),
        Kind::RestrictionClosing => B::RestrictionClosing(D::deserialize(value)?),
    })
}

/// The exact message signed for an intent whose canonical bytes are `intent_bytes`.
pub fn signing_message(intent_bytes: &[u8]) -> Vec<u8> {
    let mut msg = Vec::with_capacity(INTENT_SIGNING_PREFIX.len() + intent_bytes.len());
    msg.extend_from_slice(INTENT_SIGNING_PREFIX);
    msg.extend_from_slice(intent_bytes);
    msg
}

/// Checks the shape of a signature list: non-empty, bounded, sorted by key, no key twice.
pub fn check_signature_list(sigs: &[Sig]) -> Result<(), EntryError> {
    if sigs.is_empty() {
        return Err(EntryError::NoSignature);
    }
    if sigs.len() > TRUSTEES_MAX {
        return Err(EntryError::TooManySignatures(sigs.len()));
    }
    if sigs.windows(2).any(|w| w[0].key >= w[1].key) {
        return Err(EntryError::SignatureOrder);
    }
    Ok(())
}

/// Verifies each signature over `signing_message(intent_bytes)`, one by one.
pub fn verify_signatures(sigs: &[Sig], intent_bytes: &[u8]) -> Result<(), EntryError> {
    let msg = signing_message(intent_bytes);
    for s in sigs {
        if !s.key.verify(&msg, &s.sig) {
            return Err(EntryError::BadSignature(s.key.to_hex()));
        }
    }
    Ok(())
}

/// A log entry: an intent with its signatures, placed by the server at `seq` after `prev`
/// at `recorded_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The fund's id.
    pub fund: FundId,
    /// Position in the fund's log, from 0.
    pub seq: u64,
    /// Hash of the entry at seq − 1 (all zeros at seq 0).
    pub prev: Hash,
    /// The server's timestamp; never decreases within a fund.
    pub recorded_at: Instant,
    /// What the trustees signed.
    pub intent: Intent,
    /// Signatures, sorted by key.
    pub sigs: Vec<Sig>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    v: u64,
    fund: FundId,
    seq: u64,
    prev: Hash,
    recorded_at: Instant,
    intent: Value,
    sigs: Vec<Sig>,
}

impl RawEntry {
    /// The parsed entry, once its intent is typed; `line` is what it was read from.
    fn into_parsed(self, intent: Intent, intent_bytes: Vec<u8>, line: &[u8]) -> ParsedEntry {
        ParsedEntry {
            entry: Entry {
                fund: self.fund,
                seq: self.seq,
                prev: self.prev,
                recorded_at: self.recorded_at,
                intent,
                sigs: self.sigs,
            },
            hash: leaf_hash(line),
            intent_bytes,
        }
    }
}

/// An entry parsed from its canonical line, with what verification needs of the bytes.
#[derive(Debug, Clone)]
pub struct ParsedEntry {
    /// The typed entry.
    pub entry: Entry,
    /// Its hash: the RFC 9162 leaf hash of the line.
    pub hash: Hash,
    /// JCS(intent), the signed bytes after the prefix.
    pub intent_bytes: Vec<u8>,
}

impl Entry {
    /// The entry as a JSON value.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("v".into(), Value::from(ENTRY_VERSION));
        m.insert("fund".into(), Value::String(self.fund.as_str().to_owned()));
        m.insert("seq".into(), Value::from(self.seq));
        m.insert("prev".into(), Value::String(self.prev.to_hex()));
        m.insert(
            "recorded_at".into(),
            Value::String(self.recorded_at.to_string()),
        );
        m.insert("intent".into(), self.intent.to_value());
        let sigs = self
            .sigs
            .iter()
            .map(|s| {
                let mut o = Map::new();
                o.insert("key".into(), Value::String(s.key.to_hex()));
                o.insert("sig".into(), Value::String(s.sig.to_hex()));
                Value::Object(o)
            })
            .collect();
        m.insert("sigs".into(), Value::Array(sigs));
        Value::Object(m)
    }

    /// The canonical bytes: what the log stores, exports and hashes.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        canonicalize(&self.to_value())
    }

    /// [`Entry::canonical_bytes`], given `intent_bytes` = JCS(the entry's intent) (the bytes
    /// its trustees signed, which the append path has at hand): the members are written
    /// directly, in JCS order (`fund`, `intent`, `prev`, `recorded_at`, `seq`, `sigs`, `v`),
    /// with the intent's bytes spliced in, instead of building a JSON tree of the whole
    /// entry and sorting it. The same bytes, when `intent_bytes` is the intent's JCS (a
    /// test checks it on every kind of entry, and debug builds check every append).
    pub fn canonical_bytes_with(&self, intent_bytes: &[u8]) -> Vec<u8> {
        fn hex_into(out: &mut Vec<u8>, bytes: &[u8]) {
            const DIGITS: &[u8; 16] = b"0123456789abcdef";
            for b in bytes {
                out.push(DIGITS[usize::from(b >> 4)]);
                out.push(DIGITS[usize::from(b & 15)]);
            }
        }
        fn string_into(out: &mut Vec<u8>, s: &str) {
            // serde_json escapes a string exactly as JCS does (", \, control characters;
            // lowercase \u00xx); writing to a Vec cannot fail.
            let _ = serde_json::to_writer(&mut *out, s);
        }
        let mut out = Vec::with_capacity(intent_bytes.len() + 160 + 200 * self.sigs.len());
        out.extend_from_slice(b"{\"fund\":");
        string_into(&mut out, self.fund.as_str());
        out.extend_from_slice(b",\"intent\":");
        out.extend_from_slice(intent_bytes);
        out.extend_from_slice(b",\"prev\":\"");
        hex_into(&mut out, &self.prev.0);
        out.extend_from_slice(b"\",\"recorded_at\":");
        string_into(&mut out, &self.recorded_at.to_string());
        out.extend_from_slice(b",\"seq\":");
        out.extend_from_slice(self.seq.to_string().as_bytes());
        out.extend_from_slice(b",\"sigs\":[");
        for (i, s) in self.sigs.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"key\":\"");
            hex_into(&mut out, s.key.as_bytes());
            out.extend_from_slice(b"\",\"sig\":\"");
            hex_into(&mut out, &s.sig.0);
            out.extend_from_slice(b"\"}");
        }
        out.extend_from_slice(b"],\"v\":");
        out.extend_from_slice(ENTRY_VERSION.to_string().as_bytes());
        out.push(b'}');
        out
    }

    /// The entry hash: SHA-256(0x00 ‖ canonical bytes).
    pub fn hash(&self) -> Hash {
        leaf_hash(&self.canonical_bytes())
    }

    /// Parses one export line (or stored entry bytes): canonical JSON, the entry shape,
    /// the intent's one canonical form and the signature list's shape. Signatures are
    /// not verified here (see [`verify_signatures`]) so callers may batch them.
    pub fn parse(line: &[u8]) -> Result<ParsedEntry, EntryError> {
        if line.len() > ENTRY_BYTES_MAX {
            return Err(EntryError::TooLarge {
                len: line.len(),
                max: ENTRY_BYTES_MAX,
            });
        }
        match Entry::parse_fast(line) {
            Some(parsed) => Ok(parsed),
            None => Entry::parse_slow(line),
        }
    }

    /// The common case of [`Entry::parse`]: canonical form checked by a scan (no tree),
    /// the entry typed straight from the bytes, the intent's one spelling checked by
    /// writing it again, and its bytes taken from the line. None if anything is wrong or
    /// undecided here: the slow path then says what and where. Whenever this succeeds, the
    /// slow path succeeds with the same result (the property tests below check it).
    fn parse_fast(line: &[u8]) -> Option<ParsedEntry> {
        let mut spans = [None, None];
        let text = scan_canonical(line, &[&["intent"], &["intent", "kind"]], &mut spans)?;
        let [intent_span, kind_span] = spans;
        let intent_bytes = line.get(intent_span?)?;
        let kind: Kind = serde_json::from_str(text.get(kind_span?)?).ok()?;
        let typed: TypedFields = typed_by_kind!(TypedEntry, kind, text)?;
        if typed.v != ENTRY_VERSION
            || typed.kind != kind
            || !intent_spelled(&typed.entry.intent, intent_bytes)
        {
            return None;
        }
        check_signature_list(&typed.entry.sigs).ok()?;
        Some(ParsedEntry {
            entry: typed.entry,
            hash: leaf_hash(line),
            intent_bytes: intent_bytes.to_vec(),
        })
    }

    /// [`Entry::parse`] step by step, with located errors (`line` is within the size limit).
    fn parse_slow(line: &[u8]) -> Result<ParsedEntry, EntryError> {
        let value = parse_canonical(line)?;
        let mut raw: RawEntry = deserialize_at("", value)?;
        if raw.v != ENTRY_VERSION {
            return Err(EntryError::Version(raw.v));
        }
        let intent_bytes = canonicalize(&raw.intent);
        let intent =
            Intent::from_value_slow(std::mem::take(&mut raw.intent)).map_err(|e| match e {
                EntryError::Field(mut f) => {
                    f.path = if f.path.is_empty() || f.path == "." {
                        "intent".into()
                    } else {
                        format!("intent.{}", f.path)
                    };
                    EntryError::Field(f)
                }
                other => other,
            })?;
        check_signature_list(&raw.sigs)?;
        Ok(raw.into_parsed(intent, intent_bytes, line))
    }
}

/// The reference paths that the quick ones must agree with, exposed to the fuzz targets in
/// `fuzz/` only (`cargo fuzz` builds every crate with `--cfg fuzzing`).
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing {
    use super::*;

    /// [`Entry::parse`] by the step-by-step path alone.
    pub fn entry_parse_slow(line: &[u8]) -> Result<ParsedEntry, EntryError> {
        if line.len() > ENTRY_BYTES_MAX {
            return Err(EntryError::TooLarge {
                len: line.len(),
                max: ENTRY_BYTES_MAX,
            });
        }
        Entry::parse_slow(line)
    }

    /// [`Intent::from_canonical_bytes`] by the reference path alone.
    pub fn intent_from_bytes_slow(bytes: &[u8]) -> Result<Intent, EntryError> {
        if bytes.len() > ENTRY_BYTES_MAX {
            return Err(EntryError::TooLarge {
                len: bytes.len(),
                max: ENTRY_BYTES_MAX,
            });
        }
        Intent::from_value_slow(parse_canonical(bytes)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::{build, SampleSpec, SplitMix};

    fn same(a: &Result<ParsedEntry, EntryError>, b: &Result<ParsedEntry, EntryError>) -> bool {
        match (a, b) {
            (Ok(x), Ok(y)) => {
                x.entry == y.entry && x.hash == y.hash && x.intent_bytes == y.intent_bytes
            }
            (Err(x), Err(y)) => x == y,
            _ => false,
        }
    }

    /// JSON pointers to every node of `v`.
    fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    pointers(child, format!("{at}/{k}"), out);
                }
            }
            Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    pointers(child, format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
        out.push(at);
    }

    /// Changes the value of a canonical line in a typed way and writes it canonically
    /// again: what the fast path sees most (canonical lines that may not type-check).
    fn mutate_value(line: &[u8], rng: &mut SplitMix) -> Vec<u8> {
        let mut v: Value = serde_json::from_slice(line).unwrap();
        let mut all = Vec::new();
        pointers(&v, String::new(), &mut all);
        let at = &all[rng.range(0, all.len() as i64 - 1) as usize];
        let target = v.pointer_mut(at).unwrap();
        let names = [
            "memo", "purpose", "name", "x", "amount", "v", "body", "kind",
        ];
        let name = names[rng.range(0, names.len() as i64 - 1) as usize].to_owned();
        let replacements = [
            Value::Null,
            Value::from(0),
            Value::from(-1),
            Value::from(1.5),
            Value::from("12.5"),
            Value::from("12.50"),
            Value::from(""),
            Value::from(true),
            Value::Array(vec![]),
            Value::Object(Map::new()),
        ];
        let replacement =
            replacements[rng.range(0, replacements.len() as i64 - 1) as usize].clone();
        match target {
            Value::Object(m) if rng.chance(50) && !m.is_empty() => {
                let i = rng.range(0, m.len() as i64 - 1) as usize;
                let key = m.keys().nth(i).cloned().unwrap_or_default();
                m.remove(&key);
            }
            Value::Object(m) => {
                m.insert(name, replacement);
            }
            Value::String(s) if rng.chance(50) => s.push(' '),
            other => *other = replacement,
        }
        canonicalize(&v)
    }

    /// Changes a byte, drops one or adds one.
    fn mutate_bytes(line: &[u8], rng: &mut SplitMix) -> Vec<u8> {
        const CHARS: &[u8] = b"0123456789abcdef\"\\{}[],: nx-.\x7f\xff\x01";
        let mut m = line.to_vec();
        let at = rng.range(0, m.len() as i64 - 1) as usize;
        let c = CHARS[rng.range(0, CHARS.len() as i64 - 1) as usize];
        match rng.range(0, 2) {
            0 => m[at] = c,
            1 => {
                m.remove(at);
            }
            _ => m.insert(at, c),
        }
        m
    }

    #[test]
    fn fast_paths_agree_with_the_step_by_step_ones() {
        let fund = build(&SampleSpec::example("fast", 11, 300, 14), "ledger.example").unwrap();
        let mut rng = SplitMix::new(5);
        let (mut ok, mut refused) = (0, 0);
        for line in &fund.lines {
            // Every well-formed line takes the fast path.
            assert!(Entry::parse_fast(line).is_some());
            let parsed = Entry::parse(line);
            assert!(same(&parsed, &Entry::parse_slow(line)));
            assert!(parsed.is_ok());
            for round in 0..16 {
                let m = if round % 2 == 0 {
                    mutate_value(line, &mut rng)
                } else {
                    mutate_bytes(line, &mut rng)
                };
                let parsed = Entry::parse(&m);
                assert!(
                    same(&parsed, &Entry::parse_slow(&m)),
                    "{}\n{parsed:?}\n{:?}",
                    String::from_utf8_lossy(&m),
                    Entry::parse_slow(&m)
                );
                if parsed.is_ok() {
                    ok += 1;
                } else {
                    refused += 1;
                }
                if let Ok(v) = serde_json::from_slice::<Value>(&m) {
                    if let Some(intent) = v.get("intent") {
                        let fast = Intent::from_value_fast(intent);
                        let slow = Intent::from_value_slow(intent.clone());
                        match (fast, slow) {
                            (Some(f), Ok(s)) => assert_eq!(f, s),
                            (Some(f), Err(e)) => panic!("fast found {f:?}, slow says {e}"),
                            (None, _) => {}
                        }
                    }
                }
            }
        }
        // Both outcomes are exercised.
        assert!(
            ok > 100 && refused > 1000,
            "{ok} accepted, {refused} refused"
        );
    }

    /// Spells a canonical line another way (same JSON value, or nearly): what the
    /// canonical-form scan must catch.
    fn mutate_form(line: &[u8], rng: &mut SplitMix) -> Vec<u8> {
        let mut m = line.to_vec();
        let at = rng.range(1, m.len() as i64 - 2) as usize;
        match rng.range(0, 5) {
            // Whitespace somewhere.
            0 => m.insert(at, [b' ', b'\n', b'\t', b'\r'][rng.range(0, 3) as usize]),
            // An ASCII letter or digit escaped (inside a string, it is the same value).
            1 => {
                if let Some(i) = (at..m.len()).find(|&i| m[i].is_ascii_alphanumeric()) {
                    let esc = format!("\\u{:04x}", m[i]);
                    m.splice(i..=i, esc.bytes());
                }
            }
            // A number with a fraction, an exponent, a leading zero, or a sign.
            2 => {
                if let Some(i) = (at..m.len()).find(|&i| m[i] == b':' && m[i + 1].is_ascii_digit())
                {
                    let extra: &[u8] = [&b"0"[..], b"-", b"-0"][rng.range(0, 2) as usize];
                    m.splice(i + 1..i + 1, extra.iter().copied());
                } else if let Some(i) =
                    (at..m.len()).find(|&i| m[i].is_ascii_digit() && !m[i + 1].is_ascii_digit())
                {
                    let extra: &[u8] = [&b".0"[..], b"e0", b"E+0", b"0"][rng.range(0, 3) as usize];
                    m.splice(i + 1..i + 1, extra.iter().copied());
                }
            }
            // A short escape written long, or a forward slash escaped.
            3 => {
                let long: &[u8] = [&b"\\u0008"[..], b"\\u000a", b"\\/", b"\\u001F", b"\\u001f"]
                    [rng.range(0, 4) as usize];
                if let Some(i) = (at..m.len()).find(|&i| m[i] == b'"' && m[i - 1] != b':') {
                    m.splice(i..i, long.iter().copied());
                }
            }
            // Two adjacent members swapped, or one written twice.
            4 => {
                let v: Value = serde_json::from_slice(line).unwrap();
                let Value::Object(map) = v else {
                    unreachable!()
                };
                let mut members: Vec<Vec<u8>> = map
                    .iter()
                    .map(|(k, v)| {
                        let mut b = canonicalize(&Value::String(k.clone()));
                        b.push(b':');
                        b.extend(canonicalize(v));
                        b
                    })
                    .collect();
                let i = rng.range(0, members.len() as i64 - 2) as usize;
                if rng.chance(50) {
                    members.swap(i, i + 1);
                } else {
                    let dup = members[i].clone();
                    members.insert(i, dup);
                }
                m = b"{".to_vec();
                m.extend(members.join(&b","[..]));
                m.push(b'}');
            }
            // Nested one level too deep, or a trailing byte.
            _ => {
                if rng.chance(50) {
                    m = [&b"["[..], &m, b"]"].concat();
                } else {
                    m.push([b' ', b'}', b'x'][rng.range(0, 2) as usize]);
                }
            }
        }
        m
    }

    #[test]
    fn fast_paths_refuse_other_spellings_as_the_reference_does() {
        let fund = build(&SampleSpec::example("form", 17, 200, 8), "ledger.example").unwrap();
        let mut rng = SplitMix::new(9);
        let mut changed = 0;
        for line in &fund.lines {
            for _ in 0..12 {
                let m = mutate_form(line, &mut rng);
                if m != *line {
                    changed += 1;
                }
                let parsed = Entry::parse(&m);
                assert!(
                    same(&parsed, &Entry::parse_slow(&m)),
                    "{}\n{parsed:?}\n{:?}",
                    String::from_utf8_lossy(&m),
                    Entry::parse_slow(&m)
                );
                // The scan never calls canonical what the reference refuses.
                if crate::canonical::scan_canonical(&m, &[], &mut []).is_some() {
                    assert!(
                        parse_canonical(&m).is_ok(),
                        "{}",
                        String::from_utf8_lossy(&m)
                    );
                }
            }
        }
        assert!(changed > 2000, "{changed}");
    }

    #[test]
    fn intent_bytes_fast_path_agrees_with_the_reference() {
        let fund = build(&SampleSpec::example("intent", 19, 200, 8), "ledger.example").unwrap();
        let mut rng = SplitMix::new(21);
        let (mut fast, mut total) = (0, 0);
        for line in &fund.lines {
            let intent_bytes = Entry::parse(line).unwrap().intent_bytes;
            assert!(Intent::from_bytes_fast(&intent_bytes).is_some());
            for round in 0..12 {
                let m = match round % 3 {
                    0 => mutate_value(&intent_bytes, &mut rng),
                    1 => mutate_bytes(&intent_bytes, &mut rng),
                    _ => mutate_form(&intent_bytes, &mut rng),
                };
                total += 1;
                let reference = parse_canonical(&m)
                    .map_err(EntryError::from)
                    .and_then(Intent::from_value);
                match Intent::from_bytes_fast(&m) {
                    Some(i) => {
                        fast += 1;
                        assert_eq!(
                            Ok(&i),
                            reference.as_ref(),
                            "{}",
                            String::from_utf8_lossy(&m)
                        );
                    }
                    None => assert_eq!(
                        Intent::from_canonical_bytes(&m),
                        reference,
                        "{}",
                        String::from_utf8_lossy(&m)
                    ),
                }
            }
        }
        assert!(
            fast > 50 && fast < total,
            "{fast} of {total} on the fast path"
        );
    }

    /// The example fund's lines (with oversight: supervisors, an opinion, a correction),
    /// then those of two funds with a restricted gift (one closed, one revoked): every
    /// kind, both statement versions.
    fn lines_of_every_kind(fund: &str, seed: u64) -> Vec<Vec<u8>> {
        let spec = SampleSpec::example(fund, seed, 300, 14).with_oversight();
        let mut lines = build(&spec, "ledger.example").unwrap().lines;
        for revoke in [false, true] {
            let mut spec = SampleSpec::example(fund, seed + 1, 160, 12);
            spec.story = Some(crate::sample::Story::restricted_example(revoke));
            lines.extend(build(&spec, "ledger.example").unwrap().lines);
        }
        lines
    }

    #[test]
    fn spliced_entry_bytes_are_the_canonical_bytes() {
        let lines = lines_of_every_kind("splice", 29);
        let mut kinds = std::collections::BTreeSet::new();
        for line in &lines {
            let parsed = Entry::parse(line).unwrap();
            kinds.insert(parsed.entry.intent.kind());
            let spliced = parsed.entry.canonical_bytes_with(&parsed.intent_bytes);
            assert_eq!(
                spliced, *line,
                "spliced bytes of entry {}",
                parsed.entry.seq
            );
            assert_eq!(spliced, parsed.entry.canonical_bytes());
        }
        assert_eq!(kinds.len(), Kind::ALL.len(), "{kinds:?}");
    }

    #[test]
    fn direct_jcs_of_intents_is_the_reference_jcs() {
        let lines = lines_of_every_kind("jcs", 23);
        let mut w = JcsWriter::new();
        let mut kinds = std::collections::BTreeSet::new();
        for line in &lines {
            let intent = Entry::parse(line).unwrap().entry.intent;
            kinds.insert(intent.kind());
            assert_eq!(
                w.write(&IntentJcs(&intent)).unwrap(),
                &intent.canonical_bytes()[..]
            );
        }
        assert_eq!(kinds.len(), Kind::ALL.len(), "{kinds:?}");
    }

    #[test]
    fn explicit_null_is_refused_on_the_fast_path_too() {
        let fund = build(&SampleSpec::example("null", 12, 40, 2), "ledger.example").unwrap();
        let line = fund
            .lines
            .iter()
            .find(|l| Entry::parse(l).unwrap().entry.intent.kind() == Kind::Donation)
            .unwrap();
        let mut v: Value = serde_json::from_slice(line).unwrap();
        v["intent"]["body"]["memo"] = Value::Null;
        let m = canonicalize(&v);
        assert_eq!(Entry::parse(&m).unwrap_err(), EntryError::IntentForm);
    }

    #[test]
    fn cached_keys_parse_as_uncached_ones() {
        let fund = build(&SampleSpec::example("keys", 13, 20, 2), "ledger.example").unwrap();
        for line in &fund.lines {
            let parsed = Entry::parse(line).unwrap();
            for s in &parsed.entry.sigs {
                assert_eq!(PublicKey::from_hex(&s.key.to_hex()), Ok(s.key));
            }
        }
        // A bad key is refused the same way, cached or not.
        let bad = format!("\"{}\"", "0".repeat(63));
        let e =
            serde_json::from_str::<Sig>(&format!(r#"{{"key":{bad},"sig":"{}"}}"#, "0".repeat(128)));
        assert!(e.is_err());
    }
}
