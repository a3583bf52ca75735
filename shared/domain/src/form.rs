//! Public lead-capture forms [formularios web]: which posted field feeds which lead field,
//! what is required, where the browser goes afterwards, how spam is told apart, and who
//! receives the leads.
//!
//! A form embeds a signed timestamp (`_ts`) when its page is served. A post is suspicious when
//! the timestamp is missing, forged, too old, or younger than the form's minimum fill time (a
//! person takes seconds to fill a form; a bot milliseconds). Suspicious posts are kept in
//! quarantine, never dropped; only a filled honeypot field is discarded.

use std::collections::BTreeMap;

use hmac::{KeyInit, Mac};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::case_type::AgentPool;
use crate::ids::FormId;
use crate::lead::form_body::Fields;
use crate::lead::{Attribution, CUSTOM_VALUE_MAX, DEFAULT_COUNTRY, LeadFields, RawLead, URL_MAX, check_country};
use crate::messages as msg;
use crate::validation::ValidationErrors;

/// The hidden field holding the signed timestamp.
pub const TOKEN_FIELD: &str = "_ts";
/// A form page older than this is stale: its post is quarantined.
pub const TOKEN_MAX_AGE_SECONDS: i64 = 24 * 3600;
const UTM_KEYS: [&str; 5] = ["source", "medium", "campaign", "term", "content"];

/// Which lead field a posted field feeds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FieldTarget {
    Name,
    FirstName,
    LastName,
    Email,
    Phone,
    Company,
    Message,
    /// A hidden field naming the campaign.
    Campaign,
    /// A custom field of the lead, under this key.
    Custom(String),
}

impl FieldTarget {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "name" => Self::Name,
            "firstName" => Self::FirstName,
            "lastName" => Self::LastName,
            "email" => Self::Email,
            "phone" => Self::Phone,
            "company" => Self::Company,
            "message" => Self::Message,
            "campaign" => Self::Campaign,
            other => {
                let key = other.strip_prefix("custom:")?;
                let ok = !key.is_empty()
                    && key.len() <= 64
                    && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                return ok.then(|| Self::Custom(key.to_owned()));
            }
        })
    }

    fn as_string(&self) -> String {
        match self {
            Self::Name => "name".into(),
            Self::FirstName => "firstName".into(),
            Self::LastName => "lastName".into(),
            Self::Email => "email".into(),
            Self::Phone => "phone".into(),
            Self::Company => "company".into(),
            Self::Message => "message".into(),
            Self::Campaign => "campaign".into(),
            Self::Custom(key) => format!("custom:{key}"),
        }
    }

    fn default_max(&self) -> usize {
        match self {
            Self::Message => crate::lead::MESSAGE_MAX,
            Self::Email => 254,
            Self::Phone => 40,
            Self::Campaign | Self::Custom(_) => CUSTOM_VALUE_MAX,
            _ => crate::account::NAME_MAX,
        }
    }
}

impl Serialize for FieldTarget {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_string())
    }
}

impl<'de> Deserialize<'de> for FieldTarget {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(
                "expected name, firstName, lastName, email, phone, company, message, campaign or custom:{key}",
            )
        })
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for FieldTarget {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("name, firstName, lastName, email, phone, company, message, campaign or custom:{key}"))
            .into()
    }
}
#[cfg(feature = "openapi")]
impl utoipa::ToSchema for FieldTarget {}

/// One field of the form as the page posts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FormField {
    /// The posted name (`<input name="…">`).
    pub name: String,
    pub maps: FieldTarget,
    #[serde(default)]
    pub required: bool,
    /// The label on the ready-made page; the name when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// A hidden input with this value on the ready-made page (e.g. a campaign).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden_value: Option<String>,
    /// Longest value accepted, in characters (default by target: message 5,000, names 200…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RateLimits {
    /// Posts per minute from one IP address before further posts are quarantined.
    pub per_ip_per_minute: u32,
    /// Posts per minute to the form from everywhere before further posts are quarantined.
    pub per_form_per_minute: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self { per_ip_per_minute: 30, per_form_per_minute: 600 }
    }
}

/// After a browser post, send the visitor to a WhatsApp chat with the company, the message
/// pre-filled from the form (`{name}`, `{company}`, `{message}` are replaced).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WhatsAppRedirect {
    /// The company's WhatsApp number, E.164.
    pub number: String,
    pub text: String,
}

