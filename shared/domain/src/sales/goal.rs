//! Goals [metas]: what each agent should sell in a month, per business line, in the company's
//! currency and a second one, with how many prospects and new customers, and what counts as a
//! success (an opportunity stage, or the final state of a case type). Attainment sets what
//! happened in the month beside each goal.

use serde::{Deserialize, Serialize};

use super::forecast::Month;
use crate::case_type::CaseType;
use crate::ids::{CaseTypeKey, PipelineKey, StageKey, UserId};
use crate::messages as msg;
use crate::validation::ValidationErrors;

/// Most goals one month holds (one item: agents × lines × successes stays far below 400 KB).
pub const MAX_GOALS: usize = 500;

/// What a goal counts as a success.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Success {
    /// Opportunities in this stage, counted in the month of their close date (as the forecast).
    Stage { pipeline: PipelineKey, stage: StageKey },
    /// Cases of this type closed in this final state during the month [estado exitoso].
    CaseState { case_type: CaseTypeKey, state: String },
}

/// One agent's goal for one business line (or all of them) in the month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Goal {
    pub owner: UserId,
    /// The business line an opportunity must be in to count (stage goals); absent: any line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_line: Option<String>,
    pub success: Success,
    /// The amount to reach in the company's currency, minor units.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0))]
    pub local_target_minor: i64,
    /// The amount to reach in the second currency, minor units.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0))]
    pub second_target_minor: i64,
    /// New customers: the agent's leads of the month converted into an account.
    #[serde(default)]
    pub customers_target: u32,
    /// Prospects: leads the agent owns created during the month.
    #[serde(default)]
    pub prospects_target: u32,
}

/// The goals of one month: `PUT /goals/{month}` writes it whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GoalSheet {
    /// The company's currency (ISO 4217): amounts in it count towards `localTargetMinor`.
    pub local_currency: String,
    /// Amounts in it count towards `secondTargetMinor` (default USD).
    pub second_currency: String,
    #[cfg_attr(feature = "openapi", schema(max_items = 500))]
    pub goals: Vec<Goal>,
}

impl GoalSheet {
    /// The sheet of a month nobody has written: no goals, in the company's currency and dollars
    /// (euros where the company counts in dollars).
    pub fn empty(local_currency: &str) -> GoalSheet {
        let second = if local_currency == "USD" { "EUR" } else { "USD" };
        GoalSheet { local_currency: local_currency.to_owned(), second_currency: second.into(), goals: Vec::new() }
    }
}

/// What a validation of a sheet needs to know of the company's configuration.
pub struct GoalFacts<'a> {
    /// The pipelines' stage, if it exists.
    pub stage_exists: &'a dyn Fn(&PipelineKey, &StageKey) -> Result<(), crate::Message>,
    /// The case type, if it exists.
    pub case_type: &'a dyn Fn(&CaseTypeKey) -> Option<&'a CaseType>,
}

