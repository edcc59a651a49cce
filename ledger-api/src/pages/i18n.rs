//! The pages' words in Chinese (the default) and English, and how a request picks one.

use std::collections::BTreeMap;

use axum::http::{header, HeaderMap};

/// A page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// 简体中文 (default).
    Zh,
    /// English.
    En,
}

/// Name of the cookie that remembers the choice (defined with the caching rules, for
/// which it is the one cookie that is not a credential).
pub use crate::caching::LANG_COOKIE;
/// How long the choice is remembered, in seconds (one year).
pub const LANG_COOKIE_MAX_AGE_S: u32 = 365 * 24 * 3600;

impl Lang {
    /// `en` or `zh`; anything else is `None`.
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The code used in the cookie and the query.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The value of the `html lang` attribute.
    pub fn html(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The other language.
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// The `Set-Cookie` value that remembers this language.
    pub fn cookie(self) -> String {
        format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age={LANG_COOKIE_MAX_AGE_S}; SameSite=Lax",
            self.code()
        )
    }

    /// The language of a request: `?lang=` first (which the response then remembers),
    /// else the cookie, else Chinese. Returns whether the query chose it.
    pub fn of_request(headers: &HeaderMap, query: Option<&str>) -> (Lang, bool) {
        if let Some(l) = query.and_then(Lang::parse) {
            return (l, true);
        }
        let from_cookie = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .find(|(k, _)| *k == LANG_COOKIE)
            .and_then(|(_, v)| Lang::parse(v.trim()));
        (from_cookie.unwrap_or(Lang::Zh), false)
    }

    /// Every word of the pages in this language, by key.
    pub fn words(self) -> BTreeMap<&'static str, &'static str> {
        TABLES
            .iter()
            .flat_map(|t| t.iter())
            .map(|(k, zh, en)| (*k, if self == Lang::Zh { *zh } else { *en }))
            .collect()
    }

    /// One word (the key itself when unknown).
    pub fn word(self, key: &str) -> &str {
        TABLES
            .iter()
            .flat_map(|t| t.iter())
            .find(|(k, _, _)| *k == key)
            .map_or(key, |(_, zh, en)| if self == Lang::Zh { zh } else { en })
    }
}

/// Every table of words: the residents' pages' and the workspace's.
const TABLES: &[&[(&str, &str, &str)]] = &[WORDS, super::workspace_words::WORDS];

