//! `ledger export`: the server's NDJSON export as is, a CSV of entries, or a
//! plain-text-accounting journal (hledger/ledger syntax) whose balances are the ledger's.

use std::fmt::Write as _;

use ledger_core::body::{Body, Kind};
use ledger_core::money::Money;
use ledger_core::time::UtcOffset;

use super::replay::{Replayed, Row};

/// The commodity of the journal.
pub const COMMODITY: &str = "CNY";

/// A one-line description of an entry (no newlines, no `;` or `|`, which the journal
/// syntax reads as a comment or a payee separator).
pub fn describe(row: &Row) -> String {
    let text = match &row.body {
        Body::Genesis(g) => format!("genesis {} ({})", g.name, g.name_en),
        Body::Trustees(t) => format!(
            "trustees +{} -{}{}",
            t.add.len(),
            t.remove.len(),
            if t.policy.is_some() {
                ", new policy"
            } else {
                ""
            }
        ),
        Body::Donation(d) => {
            let who = match &d.donor.name {
                Some(n) => n.to_string(),
                None => format!("{:?}", d.donor.class).to_lowercase(),
            };
            let mut s = format!("donation from {who}, receipt {}", d.receipt_no);
            if let Some(p) = &d.purpose {
                let _ = write!(s, ", for {p}");
            }
            if let Some(r) = &d.restriction {
                let _ = write!(s, ", restricted to {r}");
            }
            s
        }
        Body::Agreement(a) => format!(
            "agreement {} with {} ({}), rate {}",
            a.agreement_id, a.enterprise.name, a.venture, a.rate
        ),
        Body::RevenueShare(r) => format!(
            "revenue share {} for {}..{}",
            r.agreement_id,
            r.period.from(),
            r.period.to()
        ),
        Body::Space(s) => format!("space {} {}", s.space_id, s.name),
        Body::Rental(r) => format!(
            "rental of {} by {}, {}..{}",
            r.space_id, r.renter.name, r.start, r.end
        ),
        Body::Reversal(r) => match &r.correction {
            Some(note) => format!(
                "reversal of #{}: {} (更正说明: {note})",
                r.reverses, r.reason
            ),
            None => format!("reversal of #{}: {}", r.reverses, r.reason),
        },
        Body::Opinion(o) => format!(
            "supervisor's opinion on statement #{}: {}",
            o.statement,
            o.verdict.as_str()
        ),
        Body::Disbursement(d) => {
            let mut s = format!(
                "disbursement to {}: {} ({}), invoice {}",
                d.payee.name, d.purpose, d.project, d.invoice_no
            );
            if let Some(r) = &d.restriction {
                let _ = write!(s, ", from restriction {r}");
            }
            s
        }
        Body::Statement(s) => format!(
            "statement {}..{}, closing {}",
            s.period.from(),
            s.period.to(),
            s.closing
        ),
        Body::Restriction(r) => format!("restriction {}: {}", r.restriction_id, r.purpose),
        Body::RestrictionRevocation(r) => format!(
            "revocation of restriction {} ({}): {}",
            r.restriction_id,
            match r.basis {
                ledger_core::body::RevocationBasis::DonorConsent => "donor's consent",
                ledger_core::body::RevocationBasis::Law => "law",
            },
            r.reason
        ),
        Body::RestrictionClosing(c) => format!(
            "closing of restriction {} ({}): {}",
            c.restriction_id,
            match c.disposal {
                ledger_core::body::Disposal::Released => "remainder released",
                ledger_core::body::Disposal::Returned => "remainder returned",
            },
            c.note
        ),
    };
    text.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            ';' => ',',
            '|' => '/',
            c => c,
        })
        .collect()
}

