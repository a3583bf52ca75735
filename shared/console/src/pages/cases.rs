//! *Mi trabajo* and the case list.

use askama::Template;
use gestiona_domain::case::Case;
use gestiona_domain::lead::LeadStatus;
use gestiona_domain::messages as msg;
use gestiona_domain::service::PageRequest;
use gestiona_domain::service::cases::CaseFilter;
use gestiona_domain::service::leads::LeadFilter;
use gestiona_domain::{Page, Versioned};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::leads::LeadRow;
use super::{Chrome, from_htmx, page, query_value, when};
use crate::session::SignedIn;
use crate::{Console, response};

/// One row of a case list.
pub struct CaseRow {
    pub id: String,
    pub subject: String,
    pub case_type: String,
    pub state: String,
    pub closed: bool,
    pub priority: String,
    pub owner: String,
    pub updated: String,
}

impl CaseRow {
    pub(crate) fn of(case: &Case, locale: gestiona_domain::Locale) -> Self {
        Self {
            id: case.id.to_string(),
            subject: case.subject.clone(),
            case_type: case.case_type.to_string(),
            state: case.state.clone(),
            closed: case.state_class.is_closed(),
            priority: json_name(&case.priority),
            owner: case.owner.as_ref().map_or_else(|| msg::ui_unassigned().render(locale), ToString::to_string),
            updated: when(case.updated_at),
        }
    }
}

/// The wire name of an enum value (`high`, `web`), as the API shows it.
pub fn json_name(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

#[derive(Template)]
#[template(path = "cases.html")]
struct CasesPage {
    chrome: Chrome,
    heading: String,
    /// *Mi trabajo* only: the user's new leads, oldest waiting first.
    new_leads: Option<Vec<LeadRow>>,
    rows: Vec<CaseRow>,
    next_page: Option<String>,
}

/// The rows alone, for htmx's "next page".
#[derive(Template)]
#[template(path = "case_rows.html")]
struct CaseRows {
    chrome: Chrome,
    rows: Vec<CaseRow>,
    next_page: Option<String>,
}

async fn listing(
    console: &Console,
    request: &Request,
    signed_in: &SignedIn,
    filter: CaseFilter,
    section: &'static str,
    heading: gestiona_domain::Message,
    new_leads: Option<Vec<LeadRow>>,
) -> Response<Body> {
    let chrome = Chrome::of(signed_in, section);
    let Ok(paging) = PageRequest::new(Some(50), query_value(request, "cursor")) else {
        return response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    };
    let actor = signed_in.session.actor();
    let found: Page<Versioned<Case>> = match console.services.list_cases(&actor, &filter, &paging).await {
        Ok(found) => found,
        Err(error) => {
            tracing::error!(?error, "cases could not be listed");
            return response::unavailable(chrome.locale);
        }
    };
    let rows = found.items.iter().map(|c| CaseRow::of(&c.value, chrome.locale)).collect();
    let path = request.uri().path();
    let next_page = found.next_cursor.map(|cursor| {
        format!("{path}?cursor={}", form_urlencoded::byte_serialize(cursor.as_bytes()).collect::<String>())
    });
    if from_htmx(request) {
        return page(StatusCode::OK, &CaseRows { chrome, rows, next_page });
    }
    let heading = chrome.t(heading);
    page(StatusCode::OK, &CasesPage { chrome, heading, new_leads, rows, next_page })
}

/// How many new leads *Mi trabajo* shows; the lead list has the rest.
const NEW_LEADS_SHOWN: u32 = 10;

/// *Mi trabajo*: the signed-in user's new leads, then their cases.
pub async fn work(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let me = signed_in.session.user.clone();
    let chrome = Chrome::of(signed_in, "work");
    let mine = LeadFilter { owner: Some(me.clone()), status: Some(LeadStatus::New), ..Default::default() };
    let first = PageRequest::new(Some(NEW_LEADS_SHOWN), None).expect("a valid page size");
    let new_leads = match console.services.list_leads(&signed_in.session.actor(), &mine, &first).await {
        Ok(found) => found.items.iter().map(|l| LeadRow::of(&l.value, &chrome)).collect(),
        Err(error) => {
            tracing::error!(?error, "the new leads could not be listed");
            return response::unavailable(chrome.locale);
        }
    };
    let filter = CaseFilter { owner: Some(me), ..Default::default() };
    listing(console, request, signed_in, filter, "work", msg::ui_my_work(), Some(new_leads)).await
}

/// *Casos*: every active case of the tenant.
pub async fn list(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    listing(console, request, signed_in, CaseFilter::default(), "cases", msg::ui_cases(), None).await
}
