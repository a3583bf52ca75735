//! Staff users as the notifier needs them: who they are, where to write, in which language.
//! Identity and roles come from the identity provider; this is the tenant's directory.

use serde::{Deserialize, Serialize};

use crate::ids::UserId;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: UserId,
    pub name: String,
    pub email: String,
    /// `es` or `en`.
    pub locale: String,
}

/// `PUT /users/{id}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserEntry {
    pub name: String,
    pub email: String,
    /// `es` (when absent) or `en`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^(es|en)$"))]
    pub locale: Option<String>,
}

impl UserEntry {
    pub fn validate(&self, id: UserId) -> Result<User, crate::ValidationErrors> {
        let mut e = crate::ValidationErrors::new();
        let name = e.text("name", &self.name, crate::account::NAME_MAX, false);
        let email = e.email("email", &self.email);
        let locale = self.locale.clone().unwrap_or_else(|| "es".into());
        if !crate::contact::LOCALES.contains(&locale.as_str()) {
            e.add("locale", crate::messages::one_of(crate::contact::LOCALES.join(", ")));
        }
        e.finish()?;
        Ok(User { id, name: name.unwrap_or_default(), email: email.unwrap_or_default(), locale })
    }
}
