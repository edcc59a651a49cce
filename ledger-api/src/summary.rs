//! An intent in plain words, in Chinese and English, for the trustees' inbox: who gets
//! or gives how much, for what. Names are shown as the public pages show them
//! (`PublicName`): a resident only with consent.

use ledger_core::body::{Body, PublicName};

use crate::pages::i18n::Lang;

/// Plain words for an intent's body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// In Chinese.
    pub zh: String,
    /// In English.
    pub en: String,
}

fn party(name: PublicName<'_>) -> (String, String) {
    match name {
        PublicName::Named(n) => (n.to_owned(), n.to_owned()),
        PublicName::Resident => ("居民".into(), "a resident".into()),
        PublicName::Anonymous => ("匿名".into(), "anonymous".into()),
    }
}

/// The summary of `body`.
pub fn summary(body: &Body) -> Summary {
    let kind = body.kind();
    let word = |lang: Lang| lang.word(&format!("kind_{}", kind.as_str())).to_owned();
    let (zh, en) = match body {
        Body::Genesis(g) => (
            format!("设立 {}", g.name),
            format!("genesis of {}", g.name_en),
        ),
        Body::Trustees(t) => (
            format!(
                "增加 {} 位、移除 {} 位管理人{}",
                t.add.len(),
                t.remove.len(),
                if t.policy.is_some() {
                    "，并修改规则"
                } else {
                    ""
                }
            ),
            format!(
                "add {} trustee(s), remove {}{}",
                t.add.len(),
                t.remove.len(),
                if t.policy.is_some() {
                    ", new policy"
                } else {
                    ""
                }
            ),
        ),
        Body::Donation(d) => {
            let (nz, ne) = party(d.donor.public_name());
            match &d.restriction {
                Some(r) => (
                    format!("{nz}捐赠 {} 元（限定 {r}）", d.amount),
                    format!("{} yuan from {ne} (restricted to {r})", d.amount),
                ),
                None => (
                    format!("{nz}捐赠 {} 元", d.amount),
                    format!("{} yuan from {ne}", d.amount),
                ),
            }
        }
        Body::Agreement(a) => (
            format!(
                "与{}的分成协议 {}，比例 {}",
                a.enterprise.name, a.agreement_id, a.rate
            ),
            format!(
                "agreement {} with {}, rate {}",
                a.agreement_id, a.enterprise.name, a.rate
            ),
        ),
        Body::RevenueShare(r) => (
            format!(
                "协议 {} 的分成 {} 元（{} 至 {}）",
                r.agreement_id,
                r.amount,
                r.period.from(),
                r.period.to()
            ),
            format!(
                "{} yuan under agreement {} for {} to {}",
                r.amount,
                r.agreement_id,
                r.period.from(),
                r.period.to()
            ),
        ),
        Body::Space(s) => (
            format!(
                "共享空间 {}（{}），每小时 {} 元",
                s.name, s.space_id, s.hourly_rate
            ),
            format!(
                "space {} ({}), {} yuan an hour",
                s.name, s.space_id, s.hourly_rate
            ),
        ),
        Body::Rental(r) => {
            let (nz, ne) = party(r.renter.public_name());
            (
                format!(
                    "{nz}租用 {}，{} 至 {}，{} 元",
                    r.space_id, r.start, r.end, r.amount
                ),
                format!(
                    "{ne} rents {} from {} to {}, {} yuan",
                    r.space_id, r.start, r.end, r.amount
                ),
            )
        }
        Body::Disbursement(d) => {
            let (nz, ne) = party(d.payee.public_name());
            match &d.restriction {
                Some(r) => (
                    format!(
                        "向{nz}付 {} 元，用于{}（动用限定 {r}）",
                        d.amount, d.purpose
                    ),
                    format!(
                        "{} yuan to {ne} for {} (from restriction {r})",
                        d.amount, d.purpose
                    ),
                ),
                None => (
                    format!("向{nz}付 {} 元，用于{}", d.amount, d.purpose),
                    format!("{} yuan to {ne} for {}", d.amount, d.purpose),
                ),
            }
        }
        Body::Reversal(r) => (
            format!("冲正第 {} 条：{}", r.reverses, r.reason),
            format!("reverses entry {}: {}", r.reverses, r.reason),
        ),
        Body::Statement(s) => (
            format!("{} 至 {} 的收支公示", s.period.from(), s.period.to()),
            format!("statement of {} to {}", s.period.from(), s.period.to()),
        ),
        Body::Restriction(r) => (
            format!("限定 {}：{}", r.restriction_id, r.purpose),
            format!("restriction {}: {}", r.restriction_id, r.purpose),
        ),
        Body::RestrictionRevocation(r) => (
            format!(
                "撤销限定 {}（剩余资金转为非限定性）：{}",
                r.restriction_id, r.reason
            ),
            format!(
                "revokes restriction {} (what it holds is released): {}",
                r.restriction_id, r.reason
            ),
        ),
        Body::RestrictionClosing(c) => (
            format!("限定 {} 结项：{}", c.restriction_id, c.note),
            format!("closes restriction {}: {}", c.restriction_id, c.note),
        ),
        Body::Opinion(o) => (
            format!("对第 {} 条报表的监督意见", o.statement),
            format!("supervisor's opinion on statement {}", o.statement),
        ),
    };
    Summary {
        zh: format!("{}：{zh}", word(Lang::Zh)),
        en: format!("{}: {en}", word(Lang::En)),
    }
}
