//! `/contacts` handlers.

use gestiona_domain::contact::{Contact, ContactPatch, NewContact};
use gestiona_domain::messages as msg;
use gestiona_domain::service::contacts::{
    ArchiveContactError, ContactFilter, CreateContactError, GetContactError, UpdateContactError,
};
use gestiona_domain::{EntityId, ValidationErrors};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use crate::Api;
use crate::edge::{self, ListResponse, QueryParams, Record};
use crate::problem::{Problem, ProblemSchema};

fn email_taken(existing: Option<EntityId>) -> Problem {
    let problem = Problem::conflict("duplicate-email", msg::title_duplicate_contact_email())
        .detail(msg::detail_email_unique())
        .field("email", msg::email_taken_contact());
    match existing {
        Some(id) => problem.with("existingId", id.to_string()),
        None => problem,
    }
}

impl From<CreateContactError> for Problem {
    fn from(e: CreateContactError) -> Self {
        match e {
            CreateContactError::Forbidden(f) => f.into(),
            CreateContactError::Invalid(v) => v.into(),
            CreateContactError::EmailTaken { existing } => email_taken(existing),
            CreateContactError::Store(s) => Problem::store(s),
        }
    }
}

impl From<GetContactError> for Problem {
    fn from(e: GetContactError) -> Self {
        match e {
            GetContactError::NotFound => Problem::not_found(),
            GetContactError::Store(s) => Problem::store(s),
        }
    }
}

impl From<UpdateContactError> for Problem {
    fn from(e: UpdateContactError) -> Self {
        match e {
            UpdateContactError::Forbidden(f) => f.into(),
            UpdateContactError::NotFound => Problem::not_found(),
            UpdateContactError::Stale { expected } => Problem::stale(expected),
            UpdateContactError::Archived => Problem::conflict("archived", msg::title_contact_archived()),
            UpdateContactError::Invalid(v) => v.into(),
            UpdateContactError::EmailTaken { existing } => email_taken(existing),
            UpdateContactError::Store(s) => Problem::store(s),
        }
    }
}

impl From<ArchiveContactError> for Problem {
    fn from(e: ArchiveContactError) -> Self {
        match e {
            ArchiveContactError::Forbidden(f) => f.into(),
            ArchiveContactError::NotFound => Problem::not_found(),
            ArchiveContactError::Stale { expected } => Problem::stale(expected),
            ArchiveContactError::AlreadyArchived => {
                Problem::conflict("already-archived", msg::title_contact_already_archived())
            }
            ArchiveContactError::Store(s) => Problem::store(s),
        }
    }
}

#[utoipa::path(post, path = "/contacts", tag = "contacts", request_body = NewContact,
    responses((status = 201, body = Record<Contact>),
              (status = 409, description = "E-mail taken; `existingId` names the contact", body = ProblemSchema, content_type = "application/problem+json"),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let input: NewContact = edge::json_body(request)?;
    let contact = api.services.create_contact(&actor, input).await?;
    Ok(edge::created(format!("/contacts/{}", contact.value.id), &contact))
}

#[utoipa::path(get, path = "/contacts/{id}", tag = "contacts", params(("id" = EntityId, Path)),
    responses((status = 200, body = Record<Contact>), (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let (contact, ()) = tokio::join!(api.services.get_contact(&actor, id), api.log_read(&actor, "contact", id));
    let contact = contact?;
    Ok(edge::versioned(StatusCode::OK, &contact))
}

#[utoipa::path(patch, path = "/contacts/{id}", tag = "contacts", params(("id" = EntityId, Path), ("If-Match" = String, Header)),
    request_body(content = ContactPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, body = Record<Contact>), (status = 412, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn update(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let expected = edge::if_match(request)?;
    let patch: ContactPatch = edge::json_body(request)?;
    Ok(edge::versioned(StatusCode::OK, &api.services.update_contact(&actor, id, expected, patch).await?))
}

#[utoipa::path(delete, path = "/contacts/{id}", tag = "contacts", description = "Archives the contact (admin only) and frees its e-mail address.",
    params(("id" = EntityId, Path), ("If-Match" = String, Header)),
    responses((status = 204), (status = 403, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn archive(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let expected = edge::if_match(request)?;
    api.services.archive_contact(&actor, id, expected).await?;
    Ok(edge::no_content())
}

#[utoipa::path(get, path = "/contacts", tag = "contacts",
    params(("accountId" = Option<EntityId>, Query), ("email" = Option<String>, Query), ("q" = Option<String>, Query, description = "Words of the name, e-mail or phone, each the start of a word (at least two letters or digits), without case or accents"),
           ("includeArchived" = Option<bool>, Query), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<Record<Contact>>)),
    security(("bearer" = [])))]
pub async fn list(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let query = QueryParams::of(request);
    let account_id = match query.text("accountId") {
        Some(raw) => {
            Some(EntityId::parse(&raw).map_err(|e| Problem::from(ValidationErrors::single("accountId", e.into())))?)
        }
        None => None,
    };
    let filter = ContactFilter {
        account_id,
        email: query.text("email"),
        words: query.text("q"),
        include_archived: query.flag("includeArchived")?,
    };
    Ok(edge::page(&api.services.list_contacts(&actor, &filter, &query.page()?).await?))
}
