//! *Prospectos*: the lead lists (mine, uncontacted, this week, all), and a lead with its
//! status and its conversion into account, contact and opportunity in one step. The posts the
//! public forms held back are reviewed in [`super::lead_review`].

use askama::Template;
use gestiona_domain::access_log::{AccessAction, RecordRef};
use gestiona_domain::lead::{ConversionOpportunity, ConvertLead, Lead, LeadPatch, LeadStatus};
use gestiona_domain::messages as msg;
use gestiona_domain::money::Money;
use gestiona_domain::service::PageRequest;
use gestiona_domain::service::leads::{ConvertLeadError, GetLeadError, LeadFilter, UpdateLeadError};
use gestiona_domain::{EntityId, Message};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::input::parse_amount;
use super::{Chrome, form_version, labels, page, query_value};
use crate::session::{SignedIn, form_value};
use crate::{Console, response};

/// The lists a salesperson works from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Mine,
    Uncontacted,
    ThisWeek,
    All,
}

impl View {
    const ALL: [View; 4] = [View::Mine, View::Uncontacted, View::ThisWeek, View::All];

    fn key(self) -> &'static str {
        match self {
            View::Mine => "mine",
            View::Uncontacted => "uncontacted",
            View::ThisWeek => "week",
            View::All => "all",
        }
    }

    fn label(self) -> Message {
        match self {
            View::Mine => msg::ui_view_mine(),
            View::Uncontacted => msg::ui_view_uncontacted(),
            View::ThisWeek => msg::ui_view_this_week(),
            View::All => msg::ui_view_all(),
        }
    }

    fn filter(self, signed_in: &SignedIn, now: jiff::Timestamp) -> LeadFilter {
        match self {
            View::Mine => LeadFilter { owner: Some(signed_in.session.user.clone()), ..Default::default() },
            View::Uncontacted => LeadFilter { status: Some(LeadStatus::New), ..Default::default() },
            View::ThisWeek => LeadFilter { created_from: Some(week_start(now)), ..Default::default() },
            View::All => LeadFilter::default(),
        }
    }
}

/// Monday 00:00 UTC of `now`'s week.
fn week_start(now: jiff::Timestamp) -> jiff::Timestamp {
    let date = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let monday = date - jiff::Span::new().days(i64::from(date.weekday().to_monday_zero_offset()));
    monday.to_zoned(jiff::tz::TimeZone::UTC).map_or(now, |z| z.timestamp())
}

pub struct LeadRow {
    pub id: String,
    pub name: String,
    pub company: String,
    pub email: String,
    pub phone: String,
    pub status: String,
    pub owner: String,
    pub source: String,
    pub created: String,
}

impl LeadRow {
    pub(crate) fn of(lead: &Lead, chrome: &Chrome) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let source = [
            Some(labels::lead_channel(&lead.source.channel, chrome.locale)),
            lead.source.form_id.as_ref().map(ToString::to_string),
            lead.source.campaign.clone(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
        Self {
            id: lead.id.to_string(),
            name: lead.fields.name.clone(),
            company: text(&lead.fields.company),
            email: text(&lead.fields.email),
            phone: text(&lead.fields.phone),
            status: chrome.t(lead.status.label()),
            owner: lead.owner.as_ref().map_or_else(|| chrome.t(msg::ui_unassigned()), ToString::to_string),
            source,
            created: chrome.when(lead.created_at),
        }
    }
}

pub struct ViewLink {
    pub key: &'static str,
    pub label: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "leads.html")]
struct LeadsPage {
    chrome: Chrome,
    views: Vec<ViewLink>,
    rows: Vec<LeadRow>,
    next_page: Option<String>,
}

/// `GET /app/leads?view=`: one of the lists, newest first, 50 a page.
pub async fn list(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "leads");
    let requested = query_value(request, "view");
    let Some(view) = View::ALL.into_iter().find(|v| requested.as_deref().unwrap_or("mine") == v.key()) else {
        return response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    };
    let Ok(paging) = PageRequest::new(Some(50), query_value(request, "cursor")) else {
        return response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    };
    let filter = view.filter(signed_in, jiff::Timestamp::now());
    let found = match console.services.list_leads(&signed_in.actor, &filter, &paging).await {
        Ok(found) => found,
        Err(error) => {
            tracing::error!(?error, "leads could not be listed");
            return response::unavailable(chrome.locale);
        }
    };
    let rows = found.items.iter().map(|l| LeadRow::of(&l.value, &chrome)).collect();
    let next_page = found.next_cursor.map(|cursor| {
        let cursor: String = form_urlencoded::byte_serialize(cursor.as_bytes()).collect();
        format!("/app/leads?view={}&cursor={cursor}", view.key())
    });
    let views = View::ALL
        .into_iter()
        .map(|v| ViewLink { key: v.key(), label: chrome.t(v.label()), current: v == view })
        .collect();
    page(StatusCode::OK, &LeadsPage { chrome, views, rows, next_page })
}

