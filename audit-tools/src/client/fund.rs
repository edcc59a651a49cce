//! `ledger fund create`: the operator creates a fund. Its genesis (entry 0) is built from
//! flags or a small TOML file, checked with ledger-core's own rules against the server's
//! operator key before anything is sent, shown, confirmed, signed with the operator key
//! and appended with the operator token.
//!
//! A host charity (托管慈善组织) cannot be named: the genesis of this version of the
//! format has no such field, and a file that names one is refused.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use ed25519_dalek::SigningKey;
use ledger_core::body::{Body, Currency, Genesis, HostCharity, Policy, Supervisor, Trustee};
use ledger_core::entry::Intent;
use ledger_core::error::Coded;
use ledger_core::ids::{FundId, IdempotencyKey, Uscc};
use ledger_core::keys::PublicKey;
use ledger_core::money::Rate;
use ledger_core::state::FundState;
use ledger_core::text::ShortText;
use ledger_core::time::UtcOffset;
use serde::Deserialize;
use serde_json::json;

use super::http::Api;
use super::{intents, keys, now, Fail};

/// Largest fund file read, in bytes.
pub const FUND_FILE_BYTES_MAX: u64 = 64 * 1024;
/// The revenue-share rate bounds when none are given.
pub const SHARE_RATE_MIN_DEFAULT: &str = "0.1000";
/// See [`SHARE_RATE_MIN_DEFAULT`].
pub const SHARE_RATE_MAX_DEFAULT: &str = "0.5000";

/// `ledger fund create`.
#[derive(Args, Debug, Clone)]
pub struct CreateArgs {
    /// A TOML file describing the fund (README "Creating a fund"), instead of the flags.
    #[arg(long = "from", value_name = "FILE", conflicts_with_all = [
        "fund", "name", "name_en", "street", "community", "trustees", "statement_quorum",
        "disbursement_quorum", "governance_quorum", "share_rate_min", "share_rate_max",
        "utc_offset", "supervisors", "host", "host_uscc",
    ])]
    pub from: Option<PathBuf>,
    /// The fund's id, e.g. xipu-garden (lowercase letters, digits, hyphens).
    #[arg(long)]
    pub fund: Option<String>,
    /// Chinese name, e.g. 犀浦花园社区基金.
    #[arg(long)]
    pub name: Option<String>,
    /// English name.
    #[arg(long)]
    pub name_en: Option<String>,
    /// Street (街道).
    #[arg(long)]
    pub street: Option<String>,
    /// Community (社区), or the street itself for a street-level fund.
    #[arg(long)]
    pub community: Option<String>,
    /// A trustee: <public key hex>=<name> (repeat; the key is what `ledger keygen` printed).
    #[arg(long = "trustee", value_name = "KEY=NAME")]
    pub trustees: Vec<String>,
    /// A supervisor (监督员): <public key hex>=<name> (repeat; never a trustee's key). A
    /// supervisor signs opinions on statements and never counts towards a quorum.
    #[arg(long = "supervisor", value_name = "KEY=NAME")]
    pub supervisors: Vec<String>,
    /// The host charity (托管慈善组织) whose books hold the fund's money: its registered
    /// name (with --host-uscc).
    #[arg(long, value_name = "NAME", requires = "host_uscc")]
    pub host: Option<String>,
    /// The host charity's unified social credit code (统一社会信用代码, 18 characters).
    #[arg(long, value_name = "USCC", requires = "host")]
    pub host_uscc: Option<String>,
    /// Trustee signatures a statement needs.
    #[arg(long)]
    pub statement_quorum: Option<u32>,
    /// Trustee signatures a disbursement (and its reversal) needs.
    #[arg(long)]
    pub disbursement_quorum: Option<u32>,
    /// Trustee signatures an agreement, a space or a trustee change needs.
    #[arg(long)]
    pub governance_quorum: Option<u32>,
    /// Lowest allowed revenue-share rate [default: 0.1000].
    #[arg(long)]
    pub share_rate_min: Option<String>,
    /// Highest allowed revenue-share rate [default: 0.5000].
    #[arg(long)]
    pub share_rate_max: Option<String>,
    /// The fund's local calendar offset [default: +08:00].
    #[arg(long)]
    pub utc_offset: Option<String>,
    /// Create it without asking (needed where there is no terminal to ask on).
    #[arg(long)]
    pub yes: bool,
}

