//! `/case-types` handlers (read-only here; definitions are managed by admins).

use gestiona_domain::CaseTypeKey;
use gestiona_domain::case_type::CaseType;
use gestiona_domain::service::case_types::GetCaseTypeError;
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use crate::Api;
use crate::edge::{self, ListResponse, QueryParams};
use crate::problem::{Problem, ProblemSchema};

impl From<GetCaseTypeError> for Problem {
    fn from(e: GetCaseTypeError) -> Self {
        match e {
            GetCaseTypeError::NotFound => Problem::not_found(),
            GetCaseTypeError::Store(s) => Problem::store(s),
        }
    }
}

#[utoipa::path(get, path = "/case-types", tag = "case types",
    params(("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, description = "The tenant's case types, each in its current version", body = ListResponse<CaseType>)),
    security(("bearer" = [])))]
pub async fn list(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let page = QueryParams::of(request).page()?;
    Ok(edge::page(&api.services.list_case_types(&actor, &page).await?))
}

#[utoipa::path(get, path = "/case-types/{key}", tag = "case types", params(("key" = String, Path)),
    responses((status = 200, body = CaseType), (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let key =
        edge::path_param(request, "key").and_then(|k| CaseTypeKey::parse(&k).ok()).ok_or_else(Problem::not_found)?;
    let case_type = api.services.get_case_type(&actor, &key).await?;
    let version = u64::from(case_type.version);
    Ok(edge::versioned(StatusCode::OK, &gestiona_domain::Versioned { value: case_type, version }))
}
