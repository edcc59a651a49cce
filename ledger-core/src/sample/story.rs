//! A fund's own story: the names and figures of one fund of the demo (its trustees,
//! enterprises, agreements, rooms, the size of its gifts), used by [`super::build`] instead
//! of the plain examples of [`SampleSpec::example`](super::SampleSpec::example).
//!
//! With a story the history also runs right up to its end, `start_unix + months × 30 days`
//! (the pace adapts to the entries left), rentals are booked from the day they are
//! recorded on, and agreements may pay once a year.

use crate::body::{
    Agreement, Body, Channel, Disbursement, Disposal, Donation, Donor, DonorClass, Enterprise,
    Party, PartyClass, Restriction, RestrictionClosing, RestrictionRevocation, RevenueShare,
    Reversal, RevocationBasis, ShareBasis, Space, SpaceKind,
};
use crate::ids::{AgreementId, RestrictionId, SpaceId};
use crate::money::{share_of, Base, Money, Rate};
use crate::time::{Date, Period, UtcOffset};

use super::{amount_fen, err, long, sample_uscc, text, Builder, Deal, Room, SampleError};

/// Where a story's correction stands.
#[derive(Debug, Clone, Default)]
pub(super) enum CorrectionPlan {
    /// No statement has covered a donation that can be corrected yet.
    #[default]
    Waiting,
    /// The statement at `statement` (over `period`) covered the donation at `seq`.
    Covered {
        statement: u64,
        period: Period,
        seq: u64,
        donation: Box<Donation>,
    },
    /// Corrected (or given up).
    Done,
}

/// How much the corrected donation adds to the one recorded, in fen (a receipt for
/// 100.00 yuan more than was typed in).
const CORRECTION_FEN: i64 = 10_000;

/// One fund's names and figures.
#[derive(Debug, Clone, Default)]
pub struct Story {
    /// The trustees' names: the three at genesis, then the one who replaces the first.
    pub trustees: [String; 4],
    /// Enterprises that found the fund, each with a donation right after its genesis.
    pub founders: Vec<String>,
    /// A founder's donation, in yuan (lowest, highest).
    pub founder_gift_yuan: (i64, i64),
    /// Enterprises that donate now and then.
    pub enterprises: Vec<String>,
    /// An enterprise's donation, in yuan (lowest, highest).
    pub enterprise_gift_yuan: (i64, i64),
    /// Social organisations that donate now and then.
    pub organisations: Vec<String>,
    /// An organisation's donation, in yuan (lowest, highest).
    pub organisation_gift_yuan: (i64, i64),
    /// Who rents the spaces (name, class).
    pub renters: Vec<(String, PartyClass)>,
    /// Who receives the fund's grants (name, class).
    pub payees: Vec<(String, PartyClass)>,
    /// Revenue-share agreements registered right after genesis.
    pub agreements: Vec<StoryAgreement>,
    /// Shared spaces registered right after genesis (at least one).
    pub spaces: Vec<StorySpace>,
    /// Percent of the actions that are donations, rentals and disbursements (the rest are
    /// reversals).
    pub mix: [u8; 3],
    /// The supervisor's (监督员) name: named in the genesis, signs an opinion on the first
    /// statement.
    pub supervisor: Option<String>,
    /// The host charity's name (its USCC is an example one).
    pub host: Option<String>,
    /// Whether the history corrects a donation that a signed statement covered: a reversal
    /// with its 更正说明, the corrected donation and the corrected statement.
    pub correction: bool,
    /// A restricted gift to a project, spent month by month; `None`: no restriction.
    pub restricted: Option<StoryRestriction>,
}

/// A restricted gift of a story: declared and given right after setup, then spent on its
/// project at each month's end while it lasts. With one, the fund's statements are drafted
/// in two columns (version 2).
#[derive(Debug, Clone)]
pub struct StoryRestriction {
    /// Restriction id.
    pub id: String,
    /// Its purpose, e.g. 阳光驿站助老服务.
    pub purpose: String,
    /// The enterprise that gives it.
    pub donor: String,
    /// The gift, in yuan.
    pub gift_yuan: i64,
    /// One month's spending, in yuan (lowest, highest); the last takes what is left.
    pub monthly_yuan: (i64, i64),
    /// Who carries out the project and is paid.
    pub payee: String,
    /// After this many months of spending the donor agrees in writing to lift the
    /// restriction (a `restriction_revocation` releases the rest); `None`: the project is
    /// closed (`restriction_closing`, `released`) once the gift is spent.
    pub revoked_after_months: Option<u32>,
}

