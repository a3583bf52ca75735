//! *Datos de la empresa* (administrators): the company's name, legal id, language, currency,
//! time zone, e-mail sender, address, logo and console address, saved at the version the page
//! showed.

use std::collections::BTreeMap;

use askama::Template;
use gestiona_domain::messages as msg;
use gestiona_domain::service::tenants::{Tenant, TenantSettingsError};
use gestiona_domain::tenant::TenantSettings;
use gestiona_domain::{ExpectedVersion, Message};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::form::{Control, FieldInput};
use super::{Chrome, form_version, page};
use crate::session::{SignedIn, form_value};
use crate::{Console, response};

#[derive(Template)]
#[template(path = "company.html")]
struct CompanyPage {
    chrome: Chrome,
    inputs: Vec<FieldInput>,
    version: u64,
    notice: Option<String>,
    alert: Option<String>,
}

fn settings_of(tenant: &Tenant) -> TenantSettings {
    TenantSettings {
        name: tenant.name.clone(),
        legal_id: tenant.legal_id.clone(),
        locale: tenant.locale.clone(),
        currency: tenant.currency.clone(),
        time_zone: tenant.time_zone.clone(),
        sender: tenant.sender.clone(),
        address: tenant.address.clone(),
        logo_url: tenant.logo_url.clone(),
        app_url: tenant.app_url.clone(),
    }
}

fn inputs(chrome: &Chrome, settings: &TenantSettings, errors: &BTreeMap<String, String>) -> Vec<FieldInput> {
    let input = |name: &str, label: Message, control: Control, value: Option<&str>, required: bool| FieldInput {
        name: name.to_owned(),
        dom_id: format!("company-{name}"),
        label: chrome.t(label),
        control,
        value: value.unwrap_or_default().to_owned(),
        options: if control == Control::Choice {
            vec![("es".into(), "Español".into()), ("en".into(), "English".into())]
        } else {
            Vec::new()
        },
        required,
        read_only: false,
        error: errors.get(name).cloned(),
    };
    vec![
        input("name", msg::ui_name(), Control::Text, Some(&settings.name), true),
        input("legalId", msg::ui_legal_id(), Control::Text, settings.legal_id.as_deref(), false),
        input("locale", msg::ui_language(), Control::Choice, Some(&settings.locale), true),
        input("currency", msg::ui_currency(), Control::Text, Some(&settings.currency), true),
        input("timeZone", msg::ui_time_zone(), Control::Text, Some(&settings.time_zone), true),
        input("sender", msg::ui_sender(), Control::Text, settings.sender.as_deref(), false),
        input("address", msg::ui_postal_address(), Control::LongText, settings.address.as_deref(), false),
        input("logoUrl", msg::ui_logo_url(), Control::Url, settings.logo_url.as_deref(), false),
        input("appUrl", msg::ui_app_url(), Control::Url, settings.app_url.as_deref(), false),
    ]
}

struct Shown {
    status: StatusCode,
    errors: BTreeMap<String, String>,
    notice: Option<Message>,
    alert: Option<Message>,
}

fn render(signed_in: &SignedIn, settings: &TenantSettings, version: u64, shown: Shown) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "company");
    let data = CompanyPage {
        inputs: inputs(&chrome, settings, &shown.errors),
        version,
        notice: shown.notice.map(|m| chrome.t(m)),
        alert: shown.alert.map(|m| chrome.t(m)),
        chrome,
    };
    page(shown.status, &data)
}

fn failed(error: TenantSettingsError, signed_in: &SignedIn) -> Response<Body> {
    let locale = signed_in.session.locale;
    match error {
        TenantSettingsError::NotFound => response::not_found(locale),
        TenantSettingsError::Forbidden(f) => response::not_permitted(locale, f.message()),
        error => {
            tracing::error!(?error, "the company's settings could not be read or saved");
            response::unavailable(locale)
        }
    }
}

/// `GET /app/settings/company`.
pub async fn show(console: &Console, signed_in: &SignedIn) -> Response<Body> {
    match console.services.tenant_settings(&signed_in.actor).await {
        Ok(found) => {
            let shown = Shown { status: StatusCode::OK, errors: BTreeMap::new(), notice: None, alert: None };
            render(signed_in, &settings_of(&found.value), found.version, shown)
        }
        Err(error) => failed(error, signed_in),
    }
}

/// `POST /app/settings/company`: saves at the version the page showed.
pub async fn save(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let locale = signed_in.session.locale;
    let Some(version) = form_version(request) else { return response::status_page(StatusCode::BAD_REQUEST, locale) };
    let text = |name: &str| form_value(request, name).unwrap_or_default();
    let optional = |name: &str| form_value(request, name).filter(|v| !v.trim().is_empty());
    let posted = TenantSettings {
        name: text("name"),
        legal_id: optional("legalId"),
        locale: text("locale"),
        currency: text("currency"),
        time_zone: text("timeZone"),
        sender: optional("sender"),
        address: optional("address"),
        logo_url: optional("logoUrl"),
        app_url: optional("appUrl"),
    };
    let expected = Some(ExpectedVersion::Exactly(version));
    match console.services.save_tenant_settings(&signed_in.actor, &posted, expected).await {
        Ok(saved) => {
            let notice = Some(msg::ui_saved());
            let shown = Shown { status: StatusCode::OK, errors: BTreeMap::new(), notice, alert: None };
            render(signed_in, &settings_of(&saved.value), saved.version, shown)
        }
        Err(TenantSettingsError::Invalid(errors)) => {
            let errors = errors.render(locale).into_iter().map(|e| (e.field, e.reason)).collect();
            let shown = Shown { status: StatusCode::UNPROCESSABLE_ENTITY, errors, notice: None, alert: None };
            render(signed_in, &posted, version, shown)
        }
        Err(TenantSettingsError::Stale(_)) => match console.services.tenant_settings(&signed_in.actor).await {
            Ok(now) => {
                let alert = Some(msg::ui_company_stale());
                let shown = Shown { status: StatusCode::CONFLICT, errors: BTreeMap::new(), notice: None, alert };
                render(signed_in, &settings_of(&now.value), now.version, shown)
            }
            Err(error) => failed(error, signed_in),
        },
        Err(error) => failed(error, signed_in),
    }
}
