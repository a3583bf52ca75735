//! `/organisation`: the company's teams and branches.

use gestiona_domain::organisation::Organisation;
use gestiona_domain::service::organisation::OrganisationError;
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use crate::Api;
use crate::edge::{self, Record};
use crate::problem::{Problem, ProblemSchema};

impl From<OrganisationError> for Problem {
    fn from(e: OrganisationError) -> Self {
        match e {
            OrganisationError::Forbidden(f) => f.into(),
            OrganisationError::Invalid(v) => v.into(),
            OrganisationError::Stale(version) => Problem::stale(version),
            OrganisationError::Store(s) => Problem::store(s),
        }
    }
}

#[utoipa::path(get, path = "/organisation", tag = "access",
    description = "The company's branches (with region and zone) and teams (with branch, members and supervisors): \
        whom the team and branch record scopes of profiles reach. Version 0 until first saved.",
    responses((status = 200, body = Record<Organisation>)),
    security(("bearer" = [])))]
pub async fn get(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    Ok(edge::versioned(StatusCode::OK, &api.services.organisation(&actor).await?))
}

#[utoipa::path(put, path = "/organisation", tag = "access",
    description = "Replaces the branches and teams; with If-Match, only over that version (\"0\" before the first \
        save). Everyone a team names must be a user of the directory; a scope change applies to the next request.",
    params(("If-Match" = Option<String>, Header)), request_body = Organisation,
    responses((status = 200, body = Record<Organisation>), (status = 412, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn save(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let expected = edge::optional_if_match(request)?;
    let entry: Organisation = edge::json_body(request)?;
    Ok(edge::versioned(StatusCode::OK, &api.services.save_organisation(&actor, entry, expected).await?))
}
