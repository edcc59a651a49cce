//! CSV import: the documented layouts (README "Importing CSV"), one intent per row.
//!
//! The trustee client (`ledger import`) and the server's import check
//! (`POST /api/v1/funds/{fund}/import/check`) both read a file through [`read_rows`], so
//! they make the same bodies and the same idempotency keys from the same cells, byte for
//! byte. Each row's key is derived from its content ([`row_key`]), so a re-run finds the
//! rows already recorded. Reading the text is all this module does: the rows are applied
//! to a fund's state by the caller (the rules' own append step), and a resident's salt
//! comes from the caller too (this crate makes no randomness).

use std::collections::HashMap;

use serde::de::DeserializeOwned;

use crate::body::{Body, Disbursement, Donation, DonorClass, Kind, Party, Rental, RevenueShare};
use crate::donor::{donor_of, DonorIdentity, SALT_BYTES};
use crate::error::Coded;
use crate::hash::sha256;
use crate::ids::{FundId, IdempotencyKey};
use crate::money::{Amount, Base};
use crate::text::{LongText, ShortText};
use crate::time::{Date, Instant, Period};

/// Most rows one import reads.
pub const IMPORT_ROWS_MAX: usize = 100_000;
/// Prefix of an imported row's idempotency key.
pub const IMPORT_KEY_PREFIX: &str = "imp-";
/// Domain separation of the imported rows' keys.
const IMPORT_KEY_DOMAIN: &str = "community-ledger/client/import/v1\n";

/// The kinds a CSV file can hold.
pub const IMPORTABLE_KINDS: [Kind; 4] = [
    Kind::Donation,
    Kind::Disbursement,
    Kind::Rental,
    Kind::RevenueShare,
];

/// The columns of each kind, in order (the header row must be exactly these); `None` for
/// a kind that is not imported.
pub fn columns(kind: Kind) -> Option<&'static [&'static str]> {
    Some(match kind {
        Kind::Donation => &[
            "date",
            "amount",
            "donor_class",
            "donor_name",
            "donor_phone",
            "channel",
            "receipt_no",
            "memo",
        ],
        Kind::Disbursement => &[
            "date",
            "amount",
            "payee_name",
            "payee_class",
            "purpose",
            "project",
            "invoice_no",
        ],
        Kind::Rental => &[
            "space_id",
            "renter_name",
            "renter_class",
            "start",
            "end",
            "amount",
        ],
        Kind::RevenueShare => &["agreement_id", "from", "to", "base", "amount"],
        _ => return None,
    })
}

/// Parses a snake_case enum value (`wechat_pay`, `meeting_room`) as the chain spells it;
/// the error names `what` and the `allowed` values.
pub fn parse_enum<T: DeserializeOwned>(s: &str, what: &str, allowed: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|_| format!("unknown {what} {s:?} (one of: {allowed})"))
}

/// `prefix` + the first 16 hex digits of SHA-256(bytes), as an idempotency key.
pub fn key_from_digest(prefix: &str, bytes: &[u8]) -> IdempotencyKey {
    let hex = sha256(bytes).to_hex();
    let key = format!("{prefix}{}", &hex[..16]);
    // A prefix of [A-Za-z0-9_-] and 16 hex digits is always a valid key; should a caller
    // pass another prefix, the digits alone still are.
    IdempotencyKey::parse(&key)
        .or_else(|_| IdempotencyKey::parse(&hex[..16]))
        .unwrap_or_else(|_| unreachable!("16 hex digits form a valid key"))
}

/// Why a whole file cannot be imported (a row's own problem is a [`RowRefusal`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The kind has no CSV layout.
    #[error("cannot import {0}: one of donation, disbursement, rental, revenue_share")]
    KindNotImportable(&'static str),
    /// The header row is not the kind's layout.
    #[error("the header row must be `{expected}` for {kind} (found `{found}`)")]
    Header {
        /// The kind.
        kind: &'static str,
        /// The layout's columns.
        expected: String,
        /// The header found.
        found: String,
    },
    /// The header row cannot be read.
    #[error("unreadable CSV header: {0}")]
    Unreadable(String),
    /// More rows than [`IMPORT_ROWS_MAX`] (or the caller's lower limit).
    #[error("more than {0} rows; split the file")]
    TooManyRows(usize),
}

