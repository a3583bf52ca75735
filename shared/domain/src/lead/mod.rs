//! Leads [prospectos]: people who asked about the company through a web form, a landing page
//! or a staff member, before they become an account and a contact.
//!
//! A normalised e-mail address or phone number belongs to at most one lead per tenant (its
//! uniqueness items), so a double click or a second inquiry adds an activity to the lead
//! instead of a duplicate. Phones are normalised to E.164 with the form's default country.

pub mod form_body;

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::account::{NAME_MAX, SHORT_TEXT_MAX};
use crate::ids::{EntityId, FormId, UserId};
use crate::messages::{self as msg, Message};
use crate::money::Money;
use crate::validation::{ValidationErrors, nullable};

/// Longest free-text message a lead may carry.
pub const MESSAGE_MAX: usize = 5_000;
/// Longest custom or hidden field value.
pub const CUSTOM_VALUE_MAX: usize = 500;
/// Longest URL kept (referrer, landing page).
pub const URL_MAX: usize = 2_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum LeadStatus {
    /// Just arrived; nobody has spoken to them yet.
    New,
    /// Someone is working on it [en gestión].
    Working,
    /// Worth an offer.
    Qualified,
    /// Turned into an account and a contact (and maybe an opportunity).
    Converted,
    /// Not a prospect (wrong number, no budget, competitor…).
    Disqualified,
}

impl LeadStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Working => "working",
            Self::Qualified => "qualified",
            Self::Converted => "converted",
            Self::Disqualified => "disqualified",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::New, Self::Working, Self::Qualified, Self::Converted, Self::Disqualified]
            .into_iter()
            .find(|v| v.as_str() == s)
    }

    /// The status as staff read it.
    pub fn label(self) -> crate::Message {
        use crate::messages as msg;
        match self {
            Self::New => msg::ui_lead_status_new(),
            Self::Working => msg::ui_lead_status_working(),
            Self::Qualified => msg::ui_lead_status_qualified(),
            Self::Converted => msg::ui_lead_status_converted(),
            Self::Disqualified => msg::ui_lead_status_disqualified(),
        }
    }

    pub const ALL: [Self; 5] = [Self::New, Self::Working, Self::Qualified, Self::Converted, Self::Disqualified];

    /// Statuses a lead leaves only by conversion or by staff reopening it.
    pub fn is_open(self) -> bool {
        matches!(self, Self::New | Self::Working | Self::Qualified)
    }
}

/// Where a lead came from: the channel, the form, the campaign and the visit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attribution {
    /// `webForm` or `manual`.
    pub channel: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form_id: Option<FormId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    /// `utm_source`, `utm_medium`, `utm_campaign`, `utm_term`, `utm_content`, without the prefix.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub utm: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landing_page: Option<String>,
}

/// The people-facing fields of a lead, validated and normalised.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeadFields {
    /// The full name as the person wrote it.
    pub name: String,
    /// Lower-cased.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// E.164 (`+34600123456`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_fields: BTreeMap<String, String>,
}

/// What a conversion produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Conversion {
    pub account_id: EntityId,
    pub contact_id: EntityId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opportunity_id: Option<EntityId>,
    pub at: Timestamp,
    pub by: UserId,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Lead {
    pub id: EntityId,
    pub status: LeadStatus,
    #[serde(flatten)]
    pub fields: LeadFields,
    pub source: Attribution,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disqualified_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub converted: Option<Conversion>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub updated_by: UserId,
}

/// `POST /leads`: a lead entered by staff (a phone call, a trade fair).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewLead {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub message: Option<String>,
    #[serde(default)]
    pub custom_fields: BTreeMap<String, String>,
    pub campaign: Option<String>,
    /// ISO 3166 country for a phone written without its international prefix (default `ES`).
    pub country: Option<String>,
    pub owner: Option<UserId>,
}

/// `PATCH /leads/{id}` (JSON Merge Patch).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeadPatch {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub company: Option<Option<String>>,
    /// `new`, `working`, `qualified` or `disqualified` (conversion has its own route).
    pub status: Option<LeadStatus>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub disqualified_reason: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub owner: Option<Option<UserId>>,
    /// For a phone written without its international prefix (default `ES`).
    pub country: Option<String>,
}

