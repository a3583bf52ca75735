//! *Configuración*: the administrators' index of the company's settings.

use askama::Template;
use gestiona_domain::Message;
use gestiona_domain::messages as msg;
use http::StatusCode;
use lambda_http::{Body, Response};

use super::{Chrome, page};
use crate::session::SignedIn;

pub struct Section {
    pub href: &'static str,
    pub title: String,
    pub help: String,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    chrome: Chrome,
    sections: Vec<Section>,
}

/// `GET /app/settings`.
pub async fn index(signed_in: &SignedIn) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "settings");
    let section = |href, title: Message, help: Message| Section { href, title: chrome.t(title), help: chrome.t(help) };
    let sections = vec![
        section("/app/settings/company", msg::ui_company_settings(), msg::ui_settings_company_help()),
        section("/app/settings/users", msg::ui_users(), msg::ui_settings_users_help()),
        section("/app/settings/profiles", msg::ui_profiles(), msg::ui_settings_profiles_help()),
        section("/app/settings/organisation", msg::ui_organisation(), msg::ui_settings_organisation_help()),
        section("/app/settings/webhooks", msg::ui_webhooks(), msg::ui_settings_webhooks_help()),
        section("/app/settings/access-log", msg::ui_access_log(), msg::ui_settings_access_log_help()),
    ];
    page(StatusCode::OK, &SettingsPage { chrome, sections })
}
