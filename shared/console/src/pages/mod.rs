//! The console's pages: each gathers what it shows through the use cases and renders its
//! template. What every page shares (language, user, CSRF token, assets) is [`Chrome`].

pub mod access_log;
pub mod accounts;
pub mod case;
pub mod case_list;
pub mod cases;
pub mod company;
pub mod counts;
mod customer_file;
pub mod forecast;
mod form;
pub mod goals;
mod input;
mod labels;
pub mod lead_review;
pub mod leads;
pub mod opportunities;
pub mod opportunity;
pub mod orders;
pub mod organisation;
mod params;
pub mod price_lists;
pub mod products;
mod profile_fields;
pub mod profiles;
mod quote_form;
pub mod quotes;
pub mod receivables;
pub mod records;
pub mod search;
pub mod settings;
pub mod sign_in;
pub mod users;
pub mod web_forms;
pub mod webhooks;

use askama::Template;
use gestiona_domain::{Locale, Message};
use http::StatusCode;
use lambda_http::{Body, Response};

use crate::assets;
use crate::response;
use crate::session::SignedIn;
use gestiona_domain::access::{Module, Operation, Permission};
use gestiona_domain::field_access::{FieldAccess, FieldRules};

/// The frame around every signed-in page.
pub struct Chrome {
    pub locale: Locale,
    /// The tenant's time zone: every time on a page is shown in it.
    pub zone: jiff::tz::TimeZone,
    pub csrf: String,
    pub user: String,
    /// The navigation entry to mark as current.
    pub section: &'static str,
    /// Whether the user administers the tenant (changes its configuration): settings pages
    /// and their links.
    pub admin: bool,
    /// The modules the user's profile may read: the navigation shows only those.
    readable: Vec<&'static str>,
    /// The fields the user's profile restricts: forms leave hidden ones out and show
    /// read-only ones locked, record pages leave hidden ones out.
    fields: FieldRules,
    pub stylesheet: String,
    pub htmx: String,
    pub script: String,
}

impl Chrome {
    pub fn of(signed_in: &SignedIn, section: &'static str) -> Self {
        Self {
            locale: signed_in.session.locale,
            zone: signed_in
                .session
                .time_zone
                .as_deref()
                .and_then(|name| jiff::tz::TimeZone::get(name).ok())
                .unwrap_or(jiff::tz::TimeZone::UTC),
            csrf: signed_in.session.csrf.clone(),
            user: signed_in.session.user.to_string(),
            section,
            admin: signed_in.actor.allows(Permission::new(Module::Configuration, Operation::Update)),
            readable: Module::ALL
                .into_iter()
                .filter(|&module| signed_in.actor.allows(Permission::new(module, Operation::Read)))
                .map(Module::as_str)
                .collect(),
            fields: signed_in.actor.profile().fields.clone(),
            stylesheet: assets::stylesheet_path(),
            htmx: assets::htmx_path(),
            script: assets::script_path(),
        }
    }

    /// Whether the page is one of the settings (the navigation marks *Configuración*).
    pub fn in_settings(&self) -> bool {
        matches!(self.section, "settings" | "company" | "users" | "profiles" | "webhooks" | "access-log")
    }

    /// Whether the user may read `module` (`cases`, `receivables`, …).
    pub fn reads(&self, module: &str) -> bool {
        self.readable.contains(&module)
    }

    pub fn field_access(&self, module: Module, field: &str) -> FieldAccess {
        gestiona_domain::access::field_access_in(&self.fields, module, field)
    }

    /// Whether the user may see `field` of `module`'s records (a template asks this before it
    /// shows the field at all, rather than an empty value).
    pub fn shows(&self, module: &str, field: &str) -> bool {
        Module::parse(module).is_none_or(|m| self.field_access(m, field) != FieldAccess::Hidden)
    }

    /// A catalogue message in the page's language.
    pub fn t(&self, message: Message) -> String {
        message.render(self.locale)
    }

    /// A timestamp as staff read it: the tenant's local date and minutes, in the user's
    /// language's order (`30/11/2026 17:05`, `Nov 30, 2026 17:05`).
    pub fn when(&self, at: jiff::Timestamp) -> String {
        let local = at.to_zoned(self.zone.clone());
        let pattern = match self.locale {
            Locale::Es => "%d/%m/%Y %H:%M",
            Locale::En => "%b %-d, %Y %H:%M",
        };
        local.strftime(pattern).to_string()
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

/// One parameter of the query string.
pub fn query_value(request: &lambda_http::Request, name: &str) -> Option<String> {
    let query = request.uri().query().unwrap_or_default();
    form_urlencoded::parse(query.as_bytes()).find(|(n, _)| n == name).map(|(_, v)| v.into_owned())
}

/// The record version a form was shown at (its hidden `version`), to change the record at.
pub fn form_version(request: &lambda_http::Request) -> Option<u64> {
    crate::session::form_value(request, "version").and_then(|v| v.parse().ok())
}

/// Whether the request came from htmx (which then wants a fragment, not a page).
pub fn from_htmx(request: &lambda_http::Request) -> bool {
    request.headers().contains_key("hx-request")
}