/// The CSV: `seq,recorded_at,kind,delta,balance,description`.
pub fn to_csv(r: &Replayed) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "seq",
        "recorded_at",
        "kind",
        "delta",
        "balance",
        "description",
    ])?;
    for row in &r.rows {
        w.write_record([
            row.seq.to_string(),
            row.recorded_at.to_string(),
            row.body.kind().as_str().to_owned(),
            row.delta.to_string(),
            row.balance.to_string(),
            describe(row),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// The account a monetary kind books against, besides the fund's asset account.
pub fn counter_account(kind: Kind) -> Option<&'static str> {
    Some(match kind {
        Kind::Donation => "income:donation",
        Kind::RevenueShare => "income:revenue_share",
        Kind::Rental => "income:rental",
        Kind::Disbursement => "expenses:disbursement",
        _ => return None,
    })
}

fn neg(m: Money) -> Money {
    // |delta| ≤ 10^15 fen-scaled yuan, so its negation is in range.
    m.checked_neg().unwrap_or(m)
}

/// The restricted net-asset account (限定性净资产).
pub const RESTRICTED: &str = "net-assets:restricted";
/// The unrestricted net-asset account (非限定性净资产).
pub const UNRESTRICTED: &str = "net-assets:unrestricted";

/// The journal: one transaction per monetary entry, dated by its local date, with the
/// fund's asset account (and a balance assertion: the ledger's balance after the entry)
/// against the kind's income or expense account; a reversal is the negation of the
/// reversed entry's postings. Each monetary entry also moves the net-asset accounts
/// ([`RESTRICTED`], [`UNRESTRICTED`]) by virtual postings (credit: negative), and a
/// release that moves no money (a revocation or closing) is a transaction between them,
/// so hledger's balances of the two are the 资产负债表's lines 105 and 101. Other entries
/// are comments.
pub fn to_journal(r: &Replayed) -> String {
    let fund = r.header.fund.as_str();
    let offset: UtcOffset = r.state.utc_offset();
    let assets = format!("assets:fund:{fund}");
    let mut out = String::new();
    let _ = writeln!(out, "; community-ledger fund {fund} ({})", r.header.origin);
    let _ = writeln!(
        out,
        "; {} entries; balance {} {COMMODITY}; dates are the fund's local dates (UTC{offset})",
        r.rows.len(),
        r.state.balance()
    );
    let _ = writeln!(
        out,
        "; generated by `ledger export --format journal` from the fund's verified export\n"
    );
    let _ = writeln!(out, "commodity 1000.00 {COMMODITY}\n");
    let _ = writeln!(out, "account {assets}");
    for k in [
        Kind::Donation,
        Kind::RevenueShare,
        Kind::Rental,
        Kind::Disbursement,
    ] {
        if let Some(a) = counter_account(k) {
            let _ = writeln!(out, "account {a}");
        }
    }
    let _ = writeln!(out, "account {UNRESTRICTED}");
    let _ = writeln!(out, "account {RESTRICTED}");
    out.push('\n');
    for row in &r.rows {
        let restricted = row.restricted_delta;
        let unrestricted = row.delta.checked_sub(restricted).unwrap_or(Money::ZERO);
        let date = row.recorded_at.local_date(offset);
        let kind = row.body.kind();
        let counter_kind = match kind {
            Kind::Reversal => row.reversed_kind,
            k if k.is_monetary() => Some(k),
            _ => None,
        };
        match counter_kind.and_then(counter_account) {
            Some(counter) => {
                let _ = writeln!(out, "{date} ({}) {}", row.seq, describe(row));
                let _ = writeln!(
                    out,
                    "    {assets}  {} {COMMODITY} = {} {COMMODITY}",
                    row.delta, row.balance
                );
                let _ = writeln!(out, "    {counter}  {} {COMMODITY}", neg(row.delta));
                for (account, by) in [(UNRESTRICTED, unrestricted), (RESTRICTED, restricted)] {
                    if !by.is_zero() {
                        let _ = writeln!(out, "    ({account})  {} {COMMODITY}", neg(by));
                    }
                }
                out.push('\n');
            }
            None if !restricted.is_zero() => {
                // A release without money moving: restricted to unrestricted.
                let _ = writeln!(out, "{date} ({}) {}", row.seq, describe(row));
                let _ = writeln!(out, "    {RESTRICTED}  {} {COMMODITY}", neg(restricted));
                let _ = writeln!(out, "    {UNRESTRICTED}  {restricted} {COMMODITY}\n");
            }
            None => {
                let _ = writeln!(out, "; {date} #{} {}\n", row.seq, describe(row));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use ledger_core::sample::{build, SampleSpec};

    use super::*;
    use crate::client::replay::replay;

    #[test]
    fn journal_and_csv_carry_the_ledgers_balances() {
        let fund = build(
            &SampleSpec::example("journal-test", 7, 400, 12),
            "test.local",
        )
        .expect("sample fund");
        let r = replay(&fund.export().expect("export")).expect("replays");
        assert_eq!(r.state.balance(), fund.balance());

        // The journal's asset postings sum to the balance, each posting asserts the
        // running balance, and every transaction balances to zero.
        let journal = to_journal(&r);
        let assets = "    assets:fund:journal-test  ";
        let mut sum = 0i64;
        let mut txn = 0i64;
        let mut transactions = 0;
        for line in journal.lines() {
            let Some(rest) = line.strip_prefix("    ") else {
                assert_eq!(txn, 0, "each transaction balances");
                if line.starts_with(|c: char| c.is_ascii_digit()) {
                    transactions += 1;
                }
                continue;
            };
            let amount = rest
                .split("  ")
                .nth(1)
                .and_then(|a| a.split(' ').next())
                .expect("an amount");
            let fen = amount.parse::<Money>().expect("money").to_fen();
            txn += fen;
            if line.starts_with(assets) {
                sum += fen;
                let asserted = line.split(" = ").nth(1).expect("a balance assertion");
                let asserted = asserted
                    .trim_end_matches(" CNY")
                    .parse::<Money>()
                    .expect("money");
                assert_eq!(asserted.to_fen(), sum, "{line}");
            }
        }
        assert_eq!(txn, 0);
        assert_eq!(sum, fund.balance().to_fen());
        let monetary = r.rows.iter().filter(|row| !row.delta.is_zero()).count();
        assert_eq!(transactions, monetary);

        let csv = String::from_utf8(to_csv(&r).expect("csv")).expect("utf-8");
        assert_eq!(csv.lines().count(), r.rows.len() + 1);
        let last = csv.lines().last().expect("a row");
        assert!(last.contains(&format!(",{},", fund.balance())), "{last}");
    }

    #[test]
    fn descriptions_are_one_line_without_journal_syntax() {
        let fund =
            build(&SampleSpec::example("desc-test", 3, 200, 6), "test.local").expect("sample fund");
        let r = replay(&fund.export().expect("export")).expect("replays");
        for row in &r.rows {
            let d = describe(row);
            assert!(!d.contains(['\n', ';', '|']), "{d}");
        }
    }
}