/// E-mail templates the form's leads set off; `null` turns one off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FormNotifications {
    /// To the assigned agent.
    #[serde(default = "default_assignee_template")]
    pub assignee: Option<String>,
    /// To the prospect.
    #[serde(default = "default_prospect_template")]
    pub prospect: Option<String>,
}

fn default_assignee_template() -> Option<String> {
    Some(crate::templates::LEAD_ASSIGNED.into())
}
fn default_prospect_template() -> Option<String> {
    Some(crate::templates::LEAD_WELCOME.into())
}

impl Default for FormNotifications {
    fn default() -> Self {
        Self { assignee: default_assignee_template(), prospect: default_prospect_template() }
    }
}

fn default_country() -> String {
    DEFAULT_COUNTRY.into()
}
fn default_min_fill() -> u32 {
    3
}
fn default_locale() -> String {
    "es".into()
}

/// `PUT /forms/{id}`: the form's definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FormDefinition {
    pub name: String,
    pub fields: Vec<FormField>,
    /// Origins (`https://www.example.com`) whose pages may post; empty allows any.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Where a browser post is sent afterwards (303). Without it (and without `whatsapp`),
    /// the ready-made thank-you page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whatsapp: Option<WhatsAppRedirect>,
    /// For phones written without their international prefix.
    #[serde(default = "default_country")]
    pub default_country: String,
    /// A field people leave empty and bots fill. Such posts are answered as a success and dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honeypot: Option<String>,
    /// Posts sooner than this after the page was served are quarantined; 0 turns off the
    /// timestamp check (for server-to-server integrations).
    #[serde(default = "default_min_fill")]
    pub min_fill_seconds: u32,
    #[serde(default)]
    pub rate_limits: RateLimits,
    /// Who receives the leads and how they are chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignment: Option<AgentPool>,
    #[serde(default)]
    pub notifications: FormNotifications,
    /// `es` or `en`: the ready-made page and the prospect's e-mails.
    #[serde(default = "default_locale")]
    pub locale: String,
}

/// A stored form: its definition plus the key that signs its timestamps (never returned).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredForm {
    pub id: FormId,
    #[serde(flatten)]
    pub definition: FormDefinition,
    pub signing_key: String,
    pub updated_at: Timestamp,
}

/// What the API shows of a form.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Form {
    pub id: FormId,
    #[serde(flatten)]
    pub definition: FormDefinition,
    pub updated_at: Timestamp,
    /// Posts dropped by the honeypot, quarantined, and accepted, since the form was created.
    pub stats: FormStats,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FormStats {
    pub honeypot: i64,
    pub quarantined: i64,
    pub accepted: i64,
}

fn is_http_url(s: &str) -> bool {
    (s.starts_with("https://") || s.starts_with("http://"))
        && s.len() <= URL_MAX
        && s.len() > "https://".len()
        && !s.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>')
}

