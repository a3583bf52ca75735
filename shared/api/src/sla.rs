//! `/calendars`, `/sla-policies/{caseType}` and `/cases/{id}/sla`.

use gestiona_domain::EntityId;
use gestiona_domain::calendar::CalendarDef;
use gestiona_domain::messages as msg;
use gestiona_domain::service::sla::{CaseSla, CaseSlaError, DefineSlaError};
use gestiona_domain::sla::SlaPolicy;
use gestiona_domain::{CaseTypeKey, ValidationErrors, Versioned};
use http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};

use crate::Api;
use crate::edge::{self, ListResponse, QueryParams, Record};
use crate::problem::{Problem, ProblemSchema};

impl From<DefineSlaError> for Problem {
    fn from(e: DefineSlaError) -> Self {
        match e {
            DefineSlaError::Forbidden(f) => f.into(),
            DefineSlaError::Invalid(v) => v.into(),
            DefineSlaError::Stale { expected: Some(v) } => Problem::stale(v),
            DefineSlaError::Stale { expected: None } => {
                Problem::conflict("duplicate", msg::title_exists()).detail(msg::detail_update_with_put())
            }
            DefineSlaError::Store(s) => Problem::store(s),
        }
    }
}

impl From<CaseSlaError> for Problem {
    fn from(e: CaseSlaError) -> Self {
        match e {
            CaseSlaError::NotFound => Problem::not_found(),
            CaseSlaError::Calendar(c) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "calendar", msg::title_calendar_no_time())
                    .detail(c.message())
            }
            CaseSlaError::Store(s) => Problem::store(s),
        }
    }
}

#[utoipa::path(get, path = "/cases/{id}/sla", tag = "sla",
    description = "Each SLA clock of the case: target, business minutes used, paused intervals, due instant and status — recomputed from the history.",
    params(("id" = EntityId, Path)), responses((status = 200, body = CaseSla)), security(("bearer" = [])))]
pub async fn case_sla(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let sla = api.services.case_sla(&actor, id).await?;
    Ok(edge::json(StatusCode::OK, &sla))
}

#[utoipa::path(get, path = "/calendars", tag = "sla", params(("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<Record<CalendarDef>>)), security(("bearer" = [])))]
pub async fn list_calendars(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let page = QueryParams::of(request).page()?;
    Ok(edge::page(&api.services.list_calendars(&actor, &page).await?))
}

#[utoipa::path(get, path = "/calendars/{key}", tag = "sla", params(("key" = String, Path)),
    responses((status = 200, body = Record<CalendarDef>), (status = 404, body = ProblemSchema, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn get_calendar(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let key = edge::path_param(request, "key").ok_or_else(Problem::not_found)?;
    let calendar =
        api.services.calendar_def(&actor.tenant, &key).await.map_err(Problem::store)?.ok_or_else(Problem::not_found)?;
    let version = u64::from(calendar.version);
    Ok(edge::versioned(StatusCode::OK, &Versioned { value: calendar, version }))
}

#[utoipa::path(put, path = "/calendars/{key}", tag = "sla",
    description = "Defines a business calendar (admins): IANA zone, weekly working intervals, holidays. With If-Match, saves the next version.",
    params(("key" = String, Path), ("If-Match" = Option<String>, Header)), request_body = CalendarDef,
    responses((status = 200, body = Record<CalendarDef>), (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn put_calendar(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let key = edge::path_param(request, "key").ok_or_else(Problem::not_found)?;
    let expected = edge::optional_if_match(request)?;
    let definition: CalendarDef = edge::json_body(request)?;
    if definition.key != key {
        return Err(ValidationErrors::single("key", msg::must_match_path(&key)).into());
    }
    let saved = api.services.save_calendar(&actor, definition, expected).await?;
    let version = u64::from(saved.version);
    Ok(edge::versioned(StatusCode::OK, &Versioned { value: saved, version }))
}

#[utoipa::path(get, path = "/sla-policies/{caseType}", tag = "sla", params(("caseType" = CaseTypeKey, Path)),
    responses((status = 200, body = Record<SlaPolicy>), (status = 404, body = ProblemSchema, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn get_policy(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let key = case_type(request)?;
    let policy =
        api.services.sla_policy(&actor.tenant, &key).await.map_err(Problem::store)?.ok_or_else(Problem::not_found)?;
    Ok(edge::versioned(StatusCode::OK, &policy))
}

#[utoipa::path(put, path = "/sla-policies/{caseType}", tag = "sla",
    description = "Sets the SLA policy of a case type (admins): targets per priority, calendar, warning threshold, escalations. With If-Match, saves the next version.",
    params(("caseType" = CaseTypeKey, Path), ("If-Match" = Option<String>, Header)), request_body = SlaPolicy,
    responses((status = 200, body = Record<SlaPolicy>), (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn put_policy(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let key = case_type(request)?;
    let expected = edge::optional_if_match(request)?;
    let policy: SlaPolicy = edge::json_body(request)?;
    if policy.case_type != key {
        return Err(ValidationErrors::single("caseType", msg::must_match_path(&key)).into());
    }
    let saved = api.services.save_sla_policy(&actor, policy, expected).await?;
    let version = u64::from(saved.version);
    Ok(edge::versioned(StatusCode::OK, &Versioned { value: saved, version }))
}

fn case_type(request: &Request) -> Result<CaseTypeKey, Problem> {
    request
        .path_parameters_ref()
        .and_then(|p| p.first("caseType"))
        .and_then(|k| CaseTypeKey::parse(k).ok())
        .ok_or_else(Problem::not_found)
}
