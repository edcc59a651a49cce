//! RFC 8785 JSON Canonicalization Scheme (JCS) over [`serde_json::Value`].
//!
//! * Object members are sorted by the UTF-16 code units of their names.
//! * Strings are escaped exactly as ECMAScript `JSON.stringify` does: only `"`, `\` and
//!   control characters below U+0020 are escaped (`\b \t \n \f \r` in short form, the
//!   others as `\u00xx` with lowercase hex); everything else, including U+007F and all
//!   non-ASCII characters, is written as raw UTF-8.
//! * Numbers are written as ECMAScript `Number.prototype.toString` of the IEEE 754 double:
//!   integers with magnitude at most 2^53 are printed directly; everything else goes
//!   through `ryu-js` (so `56.0` becomes `56`, `1e30` becomes `1e+30`, and integers above
//!   2^53 are rounded to the nearest double first, as JCS requires).
//! * No whitespace.
//!
//! [`parse_canonical`] is the strict inverse: it accepts bytes only when they are exactly
//! the canonical form of the value they denote.
//!
//! Two quicker routes give the same answers for the common case, and leave the rest to the
//! reference functions: [`scan_canonical`] checks bytes without building a tree, and
//! [`JcsWriter`] writes the JCS bytes of a typed value without building a tree.

use std::ops::Range;

use serde_json::{Map, Value};

mod scan;
mod ser;

pub use scan::scan_canonical;
pub use ser::{JcsWriter, Unsupported};

use crate::error::Coded;

/// Deepest nesting of arrays and objects that [`parse_canonical`] accepts.
///
/// A scalar at top level has depth 0, `[]` has depth 1, `[{}]` has depth 2.
pub const DEPTH_MAX: usize = 32;

/// Largest integer magnitude that an IEEE 754 double represents exactly together with all
/// its neighbours: 2^53.
const EXACT_INT_MAX: u64 = 1 << 53;

/// Why bytes are not canonical JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CanonicalError {
    /// The bytes are not valid UTF-8.
    #[error("not valid UTF-8 (first bad byte at offset {offset})")]
    InvalidUtf8 {
        /// Offset of the first byte that is not part of valid UTF-8.
        offset: usize,
    },
    /// The text is not valid JSON.
    #[error("not valid JSON at line {line}, column {column}: {detail}")]
    InvalidJson {
        /// 1-based line of the error, as reported by the parser.
        line: usize,
        /// 1-based column of the error, as reported by the parser.
        column: usize,
        /// The parser's own description (English).
        detail: String,
    },
    /// Arrays and objects are nested deeper than [`DEPTH_MAX`].
    #[error("JSON nested deeper than {max} levels (at byte offset {offset})")]
    TooDeep {
        /// Offset of the opening bracket that went too deep.
        offset: usize,
        /// The limit, [`DEPTH_MAX`].
        max: usize,
    },
    /// Valid JSON, but not in canonical (RFC 8785) form.
    #[error("JSON is not in canonical form (first difference at byte offset {offset})")]
    NotCanonical {
        /// Offset of the first byte that differs from the canonical form.
        offset: usize,
    },
}

impl Coded for CanonicalError {
    fn code(&self) -> &'static str {
        match self {
            CanonicalError::InvalidUtf8 { .. } => "invalid_utf8",
            CanonicalError::InvalidJson { .. } => "invalid_json",
            CanonicalError::TooDeep { .. } => "too_deep",
            CanonicalError::NotCanonical { .. } => "not_canonical",
        }
    }

    fn message_en(&self) -> String {
        self.to_string()
    }

    fn message_zh(&self) -> String {
        match self {
            CanonicalError::InvalidUtf8 { offset } => {
                format!("数据不是有效的 UTF-8 编码（第一个错误字节位于偏移 {offset}）")
            }
            CanonicalError::InvalidJson { line, column, .. } => {
                format!("数据不是有效的 JSON（第 {line} 行，第 {column} 列）")
            }
            CanonicalError::TooDeep { offset, max } => {
                format!("JSON 嵌套层数超过 {max} 层（字节偏移 {offset}）")
            }
            CanonicalError::NotCanonical { offset } => {
                format!("JSON 不是规范格式（RFC 8785），第一个不同之处位于字节偏移 {offset}")
            }
        }
    }
}