impl FormDefinition {
    /// Checks the definition as a whole, naming each bad field.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        e.text("name", &self.name, crate::account::NAME_MAX, false);
        if self.fields.is_empty() || self.fields.len() > 50 {
            e.add("fields", msg::form_field_count());
        }
        let mut names = std::collections::HashSet::new();
        let mut targets = std::collections::HashSet::new();
        for (i, field) in self.fields.iter().enumerate() {
            let at = format!("fields[{i}]");
            let name_ok = !field.name.is_empty()
                && field.name.len() <= 64
                && field.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
            if !name_ok {
                e.add(format!("{at}.name"), msg::form_field_name());
            }
            if field.name == TOKEN_FIELD || self.honeypot.as_deref() == Some(field.name.as_str()) {
                e.add(format!("{at}.name"), msg::reserved_for_spam_protection());
            }
            if field.name.starts_with("utm_") {
                e.add(format!("{at}.name"), msg::utm_not_mapped());
            }
            if !names.insert(field.name.clone()) {
                e.add(format!("{at}.name"), msg::appears_twice());
            }
            if !targets.insert(field.maps.clone()) {
                e.add(format!("{at}.maps"), msg::lead_field_fed_twice());
            }
            if field.max_length.is_some_and(|m| m == 0 || m as usize > field.maps.default_max()) {
                e.add(format!("{at}.maxLength"), msg::from_one_to(field.maps.default_max()));
            }
            if let Some(label) = &field.label {
                e.optional_text(&format!("{at}.label"), Some(label), 200, false);
            }
            if let Some(value) = &field.hidden_value {
                e.optional_text(&format!("{at}.hiddenValue"), Some(value), CUSTOM_VALUE_MAX, false);
            }
        }
        let reach = targets.contains(&FieldTarget::Email) || targets.contains(&FieldTarget::Phone);
        let named = targets.contains(&FieldTarget::Name) || targets.contains(&FieldTarget::FirstName);
        if !reach || !named {
            e.add("fields", msg::form_needs_name_and_contact());
        }
        for (i, origin) in self.allowed_origins.iter().enumerate() {
            let path = origin.splitn(4, '/').nth(3);
            if !is_http_url(origin) || path.is_some() {
                e.add(format!("allowedOrigins[{i}]"), msg::origin());
            }
        }
        if let Some(url) = &self.redirect_url
            && !is_http_url(url)
        {
            e.add("redirectUrl", msg::http_url());
        }
        if let Some(w) = &self.whatsapp {
            if crate::lead::normalise_phone(&w.number, "ES").ok().as_deref() != Some(w.number.as_str()) {
                e.add("whatsapp.number", msg::e164_phone());
            }
            e.text("whatsapp.text", &w.text, 500, true);
        }
        check_country(&mut e, "defaultCountry", &self.default_country);
        if let Some(h) = &self.honeypot
            && (h.is_empty() || h.len() > 64 || !h.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        {
            e.add("honeypot", msg::honeypot_name());
        }
        if self.min_fill_seconds > 600 {
            e.add("minFillSeconds", msg::at_most_value(600));
        }
        if self.rate_limits.per_ip_per_minute == 0 || self.rate_limits.per_form_per_minute == 0 {
            e.add("rateLimits", msg::limits_at_least_one());
        }
        if let Some(pool) = &self.assignment {
            crate::case_type::validate_pool(pool, "assignment", &mut e);
        }
        for (field, template) in [
            ("notifications.assignee", &self.notifications.assignee),
            ("notifications.prospect", &self.notifications.prospect),
        ] {
            if let Some(t) = template
                && !crate::templates::is_email_template(t)
            {
                e.add(field, msg::no_email_template(t));
            }
        }
        if !crate::contact::LOCALES.contains(&self.locale.as_str()) {
            e.add("locale", msg::es_or_en());
        }
        e.finish()
    }

    /// Whether a page at `origin` may post; no `Origin` header (a server, curl) always may.
    pub fn allows_origin(&self, origin: Option<&str>) -> bool {
        match origin {
            None => true,
            Some(_) if self.allowed_origins.is_empty() => true,
            Some(o) => self.allowed_origins.iter().any(|a| a.eq_ignore_ascii_case(o)),
        }
    }