/// Checks a sheet: currencies, amounts, that every success exists (a case state must be final)
/// and that no agent has the same goal twice. People are checked against the directory by the
/// use case.
pub fn validate(sheet: &mut GoalSheet, facts: &GoalFacts<'_>) -> Result<(), ValidationErrors> {
    let mut e = ValidationErrors::new();
    sheet.local_currency = sheet.local_currency.trim().to_uppercase();
    sheet.second_currency = sheet.second_currency.trim().to_uppercase();
    for (field, code) in [("localCurrency", &sheet.local_currency), ("secondCurrency", &sheet.second_currency)] {
        if iso_currency::Currency::from_code(code).is_none() {
            e.add(field, msg::currency_code());
        }
    }
    if sheet.local_currency == sheet.second_currency {
        e.add("secondCurrency", msg::duplicate(&sheet.second_currency));
    }
    if sheet.goals.len() > MAX_GOALS {
        e.add("goals", msg::at_most_items(MAX_GOALS));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, goal) in sheet.goals.iter_mut().enumerate() {
        let at = |field: &str| format!("goals[{i}].{field}");
        goal.product_line = goal.product_line.take().map(|l| l.trim().to_owned()).filter(|l| !l.is_empty());
        if goal.product_line.as_ref().is_some_and(|l| l.chars().count() > 80) {
            e.add(at("productLine"), msg::at_most_chars(80));
        }
        for (field, amount) in
            [("localTargetMinor", goal.local_target_minor), ("secondTargetMinor", goal.second_target_minor)]
        {
            if amount < 0 {
                e.add(at(field), msg::between(0, i64::MAX));
            }
        }
        match &goal.success {
            Success::Stage { pipeline, stage } => {
                if let Err(reason) = (facts.stage_exists)(pipeline, stage) {
                    e.add(at("success"), reason);
                }
            }
            Success::CaseState { case_type, state } => {
                match (facts.case_type)(case_type).map(|definition| definition.state(state)) {
                    None => e.add(at("success.caseType"), msg::no_case_type(case_type.as_str())),
                    Some(None) => e.add(at("success.state"), msg::unknown_state(state)),
                    Some(Some(found)) if !found.class.is_closed() => {
                        e.add(at("success.state"), msg::goal_state_not_final(&found.name))
                    }
                    Some(Some(_)) => {}
                }
                if goal.product_line.is_some() {
                    e.add(at("productLine"), msg::goal_line_is_for_stages());
                }
            }
        }
        if !seen.insert((goal.owner.clone(), goal.product_line.clone(), goal.success.clone())) {
            e.add(at("owner"), msg::duplicate(goal.owner.as_str()));
        }
    }
    e.finish()
}

/// What happened in the month towards one goal.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Achieved {
    /// Successes counted (opportunities in the stage, cases closed in the state).
    pub successes: i64,
    pub local_minor: i64,
    pub second_minor: i64,
    pub customers: u32,
    pub prospects: u32,
}

/// A goal beside what was achieved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attainment {
    pub goal: Goal,
    pub achieved: Achieved,
    /// Achieved ÷ target in whole percent, rounded down; absent where the target is zero.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_percent: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub second_percent: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customers_percent: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prospects_percent: Option<u32>,
}

impl Attainment {
    pub fn of(goal: Goal, achieved: Achieved) -> Attainment {
        Attainment {
            local_percent: percent(achieved.local_minor, goal.local_target_minor),
            second_percent: percent(achieved.second_minor, goal.second_target_minor),
            customers_percent: percent(achieved.customers.into(), goal.customers_target.into()),
            prospects_percent: percent(achieved.prospects.into(), goal.prospects_target.into()),
            goal,
            achieved,
        }
    }
}

/// `achieved / target` in whole percent, rounded down (99.9 % is not yet the goal).
pub fn percent(achieved: i64, target: i64) -> Option<u32> {
    if target <= 0 {
        return None;
    }
    let ratio = i128::from(achieved.max(0)) * 100 / i128::from(target);
    Some(u32::try_from(ratio).unwrap_or(u32::MAX))
}

/// A month as `/goals/{month}` names it: `2026-12`.
pub fn parse_month(text: &str) -> Option<Month> {
    let (year, month) = text.split_once('-')?;
    if year.len() != 4 || month.len() != 2 {
        return None;
    }
    let (year, month): (i16, i8) = (year.parse().ok()?, month.parse().ok()?);
    ((1900..=9999).contains(&year) && (1..=12).contains(&month)).then_some(Month { year, month })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_rounds_down_and_has_no_value_without_a_target() {
        assert_eq!(percent(999, 1_000), Some(99));
        assert_eq!(percent(1_000, 1_000), Some(100));
        assert_eq!(percent(2_500, 1_000), Some(250));
        assert_eq!(percent(-5, 1_000), Some(0));
        assert_eq!(percent(10, 0), None);
    }

    #[test]
    fn months_are_four_digit_years_and_two_digit_months() {
        assert_eq!(parse_month("2026-12"), Some(Month { year: 2026, month: 12 }));
        for wrong in ["2026-13", "2026-1", "26-12", "2026-00", "2026/12", "diciembre"] {
            assert_eq!(parse_month(wrong), None, "{wrong}");
        }
    }
}