/// The fund as described, before parsing (the TOML file's shape).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FundSpec {
    /// The fund's id.
    pub fund: String,
    /// Chinese name.
    pub name: String,
    /// English name.
    pub name_en: String,
    /// Street.
    pub street: String,
    /// Community.
    pub community: String,
    /// Local calendar offset, default `+08:00`.
    #[serde(default)]
    pub utc_offset: Option<String>,
    /// Quorums and rate bounds.
    pub policy: PolicySpec,
    /// First trustees.
    pub trustees: Vec<TrusteeSpec>,
    /// Supervisors (`[[supervisors]]`, same shape as a trustee), if any.
    #[serde(default)]
    pub supervisors: Vec<TrusteeSpec>,
    /// The host charity (`[host]`), if named.
    #[serde(default)]
    pub host: Option<HostSpec>,
}

/// `[host]` of a fund file: the host charity.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostSpec {
    /// Registered name.
    pub name: String,
    /// Unified social credit code.
    pub uscc: String,
}

/// `[policy]` of a fund file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    /// Signatures a statement needs.
    pub statement_quorum: u32,
    /// Signatures a disbursement needs.
    pub disbursement_quorum: u32,
    /// Signatures an agreement, space or trustee change needs.
    pub governance_quorum: u32,
    /// Lowest revenue-share rate, default `0.1000`.
    #[serde(default)]
    pub share_rate_min: Option<String>,
    /// Highest revenue-share rate, default `0.5000`.
    #[serde(default)]
    pub share_rate_max: Option<String>,
}

/// `[[trustees]]` (or `[[supervisors]]`) of a fund file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrusteeSpec {
    /// Public key, 64 hex digits.
    pub key: String,
    /// Name shown to residents.
    pub name: String,
}

impl FundSpec {
    /// Reads a fund file (TOML).
    pub fn read(path: &Path) -> Result<FundSpec, Fail> {
        let bad = |why: String| Fail::Unusable(format!("{}: {why}", path.display()));
        let meta = std::fs::metadata(path).map_err(|e| bad(e.to_string()))?;
        if meta.len() > FUND_FILE_BYTES_MAX {
            return Err(bad(format!(
                "larger than {FUND_FILE_BYTES_MAX} bytes; a fund file is a few lines"
            )));
        }
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        FundSpec::parse_toml(&text).map_err(bad)
    }