pub struct StatusChoice {
    pub key: &'static str,
    pub label: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "lead.html")]
struct LeadPage {
    chrome: Chrome,
    lead: LeadRow,
    version: u64,
    message: String,
    converted: bool,
    account: Option<String>,
    disqualified_reason: String,
    statuses: Vec<StatusChoice>,
    account_name: String,
    notice: Option<String>,
    errors: Vec<String>,
}

/// What went wrong with the user's last post, shown on the page again.
#[derive(Default)]
struct Outcome {
    notice: Option<Message>,
    errors: Vec<Message>,
}

/// `GET /app/leads/{id}`.
pub async fn show(console: &Console, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let page = render(console, signed_in, id, StatusCode::OK, Outcome::default()).await;
    if page.status() == StatusCode::OK {
        console.services.log_access(&signed_in.actor, AccessAction::Read, Some(RecordRef::new("lead", id))).await;
    }
    page
}

async fn render(
    console: &Console,
    signed_in: &SignedIn,
    id: &str,
    status: StatusCode,
    outcome: Outcome,
) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "leads");
    let Ok(id) = EntityId::parse(id) else { return response::not_found(chrome.locale) };
    let lead = match console.services.get_lead(&signed_in.actor, id).await {
        Ok(lead) => lead,
        Err(GetLeadError::NotFound) => return response::not_found(chrome.locale),
        Err(GetLeadError::Store(error)) => {
            tracing::error!(%error, "the lead could not be read");
            return response::unavailable(chrome.locale);
        }
    };
    let value = &lead.value;
    let statuses = LeadStatus::ALL
        .into_iter()
        .filter(|s| *s != LeadStatus::Converted)
        .map(|s| StatusChoice { key: s.as_str(), label: chrome.t(s.label()), current: s == value.status })
        .collect();
    let account_name = value.fields.company.clone().unwrap_or_else(|| value.fields.name.clone());
    let view = LeadPage {
        lead: LeadRow::of(value, &chrome),
        version: lead.version,
        message: value.fields.message.clone().unwrap_or_default(),
        converted: value.status == LeadStatus::Converted,
        account: value.converted.as_ref().map(|c| c.account_id.to_string()),
        disqualified_reason: value.disqualified_reason.clone().unwrap_or_default(),
        statuses,
        account_name,
        notice: outcome.notice.map(|m| chrome.t(m)),
        errors: outcome.errors.into_iter().map(|m| chrome.t(m)).collect(),
        chrome,
    };
    page(status, &view)
}

/// `POST /app/leads/{id}/status`: working, qualified or disqualified (with its reason).
pub async fn set_status(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let locale = signed_in.session.locale;
    let (Ok(lead_id), Some(expected)) = (EntityId::parse(id), form_version(request)) else {
        return response::status_page(StatusCode::BAD_REQUEST, locale);
    };
    let Some(status) = form_value(request, "status").and_then(|s| LeadStatus::parse(&s)) else {
        return response::status_page(StatusCode::BAD_REQUEST, locale);
    };
    let reason = form_value(request, "reason").map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    let patch = LeadPatch {
        status: Some(status),
        disqualified_reason: Some(reason.filter(|_| status == LeadStatus::Disqualified)),
        ..Default::default()
    };
    match console.services.update_lead(&signed_in.actor, lead_id, expected.into(), patch).await {
        Ok(_) => response::redirect(&format!("/app/leads/{lead_id}")),
        Err(UpdateLeadError::NotFound) => response::not_found(locale),
        Err(UpdateLeadError::Forbidden(refusal)) => {
            let outcome = Outcome { errors: vec![refusal.message()], ..Default::default() };
            render(console, signed_in, id, StatusCode::FORBIDDEN, outcome).await
        }
        Err(UpdateLeadError::Stale { .. }) => {
            let outcome = Outcome { notice: Some(msg::ui_record_stale()), ..Default::default() };
            render(console, signed_in, id, StatusCode::CONFLICT, outcome).await
        }
        Err(UpdateLeadError::Converted) => {
            let outcome = Outcome { errors: vec![msg::title_lead_converted()], ..Default::default() };
            render(console, signed_in, id, StatusCode::CONFLICT, outcome).await
        }
        Err(UpdateLeadError::Invalid(errors)) => {
            let outcome = Outcome { errors: errors.0.into_iter().map(|e| e.reason).collect(), ..Default::default() };
            render(console, signed_in, id, StatusCode::UNPROCESSABLE_ENTITY, outcome).await
        }
        Err(UpdateLeadError::Duplicate { .. }) => {
            let outcome = Outcome { errors: vec![msg::title_duplicate_lead()], ..Default::default() };
            render(console, signed_in, id, StatusCode::CONFLICT, outcome).await
        }
        Err(UpdateLeadError::Store(error)) => {
            tracing::error!(%error, "the lead could not be stored");
            response::unavailable(locale)
        }
    }
}

