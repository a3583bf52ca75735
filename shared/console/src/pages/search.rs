//! The search box on every page: accounts, contacts, cases, leads and invoices found by the start of
//! their words, accents and case aside (the word index of `gestiona_domain::search`).

use askama::Template;
use gestiona_domain::messages as msg;
use gestiona_domain::search::{SearchDoc, SearchKind};
use gestiona_domain::service::contacts::GetContactError;
use gestiona_domain::service::{ListError, PageRequest};
use gestiona_domain::{EntityId, Message};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::{Chrome, page, query_value};
use crate::session::SignedIn;
use crate::{Console, response};

pub struct Hit {
    pub kind: String,
    pub title: String,
    pub detail: String,
    pub href: String,
}

fn kind_label(kind: SearchKind) -> Message {
    match kind {
        SearchKind::Account => msg::ui_kind_account(),
        SearchKind::Contact => msg::ui_kind_contact(),
        SearchKind::Case => msg::ui_kind_case(),
        SearchKind::Lead => msg::ui_kind_lead(),
        SearchKind::Invoice => msg::ui_kind_invoice(),
        SearchKind::Product => msg::ui_kind_product(),
    }
}

impl Hit {
    fn of(doc: &SearchDoc, chrome: &Chrome) -> Self {
        let path = match doc.kind {
            SearchKind::Account => "accounts",
            SearchKind::Contact => "contacts",
            SearchKind::Case => "cases",
            SearchKind::Lead => "leads",
            SearchKind::Invoice => "receivables/invoices",
            SearchKind::Product => "products",
        };
        Self {
            kind: chrome.t(kind_label(doc.kind)),
            title: doc.title.clone(),
            detail: doc.detail.clone(),
            href: format!("/app/{path}/{}", doc.id),
        }
    }
}

#[derive(Template)]
#[template(path = "search_results.html")]
struct ResultsPage {
    chrome: Chrome,
    query: String,
    hits: Vec<Hit>,
    error: Option<String>,
    next_page: Option<String>,
}

/// `GET /app/search?q=`: every kind of record, 50 hits a page.
pub async fn results(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "search");
    let query = query_value(request, "q").unwrap_or_default().trim().to_owned();
    let Ok(paging) = PageRequest::new(Some(50), query_value(request, "cursor")) else {
        return response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    };
    let (hits, error, next_page) = if query.is_empty() {
        (Vec::new(), None, None)
    } else {
        match console.services.search(&signed_in.actor, &query, &SearchKind::ALL, &paging).await {
            Ok(found) => {
                let encode = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
                let next = found.next_cursor.map(|c| format!("/app/search?q={}&cursor={}", encode(&query), encode(&c)));
                (found.items.iter().map(|doc| Hit::of(doc, &chrome)).collect(), None, next)
            }
            Err(ListError::Invalid(errors)) => (Vec::new(), errors.0.first().map(|e| chrome.t(e.reason.clone())), None),
            Err(ListError::Store(error)) => {
                tracing::error!(%error, "the search could not be read");
                return response::unavailable(chrome.locale);
            }
        }
    };
    page(StatusCode::OK, &ResultsPage { chrome, query, hits, error, next_page })
}

/// `GET /app/contacts/{id}`: a contact is shown in its account's customer file; one without an
/// account in the contact list, found by its name.
pub async fn contact(console: &Console, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let locale = signed_in.session.locale;
    let Ok(id) = EntityId::parse(id) else { return response::not_found(locale) };
    match console.services.get_contact(&signed_in.actor, id).await {
        Ok(contact) => match contact.value.account_id {
            // The account's file shows the contact: that page's read is the one logged.
            Some(account) => response::redirect(&format!("/app/accounts/{account}")),
            None => {
                let name = form_urlencoded::byte_serialize(contact.value.first_name.as_bytes()).collect::<String>();
                response::redirect(&format!("/app/contacts?q={name}"))
            }
        },
        Err(GetContactError::NotFound) => response::not_found(locale),
        Err(GetContactError::Store(error)) => {
            tracing::error!(%error, "the contact could not be read");
            response::unavailable(locale)
        }
    }
}