/// `POST /leads/{id}/convert`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConvertLead {
    /// Merge into this existing account instead of creating one.
    pub account_id: Option<EntityId>,
    /// The new account's name (default: the lead's company, else its name).
    pub account_name: Option<String>,
    /// Merge into this existing contact instead of creating one: its empty fields are filled
    /// from the lead and it is linked to the account if it has none.
    pub contact_id: Option<EntityId>,
    pub opportunity: Option<ConversionOpportunity>,
}

/// The opportunity a conversion opens, in the default pipeline unless it names one.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversionOpportunity {
    pub name: String,
    pub amount: Money,
    pub pipeline: Option<crate::ids::PipelineKey>,
    /// Default: the pipeline's first open stage.
    pub stage: Option<crate::ids::StageKey>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub expected_close_date: Option<jiff::civil::Date>,
}

/// The country used for phones without an international prefix when nothing says otherwise.
pub const DEFAULT_COUNTRY: &str = "ES";

/// Normalises a phone number to E.164, reading numbers without `+` as numbers of `country`
/// (ISO 3166 alpha-2). Refuses what is not a valid number of its country.
pub fn normalise_phone(raw: &str, country: &str) -> Result<String, Message> {
    let trimmed = raw.trim();
    if trimmed.chars().count() > 40 {
        return Err(msg::phone_too_long());
    }
    if !trimmed.chars().all(|c| c.is_ascii_digit() || " +-.()/".contains(c)) {
        return Err(msg::phone_characters());
    }
    let country: phonenumber::country::Id = country.parse().map_err(|_| msg::no_default_country())?;
    let number = phonenumber::parse(Some(country), trimmed).map_err(|_| msg::not_a_phone())?;
    if !number.is_valid() {
        return Err(msg::invalid_phone());
    }
    Ok(number.format().mode(phonenumber::Mode::E164).to_string())
}

/// Checks an ISO 3166 alpha-2 country code the phone library knows.
pub fn check_country(errors: &mut ValidationErrors, field: &str, country: &str) -> Option<String> {
    let upper = country.trim().to_ascii_uppercase();
    if upper.parse::<phonenumber::country::Id>().is_ok() {
        Some(upper)
    } else {
        errors.add(field, msg::country_code());
        None
    }
}

/// Raw people-facing values, before validation.
#[derive(Debug, Clone, Default)]
pub struct RawLead<'a> {
    pub name: Option<&'a str>,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub company: Option<&'a str>,
    pub message: Option<&'a str>,
}

impl LeadFields {
    /// Validates and normalises, naming each bad field with `field_name` (the form's own
    /// field names on the public endpoint, the API's on the staff one). A lead needs a name
    /// and a way to reach them: an e-mail address or a phone.
    pub fn normalise(
        raw: &RawLead<'_>,
        custom_fields: BTreeMap<String, String>,
        country: &str,
        field_name: &dyn Fn(&str) -> String,
        errors: &mut ValidationErrors,
    ) -> Self {
        let joined;
        let name_source = match raw.name.map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) => Some(n),
            None => {
                joined = format!("{} {}", raw.first_name.unwrap_or_default(), raw.last_name.unwrap_or_default());
                Some(joined.trim()).filter(|n| !n.is_empty())
            }
        };
        let name_field = if raw.name.is_some() || raw.first_name.is_none() { "name" } else { "firstName" };
        let name = match name_source {
            Some(n) => errors.text(&field_name(name_field), &collapse_spaces(n), NAME_MAX, false),
            None => {
                errors.add(field_name(name_field), msg::not_empty());
                None
            }
        };
        let email =
            raw.email.map(str::trim).filter(|v| !v.is_empty()).and_then(|v| errors.email(&field_name("email"), v));
        let phone =
            raw.phone.map(str::trim).filter(|v| !v.is_empty()).and_then(|v| {
                normalise_phone(v, country).map_err(|reason| errors.add(field_name("phone"), reason)).ok()
            });
        if raw.email.is_none_or(|e| e.trim().is_empty()) && raw.phone.is_none_or(|p| p.trim().is_empty()) {
            errors.add(field_name("email"), msg::email_or_phone());
        }
        Self {
            name: name.unwrap_or_default(),
            email,
            phone,
            company: errors.optional_text(&field_name("company"), raw.company, SHORT_TEXT_MAX, false),
            message: errors.optional_text(&field_name("message"), raw.message, MESSAGE_MAX, true),
            custom_fields,
        }
    }
}

