//! The disclosure calendar (issue 17 item 5): per fund, what was due under the
//! 慈善组织信息公开办法 and the fund's own monthly reporting, when it was published (the seq
//! of the signed entry that satisfies it) and what is overdue, from the log and a given
//! local "today". README.md "Disclosure calendar" states the rules:
//!
//! | duty | due by | satisfied by |
//! |---|---|---|
//! | monthly statement of month M (each month from the fund's first, once ended) | last day of the month after M | the first `statement` whose period is M |
//! | quarterly project disclosure, for a restriction lasting over six months, each calendar quarter ended while it runs | last day of the month after the quarter | the first two-column (`version` 2) `statement` whose period ends on the quarter's last day |
//! | annual report of year Y (each year the fund existed, once ended) | 31 May of Y + 1 | the first `statement` whose period is the whole of Y |
//! | remainder disclosure of a restriction's project, once it ended (closing or revocation) or its `usable_until` passed | three months after that end | its `restriction_closing` or `restriction_revocation` |
//!
//! A restriction runs from its `usable_from` (else the day it was declared) to the day it
//! ended (else its `usable_until`, else today); it lasts over six months when that end is
//! more than six months after the start. A duty published after its due date is
//! published late; one not published is due until its date passes, then overdue.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::body::{Body, StatementVersion};
use crate::entry::Entry;
use crate::ids::RestrictionId;
use crate::time::{Date, Period, UtcOffset};

/// What the fund owes the public.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "duty", rename_all = "snake_case")]
pub enum Duty {
    /// 月度收支公示: the statement of one month.
    MonthlyStatement {
        /// The month.
        period: Period,
    },
    /// 项目季度公开: a project lasting over six months, disclosed each quarter.
    QuarterlyProject {
        /// The restriction (project).
        restriction: RestrictionId,
        /// The calendar quarter.
        period: Period,
    },
    /// 年度报告: the annual work and financial report, by 31 May.
    AnnualReport {
        /// The calendar year.
        period: Period,
    },
    /// 项目结束后剩余财产公开: within three months of a project's end.
    Remainder {
        /// The restriction (project).
        restriction: RestrictionId,
        /// The day the project ended (or its `usable_until`).
        ended: Date,
    },
}

/// Where a duty stands on "today".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    /// Published by the entry at `seq`, on `date` (local).
    Published {
        /// Seq of the signed entry that satisfies the duty.
        seq: u64,
        /// Its local date.
        date: Date,
        /// After the due date.
        late: bool,
    },
    /// Not published; the due date has not passed.
    Due,
    /// Not published; the due date has passed.
    Overdue,
}

/// One duty, its due date and its status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    /// What is owed.
    #[serde(flatten)]
    pub duty: Duty,
    /// Last local day to publish it.
    pub due: Date,
    /// Where it stands.
    #[serde(flatten)]
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Published {
    period: Period,
    two_columns: bool,
    seq: u64,
    date: Date,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Project {
    start: Date,
    until: Option<Date>,
    /// Seq and local date of the closing or revocation.
    ended: Option<(u64, Date)>,
}

/// What the calendar remembers of a fund's log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    offset: Option<UtcOffset>,
    first_day: Option<Date>,
    statements: Vec<Published>,
    projects: BTreeMap<RestrictionId, Project>,
}

/// `d` moved by `months` calendar months, the day kept or clamped to the month's end.
pub fn add_months(d: Date, months: u32) -> Option<Date> {
    let index = i64::from(d.year()) * 12 + i64::from(d.month() - 1) + i64::from(months);
    let year = i32::try_from(index.div_euclid(12)).ok()?;
    let month = u32::try_from(index.rem_euclid(12)).ok()? + 1;
    let last = Date::from_ymd(year, month, 1).ok()?.last_of_month();
    Date::from_ymd(year, month, d.day().min(last.day())).ok()
}

/// The last day of the month after the one `d` is in.
fn end_of_next_month(d: Date) -> Option<Date> {
    add_months(d.first_of_month(), 1).map(|m| m.last_of_month())
}

/// What the calendar takes from one entry: a store keeps these (a few per month) so
/// that a calendar is rebuilt from them ([`Calendar::from_events`]) without a replay of
/// the log. Made from entries by [`Event::of`] only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    /// The fund began (its genesis), on `date` (local).
    Began {
        /// Local date of the genesis.
        date: Date,
    },
    /// A signed statement of `period` at `seq`, on `date`.
    Statement {
        /// The period it states.
        period: Period,
        /// A two-column (`version` 2) statement.
        two_columns: bool,
        /// Its seq.
        seq: u64,
        /// Its local date.
        date: Date,
    },
    /// A restriction (project) declared.
    Restriction {
        /// The restriction.
        restriction: RestrictionId,
        /// The day it starts: its `usable_from`, else the day it was declared.
        start: Date,
        /// Its `usable_until`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<Date>,
    },
    /// A restriction ended (closed or revoked) at `seq`, on `date`.
    Ended {
        /// The restriction.
        restriction: RestrictionId,
        /// Seq of the closing or revocation.
        seq: u64,
        /// Its local date.
        date: Date,
    },
}

