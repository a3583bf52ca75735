//! `/accounts` handlers.

use gestiona_domain::EntityId;
use gestiona_domain::account::{Account, AccountPatch, NewAccount};
use gestiona_domain::messages as msg;
use gestiona_domain::service::accounts::{
    AccountFilter, ArchiveAccountError, CreateAccountError, GetAccountError, UpdateAccountError,
};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use crate::Api;
use crate::edge::{self, ListResponse, QueryParams, Record};
use crate::problem::{Problem, ProblemSchema};

impl From<CreateAccountError> for Problem {
    fn from(e: CreateAccountError) -> Self {
        match e {
            CreateAccountError::Forbidden(f) => f.into(),
            CreateAccountError::Invalid(v) => v.into(),
            CreateAccountError::Store(s) => Problem::store(s),
        }
    }
}

impl From<GetAccountError> for Problem {
    fn from(e: GetAccountError) -> Self {
        match e {
            GetAccountError::NotFound => Problem::not_found(),
            GetAccountError::Store(s) => Problem::store(s),
        }
    }
}

impl From<UpdateAccountError> for Problem {
    fn from(e: UpdateAccountError) -> Self {
        match e {
            UpdateAccountError::Forbidden(f) => f.into(),
            UpdateAccountError::NotFound => Problem::not_found(),
            UpdateAccountError::Stale { expected } => Problem::stale(expected),
            UpdateAccountError::Archived => Problem::conflict("archived", msg::title_account_archived()),
            UpdateAccountError::Invalid(v) => v.into(),
            UpdateAccountError::Store(s) => Problem::store(s),
        }
    }
}

impl From<ArchiveAccountError> for Problem {
    fn from(e: ArchiveAccountError) -> Self {
        match e {
            ArchiveAccountError::Forbidden(f) => f.into(),
            ArchiveAccountError::NotFound => Problem::not_found(),
            ArchiveAccountError::Stale { expected } => Problem::stale(expected),
            ArchiveAccountError::AlreadyArchived => {
                Problem::conflict("already-archived", msg::title_account_already_archived())
            }
            ArchiveAccountError::Store(s) => Problem::store(s),
        }
    }
}

#[utoipa::path(post, path = "/accounts", tag = "accounts", request_body = NewAccount,
    responses((status = 201, description = "Created; `Location` and `ETag` set", body = Record<Account>),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let input: NewAccount = edge::json_body(request)?;
    let account = api.services.create_account(&actor, input).await?;
    Ok(edge::created(format!("/accounts/{}", account.value.id), &account))
}

#[utoipa::path(get, path = "/accounts/{id}", tag = "accounts", params(("id" = EntityId, Path)),
    responses((status = 200, description = "`ETag` is the version", body = Record<Account>),
              (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    // The log's write goes with the read, not after it: the answer waits for the slower one.
    let (account, ()) = tokio::join!(api.services.get_account(&actor, id), api.log_read(&actor, "account", id));
    let account = account?;
    Ok(edge::versioned(StatusCode::OK, &account))
}

#[utoipa::path(patch, path = "/accounts/{id}", tag = "accounts", params(("id" = EntityId, Path), ("If-Match" = String, Header)),
    request_body(content = AccountPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, body = Record<Account>), (status = 412, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 428, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn update(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let expected = edge::if_match(request)?;
    let patch: AccountPatch = edge::json_body(request)?;
    let account = api.services.update_account(&actor, id, expected, patch).await?;
    Ok(edge::versioned(StatusCode::OK, &account))
}

#[utoipa::path(delete, path = "/accounts/{id}", tag = "accounts", description = "Archives the account (admin only).",
    params(("id" = EntityId, Path), ("If-Match" = String, Header)),
    responses((status = 204), (status = 403, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn archive(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let expected = edge::if_match(request)?;
    api.services.archive_account(&actor, id, expected).await?;
    Ok(edge::no_content())
}

#[utoipa::path(get, path = "/accounts", tag = "accounts",
    params(("q" = Option<String>, Query, description = "Words of the name, tax id, e-mail or phone, each the start of a word (at least two letters or digits), without case or accents"),
           ("includeArchived" = Option<bool>, Query), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<Record<Account>>)),
    security(("bearer" = [])))]
pub async fn list(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let query = QueryParams::of(request);
    let filter = AccountFilter { words: query.text("q"), include_archived: query.flag("includeArchived")? };
    let page = api.services.list_accounts(&actor, &filter, &query.page()?).await?;
    Ok(edge::page(&page))
}
