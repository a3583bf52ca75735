//! `/cases` handlers.

use gestiona_domain::case::{Case, CasePatch, Channel, NewCase, Priority};
use gestiona_domain::history::{Comment, HistoryEvent, NewComment};
use gestiona_domain::messages as msg;
use gestiona_domain::service::case_list::{CaseFilter, CaseSort};
use gestiona_domain::service::cases::{
    AddCommentError, ArchiveCaseError, CaseHistoryError, CreateCaseError, GetCaseError, UpdateCaseError,
};
use gestiona_domain::{CaseTypeKey, EntityId, UserId, ValidationErrors, Versioned};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use crate::Api;
use crate::edge::{self, ListResponse, QueryParams, Record};
use crate::problem::{Problem, ProblemSchema};

impl From<CreateCaseError> for Problem {
    fn from(e: CreateCaseError) -> Self {
        match e {
            CreateCaseError::Forbidden(f) => f.into(),
            CreateCaseError::Invalid(v) => v.into(),
            CreateCaseError::Store(s) => Problem::store(s),
        }
    }
}

impl From<GetCaseError> for Problem {
    fn from(e: GetCaseError) -> Self {
        match e {
            GetCaseError::NotFound => Problem::not_found(),
            GetCaseError::Store(s) => Problem::store(s),
        }
    }
}

impl From<UpdateCaseError> for Problem {
    fn from(e: UpdateCaseError) -> Self {
        match e {
            UpdateCaseError::Forbidden(f) => f.into(),
            UpdateCaseError::NotFound => Problem::not_found(),
            UpdateCaseError::Stale { expected } => Problem::stale(expected),
            UpdateCaseError::Archived => Problem::conflict("archived", msg::title_case_archived()),
            UpdateCaseError::Invalid(v) => v.into(),
            UpdateCaseError::Store(s) => Problem::store(s),
        }
    }
}

impl From<ArchiveCaseError> for Problem {
    fn from(e: ArchiveCaseError) -> Self {
        match e {
            ArchiveCaseError::Forbidden(f) => f.into(),
            ArchiveCaseError::NotFound => Problem::not_found(),
            ArchiveCaseError::Stale { expected } => Problem::stale(expected),
            ArchiveCaseError::AlreadyArchived => {
                Problem::conflict("already-archived", msg::title_case_already_archived())
            }
            ArchiveCaseError::Store(s) => Problem::store(s),
        }
    }
}

impl From<CaseHistoryError> for Problem {
    fn from(e: CaseHistoryError) -> Self {
        match e {
            CaseHistoryError::NotFound => Problem::not_found(),
            CaseHistoryError::List(l) => l.into(),
        }
    }
}

impl From<AddCommentError> for Problem {
    fn from(e: AddCommentError) -> Self {
        match e {
            AddCommentError::NotFound => Problem::not_found(),
            AddCommentError::Archived => Problem::conflict("archived", msg::title_case_archived()),
            AddCommentError::Forbidden(f) => f.into(),
            AddCommentError::Invalid(v) => v.into(),
            AddCommentError::Store(s) => Problem::store(s),
        }
    }
}

fn invalid(field: &str, reason: impl Into<gestiona_domain::Message>) -> Problem {
    ValidationErrors::single(field, reason.into()).into()
}

#[utoipa::path(post, path = "/cases", tag = "cases", request_body = NewCase,
    responses((status = 201, description = "Opened in the type's initial state; `Location` and `ETag` set", body = Record<Case>),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let input: NewCase = edge::json_body(request)?;
    let case = api.services.create_case(&actor, input).await?;
    Ok(edge::created(format!("/cases/{}", case.value.id), &case))
}