impl Story {
    /// A small story of plainly fictional names with a restricted gift (revoked after three
    /// months if `revoke`, else spent and closed): for tests that need every kind.
    pub fn restricted_example(revoke: bool) -> Story {
        let org = PartyClass::Organisation;
        Story {
            trustees: ["赵一".into(), "钱二".into(), "孙三".into(), "李四".into()],
            founders: vec!["甲方有限公司".into()],
            founder_gift_yuan: (10_000, 20_000),
            enterprises: vec!["丙方有限公司".into()],
            enterprise_gift_yuan: (1_000, 2_000),
            organisations: vec!["丁方协会".into()],
            organisation_gift_yuan: (100, 500),
            renters: vec![("戊方读书会".into(), org)],
            payees: vec![("己方服务中心".into(), org)],
            agreements: vec![StoryAgreement {
                id: "monthly".into(),
                enterprise: "庚方社会企业".into(),
                venture: "庚方咖啡".into(),
                basis: ShareBasis::Revenue,
                rate: "0.2000".into(),
                fixed_monthly_yuan: None,
                yearly: false,
                base_yuan: (5_000, 9_000),
            }],
            spaces: vec![StorySpace {
                id: "room".into(),
                name: "示例活动室".into(),
                kind: SpaceKind::ActivityRoom,
                hourly_yuan: 100,
                hours: 2,
                weight: 1,
            }],
            mix: [50, 25, 20],
            restricted: Some(StoryRestriction {
                id: "yangguang".into(),
                purpose: "阳光驿站助老服务".into(),
                donor: "辛方有限公司".into(),
                gift_yuan: 12_000,
                monthly_yuan: (1_500, 3_000),
                payee: "己方服务中心".into(),
                revoked_after_months: revoke.then_some(3),
            }),
            supervisor: None,
            host: None,
            correction: false,
        }
    }
}

/// A revenue-share agreement of a story.
#[derive(Debug, Clone)]
pub struct StoryAgreement {
    /// Agreement id.
    pub id: String,
    /// The enterprise's name.
    pub enterprise: String,
    /// The venture it runs.
    pub venture: String,
    /// Revenue or profit.
    pub basis: ShareBasis,
    /// Rate, as FORMAT.md writes it (`0.1000`).
    pub rate: String,
    /// Fixed monthly fee, in yuan.
    pub fixed_monthly_yuan: Option<i64>,
    /// Paid once a year (for the calendar year, in January) rather than every month.
    pub yearly: bool,
    /// The base of one period (a month, or a year if `yearly`), in yuan (lowest, highest);
    /// a profit agreement reports a loss (a base of 0) one period in seven.
    pub base_yuan: (i64, i64),
}

/// A shared space of a story.
#[derive(Debug, Clone)]
pub struct StorySpace {
    /// Space id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: SpaceKind,
    /// Hourly rate, in yuan.
    pub hourly_yuan: i64,
    /// Hours of one booking (1 to 4; bookings start at 09:00, 14:00 or 19:00 local).
    pub hours: i64,
    /// Relative share of the rentals that book this space.
    pub weight: u32,
}

/// What residents typically give, in yuan: tens to hundreds, in round sums.
const RESIDENT_GIFTS_YUAN: [i64; 20] = [
    10, 20, 20, 30, 50, 50, 50, 66, 88, 100, 100, 100, 100, 168, 200, 200, 200, 300, 500, 800,
];

fn pick<'a, T>(b: &mut Builder, items: &'a [T], what: &str) -> Result<&'a T, SampleError> {
    if items.is_empty() {
        return Err(SampleError(format!("the story has no {what}")));
    }
    Ok(&items[b.rng.range(0, items.len() as i64 - 1) as usize])
}

