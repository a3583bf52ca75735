//! Staff routes for leads, forms, quarantined submissions and opportunities.

use gestiona_domain::form::{Form, FormDefinition};
use gestiona_domain::history::HistoryEvent;
use gestiona_domain::lead::{ConvertLead, Lead, LeadPatch, LeadStatus, NewLead};
use gestiona_domain::messages as msg;
use gestiona_domain::sales::Opportunity;
use gestiona_domain::service::forms::{GetFormError, PutFormError, ReviewSubmissionError, Submission};
use gestiona_domain::service::leads::{ConvertLeadError, CreateLeadError, GetLeadError, LeadFilter, UpdateLeadError};
use gestiona_domain::{EntityId, FormId, UserId, ValidationErrors};
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use crate::Api;
use crate::edge::{self, ListResponse, QueryParams, Record};
use crate::problem::{Problem, ProblemSchema};

fn duplicate(field: &str, lead_id: Option<EntityId>, contact_id: Option<EntityId>) -> Problem {
    let mut problem = Problem::conflict("duplicate-lead", msg::title_duplicate_lead())
        .detail(msg::detail_open_existing())
        .field(field, msg::email_taken_lead());
    if let Some(id) = lead_id {
        problem = problem.with("existingLeadId", id.to_string());
    }
    if let Some(id) = contact_id {
        problem = problem.with("existingContactId", id.to_string());
    }
    problem
}

impl From<CreateLeadError> for Problem {
    fn from(e: CreateLeadError) -> Self {
        match e {
            CreateLeadError::Forbidden(f) => f.into(),
            CreateLeadError::Invalid(v) => v.into(),
            CreateLeadError::Duplicate { field, lead_id, contact_id } => duplicate(field, lead_id, contact_id),
            CreateLeadError::Store(s) => Problem::store(s),
        }
    }
}

impl From<GetLeadError> for Problem {
    fn from(e: GetLeadError) -> Self {
        match e {
            GetLeadError::NotFound => Problem::not_found(),
            GetLeadError::Store(s) => Problem::store(s),
        }
    }
}

impl From<UpdateLeadError> for Problem {
    fn from(e: UpdateLeadError) -> Self {
        match e {
            UpdateLeadError::Forbidden(f) => f.into(),
            UpdateLeadError::NotFound => Problem::not_found(),
            UpdateLeadError::Stale { expected } => Problem::stale(expected),
            UpdateLeadError::Converted => Problem::conflict("converted", msg::title_lead_converted()),
            UpdateLeadError::Invalid(v) => v.into(),
            UpdateLeadError::Duplicate { field, lead_id, contact_id } => duplicate(field, lead_id, contact_id),
            UpdateLeadError::Store(s) => Problem::store(s),
        }
    }
}

impl From<ConvertLeadError> for Problem {
    fn from(e: ConvertLeadError) -> Self {
        match e {
            ConvertLeadError::NotFound => Problem::not_found(),
            ConvertLeadError::Stale { expected } => Problem::stale(expected),
            ConvertLeadError::AlreadyConverted => {
                Problem::conflict("already-converted", msg::title_lead_already_converted())
            }
            ConvertLeadError::Invalid(v) => v.into(),
            ConvertLeadError::ContactEmailTaken { existing } => {
                let problem = Problem::conflict("duplicate-email", msg::title_contact_has_lead_email())
                    .detail(msg::detail_convert_into_contact())
                    .field("contactId", msg::lead_email_has_contact());
                match existing {
                    Some(id) => problem.with("existingId", id.to_string()),
                    None => problem,
                }
            }
            ConvertLeadError::Conflict => {
                Problem::conflict("conflict", msg::title_conversion_conflict()).detail(msg::detail_nothing_written())
            }
            ConvertLeadError::Store(s) => Problem::store(s),
        }
    }
}

impl From<PutFormError> for Problem {
    fn from(e: PutFormError) -> Self {
        match e {
            PutFormError::Forbidden(f) => f.into(),
            PutFormError::Invalid(v) => v.into(),
            PutFormError::Stale { expected } => Problem::stale(expected),
            PutFormError::Store(s) => Problem::store(s),
        }
    }
}

