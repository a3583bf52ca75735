//! The console's pages: each gathers what it shows through the use cases and renders its
//! template. What every page shares (language, user, CSRF token, assets) is [`Chrome`].

pub mod accounts;
pub mod case;
pub mod cases;
pub mod lead_review;
pub mod leads;
pub mod search;
pub mod sign_in;

use askama::Template;
use gestiona_domain::{Locale, Message};
use http::StatusCode;
use lambda_http::{Body, Response};

use crate::assets;
use crate::response;
use crate::session::SignedIn;

/// The frame around every signed-in page.
pub struct Chrome {
    pub locale: Locale,
    pub csrf: String,
    pub user: String,
    /// The navigation entry to mark as current.
    pub section: &'static str,
    pub stylesheet: String,
    pub htmx: String,
    pub script: String,
}

impl Chrome {
    pub fn of(signed_in: &SignedIn, section: &'static str) -> Self {
        Self {
            locale: signed_in.session.locale,
            csrf: signed_in.session.csrf.clone(),
            user: signed_in.session.user.to_string(),
            section,
            stylesheet: assets::stylesheet_path(),
            htmx: assets::htmx_path(),
            script: assets::script_path(),
        }
    }

    /// A catalogue message in the page's language.
    pub fn t(&self, message: Message) -> String {
        message.render(self.locale)
    }
}

/// Renders a template as a page; a template that fails to render is logged and answered 500.
pub fn page(status: StatusCode, template: &impl Template) -> Response<Body> {
    match template.render() {
        Ok(html) => response::html(status, html),
        Err(error) => {
            tracing::error!(%error, "a console page failed to render");
            response::status_page(StatusCode::INTERNAL_SERVER_ERROR, Locale::Es)
        }
    }
}

/// A timestamp as staff read it: date and minutes, UTC.
pub fn when(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

/// One parameter of the query string.
pub fn query_value(request: &lambda_http::Request, name: &str) -> Option<String> {
    let query = request.uri().query().unwrap_or_default();
    form_urlencoded::parse(query.as_bytes()).find(|(n, _)| n == name).map(|(_, v)| v.into_owned())
}

/// Whether the request came from htmx (which then wants a fragment, not a page).
pub fn from_htmx(request: &lambda_http::Request) -> bool {
    request.headers().contains_key("hx-request")
}
