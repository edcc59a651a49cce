//! The statutory report as a printable A4 page (`/funds/{fund}/reports/statutory?period=`,
//! the labels in Chinese and English whatever the page language, as the 制度's items are
//! named in Chinese) and the disclosure calendar shown on each fund's page — both from
//! ledger-core over the fund's replayed log ([`crate::reports`]).

use ledger_core::calendar::{Duty, Item, Status};
use ledger_core::statutory::{percent, Report};
use ledger_core::time::Date;
use serde::Serialize;

use super::Lang;
use crate::reports::FundBooks;

/// The statutory report page.
#[derive(Serialize)]
pub(super) struct StatutoryPage {
    pub id: String,
    pub name: String,
    pub name_en: String,
    /// The period as asked (`2026`, `2026-Q1`, `2026-03`).
    pub period_label: String,
    pub report: Report,
    /// The annual ratios, formatted (`72.35%`, or `—`).
    pub spending_ratio: String,
    pub admin_ratio: String,
}

impl StatutoryPage {
    pub(super) fn new(id: &str, books: &FundBooks, label: &str, report: Report) -> Self {
        let pct = |bp: Option<u64>| bp.map_or_else(|| "—".to_owned(), percent);
        let (spending_ratio, admin_ratio) = match &report.annual {
            Some(a) => (pct(a.spending_ratio_bp), pct(a.administrative_ratio_bp)),
            None => (String::new(), String::new()),
        };
        StatutoryPage {
            id: id.to_owned(),
            name: books.name.0.clone(),
            name_en: books.name.1.clone(),
            period_label: label.to_owned(),
            report,
            spending_ratio,
            admin_ratio,
        }
    }
}

/// One duty as the fund page lists it.
#[derive(Serialize)]
pub(crate) struct DutyLine {
    /// `duty_monthly_statement`, … (a word key).
    pub duty_key: &'static str,
    /// The period or project it is about.
    pub about: String,
    pub due: String,
    /// `published`, `late`, `due` or `overdue` (a CSS class and, with `status_`, a word key).
    pub status: &'static str,
    /// The entry that satisfied it.
    pub seq: Option<u64>,
    pub published_on: Option<String>,
}

/// The disclosure calendar on a fund's page.
#[derive(Serialize)]
pub(crate) struct CalendarBox {
    pub today: String,
    pub overdue: usize,
    /// Newest due date first.
    pub items: Vec<DutyLine>,
}

fn line(item: &Item, lang: Lang) -> DutyLine {
    let (duty_key, about) = match &item.duty {
        Duty::MonthlyStatement { period } => (
            "duty_monthly_statement",
            period.from().to_string().get(..7).unwrap_or("").to_owned(),
        ),
        Duty::QuarterlyProject {
            restriction,
            period,
        } => (
            "duty_quarterly_project",
            format!(
                "{restriction} · {}-Q{}",
                period.from().year(),
                period.from().month().div_ceil(3)
            ),
        ),
        Duty::AnnualReport { period } => ("duty_annual_report", period.from().year().to_string()),
        Duty::Remainder { restriction, ended } => (
            "duty_remainder",
            match lang {
                Lang::Zh => format!("{restriction} · {ended} 结束"),
                Lang::En => format!("{restriction} · ended {ended}"),
            },
        ),
    };
    let (status, seq, published_on) = match item.status {
        Status::Published { seq, date, late } => (
            if late { "late" } else { "published" },
            Some(seq),
            Some(date.to_string()),
        ),
        Status::Due => ("due", None, None),
        Status::Overdue => ("overdue", None, None),
    };
    DutyLine {
        duty_key,
        about,
        due: item.due.to_string(),
        status,
        seq,
        published_on,
    }
}

/// The calendar of `books` on `today`, at most `shown` lines (overdue and due ones first,
/// then the newest).
pub(crate) fn calendar_box(
    books: &FundBooks,
    today: Date,
    lang: Lang,
    shown: usize,
) -> CalendarBox {
    let items = books.calendar.duties(today);
    let overdue = items.iter().filter(|i| i.status == Status::Overdue).count();
    let mut lines: Vec<(bool, &Item)> = items
        .iter()
        .map(|i| (matches!(i.status, Status::Published { .. }), i))
        .collect();
    // Open duties first, then by due date, newest first.
    lines.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.due.cmp(&a.1.due)));
    CalendarBox {
        today: today.to_string(),
        overdue,
        items: lines
            .into_iter()
            .take(shown)
            .map(|(_, i)| line(i, lang))
            .collect(),
    }
}