impl Event {
    /// What the calendar takes from `entry`, recorded in a fund whose local time is at
    /// `offset` (its genesis'), if anything.
    pub fn of(entry: &Entry, offset: UtcOffset) -> Option<Event> {
        let date = entry.recorded_at.local_date(offset);
        match &entry.intent.body {
            Body::Genesis(_) => Some(Event::Began { date }),
            Body::Statement(s) => Some(Event::Statement {
                period: s.period,
                two_columns: s.version == Some(StatementVersion::V2),
                seq: entry.seq,
                date,
            }),
            Body::Restriction(r) => Some(Event::Restriction {
                restriction: r.restriction_id.clone(),
                start: r.usable_from.unwrap_or(date),
                until: r.usable_until,
            }),
            Body::RestrictionRevocation(r) => Some(Event::Ended {
                restriction: r.restriction_id.clone(),
                seq: entry.seq,
                date,
            }),
            Body::RestrictionClosing(r) => Some(Event::Ended {
                restriction: r.restriction_id.clone(),
                seq: entry.seq,
                date,
            }),
            _ => None,
        }
    }
}

impl Calendar {
    /// Remembers an entry the fund's rules applied. Entries must come in seq order from
    /// the genesis (which gives the local time zone).
    pub fn record(&mut self, entry: &Entry) {
        if let Body::Genesis(g) = &entry.intent.body {
            self.offset = Some(g.utc_offset);
        }
        let Some(offset) = self.offset else {
            return;
        };
        self.first_day
            .get_or_insert(entry.recorded_at.local_date(offset));
        if let Some(e) = Event::of(entry, offset) {
            self.add(e);
        }
    }

    /// The calendar of a fund whose entries gave `events`, in seq order.
    pub fn from_events(events: impl IntoIterator<Item = Event>) -> Calendar {
        let mut c = Calendar::default();
        for e in events {
            c.add(e);
        }
        c
    }

    /// Remembers one event (events come in seq order).
    pub fn add(&mut self, event: Event) {
        match event {
            Event::Began { date } => {
                self.first_day.get_or_insert(date);
            }
            Event::Statement {
                period,
                two_columns,
                seq,
                date,
            } => self.statements.push(Published {
                period,
                two_columns,
                seq,
                date,
            }),
            Event::Restriction {
                restriction,
                start,
                until,
            } => {
                self.projects.insert(
                    restriction,
                    Project {
                        start,
                        until,
                        ended: None,
                    },
                );
            }
            Event::Ended {
                restriction,
                seq,
                date,
            } => self.end(&restriction, seq, date),
        }
    }

    fn end(&mut self, id: &RestrictionId, seq: u64, date: Date) {
        if let Some(p) = self.projects.get_mut(id) {
            p.ended.get_or_insert((seq, date));
        }
    }

    fn status(published: Option<(u64, Date)>, due: Date, today: Date) -> Status {
        match published {
            Some((seq, date)) => Status::Published {
                seq,
                date,
                late: date > due,
            },
            None if today > due => Status::Overdue,
            None => Status::Due,
        }
    }

    fn statement_for(&self, matches: impl Fn(&Published) -> bool) -> Option<(u64, Date)> {
        self.statements
            .iter()
            .find(|s| matches(s))
            .map(|s| (s.seq, s.date))
    }

    /// Every duty that has arisen by `today` (local), oldest due date first.
    pub fn duties(&self, today: Date) -> Vec<Item> {
        let mut items = Vec::new();
        let Some(first) = self.first_day else {
            return items;
        };
        let mut push = |duty: Duty, due: Option<Date>, published: Option<(u64, Date)>| {
            if let Some(due) = due {
                items.push(Item {
                    status: Self::status(published, due, today),
                    duty,
                    due,
                });
            }
        };
        // Monthly statements and annual reports, for every period ended before today.
        let mut month = first.first_of_month();
        while month.last_of_month() < today {
            let period = Period::month_of(month);
            let published = self.statement_for(|s| s.period == period);
            push(
                Duty::MonthlyStatement { period },
                end_of_next_month(month),
                published,
            );
            if month.month() == 12 {
                let year = Period::year_of(month);
                let due = Date::from_ymd(month.year() + 1, 5, 31).ok();
                let published = self.statement_for(|s| s.period == year);
                push(Duty::AnnualReport { period: year }, due, published);
            }
            match add_months(month, 1) {
                Some(next) => month = next,
                None => break,
            }
        }
        for (id, p) in &self.projects {
            let end = p.ended.map(|(_, d)| d).or(p.until);
            // Its length counts to its planned end; its quarters only until today.
            let lasts_until = end.unwrap_or(today);
            let runs_until = lasts_until.min(today);
            let long = add_months(p.start, 6).is_some_and(|six| lasts_until > six);
            if long {
                let mut quarter = Period::quarter_of(p.start);
                while quarter.to() < runs_until {
                    let q = quarter;
                    let published =
                        self.statement_for(|s| s.two_columns && s.period.to() == q.to());
                    push(
                        Duty::QuarterlyProject {
                            restriction: id.clone(),
                            period: q,
                        },
                        end_of_next_month(q.to()),
                        published,
                    );
                    match q.to().succ() {
                        Some(next) => quarter = Period::quarter_of(next),
                        None => break,
                    }
                }
            }
            if let Some(ended) = end.filter(|e| *e < today || p.ended.is_some()) {
                push(
                    Duty::Remainder {
                        restriction: id.clone(),
                        ended,
                    },
                    add_months(ended, 3),
                    p.ended,
                );
            }
        }
        items.sort_by_key(|i| i.due);
        items
    }
}
