//! `/access-log`: who signed in, read a record, exported or changed permissions and settings.

use gestiona_domain::UserId;
use gestiona_domain::access_log::{AccessEntry, RecordRef, Retention};
use gestiona_domain::messages as msg;
use gestiona_domain::service::access_log::{AccessFilter, AccessLogError, SaveRetentionError};
use gestiona_domain::{FieldError, ValidationErrors};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use crate::Api;
use crate::edge::{self, ListResponse, QueryParams, Record};
use crate::problem::{Problem, ProblemSchema};

impl From<AccessLogError> for Problem {
    fn from(e: AccessLogError) -> Self {
        match e {
            AccessLogError::Forbidden(f) => f.into(),
            AccessLogError::Invalid(v) => v.into(),
            AccessLogError::Store(s) => Problem::store(s),
        }
    }
}

impl From<SaveRetentionError> for Problem {
    fn from(e: SaveRetentionError) -> Self {
        match e {
            SaveRetentionError::Forbidden(f) => f.into(),
            SaveRetentionError::Invalid(v) => v.into(),
            SaveRetentionError::Stale { expected } => Problem::stale(expected),
            SaveRetentionError::Store(s) => Problem::store(s),
        }
    }
}

/// The kinds of record the log names.
pub const RECORD_KINDS: [&str; 9] =
    ["account", "contact", "case", "lead", "invoice", "report", "profile", "user", "tenant"];

fn filter_of(request: &Request) -> Result<AccessFilter, Problem> {
    let query = QueryParams::of(request);
    let mut errors = ValidationErrors::new();
    let user = query.text("user").and_then(|u| UserId::parse(&u).map_err(|e| errors.add("user", e.into())).ok());
    let record = match (query.text("recordType"), query.text("recordId")) {
        (Some(kind), Some(id)) if RECORD_KINDS.contains(&kind.as_str()) => Some(RecordRef::new(&kind, id)),
        (Some(_), Some(_)) => {
            errors.add("recordType", msg::one_of(RECORD_KINDS.join(", ")));
            None
        }
        (Some(_), None) => {
            errors.0.push(FieldError::new("recordId", msg::required()));
            None
        }
        (None, Some(_)) => {
            errors.0.push(FieldError::new("recordType", msg::required()));
            None
        }
        (None, None) => None,
    };
    errors.finish()?;
    Ok(AccessFilter { user, record })
}

#[utoipa::path(get, path = "/access-log", tag = "access",
    description = "The access log, newest first: sign-ins, records opened, exports, and changes of profiles, users \
        and the company's settings; by user, by record (recordType and recordId together), or all. Entries older than \
        the company keeps them (`/access-log/retention`, 400 days unless chosen) are not shown.",
    params(("user" = Option<String>, Query), ("recordType" = Option<String>, Query, description = "account, contact, \
        case, lead, invoice, report, profile, user or tenant"), ("recordId" = Option<String>, Query),
        ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<Record<AccessEntry>>)), security(("bearer" = [])))]
pub async fn list(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let filter = filter_of(request)?;
    let page = QueryParams::of(request).page()?;
    Ok(edge::page(&api.services.access_log(&actor, &filter, &page).await?))
}

#[utoipa::path(get, path = "/access-log/retention", tag = "access",
    description = "How many days the access log keeps an entry (400 unless the company chose). The ETag is the version \
        of the company's profiles, which are kept in the same record.",
    responses((status = 200, body = Record<Retention>)), security(("bearer" = [])))]
pub async fn retention(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    Ok(edge::versioned(StatusCode::OK, &api.services.access_log_retention(&actor).await?))
}

#[utoipa::path(put, path = "/access-log/retention", tag = "access",
    description = "Sets how many days (30 to 3650) the access log keeps an entry. Entries written from then on expire \
        that many days after they were written; a read shows no entry older than that at once, while an entry written \
        before a shortening is deleted at its own expiry. With If-Match, only over that version of the profiles.",
    params(("If-Match" = Option<String>, Header)), request_body = Retention,
    responses((status = 200, body = Record<Retention>), (status = 412, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn save_retention(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let expected = edge::optional_if_match(request)?;
    let retention: Retention = edge::json_body(request)?;
    Ok(edge::versioned(StatusCode::OK, &api.services.save_access_log_retention(&actor, retention, expected).await?))
}
