//! The refusals of [`crate::state::FundState`]: every rule a fund's log must keep, each with a
//! stable code and a message a trustee understands, in Chinese and English.

use crate::error::Coded;
use crate::hash::Hash;
use crate::money::Money;
use crate::time::Date;

fn window_en(from: Option<Date>, until: Option<Date>) -> String {
    match (from, until) {
        (Some(f), Some(u)) => format!("from {f} until {u}"),
        (Some(f), None) => format!("from {f} on"),
        (None, Some(u)) => format!("until {u}"),
        (None, None) => "at any time".into(),
    }
}

fn window_zh(from: Option<Date>, until: Option<Date>) -> String {
    match (from, until) {
        (Some(f), Some(u)) => format!(" {f} 至 {u} "),
        (Some(f), None) => format!(" {f} 起"),
        (None, Some(u)) => format!(" {u} 前"),
        (None, None) => "任何时候".into(),
    }
}

/// A rule that an entry breaks, given the fund's history before it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// The entry (or its intent) names another fund.
    #[error("entry is for fund `{found}`, but this log is fund `{expected}`")]
    FundMismatch {
        /// This log's fund.
        expected: String,
        /// The fund named.
        found: String,
    },
    /// The seq is not the next one (a gap, a duplicate or a reordering).
    #[error("expected seq {expected}, found {found}")]
    SeqMismatch {
        /// The next seq.
        expected: u64,
        /// The seq found.
        found: u64,
    },
    /// `prev` is not the hash of the previous entry.
    #[error("prev is {found}, but the previous entry's hash is {expected}")]
    PrevMismatch {
        /// Hash of the previous entry.
        expected: Hash,
        /// The `prev` found.
        found: Hash,
    },
    /// `recorded_at` is earlier than the previous entry's.
    #[error("recorded_at {found} is earlier than the previous entry's {previous}")]
    RecordedAtDecreased {
        /// Previous entry's time.
        previous: String,
        /// This entry's time.
        found: String,
    },
    /// The intent was signed more than [`crate::state::SIGNED_AT_SKEW_SECONDS_MAX`] after it
    /// was recorded.
    #[error("intent signed at {signed_at}, after it was recorded at {recorded_at}")]
    SignedInFuture {
        /// The intent's signed_at.
        signed_at: String,
        /// The entry's recorded_at.
        recorded_at: String,
    },
    /// The intent's idempotency key was used by an earlier entry of the fund: the same
    /// signed intent may never be recorded twice.
    #[error("idempotency key `{0}` was already used by an earlier entry of this fund")]
    IdempotencyKeyReused(String),
    /// The first entry is not a genesis.
    #[error("the first entry of a fund must be its genesis")]
    GenesisMissing,
    /// A genesis after seq 0.
    #[error("a genesis may only be the first entry")]
    GenesisNotFirst,
    /// A signer is not a current trustee (or, for genesis, not the operator).
    #[error("signer {0} is not a current trustee of this fund")]
    UnknownSigner(String),
    /// Too few trustee signatures for this kind.
    #[error("a {kind} needs {needed} trustee signatures; it has {found}")]
    QuorumNotMet {
        /// Entry kind.
        kind: &'static str,
        /// Signatures needed.
        needed: u32,
        /// Valid trustee signatures present.
        found: u32,
    },
    /// A policy is inconsistent (zero quorum, quorum above the trustee count, min > max).
    #[error("invalid policy: {0}")]
    PolicyInvalid(&'static str),
    /// A trustee change would leave too few trustees for a quorum.
    #[error("after this change {trustees} trustees remain, fewer than the quorum of {quorum}")]
    QuorumUnreachable {
        /// Trustees left.
        trustees: u32,
        /// Largest quorum of the policy.
        quorum: u32,
    },
    /// A trustee to add is already one, or is listed twice.
    #[error("{0} is already a trustee")]
    TrusteeExists(String),
    /// A trustee to remove is not one.
    #[error("{0} is not a trustee")]
    TrusteeUnknown(String),
    /// A trustee change that changes nothing.
    #[error("a trustee change must add, remove or change the policy")]
    TrusteeChangeEmpty,
    /// A resident donor without a commitment.
    #[error("a resident donation needs the donor commitment")]
    DonorCommitmentMissing,
    /// A resident named without consent.
    #[error("a resident may only be named with their consent (name_consent: true)")]
    ResidentNamedWithoutConsent,
    /// An enterprise or organisation donor without a name.
    #[error("an enterprise or organisation donor must be named")]
    DonorNameMissing,
    /// An anonymous donor with a name.
    #[error("an anonymous donor cannot carry a name")]
    AnonymousDonorNamed,
    /// The rate is outside the fund's policy.
    #[error("rate {rate} is outside the fund's policy {min}–{max}")]
    RateOutOfPolicy {
        /// Rate given.
        rate: String,
        /// Policy minimum.
        min: String,
        /// Policy maximum.
        max: String,
    },
    /// The agreement id is taken.
    #[error("agreement `{0}` already exists")]
    AgreementExists(String),
    /// No such agreement.
    #[error("agreement `{0}` does not exist")]
    AgreementUnknown(String),
    /// An agreement ending before it starts.
    #[error("an agreement cannot end before it starts")]
    AgreementDates,
    /// The period is not within the agreement's dates.
    #[error("agreement `{0}` does not cover the whole period")]
    AgreementInactive(String),
    /// A fixed monthly fee over a period that is not whole months.
    #[error(
        "a period with a fixed monthly fee must start on the 1st and end on a month's last day"
    )]
    PeriodNotWholeMonths,
    /// The revenue share amount is not what the agreement says.
    #[error("revenue share should be {expected} (base × rate, rounded half up, plus fixed fees), not {found}")]
    RevenueShareAmount {
        /// What the agreement gives.
        expected: Money,
        /// What the entry says.
        found: Money,
    },
    /// The period overlaps one already paid.
    #[error("the period overlaps one already paid under this agreement (seq {0})")]
    PeriodAlreadyPaid(u64),
    /// The space id is taken.
    #[error("space `{0}` already exists")]
    SpaceExists(String),
    /// No such space.
    #[error("space `{0}` does not exist")]
    SpaceUnknown(String),
    /// Too many community-hour windows.
    #[error("a space may keep at most {0} weekly community windows")]
    TooManyWindows(usize),
    /// A rental slot that is empty or reversed.
    #[error("a rental must end after it starts")]
    RentalEmpty,
    /// A rental slot longer than the limit.
    #[error("a rental may last at most {0} days")]
    RentalTooLong(i64),
    /// The rental price is not hourly rate × hours.
    #[error("rental should cost {expected} (hourly rate × hours, rounded half up), not {found}")]
    RentalAmount {
        /// Price by the space's rate.
        expected: Money,
        /// Price in the entry.
        found: Money,
    },
    /// The slot overlaps another rental of the space.
    #[error("the slot overlaps the rental at seq {0}")]
    RentalOverlap(u64),
    /// The slot overlaps hours the community keeps for itself.
    #[error("the slot falls in the space's community hours")]
    RentalInCommunityHours,
    /// The fund would go below zero.
    #[error("the fund holds {balance}; this entry would take it below zero")]
    Overdraft {
        /// Balance before the entry.
        balance: Money,
    },
    /// A balance or total beyond the representable bound.
    #[error("a balance or total exceeds the bound")]
    Overflow,
    /// The reversed seq is not an earlier entry.
    #[error("seq {0} is not an earlier entry of this fund")]
    ReversalTargetUnknown(u64),
    /// The reversed entry moves no money.
    #[error("entry {seq} is a {kind}, which moves no money and cannot be reversed")]
    ReversalTargetNotMonetary {
        /// Seq reversed.
        seq: u64,
        /// Its kind.
        kind: &'static str,
    },
    /// A reversal of a reversal.
    #[error("entry {0} is itself a reversal; record a new entry instead")]
    ReversalOfReversal(u64),
    /// The entry was reversed already.
    #[error("entry {0} has already been reversed")]
    AlreadyReversed(u64),
    /// A statement for a period that is not whole months or starts before the fund.
    #[error("a statement covers whole local months from the fund's first month on")]
    StatementPeriodInvalid,
    /// A statement recorded before its period has ended.
    #[error("a statement can only be recorded after its period has ended")]
    StatementPeriodOpen,
    /// `corrects` names no earlier entry of this fund.
    #[error("entry {0} that this one corrects is not an earlier entry of this fund")]
    CorrectionTargetUnknown(u64),
    /// `corrects` names an entry of another kind.
    #[error("entry {seq} is a {found}; a {kind} can only correct a {kind}")]
    CorrectionKindMismatch {
        /// Seq named.
        seq: u64,
        /// This entry's kind.
        kind: &'static str,
        /// The named entry's kind.
        found: &'static str,
    },
    /// `corrects` names an entry that no reversal with a correction note has reversed.
    #[error("entry {0} has not been reversed by a reversal carrying a correction note (更正说明)")]
    CorrectionNotReversed(u64),
    /// `corrects` names an entry that another entry corrects already.
    #[error("entry {0} has already been corrected")]
    AlreadyCorrected(u64),
    /// `supersedes` names no earlier entry, or one that is not a statement.
    #[error("entry {0} is not an earlier statement of this fund")]
    SupersedesNotStatement(u64),
    /// `supersedes` names a statement that another one supersedes already.
    #[error("statement {0} has already been superseded")]
    AlreadySuperseded(u64),
    /// A corrected statement over another period than the one it supersedes.
    #[error("statement {0} covers another period; a corrected statement covers the same period")]
    SupersedesPeriodMismatch(u64),
    /// A supervisor to add is a supervisor already (or listed twice).
    #[error("{0} is already a supervisor")]
    SupervisorExists(String),
    /// A supervisor to remove is not one.
    #[error("{0} is not a supervisor")]
    SupervisorUnknown(String),
    /// One key both a trustee and a supervisor: a supervisor oversees the trustees.
    #[error("{0} cannot be both a trustee and a supervisor")]
    SupervisorIsTrustee(String),
    /// An opinion signed by a key that is not a current supervisor.
    #[error("signer {0} is not a current supervisor of this fund; only supervisors sign opinions")]
    OpinionSignerNotSupervisor(String),
    /// An opinion on an entry that is not an earlier statement.
    #[error("entry {0} is not an earlier statement of this fund")]
    OpinionTargetNotStatement(u64),
    /// A disagreeing opinion without reasons.
    #[error("an opinion that disagrees must give its reasons")]
    OpinionReasonsMissing,
    /// The restriction id is taken.
    #[error("restriction `{0}` already exists")]
    RestrictionExists(String),
    /// No such restriction.
    #[error("restriction `{0}` does not exist")]
    RestrictionUnknown(String),
    /// A restriction usable until a day before it is usable from.
    #[error("a restriction cannot be usable until a day before it is usable from")]
    RestrictionDates,
    /// The restriction was revoked or closed: no money may be given to it, spent from
    /// it or reversed into it any more.
    #[error("restriction `{id}` was ended at seq {seq}")]
    RestrictionEnded {
        /// The restriction.
        id: String,
        /// The revocation or closing.
        seq: u64,
    },
    /// Spending more than a restriction holds.
    #[error("restriction `{id}` holds {balance}; this entry would take it below zero")]
    RestrictionOverdraft {
        /// The restriction.
        id: String,
        /// What it holds before the entry.
        balance: Money,
    },
    /// Spending restricted money outside the restriction's window.
    #[error("restriction `{id}` may be spent {}; not on {date}", window_en(*from, *until))]
    RestrictionOutsideWindow {
        /// The restriction.
        id: String,
        /// First local day it may be spent.
        from: Option<Date>,
        /// Last local day it may be spent.
        until: Option<Date>,
        /// The entry's local date.
        date: Date,
    },
    /// Unrestricted spending (or a reversal of an unrestricted inflow) beyond the
    /// unrestricted money: it would spend restricted money on something else.
    #[error("unrestricted money is {unrestricted} (the rest of the balance is restricted); this entry would take it below zero")]
    UnrestrictedOverdraft {
        /// Unrestricted money before the entry.
        unrestricted: Money,
    },
    /// Closing a restriction as `returned` while money is left in it.
    #[error("restriction `{id}` still holds {remainder}: return it by disbursements naming the restriction first, or close it as released")]
    RestrictionRemainderLeft {
        /// The restriction.
        id: String,
        /// What it holds.
        remainder: Money,
    },
    /// A statement figure that does not recompute from the log.
    #[error("statement field `{field}` should be {expected}, not {found}")]
    StatementMismatch {
        /// Field name, e.g. `inflows.donation`.
        field: &'static str,
        /// Recomputed value.
        expected: String,
        /// Value in the statement.
        found: String,
    },
}

