//! `/profiles`: what each profile of the tenant may do, per module and operation.

use gestiona_domain::ProfileId;
use gestiona_domain::access::{AccessPolicy, Profile, ProfileEntry};
use gestiona_domain::service::access::{GetProfileError, SaveProfileError};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use crate::Api;
use crate::edge::{self, Record};
use crate::problem::{Problem, ProblemSchema};

impl From<GetProfileError> for Problem {
    fn from(e: GetProfileError) -> Self {
        match e {
            GetProfileError::NotFound => Problem::not_found(),
            GetProfileError::Forbidden(f) => f.into(),
            GetProfileError::Store(s) => Problem::store(s),
        }
    }
}

impl From<SaveProfileError> for Problem {
    fn from(e: SaveProfileError) -> Self {
        match e {
            SaveProfileError::Forbidden(f) => f.into(),
            SaveProfileError::Invalid(v) => v.into(),
            SaveProfileError::Stale { expected } => Problem::stale(expected.unwrap_or_default()),
            SaveProfileError::Store(s) => Problem::store(s),
        }
    }
}

fn profile_id(request: &Request) -> Result<ProfileId, Problem> {
    edge::path_param(request, "id").and_then(|id| ProfileId::parse(&id).ok()).ok_or_else(Problem::not_found)
}

#[utoipa::path(get, path = "/profiles", tag = "access",
    description = "The tenant's profiles (the seeded agent, sales, collections, supervisor and admin until an admin \
        edits them, with ETag 0). One version covers them all: send it as If-Match when saving one.",
    responses((status = 200, body = Record<AccessPolicy>)), security(("bearer" = [])))]
pub async fn list(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    Ok(edge::versioned(StatusCode::OK, &api.services.list_profiles(&actor).await?))
}

#[utoipa::path(get, path = "/profiles/{id}", tag = "access", params(("id" = ProfileId, Path)),
    responses((status = 200, body = Record<Profile>), (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = profile_id(request)?;
    Ok(edge::versioned(StatusCode::OK, &api.services.get_profile(&actor, &id).await?))
}

#[utoipa::path(put, path = "/profiles/{id}", tag = "access",
    description = "Creates or replaces a profile: its name, its level for workflow guards (agent, supervisor, admin) \
        and per module the operations allowed. The admin profile always keeps every permission. With If-Match (the \
        version of GET /profiles), saves only over that version.",
    params(("id" = ProfileId, Path), ("If-Match" = Option<String>, Header)), request_body = ProfileEntry,
    responses((status = 200, body = Record<Profile>), (status = 412, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn save(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = profile_id(request)?;
    let expected = edge::optional_if_match(request)?;
    let entry: ProfileEntry = edge::json_body(request)?;
    Ok(edge::versioned(StatusCode::OK, &api.services.save_profile(&actor, id, entry, expected).await?))
}