impl From<GetFormError> for Problem {
    fn from(e: GetFormError) -> Self {
        match e {
            GetFormError::NotFound => Problem::not_found(),
            GetFormError::Store(s) => Problem::store(s),
        }
    }
}

impl From<ReviewSubmissionError> for Problem {
    fn from(e: ReviewSubmissionError) -> Self {
        match e {
            ReviewSubmissionError::NotFound => Problem::not_found(),
            ReviewSubmissionError::Stale { expected } => Problem::stale(expected),
            ReviewSubmissionError::AlreadyReviewed(status) => {
                Problem::conflict("already-reviewed", msg::title_already_reviewed()).with("submissionStatus", status)
            }
            ReviewSubmissionError::Store(s) => Problem::store(s),
        }
    }
}

#[utoipa::path(post, path = "/leads", tag = "leads", request_body = NewLead,
    responses((status = 201, body = Record<Lead>),
              (status = 409, description = "Duplicate; `existingLeadId` or `existingContactId` names it", body = ProblemSchema, content_type = "application/problem+json"),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let input: NewLead = edge::json_body(request)?;
    let lead = api.services.create_lead(&actor, input).await?;
    Ok(edge::created(format!("/leads/{}", lead.value.id), &lead))
}

#[utoipa::path(get, path = "/leads/{id}", tag = "leads", params(("id" = EntityId, Path)),
    responses((status = 200, body = Record<Lead>), (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let (lead, ()) = tokio::join!(api.services.get_lead(&actor, id), api.log_read(&actor, "lead", id));
    let lead = lead?;
    Ok(edge::versioned(StatusCode::OK, &lead))
}

#[utoipa::path(patch, path = "/leads/{id}", tag = "leads", params(("id" = EntityId, Path), ("If-Match" = String, Header)),
    request_body(content = LeadPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, body = Record<Lead>), (status = 409, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 412, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn update(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let expected = edge::if_match(request)?;
    let patch: LeadPatch = edge::json_body(request)?;
    Ok(edge::versioned(StatusCode::OK, &api.services.update_lead(&actor, id, expected, patch).await?))
}

#[utoipa::path(get, path = "/leads", tag = "leads",
    params(("status" = Option<String>, Query, pattern = r"^(new|working|qualified|converted|disqualified)$"), ("owner" = Option<UserId>, Query), ("channel" = Option<String>, Query, pattern = r"^(webForm|manual)$", description = "webForm or manual"),
           ("formId" = Option<FormId>, Query), ("campaign" = Option<String>, Query),
           ("q" = Option<String>, Query, description = "Words of the name, company, e-mail or phone, each the start of a word (at least two letters or digits), without case or accents"),
           ("createdFrom" = Option<String>, Query, format = DateTime, description = "RFC 3339 instant, inclusive"),
           ("createdTo" = Option<String>, Query, format = DateTime, description = "RFC 3339 instant, exclusive"),
           ("period" = Option<String>, Query, pattern = r"^(today|thisWeek|thisMonth)$", description = "today, thisWeek or thisMonth (UTC), instead of createdFrom/createdTo"),
           ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<Record<Lead>>)),
    security(("bearer" = [])))]