impl Coded for RuleError {
    fn code(&self) -> &'static str {
        use RuleError::*;
        match self {
            FundMismatch { .. } => "fund_mismatch",
            SeqMismatch { .. } => "seq_mismatch",
            PrevMismatch { .. } => "prev_mismatch",
            RecordedAtDecreased { .. } => "recorded_at_decreased",
            SignedInFuture { .. } => "signed_in_future",
            IdempotencyKeyReused(_) => "idempotency_key_reused",
            GenesisMissing => "genesis_missing",
            GenesisNotFirst => "genesis_not_first",
            UnknownSigner(_) => "unknown_signer",
            QuorumNotMet { .. } => "quorum_not_met",
            PolicyInvalid(_) => "policy_invalid",
            QuorumUnreachable { .. } => "quorum_unreachable",
            TrusteeExists(_) => "trustee_exists",
            TrusteeUnknown(_) => "trustee_unknown",
            TrusteeChangeEmpty => "trustee_change_empty",
            DonorCommitmentMissing => "donor_commitment_missing",
            ResidentNamedWithoutConsent => "resident_named_without_consent",
            DonorNameMissing => "donor_name_missing",
            AnonymousDonorNamed => "anonymous_donor_named",
            RateOutOfPolicy { .. } => "rate_out_of_policy",
            AgreementExists(_) => "agreement_exists",
            AgreementUnknown(_) => "agreement_unknown",
            AgreementDates => "agreement_dates",
            AgreementInactive(_) => "agreement_inactive",
            PeriodNotWholeMonths => "period_not_whole_months",
            RevenueShareAmount { .. } => "revenue_share_amount_mismatch",
            PeriodAlreadyPaid(_) => "period_already_paid",
            SpaceExists(_) => "space_exists",
            SpaceUnknown(_) => "space_unknown",
            TooManyWindows(_) => "too_many_windows",
            RentalEmpty => "rental_empty",
            RentalTooLong(_) => "rental_too_long",
            RentalAmount { .. } => "rental_amount_mismatch",
            RentalOverlap(_) => "rental_overlap",
            RentalInCommunityHours => "rental_in_community_hours",
            Overdraft { .. } => "overdraft",
            Overflow => "balance_overflow",
            ReversalTargetUnknown(_) => "reversal_target_unknown",
            ReversalTargetNotMonetary { .. } => "reversal_target_not_monetary",
            ReversalOfReversal(_) => "reversal_of_reversal",
            AlreadyReversed(_) => "already_reversed",
            StatementPeriodInvalid => "statement_period_invalid",
            StatementPeriodOpen => "statement_period_open",
            StatementMismatch { .. } => "statement_mismatch",
            CorrectionTargetUnknown(_) => "correction_target_unknown",
            CorrectionKindMismatch { .. } => "correction_kind_mismatch",
            CorrectionNotReversed(_) => "correction_not_reversed",
            AlreadyCorrected(_) => "already_corrected",
            SupersedesNotStatement(_) => "supersedes_not_statement",
            AlreadySuperseded(_) => "already_superseded",
            SupersedesPeriodMismatch(_) => "supersedes_period_mismatch",
            SupervisorExists(_) => "supervisor_exists",
            SupervisorUnknown(_) => "supervisor_unknown",
            SupervisorIsTrustee(_) => "supervisor_is_trustee",
            OpinionSignerNotSupervisor(_) => "opinion_signer_not_supervisor",
            OpinionTargetNotStatement(_) => "opinion_target_not_statement",
            OpinionReasonsMissing => "opinion_reasons_missing",
            RestrictionExists(_) => "restriction_exists",
            RestrictionUnknown(_) => "restriction_unknown",
            RestrictionDates => "restriction_dates",
            RestrictionEnded { .. } => "restriction_ended",
            RestrictionOverdraft { .. } => "restriction_overdraft",
            RestrictionOutsideWindow { .. } => "restriction_outside_window",
            UnrestrictedOverdraft { .. } => "unrestricted_overdraft",
            RestrictionRemainderLeft { .. } => "restriction_remainder_left",
        }
    }

    fn message_en(&self) -> String {
        self.to_string()
    }

    fn message_zh(&self) -> String {
        use RuleError::*;
        match self {
            FundMismatch { expected, found } => {
                format!("条目属于基金「{found}」，但本账本是基金「{expected}」")
            }
            SeqMismatch { expected, found } => format!("序号应为 {expected}，实际为 {found}"),
            PrevMismatch { .. } => "prev 不是上一条目的哈希：链条断开".into(),
            RecordedAtDecreased { previous, found } => {
                format!("记录时间 {found} 早于上一条目的 {previous}")
            }
            SignedInFuture {
                signed_at,
                recorded_at,
            } => format!("签名时间 {signed_at} 晚于记录时间 {recorded_at}"),
            IdempotencyKeyReused(k) => {
                format!("幂等键「{k}」已被本基金之前的条目使用过：同一意图不能记录两次")
            }
            GenesisMissing => "基金的第一条必须是创始条目".into(),
            GenesisNotFirst => "创始条目只能是第一条".into(),
            UnknownSigner(k) => format!("签名人 {k} 不是本基金的现任管理人"),
            QuorumNotMet {
                kind,
                needed,
                found,
            } => format!("{kind} 需要 {needed} 位管理人签名，现有 {found} 位"),
            PolicyInvalid(why) => format!("基金规则无效：{why}"),
            QuorumUnreachable { trustees, quorum } => {
                format!("变更后只剩 {trustees} 位管理人，少于所需的 {quorum} 位")
            }
            TrusteeExists(k) => format!("{k} 已经是管理人"),
            TrusteeUnknown(k) => format!("{k} 不是管理人"),
            TrusteeChangeEmpty => "管理人变更必须增加、移除管理人或修改规则".into(),
            DonorCommitmentMissing => "居民捐赠需要捐赠人承诺值（commitment）".into(),
            ResidentNamedWithoutConsent => "只有居民同意后才能公开其姓名".into(),
            DonorNameMissing => "企业或组织捐赠必须写明名称".into(),
            AnonymousDonorNamed => "匿名捐赠不能带姓名".into(),
            RateOutOfPolicy { rate, min, max } => {
                format!("分成比例 {rate} 超出基金规定的 {min}–{max}")
            }
            AgreementExists(id) => format!("分成协议「{id}」已存在"),
            AgreementUnknown(id) => format!("分成协议「{id}」不存在"),
            AgreementDates => "协议的结束日期不能早于开始日期".into(),
            AgreementInactive(id) => format!("分成协议「{id}」不覆盖整个期间"),
            PeriodNotWholeMonths => "有固定月费的期间必须从某月1日开始、到某月最后一天结束".into(),
            RevenueShareAmount { expected, found } => format!(
                "分成金额应为 {expected}（基数×比例四舍五入到分，加固定月费），而不是 {found}"
            ),
            PeriodAlreadyPaid(seq) => format!("该期间与已缴纳的期间重叠（序号 {seq}）"),
            SpaceExists(id) => format!("共享空间「{id}」已存在"),
            SpaceUnknown(id) => format!("共享空间「{id}」不存在"),
            TooManyWindows(n) => format!("一个空间最多保留 {n} 个每周社区时段"),
            RentalEmpty => "租赁的结束时间必须晚于开始时间".into(),
            RentalTooLong(days) => format!("一次租赁最长 {days} 天"),
            RentalAmount { expected, found } => {
                format!("租金应为 {expected}（小时费率×小时数，四舍五入到分），而不是 {found}")
            }
            RentalOverlap(seq) => format!("该时段与序号 {seq} 的租赁重叠"),
            RentalInCommunityHours => "该时段落在社区自用时段内".into(),
            Overdraft { balance } => format!("基金余额为 {balance}，此条目会使余额低于零"),
            Overflow => "余额或合计超出上限".into(),
            ReversalTargetUnknown(seq) => format!("序号 {seq} 不是本基金之前的条目"),
            ReversalTargetNotMonetary { seq, kind } => {
                format!("序号 {seq} 是 {kind}，不涉及资金，不能冲正")
            }
            ReversalOfReversal(seq) => format!("序号 {seq} 本身是冲正，请改为记录新的条目"),
            AlreadyReversed(seq) => format!("序号 {seq} 已经被冲正过"),
            StatementPeriodInvalid => "报表必须覆盖完整的本地月份，且不早于基金成立的月份".into(),
            StatementPeriodOpen => "报表只能在期间结束后记录".into(),
            StatementMismatch {
                field,
                expected,
                found,
            } => format!("报表字段 {field} 应为 {expected}，而不是 {found}"),
            CorrectionTargetUnknown(seq) => format!("被更正的序号 {seq} 不是本基金之前的条目"),
            CorrectionKindMismatch { seq, kind, found } => {
                format!("序号 {seq} 是 {found}；{kind} 只能更正 {kind}")
            }
            CorrectionNotReversed(seq) => {
                format!("序号 {seq} 尚未被带更正说明的冲正条目冲正")
            }
            AlreadyCorrected(seq) => format!("序号 {seq} 已经被更正过"),
            SupersedesNotStatement(seq) => format!("序号 {seq} 不是本基金之前的报表"),
            AlreadySuperseded(seq) => format!("报表 {seq} 已经被更正报表取代"),
            SupersedesPeriodMismatch(seq) => {
                format!("报表 {seq} 的期间不同；更正报表必须覆盖同一期间")
            }
            SupervisorExists(k) => format!("{k} 已经是监督员"),
            SupervisorUnknown(k) => format!("{k} 不是监督员"),
            SupervisorIsTrustee(k) => format!("{k} 不能既是管理人又是监督员"),
            OpinionSignerNotSupervisor(k) => {
                format!("签名人 {k} 不是本基金的现任监督员；只有监督员能签署监督意见")
            }
            OpinionTargetNotStatement(seq) => format!("序号 {seq} 不是本基金之前的报表"),
            OpinionReasonsMissing => "不同意的监督意见必须写明理由".into(),
            RestrictionExists(id) => format!("限定「{id}」已存在"),
            RestrictionUnknown(id) => format!("限定「{id}」不存在"),
            RestrictionDates => "限定的可用截止日不能早于可用起始日".into(),
            RestrictionEnded { id, seq } => {
                format!("限定「{id}」已在序号 {seq} 撤销或结项，不能再捐入、动用或冲正")
            }
            RestrictionOverdraft { id, balance } => {
                format!("限定「{id}」只剩 {balance}，此条目会使其低于零")
            }
            RestrictionOutsideWindow {
                id,
                from,
                until,
                date,
            } => format!(
                "限定「{id}」的资金只能在{}动用，不能在 {date}",
                window_zh(*from, *until)
            ),
            UnrestrictedOverdraft { unrestricted } => format!(
                "非限定性资金只有 {unrestricted}（其余余额是限定性资金），此条目会挪用限定性资金"
            ),
            RestrictionRemainderLeft { id, remainder } => format!(
                "限定「{id}」还剩 {remainder}：请先以注明该限定的支出退回，或以「转为非限定性」结项"
            ),
        }
    }
}