impl Coded for ImportError {
    fn code(&self) -> &'static str {
        match self {
            ImportError::KindNotImportable(_) => "import_kind_unknown",
            ImportError::Header { .. } => "import_header",
            ImportError::Unreadable(_) => "import_unreadable",
            ImportError::TooManyRows(_) => "import_too_many_rows",
        }
    }
    fn message_en(&self) -> String {
        self.to_string()
    }
    fn message_zh(&self) -> String {
        match self {
            ImportError::KindNotImportable(k) => {
                format!("无法导入 {k}：只能导入 donation、disbursement、rental、revenue_share")
            }
            ImportError::Header {
                kind,
                expected,
                found,
            } => format!("{kind} 的表头必须为 `{expected}`（实际为 `{found}`）"),
            ImportError::Unreadable(e) => format!("无法读取 CSV 表头：{e}"),
            ImportError::TooManyRows(n) => format!("超过 {n} 行；请拆分文件"),
        }
    }
}

/// A row that cannot become an intent, by line number (the header is line 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowRefusal {
    /// Line number in the file.
    pub line: u64,
    /// Stable code: `row_unreadable`, `row_field_count`, `row_invalid`, `row_duplicate`.
    pub code: &'static str,
    /// Why, in English (the CLI prints this).
    pub detail_en: String,
    /// Why, in Chinese.
    pub detail_zh: String,
}

/// One row, parsed: the body it records, the idempotency key derived from its cells and,
/// for a resident donor, the identity for the vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Line number in the file.
    pub line: u64,
    /// The body of its intent.
    pub body: Body,
    /// The idempotency key ([`row_key`]).
    pub key: IdempotencyKey,
    /// A resident donor's name, phone and salt.
    pub identity: Option<DonorIdentity>,
}

/// A file read: the rows that parse and the refusals of those that do not, in line order.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    /// Rows that parse.
    pub rows: Vec<Row>,
    /// Rows that do not.
    pub refused: Vec<RowRefusal>,
}

impl Rows {
    /// Rows read, parsed or not.
    pub fn total(&self) -> usize {
        self.rows.len() + self.refused.len()
    }
}

fn field<T: std::str::FromStr>(name: &str, s: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    s.trim()
        .parse()
        .map_err(|e| format!("{name} {:?}: {e}", s.trim()))
}

fn party_class<T: DeserializeOwned>(s: &str) -> Result<T, String> {
    parse_enum(
        s.trim(),
        "class",
        "enterprise, organisation, resident, other",
    )
}