    /// Maps posted fields to lead fields, checking required fields and lengths. Errors name
    /// the form's own field names, which is what the page shows.
    pub fn map(&self, posted: &Fields, meta: &PostMeta) -> Result<MappedSubmission, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let mut values: BTreeMap<&FieldTarget, String> = BTreeMap::new();
        let mut custom = BTreeMap::new();
        let mut utm = BTreeMap::new();
        let value_of = |name: &str| posted.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        for field in &self.fields {
            let value = value_of(&field.name).map(str::trim).unwrap_or_default();
            if value.is_empty() {
                if field.required {
                    e.add(&field.name, msg::required());
                }
                continue;
            }
            let max = field.max_length.map_or(field.maps.default_max(), |m| m as usize);
            let count = value.chars().count();
            if count > max {
                e.add(&field.name, msg::too_long(max, count));
                continue;
            }
            match &field.maps {
                FieldTarget::Custom(key) => {
                    if let Some(v) = e.optional_text(&field.name, Some(value), max, true) {
                        custom.insert(key.clone(), v);
                    }
                }
                target => {
                    values.insert(target, value.to_owned());
                }
            }
        }
        for key in UTM_KEYS {
            if let Some(v) = value_of(&format!("utm_{key}")).or_else(|| meta.query_param(&format!("utm_{key}")))
                && let Some(v) = e.optional_text(&format!("utm_{key}"), Some(v), CUSTOM_VALUE_MAX, false)
            {
                utm.insert(key.to_owned(), v);
            }
        }
        let field_name = |target: &str| {
            self.fields
                .iter()
                .find(|f| f.maps.as_string() == target)
                .map_or_else(|| target.to_owned(), |f| f.name.clone())
        };
        let get = |t: &FieldTarget| values.get(t).map(String::as_str);
        let raw = RawLead {
            name: get(&FieldTarget::Name),
            first_name: get(&FieldTarget::FirstName),
            last_name: get(&FieldTarget::LastName),
            email: get(&FieldTarget::Email),
            phone: get(&FieldTarget::Phone),
            company: get(&FieldTarget::Company),
            message: get(&FieldTarget::Message),
        };
        let fields = LeadFields::normalise(&raw, custom, &self.default_country, &field_name, &mut e);
        let campaign = get(&FieldTarget::Campaign)
            .and_then(|c| e.optional_text(&field_name("campaign"), Some(c), CUSTOM_VALUE_MAX, false));
        let attribution = Attribution {
            channel: "webForm".into(),
            form_id: None,
            campaign: campaign.or_else(|| utm.get("campaign").cloned()),
            utm,
            referrer: meta.referrer.as_deref().filter(|r| is_http_url(r)).map(str::to_owned),
            landing_page: meta.landing_page.clone(),
        };
        // One reason per field: a missing required name is not also "must not be empty".
        let mut seen = std::collections::HashSet::new();
        e.0.retain(|error| seen.insert(error.field.clone()));
        e.finish().map(|()| MappedSubmission { fields, attribution })
    }

    /// Where a browser goes after a successful post, if the form says.
    pub fn redirect_for(&self, fields: &LeadFields) -> Option<String> {
        if let Some(w) = &self.whatsapp {
            let text = w
                .text
                .replace("{name}", &fields.name)
                .replace("{company}", fields.company.as_deref().unwrap_or_default())
                .replace("{message}", fields.message.as_deref().unwrap_or_default());
            let encoded: String =
                percent_encoding::utf8_percent_encode(&text, percent_encoding::NON_ALPHANUMERIC).collect();
            return Some(format!("https://wa.me/{}?text={encoded}", w.number.trim_start_matches('+')));
        }
        self.redirect_url.clone()
    }
}

/// What the endpoint knows about a post besides its fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostMeta {
    pub ip: String,
    pub origin: Option<String>,
    pub referrer: Option<String>,
    pub user_agent: Option<String>,
    /// The page the form was on (the referrer without its query), and its query for UTM tags.
    pub landing_page: Option<String>,
    pub landing_query: Vec<(String, String)>,
}

impl PostMeta {
    /// Splits the referrer into the landing page and its query parameters (UTM tags travel there).
    pub fn with_referrer(mut self, referrer: Option<String>) -> Self {
        if let Some(r) = referrer.as_deref().filter(|r| is_http_url(r)) {
            let (page, query) = r.split_once('?').unwrap_or((r, ""));
            self.landing_page = Some(page.split('#').next().unwrap_or(page).to_owned());
            let query = query.split('#').next().unwrap_or_default();
            self.landing_query = crate::lead::form_body::parse_urlencoded(query.as_bytes()).unwrap_or_default();
        }
        self.referrer = referrer;
        self
    }

    fn query_param(&self, name: &str) -> Option<&str> {
        self.landing_query.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// A post mapped onto a lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedSubmission {
    pub fields: LeadFields,
    pub attribution: Attribution,
}

/// Why a post looks automated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Suspicion {
    TokenMissing,
    TokenInvalid,
    TokenExpired,
    TooFast,
    IpRateLimit,
    FormRateLimit,
}

impl Suspicion {
    /// Why the post was held, as a reviewer reads it.
    pub fn message(self) -> crate::Message {
        use crate::messages as msg;
        match self {
            Self::TokenMissing => msg::ui_held_token_missing(),
            Self::TokenInvalid => msg::ui_held_token_invalid(),
            Self::TokenExpired => msg::ui_held_token_expired(),
            Self::TooFast => msg::ui_held_too_fast(),
            Self::IpRateLimit => msg::ui_held_ip_rate(),
            Self::FormRateLimit => msg::ui_held_form_rate(),
        }
    }
}

