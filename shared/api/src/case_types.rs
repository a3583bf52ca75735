//! `/case-types` handlers (read-only here; definitions are managed by admins).

use gestiona_domain::CaseTypeKey;
use gestiona_domain::case_type::CaseType;
use gestiona_domain::messages as msg;
use gestiona_domain::service::case_types::{DefineCaseTypeError, GetCaseTypeError};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use crate::Api;
use crate::edge::{self, ListResponse, QueryParams, Record};
use crate::problem::{Problem, ProblemSchema};

impl From<GetCaseTypeError> for Problem {
    fn from(e: GetCaseTypeError) -> Self {
        match e {
            GetCaseTypeError::NotFound => Problem::not_found(),
            GetCaseTypeError::Store(s) => Problem::store(s),
        }
    }
}

impl From<DefineCaseTypeError> for Problem {
    fn from(e: DefineCaseTypeError) -> Self {
        match e {
            DefineCaseTypeError::Forbidden(f) => f.into(),
            DefineCaseTypeError::Invalid(v) => {
                let mut problem = Problem::from(v);
                problem = problem.detail(msg::detail_definition_not_stored());
                problem
            }
            DefineCaseTypeError::Exists => Problem::conflict("duplicate-case-type", msg::title_case_type_exists())
                .detail(msg::detail_put_new_version()),
            DefineCaseTypeError::NotFound => Problem::not_found(),
            DefineCaseTypeError::Stale { expected } => Problem::stale(expected),
            DefineCaseTypeError::Store(s) => Problem::store(s),
        }
    }
}

#[utoipa::path(post, path = "/case-types", tag = "case types", description = "Defines a case type (admins). The whole definition is validated; a bad one is refused with every problem located and nothing stored.",
    request_body = CaseType,
    responses((status = 201, description = "Version 1; `ETag` is the version", body = Record<CaseType>),
              (status = 409, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let definition: CaseType = edge::json_body(request)?;
    let saved = api.services.create_case_type(&actor, definition).await?;
    let version = u64::from(saved.version);
    Ok(edge::created(format!("/case-types/{}", saved.key), &gestiona_domain::Versioned { value: saved, version }))
}

#[utoipa::path(put, path = "/case-types/{key}", tag = "case types", description = "Saves the next version (admins). Cases keep the version they were opened with.",
    params(("key" = CaseTypeKey, Path), ("If-Match" = String, Header)), request_body = CaseType,
    responses((status = 200, body = Record<CaseType>), (status = 412, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn update(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let key =
        edge::path_param(request, "key").and_then(|k| CaseTypeKey::parse(&k).ok()).ok_or_else(Problem::not_found)?;
    let expected = edge::if_match(request)?;
    let definition: CaseType = edge::json_body(request)?;
    let saved = api.services.update_case_type(&actor, &key, expected, definition).await?;
    let version = u64::from(saved.version);
    Ok(edge::versioned(StatusCode::OK, &gestiona_domain::Versioned { value: saved, version }))
}

#[utoipa::path(get, path = "/case-types", tag = "case types",
    params(("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, description = "The tenant's case types, each in its current version", body = ListResponse<Record<CaseType>>)),
    security(("bearer" = [])))]
pub async fn list(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let page = QueryParams::of(request).page()?;
    Ok(edge::page(&api.services.list_case_types(&actor, &page).await?))
}

#[utoipa::path(get, path = "/case-types/{key}", tag = "case types", params(("key" = CaseTypeKey, Path)),
    responses((status = 200, body = Record<CaseType>), (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let key =
        edge::path_param(request, "key").and_then(|k| CaseTypeKey::parse(&k).ok()).ok_or_else(Problem::not_found)?;
    let case_type = api.services.get_case_type(&actor, &key).await?;
    let version = u64::from(case_type.version);
    Ok(edge::versioned(StatusCode::OK, &gestiona_domain::Versioned { value: case_type, version }))
}