impl Builder {
    /// The story's agreements and spaces, right after genesis.
    pub(super) fn setup_story(&mut self, story: &Story) -> Result<(), SampleError> {
        if story.spaces.is_empty() {
            return Err(SampleError("a story needs at least one space".into()));
        }
        for (i, a) in story.agreements.iter().enumerate() {
            let rate = Rate::parse(&a.rate).map_err(err("rate"))?;
            let fixed = a
                .fixed_monthly_yuan
                .map(|y| amount_fen(y * 100))
                .transpose()?;
            let start = self
                .instant()?
                .local_date(UtcOffset::CHINA)
                .first_of_month();
            let agreement = Agreement {
                agreement_id: AgreementId::parse(&a.id).map_err(err("agreement id"))?,
                enterprise: Enterprise {
                    name: text(&a.enterprise)?,
                    uscc: sample_uscc(self.spec.seed, i as u64)?,
                },
                basis: a.basis,
                rate,
                fixed_monthly: fixed,
                start,
                end: None,
                venture: text(&a.venture)?,
            };
            self.agreements.push(Deal {
                id: agreement.agreement_id.clone(),
                rate,
                fixed,
                basis: a.basis,
                base_fen: (a.base_yuan.0 * 100, a.base_yuan.1 * 100),
                loss_percent: 15,
                yearly: a.yearly,
                start,
            });
            self.append(Body::Agreement(agreement), 2, "agreement")?;
        }
        for s in &story.spaces {
            let id = SpaceId::parse(&s.id).map_err(err("space id"))?;
            let rate = amount_fen(s.hourly_yuan * 100)?;
            let space = Space {
                space_id: id.clone(),
                name: text(&s.name)?,
                kind: s.kind,
                hourly_rate: rate,
                community_hours: self.space_windows()?,
            };
            self.append(Body::Space(space), 2, "space")?;
            self.spaces.push(Room {
                id,
                rate,
                cursor: self.now,
                hours: s.hours.clamp(1, 4),
                weight: s.weight.max(1),
            });
        }
        Ok(())
    }

    /// The story's restriction, declared by two trustees, and its gift.
    pub(super) fn setup_restriction(&mut self, r: &StoryRestriction) -> Result<(), SampleError> {
        let id = RestrictionId::parse(&r.id).map_err(err("restriction id"))?;
        let restriction = Restriction {
            restriction_id: id.clone(),
            purpose: text(&r.purpose)?,
            usable_from: None,
            usable_until: None,
        };
        self.append(Body::Restriction(restriction), 2, "restriction")?;
        self.now += 600;
        let gift = Donation {
            amount: amount_fen(r.gift_yuan * 100)?,
            donor: Donor {
                class: DonorClass::Enterprise,
                name: Some(text(&r.donor)?),
                name_consent: None,
                commitment: None,
            },
            channel: Channel::BankTransfer,
            receipt_no: text(&format!("X{}-001", self.spec.seed))?,
            purpose: None,
            restriction: Some(id),
            memo: Some(super::long(&format!("限定用于{}", r.purpose))?),
            corrects: None,
        };
        self.append(Body::Donation(gift), 1, "restricted")?;
        Ok(())
    }