/// Signs and checks the form timestamps: HMAC-SHA256 over tenant, form, issue time and a
/// nonce. The nonce makes every served page's token unique, so the token can double as the
/// post's idempotency key: two visitors who load the page in the same second never share one.
pub struct TokenSigner<'a> {
    pub key: &'a str,
    pub tenant: &'a str,
    pub form: &'a str,
}

impl TokenSigner<'_> {
    fn mac(&self, issued: i64, nonce: &str) -> String {
        let mut mac = hmac::Hmac::<Sha256>::new_from_slice(self.key.as_bytes()).expect("HMAC takes any key length");
        mac.update(format!("{}\0{}\0{issued}\0{nonce}", self.tenant, self.form).as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

    /// The token a page embeds when served at `now`; `nonce` must be unique (a fresh id).
    pub fn issue(&self, now: Timestamp, nonce: &str) -> String {
        let issued = now.as_second();
        format!("{issued}.{nonce}.{}", self.mac(issued, nonce))
    }

    /// Checks a posted token against the form's minimum fill time.
    pub fn check(&self, token: Option<&str>, now: Timestamp, min_fill_seconds: u32) -> Result<(), Suspicion> {
        let token = token.map(str::trim).filter(|t| !t.is_empty()).ok_or(Suspicion::TokenMissing)?;
        let mut parts = token.splitn(3, '.');
        let (Some(issued), Some(nonce), Some(mac)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(Suspicion::TokenInvalid);
        };
        let issued: i64 = issued.parse().map_err(|_| Suspicion::TokenInvalid)?;
        if nonce.is_empty() || nonce.len() > 64 {
            return Err(Suspicion::TokenInvalid);
        }
        let expected = self.mac(issued, nonce);
        // Constant-time comparison: the MAC must not be guessable byte by byte.
        let same = expected.len() == mac.len()
            && expected.bytes().zip(mac.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
        if !same {
            return Err(Suspicion::TokenInvalid);
        }
        let age = now.as_second() - issued;
        if !(-60..=TOKEN_MAX_AGE_SECONDS).contains(&age) {
            return Err(Suspicion::TokenExpired);
        }
        if age < i64::from(min_fill_seconds) {
            return Err(Suspicion::TooFast);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lead::form_body::parse_urlencoded;

    pub(crate) fn contact_form() -> FormDefinition {
        serde_json::from_value(serde_json::json!({
            "name": "Contacto",
            "fields": [
                {"name": "nombre", "maps": "name", "required": true},
                {"name": "email", "maps": "email", "required": true},
                {"name": "telefono", "maps": "phone"},
                {"name": "empresa", "maps": "company"},
                {"name": "mensaje", "maps": "message", "maxLength": 2000},
                {"name": "campana", "maps": "campaign", "hiddenValue": "feria-2026"},
                {"name": "presupuesto", "maps": "custom:budget"}
            ],
            "honeypot": "website",
            "defaultCountry": "CR"
        }))
        .unwrap()
    }

    #[test]
    fn a_definition_is_checked_as_a_whole() {
        assert_eq!(contact_form().validate(), Ok(()));
        let mut bad = contact_form();
        bad.fields.push(FormField {
            name: "nombre".into(),
            maps: FieldTarget::Name,
            required: false,
            label: None,
            hidden_value: None,
            max_length: Some(0),
        });
        bad.allowed_origins = vec!["https://acme.cr/contacto".into()];
        bad.redirect_url = Some("javascript:alert(1)".into());
        bad.default_country = "XX".into();
        let fields: Vec<String> = bad.validate().unwrap_err().0.into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "fields[7].name",
                "fields[7].maps",
                "fields[7].maxLength",
                "allowedOrigins[0]",
                "redirectUrl",
                "defaultCountry"
            ]
        );
        assert!(serde_json::from_value::<FormField>(serde_json::json!({"name": "x", "maps": "custom:"})).is_err());
    }

    #[test]
    fn posts_map_onto_lead_fields_and_attribution() {
        let form = contact_form();
        let posted = parse_urlencoded(
            "nombre=Mar%C3%ADa+Jim%C3%A9nez&email=Maria%40Ejemplo.CR&telefono=8888-1234&campana=feria-2026&presupuesto=5000&utm_medium=email&otro=x"
                .as_bytes(),
        )
        .unwrap();
        let meta = PostMeta { ip: "203.0.113.9".into(), ..Default::default() }
            .with_referrer(Some("https://acme.cr/contacto?utm_source=google&utm_medium=cpc#form".into()));
        let mapped = form.map(&posted, &meta).unwrap();
        assert_eq!(mapped.fields.name, "María Jiménez");
        assert_eq!(mapped.fields.email.as_deref(), Some("maria@ejemplo.cr"));
        assert_eq!(mapped.fields.phone.as_deref(), Some("+50688881234"));
        assert_eq!(mapped.fields.custom_fields["budget"], "5000");
        assert_eq!(mapped.attribution.campaign.as_deref(), Some("feria-2026"));
        assert_eq!(mapped.attribution.utm["source"], "google");
        assert_eq!(mapped.attribution.utm["medium"], "email", "the post's own tags win over the page's");
        assert_eq!(mapped.attribution.landing_page.as_deref(), Some("https://acme.cr/contacto"));

        let posted = parse_urlencoded(b"nombre=&email=no-es-correo&telefono=12").unwrap();
        let errors = form.map(&posted, &meta).unwrap_err();
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["nombre", "email", "telefono"], "one reason per field");
        let long = format!("nombre=Ana&email=a%40b.cr&mensaje={}", "x".repeat(2001));
        let errors = form.map(&parse_urlencoded(long.as_bytes()).unwrap(), &meta).unwrap_err();
        assert_eq!(errors.0[0].field, "mensaje");
        assert!(errors.0[0].reason.to_string().contains("at most 2000"));
    }

    #[test]
    fn whatsapp_redirects_carry_the_prefilled_text() {
        let mut form = contact_form();
        form.whatsapp =
            Some(WhatsAppRedirect { number: "+50688881234".into(), text: "Hola, soy {name} de {company}".into() });
        assert_eq!(form.validate(), Ok(()));
        let fields = LeadFields { name: "Ana Pérez".into(), company: Some("Café & Co".into()), ..Default::default() };
        assert_eq!(
            form.redirect_for(&fields).unwrap(),
            "https://wa.me/50688881234?text=Hola%2C%20soy%20Ana%20P%C3%A9rez%20de%20Caf%C3%A9%20%26%20Co"
        );
    }

    #[test]
    fn timestamps_are_signed_and_aged() {
        let signer = TokenSigner { key: "k", tenant: "demo", form: "contacto" };
        let served: Timestamp = "2026-11-22T10:00:00Z".parse().unwrap();
        let token = signer.issue(served, "01JD8X3Q9V7M2K4T6W8Y0Z1A2B");
        assert_ne!(token, signer.issue(served, "01JD8X3Q9V7M2K4T6W8Y0Z1A2C"), "a nonce per page");
        let at = |s: i64| served + jiff::SignedDuration::from_secs(s);
        assert_eq!(signer.check(Some(&token), at(5), 3), Ok(()));
        assert_eq!(signer.check(Some(&token), at(1), 3), Err(Suspicion::TooFast));
        assert_eq!(signer.check(Some(&token), at(TOKEN_MAX_AGE_SECONDS + 1), 3), Err(Suspicion::TokenExpired));
        assert_eq!(signer.check(None, at(5), 3), Err(Suspicion::TokenMissing));
        let forged = format!("{}.{}", served.as_second() - 60, &token[token.find('.').unwrap() + 1..]);
        assert_eq!(signer.check(Some(&forged), at(5), 3), Err(Suspicion::TokenInvalid));
        let other_nonce = token.replacen("01JD8X3Q9V7M2K4T6W8Y0Z1A2B", "01JD8X3Q9V7M2K4T6W8Y0Z1A2C", 1);
        assert_eq!(signer.check(Some(&other_nonce), at(5), 3), Err(Suspicion::TokenInvalid));
        let other_form = TokenSigner { key: "k", tenant: "demo", form: "otro" };
        assert_eq!(other_form.check(Some(&token), at(5), 3), Err(Suspicion::TokenInvalid));
        assert_eq!(signer.check(Some("garbage"), at(5), 3), Err(Suspicion::TokenInvalid));
    }
}
