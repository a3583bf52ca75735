//! The access log: who signed in (or failed to), read a customer's record, exported data, or
//! changed permissions, users or the company's settings — when, and from where.

use serde::{Deserialize, Serialize};

use crate::ids::{EntityId, UserId};
use crate::messages as msg;
use crate::validation::ValidationErrors;

/// How long entries are kept before the table's TTL removes them, unless the company chose.
pub const RETENTION_DAYS: u16 = 400;
/// The shortest and longest keeping a company may choose: a month (an audit of last month's
/// reads must still find them) to ten years.
pub const RETENTION_MIN_DAYS: u16 = 30;
pub const RETENTION_MAX_DAYS: u16 = 3650;

/// `GET/PUT /access-log/retention`: how many days entries are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Retention {
    #[cfg_attr(feature = "openapi", schema(minimum = 30, maximum = 3650))]
    pub days: u16,
}

impl Retention {
    pub fn validate(self) -> Result<Self, ValidationErrors> {
        if (RETENTION_MIN_DAYS..=RETENTION_MAX_DAYS).contains(&self.days) {
            Ok(self)
        } else {
            Err(ValidationErrors::single("days", msg::between(RETENTION_MIN_DAYS, RETENTION_MAX_DAYS)))
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AccessAction {
    SignedIn,
    SignInFailed,
    /// Opened one record (an account, contact, case, lead or invoice).
    Read,
    /// Downloaded a list or report as a file.
    Exported,
    /// Changed a profile.
    ProfileChanged,
    /// Changed a user's directory entry (profile, language, active).
    UserChanged,
    /// Changed the company's settings.
    SettingsChanged,
}

impl AccessAction {
    pub const ALL: [AccessAction; 7] = [
        AccessAction::SignedIn,
        AccessAction::SignInFailed,
        AccessAction::Read,
        AccessAction::Exported,
        AccessAction::ProfileChanged,
        AccessAction::UserChanged,
        AccessAction::SettingsChanged,
    ];
}

/// What an entry is about: `case` and its id, `report` and its name, `profile` and its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordRef {
    /// `account`, `contact`, `case`, `lead`, `invoice`, `report`, `profile`, `user`, `tenant`.
    pub kind: String,
    pub id: String,
}

impl RecordRef {
    pub fn new(kind: &str, id: impl std::fmt::Display) -> Self {
        Self { kind: kind.to_owned(), id: id.to_string() }
    }
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessEntry {
    pub id: EntityId,
    pub at: jiff::Timestamp,
    /// Who: the signed-in user (for a failed sign-in, the name that was tried, when known).
    pub user: UserId,
    pub action: AccessAction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<RecordRef>,
    /// Where from: `api`, `console`, and the client's address when the edge knows it.
    pub from: String,
}
