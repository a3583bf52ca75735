//! Accounts [cuentas, clientes]: the companies or people a tenant does business with.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::ids::{EntityId, UserId};
use crate::validation::{ValidationErrors, nullable};

pub const NAME_MAX: usize = 200;
pub const SHORT_TEXT_MAX: usize = 100;
pub const URL_MAX: usize = 500;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Account {
    pub id: EntityId,
    pub name: String,
    /// Tax or national id [cédula jurídica, NIT, RUC, CIF].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub industry: Option<String>,
    /// Branch [sucursal] that serves the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<UserId>,
    pub archived: bool,
    pub created_at: Timestamp,
    pub created_by: UserId,
    pub updated_at: Timestamp,
    pub updated_by: UserId,
}

/// `POST /accounts`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewAccount {
    pub name: String,
    pub tax_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub industry: Option<String>,
    pub branch: Option<String>,
    pub owner: Option<UserId>,
}

/// `PATCH /accounts/{id}` (JSON Merge Patch: absent = unchanged, `null` = cleared).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountPatch {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub tax_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub website: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub industry: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub branch: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub owner: Option<Option<UserId>>,
}

/// The validated, normalised descriptive fields shared by create and update.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountFields {
    pub name: String,
    pub tax_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub industry: Option<String>,
    pub branch: Option<String>,
    pub owner: Option<UserId>,
}

impl AccountFields {
    pub fn validate(input: &NewAccount) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let name = e.text("name", &input.name, NAME_MAX, false);
        let fields = Self {
            name: name.unwrap_or_default(),
            tax_id: e.optional_text("taxId", input.tax_id.as_deref(), SHORT_TEXT_MAX, false),
            email: input.email.as_deref().filter(|v| !v.trim().is_empty()).and_then(|v| e.email("email", v)),
            phone: e.optional_text("phone", input.phone.as_deref(), SHORT_TEXT_MAX, false),
            website: e.optional_text("website", input.website.as_deref(), URL_MAX, false),
            industry: e.optional_text("industry", input.industry.as_deref(), SHORT_TEXT_MAX, false),
            branch: e.optional_text("branch", input.branch.as_deref(), SHORT_TEXT_MAX, false),
            owner: input.owner.clone(),
        };
        e.finish().map(|()| fields)
    }

    pub fn of(account: &Account) -> Self {
        Self {
            name: account.name.clone(),
            tax_id: account.tax_id.clone(),
            email: account.email.clone(),
            phone: account.phone.clone(),
            website: account.website.clone(),
            industry: account.industry.clone(),
            branch: account.branch.clone(),
            owner: account.owner.clone(),
        }
    }

    /// Applies a merge patch to these fields and validates the result as a whole.
    pub fn patched(&self, patch: &AccountPatch) -> Result<Self, ValidationErrors> {
        fn pick<T: Clone>(current: &Option<T>, change: &Option<Option<T>>) -> Option<T> {
            change.clone().unwrap_or_else(|| current.clone())
        }
        Self::validate(&NewAccount {
            name: patch.name.clone().unwrap_or_else(|| self.name.clone()),
            tax_id: pick(&self.tax_id, &patch.tax_id),
            email: pick(&self.email, &patch.email),
            phone: pick(&self.phone, &patch.phone),
            website: pick(&self.website, &patch.website),
            industry: pick(&self.industry, &patch.industry),
            branch: pick(&self.branch, &patch.branch),
            owner: pick(&self.owner, &patch.owner),
        })
    }
}

impl Account {
    /// A new account made of validated fields.
    pub fn create(id: EntityId, fields: AccountFields, by: &UserId, now: Timestamp) -> Self {
        let mut account = Self {
            id,
            name: String::new(),
            tax_id: None,
            email: None,
            phone: None,
            website: None,
            industry: None,
            branch: None,
            owner: None,
            archived: false,
            created_at: now,
            created_by: by.clone(),
            updated_at: now,
            updated_by: by.clone(),
        };
        account.apply(fields);
        account
    }

    pub fn apply(&mut self, fields: AccountFields) {
        let AccountFields { name, tax_id, email, phone, website, industry, branch, owner } = fields;
        self.name = name;
        self.tax_id = tax_id;
        self.email = email;
        self.phone = phone;
        self.website = website;
        self.industry = industry;
        self.branch = branch;
        self.owner = owner;
    }
}

impl crate::field_access::Redact for Account {
    const MODULE: crate::access::Module = crate::access::Module::Accounts;

    fn hide(&mut self, field: &str) {
        match field {
            "taxId" => self.tax_id = None,
            "email" => self.email = None,
            "phone" => self.phone = None,
            "website" => self.website = None,
            "industry" => self.industry = None,
            "branch" => self.branch = None,
            "owner" => self.owner = None,
            _ => {}
        }
    }
}

impl crate::field_access::Touches for NewAccount {
    fn touched(&self) -> Vec<String> {
        crate::field_access::touched(
            [
                ("taxId", crate::field_access::filled(&self.tax_id)),
                ("email", crate::field_access::filled(&self.email)),
                ("phone", crate::field_access::filled(&self.phone)),
                ("website", crate::field_access::filled(&self.website)),
                ("industry", crate::field_access::filled(&self.industry)),
                ("branch", crate::field_access::filled(&self.branch)),
                ("owner", self.owner.is_some()),
            ],
            [],
        )
    }
}

impl crate::field_access::Touches for AccountPatch {
    fn touched(&self) -> Vec<String> {
        crate::field_access::touched(
            [
                ("taxId", self.tax_id.is_some()),
                ("email", self.email.is_some()),
                ("phone", self.phone.is_some()),
                ("website", self.website.is_some()),
                ("industry", self.industry.is_some()),
                ("branch", self.branch.is_some()),
                ("owner", self.owner.is_some()),
            ],
            [],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_invalid_field_is_reported() {
        let input = NewAccount {
            name: " ".into(),
            email: Some("not-an-email".into()),
            tax_id: Some("x".repeat(101)),
            ..Default::default()
        };
        let errors = AccountFields::validate(&input).unwrap_err();
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "taxId", "email"]);
    }

    #[test]
    fn patch_keeps_absent_fields_and_clears_nulls() {
        let base = AccountFields::validate(&NewAccount {
            name: "Acme".into(),
            phone: Some("+506 2222 3333".into()),
            industry: Some("Retail".into()),
            ..Default::default()
        })
        .unwrap();
        let patch: AccountPatch = serde_json::from_str(r#"{"name":"Acme S.A.","phone":null}"#).unwrap();
        let patched = base.patched(&patch).unwrap();
        assert_eq!(patched.name, "Acme S.A.");
        assert_eq!(patched.phone, None);
        assert_eq!(patched.industry.as_deref(), Some("Retail"));
    }

    #[test]
    fn patch_refuses_unknown_fields() {
        let err = serde_json::from_str::<AccountPatch>(r#"{"nmae":"x"}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `nmae`"));
    }
}
