//! Contacts [contactos]: people, optionally linked to an account. A normalised e-mail
//! address belongs to at most one contact per tenant.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::account::{NAME_MAX, SHORT_TEXT_MAX};
use crate::ids::{EntityId, UserId};
use crate::messages as msg;
use crate::validation::{ValidationErrors, nullable};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Contact {
    pub id: EntityId,
    pub first_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Lower-cased; unique within the tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<EntityId>,
    /// `es` or `en`: the language of the e-mails this contact receives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    pub archived: bool,
    pub created_at: Timestamp,
    pub created_by: UserId,
    pub updated_at: Timestamp,
    pub updated_by: UserId,
}

/// `POST /contacts`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewContact {
    pub first_name: String,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
    pub account_id: Option<EntityId>,
    pub locale: Option<String>,
}

/// `PATCH /contacts/{id}` (JSON Merge Patch).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactPatch {
    pub first_name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub last_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub title: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub account_id: Option<Option<EntityId>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub locale: Option<Option<String>>,
}

pub const LOCALES: &[&str] = &["es", "en"];

#[derive(Debug, Clone, PartialEq)]
pub struct ContactFields {
    pub first_name: String,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
    pub account_id: Option<EntityId>,
    pub locale: Option<String>,
}

impl ContactFields {
    pub fn validate(input: &NewContact) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let first_name = e.text("firstName", &input.first_name, NAME_MAX, false);
        let locale = input.locale.as_deref().map(str::trim).filter(|l| !l.is_empty());
        if let Some(l) = locale
            && !LOCALES.contains(&l)
        {
            e.add("locale", msg::one_of(LOCALES.join(", ")));
        }
        let fields = Self {
            first_name: first_name.unwrap_or_default(),
            last_name: e.optional_text("lastName", input.last_name.as_deref(), NAME_MAX, false),
            email: input.email.as_deref().filter(|v| !v.trim().is_empty()).and_then(|v| e.email("email", v)),
            phone: e.optional_text("phone", input.phone.as_deref(), SHORT_TEXT_MAX, false),
            title: e.optional_text("title", input.title.as_deref(), SHORT_TEXT_MAX, false),
            account_id: input.account_id,
            locale: locale.map(str::to_owned),
        };
        e.finish().map(|()| fields)
    }

    pub fn of(contact: &Contact) -> Self {
        Self {
            first_name: contact.first_name.clone(),
            last_name: contact.last_name.clone(),
            email: contact.email.clone(),
            phone: contact.phone.clone(),
            title: contact.title.clone(),
            account_id: contact.account_id,
            locale: contact.locale.clone(),
        }
    }

    pub fn patched(&self, patch: &ContactPatch) -> Result<Self, ValidationErrors> {
        fn pick<T: Clone>(current: &Option<T>, change: &Option<Option<T>>) -> Option<T> {
            change.clone().unwrap_or_else(|| current.clone())
        }
        Self::validate(&NewContact {
            first_name: patch.first_name.clone().unwrap_or_else(|| self.first_name.clone()),
            last_name: pick(&self.last_name, &patch.last_name),
            email: pick(&self.email, &patch.email),
            phone: pick(&self.phone, &patch.phone),
            title: pick(&self.title, &patch.title),
            account_id: pick(&self.account_id, &patch.account_id),
            locale: pick(&self.locale, &patch.locale),
        })
    }
}

impl Contact {
    /// First and last name, as the contact is addressed and listed.
    pub fn full_name(&self) -> String {
        match &self.last_name {
            Some(last) => format!("{} {last}", self.first_name),
            None => self.first_name.clone(),
        }
    }

    pub fn apply(&mut self, fields: ContactFields) {
        let ContactFields { first_name, last_name, email, phone, title, account_id, locale } = fields;
        self.first_name = first_name;
        self.last_name = last_name;
        self.email = email;
        self.phone = phone;
        self.title = title;
        self.account_id = account_id;
        self.locale = locale;
    }
}

impl crate::field_access::Redact for Contact {
    const MODULE: crate::access::Module = crate::access::Module::Contacts;

    fn hide(&mut self, field: &str) {
        match field {
            "email" => self.email = None,
            "phone" => self.phone = None,
            "title" => self.title = None,
            "locale" => self.locale = None,
            _ => {}
        }
    }
}

impl crate::field_access::Touches for NewContact {
    fn touched(&self) -> Vec<String> {
        crate::field_access::touched(
            [
                ("email", crate::field_access::filled(&self.email)),
                ("phone", crate::field_access::filled(&self.phone)),
                ("title", crate::field_access::filled(&self.title)),
                ("locale", crate::field_access::filled(&self.locale)),
            ],
            [],
        )
    }
}

impl crate::field_access::Touches for ContactPatch {
    fn touched(&self) -> Vec<String> {
        crate::field_access::touched(
            [
                ("email", self.email.is_some()),
                ("phone", self.phone.is_some()),
                ("title", self.title.is_some()),
                ("locale", self.locale.is_some()),
            ],
            [],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_locales_checked() {
        let fields = ContactFields::validate(&NewContact {
            first_name: "Ana".into(),
            email: Some("ANA@Example.com".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(fields.email.as_deref(), Some("ana@example.com"));
        let errors = ContactFields::validate(&NewContact {
            first_name: "".into(),
            locale: Some("fr".into()),
            ..Default::default()
        })
        .unwrap_err();
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["firstName", "locale"]);
    }
}