pub async fn list(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let query = QueryParams::of(request);
    let mut errors = ValidationErrors::new();
    let status = query.text("status").and_then(|s| {
        LeadStatus::parse(&s).or_else(|| {
            errors.add("status", msg::one_of("new, working, qualified, converted, disqualified"));
            None
        })
    });
    let owner = query.text("owner").and_then(|o| UserId::parse(&o).map_err(|e| errors.add("owner", e.into())).ok());
    let form_id = query.text("formId").and_then(|f| FormId::parse(&f).map_err(|e| errors.add("formId", e.into())).ok());
    // A lead's channel is one of two: any other value would silently list nothing.
    let channel = query.text("channel").filter(|c| {
        let known = matches!(c.as_str(), "webForm" | "manual");
        if !known {
            errors.add("channel", msg::one_of("webForm, manual"));
        }
        known
    });
    let mut created_from = query.parse::<jiff::Timestamp>("createdFrom", msg::rfc3339_instant())?;
    let mut created_to = query.parse::<jiff::Timestamp>("createdTo", msg::rfc3339_instant())?;
    if let Some(period) = query.text("period") {
        match period_bounds(&period, api.services.now()) {
            Some((from, to)) => (created_from, created_to) = (Some(from), Some(to)),
            None => errors.add("period", msg::one_of("today, thisWeek, thisMonth")),
        }
    }
    errors.finish()?;
    let filter = LeadFilter {
        status,
        owner,
        channel,
        form_id,
        campaign: query.text("campaign"),
        created_from,
        created_to,
        words: query.text("q"),
    };
    Ok(edge::page(&api.services.list_leads(&actor, &filter, &query.page()?).await?))
}

/// `today`, `thisWeek` (from Monday) and `thisMonth`, in UTC.
fn period_bounds(period: &str, now: jiff::Timestamp) -> Option<(jiff::Timestamp, jiff::Timestamp)> {
    use jiff::ToSpan;
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let (start, span) = match period {
        "today" => (today, 1.day()),
        "thisWeek" => (today.checked_sub((i64::from(today.weekday().to_monday_zero_offset())).days()).ok()?, 7.days()),
        "thisMonth" => (today.first_of_month(), 1.month()),
        _ => return None,
    };
    let end = start.checked_add(span).ok()?;
    let instant = |d: jiff::civil::Date| d.to_zoned(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp());
    Some((instant(start)?, instant(end)?))
}

#[utoipa::path(get, path = "/leads/{id}/history", tag = "leads", params(("id" = EntityId, Path), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<Record<HistoryEvent>>)),
    security(("bearer" = [])))]
pub async fn history(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let page = QueryParams::of(request).page()?;
    api.services.get_lead(&actor, id).await?;
    Ok(edge::page(&api.services.lead_history(&actor, id, &page).await?))
}

#[utoipa::path(get, path = "/contacts/{id}/activities", tag = "contacts", description = "Web-form posts that matched the contact's e-mail.",
    params(("id" = EntityId, Path), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<Record<HistoryEvent>>)),
    security(("bearer" = [])))]
pub async fn contact_activities(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let page = QueryParams::of(request).page()?;
    if api.services.get_contact(&actor, id).await.is_err() {
        return Err(Problem::not_found());
    }
    Ok(edge::page(&api.services.contact_activities(&actor, id, &page).await?))
}

/// The records a conversion produced.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConversionResponse {
    lead: Lead,
    account_id: EntityId,
    contact_id: EntityId,
    #[serde(skip_serializing_if = "Option::is_none")]
    opportunity: Option<Opportunity>,
}

