//! The forecast's arithmetic: which running total (cell) an opportunity counts in, the periods
//! a forecast covers, and how cells add up by forecast category.
//!
//! A cell is one close month × owner × pipeline × stage × currency × business line; it keeps
//! how many opportunities are in it, their amount and their weighted amount. Cells are kept
//! per *stage*, not per category: which category a stage counts in is configuration, read
//! when the forecast is, so re-categorising a stage never leaves stale totals.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::opportunity::Opportunity;
use super::pipeline::{ForecastCategory, Pipelines};
use crate::ids::{PipelineKey, StageKey, UserId};

/// The attributes a cell item keeps.
pub const COUNT: &str = "count";
pub const AMOUNT: &str = "amountMinor";
pub const WEIGHTED: &str = "weightedMinor";

/// Where an opportunity counts: its close month (`None`: undated) and the cell within it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cell {
    pub month: Option<Month>,
    pub owner: Option<UserId>,
    pub pipeline: PipelineKey,
    pub stage: StageKey,
    pub currency: String,
    pub line: Option<String>,
}

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i16,
    pub month: i8,
}

impl Month {
    pub fn of(date: Date) -> Month {
        Month { year: date.year(), month: date.month() }
    }

    pub fn first_day(self) -> Date {
        jiff::civil::date(self.year, self.month, 1)
    }

    pub fn last_day(self) -> Date {
        self.first_day().last_of_month()
    }

    pub fn next(self) -> Month {
        if self.month == 12 { Month { year: self.year + 1, month: 1 } } else { Month { month: self.month + 1, ..self } }
    }

    /// `2027-01`, as keys hold it.
    pub fn key(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

/// What one opportunity adds to its cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Contribution {
    pub count: i64,
    pub amount_minor: i64,
    pub weighted_minor: i64,
}

impl Contribution {
    pub fn negated(self) -> Contribution {
        Contribution { count: -self.count, amount_minor: -self.amount_minor, weighted_minor: -self.weighted_minor }
    }

    pub fn plus(self, other: Contribution) -> Contribution {
        Contribution {
            count: self.count + other.count,
            amount_minor: self.amount_minor.saturating_add(other.amount_minor),
            weighted_minor: self.weighted_minor.saturating_add(other.weighted_minor),
        }
    }

    pub fn is_zero(self) -> bool {
        self == Contribution::default()
    }
}

/// The cell `o` counts in and what it adds there.
pub fn cell_of(o: &Opportunity) -> (Cell, Contribution) {
    let cell = Cell {
        month: o.expected_close_date.map(Month::of),
        owner: o.owner.clone(),
        pipeline: o.pipeline.clone(),
        stage: o.stage.clone(),
        currency: o.amount.currency.clone(),
        line: o.product_line.clone(),
    };
    let contribution =
        Contribution { count: 1, amount_minor: o.amount.amount_minor, weighted_minor: o.weighted_amount.amount_minor };
    (cell, contribution)
}

/// What a change does to the cells: the opportunity leaves its old cell and enters its new
/// one (one net change when both are the same cell); cells left as they were are not named.
pub fn changes(before: Option<&Opportunity>, after: Option<&Opportunity>) -> Vec<(Cell, Contribution)> {
    let mut out: Vec<(Cell, Contribution)> = Vec::new();
    let parts = before.map(|o| (cell_of(o).0, cell_of(o).1.negated())).into_iter().chain(after.map(cell_of));
    for (cell, contribution) in parts {
        match out.iter_mut().find(|(c, _)| *c == cell) {
            Some((_, sum)) => *sum = sum.plus(contribution),
            None => out.push((cell, contribution)),
        }
    }
    out.retain(|(_, c)| !c.is_zero());
    out
}

/// Which stretch of time a forecast covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PeriodKind {
    Month,
    /// A quarter of the fiscal year.
    Quarter,
    /// The fiscal year (its first month is the pipelines' `fiscalYearStart`).
    FiscalYear,
}

impl PeriodKind {
    pub fn parse(name: &str) -> Option<PeriodKind> {
        match name {
            "month" => Some(PeriodKind::Month),
            "quarter" => Some(PeriodKind::Quarter),
            "fiscalYear" => Some(PeriodKind::FiscalYear),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
            PeriodKind::FiscalYear => "fiscalYear",
        }
    }

