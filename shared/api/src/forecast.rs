//! `GET /forecast`: the sales forecast of a period, from running totals.

use gestiona_domain::FieldError;
use gestiona_domain::ids::PipelineKey;
use gestiona_domain::messages as msg;
use gestiona_domain::sales::forecast::{ForecastLine, PeriodKind};
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
    lines: Vec<ForecastLine>,
}

#[utoipa::path(get, path = "/forecast", tag = "sales",
    description = "The opportunities expected to close in the period that the caller's scope reaches, by forecast \
        category (cumulative: commit includes won, best case includes commit; pipeline is everything open), per \
        currency, in minor units. Served from totals kept as opportunities change, never by reading them; the \
        categories are the pipelines' today. Quarters and years follow the pipelines' fiscalYearStart.",
    params(("period" = Option<String>, Query, description = "`month`, `quarter` (default) or `fiscalYear`"),
           ("date" = Option<String>, Query, description = "Any day of the period (YYYY-MM-DD; default today)"),
           ("groupBy" = Option<String>, Query, description = "`owner`, `team`, `region` or `productLine`"),
           ("pipeline" = Option<PipelineKey>, Query, description = "Only this pipeline (default: all)")),
    responses((status = 200, body = ForecastResponse),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let params = QueryParams::of(request);
    let invalid = |field: &str, reason| Problem::validation(vec![FieldError::new(field, reason)]);
    let period = match params.text("period") {
        None => PeriodKind::Quarter,
        Some(p) => PeriodKind::parse(&p).ok_or_else(|| invalid("period", msg::one_of("month, quarter, fiscalYear")))?,
    };
    let group_by = match params.text("groupBy") {
        None => None,
        Some(g) => Some(
            GroupBy::parse(&g).ok_or_else(|| invalid("groupBy", msg::one_of("owner, team, region, productLine")))?,
        ),
    };
    let pipeline = match params.text("pipeline") {
        None => None,
        Some(p) => Some(PipelineKey::parse(&p).map_err(|e| invalid("pipeline", e.into()))?),
    };
    let date = params
        .parse("date", msg::date_format())?
        .unwrap_or_else(|| api.services.now().to_zoned(jiff::tz::TimeZone::UTC).date());
    let query = ForecastQuery { period, date, group_by, pipeline, as_of: None };
    let forecast = api.services.forecast(&actor, &query).await?;
    let body = ForecastResponse { from: forecast.from, to: forecast.to, period, lines: forecast.lines };
    Ok(edge::json(StatusCode::OK, &body))
}