/// `(key, 中文, English)`.
const WORDS: &[(&str, &str, &str)] = &[
    ("site", "社区基金公示", "Community funds"),
    ("site_sub", "郫都区社区基金收支公示", "Public accounts of the Pidu district community funds"),
    ("switch_to", "English", "中文"),
    ("switch_label", "Switch to English", "切换到中文"),
    ("nav_funds", "全部基金", "All funds"),
    ("nav_check", "核验我的捐赠", "Check my donation"),
    ("funds_title", "全部社区基金", "All community funds"),
    ("fund", "社区基金", "Fund"),
    ("street", "街道", "Street"),
    ("community", "社区", "Community"),
    ("balance", "余额", "Balance"),
    ("last_statement", "最近公示", "Last statement"),
    ("none", "暂无", "none yet"),
    ("entries_count", "记录数", "Entries"),
    ("total", "合计", "Total"),
    ("latest_statement", "最近一期收支公示", "Latest signed statement"),
    ("period", "期间", "Period"),
    ("opening", "期初余额", "Opening balance"),
    ("closing", "期末余额", "Closing balance"),
    ("reversals", "冲正", "Reversals"),
    ("count", "记录数", "Entries"),
    ("signed_by", "签署人", "Signed by"),
    ("unknown_signer", "未知签署人", "unknown signer"),
    ("printable", "打印版（A4）", "Printable (A4)"),
    ("totals_by_kind", "按类别合计（全部记录）", "Totals by kind (whole log)"),
    ("kind", "类别", "Kind"),
    ("amount", "金额", "Amount"),
    ("chart_title", "余额走势（每月月末）", "Balance over time (month ends)"),
    ("chart_desc", "每月月末余额折线图", "Line chart of the balance at the end of each month"),
    ("recent_entries", "最近记录", "Recent entries"),
    ("seq", "序号", "No."),
    ("date", "日期", "Date"),
    ("party", "对方", "Party"),
    ("newer", "较新记录", "Newer entries"),
    ("older", "较早记录", "Older entries"),
    ("agreements", "分成协议", "Revenue-share agreements"),
    ("enterprise", "企业", "Enterprise"),
    ("uscc", "统一社会信用代码", "Unified social credit code"),
    ("basis", "分成基数", "Basis"),
    ("basis_revenue", "营业收入", "revenue"),
    ("basis_profit", "利润", "profit"),
    ("rate", "比例", "Rate"),
    ("fixed_monthly", "固定月费", "Fixed monthly"),
    ("term", "期限", "Term"),
    ("venture", "项目", "Venture"),
    ("open_ended", "长期", "open-ended"),
    ("spaces", "共享空间", "Shared spaces"),
    ("space_name", "名称", "Name"),
    ("hourly_rate", "每小时价格", "Hourly rate"),
    ("community_hours", "社区自用时段", "Community hours"),
    ("no_agreements", "暂无分成协议。", "No agreements."),
    ("no_spaces", "暂无共享空间。", "No shared spaces."),
    ("no_statement", "尚无签署的公示。", "No signed statement yet."),
    ("resident", "居民", "Resident"),
    ("anonymous", "匿名", "Anonymous"),
    ("trustees", "基金管理人", "Trustees"),
    ("statement_title", "基金收支公示", "Fund statement"),
    ("inflows", "收入", "Inflows"),
    ("outflows", "支出", "Outflows"),
    ("through_seq", "截至记录序号", "Through entry"),
    ("tree_size", "记录总数（树大小）", "Tree size"),
    ("root", "默克尔根", "Merkle root"),
    ("entry_hash", "本公示记录哈希", "Hash of this statement entry"),
    ("recorded_at", "记录时间", "Recorded at"),
    ("qr_caption", "扫码核验本公示", "Scan to verify this statement"),
    ("qr_title", "核验链接二维码", "QR code of the verification link"),
    ("print", "打印", "Print"),
    ("back_to_fund", "返回基金页面", "Back to the fund"),
    ("check_title", "核验我的捐赠", "Check my donation"),
    ("check_intro", "粘贴或上传您的捐赠回执（JSON），核验将完全在您的浏览器中进行（SHA-256、Ed25519、默克尔证明），不依赖服务器的说法。", "Paste or upload your donation receipt (JSON). It is checked entirely in your browser (SHA-256, Ed25519, Merkle proof), independently of what the server says."),
    ("receipt_label", "回执内容（JSON）", "Receipt (JSON)"),
    ("file_label", "或选择回执文件", "Or choose a receipt file"),
    ("verify_button", "核验", "Verify"),
    ("result", "核验结果", "Result"),
    ("needs_js", "核验需要启用 JavaScript。", "Checking needs JavaScript."),
    ("site_log_key", "本站公布的日志公钥", "This site's published log key"),
    ("not_found", "未找到", "Not found"),
    ("not_found_text", "没有这个页面或基金。", "There is no such page or fund."),
    ("internal", "服务器内部错误", "Internal error"),
    ("internal_text", "请稍后再试。", "Please try again later."),
    ("unavailable", "暂时无法访问", "Temporarily unavailable"),
    (
        "unavailable_text",
        "账本数据库暂时无法连接，请稍后刷新。",
        "The ledger's database cannot be reached just now; please reload in a moment.",
    ),
    ("damaged", "已损坏", "Damaged"),
    (
        "damaged_text",
        "该基金的存储记录与其日志不一致，已暂停显示和写入，等待运营方修复。其他基金不受影响。",
        "This fund's stored records disagree with its log: it is not shown and takes no entries until the operator repairs it. Other funds are not affected.",
    ),
    ("kind_genesis", "设立", "genesis"),
    ("kind_trustees", "管理人变更", "trustee change"),
    ("kind_donation", "捐赠", "donation"),
    ("kind_agreement", "分成协议", "agreement"),
    ("kind_revenue_share", "社会企业收益分成", "revenue share"),
    ("kind_space", "共享空间", "space"),
    ("kind_rental", "场地租赁收入", "rental"),
    ("kind_disbursement", "支出", "disbursement"),
    ("kind_reversal", "冲正", "reversal"),
    ("kind_statement", "收支公示", "statement"),
    ("kind_opinion", "监督意见", "supervisor's opinion"),
    ("corrections", "更正说明", "Corrections"),
    ("correction_note", "更正说明", "Correction note"),
    ("corrects_entry", "更正条目", "Corrects entry"),
    ("changes_statement", "涉及报表", "Changes statement"),
    ("superseded_by", "本报表已被更正报表取代", "This statement is superseded by the corrected statement"),
    ("supersedes", "更正报表，取代", "Corrected statement; supersedes"),
    ("opinions", "监督意见", "Supervisors' opinions"),
    ("no_opinion", "暂无监督意见", "No supervisor's opinion yet"),
    ("verdict_agree", "同意", "Agrees"),
    ("verdict_disagree", "不同意", "Disagrees"),
    ("reasons", "理由", "Reasons"),
    ("supervisors", "监督员", "Supervisors"),
    ("host_charity", "托管慈善组织", "Host charity"),
    ("kind_restriction", "限定", "restriction"),
    ("kind_restriction_revocation", "撤销限定", "restriction revoked"),
    ("kind_restriction_closing", "限定项目结项", "restricted project closed"),
    ("col_unrestricted", "非限定性", "Unrestricted"),
    ("col_restricted", "限定性", "Restricted"),
    ("col_total", "合计", "Total"),
    ("releases", "限定性净资产转为非限定性净资产", "Released from restriction"),
    ("space_classroom", "共享教室", "classroom"),
    ("space_theatre", "共享剧场", "theatre"),
    ("space_meeting_room", "共享会议室", "meeting room"),
    ("space_activity_room", "共享活动室", "activity room"),
    ("space_other", "其他", "other"),
    ("day_mon", "周一", "Mon"),
    ("day_tue", "周二", "Tue"),
    ("day_wed", "周三", "Wed"),
    ("day_thu", "周四", "Thu"),
    ("day_fri", "周五", "Fri"),
    ("day_sat", "周六", "Sat"),
    ("day_sun", "周日", "Sun"),
    ("footer", "每条记录均由基金管理人签名，并记入防篡改的哈希链与默克尔树。", "Every entry is signed by the fund's trustees and kept in a tamper-evident hash chain and Merkle tree."),
    ("witnesses", "见证方", "Witnesses"),
    ("not_yet_witnessed", "本基金的检查点尚未获得见证方副署。", "No checkpoint of this fund has been cosigned by the witnesses yet."),
    ("witness_not_covering", "见证过的最新检查点尚未包含本公示，稍后刷新。", "The newest witnessed checkpoint does not include this statement yet; reload in a moment."),
    ("witness_checking", "正在核验见证签名……", "Checking the cosignatures…"),
    ("witness_keys_note", "见证方公钥（C2SP tlog-cosignature）：请与见证方自己公布的公钥核对，并保存以备日后核验。", "The witnesses' keys (C2SP tlog-cosignature): compare them with the keys the witnesses publish themselves, and keep them to check later."),
    ("site_witnesses", "本站的见证方", "This site's witnesses"),
    (
        "demo_banner",
        "本站的基金、人名、企业和金额均为按来源报告生成的示例，不是真实记录。",
        "The funds, names, enterprises and amounts on this site are examples generated after the source report, not real records.",
    ),
    ("export_link", "下载完整记录（供审计核验）", "Download the full log (for auditors)"),
    ("statutory_title", "业务活动表（会民非02表）及净资产", "Statement of activities (会民非02表) and net assets"),
    ("statutory_link", "法定报表", "Statutory report"),
    ("bad_period", "期间无效", "Invalid period"),
    ("bad_period_text", "期间必须为 YYYY-MM、YYYY-Qn 或 YYYY，例如 2026-03、2026-Q1 或 2026。", "The period must be YYYY-MM, YYYY-Qn or YYYY, e.g. 2026-03, 2026-Q1 or 2026."),
    ("line_no", "行次", "Line"),
    ("item", "项目", "Item"),
    ("net_assets_title", "资产负债表 · 净资产", "Balance sheet · net assets"),
    ("col_opening", "期初数", "Opening"),
    ("col_closing", "期末数", "Closing"),
    ("annual_title", "年度报告可计算事项", "Annual report: computable items"),
    ("annual_income", "收入合计", "Total income"),
    ("annual_expense", "费用合计", "Total expenses"),
    ("annual_charitable", "年度慈善活动支出", "Charitable activity spending"),
    ("annual_admin", "管理费用", "Administrative expenses"),
    ("annual_prior", "上年末净资产", "Net assets at the prior year's end"),
    ("annual_spending_ratio", "慈善活动支出占上年末净资产比例", "Spending as a share of prior year-end net assets"),
    ("annual_admin_ratio", "管理费用占总支出比例", "Administrative share of expenses"),
    ("annual_donations", "捐赠笔数", "Donations recorded"),
    ("csv_link", "下载 CSV", "Download CSV"),
    ("calendar_title", "信息公开日历", "Disclosure calendar"),
    ("duty", "公开事项", "Duty"),
    ("due", "截止日期", "Due"),
    ("status", "状态", "Status"),
    ("duty_monthly_statement", "月度收支公示", "Monthly statement"),
    ("duty_quarterly_project", "项目季度公开", "Quarterly project disclosure"),
    ("duty_annual_report", "年度报告", "Annual report"),
    ("duty_remainder", "项目结束剩余财产公开", "Remainder disclosure after a project's end"),
    ("status_published", "已公开", "Published"),
    ("status_late", "逾期公开", "Published late"),
    ("status_due", "待公开", "Due"),
    ("status_overdue", "已逾期", "Overdue"),
    ("overdue_count", "逾期未公开", "Overdue"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn query_then_cookie_then_chinese() {
        let mut h = HeaderMap::new();
        assert_eq!(Lang::of_request(&h, None), (Lang::Zh, false));
        h.insert(header::COOKIE, HeaderValue::from_static("a=b; lang=en"));
        assert_eq!(Lang::of_request(&h, None), (Lang::En, false));
        assert_eq!(Lang::of_request(&h, Some("zh")), (Lang::Zh, true));
        assert_eq!(Lang::of_request(&h, Some("fr")), (Lang::En, false));
        h.insert(header::COOKIE, HeaderValue::from_static("lang=xx"));
        assert_eq!(Lang::of_request(&h, None), (Lang::Zh, false));
    }

    #[test]
    fn every_key_is_unique() {
        let mut keys: Vec<_> = TABLES.iter().flat_map(|t| t.iter()).map(|w| w.0).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n);
    }
}