    /// The months of the period of this kind that holds `date`, for a fiscal year that starts
    /// in month `fiscal_start` (1–12).
    pub fn months(self, date: Date, fiscal_start: i8) -> Vec<Month> {
        let this = Month::of(date);
        let length = match self {
            PeriodKind::Month => return vec![this],
            PeriodKind::Quarter => 3,
            PeriodKind::FiscalYear => 12,
        };
        // Months since the fiscal year began (0–11), then back to the period's first.
        let into_year = (i32::from(this.month) - i32::from(fiscal_start.clamp(1, 12))).rem_euclid(12);
        let back = into_year % length;
        let mut first = this;
        for _ in 0..back {
            first = if first.month == 1 {
                Month { year: first.year - 1, month: 12 }
            } else {
                Month { month: first.month - 1, ..first }
            };
        }
        let mut months = Vec::with_capacity(length as usize);
        let mut month = first;
        for _ in 0..length {
            months.push(month);
            month = month.next();
        }
        months
    }
}

/// One line of a forecast: the opportunities of one group in one currency, by category.
/// The figures are cumulative as sales teams read them: `commit` includes what is won, `bestCase`
/// includes commit, `pipeline` is everything still open.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ForecastLine {
    /// The owner, team, region or business line (absent: none, or no grouping).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub currency: String,
    pub open_count: i64,
    /// Open opportunities' amount (pipeline, best case and commit stages).
    pub pipeline_minor: i64,
    /// Best case and commit stages, plus won.
    pub best_case_minor: i64,
    /// Commit stages, plus won.
    pub commit_minor: i64,
    pub won_count: i64,
    pub won_minor: i64,
    pub lost_count: i64,
    pub lost_minor: i64,
    /// Open opportunities' weighted amount.
    pub weighted_minor: i64,
}

impl ForecastLine {
    /// Adds a cell at a stage of `category`.
    pub fn add(&mut self, category: ForecastCategory, c: Contribution) {
        use ForecastCategory::*;
        match category {
            Pipeline | BestCase | Commit => {
                self.open_count += c.count;
                self.pipeline_minor += c.amount_minor;
                self.weighted_minor += c.weighted_minor;
            }
            ClosedWon => {
                self.won_count += c.count;
                self.won_minor += c.amount_minor;
            }
            ClosedLost => {
                self.lost_count += c.count;
                self.lost_minor += c.amount_minor;
            }
            Omitted => {}
        }
        if matches!(category, BestCase | Commit | ClosedWon) {
            self.best_case_minor += c.amount_minor;
        }
        if matches!(category, Commit | ClosedWon) {
            self.commit_minor += c.amount_minor;
        }
    }
}

/// The category a cell's stage counts in today (a stage the pipelines lost: omitted).
pub fn category_of(cell: &Cell, pipelines: &Pipelines) -> ForecastCategory {
    pipelines
        .pipeline(&cell.pipeline)
        .and_then(|p| p.stage(&cell.stage))
        .map_or(ForecastCategory::Omitted, |s| s.category)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn months(kind: PeriodKind, date: &str, start: i8) -> Vec<String> {
        kind.months(date.parse().unwrap(), start).into_iter().map(Month::key).collect()
    }

    #[test]
    fn periods_follow_the_fiscal_year() {
        assert_eq!(months(PeriodKind::Month, "2027-02-14", 1), ["2027-02"]);
        assert_eq!(months(PeriodKind::Quarter, "2027-02-14", 1), ["2027-01", "2027-02", "2027-03"]);
        // A fiscal year from October (Costa Rica's until 2023): its first quarter is Oct–Dec.
        assert_eq!(months(PeriodKind::Quarter, "2026-11-30", 10), ["2026-10", "2026-11", "2026-12"]);
        assert_eq!(months(PeriodKind::Quarter, "2027-02-14", 10), ["2027-01", "2027-02", "2027-03"]);
        let year = months(PeriodKind::FiscalYear, "2027-02-14", 10);
        assert_eq!((year.len(), year[0].as_str(), year[11].as_str()), (12, "2026-10", "2027-09"));
        assert_eq!(months(PeriodKind::FiscalYear, "2027-07-01", 7)[0], "2027-07");
    }

    #[test]
    fn lines_add_up_cumulatively_by_category() {
        let c = |amount_minor| Contribution { count: 1, amount_minor, weighted_minor: amount_minor / 2 };
        let mut line = ForecastLine::default();
        line.add(ForecastCategory::Pipeline, c(100));
        line.add(ForecastCategory::BestCase, c(200));
        line.add(ForecastCategory::Commit, c(400));
        line.add(ForecastCategory::ClosedWon, c(800));
        line.add(ForecastCategory::ClosedLost, c(1_600));
        line.add(ForecastCategory::Omitted, c(3_200));
        assert_eq!((line.open_count, line.pipeline_minor, line.weighted_minor), (3, 700, 350));
        assert_eq!((line.best_case_minor, line.commit_minor, line.won_minor), (1_400, 1_200, 800));
        assert_eq!((line.lost_count, line.lost_minor), (1, 1_600));
    }
}