/// The RFC 8785 canonical form of `value`.
pub fn canonicalize(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_canonical(value, &mut out);
    out
}

/// Appends the RFC 8785 canonical form of `value` to `out`.
pub fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => write_object(map, out, None),
    }
}

/// Parses `bytes` as JSON and accepts them only if they are exactly the canonical form of
/// the parsed value.
///
/// Refuses invalid UTF-8, invalid JSON, nesting deeper than [`DEPTH_MAX`] (checked before
/// parsing), and anything that is not byte-for-byte canonical — which includes whitespace,
/// unsorted or duplicate keys, non-shortest numbers and unnecessary escapes.
pub fn parse_canonical(bytes: &[u8]) -> Result<Value, CanonicalError> {
    parse(bytes, None).map(|(value, _)| value)
}

/// [`parse_canonical`], also returning where in `bytes` the value of the top-level member
/// named `member` lies (None if the value is not an object or has no such member).
///
/// The bytes in that range are the canonical form of that member's value: no need to
/// canonicalise it again.
pub fn parse_canonical_member(
    bytes: &[u8],
    member: &str,
) -> Result<(Value, Option<Range<usize>>), CanonicalError> {
    parse(bytes, Some(member))
}

fn parse(
    bytes: &[u8],
    member: Option<&str>,
) -> Result<(Value, Option<Range<usize>>), CanonicalError> {
    let text = std::str::from_utf8(bytes).map_err(|e| CanonicalError::InvalidUtf8 {
        offset: e.valid_up_to(),
    })?;
    check_depth(bytes)?;
    let value: Value = serde_json::from_str(text).map_err(|e| CanonicalError::InvalidJson {
        line: e.line(),
        column: e.column(),
        detail: e.to_string(),
    })?;
    let mut again = Vec::with_capacity(bytes.len());
    let mut span = None;
    match &value {
        Value::Object(map) => write_object(map, &mut again, member.map(|m| (m, &mut span))),
        other => write_canonical(other, &mut again),
    }
    if again != bytes {
        let offset = again
            .iter()
            .zip(bytes)
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| again.len().min(bytes.len()));
        return Err(CanonicalError::NotCanonical { offset });
    }
    Ok((value, span))
}

/// Refuses nesting deeper than [`DEPTH_MAX`] by counting brackets outside strings.
///
/// Unbalanced or otherwise broken input is left for the JSON parser to report.
fn check_depth(bytes: &[u8]) -> Result<(), CanonicalError> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (offset, &b) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > DEPTH_MAX {
                    return Err(CanonicalError::TooDeep {
                        offset,
                        max: DEPTH_MAX,
                    });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Writes an object; if `member` names one of its keys, records where that key's value
/// was written.
fn write_object(
    map: &Map<String, Value>,
    out: &mut Vec<u8>,
    member: Option<(&str, &mut Option<Range<usize>>)>,
) {
    if in_utf16_order(map) {
        write_members(map.iter(), out, member);
    } else {
        let mut entries: Vec<(&String, &Value)> = map.iter().collect();
        entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
        write_members(entries.into_iter(), out, member);
    }
}

/// Whether the map already iterates in UTF-16 order of its keys, checked cheaply: keys in
/// strictly increasing byte order, none holding a character from U+E000 up (UTF-8 lead
/// byte 0xEE or more). Below U+E000 every character is one UTF-16 unit equal to its code
/// point, and UTF-8 byte order is code point order, so then byte order is UTF-16 order.
///
/// True for all but exotic keys (serde_json's map iterates in byte order); otherwise the
/// caller sorts.
fn in_utf16_order(map: &Map<String, Value>) -> bool {
    let mut previous: Option<&str> = None;
    for key in map.keys() {
        if key.bytes().any(|b| b >= 0xEE) || previous.is_some_and(|p| p >= key.as_str()) {
            return false;
        }
        previous = Some(key);
    }
    true
}

fn write_members<'a>(
    members: impl Iterator<Item = (&'a String, &'a Value)>,
    out: &mut Vec<u8>,
    mut member: Option<(&str, &mut Option<Range<usize>>)>,
) {
    out.push(b'{');
    for (i, (key, value)) in members.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_string(key, out);
        out.push(b':');
        let start = out.len();
        write_canonical(value, out);
        if let Some((name, span)) = &mut member {
            if key == name {
                **span = Some(start..out.len());
            }
        }
    }
    out.push(b'}');
}

