//! `GET /forecast`: the sales forecast of a period, from running totals.

use gestiona_domain::FieldError;
use gestiona_domain::ids::PipelineKey;
use gestiona_domain::messages as msg;
use gestiona_domain::sales::forecast::{ForecastLine, PeriodKind};
use gestiona_domain::sales::forecast_history::MovementLine;
use gestiona_domain::service::forecast::{ForecastQuery, GroupBy};
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use crate::Api;
use crate::edge::{self, QueryParams};
use crate::problem::{Problem, ProblemSchema};

/// A forecast: the period's first and last day and its lines (by group, then currency).
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastResponse {
    #[schema(value_type = String, format = Date)]
    from: jiff::civil::Date,
    #[schema(value_type = String, format = Date)]
    to: jiff::civil::Date,
    period: PeriodKind,
    /// The day the forecast is as of, when asked for one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Date)]
    as_of: Option<jiff::civil::Date>,
    lines: Vec<ForecastLine>,
}

fn invalid(field: &str, reason: gestiona_domain::Message) -> Problem {
    Problem::validation(vec![FieldError::new(field, reason)])
}

/// `period`: `month`, `quarter` (the default) or `fiscalYear`.
fn period_of(params: &QueryParams) -> Result<PeriodKind, Problem> {
    match params.text("period") {
        None => Ok(PeriodKind::Quarter),
        Some(p) => PeriodKind::parse(&p).ok_or_else(|| invalid("period", msg::one_of("month, quarter, fiscalYear"))),
    }
}

/// `pipeline`: only this one (absent: all).
fn pipeline_of(params: &QueryParams) -> Result<Option<PipelineKey>, Problem> {
    params.text("pipeline").map(|p| PipelineKey::parse(&p).map_err(|e| invalid("pipeline", e.into()))).transpose()
}

/// `date`: any day of the period (absent: today).
fn date_of(api: &Api, params: &QueryParams) -> Result<jiff::civil::Date, Problem> {
    Ok(params
        .parse("date", msg::date_format())?
        .unwrap_or_else(|| api.services.now().to_zoned(jiff::tz::TimeZone::UTC).date()))
}

#[utoipa::path(get, path = "/forecast", tag = "sales",
    description = "The opportunities expected to close in the period that the caller's scope reaches, by forecast \
        category (cumulative: commit includes won, best case includes commit; pipeline is everything open), per \
        currency, in minor units. Served from totals kept as opportunities change, never by reading them; the \
        categories are the pipelines' today. Quarters and years follow the pipelines' fiscalYearStart.",
    params(("period" = Option<String>, Query, description = "`month`, `quarter` (default) or `fiscalYear`"),
           ("date" = Option<String>, Query, description = "Any day of the period (YYYY-MM-DD; default today)"),
           ("groupBy" = Option<String>, Query, description = "`owner`, `team`, `region` or `productLine`"),
           ("pipeline" = Option<PipelineKey>, Query, description = "Only this pipeline (default: all)"),
           ("asOf" = Option<String>, Query, format = Date, description = "The forecast as it stood when this day \
               ended (YYYY-MM-DD, the company's time zone): today's totals less the changes made since")),
    responses((status = 200, body = ForecastResponse),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let params = QueryParams::of(request);
    let period = period_of(&params)?;
    let group_by = match params.text("groupBy") {
        None => None,
        Some(g) => Some(
            GroupBy::parse(&g).ok_or_else(|| invalid("groupBy", msg::one_of("owner, team, region, productLine")))?,
        ),
    };
    let pipeline = pipeline_of(&params)?;
    let date = date_of(api, &params)?;
    let as_of = params.parse("asOf", msg::date_format())?;
    let query = ForecastQuery { period, date, group_by, pipeline, as_of };
    let forecast = api.services.forecast(&actor, &query).await?;
    let body = ForecastResponse { from: forecast.from, to: forecast.to, period, as_of, lines: forecast.lines };
    Ok(edge::json(StatusCode::OK, &body))
}

/// A period's movement between two days.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MovementResponse {
    /// The period's first and last day.
    #[schema(value_type = String, format = Date)]
    period_from: jiff::civil::Date,
    #[schema(value_type = String, format = Date)]
    period_to: jiff::civil::Date,
    /// The days whose changes are counted.
    #[schema(value_type = String, format = Date)]
    from: jiff::civil::Date,
    #[schema(value_type = String, format = Date)]
    to: jiff::civil::Date,
    /// One line per kind and currency, in minor units.
    lines: Vec<MovementLine>,
}

#[utoipa::path(get, path = "/forecast/movement", tag = "sales",
    description = "What moved into or out of the period's forecast between two days, for the opportunities the \
        caller's scope reaches: `new` (created with a close date in the period), `pulledIn` (its close date entered \
        the period), `pushedOut` (its close date left it, or was cleared), `won` and `lost` (closed with a close date \
        in the period), by currency. Amounts are the opportunity's after the change (before it, for pushedOut).",
    params(("period" = Option<String>, Query, description = "`month`, `quarter` (default) or `fiscalYear`"),
           ("date" = Option<String>, Query, description = "Any day of the period (YYYY-MM-DD; default today)"),
           ("pipeline" = Option<PipelineKey>, Query, description = "Only this pipeline (default: all)"),
           ("from" = Option<String>, Query, format = Date, description = "The first day of changes counted (default: \
               the period's first day)"),
           ("to" = Option<String>, Query, format = Date, description = "The last day of changes counted (default: \
               today)")),
    responses((status = 200, body = MovementResponse),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn movement(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let params = QueryParams::of(request);
    let period = period_of(&params)?;
    let pipeline = pipeline_of(&params)?;
    let date = date_of(api, &params)?;
    let from: Option<jiff::civil::Date> = params.parse("from", msg::date_format())?;
    let to: Option<jiff::civil::Date> = params.parse("to", msg::date_format())?;
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        return Err(invalid("to", msg::not_before("from")));
    }
    let query = ForecastQuery { period, date, group_by: None, pipeline, as_of: None };
    let found = api.services.forecast_movement(&actor, &query, from, to).await?;
    let body = MovementResponse {
        period_from: found.period_from,
        period_to: found.period_to,
        from: found.from,
        to: found.to,
        lines: found.lines,
    };
    Ok(edge::json(StatusCode::OK, &body))
}
