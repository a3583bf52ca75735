//! `/users` (the staff directory notifications use) and `/opt-outs` (marketing e-mail).

use gestiona_domain::UserId;
use gestiona_domain::messages as msg;
use gestiona_domain::service::directory::{InviteUserError, SaveUserError};
use gestiona_domain::service::handover::{HandOver, HandOverError, HandOverRequest};
use gestiona_domain::user::{User, UserEntry};
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

use crate::Api;
use crate::edge::{self, ListResponse, QueryParams, Record};
use crate::problem::{Problem, ProblemSchema};

impl From<SaveUserError> for Problem {
    fn from(e: SaveUserError) -> Self {
        match e {
            SaveUserError::Forbidden(f) => f.into(),
            SaveUserError::Stale(version) => Problem::stale(version),
            SaveUserError::Invalid(v) => v.into(),
            SaveUserError::SignInUnavailable(reason) => sign_in_unavailable(&reason),
            SaveUserError::Store(s) => Problem::store(s),
        }
    }
}

/// The sign-in provider failed: nothing changed, and the same request may be sent again.
fn sign_in_unavailable(reason: &str) -> Problem {
    tracing::error!(%reason, "the identity provider is unavailable");
    Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", msg::title_unavailable())
        .detail(msg::detail_nothing_changed_retry())
}

impl From<InviteUserError> for Problem {
    fn from(e: InviteUserError) -> Self {
        match e {
            InviteUserError::Forbidden(f) => f.into(),
            InviteUserError::Invalid(v) => v.into(),
            InviteUserError::AlreadyListed { existing } => {
                Problem::conflict("duplicate-email", msg::title_user_listed()).detail(msg::detail_user_listed(existing))
            }
            InviteUserError::SignInUnavailable(reason) => sign_in_unavailable(&reason),
            InviteUserError::Store(s) => Problem::store(s),
        }
    }
}

#[utoipa::path(post, path = "/users", tag = "directory", description = "Invites someone: their sign-in is made (on AWS, a Cognito user of the company in the group of their profile's level, sent an invitation e-mail with a temporary password) and their directory entry under its subject, which `Location` names. Inviting the same address again after a failure finds the sign-in the first attempt made.",
    request_body = UserEntry,
    responses((status = 201, description = "Invited; `Location` and `ETag` set", body = Record<User>),
              (status = 409, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 503, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn invite(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let entry: UserEntry = edge::json_body(request)?;
    let user = api.services.invite_user(&actor, entry).await?;
    Ok(edge::created(format!("/users/{}", user.value.id), &user))
}

#[utoipa::path(get, path = "/users", tag = "directory", params(("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<Record<User>>)), security(("bearer" = [])))]
pub async fn list(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let page = QueryParams::of(request).page()?;
    Ok(edge::page(&api.services.list_users(&actor, &page).await?))
}

#[utoipa::path(put, path = "/users/{id}", tag = "directory", description = "Sets a staff member's name, e-mail, language, profile and whether they are active; with If-Match, only over that version (\"0\": a new entry). A deactivated user is refused on every request at once; nobody deactivates themselves or takes away their own right to administer.",
    params(("id" = UserId, Path, description = "The user's `sub`"), ("If-Match" = Option<String>, Header)),
    request_body = UserEntry,
    responses((status = 200, body = Record<User>), (status = 403, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 412, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn save(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_param(request, "id").and_then(|i| UserId::parse(&i).ok()).ok_or_else(Problem::not_found)?;
    let expected = edge::optional_if_match(request)?;
    let entry: UserEntry = edge::json_body(request)?;
    let user = api.services.save_user(&actor, id, entry, expected).await?;
    Ok(edge::versioned(StatusCode::OK, &user))
}

impl From<HandOverError> for Problem {
    fn from(e: HandOverError) -> Self {
        match e {
            HandOverError::Forbidden(f) => f.into(),
            HandOverError::Invalid(v) => v.into(),
            HandOverError::Store(s) => Problem::store(s),
        }
    }
}

#[utoipa::path(post, path = "/users/{id}/hand-over", tag = "directory", description = "Reassigns the user's open cases and leads to an active colleague, each at the version read (a record changed meanwhile stays and is counted in `remaining`), at most 100 per call: call again while `remaining` is above zero.",
    params(("id" = UserId, Path, description = "Whose work is handed over")),
    request_body = HandOverRequest,
    responses((status = 200, body = HandOver), (status = 403, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn hand_over(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let from = edge::path_param(request, "id").and_then(|i| UserId::parse(&i).ok()).ok_or_else(Problem::not_found)?;
    let input: HandOverRequest = edge::json_body(request)?;
    let moved = api.services.hand_over_work(&actor, &from, &input.to).await?;
    Ok(edge::json(StatusCode::OK, &moved))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptOutRequest {
    email: String,
}

#[utoipa::path(post, path = "/opt-outs", tag = "directory", description = "Stops marketing e-mail to an address.",
    request_body = OptOutRequest,
    responses((status = 204), (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn opt_out(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let input: OptOutRequest = edge::json_body(request)?;
    api.services.record_opt_out(&actor, &input.email).await?;
    Ok(edge::no_content())
}