#[utoipa::path(get, path = "/cases/{id}", tag = "cases", params(("id" = EntityId, Path)),
    responses((status = 200, description = "`ETag` is the version", body = Record<Case>),
              (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let (case, ()) = tokio::join!(api.services.get_case(&actor, id), api.log_read(&actor, "case", id));
    let case = case?;
    Ok(edge::versioned(StatusCode::OK, &case))
}

#[utoipa::path(patch, path = "/cases/{id}", tag = "cases", params(("id" = EntityId, Path), ("If-Match" = String, Header)),
    request_body(content = CasePatch, content_type = "application/merge-patch+json"),
    responses((status = 200, body = Record<Case>),
              (status = 409, description = "Archived", body = ProblemSchema, content_type = "application/problem+json"),
              (status = 412, description = "Stale If-Match", body = ProblemSchema, content_type = "application/problem+json"),
              (status = 428, description = "No If-Match", body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn update(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let expected = edge::if_match(request)?;
    let patch: CasePatch = edge::json_body(request)?;
    Ok(edge::versioned(StatusCode::OK, &api.services.update_case(&actor, id, expected, patch).await?))
}

#[utoipa::path(delete, path = "/cases/{id}", tag = "cases", description = "Archives the case (supervisors and admins).",
    params(("id" = EntityId, Path), ("If-Match" = String, Header)),
    responses((status = 204), (status = 403, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn archive(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let expected = edge::if_match(request)?;
    api.services.archive_case(&actor, id, expected).await?;
    Ok(edge::no_content())
}

#[utoipa::path(get, path = "/cases", tag = "cases", description = "Newest first unless `sort` says otherwise; a word search (`q`) lists in the search index's order.",
    params(("state" = Option<String>, Query), ("owner" = Option<UserId>, Query), ("type" = Option<CaseTypeKey>, Query),
           ("accountId" = Option<EntityId>, Query), ("archived" = Option<bool>, Query, description = "List archived cases instead"),
           ("open" = Option<bool>, Query, description = "Leave out closed cases"),
           ("q" = Option<String>, Query, description = "Words of the number or subject, each the start of a word (at least two letters or digits), without case or accents"),
           ("branch" = Option<String>, Query, description = "Without case or accents"),
           ("priority" = Option<Priority>, Query), ("channel" = Option<Channel>, Query),
           ("createdFrom" = Option<String>, Query, format = Date, description = "Opened on or after this day (the tenant's time zone)"),
           ("createdTo" = Option<String>, Query, format = Date, description = "Opened on or before this day (the tenant's time zone)"),
           ("sort" = Option<String>, Query, pattern = r"^-?(created|updated)$|^due$", description = "`-created` (newest first, the default), `created` (oldest first), `-updated` (last changed first), `updated` (longest untouched first) or `due` (cases with a running SLA clock by their nearest deadline, then the others newest first). A cursor continues the order it came from."),
           ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<Record<Case>>)),
    security(("bearer" = [])))]
pub async fn list(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let query = QueryParams::of(request);
    let owner = query.text("owner").map(|o| UserId::parse(&o).map_err(|e| invalid("owner", e))).transpose()?;
    let case_type = query.text("type").map(|t| CaseTypeKey::parse(&t).map_err(|e| invalid("type", e))).transpose()?;
    let account_id =
        query.text("accountId").map(|a| EntityId::parse(&a).map_err(|e| invalid("accountId", e))).transpose()?;
    let sort = match query.text("sort").as_deref() {
        None | Some("-created") => CaseSort::Newest,
        Some("created") => CaseSort::Oldest,
        Some("-updated") => CaseSort::RecentlyUpdated,
        Some("updated") => CaseSort::LeastRecentlyUpdated,
        Some("due") => CaseSort::Deadline,
        Some(_) => return Err(invalid("sort", msg::one_of("-created, created, -updated, updated, due"))),
    };
    let filter = CaseFilter {
        state: query.text("state"),
        owner,
        case_type,
        account_id,
        archived: query.flag("archived")?,
        open: query.flag("open")?,
        words: query.text("q"),
        branch: query.text("branch"),
        priority: query.wire_name("priority", "low, normal, high, urgent")?,
        channel: query.wire_name("channel", "email, phone, web, walkIn, whatsapp, chat, social, other")?,
        created_from: query.parse("createdFrom", msg::date_format())?,
        created_to: query.parse("createdTo", msg::date_format())?,
        sort,
    };
    Ok(edge::page(&api.services.list_cases(&actor, &filter, &query.page()?).await?))
}

#[utoipa::path(get, path = "/cases/{id}/history", tag = "cases", description = "Every change, comment and system event, oldest first.",
    params(("id" = EntityId, Path), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<Record<HistoryEvent>>)),
    security(("bearer" = [])))]
pub async fn history(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let page = QueryParams::of(request).page()?;
    Ok(edge::page(&api.services.case_history(&actor, id, &page).await?))
}

#[utoipa::path(post, path = "/cases/{id}/comments", tag = "cases", params(("id" = EntityId, Path)), request_body = NewComment,
    responses((status = 201, body = Record<Comment>), (status = 409, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn add_comment(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let input: NewComment = edge::json_body(request)?;
    let comment = api.services.add_comment(&actor, id, input).await?;
    let location = format!("/cases/{id}/comments#{}", comment.id);
    Ok(edge::created(location, &Versioned { value: comment, version: 1 }))
}

#[utoipa::path(get, path = "/cases/{id}/comments", tag = "cases",
    params(("id" = EntityId, Path), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<Record<Comment>>)),
    security(("bearer" = [])))]
pub async fn list_comments(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let page = QueryParams::of(request).page()?;
    Ok(edge::page(&api.services.list_comments(&actor, id, &page).await?))
}