    /// Parses a fund file's text.
    pub fn parse_toml(text: &str) -> Result<FundSpec, String> {
        let table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
        if table.contains_key("host_charity") {
            return Err(host_charity_renamed());
        }
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// The fund described by the flags (each one needed when there is no file).
    pub fn from_flags(a: &CreateArgs) -> Result<FundSpec, Fail> {
        fn need<T: Clone>(v: &Option<T>, flag: &str) -> Result<T, Fail> {
            v.clone().ok_or_else(|| {
                Fail::Unusable(format!(
                    "fund create needs {flag} (or a fund file: --from FILE)"
                ))
            })
        }
        fn people(flag: &str, given: &[String]) -> Result<Vec<TrusteeSpec>, Fail> {
            given
                .iter()
                .map(|t| {
                    let (key, name) = t.split_once('=').ok_or_else(|| {
                        Fail::Unusable(format!("{flag} {t:?}: expected <public key hex>=<name>"))
                    })?;
                    Ok(TrusteeSpec {
                        key: key.trim().to_owned(),
                        name: name.to_owned(),
                    })
                })
                .collect()
        }
        let trustees = people("--trustee", &a.trustees)?;
        let supervisors = people("--supervisor", &a.supervisors)?;
        let host = match (&a.host, &a.host_uscc) {
            (Some(name), Some(uscc)) => Some(HostSpec {
                name: name.clone(),
                uscc: uscc.trim().to_owned(),
            }),
            (None, None) => None,
            _ => {
                return Err(Fail::Unusable(
                    "--host and --host-uscc go together: the host charity's name and its                      unified social credit code"
                        .into(),
                ))
            }
        };
        Ok(FundSpec {
            fund: need(&a.fund, "--fund")?,
            name: need(&a.name, "--name")?,
            name_en: need(&a.name_en, "--name-en")?,
            street: need(&a.street, "--street")?,
            community: need(&a.community, "--community")?,
            utc_offset: a.utc_offset.clone(),
            policy: PolicySpec {
                statement_quorum: need(&a.statement_quorum, "--statement-quorum")?,
                disbursement_quorum: need(&a.disbursement_quorum, "--disbursement-quorum")?,
                governance_quorum: need(&a.governance_quorum, "--governance-quorum")?,
                share_rate_min: a.share_rate_min.clone(),
                share_rate_max: a.share_rate_max.clone(),
            },
            trustees,
            supervisors,
            host,
        })
    }

    /// The fund's id and genesis body, every field parsed as its ledger-core type.
    pub fn genesis(&self) -> Result<(FundId, Genesis), String> {
        fn text(field: &str, s: &str) -> Result<ShortText, String> {
            ShortText::parse(s).map_err(|e| format!("{field} {s:?}: {}", both(&e)))
        }
        fn rate(field: &str, s: Option<&str>, default: &str) -> Result<Rate, String> {
            let s = s.unwrap_or(default);
            Rate::parse(s).map_err(|e| format!("{field} {s:?}: {e}"))
        }
        let fund =
            FundId::parse(&self.fund).map_err(|e| format!("fund id {:?}: {e}", self.fund))?;
        let utc_offset = match &self.utc_offset {
            None => UtcOffset::CHINA,
            Some(s) => {
                UtcOffset::parse(s).map_err(|e| format!("utc_offset {s:?}: {}", both(&e)))?
            }
        };
        let trustees = self
            .trustees
            .iter()
            .map(|t| {
                Ok(Trustee {
                    key: PublicKey::from_hex(&t.key)
                        .map_err(|e| format!("trustee {:?}: key {:?}: {e}", t.name, t.key))?,
                    name: text("trustee name", &t.name)?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let supervisors = self
            .supervisors
            .iter()
            .map(|t| {
                Ok(Supervisor {
                    key: PublicKey::from_hex(&t.key)
                        .map_err(|e| format!("supervisor {:?}: key {:?}: {e}", t.name, t.key))?,
                    name: text("supervisor name", &t.name)?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let host = match &self.host {
            None => None,
            Some(h) => Some(HostCharity {
                name: text("host name", &h.name)?,
                uscc: Uscc::parse(&h.uscc)
                    .map_err(|e| format!("host uscc {:?}: {}", h.uscc, both(&e)))?,
            }),
        };
        let p = &self.policy;
        let genesis = Genesis {
            name: text("name", &self.name)?,
            name_en: text("name_en", &self.name_en)?,
            street: text("street", &self.street)?,
            community: text("community", &self.community)?,
            currency: Currency::Cny,
            utc_offset,
            trustees,
            supervisors,
            host,
            policy: Policy {
                statement_quorum: p.statement_quorum,
                disbursement_quorum: p.disbursement_quorum,
                governance_quorum: p.governance_quorum,
                share_rate_min: rate(
                    "share_rate_min",
                    p.share_rate_min.as_deref(),
                    SHARE_RATE_MIN_DEFAULT,
                )?,
                share_rate_max: rate(
                    "share_rate_max",
                    p.share_rate_max.as_deref(),
                    SHARE_RATE_MAX_DEFAULT,
                )?,
            },
        };
        Ok((fund, genesis))
    }
}

fn host_charity_renamed() -> String {
    "host_charity: the host charity (托管慈善组织) is a table, `[host]` with `name` and `uscc` \
     (its unified social credit code)"
        .into()
}

/// `code: 中文 / English` of a coded error.
fn both(e: &impl Coded) -> String {
    format!("{}: {} / {}", e.code(), e.message_zh(), e.message_en())
}

/// The genesis's idempotency key: `genesis-<fund>` (a second creation of the same fund
/// with other content is then refused by the server as a reused key).
fn genesis_key(fund: &FundId) -> IdempotencyKey {
    IdempotencyKey::parse(&format!("genesis-{fund}"))
        .unwrap_or_else(|_| intents::key_from_digest("genesis-", fund.as_str().as_bytes()))
}

/// A readable summary of the fund about to be created.
pub fn summary(fund: &FundId, g: &Genesis, operator: &PublicKey) -> Vec<String> {
    let p = &g.policy;
    let mut lines = vec![
        format!("fund {fund}: {} / {}", g.name, g.name_en),
        format!(
            "  street {}, community {}, currency CNY, local calendar UTC{}",
            g.street, g.community, g.utc_offset
        ),
        format!("  trustees ({}):", g.trustees.len()),
    ];
    for t in &g.trustees {
        lines.push(format!("    {}  {}", t.key, t.name));
    }
    lines.push(format!(
        "  signatures needed: statement {}, disbursement {}, governance {} (of {} trustees)",
        p.statement_quorum,
        p.disbursement_quorum,
        p.governance_quorum,
        g.trustees.len()
    ));
    lines.push(format!(
        "  revenue-share rates from {} to {}",
        p.share_rate_min, p.share_rate_max
    ));
    if !g.supervisors.is_empty() {
        lines.push(format!("  supervisors ({}):", g.supervisors.len()));
        for t in &g.supervisors {
            lines.push(format!("    {}  {}", t.key, t.name));
        }
    }
    lines.push(match &g.host {
        Some(h) => format!("  host charity: {} ({})", h.name, h.uscc),
        None => "  host charity: none".into(),
    });
    lines.push(format!("  signed by the operator key {operator}"));
    lines
}

/// Asks on the terminal; refuses where there is none.
fn confirm(fund: &FundId) -> Result<(), Fail> {
    if !std::io::stdin().is_terminal() {
        return Err(Fail::Unusable(format!(
            "not created: there is no terminal to confirm on; read the summary above and run \
             again with --yes to create fund {fund}"
        )));
    }
    eprint!("create fund {fund}? Its genesis cannot be changed afterwards. [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Fail::Unusable(format!("reading the answer: {e}")))?;
    match answer.trim().to_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(Fail::Refused(format!(
            "not created: fund {fund} was not confirmed"
        ))),
    }
}

/// Runs `fund create`: `say` prints to stdout.
pub fn create(
    api: &Api,
    key: &SigningKey,
    args: &CreateArgs,
    say: &mut dyn FnMut(String),
) -> Result<(), Fail> {
    let spec = match &args.from {
        Some(path) => FundSpec::read(path)?,
        None => FundSpec::from_flags(args)?,
    };
    let (fund, genesis) = spec.genesis().map_err(Fail::Unusable)?;

    // The server's operator key: the genesis must be signed by it.
    let info = api
        .get("/.well-known/community-ledger")?
        .expect_ok("reading the server's keys")?;
    let operator = info["operator_key"]
        .as_str()
        .and_then(|k| PublicKey::from_hex(k).ok())
        .ok_or_else(|| Fail::Unusable("the server did not say its operator key".into()))?;

    let intent = Intent {
        fund: fund.clone(),
        body: Body::Genesis(genesis.clone()),
        key: genesis_key(&fund),
        signed_at: now(),
    };
    let signed = intents::sign(&intent, std::slice::from_ref(key));
    // The core's own rules, as the server applies them, on an empty fund of this server.
    let mut state = FundState::new(fund.clone(), operator);
    if let Err(e) = state.append(
        intent.clone(),
        signed.intent.as_bytes(),
        signed.sigs.clone(),
        now(),
    ) {
        let hint = if e.code() == "unknown_signer" {
            format!(
                " (the key file is not this server's operator key {operator}: sign with the \
                 server's <data dir>/operator.key)"
            )
        } else {
            String::new()
        };
        return Err(Fail::Refused(format!(
            "not created: refused by the rule {}{hint}",
            both(&e)
        )));
    }

    for line in summary(&fund, &genesis, &keys::public(key)) {
        say(line);
    }
    if !args.yes {
        confirm(&fund)?;
    }
    if !api.has_token() {
        return Err(Fail::Unusable(
            "this needs the operator token: --token, --token-file or LEDGER_TOKEN".into(),
        ));
    }
    let reply = api.append(
        &format!("/api/v1/funds/{fund}/entries"),
        &json!({"intent": signed.intent, "sigs": signed.sigs}),
    )?;
    let v = reply.json();
    let hash = v["hash"].as_str().unwrap_or("-");
    match reply.status {
        201 => say(format!(
            "created fund {fund}: genesis (entry 0) hash {hash}"
        )),
        200 => say(format!(
            "fund {fund} was already created with this very genesis: entry 0 hash {hash}"
        )),
        _ => return Err(Fail::Refused(format!("not created: {}", reply.problem()))),
    }
    say(format!(
        "next: issue a trustee token with `ledger-server token issue --role trustee --fund {fund} --label NAME`"
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

    fn file(extra: &str) -> String {
        format!(
            r#"fund = "xipu-garden"
name = "犀浦花园社区基金"
name_en = "Xipu Garden Community Fund"
street = "犀浦街道"
community = "花园社区"
{extra}
[policy]
statement_quorum = 1
disbursement_quorum = 1
governance_quorum = 1

[[trustees]]
key = "{KEY}"
name = "张伟"
"#
        )
    }

    #[test]
    fn a_fund_file_parses_into_a_genesis_with_the_defaults() {
        let spec = FundSpec::parse_toml(&file("")).expect("parses");
        let (fund, g) = spec.genesis().expect("a genesis");
        assert_eq!(fund.as_str(), "xipu-garden");
        assert_eq!(g.name.as_str(), "犀浦花园社区基金");
        assert_eq!(g.utc_offset, UtcOffset::CHINA);
        assert_eq!(g.policy.share_rate_min.to_string(), SHARE_RATE_MIN_DEFAULT);
        assert_eq!(g.policy.share_rate_max.to_string(), SHARE_RATE_MAX_DEFAULT);
        assert_eq!(g.trustees[0].key.to_hex(), KEY);
    }

    #[test]
    fn the_readme_fund_file_parses_and_passes_the_rules() {
        let readme = include_str!("../../../README.md");
        let section = readme
            .split_once("### Creating a fund")
            .expect("the README's section")
            .1;
        let block = section
            .split_once("```toml\n")
            .and_then(|(_, rest)| rest.split_once("\n```"))
            .expect("a toml block")
            .0;
        // Each placeholder becomes a fresh trustee key.
        let mut text = block.to_owned();
        while text.contains("<64 hex digits>") {
            let k = keys::public(&SigningKey::generate(&mut rand_core::OsRng)).to_hex();
            text = text.replacen("<64 hex digits>", &k, 1);
        }
        let (fund, g) = FundSpec::parse_toml(&text)
            .expect("parses")
            .genesis()
            .expect("a genesis");
        assert_eq!(fund.as_str(), "huayuan");
        assert_eq!(g.trustees.len(), 3);
        // And the core's rules accept it, signed by an operator key.
        let operator = SigningKey::generate(&mut rand_core::OsRng);
        let intent = Intent {
            fund: fund.clone(),
            body: Body::Genesis(g),
            key: genesis_key(&fund),
            signed_at: now(),
        };
        let signed = intents::sign(&intent, std::slice::from_ref(&operator));
        let mut state = FundState::new(fund, keys::public(&operator));
        state
            .append(intent, signed.intent.as_bytes(), signed.sigs, now())
            .expect("the README's fund passes the rules");
    }

    #[test]
    fn a_host_charity_or_an_unknown_field_is_refused_by_name() {
        let err = FundSpec::parse_toml(&file("host_charity = \"某慈善会\"")).unwrap_err();
        assert!(err.contains("[host]"), "{err}");
        let err = FundSpec::parse_toml(&file("colour = \"red\"")).unwrap_err();
        assert!(err.contains("colour"), "{err}");
    }

    #[test]
    fn supervisors_and_the_host_land_in_the_genesis() {
        let other = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
        let uscc = ledger_core::sample::sample_uscc(3, 1)
            .expect("a USCC")
            .to_string();
        let text = format!(
            "{}\n[[supervisors]]\nkey = \"{other}\"\nname = \"李监督\"\n\n[host]\nname = \"某慈善会\"\nuscc = \"{uscc}\"\n",
            file("")
        );
        let (_, g) = FundSpec::parse_toml(&text)
            .expect("parses")
            .genesis()
            .expect("a genesis");
        assert_eq!(g.supervisors.len(), 1);
        assert_eq!(g.supervisors[0].key.to_hex(), other);
        assert_eq!(g.supervisors[0].name.as_str(), "李监督");
        let host = g.host.expect("a host");
        assert_eq!(
            (host.name.as_str(), host.uscc.to_string()),
            ("某慈善会", uscc)
        );
        let bad = text.replace(other, "zz");
        let err = FundSpec::parse_toml(&bad).unwrap().genesis().unwrap_err();
        assert!(err.starts_with("supervisor \"李监督\": key"), "{err}");
    }

    #[test]
    fn a_bad_field_names_itself() {
        let spec = FundSpec::parse_toml(&file("utc_offset = \"+25:00\"")).expect("parses");
        let err = spec.genesis().unwrap_err();
        assert!(err.starts_with("utc_offset"), "{err}");
    }
}