fn collapse_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl crate::field_access::Redact for Lead {
    const MODULE: crate::access::Module = crate::access::Module::Leads;

    fn hide(&mut self, field: &str) {
        self.fields.hide(field);
    }
}

impl LeadFields {
    /// Removes a field a profile hides (see `field_access`).
    pub fn hide(&mut self, field: &str) {
        match field {
            "email" => self.email = None,
            "phone" => self.phone = None,
            "company" => self.company = None,
            "message" => self.message = None,
            _ => {
                if let Some(key) = crate::field_access::custom_key(field) {
                    self.custom_fields.remove(key);
                }
            }
        }
    }
}

impl crate::field_access::Touches for NewLead {
    fn touched(&self) -> Vec<String> {
        use crate::field_access::filled;
        crate::field_access::touched(
            [
                ("email", filled(&self.email)),
                ("phone", filled(&self.phone)),
                ("company", filled(&self.company)),
                ("message", filled(&self.message)),
            ],
            self.custom_fields.keys(),
        )
    }
}

impl crate::field_access::Touches for LeadPatch {
    fn touched(&self) -> Vec<String> {
        crate::field_access::touched(
            [("email", self.email.is_some()), ("phone", self.phone.is_some()), ("company", self.company.is_some())],
            [],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_become_e164_with_the_default_country() {
        assert_eq!(normalise_phone("600 12 34 56", "ES").unwrap(), "+34600123456");
        assert_eq!(normalise_phone("+34 600-12-34-56", "CR").unwrap(), "+34600123456");
        assert_eq!(normalise_phone("8888 1234", "CR").unwrap(), "+50688881234");
        assert_eq!(normalise_phone("(9) 6123 4567", "CL").unwrap(), "+56961234567");
        assert!(normalise_phone("12", "ES").is_err());
        assert!(normalise_phone("600123456x", "ES").is_err());
        assert!(normalise_phone("600 12 34 56", "XX").is_err());
        assert!(normalise_phone(&"1".repeat(41), "ES").is_err());
    }

    #[test]
    fn lead_fields_need_a_name_and_a_way_to_reach_them() {
        let mut errors = ValidationErrors::new();
        let raw = RawLead {
            first_name: Some("  José "),
            last_name: Some("Pérez   Soto"),
            email: Some(" Jose@Ejemplo.ES "),
            ..Default::default()
        };
        let fields = LeadFields::normalise(&raw, BTreeMap::new(), "ES", &|f| f.to_owned(), &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(fields.name, "José Pérez Soto");
        assert_eq!(fields.email.as_deref(), Some("jose@ejemplo.es"));

        let mut errors = ValidationErrors::new();
        let raw = RawLead { name: Some("Ana"), ..Default::default() };
        LeadFields::normalise(&raw, BTreeMap::new(), "ES", &|f| format!("form.{f}"), &mut errors);
        assert_eq!(errors.0[0].field, "form.email");

        let mut errors = ValidationErrors::new();
        let raw = RawLead { name: Some(""), phone: Some("12"), ..Default::default() };
        LeadFields::normalise(&raw, BTreeMap::new(), "ES", &|f| f.to_owned(), &mut errors);
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "phone"]);
    }

    #[test]
    fn statuses_round_trip() {
        for s in ["new", "working", "qualified", "converted", "disqualified"] {
            assert_eq!(LeadStatus::parse(s).unwrap().as_str(), s);
        }
        assert_eq!(LeadStatus::parse("won"), None);
    }
}