fn write_number(n: &serde_json::Number, out: &mut Vec<u8>) {
    if let Some(u) = n.as_u64() {
        if u <= EXACT_INT_MAX {
            write_u64(u, out);
        } else {
            write_f64(u as f64, out);
        }
    } else if let Some(i) = n.as_i64() {
        // Only negative values reach here (non-negative ones are u64).
        if i.unsigned_abs() <= EXACT_INT_MAX {
            if i < 0 {
                out.push(b'-');
            }
            write_u64(i.unsigned_abs(), out);
        } else {
            write_f64(i as f64, out);
        }
    } else if let Some(f) = n.as_f64() {
        write_f64(f, out);
    } else {
        // Unreachable without serde_json's `arbitrary_precision`; keep the parser's text.
        out.extend_from_slice(n.to_string().as_bytes());
    }
}

fn write_f64(f: f64, out: &mut Vec<u8>) {
    let mut buf = ryu_js::Buffer::new();
    out.extend_from_slice(buf.format(f).as_bytes());
}

fn write_u64(mut n: u64, out: &mut Vec<u8>) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    out.push(b'"');
    let mut run_start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        // Bytes of multi-byte UTF-8 sequences are all >= 0x80, so a byte scan is exact.
        let short: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            0x0c => b"\\f",
            b'\r' => b"\\r",
            0x00..=0x1f => &[],
            _ => continue,
        };
        out.extend_from_slice(&bytes[run_start..i]);
        run_start = i + 1;
        if short.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0x0f)]);
        } else {
            out.extend_from_slice(short);
        }
    }
    out.extend_from_slice(&bytes[run_start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn canon_str(v: &Value) -> String {
        String::from_utf8(canonicalize(v)).unwrap()
    }

    #[test]
    fn scalars() {
        assert_eq!(canon_str(&json!(null)), "null");
        assert_eq!(canon_str(&json!(true)), "true");
        assert_eq!(canon_str(&json!(false)), "false");
        assert_eq!(canon_str(&json!(0)), "0");
        assert_eq!(canon_str(&json!(-1)), "-1");
        assert_eq!(canon_str(&json!(56.0)), "56");
        assert_eq!(canon_str(&json!(-0.0)), "0");
        assert_eq!(canon_str(&json!(1e30)), "1e+30");
        assert_eq!(canon_str(&json!(1e21)), "1e+21");
        assert_eq!(canon_str(&json!(1e20)), "100000000000000000000");
        assert_eq!(canon_str(&json!(0.000001)), "0.000001");
        assert_eq!(canon_str(&json!(1e-7)), "1e-7");
        assert_eq!(canon_str(&json!(4.5)), "4.5");
    }

    #[test]
    fn integers_around_2_pow_53() {
        assert_eq!(canon_str(&json!(9007199254740992u64)), "9007199254740992");
        assert_eq!(canon_str(&json!(-9007199254740992i64)), "-9007199254740992");
        // 2^53 + 1 is not a double: rounds (to even) to 2^53.
        assert_eq!(canon_str(&json!(9007199254740993u64)), "9007199254740992");
        assert_eq!(canon_str(&json!(-9007199254740993i64)), "-9007199254740992");
        assert_eq!(canon_str(&json!(9007199254740994u64)), "9007199254740994");
        assert_eq!(canon_str(&json!(u64::MAX)), "18446744073709552000");
        assert_eq!(canon_str(&json!(i64::MIN)), "-9223372036854776000");
        // Such integers are therefore not canonical as written.
        assert_eq!(
            parse_canonical(b"9007199254740993"),
            Err(CanonicalError::NotCanonical { offset: 15 })
        );
        assert!(parse_canonical(b"9007199254740992").is_ok());
    }

    #[test]
    fn negative_zero_is_not_canonical() {
        assert_eq!(
            parse_canonical(b"-0"),
            Err(CanonicalError::NotCanonical { offset: 0 })
        );
        assert_eq!(parse_canonical(b"0"), Ok(json!(0)));
    }

    #[test]
    fn string_escapes() {
        let s: String = (0u8..0x20).map(char::from).collect();
        assert_eq!(
            canon_str(&json!(s)),
            "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f\
             \\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\""
        );
        assert_eq!(
            canon_str(&json!("a\"b\\c/\u{7f}\u{80}é€😂")),
            "\"a\\\"b\\\\c/\u{7f}\u{80}é€😂\""
        );
        // Escapes that JSON.stringify would not produce are refused.
        assert!(parse_canonical(br#""\/""#).is_err());
        assert!(parse_canonical(br#""\u0041""#).is_err());
        assert!(parse_canonical(br#""\u001F""#).is_err());
        assert!(parse_canonical(br#""\u001f""#).is_ok());
        assert!(parse_canonical(br#""\u0008""#).is_err());
        assert!(parse_canonical(br#""\b""#).is_ok());
    }

    #[test]
    fn keys_sort_by_utf16_code_units() {
        let v = json!({"\u{FB33}": 1, "\u{1F602}": 2, "a": 3, "\u{E000}": 4, "": 5});
        // UTF-8 / code point order would put U+FB33 before U+1F602; UTF-16 order
        // (surrogate 0xD83D < 0xFB33) puts the smiley first.
        assert_eq!(
            canon_str(&v),
            "{\"\":5,\"a\":3,\"\u{1F602}\":2,\"\u{E000}\":4,\"\u{FB33}\":1}"
        );
        let bytes = canonicalize(&v);
        assert_eq!(parse_canonical(&bytes), Ok(v));
        let wrong = "{\"\":5,\"a\":3,\"\u{E000}\":4,\"\u{FB33}\":1,\"\u{1F602}\":2}";
        assert!(matches!(
            parse_canonical(wrong.as_bytes()),
            Err(CanonicalError::NotCanonical { .. })
        ));
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let err = parse_canonical(br#"{"a":1,"a":1}"#).unwrap_err();
        assert_eq!(err.code(), "not_canonical");
        // Last one wins in the parse: canonical form is {"a":2}, differing at byte 5.
        let err = parse_canonical(br#"{"a":1,"a":2}"#).unwrap_err();
        assert_eq!(err, CanonicalError::NotCanonical { offset: 5 });
        let err = parse_canonical(br#"{"a":{"b":1,"b":1}}"#).unwrap_err();
        assert_eq!(err.code(), "not_canonical");
    }

    #[test]
    fn refusals() {
        assert_eq!(
            parse_canonical(b"\"\xff\""),
            Err(CanonicalError::InvalidUtf8 { offset: 1 })
        );
        assert_eq!(parse_canonical(b"{").unwrap_err().code(), "invalid_json");
        assert_eq!(parse_canonical(b"").unwrap_err().code(), "invalid_json");
        assert_eq!(parse_canonical(b"[1,]").unwrap_err().code(), "invalid_json");
        assert_eq!(
            parse_canonical(br#""\ud800""#).unwrap_err().code(),
            "invalid_json"
        );
        assert_eq!(
            parse_canonical(b" 1"),
            Err(CanonicalError::NotCanonical { offset: 0 })
        );
        assert_eq!(
            parse_canonical(b"1 "),
            Err(CanonicalError::NotCanonical { offset: 1 })
        );
        assert_eq!(
            parse_canonical(br#"{"b":1,"a":2}"#),
            Err(CanonicalError::NotCanonical { offset: 2 })
        );
        assert_eq!(
            parse_canonical(b"1.0"),
            Err(CanonicalError::NotCanonical { offset: 1 })
        );
        assert_eq!(
            parse_canonical(b"1E3"),
            Err(CanonicalError::NotCanonical { offset: 1 })
        );
        for e in [
            parse_canonical(b"\xff").unwrap_err(),
            parse_canonical(b"{").unwrap_err(),
            parse_canonical(&[b'['; 40]).unwrap_err(),
            parse_canonical(b"1 ").unwrap_err(),
        ] {
            assert!(!e.message_en().is_empty());
            assert!(!e.message_zh().is_empty());
        }
    }

    #[test]
    fn depth_limit() {
        let nest = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(parse_canonical(nest(DEPTH_MAX).as_bytes()).is_ok());
        assert_eq!(
            parse_canonical(nest(DEPTH_MAX + 1).as_bytes()),
            Err(CanonicalError::TooDeep {
                offset: DEPTH_MAX,
                max: DEPTH_MAX
            })
        );
        // Far beyond serde_json's own recursion limit: still a clean refusal.
        let deep = nest(1_000_000);
        assert_eq!(
            parse_canonical(deep.as_bytes()).unwrap_err().code(),
            "too_deep"
        );
        let deep_objects = "{\"a\":".repeat(100) + "1" + &"}".repeat(100);
        assert_eq!(
            parse_canonical(deep_objects.as_bytes()).unwrap_err().code(),
            "too_deep"
        );
        // Brackets inside strings (also after escaped quotes) do not count.
        let in_string = format!("[\"\\\"{}\"]", "[{".repeat(100));
        assert!(parse_canonical(in_string.as_bytes()).is_ok());
        // Mixed objects and arrays at exactly the limit.
        let mixed = "[{\"a\":".repeat(DEPTH_MAX / 2) + "0" + &"}]".repeat(DEPTH_MAX / 2);
        assert!(parse_canonical(mixed.as_bytes()).is_ok());
    }

    /// A value the scan decides alone: no fractions, member names unescaped and below
    /// U+E000.
    fn plain(v: &Value) -> bool {
        match v {
            Value::Number(n) => n.is_i64() || n.is_u64(),
            Value::Array(a) => a.iter().all(plain),
            Value::Object(m) => m.iter().all(|(k, v)| {
                !k.chars()
                    .any(|c| c < ' ' || c == '"' || c == '\\' || c >= '\u{E000}')
                    && plain(v)
            }),
            _ => true,
        }
    }

    fn scans(bytes: &[u8]) -> bool {
        scan_canonical(bytes, &[], &mut []).is_some()
    }

    #[test]
    fn scan_accepts_only_what_parse_canonical_accepts() {
        let accepted: &[&[u8]] = &[
            b"0",
            b"-1",
            b"9007199254740992",
            b"-9007199254740992",
            b"true",
            b"null",
            br#""""#,
            br#""a\"b\\c\b\t\n\f\r\u0000\u001f\u000b/""#,
            "\"é€😂\"".as_bytes(),
            b"[]",
            b"{}",
            br#"{"":1,"a":[1,{"b":null}],"ab":{},"b":"x"}"#,
        ];
        for b in accepted {
            assert!(scans(b), "{}", String::from_utf8_lossy(b));
            assert!(parse_canonical(b).is_ok(), "{}", String::from_utf8_lossy(b));
        }
        let refused: &[&[u8]] = &[
            b"",
            b" 1",
            b"1 ",
            b"-0",
            b"01",
            b"1.0",
            b"1e3",
            b"+1",
            b"9007199254740993",
            b"tru",
            b"nul",
            br#""\/""#,
            br#""\u0041""#,
            br#""\u001F""#,
            br#""\u0008""#,
            br#""\u000a""#,
            br#""\u007f""#,
            br#""\ud83d\ude02""#,
            b"\"\x01\"",
            b"\"\xff\"",
            b"\"abc",
            b"[1,]",
            b"[1 ,2]",
            br#"{"b":1,"a":2}"#,
            br#"{"a":1,"a":1}"#,
            br#"{"a":1,}"#,
            br#"{"a" :1}"#,
            br#"{"a":1}}"#,
        ];
        for b in refused {
            assert!(!scans(b), "{}", String::from_utf8_lossy(b));
        }
        // Left to the reference (which accepts these): fractions, and names whose UTF-16
        // order is not their byte order or that are escaped.
        for b in [
            &b"4.5"[..],
            "{\"\u{1F602}\":2,\"\u{E000}\":4}".as_bytes(),
            br#"{"\n":1}"#,
        ] {
            assert!(!scans(b));
            assert!(parse_canonical(b).is_ok());
        }
    }

    #[test]
    fn scan_depth_limit() {
        let nest = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(scans(nest(DEPTH_MAX).as_bytes()));
        assert!(!scans(nest(DEPTH_MAX + 1).as_bytes()));
        assert!(!scans(nest(1_000_000).as_bytes()));
        let mixed = "[{\"a\":".repeat(DEPTH_MAX / 2) + "0" + &"}]".repeat(DEPTH_MAX / 2);
        assert!(scans(mixed.as_bytes()));
        let over = "{\"a\":".repeat(DEPTH_MAX + 1) + "0" + &"}".repeat(DEPTH_MAX + 1);
        assert!(!scans(over.as_bytes()));
    }

    #[test]
    fn scan_records_member_spans() {
        let b = br#"{"a":{"b":[1,{"k":2}],"k":"v"},"k":3}"#;
        let mut spans = [None, None, None, None];
        let paths: [&[&str]; 4] = [&["a"], &["a", "k"], &["k"], &["a", "b", "k"]];
        assert!(scan_canonical(b, &paths, &mut spans).is_some());
        let text = |s: &Option<Range<usize>>| s.clone().map(|r| &b[r]);
        assert_eq!(text(&spans[0]), Some(&br#"{"b":[1,{"k":2}],"k":"v"}"#[..]));
        assert_eq!(text(&spans[1]), Some(&br#""v""#[..]));
        assert_eq!(text(&spans[2]), Some(&b"3"[..]));
        // Not a path of object members (an array is on the way).
        assert_eq!(spans[3], None);
    }

    #[test]
    fn direct_writer_sorts_members_and_leaves_the_rest() {
        #[derive(serde::Serialize)]
        struct Inner {
            z: u32,
            a: Option<bool>,
            #[serde(skip_serializing_if = "Option::is_none")]
            m: Option<u8>,
        }
        #[derive(serde::Serialize)]
        struct Outer {
            zeta: Vec<Inner>,
            alpha: &'static str,
            b: i64,
            unit: (),
            pair: (u8, char),
        }
        let v = Outer {
            zeta: vec![
                Inner {
                    z: 1,
                    a: None,
                    m: None,
                },
                Inner {
                    z: 2,
                    a: Some(true),
                    m: Some(3),
                },
            ],
            alpha: "x\u{1}\"é",
            b: -5,
            unit: (),
            pair: (7, '\n'),
        };
        let mut w = JcsWriter::new();
        let reference = canonicalize(&serde_json::to_value(&v).unwrap());
        assert_eq!(w.write(&v).unwrap(), &reference[..]);
        // Twice in a row, with the same buffers.
        assert_eq!(w.write(&v).unwrap(), &reference[..]);
        assert_eq!(w.write(&1.5f64), Err(Unsupported));
        assert_eq!(w.write(&(EXACT_INT_MAX + 1)), Err(Unsupported));
        assert_eq!(
            w.write(&-(EXACT_INT_MAX as i64)).unwrap(),
            b"-9007199254740992"
        );
        assert_eq!(w.write(&json!({"a": 1})), Err(Unsupported));
    }

    /// Finite doubles that are not integers (so they survive a round trip as floats).
    fn non_integer_f64() -> impl Strategy<Value = f64> {
        any::<f64>().prop_filter("finite non-integer", |f| f.is_finite() && f.fract() != 0.0)
    }

    fn string_strategy() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[\\x00-\\x1f\"\\\\\\x7f\u{80}-\u{ff}a-z]{0,12}",
            "[\u{e000}-\u{ffff}\u{10000}-\u{10ffff}a]{0,6}",
        ]
    }

    fn leaf() -> impl Strategy<Value = Value> {
        let exact = EXACT_INT_MAX as i64;
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-exact..=exact).prop_map(Value::from),
            any::<i32>().prop_map(Value::from),
            non_integer_f64().prop_map(Value::from),
            string_strategy().prop_map(Value::String),
        ]
    }

    fn value_strategy() -> impl Strategy<Value = Value> {
        leaf().prop_recursive(6, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::btree_map(string_strategy(), inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn object_members_come_in_utf16_order(
            keys in prop::collection::btree_set(string_strategy(), 0..10)
        ) {
            let map: Map<String, Value> =
                keys.iter().map(|k| (k.clone(), Value::from(k.len()))).collect();
            let mut sorted: Vec<&String> = keys.iter().collect();
            sorted.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            let mut expected = b"{".to_vec();
            for (i, k) in sorted.iter().enumerate() {
                if i > 0 {
                    expected.push(b',');
                }
                write_string(k, &mut expected);
                expected.push(b':');
                write_u64(k.len() as u64, &mut expected);
            }
            expected.push(b'}');
            prop_assert_eq!(canonicalize(&Value::Object(map)), expected);
        }

        #[test]
        fn member_span_is_the_members_canonical_form(v in value_strategy()) {
            let bytes = canonicalize(&v);
            if let Value::Object(m) = &v {
                for (k, child) in m {
                    let (_, span) = parse_canonical_member(&bytes, k).unwrap();
                    let span = span.unwrap();
                    prop_assert_eq!(&bytes[span], &canonicalize(child)[..]);
                }
            }
        }

        #[test]
        fn canonical_round_trips(v in value_strategy()) {
            let bytes = canonicalize(&v);
            prop_assert_eq!(parse_canonical(&bytes), Ok(v.clone()));
            // serde_json's own compact and pretty output canonicalise to the same bytes.
            let compact: Value = serde_json::from_slice(&serde_json::to_vec(&v).unwrap()).unwrap();
            prop_assert_eq!(canonicalize(&compact), bytes.clone());
            let pretty = serde_json::to_vec_pretty(&v).unwrap();
            let reparsed: Value = serde_json::from_slice(&pretty).unwrap();
            prop_assert_eq!(canonicalize(&reparsed), bytes.clone());
            if pretty != bytes {
                prop_assert!(parse_canonical(&pretty).is_err());
            }
        }

        #[test]
        fn scan_agrees_with_parse_canonical(v in value_strategy(), edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 0..3)) {
            let bytes = canonicalize(&v);
            // Canonical bytes: the scan accepts them unless it leaves them to the reference.
            if plain(&v) {
                prop_assert!(scans(&bytes), "{}", String::from_utf8_lossy(&bytes));
            }
            // Edited bytes: whenever the scan accepts, the reference accepts.
            let mut m = bytes.clone();
            for (at, byte, op) in edits {
                if m.is_empty() {
                    break;
                }
                let i = at.index(m.len());
                let c = b" \"\\{}[],:0123456789-.eEtrufalsn/u\x7f"[usize::from(byte) % 34];
                match op {
                    0 => m[i] = c,
                    1 => { m.remove(i); }
                    _ => m.insert(i, c),
                }
            }
            if scans(&m) {
                prop_assert!(parse_canonical(&m).is_ok(), "{}", String::from_utf8_lossy(&m));
            }
        }

        #[test]
        fn any_double_is_stable(f in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
            let bytes = canonicalize(&Value::from(f));
            let parsed = parse_canonical(&bytes);
            prop_assert!(parsed.is_ok(), "{:?} -> {:?}", f, String::from_utf8_lossy(&bytes));
            let back = parsed.unwrap().as_f64().unwrap();
            // Same double, except that -0 becomes 0.
            prop_assert!(back == f && (back.to_bits() == f.to_bits() || f == 0.0));
        }

        #[test]
        fn any_integer_is_stable(i in any::<i64>(), u in any::<u64>()) {
            for v in [Value::from(i), Value::from(u)] {
                let bytes = canonicalize(&v);
                let parsed = parse_canonical(&bytes);
                prop_assert!(parsed.is_ok());
                prop_assert_eq!(canonicalize(&parsed.unwrap()), bytes);
            }
        }
    }
}