    /// A month's spending on the story's restricted project, while money is left in it.
    pub(super) fn spend_restricted(&mut self, r: &StoryRestriction) -> Result<(), SampleError> {
        let id = RestrictionId::parse(&r.id).map_err(err("restriction id"))?;
        let left = self
            .state
            .restrictions()
            .get(&id)
            .filter(|st| st.ended.is_none())
            .map_or(Money::ZERO, |st| st.balance)
            .to_fen();
        if self.restricted_spends == u32::MAX {
            return Ok(());
        }
        if r.revoked_after_months == Some(self.restricted_spends) {
            let revocation = RestrictionRevocation {
                restriction_id: id,
                basis: RevocationBasis::DonorConsent,
                reason: super::long("捐赠人书面同意：余款转为非限定性资金")?,
            };
            self.append(Body::RestrictionRevocation(revocation), 2, "revocation")?;
            self.restricted_spends = u32::MAX;
            return Ok(());
        }
        if left <= 0 {
            let closing = RestrictionClosing {
                restriction_id: id,
                disposal: Disposal::Released,
                note: super::long(&format!("{}已完成，限定资金全部用于该项目", r.purpose))?,
            };
            self.append(Body::RestrictionClosing(closing), 2, "closing")?;
            self.restricted_spends = u32::MAX;
            return Ok(());
        }
        self.restricted_spends += 1;
        let fen = (self.rng.range(r.monthly_yuan.0, r.monthly_yuan.1) * 100).min(left);
        let d = Disbursement {
            amount: amount_fen(fen)?,
            payee: Party {
                name: text(&r.payee)?,
                class: PartyClass::Organisation,
            },
            purpose: text(&r.purpose)?,
            project: text(&r.purpose)?,
            invoice_no: text(&format!("INV{:08}", self.state.next_seq()))?,
            restriction: Some(id),
            corrects: None,
        };
        self.append(Body::Disbursement(d), 2, "restricted-grant")?;
        Ok(())
    }

    /// The yearly agreements' shares for the calendar year that ended with `month` (a
    /// December).
    pub(super) fn yearly_shares(&mut self, month: Date) -> Result<(), SampleError> {
        let year = Period::year_of(month);
        for i in 0..self.agreements.len() {
            let deal = self.agreements[i].clone();
            if !deal.yearly || deal.start > year.to() {
                continue;
            }
            let period =
                Period::new(deal.start.max(year.from()), year.to()).map_err(err("period"))?;
            self.pay_share(&deal, period)?;
        }
        Ok(())
    }

    /// Records `deal`'s share for `period` (nothing if it comes to zero).
    pub(super) fn pay_share(&mut self, deal: &Deal, period: Period) -> Result<(), SampleError> {
        let base_fen = match deal.basis {
            ShareBasis::Profit if self.rng.chance(deal.loss_percent) => 0,
            _ => self.rng.range(deal.base_fen.0, deal.base_fen.1),
        };
        let base = Base::from_fen(base_fen).map_err(err("base"))?;
        let mut due = share_of(base, deal.rate);
        if let Some(f) = deal.fixed {
            let months = period
                .whole_months()
                .ok_or(SampleError("a share's period of whole months".into()))?;
            for _ in 0..months {
                due = due.checked_add(f.into()).ok_or(SampleError("sum".into()))?;
            }
        }
        if due.to_fen() <= 0 {
            return Ok(());
        }
        let r = RevenueShare {
            agreement_id: deal.id.clone(),
            period,
            base,
            amount: amount_fen(due.to_fen())?,
            corrects: None,
        };
        self.append(Body::RevenueShare(r), 1, "share")?;
        Ok(())
    }

    /// A donor and an amount (fen) as the story says: mostly residents giving tens to
    /// hundreds of yuan, some anonymous cash, now and then an organisation or an enterprise.
    pub(super) fn story_donor(&mut self, story: &Story) -> Result<(Donor, i64), SampleError> {
        let roll = self.rng.range(0, 99);
        Ok(match roll {
            0..=77 => {
                let donor = self.resident_donor()?;
                let yuan = RESIDENT_GIFTS_YUAN[self.rng.range(0, 19) as usize];
                (donor, yuan * 100)
            }
            78..=87 => {
                let donor = Donor {
                    class: DonorClass::Anonymous,
                    name: None,
                    name_consent: None,
                    commitment: None,
                };
                (donor, self.rng.range(5, 300) * 100)
            }
            88..=92 => {
                let name = pick(self, &story.organisations, "organisations")?.clone();
                let (lo, hi) = story.organisation_gift_yuan;
                let donor = Donor {
                    class: DonorClass::Organisation,
                    name: Some(text(&name)?),
                    name_consent: None,
                    commitment: None,
                };
                (donor, self.rng.range(lo, hi) * 100)
            }
            _ => {
                let name = pick(self, &story.enterprises, "enterprises")?.clone();
                let (lo, hi) = story.enterprise_gift_yuan;
                let donor = Donor {
                    class: DonorClass::Enterprise,
                    name: Some(text(&name)?),
                    name_consent: None,
                    commitment: None,
                };
                (donor, self.rng.range(lo, hi) * 100)
            }
        })
    }

