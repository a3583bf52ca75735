//! A company's settings as its administrators edit them, and what a platform operator gives to
//! open a new company.

use serde::Deserialize;

use crate::ids::{TenantId, UserId};
use crate::messages as msg;
use crate::validation::ValidationErrors;

pub const NAME_MAX: usize = 120;
pub const LEGAL_ID_MAX: usize = 40;
pub const ADDRESS_MAX: usize = 500;
pub const URL_MAX: usize = 2048;
pub const LOCALES: [&str; 2] = ["es", "en"];

/// `PUT /tenant`: the company's name and legal id, and the defaults of its e-mails, documents
/// and calendars.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantSettings {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 120))]
    pub name: String,
    /// The company's tax or legal id [cédula jurídica, RUC, NIT, CIF].
    #[cfg_attr(feature = "openapi", schema(max_length = 40))]
    pub legal_id: Option<String>,
    /// `es` or `en`: the default language of e-mails and documents.
    #[cfg_attr(feature = "openapi", schema(pattern = "^(es|en)$"))]
    pub locale: String,
    /// ISO 4217, such as CRC, USD or EUR.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Z]{3}$"))]
    pub currency: String,
    /// IANA, such as America/Costa_Rica.
    pub time_zone: String,
    /// The verified sender of the company's e-mails: `Name <address>` or an address.
    pub sender: Option<String>,
    /// Postal address, for e-mail footers and documents.
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub address: Option<String>,
    /// An https address of the logo.
    pub logo_url: Option<String>,
    /// Where links in e-mails open the console.
    pub app_url: Option<String>,
}

/// Settings that passed [`TenantSettings::validate`], trimmed; blanks are absent.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidSettings {
    pub name: String,
    pub legal_id: Option<String>,
    pub locale: String,
    pub currency: String,
    pub time_zone: String,
    pub sender: Option<String>,
    pub address: Option<String>,
    pub logo_url: Option<String>,
    pub app_url: Option<String>,
}

fn is_web_address(s: &str, https_only: bool) -> bool {
    let scheme_ok = s.starts_with("https://") || (!https_only && s.starts_with("http://"));
    scheme_ok
        && s.len() <= URL_MAX
        && s.split_once("://").is_some_and(|(_, rest)| !rest.is_empty() && !rest.starts_with('/'))
        && !s.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>')
}

impl TenantSettings {
    pub fn validate(&self) -> Result<ValidSettings, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let name = e.text("name", &self.name, NAME_MAX, false);
        let legal_id = e.optional_text("legalId", self.legal_id.as_deref(), LEGAL_ID_MAX, false);
        let locale = self.locale.trim();
        if !LOCALES.contains(&locale) {
            e.add("locale", msg::one_of(LOCALES.join(", ")));
        }
        let currency = self.currency.trim();
        if iso_currency::Currency::from_code(currency).is_none() {
            e.add("currency", msg::currency_code());
        }
        let time_zone = self.time_zone.trim();
        if jiff::tz::TimeZone::get(time_zone).is_err() {
            e.add("timeZone", msg::time_zone(time_zone));
        }
        let sender = e.optional_text("sender", self.sender.as_deref(), NAME_MAX + 260, false);
        if let Some(sender) = &sender {
            // `Name <address>` or the address alone: the address must be one.
            let address = match sender.rsplit_once('<') {
                Some((_, rest)) if rest.ends_with('>') => &rest[..rest.len() - 1],
                _ => sender.as_str(),
            };
            let mut found = ValidationErrors::new();
            found.email("sender", address);
            if !found.is_empty() {
                e.add("sender", msg::sender_address());
            }
        }
        let address = e.optional_text("address", self.address.as_deref(), ADDRESS_MAX, true);
        let url = |e: &mut ValidationErrors, field: &str, value: Option<&str>, https_only: bool| {
            let value = value.map(str::trim).filter(|v| !v.is_empty())?;
            if is_web_address(value, https_only) {
                Some(value.to_owned())
            } else {
                e.add(field, if https_only { msg::https_address() } else { msg::web_address() });
                None
            }
        };
        let logo_url = url(&mut e, "logoUrl", self.logo_url.as_deref(), true);
        let app_url = url(&mut e, "appUrl", self.app_url.as_deref(), false);
        e.finish()?;
        Ok(ValidSettings {
            name: name.unwrap_or_default(),
            legal_id,
            locale: locale.to_owned(),
            currency: currency.to_owned(),
            time_zone: time_zone.to_owned(),
            sender,
            address,
            logo_url,
            app_url,
        })
    }
}

/// A new company, as a platform operator opens it: its settings and its first administrator.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTenant {
    pub id: TenantId,
    pub settings: TenantSettings,
    pub admin: UserId,
    pub admin_name: String,
    pub admin_email: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> TenantSettings {
        TenantSettings {
            name: " Ferretería El Clavo ".into(),
            locale: "es".into(),
            currency: "CRC".into(),
            time_zone: "America/Costa_Rica".into(),
            sender: Some("El Clavo <avisos@elclavo.example>".into()),
            logo_url: Some("https://elclavo.example/logo.png".into()),
            app_url: Some("http://127.0.0.1:3000".into()),
            legal_id: Some("  ".into()),
            ..Default::default()
        }
    }

    #[test]
    fn good_settings_are_trimmed_and_blanks_are_absent() {
        let valid = settings().validate().unwrap();
        assert_eq!(valid.name, "Ferretería El Clavo");
        assert_eq!(valid.legal_id, None);
        assert_eq!(valid.sender.as_deref(), Some("El Clavo <avisos@elclavo.example>"));
    }

    #[test]
    fn each_bad_setting_is_named() {
        let bad = TenantSettings {
            name: String::new(),
            locale: "fr".into(),
            currency: "XXQ".into(),
            time_zone: "Mars/Olympus".into(),
            sender: Some("Avisos <no es correo>".into()),
            logo_url: Some("http://elclavo.example/logo.png".into()),
            app_url: Some("ftp://x".into()),
            ..settings()
        };
        let fields: Vec<String> = bad.validate().unwrap_err().0.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "locale", "currency", "timeZone", "sender", "logoUrl", "appUrl"]);
    }
}