#[utoipa::path(post, path = "/leads/{id}/convert", tag = "leads", params(("id" = EntityId, Path), ("If-Match" = String, Header)),
    request_body = ConvertLead,
    responses((status = 200, body = ConversionResponse),
              (status = 409, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 412, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn convert(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let expected = edge::if_match(request)?;
    let input: ConvertLead = edge::json_body(request)?;
    let converted = api.services.convert_lead(&actor, id, expected, input).await?;
    let body = ConversionResponse {
        account_id: converted.account.value.id,
        contact_id: converted.contact.value.id,
        opportunity: converted.opportunity,
        lead: converted.lead.value,
    };
    let mut response = edge::json(StatusCode::OK, &body);
    response.headers_mut().insert(http::header::ETAG, edge::etag(converted.lead.version));
    Ok(response)
}

#[utoipa::path(get, path = "/accounts/{id}/leads", tag = "leads",
    description = "The leads converted into the account (with an opportunity or without), oldest first.",
    params(("id" = EntityId, Path), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<Record<Lead>>),
        (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn account_leads(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let page = QueryParams::of(request).page()?;
    api.services.get_account(&actor, id).await?;
    Ok(edge::page(&api.services.account_leads(&actor, id, &page).await?))
}

fn form_id(request: &Request) -> Result<FormId, Problem> {
    edge::path_param(request, "id").and_then(|id| FormId::parse(&id).ok()).ok_or_else(Problem::not_found)
}

#[utoipa::path(get, path = "/forms", tag = "forms", params(("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<Record<Form>>)),
    security(("bearer" = [])))]
pub async fn list_forms(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let page = QueryParams::of(request).page()?;
    Ok(edge::page(&api.services.list_forms(&actor, &page).await?))
}

#[utoipa::path(get, path = "/forms/{id}", tag = "forms", params(("id" = FormId, Path)),
    responses((status = 200, body = Record<Form>), (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_form(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = form_id(request)?;
    Ok(edge::versioned(StatusCode::OK, &api.services.get_form(&actor, &id).await?))
}

#[utoipa::path(put, path = "/forms/{id}", tag = "forms", description = "Creates the form (no If-Match) or replaces its definition (If-Match: its version). Admin only.",
    params(("id" = FormId, Path), ("If-Match" = Option<String>, Header)), request_body = FormDefinition,
    responses((status = 200, body = Record<Form>), (status = 201, body = Record<Form>),
              (status = 412, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn put_form(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = form_id(request)?;
    let expected = edge::optional_if_match(request)?;
    let definition: FormDefinition = edge::json_body(request)?;
    let created = expected.is_none();
    let form = api.services.put_form(&actor, id.clone(), expected, definition).await?;
    Ok(if created { edge::created(format!("/forms/{id}"), &form) } else { edge::versioned(StatusCode::OK, &form) })
}

#[utoipa::path(get, path = "/lead-submissions", tag = "forms",
    params(("status" = Option<String>, Query, pattern = r"^(quarantined|released|discarded)$", description = "quarantined (default), released or discarded"),
           ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<Record<Submission>>)),
    security(("bearer" = [])))]
pub async fn list_submissions(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let query = QueryParams::of(request);
    let status = query.text("status").unwrap_or_else(|| "quarantined".into());
    Ok(edge::page(&api.services.list_submissions(&actor, &status, &query.page()?).await?))
}

#[utoipa::path(get, path = "/lead-submissions/{id}", tag = "forms", params(("id" = EntityId, Path)),
    responses((status = 200, body = Record<Submission>), (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_submission(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    Ok(edge::versioned(StatusCode::OK, &api.services.get_submission(&actor, id).await?))
}

#[utoipa::path(post, path = "/lead-submissions/{id}/release", tag = "forms", description = "Processes a quarantined post as a clean one: a new lead, or an activity on the existing one.",
    params(("id" = EntityId, Path), ("If-Match" = String, Header)),
    responses((status = 200, body = Record<Submission>), (status = 409, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn release_submission(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let expected = edge::if_match(request)?;
    Ok(edge::versioned(StatusCode::OK, &api.services.release_submission(&actor, id, expected).await?))
}

#[utoipa::path(post, path = "/lead-submissions/{id}/discard", tag = "forms", params(("id" = EntityId, Path), ("If-Match" = String, Header)),
    responses((status = 200, body = Record<Submission>), (status = 409, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn discard_submission(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let expected = edge::if_match(request)?;
    Ok(edge::versioned(StatusCode::OK, &api.services.discard_submission(&actor, id, expected).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_utc_calendar_windows() {
        let now: jiff::Timestamp = "2026-11-26T15:00:00Z".parse().unwrap(); // a Thursday
        let (from, to) = period_bounds("thisWeek", now).unwrap();
        assert_eq!((from.to_string(), to.to_string()), ("2026-11-23T00:00:00Z".into(), "2026-11-30T00:00:00Z".into()));
        let (from, to) = period_bounds("thisMonth", now).unwrap();
        assert_eq!((from.to_string(), to.to_string()), ("2026-11-01T00:00:00Z".into(), "2026-12-01T00:00:00Z".into()));
        assert!(period_bounds("lastYear", now).is_none());
    }
}