    /// The space a rental books (weighted) and who rents it.
    pub(super) fn story_rental_parties(
        &mut self,
        story: &Story,
    ) -> Result<(usize, Party), SampleError> {
        let total: i64 = self.spaces.iter().map(|r| i64::from(r.weight)).sum();
        let mut roll = self.rng.range(0, total - 1);
        let mut space = 0;
        for (i, r) in self.spaces.iter().enumerate() {
            if roll < i64::from(r.weight) {
                space = i;
                break;
            }
            roll -= i64::from(r.weight);
        }
        let (name, class) = pick(self, &story.renters, "renters")?.clone();
        Ok((
            space,
            Party {
                name: text(&name)?,
                class,
            },
        ))
    }

    /// The story's correction, after the statement at `seq` over `period`: the first
    /// statement that covers an enterprise's, organisation's or anonymous donation marks it;
    /// after a later statement, once the fund holds enough, the donation is reversed with
    /// a 更正说明, recorded again with the right amount (`corrects`), and the trustees sign
    /// the corrected statement of the first period (`supersedes`).
    pub(super) fn story_correction(&mut self, seq: u64, period: Period) -> Result<(), SampleError> {
        match std::mem::take(&mut self.correction) {
            CorrectionPlan::Waiting => {
                self.correction = match self.last_donation.clone() {
                    Some((d_seq, d, month))
                        if month == period.from() && d.donor.class != DonorClass::Resident =>
                    {
                        self.reversible.retain(|s| *s != d_seq);
                        CorrectionPlan::Covered {
                            statement: seq,
                            period,
                            seq: d_seq,
                            donation: Box::new(d),
                        }
                    }
                    _ => CorrectionPlan::Waiting,
                };
                Ok(())
            }
            CorrectionPlan::Covered {
                statement,
                period: covered,
                seq: d_seq,
                donation,
            } => {
                let fen = donation.amount.to_fen();
                if self.state.balance().to_fen() < fen {
                    self.correction = CorrectionPlan::Covered {
                        statement,
                        period: covered,
                        seq: d_seq,
                        donation,
                    };
                    return Ok(());
                }
                self.correction = CorrectionPlan::Done;
                let note = format!(
                    "更正说明：序号 {d_seq} 的捐赠（收据 {}）录入金额 {} 元有误，收据金额为 {} 元。\
                     已冲正原条目并按收据金额重新登记；该笔捐赠所在月份的报表（序号 {statement}）\
                     由更正后的报表取代。",
                    donation.receipt_no.as_str(),
                    donation.amount,
                    amount_fen(fen + CORRECTION_FEN)?,
                );
                let r = Reversal {
                    reverses: d_seq,
                    reason: long("录入错误：金额与收据不符")?,
                    correction: Some(long(&note)?),
                };
                if self.append(Body::Reversal(r), 1, "correction").is_err() {
                    // Reversed already by the story's random reversals: no correction then.
                    return Ok(());
                }
                let corrected = Donation {
                    amount: amount_fen(fen + CORRECTION_FEN)?,
                    memo: Some(long("按收据金额重新登记（更正）")?),
                    corrects: Some(d_seq),
                    ..*donation
                };
                self.append(Body::Donation(corrected), 1, "corrected")?;
                let mut s = self.drafted(&covered)?;
                s.supersedes = Some(statement);
                self.append(Body::Statement(s), 2, "statement-corrected")?;
                Ok(())
            }
            CorrectionPlan::Done => {
                self.correction = CorrectionPlan::Done;
                Ok(())
            }
        }
    }

    /// Who receives a grant.
    pub(super) fn story_payee(&mut self, story: &Story) -> Result<Party, SampleError> {
        let (name, class) = pick(self, &story.payees, "payees")?.clone();
        Ok(Party {
            name: text(&name)?,
            class,
        })
    }
}
