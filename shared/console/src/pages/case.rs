//! *Caso*: one case with its fields, the steps the user may take, comments and history.

use askama::Template;
use gestiona_domain::case::Case;
use gestiona_domain::history::{Comment, HistoryEvent, NewComment};
use gestiona_domain::messages as msg;
use gestiona_domain::service::PageRequest;
use gestiona_domain::service::cases::{AddCommentError, CaseHistoryError};
use gestiona_domain::service::transitions::{OfferedTransitionsError, TransitionCaseError};
use gestiona_domain::workflow::{OfferedAction, TransitionRequest};
use gestiona_domain::{EntityId, Versioned};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::cases::json_name;
use super::{Chrome, page, when};
use crate::session::{SignedIn, form_value};
use crate::{Console, response};

/// The case as the page shows it.
pub struct CaseView {
    pub id: String,
    pub version: u64,
    pub subject: String,
    pub description: Option<String>,
    pub case_type: String,
    pub state: String,
    pub closed: bool,
    pub priority: String,
    pub channel: String,
    pub owner: String,
    pub created: String,
    pub updated: String,
    /// The case type's custom fields that are set, by name.
    pub fields: Vec<(String, String)>,
}

impl CaseView {
    fn of(case: &Versioned<Case>, chrome: &Chrome) -> Self {
        let c = &case.value;
        let fields = c
            .custom_fields
            .iter()
            .map(|(name, value)| (name.clone(), value.as_str().map_or_else(|| value.to_string(), str::to_owned)))
            .collect();
        Self {
            id: c.id.to_string(),
            version: case.version,
            subject: c.subject.clone(),
            description: c.description.clone(),
            case_type: c.case_type.to_string(),
            state: c.state.clone(),
            closed: c.state_class.is_closed(),
            priority: json_name(&c.priority),
            channel: json_name(&c.channel),
            owner: c.owner.as_ref().map_or_else(|| chrome.t(msg::ui_unassigned()), ToString::to_string),
            created: when(c.created_at),
            updated: when(c.updated_at),
            fields,
        }
    }
}

pub struct CommentView {
    pub at: String,
    pub author: String,
    pub internal: bool,
    pub body: String,
}

pub struct EventView {
    pub at: String,
    pub actor: String,
    pub summary: String,
}

impl EventView {
    /// The event's kind and its details as the history records them.
    fn of(event: &HistoryEvent) -> Self {
        let details = serde_json::to_value(&event.kind).unwrap_or_default();
        let kind = details.get("type").and_then(|t| t.as_str()).unwrap_or_default().to_owned();
        let facts: Vec<String> = details
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(name, value)| *name != "type" && (value.is_string() || value.is_number()))
            .map(|(name, value)| format!("{name}: {}", value.as_str().map_or_else(|| value.to_string(), str::to_owned)))
            .collect();
        let summary = if facts.is_empty() { kind } else { format!("{kind} — {}", facts.join(", ")) };
        Self { at: when(event.at), actor: event.actor.to_string(), summary }
    }
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    chrome: Chrome,
    case: CaseView,
    actions: Vec<OfferedAction>,
    comments: Vec<CommentView>,
    events: Vec<EventView>,
    stale: bool,
    transition_errors: Vec<String>,
    comment_draft: String,
    comment_error: Option<String>,
}

/// What went wrong with the user's last post, shown on the page again.
#[derive(Default)]
struct Outcome {
    stale: bool,
    transition_errors: Vec<String>,
    comment_draft: String,
    comment_error: Option<String>,
}

fn parse_id(id: &str) -> Option<EntityId> {
    EntityId::parse(id).ok()
}

pub async fn show(console: &Console, _request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    render(console, signed_in, id, StatusCode::OK, Outcome::default()).await
}

