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
