//! `/goals/{month}`: each agent's goals for a month and what they achieved.

use gestiona_domain::sales::forecast::Month;
use gestiona_domain::sales::goal::{self, GoalSheet};
use gestiona_domain::service::goals::{GoalsError, MonthAttainment};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use crate::Api;
use crate::edge::{self, Record};
use crate::problem::{Problem, ProblemSchema};

impl From<GoalsError> for Problem {
    fn from(e: GoalsError) -> Self {
        match e {
            GoalsError::Forbidden(f) => f.into(),
            GoalsError::Invalid(v) => v.into(),
            GoalsError::Stale(version) => Problem::stale(version),
            GoalsError::Store(s) => Problem::store(s),
        }
    }
}

/// The month a path names (`2026-12`); any other text is no resource at all.
fn month(request: &Request) -> Result<Month, Problem> {
    edge::path_param(request, "month").and_then(|m| goal::parse_month(&m)).ok_or_else(Problem::not_found)
}

#[utoipa::path(get, path = "/goals/{month}", tag = "sales",
    description = "The month's goals of the agents the caller's scope reaches: per agent, business line and success \
        (an opportunity stage, or a case type's final state), the amounts to reach in the company's currency and a \
        second one (minor units), and the prospects and new customers to bring. Version 0 until first saved.",
    params(("month" = String, Path, pattern = r"^\d{4}-(0[1-9]|1[0-2])$", description = "YYYY-MM")),
    responses((status = 200, body = Record<GoalSheet>),
              (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let month = month(request)?;
    Ok(edge::versioned(StatusCode::OK, &api.services.goals(&actor, month).await?))
}

#[utoipa::path(put, path = "/goals/{month}", tag = "sales",
    description = "Replaces the month's goals; with If-Match, only over that version (\"0\" before the first save). \
        Each agent must be a user, each stage one of the pipelines', each case state a final state of its case type, \
        and no agent may have the same goal twice.",
    params(("month" = String, Path, pattern = r"^\d{4}-(0[1-9]|1[0-2])$", description = "YYYY-MM"),
           ("If-Match" = Option<String>, Header)),
    request_body = GoalSheet,
    responses((status = 200, body = Record<GoalSheet>),
              (status = 404, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 412, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn save(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let month = month(request)?;
    let expected = edge::optional_if_match(request)?;
    let sheet: GoalSheet = edge::json_body(request)?;
    Ok(edge::versioned(StatusCode::OK, &api.services.save_goals(&actor, month, sheet, expected).await?))
}

#[utoipa::path(get, path = "/goals/{month}/attainment", tag = "sales",
    description = "Each goal the caller sees beside what its agent achieved in the month: stage goals from the \
        opportunities in the stage whose close date falls in the month (from the forecast's running totals, never \
        by reading the opportunities), case-state goals from the cases closed in the state during the month; \
        amounts in the sheet's two currencies count towards their targets, other currencies towards neither. \
        Prospects are the agent's leads created in the month, customers those of them converted. Percentages are \
        whole, rounded down, and absent where the target is zero.",
    params(("month" = String, Path, pattern = r"^\d{4}-(0[1-9]|1[0-2])$", description = "YYYY-MM")),
    responses((status = 200, body = MonthAttainment),
              (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn attainment(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let month = month(request)?;
    Ok(edge::json(StatusCode::OK, &api.services.goal_attainment(&actor, month).await?))
}
