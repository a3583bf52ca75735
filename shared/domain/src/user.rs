//! Staff users as the notifier needs them: who they are, where to write, in which language.
//! Identity and roles come from the identity provider; this is the tenant's directory.

use serde::{Deserialize, Serialize};

use crate::ids::{ProfileId, UserId};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: UserId,
    pub name: String,
    pub email: String,
    /// `es` or `en`.
    pub locale: String,
    /// What the user may do; absent: the seeded profile of the role their sign-in names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileId>,
    /// A deactivated user's requests are refused at once, even with a token still valid.
    #[serde(default = "active")]
    pub active: bool,
}

fn active() -> bool {
    true
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
    /// One of the tenant's profiles (`GET /profiles`); absent: the role of the user's sign-in.
    pub profile: Option<ProfileId>,
    /// `false` deactivates the user (absent: active).
    pub active: Option<bool>,
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
        Ok(User {
            id,
            name: name.unwrap_or_default(),
            email: email.unwrap_or_default(),
            locale,
            profile: self.profile.clone(),
            active: self.active.unwrap_or(true),
        })
    }
}