/// The opportunity of the conversion form, when the user named one. The amount is read as
/// people write it: `1250000`, `1.250.000,50` or `1,250,000.50`.
fn opportunity_of(request: &Request) -> Result<Option<ConversionOpportunity>, Message> {
    let Some(name) = form_value(request, "opportunity").map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    let currency = form_value(request, "currency").unwrap_or_default().trim().to_uppercase();
    let amount = form_value(request, "amount").unwrap_or_default();
    let exponent = gestiona_domain::format::exponent(&currency);
    let amount_minor = parse_amount(&amount, exponent).ok_or_else(msg::ui_amount_format)?;
    let amount = Money { amount_minor, currency };
    Ok(Some(ConversionOpportunity { name, amount, pipeline: None, stage: None, expected_close_date: None }))
}

/// `POST /app/leads/{id}/convert`: account, contact and (when named) opportunity in one write.
pub async fn convert(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let locale = signed_in.session.locale;
    let (Ok(lead_id), Some(expected)) = (EntityId::parse(id), form_version(request)) else {
        return response::status_page(StatusCode::BAD_REQUEST, locale);
    };
    let opportunity = match opportunity_of(request) {
        Ok(opportunity) => opportunity,
        Err(error) => {
            let outcome = Outcome { errors: vec![error], ..Default::default() };
            return render(console, signed_in, id, StatusCode::UNPROCESSABLE_ENTITY, outcome).await;
        }
    };
    let account_name = form_value(request, "account_name").map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    let request = ConvertLead { account_name, opportunity, ..Default::default() };
    let failed = |status, errors: Vec<Message>| async move {
        render(console, signed_in, id, status, Outcome { errors, ..Default::default() }).await
    };
    match console.services.convert_lead(&signed_in.actor, lead_id, expected.into(), request).await {
        Ok(converted) => response::redirect(&format!("/app/accounts/{}", converted.account.value.id)),
        Err(ConvertLeadError::NotFound) => response::not_found(locale),
        Err(ConvertLeadError::Stale { .. } | ConvertLeadError::Conflict) => {
            let outcome = Outcome { notice: Some(msg::ui_record_stale()), ..Default::default() };
            render(console, signed_in, id, StatusCode::CONFLICT, outcome).await
        }
        Err(ConvertLeadError::AlreadyConverted) => {
            failed(StatusCode::CONFLICT, vec![msg::title_lead_already_converted()]).await
        }
        Err(ConvertLeadError::ContactEmailTaken { .. }) => {
            failed(StatusCode::CONFLICT, vec![msg::title_contact_has_lead_email()]).await
        }
        Err(ConvertLeadError::Invalid(errors)) => {
            failed(StatusCode::UNPROCESSABLE_ENTITY, errors.0.into_iter().map(|e| e.reason).collect()).await
        }
        Err(ConvertLeadError::Store(error)) => {
            tracing::error!(%error, "the conversion could not be stored");
            response::unavailable(locale)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_week_starts_on_monday() {
        let wednesday: jiff::Timestamp = "2026-12-02T15:30:00Z".parse().unwrap();
        assert_eq!(week_start(wednesday).to_string(), "2026-11-30T00:00:00Z");
        let monday: jiff::Timestamp = "2026-11-30T00:00:00Z".parse().unwrap();
        assert_eq!(week_start(monday), monday);
    }
}