/// The body of one row of `kind` (fields in [`columns`] order; as many as the layout has).
/// `salt` is drawn only for a resident donor.
pub fn row_body(
    kind: Kind,
    f: &[&str],
    salt: &mut dyn FnMut() -> [u8; SALT_BYTES],
) -> Result<(Body, Option<DonorIdentity>), String> {
    let expected = columns(kind).map_or(0, <[_]>::len);
    if f.len() != expected {
        return Err(format!("{} fields; expected {expected}", f.len()));
    }
    Ok(match kind {
        Kind::Donation => {
            let date: Date = field("date", f[0])?;
            let class: DonorClass = parse_enum(
                f[2].trim(),
                "donor_class",
                "resident, enterprise, organisation, anonymous",
            )?;
            let salt = if class == DonorClass::Resident {
                salt()
            } else {
                [0; SALT_BYTES]
            };
            let (donor, identity) = donor_of(class, Some(f[3]), Some(f[4]), false, salt)?;
            let memo = match f[7].trim() {
                "" => format!("原始日期 recorded on {date}"),
                m => format!("原始日期 recorded on {date}; {m}"),
            };
            (
                Body::Donation(Donation {
                    amount: field::<Amount>("amount", f[1])?,
                    donor,
                    channel: parse_enum(
                        f[5].trim(),
                        "channel",
                        "cash, bank_transfer, wechat_pay, alipay, other",
                    )?,
                    receipt_no: field::<ShortText>("receipt_no", f[6])?,
                    purpose: None,
                    restriction: None,
                    memo: Some(LongText::parse(&memo).map_err(|e| format!("memo: {e}"))?),
                    corrects: None,
                }),
                identity,
            )
        }
        Kind::Disbursement => {
            let date: Date = field("date", f[0])?;
            let purpose = format!("{} [{date}]", f[4].trim());
            (
                Body::Disbursement(Disbursement {
                    amount: field::<Amount>("amount", f[1])?,
                    payee: Party {
                        name: field("payee_name", f[2])?,
                        class: party_class(f[3])?,
                    },
                    purpose: ShortText::parse(&purpose).map_err(|e| format!("purpose: {e}"))?,
                    project: field("project", f[5])?,
                    invoice_no: field("invoice_no", f[6])?,
                    restriction: None,
                    corrects: None,
                }),
                None,
            )
        }
        Kind::Rental => (
            Body::Rental(Rental {
                space_id: field("space_id", f[0])?,
                renter: Party {
                    name: field("renter_name", f[1])?,
                    class: party_class(f[2])?,
                },
                start: field::<Instant>("start", f[3])?,
                end: field::<Instant>("end", f[4])?,
                amount: field::<Amount>("amount", f[5])?,
                corrects: None,
            }),
            None,
        ),
        Kind::RevenueShare => {
            let from: Date = field("from", f[1])?;
            let to: Date = field("to", f[2])?;
            (
                Body::RevenueShare(RevenueShare {
                    agreement_id: field("agreement_id", f[0])?,
                    period: Period::new(from, to).map_err(|e| format!("period: {e}"))?,
                    base: field::<Base>("base", f[3])?,
                    amount: field::<Amount>("amount", f[4])?,
                    corrects: None,
                }),
                None,
            )
        }
        _ => return Err(format!("cannot import {}", kind.as_str())),
    })
}

/// The row's idempotency key: `imp-` + 16 hex digits of SHA-256 over the fund, the kind
/// and the row's fields — a resident's name and phone left out, so that the key, which is
/// public, reveals nothing about them.
pub fn row_key(fund: &FundId, kind: Kind, fields: &[&str]) -> IdempotencyKey {
    let mut fields: Vec<&str> = fields.iter().map(|f| f.trim()).collect();
    if kind == Kind::Donation && fields.len() > 4 && fields[2] == "resident" {
        fields[3] = "";
        fields[4] = "";
    }
    let mut pre = format!("{IMPORT_KEY_DOMAIN}{fund}\n{}\n", kind.as_str()).into_bytes();
    pre.extend_from_slice(fields.join("\u{1f}").as_bytes());
    key_from_digest(IMPORT_KEY_PREFIX, &pre)
}

fn refusal(line: u64, code: &'static str, en: String, zh: String) -> RowRefusal {
    RowRefusal {
        line,
        code,
        detail_en: en,
        detail_zh: zh,
    }
}

