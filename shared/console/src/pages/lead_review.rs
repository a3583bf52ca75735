//! *Retenidos para revisión*: the posts the public forms held as automated, with the reasons in
//! words, to release into leads (as a clean post would have become) or discard, once.

use askama::Template;
use gestiona_domain::form::Suspicion;
use gestiona_domain::messages as msg;
use gestiona_domain::service::PageRequest;
use gestiona_domain::service::forms::{QUARANTINED, ReviewSubmissionError, Submission};
use gestiona_domain::{EntityId, Message, Versioned};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::{Chrome, form_version, page, query_value};
use crate::session::{SignedIn, form_value};
use crate::{Console, response};

pub struct HeldPost {
    pub id: String,
    pub version: u64,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub company: String,
    pub message: String,
    pub form: String,
    pub received: String,
    pub reasons: Vec<String>,
}

impl HeldPost {
    fn of(submission: &Versioned<Submission>, chrome: &Chrome) -> Self {
        let s = &submission.value;
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            id: s.id.to_string(),
            version: submission.version,
            name: s.fields.name.clone(),
            email: text(&s.fields.email),
            phone: text(&s.fields.phone),
            company: text(&s.fields.company),
            message: text(&s.fields.message),
            form: s.form_id.to_string(),
            received: chrome.when(s.received_at),
            reasons: s.reasons.iter().map(|r: &Suspicion| chrome.t(r.message())).collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "lead_review.html")]
struct ReviewPage {
    chrome: Chrome,
    posts: Vec<HeldPost>,
    next_page: Option<String>,
    notice: Option<String>,
}

/// `GET /app/leads/review`: the posts the forms held back, oldest first.
pub async fn review(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    review_page(console, request, signed_in, StatusCode::OK, None).await
}

async fn review_page(
    console: &Console,
    request: &Request,
    signed_in: &SignedIn,
    status: StatusCode,
    notice: Option<Message>,
) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "leads");
    let Ok(paging) = PageRequest::new(Some(50), query_value(request, "cursor")) else {
        return response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    };
    let found = match console.services.list_submissions(&signed_in.actor, QUARANTINED, &paging).await {
        Ok(found) => found,
        Err(error) => {
            tracing::error!(?error, "held posts could not be listed");
            return response::unavailable(chrome.locale);
        }
    };
    let posts = found.items.iter().map(|s| HeldPost::of(s, &chrome)).collect();
    let next_page = found.next_cursor.map(|cursor| {
        format!("/app/leads/review?cursor={}", form_urlencoded::byte_serialize(cursor.as_bytes()).collect::<String>())
    });
    let notice = notice.map(|m| chrome.t(m));
    page(status, &ReviewPage { chrome, posts, next_page, notice })
}

/// `POST /app/leads/review/{id}`: `decision=release` makes the post a lead as a clean post
/// would have; `decision=discard` keeps it, marked discarded.
pub async fn decide(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let locale = signed_in.session.locale;
    let (Ok(post_id), Some(expected)) = (EntityId::parse(id), form_version(request)) else {
        return response::status_page(StatusCode::BAD_REQUEST, locale);
    };
    let actor = signed_in.actor.clone();
    let decided = match form_value(request, "decision").as_deref() {
        Some("release") => console.services.release_submission(&actor, post_id, expected.into()).await,
        Some("discard") => console.services.discard_submission(&actor, post_id, expected.into()).await,
        _ => return response::status_page(StatusCode::BAD_REQUEST, locale),
    };
    match decided {
        Ok(_) => response::redirect("/app/leads/review"),
        Err(ReviewSubmissionError::NotFound) => response::not_found(locale),
        Err(ReviewSubmissionError::Stale { .. } | ReviewSubmissionError::AlreadyReviewed(_)) => {
            review_page(console, request, signed_in, StatusCode::CONFLICT, Some(msg::ui_already_reviewed())).await
        }
        Err(ReviewSubmissionError::Store(error)) => {
            tracing::error!(%error, "the review could not be stored");
            response::unavailable(locale)
        }
    }
}