async fn render(
    console: &Console,
    signed_in: &SignedIn,
    id: &str,
    status: StatusCode,
    outcome: Outcome,
) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "cases");
    let locale = chrome.locale;
    let Some(id) = parse_id(id) else { return response::not_found(locale) };
    let actor = signed_in.session.actor();
    let (case, actions) = match console.services.offered_transitions(&actor, id).await {
        Ok(found) => found,
        Err(OfferedTransitionsError::NotFound) => return response::not_found(locale),
        Err(OfferedTransitionsError::Store(error)) => {
            tracing::error!(%error, "the case could not be read");
            return response::unavailable(locale);
        }
    };
    let recent = PageRequest::new(Some(100), None).expect("a valid page size");
    let history = console.services.case_history(&actor, id, &recent).await;
    let comments = console.services.list_comments(&actor, id, &recent).await;
    let (history, comments) = match (history, comments) {
        (Ok(history), Ok(comments)) => (history, comments),
        (Err(CaseHistoryError::NotFound), _) | (_, Err(CaseHistoryError::NotFound)) => {
            return response::not_found(locale);
        }
        (Err(error), _) | (_, Err(error)) => {
            tracing::error!(?error, "the case's history could not be read");
            return response::unavailable(locale);
        }
    };
    // Newest first, as people read a case.
    let events = history.items.iter().rev().map(|e| EventView::of(&e.value)).collect();
    let comments = comments.items.iter().rev().map(|c| comment_view(&c.value)).collect();
    let case = CaseView::of(&case, &chrome);
    let page_data = CasePage {
        chrome,
        case,
        actions,
        comments,
        events,
        stale: outcome.stale,
        transition_errors: outcome.transition_errors,
        comment_draft: outcome.comment_draft,
        comment_error: outcome.comment_error,
    };
    page(status, &page_data)
}

fn comment_view(comment: &Comment) -> CommentView {
    CommentView {
        at: when(comment.at),
        author: comment.author.to_string(),
        internal: comment.internal,
        body: comment.body.clone(),
    }
}

/// `POST /app/cases/{id}/comments`: adds the comment and shows the case again.
pub async fn comment(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let locale = signed_in.session.locale;
    let Some(case_id) = parse_id(id) else { return response::not_found(locale) };
    let body = form_value(request, "body").unwrap_or_default();
    let internal = form_value(request, "internal").is_some();
    let input = NewComment { body: body.clone(), internal };
    match console.services.add_comment(&signed_in.session.actor(), case_id, input).await {
        Ok(_) => response::redirect(&format!("/app/cases/{case_id}#comments-heading")),
        Err(AddCommentError::NotFound) => response::not_found(locale),
        Err(AddCommentError::Invalid(errors)) => {
            let comment_error = errors.0.first().map(|e| e.reason.render(locale));
            let outcome = Outcome { comment_draft: body, comment_error, ..Default::default() };
            render(console, signed_in, id, StatusCode::UNPROCESSABLE_ENTITY, outcome).await
        }
        Err(AddCommentError::Archived) => {
            let outcome = Outcome {
                comment_draft: body,
                comment_error: Some(msg::title_case_archived().render(locale)),
                ..Default::default()
            };
            render(console, signed_in, id, StatusCode::CONFLICT, outcome).await
        }
        Err(AddCommentError::Store(error)) => {
            tracing::error!(%error, "the comment could not be stored");
            response::unavailable(locale)
        }
    }
}

/// `POST /app/cases/{id}/transitions`: takes the chosen step at the version the page showed.
pub async fn transition(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let locale = signed_in.session.locale;
    let Some(case_id) = parse_id(id) else { return response::not_found(locale) };
    let Some(expected) = form_value(request, "version").and_then(|v| v.parse::<u64>().ok()) else {
        return response::status_page(StatusCode::BAD_REQUEST, locale);
    };
    let step = TransitionRequest {
        action: form_value(request, "action").unwrap_or_default(),
        result: form_value(request, "result").unwrap_or_default(),
        note: form_value(request, "note").filter(|n| !n.trim().is_empty()),
        fields: None,
    };
    match console.services.transition_case(&signed_in.session.actor(), case_id, expected, step).await {
        Ok(_) => response::redirect(&format!("/app/cases/{case_id}")),
        Err(TransitionCaseError::NotFound) => response::not_found(locale),
        // Someone else moved the case: show it as it is now, and say so.
        Err(TransitionCaseError::Stale { .. }) => {
            let outcome = Outcome { stale: true, ..Default::default() };
            render(console, signed_in, id, StatusCode::CONFLICT, outcome).await
        }
        Err(TransitionCaseError::Archived) => {
            let outcome =
                Outcome { transition_errors: vec![msg::title_case_archived().render(locale)], ..Default::default() };
            render(console, signed_in, id, StatusCode::CONFLICT, outcome).await
        }
        Err(TransitionCaseError::Rejected(refusal)) => {
            let transition_errors = refusal.messages().iter().map(|m| m.render(locale)).collect();
            let outcome = Outcome { transition_errors, ..Default::default() };
            render(console, signed_in, id, StatusCode::UNPROCESSABLE_ENTITY, outcome).await
        }
        Err(TransitionCaseError::Store(error)) => {
            tracing::error!(%error, "the transition could not be stored");
            response::unavailable(locale)
        }
    }
}