/// Reads a CSV file of `kind` for `fund` (UTF-8, RFC 4180 quoting, a header row that is
/// exactly the kind's [`columns`], an optional byte-order mark): every row that parses,
/// with its key, and every one that does not, with its line number and reason. Two rows
/// with the same cells are one record: the second is refused. More than `rows_max` rows
/// (at most [`IMPORT_ROWS_MAX`]) refuse the whole file.
pub fn read_rows(
    fund: &FundId,
    kind: Kind,
    csv_bytes: &[u8],
    rows_max: usize,
    salt: &mut dyn FnMut() -> [u8; SALT_BYTES],
) -> Result<Rows, ImportError> {
    let cols = columns(kind).ok_or(ImportError::KindNotImportable(kind.as_str()))?;
    let rows_max = rows_max.min(IMPORT_ROWS_MAX);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(csv_bytes);
    let header = rdr
        .headers()
        .map_err(|e| ImportError::Unreadable(e.to_string()))?
        .clone();
    let got: Vec<&str> = header
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}'))
        .collect();
    if got != cols {
        return Err(ImportError::Header {
            kind: kind.as_str(),
            expected: cols.join(","),
            found: got.join(","),
        });
    }
    let mut out = Rows::default();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (i, rec) in rdr.records().enumerate() {
        if i >= rows_max {
            return Err(ImportError::TooManyRows(rows_max));
        }
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(i as u64 + 2, |p| p.line());
                out.refused.push(refusal(
                    line,
                    "row_unreadable",
                    format!("unreadable CSV: {e}"),
                    format!("CSV 无法读取：{e}"),
                ));
                continue;
            }
        };
        let line = rec.position().map_or(i as u64 + 2, |p| p.line());
        let fields: Vec<&str> = rec.iter().collect();
        if fields.len() != cols.len() {
            out.refused.push(refusal(
                line,
                "row_field_count",
                format!(
                    "{} fields; expected {} ({})",
                    fields.len(),
                    cols.len(),
                    cols.join(",")
                ),
                format!(
                    "有 {} 列；应为 {} 列（{}）",
                    fields.len(),
                    cols.len(),
                    cols.join(",")
                ),
            ));
            continue;
        }
        match row_body(kind, &fields, salt) {
            Ok((body, identity)) => {
                let key = row_key(fund, kind, &fields);
                if let Some(first) = seen.get(key.as_str()) {
                    out.refused.push(refusal(
                        line,
                        "row_duplicate",
                        format!("same content as row {first}: it would be recorded once"),
                        format!("与第 {first} 行内容相同：只会记录一次"),
                    ));
                    continue;
                }
                seen.insert(key.as_str().to_owned(), line);
                out.rows.push(Row {
                    line,
                    body,
                    key,
                    identity,
                });
            }
            Err(why) => {
                let zh = format!("无法解析：{why}");
                out.refused.push(refusal(line, "row_invalid", why, zh));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fund() -> FundId {
        FundId::parse("huayuan").unwrap()
    }

    #[test]
    fn rows_parse_refuse_and_key_by_content() {
        let csv =
            "\u{feff}date,amount,donor_class,donor_name,donor_phone,channel,receipt_no,memo\n\
                   2019-03-05,500.00,enterprise,某公司,,bank_transfer,R1,\n\
                   2019-03-05,1.234,enterprise,某公司,,bank_transfer,R2,\n\
                   2019-03-06,20.00,resident,张三,13800001234,cash,R3,\n\
                   2019-03-05,500.00,enterprise,某公司,,bank_transfer,R1,\n\
                   2019-03-07,5.00,anonymous\n";
        let mut n = 0u8;
        let mut salt = || {
            n += 1;
            [n; SALT_BYTES]
        };
        let rows = read_rows(&fund(), Kind::Donation, csv.as_bytes(), 10, &mut salt).unwrap();
        assert_eq!(rows.total(), 5);
        let lines: Vec<u64> = rows.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 4]);
        let codes: Vec<(u64, &str)> = rows.refused.iter().map(|r| (r.line, r.code)).collect();
        assert_eq!(
            codes,
            [
                (3, "row_invalid"),
                (5, "row_duplicate"),
                (6, "row_field_count")
            ]
        );
        // Only the resident's row drew a salt, and its key ignores name and phone.
        assert_eq!(n, 1);
        assert_eq!(
            rows.rows[1].identity.as_ref().unwrap().salt,
            [1; SALT_BYTES]
        );
        let other = row_key(
            &fund(),
            Kind::Donation,
            &[
                "2019-03-06",
                "20.00",
                "resident",
                "李四",
                "1",
                "cash",
                "R3",
                "",
            ],
        );
        assert_eq!(rows.rows[1].key, other);
        assert!(rows.rows[0].key.as_str().starts_with("imp-"));
    }

    #[test]
    fn whole_file_refusals() {
        let mut salt = || [0; SALT_BYTES];
        let bad = read_rows(&fund(), Kind::Rental, b"a,b\n", 10, &mut salt).unwrap_err();
        assert_eq!(bad.code(), "import_header");
        let bad = read_rows(&fund(), Kind::Genesis, b"", 10, &mut salt).unwrap_err();
        assert_eq!(bad.code(), "import_kind_unknown");
        let csv = "agreement_id,from,to,base,amount\na,b,c,d,e\na,b,c,d,e\na,b,c,d,e\n";
        let bad = read_rows(&fund(), Kind::RevenueShare, csv.as_bytes(), 2, &mut salt);
        assert_eq!(bad.unwrap_err(), ImportError::TooManyRows(2));
    }
}
